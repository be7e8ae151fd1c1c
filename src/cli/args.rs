//! Arguments several commands share: the pipeline they act on, `--var NAME=VALUE`, and the kinds
//! of file `validate` reads.

use std::path::PathBuf;

use clap::Args;

/// The pipeline, for the commands that take nothing else: as the argument, or as `--pipeline`
/// like every other command takes it.
#[derive(Debug, Args, Clone)]
pub(crate) struct Project {
    /// The pipeline: a pipeline.yml, or a directory that holds one [default: .]
    #[arg(value_name = "PIPELINE", conflicts_with = "flag")]
    positional: Option<PathBuf>,
    /// The same, as every command takes it.
    #[arg(long = "pipeline", value_name = "PIPELINE")]
    flag: Option<PathBuf>,
}

impl Project {
    pub(crate) fn pipeline(&self) -> PathBuf {
        self.flag
            .clone()
            .or_else(|| self.positional.clone())
            .unwrap_or_else(|| PathBuf::from("."))
    }
}

/// `--pipeline`, for the commands whose argument names something else (an execution, a group).
#[derive(Debug, Args, Clone)]
pub(crate) struct PipelineFlag {
    /// The pipeline: a pipeline.yml, or a directory that holds one.
    #[arg(long = "pipeline", default_value = ".", value_name = "PIPELINE")]
    pub path: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum FileKind {
    Pipeline,
    Buildspec,
    Appspec,
    /// An Amazon States Language definition (JSON).
    StateMachine,
}

impl From<baton_core::spec::validate::SourceFileKind> for FileKind {
    fn from(kind: baton_core::spec::validate::SourceFileKind) -> Self {
        use baton_core::spec::validate::SourceFileKind;
        match kind {
            SourceFileKind::Buildspec => Self::Buildspec,
            SourceFileKind::Appspec => Self::Appspec,
        }
    }
}

/// A state machine's type, as CreateStateMachine takes it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
#[value(rename_all = "UPPER")]
pub(crate) enum MachineType {
    #[default]
    Standard,
    /// Request Response integrations only; each execution's ARN is `…:express:NAME:EXEC:ID`.
    Express,
}

/// `--var NAME=VALUE`.
pub(super) fn parse_var(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("`{s}` is not NAME=VALUE")),
    }
}
