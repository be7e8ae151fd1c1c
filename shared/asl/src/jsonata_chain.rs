//! The chain operator as jsonata-js 2.0.6 runs it, the version Step Functions implements
//! (developer guide, Transforming data with JSONata). With a call on its right, `~>` calls the
//! function with the left side as its first argument and nothing more: its
//! `evaluateApplyExpression` invokes the call node directly, past the step that would apply the
//! node's filters, so `[1, 2, 3] ~> $filter(function($v){ $v > 1 })[0]` is `[2, 3]` there, not
//! `2` (run in 2.0.6). The engine applies them; the expression it is given has none there.

use jsonata_core::ast::{AstNode, BinaryOp, Stage};

/// `ast` with the filters of every call on the right of `~>` left out, as jsonata-js leaves
/// them out. A stack, not recursion: an expression may nest deeper than a thread's stack.
pub(crate) fn as_jsonata_js_runs(ast: &mut AstNode) {
    let mut pending = vec![ast];
    while let Some(node) = pending.pop() {
        if let AstNode::Binary {
            op: BinaryOp::ChainPipe,
            rhs,
            ..
        } = node
            && let Some(call) = filtered_call(rhs)
        {
            **rhs = call;
        }
        pending.extend(crate::jsonata_references::children_mut(node));
    }
}

/// The call of a step that is a call with filters and nothing else (`$f()[0]`), taken out.
fn filtered_call(node: &mut AstNode) -> Option<AstNode> {
    let AstNode::Path { steps } = node else { return None };
    let [step] = steps.as_mut_slice() else { return None };
    let bare = step.focus.is_none() && step.index_var.is_none() && step.ancestor_label.is_none();
    let only_filters = !step.stages.is_empty() && step.stages.iter().all(|stage| matches!(stage, Stage::Filter(_)));
    if !(bare && only_filters && matches!(step.node, AstNode::Function { .. })) {
        return None;
    }
    Some(std::mem::replace(&mut step.node, AstNode::Undefined))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chained(expr: &str) -> AstNode {
        let mut ast = jsonata_core::parser::parse(expr).unwrap();
        as_jsonata_js_runs(&mut ast);
        ast
    }

    #[test]
    fn a_call_on_the_right_of_a_chain_loses_its_filters() {
        assert_eq!(chained("$x ~> $f()[0]"), chained("$x ~> $f()"));
        assert_eq!(chained("$x ~> $f(1)[0][$ > 1]"), chained("$x ~> $f(1)"));
        assert_eq!(chained("[$y ~> $f()[0]]"), chained("[$y ~> $f()]"));
    }

    #[test]
    fn other_right_sides_and_other_calls_keep_theirs() {
        for expr in ["$f()[0]", "$x ~> $f().a", "$x ~> $f()#$i", "$x ~> ($f())[0]", "$x ~> $f()[0].a"] {
            let mut untouched = jsonata_core::parser::parse(expr).unwrap();
            let before = format!("{untouched:?}");
            as_jsonata_js_runs(&mut untouched);
            assert_eq!(format!("{untouched:?}"), before, "{expr}");
        }
    }
}
