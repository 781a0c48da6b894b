//! The commands a user runs, end to end through the binary.
// A test stops at the first thing that is not as expected.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use common::{logic, transcript, wxcflow};

use std::path::Path;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn fixtures() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

fn copy_fixture(dir: &Path, relative: &str) -> String {
    let name = Path::new(relative)
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    std::fs::copy(fixtures().join(relative), dir.join(&name)).unwrap();
    name
}

#[test]
fn build_without_a_spec_writes_get_oauth_token() {
    let dir = tempfile::tempdir().unwrap();
    let out = wxcflow(dir.path(), &["build"]);
    insta::assert_snapshot!(transcript(&out));
    let written = std::fs::read_to_string(dir.path().join("GetOAuthToken.flow.json")).unwrap();
    let source =
        wxcflow::diagnostic::SourceFile::new(wxcflow::DEFAULT_SPEC_NAME, wxcflow::DEFAULT_SPEC);
    let expected = common::compiler().build(&source);
    assert_eq!(logic(written.as_bytes()), expected.output.unwrap().1);
    let document: wxcflow::flow::Document = serde_json::from_str(&written).unwrap();
    let provenance = document
        .provenance
        .expect("a built document says where it came from");
    assert_eq!(provenance.template.name, "get-oauth-token.toml");
    assert_eq!(provenance.tenant, None);
    // Nothing else (no temporary file) is left behind.
    let entries: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(entries.len(), 1);
}

#[test]
fn build_to_stdout_prints_the_document_only() {
    let dir = tempfile::tempdir().unwrap();
    let out = wxcflow(dir.path(), &["build", "-o", "-"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).starts_with("{\n  \"format\": \"wxcflow.flow/1\""));
    assert_eq!(text(&out.stderr), "");
}

#[test]
fn build_is_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let first = wxcflow(dir.path(), &["build", "-o", "-"]).stdout;
    let second = wxcflow(dir.path(), &["build", "-o", "-"]).stdout;
    assert_eq!(first, second);
}

#[test]
fn build_refuses_to_write_a_workflow_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = wxcflow(dir.path(), &["build", "-o", "GetOAuthToken.workflow"]);
    insta::assert_snapshot!(transcript(&out));
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "nothing is written"
    );
    // Nor through a link that leads to one, written or not.
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("flow.workflow", dir.path().join("link.json")).unwrap();
        let out = wxcflow(dir.path(), &["build", "-o", "link.json"]);
        assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
        assert!(!dir.path().join("flow.workflow").exists());
        std::fs::remove_file(dir.path().join("link.json")).unwrap();
    }
    // Nor by a name Windows turns into one (trailing dots and spaces dropped), nor by any
    // other command that writes a file.
    std::fs::write(
        dir.path().join("d.json"),
        wxcflow(dir.path(), &["build", "-o", "-"]).stdout,
    )
    .unwrap();
    for args in [
        &["build", "-o", "x.workflow."][..],
        &["build", "-o", "x.Workflow "],
        &["sheet", "-o", "s.workflow"],
        &["decompile", "d.json", "-o", "d.workflow.zip"],
    ] {
        let out = wxcflow(dir.path(), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", transcript(&out));
        assert!(
            transcript(&out).contains("refusing to write"),
            "{}",
            transcript(&out)
        );
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    // Nor through stdout: the file the shell opened stays empty.
    for (script, name) in [
        ("exec \"$0\" graph > g.workflow", "g.workflow"),
        ("exec \"$0\" build -o - >> d.WorkFlow.zip", "d.WorkFlow.zip"),
        (
            "exec \"$0\" sheet > \"s.workflow\u{a0}\"",
            "s.workflow\u{a0}",
        ),
    ] {
        let out = common::in_shell(dir.path(), script);
        assert_eq!(out.status.code(), Some(2), "{script}: {}", transcript(&out));
        assert_eq!(
            std::fs::read(dir.path().join(name)).unwrap(),
            b"",
            "{script}"
        );
    }
}

#[test]
fn a_failing_build_leaves_the_existing_output_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let spec = copy_fixture(dir.path(), "invalid/many-problems.toml");
    std::fs::write(dir.path().join("out.flow.json"), "previous build\n").unwrap();
    let out = wxcflow(dir.path(), &["build", &spec, "-o", "out.flow.json"]);
    insta::assert_snapshot!(transcript(&out));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out.flow.json")).unwrap(),
        "previous build\n"
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        2,
        "no temporary file left"
    );
}

#[test]
fn a_successful_build_replaces_the_output() {
    let dir = tempfile::tempdir().unwrap();
    let spec = copy_fixture(dir.path(), "valid/parent-flow.toml");
    std::fs::write(dir.path().join("out.flow.json"), "previous build\n").unwrap();
    let out = wxcflow(dir.path(), &["build", &spec, "-o", "out.flow.json"]);
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    let written = std::fs::read_to_string(dir.path().join("out.flow.json")).unwrap();
    assert!(written.contains("\"name\": \"PublishJourneyEvent\""));
}

#[cfg(unix)]
#[test]
fn a_document_holding_a_secret_is_private_and_never_printed() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let secret = "s3cr3t-static-token_PF84_0000";
    let spec = wxcflow::DEFAULT_SPEC.replacen(
        "[variables.StaticToken]\ndefault = \"{{ static_token }}\"",
        &format!("[variables.StaticToken]\ndefault = \"{secret}\""),
        1,
    );
    assert!(spec.contains(secret));
    std::fs::write(dir.path().join("spec.toml"), spec).unwrap();
    let out = wxcflow(
        dir.path(),
        &["build", "spec.toml", "-o", "tenant.flow.json"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    assert!(!text(&out.stdout).contains(secret) && !text(&out.stderr).contains(secret));
    let mode = std::fs::metadata(dir.path().join("tenant.flow.json"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    // To stdout it is refused rather than printed.
    let out = wxcflow(dir.path(), &["build", "spec.toml", "-o", "-"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!text(&out.stdout).contains(secret) && !text(&out.stderr).contains(secret));
}

#[test]
fn check_reports_every_problem_with_location() {
    let dir = tempfile::tempdir().unwrap();
    let a = copy_fixture(dir.path(), "invalid/many-problems.toml");
    let b = copy_fixture(dir.path(), "valid/warnings.toml");
    let out = wxcflow(dir.path(), &["check", &a, &b]);
    insta::assert_snapshot!(transcript(&out));
}

#[test]
fn check_json_is_machine_readable() {
    let dir = tempfile::tempdir().unwrap();
    let a = copy_fixture(dir.path(), "invalid/unknown-target.toml");
    let out = wxcflow(dir.path(), &["check", "--format", "json", &a]);
    assert_eq!(out.status.code(), Some(1));
    let parsed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(parsed[0]["code"], "wxc::unknown-target");
    assert_eq!(parsed[0]["span"]["line"], 21);
    assert_eq!(parsed[0]["help"], "did you mean `check`?");
}

#[test]
fn warnings_alone_pass_the_check() {
    let dir = tempfile::tempdir().unwrap();
    let a = copy_fixture(dir.path(), "valid/warnings.toml");
    assert_eq!(wxcflow(dir.path(), &["check", &a]).status.code(), Some(0));
}

#[test]
fn io_and_usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let missing = wxcflow(dir.path(), &["check", "missing.toml"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("cannot read missing.toml"));
    assert_eq!(wxcflow(dir.path(), &["frobnicate"]).status.code(), Some(2));
    // A file that is not UTF-8 is read, and no TOML: a problem with the input.
    std::fs::write(dir.path().join("binary.toml"), [0x66, 0xff, 0xfe]).unwrap();
    let binary = wxcflow(dir.path(), &["build", "binary.toml"]);
    assert_eq!(binary.status.code(), Some(1));
    assert!(text(&binary.stderr).contains("error[wxc::toml-syntax]: invalid TOML file: not UTF-8"));
}

#[test]
fn schema_document_prints_the_embedded_schema() {
    let dir = tempfile::tempdir().unwrap();
    let out = wxcflow(dir.path(), &["schema", "document"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), wxcflow::validate::DOCUMENT_SCHEMA);
}

#[test]
fn init_writes_a_starter_that_builds_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let out = wxcflow(dir.path(), &["init", "flows"]);
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    let spec = std::fs::read_to_string(dir.path().join("flows/get-oauth-token.toml")).unwrap();
    assert!(spec.starts_with("#:schema ./flow-spec.schema.json\n"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("flows/flow-spec.schema.json")).unwrap(),
        wxcflow::validate::spec_schema()
    );
    let built = wxcflow(
        dir.path(),
        &["build", "flows/get-oauth-token.toml", "-o", "-"],
    );
    assert_eq!(built.status.code(), Some(0));
    // The example tenant builds once its secrets are in the environment.
    let tenant = std::process::Command::new(env!("CARGO_BIN_EXE_wxcflow"))
        .args([
            "build",
            "flows/get-oauth-token.toml",
            "--values",
            "flows/tenants/example.toml",
            "-o",
            "example.flow.json",
        ])
        .current_dir(dir.path())
        .env("EXAMPLE_TOKEN_PASSPHRASE", "p")
        .env("EXAMPLE_STATIC_TOKEN", "s")
        .output()
        .unwrap();
    assert_eq!(tenant.status.code(), Some(0), "{}", transcript(&tenant));
    std::fs::write(dir.path().join("flows/get-oauth-token.toml"), "mine\n").unwrap();
    std::fs::remove_file(dir.path().join("flows/flow-spec.schema.json")).unwrap();
    let again = wxcflow(dir.path(), &["init", "flows"]);
    insta::assert_snapshot!(transcript(&again));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("flows/get-oauth-token.toml")).unwrap(),
        "mine\n"
    );
    assert!(
        !dir.path().join("flows/flow-spec.schema.json").exists(),
        "nothing is written"
    );
}

#[test]
fn completions_exist_for_every_shell() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = wxcflow(dir.path(), &["completions", shell]);
        assert_eq!(out.status.code(), Some(0));
        assert!(
            text(&out.stdout).contains("inspect"),
            "{shell} completion lists the commands"
        );
    }
}

#[test]
fn graph_and_sheet_run_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let graph = wxcflow(dir.path(), &["graph", "--format", "dot"]);
    assert_eq!(graph.status.code(), Some(0));
    assert!(text(&graph.stdout).starts_with("digraph \"GetOAuthToken\""));
    let sheet = wxcflow(dir.path(), &["sheet", "-o", "sheet.md"]);
    assert_eq!(sheet.status.code(), Some(0));
    assert!(std::fs::read_to_string(dir.path().join("sheet.md"))
        .unwrap()
        .starts_with("# Build sheet: GetOAuthToken"));
    let spec = copy_fixture(dir.path(), "invalid/unknown-target.toml");
    let broken = wxcflow(dir.path(), &["graph", &spec]);
    assert_eq!(broken.status.code(), Some(1));
    assert!(text(&broken.stderr).contains("wxc::unknown-target"));
}

#[test]
fn diagnostics_are_coloured_only_when_asked() {
    let spec =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/invalid/undefined-variable.toml");
    let dir = tempfile::tempdir().unwrap();
    let stderr = |extra: &[&str]| {
        let mut args = vec!["build", spec.to_str().unwrap(), "-o", "out.json"];
        args.extend_from_slice(extra);
        let out = common::wxcflow(dir.path(), &args);
        assert_eq!(out.status.code(), Some(1));
        String::from_utf8(out.stderr).unwrap()
    };
    let coloured = stderr(&["--color", "always"]);
    assert!(coloured.contains("\u{1b}["), "{coloured}");
    let plain = stderr(&["--color", "never"]);
    assert!(!plain.contains('\u{1b}'));
    assert!(plain.contains("error[wxc::undefined-variable]"));
    // Auto on a pipe (as here): no colour.
    assert!(!stderr(&[]).contains('\u{1b}'));
}

#[test]
fn small_mistakes_are_said_once_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let run = wxcflow(dir.path(), &["run", "--flows", "no-such-folder"]);
    assert_eq!(run.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&run.stderr),
        "error: --flows no-such-folder: not a folder\n"
    );
    let test = wxcflow(dir.path(), &["test", "x", "--flows", "no-such-folder"]);
    assert_eq!(test.status.code(), Some(2));
    let check = wxcflow(dir.path(), &["check", "missing.toml"]);
    assert_eq!(check.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&check.stderr),
        "error: cannot read missing.toml: No such file or directory (os error 2)\n\
         checked 0 specs: 0 errors, 0 warnings; 1 input could not be read\n"
    );
    // --help goes to stdout: a failed write is a failure.
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let help = std::process::Command::new(env!("CARGO_BIN_EXE_wxcflow"))
        .arg("--help")
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(help.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&help.stderr).contains("error: cannot write to stdout"));
}

#[test]
fn control_characters_in_names_and_values_never_reach_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    // A file name with an escape sequence, and a flow description with U+009B (an 8-bit CSI).
    let spec = wxcflow::DEFAULT_SPEC.replacen(
        "description = \"Hands a bearer token",
        "description = \"a\u{9b}31mb Hands a bearer token",
        1,
    );
    assert_ne!(spec, wxcflow::DEFAULT_SPEC);
    let name = "x\u{1b}[31mred.toml";
    std::fs::write(dir.path().join(name), spec).unwrap();
    std::fs::write(dir.path().join("bad\u{1b}[2J.toml"), "[flow\n").unwrap();
    for args in [
        &["check", name][..],
        &["check", "bad\u{1b}[2J.toml"],
        &["build", name, "-o", "out.json"],
        &["build", name, "-o", "-"],
        &["sheet", name],
        &["sheet", name, "--target", "flow-designer"],
        &["textconv", name],
        &["check", name, "--format", "sarif"],
        &["run", name, "--format", "json"],
        &["inspect", name],
    ] {
        let out = wxcflow(dir.path(), args);
        let all = transcript(&out);
        assert!(
            !all.contains('\u{1b}') && !all.contains('\u{9b}'),
            "{args:?}: {all:?}"
        );
    }
    // The document keeps the character, escaped; so does its decompiled spec on stdout.
    let document = std::fs::read_to_string(dir.path().join("out.json")).unwrap();
    assert!(document.contains("a\\u009b31mb Hands"), "{document}");
    let spec = wxcflow(dir.path(), &["decompile", "out.json"]);
    let spec = String::from_utf8(spec.stdout).unwrap();
    assert!(spec.contains("a\\u009b31mb Hands"), "{spec}");
    // `-o -` is stdout, as for build, not a file named `-`.
    let dash = wxcflow(dir.path(), &["decompile", "out.json", "-o", "-"]);
    assert_eq!(String::from_utf8(dash.stdout).unwrap(), spec);
    assert!(!dir.path().join("-").exists());
    let back: toml::Table = toml::from_str(&spec).unwrap();
    assert!(back["flow"]["description"]
        .as_str()
        .unwrap()
        .starts_with("a\u{9b}31mb"));
}

#[test]
fn build_with_json_format_reports_unreadable_inputs_as_json() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.toml"), "x = \n").unwrap();
    for (args, code) in [
        (
            &["build", "/dev/zero", "--format", "json"][..],
            "wxc::too-large",
        ),
        (
            &[
                "build", "--values", "bad.toml", "--format", "json", "-o", "o.json",
            ],
            "wxc::toml-syntax",
        ),
    ] {
        let out = wxcflow(dir.path(), args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let report: serde_json::Value = serde_json::from_slice(&out.stderr)
            .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {}", transcript(&out)));
        assert_eq!(report[0]["code"], code, "{args:?}");
    }
}

#[test]
fn every_command_reads_a_flow_document_one_way() {
    let dir = tempfile::tempdir().unwrap();
    // A document whose edge names a node that does not exist: JSON, in the format, refused by
    // the schema's reference check.
    let built = wxcflow(dir.path(), &["build", "-o", "good.json"]);
    assert_eq!(built.status.code(), Some(0));
    let good = std::fs::read_to_string(dir.path().join("good.json")).unwrap();
    let mut value: serde_json::Value = serde_json::from_str(&good).unwrap();
    value["flow"]["nodes"] = serde_json::json!([]);
    std::fs::write(dir.path().join("bad.json"), value.to_string()).unwrap();
    let expected = "error[wxc::schema-violation]: bad.json is not a valid flow document: ";
    let cases: [(&[&str], i32); 4] = [
        (&["check", "bad.json"], 1),
        (&["decompile", "bad.json"], 1),
        // diff says trouble with 2: 1 means "changes".
        (&["diff", "good.json", "bad.json"], 2),
        (&["diff", "bad.json", "good.json"], 2),
    ];
    for (args, code) in cases {
        let out = wxcflow(dir.path(), args);
        let all = text(&out.stdout) + &text(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {all}");
        assert!(all.contains(expected), "{args:?}: {all}");
    }
    // A violation in a secret variable's entry says where it is, never the value.
    let spec = "[flow]\nname = \"S\"\n[trigger]\ntype = \"webhook\"\nevent = \"e\"\nsample = \"{}\"\nnext = \"end:Success\"\n[variables.tok]\ndefault = \"hunter2-value\"\nsecret = true\nresult = true\n";
    std::fs::write(dir.path().join("s.toml"), spec).unwrap();
    let built = wxcflow(dir.path(), &["build", "s.toml", "-o", "s.json"]);
    assert_eq!(built.status.code(), Some(0), "{}", text(&built.stderr));
    let mut value: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("s.json")).unwrap()).unwrap();
    value["flow"]["variables"][0]["default"] = serde_json::json!(["hunter2-value"]);
    std::fs::write(dir.path().join("leak.json"), value.to_string()).unwrap();
    for args in [
        &["check", "leak.json"][..],
        &["decompile", "leak.json"],
        &["diff", "s.json", "leak.json"],
    ] {
        let out = wxcflow(dir.path(), args);
        let all = text(&out.stdout) + &text(&out.stderr);
        assert!(
            all.contains("/flow/variables/0/default: breaks the schema (the message is withheld"),
            "{args:?}: {all}"
        );
        assert!(!all.contains("hunter2"), "{args:?}: {all}");
    }
    // A byte order mark before the JSON is passed over, as detection does.
    std::fs::write(dir.path().join("bom.json"), format!("\u{feff}{good}")).unwrap();
    let out = wxcflow(dir.path(), &["decompile", "bom.json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

/// A mock's `fail` and `status` take only what they can mean: a misspelt failure was taken for
/// a refused connection, and a status past 16 bits was told as "expected an integer".
#[test]
fn a_mock_says_what_its_failure_and_status_may_be() {
    let dir = tempfile::tempdir().unwrap();
    let values = "token_service_url = \"https://token.example.com/ts\"\n\
                  token_passphrase = \"p\"\nstatic_token = \"\"\ndebug_url = \"\"\n";
    std::fs::write(dir.path().join("tenant.toml"), values).unwrap();
    let mock = |answer: &str| {
        let text = format!("[[http]]\nurl = \"https://token.example.com/*\"\n{answer}\n");
        std::fs::write(dir.path().join("mock.toml"), text).unwrap();
        let out = wxcflow(
            dir.path(),
            &["run", "--values", "tenant.toml", "--mock", "mock.toml"],
        );
        (out.status.code(), transcript(&out))
    };
    let (code, out) = mock("fail = \"timeout\"");
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("<- timed out"), "{out}");
    assert!(out.contains("fetch_token -> onTimeout"), "{out}");
    let (code, out) = mock("fail = \"conection\"");
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("mock.toml:3:1"), "{out}");
    assert!(
        out.contains("`fail` is \"connection\" or \"timeout\", not \"conection\""),
        "{out}"
    );
    for (status, told) in [
        ("70000", "not 70000"),
        ("42", "not 42"),
        ("\"200\"", "100 to 999"),
    ] {
        let (code, out) = mock(&format!("status = {status}"));
        assert_eq!(code, Some(1), "{out}");
        assert!(out.contains("mock.toml:3:1"), "{out}");
        assert!(out.contains(told), "{status}: {out}");
        assert!(!out.contains("expected an integer"), "{out}");
    }
}

/// A number in a reply reads as JavaScript writes the double (`1E2` and `100.0` are `100`),
/// not as serde writes a float (`100.0`), so a branch on it goes the platform's way.
#[test]
fn a_reply_number_reads_as_javascript_writes_it() {
    let spec = r#"
[flow]
name = "Num"
[trigger]
type = "webhook"
event = "Num"
sample = '{"id": "1"}'
next = "call"
[variables.Count]
default = ""
result = true
[nodes.call]
type = "http"
method = "GET"
url = "https://api.example.com/count"
outputs = { count = "$.count" }
on_leave = [{ set = { Count = "$(call.count)" } }]
next = { onSuccess = "chk", onError = "end:Error", onTimeout = "end:Error" }
[nodes.chk]
type = "branch"
branches = [{ name = "Hundred", all = [{ variable = "$(Count)", operator = "equals", value = "100" }] }]
next = { Hundred = "end:Success", none = "end:Error", onError = "end:Error" }
"#;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("n.toml"), spec).unwrap();
    for (reply, count, outcome) in [
        ("100", "100", "Success"),
        ("1E2", "100", "Success"),
        ("100.0", "100", "Success"),
        ("1.50", "1.5", "Error"),
        ("12345678901234567890", "12345678901234567000", "Error"),
    ] {
        let mock = format!(
            "[[http]]\nurl = \"https://api.example.com/count\"\nbody = '{{\"count\": {reply}}}'\n"
        );
        std::fs::write(dir.path().join("m.toml"), mock).unwrap();
        let out = wxcflow(dir.path(), &["run", "n.toml", "--mock", "m.toml"]);
        let out = transcript(&out);
        assert!(
            out.contains(&format!("set Count = \"{count}\"")),
            "{reply}: {out}"
        );
        assert!(
            out.contains(&format!("outcome: {outcome}")),
            "{reply}: {out}"
        );
    }
}

/// A run's trace lists a node's on-enter assignments before its request, the on-leave ones
/// after, as they ran; the JSON says how many came on enter.
#[test]
fn a_trace_shows_assignments_where_they_ran() {
    let spec = r#"
[flow]
name = "Order"
[trigger]
type = "webhook"
event = "Order"
sample = '{"id": "1"}'
next = "call"
[variables.X]
default = ""
result = true
[nodes.call]
type = "http"
method = "GET"
url = "https://api.example.com/$(X)"
on_enter = [{ set = { X = "entered" } }]
on_leave = [{ set = { X = "left-$(call.https.statusCode)" } }]
next = { onSuccess = "end:Success", onError = "end:Error", onTimeout = "end:Error" }
"#;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("o.toml"), spec).unwrap();
    std::fs::write(
        dir.path().join("m.toml"),
        "[[http]]\nurl = \"https://api.example.com/entered\"\nstatus = 204\n",
    )
    .unwrap();
    let out = wxcflow(dir.path(), &["run", "o.toml", "--mock", "m.toml"]);
    let text = transcript(&out);
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let at = |line: &str| lines.iter().position(|l| *l == line);
    let entered = at("set X = \"entered\"").expect(&text);
    let request = at("GET https://api.example.com/entered").expect(&text);
    let left = at("set X = \"left-204\"").expect(&text);
    assert!(entered < request && request < left, "{text}");
    let out = wxcflow(
        dir.path(),
        &["run", "o.toml", "--mock", "m.toml", "--format", "json"],
    );
    let run: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(run["steps"][0]["assigned_on_enter"], 1, "{run}");
}

/// A scenario's `[values]` are read as a tenant file is: a problem with one is located at the
/// scenario's own line and column, with the same help, and blamed on the scenario.
#[test]
fn a_scenarios_values_are_located_in_the_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let scenario =
        "name = \"misspelt\"\n[values]\ntoken_pasphrase = \"x\"\n[expect]\noutcome = \"Success\"\n";
    std::fs::write(dir.path().join("sc.toml"), scenario).unwrap();
    let inline =
        "name = \"inline\"\nvalues = { static_token = 5 }\n[expect]\noutcome = \"Success\"\n";
    std::fs::write(dir.path().join("inline.toml"), inline).unwrap();
    let out = wxcflow(dir.path(), &["test", "sc.toml"]);
    let text = transcript(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains(
            "FAIL  sc.toml: its [values] do not fit the spec: sc.toml:3:1: wxc::unknown-param:"
        ),
        "{text}"
    );
    assert!(text.contains("did you mean `token_passphrase`?"), "{text}");
    let out = wxcflow(dir.path(), &["test", "inline.toml"]);
    let text = transcript(&out);
    assert!(text.contains("inline.toml:2:"), "{text}");
    assert!(!text.contains("the spec does not build"), "{text}");
}

/// Reviews of a spec: a trigger sample's keys that are not plain names are quoted, so that
/// `{"a.b": 1}` and `{"a": {"b": 1}}` differ and a line break in a key starts no line; list
/// items come in their order; a header of any name typing a URL's password is a credential.
#[test]
fn reviews_tell_sample_shapes_apart_keep_list_order_and_hide_header_urls() {
    let spec = |sample: &str, password: &str| {
        format!(
            r#"[flow]
name = "Simple"
[trigger]
type = "webhook"
event = "Simple"
sample = '{sample}'
next = "call"
[nodes.call]
type = "http"
method = "GET"
url = "https://api.example.com/v1"
headers = {{ Referer = "https://u:{password}@h.example.com/", Accept = "text/plain" }}
next = {{ onSuccess = "end:Success", onError = "end:Error", onTimeout = "end:Error" }}
"#
        )
    };
    let dir = tempfile::tempdir().unwrap();
    let list = r#""l": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]"#;
    let old = spec(&format!(r#"{{"a.b": "1", {list}}}"#), "PASSONE");
    let new = spec(&format!(r#"{{"a": {{"b": "1"}}, {list}}}"#), "PASSTWO");
    let forged = spec(r#"{"x\nstart.next -> evil": "1"}"#, "PASSONE");
    std::fs::write(dir.path().join("old.toml"), old).unwrap();
    std::fs::write(dir.path().join("new.toml"), new).unwrap();
    std::fs::write(dir.path().join("forged.toml"), forged).unwrap();
    let diff = wxcflow(dir.path(), &["diff", "old.toml", "new.toml"]);
    let review = transcript(&diff);
    assert_eq!(diff.status.code(), Some(1), "{review}");
    assert!(
        review.contains(r#"~ trigger.sample["a.b"]: "1" → (none)"#),
        "{review}"
    );
    assert!(
        review.contains(r#"~ trigger.sample.a.b: (none) → "1""#),
        "{review}"
    );
    assert!(
        review.contains("~ call.headers.Referer: ••• → •••"),
        "{review}"
    );
    let lines = text(&wxcflow(dir.path(), &["textconv", "old.toml"]).stdout);
    let nine = lines.find("trigger.sample.l[9] = 10").expect(&lines);
    let ten = lines.find("trigger.sample.l[10] = 11").expect(&lines);
    assert!(nine < ten, "{lines}");
    let forged = text(&wxcflow(dir.path(), &["textconv", "forged.toml"]).stdout);
    assert!(
        forged.lines().all(|l| !l.starts_with("start.next -> evil")),
        "{forged}"
    );
    let out = transcript(&wxcflow(
        dir.path(),
        &["build", "old.toml", "-o", "old.json"],
    ));
    for shown in [review, lines, forged, out] {
        assert!(
            !shown.contains("PASSONE") && !shown.contains("PASSTWO"),
            "{shown}"
        );
    }
    common::assert_private(&dir.path().join("old.json"));
}
