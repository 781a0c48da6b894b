//! man: manual pages generated from the command-line definitions.

use super::*;
use clap::CommandFactory as _;

/// Every page: `wxcflow.1`, then `wxcflow-<command>.1` for each command (and their own commands,
/// should any get some), as roff text.
fn pages() -> std::io::Result<Vec<(String, Vec<u8>)>> {
    // `help` is clap's own command, documented by every page's synopsis, not a page of its own.
    let mut command = Cli::command().disable_help_subcommand(true);
    // Building gives each command its display name, `wxcflow-build`, used as the page title.
    command.build();
    let mut pages = Vec::new();
    collect(&command, &mut pages)?;
    Ok(pages)
}

fn collect(command: &clap::Command, pages: &mut Vec<(String, Vec<u8>)>) -> std::io::Result<()> {
    let name = command
        .get_display_name()
        .unwrap_or_else(|| command.get_name())
        .to_string();
    let source = format!("wxcflow {}", env!("CARGO_PKG_VERSION"));
    let mut roff = Vec::new();
    clap_mangen::Man::new(command.clone())
        .source(source.clone())
        .manual("wxcflow")
        .render(&mut roff)?;
    // clap_mangen leaves out an empty date, which moves the source into the date's place; the
    // date stays empty (pages do not change from day to day) but keeps its place.
    let roff = String::from_utf8_lossy(&roff).replacen(
        &format!(".TH {name} 1  \"{source}\" wxcflow\n"),
        &format!(".TH {name} 1 \"\" \"{source}\" \"wxcflow\"\n"),
        1,
    );
    pages.push((format!("{name}.1"), roff.into_bytes()));
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        collect(sub, pages)?;
    }
    Ok(())
}

pub(super) fn man(s: &Session, dir: &Path) -> Outcome {
    let pages =
        pages().map_err(|e| Failure::usage(format!("cannot generate the man pages: {e}")))?;
    // The folders this makes: removed again if no page is written, so that a failure leaves
    // the disk as it was.
    let made = super::io::make_folders(dir)
        .map_err(|e| Failure::usage(format!("cannot create {}: {e}", dir.display())))?;
    // DIR is written as a whole: a link planted there is replaced, not followed out of it; and
    // all pages or none, so that a full disk leaves no half set.
    let options = super::io::WriteOptions {
        links: super::io::Links::Replace,
        ..super::io::WriteOptions::output(false)
    };
    let outputs: Vec<(std::path::PathBuf, &[u8])> = pages
        .iter()
        .map(|(name, roff)| (dir.join(name), roff.as_slice()))
        .collect();
    if let Err(e) = s.files.write_outputs_together(&outputs, options, false) {
        super::io::remove_made(&made);
        return Err(Failure::usage(e));
    }
    reportln!(
        "wrote {} man pages to {}",
        pages.len(),
        wxcflow::diagnostic::printable_name(&dir.display().to_string())
    );
    Ok(Done::Clean)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every command in the clap tree, as its page's file name.
    fn command_names(command: &clap::Command, prefix: &str, names: &mut Vec<String>) {
        let name = if prefix.is_empty() {
            command.get_name().to_string()
        } else {
            format!("{prefix}-{}", command.get_name())
        };
        for sub in command.get_subcommands() {
            if sub.get_name() != "help" {
                command_names(sub, &name, names);
            }
        }
        names.push(format!("{name}.1"));
    }

    #[test]
    fn every_command_has_a_roff_page() {
        let mut expected = Vec::new();
        command_names(&Cli::command(), "", &mut expected);
        expected.sort();
        let dir = tempfile::tempdir().unwrap();
        let (session, _) = Session::of(Cli::parse_from(["wxcflow", "init"]));
        assert!(matches!(man(&session, dir.path()), Ok(Done::Clean)));
        let mut written: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        written.sort();
        assert_eq!(written, expected);
        assert!(expected.contains(&"wxcflow-check.1".to_string()));
        assert!(expected.contains(&"wxcflow-man.1".to_string()));
        for name in &written {
            let page = std::fs::read_to_string(dir.path().join(name)).unwrap();
            let title = name.trim_end_matches(".1");
            let th = format!(
                ".TH {title} 1 \"\" \"wxcflow {}\" \"wxcflow\"",
                env!("CARGO_PKG_VERSION")
            );
            assert!(page.lines().any(|l| l == th), "{name} has no line {th}");
            for section in [".SH NAME", ".SH SYNOPSIS", ".SH DESCRIPTION"] {
                assert!(page.contains(section), "{name} lacks {section}");
            }
        }
    }

    /// Every command and every argument it takes, as `command: what is undescribed`.
    fn undescribed(command: &clap::Command, path: &str, found: &mut Vec<String>) {
        let path = format!("{path} {}", command.get_name()).trim().to_string();
        if command.get_about().is_none() && command.get_long_about().is_none() {
            found.push(format!("{path}: the command"));
        }
        for arg in command.get_arguments() {
            if arg.get_help().is_none() && arg.get_long_help().is_none() {
                found.push(format!("{path}: {}", arg.get_id()));
            }
        }
        for sub in command.get_subcommands() {
            undescribed(sub, &path, found);
        }
    }

    #[test]
    fn every_command_and_argument_has_a_description() {
        let mut command = Cli::command();
        // Built, the tree holds what --help shows: clap's own `help` command, --help, --version.
        command.build();
        let mut found = Vec::new();
        undescribed(&command, "", &mut found);
        assert_eq!(
            found,
            Vec::<String>::new(),
            "--help shows these without a description"
        );
        // The test sees what it must: a command without a description would be found.
        let bare = clap::Command::new("bare").arg(clap::Arg::new("path"));
        let mut found = Vec::new();
        undescribed(&bare, "", &mut found);
        assert_eq!(found, ["bare: the command", "bare: path"]);
    }

    #[test]
    fn pages_are_the_same_every_time() {
        assert_eq!(pages().unwrap(), pages().unwrap());
    }
}
