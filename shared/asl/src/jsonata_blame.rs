//! An engine error pinned to the node of the expression that raised it, and written as
//! jsonata-js writes it. The embedded engine words some errors without what jsonata-js's
//! messages name (a function, an operator, the values); `jsonata_signatures` and
//! `jsonata_operators` find the node and the words. jsonata-js then renames the culprit of an
//! error raised inside the right operand of `and` or `or`: its `evaluateBinary` catches what
//! that operand throws and sets the error's `{{token}}` to the operator, so `true and
//! $sum(['a'])` is `Argument 1 of function "and" must be an array of "numbers"` (run in
//! jsonata-js 2.0.6). AWS does the same: `$targetAz != '' and $lookup($azSubnetMap, $targetAz)
//! != null` failed on AWS with `T0410: Argument 2 of function "and" does not match function
//! signature` (an account of runs against the Step Functions API, in a project's ADR found in
//! the public corpus; see tests/jsonata_reference.rs).

use jsonata_core::ast::{AstNode, BinaryOp};
use jsonata_core::value::JValue;

/// Where `{{token}}` stands in a template: jsonata-js writes the token as JSON there.
pub(crate) const TOKEN: &str = "{{token}}";

/// An error pinned to the node that raised it: jsonata-js's message with `{{token}}` for the
/// culprit's name, and the name (the function, or the operator).
pub(crate) struct Blame<'a> {
    pub(crate) node: &'a AstNode,
    pub(crate) template: String,
    pub(crate) token: String,
}

/// Evaluates a node of the expression with a context item (`Undefined` for none), as the
/// expression's evaluator does; `None` for a node whose evaluation fails, which so cannot be
/// where the error was raised around it: its own error would have been.
pub(crate) type ValueOf<'v> = dyn FnMut(&AstNode, &JValue) -> Option<JValue> + 'v;

/// `message`, an engine error from evaluating `ast`, in jsonata-js's words when the expression
/// pins it to one node; `value_of` evaluates an operand or an argument.
pub(crate) fn in_jsonata_js_words(message: &str, ast: &AstNode, value_of: &mut ValueOf) -> Option<String> {
    let blame = crate::jsonata_signature_blame::blame(message, ast, value_of)
        .or_else(|| crate::jsonata_operators::blame(message, ast, value_of))?;
    let token = renamed_by(ast, blame.node).unwrap_or(&blame.token);
    Some(blame.template.replace(TOKEN, &serde_json::to_string(token).ok()?))
}

/// The operator of the outermost `and` or `or` whose right operand holds `node`.
fn renamed_by<'a>(ast: &AstNode, node: &AstNode) -> Option<&'a str> {
    crate::jsonata_references::nodes(ast)
        .into_iter()
        .find_map(|candidate| match candidate {
            AstNode::Binary {
                op: op @ (BinaryOp::And | BinaryOp::Or),
                rhs,
                ..
            } if crate::jsonata_references::nodes(rhs)
                .into_iter()
                .any(|inner| std::ptr::eq(inner, node)) =>
            {
                Some(if *op == BinaryOp::And { "and" } else { "or" })
            }
            _ => None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// jsonata-js 2.0.6's messages for the same expressions, run there.
    #[test]
    fn an_error_in_the_right_operand_of_and_or_is_named_after_it() {
        let words = |message: &str, expr: &str| {
            let ast = crate::jsonata::parse(expr).unwrap();
            in_jsonata_js_words(message, &ast, &mut |node, _| {
                Some(match node {
                    AstNode::String(s) => JValue::string(s.as_str()),
                    AstNode::Number(n) => JValue::Number(*n),
                    AstNode::Array(_) => JValue::array(vec![JValue::string("a")]),
                    _ => JValue::Undefined,
                })
            })
        };
        assert_eq!(
            words("T0412: Argument 1 must be an array of Number", "true and $sum(['a'])").as_deref(),
            Some("T0412: Argument 1 of function \"and\" must be an array of \"numbers\"")
        );
        assert_eq!(
            words(
                "T2009: The expressions on either side of operator \"<\" must be of the same data type",
                "false or (true and 'a' < 1)"
            )
            .as_deref(),
            Some("T2009: The values \"a\" and 1 either side of operator \"or\" must be of the same data type")
        );
        // The left operand keeps its own name.
        assert_eq!(
            words("T0412: Argument 1 must be an array of Number", "$sum(['a']) and true").as_deref(),
            Some("T0412: Argument 1 of function \"sum\" must be an array of \"numbers\"")
        );
    }
}
