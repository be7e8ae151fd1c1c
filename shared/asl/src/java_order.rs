//! The order a `java.util.HashMap` iterates its keys in. Step Functions builds some objects in one
//! (a payload template's path fields, States.JsonMerge's result), and writes them out in that
//! order: the history and the causes that quote an object show it.

/// Sorts `entries` into the order a default `java.util.HashMap` holding them would iterate
/// them, `name` giving each entry's key.
pub(crate) fn sort_as_hash_map<T>(entries: &mut [T], name: impl Fn(&T) -> &str) {
    if entries.len() > 1 {
        let buckets = buckets(entries.len());
        entries.sort_by_key(|e| bucket(name(e), buckets));
    }
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

/// The bucket `java.util.HashMap` puts `name` in: `String.hashCode` over its UTF-16 units, its
/// high half folded into its low half. A map iterates its buckets in order and each bucket's
/// names in the order they came, so a stable sort by bucket is its iteration order (short of a
/// bucket of eight or more names, which Java turns into a tree).
fn bucket(name: &str, buckets: u32) -> u32 {
    let hash = name
        .encode_utf16()
        .fold(0u32, |h, unit| h.wrapping_mul(31).wrapping_add(u32::from(unit)));
    (hash ^ (hash >> 16)) & (buckets - 1)
}

#[cfg(test)]
mod tests {
    use super::{bucket, buckets, sort_as_hash_map};

    #[test]
    fn a_hash_map_grows_as_java_s_does() {
        assert_eq!([1, 12, 13, 24, 25].map(buckets), [16, 16, 32, 32, 64]);
        // "Aa" and "BB" share Java's hash code 2112: one bucket, in the order they came.
        assert_eq!(bucket("Aa", 16), bucket("BB", 16));
        let mut names = ["BB", "Aa", "b", "a"];
        sort_as_hash_map(&mut names, |n| n);
        assert_eq!(names, ["BB", "Aa", "a", "b"]);
    }
}
