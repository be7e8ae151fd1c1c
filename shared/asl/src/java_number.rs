//! Numbers written out as Step Functions' Java writes them. A double is `Double.toString`'s text
//! (`1.5`, `100.0`, `1.0E20`, `1.0E-4`: plain from 1E-3 up to 1E7, computerized scientific
//! notation otherwise, with the shortest digits that read back as the same double); Jayway's
//! filters read that text into a `BigDecimal` and write it back with a signed exponent or,
//! where the scale allows, plainly (`1.0E+20`, `0.00010`).

use serde_json::Number;

/// `Double.toString(x)`.
pub fn double_text(x: f64) -> String {
    let sign = if x.is_sign_negative() { "-" } else { "" };
    if x == 0.0 {
        return format!("{sign}0.0");
    }
    let (unscaled, scale, is_plain) = java_digits(x);
    if is_plain {
        return format!("{sign}{}", plain(&unscaled, scale));
    }
    let exponent = unscaled.len() as i64 - 1 - scale;
    format!("{sign}{}.{}E{exponent}", &unscaled[..1], &unscaled[1..])
}

/// `new BigDecimal(n.toString()).toString()` for a number read from JSON: a whole number's
/// digits, a fraction's `Double.toString` read as a `BigDecimal`, which keeps its digits and
/// scale.
pub(crate) fn big_decimal_text(n: &Number) -> String {
    if let Some(whole) = n.as_i128() {
        return whole.to_string();
    }
    let x = n.as_f64().unwrap_or_default();
    if x == 0.0 {
        return "0.0".to_string();
    }
    let sign = if x < 0.0 { "-" } else { "" };
    let (unscaled, scale, _) = java_digits(x);
    format!("{sign}{}", big_decimal(&unscaled, scale))
}

/// The digits `Double.toString` writes for `|x|` (not 0), as unscaled digits and a scale, and
/// whether it writes them plainly. Java writes 1E-3 <= |x| < 1E7 plainly with at least one digit
/// after the point (100.0 is "1000" at scale 1), and the rest as `d.ddd…E±n` with at least one
/// digit after the point (1E20 is "10" at scale -19). The digits are the shortest that read back
/// as the same double, as Java chooses them.
fn java_digits(x: f64) -> (String, i64, bool) {
    let scientific = format!("{:e}", x.abs());
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i64 = exponent.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if (-3..7).contains(&exponent) {
        let fraction_digits = digits.len() as i64 - 1 - exponent;
        let scale = fraction_digits.max(1);
        let zeros = "0".repeat((scale - fraction_digits) as usize);
        (format!("{digits}{zeros}"), scale, true)
    } else {
        let fraction = if digits.len() > 1 { &digits[1..] } else { "0" };
        (format!("{}{fraction}", &digits[..1]), fraction.len() as i64 - exponent, false)
    }
}

/// Unscaled digits and a scale written plainly: ("1000", 1) is `100.0`, ("1", 3) is `0.001`.
fn plain(unscaled: &str, scale: i64) -> String {
    let point = unscaled.len() as i64 - scale;
    match point {
        p if p <= 0 => format!("0.{}{unscaled}", "0".repeat((-p) as usize)),
        _ if scale == 0 => unscaled.to_string(),
        p => format!("{}.{}", &unscaled[..p as usize], &unscaled[p as usize..]),
    }
}

/// `BigDecimal.toString` of the unscaled digits and the scale: plain when the scale is not
/// negative and the adjusted exponent is -6 or more, `d.dddE±n` otherwise.
fn big_decimal(unscaled: &str, scale: i64) -> String {
    let unscaled = unscaled.trim_start_matches('0');
    let unscaled = if unscaled.is_empty() { "0" } else { unscaled };
    let adjusted = unscaled.len() as i64 - 1 - scale;
    if scale >= 0 && adjusted >= -6 {
        return plain(unscaled, scale);
    }
    let rest = if unscaled.len() > 1 {
        format!(".{}", &unscaled[1..])
    } else {
        String::new()
    };
    let sign = if adjusted > 0 { "+" } else { "" };
    format!("{}{rest}E{sign}{adjusted}", &unscaled[..1])
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn number(v: Value) -> Number {
        match v {
            Value::Number(n) => n,
            other => panic!("{other} is no number"),
        }
    }

    /// `Double.toString(x)` in Java 21.
    #[test]
    fn doubles_read_as_java_writes_them() {
        for (x, java) in [
            (1.0, "1.0"),
            (-2.5, "-2.5"),
            (100.0, "100.0"),
            (0.001, "0.001"),
            (1234567.5, "1234567.5"),
            (1e7, "1.0E7"),
            (12345678.9, "1.23456789E7"),
            (1e20, "1.0E20"),
            (9.999e-4, "9.999E-4"),
            (1e-7, "1.0E-7"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
        ] {
            assert_eq!(double_text(x), java, "{x}");
        }
    }

    /// `new BigDecimal(Double.toString(x)).toString()` in Java 21, and `Long.toString`.
    #[test]
    fn numbers_read_as_jayway_writes_them() {
        for (value, java) in [
            (json!(1), "1"),
            (json!(-12), "-12"),
            (json!(1.0), "1.0"),
            (json!(1.5), "1.5"),
            (json!(100.0), "100.0"),
            (json!(0.001), "0.001"),
            (json!(1234567.5), "1234567.5"),
            (json!(1e7), "1.0E+7"),
            (json!(12345678.9), "12345678.9"),
            (json!(1e20), "1.0E+20"),
            (json!(1.2345678901234568e22), "1.2345678901234568E+22"),
            (json!(9.999e-4), "0.0009999"),
            (json!(1e-4), "0.00010"),
            (json!(1e-7), "1.0E-7"),
            (json!(-2.5e-9), "-2.5E-9"),
        ] {
            assert_eq!(big_decimal_text(&number(value.clone())), java, "{value}");
        }
    }
}
