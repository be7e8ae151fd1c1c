//! Names a JSONata expression reads from its context item at the top level. Step Functions
//! evaluates an expression with no context item (the input is `$states.input`, a variable is
//! `$name`), so AWS refuses such a name when the definition is created:
//! `UNSUPPORTED_JSONATA_EXPRESSION: Reference to 'phone' at the top level is not supported.
//! at /States/E/Output/v` (measured in floci-io/floci#2670: AWS refused all 297 expressions of
//! jsonata-js's test suite that open with one).
//!
//! Only the places evaluated against the top-level context are walked: a path's first step,
//! and the operands, arguments, members, branches and function bodies around it, as AWS walks
//! them (the expressions floci-io/floci pinned against AWS, in the tests below). A later step,
//! a predicate, a sort term and a transform's pattern read other contexts, so names there are
//! left alone. `$` alone, the context item, is named '$'. (`$$` AWS refuses by a rule of its
//! own, whose words are not on record; it evaluates to nothing at run time.)

use jsonata_core::ast::{AstNode, PathStep};

use crate::context::{ContextRead, Member};
use crate::jsonata::{MemberRead, StatesParts};

/// The distinct names `ast` reads from the top-level context, in the order they appear.
pub(crate) fn top_level_references(ast: &AstNode) -> Vec<String> {
    let mut names = Vec::new();
    walk(ast, &mut names);
    names
}

fn walk(node: &AstNode, names: &mut Vec<String>) {
    match node {
        AstNode::Name(name) if !names.contains(name) => names.push(name.clone()),
        // `$` alone is the context item, which AWS names as '$'; `$name` is a variable.
        AstNode::Variable(v) if v.is_empty() && !names.iter().any(|n| n == "$") => names.push("$".into()),
        // `phone(1)` calls what the context item holds under `phone`.
        AstNode::Function {
            name,
            args,
            is_builtin: false,
        } => {
            if !names.contains(name) {
                names.push(name.clone());
            }
            args.iter().for_each(|a| walk(a, names));
        }
        // A function's body keeps the context of the expression that defines it.
        AstNode::Lambda { body, .. } => walk(body, names),
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
        // A stand-in's call that may take the context item is handed it first, which the
        // expression did not write (`jsonata_stand_in_calls`).
        AstNode::Function { name, args, .. } if crate::jsonata_stand_in_calls::handed_the_context_item(name) => {
            args.iter().skip(1).for_each(|a| walk(a, names));
        }
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

/// Whether `ast` reads `$states.<field>` anywhere, nested expressions and function bodies
/// included. (A function parameter named `$states` would shadow it; no such expression is on
/// record, and it is read as the reference it looks like.)
pub(crate) fn reads_states(ast: &AstNode, field: &str) -> bool {
    nodes(ast)
        .into_iter()
        .any(|node| matches!(node, AstNode::Path { steps } if states_member(steps) == Some(field)))
}

/// The name a path reads of `$states` as its second step (`input` in `$states.input.a`).
fn states_member(steps: &[PathStep]) -> Option<&str> {
    let head = steps.first()?;
    matches!(&head.node, AstNode::Variable(v) if v == "states").then(|| name(steps.get(1)))?
}

/// What an expression reads of its environment, so that an evaluation binds that alone: building
/// `$states` (its context object above all) and every variable for each field was most of a
/// JSONata state's cost.
#[derive(Debug)]
pub(crate) struct Reads {
    /// The names it reads as a variable or calls as a function: a workflow variable of one of
    /// these names is bound, whatever else the name turns out to be (a function's parameter, a
    /// name it binds with `:=`), as when every variable was bound.
    pub(crate) names: Vec<String>,
    pub(crate) states: StatesRead,
}

/// How much of `$states` an expression may read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StatesRead {
    Nothing,
    /// Only named members, each as a path's second step (`$states.input.a`, `$states.result`),
    /// and of `context` only named members, as the third (`$states.context.Map.Item.Value`):
    /// `$states` is built with those alone.
    Parts(StatesParts),
    /// Anything: `$states` itself, `$states.context` whole, `$keys($states)`, `$states.*`, a
    /// parent step (`%`) that could climb back to it.
    Whole,
}

/// What `ast` reads: a name as `$name` or `$name(…)` anywhere, `$states` by how it is used.
pub(crate) fn reads(ast: &AstNode) -> Reads {
    let (mut names, mut states, mut members) = (Vec::new(), 0usize, 0usize);
    let (mut parts, mut parent) = (StatesParts::default(), false);
    for node in nodes(ast) {
        match node {
            AstNode::Variable(n) | AstNode::Function { name: n, .. } if n == "states" => states += 1,
            AstNode::Variable(n) | AstNode::Function { name: n, .. } if !n.is_empty() && !names.contains(n) => names.push(n.clone()),
            AstNode::Path { steps } => {
                fn add<T: PartialEq>(reads: &mut Vec<T>, read: T) {
                    if !reads.contains(&read) {
                        reads.push(read);
                    }
                }
                match path_read(steps) {
                    Some(PathRead::Member(read)) => add(&mut parts.members, read),
                    Some(PathRead::Context(read)) => add(&mut parts.context, read),
                    None => continue,
                }
                members += 1;
            }
            AstNode::Parent(_) => parent = true,
            _ => {}
        }
    }
    let states = match states {
        0 => StatesRead::Nothing,
        n if n == members && !parent => StatesRead::Parts(parts),
        _ => StatesRead::Whole,
    };
    Reads { names, states }
}

fn bare(step: &PathStep) -> bool {
    step.stages.is_empty() && step.focus.is_none() && step.index_var.is_none()
}

fn name(step: Option<&PathStep>) -> Option<&str> {
    match step.map(|s| &s.node) {
        Some(AstNode::Name(n)) => Some(n),
        _ => None,
    }
}

/// What a path starting `$states.<name>` reads by name.
enum PathRead {
    /// `$states.input…`, `$states.result…`: a member other than `context`.
    Member(MemberRead),
    /// `$states.context.Map…`: one member of the context object, or what it reads beneath it.
    Context(ContextRead),
}

/// What a path reads of `$states` by name, each step before a name bare (no predicate, no
/// `@`/`#` binding); `None` for a path that reads it otherwise, or reads something else.
fn path_read(steps: &[PathStep]) -> Option<PathRead> {
    states_member(steps)?;
    let names: Vec<String> = steps
        .windows(2)
        .take_while(|pair| bare(&pair[0]))
        .map_while(|pair| name(Some(&pair[1])))
        .map(str::to_string)
        .collect();
    let (member, fields) = names.split_first()?;
    if member != "context" {
        return Some(PathRead::Member(MemberRead {
            member: member.clone(),
            fields: fields.to_vec(),
        }));
    }
    let (member, fields) = fields.split_first()?;
    Some(PathRead::Context(ContextRead {
        member: Member::named(member)?,
        fields: fields.to_vec(),
    }))
}

/// Every expression in `ast`, itself first, each before the expressions inside it.
pub(crate) fn nodes(ast: &AstNode) -> Vec<&AstNode> {
    let mut found = Vec::new();
    let mut pending = vec![ast];
    while let Some(node) = pending.pop() {
        found.push(node);
        pending.extend(children(node).into_iter().rev());
    }
    found
}

/// A path step's filters, in order.
pub(crate) fn filters(step: &PathStep) -> Vec<&AstNode> {
    step.stages
        .iter()
        .filter_map(|stage| match stage {
            jsonata_core::ast::Stage::Filter(filter) => Some(filter.as_ref()),
            _ => None,
        })
        .collect()
}

/// The expressions directly inside a node, in the order written: one body for `children` and
/// `children_mut`, which differ only in how they borrow (`$($mut)?`, `iter`/`iter_mut`,
/// `as_ref`/`as_mut`, `as_deref`/`as_deref_mut`), so the two cannot drift apart.
macro_rules! children_of {
    ($node:expr, $($mut:ident)?, $iter:ident, $as:ident, $deref:ident) => {
        match $node {
            AstNode::Path { steps } => steps
                .$iter()
                .flat_map(|step| {
                    std::iter::once(&$($mut)? step.node).chain(step.stages.$iter().filter_map(|stage| match stage {
                        jsonata_core::ast::Stage::Filter(f) => Some(f.$as()),
                        _ => None,
                    }))
                })
                .collect(),
            AstNode::Binary { lhs, rhs, .. } => vec![lhs.$as(), rhs.$as()],
            AstNode::Unary { operand, .. } => vec![operand.$as()],
            AstNode::Function { args, .. } => args.$iter().collect(),
            AstNode::Call { procedure, args } => std::iter::once(procedure.$as()).chain(args.$iter()).collect(),
            AstNode::Lambda { body, .. } => vec![body.$as()],
            AstNode::Array(items) | AstNode::Block(items) | AstNode::ArrayGroup(items) => items.$iter().collect(),
            AstNode::Object(pairs) => pairs.$iter().flat_map(|(k, v)| [k, v]).collect(),
            AstNode::ObjectTransform { input, pattern } => std::iter::once(input.$as())
                .chain(pattern.$iter().flat_map(|(k, v)| [k, v]))
                .collect(),
            AstNode::Conditional {
                condition,
                then_branch,
                else_branch,
            } => [Some(condition.$as()), Some(then_branch.$as()), else_branch.$deref()]
                .into_iter()
                .flatten()
                .collect(),
            AstNode::FunctionApplication(inner) => vec![inner.$as()],
            AstNode::Sort { input, terms } => std::iter::once(input.$as()).chain(terms.$iter().map(|(t, _)| t)).collect(),
            AstNode::Transform { location, update, delete } => [Some(location.$as()), Some(update.$as()), delete.$deref()]
                .into_iter()
                .flatten()
                .collect(),
            _ => Vec::new(),
        }
    };
}

/// Every expression directly inside `node`, in the order written.
pub(crate) fn children(node: &AstNode) -> Vec<&AstNode> {
    children_of!(node, , iter, as_ref, as_deref)
}

/// `children`, to change.
pub(crate) fn children_mut(node: &mut AstNode) -> Vec<&mut AstNode> {
    children_of!(node, mut, iter_mut, as_mut, as_deref_mut)
}

#[cfg(test)]
mod tests {
    use super::{StatesRead, reads, reads_states, top_level_references};
    use crate::context::{ContextRead, Member};
    use crate::jsonata::{MemberRead, StatesParts};

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

    /// The expressions floci-io/floci pinned after running each through AWS's
    /// validate-state-machine-definition as a Pass state's Output
    /// (src/test/java/io/github/hectorvent/floci/services/stepfunctions/
    /// JsonataTopLevelReferencesTest.java): AWS names `phone` in every one of the first list,
    /// the context item `$` in the third, and accepts the second.
    #[test]
    fn the_references_aws_names_and_the_expressions_it_accepts() {
        for expr in [
            "phone",
            "phone[0].number",
            "phone.number.street",
            "-phone",
            "phone ? 1 : 2",
            "$states.input.a ? phone : 2",
            "phone & 'x'",
            "phone in $states.input.b",
            "$sum(phone)",
            "phone(1)",
            "phone ~> $string()",
            "[1..phone]",
            "(phone)",
            "(phone).other",
            "[phone].other",
            "[phone, 1]",
            "{phone: 1}",
            "($x := phone; $x)",
            "$map($states.input.a, function($y){ phone })",
            "$count(phone[inner])",
            "phone.**.deeper",
        ] {
            assert_eq!(names(expr), ["phone"], "{expr}");
        }
        for expr in [
            "$states.input.phone",
            "$states.input.a.phone",
            "$states.input.a[0].phone",
            "$states.input.a.phone[0]",
            "$states.input.items[phone > 3]",
            "$states.input.a^(phone)",
            "$states.input.a{'k': phone}",
            "$states.input.a.(phone)",
            "$states.input.a.$phone",
            "$phone",
            "$states.input.a ~> $string()",
            "$states.input ~> |phone|{'b': 1}|",
            "**.phone",
            "{'k': 1}.phone",
            "$states.input.a[0][phone]",
            "$states.input.a[$ > 1]",
            "function($x){ $x.phone }",
            "$map($states.input.a, function($x){ $x.phone })",
            "'phone'",
            "1 + 1",
            "$now()",
        ] {
            assert!(names(expr).is_empty(), "{expr}: {:?}", names(expr));
        }
        for expr in ["$", "$.phone", "$[0]", "$string($)", "$map($states.input.a, function($x){ $ })"] {
            assert_eq!(names(expr), ["$"], "{expr}");
        }
        assert_eq!(names("aaa + bbb"), ["aaa", "bbb"]);
        assert_eq!(names("[bbb, aaa]"), ["bbb", "aaa"]);
        assert_eq!(names("aaa + aaa"), ["aaa"]);
        assert_eq!(names("(aaa; bbb)"), ["aaa", "bbb"]);
    }

    #[test]
    fn a_states_field_is_found_wherever_it_is_read() {
        let reads = |expr: &str| reads_states(&crate::jsonata::parse(expr).expect("the expression parses"), "errorOutput");
        for expr in [
            "$states.errorOutput",
            "$states.errorOutput.Cause",
            "{'m': $states.errorOutput.Error}",
            "$map([1], function($v) { $states.errorOutput })",
            "$states.input.a ? $states.errorOutput : 1",
            "$states.input.list[$ = $states.errorOutput]",
        ] {
            assert!(reads(expr), "{expr}");
        }
        for expr in ["$states.input.errorOutput", "'$states.errorOutput'", "$states.result"] {
            assert!(!reads(expr), "{expr}");
        }
    }

    #[test]
    fn an_evaluation_binds_what_the_expression_reads() {
        let of = |expr: &str| reads(&crate::jsonata::parse(expr).expect("the expression parses"));
        assert_eq!(of("$i + 1").names, ["i"]);
        assert_eq!(of("$i + 1").states, StatesRead::Nothing);
        // A function's parameters and the names an expression binds are asked for too: a
        // workflow variable of that name is bound, as when every variable was.
        assert_eq!(
            of("$map($states.input.xs, function($v) { $v + $offset })").names,
            ["map", "v", "offset"]
        );
        assert_eq!(of("($n := 2; $f($n))").names, ["n", "f"]);
        for expr in [
            "$states.input",
            "$states.input.a + $states.result.b",
            "$states.errorOutput.Cause",
            "$map($states.input.xs, function($v) { $v * 2 })",
            "$states.input.xs[$ > $states.input.min]",
        ] {
            assert!(matches!(of(expr).states, StatesRead::Parts(p) if p.context.is_empty()), "{expr}");
        }
        // Each member read as its name and the names beneath it.
        let parts = |members: &[&[&str]], context: &[(Member, &[&str])]| StatesParts {
            members: members
                .iter()
                .map(|names| MemberRead {
                    member: names[0].to_string(),
                    fields: names[1..].iter().map(|f| f.to_string()).collect(),
                })
                .collect(),
            context: context
                .iter()
                .map(|(member, fields)| ContextRead {
                    member: *member,
                    fields: fields.iter().map(|f| f.to_string()).collect(),
                })
                .collect(),
        };
        let parts = |members: &[&[&str]], context: &[(Member, &[&str])]| StatesRead::Parts(parts(members, context));
        assert_eq!(
            of("$states.input.a + $states.result.b").states,
            parts(&[&["input", "a"], &["result", "b"]], &[])
        );
        assert_eq!(
            of("$states.input & $states.input.a[0].b & $states.input.c.d & $states.input[x = 1].e").states,
            parts(&[&["input"], &["input", "a"], &["input", "c", "d"]], &[])
        );
        assert_eq!(
            of("$states.context.Map.Item.Value").states,
            parts(&[], &[(Member::Map, &["Item", "Value"])])
        );
        // The names read beneath a member, up to a step that filters or binds what it reads.
        assert_eq!(
            of("$states.context.Execution.Input.cfg.to & $states.context.Execution.Input.xs[0].k").states,
            parts(
                &[],
                &[(Member::Execution, &["Input", "cfg", "to"]), (Member::Execution, &["Input", "xs"])]
            )
        );
        assert_eq!(
            of("$states.context.Execution.Input[a = 1].b & $states.context.Execution.Input.c#$i.d").states,
            parts(&[], &[(Member::Execution, &["Input"]), (Member::Execution, &["Input", "c"])])
        );
        assert_eq!(
            of("$states.input.a & $states.context.State.Name & $states.context.Execution.Id & $states.context.State.EnteredTime").states,
            parts(
                &[&["input", "a"]],
                &[
                    (Member::State, &["Name"]),
                    (Member::Execution, &["Id"]),
                    (Member::State, &["EnteredTime"])
                ]
            )
        );
        // A member filtered, or read whole, is built whole.
        assert_eq!(
            of("$states.context.Execution[Id = 'x'].Name & $states.context.Task").states,
            parts(&[], &[(Member::Execution, &[]), (Member::Task, &[])])
        );
        // Whatever could reach more of the context object needs it built whole.
        for expr in [
            "$states",
            "$states.context",
            "$states.context.Nope",
            "$states.context.*",
            "$states.context[0].Map",
            "$keys($states.context)",
            "$keys($states)",
            "$string($states)",
            "$states.*",
            "$states.**.Name",
            "$states[0].input",
            "$states.('context')",
            "$lookup($states, 'context')",
            "$states.input.a.%.context",
        ] {
            assert_eq!(of(expr).states, StatesRead::Whole, "{expr}");
        }
    }
}
