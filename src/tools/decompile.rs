//! Flow document back to a readable spec: node keys restored in references, defaults left out.
//! Compiling the result gives the same document, byte for byte (tests check every fixture and
//! generated flows).

use crate::flow::refs;
use crate::flow::*;
use crate::tools::spec_writer::{inline_table, key, list, string, SpecWriter};
use std::collections::BTreeMap;

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

fn ids(flow: &Flow) -> Vec<(String, NodeId)> {
    flow.nodes.iter().map(|n| (n.key.clone(), n.id)).collect()
}

/// A string literal for a value that templates render: text that would read as a template
/// (`{{`, `{%`, `{#`) is escaped so that rendering gives it back unchanged.
fn templated(text: &str) -> String {
    string(&crate::render::escape(text))
}

/// Node ids to keys, for references.
struct Keys<'a>(BTreeMap<NodeId, &'a str>);

impl Keys<'_> {
    /// `$(n4.token)` back to `$(fetch_token.token)`, `$(n2.inboundWebhook.hook)` to `$(start.inboundWebhook.hook)`.
    fn text(&self, text: &str) -> String {
        templated(&refs::spell_with_keys(text, &self.0))
    }

    fn target(&self, target: &Target) -> String {
        match target {
            Target::Node(id) => string(self.0.get(id).copied().unwrap_or("")),
            Target::End(outcome) => string(&format!("end:{outcome}")),
        }
    }
}

fn write_spec(flow: &Flow, pin_ids: bool) -> String {
    let w = Keys(flow.nodes.iter().map(|n| (n.id, n.key.as_str())).collect());
    let mut o = SpecWriter::default();
    o.table("flow");
    o.field("name", templated(&flow.name));
    if let Some(d) = &flow.description {
        o.field("description", templated(d));
    }
    if let Some(c) = &flow.correlation_id {
        o.field("correlation_id", w.text(c));
    }
    o.flag("per_outcome_actions", flow.per_outcome_actions);
    if !flow.credential_headers.is_empty() {
        o.field(
            "credential_headers",
            list(flow.credential_headers.iter().map(|h| string(h))),
        );
    }
    let t = &flow.trigger;
    let sample = serde_json::to_string(&t.sample).unwrap_or_else(|_| "{}".into());
    o.table("trigger");
    o.field("type", string("webhook"));
    o.field("event", templated(&t.event));
    o.field("sample", templated(&sample));
    o.field("next", w.target(&t.next));
    for v in &flow.variables {
        o.table(&format!("variables.{}", key(&v.name)));
        o.field("default", templated(&v.default));
        o.flag("externalize", v.externalize);
        o.flag("secret", v.secret);
        o.flag("result", v.result);
        if !v.send_to.is_empty() {
            o.field("send_to", list(v.send_to.iter().map(|u| w.text(u))));
        }
        if let Some(n) = &v.note {
            o.field("note", string(n));
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
        o.table(&format!("outcomes.{}", key(&outcome.name)));
        o.field("code", outcome.code.to_string());
        o.field("description", string(&outcome.description));
        if let Some(url) = &outcome.notify_url {
            o.field("notify_url", w.text(url));
        }
    }
    for node in &flow.nodes {
        write_node(&mut o, &w, node, pin_ids);
    }
    o.finish()
}

fn write_node(o: &mut SpecWriter, w: &Keys, node: &Node, pin_id: bool) {
    o.table(&format!("nodes.{}", key(&node.key)));
    o.field("type", string(node.kind.type_name()));
    if pin_id {
        o.field("id", node.id.0.to_string());
    }
    if let Some(n) = &node.note {
        o.field("note", string(n));
    }
    match &node.kind {
        NodeKind::Http(h) => {
            o.field("method", string(h.method.as_str()));
            o.field("url", w.text(&h.url));
            if !h.headers.is_empty() {
                o.field(
                    "headers",
                    inline_table(h.headers.iter().map(|(k, v)| (k, w.text(v)))),
                );
            }
            if let Some(b) = &h.body {
                o.field("body", w.text(b));
            }
            if let Some(ms) = h.connect_timeout_ms {
                o.field("connect_timeout_ms", ms.to_string());
            }
            if let Some(ms) = h.request_timeout_ms {
                o.field("request_timeout_ms", ms.to_string());
            }
            if let Some(p) = &h.proxy {
                o.field("proxy", w.text(p));
            }
            if !h.outputs.is_empty() {
                o.field(
                    "outputs",
                    inline_table(h.outputs.iter().map(|(k, v)| (k, templated(v)))),
                );
            }
            if !h.samples.is_empty() {
                let samples = h
                    .samples
                    .iter()
                    .map(|s| templated(&serde_json::to_string(s).unwrap_or_default()));
                o.field("samples", list(samples));
            }
            if !h.secret_outputs.is_empty() {
                o.field(
                    "secret_outputs",
                    list(h.secret_outputs.iter().map(|s| string(s))),
                );
            }
        }
        NodeKind::Branch(b) => {
            o.line("branches = [");
            for arm in &b.branches {
                let join = match arm.join {
                    Join::All => "all",
                    Join::Any => "any",
                };
                o.line(&format!("  {{ name = {}, {join} = [", string(&arm.name)));
                for c in &arm.conditions {
                    let upper = c
                        .upper
                        .as_ref()
                        .map_or(String::new(), |u| format!(", upper = {}", w.text(u)));
                    o.line(&format!(
                        "    {{ variable = {}, operator = {}, value = {}{upper} }},",
                        w.text(&c.variable),
                        string(c.operator.as_str()),
                        w.text(&c.value)
                    ));
                }
                o.line("  ] },");
            }
            o.line("]");
            if b.none_label != DEFAULT_NONE_LABEL {
                o.field("none_label", templated(&b.none_label));
            }
        }
        NodeKind::Evaluate(e) => {
            o.field("script", w.text(&e.script));
            if e.output != "result" {
                o.field("output", string(&e.output));
            }
            o.field("choices", list(e.choices.iter().map(|c| string(c))));
        }
        NodeKind::CallFlow(c) => {
            o.field("flow", templated(&c.flow));
            if let Some(entry) = &c.entry {
                o.field("entry", templated(entry));
            }
            if let Some(name) = &c.node_name {
                o.field("node_name", templated(name));
            }
        }
    }
    for (field, actions) in [("on_enter", &node.on_enter), ("on_leave", &node.on_leave)] {
        if actions.is_empty() {
            continue;
        }
        o.line(&format!("{field} = ["));
        for a in actions {
            let outcome = a
                .outcome
                .as_ref()
                .map_or(String::new(), |x| format!("outcome = {}, ", string(x)));
            let set = inline_table(a.set.iter().map(|(k, v)| (k, w.text(v))));
            o.line(&format!("  {{ {outcome}set = {set} }},"));
        }
        o.line("]");
    }
    o.field(
        "next",
        inline_table(node.exits.iter().map(|e| (&e.outcome, w.target(&e.target)))),
    );
}

impl Flow {
    /// Whether a request of the flow carries a credential typed in clear: a credential
    /// header's value (the flow's `credential_headers` included), or a URL's user information or
    /// credential parameter (in a node's URL or proxy, or an outcome's notify URL), or a
    /// plain variable's default a request sends as one. Such a value
    /// is secret by its place, as a secret variable's default is: a spec or document holding one
    /// is written only to a private file.
    pub fn holds_typed_credential(&self) -> bool {
        use crate::secret::names::connect_header_types_credential;
        use crate::tools::diff::url_types_credential;
        let outcomes = self.outcomes.iter().filter_map(|o| o.notify_url.as_deref());
        self.variables
            .iter()
            .any(|v| v.default_types_credential() || v.send_to_text().is_secret())
            || outcomes.into_iter().any(url_types_credential)
            || !self.credential_defaults().is_empty()
            || self.nodes.iter().any(|node| match &node.kind {
                NodeKind::Http(h) => {
                    url_types_credential(&h.url)
                        || h.proxy.as_deref().is_some_and(url_types_credential)
                        || h.headers.iter().any(|(k, v)| {
                            connect_header_types_credential(k, v, &self.credential_headers)
                        })
                }
                _ => false,
            })
    }
}

impl Document {
    /// The document written back as a spec (TOML), ids pinned only where they must be.
    pub fn decompile(&self) -> String {
        decompile(self)
    }
}
