//! Drawings of a Flow Designer flow, as the Webex Connect side draws its flows
//! ([`crate::emit::graph`]): Mermaid and Graphviz DOT, left to right. Every activity with its
//! name and type, every link labelled with the port it leaves by (unlabelled where the activity
//! has one way out), each event flow in a box of its own. Only names, types and ports are drawn:
//! no setting's value, so nothing secret can show.
//!
//! Nodes are numbered in the layout's breadth-first order (links in port order, entries and
//! unreached activities by name), so the text never depends on the ids or order of a file.

use super::layout::breadth_first;
use super::model::{Activity, FdFlow, Kind, Process, ProcessIndex};
use crate::emit::graph::{dot_text, mermaid_text};
use std::collections::HashMap;
use std::fmt::Write as _;

/// One process as drawn: its activities with their node ids, and its links between them.
struct Drawn<'p> {
    nodes: Vec<(String, &'p Activity)>,
    /// (source id, port label, target id); the label is empty for an activity's only way out.
    edges: Vec<(String, String, String)>,
}

/// Numbers a process's nodes `{prefix}{n}`; a link to an activity that does not exist (which
/// `check` reports) is left out.
fn drawn<'p>(process: &'p Process, prefix: &str) -> Drawn<'p> {
    let index = ProcessIndex::of(process);
    let order = breadth_first(process);
    let ids: HashMap<&str, String> = order
        .iter()
        .enumerate()
        .map(|(n, (name, _))| (name.as_str(), format!("{prefix}{n}")))
        .collect();
    let mut nodes = Vec::new();
    let mut edges = Vec::new();
    for (name, _) in &order {
        let Some(activity) = index.activity(name) else {
            continue;
        };
        let id = &ids[name.as_str()];
        nodes.push((id.clone(), activity));
        let one_way = activity.output_ports().is_some_and(|p| p.len() == 1);
        for link in index.links_in_port_order(name) {
            if let Some(target) = ids.get(link.target.as_str()) {
                let label = if one_way { "" } else { link.port.as_str() };
                edges.push((id.clone(), label.to_string(), target.clone()));
            }
        }
    }
    Drawn { nodes, edges }
}

/// What an activity is, in a few words: its type, and the subflow a handoff calls.
fn kind_label(activity: &Activity) -> String {
    match (activity.kind(), activity.text("subflowName")) {
        (Kind::Handoff, Some(called)) if !called.is_empty() => format!("subflow {called}"),
        _ => activity.type_name().to_string(),
    }
}

/// The shape of a node: where a path starts, decides, ends, or calls a subflow.
#[derive(Clone, Copy)]
enum Shape {
    Entry,
    Decision,
    End,
    Call,
    Step,
}

fn shape(activity: &Activity) -> Shape {
    match activity.kind() {
        kind if kind.is_entry() => Shape::Entry,
        Kind::Condition | Kind::Case => Shape::Decision,
        Kind::End | Kind::SubflowEnd | Kind::Disconnect => Shape::End,
        Kind::Handoff => Shape::Call,
        _ => Shape::Step,
    }
}

/// The processes drawn: the main one, then each event flow with its box's id and title (its
/// key in `eventsMap`: the names real exports give event flows say less).
type Boxed<'f> = (Option<(String, String)>, Drawn<'f>);

fn processes(flow: &FdFlow) -> Vec<Boxed<'_>> {
    let mut all = vec![(None, drawn(&flow.process, "a"))];
    for (n, event) in flow.event_flows.iter().enumerate() {
        let boxed = (format!("events{n}"), format!("event flow {}", event.key));
        all.push((Some(boxed), drawn(&event.process, &format!("e{n}_"))));
    }
    all
}

/// A name as a label holds it: on one line, nothing a terminal would act on.
fn label(text: &str) -> std::borrow::Cow<'_, str> {
    crate::diagnostic::printable_name(text)
}

/// A Mermaid flowchart, left to right.
pub(crate) fn mermaid(flow: &FdFlow) -> String {
    let mut out = String::from("flowchart LR\n");
    for (boxed, process) in &processes(flow) {
        let indent = if boxed.is_some() { "    " } else { "  " };
        if let Some((id, title)) = boxed {
            let _ = writeln!(out, "  subgraph {id}[\"{}\"]", mermaid_text(&label(title)));
        }
        for (id, activity) in &process.nodes {
            let label = format!(
                "{}<br/>{}",
                mermaid_text(&label(&activity.name)),
                mermaid_text(&label(&kind_label(activity)))
            );
            let (open, close) = match shape(activity) {
                Shape::Entry => ("([", "])"),
                Shape::Decision => ("{", "}"),
                Shape::End => ("((", "))"),
                Shape::Call => ("[[", "]]"),
                Shape::Step => ("[", "]"),
            };
            let _ = writeln!(out, "{indent}{id}{open}\"{label}\"{close}");
        }
        for (from, port, to) in &process.edges {
            let _ = match port.as_str() {
                "" => writeln!(out, "{indent}{from} --> {to}"),
                port => writeln!(
                    out,
                    "{indent}{from} -->|\"{}\"| {to}",
                    mermaid_text(&label(port))
                ),
            };
        }
        if boxed.is_some() {
            out.push_str("  end\n");
        }
    }
    out
}

/// A Graphviz digraph, left to right.
pub(crate) fn dot(flow: &FdFlow) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "digraph \"{}\" {{", dot_text(&label(&flow.name)));
    out.push_str("  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=11];\n  edge [fontname=\"Helvetica\", fontsize=10];\n");
    for (boxed, process) in &processes(flow) {
        let indent = if boxed.is_some() { "    " } else { "  " };
        if let Some((id, title)) = boxed {
            let _ = writeln!(out, "  subgraph cluster_{id} {{");
            let _ = writeln!(out, "    label=\"{}\";", dot_text(&label(title)));
        }
        for (id, activity) in &process.nodes {
            let shape = match shape(activity) {
                Shape::Entry => "oval",
                Shape::Decision => "diamond",
                Shape::End => "doublecircle",
                Shape::Call => "component",
                Shape::Step => "box",
            };
            let _ = writeln!(
                out,
                "{indent}{id} [shape={shape}, label=\"{}\\n{}\"];",
                dot_text(&label(&activity.name)),
                dot_text(&label(&kind_label(activity)))
            );
        }
        for (from, port, to) in &process.edges {
            let _ = match port.as_str() {
                "" => writeln!(out, "{indent}{from} -> {to};"),
                port => writeln!(
                    out,
                    "{indent}{from} -> {to} [label=\"{}\"];",
                    dot_text(&label(port))
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

/// The flow drawn.
impl FdFlow {
    /// The flow as a Mermaid flowchart.
    pub fn mermaid(&self) -> String {
        mermaid(self)
    }

    /// The flow as a Graphviz DOT graph.
    pub fn dot(&self) -> String {
        dot(self)
    }
}
