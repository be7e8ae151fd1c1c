//! The transform operator (`|location|update[, delete]|`) as jsonata-js 2.0.6 runs it, the
//! version Step Functions implements (developer guide, Transforming data with JSONata): its
//! `evaluateTransformExpression` copies the input, finds the objects `location` selects in the
//! copy, and changes each of those objects where it is. The embedded engine instead changes
//! every object of the input *equal* to one selected, so `|billing|{"kind": "billing"}|` changed
//! a shipping address equal to the billing one too, and it compares each object of the input
//! with each one selected, which took longer than the evaluation's time bound for 8,000 items
//! (jsonata-js: 30 ms).
//!
//! Each transform is rewritten, once parsed, into a function that hands its input and its three
//! clauses, as functions, to `transform`. The engine evaluates the location on the input itself,
//! so the objects it selects are the input's own, held where the input holds them, and
//! `transform` rebuilds the input changing those objects and no other.

use std::collections::{HashMap, HashSet};

use jsonata_core::ast::AstNode;
use jsonata_core::evaluator::{EvaluatorError, HostFnResult};
use jsonata_core::value::{JMap, JValue};

/// The name `transform` is bound under: one no expression can write.
pub(crate) const FUNCTION: &str = "transform (jsonata-js)";

/// What each transform becomes: a function of the input that hands `transform` the input and
/// the three clauses as functions of a value, each evaluated with that value as the context
/// item, as jsonata-js evaluates them. A step evaluates with `$` each item of what is before it,
/// so what is before is an array holding the value alone: `[$v]`, or `[[$v]]` for an array (an
/// array constructor inside one is kept whole, where `[$v]` would be the array's items), which
/// `transform` says with `$a`. The placeholders are replaced, and the variables renamed to names
/// no expression can write. Parsed anew for each transform: the parser gives each path step an
/// id the evaluator caches its work under.
const TEMPLATE: &str = "function($in){ $transform($in, \
    function($v, $a){ $a ? [[$v]].($location) : [$v].($location) }, \
    function($v, $a){ $a ? [[$v]].($update) : [$v].($update) }, \
    function($v, $a){ $a ? [[$v]].($delete) : [$v].($delete) }, \
    $registered) }";

/// `ast` with every transform rewritten as the module says. A stack, not recursion: an
/// expression may nest deeper than a thread's stack.
pub(crate) fn as_jsonata_js_runs(ast: &mut AstNode) {
    let mut pending = vec![&mut *ast];
    let mut any = false;
    while let Some(node) = pending.pop() {
        if let AstNode::Transform { location, update, delete } = node
            && let Ok(mut rewritten) = jsonata_core::parser::parse(TEMPLATE)
        {
            let parts = [
                ("location", std::mem::replace(location.as_mut(), AstNode::Undefined)),
                ("update", std::mem::replace(update.as_mut(), AstNode::Undefined)),
                ("delete", delete.take().map_or(AstNode::Undefined, |delete| *delete)),
            ];
            fill(&mut rewritten, parts);
            *node = rewritten;
            any = true;
        }
        pending.extend(crate::jsonata_references::children_mut(node));
    }
    if any {
        name_the_functions_bound(ast);
    }
}

/// Gives each call of `transform` the names of the functions Baton binds that the expression
/// names: a clause's function is called where only those bound for it are (`apply`), and a
/// function it may reach is one the expression makes (a workflow variable holds JSON only).
fn name_the_functions_bound(ast: &mut AstNode) {
    let nodes = crate::jsonata_references::nodes(ast);
    let named = |name: &str| {
        nodes.iter().any(|node| match node {
            AstNode::Function { name: called, .. } => called == name,
            AstNode::Variable(passed) => passed == name,
            _ => false,
        })
    };
    let bound: Vec<AstNode> = crate::jsonata_functions::names()
        .filter(|name| named(name))
        .map(|name| AstNode::String(name.into()))
        .collect();
    let mut pending = vec![ast];
    while let Some(node) = pending.pop() {
        if let AstNode::Function { name, args, .. } = node
            && name == FUNCTION
            && let Some(last) = args.last_mut()
        {
            *last = AstNode::Array(bound.clone());
        }
        pending.extend(crate::jsonata_references::children_mut(node));
    }
}

/// Puts the clauses where the template's placeholders stand and gives its own variables and
/// function names no expression can write.
fn fill(template: &mut AstNode, parts: [(&str, AstNode); 3]) {
    let mut pending = vec![template];
    while let Some(node) = pending.pop() {
        match node {
            AstNode::Variable(name) => {
                if let Some((_, part)) = parts.iter().find(|(placeholder, _)| placeholder == name) {
                    *node = part.clone();
                    continue;
                }
                *name = hidden(name);
            }
            AstNode::Lambda { params, .. } => params.iter_mut().for_each(|param| *param = hidden(param)),
            AstNode::Function { name, .. } if name == "transform" => *name = FUNCTION.into(),
            _ => {}
        }
        pending.extend(crate::jsonata_references::children_mut(node));
    }
}

fn hidden(name: &str) -> String {
    format!("{name} (transform)")
}

/// The function a transform becomes calls this with the input and the location, update and
/// delete clauses as functions of a value. jsonata-js's transform has the signature `<(oa):o>`:
/// nothing gives nothing, and anything but an object or an array is refused.
pub(crate) fn transform(args: &[JValue]) -> HostFnResult {
    let [input, location, update, delete, bound] = args else {
        return Err(EvaluatorError::EvaluationError(format!("{FUNCTION} takes five arguments")));
    };
    let named = crate::jsonata_context_items::items(bound.clone());
    let bound: Vec<&'static str> = crate::jsonata_functions::names()
        .filter(|name| named.iter().any(|named| matches!(named, JValue::String(n) if n.as_ref() == *name)))
        .collect();
    let clauses = Clauses {
        update,
        delete,
        bound: &bound,
    };
    match input {
        JValue::Undefined => return Ok(JValue::Undefined),
        JValue::Object(_) | JValue::Array(_) => {}
        _ => {
            return Err(EvaluatorError::TypeError(
                "T0410: Argument 1 of function undefined does not match function signature".into(),
            ));
        }
    }
    // Each selected object, by where it is held, with what it becomes: in the order selected,
    // each clause evaluated on the object as the ones before left it, as jsonata-js changes
    // the copy in place.
    let mut changed: HashMap<*const JMap, (JValue, JValue)> = HashMap::new();
    for selected in crate::jsonata_context_items::items(evaluated(location, input, &bound)?) {
        let JValue::Object(held) = &selected else {
            // Its clauses are evaluated and checked all the same.
            clauses.changed(&selected)?;
            continue;
        };
        let key = std::rc::Rc::as_ptr(held);
        let current = changed.get(&key).map_or(&selected, |(_, became)| became);
        let became = clauses.changed(current)?;
        changed.insert(key, (selected.clone(), became));
    }
    if changed.is_empty() {
        return Ok(input.clone());
    }
    Ok(rebuilt(input, &Changed::new(input, changed)).unwrap_or_else(|| input.clone()))
}

/// What the selected objects became: each found by where it is held, or, for one the location
/// made anew rather than shared (a step with an index variable, `orders#$i[$i = 1]`, gives a
/// copy), by its value, as the engine found them all.
struct Changed {
    held: HashMap<*const JMap, JValue>,
    copies: Vec<(JValue, JValue)>,
}

impl Changed {
    fn new(input: &JValue, changed: HashMap<*const JMap, (JValue, JValue)>) -> Self {
        let mut in_input = HashSet::new();
        let mut pending = vec![input];
        while let Some(value) = pending.pop() {
            match value {
                JValue::Object(members) => {
                    in_input.insert(std::rc::Rc::as_ptr(members));
                    pending.extend(members.values());
                }
                JValue::Array(items) => pending.extend(items.iter()),
                _ => {}
            }
        }
        let (held, copies): (Vec<_>, Vec<_>) = changed.into_iter().partition(|(key, _)| in_input.contains(key));
        Changed {
            held: held.into_iter().map(|(key, (_, became))| (key, became)).collect(),
            copies: copies.into_iter().map(|(_, pair)| pair).collect(),
        }
    }

    fn of(&self, members: &std::rc::Rc<JMap>, value: &JValue) -> Option<&JValue> {
        self.held
            .get(&std::rc::Rc::as_ptr(members))
            .or_else(|| self.copies.iter().find(|(was, _)| was == value).map(|(_, became)| became))
    }
}

/// The update and delete clauses, as the functions the template makes of them, and the functions
/// Baton binds that they may call.
struct Clauses<'a> {
    update: &'a JValue,
    delete: &'a JValue,
    bound: &'a [&'static str],
}

impl Clauses<'_> {
    /// `selected` with the update clause's members set and the delete clause's removed, each
    /// evaluated with `selected` as the context item. jsonata-js sets the members on whatever was
    /// selected: an array takes them unseen, a string, a number, a boolean or null refuses them
    /// with JavaScript's `TypeError` (run in jsonata-js 2.0.6).
    fn changed(&self, selected: &JValue) -> Result<JValue, EvaluatorError> {
        let mut members = match selected {
            JValue::Object(members) => (**members).clone(),
            _ => JMap::default(),
        };
        match evaluated(self.update, selected, self.bound)? {
            JValue::Undefined => {}
            JValue::Object(set) => {
                if let (Some(key), Some(refusal)) = (set.keys().next(), javascript_refusal(selected)) {
                    return Err(EvaluatorError::EvaluationError(refusal(key)));
                }
                members.extend(set.iter().map(|(key, value)| (key.clone(), value.clone())));
            }
            other => {
                return Err(EvaluatorError::EvaluationError(format!(
                    "T2011: The insert/update clause of the transform expression must evaluate to an object: {}",
                    crate::jsonata_operators::quoted(&other)
                )));
            }
        }
        let deletions = evaluated(self.delete, selected, self.bound)?;
        let names = match &deletions {
            JValue::Undefined => Vec::new(),
            JValue::String(name) => vec![name.clone()],
            JValue::Array(items) if items.iter().all(|item| matches!(item, JValue::String(_))) => items
                .iter()
                .filter_map(|item| match item {
                    JValue::String(name) => Some(name.clone()),
                    _ => None,
                })
                .collect(),
            other => {
                return Err(EvaluatorError::EvaluationError(format!(
                    "T2012: The delete clause of the transform expression must evaluate to a string or array of strings: {}",
                    crate::jsonata_operators::quoted(other)
                )));
            }
        };
        if !matches!(selected, JValue::Object(_)) {
            return Ok(selected.clone());
        }
        for name in names {
            members.shift_remove(name.as_ref());
        }
        Ok(JValue::Object(std::rc::Rc::new(members)))
    }
}

/// A clause, as the function the template makes of it, evaluated with `value` as the context item.
fn evaluated(clause: &JValue, value: &JValue, bound: &[&'static str]) -> HostFnResult {
    let whole = JValue::Bool(matches!(value, JValue::Array(_)));
    crate::jsonata_engine_calls::apply(clause, &[value.clone(), whole], bound)
}

/// JavaScript's `TypeError` for setting a member `key` on `selected` in strict mode, where it
/// refuses one.
fn javascript_refusal(selected: &JValue) -> Option<impl Fn(&str) -> String> {
    let on = match selected {
        JValue::String(s) => format!("string '{s}'"),
        JValue::Number(n) => format!("number '{}'", crate::jsonata_errors::js_number(*n)),
        JValue::Bool(b) => format!("boolean '{b}'"),
        JValue::Null => String::new(),
        _ => return None,
    };
    Some(move |key: &str| match on.is_empty() {
        true => format!("Cannot set properties of null (setting '{key}')"),
        false => format!("Cannot create property '{key}' on {on}"),
    })
}

/// `value` with each object `changed` holds replaced by what it became, and the arrays and
/// objects that hold one rebuilt around it; `None` where it holds none, so that the rest of the
/// input is shared as it was.
fn rebuilt(value: &JValue, changed: &Changed) -> Option<JValue> {
    match value {
        JValue::Object(members) => {
            let inner: Vec<Option<JValue>> = members.values().map(|member| rebuilt(member, changed)).collect();
            let became = changed.of(members, value);
            if became.is_none() && inner.iter().all(Option::is_none) {
                return None;
            }
            let mut merged: JMap = members
                .iter()
                .zip(inner)
                .map(|((key, was), now)| (key.clone(), now.unwrap_or_else(|| was.clone())))
                .collect();
            // jsonata-js changes a selected object inside another selected one in the copy
            // both are in: the outer object's new members over the inner's changes.
            if let Some(JValue::Object(became)) = became {
                merged.retain(|key, _| became.contains_key(key));
                merged.extend(
                    became
                        .iter()
                        .filter(|(key, member)| !members.get(*key).is_some_and(|was| was == *member))
                        .map(|(key, member)| (key.clone(), member.clone())),
                );
            }
            Some(JValue::Object(std::rc::Rc::new(merged)))
        }
        JValue::Array(items) => {
            let inner: Vec<Option<JValue>> = items.iter().map(|item| rebuilt(item, changed)).collect();
            if inner.iter().all(Option::is_none) {
                return None;
            }
            let items = items.iter().zip(inner).map(|(was, now)| now.unwrap_or_else(|| was.clone()));
            Some(JValue::array(items.collect()))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    fn evaluated(expr: &str, input: &serde_json::Value) -> serde_json::Value {
        let states = json!({ "input": input });
        let variables = std::collections::BTreeMap::new();
        let env = crate::jsonata::Env {
            states: &states,
            variables: &variables,
        };
        crate::jsonata::evaluate(expr, &env, "Output").unwrap().unwrap()
    }

    /// The engine compared each object of the input with each one selected: 8,000 took past the
    /// evaluation's time bound. Found by where each is held, 100,000 are changed at once.
    #[test]
    fn a_transform_of_many_objects_changes_each_once() {
        let items: Vec<serde_json::Value> = (0..100_000).map(|n| json!({ "n": n })).collect();
        let changed = evaluated("$states.input ~> |items[n % 2 = 0]|{'even': true}|", &json!({ "items": items }));
        let items = changed["items"].as_array().unwrap();
        assert_eq!(items.len(), 100_000);
        assert_eq!(items.iter().filter(|item| item["even"] == json!(true)).count(), 50_000);
    }

    /// A clause calls the functions Baton binds, through a function the expression made too.
    #[test]
    fn a_clause_calls_the_functions_baton_binds() {
        let changed = evaluated(
            "($f := function($xs){ $partition($xs, 1) }; $states.input ~> |a|{'p': $f([1, 2]), 'r': $range(1, 2, 1)}|)",
            &json!({ "a": {} }),
        );
        assert_eq!(changed, json!({ "a": { "p": [[1], [2]], "r": [1, 2] } }));
    }
}
