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
use crate::emit::graph::{Drawing, Part, Shape};
use std::collections::HashMap;

/// A process's activities numbered `{prefix}{n}`, and its links; a link to an activity that
/// does not exist (which `check` reports) is left out.
fn part(process: &Process, prefix: &str) -> Part {
    let index = ProcessIndex::of(process);
    let order = breadth_first(process);
    let ids: HashMap<&str, String> = order
        .iter()
        .enumerate()
        .map(|(n, (name, _))| (name.as_str(), format!("{prefix}{n}")))
        .collect();
    let mut part = Part::default();
    for (name, _) in &order {
        let Some(activity) = index.activity(name) else {
            continue;
        };
        let id = &ids[name.as_str()];
        let lines = vec![label(&activity.name), label(&kind_label(activity))];
        part.nodes.push((id.clone(), shape(activity), lines));
        let one_way = activity.output_ports().is_some_and(|p| p.len() == 1);
        for link in index.links_in_port_order(name) {
            if let Some(target) = ids.get(link.target.as_str()) {
                let port = if one_way {
                    String::new()
                } else {
                    label(&link.port)
                };
                part.edges.push((id.clone(), port, target.clone()));
            }
        }
    }
    part
}

/// What an activity is, in a few words: its type, and the subflow a handoff calls.
fn kind_label(activity: &Activity) -> String {
    match (activity.kind(), activity.text("subflowName")) {
        (Kind::Handoff, Some(called)) if !called.is_empty() => format!("subflow {called}"),
        _ => activity.type_name().to_string(),
    }
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

/// A name as a label holds it: on one line, nothing a terminal would act on.
fn label(text: &str) -> String {
    crate::diagnostic::printable_name(text).into_owned()
}

/// The main process, then each event flow in a box titled by its key in `eventsMap` (the names
/// real exports give event flows say less).
fn drawing(flow: &FdFlow) -> Drawing {
    let mut parts = vec![(None, part(&flow.process, "a"))];
    for (n, event) in flow.event_flows.iter().enumerate() {
        let boxed = (
            format!("events{n}"),
            label(&format!("event flow {}", event.key)),
        );
        parts.push((Some(boxed), part(&event.process, &format!("e{n}_"))));
    }
    Drawing {
        name: label(&flow.name),
        parts,
    }
}

/// The flow drawn.
impl FdFlow {
    /// The flow as a Mermaid flowchart.
    pub fn mermaid(&self) -> String {
        drawing(self).mermaid()
    }

    /// The flow as a Graphviz DOT graph.
    pub fn dot(&self) -> String {
        drawing(self).dot()
    }
}
