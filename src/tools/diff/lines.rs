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
    let mut sample: Vec<_> = flatten_json(&flow.trigger.sample).into_iter().collect();
    sample.sort_by_cached_key(|(path, _)| in_list_order(path));
    for (path, value) in sample {
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
        let mut fields: Vec<_> = side.fields(node).into_iter().collect();
        // In list order: `conditions[2]` before `conditions[10]`.
        fields.sort_by_cached_key(|(path, _)| in_list_order(path));
        for (path, value) in fields {
            let _ = writeln!(out, "{}.{path} = {}", node.key, value.shown());
        }
        for (outcome, target) in side.exits(node) {
            let _ = writeln!(out, "{}.{outcome} -> {target}", node.key);
        }
    }
    out
}

/// A path that sorts list items by their number: each `[N]` with N as 20 digits.
fn in_list_order(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 20);
    let mut rest = path;
    while let Some(open) = rest.find('[') {
        out.push_str(&rest[..=open]);
        rest = &rest[open + 1..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 && rest[digits..].starts_with(']') {
            out.push_str(&format!("{:0>20}", &rest[..digits]));
            rest = &rest[digits..];
        }
    }
    out.push_str(rest);
    out
}

/// The names of the flags that are on, as a line view lists them: `secret, result`.
pub(crate) fn flags(all: &[(&str, bool)]) -> String {
    let on: Vec<&str> = all.iter().filter(|(_, on)| *on).map(|(f, _)| *f).collect();
    on.join(", ")
}
