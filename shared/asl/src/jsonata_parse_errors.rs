//! The parser's message about an expression in the words AWS gives it at CreateStateMachine:
//! jsonata-js 2.0.6's, without the code (`INVALID_JSONATA_EXPRESSION: Expected "]", got ","`,
//! recorded in floci-io/floci#2745), tokens written as JSON where the embedded engine names
//! their kind.

use crate::jsonata_errors::{as_json, js_number};

/// The engine's parser names a token by its kind (`RightBracket`, `String("b")`); jsonata-js's
/// messages write the token as JSON (`"]"`, `"b"`, `2`).
fn token_as_json(token: &str) -> Option<String> {
    let symbol = match token {
        "Plus" => "+",
        "Minus" => "-",
        "Star" => "*",
        "StarStar" => "**",
        "Slash" => "/",
        "Percent" => "%",
        "Equal" => "=",
        "NotEqual" => "!=",
        "LessThan" => "<",
        "LessThanOrEqual" => "<=",
        "GreaterThan" => ">",
        "GreaterThanOrEqual" => ">=",
        "And" => "and",
        "Or" => "or",
        "In" => "in",
        "Ampersand" => "&",
        "Dot" => ".",
        "DotDot" => "..",
        "Question" => "?",
        "QuestionQuestion" => "??",
        "QuestionColon" => "?:",
        "Colon" => ":",
        "ColonEqual" => ":=",
        "TildeArrow" => "~>",
        "LeftParen" => "(",
        "RightParen" => ")",
        "LeftBracket" => "[",
        "RightBracket" => "]",
        "LeftBrace" => "{",
        "RightBrace" => "}",
        "Comma" => ",",
        "Semicolon" => ";",
        "Caret" => "^",
        "Pipe" => "|",
        "Hash" => "#",
        "At" => "@",
        "Undefined" => "undefined",
        "True" => return Some("true".into()),
        "False" => return Some("false".into()),
        "Null" => return Some("null".into()),
        _ if token.starts_with("Regex {") => return regex_as_json(token),
        _ => {
            let (kind, inner) = token.strip_suffix(')')?.split_once('(')?;
            return match kind {
                // Rust's debug text of a plain string is its JSON text.
                "String" | "Identifier" | "Variable" | "Function" => Some(inner.to_string()),
                "ParentVariable" => serde_json::from_str::<String>(inner).ok().map(|name| as_json(&format!("${name}"))),
                "Number" => inner.parse::<f64>().ok().map(js_number),
                _ => None,
            };
        }
    };
    serde_json::to_string(symbol).ok()
}

/// The engine's regular expression token (`Regex { pattern: "r", flags: "i" }`) as it was
/// written, `"/r/i"`.
fn regex_as_json(token: &str) -> Option<String> {
    let (pattern, flags) = token
        .strip_prefix("Regex { pattern: ")?
        .strip_suffix(" }")?
        .split_once(", flags: ")?;
    let pattern: String = serde_json::from_str(pattern).ok()?;
    let flags: String = serde_json::from_str(flags).ok()?;
    Some(as_json(&format!("/{pattern}/{flags}")))
}

/// The parser's `message` about `expr` as AWS gives it at CreateStateMachine: jsonata-js's
/// words without the code (`INVALID_JSONATA_EXPRESSION: Expected "]", got ","`, recorded in
/// floci-io/floci#2745 with `Unexpected end of expression` and `The symbol "}" cannot be used as
/// a unary operator`).
pub(crate) fn parse_message(message: &str, expr: &str) -> String {
    let message = ["Invalid syntax: ", "Invalid number: "]
        .iter()
        .find_map(|prefix| message.strip_prefix(prefix))
        .unwrap_or(message);
    let Some(code) = jsonata_core::evaluator::error_code_prefix(message) else {
        return match message {
            "Unclosed comment" => "Comment has no closing tag".to_string(),
            other => other.to_string(),
        };
    };
    let rest = &message[code.len() + 2..];
    let reworded = match code {
        // jsonata-js writes the character after the backslash as JSON.
        "S0103" => rest
            .strip_prefix("Unsupported escape sequence: \\")
            .map(as_json)
            .map(|c| format!("Unsupported escape sequence: \\{c}")),
        // jsonata-js numbers the parameter, which the engine does not say.
        "S0208" => misnamed_parameter(expr).map(|n| format!("Parameter {n} of function definition must be a variable name (start with $)")),
        "S0204" => rest
            .strip_prefix("Unknown operator: ")
            .map(as_json)
            .map(|op| format!("Unknown operator: {op}")),
        "S0214" => rest
            .strip_prefix("Expected a variable reference after ")
            .map(as_json)
            .map(|op| format!("The right side of {op} must be a variable name (start with $)")),
        "S0202" => rest
            .strip_prefix("Expected ")
            .and_then(|r| r.split_once(", got "))
            .and_then(|(wanted, got)| Some(expected_got(&token_as_json(wanted)?, &token_as_json(got)?))),
        "S0203" => rest
            .strip_prefix("Expected ")
            .and_then(|r| r.strip_suffix(" before end of expression"))
            .and_then(token_as_json)
            .map(|wanted| format!("Expected {wanted} before end of expression")),
        "S0207" => crate::jsonata_cut_short::expected_at_end(expr)
            .map(|token| format!("Expected {} before end of expression", as_json(&token.to_string()))),
        "S0211" => rest
            .strip_prefix("The symbol ")
            .and_then(|r| r.strip_suffix(" cannot be used as a unary operator"))
            .and_then(token_as_json)
            .map(|token| not_unary(&token)),
        "S0201" => rest
            .strip_prefix("Syntax error: ")
            .and_then(token_as_json)
            .map(|token| syntax_error(&token)),
        // jsonata-js quotes the number as written.
        "S0102" => rest
            .strip_prefix("Number out of range: ")
            .map(as_json)
            .map(|number| format!("Number out of range: {number}")),
        _ => None,
    };
    reworded.unwrap_or_else(|| rest.to_string())
}

/// jsonata-js 2.0.6's parser on meeting `got` where it expected `expected` (`S0202`), tokens
/// written as JSON.
pub(crate) fn expected_got(expected: &str, got: &str) -> String {
    format!("Expected {expected}, got {got}")
}

/// jsonata-js 2.0.6's parser on meeting `token` where the expression ends (`S0201`).
pub(crate) fn syntax_error(token: &str) -> String {
    format!("Syntax error: {token}")
}

/// jsonata-js 2.0.6's parser on meeting `token`, no operand before it (`S0211`).
pub(crate) fn not_unary(token: &str) -> String {
    format!("The symbol {token} cannot be used as a unary operator")
}

/// The number, from 1, of the first parameter of a function definition in `expr` written
/// without its `$` (`function($a, b)`: 2).
fn misnamed_parameter(expr: &str) -> Option<usize> {
    ["function", "λ"].iter().find_map(|keyword| {
        expr.match_indices(keyword).find_map(|(at, _)| {
            let params = expr[at + keyword.len()..].trim_start().strip_prefix('(')?;
            let params = &params[..params.find(')')?];
            params.split(',').position(|param| !param.trim().starts_with('$')).map(|i| i + 1)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// jsonata-js 2.0.6's parser messages for the same expressions, run there.
    #[test]
    fn parser_messages_write_tokens_as_json() {
        for (engine, jsonata_js) in [
            ("S0202: Expected Colon, got RightBrace", "Expected \":\", got \"}\""),
            (
                "S0203: Expected RightParen before end of expression",
                "Expected \")\" before end of expression",
            ),
            (
                "S0211: The symbol At cannot be used as a unary operator",
                "The symbol \"@\" cannot be used as a unary operator",
            ),
            ("S0201: Syntax error: String(\"b\")", "Syntax error: \"b\""),
            ("S0201: Syntax error: Number(2.0)", "Syntax error: 2"),
            // jsonata-js lexes `$$` as the variable `$`, and `undefined` as a name.
            ("S0201: Syntax error: ParentVariable(\"\")", "Syntax error: \"$\""),
            ("S0202: Expected RightParen, got ParentVariable(\"\")", "Expected \")\", got \"$\""),
            ("S0201: Syntax error: Undefined", "Syntax error: \"undefined\""),
            // 2.0.6 never meets a literal where it expected none; written as it was.
            (
                "S0201: Syntax error: Regex { pattern: \"r\", flags: \"i\" }",
                "Syntax error: \"/r/i\"",
            ),
            (
                "Invalid syntax: S0207: Unexpected end of expression",
                "Unexpected end of expression",
            ),
            (
                "Invalid number: S0102: Number out of range: 1e400",
                "Number out of range: \"1e400\"",
            ),
        ] {
            assert_eq!(parse_message(engine, ""), jsonata_js, "{engine}");
        }
    }

    /// jsonata-js 2.0.6's words, run there.
    #[test]
    fn a_parameter_without_its_dollar_is_numbered() {
        let engine = "S0208: Parameter of function definition must be a variable name (start with $)";
        for (expr, n) in [
            ("function(x){x}", 1),
            ("function( $a ,  $b, c ){1}", 3),
            ("$map([1], function($v, i){i})", 2),
            ("λ($a, b){1}", 2),
        ] {
            assert_eq!(
                parse_message(engine, expr),
                format!("Parameter {n} of function definition must be a variable name (start with $)"),
                "{expr}"
            );
        }
    }

    /// jsonata-js 2.0.6 parses on when an expression ends where an operand is due, and fails
    /// at the first bracket it then expects closed (`S0203`); with none open, its check of the
    /// finished tree meets the end (`S0207`). Its words, run there.
    #[test]
    fn an_expression_ending_inside_a_bracket_expects_the_bracket_closed() {
        let engine = "Invalid syntax: S0207: Unexpected end of expression";
        for (expr, words) in [
            ("$count(", "Expected \")\" before end of expression"),
            ("$count($x,", "Expected \")\" before end of expression"),
            ("$count($x >", "Expected \")\" before end of expression"),
            ("[1,", "Expected \"]\" before end of expression"),
            ("{\"a\":", "Expected \"}\" before end of expression"),
            ("($x := 1;", "Expected \")\" before end of expression"),
            ("$x[$ >", "Expected \"]\" before end of expression"),
            ("function($v){", "Expected \"}\" before end of expression"),
            ("{\"a\"", "Expected \":\" before end of expression"),
            ("$ ~> |a|{}", "Expected \"|\" before end of expression"),
            ("$f([1], {'a': (", "Expected \")\" before end of expression"),
            ("$f(')', /[a](b)/, `(`, /* ( */ ", "Expected \")\" before end of expression"),
            ("$x >", "Unexpected end of expression"),
            ("$count($x) + ", "Unexpected end of expression"),
            ("$x ? 1 :", "Unexpected end of expression"),
        ] {
            assert_eq!(parse_message(engine, expr), words, "{expr}");
        }
    }
}
