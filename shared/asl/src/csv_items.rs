//! A text-delimited dataset read as a Distributed Map's items, by the rules of the developer
//! guide's "How Step Functions parses input CSV files": the `CSVDelimiter` separates fields and
//! a newline records; every field is a string; double quotes may enclose a field, which may then
//! hold delimiters and newlines, and a quote is kept by doubling it; a backslash keeps the
//! backslash, double quote or delimiter after it, and is dropped before anything else; a row
//! with fewer fields than the header gets empty strings for the rest, and its extra fields are
//! skipped. Where the guide is silent, as AWS recorded (localstack/localstack,
//! tests/aws/services/stepfunctions/v2/scenarios/test_base_scenarios.snapshot.json, the
//! `test_map_item_reader_*csv*` cases of 2023-09-21): an item's members come in the order a
//! `java.util.HashMap` of the headers iterates, not the header's, and a line of spaces is a
//! record. As common CSV readers do: only a quote that opens a field encloses it (a lone one
//! inside a field is kept), and a blank line is no record.

use serde_json::{Map, Value};

/// The delimiters `CSVDelimiter` names.
pub(crate) fn delimiter(name: Option<&str>) -> Option<char> {
    match name.unwrap_or("COMMA") {
        "COMMA" => Some(','),
        "PIPE" => Some('|'),
        "SEMICOLON" => Some(';'),
        "SPACE" => Some(' '),
        "TAB" => Some('\t'),
        _ => None,
    }
}

/// The records of `text`, each its fields. A line that holds nothing (the newline that ends a
/// file, a blank line between records) is no record.
pub(crate) fn records(text: &str, delimiter: char) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let (mut fields, mut field) = (Vec::new(), String::new());
    // Whether the record, and the field, hold anything yet: `""` is one empty field, and only a
    // quote that opens a field encloses it.
    let (mut record_began, mut field_began) = (false, false);
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let opens = !field_began;
        record_began |= quoted || !matches!(c, '\r' | '\n');
        match c {
            '\\' => {
                field_began = true;
                if let Some(&next) = chars.peek()
                    && (next == '\\' || next == '"' || next == delimiter)
                {
                    field.push(next);
                    chars.next();
                }
            }
            // A doubled quote is one, inside quotes or out.
            '"' if chars.peek() == Some(&'"') && !opens => {
                field.push('"');
                chars.next();
            }
            '"' if quoted => quoted = false,
            '"' if opens => {
                field_began = true;
                quoted = true;
            }
            c if c == delimiter && !quoted => {
                fields.push(std::mem::take(&mut field));
                field_began = false;
            }
            '\r' | '\n' if !quoted => {
                if c == '\r' && chars.peek() == Some(&'\n') {
                    chars.next();
                }
                if record_began {
                    fields.push(std::mem::take(&mut field));
                    records.push(std::mem::take(&mut fields));
                }
                (record_began, field_began) = (false, false);
            }
            c => {
                field_began = true;
                field.push(c);
            }
        }
    }
    if record_began {
        fields.push(field);
        records.push(fields);
    }
    records
}

/// The headers in the order an item writes its members, each with the column it reads: the
/// order a `java.util.HashMap` of them iterates, worked out once for every record.
pub(crate) fn columns(headers: Vec<String>) -> Vec<(usize, String)> {
    let mut columns: Vec<(usize, String)> = headers.into_iter().enumerate().collect();
    crate::java_order::sort_as_hash_map(&mut columns, |(_, name)| name);
    columns
}

/// A record as an item: each header's field, an empty string where the record has none; the
/// fields past the header's are skipped.
pub(crate) fn item(columns: &[(usize, String)], mut record: Vec<String>) -> Value {
    let field = |at: usize, record: &mut Vec<String>| record.get_mut(at).map(std::mem::take).unwrap_or_default();
    Value::Object(
        columns
            .iter()
            .map(|(at, name)| (name.clone(), Value::String(field(*at, &mut record))))
            .collect::<Map<_, _>>(),
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{columns, item, records};

    fn fields(text: &str) -> Vec<Vec<String>> {
        records(text, ',')
    }

    /// The developer guide's example row ("How Step Functions parses input CSV files"): quotes
    /// enclosing a delimiter, a doubled quote and a newline; JSON kept as text.
    #[test]
    fn the_guides_example_row() {
        let row = "abc,123,\"This string contains commas, a double quotation marks (\"\"), and a newline (\n)\",{\"\"MyKey\"\":\"\"MyValue\"\"},\"[1,2,3]\"\n";
        assert_eq!(
            fields(row),
            [[
                "abc",
                "123",
                "This string contains commas, a double quotation marks (\"), and a newline (\n)",
                "{\"MyKey\":\"MyValue\"}",
                "[1,2,3]"
            ]]
        );
    }

    #[test]
    fn backslashes_keep_what_they_escape_and_vanish_before_anything_else() {
        // The guide's example: `C:\\Program Files\\MyApp.exe` is `C:\Program Files\MyApp.exe`.
        assert_eq!(
            fields("path,size\nC:\\\\Program Files\\\\MyApp.exe,6534512\n"),
            [["path", "size"], ["C:\\Program Files\\MyApp.exe", "6534512"]]
        );
        assert_eq!(fields("a\\,b,c\\\"d,e\\xf\n"), [["a,b", "c\"d", "exf"]]);
        assert_eq!(records("a|b\\|c", '|'), [["a", "b|c"]]);
    }

    #[test]
    fn records_end_at_newlines_outside_quotes_and_blank_lines_are_none() {
        assert_eq!(
            fields("a,b\r\nc,d\n\n\"\"\ne,\n"),
            [vec!["a", "b"], vec!["c", "d"], vec![""], vec!["e", ""]]
        );
        assert_eq!(fields(""), Vec::<Vec<String>>::new());
        // Only a quote that opens a field encloses it; a doubled one is one anywhere.
        assert_eq!(fields("a\"b,\"\",x\"\"y\n"), [["a\"b", "", "x\"y"]]);
        assert_eq!(fields("x"), [["x"]]);
    }

    #[test]
    fn a_short_row_gets_empty_strings_and_a_long_one_loses_its_extra_fields() {
        let headers = columns(vec!["a".to_string(), "b".to_string()]);
        assert_eq!(item(&headers, vec!["1".into()]), json!({"a": "1", "b": ""}));
        assert_eq!(
            item(&headers, vec!["1".into(), "2".into(), "3".into()]),
            json!({"a": "1", "b": "2"})
        );
    }

    /// AWS wrote the item of headers `0,True,{}` as `{"0":…,"{}":…,"True":…}`: a HashMap's
    /// order, "{}" in bucket 2 before "True" in bucket 9 (test_base_scenarios.snapshot.json,
    /// test_map_item_reader_csv_headers_first_row_typed_headers, 2023-09-21).
    #[test]
    fn an_item_writes_its_members_in_a_hash_map_s_order() {
        let headers = columns(["0", "True", "{}"].map(String::from).to_vec());
        let written = item(&headers, ["Value4", "Value5", "Value6"].map(String::from).to_vec());
        assert_eq!(written.to_string(), r#"{"0":"Value4","{}":"Value6","True":"Value5"}"#);
    }
}
