//! Flow document back to a readable spec: node keys restored in references, defaults left out.
//! Compiling the result gives the same document, byte for byte (tests check every fixture and
//! generated flows).

use crate::flow::refs;
use crate::flow::*;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Writes the spec for a document. Node ids are pinned only when compiling without pins would
/// number the nodes differently.
pub(crate) fn decompile(document: &Document) -> String {
    let unpinned = write_spec(&document.flow, false);
    if assigned_ids(&unpinned).is_some_and(|flow| ids(&flow) == ids(&document.flow)) {
        unpinned
    } else {
        write_spec(&document.flow, true)
    }
}

/// The ids the compiler gives a spec's nodes: parse, render and check, without the schema
/// validation (which changes no id and costs a validator).
fn assigned_ids(spec_text: &str) -> Option<Flow> {
    let source = crate::diagnostic::SourceFile::new("decompiled.toml", spec_text);
    let spec = crate::spec::parse_spec(&source).ok()?;
    let renderer = crate::render::Renderer::new(&spec, None).ok()?;
    let rendered = renderer.render(None, &crate::render::NoSecrets).spec?;
    crate::check::check(&rendered, None).flow
}

/// A TOML array of strings, each written by `each`.
fn list(items: &[String], each: impl Fn(&str) -> String) -> String {
    let items: Vec<String> = items.iter().map(|i| each(i)).collect();
    format!("[{}]", items.join(", "))
}

fn ids(flow: &Flow) -> Vec<(String, NodeId)> {
    flow.nodes.iter().map(|n| (n.key.clone(), n.id)).collect()
}

/// A TOML string literal: the toml crate's own quoting, so any text round-trips.
pub(crate) fn string(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

/// A string literal for a value that templates render: text that would read as a template
/// (`{{`, `{%`, `{#`) is escaped so that rendering gives it back unchanged.
fn templated(text: &str) -> String {
    string(&crate::render::escape(text))
}

/// A bare key when TOML allows one, otherwise a quoted key.
pub(crate) fn key(name: &str) -> String {
    if !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        name.to_string()
    } else {
        string(name)
    }
}

fn inline_table<'a>(pairs: impl IntoIterator<Item = (&'a String, String)>) -> String {
    let items: Vec<String> = pairs
        .into_iter()
        .map(|(k, v)| format!("{} = {v}", key(k)))
        .collect();
    if items.is_empty() {
        "{}".into()
    } else {
        format!("{{ {} }}", items.join(", "))
    }
}

struct Writer<'a> {
    keys: BTreeMap<NodeId, &'a str>,
}

impl Writer<'_> {
    /// `$(n4.token)` back to `$(fetch_token.token)`, `$(n2.inboundWebhook.hook)` to `$(start.inboundWebhook.hook)`.
    fn text(&self, text: &str) -> String {
        templated(&refs::spell_with_keys(text, &self.keys))
    }

    fn target(&self, target: &Target) -> String {
        match target {
            Target::Node(id) => string(self.keys.get(id).copied().unwrap_or("")),
            Target::End(outcome) => string(&format!("end:{outcome}")),
        }
    }
}

fn write_spec(flow: &Flow, pin_ids: bool) -> String {
    let w = Writer {
        keys: flow.nodes.iter().map(|n| (n.id, n.key.as_str())).collect(),
    };
    let mut out = String::new();
    let o = &mut out;
    let _ = writeln!(o, "[flow]\nname = {}", templated(&flow.name));
    if let Some(d) = &flow.description {
        let _ = writeln!(o, "description = {}", templated(d));
    }
    if let Some(c) = &flow.correlation_id {
        let _ = writeln!(o, "correlation_id = {}", w.text(c));
    }
    if flow.per_outcome_actions {
        let _ = writeln!(o, "per_outcome_actions = true");
    }
    if !flow.credential_headers.is_empty() {
        let _ = writeln!(
            o,
            "credential_headers = {}",
            list(&flow.credential_headers, string)
        );
    }
    let t = &flow.trigger;
    let sample = serde_json::to_string(&t.sample).unwrap_or_else(|_| "{}".into());
    let _ = writeln!(
        o,
        "\n[trigger]\ntype = \"webhook\"\nevent = {}\nsample = {}\nnext = {}",
        templated(&t.event),
        templated(&sample),
        w.target(&t.next)
    );
    for v in &flow.variables {
        let _ = writeln!(
            o,
            "\n[variables.{}]\ndefault = {}",
            key(&v.name),
            templated(&v.default)
        );
        for (flag, on) in [
            ("externalize", v.externalize),
            ("secret", v.secret),
            ("result", v.result),
        ] {
            if on {
                let _ = writeln!(o, "{flag} = true");
            }
        }
        if !v.send_to.is_empty() {
            let _ = writeln!(o, "send_to = {}", list(&v.send_to, |u| w.text(u)));
        }
        if let Some(n) = &v.note {
            let _ = writeln!(o, "note = {}", string(n));
        }
    }
    for outcome in &flow.outcomes {
        let default = DEFAULT_OUTCOMES
            .iter()
            .find(|(name, _, _)| *name == outcome.name);
        let unchanged = default.is_some_and(|(_, code, description)| {
            *code == outcome.code
                && *description == outcome.description
                && outcome.notify_url.is_none()
        });
        if unchanged {
            continue;
        }
        let _ = writeln!(
            o,
            "\n[outcomes.{}]\ncode = {}\ndescription = {}",
            key(&outcome.name),
            outcome.code,
            string(&outcome.description)
        );
        if let Some(url) = &outcome.notify_url {
            let _ = writeln!(o, "notify_url = {}", w.text(url));
        }
    }
    for node in &flow.nodes {
        write_node(o, &w, node, pin_ids);
    }
    out
}

fn write_node(o: &mut String, w: &Writer, node: &Node, pin_id: bool) {
    let _ = writeln!(
        o,
        "\n[nodes.{}]\ntype = \"{}\"",
        key(&node.key),
        node.kind.type_name()
    );
    if pin_id {
        let _ = writeln!(o, "id = {}", node.id.0);
    }
    if let Some(n) = &node.note {
        let _ = writeln!(o, "note = {}", string(n));
    }
    match &node.kind {
        NodeKind::Http(h) => {
            let _ = writeln!(
                o,
                "method = \"{}\"\nurl = {}",
                h.method.as_str(),
                w.text(&h.url)
            );
            if !h.headers.is_empty() {
                let _ = writeln!(
                    o,
                    "headers = {}",
                    inline_table(h.headers.iter().map(|(k, v)| (k, w.text(v))))
                );
            }
            if let Some(b) = &h.body {
                let _ = writeln!(o, "body = {}", w.text(b));
            }
            if let Some(ms) = h.connect_timeout_ms {
                let _ = writeln!(o, "connect_timeout_ms = {ms}");
            }
            if let Some(ms) = h.request_timeout_ms {
                let _ = writeln!(o, "request_timeout_ms = {ms}");
            }
            if let Some(p) = &h.proxy {
                let _ = writeln!(o, "proxy = {}", w.text(p));
            }
            if !h.outputs.is_empty() {
                let _ = writeln!(
                    o,
                    "outputs = {}",
                    inline_table(h.outputs.iter().map(|(k, v)| (k, templated(v))))
                );
            }
            if !h.samples.is_empty() {
                let samples: Vec<String> = h
                    .samples
                    .iter()
                    .map(|s| serde_json::to_string(s).unwrap_or_default())
                    .collect();
                let _ = writeln!(o, "samples = {}", list(&samples, templated));
            }
            if !h.secret_outputs.is_empty() {
                let _ = writeln!(o, "secret_outputs = {}", list(&h.secret_outputs, string));
            }
        }
        NodeKind::Branch(b) => {
            let _ = writeln!(o, "branches = [");
            for arm in &b.branches {
                let join = match arm.join {
                    Join::All => "all",
                    Join::Any => "any",
                };
                let _ = writeln!(o, "  {{ name = {}, {join} = [", string(&arm.name));
                for c in &arm.conditions {
                    let upper = c
                        .upper
                        .as_ref()
                        .map_or(String::new(), |u| format!(", upper = {}", w.text(u)));
                    let _ = writeln!(
                        o,
                        "    {{ variable = {}, operator = \"{}\", value = {}{upper} }},",
                        w.text(&c.variable),
                        c.operator.as_str(),
                        w.text(&c.value)
                    );
                }
                let _ = writeln!(o, "  ] }},");
            }
            let _ = writeln!(o, "]");
            if b.none_label != DEFAULT_NONE_LABEL {
                let _ = writeln!(o, "none_label = {}", templated(&b.none_label));
            }
        }
        NodeKind::Evaluate(e) => {
            let _ = writeln!(o, "script = {}", w.text(&e.script));
            if e.output != "result" {
                let _ = writeln!(o, "output = {}", string(&e.output));
            }
            let choices: Vec<String> = e.choices.iter().map(|c| string(c)).collect();
            let _ = writeln!(o, "choices = [{}]", choices.join(", "));
        }
        NodeKind::CallFlow(c) => {
            let _ = writeln!(o, "flow = {}", templated(&c.flow));
            if let Some(entry) = &c.entry {
                let _ = writeln!(o, "entry = {}", templated(entry));
            }
            if let Some(name) = &c.node_name {
                let _ = writeln!(o, "node_name = {}", templated(name));
            }
        }
    }
    for (field, actions) in [("on_enter", &node.on_enter), ("on_leave", &node.on_leave)] {
        if actions.is_empty() {
            continue;
        }
        let _ = writeln!(o, "{field} = [");
        for a in actions {
            let outcome = a
                .outcome
                .as_ref()
                .map_or(String::new(), |x| format!("outcome = {}, ", string(x)));
            let set = inline_table(a.set.iter().map(|(k, v)| (k, w.text(v))));
            let _ = writeln!(o, "  {{ {outcome}set = {set} }},");
        }
        let _ = writeln!(o, "]");
    }
    let next = node.exits.iter().map(|e| (&e.outcome, w.target(&e.target)));
    let _ = writeln!(o, "next = {}", inline_table(next));
}

impl Document {
    /// The document written back as a spec (TOML), ids pinned only where they must be.
    pub fn decompile(&self) -> String {
        decompile(self)
    }
}
