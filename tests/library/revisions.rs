//! Semantic diffs of flow revisions, in every format, and git integration.
// A test stops at the first thing that is not as expected.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use common::fixture;
use std::path::Path;
use std::process::Command;
use wxcflow::flow::Flow;
use wxcflow::tools::diff::{diff, render_json, render_markdown, render_text};

/// A revision as `diff` reads it: a template without a tenant, parameters as template text.
fn compile(path: &Path) -> (Flow, wxcflow::spec::Spec) {
    let source = fixture(path);
    let flow = common::compiler()
        .build_symbolic(&source)
        .output
        .expect("revision compiles")
        .0
        .flow;
    (flow, wxcflow::spec::Spec::parse(&source).unwrap())
}

#[test]
fn every_revision_pair_in_every_format() {
    insta::glob!("../../fixtures/revisions", "*/old.toml", |old| {
        let new = old.with_file_name("new.toml");
        let ((a, spec_a), (b, spec_b)) = (compile(old), compile(&new));
        let mut changes = wxcflow::tools::diff::param_changes(&spec_a, &spec_b);
        changes.extend(diff(&a, &b));
        let case = old
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert_eq!(changes.is_empty(), case == "layout-only", "{case}");
        // textconv (what `git diff` compares) shows a change wherever diff finds one.
        let lines = |flow: &Flow, spec: &wxcflow::spec::Spec| {
            wxcflow::tools::diff::param_lines(spec) + &wxcflow::tools::diff::render_lines(flow)
        };
        if !changes.is_empty() {
            assert_ne!(lines(&a, &spec_a), lines(&b, &spec_b), "{case}");
        }
        let text = format!(
            "--- text ---\n{}--- markdown ---\n{}--- json ---\n{}",
            render_text(&changes, false),
            render_markdown(
                &changes,
                &format!("{case}/old.toml"),
                &format!("{case}/new.toml")
            ),
            render_json(&changes)
        );
        insta::assert_snapshot!(text);
    });
}

#[test]
fn moving_nodes_on_the_canvas_is_not_a_logic_change() {
    let source = wxcflow::diagnostic::SourceFile::new("s.toml", wxcflow::DEFAULT_SPEC);
    let (document, _) = common::compiler().build(&source).output.unwrap();
    let mut moved = document.clone();
    for position in moved.layout.values_mut() {
        position.x += 500;
        position.y -= 40;
    }
    assert_ne!(document, moved);
    assert_eq!(diff(&document.flow, &moved.flow), vec![]);
}

#[test]
fn secrets_are_masked_in_every_format() {
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/revisions/secret-changed");
    let changes = diff(
        &compile(&case.join("old.toml")).0,
        &compile(&case.join("new.toml")).0,
    );
    let secret = "c2VjcmV0_PF84_0f9e8d7c";
    for text in [
        render_text(&changes, false),
        render_markdown(&changes, "a", "b"),
        render_json(&changes),
    ] {
        assert!(!text.contains(secret));
        assert!(text.contains(wxcflow::tools::diff::MASK));
    }
}

fn wxcflow_cmd(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_wxcflow"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

#[test]
fn the_cli_diffs_specs_and_documents_with_diff_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/revisions/edge-rewired");
    std::fs::copy(case.join("old.toml"), dir.path().join("old.toml")).unwrap();
    std::fs::copy(case.join("new.toml"), dir.path().join("new.toml")).unwrap();
    assert_eq!(
        wxcflow_cmd(dir.path(), &["build", "old.toml", "-o", "old.flow.json"])
            .status
            .code(),
        Some(0)
    );
    // Mixed: a document against a spec.
    let out = wxcflow_cmd(dir.path(), &["diff", "old.flow.json", "new.toml"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "~ edge fetch_token.onTimeout: static_token → debug_gate\n"
    );
    let same = wxcflow_cmd(dir.path(), &["diff", "old.toml", "old.flow.json"]);
    assert_eq!(same.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&same.stdout), "no logic changes\n");
    let missing = wxcflow_cmd(dir.path(), &["diff", "old.toml", "missing.toml"]);
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn decompile_restores_a_spec_that_builds_the_same_document() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(wxcflow_cmd(dir.path(), &["build"]).status.code(), Some(0));
    let out = wxcflow_cmd(
        dir.path(),
        &[
            "decompile",
            "GetOAuthToken.flow.json",
            "-o",
            "restored.toml",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        wxcflow_cmd(
            dir.path(),
            &["build", "restored.toml", "-o", "again.flow.json"]
        )
        .status
        .code(),
        Some(0)
    );
    // The same flow; only the provenance (which spec it came from) differs.
    let first = std::fs::read(dir.path().join("GetOAuthToken.flow.json")).unwrap();
    let again = std::fs::read(dir.path().join("again.flow.json")).unwrap();
    assert_eq!(common::logic(&first), common::logic(&again));
    assert_ne!(first, again);
    std::fs::write(dir.path().join("broken.flow.json"), "{\"format\": 1}").unwrap();
    assert_eq!(
        wxcflow_cmd(dir.path(), &["decompile", "broken.flow.json"])
            .status
            .code(),
        Some(1)
    );
}

#[test]
fn git_diff_shows_logic_changes_through_textconv() {
    let dir = tempfile::tempdir().unwrap();
    let git = |args: &[&str]| common::git(dir.path(), args);
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/revisions/node-renamed");
    git(&["init", "-q"]);
    std::fs::write(
        dir.path().join(".gitattributes"),
        "*.toml diff=wxcflow\n*.flow.json diff=wxcflow\n",
    )
    .unwrap();
    std::fs::copy(case.join("old.toml"), dir.path().join("flow.toml")).unwrap();
    git(&["add", "."]);
    git(&["commit", "-qm", "old"]);
    std::fs::copy(case.join("new.toml"), dir.path().join("flow.toml")).unwrap();
    let body = common::textconv_diff(dir.path(), "flow.toml");
    insta::assert_snapshot!(body);
}

#[test]
fn a_changed_assignment_to_a_secret_variable_is_a_change() {
    let old = wxcflow::diagnostic::SourceFile::new("old.toml", wxcflow::DEFAULT_SPEC);
    let changed = wxcflow::DEFAULT_SPEC.replace(
        r#"JDSToken = "$(StaticToken)""#,
        r#"JDSToken = "Bearer $(x-token-passphrase)""#,
    );
    assert_ne!(changed, wxcflow::DEFAULT_SPEC);
    let new = wxcflow::diagnostic::SourceFile::new("new.toml", changed);
    let flow = |s| common::compiler().build_symbolic(s).output.unwrap().0.flow;
    let changes = diff(&flow(&old), &flow(&new));
    assert_eq!(
        render_text(&changes, false),
        "~ use_static_token.on_enter.set.JDSToken: \"$(StaticToken)\" → \"Bearer $(x-token-passphrase)\"\n"
    );
}

#[test]
fn colour_follows_the_color_option_and_never_reaches_a_pipe_by_itself() {
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/revisions/header-changed");
    let (old, new) = (case.join("old.toml"), case.join("new.toml"));
    let run = |extra: &[&str]| {
        let mut args = vec!["diff"];
        args.extend_from_slice(extra);
        args.extend([old.to_str().unwrap(), new.to_str().unwrap()]);
        let out = common::wxcflow(&case, &args);
        assert_eq!(out.status.code(), Some(1));
        String::from_utf8(out.stdout).unwrap()
    };
    assert!(run(&["--color", "always"]).contains("\u{1b}[33m"));
    assert!(!run(&["--color", "never"]).contains('\u{1b}'));
    // Auto on a pipe (as here): no colour.
    assert!(!run(&[]).contains('\u{1b}'));
}

#[test]
fn a_file_diffed_with_itself_tells_each_warning_once() {
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/revisions/header-changed");
    let old = case.join("old.toml");
    let out = common::wxcflow(
        &case,
        &["diff", old.to_str().unwrap(), old.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("warning"))
        .collect();
    let mut unique = warnings.clone();
    unique.sort();
    unique.dedup();
    assert!(!warnings.is_empty());
    assert_eq!(warnings.len(), unique.len(), "{stderr}");
}

/// textconv (what `git diff` compares) shows a line changed wherever `diff` finds a change:
/// each edit of one fact of the fixture, the notify URL and a variable's note included.
#[test]
fn textconv_changes_wherever_diff_finds_a_change() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let edits = [
        (
            "every-node-type",
            "hooks.example.com/escalated",
            "hooks.example.com/other",
        ),
        (
            "every-node-type",
            "Set from the evaluate node.",
            "Set elsewhere.",
        ),
        (
            "every-node-type",
            "[flow]\n",
            "[flow]\nper_outcome_actions = true\n",
        ),
    ];
    for (fixture, from, to) in edits {
        let path = root.join(format!("fixtures/valid/{fixture}.toml"));
        let text = std::fs::read_to_string(&path).unwrap();
        let (old, _) = compile(&path);
        assert!(text.contains(from), "{from}");
        let dir = tempfile::tempdir().unwrap();
        let edited = dir.path().join(format!("{fixture}.toml"));
        std::fs::write(&edited, text.replace(from, to)).unwrap();
        let (new, _) = compile(&edited);
        assert!(!diff(&old, &new).is_empty(), "{from}");
        let lines = wxcflow::tools::diff::render_lines;
        assert_ne!(
            lines(&old),
            lines(&new),
            "textconv does not show {from} -> {to}"
        );
    }
}
