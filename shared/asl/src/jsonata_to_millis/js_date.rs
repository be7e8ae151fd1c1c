//! JavaScript's `Date` arithmetic as jsonata-js's `parseDateTime` uses it: `Date.UTC` and the
//! UTC parts of a time value. The proleptic Gregorian day counts are computed here rather than
//! with chrono, whose years end at ±262,143 where JavaScript's time values run to ±275,760.

pub(super) const DAY: f64 = 86_400_000.0;

/// What `now` (epoch milliseconds) gives a component jsonata-js defaults from it
/// (`getDateTimeFragment`). The am/pm marker it gives is a text, never 1; an ISO week's parts
/// are never read (a picture that names them fails).
pub(super) fn fragment(now: f64, component: char) -> f64 {
    let (year, month, date) = civil(now);
    let of_day = now.rem_euclid(DAY);
    let hours = (of_day / 3_600_000.0).floor();
    match component {
        'Y' => year,
        'M' => month + 1.0,
        'D' => date,
        'd' => ((now - of_day) - date_utc(year, 0.0, 1.0, 0.0)) / DAY + 1.0,
        'H' => hours,
        'h' => match hours % 12.0 {
            0.0 => 12.0,
            h => h,
        },
        'm' => (of_day / 60_000.0).floor() % 60.0,
        's' => (of_day / 1000.0).floor() % 60.0,
        'f' => of_day % 1000.0,
        _ => f64::NAN,
    }
}

/// JavaScript's `Date.UTC(year, month, date)` plus a time of day in milliseconds: a year from 0
/// to 99 is 1900 and that, a month or day past its end runs on into the next, and a time past
/// ±8.64e15 ms (or not finite) is NaN.
pub(super) fn date_utc(year: f64, month: f64, date: f64, time: f64) -> f64 {
    if ![year, month, date, time].iter().all(|v| v.is_finite()) {
        return f64::NAN;
    }
    let year = year.trunc();
    let year = if (0.0..=99.0).contains(&year) { 1900.0 + year } else { year };
    let (month, date) = (month.trunc(), date.trunc());
    let whole_year = year + (month / 12.0).floor();
    // Past any year a time value reaches: TimeClip's NaN, reached without overflow.
    if whole_year.abs() > 400_000.0 {
        return f64::NAN;
    }
    let days = days_from_civil(whole_year as i64, month.rem_euclid(12.0) as i64 + 1) as f64 + date - 1.0;
    let t = days * DAY + time;
    if !t.is_finite() || t.abs() > 8.64e15 {
        f64::NAN
    } else {
        t.trunc() + 0.0
    }
}

/// Days from 1970-01-01 to the first of `month` (1–12) of `year` (proleptic Gregorian).
fn days_from_civil(year: i64, month: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let of_era = year - era * 400;
    let of_year = (153 * ((month + 9) % 12) + 2) / 5;
    let of_era_days = of_era * 365 + of_era / 4 - of_era / 100 + of_year;
    era * 146_097 + of_era_days - 719_468
}

/// The UTC year, month (0–11) and day of the month of a time value; NaN for NaN.
pub(super) fn civil(t: f64) -> (f64, f64, f64) {
    if !t.is_finite() {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    let days = (t / DAY).floor() as i64 + 719_468;
    let era = days.div_euclid(146_097);
    let of_era = days - era * 146_097;
    let year_of_era = (of_era - of_era / 1460 + of_era / 36_524 - of_era / 146_096) / 365;
    let of_year = of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted = (5 * of_year + 2) / 153;
    let date = of_year - (153 * shifted + 2) / 5 + 1;
    let month = if shifted < 10 { shifted + 3 } else { shifted - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year as f64, (month - 1) as f64, date as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `Date.UTC`: the years 0 to 99 are the 1900s; months and days run on; NaN past ±8.64e15 ms.
    #[test]
    fn a_date_is_made_as_javascripts_date_utc_makes_it() {
        assert_eq!(date_utc(2024.0, 2.0, 15.0, 0.0), 1_710_460_800_000.0);
        assert_eq!(date_utc(24.0, 2.0, 15.0, 0.0), -1_445_299_200_000.0);
        assert_eq!(date_utc(100.0, 0.0, 1.0, 0.0), -59_011_459_200_000.0);
        assert_eq!(date_utc(2023.0, 12.0, 45.0, 0.0), 1_707_868_800_000.0);
        assert_eq!(date_utc(2024.0, -1.0, 0.0, 0.0), date_utc(2023.0, 10.0, 30.0, 0.0));
        assert!(date_utc(275_761.0, 0.0, 1.0, 0.0).is_nan());
        assert!(date_utc(f64::NAN, 0.0, 1.0, 0.0).is_nan());
        // A year from 100 on reads back as the day it is in.
        for t in [0.0, -1.0, 951_782_400_000.0, -59_011_372_800_000.0, 8.64e15, -8.64e15] {
            let (y, m, d) = civil(t);
            assert_eq!(date_utc(y, m, d, 0.0), (t / DAY).floor() * DAY, "{t}");
        }
    }
}
