//! Which commands act on a deployed pipeline, and which one `--stack` or `--state-machine` names.

use super::{Cli, Command};

impl Cli {
    /// The deployed pipeline `--stack` or `--state-machine` names, if either does.
    pub(crate) fn remote(&self) -> Option<crate::stack::Remote> {
        match (&self.stack, &self.state_machine) {
            (Some(name), _) => Some(crate::stack::Remote::Stack(name.clone())),
            (None, Some(arn)) => Some(crate::stack::Remote::StateMachine(arn.clone())),
            (None, None) => None,
        }
    }
}

impl Command {
    /// Whether the command acts on a deployed stack with `--stack` (the others read this
    /// machine's state only); the list in words is `stack_commands!`.
    pub(crate) fn takes_stack(&self) -> bool {
        matches!(
            self,
            Self::Run { .. }
                | Self::History { .. }
                | Self::Status { .. }
                | Self::Logs { .. }
                | Self::Replay { .. }
                | Self::Cost { .. }
                | Self::Metrics { .. }
                | Self::Approve { .. }
                | Self::Stop { .. }
                | Self::Retry { .. }
                | Self::Rollback { .. }
                | Self::StopDeployment { .. }
                | Self::Ui { .. }
        )
    }
}
