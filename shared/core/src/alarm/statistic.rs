//! CloudWatch's statistics, as the user guide's "CloudWatch statistics definitions" defines them:
//! the five simple ones, percentiles (`p99`), the trimmed family over a range of the values —
//! trimmed mean (`tm99`, `TM(10%:90%)`, `TM(150:1000)`), winsorized mean (`wm`/`WM`), trimmed
//! count (`tc`/`TC`), trimmed sum (`ts`/`TS`), the interquartile mean (`IQM`, which is
//! `TM(25%:75%)`) — and the percentile rank `PR(n:m)`.
//!
//! The guide fixes the bounds of a range given in values: the lower one is exclusive and the
//! upper one inclusive ("TM(150:1000) … removing all data points that are lower than or equal to
//! 150, or higher than 1000"; "Percentile rank is exclusive on the lower bound and inclusive on
//! the upper bound"). A bound given in percent is read as the value at that percentile, by the
//! same nearest-rank rule as `pNN`, and then the same way; 0 % and 100 % leave that side open.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A statistic (`Statistic`) or an extended one (`ExtendedStatistic`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Statistic {
    SampleCount,
    Sum,
    Average,
    Minimum,
    Maximum,
    Percentile(f64),
    /// A trimmed statistic over the values in a range.
    Trimmed(Trim, Range),
    /// `PR(n:m)`: the percentage of the values in (n, m].
    PercentileRank(Option<f64>, Option<f64>),
}

/// What a trimmed statistic makes of the values in its range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trim {
    /// `tm`/`TM`: their mean.
    Mean,
    /// `wm`/`WM`: the mean of every value, those outside the range taken as the bound they pass.
    WinsorizedMean,
    /// `tc`/`TC`: how many there are.
    Count,
    /// `ts`/`TS`: their sum.
    Sum,
}

/// The range a trimmed statistic keeps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Range {
    /// `tm90`: from 0 % to this percent.
    UpTo(f64),
    /// `TM(10%:90%)`: between two percents (an absent one is 0 % or 100 %).
    Percent(Option<f64>, Option<f64>),
    /// `TM(150:1000)`: between two values (an absent one leaves that side open).
    Values(Option<f64>, Option<f64>),
    /// `IQM`: 25 % to 75 %, written as its own name.
    Interquartile,
}

/// Every statistic's form, for the messages that refuse one.
pub const STATISTICS: &str = "SampleCount, Sum, Average, Minimum, Maximum, a percentile (p99), a trimmed mean, winsorized mean, trimmed count or trimmed sum (tm99, wm99, tc99, ts99, TM(10%:90%)), IQM, or a percentile rank (PR(:300))";

impl Trim {
    const ALL: [Trim; 4] = [Trim::Mean, Trim::WinsorizedMean, Trim::Count, Trim::Sum];

    fn name(self) -> &'static str {
        match self {
            Self::Mean => "tm",
            Self::WinsorizedMean => "wm",
            Self::Count => "tc",
            Self::Sum => "ts",
        }
    }
}

impl Statistic {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "SampleCount" => Self::SampleCount,
            "Sum" => Self::Sum,
            "Average" => Self::Average,
            "Minimum" => Self::Minimum,
            "Maximum" => Self::Maximum,
            "IQM" => Self::Trimmed(Trim::Mean, Range::Interquartile),
            _ => {
                if let Some(p) = s.strip_prefix('p') {
                    return percent(p).map(Self::Percentile);
                }
                if let Some(bounds) = s.strip_prefix("PR(").and_then(|r| r.strip_suffix(')')) {
                    let (lower, upper) = bounds.split_once(':')?;
                    let (lower, upper) = (value(lower)?, value(upper)?);
                    return ordered(lower, upper).then_some(Self::PercentileRank(lower, upper));
                }
                Trim::ALL.into_iter().find_map(|trim| trimmed(trim, s))?
            }
        })
    }

    /// An `ExtendedStatistic`: anything but the five a `Statistic` member names.
    pub fn is_extended(&self) -> bool {
        !matches!(self, Self::SampleCount | Self::Sum | Self::Average | Self::Minimum | Self::Maximum)
    }

    /// Why PutMetricAlarm refuses this statistic, which other calls take: an alarm's
    /// `ExtendedStatistic` takes the upper-case forms only as "TM(X%:X%) where X is between 10
    /// and 90 inclusive" (and TC, TS, WM alike; its reference), never with values.
    pub fn alarm_refusal(&self) -> Option<String> {
        let in_range = |b: &Option<f64>| b.is_some_and(|x| (10.0..=90.0).contains(&x));
        match self {
            Self::Trimmed(trim, Range::Values(..)) => Some(format!(
                "{self}: an alarm's trimmed statistic takes its bounds in percent, such as {}(10%:90%)",
                trim.name().to_uppercase()
            )),
            Self::Trimmed(trim, Range::Percent(lower, upper)) if !(in_range(lower) && in_range(upper)) => Some(format!(
                "{self}: an alarm's {}(X%:X%) takes both bounds, each from 10% to 90%",
                trim.name().to_uppercase()
            )),
            _ => None,
        }
    }

    /// Aggregates one period's values; `None` when the period has no data (or, for a mean, none
    /// in its range). Percentiles use the nearest-rank method.
    pub fn aggregate(self, values: &[f64]) -> Option<f64> {
        if values.is_empty() {
            return None;
        }
        let sum: f64 = values.iter().sum();
        let n = values.len() as f64;
        Some(match self {
            Self::SampleCount => n,
            Self::Sum => sum,
            Self::Average => sum / n,
            Self::Minimum => values.iter().copied().fold(f64::INFINITY, f64::min),
            Self::Maximum => values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            Self::Percentile(p) => nearest_rank(&sorted(values), p),
            Self::PercentileRank(lower, upper) => {
                let inside = values.iter().filter(|v| within(**v, lower, upper)).count();
                100.0 * inside as f64 / n
            }
            Self::Trimmed(trim, range) => {
                let sorted = sorted(values);
                let (lower, upper) = range.bounds(&sorted);
                if trim == Trim::WinsorizedMean {
                    // Clamped to the values at the bounds, every value counts.
                    let clamp = |v: f64| upper.map_or(v, |u| v.min(u)).max(lower.unwrap_or(f64::NEG_INFINITY));
                    return Some(sorted.iter().map(|v| clamp(*v)).sum::<f64>() / n);
                }
                let kept: Vec<f64> = sorted.into_iter().filter(|v| within(*v, lower, upper)).collect();
                let kept_sum: f64 = kept.iter().sum();
                match trim {
                    Trim::Count => kept.len() as f64,
                    Trim::Sum => kept_sum,
                    _ if kept.is_empty() => return None,
                    _ => kept_sum / kept.len() as f64,
                }
            }
        })
    }
}

impl Range {
    /// The range's bounds in values over `sorted`: (exclusive lower, inclusive upper).
    fn bounds(self, sorted: &[f64]) -> (Option<f64>, Option<f64>) {
        let at = |p: Option<f64>, open: f64| p.filter(|p| *p != open).map(|p| nearest_rank(sorted, p));
        match self {
            Self::UpTo(upper) => (None, at(Some(upper), 100.0)),
            Self::Percent(lower, upper) => (at(lower, 0.0), at(upper, 100.0)),
            Self::Values(lower, upper) => (lower, upper),
            Self::Interquartile => (at(Some(25.0), 0.0), at(Some(75.0), 100.0)),
        }
    }
}

fn sorted(values: &[f64]) -> Vec<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted
}

/// The value at percentile `p` of non-empty `sorted`, by nearest rank.
fn nearest_rank(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// In (lower, upper]: the guide's bounds, exclusive below and inclusive above.
fn within(v: f64, lower: Option<f64>, upper: Option<f64>) -> bool {
    lower.is_none_or(|l| v > l) && upper.is_none_or(|u| v <= u)
}

fn ordered(lower: Option<f64>, upper: Option<f64>) -> bool {
    match (lower, upper) {
        (Some(l), Some(u)) => l < u,
        _ => true,
    }
}

/// A number as the guide bounds them: finite, at most 10 decimal places.
fn number(text: &str) -> Option<f64> {
    let decimals = text.split_once('.').map_or(0, |(_, d)| d.len());
    let digits = text.trim_start_matches('-').replace('.', "");
    let plain = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
    (plain && decimals <= 10)
        .then(|| text.parse().ok())
        .flatten()
        .filter(|n: &f64| n.is_finite())
}

fn percent(text: &str) -> Option<f64> {
    number(text).filter(|p| (0.0..=100.0).contains(p))
}

/// A bound in values; empty is open.
fn value(text: &str) -> Option<Option<f64>> {
    if text.is_empty() { Some(None) } else { number(text).map(Some) }
}

/// `tm90`, `TM(10%:90%)`, `TM(150:1000)` and their kin, for one `trim`.
fn trimmed(trim: Trim, s: &str) -> Option<Statistic> {
    if let Some(upper) = s.strip_prefix(trim.name()) {
        let upper = percent(upper).filter(|p| *p > 0.0)?;
        return Some(Statistic::Trimmed(trim, Range::UpTo(upper)));
    }
    let bounds = s.strip_prefix(&trim.name().to_uppercase())?.strip_prefix('(')?.strip_suffix(')')?;
    let (lower, upper) = bounds.split_once(':')?;
    let in_percent = |b: &str| b.is_empty() || b.ends_with('%');
    let range = if in_percent(lower) && in_percent(upper) && (lower.ends_with('%') || upper.ends_with('%')) {
        let bound = |b: &str| {
            if b.is_empty() {
                Some(None)
            } else {
                percent(b.strip_suffix('%')?).map(Some)
            }
        };
        let (lower, upper) = (bound(lower)?, bound(upper)?);
        ordered(lower, upper).then_some(Range::Percent(lower, upper))?
    } else {
        let (lower, upper) = (value(lower)?, value(upper)?);
        ordered(lower, upper).then_some(Range::Values(lower, upper))?
    };
    Some(Statistic::Trimmed(trim, range))
}

impl fmt::Display for Statistic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bound = |b: &Option<f64>, unit: &str| b.map(|b| format!("{b}{unit}")).unwrap_or_default();
        match self {
            Self::SampleCount => f.write_str("SampleCount"),
            Self::Sum => f.write_str("Sum"),
            Self::Average => f.write_str("Average"),
            Self::Minimum => f.write_str("Minimum"),
            Self::Maximum => f.write_str("Maximum"),
            Self::Percentile(p) => write!(f, "p{p}"),
            Self::PercentileRank(l, u) => write!(f, "PR({}:{})", bound(l, ""), bound(u, "")),
            Self::Trimmed(_, Range::Interquartile) => f.write_str("IQM"),
            Self::Trimmed(trim, Range::UpTo(upper)) => write!(f, "{}{upper}", trim.name()),
            Self::Trimmed(trim, Range::Percent(l, u)) => {
                write!(f, "{}({}:{})", trim.name().to_uppercase(), bound(l, "%"), bound(u, "%"))
            }
            Self::Trimmed(trim, Range::Values(l, u)) => {
                write!(f, "{}({}:{})", trim.name().to_uppercase(), bound(l, ""), bound(u, ""))
            }
        }
    }
}

impl Serialize for Statistic {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Statistic {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Statistic::parse(&text).ok_or_else(|| serde::de::Error::custom(format!("unknown statistic `{text}`, expected {STATISTICS}")))
    }
}

#[cfg(test)]
mod tests;
