//! Hostile input: every file in fixtures/hostile gets its exact, located answer; nothing panics,
//! hangs or writes where it should not.
// A test stops at the first thing that is not as expected.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use common::{logic, transcript, wxcflow};

use std::path::Path;

#[test]
fn every_hostile_file_gets_its_exact_answer() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    insta::glob!("../../fixtures/hostile", "*.toml", |path| {
        let relative = path
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let out = wxcflow(root, &["check", &relative]);
        // A crash would exit 101 (panic) or by signal (no code).
        assert!(
            matches!(out.status.code(), Some(0..=2)),
            "{relative}: {}",
            transcript(&out)
        );
        insta::assert_snapshot!(transcript(&out));
    });
}

#[test]
fn crlf_and_bom_specs_compile_to_the_same_document() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let plain = logic(&wxcflow(root, &["build", "-o", "-"]).stdout);
    for file in [
        "fixtures/hostile/crlf-line-endings.toml",
        "fixtures/hostile/byte-order-mark.toml",
    ] {
        let out = wxcflow(root, &["build", file, "-o", "-"]);
        assert_eq!(logic(&out.stdout), plain, "{file}");
    }
}

#[test]
fn inputs_over_10_mb_are_refused_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let big = "x".repeat(wxcflow::MAX_INPUT_BYTES + 1);
    std::fs::write(dir.path().join("big.toml"), format!("# {big}\n")).unwrap();
    std::fs::write(
        dir.path().join("big.workflow"),
        "a".repeat(wxcflow::tools::workflow::Export::MAX_BYTES + 2),
    )
    .unwrap();
    let spec = wxcflow(dir.path(), &["check", "big.toml"]);
    // An input problem (exit 1), reported as a diagnostic like any other.
    assert_eq!(spec.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&spec.stdout)
        .contains("error[wxc::too-large]: big.toml is over 10485760 bytes"));
    let export = wxcflow(dir.path(), &["inspect", "big.workflow"]);
    assert_eq!(export.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&export.stdout).contains("larger than any export"));
    // The library refuses as well, for callers that read files themselves.
    let source = wxcflow::diagnostic::SourceFile::new("big.toml", format!("# {big}\n"));
    let build = common::compiler().build(&source);
    assert_eq!(build.diagnostics[0].code.as_str(), "wxc::too-large");
}

#[cfg(unix)]
#[test]
fn a_symlink_in_the_output_folder_is_replaced_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("tenants")).unwrap();
    std::fs::create_dir_all(dir.path().join("out")).unwrap();
    std::fs::write(
        dir.path().join("tenants/acme.toml"),
        "debug_report = false\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("precious.txt"), "keep me\n").unwrap();
    std::os::unix::fs::symlink(
        dir.path().join("precious.txt"),
        dir.path().join("out/acme.flow.json"),
    )
    .unwrap();
    std::fs::write(dir.path().join("t.toml"), wxcflow::DEFAULT_SPEC).unwrap();
    let out = wxcflow(
        dir.path(),
        &["render", "t.toml", "--tenants", "tenants", "-o", "out"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("precious.txt")).unwrap(),
        "keep me\n"
    );
    let written = std::fs::symlink_metadata(dir.path().join("out/acme.flow.json")).unwrap();
    assert!(written.file_type().is_file());
}

#[test]
fn a_traversing_tenant_name_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("tenants")).unwrap();
    std::fs::write(dir.path().join("tenants/..toml"), "").unwrap();
    std::fs::write(dir.path().join("t.toml"), wxcflow::DEFAULT_SPEC).unwrap();
    let out = wxcflow(
        dir.path(),
        &["render", "t.toml", "--tenants", "tenants", "-o", "out"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("tenant name `.` (tenants/..toml) is not a safe file name"));
    assert!(!dir.path().join("out").exists());
}

#[test]
fn terminal_escapes_in_values_never_reach_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let spec = "[flow]\nname = \"E\"\n[trigger]\ntype = \"webhook\"\nevent = \"E\"\nsample = '{\"a\": 1}'\nnext = \"f\"\n[nodes.f]\ntype = \"http\"\nmethod = \"GE\\u001b[31mT\"\nurl = \"https://x.example/\\u001b]0;title\\u0007\"\nnext = { onSuccess = \"end:Success\", onError = \"end:Error\", onTimeout = \"end:Error\" }\n";
    std::fs::write(dir.path().join("esc.toml"), spec).unwrap();
    std::fs::write(
        dir.path().join("run.toml"),
        spec.replace("GE\\u001b[31mT", "GET"),
    )
    .unwrap();
    for args in [
        &["check", "esc.toml"][..],
        &["run", "run.toml"][..],
        &["sheet", "run.toml"][..],
        &["textconv", "run.toml"][..],
    ] {
        let out = common::wxcflow(dir.path(), args);
        let all = [out.stdout, out.stderr].concat();
        assert!(!all.contains(&0x1b) && !all.contains(&0x07), "{args:?}");
    }
    let check = common::wxcflow(dir.path(), &["check", "esc.toml"]);
    assert!(String::from_utf8_lossy(&check.stdout).contains("GE\u{fffd}[31mT"));
}

#[test]
fn file_names_with_terminal_escapes_are_shown_not_obeyed() {
    let dir = tempfile::tempdir().unwrap();
    let name = "e\u{1b}]0;T\u{7}.toml";
    // Not formatted (a blank line too many), and no scenario: both commands name the file.
    std::fs::write(
        dir.path().join(name),
        format!("{}\n\n", wxcflow::DEFAULT_SPEC),
    )
    .unwrap();
    for args in [
        &["fmt", "--check", name][..],
        &["test", name, "--flows", "."],
    ] {
        let out = wxcflow(dir.path(), args);
        let all = [out.stdout, out.stderr].concat();
        assert!(!all.contains(&0x1b) && !all.contains(&0x07), "{args:?}");
        assert!(
            String::from_utf8_lossy(&all).contains("e\u{fffd}]0;T\u{fffd}.toml"),
            "{args:?}"
        );
    }
}

/// Over `ulimit -f` the kernel would end the process halfway through its temporary file, which
/// would stay behind holding the secrets: the write is refused before the file exists.
#[cfg(target_os = "linux")]
#[test]
fn a_file_size_limit_leaves_no_partial_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("acme.toml"),
        "token_passphrase = { env = \"A_PASS\" }\n",
    )
    .unwrap();
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -f 8; exec \"$0\" build --values acme.toml -o out.flow.json")
        .arg(env!("CARGO_BIN_EXE_wxcflow"))
        .env("A_PASS", "Qpass")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("over this process's file size limit (ulimit -f) of"));
    let mut left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["acme.toml"]);
}

/// `man DIR` writes its pages as one: under `ulimit -f` none is written, and the folders it
/// made for them are gone again.
#[cfg(target_os = "linux")]
#[test]
fn man_under_a_file_size_limit_leaves_no_folder() {
    let dir = tempfile::tempdir().unwrap();
    let out = common::under_file_size_limit(dir.path(), 1, "man pages/one");
    assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
    assert!(transcript(&out).contains("file size limit (ulimit -f)"));
    assert!(!dir.path().join("pages").exists(), "{}", transcript(&out));
}

/// `wxcflow ARGS` in `dir` under `strace`, the system call `call` failing with `error` the
/// `when`th time. Without strace, or where tracing is not allowed (strace says so), the case
/// cannot be made: said where `cargo test` prints, and `None`; a failure under CI=true
/// (`.ci/run` installs strace).
#[cfg(target_os = "linux")]
fn with_failing_call(
    dir: &Path,
    (call, error, when): (&str, &str, u32),
    args: &[&str],
) -> Option<std::process::Output> {
    let traced = std::process::Command::new("strace")
        .args([
            "-f",
            "-qq",
            "-o",
            "/dev/null",
            "-e",
            &format!("trace={call}"),
        ])
        .args(["-e", &format!("inject={call}:error={error}:when={when}")])
        .arg(env!("CARGO_BIN_EXE_wxcflow"))
        .args(args)
        .current_dir(dir)
        .output();
    match traced {
        Ok(out) if !String::from_utf8_lossy(&out.stderr).contains("strace:") => Some(out),
        other => {
            assert!(
                !std::env::var("CI").is_ok_and(|v| v == "true"),
                "CI=true but strace cannot inject a failure here: {other:?}"
            );
            eprintln!("note: strace cannot inject a failure here ({other:?}); the case is skipped");
            None
        }
    }
}

/// `man DIR` places its pages one by one once all are written; when one cannot be placed (the
/// system refuses the fourth rename, made to by `strace`'s fault injection), the pages already
/// placed where no file was are removed again, and one that replaced an older page stays and
/// is counted.
#[cfg(target_os = "linux")]
#[test]
fn man_whose_page_cannot_be_placed_leaves_no_new_page() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("pages")).unwrap();
    let man = || with_failing_call(dir.path(), ("rename", "EPERM", 4), &["man", "pages"]);
    let pages = || {
        let mut names: Vec<String> = std::fs::read_dir(dir.path().join("pages"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let Some(out) = man() else {
        return;
    };
    let text = transcript(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("Operation not permitted") && text.contains("nothing was written"),
        "{text}"
    );
    assert_eq!(pages(), Vec::<String>::new(), "{text}");
    // An older first page: replaced, so it stays, and the message says so.
    std::fs::write(dir.path().join("pages/wxcflow.1"), "old").unwrap();
    let out = man().unwrap();
    let text = transcript(&out);
    assert!(
        text.contains("1 file written before it replaced older ones and stay"),
        "{text}"
    );
    assert_eq!(pages(), ["wxcflow.1"], "{text}");
    assert_ne!(
        std::fs::read(dir.path().join("pages/wxcflow.1")).unwrap(),
        b"old"
    );
}

/// `init` writes its three files as one, through the same size check as every output: under
/// `ulimit -f` it is refused with none of them cut off, and a run once the limit is lifted works.
#[cfg(target_os = "linux")]
#[test]
fn init_under_a_file_size_limit_leaves_nothing_and_runs_again() {
    let dir = tempfile::tempdir().unwrap();
    let out = common::under_file_size_limit(dir.path(), 10, "init ui");
    assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
    let text = transcript(&out);
    assert!(text.contains("file size limit (ulimit -f)"), "{text}");
    assert!(!text.contains("wrote "), "{text}");
    // The folders init made for the starter go too.
    assert!(!dir.path().join("ui").exists(), "{text}");
    let again = wxcflow(dir.path(), &["init", "ui"]);
    assert_eq!(again.status.code(), Some(0), "{}", transcript(&again));
    let schema = std::fs::read(dir.path().join("ui/flow-spec.schema.json")).unwrap();
    assert_eq!(schema, wxcflow::validate::spec_schema().as_bytes());
}

/// `init` places its files one by one once all three are written; when the last cannot be
/// placed (something appeared at its name since `init` looked: here the system says so, made to
/// by `strace`'s fault injection on the third link), the two already placed are removed too,
/// so that nothing of the starter is left and a run again works.
#[cfg(target_os = "linux")]
#[test]
fn init_whose_last_file_cannot_be_placed_leaves_nothing_and_runs_again() {
    let dir = tempfile::tempdir().unwrap();
    let Some(out) = with_failing_call(dir.path(), ("linkat", "EEXIST", 3), &["init", "ui"]) else {
        return;
    };
    let text = transcript(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("cannot write ui/tenants/example.toml: File exists")
            && text.contains("nothing was written"),
        "{text}"
    );
    assert!(!text.contains("wrote "), "{text}");
    // The folders init made for the starter go too.
    assert!(!dir.path().join("ui").exists(), "{text}");
    let again = wxcflow(dir.path(), &["init", "ui"]);
    assert_eq!(again.status.code(), Some(0), "{}", transcript(&again));
}

/// File names are printed as `printable_name` makes them: no escape sequence reaches the
/// terminal, and no line break splits a line, in diff of exports, verify and build's report.
#[cfg(unix)]
#[test]
fn file_names_with_escapes_and_line_breaks_are_printed_harmless() {
    let dir = tempfile::tempdir().unwrap();
    let harmless =
        |text: &str| !text.contains('\u{1b}') && !text.contains("\n.w") && !text.contains("\nx");
    // Two exports (one block of hex each) under names that hold ESC and a line break.
    let a = "a\u{1b}[31m\n.workflow";
    let b = "b\u{1b}[31m\n.workflow";
    std::fs::write(dir.path().join(a), "10".repeat(256)).unwrap();
    std::fs::write(dir.path().join(b), "11".repeat(256)).unwrap();
    let out = wxcflow(dir.path(), &["diff", a, b]);
    let text = transcript(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(harmless(&text), "{text:?}");
    // build's `wrote` line.
    std::fs::write(dir.path().join("s.toml"), wxcflow::DEFAULT_SPEC).unwrap();
    let target = "out\u{1b}[31m\nx.flow.json";
    let out = wxcflow(dir.path(), &["build", "s.toml", "-o", target]);
    let text = transcript(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("wrote out"), "{text}");
    assert!(harmless(&text), "{text:?}");
    // verify of a render folder so named.
    std::fs::create_dir(dir.path().join("ten")).unwrap();
    std::fs::write(dir.path().join("ten/acme.toml"), "debug_report = false\n").unwrap();
    let folder = "o\u{1b}[31m\nx";
    let out = wxcflow(
        dir.path(),
        &["render", "s.toml", "--tenants", "ten", "-o", folder],
    );
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    let out = wxcflow(dir.path(), &["verify", folder]);
    let text = transcript(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(harmless(&text), "{text:?}");
}

/// A flow document with a JSON syntax error is told as JSON, where it breaks: check and diff
/// read it as the document it is meant to be, not as TOML failing at 1:1.
#[test]
fn a_flow_document_with_a_json_syntax_error_is_told_where_it_breaks() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.toml"), wxcflow::DEFAULT_SPEC).unwrap();
    let built = wxcflow(dir.path(), &["build", "s.toml", "-o", "good.flow.json"]);
    assert_eq!(built.status.code(), Some(0), "{}", transcript(&built));
    let good = std::fs::read_to_string(dir.path().join("good.flow.json")).unwrap();
    // The second line, `  "format": ...`, loses its colon.
    let bad = good.replacen("\"format\":", "\"format\"", 1);
    assert_ne!(bad, good);
    std::fs::write(dir.path().join("bad.flow.json"), bad).unwrap();
    for (args, code) in [
        (&["check", "bad.flow.json"][..], 1),
        (&["diff", "good.flow.json", "bad.flow.json"][..], 2),
    ] {
        let out = wxcflow(dir.path(), args);
        let text = transcript(&out);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {text}");
        assert!(!text.contains("toml"), "{args:?}: {text}");
        assert!(text.contains("bad.flow.json:2:"), "{args:?}: {text}");
        assert!(
            text.contains("not a valid flow document: expected `:`"),
            "{args:?}: {text}"
        );
    }
    // inspect names it as JSON that breaks off there, not as an export with a stray byte.
    let out = wxcflow(dir.path(), &["inspect", "bad.flow.json"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "bad.flow.json: not a Webex Connect export: JSON that does not read: expected `:` (line 2)\n"
    );
}

/// A flow document that breaks just after a secret (cut there, or a stray character after it)
/// is located as its line shows with the secret hidden: the JSON parser's column counts the
/// secret's characters, and said as it is, it told the secret's length.
#[test]
fn where_a_document_breaks_after_a_secret_tells_nothing_of_its_length() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.toml"), wxcflow::DEFAULT_SPEC).unwrap();
    let mut said = Vec::new();
    for secret in ["Zq7", "Zq7Zq7Zq7Zq7Zq7Zq7Zq7Zq7Zq7"] {
        std::fs::write(
            dir.path().join("t.toml"),
            format!("static_token = \"{secret}\"\n"),
        )
        .unwrap();
        let out = wxcflow(
            dir.path(),
            &["build", "s.toml", "--values", "t.toml", "-o", "d.json"],
        );
        assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
        let document = std::fs::read_to_string(dir.path().join("d.json")).unwrap();
        let quoted = format!("\"{secret}\"");
        let after = document.find(&quoted).unwrap() + quoted.len();
        std::fs::write(dir.path().join("cut.json"), &document[..after]).unwrap();
        let stray = format!("{} x{}", &document[..after], &document[after..]);
        std::fs::write(dir.path().join("stray.json"), stray).unwrap();
        // The same key again after it, and a byte that is not UTF-8.
        let twice = format!(
            "{}, \"default\": \"x\"{}",
            &document[..after],
            &document[after..]
        );
        std::fs::write(dir.path().join("twice.json"), twice).unwrap();
        let mut bytes = document.as_bytes()[..after].to_vec();
        bytes.push(0xff);
        bytes.extend_from_slice(&document.as_bytes()[after..]);
        std::fs::write(dir.path().join("latin.json"), bytes).unwrap();
        let mut outputs = Vec::new();
        for file in ["cut.json", "stray.json", "twice.json", "latin.json"] {
            for command in ["check", "graph", "decompile", "inspect"] {
                let out = wxcflow(dir.path(), &[command, file]);
                let text = transcript(&out);
                assert!(!text.contains(secret), "{command} {file}: {text}");
                assert!(!text.contains(" column "), "{command} {file}: {text}");
                outputs.push(text);
            }
            let json = wxcflow(dir.path(), &["check", file, "--format", "json"]);
            outputs.push(transcript(&json));
        }
        said.push(outputs);
    }
    assert_eq!(said[0], said[1]);
    assert!(said[0][0].contains("cut.json:"), "{}", said[0][0]);
}

/// A secret too large for a template value is refused like any value, without its size or
/// text; it was left in the document as its template text, `{{ static_token }}`.
#[test]
fn a_secret_over_the_value_limit_is_refused_not_left_as_template_text() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("ten")).unwrap();
    std::fs::write(dir.path().join("ten/static.txt"), "s".repeat(1_100_000)).unwrap();
    std::fs::write(
        dir.path().join("ten/big.toml"),
        "static_token = { file = \"static.txt\" }\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("t.toml"), wxcflow::DEFAULT_SPEC).unwrap();
    for args in [
        &["build", "--values", "ten/big.toml", "-o", "big.json"][..],
        &[
            "build",
            "--values",
            "ten/big.toml",
            "--target",
            "flow-designer",
        ][..],
        &["render", "t.toml", "--tenants", "ten", "-o", "out"][..],
    ] {
        let out = wxcflow(dir.path(), args);
        let text = transcript(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {text}");
        assert!(text.contains("it fills in secret parameter `static_token`, and its value would be over the 1048576 bytes a value may be; the value is not shown"), "{args:?}: {text}");
        assert!(
            !text.contains("ssss") && !text.contains("1100000"),
            "{text}"
        );
    }
    assert!(!dir.path().join("big.json").exists());
    assert!(!dir.path().join("GetOAuthToken.fd.json").exists());
}

#[test]
fn a_variable_note_changes_as_its_text() {
    let dir = tempfile::tempdir().unwrap();
    let old = wxcflow::DEFAULT_SPEC;
    let note = "note = \"Set by this flow; the parent flow reads it. Leave empty.\"";
    assert!(old.contains(note));
    std::fs::write(dir.path().join("old.toml"), old).unwrap();
    std::fs::write(
        dir.path().join("new.toml"),
        old.replace(note, "note = \"Changed.\""),
    )
    .unwrap();
    let out = wxcflow(dir.path(), &["diff", "old.toml", "new.toml"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "~ variables.JDSToken.note: \"Set by this flow; the parent flow reads it. Leave empty.\" → \"Changed.\"\n"
    );
}

/// A line break in a value the trace shows (a request's body) is shown as U+FFFD in the text
/// trace: a value cannot forge a line of its own (`set Forged = ...`). Typed in a header, it is
/// refused (HTTP cannot carry it); read into a header at run time, the request cannot be made
/// and the run stops, saying nothing of the value; read into the body, it reaches the trace.
#[test]
fn a_value_cannot_forge_a_line_of_the_run_trace() {
    let dir = tempfile::tempdir().unwrap();
    let spec = |header: &str, variables: &str| {
        format!(
            "[flow]\nname = \"F\"\n\n[trigger]\ntype = \"webhook\"\nevent = \"F\"\nsample = '{{\"id\": \"1\"}}'\n\
             next = \"c\"\n\n{variables}[nodes.c]\ntype = \"http\"\nmethod = \"POST\"\n\
             url = \"https://h.example.com/x\"\n\
             headers = {{ Accept = \"{header}\" }}\nbody = \"$(Kind)\"\n\
             next = {{ onSuccess = \"end:Success\", onError = \"end:Error\", onTimeout = \"end:Error\" }}\n"
        )
    };
    std::fs::write(
        dir.path().join("typed.toml"),
        spec("json\\nset Forged = 2", ""),
    )
    .unwrap();
    let out = wxcflow(dir.path(), &["run", "typed.toml", "--mock", "/dev/null"]);
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "error[wxc::invalid-header-value]: the value of header `Accept` holds a line break"
        ),
        "{stderr}"
    );
    std::fs::write(
        dir.path().join("f.toml"),
        spec(
            "$(Kind)",
            "[variables.Kind]\ndefault = \"json\\nset Forged = 2\"\n\n",
        ),
    )
    .unwrap();
    let out = wxcflow(dir.path(), &["run", "f.toml", "--mock", "/dev/null"]);
    let trace = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
    assert!(
        trace.contains("stopped: node `c`: the request cannot be made: a header or the URL holds a character HTTP does not allow; the run stops here"),
        "{}",
        transcript(&out)
    );
    std::fs::write(
        dir.path().join("body.toml"),
        spec(
            "json",
            "[variables.Kind]\ndefault = \"json\\nset Forged = 2\"\n\n",
        ),
    )
    .unwrap();
    let out = wxcflow(dir.path(), &["run", "body.toml", "--mock", "/dev/null"]);
    let trace = String::from_utf8_lossy(&out.stdout);
    assert!(
        trace.contains("body: json\u{fffd}set Forged = 2"),
        "{}",
        transcript(&out)
    );
    for trace in [trace, String::from_utf8_lossy(&out.stderr)] {
        assert!(
            !trace
                .lines()
                .any(|l| l.trim_start().starts_with("set Forged")),
            "{trace}"
        );
    }
}

#[test]
fn nesting_past_the_limits_is_a_located_error_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    // A Flow Designer export nested 50,000 deep: serde_json refuses it at 128, and nothing
    // that locates the error may go deeper.
    let n = 50_000;
    let deep = format!(
        "{{\"flowType\":\"FLOW\",\"name\":\"x\",\"variables\":[],\"process\":{{\"activities\":{{}},\"links\":[]}},\"x\":{}{}}}",
        "[".repeat(n),
        "]".repeat(n)
    );
    std::fs::write(dir.path().join("deep.json"), deep).unwrap();
    for command in ["check", "inspect", "run", "decompile"] {
        let out = wxcflow(dir.path(), &[command, "deep.json"]);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{command}: {}",
            transcript(&out)
        );
        assert!(
            transcript(&out).contains("recursion limit exceeded"),
            "{command}: {}",
            transcript(&out)
        );
        assert!(transcript(&out).contains("deep.json:1:"), "{command}");
    }
    // TOML nested 10,000 deep (arrays, inline tables): `toml` refuses it at 80, and textconv's
    // scans of text that does not read stop there too; the line is shown hidden.
    for (name, open) in [("arrays", "["), ("tables", "{b=")] {
        let file = format!("deep-{name}.toml");
        std::fs::write(
            dir.path().join(&file),
            format!("a={}\n", open.repeat(10_000)),
        )
        .unwrap();
        let check = wxcflow(dir.path(), &["check", &file]);
        assert_eq!(check.status.code(), Some(1), "{}", transcript(&check));
        assert!(
            transcript(&check).contains("max recursion depth met"),
            "{}",
            transcript(&check)
        );
        let out = wxcflow(dir.path(), &["textconv", &file]);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", transcript(&out));
        assert_eq!(String::from_utf8_lossy(&out.stdout), "•••\n", "{name}");
    }
    // A template with 8,000 `elif`s, or 30,000 chained `not`s: refused before minijinja's
    // parser, which goes one call deeper for each.
    let spec = wxcflow::DEFAULT_SPEC;
    let at = spec.find("[nodes.").unwrap();
    for (name, template) in [
        (
            "elif",
            format!(
                "{{% if debug_report %}}a{}{{% endif %}}",
                "{% elif debug_report %}b".repeat(8_000)
            ),
        ),
        (
            "not",
            format!("{{{{ {}debug_report }}}}", "not ".repeat(30_000)),
        ),
    ] {
        let file = format!("{name}.toml");
        let text = format!(
            "{}[variables.Deep]\ndefault = \"{template}\"\n\n{}",
            &spec[..at],
            &spec[at..]
        );
        std::fs::write(dir.path().join(&file), text).unwrap();
        let check = ["check", file.as_str()];
        let build = ["build", file.as_str(), "-o", "-"];
        for args in [&check[..], &build[..]] {
            let command = args[0];
            let out = wxcflow(dir.path(), args);
            assert_eq!(
                out.status.code(),
                Some(1),
                "{name} {command}: {}",
                transcript(&out)
            );
            let shown = transcript(&out);
            assert!(
                shown.contains("template holds more than 500 operators, brackets and `elif`s"),
                "{name} {command}: {shown}"
            );
            assert!(
                shown.contains(&format!("{file}:")),
                "{name}: located: {shown}"
            );
        }
    }
}

#[test]
fn a_run_copying_large_values_stops_at_its_memory_budget() {
    let dir = tempfile::tempdir().unwrap();
    // A node whose reply (1 MiB) is copied into a variable and back to itself: 1,000 steps
    // would hold gigabytes.
    let spec = "[flow]\nname = \"Loop\"\n\n[trigger]\ntype = \"webhook\"\nevent = \"E\"\nsample = '{\"a\": \"b\"}'\nnext = \"h\"\n\n[variables.V]\ndefault = \"\"\n\n[variables.result]\ndefault = \"\"\nresult = true\n\n[nodes.h]\ntype = \"http\"\nmethod = \"GET\"\nurl = \"https://big.example.com/x\"\noutputs = { x = \"$.x\" }\non_leave = [{ set = { V = \"$(h.x)\", result = \"r\" } }]\nnext = { onSuccess = \"h\", onError = \"end:Success\", onTimeout = \"end:Success\" }\n";
    let mock = format!(
        "[[http]]\nmethod = \"GET\"\nurl = \"https://big.example.com/x\"\nstatus = 200\nbody = '{{\"x\": \"{}\"}}'\n",
        "A".repeat(1024 * 1024)
    );
    std::fs::write(dir.path().join("loop.toml"), spec).unwrap();
    std::fs::write(dir.path().join("mock.toml"), mock).unwrap();
    let out = wxcflow(
        dir.path(),
        &[
            "run",
            "loop.toml",
            "--mock",
            "mock.toml",
            "--format",
            "json",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let run: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let error = run["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("node `h` takes what the run holds (values, replies and the trace) past 134217728 bytes"),
        "{error}"
    );
    // Stopped long before the step limit.
    assert!(run["steps"].as_array().unwrap().len() < 100);
}

/// `schema > file` under `ulimit -f`: stdout is a file, and what would not fit is not begun (the
/// kernel would end the process halfway through the write); exit 2, the file left empty.
#[cfg(target_os = "linux")]
#[test]
fn stdout_to_a_file_under_a_size_limit_is_refused_not_cut_off() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -f 10; exec \"$0\" schema flow-designer > schema.json")
        .arg(env!("CARGO_BIN_EXE_wxcflow"))
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("file size limit (ulimit -f)"));
    assert_eq!(std::fs::read(dir.path().join("schema.json")).unwrap(), b"");
    // Appending to a file that has room for it works as before.
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -f 1000; exec \"$0\" schema flow-designer >> schema.json")
        .arg(env!("CARGO_BIN_EXE_wxcflow"))
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    assert!(
        std::fs::metadata(dir.path().join("schema.json"))
            .unwrap()
            .len()
            > 10_240
    );
}

/// `check spec >> log 2>&1` under `ulimit -f`: stderr is held to the limit as stdout is, with
/// both streams sent to the same file. The report that would not fit is not begun (the kernel
/// would end the process with SIGXFSZ halfway through a line), and the run ends by its exit code.
#[cfg(target_os = "linux")]
#[test]
fn stderr_to_a_file_under_a_size_limit_is_not_cut_off() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("e.toml"),
        "[flow]\nname = \"A\"\nbogus = 1\n",
    )
    .unwrap();
    // The limit in bytes, as the process is given it (sh counts `ulimit -f` in blocks of 512
    // or 1024 bytes).
    let limits = std::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -f 2; exec cat /proc/self/limits")
        .output()
        .unwrap();
    let limit: usize = String::from_utf8_lossy(&limits.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("Max file size"))
        .and_then(|l| l.split_whitespace().next()?.parse().ok())
        .unwrap();
    let run = |room: usize, redirect: &str| {
        let before = limit.saturating_sub(room);
        std::fs::write(dir.path().join("log"), vec![b'.'; before]).unwrap();
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("ulimit -f 2; exec \"$0\" check e.toml {redirect}"))
            .arg(env!("CARGO_BIN_EXE_wxcflow"))
            .current_dir(dir.path())
            .output()
            .unwrap();
        let log = std::fs::read(dir.path().join("log")).unwrap();
        (out, String::from_utf8_lossy(&log[before..]).into_owned())
    };
    // Only stderr to the file: the summary line (36 bytes) does not fit in the last 24.
    let (out, log) = run(24, "2>>log");
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
    assert_eq!(log, "");
    // Both streams: the diagnostics fit, the summary line does not, and nothing of it is begun.
    let (out, log) = run(224, ">>log 2>&1");
    assert!(out.status.code().is_some(), "ended by a signal");
    assert!(log.starts_with("error[wxc::unknown-key]"), "{log}");
    assert!(log.ends_with("\n\n") && !log.contains("checked"), "{log}");
    // With room, the whole report.
    assert!(limit > 300, "{limit}");
    let (out, log) = run(limit, ">>log 2>&1");
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
    assert!(
        log.ends_with("checked 1 spec: 1 error, 0 warnings\n"),
        "{log}"
    );
}

/// A line break in a name printed within a line (a file's, a folder's, a tenant's, `-o`, a node
/// key, a variable, a tenant key, an environment variable, a Flow Designer activity, a flag)
/// shows as U+FFFD in every report line: the diagnostic's ` --> file` line and its message,
/// render's notes, tenant headers and summary, `check --tenants`, `build --values`, `push`,
/// and clap's own messages about a flag.
/// No line of any output begins with what the name carried after its line break.
#[cfg(unix)]
#[test]
fn a_line_break_in_any_name_stays_within_its_report_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let forged = |what: &str| format!("x\nerror: FORGED {what}");
    let spec = d.join("spec.toml");
    std::fs::write(&spec, wxcflow::DEFAULT_SPEC).unwrap();
    let tenant = "token_service_url = \"https://t.example.com/x\"\n";
    let mut runs: Vec<Vec<String>> = Vec::new();
    let mut run = |args: &[&str]| {
        runs.push(args.iter().map(|a| a.to_string()).collect());
    };
    // A spec's file name, with an unknown key: the location line.
    let spec_name = forged("spec.toml");
    std::fs::write(d.join(&spec_name), "[flow]\nname = \"A\"\nbogus = 1\n").unwrap();
    run(&["check", &spec_name]);
    run(&["build", &spec_name, "-o", "-"]);
    // A node key and a variable name in a spec.
    std::fs::write(
        d.join("keys.toml"),
        format!(
            "{}\n[variables.\"v\\nerror: FORGED variable\"]\ndefault = \"x\"\n[nodes.\"n\\nerror: FORGED node\"]\ntype = \"http\"\n",
            wxcflow::DEFAULT_SPEC
        ),
    )
    .unwrap();
    run(&["check", "keys.toml"]);
    // A tenant file name (refused as a tenant name), and a directory skipped.
    std::fs::create_dir(d.join("t1")).unwrap();
    std::fs::write(
        d.join("t1").join(format!("{}.toml", forged("tenant"))),
        tenant,
    )
    .unwrap();
    run(&["render", "spec.toml", "--tenants", "t1", "-o", "o1"]);
    std::fs::create_dir(d.join("t2")).unwrap();
    std::fs::create_dir(d.join("t2").join(format!("{}.toml", forged("skipped")))).unwrap();
    std::fs::write(d.join("t2/b.toml"), tenant).unwrap();
    // `-o` in the summary.
    let out_dir = forged("output folder");
    run(&["render", "spec.toml", "--tenants", "t2", "-o", &out_dir]);
    run(&["verify", &out_dir]);
    // A tenants folder's name in the tenant header, with a tenant key and an environment
    // variable that name a line break.
    let folder = forged("folder");
    std::fs::create_dir(d.join(&folder)).unwrap();
    std::fs::write(
        d.join(&folder).join("b.toml"),
        format!("{tenant}static_token = {{ env = \"A\\nerror: FORGED env\" }}\n\"k\\nerror: FORGED key\" = 1\n"),
    )
    .unwrap();
    run(&["render", "spec.toml", "--tenants", &folder, "-o", "o4"]);
    run(&["check", "spec.toml", "--tenants", &folder]);
    let values = format!("{folder}/b.toml");
    run(&["build", "spec.toml", "--values", &values, "-o", "-"]);
    // A Flow Designer activity name.
    std::fs::write(
        d.join("fd.toml"),
        "[flow_designer]\nname = \"F\"\ntype = \"SUBFLOW\"\n[activities.Start]\ntype = \"NewSubFlowStart\"\nnext = { out = \"a\\nerror: FORGED activity\" }\n[activities.\"a\\nerror: FORGED activity\"]\ntype = \"http-request-v2\"\n[activities.\"a\\nerror: FORGED activity\".settings]\nhttpRequestUrl = \"https://x.example.com\"\n",
    )
    .unwrap();
    run(&["check", "fd.toml"]);
    // A push flag.
    let region = forged("region");
    run(&[
        "push",
        "fd.toml",
        "--org",
        "o",
        "--token-env",
        "PATH",
        "--region",
        &region,
    ]);
    // A flag's value that clap refuses, quoted in its message.
    let jobs = forged("jobs");
    run(&[
        "render",
        "spec.toml",
        "--tenants",
        "t2",
        "-o",
        "o5",
        "--jobs",
        &jobs,
    ]);
    for args in &runs {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = common::wxcflow(d, &args);
        assert!(out.status.code().is_some(), "{args:?}: ended by a signal");
        let said = transcript(&out);
        assert!(
            said.contains('\u{fffd}'),
            "{args:?}: the name is not named:\n{said}"
        );
        assert!(
            !said
                .lines()
                .any(|l| l.trim_start().starts_with("error: FORGED")),
            "{args:?}:\n{said}"
        );
    }
}

/// A name read from a file or a folder (a scenario's, a flow's, a zip member's, a file's) is
/// printed on its own line: a line break in it cannot forge a line of the report.
#[test]
fn a_line_break_in_a_name_cannot_forge_a_line_of_output() {
    let dir = tempfile::tempdir().unwrap();
    let forged = "ok    forged: all good";
    std::fs::create_dir(dir.path().join("scenarios")).unwrap();
    std::fs::write(
        dir.path().join("scenarios/s.toml"),
        format!("name = \"x\\n{forged}\"\n[expect]\noutcome = \"Success\"\n"),
    )
    .unwrap();
    let out = wxcflow(dir.path(), &["test", "scenarios"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("x\u{fffd}ok    forged"),
        "{}",
        transcript(&out)
    );
    assert!(!stdout.lines().any(|l| l == forged), "{stdout}");

    // A zip member's name, in inspect.
    let zip_path = dir.path().join("x.workflow.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
    zip.start_file(
        format!("a\n{forged}\n.workflow"),
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    use std::io::Write as _;
    zip.write_all(b"00ff").unwrap();
    zip.finish().unwrap();
    let out = wxcflow(dir.path(), &["inspect", "x.workflow.zip"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("a\u{fffd}ok    forged"),
        "{}",
        transcript(&out)
    );
    assert!(!stdout.lines().any(|l| l == forged), "{stdout}");
}

/// decompile reads flow documents and Flow Designer exports; a `.workflow` export or a spec is
/// told for what it is (exit 2), not as a JSON syntax error.
#[test]
fn decompile_says_what_it_cannot_read() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("old.workflow"), "00ff".repeat(64)).unwrap();
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/get-oauth-token.toml");
    for (file, said) in [
        (
            "old.workflow",
            "old.workflow is a .workflow export: its flow is encrypted",
        ),
        (
            spec.to_str().unwrap(),
            "is TOML or other text, not a flow document: decompile reads flow documents and Flow Designer exports",
        ),
    ] {
        let out = wxcflow(dir.path(), &["decompile", file]);
        assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(said),
            "{}",
            transcript(&out)
        );
        assert!(out.stdout.is_empty());
    }
}

/// `--help` into a file under `ulimit -f` is held to the limit as every output is (it was cut
/// off by SIGXFSZ); `fmt` names a file on one line; build, run and sheet refuse a `.workflow`
/// export with exit 2, as graph and decompile do.
#[cfg(target_os = "linux")]
#[test]
fn help_fmt_and_workflow_refusals_hold_as_every_command_does() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -f 2; exec \"$0\" --help > help.txt")
        .arg(env!("CARGO_BIN_EXE_wxcflow"))
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
    assert_eq!(std::fs::read(dir.path().join("help.txt")).unwrap(), b"");

    let name = "a\nformatted b.toml";
    let mut spec = wxcflow::DEFAULT_SPEC.to_string();
    spec.push_str("\n\n");
    std::fs::write(dir.path().join(name), spec).unwrap();
    let out = wxcflow(dir.path(), &["fmt", name]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("formatted a\u{fffd}formatted b.toml"),
        "{}",
        transcript(&out)
    );

    std::fs::write(dir.path().join("old.workflow"), "00ff".repeat(64)).unwrap();
    for command in ["build", "run", "sheet"] {
        let out = wxcflow(dir.path(), &[command, "old.workflow"]);
        assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
        assert!(String::from_utf8_lossy(&out.stderr).contains("is a .workflow export"));
    }
}

/// A spec that is not UTF-8 is said to be so by every reader of revisions, not taken for an
/// export with a stray hex byte; by its line, not where on it (which would tell how long a
/// value before it is).
#[test]
fn text_that_is_not_utf8_is_named_so_by_diff_textconv_and_inspect() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let spec = "fixtures/hostile/invalid-utf8.toml";
    for args in [
        &["diff", spec, spec][..],
        &["textconv", spec],
        &["inspect", spec],
    ] {
        let out = transcript(&wxcflow(root, args));
        assert!(
            out.contains("text that is not UTF-8 (line 2)"),
            "{args:?}: {out}"
        );
        assert!(!out.contains("non-hex"), "{args:?}: {out}");
    }
}

/// A spec that is not UTF-8 is no TOML: `wxc::toml-syntax` by its line, exit 1, in every
/// format of every command that reads one (JSON and SARIF readers saw a clean spec), nothing
/// of the file quoted.
#[test]
fn a_spec_that_is_not_utf8_is_a_toml_syntax_problem_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.toml"),
        b"[flow]\nname = \"GetOAuthToken\"\ndescription = \"pass\xffword\"\n",
    )
    .unwrap();
    let mut transcripts = String::new();
    for args in [
        &["check", "bad.toml"][..],
        &["check", "bad.toml", "--format", "json"],
        &["build", "bad.toml", "-o", "out.flow.json"],
        &[
            "build",
            "bad.toml",
            "--format",
            "json",
            "-o",
            "out.flow.json",
        ],
        &[
            "build",
            "bad.toml",
            "--target",
            "flow-designer",
            "-o",
            "fd.json",
        ],
        &["fmt", "--check", "bad.toml"],
        &["run", "bad.toml"],
    ] {
        let out = wxcflow(dir.path(), args);
        let text = transcript(&out);
        assert!(!text.contains("pass"), "{args:?}: {text}");
        transcripts.push_str(&format!("$ {}\n{text}\n", args.join(" ")));
    }
    let sarif = wxcflow(dir.path(), &["check", "bad.toml", "--format", "sarif"]);
    assert_eq!(sarif.status.code(), Some(1));
    let log: serde_json::Value = serde_json::from_slice(&sarif.stdout).unwrap();
    let results = &log["runs"][0]["results"];
    assert_eq!(results.as_array().map(Vec::len), Some(1), "{log}");
    assert_eq!(results[0]["ruleId"], "wxc::toml-syntax");
    assert!(!dir.path().join("out.flow.json").exists());
    insta::assert_snapshot!(transcripts);
}
