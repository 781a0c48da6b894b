//! Template parameters as revisions see them: a template's `[params]` is part of what a
//! reviewer must read (a parameter made required, a default changed, a secret no longer
//! secret), even though no flow holds it.

use super::facts::{compare_keyed, Fields};
use super::{Change, ChangeKind};
use crate::secret::Text;
use crate::spec::model::{ParamSpec, Spec};
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

/// What changed in `[params]` between two revisions of a template: a default that was or is
/// secret is compared by value, shown masked.
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
    out
}
