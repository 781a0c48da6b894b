//! `schemas/flow-designer.schema.json`, embedded, and validation of every file wxcflow writes
//! for Flow Designer against it. A custom keyword, `x-wxcflow-fd-references`, checks what JSON
//! Schema cannot: links, widgets and ports that refer to each other consistently.

use super::model::{fast_map, fast_set, FastMap, FastSet};
use crate::validate::{worded, Scalars};
use jsonschema::{Keyword, Validator};
use serde_json::{Map, Value};
use std::sync::OnceLock;

/// The Flow Designer schema, as committed in `schemas/flow-designer.schema.json`.
pub const FLOW_DESIGNER_SCHEMA: &str = include_str!("../../schemas/flow-designer.schema.json");

/// A compiled validator; build it once and reuse it. Each of its parts is compiled when first
/// asked: a build written part by part never compiles the whole schema, and a check of an
/// export never compiles the parts a build uses.
pub struct FdValidator {
    /// The whole schema.
    whole: OnceLock<Validator>,
    /// For an export checked as it is read, the schema in two parts whose violations together
    /// are the whole schema's: the file with its diagrams' widgets left unchecked
    /// (cross-references included, which read only the members of a widget
    /// [`reference_problems`] names), and one widget as `#/definitions/widget` checks it.
    without_widgets: OnceLock<Validator>,
    widget: OnceLock<Validator>,
    /// For a file checked as it is written (see `emit::write_checked`), the schema in three
    /// parts whose violations together are the whole schema's: the file with its processes'
    /// activities and its diagrams' widgets left unchecked (its cross-references checked on
    /// what each part holds of them, [`references_hold_in_outline`]), one
    /// activity as `#/definitions/activity` checks it, and one widget (as above).
    without_parts: OnceLock<Validator>,
    activity: OnceLock<Validator>,
}

/// The embedded schema as JSON.
// `expect` below: the schema is embedded at build time and read by every test run.
#[allow(clippy::expect_used)]
fn schema() -> Value {
    serde_json::from_str(FLOW_DESIGNER_SCHEMA).expect("embedded schema is JSON")
}

/// The embedded schema, each of `unchecked` (pointers to `additionalProperties`) accepting
/// anything, compiled with the link and port checks.
fn without(unchecked: &[&str]) -> Validator {
    let mut schema = schema();
    for pointer in unchecked {
        if let Some(parts) = schema.pointer_mut(pointer) {
            *parts = Value::Bool(true);
        }
    }
    with_references(&schema)
}

/// As [`without`], without the link and port checks (the custom keyword left out).
// `expect` below: only the embedded schema is compiled, and every test run compiles it.
#[allow(clippy::expect_used)]
fn without_references(unchecked: &[&str]) -> Validator {
    let mut schema = schema();
    for pointer in unchecked {
        if let Some(parts) = schema.pointer_mut(pointer) {
            *parts = Value::Bool(true);
        }
    }
    if let Value::Object(root) = &mut schema {
        root.remove("x-wxcflow-fd-references");
    }
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .build(&schema)
        .expect("embedded schema compiles")
}

/// One of the schema's definitions (`#/definitions/<name>`) compiled on its own: at the
/// root, beside the definitions it refers to.
// `expect` below: only the embedded schema is compiled, and every test run compiles it.
#[allow(clippy::expect_used)]
fn definition(schema: &Value, name: &str) -> Validator {
    let mut root = Map::new();
    for key in ["$schema", "$id", "definitions"] {
        if let Some(v) = schema.get(key) {
            root.insert(key.to_string(), v.clone());
        }
    }
    if let Some(Value::Object(definition)) = schema.pointer(&format!("/definitions/{name}")) {
        root.extend(definition.clone());
    }
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .build(&Value::Object(root))
        .expect("embedded schema compiles")
}

/// `schema` (the embedded one, or a part of it) compiled with the link and port checks.
// `expect` below: only the embedded schema is compiled, and every test run compiles it.
#[allow(clippy::expect_used)]
fn with_references(schema: &Value) -> Validator {
    #[allow(clippy::result_large_err)]
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .with_keyword("x-wxcflow-fd-references", |_, _, _| {
            Ok(Box::new(crate::validate::Problems(reference_problems))
                as Box<dyn for<'i> Keyword<'i>>)
        })
        .build(schema)
        .expect("embedded schema compiles")
}

const WIDGETS: &str = "/definitions/diagram/properties/widgets/additionalProperties";
const ACTIVITIES: &str = "/definitions/process/properties/activities/additionalProperties";

impl FdValidator {
    /// A validator of the embedded Flow Designer schema with its link and port checks.
    pub fn new() -> Self {
        FdValidator {
            whole: OnceLock::new(),
            without_widgets: OnceLock::new(),
            widget: OnceLock::new(),
            without_parts: OnceLock::new(),
            activity: OnceLock::new(),
        }
    }

    fn whole(&self) -> &Validator {
        self.whole.get_or_init(|| without(&[]))
    }

    fn widget(&self) -> &Validator {
        self.widget.get_or_init(|| definition(&schema(), "widget"))
    }

    /// Whether the schema's activity definition accepts `activity`.
    pub(crate) fn activity_is_valid(&self, activity: &Value) -> bool {
        self.activity
            .get_or_init(|| definition(&schema(), "activity"))
            .is_valid(activity)
    }

    /// Whether the schema accepts `outline`, a file whose activities and widgets are checked
    /// on their own ([`FdValidator::activity_is_valid`], [`FdValidator::widget_is_valid`]) and
    /// each stand as a marker, but for its cross-references: those are checked on the parts'
    /// strings, not on the markers ([`FdValidator::outline_references_hold`]).
    pub(crate) fn outline_is_valid(&self, outline: &Value) -> bool {
        self.without_parts
            .get_or_init(|| without_references(&[WIDGETS, ACTIVITIES]))
            .is_valid(outline)
    }

    /// Whether the cross-references of `outline` hold, each of its parts standing as a marker
    /// that `part` reads as the check reads the part ([`references_hold_in_outline`]); `None`
    /// when a marker gives nothing.
    pub(crate) fn outline_references_hold<'a>(
        &self,
        outline: &'a Value,
        part: impl Fn(&'a Value) -> Option<&'a PartRefs>,
    ) -> Option<bool> {
        references_hold_in_outline(outline, part)
    }

    /// Whether the schema's widget definition accepts `widget`.
    pub(crate) fn widget_is_valid(&self, widget: &Value) -> bool {
        self.widget().is_valid(widget)
    }

    /// What the schema says of one diagram widget (`widget`, at `pointer` and `path` in its
    /// file), each violation said both with and without the value until it is known whether its
    /// place holds a secret. Unsorted.
    pub(crate) fn widget_violations(
        &self,
        pointer: &str,
        path: &[String],
        widget: &Value,
    ) -> Vec<Unmasked> {
        let validator = self.widget();
        if validator.is_valid(widget) {
            return Vec::new();
        }
        validator
            .iter_errors(widget)
            .map(|e| {
                let inner = e.instance_path().to_string();
                let mut full = path.to_vec();
                full.extend(steps_of(&inner));
                Unmasked {
                    pointer: format!("{pointer}{inner}"),
                    path: full,
                    message: worded(&e, Scalars::Quoted),
                    masked: worded(&e, Scalars::Masked),
                }
            })
            .collect()
    }

    /// As [`FdValidator::violations_hiding`] of a file whose diagrams' widgets were checked
    /// on their own ([`FdValidator::widget_violations`]): its other violations, unsorted.
    pub(crate) fn violations_without_widgets(
        &self,
        value: &Value,
        hides: &dyn Fn(&[String]) -> bool,
    ) -> Vec<Violation> {
        let validator = self.without_widgets.get_or_init(|| without(&[WIDGETS]));
        violations_of(validator, value, hides)
    }

    /// Whether the schema accepts `value`, its diagrams' widgets aside (checked on their own,
    /// [`FdValidator::widget_violations`]).
    pub(crate) fn accepts_without_widgets(&self, value: &Value) -> bool {
        self.without_widgets
            .get_or_init(|| without(&[WIDGETS]))
            .is_valid(value)
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
        // The yes-or-no pass first (every keyword and the cross-references run in it); the
        // errors are gathered only for a file that fails it.
        if self.whole().is_valid(value) {
            return Vec::new();
        }
        sorted(violations_of(self.whole(), value, hides))
    }
}

/// Every violation of `value` by `validator`, unsorted.
fn violations_of(
    validator: &Validator,
    value: &Value,
    hides: &dyn Fn(&[String]) -> bool,
) -> Vec<Violation> {
    validator
        .iter_errors(value)
        .map(|e| {
            let pointer = e.instance_path().to_string();
            let path: Vec<String> = steps_of(&pointer).collect();
            let message = worded(
                &e,
                if hides(&path) {
                    Scalars::Masked
                } else {
                    Scalars::Quoted
                },
            );
            Violation {
                pointer,
                path,
                message,
            }
        })
        .collect()
}

/// A JSON pointer's steps, unescaped.
fn steps_of(pointer: &str) -> impl Iterator<Item = String> + '_ {
    pointer
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
}

/// Violations sorted as their texts are, each text once.
pub(crate) fn sorted(mut errors: Vec<Violation>) -> Vec<Violation> {
    errors.sort_by_cached_key(Violation::to_string);
    errors.dedup_by(|a, b| a.to_string() == b.to_string());
    errors
}

/// A violation found in a part of a file, said both with and without the value: which one is
/// shown is decided once the file's secrets are known ([`Unmasked::hiding`]); the other is
/// dropped then, never shown.
#[derive(Debug)]
pub(crate) struct Unmasked {
    /// Where in the file, as a JSON pointer.
    pub(crate) pointer: String,
    /// The same place as unescaped steps.
    pub(crate) path: Vec<String>,
    message: String,
    masked: String,
}

impl Unmasked {
    /// The violation, its value shown as the mask when `hides` says its place holds a secret.
    pub(crate) fn hiding(self, hides: &dyn Fn(&[String]) -> bool) -> Violation {
        let message = if hides(&self.path) {
            self.masked
        } else {
            self.message
        };
        Violation {
            pointer: self.pointer,
            path: self.path,
            message,
        }
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
static EMPTY_MAP: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();

/// An empty object, for members that are missing.
pub(crate) fn empty() -> &'static Map<String, Value> {
    EMPTY_MAP.get_or_init(Map::new)
}

fn object(value: Option<&Value>) -> &Map<String, Value> {
    value.and_then(Value::as_object).unwrap_or(empty())
}

/// Problems with cross-references in a whole file: the main process and every event flow.
pub(crate) fn reference_problems(document: &Value) -> Vec<String> {
    document_problems(
        document,
        |v| Some(ActivityRefs::of(v)),
        |v| Some(WidgetRefs::of(v)),
    )
    .unwrap_or_default()
}

/// As [`reference_problems`], each activity and widget read through `activity` and `widget`
/// (a file written part by part holds markers in their places, see
/// [`references_hold_in_outline`]); `None` when one of them gives nothing.
fn document_problems<'a>(
    document: &'a Value,
    activity: impl Fn(&'a Value) -> Option<ActivityRefs<&'a str>>,
    widget: impl Fn(&'a Value) -> Option<WidgetRefs<&'a str>>,
) -> Option<Vec<String>> {
    let mut problems = Vec::new();
    let process = |at: &str,
                   process: Option<&'a Value>,
                   diagram: Option<&'a Value>,
                   problems: &mut Vec<String>| {
        let activities = object(process.and_then(|p| p.get("activities")))
            .iter()
            .map(|(id, a)| Some((id.as_str(), activity(a)?)))
            .collect::<Option<Vec<_>>>()?;
        let widgets = object(diagram.and_then(|d| d.get("widgets")))
            .iter()
            .map(|(id, w)| Some((id.as_str(), widget(w)?)))
            .collect::<Option<Vec<_>>>()?;
        let links: &[Value] = process
            .and_then(|p| p.get("links"))
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice);
        process_problems(at, &activities, links, &widgets, problems);
        Some(())
    };
    process(
        "process",
        document.get("process"),
        document.get("diagram"),
        &mut problems,
    )?;
    for (key, flow) in object(document.pointer("/eventFlows/eventsMap")) {
        let at = format!("eventFlows.{key}");
        process(&at, flow.get("process"), flow.get("diagram"), &mut problems)?;
        let activities = object(flow.pointer("/process/activities"));
        for (event, id) in object(flow.get("onEvents")) {
            if !id.as_str().is_some_and(|id| activities.contains_key(id)) {
                problems.push(format!(
                    "{at}: event `{event}` is handled by an activity that does not exist"
                ));
            }
        }
    }
    Some(problems)
}

/// What the cross-reference check reads of an activity: its `id` (when text) and `name`
/// ("" when it is not text).
pub(crate) struct ActivityRefs<S> {
    id: Option<S>,
    name: S,
}

/// What the cross-reference check reads of a widget: its `id` and `widgetType` (when text),
/// its ports, and the ids of a link widget's ends ("" when they are not text).
pub(crate) struct WidgetRefs<S> {
    id: Option<S>,
    widget_type: Option<S>,
    ports: Vec<PortRefs<S>>,
    source_port: S,
    target_port: S,
}

/// What the cross-reference check reads of a widget's port: its id, its name, the links it
/// lists ("" for what is not text; a link that is not text is not listed).
pub(crate) struct PortRefs<S> {
    id: S,
    name: S,
    links: Vec<S>,
}

impl<'a> ActivityRefs<&'a str> {
    fn of(activity: &'a Value) -> Self {
        ActivityRefs {
            id: activity.get("id").and_then(Value::as_str),
            name: text_at(activity, &["name"]),
        }
    }
}

impl<'a> WidgetRefs<&'a str> {
    fn of(widget: &'a Value) -> Self {
        let ports = widget
            .get("ports")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|port| PortRefs {
                id: text_at(port, &["portId"]),
                name: text_at(port, &["properties", "name"]),
                links: port
                    .get("links")
                    .and_then(Value::as_array)
                    .map(|l| l.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default(),
            })
            .collect();
        WidgetRefs {
            id: widget.get("id").and_then(Value::as_str),
            widget_type: widget.get("widgetType").and_then(Value::as_str),
            ports,
            source_port: text_at(widget, &["sourcePort", "id"]),
            target_port: text_at(widget, &["targetPort", "id"]),
        }
    }
}

/// What the cross-reference check reads of a part written on its own (an activity or a
/// widget), kept without the rest of it: a few strings rather than a tree of values.
pub(crate) enum PartRefs {
    Activity(ActivityRefs<Box<str>>),
    Widget(WidgetRefs<Box<str>>),
}

impl PartRefs {
    /// What the check reads of `activity`.
    pub(crate) fn of_activity(activity: &Value) -> Self {
        let refs = ActivityRefs::of(activity);
        PartRefs::Activity(ActivityRefs {
            id: refs.id.map(Box::from),
            name: refs.name.into(),
        })
    }

    /// What the check reads of `widget`.
    pub(crate) fn of_widget(widget: &Value) -> Self {
        let refs = WidgetRefs::of(widget);
        PartRefs::Widget(WidgetRefs {
            id: refs.id.map(Box::from),
            widget_type: refs.widget_type.map(Box::from),
            ports: refs
                .ports
                .into_iter()
                .map(|p| PortRefs {
                    id: p.id.into(),
                    name: p.name.into(),
                    links: p.links.into_iter().map(Box::from).collect(),
                })
                .collect(),
            source_port: refs.source_port.into(),
            target_port: refs.target_port.into(),
        })
    }

    fn activity(&self) -> Option<ActivityRefs<&str>> {
        match self {
            PartRefs::Activity(a) => Some(ActivityRefs {
                id: a.id.as_deref(),
                name: &a.name,
            }),
            PartRefs::Widget(_) => None,
        }
    }

    fn widget(&self) -> Option<WidgetRefs<&str>> {
        match self {
            PartRefs::Widget(w) => Some(WidgetRefs {
                id: w.id.as_deref(),
                widget_type: w.widget_type.as_deref(),
                ports: w
                    .ports
                    .iter()
                    .map(|p| PortRefs {
                        id: &*p.id,
                        name: &*p.name,
                        links: p.links.iter().map(|l| &**l).collect(),
                    })
                    .collect(),
                source_port: &w.source_port,
                target_port: &w.target_port,
            }),
            PartRefs::Activity(_) => None,
        }
    }
}

/// Whether the cross-references of a file written part by part hold: `outline` is the file
/// with, in each activity's and widget's place, its marker (a number); `part` gives what the
/// check reads of the part a marker stands for. The same verdict as [`reference_problems`] of
/// the whole file, since each part is read as that reads it ([`PartRefs`]). `None` when a
/// place holds no marker of a part of its kind.
pub(crate) fn references_hold_in_outline<'a>(
    outline: &'a Value,
    part: impl Fn(&'a Value) -> Option<&'a PartRefs>,
) -> Option<bool> {
    let problems = document_problems(outline, |v| part(v)?.activity(), |v| part(v)?.widget())?;
    Some(problems.is_empty())
}

fn process_problems<'l>(
    at: &str,
    activities: &'l [(&'l str, ActivityRefs<&'l str>)],
    links: &'l [Value],
    widget_list: &'l [(&'l str, WidgetRefs<&'l str>)],
    problems: &mut Vec<String>,
) {
    // Looked up by id in hash maps: tens of thousands of lookups in a large flow, each a walk
    // down a B-tree comparing ids otherwise.
    let widgets: FastMap<&str, &WidgetRefs<&str>> =
        widget_list.iter().map(|(k, w)| (*k, w)).collect();
    let activity_ids: FastSet<&str> = activities.iter().map(|(id, _)| *id).collect();
    let mut names: FastSet<&str> = fast_set(activities.len());
    // Port id -> (widget id, port name, the link widget ids it lists). The `in` port of an
    // activity every path ends at lists thousands of links, so each (port, link) pair is looked
    // up in a set.
    let mut ports: FastMap<&str, (&str, &str, &[&str])> = fast_map(activities.len() * 3);
    for (id, activity) in activities {
        let name = activity.name;
        if !names.insert(name) {
            problems.push(format!("{at}: two activities are named `{name}`"));
        }
        if activity.id != Some(*id) {
            problems.push(format!("{at}: activity `{name}` is filed under another id"));
        }
        let Some(widget) = widgets.get(id) else {
            problems.push(format!("{at}: activity `{name}` has no diagram widget"));
            continue;
        };
        let widget_id = widget.id.unwrap_or("");
        for port in &widget.ports {
            ports.insert(port.id, (widget_id, port.name, &port.links));
        }
    }
    let mut listed_by: FastSet<(&str, &str)> = fast_set(links.len() * 2);
    listed_by.extend(
        ports
            .iter()
            .flat_map(|(port, (_, _, listed))| listed.iter().map(|link| (*port, *link))),
    );
    let link_ids: FastSet<&str> = links
        .iter()
        .filter_map(|l| l.get("id").and_then(Value::as_str))
        .collect();
    for (key, widget) in widget_list {
        let known = match widget.widget_type {
            Some("activity") => activity_ids.contains(key),
            Some("link") => link_ids.contains(key),
            _ => false,
        };
        if !known {
            problems.push(format!(
                "{at}: diagram widget {key} draws nothing in the process"
            ));
        }
    }
    let mut drawn_links: FastSet<&str> = fast_set(links.len());
    for link in links {
        let id = text_at(link, &["id"]);
        let source = text_at(link, &["sourceActivityId"]);
        let target = text_at(link, &["targetActivityId"]);
        let port = text_at(link, &["conditionExpr"]);
        for end in [source, target] {
            if !activity_ids.contains(end) {
                problems.push(format!(
                    "{at}: link {id} joins activity {end}, which does not exist"
                ));
            }
        }
        let Some(widget) = widgets.get(id) else {
            problems.push(format!("{at}: link {id} has no diagram widget"));
            continue;
        };
        let link_widget = widget.id.unwrap_or("");
        drawn_links.insert(link_widget);
        let source_widget = widgets.get(source).and_then(|w| w.id);
        let target_widget = widgets.get(target).and_then(|w| w.id);
        let from = widget.source_port;
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
        let to = widget.target_port;
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
    // In the order of the ports' ids.
    let mut ports: Vec<_> = ports.into_iter().collect();
    ports.sort_unstable_by_key(|(port_id, _)| *port_id);
    for (port_id, (_, name, listed)) in &ports {
        for link in listed.iter() {
            if !drawn_links.contains(link) {
                problems.push(format!(
                    "{at}: port `{name}` ({port_id}) lists link {link}, which is not drawn"
                ));
            }
        }
    }
}

/// The text at `steps` (member names) in `value`; "" when there is none.
fn text_at<'v>(value: &'v Value, steps: &[&str]) -> &'v str {
    steps
        .iter()
        .try_fold(value, |at, step| at.get(*step))
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// The members of a widget that reading (its point, its ports' names) and the schema's
/// cross-reference check ([`reference_problems`]: ids, widget type, ports' ids,
/// names and links, a link's ends) look at, as they came; the rest dropped. What is not an
/// object stays as it came.
pub(crate) fn widget_outline(widget: Value) -> Value {
    // Cut down in place: the members kept are neither copied nor keyed again.
    fn only(value: &mut Value, keys: &[&str]) {
        if let Value::Object(map) = value {
            map.retain(|k, _| keys.contains(&k.as_str()));
        }
    }
    let Value::Object(mut map) = widget else {
        return widget;
    };
    map.retain(|k, _| {
        matches!(
            k.as_str(),
            "id" | "widgetType" | "point" | "ports" | "sourcePort" | "targetPort"
        )
    });
    if let Some(Value::Array(ports)) = map.get_mut("ports") {
        for port in ports {
            if let Value::Object(port) = port {
                port.retain(|k, _| matches!(k.as_str(), "portId" | "links" | "properties"));
                if let Some(p) = port.get_mut("properties") {
                    only(p, &["name"]);
                }
            }
        }
    }
    for key in ["sourcePort", "targetPort"] {
        if let Some(end) = map.get_mut(key) {
            only(end, &["id"]);
        }
    }
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file written part by part (`emit::write_checked`) is checked whole as the outline
    /// without its activities and widgets, and each of those against its definition: that is
    /// the whole schema's check while those definitions are reached from nowhere else.
    #[test]
    fn activities_and_widgets_are_reached_only_from_the_processes_and_diagrams() {
        fn refs(value: &Value, at: String, found: &mut Vec<(String, String)>) {
            match value {
                Value::Object(map) => {
                    for (k, v) in map {
                        if k == "$ref" {
                            found.push((at.clone(), v.as_str().unwrap().to_string()));
                        }
                        refs(v, format!("{at}/{k}"), found);
                    }
                }
                Value::Array(items) => {
                    for (i, v) in items.iter().enumerate() {
                        refs(v, format!("{at}/{i}"), found);
                    }
                }
                _ => {}
            }
        }
        let schema: Value = serde_json::from_str(FLOW_DESIGNER_SCHEMA).unwrap();
        let mut found = Vec::new();
        refs(&schema, String::new(), &mut found);
        let from = |target: &str| -> Vec<&str> {
            found
                .iter()
                .filter(|(_, t)| t == target)
                .map(|(at, _)| at.as_str())
                .collect()
        };
        assert_eq!(
            from("#/definitions/activity"),
            ["/definitions/process/properties/activities/additionalProperties"]
        );
        assert_eq!(
            from("#/definitions/widget"),
            ["/definitions/diagram/properties/widgets/additionalProperties"]
        );
        assert_eq!(
            from("#/definitions/activityWidget"),
            ["/definitions/widget/oneOf/0"]
        );
        assert_eq!(
            from("#/definitions/linkWidget"),
            ["/definitions/widget/oneOf/1"]
        );
        // The processes and diagrams are reached as definitions too, so that an event flow's
        // are checked as the main one's.
        assert_eq!(
            from("#/definitions/process"),
            [
                "/definitions/eventFlow/properties/process",
                "/properties/process"
            ]
        );
        assert_eq!(
            from("#/definitions/diagram"),
            [
                "/definitions/eventFlow/properties/diagram",
                "/properties/diagram"
            ]
        );
    }

    /// An export's check reads each widget's `properties` for `points` alone
    /// (`read::Shape::WidgetProperties`): it holds while the widget definitions look at
    /// nothing else in them.
    #[test]
    fn a_widget_definition_reads_only_points_in_its_properties() {
        let schema: Value = serde_json::from_str(FLOW_DESIGNER_SCHEMA).unwrap();
        let definitions = &schema["definitions"];
        let widget = &definitions["widget"]["oneOf"];
        let names: Vec<&str> = widget
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["$ref"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            ["#/definitions/activityWidget", "#/definitions/linkWidget"]
        );
        let activity = &definitions["activityWidget"]["properties"]["properties"];
        assert_eq!(activity, &serde_json::json!({ "type": "object" }));
        let link = definitions["linkWidget"]["properties"]["properties"]
            .as_object()
            .unwrap();
        let keys: Vec<&str> = link.keys().map(String::as_str).collect();
        assert_eq!(keys, ["properties", "required", "type"]);
        assert_eq!(link["required"], serde_json::json!(["points"]));
        let members: Vec<&String> = link["properties"].as_object().unwrap().keys().collect();
        assert_eq!(members, ["points"]);
        for name in ["activityWidget", "linkWidget"] {
            let keys: Vec<&str> = definitions[name]
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            assert_eq!(keys, ["properties", "required", "type"], "{name}");
        }
    }
}
