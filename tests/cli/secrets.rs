//! The leak suite: every command, run with secrets of many lengths and shapes, must print the
//! same bytes whatever the secrets are. Output that does not depend on a secret's value can
//! neither show it nor be garbled by it (a one-letter secret masked by text search turned
//! `https` into `htt•••s`). The same holds when a template routes a secret where it must not
//! go: the build fails, and its diagnostics depend on the routing, not on the value.
// A test stops at the first thing that is not as expected.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use std::path::Path;
use std::process::{Command, Output};

use common::SECRET_SETS;

/// The template, and the same template with a secret routed where it must not go.
fn variants() -> Vec<(&'static str, String)> {
    let shipped = wxcflow::DEFAULT_SPEC.to_string();
    let routed = |from: &str, to: &str| {
        assert!(shipped.contains(from), "the template still holds {from}");
        shipped.replace(from, to)
    };
    vec![
        ("shipped", shipped.clone()),
        (
            "passphrase in a plain variable",
            routed(
                r#"default = "{{ debug_url }}""#,
                r#"default = "{{ debug_url }}?k={{ token_passphrase }}""#,
            ),
        ),
        (
            "passphrase in the request URL",
            routed(
                r#"url = "$(Token-Service-URL)""#,
                r#"url = "https://ts.example/t?pass={{ token_passphrase }}""#,
            ),
        ),
        (
            "static token in the debug body",
            routed(
                r#""message": "$(TokenMessage)"}'"#,
                r#""message": "{{ static_token }}"}'"#,
            ),
        ),
        (
            "every parameter dumped",
            routed(
                r#"description = "Hands a bearer token"#,
                r#"description = "{{ debug() }} Hands a bearer token"#,
            ),
        ),
        (
            "token in the debug body",
            routed(
                r#""message": "$(TokenMessage)"}'"#,
                r#""message": "$(JDSToken)"}'"#,
            ),
        ),
        (
            "passphrase sent to the debug URL",
            routed(
                r#"headers = { Content-Type = "application/json" }"#,
                r#"headers = { Content-Type = "application/json", x-token-passphrase = "$(x-token-passphrase)" }"#,
            ),
        ),
    ]
}

const TENANT: &str = r#"token_service_url = "https://ts.example/token-service?name=jds"
token_passphrase = { env = "LEAK_PASSPHRASE" }
static_token = { env = "LEAK_STATIC" }
debug_url = "https://catcher.example/debug"
"#;

/// The token service answers with a token (itself a secret: a secret output).
const MOCK: &str = r#"[[http]]
url = "https://ts.example/*"
body = '{"status": "200", "token": "svc-token-from-the-service"}'

[[http]]
url = "https://catcher.example/debug"
status = 200
"#;

/// `build` for the tenant into `out.flow.json`.
fn build(dir: &Path, secrets: (&str, &str)) -> Output {
    run(
        dir,
        &[
            "build",
            "template.toml",
            "--values",
            "tenant.toml",
            "-o",
            "out.flow.json",
        ],
        secrets,
    )
}

fn run(dir: &Path, args: &[&str], secrets: (&str, &str)) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wxcflow"))
        .args(args)
        .current_dir(dir)
        .env("LEAK_PASSPHRASE", secrets.0)
        .env("LEAK_STATIC", secrets.1)
        .env_remove("RUST_BACKTRACE")
        .output()
        .expect("the binary runs")
}

/// The transcripts of `commands`, run one after the other in `dir`.
fn transcripts(dir: &Path, commands: &[&[&str]], secrets: (&str, &str)) -> String {
    (commands.iter())
        .map(|args| common::transcript(&run(dir, args, secrets)))
        .collect()
}

/// `build --target flow-designer FROM -o TO` in `dir`, which must succeed.
fn build_for_flow_designer(dir: &Path, from: &str, to: &str, secrets: (&str, &str)) {
    let built = run(
        dir,
        &["build", "--target", "flow-designer", from, "-o", to],
        secrets,
    );
    assert!(built.status.success(), "{}", common::transcript(&built));
}

/// A scenario with the secrets written in it, and expectations that fail, so that the failure
/// report is printed too.
fn scenario(secrets: (&str, &str)) -> String {
    format!(
        r#"name = "leak check"
spec = "template.toml"

[values]
token_service_url = "https://ts.example/token-service?name=jds"
token_passphrase = "{}"
static_token = "{}"
debug_url = "https://catcher.example/debug"

{MOCK}
[expect]
outcome = "Error"
variables = {{ JDSToken = "not-the-token", x-token-passphrase = "not-it" }}

[[expect.requests]]
url = "https://ts.example/elsewhere"
headers = {{ x-token-passphrase = "not-it" }}
body_contains = ["{}"]
"#,
        secrets.0, secrets.1, secrets.0
    )
}

/// Every command a user runs, with what each printed.
fn transcript(dir: &Path, secrets: (&str, &str)) -> String {
    std::fs::write(dir.join("scenario.toml"), scenario(secrets)).unwrap();
    let _ = std::fs::remove_file(dir.join("out.flow.json"));
    let commands: &[&[&str]] = &[
        &[
            "build",
            "template.toml",
            "--values",
            "tenant.toml",
            "-o",
            "out.flow.json",
        ],
        &[
            "build",
            "template.toml",
            "--values",
            "tenant.toml",
            "-o",
            "-",
        ],
        &["graph", "template.toml", "--values", "tenant.toml"],
        &[
            "graph",
            "template.toml",
            "--values",
            "tenant.toml",
            "--format",
            "dot",
        ],
        &["sheet", "template.toml", "--values", "tenant.toml"],
        &[
            "run",
            "template.toml",
            "--values",
            "tenant.toml",
            "--mock",
            "mock.toml",
        ],
        &[
            "run",
            "template.toml",
            "--values",
            "tenant.toml",
            "--mock",
            "mock.toml",
            "--format",
            "json",
        ],
        // No mock: every request fails to connect, and the failure names the URL.
        &["run", "template.toml", "--values", "tenant.toml"],
        &["test", "scenario.toml"],
        &["textconv", "out.flow.json"],
        &["diff", "template.toml", "out.flow.json"],
        &["diff", "template.toml", "out.flow.json", "--format", "json"],
        &["decompile", "out.flow.json"],
        &["inspect", "out.flow.json"],
        &[
            "render",
            "template.toml",
            "--tenants",
            "tenants",
            "-o",
            "rendered",
        ],
    ];
    let mut out = String::new();
    for args in commands {
        let o = run(dir, args, secrets);
        out.push_str(&format!(
            "$ wxcflow {}\n{}\n",
            args.join(" "),
            common::transcript(&o)
        ));
    }
    out
}

fn setup(dir: &Path, template: &str) {
    std::fs::write(dir.join("template.toml"), template).unwrap();
    std::fs::write(dir.join("tenant.toml"), TENANT).unwrap();
    std::fs::write(dir.join("mock.toml"), MOCK).unwrap();
    std::fs::create_dir_all(dir.join("tenants")).unwrap();
    std::fs::write(dir.join("tenants/acme.toml"), TENANT).unwrap();
}

/// A spec whose transition action types a value for a secret variable, and a URL with a
/// password and a key for a plain one.
const ACTION_LITERALS: &str = r#"[flow]
name = "Sec"
credential_headers = ["Authorization"]
[trigger]
type = "webhook"
event = "E"
sample = '{"a": "1"}'
next = "call"
[variables.Tok]
default = ""
secret = true
send_to = ["https://api.example.com"]
[variables.Where]
default = ""
result = true
[nodes.call]
type = "http"
method = "GET"
url = "https://api.example.com/v1"
headers = { Authorization = "Bearer $(Tok)" }
on_enter = [{ set = { Tok = "TYPEDSECRET", Where = "https://bob:TYPEDPASSWORD@api.example.com/?apikey=TYPEDKEY", Nope = "x" } }]
next = { onSuccess = "end:Success", onError = "end:Error", onTimeout = "end:Error" }
"#;

#[test]
fn values_an_action_types_as_secrets_are_shown_nowhere() {
    let dir = tempfile::tempdir().unwrap();
    let spec = ACTION_LITERALS.replace(", Nope = \"x\"", "");
    std::fs::write(dir.path().join("a.toml"), &spec).unwrap();
    std::fs::write(dir.path().join("bad.toml"), ACTION_LITERALS).unwrap();
    let changed = spec.replace("TYPEDSECRET", "OTHERSECRET");
    std::fs::write(dir.path().join("b.toml"), changed).unwrap();
    let commands: &[&[&str]] = &[
        &["build", "a.toml", "-o", "a.json"],
        &["build", "a.toml", "-o", "-"],
        &["check", "bad.toml"],
        &["textconv", "a.toml"],
        &["textconv", "a.json"],
        &["sheet", "a.toml"],
        &["diff", "a.toml", "b.toml"],
        &["diff", "a.toml", "b.toml", "--format", "json"],
        &["decompile", "a.json"],
    ];
    let out = transcripts(dir.path(), commands, ("unused", "unused"));
    for typed in ["TYPEDSECRET", "OTHERSECRET", "TYPEDPASSWORD", "TYPEDKEY"] {
        assert!(!out.contains(typed), "{typed} shown:\n{out}");
    }
    // The change is still told, masked; the check's error still quotes its line.
    assert!(out.contains("call.on_enter.set.Tok: ••• → •••"), "{out}");
    assert!(out.contains("`Nope` is not a custom variable"), "{out}");
    common::assert_private(&dir.path().join("a.json"));
}

/// Plain variables whose values a request's URL sends as its credential: `Host` in the user
/// information, `Query` as `?apikey=`, and a webhook field as the user information.
const URL_CREDENTIAL_SOURCES: &str = r#"
[flow]
name = "HostCred"

[trigger]
type = "webhook"
event = "HostCred"
sample = '{"host": "h"}'
next = "call"

[variables.Host]
default = "bob:VARPASS@api.example.com"

[variables.Query]
default = "apikey=KEYVAL123"

[variables.Seen]
default = ""
result = true

[nodes.call]
type = "http"
method = "GET"
url = "https://$(Host)/v1?$(Query)"
next = { onSuccess = "report", onError = "report", onTimeout = "end:Error" }

[nodes.report]
type = "http"
method = "POST"
url = "https://log.example.com/r"
body = '{"host": "$(Host)", "q": "$(Query)"}'
next = { onSuccess = "echo", onError = "echo", onTimeout = "end:Error" }

[nodes.echo]
type = "http"
method = "GET"
url = "http://$(start.inboundWebhook.host)/echo"
on_leave = [{ set = { Seen = "$(start.inboundWebhook.host)" } }]
next = { onSuccess = "end:Success", onError = "end:Success", onTimeout = "end:Error" }
"#;

#[test]
fn values_a_url_sends_as_its_credential_are_shown_nowhere() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.toml"), URL_CREDENTIAL_SOURCES).unwrap();
    let changed = URL_CREDENTIAL_SOURCES.replace("VARPASS", "OTHERPASS");
    std::fs::write(dir.path().join("b.toml"), changed).unwrap();
    let trigger = r#"{"host": "bob:TRIGPASS@127.0.0.1:9"}"#;
    let commands: &[&[&str]] = &[
        &["build", "a.toml", "-o", "a.json"],
        &["build", "a.toml", "-o", "-"],
        &["run", "a.toml", "--trigger", trigger],
        &["run", "a.toml", "--trigger", trigger, "--format", "json"],
        &["textconv", "a.toml"],
        &["textconv", "a.json"],
        &["sheet", "a.toml"],
        &["diff", "a.toml", "b.toml"],
        &["diff", "a.toml", "b.toml", "--format", "json"],
        &[
            "build",
            "a.toml",
            "--target",
            "flow-designer",
            "-o",
            "a.fd.json",
        ],
        &["textconv", "a.fd.json"],
        &["check", "a.fd.json", "--format", "json"],
        &["inspect", "a.fd.json"],
        &["run", "a.fd.json"],
        &["run", "a.fd.json", "--format", "json"],
    ];
    let out = transcripts(dir.path(), commands, ("unused", "unused"));
    for sent in ["VARPASS", "OTHERPASS", "KEYVAL123", "TRIGPASS"] {
        assert!(!out.contains(sent), "{sent} shown:\n{out}");
    }
    // The change is still told, masked; the run still shows where it went.
    assert!(out.contains("variables.Host.default: ••• → •••"), "{out}");
    assert!(out.contains("set Seen = \"•••\""), "{out}");
    common::assert_private(&dir.path().join("a.json"));
    common::assert_private(&dir.path().join("a.fd.json"));
}

/// A plain variable sent in a credential header: the run holds it as a secret, so `check`
/// refuses a choice on it as on a declared secret, and no reader shows its default.
#[test]
fn a_plain_variable_sent_as_a_credential_is_a_secret_for_check_and_every_reader() {
    let spec = r#"
[flow]
name = "Pb"
[trigger]
type = "webhook"
event = "Pb"
sample = '{"pin": "0000"}'
next = "chk"
[variables.Pin]
default = "PINVALUE"
[nodes.chk]
type = "branch"
branches = [{ name = "Right", all = [{ variable = "$(Pin)", operator = "equals", value = "4711" }] }]
next = { Right = "ok", none = "end:Error", onError = "end:Error" }
[nodes.ok]
type = "http"
method = "GET"
url = "https://api.example.com/v1"
headers = { pin = "$(Pin)" }
next = { onSuccess = "end:Success", onError = "end:Success", onTimeout = "end:Error" }
"#;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("choice.toml"), spec).unwrap();
    let set = spec.replace(
        r#"operator = "equals", value = "4711""#,
        r#"operator = "not_equals", value = """#,
    );
    std::fs::write(dir.path().join("set.toml"), set).unwrap();
    let out = run(dir.path(), &["check", "choice.toml"], ("unused", "unused"));
    let all = common::transcript(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        all.contains("error[wxc::secret-in-condition]: variable `Pin`, which a request sends as a credential, is compared in branch `Right` of `chk`"),
        "{all}"
    );
    let commands: &[&[&str]] = &[
        &["check", "choice.toml"],
        &["check", "set.toml"],
        &["build", "set.toml", "-o", "set.json"],
        &["sheet", "set.toml"],
        &["textconv", "set.toml"],
        &["run", "set.toml"],
    ];
    let out = transcripts(dir.path(), commands, ("unused", "unused"));
    assert!(!out.contains("PINVALUE"), "{out}");
    common::assert_private(&dir.path().join("set.json"));
}

#[test]
fn no_command_prints_anything_that_depends_on_a_secret() {
    for (variant, template) in variants() {
        let dir = tempfile::tempdir().unwrap();
        setup(dir.path(), &template);
        let reference = transcript(dir.path(), ("REFERENCE-PASSPHRASE", "REFERENCE-STATIC"));
        for secrets in SECRET_SETS {
            let got = transcript(dir.path(), *secrets);
            if got != reference {
                let first = got
                    .lines()
                    .zip(reference.lines())
                    .find(|(a, b)| a != b)
                    .map(|(a, b)| format!("\n  got:      {a}\n  expected: {b}"))
                    .unwrap_or_default();
                panic!("{variant}: output depends on the secrets {secrets:?}{first}");
            }
            // Redundant given the equality, but plain: a secret that is no word of the output
            // anyway (`passphra` is part of `x-token-passphrase`) is absent.
            for secret in [secrets.0, secrets.1]
                .into_iter()
                .filter(|s| !reference.contains(s))
            {
                assert!(!got.contains(secret), "{variant}: {secret} leaked");
            }
        }
        if variant == "shipped" {
            insta::assert_snapshot!("leak_suite_shipped", reference);
        }
    }
}

#[test]
fn routed_secrets_are_refused_with_the_path_they_take() {
    let mut report = String::new();
    for (variant, template) in variants().into_iter().skip(1) {
        let dir = tempfile::tempdir().unwrap();
        setup(dir.path(), &template);
        let out = build(dir.path(), ("a-passphrase", "a-static-token"));
        assert_eq!(out.status.code(), Some(1), "{variant}");
        assert!(!dir.path().join("out.flow.json").exists(), "{variant}");
        report.push_str(&format!("## {variant}\n{}\n", common::transcript(&out)));
    }
    insta::assert_snapshot!(report);
}

#[cfg(unix)]
#[test]
fn documents_holding_secrets_are_private_and_never_printed() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path(), wxcflow::DEFAULT_SPEC);
    let secrets = ("a-passphrase", "a-static-token");
    let built = build(dir.path(), secrets);
    assert_eq!(built.status.code(), Some(0));
    let mode = std::fs::metadata(dir.path().join("out.flow.json"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let document = std::fs::read_to_string(dir.path().join("out.flow.json")).unwrap();
    assert!(
        document.contains(secrets.0),
        "the document is what a tenant deploys"
    );
    for args in [
        &[
            "build",
            "template.toml",
            "--values",
            "tenant.toml",
            "-o",
            "-",
        ][..],
        &["decompile", "out.flow.json"][..],
    ] {
        let out = run(dir.path(), args, secrets);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn an_empty_secret_is_refused_and_an_unset_one_named() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path(), wxcflow::DEFAULT_SPEC);
    let empty = build(dir.path(), ("", "a-static-token"));
    assert_eq!(empty.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&empty.stderr);
    assert!(
        stderr.contains("environment variable LEAK_PASSPHRASE, which is empty"),
        "{stderr}"
    );
    assert!(!dir.path().join("out.flow.json").exists());
    // Blank is empty too: " " or a newline is what a broken CI expansion leaves.
    let blank = build(dir.path(), (" \n", "a-static-token"));
    assert_eq!(blank.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&blank.stderr).contains("which is empty or blank"));
    // A tenant that has no such secret says so with a literal "".
    let literal = TENANT.replace(r#"{ env = "LEAK_PASSPHRASE" }"#, r#""""#);
    std::fs::write(dir.path().join("tenant.toml"), literal).unwrap();
    let ok = build(dir.path(), ("", "a-static-token"));
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
}

#[test]
fn sheets_and_graphs_read_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path(), wxcflow::DEFAULT_SPEC);
    // Neither environment variable is set, and no secret file exists: both still work.
    std::fs::write(
        dir.path().join("tenant.toml"),
        TENANT.replace(
            r#"static_token = { env = "LEAK_STATIC" }"#,
            r#"static_token = { file = "no-such-file" }"#,
        ),
    )
    .unwrap();
    for args in [
        &["sheet", "template.toml", "--values", "tenant.toml"][..],
        &["graph", "template.toml", "--values", "tenant.toml"][..],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_wxcflow"))
            .args(args)
            .current_dir(dir.path())
            .env_remove("LEAK_PASSPHRASE")
            .env_remove("LEAK_STATIC")
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        if args[0] == "sheet" {
            assert!(stdout.contains("take it from environment variable LEAK_PASSPHRASE"));
            assert!(stdout.contains("take it from file no-such-file"));
        }
    }
}

mod routings {
    //! A property over random routings: a secret parameter rendered, and a secret variable
    //! referenced, anywhere a spec has a string. Whatever the routing, nothing printed depends
    //! on the secret's value: diagnostics, the document's text lines, the run trace, the sheet.
    use proptest::prelude::*;
    use std::collections::BTreeMap;
    use wxcflow::diagnostic::{Diagnostic, SourceFile};
    use wxcflow::tools::simulate::mock::{MockClient, MockExchange};

    /// Places a `{{ key }}` may go (the first is the one that is allowed).
    const RENDERED: &[(&str, &str)] = &[
        ("secret variable default", "SECRET_DEFAULT"),
        ("plain variable default", "PLAIN_DEFAULT"),
        ("URL", "URL"),
        ("plain header", "HEADER"),
        ("credential header", "CREDENTIAL"),
        ("body", "BODY"),
        ("condition", "CONDITION"),
        ("assignment to a secret variable", "SET_SECRET"),
        ("assignment to a plain variable", "SET_PLAIN"),
        ("description", "DESCRIPTION"),
        ("correlation id", "CORRELATION"),
    ];

    const TEMPLATE: &str = r#"
[params.key]
type = "string"
secret = true
default = ""

[flow]
name = "Routed"
description = "d DESCRIPTION"
correlation_id = "c CORRELATION"
credential_headers = ["Authorization"]

[trigger]
type = "webhook"
event = "Routed"
sample = '{"id": "1"}'
next = "call"

[variables.Key]
default = "SECRET_DEFAULT"
secret = true
send_to = ["https://api.example.com"]

[variables.Plain]
default = "PLAIN_DEFAULT"

[variables.Held]
default = ""
secret = true

[nodes.call]
type = "http"
method = "POST"
url = "https://api.example.com/x?q=URL"
headers = { Authorization = "Bearer $(Key) CREDENTIAL", x-note = "n HEADER" }
body = '{"b": "BODY"}'
on_leave = [{ set = { Held = "h SET_SECRET", Plain = "p $(Plain) SET_PLAIN" } }]
next = { onSuccess = "check", onError = "end:Error", onTimeout = "end:Error" }

[nodes.check]
type = "branch"
branches = [{ name = "Ok", all = [{ variable = "$(call.https.statusCode)", operator = "equals", value = "200 CONDITION" }] }]
next = { Ok = "end:Success", none = "end:Error", onError = "end:Error" }
"#;

    /// Where `$(Key)` may be referenced (the credential header already holds it).
    const REFERENCED: &[&str] = &[
        "",
        "URL",
        "HEADER",
        "BODY",
        "SET_PLAIN",
        "SET_SECRET",
        "CONDITION",
    ];

    fn template(rendered: &[usize], referenced: usize) -> String {
        let mut t = TEMPLATE.to_string();
        for (i, (_, marker)) in RENDERED.iter().enumerate() {
            let with = if rendered.contains(&i) {
                "{{ key }}"
            } else {
                ""
            };
            let with = if REFERENCED[referenced] == *marker {
                format!("{with}$(Key)")
            } else {
                with.to_string()
            };
            t = t.replace(marker, &with);
        }
        t
    }

    struct Env(String);
    impl wxcflow::render::SecretStore for Env {
        fn env(&self, _: &str) -> Option<String> {
            Some(self.0.clone())
        }
        fn file(&self, path: &str) -> Result<String, wxcflow::render::SecretFileError> {
            Err(wxcflow::render::SecretFileError::Unreadable(format!(
                "no file {path}"
            )))
        }
    }

    /// Everything a user could see for one secret value.
    fn shown(template: &SourceFile, secret: &str) -> String {
        let tenant = wxcflow::render::Tenant::parse(
            "t",
            SourceFile::new("t.toml", "key = { env = \"KEY\" }\n"),
        )
        .unwrap();
        let build =
            super::common::compiler().build_tenant(template, Some(&tenant), &Env(secret.into()));
        let mut out = Diagnostic::render_human(&build.diagnostics, &[template, &tenant.source]);
        if let Some((document, _)) = &build.output {
            let flow = &document.flow;
            out.push_str(&wxcflow::tools::diff::render_lines(flow));
            out.push_str(&wxcflow::flow::Flow::sheet(
                flow,
                "t",
                &build.secret_origins,
            ));
            let exchange: MockExchange =
                toml::from_str("url = \"https://api.example.com/*\"\nbody = '{\"echo\": 1}'\n")
                    .unwrap();
            let run = wxcflow::flow::Flow::simulate(
                flow,
                &serde_json::json!({"id": "1"}),
                &mut MockClient {
                    exchanges: vec![exchange],
                },
                &wxcflow::tools::simulate::NoChildren,
            );
            out.push_str(&run.render_text());
            out.push_str(&run.render_json());
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]
        #[test]
        fn nothing_shown_depends_on_the_secret(
            rendered in proptest::sample::subsequence((0..RENDERED.len()).collect::<Vec<_>>(), 0..=3),
            referenced in 0..REFERENCED.len(),
            a in "[a-zA-Z0-9:/._-]{1,12}",
            b in "[a-zA-Z0-9:/._-]{1,40}",
        ) {
            let source = SourceFile::new("routed.toml", template(&rendered, referenced));
            let (x, y) = (shown(&source, &a), shown(&source, &b));
            prop_assert_eq!(&x, &y);
            // And the routings that must fail, fail.
            let allowed: BTreeMap<usize, bool> = [(0, true), (6, false)].into();
            let refused = rendered.iter().any(|i| !allowed.get(i).copied().unwrap_or(false))
                || ["URL", "HEADER", "BODY", "SET_PLAIN", "CONDITION"].contains(&REFERENCED[referenced]);
            prop_assert_eq!(refused, x.contains("error["), "{}", x);
        }
    }
}

#[cfg(feature = "live")]
/// A server on 127.0.0.1 that answers `requests` connections with `reply(request head)` and
/// returns the request heads it saw.
fn server(
    requests: usize,
    reply: impl Fn(&str) -> String + Send + 'static,
) -> (String, std::thread::JoinHandle<Vec<String>>) {
    use std::io::{BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let mut seen = Vec::new();
        for stream in listener.incoming().take(requests) {
            let mut stream = stream.unwrap();
            stream
                .set_read_timeout(Some(std::time::Duration::from_secs(5)))
                .unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let head = common::read_request_head(&mut reader);
            stream.write_all(reply(&head).as_bytes()).unwrap();
            seen.push(head);
        }
        seen
    });
    (base, handle)
}

#[cfg(feature = "live")]
fn redirect_to(location: &str) -> String {
    format!("HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
}

#[cfg(feature = "live")]
fn token_reply() -> String {
    let body = r#"{"status":"200","token":"redirected-token"}"#;
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

#[cfg(feature = "live")]
fn live_trace(dir: &Path, url: &str) -> String {
    String::from_utf8_lossy(&live_run(dir, url).stdout).into_owned()
}

/// `run --live` of the embedded flow with its token service at `url`.
#[cfg(feature = "live")]
fn live_run(dir: &Path, url: &str) -> Output {
    std::fs::write(
        dir.join("tenant.toml"),
        format!("token_service_url = \"{url}\"\ntoken_passphrase = {{ env = \"LEAK_PASSPHRASE\" }}\nstatic_token = \"\"\n"),
    )
    .unwrap();
    run(
        dir,
        &["run", "--values", "tenant.toml", "--live"],
        ("live-passphrase-0001", ""),
    )
}

/// The first server got the passphrase; the one it redirected to did not.
#[cfg(feature = "live")]
fn passphrase_left_at_the_origin(
    first: std::thread::JoinHandle<Vec<String>>,
    landing: std::thread::JoinHandle<Vec<String>>,
) {
    let first = first.join().unwrap();
    let landing = landing.join().unwrap();
    assert!(first[0]
        .to_ascii_lowercase()
        .contains("x-token-passphrase: live-passphrase-0001"));
    assert!(
        !landing[0]
            .to_ascii_lowercase()
            .contains("x-token-passphrase"),
        "{}",
        landing[0]
    );
}

#[cfg(feature = "live")]
#[test]
fn a_live_redirect_to_another_origin_loses_the_credential_headers() {
    let dir = tempfile::tempdir().unwrap();
    let (elsewhere, landing) = server(1, |_| token_reply());
    let target = format!("{elsewhere}/landing");
    let (origin, first) = server(1, move |_| redirect_to(&target));
    let trace = live_trace(dir.path(), &format!("{origin}/token-service?name=jds"));
    passphrase_left_at_the_origin(first, landing);
    // The token service's reply headers are secret (it has a secret output): so is its
    // Location, and the hop shows what was done, not where it led.
    assert!(
        trace.contains(
            "<- 302 redirect to •••: followed to another origin without credential headers x-token-passphrase"
        ),
        "{trace}"
    );
    assert!(!trace.contains("live-passphrase-0001") && !trace.contains("redirected-token"));
}

/// fd.json in `dir`: the embedded flow built for Flow Designer with its token service at
/// `origin` and the passphrase from `secrets`.
#[cfg(feature = "live")]
fn build_flow_designer_against(dir: &Path, origin: &str, secrets: (&str, &str)) {
    std::fs::write(
        dir.join("tenant.toml"),
        format!("token_service_url = \"{origin}/token-service?name=jds\"\ntoken_passphrase = {{ env = \"LEAK_PASSPHRASE\" }}\nstatic_token = \"\"\n"),
    )
    .unwrap();
    let args = [
        "build",
        "--target",
        "flow-designer",
        "--values",
        "tenant.toml",
        "-o",
        "fd.json",
    ];
    let out = run(dir, &args, secrets);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[cfg(feature = "live")]
#[test]
fn a_live_redirect_in_a_flow_designer_run_loses_the_credential_headers_too() {
    let dir = tempfile::tempdir().unwrap();
    let (elsewhere, landing) = server(1, |_| token_reply());
    let target = format!("{elsewhere}/landing");
    let (origin, first) = server(1, move |_| redirect_to(&target));
    let secrets = ("live-passphrase-0001", "");
    build_flow_designer_against(dir.path(), &origin, secrets);
    let out = run(dir.path(), &["run", "fd.json", "--live"], secrets);
    let trace = String::from_utf8_lossy(&out.stdout).into_owned();
    passphrase_left_at_the_origin(first, landing);
    assert!(
        trace.contains("followed to another origin without credential headers x-token-passphrase"),
        "{trace}"
    );
    assert!(!trace.contains("live-passphrase-0001") && !trace.contains("redirected-token"));
}

/// A redirect whose Location echoes the passphrase the request carried: a Flow Designer run
/// shows it as the mask, as a Connect run does (the reply fills a secret variable).
#[cfg(feature = "live")]
#[test]
fn a_live_redirect_in_a_flow_designer_run_hides_a_location_that_echoes_a_secret() {
    let dir = tempfile::tempdir().unwrap();
    // Two runs (human, then JSON): each server answers twice.
    let (elsewhere, landing) = server(2, |_| token_reply());
    let (origin, first) = server(2, move |head| {
        let echoed = head
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("x-token-passphrase:"))
            .and_then(|l| l.split_once(':'))
            .map_or(String::new(), |(_, v)| v.trim().to_string());
        redirect_to(&format!("{elsewhere}/landing?echo={echoed}"))
    });
    let secrets = ("live-passphrase-0001", "");
    build_flow_designer_against(dir.path(), &origin, secrets);
    for format in ["human", "json"] {
        let out = run(
            dir.path(),
            &["run", "fd.json", "--live", "--format", format],
            secrets,
        );
        let trace = String::from_utf8_lossy(&out.stdout).into_owned();
        if format == "human" {
            assert!(
                trace.contains("<- 302 redirect to •••: followed"),
                "{trace}"
            );
        }
        assert!(!trace.contains("live-passphrase-0001"), "{trace}");
    }
    let first = first.join().unwrap();
    assert!(first[0]
        .to_ascii_lowercase()
        .contains("x-token-passphrase: live-passphrase-0001"));
    // The echo reached the landing server: the test would see a leak if the trace showed it.
    assert!(landing.join().unwrap()[0].contains("echo=live-passphrase-0001"));
}

#[cfg(feature = "live")]
#[test]
fn a_live_redirect_within_the_origin_keeps_them_and_every_hop_is_traced() {
    let dir = tempfile::tempdir().unwrap();
    let (base, seen) = server(2, |head| {
        if head.starts_with("GET /token-service") {
            redirect_to("/landing")
        } else {
            token_reply()
        }
    });
    let trace = live_trace(dir.path(), &format!("{base}/token-service?name=jds"));
    let seen = seen.join().unwrap();
    assert!(seen[1].starts_with("GET /landing"), "{}", seen[1]);
    assert!(seen[1]
        .to_ascii_lowercase()
        .contains("x-token-passphrase: live-passphrase-0001"));
    assert!(
        trace.contains("<- 302 redirect to •••: followed\n"),
        "{trace}"
    );
    assert!(trace.contains("set TokenSource = \"service\""), "{trace}");
}

/// A redirect's Location is a URL: one carrying a credential parameter or a password is shown
/// as `•••` in the trace, as a request's URL would be, though nothing else in the reply is secret.
#[cfg(feature = "live")]
#[test]
fn a_live_redirect_to_a_url_with_a_credential_hides_it() {
    // A credential parameter; user information after `http:` and backslashes, which browsers
    // (and the runner) read as naming the host: both on the same origin, so both are followed.
    for (location, second) in [
        (
            "/landing?apikey=HOP-KEY-0001",
            "GET /landing?apikey=HOP-KEY-0001",
        ),
        ("http:\\\\u:HOP-KEY-0001@{host}/landing", "GET /landing"),
        // From an http URL, `http:` and no slash make a path (WHATWG); the Location as sent
        // reads as user information all the same.
        ("http:u:HOP-KEY-0001@{host}/landing", "GET /u:HOP-KEY-0001@"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let (base, seen) = server(2, move |head| {
            if head.starts_with("GET /start") {
                let host = (head.lines())
                    .find_map(|l| l.strip_prefix("host: ").or(l.strip_prefix("Host: ")))
                    .unwrap_or("")
                    .trim();
                redirect_to(&location.replace("{host}", host))
            } else {
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}".into()
            }
        });
        std::fs::write(
            dir.path().join("hop.toml"),
            format!(
                "[flow]\nname = \"Hop\"\n\n[trigger]\ntype = \"webhook\"\nevent = \"Hop\"\n\
                 sample = '{{\"id\": \"1\"}}'\nnext = \"call\"\n\n[nodes.call]\ntype = \"http\"\n\
                 method = \"GET\"\nurl = \"{base}/start\"\n\
                 next = {{ onSuccess = \"end:Success\", onError = \"end:Error\", onTimeout = \"end:Error\" }}\n"
            ),
        )
        .unwrap();
        let out = run(dir.path(), &["run", "hop.toml", "--live"], ("", ""));
        let text = common::transcript(&out);
        assert_eq!(out.status.code(), Some(0), "{location}: {text}");
        let seen = seen.join().unwrap();
        assert!(seen[1].starts_with(second), "{location}: {}", seen[1]);
        assert!(
            text.contains("<- 302 redirect to •••: followed\n"),
            "{location}: {text}"
        );
        assert!(!text.contains("HOP-KEY-0001"), "{location}: {text}");
    }
}

/// A redirect past the limit is the reply itself: its Location, with a credential parameter,
/// is shown as `•••` in the JSON trace's reply headers too.
#[cfg(feature = "live")]
#[test]
fn a_reply_location_with_a_credential_is_hidden_past_the_redirect_limit() {
    let dir = tempfile::tempdir().unwrap();
    let (base, seen) = server(11, |_| redirect_to("/loop?apikey=LOOP-KEY-0001"));
    std::fs::write(
        dir.path().join("loop.toml"),
        format!(
            "[flow]\nname = \"Loop\"\n\n[trigger]\ntype = \"webhook\"\nevent = \"Loop\"\n\
             sample = '{{\"id\": \"1\"}}'\nnext = \"call\"\n\n[nodes.call]\ntype = \"http\"\n\
             method = \"GET\"\nurl = \"{base}/start\"\n\
             next = {{ onSuccess = \"end:Success\", onError = \"end:Error\", onTimeout = \"end:Error\" }}\n"
        ),
    )
    .unwrap();
    let out = run(
        dir.path(),
        &["run", "loop.toml", "--live", "--format", "json"],
        ("", ""),
    );
    let text = common::transcript(&out);
    assert_eq!(seen.join().unwrap().len(), 11);
    assert!(text.contains("more than 10 redirects"), "{text}");
    assert!(!text.contains("LOOP-KEY-0001"), "{text}");
}

/// A 300 or a 305 with a Location is an answer, not a redirect (fetch follows 301, 302, 303,
/// 307 and 308 only): the node leaves through onSuccess with it, nothing more is sent.
#[cfg(feature = "live")]
#[test]
fn a_live_300_or_305_is_an_answer_not_a_redirect() {
    for status in ["300 Multiple Choices", "305 Use Proxy"] {
        let dir = tempfile::tempdir().unwrap();
        let reply = format!("HTTP/1.1 {status}\r\nLocation: /elsewhere\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        let (base, seen) = server(1, move |_| reply.clone());
        std::fs::write(
            dir.path().join("a.toml"),
            format!(
                "[flow]\nname = \"A\"\n\n[trigger]\ntype = \"webhook\"\nevent = \"A\"\n\
                 sample = '{{\"id\": \"1\"}}'\nnext = \"call\"\n\n[nodes.call]\ntype = \"http\"\n\
                 method = \"GET\"\nurl = \"{base}/start\"\n\
                 next = {{ onSuccess = \"end:Success\", onError = \"end:Error\", onTimeout = \"end:Error\" }}\n"
            ),
        )
        .unwrap();
        let out = run(dir.path(), &["run", "a.toml", "--live"], ("", ""));
        let text = common::transcript(&out);
        assert_eq!(out.status.code(), Some(0), "{status}: {text}");
        assert!(!text.contains("redirect"), "{status}: {text}");
        assert_eq!(seen.join().unwrap().len(), 1);
    }
}

/// A request whose body is secret is never sent on to another origin by a redirect that would
/// carry the body again (307, 308): the run stops at the node, and nothing reaches the other
/// origin. A 303 (the body dropped) is followed as before.
#[cfg(feature = "live")]
#[test]
fn a_live_redirect_never_carries_a_secret_body_to_another_origin() {
    let dir = tempfile::tempdir().unwrap();
    let elsewhere = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    elsewhere.set_nonblocking(true).unwrap();
    let landing = format!("http://{}/landing", elsewhere.local_addr().unwrap());
    let (origin, first) = server(1, move |_| {
        format!("HTTP/1.1 307 Temporary Redirect\r\nLocation: {landing}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    });
    std::fs::write(
        dir.path().join("body.toml"),
        format!(
            "[flow]\nname = \"B\"\n\n[trigger]\ntype = \"webhook\"\nevent = \"B\"\nsample = '{{\"id\": \"1\"}}'\n\
             next = \"c\"\n\n[variables.Key]\ndefault = \"BODY-SECRET-1\"\n\n[nodes.c]\ntype = \"http\"\n\
             method = \"POST\"\nurl = \"{origin}/start?apikey=$(Key)\"\nbody = \"k=$(Key)\"\n\
             next = {{ onSuccess = \"end:Success\", onError = \"end:Error\", onTimeout = \"end:Error\" }}\n"
        ),
    )
    .unwrap();
    let out = run(dir.path(), &["run", "body.toml", "--live"], ("", ""));
    let text = common::transcript(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("would send the request's secret body there"),
        "{text}"
    );
    assert!(!text.contains("BODY-SECRET-1"), "{text}");
    assert_eq!(first.join().unwrap().len(), 1);
    assert!(
        elsewhere.accept().is_err(),
        "the other origin was reached: {text}"
    );
}

/// A proxy the environment names that this build cannot use stops a live run, naming the
/// variable and neither the proxy's password nor the request's credentials: the node's error
/// path would pass a local setting off as the flow's behaviour.
#[cfg(feature = "live")]
#[test]
fn a_live_run_through_an_unusable_proxy_stops_and_names_it() {
    for proxy in [
        "socks5://proxy-user:proxy-pw-1@127.0.0.1:1",
        "http://127.0.0.1:99999",
    ] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("tenant.toml"),
            "token_service_url = \"https://127.0.0.1:9/token-service?name=jds\"\ntoken_passphrase = { env = \"LEAK_PASSPHRASE\" }\nstatic_token = \"\"\n",
        )
        .unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_wxcflow"))
            .args(["run", "--values", "tenant.toml", "--live"])
            .current_dir(dir.path())
            .env("LEAK_PASSPHRASE", "live-passphrase-0001")
            .env("ALL_PROXY", proxy)
            .output()
            .unwrap();
        let text = common::transcript(&out);
        assert_eq!(out.status.code(), Some(1), "{proxy}: {text}");
        assert!(text.contains("the proxy in ALL_PROXY"), "{proxy}: {text}");
        assert!(text.contains("the run stops here"), "{proxy}: {text}");
        assert!(!text.contains("onError"), "{proxy}: {text}");
        assert!(
            !text.contains("proxy-pw-1") && !text.contains("live-passphrase-0001"),
            "{text}"
        );
    }
}

/// A redirect to another scheme (`ftp:`, `file:`) is not a path on the same origin: it is not
/// followed, nothing more is sent, and the run stops at the node, in both kinds of run.
#[cfg(feature = "live")]
#[test]
fn a_live_redirect_to_another_scheme_stops_the_run() {
    for location in ["ftp://127.0.0.1/x", "file:///etc/passwd"] {
        let dir = tempfile::tempdir().unwrap();
        let (origin, first) = server(1, move |_| redirect_to(location));
        std::fs::write(
            dir.path().join("tenant.toml"),
            format!("token_service_url = \"{origin}/token-service?name=jds\"\ntoken_passphrase = {{ env = \"LEAK_PASSPHRASE\" }}\nstatic_token = \"\"\n"),
        )
        .unwrap();
        let secrets = ("live-passphrase-0001", "");
        let out = run(
            dir.path(),
            &["run", "--values", "tenant.toml", "--live"],
            secrets,
        );
        let text = common::transcript(&out);
        assert_eq!(out.status.code(), Some(1), "{location}: {text}");
        assert!(
            text.contains("redirect leads to a URL whose scheme is not http or https"),
            "{location}: {text}"
        );
        assert!(
            !text.contains("more than 10 redirects") && !text.contains("ftp://"),
            "{text}"
        );
        assert_eq!(first.join().unwrap().len(), 1);

        let (origin, first) = server(1, move |_| redirect_to(location));
        build_flow_designer_against(dir.path(), &origin, secrets);
        let out = run(dir.path(), &["run", "fd.json", "--live"], secrets);
        let text = common::transcript(&out);
        assert_eq!(out.status.code(), Some(1), "{location}: {text}");
        assert!(
            text.contains("redirect leads to a URL whose scheme is not http or https"),
            "{location}: {text}"
        );
        assert_eq!(first.join().unwrap().len(), 1);
    }
}

/// A spec whose shape is wrong beside a secret default written literally, on the same line:
/// an unknown key, or a `secret` flag of the wrong type (still meant).
fn misshapen_spec(secret: &str, declaration: &str) -> String {
    let declaration = declaration.replace("SECRET", secret);
    format!(
        "[flow]\nname = \"Leak\"\n\n[trigger]\ntype = \"webhook\"\nevent = \"Leak\"\nsample = '{{\"id\": \"1\"}}'\nnext = \"end:Success\"\n\n[variables]\nPass = {declaration}\n"
    )
}

#[test]
fn a_misshapen_spec_hides_its_literal_secrets_and_their_length() {
    let outputs = |secret: &str, declaration: &str| {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("s.toml"),
            misshapen_spec(secret, declaration),
        )
        .unwrap();
        let mut all = String::new();
        for args in [
            &["check", "s.toml"][..],
            &["check", "s.toml", "--format", "json"],
            &["check", "s.toml", "--format", "sarif"],
            &["build", "s.toml", "--format", "json"],
            &["textconv", "s.toml"],
            &["diff", "s.toml", "s.toml"],
        ] {
            let out = common::wxcflow(dir.path(), args);
            all.push_str(&common::transcript(&out));
        }
        assert!(all.contains("wxc::"), "{all}");
        all
    };
    for declaration in [
        "{ secret = true, default = \"SECRET\", bogus = 1 }",
        "{ default = \"SECRET\", secret = 1 }",
        "{ default = \"SECRET\", secret = \"yes\" }",
        // A table where text belongs, written with dotted keys: the table's span is its key's.
        "{ secret = true, default.x = \"SECRET\" }",
        "{ secret = true, default.x.y = [\"SECRET\"] }",
    ] {
        let reference = outputs(SECRET_SETS[0].0, declaration);
        for (secret, _) in SECRET_SETS {
            // Equal output whatever the secret rules out showing it, garbling it or telling its
            // length.
            assert_eq!(
                outputs(secret, declaration),
                reference,
                "{declaration}: output depends on the secret {secret:?}"
            );
        }
    }
}

/// Secrets that no output could hold by chance.
const REFERENCE_SECRETS: (&str, &str) = ("REFERENCE-PASSPHRASE-1", "REFERENCE-STATIC-2");

/// Every input that does not read, for one pair of secrets: Webex Connect and Flow Designer
/// files with a merge conflict line (at the start, at the end), a stray character, or broken
/// TOML beside a secret; and what `textconv`, `graph` and `sheet` print of them.
fn unreadable_outputs(secrets: (&str, &str)) -> String {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let write = |name: &str, text: &str| std::fs::write(d.join(name), text).unwrap();
    let read = |name: &str| std::fs::read_to_string(d.join(name)).unwrap();
    write("template.toml", wxcflow::DEFAULT_SPEC);
    write("tenant.toml", TENANT);
    assert_eq!(build(d, secrets).status.code(), Some(0));
    let fd = [
        "build",
        "--target",
        "flow-designer",
        "--values",
        "tenant.toml",
        "-o",
        "fd.json",
    ];
    assert_eq!(run(d, &fd, secrets).status.code(), Some(0));
    let decompiled = run(d, &["decompile", "fd.json", "-o", "fd.toml"], secrets);
    assert_eq!(decompiled.status.code(), Some(0));
    let document = read("out.flow.json");
    let export = read("fd.json");
    let spec = read("fd.toml");
    write("end.flow.json", &format!("{document}<<<<<<< ours\n"));
    write("start.flow.json", &format!("<<<<<<< HEAD\n{document}"));
    write("stray.flow.json", &format!("x{document}"));
    write("start.fd.json", &format!("<<<<<<< HEAD\n{export}"));
    write("end.fd.json", &format!("{export}=======\n"));
    // An editor's byte order mark, on a whole export and on one cut by a conflict line.
    write("bom.fd.json", &format!("\u{feff}{export}"));
    write("bom-end.fd.json", &format!("\u{feff}{export}=======\n"));
    // A flow one level down: wrapped as the API answers, or `flow` made a list.
    write("data.fd.json", &format!("{{\"data\": {export}}}"));
    write("data.flow.json", &format!("[{document}]"));
    let mut listed: serde_json::Value = serde_json::from_str(&document).unwrap();
    listed["flow"] = serde_json::Value::Array(vec![listed["flow"].take()]);
    write("list.flow.json", &listed.to_string());
    write("start.fd.toml", &format!("<<<<<<< HEAD\n{spec}"));
    let value = format!("value = \"{}\"", secrets.0);
    assert!(spec.contains(&value), "{spec}");
    write(
        "broken.fd.toml",
        &spec.replacen(&value, &format!("value = '{}", secrets.0), 1),
    );
    let connect = format!(
        "[flow]\nname = \"Leak\"\n\n[variables]\nPass = {{ secret = true, default = \"{}\" }}\n",
        secrets.0
    );
    write("start.toml", &format!("<<<<<<< HEAD\n{connect}"));
    write(
        "broken.toml",
        &connect.replacen(&format!("{}\" }}", secrets.0), secrets.0, 1),
    );
    let mut all = String::new();
    for file in [
        "end.flow.json",
        "start.flow.json",
        "stray.flow.json",
        "start.fd.json",
        "end.fd.json",
        "bom.fd.json",
        "bom-end.fd.json",
        "data.fd.json",
        "data.flow.json",
        "list.flow.json",
        "start.fd.toml",
        "broken.fd.toml",
        "start.toml",
        "broken.toml",
    ] {
        let out = run(d, &["textconv", file], secrets);
        assert_eq!(out.status.code(), Some(0), "{file}");
        all.push_str(&format!("$ textconv {file}\n{}", common::transcript(&out)));
    }
    for command in ["graph", "sheet"] {
        let out = run(d, &[command, "broken.fd.toml"], secrets);
        assert_eq!(out.status.code(), Some(1), "{command}");
        all.push_str(&format!("$ {command}\n{}", common::transcript(&out)));
    }
    all
}

/// JSON that reads but is no flow document (a document or export in a list, on one line) is
/// read as a flow document that breaks the schema, not as TOML: a TOML error would quote its
/// first line, secrets and all.
#[test]
fn json_that_is_no_flow_document_is_not_quoted_as_toml() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let secret = "LISTED-SECRET-1";
    let document = format!(
        "{{\"format\": \"wxcflow.flow/1\", \"flow\": {{\"variables\": [{{\"name\": \"A\", \"default\": \"{secret}\", \"secret\": true}}]}}}}"
    );
    std::fs::write(d.join("listed.json"), format!("[{document}]")).unwrap();
    std::fs::write(d.join("data.json"), format!("{{\"data\": {document}}}")).unwrap();
    for file in ["listed.json", "data.json"] {
        for command in ["check", "graph", "inspect", "textconv"] {
            let out = run(d, &[command, file], ("p", "s"));
            let text = common::transcript(&out);
            assert!(!text.contains(secret), "{command} {file}: {text}");
            assert!(!text.contains("invalid TOML"), "{command} {file}: {text}");
        }
    }
    let out = run(d, &["check", "listed.json"], ("p", "s"));
    assert!(
        common::transcript(&out)
            .contains("the value is an array, where the schema wants an object"),
        "{}",
        common::transcript(&out)
    );
}

/// Flow Designer files that do not read: a 2026 set-variable's `literal` and `expr` are hidden
/// (which variable each sets, secure or not, cannot be told); a spec broken by an array left
/// open is hidden from that line on, as a Webex Connect spec is.
#[test]
fn flow_designer_files_that_do_not_read_hide_set_values_and_what_follows_a_break() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("sva.json"),
        "<<<<<<< HEAD\n{\"variables\": [{\"name\": \"Pass\", \"isSecure\": true, \"value\": null}], \"process\": {\"activities\": {\"a1\": {\"properties\": {\"activityName\": \"set-variable\", \"setVariablesArray\": [{\"srcVariable\": \"Pass\", \"literal\": \"SVA-LIT-1\", \"expr\": \"SVA-EXPR-2\"}]}}}}}\n=======\n>>>>>>> x\n",
    )
    .unwrap();
    std::fs::write(
        d.join("broken.fd.toml"),
        "[flow_designer]\nname = \"b\"\n\n[activities.Call]\ntype = \"http-request-v2\"\n\n\
         [activities.Call.settings]\nbogus = [1\nhttpRequestMethod = \"GET\"\n\
         httpRequestUrl = \"https://h.example.com/?apikey=PLAIN-KEY-3\"\nnote = \"AFTER-4\"\n",
    )
    .unwrap();
    let shown = transcripts(
        d,
        &[&["textconv", "sva.json"], &["textconv", "broken.fd.toml"]],
        ("p", "s"),
    );
    for leaked in ["SVA-LIT-1", "SVA-EXPR-2", "PLAIN-KEY-3", "AFTER-4"] {
        assert!(!shown.contains(leaked), "{leaked}: {shown}");
    }
    assert!(shown.contains("srcVariable"), "the rest is shown: {shown}");
}

#[test]
fn a_file_that_does_not_read_shows_none_of_its_secrets_in_textconv_graph_or_sheet() {
    let reference = unreadable_outputs(REFERENCE_SECRETS);
    for secret in [REFERENCE_SECRETS.0, REFERENCE_SECRETS.1] {
        assert!(!reference.contains(secret), "{secret} leaked:\n{reference}");
    }
    // Either side of a conflict is read past its marker lines: its secrets are found by place.
    assert!(reference.contains("\"default\": •••"), "{reference}");
    assert!(
        reference.contains("Pass = { secret = •••, default = ••• }"),
        "{reference}"
    );
    for secrets in SECRET_SETS {
        assert_eq!(
            unreadable_outputs(*secrets),
            reference,
            "output depends on the secrets {secrets:?}"
        );
    }
}

/// A spec that does not read (merge conflict markers in it) is shown by `textconv` with its
/// node URLs, proxies, notify URLs and request headers hidden: any of them may hold a
/// credential, and which headers are credential headers is not read.
#[test]
fn textconv_of_an_unreadable_spec_hides_urls_and_headers() {
    let dir = tempfile::tempdir().unwrap();
    let spec = "[flow]\nname = \"Leak\"\ncredential_headers = [\"x-token-passphrase\"]\n\n\
        [trigger]\ntype = \"webhook\"\nevent = \"Leak\"\nsample = '{\"id\": \"1\"}'\nnext = \"call\"\n\n\
        [outcomes.Success]\nnotify_url = \"https://n.example.com/?key=DSEK14\"\n\n\
        [nodes.call]\ntype = \"http\"\nmethod = \"GET\"\n\
        url = \"https://u:DSEK11@h.example.com/?key=DSEK11b\"\n\
        proxy = \"http://p:DSEK15@proxy.example.com\"\n\
        headers = { Authorization = \"Bearer DSEK12\", x-token-passphrase = \"DSEK13\" }\n\
        next = \"end:Success\"\n\
        <<<<<<< ours\n=======\n>>>>>>> theirs\n";
    std::fs::write(dir.path().join("cv3.toml"), spec).unwrap();
    let out = common::wxcflow(dir.path(), &["textconv", "cv3.toml"]);
    let shown = common::transcript(&out);
    assert!(shown.contains("[nodes.call]"), "{shown}");
    assert!(!shown.contains("SEK1"), "{shown}");
}

/// A server on 127.0.0.1 that answers one connection with `reply`, bytes as they are.
#[cfg(feature = "live")]
fn raw_server(reply: Vec<u8>) -> String {
    use std::io::{BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        common::read_request_head(&mut reader);
        // The client may stop reading a body it will not keep.
        let _ = stream.write_all(&reply);
    });
    base
}

/// Any answer is an answer: a body that is not UTF-8 is decoded and the node leaves through
/// onSuccess (it was taken for a failed connection); a body larger than a run keeps stops the
/// run at the node, exit 1 (it was taken for a failed connection too, exit 0).
#[cfg(feature = "live")]
#[test]
fn a_live_answer_in_latin_1_or_too_large_is_an_answer_not_a_failed_connection() {
    let dir = tempfile::tempdir().unwrap();
    let body = b"{\"message\":\"Passphrase ung\xfcltig\"}";
    let mut reply = format!(
        "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json; charset=iso-8859-1\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    reply.extend_from_slice(body);
    let trace = live_trace(dir.path(), &format!("{}/token", raw_server(reply)));
    assert!(trace.contains("<- 500"), "{trace}");
    assert!(trace.contains("fetch_token -> onSuccess"), "{trace}");
    assert!(!trace.contains("connection failed"), "{trace}");

    let size = 11 * 1024 * 1024;
    let mut reply = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {size}\r\nConnection: close\r\n\r\n"
    )
    .into_bytes();
    reply.resize(reply.len() + size, b' ');
    let url = format!("{}/token", raw_server(reply));
    let out = live_run(dir.path(), &url);
    let trace = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{trace}");
    assert!(trace.contains("larger than 10485760 bytes"), "{trace}");
    assert!(!trace.contains("fetch_token -> onError"), "{trace}");
}

/// A Connect spec whose request carries `pin` and `pwd`, the words that make a Flow Designer
/// variable secret, as a header and a URL parameter; `url` is where it sends them.
fn named_credentials_spec(url: &str, pin: &str, pwd: &str) -> String {
    format!(
        "[flow]\nname = \"Pin\"\n\n[trigger]\ntype = \"webhook\"\nevent = \"Pin\"\n\
         sample = '{{\"id\": \"1\"}}'\nnext = \"fetch\"\n\n\
         [nodes.fetch]\ntype = \"http\"\nmethod = \"GET\"\nurl = \"{url}?lang=en&pwd={pwd}\"\n\
         headers = {{ pin = \"{pin}\", Accept = \"application/json\" }}\n\
         next = {{ onSuccess = \"end:Success\", onError = \"end:Error\", onTimeout = \"end:Error\" }}\n"
    )
}

/// The word list that makes a Flow Designer variable secret names credentials in a Connect
/// run's requests too: a `pin` header and a `?pwd=` parameter show as the mask in the trace
/// (text and JSON), whatever they hold.
#[test]
fn a_connect_run_hides_headers_and_parameters_named_as_credentials() {
    let trace = |secrets: (&str, &str)| {
        let dir = tempfile::tempdir().unwrap();
        let spec = named_credentials_spec("https://api.example.com/check", secrets.0, secrets.1);
        std::fs::write(dir.path().join("pin.toml"), spec).unwrap();
        let mut all = String::new();
        for args in [
            &["run", "pin.toml"][..],
            &["run", "pin.toml", "--format", "json"],
        ] {
            let out = run(dir.path(), args, secrets);
            all.push_str(&common::transcript(&out));
        }
        all
    };
    let reference = trace(("REFERENCE-PIN-4711", "REFERENCE-PWD-0815"));
    assert!(
        !reference.contains("REFERENCE-") && reference.contains("pin: •••"),
        "{reference}"
    );
    assert!(
        reference.contains("\"Accept\": \"application/json\""),
        "{reference}"
    );
    for secrets in SECRET_SETS {
        assert_eq!(trace(*secrets), reference, "depends on {secrets:?}");
    }
}

/// A child flow that branches on what its parent passed in a secret variable (the child's own
/// declaration is plain): the parent's Call Flow step left by the way the child went, so it
/// shows as the mask too, and the trace is the same whatever the secret.
#[test]
fn a_call_flow_step_hides_how_it_left_when_its_child_chose_on_a_secret() {
    let child = "[flow]\nname = \"Child\"\n[trigger]\ntype = \"webhook\"\nevent = \"Child\"\n\
        sample = '{\"x\": \"a\"}'\nnext = \"guess\"\n[variables.Tok]\ndefault = \"\"\n\
        [nodes.guess]\ntype = \"branch\"\n\
        branches = [{ name = \"A\", all = [{ variable = \"$(Tok)\", operator = \"starts_with\", value = \"A\" }] }]\n\
        next = { A = \"end:Success\", none = \"end:Error\", onError = \"end:Error\" }\n";
    let trace = |secret: &str| {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("Child.toml"), child).unwrap();
        let parent = format!(
            "[flow]\nname = \"Parent\"\nper_outcome_actions = true\n[trigger]\ntype = \"webhook\"\nevent = \"Parent\"\n\
             sample = '{{\"x\": \"a\"}}'\nnext = \"call\"\n\
             [variables.Tok]\ndefault = \"{secret}\"\nsecret = true\n\
             [nodes.call]\ntype = \"call_flow\"\nflow = \"Child\"\n\
             on_leave = [{{ outcome = \"onSuccess\", set = {{ Tok = \"\" }} }}]\n\
             next = {{ onSuccess = \"end:Success\", onError = \"end:Error\" }}\n"
        );
        std::fs::write(dir.path().join("Parent.toml"), parent).unwrap();
        transcripts(
            dir.path(),
            &[
                &["run", "Parent.toml"],
                &["run", "Parent.toml", "--format", "json"],
            ],
            ("", ""),
        )
    };
    let reference = trace("ABC-SECRET");
    assert!(
        reference.contains("n3 call -> •••\n  Child/n3 guess -> •••"),
        "{reference}"
    );
    assert!(!reference.contains("set Tok"), "{reference}");
    assert_eq!(trace("ZBC-SECRET"), reference);
}

/// Call Flow shares the variables both flows declare, so a variable one flow's `send_to` reads
/// is the other's to set: `check` follows each child it finds (as `run` does) and refuses a
/// parent that sets GetOAuthToken's `Token-Service-URL` from its webhook, and a child that sets
/// the variable its parent's `send_to` reads.
#[test]
fn check_refuses_a_destination_the_other_side_of_a_call_flow_sets() {
    let dir = tempfile::tempdir().unwrap();
    let head = |name: &str| {
        format!(
            "[flow]\nname = \"{name}\"\n[trigger]\ntype = \"webhook\"\nevent = \"{name}\"\n\
             sample = '{{\"svc\": \"https://token.example.com/\"}}'\nnext = \"go\"\n"
        )
    };
    let parent = head("Parent")
        + "[variables.Token-Service-URL]\ndefault = \"\"\n\
           [nodes.go]\ntype = \"call_flow\"\nflow = \"GetOAuthToken\"\n\
           on_enter = [{ set = { Token-Service-URL = \"$(start.inboundWebhook.svc)\" } }]\n\
           next = { onSuccess = \"end:Success\", onError = \"end:Error\" }\n";
    std::fs::write(dir.path().join("Parent.toml"), parent).unwrap();
    let out = run(dir.path(), &["check", "Parent.toml"], ("", ""));
    let said = common::transcript(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("`send_to` of `x-token-passphrase` in flow `GetOAuthToken` reads `$(Token-Service-URL)`, which flow `Parent` shares through Call Flow `go` and sets while it runs"), "{said}");
    // The other way: the child sets what the parent's send_to reads, and hands it back.
    let caller = head("Caller")
        + "[variables.Api]\ndefault = \"https://api.example.com\"\n\
           [variables.Key]\ndefault = \"\"\nsecret = true\nsend_to = [\"$(Api)\"]\n\
           [nodes.go]\ntype = \"call_flow\"\nflow = \"Helper\"\n\
           next = { onSuccess = \"end:Success\", onError = \"end:Error\" }\n";
    let helper = head("Helper")
        + "[variables.Api]\ndefault = \"\"\nresult = true\n\
           [nodes.go]\ntype = \"branch\"\n\
           on_enter = [{ set = { Api = \"$(start.inboundWebhook.svc)\" } }]\n\
           branches = [{ name = \"A\", all = [{ variable = \"$(Api)\", operator = \"equals\", value = \"x\" }] }]\n\
           next = { A = \"end:Success\", none = \"end:Success\", onError = \"end:Error\" }\n";
    std::fs::write(dir.path().join("Caller.toml"), caller).unwrap();
    std::fs::write(dir.path().join("Helper.toml"), helper).unwrap();
    let out = run(dir.path(), &["check", "Caller.toml"], ("", ""));
    let said = common::transcript(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("`send_to` of `Key` in flow `Caller` reads `$(Api)`, which flow `Helper` shares through Call Flow `go` and sets while it runs"), "{said}");
    assert!(said.contains("hands it back to `Caller`"), "{said}");
    // GetOAuthToken's own parent, which sets nothing it reads, passes.
    let out = run(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        &["check", "fixtures/valid/parent-flow.toml"],
        ("", ""),
    );
    assert_eq!(out.status.code(), Some(0), "{}", common::transcript(&out));
}

/// A credential typed literally into a Connect request, where a request carries one (a `pin`
/// header, a `?pwd=` parameter, a URL's password), is secret by its place in every output:
/// textconv of the spec and of the document, diff (text, JSON, Markdown), the sheet and the
/// graph print the same bytes whatever it is, and decompile writes it only to a private file.
#[test]
fn a_connect_credential_typed_in_a_request_is_secret_by_its_place() {
    let outputs = |secrets: (&str, &str)| {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, url: &str, pin: &str, pwd: &str| {
            let spec = named_credentials_spec(url, pin, pwd);
            std::fs::write(dir.path().join(name), spec).unwrap();
        };
        let url = format!("https://user:{}@api.example.com/check", secrets.1);
        write("pin.toml", &url, secrets.0, secrets.1);
        write(
            "old.toml",
            "https://user:old@api.example.com/check",
            "old-pin",
            "old-pwd",
        );
        let built = run(
            dir.path(),
            &["build", "pin.toml", "-o", "pin.flow.json"],
            secrets,
        );
        assert!(built.status.success(), "{}", common::transcript(&built));
        let mut all = String::new();
        for args in [
            &["textconv", "pin.toml"][..],
            &["textconv", "pin.flow.json"],
            &["diff", "old.toml", "pin.toml"],
            &["diff", "old.toml", "pin.toml", "--format", "json"],
            &["diff", "old.toml", "pin.toml", "--format", "markdown"],
            &["sheet", "pin.toml"],
            &["graph", "pin.toml"],
            &["decompile", "pin.flow.json"],
            &["decompile", "pin.flow.json", "-o", "back.toml"],
        ] {
            all.push_str(&common::transcript(&run(dir.path(), args, secrets)));
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("back.toml"))
                .unwrap()
                .permissions();
            assert_eq!(mode.mode() & 0o777, 0o600, "decompile writes it privately");
            let mode = std::fs::metadata(dir.path().join("pin.flow.json"))
                .unwrap()
                .permissions();
            assert_eq!(mode.mode() & 0o777, 0o600, "build writes it privately");
        }
        let back = std::fs::read_to_string(dir.path().join("back.toml")).unwrap();
        assert!(
            back.contains(secrets.0),
            "the private file holds the flow whole"
        );
        all
    };
    let reference = outputs(("REFERENCE-PIN-4711", "REFERENCE-PWD-0815"));
    assert!(!reference.contains("REFERENCE-"), "{reference}");
    assert!(reference.contains("fetch.headers.pin = •••"), "{reference}");
    assert!(
        reference.contains("https://•••@api.example.com/check?lang=en&pwd=•••"),
        "the sheet shows where the request goes: {reference}"
    );
    for secrets in SECRET_SETS {
        assert_eq!(outputs(*secrets), reference, "depends on {secrets:?}");
    }
}

/// The runs of a Connect spec and of its Flow Designer build, text and JSON.
fn runs_of_both_targets(spec: String, secrets: (&str, &str)) -> String {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.toml"), spec).unwrap();
    build_for_flow_designer(dir.path(), "s.toml", "s.json", secrets);
    transcripts(
        dir.path(),
        &[
            &["run", "s.toml"][..],
            &["run", "s.toml", "--format", "json"],
            &["run", "s.json"],
            &["run", "s.json", "--format", "json"],
        ],
        secrets,
    )
}

/// A plain variable whose value a request carries as a credential (a `pin` header, a `?apikey=`
/// parameter), or whose value is a URL with a password, is a secret in the run of either target:
/// the variables list, the assignments in the trace (a copy of it too) and the request show it
/// as the mask, in text and JSON, whatever it holds.
#[test]
fn a_variable_a_request_carries_as_a_credential_is_masked_in_the_run() {
    let spec = |pin: &str, key: &str| {
        format!(
            "[flow]\nname = \"Vars\"\n\n[trigger]\ntype = \"webhook\"\nevent = \"Vars\"\n\
             sample = '{{\"id\": \"1\"}}'\nnext = \"call\"\n\n\
             [variables.Pin]\ndefault = \"{pin}\"\n\n\
             [variables.Q]\ndefault = \"{key}\"\n\n\
             [variables.Target]\ndefault = \"https://user:{key}@api.example.com/x\"\n\n\
             [variables.Copy]\ndefault = \"\"\n\n\
             [nodes.call]\ntype = \"http\"\nmethod = \"GET\"\n\
             url = \"$(Target)?lang=en&apikey=$(Q)\"\n\
             headers = {{ pin = \"$(Pin)\", Accept = \"application/json\" }}\n\
             on_leave = [{{ set = {{ Copy = \"$(Pin)\" }} }}]\n\
             next = {{ onSuccess = \"end:Success\", onError = \"end:Error\", onTimeout = \"end:Error\" }}\n"
        )
    };
    let outputs = |secrets: (&str, &str)| runs_of_both_targets(spec(secrets.0, secrets.1), secrets);
    let reference = outputs(("REFERENCE-PIN-4711", "REFERENCE-KEY-0815"));
    assert!(!reference.contains("REFERENCE-"), "{reference}");
    assert!(reference.contains("Copy = \"•••\""), "{reference}");
    for secrets in SECRET_SETS {
        assert_eq!(outputs(*secrets), reference, "depends on {secrets:?}");
    }
}

/// A spec whose `[flow] credential_headers` lists `X-Auth` (typed in clear) and `X-Auth2`
/// (filled from a plain variable), headers no word list names, sent to `url`.
fn declared_headers_spec(url: &str, typed: &str, plain: &str) -> String {
    format!(
        "[flow]\nname = \"Declared\"\ncredential_headers = [\"X-Auth\", \"X-Auth2\"]\n\n\
         [trigger]\ntype = \"webhook\"\nevent = \"Declared\"\nsample = '{{\"id\": \"1\"}}'\n\
         next = \"a\"\n\n[variables.Cred]\ndefault = \"{plain}\"\n\n\
         [nodes.a]\ntype = \"http\"\nmethod = \"GET\"\nurl = \"{url}\"\n\
         headers = {{ X-Auth = \"{typed}\", X-Auth2 = \"$(Cred)\", Accept = \"application/json\" }}\n\
         next = {{ onSuccess = \"end:Success\", onError = \"end:Error\", onTimeout = \"end:Error\" }}\n"
    )
}

/// Headers a spec lists in `[flow] credential_headers` are credential places in runs and tests
/// of both targets: a value typed there, and a plain variable read there, show as the mask;
/// the Flow Designer build keeps the typed value in a secure variable of its own and the read
/// variable secure, so that the built file is private and its textconv, diff, sheet, run and
/// test print the same bytes whatever the values are.
#[test]
fn headers_the_flow_lists_as_credentials_are_secret_in_runs_and_the_flow_designer_build() {
    let outputs = |secrets: (&str, &str)| {
        let dir = tempfile::tempdir().unwrap();
        let spec = declared_headers_spec("https://api.example.com/x", secrets.0, secrets.1);
        std::fs::write(dir.path().join("d.toml"), spec).unwrap();
        let old = declared_headers_spec("https://api.example.com/x", "old-typed", "old-plain");
        std::fs::write(dir.path().join("old.toml"), old).unwrap();
        std::fs::write(
            dir.path().join("sc.toml"),
            "name = \"declared\"\nspec = \"d.toml\"\n[expect]\noutcome = \"Success\"\n\
             [[expect.requests]]\nheaders = { X-Auth = \"guess\", X-Auth2 = \"guess\" }\n",
        )
        .unwrap();
        for (from, to) in [("d.toml", "d.json"), ("old.toml", "old.json")] {
            build_for_flow_designer(dir.path(), from, to, secrets);
        }
        common::assert_private(&dir.path().join("d.json"));
        let built = std::fs::read_to_string(dir.path().join("d.json")).unwrap();
        assert!(
            built.contains(secrets.0),
            "the private file holds the value"
        );
        transcripts(
            dir.path(),
            &[
                &["run", "d.toml"][..],
                &["run", "d.toml", "--format", "json"],
                &["test", "sc.toml"],
                &["test", "--target", "flow-designer", "sc.toml"],
                &["sheet", "--target", "flow-designer", "d.toml"],
                &["build", "--target", "flow-designer", "d.toml", "-o", "-"],
                &["run", "d.json"],
                &["run", "d.json", "--format", "json"],
                &["textconv", "d.json"],
                &["diff", "old.json", "d.json"],
                &["diff", "old.json", "d.json", "--format", "json"],
                &["decompile", "d.json"],
            ],
            secrets,
        )
    };
    let reference = outputs(("REFERENCE-TYPED-4711", "REFERENCE-PLAIN-0815"));
    assert!(!reference.contains("REFERENCE-"), "{reference}");
    assert!(
        reference.contains("X-Auth: •••") && reference.contains("X-Auth2: •••"),
        "{reference}"
    );
    for secrets in SECRET_SETS {
        assert_eq!(outputs(*secrets), reference, "depends on {secrets:?}");
    }
}

/// A listed header that mixes typed text with a reference cannot be kept secret in a Flow
/// Designer file (it has no list of credential headers): the build refuses it where it is.
#[test]
fn a_listed_header_mixing_typed_text_and_a_reference_is_refused_for_flow_designer() {
    let dir = tempfile::tempdir().unwrap();
    let spec = declared_headers_spec("https://api.example.com/x", "k-MIXED $(Cred)", "p");
    std::fs::write(dir.path().join("d.toml"), spec).unwrap();
    let out = run(
        dir.path(),
        &[
            "build",
            "--target",
            "flow-designer",
            "d.toml",
            "-o",
            "d.json",
        ],
        ("", ""),
    );
    let text = common::transcript(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("wxc::not-expressible") && text.contains("d.toml:14:"),
        "{text}"
    );
    assert!(!text.contains("k-MIXED"), "{text}");
    assert!(!dir.path().join("d.json").exists());
}

/// Under `--live`, the Flow Designer build of listed headers does not take them to another
/// origin either.
#[cfg(feature = "live")]
#[test]
fn a_live_redirect_drops_listed_headers_in_a_flow_designer_run() {
    let dir = tempfile::tempdir().unwrap();
    let (elsewhere, landing) = server(1, |_| token_reply());
    let target = format!("{elsewhere}/landing");
    let (origin, first) = server(1, move |_| redirect_to(&target));
    let spec = declared_headers_spec(&format!("{origin}/x"), "typed-0001", "plain-0002");
    std::fs::write(dir.path().join("d.toml"), spec).unwrap();
    let built = run(
        dir.path(),
        &[
            "build",
            "--target",
            "flow-designer",
            "d.toml",
            "-o",
            "d.json",
        ],
        ("", ""),
    );
    assert!(built.status.success(), "{}", common::transcript(&built));
    let out = run(dir.path(), &["run", "d.json", "--live"], ("", ""));
    let text = common::transcript(&out);
    let first = first.join().unwrap();
    let landing = landing.join().unwrap();
    assert!(
        first[0].contains("typed-0001") && first[0].contains("plain-0002"),
        "{}",
        first[0]
    );
    assert!(
        !landing[0].contains("typed-0001") && !landing[0].contains("plain-0002"),
        "{}",
        landing[0]
    );
    assert!(
        !text.contains("typed-0001") && !text.contains("plain-0002"),
        "{text}"
    );
}

/// A variable whose value is a URL with a credential query parameter (`?apikey=...`), as its
/// default or set in a transition, is a secret in the run of either target, as one with a
/// password is: the variables list and the `set` lines show it as the mask, in text and JSON.
#[test]
fn a_variable_holding_a_url_with_a_credential_parameter_is_masked_in_the_run() {
    let spec = |default_key: &str, set_key: &str| {
        format!(
            "[flow]\nname = \"Urls\"\n\n[trigger]\ntype = \"webhook\"\nevent = \"Urls\"\n\
             sample = '{{\"id\": \"1\"}}'\nnext = \"a\"\n\n\
             [variables.ApiURL]\ndefault = \"https://api.example.com/v1?lang=en&apikey={default_key}\"\n\n\
             [variables.Q]\ndefault = \"\"\n\n\
             [nodes.a]\ntype = \"http\"\nmethod = \"GET\"\nurl = \"$(ApiURL)\"\n\
             on_leave = [{{ set = {{ Q = \"https://h.example.com/?apikey={set_key}\" }} }}]\n\
             next = {{ onSuccess = \"b\", onError = \"b\", onTimeout = \"b\" }}\n\n\
             [nodes.b]\ntype = \"http\"\nmethod = \"GET\"\nurl = \"$(Q)\"\n\
             next = {{ onSuccess = \"end:Success\", onError = \"end:Error\", onTimeout = \"end:Error\" }}\n"
        )
    };
    let outputs = |secrets: (&str, &str)| runs_of_both_targets(spec(secrets.0, secrets.1), secrets);
    let reference = outputs(("REFERENCE-KEY-4711", "REFERENCE-KEY-0815"));
    assert!(!reference.contains("REFERENCE-"), "{reference}");
    assert!(
        reference.contains("ApiURL = \"•••\"") && reference.contains("set Q = \"•••\""),
        "{reference}"
    );
    for secrets in SECRET_SETS {
        assert_eq!(outputs(*secrets), reference, "depends on {secrets:?}");
    }
}

/// A value keeps its provenance across a subflow handoff both ways, in a Flow Designer run as in
/// the Webex Connect run through Call Flow: a parent's plain variable passed to a subflow that
/// sends it as a credential (a `pin` header) is a secret in the parent after the handoff, and so
/// is what the parent then makes from it.
#[test]
fn a_secret_comes_back_across_a_subflow_handoff_in_both_runners() {
    let parent = |pin: &str| {
        format!(
            "[flow]\nname = \"Parent\"\n\n[trigger]\ntype = \"webhook\"\nevent = \"Parent\"\n\
             sample = '{{\"id\": \"1\"}}'\nnext = \"c\"\n\n\
             [variables.P]\ndefault = \"{pin}\"\n\n[variables.Q]\ndefault = \"\"\nresult = true\n\n\
             [nodes.c]\ntype = \"call_flow\"\nflow = \"Child\"\n\
             on_leave = [{{ set = {{ Q = \"$(P)\" }} }}]\n\
             next = {{ onSuccess = \"end:Success\", onError = \"end:Error\" }}\n"
        )
    };
    let child = "[flow]\nname = \"Child\"\n\n[trigger]\ntype = \"webhook\"\nevent = \"Child\"\n\
                 sample = '{\"id\": \"1\"}'\nnext = \"a\"\n\n\
                 [variables.P]\ndefault = \"\"\nexternalize = true\n\n\
                 [nodes.a]\ntype = \"http\"\nmethod = \"GET\"\nurl = \"https://h.example.com/\"\n\
                 headers = { pin = \"$(P)\" }\n\
                 next = { onSuccess = \"end:Success\", onError = \"end:Error\", onTimeout = \"end:Error\" }\n";
    let outputs = |secrets: (&str, &str)| {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("Parent.toml"), parent(secrets.0)).unwrap();
        std::fs::write(dir.path().join("Child.toml"), child).unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        for (from, to) in [
            ("Child.toml", "sub/Child.fd.json"),
            ("Parent.toml", "Parent.fd.json"),
        ] {
            build_for_flow_designer(dir.path(), from, to, secrets);
        }
        transcripts(
            dir.path(),
            &[
                &["run", "Parent.toml"][..],
                &["run", "Parent.toml", "--format", "json"],
                &["run", "Parent.fd.json", "--flows", "sub"],
                &[
                    "run",
                    "Parent.fd.json",
                    "--flows",
                    "sub",
                    "--format",
                    "json",
                ],
            ],
            secrets,
        )
    };
    let reference = outputs(("REFERENCE-PIN-4711", ""));
    assert!(!reference.contains("REFERENCE-"), "{reference}");
    assert!(
        reference.contains("P = \"•••\"") && reference.contains("Q = \"•••\""),
        "{reference}"
    );
    for secrets in SECRET_SETS {
        assert_eq!(outputs(*secrets), reference, "depends on {secrets:?}");
    }
}

/// A header named as a credential (`pin`) is one for redirects too: `--live` does not take it
/// to another origin, though `[flow] credential_headers` does not list it.
#[cfg(feature = "live")]
#[test]
fn a_live_redirect_drops_a_header_named_as_a_credential() {
    let dir = tempfile::tempdir().unwrap();
    let (elsewhere, landing) = server(1, |_| token_reply());
    let target = format!("{elsewhere}/landing");
    let (origin, first) = server(1, move |_| redirect_to(&target));
    let spec = named_credentials_spec(&format!("{origin}/check"), "pin-0001", "pwd-0002");
    std::fs::write(dir.path().join("pin.toml"), spec).unwrap();
    let out = run(dir.path(), &["run", "pin.toml", "--live"], ("", ""));
    let text = common::transcript(&out);
    let first = first.join().unwrap();
    let landing = landing.join().unwrap();
    assert!(
        first[0].to_ascii_lowercase().contains("pin: pin-0001"),
        "{}",
        first[0]
    );
    assert!(
        !landing[0].to_ascii_lowercase().contains("pin-0001"),
        "{}",
        landing[0]
    );
    assert!(
        !text.contains("pin-0001") && !text.contains("pwd-0002"),
        "{text}"
    );
}

/// An answer whose headers pass ureq's 64 KiB default is still an answer (it was taken for a
/// failed connection, onError, exit 0); one past the 1 MiB a run reads stops the run, exit 1.
#[cfg(feature = "live")]
#[test]
fn a_live_answer_with_large_headers_is_an_answer_or_stops_the_run() {
    let dir = tempfile::tempdir().unwrap();
    // A hundred headers (the HTTP library reads at most 128) of `each` bytes.
    let answer = |each: usize| {
        let body = r#"{"status":"200","token":"t"}"#;
        let mut head = String::from("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n");
        for n in 0..100 {
            head.push_str(&format!("X-Filler-{n}: {}\r\n", "f".repeat(each)));
        }
        format!(
            "{head}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes()
    };
    let trace = live_trace(dir.path(), &format!("{}/token", raw_server(answer(1_000))));
    assert!(trace.contains("fetch_token -> onSuccess"), "{trace}");
    assert!(!trace.contains("connection failed"), "{trace}");

    let url = format!("{}/token", raw_server(answer(12_000)));
    let out = live_run(dir.path(), &url);
    let trace = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{trace}");
    assert!(
        trace.contains("headers are larger than 1048576 bytes"),
        "{trace}"
    );
}

/// A file in the tenants folder that does not read as a tenant file (a bare token pasted there,
/// a secret key, a line of a string left open) is located, and no line of it is quoted, in
/// every command that reads the folder or the file.
#[test]
fn a_stray_tenant_file_holding_a_bare_token_is_located_and_never_quoted() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("template.toml"), wxcflow::DEFAULT_SPEC).unwrap();
    std::fs::create_dir(d.join("tenants")).unwrap();
    std::fs::write(d.join("tenants/acme.toml"), TENANT).unwrap();
    let token = "zzBARETOKEN_PF84_1eb65fdf-9643-417f-9974-ad72cae0e10f";
    for text in [
        format!("{token}\n"),
        format!("token_service_url = \"https://t.example/x\"\n{token}\n"),
        format!("{token} = 1\n[x\n"),
        format!("a = \"\"\"\n{token}\n"),
    ] {
        std::fs::write(d.join("tenants/leaked.toml"), &text).unwrap();
        for args in [
            &["render", "template.toml", "--tenants", "tenants", "--check"][..],
            &[
                "render",
                "template.toml",
                "--tenants",
                "tenants",
                "-o",
                "out",
            ],
            &["check", "template.toml", "--tenants", "tenants"],
            &[
                "build",
                "template.toml",
                "--values",
                "tenants/leaked.toml",
                "-o",
                "-",
            ],
        ] {
            let out = run(d, args, REFERENCE_SECRETS);
            let said = common::transcript(&out);
            assert_eq!(out.status.code(), Some(1), "{args:?} {text:?}: {said}");
            assert!(said.contains("leaked.toml:"), "{args:?} {text:?}: {said}");
            assert!(!said.contains("zzBARETOKEN"), "{args:?} {text:?}: {said}");
        }
    }
}

/// A Webex Connect spec or template that reads as TOML but does not check or build, and a flow
/// document that breaks the schema or is cut short, are shown by `textconv` with every place
/// that could hold a credential hidden (node URLs, proxies and request headers, outcomes'
/// notify URLs, variables' defaults): with no model, which of them are secret cannot be told.
/// `diff`, `sheet` and `graph` of the same files show none of them either.
#[test]
fn a_spec_or_document_that_does_not_build_shows_no_typed_credential() {
    let dir = tempfile::tempdir().unwrap();
    let spec = |url: &str| {
        format!(
            "[flow]\nname = \"Leak\"\ncredential_headers = [\"X-Auth\"]\n\n\
            [trigger]\ntype = \"webhook\"\nevent = \"Leak\"\nsample = '{{\"id\": \"1\"}}'\nnext = \"a\"\n\n\
            [variables.Plain]\ndefault = \"VARSEK\"\n\n\
            [outcomes.Bad]\ncode = 400\nnotify_url = \"https://n.example.com/?token=NOTIFYSEK\"\n\n\
            [nodes.a]\ntype = \"http\"\nmethod = \"GET\"\nurl = \"{url}\"\n\
            headers = {{ pin = \"PINSEK\", Authorization = \"Bearer BEARERSEK\", X-Auth = \"AUTHSEK\" }}\n\
            proxy = \"http://u:PROXYPW@p.example.com:3128\"\n\
            next = {{ onSuccess = \"end:Bad\", onError = \"end:Error\", onTimeout = \"end:Error\" }}\n"
        )
    };
    let broken = [
        ("typo.toml", "https://u:URLPW@h.example.com/$(Typo)"),
        ("open.toml", "https://u:URLPW@h.example.com/$(Plain"),
        ("tag.toml", "https://u:URLPW@h.example.com/{{ Nope }}"),
    ];
    for (name, url) in broken {
        std::fs::write(dir.path().join(name), spec(url)).unwrap();
    }
    std::fs::write(
        dir.path().join("good.toml"),
        spec("https://u:URLPW@h.example.com/x"),
    )
    .unwrap();
    let built = common::wxcflow(dir.path(), &["build", "good.toml", "-o", "good.flow.json"]);
    assert!(built.status.success(), "{}", common::transcript(&built));
    let document = std::fs::read_to_string(dir.path().join("good.flow.json")).unwrap();
    assert!(document.contains("PINSEK"), "{document}");
    let unknown_key = document.replacen("\"flow\": {", "\"flow\": {\n    \"bogus\": 1,", 1);
    assert_ne!(unknown_key, document);
    std::fs::write(dir.path().join("unknown.flow.json"), unknown_key).unwrap();
    let cut = &document[..document.len() * 2 / 3];
    std::fs::write(dir.path().join("cut.flow.json"), cut).unwrap();

    let mut files: Vec<&str> = broken.iter().map(|(name, _)| *name).collect();
    files.extend(["unknown.flow.json", "cut.flow.json"]);
    let secrets = [
        "URLPW",
        "PROXYPW",
        "NOTIFYSEK",
        "PINSEK",
        "BEARERSEK",
        "AUTHSEK",
        "VARSEK",
    ];
    for file in files {
        let shown = common::transcript(&common::wxcflow(dir.path(), &["textconv", file]));
        assert!(shown.contains("GET"), "{file}: {shown}");
        for command in [
            &["textconv", file][..],
            &["diff", file, "good.toml"],
            &["diff", file, "good.toml", "--format", "json"],
            &["sheet", file],
            &["graph", file],
        ] {
            let out = common::transcript(&common::wxcflow(dir.path(), command));
            for secret in secrets {
                assert!(!out.contains(secret), "{command:?} shows {secret}:\n{out}");
            }
        }
    }
}

/// A diagnostic's message that quotes a URL quotes it with its typed credentials hidden (an
/// uppercase scheme, a control character, a backslash after the scheme, no scheme at all: each
/// refused, each still a URL with a password to a browser), in text, JSON and SARIF; and a Flow Designer build
/// of a Webex Connect spec quotes the proxy and notify URL lines it refuses with theirs hidden.
#[test]
fn messages_and_quoted_lines_hide_the_credentials_of_the_urls_they_quote() {
    let dir = tempfile::tempdir().unwrap();
    let spec = |url: &str, extra: &str| {
        format!(
            "[flow]\nname = \"Leak\"\n\n\
            [trigger]\ntype = \"webhook\"\nevent = \"Leak\"\nsample = '{{\"id\": \"1\"}}'\nnext = \"a\"\n\n\
            {extra}\
            [nodes.a]\ntype = \"http\"\nmethod = \"GET\"\nurl = {url}\n\
            next = {{ onSuccess = \"end:Success\", onError = \"end:Error\", onTimeout = \"end:Error\" }}\n"
        )
    };
    let files = [
        (
            "upper.toml",
            spec("\"HTTPS://u:URLPW@h.example.com/?apikey=KEYSEK\"", ""),
        ),
        (
            "control.toml",
            spec("\"https://u:URLPW@h.example.com/\\u0007\"", ""),
        ),
        (
            "backslash.toml",
            spec("'https:/\\u:URLPW@h.example.com/'", ""),
        ),
        // No scheme: the page's or request's, its user information sent all the same.
        ("relative.toml", spec("\"//u:URLPW@h.example.com/\"", "")),
        (
            "relative-backslash.toml",
            spec("'\\\\u:URLPW@h.example.com'", ""),
        ),
    ];
    for (name, text) in &files {
        std::fs::write(dir.path().join(name), text).unwrap();
        for format in ["human", "json", "sarif"] {
            let out = common::wxcflow(dir.path(), &["check", name, "--format", format]);
            let shown = common::transcript(&out);
            assert!(shown.contains("invalid-url"), "{name} {format}: {shown}");
            assert!(!shown.contains("URLPW"), "{name} {format}: {shown}");
            assert!(!shown.contains("KEYSEK"), "{name} {format}: {shown}");
        }
    }
    let fd = spec(
        "\"https://h.example.com/\"\nproxy = \"http://u:PROXYPW@p.example.com:3128\"",
        "[outcomes.Bad]\ncode = 400\nnotify_url = \"https://n.example.com/?token=NOTIFYSEK\"\n\n",
    );
    std::fs::write(dir.path().join("fd.toml"), fd).unwrap();
    for command in [
        &[
            "build",
            "--target",
            "flow-designer",
            "fd.toml",
            "-o",
            "fd.json",
        ][..],
        &["sheet", "--target", "flow-designer", "fd.toml"],
        &["graph", "--target", "flow-designer", "fd.toml"],
    ] {
        let shown = common::transcript(&common::wxcflow(dir.path(), command));
        assert!(shown.contains("not-expressible"), "{command:?}: {shown}");
        assert!(shown.contains("p.example.com"), "{command:?}: {shown}");
        assert!(!shown.contains("PROXYPW"), "{command:?}: {shown}");
        assert!(!shown.contains("NOTIFYSEK"), "{command:?}: {shown}");
    }
}

/// A variable whose default is a URL carrying a credential typed in clear (a credential
/// parameter's value, a password) is secret by that place, as a node's URL is: textconv, diff,
/// the sheet, graph, check and the run show none of it, a change to it still shows (masked),
/// build writes the document privately and decompile only to a private file.
/// An origin `send_to` names with a password typed in it (a check lets a secret go to a URL
/// with a password only when `send_to` repeats it) is secret by that place, as the URL is.
#[test]
fn a_send_to_origin_with_a_typed_password_is_secret() {
    let dir = tempfile::tempdir().unwrap();
    let spec = |pw: &str| {
        format!(
            "[flow]\nname = \"S\"\ncredential_headers = [\"x-custom-cred\"]\n\n[trigger]\n\
             type = \"webhook\"\nevent = \"S\"\nsample = '{{\"a\": \"1\"}}'\nnext = \"c1\"\n\n\
             [variables.Key]\ndefault = \"\"\nsecret = true\nsend_to = [\"https://u:{pw}@h.example.com/p\"]\n\n\
             [nodes.c1]\ntype = \"http\"\nmethod = \"GET\"\nurl = \"https://u:{pw}@h.example.com/p\"\n\
             headers = {{ x-custom-cred = \"$(Key)\" }}\n\
             next = {{ onSuccess = \"end:Success\", onError = \"end:Error\", onTimeout = \"end:Error\" }}\n"
        )
    };
    std::fs::write(dir.path().join("s.toml"), spec("PW-SEND-1")).unwrap();
    std::fs::write(dir.path().join("s2.toml"), spec("PW-SEND-2")).unwrap();
    // Sent elsewhere than `send_to` names: the check's message quotes the list.
    std::fs::write(
        dir.path().join("s3.toml"),
        spec("PW-SEND-3").replacen("@h.example.com/p\"]", "@o.example.com/p\"]", 1),
    )
    .unwrap();
    let none = ("unused-passphrase", "unused-static");
    let built = run(dir.path(), &["build", "s.toml", "-o", "s.json"], none);
    assert!(built.status.success(), "{}", common::transcript(&built));
    common::assert_private(&dir.path().join("s.json"));
    let all = transcripts(
        dir.path(),
        &[
            &["textconv", "s.toml"][..],
            &["textconv", "s.json"],
            &["diff", "s.toml", "s2.toml"],
            &["diff", "s.toml", "s2.toml", "--format", "json"],
            &["diff", "s.toml", "s2.toml", "--format", "markdown"],
            &["sheet", "s.toml"],
            &["check", "s3.toml"],
            &["decompile", "s.json", "-o", "s.dec.toml"],
        ],
        none,
    );
    assert!(!all.contains("PW-SEND"), "{all}");
    assert!(all.contains("~ variables.Key.send_to: ••• → •••"), "{all}");
    assert!(all.contains("variables.Key.send_to = •••"), "{all}");
    assert!(all.contains("wxc::secret-to-other-destination"), "{all}");
}

#[test]
fn a_variable_default_that_is_a_url_with_a_typed_credential_is_secret() {
    let dir = tempfile::tempdir().unwrap();
    let spec = |key: &str| {
        format!(
            "[flow]\nname = \"V\"\n\n[trigger]\ntype = \"webhook\"\nevent = \"V\"\n\
             sample = '{{\"id\": \"1\"}}'\nnext = \"call\"\n\n\
             [variables.ApiURL]\ndefault = \"https://api.example.com/v1?apikey={key}&lang=en\"\n\n\
             [variables.Proxy]\ndefault = \"http://u:PW-{key}@p.example.com:3128\"\n\n\
             [nodes.call]\ntype = \"http\"\nmethod = \"GET\"\nurl = \"$(ApiURL)\"\n\
             headers = {{ Accept = \"application/json\", X-Proxy = \"$(Proxy)\" }}\n\
             next = {{ onSuccess = \"end:Success\", onError = \"end:Error\", onTimeout = \"end:Error\" }}\n"
        )
    };
    std::fs::write(dir.path().join("v.toml"), spec("KEY-7151")).unwrap();
    std::fs::write(dir.path().join("v2.toml"), spec("KEY-2718")).unwrap();
    let none = ("unused-passphrase", "unused-static");
    let built = run(dir.path(), &["build", "v.toml", "-o", "v.json"], none);
    assert!(built.status.success(), "{}", common::transcript(&built));
    common::assert_private(&dir.path().join("v.json"));
    let all = transcripts(
        dir.path(),
        &[
            &["textconv", "v.toml"][..],
            &["textconv", "v.json"],
            &["diff", "v.toml", "v2.toml"],
            &["diff", "v.toml", "v2.toml", "--format", "json"],
            &["diff", "v.toml", "v2.toml", "--format", "markdown"],
            &["sheet", "v.toml"],
            &["graph", "v.toml"],
            &["check", "v.toml"],
            &["run", "v.toml", "--mock", "/dev/null"],
            &["decompile", "v.json"],
        ],
        none,
    );
    assert!(!all.contains("KEY-"), "{all}");
    assert!(
        all.contains("~ variables.ApiURL.default: ••• → •••"),
        "{all}"
    );
    assert!(
        all.contains("`https://api.example.com/v1?apikey=•••&lang=en`"),
        "the sheet shows where it goes: {all}"
    );
}

/// A spec whose requests carry `token` as a URL's user name with no password (which an HTTP
/// client sends as Basic authentication): in a node's URL and proxy, an outcome's notify URL
/// and a variable's default; and a plain variable read as another URL's user name.
fn user_name_spec(token: &str, user: &str) -> String {
    format!(
        "[flow]\nname = \"User\"\n\n[trigger]\ntype = \"webhook\"\nevent = \"User\"\n\
         sample = '{{\"id\": \"1\"}}'\nnext = \"call\"\n\n\
         [variables.Hook]\ndefault = \"https://{token}@hooks.example.com/in\"\n\n\
         [variables.User]\ndefault = \"{user}\"\n\n\
         [outcomes.Bad]\ncode = 400\nnotify_url = \"https://{token}@n.example.com/\"\n\n\
         [nodes.call]\ntype = \"http\"\nmethod = \"GET\"\n\
         url = \"https://{token}@api.example.com/x?lang=en\"\n\
         proxy = \"http://{token}@p.example.com:3128\"\n\
         headers = {{ Accept = \"application/json\", X-Hook = \"$(Hook)\" }}\n\
         next = {{ onSuccess = \"again\", onError = \"end:Bad\", onTimeout = \"end:Error\" }}\n\n\
         [nodes.again]\ntype = \"http\"\nmethod = \"GET\"\n\
         url = \"https://$(User)@api.example.com/y\"\n\
         next = {{ onSuccess = \"end:Success\", onError = \"end:Error\", onTimeout = \"end:Error\" }}\n"
    )
}

/// A URL's user information is a credential whether or not it has a password
/// (`https://TOKEN@host`, which `run --live` sends as Basic authentication): typed in a node's
/// URL or proxy, a notify URL or a variable's default, textconv, diff (text, JSON, Markdown),
/// the sheet, graph, check, the run and decompile print the same bytes whatever it is, build and
/// decompile write it only to private files, and a plain variable read there is a secret in the
/// run.
#[test]
fn a_url_user_name_without_a_password_is_a_credential() {
    let outputs = |secrets: (&str, &str)| {
        // The user name a plain variable gives is a secret in the run only (as in a password).
        typed_credential_outputs(
            user_name_spec(secrets.0, "plain-user"),
            user_name_spec("old-token", "plain-user"),
            user_name_spec(secrets.0, secrets.1),
            secrets,
        )
    };
    let reference = outputs(("REFERENCE-TOKEN-4711", "REFERENCE-USER-0815"));
    assert!(!reference.contains("REFERENCE-"), "{reference}");
    assert!(
        reference.contains("https://•••@api.example.com/x?lang=en"),
        "the sheet shows where the request goes: {reference}"
    );
    assert!(reference.contains("~ call.url: ••• → •••"), "{reference}");
    for secrets in SECRET_SETS {
        assert_eq!(outputs(*secrets), reference, "depends on {secrets:?}");
    }
}

/// A spec whose node URL carries `key` after a second `?` and `pwd` after a `;`, and whose
/// variable holds a URL with `key` after a `;`; a plain variable fills a parameter after a
/// second `?` in another node's URL.
fn separated_parameters_spec(key: &str, pwd: &str, plain: &str) -> String {
    format!(
        "[flow]\nname = \"Sep\"\n\n[trigger]\ntype = \"webhook\"\nevent = \"Sep\"\n\
         sample = '{{\"id\": \"1\"}}'\nnext = \"call\"\n\n\
         [variables.Hook]\ndefault = \"https://hooks.example.com/in?a=1;apikey={key}\"\n\n\
         [variables.Plain]\ndefault = \"{plain}\"\n\n\
         [nodes.call]\ntype = \"http\"\nmethod = \"GET\"\n\
         url = \"https://api.example.com/x?lang=en?apikey={key}&v=2;pwd={pwd}\"\n\
         headers = {{ Accept = \"application/json\", X-Hook = \"$(Hook)\" }}\n\
         next = {{ onSuccess = \"again\", onError = \"end:Error\", onTimeout = \"end:Error\" }}\n\n\
         [nodes.again]\ntype = \"http\"\nmethod = \"GET\"\n\
         url = \"https://api.example.com/y?lang=en?apikey=$(Plain)\"\n\
         next = {{ onSuccess = \"end:Success\", onError = \"end:Error\", onTimeout = \"end:Error\" }}\n"
    )
}

/// Every output of a Connect spec `typed` (holding a typed credential) against `old`, and of a
/// run of `run_spec`: textconv, diff (text, JSON, Markdown), sheet, graph, check, run (text,
/// JSON), decompile; the built document and the decompiled spec must be private.
fn typed_credential_outputs(
    typed: String,
    old: String,
    run_spec: String,
    secrets: (&str, &str),
) -> String {
    let dir = tempfile::tempdir().unwrap();
    for (name, spec) in [("s.toml", typed), ("old.toml", old), ("r.toml", run_spec)] {
        std::fs::write(dir.path().join(name), spec).unwrap();
    }
    let built = run(dir.path(), &["build", "s.toml", "-o", "s.json"], secrets);
    assert!(built.status.success(), "{}", common::transcript(&built));
    let all = transcripts(
        dir.path(),
        &[
            &["textconv", "s.toml"][..],
            &["textconv", "s.json"],
            &["diff", "old.toml", "s.toml"],
            &["diff", "old.toml", "s.toml", "--format", "json"],
            &["diff", "old.toml", "s.toml", "--format", "markdown"],
            &["sheet", "s.toml"],
            &["graph", "s.toml"],
            &["check", "s.toml"],
            &["run", "r.toml"],
            &["run", "r.toml", "--format", "json"],
            &["decompile", "s.json"],
            &["decompile", "s.json", "-o", "back.toml"],
        ],
        secrets,
    );
    for file in ["s.json", "back.toml"] {
        common::assert_private(&dir.path().join(file));
    }
    all
}

/// Query parameters after a second `?` or a `;` are read as parameters, as servers commonly
/// read them: a credential typed there is secret by its place (textconv, diff, sheet, graph,
/// check, decompile print the same bytes whatever it is; build and decompile write private
/// files), and a plain variable read there is a secret in the run.
#[test]
fn parameters_after_a_second_question_mark_or_a_semicolon_are_credential_places() {
    let outputs = |secrets: (&str, &str)| {
        typed_credential_outputs(
            separated_parameters_spec(secrets.0, secrets.1, "x"),
            separated_parameters_spec("old-key", "old-pwd", "x"),
            separated_parameters_spec("k", "p", secrets.1),
            secrets,
        )
    };
    let reference = outputs(("REFERENCE-KEY-4711", "REFERENCE-PWD-0815"));
    assert!(!reference.contains("REFERENCE-"), "{reference}");
    assert!(
        reference.contains("https://api.example.com/x?lang=en?apikey=•••&v=2;pwd=•••"),
        "the sheet shows where the request goes: {reference}"
    );
    for secrets in SECRET_SETS {
        assert_eq!(outputs(*secrets), reference, "depends on {secrets:?}");
    }
}

/// `value` changed by `change` (a file that breaks its schema above a secret), written to `name`.
fn misshapen(dir: &Path, from: &str, name: &str, change: impl FnOnce(&mut serde_json::Value)) {
    let mut value: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join(from)).unwrap()).unwrap();
    change(&mut value);
    std::fs::write(dir.join(name), serde_json::to_string(&value).unwrap()).unwrap();
}

/// A list of `{name: ...}` entries turned into an object keyed by name.
fn keyed_by_name(list: &mut serde_json::Value) {
    let entries = list.as_array().unwrap().clone();
    *list = serde_json::Value::Object(
        (entries.into_iter())
            .map(|v| (v["name"].as_str().unwrap().to_string(), v))
            .collect(),
    );
}

#[test]
fn schema_messages_quote_no_object_or_array_and_so_no_secret_inside_one() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    setup(dir, wxcflow::DEFAULT_SPEC);
    let secrets = ("schema-passphrase-41", "schema-static-42");
    assert_eq!(build(dir, secrets).status.code(), Some(0));
    build_for_flow_designer(dir, "template.toml", "fd.json", secrets);
    // A Webex Connect document: its variables as an object, its headers as a list, the whole
    // of it in a list.
    misshapen(dir, "out.flow.json", "vars.json", |d| {
        keyed_by_name(&mut d["flow"]["variables"])
    });
    misshapen(dir, "out.flow.json", "headers.json", |d| {
        for node in d["flow"]["nodes"].as_array_mut().unwrap() {
            if let Some(headers) = node["config"].get_mut("headers") {
                *headers = serde_json::json!([headers.take()]);
            }
        }
    });
    misshapen(dir, "out.flow.json", "list.json", |d| {
        *d = serde_json::json!([d.take()])
    });
    // A Flow Designer export: its variables as an object, the whole of it in a list.
    misshapen(dir, "fd.json", "fd-vars.json", |d| {
        keyed_by_name(&mut d["variables"])
    });
    misshapen(dir, "fd.json", "fd-list.json", |d| {
        *d = serde_json::json!([d.take()])
    });
    let mut shown = String::new();
    for file in ["vars.json", "headers.json", "list.json"] {
        for args in [
            &["check", file][..],
            &["graph", file],
            &["decompile", file, "-o", "back.toml"],
            &["diff", file, "out.flow.json"],
            &["textconv", file],
        ] {
            shown.push_str(&common::transcript(&run(dir, args, secrets)));
        }
    }
    for file in ["fd-vars.json", "fd-list.json"] {
        for args in [
            &["check", file][..],
            &["graph", file],
            &["decompile", file, "-o", "back.toml"],
            &["diff", file, "fd.json"],
            &["textconv", file],
            &[
                "push",
                file,
                "--org",
                "o",
                "--region",
                "us1",
                "--token-env",
                "LEAK_STATIC",
                "--api-url",
                "http://127.0.0.1:1",
            ],
        ] {
            shown.push_str(&common::transcript(&run(dir, args, secrets)));
        }
    }
    for secret in [secrets.0, secrets.1] {
        assert!(!shown.contains(secret), "{secret} shown:\n{shown}");
    }
    for said in [
        "/flow/variables: the value is an object, where the schema wants an array",
        "/config/headers: the value is an array, where the schema wants an object",
        "/: the value is an array, where the schema wants an object",
        "/variables: the value is an object, where the schema wants an array",
    ] {
        assert!(shown.contains(said), "{said:?} not said:\n{shown}");
    }
}

/// `check` of the template for one tenant, as text and as SARIF, in `dir`.
fn checked_for(dir: &Path, tenant: &str) -> (String, String) {
    std::fs::create_dir_all(dir.join("one")).unwrap();
    std::fs::write(dir.join("one/a.toml"), tenant).unwrap();
    let check = |format: &str| {
        common::transcript(&run(
            dir,
            &[
                "check",
                "template.toml",
                "--tenants",
                "one",
                "--format",
                format,
            ],
            ("p", "s"),
        ))
    };
    (check("human"), check("sarif"))
}

#[test]
fn a_url_parameter_of_the_wrong_shape_is_quoted_with_its_credentials_masked() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    setup(dir, wxcflow::DEFAULT_SPEC);
    let tenant = |password: &str, key: &str| {
        format!("token_service_url = \"ftp://u:{password}@ts.example/t?apikey={key}\"\n")
    };
    let (short, short_sarif) = checked_for(dir, &tenant("pw-1", "key-1"));
    let (long, long_sarif) = checked_for(dir, &tenant("a-much-longer-pw-2", "a-longer-key-2"));
    for (shown, secrets) in [
        (&short, ["pw-1", "key-1"]),
        (&short_sarif, ["pw-1", "key-1"]),
        (&long, ["a-much-longer-pw-2", "a-longer-key-2"]),
        (&long_sarif, ["a-much-longer-pw-2", "a-longer-key-2"]),
    ] {
        for secret in secrets {
            assert!(!shown.contains(secret), "{secret} shown:\n{shown}");
        }
    }
    assert!(
        short.contains("(URL `ftp://•••@ts.example/t?apikey=•••`): a url starts with"),
        "{short}"
    );
    // Nothing shown, SARIF's columns included, depends on the credentials' length.
    assert_eq!(short, long);
    assert_eq!(short_sarif, long_sarif);
    // A value of the wrong type is not quoted at all, nor its line.
    let (listed, _) = checked_for(
        dir,
        "token_service_url = [\"https://u:pw-3@ts.example/\"]\n",
    );
    assert!(!listed.contains("pw-3"), "{listed}");
    assert!(listed.contains("expected url, found array"), "{listed}");
}

#[test]
fn a_template_default_url_with_a_password_is_secret_in_textconv_and_diff() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let shipped = wxcflow::DEFAULT_SPEC;
    let declared = "[params.token_service_url]\ntype = \"url\"\ndefault = \"\"\n";
    assert!(shipped.contains(declared));
    let with_default = |password: &str| {
        shipped.replace(
            declared,
            &format!(
                "[params.token_service_url]\ntype = \"url\"\n\
                 default = \"https://u:{password}@ts.example/t?apikey=key-{password}\"\n"
            ),
        )
    };
    std::fs::write(dir.join("old.toml"), with_default("pw-old-1")).unwrap();
    std::fs::write(dir.join("new.toml"), with_default("pw-new-2")).unwrap();
    std::fs::write(dir.join("shipped.toml"), shipped).unwrap();
    let shown = transcripts(
        dir,
        &[
            &["textconv", "old.toml"],
            &["diff", "old.toml", "new.toml"],
            &["diff", "old.toml", "new.toml", "--format", "json"],
            &["diff", "shipped.toml", "new.toml", "--format", "markdown"],
        ],
        ("p", "s"),
    );
    for secret in ["pw-old-1", "pw-new-2"] {
        assert!(!shown.contains(secret), "{secret} shown:\n{shown}");
    }
    assert!(
        shown.contains("params.token_service_url.default = •••"),
        "{shown}"
    );
}

#[test]
fn a_scenario_failure_hides_expected_credentials_by_their_place_even_when_absent() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    std::fs::write(
        dir.join("flow.toml"),
        r#"[flow]
name = "Plain"
credential_headers = ["x-team-cred"]
[trigger]
type = "webhook"
event = "Ev"
sample = '{"a": "1"}'
next = "c1"
[nodes.c1]
type = "http"
method = "GET"
url = "https://h.example.com/p"
next = { onSuccess = "end:Success", onError = "end:Error", onTimeout = "end:Error" }
"#,
    )
    .unwrap();
    // The request is made with none of these headers, to another URL: each expectation fails.
    std::fs::write(
        dir.join("scenario.toml"),
        r#"name = "absent credentials"
spec = "flow.toml"

[[http]]
url = "https://h.example.com/p"
status = 200

[[expect.requests]]
url = "https://u:exp-pw-1@h.example.com/p?apikey=exp-key-2"
headers = { Authorization = "Basic exp-auth-3", Cookie = "exp-cookie-4", Proxy-Authorization = "exp-proxy-5", x-api-key = "exp-xak-6", pin = "exp-pin-7", x-team-cred = "exp-team-8", Accept = "text/plain" }
"#,
    )
    .unwrap();
    let out = common::transcript(&run(dir, &["test", "scenario.toml"], ("p", "s")));
    for n in 1..=8 {
        assert!(
            !out.contains(&format!("-{n}")),
            "expected value {n} shown:\n{out}"
        );
    }
    for header in [
        "Authorization",
        "Cookie",
        "Proxy-Authorization",
        "x-api-key",
        "pin",
        "x-team-cred",
    ] {
        assert!(
            out.contains(&format!(
                "header {header}: expected (secret, not shown), got (absent)"
            )),
            "{header}:\n{out}"
        );
    }
    // A header that carries no credential is still shown; a URL with a password is not.
    assert!(
        out.contains("header Accept: expected text/plain, got (absent)"),
        "{out}"
    );
    assert!(
        out.contains("request 1 url: expected (secret, not shown)"),
        "{out}"
    );
}

/// The shipped ping template, which describes the flow with its `url` parameter.
const PING: &str = include_str!("../../fixtures/templates/ping.toml");

/// Every output of the ping template and its variants for two tenants whose `url` carries a
/// credential (a password, an `?apikey=`), and of a template whose `url` default carries one:
/// the renders, sheets, graphs and checks, and `textconv` and `diff` (text, JSON, Markdown) of
/// every document written. The documents themselves are left in `dir`.
fn url_credential_outputs(dir: &Path, secrets: (&str, &str)) -> String {
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    let (a, b) = secrets;
    write(
        "tenants/t1.toml",
        &format!("url = \"https://ping.example.com/?apikey={a}\"\n"),
    );
    write(
        "tenants/t2.toml",
        &format!("url = \"https://user:{b}@ping.example.com/\"\n"),
    );
    let description =
        r#"description = "Pings {{ url }} (retries: {{ retries }}, verbose: {{ verbose }}).""#;
    assert!(
        PING.contains(description),
        "the template still describes its URL"
    );
    write("described.toml", PING);
    // The URL where every reader takes it whole: the variable's default alone.
    write(
        "plain.toml",
        &PING.replace(description, r#"description = "Pings the service.""#),
    );
    let default = format!(r#"default = "https://bob:{a}@ping.example.com/?apikey={b}""#);
    write("defaulted.toml", &PING.replace("required = true", &default));
    let mut all = String::new();
    let mut run_all = |args: &[&str]| all.push_str(&common::transcript(&run(dir, args, secrets)));
    for template in ["described.toml", "plain.toml"] {
        let out = format!("out-{template}");
        run_all(&["render", template, "--tenants", "tenants", "-o", &out]);
        run_all(&["check", template, "--tenants", "tenants"]);
        run_all(&[
            "check",
            template,
            "--tenants",
            "tenants",
            "--format",
            "json",
        ]);
        for tenant in ["tenants/t1.toml", "tenants/t2.toml"] {
            run_all(&["sheet", template, "--values", tenant]);
            run_all(&["graph", template, "--values", tenant]);
        }
        let (t1, t2) = (format!("{out}/t1.flow.json"), format!("{out}/t2.flow.json"));
        for document in [&t1, &t2] {
            if dir.join(document).exists() {
                run_all(&["textconv", document]);
            }
        }
        if dir.join(&t1).exists() && dir.join(&t2).exists() {
            for format in ["text", "json", "markdown"] {
                run_all(&["diff", &t1, &t2, "--format", format]);
            }
        }
    }
    for args in [
        &["sheet", "defaulted.toml"][..],
        &["graph", "defaulted.toml"],
        &["check", "defaulted.toml"],
        &["build", "defaulted.toml", "-o", "defaulted.flow.json"],
        &["textconv", "defaulted.toml"],
    ] {
        run_all(args);
    }
    all
}

/// A `url` parameter's credential is hidden by its place in a URL read whole (a variable's
/// default), and nowhere else would it be: a template that puts it in the description (the
/// shipped ping template does) renders for no tenant whose URL carries one, whether the value
/// is the tenant's or the parameter's default, so no sheet, graph, check, `textconv` or `diff`
/// shows it. Where the URL fills only the variable, the documents hold it, privately.
#[test]
fn a_url_parameter_credential_is_shown_nowhere_it_is_substituted() {
    let reference_dir = tempfile::tempdir().unwrap();
    let secrets = ("REFERENCE-KEY-4711", "REFERENCE-PWD-0815");
    let reference = url_credential_outputs(reference_dir.path(), secrets);
    assert!(!reference.contains("REFERENCE-"), "{reference}");
    assert!(
        reference.contains("wxc::credential-outside-url"),
        "the description is refused: {reference}"
    );
    assert!(
        reference.contains("`https://ping.example.com/?apikey=•••`"),
        "the sheet shows the variable's URL masked: {reference}"
    );
    assert!(
        reference.contains("~ variables.PingURL.default: ••• → •••"),
        "{reference}"
    );
    let dir = reference_dir.path();
    for tenant in ["t1", "t2"] {
        assert!(!dir
            .join(format!("out-described.toml/{tenant}.flow.json"))
            .exists());
        let document = dir.join(format!("out-plain.toml/{tenant}.flow.json"));
        common::assert_private(&document);
        let text = std::fs::read_to_string(&document).unwrap();
        let real = if tenant == "t1" { secrets.0 } else { secrets.1 };
        assert!(text.contains(real), "the document holds the real URL");
    }
    assert!(!dir.join("defaulted.flow.json").exists());
    for secrets in SECRET_SETS {
        let other = tempfile::tempdir().unwrap();
        assert_eq!(
            url_credential_outputs(other.path(), *secrets),
            reference,
            "depends on {secrets:?}"
        );
    }
}

/// A secret no request header can carry (a non-ASCII character) would make a request no HTTP
/// client can make, whose failure would tell that secret from another: it is refused before
/// the run, in words that hold nothing of it, the same whatever it is; one a header carries
/// runs on. (A request that cannot be made for a value that is not secret stops the run at the
/// node: tests/cli/hostile.rs.)
#[test]
fn a_secret_no_header_can_carry_is_refused_before_the_run_the_same_whatever_it_is() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("auth.toml"),
        "[params.key]\ntype = \"string\"\nsecret = true\ndefault = \"\"\n\n\
         [flow]\nname = \"AuthSend\"\ncredential_headers = [\"Authorization\"]\n\n\
         [trigger]\ntype = \"webhook\"\nevent = \"E\"\nsample = '{\"a\": \"1\"}'\nnext = \"call\"\n\n\
         [variables.Key]\ndefault = \"{{ key }}\"\nsecret = true\nsend_to = [\"https://api.example.com/api\"]\n\n\
         [nodes.call]\ntype = \"http\"\nmethod = \"GET\"\nurl = \"https://api.example.com/api\"\n\
         headers = { Authorization = \"Bearer $(Key)\" }\n\
         next = { onSuccess = \"end:Success\", onError = \"end:Error\", onTimeout = \"end:Error\" }\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("mock.toml"),
        "[[http]]\nurl = \"https://api.example.com/api\"\nbody = '{\"ok\": 1}'\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("t.toml"), "key = { env = \"KEY\" }\n").unwrap();
    let run = |key: &str| {
        Command::new(env!("CARGO_BIN_EXE_wxcflow"))
            .args([
                "run",
                "auth.toml",
                "--values",
                "t.toml",
                "--mock",
                "mock.toml",
            ])
            .env("KEY", key)
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    let plain = run("a");
    assert_eq!(plain.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&plain.stdout).contains("outcome: Success"));
    for key in ["\u{e9}", "caf\u{e9}-\u{3042}"] {
        let out = run(key);
        let text = common::transcript(&out);
        assert_eq!(out.status.code(), Some(1), "{text}");
        assert!(
            text.contains("error[wxc::secret-value-invalid]: the value of secret `Key` holds a character a request header cannot carry"),
            "{text}"
        );
        assert!(!text.contains("onError") && !text.contains(key), "{text}");
        assert_eq!(text, common::transcript(&run("\u{e9}")));
    }
}

/// A mock file that breaks after a credential header's value is told by its line alone: the
/// column where reading stopped would tell the value's length, and no line of it is quoted.
#[test]
fn a_mock_file_that_does_not_read_is_told_by_its_line_only() {
    let dir = tempfile::tempdir().unwrap();
    let mock = "[[http]]\nurl = \"https://api.example.com/*\"\nheaders = { x-token-passphrase = \"MOCKSECRET\" } x\n";
    std::fs::write(dir.path().join("mock.toml"), mock).unwrap();
    let out = run(
        dir.path(),
        &["run", "--mock", "mock.toml"],
        ("unused", "unused"),
    );
    let all = common::transcript(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(all.contains("mock.toml:3:1"), "{all}");
    assert!(all.contains("wxc::toml-syntax"), "{all}");
    assert!(!all.contains("MOCKSECRET"), "{all}");
}

/// A tenant value in the wrong shape (a dotted key, a table, a list) under a parameter or a
/// misspelt key is hidden in quoted lines with all it holds, not only its key; a credential
/// URL written without slashes later in a value is one (`see https:user:pass@host`).
#[test]
fn tenant_values_in_the_wrong_shape_and_slashless_credential_urls_are_never_quoted() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("tpl.toml"), PING).unwrap();
    std::fs::create_dir(dir.path().join("tenants")).unwrap();
    let tenant = "url = \"https://a.example.com/\"\napi_key.value = \"SHAPE1\"\n\
                  api_kee.value = \"SHAPE2\"\n\"api_kex\" . \"v\" = \"SHAPE3\"\n\
                  [retries]\nx = \"SHAPE4\"\n";
    std::fs::write(dir.path().join("tenants/a.toml"), tenant).unwrap();
    let slashless = "url = \"https://a.example.com/\"\napi_key = \"k\"\n\
                     label = \"see https:bob:SHAPE5@h.example.com/\"\n";
    std::fs::write(dir.path().join("tenants/b.toml"), slashless).unwrap();
    let commands: &[&[&str]] = &[
        &["check", "tpl.toml", "--tenants", "tenants"],
        &["render", "tpl.toml", "--tenants", "tenants", "-o", "out"],
    ];
    let out = transcripts(dir.path(), commands, ("unused", "unused"));
    for typed in ["SHAPE1", "SHAPE2", "SHAPE3", "SHAPE4", "SHAPE5"] {
        assert!(!out.contains(typed), "{typed} shown:\n{out}");
    }
    assert!(out.contains("wxc::param-type"), "{out}");
    assert!(out.contains("wxc::credential-outside-url"), "{out}");
    assert!(!dir.path().join("out/b.flow.json").exists(), "{out}");
}

/// A spec that reads as TOML but not as a spec hides its typed credentials in quoted lines in
/// inline tables as in tables; a variable read in the URL a header of any name holds
/// (`Referer = "https://$(U):$(K)@host/"`, `X-Origin = "...?apikey=$(K)"`) is a credential.
#[test]
fn inline_table_credentials_and_header_url_variables_are_never_shown() {
    let head = "[flow]\nname = \"Q\"\n[trigger]\ntype = \"webhook\"\nevent = \"Ping\"\n\
                sample = '{\"id\": \"1\"}'\nnext = \"call\"\n";
    let broken = format!(
        "{head}[variables]\nU = {{ default = \"https://bob:INLINE1@api.example.com/\", externalize = \"yes\" }}\n\
         [nodes]\ncall = {{ type = \"http\", url = \"https://bob:INLINE2@api.example.com/\", method = 5, \
         headers = {{ pin = \"INLINE3\" }}, next = {{ onSuccess = \"end:Success\", onError = \"end:Error\", onTimeout = \"end:Error\" }} }}\n"
    );
    let header = |headers: &str| {
        format!(
            "{head}[variables.U]\ndefault = \"bob\"\n[variables.K]\ndefault = \"HEADERKEY\"\n\
             [nodes.call]\ntype = \"http\"\nmethod = \"GET\"\nurl = \"https://api.example.com/v1\"\n\
             headers = {{ {headers} }}\n\
             next = {{ onSuccess = \"end:Success\", onError = \"end:Error\", onTimeout = \"end:Error\" }}\n"
        )
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("broken.toml"), broken).unwrap();
    let referer = header(r#"Referer = "https://$(U):$(K)@api.example.com/""#);
    std::fs::write(dir.path().join("referer.toml"), referer).unwrap();
    let origin = header(r#"X-Origin = "https://api.example.com/?apikey=$(K)""#);
    std::fs::write(dir.path().join("origin.toml"), origin).unwrap();
    let mut commands: Vec<Vec<&str>> = vec![vec!["check", "broken.toml"]];
    for spec in ["referer.toml", "origin.toml"] {
        commands.push(vec!["run", spec]);
        commands.push(vec!["textconv", spec]);
        commands.push(vec!["sheet", spec]);
    }
    commands.push(vec!["build", "origin.toml", "-o", "origin.json"]);
    let commands: Vec<&[&str]> = commands.iter().map(Vec::as_slice).collect();
    let out = transcripts(dir.path(), &commands, ("unused", "unused"));
    for typed in ["INLINE1", "INLINE2", "INLINE3", "HEADERKEY"] {
        assert!(!out.contains(typed), "{typed} shown:\n{out}");
    }
    assert!(out.contains("wxc::wrong-type"), "{out}");
    common::assert_private(&dir.path().join("origin.json"));
}

/// A value a transition action types, which a request's URL then sends as its credential
/// (`set = { H = "bob:pw@host" }` read as `https://$(H)/v1`), is secret in both runners'
/// traces (from the start of the run) and in a scenario's failures, in every reader, and its
/// documents are private; so is the value a Flow Designer set-variable types so.
#[test]
fn a_typed_value_a_url_sends_as_its_credential_is_secret_everywhere() {
    let spec = r#"
[flow]
name = "E3"
[trigger]
type = "webhook"
event = "Ping"
sample = '{"id": "1"}'
next = "call"
[variables.H]
default = "api.example.com"
[variables.Copy]
default = ""
result = true
[nodes.call]
type = "http"
method = "GET"
url = 'https://$(H)/v1'
on_enter = [{ set = { H = "bob:TYPEDHOST@api.example.com" } }]
on_leave = [{ set = { Copy = "$(H)" } }]
next = { onSuccess = "end:Success", onError = "end:Error", onTimeout = "end:Error" }
"#;
    let scenario =
        "name = \"host\"\nspec = \"e3.toml\"\n[[http]]\nmethod = \"GET\"\nurl = \"https://*\"\n\
                    [expect]\noutcome = \"Success\"\nvariables = { H = \"x\", Copy = \"x\" }\n";
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("e3.toml"), spec).unwrap();
    std::fs::write(dir.path().join("s1.toml"), scenario).unwrap();
    let commands: &[&[&str]] = &[
        &["run", "e3.toml"],
        &["run", "e3.toml", "--format", "json"],
        &["test", "s1.toml", "--target", "flow-designer"],
        &[
            "build",
            "e3.toml",
            "--target",
            "flow-designer",
            "-o",
            "e3.fd.json",
        ],
        &["run", "e3.fd.json"],
        &["textconv", "e3.fd.json"],
        &["check", "e3.fd.json"],
        &["textconv", "e3.toml"],
        &["sheet", "e3.toml"],
        &["diff", "e3.toml", "other.toml", "--format", "json"],
        &["build", "e3.toml", "-o", "e3.json"],
        &["textconv", "e3.json"],
    ];
    let other = spec.replace("TYPEDHOST", "OTHERHOST");
    std::fs::write(dir.path().join("other.toml"), other).unwrap();
    let out = transcripts(dir.path(), commands, ("unused", "unused"));
    assert!(
        !out.contains("TYPEDHOST") && !out.contains("OTHERHOST"),
        "{out}"
    );
    assert!(out.contains("Flow Designer variable H"), "{out}");
    common::assert_private(&dir.path().join("e3.json"));
    common::assert_private(&dir.path().join("e3.fd.json"));
}

/// A table where a secret or a credential belongs, written with dotted keys (`default.x =
/// "..."`, `url.x = "..."`): TOML gives the table the span of its key, its values lie beyond
/// it, and each is hidden all the same: in a Webex Connect spec (a secret variable's default,
/// a URL, a proxy, a credential header), a Flow Designer spec (a secure variable's value), and a
/// run's inputs file.
#[test]
fn a_table_written_with_dotted_keys_where_a_secret_belongs_shows_none_of_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("connect.toml"),
        "[flow]\nname = \"Dotted\"\n\n\
        [trigger]\ntype = \"webhook\"\nevent = \"Dotted\"\nsample = '{\"id\": \"1\"}'\nnext = \"a\"\n\n\
        [variables.Tok]\nsecret = true\ndefault.value = \"DEFAULTSEK\"\n\n\
        [nodes.a]\ntype = \"http\"\nmethod = \"GET\"\nurl.x = \"https://u:URLSEK@h.example.com/\"\n\
        proxy.x = \"http://u:PROXYSEK@p.example.com:3128\"\n\
        headers.Authorization.x = \"Bearer BEARERSEK\"\n\
        next = { onSuccess = \"end:Success\", onError = \"end:Error\", onTimeout = \"end:Error\" }\n",
    )
    .unwrap();
    let export = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/flow-designer/exports/token-subflow.json"
    );
    let decompiled = common::wxcflow(d, &["decompile", export]);
    let spec = String::from_utf8(decompiled.stdout).unwrap();
    let secure = "[variables.Passphrase]\nsource = \"SUBFLOW_INPUT\"\nisSecure = true\n";
    assert!(spec.contains(secure), "{spec}");
    let dotted = spec.replace(secure, &format!("{secure}value.x = \"FDVALUESEK\"\n"));
    std::fs::write(d.join("fd.toml"), dotted).unwrap();
    std::fs::write(d.join("inputs.toml"), "Passphrase.v = \"INPUTSEK\"\n").unwrap();
    let mut all = String::new();
    for spec in ["connect.toml", "fd.toml"] {
        for args in [
            &["check", spec][..],
            &["check", spec, "--format", "json"],
            &["build", spec, "-o", "out.json"],
            &["build", spec, "--target", "flow-designer", "-o", "out.json"],
            &["graph", spec],
            &["sheet", spec],
            &["run", spec],
            &["diff", spec, spec],
            &["diff", spec, export, "--format", "json"],
        ] {
            all.push_str(&common::transcript(&common::wxcflow(d, args)));
        }
    }
    for format in ["text", "json"] {
        let args = ["run", export, "--inputs", "inputs.toml", "--format", format];
        all.push_str(&common::transcript(&common::wxcflow(d, &args)));
    }
    assert!(all.contains("--> connect.toml:"), "{all}");
    assert!(all.contains("inputs.toml"), "{all}");
    for secret in [
        "DEFAULTSEK",
        "URLSEK",
        "PROXYSEK",
        "BEARERSEK",
        "FDVALUESEK",
        "INPUTSEK",
    ] {
        assert!(!all.contains(secret), "{secret}:\n{all}");
    }
}

/// A Webex Connect spec that is not valid TOML tells no secret's place: a credential on the
/// broken line (a bad escape before it), or on the next one (a broken inline table takes it
/// in), shows in no command, beside a Flow Designer file either.
#[test]
fn a_spec_that_is_not_toml_shows_no_credential_on_or_after_its_broken_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let spec = |node: &str| {
        format!(
            "[flow]\nname = \"Broken\"\n\n[trigger]\ntype = \"webhook\"\nevent = \"Broken\"\n\
            sample = '{{\"id\": \"1\"}}'\nnext = \"a\"\n\n[nodes.a]\ntype = \"http\"\nmethod = \"GET\"\n\
            {node}\nnext = {{ onSuccess = \"end:Success\", onError = \"end:Error\", onTimeout = \"end:Error\" }}\n"
        )
    };
    std::fs::write(
        d.join("escape.toml"),
        spec("url = \"https://h.example.com\\v1;apikey=ESCAPESEK\""),
    )
    .unwrap();
    std::fs::write(
        d.join("table.toml"),
        spec("headers = { Accept = \"x }\nurl = \"https://u:TABLESEK@h.example.com/\""),
    )
    .unwrap();
    let export = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/flow-designer/exports/token-subflow.json"
    );
    let mut all = String::new();
    for spec in ["escape.toml", "table.toml"] {
        for args in [
            &["check", spec][..],
            &["check", spec, "--format", "json"],
            &["build", spec, "-o", "out.json"],
            &["graph", spec],
            &["sheet", spec],
            &["run", spec],
            &["diff", spec, spec],
            &["diff", export, spec],
            &["fmt", "--check", spec],
            &["fmt", spec],
        ] {
            all.push_str(&common::transcript(&common::wxcflow(d, args)));
        }
    }
    // Located alike in every format: at the mask that shows where the line was.
    let human = common::transcript(&common::wxcflow(d, &["check", "escape.toml"]));
    let json = common::wxcflow(d, &["check", "escape.toml", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let (line, column) = (&json[0]["span"]["line"], &json[0]["span"]["column"]);
    assert!(
        human.contains(&format!("escape.toml:{line}:{column}\n")),
        "{line}:{column} {human}"
    );
    assert!(all.contains("wxc::toml-syntax"), "{all}");
    assert!(!all.contains("ESCAPESEK"), "{all}");
    assert!(!all.contains("TABLESEK"), "{all}");
}

/// What a node's transition action sets is hidden in a spec that does not check (an unknown
/// key beside it), does not read (a TOML error after it), or has a merge conflict: which
/// variables are secret is the model's to say, and there is none. Same output whatever its
/// length.
#[test]
fn a_value_an_action_sets_shows_nowhere_when_the_spec_does_not_check() {
    let outputs = |secret: &str| {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let spec = |actions: &str, after: &str| {
            format!(
                "[flow]\nname = \"Act\"\n\n[trigger]\ntype = \"webhook\"\nevent = \"Act\"\n\
                sample = '{{\"id\": \"1\"}}'\nnext = \"a\"\n\n\
                [variables.pass]\nsecret = true\ndefault = \"\"\n\n\
                [nodes.a]\ntype = \"http\"\nmethod = \"GET\"\nurl = \"https://h.example.com/\"\n\
                {actions}\nnext = {{ onSuccess = \"end:Success\", onError = \"end:Error\", onTimeout = \"end:Error\" }}\n{after}"
            )
        };
        let set = format!("on_leave = [{{ set = {{ pass = \"{secret}\" }}, typo = 1 }}]");
        std::fs::write(d.join("typo.toml"), spec(&set, "")).unwrap();
        let set = format!("on_enter = [ {{ set = {{ pass = '{secret}' }} }} ]");
        std::fs::write(d.join("broken.toml"), spec(&set, "broken = \n")).unwrap();
        let conflict = format!("<<<<<<< HEAD\n{set}\n=======\n>>>>>>> other");
        std::fs::write(d.join("conflict.toml"), spec(&conflict, "")).unwrap();
        let mut all = String::new();
        for spec in ["typo.toml", "broken.toml", "conflict.toml"] {
            for args in [
                &["check", spec][..],
                &["check", spec, "--format", "sarif"],
                &["textconv", spec],
                &["sheet", spec],
                &["diff", spec, "typo.toml"],
            ] {
                all.push_str(&common::transcript(&common::wxcflow(d, args)));
            }
        }
        assert!(!all.contains(secret), "{all}");
        all
    };
    assert_eq!(outputs("Zq7"), outputs("Zq7-a-longer-secret-Zq7"));
}

/// Locations tell no secret's length where a secret hides in what the reader set aside or in a
/// value of the wrong shape: a Flow Designer export that gives `variables` twice (a secure
/// value in the first, replaced), and SARIF regions that end a line after a credential header
/// or secret default written as a list of tables.
#[test]
fn replaced_and_misshapen_secrets_move_no_location() {
    let outputs = |secret: &str| {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let export = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/flow-designer/exports/voice-lookup.json"
        );
        let mut e: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(export).unwrap()).unwrap();
        e["variables"][0]["isSecure"] = serde_json::json!(true);
        e["variables"][0]["value"] = serde_json::json!(secret);
        let one_line = serde_json::to_string(&e).unwrap();
        let twice = format!("{},\"variables\":[]}}", &one_line[..one_line.len() - 1]);
        std::fs::write(d.join("twice.json"), twice).unwrap();
        let spec = format!(
            "[flow]\nname = \"P\"\ncredential_headers = [\"x-token-passphrase\"]\n\n\
            [trigger]\ntype = \"webhook\"\nevent = \"E\"\nsample = '{{}}'\nnext = \"a\"\n\n\
            [variables]\npass = [ {{ secret = true, default =\n \"{secret}\" }} ]\n\n\
            [nodes.a]\ntype = \"http\"\nmethod = \"GET\"\nurl = \"https://h.example.com/\"\n\
            headers = [ {{ x-token-passphrase =\n \"{secret}\" }} ]\n\
            next = {{ onSuccess = \"end:Success\", onError = \"end:Error\", onTimeout = \"end:Error\" }}\n"
        );
        std::fs::write(d.join("lists.toml"), spec).unwrap();
        let mut all = String::new();
        for args in [
            &["check", "twice.json"][..],
            &["check", "twice.json", "--format", "sarif"],
            &["graph", "twice.json"],
            &["diff", "twice.json", export],
            &["check", "lists.toml", "--format", "sarif"],
            &["check", "lists.toml", "--format", "json"],
        ] {
            all.push_str(&common::transcript(&common::wxcflow(d, args)));
        }
        assert!(!all.contains(secret), "{all}");
        assert!(all.contains("endColumn"), "{all}");
        all
    };
    assert_eq!(
        outputs("Zq7"),
        outputs("Zq7-a-much-longer-secret-Zq7-0123456789")
    );
}
