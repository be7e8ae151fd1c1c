//! Timestamps as the Choice and Wait states read them (ASL spec, "Timestamps": the RFC 3339
//! profile of ISO 8601 with a `T` between the date and the time, and a zone): ISO 8601's
//! extended offset date-time. RFC 3339 also allows a space for the `T`, which AWS refuses, at
//! CreateStateMachine for a Wait's `Timestamp` ("String does not match RFC3339 timestamp") and
//! at run time for a `TimestampPath`'s value (both recorded in localstack/localstack,
//! tests/aws/services/stepfunctions/v2/scenarios/test_base_scenarios.snapshot.json,
//! test_wait_timestamp_invalid[NO_T] and test_wait_timestamp_path[NO_T], 2024-12-27).

use chrono::{DateTime, FixedOffset};

/// The instant `text` names, when it is an offset date-time AWS accepts.
pub(crate) fn offset_date_time(text: &str) -> Option<DateTime<FixedOffset>> {
    let t_separated = text.as_bytes().get(10).is_some_and(|b| b.eq_ignore_ascii_case(&b'T'));
    t_separated.then(|| DateTime::parse_from_rfc3339(text).ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::offset_date_time;

    #[test]
    fn a_zone_and_a_t_are_needed_and_digits_of_a_second_may_be_many() {
        for accepted in [
            "2016-12-05T21:29:29Z",
            "2016-12-05t21:29:29+01:00",
            "2016-12-05T21:29:29.123456789Z",
        ] {
            assert!(offset_date_time(accepted).is_some(), "{accepted}");
        }
        for refused in [
            "2016-12-05 21:29:29Z",
            "2016-12-05T21:29:29",
            "2016-13-05T21:29:29Z",
            "2016-12-05T25:29:29Z",
            "05-12-2016T21:29:29Z",
            "{% '2016-12-05T21:29:29Z' %}",
        ] {
            assert!(offset_date_time(refused).is_none(), "{refused}");
        }
    }
}
