//! Everything produced from a validated flow.

pub mod document;
pub mod graph;
pub mod sheet;
