//! The pipeline through the library: specs, fixtures, tenants and templates to documents,
//! diagnostics, drawings, diffs, SARIF, simulation and `.workflow` exports. One test binary; each
//! module was once its own.
// A test stops at the first thing that is not as expected (the helpers too).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../common/mod.rs"]
mod common;

mod builder;
mod diagnostics;
mod drawings;
mod fixtures;
mod fmt;
mod inspect;
mod layering;
mod render_batch;
mod render_groups;
mod revisions;
mod round_trip;
mod sarif;
mod scale;
mod schema;
mod simulate;
mod template_limits;
mod tenants;
