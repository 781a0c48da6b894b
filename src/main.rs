//! The `wxcflow` command: parses arguments, calls the library, prints, sets the exit code.
// Output goes through `out!` and `reportln!` (cli/mod.rs), which never panic on a failed write.
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod cli;

/// mimalloc rather than the system allocator: building a document allocates many small strings
/// and maps, and `render` builds on several threads at once. Measured in docs/speed.md (1.6
/// times faster for `render` of 2,000 tenants and for `build` of 10,000 nodes).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cli::run()
}
