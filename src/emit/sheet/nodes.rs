//! One section per node: its settings as Flow Builder shows them, its outcomes and its
//! transition actions.

use super::text::{assumed, cell, code, code_inline, fence, paragraph};
use crate::emit::graph::outcome_label;
use crate::flow::{Action, Flow, Join, Node, NodeKind, Target};
use crate::secret::names;
use std::fmt::Write as _;

/// What the sheet shows for a credential typed in clear where a request carries one: a
/// credential header's value, a URL's user information or credential parameter. It is secret by its
/// place, so shown nowhere but in the spec and the document.
pub const TYPED_CREDENTIAL: &str =
    "*a credential typed in the spec, not shown: type the value the spec holds*";

/// A URL as a code span, each credential typed in it shown as the mask, with a note saying so.
pub fn url_text(url: &str) -> String {
    let masked = names::url_with_credentials_masked(url, names::CONNECT_REFERENCES);
    if masked == url {
        code(url)
    } else {
        format!(
            "{} (*{} stands for a credential typed in the spec: type the value the spec holds*)",
            code(&masked),
            crate::secret::MASK
        )
    }
}

pub fn target_text(flow: &Flow, target: &Target) -> String {
    match target {
        Target::Node(id) => flow.node(*id).map_or_else(
            || id.to_string(),
            |n| format!("**{}** {}", n.id, code_inline(&n.key)),
        ),
        Target::End(outcome) => format!("**End** with flow outcome **{}**", cell(outcome)),
    }
}

pub fn node_section(
    out: &mut String,
    flow: &Flow,
    node: &Node,
    credential_assignments: &std::collections::BTreeSet<(String, String)>,
) {
    let type_name = match &node.kind {
        NodeKind::Http(_) => "HTTP Request",
        NodeKind::Branch(_) => "Branch",
        NodeKind::Evaluate(_) => "Evaluate",
        NodeKind::CallFlow(_) => "Call Flow",
    };
    let _ = writeln!(
        out,
        "### {} · {} · {type_name}\n",
        node.id,
        code_inline(&node.key)
    );
    if let Some(note) = node.note.as_deref().map(paragraph) {
        if !note.is_empty() {
            let _ = writeln!(out, "{note}\n");
        }
    }
    let _ = writeln!(out, "| setting | value |");
    let _ = writeln!(out, "|---|---|");
    match &node.kind {
        NodeKind::Http(h) => {
            let _ = writeln!(out, "| Method | {} |", h.method.as_str());
            let _ = writeln!(out, "| Endpoint URL | {} |", url_text(&h.url));
            for (name, value) in &h.headers {
                let value = if names::connect_header_types_credential(
                    name,
                    value,
                    &flow.credential_headers,
                ) {
                    TYPED_CREDENTIAL.to_string()
                } else {
                    code(value)
                };
                let _ = writeln!(out, "| Header {} | {value} |", code(name));
            }
            if let Some(body) = &h.body {
                // A body of several lines is typed as it is: shown whole below the table.
                if body.contains('\n') {
                    let _ = writeln!(out, "| Body | (several lines: see below) |");
                } else {
                    let _ = writeln!(out, "| Body | {} |", code(body));
                }
            }
            let ms = |v: Option<u32>| v.map_or("(platform default)".into(), |v| format!("{v} ms"));
            let _ = writeln!(out, "| Connection timeout | {} |", ms(h.connect_timeout_ms));
            let _ = writeln!(out, "| Request timeout | {} |", ms(h.request_timeout_ms));
            if let Some(proxy) = &h.proxy {
                let _ = writeln!(out, "| Proxy | {} |", url_text(proxy));
            }
            if !h.outputs.is_empty() {
                let paste = if h.samples.is_empty() {
                    "paste a sample reply of the service, Parse, and tick:".to_string()
                } else {
                    "paste the sample replies below, Parse, and tick:".to_string()
                };
                let _ = writeln!(out, "| Output variables | response type JSON; {paste} |");
                for (name, path) in &h.outputs {
                    let _ = writeln!(
                        out,
                        "| ↳ {} | {} (read as {}) |",
                        code(name),
                        code(path),
                        code(&format!("$({}.{name})", node.id))
                    );
                }
            }
        }
        NodeKind::Branch(b) => {
            for (i, arm) in b.branches.iter().enumerate() {
                let join = match arm.join {
                    Join::All => "all of (AND)",
                    Join::Any => "any of (OR)",
                };
                let conditions: Vec<String> = arm
                    .conditions
                    .iter()
                    .map(|c| {
                        let upper = c
                            .upper
                            .as_deref()
                            .map_or(String::new(), |u| format!(" and {}", code(u)));
                        let value = if c.value.is_empty() {
                            format!(
                                "(empty: leave the value blank, {})",
                                assumed("how Flow Builder takes an empty value is not documented")
                            )
                        } else {
                            code(&c.value)
                        };
                        format!(
                            "{} *{}* {value}{upper}",
                            code(&c.variable),
                            c.operator.label()
                        )
                    })
                    .collect();
                let _ = writeln!(
                    out,
                    "| Branch {} {} | {join}: {} |",
                    i + 1,
                    code(&arm.name),
                    conditions.join("; ")
                );
            }
            let _ = writeln!(out, "| Default branch label | {} |", cell(&b.none_label));
        }
        NodeKind::Evaluate(e) => {
            let _ = writeln!(out, "| Script output name | {} |", code(&e.output));
            let _ = writeln!(
                out,
                "| Branch names | {} |",
                e.choices
                    .iter()
                    .map(|c| code(c))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        NodeKind::CallFlow(c) => {
            let _ = writeln!(out, "| Workflow Name | {} |", code(&c.flow));
            let _ = writeln!(
                out,
                "| Node Type | {} |",
                c.entry.as_deref().map_or("--All--".into(), code)
            );
            let _ = writeln!(
                out,
                "| Node Name | {} |",
                c.node_name.as_deref().map_or(
                    "as Flow Builder fills it in (for a webhook Start node: `Configure Webhook-2`)"
                        .into(),
                    code
                )
            );
        }
    }
    out.push('\n');
    if let NodeKind::Http(h) = &node.kind {
        if let Some(body) = h.body.as_deref().filter(|b| b.contains('\n')) {
            let fence = fence(body);
            let _ = writeln!(
                out,
                "Body:\n\n{fence}\n{}\n{fence}\n",
                body.trim_end_matches('\n')
            );
        }
        for (i, sample) in h.samples.iter().enumerate() {
            let text = serde_json::to_string_pretty(sample).unwrap_or_default();
            let fence = fence(&text);
            let _ = writeln!(
                out,
                "Sample reply {}:\n\n{fence}json\n{text}\n{fence}\n",
                i + 1
            );
        }
    }
    if let NodeKind::CallFlow(_) = &node.kind {
        let _ = writeln!(
            out,
            "Outcomes onSuccess and onError: {}.\n",
            assumed("Cisco does not document the Call Flow node's outcomes")
        );
    }
    if let NodeKind::Evaluate(e) = &node.kind {
        let fence = fence(&e.script);
        let _ = writeln!(
            out,
            "Script:\n\n{fence}javascript\n{}\n{fence}\n",
            e.script.trim_end()
        );
        let _ = writeln!(
            out,
            "Outcomes onInvalidChoice and onError: {}.\n",
            assumed("Cisco's Evaluate page documents the choices; these two are known from community posts only")
        );
    }
    let _ = writeln!(out, "| outcome | goes to |");
    let _ = writeln!(out, "|---|---|");
    for exit in &node.exits {
        let _ = writeln!(
            out,
            "| {} | {} |",
            cell(outcome_label(node, &exit.outcome)),
            target_text(flow, &exit.target)
        );
    }
    out.push('\n');
    let at = (flow, node);
    actions(out, "on enter", &node.on_enter, at, credential_assignments);
    actions(out, "on leave", &node.on_leave, at, credential_assignments);
}

fn actions(
    out: &mut String,
    when: &str,
    list: &[Action],
    (flow, node): (&Flow, &Node),
    credential_assignments: &std::collections::BTreeSet<(String, String)>,
) {
    for action in list {
        // Flow Builder documents no choice of outcome for an action: an on-leave action runs
        // whichever outcome the node leaves by. A spec may opt into per-outcome actions.
        let scope = match action.outcome.as_deref() {
            Some(o) => format!(
                " (outcome {}; *assumed: Flow Builder documents no choice of outcome, so check that the action runs only for it*)",
                outcome_label(node, o)
            ),
            None if when == "on leave" => " (runs whichever outcome the node leaves by)".into(),
            None => String::new(),
        };
        let sets: Vec<String> = action
            .set
            .iter()
            .map(|(k, v)| {
                // Text typed whole for a secret variable, or a URL's credential, is the spec's to
                // hold: the sheet says where it is, never what.
                let landing = credential_assignments.contains(&(k.clone(), v.clone()));
                let v = match landing || flow.assignment_is_secret(k, v) {
                    true => TYPED_CREDENTIAL.to_string(),
                    false => code_inline(v),
                };
                format!("{} = {v}", code_inline(k))
            })
            .collect();
        // A value reading a variable of the same action: its earlier value, as the run reads it.
        let order = match action.reads_own_variables().next() {
            Some((variable, read)) => format!(
                " ({}: check that {} gets {}'s value from before the action)",
                assumed("an action's values are all read before any is written"),
                code_inline(variable),
                code_inline(read)
            ),
            None => String::new(),
        };
        let _ = writeln!(
            out,
            "Transition action, {when}{scope}: set {}.{order}\n",
            sets.join(", ")
        );
    }
}
