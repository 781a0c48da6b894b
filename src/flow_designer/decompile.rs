//! A Flow Designer model written as a Flow Designer spec (see [`super::spec`]): activities in
//! breadth-first order from the entries, settings a typed kind takes by default left out, the
//! UI's underscore twins left out (the builder writes them back from their colon twins). Left
//! out only where the builder writes the same value back: the spec builds back to every
//! property as it came, with the ids, positions and members kept from the export.

use super::layout::breadth_first;
use super::model::*;
use super::spec::default_on_events;
use crate::tools::decompile::{key, string};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The spec text for a model; `origin` names the export it came from, for the header comment.
pub(crate) fn decompile(flow: &FdFlow, origin: &str) -> String {
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
    write_kept(
        &mut out,
        "[flow_designer.export]",
        "[flow_designer.export_json]",
        &flow.kept.top,
    );
    // In the file's order, as the spec reads them back.
    for v in &flow.variables {
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
        if let Some(members) = flow.kept.variables.get(&v.name) {
            let (plain, json) = split_plain(members);
            if !plain.is_empty() {
                let _ = writeln!(out, "export = {{ {} }}", plain.join(", "));
            }
            if !json.is_empty() {
                let _ = writeln!(out, "export_json = {{ {} }}", json.join(", "));
            }
        }
    }
    write_process(&mut out, "activities", &flow.process, &flow.kept.main);
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
        let kept = flow.kept.events.get(&e.key).cloned().unwrap_or_default();
        write_process(&mut out, &format!("{at}.activities"), &e.process, &kept);
    }
    out
}

/// `key = value` lines for members kept from an export: plain TOML where it can say the value
/// exactly, else JSON text (a null inside, an integer beyond TOML's range).
fn split_plain(members: &BTreeMap<String, Value>) -> (Vec<String>, Vec<String>) {
    let (mut plain, mut json) = (Vec::new(), Vec::new());
    for (k, v) in members {
        if is_plain(v) {
            plain.push(format!("{} = {}", key(k), inline(v)));
        } else {
            json.push(format!("{} = {}", key(k), string(&v.to_string())));
        }
    }
    (plain, json)
}

/// Kept members as two tables, the plain one and the JSON-text one.
fn write_kept(
    out: &mut String,
    plain_table: &str,
    json_table: &str,
    members: &BTreeMap<String, Value>,
) {
    let (plain, json) = split_plain(members);
    for (table, lines) in [(plain_table, plain), (json_table, json)] {
        if !lines.is_empty() {
            let _ = writeln!(out, "\n{table}");
            for line in lines {
                let _ = writeln!(out, "{line}");
            }
        }
    }
}

fn write_process(out: &mut String, table: &str, process: &Process, kept: &ProcessKept) {
    let index = ProcessIndex::of(process);
    for (name, _) in breadth_first(process) {
        let Some(a) = index.activity(&name) else {
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
        let activity_kept = kept.activities.get(&a.name);
        if let Some(id) = activity_kept.and_then(|k| k.id.as_deref()) {
            let _ = writeln!(out, "id = {}", string(id));
        }
        if let Some((x, y)) = activity_kept.and_then(|k| k.at) {
            let _ = writeln!(out, "at = [{x}, {y}]");
        }
        let defaults: BTreeMap<&str, Value> = full_settings(kind).into_iter().collect();
        let absent: &[String] = activity_kept.map_or(&[], |k| &k.absent);
        let readable = |k: &str, v: &Value| -> bool {
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
        // What the builder writes from the settings a reader needs; every setting it would
        // write otherwise (a twin that is no copy of its colon key, ...) is written as it is.
        let mut shown = a.clone();
        shown.settings.retain(|k, v| readable(k, v));
        let mut written = super::emit::properties(&shown);
        for key in absent {
            written.remove(key);
        }
        let kept_keys: Vec<String> = a
            .settings
            .iter()
            .filter(|(k, v)| written.get(*k) != Some(*v))
            .map(|(k, _)| k.clone())
            .collect();
        let keep = |k: &str, v: &Value| readable(k, v) || kept_keys.iter().any(|x| x == k);
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
        let links: Vec<String> = index
            .links_in_port_order(&a.name)
            .into_iter()
            .map(|l| format!("{} = {}", key(&l.port), string(&l.target)))
            .collect();
        if !links.is_empty() {
            let _ = writeln!(out, "next = {{ {} }}", links.join(", "));
        }
        let link_ids: Vec<String> = index
            .links_in_port_order(&a.name)
            .into_iter()
            .filter_map(|l| {
                let id = kept
                    .links
                    .get(&(l.source.clone(), l.port.clone(), l.target.clone()))?;
                Some(format!("{} = {}", key(&l.port), string(id)))
            })
            .collect();
        if !link_ids.is_empty() {
            let _ = writeln!(out, "link_ids = {{ {} }}", link_ids.join(", "));
        }
        if !absent.is_empty() {
            let list: Vec<String> = absent.iter().map(|k| string(k)).collect();
            let _ = writeln!(out, "absent = [{}]", list.join(", "));
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
            } else if !is_plain(v) {
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

/// Whether TOML says the value exactly: no null inside (TOML has none), no integer beyond
/// TOML's 64-bit signed range, no float that is not finite.
fn is_plain(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Number(n) => n.is_i64() || n.as_f64().is_some_and(f64::is_finite) && n.is_f64(),
        Value::Array(a) => a.iter().all(is_plain),
        Value::Object(m) => m.values().all(is_plain),
        _ => true,
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
