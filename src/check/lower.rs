//! Spec to flow: validates every field, assigns platform ids, wires outcomes and resolves
//! references, collecting every problem it meets instead of stopping at the first.

use super::context::{Ctx, Help};
use crate::diagnostic::{did_you_mean, Code};
use crate::flow::*;
use crate::jsonpath;
use crate::refs;
use crate::spec::model::*;
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

/// The most nodes a flow may have: far beyond any hand-built flow, low enough to bound the work.
pub const MAX_NODES: usize = 10_000;
/// The most assignments one transition action takes before Flow Builder is known to struggle.
pub const MAX_ASSIGNMENTS: usize = 30;
/// Flow settings: the correlation id is at most 250 characters.
pub const MAX_CORRELATION_ID: usize = 250;
/// The HTTP Request node's connection and request timeouts are each at most 20 s.
pub const MAX_TIMEOUT_MS: i64 = 20_000;
/// The key that names the Start node in references: `$(start.inboundWebhook.hook)`.
pub const START_KEY: &str = "start";
/// Prefix of a target that ends the flow: `end:Success`.
pub const END_PREFIX: &str = "end:";

const NODE_TYPES: [&str; 4] = ["http", "branch", "evaluate", "call_flow"];
const DEFAULT_NONE_LABEL: &str = "None of the above";
const DEFAULT_EVALUATE_OUTPUT: &str = "result";

pub fn lower(spec: &Spec, cx: &mut Ctx) -> Flow {
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
    let variables = lower_variables(spec, cx);
    let outcomes = lower_outcomes(spec, cx);
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
        .map(|(i, pending)| finish_node(pending, ids[i], &scope, cx))
        .collect();
    by_id.sort_by_key(|n| n.id);

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
            .map(|(outcome, target)| Exit {
                outcome: outcome.clone(),
                target: to_target(target),
            })
            .collect();
    }
    flow
}

/// A node between validation and id assignment.
struct Pending<'s> {
    key: &'s S<String>,
    spec: &'s NodeSpec,
    kind: Option<NodeKind>,
    /// Names a `$(key.<output>)` reference may use.
    outputs: Vec<String>,
    /// Outcome names in the type's fixed order, then their resolved targets.
    outcome_names: Vec<String>,
    exits: Vec<(String, Option<KeyTarget>)>,
}

#[derive(Clone, Debug)]
enum KeyTarget {
    Node(usize),
    End(String),
}

fn lower_variables(spec: &Spec, cx: &mut Ctx) -> Vec<Variable> {
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

fn lower_outcomes(spec: &Spec, cx: &mut Ctx) -> Vec<FlowOutcome> {
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
        if !is_outcome_name(n) {
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
        }
        let notify_url = o.notify_url.as_ref().map(|u| u.get_ref().clone());
        match outcomes.iter_mut().find(|d| &d.name == n) {
            Some(existing) => {
                if let Some(code) = code {
                    existing.code = code;
                }
                if let Some(d) = &o.description {
                    existing.description = d.clone();
                }
                existing.notify_url = notify_url;
            }
            None => outcomes.push(FlowOutcome {
                name: n.clone(),
                code: code.unwrap_or(0),
                description: o.description.clone().unwrap_or_default(),
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

fn lower_node<'s>(key: &'s S<String>, spec: &'s NodeSpec, cx: &mut Ctx) -> Pending<'s> {
    let k = key.get_ref();
    if !is_node_key(k) {
        cx.report(
            Code::InvalidName,
            format!("`{k}` is not a valid node key"),
            cx.span(key),
        )
        .help("start with a letter or `_`, then letters, digits and `_` (e.g. fetch_token)");
    } else if k == START_KEY || NodeId::parse(k).is_some() {
        cx.report(
            Code::InvalidName,
            format!("`{k}` is reserved"),
            cx.span(key),
        )
        .help("`start` names the Start node and `n<integer>` are platform ids; pick another key");
    }
    let type_name = spec.kind.get_ref().as_str();
    check_fields_allowed(key, spec, type_name, cx);
    let (kind, outputs, outcome_names) = match type_name {
        "http" => lower_http(key, spec, cx),
        "branch" => lower_branch(key, spec, cx),
        "evaluate" => lower_evaluate(key, spec, cx),
        "call_flow" => lower_call_flow(key, spec, cx),
        other => {
            cx.report(
                Code::UnknownNodeType,
                format!("unknown node type `{other}`"),
                cx.span(&spec.kind),
            )
            .maybe_help(
                did_you_mean(other, NODE_TYPES)
                    .or_else(|| Some(format!("node types: {}", NODE_TYPES.join(", ")))),
            );
            (None, Vec::new(), Vec::new())
        }
    };
    if let Some(id) = &spec.id {
        if *id.get_ref() < 3 || *id.get_ref() > i64::from(u32::MAX) {
            cx.report(
                Code::InvalidId,
                format!("node id {} is out of range", id.get_ref()),
                cx.span(id),
            )
            .help("n2 is the Start node; pin ids from 3 upward");
        }
    }
    Pending {
        key,
        spec,
        kind,
        outputs,
        outcome_names,
        exits: Vec::new(),
    }
}

/// Which of the type-specific fields each node type takes.
fn check_fields_allowed(key: &S<String>, spec: &NodeSpec, type_name: &str, cx: &mut Ctx) {
    let present: [(&str, bool, &[&str]); 16] = [
        ("method", spec.method.is_some(), &["http"]),
        ("url", spec.url.is_some(), &["http"]),
        ("headers", spec.headers.is_some(), &["http"]),
        ("body", spec.body.is_some(), &["http"]),
        (
            "connect_timeout_ms",
            spec.connect_timeout_ms.is_some(),
            &["http"],
        ),
        (
            "request_timeout_ms",
            spec.request_timeout_ms.is_some(),
            &["http"],
        ),
        ("proxy", spec.proxy.is_some(), &["http"]),
        ("outputs", spec.outputs.is_some(), &["http"]),
        ("secret_outputs", spec.secret_outputs.is_some(), &["http"]),
        ("samples", spec.samples.is_some(), &["http"]),
        ("branches", spec.branches.is_some(), &["branch"]),
        ("none_label", spec.none_label.is_some(), &["branch"]),
        ("script", spec.script.is_some(), &["evaluate"]),
        ("choices", spec.choices.is_some(), &["evaluate"]),
        ("output", spec.output.is_some(), &["evaluate"]),
        ("flow", spec.flow.is_some(), &["call_flow"]),
    ];
    let entry = ("entry", spec.entry.is_some(), &["call_flow"][..]);
    let node_name = ("node_name", spec.node_name.is_some(), &["call_flow"][..]);
    if !NODE_TYPES.contains(&type_name) {
        return;
    }
    for (field, is_present, types) in present.iter().copied().chain([entry, node_name]) {
        if is_present && !types.contains(&type_name) {
            cx.report(
                Code::FieldNotAllowed,
                format!("`{field}` does not apply to {type_name} nodes"),
                cx.span(key),
            )
            .help(format!(
                "`{field}` belongs to {} nodes; remove it from `{}`",
                types[0],
                key.get_ref()
            ));
        }
    }
}

fn require<'a, T>(
    value: &'a Option<S<T>>,
    field: &str,
    key: &S<String>,
    type_name: &str,
    cx: &mut Ctx,
) -> Option<&'a S<T>> {
    if value.is_none() {
        cx.report(
            Code::MissingKey,
            format!("{type_name} node `{}` needs `{field}`", key.get_ref()),
            cx.span(key),
        );
    }
    value.as_ref()
}

type Lowered = (Option<NodeKind>, Vec<String>, Vec<String>);

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn lower_http(key: &S<String>, spec: &NodeSpec, cx: &mut Ctx) -> Lowered {
    let method = require(&spec.method, "method", key, "http", cx).and_then(|m| {
        let found = Method::ALL
            .iter()
            .find(|(s, _)| *s == m.get_ref())
            .map(|(_, m)| *m);
        if found.is_none() {
            cx.report(
                Code::InvalidMethod,
                format!("unknown HTTP method `{}`", m.get_ref()),
                cx.span(m),
            )
            .maybe_help(
                did_you_mean(m.get_ref(), Method::ALL.iter().map(|(s, _)| *s))
                    .or_else(|| Some("use GET, POST, PUT, PATCH or DELETE".into())),
            );
        }
        found
    });
    let url = require(&spec.url, "url", key, "http", cx);
    if let Some(url) = url {
        check_url(url, "URL", cx);
    }
    if let (Some(method), Some(body)) = (method, &spec.body) {
        if !method.allows_body() {
            cx.report(
                Code::BodyNotAllowed,
                format!("a {} request has no body", method.as_str()),
                cx.span(body),
            )
            .help("the HTTP Request node sends a body only for POST, PUT and PATCH");
        }
    }
    let mut timeout = |t: &Option<S<i64>>, what: &str| {
        t.as_ref().map(|t| {
            let v = *t.get_ref();
            if !(1..=MAX_TIMEOUT_MS).contains(&v) {
                cx.report(
                    Code::InvalidTimeout,
                    format!("{what} timeout {v} ms is out of range"),
                    cx.span(t),
                )
                .help(format!("the platform allows 1 to {MAX_TIMEOUT_MS} ms"));
            }
            v.clamp(0, MAX_TIMEOUT_MS) as u32
        })
    };
    let connect_timeout_ms = timeout(&spec.connect_timeout_ms, "connection");
    let request_timeout_ms = timeout(&spec.request_timeout_ms, "request");
    if let Some(proxy) = &spec.proxy {
        check_url(proxy, "proxy address", cx);
    }
    let mut outputs = Vec::new();
    for (name, path) in spec.outputs.iter().flatten() {
        let n = name.get_ref();
        if !is_output_name(n) {
            cx.report(
                Code::InvalidName,
                format!("`{n}` is not a valid output name"),
                cx.span(name),
            )
            .help("output names use letters, digits, `_`, `-` and spaces");
        } else if n.starts_with("https.") || n == "https" {
            cx.report(
                Code::DuplicateName,
                format!("output `{n}` collides with the built-in https outputs"),
                cx.span(name),
            );
        }
        if let Err(why) = jsonpath::validate(path.get_ref()) {
            cx.report(
                Code::InvalidJsonPath,
                format!("`{}` is not a valid JSONPath: {why}", path.get_ref()),
                cx.span(path),
            );
        }
        outputs.push(n.clone());
    }
    let samples = lower_samples(spec, cx);
    outputs.extend(HTTP_BUILTIN_OUTPUTS.iter().map(|s| s.to_string()));
    let kind = method.zip(url).map(|(method, url)| {
        NodeKind::Http(Http {
            method,
            url: url.get_ref().clone(),
            headers: spanned_map(spec.headers.as_ref()),
            body: spec.body.as_ref().map(|b| b.get_ref().clone()),
            connect_timeout_ms,
            request_timeout_ms,
            proxy: spec.proxy.as_ref().map(|p| p.get_ref().clone()),
            outputs: spanned_map(spec.outputs.as_ref()),
            secret_outputs: spec
                .secret_outputs
                .iter()
                .flatten()
                .map(|o| o.get_ref().clone())
                .collect(),
            samples,
        })
    });
    (kind, outputs, names(&outcome_names::HTTP))
}

/// Parses the sample replies and checks that each output's path finds something in one of them:
/// Flow Builder offers only the paths Parse found in the pasted sample.
fn lower_samples(spec: &NodeSpec, cx: &mut Ctx) -> Vec<serde_json::Value> {
    let mut parsed = Vec::new();
    for sample in spec.samples.iter().flatten() {
        match serde_json::from_str::<serde_json::Value>(sample.get_ref()) {
            Ok(value) => parsed.push(value),
            Err(e) => {
                cx.report(
                    Code::InvalidSample,
                    format!("the sample reply is not valid JSON: {e}"),
                    cx.span(sample),
                )
                .help("paste the reply body as the service sends it, as a TOML literal string: '{\"status\": \"200\"}'");
            }
        }
    }
    if parsed.is_empty() {
        return parsed;
    }
    for (name, path) in spec.outputs.iter().flatten() {
        let found = parsed
            .iter()
            .any(|sample| jsonpath::select(sample, path.get_ref()).is_some());
        if !found && jsonpath::validate(path.get_ref()).is_ok() {
            cx.report(
                Code::OutputNotInSample,
                format!(
                    "output `{}` ({}) finds nothing in the node's sample replies",
                    name.get_ref(),
                    path.get_ref()
                ),
                cx.span(path),
            )
            .help("Flow Builder offers only the paths Parse finds in the sample: add a sample that has it, or fix the path");
        }
    }
    parsed
}

fn spanned_map(map: Option<&SpannedMap>) -> BTreeMap<String, String> {
    map.into_iter()
        .flatten()
        .map(|(k, v)| (k.get_ref().clone(), v.get_ref().clone()))
        .collect()
}

fn lower_branch(key: &S<String>, spec: &NodeSpec, cx: &mut Ctx) -> Lowered {
    let branches = spec.branches.as_deref().unwrap_or_default();
    if branches.is_empty() {
        cx.report(
            Code::MissingKey,
            format!(
                "branch node `{}` needs at least one entry in `branches`",
                key.get_ref()
            ),
            cx.span(key),
        );
    }
    let mut seen = BTreeSet::new();
    let mut arms = Vec::new();
    for b in branches {
        let n = b.name.get_ref();
        check_choice_name(
            &b.name,
            &outcome_names::BRANCH_TAIL,
            &mut seen,
            "branch",
            cx,
        );
        let join = if b.any.is_some() {
            Join::Any
        } else {
            Join::All
        };
        if b.all.is_some() == b.any.is_some() {
            cx.report(
                Code::InvalidCondition,
                format!("branch `{n}` needs exactly one of `all` or `any`"),
                cx.span(&b.name),
            )
            .help("`all` joins its conditions with AND, `any` with OR");
        } else if conditions_of(b).next().is_none() {
            cx.report(
                Code::InvalidCondition,
                format!("branch `{n}` has no conditions"),
                cx.span(&b.name),
            );
        }
        let conditions = conditions_of(b).map(|c| lower_condition(c, cx)).collect();
        arms.push(BranchArm {
            name: n.clone(),
            join,
            conditions,
        });
    }
    let mut outcomes: Vec<String> = arms.iter().map(|a| a.name.clone()).collect();
    outcomes.extend(names(&outcome_names::BRANCH_TAIL));
    let kind = NodeKind::Branch(Branch {
        branches: arms,
        none_label: spec
            .none_label
            .as_ref()
            .map_or(DEFAULT_NONE_LABEL.to_string(), |l| l.get_ref().clone()),
    });
    (Some(kind), vec![BRANCH_OUTPUT.to_string()], outcomes)
}

/// A branch's conditions, `all` then `any` (only one is valid; both are walked so that every
/// condition written is checked even when that rule is broken).
fn conditions_of(b: &BranchSpec) -> impl Iterator<Item = &ConditionSpec> {
    b.all.iter().chain(b.any.iter()).flatten()
}

/// Lowers one condition. An unknown operator is reported and replaced by `equals` so that the
/// condition's references are still checked; the flow is not emitted in that case.
fn lower_condition(c: &ConditionSpec, cx: &mut Ctx) -> Condition {
    let operator = Operator::parse(c.operator.get_ref()).unwrap_or_else(|| {
        let all = Operator::ALL.iter().map(|o| o.as_str());
        cx.report(
            Code::InvalidCondition,
            format!("unknown operator `{}`", c.operator.get_ref()),
            cx.span(&c.operator),
        )
        .maybe_help(
            did_you_mean(c.operator.get_ref(), all.clone())
                .or_else(|| Some(format!("operators: {}", all.collect::<Vec<_>>().join(", ")))),
        );
        Operator::Equals
    });
    if c.value.is_none() {
        cx.report(
            Code::InvalidCondition,
            format!("operator `{}` needs a `value`", operator.as_str()),
            cx.span(&c.operator),
        );
    }
    match (operator, &c.upper) {
        (Operator::Between, None) => {
            cx.report(
                Code::InvalidCondition,
                "`between` needs `upper`, the second bound",
                cx.span(&c.operator),
            );
        }
        (op, Some(upper)) if op != Operator::Between => {
            cx.report(
                Code::InvalidCondition,
                format!("`upper` applies only to `between`, not `{}`", op.as_str()),
                cx.span(upper),
            );
        }
        _ => {}
    }
    Condition {
        variable: c.variable.get_ref().clone(),
        operator,
        value: c
            .value
            .as_ref()
            .map(|v| v.get_ref().clone())
            .unwrap_or_default(),
        upper: c.upper.as_ref().map(|u| u.get_ref().clone()),
    }
}

/// A branch or choice name: valid, unique within its node, and not one of the fixed outcomes.
fn check_choice_name(
    name: &S<String>,
    reserved: &[&str],
    seen: &mut BTreeSet<String>,
    what: &str,
    cx: &mut Ctx,
) {
    let n = name.get_ref();
    if !is_output_name(n) {
        cx.report(
            Code::InvalidName,
            format!("`{n}` is not a valid {what} name"),
            cx.span(name),
        )
        .help("use letters, digits, `_`, `-` and spaces");
    }
    if reserved.contains(&n.as_str()) {
        cx.report(
            Code::DuplicateName,
            format!("{what} name `{n}` collides with the node's built-in outcome"),
            cx.span(name),
        );
    } else if !seen.insert(n.clone()) {
        cx.report(
            Code::DuplicateName,
            format!("{what} `{n}` is defined twice"),
            cx.span(name),
        );
    }
}

fn lower_evaluate(key: &S<String>, spec: &NodeSpec, cx: &mut Ctx) -> Lowered {
    let script = require(&spec.script, "script", key, "evaluate", cx);
    if script.is_some_and(|s| s.get_ref().trim().is_empty()) {
        cx.report(
            Code::MissingKey,
            format!("evaluate node `{}` has an empty script", key.get_ref()),
            script.and_then(|s| cx.span(s)),
        );
    }
    let choices = spec.choices.as_deref().unwrap_or_default();
    if choices.is_empty() {
        cx.report(
            Code::MissingKey,
            format!(
                "evaluate node `{}` needs at least one entry in `choices`",
                key.get_ref()
            ),
            cx.span(key),
        );
    }
    let mut seen = BTreeSet::new();
    for c in choices {
        check_choice_name(c, &outcome_names::EVALUATE_TAIL, &mut seen, "choice", cx);
    }
    let output = spec
        .output
        .as_ref()
        .map_or(DEFAULT_EVALUATE_OUTPUT.to_string(), |o| o.get_ref().clone());
    if !is_output_name(&output) {
        cx.report(
            Code::InvalidName,
            format!("`{output}` is not a valid output name"),
            spec.output.as_ref().and_then(|o| cx.span(o)),
        );
    }
    let mut outcomes: Vec<String> = choices.iter().map(|c| c.get_ref().clone()).collect();
    outcomes.extend(names(&outcome_names::EVALUATE_TAIL));
    let kind = script.map(|s| {
        NodeKind::Evaluate(Evaluate {
            script: s.get_ref().clone(),
            output: output.clone(),
            choices: choices.iter().map(|c| c.get_ref().clone()).collect(),
        })
    });
    (kind, vec![output], outcomes)
}

fn lower_call_flow(key: &S<String>, spec: &NodeSpec, cx: &mut Ctx) -> Lowered {
    let flow = require(&spec.flow, "flow", key, "call_flow", cx);
    if flow.is_some_and(|f| f.get_ref().trim().is_empty()) {
        cx.report(
            Code::MissingKey,
            "the child flow name is empty",
            flow.and_then(|f| cx.span(f)),
        );
    }
    let entry = spec
        .entry
        .as_ref()
        .and_then(|e| match e.get_ref().as_str() {
            "start" => None,
            other if NodeId::parse(other).is_some() => Some(other.to_string()),
            other => {
                cx.report(
                    Code::InvalidName,
                    format!("entry `{other}` is neither `start` nor a node id"),
                    cx.span(e),
                )
                .help("use `start` (Flow Builder's \"--All--\") or the child's node id, e.g. n5");
                None
            }
        });
    let kind = flow.map(|f| {
        NodeKind::CallFlow(CallFlow {
            flow: f.get_ref().clone(),
            entry,
            node_name: spec.node_name.as_ref().map(|n| n.get_ref().clone()),
        })
    });
    (kind, Vec::new(), names(&outcome_names::CALL_FLOW))
}

pub(super) fn check_url(url: &S<String>, what: &str, cx: &mut Ctx) {
    let u = url.get_ref();
    if !(u.starts_with("https://") || u.starts_with("http://") || u.starts_with("$(")) {
        cx.report(
            Code::InvalidUrl,
            format!("{what} `{u}` is neither an http(s) URL nor a variable"),
            cx.span(url),
        )
        .help("write https://... or put the URL in a custom variable: \"$(Token-Service-URL)\"");
    }
}

fn resolve_target(
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

fn wire(
    node: &mut Pending,
    resolve: &dyn Fn(&S<String>, &mut Ctx) -> Option<KeyTarget>,
    cx: &mut Ctx,
) {
    if node.kind.is_none() && node.outcome_names.is_empty() {
        return; // unknown type: already reported, nothing to wire against
    }
    let empty = SpannedMap::new();
    let next = node.spec.next.as_ref().map_or(&empty, |n| n.get_ref());
    for (outcome, target) in next {
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
        match next.get(outcome.as_str()) {
            Some(target) => exits.push((outcome.clone(), resolve(target, cx))),
            None => {
                let span = node
                    .spec
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
                exits.push((outcome.clone(), None));
            }
        }
    }
    node.exits = exits;
}

/// Pinned ids first; then every other node in breadth-first order from the Start node, following
/// outcomes in their fixed order; unreachable nodes last, by key. Ids start at n3 (n2 is Start).
fn assign_ids(nodes: &[Pending], start: Option<&KeyTarget>, cx: &mut Ctx) -> Vec<NodeId> {
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
    let mut order = Vec::new();
    let mut queue = VecDeque::new();
    let mut seen = vec![false; nodes.len()];
    if let Some(KeyTarget::Node(i)) = start {
        queue.push_back(*i);
        seen[*i] = true;
    }
    while let Some(i) = queue.pop_front() {
        order.push(i);
        for (_, target) in &nodes[i].exits {
            if let Some(KeyTarget::Node(j)) = target {
                if !seen[*j] {
                    seen[*j] = true;
                    queue.push_back(*j);
                }
            }
        }
    }
    order.extend((0..nodes.len()).filter(|i| !seen[*i]));
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

/// What references may name, for resolving `$(...)`.
struct Scope<'a, 's> {
    variables: &'a [Variable],
    keys: &'a BTreeMap<&'s str, usize>,
    nodes: &'a [Pending<'s>],
    ids: &'a [NodeId],
    trigger_outputs: &'a [String],
}

impl Scope<'_, '_> {
    /// Checks every reference in a string and returns it with node keys rewritten to ids.
    fn rewrite(&self, text: &str, spanned: Option<&S<String>>, cx: &mut Ctx) -> String {
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

    fn check_reference(&self, name: &str, span: Option<crate::diagnostic::Span>, cx: &mut Ctx) {
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

fn finish_node(p: &Pending, id: NodeId, scope: &Scope, cx: &mut Ctx) -> Node {
    let s = p.spec;
    let rw = |value: &S<String>, cx: &mut Ctx| scope.rewrite(value.get_ref(), Some(value), cx);
    let kind = match &p.kind {
        Some(NodeKind::Http(h)) => {
            let url = s.url.as_ref().map_or_else(|| h.url.clone(), |u| rw(u, cx));
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
                ..h.clone()
            }))
        }
        Some(NodeKind::Branch(b)) => {
            let arm_specs = s.branches.iter().flatten();
            let branches = b
                .branches
                .iter()
                .zip(arm_specs)
                .map(|(arm, arm_spec)| BranchArm {
                    conditions: conditions_of(arm_spec)
                        .zip(&arm.conditions)
                        .map(|(cs, c)| Condition {
                            variable: rw(&cs.variable, cx),
                            value: cs.value.as_ref().map_or_else(String::new, |v| rw(v, cx)),
                            upper: cs.upper.as_ref().map(|u| rw(u, cx)),
                            operator: c.operator,
                        })
                        .collect(),
                    ..arm.clone()
                })
                .collect();
            Some(NodeKind::Branch(Branch {
                branches,
                ..b.clone()
            }))
        }
        Some(NodeKind::Evaluate(e)) => {
            let script = s
                .script
                .as_ref()
                .map_or_else(|| e.script.clone(), |v| rw(v, cx));
            Some(NodeKind::Evaluate(Evaluate {
                script,
                ..e.clone()
            }))
        }
        other => other.clone(),
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

fn lower_actions(
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
        lowered.push(Action {
            outcome: action.outcome.as_ref().map(|o| o.get_ref().clone()),
            set,
        });
    }
    lowered
}

pub fn is_variable_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

pub fn is_node_key(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Output, branch and choice names: letters, digits, `_`, `-` and spaces (Cisco's output rule).
pub fn is_output_name(name: &str) -> bool {
    !name.trim().is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ' '))
}

fn is_outcome_name(name: &str) -> bool {
    !name.trim().is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ' '))
}
