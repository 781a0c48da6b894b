//! Everything produced from a validated flow.

pub mod document;
