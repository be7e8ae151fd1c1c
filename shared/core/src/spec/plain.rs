//! The YAML library's wording, said as a user of pipeline.yml, a buildspec or an appspec would
//! say it: "unknown key", "appears twice", "a list" — never "unit value", "field",
//! "use `Option<String>`" or "set DuplicateKeyPolicy in Options", which name the library's API.

/// `message` from serde or serde-saphyr, in plain words (unchanged when it already is).
pub fn plain(message: &str) -> String {
    if let Some(rest) = message.strip_prefix("invalid type: unit value, expected ") {
        return format!("this key has no value; expected {rest}");
    }
    if let Some((found, expected)) = message.strip_prefix("invalid type: ").and_then(|m| m.split_once(", expected ")) {
        return format!("expected {}, found {}", kind(expected), kind(found));
    }
    if let Some((value, expected)) = message.strip_prefix("invalid value: ").and_then(|m| m.split_once(", expected ")) {
        return format!("expected {}, found {}", kind(expected), kind(value));
    }
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let (name, allowed) = rest.split_once('`').unwrap_or((rest, ""));
        return match allowed.strip_prefix(", expected one of ").or(allowed.strip_prefix(", expected ")) {
            Some(list) => format!("unknown key `{name}`; the keys allowed here are {}", list.replace('`', "")),
            None => format!("unknown key `{name}`; no key is allowed here"),
        };
    }
    if let Some(rest) = message.strip_prefix("unknown variant `") {
        let (name, allowed) = rest.split_once('`').unwrap_or((rest, ""));
        let list = allowed.strip_prefix(", expected one of ").or(allowed.strip_prefix(", expected "));
        return format!(
            "`{name}` is not allowed here; write one of {}",
            list.unwrap_or("the documented values").replace('`', "")
        );
    }
    if let Some(name) = message.strip_prefix("missing field `").and_then(|m| m.strip_suffix('`')) {
        return format!("the required key `{name}` is missing");
    }
    if let Some(key) = message.strip_prefix("duplicate field `").and_then(|k| k.strip_suffix('`')) {
        return format!("the key `{key}` appears twice in the same mapping; keep one");
    }
    if let Some(key) = message.strip_prefix("duplicate mapping key: ") {
        let key = key.split(", set DuplicateKeyPolicy").next().unwrap_or(key);
        return format!("the key `{key}` appears twice in the same mapping; keep one");
    }
    if message.starts_with("multiple YAML documents detected") {
        return "the file holds more than one YAML document (a `---` line starts another); keep one".into();
    }
    if message.starts_with("cannot deserialize null into") {
        return "this value is empty; write a value here".into();
    }
    if message.starts_with("while parsing a block mapping, did not find expected key") {
        return "this line is indented differently from the keys it sits among: keys of one mapping start in the same column".into();
    }
    // The scanner's refusal of a number its target cannot hold ("invalid u32", "invalid floating
    // point"): too large, negative where a count is asked, fractional, or written in hex.
    if let Some(ty) = message.strip_prefix("invalid ")
        && let Some(wanted) = number_wanted(ty)
    {
        return format!("expected {wanted}; this number is not one");
    }
    if message.contains("budget breached") {
        return "the file is too large or too deeply nested to read (Baton bounds what it parses)".into();
    }
    match message {
        // The YAML scanner's bound on `[`/`{` and indented levels, reached before the budget's.
        "recursion limit exceeded" => "lists and mappings nest too deeply here to read (Baton bounds how deep a spec file may nest)".into(),
        "expected string scalar" => "expected a text value here, found a mapping or a list (quote a value that holds `: `)".into(),
        "expected sequence start" => "expected a list here (one `- item` per line, or `[a, b]`)".into(),
        "expected mapping start" => "expected a mapping here (`key: value` lines)".into(),
        // The YAML scanner's own words for a line it cannot place.
        "simple key expected ':'" => {
            "this line is not `key: value`: a key without its `:`, or a stray line (a `~` left by an editor) between keys".into()
        }
        "mapping values are not allowed in this context" => {
            "a `: ` where a value was expected: quote the value, or indent it under its key".into()
        }
        _ => message.to_string(),
    }
}

/// The numbers a Rust number type holds, as a user would ask for them.
fn number_wanted(ty: &str) -> Option<String> {
    match ty {
        "floating point" | "f64" | "f32" => Some("a decimal number (1, 0.5, 1e3) of at most about 1.8e308 either side of 0".into()),
        _ => whole_numbers(ty),
    }
}

/// The whole numbers a Rust integer type holds.
fn whole_numbers(ty: &str) -> Option<String> {
    let (min, max): (i128, i128) = match ty {
        "u8" => (0, u8::MAX.into()),
        "u16" => (0, u16::MAX.into()),
        "u32" => (0, u32::MAX.into()),
        "u64" | "usize" => (0, u64::MAX.into()),
        "i32" => (i32::MIN.into(), i32::MAX.into()),
        "i64" => (i64::MIN.into(), i64::MAX.into()),
        _ => return None,
    };
    Some(format!("a whole number from {min} to {max}"))
}

/// serde's names for what it found or expected, as a user would say them.
fn kind(found: &str) -> String {
    if let Some(n) = found.strip_prefix("integer ") {
        return format!("the number {}", n.trim_matches('`'));
    }
    if let Some(n) = found.strip_prefix("floating point ") {
        return format!("the number {}", n.trim_matches('`'));
    }
    if let Some(s) = found.strip_prefix("string ") {
        return format!("the text {s}");
    }
    if let Some(b) = found.strip_prefix("boolean ") {
        return format!("the value {}", b.trim_matches('`'));
    }
    if let Some(wanted) = whole_numbers(found) {
        return wanted;
    }
    // A Rust type's name ("struct Thrown") says only that a mapping belongs here.
    if found.starts_with("struct ") {
        return "a mapping".into();
    }
    match found {
        "map" | "a map" => "a mapping".into(),
        "sequence" | "a sequence" => "a list".into(),
        "unit value" => "no value".into(),
        "f64" | "f32" => "a number".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::plain;

    /// The messages serde-saphyr gave for the corpus's broken files (`baton validate`), before.
    #[test]
    fn no_library_wording_reaches_the_user() {
        let cases = [
            (
                "invalid type: unit value, expected a string, number or boolean",
                "this key has no value; expected a string, number or boolean",
            ),
            (
                "duplicate mapping key: build, set DuplicateKeyPolicy in Options if acceptable",
                "the key `build` appears twice in the same mapping; keep one",
            ),
            (
                "multiple YAML documents detected; use from_str_multiple or from_str_multiple_with_options",
                "the file holds more than one YAML document (a `---` line starts another); keep one",
            ),
            (
                "unknown field `biuld`, expected one of install, pre_build, build, post_build",
                "unknown key `biuld`; the keys allowed here are install, pre_build, build, post_build",
            ),
            ("missing field `version`", "the required key `version` is missing"),
            (
                "duplicate field `Period`",
                "the key `Period` appears twice in the same mapping; keep one",
            ),
            (
                "invalid u32",
                "expected a whole number from 0 to 4294967295; this number is not one",
            ),
            (
                "invalid floating point",
                "expected a decimal number (1, 0.5, 1e3) of at most about 1.8e308 either side of 0; this number is not one",
            ),
            (
                "cannot deserialize null into string; use Option<String>",
                "this value is empty; write a value here",
            ),
            (
                "unknown variant `MAYBE`, expected one of ABORT, CONTINUE",
                "`MAYBE` is not allowed here; write one of ABORT, CONTINUE",
            ),
            (
                "invalid value: integer `-1`, expected u32",
                "expected a whole number from 0 to 4294967295, found the number -1",
            ),
            (
                "invalid type: string \"x\", expected a sequence",
                "expected a list, found the text \"x\"",
            ),
            (
                "invalid type: string \"fast\", expected f64",
                "expected a number, found the text \"fast\"",
            ),
            (
                "while parsing a block mapping, did not find expected key",
                "this line is indented differently from the keys it sits among: keys of one mapping start in the same column",
            ),
            (
                "simple key expected ':'",
                "this line is not `key: value`: a key without its `:`, or a stray line (a `~` left by an editor) between keys",
            ),
            (
                "expected string scalar",
                "expected a text value here, found a mapping or a list (quote a value that holds `: `)",
            ),
            // serde_json's, for a mock configuration's mapping given a number.
            (
                "invalid type: integer `5`, expected struct MockedMachine",
                "expected a mapping, found the number 5",
            ),
        ];
        for (raw, said) in cases {
            assert_eq!(plain(raw), said);
        }
        for (raw, _) in cases {
            let said = plain(raw);
            for word in [
                "unit value",
                "Option<",
                "DuplicateKeyPolicy",
                "from_str",
                "field",
                "u32",
                "variant",
                "simple key",
                "block mapping",
                "struct",
            ] {
                assert!(!said.contains(word), "{raw} → {said}");
            }
        }
    }
}
