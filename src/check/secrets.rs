//! Where secrets may go. A secret is a secret variable, a secret output of an HTTP node (its
//! reply body and headers too), or any value computed from one. The checks follow values along
//! references and transition actions, and report the path a secret takes to a place where it
//! would be shown or sent astray:
//! - assigned to a variable that is not secret (`wxc::secret-to-plain-variable`);
//! - sent in a URL, body or non-credential header, or put in the correlation id or a notify URL
//!   (`wxc::secret-in-request`);
//! - sent in a credential header to a URL its variable's `send_to` does not name, or, for a
//!   secret output, sent at all (`wxc::secret-to-other-destination`).
//!
//! Secret template parameters are traced earlier, while rendering (see `template`).

use crate::diagnostic::{Code, Diagnostic, Span};
use crate::flow::refs;
use crate::flow::*;
use crate::lower::Origins;
use crate::spec::context::{Ctx, Help};
use crate::spec::model::{ActionSpec, NodeSpec, Spec, S};
use std::collections::BTreeSet;

/// Checks the secret settings themselves: credential header names, `send_to`, `secret_outputs`.
pub fn validate(spec: &Spec, cx: &mut Ctx) {
    let mut seen = BTreeSet::new();
    for header in spec.flow.credential_headers.iter().flatten() {
        let name = header.get_ref();
        if name.is_empty() || !name.bytes().all(is_header_byte) {
            cx.report(
                Code::InvalidName,
                format!("`{name}` is not an HTTP header name"),
                cx.span(header),
            )
            .help("header names use letters, digits and !#$%&'*+-.^_`|~");
        } else if !seen.insert(name.to_ascii_lowercase()) {
            cx.report(
                Code::DuplicateName,
                format!("credential header `{name}` is listed twice (header names ignore case)"),
                cx.span(header),
            );
        }
    }
    // Each variable a transition action sets, by the first node that sets it: looked up once
    // per reference rather than searched for.
    let mut setters = Setters::new();
    for (key, node) in &spec.nodes {
        for action in node.on_enter.iter().chain(node.on_leave.iter()).flatten() {
            for name in action.set.keys() {
                setters.entry(name.get_ref()).or_insert(key.get_ref());
            }
        }
    }
    for (name, v) in &spec.variables {
        // Typed, or filled from the environment or a file: a secret is sent in a header only,
        // and a value no header can carry (HTTP's header text: visible ASCII and space) would
        // fail its request, where which way the request went would tell the value apart.
        let uncarried = v
            .default
            .as_ref()
            .filter(|d| v.secret && d.get_ref().chars().any(|c| !(' '..='~').contains(&c)));
        if let Some(default) = uncarried {
            cx.report(
                Code::SecretValueInvalid,
                format!(
                    "the value of secret `{}` holds a character a request header cannot carry: a header takes visible ASCII and spaces only (no control character, byte order mark or letter beyond ASCII)",
                    name.get_ref()
                ),
                cx.span(default),
            );
        }
        let Some(send_to) = &v.send_to else { continue };
        if !v.secret {
            if let Some(first) = send_to.first() {
                cx.report(
                    Code::FieldNotAllowed,
                    format!("`send_to` on `{}`, which is not secret", name.get_ref()),
                    cx.span(first),
                )
                .help("send_to says where a secret may be sent; add `secret = true` or drop it");
            }
        }
        for url in send_to {
            super::lower::check_url(url, "send_to URL", cx);
            if v.secret {
                fixed_destination(spec, &setters, name.get_ref(), url, cx);
            }
        }
    }
    for (key, node) in &spec.nodes {
        let mut named = BTreeSet::new();
        for output in node.secret_outputs.iter().flatten() {
            let name = output.get_ref();
            let declared = node
                .outputs
                .as_ref()
                .is_some_and(|o| o.contains_key(name.as_str()));
            if !declared {
                cx.report(
                    Code::UnknownOutput,
                    format!(
                        "`{name}` in `secret_outputs` is not an output of `{}`",
                        key.get_ref()
                    ),
                    cx.span(output),
                )
                .help("list names from the node's `outputs`");
            } else if !named.insert(name) {
                cx.report(
                    Code::DuplicateName,
                    format!("secret output `{name}` is listed twice"),
                    cx.span(output),
                );
            }
        }
    }
}

/// A `send_to` URL must say where the secret goes before the flow runs: a value that a
/// trigger, a reply or a transition action gives at run time would let whoever sends that value
/// choose where the secret is sent. So each `$(...)` it reads is a custom variable that no
/// transition action sets.
fn fixed_destination(
    spec: &Spec,
    setters: &Setters,
    variable: &str,
    url: &S<String>,
    cx: &mut Ctx,
) {
    let Ok(references) = refs::references(url.get_ref()) else {
        return;
    };
    let declared = |name: &str| {
        spec.variables.contains_key(name) || crate::flow::SYSTEM_VARIABLES.contains(&name)
    };
    for reference in references {
        let name = reference.name;
        if refs::split_node_reference(name).is_none() && !declared(name) {
            let names = spec.variables.keys().map(|k| k.get_ref().as_str());
            cx.report(
                Code::UndefinedVariable,
                format!("`send_to` of `{variable}` reads `$({name})`, which names no custom or system variable"),
                cx.span_in(url, reference.range.clone()),
            )
            .help(
                crate::diagnostic::did_you_mean(name, names)
                    .unwrap_or_else(|| format!("declare it under [variables.{name}], or name the service as text")),
            );
            continue;
        }
        let chosen = chosen_at_run_time(setters, name);
        let Some(chosen) = chosen else { continue };
        let span = cx.span_in(url, reference.range.clone());
        cx.report(
            Code::SecretToOtherDestination,
            format!(
                "`send_to` of `{variable}` reads `$({})`, {chosen}: the secret would go wherever that value says",
                reference.name
            ),
            span,
        )
        .help("name the service in `send_to` as text (`https://api.example.com`), or through a variable that nothing sets while the flow runs");
    }
}

fn is_header_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// The secrets a string reads, as readable names (`x-token-passphrase`, `fetch_token.token`).
fn secrets_read(flow: &Flow, text: &str) -> Vec<Secret> {
    let Ok(found) = refs::references(text) else {
        return Vec::new();
    };
    let mut out: Vec<Secret> = Vec::new();
    for r in found {
        if !flow.reads_secret(r.name) || out.iter().any(|s| s.reference == r.name) {
            continue;
        }
        out.push(Secret::of(flow, r.name, r.range.clone()));
    }
    out
}

/// The values a string reads that no choice may be made on: its secrets ([`secrets_read`]),
/// and the plain variables a request sends as a credential (`sent`: by where they go, or their
/// defaults by where they land, [`Flow::credential_defaults`]), which runs hold as secrets.
fn choice_secrets_read(flow: &Flow, sent: &BTreeSet<String>, text: &str) -> Vec<Secret> {
    let mut out = secrets_read(flow, text);
    for r in refs::references(text).unwrap_or_default() {
        if !sent.contains(r.name) || out.iter().any(|s| s.reference == r.name) {
            continue;
        }
        let mut secret = Secret::of(flow, r.name, r.range.clone());
        secret.described = format!(
            "variable `{}`, which a request sends as a credential,",
            r.name
        );
        out.push(secret);
    }
    out
}

/// One secret a string reads.
struct Secret {
    /// As written in the document: `x-token-passphrase` or `n4.token`.
    reference: String,
    /// As a reader knows it: `secret variable `x-token-passphrase`` or `secret output `fetch_token.token``.
    described: String,
    /// The variable, when it is one.
    variable: Option<Variable>,
    /// Where the reference sits in the string.
    range: std::ops::Range<usize>,
}

impl Secret {
    fn of(flow: &Flow, reference: &str, range: std::ops::Range<usize>) -> Secret {
        let variable = flow.variables.iter().find(|v| v.name == reference).cloned();
        let described = match &variable {
            Some(v) => format!("secret variable `{}`", v.name),
            None => {
                let readable = reference
                    .split_once('.')
                    .and_then(|(id, out)| {
                        let node = NodeId::parse(id).and_then(|id| flow.node(id))?;
                        Some(format!("{}.{out}", node.key))
                    })
                    .unwrap_or_else(|| reference.to_string());
                format!("secret output `{readable}`")
            }
        };
        Secret {
            reference: reference.to_string(),
            described,
            variable,
            range,
        }
    }
}

/// The span of a secret's reference inside a spec string, else of the whole string.
fn span_of(cx: &Ctx, value: Option<&S<String>>, secret: &Secret, compiled: &str) -> Option<Span> {
    let value = value?;
    // The spec spells node references by key; find the reference by its readable name first.
    let readable = secret
        .described
        .split('`')
        .nth(1)
        .unwrap_or(&secret.reference);
    let needle = format!("$({readable})");
    match value.get_ref().find(&needle) {
        Some(at) => cx.span_in(value, at..at + needle.len()),
        None if value.get_ref() == compiled => cx.span_in(value, secret.range.clone()),
        None => cx.span(value),
    }
}

/// Follows secrets through every node and flow setting.
pub fn analyse(flow: &Flow, origins: &Origins, cx: &mut Ctx) {
    let credential = |header: &str| {
        flow.credential_headers
            .iter()
            .any(|c| c.eq_ignore_ascii_case(header))
    };
    if let Some(correlation) = &flow.correlation_id {
        for secret in secrets_read(flow, correlation) {
            let span = span_of(cx, origins.correlation_id(), &secret, correlation);
            cx.report(
                Code::SecretInRequest,
                format!(
                    "{} is put in the correlation id, which the platform logs",
                    secret.described
                ),
                span,
            )
            .help("keep secrets out of the correlation id");
        }
    }
    for outcome in &flow.outcomes {
        let Some(url) = &outcome.notify_url else {
            continue;
        };
        let spanned = origins.notify_url(&outcome.name);
        for secret in secrets_read(flow, url) {
            let span = span_of(cx, spanned, &secret, url);
            cx.report(
                Code::SecretInRequest,
                format!(
                    "{} is sent in the notify URL of flow outcome `{}`",
                    secret.described, outcome.name
                ),
                span,
            )
            .help("keep secrets out of URLs: servers and proxies log them");
        }
    }
    let setters = setters(flow);
    // Plain variables sent as credentials, which runs hold as secrets: no choice on them either.
    let mut sent = flow.credential_variables();
    sent.extend(flow.credential_defaults_of(sent.clone()));
    for node in &flow.nodes {
        let Some(node_spec) = origins.node(node.id).map(|origin| origin.spec) else {
            continue;
        };
        actions(flow, node, node_spec, cx);
        match &node.kind {
            NodeKind::Http(http) => {
                request(flow, node, http, node_spec, (&credential, &setters), cx)
            }
            NodeKind::Branch(branch) => conditions(flow, &sent, (node, branch), node_spec, cx),
            NodeKind::Evaluate(evaluate) => script(flow, &sent, (node, evaluate), node_spec, cx),
            NodeKind::CallFlow(_) => {}
        }
    }
}

/// Which branch a flow takes is shown everywhere (traces, logs, the flow's outcome): a branch
/// may test whether a secret is set, and nothing else of it.
fn conditions(
    flow: &Flow,
    sent: &BTreeSet<String>,
    (node, branch): (&Node, &Branch),
    node_spec: &NodeSpec,
    cx: &mut Ctx,
) {
    let arms = node_spec.branches.iter().flatten();
    for (arm, arm_spec) in branch.branches.iter().zip(arms) {
        let specs = arm_spec.all.iter().chain(arm_spec.any.iter()).flatten();
        for (c, c_spec) in arm.conditions.iter().zip(specs) {
            let emptiness = matches!(c.operator, Operator::Equals | Operator::NotEquals);
            let empty = String::new();
            let sides = [
                (&c.variable, Some(&c_spec.variable), &c.value),
                (&c.value, c_spec.value.as_ref(), &c.variable),
                (
                    c.upper.as_ref().unwrap_or(&empty),
                    c_spec.upper.as_ref(),
                    &empty,
                ),
            ];
            for (text, spanned, other) in sides {
                // `$(Name)` alone against "": whether it is set, which is no secret.
                let whole_reference = refs::references(text)
                    .is_ok_and(|r| r.len() == 1 && r[0].range == (0..text.len()));
                if emptiness && other.is_empty() && whole_reference {
                    continue;
                }
                for secret in choice_secrets_read(flow, sent, text) {
                    let span = span_of(cx, spanned, &secret, text);
                    cx.report(
                        Code::SecretInCondition,
                        format!(
                            "{} is compared in branch `{}` of `{}`: the branch taken would tell something of it",
                            secret.described, arm.name, node.key
                        ),
                        span,
                    )
                    .help("a branch may test only whether a secret is set: `$(Name)` equals or not_equals \"\"");
                }
            }
        }
    }
}

/// An Evaluate node's choice is its outcome, shown like a branch: no secret may decide it.
fn script(
    flow: &Flow,
    sent: &BTreeSet<String>,
    (node, evaluate): (&Node, &Evaluate),
    node_spec: &NodeSpec,
    cx: &mut Ctx,
) {
    for secret in choice_secrets_read(flow, sent, &evaluate.script) {
        let span = span_of(cx, node_spec.script.as_ref(), &secret, &evaluate.script);
        cx.report(
            Code::SecretInCondition,
            format!(
                "{} is read by the script of `{}`, whose choice of outcome would tell something of it",
                secret.described, node.key
            ),
            span,
        )
        .help("keep secrets out of Evaluate scripts; test only whether a secret is set, in a branch");
    }
}

/// A secret assigned to a variable that is not secret.
fn actions(flow: &Flow, node: &Node, node_spec: &NodeSpec, cx: &mut Ctx) {
    let spec_actions: Vec<&ActionSpec> = node_spec
        .on_enter
        .iter()
        .chain(node_spec.on_leave.iter())
        .flatten()
        .collect();
    for (when, action) in node
        .on_enter
        .iter()
        .map(|a| ("on enter", a))
        .chain(node.on_leave.iter().map(|a| ("on leave", a)))
    {
        for (target, value) in &action.set {
            let plain = flow
                .variables
                .iter()
                .any(|v| &v.name == target && !v.secret);
            if !plain {
                continue;
            }
            let spanned = spec_actions
                .iter()
                .find_map(|a| a.set.get_key_value(target.as_str()).map(|(_, v)| v));
            for secret in secrets_read(flow, value) {
                let span = span_of(cx, spanned, &secret, value);
                cx.report(
                    Code::SecretToPlainVariable,
                    format!(
                        "{} reaches variable `{target}` ({when} `{}`), which is not secret",
                        secret.described, node.key
                    ),
                    span,
                )
                .help(format!(
                    "declare `secret = true` on [variables.{target}], or assign it something that holds no secret"
                ));
            }
        }
    }
}

/// Secrets in a request: only in a credential header, and only to their `send_to` URLs.
fn request(
    flow: &Flow,
    node: &Node,
    http: &Http,
    node_spec: &NodeSpec,
    (credential, setters): (&dyn Fn(&str) -> bool, &Setters),
    cx: &mut Ctx,
) {
    let mut exposed: Vec<(String, &str, Option<&S<String>>)> =
        vec![("URL".into(), http.url.as_str(), node_spec.url.as_ref())];
    exposed.extend(
        http.body
            .as_deref()
            .map(|b| ("body".into(), b, node_spec.body.as_ref())),
    );
    exposed.extend(
        http.proxy
            .as_deref()
            .map(|p| ("proxy address".into(), p, node_spec.proxy.as_ref())),
    );
    let header_spec = |name: &str| {
        node_spec
            .headers
            .as_ref()
            .and_then(|h| h.get_key_value(name).map(|(_, v)| v))
    };
    let mut credentials = Vec::new();
    for (name, value) in &http.headers {
        if credential(name) {
            credentials.push((name, value.as_str(), header_spec(name)));
        } else {
            exposed.push((
                format!("header `{name}`"),
                value.as_str(),
                header_spec(name),
            ));
        }
    }
    for (part, text, spanned) in exposed {
        for secret in secrets_read(flow, text) {
            let span = span_of(cx, spanned, &secret, text);
            let hint = if part.starts_with("header") {
                "if this header carries a credential, list it in [flow] credential_headers"
            } else {
                "send credentials in a credential header; keep secrets out of URLs and bodies"
            };
            cx.report(
                Code::SecretInRequest,
                format!(
                    "{} is sent in the {part} of `{}`",
                    secret.described, node.key
                ),
                span,
            )
            .help(hint);
        }
    }
    // A proxy reads what it carries (all of a plain-HTTP request): with a credential, it must
    // be chosen before the run, as a `send_to` URL is.
    let carries_secret =
        (credentials.iter()).any(|(_, text, _)| !secrets_read(flow, text).is_empty());
    if let (true, Some(proxy)) = (carries_secret, http.proxy.as_deref()) {
        for reference in refs::references(proxy).unwrap_or_default() {
            let Some(chosen) = chosen_at_run_time(setters, reference.name) else {
                continue;
            };
            cx.report(
                Code::SecretToOtherDestination,
                format!(
                    "the proxy of `{}` reads `$({})`, {chosen}, and the request carries a secret in a credential header: whoever gives that value would choose who reads it",
                    node.key,
                    readable_reference(flow, reference.name)
                ),
                node_spec.proxy.as_ref().and_then(|p| cx.span(p)),
            )
            .help("write the proxy address as text, or through a variable that nothing sets while the flow runs");
        }
    }
    for (header, text, spanned) in credentials {
        for secret in secrets_read(flow, text) {
            let span = span_of(cx, spanned, &secret, text);
            let allowed_by = secret.variable.as_ref().and_then(|v| {
                v.send_to
                    .iter()
                    .find(|allowed| url_allowed(&http.url, allowed))
                    .cloned()
            });
            if let Some(allowed) = allowed_by {
                // Past the send_to URL, what a reference holds decides where the request goes
                // too (`/v1/$(Seg)` with Seg `../admin`): a fixed value is known and refused;
                // one the run chooses (an id from the webhook, as REST paths take) is warned of.
                if let Some((code, why)) =
                    url_leaves_by_reference(flow, setters, &http.url, &allowed)
                {
                    cx.report(
                        code,
                        format!(
                            "{} is sent in header `{header}` of `{}`, whose URL `{}` {why}",
                            secret.described,
                            node.key,
                            readable_url(flow, &http.url)
                        ),
                        span,
                    )
                    .help("make sure the service rejects a value such as `../admin`, or write that part of the path as text or through variables that nothing sets while the flow runs and hold no `.` or `..` segment");
                }
                continue;
            }
            match &secret.variable {
                Some(v) => {
                    let allowed = if v.send_to.is_empty() {
                        "it names no destination (`send_to`)".to_string()
                    } else {
                        format!("it may go only to {}", quoted(&v.send_to))
                    };
                    cx.report(
                        Code::SecretToOtherDestination,
                        format!(
                            "{} is sent in header `{header}` of `{}` to `{}`; {allowed}",
                            secret.described, node.key, readable_url(flow, &http.url)
                        ),
                        span,
                    )
                    .help(format!(
                        "add the URL to `send_to` of [variables.{}] only if this service is meant to receive it",
                        v.name
                    ));
                }
                None => {
                    cx.report(
                        Code::SecretToOtherDestination,
                        format!(
                            "{} is sent in header `{header}` of `{}`; secret outputs are never sent",
                            secret.described, node.key
                        ),
                        span,
                    )
                    .help("assign it to a secret variable whose `send_to` names where it may go");
                }
            }
        }
    }
}

/// Why a request URL that `allowed` (a `send_to` URL) admits may still lead elsewhere through
/// a reference past it, with the code to tell it by: fixed values that put a `.` or `..` segment
/// in the path (an error), or one whose value the run chooses (a warning); `None` when none
/// does.
fn url_leaves_by_reference(
    flow: &Flow,
    setters: &Setters,
    url: &str,
    allowed: &str,
) -> Option<(Code, String)> {
    let references = refs::references(url).unwrap_or_default();
    // The send_to URL may be a reference itself (`$(Base)`): its own value is send_to's check.
    let past: Vec<_> = references
        .iter()
        .filter(|r| url[r.range.clone()] != *allowed)
        .collect();
    // Fixed values, as the run would fill them in.
    let filled = refs::substitute(url, |name| {
        let fixed = past.iter().any(|r| r.name == name);
        let variable = flow.variables.iter().find(|v| v.name == name)?;
        (fixed && chosen_at_run_time(setters, name).is_none()).then(|| variable.default.clone())
    });
    if has_dot_segment(&filled) {
        return Some((
            Code::SecretToOtherDestination,
            "puts a `.` or `..` segment in its path through a variable's value: a server resolves it elsewhere".to_string(),
        ));
    }
    past.iter().find_map(|r| {
        let chosen = chosen_at_run_time(setters, r.name)?;
        Some((
            Code::PathChosenAtRunTime,
            format!(
                "reads `$({})` past its send_to URL, {chosen}: a value such as `../admin` would lead the request elsewhere",
                readable_reference(flow, r.name)
            ),
        ))
    })
}

/// What makes the value `$(name)` one the run chooses: a node's output or the trigger's
/// payload, or a custom variable a transition action sets; `None` for a value fixed before the
/// run.
fn chosen_at_run_time(setters: &Setters, name: &str) -> Option<String> {
    if refs::split_node_reference(name).is_some() {
        return Some("a value the run reads (a trigger's or a reply's)".to_string());
    }
    (setters.get(name)).map(|key| format!("a variable a transition action of `{key}` sets"))
}

/// Each custom variable a transition action sets, with the key of the first node that sets it.
type Setters<'f> = std::collections::BTreeMap<&'f str, &'f str>;

/// The [`Setters`] of a flow.
fn setters(flow: &Flow) -> Setters<'_> {
    let mut found = Setters::new();
    for node in &flow.nodes {
        for action in node.on_enter.iter().chain(&node.on_leave) {
            for name in action.set.keys() {
                found.entry(name.as_str()).or_insert(node.key.as_str());
            }
        }
    }
    found
}

/// What `parent`'s Call Flow nodes let it and each child they call (`children`, by flow name;
/// a child not there is not followed) choose of where the other sends a secret: Call Flow
/// shares the custom variables both flows declare, so a variable one flow's `send_to` reads is
/// the other's to set. Reported, at each Call Flow node: a variable the child's `send_to`
/// reads that the parent sets while it runs (it hands the child its value), and one the
/// parent's `send_to` reads that the child sets (it hands the value back).
pub(crate) fn shared_destinations(
    parent: &Flow,
    children: &std::collections::BTreeMap<String, Flow>,
) -> Vec<Diagnostic> {
    let parent_setters = setters(parent);
    let child_setters: std::collections::BTreeMap<&str, Setters> = (children.iter())
        .map(|(name, child)| (name.as_str(), setters(child)))
        .collect();
    let declares = |flow: &Flow, name: &str| flow.variables.iter().any(|v| v.name == name);
    let mut found = Vec::new();
    for node in &parent.nodes {
        let NodeKind::CallFlow(call) = &node.kind else {
            continue;
        };
        let (Some(child), Some(of_child)) = (
            children.get(&call.flow),
            child_setters.get(call.flow.as_str()),
        ) else {
            continue;
        };
        for (reader, setter, sets, hands) in [
            (child, parent, &parent_setters, "hands it to"),
            (parent, child, of_child, "hands it back to"),
        ] {
            for v in reader.secret_variables() {
                let names =
                    (v.send_to.iter()).flat_map(|url| refs::references(url).unwrap_or_default());
                for reference in names {
                    let name = reference.name;
                    if refs::split_node_reference(name).is_some() || !declares(setter, name) {
                        continue;
                    }
                    let Some(chosen) = chosen_at_run_time(sets, name) else {
                        continue;
                    };
                    found.push(
                        Diagnostic::new(
                            Code::SecretToOtherDestination,
                            format!(
                                "`send_to` of `{}` in flow `{}` reads `$({name})`, which flow `{}` shares through Call Flow `{}` and sets while it runs ({chosen}) and {hands} `{}`: the secret would go wherever that value says",
                                v.name, reader.name, setter.name, node.key, reader.name
                            ),
                        )
                        .with_help(format!(
                            "set `{name}` in neither flow while it runs, or name the service in `send_to` as text"
                        )),
                    );
                }
            }
        }
    }
    found
}

/// A reference's name with a node id spelled by the node's key (`fetch_token.token`).
fn readable_reference(flow: &Flow, name: &str) -> String {
    let Some((id, out)) = name.split_once('.') else {
        return name.to_string();
    };
    match NodeId::parse(id) {
        Some(START_ID) => format!("start.{out}"),
        Some(id) => flow
            .node(id)
            .map_or_else(|| name.to_string(), |node| format!("{}.{out}", node.key)),
        None => name.to_string(),
    }
}

/// Whether a request URL is one a secret may be sent to: the same, or below it (`allowed`
/// followed by `/`, `?` or `#`). Scheme and host are compared without case and a port the
/// scheme implies (`HTTPS://Jds.example:443` is `https://jds.example`); the rest as text. A
/// path with a `.` or `..` segment (`/v1/../admin`, `/v1/%2e%2e/admin`) is below nothing:
/// servers resolve it elsewhere than it reads.
pub(crate) fn url_allowed(url: &str, allowed: &str) -> bool {
    if allowed.is_empty() || has_dot_segment(url) {
        return false;
    }
    let (url, allowed) = (origin_normalized(url), origin_normalized(allowed));
    let (url, allowed) = (url.as_str(), allowed.as_str());
    url == allowed
        || url
            .strip_prefix(allowed)
            .is_some_and(|rest| allowed.ends_with(['/', '?']) || rest.starts_with(['/', '?', '#']))
}

/// Whether the path of `url` has a `.` or `..` segment, written or percent-encoded (`%2e`).
fn has_dot_segment(url: &str) -> bool {
    let path = url
        .split_once("://")
        .map_or(url, |(_, rest)| rest.find('/').map_or("", |at| &rest[at..]));
    let path = path.split(['?', '#']).next().unwrap_or("");
    path.split(['/', '\\']).any(|segment| {
        let decoded = segment.to_ascii_lowercase().replace("%2e", ".");
        // A path parameter after `;` is dropped by some servers (`/..;/admin` is `/admin`).
        let name = decoded.split(';').next().unwrap_or("");
        name == "." || name == ".."
    })
}

/// `url` with its scheme and host in lower case and the port its scheme implies left out, when
/// they are written out (no reference in them); as it is otherwise.
fn origin_normalized(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let scheme = scheme.to_ascii_lowercase();
    if !matches!(scheme.as_str(), "http" | "https") || authority.contains(['$', '@']) {
        return url.to_string();
    }
    let mut authority = authority.to_ascii_lowercase();
    // The port as a number: empty or zero-padded (`h:`, `h:0443`) is the same port.
    let implied = if scheme == "https" { 443 } else { 80 };
    let port_of = |(host, port): &(&str, &str)| {
        port.bytes().all(|b| b.is_ascii_digit())
            && !host.is_empty()
            && (!host.starts_with('[') || host.ends_with(']'))
    };
    if let Some((host, port)) = authority.rsplit_once(':').filter(port_of) {
        if port.is_empty() || port.parse::<u32>() == Ok(implied) {
            authority = host.to_string();
        }
    }
    format!("{scheme}://{authority}{tail}")
}

fn quoted(list: &[String]) -> String {
    list.iter()
        .map(|u| format!("`{}`", crate::secret::names::url_in_message(u)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A URL with node references spelled by key.
/// With its typed credentials hidden, as a message quotes it.
fn readable_url(flow: &Flow, url: &str) -> String {
    // Spelled as the message names each read (`start.…` included).
    let url = refs::rewrite(url, |name| Some(readable_reference(flow, name)));
    crate::secret::names::url_in_message(&url)
}

#[cfg(test)]
mod tests {
    use super::url_allowed;

    #[test]
    fn a_send_to_url_allows_itself_and_what_lies_below_it() {
        assert!(url_allowed("$(Token-Service-URL)", "$(Token-Service-URL)"));
        assert!(url_allowed(
            "https://jds.example/v1?x=1",
            "https://jds.example"
        ));
        assert!(url_allowed(
            "https://jds.example/v1",
            "https://jds.example/"
        ));
        assert!(!url_allowed(
            "https://jds.example.evil/v1",
            "https://jds.example"
        ));
        assert!(!url_allowed(
            "$(Token-Service-URL)x",
            "$(Token-Service-URL)"
        ));
        assert!(!url_allowed("$(Debug-URL)", "$(Token-Service-URL)"));
        assert!(!url_allowed("anything", ""));
        // Scheme and host without case, the implied port left out; the path as written.
        assert!(url_allowed(
            "HTTPS://Jds.Example:443/v1",
            "https://jds.example"
        ));
        assert!(url_allowed(
            "http://jds.example/v1",
            "HTTP://JDS.example:80/"
        ));
        assert!(!url_allowed(
            "https://jds.example:8443/v1",
            "https://jds.example"
        ));
        assert!(!url_allowed("http://jds.example/v1", "https://jds.example"));
        assert!(!url_allowed(
            "https://jds.example/V1",
            "https://jds.example/v1"
        ));
        // Dot segments lead elsewhere than they read.
        for elsewhere in [
            "https://jds.example/v1/../admin",
            "https://jds.example/v1/%2e%2E/admin",
            "https://jds.example/v1/./x",
            "https://jds.example/v1/..",
        ] {
            assert!(
                !url_allowed(elsewhere, "https://jds.example/v1"),
                "{elsewhere}"
            );
        }
        assert!(url_allowed(
            "https://jds.example/v1/a..b?x=..",
            "https://jds.example/v1"
        ));
        assert!(!url_allowed(
            "https://jds.example/v1/..;/admin",
            "https://jds.example/v1"
        ));
        assert!(!url_allowed(
            "https://jds.example/v1/.;x/a",
            "https://jds.example/v1"
        ));
        // The port as a number.
        assert!(url_allowed(
            "https://jds.example:/v1/x",
            "https://jds.example/v1"
        ));
        assert!(url_allowed(
            "https://jds.example:0443/v1/x",
            "https://jds.example/v1"
        ));
        assert!(url_allowed("https://[::1]:443/v1/x", "https://[::1]/v1"));
        assert!(!url_allowed(
            "https://jds.example:4430/v1/x",
            "https://jds.example/v1"
        ));
    }
}
