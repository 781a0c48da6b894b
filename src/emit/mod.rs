//! Everything produced from a validated flow.

pub(crate) mod document;
pub(crate) mod graph;
pub mod provenance;
pub(crate) mod sheet;
