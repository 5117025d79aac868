//! TODO-owner: lead
