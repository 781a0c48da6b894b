//! Tools that read what the pipeline makes, or what Flow Builder exported.

pub mod decompile;
pub mod diff;
pub mod format;
pub mod simulate;
pub(crate) mod spec_writer;
pub mod workflow;
