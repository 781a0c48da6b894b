//! Drawings of a flow: Mermaid (renders on GitHub) and Graphviz DOT. Both show every node with
//! its key, type and platform id, every edge labelled with its outcome, the trigger with its
//! event, and each flow outcome reached as a terminal.

use crate::flow::{Flow, Node, NodeKind, Target};
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// What a node is, in a few words: `http GET`, `branch`, `call_flow GetOAuthToken`.
fn kind_label(node: &Node) -> String {
    match &node.kind {
        NodeKind::Http(h) => format!("http {}", h.method.as_str()),
        NodeKind::Branch(_) => "branch".into(),
        NodeKind::Evaluate(_) => "evaluate".into(),
        NodeKind::CallFlow(c) => format!("call_flow {}", c.flow),
    }
}

/// The label Flow Builder shows for an outcome (`none` is the branch's "None of the above").
pub(crate) fn outcome_label<'a>(node: &'a Node, outcome: &'a str) -> &'a str {
    match (&node.kind, outcome) {
        (NodeKind::Branch(b), "none") => &b.none_label,
        _ => outcome,
    }
}

/// Flow outcomes that some exit ends with, in the flow's outcome order.
fn ends_used(flow: &Flow) -> Vec<&str> {
    let used: BTreeSet<&str> = flow
        .nodes
        .iter()
        .flat_map(|n| &n.exits)
        .filter_map(|e| match &e.target {
            Target::End(o) => Some(o.as_str()),
            Target::Node(_) => None,
        })
        .chain(match &flow.trigger.next {
            Target::End(o) => Some(o.as_str()),
            Target::Node(_) => None,
        })
        .collect();
    flow.outcomes
        .iter()
        .map(|o| o.name.as_str())
        .filter(|o| used.contains(o))
        .collect()
}

fn end_id(flow: &Flow, outcome: &str) -> String {
    let index = flow
        .outcomes
        .iter()
        .position(|o| o.name == outcome)
        .unwrap_or(0);
    format!("end{index}")
}

fn target_id(flow: &Flow, target: &Target) -> String {
    match target {
        Target::Node(id) => id.to_string(),
        Target::End(outcome) => end_id(flow, outcome),
    }
}

/// A drawing, whichever target's flow it is of: nodes and edges, some in a box of their own.
/// One writer for each language draws both targets alike.
pub(crate) struct Drawing {
    /// The graph's name (DOT names its digraph).
    pub name: String,
    /// The top level first (`None`), then each box with its id and title.
    pub parts: Vec<(Option<(String, String)>, Part)>,
}

/// Nodes, then the edges between them.
#[derive(Default)]
pub(crate) struct Part {
    /// (id, shape, label lines); ids are letters, digits and `_`.
    pub nodes: Vec<(String, Shape, Vec<String>)>,
    /// (from, label, to); an empty label is drawn without one.
    pub edges: Vec<(String, String, String)>,
}

/// Where a path starts, decides, ends, calls another flow, or does a step.
#[derive(Clone, Copy)]
pub(crate) enum Shape {
    Entry,
    Decision,
    End,
    Call,
    Step,
}

/// Mermaid text is HTML-ish: quotes and angle brackets become entities.
fn mermaid_text(text: &str) -> String {
    text.replace('&', "#amp;")
        .replace('"', "#quot;")
        .replace('<', "#lt;")
        .replace('>', "#gt;")
}

fn dot_text(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl Drawing {
    /// A Mermaid flowchart, left to right.
    pub fn mermaid(&self) -> String {
        let mut out = String::from("flowchart LR\n");
        for (boxed, part) in &self.parts {
            let indent = if boxed.is_some() { "    " } else { "  " };
            if let Some((id, title)) = boxed {
                let _ = writeln!(out, "  subgraph {id}[\"{}\"]", mermaid_text(title));
            }
            for (id, shape, lines) in &part.nodes {
                let label: Vec<String> = lines.iter().map(|l| mermaid_text(l)).collect();
                let (open, close) = match shape {
                    Shape::Entry => ("([", "])"),
                    Shape::Decision => ("{", "}"),
                    Shape::End => ("((", "))"),
                    Shape::Call => ("[[", "]]"),
                    Shape::Step => ("[", "]"),
                };
                let _ = writeln!(out, "{indent}{id}{open}\"{}\"{close}", label.join("<br/>"));
            }
            for (from, label, to) in &part.edges {
                let _ = match label.as_str() {
                    "" => writeln!(out, "{indent}{from} --> {to}"),
                    label => writeln!(out, "{indent}{from} -->|\"{}\"| {to}", mermaid_text(label)),
                };
            }
            if boxed.is_some() {
                out.push_str("  end\n");
            }
        }
        out
    }

    /// A Graphviz digraph, left to right.
    pub fn dot(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "digraph \"{}\" {{", dot_text(&self.name));
        out.push_str("  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=11];\n  edge [fontname=\"Helvetica\", fontsize=10];\n");
        for (boxed, part) in &self.parts {
            let indent = if boxed.is_some() { "    " } else { "  " };
            if let Some((id, title)) = boxed {
                let _ = writeln!(out, "  subgraph cluster_{id} {{");
                let _ = writeln!(out, "    label=\"{}\";", dot_text(title));
            }
            for (id, shape, lines) in &part.nodes {
                let shape = match shape {
                    Shape::Entry => "oval",
                    Shape::Decision => "diamond",
                    Shape::End => "doublecircle",
                    Shape::Call => "component",
                    Shape::Step => "box",
                };
                let label: Vec<String> = lines.iter().map(|l| dot_text(l)).collect();
                let _ = writeln!(
                    out,
                    "{indent}{id} [shape={shape}, label=\"{}\"];",
                    label.join("\\n")
                );
            }
            for (from, label, to) in &part.edges {
                let _ = match label.as_str() {
                    "" => writeln!(out, "{indent}{from} -> {to};"),
                    label => writeln!(
                        out,
                        "{indent}{from} -> {to} [label=\"{}\"];",
                        dot_text(label)
                    ),
                };
            }
            if boxed.is_some() {
                out.push_str("  }\n");
            }
        }
        out.push_str("}\n");
        out
    }
}

/// A Webex Connect flow as drawn: the trigger with its event, every node with its id, key and
/// type, each flow outcome reached as an end, every edge labelled with its outcome.
fn drawing(flow: &Flow) -> Drawing {
    let t = &flow.trigger;
    let mut part = Part::default();
    part.nodes.push((
        t.id.to_string(),
        Shape::Entry,
        vec![format!("{} start", t.id), format!("webhook {}", t.event)],
    ));
    for node in &flow.nodes {
        let shape = match node.kind {
            NodeKind::Branch(_) | NodeKind::Evaluate(_) => Shape::Decision,
            NodeKind::CallFlow(_) => Shape::Call,
            NodeKind::Http(_) => Shape::Step,
        };
        let label = vec![format!("{} {}", node.id, node.key), kind_label(node)];
        part.nodes.push((node.id.to_string(), shape, label));
    }
    for outcome in ends_used(flow) {
        part.nodes.push((
            end_id(flow, outcome),
            Shape::End,
            vec![format!("end: {outcome}")],
        ));
    }
    part.edges
        .push((t.id.to_string(), String::new(), target_id(flow, &t.next)));
    for node in &flow.nodes {
        for exit in &node.exits {
            let label = outcome_label(node, &exit.outcome).to_string();
            part.edges
                .push((node.id.to_string(), label, target_id(flow, &exit.target)));
        }
    }
    Drawing {
        name: flow.name.clone(),
        parts: vec![(None, part)],
    }
}

/// A Mermaid flowchart, left to right.
pub(crate) fn mermaid(flow: &Flow) -> String {
    drawing(flow).mermaid()
}

/// The flow drawn.
impl Flow {
    /// The flow as a Mermaid flowchart.
    pub fn mermaid(&self) -> String {
        mermaid(self)
    }

    /// The flow as a Graphviz DOT graph.
    pub fn dot(&self) -> String {
        drawing(self).dot()
    }
}
