//! Wiring: outcome targets resolved by key, and platform ids assigned.

use super::*;

pub(super) fn resolve_target(
    target: &S<String>,
    keys: &BTreeMap<&str, usize>,
    outcomes: &[&str],
    cx: &mut Ctx,
) -> Option<KeyTarget> {
    let t = target.get_ref();
    if let Some(outcome) = t.strip_prefix(END_PREFIX) {
        if outcomes.contains(&outcome) {
            return Some(KeyTarget::End(outcome.to_string()));
        }
        cx.report(
            Code::UnknownTarget,
            format!("`{t}` ends with flow outcome `{outcome}`, which is not defined"),
            cx.span(target),
        )
        .maybe_help(did_you_mean(outcome, outcomes.iter().copied()).or_else(|| {
            Some("define it under [outcomes] or use end:Success, end:Error, end:Incomplete".into())
        }));
        return None;
    }
    if let Some(&i) = keys.get(t.as_str()) {
        return Some(KeyTarget::Node(i));
    }
    cx.report(
        Code::UnknownTarget,
        format!("no node named `{t}`"),
        cx.span(target),
    )
    .maybe_help(
        did_you_mean(t, keys.keys().copied())
            .or_else(|| Some("a target is a node key or `end:<flow outcome>`".into())),
    );
    None
}

pub(super) fn wire<'s>(
    node: &mut Pending<'s>,
    resolve: &dyn Fn(&S<String>, &mut Ctx) -> Option<KeyTarget>,
    cx: &mut Ctx,
) {
    if node.kind.is_none() && node.outcome_names.is_empty() {
        return; // unknown type: already reported, nothing to wire against
    }
    let spec: &'s NodeSpec = node.spec;
    let next = spec.next.as_ref().map(|n| n.get_ref());
    for (outcome, target) in next.into_iter().flatten() {
        if !node.outcome_names.contains(outcome.get_ref()) {
            cx.report(
                Code::UnknownOutcome,
                format!(
                    "node `{}` has no outcome `{}`",
                    node.key.get_ref(),
                    outcome.get_ref()
                ),
                cx.span(outcome),
            )
            .maybe_help(
                did_you_mean(
                    outcome.get_ref(),
                    node.outcome_names.iter().map(String::as_str),
                )
                .or_else(|| Some(format!("its outcomes: {}", node.outcome_names.join(", ")))),
            );
            // Still resolve the target so that a typo there is reported too.
            resolve(target, cx);
        }
    }
    let mut exits = Vec::new();
    for outcome in &node.outcome_names {
        match next.and_then(|n| n.get(outcome.as_str())) {
            Some(target) => exits.push(Wired {
                outcome: outcome.clone(),
                target: resolve(target, cx),
                written: Some(target),
            }),
            None => {
                let span = spec
                    .next
                    .as_ref()
                    .map_or_else(|| cx.span(node.key), |n| cx.span(n));
                cx.report(
                    Code::UnwiredOutcome,
                    format!(
                        "outcome `{outcome}` of node `{}` leads nowhere",
                        node.key.get_ref()
                    ),
                    span,
                )
                .help(format!(
                    "add `{outcome} = \"<node>\"` or `{outcome} = \"end:Error\"` to its `next`"
                ));
                exits.push(Wired {
                    outcome: outcome.clone(),
                    target: None,
                    written: None,
                });
            }
        }
    }
    node.exits = exits;
}

/// Pinned ids first; then every other node in breadth-first order from the Start node, following
/// outcomes in their fixed order; unreachable nodes last, by key. Ids start at n3 (n2 is Start).
pub(super) fn assign_ids(
    nodes: &[Pending],
    start: Option<&KeyTarget>,
    cx: &mut Ctx,
) -> Vec<NodeId> {
    let mut ids: Vec<Option<NodeId>> = vec![None; nodes.len()];
    let mut taken = BTreeSet::new();
    for (i, n) in nodes.iter().enumerate() {
        if let Some(pin) = &n.spec.id {
            let Ok(id) = u32::try_from(*pin.get_ref()) else {
                continue;
            };
            if id < 3 {
                continue;
            }
            if taken.insert(id) {
                ids[i] = Some(NodeId(id));
            } else {
                cx.report(
                    Code::InvalidId,
                    format!("node id n{id} is pinned twice"),
                    cx.span(pin),
                );
            }
        }
    }
    let start = match start {
        Some(KeyTarget::Node(i)) => Some(*i),
        _ => None,
    };
    let successors = |&i: &usize| {
        nodes[i].exits.iter().filter_map(|exit| match exit.target {
            Some(KeyTarget::Node(j)) => Some(j),
            _ => None,
        })
    };
    let mut order: Vec<usize> = breadth_first(start, successors).map(|r| r.node).collect();
    let mut reached = vec![false; nodes.len()];
    for &i in &order {
        reached[i] = true;
    }
    order.extend((0..nodes.len()).filter(|i| !reached[*i]));
    let mut next = 3u32;
    for i in order {
        if ids[i].is_none() {
            while taken.contains(&next) {
                next += 1;
            }
            taken.insert(next);
            ids[i] = Some(NodeId(next));
        }
    }
    ids.into_iter().map(|id| id.unwrap_or(NodeId(0))).collect()
}
