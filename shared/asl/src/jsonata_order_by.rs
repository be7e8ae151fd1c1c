//! The two values jsonata-js names when an order-by clause (`items^(price)`) meets a number and
//! a string: `T2007: Type mismatch when comparing values 2 and "x" in order-by clause`. Which two
//! depends on the order its merge sort compares the items in (`fn.sort` in its functions.js, with
//! the comparator of `evaluateSortExpression` in jsonata.js), so that sort is run again here on
//! the items' sort keys, as far as the first pair of different types.

use std::cmp::Ordering;

use jsonata_core::value::JValue;

/// The first two keys of different types jsonata-js's merge sort compares, in the order it
/// compares them; `keys` holds each item's values of the clause's terms, and `descending` each
/// term's direction. `None` where the sort meets no such pair, or first meets a value neither
/// number nor string (its `T2008`).
pub(crate) fn first_mismatch(keys: &[Vec<JValue>], descending: &[bool]) -> Option<(JValue, JValue)> {
    let mut swap = |a: usize, b: usize| swaps(&keys[a], &keys[b], descending);
    match merge_sort((0..keys.len()).collect(), &mut swap) {
        Err(Stop::Mismatch(left, right)) => Some((left, right)),
        Ok(_) | Err(Stop::NotComparable) => None,
    }
}

/// Why the sort stops.
enum Stop {
    Mismatch(JValue, JValue),
    NotComparable,
}

/// jsonata-js's `msort`, which its `$sort` runs with the function it is given and an order-by
/// clause with its own comparator: the left half is the first `len / 2` items, and `swap`
/// is asked whether the left one goes after the right, in the order jsonata-js asks.
pub(crate) fn merge_sort<E>(mut items: Vec<usize>, swap: &mut impl FnMut(usize, usize) -> Result<bool, E>) -> Result<Vec<usize>, E> {
    if items.len() <= 1 {
        return Ok(items);
    }
    let right = items.split_off(items.len() / 2);
    let (left, right) = (merge_sort(items, swap)?, merge_sort(right, swap)?);
    let mut merged = Vec::with_capacity(left.len() + right.len());
    let (mut l, mut r) = (0, 0);
    while l < left.len() && r < right.len() {
        if swap(left[l], right[r])? {
            merged.push(right[r]);
            r += 1;
        } else {
            merged.push(left[l]);
            l += 1;
        }
    }
    merged.extend_from_slice(&left[l..]);
    merged.extend_from_slice(&right[r..]);
    Ok(merged)
}

/// jsonata-js's order-by comparator: whether `a` goes after `b`. Terms are compared in turn
/// until one differs; nothing sorts last.
fn swaps(a: &[JValue], b: &[JValue], descending: &[bool]) -> Result<bool, Stop> {
    for ((aa, bb), descending) in a.iter().zip(b).zip(descending) {
        let order = match (aa, bb) {
            (JValue::Undefined, JValue::Undefined) => continue,
            (JValue::Undefined, _) => return Ok(true),
            (_, JValue::Undefined) => return Ok(false),
            (JValue::Number(x), JValue::Number(y)) => x.partial_cmp(y).unwrap_or(Ordering::Equal),
            (JValue::String(x), JValue::String(y)) => x.encode_utf16().cmp(y.encode_utf16()),
            (JValue::Number(_) | JValue::String(_), JValue::Number(_) | JValue::String(_)) => {
                return Err(Stop::Mismatch(aa.clone(), bb.clone()));
            }
            _ => return Err(Stop::NotComparable),
        };
        match order {
            Ordering::Equal => continue,
            Ordering::Less => return Ok(*descending),
            Ordering::Greater => return Ok(!*descending),
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(values: &[JValue]) -> Vec<Vec<JValue>> {
        values.iter().map(|v| vec![v.clone()]).collect()
    }

    /// jsonata-js 2.0.6's answers, run there: `[1, 2, 'x']` meets 2 and "x" (the right half sorts
    /// first), `['x', 1, 2]` meets "x" and 1, and nothing sorts last without a comparison.
    #[test]
    fn the_pair_is_the_first_the_merge_sort_compares() {
        let (n, s) = (|v: f64| JValue::Number(v), |v: &str| JValue::string(v));
        assert_eq!(first_mismatch(&keys(&[n(1.0), n(2.0), s("x")]), &[false]), Some((n(2.0), s("x"))));
        assert_eq!(first_mismatch(&keys(&[s("x"), n(1.0), n(2.0)]), &[false]), Some((s("x"), n(1.0))));
        assert_eq!(first_mismatch(&keys(&[n(3.0), JValue::Undefined, n(1.0)]), &[false]), None);
        assert_eq!(first_mismatch(&keys(&[n(1.0), JValue::Bool(true), s("x")]), &[false]), None);
    }
}
