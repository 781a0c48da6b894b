//! Reading `.workflow` exports. The exports here are made by the tests: blocks of pseudo-random
//! bytes below the measured bound, hex-encoded as Webex Connect writes them. Nothing is read from
//! outside the repository.
// A test stops at the first thing that is not as expected.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use std::io::Write as _;
use std::process::Command;
use wxcflow::tools::workflow::{Export, Inspection, Rejection};

use common::{blocks, export};

fn report(bytes: &[u8]) -> String {
    Inspection::of(bytes).render("flow.workflow")
}

#[test]
fn a_genuine_export_is_measured() {
    let bytes = export(&blocks(1, 138));
    let Inspection::Export(e) = Inspection::of(&bytes) else {
        panic!("not recognised")
    };
    assert_eq!(
        (e.blocks, e.decoded_bytes, e.file_bytes),
        (138, 35_328, 70_656)
    );
    insta::assert_snapshot!(report(&bytes));
}

#[test]
fn broken_exports_are_rejected_with_the_reason() {
    let good = export(&blocks(2, 3));
    let mut cases: Vec<(&str, Vec<u8>)> = Vec::new();
    cases.push(("empty", Vec::new()));
    cases.push(("truncated", good[..good.len() - 100].to_vec()));
    cases.push(("odd length", good[..good.len() - 1].to_vec()));
    let mut upper = good.clone();
    upper.make_ascii_uppercase();
    cases.push(("uppercase", upper));
    let mut non_hex = good.clone();
    non_hex[700] = b'g';
    cases.push(("non-hex", non_hex));
    let mut newline = good.clone();
    newline.push(b'\n');
    cases.push(("trailing newline", newline));
    let mut above = blocks(3, 3);
    above[1][..3].copy_from_slice(&[0xab, 0x4f, 0xb0]);
    cases.push(("block above the bound", export(&above)));
    cases.push(("plain JSON", br#"{"name": "GetOAuthToken"}"#.to_vec()));
    cases.push(("random text", b"hello world".to_vec()));
    cases.push(("not a zip", b"PK\x03\x04garbage".to_vec()));
    let text: String = cases
        .iter()
        .map(|(label, bytes)| {
            let inspection = Inspection::of(bytes);
            assert!(!inspection.is_recognised(), "{label} was accepted");
            format!("# {label}\n{}", inspection.render("flow.workflow"))
        })
        .collect();
    insta::assert_snapshot!(text);
}

#[test]
fn a_block_exactly_at_the_bound_is_accepted() {
    let mut at = blocks(4, 2);
    at[0][..3].copy_from_slice(&wxcflow::tools::workflow::Export::BLOCK_BOUND);
    assert!(Export::read(&export(&at)).is_ok());
}

#[test]
fn wxcflow_files_are_named_not_rejected() {
    let spec = wxcflow::DEFAULT_SPEC.as_bytes();
    assert_eq!(
        Inspection::of(spec),
        Inspection::Spec {
            name: "GetOAuthToken".into(),
            // The embedded spec is a template.
            params: true,
        }
    );
    let source = wxcflow::diagnostic::SourceFile::new("s", wxcflow::DEFAULT_SPEC);
    let doc = common::compiler().build(&source).output.unwrap().1;
    assert_eq!(
        Inspection::of(doc.as_bytes()),
        Inspection::FlowDocument {
            name: "GetOAuthToken".into(),
            nodes: 12
        }
    );
    insta::assert_snapshot!(format!(
        "{}{}",
        Inspection::of(spec).render("get-oauth-token.toml"),
        Inspection::of(doc.as_bytes()).render("GetOAuthToken.flow.json")
    ));
}

fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes) in entries {
        writer
            .start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        writer.write_all(bytes).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

#[test]
fn zipped_exports_are_opened_and_macos_metadata_ignored() {
    let inner = export(&blocks(5, 4));
    let bytes = zip(&[
        ("CCEP_GetOAuthToken.workflow", &inner),
        (
            "__MACOSX/._CCEP_GetOAuthToken.workflow",
            b"\x00\x05\x16\x07junk",
        ),
    ]);
    let inspection = Inspection::of(&bytes);
    assert!(inspection.is_recognised());
    insta::assert_snapshot!(inspection.render("flow.workflow.zip"));
    let empty = zip(&[("readme.txt", b"nothing")]);
    assert_eq!(
        Inspection::of(&empty),
        Inspection::Rejected(Rejection::UnreadableZip {
            message: "the archive holds no .workflow file".into()
        })
    );
}

fn comparison(old: &[[u8; 256]], new: &[[u8; 256]]) -> String {
    let a = Export::read(&export(old)).unwrap();
    let b = Export::read(&export(new)).unwrap();
    a.compare(&b).render("old.workflow", "new.workflow")
}

#[test]
fn comparisons_locate_the_changed_blocks() {
    let base = blocks(6, 10);
    let mut prefix = base.clone();
    prefix[0] = blocks(7, 1)[0];
    let mut suffix = base.clone();
    suffix.push(blocks(8, 1)[0]);
    let mut middle = base.clone();
    middle[4] = blocks(9, 1)[0];
    middle.insert(5, base[8]);
    let text = [
        ("same file", comparison(&base, &base)),
        ("prefix change", comparison(&base, &prefix)),
        (
            "suffix change (a block appended)",
            comparison(&base, &suffix),
        ),
        (
            "middle change with a moved block",
            comparison(&base, &middle),
        ),
    ]
    .iter()
    .map(|(label, c)| format!("# {label}\n{c}"))
    .collect::<String>();
    insta::assert_snapshot!(text);
}

#[test]
fn the_cli_inspects_compares_and_textconverts() {
    let dir = tempfile::tempdir().unwrap();
    let base = blocks(10, 6);
    let mut changed = base.clone();
    changed[3] = blocks(11, 1)[0];
    std::fs::write(dir.path().join("old.workflow"), export(&base)).unwrap();
    std::fs::write(dir.path().join("new.workflow"), export(&changed)).unwrap();
    std::fs::write(dir.path().join("bad.workflow"), b"not hex at all").unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_wxcflow"))
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap();
        format!(
            "$ wxcflow {}\nexit: {}\n{}{}",
            args.join(" "),
            out.status.code().unwrap(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    let transcript = [
        run(&["inspect", "old.workflow", "new.workflow"]),
        run(&["inspect", "bad.workflow"]),
        run(&["textconv", "new.workflow"]),
    ]
    .join("\n");
    insta::assert_snapshot!(transcript);
    let json = Command::new(env!("CARGO_BIN_EXE_wxcflow"))
        .args([
            "inspect",
            "--format",
            "json",
            "old.workflow",
            "new.workflow",
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(value["files"][0]["inspection"]["blocks"], 6);
    assert_eq!(
        value["comparison"]["changed_new"],
        serde_json::json!({"start": 3, "end": 4})
    );
}

#[test]
fn git_diff_shows_export_changes_through_textconv() {
    let dir = tempfile::tempdir().unwrap();
    let git = |args: &[&str]| common::git(dir.path(), args);
    git(&["init", "-q"]);
    std::fs::write(
        dir.path().join(".gitattributes"),
        "*.workflow diff=wxcflow\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("flow.workflow"), export(&blocks(12, 5))).unwrap();
    git(&["add", "."]);
    git(&["commit", "-qm", "export"]);
    let mut changed = blocks(12, 5);
    changed.push(blocks(13, 1)[0]);
    std::fs::write(dir.path().join("flow.workflow"), export(&changed)).unwrap();
    let body = common::textconv_diff(dir.path(), "flow.workflow");
    insta::assert_snapshot!(body);
}
