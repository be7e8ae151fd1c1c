//! An operator's error in jsonata-js's words, which quote what the operator was given (its
//! `errorCodes`: `T2009: The values "a" and 1 either side of operator "<" must be of the same
//! data type`, `D1002: Cannot negate a non-numeric value: "a"`, …). AWS's causes carry
//! jsonata-js's messages (recorded in floci-io/floci#2737 and #2783); the embedded engine words
//! these without the values, or without the operator. The operator is found in the expression
//! and its operands evaluated again (in a function's body, with its parameters bound as each
//! call binds them, `jsonata_context_items::function_calls`): the node of its kind whose
//! operands fail as the engine says, or of several the one jsonata-js evaluates first
//! (`jsonata_evaluation_order`). Where none does, or that order is not certain, the engine's
//! words stay.

use jsonata_core::ast::{AstNode, BinaryOp, UnaryOp};
use jsonata_core::value::JValue;

use crate::jsonata_blame::{Blame, TOKEN, ValueOf};
use crate::jsonata_context_items::{function_calls, in_context, items};

/// jsonata-js's bound on a range, checked before the range is made (its `D2014`). Its message
/// in 2.0.6, the version Step Functions runs (developer guide, Transforming data with
/// JSONata), says "1e6" of this bound of 1e7; 2.1 corrected the words.
const RANGE_LIMIT: f64 = 1e7;

/// A value as jsonata-js writes it into a message (`JSON.stringify`).
pub(crate) fn quoted(value: &JValue) -> String {
    match value {
        JValue::Undefined => "undefined".to_string(),
        other => crate::jsonata::to_json(other).to_string(),
    }
}

fn comparable(value: &JValue) -> bool {
    matches!(value, JValue::Number(_) | JValue::String(_) | JValue::Undefined)
}

fn ordering_symbol(op: &BinaryOp) -> Option<&'static str> {
    Some(match op {
        BinaryOp::LessThan => "<",
        BinaryOp::LessThanOrEqual => "<=",
        BinaryOp::GreaterThan => ">",
        BinaryOp::GreaterThanOrEqual => ">=",
        _ => return None,
    })
}

fn arithmetic_symbol(op: &BinaryOp) -> Option<&'static str> {
    Some(match op {
        BinaryOp::Add => "+",
        BinaryOp::Subtract => "-",
        BinaryOp::Multiply => "*",
        BinaryOp::Divide => "/",
        BinaryOp::Modulo => "%",
        _ => return None,
    })
}

/// An ordering operator of `nodes` and its symbol, where every one of them is that operator and
/// none stands where `and` or `or` could rename its error (`jsonata_blame`): the operator of a
/// `T2010` whose operands cannot be evaluated again, as in a function's body, where they are
/// its parameters (`$map(xs, function($v){ $v > 1 })`).
fn the_only_ordering<'a>(nodes: &[&'a AstNode]) -> Option<(&'a AstNode, &'static str)> {
    let renames = nodes.iter().any(|node| {
        matches!(
            node,
            AstNode::Binary {
                op: BinaryOp::And | BinaryOp::Or,
                ..
            }
        )
    });
    let mut orderings = nodes.iter().filter_map(|node| match node {
        AstNode::Binary { op, .. } => ordering_symbol(op).map(|symbol| (*node, symbol)),
        _ => None,
    });
    let first = orderings.next()?;
    (!renames && orderings.all(|(_, symbol)| symbol == first.1)).then_some(first)
}

/// The node of `ast` that `misfit` finds fault with, and what it found, from the first context
/// item it does (`in_context`): the one, or of several the one jsonata-js evaluates first where
/// that is certain; none otherwise.
fn the_one<'a, T>(
    ast: &'a AstNode,
    nodes: &[&'a AstNode],
    value_of: &mut ValueOf,
    mut misfit: impl FnMut(&'a AstNode, &JValue, &mut ValueOf) -> Option<T>,
) -> Option<(&'a AstNode, T)> {
    let mut found: Vec<(&AstNode, T)> = Vec::new();
    let seen = |found: &[(&AstNode, T)], node: &AstNode| found.iter().any(|(seen, _)| std::ptr::eq(*seen, node));
    for (node, context) in in_context(nodes, value_of) {
        if seen(&found, node) {
            continue;
        }
        if let Some(fault) = misfit(node, &context, value_of) {
            found.push((node, fault));
        }
    }
    // A function's body, its parameters bound as each call binds them, in order: the first
    // call that fails raises, so the calls after it are not looked at.
    for calls in function_calls(nodes, value_of) {
        for (item, second) in &calls.given {
            let mut in_the_call = |node: &AstNode, _: &JValue| value_of(&calls.evaluating(node, second), item);
            let before = found.len();
            for node in &calls.body {
                if seen(&found, node) {
                    continue;
                }
                if let Some(fault) = misfit(node, &JValue::Undefined, &mut in_the_call) {
                    found.push((node, fault));
                }
            }
            if found.len() > before {
                break;
            }
        }
    }
    crate::jsonata_evaluation_order::the_one_evaluated_first(ast, found, value_of)
}

/// jsonata-js's error for a `&` operand its `$string` cannot write: a number that is infinite
/// or NaN (`D3001`), or an array or object holding an infinite number, which its
/// `JSON.stringify` meets (`D1001`, the value written as JSON, `null`). NaN held in one is
/// written `null` there, with no error.
fn unwritable(operand: &JValue) -> Option<String> {
    if let JValue::Number(n) = operand {
        return (!n.is_finite()).then(|| crate::jsonata_errors::fixed("D3001")).flatten();
    }
    let mut pending = vec![operand];
    while let Some(value) = pending.pop() {
        match value {
            JValue::Number(n) if n.is_infinite() => return Some(crate::jsonata_errors::INFINITE_IN_JSON.into()),
            JValue::Array(items) => pending.extend(items.iter()),
            JValue::Object(members) => pending.extend(members.values()),
            _ => {}
        }
    }
    None
}

/// The operator node `message`, an engine error from evaluating `ast`, blames when the
/// expression pins it to one node; `value_of` evaluates an operand with a context item.
pub(crate) fn blame<'a>(message: &str, ast: &'a AstNode, value_of: &mut ValueOf) -> Option<Blame<'a>> {
    let nodes = crate::jsonata_references::nodes(ast);
    if message == crate::jsonata_errors::CONCATENATION {
        // jsonata-js writes the left operand before the right.
        let (node, template) = the_one(ast, &nodes, value_of, |node, context, value_of| match node {
            AstNode::Binary {
                op: BinaryOp::Concatenate,
                lhs,
                rhs,
            } => {
                let (l, r) = (value_of(lhs, context)?, value_of(rhs, context)?);
                unwritable(&l).or_else(|| unwritable(&r))
            }
            _ => None,
        })?;
        return Some(Blame {
            node,
            template,
            token: "&".into(),
        });
    }
    let (code, rest) = message.split_once(": ")?;
    let (node, token, template) = match code {
        // Arithmetic on something not a number: jsonata-js quotes the operator.
        "T2001" | "T2002" => {
            let (side, symbol) = crate::jsonata_errors::arithmetic_misfit(code, message)?;
            let (node, ()) = the_one(ast, &nodes, value_of, |node, context, value_of| match node {
                AstNode::Binary { op, lhs, rhs } if arithmetic_symbol(op) == Some(symbol) => {
                    let operand = value_of(if code == "T2001" { lhs } else { rhs }, context)?;
                    (!operand.is_undefined() && !matches!(operand, JValue::Number(_))).then_some(())
                }
                _ => None,
            })?;
            (node, symbol, crate::jsonata_errors::arithmetic_words(code, side, TOKEN))
        }
        // Ordered comparison of a number with a string: the engine names the operator only, and
        // jsonata-js the values (in a filter, those of the first item that gives a pair:
        // `items[price > 10]` with a price of "12").
        "T2009" => {
            let symbol = rest.split('"').nth(1)?;
            let (node, (left, right)) = the_one(ast, &nodes, value_of, |node, context, value_of| match node {
                AstNode::Binary { op, lhs, rhs } if ordering_symbol(op) == Some(symbol) => {
                    let (l, r) = (value_of(lhs, context)?, value_of(rhs, context)?);
                    let both = comparable(&l) && comparable(&r) && !l.is_undefined() && !r.is_undefined();
                    (both && std::mem::discriminant(&l) != std::mem::discriminant(&r)).then_some((l, r))
                }
                _ => None,
            })?;
            let template = format!(
                "T2009: The values {} and {} either side of operator {TOKEN} must be of the same data type",
                quoted(&left),
                quoted(&right)
            );
            (node, symbol, template)
        }
        // Ordered comparison of something neither number nor string: the engine names the types.
        "T2010" => {
            let (node, symbol) = the_one(ast, &nodes, value_of, |node, context, value_of| match node {
                AstNode::Binary { op, lhs, rhs } => {
                    let symbol = ordering_symbol(op)?;
                    let (l, r) = (value_of(lhs, context)?, value_of(rhs, context)?);
                    (!comparable(&l) || !comparable(&r)).then_some(symbol)
                }
                _ => None,
            })
            .or_else(|| the_only_ordering(&nodes))?;
            let template = format!("T2010: The expressions either side of operator {TOKEN} must evaluate to numeric or string values");
            (node, symbol, template)
        }
        // An order-by clause that meets a number and a string: the engine names the types, and
        // jsonata-js the first two values its merge sort compares (`jsonata_order_by`).
        "T2007" => {
            let (node, (left, right)) = the_one(ast, &nodes, value_of, |node, context, value_of| match node {
                AstNode::Sort { input, terms } => {
                    let keys: Vec<Vec<JValue>> = items(value_of(input, context)?)
                        .iter()
                        .map(|item| terms.iter().map(|(term, _)| value_of(term, item)).collect())
                        .collect::<Option<_>>()?;
                    let descending: Vec<bool> = terms.iter().map(|(_, ascending)| !ascending).collect();
                    crate::jsonata_order_by::first_mismatch(&keys, &descending)
                }
                _ => None,
            })?;
            let template = format!(
                "T2007: Type mismatch when comparing values {} and {} in order-by clause",
                quoted(&left),
                quoted(&right)
            );
            (node, "^", template)
        }
        "D1002" => {
            let (node, value) = the_one(ast, &nodes, value_of, |node, context, value_of| match node {
                AstNode::Unary {
                    op: UnaryOp::Negate,
                    operand,
                } => {
                    let value = value_of(operand, context)?;
                    (!value.is_undefined() && !matches!(value, JValue::Number(_))).then_some(value)
                }
                _ => None,
            })?;
            (node, "-", format!("D1002: Cannot negate a non-numeric value: {}", quoted(&value)))
        }
        "D2014" => {
            let (node, size) = the_one(ast, &nodes, value_of, |node, context, value_of| match node {
                AstNode::Binary {
                    op: BinaryOp::Range,
                    lhs,
                    rhs,
                } => match (value_of(lhs, context)?, value_of(rhs, context)?) {
                    (JValue::Number(from), JValue::Number(to)) => Some(to - from + 1.0).filter(|size| *size > RANGE_LIMIT),
                    _ => None,
                },
                _ => None,
            })?;
            let template = format!(
                "D2014: The size of the sequence allocated by the range operator (..) must not exceed 1e6.  Attempted to allocate {}.",
                crate::jsonata_errors::js_number(size)
            );
            (node, "..", template)
        }
        _ => return None,
    };
    Some(Blame {
        node,
        template,
        token: token.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Operands as the expressions below have them: literals, and `$states.input.s` holding "a".
    fn reworded(message: &str, expr: &str) -> Option<String> {
        let ast = crate::jsonata::parse(expr).unwrap();
        crate::jsonata_blame::in_jsonata_js_words(message, &ast, &mut |node, _| {
            Some(match node {
                AstNode::String(s) => JValue::string(s.as_str()),
                AstNode::Number(n) => JValue::Number(*n),
                AstNode::Boolean(b) => JValue::Bool(*b),
                AstNode::Path { .. } => JValue::string("a"),
                _ => JValue::Undefined,
            })
        })
    }

    /// jsonata-js 2.0.6's messages for the same expressions, run there.
    #[test]
    fn operands_and_operators_are_quoted_as_jsonata_js_quotes_them() {
        for (engine, expr, jsonata_js) in [
            (
                "T2009: The expressions on either side of operator \"<\" must be of the same data type",
                "$states.input.s < 1",
                "T2009: The values \"a\" and 1 either side of operator \"<\" must be of the same data type",
            ),
            (
                "T2010: Cannot compare boolean and boolean",
                "1 < 2 or true >= false",
                "T2010: The expressions either side of operator \"or\" must evaluate to numeric or string values",
            ),
            (
                "T2001: The left side of the + operator must evaluate to a number",
                "1 + 2 * ('a' + 1)",
                "T2001: The left side of the \"+\" operator must evaluate to a number",
            ),
            (
                "T2010: Cannot compare boolean and boolean",
                "true >= false",
                "T2010: The expressions either side of operator \">=\" must evaluate to numeric or string values",
            ),
            (
                "D1002: Cannot negate non-number value",
                "-1 + -'a'",
                "D1002: Cannot negate a non-numeric value: \"a\"",
            ),
            (
                "D2014: Range operator results in too many elements (> 10,000,000)",
                "[1..3] ~> $append([1..1e10])",
                "D2014: The size of the sequence allocated by the range operator (..) must not exceed 1e6.  Attempted to allocate 10000000000.",
            ),
        ] {
            assert_eq!(reworded(engine, expr).as_deref(), Some(jsonata_js), "{expr}");
        }
    }

    /// Operands that are a function's parameters cannot be evaluated again; where the
    /// expression has but one ordering operator, the error is its (jsonata-js 2.0.6, run there).
    #[test]
    fn the_only_ordering_operator_is_named_when_its_operands_are_parameters() {
        let named = "T2010: The expressions either side of operator \">\" must evaluate to numeric or string values";
        // Two operators, or one where `and` would rename it: the engine's words.
        for (expr, jsonata_js) in [
            ("$map([{}], function($v){ $v > 1 })", Some(named)),
            ("$map([{}], function($v){ $v > 1 or $v < 0 })", None),
            ("$map([{}], function($v){ $v > 1 and $v > 0 })", None),
        ] {
            assert_eq!(
                reworded("T2010: Cannot compare object and number", expr).as_deref(),
                jsonata_js,
                "{expr}"
            );
        }
    }

    /// Of two candidates, the one jsonata-js 2.0.6 evaluates first where that is certain (run
    /// there); none where it is not, or where no node fits.
    #[test]
    fn two_candidates_name_the_first_evaluated_or_keep_the_engine_s_words() {
        let engine = "T2009: The expressions on either side of operator \"<\" must be of the same data type";
        assert_eq!(
            reworded(engine, "$states.input.s < 1 or 2 < 'b'").as_deref(),
            Some("T2009: The values \"a\" and 1 either side of operator \"<\" must be of the same data type")
        );
        assert_eq!(reworded(engine, "($x or 2 < 'b') and $states.input.s < 1"), None);
        assert_eq!(reworded(engine, "$filter([1], function($v) { $v < 'a' })"), None);
        assert_eq!(
            reworded("T2010: Cannot compare boolean and boolean", "true < false or true > false").as_deref(),
            Some("T2010: The expressions either side of operator \"<\" must evaluate to numeric or string values")
        );
    }
}
