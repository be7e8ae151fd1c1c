//! How Jayway compares the values a filter reads (json-path/JsonPath, `ValueNodes` and
//! `EvaluatorFactory`), which is how Step Functions compares them. A path that selects nothing is
//! Jayway's undefined node, here `None`: equal to nothing, so `!=` holds for it. A number and a
//! string meet as Jayway's nodes meet: `NumberNode.equals` reads the string as a decimal,
//! `StringNode.equals` and the orderings compare the string with the number's decimal text, and a
//! regular expression reads a number or a boolean as its text.

use std::cmp::Ordering;

use serde_json::{Number, Value};

use crate::java_number::big_decimal_text as text;

/// `left.equals(right)`, as Jayway's `==` asks it: the left operand's rule decides.
pub(super) fn equal(left: Option<&Value>, right: Option<&Value>) -> bool {
    match (left, right) {
        (Some(Value::Number(a)), Some(Value::Number(b))) => numeric(a, b) == Some(Ordering::Equal),
        (Some(Value::Number(a)), Some(Value::String(s))) => decimal(s).zip(a.as_f64()).is_some_and(|(s, a)| a == s),
        (Some(Value::String(s)), Some(Value::Number(b))) => *s == text(b),
        (Some(l), Some(r)) => l == r,
        _ => false,
    }
}

/// The order of `<`, `<=`, `>` and `>=`: numbers by value, strings as Java orders them (by
/// UTF-16 code unit), a string and a number by the number's decimal text; none otherwise.
pub(super) fn order(left: Option<&Value>, right: Option<&Value>) -> Option<Ordering> {
    let java = |a: &str, b: &str| a.encode_utf16().cmp(b.encode_utf16());
    match (left?, right?) {
        (Value::Number(a), Value::Number(b)) => numeric(a, b),
        (Value::String(a), Value::String(b)) => Some(java(a, b)),
        (Value::String(a), Value::Number(b)) => Some(java(a, &text(b))),
        (Value::Number(a), Value::String(b)) => Some(java(&text(a), b)),
        _ => None,
    }
}

/// What `=~` matches a value against: a string as it is, a number or a boolean as its text, and
/// anything else (nothing selected, null, an object) as the empty string.
pub(super) fn regex_input(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => text(n),
        Some(Value::Bool(b)) => b.to_string(),
        _ => String::new(),
    }
}

/// Two numbers by value; whole numbers exactly, as `BigDecimal.compareTo` compares them.
fn numeric(a: &Number, b: &Number) -> Option<Ordering> {
    match (a.as_i128(), b.as_i128()) {
        (Some(a), Some(b)) => Some(a.cmp(&b)),
        _ => a.as_f64()?.partial_cmp(&b.as_f64()?),
    }
}

/// A string read as `new BigDecimal(s)` reads it, or `None` where that throws.
fn decimal(s: &str) -> Option<f64> {
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(i) => (&unsigned[..i], Some(&unsigned[i + 1..])),
        None => (unsigned, None),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    (digits(whole) && digits(fraction) && !(whole.is_empty() && fraction.is_empty()) && exponent_ok)
        .then(|| s.parse().ok())
        .flatten()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn strings_read_as_big_decimal_reads_them() {
        assert_eq!(decimal("1"), Some(1.0));
        assert_eq!(decimal("+1.50"), Some(1.5));
        assert_eq!(decimal("1e2"), Some(100.0));
        assert_eq!(decimal(".5"), Some(0.5));
        for refused in ["", "abc", "1.2.3", "NaN", "Infinity", " 1", "1e", "0x10", "-"] {
            assert_eq!(decimal(refused), None, "{refused:?}");
        }
    }

    #[test]
    fn equality_is_the_left_operand_s() {
        let (one, one_text, one_point_zero) = (json!(1), json!("1"), json!("1.0"));
        assert!(equal(Some(&one), Some(&one_text)));
        assert!(equal(Some(&one_text), Some(&one)));
        assert!(equal(Some(&one), Some(&one_point_zero)), "NumberNode reads the string as a decimal");
        assert!(!equal(Some(&one_point_zero), Some(&one)), "StringNode compares with \"1\"");
        assert!(!equal(None, None), "the undefined node equals nothing");
        assert!(!equal(Some(&json!(null)), None));
        assert!(equal(Some(&json!(null)), Some(&json!(null))));
        assert!(!equal(Some(&json!(true)), Some(&json!("true"))));
    }

    #[test]
    fn order_crosses_numbers_and_strings_by_text() {
        assert_eq!(order(Some(&json!("1")), Some(&json!(2))), Some(Ordering::Less));
        assert_eq!(order(Some(&json!(10)), Some(&json!("9"))), Some(Ordering::Less), "\"10\" < \"9\"");
        assert_eq!(order(Some(&json!(true)), Some(&json!(1))), None);
        assert_eq!(order(None, Some(&json!(1))), None);
        // Java orders by UTF-16 code unit: U+FF61 comes after U+1F600's high surrogate D83D.
        assert_eq!(order(Some(&json!("\u{ff61}")), Some(&json!("\u{1f600}"))), Some(Ordering::Greater));
    }
}
