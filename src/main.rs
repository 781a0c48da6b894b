//! The `wxcflow` command: parses arguments, calls the library, prints, sets the exit code.

// No panic is reachable from input in the command either: errors are printed and mapped to
// exit codes. The few `expect`s state a proven invariant and carry an `allow` with the reason.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod cli;

fn main() -> std::process::ExitCode {
    cli::run()
}
