//! How a command ends: every command returns an [`Outcome`], and [`finish`] is the one place
//! that prints a failure and maps it to the exit code.
//!
//! Exit codes: 0 done; 1 the input has problems (or, for `diff` and `fmt --check`, the command
//! found what it looks for: changes); 2 usage, I/O, or an input a command cannot start from
//! (for `diff`, any revision that cannot be read or does not build, since 1 means "changes",
//! as in diff(1)).

use super::io::ReadError;
use std::process::ExitCode;

const EXIT_FOUND: u8 = 1;
const EXIT_PROBLEMS: u8 = 1;
const EXIT_USAGE: u8 = 2;

/// What a command returns.
pub(super) type Outcome = Result<Done, Failure>;

/// A command that did its job.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Done {
    /// Nothing to report: exit 0.
    Clean,
    /// The job was done and found what the command exists to find: logic changes (`diff`),
    /// files to format (`fmt --check`): exit 1.
    Found,
}

impl Done {
    /// [`Done::Found`] when `found`, else [`Done::Clean`].
    pub(super) fn found_if(found: bool) -> Done {
        if found {
            Done::Found
        } else {
            Done::Clean
        }
    }
}

/// A command that could not do its job.
#[derive(Debug)]
pub(super) enum Failure {
    /// The input has problems, already reported (as diagnostics, or per tenant or scenario);
    /// `summary` closes the report (`build failed: 2 errors`): exit 1.
    Problems { summary: Option<String> },
    /// The input has one problem, said in one line (`error: ...`): exit 1.
    Input(String),
    /// An input that could not be read: exit 1 when it is over the size limit (an input
    /// problem, `wxc::too-large`), 2 otherwise.
    Read(ReadError),
    /// Wrong usage, an unwritable file, a refused request: exit 2.
    Usage(String),
    /// A command that cannot start from its input (a refused `.workflow` output, a `diff`
    /// revision that cannot be read or does not build): exit 2. The report is printed as it is,
    /// or was already printed as diagnostics (`None`).
    Unusable(Option<String>),
}

impl Failure {
    /// This failure as `diff` ends on it: exit 1 means "changes" to diff(1) users, so any
    /// trouble with a side is 2, said as it would be otherwise.
    pub(super) fn of_diff_side(self) -> Failure {
        match self {
            Failure::Problems { summary } => Failure::Unusable(summary),
            Failure::Input(message) => Failure::Unusable(Some(format!("error: {message}"))),
            Failure::Read(e) if e.is_input_problem() => Failure::Unusable(Some(describe_read(&e))),
            other => other,
        }
    }

    /// Problems already reported, with no closing line.
    pub(super) fn problems() -> Failure {
        Failure::Problems { summary: None }
    }

    /// Problems already reported, closed by `summary`.
    pub(super) fn problems_with(summary: impl Into<String>) -> Failure {
        Failure::Problems {
            summary: Some(summary.into()),
        }
    }

    /// One problem with the input.
    pub(super) fn input(message: impl Into<String>) -> Failure {
        Failure::Input(message.into())
    }

    /// A usage or I/O failure.
    pub(super) fn usage(message: impl Into<String>) -> Failure {
        Failure::Usage(message.into())
    }
}

impl From<ReadError> for Failure {
    fn from(e: ReadError) -> Failure {
        Failure::Read(e)
    }
}

/// Prints how the command failed, if it did, and gives the exit code.
pub(super) fn finish(outcome: Outcome) -> ExitCode {
    let code = match outcome {
        Ok(Done::Clean) => 0,
        Ok(Done::Found) => EXIT_FOUND,
        Err(Failure::Problems { summary }) => {
            if let Some(summary) = summary {
                reportln!("{summary}");
            }
            EXIT_PROBLEMS
        }
        Err(Failure::Input(message)) => {
            reportln!("error: {message}");
            EXIT_PROBLEMS
        }
        Err(Failure::Read(e)) => {
            match e.not_text.as_deref() {
                // Not read: nothing of it is quoted.
                Some((source, d)) => {
                    super::io::stderr_write_styled(&wxcflow::diagnostic::Diagnostic::render_human(
                        std::slice::from_ref(d),
                        &[&source.values_hidden()],
                    ))
                }
                None => reportln!("{}", describe_read(&e)),
            }
            if e.is_input_problem() {
                EXIT_PROBLEMS
            } else {
                EXIT_USAGE
            }
        }
        Err(Failure::Usage(message)) => {
            reportln!("error: {message}");
            EXIT_USAGE
        }
        Err(Failure::Unusable(report)) => {
            if let Some(report) = report {
                reportln!("{report}");
            }
            EXIT_USAGE
        }
    };
    ExitCode::from(code)
}

/// A read error as printed: one over the limits carries its diagnostic code.
pub(super) fn describe_read(e: &ReadError) -> String {
    if let Some((_, d)) = e.not_text.as_deref() {
        return format!("error[{}]: {}: {}", d.code.as_str(), e.message, d.message);
    }
    if e.too_large {
        format!("error[wxc::too-large]: {}", e.message)
    } else {
        format!("error: {}", e.message)
    }
}

/// The exit code for arguments clap rejected (2), or for `--help`/`--version` (0).
pub(super) fn usage_exit(stderr: bool) -> ExitCode {
    ExitCode::from(if stderr { EXIT_USAGE } else { 0 })
}
