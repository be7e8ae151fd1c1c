//! JSONPath as Step Functions uses it (Jayway's): `$`, dotted and bracketed field names, array
//! indices and unions of them (`[0,2]`, `['a','b']`), the `*` wildcard, slices (`[1:]`, `[:2]`,
//! `[-2:]`, `[0:6:2]`), filters (`[?(@.price < 10)]`, `[?(@.name =~ /a.*/i)]`) and the deep scan
//! (`$..price`). Paths with a wildcard, slice, filter, index union or scan are indefinite and
//! yield an array of matches; reference paths (ResultPath) are definite and may create the
//! fields they name.

use std::borrow::Cow;

use serde_json::{Map, Value};

use crate::context::{Context, ContextRead, Member};
use crate::error::StatesError;
use crate::path_filter::Filter;
use crate::path_syntax::{bracketed, closing_bracket};

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Segment {
    Field(String),
    /// `['a','b']`: as the last step, one object of those of the fields that are present
    /// (Jayway's merge); before another step, each of them in turn.
    Fields(Vec<String>),
    Index(i64),
    /// `[0,2]`: the elements at each index, in the order written; one out of range is `null`.
    Indices(Vec<i64>),
    Wildcard,
    /// `[start:end]`, either part optional (not both); Jayway reads no step, so a third part
    /// is ignored.
    Slice(Option<i64>, Option<i64>),
    Filter(Box<Filter>),
    /// `..step`: the step applied at a node and at every node beneath it, each node before
    /// the nodes beneath it; a filter keeps each object that passes it (Jayway's deep scan).
    Scan(Box<Segment>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    text: String,
    segments: Vec<Segment>,
}

impl Path {
    /// Parses a path that starts with `$`. (`$$` context paths are split off by the caller.)
    pub fn parse(text: &str) -> Result<Self, StatesError> {
        let bad = |why: &str| StatesError::runtime(format!("invalid JSONPath '{text}': {why}"));
        let rest = text.strip_prefix('$').ok_or_else(|| bad("must start with '$'"))?;
        // Byte offsets: every delimiter is ASCII, so each one is a character boundary.
        let bytes = rest.as_bytes();
        let mut segments = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            // `..` scans; a single `.` may also come before a bracket (`$.abc.['def ghi']`, as
            // the developer guide writes one).
            let scan = bytes[i..].starts_with(b"..");
            match bytes[i] {
                b'.' if scan => i += 2,
                b'.' => i += 1,
                b'[' => {}
                _ => {
                    let c = rest[i..].chars().next().unwrap_or_default();
                    return Err(bad(&format!("unexpected '{c}'")));
                }
            }
            let segment = if bytes.get(i) == Some(&b'[') {
                let close = closing_bracket(rest, i).ok_or_else(|| bad("unclosed '['"))?;
                let inner = rest[i + 1..close].trim();
                i = close + 1;
                bracketed(inner).map_err(|why| bad(&why))?
            } else {
                let end = rest[i..].find(['.', '[']).map_or(rest.len(), |n| i + n);
                let name = &rest[i..end];
                i = end;
                match name {
                    "" => return Err(bad("empty field name")),
                    // Jayway refuses a space in a dotted name ("Use bracket notion ['my prop'] if
                    // your property contains blank characters", its PathCompiler), as the
                    // developer guide asks for `$.abc.['def ghi']`.
                    n if n.contains(' ') => return Err(bad("a name with a space is written in brackets: ['my prop']")),
                    "*" => Segment::Wildcard,
                    _ => Segment::Field(name.to_string()),
                }
            };
            segments.push(if scan { Segment::Scan(Box::new(segment)) } else { segment });
        }
        Ok(Self {
            text: text.to_string(),
            segments,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the path names one node: fields and indices only, or a merge of named fields at
    /// its end (Jayway's rule).
    pub fn is_definite(&self) -> bool {
        let last = self.segments.len().saturating_sub(1);
        self.segments.iter().enumerate().all(|(at, s)| match s {
            Segment::Field(_) | Segment::Index(_) => true,
            Segment::Fields(_) => at == last,
            _ => false,
        })
    }

    /// How many steps the path takes from `$`.
    pub fn depth(&self) -> usize {
        self.segments.len()
    }

    /// Whether this is a reference path: fields and indices only (developer guide, Reference
    /// paths: no `@ .. , : ? *`).
    pub fn is_reference(&self) -> bool {
        self.segments.iter().all(|s| matches!(s, Segment::Field(_) | Segment::Index(_)))
    }

    /// Selects from `root`. A definite path yields its value or `None`, also where its last
    /// step indexes past the end of an array; an indefinite one always yields an array (possibly
    /// empty) of every match.
    pub fn select(&self, root: &Value) -> Option<Value> {
        self.read(root, false)
    }

    /// What Jayway reads from `root`: as [`Path::select`], except that a definite path ending
    /// past the end of an array reads Jackson's null node too, as a filter's operand does
    /// (`[?(@.b[0] == null)]` holds for an empty `b`) and a payload template's field.
    pub(crate) fn read_as_jayway(&self, root: &Value) -> Option<Value> {
        self.read(root, true)
    }

    fn read(&self, root: &Value, past_the_end: bool) -> Option<Value> {
        let (merge, steps) = match self.segments.split_last() {
            Some((Segment::Fields(names), rest)) => (Some(names), rest),
            _ => (None, &self.segments[..]),
        };
        let mut current = vec![root];
        for segment in steps {
            let mut next = Vec::new();
            for value in current {
                step(segment, value, root, &mut next);
            }
            current = next;
        }
        // A definite path clones its one value, no more: selection is the interpreter's hot path.
        match (merge, self.is_definite()) {
            (Some(names), true) => current.into_iter().find_map(|v| merged(names, v)),
            (Some(names), false) => Some(Value::Array(current.into_iter().filter_map(|v| merged(names, v)).collect())),
            (None, true) => current
                .first()
                .filter(|v| past_the_end || !std::ptr::eq(**v, &NULL_NODE))
                .map(|v| (*v).clone()),
            (None, false) => Some(Value::Array(current.into_iter().cloned().collect())),
        }
    }

    /// Writes `value` at this reference path inside `root`, creating missing object fields. A
    /// path that cannot be written — a field of something that is not an object, an index
    /// outside its array — fails as Step Functions fails it: `States.ReferencePathConflict`,
    /// "Unable to apply ReferencePath $.someTaskResult to input \"input1\"" (AWS's error quoted
    /// in `tests/conformance/io.json`), the input untouched and written as JSON.
    pub fn set(&self, root: &mut Value, value: Value) -> Result<(), StatesError> {
        let conflict = |root: &Value| {
            StatesError::new(
                crate::error::names::REFERENCE_PATH_CONFLICT,
                format!("Unable to apply ReferencePath {} to input {root}", self.text),
            )
        };
        if !self.settable(root) {
            return Err(conflict(root));
        }
        match self.slot(root) {
            Some(slot) => {
                *slot = value;
                Ok(())
            }
            None => Err(conflict(root)),
        }
    }

    /// Whether [`Path::set`] can write here, checked before it changes anything: every step is a
    /// field of an object (or of a field it creates) or an element of an array.
    fn settable(&self, root: &Value) -> bool {
        // `None`: below a field that writing creates.
        let mut at = Some(root);
        for segment in &self.segments {
            at = match (segment, at) {
                (Segment::Field(f), Some(Value::Object(m))) => m.get(f),
                (Segment::Field(_), Some(Value::Null) | None) => None,
                (Segment::Index(i), Some(Value::Array(a))) => match usize::try_from(*i).ok().and_then(|i| a.get(i)) {
                    Some(element) => Some(element),
                    None => return false,
                },
                _ => return false,
            };
        }
        true
    }

    /// The place this path names inside `root`, creating missing object fields; `None` where
    /// [`Path::settable`] says no.
    fn slot<'a>(&self, root: &'a mut Value) -> Option<&'a mut Value> {
        let mut target = root;
        for segment in &self.segments {
            target = match segment {
                Segment::Field(f) => {
                    if target.is_null() {
                        *target = Value::Object(Map::new());
                    }
                    target.as_object_mut()?.entry(f.clone()).or_insert(Value::Null)
                }
                Segment::Index(i) => target.as_array_mut()?.get_mut(usize::try_from(*i).ok()?)?,
                Segment::Fields(_)
                | Segment::Indices(_)
                | Segment::Wildcard
                | Segment::Slice(..)
                | Segment::Filter(_)
                | Segment::Scan(_) => {
                    return None;
                }
            };
        }
        Some(target)
    }

    /// The path as Jayway prints it: `$['a'][0]`.
    fn printed(&self) -> String {
        format!("${}", normalized(&self.segments))
    }

    /// The first step of a definite path that finds nothing in `root`, as Step Functions names
    /// it: a field's name, an index's number.
    fn first_missing_step(&self, root: &Value) -> Option<String> {
        let mut at = root;
        for segment in &self.segments {
            let next = match (segment, at) {
                (Segment::Field(f), Value::Object(m)) => m.get(f),
                (Segment::Index(i), Value::Array(a)) => usize::try_from(*i).ok().and_then(|i| a.get(i)),
                _ => None,
            };
            match (next, segment) {
                (Some(v), _) => at = v,
                (None, Segment::Field(f)) => return Some(f.clone()),
                (None, Segment::Index(i)) => return Some(i.to_string()),
                (None, _) => return Some(String::new()),
            }
        }
        None
    }
}

/// One step from `value`, each node it reaches pushed onto `out`. Inlined: selection is the
/// interpreter's hot path, and the scan's recursion would otherwise keep it a call.
#[inline(always)]
fn step<'a>(segment: &Segment, value: &'a Value, root: &Value, out: &mut Vec<&'a Value>) {
    match (segment, value) {
        (Segment::Field(f), Value::Object(m)) => out.extend(m.get(f)),
        (Segment::Fields(names), Value::Object(m)) => out.extend(names.iter().filter_map(|n| m.get(n))),
        (Segment::Index(i), Value::Array(a)) => out.push(element(a, *i).unwrap_or(&NULL_NODE)),
        (Segment::Indices(is), Value::Array(a)) => out.extend(is.iter().map(|i| element(a, *i).unwrap_or(&NULL_NODE))),
        (Segment::Wildcard, Value::Array(a)) => out.extend(a.iter()),
        (Segment::Wildcard, Value::Object(m)) => out.extend(m.values()),
        (Segment::Slice(start, end), Value::Array(a)) => out.extend(slice_of(a, *start, *end)),
        (Segment::Filter(f), Value::Array(a)) => out.extend(a.iter().filter(|e| f.accepts(e, root))),
        (Segment::Filter(f), object @ Value::Object(_)) if f.accepts(object, root) => out.push(object),
        (Segment::Scan(inner), node) => scan(inner, node, root, out),
        _ => {}
    }
}

/// Jayway's deep scan: the step at `node`, then at each node beneath it, depth first, members
/// and elements in order. A scanned filter tests each object itself, not its members.
fn scan<'a>(inner: &Segment, node: &'a Value, root: &Value, out: &mut Vec<&'a Value>) {
    match inner {
        Segment::Filter(f) => {
            if node.is_object() && f.accepts(node, root) {
                out.push(node);
            }
        }
        _ => step(inner, node, root, out),
    }
    match node {
        Value::Object(m) => m.values().for_each(|child| scan(inner, child, root, out)),
        Value::Array(a) => a.iter().for_each(|child| scan(inner, child, root, out)),
        _ => {}
    }
}

/// What Jayway reads at an index that lies outside the array, alone, in a union or in a slice:
/// AWS reads arrays through Jackson, whose element out of range is a null node
/// (json-path/JsonPath#1028; recorded for a lone index in floci-io/floci#3167), so the position
/// is kept, as `null`. Only this static is that node: a definite path that ends on it selected
/// nothing (see [`Path::select`]), where a `null` in the document is a value.
static NULL_NODE: Value = Value::Null;

/// The element at `i`, counted from the end when negative.
fn element(a: &[Value], i: i64) -> Option<&Value> {
    let idx = if i < 0 { a.len() as i64 + i } else { i };
    usize::try_from(idx).ok().and_then(|i| a.get(i))
}

/// The named fields of an object, those present, as one object (Jayway's multi-field merge).
fn merged(names: &[String], value: &Value) -> Option<Value> {
    let m = value.as_object()?;
    Some(Value::Object(
        names
            .iter()
            .filter_map(|n| m.get_key_value(n))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    ))
}

/// Jayway's slices, which are AWS's (json-path/JsonPath, ArraySliceToken and
/// PathToken.handleArrayIndex): `[from:]` and `[:to]` count a negative bound from the end and
/// clamp it; `[from:to]` clamps `to` to the length without counting it from the end, so
/// `[1:-1]` selects nothing, and walks from `from`, each negative index counted from the end
/// as a single index is (`[-2:4]` of four elements is the last two, then the first four).
/// One still out of range is Jackson's null node, as in a union; an empty array yields nothing
/// (ArraySliceToken returns before it walks one).
fn slice_of(a: &[Value], start: Option<i64>, end: Option<i64>) -> Vec<&Value> {
    if a.is_empty() {
        return Vec::new();
    }
    let len = a.len() as i64;
    let index = |i: i64| if i < 0 { len + i } else { i };
    let walk = match (start, end) {
        (Some(from), None) => index(from).max(0)..len,
        (None, Some(to)) => 0..index(to).min(len),
        (Some(from), Some(to)) => from..to.min(len),
        (None, None) => 0..0,
    };
    walk.map(|i| element(a, i).unwrap_or(&NULL_NODE)).collect()
}

pub(crate) fn type_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Parses a path once per thread: states evaluate the same few paths over and over.
pub fn cached(text: &str) -> Result<std::rc::Rc<Path>, StatesError> {
    thread_local! {
        static PATHS: std::cell::RefCell<std::collections::HashMap<String, std::rc::Rc<Path>>> = Default::default();
    }
    PATHS.with(|cache| {
        if let Some(p) = cache.borrow().get(text) {
            return Ok(p.clone());
        }
        let parsed = std::rc::Rc::new(Path::parse(text)?);
        let mut cache = cache.borrow_mut();
        if cache.len() > 4096 {
            cache.clear(); // bounded: a definition has a fixed set of paths
        }
        cache.insert(text.to_string(), parsed.clone());
        Ok(parsed)
    })
}

/// Resolves `$...` against the state input and `$$...` against the context object; a path that
/// selects nothing is an error. Fields with their own wording for a miss use [`lookup`].
pub fn resolve(path: &str, input: &Value, context: &Context) -> Result<Value, StatesError> {
    lookup(path, input, context)?.ok_or_else(|| {
        StatesError::runtime(format!(
            "The JSONPath '{path}' could not be found in the input '{}'",
            serde_json::to_string(input).unwrap_or_default()
        ))
    })
}

/// What a reference path such as a Map's `ItemsPath` selects. One that selects nothing fails
/// as Step Functions fails it, naming the first step that found nothing and the whole input:
/// `States.ReferencePathConflict`, "Unable to apply step \"objects\" to input {…}" (AWS's
/// cause as quoted in `tests/conformance/states.json`).
pub fn reference(path: &str, input: &Value, context: &Context) -> Result<Value, StatesError> {
    let (parsed, root) = rooted(path, input, context)?;
    parsed.select(&root).ok_or_else(|| {
        let step = parsed.first_missing_step(&root).unwrap_or_default();
        StatesError::new(
            crate::error::names::REFERENCE_PATH_CONFLICT,
            format!("Unable to apply step \"{step}\" to input {}", context.quoted(input)),
        )
    })
}

/// What a path selects, `None` when it selects nothing. Errors only for a path that cannot be
/// read or a variable that is not defined.
pub fn lookup(path: &str, input: &Value, context: &Context) -> Result<Option<Value>, StatesError> {
    let (parsed, root) = rooted(path, input, context)?;
    Ok(parsed.select(&root))
}

/// Jayway's words where a definite path that selects nothing first indexes something that is
/// not an array (see [`Path::index_into_non_array`]).
pub(crate) fn non_array_index(path: &str, input: &Value, context: &Context) -> Option<String> {
    let (parsed, root) = rooted(path, input, context).ok()?;
    parsed.index_into_non_array(&root)
}

/// What a payload template's `.$` path selects: as [`lookup`], except that a definite path
/// ending in an index past either end of its array is `null`. So on AWS, whose JSONPath reads
/// arrays through Jackson, where an element out of range is a null node
/// (json-path/JsonPath#1028); recorded in floci-io/floci#3167. An intrinsic's argument, read
/// another way, still misses (floci-io/floci#2870).
pub fn lookup_in_template(path: &str, input: &Value, context: &Context) -> Result<Option<Value>, StatesError> {
    let (parsed, root) = rooted(path, input, context)?;
    Ok(parsed.read_as_jayway(&root))
}

/// A context path (`$$.Nope.Deep`) as the path it is within the context object (`$.Nope.Deep`),
/// as Step Functions names one that selects nothing; `None` for any other path.
pub(crate) fn within_context(path: &str) -> Option<&str> {
    path.strip_prefix('$').filter(|within| within.starts_with('$'))
}

/// Whether a path reads the state's input (`$`, `$.a`, `$[0]`), not the context object (`$$`)
/// or a workflow variable (`$name`).
pub(crate) fn reads_input(path: &str) -> bool {
    path.strip_prefix('$')
        .is_some_and(|rest| !rest.starts_with(|c: char| c == '$' || c.is_ascii_alphabetic() || c == '_'))
}

/// Step Functions applies no path to a null input, `$` included: a Parameters field's
/// (`"Input.$": "$"`) and a Choice rule's (`"Variable": "$"`) fail the state with States.Runtime
/// in these words (recorded causes cited in `tests/conformance/errors.json` and
/// `tests/conformance/choice.json`). Paths into the context object or a variable still read.
pub(crate) fn refuse_null_input(path: &str, input: &Value) -> Result<(), StatesError> {
    if input.is_null() && reads_input(path) {
        return Err(StatesError::runtime("Unable to apply Path transformation to null or empty input."));
    }
    Ok(())
}

/// A path that reads a workflow variable (`$name…`): the variable's name and the path into its
/// value (`$order.items[0]` is `order` and `.items[0]`).
pub(crate) fn variable_path(path: &str) -> Option<(&str, &str)> {
    let rest = path
        .strip_prefix('$')
        .filter(|r| r.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_'))?;
    Some(rest.split_at(rest.find(['.', '[']).unwrap_or(rest.len())))
}

/// The parsed path and the document it reads: the context object (`$$`), a workflow variable
/// (`$name…`, the rest of the path applying to its value) or the input.
fn rooted<'a>(path: &str, input: &'a Value, context: &Context) -> Result<(std::rc::Rc<Path>, Cow<'a, Value>), StatesError> {
    if let Some(rest) = path.strip_prefix("$$") {
        let root = match context_read(rest) {
            Some(read) => context.reading(&[read]),
            None => context.to_value(),
        };
        return Ok((cached(&format!("${rest}"))?, Cow::Owned(root)));
    }
    if let Some((name, tail)) = variable_path(path) {
        let value = context
            .variable(name)
            .ok_or_else(|| StatesError::runtime(format!("the variable '${name}' referenced by '{path}' is not defined")))?;
        return Ok((cached(&format!("${tail}"))?, Cow::Owned(value)));
    }
    Ok((cached(path)?, Cow::Borrowed(input)))
}

/// A path's first step's name, up to the next `.` or `[`.
fn first_step(path: &str) -> &str {
    path.split(['.', '[']).next().unwrap_or_default()
}

/// What a `$$` path reads of the context object: its first step's member (`Map` for
/// `$$.Map.Item.Value`) and the plain names that follow it (`Item`, `Value`); `None` when more
/// could be read (a `$` in a filter, a deep scan from the root, a bracket).
fn context_read(rest: &str) -> Option<ContextRead> {
    if rest.contains('$') {
        return None;
    }
    let from_member = rest.strip_prefix('.')?;
    let member = Member::named(first_step(from_member))?;
    let mut tail = &from_member[member.name().len()..];
    let mut fields = Vec::new();
    while let Some(next) = tail.strip_prefix('.') {
        let name = first_step(next);
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            break;
        }
        fields.push(name.to_string());
        tail = &next[name.len()..];
    }
    Some(ContextRead { member, fields })
}

/// What a path selects in `input`, or, when it selects nothing, why, in the words Step Functions
/// passes on from Jayway JsonPath for an InputPath or OutputPath. A field missing before the last
/// step is "Missing property in path $['no']" (recorded on AWS: localstack/localstack,
/// test_base_scenarios.snapshot.json, test_catch_states_runtime, 2023-11-23, OutputPath
/// `$.no.such.result.path` over `{}`); a last field missing is "No results for path:
/// $['Payload']" (the recorded execution `tests/conformance/io.json` cites). Errs only as
/// [`lookup`] does.
pub(crate) fn lookup_or_why(path: &str, input: &Value, context: &Context) -> Result<Result<Value, String>, StatesError> {
    let (parsed, root) = rooted(path, input, context)?;
    Ok(parsed.select(&root).ok_or_else(|| parsed.not_found(&root)))
}

/// Steps as Jayway prints them, each bracketed: `['a'][0]`.
fn normalized(steps: &[Segment]) -> String {
    let mut out = String::new();
    steps.iter().for_each(|s| write_normalized(s, &mut out));
    out
}

fn write_normalized(segment: &Segment, out: &mut String) {
    let listed = |items: Vec<String>| format!("[{}]", items.join(","));
    match segment {
        Segment::Field(f) => out.push_str(&format!("['{f}']")),
        Segment::Fields(names) => out.push_str(&listed(names.iter().map(|n| format!("'{n}'")).collect())),
        Segment::Index(i) => out.push_str(&format!("[{i}]")),
        Segment::Indices(is) => out.push_str(&listed(is.iter().map(i64::to_string).collect())),
        Segment::Wildcard => out.push_str("[*]"),
        Segment::Slice(start, end) => {
            let part = |n: &Option<i64>| n.map(|n| n.to_string()).unwrap_or_default();
            out.push_str(&format!("[{}:{}]", part(start), part(end)));
        }
        Segment::Filter(_) => out.push_str("[?]"),
        Segment::Scan(inner) => {
            out.push_str("..");
            write_normalized(inner, out);
        }
    }
}

mod miss;
#[cfg(test)]
mod tests;
