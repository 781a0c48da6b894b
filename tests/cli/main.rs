//! The command end to end: the binary run as a user, a CI job or a pre-commit hook runs it, on
//! files, hostile input, render folders and secrets. One test binary; each module was once its own.
// A test stops at the first thing that is not as expected (the helpers too).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../common/mod.rs"]
mod common;

mod ci;
mod cli;
mod files;
mod hostile;
mod readme;
mod render_batch;
mod render_folder;
mod secret_sources;
mod secrets;
