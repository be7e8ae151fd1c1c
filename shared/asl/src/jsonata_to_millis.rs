//! jsonata-js 2.0.6's `$toMillis(timestamp, picture)`, which AWS runs (the developer guide's
//! "Transforming data with JSONata"): the picture made into one regular expression, a part per
//! component, the parts read, the missing ones filled in, and JavaScript's `Date.UTC` of what
//! that gives (its `parseDateTime`, `analyseDateTimePicture`, `generateRegex`). The embedded
//! engine reads a picture its own way: it refused a compact `[Y][M01][D01]` ("20240315") and
//! `2023-13-45`, and read `[Y,2]`'s "24" as the year 24, where `Date.UTC` makes it 1924.

use std::collections::BTreeMap;

use jsonata_core::evaluator::{EvaluatorError, HostFnResult};
use jsonata_core::value::JValue;

use crate::jsonata_engine_calls::builtin;
use crate::jsonata_errors::{MEMORY_BOUND, NO_CLOSING_BRACKET, jsonata_js, quoting};
use crate::jsonata_functions::now_millis;
use crate::jsonata_integer_picture::{self as integer, IntegerFormat, Primary};
use crate::jsonata_signatures;

mod js_date;
mod names;

use js_date::{DAY, civil, date_utc, fragment};

/// `$toMillis`: the picture form read as jsonata-js reads it, the ISO 8601 form (no picture) left
/// to the engine, which reads it as jsonata-js does.
pub(crate) fn to_millis(args: &[JValue]) -> HostFnResult {
    jsonata_signatures::check_builtin("toMillis", args).map_err(EvaluatorError::TypeError)?;
    match args {
        [JValue::Undefined, ..] => Ok(JValue::Undefined),
        [JValue::String(timestamp), JValue::String(picture), ..] => {
            Ok(parse(timestamp, picture, now_millis())?.map_or(JValue::Undefined, JValue::Number))
        }
        _ => builtin("toMillis", args),
    }
}

/// One `[…]` marker of a picture, as `analyseDateTimePicture` leaves it.
struct Marker {
    component: char,
    integer: Option<IntegerFormat>,
    /// The width modifier's maximum: the characters a name keeps (`[MNn,*-3]` reads "Jan").
    max_width: Option<f64>,
}

/// The most matching a picture and timestamp may ask for, in parts of the picture times
/// characters of the timestamp, and the longest pattern a picture may make: a realistic picture
/// has a few dozen parts and a timestamp a few dozen characters, where a hostile one (thousands
/// of `[Y]`, a long run of `[Yw]`) would hold the matcher for minutes or exhaust memory.
/// Beyond them the evaluation fails on AWS's memory bound.
const MATCHING_BOUND: usize = 1_000_000;
const PATTERN_BOUND: usize = 100_000;

/// jsonata-js's `parseDateTime`: `None` where the timestamp does not match the picture or the
/// picture names no component, else `Date.UTC` of the components read, possibly NaN.
fn parse(timestamp: &str, picture: &str, now: f64) -> Result<Option<f64>, EvaluatorError> {
    let parts = analyse(picture)?;
    let bound = || EvaluatorError::EvaluationError(MEMORY_BOUND.into());
    if parts.len().saturating_mul(timestamp.len() + 1) > MATCHING_BOUND {
        return Err(bound());
    }
    let mut regex = String::from("^");
    for part in &parts {
        regex.push('(');
        regex.push_str(&match part {
            Part::Literal(text) => regex_lite::escape(text),
            Part::Marker(m) => part_regex(m)?,
        });
        regex.push(')');
    }
    regex.push('$');
    if regex.len() > PATTERN_BOUND {
        return Err(bound());
    }
    // A count of digits past the timestamp's length matches nothing, and would make a needlessly
    // large pattern of a hostile picture (`[Y,999999999]`).
    let longest = timestamp.chars().count() as f64;
    let too_wide = parts.iter().any(|p| match p {
        Part::Marker(Marker { integer: Some(f), .. }) if f.primary == Primary::Decimal => {
            f.n.is_some_and(|n| n - f.optional_digits > longest)
        }
        _ => false,
    });
    if too_wide {
        return Ok(None);
    }
    let matcher = regex_lite::RegexBuilder::new(&regex)
        .case_insensitive(true)
        .build()
        .map_err(|_| EvaluatorError::EvaluationError("Invalid regular expression".into()))?;
    let Some(captures) = matcher.captures(timestamp) else {
        return Ok(None);
    };
    // Present with no value where a name is not one jsonata-js knows (`undefined` there).
    let mut components: BTreeMap<char, Option<f64>> = BTreeMap::new();
    for (at, part) in parts.iter().enumerate() {
        if let Part::Marker(m) = part {
            let text = captures.get(at + 1).map_or("", |c| c.as_str());
            components.insert(m.component, read_component(m, text)?);
        }
    }
    if components.is_empty() {
        return Ok(None);
    }
    Ok(Some(assemble(components, now)?))
}

enum Part {
    Literal(String),
    Marker(Marker),
}

/// `analyseDateTimePicture`, for parsing.
fn analyse(picture: &str) -> Result<Vec<Part>, EvaluatorError> {
    let chars: Vec<char> = picture.chars().collect();
    let mut parts = Vec::new();
    let literal = |parts: &mut Vec<Part>, text: String| {
        if !text.is_empty() {
            parts.push(Part::Literal(text.replace("]]", "]")));
        }
    };
    let (mut start, mut pos) = (0, 0);
    while pos < chars.len() {
        if chars[pos] != '[' {
            pos += 1;
            continue;
        }
        if chars.get(pos + 1) == Some(&'[') {
            literal(&mut parts, chars[start..pos].iter().collect());
            parts.push(Part::Literal("[".into()));
            pos += 2;
            start = pos;
            continue;
        }
        literal(&mut parts, chars[start..pos].iter().collect());
        let close = chars[pos..]
            .iter()
            .position(|c| *c == ']')
            .map(|n| pos + n)
            .ok_or_else(|| quoting("D3135", NO_CLOSING_BRACKET))?;
        let marker: String = chars[pos + 1..close].iter().filter(|c| !c.is_whitespace()).collect();
        parts.push(Part::Marker(marker_of(&marker)?));
        start = close + 1;
        pos = close + 1;
    }
    literal(&mut parts, chars[start..].iter().collect());
    Ok(parts)
}

/// One marker's text, whitespace removed (`Y0001,4-4`), as `analyseDateTimePicture` defines it.
fn marker_of(marker: &str) -> Result<Marker, EvaluatorError> {
    let Some(component) = marker.chars().next() else {
        return Err(quoting("D3132", ""));
    };
    let body = &marker[component.len_utf8()..];
    // `parseWidth`: `*` is none, anything else JavaScript's `parseInt` of it (NaN for "").
    let width = |w: &str| -> Option<f64> { (w != "*").then(|| integer::parse_int(w)) };
    let (presentation, min_width, max_width) = match body.rfind(',') {
        Some(comma) => {
            let modifier = &body[comma + 1..];
            let (min, max) = modifier.split_once('-').map_or((modifier, None), |(a, b)| (a, Some(b)));
            (&body[..comma], width(min), max.and_then(width))
        }
        None => (body, None, None),
    };
    let (mut first, mut second) = (presentation.to_string(), None);
    if presentation.chars().count() > 1 {
        let last = presentation.chars().last().unwrap_or_default();
        if "atco".contains(last) {
            second = Some(last);
            first = presentation[..presentation.len() - last.len_utf8()].to_string();
        }
    } else if presentation.is_empty() {
        first = default_presentation(component)
            .ok_or_else(|| quoting("D3132", &component.to_string()))?
            .into();
    }
    let names = first.starts_with(['n', 'N']);
    let mut integer = None;
    if !names && "YMDdFWwXxHhmsf".contains(component) {
        let pattern = match second {
            Some(second) => format!("{first};{second}"),
            None => first.clone(),
        };
        let mut format = integer::analyse(&pattern)?;
        let mandatory = match min_width {
            Some(min) if format.1 < min => min,
            _ => format.1,
        };
        if "YMD".contains(component) {
            // §9.8.4.4: a year, month or day takes the maximum width's digits, else its
            // picture's, when that is two or more.
            let digits = mandatory + format.0.optional_digits;
            format.0.n = max_width.or((digits >= 2.0).then_some(digits));
        }
        integer = Some(format.0);
    }
    if component == 'Z' || component == 'z' {
        integer = Some(integer::analyse(&first)?.0);
    }
    Ok(Marker {
        component,
        integer,
        max_width,
    })
}

/// jsonata-js's `defaultPresentationModifiers`.
fn default_presentation(component: char) -> Option<&'static str> {
    Some(match component {
        'Y' | 'M' | 'D' | 'd' | 'W' | 'w' | 'X' | 'x' | 'H' | 'h' | 'f' => "1",
        'F' | 'P' | 'C' | 'E' => "n",
        'm' | 's' => "01",
        'Z' | 'z' => "01:01",
        _ => return None,
    })
}

/// `generateRegex`'s part for one marker.
fn part_regex(marker: &Marker) -> Result<String, EvaluatorError> {
    if marker.component == 'Z' || marker.component == 'z' {
        let mut regex = String::from(if marker.component == 'z' { "GMT" } else { "" });
        regex.push_str("[-+][0-9]+");
        // jsonata-js puts the separator into the pattern as it is.
        if let Some(separator) = marker.integer.as_ref().and_then(|f| f.separator) {
            regex.push(separator);
            regex.push_str("[0-9]+");
        }
        return Ok(regex);
    }
    if let Some(format) = &marker.integer {
        return integer::regex(format);
    }
    // What has no integer format is read as a name, which only months, days and am/pm have.
    if !"MxFP".contains(marker.component) {
        return Err(quoting("D3133", &marker.component.to_string()));
    }
    Ok("[a-zA-Z]+".into())
}

/// One component's value from the text its part matched (`None`: a name jsonata-js does not
/// know, `undefined` there).
fn read_component(marker: &Marker, text: &str) -> Result<Option<f64>, EvaluatorError> {
    if marker.component == 'Z' || marker.component == 'z' {
        let value = if marker.component == 'z' {
            text.get(3..).unwrap_or_default()
        } else {
            text
        };
        // jsonata-js reads the minutes unsigned: "-0530" is -5 hours and +30 minutes.
        let (hours, minutes) = match marker.integer.as_ref().and_then(|f| f.separator) {
            Some(separator) => {
                let (h, m) = value.split_once(separator).unwrap_or((value, ""));
                (integer::parse_int(h), integer::parse_int(m))
            }
            None if value.chars().count() <= 3 => (integer::parse_int(value), 0.0),
            None => (
                integer::parse_int(value.get(..3).unwrap_or(value)),
                integer::parse_int(value.get(3..).unwrap_or_default()),
            ),
        };
        return Ok(Some(hours * 60.0 + minutes));
    }
    let Some(format) = &marker.integer else {
        return Ok(names::number(marker.component, marker.max_width, text));
    };
    integer::read(format, text).map(Some)
}

/// The components filled in and made a time, as `parseDateTime` does once the timestamp matched:
/// its masks tell which date (year, month, day; year and day of year; or an ISO week, which it
/// cannot read) and which time (24 or 12 hours) the components give; a component missing before
/// the first given is now's, after the last given its least; one missing between is D3136.
fn assemble(mut c: BTreeMap<char, Option<f64>>, now: f64) -> Result<f64, EvaluatorError> {
    let given = |c: &BTreeMap<char, Option<f64>>, k: char| matches!(c.get(&k), Some(Some(v)) if *v != 0.0 && !v.is_nan());
    let mask = |c: &BTreeMap<char, Option<f64>>, order: &str| order.chars().fold(0u8, |m, k| (m << 1) | u8::from(given(c, k)));
    let is = |kind: u8, mask: u8| (!kind & mask) == 0 && (kind & mask) != 0;
    let dates = mask(&c, "YXMxWwdD");
    let date_a = is(0b1010_0001, dates);
    let date_b = !date_a && is(0b1000_0010, dates);
    let date_c = is(0b0101_0100, dates);
    let date_d = !date_c && is(0b0100_1000, dates);
    let times = mask(&c, "PHhmsf");
    let time_b = !is(0b01_0111, times) && is(0b10_1111, times);
    let date_parts = match (date_b, date_c, date_d) {
        (true, _, _) => "YD",
        (_, true, _) => "XxwF",
        (_, _, true) => "XWF",
        _ => "YMD",
    };
    let time_parts = if time_b { "Phmsf" } else { "Hmsf" };
    let (mut started, mut ended) = (false, false);
    for part in date_parts.chars().chain(time_parts.chars()) {
        if matches!(c.get(&part), Some(Some(_))) {
            started = true;
            if ended {
                return Err(jsonata_js("D3136"));
            }
        } else if started {
            c.insert(part, Some(if "MDd".contains(part) { 1.0 } else { 0.0 }));
            ended = true;
        } else {
            c.insert(part, Some(fragment(now, part)));
        }
    }
    let get = |c: &BTreeMap<char, Option<f64>>, k: char| c.get(&k).copied().flatten().unwrap_or(f64::NAN);
    let month = get(&c, 'M');
    let (mut month, mut day) = (if month > 0.0 { month - 1.0 } else { 0.0 }, get(&c, 'D'));
    if date_b {
        let first_january = date_utc(get(&c, 'Y'), 0.0, 1.0, 0.0);
        let (_, m, d) = civil(first_january + (get(&c, 'd') - 1.0) * DAY);
        (month, day) = (m, d);
    }
    if date_c || date_d {
        return Err(jsonata_js("D3136"));
    }
    let mut hours = get(&c, 'H');
    if time_b {
        let h = get(&c, 'h');
        hours = if h == 12.0 { 0.0 } else { h };
        if get(&c, 'P') == 1.0 {
            hours += 12.0;
        }
    }
    let time = hours.trunc() * 3_600_000.0 + get(&c, 'm').trunc() * 60_000.0 + get(&c, 's').trunc() * 1000.0 + get(&c, 'f').trunc();
    let mut millis = date_utc(get(&c, 'Y'), month, day, time);
    // `components.Z || components.z`: the first offset that is neither 0 nor NaN.
    if let Some(offset) = ['Z', 'z'].into_iter().map(|k| get(&c, k)).find(|v| *v != 0.0 && !v.is_nan()) {
        millis -= offset * 60_000.0;
    }
    Ok(millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-12-08T14:05:06.789Z.
    const NOW: f64 = 1_796_738_706_789.0;

    fn at(timestamp: &str, picture: &str) -> Option<f64> {
        parse(timestamp, picture, NOW).unwrap()
    }

    /// What `parseDateTime` fills in, as jsonata-js 2.0.6 does with the same `now`: the parts
    /// before the first given from now, those after the last given their least.
    #[test]
    fn missing_parts_come_from_now_before_and_are_least_after() {
        assert_eq!(at("12:30", "[H]:[m]"), Some(1_796_733_000_000.0), "today at 12:30:00.000");
        assert_eq!(at("March", "[MNn]"), Some(1_772_323_200_000.0), "1 March of this year, midnight");
        assert_eq!(at("3 pm", "[h] [P]"), Some(1_796_742_000_000.0));
        // The am/pm now gives is a text, never 1: a 12-hour clock without a marker is the morning.
        assert_eq!(at("3:15", "[h]:[m]"), Some(1_796_699_700_000.0));
        // 0 counts as no part for the masks, but as given for the filling.
        assert_eq!(at("00:30", "[H]:[m]"), Some(1_796_689_800_000.0));
    }

    /// A hostile picture neither builds a pattern its timestamp could never match nor overflows,
    /// and one that would hold the matcher (thousands of parts, a long run of number words)
    /// fails on the memory bound before it is built.
    #[test]
    fn a_hostile_picture_is_answered_without_building_it() {
        let refused = |timestamp: &str, picture: &str| parse(timestamp, picture, NOW).unwrap_err().message().to_string();
        assert_eq!(refused(&"1-".repeat(20_000), &"[Y]-".repeat(20_000)), MEMORY_BOUND);
        assert_eq!(refused("one", &"[Yw]".repeat(500)), MEMORY_BOUND);
        assert_eq!(at("2024", "[Y,999999999]"), None);
        assert_eq!(at("2024", "[Y9999999999999999999999]"), None);
        assert!(at("99999999999999999999-1-1", "[Y]-[M]-[D]").unwrap().is_nan());
        assert!(at(&"9".repeat(400), "[Y]").unwrap().is_nan());
    }
}
