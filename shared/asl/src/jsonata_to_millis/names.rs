//! Month, day and am/pm names as jsonata-js 2.0.6 reads them in a timestamp.

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

/// The number of a month's (`M`, `x`), a day's (`F`) or am/pm's name as the timestamp writes it,
/// which must be written as jsonata-js writes it (`January`, or `Jan` for a maximum width of 3;
/// `am` or `AM`); `None` for any other, `undefined` there.
pub(super) fn number(component: char, max_width: Option<f64>, text: &str) -> Option<f64> {
    // JavaScript's `substring(0, max)` of a name: a NaN width is 0 characters.
    let cut = |name: &str| -> String {
        match max_width {
            Some(max) => name.chars().take(if max.is_nan() { 0 } else { max.max(0.0) as usize }).collect(),
            None => name.to_string(),
        }
    };
    let names: &[&str] = match component {
        'M' | 'x' => &MONTHS,
        'F' => &DAYS,
        _ => {
            let markers = [("am", 0.0), ("AM", 0.0), ("pm", 1.0), ("PM", 1.0)];
            return markers.iter().find(|(n, _)| *n == text).map(|(_, v)| *v);
        }
    };
    // The last of the names that cut to the same text wins, as the later key of jsonata-js's lookup.
    names
        .iter()
        .enumerate()
        .filter(|(_, n)| cut(n) == text)
        .map(|(i, _)| (i + 1) as f64)
        .next_back()
}
