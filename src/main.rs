//! The `wxcflow` command: parses arguments, calls the library, prints, sets the exit code.
// Output goes through `out!` and `reportln!` (cli/mod.rs), which never panic on a failed write.
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod cli;

fn main() -> std::process::ExitCode {
    cli::run()
}
