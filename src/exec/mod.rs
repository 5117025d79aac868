//! Running commands across the fleet: the engine that turns `Command`s into SSH work
//! (`engine`, `worker`), with its parts — the connector seam (`connector`), circuit breaker
//! (`breaker`), retry delays (`backoff`), secret masking (`redact`), the audit journal
//! (`journal`), the russh adapter (`ssh`) — and folding of many answers for reading (`fold`).

pub mod backoff;
pub mod breaker;
pub mod config;
pub mod connector;
mod engine;
mod event;
pub mod fold;
pub mod journal;
pub mod redact;
mod ssh;
mod worker;

pub use config::ExecConfig;
pub use connector::{Connector, PollSpec, Session};
pub use engine::{ExecHandle, spawn_exec};
pub use event::{Command, ExecEvent, ExecSink, Link, RunId};
pub use journal::Journal;
pub use redact::Secrets;
pub use ssh::SshConnector;
