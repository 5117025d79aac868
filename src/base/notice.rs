//! A line for the log pane (a worker's warning, a demo schedule…), sent by any worker.

use std::time::Instant;

/// Something worth a line in the log pane.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub at: Instant,
    pub text: String,
}
