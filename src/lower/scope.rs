//! References resolved and rewritten to platform ids; transition actions lowered.

use super::*;

/// What references may name, for resolving `$(...)`.
pub(super) struct Scope<'a, 's> {
    pub(super) variables: &'a [Variable],
    pub(super) keys: &'a BTreeMap<&'s str, usize>,
    pub(super) nodes: &'a [Pending<'s>],
    pub(super) ids: &'a [NodeId],
    pub(super) trigger_outputs: &'a [String],
}

impl Scope<'_, '_> {
    /// Checks every reference in a string and returns it with node keys rewritten to ids.
    pub(super) fn rewrite(&self, text: &str, spanned: Option<&S<String>>, cx: &mut Ctx) -> String {
        let located =
            |cx: &Ctx, range: std::ops::Range<usize>| spanned.and_then(|s| cx.span_in(s, range));
        match refs::references(text) {
            Err(refs::Unterminated(at)) => {
                let span = located(cx, at..at + 2);
                cx.report(Code::UnterminatedReference, "`$(` is never closed", span)
                    .help("references look like $(name) or $(node.output)");
                return text.to_string();
            }
            Ok(found) => {
                for r in found {
                    self.check_reference(r.name, located(cx, r.range.clone()), cx);
                }
            }
        }
        refs::rewrite(text, |name| {
            let (head, rest) = refs::split_node_reference(name)?;
            if head == START_KEY {
                return Some(format!("{START_ID}.{rest}"));
            }
            let &i = self.keys.get(head)?;
            Some(format!("{}.{rest}", self.ids[i]))
        })
    }

    pub(super) fn check_reference(
        &self,
        name: &str,
        span: Option<crate::diagnostic::Span>,
        cx: &mut Ctx,
    ) {
        let Some((head, output)) = refs::split_node_reference(name) else {
            if self.variables.iter().any(|v| v.name == name) || SYSTEM_VARIABLES.contains(&name) {
                return;
            }
            let candidates = self
                .variables
                .iter()
                .map(|v| v.name.as_str())
                .chain(SYSTEM_VARIABLES);
            cx.report(
                Code::UndefinedVariable,
                format!("`$({name})` is not defined"),
                span,
            )
            .maybe_help(
                did_you_mean(name, candidates)
                    .or_else(|| Some(format!("declare it under [variables.{name}]"))),
            );
            return;
        };
        let outputs: &[String] = if head == START_KEY {
            self.trigger_outputs
        } else if let Some(&i) = self.keys.get(head) {
            &self.nodes[i].outputs
        } else if let Some(i) =
            NodeId::parse(head).and_then(|id| self.ids.iter().position(|x| *x == id))
        {
            &self.nodes[i].outputs
        } else if NodeId::parse(head) == Some(START_ID) {
            self.trigger_outputs
        } else {
            let candidates = self.keys.keys().copied().chain([START_KEY]);
            cx.report(
                Code::UnknownNode,
                format!("`$({name})` names no node `{head}`"),
                span,
            )
            .maybe_help(did_you_mean(head, candidates));
            return;
        };
        if !outputs.iter().any(|o| o == output) {
            let help = did_you_mean(output, outputs.iter().map(String::as_str)).or_else(|| {
                Some(if outputs.is_empty() {
                    format!("`{head}` has no outputs")
                } else {
                    format!("outputs of `{head}`: {}", outputs.join(", "))
                })
            });
            cx.report(
                Code::UnknownOutput,
                format!("`{head}` has no output `{output}`"),
                span,
            )
            .maybe_help(help);
        }
    }
}

/// The node `p` lowers to, its settings `kind` (taken from `p`) with their references
/// rewritten.
pub(super) fn finish_node(
    p: &Pending,
    kind: Option<NodeKind>,
    id: NodeId,
    scope: &Scope,
    cx: &mut Ctx,
) -> Node {
    let s = p.spec;
    let rw = |value: &S<String>, cx: &mut Ctx| scope.rewrite(value.get_ref(), Some(value), cx);
    let kind = match kind {
        Some(NodeKind::Http(h)) => {
            let url = match &s.url {
                Some(u) => rw(u, cx),
                None => h.url,
            };
            let headers = s
                .headers
                .iter()
                .flatten()
                .map(|(k, v)| (k.get_ref().clone(), rw(v, cx)))
                .collect();
            let body = s.body.as_ref().map(|b| rw(b, cx));
            let proxy = s.proxy.as_ref().map(|p| rw(p, cx));
            Some(NodeKind::Http(Http {
                url,
                headers,
                body,
                proxy,
                ..h
            }))
        }
        Some(NodeKind::Branch(b)) => {
            let arm_specs = s.branches.iter().flatten();
            let branches = (b.branches.into_iter().zip(arm_specs))
                .map(|(arm, arm_spec)| BranchArm {
                    conditions: conditions_of(arm_spec)
                        .zip(arm.conditions)
                        .map(|(cs, c)| Condition {
                            variable: rw(&cs.variable, cx),
                            value: cs.value.as_ref().map_or_else(String::new, |v| rw(v, cx)),
                            upper: cs.upper.as_ref().map(|u| rw(u, cx)),
                            operator: c.operator,
                        })
                        .collect(),
                    ..arm
                })
                .collect();
            Some(NodeKind::Branch(Branch { branches, ..b }))
        }
        Some(NodeKind::Evaluate(e)) => {
            let script = match &s.script {
                Some(v) => rw(v, cx),
                None => e.script,
            };
            Some(NodeKind::Evaluate(Evaluate { script, ..e }))
        }
        other => other,
    };
    let on_enter = lower_actions(p, s.on_enter.as_deref(), false, scope, cx);
    let on_leave = lower_actions(p, s.on_leave.as_deref(), true, scope, cx);
    Node {
        id,
        key: p.key.get_ref().clone(),
        note: s.note.clone(),
        // A node whose type or required fields were wrong has already been reported; the
        // placeholder keeps ids and analyses aligned and never reaches a document.
        kind: kind.unwrap_or(NodeKind::CallFlow(CallFlow {
            flow: String::new(),
            entry: None,
            node_name: None,
        })),
        on_enter,
        on_leave,
        exits: Vec::new(),
    }
}

pub(super) fn lower_actions(
    p: &Pending,
    actions: Option<&[ActionSpec]>,
    leaving: bool,
    scope: &Scope,
    cx: &mut Ctx,
) -> Vec<Action> {
    let mut lowered = Vec::new();
    for action in actions.unwrap_or_default() {
        if let Some(outcome) = &action.outcome {
            if !leaving {
                cx.report(
                    Code::FieldNotAllowed,
                    "`outcome` applies only to on_leave actions",
                    cx.span(outcome),
                )
                .help("on_enter actions run whenever the node is entered");
            } else if !p.outcome_names.contains(outcome.get_ref()) && !p.outcome_names.is_empty() {
                cx.report(
                    Code::UnknownOutcome,
                    format!(
                        "node `{}` has no outcome `{}`",
                        p.key.get_ref(),
                        outcome.get_ref()
                    ),
                    cx.span(outcome),
                )
                .maybe_help(did_you_mean(
                    outcome.get_ref(),
                    p.outcome_names.iter().map(String::as_str),
                ));
            }
        }
        if action.set.len() > MAX_ASSIGNMENTS {
            let span = action.set.keys().next().and_then(|k| cx.span(k));
            cx.report(
                Code::TooManyAssignments,
                format!(
                    "{} assignments in one action; Flow Builder takes {MAX_ASSIGNMENTS}",
                    action.set.len()
                ),
                span,
            )
            .help("split them between on_enter and on_leave, or across nodes");
        }
        let mut set = BTreeMap::new();
        for (var, value) in &action.set {
            let name = var.get_ref();
            if !scope.variables.iter().any(|v| &v.name == name) {
                let (message, help) = if name.contains('.')
                    || SYSTEM_VARIABLES.contains(&name.as_str())
                {
                    (
                        format!("`{name}` cannot be assigned: node outputs and system variables are read-only"),
                        Some("assign a custom variable instead".to_string()),
                    )
                } else {
                    (
                        format!("`{name}` is not a custom variable"),
                        did_you_mean(name, scope.variables.iter().map(|v| v.name.as_str()))
                            .or_else(|| Some(format!("declare it under [variables.{name}]"))),
                    )
                };
                cx.report(Code::InvalidAssignment, message, cx.span(var))
                    .maybe_help(help);
            }
            set.insert(
                name.clone(),
                scope.rewrite(value.get_ref(), Some(value), cx),
            );
        }
        let lowered_action = Action {
            outcome: action.outcome.as_ref().map(|o| o.get_ref().clone()),
            set,
        };
        // A value reading a custom variable its own action sets gets that variable's value from
        // before the action, which a reader of `{ A = "new", B = "$(A)" }` may not expect.
        for (variable, read) in lowered_action.reads_own_variables() {
            if !scope.variables.iter().any(|v| v.name == read) {
                continue;
            }
            let value = action.set.iter().find(|(k, _)| k.get_ref() == variable);
            cx.report(
                Code::Assumption,
                format!(
                    "`{variable}` reads `{read}`, which the same action sets: it gets `{read}`'s value from before the action (an action's values are all read before any is written, assumed: Cisco documents no order)"
                ),
                value.and_then(|(_, v)| cx.span(v)),
            )
            .help(format!(
                "to read the new value, set `{read}` in an earlier action (a separate {{ set = ... }} in the list)"
            ));
        }
        lowered.push(lowered_action);
    }
    lowered
}
