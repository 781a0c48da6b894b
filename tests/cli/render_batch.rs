//! `render` batches: what is skipped and why, what a run leaves in its output folder (its own
//! documents, a manifest, nothing stale), provenance, and incremental re-rendering.
// A test stops at the first thing that is not as expected.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg(unix)]

use crate::common;

use common::{transcript, wxcflow};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, SystemTime};

/// A folder with the GetOAuthToken template as `t.toml` and the given tenant files.
fn batch(tenants: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("t.toml"), wxcflow::DEFAULT_SPEC).unwrap();
    std::fs::create_dir(dir.path().join("tenants")).unwrap();
    for (name, text) in tenants {
        std::fs::write(dir.path().join("tenants").join(name), text).unwrap();
    }
    dir
}

fn render(dir: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["render", "t.toml", "--tenants", "tenants", "-o", "out"];
    args.extend_from_slice(extra);
    wxcflow(dir, &args)
}

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn manifest(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("out/wxcflow-manifest.json")).unwrap()).unwrap()
}

fn sha256(bytes: &[u8]) -> String {
    wxcflow::flow::Source::sha256_hex(bytes)
}

const OFF: &str = "debug_report = false\n";
const ON: &str = "debug_report = true\n";

#[test]
fn every_skipped_entry_is_reported_with_its_reason() {
    let dir = batch(&[
        ("acme.toml", OFF),
        ("GLOBEX.TOML", OFF),
        ("._acme.toml", "\u{0}\u{5}\u{16}\u{7}binary resource fork"),
        ("README.md", "notes\n"),
    ]);
    let tenants = dir.path().join("tenants");
    std::fs::create_dir(tenants.join("folder.toml")).unwrap();
    std::os::unix::fs::symlink("missing.toml", tenants.join("dangling.toml")).unwrap();
    std::os::unix::fs::symlink("loop.toml", tenants.join("loop.toml")).unwrap();
    assert!(Command::new("mkfifo")
        .arg(tenants.join("pipe.toml"))
        .status()
        .unwrap()
        .success());
    // A FIFO that were opened would block the run for ever: wait with a deadline.
    let mut child = Command::new(env!("CARGO_BIN_EXE_wxcflow"))
        .args(["render", "t.toml", "--tenants", "tenants", "-o", "out"])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("render blocked on a FIFO");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let notes: Vec<&str> = stderr.lines().filter(|l| l.starts_with("note:")).collect();
    assert_eq!(
        notes,
        [
            "note: skipped tenants/._acme.toml: macOS metadata (AppleDouble), not a tenant file",
            "note: skipped tenants/README.md: not a .toml file",
            "note: skipped tenants/dangling.toml: a link that cannot be followed",
            "note: skipped tenants/folder.toml: a directory, not a file",
            "note: skipped tenants/loop.toml: a link that cannot be followed",
            "note: skipped tenants/pipe.toml: a FIFO, not a regular file (it could block the batch)",
        ]
    );
    // `*.TOML` is a tenant like any other: its name is the stem as written.
    assert_eq!(
        listing(&dir.path().join("out")),
        [
            "GLOBEX.flow.json",
            "acme.flow.json",
            "wxcflow-manifest.json"
        ]
    );
}

/// A tenant file typing a URL's password, in a value the document does not carry (the debug
/// report switched off): the document's provenance and the manifest hold the file's sha256,
/// from which the password could be guessed offline, so both are private.
#[cfg(unix)]
#[test]
fn a_tenant_file_typing_a_credential_makes_its_document_private() {
    use std::os::unix::fs::PermissionsExt as _;
    let typed = "debug_report = false\ndebug_url = \"https://dbg:HUNTER2@catcher.example.com/\"\n";
    let dir = batch(&[("acme.toml", typed), ("plain.toml", OFF)]);
    let out = render(dir.path(), &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mode = |name: &str| {
        let meta = std::fs::metadata(dir.path().join("out").join(name)).unwrap();
        meta.permissions().mode() & 0o777
    };
    assert_eq!(mode("acme.flow.json"), 0o600);
    assert_eq!(mode("wxcflow-manifest.json"), 0o600);
    assert_ne!(mode("plain.flow.json"), 0o600);
    let document = std::fs::read_to_string(dir.path().join("out/acme.flow.json")).unwrap();
    assert!(!document.contains("HUNTER2"));
}

#[test]
fn a_dash_is_no_output_folder() {
    // `-` is standard output elsewhere: refused, and no folder named `-` is made.
    let dir = batch(&[("acme.toml", OFF)]);
    let out = wxcflow(
        dir.path(),
        &["render", "t.toml", "--tenants", "tenants", "-o", "-"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`-` is not a folder here"));
    let init = wxcflow(dir.path(), &["init", "-"]);
    assert_eq!(init.status.code(), Some(2));
    assert!(init.stdout.is_empty());
    let man = wxcflow(dir.path(), &["man", "-"]);
    assert_eq!(man.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&man.stderr).contains("`-` is not a folder here"));
    assert!(out.stdout.is_empty() && man.stdout.is_empty());
    assert_eq!(listing(dir.path()), ["t.toml", "tenants"]);
}

#[test]
fn no_tenants_or_no_scenarios_is_exit_1() {
    let dir = batch(&[("README.md", "notes\n")]);
    let out = render(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr)
        .ends_with("error: no tenant files (*.toml) in tenants; nothing was rendered\n"));
    std::fs::create_dir(dir.path().join("scenarios")).unwrap();
    let test = wxcflow(dir.path(), &["test", "scenarios"]);
    assert_eq!(test.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&test.stderr),
        "error: no scenario files (*.toml) in scenarios; nothing was tested\n"
    );
    // A scenario that expects nothing would pass whatever the flow does.
    std::fs::write(dir.path().join("scenarios/empty.toml"), "").unwrap();
    let empty = wxcflow(dir.path(), &["test", "scenarios"]);
    assert_eq!(empty.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&empty.stdout),
        "FAIL  scenarios/empty.toml: it expects nothing: give [expect] an outcome, variables, visited nodes, requests or an error\n0 passed, 1 failed\n"
    );
}

#[test]
fn a_stale_document_changed_since_it_was_written_is_kept() {
    let dir = batch(&[("a.toml", OFF), ("b.toml", OFF), ("c.toml", OFF)]);
    assert_eq!(render(dir.path(), &[]).status.code(), Some(0));
    // Someone edits b's document by hand; then b and c leave.
    let b = dir.path().join("out/b.flow.json");
    let edited = std::fs::read_to_string(&b)
        .unwrap()
        .replace("GetOAuthToken", "Mine");
    std::fs::write(&b, &edited).unwrap();
    std::fs::remove_file(dir.path().join("tenants/b.toml")).unwrap();
    std::fs::remove_file(dir.path().join("tenants/c.toml")).unwrap();
    let out = render(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("removed stale document: c.flow.json\n"),
        "{stderr}"
    );
    assert!(
        stderr.contains("kept b.flow.json: changed since wxcflow wrote it: remove it by hand\n"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&b).unwrap(), edited);
    assert_eq!(
        manifest(dir.path())["removed"],
        serde_json::json!(["c.flow.json"])
    );
}

#[test]
fn a_gone_tenants_secret_document_is_named_on_every_render_until_pruned() {
    let secret = "token_service_url = \"https://t.example.com/x\"\ntoken_passphrase = { file = \"../pass.txt\" }\n";
    let dir = batch(&[("a.toml", OFF), ("s.toml", secret)]);
    std::fs::write(dir.path().join("pass.txt"), "pass-123\n").unwrap();
    // The secret file lies beside the tenants' folder: allowed by --secrets-dir.
    let first = render(dir.path(), &["--secrets-dir", "."]);
    assert_eq!(first.status.code(), Some(0), "{}", transcript(&first));
    let entry = &manifest(dir.path())["tenants"][1];
    assert_eq!(entry["private"], true);
    // Its digest tells nothing of the secret: it is the digest of the document with the secret
    // replaced by its declared place, and it is not the digest of the bytes.
    let document = dir.path().join("out/s.flow.json");
    let bytes = std::fs::read(&document).unwrap();
    assert_ne!(entry["output_sha256"], sha256(&bytes).as_str());
    assert_eq!(
        entry["secret_places"],
        serde_json::json!({ "x-token-passphrase": "file ../pass.txt" })
    );
    let redacted = String::from_utf8(bytes.clone())
        .unwrap()
        .replace("\"pass-123\"", "\"(secret: file ../pass.txt)\"");
    assert_eq!(entry["output_sha256"], sha256(redacted.as_bytes()).as_str());
    // Its tenant leaves: the document is kept and named on this render and every later one.
    std::fs::remove_file(dir.path().join("tenants/s.toml")).unwrap();
    let named = "kept s.flow.json: its tenant is gone or failed and it holds secrets; `render --prune` removes it\n";
    for _ in 0..2 {
        let out = render(dir.path(), &[]);
        assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(named),
            "{}",
            transcript(&out)
        );
        assert_eq!(std::fs::read(&document).unwrap(), bytes);
        assert_eq!(manifest(dir.path())["kept"][0]["output"], "s.flow.json");
        // verify fails on it.
        let verify = wxcflow(dir.path(), &["verify", "out"]);
        assert_eq!(verify.status.code(), Some(1), "{}", transcript(&verify));
        assert!(String::from_utf8_lossy(&verify.stdout).contains(
            "kept: s.flow.json: a document of tenant s, which is gone or failed, holding secrets; `render --prune` removes it\n"
        ));
    }
    // --prune removes it, and then the folder is clean.
    let out = render(dir.path(), &["--prune"]);
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("removed stale document: s.flow.json\n"));
    assert!(!document.exists());
    assert_eq!(manifest(dir.path())["kept"], serde_json::json!([]));
    assert_eq!(
        wxcflow(dir.path(), &["verify", "out"]).status.code(),
        Some(0)
    );
}

#[test]
fn prune_never_removes_a_file_wxcflow_did_not_write_or_one_edited_since() {
    let secret = "token_service_url = \"https://t.example.com/x\"\ntoken_passphrase = { file = \"../pass.txt\" }\n";
    let dir = batch(&[("a.toml", OFF), ("s.toml", secret)]);
    std::fs::write(dir.path().join("pass.txt"), "pass-123\n").unwrap();
    // The secret file lies beside the tenants' folder: allowed by --secrets-dir.
    let first = render(dir.path(), &["--secrets-dir", "."]);
    assert_eq!(first.status.code(), Some(0), "{}", transcript(&first));
    std::fs::write(dir.path().join("out/mine.flow.json"), "mine\n").unwrap();
    let document = dir.path().join("out/s.flow.json");
    let edited = std::fs::read_to_string(&document)
        .unwrap()
        .replace("GetOAuthToken", "Mine");
    std::fs::write(&document, &edited).unwrap();
    std::fs::remove_file(dir.path().join("tenants/s.toml")).unwrap();
    let out = render(dir.path(), &["--prune"]);
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("kept s.flow.json: changed since wxcflow wrote it: remove it by hand\n"));
    assert_eq!(std::fs::read_to_string(&document).unwrap(), edited);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out/mine.flow.json")).unwrap(),
        "mine\n"
    );
}

#[test]
fn a_huge_job_count_is_capped_and_changes_no_byte() {
    let tenants: Vec<(String, &str)> = (0..40).map(|i| (format!("t{i:02}.toml"), OFF)).collect();
    let refs: Vec<(&str, &str)> = tenants.iter().map(|(n, t)| (n.as_str(), *t)).collect();
    let dir = batch(&refs);
    let none = render(dir.path(), &["--jobs", "0"]);
    assert_eq!(none.status.code(), Some(2), "{}", transcript(&none));
    assert!(!dir.path().join("out").exists());
    let many = render(dir.path(), &["--jobs", "100000"]);
    assert_eq!(many.status.code(), Some(0), "{}", transcript(&many));
    let first = std::fs::read(dir.path().join("out/t07.flow.json")).unwrap();
    std::fs::remove_dir_all(dir.path().join("out")).unwrap();
    let one = render(dir.path(), &["--jobs", "1"]);
    assert_eq!(one.status.code(), Some(0));
    assert_eq!(
        first,
        std::fs::read(dir.path().join("out/t07.flow.json")).unwrap()
    );
}

#[test]
fn the_output_folder_describes_exactly_the_last_run() {
    let dir = batch(&[("a.toml", OFF), ("b.toml", OFF), ("c.toml", ON)]);
    assert_eq!(render(dir.path(), &[]).status.code(), Some(0));
    // A file wxcflow never wrote stays, whatever its name.
    std::fs::write(dir.path().join("out/notes.flow.json"), "mine\n").unwrap();
    // b now fails, c is gone.
    std::fs::write(
        dir.path().join("tenants/b.toml"),
        "debug_report = \"maybe\"\n",
    )
    .unwrap();
    std::fs::remove_file(dir.path().join("tenants/c.toml")).unwrap();
    let out = render(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("removed stale documents: b.flow.json, c.flow.json\n"),
        "{stderr}"
    );
    assert_eq!(
        listing(&dir.path().join("out")),
        ["a.flow.json", "notes.flow.json", "wxcflow-manifest.json"]
    );
    let template = std::fs::read(dir.path().join("t.toml")).unwrap();
    let a_source = std::fs::read(dir.path().join("tenants/a.toml")).unwrap();
    let a_output = std::fs::read(dir.path().join("out/a.flow.json")).unwrap();
    let b_source = std::fs::read(dir.path().join("tenants/b.toml")).unwrap();
    let expected = serde_json::json!({
        "format": "wxcflow.manifest/2",
        "state": "complete",
        "tool": concat!("wxcflow ", env!("CARGO_PKG_VERSION")),
        "build": wxcflow::flow::Provenance::BUILD_ID,
        "commit": wxcflow::flow::Provenance::COMMIT,
        "template": { "name": "t.toml", "sha256": sha256(&template) },
        "tenants": [
            {
                "name": "a",
                "source": { "name": "a.toml", "sha256": sha256(&a_source) },
                "output": "a.flow.json",
                "status": "ok",
                "output_sha256": sha256(&a_output),
                "private": false,
                "secret_places": {},
                "errors": [],
                "warnings": []
            },
            {
                "name": "b",
                "source": { "name": "b.toml", "sha256": sha256(&b_source) },
                "output": "b.flow.json",
                "status": "failed",
                "output_sha256": null,
                "private": false,
                "secret_places": {},
                "errors": ["wxc::param-type"],
                "warnings": []
            }
        ],
        "removed": ["b.flow.json", "c.flow.json"],
        "kept": []
    });
    assert_eq!(manifest(dir.path()), expected);
}

#[test]
fn documents_carry_their_provenance_and_diff_ignores_it() {
    let dir = batch(&[("a.toml", OFF), ("b.toml", OFF)]);
    assert_eq!(render(dir.path(), &[]).status.code(), Some(0));
    let a = std::fs::read(dir.path().join("out/a.flow.json")).unwrap();
    let document: wxcflow::flow::Document = serde_json::from_slice(&a).unwrap();
    let provenance = document.provenance.unwrap();
    assert_eq!(
        provenance.tool,
        concat!("wxcflow ", env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(provenance.template.name, "t.toml");
    let tenant = provenance.tenant.unwrap();
    assert_eq!(
        (tenant.name.as_str(), tenant.sha256),
        ("a.toml", sha256(OFF.as_bytes()))
    );
    // Same inputs, same bytes: a second folder gets identical documents.
    let again = wxcflow(
        dir.path(),
        &["render", "t.toml", "--tenants", "tenants", "-o", "again"],
    );
    assert_eq!(again.status.code(), Some(0));
    assert_eq!(
        a,
        std::fs::read(dir.path().join("again/a.flow.json")).unwrap()
    );
    // a and b differ only in provenance: no logic change.
    let diff = wxcflow(dir.path(), &["diff", "out/a.flow.json", "out/b.flow.json"]);
    assert_eq!(diff.status.code(), Some(0), "{}", transcript(&diff));
    // And the document validates against the published schema, provenance included.
    let value: serde_json::Value = serde_json::from_slice(&a).unwrap();
    assert_eq!(
        wxcflow::validate::DocumentValidator::new().validate(&value),
        Vec::<String>::new()
    );
}

#[test]
fn re_rendering_rewrites_exactly_the_changed_tenants() {
    let dir = batch(&[("a.toml", OFF), ("b.toml", OFF), ("c.toml", OFF)]);
    assert_eq!(render(dir.path(), &[]).status.code(), Some(0));
    let old = SystemTime::UNIX_EPOCH + Duration::from_secs(946_684_800);
    for name in ["a", "b", "c"] {
        std::fs::File::options()
            .write(true)
            .open(dir.path().join(format!("out/{name}.flow.json")))
            .unwrap()
            .set_modified(old)
            .unwrap();
    }
    std::fs::write(dir.path().join("tenants/b.toml"), ON).unwrap();
    let out = render(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("rendered 3 tenants: 1 written, 2 unchanged, 0 failed, in out\n"));
    // Unchanged inputs are not even rebuilt (with the debug report off, GetOAuthToken has no
    // warnings to list from the manifest).
    assert!(
        stderr.contains("note: 2 tenants unchanged since the last render were not rebuilt\n"),
        "{stderr}"
    );
    let modified = |name: &str| {
        std::fs::metadata(dir.path().join(format!("out/{name}.flow.json")))
            .unwrap()
            .modified()
            .unwrap()
    };
    assert_eq!(modified("a"), old);
    assert_eq!(modified("c"), old);
    assert_ne!(modified("b"), old);
    let b = std::fs::read_to_string(dir.path().join("out/b.flow.json")).unwrap();
    assert!(
        b.contains("debug_report"),
        "b was rebuilt with the debug report"
    );
}

#[test]
fn a_tenant_sheet_names_its_tenant() {
    let dir = batch(&[("acme.toml", OFF)]);
    let out = wxcflow(
        dir.path(),
        &["sheet", "t.toml", "--values", "tenants/acme.toml"],
    );
    assert_eq!(out.status.code(), Some(0));
    let sheet = String::from_utf8_lossy(&out.stdout);
    assert!(sheet.starts_with("# Build sheet: GetOAuthToken for tenant acme\n"));
    let plain = wxcflow(dir.path(), &["sheet", "t.toml"]);
    assert!(String::from_utf8_lossy(&plain.stdout).starts_with("# Build sheet: GetOAuthToken\n"));
}

#[test]
fn every_decompiled_spec_is_recognised_as_a_spec() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let mut specs: Vec<_> = std::fs::read_dir(root.join("fixtures/valid"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    specs.sort();
    for spec in specs {
        let name = spec.file_stem().unwrap().to_string_lossy().into_owned();
        let document = dir.path().join(format!("{name}.flow.json"));
        let restored = dir.path().join(format!("{name}.toml"));
        let build = wxcflow(
            dir.path(),
            &[
                "build",
                spec.to_str().unwrap(),
                "-o",
                document.to_str().unwrap(),
            ],
        );
        assert_eq!(build.status.code(), Some(0), "{name}");
        let decompile = wxcflow(
            dir.path(),
            &[
                "decompile",
                document.to_str().unwrap(),
                "-o",
                restored.to_str().unwrap(),
            ],
        );
        assert_eq!(decompile.status.code(), Some(0), "{name}");
        let text = std::fs::read_to_string(&restored).unwrap();
        assert!(text.starts_with('['), "{name}: the case under test");
        let (doc, spec) = (document.to_str().unwrap(), restored.to_str().unwrap());
        let diff = wxcflow(dir.path(), &["diff", spec, doc]);
        assert_eq!(diff.status.code(), Some(0), "{name}: {}", transcript(&diff));
        let inspect = wxcflow(dir.path(), &["inspect", spec]);
        assert!(
            String::from_utf8_lossy(&inspect.stdout).contains(": wxcflow spec for `"),
            "{name}: {}",
            transcript(&inspect)
        );
        let from_spec = wxcflow(dir.path(), &["textconv", spec]).stdout;
        let from_document = wxcflow(dir.path(), &["textconv", doc]).stdout;
        assert_eq!(from_spec, from_document, "{name}");
    }
}

#[test]
fn values_from_outside_the_tenant_file_and_edited_documents_are_rebuilt() {
    let dir = batch(&[
        ("a.toml", "debug_url = { env = \"A_DEBUG_URL\" }\n"),
        ("b.toml", ON),
    ]);
    let run = |url: &str| {
        Command::new(env!("CARGO_BIN_EXE_wxcflow"))
            .args(["render", "t.toml", "--tenants", "tenants", "-o", "out"])
            .current_dir(dir.path())
            .env("A_DEBUG_URL", url)
            .output()
            .unwrap()
    };
    assert_eq!(run("https://one.example/").status.code(), Some(0));
    // The tenant file is the same; the environment is not.
    std::fs::write(dir.path().join("out/b.flow.json"), "edited by hand\n").unwrap();
    let out = run("https://two.example/");
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("rendered 2 tenants: 2 written, 0 unchanged, 0 failed, in out\n"));
    assert!(std::fs::read_to_string(dir.path().join("out/a.flow.json"))
        .unwrap()
        .contains("https://two.example/"));
    assert!(std::fs::read_to_string(dir.path().join("out/b.flow.json"))
        .unwrap()
        .contains("GetOAuthToken"));
}

#[test]
fn a_fifo_planted_in_outdir_or_as_a_secret_file_fails_that_tenant_and_blocks_nothing() {
    let dir = batch(&[
        ("a.toml", OFF),
        ("b.toml", OFF),
        ("c.toml", "static_token = { file = \"pipe\" }\n"),
    ]);
    std::fs::create_dir(dir.path().join("out")).unwrap();
    for fifo in ["out/a.flow.json", "tenants/pipe"] {
        let status = std::process::Command::new("mkfifo")
            .arg(dir.path().join(fifo))
            .status()
            .unwrap();
        assert!(status.success());
    }
    let out = render(dir.path(), &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // A document that cannot be written is an I/O failure: exit 2.
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("out/a.flow.json: it is not a regular file"),
        "{stderr}"
    );
    assert!(
        stderr.contains("comes from file pipe: not a regular file"),
        "{stderr}"
    );
    assert!(dir.path().join("out/b.flow.json").is_file());
    // The closing error names the documents not written, not the tenants that failed to build.
    let last = stderr.lines().last().unwrap();
    assert!(
        last.starts_with("error: not written: a.flow.json ("),
        "{stderr}"
    );
    // The manifest says why each failed: the document that could not be written is an I/O error.
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("out/wxcflow-manifest.json")).unwrap(),
    )
    .unwrap();
    let errors = |name: &str| {
        manifest["tenants"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name)
            .map(|t| t["errors"].clone())
            .unwrap()
    };
    assert_eq!(errors("a"), serde_json::json!(["wxc::io"]));
    assert_eq!(errors("b"), serde_json::json!([]));
    assert_eq!(
        errors("c"),
        serde_json::json!(["wxc::secret-file-not-allowed"])
    );
}

/// The library's record of a batch, without a process: names, the tally and its report.
mod tally {
    use std::collections::BTreeMap;
    use wxcflow::emit::provenance::{Manifest, ManifestEntry, Status};
    use wxcflow::render::batch::*;

    fn entry(name: &str) -> ManifestEntry {
        ManifestEntry {
            name: name.into(),
            source: wxcflow::flow::Source::of(&format!("{name}.toml"), b"x = 1\n"),
            output: format!("{name}{DOCUMENT_SUFFIX}"),
            status: Status::Ok,
            output_sha256: Some(wxcflow::flow::Source::sha256_hex(name.as_bytes())),
            private: false,
            secret_places: BTreeMap::new(),
            errors: Vec::new(),
            warnings: Vec::new(),
        }
    }

    #[test]
    fn tenant_files_are_named_by_their_stem_in_any_case() {
        assert_eq!(tenant_name("ACME.TOML"), Ok("ACME"));
        assert_eq!(tenant_name("a.toml"), Ok("a"));
        assert_eq!(tenant_name(".toml"), Err(SkipReason::NotToml));
        assert_eq!(tenant_name("notes.md"), Err(SkipReason::NotToml));
        assert_eq!(tenant_name("x\u{e9}toml"), Err(SkipReason::NotToml));
        assert_eq!(tenant_name("._acme.toml"), Err(SkipReason::AppleDouble));
        assert_eq!(pool_size(Some(0), 3, 2), 2);
        assert_eq!(pool_size(Some(100), 1000, 2), 8);
        assert_eq!(pool_size(None, 0, 2), 1);
    }

    #[test]
    fn names_are_refused_with_the_file_and_rule_or_the_collision() {
        let names = |list: &[&'static str]| {
            check_names(list.iter().map(|n| (*n, format!("t/{n}.toml")))).map_err(|p| p.to_string())
        };
        assert_eq!(names(&["a", "b"]), Ok(()));
        assert_eq!(
        names(&["a", "-x"]),
        Err("tenant name `-x` (t/-x.toml) is not a safe file name: a tenant name must not start with `-` (read as an option by tools)".into())
    );
        assert_eq!(
            names(&["Acme", "acme"]),
            Err(
                "tenants `Acme` (t/Acme.toml) and `acme` (t/acme.toml) would write the same file on a case-insensitive disk"
                    .into()
            )
        );
        // The same name from two files (`acme.toml`, `acme.TOML`): their files tell them apart.
        let same = check_names([
            ("acme", "t/acme.toml".into()),
            ("acme", "t/acme.TOML".into()),
        ]);
        assert_eq!(
            same.map_err(|p| p.to_string()),
            Err(
                "tenants `acme` (t/acme.toml) and `acme` (t/acme.TOML) would write the same file"
                    .into()
            )
        );
    }

    struct FakeFolder(BTreeMap<String, Vec<u8>>);

    impl Folder for FakeFolder {
        fn found(&self, output: &str) -> Found {
            self.0
                .get(output)
                .map_or(Found::Absent, |b| Found::File(b.clone()))
        }
        fn remove(&self, output: &str) -> bool {
            output != "stuck.flow.json"
        }
    }

    #[test]
    fn a_tally_records_every_tenant_and_reports_what_the_render_did() {
        let template = wxcflow::flow::Source::of("t.toml", b"");
        let mut previous = Manifest::new(template.clone());
        for name in ["gone", "stuck", "edited"] {
            previous.tenants.push(entry(name));
        }
        let folder = FakeFolder(
            ["gone", "stuck"]
                .map(|n| (format!("{n}{DOCUMENT_SUFFIX}"), n.as_bytes().to_vec()))
                .into_iter()
                .chain([("edited.flow.json".to_string(), b"by hand".to_vec())])
                .collect(),
        );
        let mut tally = Tally::new(template, 4);
        tally.failed("bad", None, vec![String::new()], Vec::new());
        let stamp = wxcflow::flow::Source::of("a.toml", b"");
        let written = |changed| TenantOutcome {
            diagnostics: Vec::new(),
            secret_spans: Vec::new(),
            written: Ok(Written {
                changed,
                private: false,
                sha256: "00".into(),
                secret_places: BTreeMap::new(),
            }),
            reused_warnings: None,
        };
        tally.record("a", &stamp, written(true));
        tally.record("b", &stamp, written(false));
        tally.record(
            "c",
            &stamp,
            TenantOutcome::reused("00".into(), vec!["wxc::x".into()]),
        );
        tally.settle_stale(Some(&previous), false, &folder);
        assert_eq!(tally.failures(), ["bad"]);
        assert_eq!(tally.manifest.tenants[0].source.name, "bad.toml");
        assert_eq!(tally.manifest.removed, ["gone.flow.json"]);
        assert_eq!(
        tally.reused_note("out/m.json").as_deref(),
        Some("note: 1 tenant unchanged since the last render was not rebuilt; 1 of them had warnings, listed in out/m.json")
    );
        assert_eq!(
            tally.report("out"),
            [
                "rendered 4 tenants: 1 written, 2 unchanged, 1 failed, in out",
                "removed stale document: gone.flow.json",
                "kept edited.flow.json: changed since wxcflow wrote it: remove it by hand",
                "kept stuck.flow.json: could not be removed",
            ]
        );
        assert_eq!(
            tally.checked(),
            "checked 4 tenants: 3 built, 1 failed; nothing was written"
        );
    }
}
