//! A JSONata engine error in the words a Step Functions cause carries. AWS evaluates with
//! jsonata-js under bounds of its own, so its causes hold jsonata-js's messages (`T1006:
//! Attempted to invoke a non-function`, `D3086: The sub-picture must not contain a passive
//! character …`, recorded in floci-io/floci#2737) and, past a bound, a message of the bound with
//! no code (`Expression evaluation memory limit exceeded: …`, `Stack overflow error: …`, recorded
//! in floci-io/floci#2737 and #2783). The embedded engine words some errors its own way; where
//! jsonata-js's message has no value in it, the code alone says which message it is.

use std::borrow::Cow;

use jsonata_core::evaluator::EvaluatorError;

/// AWS's bounds on one evaluation, found on AWS in floci-io/floci#2737: an expression nested
/// more than 100 evaluations deep fails (a 101-term `1+1+…` does, boundaries measured between
/// 99 and 101), and so does one holding more than `[1..873782]` does. The embedded engine counts
/// one level more than jsonata-js's for the same tree (an n-term chain is n + 1 here), hence 99.
/// The sequence bound stands for AWS's, which is on memory: a string of 2^22 characters is
/// held there and one of 2^23 is not, which bounds the widest `$pad` (`jsonata_functions`); a
/// string built otherwise is not caught here.
pub(crate) const MAX_DEPTH: usize = 99;
pub(crate) const MAX_SEQUENCE: usize = 873_782;
pub(crate) const MAX_STRING: usize = 1 << 23;
/// AWS fails an expression that loops for ever (a tail call with no base case; floci-io/floci#2667)
/// after a time not recorded; 5 s ends one here.
pub(crate) const TIMEOUT_MS: u64 = 5_000;

/// The engine's errors for AWS's bounds, which `in_aws_words` gives in AWS's words: nesting
/// too deep for its stack, and memory.
pub(crate) const STACK_BOUND: &str = "U1001: Stack overflow";
pub(crate) const MEMORY_BOUND: &str = "D2015: Sequence too long";
/// The engine's words for running past `TIMEOUT_MS`, which AWS words as its time bound.
pub(crate) const TIME_BOUND: &str = "D1012: Evaluation timeout. Check for infinite loop";
/// A regular expression neither the engine nor `jsonata_regex_backtracking` can read.
pub(crate) const UNREADABLE_REGEX: &str = "The regular expression is not one Baton's local JSONata engine can read";

/// The message of an engine error that stands for AWS's own failure, not a JSONata one: AWS's
/// cause then says the expression "threw an internal error during evaluation." and gives a fresh
/// id (recorded for `$base64decode("!!!")` in floci-io/floci#2736). A function Baton binds
/// raises it (`jsonata_functions`); the cause is written where the field is known.
pub(crate) const INTERNAL: &str = "internal error during evaluation";

/// jsonata-js's messages that name no value, by code (jsonata-js's `errorCodes`).
const FIXED: &[(&str, &str)] = &[
    ("D1004", "Regular expression matches zero length string"),
    ("T1006", "Attempted to invoke a non-function"),
    ("T1008", "Attempted to partially apply a non-function"),
    ("T2003", "The left side of the range operator (..) must evaluate to an integer"),
    ("T2004", "The right side of the range operator (..) must evaluate to an integer"),
    ("T2006", "The right side of the function application operator ~> must be a function"),
    (
        "T2008",
        "The expressions within an order-by clause must evaluate to numeric or string values",
    ),
    ("D3001", "Attempting to invoke string function on Infinity or NaN"),
    (
        "D3131",
        "In a decimal digit pattern, all digits must be from the same decimal group",
    ),
    ("D3134", "The timezone integer format specifier cannot have more than four digits"),
    // jsonata-js's one sentence for every picture `$toMillis` cannot read a timestamp with: a
    // gap between the parts it names, an ISO week.
    (
        "D3136",
        "The date/time picture string is missing specifiers required to parse the timestamp",
    ),
    ("D3010", "Second argument of replace function cannot be an empty string"),
    ("D3011", "Fourth argument of replace function must evaluate to a positive number"),
    ("D3012", "Attempted to replace a matched string with a non-string value"),
    ("D3020", "Third argument of split function must evaluate to a positive number"),
    ("D3040", "Third argument of match function must evaluate to a positive number"),
    (
        "D3050",
        "The second argument of reduce function must be a function with at least two arguments",
    ),
    (
        "D3070",
        "The single argument form of the sort function can only be applied to an array of strings or an array of numbers.  Use the second argument to specify a comparison function",
    ),
    ("D3080", "The picture string must only contain a maximum of two sub-pictures"),
    (
        "D3081",
        "The sub-picture must not contain more than one instance of the 'decimal-separator' character",
    ),
    (
        "D3082",
        "The sub-picture must not contain more than one instance of the 'percent' character",
    ),
    (
        "D3083",
        "The sub-picture must not contain more than one instance of the 'per-mille' character",
    ),
    (
        "D3084",
        "The sub-picture must not contain both a 'percent' and a 'per-mille' character",
    ),
    (
        "D3085",
        "The mantissa part of a sub-picture must contain at least one character that is either an 'optional digit character' or a member of the 'decimal digit family'",
    ),
    (
        "D3086",
        "The sub-picture must not contain a passive character that is preceded by an active character and that is followed by another active character",
    ),
    (
        "D3087",
        "The sub-picture must not contain a 'grouping-separator' character that appears adjacent to a 'decimal-separator' character",
    ),
    (
        "D3088",
        "The sub-picture must not contain a 'grouping-separator' at the end of the integer part",
    ),
    (
        "D3089",
        "The sub-picture must not contain two adjacent instances of the 'grouping-separator' character",
    ),
    (
        "D3090",
        "The integer part of the sub-picture must not contain a member of the 'decimal digit family' that is followed by an instance of the 'optional digit character'",
    ),
    (
        "D3091",
        "The fractional part of the sub-picture must not contain an instance of the 'optional digit character' that is followed by a member of the 'decimal digit family'",
    ),
    (
        "D3092",
        "A sub-picture that contains a 'percent' or 'per-mille' character must not contain a character treated as an 'exponent-separator'",
    ),
    (
        "D3093",
        "The exponent part of the sub-picture must comprise only of one or more characters that are members of the 'decimal digit family'",
    ),
    (
        "D3138",
        "The $single() function expected exactly 1 matching result.  Instead it matched more.",
    ),
    (
        "D3139",
        "The $single() function expected exactly 1 matching result.  Instead it matched 0.",
    ),
];

/// The engine's uncoded errors for what jsonata-js does not check and JavaScript then refuses,
/// with JavaScript's `TypeError` (run in jsonata-js 2.0.6): a picture that is nothing, which the
/// signatures let through (`$formatNumber(1, $states.input.missing)`), as only that reaches
/// these words once the signature holds.
const JAVASCRIPT: &[(&str, &str)] = &[
    (
        "formatNumber() requires a number and a string",
        "Cannot read properties of undefined (reading 'split')",
    ),
    (
        "formatInteger() requires a number and a string",
        "Cannot read properties of undefined (reading 'lastIndexOf')",
    ),
];

/// The embedded engine's error, with no code, for a `&` whose operand `$string` cannot write.
pub(crate) const CONCATENATION: &str = "Cannot concatenate complex types";

/// jsonata-js's `isNumeric` throws D1001 for an infinite number met in `$string`'s
/// `JSON.stringify`, and its message writes the value as JSON: `null`.
pub(crate) const INFINITE_IN_JSON: &str = "D1001: Number out of range: null";

/// jsonata-js's message of `code` among those that name no value (`FIXED`), code first.
pub(crate) fn fixed(code: &str) -> Option<String> {
    FIXED.iter().find(|(c, _)| *c == code).map(|(_, text)| format!("{code}: {text}"))
}

/// jsonata-js's error `code` (one of `FIXED`'s) as the engine raises errors, for what Baton
/// evaluates in its place.
pub(crate) fn jsonata_js(code: &str) -> EvaluatorError {
    EvaluatorError::EvaluationError(fixed(code).unwrap_or_else(|| code.to_string()))
}

/// A coded error as the engine words one that quotes a value, `CODE: value`, which
/// `in_aws_words` puts in jsonata-js's words (`QUOTING`).
pub(crate) fn quoting(code: &str, value: &str) -> EvaluatorError {
    EvaluatorError::EvaluationError(format!("{code}: {value}"))
}

/// jsonata-js's D3135, for a picture whose `[` no `]` closes.
pub(crate) const NO_CLOSING_BRACKET: &str = "No matching closing bracket ']' in date/time picture string";

/// jsonata-js's messages that quote one value, by code, where the engine's message is that
/// value alone (`D3130: #`): the value goes where `{}` stands, as JSON.
const QUOTING: &[(&str, &str)] = &[
    (
        "D3130",
        "Formatting or parsing an integer as a sequence starting with {} is not supported by this implementation",
    ),
    ("D3132", "Unknown component specifier {} in date/time picture string"),
    (
        "D3133",
        "The 'name' modifier can only be applied to months and days in the date/time picture string, not {}",
    ),
];

/// A message the engine words its own way, in jsonata-js's words (run in jsonata-js 2.0.6:
/// `$number('abc')`, `$formatBase(10, 50)`, `$fromMillis(1, '[]')` and the tests below).
fn reworded(code: &str, message: &str) -> Option<String> {
    let detail = message.strip_prefix(code)?.strip_prefix(": ")?;
    if let Some((_, template)) = QUOTING.iter().find(|(c, _)| *c == code) {
        return Some(format!("{code}: {}", template.replace("{}", &serde_json::to_string(detail).ok()?)));
    }
    match (code, detail) {
        ("D3030", _) => {
            let text = detail.strip_prefix("Cannot convert '")?.strip_suffix("' to number")?;
            Some(format!(
                "D3030: Unable to cast value to a number: {}",
                serde_json::to_string(text).ok()?
            ))
        }
        // jsonata-js throws it only for an infinite number (its `isNumeric`, met by an operator
        // or by `$string`), which its message writes as JSON; the engine writes the value as Rust
        // does, or, for an operator's operand, not at all.
        ("D1001", "Number out of range" | "Number out of range: inf" | "Number out of range: -inf") => Some(INFINITE_IN_JSON.into()),
        ("D3100", _) => {
            let radix = detail.strip_prefix("Radix must be between 2 and 36, got ")?;
            Some(format!(
                "D3100: The radix of the formatBase function must be between 2 and 36.  It was given {radix}"
            ))
        }
        // The engine names `$split` as written; jsonata-js quotes the name (its `{{token}}`).
        ("T1010", _) => {
            let (before, after) = detail.split_once("function $")?;
            let (name, rest) = after.split_once(' ')?;
            Some(format!("T1010: {before}function \"{name}\" {rest}"))
        }
        // jsonata-js's `$error` throws `message || "$error() function evaluated"`: an empty
        // message is as none.
        ("D3137", "") => Some("D3137: $error() function evaluated".into()),
        // jsonata-js reads `[]` as a component it does not know, named "".
        ("D3135", "empty component specifier") => Some("D3132: Unknown component specifier \"\" in date/time picture string".into()),
        ("D3135", _) => Some(format!("D3135: {NO_CLOSING_BRACKET}")),
        _ => None,
    }
}

/// A number as jsonata-js writes it into a message (JavaScript's `String(n)`): whole numbers
/// below 10^21 in full, others in shortest form with a signed exponent (`1e+21`).
pub(crate) fn js_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e21 {
        return format!("{n:.0}");
    }
    let text = serde_json::Number::from_f64(n).map_or_else(|| n.to_string(), |x| x.to_string());
    match text.split_once('e') {
        Some((mantissa, exponent)) if !exponent.starts_with(['-', '+']) => format!("{mantissa}e+{exponent}"),
        _ => text,
    }
}

/// A text as jsonata-js writes it into a message (`JSON.stringify`).
pub(crate) fn as_json(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

/// What follows AWS's sentence "… threw an error during evaluation": `. ` and a coded message,
/// or `: ` and a bound's bare one.
pub(crate) fn in_aws_words(message: &str) -> (&'static str, Cow<'_, str>) {
    if let Some(unsupported) = unsupported_regex(message) {
        return (": ", Cow::Owned(unsupported));
    }
    let Some(code) = jsonata_core::evaluator::error_code_prefix(message) else {
        // A `&` whose operands could not be evaluated again (`jsonata_operators`): jsonata-js's
        // `$string` of an infinite number or NaN, the likeliest operand it cannot write (one
        // holding an infinite number is D1001 there).
        if message == CONCATENATION {
            return (". ", fixed("D3001").map_or(Cow::Borrowed(message), Cow::Owned));
        }
        if let Some((_, javascript)) = JAVASCRIPT.iter().find(|(engine, _)| *engine == message) {
            return (": ", Cow::Borrowed(javascript));
        }
        return (": ", Cow::Borrowed(message));
    };
    match code {
        // The engine's bounds: AWS says which bound, with no code.
        "D1011" | "U1001" => (
            ": ",
            Cow::Borrowed("Stack overflow error: Check for non-terminating recursive function. Consider rewriting as tail-recursive"),
        ),
        "D1012" => (": ", Cow::Borrowed("Expression evaluation timeout: Check for infinite loop")),
        "D2015" => (
            ": ",
            Cow::Borrowed("Expression evaluation memory limit exceeded: Check for excessive memory usage"),
        ),
        // jsonata-js quotes the operator (its `{{token}}` is the token as JSON).
        "T2001" | "T2002" => (". ", operand_side(code, message).map_or(Cow::Borrowed(message), Cow::Owned)),
        _ => match fixed(code) {
            Some(text) => (". ", Cow::Owned(text)),
            None => (". ", reworded(code, message).map_or(Cow::Borrowed(message), Cow::Owned)),
        },
    }
}

/// What the engine's `regex` crate cannot run that JavaScript's regular expressions can, which a
/// pattern written for it still holds (`jsonata_regex_syntax`), where Baton does not run it
/// either: applied to a text itself (`text ~> /a(?=b)/`), not handed to the functions
/// `jsonata_regex_backtracking` stands in for. A cause in Baton's words, where the crate's
/// (`regex parse error: … look-around, including look-ahead and look-behind, is not
/// supported`, the pattern as rewritten) would be all the user saw.
fn unsupported_regex(message: &str) -> Option<String> {
    let detail = message.split_once("Invalid regex: regex parse error")?.1;
    let what = if detail.contains("look-around") {
        "look-ahead or look-behind ((?=…), (?!…), (?<=…), (?<!…))"
    } else if detail.contains("backreferences") {
        r"a back-reference (\1, \k<name>)"
    } else {
        // Not one JavaScript is known to run: it may refuse it too.
        return Some(UNREADABLE_REGEX.into());
    };
    Some(format!(
        "The regular expression uses {what}, which Step Functions runs, as JavaScript does; Baton's local JSONata engine runs it handed to $match, $replace, $split or $contains, not applied to a text itself"
    ))
}

/// "T2001: The left side of the + operator …" as jsonata-js writes it: `the "+" operator`.
fn operand_side(code: &str, message: &str) -> Option<String> {
    let (side, operator) = arithmetic_misfit(code, message)?;
    Some(arithmetic_words(code, side, &serde_json::to_string(operator).ok()?))
}

/// The side and the operator of an engine's T2001/T2002 (`T2001: The left side of the +
/// operator must evaluate to a number`).
pub(crate) fn arithmetic_misfit<'a>(code: &str, message: &'a str) -> Option<(&'static str, &'a str)> {
    let side = if code == "T2001" { "left" } else { "right" };
    let operator = message
        .strip_prefix(code)?
        .strip_prefix(&format!(": The {side} side of the "))?
        .strip_suffix(" operator must evaluate to a number")?;
    Some((side, operator.trim_matches('"')))
}

/// jsonata-js's T2001/T2002, `operator` written as the message shows it (JSON, or a template's
/// token).
pub(crate) fn arithmetic_words(code: &str, side: &str, operator: &str) -> String {
    format!("{code}: The {side} side of the {operator} operator must evaluate to a number")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_free_messages_are_jsonata_js_by_code() {
        assert_eq!(
            in_aws_words("D3086: Invalid character in picture: 'x'"),
            (
                ". ",
                Cow::Borrowed(
                    "D3086: The sub-picture must not contain a passive character that is preceded by an active character and that is followed by another active character"
                )
            )
        );
        assert_eq!(
            in_aws_words("T1006: Attempted to invoke a non-function: $nope").1,
            "T1006: Attempted to invoke a non-function"
        );
        assert_eq!(
            in_aws_words("T2004: Right operand of range operator must be a number").1,
            "T2004: The right side of the range operator (..) must evaluate to an integer"
        );
        assert_eq!(
            in_aws_words(CONCATENATION),
            (
                ". ",
                Cow::Borrowed("D3001: Attempting to invoke string function on Infinity or NaN")
            )
        );
    }

    #[test]
    fn operators_are_quoted_and_messages_with_values_kept() {
        assert_eq!(
            in_aws_words("T2001: The left side of the + operator must evaluate to a number").1,
            "T2001: The left side of the \"+\" operator must evaluate to a number"
        );
        assert_eq!(
            in_aws_words("T2002: The right side of the * operator must evaluate to a number").1,
            "T2002: The right side of the \"*\" operator must evaluate to a number"
        );
        let kept = "D3060: The sqrt function cannot be applied to a negative number: -1";
        assert_eq!(in_aws_words(kept), (". ", Cow::Borrowed(kept)));
    }

    #[test]
    fn messages_with_a_value_are_jsonata_js_s() {
        for (engine, jsonata_js) in [
            (
                "D3030: Cannot convert 'abc' to number",
                "D3030: Unable to cast value to a number: \"abc\"",
            ),
            (
                "D3100: Radix must be between 2 and 36, got 50",
                "D3100: The radix of the formatBase function must be between 2 and 36.  It was given 50",
            ),
            (
                "D3130: #",
                "D3130: Formatting or parsing an integer as a sequence starting with \"#\" is not supported by this implementation",
            ),
            ("D3132: Q", "D3132: Unknown component specifier \"Q\" in date/time picture string"),
            (
                "D3134: 7",
                "D3134: The timezone integer format specifier cannot have more than four digits",
            ),
            ("D1001: Number out of range: -inf", "D1001: Number out of range: null"),
            ("D1001: Number out of range", "D1001: Number out of range: null"),
            (
                "D3135: empty component specifier",
                "D3132: Unknown component specifier \"\" in date/time picture string",
            ),
            (
                "D3135: no closing bracket in date/time picture",
                "D3135: No matching closing bracket ']' in date/time picture string",
            ),
        ] {
            assert_eq!(in_aws_words(engine), (". ", Cow::Owned(jsonata_js.to_string())), "{engine}");
        }
    }

    #[test]
    fn numbers_are_written_as_javascript_writes_them() {
        for (n, text) in [(2.0, "2"), (1e10, "10000000000"), (2.5, "2.5"), (1e21, "1e+21"), (1e-7, "1e-7")] {
            assert_eq!(js_number(n), text);
        }
    }

    #[test]
    fn bounds_are_bare_messages() {
        for (engine, aws) in [
            (
                "D1011: Stack overflow. Check …",
                "Stack overflow error: Check for non-terminating recursive function. Consider rewriting as tail-recursive",
            ),
            (
                "D2015: The maximum sequence length of 873782 was exceeded.",
                "Expression evaluation memory limit exceeded: Check for excessive memory usage",
            ),
            (
                "D1012: Evaluation timeout after 5000 milliseconds. Check for infinite loop",
                "Expression evaluation timeout: Check for infinite loop",
            ),
        ] {
            assert_eq!(in_aws_words(engine), (": ", Cow::Borrowed(aws)), "{engine}");
        }
        assert_eq!(in_aws_words("no code here").0, ": ");
    }

    #[test]
    fn what_javascript_refuses_is_in_its_words() {
        assert_eq!(
            in_aws_words("formatNumber() requires a number and a string"),
            (": ", Cow::Borrowed("Cannot read properties of undefined (reading 'split')"))
        );
    }

    #[test]
    fn what_the_engine_s_regular_expressions_cannot_run_is_said_in_baton_s_words() {
        let engine = "Argument error: Invalid regex: regex parse error:\n    foo(?=bar)\n       ^^^\nerror: look-around, including look-ahead and look-behind, is not supported";
        let (_, said) = in_aws_words(engine);
        assert!(said.starts_with("The regular expression uses look-ahead or look-behind"), "{said}");
        assert!(!said.contains("regex parse error"), "{said}");
        let (_, said) = in_aws_words("Invalid regex: regex parse error:\n (a)\\1\nerror: backreferences are not supported");
        assert!(said.contains("a back-reference"), "{said}");
    }
}
