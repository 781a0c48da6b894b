//! Flow Designer files through the binary: build, inspect, check, diff, decompile, textconv,
//! sheet and schema, with exit codes, file modes and secrets.
// A test stops at the first thing that is not as expected.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use common::{secrets, transcript, wxcflow};
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn fd_fixture(relative: &str) -> PathBuf {
    root().join("fixtures/flow-designer").join(relative)
}

/// Runs the binary in `dir` with extra environment variables.
fn run_with(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_wxcflow"))
        .args(args)
        .current_dir(dir)
        .envs(env.iter().copied())
        .env_remove("RUST_BACKTRACE")
        .output()
        .unwrap()
}

/// A transcript with the crate's path written as `$ROOT`.
fn shown(out: &std::process::Output) -> String {
    transcript(out).replace(&root().display().to_string(), "$ROOT")
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn build_for_flow_designer_writes_the_subflow() {
    let dir = tempfile::tempdir().unwrap();
    let out = wxcflow(dir.path(), &["build", "--target", "flow-designer"]);
    insta::assert_snapshot!(shown(&out));
    let written = std::fs::read_to_string(dir.path().join("GetOAuthToken.fd.json")).unwrap();
    let again = wxcflow(
        dir.path(),
        &["build", "--target", "flow-designer", "-o", "-"],
    );
    assert_eq!(again.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&again.stdout),
        written,
        "same spec, same bytes"
    );
    #[cfg(unix)]
    assert_eq!(mode(&dir.path().join("GetOAuthToken.fd.json")), 0o644);
    // The file checks clean but for the debug report, whose failure is deliberately ignored.
    let check = wxcflow(dir.path(), &["check", "GetOAuthToken.fd.json"]);
    assert_eq!(check.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&check.stderr).ends_with("0 errors, 1 warning\n"));
}

#[test]
fn a_subflow_holding_a_secret_is_private_and_never_printed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("tenants")).unwrap();
    std::fs::copy(
        root().join("fixtures/tenants/acme.toml"),
        dir.path().join("tenants/acme.toml"),
    )
    .unwrap();
    let env: Vec<(&str, &str)> = secrets().0.into_iter().collect();
    let args = [
        "build",
        "--target",
        "flow-designer",
        "--values",
        "tenants/acme.toml",
    ];
    let refused = run_with(dir.path(), &[&args[..], &["-o", "-"]].concat(), &env);
    assert_eq!(refused.status.code(), Some(2));
    assert!(refused.stdout.is_empty());
    let written = run_with(
        dir.path(),
        &[&args[..], &["-o", "acme.fd.json"]].concat(),
        &env,
    );
    assert_eq!(written.status.code(), Some(0), "{}", shown(&written));
    for out in [&refused, &written] {
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!all.contains("acme-passphrase-7Qx"));
    }
    assert!(std::fs::read_to_string(dir.path().join("acme.fd.json"))
        .unwrap()
        .contains("acme-passphrase-7Qx"));
    #[cfg(unix)]
    assert_eq!(mode(&dir.path().join("acme.fd.json")), 0o600);
    // Its sheet names where the secret comes from, never the secret.
    let sheet = run_with(
        dir.path(),
        &[
            "sheet",
            "--target",
            "flow-designer",
            "--values",
            "tenants/acme.toml",
        ],
        &env,
    );
    let text = String::from_utf8_lossy(&sheet.stdout);
    assert!(text.contains("take it from environment variable ACME_TOKEN_PASSPHRASE"));
    assert!(!text.contains("acme-passphrase-7Qx"));
}

#[test]
fn inspect_check_and_textconv_read_exports() {
    let dir = tempfile::tempdir().unwrap();
    let voice = fd_fixture("exports/voice-lookup.json");
    let subflow = fd_fixture("exports/token-subflow.json");
    let (voice, subflow) = (voice.to_str().unwrap(), subflow.to_str().unwrap());
    let mut text = String::new();
    for args in [
        vec!["inspect", voice, subflow],
        vec!["inspect", "--format", "json", subflow],
        vec!["check", subflow],
        vec!["check", "--format", "json", voice],
        vec!["textconv", subflow],
    ] {
        let out = wxcflow(dir.path(), &args);
        text.push_str(&format!("$ wxcflow {}\n{}\n", args.join(" "), shown(&out)));
    }
    let text = text.replace(&root().display().to_string(), "$ROOT");
    assert!(!text.contains("open-sesame"));
    insta::assert_snapshot!(text);
}

#[test]
fn check_fails_on_errors_and_names_every_file() {
    let dir = tempfile::tempdir().unwrap();
    let port = fd_fixture("lint/unknown-port.json");
    let spec = root().join("fixtures/valid/warnings.toml");
    let out = wxcflow(
        dir.path(),
        &["check", port.to_str().unwrap(), spec.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!(shown(&out));
}

#[test]
fn diff_exit_codes_follow_diff1() {
    let dir = tempfile::tempdir().unwrap();
    let case = |name: &str, side: &str| {
        fd_fixture(&format!("diff/{name}/{side}.json"))
            .display()
            .to_string()
    };
    let same = wxcflow(
        dir.path(),
        &[
            "diff",
            &case("noise-only", "old"),
            &case("noise-only", "new"),
        ],
    );
    assert_eq!(
        (
            same.status.code(),
            String::from_utf8_lossy(&same.stdout).as_ref()
        ),
        (Some(0), "no logic changes\n")
    );
    let changed = wxcflow(
        dir.path(),
        &[
            "diff",
            &case("header-changed", "old"),
            &case("header-changed", "new"),
        ],
    );
    assert_eq!(changed.status.code(), Some(1));
    assert!(!String::from_utf8_lossy(&changed.stdout).contains("open-sesame"));
    // A Webex Connect spec against the subflow built from it: no logic change.
    wxcflow(dir.path(), &["build", "--target", "flow-designer"]);
    std::fs::write(dir.path().join("spec.toml"), wxcflow::DEFAULT_SPEC).unwrap();
    let lowered = wxcflow(dir.path(), &["diff", "spec.toml", "GetOAuthToken.fd.json"]);
    assert_eq!(lowered.status.code(), Some(0), "{}", shown(&lowered));
    let broken = wxcflow(
        dir.path(),
        &[
            "diff",
            &fd_fixture("invalid/truncated.json").display().to_string(),
            "GetOAuthToken.fd.json",
        ],
    );
    assert_eq!(broken.status.code(), Some(2));
}

/// `decompile EXPORT -o back.toml`, then `build back.toml --target flow-designer -o BUILT`.
fn decompile_then_build(
    dir: &Path,
    export: &str,
    built: &str,
) -> (std::process::Output, std::process::Output) {
    let decompiled = wxcflow(dir, &["decompile", export, "-o", "back.toml"]);
    let build = [
        "build",
        "back.toml",
        "--target",
        "flow-designer",
        "-o",
        built,
    ];
    (decompiled, wxcflow(dir, &build))
}

/// The author-written round-trip fixtures through the binary: one builds back as decompile
/// writes it; the other breaks the schema on purpose (nulls where text is modelled, event
/// handlers without their timestamps), so decompile writes everything and says that `build`
/// will refuse it, which it does (exit 1), rather than leaving that to the next build.
#[test]
fn decompile_says_when_its_spec_will_not_build_back() {
    let dir = tempfile::tempdir().unwrap();
    for (fixture, errors) in [("edges.json", 0), ("newer-export.json", 4)] {
        let export = fd_fixture(&format!("round-trip/{fixture}"));
        let (decompiled, built) =
            decompile_then_build(dir.path(), export.to_str().unwrap(), "back.json");
        assert_eq!(decompiled.status.code(), Some(0), "{}", shown(&decompiled));
        let stderr = String::from_utf8_lossy(&decompiled.stderr).into_owned();
        let refused = String::from_utf8_lossy(&built.stderr)
            .lines()
            .filter(|l| l.starts_with("error["))
            .count();
        assert_eq!(refused, errors, "{fixture}: {}", shown(&built));
        if errors == 0 {
            assert_eq!(stderr, "", "{fixture}");
            assert_eq!(built.status.code(), Some(0), "{fixture}");
        } else {
            assert_eq!(built.status.code(), Some(1), "{fixture}");
            let export = export.display();
            assert_eq!(
                stderr,
                format!("warning[wxc::not-rebuildable]: the spec decompiled from {export} does not build back as it is: `build` finds {errors} errors in it (wxc::invalid-flow-designer)\n |\n = help: `wxcflow check` of the export says what in it `build` refuses (the schema, the checks); mend the spec where `wxcflow build SPEC --target flow-designer` says, or the flow in Flow Designer\n\n"),
                "{fixture}"
            );
        }
    }
}

#[test]
fn decompile_and_build_back_round_trip_through_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let export = fd_fixture("exports/voice-lookup.json")
        .display()
        .to_string();
    // It holds a credential typed in clear: not to stdout, and the spec is private.
    let refused = wxcflow(dir.path(), &["decompile", &export]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(refused.stdout.is_empty());
    let out = wxcflow(dir.path(), &["decompile", &export, "-o", "voice.toml"]);
    assert_eq!(out.status.code(), Some(0), "{}", shown(&out));
    #[cfg(unix)]
    assert_eq!(mode(&dir.path().join("voice.toml")), 0o600);
    // fmt leaves a Flow Designer spec as decompile wrote it.
    let spec = std::fs::read_to_string(dir.path().join("voice.toml")).unwrap();
    let fmt = wxcflow(dir.path(), &["fmt", "voice.toml"]);
    assert_eq!(fmt.status.code(), Some(0));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("voice.toml")).unwrap(),
        spec
    );
    let refused = wxcflow(dir.path(), &["build", "voice.toml"]);
    assert_eq!(
        refused.status.code(),
        Some(2),
        "a Flow Designer spec needs its target"
    );
    let built = wxcflow(
        dir.path(),
        &[
            "build",
            "voice.toml",
            "--target",
            "flow-designer",
            "-o",
            "voice.json",
        ],
    );
    assert_eq!(built.status.code(), Some(0), "{}", shown(&built));
    #[cfg(unix)]
    assert_eq!(mode(&dir.path().join("voice.json")), 0o600);
    let diff = wxcflow(dir.path(), &["diff", &export, "voice.json"]);
    assert_eq!(
        shown(&diff),
        "exit: 0\n--- stdout ---\nno logic changes\n--- stderr ---\n"
    );
    // A clean export decompiles to stdout.
    let clean = wxcflow(
        dir.path(),
        &[
            "decompile",
            &fd_fixture("exports/token-subflow.json")
                .display()
                .to_string(),
        ],
    );
    assert_eq!(clean.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&clean.stdout).contains("[flow_designer]\nname = \"TokenSubflow\"")
    );
}

#[test]
fn what_flow_designer_cannot_express_is_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let spec = fd_fixture("not-expressible/timeout-elsewhere.toml")
        .display()
        .to_string();
    let out = wxcflow(dir.path(), &["build", &spec, "--target", "flow-designer"]);
    insta::assert_snapshot!(shown(&out));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn the_flow_designer_schema_is_printed() {
    let dir = tempfile::tempdir().unwrap();
    let out = wxcflow(dir.path(), &["schema", "flow-designer"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        std::fs::read_to_string(root().join("schemas/flow-designer.schema.json")).unwrap()
    );
}

#[test]
fn subflow_ids_are_given_as_name_equals_id_and_only_for_flow_designer() {
    let dir = tempfile::tempdir().unwrap();
    let spec = fd_fixture("parents/order-lookup.toml");
    let spec = spec.to_str().unwrap();
    let build = |extra: &[&str]| {
        let mut args = vec![
            "build",
            spec,
            "--target",
            "flow-designer",
            "-o",
            "parent.json",
        ];
        args.extend_from_slice(extra);
        wxcflow(dir.path(), &args)
    };
    let stderr = |out: &std::process::Output| String::from_utf8_lossy(&out.stderr).into_owned();
    for (given, says) in [
        (
            "GetOAuthToken=6a1e35a0",
            "error: --subflow GetOAuthToken=6a1e35a0: give NAME=FLOWID or NAME=FLOWID:VERSIONID, each id 24 hex digits (as `wxcflow push` prints them)\n",
        ),
        (
            "6a1e35a078a3f98ba463c7d5",
            "error: --subflow 6a1e35a078a3f98ba463c7d5: give NAME=FLOWID or NAME=FLOWID:VERSIONID, each id 24 hex digits (as `wxcflow push` prints them)\n",
        ),
        // A colon with no version id after it is no version id.
        (
            "GetOAuthToken=6a1e35a078a3f98ba463c7d5:",
            "error: --subflow GetOAuthToken=6a1e35a078a3f98ba463c7d5:: give NAME=FLOWID or NAME=FLOWID:VERSIONID, each id 24 hex digits (as `wxcflow push` prints them)\n",
        ),
    ] {
        let out = build(&["--subflow", given]);
        assert_eq!(out.status.code(), Some(2));
        assert_eq!(stderr(&out), says);
    }
    assert!(!dir.path().join("parent.json").exists());
    let twice = build(&[
        "--subflow",
        "Audit=6a1e35a078a3f98ba463c7d5",
        "--subflow",
        "Audit=6a1eeabe7612bd69e972dbc9",
    ]);
    assert_eq!(twice.status.code(), Some(2));
    assert_eq!(stderr(&twice), "error: --subflow names `Audit` twice\n");

    let out = build(&["--subflow", "Audit=6a1eeabe7612bd69e972dbc9"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        !stderr(&out).contains("warning: --subflow"),
        "{}",
        stderr(&out)
    );
    // A name no handoff calls is said, not silently taken.
    let misspelt = build(&["--subflow", "Audi=6a1eeabe7612bd69e972dbc9"]);
    assert_eq!(misspelt.status.code(), Some(0), "{}", stderr(&misspelt));
    assert!(
        stderr(&misspelt).contains(
            "warning: --subflow names `Audi`, which no call_flow node of the spec calls\n"
        ),
        "{}",
        stderr(&misspelt)
    );
    let rebuilt = build(&["--subflow", "Audit=6a1eeabe7612bd69e972dbc9"]);
    assert_eq!(rebuilt.status.code(), Some(0), "{}", stderr(&rebuilt));
    let file: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("parent.json")).unwrap()).unwrap();
    assert_eq!(
        wxcflow::flow_designer::push::unresolved_subflows(&file),
        vec!["GetOAuthToken".to_string()]
    );

    let document = wxcflow(
        dir.path(),
        &["build", spec, "--subflow", "Audit=6a1eeabe7612bd69e972dbc9"],
    );
    assert_eq!(document.status.code(), Some(2));
    assert_eq!(
        stderr(&document),
        "error: --subflow applies to --target flow-designer (the subflows a Flow Designer file calls)\n"
    );
}

#[test]
fn a_flow_designer_spec_past_10_mb_builds_as_decompile_writes_it_for_a_large_export() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| wxcflow(dir.path(), args);
    assert_eq!(
        run(&["build", "--target", "flow-designer", "-o", "g.fd.json"])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        run(&["decompile", "g.fd.json", "-o", "g.fd.toml"])
            .status
            .code(),
        Some(0)
    );
    let mut spec = std::fs::read_to_string(dir.path().join("g.fd.toml")).unwrap();
    spec.push_str(&format!("\n# {}\n", "x".repeat(wxcflow::MAX_INPUT_BYTES)));
    std::fs::write(dir.path().join("big.fd.toml"), spec).unwrap();
    let out = run(&[
        "build",
        "--target",
        "flow-designer",
        "big.fd.toml",
        "-o",
        "big.fd.json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn check_warns_of_each_handoff_still_without_its_subflow_id() {
    let dir = tempfile::tempdir().unwrap();
    let spec = fd_fixture("parents/order-lookup.toml");
    let spec = spec.to_str().unwrap();
    let check = |extra: &[&str]| {
        let mut args = vec!["build", spec, "--target", "flow-designer", "-o", "p.json"];
        args.extend_from_slice(extra);
        assert_eq!(wxcflow(dir.path(), &args).status.code(), Some(0));
        let out = wxcflow(dir.path(), &["check", "p.json", "--format", "json"]);
        assert_eq!(out.status.code(), Some(0), "warnings only");
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let mut unresolved: Vec<String> = report
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["code"] == "wxc::unresolved-subflow")
            .map(|d| d["message"].as_str().unwrap().to_string())
            .collect();
        unresolved.sort();
        unresolved
    };
    assert_eq!(
        check(&[]),
        [
            "Subflow handoff `audit` calls `Audit` without its subflow id",
            "Subflow handoff `get_token` calls `GetOAuthToken` without its subflow id",
        ]
    );
    assert_eq!(
        check(&["--subflow", "GetOAuthToken=6a1e35a078a3f98ba463c7d5"]),
        ["Subflow handoff `audit` calls `Audit` without its subflow id"]
    );
}

#[test]
fn a_flow_designer_spec_that_does_not_build_is_no_revision_to_diff() {
    let dir = tempfile::tempdir().unwrap();
    let out = wxcflow(
        dir.path(),
        &["build", "--target", "flow-designer", "-o", "plain.fd.json"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    let rejects = root().join("fixtures/flow-designer/specs/schema-rejects.toml");
    let out = wxcflow(
        dir.path(),
        &["diff", "plain.fd.json", rejects.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
    assert!(out.stdout.is_empty(), "{}", transcript(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("schema-rejects.toml:15:1"), "{stderr}");
}

/// A Flow Designer spec given to `build` without its target is refused, saying how to build it
/// (it was exit 2 with no word at all).
#[test]
fn build_without_the_target_says_why_it_refuses_a_flow_designer_spec() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = wxcflow(
        root,
        &["build", "fixtures/flow-designer/specs/missing-key.toml"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: this is a Flow Designer spec: build it with --target flow-designer\n"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn graph_draws_flow_designer_files_and_flow_documents() {
    let dir = tempfile::tempdir().unwrap();
    let export = fd_fixture("exports/voice-lookup.json")
        .display()
        .to_string();
    let spec = fd_fixture("specs/subflow.toml").display().to_string();
    let mut drawn = String::new();
    for args in [
        vec!["graph", &export],
        vec!["graph", &export, "--format", "dot"],
        vec!["graph", &spec],
    ] {
        let out = wxcflow(dir.path(), &args);
        drawn.push_str(&format!(
            "$ {}\n{}\n",
            args.join(" ")
                .replace(&root().display().to_string(), "$ROOT"),
            shown(&out)
        ));
    }
    insta::assert_snapshot!(drawn);

    // A flow document is drawn as the spec it was built from.
    let built = wxcflow(dir.path(), &["build", "-o", "oauth.flow.json"]);
    assert_eq!(built.status.code(), Some(0), "{}", transcript(&built));
    for format in ["mermaid", "dot"] {
        let from_spec = wxcflow(dir.path(), &["graph", "--format", format]);
        let from_document = wxcflow(
            dir.path(),
            &["graph", "oauth.flow.json", "--format", format],
        );
        assert_eq!(from_document.status.code(), Some(0));
        assert_eq!(from_document.stdout, from_spec.stdout, "{format}");
    }
    // `--target flow-designer` draws what `build --target flow-designer` writes.
    let built = wxcflow(
        dir.path(),
        &["build", "--target", "flow-designer", "-o", "oauth.fd.json"],
    );
    assert_eq!(built.status.code(), Some(0), "{}", transcript(&built));
    for format in ["mermaid", "dot"] {
        let lowered = wxcflow(
            dir.path(),
            &["graph", "--target", "flow-designer", "--format", format],
        );
        let from_file = wxcflow(dir.path(), &["graph", "oauth.fd.json", "--format", format]);
        assert_eq!(lowered.status.code(), Some(0), "{}", transcript(&lowered));
        assert_eq!(lowered.stdout, from_file.stdout, "{format}");
    }
}

#[test]
fn graph_build_sheet_and_run_say_what_they_cannot_use_a_file_for() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        wxcflow(dir.path(), &["build", "-o", "oauth.flow.json"])
            .status
            .code(),
        Some(0)
    );
    std::fs::write(dir.path().join("old.workflow"), "00ff".repeat(64)).unwrap();
    let export = fd_fixture("exports/voice-lookup.json")
        .display()
        .to_string();
    let problems = fd_fixture("specs/problems.toml").display().to_string();
    let tenant = root()
        .join("templates/tenant-example.toml")
        .display()
        .to_string();
    let mut said = String::new();
    for args in [
        vec!["graph", "old.workflow"],
        vec!["graph", "oauth.flow.json", "--values", &tenant],
        vec!["graph", &export, "--values", &tenant],
        vec!["build", "oauth.flow.json"],
        vec!["sheet", "oauth.flow.json"],
        vec!["run", "oauth.flow.json"],
        vec!["build", "--target", "flow-designer", &export],
        vec!["sheet", "--target", "flow-designer", &export],
        vec!["graph", "--target", "flow-designer", "oauth.flow.json"],
    ] {
        let out = wxcflow(dir.path(), &args);
        assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
        assert!(out.stdout.is_empty());
        said.push_str(&format!(
            "$ {}\n{}\n",
            args.join(" ")
                .replace(&root().display().to_string(), "$ROOT"),
            shown(&out)
        ));
    }
    insta::assert_snapshot!(said);
    // A Flow Designer spec is drawn only when it builds, as diff compares it.
    let out = wxcflow(dir.path(), &["graph", &problems]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("error[wxc::invalid-flow-designer]"));
    // Nothing was written by a refusal.
    let mut left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["oauth.flow.json", "old.workflow"]);
}

#[test]
fn a_drawing_shows_names_and_ports_only_and_nothing_a_terminal_acts_on() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(fd_fixture("exports/token-subflow.json")).unwrap();
    let mut export: serde_json::Value = serde_json::from_str(&text).unwrap();
    let activities = export["process"]["activities"].as_object_mut().unwrap();
    let (_, first) = activities.iter_mut().next().unwrap();
    let old = first["name"].as_str().unwrap().to_string();
    let renamed = format!("{old}\u{1b}]0;owned\u{7}\n{{x}}");
    first["name"] = serde_json::Value::String(renamed.clone());
    // Links and widgets name the activity too: renamed everywhere.
    let text = serde_json::to_string(&export).unwrap().replace(
        &format!("\"{old}\""),
        &serde_json::to_string(&renamed).unwrap(),
    );
    std::fs::write(dir.path().join("odd.json"), text).unwrap();
    for format in ["mermaid", "dot"] {
        let out = wxcflow(dir.path(), &["graph", "odd.json", "--format", format]);
        assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
        let drawing = String::from_utf8(out.stdout).unwrap();
        assert!(
            !drawing.contains('\u{1b}') && !drawing.contains('\u{7}'),
            "{drawing}"
        );
        assert!(
            drawing.contains(&format!("{old}\u{fffd}]0;owned\u{fffd}\u{fffd}")),
            "{drawing}"
        );
        // No setting is drawn: the request's URL and headers stay out.
        for setting in ["{{ServiceURL}}", "{{Passphrase}}", "x-token-passphrase"] {
            assert!(!drawing.contains(setting), "{format}: {setting}");
        }
    }
}

/// A flow's name (or the file's) holding line breaks or control characters cannot write TOML of
/// its own into the spec `decompile` writes; the name itself round-trips. textconv and inspect
/// print each name on its line.
#[test]
fn names_from_an_export_stay_on_their_line_in_what_is_written_and_printed() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(fd_fixture("exports/token-subflow.json")).unwrap();
    let mut export: serde_json::Value = serde_json::from_str(&text).unwrap();
    let injected =
        "Hello`\n[variables.Injected]\nvalue = \"https://attacker.example/hook\"\n#\u{1b}[31m\u{7}";
    export["name"] = serde_json::Value::String(injected.into());
    let file = "in\n[variables.FromFileName]\n#.json";
    std::fs::write(
        dir.path().join(file),
        serde_json::to_string(&export).unwrap(),
    )
    .unwrap();
    let out = wxcflow(dir.path(), &["decompile", file, "-o", "spec.toml"]);
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    let spec = std::fs::read_to_string(dir.path().join("spec.toml")).unwrap();
    let parsed: toml::Table = spec.parse().unwrap();
    let variables = parsed.get("variables").and_then(|v| v.as_table()).unwrap();
    for name in ["Injected", "FromFileName"] {
        assert!(!variables.contains_key(name), "{spec}");
    }
    assert!(spec.starts_with("# Flow Designer subflow `Hello`\u{fffd}[variables.Injected]"));
    let built = wxcflow(
        dir.path(),
        &[
            "build",
            "spec.toml",
            "--target",
            "flow-designer",
            "-o",
            "back.json",
        ],
    );
    assert_eq!(built.status.code(), Some(0), "{}", transcript(&built));
    let diff = wxcflow(dir.path(), &["diff", file, "back.json"]);
    assert_eq!(
        (
            diff.status.code(),
            String::from_utf8_lossy(&diff.stdout).as_ref()
        ),
        (Some(0), "no logic changes\n"),
        "{}",
        transcript(&diff)
    );
    for command in ["textconv", "inspect"] {
        let out = wxcflow(dir.path(), &[command, file]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            !stdout.contains('\u{1b}') && !stdout.contains('\u{7}'),
            "{command}: {stdout}"
        );
        assert!(
            !stdout.lines().any(|l| l.starts_with("[variables.")),
            "{command}: {stdout}"
        );
    }
}

#[test]
fn the_flow_designer_sheet_escapes_html_and_fences_backticks_as_the_connect_sheet_does() {
    let spec = r#"[flow]
name = "Sheet"
credential_headers = []

[trigger]
type = "webhook"
event = "Sheet"
sample = '{"x": "1"}'
next = "call"

[variables.Service-URL]
default = "https://svc.example.com/p?c=`x"
externalize = true
note = "The service at https://<region>.example.com."

[nodes.call]
type = "http"
method = "GET"
url = "$(Service-URL)"
next = { onSuccess = "check", onError = "end:Error", onTimeout = "end:Error" }

[nodes.check]
type = "branch"
branches = [{ name = "Ok", all = [{ variable = "$(call.https.statusCode)", operator = "equals", value = "200" }] }]
next = { Ok = "end:Success", none = "end:Error", onError = "end:Error" }
"#;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sheet.toml"), spec).unwrap();
    let out = wxcflow(
        dir.path(),
        &["sheet", "sheet.toml", "--target", "flow-designer"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    let sheet = String::from_utf8(out.stdout).unwrap();
    // Markdown would read `<region>` as an HTML tag and drop it, and the address as a link.
    assert!(
        sheet.contains(r"https\://\<region\>.example.com."),
        "{sheet}"
    );
    assert!(!sheet.contains("<region>"), "{sheet}");
    // A value holding a backtick is fenced by two, so the span holds it whole.
    assert!(
        sheet.contains("| ``https://svc.example.com/p?c=`x`` |"),
        "{sheet}"
    );
}

/// A subflow wxcflow built, decompiled and built again is the same file, byte for byte: the
/// links come in one order whatever made them (the lowering, or the spec `decompile` wrote,
/// whose activities are read in another order).
#[test]
fn a_built_subflow_decompiled_builds_back_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let folders = [
        "fixtures/valid",
        "fixtures/flows",
        "fixtures/flow-designer/parents",
    ];
    let mut specs: Vec<PathBuf> = (folders.iter())
        .flat_map(|f| std::fs::read_dir(root().join(f)).unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    specs.sort();
    let mut compared = Vec::new();
    for spec in [None].into_iter().chain(specs.iter().map(Some)) {
        let mut build = vec!["build", "--target", "flow-designer", "-o", "first.json"];
        let shown_spec = spec.map(|p| p.display().to_string());
        build.extend(shown_spec.as_deref());
        if !wxcflow(dir.path(), &build).status.success() {
            continue;
        }
        let (decompiled, rebuilt) = decompile_then_build(dir.path(), "first.json", "again.json");
        assert!(decompiled.status.success(), "{}", shown(&decompiled));
        assert!(rebuilt.status.success(), "{}", shown(&rebuilt));
        let first = std::fs::read(dir.path().join("first.json")).unwrap();
        let again = std::fs::read(dir.path().join("again.json")).unwrap();
        let name = shown_spec.unwrap_or_else(|| "the embedded GetOAuthToken".into());
        assert!(first == again, "{name}: rebuilt differently");
        compared.push(name);
    }
    assert!(compared.len() >= 5, "{compared:?}");
}

/// An export saved with a byte order mark (an editor's) is read as the export it is by every
/// command, not taken for TOML.
#[test]
fn an_export_with_a_byte_order_mark_is_read_as_an_export() {
    let dir = tempfile::tempdir().unwrap();
    let export = std::fs::read_to_string(fd_fixture("exports/token-subflow.json")).unwrap();
    std::fs::write(dir.path().join("plain.json"), &export).unwrap();
    std::fs::write(dir.path().join("bom.json"), format!("\u{feff}{export}")).unwrap();
    for args in [
        &["check", "FILE"][..],
        &["inspect", "FILE"],
        &["run", "FILE", "--mock", "/dev/null"],
        &["diff", "plain.json", "FILE"],
    ] {
        let outputs: Vec<String> = ["plain.json", "bom.json"]
            .iter()
            .map(|file| {
                let args: Vec<&str> = args
                    .iter()
                    .map(|a| if *a == "FILE" { *file } else { *a })
                    .collect();
                shown(&wxcflow(dir.path(), &args)).replace(file, "FILE")
            })
            .collect();
        assert_eq!(outputs[0], outputs[1], "{args:?}");
        assert!(!outputs[1].contains("TOML"), "{args:?}: {}", outputs[1]);
    }
}

/// An export whose JSON gives a key twice is refused by every command that reads it, located;
/// textconv shows it as a file that does not read: a secure flag given twice (`true`, then
/// `false`) shows no value.
#[test]
fn an_export_giving_a_key_twice_is_refused_and_its_values_hidden() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(fd_fixture("exports/token-subflow.json")).unwrap();
    let twice = text.replacen(
        r#""value":null,"isCAD":false,"desktopLabel":"","isAgentEditable":false,"source":"SUBFLOW_INPUT","isReportable":false,"overwrite":false,"isSecure":true"#,
        r#""value":"open-sesame","isCAD":false,"desktopLabel":"","isAgentEditable":false,"source":"SUBFLOW_INPUT","isReportable":false,"overwrite":false,"isSecure":true,"isSecure":false"#,
        1,
    );
    assert_ne!(twice, text);
    std::fs::write(dir.path().join("twice.json"), &twice).unwrap();
    // The same over a megabyte, whose duplicate keys are looked for on another thread while
    // it is read.
    let large = format!("{{{}{}", " ".repeat(1 << 20), &twice[1..]);
    std::fs::write(dir.path().join("large.json"), large).unwrap();
    let old = fd_fixture("exports/token-subflow.json");
    let old = old.to_str().unwrap();
    for file in ["twice.json", "large.json"] {
        for args in [
            &["diff", old, file][..],
            &["run", file],
            &["decompile", file, "-o", "t.toml"],
            &["inspect", file],
            &["check", file],
        ] {
            let out = wxcflow(dir.path(), args);
            let all = shown(&out);
            assert_ne!(out.status.code(), Some(0), "{args:?}: {all}");
            assert!(all.contains("wxc::key-given-twice"), "{args:?}: {all}");
            assert!(!all.contains("open-sesame"), "{args:?}: {all}");
        }
        let out = wxcflow(dir.path(), &["textconv", file]);
        assert_eq!(out.status.code(), Some(0));
        assert!(!shown(&out).contains("open-sesame"), "{}", shown(&out));
    }
}

/// Where no thread can be started (a process limit), building and checking Flow Designer files
/// do all their work on the one thread: the same output, never a panic. Run as an unprivileged
/// user under `prlimit --nproc=1`, which root is exempt from; where the tests do not run as root
/// this says it is skipped, and fails under CI=true.
#[cfg(unix)]
#[test]
fn without_threads_flow_designer_files_are_built_and_checked_on_one() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    use std::os::unix::process::CommandExt;
    let root_user = std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0);
    let prlimit = Path::new("/usr/bin/prlimit");
    if !root_user || !prlimit.exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI runs this as root with prlimit"
        );
        eprintln!("skipped: needs root and /usr/bin/prlimit");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    // A copy the unprivileged user can run wherever the build's folder is.
    let binary = dir.path().join("wxcflow");
    std::fs::copy(env!("CARGO_BIN_EXE_wxcflow"), &binary).unwrap();
    std::fs::set_permissions(&binary, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::copy(
        fd_fixture("specs/subflow.toml"),
        dir.path().join("subflow.toml"),
    )
    .unwrap();
    // Over a megabyte: its keys given twice are looked for on a thread of their own.
    let export = std::fs::read_to_string(fd_fixture("exports/token-subflow.json")).unwrap();
    let large = format!("{{{}{}", " ".repeat(1 << 20), &export[1..]);
    std::fs::write(dir.path().join("large.json"), large).unwrap();
    let run = |limited: bool, args: &[&str]| {
        let output = args.iter().position(|a| *a == "-o").map(|i| args[i + 1]);
        if let Some(output) = output {
            let _ = std::fs::remove_file(dir.path().join(output));
        }
        let mut command = match limited {
            true => {
                let mut c = Command::new(prlimit);
                c.arg("--nproc=1").arg(&binary);
                c.uid(65534).gid(65534);
                c
            }
            false => Command::new(&binary),
        };
        let out = command
            .args(args)
            .current_dir(dir.path())
            .env_remove("RUST_BACKTRACE")
            .output()
            .unwrap();
        let written = output.and_then(|output| std::fs::read(dir.path().join(output)).ok());
        (transcript(&out), out.status.code(), written)
    };
    for args in [
        &[
            "build",
            "subflow.toml",
            "--target",
            "flow-designer",
            "-o",
            "out.json",
        ][..],
        &["check", "large.json"],
        &["check", "subflow.toml"],
        &["inspect", "large.json"],
    ] {
        let alone = run(true, args);
        let beside = run(false, args);
        assert!(!alone.0.contains("panicked"), "{args:?}: {}", alone.0);
        assert_eq!(alone, beside, "{args:?}");
    }
}

/// Two large exports are read at once, on two threads: what their readings find is said as
/// for small ones, old side first, and a changed export is compared as it is one by one.
#[test]
fn large_sides_of_a_diff_say_what_small_ones_say_in_the_same_order() {
    let dir = tempfile::tempdir().unwrap();
    let export: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fd_fixture("exports/voice-lookup.json")).unwrap(),
    )
    .unwrap();
    let write = |name: &str, padding: usize, link_to: &str| {
        let mut e = export.clone();
        e["description"] = serde_json::json!("x".repeat(padding));
        e["process"]["links"][0]["targetActivityId"] = serde_json::json!(link_to);
        std::fs::write(
            dir.path().join(name),
            serde_json::to_string_pretty(&e).unwrap(),
        )
        .unwrap();
    };
    for (size, padding) in [("small", 0), ("large", 1_500_000)] {
        write(&format!("{size}-old.json"), padding, "gone-old");
        write(&format!("{size}-new.json"), padding, "gone-new");
    }
    let diff = |size: &str| {
        let (old, new) = (format!("{size}-old.json"), format!("{size}-new.json"));
        let out = wxcflow(dir.path(), &["diff", &old, &new]);
        (out.status.code(), shown(&out).replace(size, "SIZE"))
    };
    let (small, large) = (diff("small"), diff("large"));
    assert_eq!(small.0, Some(2), "{}", small.1);
    let at = |what: &str| {
        small
            .1
            .find(what)
            .unwrap_or_else(|| panic!("{what}: {}", small.1))
    };
    assert!(at("gone-old") < at("gone-new"), "{}", small.1);
    assert_eq!(small, large);
    // Mended, the large sides compare: the description is all that changed.
    write(
        "large-old.json",
        1_500_000,
        "ff7d5ec0-03b1-4fe3-91a7-258ed59a0625",
    );
    write(
        "large-new.json",
        1_500_001,
        "ff7d5ec0-03b1-4fe3-91a7-258ed59a0625",
    );
    let out = wxcflow(dir.path(), &["diff", "large-old.json", "large-new.json"]);
    assert_eq!(out.status.code(), Some(1), "{}", shown(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("flow.description"));
}

/// A side beside a Flow Designer file that is no flow is told as the readers of its kind tell
/// it: broken JSON as a flow document (where it breaks), other text as a spec (its TOML error).
/// An old side that cannot be read at all is said alone, before anything of the new one.
#[test]
fn a_broken_side_beside_a_flow_designer_file_says_where_it_breaks() {
    let dir = tempfile::tempdir().unwrap();
    let export = fd_fixture("exports/voice-lookup.json")
        .display()
        .to_string();
    wxcflow(dir.path(), &["build", "-o", "doc.json"]);
    let document = std::fs::read(dir.path().join("doc.json")).unwrap();
    std::fs::write(dir.path().join("cut.json"), &document[..3000]).unwrap();
    std::fs::write(dir.path().join("broken.toml"), "[flow\nname = \"A\"\n").unwrap();
    let mut broken_export: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&export).unwrap()).unwrap();
    broken_export["process"]["links"][0]["targetActivityId"] = serde_json::json!("gone-new");
    std::fs::write(
        dir.path().join("broken-export.json"),
        serde_json::to_string_pretty(&broken_export).unwrap(),
    )
    .unwrap();
    for (args, said) in [
        (
            ["diff", &export, "cut.json"],
            "error[wxc::schema-violation]: cut.json is not a valid flow document: EOF while parsing",
        ),
        (
            ["diff", "cut.json", &export],
            "error[wxc::schema-violation]: cut.json is not a valid flow document: EOF while parsing",
        ),
        (
            ["diff", &export, "broken.toml"],
            "error[wxc::toml-syntax]: invalid TOML",
        ),
        (
            ["diff", "missing.json", "broken-export.json"],
            "error: cannot read missing.json",
        ),
    ] {
        let out = wxcflow(dir.path(), &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", shown(&out));
        let text = shown(&out);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.starts_with(said), "{args:?}: {text}");
        assert!(!text.contains("cannot compare"), "{args:?}: {text}");
        assert!(!text.contains("gone-new"), "{args:?}: {text}");
    }
    // An old side that reads with problems is said first, and a new side that cannot be read
    // after it.
    let out = wxcflow(dir.path(), &["diff", "broken-export.json", "missing.json"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{}", shown(&out));
    let (problem, missing) = (
        stderr.find("gone-new"),
        stderr.find("cannot read missing.json"),
    );
    assert!(problem.is_some() && problem < missing, "{}", shown(&out));
}

/// A set-variable carries its value twice (`expr` and `literal`), and a 2026 export repeats its
/// first assignment in single keys: a credential typed in the value is one warning, not three.
#[test]
fn a_credential_an_assignment_carries_twice_is_told_once() {
    let dir = tempfile::tempdir().unwrap();
    let spec = "[flow]\nname = \"E4\"\n[trigger]\ntype = \"webhook\"\nevent = \"Ping\"\n\
        sample = '{\"id\": \"1\"}'\nnext = \"call\"\n[variables.H]\ndefault = \"\"\nresult = true\n\
        [nodes.call]\ntype = \"http\"\nmethod = \"GET\"\nurl = \"https://api.example.com/v1\"\n\
        on_enter = [{ set = { H = \"https://bob:TYPED@api.example.com/\" } }]\n\
        next = { onSuccess = \"end:Success\", onError = \"end:Error\", onTimeout = \"end:Error\" }\n";
    std::fs::write(dir.path().join("e.toml"), spec).unwrap();
    let built = wxcflow(
        dir.path(),
        &[
            "build",
            "e.toml",
            "--target",
            "flow-designer",
            "-o",
            "e.fd.json",
        ],
    );
    assert_eq!(built.status.code(), Some(0), "{}", transcript(&built));
    let out = wxcflow(dir.path(), &["check", "e.fd.json"]);
    let said = transcript(&out);
    assert_eq!(
        said.matches("URL user information in the value for `H` of `call_enter`")
            .count(),
        1,
        "{said}"
    );
    assert!(!said.contains("TYPED"), "{said}");
}
