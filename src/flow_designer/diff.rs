//! Semantic diff of two Flow Designer flows, and a flow's textconv lines: logic, not noise.
//! Both read one flattening of the flow (each activity's settings as facts: path -> value,
//! see `facts`), and the diff compares it with the engine flow documents use
//! ([`crate::tools::diff`]): activities pair by name, then by likeness (same type, at least 60%
//! of settings and links equal: a rename).
//!
//! A value's JSON type is part of it (`1` is not `"1"`) but for the keys of `NUMBER_OR_TEXT`,
//! which exports write both ways. Links compare by their source's port; variables with their
//! flags; event flows by their handlers. UUIDs (of activities, and of each `setVariablesArray`
//! entry), diagram coordinates, `_renderRequestTimestamp`, created/modified stamps and the UI's
//! `X:type` / `X_type` twins are never a change; nor is a setting that is absent on one side
//! and the kind's default (or null) on the other: an activity's `activityVersionNumber` (the
//! catalog version that runs) is a change when its number differs, or is given on one side
//! only, and no change when it is null or absent on both. An activity's `properties.name`
//! shows as the file held it, its name where it repeats it. Secret values (secure variables,
//! credentials typed in clear: see [`super::secrets`]) show as `•••`, on both sides when either
//! side's is.

use super::layout::breadth_first;
use super::model::*;
use super::model::{processes, Scope};
use super::secrets::{fields, Secrets};
use crate::secret::Text;
use crate::tools::diff::facts::{compare, compare_keyed, pair_items, Fields, Item};
use crate::tools::diff::merge::{merge_keyed, Pair};
use crate::tools::diff::ChangeKind::*;
pub use crate::tools::diff::{render_json, render_text, Change, ChangeKind};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

/// Every logic change from `old` to `new`.
pub(crate) fn diff(old: &FdFlow, new: &FdFlow) -> Vec<Change> {
    // The two sides are flattened beside each other (for 10,000 activities, a fifth of the
    // diff's time each).
    let secrets = super::beside(|| Secrets::of(old), || Secrets::of(new));
    let mut out = Vec::new();
    compare(
        &flow_fields(old),
        &flow_fields(new),
        "flow.",
        FlowChanged,
        &mut out,
    );
    compare_keyed(
        variables(old, &secrets.0),
        variables(new, &secrets.1),
        "variables.",
        [VariableRemoved, VariableChanged, VariableAdded],
        Some("type"),
        &mut out,
    );
    let (old_scopes, new_scopes) = (processes(old), processes(new));
    let mut scopes: Vec<&Scope> = old_scopes.iter().map(|(s, _)| s).collect();
    for (s, _) in &new_scopes {
        if !scopes.contains(&s) {
            scopes.push(s);
        }
    }
    let empty = Process::default();
    for scope in scopes {
        let find = |all: &[(Scope, &Process)]| -> Option<usize> {
            all.iter().position(|(s, _)| s == scope)
        };
        let prefix = match scope {
            Scope::Main => String::new(),
            Scope::Event(key) => format!("event_flows.{key}."),
        };
        let a = find(&old_scopes).map_or(&empty, |i| old_scopes[i].1);
        let b = find(&new_scopes).map_or(&empty, |i| new_scopes[i].1);
        let (a, b) = super::beside(
            || Flat::new(a, &secrets.0, scope),
            || Flat::new(b, &secrets.1, scope),
        );
        diff_process(&a, &b, &prefix, &mut out);
    }
    compare(&events(old), &events(new), "", EventChanged, &mut out);
    out
}

/// Markdown for a pull-request comment; values as they are shown.
pub(crate) fn render_markdown(changes: &[Change], old_name: &str, new_name: &str) -> String {
    crate::tools::diff::markdown(changes, "Flow Designer changes", old_name, new_name)
}

fn flow_fields(f: &FdFlow) -> Fields {
    let orders = f
        .variable_orders
        .clone()
        .unwrap_or_else(empty_variable_orders);
    let mut m = Fields::from(
        [
            ("name", format!("{:?}", f.name)),
            ("description", format!("{:?}", f.description)),
            ("comment", format!("{:?}", f.comment)),
            (
                "type",
                f.flow_type.clone().unwrap_or_else(|| "(not given)".into()),
            ),
            ("variable_orders", orders.to_string()),
        ]
        .map(|(k, v)| (k.to_string(), Text::plain(v))),
    );
    if !f.runtime_variables.is_empty() {
        let all = Value::Array(f.runtime_variables.clone()).to_string();
        m.insert("runtime_variables".into(), Text::plain(all));
    }
    // The flow's settings as the file written from it carries them (`flowDecryptAccess`
    // decides whether its activities may read secure values): one fact a setting, by name.
    let settings = f.kept.top.get("settings").cloned();
    let settings = settings.unwrap_or_else(|| super::emit::default_settings(f));
    for (i, setting) in settings.as_array().into_iter().flatten().enumerate() {
        let mut setting = setting.clone();
        let name = match setting.as_object_mut().map(|s| s.remove("name")) {
            Some(Some(Value::String(name))) => name,
            _ => i.to_string(),
        };
        m.insert(format!("settings.{name}"), Text::plain(setting.to_string()));
    }
    m
}

/// Each variable's facts, by name.
fn variables(f: &FdFlow, secrets: &Secrets) -> Vec<(String, Fields)> {
    (f.variables.iter())
        .map(|v| {
            let kept = f.kept.variables.get(&v.name);
            (v.name.clone(), variable_fields(v, kept, secrets))
        })
        .collect()
}

fn events(f: &FdFlow) -> Fields {
    let mut m = Fields::new();
    for e in &f.event_flows {
        let at = format!("event_flows.{}", e.key);
        m.insert(format!("{at}.name"), Text::plain(format!("{:?}", e.name)));
        let description = format!("{:?}", e.description);
        m.insert(format!("{at}.description"), Text::plain(description));
        for (event, handler) in &e.on_events {
            m.insert(format!("{at}.on.{event}"), Text::plain(handler.as_str()));
        }
    }
    m
}

/// A variable's facts: its value, type and flags, `isExternalized` as the file written from it
/// carries it (`kept`: the members an export gave beside the model's).
fn variable_fields(
    v: &Variable,
    kept: Option<&BTreeMap<String, Value>>,
    secrets: &Secrets,
) -> Fields {
    let externalized = kept.and_then(|k| k.get("isExternalized"));
    let externalized = externalized.map_or_else(|| "false".to_string(), Value::to_string);
    let value = secrets
        .variable_value(v)
        .unwrap_or_else(|| Text::plain("\"\""));
    let mut m = Fields::from([("value".to_string(), value)]);
    let mut put = |k: &str, v: String| m.insert(k.to_string(), Text::plain(v));
    put("type", v.kind.clone());
    put("description", format!("{:?}", v.description));
    put("source", format!("{:?}", v.source));
    put("desktopLabel", format!("{:?}", v.desktop_label));
    for (name, on) in [
        ("isSecure", v.is_secure),
        ("isCAD", v.is_cad),
        ("isAgentEditable", v.is_agent_editable),
        ("isReportable", v.is_reportable),
        ("overwrite", v.overwrite),
    ] {
        put(name, on.to_string());
    }
    put("isExternalized", externalized);
    m
}

/// One process flattened: each activity's facts, and its links by port, found once.
struct Flat<'a> {
    process: &'a Process,
    facts: Vec<Fields>,
    by_name: HashMap<&'a str, usize>,
    exits: Vec<Vec<&'a Link>>,
}

impl<'a> Flat<'a> {
    fn new(process: &'a Process, secrets: &Secrets, scope: &Scope) -> Flat<'a> {
        let all = &process.activities;
        let by_name: HashMap<&str, usize> = all
            .iter()
            .enumerate()
            .map(|(i, a)| (a.name.as_str(), i))
            .collect();
        let mut exits = vec![Vec::new(); all.len()];
        for l in &process.links {
            if let Some(&i) = by_name.get(l.source.as_str()) {
                exits[i].push(l);
            }
        }
        let facts = all.iter().map(|a| facts(a, secrets, scope)).collect();
        Flat {
            process,
            facts,
            by_name,
            exits,
        }
    }

    /// Activities as rename matching sees them: their facts and where their ports lead.
    fn items(&self) -> Vec<Item<'_>> {
        let all = self.process.activities.iter().enumerate();
        all.map(|(i, a)| {
            let mut facts = self.facts[i].clone();
            for l in &self.exits[i] {
                facts.insert(format!("->{}", l.port), Text::plain(l.target.as_str()));
            }
            Item {
                key: &a.name,
                type_name: a.type_name(),
                id: None,
                facts,
            }
        })
        .collect()
    }
}

/// An activity's logic as facts (path -> value): its settings ([`fields`]: over the kind's
/// defaults, noise left out, secret places secret), its own palette group, and the keys of
/// `NUMBER_OR_TEXT` read as numbers.
pub(crate) fn facts(a: &Activity, secrets: &Secrets, scope: &Scope) -> Fields {
    let mut out = fields(a, secrets.settings(scope, &a.name));
    // The activity's own group: moving it to another palette group is a change.
    if !a.group.is_empty() {
        out.insert("group".into(), Text::plain(a.group.as_str()));
    }
    for key in NUMBER_OR_TEXT {
        let Some(Value::String(text)) = a.settings.get(*key) else {
            continue;
        };
        if let (Ok(Value::Number(n)), Some(shown)) =
            (serde_json::from_str::<Value>(text), out.get(*key))
        {
            let secret = shown.is_secret();
            out.insert(key.to_string(), Text::new(n.to_string(), secret));
        }
    }
    out
}

/// The setting `properties.name`: the reader keeps it only where it differs from the
/// activity's name (see `read.rs`), so an activity's facts hold it only then.
const NAME: &str = "name";

/// `properties.name` as the file holds it where the reader folded it away: the activity's own
/// name, quoted as every text setting is.
fn held_name(a: &Activity) -> Text {
    Text::plain(format!("{:?}", a.name))
}

/// An activity's facts with the `properties.name` the file held, where the reader folded it.
fn with_held_name(facts: &Fields, a: &Activity) -> Fields {
    let mut facts = facts.clone();
    facts
        .entry(NAME.to_string())
        .or_insert_with(|| held_name(a));
    facts
}

/// Settings that exports write as a number in some files and as the same number in text in
/// others, which Flow Designer therefore reads alike: `1` and `"1"` are one value for these,
/// and for no other key (a number that became text elsewhere is a change).
///
/// Evidence (real exports in `real-exports/flow-designer`):
/// - `httpResponseTimeout` (http-request-v2): `2000` in `VoiceFlow_InstantConnect.json`,
///   `bmclella_Voice_JDS_1.json` and Cisco's `scripted_*_subflow.json`; `"5000"` in
///   `VoiceFlow_InstantConnect.json` and `bmclella_Voice_JDS_1.json`.
/// - `duration` (play-music): `-1` in `CCAI_Flow_DialogFlowES.json`, `"30"` in
///   `VoiceFlow_InstantConnect.json`.
/// - `retryAttempts` (http-request-v2): `1` in every export seen; `"3"` as reported with the
///   issue that asked for this list [reported: no export at hand writes it as text].
pub(crate) const NUMBER_OR_TEXT: &[&str] = &["duration", "httpResponseTimeout", "retryAttempts"];

fn diff_process(old: &Flat, new: &Flat, prefix: &str, out: &mut Vec<Change>) {
    let (olds, news) = (&old.process.activities, &new.process.activities);
    let pairs = pair_items(&old.items(), &new.items());
    let mut to: Vec<Option<usize>> = vec![None; olds.len()];
    let mut paired_new = vec![false; news.len()];
    for &(i, j) in &pairs {
        (to[i], paired_new[j]) = (Some(j), true);
        if olds[i].name != news[j].name {
            let (a, b) = (&olds[i].name, &news[j].name);
            let (was, now) = (Some(Text::plain(a.as_str())), Some(Text::plain(b.as_str())));
            out.push(Change::new(
                ActivityRenamed,
                format!("{prefix}{a}"),
                was,
                now,
            ));
        }
    }
    for (i, a) in olds.iter().enumerate() {
        match to[i] {
            None => {
                let was = Some(Text::plain(a.type_name()));
                out.push(Change::new(
                    ActivityRemoved,
                    format!("{prefix}{}", a.name),
                    was,
                    None,
                ));
            }
            Some(j) => {
                let at = format!("{prefix}{}.", news[j].name);
                let (was, now) = (&old.facts[i], &new.facts[j]);
                // A side whose `properties.name` the reader folded away held the activity's
                // name there: against a side that holds another, that is its old or new value.
                match (was.contains_key(NAME), now.contains_key(NAME)) {
                    (false, true) => {
                        let was = with_held_name(was, &olds[i]);
                        compare(&was, now, &at, ActivityChanged, out);
                    }
                    (true, false) => {
                        let now = with_held_name(now, &news[j]);
                        compare(was, &now, &at, ActivityChanged, out);
                    }
                    _ => compare(was, now, &at, ActivityChanged, out),
                }
            }
        }
    }
    for (_, b) in news.iter().enumerate().filter(|(j, _)| !paired_new[*j]) {
        let now = Some(Text::plain(b.type_name()));
        out.push(Change::new(
            ActivityAdded,
            format!("{prefix}{}", b.name),
            None,
            now,
        ));
    }
    // Links by (source, port), old names spelled as their new names; a port may lead to more
    // than one activity (each target, in order of name, joined).
    let spell = |name: &'_ str| -> String {
        (old.by_name.get(name).and_then(|&i| to[i]))
            .map_or(name.to_string(), |j| news[j].name.clone())
    };
    fn by_port<'p>(
        links: impl Iterator<Item = ((String, &'p str), String)>,
    ) -> Vec<((String, &'p str), String)> {
        let mut ports: BTreeMap<(String, &str), Vec<String>> = BTreeMap::new();
        for (port, target) in links {
            ports.entry(port).or_default().push(target);
        }
        (ports.into_iter())
            .map(|(port, mut targets)| {
                targets.sort();
                targets.dedup();
                (port, targets.join(", "))
            })
            .collect()
    }
    let old_links =
        (old.process.links.iter()).map(|l| ((spell(&l.source), l.port.as_str()), spell(&l.target)));
    let new_links =
        (new.process.links.iter()).map(|l| ((l.source.clone(), l.port.as_str()), l.target.clone()));
    for ((source, port), pair) in merge_keyed(by_port(old_links), by_port(new_links)) {
        let path = format!("{prefix}{source}.{port}");
        let (kind, a, b) = match pair {
            Pair::Both(a, b) if a != b => (LinkRewired, Some(a), Some(b)),
            Pair::Removed(a) => (LinkRemoved, Some(a), None),
            Pair::Added(b) => (LinkAdded, None, Some(b)),
            Pair::Both(..) => continue,
        };
        out.push(Change::new(
            kind,
            path,
            a.map(Text::plain),
            b.map(Text::plain),
        ));
    }
}

/// The flow's lines, one fact each, in a stable order: what `git diff` compares (textconv).
/// Activities come in breadth-first order, settings by path as the diff reads them
/// (`properties.name` too where it repeats the activity's name; `activityId` where it is not
/// the type shown), links as
/// `source.port -> target`; UUIDs, the diagram and render stamps left out, secret values
/// shown as `•••`, whole.
pub(crate) fn render_lines(flow: &FdFlow) -> String {
    let secrets = Secrets::of(flow);
    // Names and kinds come from the file: a line break in one would forge a line of its own.
    let n = |text: &str| crate::diagnostic::printable_name(text).into_owned();
    let mut out = String::new();
    // The flow's and its variables' lines are the facts the diff compares, one a line; an
    // empty text or a flag that is off goes without a line (its line comes when it changes).
    // (A value `false` is a value: only a flag's is left out.)
    let unset = |path: &str, value: &Text| match value.shown() {
        "\"\"" => true,
        "false" => path != "value",
        _ => false,
    };
    for (path, value) in flow_fields(flow) {
        if !unset(&path, &value) {
            let _ = writeln!(out, "flow.{} = {}", n(&path), n(value.shown()));
        }
    }
    let mut variables = variables(flow, &secrets);
    variables.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, mut facts) in variables {
        let name = n(&name);
        if let Some(kind) = facts.remove("type") {
            let _ = writeln!(out, "variables.{name} = {}", n(kind.shown()));
        }
        for (path, value) in facts.iter().filter(|(path, value)| !unset(path, value)) {
            let _ = writeln!(out, "variables.{name}.{path} = {}", n(value.shown()));
        }
    }
    let event_facts = events(flow);
    for (scope, process) in processes(flow) {
        let prefix = match &scope {
            Scope::Main => String::new(),
            Scope::Event(key) => {
                // The event flow's facts as the diff reads them: name, description, handlers.
                let at = format!("event_flows.{key}.");
                for (path, value) in event_facts.iter().filter(|(p, _)| p.starts_with(&at)) {
                    let _ = writeln!(out, "{} = {}", n(path), n(value.shown()));
                }
                format!("event_flows.{}.", n(key))
            }
        };
        let flat = Flat::new(process, &secrets, &scope);
        let index = ProcessIndex::of(process);
        for (name, _) in breadth_first(process) {
            let Some(&i) = flat.by_name.get(name.as_str()) else {
                continue;
            };
            let a = &process.activities[i];
            let shown = n(&name);
            let _ = writeln!(out, "{prefix}{shown} = {}", n(a.type_name()));
            // `properties.name` has a line even where it repeats the name: a change of it then
            // shows its old value, as diff does.
            let held = (!flat.facts[i].contains_key(NAME)).then(|| held_name(a));
            let mut facts: Vec<(&str, &Text)> = (flat.facts[i].iter())
                .map(|(path, value)| (path.as_str(), value))
                .collect();
            if let Some(held) = &held {
                facts.insert(
                    facts.partition_point(|(path, _)| *path < NAME),
                    (NAME, held),
                );
            }
            for (path, value) in facts {
                // The type is the activity's own line; `activityId` has one where that line
                // does not show it (a voice activity's catalog id), as diff compares it.
                let shown_above = a.activity_id.as_deref() == Some(a.written_type());
                if path == "type" || (path == "activityId" && shown_above) {
                    continue;
                }
                let _ = writeln!(out, "{prefix}{shown}.{} = {}", n(path), n(value.shown()));
            }
            for link in index.links_in_port_order(&name) {
                let (port, target) = (n(&link.port), n(&link.target));
                let _ = writeln!(out, "{prefix}{shown}.{port} -> {target}");
            }
        }
    }
    out
}
