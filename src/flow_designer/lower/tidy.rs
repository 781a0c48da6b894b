//! The lowered subflow tidied as a person would build it, with the same behaviour:
//!
//! - a Condition whose every port leads to the same activity decides nothing (an expression has
//!   no side effect): it is left out and its incoming links go where it led;
//! - a Set Variable whose `out` and `error` both lead to a Set Variable that nothing else enters
//!   takes over that one's assignments (`setVariablesArray` runs them in order, as the chain did);
//! - two activities of the same kind with the same settings and the same outgoing links are one
//!   (their descriptions aside): the second's incoming links enter the first;
//! - a Condition whose `true` and `false` each enter a Set Variable of their own, assigning the
//!   same variables, gets one Set Variable before it instead, each value chosen by the
//!   condition (`{{ (c) ? (a) : (b) }}`), when neither the condition nor any value reads a
//!   variable assigned there (so the order of evaluation changes nothing);
//! - a failure check `{{ N.httpStatusCode is empty }}` whose `false` enters a Condition that
//!   requires `N.httpStatusCode == <code>` and leaves by `false` and `error` where the check's
//!   `true` goes is left out: with no status code that Condition takes the same path.
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
        hoist_branch_assignments(process);
        skip_implied_failure_checks(process);
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

/// `{{ inner }}` -> `inner`, when the whole text is one expression block.
fn inner(template: &str) -> Option<&str> {
    let body = template.trim().strip_prefix("{{")?.strip_suffix("}}")?;
    (!body.contains("{{") && !body.contains("}}")).then(|| body.trim())
}

/// The assignments of a Set Variable as variable -> value, last wins; `None` when a value reads
/// a variable the same activity assigns (the order would then matter) or is not one block.
fn final_values(a: &Activity) -> Option<Vec<(String, String)>> {
    let mut out: Vec<(String, String)> = Vec::new();
    for e in entries(a) {
        let var = e.get("srcVariable")?.as_str()?.to_string();
        let expr = e.get("expr")?.as_str()?.to_string();
        inner(&expr)?;
        out.retain(|(v, _)| v != &var);
        out.push((var, expr));
    }
    let reads = out
        .iter()
        .any(|(_, expr)| out.iter().any(|(var, _)| expr.contains(var.as_str())));
    (!reads && !out.is_empty()).then_some(out)
}

fn single_target(process: &Process, name: &str) -> Option<String> {
    let targets: BTreeSet<&str> = process
        .links_from(name)
        .map(|l| l.target.as_str())
        .collect();
    (targets.len() == 1).then(|| targets.into_iter().next().map(String::from))?
}

fn only_entered_from(process: &Process, name: &str, from: &str) -> bool {
    process
        .links
        .iter()
        .filter(|l| l.target == name)
        .all(|l| l.source == from)
}

fn port_target(process: &Process, name: &str, port: &str) -> Option<String> {
    process
        .links_from(name)
        .find(|l| l.port == port)
        .map(|l| l.target.clone())
}

fn hoist_branch_assignments(process: &mut Process) {
    let found = process
        .activities
        .iter()
        .filter(|c| c.kind() == Kind::Condition)
        .find_map(|c| {
            let condition = inner(c.text("expression")?)?.to_string();
            let yes = port_target(process, &c.name, "true")?;
            let no = port_target(process, &c.name, "false")?;
            let error = port_target(process, &c.name, "error")?;
            if yes == no
                || (error != yes && error != no)
                || process.links_from(&c.name).count() != 3
            {
                return None;
            }
            let (s1, s2) = (process.activity(&yes)?, process.activity(&no)?);
            if s1.kind() != Kind::SetVariable || s2.kind() != Kind::SetVariable {
                return None;
            }
            if !only_entered_from(process, &yes, &c.name)
                || !only_entered_from(process, &no, &c.name)
            {
                return None;
            }
            let (v1, v2) = (final_values(s1)?, final_values(s2)?);
            let vars1: BTreeSet<&str> = v1.iter().map(|(v, _)| v.as_str()).collect();
            let vars2: BTreeSet<&str> = v2.iter().map(|(v, _)| v.as_str()).collect();
            if vars1 != vars2 || vars1.iter().any(|v| condition.contains(v)) {
                return None;
            }
            let a = single_target(process, &yes)?;
            let b = single_target(process, &no)?;
            let values: Vec<Value> = v1
                .iter()
                .filter_map(|(var, e1)| {
                    let e2 = &v2.iter().find(|(v, _)| v == var)?.1;
                    let expr = if e1 == e2 {
                        e1.clone()
                    } else {
                        format!(
                            "{{{{ ({condition}) ? ({}) : ({}) }}}}",
                            inner(e1)?,
                            inner(e2)?
                        )
                    };
                    Some(assignment(var, &expr))
                })
                .collect();
            let description = format!(
                "Each value chosen by `{condition}`. When true: {} When false: {}",
                s1.description(),
                s2.description()
            );
            // Named by what the two had in common (`outcome_Success`, `outcome_Error` -> `outcome`).
            let common: String = yes
                .chars()
                .zip(no.chars())
                .take_while(|(x, y)| x == y)
                .map(|(x, _)| x)
                .collect();
            let mut name = common
                .rfind('_')
                .map_or(String::new(), |i| common[..i].to_string());
            if name.is_empty() || process.activity(&name).is_some() {
                name = format!("{}_values", if name.is_empty() { &c.name } else { &name });
            }
            if process.activity(&name).is_some() {
                return None;
            }
            let error_to = if error == yes { a.clone() } else { b.clone() };
            Some((
                c.name.clone(),
                yes,
                no,
                a,
                b,
                error_to,
                name,
                values,
                description,
            ))
        });
    let Some((c, yes, no, a, b, error_to, name, values, description)) = found else {
        return;
    };
    process
        .links
        .retain(|l| l.source != c && l.source != yes && l.source != no);
    for l in &mut process.links {
        if l.target == c {
            l.target = name.clone();
        }
    }
    let Some(template) = process.activity(&yes).cloned() else {
        return;
    };
    let mut settings = template.settings.clone();
    settings.insert("setVariablesArray".into(), Value::Array(values));
    settings.insert("description".into(), json!(description.trim()));
    let set = Activity {
        name: name.clone(),
        settings,
        ..template
    };
    process.activities.retain(|x| x.name != yes && x.name != no);
    let at = process
        .activities
        .iter()
        .position(|x| x.name == c)
        .unwrap_or(process.activities.len());
    process.activities.insert(at, set);
    let link = |source: &str, port: &str, target: &str| Link {
        source: source.to_string(),
        port: port.to_string(),
        target: target.to_string(),
        origin: None,
    };
    process.links.extend([
        link(&name, "out", &c),
        link(&name, "error", &c),
        link(&c, "true", &a),
        link(&c, "false", &b),
        link(&c, "error", &error_to),
    ]);
}

/// `(N.httpStatusCode == 200)` or `N.httpStatusCode == 200` among an expression's top-level
/// `and` terms.
fn requires_status(expression: &str, node: &str) -> bool {
    let Some(body) = inner(expression) else {
        return false;
    };
    let wanted = format!("{node}.httpStatusCode == ");
    let mut depth = 0i32;
    let mut terms = Vec::new();
    let mut start = 0;
    let bytes = body.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'(' => depth += 1,
            b')' => depth -= 1,
            b' ' if depth == 0 && body[i..].starts_with(" and ") => {
                terms.push(&body[start..i]);
                start = i + 5;
                i += 4;
            }
            b' ' if depth == 0 && body[i..].starts_with(" or ") => return false,
            _ => {}
        }
        i += 1;
    }
    terms.push(&body[start..]);
    terms.iter().any(|t| {
        let t = t.trim();
        let t = t
            .strip_prefix('(')
            .and_then(|t| t.strip_suffix(')'))
            .unwrap_or(t);
        t.strip_prefix(&wanted)
            .is_some_and(|code| !code.is_empty() && code.chars().all(|c| c.is_ascii_digit()))
    })
}

fn skip_implied_failure_checks(process: &mut Process) {
    let found = process
        .activities
        .iter()
        .filter(|c| c.kind() == Kind::Condition)
        .find_map(|c| {
            let body = inner(c.text("expression")?)?;
            let node = body.strip_suffix(".httpStatusCode is empty")?;
            let failed = port_target(process, &c.name, "true")?;
            let answered = port_target(process, &c.name, "false")?;
            if port_target(process, &c.name, "error")? != failed {
                return None;
            }
            let next = process.activity(&answered)?;
            let same_failure = port_target(process, &answered, "false")? == failed
                && port_target(process, &answered, "error")? == failed;
            (next.kind() == Kind::Condition
                && same_failure
                && only_entered_from(process, &answered, &c.name)
                && requires_status(next.text("expression")?, node))
            .then(|| (c.name.clone(), answered))
        });
    if let Some((check, answered)) = found {
        replace(process, &check, &answered);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn activity(name: &str, kind: &str, settings: Value) -> Activity {
        let k = Kind::of(Some(kind), "");
        Activity {
            name: name.into(),
            group: k.group().unwrap_or("action").into(),
            activity_name: Some(kind.into()),
            activity_id: Some(kind.into()),
            settings: settings
                .as_object()
                .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default(),
            ports: None,
            origin: None,
        }
    }

    fn set(name: &str, values: &[(&str, &str)]) -> Activity {
        let all: Vec<Value> = values.iter().map(|(v, e)| assignment(v, e)).collect();
        activity(name, SET_VARIABLE, json!({ "setVariablesArray": all }))
    }

    fn condition(name: &str, expression: &str) -> Activity {
        activity(name, CONDITION, json!({ "expression": expression }))
    }

    fn process(activities: Vec<Activity>, links: &[(&str, &str, &str)]) -> Process {
        Process {
            activities,
            links: links
                .iter()
                .map(|(s, p, t)| Link {
                    source: s.to_string(),
                    port: p.to_string(),
                    target: t.to_string(),
                    origin: None,
                })
                .collect(),
        }
    }

    fn names(p: &Process) -> Vec<&str> {
        p.activities.iter().map(|a| a.name.as_str()).collect()
    }

    fn start() -> Activity {
        activity("Start", SUBFLOW_START, json!({}))
    }

    fn end() -> Activity {
        activity("End", SUBFLOW_END, json!({}))
    }

    #[test]
    fn a_condition_that_decides_nothing_is_left_out_and_chained_assignments_join() {
        let mut p = process(
            vec![
                start(),
                set("a", &[("X", "{{ 1 }}")]),
                set("b", &[("Y", "{{ X }}")]),
                condition("same", "{{ X == 1 }}"),
                end(),
            ],
            &[
                ("Start", "out", "a"),
                ("a", "out", "b"),
                ("a", "error", "b"),
                ("b", "out", "same"),
                ("b", "error", "same"),
                ("same", "true", "End"),
                ("same", "false", "End"),
                ("same", "error", "End"),
            ],
        );
        tidy(&mut p);
        assert_eq!(names(&p), vec!["Start", "a", "End"]);
        let a = p.activity("a").unwrap();
        let vars: Vec<String> = entries(a)
            .iter()
            .map(|e| e["srcVariable"].as_str().unwrap().to_string())
            .collect();
        // In order: Y reads X, so X is assigned first.
        assert_eq!(vars, vec!["X", "Y"]);
        assert_eq!(p.links_from("a").count(), 2);
    }

    #[test]
    fn branches_assigning_the_same_variables_become_one_choice_before_the_condition() {
        let links = [
            ("Start", "out", "c"),
            ("c", "true", "yes_X"),
            ("c", "false", "no_X"),
            ("c", "error", "no_X"),
            ("yes_X", "out", "End"),
            ("yes_X", "error", "End"),
            ("no_X", "out", "End"),
            ("no_X", "error", "End"),
        ];
        let build = |expression: &str| {
            process(
                vec![
                    start(),
                    condition("c", expression),
                    set("yes_X", &[("X", "{{ \"a\" }}")]),
                    set("no_X", &[("X", "{{ \"b\" }}")]),
                    end(),
                ],
                &links,
            )
        };
        let mut p = build("{{ Y is empty }}");
        tidy(&mut p);
        // The choice is made in the Set Variable; the condition then decides nothing.
        assert_eq!(names(&p), vec!["Start", "c_values", "End"]);
        let chosen = p.activity("c_values").unwrap();
        assert_eq!(
            entries(chosen)[0]["expr"],
            "{{ (Y is empty) ? (\"a\") : (\"b\") }}"
        );
        // A condition that reads what is assigned keeps its branches.
        let mut p = build("{{ X is empty }}");
        tidy(&mut p);
        assert_eq!(names(&p), vec!["Start", "c", "yes_X", "no_X", "End"]);
    }

    #[test]
    fn a_failure_check_the_status_condition_implies_is_left_out() {
        let build = |status_test: &str| {
            process(
                vec![
                    start(),
                    activity("get", HTTP, json!({})),
                    condition("get_failed", "{{ get.httpStatusCode is empty }}"),
                    condition("ok", status_test),
                    set("fallback", &[("X", "{{ 1 }}")]),
                    end(),
                ],
                &[
                    ("Start", "out", "get"),
                    ("get", "default", "get_failed"),
                    ("get_failed", "true", "fallback"),
                    ("get_failed", "false", "ok"),
                    ("get_failed", "error", "fallback"),
                    ("ok", "true", "End"),
                    ("ok", "false", "fallback"),
                    ("ok", "error", "fallback"),
                    ("fallback", "out", "End"),
                    ("fallback", "error", "End"),
                ],
            )
        };
        let mut p = build("{{ (get.httpStatusCode == 200) and (T is not empty) }}");
        tidy(&mut p);
        assert!(p.activity("get_failed").is_none());
        assert_eq!(p.links_from("get").next().unwrap().target, "ok");
        // `or` does not require the status: the check stays.
        let mut p = build("{{ (get.httpStatusCode == 200) or (T is not empty) }}");
        tidy(&mut p);
        assert!(p.activity("get_failed").is_some());
    }
}
