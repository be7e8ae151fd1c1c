//! Names a JSONata expression reads from its context item at the top level. Step Functions
//! evaluates an expression with no context item (the input is `$states.input`, a variable is
//! `$name`), so AWS refuses such a name when the definition is created:
//! `UNSUPPORTED_JSONATA_EXPRESSION: Reference to 'phone' at the top level is not supported.
//! at /States/E/Output/v` (measured in floci-io/floci#2670: AWS refused all 297 expressions of
//! jsonata-js's test suite that open with one).
//!
//! Only the places evaluated against the top-level context are walked: a path's first step,
//! and the operands, arguments, members and branches around it. A later step, a predicate, a
//! sort term, a transform's pattern and a function's body read other contexts (or one not on
//! record), so names there are left alone: refusing what AWS runs is worse than running what
//! it refuses.

use jsonata_core::ast::AstNode;

/// The distinct names `ast` reads from the top-level context, in the order they appear.
pub(crate) fn top_level_references(ast: &AstNode) -> Vec<String> {
    let mut names = Vec::new();
    walk(ast, &mut names);
    names
}

fn walk(node: &AstNode, names: &mut Vec<String>) {
    match node {
        AstNode::Name(name) if !names.contains(name) => names.push(name.clone()),
        AstNode::Path { steps } => {
            if let Some(first) = steps.first() {
                walk(&first.node, names);
            }
        }
        AstNode::Binary { lhs, rhs, .. } => {
            walk(lhs, names);
            walk(rhs, names);
        }
        AstNode::Unary { operand, .. } => walk(operand, names),
        AstNode::Function { args, .. } => args.iter().for_each(|a| walk(a, names)),
        AstNode::Call { procedure, args } => {
            walk(procedure, names);
            args.iter().for_each(|a| walk(a, names));
        }
        AstNode::Array(items) | AstNode::Block(items) => items.iter().for_each(|i| walk(i, names)),
        AstNode::Object(pairs) => pairs.iter().for_each(|(k, v)| {
            walk(k, names);
            walk(v, names);
        }),
        AstNode::ObjectTransform { input, .. } | AstNode::Sort { input, .. } => walk(input, names),
        AstNode::Conditional {
            condition,
            then_branch,
            else_branch,
        } => {
            walk(condition, names);
            walk(then_branch, names);
            if let Some(e) = else_branch {
                walk(e, names);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::top_level_references;

    fn names(expr: &str) -> Vec<String> {
        top_level_references(&crate::jsonata::parse(expr).expect("the expression parses"))
    }

    #[test]
    fn a_bare_name_at_the_top_is_a_reference() {
        assert_eq!(names("phone"), ["phone"]);
        assert_eq!(names("phone.number"), ["phone"]);
        assert_eq!(names("$count(items) + total"), ["items", "total"]);
        assert_eq!(names("{'a': a, 'b': [b, a]}"), ["a", "b"]);
        assert_eq!(names("x ? y : z"), ["x", "y", "z"]);
    }

    #[test]
    fn variables_and_relative_steps_are_not() {
        for expr in [
            "$states.input.phone",
            "$states.input.items[price > 5].name",
            "$map($states.input.list, function($v) { $v.name })",
            "$sum($states.input.orders.(price * qty))",
            "($x := $states.input; $x.a)",
            "'phone'",
        ] {
            assert!(names(expr).is_empty(), "{expr}: {:?}", names(expr));
        }
    }
}
