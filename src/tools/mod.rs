//! Tools that read what the pipeline makes, or what Flow Builder exported.

pub(crate) mod decompile;
pub mod diff;
pub(crate) mod format;
pub mod simulate;
pub(crate) mod spec_writer;
pub mod workflow;
