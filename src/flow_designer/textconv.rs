//! A Flow Designer flow as one fact a line, for `git diff` (textconv) and for reading: activities
//! in breadth-first order, settings by path, links as `source.port -> target`; UUIDs, the
//! diagram and render stamps left out, secret values (by place: see [`super::secrets`]) shown
//! as `•••`, whole.

use super::layout::breadth_first;
use super::lint::{processes, Scope};
use super::model::*;
use super::secrets::{fields, Secrets};
use std::fmt::Write as _;

/// The flow's lines, one fact each, in a stable order: what `git diff` compares.
pub fn render_lines(flow: &FdFlow) -> String {
    let secrets = Secrets::of(flow);
    let mut out = String::new();
    let _ = writeln!(out, "flow.name = {:?}", flow.name);
    if !flow.description.is_empty() {
        let _ = writeln!(out, "flow.description = {:?}", flow.description);
    }
    if !flow.comment.is_empty() {
        let _ = writeln!(out, "flow.comment = {:?}", flow.comment);
    }
    if let Some(t) = &flow.flow_type {
        let _ = writeln!(out, "flow.type = {t}");
    }
    let mut variables: Vec<&Variable> = flow.variables.iter().collect();
    variables.sort_by(|a, b| a.name.cmp(&b.name));
    for v in variables {
        let value = secrets.variable_value(v);
        let value = value.as_ref().map_or("null", |t| t.shown());
        let flags: Vec<&str> = [
            ("secure", v.is_secure),
            ("cad", v.is_cad),
            ("agent-editable", v.is_agent_editable),
            ("reportable", v.is_reportable),
            ("overwrite", v.overwrite),
        ]
        .iter()
        .filter(|(_, on)| *on)
        .map(|(f, _)| *f)
        .collect();
        let source = if v.source.is_empty() {
            "local"
        } else {
            v.source.as_str()
        };
        let _ = writeln!(
            out,
            "variables.{} = {} {value} [{source}{}{}]",
            v.name,
            v.kind,
            if flags.is_empty() { "" } else { ", " },
            flags.join(", ")
        );
    }
    for (scope, process) in processes(flow) {
        let prefix = match &scope {
            Scope::Main => String::new(),
            Scope::Event(key) => {
                if let Some(e) = flow.event_flows.iter().find(|e| &e.key == key) {
                    for (event, handler) in &e.on_events {
                        let _ = writeln!(out, "event_flows.{key}.on.{event} -> {handler}");
                    }
                }
                format!("event_flows.{key}.")
            }
        };
        for (name, _) in breadth_first(process) {
            let Some(a) = process.activity(&name) else {
                continue;
            };
            let _ = writeln!(out, "{prefix}{name} = {}", a.type_name());
            for (path, value) in fields(a, secrets.settings(&scope, &name)) {
                if matches!(path.as_str(), "type" | "group" | "activityId") {
                    continue;
                }
                let _ = writeln!(out, "{prefix}{name}.{path} = {}", value.shown());
            }
            for link in process.links_in_port_order(&name) {
                let _ = writeln!(out, "{prefix}{name}.{} -> {}", link.port, link.target);
            }
        }
    }
    out
}
