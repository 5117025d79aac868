//! Building blocks every layer uses: text from outside made safe to keep and to print, the
//! bounded read of user files, and writing to stdout when it may be a closed pipe.
//! Nothing here imports another fleetdash module.

pub mod files;
pub mod safety;
pub mod sanitize;
pub mod stdout;
pub mod text;
