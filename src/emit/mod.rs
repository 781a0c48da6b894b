//! Everything produced from a validated flow.

pub mod document;
pub mod graph;
pub mod provenance;
pub mod sheet;
