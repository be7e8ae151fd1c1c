//! jsonata-js's URL functions, which are JavaScript's: `$encodeUrl` is `encodeURI`,
//! `$decodeUrl` is `decodeURI`, and their `…Component` forms `encodeURIComponent` and
//! `decodeURIComponent` (ECMA-262, "URI Handling Functions"), with a malformed escape refused as
//! `D3140: Malformed URL passed to $decodeUrl(): "%"`. AWS's JSONata is jsonata-js (the
//! developer guide, "Transforming data with JSONata"). The embedded engine leaves a space
//! unencoded in `$encodeUrl`, decodes `%2F` in `$decodeUrl` where `decodeURI` keeps the escapes
//! of reserved characters, and lets a malformed escape through.

use jsonata_core::evaluator::{EvaluatorError, HostFnResult};
use jsonata_core::value::JValue;

/// ECMA-262's uriUnescaped: what every encoder keeps as it is.
const UNESCAPED: &str = "-_.!~*'()";
/// ECMA-262's uriReserved and `#`: what `encodeURI` keeps and `decodeURI` leaves escaped.
const RESERVED: &str = ";/?:@&=+$,#";

/// One of the four functions: its JSONata name, and whether it works on a whole URL (keeping
/// the reserved characters) or on a component.
#[derive(Clone, Copy)]
pub(crate) struct UrlFunction {
    pub(crate) name: &'static str,
    whole_url: bool,
    decodes: bool,
}

pub(crate) const ENCODE_URL: UrlFunction = UrlFunction {
    name: "encodeUrl",
    whole_url: true,
    decodes: false,
};
pub(crate) const ENCODE_URL_COMPONENT: UrlFunction = UrlFunction {
    name: "encodeUrlComponent",
    whole_url: false,
    decodes: false,
};
pub(crate) const DECODE_URL: UrlFunction = UrlFunction {
    name: "decodeUrl",
    whole_url: true,
    decodes: true,
};
pub(crate) const DECODE_URL_COMPONENT: UrlFunction = UrlFunction {
    name: "decodeUrlComponent",
    whole_url: false,
    decodes: true,
};

/// The four, each of which an expression may name.
pub(crate) const URL_FUNCTIONS: [UrlFunction; 4] = [ENCODE_URL, ENCODE_URL_COMPONENT, DECODE_URL, DECODE_URL_COMPONENT];

impl UrlFunction {
    /// The function called with `args`, its signature `<s-:s>` checked as jsonata-js checks it.
    pub(crate) fn call(self, args: &[JValue]) -> HostFnResult {
        let text = match args {
            [] | [JValue::Undefined] => return Ok(JValue::Undefined),
            [JValue::String(text)] => text,
            _ => {
                let index = if matches!(args[0], JValue::String(_) | JValue::Undefined) {
                    2
                } else {
                    1
                };
                return Err(EvaluatorError::TypeError(format!(
                    "T0410: Argument {index} of function \"{}\" does not match function signature",
                    self.name
                )));
            }
        };
        let keep = |c: char| c.is_ascii_alphanumeric() || UNESCAPED.contains(c) || (self.whole_url && RESERVED.contains(c));
        if !self.decodes {
            return Ok(JValue::string(encode(text, keep)));
        }
        let reserved = if self.whole_url { RESERVED } else { "" };
        decode(text, reserved).map(JValue::string).ok_or_else(|| {
            EvaluatorError::EvaluationError(format!(
                "D3140: Malformed URL passed to ${}(): {}",
                self.name,
                serde_json::Value::from(text.as_ref()),
            ))
        })
    }
}

/// ECMA-262's Encode: each character not kept, as `%XX` per UTF-8 byte.
fn encode(text: &str, keep: impl Fn(char) -> bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if keep(c) {
            out.push(c);
        } else {
            let mut bytes = [0; 4];
            for b in c.encode_utf8(&mut bytes).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

/// ECMA-262's Decode: `%XX` escapes read as UTF-8, an escape of a character in `reserved` left
/// as written; `None` for an escape that is malformed or not UTF-8 (JavaScript's URIError).
fn decode(text: &str, reserved: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let byte_at = |i: usize| -> Option<u8> {
        let hex = bytes.get(i + 1..i + 3)?;
        (bytes[i] == b'%').then_some(())?;
        u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()
    };
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'%' {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        let first = byte_at(i)?;
        let length = match first.leading_ones() {
            0 => 1,
            n @ 2..=4 => n as usize,
            _ => return None,
        };
        let sequence: Vec<u8> = (0..length).map(|k| byte_at(i + 3 * k)).collect::<Option<_>>()?;
        let decoded = std::str::from_utf8(&sequence).ok()?;
        if length == 1 && reserved.contains(decoded) {
            out.extend_from_slice(&bytes[i..i + 3]);
        } else {
            out.extend_from_slice(decoded.as_bytes());
        }
        i += 3 * length;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(function: UrlFunction, arg: &str) -> Result<String, String> {
        match function.call(&[JValue::string(arg)]) {
            Ok(JValue::String(s)) => Ok(s.to_string()),
            Ok(other) => Err(format!("{other:?}")),
            Err(e) => Err(e.to_string()),
        }
    }

    /// jsonata-js 2.0.6's answers, run there (JavaScript's encodeURI family).
    #[test]
    fn the_four_functions_answer_as_javascript_s() {
        assert_eq!(
            call(ENCODE_URL, "https://x.com/a b?q=1&r=é#f").unwrap(),
            "https://x.com/a%20b?q=1&r=%C3%A9#f"
        );
        assert_eq!(call(ENCODE_URL_COMPONENT, "a b&c/d").unwrap(), "a%20b%26c%2Fd");
        assert_eq!(call(DECODE_URL, "https://x.com/a%20b%2F%C3%A9").unwrap(), "https://x.com/a b%2Fé");
        assert_eq!(call(DECODE_URL_COMPONENT, "a%20b%26c%2F").unwrap(), "a b&c/");
        assert_eq!(call(ENCODE_URL_COMPONENT, "😀").unwrap(), "%F0%9F%98%80");
        assert_eq!(call(DECODE_URL_COMPONENT, "%F0%9F%98%80").unwrap(), "😀");
    }

    #[test]
    fn a_malformed_escape_is_d3140() {
        for bad in ["%", "%G0", "%E0%A4%A", "%C3", "%FF", "%80"] {
            let err = call(DECODE_URL_COMPONENT, bad).unwrap_err();
            assert!(
                err.contains(&format!("D3140: Malformed URL passed to $decodeUrlComponent(): \"{bad}\"")),
                "{bad}: {err}"
            );
        }
    }
}
