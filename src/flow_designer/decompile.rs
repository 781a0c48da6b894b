//! A Flow Designer model written as a Flow Designer spec (see [`super::spec`]): activities in
//! breadth-first order from the entries, settings a typed kind takes by default left out, the
//! UI's underscore twins left out (the builder writes them back from their colon twins).

use super::layout::breadth_first;
use super::model::*;
use super::spec::default_on_events;
use crate::tools::decompile::{key, string};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The spec text for a model; `origin` names the export it came from, for the header comment.
pub fn decompile(flow: &FdFlow, origin: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Flow Designer {} `{}`, written by `wxcflow decompile` from {origin}.",
        if flow.flow_type.as_deref() == Some("SUBFLOW") {
            "subflow"
        } else {
            "flow"
        },
        flow.name
    );
    out.push_str("# Build it back: wxcflow build THIS_FILE --target flow-designer\n");
    out.push_str("[flow_designer]\n");
    let _ = writeln!(out, "name = {}", string(&flow.name));
    if !flow.description.is_empty() {
        let _ = writeln!(out, "description = {}", string(&flow.description));
    }
    if !flow.comment.is_empty() {
        let _ = writeln!(out, "comment = {}", string(&flow.comment));
    }
    if let Some(t) = &flow.flow_type {
        let _ = writeln!(out, "type = {}", string(t));
    }
    if !flow.runtime_variables.is_empty() {
        let _ = writeln!(
            out,
            "runtime_variables = {}",
            inline(&Value::Array(flow.runtime_variables.clone()))
        );
    }
    if let Some(Value::Object(orders)) = &flow.variable_orders {
        out.push_str("\n[flow_designer.variable_orders]\n");
        for (k, v) in orders {
            let _ = writeln!(out, "{} = {}", key(k), inline(v));
        }
    }
    // By name, as the spec reads them back.
    let mut variables: Vec<&Variable> = flow.variables.iter().collect();
    variables.sort_by(|a, b| a.name.cmp(&b.name));
    for v in variables {
        let _ = writeln!(out, "\n[variables.{}]", key(&v.name));
        if v.kind != "STRING" {
            let _ = writeln!(out, "type = {}", string(&v.kind));
        }
        if !v.value.is_null() {
            let _ = writeln!(out, "value = {}", inline(&v.value));
        }
        if !v.description.is_empty() {
            let _ = writeln!(out, "description = {}", string(&v.description));
        }
        if !v.source.is_empty() {
            let _ = writeln!(out, "source = {}", string(&v.source));
        }
        for (name, on) in [
            ("isSecure", v.is_secure),
            ("isCAD", v.is_cad),
            ("isAgentEditable", v.is_agent_editable),
            ("isReportable", v.is_reportable),
            ("overwrite", v.overwrite),
        ] {
            if on {
                let _ = writeln!(out, "{name} = true");
            }
        }
        if !v.desktop_label.is_empty() {
            let _ = writeln!(out, "desktopLabel = {}", string(&v.desktop_label));
        }
    }
    write_process(&mut out, "activities", &flow.process);
    for e in &flow.event_flows {
        let at = format!("event_flows.{}", key(&e.key));
        let _ = writeln!(out, "\n[{at}]");
        let _ = writeln!(out, "name = {}", string(&e.name));
        let _ = writeln!(out, "description = {}", string(&e.description));
        if e.on_events != default_on_events(&e.process) {
            let pairs: Vec<String> = e
                .on_events
                .iter()
                .map(|(k, v)| format!("{} = {}", key(k), string(v)))
                .collect();
            let _ = writeln!(out, "on_events = {{ {} }}", pairs.join(", "));
        }
        write_process(&mut out, &format!("{at}.activities"), &e.process);
    }
    out
}

fn write_process(out: &mut String, table: &str, process: &Process) {
    for (name, _) in breadth_first(process) {
        let Some(a) = process.activity(&name) else {
            continue;
        };
        let kind = a.kind();
        let at = format!("{table}.{}", key(&a.name));
        let _ = writeln!(out, "\n[{at}]");
        let type_name = a.type_name();
        let _ = writeln!(out, "type = {}", string(type_name));
        // The group is needed when the type alone does not tell the kind, or differs from it.
        if Kind::of(a.activity_name.as_deref(), "") != kind
            || kind.group() != Some(a.group.as_str())
        {
            let _ = writeln!(out, "group = {}", string(&a.group));
        }
        let default_id = if kind == Kind::Event {
            type_name.to_string()
        } else {
            default_activity_id(kind, type_name)
        };
        if let Some(id) = a.activity_id.as_deref().filter(|id| *id != default_id) {
            let _ = writeln!(out, "activity_id = {}", string(id));
        }
        let defaults: BTreeMap<&str, Value> = full_settings(kind).into_iter().collect();
        let keep = |k: &str, v: &Value| -> bool {
            if is_underscore_twin(k, &a.settings) {
                return false;
            }
            // A `:name` twin that repeats its key's value: the emitter writes it back.
            let repeats = name_twins(kind).iter().any(|&(base, twin)| {
                twin == k && a.settings.get(base).unwrap_or(&Value::Null) == v
            });
            if repeats {
                return false;
            }
            match defaults.get(k) {
                Some(d) => d != v,
                None => true,
            }
        };
        match a.settings.get("description") {
            Some(Value::String(d)) if keep("description", &Value::String(d.clone())) => {
                let _ = writeln!(out, "description = {}", string(d));
            }
            _ => {}
        }
        if kind == Kind::Other || kind == Kind::Handoff {
            if let Some(ports) = &a.ports {
                let list: Vec<String> = ports.iter().map(|p| string(p)).collect();
                let _ = writeln!(out, "ports = [{}]", list.join(", "));
            }
        }
        let links: Vec<String> = process
            .links_in_port_order(&a.name)
            .into_iter()
            .map(|l| format!("{} = {}", key(&l.port), string(&l.target)))
            .collect();
        if !links.is_empty() {
            let _ = writeln!(out, "next = {{ {} }}", links.join(", "));
        }
        let mut nulls = Vec::new();
        let mut json = Vec::new();
        let mut plain = Vec::new();
        for (k, v) in &a.settings {
            if k == "description" && v.is_string() || !keep(k, v) {
                continue;
            }
            if v.is_null() {
                nulls.push(string(k));
            } else if holds_null(v) {
                json.push(format!("{} = {}", key(k), string(&v.to_string())));
            } else {
                plain.push(format!("{} = {}", key(k), inline(v)));
            }
        }
        if !nulls.is_empty() {
            let _ = writeln!(out, "nulls = [{}]", nulls.join(", "));
        }
        if !json.is_empty() {
            let _ = writeln!(out, "\n[{at}.json]");
            for line in json {
                let _ = writeln!(out, "{line}");
            }
        }
        if !plain.is_empty() {
            let _ = writeln!(out, "\n[{at}.settings]");
            for line in plain {
                let _ = writeln!(out, "{line}");
            }
        }
    }
}

fn holds_null(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.iter().any(holds_null),
        Value::Object(m) => m.values().any(holds_null),
        _ => false,
    }
}

/// A JSON value (without nulls) as an inline TOML value.
fn inline(v: &Value) -> String {
    match v {
        Value::Null => "\"\"".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => i.to_string(),
            (None, Some(f)) => toml::Value::Float(f).to_string(),
            _ => string(&n.to_string()),
        },
        Value::String(s) => string(s),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(inline).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(map) if map.is_empty() => "{}".into(),
        Value::Object(map) => {
            let pairs: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{} = {}", key(k), inline(v)))
                .collect();
            format!("{{ {} }}", pairs.join(", "))
        }
    }
}
