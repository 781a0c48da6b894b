//! The build sheet for the Flow Designer target: how to import the file, what to check after
//! importing, its inputs and outputs, and how a parent flow calls it (a subflow handoff with
//! input and output mappings). Secret values never appear: only where to take them from. Which
//! values are secret is decided by their place (see [`super::secrets`]); the build's
//! diagnostics quote none by construction (the lowering quotes no variable's value).

use super::layout::breadth_first;
use super::lower::OUTCOME_VARIABLE;
use super::model::Scope;
use super::model::*;
use super::secrets::{covers, Secrets};
use crate::diagnostic::{Code, Diagnostic};
use crate::secret::Text;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The project id in Cisco's examples of the flow-store API.
pub(crate) const PROJECT_ID: &str = "5e5c9ad6d61f870d6d778c1b";

/// What the sheet is written from.
pub struct SheetInput<'a> {
    /// The flow or subflow the build wrote.
    pub flow: &'a FdFlow,
    /// The spec it was built from, as diagnostics name it.
    pub source_name: &'a str,
    /// The file `build --target flow-designer` writes by default.
    pub file_name: &'a str,
    /// Flow Designer variable name -> where its secret value comes from.
    pub origins: &'a BTreeMap<String, String>,
    /// The build's diagnostics (approximations are listed).
    pub diagnostics: &'a [Diagnostic],
}

// Markdown as the Webex Connect sheet writes it: a cell escapes pipes and `<`/`>` (which
// Markdown would read as HTML), a code span is fenced by more backticks than it holds.
use crate::emit::sheet::text::{cell, code, code_inline};

/// The build sheet, as Markdown: how to import the file into Flow Designer, what to check
/// afterwards, its variables, and how a parent flow calls it.
pub(crate) fn sheet(input: &SheetInput) -> String {
    // Read on screens: a control character a value holds shows as U+FFFD, as in the core's sheet.
    crate::diagnostic::printable(&write_sheet(input)).into_owned()
}

fn write_sheet(input: &SheetInput) -> String {
    let flow = input.flow;
    let secrets = Secrets::of(flow);
    // A main-process activity's setting, as shown (the caller puts it in a code span).
    let setting = |a: &Activity, path: &[&str], value: &str| -> String {
        let path: Vec<String> = path.iter().map(|s| s.to_string()).collect();
        let secret = covers(secrets.settings(&Scope::Main, &a.name), &path);
        Text::new(value, secret).shown().to_string()
    };
    let subflow = flow.flow_type.as_deref() == Some("SUBFLOW");
    let what = if subflow { "subflow" } else { "flow" };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Build sheet: {} as a Flow Designer {what}\n",
        cell(&flow.name)
    );
    let _ = writeln!(
        out,
        "Built from {} by `wxcflow build --target flow-designer` into {}: a {} in Flow Designer's export shape (FlowVersionRes), checked against wxcflow's Flow Designer schema. wxcflow has not imported it into a live tenant; check it after importing (step 2).\n",
        code_inline(input.source_name),
        code_inline(input.file_name),
        cell(flow.flow_type.as_deref().unwrap_or("FLOW"))
    );

    out.push_str("## 1. Import it\n\n");
    let called: Vec<String> = flow
        .process
        .activities
        .iter()
        .filter(|a| a.kind() == Kind::Handoff)
        .map(|a| {
            let name = a.text("subflowName").unwrap_or("");
            let resolved = a.text("subflowId").is_some_and(|id| !id.is_empty());
            format!(
                "{}{}",
                code_inline(name),
                if resolved { "" } else { " (ids not given)" }
            )
        })
        .collect();
    if !called.is_empty() {
        let _ = writeln!(
            out,
            "It calls {}: import those first. A handoff whose ids were not given (`build --subflow NAME=ID`) is resolved by `wxcflow push`, which looks the subflow up by name in the tenant before the import; a file imported by hand needs the subflow picked in each handoff.\n",
            called.join(", ")
        );
    }
    let _ = writeln!(
        out,
        "In Webex Contact Center, open Flow Designer's **{}** list, choose **Import**, and pick {}. Or through the API (use your region's host: `api.wxcc-us1.cisco.com`, `api.wxcc-eu1.cisco.com`, ...):\n",
        if subflow { "Subflows" } else { "Flows" },
        code_inline(input.file_name)
    );
    let fence = crate::emit::sheet::text::fence(input.file_name);
    let _ = writeln!(
        out,
        "{fence}sh\ncurl -X POST \"https://api.wxcc-us1.cisco.com/flow-store/$ORG_ID/project/{PROJECT_ID}/flows:import?flowType={}\" \\\n  -H \"Authorization: Bearer $WEBEX_TOKEN\" \\\n  -F \"file=@{}\"\n{fence}\n",
        flow.flow_type.as_deref().unwrap_or("FLOW"),
        input.file_name
    );
    let _ = writeln!(
        out,
        "Then publish it (`POST .../flows/{{flowId}}:publish`, the id the import returned). {} does both.\n",
        code_inline(&format!(
            "wxcflow push {} --org ORG --region REGION --token-env VAR --publish",
            input.file_name
        ))
    );

    out.push_str("## 2. Check after importing\n\n");
    out.push_str("- Every activity and link is drawn (the layout is automatic: left to right from the start).\n");
    out.push_str("- **Validate** shows no errors, and the flow publishes.\n");
    let secure: Vec<&str> = flow
        .variables
        .iter()
        .filter(|v| v.is_secure)
        .map(|v| v.name.as_str())
        .collect();
    if !secure.is_empty() {
        let _ = writeln!(
            out,
            "- These variables show as secure: {}.",
            secure
                .iter()
                .map(|s| code_inline(s))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    for a in &flow.process.activities {
        if let Some(http) = a.http() {
            let headers: Vec<String> = http
                .headers()
                .iter()
                .map(|(k, v)| {
                    code_inline(&format!(
                        "{k}: {}",
                        setting(a, &["httpRequestHeaders", k], v)
                    ))
                })
                .collect();
            let _ = writeln!(
                out,
                "- {} sends {} to {}{}.",
                code_inline(&a.name),
                cell(http.method()),
                code_inline(&setting(a, &["httpRequestUrl"], http.url())),
                if headers.is_empty() {
                    String::new()
                } else {
                    format!(" with {}", headers.join(", "))
                }
            );
        }
    }
    let tests_no_answer = no_answer_tests(flow);
    if !tests_no_answer.is_empty() {
        let _ = writeln!(
            out,
            "- [assumed] Flow Designer's HTTP Request has one exit; as in Cisco's subflows, a Condition on its `httpStatusCode` decides what follows. Where the subflow tells a request that got no answer (a refused connection, a timeout) by `httpStatusCode is empty` ({}), it assumes such a request goes on through the activity's exit without a status code (a Condition on the status code then takes its `false` path). Cisco does not document it: such a failure may raise the flow's OnGlobalError event instead, which a subflow cannot handle (it has no event flows). Try the subflow once with the service unreachable and see which path it takes; and see step 5 for what the parent adds. A value chosen in a Set Variable (`{{{{ (c) ? (a) : (b) }}}}`) is Pebble's conditional operator.",
            tests_no_answer
                .iter()
                .map(|n| code_inline(n))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    out.push('\n');

    let section = |out: &mut String, title: &str, source: &str| {
        let vars: Vec<&Variable> = flow
            .variables
            .iter()
            .filter(|v| v.source == source)
            .collect();
        if vars.is_empty() {
            return;
        }
        let _ = writeln!(out, "## {title}\n\n| variable | type | secure | value in the file | what it is |\n|---|---|---|---|---|");
        for v in vars {
            let value = match (&v.value, input.origins.get(&v.name)) {
                (_, Some(origin)) => format!("secret: take it from {}", cell(origin)),
                (Value::Null, _) => "(none)".to_string(),
                (Value::String(s), _) if s.is_empty() => "(none)".to_string(),
                _ if secrets.variable(&v.name) => "(set, secret)".to_string(),
                (value, _) => code(value.as_str().map_or(&value.to_string(), |s| s)),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {value} | {} |",
                code(&v.name),
                cell(&v.kind),
                if v.is_secure { "yes" } else { "no" },
                cell(&v.description)
            );
        }
        out.push('\n');
    };
    section(&mut out, "3. Inputs (SUBFLOW_INPUT)", "SUBFLOW_INPUT");
    section(&mut out, "4. Outputs (SUBFLOW_OUTPUT)", "SUBFLOW_OUTPUT");

    if subflow {
        handoff(&mut out, flow);
    }

    let notes: Vec<&Diagnostic> = input
        .diagnostics
        .iter()
        .filter(|d| matches!(d.code, Code::Approximated | Code::NotCarried))
        .collect();
    if !notes.is_empty() {
        out.push_str("## 6. Carried approximately, or left out\n\n");
        for d in notes {
            let at = d
                .span
                .as_ref()
                .map_or(String::new(), |s| format!(" ({}:{})", s.file, s.line));
            let _ = writeln!(out, "- {}{at}", cell(&d.message));
        }
        out.push('\n');
    }

    out.push_str(
        "## 7. Activities\n\n| activity | type | what it does | exits |\n|---|---|---|---|\n",
    );
    let index = ProcessIndex::of(&flow.process);
    for (name, _) in breadth_first(&flow.process) {
        let Some(a) = index.activity(&name) else {
            continue;
        };
        let does = match a.kind() {
            Kind::Http => {
                let http = a
                    .http()
                    .map(|h| {
                        let url = setting(a, &["httpRequestUrl"], h.url());
                        format!("{} {}", cell(h.method()), code(&url))
                    })
                    .unwrap_or_default();
                let outputs: Vec<String> = output_array(a)
                    .iter()
                    .map(|(v, p)| cell(&format!("{v} ← {p}")))
                    .collect();
                if outputs.is_empty() {
                    http
                } else {
                    format!("{http}; {}", outputs.join(", "))
                }
            }
            Kind::Condition => code(a.text("expression").unwrap_or("")),
            Kind::SetVariable => assignments(a, &setting),
            Kind::SubflowStart => "started by the parent's subflow handoff".into(),
            Kind::SubflowEnd => "returns to the parent".into(),
            _ => cell(a.description()),
        };
        let exits: Vec<String> = index
            .links_in_port_order(&name)
            .into_iter()
            .map(|l| cell(&format!("{} → {}", l.port, l.target)))
            .collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            code(&name),
            cell(a.type_name()),
            does,
            exits.join(", ")
        );
    }
    out
}

/// The activities that tell a request that got no answer by `httpStatusCode is empty`.
fn no_answer_tests(flow: &FdFlow) -> Vec<&str> {
    flow.process
        .activities
        .iter()
        .filter(|a| {
            let said = |text: &str| text.contains(".httpStatusCode is empty");
            a.text("expression").is_some_and(said)
                || a.settings
                    .get("setVariablesArray")
                    .and_then(Value::as_array)
                    .is_some_and(|all| {
                        all.iter()
                            .any(|e| e.get("expr").and_then(Value::as_str).is_some_and(said))
                    })
        })
        .map(|a| a.name.as_str())
        .collect()
}

/// A Set Variable's assignments in order (`setVariablesArray`, else its single keys).
fn assignments(a: &Activity, setting: &dyn Fn(&Activity, &[&str], &str) -> String) -> String {
    let all: Vec<(String, String)> = a
        .settings
        .get("setVariablesArray")
        .and_then(Value::as_array)
        .map(|entries| {
            entries
                .iter()
                .map(|e| {
                    let text = |k: &str| e.get(k).and_then(Value::as_str).unwrap_or("").to_string();
                    (text("srcVariable"), text("expr"))
                })
                .collect()
        })
        .unwrap_or_default();
    if all.is_empty() {
        return format!(
            "{} = {}",
            cell(a.text("srcVariable").unwrap_or("")),
            code(&setting(a, &["expr"], a.text("expr").unwrap_or("")))
        );
    }
    all.iter()
        .enumerate()
        .map(|(i, (var, expr))| {
            let index = i.to_string();
            format!(
                "{} = {}",
                cell(var),
                code(&setting(a, &["setVariablesArray", &index, "expr"], expr))
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn handoff(out: &mut String, flow: &FdFlow) {
    let _ = writeln!(out, "## 5. Call it from a parent flow\n");
    let _ = writeln!(out, "1. In the parent flow, add a **Subflow** activity (a subflow handoff) where the value is needed, choose subflow {} and its version label (Latest while testing, then the published label).", code_inline(&flow.name));
    let mappings = [
        ("SUBFLOW_INPUT", "2. **Input mappings**, each subflow input from a parent variable or a value:\n\n   | subflow input | map from |", "a parent variable marked secure, holding the value (never typed in clear)", "a parent variable or a literal"),
        ("SUBFLOW_OUTPUT", "3. **Output mappings**, each subflow output into a parent variable:\n\n   | subflow output | into |", "a parent variable marked secure", "a parent variable"),
    ];
    for (source, head, secure, plain) in mappings {
        let mut variables = flow
            .variables
            .iter()
            .filter(|v| v.source == source)
            .peekable();
        if variables.peek().is_none() {
            continue;
        }
        let _ = writeln!(out, "{head}\n   |---|---|");
        for v in variables {
            let from = if v.is_secure { secure } else { plain };
            let _ = writeln!(out, "   | {} | {from} |", code(&v.name));
        }
        out.push('\n');
    }
    let outcome = |v: &Variable| v.source == "SUBFLOW_OUTPUT" && v.name == OUTCOME_VARIABLE;
    if flow.variables.iter().any(outcome) {
        let _ = writeln!(
            out,
            "4. **Success or failure.** A subflow has no flow outcome of its own: `{OUTCOME_VARIABLE}` carries the Webex Connect outcome the subflow ended with (`Success`, `Error`, ...). Map it into a parent variable, say `TokenOutcome`, and follow the handoff with a Condition activity `{{{{ TokenOutcome == \"Success\" }}}}`: true goes on (an HTTP activity sends `Authorization: Bearer {{{{Token}}}}`), false takes the parent's error path.\n"
        );
    }
    if !no_answer_tests(flow).is_empty() {
        out.push_str("5. **A request that got no answer** [assumed]: if Flow Designer raises OnGlobalError for it rather than going on through the HTTP activity (step 2), the parent's event flows handle it, not the subflow. Give the parent flow an **OnGlobalError** handler (Event Flows tab) that takes its error path, as a `false` from the condition above would.\n\n");
    }
}
