//! A Map over a JSON object: one iteration for each of its entries, in the object's order, each
//! given the pair `{"Key": …, "Value": …}`, with `$$.Map.Item.Key` its key and
//! `$$.Map.Item.Value` its value. The developer guide says so for an `ItemsPath` that selects an
//! object (ItemsPath (Map, JSONPath only): "it runs an iteration for each key-value pair in the
//! object, passing the pair to the iteration as input"); the pair's shape and the context's `Key`
//! are as AWS gave them for the items of a JSON object an `ItemReader` read (floci-io/floci#1588,
//! 2026-07-02), which a reader here reads the same way.

use std::sync::Arc;

use serde_json::{Map, Value};

/// The keys of a Map's items that are an object's entries, by the item's index; an item that is
/// no entry has none.
#[derive(Debug, Default)]
pub(crate) struct Keys(Vec<Option<Arc<str>>>);

impl Keys {
    /// The key of the item at `index`, if it is an entry.
    pub(crate) fn of(&self, index: usize) -> Option<Arc<str>> {
        self.0.get(index).cloned().flatten()
    }

    /// Adds `next`, the keys of the items that follow the first `len` items.
    pub(crate) fn append(&mut self, len: usize, next: Keys) {
        if !next.0.is_empty() {
            self.0.resize(len, None);
            self.0.extend(next.0);
        }
    }
}

/// The first `limit` entries of `object` as a Map's items, and their keys.
pub(crate) fn entries(object: Map<String, Value>, limit: usize) -> (Vec<Value>, Keys) {
    let (items, keys) = object
        .into_iter()
        .take(limit)
        .map(|(key, value)| {
            let key: Arc<str> = Arc::from(key);
            let pair = Map::from_iter([("Key".to_string(), Value::from(&*key)), ("Value".to_string(), value)]);
            (Value::Object(pair), Some(key))
        })
        .unzip();
    (items, Keys(keys))
}

/// What `$$.Map.Item.Value` holds for an item: an entry's value, or the item itself.
pub(crate) fn value_of(item: Value, key: Option<&Arc<str>>) -> Value {
    match (key, item) {
        (Some(_), Value::Object(mut pair)) => pair.remove("Value").unwrap_or(Value::Null),
        (_, item) => item,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn an_objects_entries_keep_its_order_and_their_keys() {
        let Value::Object(object) = json!({"b": 1, "a": {"x": 2}, "c": null}) else {
            unreachable!()
        };
        let (items, keys) = entries(object, 2);
        assert_eq!(items, vec![json!({"Key": "b", "Value": 1}), json!({"Key": "a", "Value": {"x": 2}})]);
        assert_eq!(
            (keys.of(0).as_deref(), keys.of(1).as_deref(), keys.of(2)),
            (Some("b"), Some("a"), None)
        );
        assert_eq!(value_of(items[1].clone(), keys.of(1).as_ref()), json!({"x": 2}));
        assert_eq!(value_of(items[1].clone(), None), items[1]);
    }

    #[test]
    fn appended_keys_follow_the_items_before_them() {
        let Value::Object(object) = json!({"k": 1}) else { unreachable!() };
        let mut keys = Keys::default();
        keys.append(2, Keys::default());
        keys.append(3, entries(object, usize::MAX).1);
        assert_eq!((keys.of(0), keys.of(2), keys.of(3).as_deref()), (None, None, Some("k")));
    }
}
