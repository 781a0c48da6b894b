//! A Flow Designer model written as a Flow Designer spec (see [`super::spec`]): activities in
//! breadth-first order from the entries, settings a typed kind takes by default left out, the
//! UI's underscore twins left out (the builder writes them back from their colon twins). Left
//! out only where the builder writes the same value back: the spec builds back to every
//! property as it came, with the ids, positions and members kept from the export.

use super::layout::breadth_first;
use super::model::*;
use super::spec::default_on_events;
use crate::tools::spec_writer::{inline_table, is_plain, json, key, list, string, SpecWriter};
use serde_json::Value;
use std::collections::BTreeMap;

/// The spec text for a model; `origin` names the export it came from, for the header comment.
pub(crate) fn decompile(flow: &FdFlow, origin: &str) -> String {
    let mut out = SpecWriter::default();
    let what = if flow.flow_type.as_deref() == Some("SUBFLOW") {
        "subflow"
    } else {
        "flow"
    };
    out.comment(&format!(
        "Flow Designer {what} `{}`, written by `wxcflow decompile` from {origin}.",
        flow.name
    ));
    out.comment("Build it back: wxcflow build THIS_FILE --target flow-designer");
    out.table("flow_designer");
    out.field("name", string(&flow.name));
    for (name, text) in [
        ("description", &flow.description),
        ("comment", &flow.comment),
    ] {
        if !text.is_empty() {
            out.field(name, string(text));
        }
    }
    if let Some(t) = &flow.flow_type {
        out.field("type", string(t));
    }
    if !flow.runtime_variables.is_empty() {
        out.field(
            "runtime_variables",
            list(flow.runtime_variables.iter().map(json)),
        );
    }
    if let Some(Value::Object(orders)) = &flow.variable_orders {
        out.table("flow_designer.variable_orders");
        for (k, v) in orders {
            out.field(k, json(v));
        }
    }
    let (plain, as_json) = split_plain(&flow.kept.top);
    write_fields(&mut out, "flow_designer.export", plain);
    write_fields(&mut out, "flow_designer.export_json", as_json);
    // In the file's order, as the spec reads them back.
    for v in &flow.variables {
        out.table(&format!("variables.{}", key(&v.name)));
        if v.kind != "STRING" {
            out.field("type", string(&v.kind));
        }
        if !v.value.is_null() {
            out.field("value", json(&v.value));
        }
        for (name, text) in [("description", &v.description), ("source", &v.source)] {
            if !text.is_empty() {
                out.field(name, string(text));
            }
        }
        out.flag("isSecure", v.is_secure);
        out.flag("isCAD", v.is_cad);
        out.flag("isAgentEditable", v.is_agent_editable);
        out.flag("isReportable", v.is_reportable);
        out.flag("overwrite", v.overwrite);
        if !v.desktop_label.is_empty() {
            out.field("desktopLabel", string(&v.desktop_label));
        }
        if let Some(members) = flow.kept.variables.get(&v.name) {
            let (plain, as_json) = split_plain(members);
            if !plain.is_empty() {
                out.field("export", inline_table(plain));
            }
            if !as_json.is_empty() {
                out.field("export_json", inline_table(as_json));
            }
        }
    }
    write_process(&mut out, "activities", &flow.process, &flow.kept.main);
    for e in &flow.event_flows {
        let at = format!("event_flows.{}", key(&e.key));
        out.table(&at);
        out.field("name", string(&e.name));
        out.field("description", string(&e.description));
        if e.on_events != default_on_events(&e.process) {
            let pairs = e.on_events.iter().map(|(k, v)| (k, string(v)));
            out.field("on_events", inline_table(pairs));
        }
        let kept = flow.kept.events.get(&e.key).cloned().unwrap_or_default();
        write_process(&mut out, &format!("{at}.activities"), &e.process, &kept);
    }
    out.finish()
}

/// Members kept from an export, as (key, value) pairs: plain TOML where it can say the value
/// exactly, else JSON text (a null inside, an integer beyond TOML's range).
type Fields<'a> = Vec<(&'a str, String)>;

fn split_plain(members: &BTreeMap<String, Value>) -> (Fields<'_>, Fields<'_>) {
    let (mut plain, mut as_json) = (Vec::new(), Vec::new());
    for (k, v) in members {
        if is_plain(v) {
            plain.push((k.as_str(), json(v)));
        } else {
            as_json.push((k.as_str(), string(&v.to_string())));
        }
    }
    (plain, as_json)
}

/// A table of fields, when there are any.
fn write_fields(out: &mut SpecWriter, table: &str, fields: Fields) {
    if !fields.is_empty() {
        out.table(table);
        for (k, v) in fields {
            out.field(k, v);
        }
    }
}

fn write_process(out: &mut SpecWriter, table: &str, process: &Process, kept: &ProcessKept) {
    let index = ProcessIndex::of(process);
    for (name, _) in breadth_first(process) {
        let Some(a) = index.activity(&name) else {
            continue;
        };
        let kind = a.kind();
        let at = format!("{table}.{}", key(&a.name));
        out.table(&at);
        let type_name = a.written_type();
        out.field("type", string(type_name));
        // The group is needed when the type alone does not tell the kind, or differs from it.
        if Kind::of(a.activity_name.as_deref(), "") != kind
            || kind.group() != Some(a.group.as_str())
        {
            out.field("group", string(&a.group));
        }
        let default_id = if kind == Kind::Event {
            type_name.to_string()
        } else {
            default_activity_id(kind, type_name)
        };
        if let Some(id) = a.activity_id.as_deref().filter(|id| *id != default_id) {
            out.field("activity_id", string(id));
        }
        let activity_kept = kept.activities.get(&a.name);
        if let Some(id) = activity_kept.and_then(|k| k.id.as_deref()) {
            out.field("id", string(id));
        }
        if let Some((x, y)) = activity_kept.and_then(|k| k.at) {
            out.field("at", format!("[{x}, {y}]"));
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
        let shown = Activity {
            name: a.name.clone(),
            group: a.group.clone(),
            activity_name: a.activity_name.clone(),
            activity_id: a.activity_id.clone(),
            settings: (a.settings.iter())
                .filter(|(k, v)| readable(k, v))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            ports: a.ports.clone(),
            origin: None,
        };
        let mut written = super::emit::properties(&shown);
        for key in absent {
            written.remove(key);
        }
        let kept_keys: std::collections::BTreeSet<&str> = a
            .settings
            .iter()
            .filter(|(k, v)| written.get(*k) != Some(*v))
            .map(|(k, _)| k.as_str())
            .collect();
        let keep = |k: &str, v: &Value| readable(k, v) || kept_keys.contains(k);
        match a.settings.get("description") {
            Some(Value::String(d)) if keep("description", &Value::String(d.clone())) => {
                out.field("description", string(d));
            }
            _ => {}
        }
        if kind == Kind::Other || kind == Kind::Handoff {
            if let Some(ports) = &a.ports {
                out.field("ports", list(ports.iter().map(|p| string(p))));
            }
        }
        let links = index.links_in_port_order(&a.name);
        if !links.is_empty() {
            out.field(
                "next",
                inline_table(links.iter().map(|l| (&l.port, string(&l.target)))),
            );
        }
        let link_ids: Vec<(&String, String)> = links
            .iter()
            .filter_map(|l| {
                let id = kept
                    .links
                    .get(&(l.source.clone(), l.port.clone(), l.target.clone()))?;
                Some((&l.port, string(id)))
            })
            .collect();
        if !link_ids.is_empty() {
            out.field("link_ids", inline_table(link_ids));
        }
        if !absent.is_empty() {
            out.field("absent", list(absent.iter().map(|k| string(k))));
        }
        let mut nulls = Vec::new();
        let mut as_json = Vec::new();
        let mut plain = Vec::new();
        for (k, v) in &a.settings {
            if k == "description" && v.is_string() || !keep(k, v) {
                continue;
            }
            if v.is_null() {
                nulls.push(string(k));
            } else if !is_plain(v) {
                as_json.push((k.as_str(), string(&v.to_string())));
            } else {
                plain.push((k.as_str(), json(v)));
            }
        }
        if !nulls.is_empty() {
            out.field("nulls", list(nulls));
        }
        write_fields(out, &format!("{at}.json"), as_json);
        write_fields(out, &format!("{at}.settings"), plain);
    }
}
