//! Human durations in specs: `90`, `90s`, `2m`, `1h30m`, `24h`, `1d`.

use std::fmt;
use std::time::Duration;

use serde::de::{self, Deserializer, Visitor};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Span(pub Duration);

impl Span {
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if let Ok(secs) = text.parse::<u64>() {
            return Ok(Span(Duration::from_secs(secs)));
        }
        let mut total = 0u64;
        let mut number = String::new();
        for c in text.chars() {
            if c.is_ascii_digit() {
                number.push(c);
                continue;
            }
            let unit = match c {
                's' => 1,
                'm' => 60,
                'h' => 3600,
                'd' => 86_400,
                _ => {
                    return Err(format!(
                        "'{text}' is not a duration: unexpected '{c}' (use s, m, h or d, e.g. 90s, 2m, 1h30m)"
                    ));
                }
            };
            let n: u64 = number
                .parse()
                .map_err(|_| format!("'{text}' is not a duration: a number must come before '{c}'"))?;
            total = total.saturating_add(n.saturating_mul(unit));
            number.clear();
        }
        if !number.is_empty() || text.is_empty() {
            return Err(format!("'{text}' is not a duration: end it with a unit (s, m, h or d)"));
        }
        Ok(Span(Duration::from_secs(total)))
    }

    pub fn secs(self) -> u64 {
        self.0.as_secs()
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0.as_secs();
        match s {
            s if s % 3600 == 0 && s > 0 => write!(f, "{}h", s / 3600),
            s if s % 60 == 0 && s > 0 => write!(f, "{}m", s / 60),
            s => write!(f, "{s}s"),
        }
    }
}

impl<'de> serde::Deserialize<'de> for Span {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Span;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a duration such as 30s, 2m or 1h")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Span, E> {
                Ok(Span(Duration::from_secs(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Span, E> {
                u64::try_from(v)
                    .map(|v| Span(Duration::from_secs(v)))
                    .map_err(|_| E::custom("a duration cannot be negative"))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Span, E> {
                Span::parse(v).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units() {
        assert_eq!(Span::parse("90").unwrap().secs(), 90);
        assert_eq!(Span::parse("2m").unwrap().secs(), 120);
        assert_eq!(Span::parse("1h30m").unwrap().secs(), 5400);
        assert_eq!(Span::parse("1d").unwrap().secs(), 86_400);
        assert!(Span::parse("10x").is_err());
        assert!(Span::parse("10m5").is_err());
        assert!(Span::parse("").is_err());
    }
}
