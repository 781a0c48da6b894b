//! Lowering of each node type: its fields checked and its outcomes named.

use super::*;

pub(super) fn lower_node<'s>(key: &'s S<String>, spec: &'s NodeSpec, cx: &mut Ctx) -> Pending<'s> {
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
pub(super) fn check_fields_allowed(
    key: &S<String>,
    spec: &NodeSpec,
    type_name: &str,
    cx: &mut Ctx,
) {
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

pub(super) fn require<'a, T>(
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

pub(super) type Lowered = (Option<NodeKind>, Vec<String>, Vec<String>);

pub(super) fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

pub(super) fn lower_http(key: &S<String>, spec: &NodeSpec, cx: &mut Ctx) -> Lowered {
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
    for (name, value) in spec.headers.iter().flat_map(|h| h.iter()) {
        check_header_name(name, cx);
        check_header_value(name, value, cx);
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
pub(super) fn lower_samples(spec: &NodeSpec, cx: &mut Ctx) -> Vec<serde_json::Value> {
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

pub(super) fn spanned_map(map: Option<&SpannedMap>) -> BTreeMap<String, String> {
    map.into_iter()
        .flatten()
        .map(|(k, v)| (k.get_ref().clone(), v.get_ref().clone()))
        .collect()
}

pub(super) fn lower_branch(key: &S<String>, spec: &NodeSpec, cx: &mut Ctx) -> Lowered {
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
    let none_label = spec
        .none_label
        .as_ref()
        .map_or(DEFAULT_NONE_LABEL.to_string(), |l| l.get_ref().clone());
    // The default outcome shows by its label in Flow Builder, the sheet and the graph: one
    // that is also a branch's name, or `onError`, leaves two connectors no one can tell apart.
    let same_branch = branches.iter().find(|b| b.name.get_ref() == &none_label);
    if same_branch.is_some() || none_label == "onError" {
        let what = match same_branch {
            Some(_) => "a branch's name",
            None => "the name of the built-in outcome onError",
        };
        let at = spec.none_label.as_ref().or(same_branch.map(|b| &b.name));
        cx.report(
            Code::DuplicateName,
            format!("the default outcome's label `{none_label}` is also {what}"),
            at.and_then(|s| cx.span(s)),
        )
        .help("give the branch or `none_label` another name: each outcome's connector is told by its label");
    }
    let mut outcomes: Vec<String> = arms.iter().map(|a| a.name.clone()).collect();
    outcomes.extend(names(&outcome_names::BRANCH_TAIL));
    let kind = NodeKind::Branch(Branch {
        branches: arms,
        none_label,
    });
    (Some(kind), vec![BRANCH_OUTPUT.to_string()], outcomes)
}

/// A branch's conditions, `all` then `any` (only one is valid; both are walked so that every
/// condition written is checked even when that rule is broken).
pub(super) fn conditions_of(b: &BranchSpec) -> impl Iterator<Item = &ConditionSpec> {
    b.all.iter().chain(b.any.iter()).flatten()
}

/// Lowers one condition. An unknown operator is reported and replaced by `equals` so that the
/// condition's references are still checked; the flow is not emitted in that case.
pub(super) fn lower_condition(c: &ConditionSpec, cx: &mut Ctx) -> Condition {
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
    // A regular expression written out (no `$(...)` in it) must compile: Flow Builder would
    // take the branch's error outcome on every run.
    if let (Operator::Regex, Some(value)) = (operator, &c.value) {
        if !value.get_ref().contains("$(") {
            if let Err(e) = regex::Regex::new(value.get_ref()) {
                let why = e.to_string();
                let why = why.lines().last().unwrap_or("").trim();
                cx.report(
                    Code::InvalidCondition,
                    format!("`{}` is not a regular expression: {why}", value.get_ref()),
                    cx.span(value),
                );
            }
        }
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
pub(super) fn check_choice_name(
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

pub(super) fn lower_evaluate(key: &S<String>, spec: &NodeSpec, cx: &mut Ctx) -> Lowered {
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

pub(super) fn lower_call_flow(key: &S<String>, spec: &NodeSpec, cx: &mut Ctx) -> Lowered {
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

/// A header name is an HTTP token (RFC 9110): anything else is refused by servers, or was never
/// meant (a pasted escape sequence).
fn check_header_name(name: &S<String>, cx: &mut Ctx) {
    let n = name.get_ref();
    let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    if n.is_empty() || !n.chars().all(token) {
        cx.report(
            Code::InvalidName,
            format!("header name `{n}` is not an HTTP header name"),
            cx.span(name),
        )
        .help("header names use letters, digits and !#$%&'*+-.^_`|~ (no spaces or control characters)");
    }
}

/// A header value as typed: HTTP carries visible characters, spaces and tabs, never a line
/// break (which would end the header and start another). The value is not quoted: it may be a
/// credential.
fn check_header_value(name: &S<String>, value: &S<String>, cx: &mut Ctx) {
    let control = |c: char| c.is_control() && c != '\t';
    if value.get_ref().chars().any(control) {
        cx.report(
            Code::InvalidHeaderValue,
            format!(
                "the value of header `{}` holds a line break or another control character",
                crate::diagnostic::printable_name(name.get_ref())
            ),
            cx.span(value),
        );
    }
}

pub(crate) fn check_url(url: &S<String>, what: &str, cx: &mut Ctx) {
    let u = url.get_ref();
    // Quoted with its credentials hidden: the message is not a quoted line the spans hide.
    let shown = crate::secret::names::url_in_message(u);
    if u.chars().any(char::is_control) {
        cx.report(
            Code::InvalidUrl,
            format!("{what} `{shown}` holds a control character"),
            cx.span(url),
        )
        .help("a URL holds no line breaks, tabs or escape characters");
        return;
    }
    // A template read as text (`{{ base }}/x`) is checked once it is rendered for a tenant.
    let template = cx.template_text && u.starts_with("{{");
    let scheme = u.split_once("://").map(|(s, _)| s);
    if let Some(s) = scheme.filter(|s| {
        (s.eq_ignore_ascii_case("http") || s.eq_ignore_ascii_case("https"))
            && !matches!(*s, "http" | "https")
    }) {
        cx.report(
            Code::InvalidUrl,
            format!("{what} `{shown}` writes its scheme `{s}` in capitals"),
            cx.span(url),
        )
        .help(format!("write `{}://`", s.to_ascii_lowercase()));
        return;
    }
    if !(u.starts_with("https://") || u.starts_with("http://") || u.starts_with("$(") || template) {
        cx.report(
            Code::InvalidUrl,
            format!("{what} `{shown}` is neither an http(s) URL nor a variable"),
            cx.span(url),
        )
        .help("write https://... or put the URL in a custom variable: \"$(Token-Service-URL)\"");
    }
}
