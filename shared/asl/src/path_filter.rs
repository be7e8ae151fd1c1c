//! JSONPath filter expressions, `[?(…)]`, as Step Functions evaluates them (its JSONPath is
//! Jayway's): comparisons of `@` (the element) or `$` (the document) paths with literals or
//! other paths, `=~ /regex/flags`, Jayway's lexical operators (`in`, `nin`, `subsetof`,
//! `anyof`, `noneof`, `size`, `empty`, which the developer guide names as what only reference
//! paths refuse), a bare path for "has this field", `!`, `&&`, `||` and parentheses.

mod values;

use serde_json::Value;

use crate::error::MAX_NESTING;
use crate::path::Path;
use crate::path_syntax::{closing_bracket, unescape, unescaped};

/// A parsed filter, evaluated against each element of the array (or object) it filters.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Filter {
    /// Kept flat, not as a nested pair per `||`: a chain of thousands stays shallow to evaluate
    /// and to drop.
    Or(Vec<Filter>),
    And(Vec<Filter>),
    Not(Box<Filter>),
    Compare(Operand, Op, Operand),
    Exists(Operand),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Operand {
    /// `@…` or `$…`: relative to the element, or to the whole document.
    Path {
        relative: bool,
        path: Path,
    },
    Literal(Value),
    Regex(String),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Matches,
    In,
    Nin,
    SubsetOf,
    AnyOf,
    NoneOf,
    Size,
    Empty,
}

impl Filter {
    /// Parses the text between `[?(` and `)]`.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        if nesting(text) > MAX_NESTING {
            return Err(format!("the filter nests brackets and parentheses more than {MAX_NESTING} deep"));
        }
        let mut p = Parser { s: text.as_bytes(), i: 0 };
        let f = p.or()?;
        p.ws();
        if p.i < p.s.len() {
            return Err(format!("unexpected `{}` in the filter", &text[p.i..]));
        }
        Ok(f)
    }

    pub(crate) fn accepts(&self, element: &Value, root: &Value) -> bool {
        match self {
            Filter::Or(any) => any.iter().any(|f| f.accepts(element, root)),
            Filter::And(all) => all.iter().all(|f| f.accepts(element, root)),
            Filter::Not(f) => !f.accepts(element, root),
            Filter::Exists(o) => o.value(element, root).is_some(),
            Filter::Compare(l, op, r) => {
                let left = l.value(element, root);
                if let (Op::Matches, Operand::Regex(re)) = (op, r) {
                    return regex(re).is_some_and(|re| matches(&re, left.as_ref()));
                }
                compare(left.as_ref(), *op, r.value(element, root).as_ref())
            }
        }
    }
}

impl Operand {
    fn value(&self, element: &Value, root: &Value) -> Option<Value> {
        match self {
            Operand::Path { relative, path } => path.read_as_jayway(if *relative { element } else { root }),
            Operand::Literal(v) => Some(v.clone()),
            Operand::Regex(_) => None,
        }
    }
}

/// A comparison as Jayway's evaluators make it; `None` is an operand that selects nothing, which
/// `!=` and `nin` hold for and every other operator fails.
fn compare(l: Option<&Value>, op: Op, r: Option<&Value>) -> bool {
    use std::cmp::Ordering;
    fn members(v: Option<&Value>) -> &[Value] {
        v.and_then(Value::as_array).map_or(&[], Vec::as_slice)
    }
    let within = |v: Option<&Value>, set: &[Value]| set.iter().any(|m| values::equal(v, Some(m)));
    // A string's length is Java's, in UTF-16 code units (`😀` is 2).
    let length = |v: Option<&Value>| match v {
        Some(Value::Array(a)) => Some(a.len()),
        Some(Value::String(s)) => Some(s.encode_utf16().count()),
        _ => None,
    };
    let lists = l.is_some_and(Value::is_array) && r.is_some_and(Value::is_array);
    let order = || values::order(l, r);
    match op {
        Op::Eq => values::equal(l, r),
        Op::Ne => !values::equal(l, r),
        Op::Lt => order() == Some(Ordering::Less),
        Op::Le => matches!(order(), Some(Ordering::Less | Ordering::Equal)),
        Op::Gt => order() == Some(Ordering::Greater),
        Op::Ge => matches!(order(), Some(Ordering::Greater | Ordering::Equal)),
        Op::In => within(l, members(r)),
        Op::Nin => !within(l, members(r)),
        // Jayway's list operators hold only between two lists.
        Op::SubsetOf => lists && members(l).iter().all(|v| within(Some(v), members(r))),
        Op::AnyOf => lists && members(l).iter().any(|v| within(Some(v), members(r))),
        Op::NoneOf => lists && !members(l).iter().any(|v| within(Some(v), members(r))),
        // The wanted size is the number's `intValue()`: `2.0` and `2.7` ask for 2.
        Op::Size => length(l)
            .zip(r.and_then(Value::as_f64))
            .is_some_and(|(n, want)| n as f64 == want.trunc()),
        // An object is empty as an array is (Jayway's `JsonNode.isEmpty`); `size` counts arrays
        // and strings only.
        Op::Empty => {
            let count = length(l).or_else(|| l.and_then(Value::as_object).map(serde_json::Map::len));
            count.zip(r.and_then(Value::as_bool)).is_some_and(|(n, want)| (n == 0) == want)
        }
        Op::Matches => false,
    }
}

/// Jayway's `=~`: the whole text matches, and an array matches when any of its elements does.
fn matches(re: &regex_lite::Regex, value: Option<&Value>) -> bool {
    match value {
        Some(Value::Array(items)) => items.iter().any(|item| re.is_match(&values::regex_input(Some(item)))),
        other => re.is_match(&values::regex_input(other)),
    }
}

/// `/pattern/flags` as a regex: the flags Jayway passes to Java's `Pattern` that mean the same
/// here (`i`, ASCII case as Java's CASE_INSENSITIVE folds it; `m`, `s`, `x`), and the whole value
/// must match, as Jayway's `=~` uses `Matcher.matches()` — whatever `m` does to `^` and `$`.
fn regex(source: &str) -> Option<regex_lite::Regex> {
    let (pattern, flags) = source.rsplit_once('/')?;
    let flags: String = flags.chars().filter(|f| "imsx".contains(*f)).collect();
    let prefix = if flags.is_empty() { String::new() } else { format!("(?{flags})") };
    regex_lite::Regex::new(&format!("{prefix}\\A(?:{pattern})\\z")).ok()
}

/// The deepest run of open `(` and `[` in `text` — the filter's groups and the `[…]` of its paths,
/// which may hold filters of their own — counted plainly (a bracket inside a quoted string counts
/// too, which only ever overstates).
fn nesting(text: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    for b in text.bytes() {
        match b {
            b'(' | b'[' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b')' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.s.get(self.i).is_some_and(u8::is_ascii_whitespace) {
            self.i += 1;
        }
    }

    fn eat(&mut self, token: &str) -> bool {
        self.ws();
        if self.s[self.i..].starts_with(token.as_bytes()) {
            self.i += token.len();
            true
        } else {
            false
        }
    }

    /// A lexical operator: the word, then a space or the operand's own opening.
    fn eat_word(&mut self, word: &str) -> bool {
        self.ws();
        let after = self.s.get(self.i + word.len()).copied();
        let ends = after.is_none_or(|c| c.is_ascii_whitespace() || matches!(c, b'[' | b'\'' | b'"' | b'@' | b'$'));
        if self.s[self.i..].starts_with(word.as_bytes()) && ends {
            self.i += word.len();
            true
        } else {
            false
        }
    }

    fn or(&mut self) -> Result<Filter, String> {
        let mut any = vec![self.and()?];
        while self.eat("||") {
            any.push(self.and()?);
        }
        Ok(if any.len() == 1 { any.remove(0) } else { Filter::Or(any) })
    }

    fn and(&mut self) -> Result<Filter, String> {
        let mut all = vec![self.unary()?];
        while self.eat("&&") {
            all.push(self.unary()?);
        }
        Ok(if all.len() == 1 { all.remove(0) } else { Filter::And(all) })
    }

    fn unary(&mut self) -> Result<Filter, String> {
        // A run of `!`s read in a loop, not a call each: a hostile run of thousands stays shallow.
        let mut negated = false;
        while self.eat("!") && !self.s[self.i..].starts_with(b"=") {
            negated = !negated;
        }
        let filter = self.negatable()?;
        Ok(if negated { Filter::Not(Box::new(filter)) } else { filter })
    }

    fn negatable(&mut self) -> Result<Filter, String> {
        if self.eat("(") {
            let inner = self.or()?;
            if !self.eat(")") {
                return Err("a `(` in the filter is not closed".into());
            }
            return Ok(inner);
        }
        let left = self.operand()?;
        let op = [
            ("==", Op::Eq),
            ("!=", Op::Ne),
            ("<=", Op::Le),
            (">=", Op::Ge),
            ("<", Op::Lt),
            (">", Op::Gt),
            ("=~", Op::Matches),
        ]
        .into_iter()
        .find(|(t, _)| self.eat(t))
        .or_else(|| {
            [
                ("subsetof", Op::SubsetOf),
                ("anyof", Op::AnyOf),
                ("noneof", Op::NoneOf),
                ("nin", Op::Nin),
                ("in", Op::In),
                ("size", Op::Size),
                ("empty", Op::Empty),
            ]
            .into_iter()
            .find(|(word, _)| self.eat_word(word))
        });
        match op {
            None => Ok(Filter::Exists(left)),
            Some((_, op)) => Ok(Filter::Compare(left, op, self.operand()?)),
        }
    }

    fn operand(&mut self) -> Result<Operand, String> {
        self.ws();
        let rest = std::str::from_utf8(&self.s[self.i..]).map_err(|e| e.to_string())?;
        let first = rest.chars().next().ok_or("the filter ends early")?;
        match first {
            '@' | '$' => {
                let end = 1 + path_end(&rest[1..]);
                let text = format!("${}", &rest[1..end]);
                self.i += end;
                let path = Path::parse(&text).map_err(|e| e.cause)?;
                Ok(Operand::Path {
                    relative: first == '@',
                    path,
                })
            }
            '\'' | '"' => {
                let close = unescaped(&rest[1..], first).ok_or("a string in the filter is not closed")? + 1;
                self.i += close + 1;
                Ok(Operand::Literal(Value::String(unescape(&rest[1..close]))))
            }
            '[' => {
                let close = closing_bracket(rest, 0).ok_or("a list in the filter is not closed")?;
                self.i += close + 1;
                let mut items = Vec::new();
                let mut inner = Parser {
                    s: &rest.as_bytes()[1..close],
                    i: 0,
                };
                inner.ws();
                while inner.i < inner.s.len() {
                    match inner.operand()? {
                        Operand::Literal(v) => items.push(v),
                        _ => return Err("a list in the filter holds strings, numbers, true, false or null".into()),
                    }
                    if !inner.eat(",") {
                        inner.ws();
                        break;
                    }
                }
                if inner.i < inner.s.len() {
                    return Err("the items of a list in the filter are separated by ','".into());
                }
                Ok(Operand::Literal(Value::Array(items)))
            }
            '/' => {
                let close = rest[1..].find('/').ok_or("a regular expression in the filter is not closed")? + 1;
                let flags = rest[close + 1..].chars().take_while(char::is_ascii_alphabetic).count();
                self.i += close + 1 + flags;
                Ok(Operand::Regex(format!(
                    "{}/{}",
                    &rest[1..close],
                    &rest[close + 1..close + 1 + flags]
                )))
            }
            _ => {
                let end = token_end(rest);
                let word = &rest[..end];
                self.i += end;
                serde_json::from_str::<Value>(word)
                    .map(Operand::Literal)
                    .map_err(|_| format!("`{word}` is not a path, string, number, true, false or null"))
            }
        }
    }
}

/// Where an unquoted operand (a path, number or keyword) ends: at a space, an operator, `)`
/// or the `,` after a list's item.
fn token_end(text: &str) -> usize {
    text.find(|c: char| c.is_whitespace() || "=!<>&|),".contains(c))
        .unwrap_or(text.len())
}

/// Where a path operand ends: as [`token_end`], but past its brackets (`@.a[0,2]`,
/// `@['it\'s']`), which end where Jayway's `indexOfMatchingCloseChar` ends them.
fn path_end(text: &str) -> usize {
    let mut i = 0;
    while let Some(c) = text[i..].chars().next() {
        match c {
            '[' => match closing_bracket(text, i) {
                Some(close) => i = close + 1,
                None => return text.len(),
            },
            c if c.is_whitespace() || "=!<>&|),".contains(c) => return i,
            c => i += c.len_utf8(),
        }
    }
    text.len()
}
