//! The SSH session layer (russh client): everything from "a device" to "its output".
//!
//! [`Session::connect`] runs resolve → TCP → handshake and host key check → auth chain →
//! (network platforms) PTY shell with paging off, each stage under its own timeout, and
//! reports failures as [`ExecError`] with the stage.
//! [`Session::run`] runs one command (exec channel on Linux, the shell on network gear),
//! caps and sanitizes the output and spots error markers. Jump hosts (`jump`, `bastion`)
//! and proxy commands (`proxy`) only change the stream the session runs over. Queues,
//! concurrency, retries and circuit breakers are the exec engine's (`crate::exec`).

mod algorithms;
mod auth;
mod bastion;
mod config;
pub mod detect;
mod exec;
mod handler;
mod hostkeys;
mod jump;
mod known_hosts;
mod log;
mod options;
mod outcome;
mod prompt;
mod proxy;
mod secret;
mod session;
mod shell;
mod signer;
pub mod ssh_config;
mod stage;
mod target;
mod transport;

pub use auth::Credentials;
pub use bastion::{BastionLimits, Bastions};
pub use hostkeys::{check_file as check_known_hosts_file, host_port};
pub use jump::{JumpBook, MAX_HOPS, failed_bastion};
pub use options::{HostKeyPolicy, SshOptions, Timeouts, install_ssh_config, installed_ssh_config};
pub use outcome::{ExecError, Output, Stage};
pub use secret::Secret;
pub use session::{ConnectFailure, Session};
pub use target::Target;
