//! Semantic diff of two Flow Designer flows: logic, not noise.
//!
//! Activities are matched by name, then by likeness (same type, at least 60% of settings and
//! links equal: a rename), and compare by their settings and group. A value's JSON type is
//! part of it (`1` is not `"1"`) but for the keys of [`NUMBER_OR_TEXT`], which exports write
//! both ways. Links compare by their source's port; variables with their flags;
//! event flows by their handlers. UUIDs, diagram coordinates, `_renderRequestTimestamp`,
//! created/modified stamps and the UI's `X:type` / `X_type` twins are never a change; nor is
//! a setting that is absent on one side and the kind's default (or null) on the other. Secret
//! values (secure variables, credentials typed in clear: see [`super::secrets`]) show as `•••`,
//! on both sides when either side's is secret.

use super::lint::{processes, Scope};
use super::model::*;
use super::secrets::{fields, Secrets};
use crate::secret::Text;
use crate::tools::diff::merge::{merge_keyed, Pair};
use crate::tools::diff::{kind_name, markdown_table, text_lines, Sign};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// What kind of logic change a [`Change`] is; serialised in kebab case (`activity-added`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeKind {
    /// A flow-level field: name, description, comment, type, variable order, runtime variables.
    FlowChanged,
    /// A flow variable only the new flow has.
    VariableAdded,
    /// A flow variable only the old flow has.
    VariableRemoved,
    /// A flow variable's value, type or flags.
    VariableChanged,
    /// An activity only the new flow has.
    ActivityAdded,
    /// An activity only the old flow has.
    ActivityRemoved,
    /// The same activity (same type, mostly the same settings and links) under a new name.
    ActivityRenamed,
    /// One setting of an activity both flows have.
    ActivityChanged,
    /// A link from a port that had none.
    LinkAdded,
    /// A link from a port that now has none.
    LinkRemoved,
    /// A port that now links to another activity.
    LinkRewired,
    /// An event flow's name, description or handlers.
    EventChanged,
}

/// One logic change; `path` names the place, e.g. `get_JDSToken.httpRequestHeaders.x-key`.
/// Values know whether they are secret, and serialise as they are shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    /// What changed.
    pub kind: ChangeKind,
    /// Where: the flow field, variable, activity setting or port.
    pub path: String,
    /// The old flow's value; `None` for something added.
    pub old: Option<Text>,
    /// The new flow's value; `None` for something removed.
    pub new: Option<Text>,
}

fn plain(value: impl Into<String>) -> Option<Text> {
    Some(Text::plain(value))
}

fn change(
    kind: ChangeKind,
    path: impl Into<String>,
    old: Option<Text>,
    new: Option<Text>,
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
    let secrets = (Secrets::of(old), Secrets::of(new));
    let mut out = Vec::new();
    let flow_fields = |f: &FdFlow| -> Fields {
        let mut m = BTreeMap::new();
        let mut put = |k: &str, v: String| m.insert(k.to_string(), Text::plain(v));
        put("name", format!("{:?}", f.name));
        put("description", format!("{:?}", f.description));
        put("comment", format!("{:?}", f.comment));
        put(
            "type",
            f.flow_type.clone().unwrap_or_else(|| "(not given)".into()),
        );
        let orders = f
            .variable_orders
            .clone()
            .unwrap_or_else(empty_variable_orders);
        put("variable_orders", orders.to_string());
        if !f.runtime_variables.is_empty() {
            put(
                "runtime_variables",
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
        &mut out,
    );
    diff_variables(old, new, &secrets, &mut out);
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
        let old_process = find(&old_scopes, scope).unwrap_or(&empty);
        let new_process = find(&new_scopes, scope).unwrap_or(&empty);
        let sides = Side::pair(old_process, new_process, &secrets, scope);
        diff_process(sides, &prefix, &mut out);
    }
    let events = |f: &FdFlow| -> Fields {
        let mut m = BTreeMap::new();
        for e in &f.event_flows {
            m.insert(
                format!("event_flows.{}.name", e.key),
                Text::plain(format!("{:?}", e.name)),
            );
            m.insert(
                format!("event_flows.{}.description", e.key),
                Text::plain(format!("{:?}", e.description)),
            );
            for (event, handler) in &e.on_events {
                m.insert(
                    format!("event_flows.{}.on.{event}", e.key),
                    Text::plain(handler.as_str()),
                );
            }
        }
        m
    };
    compare_maps(
        &events(old),
        &events(new),
        "",
        ChangeKind::EventChanged,
        &mut out,
    );
    out
}

/// A thing's compared fields: path -> value.
type Fields = BTreeMap<String, Text>;

/// What an empty text value reads as in [`Fields`].
const EMPTY: &str = "\"\"";

/// Reports each field whose value differs. A field secret on either side is secret on both:
/// a value that became secret must not show as it was (an empty one shows as empty: that it
/// was empty is no secret).
fn compare_maps(a: &Fields, b: &Fields, prefix: &str, kind: ChangeKind, out: &mut Vec<Change>) {
    for (k, pair) in merge_keyed(a, b) {
        let (x, y) = pair.sides();
        if x.map(Text::expose) != y.map(Text::expose) {
            let secret = x.is_some_and(Text::is_secret) || y.is_some_and(Text::is_secret);
            let shown = |v: &Text| {
                let empty = v.expose() == EMPTY;
                v.clone().tainted_by(secret && !empty)
            };
            out.push(change(
                kind,
                format!("{prefix}{k}"),
                x.map(shown),
                y.map(shown),
            ));
        }
    }
}

fn variable_fields(v: &Variable, secrets: &Secrets) -> Fields {
    let mut m = BTreeMap::new();
    let value = secrets
        .variable_value(v)
        .unwrap_or_else(|| Text::plain(EMPTY));
    m.insert("value".into(), value);
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
    m
}

fn diff_variables<'a>(
    old: &'a FdFlow,
    new: &'a FdFlow,
    secrets: &'a (Secrets, Secrets),
    out: &mut Vec<Change>,
) {
    let by_name = |f: &'a FdFlow, s: &'a Secrets| {
        f.variables
            .iter()
            .map(move |v| (v.name.as_str(), variable_fields(v, s)))
    };
    // Additions are listed after every removal and change.
    let mut added = Vec::new();
    for (name, pair) in merge_keyed(by_name(old, &secrets.0), by_name(new, &secrets.1)) {
        match pair {
            Pair::Removed(fields) => out.push(change(
                ChangeKind::VariableRemoved,
                format!("variables.{name}"),
                Some(fields["type"].clone()),
                None,
            )),
            Pair::Both(fields, other) => compare_maps(
                &fields,
                &other,
                &format!("variables.{name}."),
                ChangeKind::VariableChanged,
                out,
            ),
            Pair::Added(fields) => added.push(change(
                ChangeKind::VariableAdded,
                format!("variables.{name}"),
                None,
                Some(fields["type"].clone()),
            )),
        }
    }
    out.extend(added);
}

/// One side of a process comparison: the process, and the secrets of its flow.
#[derive(Clone, Copy)]
struct Side<'a> {
    process: &'a Process,
    secrets: &'a Secrets,
    scope: &'a Scope,
}

impl<'a> Side<'a> {
    fn pair(
        old: &'a Process,
        new: &'a Process,
        secrets: &'a (Secrets, Secrets),
        scope: &'a Scope,
    ) -> (Side<'a>, Side<'a>) {
        (
            Side {
                process: old,
                secrets: &secrets.0,
                scope,
            },
            Side {
                process: new,
                secrets: &secrets.1,
                scope,
            },
        )
    }

    fn fields(&self, a: &Activity) -> Fields {
        let mut out = fields(a, self.secrets.settings(self.scope, &a.name));
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
pub const NUMBER_OR_TEXT: &[&str] = &["duration", "httpResponseTimeout", "retryAttempts"];

fn similarity(a: &Fields, b: &Fields) -> f64 {
    let (mut all, mut same) = (0, 0);
    for (_, pair) in merge_keyed(a, b) {
        all += 1;
        same += usize::from(matches!(pair, Pair::Both(x, y) if x.expose() == y.expose()));
    }
    if all == 0 {
        return 1.0;
    }
    same as f64 / all as f64
}

fn diff_process(sides: (Side, Side), prefix: &str, out: &mut Vec<Change>) {
    let (old_side, new_side) = sides;
    let (old, new) = (old_side.process, new_side.process);
    let exits = |p: &Process, name: &str| -> Fields {
        p.links_from(name)
            .map(|l| (format!("->{}", l.port), Text::plain(l.target.as_str())))
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
        let mut fa = old_side.fields(a);
        fa.extend(exits(old, &a.name));
        for b in &unmatched_new {
            if a.type_name() != b.type_name() {
                continue;
            }
            let mut fb = new_side.fields(b);
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
                plain(a),
                plain(b),
            ));
        }
    }
    let renamed: BTreeMap<&str, &str> = pairs.clone();
    for a in &old.activities {
        match renamed.get(a.name.as_str()) {
            None => out.push(change(
                ChangeKind::ActivityRemoved,
                format!("{prefix}{}", a.name),
                plain(a.type_name()),
                None,
            )),
            Some(b) => {
                let Some(b) = new.activity(b) else { continue };
                let (fa, fb) = (old_side.fields(a), new_side.fields(b));
                compare_maps(
                    &fa,
                    &fb,
                    &format!("{prefix}{}.", b.name),
                    ChangeKind::ActivityChanged,
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
                plain(b.type_name()),
            ));
        }
    }
    // Links by (source, port), old names spelled as their new names.
    let spell = |name: &str| {
        renamed
            .get(name)
            .map_or(name.to_string(), |n| n.to_string())
    };
    let old_links = old
        .links
        .iter()
        .map(|l| ((spell(&l.source), l.port.as_str()), spell(&l.target)));
    let new_links = new
        .links
        .iter()
        .map(|l| ((l.source.clone(), l.port.as_str()), l.target.clone()));
    for ((source, port), pair) in merge_keyed(old_links, new_links) {
        let path = format!("{prefix}{source}.{port}");
        match pair {
            Pair::Both(a, b) if a != b => {
                out.push(change(ChangeKind::LinkRewired, path, plain(a), plain(b)))
            }
            Pair::Removed(a) => out.push(change(ChangeKind::LinkRemoved, path, plain(a), None)),
            Pair::Added(b) => out.push(change(ChangeKind::LinkAdded, path, None, plain(b))),
            Pair::Both(..) => {}
        }
    }
}

/// Plain text, one change a line; `colour` adds ANSI colours (for a terminal only).
pub fn render_text(changes: &[Change], colour: bool) -> String {
    let lines = changes.iter().map(|c| {
        let sign = match c.kind {
            ChangeKind::ActivityAdded | ChangeKind::VariableAdded | ChangeKind::LinkAdded => {
                Sign::Added
            }
            ChangeKind::ActivityRemoved | ChangeKind::VariableRemoved | ChangeKind::LinkRemoved => {
                Sign::Removed
            }
            _ => Sign::Changed,
        };
        (sign, describe(c))
    });
    text_lines(lines, colour)
}

fn describe(c: &Change) -> String {
    let old = c.old.as_ref().map_or("(none)", Text::shown);
    let new = c.new.as_ref().map_or("(none)", Text::shown);
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

/// Markdown for a pull-request comment; values as they are shown.
pub fn render_markdown(changes: &[Change], old_name: &str, new_name: &str) -> String {
    markdown_table(
        &format!("### Flow Designer changes: `{old_name}` → `{new_name}`"),
        changes.iter().map(|c| {
            (
                kind_name(&c.kind),
                c.path.as_str(),
                c.old.as_ref().map(Text::shown),
                c.new.as_ref().map(Text::shown),
            )
        }),
    )
}

/// A JSON array of changes.
// `expect` below: plain data with string keys always serialises.
#[allow(clippy::expect_used)]
pub fn render_json(changes: &[Change]) -> String {
    serde_json::to_string_pretty(changes).expect("changes serialise") + "\n"
}
