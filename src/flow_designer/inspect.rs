//! What a Flow Designer file holds, measured: for `wxcflow inspect`.

use super::lint::lint;
use super::model::processes;
use super::model::*;
use crate::diagnostic::Severity;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// What `wxcflow inspect` reports about a Flow Designer file; serialised as its JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// `export` or `spec`.
    pub kind: &'static str,
    /// The flow's name.
    pub name: String,
    /// `FLOW` or `SUBFLOW`, when the file says.
    pub flow_type: Option<String>,
    /// Activities by type, typed kinds and those kept generically apart.
    pub typed: BTreeMap<String, usize>,
    /// Activities of kinds wxcflow does not type, by type.
    pub generic: BTreeMap<String, usize>,
    /// Links, in the main process and every event flow.
    pub links: usize,
    /// Flow variables.
    pub variables: usize,
    /// Flow variables marked secure.
    pub secure_variables: usize,
    /// The subflow's inputs (`SUBFLOW_INPUT` variables), by name.
    pub inputs: Vec<String>,
    /// The subflow's outputs (`SUBFLOW_OUTPUT` variables), by name.
    pub outputs: Vec<String>,
    /// Event flow -> number of handlers.
    pub event_flows: BTreeMap<String, usize>,
    /// Lint errors.
    pub errors: usize,
    /// Lint warnings.
    pub warnings: usize,
}

/// Measures a flow; `kind` is `export` or `spec`, as the file was recognised.
pub(crate) fn summary(flow: &FdFlow, kind: &'static str) -> Summary {
    let mut typed = BTreeMap::new();
    let mut generic = BTreeMap::new();
    let mut links = 0;
    for (_, process) in processes(flow) {
        links += process.links.len();
        for a in &process.activities {
            let bucket = if a.kind() == Kind::Other {
                &mut generic
            } else {
                &mut typed
            };
            *bucket.entry(a.type_name().to_string()).or_insert(0) += 1;
        }
    }
    let diagnostics = lint(flow, None);
    let errors = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let by_source = |s: &str| -> Vec<String> {
        flow.variables
            .iter()
            .filter(|v| v.source == s)
            .map(|v| v.name.clone())
            .collect()
    };
    Summary {
        kind,
        name: flow.name.clone(),
        flow_type: flow.flow_type.clone(),
        typed,
        generic,
        links,
        variables: flow.variables.len(),
        secure_variables: flow.variables.iter().filter(|v| v.is_secure).count(),
        inputs: by_source("SUBFLOW_INPUT"),
        outputs: by_source("SUBFLOW_OUTPUT"),
        event_flows: flow
            .event_flows
            .iter()
            .map(|e| (e.key.clone(), e.on_events.len()))
            .collect(),
        errors,
        warnings: diagnostics.len() - errors,
    }
}

/// The summary as `inspect` prints it for people, headed by the file's path.
pub(crate) fn render(path: &str, s: &Summary) -> String {
    // Names come from the file: each stays on its line, and drives no terminal.
    let n = |text: &str| crate::diagnostic::printable_name(text).into_owned();
    let path = n(path);
    let counts = |m: &BTreeMap<String, usize>| {
        m.iter()
            .map(|(k, count)| {
                if *count == 1 {
                    n(k)
                } else {
                    format!("{} ×{count}", n(k))
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut out = String::new();
    let what = if s.kind == "spec" {
        "Flow Designer spec"
    } else {
        "Flow Designer export (FlowVersionRes)"
    };
    let _ = writeln!(out, "{path}: {what}");
    let _ = writeln!(
        out,
        "  flow: {} ({})",
        n(&s.name),
        n(s.flow_type.as_deref().unwrap_or("type not given: a flow"))
    );
    let total: usize = s.typed.values().chain(s.generic.values()).sum();
    let _ = writeln!(out, "  activities: {total}");
    if !s.typed.is_empty() {
        let _ = writeln!(out, "    typed: {}", counts(&s.typed));
    }
    if !s.generic.is_empty() {
        let _ = writeln!(
            out,
            "    kept generically, every setting: {}",
            counts(&s.generic)
        );
    }
    let _ = writeln!(out, "  links: {}", s.links);
    let _ = writeln!(
        out,
        "  variables: {} ({} secure)",
        s.variables, s.secure_variables
    );
    if !s.inputs.is_empty() {
        let _ = writeln!(out, "    inputs: {}", n(&s.inputs.join(", ")));
    }
    if !s.outputs.is_empty() {
        let _ = writeln!(out, "    outputs: {}", n(&s.outputs.join(", ")));
    }
    for (key, handlers) in &s.event_flows {
        let _ = writeln!(
            out,
            "  event flow {}: {handlers} handler{}",
            n(key),
            if *handlers == 1 { "" } else { "s" }
        );
    }
    let _ = writeln!(
        out,
        "  review: {} error{}, {} warning{} (`wxcflow check` shows them)",
        s.errors,
        if s.errors == 1 { "" } else { "s" },
        s.warnings,
        if s.warnings == 1 { "" } else { "s" }
    );
    out
}
