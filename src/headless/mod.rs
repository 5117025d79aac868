//! Front ends without a terminal UI: they run the same engine and reducer as the dashboard
//! and print what the reducer produced.

pub mod backup;
pub mod cabling;
pub mod detect;
pub mod discover;
pub mod dry_run;
pub mod exec;
pub mod platforms;
pub mod rollout;
pub mod sweep;
