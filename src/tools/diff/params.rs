//! Template parameters as revisions see them: a template's `[params]` is part of what a
//! reviewer must read (a parameter made required, a default changed, a secret no longer
//! secret), even though no flow holds it.

use super::merge::{merge_keyed, Pair};
use super::{change, Change, ChangeKind};
use crate::secret::Text;
use crate::spec::model::{ParamSpec, Spec};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// A parameter's fields as text, one per name; a secret parameter's default shows as the mask.
fn fields(p: &ParamSpec) -> BTreeMap<&'static str, String> {
    let default = p.default.as_ref().map_or("(none)".to_string(), |d| {
        // That a secret's default is empty is no secret.
        let empty = matches!(d.get_ref(), toml::Value::String(s) if s.is_empty());
        Text::new(d.get_ref().to_string(), p.secret && !empty)
            .shown()
            .to_string()
    });
    BTreeMap::from([
        ("type", p.kind.get_ref().clone()),
        ("default", default),
        ("required", p.required.to_string()),
        ("secret", p.secret.to_string()),
        (
            "description",
            format!("{:?}", p.description.as_deref().unwrap_or("")),
        ),
    ])
}

/// What changed in `[params]` between two revisions of a template.
pub fn param_changes<'a>(old: &'a Spec, new: &'a Spec) -> Vec<Change> {
    let by_name = |s: &'a Spec| s.params.iter().map(|(k, p)| (k.get_ref().as_str(), p));
    let mut changes = Vec::new();
    for (name, pair) in merge_keyed(by_name(old), by_name(new)) {
        let path = format!("params.{name}");
        match pair {
            Pair::Removed(_) => changes.push(change(ChangeKind::ParamRemoved, path, None, None)),
            Pair::Added(_) => changes.push(change(ChangeKind::ParamAdded, path, None, None)),
            Pair::Both(p, q) => {
                let (a, b) = (fields(p), fields(q));
                for (field, before) in &a {
                    let after = &b[field];
                    // A default that was or is secret is compared by value, shown masked.
                    let differs = if *field == "default" {
                        p.default.as_ref().map(|d| d.get_ref())
                            != q.default.as_ref().map(|d| d.get_ref())
                    } else {
                        before != after
                    };
                    if differs {
                        changes.push(change(
                            ChangeKind::ParamChanged,
                            format!("{path}.{field}"),
                            Some(before.clone()),
                            Some(after.clone()),
                        ));
                    }
                }
            }
        }
    }
    changes
}

/// The `[params]` of a template, one fact a line, for `textconv`.
pub fn param_lines(spec: &Spec) -> String {
    let mut out = String::new();
    for (name, p) in &spec.params {
        for (field, value) in fields(p) {
            let _ = writeln!(out, "params.{}.{field} = {value}", name.get_ref());
        }
    }
    out
}
