//! Running flows locally: semantics, scenarios, the CLI, and a real token service on 127.0.0.1.
// A test stops at the first thing that is not as expected.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg_attr(not(feature = "live"), allow(unused_imports))]

use crate::common;

use common::wxcflow;

use serde_json::json;
use std::io::{BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use wxcflow::spec::builder::*;
use wxcflow::tools::simulate::mock::{MockClient, MockExchange};
use wxcflow::tools::simulate::NoChildren;

/// Compiles a spec built in Rust.
fn flow_of(spec: &wxcflow::spec::Spec) -> wxcflow::flow::Flow {
    common::compiler()
        .build_spec(spec, None)
        .output
        .expect("builds")
        .0
        .flow
}

/// Runs a flow with an empty body and no HTTP answers.
fn run_without_http(
    flow: &wxcflow::flow::Flow,
    children: &dyn wxcflow::tools::simulate::FlowResolver,
) -> wxcflow::tools::simulate::Run {
    wxcflow::flow::Flow::simulate(
        flow,
        &json!({}),
        &mut MockClient { exchanges: vec![] },
        children,
    )
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn the_get_oauth_token_scenarios_pass() {
    let out = wxcflow(root(), &["test", "fixtures/scenarios"]);
    insta::assert_snapshot!(text(&out.stdout));
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn a_failing_scenario_shows_expected_against_actual() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("wrong.toml"),
        "name = \"expects the wrong things\"\n[values]\nstatic_token = \"s-1\"\n\n[expect]\noutcome = \"Error\"\n\
         variables = { TokenSource = \"service\", JDSToken = \"other\" }\nvisited = [\"token_source\"]\nrequests = [{ method = \"GET\" }]\n",
    )
    .unwrap();
    let out = wxcflow(dir.path(), &["test", "wrong.toml"]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(!stdout.contains("s-1"), "a secret value is shown");
    insta::assert_snapshot!(stdout);
}

/// A flow with one branch per operator, each true for the trigger body below.
fn operators_flow() -> wxcflow::flow::Flow {
    let cases: [(&str, &str, &str); 15] = [
        ("$(start.inboundWebhook.name)", "equals", "Ada"),
        ("$(start.inboundWebhook.name)", "not_equals", "Bob"),
        ("$(start.inboundWebhook.n)", "less_than", "10"),
        ("$(start.inboundWebhook.n)", "greater_than", "2.5"),
        ("$(start.inboundWebhook.n)", "less_or_equal", "7"),
        ("$(start.inboundWebhook.n)", "greater_or_equal", "7"),
        ("$(start.inboundWebhook.name)", "regex", "^A[a-z]+$"),
        ("$(start.inboundWebhook.name)", "equals_ignore_case", "ADA"),
        ("$(start.inboundWebhook.name)", "contains", "d"),
        ("$(start.inboundWebhook.name)", "contains_ignore_case", "DA"),
        ("$(start.inboundWebhook.tier)", "in", "gold, silver"),
        ("$(start.inboundWebhook.tier)", "not_in", "bronze,tin"),
        ("$(start.inboundWebhook.name)", "starts_with", "Ad"),
        ("$(start.inboundWebhook.name)", "ends_with", "da"),
        ("$(start.inboundWebhook.n)", "between", "5"),
    ];
    let mut b = FlowBuilder::new("Operators").webhook(
        "Ops",
        r#"{"name": "Ada", "n": "7", "tier": "gold"}"#,
        "op0",
    );
    for (i, (variable, operator, value)) in cases.iter().enumerate() {
        let c = if *operator == "between" {
            between(*variable, *value, "9")
        } else {
            cond(*variable, operator, *value)
        };
        // Branch "Yes" must hold; a false one would go to end:Error.
        let next = if i + 1 < cases.len() {
            format!("op{}", i + 1)
        } else {
            "end:Success".into()
        };
        b = b.node(
            format!("op{i}"),
            branch()
                .branch("Yes", JoinWith::All, vec![c])
                .next("Yes", next)
                .next("none", "end:Error")
                .next("onError", "end:Error"),
        );
    }
    flow_of(&b.build())
}

#[test]
fn all_fifteen_operators_hold_where_they_should() {
    let flow = operators_flow();
    let body = json!({"name": "Ada", "n": "7", "tier": "gold"});
    let result = wxcflow::flow::Flow::simulate(
        &flow,
        &body,
        &mut MockClient { exchanges: vec![] },
        &NoChildren,
    );
    assert_eq!(
        result.outcome.as_deref(),
        Some("Success"),
        "{}",
        result.render_text()
    );
    assert_eq!(result.steps.len(), 15);
    // And fail where they should: a different body leaves at the first branch.
    let other = json!({"name": "Bob", "n": "70", "tier": "tin"});
    let result = wxcflow::flow::Flow::simulate(
        &flow,
        &other,
        &mut MockClient { exchanges: vec![] },
        &NoChildren,
    );
    assert_eq!(result.outcome.as_deref(), Some("Error"));
    assert_eq!(result.steps[0].outcome, "none");
}

/// Ordering reads decimal text as numbers; `inf`, `NaN`, hex and empty text are none.
#[test]
fn numeric_comparisons_read_only_decimal_text_as_numbers() {
    for (n, operator, value, holds) in [
        ("5", "less_than", "1e2", true),
        ("-2.5", "less_than", "0", true),
        ("5", "less_than", "inf", false),
        ("5", "greater_than", "-infinity", false),
        ("NaN", "less_or_equal", "1", false),
        ("0x10", "greater_than", "1", false),
        ("", "less_than", "1", false),
        ("1e400", "greater_than", "1", false),
    ] {
        let c = cond("$(start.inboundWebhook.n)", operator, value);
        let flow = flow_of(
            &FlowBuilder::new("Numbers")
                .webhook("Numbers", r#"{"n": "1"}"#, "b")
                .node(
                    "b",
                    branch()
                        .branch("Yes", JoinWith::All, vec![c])
                        .next("Yes", "end:Success")
                        .next("none", "end:Error")
                        .next("onError", "end:Error"),
                )
                .build(),
        );
        let result = wxcflow::flow::Flow::simulate(
            &flow,
            &json!({ "n": n }),
            &mut MockClient { exchanges: vec![] },
            &NoChildren,
        );
        let expected = if holds { "Success" } else { "Error" };
        assert_eq!(
            result.outcome.as_deref(),
            Some(expected),
            "{n} {operator} {value}"
        );
    }
}

#[test]
fn an_invalid_regex_leaves_through_on_error() {
    // Written out, the check refuses it; taken from a variable, the run meets it.
    let spec = FlowBuilder::new("Re")
        .webhook("Re", r#"{"a": "x"}"#, "check")
        .variable("Pattern", Var::new().default_value("(unclosed"))
        .node(
            "check",
            branch()
                .branch(
                    "Match",
                    JoinWith::All,
                    vec![cond("$(start.inboundWebhook.a)", "regex", "$(Pattern)")],
                )
                .next("Match", "end:Success")
                .next("none", "end:Success")
                .next("onError", "end:Error"),
        )
        .build();
    let flow = flow_of(&spec);
    let result = wxcflow::flow::Flow::simulate(
        &flow,
        &json!({"a": "x"}),
        &mut MockClient { exchanges: vec![] },
        &NoChildren,
    );
    assert_eq!(result.steps[0].outcome, "onError");
}

#[test]
fn a_loop_is_cut_with_a_clear_error() {
    let spec = FlowBuilder::new("Loop")
        .webhook("Loop", "{}", "a")
        .node(
            "a",
            call_flow("Child")
                .next("onSuccess", "b")
                .next("onError", "b"),
        )
        .node(
            "b",
            branch()
                .branch("Again", JoinWith::All, vec![cond("x", "equals", "x")])
                .next("Again", "a")
                .next("none", "end:Success")
                .next("onError", "end:Error"),
        )
        .build();
    let flow = flow_of(&spec);
    struct Child(wxcflow::flow::Flow);
    impl wxcflow::tools::simulate::FlowResolver for Child {
        fn resolve(
            &self,
            _: &str,
        ) -> Result<wxcflow::flow::Flow, wxcflow::tools::simulate::ChildError> {
            Ok(self.0.clone())
        }
    }
    let child_spec = FlowBuilder::new("Child")
        .webhook("Child", "{}", "c")
        .node(
            "c",
            branch()
                .branch("Go", JoinWith::All, vec![cond("1", "equals", "1")])
                .next("Go", "end:Success")
                .next("none", "end:Error")
                .next("onError", "end:Error"),
        )
        .build();
    let child = flow_of(&child_spec);
    let result = run_without_http(&flow, &Child(child));
    assert_eq!(result.outcome, None);
    assert!(
        result
            .error
            .as_ref()
            .unwrap()
            .to_string()
            .starts_with("cut after 1000 steps"),
        "{:?}",
        result.error
    );
}

#[test]
fn an_evaluate_node_stops_the_run_by_name() {
    let spec = FlowBuilder::new("Eval")
        .webhook("Eval", "{}", "score")
        .node(
            "score",
            evaluate("1 + 1", ["two"])
                .next("two", "end:Success")
                .next("onInvalidChoice", "end:Error")
                .next("onError", "end:Error"),
        )
        .build();
    let flow = flow_of(&spec);
    let result = run_without_http(&flow, &NoChildren);
    // The step it stopped at left by no outcome: said so, not an empty one.
    assert!(
        result
            .render_text()
            .contains("  n3 score (the run stopped here)\n"),
        "{}",
        result.render_text()
    );
    assert_eq!(
        serde_json::to_value(&result).unwrap()["steps"][0]["outcome"],
        serde_json::Value::Null
    );
    assert_eq!(
        result.error.map(|e| e.to_string()).as_deref(),
        Some(
            "node `score` (n3) is an Evaluate node: its JavaScript is not supported in simulation"
        )
    );
}

#[test]
fn http_outputs_and_built_ins_are_set() {
    let spec = FlowBuilder::new("Out")
        .webhook("Out", "{}", "get")
        .variable("Got", Var::new())
        .node(
            "get",
            http("GET", "https://api.example.com/x")
                .output("deep", "$.a.b[1]")
                .on_leave(
                    None,
                    [(
                        "Got",
                        "$(get.deep)|$(get.https.statusCode)|$(get.https.statusText)",
                    )],
                )
                .next("onSuccess", "end:Success")
                .next("onError", "end:Error")
                .next("onTimeout", "end:Error"),
        )
        .build();
    let flow = flow_of(&spec);
    let run = |status: u16| {
        let exchange: MockExchange = toml::from_str(&format!("url = \"https://api.example.com/x\"\nstatus = {status}\nbody = '{{\"a\": {{\"b\": [1, {{\"c\": 2}}]}}}}'\n")).unwrap();
        wxcflow::flow::Flow::simulate(
            &flow,
            &json!({}),
            &mut MockClient {
                exchanges: vec![exchange],
            },
            &NoChildren,
        )
    };
    // A mocked reply's reason phrase is its code's standard one.
    let moved = run(301);
    assert_eq!(
        moved.variables["Got"].expose(),
        r#"{"c":2}|301|Moved Permanently"#
    );
    let result = run(404);
    assert_eq!(result.variables["Got"].expose(), r#"{"c":2}|404|Not Found"#);
    assert_eq!(
        result.steps[0].outcome, "onSuccess",
        "a 404 still leaves through onSuccess"
    );
}

#[test]
fn the_run_command_prints_a_masked_trace_as_text_and_json() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("mock.toml"),
        "[[http]]\nurl = \"https://token.example.com/t\"\nbody = '{\"status\": \"200\", \"token\": \"tok-secret-1\"}'\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("tenant.toml"),
        "token_service_url = \"https://token.example.com/t\"\ntoken_passphrase = { env = \"RUN_PASSPHRASE\" }\n",
    )
    .unwrap();
    let mut outputs = String::new();
    for format in ["human", "json"] {
        let out = Command::new(env!("CARGO_BIN_EXE_wxcflow"))
            .args([
                "run",
                "--values",
                "tenant.toml",
                "--mock",
                "mock.toml",
                "--format",
                format,
            ])
            .current_dir(dir.path())
            .env("RUN_PASSPHRASE", "pp-secret-2")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let stdout = text(&out.stdout);
        for secret in ["tok-secret-1", "pp-secret-2"] {
            assert!(
                !stdout.contains(secret) && !text(&out.stderr).contains(secret),
                "{secret} leaked in {format}"
            );
        }
        outputs.push_str(&format!("--- {format} ---\n{stdout}"));
    }
    insta::assert_snapshot!(outputs);
}

/// A token service with the contract of the TeamCCEP sample: `GET ?name=`, passphrase header,
/// 200 `{"status":"200","token":...}` or 500 `{"status":"500","message":...}`.
#[cfg(feature = "live")]
fn token_service(requests: usize) -> (String, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://{}/token-service?name=jds",
        listener.local_addr().unwrap()
    );
    let handle = std::thread::spawn(move || {
        for stream in listener.incoming().take(requests) {
            let mut stream = stream.unwrap();
            stream
                .set_read_timeout(Some(std::time::Duration::from_secs(5)))
                .unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let head = common::read_request_head(&mut reader);
            let request_line = head.lines().next().unwrap_or("");
            let passphrase = head.lines().skip(1).find_map(|line| {
                let (k, v) = line.split_once(':')?;
                k.eq_ignore_ascii_case("x-token-passphrase")
                    .then(|| v.trim().to_string())
            });
            let (status, body) = if !request_line.contains("name=") {
                (
                    "500 Internal Server Error",
                    r#"{"status":"500","message":"Missing Token Name"}"#,
                )
            } else {
                match passphrase.as_deref() {
                    None => (
                        "500 Internal Server Error",
                        r#"{"status":"500","message":"Missing Passphrase"}"#,
                    ),
                    Some("right-passphrase") => (
                        "200 OK",
                        r#"{"status":"200","token":"live_PF84_1eb65fdf-9643-417f-9974-ad72cae0e10f"}"#,
                    ),
                    Some(_) => (
                        "500 Internal Server Error",
                        r#"{"status":"500","message":"Invalid Token Passphrase"}"#,
                    ),
                }
            };
            let reply = format!("HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
            stream.write_all(reply.as_bytes()).unwrap();
            let _ = reader.read_to_end(&mut Vec::new());
        }
    });
    (url, handle)
}

#[cfg(feature = "live")]
fn live_run(dir: &Path, url: &str, passphrase: &str) -> serde_json::Value {
    std::fs::write(
        dir.join("tenant.toml"),
        format!("token_service_url = \"{url}\"\ntoken_passphrase = {{ env = \"LIVE_PASSPHRASE\" }}\nstatic_token = {{ env = \"LIVE_STATIC\" }}\n"),
    )
    .unwrap();
    // A proxy in the environment that nothing listens on: plain http never goes through one
    // (it would read the passphrase header), so the service is still reached.
    let no_proxy_here = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let mut command = Command::new(env!("CARGO_BIN_EXE_wxcflow"));
    for name in wxcflow::flow_designer::push::Call::PROXY_VARIABLES {
        command.env(name, &no_proxy_here);
    }
    let out = command
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .args([
            "run",
            "--live",
            "--values",
            "tenant.toml",
            "--format",
            "json",
        ])
        .current_dir(dir)
        .env("LIVE_PASSPHRASE", passphrase)
        .env("LIVE_STATIC", "static-live-fallback")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[cfg(feature = "live")]
#[test]
fn live_runs_against_a_local_token_service() {
    let dir = tempfile::tempdir().unwrap();
    // The right passphrase: the service's token (masked in output, so check the source).
    let (url, server) = token_service(1);
    let right = live_run(dir.path(), &url, "right-passphrase");
    // Checked before waiting for the service: a request that went elsewhere (a proxy) fails
    // here rather than leaving the service waiting.
    assert_eq!(right["variables"]["TokenSource"], "service");
    server.join().unwrap();
    assert_eq!(right["outcome"], "Success");
    assert_eq!(right["variables"]["TokenStatus"], "200");
    // The wrong passphrase: 500 Invalid Token Passphrase, so the static token.
    let (url, server) = token_service(1);
    let wrong = live_run(dir.path(), &url, "wrong-passphrase");
    server.join().unwrap();
    assert_eq!(wrong["variables"]["TokenSource"], "static");
    assert_eq!(wrong["variables"]["TokenStatus"], "500");
    assert_eq!(
        wrong["variables"]["TokenMessage"],
        "Invalid Token Passphrase"
    );
    // The service down: the connection fails, so the static token.
    let closed = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        format!(
            "http://{}/token-service?name=jds",
            listener.local_addr().unwrap()
        )
    };
    let down = live_run(dir.path(), &closed, "right-passphrase");
    assert_eq!(down["variables"]["TokenSource"], "static");
    assert_eq!(
        down["variables"]["TokenMessage"],
        "token service unreachable"
    );
    assert_eq!(down["outcome"], "Success");
}

#[test]
fn actions_run_in_order_each_seeing_the_ones_before() {
    let spec = FlowBuilder::new("Order")
        .webhook("Order", r#"{"a": "x"}"#, "b")
        .variable("S", Var::new().default_value("init"))
        .variable("T", Var::new())
        .node(
            "b",
            branch()
                .on_enter([("S", "one")])
                .on_enter([("S", "$(S)-two")])
                .on_enter([("T", "$(S)")])
                .branch(
                    "Both",
                    JoinWith::All,
                    vec![cond("$(T)", "equals", "one-two")],
                )
                .next("Both", "end:Success")
                .next("none", "end:Error")
                .next("onError", "end:Error"),
        )
        .build();
    let result = wxcflow::flow::Flow::simulate(
        &flow_of(&spec),
        &json!({"a": "x"}),
        &mut MockClient { exchanges: vec![] },
        &NoChildren,
    );
    assert_eq!(result.outcome.as_deref(), Some("Success"));
    assert_eq!(result.variables["T"].expose(), "one-two");
}

#[test]
fn steps_of_called_flows_name_the_flows_that_led_there() {
    struct Children(Vec<wxcflow::flow::Flow>);
    impl wxcflow::tools::simulate::FlowResolver for Children {
        fn resolve(
            &self,
            name: &str,
        ) -> Result<wxcflow::flow::Flow, wxcflow::tools::simulate::ChildError> {
            self.0
                .iter()
                .find(|f| f.name == name)
                .cloned()
                .ok_or_else(|| wxcflow::tools::simulate::ChildError::NotFound {
                    flow: name.to_string(),
                    searched: Vec::new(),
                })
        }
    }
    let done = || {
        branch()
            .branch("Go", JoinWith::All, vec![cond("1", "equals", "1")])
            .next("Go", "end:Success")
            .next("none", "end:Error")
            .next("onError", "end:Error")
    };
    let parent = FlowBuilder::new("Parent")
        .webhook("Parent", "{}", "call_child")
        .node(
            "call_child",
            call_flow("Child")
                .next("onSuccess", "after")
                .next("onError", "end:Error"),
        )
        .node("after", done())
        .build();
    let child = FlowBuilder::new("Child")
        .webhook("Child", "{}", "call_grand")
        .node(
            "call_grand",
            call_flow("Grand")
                .next("onSuccess", "end:Success")
                .next("onError", "end:Error"),
        )
        .build();
    let grand = FlowBuilder::new("Grand")
        .webhook("Grand", "{}", "g")
        .node("g", done())
        .build();
    let children = Children(vec![flow_of(&child), flow_of(&grand)]);
    let result = run_without_http(&flow_of(&parent), &children);
    assert_eq!(result.outcome.as_deref(), Some("Success"), "{result:?}");
    assert_eq!(
        result.visited(),
        ["call_child", "Child/call_grand", "Child/Grand/g", "after"]
    );
    let grand_step = &result.steps[2].node;
    assert_eq!(grand_step.call_chain, ["Child", "Grand"]);
    assert_eq!(grand_step.key, "g");
    let labels: Vec<String> = result.steps.iter().map(|s| s.node.to_string()).collect();
    let json = serde_json::to_value(&result).unwrap();
    let json_labels: Vec<&str> = json["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["node"].as_str().unwrap())
        .collect();
    assert_eq!(labels, json_labels);
    assert_eq!(
        labels,
        [
            "n3 call_child",
            "Child/n3 call_grand",
            "Child/Grand/n3 g",
            "n4 after"
        ]
    );
}

#[test]
fn a_value_doubling_in_a_loop_stops_the_run_instead_of_taking_the_memory() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("grow.toml"),
        "[flow]\nname = \"Grow\"\n\n[trigger]\ntype = \"webhook\"\nevent = \"Grow\"\nsample = '{\"hook\": \"null\"}'\nnext = \"a\"\n\n\
         [variables.X]\ndefault = \"ab\"\n\n[outcomes.Done]\ncode = 200\ndescription = \"done\"\n\n\
         [nodes.a]\ntype = \"branch\"\nbranches = [{ name = \"Never\", all = [{ variable = \"$(X)\", operator = \"equals\", value = \"no\" }] }]\n\
         on_enter = [{ set = { X = \"$(X)$(X)\" } }]\nnext = { Never = \"end:Done\", none = \"a\", onError = \"end:Done\" }\n",
    )
    .unwrap();
    let out = wxcflow(dir.path(), &["run", "grow.toml"]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("stopped: node `a` makes a value of more than 10485760 bytes"),
        "{}",
        &stdout[stdout.len().saturating_sub(400)..]
    );
    // Twenty-three doublings were kept (the last of 8 MiB), not the thousand the step limit allows.
    assert_eq!(stdout.matches("n3 a -> none").count(), 22);
}

/// A flow whose branch compares secret `Pin` with `0000` (as `check` refuses in a spec, so the
/// flow is changed after it is built): which way it went tells something of the PIN.
fn pin_flow(pin: &str) -> wxcflow::flow::Flow {
    let source = wxcflow::SourceFile::new(
        "pin.toml",
        format!(
            "[flow]\nname = \"Pin\"\n\n[trigger]\ntype = \"webhook\"\nevent = \"Pin\"\n\
             sample = '{{\"id\": \"1\"}}'\nnext = \"check\"\n\n\
             [variables.Pin]\ndefault = \"{pin}\"\nsecret = true\n\n\
             [variables.Said]\ndefault = \"\"\n\n\
             [nodes.check]\ntype = \"branch\"\n\
             branches = [{{ name = \"Default\", all = [{{ variable = \"$(Pin)\", operator = \"equals\", value = \"\" }}] }}]\n\
             on_leave = [{{ set = {{ Said = \"left\" }} }}]\n\
             next = {{ Default = \"default_pin\", none = \"end:Success\", onError = \"end:Error\" }}\n\n\
             [nodes.default_pin]\ntype = \"branch\"\non_enter = [{{ set = {{ Said = \"default\" }} }}]\n\
             branches = [{{ name = \"Yes\", all = [{{ variable = \"$(Said)\", operator = \"equals\", value = \"default\" }}] }}]\n\
             next = {{ Yes = \"end:Error\", none = \"end:Error\", onError = \"end:Error\" }}\n"
        ),
    );
    let mut flow = common::compiler()
        .build_symbolic(&source)
        .output
        .expect("builds")
        .0
        .flow;
    compare_pin_with(&mut flow, "0000");
    flow
}

/// Every branch condition on `$(Pin)` compares it with `value`.
fn compare_pin_with(flow: &mut wxcflow::flow::Flow, value: &str) {
    for node in &mut flow.nodes {
        if let wxcflow::flow::NodeKind::Branch(b) = &mut node.kind {
            let conditions = b
                .branches
                .iter_mut()
                .flat_map(|arm| arm.conditions.iter_mut());
            for c in conditions.filter(|c| c.variable == "$(Pin)") {
                c.value = value.into();
            }
        }
    }
}

/// A Connect run whose branch was chosen on a secret shows the steps up to that branch, with its
/// outcome, the end and every variable as the mask: the same whatever the secret, unless the
/// path is revealed. A test of whether the secret is set is no such choice.
#[test]
fn a_connect_run_hides_the_path_after_a_branch_chosen_on_a_secret() {
    let shown = |pin: &str, reveal: bool| {
        let run = run_without_http(&pin_flow(pin), &NoChildren);
        let run = if reveal {
            run
        } else {
            run.without_secret_path()
        };
        (run.render_text(), run.render_json())
    };
    let (default, own) = (shown("0000", false), shown("4711", false));
    assert_eq!(default, own);
    assert!(
        default.0.contains("n3 check -> •••")
            && default.0.contains("the path after `check` is not shown")
            && default.0.contains("outcome: •••")
            && default.0.contains("Said = \"•••\"")
            && !default.0.contains("default_pin"),
        "{}",
        default.0
    );
    assert!(default.1.contains("\"path_hidden\": true"), "{}", default.1);
    let (default, own) = (shown("0000", true), shown("4711", true));
    assert_ne!(default, own);
    assert!(default.0.contains("default_pin"), "{}", default.0);
    // Whether the secret is set: the branch as built, shown whole.
    let set = |pin: &str| {
        let source = pin_flow(pin);
        let mut flow = source.clone();
        compare_pin_with(&mut flow, "");
        run_without_http(&flow, &NoChildren).without_secret_path()
    };
    let run = set("4711");
    assert!(!run.path_hidden && run.outcome.as_deref() == Some("Success"));
}

/// A run cut in a loop names the node it would have run next, which the trace does not show:
/// the last step shown is the other one.
#[test]
fn a_run_cut_in_a_loop_names_the_node_it_did_not_run() {
    let spec = FlowBuilder::new("Loop")
        .webhook("Loop", "{}", "a")
        .node(
            "a",
            branch()
                .branch("Never", JoinWith::All, vec![cond("1", "equals", "2")])
                .next("Never", "end:Success")
                .next("none", "b")
                .next("onError", "end:Error"),
        )
        .node(
            "b",
            branch()
                .branch("Never", JoinWith::All, vec![cond("1", "equals", "2")])
                .next("Never", "end:Success")
                .next("none", "a")
                .next("onError", "end:Error"),
        )
        .build();
    let result = run_without_http(&flow_of(&spec), &NoChildren);
    let error = result.error.as_ref().unwrap().to_string();
    assert_eq!(
        error,
        "cut after 1000 steps: the flow loops without reaching an end (the next node would be n3, not run)"
    );
    assert_eq!(result.visited().last().map(String::as_str), Some("b"));
}
