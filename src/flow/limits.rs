//! Limits on a flow: the platform's documented ones, and wxcflow's own bound on size.

use crate::diagnostic::{Code, Diagnostic};

/// The most nodes a flow may have: far beyond any hand-built flow, low enough to bound the work
/// (wxcflow's own bound, not the platform's).
pub(crate) const MAX_NODES: usize = 10_000;
/// The most assignments one transition action takes before Flow Builder is known to struggle.
pub(crate) const MAX_ASSIGNMENTS: usize = 30;
/// Flow settings: the correlation id is at most 250 characters.
pub(crate) const MAX_CORRELATION_ID: usize = 250;
/// The HTTP Request node's connection and request timeouts are each at most 20 s.
pub(crate) const MAX_TIMEOUT_MS: i64 = 20_000;

/// The largest spec, tenant file or flow document read: the platform's own flow size limit.
pub const MAX_INPUT_BYTES: usize = 10 * 1024 * 1024;

/// The largest value a local run keeps (wxcflow's own bound, the platform publishes none): no
/// larger than a whole flow may be. A value growing in a loop stops the run there.
pub const MAX_RUN_VALUE_BYTES: usize = MAX_INPUT_BYTES;

/// The largest Flow Designer file (export or Flow Designer spec) read, and written: what
/// `build --target flow-designer` writes for the largest flow it takes (`MAX_NODES` nodes,
/// about 150 MB for a chain of HTTP requests and branches) with room to spare. `build` refuses
/// to write a larger one, so that everything it writes can be read back by `push`, `check`,
/// `diff` and `decompile`. Cisco publishes no import limit (the API answers 400 past its own).
pub const MAX_FD_BYTES: usize = 256 * 1024 * 1024;

/// A diagnostic for an input over [`MAX_INPUT_BYTES`], or `None`.
pub fn too_large(name: &str, len: usize) -> Option<Diagnostic> {
    (len > MAX_INPUT_BYTES).then(|| {
        Diagnostic::new(
            Code::TooLarge,
            format!("{name} is {len} bytes; wxcflow reads at most {MAX_INPUT_BYTES} (10 MB, the platform's flow size limit)"),
        )
    })
}

/// A diagnostic for a Flow Designer file over [`MAX_FD_BYTES`], or `None`.
pub fn too_large_fd(name: &str, len: usize) -> Option<Diagnostic> {
    (len > MAX_FD_BYTES).then(|| {
        Diagnostic::new(
            Code::TooLarge,
            format!("{name} is {len} bytes; wxcflow reads and writes Flow Designer files of at most {MAX_FD_BYTES} (256 MiB, what the largest flow it builds needs)"),
        )
    })
}
