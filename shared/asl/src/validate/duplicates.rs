//! State names are unique in the whole state machine (States Language specification, "States";
//! AWS refuses "DUPLICATE_STATE_NAME: Duplicate State name: Add at /States/Add", as Step
//! Functions Local's shared validator words it in a recorded refusal). A name given twice in
//! one `States` object never reaches the parsed definition, where the last one wins, so the
//! text is read once more for it here.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::error::Diagnostic;

/// AWS's diagnostic for a state name used before.
pub(super) fn duplicate(name: &str, location: &str) -> Diagnostic {
    Diagnostic {
        code: "DUPLICATE_STATE_NAME",
        message: format!("Duplicate State name: {name}"),
        location: location.to_string(),
    }
}

/// The names given twice within one `States` object of `text`, where the second one is.
pub(crate) fn in_states_objects(text: &str) -> Vec<Diagnostic> {
    let found = RefCell::new(Vec::new());
    let mut de = serde_json::Deserializer::from_str(text);
    // A text that is no JSON is reported by the parse itself.
    let _ = Scan {
        at: String::new(),
        states: false,
        found: &found,
    }
    .deserialize(&mut de);
    found.into_inner()
}

/// One value of the document: where it is, and whether it is a `States` object.
struct Scan<'a> {
    at: String,
    states: bool,
    found: &'a RefCell<Vec<Diagnostic>>,
}

impl Scan<'_> {
    fn child(&self, key: &str, states: bool) -> Self {
        let escaped = key.replace('~', "~0").replace('/', "~1");
        Scan {
            at: format!("{}/{escaped}", self.at),
            states,
            found: self.found,
        }
    }
}

impl<'de> DeserializeSeed<'de> for Scan<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Scan<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut names = BTreeSet::new();
        while let Some(key) = map.next_key::<String>()? {
            let child = self.child(&key, key == "States");
            if self.states && !names.insert(key.clone()) {
                self.found.borrow_mut().push(duplicate(&key, &child.at));
            }
            map.next_value_seed(child)?;
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0usize;
        while seq.next_element_seed(self.child(&index.to_string(), false))?.is_some() {
            index += 1;
        }
        Ok(())
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::in_states_objects;

    #[test]
    fn a_name_given_twice_in_one_states_object_is_found_where_the_second_is() {
        let text = r#"{"StartAt": "Add", "States": {"Add": {"Type": "Pass", "End": true},
            "P": {"Type": "Parallel", "End": true, "Branches": [{"StartAt": "B", "States": {"B": {"Type": "Pass", "End": true}, "B": {}}}]},
            "Add": {"Type": "Pass", "End": true}}, "Comment": "States elsewhere are no state names", "x": {"Add": 1, "Add": 2}}"#;
        let found: Vec<String> = in_states_objects(text).iter().map(ToString::to_string).collect();
        assert_eq!(
            found,
            [
                "DUPLICATE_STATE_NAME: Duplicate State name: B at /States/P/Branches/0/States/B",
                "DUPLICATE_STATE_NAME: Duplicate State name: Add at /States/Add",
            ]
        );
    }
}
