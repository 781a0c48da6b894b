//! The lowered subflow tidied as a person would build it, with the same behaviour:
//!
//! - a Condition whose every port leads to the same activity decides nothing (an expression has
//!   no side effect): it is left out and its incoming links go where it led;
//! - a Set Variable whose `out` and `error` both lead to a Set Variable that nothing else enters
//!   takes over that one's assignments (`setVariablesArray` runs them in order, as the chain did);
//! - two activities of the same kind with the same settings and the same outgoing links are one
//!   (their descriptions aside): the second's incoming links enter the first.
//!
//! Repeated until nothing changes; activities keep their order, so the bytes stay fixed.

use super::super::model::*;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// The single-assignment keys of a set-variable, as one `setVariablesArray` entry.
pub(crate) fn assignment(variable: &str, expr: &str) -> Value {
    json!({
        "setTo": "set-to-literal",
        "srcVariable": variable,
        "srcVariableType": "STRING",
        "expr": expr,
        "literal": expr,
        "literal_invalid_error": false,
        "id": "",
    })
}

fn entries(a: &Activity) -> Vec<Value> {
    a.settings
        .get("setVariablesArray")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

/// Tidies the process in place (see the module's notes).
pub(crate) fn tidy(process: &mut Process) {
    loop {
        let before = (process.activities.len(), process.links.len());
        skip_pass_through_conditions(process);
        fuse_assignments(process);
        merge_identical(process);
        if (process.activities.len(), process.links.len()) == before {
            break;
        }
    }
    dedup_links(process);
}

/// Removes `gone`, its outgoing links, and sends its incoming links to `to`.
fn replace(process: &mut Process, gone: &str, to: &str) {
    process.links.retain(|l| l.source != gone);
    for l in &mut process.links {
        if l.target == gone {
            l.target = to.to_string();
        }
    }
    process.activities.retain(|a| a.name != gone);
}

fn dedup_links(process: &mut Process) {
    let mut seen = BTreeSet::new();
    process
        .links
        .retain(|l| seen.insert((l.source.clone(), l.port.clone(), l.target.clone())));
}

fn skip_pass_through_conditions(process: &mut Process) {
    let mut targets: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for l in &process.links {
        targets.entry(&l.source).or_default().insert(&l.target);
    }
    let skipped: Vec<(String, String)> = process
        .activities
        .iter()
        .filter(|a| a.kind() == Kind::Condition)
        .filter_map(|a| {
            let to = targets.get(a.name.as_str())?;
            let ports: BTreeSet<&str> = process
                .links_from(&a.name)
                .map(|l| l.port.as_str())
                .collect();
            let all_ports = ["true", "false", "error"].iter().all(|p| ports.contains(p));
            (all_ports && to.len() == 1)
                .then(|| to.iter().next().map(|t| t.to_string()))
                .flatten()
                .filter(|t| t != &a.name)
                .map(|t| (a.name.clone(), t))
        })
        .collect();
    for (gone, to) in skipped {
        // An earlier skip may have pointed `to` at a removed activity's successor already.
        let to = process
            .links_from(&gone)
            .next()
            .map_or(to, |l| l.target.clone());
        replace(process, &gone, &to);
    }
}

fn fuse_assignments(process: &mut Process) {
    loop {
        let mut incoming: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for l in &process.links {
            incoming.entry(&l.target).or_default().insert(&l.source);
        }
        let pair = process
            .activities
            .iter()
            .filter(|a| a.kind() == Kind::SetVariable)
            .find_map(|a| {
                let out: BTreeSet<&str> = process
                    .links_from(&a.name)
                    .map(|l| l.target.as_str())
                    .collect();
                let next = (out.len() == 1).then(|| out.into_iter().next()).flatten()?;
                let b = process.activity(next)?;
                let only_from_a = incoming
                    .get(next)
                    .is_some_and(|s| s.len() == 1 && s.contains(a.name.as_str()));
                (b.kind() == Kind::SetVariable && b.name != a.name && only_from_a)
                    .then(|| (a.name.clone(), b.name.clone()))
            });
        let Some((first, second)) = pair else {
            return;
        };
        let Some(b) = process.activity(&second).cloned() else {
            return;
        };
        process.links.retain(|l| l.source != first);
        for l in &mut process.links {
            if l.source == second {
                l.source = first.clone();
            }
        }
        process.activities.retain(|a| a.name != second);
        if let Some(a) = process.activities.iter_mut().find(|a| a.name == first) {
            let mut all = entries(a);
            all.extend(entries(&b));
            a.settings
                .insert("setVariablesArray".into(), Value::Array(all));
            let joined = [a.description(), b.description()]
                .iter()
                .filter(|d| !d.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join(" ");
            a.settings.insert("description".into(), json!(joined));
        }
    }
}

fn merge_identical(process: &mut Process) {
    let mut first_of: BTreeMap<String, String> = BTreeMap::new();
    let mut merged = Vec::new();
    for a in &process.activities {
        if a.kind().is_entry() {
            continue;
        }
        let mut settings = a.settings.clone();
        settings.remove("description");
        let mut out: Vec<(String, String)> = process
            .links_from(&a.name)
            .map(|l| (l.port.clone(), l.target.clone()))
            .collect();
        out.sort();
        let key = serde_json::to_string(&json!([
            a.activity_name,
            a.activity_id,
            a.group,
            settings,
            out
        ]))
        .unwrap_or_default();
        match first_of.get(&key) {
            Some(first) => merged.push((a.name.clone(), first.clone())),
            None => {
                first_of.insert(key, a.name.clone());
            }
        }
    }
    for (gone, to) in merged {
        // The one left says what both were.
        let said = process
            .activity(&gone)
            .map(|a| a.description().to_string())
            .unwrap_or_default();
        if let Some(kept) = process.activities.iter_mut().find(|a| a.name == to) {
            if !said.is_empty() && kept.description() != said {
                let both = format!("{} {said}", kept.description()).trim().to_string();
                kept.settings.insert("description".into(), json!(both));
            }
        }
        replace(process, &gone, &to);
    }
}

/// Writes each set-variable's single-assignment keys from its first entry, and gives every
/// entry an id derived from the flow, the activity and its place.
pub(crate) fn finish_assignments(flow: &str, process: &mut Process) {
    for a in &mut process.activities {
        if a.kind() != Kind::SetVariable {
            continue;
        }
        let mut all = entries(a);
        for (i, entry) in all.iter_mut().enumerate() {
            if let Some(e) = entry.as_object_mut() {
                let id = super::super::emit::uuid(&[flow, "assignment", &a.name, &i.to_string()]);
                e.insert("id".into(), json!(id));
            }
        }
        if let Some(first) = all.first().and_then(Value::as_object) {
            for key in ["srcVariable", "srcVariableType", "setTo", "expr"] {
                if let Some(v) = first.get(key) {
                    a.settings.insert(key.into(), v.clone());
                }
            }
        }
        a.settings
            .insert("setVariablesArray".into(), Value::Array(all));
    }
}
