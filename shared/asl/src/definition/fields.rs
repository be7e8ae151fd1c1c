//! The fields each state type may have, per query language, as the States Language
//! specification lists them: any other field is a definition error.

const COMMON: &[&str] = &["Type", "Comment", "QueryLanguage"];
const IO: &[&str] = &["InputPath", "OutputPath"];
const NEXT: &[&str] = &["Next", "End"];
const RESULT: &[&str] = &["ResultSelector", "ResultPath", "Retry", "Catch", "Parameters"];

/// The fields each state type may carry in a query language.
pub fn allowed_fields(state_type: &str, jsonata: bool) -> Option<Vec<&'static str>> {
    let own: &[&str] = match state_type {
        "Task" => &[
            "Resource",
            "TimeoutSeconds",
            "TimeoutSecondsPath",
            "HeartbeatSeconds",
            "HeartbeatSecondsPath",
            "Credentials",
        ],
        "Pass" => &["Parameters", "Result", "ResultPath"],
        "Choice" => &["Choices", "Default"],
        "Wait" => &["Seconds", "SecondsPath", "Timestamp", "TimestampPath"],
        "Succeed" => &[],
        "Fail" => &["Error", "ErrorPath", "Cause", "CausePath"],
        "Parallel" => &["Branches"],
        "Map" => &[
            "ItemsPath",
            "ItemSelector",
            "Iterator",
            "ItemProcessor",
            "MaxConcurrency",
            "MaxConcurrencyPath",
            "Parameters",
            "ItemReader",
            "ItemBatcher",
            "ResultWriter",
            "ToleratedFailureCount",
            "ToleratedFailureCountPath",
            "ToleratedFailurePercentage",
            "ToleratedFailurePercentagePath",
            "Label",
        ],
        _ => return None,
    };
    let mut fields: Vec<&str> = COMMON.iter().chain(own).copied().collect();
    if !matches!(state_type, "Fail") {
        fields.extend(IO);
    }
    if !matches!(state_type, "Choice" | "Succeed" | "Fail") {
        fields.extend(NEXT);
    }
    if matches!(state_type, "Task" | "Parallel" | "Map") {
        fields.extend(RESULT);
    }
    if matches!(state_type, "Task" | "Parallel" | "Map" | "Pass" | "Choice" | "Wait") {
        fields.push("Assign");
    }
    if jsonata {
        // JSONata replaces the five JSONPath I/O fields with Arguments and Output.
        let jsonpath_only = [
            "InputPath",
            "OutputPath",
            "Parameters",
            "ResultSelector",
            "ResultPath",
            "ItemsPath",
            "SecondsPath",
            "TimestampPath",
            "ErrorPath",
            "CausePath",
            "TimeoutSecondsPath",
            "HeartbeatSecondsPath",
            "MaxConcurrencyPath",
            "ToleratedFailureCountPath",
            "ToleratedFailurePercentagePath",
            "Result",
            "Iterator",
        ];
        fields.retain(|f| !jsonpath_only.contains(f));
        if state_type != "Fail" {
            fields.push("Output");
        }
        if matches!(state_type, "Task" | "Parallel") {
            fields.push("Arguments");
        }
        if state_type == "Map" {
            fields.push("Items");
        }
    }
    Some(fields)
}
