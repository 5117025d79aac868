//! Building blocks every layer uses: text from outside made safe to keep and to print.
//! Nothing here imports another fleetdash module.

pub mod lock;
pub mod private_file;
pub mod safety;
pub mod sanitize;
pub mod secrets;
pub mod text;
