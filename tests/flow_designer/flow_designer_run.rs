//! Flow Designer flows run locally (`wxcflow run FILE`, `test --target flow-designer`): the
//! GetOAuthToken subflow wxcflow builds, hand-written voice flows, bad input, and a property:
//! the subflow lowered from a random spec ends as the spec's Webex Connect run does.
// A test stops at the first thing that is not as expected.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use common::{transcript, wxcflow};
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn run_fixtures() -> PathBuf {
    root().join("fixtures/flow-designer/run")
}

/// An inputs file that is not UTF-8 is no TOML: `wxc::toml-syntax` by its line, column 1, as a
/// tenant file is, exit 1, with no offset and nothing of it shown.
#[test]
fn an_inputs_file_that_is_not_utf8_is_told_by_its_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("in.toml"),
        b"Debug = \"x\"\nStaticToken = \"abc\xffSECRET\"\n",
    )
    .unwrap();
    let flow = run_fixtures().join("missing-link.toml");
    let flow = flow.to_str().unwrap();
    let out = wxcflow(dir.path(), &["run", flow, "--inputs", "in.toml"]);
    let said = transcript(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains(
            "error[wxc::toml-syntax]: invalid inputs file: not UTF-8 text\n--> in.toml:2:1"
        ),
        "{said}"
    );
    assert!(
        !said.contains("SECRET") && !said.contains("abc") && !said.contains("offset"),
        "{said}"
    );
}

/// A transcript with the crate's path written as `$ROOT` and a temporary folder as `$TMP`.
fn shown(out: &std::process::Output, tmp: &Path) -> String {
    transcript(out)
        .replace(&tmp.display().to_string(), "$TMP")
        .replace(&root().display().to_string(), "$ROOT")
}

/// Runs the binary, which must exit 0, and reads the JSON it prints.
fn json_run(dir: &Path, args: &[&str]) -> serde_json::Value {
    let out = wxcflow(dir, args);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", transcript(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Values of the example tenant and the mocks that must never be printed.
const SECRETS: [&str; 4] = [
    "pass-123",
    "svc-token_PF84_1eb65fdf-9643-417f-9974-ad72cae0e10f",
    "static-fallback",
    "static-token-from-file",
];

fn no_secret_in(out: &std::process::Output) {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    for s in SECRETS {
        assert!(!text.contains(s), "a secret is printed:\n{text}");
    }
}

/// GetOAuthToken built for Flow Designer with the example tenant (its secrets from files),
/// in a temporary folder.
fn built_with_tenant() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("GetOAuthToken.fd.json");
    let tenant = root().join("fixtures/examples/tenant.toml");
    let out = wxcflow(
        dir.path(),
        &[
            "build",
            "--target",
            "flow-designer",
            "--values",
            tenant.to_str().unwrap(),
            "-o",
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    (dir, file)
}

#[test]
fn the_built_subflow_takes_the_service_token_and_masks_it() {
    let (dir, file) = built_with_tenant();
    let mock = root().join("fixtures/examples/token-service.toml");
    for format in ["human", "json"] {
        let out = wxcflow(
            dir.path(),
            &[
                "run",
                "GetOAuthToken.fd.json",
                "--mock",
                mock.to_str().unwrap(),
                "--format",
                format,
            ],
        );
        assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
        no_secret_in(&out);
        insta::assert_snapshot!(format!("service_200_{format}"), shown(&out, dir.path()));
    }
    // The run's JSON has exactly the documented members.
    let value = json_run(
        dir.path(),
        &[
            "run",
            file.to_str().unwrap(),
            "--mock",
            mock.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    let mut keys: Vec<&str> = value
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, ["end", "events", "path", "variables", "warnings"]);
    assert_eq!(value["end"], "EndSubflow");
    assert_eq!(value["variables"]["FlowOutcome"], "Success");
    assert_eq!(value["variables"]["JDSToken"], wxcflow::secret::MASK);
    assert_eq!(value["variables"]["TokenSource"], "service");
}

#[test]
fn a_failing_token_service_falls_back_to_the_static_token() {
    let dir = tempfile::tempdir().unwrap();
    let built = wxcflow(
        dir.path(),
        &[
            "build",
            "--target",
            "flow-designer",
            "-o",
            "GetOAuthToken.fd.json",
        ],
    );
    assert_eq!(built.status.code(), Some(0), "{}", transcript(&built));
    std::fs::write(
        dir.path().join("inputs.toml"),
        "Token_Service_URL = \"https://token.example.com/token-service?name=jds\"\n\
         x_token_passphrase = \"pass-123\"\n\
         StaticToken = \"static-fallback\"\n\
         Debug_URL = \"https://catcher.example.com/hook\"\n\
         flid = \"call-1\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("mock.toml"),
        "[[http]]\nmethod = \"GET\"\nurl = \"https://token.example.com/*\"\nstatus = 500\n\
         body = '{\"status\": \"500\", \"message\": \"Invalid Token Passphrase\"}'\n\n\
         [[http]]\nmethod = \"POST\"\nurl = \"https://catcher.example.com/hook\"\n",
    )
    .unwrap();
    for format in ["human", "json"] {
        let out = wxcflow(
            dir.path(),
            &[
                "run",
                "GetOAuthToken.fd.json",
                "--inputs",
                "inputs.toml",
                "--mock",
                "mock.toml",
                "--format",
                format,
            ],
        );
        assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
        no_secret_in(&out);
        insta::assert_snapshot!(
            format!("service_500_static_{format}"),
            shown(&out, dir.path())
        );
    }
}

#[test]
fn a_voice_flow_answers_menus_with_the_digits_given() {
    let dir = run_fixtures();
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("ani.toml"),
        "[NewPhoneContact]\nANI = \"+14085550100\"\n",
    )
    .unwrap();
    let inputs = tmp.path().join("ani.toml");
    let queued = wxcflow(
        &dir,
        &[
            "run",
            "menu.toml",
            "--inputs",
            inputs.to_str().unwrap(),
            "--digits",
            "1,4711",
        ],
    );
    insta::assert_snapshot!("menu_queued", shown(&queued, tmp.path()));
    // A field of the start the flow never reads is a misspelling, told as an unknown name is.
    std::fs::write(
        tmp.path().join("anii.toml"),
        "[NewPhoneContact]\nANII = \"+14085550100\"\n",
    )
    .unwrap();
    let misspelt = tmp.path().join("anii.toml");
    let out = wxcflow(
        &dir,
        &["run", "menu.toml", "--inputs", misspelt.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
    assert_eq!(
        shown(&out, tmp.path()),
        "exit: 1\n--- stdout ---\n--- stderr ---\n\
         error[wxc::invalid-inputs]: the flow never reads `NewPhoneContact.ANII` (it reads ANI)\n \
         --> $TMP/anii.toml:2:1\n  |\n2 | ANII = •••\n  | ^^^^\n  |\n  = help: did you mean `ANI`?\n\n"
    );
    let inputs = inputs.to_str().unwrap();
    let args = [
        "run",
        "menu.toml",
        "--inputs",
        inputs,
        "--digits",
        "9",
        "--format",
        "json",
    ];
    let value = json_run(&dir, &args);
    assert_eq!(value["end"], "Bye");
    assert_eq!(value["events"][1]["port"], "invalid");
    // No digit left: the menu times out.
    let value = json_run(&dir, &["run", "menu.toml", "--format", "json"]);
    assert_eq!(value["events"][1]["port"], "timeout");
    assert_eq!(value["events"][1]["digit"], serde_json::Value::Null);
}

#[test]
fn bad_input_is_located() {
    let dir = run_fixtures();
    let cases: [(&str, &[&str]); 6] = [
        ("unsupported_activity", &["run", "unsupported.toml"]),
        ("missing_link", &["run", "missing-link.toml"]),
        (
            "unknown_variable",
            &[
                "run",
                "missing-link.toml",
                "--inputs",
                "inputs-unknown.toml",
            ],
        ),
        // A list is no STRING (nor any kind but JSON), as a table is not.
        (
            "list_for_a_string",
            &["run", "missing-link.toml", "--inputs", "inputs-list.toml"],
        ),
        (
            "broken_inputs",
            &["run", "missing-link.toml", "--inputs", "inputs-broken.toml"],
        ),
        (
            "inputs_for_a_connect_spec",
            &["run", "--inputs", "inputs-unknown.toml"],
        ),
    ];
    for (name, args) in cases {
        let out = wxcflow(&dir, args);
        let expected = if name == "inputs_for_a_connect_spec" {
            2
        } else {
            1
        };
        assert_eq!(
            out.status.code(),
            Some(expected),
            "{name}: {}",
            transcript(&out)
        );
        insta::assert_snapshot!(format!("bad_input_{name}"), shown(&out, &dir));
    }
    // With --format json, what is wrong with the inputs is said as JSON too.
    for inputs in ["inputs-unknown.toml", "inputs-broken.toml"] {
        let args = [
            "run",
            "missing-link.toml",
            "--inputs",
            inputs,
            "--format",
            "json",
        ];
        let out = wxcflow(&dir, &args);
        assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
        // On stderr: stdout is the trace's.
        let said: serde_json::Value = serde_json::from_slice(&out.stderr)
            .unwrap_or_else(|e| panic!("{inputs}: not JSON ({e}): {}", transcript(&out)));
        assert!(
            said[0]["code"]
                .as_str()
                .is_some_and(|c| c.starts_with("wxc::")),
            "{said}"
        );
    }
    // A run that stops says why in its JSON trace too, as its text trace does.
    let out = wxcflow(&dir, &["run", "missing-link.toml", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
    let trace: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(trace["end"], serde_json::Value::Null, "{trace}");
    let stopped = trace["stopped"].as_str().unwrap_or_default();
    let text = wxcflow(&dir, &["run", "missing-link.toml"]);
    assert!(
        !stopped.is_empty()
            && String::from_utf8_lossy(&text.stdout).contains(&format!("stopped: {stopped}")),
        "{trace}\n{}",
        transcript(&text)
    );
}

#[test]
fn an_activity_missing_what_it_needs_stops_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let spec = |activity: &str| {
        format!(
            "[flow_designer]\nname = \"Incomplete\"\ntype = \"SUBFLOW\"\n\n[variables.Plain]\nsource = \"SUBFLOW_INPUT\"\n\n\
             [activities.Start]\ntype = \"NewSubFlowStart\"\nnext = {{ out = \"Step\" }}\n\n\
             [activities.Step]\n{activity}\n\n[activities.Done]\ntype = \"end-subflow\"\n"
        )
    };
    for (file, activity, says) in [
        (
            "no-url.toml",
            "type = \"http-request-v2\"\nnext = { default = \"Done\" }",
            "error[wxc::run-stopped]: activity `Step` is incomplete: it has no URL (`httpRequestUrl`)",
        ),
        (
            "no-assignment.toml",
            "type = \"set-variable\"\nnext = { out = \"Done\" }",
            "error[wxc::run-stopped]: activity `Step` is incomplete: it assigns no variable",
        ),
    ] {
        std::fs::write(dir.path().join(file), spec(activity)).unwrap();
        let out = wxcflow(dir.path(), &["run", file]);
        assert_eq!(out.status.code(), Some(1), "{file}: {}", transcript(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says), "{file}: {}", transcript(&out));
        assert!(stderr.contains("[activities.Step]"), "{file}: located: {}", transcript(&out));
        // `check` finds the same by the same rule, before anything runs, and says where.
        let out = wxcflow(dir.path(), &["check", file]);
        assert_eq!(out.status.code(), Some(1), "{file}: {}", transcript(&out));
        insta::assert_snapshot!(format!("check_incomplete_{file}"), shown(&out, dir.path()));
    }
}

#[test]
fn digits_a_phone_cannot_key_and_missing_flow_folders_are_usage_errors() {
    let dir = run_fixtures();
    for (args, says) in [
        (
            &["run", "missing-link.toml", "--digits", "1,abc"][..],
            "invalid value 'abc' for '--digits <DIGITS>': each answer is keys a phone has",
        ),
        (
            &["run", "missing-link.toml", "--digits", "1,,2"][..],
            "invalid value '' for '--digits <DIGITS>'",
        ),
        (
            &["run", "missing-link.toml", "--flows", "no-such-folder"][..],
            "error: --flows no-such-folder: not a folder",
        ),
    ] {
        let out = wxcflow(&dir, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", transcript(&out));
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(says),
            "{args:?}: {}",
            transcript(&out)
        );
        assert!(out.stdout.is_empty(), "{args:?}: {}", transcript(&out));
    }
}

#[test]
fn scenarios_agree_on_both_targets() {
    let scenarios = root().join("fixtures/scenarios");
    let out = wxcflow(
        root(),
        &[
            "test",
            scenarios.to_str().unwrap(),
            "--target",
            "flow-designer",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    // A difference the scenario does not declare fails: the timeout scenario without its
    // [flow_designer] table.
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(scenarios.join("token-service-timeout.toml")).unwrap();
    let undeclared = text.split("\n# Flow Designer's HTTP").next().unwrap();
    std::fs::write(dir.path().join("timeout.toml"), undeclared).unwrap();
    let out = wxcflow(
        dir.path(),
        &["test", "timeout.toml", "--target", "flow-designer"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
    insta::assert_snapshot!("undeclared_difference", shown(&out, dir.path()));
    // On the flow document alone the same file passes.
    let out = wxcflow(dir.path(), &["test", "timeout.toml"]);
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
}

/// Random specs in the subset Flow Designer expresses (HTTP requests with outputs, branches on
/// variables, transition actions, flow outcomes), with random mocked answers: the subflow
/// lowered from each ends with the flow outcome and the variables of the Webex Connect run.
mod generated {
    use proptest::prelude::*;
    use wxcflow::flow_designer as fd;
    use wxcflow::spec::builder::*;
    use wxcflow::tools::simulate::mock::{MockClient, MockExchange};
    use wxcflow::tools::simulate::scenario::{Expect, FlowDesigner};

    /// Short words, so that comparisons hold as often as not.
    fn word() -> impl Strategy<Value = String> {
        proptest::string::string_regex("[abAB]{0,2}").unwrap()
    }

    #[derive(Debug, Clone)]
    enum Kind {
        Http {
            post: bool,
            assign_status: bool,
        },
        Branch {
            arms: Vec<(usize, String)>,
            set: Option<String>,
        },
    }

    fn kind() -> impl Strategy<Value = Kind> {
        prop_oneof![
            (any::<bool>(), any::<bool>()).prop_map(|(post, assign_status)| Kind::Http {
                post,
                assign_status
            }),
            (
                proptest::collection::vec((0..4usize, word()), 1..3),
                proptest::option::of(word())
            )
                .prop_map(|(arms, set)| Kind::Branch { arms, set }),
        ]
    }

    /// One mocked answer: a status with a value, or a failed connection.
    fn answer() -> impl Strategy<Value = (Option<u16>, String)> {
        (
            proptest::option::weighted(0.8, prop_oneof![Just(200u16), Just(404), Just(500)]),
            word(),
        )
    }

    fn spec(kinds: &[Kind], picks: &[usize], defaults: &[String]) -> wxcflow::spec::Spec {
        let n = kinds.len();
        let mut target = crate::common::forward_targets(picks, n, "end:Success");
        let mut b = FlowBuilder::new("Generated")
            .webhook("Generated", r#"{"id": "7"}"#, "node_0")
            .credential_headers(["x-api-key"])
            .variable("A", Var::new().default_value(defaults[0].clone()))
            .variable("B", Var::new().default_value(defaults[1].clone()))
            .variable(
                "Key",
                Var::new()
                    .default_value(defaults[2].clone())
                    .secret()
                    .send_to("https://api.example.com/"),
            )
            .variable("Out", Var::new());
        for (i, k) in kinds.iter().enumerate() {
            let node = match k {
                Kind::Http {
                    post,
                    assign_status,
                } => {
                    let url = format!("https://api.example.com/n{i}?id=$(start.inboundWebhook.id)");
                    let mut h = if *post {
                        http("POST", url).body("{\"b\": \"$(B)\"}")
                    } else {
                        http("GET", url)
                    };
                    h = h.header("x-api-key", "$(Key)").output("value", "$.value");
                    let set: Vec<(String, String)> = if *assign_status {
                        vec![("A".into(), format!("$(node_{i}.https.statusCode)"))]
                    } else {
                        vec![("Out".into(), format!("$(node_{i}.value)"))]
                    };
                    let failure = target(i + 1);
                    h.next("onSuccess", target(i + 1))
                        .next("onError", failure.clone())
                        .next("onTimeout", failure)
                        .on_leave(None, set)
                }
                Kind::Branch { arms, set } => {
                    let mut br = branch();
                    for (a, (op, value)) in arms.iter().enumerate() {
                        let c = match op {
                            0 => cond("$(A)", "equals", value.clone()),
                            1 => cond("$(B)", "not_equals", value.clone()),
                            2 => cond("$(Out)", "equals_ignore_case", value.clone()),
                            _ => cond("$(Key)", "not_equals", ""),
                        };
                        br = br
                            .branch(format!("arm{a}"), JoinWith::All, vec![c])
                            .next(format!("arm{a}"), target(i + 1));
                    }
                    br = br
                        .next("none", target(i + 1))
                        .next("onError", target(i + 1));
                    match set {
                        Some(v) => br.on_enter([("B", v.clone())]),
                        None => br.on_enter([("Out", "$(A)")]),
                    }
                }
            };
            b = b.node(format!("node_{i}"), node);
        }
        b.build()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        #[test]
        fn the_lowered_subflow_ends_as_the_flow_does(
            kinds in proptest::collection::vec(kind(), 1..6),
            picks in proptest::collection::vec(any::<usize>(), 1..20),
            defaults in proptest::collection::vec(word(), 3),
            answers in proptest::collection::vec(answer(), 6),
        ) {
            let spec = spec(&kinds, &picks, &defaults);
            let build = crate::common::compiler().build_spec(&spec, None);
            prop_assert!(!build.has_errors(), "{}", wxcflow::diagnostic::Diagnostic::render_human(&build.diagnostics, &[]));
            let exchanges: Vec<MockExchange> = answers
                .iter()
                .enumerate()
                .map(|(i, (status, value))| {
                    let fail = if status.is_none() { "fail = \"connection\"\n" } else { "" };
                    toml::from_str(&format!(
                        "url = \"https://api.example.com/n{i}*\"\nstatus = {}\nbody = '{{\"value\": \"{value}\"}}'\n{fail}",
                        status.unwrap_or(200)
                    ))
                    .unwrap()
                })
                .collect();
            let (document, _) = build.output.as_ref().unwrap();
            let trigger = document.flow.trigger.sample.clone();
            let connect = wxcflow::flow::Flow::simulate(
                &document.flow,
                &trigger,
                &mut MockClient { exchanges: exchanges.clone() },
                &wxcflow::tools::simulate::NoChildren,
            );
            prop_assert!(connect.error.is_none(), "{:?}", connect.error);
            let lowered = crate::common::compiler()
                .lower_flow_designer(&document.flow, &|_| Default::default())
                .build;
            let Some((model, _)) = lowered.output else {
                return Err(TestCaseError::fail(wxcflow::diagnostic::Diagnostic::render_human(&lowered.diagnostics, &[])));
            };
            let inputs = fd::run::agree::inputs_for(&model, &trigger);
            let fd_run = model.run(&inputs, &mut MockClient { exchanges }, &[], &fd::run::NoSubflows);
            let failures = fd::run::agree::check_both(
                &document.flow,
                &connect,
                &fd_run,
                &Expect::default(),
                &FlowDesigner::default(),
            );
            prop_assert!(failures.is_empty(), "{failures:?}\n{}", fd_run.render_text());
        }
    }
}

/// The real exports beside the repository (CI-only: see `flow_designer_real`), run by the
/// binary with mocks written here.
mod real {
    use super::*;

    fn is_subflow(path: &Path) -> bool {
        let value: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        value["flowType"] == "SUBFLOW"
    }

    #[test]
    fn cisco_subflows_run_with_their_http_answered_200_and_500() {
        let subflows: Vec<PathBuf> = crate::flow_designer_real::exports()
            .into_iter()
            .filter(|p| is_subflow(p))
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let mock = |status: u16, body: &str| {
            let path = dir.path().join(format!("mock-{status}.toml"));
            // Every request answered alike (a URL prefix of nothing matches every URL).
            std::fs::write(
                &path,
                format!("[[http]]\nurl = \"*\"\nstatus = {status}\nbody = '{body}'\n"),
            )
            .unwrap();
            path
        };
        let ok = mock(
            200,
            r#"{"accountId": "A-1", "balanceAmount": "12.50", "status": "success", "currency": "USD"}"#,
        );
        let failed = mock(500, r#"{"error": "declined"}"#);
        for file in &subflows {
            let file = file.to_str().unwrap();
            let mut paths = Vec::new();
            for (mock, status) in [(&ok, 200), (&failed, 500)] {
                let run = json_run(
                    dir.path(),
                    &[
                        "run",
                        file,
                        "--mock",
                        mock.to_str().unwrap(),
                        "--format",
                        "json",
                    ],
                );
                assert!(run["end"].is_string(), "{file}: {run}");
                let http: Vec<&serde_json::Value> = run["events"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|e| e["kind"] == "http")
                    .collect();
                assert!(!http.is_empty(), "{file}: no request");
                assert!(
                    http.iter().all(|e| e["reply"]["status"] == status),
                    "{file}"
                );
                paths.push(run["path"].clone());
            }
            // Cisco's subflows test the status code: a failure takes another path.
            assert_ne!(paths[0], paths[1], "{file}: 200 and 500 took the same path");
        }
    }

    #[test]
    fn the_jds_voice_flow_parses_its_reply_and_answers_its_menu() {
        let exports = crate::flow_designer_real::exports();
        let Some(jds) = exports.iter().find(|p| {
            p.file_name()
                .is_some_and(|n| n == "bmclella_Voice_JDS_1.json")
        }) else {
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        // The customer record holds JSON as text, which the Parse activity reads; every other
        // request is answered 404 (no payment due).
        std::fs::write(
            dir.path().join("mock.toml"),
            "[[http]]\nurl = \"https://us-central1\"\n\
             body = '{\"value\": \"{\\\"FirstName\\\": \\\"Ann\\\", \\\"LastName\\\": \\\"Lee\\\"}\"}'\n\n\
             [[http]]\nurl = \"*\"\nstatus = 404\n",
        )
        .unwrap();
        let run = json_run(
            dir.path(),
            &[
                "run",
                jds.to_str().unwrap(),
                "--mock",
                "mock.toml",
                "--digits",
                "2",
                "--format",
                "json",
            ],
        );
        assert_eq!(run["variables"]["FirstName"], "Ann", "{run}");
        let events = run["events"].as_array().unwrap();
        let hello = events.iter().find(|e| e["kind"] == "play_message").unwrap();
        assert_eq!(hello["prompts"][0], "Hello Ann Lee!");
        let menu = events.iter().find(|e| e["kind"] == "menu").unwrap();
        assert_eq!(menu["port"], "2");
        assert_eq!(events.last().unwrap()["kind"], "waiting");
        // The passphrase typed in clear in a header is masked.
        let text = run.to_string();
        assert!(!text.contains("wxccAPI"), "{text}");
    }

    #[test]
    fn a_real_voice_flow_runs_to_its_end() {
        let exports = crate::flow_designer_real::exports();
        let Some(hello) = exports.iter().find(|p| {
            p.file_name()
                .is_some_and(|n| n == "HelloWorld_Template.json")
        }) else {
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        let run = json_run(
            dir.path(),
            &["run", hello.to_str().unwrap(), "--format", "json"],
        );
        let kinds: Vec<&str> = run["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["play_message", "disconnect"]);
        assert_eq!(
            run["end"],
            run["path"].as_array().unwrap().last().unwrap().clone()
        );
        // A flow that queues the caller ends waiting for an agent, its HTTP answered.
        if let Some(queue) = exports.iter().find(|p| {
            p.file_name()
                .is_some_and(|n| n == "VoiceFlow_InstantConnect.json")
        }) {
            let mock = dir.path().join("mock.toml");
            std::fs::write(
                &mock,
                "[[http]]\nurl = \"*\"\nbody = '{\"guestKey\": \"g\"}'\n",
            )
            .unwrap();
            let run = json_run(
                dir.path(),
                &[
                    "run",
                    queue.to_str().unwrap(),
                    "--mock",
                    mock.to_str().unwrap(),
                    "--format",
                    "json",
                ],
            );
            let last = run["events"].as_array().unwrap().last().unwrap().clone();
            assert_eq!(last["kind"], "waiting");
            assert!(run["warnings"].as_array().unwrap().is_empty(), "{run}");
        }
    }
}

#[test]
fn a_handoff_runs_the_subflow_found_in_flows() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("subflows")).unwrap();
    let parent = root().join("fixtures/flows/PublishJourneyEvent.toml");
    let child = root().join("fixtures/flows/GetOAuthToken.toml");
    for (spec, out) in [
        (&child, "subflows/GetOAuthToken.fd.json"),
        (&parent, "parent.fd.json"),
    ] {
        let built = wxcflow(
            dir.path(),
            &[
                "build",
                spec.to_str().unwrap(),
                "--target",
                "flow-designer",
                "-o",
                out,
            ],
        );
        assert_eq!(built.status.code(), Some(0), "{}", transcript(&built));
    }
    std::fs::write(
        dir.path().join("inputs.toml"),
        "inboundWebhook_customer_id = \"c-77\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("mock.toml"),
        "[[http]]\nurl = \"https://jds.example.com/*\"\nstatus = 202\n",
    )
    .unwrap();
    let args = [
        "run",
        "parent.fd.json",
        "--flows",
        "subflows",
        "--inputs",
        "inputs.toml",
        "--mock",
        "mock.toml",
    ];
    let out = wxcflow(dir.path(), &args);
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    insta::assert_snapshot!("handoff", shown(&out, dir.path()));
    // Without the folder, the handoff has no subflow: the run stops there, located.
    let out = wxcflow(dir.path(), &args[..2]);
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
    insta::assert_snapshot!("handoff_without_subflow", shown(&out, dir.path()));
    // Two files giving the subflow's name: neither is taken by the order of their names.
    std::fs::copy(
        dir.path().join("subflows/GetOAuthToken.fd.json"),
        dir.path().join("subflows/acme.fd.json"),
    )
    .unwrap();
    let out = wxcflow(dir.path(), &args);
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(
            "2 files give that name (subflows/GetOAuthToken.fd.json, subflows/acme.fd.json): keep one"
        ),
        "{}",
        transcript(&out)
    );
}

#[test]
fn a_voice_flow_follows_its_case_on_the_reply() {
    let dir = tempfile::tempdir().unwrap();
    let export = root().join("fixtures/flow-designer/exports/voice-lookup.json");
    std::fs::write(
        dir.path().join("caller.toml"),
        "[NewPhoneContact]\nANI = \"+1 408 555 0100\"\n",
    )
    .unwrap();
    let mock = |tier: &str| {
        format!(
            "[[http]]\nurl = \"https://tokens.example.com/*\"\nbody = '{{\"token\": \"crm-token\"}}'\n\n\
             [[http]]\nurl = \"https://crm.example.com/customers?phone=%2B1+408+555+0100\"\n\
             headers = {{ Authorization = \"Bearer crm-token\" }}\nbody = '{{\"tier\": \"{tier}\"}}'\n"
        )
    };
    let mut ends = Vec::new();
    for tier in ["gold", "silver", "bronze"] {
        std::fs::write(dir.path().join("mock.toml"), mock(tier)).unwrap();
        let run = json_run(
            dir.path(),
            &[
                "run",
                export.to_str().unwrap(),
                "--inputs",
                "caller.toml",
                "--mock",
                "mock.toml",
                "--format",
                "json",
            ],
        );
        // The phone number reached the CRM form-encoded, the token as the mock expects it.
        assert_eq!(run["events"][1]["reply"]["status"], 200, "{run}");
        assert_eq!(run["variables"]["CustomerTier"], tier);
        assert_eq!(run["variables"]["Token"], wxcflow::secret::MASK);
        ends.push(run["end"].as_str().unwrap().to_string());
    }
    assert_eq!(ends, ["EndGold", "EndFlow", "EndFlow"]);
}

#[test]
fn what_is_computed_from_a_secret_tells_nothing_of_it_not_even_by_being_empty() {
    let dir = tempfile::tempdir().unwrap();
    // Each expression, run with the secret and with another value, must show the same.
    let spec = |expr: &str| {
        format!(
            "[flow_designer]\nname = \"Guess\"\ntype = \"SUBFLOW\"\n\n\
             [variables.ApiKey]\nsource = \"SUBFLOW_INPUT\"\nisSecure = true\n\n\
             [variables.Out]\nsource = \"SUBFLOW_OUTPUT\"\n\n[variables.Copy]\nsource = \"SUBFLOW_OUTPUT\"\n\n\
             [activities.Start]\ntype = \"NewSubFlowStart\"\nnext = {{ out = \"Guess\" }}\n\n\
             [activities.Guess]\ntype = \"set-variable\"\nnext = {{ out = \"Again\" }}\n\n\
             [activities.Guess.settings]\nsetVariablesArray = [{{ srcVariable = \"Out\", expr = '{expr}' }}]\n\n\
             [activities.Again]\ntype = \"set-variable\"\nnext = {{ out = \"Done\" }}\n\n\
             [activities.Again.settings]\nsetVariablesArray = [{{ srcVariable = \"Copy\", expr = \"{{{{ Out }}}}\" }}]\n\n\
             [activities.Done]\ntype = \"end-subflow\"\n"
        )
    };
    for expr in [
        r#"{{ ApiKey == "zqxwv" ? "yes" : "" }}"#,
        "{{ ApiKey[4] }}",
        r#"{% if ApiKey == "zqxwv" %}x{% endif %}"#,
    ] {
        std::fs::write(dir.path().join("guess.toml"), spec(expr)).unwrap();
        let mut shown = Vec::new();
        for key in ["zqxwv", "other-value"] {
            std::fs::write(dir.path().join("in.toml"), format!("ApiKey = \"{key}\"\n")).unwrap();
            let run = json_run(
                dir.path(),
                &[
                    "run",
                    "guess.toml",
                    "--inputs",
                    "in.toml",
                    "--format",
                    "json",
                ],
            );
            assert_eq!(
                run["variables"]["Out"],
                wxcflow::secret::MASK,
                "{expr}: {run}"
            );
            assert_eq!(
                run["variables"]["Copy"],
                wxcflow::secret::MASK,
                "{expr}: {run}"
            );
            shown.push(run);
        }
        assert_eq!(shown[0], shown[1], "{expr}");
    }
}

#[test]
fn a_value_growing_in_a_loop_or_text_multiplied_stops_the_run_located() {
    let dir = tempfile::tempdir().unwrap();
    let spec = |expr: &str| {
        format!(
            "[flow_designer]\nname = \"Grow\"\ntype = \"SUBFLOW\"\n\n\
             [variables.N]\nsource = \"SUBFLOW_OUTPUT\"\nvalue = \"ab\"\n\n\
             [activities.Start]\ntype = \"NewSubFlowStart\"\nnext = {{ out = \"S\" }}\n\n\
             [activities.S]\ntype = \"set-variable\"\nnext = {{ out = \"S\" }}\n\n\
             [activities.S.settings]\nsetVariablesArray = [{{ srcVariable = \"N\", expr = '{expr}' }}]\n"
        )
    };
    let many = vec!["N"; 40].join(" ~ ");
    for (expr, says) in [
        (
            "{{ N ~ N }}",
            "the value would be larger than 10485760 bytes",
        ),
        (
            many.as_str(),
            "the value would be larger than 10485760 bytes",
        ),
        (
            "{% for c in [1, 2] %}{{ N }}{% endfor %}",
            "the value would be larger than 10485760 bytes",
        ),
        (r#"{{ "ab" * 1000000000 }}"#, "`*` multiplies numbers only"),
    ] {
        let expr = if expr == many {
            format!("{{{{ {many} }}}}")
        } else {
            expr.to_string()
        };
        std::fs::write(dir.path().join("grow.toml"), spec(&expr)).unwrap();
        let out = wxcflow(dir.path(), &["run", "grow.toml"]);
        assert_eq!(out.status.code(), Some(1), "{expr}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says), "{expr}: {stderr}");
        assert!(
            stderr.contains("grow.toml:13:1"),
            "{expr}: located: {stderr}"
        );
    }
}

#[test]
fn an_action_keeps_its_meaning_in_flow_designer_or_the_build_says_why_not() {
    let dir = tempfile::tempdir().unwrap();
    let spec = |set: &str| {
        format!(
            "[flow]\nname = \"Order\"\n\n[trigger]\ntype = \"webhook\"\nevent = \"Order\"\nsample = '{{\"hook\": \"null\"}}'\nnext = \"a\"\n\n\
             [variables.A]\ndefault = \"a0\"\nresult = true\n\n[variables.B]\ndefault = \"b0\"\nresult = true\n\n\
             [outcomes.Done]\ncode = 200\ndescription = \"done\"\n\n\
             [nodes.a]\ntype = \"branch\"\nbranches = [{{ name = \"Yes\", all = [{{ variable = \"$(A)\", operator = \"equals\", value = \"a1\" }}] }}]\n\
             on_enter = [{{ set = {set} }}]\nnext = {{ Yes = \"end:Done\", none = \"end:Done\", onError = \"end:Done\" }}\n"
        )
    };
    // B reads A, which the same action sets: B is read (and written) first, as in Connect.
    std::fs::write(
        dir.path().join("order.toml"),
        spec(r#"{ A = "a1", B = "$(A)" }"#),
    )
    .unwrap();
    let connect = json_run(dir.path(), &["run", "order.toml", "--format", "json"]);
    let out = wxcflow(
        dir.path(),
        &[
            "build",
            "--target",
            "flow-designer",
            "order.toml",
            "-o",
            "order.fd.json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    let fd = json_run(dir.path(), &["run", "order.fd.json", "--format", "json"]);
    for var in ["A", "B"] {
        assert_eq!(fd["variables"][var], connect["variables"][var], "{var}");
    }
    assert_eq!(connect["variables"]["B"], "a0");
    // A swap has no order: refused, located, before anything is written.
    std::fs::write(
        dir.path().join("swap.toml"),
        spec(r#"{ A = "$(B)", B = "$(A)" }"#),
    )
    .unwrap();
    let out = wxcflow(
        dir.path(),
        &[
            "build",
            "--target",
            "flow-designer",
            "swap.toml",
            "-o",
            "swap.fd.json",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("error[wxc::not-expressible]: node `a` sets `A`, `B` in one action, each from another's value"),
        "{stderr}"
    );
    assert!(stderr.contains("swap.toml:25:23"), "{stderr}");
    assert!(!dir.path().join("swap.fd.json").exists());
}

#[test]
fn deep_or_endless_expressions_stop_the_run_located() {
    let dir = tempfile::tempdir().unwrap();
    let spec = |expr: &str| {
        format!(
            "[flow_designer]\nname = \"Deep\"\ntype = \"SUBFLOW\"\n\n\
             [variables.N]\nsource = \"SUBFLOW_OUTPUT\"\nvalue = \"ab\"\n\n\
             [activities.Start]\ntype = \"NewSubFlowStart\"\nnext = {{ out = \"S\" }}\n\n\
             [activities.S]\ntype = \"set-variable\"\nnext = {{ out = \"S\" }}\n\n\
             [activities.S.settings]\nsetVariablesArray = [{{ srcVariable = \"N\", expr = '{expr}' }}]\n"
        )
    };
    let nested = |open: &str, middle: &str, close: &str, n: usize| {
        format!("{}{middle}{}", open.repeat(n), close.repeat(n))
    };
    let too_many = "holds more than 500 operators, brackets, interpolations and `elif`s";
    let loop_ten = "{% for a in [0,1,2,3,4,5,6,7,8,9] %}";
    for (expr, says) in [
        // Each of these went one call deeper for every operator and took the stack.
        (
            nested("{{ ", "", "", 1) + &nested("(", "N", ")", 10_000) + " }}",
            too_many,
        ),
        (format!("{{{{ {}N }}}}", "not ".repeat(30_000)), too_many),
        (format!("{{{{ N{} }}}}", " and N".repeat(30_000)), too_many),
        (
            format!(
                "{{% if N %}}a{}{{% endif %}}",
                "{% elseif N %}a".repeat(10_000)
            ),
            too_many,
        ),
        // Memory quadratic in the chain's length.
        (
            format!("{{{{ {}N }}}}", "N ? N : ".repeat(20_000)),
            too_many,
        ),
        // Ten nested loops of ten: ten billion passes.
        (
            nested(loop_ten, "", "{% endfor %}", 10),
            "stopped after 1000000 instructions, the most one evaluation does",
        ),
    ] {
        std::fs::write(dir.path().join("deep.toml"), spec(&expr)).unwrap();
        let out = wxcflow(dir.path(), &["run", "deep.toml"]);
        let shown = &expr[..40];
        assert_eq!(out.status.code(), Some(1), "{shown}: {}", transcript(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says), "{shown}: {stderr}");
        assert!(
            stderr.contains("deep.toml:13:1"),
            "{shown}: located: {stderr}"
        );
    }
}

/// An input of the wrong type for a secure variable is named by its type, never quoted.
#[test]
fn a_secure_input_of_the_wrong_type_is_not_quoted() {
    let dir = tempfile::tempdir().unwrap();
    let built = wxcflow(
        dir.path(),
        &["build", "--target", "flow-designer", "-o", "g.fd.json"],
    );
    assert_eq!(built.status.code(), Some(0), "{}", transcript(&built));
    let big = "99999999999999999999999";
    std::fs::write(
        dir.path().join("inputs.toml"),
        format!("x_token_passphrase = {big}\n"),
    )
    .unwrap();
    for format in ["human", "json"] {
        let out = wxcflow(
            dir.path(),
            &[
                "run",
                "g.fd.json",
                "--inputs",
                "inputs.toml",
                "--format",
                format,
            ],
        );
        let text = transcript(&out);
        assert_eq!(out.status.code(), Some(1), "{text}");
        assert!(!text.contains(big), "{text}");
    }
}

/// A subflow that doubles `N` to 4 MiB, then plays it in a chain of `plays` messages: each
/// play keeps a copy in the trace.
fn held_spec(plays: usize) -> String {
    let mut spec = String::from(
        "[flow_designer]\nname = \"Held\"\ntype = \"SUBFLOW\"\n\n\
         [variables.N]\nsource = \"SUBFLOW_OUTPUT\"\nvalue = \"ab\"\n\n\
         [activities.Start]\ntype = \"NewSubFlowStart\"\nnext = { out = \"Grow\" }\n\n\
         [activities.Grow]\ntype = \"set-variable\"\nnext = { out = \"Big\" }\n\n\
         [activities.Grow.settings]\nsetVariablesArray = [{ srcVariable = \"N\", expr = '{{ N ~ N }}' }]\n\n\
         [activities.Big]\ntype = \"condition-activity\"\nnext = { true = \"Play0\", false = \"Grow\" }\n\n\
         [activities.Big.settings]\nexpression = '{{ N | length >= 4194304 }}'\n",
    );
    for i in 0..plays {
        let next = if i + 1 == plays {
            "Done".to_string()
        } else {
            format!("Play{}", i + 1)
        };
        spec.push_str(&format!(
            "\n[activities.Play{i}]\ntype = \"play-message\"\ngroup = \"action\"\nports = [\"default\"]\n\
             next = {{ default = \"{next}\" }}\n\n[activities.Play{i}.settings]\n\
             promptsTts = [{{ type = \"tts\", value = \"{{{{ N }}}}\" }}]\n"
        ));
    }
    spec.push_str("\n[activities.Done]\ntype = \"end-subflow\"\n");
    spec
}

/// A Flow Designer run holds at most 128 MiB all together, as a Connect run does: every value
/// is under the 10 MiB a value may be, but forty copies of 4 MiB kept in the trace are more; the
/// run stops at the activity that passes the bound (the thirtieth play: 8 MiB grown, then 30
/// copies), located, exit 1. One copy is not.
#[test]
fn a_flow_designer_run_holds_at_most_what_a_connect_run_does() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("few.toml"), held_spec(1)).unwrap();
    let out = wxcflow(dir.path(), &["run", "few.toml", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", &transcript(&out)[..300]);
    std::fs::write(dir.path().join("held.toml"), held_spec(40)).unwrap();
    let out = wxcflow(dir.path(), &["run", "held.toml", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("error[wxc::run-stopped]: activity `Play29`")
            && stderr.contains(
                "takes what the run holds (values, replies and the trace) past 134217728 bytes"
            ),
        "{stderr}"
    );
    let line = held_spec(40)
        .lines()
        .position(|l| l == "[activities.Play29]")
        .unwrap();
    let at = format!("held.toml:{}:1", line + 1);
    let located = stderr.lines().any(|l| l.contains(&at));
    assert!(located, "{at}: {stderr}");
}

/// One fuel budget for a whole Flow Designer run: a condition of a few hundred operators,
/// each evaluation well within what one template may do, evaluated at every step of a loop
/// stops the run at the condition, located, before the step limit.
#[test]
fn a_long_condition_evaluated_in_a_loop_runs_out_of_the_run_s_fuel() {
    let dir = tempfile::tempdir().unwrap();
    let condition = vec!["N == N"; 160].join(" and ");
    let spec = format!(
        "[flow_designer]\nname = \"Fuel\"\ntype = \"SUBFLOW\"\n\n\
         [variables.N]\nsource = \"SUBFLOW_OUTPUT\"\nvalue = \"ab\"\n\n\
         [activities.Start]\ntype = \"NewSubFlowStart\"\nnext = {{ out = \"C\" }}\n\n\
         [activities.C]\ntype = \"condition-activity\"\nnext = {{ true = \"C\", false = \"C\" }}\n\n\
         [activities.C.settings]\nexpression = '{{{{ {condition} }}}}'\n"
    );
    std::fs::write(dir.path().join("fuel.toml"), spec).unwrap();
    let out = wxcflow(dir.path(), &["run", "fuel.toml"]);
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("error[wxc::run-stopped]: activity `C` takes the work of the run's templates past 2000000"),
        "{stderr}"
    );
    assert!(stderr.contains("fuel.toml:13:1"), "{stderr}");
    // Once: the condition ran fewer times than the step limit allows.
    let out = wxcflow(dir.path(), &["run", "fuel.toml", "--format", "json"]);
    let run: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let steps = run["path"].as_array().unwrap().len();
    assert!(steps < 1_000, "{steps}");
}

/// Writes `files` (name, text) into a new temporary folder.
fn folder_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

/// A spec whose HTTP body has a literal `{` right before a reference, as JSON nests one.
const BRACE_SPEC: &str = r#"[flow]
name = "Brace"
credential_headers = []

[trigger]
type = "webhook"
event = "Brace"
sample = '{"x": "1"}'
next = "call"

[variables.Fields]
default = '"k": "v"'

[nodes.call]
type = "http"
method = "POST"
url = "https://svc.example.com/p"
body = '{"data": {$(Fields)}}'
next = { onSuccess = "check", onError = "end:Error", onTimeout = "end:Error" }

[nodes.check]
type = "branch"
branches = [{ name = "Ok", all = [{ variable = "$(call.https.statusCode)", operator = "equals", value = "200" }] }]
next = { Ok = "end:Success", none = "end:Error", onError = "end:Error" }
"#;

#[test]
fn a_brace_before_a_reference_is_sent_as_written_on_both_targets() {
    let scenario = r#"name = "brace before a reference"
spec = "brace.toml"
[[http]]
url = "https://svc.example.com/p"
status = 200
[expect]
outcome = "Success"
[[expect.requests]]
body_contains = ['{"data": {"k": "v"}}']
"#;
    let dir = folder_with(&[("brace.toml", BRACE_SPEC), ("brace-sc.toml", scenario)]);
    let out = wxcflow(
        dir.path(),
        &["test", "brace-sc.toml", "--target", "flow-designer"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    // The written subflow prints the `{` from a string (`{{{Fields}}}` would not parse), and
    // its check is clean.
    let out = wxcflow(
        dir.path(),
        &[
            "build",
            "brace.toml",
            "--target",
            "flow-designer",
            "-o",
            "brace.fd.json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    let written = std::fs::read_to_string(dir.path().join("brace.fd.json")).unwrap();
    assert!(
        written.contains(r#""{\"data\": {{ \"{\" }}{{Fields}}}}""#),
        "{written}"
    );
    let out = wxcflow(dir.path(), &["check", "brace.fd.json"]);
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("0 errors, 0 warnings"), "{said}");
}

#[test]
fn a_status_compared_with_text_that_is_not_a_number_matches_on_neither_target() {
    let spec = |value: &str| {
        format!(
            r#"[flow]
name = "Status"
credential_headers = []
[trigger]
type = "webhook"
event = "Status"
sample = '{{"v": "x"}}'
next = "call"
[outcomes.NoMatch]
code = 404
[variables.Expected]
default = "200"
[nodes.call]
type = "http"
method = "GET"
url = "https://svc.example.com/p"
next = {{ onSuccess = "b", onError = "end:Error", onTimeout = "end:Error" }}
[nodes.b]
type = "branch"
branches = [{{ name = "Yes", all = [{{ variable = "$(call.https.statusCode)", operator = "equals", value = "{value}" }}] }}]
next = {{ Yes = "end:Success", none = "end:NoMatch", onError = "end:Error" }}
"#
        )
    };
    let scenario = |outcome: &str| {
        format!(
            "name = \"status 200\"\nspec = \"status.toml\"\n[[http]]\nurl = \"https://svc.example.com/p\"\nstatus = 200\n[expect]\noutcome = \"{outcome}\"\n"
        )
    };
    // Webex Connect compares text: "200 ", "0200" and "+200" are not "200". Canonical "200"
    // stays a number comparison and matches; so does a variable holding "200", compared as text.
    for (value, outcome) in [
        ("200 ", "NoMatch"),
        ("0200", "NoMatch"),
        ("+200", "NoMatch"),
        ("200", "Success"),
        ("$(Expected)", "Success"),
    ] {
        let dir = folder_with(&[
            ("status.toml", &spec(value)),
            ("sc.toml", &scenario(outcome)),
        ]);
        let out = wxcflow(
            dir.path(),
            &["test", "sc.toml", "--target", "flow-designer"],
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{value:?}: {}",
            transcript(&out)
        );
        let out = wxcflow(
            dir.path(),
            &[
                "build",
                "status.toml",
                "--target",
                "flow-designer",
                "-o",
                "s.fd.json",
            ],
        );
        assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
        let written = std::fs::read_to_string(dir.path().join("s.fd.json")).unwrap();
        let number = written.contains("call.httpStatusCode == 200 }}");
        assert_eq!(number, value == "200", "{value:?}");
    }
}

/// A credential by its name (`x-api-key`, `Authorization`, a `pwd` parameter, a URL's password)
/// is shown as `•••` in a run's trace whatever it was made from, as the Connect runner shows it;
/// here from a plain input.
#[test]
fn a_credential_named_header_or_parameter_is_hidden_in_the_trace_whatever_fills_it() {
    let spec = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/flow-designer/specs/subflow.toml"),
    )
    .unwrap();
    let spec = spec.replace(
        "httpRequestHeaders = { x-api-key = \"{{ApiKey}}\" }",
        "httpRequestHeaders = { x-api-key = \"{{Caller}}\", Authorization = \"Bearer {{Caller}}\" }\nhttpQueryParameters = { pwd = \"{{Caller}}\" }",
    );
    assert!(spec.contains("httpQueryParameters"));
    let in_url = spec.replace(
        "https://api.example.com/known?caller={{Caller | urlencode}}",
        "{{Caller}}",
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("named.toml"), &spec).unwrap();
    std::fs::write(dir.path().join("url.toml"), &in_url).unwrap();
    std::fs::write(
        dir.path().join("in.toml"),
        "ApiKey = \"k\"\nCaller = \"zzQ9\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("in-url.toml"),
        "ApiKey = \"k\"\nCaller = \"https://u:zzP3@api.example.com/?key=zzK4\"\n",
    )
    .unwrap();
    for (file, inputs) in [("named.toml", "in.toml"), ("url.toml", "in-url.toml")] {
        let out = wxcflow(dir.path(), &["run", file, "--inputs", inputs]);
        let text = transcript(&out);
        // The inputs' own values are shown with the variables; everything before them, and
        // all that goes to stderr, holds none.
        let stdout = String::from_utf8_lossy(&out.stdout);
        let trace = format!(
            "{}{}",
            stdout.split("variables:").next().unwrap(),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(trace.contains("GET •••"), "{text}");
        for leaked in ["zzQ9", "zzP3", "zzK4"] {
            assert!(!trace.contains(leaked), "{file}: {leaked}: {text}");
        }
    }
}

/// Pebble ends a block at the first `}}` outside strings and brackets: `{{ "}}" }}` is one
/// block that writes `}}` (the runner ended it inside the string and stopped on "a string
/// without its closing quote").
#[test]
fn a_closing_brace_pair_inside_a_string_is_text_of_the_string() {
    let dir = tempfile::tempdir().unwrap();
    let spec = r#"[flow_designer]
name = "P"
type = "SUBFLOW"

[variables.Flag]
source = "SUBFLOW_INPUT"
type = "BOOLEAN"

[variables.Out]
source = "SUBFLOW_OUTPUT"

[activities.Start]
type = "NewSubFlowStart"
next = { out = "C" }

[activities.C]
type = "set-variable"
next = { out = "Done" }

[activities.C.settings]
srcVariable = "Out"
expr = '{{ "}}" }}-{{ Flag ? "a" : "%}}" }}'

[activities.Done]
type = "end-subflow"
"#;
    std::fs::write(dir.path().join("s.toml"), spec).unwrap();
    std::fs::write(dir.path().join("in.toml"), "Flag = false\n").unwrap();
    let check = wxcflow(dir.path(), &["check", "s.toml"]);
    assert_eq!(check.status.code(), Some(0), "{}", transcript(&check));
    let out = wxcflow(dir.path(), &["run", "s.toml", "--inputs", "in.toml"]);
    let text = transcript(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("Out = \"}}-%}}\""), "{text}");
}

/// Pebble reads `#{...}` in a double-quoted string as an interpolation (its documentation:
/// `"Hello #{who}"`). A compared value holding `#{Other}` is written so that Flow Designer
/// reads it as the text, and the subflow ends as the Webex Connect flow does; the run reads a
/// double-quoted `#{...}` as Pebble does, so the same value written in double quotes compares
/// `Other`'s value instead.
#[test]
fn a_compared_value_holding_an_interpolation_is_text_in_flow_designer() {
    let spec = r##"[flow]
name = "Interpolated"

[trigger]
type = "webhook"
event = "Interpolated"
sample = '{"id": "1"}'
next = "same"

[variables.V]
default = "#{Other}"

[variables.Other]
default = "zzz"

[nodes.same]
type = "branch"
branches = [{ name = "Same", all = [
  { variable = "$(V)", operator = "equals", value = "#{Other}" },
  { variable = "$(Other)", operator = "not_equals", value = "#{V}" },
] }]
next = { Same = "end:Success", none = "end:Error", onError = "end:Error" }
"##;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("i.toml"), spec).unwrap();
    let outcome = |args: &[&str]| {
        let out = wxcflow(dir.path(), args);
        let text = transcript(&out);
        assert!(
            text.contains("outcome: Success") || text.contains("FlowOutcome = \"Success\""),
            "{args:?}: {text}"
        );
    };
    outcome(&["run", "i.toml"]);
    let out = wxcflow(
        dir.path(),
        &[
            "build",
            "i.toml",
            "--target",
            "flow-designer",
            "-o",
            "i.json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    let built = std::fs::read_to_string(dir.path().join("i.json")).unwrap();
    assert!(
        built.contains("'#{Other}'") && !built.contains(r##"\"#{Other}\""##),
        "{built}"
    );
    outcome(&["run", "i.json"]);
    // Written in double quotes, the value is `Other`'s: the comparison fails, as in Pebble.
    let doubled = built.replace("'#{Other}'", r##"\"#{Other}\""##);
    std::fs::write(dir.path().join("doubled.json"), doubled).unwrap();
    let out = wxcflow(dir.path(), &["run", "doubled.json"]);
    let text = transcript(&out);
    assert!(text.contains("FlowOutcome = \"Error\""), "{text}");
}

/// A secure value set into an INTEGER variable fits or fails as the secret is: the way on from
/// the set-variable is chosen on it, as a Condition on it would be. The path after it is hidden
/// whether it fits (`out`) or fails (by its `error` port, as an expression that cannot be
/// evaluated), so the run prints the same whatever the secret; `--reveal-path` shows the way.
#[test]
fn a_set_variable_a_secret_makes_fit_or_fail_hides_the_way_on() {
    let spec = |code: &str| {
        format!(
            r#"[flow_designer]
name = "Typed"
type = "SUBFLOW"

[variables.Code]
isSecure = true
value = "{code}"

[variables.Number]
type = "INTEGER"

[variables.After]

[activities.SubflowStart]
type = "NewSubFlowStart"
next = {{ out = "store" }}

[activities.store]
type = "set-variable"
next = {{ out = "after", error = "failed" }}

[activities.store.settings]
srcVariable = "Number"
expr = "{{{{Code}}}}"

[activities.after]
type = "set-variable"
next = {{ out = "EndSubflow" }}

[activities.after.settings]
srcVariable = "After"
expr = "{{{{ 'went on' }}}}"

[activities.failed]
type = "set-variable"
next = {{ out = "EndSubflow" }}

[activities.failed.settings]
srcVariable = "After"
expr = "{{{{ 'failed' }}}}"

[activities.EndSubflow]
type = "end-subflow"
"#
        )
    };
    let dir = tempfile::tempdir().unwrap();
    let mut shown = Vec::new();
    for (file, code) in [("fits.toml", "1234"), ("fails.toml", "12a4")] {
        std::fs::write(dir.path().join(file), spec(code)).unwrap();
        let mut both = String::new();
        for format in ["human", "json"] {
            let out = wxcflow(dir.path(), &["run", file, "--format", format]);
            assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
            both.push_str(&String::from_utf8_lossy(&out.stdout));
        }
        assert!(!both.contains(code) && !both.contains("went on"), "{both}");
        shown.push(both);
    }
    assert_eq!(shown[0], shown[1]);
    let revealed = |file: &str| {
        let out = wxcflow(dir.path(), &["run", file, "--reveal-path"]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert!(revealed("fits.toml").contains("After = \"went on\""));
    assert!(revealed("fails.toml").contains("After = \"failed\""));
}

/// `run --live` of an HTTP activity whose `httpResponseTimeout` asks for an hour, against a
/// server that takes the connection and never answers: the run is held to the Connect runner's
/// cap on any single wait (20 s), leaves the activity as a timeout and ends. Without the cap it
/// would wait the hour; the test stops it (and fails) long before that.
#[cfg(feature = "live")]
#[test]
fn a_live_run_waits_no_longer_than_the_connect_runners_cap() {
    let dir = tempfile::tempdir().unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/known", listener.local_addr().unwrap());
    // Takes every connection and holds it, never answering.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            held.push(stream);
        }
    });
    let spec =
        std::fs::read_to_string(root().join("fixtures/flow-designer/specs/subflow.toml")).unwrap();
    let url_line = spec
        .lines()
        .find(|l| l.starts_with("httpRequestUrl = "))
        .unwrap();
    let spec = spec.replace(
        url_line,
        &format!("httpRequestUrl = \"{url}\"\nhttpResponseTimeout = 3600000"),
    );
    std::fs::write(dir.path().join("slow.toml"), spec).unwrap();
    std::fs::write(
        dir.path().join("in.toml"),
        "Caller = \"1\"\nApiKey = \"k\"\n",
    )
    .unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_wxcflow"))
        .args(["run", "slow.toml", "--inputs", "in.toml", "--live"])
        .current_dir(dir.path())
        .env_remove("HTTP_PROXY")
        .env_remove("HTTPS_PROXY")
        .env_remove("ALL_PROXY")
        .env_remove("http_proxy")
        .env_remove("https_proxy")
        .env_remove("all_proxy")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // A guard against a wait of an hour, not a measure of speed: 15 times the cap.
    let mut ended = false;
    for _ in 0..300 {
        if child.try_wait().unwrap().is_some() {
            ended = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
    if !ended {
        child.kill().unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(ended, "still waiting after 300 s: {}", transcript(&out));
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    let trace = String::from_utf8_lossy(&out.stdout);
    assert!(trace.contains("<- timed out"), "{trace}");
}

/// A scenario of `spec` (one HTTP answer of `status`, or none) must end with `outcome`, and the
/// subflow built from the spec alike (`test --target flow-designer` runs both and compares the
/// outcome and every variable).
fn both_targets_end(spec: &str, trigger: &str, status: Option<u16>, outcome: &str) {
    let http = status.map_or(String::new(), |s| {
        format!("[[http]]\nurl = \"https://svc.example.com/p\"\nstatus = {s}\n")
    });
    let scenario = format!(
        "name = \"both\"\nspec = \"s.toml\"\ntrigger = '{trigger}'\n{http}[expect]\noutcome = \"{outcome}\"\n"
    );
    let dir = folder_with(&[("s.toml", spec), ("sc.toml", &scenario)]);
    let out = wxcflow(
        dir.path(),
        &["test", "sc.toml", "--target", "flow-designer"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{trigger} {status:?}: {}",
        transcript(&out)
    );
}

/// Builds `spec` for Flow Designer in a new folder: the build's output, and the file written.
fn build_fd(spec: &str) -> (std::process::Output, Option<String>) {
    let dir = folder_with(&[("s.toml", spec)]);
    let out = wxcflow(
        dir.path(),
        &[
            "build",
            "s.toml",
            "--target",
            "flow-designer",
            "-o",
            "s.json",
        ],
    );
    let written = std::fs::read_to_string(dir.path().join("s.json")).ok();
    (out, written)
}

/// A status code ordered against a number runs alike on both targets, whichever side it stands
/// on; against a variable (STRING in Flow Designer, which Pebble does not order against a
/// number) it is refused whichever side it stands on, where it was written as `<` with the
/// status code on the left.
#[test]
fn a_status_code_with_no_answer_takes_the_same_branch_on_both_targets() {
    // The request's failures lead to the branch too: with no answer there is no status code,
    // Webex Connect finds every ordering false and the status code equal to empty text.
    let spec = |variable: &str, operator: &str, value: &str| {
        format!(
            r#"[flow]
name = "NoAnswer"
credential_headers = []
[trigger]
type = "webhook"
event = "NoAnswer"
sample = '{{"x": "1"}}'
next = "call"
[nodes.call]
type = "http"
method = "GET"
url = "https://svc.example.com/p"
next = {{ onSuccess = "pick", onError = "pick", onTimeout = "pick" }}
[nodes.pick]
type = "branch"
branches = [{{ name = "Server", all = [{{ variable = "{variable}", operator = "{operator}", value = "{value}" }}] }}]
next = {{ Server = "end:Error", none = "end:Success", onError = "end:Incomplete" }}
"#
        )
    };
    let status = "$(call.https.statusCode)";
    // (condition, whether the `Server` branch is taken with no answer, and with a 503).
    for (variable, operator, value, none, served) in [
        (status, "greater_or_equal", "500", false, true),
        ("500", "less_or_equal", status, false, true),
        (status, "less_than", "300", false, false),
        // Empty text against a status code, either side: no answer, exactly.
        (status, "equals", "", true, false),
        ("", "equals", status, true, false),
        (status, "not_equals", "", false, true),
    ] {
        let spec = spec(variable, operator, value);
        for (reply, taken) in [
            ("fail = \"connection\"", none),
            ("fail = \"timeout\"", none),
            ("status = 503", served),
        ] {
            let expected = if taken { "Error" } else { "Success" };
            let scenario = format!(
                "name = \"no answer\"\nspec = \"s.toml\"\ntrigger = '{{\"x\": \"1\"}}'\n\
                 [[http]]\nurl = \"https://svc.example.com/p\"\n{reply}\n[expect]\noutcome = \"{expected}\"\n"
            );
            let dir = folder_with(&[("s.toml", &spec), ("sc.toml", &scenario)]);
            let out = wxcflow(
                dir.path(),
                &["test", "sc.toml", "--target", "flow-designer"],
            );
            assert_eq!(
                out.status.code(),
                Some(0),
                "{variable} {operator} {value}, {reply}: {}",
                transcript(&out)
            );
        }
    }
}

#[test]
fn a_status_code_ordered_against_a_variable_is_refused_whichever_side_it_stands() {
    let spec = |variable: &str, operator: &str, value: &str| {
        format!(
            r#"[flow]
name = "Ordered"
credential_headers = []
[trigger]
type = "webhook"
event = "Ordered"
sample = '{{"x": "1"}}'
next = "call"
[variables.Limit]
default = "300"
[nodes.call]
type = "http"
method = "GET"
url = "https://svc.example.com/p"
next = {{ onSuccess = "check", onError = "end:Error", onTimeout = "end:Error" }}
[nodes.check]
type = "branch"
branches = [{{ name = "Ok", all = [{{ variable = "{variable}", operator = "{operator}", value = "{value}" }}] }}]
next = {{ Ok = "end:Success", none = "end:Error", onError = "end:Error" }}
"#
        )
    };
    let status = "$(call.https.statusCode)";
    for (variable, operator, value, written) in [
        (status, "less_than", "300", "call.httpStatusCode < 300"),
        ("300", "greater_than", status, "300 > call.httpStatusCode"),
        (
            " 300",
            "greater_or_equal",
            status,
            "300 >= call.httpStatusCode",
        ),
    ] {
        let spec = spec(variable, operator, value);
        for (answer, outcome) in [(200, "Success"), (500, "Error")] {
            both_targets_end(&spec, r#"{"x": "1"}"#, Some(answer), outcome);
        }
        let (out, built) = build_fd(&spec);
        assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
        assert!(built.unwrap().contains(written), "{written}");
    }
    for (variable, operator, value) in [
        (status, "less_than", "$(Limit)"),
        ("$(Limit)", "greater_than", status),
        (status, "greater_or_equal", "$(Limit)"),
        ("$(Limit)", "equals_ignore_case", status),
        (status, "equals_ignore_case", "$(Limit)"),
    ] {
        let (out, built) = build_fd(&spec(variable, operator, value));
        let text = transcript(&out);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{variable} {operator} {value}: {text}"
        );
        assert!(text.contains("wxc::not-expressible"), "{text}");
        assert!(built.is_none(), "nothing is written: {text}");
    }
}

/// A spec whose variable is named `name`, compared and copied into `Result`.
fn literal_named_spec(name: &str) -> String {
    format!(
        r#"[flow]
name = "Named"
[trigger]
type = "webhook"
event = "Named"
sample = '{{"id": "1"}}'
next = "pick"
[variables.{name}]
default = "x"
[variables.Result]
default = ""
result = true
[nodes.pick]
type = "branch"
branches = [{{ name = "Same", all = [{{ variable = "$({name})", operator = "equals", value = "x" }}] }}]
on_leave = [{{ set = {{ Result = "$({name})" }} }}]
next = {{ Same = "end:Success", none = "end:Error", onError = "end:Error" }}
"#
    )
}

/// Pebble reads `true`, `false`, `none` and `null` (lower case or capitals) as literals where a
/// name stands: a variable so named is refused for Flow Designer, where it would compare the
/// literal. `True`, `False` and `None` are names to Pebble (minijinja, which the run renders
/// with, would read them as literals): they build, and both targets end alike. A Flow Designer
/// run reads each word as Pebble does.
#[test]
fn a_variable_named_as_a_pebble_literal_is_refused_and_read_as_pebble_reads_it() {
    for name in ["true", "FALSE", "none", "NULL"] {
        let (out, built) = build_fd(&literal_named_spec(name));
        let text = transcript(&out);
        assert_eq!(out.status.code(), Some(1), "{name}: {text}");
        assert!(
            text.contains(&format!("variable `{name}` would be `{name}` in Flow Designer, which Pebble reads as a literal")),
            "{text}"
        );
        assert!(built.is_none(), "nothing is written: {text}");
    }
    for name in ["True", "False", "None", "Null", "nULL"] {
        let spec = literal_named_spec(name);
        both_targets_end(&spec, r#"{"id": "1"}"#, None, "Success");
        let (out, _) = build_fd(&spec);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", transcript(&out));
    }
    // Names, literals, and a test or member of the same word, as Pebble reads them.
    let dir = folder_with(&[(
        "fd.toml",
        r#"[flow_designer]
name = "Words"
type = "SUBFLOW"

[variables.null]
value = "n"

[variables.TRUE]
value = "t"

[variables.True]
value = "T"

[variables.None]
value = "N"

[variables.Out]
source = "SUBFLOW_OUTPUT"

[activities.Start]
type = "NewSubFlowStart"
next = { out = "Set" }

[activities.Set]
type = "set-variable"
next = { out = "Done" }

[activities.Set.settings]
srcVariable = "Out"
expr = "[{{ null }}|{{ TRUE }}|{{ NONE is null }}|{{ True }}|{{ None }}|{{ FALSE == false }}]"

[activities.Done]
type = "end-subflow"
"#,
    )]);
    let out = wxcflow(dir.path(), &["run", "fd.toml"]);
    let text = transcript(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains(r#"Out = "[|true|true|T|N|true]""#), "{text}");
}

/// A Flow Designer spec holding a template Pebble cannot parse is refused by `build` as by
/// `check`, with the same diagnostic, and nothing is written; `push` refuses a file holding one
/// before it sends anything.
#[test]
fn a_template_pebble_cannot_parse_is_neither_built_nor_pushed() {
    let spec = |expression: &str| {
        format!(
            r#"[flow_designer]
name = "Broken"
type = "SUBFLOW"

[variables.x]
source = "SUBFLOW_INPUT"

[activities.Start]
type = "NewSubFlowStart"
next = {{ out = "C" }}

[activities.C]
type = "condition-activity"
next = {{ true = "Done", false = "Done" }}

[activities.C.settings]
expression = "{expression}"

[activities.Done]
type = "end-subflow"
"#
        )
    };
    let dir = folder_with(&[
        ("broken.toml", &spec("{{ x == 1 }")),
        ("fine.toml", &spec("{{ x == 1 }}")),
    ]);
    let check = wxcflow(dir.path(), &["check", "broken.toml"]);
    assert_eq!(check.status.code(), Some(1), "{}", transcript(&check));
    let build = wxcflow(
        dir.path(),
        &[
            "build",
            "broken.toml",
            "--target",
            "flow-designer",
            "-o",
            "b.json",
        ],
    );
    assert_eq!(build.status.code(), Some(1), "{}", transcript(&build));
    assert!(!dir.path().join("b.json").exists());
    // `check` reports on stdout, `build` on stderr: the diagnostic is the same.
    let first = |text: &[u8]| {
        let text = String::from_utf8_lossy(text).into_owned();
        text.split("\n\n").next().unwrap().to_string()
    };
    assert!(first(&check.stdout).contains("wxc::pebble-syntax"));
    assert_eq!(first(&build.stderr), first(&check.stdout));
    insta::assert_snapshot!("pebble_syntax_build", shown(&build, dir.path()));

    // The same file as an export, its expression broken after the build.
    let out = wxcflow(
        dir.path(),
        &[
            "build",
            "fine.toml",
            "--target",
            "flow-designer",
            "-o",
            "f.json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    let fine = std::fs::read_to_string(dir.path().join("f.json")).unwrap();
    let broken = fine.replace("{{ x == 1 }}", "{{ x == 1 }");
    assert_ne!(broken, fine);
    std::fs::write(dir.path().join("b.json"), broken).unwrap();
    let push = std::process::Command::new(env!("CARGO_BIN_EXE_wxcflow"))
        .args([
            "push",
            "b.json",
            "--org",
            "org-1",
            "--region",
            "us1",
            "--token-env",
            "WXCC_TOKEN",
            // Nothing listens there: the refusal comes before any request.
            "--api-url",
            "http://127.0.0.1:9",
        ])
        .current_dir(dir.path())
        .env("WXCC_TOKEN", "token-never-used")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(push.status.code(), Some(1), "{}", transcript(&push));
    insta::assert_snapshot!("pebble_syntax_push", shown(&push, dir.path()));
}

/// A branch node with named branches and `on_leave` (or `on_enter` and a branch named
/// `enter`) makes a condition and a Set Variable from the same words (`pick_Green`): each
/// gets a name of its own, and both targets end alike on every branch.
#[test]
fn a_long_chain_a_connect_run_finishes_is_finished_as_a_subflow() {
    // 600 branch nodes, each with actions on entering and leaving: about 2,400 activities
    // once lowered, no loop. The Webex Connect run takes 600 steps.
    let mut spec = String::from(
        "[flow]\nname = \"Chain\"\n[trigger]\ntype = \"webhook\"\nevent = \"Chain\"\n\
         sample = '{\"v\": \"1\"}'\nnext = \"n_0\"\n[variables.C]\ndefault = \"\"\nresult = true\n\
         [variables.Y]\ndefault = \"y\"\n",
    );
    for i in 0..600 {
        let next = if i + 1 < 600 {
            format!("n_{}", i + 1)
        } else {
            "end:Success".to_string()
        };
        spec.push_str(&format!(
            "[nodes.n_{i}]\ntype = \"branch\"\n\
             branches = [ {{ name = \"Y\", all = [{{ variable = \"$(Y)\", operator = \"equals\", value = \"y\" }}] }} ]\n\
             on_enter = [{{ set = {{ C = \"{i}\" }} }}]\non_leave = [{{ set = {{ Y = \"y\" }} }}]\n\
             next = {{ Y = \"{next}\", none = \"end:Error\", onError = \"end:Error\" }}\n"
        ));
    }
    both_targets_end(&spec, r#"{"v": "1"}"#, None, "Success");
}

#[test]
fn a_polling_loop_sends_no_more_requests_than_a_connect_run_can() {
    // The subflow's activities are cut at ten for each Connect step; its requests at the
    // Connect run's steps, so that a loop under `run --live` asks a server no more often.
    let spec = r#"[flow]
name = "Poll"
[trigger]
type = "webhook"
event = "Poll"
sample = '{"v": "1"}'
next = "call"
[nodes.call]
type = "http"
method = "GET"
url = "https://svc.example.com/p"
outputs = { done = "$.done" }
next = { onSuccess = "pick", onError = "end:Error", onTimeout = "end:Error" }
[nodes.pick]
type = "branch"
branches = [ { name = "Done", all = [{ variable = "$(call.done)", operator = "equals", value = "yes" }] } ]
next = { Done = "end:Success", none = "call", onError = "end:Error" }
"#;
    let mock = "[[http]]\nurl = \"https://svc.example.com/p\"\nbody = '{\"done\": \"no\"}'\n";
    let dir = folder_with(&[("s.toml", spec), ("m.toml", mock)]);
    let built = wxcflow(
        dir.path(),
        &[
            "build",
            "s.toml",
            "--target",
            "flow-designer",
            "-o",
            "s.json",
        ],
    );
    assert_eq!(built.status.code(), Some(0), "{}", transcript(&built));
    let out = wxcflow(dir.path(), &["run", "s.json", "--mock", "m.toml"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
    assert_eq!(text.matches("GET https://svc.example.com/p").count(), 1000);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(
            "stopped before request 1001 at `call`: a Webex Connect run makes at most 1000, one a step"
        ),
        "{}",
        transcript(&out)
    );
}

#[test]
fn a_branch_s_actions_and_conditions_get_names_of_their_own() {
    let spec = |actions: &str, second: &str| {
        format!(
            r#"[flow]
name = "Pick"
[trigger]
type = "webhook"
event = "Pick"
sample = '{{"colour": "Blue"}}'
next = "pick"
[variables.Seen]
default = ""
result = true
[nodes.pick]
type = "branch"
branches = [
  {{ name = "Blue", all = [{{ variable = "$(start.inboundWebhook.colour)", operator = "equals", value = "Blue" }}] }},
  {{ name = "{second}", all = [{{ variable = "$(start.inboundWebhook.colour)", operator = "equals", value = "Green" }}] }},
]
{actions} = [{{ set = {{ Seen = "$(start.inboundWebhook.colour)" }} }}]
next = {{ Blue = "end:Success", {second} = "end:Error", none = "end:Error", onError = "end:Error" }}
"#
        )
    };
    for spec in [spec("on_leave", "Green"), spec("on_enter", "enter")] {
        let (out, built) = build_fd(&spec);
        assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
        assert!(built.is_some());
        for (colour, outcome) in [("Blue", "Success"), ("Green", "Error"), ("Red", "Error")] {
            both_targets_end(
                &spec,
                &format!(r#"{{"colour": "{colour}"}}"#),
                None,
                outcome,
            );
        }
    }
}

/// Pebble the runner does not model (a filter, test or function Pebble has, such as `title`)
/// stops the run at the activity, exit 1, instead of failing the expression and taking its
/// error port, which would be a guess of what Flow Designer does.
#[test]
fn pebble_the_runner_does_not_model_stops_the_run() {
    let dir = tempfile::tempdir().unwrap();
    for (expr, what) in [
        ("{{ T | title }}", "unknown filter"),
        ("{{ T is odd }}", "unknown test"),
        ("{{ max(1, 2) }}", "unknown function"),
    ] {
        let spec = format!(
            "[flow_designer]\nname = \"Title\"\ntype = \"SUBFLOW\"\n\n[variables.T]\nvalue = \"hello world\"\n\n\
             [variables.R]\n\n[activities.Start]\ntype = \"NewSubFlowStart\"\nnext = {{ out = \"Set\" }}\n\n\
             [activities.Set]\ntype = \"set-variable\"\nnext = {{ out = \"Done\", error = \"Failed\" }}\n\n\
             [activities.Set.settings]\nsrcVariable = \"R\"\nexpr = '{expr}'\n\n\
             [activities.Done]\ntype = \"end-subflow\"\n\n[activities.Failed]\ntype = \"end-subflow\"\n"
        );
        std::fs::write(dir.path().join("title.toml"), spec).unwrap();
        let out = wxcflow(dir.path(), &["run", "title.toml"]);
        let text = transcript(&out);
        assert_eq!(out.status.code(), Some(1), "{expr}: {text}");
        assert!(
            text.contains(&format!("stopped: activity `Set` ({what}")),
            "{expr}: {text}"
        );
        assert!(
            !text.contains("Failed") && !text.contains("error port"),
            "{expr}: {text}"
        );
    }
}

/// An input takes its variable's type: `Code = 10` for a STRING variable is the text "10", as
/// the trace shows it, so it runs as `Code = "10"` does (it compared as a number before, and
/// the two runs showed the same value and ended apart).
#[test]
fn an_input_holds_its_variables_type() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("cmp.toml"),
        "[flow_designer]\nname = \"Cmp\"\ntype = \"SUBFLOW\"\n\n[variables.Code]\nsource = \"SUBFLOW_INPUT\"\n\n\
         [activities.Start]\ntype = \"NewSubFlowStart\"\nnext = { out = \"IsTen\" }\n\n\
         [activities.IsTen]\ntype = \"condition-activity\"\nnext = { true = \"Ten\", false = \"NotTen\" }\n\n\
         [activities.IsTen.settings]\nexpression = \"{{ Code == 10 }}\"\n\n\
         [activities.Ten]\ntype = \"end-subflow\"\n\n[activities.NotTen]\ntype = \"end-subflow\"\n",
    )
    .unwrap();
    let mut transcripts = Vec::new();
    for (file, value) in [("number.toml", "10"), ("text.toml", "\"10\"")] {
        std::fs::write(dir.path().join(file), format!("Code = {value}\n")).unwrap();
        let out = wxcflow(dir.path(), &["run", "cmp.toml", "--inputs", file]);
        assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
        transcripts.push(String::from_utf8_lossy(&out.stdout).into_owned());
    }
    assert_eq!(transcripts[0], transcripts[1]);
    assert!(
        transcripts[0].contains("Code = \"10\""),
        "{}",
        transcripts[0]
    );
    // nan and inf are no number a DECIMAL holds: refused, not read as empty.
    let spec = std::fs::read_to_string(dir.path().join("cmp.toml")).unwrap();
    let decimal = spec.replace(
        "[variables.Code]\n",
        "[variables.Code]\ntype = \"DECIMAL\"\n",
    );
    std::fs::write(dir.path().join("dec.toml"), decimal).unwrap();
    for value in ["nan", "inf", "-inf"] {
        std::fs::write(dir.path().join("in.toml"), format!("Code = {value}\n")).unwrap();
        let out = wxcflow(dir.path(), &["run", "dec.toml", "--inputs", "in.toml"]);
        assert_eq!(out.status.code(), Some(1), "{value}: {}", transcript(&out));
        assert!(
            transcript(&out).contains("error[wxc::invalid-inputs]: variable `Code` is a DECIMAL"),
            "{value}: {}",
            transcript(&out)
        );
    }
}

/// `test --target flow-designer` gives the subflow the webhook's fields as the Connect run reads
/// them: a JSON `null` is empty text on both sides (it was the text "null" in the subflow, and
/// the harness failed a flow both targets run alike).
#[test]
fn a_null_webhook_field_is_empty_text_in_both_runs() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("nullfield.toml"),
        "[flow]\nname = \"NullField\"\n\n[trigger]\ntype = \"webhook\"\nevent = \"NullField\"\n\
         sample = '{\"v\": \"s\"}'\nnext = \"b\"\n\n[variables.X]\ndefault = \"\"\nresult = true\n\n\
         [nodes.b]\ntype = \"branch\"\non_enter = [{ set = { X = \"[$(start.inboundWebhook.v)]\" } }]\n\
         branches = [ { name = \"Yes\", all = [{ variable = \"$(X)\", operator = \"equals\", value = \"[]\" }] } ]\n\
         next = { Yes = \"end:Success\", none = \"end:Error\", onError = \"end:Error\" }\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("scenario.toml"),
        "name = \"null webhook field\"\nspec = \"nullfield.toml\"\ntrigger = '{\"v\": null}'\n\n\
         [expect]\noutcome = \"Success\"\nvariables = { X = \"[]\" }\n",
    )
    .unwrap();
    for target in [&[][..], &["--target", "flow-designer"]] {
        let mut args = vec!["test", "scenario.toml"];
        args.extend_from_slice(target);
        let out = wxcflow(dir.path(), &args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", transcript(&out));
    }
}

/// A `[flow_designer] differs` name the spec does not have (a typo) fails the scenario: it
/// would excuse nothing, and passed silently.
#[test]
fn a_differs_name_the_spec_does_not_have_fails_the_scenario() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("d.toml"),
        "name = \"typo\"\n[values]\nstatic_token = \"st\"\n[expect]\noutcome = \"Success\"\n\
         [flow_designer]\ndiffers = { NoSuchVariable = \"typo of TokenMessage\" }\n",
    )
    .unwrap();
    let out = wxcflow(dir.path(), &["test", "d.toml", "--target", "flow-designer"]);
    let text = transcript(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("[flow_designer] differs: expected a variable of the spec, or FlowOutcome, got `NoSuchVariable`, which the spec does not have"),
        "{text}"
    );
}

/// A scenario whose spec is a Flow Designer file is told so, with what to run instead, not
/// read as a broken Webex Connect spec (`invalid TOML`, `unknown key 'activities'`).
#[test]
fn a_scenario_naming_a_flow_designer_file_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let out = wxcflow(
        dir.path(),
        &["build", "--target", "flow-designer", "-o", "g.fd.json"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/flow-designer/specs/subflow.toml"),
        dir.path().join("fd-spec.toml"),
    )
    .unwrap();
    for (spec, what) in [
        ("g.fd.json", "a Flow Designer export"),
        ("fd-spec.toml", "a Flow Designer spec"),
    ] {
        std::fs::write(
            dir.path().join("s.toml"),
            format!("name = \"fd\"\nspec = \"{spec}\"\n[expect]\noutcome = \"Error\"\n"),
        )
        .unwrap();
        let out = wxcflow(dir.path(), &["test", "s.toml"]);
        let text = transcript(&out);
        assert_eq!(out.status.code(), Some(1), "{text}");
        assert!(
            text.contains(&format!(
                "its spec {spec} is {what}: scenarios run Webex Connect specs"
            )),
            "{text}"
        );
    }
}

/// A scenario that is not UTF-8 fails with the code and line every command tells it by.
#[test]
fn a_scenario_that_is_not_utf8_is_told_by_its_code_and_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("s.toml"),
        b"name = \"caf\xe9\"\n[expect]\noutcome = \"Error\"\n",
    )
    .unwrap();
    let out = wxcflow(dir.path(), &["test", "s.toml"]);
    let text = transcript(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains(
            "FAIL  s.toml: wxc::toml-syntax: invalid TOML file: not UTF-8 text at s.toml:1"
        ),
        "{text}"
    );
}
