//! Per-tenant structure: switched-off nodes and variables are left out.

use super::*;

/// Whether a switch is on; `None` (reported) when a template rendered something else.
fn switch_state(
    switch: &S<Switch>,
    what: &str,
    source: Option<&SourceFile>,
    out: &mut Vec<Diagnostic>,
) -> Option<bool> {
    match switch.get_ref() {
        Switch::Fixed(b) => Some(*b),
        Switch::Template(t) => match t.trim() {
            "true" => Some(true),
            "false" => Some(false),
            other => {
                out.push(
                    Diagnostic::new(
                        Code::InvalidSwitch,
                        format!("`enabled` of {what} rendered to `{other}`, not true or false"),
                    )
                    .with_span(source.map(|s| s.span(switch.span()))),
                );
                None
            }
        },
    }
}

/// Removes switched-off variables and every assignment to them: a feature that is off takes
/// its variables with it. A reference to one left anywhere is then an undefined variable.
fn switch_variables(spec: &mut Spec, source: Option<&SourceFile>, out: &mut Vec<Diagnostic>) {
    let mut off = BTreeSet::new();
    for (name, v) in &spec.variables {
        let Some(switch) = &v.enabled else { continue };
        let what = format!("variable `{}`", name.get_ref());
        if switch_state(switch, &what, source, out) == Some(false) {
            off.insert(name.get_ref().clone());
        }
    }
    if off.is_empty() {
        return;
    }
    spec.variables.retain(|k, _| !off.contains(k.get_ref()));
    for node in spec.nodes.values_mut() {
        for actions in [&mut node.on_enter, &mut node.on_leave]
            .into_iter()
            .flatten()
        {
            for action in actions.iter_mut() {
                action.set.retain(|k, _| !off.contains(k.get_ref()));
            }
            actions.retain(|a| !a.set.is_empty());
        }
    }
}

/// Removes switched-off nodes; every edge into one goes where its `bypass` outcome leads
/// (following chains of switched-off nodes).
pub(crate) fn apply_switches(
    spec: &mut Spec,
    source: Option<&SourceFile>,
    out: &mut Vec<Diagnostic>,
) {
    switch_variables(spec, source, out);
    let span = |r: std::ops::Range<usize>| source.map(|s| s.span(r));
    let mut off: BTreeMap<String, String> = BTreeMap::new();
    for (key, node) in &spec.nodes {
        let Some(switch) = &node.enabled else {
            if let Some(b) = &node.bypass {
                out.push(
                    Diagnostic::new(
                        Code::InvalidSwitch,
                        format!("`bypass` without `enabled` on node `{}`", key.get_ref()),
                    )
                    .with_span(span(b.span())),
                );
            }
            continue;
        };
        let what = format!("node `{}`", key.get_ref());
        let Some(enabled) = switch_state(switch, &what, source, out) else {
            continue;
        };
        let Some(bypass) = &node.bypass else {
            out.push(
                Diagnostic::new(Code::InvalidSwitch, format!("node `{}` has a switch but no `bypass` outcome", key.get_ref()))
                    .with_span(span(switch.span()))
                    .with_help("name the outcome whose target replaces the node when it is off, e.g. bypass = \"onSuccess\""),
            );
            continue;
        };
        let target = node
            .next
            .as_ref()
            .and_then(|n| n.get_ref().get(bypass.get_ref().as_str()));
        let Some(target) = target else {
            out.push(
                Diagnostic::new(
                    Code::InvalidSwitch,
                    format!(
                        "bypass outcome `{}` of node `{}` is not wired in its `next`",
                        bypass.get_ref(),
                        key.get_ref()
                    ),
                )
                .with_span(span(bypass.span())),
            );
            continue;
        };
        if !enabled {
            off.insert(key.get_ref().clone(), target.get_ref().clone());
        }
    }
    if off.is_empty() {
        return;
    }
    let resolve = |start: &str| -> Option<String> {
        let mut at = start.to_string();
        for _ in 0..=off.len() {
            match off.get(&at) {
                Some(next) => at = next.clone(),
                None => return Some(at),
            }
        }
        None // a cycle of switched-off nodes
    };
    let rewire = |target: &mut S<String>, out: &mut Vec<Diagnostic>| {
        if off.contains_key(target.get_ref()) {
            match resolve(target.get_ref()) {
                Some(t) => *target.get_mut() = t,
                None => out.push(
                    Diagnostic::new(
                        Code::InvalidSwitch,
                        format!(
                            "switched-off nodes bypass each other in a loop starting at `{}`",
                            target.get_ref()
                        ),
                    )
                    .with_span(span(target.span())),
                ),
            }
        }
    };
    rewire(&mut spec.trigger.next, out);
    spec.nodes.retain(|k, _| !off.contains_key(k.get_ref()));
    for node in spec.nodes.values_mut() {
        if let Some(next) = &mut node.next {
            for target in next.get_mut().values_mut() {
                rewire(target, out);
            }
        }
    }
}
