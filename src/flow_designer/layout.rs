//! A readable automatic layout for the diagram: left to right by distance from the entry
//! activities (breadth first), one column per step, activities stacked in the order reached.
//! Integer coordinates only, so the bytes never depend on float formatting.

use super::model::{Process, ProcessIndex};
use crate::flow::walk;
use std::collections::{BTreeMap, BTreeSet};

/// Horizontal and vertical distance between widgets, in canvas units.
const COLUMN: i64 = 280;
const ROW: i64 = 170;
const ORIGIN: (i64, i64) = (80, 80);
/// A widget's width as real exports place its ports (the `in` port sits 8 to the left, output
/// ports about 168 to the right of the widget's point).
pub const WIDTH: i64 = 168;
/// The first port's offset below the widget's point, and the distance between ports.
pub const PORT_TOP: i64 = 18;
pub const PORT_STEP: i64 = 30;

/// Each activity's position, by name.
pub fn place(process: &Process) -> BTreeMap<String, (i64, i64)> {
    let order = breadth_first(process);
    let mut rows: BTreeMap<usize, i64> = BTreeMap::new();
    order
        .into_iter()
        .map(|(name, column)| {
            let row = rows.entry(column).or_insert(0);
            let at = (ORIGIN.0 + column as i64 * COLUMN, ORIGIN.1 + *row * ROW);
            *row += 1;
            (name, at)
        })
        .collect()
}

/// Activities in breadth-first order from the entries (links followed in port order), each
/// with its column; activities no entry reaches come last, by name, in a column of their own.
pub fn breadth_first(process: &Process) -> Vec<(String, usize)> {
    // Entries and unreached activities by name: the order never depends on ids in a file.
    let mut by_name: Vec<&str> = process.activities.iter().map(|a| a.name.as_str()).collect();
    by_name.sort_unstable();
    let index = ProcessIndex::of(process);
    let entries = by_name
        .iter()
        .copied()
        .filter(|&name| index.activity(name).is_some_and(|a| a.kind().is_entry()));
    let mut reached: BTreeSet<&str> = BTreeSet::new();
    let mut order = Vec::new();
    let steps = walk::breadth_first(entries, |name| {
        index
            .links_in_port_order(name)
            .into_iter()
            .map(|link| link.target.as_str())
            .filter(|&target| index.activity(target).is_some())
    });
    for step in steps {
        reached.insert(step.node);
        order.push((step.node.to_string(), step.depth));
    }
    let deepest = order.iter().map(|(_, column)| *column).max();
    let unreached = deepest.map_or(0, |deepest| deepest + 1);
    for name in by_name {
        if !reached.contains(name) {
            order.push((name.to_string(), unreached));
        }
    }
    order
}
