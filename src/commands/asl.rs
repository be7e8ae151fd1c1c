//! `baton asl`: the interpreter as a tool of its own, like Step Functions Local.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use baton_asl::log_record::LogRecord;
use baton_asl::mock::{MockConfig, NoTasks};
use baton_asl::{
    DefinitionError, ExecutionSpec, ExecutionStatus, Interpreter, MemorySink, StateMachine, StatesError, TaskInvoker, TaskTokens, Workflow,
};
use baton_core::spec::error::Reporter;
use baton_core::spec::{self, Pos, SpecError};
use serde_json::{Value, json};

use crate::cli::{AslCommand, MachineType};
use crate::out::println;
use crate::{Usage, style};

pub(crate) async fn run(command: AslCommand) -> anyhow::Result<u8> {
    match command {
        AslCommand::Validate {
            definition,
            substitute,
            json,
            machine_type,
        } => validate(&definition, &substitute, json, &workflow(machine_type)),
        AslCommand::Run {
            definition,
            substitute,
            input,
            history,
            mock_config,
            test_case,
            state_machine,
            fast_time,
            s3_dir,
            machine_type,
        } => {
            let args = RunArgs {
                definition,
                substitute,
                input,
                history,
                mock_config,
                test_case,
                state_machine,
                fast_time,
                s3_dir,
                workflow: workflow(machine_type),
            };
            // A run with virtual time needs a runtime of its own with paused time; a blocking
            // thread is where one may be started.
            tokio::task::spawn_blocking(move || execute(args))
                .await
                .context("the interpreter thread failed")?
        }
    }
}

/// The kind of state machine to validate and run as; an Express execution's ARN ends with an
/// id of its own.
fn workflow(machine_type: MachineType) -> Workflow {
    match machine_type {
        MachineType::Standard => Workflow::Standard,
        MachineType::Express => Workflow::Express {
            id: uuid::Uuid::new_v4().to_string(),
        },
    }
}

/// A file's text; one that is not UTF-8 (or too large) is refused with its location.
fn read(path: &Path) -> anyhow::Result<String> {
    spec::read_text(path).map_err(|e| anyhow::Error::new(Usage(e.to_string())))
}

/// A definition, or every problem in it at its line and column.
pub(crate) fn load(path: &Path, text: &str, workflow: &Workflow) -> Result<StateMachine, SpecError> {
    StateMachine::from_json_for(text, workflow).map_err(|e| located(path, text, &e))
}

/// A definition error as file:line:column diagnostics, each with its source line.
fn located(path: &Path, text: &str, e: &DefinitionError) -> SpecError {
    let diagnostics = match e {
        DefinitionError::Json { line, column, message, .. } => {
            let mut report = Reporter::new(path, text);
            report.error(at_line_column((*line, *column)), format!("INVALID_JSON_DESCRIPTION: {message}"));
            report.into_diagnostics()
        }
        DefinitionError::Invalid(problems) => placed(path, text, problems),
        DefinitionError::TooLong { length } => {
            let mut report = Reporter::new(path, text);
            report.error(at_line_column((1, 1)), format!("{e} (this one is {length} characters)"));
            report.into_diagnostics()
        }
    };
    SpecError { diagnostics }
}

/// Step Functions' diagnostics at the line and column their JSON pointer names.
fn placed(path: &Path, text: &str, problems: &[baton_asl::Diagnostic]) -> Vec<spec::Diagnostic> {
    let mut report = Reporter::new(path, text);
    for d in problems {
        let at = baton_asl::pointer::position(text, &d.location).unwrap_or((1, 1));
        let place = match d.location.as_str() {
            "" => "the whole state machine",
            "/" => "the top level",
            location => location,
        };
        report.error(at_line_column(at), format!("{}: {} (at {place})", d.code, d.message));
    }
    report.into_diagnostics()
}

fn at_line_column((line, column): (usize, usize)) -> Pos {
    Pos {
        line: u32::try_from(line).unwrap_or(u32::MAX),
        column: u32::try_from(column).unwrap_or(u32::MAX),
    }
}

/// ValidateStateMachineDefinition's response: each diagnostic with its severity.
fn response(result: &str, errors: &[baton_asl::Diagnostic], warnings: &[baton_asl::Diagnostic]) -> anyhow::Result<Value> {
    let mut diagnostics = Vec::new();
    for (severity, list) in [("ERROR", errors), ("WARNING", warnings)] {
        for d in list {
            let mut entry = serde_json::to_value(d)?;
            entry["severity"] = json!(severity);
            diagnostics.push(entry);
        }
    }
    Ok(json!({"result": result, "diagnostics": diagnostics}))
}

fn validate(definition: &Path, substitutions: &[String], json_out: bool, workflow: &Workflow) -> anyhow::Result<u8> {
    let text = read(definition)?;
    let deployed = substituted(&text, substitutions)?;
    // What AWS warns about but runs: a path left without its `.$`, a path in a Pass Result.
    let warnings = serde_json::from_str(&deployed).map_or_else(|_| Vec::new(), |v| baton_asl::validate::warnings(&v));
    match StateMachine::from_json_for(&deployed, workflow) {
        Ok(_) => {
            if json_out {
                println!("{}", response("OK", &[], &warnings)?);
            } else {
                for w in placed(definition, &text, &warnings) {
                    eprintln!("{}warning{}: {w}", style::WARN.render(), style::WARN.render_reset());
                }
                println!("ok {}", definition.display());
            }
            Ok(0)
        }
        Err(e) => {
            if json_out {
                let errors = match &e {
                    DefinitionError::Invalid(d) => d.clone(),
                    // AWS answers the request with an error, not a diagnostic; said as one here.
                    DefinitionError::TooLong { .. } => vec![baton_asl::Diagnostic {
                        code: "ValidationException",
                        message: e.to_string(),
                        location: String::new(),
                    }],
                    // As AWS answers: Jackson's message and where it stopped reading.
                    DefinitionError::Json { message, location, .. } => vec![baton_asl::Diagnostic {
                        code: "INVALID_JSON_DESCRIPTION",
                        message: format!("{message}\n at {location}"),
                        location: location.clone(),
                    }],
                };
                println!("{}", response("FAIL", &errors, &warnings)?);
                Ok(2)
            } else {
                Err(refused(definition, &text, &deployed, &e))
            }
        }
    }
}

/// A refused definition as a usage error: every problem at its line and column in the file as
/// written (a substitution keeps its structure), and a hint where it is refused for a `${NAME}`
/// placeholder left in it.
fn refused(definition: &Path, text: &str, deployed: &str, e: &DefinitionError) -> anyhow::Error {
    let mut report = located(definition, text, e).to_string();
    if let Some(name) = placeholder_refused(deployed, e) {
        report.push_str(&format!(
            "\nhint: ${{{name}}} is a placeholder SAM's DefinitionSubstitutions replace at deploy; \
             give it as deployed with --substitute {name}=VALUE"
        ));
    }
    anyhow::Error::new(Usage(report))
}

/// `text` with each `${NAME}` of `NAME=VALUE` replaced by VALUE.
fn substituted(text: &str, substitutions: &[String]) -> anyhow::Result<String> {
    let mut out = text.to_string();
    for pair in substitutions {
        let (name, value) = pair
            .split_once('=')
            .filter(|(name, _)| !name.is_empty())
            .ok_or_else(|| anyhow::Error::new(Usage(format!("--substitute takes NAME=VALUE, got '{pair}'"))))?;
        // The value is JSON string content, as SAM writes it into the definition's text.
        let escaped = serde_json::to_string(value)?;
        out = out.replace(&format!("${{{name}}}"), &escaped[1..escaped.len() - 1]);
    }
    Ok(out)
}

/// The `${NAME}` placeholder a definition is refused for: one in the first Resource refused for
/// not being an ARN, or one where a number stands (`"MaxConcurrency": ${MaxConcurrency}`), which
/// is no JSON until it is substituted.
fn placeholder_refused(deployed: &str, e: &DefinitionError) -> Option<String> {
    match e {
        DefinitionError::Invalid(problems) => {
            let doc: Value = serde_json::from_str(deployed).ok()?;
            problems
                .iter()
                .filter(|d| d.message == baton_asl::validate::RESOURCE_NOT_AN_ARN)
                .find_map(|d| placeholder(doc.pointer(&d.location)?.as_str()?))
        }
        DefinitionError::Json { line, column, .. } => {
            let at: String = deployed
                .lines()
                .nth(line.checked_sub(1)?)?
                .chars()
                .skip(column.checked_sub(1)?)
                .collect();
            at.starts_with("${").then(|| placeholder(&at)).flatten()
        }
        DefinitionError::TooLong { .. } => None,
    }
}

/// The first `${NAME}` placeholder in a text.
fn placeholder(text: &str) -> Option<String> {
    let start = text.find("${")? + 2;
    let len = text[start..].find('}')?;
    let name = &text[start..start + len];
    name.chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ':' | '.'))
        .then(|| name.to_string())
}

struct RunArgs {
    definition: PathBuf,
    substitute: Vec<String>,
    input: Option<String>,
    history: bool,
    mock_config: Option<PathBuf>,
    test_case: Option<String>,
    state_machine: Option<String>,
    fast_time: bool,
    s3_dir: Option<PathBuf>,
    workflow: Workflow,
}

fn execute(args: RunArgs) -> anyhow::Result<u8> {
    let text = read(&args.definition)?;
    let deployed = substituted(&text, &args.substitute)?;
    let machine = StateMachine::from_json_for(&deployed, &args.workflow).map_err(|e| refused(&args.definition, &text, &deployed, &e))?;
    // The input's text is kept as written: Step Functions shows it so (ExecutionSpec::input_text).
    let (input, input_text): (Value, Option<Arc<str>>) = match args.input.as_deref() {
        None => (json!({}), None),
        Some(text) => match text.strip_prefix('@') {
            Some(file) => {
                let (text, value) = crate::json_input::read(Path::new(file))?;
                (value, Some(Arc::from(text)))
            }
            None => (crate::json_input::parse(Path::new("--input"), text)?, Some(Arc::from(text))),
        },
    };
    let name = args.state_machine.clone().unwrap_or_else(|| {
        let stem = args
            .definition
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        stem.trim_end_matches(".asl").to_string()
    });
    let tokens = TaskTokens::default();
    let invoker: Arc<dyn TaskInvoker> = match (&args.mock_config, &args.test_case) {
        (Some(file), Some(case)) => {
            let (text, _) = crate::json_input::read(file)?;
            let config = crate::json_input::parse_as::<MockConfig>(file, &text)?.checked()?;
            let machine_name = args
                .state_machine
                .as_deref()
                .or((config.state_machines.len() > 1).then_some(name.as_str()));
            Arc::new(config.invoker(machine_name, case, tokens.clone())?)
        }
        _ => Arc::new(NoTasks),
    };
    let mut builder = if args.fast_time {
        tokio::runtime::Builder::new_current_thread()
    } else {
        tokio::runtime::Builder::new_multi_thread()
    };
    builder.enable_all();
    if args.fast_time {
        builder.start_paused(true);
    }
    let runtime = builder.build().context("starting the interpreter's runtime")?;
    let sink = Arc::new(MemorySink::default());
    let spec = ExecutionSpec {
        state_machine_arn: baton_local::runtime::machine_arn(&name),
        execution_name: uuid_like(),
        input,
        input_text,
        workflow: args.workflow,
    };
    let mut interpreter = Interpreter::with_tokens(invoker, sink.clone(), tokens);
    if let Some(dir) = &args.s3_dir {
        if !dir.is_dir() {
            return Err(anyhow::Error::new(Usage(format!("--s3-dir {}: not a directory", dir.display()))));
        }
        interpreter = interpreter.with_objects(Arc::new(baton_local::objects::DirObjects::new(dir)));
    }
    let outcome = runtime.block_on(crate::progress::during(
        format!("running {name}"),
        interpreter.execute(&machine, &spec),
    ));
    let (error, cause) = outcome.error.as_ref().map_or((None, None), StatesError::described);
    let mut doc = json!({
        "status": outcome.status,
        "output": outcome.output,
        "error": error,
        "cause": cause,
    });
    if args.history {
        let events = sink.events();
        doc["history"] = match (&spec.workflow, sink.execution_arn()) {
            // An Express execution's only history is its log group's.
            (Workflow::Express { .. }, Some(arn)) => events
                .iter()
                .map(|event| serde_json::to_value(LogRecord { event, execution_arn: arn }))
                .collect::<Result<_, _>>()?,
            _ => serde_json::to_value(events)?,
        };
        // A Distributed Map's children, each an execution with a history of its own.
        let children: Vec<Value> = sink
            .children()
            .into_iter()
            .map(|(arn, events)| Ok(json!({"executionArn": arn, "history": serde_json::to_value(events)?})))
            .collect::<Result<_, serde_json::Error>>()?;
        if !children.is_empty() {
            doc["childExecutions"] = Value::Array(children);
        }
    }
    println!("{}", serde_json::to_string_pretty(&doc)?);
    Ok(if outcome.status == ExecutionStatus::Succeeded { 0 } else { 1 })
}

fn uuid_like() -> String {
    format!(
        "{:x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    )
}
