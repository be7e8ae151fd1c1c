//! The context items a part of an expression is evaluated with, for evaluating it again when an
//! error is to be worded as jsonata-js words it: a filter's nodes read each item of the step
//! they filter, and a call that is a path's later step reads each value of the steps before it.
//! jsonata-js evaluates both item by item, in order, so the first item that fails raises; what
//! a call was given for each item follows from them (`given_item_by_item`). A function handed to
//! a builtin that calls it item by item is evaluated so too, its parameters bound to each call's
//! arguments (`function_calls`).

use jsonata_core::ast::{AstNode, PathStep, Stage};
use jsonata_core::value::JValue;

use crate::jsonata_blame::ValueOf;
use crate::jsonata_signatures::{context_stands_in, letter};

/// The items a value holds as a sequence: an array's, one value's self, nothing's none.
pub(crate) fn items(value: JValue) -> Vec<JValue> {
    match value {
        JValue::Array(items) => items.iter().cloned().collect(),
        JValue::Undefined => Vec::new(),
        one => vec![one],
    }
}

/// The items the filters of step `at` read: the path up to that step, evaluated without the
/// step's own stages.
fn filtered_items(steps: &[PathStep], at: usize, value_of: &mut ValueOf) -> Vec<JValue> {
    let mut upto = steps[..=at].to_vec();
    upto[at].stages.clear();
    items(value_of(&AstNode::Path { steps: upto }, &JValue::Undefined).unwrap_or(JValue::Undefined))
}

/// Each of `nodes` (an expression's) with a context item it is evaluated with: every node with
/// none, then each node of a filter with each item the filter reads, in order.
pub(crate) fn in_context<'a>(nodes: &[&'a AstNode], value_of: &mut ValueOf) -> Vec<(&'a AstNode, JValue)> {
    let mut found: Vec<(&AstNode, JValue)> = nodes.iter().map(|node| (*node, JValue::Undefined)).collect();
    for node in nodes {
        let AstNode::Path { steps } = node else { continue };
        for (at, step) in steps.iter().enumerate() {
            let filters = crate::jsonata_references::filters(step);
            if filters.is_empty() {
                continue;
            }
            for item in filtered_items(steps, at, value_of) {
                for filter in &filters {
                    found.extend(
                        crate::jsonata_references::nodes(filter)
                            .into_iter()
                            .map(|inner| (inner, item.clone())),
                    );
                }
            }
        }
    }
    found
}

/// A function written where a builtin that calls it item by item is handed it, with the nodes
/// of its body and what each call is given, in order: for `$map`, `$filter` and `$single` an
/// array's items and their indexes, for `$each` and `$sift` an object's values and their keys,
/// as jsonata-js's `hofFuncArgs` gives them to a function of one or two parameters, and for
/// `$sort` the two items its merge sort compares.
pub(crate) struct Calls<'a> {
    params: &'a [String],
    pub(crate) body: Vec<&'a AstNode>,
    pub(crate) given: Vec<(JValue, AstNode)>,
}

impl Calls<'_> {
    /// `node`, a node of the body, as the call given `second` evaluates it: the function
    /// applied to the item (the context item, `$`, stands for it) and `second`, its body `node`.
    pub(crate) fn evaluating(&self, node: &AstNode, second: &AstNode) -> AstNode {
        let args = [AstNode::Variable(String::new()), second.clone()];
        AstNode::Call {
            procedure: Box::new(AstNode::Lambda {
                params: self.params.to_vec(),
                body: Box::new(node.clone()),
                signature: None,
                thunk: false,
            }),
            args: args.into_iter().take(self.params.len()).collect(),
        }
    }
}

/// The calls of a function looked at, in order, when its body's error is worded: each costs
/// an evaluation of the nodes that could have failed, so a failure late in a long array would
/// take seconds to word; past them, the engine's words stay.
const MOST_CALLS: usize = 10_000;

/// The functions of `nodes` (an expression's) written in a call of a builtin that calls them
/// item by item, where that builtin's first argument evaluates again; a function of more than
/// two parameters is given the whole array or object too, and is left out.
pub(crate) fn function_calls<'a>(nodes: &[&'a AstNode], value_of: &mut ValueOf) -> Vec<Calls<'a>> {
    // `$map(xs, f)`, or `xs ~> $map(f)`, whose chain hands the call `xs` first.
    let written = nodes.iter().filter_map(|node| match node {
        AstNode::Function { name, args, .. } => match args.as_slice() {
            [over, function, ..] => Some((name, over, function)),
            _ => None,
        },
        _ => None,
    });
    let chained = crate::jsonata_calls::chains(nodes)
        .into_iter()
        .filter_map(|(over, call)| match call {
            AstNode::Function { name, args, .. } => args.first().map(|function| (name, over, function)),
            _ => None,
        });
    let mut found = Vec::new();
    for (name, over, function) in written.chain(chained) {
        let AstNode::Lambda { params, body, .. } = function else { continue };
        if params.is_empty() || params.len() > 2 {
            continue;
        }
        let Some(value) = value_of(over, &JValue::Undefined) else {
            continue;
        };
        let mut calls = Calls {
            params,
            body: crate::jsonata_references::nodes(body),
            given: Vec::new(),
        };
        calls.given = match (name.as_str(), value) {
            ("map" | "filter" | "single", value) => items(value)
                .into_iter()
                .enumerate()
                .map(|(index, item)| (item, AstNode::Number(index as f64)))
                .collect(),
            ("each" | "sift", JValue::Object(members)) => members
                .iter()
                .map(|(key, value)| (value.clone(), AstNode::String(key.to_string())))
                .collect(),
            ("sort", value) => comparisons(&calls, body, items(value), value_of),
            _ => continue,
        };
        calls.given.truncate(MOST_CALLS);
        found.push(calls);
    }
    found
}

/// The pairs jsonata-js's `$sort` hands the function it is given, in the order its merge sort
/// asks (`jsonata_order_by::merge_sort`), as far as the first call that fails: each call's
/// answer, true as JavaScript takes a value to be true, decides the pairs after it.
fn comparisons(calls: &Calls, body: &AstNode, items: Vec<JValue>, value_of: &mut ValueOf) -> Vec<(JValue, AstNode)> {
    let mut given = Vec::new();
    let _stopped = crate::jsonata_order_by::merge_sort((0..items.len()).collect(), &mut |a, b| {
        let second = literal(&items[b]).filter(|_| given.len() < MOST_CALLS).ok_or(())?;
        let answer = value_of(&calls.evaluating(body, &second), &items[a]);
        given.push((items[a].clone(), second));
        answer.map(|answer| truthy(&answer)).ok_or(())
    });
    given
}

/// JavaScript's truthiness, by which jsonata-js's merge sort takes a comparator's answer.
fn truthy(value: &JValue) -> bool {
    match value {
        JValue::Bool(b) => *b,
        JValue::Number(n) => *n != 0.0 && !n.is_nan(),
        JValue::String(s) => !s.is_empty(),
        JValue::Null | JValue::Undefined => false,
        _ => true,
    }
}

/// An expression that evaluates to `value`, for a call to be handed it; none for a function.
fn literal(value: &JValue) -> Option<AstNode> {
    Some(match value {
        JValue::Null => AstNode::Null,
        JValue::Bool(b) => AstNode::Boolean(*b),
        JValue::Number(n) => AstNode::Number(*n),
        JValue::String(s) => AstNode::String(s.to_string()),
        JValue::Undefined => AstNode::Undefined,
        JValue::Array(items) => AstNode::Array(items.iter().map(literal).collect::<Option<_>>()?),
        JValue::Object(members) => AstNode::Object(
            members
                .iter()
                .map(|(key, value)| Some((AstNode::String(key.to_string()), literal(value)?)))
                .collect::<Option<_>>()?,
        ),
        _ => return None,
    })
}

/// The items `call` is evaluated with, in order, where the expression says: as a later step
/// of `enclosure`, the outermost path or function body it is in
/// (`jsonata_calls::calls_reading_an_inner_context`), each value of the steps before
/// (`items.$count(id, 2)`); in the first filter of one of its steps, outside any path or
/// function inside that filter (`items[$count(id, 2) > 0]`), each item filtered. None elsewhere:
/// a path inside the enclosure reads items the expression alone does not give. None too where
/// the items, evaluated again, fail or are none: the call failed, so was evaluated with some.
fn items_a_call_reads(call: &AstNode, enclosure: &AstNode, value_of: &mut ValueOf) -> Option<Vec<JValue>> {
    let AstNode::Path { steps } = enclosure else {
        return None;
    };
    for (at, step) in steps.iter().enumerate() {
        if at > 0 && read_with_the_item(&step.node).iter().any(|n| is_the_call(n, call)) {
            let before = AstNode::Path {
                steps: steps[..at].to_vec(),
            };
            return non_empty(items(value_of(&before, &JValue::Undefined)?));
        }
        let first_filter = step.stages.first().and_then(|stage| match stage {
            Stage::Filter(filter) => Some(filter.as_ref()),
            _ => None,
        });
        if first_filter.is_some_and(|filter| read_with_the_item(filter).iter().any(|n| std::ptr::eq(*n, call))) {
            return non_empty(filtered_items(steps, at, value_of));
        }
    }
    None
}

fn non_empty(items: Vec<JValue>) -> Option<Vec<JValue>> {
    Some(items).filter(|items| !items.is_empty())
}

fn is_the_call(node: &AstNode, call: &AstNode) -> bool {
    match node {
        AstNode::FunctionApplication(inner) => is_the_call(inner, call),
        node => std::ptr::eq(node, call),
    }
}

/// The nodes of a step or a filter evaluated with the item it reads: those reached through
/// operators, conditions, call arguments and the constructors and blocks that hold them
/// (`items.{"v": $abs(n)}`), not inside a path or a function of its own.
fn read_with_the_item(node: &AstNode) -> Vec<&AstNode> {
    // A stack, not recursion: an expression may nest deeper than a thread's stack allows.
    let mut found = Vec::new();
    let mut pending = vec![node];
    while let Some(node) = pending.pop() {
        found.push(node);
        let same_item = matches!(
            node,
            AstNode::Binary { .. }
                | AstNode::Unary { .. }
                | AstNode::FunctionApplication(_)
                | AstNode::Function { .. }
                | AstNode::Conditional { .. }
                | AstNode::Array(_)
                | AstNode::Block(_)
                | AstNode::Object(_)
        );
        if same_item {
            pending.extend(crate::jsonata_references::children(node));
        }
    }
    found
}

/// Whether an argument reads nothing but the context item, `$states` and what it writes out
/// (`id`, `$.tags[0]`, `$count(tags) + 1`): evaluated again with an item, it is what the call
/// was given for that item. A variable a function's parameters or a focus bind is not.
fn reads_only_the_item(arg: &AstNode) -> bool {
    crate::jsonata_references::nodes(arg).iter().all(|node| match node {
        AstNode::Variable(name) => name.is_empty() || name == "states",
        AstNode::ParentVariable(_) | AstNode::Parent(_) | AstNode::Lambda { .. } => false,
        AstNode::Path { steps } => steps.iter().all(|step| step.focus.is_none() && step.index_var.is_none()),
        _ => true,
    })
}

/// What a call that reads a path step's item was given for one item: the item itself, where
/// jsonata-js hands it the item for its first argument (`items.$uppercase()`,
/// `context_stands_in`), and its arguments.
pub(crate) struct Given {
    pub(crate) context: Option<JValue>,
    pub(crate) args: Vec<JValue>,
}

/// What a call that reads a path step's item was given, item by item, in the order jsonata-js
/// evaluates them: where the expression says which items (`enclosure` is the outermost path the
/// call is in, `items_a_call_reads`) and its arguments read nothing else.
pub(crate) fn given_item_by_item(
    call: &AstNode,
    signature: &str,
    args: &[&AstNode],
    enclosure: &AstNode,
    value_of: &mut ValueOf,
) -> Option<Vec<Given>> {
    if !args.iter().all(|arg| written_whole(arg) || reads_only_the_item(arg)) {
        return None;
    }
    items_a_call_reads(call, enclosure, value_of)?
        .into_iter()
        .map(|item| {
            let args: Vec<JValue> = args.iter().map(|arg| value_of(arg, &item)).collect::<Option<_>>()?;
            let letters: String = args.iter().map(letter).collect();
            let context = context_stands_in(signature, &letters).then_some(item);
            Some(Given { context, args })
        })
        .collect()
}

/// Whether an argument's value is written out whole, so reads nothing: a literal, a function
/// (whatever its body reads, it is a function; a builtin named, `$string`, is one wherever it
/// is read, as an expression that binds its name again is rare enough to be worded wrongly), or
/// an array or object of such.
pub(crate) fn written_whole(arg: &AstNode) -> bool {
    match arg {
        AstNode::String(_) | AstNode::Number(_) | AstNode::Boolean(_) | AstNode::Null | AstNode::Regex { .. } | AstNode::Lambda { .. } => {
            true
        }
        AstNode::Variable(name) => crate::jsonata_signatures::SIGNATURES.iter().any(|(builtin, _)| builtin == name),
        AstNode::Array(items) => items.iter().all(written_whole),
        AstNode::Object(pairs) => pairs.iter().all(|(key, value)| written_whole(key) && written_whole(value)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(expr: &str) -> std::rc::Rc<AstNode> {
        crate::jsonata::parse(expr).unwrap()
    }

    fn calls(ast: &AstNode) -> Vec<&AstNode> {
        let nodes = crate::jsonata_references::nodes(ast);
        nodes.into_iter().filter(|n| matches!(n, AstNode::Function { .. })).collect()
    }

    /// Which calls read each item of a path's step: a later step, or a call in a first filter
    /// outside any path or function there; not a call in a path inside the filter.
    #[test]
    fn a_call_reads_the_items_of_its_step_or_filter() {
        for (expr, reads) in [
            ("[1, 2].$string($)", vec![true]),
            ("[1, 2][$string($) = '1']", vec![true]),
            ("[1, 2][$exists($) ? $string($) = '1' : false]", vec![true, true]),
            ("[{'n': 1}].{'v': $abs(n)}", vec![true]),
            ("[{'n': 1}].($x := n; $abs($x))", vec![true]),
            ("[{'a': [1]}][a.$count($) > 0]", vec![false]),
            ("$count([1, 2])", vec![false]),
            ("$map([1], function($v){ [$v].$string($) })", vec![false, false]),
        ] {
            let ast = parsed(expr);
            let found: Vec<bool> = calls(&ast)
                .into_iter()
                .map(|call| items_a_call_reads(call, &ast, &mut |_, _| Some(JValue::Number(1.0))).is_some())
                .collect();
            assert_eq!(found, reads, "{expr}");
        }
    }

    /// What each call of a function written in a builtin's call is given: an array's items and
    /// indexes, an object's values and keys; nothing for a builtin that gives it more or other.
    #[test]
    fn a_function_handed_to_a_builtin_is_given_each_item() {
        let given = |expr: &str| {
            let ast = parsed(expr);
            let nodes = crate::jsonata_references::nodes(&ast);
            let mut evaluator = jsonata_core::evaluator::Evaluator::new();
            let mut value_of = |node: &AstNode, context: &JValue| evaluator.evaluate(node, context).ok();
            function_calls(&nodes, &mut value_of)
                .into_iter()
                .map(|calls| calls.given)
                .collect::<Vec<_>>()
        };
        let (n, s) = (AstNode::Number, |k: &str| AstNode::String(k.into()));
        assert_eq!(
            given("$map([7, 8], function($v, $i){ $v })"),
            vec![vec![(JValue::Number(7.0), n(0.0)), (JValue::Number(8.0), n(1.0))]]
        );
        assert_eq!(
            given("['a'] ~> $filter(function($v){ $v })"),
            vec![vec![(JValue::string("a"), n(0.0))]]
        );
        assert_eq!(
            given("$each({'a': 1, 'b': 'x'}, function($v, $k){ $v })"),
            vec![vec![(JValue::Number(1.0), s("a")), (JValue::string("x"), s("b"))]]
        );
        // jsonata-js's merge sort of [3, 1, 2] compares 1 with 2, then 3 with 1 (true: 1 goes
        // first), then 3 with 2; of ["b", "a", 1], "a" with 1 fails, and nothing after is asked.
        assert_eq!(
            given("$sort([3, 1, 2], function($a, $b){ $a > $b })"),
            vec![vec![
                (JValue::Number(1.0), n(2.0)),
                (JValue::Number(3.0), n(1.0)),
                (JValue::Number(3.0), n(2.0))
            ]]
        );
        assert_eq!(
            given("$sort(['b', 'a', 1], function($a, $b){ $a > $b })"),
            vec![vec![(JValue::string("a"), n(1.0))]]
        );
        for none in [
            "$map([1], function($v, $i, $a){ $v })",
            "$reduce([1], function($x, $y){ $x })",
            "$map([1], $string)",
        ] {
            assert!(given(none).is_empty(), "{none}");
        }
    }

    #[test]
    fn an_argument_reads_only_the_item_without_variables_of_its_own() {
        for (expr, only) in [
            ("id", true),
            ("$.tags[0]", true),
            ("$count(tags) + $states.input.n", true),
            ("$v", false),
            ("$$.id", false),
            ("xs@$x.id", false),
        ] {
            assert_eq!(reads_only_the_item(&parsed(expr)), only, "{expr}");
        }
    }
}
