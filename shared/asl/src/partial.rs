//! A copy of a document holding only what is read of it by name. A Map whose n iterations each
//! read one setting of a document that holds every item (`$$.Execution.Input.bucket`,
//! `$states.input.bucket` in an ItemSelector) would otherwise copy the whole document n times.

use std::borrow::Cow;

use serde_json::{Map, Value};

/// What a path or expression reads by name of one member of a document (`Execution` of the
/// context object, `input` of `$states`): the member, and the plain names read beneath it
/// (`Input`, `bucket` of `$$.Execution.Input.bucket`), in order, up to the first step that could
/// read more (a bracket, a wildcard, a filter); none when the member is read whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamesRead<M> {
    pub member: M,
    pub fields: Vec<String>,
}

/// The names `reads` read beneath `member`, one list per read: what [`subset`] takes.
pub(crate) fn fields_of<'a, M: PartialEq<Q>, Q: ?Sized>(reads: &'a [NamesRead<M>], member: &Q) -> Vec<&'a [String]> {
    reads.iter().filter(|r| r.member == *member).map(|r| r.fields.as_slice()).collect()
}

/// `from` with only what `reads` name: each read is the names a path steps through, in order
/// (`cfg`, `to` of `….cfg.to[0]`), up to the first step that could read more; an empty one reads
/// it whole. An object on the way keeps only the names read of it; anything else is copied whole
/// where a read reaches it, as a later step (into an array, past a scalar) reads it as it is.
pub(crate) fn subset(from: Cow<'_, Value>, reads: &[&[String]]) -> Value {
    match &*from {
        Value::Object(object) if !reads.iter().any(|r| r.is_empty()) => {
            let mut out = Map::new();
            for read in reads {
                // A read within another (`cfg.to` beside `cfg`) is the outer one's.
                if !reads.iter().any(|r| r.len() < read.len() && read.starts_with(r)) {
                    graft(&mut out, object, read);
                }
            }
            Value::Object(out)
        }
        _ => from.into_owned(),
    }
}

/// Copies what `read` names of `from` into `into`, building the objects on the way.
fn graft(into: &mut Map<String, Value>, from: &Map<String, Value>, read: &[String]) {
    let Some((name, rest)) = read.split_first() else {
        return;
    };
    let Some(value) = from.get(name) else {
        return;
    };
    match value {
        Value::Object(inner) if !rest.is_empty() => {
            if let Value::Object(target) = into.entry(name.clone()).or_insert_with(|| Value::Object(Map::new())) {
                graft(target, inner, rest);
            }
        }
        _ => _ = into.insert(name.clone(), value.clone()),
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use serde_json::json;

    use super::subset;

    fn of(doc: serde_json::Value, reads: &[&[&str]]) -> serde_json::Value {
        let reads: Vec<Vec<String>> = reads.iter().map(|r| r.iter().map(|n| n.to_string()).collect()).collect();
        let reads: Vec<&[String]> = reads.iter().map(Vec::as_slice).collect();
        subset(Cow::Owned(doc), &reads)
    }

    #[test]
    fn only_the_names_read_are_copied() {
        let doc = json!({"all": [1, 2, 3], "cfg": {"to": {"b": 1, "c": 2}, "n": [{"k": 3}], "s": "x"}, "tag": "t"});
        assert_eq!(of(doc.clone(), &[&["cfg", "to", "b"]]), json!({"cfg": {"to": {"b": 1}}}));
        assert_eq!(
            of(doc.clone(), &[&["cfg", "to", "b"], &["cfg", "to"], &["tag"]]),
            json!({"cfg": {"to": {"b": 1, "c": 2}}, "tag": "t"}),
            "a read within another is the outer one's, whichever comes first"
        );
        assert_eq!(
            of(doc.clone(), &[&["cfg", "n", "k"]]),
            json!({"cfg": {"n": [{"k": 3}]}}),
            "an array whole"
        );
        assert_eq!(of(doc.clone(), &[&["cfg", "s", "x"]]), json!({"cfg": {"s": "x"}}), "a scalar whole");
        assert_eq!(of(doc.clone(), &[&["nope", "x"], &["cfg", "nope"]]), json!({"cfg": {}}));
        assert_eq!(of(doc.clone(), &[&["tag"], &[]]), doc, "an empty read reads it whole");
        assert_eq!(
            of(json!([{"a": 1}]), &[&["a"]]),
            json!([{"a": 1}]),
            "a document that is no object, whole"
        );
    }
}
