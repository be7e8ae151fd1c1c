//! The stop requests of one running execution: from `baton stop` through its inbox, and from the
//! runtime's own stop switch (Ctrl-C in `baton run`), as the interpreter takes them.

use baton_asl::{StatesError, StopRequest};
use baton_core::stages::error_types;
use tokio::sync::{mpsc, oneshot, watch};

use crate::coordination::inbox;

pub(crate) struct Stops {
    inbox: mpsc::UnboundedReceiver<inbox::RemoteStop>,
    switch: watch::Receiver<Option<String>>,
    /// The switch is thrown once; after that it has nothing more to say.
    switched: bool,
    /// Who asked, answered once the execution has ended.
    answers: Vec<oneshot::Sender<String>>,
}

impl Stops {
    pub(crate) fn new(inbox: mpsc::UnboundedReceiver<inbox::RemoteStop>, switch: watch::Receiver<Option<String>>) -> Self {
        Self {
            inbox,
            switch,
            switched: false,
            answers: Vec::new(),
        }
    }

    /// The next request; pending while there is none.
    pub(crate) async fn next(&mut self) -> StopRequest {
        let (cause, abandon) = tokio::select! {
            Some(request) = self.inbox.recv() => {
                self.answers.push(request.answer);
                (request.cause, request.abandon)
            }
            cause = thrown(&mut self.switch), if !self.switched => {
                self.switched = true;
                (cause, true)
            }
            else => std::future::pending().await,
        };
        StopRequest {
            error: StatesError::new(error_types::STOPPED, cause),
            abandon,
        }
    }

    /// Tells everyone who asked (including requests that came too late to matter) how the
    /// execution ended.
    pub(crate) fn answer(mut self, status: &str) {
        while let Ok(request) = self.inbox.try_recv() {
            self.answers.push(request.answer);
        }
        for answer in self.answers {
            let _ = answer.send(status.to_string());
        }
    }
}

/// The switch's cause, once it is thrown.
async fn thrown(switch: &mut watch::Receiver<Option<String>>) -> String {
    // The guard `wait_for` hands out must be gone before anything else is awaited.
    let cause = switch
        .wait_for(Option::is_some)
        .await
        .ok()
        .map(|c| (*c).clone().unwrap_or_default());
    match cause {
        Some(cause) => cause,
        None => std::future::pending().await,
    }
}
