//! What an input may ask of the embedded engine, bounded as AWS bounds it. The engine would
//! build a string of any length a number or a picture from the input asks for (`$pad` to 1e10,
//! a Roman numeral of 1e21, a year of 2^32 digits), recurse for ever on an infinite number in
//! words, and compare each item of an array with every other to make it distinct; each of these
//! ended the process, exhausted its memory or ran for hours.

use std::collections::HashSet;

use jsonata_core::evaluator::{EvaluatorError, HostFnResult};
use jsonata_core::value::JValue;

use crate::jsonata_engine_calls::builtin;
use crate::jsonata_errors::{MAX_STRING, MEMORY_BOUND, STACK_BOUND};
use crate::jsonata_signatures;

/// A date/time picture whose width modifier asks for a component as wide as AWS's memory bound
/// refuses (`MAX_STRING` characters): jsonata-js writes `[Y,100000000]` as a year of that many
/// digits, and the engine would pad one to any width a picture from the input asks for
/// (`[Y,-4294967296]` is a maximum of 2^32 digits, which exhausted the machine's memory). The
/// width that pads is the minimum, and for the year the maximum too (XPath's §9.8.4.4, as both
/// implement it); a maximum elsewhere only cuts a name short.
pub(crate) fn date_picture_within_memory_bound(picture: Option<&JValue>) -> Result<(), EvaluatorError> {
    let Some(JValue::String(picture)) = picture else {
        return Ok(());
    };
    let too_wide = |width: Option<&str>| width.and_then(|w| w.parse::<usize>().ok()).is_some_and(|w| w >= MAX_STRING);
    let markers = picture
        .split('[')
        .skip(1)
        .filter_map(|rest| rest.split_once(']').map(|(marker, _)| marker));
    for marker in markers {
        let marker: String = marker.split_whitespace().collect();
        let Some((_, widths)) = marker.rsplit_once(',') else { continue };
        let (min, max) = widths.split_once('-').map_or((widths, None), |(min, max)| (min, Some(max)));
        if too_wide(Some(min)) || (marker.starts_with('Y') && too_wide(max)) {
            return Err(EvaluatorError::EvaluationError(MEMORY_BOUND.into()));
        }
    }
    Ok(())
}

/// `$pad` to a width AWS's memory bound refuses (`MAX_STRING` characters): the engine would
/// allocate a string of any width an input asks for, and one of 1e10 exhausts the machine's
/// memory.
pub(crate) fn pad(args: &[JValue]) -> HostFnResult {
    jsonata_signatures::check_builtin("pad", args).map_err(EvaluatorError::TypeError)?;
    if let [_, JValue::Number(width), ..] = args
        && width.abs() >= MAX_STRING as f64
    {
        return Err(EvaluatorError::EvaluationError(MEMORY_BOUND.into()));
    }
    builtin("pad", args)
}

/// A Roman numeral of more than about ten thousand letters: jsonata-js writes one a letter a
/// call deep and exhausts its stack there (in 2.0.6 under Node 20, 1e6 is written, 1e7 is a
/// `RangeError`), where the engine would write one of any length an input asks for (1e21 is a
/// quintillion `M`s, which exhausts the machine's memory). An infinite number or NaN in words
/// (`w`, `W`, `Ww`, ordinal or not) never reaches a last word: jsonata-js exhausts its stack
/// (run there), and so did the engine's, which ended the process.
pub(crate) fn format_integer(args: &[JValue]) -> HostFnResult {
    jsonata_signatures::check_builtin("formatInteger", args).map_err(EvaluatorError::TypeError)?;
    if let [JValue::Number(n), JValue::String(picture)] = args {
        let primary = picture.split(';').next().unwrap_or_default();
        let roman = matches!(primary, "I" | "i") && n.abs() >= 1e7;
        let words = matches!(primary, "w" | "W" | "Ww") && !n.is_finite();
        if roman || words {
            return Err(EvaluatorError::EvaluationError(STACK_BOUND.into()));
        }
    }
    builtin("formatInteger", args)
}

/// jsonata-js's `$distinct`: an array's items, each once, in the order first met, two items being
/// one where its `deepEquals` finds them equal (numbers by value, arrays item by item, objects
/// key by key in any order). jsonata-js and the engine look for each item among those kept, so
/// an array of n different items takes n²/2 comparisons: 100,000 from the input took the engine
/// minutes, past any bound on the evaluation's time. Each item's written form is hashed here
/// instead; an item that is or holds a function or NaN equals none.
pub(crate) fn distinct(args: &[JValue]) -> HostFnResult {
    jsonata_signatures::check_builtin("distinct", args).map_err(EvaluatorError::TypeError)?;
    match args.first() {
        None | Some(JValue::Undefined) => Ok(JValue::Undefined),
        Some(JValue::Array(items)) if items.len() > 1 => {
            let mut seen = HashSet::new();
            let kept: Vec<JValue> = items
                .iter()
                .filter(|item| written(item).is_none_or(|form| seen.insert(form)))
                .cloned()
                .collect();
            // A sequence where jsonata-js's `createSequence()` made one: where the array was one.
            Ok(match items.sequence {
                true => JValue::sequence(kept),
                false => JValue::array(kept),
            })
        }
        Some(other) => Ok(other.clone()),
    }
}

/// `value` written so that two values `deepEquals` finds equal are written alike and no two
/// others are: strings and keys with their length, objects with their keys in order, `-0` as
/// `0`. None for a value equal to nothing else. Without recursion: an input nests deep.
fn written(value: &JValue) -> Option<String> {
    enum Part<'a> {
        Value(&'a JValue),
        Key(&'a str),
        Close,
    }
    let mut out = String::new();
    let mut pending = vec![Part::Value(value)];
    while let Some(part) = pending.pop() {
        let value = match part {
            Part::Value(value) => value,
            Part::Key(key) => {
                out.push_str(&format!("k{}:{key}", key.len()));
                continue;
            }
            Part::Close => {
                out.push(')');
                continue;
            }
        };
        match value {
            JValue::Null => out.push('n'),
            JValue::Undefined => out.push('u'),
            JValue::Bool(b) => out.push(if *b { 't' } else { 'f' }),
            JValue::Number(n) if n.is_nan() => return None,
            JValue::Number(n) => out.push_str(&format!("#{:x};", (n + 0.0).to_bits())),
            JValue::String(s) => out.push_str(&format!("s{}:{s}", s.len())),
            JValue::Array(items) => {
                out.push('[');
                pending.push(Part::Close);
                pending.extend(items.iter().rev().map(Part::Value));
            }
            JValue::Object(members) => {
                out.push('{');
                pending.push(Part::Close);
                let mut sorted: Vec<_> = members.iter().collect();
                sorted.sort_by_key(|(key, _)| *key);
                for (key, value) in sorted.into_iter().rev() {
                    pending.push(Part::Value(value));
                    pending.push(Part::Key(key));
                }
            }
            _ => return None,
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn distinct_of(expr: &str) -> serde_json::Value {
        let ast = crate::jsonata::parse(expr).unwrap();
        let value = jsonata_core::evaluator::Evaluator::new()
            .evaluate(&ast, &JValue::Undefined)
            .unwrap();
        let JValue::Array(items) = value else { panic!("{expr}") };
        crate::jsonata::to_json(&distinct(&[JValue::Array(items)]).unwrap())
    }

    /// What jsonata-js 2.0.6's `deepEquals` keeps (run there).
    #[test]
    fn items_deep_equal_are_kept_once() {
        for (items, kept) in [
            ("[1, 1.0, -0, 0, '1']", serde_json::json!([1, 0, "1"])),
            (
                "[{'a': 1, 'b': [2]}, {'b': [2], 'a': 1}, {'a': 1}]",
                serde_json::json!([{"a": 1, "b": [2]}, {"a": 1}]),
            ),
            ("[[1, [2]], [1, [2]], [[1], 2]]", serde_json::json!([[1, [2]], [[1], 2]])),
            (
                "[{'ab': 'c'}, {'a': 'bc'}, 'ab', 'a']",
                serde_json::json!([{"ab": "c"}, {"a": "bc"}, "ab", "a"]),
            ),
            ("[0/0, 0/0]", serde_json::json!(["NaN", "NaN"])),
            ("[null, null, false, 'null']", serde_json::json!([null, false, "null"])),
        ] {
            assert_eq!(distinct_of(items), kept, "{items}");
        }
    }

    /// The engine compared each of 100,000 different items with every one kept before it, for
    /// minutes; hashed, they are kept at once.
    #[test]
    fn an_input_of_many_different_items_is_made_distinct() {
        let items: Vec<JValue> = (0..100_000).map(|n| JValue::Number(f64::from(n))).collect();
        let JValue::Array(kept) = distinct(&[JValue::array(items)]).unwrap() else {
            panic!()
        };
        assert_eq!(kept.len(), 100_000);
    }
}
