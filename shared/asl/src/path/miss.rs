//! Where Jayway stops reading a definite path that selects nothing, and its words for it, which
//! AWS passes on in a field's cause.

use serde_json::Value;

use super::{Path, Segment, element, normalized};

impl Path {
    /// Jayway's words where a definite path first indexes something that is not an array (nor
    /// null), which AWS passes on for an intrinsic function's argument (see
    /// `intrinsics::eval_arg`): "Filter: [0] can only be applied to arrays. Current context is: 1".
    pub(crate) fn index_into_non_array(&self, root: &Value) -> Option<String> {
        match self.miss(root)? {
            miss @ Miss::NotAnArray { found, .. } if !found.is_null() => Some(self.words(miss)),
            _ => None,
        }
    }

    /// Where Jayway stops reading this definite path in `root`, walking it as its tokens do over
    /// AWS's Jackson nodes (json-path/JsonPath, PropertyPathToken and
    /// ArrayPathToken.checkArrayModel); `None` where it reads to the end.
    fn miss<'a>(&self, root: &'a Value) -> Option<Miss<'a>> {
        if !self.is_definite() {
            return None;
        }
        // `None`: the null an index past the end reads (Jackson's `get` out of range).
        let mut at = Some(root);
        for (step, segment) in self.segments.iter().enumerate() {
            at = match (segment, at) {
                (Segment::Field(f), Some(Value::Object(m))) => match m.get(f) {
                    None if step + 1 < self.segments.len() => return Some(Miss::MissingProperty { step }),
                    None => return Some(Miss::NoResults),
                    found => found,
                },
                (Segment::Fields(_), Some(Value::Object(_))) => return None,
                (Segment::Field(_) | Segment::Fields(_), found) => return Some(Miss::NotAnObject { step, found }),
                (Segment::Index(i), Some(Value::Array(a))) => element(a, *i),
                (Segment::Index(_), Some(found)) => return Some(Miss::NotAnArray { step, found }),
                (_, None) => return Some(Miss::NullBeneath { step }),
                _ => return None,
            };
        }
        at.is_none().then_some(Miss::NoResults)
    }

    /// Jayway JsonPath's words for a [`Miss`], each as Jayway 2.9.0 over its Jackson JsonNode
    /// provider throws it (pinned in the tests): "Missing property in path $['a']['c']", "No
    /// results for path: $['a']['c']", "Expected to find an object with property ['b'] in path
    /// $['a'] but found 'com.fasterxml.jackson.databind.node.TextNode'. …", "Filter: [0]['b'] can
    /// only be applied to arrays. Current context is: 1", "The path $['a'][5] is null".
    fn words(&self, miss: Miss<'_>) -> String {
        let through = |end: usize| format!("${}", normalized(&self.segments[..end]));
        match miss {
            Miss::MissingProperty { step } => format!("Missing property in path {}", through(step + 1)),
            Miss::NoResults => format!("No results for path: {}", self.printed()),
            Miss::NotAnObject { step, found } => format!(
                "Expected to find an object with property {} in path {} but found '{}'. This is not a json object \
                 according to the JsonProvider: 'com.jayway.jsonpath.spi.json.JacksonJsonNodeJsonProvider'.",
                normalized(&self.segments[step..=step]),
                through(step),
                found.map_or("null", jackson_node),
            ),
            // Jayway prints the index's token with every token after it.
            Miss::NotAnArray { step, found } => format!(
                "Filter: {} can only be applied to arrays. Current context is: {found}",
                normalized(&self.segments[step..])
            ),
            Miss::NullBeneath { step } => format!("The path {} is null", through(step)),
        }
    }

    /// Jayway's words for this path selecting nothing in `root` (see [`Path::words`]).
    pub(super) fn not_found(&self, root: &Value) -> String {
        self.words(self.miss(root).unwrap_or(Miss::NoResults))
    }
}

/// Where Jayway stops reading a definite path, at which of its steps (see [`Path::miss`]).
#[derive(Clone, Copy)]
enum Miss<'a> {
    /// A field missing before the last step.
    MissingProperty { step: usize },
    /// The last field missing, or the last index past the end.
    NoResults,
    /// A field of what is no object; `None`, the null an index past the end read.
    NotAnObject { step: usize, found: Option<&'a Value> },
    /// An index into what is no array.
    NotAnArray { step: usize, found: &'a Value },
    /// An index into the null an index past the end read.
    NullBeneath { step: usize },
}

/// The class of the Jackson node Jayway names for `value`, as Jackson's reader makes it: a whole
/// number an `IntNode` while it fits 32 bits, a `LongNode` while it fits 64, a `BigIntegerNode`
/// past that; a number with a fraction or an exponent a `DoubleNode`.
fn jackson_node(value: &Value) -> &'static str {
    match value {
        Value::Null => "com.fasterxml.jackson.databind.node.NullNode",
        Value::Bool(_) => "com.fasterxml.jackson.databind.node.BooleanNode",
        Value::String(_) => "com.fasterxml.jackson.databind.node.TextNode",
        Value::Array(_) => "com.fasterxml.jackson.databind.node.ArrayNode",
        Value::Object(_) => "com.fasterxml.jackson.databind.node.ObjectNode",
        Value::Number(n) => match n.as_i64() {
            Some(i) if i32::try_from(i).is_ok() => "com.fasterxml.jackson.databind.node.IntNode",
            Some(_) => "com.fasterxml.jackson.databind.node.LongNode",
            None if n.is_u64() => "com.fasterxml.jackson.databind.node.BigIntegerNode",
            None => "com.fasterxml.jackson.databind.node.DoubleNode",
        },
    }
}
