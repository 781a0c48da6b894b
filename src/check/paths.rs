//! Checks along the paths a run can take: an output read where its node may not have run, and
//! loops that no run can leave.

use crate::diagnostic::Code;
use crate::flow::refs;
use crate::flow::*;
use crate::lower::Origins;
use crate::spec::context::{Ctx, Help};

/// The graph of node ids, with the Start node as index 0.
struct Graph {
    ids: Vec<NodeId>,
    /// Each id's index in `ids` (its first, should an id be there twice).
    index: std::collections::HashMap<NodeId, usize>,
    successors: Vec<Vec<usize>>,
    /// Whether the node can end the flow (an exit to `end:`).
    ends: Vec<bool>,
}

impl Graph {
    fn new(flow: &Flow) -> Graph {
        let mut ids = vec![START_ID];
        ids.extend(flow.nodes.iter().map(|n| n.id));
        let mut positions = std::collections::HashMap::with_capacity(ids.len());
        for (i, id) in ids.iter().enumerate() {
            positions.entry(*id).or_insert(i);
        }
        let index = |target: &Target| match target {
            Target::Node(id) => positions.get(id).copied(),
            Target::End(_) => None,
        };
        let mut successors = vec![index(&flow.trigger.next).into_iter().collect::<Vec<_>>()];
        let mut ends = vec![matches!(flow.trigger.next, Target::End(_))];
        for node in &flow.nodes {
            successors.push(node.exits.iter().filter_map(|e| index(&e.target)).collect());
            ends.push(
                node.exits
                    .iter()
                    .any(|e| matches!(e.target, Target::End(_))),
            );
        }
        Graph {
            ids,
            index: positions,
            successors,
            ends,
        }
    }

    /// Immediate dominators (Cooper, Harvey and Kennedy's iterative algorithm); `None` for
    /// nodes Start does not reach.
    fn dominators(&self) -> Vec<Option<usize>> {
        let n = self.ids.len();
        // Reverse postorder from Start, iteratively (deep flows must not overflow the stack).
        let mut order = Vec::with_capacity(n);
        let mut visited = vec![false; n];
        let mut stack = vec![(0usize, 0usize)];
        visited[0] = true;
        while let Some((v, i)) = stack.pop() {
            if let Some(&w) = self.successors[v].get(i) {
                stack.push((v, i + 1));
                if !visited[w] {
                    visited[w] = true;
                    stack.push((w, 0));
                }
            } else {
                order.push(v);
            }
        }
        order.reverse();
        let mut rank = vec![usize::MAX; n];
        for (r, &v) in order.iter().enumerate() {
            rank[v] = r;
        }
        let mut predecessors = vec![Vec::new(); n];
        for (v, succ) in self.successors.iter().enumerate() {
            for &w in succ {
                predecessors[w].push(v);
            }
        }
        let mut idom: Vec<Option<usize>> = vec![None; n];
        idom[0] = Some(0);
        let mut changed = true;
        while changed {
            changed = false;
            for &v in order.iter().skip(1) {
                let mut new: Option<usize> = None;
                for &p in &predecessors[v] {
                    if idom[p].is_none() {
                        continue;
                    }
                    new = Some(match new {
                        None => p,
                        Some(q) => intersect(&idom, &rank, p, q),
                    });
                }
                if new.is_some() && idom[v] != new {
                    idom[v] = new;
                    changed = true;
                }
            }
        }
        idom
    }
}

fn intersect(idom: &[Option<usize>], rank: &[usize], mut a: usize, mut b: usize) -> usize {
    while a != b {
        while rank[a] > rank[b] {
            a = idom[a].unwrap_or(0);
        }
        while rank[b] > rank[a] {
            b = idom[b].unwrap_or(0);
        }
    }
    a
}

fn dominates(idom: &[Option<usize>], dominator: usize, mut node: usize) -> bool {
    loop {
        if node == dominator {
            return true;
        }
        match idom[node] {
            Some(parent) if parent != node => node = parent,
            _ => return false,
        }
    }
}

/// An output read on a path where its node has not run reads nothing: every path from Start to
/// the reader must pass the node first (its own outputs: from on-leave actions only).
pub fn outputs_read_before_run(flow: &Flow, origins: &Origins, cx: &mut Ctx) {
    let graph = Graph::new(flow);
    let idom = graph.dominators();
    let position = |id: NodeId| graph.index.get(&id).copied();
    for (i, node) in flow.nodes.iter().enumerate() {
        let reader = i + 1;
        if idom[reader].is_none() {
            continue; // unreachable: reported elsewhere
        }
        let before = reads_before_leaving(node);
        let after = node
            .on_leave
            .iter()
            .flat_map(|a| a.set.values().map(String::as_str));
        let texts = before
            .into_iter()
            .map(|t| (t, false))
            .chain(after.map(|t| (t, true)));
        let mut reported = std::collections::BTreeSet::new();
        for (text, leaving) in texts {
            let Ok(found) = refs::references(text) else {
                continue;
            };
            for r in found {
                let Some((head, output)) = r.name.split_once('.') else {
                    continue;
                };
                let Some(id) = NodeId::parse(head) else {
                    continue;
                };
                if id == START_ID {
                    continue;
                }
                let Some(producer) = position(id) else {
                    continue;
                };
                let ran = if producer == reader {
                    leaving
                } else {
                    dominates(&idom, producer, reader)
                };
                if ran || !reported.insert(r.name.to_string()) {
                    continue;
                }
                let producer_key = flow.node(id).map_or(head, |n| n.key.as_str());
                let needle = format!("$({producer_key}.{output})");
                // Every place the spec writes the read, so that one pass reports them all (a
                // node's own outputs are fine in its on-leave actions).
                let mut spans: Vec<Option<crate::diagnostic::Span>> = Vec::new();
                if let Some(origin) = origins.node(node.id) {
                    let (before, leave) = spec_strings(origin.spec);
                    let places = before
                        .into_iter()
                        .chain(leave.into_iter().filter(|_| producer != reader));
                    for s in places {
                        if let Some(at) = s.get_ref().find(&needle) {
                            spans.push(cx.span_in(s, at..at + needle.len()));
                        }
                    }
                    if spans.is_empty() {
                        spans.push(cx.span(origin.key));
                    }
                } else {
                    spans.push(None);
                }
                let message = if producer == reader {
                    format!(
                        "`{}` reads its own output `{output}` before it has run",
                        node.key
                    )
                } else {
                    format!(
                        "`{}` reads `$({producer_key}.{output})`, but a path reaches it without passing `{producer_key}`",
                        node.key
                    )
                };
                for span in spans {
                    cx.report(Code::OutputBeforeRun, message.clone(), span).help(
                        "read a node's outputs only where every path has passed it, or copy them into a variable there",
                    );
                }
            }
        }
    }
}

/// The strings of a node's spec, for locating a reference: what the node reads before it
/// leaves (settings, conditions, on-enter actions), and its on-leave actions.
type SpecStrings<'n> = Vec<&'n crate::spec::model::S<String>>;

fn spec_strings(n: &crate::spec::model::NodeSpec) -> (SpecStrings<'_>, SpecStrings<'_>) {
    let mut before: SpecStrings = Vec::new();
    before.extend(n.url.iter().chain(&n.body).chain(&n.proxy).chain(&n.script));
    before.extend(n.headers.iter().flat_map(|h| h.values()));
    for arm in n.branches.iter().flatten() {
        for c in arm.all.iter().chain(arm.any.iter()).flatten() {
            before.push(&c.variable);
            before.extend(c.value.iter().chain(&c.upper));
        }
    }
    before.extend(n.on_enter.iter().flatten().flat_map(|a| a.set.values()));
    let leave = n
        .on_leave
        .iter()
        .flatten()
        .flat_map(|a| a.set.values())
        .collect();
    (before, leave)
}

/// What a node reads before it leaves: its settings and its on-enter actions.
pub(super) fn reads_before_leaving(node: &Node) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    match &node.kind {
        NodeKind::Http(h) => {
            out.push(&h.url);
            out.extend(h.headers.values().map(String::as_str));
            out.extend(h.body.as_deref());
            out.extend(h.proxy.as_deref());
        }
        NodeKind::Branch(b) => {
            for c in b.branches.iter().flat_map(|a| &a.conditions) {
                out.push(&c.variable);
                out.push(&c.value);
                out.extend(c.upper.as_deref());
            }
        }
        NodeKind::Evaluate(e) => out.push(&e.script),
        NodeKind::CallFlow(_) => {}
    }
    out.extend(
        node.on_enter
            .iter()
            .flat_map(|a| a.set.values().map(String::as_str)),
    );
    out
}

/// A loop no run can leave: a set of nodes that lead only to one another (a strongly connected
/// component with no exit to an end or another node). Such a run stops at the platform's limit.
pub fn endless_loops(flow: &Flow, origins: &Origins, cx: &mut Ctx) {
    let graph = Graph::new(flow);
    for component in strongly_connected(&graph.successors) {
        let cyclic = component.len() > 1 || graph.successors[component[0]].contains(&component[0]);
        if !cyclic || component.contains(&0) {
            continue;
        }
        let leaves = component
            .iter()
            .any(|&v| graph.ends[v] || graph.successors[v].iter().any(|w| !component.contains(w)));
        if leaves {
            continue;
        }
        let mut nodes: Vec<&Node> = component
            .iter()
            .filter_map(|&v| flow.node(graph.ids[v]))
            .collect();
        nodes.sort_by(|a, b| a.key.cmp(&b.key));
        let keys: Vec<&str> = nodes.iter().map(|n| n.key.as_str()).collect();
        let span = origins
            .node(nodes[0].id)
            .and_then(|origin| cx.span(origin.key));
        cx.report(
            Code::EndlessLoop,
            if keys.len() == 1 {
                format!(
                    "`{}` leads only to itself: a run that enters never ends",
                    keys[0]
                )
            } else {
                format!(
                    "{} lead only to one another: a run that enters never ends",
                    keys.iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            },
            span,
        )
        .help("give one of them an outcome that leaves the loop: to another node or an end");
    }
}

/// The nodes a run can enter more than once: those on a loop (a strongly connected component
/// of more than one node, or a node leading to itself).
pub(crate) fn nodes_on_loops(flow: &Flow) -> std::collections::BTreeSet<NodeId> {
    let graph = Graph::new(flow);
    strongly_connected(&graph.successors)
        .into_iter()
        .filter(|c| c.len() > 1 || graph.successors[c[0]].contains(&c[0]))
        .flatten()
        .filter(|&v| v != 0)
        .map(|v| graph.ids[v])
        .collect()
}

/// Tarjan's algorithm, iteratively; components in no particular order, each sorted.
fn strongly_connected(successors: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let n = successors.len();
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut components = Vec::new();
    let mut next = 0;
    for root in 0..n {
        if index[root] != usize::MAX {
            continue;
        }
        let mut work = vec![(root, 0usize)];
        while let Some((v, i)) = work.pop() {
            if i == 0 {
                index[v] = next;
                low[v] = next;
                next += 1;
                stack.push(v);
                on_stack[v] = true;
            }
            if let Some(&w) = successors[v].get(i) {
                work.push((v, i + 1));
                if index[w] == usize::MAX {
                    work.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            if low[v] == index[v] {
                let mut component = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                component.sort();
                components.push(component);
            }
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[v]);
            }
        }
    }
    components
}
