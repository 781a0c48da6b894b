//! Real Flow Designer exports, read from `../shared/real-exports/flow-designer` beside the
//! repository (or `WXCFLOW_REAL_EXPORTS`): each is read, linted, decompiled to a spec, built
//! back and compared with the original, which must show no logic change and, property by
//! property, no loss. The exports are not part of the project; without the folder each test
//! says "skipped" and passes, but under `CI=true` it fails rather than pass having tested nothing.
// A test stops at the first thing that is not as expected.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::fd_compare;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use wxcflow::diagnostic::{Code, SourceFile};
use wxcflow::flow_designer::{self as fd, schema::FdValidator};

pub(crate) fn exports_dir() -> PathBuf {
    std::env::var_os("WXCFLOW_REAL_EXPORTS").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/real-exports/flow-designer"),
        PathBuf::from,
    )
}

/// Every `*.json` under the folder, subfolders (Cisco's own templates in `cisco/`) included.
/// Without any, the test has nothing to read: it says "skipped" where `cargo test` prints (not in
/// the output it captures), and under `CI=true` it fails rather than pass having tested nothing.
pub(crate) fn exports() -> Vec<PathBuf> {
    let dir = exports_dir();
    let mut files = Vec::new();
    let mut folders = vec![dir.clone()];
    while let Some(folder) = folders.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for path in entries.map(|e| e.unwrap().path()) {
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "json") {
                files.push(path);
            }
        }
    }
    files.sort();
    if files.is_empty() {
        let shown = dir.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap_or(&dir);
        assert!(
            !std::env::var("CI").is_ok_and(|v| v == "true"),
            "CI=true but no real Flow Designer exports at {} (set WXCFLOW_REAL_EXPORTS)",
            shown.display()
        );
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), "skipped: {} not found", shown.display());
    }
    files
}

#[test]
fn every_real_export_is_inside_the_schema_unchanged() {
    let validator = FdValidator::new();
    let all = exports();
    if all.is_empty() {
        return;
    }
    // Cisco's 2024-2026 templates are among them.
    assert!(all
        .iter()
        .any(|p| p.parent().is_some_and(|d| d.ends_with("cisco"))));
    for path in all {
        let value: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(
            validator.validate(&value),
            Vec::<String>::new(),
            "{}",
            path.display()
        );
    }
}

#[test]
fn real_exports_round_trip_with_no_logic_change() {
    let validator = FdValidator::new();
    for path in exports() {
        let text = std::fs::read_to_string(&path).unwrap();
        let source = SourceFile::new(path.display().to_string(), text.clone());
        assert_eq!(
            wxcflow::InputKind::detect(text.as_bytes()),
            wxcflow::InputKind::FlowDesignerExport,
            "{}",
            path.display()
        );
        let original = fd::model::FdFlow::read_export(&source).expect("a real export reads");
        // What wxcflow understands of the diagram holds for Cisco's own files.
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            fd::schema::FdValidator::reference_problems(&value),
            Vec::<String>::new(),
            "{}",
            path.display()
        );

        let spec = original.decompile("real export");
        let rebuilt =
            fd::FdBuild::from_spec(&SourceFile::new("spec.toml", spec.clone()), &validator);
        assert!(
            !rebuilt.has_errors(),
            "{}: {:?}",
            path.display(),
            rebuilt.diagnostics
        );
        let (_, json) = rebuilt.output.unwrap();
        let again = fd::model::FdFlow::read_export(&SourceFile::new("rebuilt.json", json)).unwrap();
        assert_eq!(original.diff(&again), Vec::new(), "{}", path.display());
        assert_eq!(again.decompile("real export"), spec);
        // Every activity and every setting survived, the generic ones included.
        let count = |f: &fd::model::FdFlow| {
            f.processes()
                .iter()
                .map(|(_, p)| p.activities.len())
                .sum::<usize>()
        };
        assert_eq!(count(&original), count(&again));
    }
}

#[test]
fn the_jds_sample_shows_its_passphrase_typed_in_clear() {
    let Some(path) = exports()
        .into_iter()
        .find(|p| p.ends_with("bmclella_Voice_JDS_1.json"))
    else {
        return;
    };
    let source = SourceFile::new(
        path.display().to_string(),
        std::fs::read_to_string(&path).unwrap(),
    );
    let flow = fd::model::FdFlow::read_export(&source).unwrap();
    let diagnostics = flow.lint(Some(&source));
    assert!(diagnostics.iter().any(|d| d.code == Code::CleartextCredential
        && d.message == "header `x-token-passphrase` of `get_JDSToken` holds a credential typed in clear"));
    let textconv = flow.textconv();
    assert!(textconv.contains("get_JDSToken.httpRequestHeaders.x-token-passphrase = •••\n"));
    assert!(fd::secrets::Secrets::of(&flow).any());
}

#[test]
fn the_binary_round_trips_real_exports() {
    let dir = tempfile::tempdir().unwrap();
    for path in exports() {
        let run = |args: &[&str]| {
            let out = Command::new(env!("CARGO_BIN_EXE_wxcflow"))
                .args(args)
                .current_dir(dir.path())
                .output()
                .unwrap();
            (
                out.status.code(),
                String::from_utf8_lossy(&out.stdout).into_owned(),
            )
        };
        let export = path.display().to_string();
        assert_eq!(run(&["decompile", &export, "-o", "spec.toml"]).0, Some(0));
        assert_eq!(
            run(&[
                "build",
                "spec.toml",
                "--target",
                "flow-designer",
                "-o",
                "rebuilt.json"
            ])
            .0,
            Some(0)
        );
        assert_eq!(
            run(&["diff", &export, "rebuilt.json"]),
            (Some(0), "no logic changes\n".to_string()),
            "{export}"
        );
        // What the commands wrote, property by property.
        let read = |p: &Path| -> Value {
            serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
        };
        assert_eq!(
            fd_compare::losses(&read(&path), &read(&dir.path().join("rebuilt.json"))),
            Vec::<String>::new(),
            "{export}"
        );
    }
}

/// What the reference and Secure checks find in each real export, Cisco's templates included,
/// each finding examined by hand: every name an expression reads is a variable or an activity
/// of its flow (no `wxc::unknown-reference`), and the variables named as holding a token, a
/// card number or a CVV are not marked Secure, although Cisco's templates tell users to mark
/// such inputs Secure.
#[test]
fn real_exports_read_only_names_they_have_and_leave_card_data_unsecured() {
    if exports().is_empty() {
        return;
    }
    let expected: [(&str, &[&str]); 7] = [
        ("CCAI_Flow_DialogFlowES.json", &[]),
        ("VoiceFlow_InstantConnect.json", &[]),
        (
            "bmclella_Voice_JDS_1.json",
            &["variable `Token` is named as holding a token but is not marked Secure"],
        ),
        ("cisco/HelloWorld_Template.json", &[]),
        (
            "cisco/autonomous_flow.json",
            &[
                "variable `cardNumber` is named as holding a card number but is not marked Secure",
                "variable `cvv` is named as holding a card security code but is not marked Secure",
            ],
        ),
        ("cisco/scripted_check_balance_subflow.json", &[]),
        (
            "cisco/scripted_make_payment_subflow.json",
            &[
                "variable `subFlowCardNumber_makePayment` is named as holding a card number but is not marked Secure",
                "variable `subFlowCVV_makePayment` is named as holding a card security code but is not marked Secure",
            ],
        ),
    ];
    for (file, messages) in expected {
        let path = exports_dir().join(file);
        let Ok(text) = std::fs::read_to_string(&path) else {
            eprintln!("skipped: no {}", path.display());
            continue;
        };
        let source = SourceFile::new(file, text);
        let flow = fd::model::FdFlow::read_export(&source).unwrap();
        let found: Vec<String> = flow
            .lint(Some(&source))
            .into_iter()
            .filter(|d| matches!(d.code, Code::UnknownReference | Code::SecretNotSecure))
            .map(|d| {
                assert!(d.span.is_some(), "{file}: {}", d.message);
                d.message
            })
            .collect();
        assert_eq!(found, messages, "{file}");
    }
}

#[test]
fn real_exports_round_trip_property_by_property() {
    let mut failures = Vec::new();
    for path in exports() {
        let text = std::fs::read_to_string(&path).unwrap();
        let original: Value = serde_json::from_str(&text).unwrap();
        let (spec, rebuilt) = fd_compare::rebuilt(&SourceFile::new("export.json", text));
        let losses = fd_compare::losses(&original, &rebuilt);
        if !losses.is_empty() {
            failures.push(format!("{}:\n  {}", path.display(), losses.join("\n  ")));
        }
        // Read back, the rebuilt file decompiles to the same spec: ids and positions included.
        let again = fd::model::FdFlow::read_export(&SourceFile::new(
            "rebuilt.json",
            fd::emit::to_json(&rebuilt),
        ))
        .unwrap();
        assert_eq!(again.decompile("test"), spec, "{}", path.display());
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every real export is drawn: each activity once, each link once, and Graphviz (which `.ci/run`
/// installs) reads the DOT text.
#[test]
fn real_exports_are_drawn_activity_by_activity() {
    for path in exports() {
        let source = SourceFile::new(
            path.display().to_string(),
            std::fs::read_to_string(&path).unwrap(),
        );
        let flow = fd::model::FdFlow::read_export(&source).expect("a real export reads");
        let mermaid = flow.mermaid();
        let processes =
            std::iter::once(&flow.process).chain(flow.event_flows.iter().map(|e| &e.process));
        let (activities, links) = processes.fold((0, 0), |(a, l), p| {
            (a + p.activities.len(), l + p.links.len())
        });
        let nodes = mermaid.lines().filter(|l| l.contains("<br/>")).count();
        let edges = mermaid
            .lines()
            .filter(|l| l.contains(" --> ") || l.contains(" -->|"))
            .count();
        assert_eq!((nodes, edges), (activities, links), "{}", path.display());
        if let Some(svg) = crate::common::graphviz_svg(&flow.dot()) {
            svg.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
    }
}
