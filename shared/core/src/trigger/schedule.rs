//! EventBridge schedule expressions: `rate(value unit)` and the six-field
//! `cron(Minutes Hours Day-of-month Month Day-of-week Year)`, always in UTC, with EventBridge's
//! wildcards (`, - * / ?`, `L` and `W` in day-of-month, `L` and `#` in day-of-week). The same
//! text goes into the SAM template's schedule, so what runs locally is what runs on AWS.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Timelike, Utc, Weekday};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ScheduleError(String);

fn err<T>(message: impl Into<String>) -> Result<T, ScheduleError> {
    Err(ScheduleError(message.into()))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Schedule {
    /// Every `every`, counted from when the schedule starts (as EventBridge counts from the
    /// rule's creation).
    Rate {
        every: Duration,
    },
    Cron(Box<Cron>),
}

/// A parsed cron expression: the allowed values of each field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    minutes: Vec<bool>,
    hours: Vec<bool>,
    months: Vec<bool>,
    years: Vec<bool>,
    days: Days,
}

/// Day-of-month and day-of-week: EventBridge takes one of them, the other is `?`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Days {
    OfMonth(Vec<bool>),
    LastOfMonth,
    NearestWeekday(u32),
    /// 1 = Sunday … 7 = Saturday.
    OfWeek(Vec<bool>),
    /// `5L`: the last Thursday of the month.
    LastWeekdayOfMonth(u32),
    /// `3#2`: the second Tuesday of the month.
    NthWeekdayOfMonth(u32, u32),
}

const FIRST_YEAR: u32 = 1970;
const LAST_YEAR: u32 = 2199;
const MONTHS: [&str; 12] = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const WEEKDAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

impl Schedule {
    pub fn parse(text: &str) -> Result<Self, ScheduleError> {
        let text = text.trim();
        if let Some(inner) = text.strip_prefix("rate(").and_then(|t| t.strip_suffix(')')) {
            return parse_rate(inner);
        }
        if let Some(inner) = text.strip_prefix("cron(").and_then(|t| t.strip_suffix(')')) {
            return Cron::parse(inner).map(|c| Self::Cron(Box::new(c)));
        }
        err(format!(
            "`{text}` is not a schedule expression: write `rate(5 minutes)` or `cron(0 3 * * ? *)` (EventBridge syntax, UTC)"
        ))
    }

    /// The first time the schedule fires after `after`; `started` is when a rate began counting.
    pub fn next_after(&self, after: DateTime<Utc>, started: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            Self::Rate { every } => {
                let elapsed = (after - started).num_seconds().max(0);
                let step = every.num_seconds().max(60);
                Some(started + Duration::seconds((elapsed / step + 1) * step))
            }
            Self::Cron(c) => c.next_after(after),
        }
    }
}

fn parse_rate(inner: &str) -> Result<Schedule, ScheduleError> {
    let usage = "a rate is `rate(value unit)`: a positive whole number and minute(s), hour(s) or day(s)";
    let mut parts = inner.split_whitespace();
    let (Some(value), Some(unit), None) = (parts.next(), parts.next(), parts.next()) else {
        return err(usage);
    };
    let Ok(value) = value.parse::<i64>() else { return err(usage) };
    if value < 1 {
        return err(usage);
    }
    let (singular, seconds) = match unit.trim_end_matches('s') {
        "minute" => ("minute", 60),
        "hour" => ("hour", 3600),
        "day" => ("day", 86_400),
        _ => return err(usage),
    };
    // EventBridge's own rule: `rate(1 minute)` but `rate(5 minutes)`.
    let plural = unit.ends_with('s');
    if (value == 1) == plural {
        let want = if value == 1 { singular.to_string() } else { format!("{singular}s") };
        return err(format!("EventBridge writes this rate as `rate({value} {want})`"));
    }
    Ok(Schedule::Rate {
        every: Duration::seconds(value * seconds),
    })
}

impl Cron {
    fn parse(inner: &str) -> Result<Self, ScheduleError> {
        let fields: Vec<&str> = inner.split_whitespace().collect();
        let [minute, hour, dom, month, dow, year] = fields.as_slice() else {
            return err(format!(
                "a cron expression has six fields (Minutes Hours Day-of-month Month Day-of-week Year), this one has {}",
                fields.len()
            ));
        };
        let days = match (*dom, *dow) {
            ("?", "?") => return err("only one of Day-of-month and Day-of-week can be `?`"),
            ("?", dow) => parse_dow(dow)?,
            (dom, "?") => parse_dom(dom)?,
            _ => return err("Day-of-month and Day-of-week cannot both be given: write `?` in one of them"),
        };
        Ok(Self {
            minutes: values("Minutes", minute, 0, 59, &[])?,
            hours: values("Hours", hour, 0, 23, &[])?,
            months: values("Month", month, 1, 12, &MONTHS)?,
            years: values("Year", year, FIRST_YEAR, LAST_YEAR, &[])?,
            days,
        })
    }

    fn day_matches(&self, date: NaiveDate) -> bool {
        let last = last_day_of_month(date.year(), date.month());
        let dow = date.weekday().number_from_sunday();
        match &self.days {
            Days::OfMonth(set) => set[date.day() as usize],
            Days::LastOfMonth => date.day() == last,
            Days::NearestWeekday(n) => date.day() == nearest_weekday(date.year(), date.month(), *n),
            Days::OfWeek(set) => set[dow as usize],
            Days::LastWeekdayOfMonth(d) => dow == *d && date.day() + 7 > last,
            Days::NthWeekdayOfMonth(d, nth) => dow == *d && (date.day() - 1) / 7 + 1 == *nth,
        }
    }

    fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let from = after + Duration::minutes(1);
        let mut date = from.date_naive();
        let mut first_day = true;
        while date.year() <= LAST_YEAR as i32 {
            let year_ok = u32::try_from(date.year()).is_ok_and(|y| y >= FIRST_YEAR && self.years[y as usize]);
            if year_ok && self.months[date.month() as usize] && self.day_matches(date) {
                let (h0, m0) = if first_day { (from.hour(), from.minute()) } else { (0, 0) };
                for h in h0..24 {
                    if !self.hours[h as usize] {
                        continue;
                    }
                    let start = if h == h0 { m0 } else { 0 };
                    if let Some(m) = (start..60).find(|m| self.minutes[*m as usize]) {
                        return Utc.with_ymd_and_hms(date.year(), date.month(), date.day(), h, m, 0).single();
                    }
                }
            }
            first_day = false;
            date = date.succ_opt()?;
        }
        None
    }
}

fn last_day_of_month(year: i32, month: u32) -> u32 {
    let (y, m) = if month == 12 { (year + 1, 1) } else { (year, month + 1) };
    NaiveDate::from_ymd_opt(y, m, 1).and_then(|d| d.pred_opt()).map_or(28, |d| d.day())
}

/// `nW`: the weekday closest to day `n`, without leaving the month.
fn nearest_weekday(year: i32, month: u32, n: u32) -> u32 {
    let last = last_day_of_month(year, month);
    let n = n.min(last);
    let Some(date) = NaiveDate::from_ymd_opt(year, month, n) else {
        return n;
    };
    match date.weekday() {
        Weekday::Sat if n == 1 => 3,
        Weekday::Sat => n - 1,
        Weekday::Sun if n == last => n - 2,
        Weekday::Sun => n + 1,
        _ => n,
    }
}

fn parse_dom(text: &str) -> Result<Days, ScheduleError> {
    if text == "L" {
        return Ok(Days::LastOfMonth);
    }
    if let Some(n) = text.strip_suffix('W') {
        return match n.parse::<u32>() {
            Ok(n) if (1..=31).contains(&n) => Ok(Days::NearestWeekday(n)),
            _ => err(format!("Day-of-month `{text}`: `W` follows one day number, as in `15W`")),
        };
    }
    values("Day-of-month", text, 1, 31, &[]).map(Days::OfMonth)
}

fn parse_dow(text: &str) -> Result<Days, ScheduleError> {
    let day = |t: &str| -> Result<u32, ScheduleError> {
        number(t, 1, 7, &WEEKDAYS).ok_or_else(|| ScheduleError(format!("Day-of-week `{t}` is not 1-7 or SUN-SAT")))
    };
    if text == "L" {
        return Ok(Days::OfWeek((0..=7).map(|d| d == 7).collect()));
    }
    if let Some((d, nth)) = text.split_once('#') {
        let nth = match nth.parse::<u32>() {
            Ok(n) if (1..=5).contains(&n) => n,
            _ => return err(format!("Day-of-week `{text}`: after `#` comes the week of the month, 1-5")),
        };
        return Ok(Days::NthWeekdayOfMonth(day(d)?, nth));
    }
    if let Some(d) = text.strip_suffix('L') {
        return Ok(Days::LastWeekdayOfMonth(day(d)?));
    }
    values("Day-of-week", text, 1, 7, &WEEKDAYS).map(Days::OfWeek)
}

/// One field's `, - * /` syntax as a membership table indexed by value.
fn values(field: &str, text: &str, lo: u32, hi: u32, names: &[&str]) -> Result<Vec<bool>, ScheduleError> {
    let mut set = vec![false; hi as usize + 1];
    for part in text.split(',') {
        let bad = || {
            ScheduleError(format!(
                "{field} `{part}`: expected values {lo}-{hi}, `*`, ranges `a-b`, steps `a/n` or lists `a,b`"
            ))
        };
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (r, s.parse::<u32>().ok().filter(|s| *s > 0).ok_or_else(bad)?),
            None => (part, 1),
        };
        let (from, to) = match range {
            "*" => (lo, hi),
            r => match r.split_once('-') {
                Some((a, b)) => (number(a, lo, hi, names).ok_or_else(bad)?, number(b, lo, hi, names).ok_or_else(bad)?),
                // `a/n` runs from a to the end of the field.
                None if part.contains('/') => (number(r, lo, hi, names).ok_or_else(bad)?, hi),
                None => {
                    let v = number(r, lo, hi, names).ok_or_else(bad)?;
                    (v, v)
                }
            },
        };
        if from > to {
            return Err(bad());
        }
        for v in (from..=to).step_by(step as usize) {
            set[v as usize] = true;
        }
    }
    Ok(set)
}

fn number(text: &str, lo: u32, hi: u32, names: &[&str]) -> Option<u32> {
    let upper = text.to_ascii_uppercase();
    let v = match names.iter().position(|n| *n == upper) {
        Some(i) => u32::try_from(i).ok()? + lo,
        None => text.parse().ok()?,
    };
    (lo..=hi).contains(&v).then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).expect("time").with_timezone(&Utc)
    }

    fn next(expr: &str, after: &str) -> String {
        Schedule::parse(expr)
            .expect("parses")
            .next_after(at(after), at(after))
            .expect("fires")
            .to_rfc3339()
    }

    #[test]
    fn the_eventbridge_documentation_examples_fire_when_it_says() {
        // "Run at 10:15 am (UTC+0) every day"
        assert_eq!(next("cron(15 10 * * ? *)", "2026-12-01T11:00:00Z"), "2026-12-02T10:15:00+00:00");
        // "Run at 6:00 pm (UTC+0) every Monday through Friday"
        assert_eq!(
            next("cron(0 18 ? * MON-FRI *)", "2026-12-04T18:00:00Z"),
            "2026-12-07T18:00:00+00:00"
        );
        // "Run at 8:00 am (UTC+0) every first day of the month"
        assert_eq!(next("cron(0 8 1 * ? *)", "2026-12-01T09:00:00Z"), "2027-01-01T08:00:00+00:00");
        // "Run every 10 min on weekdays"
        assert_eq!(
            next("cron(0/10 * ? * MON-FRI *)", "2026-12-05T12:00:00Z"),
            "2026-12-07T00:00:00+00:00"
        );
        // "Run every 5 minutes between 8:00 am and 5:55 pm (UTC+0) weekdays"
        assert_eq!(
            next("cron(0/5 8-17 ? * MON-FRI *)", "2026-12-01T17:56:00Z"),
            "2026-12-02T08:00:00+00:00"
        );
        // "Run at 9 a.m. (UTC) the first Monday of each month"
        assert_eq!(next("cron(0 9 ? * 2#1 *)", "2026-12-01T00:00:00Z"), "2026-12-07T09:00:00+00:00");
    }

    #[test]
    fn last_days_and_nearest_weekdays() {
        assert_eq!(next("cron(0 0 L * ? *)", "2027-02-01T00:00:00Z"), "2027-02-28T00:00:00+00:00");
        assert_eq!(next("cron(0 0 L * ? *)", "2028-02-01T00:00:00Z"), "2028-02-29T00:00:00+00:00");
        // 2026-08-01 is a Saturday: 1W moves forward to Monday the 3rd.
        assert_eq!(next("cron(0 0 1W * ? *)", "2026-07-15T00:00:00Z"), "2026-08-03T00:00:00+00:00");
        // The last Friday of December 2026 is the 25th.
        assert_eq!(next("cron(0 0 ? 12 6L *)", "2026-12-01T00:00:00Z"), "2026-12-25T00:00:00+00:00");
    }

    #[test]
    fn rates_count_from_the_start() {
        let s = Schedule::parse("rate(5 minutes)").expect("parses");
        let start = at("2026-12-01T00:00:00Z");
        assert_eq!(s.next_after(at("2026-12-01T00:07:00Z"), start), Some(at("2026-12-01T00:10:00Z")));
        assert_eq!(s.next_after(start, start), Some(at("2026-12-01T00:05:00Z")));
    }

    #[test]
    fn mistakes_are_explained() {
        for (expr, says) in [
            ("rate(1 minutes)", "rate(1 minute)"),
            ("rate(0 days)", "positive whole number"),
            ("cron(0 3 * * *)", "six fields"),
            ("cron(0 3 * * MON *)", "cannot both be given"),
            ("cron(61 3 * * ? *)", "Minutes `61`"),
            ("cron(0 3 ? * 8 *)", "Day-of-week `8`"),
            ("every day", "not a schedule expression"),
        ] {
            let e = Schedule::parse(expr).expect_err(expr).to_string();
            assert!(e.contains(says), "{expr}: {e}");
        }
    }
}
