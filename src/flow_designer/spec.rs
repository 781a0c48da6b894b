//! The Flow Designer spec: a flow as readable TOML, activities by name, links as each
//! activity's `next = { port = "target" }`, every setting kept. `wxcflow decompile` writes one
//! from an export; `wxcflow build --target flow-designer` builds it back.
//!
//! It exists because Flow Designer and Webex Connect do not share their activities: a voice
//! flow's queue, menu and prompt activities have no Webex Connect node to become. So the round
//! trip of a real export is defined at the Flow Designer level (export -> this spec -> export),
//! while a Webex Connect spec reaches Flow Designer through [`super::lower`].
//!
//! ```toml
//! [flow_designer]
//! name = "bmclella_Voice_JDS_1"
//!
//! [variables.Token]
//! isSecure = true
//!
//! [activities.get_JDSToken]
//! type = "http-request-v2"
//! next = { default = "UpdateJDS" }
//!
//! [activities.get_JDSToken.settings]
//! httpRequestUrl = "https://getJDSToken"
//! httpRequestHeaders = { x-email-address = "me@example.com" }
//! ```
//!
//! Settings a typed kind takes by default (see `model::full_settings`) are left out;
//! settings that are null where the default is not are listed in `nulls`, values TOML cannot
//! say exactly (a null inside, an integer beyond 64 bits) in `json` as JSON text.
//!
//! A spec decompiled from an export also keeps what the export carries beside the logic (the
//! model's `Kept`): per activity `id`, `at = [x, y]`, `link_ids = { port = "id" }` and `absent`
//! (properties of the kind's full set the export did not carry); per variable `export` /
//! `export_json`; and `[flow_designer.export]` / `[flow_designer.export_json]` for top-level
//! members (deeper ones by JSON pointer: `"/diagram/properties"`). Built back, the file carries
//! the export's ids and positions.

use super::model::*;
use crate::diagnostic::{did_you_mean, Code, Diagnostic, SourceFile};
use crate::spec::model::S;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// Whether a text is a Flow Designer spec: TOML with a `[flow_designer]` table.
pub(crate) fn is_spec(text: &str) -> bool {
    text.lines().any(|l| l.trim() == "[flow_designer]")
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SpecFile {
    flow_designer: Header,
    #[serde(default)]
    variables: InOrder<VariableSpec>,
    #[serde(default)]
    activities: BTreeMap<S<String>, ActivitySpec>,
    #[serde(default)]
    event_flows: BTreeMap<S<String>, EventFlowSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    name: S<String>,
    #[serde(default)]
    description: String,
    #[serde(default)]
    comment: String,
    #[serde(rename = "type")]
    flow_type: Option<S<String>>,
    variable_orders: Option<toml::Value>,
    #[serde(default)]
    runtime_variables: Vec<toml::Value>,
    /// Top-level members of the export it came from, written back as given (`id`, `flowId`,
    /// `orgId`, `version`, ...); those holding a null in `export_json`, as JSON text.
    export: Option<toml::Table>,
    #[serde(default)]
    export_json: BTreeMap<String, S<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct VariableSpec {
    #[serde(rename = "type")]
    kind: Option<S<String>>,
    value: Option<toml::Value>,
    #[serde(default)]
    description: String,
    #[serde(default, rename = "isCAD")]
    is_cad: bool,
    #[serde(default)]
    desktop_label: String,
    #[serde(default)]
    is_agent_editable: bool,
    source: Option<S<String>>,
    #[serde(default)]
    is_reportable: bool,
    #[serde(default)]
    overwrite: bool,
    #[serde(default)]
    is_secure: bool,
    /// Members of the export's variable written back as given (`isExternalized`, ...).
    export: Option<toml::Table>,
    #[serde(default, rename = "export_json")]
    export_json: BTreeMap<String, S<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ActivitySpec {
    #[serde(rename = "type")]
    kind: S<String>,
    group: Option<S<String>>,
    activity_id: Option<String>,
    description: Option<String>,
    next: Option<BTreeMap<S<String>, S<String>>>,
    ports: Option<Vec<String>>,
    settings: Option<toml::Table>,
    #[serde(default)]
    nulls: Vec<String>,
    /// Settings holding a null inside a list or table, as JSON text (TOML has no null).
    #[serde(default)]
    json: BTreeMap<String, S<String>>,
    /// The activity's id in the export it came from (kept, so a re-import can match it).
    id: Option<S<String>>,
    /// Its widget's position in the export's diagram, `[x, y]`.
    at: Option<[i64; 2]>,
    /// Each port's link id in the export, by port.
    link_ids: Option<BTreeMap<S<String>, S<String>>>,
    /// Properties of the kind's full set the export's activity did not carry.
    #[serde(default)]
    absent: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EventFlowSpec {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    /// Event name -> activity; by default every event activity handles the event of its name.
    on_events: Option<BTreeMap<String, S<String>>>,
    #[serde(default)]
    activities: BTreeMap<S<String>, ActivitySpec>,
}

impl crate::spec::Shaped for SpecFile {
    fn required(name: &str) -> Vec<String> {
        let keys: &[&str] = match name {
            "SpecFile" => &["flow_designer"],
            "Header" => &["name"],
            "ActivitySpec" => &["type"],
            _ => &[],
        };
        keys.iter().map(|k| k.to_string()).collect()
    }
}

/// Tables in the order the file writes them (a variable's place in Flow Designer's list).
struct InOrder<T>(Vec<(S<String>, T)>);

impl<T> Default for InOrder<T> {
    fn default() -> Self {
        InOrder(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for InOrder<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for Visit<T> {
            type Value = InOrder<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a table")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry::<S<String>, T>()? {
                    entries.push(entry);
                }
                // The parser may hand tables over sorted: their places say the file's order.
                entries.sort_by_key(|(k, _)| k.span().start);
                Ok(InOrder(entries))
            }
        }
        deserializer.deserialize_map(Visit(std::marker::PhantomData))
    }
}

impl<T> InOrder<T> {
    fn iter(&self) -> impl Iterator<Item = (&S<String>, &T)> {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

/// Reads a Flow Designer spec into the model, reporting every problem with its location.
pub(crate) fn read_spec(source: &SourceFile) -> Result<FdFlow, Vec<Diagnostic>> {
    match read_spec_partial(source) {
        (Some(flow), problems) if problems.is_empty() => Ok(flow),
        (_, problems) => Err(problems),
    }
}

/// Reads a spec as far as it goes: the model whenever the TOML has the spec's shape, with the
/// problems found in it (for quoting the file, a model with problems still tells where it
/// holds what).
pub(crate) fn read_spec_partial(source: &SourceFile) -> (Option<FdFlow>, Vec<Diagnostic>) {
    let too_large = crate::flow::limits::too_large_fd(&source.name, source.text.len())
        .or_else(|| crate::flow::limits::too_many_items(&source.name, &source.text));
    if let Some(d) = too_large {
        return (None, vec![d]);
    }
    let toml = match crate::spec::parse_toml(source) {
        Ok(toml) => toml,
        Err(d) => return (None, vec![d]),
    };
    let file = match SpecFile::deserialize(toml::de::Deserializer::from(toml)) {
        Ok(file) => file,
        // Worded as a Webex Connect spec's shape errors are, under this target's code.
        Err(e) => {
            let mut d = crate::spec::shape_error::<SpecFile>(&e, source);
            d.code = Code::InvalidFlowDesigner;
            return (None, vec![d]);
        }
    };
    let mut cx = Cx {
        source,
        problems: Vec::new(),
    };
    let flow_type = file.flow_designer.flow_type.as_ref().and_then(|t| {
        if matches!(t.get_ref().as_str(), "FLOW" | "SUBFLOW") {
            Some(t.get_ref().clone())
        } else {
            cx.problem(
                Code::InvalidFlowDesigner,
                t.span(),
                "`type` is neither FLOW nor SUBFLOW",
                None,
            );
            None
        }
    });
    let variables = file
        .variables
        .iter()
        .map(|(name, v)| cx.variable(name, v))
        .collect();
    let mut kept = Kept::default();
    let (process, main_kept) = cx.process(&file.activities);
    kept.main = main_kept;
    let event_flows = file
        .event_flows
        .iter()
        .map(|(key, e)| {
            let (process, process_kept) = cx.process(&e.activities);
            kept.events.insert(key.get_ref().clone(), process_kept);
            let on_events = match &e.on_events {
                Some(map) => map
                    .iter()
                    .filter_map(|(event, name)| {
                        if process.activity(name.get_ref()).is_none() {
                            cx.problem(
                                Code::InvalidFlowDesigner,
                                name.span(),
                                format!(
                                    "no activity named `{}` in this event flow",
                                    name.get_ref()
                                ),
                                None,
                            );
                            return None;
                        }
                        Some((event.clone(), name.get_ref().clone()))
                    })
                    .collect(),
                None => default_on_events(&process),
            };
            EventFlow {
                key: key.get_ref().clone(),
                name: e.name.clone(),
                description: e.description.clone(),
                process,
                on_events,
            }
        })
        .collect();
    kept.top = cx.kept_members(
        file.flow_designer.export.as_ref(),
        &file.flow_designer.export_json,
        "flow_designer.export_json",
    );
    for (name, v) in file.variables.iter() {
        let members = cx.kept_members(
            v.export.as_ref(),
            &v.export_json,
            &format!("variables.{}.export_json", name.get_ref()),
        );
        if !members.is_empty() {
            kept.variables.insert(name.get_ref().clone(), members);
        }
    }
    let flow = FdFlow {
        name: file.flow_designer.name.get_ref().clone(),
        description: file.flow_designer.description.clone(),
        comment: file.flow_designer.comment.clone(),
        flow_type,
        variables,
        variable_orders: file.flow_designer.variable_orders.as_ref().map(json_of),
        runtime_variables: file
            .flow_designer
            .runtime_variables
            .iter()
            .map(json_of)
            .collect(),
        process,
        event_flows,
        kept,
    };
    (Some(flow), cx.problems)
}

/// Every event activity handles the event of its own name, as in every export seen.
pub(crate) fn default_on_events(process: &Process) -> BTreeMap<String, String> {
    process
        .activities
        .iter()
        .filter(|a| a.kind() == Kind::Event)
        .map(|a| (a.name.clone(), a.name.clone()))
        .collect()
}

// `expect` below: a TOML value always converts to JSON (dates become text).
#[allow(clippy::expect_used)]
fn json_of(value: &toml::Value) -> Value {
    serde_json::to_value(value).expect("TOML values convert to JSON")
}

/// Variable names as every export writes them; a hyphen would read as a minus in expressions.
/// The rule of Webex Connect node keys.
pub(crate) fn is_variable_name(name: &str) -> bool {
    crate::lower::is_node_key(name)
}

struct Cx<'a> {
    source: &'a SourceFile,
    problems: Vec<Diagnostic>,
}

impl Cx<'_> {
    fn problem(
        &mut self,
        code: Code,
        at: std::ops::Range<usize>,
        message: impl Into<String>,
        help: Option<String>,
    ) {
        self.problems.push(
            Diagnostic::new(code, message)
                .with_span(Some(self.source.span(at)))
                .with_optional_help(help),
        );
    }

    fn variable(&mut self, name: &S<String>, v: &VariableSpec) -> Variable {
        if !is_variable_name(name.get_ref()) {
            self.problem(
                Code::InvalidFlowDesigner,
                name.span(),
                format!("`{}` is not a Flow Designer variable name", name.get_ref()),
                Some("letters, digits and `_`, not starting with a digit".into()),
            );
        }
        let kind = v
            .kind
            .as_ref()
            .map_or_else(|| "STRING".to_string(), |k| k.get_ref().clone());
        if let Some(k) = &v.kind {
            const TYPES: [&str; 6] = [
                "STRING", "INTEGER", "DATETIME", "DECIMAL", "JSON", "BOOLEAN",
            ];
            if !TYPES.contains(&k.get_ref().as_str()) {
                self.problem(
                    Code::InvalidFlowDesigner,
                    k.span(),
                    format!("unknown variable type `{}`", k.get_ref()),
                    did_you_mean(k.get_ref(), TYPES),
                );
            }
        }
        let source = v
            .source
            .as_ref()
            .map_or_else(String::new, |s| s.get_ref().clone());
        if let Some(s) = &v.source {
            const SOURCES: [&str; 4] = ["", "GLOBAL", "SUBFLOW_INPUT", "SUBFLOW_OUTPUT"];
            if !SOURCES.contains(&s.get_ref().as_str()) {
                self.problem(
                    Code::InvalidFlowDesigner,
                    s.span(),
                    format!("unknown variable source `{}`", s.get_ref()),
                    Some("\"\" (local), GLOBAL, SUBFLOW_INPUT or SUBFLOW_OUTPUT".into()),
                );
            }
        }
        Variable {
            name: name.get_ref().clone(),
            description: v.description.clone(),
            kind,
            value: v.value.as_ref().map_or(Value::Null, json_of),
            is_cad: v.is_cad,
            desktop_label: v.desktop_label.clone(),
            is_agent_editable: v.is_agent_editable,
            source,
            is_reportable: v.is_reportable,
            overwrite: v.overwrite,
            is_secure: v.is_secure,
        }
    }

    /// Members written as plain TOML values, and as JSON text (`table.key`) for those holding a
    /// null: kept members of an export, and an activity's settings.
    fn kept_members(
        &mut self,
        plain: Option<&toml::Table>,
        json: &BTreeMap<String, S<String>>,
        table: &str,
    ) -> BTreeMap<String, Value> {
        let mut out: BTreeMap<String, Value> = plain
            .iter()
            .flat_map(|t| t.iter())
            .map(|(k, v)| (k.clone(), json_of(v)))
            .collect();
        for (key, text) in json {
            match serde_json::from_str(text.get_ref()) {
                Ok(v) => {
                    out.insert(key.clone(), v);
                }
                Err(e) => self.problem(
                    Code::InvalidFlowDesigner,
                    text.span(),
                    format!(
                        "`{table}.{key}` is not JSON: {}",
                        super::read::json_error(&e)
                    ),
                    None,
                ),
            }
        }
        out
    }

    fn process(
        &mut self,
        activities: &BTreeMap<S<String>, ActivitySpec>,
    ) -> (Process, ProcessKept) {
        let mut process = Process::default();
        let mut kept = ProcessKept::default();
        for (name, spec) in activities {
            let activity = self.activity(name.get_ref(), spec);
            process.activities.push(activity);
            let activity_kept = ActivityKept {
                id: spec.id.as_ref().map(|id| id.get_ref().clone()),
                at: spec.at.map(|[x, y]| (x, y)),
                absent: spec.absent.clone(),
            };
            if activity_kept != ActivityKept::default() {
                kept.activities
                    .insert(name.get_ref().clone(), activity_kept);
            }
            for (port, id) in spec.link_ids.iter().flatten() {
                let target = spec.next.as_ref().and_then(|n| {
                    n.iter()
                        .find(|(p, _)| p.get_ref() == port.get_ref())
                        .map(|(_, t)| t.get_ref().clone())
                });
                match target {
                    Some(target) => {
                        let key = (name.get_ref().clone(), port.get_ref().clone(), target);
                        kept.links.insert(key, id.get_ref().clone());
                    }
                    None => self.problem(
                        Code::InvalidFlowDesigner,
                        port.span(),
                        format!(
                            "`link_ids` gives an id to port `{}`, which `next` does not link",
                            port.get_ref()
                        ),
                        Some("give ids only to the ports in `next`".into()),
                    ),
                }
            }
        }
        // Activities and links share the diagram's widget map: one id, one thing.
        let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
        for (name, spec) in activities {
            let ids = spec
                .id
                .iter()
                .chain(spec.link_ids.iter().flat_map(|m| m.values()));
            for id in ids {
                match seen.get(id.get_ref().as_str()) {
                    Some(first) => self.problem(
                        Code::InvalidFlowDesigner,
                        id.span(),
                        format!("id `{}` is given twice (first at `{first}`)", id.get_ref()),
                        Some("every activity and link of a process needs its own id".into()),
                    ),
                    None => {
                        seen.insert(id.get_ref(), name.get_ref());
                    }
                }
            }
        }
        let names: Vec<&str> = activities.keys().map(|k| k.get_ref().as_str()).collect();
        // Looked up by name for every link: a set, not a scan of the list (quadratic).
        let named: super::model::FastSet<&str> = names.iter().copied().collect();
        // The activities were made in the map's order, one each: the n-th is the n-th entry's.
        for (n, (name, spec)) in activities.iter().enumerate() {
            let ports = process.activities.get(n).and_then(Activity::output_ports);
            for (port, target) in spec.next.iter().flatten() {
                if !named.contains(target.get_ref().as_str()) {
                    self.problem(
                        Code::InvalidFlowDesigner,
                        target.span(),
                        format!("no activity named `{}`", target.get_ref()),
                        did_you_mean(target.get_ref(), names.iter().copied()),
                    );
                    continue;
                }
                if let Some(ports) = ports.as_ref().filter(|p| !p.contains(port.get_ref())) {
                    let help = did_you_mean(port.get_ref(), ports.iter().map(String::as_str))
                        .unwrap_or_else(|| {
                            if ports.is_empty() {
                                "it has no output ports".to_string()
                            } else {
                                format!("its ports: {}", ports.join(", "))
                            }
                        });
                    self.problem(
                        Code::UnknownPort,
                        port.span(),
                        format!(
                            "`{}` ({}) has no port `{}`",
                            name.get_ref(),
                            super::model::shown_type(spec.kind.get_ref()),
                            port.get_ref()
                        ),
                        Some(help),
                    );
                    continue;
                }
                process.links.push(Link {
                    source: name.get_ref().clone(),
                    port: port.get_ref().clone(),
                    target: target.get_ref().clone(),
                    origin: None,
                });
            }
        }
        process.order_links();
        (process, kept)
    }

    fn activity(&mut self, name: &str, spec: &ActivitySpec) -> Activity {
        let type_name = spec.kind.get_ref().clone();
        if type_name.is_empty() {
            self.problem(
                Code::InvalidFlowDesigner,
                spec.kind.span(),
                "an activity `type` is empty",
                None,
            );
        }
        let group = spec.group.as_ref().map(|g| g.get_ref().clone());
        let event = group.as_deref() == Some("event") || type_name == "event";
        let kind = Kind::of(
            (!event).then_some(type_name.as_str()),
            if event {
                "event"
            } else {
                group.as_deref().unwrap_or("")
            },
        );
        let group = match (group, kind.group()) {
            (Some(g), _) => g,
            (None, Some(g)) => g.to_string(),
            (None, None) => {
                self.problem(Code::InvalidFlowDesigner, spec.kind.span(), format!("`{name}` is of type `{}`, which wxcflow does not know: give its `group` too", super::model::shown_type(&type_name)), Some("the group Flow Designer files it under, e.g. \"action\"".into()));
                String::new()
            }
        };
        let mut settings = self.kept_members(spec.settings.as_ref(), &spec.json, "json");
        // A null is written as one, unless the key's JSON says otherwise.
        for key in spec.nulls.iter().filter(|k| !spec.json.contains_key(*k)) {
            settings.insert(key.clone(), Value::Null);
        }
        if let Some(d) = &spec.description {
            settings.insert("description".into(), Value::String(d.clone()));
        }
        let (activity_name, activity_id) = if event {
            // 2026 exports name event activities (`Event`) beside their id (`event`).
            match spec.activity_id.clone() {
                Some(id) if id != type_name => (Some(type_name), Some(id)),
                _ => (None, Some(type_name)),
            }
        } else {
            let id = spec
                .activity_id
                .clone()
                .unwrap_or_else(|| default_activity_id(kind, &type_name));
            (Some(type_name), Some(id))
        };
        Activity {
            name: name.to_string(),
            group,
            activity_name,
            activity_id,
            settings,
            ports: spec.ports.clone(),
            origin: None,
        }
    }
}
