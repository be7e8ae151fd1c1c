//! The intrinsic functions (`States.Format(...)` and friends) of the JSONPath query language.

use serde_json::{Map, Value};

use crate::context::Context;
use crate::error::{MAX_NESTING, StatesError};
use crate::path::{lookup, type_of};

/// Escaped braces (`\{`, `\}`) inside string literals, kept apart from placeholders until
/// `States.Format` has seen them.
const OPEN: char = '\u{E000}';
const CLOSE: char = '\u{E001}';

fn unmark(s: &str) -> String {
    s.replace(OPEN, "{").replace(CLOSE, "}")
}

/// The intrinsic functions Step Functions defines, with the arguments each takes.
const FUNCTIONS: [(&str, usize, usize); 18] = [
    ("States.Format", 1, usize::MAX),
    ("States.StringToJson", 1, 1),
    ("States.JsonToString", 1, 1),
    ("States.Array", 0, usize::MAX),
    ("States.ArrayPartition", 2, 2),
    ("States.ArrayContains", 2, 2),
    ("States.ArrayRange", 3, 3),
    ("States.ArrayGetItem", 2, 2),
    ("States.ArrayLength", 1, 1),
    ("States.ArrayUnique", 1, 1),
    ("States.Base64Encode", 1, 1),
    ("States.Base64Decode", 1, 1),
    ("States.Hash", 2, 2),
    ("States.JsonMerge", 3, 3),
    ("States.MathRandom", 2, 3),
    ("States.MathAdd", 2, 2),
    ("States.StringSplit", 2, 2),
    // AWS ignores what States.UUID is given: 'x', $.x, (1, 2), null and 123 each gave a UUID (a
    // public Step Functions conformance catalogue run against AWS, tests/support/conformance/
    // intrinsicCases/States.UUID.ts, UUID-011 to UUID-015).
    ("States.UUID", 0, usize::MAX),
];

#[derive(Debug, Clone, PartialEq)]
enum Arg {
    Literal(Value),
    Path(String),
    Call(String, Vec<Arg>),
}

/// Whether a string is an intrinsic call rather than a path.
pub fn is_intrinsic(expr: &str) -> bool {
    expr.trim_start().starts_with("States.")
}

/// Parses an intrinsic expression without evaluating it (definition validation).
pub fn parse(expr: &str) -> Result<(), StatesError> {
    parse_call(expr).map(|_| ())
}

fn parse_call(expr: &str) -> Result<Arg, StatesError> {
    let mut parser = Parser {
        text: expr,
        chars: expr.char_indices().collect(),
        pos: 0,
        depth: 0,
    };
    let call = parser.arg()?;
    parser.skip_ws();
    if parser.pos != parser.chars.len() || !matches!(call, Arg::Call(..)) {
        return Err(parser.error("expected exactly one intrinsic function call"));
    }
    Ok(call)
}

/// Evaluates one intrinsic expression against the state input and context object. Parsed
/// expressions are kept per thread, since a definition evaluates the same few many times.
pub fn evaluate(expr: &str, input: &Value, context: &Context) -> Result<Value, StatesError> {
    thread_local! {
        static CALLS: std::cell::RefCell<std::collections::HashMap<String, std::rc::Rc<Arg>>> = Default::default();
    }
    let call = CALLS.with(|cache| -> Result<std::rc::Rc<Arg>, StatesError> {
        if let Some(c) = cache.borrow().get(expr) {
            return Ok(c.clone());
        }
        let parsed = std::rc::Rc::new(parse_call(expr)?);
        let mut cache = cache.borrow_mut();
        if cache.len() > 4096 {
            cache.clear();
        }
        cache.insert(expr.to_string(), parsed.clone());
        Ok(parsed)
    })?;
    eval_arg(&call, expr, input, context)
}

struct Parser<'a> {
    text: &'a str,
    chars: Vec<(usize, char)>,
    pos: usize,
    /// Calls open around the parser's position.
    depth: usize,
}

impl Parser<'_> {
    fn error(&self, why: &str) -> StatesError {
        StatesError::intrinsic(format!("{why} at character {} of '{}'", self.pos, crate::error::excerpt(self.text)))
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).map(|&(_, c)| c)
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn arg(&mut self) -> Result<Arg, StatesError> {
        self.skip_ws();
        match self.peek() {
            Some('\'') => self.string().map(|s| Arg::Literal(Value::String(s))),
            Some('$') => Ok(Arg::Path(self.path())),
            Some(c) if c.is_ascii_digit() || c == '-' => self.number(),
            Some(_) => self.call_or_keyword(),
            None => Err(self.error("unexpected end")),
        }
    }

    fn string(&mut self) -> Result<String, StatesError> {
        self.pos += 1;
        let mut out = String::new();
        while let Some(c) = self.peek() {
            self.pos += 1;
            match c {
                // Only the four reserved characters are escaped: AWS refuses `\n` and the like
                // when the definition is created (a Terraform apply against AWS recorded "The
                // value for the field 'Message.$' must be a valid JSONPath or a valid intrinsic
                // function call" for `States.Format('Pipeline failed.\\nError: {}', …)`).
                '\\' => {
                    let escaped = self.peek().ok_or_else(|| self.error("dangling escape"))?;
                    out.push(match escaped {
                        '{' => OPEN,
                        '}' => CLOSE,
                        '\'' | '\\' => escaped,
                        other => return Err(self.error(&format!("'\\{other}' is not an escape (only \\' \\{{ \\}} \\\\ are)"))),
                    });
                    self.pos += 1;
                }
                '\'' => return Ok(out),
                c => out.push(c),
            }
        }
        Err(self.error("unterminated string literal"))
    }

    fn path(&mut self) -> String {
        let mut out = String::new();
        let mut in_bracket = false;
        while let Some(c) = self.peek() {
            if !in_bracket && (c == ',' || c == ')' || c.is_whitespace()) {
                break;
            }
            in_bracket = match c {
                '[' => true,
                ']' => false,
                _ => in_bracket,
            };
            out.push(c);
            self.pos += 1;
        }
        out
    }

    fn number(&mut self) -> Result<Arg, StatesError> {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_digit() || matches!(c, '-' | '.' | 'e' | 'E' | '+'))
        {
            self.pos += 1;
        }
        let text: String = self.chars[start..self.pos].iter().map(|&(_, c)| c).collect();
        serde_json::from_str::<Value>(&text)
            .ok()
            .filter(Value::is_number)
            .map(Arg::Literal)
            .ok_or_else(|| self.error("invalid number"))
    }

    fn call_or_keyword(&mut self) -> Result<Arg, StatesError> {
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_alphanumeric() || c == '.') {
            self.pos += 1;
        }
        let name: String = self.chars[start..self.pos].iter().map(|&(_, c)| c).collect();
        match name.as_str() {
            "true" => return Ok(Arg::Literal(Value::Bool(true))),
            "false" => return Ok(Arg::Literal(Value::Bool(false))),
            "null" => return Ok(Arg::Literal(Value::Null)),
            _ => {}
        }
        if !FUNCTIONS.iter().any(|(f, _, _)| *f == name) {
            return Err(self.error(&format!("unknown intrinsic function '{name}'")));
        }
        self.skip_ws();
        if self.peek() != Some('(') {
            return Err(self.error("expected '('"));
        }
        self.pos += 1;
        if self.depth == MAX_NESTING {
            return Err(self.error(&format!("intrinsic functions nest more than {MAX_NESTING} deep")));
        }
        self.depth += 1;
        let call = self.call_arguments(name);
        self.depth -= 1;
        call
    }

    /// A call's arguments, after its `(`. How many a function takes is checked when it is
    /// called: AWS accepts `States.Hash()`, `States.Hash('hello', 'SHA-256', 'extra')` and
    /// `States.StringToJson($.a, $.b)` in a definition and fails their executions with
    /// States.Runtime (a public conformance catalogue run against AWS,
    /// tests/support/conformance/intrinsicCases: HASH-021 to 023, B64D-013/014, STJ-18/19).
    fn call_arguments(&mut self, name: String) -> Result<Arg, StatesError> {
        let mut args = Vec::new();
        self.skip_ws();
        if self.peek() == Some(')') {
            self.pos += 1;
            return Ok(Arg::Call(name, args));
        }
        loop {
            args.push(self.arg()?);
            self.skip_ws();
            match self.peek() {
                Some(',') => self.pos += 1,
                Some(')') => {
                    self.pos += 1;
                    return Ok(Arg::Call(name, args));
                }
                _ => return Err(self.error("expected ',' or ')'")),
            }
        }
    }
}

/// Why a function refused its arguments, in Baton's words (`why`). Step Functions mostly names
/// only the function: a call it cannot make fails the execution with `States.Runtime`, not
/// `States.IntrinsicFailure`, its cause holding "Invalid arguments in States.MathAdd" (recorded
/// on AWS: a deployed stack's test of `States.MathAdd` given 'NOT A NUMBER', and an execution
/// log's "States.Runtime: Invalid arguments in States.StringToJson" for an object). So the
/// reason goes to the debug log, and to the JSONata functions that share the implementation;
/// where AWS says more, `said` holds its sentence.
#[derive(Debug)]
pub(crate) struct InvalidArguments {
    pub(crate) why: String,
    said: Option<String>,
}

impl InvalidArguments {
    fn new(why: impl Into<String>) -> Self {
        Self {
            why: why.into(),
            said: None,
        }
    }

    /// A refusal AWS words itself, in `said`.
    fn said(why: impl Into<String>, said: String) -> Self {
        Self {
            why: why.into(),
            said: Some(said),
        }
    }
}

/// The failure of `name`, called within `whole`, in AWS's words: the whole expression as
/// written, then the function that refused, however deep it is nested —
/// `There was an error while evaluating the intrinsic function:
/// States.ArrayLength(States.JsonToString($.items)). Invalid arguments in States.ArrayLength`
/// (recorded on AWS for arguments of the wrong type or number, a sum past a Java int, an unknown
/// hash algorithm and a nested call: gabrielmoreira/tiny-asl-machine, tests/conformance/cases/
/// .snapshots/aws/, States.MathAdd-011/019/021/035, States.Hash-016/017/020,
/// Feature.IntrinsicComposition-003). An argument that selects nothing is worded otherwise
/// (`eval_arg`).
fn refused(whole: &str, name: &str, why: &InvalidArguments) -> StatesError {
    tracing::debug!(function = name, expression = whole, why = %why.why, "an intrinsic function refused its arguments");
    let sentence = why.said.clone().unwrap_or_else(|| format!("Invalid arguments in {name}"));
    StatesError::runtime(format!(
        "There was an error while evaluating the intrinsic function: {whole}. {sentence}"
    ))
}

/// `whole` is the expression `arg` is part of: a path argument that selects nothing fails the
/// execution naming it, in Step Functions' words (recorded on AWS, cited in
/// `tests/conformance/errors.json`); an argument that is present but null is kept. A context
/// path is named as the path it is within the context object (`$$.Nope.Deep` as `$.Nope.Deep`),
/// beside the state's input all the same.
fn eval_arg(arg: &Arg, whole: &str, input: &Value, context: &Context) -> Result<Value, StatesError> {
    match arg {
        Arg::Literal(Value::String(s)) => Ok(Value::String(unmark(s))),
        Arg::Literal(v) => Ok(v.clone()),
        Arg::Path(p) => lookup(p, input, context)?.ok_or_else(|| {
            // Indexing what is not an array, AWS passes on its JSONPath reader's (Jayway's)
            // words: "Filter: [0] can only be applied to arrays. Current context is: 1"
            // (measured on AWS for `States.Format('{}', $.other[0])` with `{"other":1}`,
            // floci-io/floci's AslExecutorIntrinsicMissingArgumentTest).
            let problem = match crate::path::non_array_index(p, input, context) {
                Some(jayway) => jayway,
                None => format!(
                    "The JsonPath argument for the field '{}' could not be found in the input '{}'",
                    crate::path::within_context(p).unwrap_or(p),
                    context.quoted(input)
                ),
            };
            StatesError::runtime(format!("The function '{whole}' had the following error: {problem}"))
        }),
        Arg::Call(name, args) => {
            let mut values = Vec::with_capacity(args.len());
            for (i, a) in args.iter().enumerate() {
                values.push(match a {
                    // Format's template keeps its escaped braces marked until it has placed
                    // the arguments.
                    Arg::Literal(v @ Value::String(_)) if i == 0 && name == "States.Format" => v.clone(),
                    other => eval_arg(other, whole, input, context)?,
                });
            }
            call(name, &values, INTRINSIC_BOUNDS).map_err(|why| refused(whole, name, &why))
        }
    }
}

/// How much a call may make or read. An intrinsic's bounds are the developer guide's:
/// States.ArrayRange gives at most 1,000 items, and Base64Encode, Base64Decode and Hash take
/// "up to 10,000 characters". The JSONata functions that share the code have their own.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bounds {
    pub(crate) range_items: usize,
    pub(crate) text_units: usize,
}

pub(crate) const INTRINSIC_BOUNDS: Bounds = Bounds {
    range_items: 1000,
    text_units: 10_000,
};

pub(crate) fn call(name: &str, args: &[Value], bounds: Bounds) -> Result<Value, InvalidArguments> {
    let unknown = || InvalidArguments::new(format!("unknown intrinsic function {name}"));
    let &(_, min, max) = FUNCTIONS.iter().find(|(f, _, _)| *f == name).ok_or_else(unknown)?;
    if !(min..=max).contains(&args.len()) {
        let takes = match max {
            usize::MAX => format!("{min} or more"),
            max if max == min => min.to_string(),
            max => format!("{min} to {max}"),
        };
        return Err(InvalidArguments::new(format!("{name} takes {takes} arguments, got {}", args.len())));
    }
    let string = |i: usize| {
        args[i]
            .as_str()
            .ok_or_else(|| InvalidArguments::new(format!("{name}: argument {} must be a string, got {}", i + 1, type_of(&args[i]))))
    };
    let array = |i: usize| {
        args[i]
            .as_array()
            .ok_or_else(|| InvalidArguments::new(format!("{name}: argument {} must be an array, got {}", i + 1, type_of(&args[i]))))
    };
    // A number argument is a Java int: AWS refused States.MathAdd(3000000000, 1) and
    // MathAdd(2147483647, 1), and took MathAdd(-2147483648, 0) (the catalogue's MADD-009 to
    // MADD-016); the other functions are taken to read theirs the same way.
    let number = |i: usize, to_whole: fn(f64) -> f64| {
        args[i]
            .as_f64()
            .map(to_whole)
            .filter(|f| (f64::from(i32::MIN)..=f64::from(i32::MAX)).contains(f))
            .map(|f| f as i64)
            .ok_or_else(|| InvalidArguments::new(format!("{name}: argument {} must be a number within a Java int", i + 1)))
    };
    // A count, an index or a bound loses its fraction: AWS answered States.ArrayRange(5.4, -0.6,
    // -2.4) with [5, 3, 1], ArrayPartition of five items by 2.6 in pairs, ArrayGetItem at 1.2
    // with the item at 1, and refused ArrayPartition by 0.6 and MathRandom(1.4, 1.6) (a public
    // conformance catalogue run against AWS, tests/support/conformance/intrinsicCases:
    // ARANGE-023/024, AP-013/015, AGI-015, MRAND-009).
    let whole = |i: usize| number(i, f64::trunc);
    // "If you specify a non-integer value … Step Functions will round it off to the nearest
    // integer" (developer guide, States.MathAdd), as Java's Math.round does: halves up, -1.5 to
    // -1 (recorded by LocalStack's AWS snapshot tests). Only MathAdd rounds.
    let rounded = |i: usize| number(i, |f| (f + 0.5).floor());
    match name {
        "States.Format" => format(string(0)?, &args[1..]),
        "States.StringToJson" => string_to_json(string(0)?),
        "States.JsonToString" => Ok(Value::String(args[0].to_string())),
        "States.Array" => Ok(Value::Array(args.to_vec())),
        "States.ArrayPartition" => {
            let size = usize::try_from(whole(1)?)
                .ok()
                .filter(|&s| s > 0)
                .ok_or_else(|| InvalidArguments::new("States.ArrayPartition: chunk size must be positive"))?;
            Ok(Value::Array(array(0)?.chunks(size).map(|c| Value::Array(c.to_vec())).collect()))
        }
        "States.ArrayContains" => {
            // AWS compares items as Java writes them, not as JSON values: it found 9007199254740991
            // among strings holding "9007199254740991", true among "true", and did not find
            // {"b": 2, "a": 1} in [{"a": 1, "b": 2}] (a public conformance catalogue run against
            // AWS, tests/support/conformance/intrinsicCases/States.ArrayContains.ts, AC-009,
            // AC-026, AC-028).
            let wanted = java_string(&args[1]);
            Ok(Value::Bool(array(0)?.iter().any(|item| java_string(item) == wanted)))
        }
        "States.ArrayRange" => {
            let (start, end, step) = (whole(0)?, whole(1)?, whole(2)?);
            if step == 0 {
                return Err(InvalidArguments::new("States.ArrayRange: step must not be 0"));
            }
            let mut out = Vec::new();
            let mut n = start;
            while (step > 0 && n <= end) || (step < 0 && n >= end) {
                out.push(Value::from(n));
                if out.len() > bounds.range_items {
                    return Err(InvalidArguments::new(format!(
                        "States.ArrayRange: more than {} items",
                        bounds.range_items
                    )));
                }
                n += step;
            }
            Ok(Value::Array(out))
        }
        "States.ArrayGetItem" => {
            let (items, index) = (array(0)?, whole(1)?);
            let out_of_bounds = || InvalidArguments::new(format!("States.ArrayGetItem: index {index} out of bounds"));
            let at = usize::try_from(index).map_err(|_| out_of_bounds())?;
            // An empty array has null at every index: AWS answered ArrayGetItem([], 999) with
            // null where it refused index 3 of a three-item array (a public conformance catalogue
            // run against AWS, tests/support/conformance/intrinsicCases/States.ArrayGetItem.ts,
            // AGI-011 and AGI-009).
            if items.is_empty() {
                return Ok(Value::Null);
            }
            items.get(at).cloned().ok_or_else(out_of_bounds)
        }
        "States.ArrayLength" => Ok(Value::from(array(0)?.len())),
        "States.ArrayUnique" => Ok(Value::Array(crate::java_order::hash_set(array(0)?))),
        "States.JsonMerge" => {
            let (Value::Object(a), Value::Object(b)) = (&args[0], &args[1]) else {
                return Err(InvalidArguments::new("States.JsonMerge: both arguments must be objects"));
            };
            // Only a deep merge is refused: AWS merged shallowly for a flag of "false", a string
            // (a public conformance catalogue run against AWS, tests/support/conformance/
            // intrinsicCases/States.JsonMerge.ts, JMG-13).
            if args[2] == Value::Bool(true) {
                return Err(InvalidArguments::new(
                    "States.JsonMerge: only shallow merge (false) is supported by Step Functions",
                ));
            }
            let mut merged: Map<String, Value> = a.clone();
            merged.extend(b.iter().map(|(k, v)| (k.clone(), v.clone())));
            // AWS builds the result in a hash map: {"a", "b", "d"} merged with {"a", "c", "d"}
            // came out a, b, c, d (recorded: localstack/localstack, tests/aws/services/
            // stepfunctions/v2/intrinsic_functions/test_json_manipulation.snapshot.json,
            // test_json_merge, 2023-02-13).
            let mut entries: Vec<(String, Value)> = merged.into_iter().collect();
            crate::java_order::sort_as_hash_map(&mut entries, |(name, _)| name);
            Ok(Value::Object(entries.into_iter().collect()))
        }
        "States.MathRandom" => {
            let (start, end) = (whole(0)?, whole(1)?);
            // The end is left out: AWS refused MathRandom(1, 1), and 50 draws of
            // MathRandom(1.6, 5.4) fell in 1..=4 (the catalogue's MRAND-005, MRAND-008B). A seed
            // draws as AWS draws (`JavaRandom::between`), cut to its whole part as Java's
            // `longValue()` cuts it (not on record).
            if start >= end {
                return Err(InvalidArguments::new("States.MathRandom: start must be below end"));
            }
            let value = match args.get(2) {
                Some(seed) if !seed.is_number() => {
                    return Err(InvalidArguments::new("States.MathRandom: the seed must be a number"));
                }
                Some(seed) => crate::java_random::JavaRandom::new(seed.as_f64().unwrap_or_default() as i64).between(start, end),
                None => fastrand::i64(start..end),
            };
            Ok(Value::from(value))
        }
        "States.MathAdd" => {
            let sum = rounded(0)? + rounded(1)?;
            if i32::try_from(sum).is_err() {
                return Err(InvalidArguments::new("States.MathAdd: the sum is past a Java int"));
            }
            Ok(Value::from(sum))
        }
        "States.StringSplit" => {
            let delimiters: Vec<char> = string(1)?.chars().collect();
            Ok(Value::Array(
                string(0)?
                    .split(|c| delimiters.contains(&c))
                    .filter(|s| !s.is_empty())
                    .map(|s| Value::String(s.to_string()))
                    .collect(),
            ))
        }
        "States.UUID" => Ok(Value::String(uuid::Uuid::new_v4().to_string())),
        "States.Base64Encode" => Ok(Value::String(base64::encode(short(name, string(0)?, bounds)?.as_bytes()))),
        "States.Base64Decode" => {
            // Decoded bytes that are not UTF-8 read as Java's `new String(bytes, UTF_8)`
            // reads them, each bad sequence a U+FFFD.
            let bytes = base64::decode(short(name, string(0)?, bounds)?);
            Ok(Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        }
        "States.Hash" => {
            use sha2::Digest;
            // AWS hashes a number or an object as its text (the catalogue's HASH-014/017).
            let data = match &args[0] {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let bytes = short(name, &data, bounds)?.as_bytes();
            let digest = match string(1)? {
                "MD5" => hex::encode(md5::Md5::digest(bytes)),
                "SHA-1" => hex::encode(sha1::Sha1::digest(bytes)),
                "SHA-256" => hex::encode(sha2::Sha256::digest(bytes)),
                "SHA-384" => hex::encode(sha2::Sha384::digest(bytes)),
                "SHA-512" => hex::encode(sha2::Sha512::digest(bytes)),
                // AWS's words, recorded for `$hash` (see `jsonata_step_functions::hash`).
                other => {
                    return Err(InvalidArguments::new(format!(
                        "Hash algorithm '{other}' must be one of SHA-1, SHA-384, SHA-256, SHA-512, MD5"
                    )));
                }
            };
            Ok(Value::String(digest))
        }
        _ => Err(unknown()),
    }
}

/// `text` if it is within the bounds' characters: an intrinsic takes "up to 10,000", and AWS
/// took 10,000 and refused 10,001 (the catalogue's HASH-012/013, B64D-008). Java counts UTF-16
/// units.
fn short<'a>(name: &str, text: &'a str, bounds: Bounds) -> Result<&'a str, InvalidArguments> {
    if text.encode_utf16().count() > bounds.text_units {
        return Err(InvalidArguments::new(format!("{name}: more than {} characters", bounds.text_units)));
    }
    Ok(text)
}

mod text;
use text::{base64, format, java_string, string_to_json};

#[cfg(test)]
mod tests;
