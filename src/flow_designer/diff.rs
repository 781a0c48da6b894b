//! Semantic diff of two Flow Designer flows: logic, not noise.
//!
//! Activities are matched by name, then by likeness (same type, at least 60% of settings and
//! links equal: a rename). Links compare by their source's port; variables with their flags;
//! event flows by their handlers. UUIDs, diagram coordinates, `_renderRequestTimestamp`,
//! created/modified stamps and the UI's `X:type` / `X_type` twins are never a change; nor is
//! a setting that is absent on one side and the kind's default (or null) on the other. Secret
//! values (secure variables, credentials typed in clear) show as `•••`.

use super::lint::{mask, processes, secret_values, Scope};
use super::model::*;
use crate::diff::MASK;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeKind {
    FlowChanged,
    VariableAdded,
    VariableRemoved,
    VariableChanged,
    ActivityAdded,
    ActivityRemoved,
    ActivityRenamed,
    ActivityChanged,
    LinkAdded,
    LinkRemoved,
    LinkRewired,
    EventChanged,
}

/// One logic change; `path` names the place, e.g. `get_JDSToken.httpRequestHeaders.x-key`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    pub kind: ChangeKind,
    pub path: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

fn change(
    kind: ChangeKind,
    path: impl Into<String>,
    old: Option<String>,
    new: Option<String>,
) -> Change {
    Change {
        kind,
        path: path.into(),
        old,
        new,
    }
}

/// Every logic change from `old` to `new`.
pub fn diff(old: &FdFlow, new: &FdFlow) -> Vec<Change> {
    let mut secrets = secret_values(old);
    secrets.extend(secret_values(new));
    secrets.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    secrets.dedup();
    let shown = |v: &str| mask(v, &secrets);
    let mut out = Vec::new();
    let flow_fields = |f: &FdFlow| -> BTreeMap<String, String> {
        let mut m = BTreeMap::new();
        m.insert("name".into(), format!("{:?}", f.name));
        m.insert("description".into(), format!("{:?}", f.description));
        m.insert("comment".into(), format!("{:?}", f.comment));
        m.insert(
            "type".into(),
            f.flow_type.clone().unwrap_or_else(|| "(not given)".into()),
        );
        let orders = f
            .variable_orders
            .clone()
            .unwrap_or_else(empty_variable_orders);
        m.insert("variable_orders".into(), orders.to_string());
        if !f.runtime_variables.is_empty() {
            m.insert(
                "runtime_variables".into(),
                Value::Array(f.runtime_variables.clone()).to_string(),
            );
        }
        m
    };
    compare_maps(
        &flow_fields(old),
        &flow_fields(new),
        "flow.",
        ChangeKind::FlowChanged,
        &shown,
        &mut out,
    );
    diff_variables(old, new, &shown, &mut out);
    let old_scopes = processes(old);
    let new_scopes = processes(new);
    let empty = Process::default();
    let mut scopes: Vec<&Scope> = old_scopes.iter().map(|(s, _)| s).collect();
    for (s, _) in &new_scopes {
        if !scopes.contains(&s) {
            scopes.push(s);
        }
    }
    for scope in scopes {
        fn find<'p>(all: &[(Scope, &'p Process)], scope: &Scope) -> Option<&'p Process> {
            all.iter().find(|(s, _)| s == scope).map(|(_, p)| *p)
        }
        let prefix = match scope {
            Scope::Main => String::new(),
            Scope::Event(key) => format!("event_flows.{key}."),
        };
        diff_process(
            find(&old_scopes, scope).unwrap_or(&empty),
            find(&new_scopes, scope).unwrap_or(&empty),
            &prefix,
            &shown,
            &mut out,
        );
    }
    let events = |f: &FdFlow| -> BTreeMap<String, String> {
        let mut m = BTreeMap::new();
        for e in &f.event_flows {
            m.insert(
                format!("event_flows.{}.name", e.key),
                format!("{:?}", e.name),
            );
            m.insert(
                format!("event_flows.{}.description", e.key),
                format!("{:?}", e.description),
            );
            for (event, handler) in &e.on_events {
                m.insert(format!("event_flows.{}.on.{event}", e.key), handler.clone());
            }
        }
        m
    };
    compare_maps(
        &events(old),
        &events(new),
        "",
        ChangeKind::EventChanged,
        &shown,
        &mut out,
    );
    out
}

fn compare_maps(
    a: &BTreeMap<String, String>,
    b: &BTreeMap<String, String>,
    prefix: &str,
    kind: ChangeKind,
    shown: &dyn Fn(&str) -> String,
    out: &mut Vec<Change>,
) {
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    for k in keys {
        if a.get(k) != b.get(k) {
            out.push(change(
                kind,
                format!("{prefix}{k}"),
                a.get(k).map(|v| shown(v)),
                b.get(k).map(|v| shown(v)),
            ));
        }
    }
}

fn variable_fields(v: &Variable) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    let value = match &v.value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let value = if v.is_secure && !value.is_empty() {
        MASK.to_string()
    } else {
        format!("{value:?}")
    };
    m.insert("value".into(), value);
    m.insert("type".into(), v.kind.clone());
    m.insert("description".into(), format!("{:?}", v.description));
    m.insert("source".into(), format!("{:?}", v.source));
    m.insert("desktopLabel".into(), format!("{:?}", v.desktop_label));
    for (name, on) in [
        ("isSecure", v.is_secure),
        ("isCAD", v.is_cad),
        ("isAgentEditable", v.is_agent_editable),
        ("isReportable", v.is_reportable),
        ("overwrite", v.overwrite),
    ] {
        m.insert(name.into(), on.to_string());
    }
    m
}

fn diff_variables(
    old: &FdFlow,
    new: &FdFlow,
    shown: &dyn Fn(&str) -> String,
    out: &mut Vec<Change>,
) {
    let by_name = |f: &FdFlow| -> BTreeMap<String, BTreeMap<String, String>> {
        f.variables
            .iter()
            .map(|v| (v.name.clone(), variable_fields(v)))
            .collect()
    };
    let (a, b) = (by_name(old), by_name(new));
    for (name, fields) in &a {
        match b.get(name) {
            None => out.push(change(
                ChangeKind::VariableRemoved,
                format!("variables.{name}"),
                Some(fields["type"].clone()),
                None,
            )),
            Some(other) => compare_maps(
                fields,
                other,
                &format!("variables.{name}."),
                ChangeKind::VariableChanged,
                shown,
                out,
            ),
        }
    }
    for (name, fields) in &b {
        if !a.contains_key(name) {
            out.push(change(
                ChangeKind::VariableAdded,
                format!("variables.{name}"),
                None,
                Some(fields["type"].clone()),
            ));
        }
    }
}

/// An activity's logic as path -> value: type keys, then settings over the kind's defaults,
/// noise and nulls left out, nested values flattened.
pub fn fields(a: &Activity) -> BTreeMap<String, String> {
    let mut merged: BTreeMap<String, Value> = full_settings(a.kind())
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    for (k, v) in &a.settings {
        merged.insert(k.clone(), v.clone());
    }
    let mut out = BTreeMap::new();
    out.insert("type".into(), a.type_name().to_string());
    if let Some(id) = &a.activity_id {
        out.insert("activityId".into(), id.clone());
    }
    out.insert(
        "group".into(),
        a.kind().group().map_or(a.group.clone(), String::from),
    );
    for (k, v) in &merged {
        if v.is_null() || is_noise_key(k, &merged) {
            continue;
        }
        flatten(v, k.clone(), &mut out);
    }
    out
}

fn flatten(v: &Value, path: String, out: &mut BTreeMap<String, String>) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, v) in m {
                flatten(v, format!("{path}.{k}"), out);
            }
        }
        Value::Array(a) if !a.is_empty() => {
            for (i, v) in a.iter().enumerate() {
                flatten(v, format!("{path}[{i}]"), out);
            }
        }
        Value::Null => {}
        Value::String(s) => {
            out.insert(path, format!("{s:?}"));
        }
        other => {
            out.insert(path, other.to_string());
        }
    }
}

fn similarity(a: &BTreeMap<String, String>, b: &BTreeMap<String, String>) -> f64 {
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    if keys.is_empty() {
        return 1.0;
    }
    keys.iter().filter(|k| a.get(**k) == b.get(**k)).count() as f64 / keys.len() as f64
}

fn diff_process(
    old: &Process,
    new: &Process,
    prefix: &str,
    shown: &dyn Fn(&str) -> String,
    out: &mut Vec<Change>,
) {
    let exits = |p: &Process, name: &str| -> BTreeMap<String, String> {
        p.links_from(name)
            .map(|l| (format!("->{}", l.port), l.target.clone()))
            .collect()
    };
    // old name -> new name
    let mut pairs: BTreeMap<&str, &str> = BTreeMap::new();
    for a in &old.activities {
        if new.activity(&a.name).is_some() {
            pairs.insert(&a.name, &a.name);
        }
    }
    let unmatched_new: Vec<&Activity> = new
        .activities
        .iter()
        .filter(|b| old.activity(&b.name).is_none())
        .collect();
    let mut candidates = Vec::new();
    for a in old
        .activities
        .iter()
        .filter(|a| new.activity(&a.name).is_none())
    {
        let mut fa = fields(a);
        fa.extend(exits(old, &a.name));
        for b in &unmatched_new {
            if a.type_name() != b.type_name() {
                continue;
            }
            let mut fb = fields(b);
            fb.extend(exits(new, &b.name));
            let score = similarity(&fa, &fb);
            if score >= 0.6 {
                candidates.push((score, a.name.as_str(), b.name.as_str()));
            }
        }
    }
    // Best pairs first; ties by name, so the result never depends on order.
    candidates.sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(y.1)).then(x.2.cmp(y.2)));
    let mut taken: BTreeSet<&str> = BTreeSet::new();
    for (_, a, b) in candidates {
        if !pairs.contains_key(a) && !taken.contains(b) {
            pairs.insert(a, b);
            taken.insert(b);
            out.push(change(
                ChangeKind::ActivityRenamed,
                format!("{prefix}{a}"),
                Some(a.to_string()),
                Some(b.to_string()),
            ));
        }
    }
    let renamed: BTreeMap<&str, &str> = pairs.clone();
    for a in &old.activities {
        match renamed.get(a.name.as_str()) {
            None => out.push(change(
                ChangeKind::ActivityRemoved,
                format!("{prefix}{}", a.name),
                Some(a.type_name().to_string()),
                None,
            )),
            Some(b) => {
                let Some(b) = new.activity(b) else { continue };
                let (fa, fb) = (fields(a), fields(b));
                compare_maps(
                    &fa,
                    &fb,
                    &format!("{prefix}{}.", b.name),
                    ChangeKind::ActivityChanged,
                    shown,
                    out,
                );
            }
        }
    }
    let targets: BTreeSet<&str> = renamed.values().copied().collect();
    for b in &new.activities {
        if !targets.contains(b.name.as_str()) {
            out.push(change(
                ChangeKind::ActivityAdded,
                format!("{prefix}{}", b.name),
                None,
                Some(b.type_name().to_string()),
            ));
        }
    }
    // Links by (source, port), old names spelled as their new names.
    let spell = |name: &str| {
        renamed
            .get(name)
            .map_or(name.to_string(), |n| n.to_string())
    };
    let old_links: BTreeMap<(String, String), String> = old
        .links
        .iter()
        .map(|l| ((spell(&l.source), l.port.clone()), spell(&l.target)))
        .collect();
    let new_links: BTreeMap<(String, String), String> = new
        .links
        .iter()
        .map(|l| ((l.source.clone(), l.port.clone()), l.target.clone()))
        .collect();
    let keys: BTreeSet<&(String, String)> = old_links.keys().chain(new_links.keys()).collect();
    for key in keys {
        let path = format!("{prefix}{}.{}", key.0, key.1);
        match (old_links.get(key), new_links.get(key)) {
            (Some(a), Some(b)) if a != b => out.push(change(
                ChangeKind::LinkRewired,
                path,
                Some(a.clone()),
                Some(b.clone()),
            )),
            (Some(a), None) => {
                out.push(change(ChangeKind::LinkRemoved, path, Some(a.clone()), None))
            }
            (None, Some(b)) => out.push(change(ChangeKind::LinkAdded, path, None, Some(b.clone()))),
            _ => {}
        }
    }
}

/// Plain text, one change a line; `colour` adds ANSI colours (for a terminal only).
pub fn render_text(changes: &[Change], colour: bool) -> String {
    if changes.is_empty() {
        return "no logic changes\n".into();
    }
    let mut out = String::new();
    for c in changes {
        let (sign, paint) = match c.kind {
            ChangeKind::ActivityAdded | ChangeKind::VariableAdded | ChangeKind::LinkAdded => {
                ('+', "32")
            }
            ChangeKind::ActivityRemoved | ChangeKind::VariableRemoved | ChangeKind::LinkRemoved => {
                ('-', "31")
            }
            _ => ('~', "33"),
        };
        let line = format!("{sign} {}", describe(c));
        if colour {
            let _ = writeln!(out, "\u{1b}[{paint}m{line}\u{1b}[0m");
        } else {
            let _ = writeln!(out, "{line}");
        }
    }
    out
}

fn describe(c: &Change) -> String {
    let old = c.old.as_deref().unwrap_or("(none)");
    let new = c.new.as_deref().unwrap_or("(none)");
    match c.kind {
        ChangeKind::ActivityAdded => format!("activity {} added ({new})", c.path),
        ChangeKind::ActivityRemoved => format!("activity {} removed (was {old})", c.path),
        ChangeKind::ActivityRenamed => format!("activity renamed: {old} → {new}"),
        ChangeKind::VariableAdded => format!(
            "variable {} added ({new})",
            c.path.trim_start_matches("variables.")
        ),
        ChangeKind::VariableRemoved => format!(
            "variable {} removed (was {old})",
            c.path.trim_start_matches("variables.")
        ),
        ChangeKind::LinkAdded => format!("link {} → {new} added", c.path),
        ChangeKind::LinkRemoved => format!("link {} → {old} removed", c.path),
        ChangeKind::LinkRewired => format!("link {}: {old} → {new}", c.path),
        _ => format!("{}: {old} → {new}", c.path),
    }
}

/// Markdown for a pull-request comment.
pub fn render_markdown(changes: &[Change], old_name: &str, new_name: &str) -> String {
    let mut out = format!("### Flow Designer changes: `{old_name}` → `{new_name}`\n\n");
    if changes.is_empty() {
        out.push_str("No logic changes.\n");
        return out;
    }
    out.push_str("| change | where | before | after |\n|---|---|---|---|\n");
    let cell = |s: Option<&str>| {
        s.map_or(String::new(), |s| {
            format!("`{}`", s.replace('|', "\\|").replace('`', "'"))
        })
    };
    for c in changes {
        let kind = serde_json::to_value(c.kind)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "| {kind} | `{}` | {} | {} |",
            c.path,
            cell(c.old.as_deref()),
            cell(c.new.as_deref())
        );
    }
    out
}

/// A JSON array of changes.
// `expect` below: plain data with string keys always serialises.
#[allow(clippy::expect_used)]
pub fn render_json(changes: &[Change]) -> String {
    serde_json::to_string_pretty(changes).expect("changes serialise") + "\n"
}
