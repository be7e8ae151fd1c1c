//! Why a definition is not JSON, in the words Step Functions gives.
//!
//! AWS reads a definition with Jackson and answers `INVALID_JSON_DESCRIPTION` with Jackson's
//! message and its location: `not a definition` drew "Unrecognized token 'not': was expecting
//! (JSON String, Number, Array, Object or token 'null', 'true' or 'false')" at
//! `[Source: (String)"not a definition"; line: 1, column: 4]` (ValidateStateMachineDefinition,
//! recorded in localstack/localstack, tests/aws/services/stepfunctions/v2/
//! test_sfn_api_validation.snapshot.json, 2025-10-19), and StartExecution refuses an input in
//! the same words (an answer quoted in `tests.rs`). The other messages are Jackson's own for
//! the same faults (jackson-core's `ReaderBasedJsonParser` and `ParserMinimalBase`), so a user
//! reads what AWS would say rather than the parser library's words.
//!
//! The scan runs only once the definition failed to parse, keeps its own stack (a hostile file
//! may nest deeply) and stops at the first fault, as Jackson does.

mod location;

use location::{jackson_position, location, position, redacted_location};

use crate::error::DefinitionError;

/// The first fault in a text that is not JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// Jackson's message, without its location.
    pub message: String,
    /// The 1-based line and column (in characters) of the character at fault, for a caret.
    pub line: usize,
    pub column: usize,
    /// Where Jackson says it stopped: `[Source: (String)"…"; line: L, column: C]`, or with the
    /// text kept out (`first_error_at_run_time`).
    pub location: String,
}

/// Why `text`, which serde_json could not read, is not a definition.
pub fn not_json(text: &str, e: &serde_json::Error) -> DefinitionError {
    match first_error(text) {
        Some(fault) => DefinitionError::Json {
            line: fault.line,
            column: fault.column,
            message: fault.message,
            location: fault.location,
        },
        // The scan and serde_json refuse the same texts; should they ever differ, the reader's
        // position still points at the fault.
        None => DefinitionError::Json {
            line: e.line(),
            column: e.column().max(1),
            message: "Unexpected content".into(),
            location: location(text, e.line(), e.column().max(1)),
        },
    }
}

/// The deepest nesting serde_json reads; deeper would risk the stack on a hostile file, so the
/// scan refuses it at the bracket that goes past, as the reader does.
const NESTING_LIMIT: usize = 127;

/// What Jackson expects where a value should start.
const VALUE_LIST: &str = "(JSON String, Number, Array, Object or token 'null', 'true' or 'false')";
/// Jackson stops a token it cannot read at this many characters (`…MaxErrorTokenLength`).
const TOKEN_LIMIT: usize = 256;

/// The first fault in `text`, or `None` when it is JSON (or only white space, which Step
/// Functions refuses as not an object rather than as bad JSON), as the reader of a definition
/// and of an execution's input words it.
pub fn first_error(text: &str) -> Option<SyntaxError> {
    scan(text, Reader::Definition)
}

/// The first fault in `text`, as the reader States.StringToJson parses with at run time words
/// it: a later Jackson, which keeps the text out of its messages (`[Source: REDACTED
/// (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: 1, column: 2]`), places a
/// fault in one character at that character, and a start marker at its bracket's own column.
/// Recorded on AWS for `{bad json}` (column 2 where the definition's reader says 3), `{"a":1`
/// (start marker at column 1 where that reader says 0) and `undefined` (column 10, after the
/// word, as both say): gabrielmoreira/tiny-asl-machine, tests/conformance/cases/.snapshots/aws/
/// States.StringToJson-011/012/014. A start marker inside an object is taken to be at its
/// bracket's column too, as the definition's reader already places it.
pub fn first_error_at_run_time(text: &str) -> Option<SyntaxError> {
    scan(text, Reader::RunTime)
}

fn scan(text: &str, reader: Reader) -> Option<SyntaxError> {
    let chars: Vec<char> = text.chars().collect();
    let fault = Scan {
        chars: &chars,
        at: 0,
        open: Vec::new(),
        reader,
    }
    .run()
    .err()?;
    Some(fault.into_error(text, &chars, reader))
}

/// Which of AWS's Jackson readers words a fault (see `first_error_at_run_time`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reader {
    Definition,
    RunTime,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Object,
    Array,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Object => "Object",
            Kind::Array => "Array",
        }
    }
}

/// A fault: its message, the character at fault, how far Jackson had read, and whether the
/// fault is in that one character.
struct Fault {
    message: String,
    at: usize,
    read_to: usize,
    in_character: bool,
}

impl Fault {
    /// A fault in the one character at `index`, which Jackson has read.
    fn at(index: usize, message: String) -> Self {
        Self {
            message,
            at: index,
            read_to: index + 1,
            in_character: true,
        }
    }

    /// A fault found once Jackson had read to `read_to`, in a word, a number or the end.
    fn read_to(at: usize, read_to: usize, message: String) -> Self {
        Self {
            message,
            at,
            read_to,
            in_character: false,
        }
    }

    fn into_error(self, text: &str, chars: &[char], reader: Reader) -> SyntaxError {
        let (line, column) = position(chars, self.at);
        let location = match reader {
            Reader::Definition => {
                let (jackson_line, jackson_column) = jackson_position(chars, self.read_to);
                location(text, jackson_line, jackson_column)
            }
            Reader::RunTime => {
                let read = if self.in_character { self.at } else { self.read_to };
                let (jackson_line, jackson_column) = jackson_position(chars, read);
                redacted_location(jackson_line, jackson_column)
            }
        };
        SyntaxError {
            message: self.message,
            line,
            column,
            location,
        }
    }
}

struct Scan<'a> {
    chars: &'a [char],
    at: usize,
    /// The open objects and arrays: each one's kind and bracket, and whether it is an object
    /// member's value (see [`Scan::start_marker`]).
    open: Vec<(Kind, usize, bool)>,
    reader: Reader,
}

type Step = Result<(), Fault>;

/// What the scan reads next.
enum Next {
    Value,
    Member,
    /// The end of a value: a comma, a closing bracket, or the end of the text.
    After,
}

impl Scan<'_> {
    fn run(mut self) -> Step {
        if self.space()?.is_none() {
            return Ok(());
        }
        let mut next = Next::Value;
        loop {
            next = match next {
                Next::Value => self.value()?,
                Next::Member => {
                    self.member()?;
                    Next::Value
                }
                Next::After => {
                    let Some(&(kind, start, member)) = self.open.last() else {
                        break;
                    };
                    self.after(kind, start, member)?
                }
            };
        }
        match self.space()? {
            None => Ok(()),
            // Jackson would stop reading here; what Baton reads is one value, so more is a mistake.
            Some(c) => Err(self.unexpected(c, "only white space may follow the JSON value")),
        }
    }

    /// After a value inside an object or array: its end, or a comma and the next entry.
    fn after(&mut self, kind: Kind, start: usize, member: bool) -> Result<Next, Fault> {
        let Some(c) = self.space()? else {
            return Err(self.unclosed(kind, start, member));
        };
        match (c, kind) {
            ('}', Kind::Object) | (']', Kind::Array) => {
                self.at += 1;
                self.open.pop();
                Ok(Next::After)
            }
            ('}' | ']', _) => Err(self.mismatched(c, kind, start, member)),
            (',', _) => {
                self.at += 1;
                if self.space()?.is_none() {
                    return Err(self.eof(format!(" within/between {} entries", kind.name())));
                }
                Ok(match kind {
                    Kind::Object => Next::Member,
                    Kind::Array => Next::Value,
                })
            }
            _ => Err(self.unexpected(c, &format!("was expecting comma to separate {} entries", kind.name()))),
        }
    }

    /// A value starting at the current character (white space already skipped); an object or
    /// array is opened, its entries left to the caller's loop.
    fn value(&mut self) -> Result<Next, Fault> {
        let c = self.chars[self.at];
        let member = self.open.last().is_some_and(|(k, ..)| *k == Kind::Object);
        match c {
            '"' => self.string("string value").map(|()| Next::After),
            '{' | '[' => {
                let (kind, close, first) = match c {
                    '{' => (Kind::Object, '}', Next::Member),
                    _ => (Kind::Array, ']', Next::Value),
                };
                let start = self.at;
                if self.open.len() == NESTING_LIMIT {
                    return Err(Fault::at(
                        start,
                        format!("Objects and arrays nested more than {NESTING_LIMIT} deep are not supported"),
                    ));
                }
                self.open.push((kind, start, member));
                self.at += 1;
                match self.space()? {
                    None => Err(self.unclosed(kind, start, member)),
                    Some(c) if c == close => {
                        self.at += 1;
                        self.open.pop();
                        Ok(Next::After)
                    }
                    Some(_) => Ok(first),
                }
            }
            '-' | '0'..='9' => self.number().map(|()| Next::After),
            ']' if self.open.last().is_some_and(|(k, ..)| *k == Kind::Array) => Err(self.unexpected(c, "expected a value")),
            ',' if !self.open.is_empty() => Err(self.unexpected(c, "expected a value")),
            '}' => Err(self.unexpected(c, "expected a value")),
            c if identifier_start(c) => self.word().map(|()| Next::After),
            c => Err(self.unexpected(c, &format!("expected a valid value {VALUE_LIST}"))),
        }
    }

    /// An object member's quoted name and colon, up to its value.
    fn member(&mut self) -> Step {
        let c = self.chars[self.at];
        if c != '"' {
            return Err(self.unexpected(c, "was expecting double-quote to start field name"));
        }
        self.string("name")?;
        match self.space()? {
            None => Err(self.eof(" within/between Object entries".into())),
            Some(':') => {
                self.at += 1;
                match self.space()? {
                    None => Err(self.eof(" within/between Object entries".into())),
                    Some(_) => Ok(()),
                }
            }
            Some(c) => Err(self.unexpected(c, "was expecting a colon to separate field name and value")),
        }
    }

    /// `true`, `false`, `null`, or a word Jackson reads whole to name it.
    fn word(&mut self) -> Step {
        let start = self.at;
        let mut end = start;
        while end < self.chars.len() && identifier_part(self.chars[end]) && end - start < TOKEN_LIMIT {
            end += 1;
        }
        let word: String = self.chars[start..end].iter().collect();
        if matches!(word.as_str(), "true" | "false" | "null") {
            self.at = end;
            return Ok(());
        }
        let more = if end < self.chars.len() && identifier_part(self.chars[end]) {
            "..."
        } else {
            ""
        };
        Err(Fault::read_to(
            start,
            end,
            format!("Unrecognized token '{word}{more}': was expecting {VALUE_LIST}"),
        ))
    }

    /// A quoted string: a field name or a string value (`what`, as Jackson names them).
    fn string(&mut self, what: &str) -> Step {
        self.at += 1;
        loop {
            let Some(&c) = self.chars.get(self.at) else {
                return Err(match what {
                    "name" => self.eof(" in field name".into()),
                    _ => self.eof(": was expecting closing quote for a string value".into()),
                });
            };
            match c {
                '"' => {
                    self.at += 1;
                    return Ok(());
                }
                '\\' => {
                    self.at += 1;
                    let Some(&e) = self.chars.get(self.at) else {
                        return Err(self.eof(" in character escape sequence".into()));
                    };
                    match e {
                        '"' | '\\' | '/' | 'b' | 'f' | 'n' | 'r' | 't' => self.at += 1,
                        'u' => {
                            self.at += 1;
                            for _ in 0..4 {
                                match self.chars.get(self.at) {
                                    None => return Err(self.eof(" in character escape sequence".into())),
                                    Some(h) if h.is_ascii_hexdigit() => self.at += 1,
                                    Some(&h) => return Err(self.unexpected(h, "expected a hex-digit for character escape sequence")),
                                }
                            }
                        }
                        e => {
                            return Err(self.here(format!("Unrecognized character escape {}", describe(e))));
                        }
                    }
                }
                c if u32::from(c) < 0x20 => {
                    return Err(self.here(format!(
                        "Illegal unquoted character ({}): has to be escaped using backslash to be included in {what}",
                        describe(c)
                    )));
                }
                _ => self.at += 1,
            }
        }
    }

    /// A number that is JSON and that Baton can hold.
    fn number(&mut self) -> Step {
        let start = self.at;
        self.number_syntax()?;
        // Jackson reads any number JSON can write, but serde_json holds one as a double, and a
        // number past a double's range would have to change to run. Baton refuses it in
        // Jackson's words for a number past its type's range (`reportOverflowInt`'s form), at
        // the number: AWS's answer to such a number is not on record.
        let text: String = self.chars[start..self.at].iter().collect();
        if text.parse::<f64>().is_ok_and(f64::is_infinite) {
            return Err(Fault::read_to(
                start,
                self.at,
                format!("Numeric value ({text}) out of range of double (-{max:E} - {max:E})", max = f64::MAX),
            ));
        }
        Ok(())
    }

    /// A number as JSON writes one: a minus, no leading zero, digits after a point or exponent.
    fn number_syntax(&mut self) -> Step {
        if self.chars[self.at] == '-' {
            self.at += 1;
            match self.chars.get(self.at) {
                Some(c) if c.is_ascii_digit() => {}
                Some(&c) => return Err(self.in_number(c, "expected digit (0-9) to follow minus sign, for valid numeric value")),
                None => return Err(self.eof(" in a Number value".into())),
            }
        }
        let first = self.at;
        self.digits();
        if self.chars[first] == '0' && self.at - first > 1 {
            return Err(Fault::read_to(
                first,
                first + 2,
                "Invalid numeric value: Leading zeroes not allowed".into(),
            ));
        }
        if self.chars.get(self.at) == Some(&'.') {
            self.at += 1;
            if self.digits() == 0 {
                return Err(self.number_end("Decimal point not followed by a digit"));
            }
        }
        if matches!(self.chars.get(self.at), Some('e' | 'E')) {
            self.at += 1;
            if matches!(self.chars.get(self.at), Some('+' | '-')) {
                self.at += 1;
            }
            if self.digits() == 0 {
                return Err(self.number_end("Exponent indicator not followed by a digit"));
            }
        }
        Ok(())
    }

    fn digits(&mut self) -> usize {
        let start = self.at;
        while self.chars.get(self.at).is_some_and(char::is_ascii_digit) {
            self.at += 1;
        }
        self.at - start
    }

    /// A number cut short: at the character that ended it, or at the end of the text.
    fn number_end(&self, comment: &str) -> Fault {
        match self.chars.get(self.at) {
            Some(&c) => self.in_number(c, comment),
            None => self.eof(" in a Number value".into()),
        }
    }

    /// The next character that is not white space, or `None` at the end; Jackson allows only
    /// space, tab and line ends between tokens, and no comments.
    fn space(&mut self) -> Result<Option<char>, Fault> {
        while let Some(&c) = self.chars.get(self.at) {
            match c {
                ' ' | '\t' | '\n' | '\r' => self.at += 1,
                '/' => {
                    return Err(self.unexpected(
                        c,
                        "maybe a (non-standard) comment? (not recognized as one since Feature 'ALLOW_COMMENTS' not enabled for parser)",
                    ));
                }
                c if u32::from(c) < 0x20 => {
                    return Err(self.here(format!(
                        "Illegal character ({}): only regular white space (\\r, \\n, \\t) is allowed between tokens",
                        describe(c)
                    )));
                }
                c => return Ok(Some(c)),
            }
        }
        Ok(None)
    }

    /// A fault in the character the scan is at.
    fn here(&self, message: String) -> Fault {
        Fault::at(self.at, message)
    }

    fn unexpected(&self, c: char, comment: &str) -> Fault {
        self.here(format!("Unexpected character ({}): {comment}", describe(c)))
    }

    fn in_number(&self, c: char, comment: &str) -> Fault {
        self.here(format!("Unexpected character ({}) in numeric value: {comment}", describe(c)))
    }

    fn eof(&self, what: String) -> Fault {
        Fault::read_to(self.chars.len(), self.chars.len(), format!("Unexpected end-of-input{what}"))
    }

    /// The text ended inside an object or array; Jackson names where it opened.
    fn unclosed(&self, kind: Kind, start: usize, member: bool) -> Fault {
        let start = self.start_marker(start, member);
        self.eof(format!(": expected close marker for {} (start marker at {start})", kind.name()))
    }

    fn mismatched(&self, c: char, kind: Kind, start: usize, member: bool) -> Fault {
        let expected = if kind == Kind::Object { '}' } else { ']' };
        self.here(format!(
            "Unexpected close marker '{c}': expected '{expected}' (for {} starting at {})",
            kind.name(),
            self.start_marker(start, member)
        ))
    }

    /// Where an object or array opened, as Jackson's context records it: the definition's
    /// reader counts the column of its bracket from 0 at the top level and in an array
    /// (`nextToken` keeps the token's column so), from 1 as an object member's value
    /// (`_updateLocation` keeps it so); the run time's reader from 1.
    fn start_marker(&self, start: usize, member: bool) -> String {
        let (line, column) = jackson_position(self.chars, start);
        match self.reader {
            Reader::Definition => {
                let text: String = self.chars.iter().collect();
                location(&text, line, if member { column } else { column - 1 })
            }
            Reader::RunTime => redacted_location(line, column),
        }
    }
}

/// A character as Jackson describes it: `'x' (code 120)`, or `(CTRL-CHAR, code 10)`.
fn describe(c: char) -> String {
    let code = u32::from(c);
    if c.is_control() {
        format!("(CTRL-CHAR, code {code})")
    } else if code > 255 {
        format!("'{c}' (code {code} / 0x{code:x})")
    } else {
        format!("'{c}' (code {code})")
    }
}

/// Java's `Character.isJavaIdentifierStart`, near enough for naming a bad token.
fn identifier_start(c: char) -> bool {
    c.is_alphabetic() || c == '$' || c == '_'
}

fn identifier_part(c: char) -> bool {
    c.is_alphanumeric() || c == '$' || c == '_'
}

#[cfg(test)]
mod tests;
