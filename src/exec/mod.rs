//! TEMPORARY (lead): replaced by the exec branch.
pub mod fold;
