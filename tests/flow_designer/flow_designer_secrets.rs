//! The Flow Designer leak suite: every Flow Designer command, run on files that hold secrets of
//! many lengths and shapes, must print the same bytes whatever the secrets are. Output that does
//! not depend on a secret's value can neither show it nor tell its length.
//!
//! The secrets sit where Flow Designer files hold them: a variable marked secure, a credential
//! header and a URL's API key typed in clear, a credential-named variable that is not secure, a
//! tenant's secret lowered into a subflow, and the bearer token `push` sends (to a stand-in on
//! 127.0.0.1 that echoes the whole request back, in its status line's answer, error fields and
//! field names). The files come pretty-printed and on one line, and broken in their syntax and
//! their shape right beside a secret.
// A test stops at the first thing that is not as expected.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use serde_json::{json, Value};
use std::io::{BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output};

use common::SECRET_SETS;

const REFERENCE: (&str, &str) = ("REFERENCE-FIRST-SECRET", "REFERENCE-SECOND");

const TENANT: &str = r#"token_service_url = "https://ts.example/token-service?name=jds"
token_passphrase = { env = "LEAK_PASSPHRASE" }
static_token = { env = "LEAK_STATIC" }
debug_url = "https://catcher.example/debug"
"#;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Sets an activity's property, and its copy on the diagram's widget, in an export.
fn set_property(export: &mut Value, activity: &str, path: &[&str], value: Value) {
    let id = export["process"]["activities"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(_, a)| a["name"] == activity)
        .unwrap()
        .0
        .clone();
    for part in ["/process/activities", "/diagram/widgets"] {
        let properties = export
            .pointer_mut(&format!("{part}/{id}/properties"))
            .unwrap();
        let (last, parents) = path.split_last().unwrap();
        let mut at = properties;
        for key in parents {
            at = &mut at[*key];
        }
        at[*last] = value.clone();
    }
}

fn variable(name: &str, value: &str, secure: bool) -> Value {
    json!({
        "name": name, "description": "", "type": "STRING", "value": value, "isCAD": false,
        "desktopLabel": "", "isAgentEditable": false, "source": "", "isReportable": false,
        "overwrite": false, "isSecure": secure, "id": ""
    })
}

/// The voice-lookup fixture with `secure` as a secure variable's value and as a variable that
/// is named as a credential but not secure, and `clear` typed in clear in the token request's
/// credential header and as the lookup URL's API key.
fn export_holding(secure: &str, clear: &str) -> Value {
    let text =
        std::fs::read_to_string(root().join("fixtures/flow-designer/exports/voice-lookup.json"))
            .unwrap();
    let mut export: Value = serde_json::from_str(&text).unwrap();
    let variables = export["variables"].as_array_mut().unwrap();
    variables.push(variable("CrmKey", secure, true));
    variables.push(variable("backupPassword", secure, false));
    set_property(
        &mut export,
        "GetToken",
        &["httpRequestHeaders", "x-token-passphrase"],
        json!(clear),
    );
    set_property(
        &mut export,
        "Lookup",
        &["httpRequestUrl"],
        json!(format!(
            "https://crm.example.com/customers?phone={{{{NewPhoneContact.ANI | urlencode}}}}&apikey={clear}"
        )),
    );
    export
}

/// Writes every input file for one pair of secrets.
fn setup(dir: &Path, secrets: (&str, &str)) {
    let (first, second) = secrets;
    let export = export_holding(first, second);
    let pretty = serde_json::to_string_pretty(&export).unwrap();
    let one_line = serde_json::to_string(&export).unwrap();
    let write = |name: &str, text: &str| std::fs::write(dir.join(name), text).unwrap();
    write("export.json", &pretty);
    write("export.min.json", &one_line);
    // The secrets swapped and a timeout changed: a diff sees secret values change.
    let mut changed = export_holding(second, first);
    set_property(
        &mut changed,
        "Lookup",
        &["httpResponseTimeout"],
        json!(4000),
    );
    write(
        "changed.json",
        &serde_json::to_string_pretty(&changed).unwrap(),
    );
    // Broken right after the secure value, on its line; and at the end of the one line.
    let value = format!("\"value\": \"{first}\"");
    assert!(pretty.contains(&value));
    write(
        "broken.json",
        &pretty.replacen(&value, &format!("{value} x"), 1),
    );
    assert!(one_line.ends_with('}'));
    write(
        "broken.min.json",
        &format!("{},}}", &one_line[..one_line.len() - 1]),
    );
    // A shape the reader refuses, beside the secure value.
    let mut shape = export.clone();
    let last = shape["variables"].as_array().unwrap().len() - 2;
    shape["variables"][last]["isCAD"] = json!("no");
    write("shape.json", &serde_json::to_string_pretty(&shape).unwrap());
    write("template.toml", wxcflow::DEFAULT_SPEC);
    write("tenant.toml", TENANT);
    // The export as a Flow Designer spec, and that spec broken beside the secure value.
    let decompiled = run(
        dir,
        &["decompile", "export.json", "-o", "spec.toml"],
        secrets,
    );
    assert_eq!(decompiled.status.code(), Some(0));
    let spec = std::fs::read_to_string(dir.join("spec.toml")).unwrap();
    let value = format!("value = \"{first}\"");
    assert!(spec.contains(&value), "{spec}");
    write(
        "spec-broken.toml",
        &spec.replacen(&value, &format!("{value} oops"), 1),
    );
    // Without the start's one long line, so that `check` quotes the spec's lines.
    let short: String = spec
        .lines()
        .filter(|l| !l.starts_with("flowType = {"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(short.len() < spec.len());
    write("spec-short.toml", &short);
}

fn run(dir: &Path, args: &[&str], secrets: (&str, &str)) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wxcflow"))
        .args(args)
        .current_dir(dir)
        .env("LEAK_PASSPHRASE", secrets.0)
        .env("LEAK_STATIC", secrets.1)
        .env("WXCC_TOKEN", secrets.0)
        .env_remove("RUST_BACKTRACE")
        .output()
        .expect("the binary runs")
}

/// A stand-in for the flow API on 127.0.0.1: answers each connection with the next status, and
/// a body that echoes the whole request (token, file and all) in error fields, in a field name
/// and, on success, beside the flow id.
fn echoing_stand_in(statuses: Vec<u16>) -> (String, std::thread::JoinHandle<usize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let mut served = 0;
        for status in statuses {
            let Ok((stream, _)) = listener.accept() else {
                break;
            };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let head = common::read_request_head(&mut reader);
            let length = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let request = format!("{head}\r\n{}", String::from_utf8_lossy(&body));
            let mut answer = json!({
                "message": request,
                "errors": [{ "description": request }],
                "trackingId": request,
            });
            answer[head.as_str()] = json!(true);
            if (200..300).contains(&status) {
                answer["flowId"] = json!("6a1e35a078a3f98ba463c7d5");
            }
            let answer = answer.to_string();
            let mut stream = stream;
            write!(
                stream,
                "HTTP/1.1 {status} Answer\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                answer.len()
            )
            .unwrap();
            served += 1;
        }
        served
    });
    (url, handle)
}

/// Every Flow Designer command, with what each printed.
fn transcript(dir: &Path, secrets: (&str, &str)) -> Vec<(String, String)> {
    let files = [
        "export.json",
        "export.min.json",
        "changed.json",
        "broken.json",
        "broken.min.json",
        "shape.json",
        "spec.toml",
        "spec-short.toml",
        "spec-broken.toml",
    ];
    let mut commands: Vec<Vec<&str>> = vec![
        [&["check"][..], &files].concat(),
        [&["check", "--format", "json"][..], &files].concat(),
        [&["check", "--format", "sarif"][..], &files].concat(),
        [&["inspect"][..], &files].concat(),
        vec![
            "inspect",
            "--format",
            "json",
            "export.min.json",
            "spec.toml",
        ],
    ];
    for file in files {
        commands.push(vec!["textconv", file]);
    }
    for format in ["text", "json", "markdown"] {
        commands.push(vec![
            "diff",
            "export.json",
            "changed.json",
            "--format",
            format,
        ]);
    }
    commands.extend([
        vec!["diff", "export.min.json", "spec.toml"],
        vec!["diff", "broken.json", "spec.toml"],
        vec!["decompile", "export.json"],
        vec!["decompile", "export.min.json", "-o", "again.toml"],
        vec!["decompile", "shape.json", "-o", "shape.toml"],
        vec![
            "build",
            "spec.toml",
            "--target",
            "flow-designer",
            "-o",
            "rebuilt.json",
        ],
        vec!["build", "spec.toml", "--target", "flow-designer", "-o", "-"],
        vec![
            "build",
            "spec-broken.toml",
            "--target",
            "flow-designer",
            "-o",
            "never.json",
        ],
        vec!["sheet", "spec.toml", "--target", "flow-designer"],
        vec![
            "build",
            "--target",
            "flow-designer",
            "--values",
            "tenant.toml",
            "-o",
            "sub.fd.json",
        ],
        vec![
            "build",
            "--target",
            "flow-designer",
            "--values",
            "tenant.toml",
            "-o",
            "-",
        ],
        vec![
            "sheet",
            "--target",
            "flow-designer",
            "--values",
            "tenant.toml",
        ],
        vec!["check", "sub.fd.json"],
        vec!["textconv", "sub.fd.json"],
        vec!["diff", "template.toml", "sub.fd.json"],
        // Runs: every request fails to connect (no mock), and the failures name the URLs.
        vec!["run", "export.json"],
        vec!["run", "export.min.json", "--format", "json"],
        vec!["run", "spec.toml"],
        vec!["run", "broken.json"],
        vec!["run", "spec-broken.toml"],
        vec!["run", "sub.fd.json"],
        vec!["run", "sub.fd.json", "--format", "json"],
    ]);
    let mut out = Vec::new();
    for args in &commands {
        let o = run(dir, args, secrets);
        out.push((args.join(" "), common::transcript(&o)));
    }
    // Imported, then publishing refused; and the import refused.
    for (statuses, publish) in [(vec![200, 403], true), (vec![401], false)] {
        let (url, server) = echoing_stand_in(statuses.clone());
        let mut args = vec![
            "push",
            "sub.fd.json",
            "--org",
            "org-1",
            "--region",
            "us1",
            "--token-env",
            "WXCC_TOKEN",
            "--api-url",
            &url,
        ];
        if publish {
            args.push("--publish");
        }
        let o = run(dir, &args, secrets);
        assert_eq!(
            server.join().unwrap(),
            statuses.len(),
            "every call was made"
        );
        let command = format!(
            "push sub.fd.json{}",
            if publish { " --publish" } else { "" }
        );
        out.push((command, common::transcript(&o)));
    }
    out
}

/// A transcript as text, each command's output cut after `lines` lines (all of it with none).
fn text(transcript: &[(String, String)], lines: Option<usize>) -> String {
    let mut out = String::new();
    for (command, output) in transcript {
        out.push_str(&format!("$ wxcflow {command}\n"));
        let total = output.lines().count();
        let shown = lines.unwrap_or(total);
        for line in output.lines().take(shown) {
            out.push_str(line);
            out.push('\n');
        }
        if total > shown {
            out.push_str(&format!("[{} more lines]\n", total - shown));
        }
        out.push('\n');
    }
    out
}

#[test]
fn no_flow_designer_command_prints_anything_that_depends_on_a_secret() {
    let reference_dir = tempfile::tempdir().unwrap();
    setup(reference_dir.path(), REFERENCE);
    let reference = transcript(reference_dir.path(), REFERENCE);
    let snapshot = text(&reference, Some(140));
    let reference = text(&reference, None);
    for secret in [REFERENCE.0, REFERENCE.1] {
        assert!(!reference.contains(secret), "{secret} leaked:\n{reference}");
    }
    for secrets in SECRET_SETS {
        let dir = tempfile::tempdir().unwrap();
        setup(dir.path(), *secrets);
        let got = text(&transcript(dir.path(), *secrets), None);
        if got != reference {
            let first = got
                .lines()
                .zip(reference.lines())
                .find(|(a, b)| a != b)
                .map(|(a, b)| format!("\n  got:      {a}\n  expected: {b}"))
                .unwrap_or_default();
            panic!("output depends on the secrets {secrets:?}{first}");
        }
        // What holds the secrets is private.
        #[cfg(unix)]
        for file in ["spec.toml", "rebuilt.json", "sub.fd.json", "again.toml"] {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(file))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{file}");
        }
    }
    // What is shown, for review: each command's first lines (the comparison above saw all).
    insta::assert_snapshot!("flow_designer_leak_suite", snapshot);
}

/// "mode 0600" is said only of a regular file made with that mode: an output that is not a
/// regular file (a null device, made for the test so that a regression never replaces the
/// machine's own /dev/null) is written through, and its mode is its own.
#[cfg(unix)]
#[test]
fn only_a_regular_file_is_said_to_be_mode_0600() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path(), REFERENCE);
    let made = Command::new("mknod")
        .arg(dir.path().join("null"))
        .args(["c", "1", "3"])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    for (target, document) in [("--target", "flow-designer"), ("--target", "document")] {
        let build = |out: &str| {
            run(
                dir.path(),
                &[
                    "build",
                    target,
                    document,
                    "--values",
                    "tenant.toml",
                    "-o",
                    out,
                ],
                REFERENCE,
            )
        };
        let file = build("out.json");
        assert_eq!(file.status.code(), Some(0), "{document}");
        // The last line: warnings about the flow come before it.
        let said = last_line(&file);
        assert!(
            said.starts_with("wrote out.json (")
                && said.ends_with(", mode 0600: it holds secret values)"),
            "{said}"
        );
        if !made {
            eprintln!("note: cannot create device nodes here; the device case is skipped");
            continue;
        }
        let null = build("null");
        assert_eq!(null.status.code(), Some(0), "{document}");
        let said = last_line(&null);
        assert!(said.starts_with("wrote null ("), "{said}");
        assert!(
            said.ends_with("; written through: not a regular file, its mode is its own (it holds secret values))"),
            "{said}"
        );
        assert!(!said.contains("0600"), "{said}");
        use std::os::unix::fs::FileTypeExt;
        assert!(std::fs::symlink_metadata(dir.path().join("null"))
            .unwrap()
            .file_type()
            .is_char_device());
    }
}

#[cfg(unix)]
fn last_line(out: &Output) -> String {
    let text = String::from_utf8_lossy(&out.stderr).into_owned();
    text.lines().last().unwrap_or("").to_string()
}

/// The voice-lookup fixture with credentials `check` names as such: a `Cookie` header, a `key`
/// query parameter (as a `?key=` in the URL is), and a variable named as a password (`pwd`),
/// not marked secure. Every command treats them as secret, as `check` calls them credentials.
fn credentials_check_names(dir: &Path, secrets: (&str, &str)) -> String {
    let mut export = voice_lookup();
    let headers = json!({ "Cookie": format!("sid={}", secrets.0) });
    set_property(&mut export, "GetToken", &["httpRequestHeaders"], headers);
    // `ke%79` is `key` to the server that decodes the query.
    let query = json!({ "key": secrets.1, "ke%79": secrets.1 });
    set_property(&mut export, "GetToken", &["httpQueryParameters"], query);
    let variables = export["variables"].as_array_mut().unwrap();
    variables.push(variable("pwd", secrets.0, false));
    let commands: &[&[&str]] = &[
        &["check", "leak.json"],
        &["textconv", "leak.json"],
        &["diff", "FIXTURE", "leak.json"],
        &["decompile", "leak.json"],
        &["decompile", "leak.json", "-o", "leak.toml"],
        &["textconv", "leak.toml"],
        &["run", "leak.json"],
        &["run", "leak.json", "--format", "json"],
    ];
    leak_transcripts(dir, &export, commands, secrets)
}

/// The voice-lookup fixture export.
fn voice_lookup() -> Value {
    let path = root().join("fixtures/flow-designer/exports/voice-lookup.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// `export` written as leak.json in `dir`, and what each command said of it (`FIXTURE` stands for
/// the unchanged voice-lookup export), one transcript after the other.
fn leak_transcripts(
    dir: &Path,
    export: &Value,
    commands: &[&[&str]],
    secrets: (&str, &str),
) -> String {
    let pretty = serde_json::to_string_pretty(export).unwrap();
    std::fs::write(dir.join("leak.json"), pretty).unwrap();
    let fixture = root().join("fixtures/flow-designer/exports/voice-lookup.json");
    let fixture = fixture.to_str().unwrap();
    let mut all = String::new();
    for command in commands {
        let args: Vec<&str> = command
            .iter()
            .map(|a| if *a == "FIXTURE" { fixture } else { a })
            .collect();
        let out = run(dir, &args, secrets);
        all.push_str(&format!(
            "$ {}\n{}",
            command.join(" ").replace("FIXTURE", "voice-lookup.json"),
            common::transcript(&out)
        ));
    }
    all
}

#[test]
fn credentials_check_names_are_secret_in_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let reference = credentials_check_names(dir.path(), REFERENCE);
    for secret in [REFERENCE.0, REFERENCE.1] {
        assert!(!reference.contains(secret), "{secret} leaked:\n{reference}");
    }
    assert!(reference.contains("variable `pwd` is named as holding a password"));
    // A decompiled spec that holds them is refused on stdout and written 0600.
    assert!(
        reference.contains("write the spec to a file with -o"),
        "{reference}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("leak.toml"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    for secrets in SECRET_SETS {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            credentials_check_names(dir.path(), *secrets),
            reference,
            "output depends on the secrets {secrets:?}"
        );
    }
}

/// The voice-lookup fixture with credentials named by the words that make a variable secret
/// (`pin`, `pwd`, `cvv`), typed in clear in a header, a query parameter and the URL's query.
fn credentials_named_as_variables_are(dir: &Path, secrets: (&str, &str)) -> String {
    let mut export = voice_lookup();
    let headers = json!({ "pin": secrets.0, "Accept": "application/json" });
    set_property(&mut export, "GetToken", &["httpRequestHeaders"], headers);
    let query = json!({ "pwd": secrets.1, "lang": "en" });
    set_property(&mut export, "GetToken", &["httpQueryParameters"], query);
    let url = format!(
        "https://tokens.example.com/token?name=crm&cvv={}",
        secrets.0
    );
    set_property(&mut export, "GetToken", &["httpRequestUrl"], json!(url));
    let commands: &[&[&str]] = &[
        &["check", "leak.json"],
        &["check", "leak.json", "--format", "json"],
        &["textconv", "leak.json"],
        &["diff", "FIXTURE", "leak.json"],
        &["decompile", "leak.json", "-o", "leak.toml"],
        &["textconv", "leak.toml"],
        &["run", "leak.json"],
        &["run", "leak.json", "--format", "json"],
        &["sheet", "--target", "flow-designer", "leak.toml"],
    ];
    leak_transcripts(dir, &export, commands, secrets)
}

/// `pin`, `pwd` and `cvv` make a variable secret; as a header, a query parameter or a URL's
/// parameter they carry a credential all the same: one word list decides all three, and every
/// command hides what they carry.
#[test]
fn credential_words_of_variables_name_credential_headers_and_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let reference = credentials_named_as_variables_are(dir.path(), REFERENCE);
    for secret in [REFERENCE.0, REFERENCE.1] {
        assert!(!reference.contains(secret), "{secret} leaked:\n{reference}");
    }
    for place in [
        "header `pin`",
        "query parameter `pwd`",
        "URL parameter `cvv`",
    ] {
        assert!(reference.contains(place), "{place}:\n{reference}");
    }
    for secrets in SECRET_SETS {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            credentials_named_as_variables_are(dir.path(), *secrets),
            reference,
            "output depends on the secrets {secrets:?}"
        );
    }
}

/// A condition that reads a secure variable is told by `check`: the path a run takes (its end,
/// shown by `run`) would tell something of the value. One that reads none is not.
#[test]
fn a_condition_on_a_secure_variable_is_warned_of() {
    let dir = tempfile::tempdir().unwrap();
    let spec = |secure: bool, expression: &str| {
        format!(
            "[flow_designer]\nname = \"Pin\"\ntype = \"SUBFLOW\"\n\n\
             [variables.code]\nsource = \"SUBFLOW_INPUT\"\nisSecure = {secure}\n\n\
             [activities.Start]\ntype = \"NewSubFlowStart\"\nnext = {{ out = \"Check\" }}\n\n\
             [activities.Check]\ntype = \"condition-activity\"\n\
             next = {{ true = \"DefaultPin\", false = \"OwnPin\" }}\n\n\
             [activities.Check.settings]\nexpression = \"{{{{ {expression} }}}}\"\n\n\
             [activities.DefaultPin]\ntype = \"end-subflow\"\n\n\
             [activities.OwnPin]\ntype = \"end-subflow\"\n"
        )
    };
    // Testing only whether it is set tells nothing more than Webex Connect allows.
    let cases = [
        (true, "code == '0000'", true),
        (false, "code == '0000'", false),
        (true, "code is not empty", false),
        (true, "code == ''", false),
        (true, "code.length == 4", true),
    ];
    for (secure, expression, warned) in cases {
        std::fs::write(dir.path().join("pin.toml"), spec(secure, expression)).unwrap();
        let out = crate::common::wxcflow(dir.path(), &["check", "pin.toml"]);
        let text = crate::common::transcript(&out);
        assert_eq!(out.status.code(), Some(0), "{text}");
        assert_eq!(
            text.contains(
                "warning[wxc::secure-in-condition]: `Check` branches on secure variable `code`"
            ),
            warned,
            "{expression}: {text}"
        );
    }
}

/// `run` of a subflow whose condition compares secure `code`: the path after the condition,
/// the end and every variable show as the mask, the same whatever the code, unless
/// `--reveal-path`; a condition testing only whether it is set is shown whole.
#[test]
fn a_run_hides_the_path_after_a_condition_on_a_secure_variable() {
    let dir = tempfile::tempdir().unwrap();
    let spec = |expression: &str| {
        format!(
            "[flow_designer]\nname = \"Pin\"\ntype = \"SUBFLOW\"\n\n\
             [variables.code]\nsource = \"SUBFLOW_INPUT\"\nisSecure = true\n\n\
             [variables.Result]\nsource = \"SUBFLOW_OUTPUT\"\n\n\
             [activities.Start]\ntype = \"NewSubFlowStart\"\nnext = {{ out = \"Check\" }}\n\n\
             [activities.Check]\ntype = \"condition-activity\"\n\
             next = {{ true = \"DefaultPin\", false = \"OwnPin\" }}\n\n\
             [activities.Check.settings]\nexpression = \"{{{{ {expression} }}}}\"\n\n\
             [activities.DefaultPin]\ntype = \"set-variable\"\nnext = {{ out = \"Done\" }}\n\n\
             [activities.DefaultPin.settings]\nsrcVariable = \"Result\"\nexpr = '{{{{ \"default\" }}}}'\n\n\
             [activities.OwnPin]\ntype = \"end-subflow\"\n\n\
             [activities.Done]\ntype = \"end-subflow\"\n"
        )
    };
    let shown = |expression: &str, code: &str, reveal: bool| {
        std::fs::write(dir.path().join("pin.toml"), spec(expression)).unwrap();
        std::fs::write(dir.path().join("in.toml"), format!("code = \"{code}\"\n")).unwrap();
        let mut all = String::new();
        for format in ["human", "json"] {
            let mut args = vec!["run", "pin.toml", "--inputs", "in.toml", "--format", format];
            if reveal {
                args.push("--reveal-path");
            }
            let out = crate::common::wxcflow(dir.path(), &args);
            assert_eq!(
                out.status.code(),
                Some(0),
                "{}",
                crate::common::transcript(&out)
            );
            all.push_str(&crate::common::transcript(&out));
        }
        all
    };
    let compared = "code == '0000'";
    let default = shown(compared, "0000", false);
    assert_eq!(default, shown(compared, "4711", false));
    for part in [
        "  Check\n  •••\n",
        "end: •••",
        "Result = \"•••\"",
        "the path after `Check` is not shown",
        "\"secret_choice\": \"Check\"",
    ] {
        assert!(default.contains(part), "{part}:\n{default}");
    }
    assert!(
        !default.contains("DefaultPin") && !default.contains("OwnPin"),
        "{default}"
    );
    // Revealed: each code's own way.
    let revealed = shown(compared, "0000", true);
    assert!(revealed.contains("end: Done"), "{revealed}");
    assert!(shown(compared, "4711", true).contains("end: OwnPin"));
    // Whether it is set is no secret: shown whole.
    let set = shown("code is not empty", "4711", false);
    assert!(
        set.contains("end: Done") && !set.contains("secret_choice"),
        "{set}"
    );
}

/// A set-variable computing from a secure input (a slice, a loop) may fail for one value and
/// not for another, so leaving by its error port or not would tell the value apart: the way
/// on is chosen on the secret whether or not it fails, and the runs of a short and a long
/// code print the same, in text and JSON. A template copying the value, as it is or through
/// filters that take any text, shows the way (its failure cannot depend on the value).
#[test]
fn a_template_computing_from_a_secret_hides_the_way_whether_or_not_it_fails() {
    let dir = tempfile::tempdir().unwrap();
    let spec = |expr: &str| {
        format!(
            "[flow_designer]\nname = \"PinLen\"\ntype = \"SUBFLOW\"\n\n\
             [variables.Pin]\nsource = \"SUBFLOW_INPUT\"\nisSecure = true\n\n\
             [variables.Out]\n\n\
             [variables.Big]\nvalue = \"{}\"\n\n\
             [activities.Start]\ntype = \"NewSubFlowStart\"\nnext = {{ out = \"Calc\" }}\n\n\
             [activities.Calc]\ntype = \"set-variable\"\nnext = {{ out = \"Done\", error = \"Err\" }}\n\n\
             [activities.Calc.settings]\nsrcVariable = \"Out\"\nexpr = '{expr}'\n\n\
             [activities.Err]\ntype = \"end-subflow\"\n\n\
             [activities.Done]\ntype = \"end-subflow\"\n",
            "b".repeat(400)
        )
    };
    let shown = |expr: &str, pin: &str| {
        std::fs::write(dir.path().join("pin.toml"), spec(expr)).unwrap();
        std::fs::write(dir.path().join("in.toml"), format!("Pin = \"{pin}\"\n")).unwrap();
        let mut all = String::new();
        for format in ["human", "json"] {
            let args = ["run", "pin.toml", "--inputs", "in.toml", "--format", format];
            let out = crate::common::wxcflow(dir.path(), &args);
            all.push_str(&crate::common::transcript(&out));
        }
        all
    };
    let loops = "{% for a in Pin %}{% for b in Big %}{% for c in Big %}{% endfor %}{% endfor %}{% endfor %}x";
    for expr in ["{{ Pin | slice(0,3) }}", loops] {
        let short = shown(expr, "1");
        assert_eq!(short, shown(expr, "98765432"), "{expr}");
        assert!(
            short.contains("the path after `Calc` is not shown") && !short.contains("Done"),
            "{expr}: {short}"
        );
    }
    for expr in ["{{ Pin }}", "{{ Pin | urlencode | upper }}"] {
        let copied = shown(expr, "1");
        assert!(copied.contains("end: Done"), "{expr}: {copied}");
    }
}
