//! The `wxcflow` command: parses arguments, calls the library, prints, sets the exit code.
// Output goes through `out!` and `reportln!` (cli/mod.rs), which never panic on a failed write.
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod cli;

// A faster allocator for the many small values a build makes (Cargo.toml says how much).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cli::run()
}
