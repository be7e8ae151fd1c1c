//! The workflow variables a JSONata expression reads: every `$name` it does not bind itself
//! (`$x := …`, a function's parameters, `@$v` and `#$i` in paths) and that is not a function.
//! A read of a variable the execution never assigned fails the state, as on Step Functions,
//! rather than yielding nothing silently.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};

use jsonata_core::ast::AstNode;
use jsonata_core::evaluator::Evaluator;
use jsonata_core::value::JValue;
use serde_json::Value;

/// A stack of its own for the walk, deep enough for the deepest tree the parser accepts (about
/// 2,000 levels): serializing and walking recurse once per level, and a runtime's worker thread
/// has 2 MiB, which a 400-term `1+1+…` overflowed (the process aborted).
const WALK_STACK: usize = 64 << 20;

/// The names `ast` reads and does not bind, without their `$`.
pub(crate) fn free_variables(ast: &AstNode) -> BTreeSet<String> {
    stacker::grow(WALK_STACK, || {
        // The AST's serde form is a plain tree: `{"Variable": "x"}`, `{"Lambda": {"params": …}}`.
        let tree = serde_json::to_value(ast).unwrap_or_default();
        let (mut used, mut bound) = (BTreeSet::new(), BTreeSet::new());
        walk(&tree, &mut used, &mut bound);
        used.retain(|name: &String| !name.is_empty() && !bound.contains(name));
        used
    })
}

fn walk(node: &Value, used: &mut BTreeSet<String>, bound: &mut BTreeSet<String>) {
    match node {
        Value::Object(map) => {
            if map.get("op").and_then(Value::as_str) == Some("ColonEqual")
                && let Some(name) = map.get("lhs").and_then(|l| l.get("Variable")).and_then(Value::as_str)
            {
                bound.insert(name.to_string());
            }
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("Variable", Value::String(name)) => {
                        used.insert(name.clone());
                    }
                    ("params", Value::Array(params)) => {
                        bound.extend(
                            params
                                .iter()
                                .filter_map(Value::as_str)
                                .map(|p| p.trim_start_matches('$').to_string()),
                        );
                    }
                    ("focus" | "index_var" | "Index", Value::String(name)) => {
                        bound.insert(name.trim_start_matches('$').to_string());
                    }
                    _ => {}
                }
                walk(value, used, bound);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| walk(i, used, bound)),
        _ => {}
    }
}

/// Whether `$name` is a function (JSONata's or Step Functions'), which a variable is not.
pub(crate) fn is_function(name: &str) -> bool {
    thread_local! {
        static KNOWN: RefCell<HashMap<String, bool>> = RefCell::default();
    }
    KNOWN.with(|known| {
        if let Some(&answer) = known.borrow().get(name) {
            return answer;
        }
        let mut evaluator = Evaluator::new();
        let _ = crate::jsonata_functions::register(&mut evaluator);
        let answer = jsonata_core::parser::parse(&format!("${name}"))
            .ok()
            .and_then(|ast| evaluator.evaluate(&ast, &JValue::Null).ok())
            .is_some_and(|v| !matches!(v, JValue::Undefined));
        known.borrow_mut().insert(name.to_string(), answer);
        answer
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn free(expr: &str) -> Vec<String> {
        free_variables(&jsonata_core::parser::parse(expr).unwrap()).into_iter().collect()
    }

    #[test]
    fn bound_names_are_not_free() {
        assert_eq!(free("$a + $b"), ["a", "b"]);
        assert_eq!(free("($x := 1; $x + $y)"), ["y"]);
        assert_eq!(free("$map([1,2], function($v) { $v * $k })"), ["k"]);
        assert_eq!(
            free("$map([1], $string)"),
            ["string"],
            "a function passed as a value reads like a variable"
        );
        assert_eq!(free("$states.input.x"), ["states"]);
        assert!(is_function("map") && is_function("partition") && !is_function("nope"));
    }
}
