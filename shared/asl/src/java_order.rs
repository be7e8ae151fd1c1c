//! The order a `java.util.HashMap` iterates its keys in. Step Functions builds some objects in one
//! (a payload template's path fields, States.JsonMerge's result), and writes them out in that
//! order: the history and the causes that quote an object show it. States.ArrayUnique keeps its
//! items in a `java.util.HashSet`, a HashMap's keys, and writes them in that order too.

use std::collections::HashMap;

use serde_json::Value;

/// Sorts `entries` into the order a default `java.util.HashMap` holding them would iterate
/// them, `name` giving each entry's key.
pub(crate) fn sort_as_hash_map<T>(entries: &mut [T], name: impl Fn(&T) -> &str) {
    let buckets = buckets(entries.len());
    entries.sort_by_key(|e| bucket(string_hash(name(e)), buckets));
}

/// The distinct items of `listed` in the order `new HashSet<>(list)` iterates them. That
/// constructor sizes its table for `listed.len() / 0.75 + 1` entries, at least 16; items are
/// told apart by their hash first, so a long list costs no more than one pass over it.
pub(crate) fn hash_set(listed: &[Value]) -> Vec<Value> {
    let mut seen: HashMap<u32, Vec<usize>> = HashMap::new();
    let mut distinct: Vec<(u32, &Value)> = Vec::new();
    for item in listed {
        let hash = java_hash(item);
        let same_hash = seen.entry(hash).or_default();
        if !same_hash.iter().any(|&i| distinct[i].1 == item) {
            same_hash.push(distinct.len());
            distinct.push((hash, item));
        }
    }
    let wanted = (listed.len() as f32 / 0.75) as usize + 1;
    let buckets = u32::try_from(wanted.max(16).next_power_of_two()).unwrap_or(1 << 30);
    distinct.sort_by_key(|&(hash, _)| bucket(hash, buckets));
    distinct.into_iter().map(|(_, item)| item.clone()).collect()
}

/// How many buckets a default `java.util.HashMap` has once it holds `entries`: sixteen,
/// doubled whenever it would be more than three quarters full.
fn buckets(entries: usize) -> u32 {
    let mut buckets: u32 = 16;
    while entries > (buckets as usize) * 3 / 4 {
        buckets *= 2;
    }
    buckets
}

/// The bucket `java.util.HashMap` puts a key of hash code `hash` in: its high half folded into
/// its low half. A map iterates its buckets in order and each bucket's keys in the order they
/// came, so a stable sort by bucket is its iteration order (short of a bucket of eight or more
/// keys, which Java turns into a tree).
fn bucket(hash: u32, buckets: u32) -> u32 {
    (hash ^ (hash >> 16)) & (buckets - 1)
}

/// `String.hashCode`, over UTF-16 units.
fn string_hash(text: &str) -> u32 {
    text.encode_utf16()
        .fold(0u32, |h, unit| h.wrapping_mul(31).wrapping_add(u32::from(unit)))
}

/// The `hashCode` of the Java object Jackson reads `value` as: null 0, a Boolean 1231 or 1237,
/// an Integer itself, a Long or a Double its bits folded, a String its units, a List and a Map
/// as `AbstractList` and `AbstractMap` combine their members'.
fn java_hash(value: &Value) -> u32 {
    let fold = |bits: u64| (bits ^ (bits >> 32)) as u32;
    match value {
        Value::Null => 0,
        Value::Bool(true) => 1231,
        Value::Bool(false) => 1237,
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) if i32::try_from(i).is_ok() => i as u32,
            (Some(i), _) => fold(i as u64),
            // Past a long, Jackson reads a BigInteger, whose hash Baton does not reproduce.
            (None, Some(u)) => fold(u),
            (None, None) => fold(n.as_f64().unwrap_or_default().to_bits()),
        },
        Value::String(s) => string_hash(s),
        Value::Array(items) => items.iter().fold(1u32, |h, item| h.wrapping_mul(31).wrapping_add(java_hash(item))),
        Value::Object(fields) => fields.iter().fold(0u32, |h, (k, v)| h.wrapping_add(string_hash(k) ^ java_hash(v))),
    }
}

#[cfg(test)]
mod tests {
    use super::{bucket, buckets, hash_set, sort_as_hash_map, string_hash};
    use serde_json::json;

    #[test]
    fn a_hash_map_grows_as_java_s_does() {
        assert_eq!([1, 12, 13, 24, 25].map(buckets), [16, 16, 32, 32, 64]);
        // "Aa" and "BB" share Java's hash code 2112: one bucket, in the order they came.
        assert_eq!(bucket(string_hash("Aa"), 16), bucket(string_hash("BB"), 16));
        let mut names = ["BB", "Aa", "b", "a"];
        sort_as_hash_map(&mut names, |n| n);
        assert_eq!(names, ["BB", "Aa", "a", "b"]);
    }

    /// AWS wrote States.ArrayUnique of [true, false, true, false] as [false, true], of
    /// [[1, 2], [1, 2], [2, 1]] as [[2, 1], [1, 2]] and of [null, null, 1, null] as [null, 1]
    /// (a public conformance catalogue run against AWS, tests/support/conformance/
    /// intrinsicCases/States.ArrayUnique.ts, AUNIQ-004, AUNIQ-010, AUNIQ-005): a HashSet's order.
    #[test]
    fn a_hash_set_iterates_as_aws_wrote_array_unique() {
        for (listed, written) in [
            (json!([true, false, true, false]), json!([false, true])),
            (json!([[1, 2], [1, 2], [2, 1]]), json!([[2, 1], [1, 2]])),
            (json!([null, null, 1, null]), json!([null, 1])),
            (json!(["a", "b", "a", "c", "b"]), json!(["a", "b", "c"])),
            (json!([{"a": 1, "b": 2}, {"b": 2, "a": 1}]), json!([{"a": 1, "b": 2}])),
        ] {
            assert_eq!(json!(hash_set(listed.as_array().unwrap())), written);
        }
    }
}
