//! The README's command table, run: every example as a case with its output snapshotted, and
//! every flag of every synopsis checked against the binary's own help, so the README cannot
//! drift from the binary.
// A test stops at the first thing that is not as expected.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// One row of the command table: its synopsis and its example.
struct Row {
    synopsis: String,
    example: String,
}

fn command_table() -> Vec<Row> {
    let readme = std::fs::read_to_string(Path::new(ROOT).join("README.md")).unwrap();
    let section = readme.split("\n## Commands\n").nth(1).unwrap();
    let code_spans = |cell: &str| -> Vec<String> {
        cell.split('`')
            .skip(1)
            .step_by(2)
            .map(|s| s.replace("\\|", "|"))
            .collect()
    };
    section
        .lines()
        .skip_while(|l| !l.starts_with("| command"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|line| {
            // Cells split on `|` that is not escaped as `\|`.
            let cells: Vec<&str> = split_cells(line);
            let synopsis = code_spans(cells[0]).remove(0);
            let example = code_spans(cells[2]).remove(0);
            Row { synopsis, example }
        })
        .collect()
}

fn split_cells(line: &str) -> Vec<&str> {
    let mut cells = Vec::new();
    let mut start = 1;
    let bytes = line.as_bytes();
    for i in 1..bytes.len() {
        if bytes[i] == b'|' && bytes[i - 1] != b'\\' {
            cells.push(&line[start..i]);
            start = i + 1;
        }
    }
    cells
}

/// A copy of what the examples read (the repository's fixtures and templates).
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for folder in ["fixtures", "templates"] {
        copy_tree(&Path::new(ROOT).join(folder), &dir.path().join(folder));
    }
    dir
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Runs one example in `dir` as a user would from the repository's root, with the tenants'
/// secrets in the environment.
fn run(dir: &Path, example: &str) -> std::process::Output {
    let mut words = example.split_whitespace();
    assert_eq!(words.next(), Some("wxcflow"), "{example}");
    Command::new(env!("CARGO_BIN_EXE_wxcflow"))
        .args(words)
        .current_dir(dir)
        .env_remove("RUST_BACKTRACE")
        .env_remove("WEBEX_TOKEN")
        .env("ACME_TOKEN_PASSPHRASE", "acme-passphrase")
        .env("GLOBEX_STATIC_TOKEN", "globex-static-token")
        .env("INITECH_TOKEN_PASSPHRASE", "initech-passphrase")
        .env("INITECH_STATIC_TOKEN", "initech-static-token")
        .env("UMBRELLA_TOKEN_PASSPHRASE", "umbrella-passphrase")
        .output()
        .unwrap()
}

/// What a snapshot keeps of a run: the exit code, stdout's first lines (long outputs such as
/// schemas are covered by their own tests) and stderr, with the build id named generically.
fn transcript(output: &std::process::Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    let shown = lines
        .iter()
        .take(15)
        .copied()
        .collect::<Vec<_>>()
        .join("\n");
    let more = match lines.len() {
        n if n > 15 => format!("\n[... {} lines in all]", n),
        _ => String::new(),
    };
    let stderr = String::from_utf8_lossy(&output.stderr);
    // The build id changes with every source edit.
    let shown = shown.replace(wxcflow::flow::Provenance::BUILD_ID, "[build id]");
    format!(
        "exit: {:?}\n--- stdout ---\n{shown}{more}\n--- stderr ---\n{stderr}",
        output.status.code()
    )
}

#[test]
fn every_example_in_the_command_table_runs_as_shown() {
    let rows = command_table();
    assert!(
        rows.len() >= 19,
        "the command table has {} rows",
        rows.len()
    );
    let dir = workspace();
    for (i, row) in rows.iter().enumerate() {
        let output = run(dir.path(), &row.example);
        let subcommand = row.example.split_whitespace().nth(1).unwrap_or("");
        let name = format!("{:02}-{subcommand}", i + 1);
        insta::with_settings!({ description => row.example.as_str(), omit_expression => true }, {
            insta::assert_snapshot!(name, transcript(&output));
        });
    }
}

#[test]
fn every_flag_in_a_synopsis_is_one_the_command_takes() {
    for row in command_table() {
        let words: Vec<&str> = row.synopsis.split_whitespace().collect();
        let subcommand = words[1];
        let help = Command::new(env!("CARGO_BIN_EXE_wxcflow"))
            .args([subcommand, "--help"])
            .output()
            .unwrap();
        assert!(help.status.success(), "{subcommand} --help");
        let help = String::from_utf8(help.stdout).unwrap();
        for flag in row
            .synopsis
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .filter(|w| w.starts_with("--") || (w.len() == 2 && w.starts_with('-')))
        {
            assert!(
                help.contains(flag),
                "README: `{}` names {flag}, which `wxcflow {subcommand}` does not take",
                row.synopsis
            );
        }
    }
}

#[test]
fn every_option_a_command_takes_is_in_its_synopsis() {
    let rows = command_table();
    for row in &rows {
        let subcommand = row.synopsis.split_whitespace().nth(1).unwrap();
        let help = Command::new(env!("CARGO_BIN_EXE_wxcflow"))
            .args([subcommand, "--help"])
            .output()
            .unwrap();
        let help = String::from_utf8(help.stdout).unwrap();
        let synopses: String = rows
            .iter()
            .filter(|r| r.synopsis.split_whitespace().nth(1) == Some(subcommand))
            .map(|r| format!("{} ", r.synopsis))
            .collect();
        // Option lines of --help: `  -o, --output <OUTPUT>` or `      --values <VALUES>`.
        for line in help
            .lines()
            .map(str::trim_start)
            .filter(|l| l.starts_with('-'))
        {
            let names: Vec<&str> = line
                .split([' ', ','])
                .take_while(|w| w.is_empty() || w.starts_with('-'))
                .filter(|w| w.len() >= 2 && w.as_bytes()[1] != b' ')
                .filter(|w| {
                    w.trim_start_matches('-')
                        .starts_with(|c: char| c.is_ascii_alphabetic())
                })
                .collect();
            if names.is_empty() {
                continue;
            }
            if names
                .iter()
                .any(|n| matches!(*n, "--help" | "--color" | "--version" | "-h" | "-V"))
            {
                continue;
            }
            assert!(
                names
                    .iter()
                    .any(|n| synopses.contains(&format!("{n} "))
                        || synopses.contains(&format!("{n}]"))),
                "README: no synopsis of `wxcflow {subcommand}` names {names:?}"
            );
        }
    }
}

#[test]
fn every_command_is_in_the_table() {
    let help = Command::new(env!("CARGO_BIN_EXE_wxcflow"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    let listed: Vec<String> = command_table()
        .iter()
        .map(|r| r.synopsis.split_whitespace().nth(1).unwrap().to_string())
        .collect();
    let commands: Vec<&str> = help
        .split("Commands:\n")
        .nth(1)
        .unwrap()
        .lines()
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .collect();
    assert!(commands.len() >= 17, "{help}");
    for command in commands {
        assert!(
            listed.iter().any(|l| l == command),
            "`wxcflow {command}` is not in the README's command table"
        );
    }
}

/// GitHub's anchor for a heading: lower case, spaces as `-`, other punctuation dropped.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

#[test]
fn every_link_in_the_readme_and_docs_leads_somewhere() {
    let mut files = vec![Path::new(ROOT).join("README.md")];
    for entry in std::fs::read_dir(Path::new(ROOT).join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            files.push(path);
        }
    }
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for link in text.split("](").skip(1).filter_map(|s| s.split(')').next()) {
            if link.starts_with("http://") || link.starts_with("https://") {
                continue;
            }
            let (path, fragment) = link.split_once('#').unwrap_or((link, ""));
            let target = match path {
                "" => file.clone(),
                _ => file.parent().unwrap().join(path),
            };
            assert!(
                target.exists(),
                "{}: `{link}` leads nowhere",
                file.display()
            );
            if !fragment.is_empty() {
                let headings = std::fs::read_to_string(&target).unwrap();
                assert!(
                    headings
                        .lines()
                        .filter(|l| l.starts_with('#'))
                        .any(|l| anchor(l.trim_start_matches('#')) == fragment),
                    "{}: `{link}` names no heading",
                    file.display()
                );
            }
        }
    }
}
