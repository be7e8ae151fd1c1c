//! Where two JSON values first differ, as a JSONPath a user can look up.

use serde_json::Value;

/// The first path (in key order, then index order) where `a` and `b` differ, with the value
/// each has there (`None` where one has nothing).
pub fn first_difference(a: &Value, b: &Value) -> Option<(String, Option<Value>, Option<Value>)> {
    walk(a, b, "$".to_string())
}

fn walk(a: &Value, b: &Value, path: String) -> Option<(String, Option<Value>, Option<Value>)> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter().find_map(|k| {
                let here = format!("{path}{}", member(k));
                match (x.get(k), y.get(k)) {
                    (Some(p), Some(q)) => walk(p, q, here),
                    (p, q) => Some((here, p.cloned(), q.cloned())),
                }
            })
        }
        (Value::Array(x), Value::Array(y)) => (0..x.len().max(y.len())).find_map(|i| {
            let here = format!("{path}[{i}]");
            match (x.get(i), y.get(i)) {
                (Some(p), Some(q)) => walk(p, q, here),
                (p, q) => Some((here, p.cloned(), q.cloned())),
            }
        }),
        // 1 and 1.0 are the same number to Step Functions.
        (Value::Number(x), Value::Number(y)) if x.as_f64() == y.as_f64() => None,
        _ if a == b => None,
        _ => Some((path, Some(a.clone()), Some(b.clone()))),
    }
}

/// `.name`, or `['odd name']` for a key that is not a plain identifier.
fn member(key: &str) -> String {
    let plain = key.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain {
        format!(".{key}")
    } else {
        format!("['{}']", key.replace('\'', "\\'"))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn names_the_first_path_that_differs() {
        let a = json!({"build": {"id": "b-1", "artifacts": [1, 2]}, "ok": true});
        let b = json!({"build": {"id": "b-1", "artifacts": [1, 3]}, "ok": true});
        assert_eq!(
            first_difference(&a, &b),
            Some(("$.build.artifacts[1]".into(), Some(json!(2)), Some(json!(3))))
        );
        assert_eq!(
            first_difference(&json!({"a-b": 1}), &json!({})),
            Some(("$['a-b']".into(), Some(json!(1)), None))
        );
        assert_eq!(first_difference(&json!({"n": 1}), &json!({"n": 1.0})), None);
        assert_eq!(first_difference(&a, &a.clone()), None);
    }
}
