//! Building blocks every layer uses: durations, the beat timers share, exit statuses, a stable hash, state paths, text from outside made safe to keep and to print, the
//! bounded read of user files, writing to stdout when it may be a closed pipe, private files,
//! state locks and secret masking.
//! Nothing here imports another fleetdash module.

pub mod beat;
pub mod colour;
pub mod duration;
pub mod exit;
pub mod files;
pub mod fnv;
pub mod lock;
pub mod notice;
pub mod paths;
pub mod private_file;
pub mod safety;
pub mod sanitize;
pub mod secrets;
pub mod stdout;
pub mod text;
pub mod time;
