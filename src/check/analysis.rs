//! Whole-graph checks on a structurally sound flow: reachability, status-code checks, secrets sent
//! in requests, result variables on every Success path, unused variables.

use crate::diagnostic::Code;
use crate::flow::refs;
use crate::flow::walk::breadth_first;
use crate::flow::*;
use crate::lower::Origins;
use crate::spec::context::{Ctx, Help};
use std::collections::{BTreeSet, HashMap, HashSet};

/// `origins` tells where the spec wrote each part of the flow, for locating what is found.
pub fn analyse(flow: &Flow, origins: &Origins, cx: &mut Ctx) {
    let reachable = reachable_from(flow, &flow.trigger.next);
    unreachable_nodes(flow, origins, &reachable, cx);
    unchecked_status(flow, origins, cx);
    super::secrets::analyse(flow, origins, cx);
    super::paths::outputs_read_before_run(flow, origins, cx);
    super::paths::endless_loops(flow, origins, cx);
    results_assigned(flow, origins, cx);
    unused_variables(flow, origins, cx);
}

/// The span of a node's key.
pub(super) fn key_span(origins: &Origins, id: NodeId, cx: &Ctx) -> Option<crate::diagnostic::Span> {
    origins.node(id).and_then(|origin| cx.span(origin.key))
}

fn targets(node: &Node) -> impl Iterator<Item = NodeId> + '_ {
    node.exits.iter().filter_map(|e| match e.target {
        Target::Node(id) => Some(id),
        Target::End(_) => None,
    })
}

/// Node ids reachable from a target (the target included).
fn reachable_from(flow: &Flow, from: &Target) -> BTreeSet<NodeId> {
    let mut seen = BTreeSet::new();
    any_reachable(flow, from, |node| {
        seen.insert(node.id);
        false
    });
    seen
}

/// Breadth-first from a target; stops at the first node for which `found` is true.
fn any_reachable(flow: &Flow, from: &Target, found: impl FnMut(&Node) -> bool) -> bool {
    let start = match from {
        Target::Node(id) => Some(*id),
        Target::End(_) => None,
    };
    let successors = |id: &NodeId| flow.node(*id).into_iter().flat_map(targets);
    breadth_first(start, successors)
        .filter_map(|reached| flow.node(reached.node))
        .any(found)
}

fn unreachable_nodes(flow: &Flow, origins: &Origins, reachable: &BTreeSet<NodeId>, cx: &mut Ctx) {
    for node in flow.nodes.iter().filter(|n| !reachable.contains(&n.id)) {
        cx.report(
            Code::UnreachableNode,
            format!(
                "node `{}` ({}) is never reached from the Start node",
                node.key, node.id
            ),
            key_span(origins, node.id, cx),
        )
        .help("wire an outcome to it, or delete it");
    }
}

/// Every string a node reads, for reference scans: what it reads before it leaves, and its
/// on-leave actions.
fn node_strings(node: &Node) -> Vec<&str> {
    let mut out = super::paths::reads_before_leaving(node);
    out.extend(
        node.on_leave
            .iter()
            .flat_map(|a| a.set.values().map(String::as_str)),
    );
    out
}

/// An HTTP node whose outputs are read must have its status code checked on the success path:
/// the platform sends 4xx and 5xx replies through onSuccess.
fn unchecked_status(flow: &Flow, origins: &Origins, cx: &mut Ctx) {
    // Which nodes check a status (a branch condition or a script reading
    // `$(nN.https.statusCode)`), by the reference, found once: a search from each HTTP node
    // for its checker walked the whole rest of a chain of unchecked requests (quadratic).
    let mut checkers: HashMap<&str, BTreeSet<NodeId>> = HashMap::new();
    for n in &flow.nodes {
        let texts: Vec<&str> = match &n.kind {
            NodeKind::Branch(b) => b
                .branches
                .iter()
                .flat_map(|a| &a.conditions)
                .flat_map(|c| [c.variable.as_str(), c.value.as_str()])
                .collect(),
            NodeKind::Evaluate(e) => vec![e.script.as_str()],
            _ => continue,
        };
        for text in texts {
            for r in refs::references(text).unwrap_or_default() {
                if r.name.ends_with(".https.statusCode") {
                    checkers.entry(r.name).or_default().insert(n.id);
                }
            }
        }
    }
    for node in &flow.nodes {
        let NodeKind::Http(http) = &node.kind else {
            continue;
        };
        if http.outputs.is_empty() {
            continue;
        }
        let Some(success) = node.exits.iter().find(|e| e.outcome == "onSuccess") else {
            continue;
        };
        let status = format!("{}.https.statusCode", node.id);
        // Usually the check is the next node, so the search ends at once; with no checker
        // anywhere there is nothing to search for.
        let checked = checkers
            .get(status.as_str())
            .is_some_and(|ids| any_reachable(flow, &success.target, |n| ids.contains(&n.id)));
        if !checked {
            cx.report(
                Code::UncheckedStatus,
                format!(
                    "`{}` reads its response but nothing after it checks `$({}.https.statusCode)`",
                    node.key, node.key
                ),
                key_span(origins, node.id, cx),
            )
            .help("4xx and 5xx replies leave through onSuccess; add a branch on the status code");
        }
    }
}

/// Every path from Start to an end with outcome Success must assign each `result` variable.
/// A branch outcome whose conditions (joined by all) include `$(V) not_equals ""` counts as
/// proof that V holds a value on that outcome.
fn results_assigned(flow: &Flow, origins: &Origins, cx: &mut Ctx) {
    let results: Vec<&str> = flow
        .variables
        .iter()
        .filter(|v| v.result)
        .map(|v| v.name.as_str())
        .collect();
    if results.is_empty() || results.len() > 64 {
        return;
    }
    let bit = |name: &str| results.iter().position(|r| *r == name).map(|i| 1u64 << i);
    let all = if results.len() == 64 {
        u64::MAX
    } else {
        (1u64 << results.len()) - 1
    };
    let assigns = |actions: &[Action], outcome: Option<&str>| -> u64 {
        actions
            .iter()
            .filter(|a| a.outcome.is_none() || a.outcome.as_deref() == outcome)
            .flat_map(|a| a.set.keys())
            .filter_map(|k| bit(k))
            .fold(0, |acc, b| acc | b)
    };
    // What is assigned on leaving a node by an exit, having entered it with `mask` assigned.
    let left_by = |node: &Node, mask: u64, exit: &Exit| -> u64 {
        let mut left =
            mask | assigns(&node.on_enter, None) | assigns(&node.on_leave, Some(&exit.outcome));
        if let NodeKind::Branch(b) = &node.kind {
            if let Some(arm) = b
                .branches
                .iter()
                .find(|a| a.name == exit.outcome && a.join == Join::All)
            {
                for c in &arm.conditions {
                    if c.operator == Operator::NotEquals && c.value.is_empty() {
                        if let Some(b) = refs::references(&c.variable)
                            .ok()
                            .and_then(|r| (r.len() == 1).then(|| bit(r[0].name)).flatten())
                        {
                            left |= b;
                        }
                    }
                }
            }
        }
        left
    };
    // Breadth-first over (node, assigned set); each state is visited once, so loops end.
    let start = match flow.trigger.next {
        Target::Node(id) => Some((id, 0)),
        Target::End(_) => None,
    };
    let successors = |&(id, mask): &(NodeId, u64)| {
        flow.node(id).into_iter().flat_map(move |node| {
            node.exits.iter().filter_map(move |exit| match exit.target {
                Target::Node(next) => Some((next, left_by(node, mask, exit))),
                Target::End(_) => None,
            })
        })
    };
    let mut reported: BTreeSet<(NodeId, String, &str)> = BTreeSet::new();
    for reached in breadth_first(start, successors) {
        let (id, mask) = reached.node;
        let Some(node) = flow.node(id) else { continue };
        for exit in &node.exits {
            if !matches!(&exit.target, Target::End(outcome) if outcome == "Success") {
                continue;
            }
            let left = left_by(node, mask, exit);
            if left & all == all {
                continue;
            }
            for (i, name) in results.iter().enumerate() {
                if left & (1 << i) == 0 && reported.insert((id, exit.outcome.clone(), *name)) {
                    let span = origins
                        .node(id)
                        .and_then(|origin| origin.target(&exit.outcome))
                        .and_then(|target| cx.span(target))
                        .or_else(|| key_span(origins, id, cx));
                    cx.report(
                        Code::ResultNotAssigned,
                        format!(
                            "a path ends in Success through `{}.{}` without assigning result variable `{name}`",
                            node.key, exit.outcome
                        ),
                        span,
                    )
                    .help(format!("assign `{name}` on that path (on_enter/on_leave `set`), or end it with end:Error"));
                }
            }
        }
    }
}

fn unused_variables(flow: &Flow, origins: &Origins, cx: &mut Ctx) {
    let mut texts: Vec<&str> = flow.nodes.iter().flat_map(node_strings).collect();
    texts.extend(flow.correlation_id.as_deref());
    texts.extend(flow.outcomes.iter().filter_map(|o| o.notify_url.as_deref()));
    let read: HashSet<&str> = texts
        .iter()
        .filter_map(|t| refs::references(t).ok())
        .flatten()
        .map(|r| r.name)
        .collect();
    for v in flow
        .variables
        .iter()
        .filter(|v| !v.result && !read.contains(v.name.as_str()))
    {
        let span = origins.variable(&v.name).and_then(|name| cx.span(name));
        cx.report(
            Code::UnusedVariable,
            format!("custom variable `{}` is never read", v.name),
            span,
        )
        .help(
            "use it as $(name), mark it `result = true` if the parent flow reads it, or delete it",
        );
    }
}
