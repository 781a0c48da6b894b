//! One run of the command: what the command line chose for the whole run and what the run has
//! read so far, made once in `run` and handed to every command (no process-wide state).

use super::io::Files;
use super::{Cli, ColorChoice, Command};
use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::sync::OnceLock;
use wxcflow::Compiler;

/// One run: its colour choice, its `--secrets-dir` folders, its pipeline and its files.
pub(super) struct Session {
    colour: ColorChoice,
    /// The folders given with `--secrets-dir`, canonical: every store of the run reads secret
    /// files from them too.
    secrets_dirs: Vec<PathBuf>,
    /// Built on first use: commands that build nothing never pay for compiling the schemas.
    compiler: OnceLock<Compiler>,
    /// Every read and write of the run, and what was read.
    pub(super) files: Files,
}

impl Session {
    /// The run the command line asks for, and the command to run in it.
    pub(super) fn of(mut cli: Cli) -> (Session, Command) {
        let secrets_dirs = match &mut cli.command {
            Command::Build { secrets, .. }
            | Command::Render { secrets, .. }
            | Command::Check { secrets, .. }
            | Command::Run { secrets, .. }
            | Command::Test { secrets, .. } => std::mem::take(&mut secrets.secrets_dir),
            _ => Vec::new(),
        };
        let session = Session {
            colour: cli.color,
            secrets_dirs,
            compiler: OnceLock::new(),
            files: Files::default(),
        };
        (session, cli.command)
    }

    /// The pipeline.
    pub(super) fn compiler(&self) -> &Compiler {
        self.compiler.get_or_init(Compiler::new)
    }

    /// The canonical `--secrets-dir` folders.
    pub(super) fn secrets_dirs(&self) -> &[PathBuf] {
        &self.secrets_dirs
    }

    /// Whether text for stdout is coloured: `--color`, else a terminal without NO_COLOR
    /// (https://no-color.org: any non-empty value).
    pub(super) fn colour_stdout(&self) -> bool {
        self.colour(std::io::stdout().is_terminal())
    }

    /// As [`Session::colour_stdout`], for stdout when `to_stdout`, else for stderr
    /// (diagnostics).
    pub(super) fn colour_for(&self, to_stdout: bool) -> bool {
        match to_stdout {
            true => self.colour_stdout(),
            false => self.colour(std::io::stderr().is_terminal()),
        }
    }

    fn colour(&self, terminal: bool) -> bool {
        match self.colour {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        }
    }
}
