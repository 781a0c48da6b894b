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

/// Mermaid text is HTML-ish: quotes and angle brackets become entities.
pub(crate) fn mermaid_text(text: &str) -> String {
    text.replace('&', "#amp;")
        .replace('"', "#quot;")
        .replace('<', "#lt;")
        .replace('>', "#gt;")
}

/// A Mermaid flowchart, left to right.
pub(crate) fn mermaid(flow: &Flow) -> String {
    let mut out = String::from("flowchart LR\n");
    let t = &flow.trigger;
    let _ = writeln!(
        out,
        "  {}([\"{} start<br/>webhook {}\"])",
        t.id,
        t.id,
        mermaid_text(&t.event)
    );
    for node in &flow.nodes {
        let label = format!(
            "{} {}<br/>{}",
            node.id,
            mermaid_text(&node.key),
            mermaid_text(&kind_label(node))
        );
        let shape = match node.kind {
            NodeKind::Branch(_) | NodeKind::Evaluate(_) => format!("{{\"{label}\"}}"),
            NodeKind::CallFlow(_) => format!("[[\"{label}\"]]"),
            NodeKind::Http(_) => format!("[\"{label}\"]"),
        };
        let _ = writeln!(out, "  {}{shape}", node.id);
    }
    for outcome in ends_used(flow) {
        let _ = writeln!(
            out,
            "  {}((\"end: {}\"))",
            end_id(flow, outcome),
            mermaid_text(outcome)
        );
    }
    let _ = writeln!(out, "  {} --> {}", t.id, target_id(flow, &t.next));
    for node in &flow.nodes {
        for exit in &node.exits {
            let _ = writeln!(
                out,
                "  {} -->|\"{}\"| {}",
                node.id,
                mermaid_text(outcome_label(node, &exit.outcome)),
                target_id(flow, &exit.target)
            );
        }
    }
    out
}

pub(crate) fn dot_text(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// A Graphviz digraph, left to right.
pub(crate) fn dot(flow: &Flow) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "digraph \"{}\" {{", dot_text(&flow.name));
    out.push_str("  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=11];\n  edge [fontname=\"Helvetica\", fontsize=10];\n");
    let t = &flow.trigger;
    let _ = writeln!(
        out,
        "  {} [shape=oval, label=\"{} start\\nwebhook {}\"];",
        t.id,
        t.id,
        dot_text(&t.event)
    );
    for node in &flow.nodes {
        let shape = match node.kind {
            NodeKind::Branch(_) | NodeKind::Evaluate(_) => "diamond",
            NodeKind::CallFlow(_) => "component",
            NodeKind::Http(_) => "box",
        };
        let _ = writeln!(
            out,
            "  {} [shape={shape}, label=\"{} {}\\n{}\"];",
            node.id,
            node.id,
            dot_text(&node.key),
            dot_text(&kind_label(node))
        );
    }
    for outcome in ends_used(flow) {
        let _ = writeln!(
            out,
            "  {} [shape=doublecircle, label=\"end: {}\"];",
            end_id(flow, outcome),
            dot_text(outcome)
        );
    }
    let _ = writeln!(out, "  {} -> {};", t.id, target_id(flow, &t.next));
    for node in &flow.nodes {
        for exit in &node.exits {
            let _ = writeln!(
                out,
                "  {} -> {} [label=\"{}\"];",
                node.id,
                target_id(flow, &exit.target),
                dot_text(outcome_label(node, &exit.outcome))
            );
        }
    }
    out.push_str("}\n");
    out
}

/// The flow drawn.
impl Flow {
    /// The flow as a Mermaid flowchart.
    pub fn mermaid(&self) -> String {
        mermaid(self)
    }

    /// The flow as a Graphviz DOT graph.
    pub fn dot(&self) -> String {
        dot(self)
    }
}
