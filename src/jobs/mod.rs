//! Fleet jobs beside `exec` and rollouts: platform detection now; config backup, the
//! cabling check and discovery next. Each runs on the same SSH layer and platform drivers.

pub mod backup;
pub mod cabling;
pub mod detect;
