//! Numbers read as jsonata-js 2.0.6 reads them: a decimal with JavaScript's `parseInt`, roman
//! numerals (`romanToDecimal`), letters (`lettersToDecimal`) and number words (`wordsToNumber`).

use std::sync::OnceLock;

/// JavaScript's `parseInt(text)` of a decimal: its sign and leading digits, else NaN.
pub(crate) fn parse_int(text: &str) -> f64 {
    let text = text.trim_start();
    let (sign, rest) = match text.strip_prefix('-') {
        Some(rest) => (-1.0, rest),
        None => (1.0, text.strip_prefix('+').unwrap_or(text)),
    };
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse::<f64>().map_or(f64::NAN, |n| sign * n)
}

/// `romanToDecimal`: NaN once a letter is not a numeral (a lowercase one among them).
pub(super) fn roman(text: &str) -> f64 {
    let (mut decimal, mut max) = (0.0, 1.0);
    for c in text.chars().rev() {
        let value = match c {
            'M' => 1000.0,
            'D' => 500.0,
            'C' => 100.0,
            'L' => 50.0,
            'X' => 10.0,
            'V' => 5.0,
            'I' => 1.0,
            _ => f64::NAN,
        };
        if value < max {
            decimal -= value;
        } else {
            max = value;
            decimal += value;
        }
    }
    decimal
}

/// `lettersToDecimal`: `a` (or `A`) 1, `z` 26, `aa` 27, counted in UTF-16 code units from the
/// case the picture names, whatever case the text is in.
pub(super) fn letters(text: &str, upper: bool) -> f64 {
    let a = i64::from(if upper { b'A' } else { b'a' });
    let units: Vec<u16> = text.encode_utf16().collect();
    units
        .iter()
        .rev()
        .enumerate()
        .map(|(i, c)| (i64::from(*c) - a + 1) as f64 * 26f64.powi(i as i32))
        .sum()
}

const FEW: [&str; 20] = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
];
const ORDINALS: [&str; 20] = [
    "zeroth",
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
    "eleventh",
    "twelfth",
    "thirteenth",
    "fourteenth",
    "fifteenth",
    "sixteenth",
    "seventeenth",
    "eighteenth",
    "nineteenth",
];
const DECADES: [&str; 9] = [
    "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety", "hundred",
];
const MAGNITUDES: [&str; 4] = ["thousand", "million", "billion", "trillion"];

/// jsonata-js's `wordValues`, made as it makes them and in its order: each of `few` and
/// `ordinals` its index, each decade and its `…ieth` (`hundreieth` among them, as it spells
/// it), `hundredth`, each magnitude and its `…th`.
pub(super) fn word_values() -> &'static [(String, f64)] {
    static VALUES: OnceLock<Vec<(String, f64)>> = OnceLock::new();
    VALUES.get_or_init(|| {
        let mut values: Vec<(String, f64)> = Vec::new();
        for (i, word) in FEW.iter().chain(ORDINALS.iter()).enumerate() {
            values.push(((*word).into(), (i % 20) as f64));
        }
        for (i, decade) in DECADES.iter().enumerate() {
            let value = (i + 2) as f64 * 10.0;
            values.push(((*decade).into(), value));
            values.push((format!("{}ieth", &decade[..decade.len() - 1]), value));
        }
        values.push(("hundredth".into(), 100.0));
        for (i, magnitude) in MAGNITUDES.iter().enumerate() {
            let value = 10f64.powi(3 * (i as i32 + 1));
            values.push(((*magnitude).into(), value));
            values.push((format!("{magnitude}th"), value));
        }
        values
    })
}

/// `wordsToNumber` of lowercase text: the words between `, `, ` and ` and each space, hyphen or
/// backslash, summed by magnitude.
pub(super) fn words(text: &str) -> f64 {
    thread_local! {
        static SPLIT: Option<regex_lite::Regex> = regex_lite::Regex::new(r",\s|\sand\s|[\s\\-]").ok();
    }
    let parts: Vec<String> = SPLIT.with(|split| match split {
        Some(split) => split.split(text).map(str::to_string).collect(),
        None => vec![text.to_string()],
    });
    let mut segments = vec![0.0];
    for part in parts {
        let value = word_values().iter().find(|(w, _)| *w == part).map_or(f64::NAN, |(_, v)| *v);
        let top = segments.pop().unwrap_or(f64::NAN);
        if value < 100.0 {
            if top >= 1000.0 {
                segments.extend([top, value]);
            } else {
                segments.push(top + value);
            }
        } else {
            segments.push(top * value);
        }
    }
    segments.iter().sum()
}
