//! An execution's events as Step Functions writes them to CloudWatch Logs: the one history an
//! Express execution has, for `GetExecutionHistory` "is not supported by EXPRESS state machines"
//! (API reference). A record is `{id, type, details, previous_event_id, event_timestamp,
//! execution_arn, redrive_count}`: the event's details as `GetExecutionHistory` gives them (input
//! and output as escaped JSON text), `{}` for an event without, its numbers written as strings and
//! its time in milliseconds since the epoch (recorded on AWS in localstack/localstack,
//! tests/aws/services/stepfunctions/v2/logs/test_logs.snapshot.json, 2024-06-05, and
//! express/test_express_async.snapshot.json, an Express execution's, 2024-07-03; AWS's records
//! quoted in linz/geostore#2300, `"event_timestamp": "1668385713883"`, 2022-11-14). The data is
//! written, as a log group with `IncludeExecutionData` holds it.

use serde::Serialize;
use serde::ser::SerializeMap;
use serde_json::json;

use crate::history::HistoryEvent;

/// One event of the execution `execution_arn` as its log group records it.
#[derive(Debug)]
pub struct LogRecord<'a> {
    pub event: &'a HistoryEvent,
    pub execution_arn: &'a str,
}

impl Serialize for LogRecord<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let event = self.event;
        // An event time is written by the interpreter, so it always parses; 0 marks one that does not.
        let millis = crate::timestamp::offset_date_time(&event.timestamp).map_or(0, |t| t.timestamp_millis());
        let mut m = s.serialize_map(Some(7))?;
        m.serialize_entry("id", &event.id.to_string())?;
        m.serialize_entry("type", &event.kind)?;
        match &event.details {
            Some(details) => m.serialize_entry("details", details)?,
            None => m.serialize_entry("details", &json!({}))?,
        }
        m.serialize_entry("previous_event_id", &event.previous_event_id.to_string())?;
        m.serialize_entry("event_timestamp", &millis.to_string())?;
        m.serialize_entry("execution_arn", self.execution_arn)?;
        // An execution that is run is not redriven: AWS logs "0" (Standard and an Express one
        // StartExecution starts alike).
        m.serialize_entry("redrive_count", "0")?;
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;

    use super::LogRecord;
    use crate::history::HistoryEvent;

    fn event(text: serde_json::Value) -> HistoryEvent {
        serde_json::from_value(text).expect("an event")
    }

    /// The recorded shapes: an event with details and one without, numbers as strings.
    #[test]
    fn an_event_is_logged_as_aws_logs_it() {
        let arn = "arn:aws:states:us-east-1:111111111111:express:m:e:0f0e";
        let failed = event(json!({"id": 5, "previousEventId": 4, "timestamp": "2022-11-14T00:28:37.164Z",
            "type": "LambdaFunctionFailed", "lambdaFunctionFailedEventDetails": {"error": "E", "cause": "c"}}));
        let record = serde_json::to_value(LogRecord {
            event: &failed,
            execution_arn: arn,
        })
        .unwrap();
        assert_eq!(
            record,
            json!({"id": "5", "type": "LambdaFunctionFailed", "details": {"error": "E", "cause": "c"},
                   "previous_event_id": "4", "event_timestamp": "1668385717164", "execution_arn": arn, "redrive_count": "0"})
        );
        let started = HistoryEvent {
            id: 4,
            previous_event_id: 3,
            timestamp: Arc::from("2022-11-14T00:28:33.883Z"),
            kind: "LambdaFunctionStarted".into(),
            details: None,
        };
        let record = serde_json::to_value(LogRecord {
            event: &started,
            execution_arn: arn,
        })
        .unwrap();
        assert_eq!(record["details"], json!({}));
        assert_eq!(record["event_timestamp"], "1668385713883");
        let keys: Vec<&String> = record.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "id",
                "type",
                "details",
                "previous_event_id",
                "event_timestamp",
                "execution_arn",
                "redrive_count"
            ]
        );
    }
}
