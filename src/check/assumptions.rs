//! Behaviour Cisco does not document, used only when a spec opts in, and then flagged wherever
//! it is relied on.

use crate::diagnostic::Code;
use crate::spec::context::{Ctx, Help};
use crate::spec::model::Spec;

/// On-leave actions that name an outcome. Flow Builder's Transition Actions tab has no choice
/// of outcome, so an on-leave action runs whichever outcome the node leaves by; choosing one is
/// an assumption a spec opts into with `[flow] per_outcome_actions = true`.
pub fn per_outcome_actions(spec: &Spec, cx: &mut Ctx) {
    let opted = spec
        .flow
        .per_outcome_actions
        .as_ref()
        .is_some_and(|b| *b.get_ref());
    for (key, node) in &spec.nodes {
        for outcome in node
            .on_leave
            .iter()
            .flatten()
            .filter_map(|a| a.outcome.as_ref())
        {
            let (key, name) = (key.get_ref(), outcome.get_ref());
            if opted {
                cx.report(
                    Code::Assumption,
                    format!("the on-leave action of `{key}` runs only for outcome `{name}`: assumed, Cisco documents no choice of outcome"),
                    cx.span(outcome),
                )
                .help("check in Flow Builder that the action runs only for this outcome");
            } else {
                cx.report(
                    Code::PerOutcomeAction,
                    format!("the on-leave action of `{key}` names outcome `{name}`, but on-leave actions run whichever outcome the node leaves by"),
                    cx.span(outcome),
                )
                .help("set the variable on entering a node that only this outcome leads to; or opt into the assumption with [flow] per_outcome_actions = true");
            }
        }
    }
}
