//! The Flow Designer target and reader: GetOAuthToken as a subflow, schema, determinism,
//! secrets, lint and diff fixtures, round trips.

mod common;

use common::fixture;
use serde_json::Value;
use std::path::Path;
use wxcflow::diagnostic::{render_human, SourceFile};
use wxcflow::flow_designer::{self as fd, schema::FdValidator};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn fd_validator() -> &'static FdValidator {
    static VALIDATOR: std::sync::OnceLock<FdValidator> = std::sync::OnceLock::new();
    VALIDATOR.get_or_init(FdValidator::new)
}

/// Lint (or read errors) for a Flow Designer file, rendered as `check` renders them.
fn checked(path: &Path) -> String {
    let source = fixture(path);
    match fd::read_any(&source) {
        Ok(flow) => {
            let mut diagnostics = fd::lint::lint(&flow, Some(&source));
            if fd::recognise(source.text.as_bytes()) == Some(fd::FdFile::Spec) {
                diagnostics.extend(fd::build_spec(&source, fd_validator()).diagnostics);
            }
            let shown = fd::lint::masked_source(&source, &flow);
            render_human(&diagnostics, &[&shown])
        }
        Err(diagnostics) => render_human(&diagnostics, &[&source]),
    }
}

#[test]
fn lint_fixtures_report_exact_diagnostics() {
    insta::glob!(
        "../fixtures/flow-designer",
        "{lint,invalid,specs}/*.*",
        |path| {
            let text = checked(path);
            assert!(
                !text.contains("open-sesame")
                    && !text.contains("k-123-secret")
                    && !text.contains("hunter2")
            );
            insta::assert_snapshot!(text);
        }
    );
}

#[test]
fn exports_and_their_review() {
    insta::glob!("../fixtures/flow-designer/exports", "*.json", |path| {
        let source = fixture(path);
        let flow = fd::read::read_export(&source).expect("fixture reads");
        let summary = fd::inspect::summary(&flow, "export");
        let text = format!(
            "{}--- check ---\n{}--- textconv ---\n{}",
            fd::inspect::render(&source.name, &summary),
            checked(path),
            fd::textconv::render_lines(&flow)
        );
        assert!(!text.contains("open-sesame"), "secrets are masked");
        insta::assert_snapshot!(text);
    });
}

fn read(path: &Path) -> fd::model::FdFlow {
    fd::read_any(&fixture(path)).expect("fixture reads")
}

#[test]
fn diff_fixtures_in_every_format() {
    insta::glob!("../fixtures/flow-designer/diff", "*/old.json", |old| {
        let new = old.with_file_name("new.json");
        let changes = fd::diff::diff(&read(old), &read(&new));
        let case = old
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert_eq!(changes.is_empty(), case == "noise-only", "{case}");
        let text = format!(
            "--- text ---\n{}--- markdown ---\n{}--- json ---\n{}",
            fd::diff::render_text(&changes, false),
            fd::diff::render_markdown(
                &changes,
                &format!("{case}/old.json"),
                &format!("{case}/new.json")
            ),
            fd::diff::render_json(&changes)
        );
        assert!(!text.contains("open-sesame"), "credentials are masked");
        insta::assert_snapshot!(text);
    });
}

/// Export -> Flow Designer spec -> export: no logic change, and the file passes the schema.
fn round_trip(source: &SourceFile) -> (String, fd::diff::Change) {
    let original = fd::read::read_export(source).expect("export reads");
    let spec = fd::decompile::decompile(&original, "test");
    let spec_source = SourceFile::new("decompiled.toml", spec.clone());
    let rebuilt = fd::build_spec(&spec_source, fd_validator());
    assert!(!rebuilt.has_errors(), "{:?}", rebuilt.diagnostics);
    let (_, json) = rebuilt.output.unwrap();
    let again = fd::read::read_export(&SourceFile::new("rebuilt.json", json.clone())).unwrap();
    let changes = fd::diff::diff(&original, &again);
    assert_eq!(changes, Vec::new(), "{}", source.name);
    // The spec of the rebuilt file is the same spec.
    assert_eq!(fd::decompile::decompile(&again, "test"), spec);
    // A change to the spec is seen.
    let changed = spec.replacen(
        &format!("name = {:?}", original.name),
        "name = \"Renamed\"",
        1,
    );
    let renamed = fd::build_spec(&SourceFile::new("changed.toml", changed), fd_validator())
        .output
        .unwrap()
        .0;
    let seen = fd::diff::diff(&original, &renamed);
    (
        spec,
        seen.into_iter().next().expect("the rename is a change"),
    )
}

#[test]
fn fixture_exports_round_trip_through_a_spec() {
    insta::glob!("../fixtures/flow-designer/exports", "*.json", |path| {
        let (spec, change) = round_trip(&fixture(path));
        assert_eq!(change.path, "flow.name");
        insta::assert_snapshot!(spec);
    });
}

#[test]
fn a_hand_written_flow_designer_spec_builds() {
    let source = fixture(&root().join("fixtures/flow-designer/specs/subflow.toml"));
    let build = fd::build_spec(&source, fd_validator());
    assert!(build.diagnostics.is_empty(), "{:?}", build.diagnostics);
    assert!(!build.holds_secret);
    let (flow, json) = build.output.unwrap();
    assert_eq!(flow.flow_type.as_deref(), Some("SUBFLOW"));
    let value: Value = serde_json::from_str(&json).unwrap();
    let http = value["process"]["activities"]
        .as_object()
        .unwrap()
        .values()
        .find(|a| a["name"] == "Ask")
        .unwrap();
    // The kind's full property set, twins included, around what the spec gave.
    for key in [
        "httpRequestMethod",
        "httpRequestMethod:type",
        "httpRequestMethod_type",
        "retryAttempts",
        "contentType_type",
    ] {
        assert!(http["properties"].get(key).is_some(), "{key}");
    }
    assert_eq!(
        http["properties"]["httpRequestUrl"],
        "https://api.example.com/known?caller={{Caller | urlencode}}"
    );
}
