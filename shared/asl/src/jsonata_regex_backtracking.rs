//! Regular expressions with look-around or a back-reference, which JavaScript runs and the
//! embedded engine's `regex` crate cannot: `$contains($states.input.password,
//! /^(?=.*\d)(?=.*[a-z]).{8,}$/)` failed the field where Step Functions answers. Such a literal
//! stays the engine's regular expression value, and `$match`, `$replace`, `$split` and
//! `$contains` are stood in for (`jsonata_stand_ins::STAND_INS`) in an expression that holds one:
//! handed one, they run it with the `fancy-regex` crate as jsonata-js runs a regular expression
//! (its `evaluateRegex` closure and the functions that walk its matches); handed anything else,
//! they are the engine's own.
//!
//! `fancy-regex` backtracks only where the pattern needs it, and a bounded number of times per
//! search, so a pattern that would backtrack for ever on an input (`^(?:a|a(?=a))+$` on a long
//! run of `a`) fails with AWS's time bound's words instead of stalling the run.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use fancy_regex::{Regex, RegexBuilder};
use jsonata_core::ast::AstNode;
use jsonata_core::evaluator::{EvaluatorError, HostFnResult};
use jsonata_core::value::{JMap, JValue};

use crate::jsonata_engine_calls::{apply, builtin};
use crate::jsonata_signatures::check_builtin;

/// How many times one search may backtrack: well over what a pattern meant for an input of a few
/// hundred kilobytes takes, and a second or so of a debug build's time. JavaScript has no such
/// bound; AWS's is the evaluation's time, which the functions here check between searches.
const BACKTRACK_LIMIT: usize = 10_000_000;

/// Whether an expression's `nodes` hold a regular expression literal the engine cannot run.
pub(crate) fn held(nodes: &[&AstNode]) -> bool {
    nodes
        .iter()
        .any(|node| matches!(node, AstNode::Regex { pattern, .. } if crate::jsonata_regex_syntax::backtracks(pattern)))
}

/// jsonata-js's `$match`: each match as `{match, index, groups}`, up to `limit` of them.
pub(crate) fn r#match(args: &[JValue]) -> HostFnResult {
    let Some((re, text)) = ours("match", args)? else {
        return builtin("match", args);
    };
    let limit = limit(
        args.get(2),
        "D3040: Third argument of match function must evaluate to a positive number",
    )?;
    let mut found = Vec::new();
    walk(&re, text, limit, |m| {
        found.push(object([
            ("match", JValue::string(m.text.as_str())),
            ("index", JValue::from(m.start as i64)),
            ("groups", m.groups()),
        ]));
        Ok(())
    })?;
    Ok(JValue::sequence(found))
}

/// jsonata-js's `$contains`: whether the text holds a match.
pub(crate) fn contains(args: &[JValue]) -> HostFnResult {
    let Some((re, text)) = ours("contains", args)? else {
        return builtin("contains", args);
    };
    Ok(JValue::Bool(exec(&re, text, 0, &mut Utf16::default())?.is_some()))
}

/// jsonata-js's `$split`: the text between matches, up to `limit` pieces.
pub(crate) fn split(args: &[JValue]) -> HostFnResult {
    let Some((re, text)) = ours("split", args)? else {
        return builtin("split", args);
    };
    let limit = limit(
        args.get(2),
        "D3020: Third argument of split function must evaluate to a positive number",
    )?;
    let mut pieces = Vec::new();
    let mut from = 0;
    let count = walk(&re, text, limit, |m| {
        pieces.push(JValue::string(&text[from..m.byte_start]));
        from = m.byte_end;
        Ok(())
    })?;
    if limit.is_none_or(|limit| (count as f64) < limit) {
        pieces.push(JValue::string(&text[from..]));
    }
    Ok(JValue::array(pieces))
}

/// jsonata-js's `$replace`: each match, up to `limit`, replaced by the replacement text (`$0`
/// the match, `$n` group `n`, `$$` a `$`) or by what the replacement function answers for the
/// match, which must be text (`D3012`).
pub(crate) fn replace(args: &[JValue]) -> HostFnResult {
    let Some((re, text)) = ours("replace", args)? else {
        return builtin("replace", args);
    };
    let limit = limit(
        args.get(3),
        "D3011: Fourth argument of replace function must evaluate to a positive number",
    )?;
    let replacement = args.get(2).unwrap_or(&JValue::Undefined);
    // A replacement function may call the functions Baton binds.
    let bound: Vec<&'static str> = match replacement {
        JValue::String(_) => Vec::new(),
        _ => crate::jsonata_functions::names().collect(),
    };
    let mut out = String::with_capacity(text.len());
    let mut from = 0;
    walk(&re, text, limit, |m| {
        out.push_str(&text[from..m.byte_start]);
        from = m.byte_end;
        match replacement {
            JValue::String(replacement) => {
                let groups = &m.captured;
                jsonata_core::functions::string::substitute_capture_groups::<EvaluatorError>(
                    &mut out,
                    replacement,
                    &m.text,
                    groups.len(),
                    |i| Ok(groups.get(i).cloned().flatten().map(std::borrow::Cow::Owned)),
                )
            }
            function => match apply(function, &[m.as_object()], &bound)? {
                JValue::String(replaced) => {
                    out.push_str(&replaced);
                    Ok(())
                }
                _ => Err(EvaluatorError::EvaluationError(
                    "D3012: Attempted to replace a matched string with a non-string value".into(),
                )),
            },
        }
    })?;
    out.push_str(&text[from..]);
    Ok(JValue::string(out))
}

/// The regular expression and the text of a call whose second argument is a regular expression
/// the engine cannot run, its signature checked as jsonata-js checks it; none for any other
/// call, nor for one with no text to search, which the engine answers (with nothing).
fn ours<'a>(name: &str, args: &'a [JValue]) -> Result<Option<(Rc<Regex>, &'a str)>, EvaluatorError> {
    let Some(JValue::Regex { pattern, flags }) = args.get(1) else {
        return Ok(None);
    };
    if !crate::jsonata_regex_syntax::backtracks(pattern) {
        return Ok(None);
    }
    check_builtin(name, args).map_err(EvaluatorError::TypeError)?;
    match args.first() {
        Some(JValue::String(text)) => Ok(Some((compiled(pattern, flags)?, text))),
        // Nothing gives nothing; the signature lets no other type through.
        _ => Ok(None),
    }
}

/// A limit argument: none, or a number that must not be negative (`refused`, jsonata-js's words).
fn limit(arg: Option<&JValue>, refused: &str) -> Result<Option<f64>, EvaluatorError> {
    match arg {
        Some(JValue::Number(n)) if *n < 0.0 => Err(EvaluatorError::EvaluationError(refused.into())),
        Some(JValue::Number(n)) => Ok(Some(*n)),
        _ => Ok(None),
    }
}

/// `pattern` (as `jsonata_regex_syntax` writes it) compiled with jsonata-js's flags, once per
/// thread: `i` and `m` are the ones it reads.
fn compiled(pattern: &str, flags: &str) -> Result<Rc<Regex>, EvaluatorError> {
    thread_local! {
        static COMPILED: RefCell<HashMap<(String, String), Rc<Regex>>> = RefCell::default();
    }
    let key = (pattern.to_owned(), flags.to_owned());
    if let Some(re) = COMPILED.with(|compiled| compiled.borrow().get(&key).cloned()) {
        return Ok(re);
    }
    let re = RegexBuilder::new(&crate::jsonata_regex_syntax::for_backtracking(pattern))
        .case_insensitive(flags.contains('i'))
        .multi_line(flags.contains('m'))
        .backtrack_limit(BACKTRACK_LIMIT)
        .build()
        .map(Rc::new)
        .map_err(|_| EvaluatorError::EvaluationError(crate::jsonata_errors::UNREADABLE_REGEX.into()))?;
    COMPILED.with(|compiled| compiled.borrow_mut().insert(key, re.clone()));
    Ok(re)
}

fn object<const N: usize>(members: [(&str, JValue); N]) -> JValue {
    JValue::Object(Rc::new(
        members.into_iter().map(|(key, value)| (key.to_owned(), value)).collect::<JMap>(),
    ))
}

/// One match, its offsets in UTF-16 code units as JavaScript counts them and in bytes.
struct Match {
    text: String,
    start: usize,
    end: usize,
    byte_start: usize,
    byte_end: usize,
    /// Each group, or none where it took no part in the match.
    captured: Vec<Option<String>>,
}

impl Match {
    fn groups(&self) -> JValue {
        JValue::array(
            self.captured
                .iter()
                .map(|group| group.as_deref().map_or(JValue::Undefined, JValue::string))
                .collect(),
        )
    }

    /// The `{match, start, end, groups}` a replacement function is handed.
    fn as_object(&self) -> JValue {
        object([
            ("match", JValue::string(self.text.as_str())),
            ("start", JValue::from(self.start as i64)),
            ("end", JValue::from(self.end as i64)),
            ("groups", self.groups()),
        ])
    }
}

/// Hands `each` the matches jsonata-js walks, up to `limit`, and answers how many: the first from
/// the start of the text, each later one its predecessor's `next()` — none once the predecessor
/// ended the text, `D1004` for one of zero length, which would never move on. As in jsonata-js,
/// the match after each is asked for, and checked, before the limit is.
fn walk(
    re: &Regex,
    text: &str,
    limit: Option<f64>,
    mut each: impl FnMut(&Match) -> Result<(), EvaluatorError>,
) -> Result<usize, EvaluatorError> {
    if limit.is_some_and(|limit| limit <= 0.0) {
        return Ok(0);
    }
    let mut units = Utf16::default();
    let length = text.encode_utf16().count();
    let mut count = 0;
    let mut found = exec(re, text, 0, &mut units)?;
    while let Some(m) = found {
        if limit.is_some_and(|limit| (count as f64) >= limit) {
            break;
        }
        each(&m)?;
        if crate::jsonata::out_of_time() {
            return Err(EvaluatorError::EvaluationError(crate::jsonata_errors::TIME_BOUND.into()));
        }
        found = match m.end >= length {
            true => None,
            false => match exec(re, text, m.byte_end, &mut units)? {
                Some(next) if next.text.is_empty() => {
                    return Err(EvaluatorError::EvaluationError(
                        "D1004: Regular expression matches zero length string".into(),
                    ));
                }
                next => next,
            },
        };
        count += 1;
    }
    Ok(count)
}

/// jsonata-js's regular expression closure: the first match at or after byte `from`, looking
/// behind it where the pattern does. `units` counts its offsets in UTF-16 code units.
fn exec(re: &Regex, text: &str, from: usize, units: &mut Utf16) -> Result<Option<Match>, EvaluatorError> {
    let captures = re
        .captures_from_pos(text, from)
        .map_err(|_| EvaluatorError::EvaluationError(crate::jsonata_errors::TIME_BOUND.into()))?;
    let Some(whole) = captures.as_ref().and_then(|captures| captures.get(0)) else {
        return Ok(None);
    };
    let captured = captures
        .iter()
        .flat_map(|captures| captures.iter().skip(1))
        .map(|group| group.map(|g| g.as_str().to_owned()))
        .collect();
    Ok(Some(Match {
        text: whole.as_str().to_owned(),
        start: units.at(text, whole.start()),
        end: units.at(text, whole.end()),
        byte_start: whole.start(),
        byte_end: whole.end(),
        captured,
    }))
}

/// A text's UTF-16 offsets, counted on from the last one asked for: matches come in order, so
/// each character is counted once.
#[derive(Default)]
struct Utf16 {
    byte: usize,
    units: usize,
}

impl Utf16 {
    fn at(&mut self, text: &str, byte: usize) -> usize {
        if byte < self.byte {
            *self = Utf16::default();
        }
        self.units += text[self.byte..byte].encode_utf16().count();
        self.byte = byte;
        self.units
    }
}

#[cfg(test)]
mod tests {
    use crate::jsonata_step_functions::tests::eval;

    /// A pattern that backtracks exponentially in the length of the text (JavaScript's too) is
    /// stopped, in the time bound's words, rather than stall the run.
    #[test]
    fn a_search_that_backtracks_without_end_fails_with_the_time_bound() {
        let cause = eval("$contains($pad('', 60, 'a') & '!', /^(?:a|a(?=a))+$/)").unwrap_err();
        assert!(
            cause.ends_with(": Expression evaluation timeout: Check for infinite loop"),
            "{cause}"
        );
    }

    /// jsonata-js 2.0.6's answers, run there: beside a pattern the engine cannot run, the
    /// functions Baton stands in for hand anything else on to the engine's own.
    #[test]
    fn any_other_pattern_is_the_engine_s() {
        assert_eq!(
            eval("[$match('ab', /b/).index, $contains('ab', 'b'), $split('a,b', /,/), $replace('ab', 'a', 'x'), $contains('ab', /(?=b)/)]"),
            Ok(serde_json::json!([1, true, "a", "b", "xb", true]))
        );
    }
}
