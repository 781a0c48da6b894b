//! `schemas/flow-designer.schema.json`, embedded, and validation of every file wxcflow writes
//! for Flow Designer against it. A custom keyword, `x-wxcflow-fd-references`, checks what JSON
//! Schema cannot: links, widgets and ports that refer to each other consistently.

use jsonschema::{Keyword, Validator};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashSet};

/// The Flow Designer schema, as committed in `schemas/flow-designer.schema.json`.
pub const FLOW_DESIGNER_SCHEMA: &str = include_str!("../../schemas/flow-designer.schema.json");

/// A compiled validator; build it once and reuse it.
pub struct FdValidator {
    validator: Validator,
}

impl FdValidator {
    /// Compiles the embedded Flow Designer schema with its link and port checks.
    // `expect` below: the schema is embedded at build time and compiled by every test run.
    #[allow(clippy::expect_used)]
    pub fn new() -> Self {
        let schema: Value =
            serde_json::from_str(FLOW_DESIGNER_SCHEMA).expect("embedded schema is JSON");
        #[allow(clippy::result_large_err)]
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft7)
            .with_keyword("x-wxcflow-fd-references", |_, _, _| {
                Ok(Box::new(crate::validate::Problems(reference_problems))
                    as Box<dyn for<'i> Keyword<'i>>)
            })
            .build(&schema)
            .expect("embedded schema compiles");
        FdValidator { validator }
    }

    /// Every violation, as `instance path: message`, sorted.
    pub fn validate(&self, value: &Value) -> Vec<String> {
        self.validate_hiding(value, &|_| false)
    }

    /// As [`FdValidator::validate`], but a problem with a value that `hides` (given the value's
    /// path, e.g. `["variables", "0", "value"]`) is said without the value, which is shown as
    /// the mask: a file that holds secrets is checked without quoting them.
    pub fn validate_hiding(&self, value: &Value, hides: &dyn Fn(&[String]) -> bool) -> Vec<String> {
        self.violations_hiding(value, hides)
            .iter()
            .map(Violation::to_string)
            .collect()
    }

    /// As [`FdValidator::validate_hiding`], each violation with its path as steps, so that it
    /// can be located in the file it comes from; sorted as their texts are.
    pub fn violations_hiding(
        &self,
        value: &Value,
        hides: &dyn Fn(&[String]) -> bool,
    ) -> Vec<Violation> {
        let mut errors: Vec<Violation> = self
            .validator
            .iter_errors(value)
            .map(|e| {
                let pointer = e.instance_path().to_string();
                let path: Vec<String> = pointer
                    .split('/')
                    .skip(1)
                    .map(|s| s.replace("~1", "/").replace("~0", "~"))
                    .collect();
                let message = if hides(&path) {
                    e.masked_with(crate::secret::MASK).to_string()
                } else {
                    e.to_string()
                };
                Violation {
                    pointer,
                    path,
                    message,
                }
            })
            .collect();
        errors.sort_by_cached_key(Violation::to_string);
        errors.dedup_by(|a, b| a.to_string() == b.to_string());
        errors
    }
}

/// One place where a file breaks the schema.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// Where, as a JSON pointer (`/process/activities/<id>/properties/httpRequestMethod`).
    pub pointer: String,
    /// The same place as unescaped steps.
    pub path: Vec<String>,
    /// What is wrong, a secret value shown as the mask.
    pub message: String,
}

/// `pointer: message`, the root's pointer written `/`.
impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let at = if self.pointer.is_empty() {
            "/"
        } else {
            &self.pointer
        };
        write!(f, "{at}: {}", self.message)
    }
}

impl Default for FdValidator {
    fn default() -> Self {
        Self::new()
    }
}
use super::read::empty;

fn object(value: Option<&Value>) -> &Map<String, Value> {
    value.and_then(Value::as_object).unwrap_or(empty())
}

/// Problems with cross-references in a whole file: the main process and every event flow.
pub(crate) fn reference_problems(document: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    process_problems(
        "process",
        document.get("process"),
        document.get("diagram"),
        &mut problems,
    );
    for (key, flow) in object(document.pointer("/eventFlows/eventsMap")) {
        let at = format!("eventFlows.{key}");
        process_problems(&at, flow.get("process"), flow.get("diagram"), &mut problems);
        let activities = object(flow.pointer("/process/activities"));
        for (event, id) in object(flow.get("onEvents")) {
            if !id.as_str().is_some_and(|id| activities.contains_key(id)) {
                problems.push(format!(
                    "{at}: event `{event}` is handled by an activity that does not exist"
                ));
            }
        }
    }
    problems
}

fn process_problems(
    at: &str,
    process: Option<&Value>,
    diagram: Option<&Value>,
    problems: &mut Vec<String>,
) {
    let activities = object(process.and_then(|p| p.get("activities")));
    let links: &[Value] = process
        .and_then(|p| p.get("links"))
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice);
    let widgets = object(diagram.and_then(|d| d.get("widgets")));
    let mut names = BTreeSet::new();
    // Port id -> (widget id, port name, the link widget ids it lists). The `in` port of an
    // activity every path ends at lists thousands of links, so they are looked up in a set.
    let mut ports: BTreeMap<&str, (&str, &str, Vec<&str>)> = BTreeMap::new();
    for (id, activity) in activities {
        let name = text_at(activity, "/name");
        if !names.insert(name) {
            problems.push(format!("{at}: two activities are named `{name}`"));
        }
        if activity.get("id").and_then(Value::as_str) != Some(id) {
            problems.push(format!("{at}: activity `{name}` is filed under another id"));
        }
        let Some(widget) = widgets.get(id) else {
            problems.push(format!("{at}: activity `{name}` has no diagram widget"));
            continue;
        };
        let widget_id = text_at(widget, "/id");
        for port in widget
            .get("ports")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let port_id = text_at(port, "/portId");
            let port_name = text_at(port, "/properties/name");
            let listed = port
                .get("links")
                .and_then(Value::as_array)
                .map(|l| l.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            ports.insert(port_id, (widget_id, port_name, listed));
        }
    }
    let listed_by: HashSet<(&str, &str)> = ports
        .iter()
        .flat_map(|(port, (_, _, listed))| listed.iter().map(|link| (*port, *link)))
        .collect();
    let link_ids: BTreeSet<&str> = links
        .iter()
        .filter_map(|l| l.get("id").and_then(Value::as_str))
        .collect();
    for (key, widget) in widgets {
        let kind = widget.get("widgetType").and_then(Value::as_str);
        let known = match kind {
            Some("activity") => activities.contains_key(key),
            Some("link") => link_ids.contains(key.as_str()),
            _ => false,
        };
        if !known {
            problems.push(format!(
                "{at}: diagram widget {key} draws nothing in the process"
            ));
        }
    }
    let mut drawn_links = BTreeSet::new();
    for link in links {
        let id = text_at(link, "/id");
        let source = text_at(link, "/sourceActivityId");
        let target = text_at(link, "/targetActivityId");
        let port = text_at(link, "/conditionExpr");
        for end in [source, target] {
            if !activities.contains_key(end) {
                problems.push(format!(
                    "{at}: link {id} joins activity {end}, which does not exist"
                ));
            }
        }
        let Some(widget) = widgets.get(id) else {
            problems.push(format!("{at}: link {id} has no diagram widget"));
            continue;
        };
        let link_widget = text_at(widget, "/id");
        drawn_links.insert(link_widget);
        let source_widget = widgets
            .get(source)
            .and_then(|w| w.get("id"))
            .and_then(Value::as_str);
        let target_widget = widgets
            .get(target)
            .and_then(|w| w.get("id"))
            .and_then(Value::as_str);
        let from = text_at(widget, "/sourcePort/id");
        match ports.get(from) {
            Some((owner, name, _)) => {
                if Some(*owner) != source_widget || *name != port {
                    problems.push(format!(
                        "{at}: link {id} leaves from port `{port}` but its widget starts elsewhere"
                    ));
                }
                if !listed_by.contains(&(from, link_widget)) {
                    problems.push(format!(
                        "{at}: port `{port}` of link {id}'s source does not list the link"
                    ));
                }
            }
            None => problems.push(format!(
                "{at}: link {id} leaves from a port that no widget has"
            )),
        }
        let to = text_at(widget, "/targetPort/id");
        match ports.get(to) {
            Some((owner, name, _)) => {
                if Some(*owner) != target_widget || *name != "in" {
                    problems.push(format!(
                        "{at}: link {id} does not end at its target's `in` port"
                    ));
                }
                if !listed_by.contains(&(to, link_widget)) {
                    problems.push(format!(
                        "{at}: the `in` port of link {id}'s target does not list the link"
                    ));
                }
            }
            None => problems.push(format!("{at}: link {id} ends at a port that no widget has")),
        }
    }
    for (port_id, (_, name, listed)) in &ports {
        for link in listed {
            if !drawn_links.contains(link) {
                problems.push(format!(
                    "{at}: port `{name}` ({port_id}) lists link {link}, which is not drawn"
                ));
            }
        }
    }
}

/// The string at a JSON pointer, or `""` where there is none (the schema reports the absence).
fn text_at<'v>(value: &'v Value, pointer: &str) -> &'v str {
    value.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}
