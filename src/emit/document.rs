//! The flow document: canonical JSON of a validated flow plus its canvas layout.

use crate::flow::walk::breadth_first;
use crate::flow::{Document, Flow, NodeId, Position, Target, FORMAT};
use std::collections::BTreeMap;

/// Horizontal distance between layers and vertical distance between nodes of one layer.
const COLUMN: i64 = 280;
const ROW: i64 = 160;
const MARGIN: i64 = 80;

/// Wraps a flow into a document with a layout computed from the graph alone.
pub(crate) fn document(flow: Flow) -> Document {
    let layout = layout(&flow);
    Document {
        format: FORMAT.to_string(),
        flow,
        layout,
        provenance: None,
    }
}

/// Layers by breadth-first distance from Start, rows by id within a layer; unreachable nodes go
/// in a last column. Deterministic, and independent of anything but the graph.
pub(crate) fn layout(flow: &Flow) -> BTreeMap<NodeId, Position> {
    let mut depth: BTreeMap<NodeId, i64> = BTreeMap::new();
    depth.insert(flow.trigger.id, 0);
    let first = match flow.trigger.next {
        Target::Node(first) => Some(first),
        Target::End(_) => None,
    };
    // Start already has its column: an edge back to it never moves it.
    let successors = |id: &NodeId| {
        flow.node(*id)
            .into_iter()
            .flat_map(|node| &node.exits)
            .filter_map(|exit| match exit.target {
                Target::Node(next) if next != flow.trigger.id => Some(next),
                _ => None,
            })
    };
    for reached in breadth_first(first, successors) {
        depth.insert(reached.node, reached.depth as i64 + 1);
    }
    let last = depth.values().copied().max().unwrap_or(0) + 1;
    for node in &flow.nodes {
        depth.entry(node.id).or_insert(last);
    }
    let mut rows: BTreeMap<i64, i64> = BTreeMap::new();
    depth
        .into_iter()
        .map(|(id, d)| {
            let row = rows.entry(d).or_insert(0);
            let position = Position {
                x: MARGIN + d * COLUMN,
                y: MARGIN + *row * ROW,
            };
            *row += 1;
            (id, position)
        })
        .collect()
}

/// Canonical JSON: two-space indentation, keys in the types' declared order (maps sorted), a
/// trailing newline. Same document, same bytes.
// `expect` below: A document is plain data with string keys: it always serialises.
#[allow(clippy::expect_used)]
pub(crate) fn to_json(document: &Document) -> String {
    // The document is plain data with string keys; serialising it cannot fail.
    let mut text = crate::diagnostic::escape_c1(
        serde_json::to_string_pretty(document).expect("documents serialise"),
    );
    text.push('\n');
    text
}

impl Document {
    /// The document's canonical JSON: pretty, keys in order, one newline at the end.
    pub fn to_json(&self) -> String {
        to_json(self)
    }
}
