//! jsonata-js's signatures of its builtins, and the check it makes of a call against one: a call
//! that does not fit, in jsonata-js's words, which are AWS's: `T0410: Argument 1 of function
//! "abs" does not match function signature` (recorded in floci-io/floci#2783), and `Argument 2`
//! for `$sum([1],2)` (floci-io/floci#2687: AWS counts as jsonata-js does). Which call an error
//! of the embedded engine's own check blames is `jsonata_signature_blame`'s.

use std::cell::RefCell;
use std::collections::HashMap;

use jsonata_core::value::JValue;
use regex_lite::Regex;

/// jsonata-js 2.x's builtins and their signatures (`staticFrame.bind(name, defineFunction(…,
/// signature))` in its jsonata.js).
pub(crate) const SIGNATURES: &[(&str, &str)] = &[
    ("sum", "<a<n>:n>"),
    ("count", "<a:n>"),
    ("max", "<a<n>:n>"),
    ("min", "<a<n>:n>"),
    ("average", "<a<n>:n>"),
    ("string", "<x-b?:s>"),
    ("substring", "<s-nn?:s>"),
    ("substringBefore", "<s-s:s>"),
    ("substringAfter", "<s-s:s>"),
    ("lowercase", "<s-:s>"),
    ("uppercase", "<s-:s>"),
    ("length", "<s-:n>"),
    ("trim", "<s-:s>"),
    ("pad", "<s-ns?:s>"),
    ("match", "<s-f<s:o>n?:a<o>>"),
    ("contains", "<s-(sf):b>"),
    ("replace", "<s-(sf)(sf)n?:s>"),
    ("split", "<s-(sf)n?:a<s>>"),
    ("join", "<a<s>s?:s>"),
    ("formatNumber", "<n-so?:s>"),
    ("formatBase", "<n-n?:s>"),
    ("formatInteger", "<n-s:s>"),
    ("parseInteger", "<s-s:n>"),
    ("number", "<(nsb)-:n>"),
    ("floor", "<n-:n>"),
    ("ceil", "<n-:n>"),
    ("round", "<n-n?:n>"),
    ("abs", "<n-:n>"),
    ("sqrt", "<n-:n>"),
    ("power", "<n-n:n>"),
    ("boolean", "<x-:b>"),
    ("not", "<x-:b>"),
    ("map", "<af>"),
    ("zip", "<a+>"),
    ("filter", "<af>"),
    ("single", "<af?>"),
    ("reduce", "<afj?:j>"),
    ("sift", "<o-f?:o>"),
    ("keys", "<x-:a<s>>"),
    ("lookup", "<x-s:x>"),
    ("append", "<xx:a>"),
    ("exists", "<x:b>"),
    ("spread", "<x-:a<o>>"),
    ("merge", "<a<o>:o>"),
    ("reverse", "<a:a>"),
    ("each", "<o-f:a>"),
    ("error", "<s?:x>"),
    ("assert", "<bs?:x>"),
    ("type", "<x:s>"),
    ("sort", "<af?:a>"),
    ("shuffle", "<a:a>"),
    ("distinct", "<x:x>"),
    ("base64encode", "<s-:s>"),
    ("base64decode", "<s-:s>"),
    ("encodeUrlComponent", "<s-:s>"),
    ("encodeUrl", "<s-:s>"),
    ("decodeUrlComponent", "<s-:s>"),
    ("decodeUrl", "<s-:s>"),
    ("toMillis", "<s-s?:n>"),
    ("fromMillis", "<n-s?s?:s>"),
    ("clone", "<(oa)-:o>"),
];

/// The parameters of a signature as jsonata-js's `parseSignature` builds them: for each, the
/// pattern its argument's type letter must match (`[nm]?` for an optional number).
fn params(signature: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut chars = signature.trim_start_matches('<').chars();
    while let Some(c) = chars.next() {
        let pattern = match c {
            ':' | '>' => break,
            's' | 'n' | 'b' | 'l' | 'o' => format!("[{c}m]"),
            'a' | 'x' => "[asnblfom]".to_string(),
            'j' => "[asnblom]".to_string(),
            'f' => "f".to_string(),
            '(' => format!("[{}m]", chars.by_ref().take_while(|&t| t != ')').collect::<String>()),
            // A type parameter (`a<n>`, `f<s:o>`) says nothing of the argument's own letter.
            '<' => {
                let mut depth = 1;
                for t in chars.by_ref() {
                    depth += match t {
                        '<' => 1,
                        '>' => -1,
                        _ => 0,
                    };
                    if depth == 0 {
                        break;
                    }
                }
                continue;
            }
            // `-` (the context item may stand in) makes the parameter optional, as `?` does.
            '-' | '?' | '+' => {
                if let Some(last) = out.last_mut() {
                    last.push(if c == '+' { '+' } else { '?' });
                }
                continue;
            }
            _ => continue,
        };
        out.push(pattern);
    }
    out
}

/// The argument jsonata-js blames for `letters` (one type letter per argument) not fitting:
/// its `throwValidationError` matches the parameters' patterns one more at a time from the
/// start, and blames the argument after the longest prefix they fit.
pub(crate) fn blamed_argument(signature: &str, letters: &str) -> usize {
    let mut prefix = String::from("^");
    let mut good_to = 0;
    for pattern in params(signature) {
        prefix.push_str(&pattern);
        match Regex::new(&prefix).ok().and_then(|re| re.find(letters)) {
            Some(m) => good_to = m.end(),
            None => break,
        }
    }
    good_to + 1
}

/// Checks a call of a function bound by signature, as jsonata-js checks one before making it:
/// `T0410` naming the argument it blames, in the words of the builtins' errors above.
pub(crate) fn check(name: &str, signature: &str, args: &[JValue]) -> Result<(), String> {
    let letters: String = args.iter().map(letter).collect();
    if fits(signature, &letters) {
        return Ok(());
    }
    let index = blamed_argument(signature, &letters);
    Err(format!(
        "T0410: Argument {index} of function \"{name}\" does not match function signature"
    ))
}

/// Whether argument type `letters` fit `signature`. The signature's pattern is compiled once per
/// thread: the functions Baton stands in for check every call, `$keys` among them.
fn fits(signature: &str, letters: &str) -> bool {
    thread_local! {
        static PATTERNS: RefCell<HashMap<String, Option<Regex>>> = RefCell::default();
    }
    PATTERNS.with(|patterns| {
        let mut patterns = patterns.borrow_mut();
        if !patterns.contains_key(signature) {
            let pattern = Regex::new(&format!("^{}$", params(signature).concat())).ok();
            patterns.insert(signature.to_owned(), pattern);
        }
        patterns
            .get(signature)
            .is_some_and(|pattern| pattern.as_ref().is_some_and(|re| re.is_match(letters)))
    })
}

/// Checks a call of jsonata-js's builtin `name` against its signature, as `check` does; a
/// function with none listed passes.
pub(crate) fn check_builtin(name: &str, args: &[JValue]) -> Result<(), String> {
    match SIGNATURES.iter().find(|(builtin, _)| *builtin == name) {
        Some((_, signature)) => check(name, signature, args),
        None => Ok(()),
    }
}

/// Whether the context item may stand in for a missing first argument of the builtin `name`
/// (a `-` in its signature): where not, jsonata-js hands a call on the context its own
/// arguments alone (`xs.$exists()` is T0410 there, as `$exists()` is).
pub(crate) fn takes_context(name: &str) -> bool {
    SIGNATURES
        .iter()
        .any(|(builtin, signature)| *builtin == name && signature.contains('-'))
}

/// A value's type letter in jsonata-js's signatures (`m` for nothing).
pub(crate) fn letter(value: &JValue) -> char {
    match value {
        JValue::Undefined => 'm',
        JValue::Null => 'l',
        JValue::Bool(_) => 'b',
        JValue::Number(_) => 'n',
        JValue::String(_) => 's',
        JValue::Array(_) => 'a',
        JValue::Object(_) => 'o',
        _ => 'f',
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The arguments jsonata-js 2.0.6 blames, run there: `$sum([1],2)` → 2 (as AWS, floci-io/
    /// floci#2687), `$abs('x',2)` → 1, `$string(1,2,3)` → 2, `$substring("abc")` → 2, `$count()`
    /// → 1, `$zip([1],[2],3,4)` fits.
    #[test]
    fn the_blamed_argument_is_jsonata_js_s() {
        for (signature, letters, index) in [
            ("<a<n>:n>", "an", 2),
            ("<n-:n>", "sn", 1),
            ("<x-b?:s>", "nnn", 2),
            ("<s-nn?:s>", "s", 2),
            ("<a:n>", "", 1),
            ("<s-(sf)(sf)n?:s>", "sssnn", 5),
        ] {
            assert_eq!(blamed_argument(signature, letters), index, "{signature} {letters}");
        }
    }
}
