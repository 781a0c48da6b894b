//! Every string of a spec that templates may fill, with where it sits.

use super::*;

/// Where a string of the spec sits, for tracing secrets: a variable's default, or elsewhere.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Place {
    /// `[variables.NAME] default`.
    VariableDefault { name: String, secret: bool },
    /// A value every reader takes as one URL, masking the credentials it carries (an HTTP
    /// node's URL or proxy, an outcome's notify URL, a `send_to` origin), by its path
    /// (`nodes.fetch_token.url`).
    Url(String),
    /// Any other value, by its path (`flow.description`).
    Other(String),
    /// A switch written as a template (`enabled`), by its path (`nodes.debug_gate.enabled`).
    Switch(String),
}

/// Where a string sits, made only when asked: most strings are not templates.
pub type PlaceOf<'p> = &'p dyn Fn() -> Place;

/// Visits every string value that templates may fill, always in the same order, with where it
/// sits. Keys, types and wiring (`next`, `bypass`) are structure and are never rendered.
pub fn visit_strings(spec: &mut Spec, f: &mut dyn FnMut(&mut S<String>, PlaceOf<'_>)) {
    let other = |path: &'static str| move || Place::Other(path.to_string());
    f(&mut spec.flow.name, &other("flow.name"));
    if let Some(s) = &mut spec.flow.description {
        f(s, &other("flow.description"));
    }
    if let Some(s) = &mut spec.flow.correlation_id {
        f(s, &other("flow.correlation_id"));
    }
    f(&mut spec.trigger.event, &other("trigger.event"));
    f(&mut spec.trigger.sample, &other("trigger.sample"));
    for (name, v) in spec.variables.iter_mut() {
        let secret = v.secret;
        if let Some(s) = &mut v.default {
            f(s, &|| Place::VariableDefault {
                name: name.get_ref().clone(),
                secret,
            });
        }
        for url in v.send_to.iter_mut().flatten() {
            f(url, &|| {
                Place::Url(format!("variables.{}.send_to", name.get_ref()))
            });
        }
        let place = || Place::Switch(format!("variables.{}.enabled", name.get_ref()));
        visit_switch(&mut v.enabled, &place, f);
    }
    for (name, o) in spec.outcomes.iter_mut() {
        if let Some(s) = &mut o.description {
            f(s, &|| {
                Place::Other(format!("outcomes.{}.description", name.get_ref()))
            });
        }
        if let Some(s) = &mut o.notify_url {
            f(s, &|| {
                Place::Url(format!("outcomes.{}.notify_url", name.get_ref()))
            });
        }
    }
    for (key, node) in spec.nodes.iter_mut() {
        visit_node(key.get_ref(), node, f);
    }
}

fn visit_node(key: &str, n: &mut NodeSpec, f: &mut dyn FnMut(&mut S<String>, PlaceOf<'_>)) {
    let at = |field: &str| Place::Other(format!("nodes.{key}.{field}"));
    for (name, field) in [
        ("method", &mut n.method),
        ("url", &mut n.url),
        ("body", &mut n.body),
        ("proxy", &mut n.proxy),
        ("script", &mut n.script),
        ("flow", &mut n.flow),
        ("entry", &mut n.entry),
        ("node_name", &mut n.node_name),
        ("none_label", &mut n.none_label),
    ] {
        if let Some(s) = field {
            match name {
                "url" | "proxy" => f(s, &|| Place::Url(format!("nodes.{key}.{name}"))),
                _ => f(s, &|| at(name)),
            }
        }
    }
    for (name, map) in [("headers", &mut n.headers), ("outputs", &mut n.outputs)] {
        for (k, v) in map.iter_mut().flatten() {
            f(v, &|| at(&format!("{name}.{}", k.get_ref())));
        }
    }
    for sample in n.samples.iter_mut().flatten() {
        f(sample, &|| at("samples"));
    }
    for arm in n.branches.iter_mut().flatten() {
        let arm_name = &arm.name;
        for c in arm.all.iter_mut().chain(arm.any.iter_mut()).flatten() {
            let place = || at(&format!("branches.{}", arm_name.get_ref()));
            f(&mut c.variable, &place);
            if let Some(v) = &mut c.value {
                f(v, &place);
            }
            if let Some(u) = &mut c.upper {
                f(u, &place);
            }
        }
    }
    for (when, actions) in [("on_enter", &mut n.on_enter), ("on_leave", &mut n.on_leave)] {
        for action in actions.iter_mut().flatten() {
            for (k, v) in action.set.iter_mut() {
                f(v, &|| at(&format!("{when}.set.{}", k.get_ref())));
            }
        }
    }
    let place = || Place::Switch(format!("nodes.{key}.enabled"));
    visit_switch(&mut n.enabled, &place, f);
}

/// A switch written as a template is rendered like any string.
fn visit_switch(
    switch: &mut Option<S<Switch>>,
    place: PlaceOf<'_>,
    f: &mut dyn FnMut(&mut S<String>, PlaceOf<'_>),
) {
    if let Some(switch) = switch {
        let span = switch.span();
        if let Switch::Template(text) = switch.get_mut() {
            let mut s = S::new(span, std::mem::take(text));
            f(&mut s, place);
            *text = std::mem::take(s.get_mut());
        }
    }
}
