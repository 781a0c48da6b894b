//! Semantic diff of two flow documents: what changed in the flow's logic, by name.
//!
//! Nodes are matched by key, then by platform id (a rename), then by a heuristic (same type,
//! mostly the same settings). References are compared by node key, so renumbering is not a
//! change; layout, key order and whitespace never are. Secret values are masked.

use crate::flow::refs;
use crate::flow::*;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use crate::secret::Text;
mod lines;
pub(crate) mod merge;
mod params;
mod render;

use merge::{merge_keyed, Pair};

pub use crate::secret::MASK;
pub use lines::render_lines;
pub use params::{param_changes, param_lines};
pub(crate) use render::{kind_name, markdown_table, text_lines, Sign};
pub use render::{render_json, render_markdown, render_text};

/// What kind of logic change a [`Change`] is; serialised in kebab case (`node-added`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeKind {
    /// A flow setting: name, description, correlation id, credential headers.
    FlowChanged,
    /// The webhook trigger's event, or a field of its sample body.
    TriggerChanged,
    /// A custom variable only the new flow has.
    VariableAdded,
    /// A custom variable only the old flow has.
    VariableRemoved,
    /// A custom variable's default, flags, `send_to` or note.
    VariableChanged,
    /// A flow outcome only the new flow has.
    OutcomeAdded,
    /// A flow outcome only the old flow has.
    OutcomeRemoved,
    /// A flow outcome's code, description or notify URL.
    OutcomeChanged,
    /// A node only the new flow has.
    NodeAdded,
    /// A node only the old flow has.
    NodeRemoved,
    /// The same node (same platform id, or mostly the same settings) under a new key.
    NodeRenamed,
    /// A node's type or one of its settings.
    NodeChanged,
    /// Where the Start node or one of a node's exits leads.
    EdgeRewired,
    /// A template parameter only the new template has.
    ParamAdded,
    /// A template parameter only the old template has.
    ParamRemoved,
    /// A template parameter's type, default, requirement, secrecy or description.
    ParamChanged,
}

/// One logic change. `path` names the place, e.g. `fetch_token.headers.x-token-passphrase`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    /// What changed.
    pub kind: ChangeKind,
    /// Where: the flow setting, variable, outcome, node field, exit or parameter.
    pub path: String,
    /// The old value as shown, secret values masked; `None` for something added.
    pub old: Option<String>,
    /// The new value as shown, secret values masked; `None` for something removed.
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

/// A flat view of one side: references spelled with node keys.
struct Side<'a> {
    flow: &'a Flow,
    keys: BTreeMap<NodeId, &'a str>,
}

impl<'a> Side<'a> {
    fn new(flow: &'a Flow) -> Self {
        Side {
            flow,
            keys: flow.nodes.iter().map(|n| (n.id, n.key.as_str())).collect(),
        }
    }

    /// A string with `$(n4.x)` spelled `$(fetch_token.x)`.
    fn text(&self, text: &str) -> String {
        refs::spell_with_keys(text, &self.keys)
    }

    fn target(&self, target: &Target) -> String {
        match target {
            Target::Node(id) => self
                .keys
                .get(id)
                .map_or_else(|| id.to_string(), |k| k.to_string()),
            Target::End(outcome) => format!("end:{outcome}"),
        }
    }

    /// A node's settings as path -> value (exits apart), for field-by-field comparison.
    fn fields(&self, node: &Node) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        let q = |s: &str| format!("{:?}", self.text(s));
        if let Some(n) = &node.note {
            out.insert("note".into(), format!("{n:?}"));
        }
        match &node.kind {
            NodeKind::Http(h) => {
                out.insert("method".into(), h.method.as_str().into());
                out.insert("url".into(), q(&h.url));
                for (k, v) in &h.headers {
                    out.insert(format!("headers.{k}"), q(v));
                }
                if let Some(b) = &h.body {
                    out.insert("body".into(), q(b));
                }
                for (what, ms) in [
                    ("connect_timeout_ms", h.connect_timeout_ms),
                    ("request_timeout_ms", h.request_timeout_ms),
                ] {
                    if let Some(ms) = ms {
                        out.insert(what.into(), ms.to_string());
                    }
                }
                if let Some(p) = &h.proxy {
                    out.insert("proxy".into(), q(p));
                }
                if !h.secret_outputs.is_empty() {
                    out.insert("secret_outputs".into(), h.secret_outputs.join(", "));
                }
                for (i, sample) in h.samples.iter().enumerate() {
                    for (path, value) in flatten_json(sample) {
                        out.insert(format!("samples[{i}]{path}"), value);
                    }
                }
                for (k, v) in &h.outputs {
                    out.insert(format!("outputs.{k}"), format!("{v:?}"));
                }
            }
            NodeKind::Branch(b) => {
                for (i, arm) in b.branches.iter().enumerate() {
                    let at = format!("branches.{}", arm.name);
                    out.insert(format!("{at}.position"), (i + 1).to_string());
                    out.insert(
                        format!("{at}.join"),
                        format!("{:?}", arm.join).to_lowercase(),
                    );
                    for (j, c) in arm.conditions.iter().enumerate() {
                        let upper = c
                            .upper
                            .as_deref()
                            .map_or(String::new(), |u| format!(" .. {}", q(u)));
                        out.insert(
                            format!("{at}.conditions[{j}]"),
                            format!(
                                "{} {} {}{upper}",
                                q(&c.variable),
                                c.operator.as_str(),
                                q(&c.value)
                            ),
                        );
                    }
                }
                out.insert("none_label".into(), format!("{:?}", b.none_label));
            }
            NodeKind::Evaluate(e) => {
                out.insert("script".into(), q(&e.script));
                out.insert("output".into(), format!("{:?}", e.output));
                out.insert("choices".into(), format!("{:?}", e.choices));
            }
            NodeKind::CallFlow(c) => {
                out.insert("flow".into(), format!("{:?}", c.flow));
                out.insert(
                    "entry".into(),
                    c.entry.clone().unwrap_or_else(|| "start".into()),
                );
                if let Some(name) = &c.node_name {
                    out.insert("node_name".into(), format!("{name:?}"));
                }
            }
        }
        for (when, actions) in [("on_enter", &node.on_enter), ("on_leave", &node.on_leave)] {
            for a in actions {
                let scope = a
                    .outcome
                    .as_deref()
                    .map_or(String::new(), |o| format!("[{o}]"));
                // An assignment is an expression written in the spec (`$(StaticToken)`): secret
                // values never reach node fields (rendering keeps them in secret variables'
                // defaults), so it is shown and compared as written.
                for (var, value) in &a.set {
                    out.insert(format!("{when}{scope}.set.{var}"), q(value));
                }
            }
        }
        out
    }

    fn exits(&self, node: &Node) -> BTreeMap<String, String> {
        node.exits
            .iter()
            .map(|e| (e.outcome.clone(), self.target(&e.target)))
            .collect()
    }
}

/// How alike two nodes of the same type are, from 0 to 1 (shared settings over all settings).
fn similarity(a: &BTreeMap<String, String>, b: &BTreeMap<String, String>) -> f64 {
    let (mut all, mut same) = (0, 0);
    for (_, pair) in merge_keyed(a, b) {
        all += 1;
        same += usize::from(matches!(pair, Pair::Both(x, y) if x == y));
    }
    if all == 0 {
        return 1.0;
    }
    same as f64 / all as f64
}

/// Each path whose value differs between two flat views, with its value on each side.
fn differing<'a>(
    old: &'a BTreeMap<String, String>,
    new: &'a BTreeMap<String, String>,
) -> impl Iterator<Item = (&'a String, Option<&'a String>, Option<&'a String>)> {
    merge_keyed(old, new).filter_map(|(path, pair)| {
        let (x, y) = pair.sides();
        (x != y).then_some((path, x, y))
    })
}

/// Below this similarity two unmatched nodes are an addition and a removal, not a rename.
const RENAME_THRESHOLD: f64 = 0.6;

/// The logic changes from `old` to `new`, in a stable order.
pub fn diff(old: &Flow, new: &Flow) -> Vec<Change> {
    let (a, b) = (Side::new(old), Side::new(new));
    let mut changes = Vec::new();
    for (field, x, y) in [
        ("flow.name", Some(&old.name), Some(&new.name)),
        (
            "flow.description",
            old.description.as_ref(),
            new.description.as_ref(),
        ),
        (
            "flow.correlation_id",
            old.correlation_id.as_ref(),
            new.correlation_id.as_ref(),
        ),
    ] {
        if x != y {
            changes.push(change(
                ChangeKind::FlowChanged,
                field,
                x.map(|s| format!("{s:?}")),
                y.map(|s| format!("{s:?}")),
            ));
        }
    }
    if old.credential_headers != new.credential_headers {
        changes.push(change(
            ChangeKind::FlowChanged,
            "flow.credential_headers",
            Some(old.credential_headers.join(", ")),
            Some(new.credential_headers.join(", ")),
        ));
    }
    diff_trigger(&a, &b, &mut changes);
    diff_variables(old, new, &mut changes);
    diff_outcomes(old, new, &mut changes);
    diff_nodes(&a, &b, &mut changes);
    changes
}

fn diff_trigger(a: &Side, b: &Side, changes: &mut Vec<Change>) {
    let (x, y) = (&a.flow.trigger, &b.flow.trigger);
    if x.event != y.event {
        changes.push(change(
            ChangeKind::TriggerChanged,
            "trigger.event",
            Some(x.event.clone()),
            Some(y.event.clone()),
        ));
    }
    let (sx, sy) = (flatten_json(&x.sample), flatten_json(&y.sample));
    for (path, vx, vy) in differing(&sx, &sy) {
        changes.push(change(
            ChangeKind::TriggerChanged,
            format!("trigger.sample{path}"),
            vx.cloned(),
            vy.cloned(),
        ));
    }
    let (nx, ny) = (a.target(&x.next), b.target(&y.next));
    if nx != ny {
        changes.push(change(
            ChangeKind::EdgeRewired,
            "start.next",
            Some(nx),
            Some(ny),
        ));
    }
}

/// JSON leaves by path (`.order.id`, `[0]`), values as JSON text.
fn flatten_json(value: &serde_json::Value) -> BTreeMap<String, String> {
    fn walk(v: &serde_json::Value, path: String, out: &mut BTreeMap<String, String>) {
        match v {
            serde_json::Value::Object(m) if !m.is_empty() => {
                for (k, x) in m {
                    walk(x, format!("{path}.{k}"), out);
                }
            }
            serde_json::Value::Array(items) if !items.is_empty() => {
                for (i, x) in items.iter().enumerate() {
                    walk(x, format!("{path}[{i}]"), out);
                }
            }
            leaf => {
                out.insert(path, leaf.to_string());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(value, String::new(), &mut out);
    out
}

fn diff_variables<'a>(old: &'a Flow, new: &'a Flow, changes: &mut Vec<Change>) {
    let by_name = |f: &'a Flow| f.variables.iter().map(|v| (v.name.as_str(), v));
    for (name, pair) in merge_keyed(by_name(old), by_name(new)) {
        match pair {
            Pair::Removed(_) => changes.push(change(
                ChangeKind::VariableRemoved,
                format!("variables.{name}"),
                None,
                None,
            )),
            Pair::Added(_) => changes.push(change(
                ChangeKind::VariableAdded,
                format!("variables.{name}"),
                None,
                None,
            )),
            Pair::Both(p, q) => {
                let secret = p.secret || q.secret;
                let shown = |v: &Variable| format!("{:?}", Text::new(v.default.clone(), secret));
                let fields = [
                    ("default", shown(p), shown(q), p.default != q.default),
                    (
                        "externalize",
                        p.externalize.to_string(),
                        q.externalize.to_string(),
                        p.externalize != q.externalize,
                    ),
                    (
                        "secret",
                        p.secret.to_string(),
                        q.secret.to_string(),
                        p.secret != q.secret,
                    ),
                    (
                        "send_to",
                        p.send_to.join(", "),
                        q.send_to.join(", "),
                        p.send_to != q.send_to,
                    ),
                    (
                        "result",
                        p.result.to_string(),
                        q.result.to_string(),
                        p.result != q.result,
                    ),
                    (
                        "note",
                        format!("{:?}", p.note),
                        format!("{:?}", q.note),
                        p.note != q.note,
                    ),
                ];
                for (field, vp, vq, differs) in fields {
                    if differs {
                        changes.push(change(
                            ChangeKind::VariableChanged,
                            format!("variables.{name}.{field}"),
                            Some(vp),
                            Some(vq),
                        ));
                    }
                }
            }
        }
    }
}

fn diff_outcomes<'a>(old: &'a Flow, new: &'a Flow, changes: &mut Vec<Change>) {
    let by_name = |f: &'a Flow| f.outcomes.iter().map(|o| (o.name.as_str(), o));
    for (name, pair) in merge_keyed(by_name(old), by_name(new)) {
        match pair {
            Pair::Removed(_) => changes.push(change(
                ChangeKind::OutcomeRemoved,
                format!("outcomes.{name}"),
                None,
                None,
            )),
            Pair::Added(_) => changes.push(change(
                ChangeKind::OutcomeAdded,
                format!("outcomes.{name}"),
                None,
                None,
            )),
            Pair::Both(p, q) => {
                for (field, vp, vq) in [
                    ("code", p.code.to_string(), q.code.to_string()),
                    (
                        "description",
                        format!("{:?}", p.description),
                        format!("{:?}", q.description),
                    ),
                    (
                        "notify_url",
                        format!("{:?}", p.notify_url),
                        format!("{:?}", q.notify_url),
                    ),
                ] {
                    if vp != vq {
                        changes.push(change(
                            ChangeKind::OutcomeChanged,
                            format!("outcomes.{name}.{field}"),
                            Some(vp),
                            Some(vq),
                        ));
                    }
                }
            }
        }
    }
}

fn diff_nodes(a: &Side, b: &Side, changes: &mut Vec<Change>) {
    let (old, new) = (&a.flow.nodes, &b.flow.nodes);
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    let mut free_old: BTreeSet<usize> = (0..old.len()).collect();
    let mut free_new: BTreeSet<usize> = (0..new.len()).collect();
    let mut pair = |i: usize, j: usize, fo: &mut BTreeSet<usize>, fnew: &mut BTreeSet<usize>| {
        fo.remove(&i);
        fnew.remove(&j);
        pairs.push((i, j));
    };
    // 1. Same key.
    for (i, node) in old.iter().enumerate() {
        if let Some(j) = new.iter().position(|n| n.key == node.key) {
            pair(i, j, &mut free_old, &mut free_new);
        }
    }
    // 2. Same platform id and type: renamed in the spec.
    for i in free_old.clone() {
        if let Some(j) = free_new
            .iter()
            .copied()
            .find(|&j| new[j].id == old[i].id && same_type(&old[i], &new[j]))
        {
            pair(i, j, &mut free_old, &mut free_new);
        }
    }
    // 3. Same type and mostly the same settings: renamed and renumbered.
    for i in free_old.clone() {
        let fields = a.fields(&old[i]);
        let best = free_new
            .iter()
            .copied()
            .filter(|&j| same_type(&old[i], &new[j]))
            .map(|j| (similarity(&fields, &b.fields(&new[j])), j))
            .filter(|(s, _)| *s >= RENAME_THRESHOLD)
            .max_by(|x, y| x.0.total_cmp(&y.0).then(y.1.cmp(&x.1)));
        if let Some((_, j)) = best {
            pair(i, j, &mut free_old, &mut free_new);
        }
    }
    for &i in &free_old {
        changes.push(change(
            ChangeKind::NodeRemoved,
            old[i].key.clone(),
            Some(format!("{} {}", old[i].id, old[i].kind.type_name())),
            None,
        ));
    }
    for &j in &free_new {
        changes.push(change(
            ChangeKind::NodeAdded,
            new[j].key.clone(),
            None,
            Some(format!("{} {}", new[j].id, new[j].kind.type_name())),
        ));
    }
    pairs.sort_by_key(|&(_, j)| new[j].id);
    // Read the old side with renamed nodes already under their new keys, so that a rename
    // shows once, not again in every edge and reference that names the node.
    let mut a = Side::new(a.flow);
    for &(i, j) in &pairs {
        a.keys.insert(old[i].id, new[j].key.as_str());
    }
    let a = &a;
    for (i, j) in pairs {
        let (x, y) = (&old[i], &new[j]);
        if x.key != y.key {
            changes.push(change(
                ChangeKind::NodeRenamed,
                y.key.clone(),
                Some(x.key.clone()),
                Some(y.key.clone()),
            ));
        }
        if !same_type(x, y) {
            changes.push(change(
                ChangeKind::NodeChanged,
                format!("{}.type", y.key),
                Some(x.kind.type_name().into()),
                Some(y.kind.type_name().into()),
            ));
        }
        let (fx, fy) = (a.fields(x), b.fields(y));
        for (path, vx, vy) in differing(&fx, &fy) {
            changes.push(change(
                ChangeKind::NodeChanged,
                format!("{}.{path}", y.key),
                vx.cloned(),
                vy.cloned(),
            ));
        }
        let (ex, ey) = (a.exits(x), b.exits(y));
        for (outcome, vx, vy) in differing(&ex, &ey) {
            changes.push(change(
                ChangeKind::EdgeRewired,
                format!("{}.{outcome}", y.key),
                vx.cloned(),
                vy.cloned(),
            ));
        }
    }
}

fn same_type(x: &Node, y: &Node) -> bool {
    x.kind.type_name() == y.kind.type_name()
}
