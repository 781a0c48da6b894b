//! The Flow Designer target and reader, through the library and the binary: fixtures, push
//! against a stand-in API, the leak suite, and the real exports in `../shared/real-exports` (read
//! only when present; under `CI=true` their absence fails). One test binary; each module was once
//! its own.
// A test stops at the first thing that is not as expected (the helpers too).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../common/mod.rs"]
mod common;
#[path = "../common/fd_compare.rs"]
mod fd_compare;

mod flow_designer;
mod flow_designer_cli;
mod flow_designer_push;
mod flow_designer_push_calls;
mod flow_designer_real;
mod flow_designer_run;
mod flow_designer_secret_places;
mod flow_designer_secrets;
