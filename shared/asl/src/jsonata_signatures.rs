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

/// The type letters of jsonata-js's signatures, one for each type a value may have (`m` for
/// nothing, `f` for a function), as `letter` gives them.
const TYPES: &str = "asnblfom";

/// The parameters of a signature as jsonata-js's `parseSignature` builds them: for each, the
/// pattern its argument's type letter must match (`[nm]?` for an optional number).
fn params(signature: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut chars = signature.trim_start_matches('<').chars();
    while let Some(c) = chars.next() {
        let pattern = match c {
            ':' | '>' => break,
            's' | 'n' | 'b' | 'l' | 'o' => format!("[{c}m]"),
            'a' | 'x' => format!("[{TYPES}]"),
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
fn blamed_argument(signature: &str, letters: &str) -> usize {
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

/// Whether jsonata-js hands a call of `signature` given arguments of the type `letters` the
/// context item for its first argument: where the first parameter may take it (`-`) and, the
/// arguments matched against the parameters (its `validate`), that parameter matches none of
/// them. `items.$uppercase()` and `items.$substring(1)` take the item; `items.$pad()` does not
/// (its second parameter must be given), nor `items.$substring('a', 1)`.
pub(crate) fn context_stands_in(signature: &str, letters: &str) -> bool {
    if !first_takes_context(signature) {
        return false;
    }
    let grouped: String = params(signature).iter().map(|pattern| format!("({pattern})")).collect();
    matching(&format!("^{grouped}$"), |re| {
        re.captures(letters)
            .and_then(|groups| groups.get(1))
            .is_some_and(|first| first.as_str().is_empty())
    })
}

/// Whether the first parameter of `signature` is one the context item may stand in for: a `-`
/// after its type (`<s-:s>`, `<(nsb)-:n>`).
pub(crate) fn first_takes_context(signature: &str) -> bool {
    let spec = signature.trim_start_matches('<');
    let after_type = match spec.strip_prefix('(') {
        Some(choice) => choice.split_once(')').map_or("", |(_, rest)| rest),
        None => spec.get(1..).unwrap_or(""),
    };
    after_type.starts_with('-')
}

/// Whether the first parameter of `signature` takes `value`, as jsonata-js checks the context
/// item it hands a call (`contextRegex`): `$uppercase`'s takes a string or nothing.
pub(crate) fn first_accepts(signature: &str, value: &JValue) -> bool {
    params(signature).first().is_some_and(|pattern| {
        let pattern = pattern.trim_end_matches(['?', '+']);
        matching(&format!("^{pattern}$"), |re| re.is_match(&letter(value).to_string()))
    })
}

/// Whether parameter `index` (from 1) of `signature` is one an argument of some type does not
/// fit: `$string`'s first (`x`) takes anything, `$abs`'s (`n`) a number or nothing.
pub(crate) fn refuses_a_type(signature: &str, index: usize) -> bool {
    index
        .checked_sub(1)
        .and_then(|at| params(signature).into_iter().nth(at))
        .is_some_and(|pattern| !pattern.starts_with(&format!("[{TYPES}]")))
}

/// The argument jsonata-js blames for arguments of the type `letters` say, where `None` is an
/// argument whose type is not known (it reads a path step's item or a function's parameters):
/// the one blamed whatever type each such argument has where they do not fit, or none where
/// their types decide it or the arguments fit whatever their types.
/// `$count(id, 2)` blames argument 2 whatever `id` is; `$uppercase(id, 1)` argument 1 where `id`
/// is a number, 2 where it is a string.
pub(crate) fn blamed_argument_of_any(signature: &str, letters: &[Option<char>]) -> Option<usize> {
    // Eight types to the power of the unknown arguments: past three, not worked out.
    if letters.iter().filter(|l| l.is_none()).count() > 3 {
        return None;
    }
    let mut spelt = vec![String::new()];
    for known in letters {
        spelt = spelt
            .iter()
            .flat_map(|prefix| {
                let options: Vec<char> = known.map_or_else(|| TYPES.chars().collect(), |c| vec![c]);
                options.into_iter().map(move |c| format!("{prefix}{c}"))
            })
            .collect();
    }
    let mut blamed = spelt
        .iter()
        .filter(|letters| !fits(signature, letters))
        .map(|letters| blamed_argument(signature, letters));
    let first = blamed.next()?;
    blamed.all(|index| index == first).then_some(first)
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

/// Whether argument type `letters` fit `signature`.
fn fits(signature: &str, letters: &str) -> bool {
    matching(&format!("^{}$", params(signature).concat()), |re| re.is_match(letters))
}

/// `test` of `pattern` compiled, false where it does not compile. Each pattern is compiled once
/// per thread: the functions Baton stands in for check every call, `$keys` among them, and a
/// call on each of a path step's items asks whether the item stands in for its first argument.
fn matching(pattern: &str, test: impl FnOnce(&Regex) -> bool) -> bool {
    thread_local! {
        static PATTERNS: RefCell<HashMap<String, Option<Regex>>> = RefCell::default();
    }
    PATTERNS.with(|patterns| {
        let mut patterns = patterns.borrow_mut();
        if !patterns.contains_key(pattern) {
            patterns.insert(pattern.to_owned(), Regex::new(pattern).ok());
        }
        patterns.get(pattern).and_then(Option::as_ref).is_some_and(test)
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

    /// The argument blamed whatever type an unknown argument has, or none where its type decides
    /// (jsonata-js 2.0.6, run there with a number and with a string for `id`).
    #[test]
    fn an_argument_of_unknown_type_blames_one_only_where_its_type_does_not_decide() {
        for (signature, letters, index) in [
            ("<a:n>", vec![None, Some('n')], Some(2)),
            ("<x-:a<s>>", vec![None, Some('n')], Some(2)),
            ("<s-nn?:s>", vec![None, Some('n'), Some('n'), Some('n')], None),
            ("<s-:s>", vec![None, Some('n')], None),
            ("<x-b?:s>", vec![Some('n'), None, Some('n')], None),
            ("<a<s>s?:s>", vec![None, Some('s'), Some('n')], Some(3)),
            ("<a:n>", vec![], Some(1)),
            ("<a:n>", vec![None, None, None, None], None),
            ("<af>", vec![Some('a'), Some('f')], None),
            ("<af>", vec![Some('a'), None], Some(2)),
        ] {
            assert_eq!(blamed_argument_of_any(signature, &letters), index, "{signature} {letters:?}");
        }
    }

    /// jsonata-js 2.0.6, run there on a path step's items: `["a"].$uppercase()` is "A",
    /// `["abc"].$substring(1)` "bc", `["a"].$pad()` T0410 argument 1, `["abc"].$substring("x", 1)`
    /// T0410 argument 2 (no context taken), `[1].$number(1)` 1.
    #[test]
    fn the_context_item_stands_in_where_the_first_parameter_matches_nothing() {
        for (signature, letters, stands_in) in [
            ("<s-:s>", "", true),
            ("<s-nn?:s>", "n", true),
            ("<s-ns?:s>", "", false),
            ("<s-nn?:s>", "sn", false),
            ("<(nsb)-:n>", "n", false),
            ("<(nsb)-:n>", "", true),
            ("<a:n>", "", false),
            ("<x-b?:s>", "", true),
        ] {
            assert_eq!(context_stands_in(signature, letters), stands_in, "{signature} {letters}");
        }
    }

    #[test]
    fn a_parameter_that_takes_anything_refuses_no_type() {
        for (signature, index, refuses) in [
            ("<x-b?:s>", 1, false),
            ("<x-b?:s>", 2, true),
            ("<n-:n>", 1, true),
            ("<a<n>:n>", 1, false),
            ("<j-:s>", 1, true),
            ("<n-:n>", 2, false),
            ("<n-:n>", 0, false),
        ] {
            assert_eq!(refuses_a_type(signature, index), refuses, "{signature} {index}");
        }
    }

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
