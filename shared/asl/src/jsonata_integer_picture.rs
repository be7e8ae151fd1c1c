//! jsonata-js 2.0.6's integer pictures as it reads numbers with them (`analyseIntegerPicture`,
//! and the `parse` of `generateRegex`'s integer matcher): `$parseInteger`, and each numeric part
//! of a `$toMillis` timestamp (`jsonata_to_millis`). The embedded engine refused text its number
//! words do not name (`$parseInteger('abc', 'w')`), where jsonata-js answers NaN, and failed
//! inside on letters no picture's case names (`$parseInteger('one hundred and one', 'a')`).

use jsonata_core::evaluator::{EvaluatorError, HostFnResult};
use jsonata_core::value::JValue;

use crate::jsonata_errors::{jsonata_js, quoting};
use crate::jsonata_signatures;

mod values;

pub(crate) use values::parse_int;

/// An integer picture as `analyseIntegerPicture` reads it, with the digits a date/time picture
/// asks of it (`n`).
pub(crate) struct IntegerFormat {
    pub(crate) primary: Primary,
    upper: bool,
    ordinal: bool,
    pub(crate) optional_digits: f64,
    /// The digits a year, month or day takes (`def.n`): none, or how many.
    pub(crate) n: Option<f64>,
    /// The grouping separator when every one is the same character at a regular interval
    /// (`regular`), which a timezone's picture reads as its hours' and minutes' separator.
    pub(crate) separator: Option<char>,
    /// Every grouping separator, as written.
    separators: Vec<char>,
    /// The digit family's zero (`0x30`, or `٠`'s for Arabic-Indic digits).
    zero: u32,
    /// A numbering sequence's token, which D3130 quotes.
    token: String,
}

#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Primary {
    Decimal,
    Letters,
    Roman,
    Words,
    /// A numbering sequence, which jsonata-js refuses (D3130).
    Sequence,
}

/// `$parseInteger(value, picture)`: the value read with the picture's parser, as jsonata-js
/// reads it, whether or not the value looks as the picture writes numbers (NaN where it reads
/// no number).
pub(crate) fn parse_integer(args: &[JValue]) -> HostFnResult {
    jsonata_signatures::check_builtin("parseInteger", args).map_err(EvaluatorError::TypeError)?;
    match args {
        [JValue::String(value), JValue::String(picture), ..] => {
            let (format, _) = analyse(picture)?;
            // jsonata-js makes the matcher before it reads: a numbering sequence is refused there.
            regex(&format)?;
            Ok(JValue::Number(read(&format, value)?))
        }
        _ => Ok(JValue::Undefined),
    }
}

/// The unicode decimal digit families whose zeros jsonata-js knows (its `decimalGroups`).
const DECIMAL_GROUPS: [u32; 37] = [
    0x30, 0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6, 0x0D66, 0x0DE6, 0x0E50, 0x0ED0, 0x0F20,
    0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0,
    0xAA50, 0xABF0, 0xFF10,
];

/// `analyseIntegerPicture`: the format and its mandatory digits.
pub(crate) fn analyse(picture: &str) -> Result<(IntegerFormat, f64), EvaluatorError> {
    let (primary_text, modifier) = picture.rsplit_once(';').map_or((picture, None), |(p, m)| (p, Some(m)));
    let mut format = IntegerFormat {
        primary: Primary::Decimal,
        upper: false,
        ordinal: modifier.is_some_and(|m| m.starts_with('o')),
        optional_digits: 0.0,
        n: None,
        separator: None,
        separators: Vec::new(),
        zero: 0x30,
        token: String::new(),
    };
    let mut mandatory = 0.0;
    match primary_text {
        "A" | "a" => (format.primary, format.upper) = (Primary::Letters, primary_text == "A"),
        "I" | "i" => (format.primary, format.upper) = (Primary::Roman, primary_text == "I"),
        "W" | "Ww" | "w" => format.primary = Primary::Words,
        _ => {
            let mut zero = None;
            let (mut optional, mut position) = (0.0, 0usize);
            let mut separators: Vec<(usize, char)> = Vec::new();
            for c in primary_text.chars().rev() {
                let code = c as u32;
                match DECIMAL_GROUPS.iter().find(|g| (**g..=**g + 9).contains(&code)) {
                    Some(group) => {
                        mandatory += 1.0;
                        position += 1;
                        match zero {
                            None => zero = Some(*group),
                            Some(z) if z != *group => return Err(jsonata_js("D3131")),
                            Some(_) => {}
                        }
                    }
                    None if c == '#' => {
                        position += 1;
                        optional += 1.0;
                    }
                    None => separators.push((position, c)),
                }
            }
            match zero {
                Some(zero) => {
                    format.zero = zero;
                    format.optional_digits = optional;
                    format.separator = regular_separator(&separators);
                    format.separators = separators.into_iter().map(|(_, c)| c).collect();
                }
                None => {
                    format.primary = Primary::Sequence;
                    format.token = primary_text.to_string();
                }
            }
        }
    }
    Ok((format, mandatory))
}

/// The grouping separator when every one is the same character at a regular interval
/// (`regularRepeat`).
fn regular_separator(separators: &[(usize, char)]) -> Option<char> {
    let (_, first) = *separators.first()?;
    if separators.iter().any(|(_, c)| *c != first) {
        return None;
    }
    fn gcd(a: usize, b: usize) -> usize {
        if b == 0 { a } else { gcd(b, a % b) }
    }
    let factor = separators.iter().map(|(p, _)| *p).reduce(gcd)?;
    let positions: std::collections::HashSet<usize> = separators.iter().map(|(p, _)| *p).collect();
    let regular = factor > 0 && (1..=separators.len()).all(|i| positions.contains(&(i * factor)));
    regular.then_some(first)
}

/// `generateRegex` of an integer format: what a number written with it matches.
pub(crate) fn regex(format: &IntegerFormat) -> Result<String, EvaluatorError> {
    let occurrences = match format.n {
        Some(n) if n > 0.0 && format.optional_digits == 0.0 => format!("{{{n}}}"),
        Some(n) if n > 0.0 => format!("{{{},{n}}}", (n - format.optional_digits).max(0.0)),
        _ => "+".into(),
    };
    match format.primary {
        Primary::Letters => Ok(if format.upper { "[A-Z]+" } else { "[a-z]+" }.into()),
        Primary::Roman => Ok(if format.upper { "[MDCLXVI]+" } else { "[mdclxvi]+" }.into()),
        Primary::Words => {
            let words: Vec<&str> = values::word_values().iter().map(|(w, _)| w.as_str()).collect();
            Ok(format!("(?:{}|and|[\\-, ])+", words.join("|")))
        }
        Primary::Decimal if format.ordinal => Ok(format!("[0-9]{occurrences}(?:th|st|nd|rd)")),
        Primary::Decimal => Ok(format!("[0-9]{occurrences}")),
        Primary::Sequence => Err(quoting("D3130", &format.token)),
    }
}

/// The integer matcher's `parse`: the number `text` writes in `format`. A decimal loses an
/// ordinal's last two characters and its grouping separators (every `,` where they are regular,
/// as jsonata-js has it), its digits read as ASCII ones by their family's offset.
pub(crate) fn read(format: &IntegerFormat, text: &str) -> Result<f64, EvaluatorError> {
    Ok(match format.primary {
        Primary::Decimal => {
            let mut units: Vec<u16> = text.encode_utf16().collect();
            if format.ordinal {
                units.truncate(units.len().saturating_sub(2));
            }
            let mut digits = String::from_utf16_lossy(&units);
            if format.separator.is_some() {
                digits = digits.replace(',', "");
            } else {
                for separator in &format.separators {
                    digits = digits.replace(*separator, "");
                }
            }
            if format.zero != 0x30 {
                digits = offset(&digits, format.zero)?;
            }
            parse_int(&digits)
        }
        Primary::Letters => values::letters(text, format.upper),
        Primary::Roman => values::roman(&if format.upper { text.to_string() } else { text.to_uppercase() }),
        Primary::Words => values::words(&text.to_lowercase()),
        Primary::Sequence => f64::NAN,
    })
}

/// Each UTF-16 code unit moved from the `zero` family to ASCII's (`String.fromCodePoint(c -
/// zero + 0x30)`), which throws JavaScript's RangeError for a code point below 0.
fn offset(digits: &str, zero: u32) -> Result<String, EvaluatorError> {
    digits
        .encode_utf16()
        .map(|unit| {
            let code = i64::from(unit) - i64::from(zero) + 0x30;
            u32::try_from(code)
                .ok()
                .filter(|c| *c <= 0x10FFFF)
                .map(|c| char::from_u32(c).unwrap_or(char::REPLACEMENT_CHARACTER))
                .ok_or_else(|| EvaluatorError::EvaluationError(format!("Invalid code point {code}")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(value: &str, picture: &str) -> Result<f64, String> {
        match parse_integer(&[JValue::string(value), JValue::string(picture)]) {
            Ok(JValue::Number(n)) => Ok(n),
            Ok(other) => Err(format!("{other:?}")),
            Err(e) => Err(e.message().to_string()),
        }
    }

    /// jsonata-js 2.0.6's `$parseInteger`, run on each of these: it reads with the picture's
    /// parser whatever the text is, NaN where that reads no number.
    #[test]
    fn a_number_is_read_as_jsonata_js_reads_it() {
        assert_eq!(parsed("1,234", "#,##0"), Ok(1234.0));
        assert_eq!(parsed("1.234.567", "#.##0"), Ok(1.0), "a regular separator other than ',' stays");
        assert_eq!(parsed("1 2-3", "# #-0"), Ok(123.0), "irregular separators are each removed");
        assert_eq!(parsed("12th", "1;o"), Ok(12.0));
        assert_eq!(parsed("٣٤", "٠٠"), Ok(34.0));
        assert_eq!(parsed("one thousand, two hundred and thirty-four", "w"), Ok(1234.0));
        assert_eq!(parsed("MMXXIV", "I"), Ok(2024.0));
        assert_eq!(parsed("aa", "a"), Ok(27.0));
        assert!(parsed("abc", "w").unwrap().is_nan(), "no number word");
        assert!(parsed("xiv", "I").unwrap().is_nan(), "lowercase numerals for an uppercase picture");
        assert_eq!(parsed("one hundred and one", "a"), Ok(4.5817750406945504e26));
    }

    #[test]
    fn a_picture_jsonata_js_refuses_is_refused_in_its_words() {
        assert_eq!(parsed("1", "١0"), Err(crate::jsonata_errors::fixed("D3131").unwrap()));
        assert_eq!(parsed("1", "o"), Err("D3130: o".into()));
        assert_eq!(parsed("1 000", "٠٠"), Err("Invalid code point -1535".into()));
    }
}
