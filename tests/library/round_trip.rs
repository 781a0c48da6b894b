//! spec -> document -> spec -> document is byte-identical.
// A test stops at the first thing that is not as expected.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use common::fixture;
use wxcflow::diagnostic::SourceFile;

fn round_trip(source: &SourceFile) -> (String, String, String) {
    let first = common::compiler().build(source).output.expect("compiles");
    let spec = first.0.decompile();
    let again = common::compiler().build(&SourceFile::new("decompiled.toml", spec.clone()));
    let second = again.output.unwrap_or_else(|| {
        panic!(
            "{}\n{spec}",
            wxcflow::diagnostic::Diagnostic::render_human(&again.diagnostics, &[])
        )
    });
    (first.1, spec, second.1)
}

#[test]
fn every_fixture_round_trips() {
    let mut sources = vec![SourceFile::new(
        wxcflow::DEFAULT_SPEC_NAME,
        wxcflow::DEFAULT_SPEC,
    )];
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/valid");
    sources.extend(
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| fixture(&e.unwrap().path())),
    );
    for source in &sources {
        let (first, _, second) = round_trip(source);
        assert_eq!(first, second, "{}", source.name);
    }
}

#[test]
fn the_decompiled_get_oauth_token_reads_like_a_spec() {
    let (_, spec, _) = round_trip(&SourceFile::new(
        wxcflow::DEFAULT_SPEC_NAME,
        wxcflow::DEFAULT_SPEC,
    ));
    insta::assert_snapshot!(spec);
}

mod generated {
    use super::*;
    use proptest::prelude::*;
    use wxcflow::spec::builder::*;

    /// Free text with the characters that stress TOML quoting: quotes, backslashes, newlines,
    /// braces, unicode; no `$(` so that it never reads as a reference.
    fn text() -> impl Strategy<Value = String> {
        proptest::string::string_regex("[a-zA-Z0-9 '\"\\\\\n{}é#=\\[\\]-]{0,16}").unwrap()
    }

    #[derive(Debug, Clone)]
    enum Kind {
        Http {
            method: usize,
            path: String,
            body: String,
            header: String,
            timeout: Option<i64>,
        },
        Branch {
            arms: usize,
            operator: usize,
            value: String,
            any: bool,
        },
        Evaluate {
            script: String,
            choices: usize,
        },
        CallFlow {
            flow: String,
            entry: Option<u32>,
        },
    }

    fn kind() -> impl Strategy<Value = Kind> {
        prop_oneof![
            (
                0..5usize,
                "[a-z0-9/]{0,10}",
                text(),
                // A header value is one line: no control character but a tab.
                text().prop_map(|t| t.replace(|c: char| c.is_control() && c != '\t', " ")),
                proptest::option::of(1..=20_000i64)
            )
                .prop_map(|(method, path, body, header, timeout)| Kind::Http {
                    method,
                    path,
                    body,
                    header,
                    timeout
                }),
            (1..4usize, 0..15usize, text(), any::<bool>()).prop_map(
                |(arms, operator, value, any)| Kind::Branch {
                    arms,
                    operator,
                    value,
                    any
                }
            ),
            (text(), 1..4usize).prop_map(|(script, choices)| Kind::Evaluate {
                script: format!("x{script}"),
                choices
            }),
            ("[A-Za-z][A-Za-z0-9_]{0,8}", proptest::option::of(3..50u32))
                .prop_map(|(flow, entry)| Kind::CallFlow { flow, entry }),
        ]
    }

    /// A flow of `kinds.len()` nodes; every outcome leads to a later node or to an end, chosen by
    /// `picks`, so that every generated flow compiles (unreachable nodes only warn).
    fn flow(kinds: &[Kind], picks: &[usize], description: &str) -> wxcflow::spec::Spec {
        let n = kinds.len();
        let mut target = crate::common::forward_targets(picks, n, "end:Incomplete");
        let mut b = FlowBuilder::new("Generated")
            .description(description)
            .webhook(
                "Generated",
                r#"{"id": "1", "order": {"total": "5"}}"#,
                "node_0",
            )
            .variable(
                "Base",
                Var::new()
                    .default_value("https://api.example.com")
                    .externalize(),
            )
            .variable(
                "Note",
                Var::new().default_value(description).note(description),
            );
        for (i, k) in kinds.iter().enumerate() {
            let node = match k {
                Kind::Http {
                    method,
                    path,
                    body,
                    header,
                    timeout,
                } => {
                    let m = ["GET", "POST", "PUT", "PATCH", "DELETE"][*method];
                    let mut h = http(m, format!("$(Base)/{path}?id=$(start.inboundWebhook.id)"))
                        .header("X-Note", header.clone());
                    if matches!(m, "POST" | "PUT" | "PATCH") {
                        h = h.body(format!("{body} $(Note)"));
                    }
                    if let Some(t) = timeout {
                        h = h.timeouts(*t, *t);
                    }
                    h.output("value", "$.value")
                        .next("onSuccess", target(i + 1))
                        .next("onError", target(i + 1))
                        .next("onTimeout", target(i + 1))
                }
                Kind::Branch {
                    arms,
                    operator,
                    value,
                    any,
                } => {
                    let op = wxcflow::flow::Operator::ALL[*operator].as_str();
                    let mut br = branch();
                    for a in 0..*arms {
                        let c = if op == "between" {
                            between("$(start.inboundWebhook.order.total)", value.clone(), "9")
                        } else if op == "regex" {
                            // A written regular expression must compile (the check says so).
                            cond("$(Note)", op, regex::escape(value))
                        } else {
                            cond("$(Note)", op, value.clone())
                        };
                        let join = if *any { JoinWith::Any } else { JoinWith::All };
                        br = br
                            .branch(format!("arm {a}"), join, vec![c])
                            .next(format!("arm {a}"), target(i + 1));
                    }
                    br.next("none", target(i + 1))
                        .next("onError", target(i + 1))
                        .on_enter([("Note", value.clone())])
                }
                Kind::Evaluate { script, choices } => {
                    let names: Vec<String> = (0..*choices).map(|c| format!("c{c}")).collect();
                    let mut e = evaluate(script.clone(), names.clone());
                    for c in &names {
                        e = e.next(c.clone(), target(i + 1));
                    }
                    e.next("onInvalidChoice", target(i + 1))
                        .next("onError", target(i + 1))
                }
                Kind::CallFlow { flow, entry } => {
                    let mut c = call_flow(flow.clone());
                    if let Some(e) = entry {
                        c = c.entry(format!("n{e}"));
                    }
                    c.next("onSuccess", target(i + 1))
                        .next("onError", target(i + 1))
                        .on_leave(None, [("Note", "done")])
                }
            };
            b = b.node(format!("node_{i}"), node);
        }
        b.build()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

        #[test]
        fn generated_flows_round_trip(
            kinds in proptest::collection::vec(kind(), 1..10),
            picks in proptest::collection::vec(any::<usize>(), 1..40),
            description in text(),
        ) {
            let spec = flow(&kinds, &picks, &description);
            let build = common::compiler().build_spec(&spec, None);
            prop_assert!(!build.has_errors(), "{}", wxcflow::diagnostic::Diagnostic::render_human(&build.diagnostics, &[]));
            let (document, first) = build.output.unwrap();
            let decompiled = document.decompile();
            let again = common::compiler().build(&SourceFile::new("d.toml", decompiled.clone()));
            prop_assert!(again.output.is_some(), "{}\n{decompiled}", wxcflow::diagnostic::Diagnostic::render_human(&again.diagnostics, &[]));
            prop_assert_eq!(first, again.output.unwrap().1);
        }
    }
}
