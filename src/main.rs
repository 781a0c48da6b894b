//! The `wxcflow` command: parses arguments, calls the library, prints, sets the exit code.

mod cli;

fn main() -> std::process::ExitCode {
    cli::run()
}
