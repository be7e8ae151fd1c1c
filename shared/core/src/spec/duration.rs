//! Human durations in specs: `90`, `90s`, `2m`, `1h30m`, `24h`, `1d`, at most [`Span::MAX_SECS`].

use std::fmt;
use std::time::Duration;

use serde::de::{self, Deserializer, Visitor};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Span(pub Duration);

impl Span {
    /// The longest duration a spec may give: 365 days, the longest a Step Functions Standard
    /// execution runs. Every sum a duration takes part in (a bake's timeout is its duration plus
    /// a margin) then stays far from overflowing.
    pub const MAX_SECS: u64 = 365 * 86_400;

    pub fn from_secs(secs: u64) -> Result<Self, String> {
        if secs > Self::MAX_SECS {
            return Err(format!(
                "{secs} seconds is longer than a duration may be: at most 365d ({} s)",
                Self::MAX_SECS
            ));
        }
        Ok(Span(Duration::from_secs(secs)))
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let too_long = || format!("'{text}' is longer than a duration may be: at most 365d ({} s)", Self::MAX_SECS);
        if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
            return text
                .parse::<u64>()
                .map_err(|_| too_long())
                .and_then(|secs| Self::from_secs(secs).map_err(|_| too_long()));
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
            if number.is_empty() {
                return Err(format!("'{text}' is not a duration: a number must come before '{c}'"));
            }
            let n: u64 = number.parse().map_err(|_| too_long())?;
            total = n.checked_mul(unit).and_then(|part| total.checked_add(part)).ok_or_else(too_long)?;
            number.clear();
        }
        if !number.is_empty() || text.is_empty() {
            return Err(format!("'{text}' is not a duration: end it with a unit (s, m, h or d)"));
        }
        Self::from_secs(total).map_err(|_| too_long())
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

/// As pipeline.yml writes it (`5m`), so a span read back is the same span.
impl serde::Serialize for Span {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
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
                Span::from_secs(v).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Span, E> {
                let v = u64::try_from(v).map_err(|_| E::custom("a duration cannot be negative"))?;
                Span::from_secs(v).map_err(E::custom)
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
        assert!(Span::parse("s").is_err());
    }

    /// The probe: `18446744073709551325s` saturated near u64::MAX, and the bake's timeout (the
    /// duration plus a margin) wrapped around to 9 s.
    #[test]
    fn durations_are_bounded_and_never_wrap() {
        assert_eq!(Span::parse("365d").unwrap().secs(), Span::MAX_SECS);
        for text in [
            "18446744073709551325s",
            "366d",
            "31536001",
            "99999999999999999999999",
            "9999999999999999h",
            "364d24h1s",
        ] {
            let err = Span::parse(text).unwrap_err();
            assert!(err.contains("at most 365d"), "{text}: {err}");
        }
        assert!(Span::from_secs(u64::MAX).is_err());
    }
}
