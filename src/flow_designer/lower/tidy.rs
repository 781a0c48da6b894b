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

/// Tidies the process in place (see the module's notes). Each step looks every activity up
/// in an index of the process, built again only once a step has changed it: most steps change
/// nothing, and the index of a large flow is the most of a step's cost.
pub(crate) fn tidy(process: &mut Process) {
    let mut step = Step::Skip;
    let mut before = size(process);
    let mut chained = before;
    'index: loop {
        let index = Index::of(process);
        loop {
            let edit = match step {
                Step::Skip => skip_pass_through_conditions(process, &index),
                Step::Fuse => fuse_assignments(process, &index),
                Step::Merge => merge_identical(process, &index),
                Step::Hoist => hoist_branch_assignments(process, &index),
                Step::Implied => skip_implied_failure_checks(process, &index),
            };
            match edit {
                Some(edit) => {
                    drop(index);
                    apply(process, edit);
                    match advance(step, size(process), &mut before, &mut chained) {
                        Some(next) => step = next,
                        None => break 'index,
                    }
                    continue 'index;
                }
                None => match advance(step, size(process), &mut before, &mut chained) {
                    Some(next) => step = next,
                    None => break 'index,
                },
            }
        }
    }
    dedup_links(process);
}

fn size(p: &Process) -> (usize, usize) {
    (p.activities.len(), p.links.len())
}

/// The rules, in the order they are tried.
#[derive(Clone, Copy)]
enum Step {
    Skip,
    Fuse,
    Merge,
    Hoist,
    Implied,
}

/// The step after `step`, given the process's size `now` (after it), the size `before` the
/// round began and the size `chained` before the last joining of assignments; none when done.
/// Rounds repeat until nothing changes: conditions that decide nothing are skipped, chained
/// assignments joined until none is left (chains join pairwise), identical activities merged;
/// only once those simple rules are done is a choice made between whole paths (hoisting
/// assignments, skipping implied failure checks).
fn advance(
    step: Step,
    now: (usize, usize),
    before: &mut (usize, usize),
    chained: &mut (usize, usize),
) -> Option<Step> {
    Some(match step {
        Step::Skip => {
            *chained = now;
            Step::Fuse
        }
        Step::Fuse if now != *chained => {
            *chained = now;
            Step::Fuse
        }
        Step::Fuse => Step::Merge,
        Step::Merge if now != *before => {
            *before = now;
            Step::Skip
        }
        Step::Merge => Step::Hoist,
        Step::Hoist => Step::Implied,
        Step::Implied if now == *before => return None,
        Step::Implied => {
            *before = now;
            Step::Skip
        }
    })
}

/// What a step found to change, applied once its index is dropped.
enum Edit {
    /// Activities left out, each one's incoming links sent where it is replaced.
    Replace(BTreeMap<String, String>),
    /// (first, second) Set Variables joined into the first.
    Fuse(Vec<(String, String)>),
    /// Identical activities merged into the first (replaced), with what each said.
    Merge {
        merged: BTreeMap<String, String>,
        said: Vec<(String, String)>,
    },
    Hoist(Vec<Hoist>),
}

fn apply(process: &mut Process, edit: Edit) {
    match edit {
        Edit::Replace(replaced) => replace_all(process, &replaced),
        Edit::Fuse(pairs) => apply_fuse(process, pairs),
        Edit::Merge { merged, said } => apply_merge(process, merged, said),
        Edit::Hoist(found) => apply_hoist(process, found),
    }
}

/// The activities and links of a round, looked up by name (built once per round), with what the
/// rules ask of them.
type Index<'p> = ProcessIndex<'p>;

impl<'p> ProcessIndex<'p> {
    fn port(&self, name: &str, port: &str) -> Option<&'p str> {
        self.links_from(name)
            .iter()
            .find(|l| l.port == port)
            .map(|l| l.target.as_str())
    }

    fn single_target(&self, name: &str) -> Option<&'p str> {
        // One target however many links lead to it: every link's target is the first's.
        let links = self.links_from(name);
        let first = links.first()?.target.as_str();
        links.iter().all(|l| l.target == first).then_some(first)
    }

    fn only_entered_from(&self, name: &str, from: &str) -> bool {
        self.links_into(name).iter().all(|l| l.source == from)
    }
}

/// Removes every `gone` activity and its outgoing links, and sends its incoming links where
/// it is replaced (following replacements that are themselves replaced).
fn replace_all(process: &mut Process, replaced: &BTreeMap<String, String>) {
    if replaced.is_empty() {
        return;
    }
    // Looked up by hash: every link and every activity asks.
    let replaced: FastMap<&str, &str> = replaced
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let resolve = |name: &str| -> String {
        let mut at = name;
        for _ in 0..=replaced.len() {
            match replaced.get(at) {
                Some(next) => at = next,
                None => break,
            }
        }
        at.to_string()
    };
    process
        .links
        .retain(|l| !replaced.contains_key(l.source.as_str()));
    for l in &mut process.links {
        if replaced.contains_key(l.target.as_str()) {
            l.target = resolve(&l.target);
        }
    }
    process
        .activities
        .retain(|a| !replaced.contains_key(a.name.as_str()));
}

fn dedup_links(process: &mut Process) {
    let mut seen = BTreeSet::new();
    process
        .links
        .retain(|l| seen.insert((l.source.clone(), l.port.clone(), l.target.clone())));
}

fn skip_pass_through_conditions(process: &Process, index: &Index) -> Option<Edit> {
    let mut skipped: BTreeMap<String, String> = BTreeMap::new();
    for a in process
        .activities
        .iter()
        .filter(|a| a.kind() == Kind::Condition)
    {
        let links = index.links_from(&a.name);
        let all_ports = ["true", "false", "error"]
            .iter()
            .all(|p| links.iter().any(|l| l.port == *p));
        if let Some(to) = index.single_target(&a.name).filter(|t| *t != a.name) {
            if all_ports {
                skipped.insert(a.name.clone(), to.to_string());
            }
        }
    }
    // A condition skipped into one skipped into it would loop: keep both.
    let looping: Vec<String> = skipped
        .keys()
        .filter(|k| {
            let mut at = k.as_str();
            (0..=skipped.len()).any(|_| match skipped.get(at) {
                Some(next) if next == *k => true,
                Some(next) => {
                    at = next;
                    false
                }
                None => false,
            })
        })
        .cloned()
        .collect();
    for k in looping {
        skipped.remove(&k);
    }
    (!skipped.is_empty()).then_some(Edit::Replace(skipped))
}

fn fuse_assignments(process: &Process, index: &Index) -> Option<Edit> {
    let mut used: BTreeSet<&str> = BTreeSet::new();
    let mut pairs: Vec<(String, String)> = Vec::new();
    for a in process
        .activities
        .iter()
        .filter(|a| a.kind() == Kind::SetVariable)
    {
        let Some(next) = index.single_target(&a.name) else {
            continue;
        };
        let Some(b) = index.activity(next) else {
            continue;
        };
        if b.kind() == Kind::SetVariable
            && b.name != a.name
            && index.only_entered_from(next, &a.name)
            && !used.contains(a.name.as_str())
            && !used.contains(next)
        {
            used.insert(&a.name);
            used.insert(next);
            pairs.push((a.name.clone(), b.name.clone()));
        }
    }
    (!pairs.is_empty()).then_some(Edit::Fuse(pairs))
}

fn apply_fuse(process: &mut Process, pairs: Vec<(String, String)>) {
    let seconds: FastMap<String, String> =
        pairs.iter().map(|(f, s)| (s.clone(), f.clone())).collect();
    let firsts: FastMap<String, String> = pairs.iter().cloned().collect();
    let taken: FastMap<String, Activity> = process
        .activities
        .iter()
        .filter(|a| seconds.contains_key(&a.name))
        .map(|a| (a.name.clone(), a.clone()))
        .collect();
    process.links.retain(|l| !firsts.contains_key(&l.source));
    for l in &mut process.links {
        if let Some(first) = seconds.get(&l.source) {
            l.source = first.clone();
        }
    }
    process
        .activities
        .retain(|a| !seconds.contains_key(&a.name));
    for a in &mut process.activities {
        let Some(b) = firsts.get(&a.name).and_then(|s| taken.get(s)) else {
            continue;
        };
        let mut all = entries(a);
        all.extend(entries(b));
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

fn merge_identical(process: &Process, index: &Index) -> Option<Edit> {
    // Keyed by each activity's settings as JSON: long keys, hashed as ids are.
    let mut first_of: FastMap<String, &str> = fast_map(process.activities.len());
    let mut merged: BTreeMap<String, String> = BTreeMap::new();
    let mut said: Vec<(String, String)> = Vec::new();
    // Each activity's links out, sorted (none for an entry, never merged).
    let outs: Vec<Option<Vec<(&str, &str)>>> = process
        .activities
        .iter()
        .map(|a| {
            (!a.kind().is_entry()).then(|| {
                let mut out: Vec<(&str, &str)> = index
                    .links_from(&a.name)
                    .iter()
                    .map(|l| (l.port.as_str(), l.target.as_str()))
                    .collect();
                out.sort_unstable();
                out
            })
        })
        .collect();
    // Only activities that leave the same way can be one: the key below holds the links out,
    // so an activity whose links out no other has matches nothing, and its settings are not
    // written out to be compared.
    let mut ways: FastMap<&[(&str, &str)], usize> = fast_map(outs.len());
    for out in outs.iter().flatten() {
        *ways.entry(out.as_slice()).or_default() += 1;
    }
    for (a, out) in process.activities.iter().zip(&outs) {
        let Some(out) = out else {
            continue;
        };
        if ways.get(out.as_slice()).is_some_and(|n| *n < 2) {
            continue;
        }
        // Serialised as it is, without copying the settings: the key is only compared.
        let key = serde_json::to_string(&(
            &a.activity_name,
            &a.activity_id,
            &a.group,
            WithoutDescription(&a.settings),
            out,
        ))
        .unwrap_or_default();
        match first_of.get(&key) {
            Some(first) if !merged.contains_key(*first) => {
                merged.insert(a.name.clone(), first.to_string());
                said.push((first.to_string(), a.description().to_string()));
            }
            _ => {
                first_of.insert(key, &a.name);
            }
        }
    }
    (!merged.is_empty()).then_some(Edit::Merge { merged, said })
}

fn apply_merge(
    process: &mut Process,
    merged: BTreeMap<String, String>,
    said: Vec<(String, String)>,
) {
    // The one left says what both were.
    let at: FastMap<String, usize> = process
        .activities
        .iter()
        .enumerate()
        .map(|(i, a)| (a.name.clone(), i))
        .collect();
    for (kept, description) in said {
        if let Some(k) = at.get(&kept).and_then(|&i| process.activities.get_mut(i)) {
            if !description.is_empty() && !k.description().contains(&description) {
                let both = format!("{} {description}", k.description())
                    .trim()
                    .to_string();
                k.settings.insert("description".into(), json!(both));
            }
        }
    }
    replace_all(process, &merged);
}

/// An activity's settings but its description, serialised as a map.
struct WithoutDescription<'a>(&'a BTreeMap<String, Value>);

impl serde::Serialize for WithoutDescription<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().filter(|(k, _)| k.as_str() != "description"))
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

struct Hoist {
    condition: String,
    yes: String,
    no: String,
    a: String,
    b: String,
    error_to: String,
    set: Activity,
}

fn hoist_branch_assignments(process: &Process, index: &Index) -> Option<Edit> {
    let mut used: BTreeSet<String> = BTreeSet::new();
    let mut names: BTreeSet<String> = BTreeSet::new();
    let mut found: Vec<Hoist> = Vec::new();
    for c in process
        .activities
        .iter()
        .filter(|c| c.kind() == Kind::Condition)
    {
        let Some(h) = hoist_at(index, c, &names) else {
            continue;
        };
        if [&h.condition, &h.yes, &h.no]
            .iter()
            .any(|n| used.contains(*n))
        {
            continue;
        }
        used.extend([h.condition.clone(), h.yes.clone(), h.no.clone()]);
        names.insert(h.set.name.clone());
        found.push(h);
    }
    (!found.is_empty()).then_some(Edit::Hoist(found))
}

fn apply_hoist(process: &mut Process, found: Vec<Hoist>) {
    // Looked up by hash: every link and every activity asks.
    let mut gone_sources: FastSet<&str> = fast_set(found.len() * 3);
    let mut into: FastMap<&str, &str> = fast_map(found.len());
    for h in &found {
        gone_sources.extend([h.condition.as_str(), h.yes.as_str(), h.no.as_str()]);
        into.insert(&h.condition, &h.set.name);
    }
    process
        .links
        .retain(|l| !gone_sources.contains(l.source.as_str()));
    for l in &mut process.links {
        if let Some(set) = into.get(l.target.as_str()) {
            l.target = set.to_string();
        }
    }
    let removed: FastSet<&str> = found
        .iter()
        .flat_map(|h| [h.yes.as_str(), h.no.as_str()])
        .collect();
    let before: FastMap<&str, &Activity> = found
        .iter()
        .map(|h| (h.condition.as_str(), &h.set))
        .collect();
    let mut activities = Vec::with_capacity(process.activities.len());
    for a in std::mem::take(&mut process.activities) {
        if removed.contains(a.name.as_str()) {
            continue;
        }
        if let Some(set) = before.get(a.name.as_str()) {
            activities.push((*set).clone());
        }
        activities.push(a);
    }
    process.activities = activities;
    let link = |source: &str, port: &str, target: &str| Link {
        source: source.to_string(),
        port: port.to_string(),
        target: target.to_string(),
        origin: None,
    };
    for h in &found {
        process.links.extend([
            link(&h.set.name, "out", &h.condition),
            link(&h.set.name, "error", &h.condition),
            link(&h.condition, "true", &h.a),
            link(&h.condition, "false", &h.b),
            link(&h.condition, "error", &h.error_to),
        ]);
    }
}

fn hoist_at(index: &Index, c: &Activity, taken: &BTreeSet<String>) -> Option<Hoist> {
    let condition = inner(c.text("expression")?)?.to_string();
    let yes = index.port(&c.name, "true")?;
    let no = index.port(&c.name, "false")?;
    let error = index.port(&c.name, "error")?;
    if yes == no || (error != yes && error != no) || index.links_from(&c.name).len() != 3 {
        return None;
    }
    let (s1, s2) = (index.activity(yes)?, index.activity(no)?);
    if s1.kind() != Kind::SetVariable || s2.kind() != Kind::SetVariable {
        return None;
    }
    if !index.only_entered_from(yes, &c.name) || !index.only_entered_from(no, &c.name) {
        return None;
    }
    let (v1, v2) = (final_values(s1)?, final_values(s2)?);
    let vars1: BTreeSet<&str> = v1.iter().map(|(v, _)| v.as_str()).collect();
    let vars2: BTreeSet<&str> = v2.iter().map(|(v, _)| v.as_str()).collect();
    if vars1 != vars2 || vars1.iter().any(|v| condition.contains(v)) {
        return None;
    }
    let a = index.single_target(yes)?;
    let b = index.single_target(no)?;
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
    let free = |n: &str| index.activity(n).is_none() && !taken.contains(n);
    if name.is_empty() || !free(&name) {
        name = format!("{}_values", if name.is_empty() { &c.name } else { &name });
    }
    if !free(&name) {
        return None;
    }
    let mut settings = s1.settings.clone();
    settings.insert("setVariablesArray".into(), Value::Array(values));
    settings.insert("description".into(), json!(description.trim()));
    let set = Activity {
        name,
        settings,
        ..s1.clone()
    };
    Some(Hoist {
        condition: c.name.clone(),
        yes: yes.to_string(),
        no: no.to_string(),
        a: a.to_string(),
        b: b.to_string(),
        error_to: if error == yes { a } else { b }.to_string(),
        set,
    })
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

fn skip_implied_failure_checks(process: &Process, index: &Index) -> Option<Edit> {
    let mut skipped: BTreeMap<String, String> = BTreeMap::new();
    for c in process
        .activities
        .iter()
        .filter(|c| c.kind() == Kind::Condition)
    {
        let implied = (|| {
            let body = inner(c.text("expression")?)?;
            let node = body.strip_suffix(".httpStatusCode is empty")?;
            let failed = index.port(&c.name, "true")?;
            let answered = index.port(&c.name, "false")?;
            if index.port(&c.name, "error")? != failed {
                return None;
            }
            let next = index.activity(answered)?;
            let same_failure = index.port(answered, "false")? == failed
                && index.port(answered, "error")? == failed;
            (next.kind() == Kind::Condition
                && same_failure
                && index.only_entered_from(answered, &c.name)
                && requires_status(next.text("expression")?, node))
            .then(|| answered.to_string())
        })();
        if let Some(answered) = implied {
            skipped.insert(c.name.clone(), answered);
        }
    }
    (!skipped.is_empty()).then_some(Edit::Replace(skipped))
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
