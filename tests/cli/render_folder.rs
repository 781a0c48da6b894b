//! A render folder that tells the truth: the render lock, the manifest in progress, `verify`,
//! the build id, `render --check` in memory, tenant names as file names, skipped entries
//! summarised, and tenant files that are links out of the folder or not UTF-8.
// A test stops at the first thing that is not as expected.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg(unix)]

use crate::common;

use common::{transcript, wxcflow};
use std::path::Path;

const OFF: &str = "debug_report = false\n";
const SECRET: &str = "token_service_url = \"https://t.example.com/x\"\ntoken_passphrase = { file = \"../pass.txt\" }\n";

/// A folder with the GetOAuthToken template as `t.toml`, the given tenant files, and a secret
/// file `pass.txt` for tenants written with [`SECRET`].
fn batch(tenants: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("t.toml"), wxcflow::DEFAULT_SPEC).unwrap();
    std::fs::write(dir.path().join("pass.txt"), "pass-123\n").unwrap();
    std::fs::create_dir(dir.path().join("tenants")).unwrap();
    for (name, text) in tenants {
        std::fs::write(dir.path().join("tenants").join(name), text).unwrap();
    }
    dir
}

fn render(dir: &Path, extra: &[&str]) -> std::process::Output {
    // The tenants' secret file lies beside their folder: allowed by --secrets-dir.
    let mut args = vec![
        "render",
        "t.toml",
        "--tenants",
        "tenants",
        "-o",
        "out",
        "--secrets-dir",
        ".",
    ];
    args.extend_from_slice(extra);
    wxcflow(dir, &args)
}

fn verify(dir: &Path) -> (Option<i32>, String) {
    let out = wxcflow(dir, &["verify", "out"]);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn manifest(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("out/wxcflow-manifest.json")).unwrap()).unwrap()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Every file of a folder with its bytes, sorted by name.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap_or_default(),
            )
        })
        .collect();
    files.sort();
    files
}

/// A document that cannot be written (a full disk, `ulimit -f`) is an I/O failure, exit 2, and
/// the tenant's earlier document stays as it was: the failure is the disk's, not the tenant's.
#[cfg(target_os = "linux")]
#[test]
fn a_render_that_cannot_write_keeps_the_earlier_documents_and_exits_2() {
    let dir = batch(&[
        (
            "a.toml",
            "token_service_url = \"https://a.example.com/x\"\ndebug_report = false\n",
        ),
        (
            "b.toml",
            "token_service_url = \"https://b.example.com/x\"\ndebug_report = false\n",
        ),
    ]);
    let first = render(dir.path(), &[]);
    assert_eq!(first.status.code(), Some(0), "{}", transcript(&first));
    let before = snapshot(&dir.path().join("out"));
    for name in ["a", "b"] {
        let path = dir.path().join(format!("tenants/{name}.toml"));
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replace("example.com", "example.org")).unwrap();
    }
    let out = common::under_file_size_limit(
        dir.path(),
        10,
        "render t.toml --tenants tenants -o out --prune",
    );
    let text = transcript(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("kept a.flow.json: its new document could not be written"),
        "{text}"
    );
    assert!(!text.contains("removed"), "{text}");
    let after = snapshot(&dir.path().join("out"));
    let documents = |files: &[(String, Vec<u8>)]| -> Vec<(String, Vec<u8>)> {
        files
            .iter()
            .filter(|(n, _)| n.ends_with(".flow.json"))
            .cloned()
            .collect()
    };
    assert_eq!(documents(&after), documents(&before));
    // verify says why they are kept, and what to do: not that --prune removes them.
    let (code, report) = verify(dir.path());
    assert_eq!(code, Some(1), "{report}");
    assert!(
        report.contains("kept: a.flow.json: a document of tenant a, which is gone or failed; the last render could not write its tenant's new document (see its `wxc::io`), so this earlier one was kept as it was: render again once the folder can be written"),
        "{report}"
    );
    assert!(!report.contains("--prune"), "{report}");
    // Room again: the next render writes both.
    let again = render(dir.path(), &[]);
    assert_eq!(again.status.code(), Some(0), "{}", transcript(&again));
    assert_eq!(verify(dir.path()).0, Some(0));
}

/// A killed render may leave its lock file behind, empty: verify passes it. Anything else at
/// that name (a folder holding a copy of a document, a file with content) is reported.
#[test]
fn verify_reports_what_is_not_a_lock_at_the_lock_files_name() {
    let dir = batch(&[("a.toml", OFF)]);
    assert_eq!(render(dir.path(), &[]).status.code(), Some(0));
    let lock = dir.path().join("out/.wxcflow-render.lock");
    std::fs::write(&lock, "").unwrap();
    assert_eq!(verify(dir.path()).0, Some(0), "{}", verify(dir.path()).1);
    std::fs::write(&lock, "hidden copy").unwrap();
    let (code, report) = verify(dir.path());
    assert_eq!(code, Some(1), "{report}");
    assert!(
        report.contains("not the empty file a render locks"),
        "{report}"
    );
    std::fs::remove_file(&lock).unwrap();
    std::fs::create_dir_all(lock.join("sub")).unwrap();
    assert_eq!(verify(dir.path()).0, Some(1));
}

/// The manifest records each tenant file's digest: one of a file that types a secret (a literal
/// secret parameter, `wxc::literal-secret`; a URL's password) would let the secret be guessed
/// offline, so that manifest is 0600, as the document holding the secret is; verify passes.
#[cfg(unix)]
#[test]
fn a_manifest_digesting_a_typed_secret_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = batch(&[("a.toml", OFF)]);
    assert_eq!(render(dir.path(), &[]).status.code(), Some(0));
    let manifest = dir.path().join("out/wxcflow-manifest.json");
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&manifest), 0o644);
    std::fs::write(
        dir.path().join("tenants/a.toml"),
        "token_service_url = \"https://t.example.com/x\"\ntoken_passphrase = \"hunter2\"\n",
    )
    .unwrap();
    let out = render(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    assert!(
        stderr(&out).contains("wxc::literal-secret"),
        "{}",
        stderr(&out)
    );
    common::assert_private(&manifest);
    assert_eq!(verify(dir.path()).0, Some(0), "{}", verify(dir.path()).1);
    // A URL's password typed in a tenant file: the document is private, and so the manifest.
    std::fs::write(
        dir.path().join("tenants/a.toml"),
        "token_service_url = \"https://u:hunter2@t.example.com/x\"\ndebug_report = false\n",
    )
    .unwrap();
    std::fs::set_permissions(&manifest, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = render(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    common::assert_private(&manifest);
    assert_eq!(verify(dir.path()).0, Some(0), "{}", verify(dir.path()).1);
    // A password in a value the document does not carry (the report is off): the document is
    // private for its tenant file alone; verify passes it, and holds it to 0600.
    std::fs::write(
        dir.path().join("tenants/a.toml"),
        "debug_url = \"https://u:hunter2@d.example.com/x\"\ndebug_report = false\n",
    )
    .unwrap();
    let out = render(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    let document = dir.path().join("out/a.flow.json");
    common::assert_private(&document);
    assert!(!std::fs::read_to_string(&document)
        .unwrap()
        .contains("hunter2"));
    assert_eq!(verify(dir.path()), (Some(0), verify(dir.path()).1));
    std::fs::set_permissions(&document, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert_eq!(
        verify(dir.path()),
        (
            Some(1),
            "not-private: a.flow.json: its provenance records the digest of a tenant file or \
             template that types a secret and its mode is 0644 (it must be 0600 exactly)\nout: 1 \
             problem\n"
                .to_string()
        )
    );
    // A password typed in the template's default, which the tenant overrides: the template's
    // digest is in the provenance, so the document is private all the same.
    let template = wxcflow::DEFAULT_SPEC.replace(
        "[params.debug_url]\ntype = \"url\"\ndefault = \"\"",
        "[params.debug_url]\ntype = \"url\"\ndefault = \"https://u:hunter2@d.example.com/\"",
    );
    assert_ne!(template, wxcflow::DEFAULT_SPEC);
    std::fs::write(dir.path().join("t.toml"), template).unwrap();
    std::fs::write(
        dir.path().join("tenants/a.toml"),
        "debug_url = \"https://d.example.com/x\"\n",
    )
    .unwrap();
    let out = render(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    common::assert_private(&document);
    common::assert_private(&manifest);
    assert_eq!(verify(dir.path()).0, Some(0), "{}", verify(dir.path()).1);
}

#[test]
fn a_second_render_into_a_locked_folder_exits_2_naming_the_holder() {
    let dir = batch(&[("a.toml", OFF)]);
    assert_eq!(render(dir.path(), &[]).status.code(), Some(0));
    let before = snapshot(&dir.path().join("out"));
    // Another render holds the folder: the test takes the lock as a render does.
    let path = dir.path().join("out/.wxcflow-render.lock");
    let lock = std::fs::File::create(&path).unwrap();
    lock.lock().unwrap();
    std::fs::write(&path, "pid 4242 on build-host since 2026-12-03T23:00:00Z").unwrap();
    std::fs::write(dir.path().join("tenants/a.toml"), "debug_report = true\n").unwrap();
    let out = render(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
    assert_eq!(
        stderr(&out),
        "error: out is being rendered by pid 4242 on build-host since 2026-12-03T23:00:00Z; nothing was written (wait for it to finish, then render again)\n"
    );
    // Nothing changed, the lock file aside.
    let mut after = snapshot(&dir.path().join("out"));
    after.retain(|(n, _)| n != ".wxcflow-render.lock");
    assert_eq!(after, before);
    // verify sees the render at work.
    let (code, report) = verify(dir.path());
    assert_eq!(code, Some(1));
    assert!(report.contains(
        "locked: .wxcflow-render.lock: a render is writing the folder now: pid 4242 on build-host since 2026-12-03T23:00:00Z\n"
    ), "{report}");
    // Once the holder is gone (killed: the kernel drops its lock), the next render goes ahead
    // and leaves no lock file behind.
    drop(lock);
    let out = render(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    assert!(!path.exists());
    assert_eq!(verify(dir.path()).0, Some(0));
}

#[test]
fn a_manifest_left_in_progress_is_reported_and_the_next_render_recovers() {
    let dir = batch(&[("a.toml", OFF), ("b.toml", OFF)]);
    assert_eq!(render(dir.path(), &[]).status.code(), Some(0));
    // A render killed half-way: its manifest says in progress, one document is new.
    let mut value = manifest(dir.path());
    value["state"] = "in-progress".into();
    std::fs::write(
        dir.path().join("out/wxcflow-manifest.json"),
        serde_json::to_string_pretty(&value).unwrap(),
    )
    .unwrap();
    let (code, report) = verify(dir.path());
    assert_eq!(code, Some(1));
    assert!(report.starts_with(
        "interrupted: wxcflow-manifest.json: the manifest is in progress: a render began and did not complete (killed, or still running); render again\n"
    ), "{report}");
    // The next render trusts nothing of it for reuse: every tenant is rebuilt (and, the bytes
    // being the same, none rewritten).
    let out = render(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    assert!(!stderr(&out).contains("not rebuilt"), "{}", stderr(&out));
    assert!(stderr(&out).contains("rendered 2 tenants: 0 written, 2 unchanged, 0 failed, in out\n"));
    assert_eq!(manifest(dir.path())["state"], "complete");
    assert_eq!(verify(dir.path()).0, Some(0));
}

#[test]
fn an_in_progress_manifest_keeps_what_the_folder_held_and_is_never_reused() {
    // What a render writes before its first document (a run cannot be stopped half-way from a
    // test without timing it, so the marker is checked through the library that makes it).
    let template = wxcflow::flow::Source {
        name: "t.toml".into(),
        sha256: "0".repeat(64),
    };
    let mut previous = wxcflow::emit::provenance::Manifest::new(template.clone());
    previous
        .tenants
        .push(wxcflow::emit::provenance::ManifestEntry {
            name: "a".into(),
            source: template.clone(),
            output: "a.flow.json".into(),
            status: wxcflow::emit::provenance::Status::Ok,
            output_sha256: Some("1".repeat(64)),
            private: false,
            secret_places: Default::default(),
            errors: vec![],
            warnings: vec![],
        });
    let marker = wxcflow::emit::provenance::Manifest::in_progress(
        template.clone(),
        Some(&previous),
        &["b.flow.json".to_string()],
    );
    assert_eq!(marker.state, wxcflow::emit::provenance::State::InProgress);
    assert_eq!(marker.build, wxcflow::flow::Provenance::BUILD_ID);
    // It keeps what the folder held, so a killed run still knows what wxcflow wrote there ...
    assert_eq!(marker.tenants, previous.tenants);
    // ... and every document this run may write, by name.
    assert_eq!(marker.planned, ["b.flow.json"]);
    // ... and nothing of it is reused.
    assert!(!marker.reusable_for(&template));
    assert!(previous.reusable_for(&template));
}

#[test]
fn verify_passes_a_clean_folder_and_names_each_problem() {
    let dir = batch(&[
        ("a.toml", OFF),
        ("b.toml", OFF),
        ("c.toml", OFF),
        ("s.toml", SECRET),
    ]);
    let out = render(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    let (code, report) = verify(dir.path());
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(
        report,
        format!(
            "out: 4 documents as one completed render wrote them (build {})\n",
            wxcflow::flow::Provenance::BUILD_ID
        )
    );
    let out_dir = dir.path().join("out");
    // A file whose name holds line breaks cannot forge a line of the report.
    let forged = format!(
        "out: 4 documents as one completed render wrote them (build {})",
        wxcflow::flow::Provenance::BUILD_ID
    );
    let planted = out_dir.join(format!("z\n{forged}\n.tmp"));
    std::fs::write(&planted, "").unwrap();
    let (code, report) = verify(dir.path());
    assert_eq!(code, Some(1), "{report}");
    assert!(!report.lines().any(|l| l == forged), "{report}");
    std::fs::remove_file(planted).unwrap();
    // An extra file, a changed document, a missing one, a secret document changed outside its
    // secret, and one made readable by others.
    std::fs::write(out_dir.join("extra.flow.json"), "{}\n").unwrap();
    let b = std::fs::read_to_string(out_dir.join("b.flow.json")).unwrap();
    std::fs::write(
        out_dir.join("b.flow.json"),
        b.replace("GetOAuthToken", "Other"),
    )
    .unwrap();
    std::fs::remove_file(out_dir.join("c.flow.json")).unwrap();
    let s = std::fs::read_to_string(out_dir.join("s.flow.json")).unwrap();
    std::fs::write(
        out_dir.join("s.flow.json"),
        s.replace("GetOAuthToken", "Other"),
    )
    .unwrap();
    let (code, report) = verify(dir.path());
    assert_eq!(code, Some(1));
    assert_eq!(
        report,
        "changed: b.flow.json: changed since wxcflow wrote it (its sha256 is not the manifest's)\n\
         missing: c.flow.json: tenant c's document is not in the folder\n\
         unlisted: extra.flow.json: a file the manifest does not list\n\
         changed: s.flow.json: changed since wxcflow wrote it (outside its secret values, which its digest does not cover)\n\
         out: 4 problems\n"
    );
    // JSON: the same findings, for CI.
    let json = wxcflow(dir.path(), &["verify", "out", "--format", "json"]);
    assert_eq!(json.status.code(), Some(1));
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(value["ok"], false);
    assert_eq!(value["state"], "complete");
    assert_eq!(value["build"], wxcflow::flow::Provenance::BUILD_ID);
    assert_eq!(value["documents"], 4);
    assert_eq!(
        value["problems"][1],
        serde_json::json!({
            "problem": "missing",
            "file": "c.flow.json",
            "message": "tenant c's document is not in the folder"
        })
    );
}

#[test]
fn verify_cannot_tell_a_changed_secret_value_but_tells_a_readable_secret_document() {
    let dir = batch(&[("s.toml", SECRET)]);
    assert_eq!(render(dir.path(), &[]).status.code(), Some(0));
    let path = dir.path().join("out/s.flow.json");
    // The digest covers the document with the secret replaced by its place: a new value of the
    // secret is not seen (the price of a digest that tells nothing of the secret).
    let s = std::fs::read_to_string(&path).unwrap();
    assert!(s.contains("pass-123"));
    std::fs::write(&path, s.replace("pass-123", "pass-456")).unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert_eq!(verify(dir.path()).0, Some(0));
    // Nor is the secret anywhere in the manifest.
    let text = std::fs::read_to_string(dir.path().join("out/wxcflow-manifest.json")).unwrap();
    assert!(!text.contains("pass-"));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (code, report) = verify(dir.path());
    assert_eq!(code, Some(1));
    assert!(report.contains(
        "not-private: s.flow.json: it holds secrets and its mode is 0644 (it must be 0600 exactly)\n"
    ), "{report}");
    // Any mode but 0600 exactly: owner read-only, or setuid.
    for (mode, shown) in [(0o400, "0400"), (0o4600, "4600")] {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        let (code, report) = verify(dir.path());
        assert_eq!(code, Some(1), "{report}");
        assert!(
            report.contains(&format!("its mode is {shown} (it must be 0600 exactly)")),
            "{report}"
        );
    }
}

/// A manifest a render wrote 0600 (it lists a document holding secrets, so its tenant-file
/// digests could let a typed secret be guessed) is reported by verify when its mode is any
/// other, as such a document is; one written 0644 may have any mode (the umask narrows it).
#[test]
fn verify_tells_a_private_manifest_whose_mode_is_not_0600() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = batch(&[("s.toml", SECRET)]);
    assert_eq!(render(dir.path(), &[]).status.code(), Some(0));
    let path = dir.path().join("out/wxcflow-manifest.json");
    common::assert_private(&path);
    assert_eq!(verify(dir.path()).0, Some(0));
    for (mode, shown) in [(0o644, "0644"), (0o604, "0604"), (0o400, "0400")] {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        let (code, report) = verify(dir.path());
        assert_eq!(code, Some(1), "{report}");
        assert!(
            report.contains(&format!(
                "not-private: wxcflow-manifest.json: it records the digests of tenant files that \
                 may type a secret and its mode is {shown} (it must be 0600 exactly)\n"
            )),
            "{report}"
        );
    }
    let json = wxcflow(dir.path(), &["verify", "out", "--format", "json"]);
    assert_eq!(json.status.code(), Some(1));
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(value["problems"][0]["problem"], "not-private");
    assert_eq!(value["problems"][0]["file"], "wxcflow-manifest.json");
    // A folder without secrets: its manifest is written 0644, and any mode passes.
    let plain = batch(&[("a.toml", OFF)]);
    assert_eq!(render(plain.path(), &[]).status.code(), Some(0));
    let path = plain.path().join("out/wxcflow-manifest.json");
    for mode in [0o644, 0o640, 0o600] {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        assert_eq!(verify(plain.path()).0, Some(0), "{mode:o}");
    }
}

/// A document a killed render planned (`kill -9` mid-render) has no digest: wxcflow cannot tell
/// it from a file edited by hand since, so it is named on every render and kept even with
/// `--prune`, which removes only documents still as wxcflow wrote them; it goes by hand. One
/// the planning render had recorded as written before, still as it was, goes as usual.
#[test]
fn a_document_a_killed_render_planned_is_named_until_removed_by_hand() {
    let dir = batch(&[("a.toml", OFF), ("s.toml", SECRET), ("old.toml", OFF)]);
    assert_eq!(render(dir.path(), &[]).status.code(), Some(0));
    // A render killed after writing a new tenant's document: its manifest in progress planned
    // it; then the tenant is deleted, and so is `old`, whose document the killed render had
    // planned to write again and had not touched yet.
    let mut value = manifest(dir.path());
    value["state"] = "in-progress".into();
    value["planned"] = serde_json::json!([
        "a.flow.json",
        "new.flow.json",
        "old.flow.json",
        "s.flow.json"
    ]);
    std::fs::write(
        dir.path().join("out/wxcflow-manifest.json"),
        serde_json::to_string_pretty(&value).unwrap(),
    )
    .unwrap();
    std::fs::remove_file(dir.path().join("tenants/old.toml")).unwrap();
    let doc = dir.path().join("out/new.flow.json");
    std::fs::copy(dir.path().join("out/s.flow.json"), &doc).unwrap();
    // verify knows the folder is mid-render, and lists the planned document as no stray.
    let (code, report) = verify(dir.path());
    assert_eq!(code, Some(1));
    assert!(!report.contains("unlisted"), "{report}");
    let kept_line = "kept new.flow.json: a render was stopped while it was about to write it, so whether it is still as wxcflow wrote it cannot be told (it may hold secrets): remove it by hand\n";
    // Every render names it and lists it as kept; verify fails on it. `old`, as written, goes.
    for round in 0..2 {
        let out = render(dir.path(), &[]);
        assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
        assert!(stderr(&out).contains(kept_line), "{}", stderr(&out));
        assert_eq!(
            stderr(&out).contains("removed stale document: old.flow.json\n"),
            round == 0,
            "{}",
            stderr(&out)
        );
        let kept = &manifest(dir.path())["kept"];
        assert_eq!(kept[0]["output"], "new.flow.json", "{kept}");
        assert_eq!(kept[0]["status"], "planned", "{kept}");
        assert!(manifest(dir.path()).get("planned").is_none());
    }
    let (code, report) = verify(dir.path());
    assert_eq!(code, Some(1));
    assert_eq!(
        report.lines().next().unwrap(),
        "kept: new.flow.json: a document of tenant new, which is gone or failed; a render was stopped while it was about to write it, so whether it is still as wxcflow wrote it cannot be told (it may hold secrets): remove it by hand"
    );
    // Edited by hand: `--prune` keeps it, as it keeps any document it cannot tell as written.
    std::fs::write(&doc, "{\"edited by hand\": true}\n").unwrap();
    let out = render(dir.path(), &["--prune"]);
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    assert!(stderr(&out).contains(kept_line), "{}", stderr(&out));
    assert!(!stderr(&out).contains("removed"), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(&doc).unwrap(),
        "{\"edited by hand\": true}\n"
    );
    // Removed by hand, it is forgotten.
    std::fs::remove_file(&doc).unwrap();
    assert_eq!(render(dir.path(), &[]).status.code(), Some(0));
    assert_eq!(verify(dir.path()).0, Some(0));
}

#[test]
fn verify_says_what_prune_does_with_a_kept_document() {
    let dir = batch(&[("a.toml", OFF), ("s.toml", SECRET), ("u.toml", SECRET)]);
    assert_eq!(render(dir.path(), &[]).status.code(), Some(0));
    std::fs::remove_file(dir.path().join("tenants/s.toml")).unwrap();
    std::fs::remove_file(dir.path().join("tenants/u.toml")).unwrap();
    assert_eq!(render(dir.path(), &[]).status.code(), Some(0));
    // u's document is changed by hand: prune leaves it.
    let u = dir.path().join("out/u.flow.json");
    let text = std::fs::read_to_string(&u).unwrap();
    std::fs::write(&u, text.replace("GetOAuthToken", "Other")).unwrap();
    let (code, report) = verify(dir.path());
    assert_eq!(code, Some(1));
    assert_eq!(
        report,
        "kept: s.flow.json: a document of tenant s, which is gone or failed, holding secrets; `render --prune` removes it\n\
         kept: u.flow.json: a document of tenant u, which is gone or failed, holding secrets; changed since wxcflow wrote it: remove it by hand\n\
         out: 2 problems\n"
    );
    let out = render(dir.path(), &["--prune"]);
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    assert!(!dir.path().join("out/s.flow.json").exists());
    assert!(u.exists());
    assert!(stderr(&out)
        .contains("kept u.flow.json: changed since wxcflow wrote it: remove it by hand\n"));
}

#[test]
fn verify_decides_itself_which_documents_hold_secrets() {
    let dir = batch(&[("a.toml", OFF), ("s.toml", SECRET)]);
    assert_eq!(render(dir.path(), &[]).status.code(), Some(0));
    // A forged manifest: s "not private", with the plain sha256 of its document; the document
    // made world-readable.
    let path = dir.path().join("out/s.flow.json");
    let bytes = std::fs::read(&path).unwrap();
    let mut value = manifest(dir.path());
    let tenants = value["tenants"].as_array_mut().unwrap();
    let s = tenants.iter_mut().find(|t| t["name"] == "s").unwrap();
    s["private"] = false.into();
    s["secret_places"] = serde_json::json!({});
    s["output_sha256"] = wxcflow::flow::Source::sha256_hex(&bytes).into();
    // And a tenant listed twice, and one whose entry names another tenant's file.
    let mut again = tenants[0].clone();
    tenants.push(again.clone());
    again["name"] = "b".into();
    tenants.push(again);
    std::fs::write(
        dir.path().join("out/wxcflow-manifest.json"),
        serde_json::to_string_pretty(&value).unwrap(),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (code, report) = verify(dir.path());
    assert_eq!(code, Some(1));
    assert_eq!(
        report,
        "inconsistent: a.flow.json: the manifest lists this document more than once\n\
         inconsistent: a.flow.json: the manifest lists this document more than once\n\
         inconsistent: a.flow.json: the manifest's entry for tenant b names this file, not b.flow.json\n\
         not-private: s.flow.json: it holds secrets and its mode is 0644 (it must be 0600 exactly)\n\
         inconsistent: s.flow.json: it holds secrets and the manifest says it does not (`\"private\": false`)\n\
         out: 5 problems\n"
    );
}

#[test]
fn a_hard_link_planted_as_the_lock_file_is_refused() {
    let dir = batch(&[("a.toml", OFF)]);
    std::fs::create_dir(dir.path().join("out")).unwrap();
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, "keep me\n").unwrap();
    std::fs::hard_link(&victim, dir.path().join("out/.wxcflow-render.lock")).unwrap();
    let out = render(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
    assert_eq!(
        stderr(&out),
        "error: cannot lock out: out/.wxcflow-render.lock is not a regular file with exactly one link (a link would make the render write another file); remove it\n"
    );
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me\n");
    assert!(!dir.path().join("out/a.flow.json").exists());
    // A lock file render creates is its own, mode 0600 (checked while a render holds it is not
    // possible without timing; the mode is the one it is created with).
}

#[test]
fn outdir_may_not_be_the_tenants_folder_inside_it_or_a_secrets_dir() {
    let dir = batch(&[("a.toml", OFF)]);
    std::fs::create_dir(dir.path().join("secrets")).unwrap();
    for (out_dir, why) in [
        ("tenants", "is the tenants folder or lies inside it"),
        (
            "tenants/../tenants",
            "is the tenants folder or lies inside it",
        ),
        (
            "tenants/out/deeper",
            "is the tenants folder or lies inside it",
        ),
        ("secrets", "is a --secrets-dir"),
    ] {
        let out = wxcflow(
            dir.path(),
            &[
                "render",
                "t.toml",
                "--tenants",
                "tenants",
                "-o",
                out_dir,
                "--secrets-dir",
                ".",
                "--secrets-dir",
                "secrets",
            ],
        );
        assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
        assert!(stderr(&out).contains(why), "{}", stderr(&out));
        assert!(!dir.path().join("tenants/out").exists());
        assert!(!dir.path().join("tenants/a.flow.json").exists());
        assert!(std::fs::read_dir(dir.path().join("secrets"))
            .unwrap()
            .next()
            .is_none());
    }
}

#[test]
fn verify_without_a_manifest_is_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("out")).unwrap();
    let out = wxcflow(dir.path(), &["verify", "out"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: out has no wxcflow-manifest.json: it is not a render folder\n"
    );
}

#[test]
fn an_outdir_that_is_a_file_is_named_as_not_a_folder_and_left_alone() {
    let dir = batch(&[("a.toml", OFF)]);
    std::fs::write(dir.path().join("out"), "notes\n").unwrap();
    let out = render(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr(&out), "error: out is not a folder\n");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out")).unwrap(),
        "notes\n"
    );
}

#[test]
fn reuse_is_keyed_on_the_build_id_recorded_in_the_manifest() {
    let dir = batch(&[("a.toml", OFF)]);
    assert_eq!(render(dir.path(), &[]).status.code(), Some(0));
    let build = wxcflow::flow::Provenance::BUILD_ID;
    assert_eq!(manifest(dir.path())["build"], build);
    assert!(build.starts_with(concat!(env!("CARGO_PKG_VERSION"), "+src.")));
    let again = render(dir.path(), &[]);
    assert!(
        stderr(&again).contains("note: 1 tenant unchanged since the last render was not rebuilt\n")
    );
    // Another build with the same version: nothing is reused.
    let mut value = manifest(dir.path());
    value["build"] = concat!(env!("CARGO_PKG_VERSION"), "+src.0000").into();
    std::fs::write(
        dir.path().join("out/wxcflow-manifest.json"),
        serde_json::to_string_pretty(&value).unwrap(),
    )
    .unwrap();
    let other = render(dir.path(), &[]);
    assert_eq!(other.status.code(), Some(0));
    assert!(
        !stderr(&other).contains("not rebuilt"),
        "{}",
        stderr(&other)
    );
    assert_eq!(manifest(dir.path())["build"], build);
}

#[test]
fn render_check_writes_nothing_anywhere() {
    let dir = batch(&[
        ("a.toml", OFF),
        ("s.toml", SECRET),
        ("bad.toml", "debug_report = \"maybe\"\n"),
    ]);
    let tmp = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_wxcflow"))
        .args([
            "render",
            "t.toml",
            "--tenants",
            "tenants",
            "--check",
            "--secrets-dir",
            ".",
        ])
        .current_dir(dir.path())
        .env("TMPDIR", tmp.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
    assert!(
        stderr(&out)
            .ends_with("checked 3 tenants: 2 built, 1 failed; nothing was written\nfailed: bad\n"),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains("pass-123"));
    // No scratch folder, no output folder.
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["pass.txt", "t.toml", "tenants"]);
}

#[test]
fn a_240_byte_tenant_name_renders() {
    let name = "t".repeat(240);
    let dir = batch(&[(&format!("{name}.toml"), OFF)]);
    let out = render(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    assert!(dir.path().join(format!("out/{name}.flow.json")).is_file());
    // Rendered again with a change: replaced through a temporary file, which fits as well.
    std::fs::write(
        dir.path().join(format!("tenants/{name}.toml")),
        "debug_report = true\n",
    )
    .unwrap();
    let out = render(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    assert!(stderr(&out).contains("1 written"));
    assert_eq!(verify(dir.path()).0, Some(0));
}

#[test]
fn tenant_names_unsafe_elsewhere_are_refused_with_the_rule_named() {
    for (file, rule) in [
        ("-rf.toml", "a tenant name must not start with `-` (read as an option by tools)"),
        ("CON.toml", "a tenant name must not be a Windows device name (`CON`: CON, PRN, AUX, NUL, COM1-9, LPT1-9, with any extension)"),
        ("aux.backup.toml", "a tenant name must not be a Windows device name (`AUX`: CON, PRN, AUX, NUL, COM1-9, LPT1-9, with any extension)"),
        ("com3.toml", "a tenant name must not be a Windows device name (`COM3`: CON, PRN, AUX, NUL, COM1-9, LPT1-9, with any extension)"),
        ("acme..toml", "a tenant name must not end with `.` or a space (Windows drops them)"),
        ("acme .toml", "a tenant name is made of letters, digits, `_`, `-` and `.`"),
    ] {
        let dir = batch(&[("ok.toml", OFF), (file, OFF)]);
        let out = render(dir.path(), &[]);
        assert_eq!(out.status.code(), Some(2), "{file}: {}", transcript(&out));
        let stem = &file[..file.len() - 5];
        assert_eq!(
            stderr(&out),
            format!("error: tenant name `{stem}` (tenants/{file}) is not a safe file name: {rule}\n"),
        );
        assert!(!dir.path().join("out").exists(), "{file}: nothing written");
    }
}

#[test]
fn many_skipped_entries_are_summarised() {
    let dir = batch(&[("a.toml", OFF)]);
    let tenants = dir.path().join("tenants");
    for i in 0..1000 {
        std::fs::write(tenants.join(format!("note-{i:04}.txt")), "").unwrap();
    }
    for i in 0..5 {
        std::fs::create_dir(tenants.join(format!("z-{i}.toml"))).unwrap();
    }
    let out = render(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    let err = stderr(&out);
    let notes: Vec<&str> = err.lines().filter(|l| l.starts_with("note:")).collect();
    assert_eq!(notes.len(), 11, "{err}");
    assert_eq!(
        notes[0],
        "note: skipped tenants/note-0000.txt: not a .toml file"
    );
    assert_eq!(
        notes[9],
        "note: skipped tenants/note-0009.txt: not a .toml file"
    );
    assert_eq!(
        notes[10],
        "note: and 995 more skipped (990 not .toml, 5 directories)"
    );
}

#[test]
fn a_tenant_link_out_of_the_folder_is_refused_without_reading_it() {
    let dir = batch(&[("a.toml", OFF)]);
    let credential = "https://user:ghp_secret0123456789@github.com\n";
    std::fs::write(dir.path().join("git-credentials"), credential).unwrap();
    std::os::unix::fs::symlink("../git-credentials", dir.path().join("tenants/evil.toml")).unwrap();
    // A link inside the folder is a tenant like any other.
    std::os::unix::fs::symlink("a.toml", dir.path().join("tenants/alias.toml")).unwrap();
    let out = render(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
    let err = stderr(&out);
    assert!(!err.contains("ghp_secret"), "{err}");
    assert!(!err.contains("github.com"), "{err}");
    assert!(err.contains(
        "error: tenants/evil.toml: a symbolic link to a file outside the tenants folder (a tenant file is a regular file inside it; links must stay inside); it was not read\n"
    ), "{err}");
    assert!(err.ends_with("failed: evil\n"), "{err}");
    assert!(dir.path().join("out/alias.flow.json").is_file());
    // `check --tenants` refuses it the same way (as a tenant it cannot read: exit 2).
    let check = wxcflow(dir.path(), &["check", "t.toml", "--tenants", "tenants"]);
    assert_eq!(check.status.code(), Some(2));
    let err = stderr(&check);
    assert!(
        !err.contains("ghp_secret") && err.contains("outside the tenants folder"),
        "{err}"
    );
    // A link out of the folder to a device is refused the same way, not skipped as a device.
    std::fs::remove_file(dir.path().join("tenants/evil.toml")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("tenants/zero.toml")).unwrap();
    let out = render(dir.path(), &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("tenants/zero.toml: a symbolic link to a file outside the tenants folder"),
        "{err}"
    );
}

/// Every command that reads tenant files, with what each must say of a tenant file that does
/// not read: exit code, and what stderr and stdout hold.
fn every_reader_of(dir: &Path, file: &str) -> Vec<(String, std::process::Output)> {
    let values = format!("tenants/{file}");
    let commands: [&[&str]; 7] = [
        &[
            "render",
            "t.toml",
            "--tenants",
            "tenants",
            "-o",
            "out",
            "--secrets-dir",
            ".",
        ],
        &[
            "render",
            "t.toml",
            "--tenants",
            "tenants",
            "--check",
            "--secrets-dir",
            ".",
        ],
        &["check", "t.toml", "--tenants", "tenants"],
        &[
            "check",
            "t.toml",
            "--tenants",
            "tenants",
            "--format",
            "json",
        ],
        &[
            "check",
            "t.toml",
            "--tenants",
            "tenants",
            "--format",
            "sarif",
        ],
        &["build", "t.toml", "--values", &values, "-o", "-"],
        &[
            "build", "t.toml", "--values", &values, "-o", "-", "--format", "json",
        ],
    ];
    commands
        .iter()
        .map(|args| (args.join(" "), wxcflow(dir, args)))
        .collect()
}

/// Each command locates the problem of a tenant file that does not read at `line` of the file,
/// column 1, in text, JSON and SARIF alike, as `wxc::toml-syntax` with exit 1, and shows none
/// of `hidden`.
fn assert_located(dir: &Path, file: &str, line: usize, hidden: &[&str]) {
    let column = 1;
    for (command, out) in every_reader_of(dir, file) {
        let said = transcript(&out);
        assert_eq!(out.status.code(), Some(1), "{command}: {said}");
        for value in hidden {
            assert!(!said.contains(value), "{command} shows {value}: {said}");
        }
        assert!(!said.contains("offset"), "{command}: {said}");
        let stdout = String::from_utf8_lossy(&out.stdout);
        if command.contains("sarif") {
            let log: serde_json::Value = serde_json::from_str(&stdout).unwrap();
            let result = &log["runs"][0]["results"][0];
            assert_eq!(result["ruleId"], "wxc::toml-syntax", "{command}: {said}");
            let location = &result["locations"][0]["physicalLocation"];
            assert_eq!(
                location["artifactLocation"]["uri"],
                format!("tenants/{file}")
            );
            assert_eq!(location["region"]["startLine"], line, "{command}: {said}");
            assert_eq!(
                location["region"]["startColumn"], column,
                "{command}: {said}"
            );
        } else if command.contains("json") {
            // `check` prints its findings on stdout, `build` beside its output, on stderr.
            let printed = match command.starts_with("check") {
                true => stdout.into_owned(),
                false => stderr(&out),
            };
            let found: serde_json::Value = serde_json::from_str(&printed).unwrap();
            assert_eq!(found[0]["code"], "wxc::toml-syntax", "{command}: {said}");
            assert_eq!(
                found[0]["span"],
                serde_json::json!({"file": format!("tenants/{file}"), "line": line, "column": column}),
                "{command}: {said}"
            );
        } else {
            assert!(
                said.contains("error[wxc::toml-syntax]: invalid tenant file: "),
                "{command}: {said}"
            );
            assert!(
                said.contains(&format!("--> tenants/{file}:{line}:{column}\n")),
                "{command}: {said}"
            );
        }
    }
}

/// A tenant file that does not read as TOML is located at its line, the same in every format,
/// and no line of it is quoted. The column is 1: where reading stopped on the line would tell
/// how long the value before it is, which may be a secret (here the error is at column 35).
#[test]
fn a_tenant_file_that_does_not_read_is_located_at_its_line_in_every_format() {
    let dir = batch(&[("a.toml", OFF)]);
    std::fs::write(
        dir.path().join("tenants/broken.toml"),
        "token_service_url = \"https://t.example.com/x\"\nlabel = \"\u{e9} long label value here\" junk\n",
    )
    .unwrap();
    assert_located(
        dir.path(),
        "broken.toml",
        2,
        &["long label value", "junk", "t.example.com"],
    );
}

/// A tenant file that is not UTF-8 is no TOML: that tenant's problem (exit 1) in every command
/// and format, `wxc::toml-syntax` located by the line of its first bad byte, as any
/// tenant file that does not read is, never by its byte offset, and with nothing of it quoted.
#[test]
fn a_tenant_file_that_is_not_utf8_is_the_tenants_problem_located_without_quoting_it() {
    let dir = batch(&[("a.toml", OFF)]);
    let mut bytes = b"password = \"hunter2-very-secret\"\nlabel = \"caf\xc3\xa9 ".to_vec();
    bytes.extend_from_slice(&[0xe9, b'"', b'\n']);
    std::fs::write(dir.path().join("tenants/latin.toml"), &bytes).unwrap();
    // The bad byte is at column 15 (`label = "café ` is 14 characters): told as line 2.
    assert_located(dir.path(), "latin.toml", 2, &["hunter2", "caf", "\u{fffd}"]);
    let out = render(dir.path(), &[]);
    let err = stderr(&out);
    assert!(err.contains("invalid tenant file: not UTF-8 text"), "{err}");
    assert!(err.ends_with("failed: latin\n"), "{err}");
    assert_eq!(
        manifest(dir.path())["tenants"][1]["errors"],
        serde_json::json!(["wxc::toml-syntax"])
    );
}

#[test]
fn verify_tells_a_document_whose_provenance_is_not_the_manifests() {
    let dir = batch(&[("a.toml", OFF), ("b.toml", "debug_report = true\n")]);
    assert_eq!(render(dir.path(), &[]).status.code(), Some(0));
    // a's document put in b's place, and the manifest's digest for b made to match: the digest
    // agrees, but the document was rendered from another tenant file.
    let out_dir = dir.path().join("out");
    std::fs::copy(out_dir.join("a.flow.json"), out_dir.join("b.flow.json")).unwrap();
    let mut value = manifest(dir.path());
    value["tenants"][1]["output_sha256"] = value["tenants"][0]["output_sha256"].clone();
    std::fs::write(
        out_dir.join("wxcflow-manifest.json"),
        serde_json::to_string_pretty(&value).unwrap(),
    )
    .unwrap();
    let (code, report) = verify(dir.path());
    assert_eq!(code, Some(1));
    assert_eq!(
        report,
        "stale: b.flow.json: rendered from another tenant file than b.toml\nout: 1 problem\n"
    );
}

#[test]
fn a_manifest_this_version_cannot_read_is_named_and_replaced() {
    let dir = batch(&[("a.toml", OFF)]);
    std::fs::create_dir(dir.path().join("out")).unwrap();
    std::fs::write(
        dir.path().join("out/wxcflow-manifest.json"),
        "{\"format\": \"wxcflow.manifest/1\"}\n",
    )
    .unwrap();
    let out = render(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    assert!(stderr(&out).starts_with(
        "note: out/wxcflow-manifest.json is not a manifest this version reads (wxcflow.manifest/2): nothing in the folder is reused or removed"
    ), "{}", stderr(&out));
    assert_eq!(verify(dir.path()).0, Some(0));
}

#[test]
fn a_tenant_whose_secret_file_is_its_own_document_fails_alone() {
    let dir = batch(&[
        ("a.toml", OFF),
        (
            "s.toml",
            "token_service_url = \"https://t.example.com/x\"\ntoken_passphrase = { file = \"../out/s.flow.json\" }\n",
        ),
    ]);
    // s reads its secret from the file it would write, in the output folder: that tenant
    // fails (no secret file is read there), the others are written and the manifest says so.
    std::fs::create_dir(dir.path().join("out")).unwrap();
    std::fs::write(dir.path().join("out/s.flow.json"), "pass-123\n").unwrap();
    let out = render(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
    assert!(
        stderr(&out).contains("error[wxc::secret-file-not-allowed]: tenants/s.toml: `token_passphrase` comes from file ../out/s.flow.json: not allowed: it lies in the render's output folder"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out/s.flow.json")).unwrap(),
        "pass-123\n"
    );
    assert!(dir.path().join("out/a.flow.json").exists());
    let value = manifest(dir.path());
    assert_eq!(value["state"], "complete");
    let status = |name: &str| {
        value["tenants"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name)
            .unwrap()["status"]
            .clone()
    };
    assert_eq!(status("a"), "ok");
    assert_eq!(status("s"), "failed");
}

#[test]
fn a_tenant_that_fails_after_a_good_render_is_failed_with_its_earlier_document_kept_not_inconsistent(
) {
    let dir = batch(&[("a.toml", OFF), ("s.toml", SECRET)]);
    let out = render(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    // The secret file is emptied: the tenant fails this time; its earlier document stays.
    std::fs::write(dir.path().join("pass.txt"), "").unwrap();
    let out = render(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
    assert!(dir.path().join("out/s.flow.json").exists());
    let (code, report) = verify(dir.path());
    assert_eq!(code, Some(1));
    assert!(!report.contains("inconsistent"), "{report}");
    assert!(
        report.contains(
            "failed: s.flow.json: tenant s failed in the last render: the document there is an earlier render's, kept"
        ),
        "{report}"
    );
}

#[cfg(unix)]
#[test]
fn a_render_that_stops_on_an_error_leaves_no_lock_file_behind() {
    let dir = batch(&[("a.toml", OFF)]);
    std::fs::create_dir(dir.path().join("out")).unwrap();
    let fifo = dir.path().join("out/wxcflow-manifest.json");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let out = render(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
    assert!(!dir.path().join("out/.wxcflow-render.lock").exists());
}

/// A document private for a credential typed in a URL (a tenant's `url` value with a password)
/// has no secret variable: its digest covers it with that credential replaced by its place, so
/// that the manifest (0644, readable by whoever verifies) gives nothing to test guesses against.
#[test]
fn the_digest_of_a_document_with_a_typed_url_password_tells_nothing_of_it() {
    use sha2::Digest as _;
    let tenant = "token_service_url = \"https://u:hunter2@t.example.com/ts?apikey=k-7\"\n";
    let dir = batch(&[("a.toml", tenant)]);
    assert_eq!(render(dir.path(), &[]).status.code(), Some(0));
    let path = dir.path().join("out/a.flow.json");
    let document = std::fs::read_to_string(&path).unwrap();
    assert!(document.contains("hunter2") && document.contains("k-7"));
    let entry = manifest(dir.path())["tenants"][0].clone();
    assert_eq!(entry["private"], true);
    let plain = format!("{:x}", sha2::Sha256::digest(document.as_bytes()));
    assert_ne!(entry["output_sha256"], plain.as_str(), "the plain sha256");
    // Another password and key in the same places give the same digest: nothing of them is in it.
    let guessed = document
        .replace("hunter2", "a-guess")
        .replace("k-7", "k-guess");
    std::fs::write(&path, guessed).unwrap();
    assert_eq!(verify(dir.path()).0, Some(0));
    // Anything else changed is seen.
    std::fs::write(&path, document.replace("t.example.com", "u.example.com")).unwrap();
    assert_eq!(verify(dir.path()).0, Some(1));
}

/// A render stopped by a kill leaves a temporary file in its folder: verify names it as such,
/// and the next render, which holds the lock, removes it and says so; verify then passes.
#[test]
fn a_temporary_file_a_stopped_render_left_is_removed_by_the_next() {
    let dir = batch(&[("a.toml", OFF)]);
    assert_eq!(render(dir.path(), &[]).status.code(), Some(0));
    std::fs::write(dir.path().join("out/.68d8dcc078f229"), "").unwrap();
    // A file of another name is the user's (a short hex one too): listed, never removed.
    std::fs::write(dir.path().join("out/.notes"), "mine").unwrap();
    std::fs::write(dir.path().join("out/.cafe"), "mine").unwrap();
    assert_eq!(
        verify(dir.path()),
        (
            Some(1),
            "unlisted: .68d8dcc078f229: named as a temporary file a stopped run leaves; the next render removes it if it is a regular file\n\
             unlisted: .cafe: a file the manifest does not list\n\
             unlisted: .notes: a file the manifest does not list\nout: 3 problems\n"
                .to_string()
        )
    );
    let out = render(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    assert!(
        stderr(&out).starts_with("note: removed 1 temporary file a stopped run left in out\n"),
        "{}",
        stderr(&out)
    );
    assert!(!dir.path().join("out/.68d8dcc078f229").exists());
    assert_eq!(
        std::fs::read(dir.path().join("out/.cafe")).unwrap(),
        b"mine"
    );
    std::fs::remove_file(dir.path().join("out/.notes")).unwrap();
    std::fs::remove_file(dir.path().join("out/.cafe")).unwrap();
    assert_eq!(verify(dir.path()).0, Some(0), "{}", verify(dir.path()).1);
}

/// The output folder is the render's: it writes its lock and manifest there before any tenant
/// is read, and removes what a stopped run left. A secret file there (the folder lying in a
/// `--secrets-dir`) is not read, and a file under the lock's or the manifest's name that no
/// render wrote, or the template, is not written over or removed.
#[test]
fn nothing_a_render_reads_lies_in_its_output_folder() {
    let secret = "REAL-SECRET-17";
    for name in [".wxcflow-render.lock", "wxcflow-manifest.json", "s.txt"] {
        let dir = batch(&[(
            "a.toml",
            &format!("static_token = {{ file = \"../out/{name}\" }}\n{OFF}"),
        )]);
        std::fs::create_dir(dir.path().join("out")).unwrap();
        let planted = dir.path().join("out").join(name);
        std::fs::write(&planted, secret).unwrap();
        let out = render(dir.path(), &[]);
        let text = transcript(&out);
        assert_ne!(out.status.code(), Some(0), "{name}: {text}");
        assert_eq!(std::fs::read_to_string(&planted).unwrap(), secret, "{name}");
        assert!(!text.contains(secret), "{name}: {text}");
        assert!(
            !dir.path().join("out/a.flow.json").exists(),
            "{name}: {text}"
        );
        let said = match name {
            "s.txt" => "not allowed: it lies in the render's output folder",
            ".wxcflow-render.lock" => "is not a lock a render left; move it out of the folder",
            _ => "not a manifest wxcflow wrote, so it is not replaced; move it out of the folder",
        };
        assert!(text.contains(said), "{name}: {text}");
    }
    // Nor a file of the folder by another name (a hard link beside the tenants).
    let dir = batch(&[(
        "a.toml",
        &format!("static_token = {{ file = \"../linked\" }}\n{OFF}"),
    )]);
    std::fs::create_dir(dir.path().join("out")).unwrap();
    std::fs::write(dir.path().join("out/s.txt"), secret).unwrap();
    std::fs::hard_link(dir.path().join("out/s.txt"), dir.path().join("linked")).unwrap();
    let out = render(dir.path(), &[]);
    let text = transcript(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("or is one of its files by another name"),
        "{text}"
    );
    assert!(!text.contains(secret), "{text}");
    // A link at the manifest's name (to a file of the user's) is not replaced either, nor a
    // lock file holding more than a render's holder line.
    let dir = batch(&[("a.toml", OFF)]);
    std::fs::create_dir(dir.path().join("out")).unwrap();
    std::fs::write(dir.path().join("mine"), "user").unwrap();
    std::os::unix::fs::symlink("../mine", dir.path().join("out/wxcflow-manifest.json")).unwrap();
    let out = render(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
    assert!(
        std::fs::symlink_metadata(dir.path().join("out/wxcflow-manifest.json"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    std::fs::remove_file(dir.path().join("out/wxcflow-manifest.json")).unwrap();
    let lock = dir.path().join("out/.wxcflow-render.lock");
    let held = "pid 1 on host since 2026-12-06T10:15:28Z\nIMPORTANT USER DATA\n";
    std::fs::write(&lock, held).unwrap();
    let out = render(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
    assert_eq!(std::fs::read_to_string(&lock).unwrap(), held);
    std::fs::remove_file(&lock).unwrap();
    std::fs::copy(dir.path().join("t.toml"), dir.path().join("out/t.toml")).unwrap();
    let out = wxcflow(
        dir.path(),
        &["render", "out/t.toml", "--tenants", "tenants", "-o", "out"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
    assert!(
        stderr(&out).contains(
            "the template out/t.toml lies in out, whose files the render writes and removes"
        ),
        "{}",
        transcript(&out)
    );
    let left: Vec<_> = std::fs::read_dir(dir.path().join("out")).unwrap().collect();
    assert_eq!(left.len(), 1);
}

/// verify reads the manifest and the documents: its report may not be appended to them.
#[test]
fn verify_does_not_write_its_report_onto_what_it_reads() {
    let dir = batch(&[("a.toml", OFF), ("s.toml", SECRET)]);
    assert_eq!(render(dir.path(), &[]).status.code(), Some(0));
    for target in ["out/wxcflow-manifest.json", "out/s.flow.json"] {
        let before = std::fs::read(dir.path().join(target)).unwrap();
        for (stream, format) in [(">>", "human"), ("2>>", "json"), (">>", "json")] {
            let out = common::in_shell(
                dir.path(),
                &format!("exec \"$0\" verify out --format {format} {stream} {target}"),
            );
            // Nothing goes to stderr when all is well: then nothing is refused either.
            if stream == ">>" {
                assert_eq!(out.status.code(), Some(2), "{target}: {}", transcript(&out));
            }
            assert_eq!(
                std::fs::read(dir.path().join(target)).unwrap(),
                before,
                "{target}"
            );
        }
    }
    assert_eq!(verify(dir.path()).0, Some(0));
}

/// A document holding secrets, and a private manifest, are 0600 exactly whatever the umask: a
/// narrower one (0277, 0777) would leave a mode verify refuses.
#[test]
fn private_files_are_0600_whatever_the_umask() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = batch(&[("s.toml", SECRET)]);
    for umask in ["0277", "0777"] {
        let out = common::in_shell(
            dir.path(),
            &format!(
                "umask {umask}; exec \"$0\" render t.toml --tenants tenants -o out --secrets-dir ."
            ),
        );
        assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
        for file in ["out/s.flow.json", "out/wxcflow-manifest.json"] {
            let mode = std::fs::metadata(dir.path().join(file))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o7777, 0o600, "umask {umask}: {file}");
        }
        std::fs::set_permissions(
            dir.path().join("out"),
            std::fs::Permissions::from_mode(0o755),
        )
        .unwrap();
        assert_eq!(verify(dir.path()).0, Some(0), "umask {umask}");
        std::fs::remove_dir_all(dir.path().join("out")).unwrap();
    }
}
