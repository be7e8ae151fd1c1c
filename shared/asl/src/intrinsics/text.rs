//! The intrinsics that write or read text: `States.Format`'s placeholders and Java-style
//! arguments, `States.StringToJson`, and base64.

use serde_json::Value;

use super::InvalidArguments;
use super::{CLOSE, OPEN};

/// `States.Format`: `{}` placeholders take the arguments in order; escaped braces are literal,
/// and a brace that is neither is refused in AWS's words, as AWS refused 'Hello {', 'Hello {{}}'
/// ("Invalid template in States.Format: matching '}' not found for '{'.") and '}' ("… matching
/// '{' not found for '}'."): recorded on AWS in gabrielmoreira/tiny-asl-machine,
/// tests/conformance/cases/.snapshots/aws/States.Format-018/019/020.
pub(super) fn format(template: &str, args: &[Value]) -> Result<Value, InvalidArguments> {
    let mut out = String::new();
    let mut next = args.iter();
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            OPEN => out.push('{'),
            CLOSE => out.push('}'),
            '{' if chars.peek() == Some(&'}') => {
                chars.next();
                let value = next
                    .next()
                    .ok_or_else(|| InvalidArguments::new("States.Format: more placeholders than arguments"))?;
                java_text(value, &mut out);
            }
            '{' | '}' => {
                let other = if c == '{' { '}' } else { '{' };
                return Err(InvalidArguments::said(
                    format!("States.Format: a lone '{c}' in the template"),
                    format!("Invalid template in States.Format: matching '{other}' not found for '{c}'."),
                ));
            }
            c => out.push(c),
        }
    }
    if next.next().is_some() {
        return Err(InvalidArguments::new("States.Format: more arguments than placeholders"));
    }
    Ok(Value::String(out))
}

/// `value` as Step Functions writes it in a `States.Format` (see `java_text`).
pub(super) fn java_string(value: &Value) -> String {
    let mut out = String::new();
    java_text(value, &mut out);
    out
}

/// How Step Functions writes a `States.Format` argument: strings as they are, and arrays and
/// objects as Java prints its lists and maps — `{Arg1=1, Arg2=[]}`, strings inside unquoted
/// (recorded on AWS in LocalStack's `test_generic.snapshot.json`, test_format_2) — so a
/// fraction as Java prints a `Double` (`1.0E20`, not `1e+20`).
fn java_text(value: &Value, out: &mut String) {
    match value {
        Value::String(s) => out.push_str(s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                java_text(item, out);
            }
            out.push(']');
        }
        Value::Object(fields) => {
            out.push('{');
            for (i, (key, item)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(key);
                out.push('=');
                java_text(item, out);
            }
            out.push('}');
        }
        Value::Number(n) if n.is_f64() => out.push_str(&crate::java_number::double_text(n.as_f64().unwrap_or_default())),
        other => out.push_str(&other.to_string()),
    }
}

/// `States.StringToJson`: a blank string is null and `-0` is 0, as recorded on AWS (LocalStack's
/// `test_json_manipulation.snapshot.json`, test_string_to_json). Text that is not JSON is
/// refused in AWS's words, which quote its reader's (Jackson's) message and location: `Cannot
/// convert String to Json in States.StringToJson, caused by: Unexpected character ('b' (code
/// 98)): was expecting double-quote to start field name\n at [Source: REDACTED …; line: 1,
/// column: 2]` (recorded on AWS: gabrielmoreira/tiny-asl-machine, tests/conformance/cases/
/// .snapshots/aws/States.StringToJson-011/012/014), never serde_json's.
pub(super) fn string_to_json(text: &str) -> Result<Value, InvalidArguments> {
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    let value: Value = serde_json::from_str(text).map_err(|_| {
        let jackson = crate::json_syntax::first_error_at_run_time(text).map_or_else(
            || "Unexpected content".to_string(),
            |e| format!("{}\n at {}", e.message, e.location),
        );
        InvalidArguments::said(
            format!("States.StringToJson: {jackson}"),
            format!("Cannot convert String to Json in States.StringToJson, caused by: {jackson}"),
        )
    })?;
    Ok(match value.as_f64() {
        Some(f) if f == 0.0 && f.is_sign_negative() => Value::from(0),
        _ => value,
    })
}

/// Base64 as Step Functions writes it (standard, padded) and reads it (leniently, see `decode`).
pub(super) mod base64 {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    pub(crate) fn encode(bytes: &[u8]) -> String {
        let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
        for chunk in bytes.chunks(3) {
            let n = chunk.iter().enumerate().fold(0u32, |n, (i, &b)| n | (u32::from(b) << (16 - 8 * i)));
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    /// Decodes as leniently as AWS does: it decoded '!!!invalid!!!', 'abc', 'ab==cd' and
    /// ' YWJjZA== ' where a strict decoder refuses them (the catalogue's B64D-015/017/019/024).
    /// Characters outside the alphabet are skipped, the first `=` ends the text, and a last
    /// group of two or three characters gives its whole bytes.
    pub(crate) fn decode(text: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(text.len() / 4 * 3);
        let (mut bits, mut held) = (0u32, 0u32);
        for b in text.bytes().take_while(|&b| b != b'=') {
            let Some(v) = ALPHABET.iter().position(|&a| a == b) else {
                continue;
            };
            bits = (bits << 6) | v as u32;
            held += 6;
            if held >= 8 {
                held -= 8;
                out.push((bits >> held) as u8);
                bits &= (1 << held) - 1;
            }
        }
        out
    }
}
