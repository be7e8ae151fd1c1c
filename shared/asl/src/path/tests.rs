//! Step Functions' JSONPath as its tests pin it: selection, writing, and what a path refuses.

use super::*;
use serde_json::json;

#[test]
fn selects_fields_indices_and_brackets() {
    let doc = json!({"a": {"b c": [1, 2, {"d": true}]}});
    assert_eq!(Path::parse("$.a['b c'][2].d").unwrap().select(&doc), Some(json!(true)));
    assert_eq!(Path::parse("$.a['b c'][-1].d").unwrap().select(&doc), Some(json!(true)));
    assert_eq!(Path::parse("$.missing").unwrap().select(&doc), None);
}

#[test]
fn wildcards_yield_arrays() {
    let doc = json!({"xs": [{"n": 1}, {"n": 2}]});
    assert_eq!(Path::parse("$.xs[*].n").unwrap().select(&doc), Some(json!([1, 2])));
}

#[test]
fn set_creates_objects_and_rejects_scalars() {
    let mut doc = json!({"a": 1});
    Path::parse("$.b.c").unwrap().set(&mut doc, json!(2)).unwrap();
    assert_eq!(doc, json!({"a": 1, "b": {"c": 2}}));
    let err = Path::parse("$.a.x").unwrap().set(&mut doc, json!(3)).unwrap_err();
    assert_eq!(err.error, "States.ReferencePathConflict");
    assert_eq!(err.cause, r#"Unable to apply ReferencePath $.a.x to input {"a":1,"b":{"c":2}}"#);
}

#[test]
fn a_path_that_cannot_be_written_leaves_the_input_as_it_was() {
    let mut doc = json!({"a": 1});
    let err = Path::parse("$.b.c[0]").unwrap().set(&mut doc, json!(2)).unwrap_err();
    assert_eq!(doc, json!({"a": 1}), "no field is created on the way to a conflict");
    assert_eq!(err.cause, r#"Unable to apply ReferencePath $.b.c[0] to input {"a":1}"#);
}

#[test]
fn a_reference_names_the_first_step_that_finds_nothing() {
    let doc = json!({"a": {"b": [1]}});
    let step = |p: &str| Path::parse(p).unwrap().first_missing_step(&doc);
    assert_eq!(step("$.a.b"), None);
    assert_eq!(step("$.a.x.y").as_deref(), Some("x"));
    assert_eq!(step("$.a.b[3]").as_deref(), Some("3"));
    assert_eq!(step("$.a.b.c").as_deref(), Some("c"));
}

/// Jayway's slices and filters, which Step Functions runs (issue 19's refused definitions).
#[test]
fn slices_and_filters() {
    let doc = json!({"a": [{"n": 1, "name": "alpha"}, {"n": 2, "name": "beta"}, {"n": 3, "name": "Alps"}], "limit": 2});
    let sel = |p: &str| Path::parse(p).unwrap().select(&doc).unwrap();
    assert_eq!(sel("$.a[1:].n"), json!([2, 3]));
    assert_eq!(sel("$.a[:1].n"), json!([1]));
    assert_eq!(sel("$.a[-2:].n"), json!([2, 3]));
    // Jayway reads no step, nor counts a `[from:to]`'s `to` from the end.
    assert_eq!(sel("$.a[0:3:2].n"), json!([1, 2, 3]));
    assert_eq!(sel("$.a[0:-1].n"), json!([]));
    assert_eq!(sel("$.a[-1:2].n"), json!([3, 1, 2]));
    assert_eq!(
        sel("$.a[-5:1]"),
        json!([null, null, {"n": 1, "name": "alpha"}, {"n": 2, "name": "beta"}, {"n": 3, "name": "Alps"}, {"n": 1, "name": "alpha"}]),
        "-5 and -4 are still out of range"
    );
    assert_eq!(sel("$.a[:-1].n"), json!([1, 2]));
    // An empty array yields nothing, however far out of range the walk would go (Jayway 2.9.0).
    let empty = json!({"e": []});
    assert_eq!(Path::parse("$.e[-1:3]").unwrap().select(&empty), Some(json!([])));
    assert_eq!(sel("$.a[-9:].n"), json!([1, 2, 3]));
    for refused in ["$.a[:]", "$.a[::2]", "$.a[1:2:x]", "$.a b", "$.a.b c"] {
        assert!(Path::parse(refused).is_err(), "{refused}");
    }
    assert_eq!(sel("$.a[1:5].n"), json!([2, 3]));
    assert_eq!(sel("$.a[?(@.n > 1)].name"), json!(["beta", "Alps"]));
    assert_eq!(sel("$.a[?(@.n <= $.limit && @.name != 'alpha')].n"), json!([2]));
    assert_eq!(sel("$.a[?(@.name =~ /al.*/i)].n"), json!([1, 3]));
    assert_eq!(sel("$.a[?(@.missing)]"), json!([]));
    assert_eq!(sel("$.a[?(!(@.n == 2))].n"), json!([1, 3]));
    assert!(!Path::parse("$.a[1:]").unwrap().is_definite());
}

/// Jayway's evaluators (json-path/JsonPath, EvaluatorFactory and ValueNodes): a field an element
/// lacks is undefined, which `!=` and `nin` hold for; a number and a string meet by value or by
/// the number's text; `=~` reads a number as its text.
#[test]
fn filters_compare_as_jayway_does() {
    let doc = json!({"a": [{"n": 1, "s": "1", "status": "done"}, {"n": 10, "s": "x"}, {"n": 2.5}]});
    let sel = |p: &str| Path::parse(p).unwrap().select(&doc).unwrap();
    assert_eq!(sel("$.a[?(@.status != 'done')].n"), json!([10, 2.5]));
    assert_eq!(sel("$.a[?(@.status nin ['done'])].n"), json!([10, 2.5]));
    assert_eq!(sel("$.a[?(@.status == null)].n"), json!([]));
    assert_eq!(sel("$.a[?(@.n == '1')].n"), json!([1]));
    assert_eq!(sel("$.a[?(@.s == 1)].n"), json!([1]));
    assert_eq!(sel("$.a[?(@.s < 2)].n"), json!([1]), "\"1\" < \"2\"; \"x\" is not");
    assert_eq!(sel("$.a[?(@.n > '2')].n"), json!([2.5]), "\"10\" < \"2\" < \"2.5\"");
    assert_eq!(sel("$.a[?(@.n =~ /1.*/)].n"), json!([1, 10]));
    assert_eq!(sel("$.a[?(@.n in ['2.5'])].n"), json!([2.5]));

    // Java's flags as Jayway passes them; `matches()` takes the whole text whatever `m` says.
    let lines = json!({"a": [{"t": "one\ntwo"}]});
    let on_lines = |p: &str| Path::parse(p).unwrap().select(&lines).unwrap();
    assert_eq!(on_lines("$.a[?(@.t =~ /one.two/)]"), json!([]));
    assert_eq!(on_lines("$.a[?(@.t =~ /one.two/s)]"), json!([{"t": "one\ntwo"}]));
    assert_eq!(on_lines("$.a[?(@.t =~ /two/m)]"), json!([]));
    assert_eq!(on_lines("$.a[?(@.t =~ /ONE\\nTWO/i)]"), json!([{"t": "one\ntwo"}]));

    // A string literal may escape its quote, and reads its escapes as Jayway's Utils.unescape.
    let quoted = json!({"a": [{"s": "it's"}, {"s": "tab\there"}, {"s": "é"}]});
    let on_quoted = |p: &str| Path::parse(p).unwrap().select(&quoted).unwrap();
    assert_eq!(on_quoted(r"$.a[?(@.s == 'it\'s')].s"), json!(["it's"]));
    assert_eq!(on_quoted(r"$.a[?(@.s == 'tab\there')].s"), json!(["tab\there"]));
    assert_eq!(on_quoted(r"$.a[?(@.s == '\u00e9')].s"), json!(["é"]));
    // The list operators hold between two lists only; an empty object is empty.
    let lists = json!({"a": [{"t": [], "o": {}}, {"t": ["x"], "o": {"k": 1}}], "notList": "x"});
    let on_lists = |p: &str| Path::parse(p).unwrap().select(&lists).unwrap();
    assert_eq!(on_lists("$.a[?(@.t subsetof $.notList)]"), json!([]));
    assert_eq!(on_lists("$.a[?(@.t noneof $.notList)]"), json!([]));
    assert_eq!(on_lists("$.a[?(@.t noneof ['y'])].t"), json!([[], ["x"]]));
    assert_eq!(on_lists("$.a[?(@.o empty true)].o"), json!([{}]));
    assert_eq!(on_lists("$.a[?(@.o empty false)].o"), json!([{"k": 1}]));

    // `size` is Java's: UTF-16 code units, and the wanted size's whole part.
    let sized = json!({"a": [{"s": "😀"}, {"s": "ab"}]});
    let on_sized = |p: &str| Path::parse(p).unwrap().select(&sized).unwrap();
    assert_eq!(on_sized("$.a[?(@.s size 2)].s"), json!(["😀", "ab"]));
    assert_eq!(on_sized("$.a[?(@.s size 2.7)].s"), json!(["😀", "ab"]));

    let named = json!({"it's": 1, "a\\b": 2, r#"Test\""Name""#: 3, "tab\\t": 4});
    assert_eq!(Path::parse(r"$['it\'s']").unwrap().select(&named), Some(json!(1)));
    assert_eq!(Path::parse(r"$['a\\b']").unwrap().select(&named), Some(json!(2)));
    // A bracketed name reads no escape but its own quote's and a backslash's (AWS's recording
    // in `path_syntax::quoted_names`).
    assert_eq!(Path::parse(r#"$['Test\""Name"']"#).unwrap().select(&named), Some(json!(3)));
    assert_eq!(Path::parse(r"$['tab\t']").unwrap().select(&named), Some(json!(4)));
}

/// Jayway's deep scan and unions, which Step Functions runs in payload templates: the
/// developer guide's ItemBatcher example collects `"multiplied.$": "$..multiplied"`.
#[test]
fn deep_scans_and_unions() {
    let doc = json!({"a": {"x": 1, "b": [{"x": 2}, {"y": {"x": 3}}]}, "x": 0, "l": [10, 20, 30]});
    let sel = |p: &str| Path::parse(p).unwrap().select(&doc).unwrap();
    assert_eq!(sel("$..x"), json!([0, 1, 2, 3]), "a node's own field before those beneath it");
    assert_eq!(sel("$.a..x"), json!([1, 2, 3]));
    assert_eq!(sel("$..['x']"), sel("$..x"));
    assert_eq!(sel("$..b[1].y.x"), json!([3]));
    assert_eq!(sel("$..[?(@.x > 1)]"), json!([{"x": 2}, {"x": 3}]));
    assert_eq!(sel("$.l[0,2]"), json!([10, 30]));
    assert_eq!(sel("$.l[2,-3,7]"), json!([30, 10, null]), "Jackson's null node past the end");
    assert_eq!(sel("$['x','l']"), json!({"x": 0, "l": [10, 20, 30]}));
    assert_eq!(sel("$['x','nope']"), json!({"x": 0}));
    assert_eq!(sel("$.a.['x']"), json!(1));
    assert!(!Path::parse("$..x").unwrap().is_definite());
    assert!(Path::parse("$['x','l']").unwrap().is_definite());
    assert!(!Path::parse("$['x','l']").unwrap().is_reference());
    assert_eq!(Path::parse("$..b[0,1]").unwrap().printed(), "$..['b'][0,1]");
}

/// An index past either end of an array reads Jackson's null node wherever Jayway reads one:
/// after a wildcard, in a scan, in a filter's operand (Jayway JsonPath 2.9.0 over its Jackson
/// provider, run on these documents: json-path/JsonPath#1028). A definite path still selects
/// nothing there; a payload template turns that into `null` itself (floci-io/floci#3167).
#[test]
fn an_index_past_the_end_reads_jacksons_null_node() {
    let sel = |p: &str, doc: Value| Path::parse(p).unwrap().select(&doc);
    assert_eq!(sel("$.l[*][1]", json!({"l": [[1, 2], [3]]})), Some(json!([2, null])));
    assert_eq!(sel("$.l[*][-2]", json!({"l": [[1, 2], [3]]})), Some(json!([1, null])));
    assert_eq!(
        sel("$.l[*][1]", json!({"l": [[1, 2], {"x": 1}]})),
        Some(json!([2])),
        "an object has no index"
    );
    assert_eq!(
        sel("$..[0]", json!({"a": [[1, 2], [3]], "b": []})),
        Some(json!([[1, 2], 1, 3, null]))
    );
    let bs = json!({"a": [{"b": []}, {"b": [5]}]});
    assert_eq!(sel("$.a[*].b[0]", bs.clone()), Some(json!([null, 5])));
    assert_eq!(sel("$.a[?(@.b[0])]", bs.clone()), Some(json!([{"b": []}, {"b": [5]}])));
    assert_eq!(sel("$.a[?(@.b[0] == null)]", bs.clone()), Some(json!([{"b": []}])));
    assert_eq!(sel("$.a[0].b[0]", bs.clone()), None, "a definite path selects nothing");
    assert_eq!(sel("$.a[5].b", bs), None);
}

/// Jayway's lexical filter operators, which the developer guide names as what reference
/// paths cannot take (so other paths can).
#[test]
fn lexical_filter_operators() {
    let doc = json!({"a": [{"n": 1, "t": ["x", "y"]}, {"n": 2, "t": []}, {"n": 3, "t": ["z"], "s": "abc"}]});
    let sel = |p: &str| Path::parse(p).unwrap().select(&doc).unwrap();
    assert_eq!(sel("$.a[?(@.n in [1, 3.0])].n"), json!([1, 3]));
    assert_eq!(sel("$.a[?(@.n nin [1,3])].n"), json!([2]));
    assert_eq!(sel("$.a[?(@.t subsetof ['x','y','z'])].n"), json!([1, 2, 3]));
    assert_eq!(sel("$.a[?(@.t anyof ['y', 'z'])].n"), json!([1, 3]));
    assert_eq!(sel("$.a[?(@.t noneof ['x'])].n"), json!([2, 3]));
    assert_eq!(sel("$.a[?(@.t size 2)].n"), json!([1]));
    assert_eq!(sel("$.a[?(@.s size 3)].n"), json!([3]));
    assert_eq!(sel("$.a[?(@.t empty true)].n"), json!([2]));
    assert_eq!(sel("$.a[?(@.t[0,1] anyof ['y'])].n"), json!([1]));
    assert!(Path::parse("$.a[?(@.n in [1, 2)]").is_err());
    assert!(Path::parse("$.a[?(@.n in [@.x])]").is_err());
}

/// Field names are any text between the delimiters, which are ASCII: names outside ASCII
/// read whole, dotted or bracketed.
#[test]
fn names_outside_ascii() {
    let doc = json!({"café": {"ü ß": [1, {"名前": "x"}]}});
    let sel = |p: &str| Path::parse(p).unwrap().select(&doc).unwrap();
    assert_eq!(sel("$.café['ü ß'][1].名前"), json!("x"));
    assert_eq!(sel("$..名前"), json!(["x"]));
    assert!(Path::parse("$é").is_err());
}

#[test]
fn rejects_malformed_paths() {
    assert!(Path::parse("a.b").is_err());
    assert!(Path::parse("$.a[").is_err());
    assert!(Path::parse("$..").is_err());
}

/// A `$$` path is read against the part of the context object it names, when that is all it
/// can read: a member, or the plain names beneath it.
#[test]
fn a_context_path_names_what_it_reads() {
    let read = |path: &str| context_read(path.strip_prefix("$$").unwrap()).map(|r| (r.member.name(), r.fields));
    let some = |member: &'static str, fields: &[&str]| Some((member, fields.iter().map(|f| f.to_string()).collect::<Vec<_>>()));
    assert_eq!(read("$$.Map.Item.Value"), some("Map", &["Item", "Value"]));
    assert_eq!(read("$$.Execution.Id"), some("Execution", &["Id"]));
    assert_eq!(read("$$.Execution.Input.bucket"), some("Execution", &["Input", "bucket"]));
    assert_eq!(read("$$.Execution.Input[0].a"), some("Execution", &["Input"]));
    assert_eq!(read("$$.Execution.Input.items[0].a"), some("Execution", &["Input", "items"]));
    assert_eq!(read("$$.Execution.Input.a..b"), some("Execution", &["Input", "a"]));
    assert_eq!(read("$$.Execution.Input.a.*"), some("Execution", &["Input", "a"]));
    assert_eq!(read("$$.Execution.Input.a-b.c"), some("Execution", &["Input"]));
    assert_eq!(read("$$.Execution.Input.items.length()"), some("Execution", &["Input", "items"]));
    for whole_member in [
        "$$.Execution",
        "$$.Execution..Id",
        "$$.Execution.*",
        "$$.Execution['Id']",
        "$$.Execution[0]",
    ] {
        assert_eq!(read(whole_member), some("Execution", &[]), "{whole_member}");
    }
    for whole in ["$$", "$$..Index", "$$.*", "$$['Map']", "$$.Nope.x", "$$.Map.Item[?(@.a == $.b)]"] {
        assert_eq!(read(whole), None, "{whole}");
    }
}

/// Jayway's words for a path that selects nothing, each as Jayway JsonPath 2.9.0 over its Jackson
/// JsonNode provider throws it on these documents: a field missing before the last step names
/// the path through it; a last field missing, the whole path; a field of what is no object names
/// the Jackson node it met (or `null`, what an index past the end reads); an index into what is
/// no array, the steps from it on and the value it met; an index into that `null`, the path to it.
#[test]
fn a_path_that_selects_nothing_says_where_as_jayway_does() {
    let context = Context::fixed(json!({}));
    let says = |path: &str, input: Value| lookup_or_why(path, &input, &context).unwrap().unwrap_err();
    assert_eq!(says("$.no.such.result.path", json!({})), "Missing property in path $['no']");
    assert_eq!(says("$.a.b.c", json!({"a": {}})), "Missing property in path $['a']['b']");
    assert_eq!(says("$.Payload", json!({"other": 1})), "No results for path: $['Payload']");
    let not_an_object = |found: &str, path: &str, at: &str| {
        format!(
            "Expected to find an object with property {path} in path {at} but found '{found}'. This is not a json \
             object according to the JsonProvider: 'com.jayway.jsonpath.spi.json.JacksonJsonNodeJsonProvider'."
        )
    };
    let node = |class: &str| format!("com.fasterxml.jackson.databind.node.{class}");
    assert_eq!(says("$.a[3].b", json!({"a": [1]})), not_an_object("null", "['b']", "$['a'][3]"));
    assert_eq!(
        says("$.a.b.c", json!({"a": 2.5})),
        not_an_object(&node("DoubleNode"), "['b']", "$['a']")
    );
    assert_eq!(
        says("$.a.b", json!({"a": null})),
        not_an_object(&node("NullNode"), "['b']", "$['a']")
    );
    assert_eq!(says("$['a'].b", json!([[0]])), not_an_object(&node("ArrayNode"), "['a']", "$"));
    assert_eq!(
        says("$.a['b','c']", json!({"a": "x"})),
        not_an_object(&node("TextNode"), "['b','c']", "$['a']")
    );
    assert_eq!(
        says("$.a.b", json!({"a": true})),
        not_an_object(&node("BooleanNode"), "['b']", "$['a']")
    );
    assert_eq!(says("$.a.b", json!({"a": 1})), not_an_object(&node("IntNode"), "['b']", "$['a']"));
    assert_eq!(
        says("$.a.b", json!({"a": 12345678901_i64})),
        not_an_object(&node("LongNode"), "['b']", "$['a']")
    );
    assert_eq!(
        says("$[-3]['c'].b", json!({"b": [1], "a": 0})),
        "Filter: [-3]['c']['b'] can only be applied to arrays. Current context is: {\"b\":[1],\"a\":0}"
    );
    assert_eq!(
        says("$.a[5]", json!({"a": null})),
        "Filter: [5] can only be applied to arrays. Current context is: null"
    );
    assert_eq!(says("$.a[0][-1]", json!({"a": []})), "The path $['a'][0] is null");
}
