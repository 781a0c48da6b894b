//! The textconv view: a flow as one fact a line, for `git diff`.

use super::*;

/// A canonical, line-oriented rendering of a flow for `git diff` (textconv): one fact a line,
/// each line carrying its full path, references by node key, secrets masked, layout left out.
pub fn render_lines(flow: &Flow) -> String {
    let side = Side::new(flow);
    let mut out = String::new();
    let _ = writeln!(out, "flow.name = {:?}", flow.name);
    if let Some(d) = &flow.description {
        let _ = writeln!(out, "flow.description = {d:?}");
    }
    if let Some(c) = &flow.correlation_id {
        let _ = writeln!(out, "flow.correlation_id = {:?}", side.text(c));
    }
    if !flow.credential_headers.is_empty() {
        let _ = writeln!(
            out,
            "flow.credential_headers = {}",
            flow.credential_headers.join(", ")
        );
    }
    if flow.per_outcome_actions {
        let _ = writeln!(out, "flow.per_outcome_actions = true");
    }
    let _ = writeln!(out, "trigger.event = {}", flow.trigger.event);
    for (path, value) in flatten_json(&flow.trigger.sample) {
        let _ = writeln!(out, "trigger.sample{path} = {value}");
    }
    let _ = writeln!(out, "start.next -> {}", side.target(&flow.trigger.next));
    let credential_defaults = flow.credential_defaults();
    for v in &flow.variables {
        let default = v.default_text();
        let credential = credential_defaults.contains(&v.name);
        let default = format!("{:?}", default.tainted_by(credential));
        let flags = flags(&[
            ("externalize", v.externalize),
            ("secret", v.secret),
            ("result", v.result),
        ]);
        let _ = writeln!(out, "variables.{} = {default} [{flags}]", v.name);
        if let Some(note) = &v.note {
            let _ = writeln!(out, "variables.{}.note = {note:?}", v.name);
        }
        if !v.send_to.is_empty() {
            let _ = writeln!(
                out,
                "variables.{}.send_to = {}",
                v.name,
                v.send_to_text().shown()
            );
        }
    }
    for o in &flow.outcomes {
        let _ = writeln!(out, "outcomes.{} = {} {:?}", o.name, o.code, o.description);
        if let Some(url) = &o.notify_url {
            let url = notify_url_text(url);
            let _ = writeln!(out, "outcomes.{}.notify_url = {}", o.name, url.shown());
        }
    }
    for node in &flow.nodes {
        let _ = writeln!(out, "{} = {} {}", node.key, node.kind.type_name(), node.id);
        for (path, value) in side.fields(node) {
            let _ = writeln!(out, "{}.{path} = {}", node.key, value.shown());
        }
        for (outcome, target) in side.exits(node) {
            let _ = writeln!(out, "{}.{outcome} -> {target}", node.key);
        }
    }
    out
}

/// The names of the flags that are on, as a line view lists them: `secret, result`.
pub(crate) fn flags(all: &[(&str, bool)]) -> String {
    let on: Vec<&str> = all.iter().filter(|(_, on)| *on).map(|(f, _)| *f).collect();
    on.join(", ")
}
