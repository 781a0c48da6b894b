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

use crate::secret::{names, Text};
pub(crate) mod facts;
pub(crate) mod lines;
pub(crate) mod merge;
mod params;
mod render;

use facts::{compare, compare_keyed, pair_items, Fields, Item};

pub use crate::secret::MASK;
pub use lines::render_lines;
pub use params::{param_changes, param_lines};
pub(crate) use render::markdown;
pub use render::{render_json, render_markdown, render_text};

/// What kind of logic change a [`Change`] is; serialised in kebab case (`node-added`). Flow
/// documents and Flow Designer flows share it: a diff of either uses the kinds its model has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeKind {
    /// A flow setting: name, description, correlation id, credential headers (Flow Designer:
    /// name, description, comment, type, variable order, runtime variables).
    FlowChanged,
    /// The webhook trigger's event, or a field of its sample body.
    TriggerChanged,
    /// A variable only the new flow has.
    VariableAdded,
    /// A variable only the old flow has.
    VariableRemoved,
    /// A variable's default or value, type, flags, `send_to` or note.
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
    /// A Flow Designer activity only the new flow has.
    ActivityAdded,
    /// A Flow Designer activity only the old flow has.
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
    /// A Flow Designer event flow's name, description or handlers.
    EventChanged,
}

/// One logic change. `path` names the place, e.g. `fetch_token.headers.x-token-passphrase`.
/// Values know whether they are secret, and serialise as they are shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    /// What changed.
    pub kind: ChangeKind,
    /// Where: the flow setting, variable, outcome, node or activity field, exit or parameter.
    pub path: String,
    /// The old value; `None` for something added.
    pub old: Option<Text>,
    /// The new value; `None` for something removed.
    pub new: Option<Text>,
}

impl Change {
    pub(crate) fn new(
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
}

/// A change whose values hold no secret.
fn change(
    kind: ChangeKind,
    path: impl Into<String>,
    old: Option<String>,
    new: Option<String>,
) -> Change {
    Change::new(kind, path, old.map(Text::plain), new.map(Text::plain))
}

/// A flat view of one side: references spelled with node keys.
struct Side<'a> {
    flow: &'a Flow,
    keys: BTreeMap<NodeId, &'a str>,
    /// What transition actions type that a URL would send as its credential
    /// ([`Flow::credential_assignments`]).
    credential_assignments: BTreeSet<(String, String)>,
}

impl<'a> Side<'a> {
    fn new(flow: &'a Flow) -> Self {
        Side {
            flow,
            keys: flow.nodes.iter().map(|n| (n.id, n.key.as_str())).collect(),
            credential_assignments: flow.credential_assignments(),
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

    /// A node's settings as path -> value (exits apart), for field-by-field comparison. A
    /// credential typed in clear where a request carries one (a credential header's value, a
    /// URL's user information or credential parameter, in the URL, the proxy address) is secret by its
    /// place: compared as written, shown as the mask.
    fn fields(&self, node: &Node) -> Fields {
        let (plain, assigned_secrets) = self.plain_fields(node);
        let mut out: Fields = (plain.into_iter())
            .map(|(k, v)| {
                let secret = assigned_secrets.contains(&k);
                (k, Text::new(v, secret))
            })
            .collect();
        if let NodeKind::Http(h) = &node.kind {
            let mut typed = |path: String, secret: bool| {
                if let Some(v) = out.get_mut(&path) {
                    *v = v.clone().tainted_by(secret);
                }
            };
            typed("url".into(), url_types_credential(&h.url));
            if let Some(p) = &h.proxy {
                typed("proxy".into(), url_types_credential(p));
            }
            for (k, v) in &h.headers {
                typed(
                    format!("headers.{k}"),
                    names::connect_header_types_credential(k, v, &self.flow.credential_headers),
                );
            }
        }
        out
    }

    /// A node's settings as written, before any is told secret by its place; with the paths of
    /// the values its transition actions assign that are secret ([`Flow::assignment_is_secret`]).
    fn plain_fields(&self, node: &Node) -> (BTreeMap<String, String>, BTreeSet<String>) {
        let mut out = BTreeMap::new();
        let mut assigned_secrets = BTreeSet::new();
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
            // Each action sees what the ones before it set: the order of a list of more than
            // one is a fact (`Out; Tmp`: two actions, `Out, Tmp`: one setting both).
            if actions.len() > 1 {
                let order: Vec<String> = actions
                    .iter()
                    .map(|a| a.set.keys().cloned().collect::<Vec<_>>().join(", "))
                    .collect();
                out.insert(format!("{when}.order"), order.join("; "));
            }
            for a in actions {
                let scope = a
                    .outcome
                    .as_deref()
                    .map_or(String::new(), |o| format!("[{o}]"));
                // An assignment is an expression written in the spec (`$(StaticToken)`), shown
                // and compared as written; but text typed whole for a secret variable, or a URL's
                // credential, is secret (compared as written, shown as the mask).
                for (var, value) in &a.set {
                    // A later action setting the same variable again is a fact of its own
                    // (`...set.Out#2`): the first value may be read in between.
                    let key = format!("{when}{scope}.set.{var}");
                    let mut nth = 1;
                    let mut unique = key.clone();
                    while out.contains_key(&unique) {
                        nth += 1;
                        unique = format!("{key}#{nth}");
                    }
                    let landing = (self.credential_assignments)
                        .contains(&(var.to_string(), value.to_string()));
                    if landing || self.flow.assignment_is_secret(var, value) {
                        assigned_secrets.insert(unique.clone());
                    }
                    out.insert(unique, q(value));
                }
            }
        }
        (out, assigned_secrets)
    }

    fn exits(&self, node: &Node) -> BTreeMap<String, String> {
        node.exits
            .iter()
            .map(|e| (e.outcome.clone(), self.target(&e.target)))
            .collect()
    }
}

/// Whether a Webex Connect URL, as written, carries a credential in clear (a typed password or
/// credential parameter): then it is secret whole by its place.
pub(crate) fn url_types_credential(url: &str) -> bool {
    !names::url_credentials(url, names::CONNECT_REFERENCES).is_empty()
}

/// A flat view's values as facts that hold no secret.
fn texts(map: BTreeMap<String, String>) -> Fields {
    map.into_iter().map(|(k, v)| (k, Text::plain(v))).collect()
}

/// The logic changes from `old` to `new`, in a stable order.
pub fn diff(old: &Flow, new: &Flow) -> Vec<Change> {
    let (a, b) = (Side::new(old), Side::new(new));
    let mut changes = Vec::new();
    let fields = |f: &Flow| -> Fields {
        let quoted = [
            ("name", Some(&f.name)),
            ("description", f.description.as_ref()),
        ];
        let quoted = quoted
            .into_iter()
            .chain([("correlation_id", f.correlation_id.as_ref())]);
        let mut m: Fields = quoted
            .filter_map(|(k, v)| Some((k.to_string(), Text::plain(format!("{:?}", v?)))))
            .collect();
        let headers = Text::plain(f.credential_headers.join(", "));
        m.insert("credential_headers".into(), headers);
        let per_outcome = Text::plain(f.per_outcome_actions.to_string());
        m.insert("per_outcome_actions".into(), per_outcome);
        m
    };
    compare(
        &fields(old),
        &fields(new),
        "flow.",
        ChangeKind::FlowChanged,
        &mut changes,
    );
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
    let (sx, sy) = (
        texts(flatten_json(&x.sample)),
        texts(flatten_json(&y.sample)),
    );
    compare(
        &sx,
        &sy,
        "trigger.sample",
        ChangeKind::TriggerChanged,
        changes,
    );
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
                    // A key that is not a plain name is quoted, so that no two shapes share a
                    // path (`{"a.b": 1}` and `{"a": {"b": 1}}`) and a line break in a key
                    // cannot start a line of its own.
                    let plain = !k.is_empty()
                        && (k.bytes()).all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
                    let step = match plain {
                        true => format!("{path}.{k}"),
                        false => format!("{path}[{}]", serde_json::Value::String(k.clone())),
                    };
                    walk(x, step, out);
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

fn diff_variables(old: &Flow, new: &Flow, changes: &mut Vec<Change>) {
    fn facts(f: &Flow) -> Vec<(&str, Fields)> {
        let credential_defaults = f.credential_defaults();
        let each = |v: &Variable| {
            let value = |x: String| Text::plain(x);
            let mut fields = Fields::from([
                (
                    "default".into(),
                    Text::new(
                        format!("{:?}", v.default),
                        v.secret
                            || v.default_types_credential()
                            || credential_defaults.contains(&v.name),
                    ),
                ),
                ("externalize".into(), value(v.externalize.to_string())),
                ("secret".into(), value(v.secret.to_string())),
                ("send_to".into(), v.send_to_text()),
                ("result".into(), value(v.result.to_string())),
            ]);
            // As a node's: absent is no fact (shown "(none)" when the other side has one).
            if let Some(note) = &v.note {
                fields.insert("note".into(), value(format!("{note:?}")));
            }
            fields
        };
        f.variables
            .iter()
            .map(|v| (v.name.as_str(), each(v)))
            .collect()
    }
    use ChangeKind::*;
    let kinds = [VariableRemoved, VariableChanged, VariableAdded];
    compare_keyed(facts(old), facts(new), "variables.", kinds, None, changes);
}

/// An outcome's notify URL as the diff and textconv show it: secret when it carries a
/// credential typed in clear.
fn notify_url_text(url: &str) -> Text {
    Text::new(format!("{url:?}"), url_types_credential(url))
}

fn diff_outcomes(old: &Flow, new: &Flow, changes: &mut Vec<Change>) {
    fn facts(f: &Flow) -> Vec<(&str, Fields)> {
        let each = |o: &FlowOutcome| {
            let mut fields = Fields::from([
                ("code".into(), Text::plain(o.code.to_string())),
                (
                    "description".into(),
                    Text::plain(format!("{:?}", o.description)),
                ),
            ]);
            // As a node's: absent is no fact (shown "(none)" when the other side has one).
            if let Some(url) = &o.notify_url {
                fields.insert("notify_url".into(), notify_url_text(url));
            }
            fields
        };
        f.outcomes
            .iter()
            .map(|o| (o.name.as_str(), each(o)))
            .collect()
    }
    use ChangeKind::*;
    let kinds = [OutcomeRemoved, OutcomeChanged, OutcomeAdded];
    compare_keyed(facts(old), facts(new), "outcomes.", kinds, None, changes);
}

fn diff_nodes(a: &Side, b: &Side, changes: &mut Vec<Change>) {
    let (old, new) = (&a.flow.nodes, &b.flow.nodes);
    fn items<'a>(side: &Side<'a>) -> Vec<Item<'a>> {
        (side.flow.nodes.iter())
            .map(|n| Item {
                key: &n.key,
                type_name: n.kind.type_name(),
                id: Some(u64::from(n.id.0)),
                facts: side.fields(n),
            })
            .collect()
    }
    let mut pairs = pair_items(&items(a), &items(b));
    let (mut paired_old, mut paired_new) = (vec![false; old.len()], vec![false; new.len()]);
    for &(i, j) in &pairs {
        (paired_old[i], paired_new[j]) = (true, true);
    }
    for (_, x) in old.iter().enumerate().filter(|(i, _)| !paired_old[*i]) {
        let was = format!("{} {}", x.id, x.kind.type_name());
        changes.push(change(
            ChangeKind::NodeRemoved,
            x.key.clone(),
            Some(was),
            None,
        ));
    }
    for (_, y) in new.iter().enumerate().filter(|(j, _)| !paired_new[*j]) {
        let now = format!("{} {}", y.id, y.kind.type_name());
        changes.push(change(
            ChangeKind::NodeAdded,
            y.key.clone(),
            None,
            Some(now),
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
        if x.kind.type_name() != y.kind.type_name() {
            changes.push(change(
                ChangeKind::NodeChanged,
                format!("{}.type", y.key),
                Some(x.kind.type_name().into()),
                Some(y.kind.type_name().into()),
            ));
        }
        let (fx, fy) = (a.fields(x), b.fields(y));
        compare(
            &fx,
            &fy,
            &format!("{}.", y.key),
            ChangeKind::NodeChanged,
            changes,
        );
        let (ex, ey) = (texts(a.exits(x)), texts(b.exits(y)));
        compare(
            &ex,
            &ey,
            &format!("{}.", y.key),
            ChangeKind::EdgeRewired,
            changes,
        );
    }
}
