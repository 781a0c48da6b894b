//! Template parameters and switches as revisions see them: a template's `[params]` is part of
//! what a reviewer must read (a parameter made required, a default changed, a secret no longer
//! secret), even though no flow holds it; so are its switches (`enabled`, a node's `bypass`),
//! which the flow a revision is read as holds only at their defaults.

use super::facts::{compare, compare_keyed, Fields};
use super::{Change, ChangeKind};
use crate::secret::Text;
use crate::spec::model::{ParamSpec, Spec, Switch, S};
use std::fmt::Write as _;

/// A parameter's fields as facts; a default is secret by its place
/// ([`crate::render::default_is_secret`]).
fn fields(p: &ParamSpec) -> Fields {
    let default = p.default.as_ref().map_or(Text::plain("(none)"), |d| {
        Text::new(d.get_ref().to_string(), crate::render::default_is_secret(p))
    });
    let description = format!("{:?}", p.description.as_deref().unwrap_or(""));
    Fields::from([
        ("type".into(), Text::plain(p.kind.get_ref().as_str())),
        ("default".into(), default),
        ("required".into(), Text::plain(p.required.to_string())),
        ("secret".into(), Text::plain(p.secret.to_string())),
        ("description".into(), Text::plain(description)),
    ])
}

/// A switch as written: `true`, `false` or its template text.
fn switch_text(switch: &S<Switch>) -> Text {
    Text::plain(match switch.get_ref() {
        Switch::Fixed(on) => on.to_string(),
        Switch::Template(text) => format!("{text:?}"),
    })
}

/// The switches of a spec's nodes (`key.enabled`, `key.bypass`) and of its variables
/// (`name.enabled`), as facts.
fn switches(spec: &Spec) -> (Fields, Fields) {
    let mut nodes = Fields::new();
    for (key, node) in &spec.nodes {
        let key = key.get_ref();
        if let Some(on) = &node.enabled {
            nodes.insert(format!("{key}.enabled"), switch_text(on));
        }
        if let Some(bypass) = &node.bypass {
            nodes.insert(
                format!("{key}.bypass"),
                Text::plain(bypass.get_ref().as_str()),
            );
        }
    }
    let variables = (spec.variables.iter())
        .filter_map(|(name, v)| {
            Some((
                format!("{}.enabled", name.get_ref()),
                switch_text(v.enabled.as_ref()?),
            ))
        })
        .collect();
    (nodes, variables)
}

/// What changed in `[params]` and in the switches between two revisions of a template: a
/// default that was or is secret is compared by value, shown masked.
pub fn param_changes<'a>(old: &'a Spec, new: &'a Spec) -> Vec<Change> {
    let facts = |s: &'a Spec| s.params.iter().map(|(k, p)| (k.get_ref(), fields(p)));
    let mut changes = Vec::new();
    use ChangeKind::*;
    compare_keyed(
        facts(old),
        facts(new),
        "params.",
        [ParamRemoved, ParamChanged, ParamAdded],
        None,
        &mut changes,
    );
    let (old_switches, new_switches) = (switches(old), switches(new));
    compare(
        &old_switches.0,
        &new_switches.0,
        "",
        NodeChanged,
        &mut changes,
    );
    let (a, b) = (&old_switches.1, &new_switches.1);
    compare(a, b, "variables.", VariableChanged, &mut changes);
    changes
}

/// The `[params]` of a template, one fact a line, for `textconv`.
pub fn param_lines(spec: &Spec) -> String {
    let mut out = String::new();
    for (name, p) in &spec.params {
        for (field, value) in fields(p) {
            let _ = writeln!(out, "params.{}.{field} = {}", name.get_ref(), value.shown());
        }
    }
    let (nodes, variables) = switches(spec);
    for (path, value) in nodes {
        let _ = writeln!(out, "{path} = {}", value.shown());
    }
    for (path, value) in variables {
        let _ = writeln!(out, "variables.{path} = {}", value.shown());
    }
    out
}
