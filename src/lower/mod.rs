//! Spec to flow: validates every field, assigns platform ids, wires outcomes and resolves
//! references, collecting every problem it meets instead of stopping at the first.

use crate::diagnostic::{did_you_mean, Code};
use crate::flow::jsonpath;
use crate::flow::limits::*;
use crate::flow::refs;
use crate::flow::walk::breadth_first;
use crate::flow::*;
use crate::spec::context::{Ctx, Help};
use crate::spec::model::*;
use std::collections::{BTreeMap, BTreeSet, HashMap};

mod names;
mod nodes;
mod origins;
mod scope;
mod wiring;

pub use names::*;
pub(super) use nodes::check_url;
use nodes::*;
pub use origins::{NodeOrigin, Origins};
use scope::*;
use wiring::*;

/// A lowered flow and where its parts were written.
pub struct Lowered<'s> {
    pub flow: Flow,
    pub origins: Origins<'s>,
}

pub fn lower<'s>(spec: &'s Spec, cx: &mut Ctx) -> Lowered<'s> {
    let mut origins = Origins {
        correlation_id: spec.flow.correlation_id.as_ref(),
        ..Origins::default()
    };
    let name = spec.flow.name.get_ref().clone();
    if name.trim().is_empty() {
        cx.report(
            Code::InvalidName,
            "the flow name is empty",
            cx.span(&spec.flow.name),
        );
    }
    let correlation_id = spec.flow.correlation_id.as_ref().map(|c| {
        let len = c.get_ref().chars().count();
        if len > MAX_CORRELATION_ID {
            cx.report(
                Code::TooLong,
                format!("the correlation id is {len} characters; the platform allows {MAX_CORRELATION_ID}"),
                cx.span(c),
            );
        }
        c.get_ref().clone()
    });

    if spec.nodes.len() > MAX_NODES {
        cx.report(
            Code::TooLarge,
            format!(
                "the flow has {} nodes; wxcflow takes at most {MAX_NODES}",
                spec.nodes.len()
            ),
            None,
        );
    }
    let variables = lower_variables(spec, &mut origins, cx);
    let outcomes = lower_outcomes(spec, &mut origins, cx);
    let (sample, trigger_outputs) = lower_sample(&spec.trigger, cx);

    let mut nodes: Vec<Pending> = spec
        .nodes
        .iter()
        .map(|(key, node)| lower_node(key, node, cx))
        .collect();
    let keys: BTreeMap<&str, usize> = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.key.get_ref().as_str(), i))
        .collect();

    // Wire outcomes by key, then assign ids in the order a reader meets the nodes.
    let outcome_names: Vec<&str> = outcomes.iter().map(|o| o.name.as_str()).collect();
    let resolve =
        |target: &S<String>, cx: &mut Ctx| resolve_target(target, &keys, &outcome_names, cx);
    let start_next = resolve(&spec.trigger.next, cx);
    for node in &mut nodes {
        wire(node, &resolve, cx);
    }
    let ids = assign_ids(&nodes, start_next.as_ref(), cx);
    // Each node's lowered settings move into its finished node rather than being copied.
    let mut kinds: Vec<Option<NodeKind>> = nodes.iter_mut().map(|n| n.kind.take()).collect();

    let scope = Scope {
        variables: &variables,
        keys: &keys,
        nodes: &nodes,
        ids: &ids,
        trigger_outputs: &trigger_outputs,
    };
    let mut by_id: Vec<Node> = nodes
        .iter()
        .enumerate()
        .map(|(i, pending)| finish_node(pending, kinds[i].take(), ids[i], &scope, cx))
        .collect();
    drop(kinds);
    // By id, then key (the nodes' order, should an id be pinned twice): as a stable sort by
    // id, without its buffer of half the nodes.
    by_id.sort_unstable_by(|a, b| (a.id, &a.key).cmp(&(b.id, &b.key)));

    let to_target = |t: &Option<KeyTarget>| match t {
        Some(KeyTarget::Node(i)) => Target::Node(ids[*i]),
        Some(KeyTarget::End(o)) => Target::End(o.clone()),
        None => Target::End(String::new()),
    };
    let trigger = Trigger {
        id: START_ID,
        kind: TriggerKind::Webhook,
        event: spec.trigger.event.get_ref().clone(),
        sample,
        outputs: trigger_outputs
            .iter()
            .map(|o| format!("{START_ID}.{o}"))
            .collect(),
        next: to_target(&start_next),
    };
    lower_trigger_fields(&spec.trigger, cx);
    let correlation_id =
        correlation_id.map(|c: String| scope.rewrite(&c, spec.flow.correlation_id.as_ref(), cx));
    let mut flow = Flow {
        name,
        description: spec.flow.description.as_ref().map(|d| d.get_ref().clone()),
        correlation_id,
        credential_headers: spec
            .flow
            .credential_headers
            .iter()
            .flatten()
            .map(|h| h.get_ref().clone())
            .collect(),
        per_outcome_actions: spec
            .flow
            .per_outcome_actions
            .as_ref()
            .is_some_and(|b| *b.get_ref()),
        trigger,
        variables,
        outcomes,
        nodes: by_id,
    };
    // Exits were stored by key index; translate them to ids now that every id is known.
    for node in &mut flow.nodes {
        let pending = &nodes[keys[node.key.as_str()]];
        node.exits = pending
            .exits
            .iter()
            .map(|exit| Exit {
                outcome: exit.outcome.clone(),
                target: to_target(&exit.target),
            })
            .collect();
    }
    for (pending, id) in nodes.iter().zip(&ids) {
        let targets = pending
            .exits
            .iter()
            .filter_map(|exit| Some((exit.outcome.clone(), exit.written?)))
            .collect();
        let origin = NodeOrigin {
            key: pending.key,
            spec: pending.spec,
            targets,
        };
        origins.nodes.insert(*id, origin);
    }
    Lowered { flow, origins }
}

/// A node between validation and id assignment.
pub(super) struct Pending<'s> {
    key: &'s S<String>,
    spec: &'s NodeSpec,
    kind: Option<NodeKind>,
    /// Names a `$(key.<output>)` reference may use.
    outputs: Vec<String>,
    /// Outcome names in the type's fixed order, then their resolved targets.
    outcome_names: Vec<String>,
    exits: Vec<Wired<'s>>,
}

/// One outcome of a node, wired.
pub(super) struct Wired<'s> {
    outcome: String,
    /// Where it leads; `None` when that could not be resolved (already reported).
    target: Option<KeyTarget>,
    /// The target as `next` writes it; `None` when `next` does not wire the outcome.
    written: Option<&'s S<String>>,
}

#[derive(Clone, Debug)]
pub(super) enum KeyTarget {
    Node(usize),
    End(String),
}

fn lower_variables<'s>(spec: &'s Spec, origins: &mut Origins<'s>, cx: &mut Ctx) -> Vec<Variable> {
    spec.variables
        .iter()
        .map(|(name, v)| {
            if !is_variable_name(name.get_ref()) {
                cx.report(
                    Code::InvalidVariableName,
                    format!("`{}` is not a valid custom variable name", name.get_ref()),
                    cx.span(name),
                )
                .help("use letters, digits, `_` and `-` only");
            }
            origins.variables.insert(name.get_ref().clone(), name);
            Variable {
                name: name.get_ref().clone(),
                default: v
                    .default
                    .as_ref()
                    .map(|d| d.get_ref().clone())
                    .unwrap_or_default(),
                externalize: v.externalize,
                secret: v.secret,
                send_to: v
                    .send_to
                    .iter()
                    .flatten()
                    .map(|u| u.get_ref().clone())
                    .collect(),
                result: v.result,
                note: v.note.clone(),
            }
        })
        .collect()
}

fn lower_outcomes<'s>(spec: &'s Spec, origins: &mut Origins<'s>, cx: &mut Ctx) -> Vec<FlowOutcome> {
    let mut outcomes: Vec<FlowOutcome> = DEFAULT_OUTCOMES
        .iter()
        .map(|(name, code, description)| FlowOutcome {
            name: name.to_string(),
            code: *code,
            description: description.to_string(),
            notify_url: None,
        })
        .collect();
    let mut lowered_names: HashMap<String, String> = HashMap::new();
    for (name, o) in &spec.outcomes {
        let n = name.get_ref();
        if !is_output_name(n) {
            cx.report(
                Code::InvalidOutcome,
                format!("`{n}` is not a valid flow outcome name"),
                cx.span(name),
            )
            .help("use letters, digits, spaces, `_` and `-`");
        }
        if let Some(other) = lowered_names.insert(n.to_lowercase(), n.clone()) {
            cx.report(
                Code::DuplicateName,
                format!("flow outcomes `{other}` and `{n}` differ only in case"),
                cx.span(name),
            );
        }
        let code = o.code.as_ref().map(|c| {
            if !(0..=999_999).contains(c.get_ref()) {
                cx.report(
                    Code::InvalidOutcome,
                    format!("status code {} is out of range", c.get_ref()),
                    cx.span(c),
                )
                .help("use a whole number from 0 to 999999");
            }
            *c.get_ref()
        });
        if let Some(url) = &o.notify_url {
            check_url(url, "notify URL", cx);
            origins.notify_urls.insert(n.clone(), url);
        }
        let notify_url = o.notify_url.as_ref().map(|u| u.get_ref().clone());
        match outcomes.iter_mut().find(|d| &d.name == n) {
            Some(existing) => {
                if let Some(code) = code {
                    existing.code = code;
                }
                if let Some(d) = &o.description {
                    existing.description = d.get_ref().clone();
                }
                existing.notify_url = notify_url;
            }
            None => outcomes.push(FlowOutcome {
                name: n.clone(),
                code: code.unwrap_or(0),
                description: o
                    .description
                    .as_ref()
                    .map_or_else(String::new, |d| d.get_ref().clone()),
                notify_url,
            }),
        }
    }
    // Defaults first in their documented order, then custom outcomes by name.
    let defaults = DEFAULT_OUTCOMES.len();
    outcomes[defaults..].sort_by(|a, b| a.name.cmp(&b.name));
    outcomes
}

fn lower_trigger_fields(trigger: &TriggerSpec, cx: &mut Ctx) {
    if trigger.kind.get_ref() != "webhook" {
        cx.report(
            Code::InvalidTrigger,
            format!("trigger type `{}` is not supported", trigger.kind.get_ref()),
            cx.span(&trigger.kind),
        )
        .help("wxcflow models the inbound webhook trigger: type = \"webhook\"");
    }
    let event = trigger.event.get_ref();
    if event.is_empty()
        || !event
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        cx.report(
            Code::InvalidTrigger,
            format!("`{event}` is not a valid webhook event name"),
            cx.span(&trigger.event),
        )
        .help("use letters, digits, `_` and `-`, e.g. CCEP_GetOAuthToken");
    }
}

/// Parses the sample body and derives the Start node's outputs ([`webhook_outputs`]).
fn lower_sample(trigger: &TriggerSpec, cx: &mut Ctx) -> (serde_json::Value, Vec<String>) {
    match serde_json::from_str::<serde_json::Value>(trigger.sample.get_ref()) {
        Ok(value @ serde_json::Value::Object(_)) => {
            let outputs = webhook_outputs(&value)
                .into_iter()
                .map(|(p, _)| p)
                .collect();
            (value, outputs)
        }
        Ok(_) => {
            cx.report(
                Code::InvalidTrigger,
                "the webhook sample must be a JSON object",
                cx.span(&trigger.sample),
            )
            .help("paste the body the webhook receives, e.g. '{\"hook\": \"null\"}'");
            (serde_json::Value::Object(Default::default()), Vec::new())
        }
        Err(e) => {
            cx.report(
                Code::InvalidTrigger,
                format!("the webhook sample is not valid JSON: {e}"),
                cx.span(&trigger.sample),
            )
            .help("write the sample as a TOML literal string: sample = '{\"hook\": \"null\"}'");
            (serde_json::Value::Object(Default::default()), Vec::new())
        }
    }
}
