//! The Flow Designer model: one flow or subflow as logic, without the noise of an export.
//!
//! Activities are identified by name (unique in a flow) and links by their source's port, so that
//! two exports of the same logic give equal models whatever their UUIDs. Every property of every
//! activity is kept in `settings`, typed kinds included: nothing read is lost. The typed views
//! ([`Activity::http`], [`Activity::output_ports`], ...) read those settings; they never
//! replace them.
//!
//! What the reference marks as seen in real exports is modelled as fact; what only a third-party
//! toolkit reports (the subflow start, end and handoff) is marked `[community]`; what wxcflow
//! had to choose is marked `[assumed]`.

use serde_json::{json, Value};
use std::collections::BTreeMap;

/// A whole Flow Designer flow: the `FlowVersionRes` minus server stamps and the diagram.
#[derive(Clone, Debug, PartialEq)]
pub struct FdFlow {
    /// The flow's name, as Flow Designer lists it.
    pub name: String,
    /// The description shown in Flow Designer's flow list.
    pub description: String,
    /// The version comment the export was saved with.
    pub comment: String,
    /// `FLOW` or `SUBFLOW`; absent in most real exports (which are flows).
    pub flow_type: Option<String>,
    /// In the file's order.
    pub variables: Vec<Variable>,
    /// The agent desktop's variable order (`pop-over`, `interaction-panel`), kept as given.
    pub variable_orders: Option<Value>,
    /// Kept as given; empty in every export seen.
    pub runtime_variables: Vec<Value>,
    /// The main flow's activities and links.
    pub process: Process,
    /// Event handlers (`GLOBAL_EVENTS` in every export seen).
    pub event_flows: Vec<EventFlow>,
    /// What an export carries beside the logic (its ids, positions, members wxcflow does not
    /// model), kept so that the flow written back from it carries the same; empty for a flow
    /// wxcflow lowered.
    pub(crate) kept: Kept,
}

/// How much of what an export carries beside the logic a reading keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keeping {
    /// All of it: the ids, positions and left-out properties of activities and links, and each
    /// activity's members beside its properties, so that the flow written back (`decompile`,
    /// a build of the spec it writes) is the export.
    All,
    /// Only what comparing flows reads beside the logic (the flow's members, such as its
    /// `settings`, and its variables'): for readings that look at the flow and never write it
    /// back (check, diff, graph, inspect, run, textconv), a fifth less work on a large export.
    /// The model's processes then keep nothing beside the logic: written back, it would not be
    /// the export.
    Logic,
}

/// What an export carries beside the logic, kept verbatim for writing it back. None of it is
/// compared by `diff` (ids and positions are noise there); all of it is written by `emit`.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Kept {
    /// Top-level members as the export gives them, where wxcflow's own would differ:
    /// `id`, `flowId`, `orgId`, `version`, server stamps, `settings`, `associatedChannels`,
    /// `flowOutcome`, and any member a newer export adds; members deeper in (the canvas's
    /// `/diagram/properties`, an event flow's) by JSON pointer.
    pub top: BTreeMap<String, Value>,
    /// Per variable name, its members as the export gives them where wxcflow's would differ
    /// (`isExternalized`, `resourceType`, a null where a text is modelled, ...).
    pub variables: BTreeMap<String, BTreeMap<String, Value>>,
    /// The main process's ids and positions.
    pub main: ProcessKept,
    /// Each event flow's (by its key in `eventsMap`).
    pub events: BTreeMap<String, ProcessKept>,
}

/// The ids and positions of one process's activities and links.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct ProcessKept {
    /// Activity name -> its id, position and the kind's properties it does not carry.
    pub activities: BTreeMap<String, ActivityKept>,
    /// `(source, port, target)` (activity names) -> the link's id.
    pub links: BTreeMap<(String, String, String), String>,
}

/// One activity's id, diagram position and absent properties.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct ActivityKept {
    /// The activity's id (its key in `process.activities` and `diagram.widgets`).
    pub id: Option<String>,
    /// Its widget's `point`, `(x, y)`.
    pub at: Option<(i64, i64)>,
    /// Properties the kind's full set has (see `full_settings`) that this activity does not
    /// carry: written back without them.
    pub absent: Vec<String>,
}

impl Kept {
    /// The kept ids and positions of a scope: `None` for the main process, else an event flow's
    /// key.
    pub fn process(&self, event: Option<&str>) -> Option<&ProcessKept> {
        match event {
            None => Some(&self.main),
            Some(key) => self.events.get(key),
        }
    }
}

/// A flow variable, with the flags Flow Designer keeps for it.
#[derive(Clone, Debug, PartialEq)]
pub struct Variable {
    /// The variable's name, as expressions refer to it (`{{name}}`).
    pub name: String,
    /// The description shown in the variable's panel.
    pub description: String,
    /// STRING, INTEGER, DATETIME, DECIMAL, JSON, BOOLEAN.
    pub kind: String,
    /// `null` when not set.
    pub value: Value,
    /// Whether the agent desktop sees it (a CAD variable, `isCAD`).
    pub is_cad: bool,
    /// The label the agent desktop shows it under.
    pub desktop_label: String,
    /// Whether the agent may change it on the desktop.
    pub is_agent_editable: bool,
    /// "" (local), `GLOBAL`, `SUBFLOW_INPUT`, `SUBFLOW_OUTPUT`.
    pub source: String,
    /// Whether its value is kept for reports (Analyzer's "reportable").
    pub is_reportable: bool,
    /// The variable's `overwrite` flag, kept as given.
    pub overwrite: bool,
    /// Whether the value is secret (`isSecure`): masked in every output, and the file private.
    pub is_secure: bool,
}

impl Variable {
    /// A local STRING variable with every flag off.
    pub fn local(name: impl Into<String>) -> Variable {
        Variable {
            name: name.into(),
            description: String::new(),
            kind: "STRING".into(),
            value: Value::Null,
            is_cad: false,
            desktop_label: String::new(),
            is_agent_editable: false,
            source: String::new(),
            is_reportable: false,
            overwrite: false,
            is_secure: false,
        }
    }

    /// Whether the variable carries a value (not null, not empty).
    pub fn has_value(&self) -> bool {
        match &self.value {
            Value::Null => false,
            Value::String(s) => !s.is_empty(),
            _ => true,
        }
    }
}

/// An event flow: handlers started by events (`ContactEnded`, `OnGlobalError`, ...).
#[derive(Clone, Debug, PartialEq)]
pub struct EventFlow {
    /// The key in `eventsMap`, e.g. `GLOBAL_EVENTS`.
    pub key: String,
    /// The event flow's name.
    pub name: String,
    /// Its description.
    pub description: String,
    /// The handlers' activities and links.
    pub process: Process,
    /// Event name -> the name of the event activity that handles it.
    pub on_events: BTreeMap<String, String>,
}

/// Activities and the links between them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Process {
    /// In the file's order.
    pub activities: Vec<Activity>,
    /// In the file's order.
    pub links: Vec<Link>,
}

impl Process {
    /// The activity of that name, if there is one.
    pub fn activity(&self, name: &str) -> Option<&Activity> {
        self.activities.iter().find(|a| a.name == name)
    }

    /// The links leaving `name`, in the model's order.
    pub fn links_from<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Link> + 'a {
        self.links.iter().filter(move |l| l.source == name)
    }

    /// The links leaving `name` in a canonical order: the activity's ports in their order
    /// (`true`, `false`, `error`; a case's values then `default`), then other ports by name.
    pub fn links_in_port_order<'a>(&'a self, name: &'a str) -> Vec<&'a Link> {
        in_port_order(self.activity(name), self.links_from(name).collect())
    }

    /// Puts the links in one order whatever made them: by their source's name, then in its
    /// ports' order ([`Process::links_in_port_order`]). A lowered flow and the spec `decompile`
    /// writes of it (whose activities are read in another order) then build the same file, byte
    /// for byte.
    pub(crate) fn order_links(&mut self) {
        let ports: FastMap<&str, Vec<String>> = (self.activities.iter())
            .map(|a| (a.name.as_str(), a.output_ports().unwrap_or_default()))
            .collect();
        self.links.sort_by_cached_key(|l| {
            let ports = ports.get(l.source.as_str());
            let rank = ports.and_then(|p| p.iter().position(|p| p == &l.port));
            let rank = rank.unwrap_or_else(|| ports.map_or(0, Vec::len));
            (l.source.clone(), rank, l.port.clone(), l.target.clone())
        });
    }
}

/// A hash map keyed by the ids and names of a flow, hashed with foldhash's fast hasher (the one
/// hashbrown, and so std's maps, are built on; already in the dependency tree through it): a
/// large flow looks ids up hundreds of thousands of times, and SipHash costs several times as
/// much for keys of this length. Seeded at random per process as std's maps are, so that no
/// order or output may come from a map's own order.
pub(crate) type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// A hash set hashed as [`FastMap`].
pub(crate) type FastSet<T> = std::collections::HashSet<T, foldhash::fast::RandomState>;

/// An empty [`FastMap`] with room for `capacity` entries.
pub(crate) fn fast_map<K, V>(capacity: usize) -> FastMap<K, V> {
    FastMap::with_capacity_and_hasher(capacity, Default::default())
}

/// An empty [`FastSet`] with room for `capacity` members.
pub(crate) fn fast_set<T>(capacity: usize) -> FastSet<T> {
    FastSet::with_capacity_and_hasher(capacity, Default::default())
}

/// A process's activities by name and its links by source and by target, built once, so that
/// a pass over every activity stays linear in the flow (the `Process` methods scan).
pub(crate) struct ProcessIndex<'p> {
    by_name: FastMap<&'p str, &'p Activity>,
    out: FastMap<&'p str, Vec<&'p Link>>,
    into: FastMap<&'p str, Vec<&'p Link>>,
}

impl<'p> ProcessIndex<'p> {
    /// Indexes a process.
    pub fn of(process: &'p Process) -> Self {
        // Sized once: a large flow's tables would otherwise be grown and rehashed many times.
        let size = process.activities.len();
        let mut out: FastMap<&str, Vec<&Link>> = fast_map(size);
        let mut into: FastMap<&str, Vec<&Link>> = fast_map(size);
        for l in &process.links {
            out.entry(&l.source).or_default().push(l);
            into.entry(&l.target).or_default().push(l);
        }
        let by_name = process
            .activities
            .iter()
            .map(|a| (a.name.as_str(), a))
            .collect();
        ProcessIndex { by_name, out, into }
    }

    /// The activity of that name, if there is one.
    pub fn activity(&self, name: &str) -> Option<&'p Activity> {
        self.by_name.get(name).copied()
    }

    /// The links leaving `name`, in the model's order.
    pub fn links_from(&self, name: &str) -> &[&'p Link] {
        self.out.get(name).map_or(&[], Vec::as_slice)
    }

    /// The links entering `name`, in the model's order.
    pub fn links_into(&self, name: &str) -> &[&'p Link] {
        self.into.get(name).map_or(&[], Vec::as_slice)
    }

    /// As [`Process::links_in_port_order`].
    pub fn links_in_port_order(&self, name: &str) -> Vec<&'p Link> {
        in_port_order(self.activity(name), self.links_from(name).to_vec())
    }
}

/// An activity's links sorted by its ports' order, then other ports by name.
fn in_port_order<'a>(activity: Option<&Activity>, mut links: Vec<&'a Link>) -> Vec<&'a Link> {
    let ports = activity
        .and_then(Activity::output_ports)
        .unwrap_or_default();
    links.sort_by_key(|l| {
        let rank = ports
            .iter()
            .position(|p| p == &l.port)
            .unwrap_or(ports.len());
        (rank, l.port.clone(), l.target.clone())
    });
    links
}

/// The agent desktop order an export carries when nothing is ordered.
pub(crate) fn empty_variable_orders() -> Value {
    json!({ "pop-over": [], "interaction-panel": [] })
}

/// One activity. `settings` holds every property but `name` and `_renderRequestTimestamp`
/// (render noise), and but `activityName` and `activityId`, which are kept apart.
#[derive(Clone, Debug, PartialEq)]
pub struct Activity {
    /// The activity's name, unique in its flow; links and diagnostics refer to it.
    pub name: String,
    /// The palette group its widget belongs to (`action`, `start`, `end`, `event`, ...).
    pub group: String,
    /// `properties.activityName`: the activity type (absent on event activities).
    pub activity_name: Option<String>,
    /// `properties.activityId`: a second type key (a catalog id for voice activities).
    pub activity_id: Option<String>,
    /// Every other property, as the export spells it (`httpRequestUrl`), values as given.
    pub settings: BTreeMap<String, Value>,
    /// The output ports its diagram widget draws, when known (read from a file, or given in a
    /// spec for kinds wxcflow does not type). Typed kinds derive theirs.
    pub ports: Option<Vec<String>>,
    /// Where it came from, for locating diagnostics: the activity's id in the file.
    pub origin: Option<String>,
}

/// One link: from a port of one activity to another activity.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Link {
    /// The name of the activity it leaves.
    pub source: String,
    /// `conditionExpr`: the source's port (`out`, `default`, `true`, `0`, ...).
    pub port: String,
    /// The name of the activity it enters.
    pub target: String,
    /// The link's id in the file, for locating diagnostics.
    pub origin: Option<String>,
}

/// The activity kinds wxcflow types; every other kind is [`Kind::Other`], kept generically.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Kind {
    /// A flow's start (`NewPhoneContact` and siblings, group `start`).
    Start,
    /// `NewSubFlowStart` [community].
    SubflowStart,
    Http,
    SetVariable,
    Condition,
    Case,
    Parse,
    End,
    /// `end-subflow` [community].
    SubflowEnd,
    /// `subflow-handoff` [community].
    Handoff,
    Disconnect,
    /// An event handler's entry in an event flow (group `event`).
    Event,
    Other,
}

pub(crate) const HTTP: &str = "http-request-v2";
pub(crate) const SET_VARIABLE: &str = "set-variable";
pub(crate) const CONDITION: &str = "condition-activity";
pub(crate) const CASE: &str = "case-statement";
pub(crate) const PARSE: &str = "parse-activity";
pub(crate) const END: &str = "end";
pub(crate) const SUBFLOW_START: &str = "NewSubFlowStart";
pub(crate) const SUBFLOW_END: &str = "end-subflow";
pub(crate) const HANDOFF: &str = "subflow-handoff";
pub(crate) const DISCONNECT: &str = "disconnect-contact";

impl Kind {
    /// The kind of an activity from its type keys and group.
    pub fn of(activity_name: Option<&str>, group: &str) -> Kind {
        match activity_name {
            Some(HTTP) => Kind::Http,
            Some(SET_VARIABLE) => Kind::SetVariable,
            Some(CONDITION) => Kind::Condition,
            Some(CASE) => Kind::Case,
            Some(PARSE) => Kind::Parse,
            Some(END) => Kind::End,
            Some(SUBFLOW_START) => Kind::SubflowStart,
            Some(SUBFLOW_END) => Kind::SubflowEnd,
            Some(HANDOFF) => Kind::Handoff,
            Some(DISCONNECT) => Kind::Disconnect,
            Some("NewPhoneContact") => Kind::Start,
            _ if group == "start" => Kind::Start,
            _ if group == "event" => Kind::Event,
            _ => Kind::Other,
        }
    }

    /// Where a path begins: a flow or subflow start, or an event handler.
    pub fn is_entry(self) -> bool {
        matches!(self, Kind::Start | Kind::SubflowStart | Kind::Event)
    }

    /// The group real exports give the kind (`[assumed]` for the subflow kinds, taken from their
    /// flow siblings).
    pub fn group(self) -> Option<&'static str> {
        Some(match self {
            Kind::Start => "start",
            // [cisco] 2026 subflows: the start's group is its activityId.
            Kind::SubflowStart => "start-subflow",
            Kind::Http | Kind::Parse | Kind::Handoff => "action",
            Kind::SetVariable => "set-variable",
            Kind::Condition | Kind::Case => "enum-gateway",
            Kind::End | Kind::SubflowEnd => "end",
            Kind::Disconnect => "terminating-action",
            Kind::Event => "event",
            Kind::Other => return None,
        })
    }
}

/// Output ports each kind draws, as seen on the widgets of real exports; `None` when not known.
/// (`in` is every non-entry activity's input port and is not listed.)
pub(crate) fn known_ports(kind: Kind, settings: &BTreeMap<String, Value>) -> Option<Vec<String>> {
    let list = |names: &[&str]| Some(names.iter().map(|s| s.to_string()).collect());
    match kind {
        Kind::Start | Kind::SubflowStart | Kind::Event => list(&["out"]),
        // Seen: http-request-v2 and parse-activity draw `default` only, no `error` port.
        Kind::Http | Kind::Parse => list(&["default"]),
        Kind::SetVariable => list(&["out", "error"]),
        Kind::Condition => list(&["true", "false", "error"]),
        Kind::Case => {
            let mut ports: Vec<String> = settings
                .get("menuLinks")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            ports.extend(["default".to_string(), "error".to_string()]);
            Some(ports)
        }
        Kind::End | Kind::SubflowEnd | Kind::Disconnect => Some(Vec::new()),
        // [cisco] every handoff widget of the parent export draws `default` and `error`.
        Kind::Handoff => list(&["default", "error"]),
        Kind::Other => None,
    }
}

/// Whether a property key is noise for comparisons: render timestamps, the palette's
/// `activityType`, the UI's `X:type`, `X_type` and `X:name` twins, and the underscore copy
/// `X_Y` of a colon key `X:Y` (`menuLinks_input`). `activityVersionNumber` is not noise: it
/// says which catalog version of the activity runs (`323` on a 2026 queue-contact).
pub(crate) fn is_noise_key(key: &str, settings: &BTreeMap<String, Value>) -> bool {
    // `:name` twins (2026 exports) repeat a picked value, as `:type` ones annotate it.
    // `activityType` (2026): the palette's label for the kind, which `activityName` decides.
    if key == "_renderRequestTimestamp"
        || key == "activityType"
        || key.ends_with(":type")
        || key.ends_with("_type")
        || key.ends_with(":name")
    {
        return true;
    }
    key.rsplit_once('_')
        .is_some_and(|(base, suffix)| settings.contains_key(&format!("{base}:{suffix}")))
}

/// Whether a key is an underscore twin that the emitter writes from its colon twin.
pub(crate) fn is_underscore_twin(key: &str, settings: &BTreeMap<String, Value>) -> bool {
    key.rsplit_once('_').is_some_and(|(base, suffix)| {
        settings.get(&format!("{base}:{suffix}")) == settings.get(key)
    })
}

/// Whether text typed where an activity's type stands is a URL carrying a credential in clear
/// (its user information, or a credential parameter): as a request's URL would.
pub(crate) fn types_url_credential(text: &str) -> bool {
    use crate::secret::names::{url_credentials, PEBBLE_BLOCKS};
    !url_credentials(text, PEBBLE_BLOCKS).is_empty()
}

/// A type as messages show it: the mask when it carries a credential
/// ([`types_url_credential`]).
pub(crate) fn shown_type(text: &str) -> &str {
    if types_url_credential(text) {
        crate::secret::MASK
    } else {
        text
    }
}

impl Activity {
    pub(crate) fn kind(&self) -> Kind {
        Kind::of(
            self.activity_name
                .as_deref()
                .or(self.activity_id.as_deref()),
            &self.group,
        )
    }

    /// The type shown to people: `activityName`, else `activityId`; the mask when that text
    /// carries a credential in clear (a URL with a password typed where the type stands).
    pub fn type_name(&self) -> &str {
        if self.type_holds_credential() {
            crate::secret::MASK
        } else {
            self.written_type()
        }
    }

    /// The type as the file writes it (`activityName`, else `activityId`), for writing the
    /// flow again: never shown, it may carry a credential.
    pub(crate) fn written_type(&self) -> &str {
        self.activity_name
            .as_deref()
            .or(self.activity_id.as_deref())
            .unwrap_or("?")
    }

    /// Whether `activityName` or `activityId` carries a credential in clear (a URL with a
    /// password typed where the catalog's type stands): a secret place of its own, shown as
    /// the mask, and the file holding it kept private.
    pub(crate) fn type_holds_credential(&self) -> bool {
        [&self.activity_name, &self.activity_id]
            .into_iter()
            .flatten()
            .any(|text| types_url_credential(text))
    }

    /// The output ports this activity has: its kind's, else those its widget drew.
    pub fn output_ports(&self) -> Option<Vec<String>> {
        known_ports(self.kind(), &self.settings).or_else(|| self.ports.clone())
    }

    pub(crate) fn text(&self, key: &str) -> Option<&str> {
        self.settings.get(key).and_then(Value::as_str)
    }

    pub(crate) fn description(&self) -> &str {
        self.text("description").unwrap_or("")
    }

    /// The HTTP view, for `http-request-v2`.
    pub fn http(&self) -> Option<HttpView<'_>> {
        (self.kind() == Kind::Http).then_some(HttpView(self))
    }

    /// A set-variable's assignments, in order: `setVariablesArray` when it has entries, else the
    /// single `srcVariable` / `expr` (older exports) [assumed: entries run in order, each seeing
    /// the ones before].
    pub(crate) fn assignments(&self) -> Vec<(String, String, String)> {
        let set_to = |e: &Value| {
            e.get("setTo")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let list: Vec<(String, String, String)> = self
            .settings
            .get("setVariablesArray")
            .and_then(Value::as_array)
            .map(|l| {
                l.iter()
                    .filter_map(|e| {
                        let variable = e.get("srcVariable")?.as_str()?.to_string();
                        let expr = e
                            .get("expr")
                            .and_then(Value::as_str)
                            .or_else(|| e.get("literal").and_then(Value::as_str))
                            .unwrap_or("");
                        Some((variable, expr.to_string(), set_to(e)))
                    })
                    .collect()
            })
            .unwrap_or_default();
        if !list.is_empty() {
            return list;
        }
        match self.text("srcVariable") {
            Some(v) if !v.is_empty() => vec![(
                v.to_string(),
                self.text("expr").unwrap_or("").to_string(),
                self.text("setTo").unwrap_or("").to_string(),
            )],
            _ => Vec::new(),
        }
    }

    /// What the activity cannot run without and does not have, for the kinds whose required
    /// settings are known: an HTTP request without a URL, a set-variable that assigns nothing.
    /// `run` stops there and `check` reports it, from this one rule.
    pub(crate) fn missing(&self) -> Option<&'static str> {
        match self.kind() {
            Kind::Http
                if self
                    .text("httpRequestUrl")
                    .is_none_or(|u| u.trim().is_empty()) =>
            {
                Some("it has no URL (`httpRequestUrl`)")
            }
            Kind::SetVariable if self.assignments().is_empty() => {
                Some("it assigns no variable (no `setVariablesArray` entry, no `srcVariable`)")
            }
            _ => None,
        }
    }
}

/// Typed reading of an `http-request-v2` activity's settings.
pub struct HttpView<'a>(&'a Activity);

impl<'a> HttpView<'a> {
    /// The method; GET, the kind's default, when not given (a spec leaves defaults out).
    pub fn method(&self) -> &'a str {
        self.0.text("httpRequestMethod").unwrap_or("GET")
    }
    /// The request URL, `{{variable}}` templates included; empty when not given.
    pub fn url(&self) -> &'a str {
        self.0.text("httpRequestUrl").unwrap_or("")
    }
    /// Header name -> value (non-text values skipped).
    pub fn headers(&self) -> Vec<(&'a str, &'a str)> {
        self.pairs("httpRequestHeaders")
    }
    /// Query parameter name -> value.
    pub fn query(&self) -> Vec<(&'a str, &'a str)> {
        self.pairs("httpQueryParameters")
    }
    /// The text members of the object setting `key`, by name.
    fn pairs(&self, key: &str) -> Vec<(&'a str, &'a str)> {
        let members = self.0.settings.get(key).and_then(Value::as_object);
        (members.into_iter().flatten())
            .filter_map(|(k, v)| Some((k.as_str(), v.as_str()?)))
            .collect()
    }
    /// `(variable, JSONPath)` pairs of `outputVariableArray`.
    pub fn outputs(&self) -> Vec<(&'a str, &'a str)> {
        output_array(self.0)
    }
}

/// `(outputVariable, jsonPathExp)` pairs of an activity's `outputVariableArray`.
pub(crate) fn output_array(activity: &Activity) -> Vec<(&str, &str)> {
    activity
        .settings
        .get("outputVariableArray")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|o| {
                    Some((
                        o.get("outputVariable")?.as_str()?,
                        o.get("jsonPathExp")?.as_str().unwrap_or(""),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Every property key real exports carry for a typed kind, with the value a new activity takes
/// (most are null until set). The `:type` / `_type` twins are included, as exports carry them.
/// `name`, `activityName`, `activityId` and `_renderRequestTimestamp` are written apart.
pub(crate) fn full_settings(kind: Kind) -> Vec<(&'static str, Value)> {
    let null = Value::Null;
    let mut all = kind_settings(kind);
    // [cisco] 2026 exports: every activity says its palette type and version; the logic kinds
    // say whether they may read secure values, on in Cisco's subflows [assumed: what the flag
    // decides is not published; Cisco's subflows, whose setting `flowDecryptAccess` is on, set
    // it on every activity that has it].
    let (activity_type, decrypt) = match kind {
        Kind::Http | Kind::SetVariable | Kind::Condition | Kind::Case | Kind::Parse => {
            ("logic", true)
        }
        Kind::Handoff => ("subflow", true),
        Kind::SubflowStart | Kind::SubflowEnd | Kind::End => ("logic", false),
        Kind::Start | Kind::Disconnect | Kind::Event | Kind::Other => return all,
    };
    all.push(("activityType", json!(activity_type)));
    all.push(("activityVersionNumber", null));
    if decrypt {
        all.push(("flowDecryptAccess", json!(true)));
    }
    all
}

/// The `:name` twins 2026 exports write beside a picked value: (key, twin). The twin repeats
/// the key's value; its `_name` copy is written as every colon twin's is.
pub(crate) fn name_twins(kind: Kind) -> &'static [(&'static str, &'static str)] {
    match kind {
        Kind::Http => &[
            ("httpRequestMethod", "httpRequestMethod:name"),
            ("contentType", "contentType:name"),
            ("httpContentType", "httpContentType:name"),
            ("connectorId", "connectorId:name"),
        ],
        Kind::Parse => &[("contentType", "contentType:name")],
        _ => &[],
    }
}

fn kind_settings(kind: Kind) -> Vec<(&'static str, Value)> {
    let null = Value::Null;
    match kind {
        Kind::Http => vec![
            ("description", json!("")),
            ("authenticated", json!(false)),
            ("connectorId", null.clone()),
            ("contentType", json!("JSON")),
            ("contentType:type", null.clone()),
            ("contentType_type", null.clone()),
            ("httpContentType", json!("Application/JSON")),
            ("httpContentType:type", null.clone()),
            ("httpContentType_type", null.clone()),
            ("httpQueryParameters", json!({})),
            ("httpRequestBody", null.clone()),
            ("httpRequestBodyFiles", null.clone()),
            ("httpRequestBodyFormData", null.clone()),
            ("httpRequestBodyGQL", null.clone()),
            // [cisco] written so by 2026 exports beside the content type's `:name` twin.
            ("httpContentType:name:name", json!("None")),
            ("httpRequestHeaders", json!({})),
            ("httpRequestMethod", json!("GET")),
            ("httpRequestMethod:type", null.clone()),
            ("httpRequestMethod_type", null.clone()),
            ("httpRequestPath", null.clone()),
            ("httpRequestUrl", json!("")),
            ("httpResponseTimeout", json!(2000)),
            ("outputVariableArray", json!([])),
            // 1 in every export seen: the editor's default; whether it counts attempts or
            // retries is not published.
            ("retryAttempts", json!(1)),
        ],
        Kind::SetVariable => vec![
            ("description", json!("")),
            ("srcVariable", json!("")),
            ("srcVariableType", json!("STRING")),
            ("setTo", json!("set-to-literal")),
            ("expr", json!("")),
            ("literal_invalid_error", json!(false)),
        ],
        Kind::Condition => vec![("description", json!("")), ("expression", json!(""))],
        Kind::Case => vec![
            ("description", json!("")),
            ("expression", json!("")),
            ("expression:radioName", json!("setToVariable")),
            ("expression_radioName", json!("setToVariable")),
            ("menuLinks", json!([])),
            ("menuLinks:input", json!([])),
            ("menuLinks_input", json!([])),
        ],
        Kind::Parse => vec![
            ("description", json!("")),
            ("inputVariable", json!("")),
            ("contentType", json!("JSON")),
            ("contentType:type", null.clone()),
            ("contentType_type", null.clone()),
            ("outputVariableArray", json!([])),
        ],
        // [cisco] the parent flow's handoffs: the subflow's name and ids, its version by tag
        // (`Latest`), automatic updates on (as on every handoff of the parent export), input
        // and output mappings.
        Kind::Handoff => vec![
            ("description", json!("")),
            ("subflowName", json!("")),
            ("subflowId", json!("")),
            (
                "subflowVersion",
                json!({"subflowId": "", "subflowTagId": "Latest", "subflowVersionId": ""}),
            ),
            ("automaticUpdates", json!(true)),
            ("subflowInputVariables", json!([])),
            ("subflowOutputVariables", json!([])),
        ],
        Kind::Start => vec![("event", json!("")), ("flowType", json!({}))],
        Kind::SubflowStart
        | Kind::End
        | Kind::SubflowEnd
        | Kind::Disconnect
        | Kind::Event
        | Kind::Other => Vec::new(),
    }
}

/// The `activityId` real exports give a kind whose activityId is not its activityName.
pub(crate) fn default_activity_id(kind: Kind, activity_name: &str) -> String {
    match kind {
        Kind::Start => "start".into(),
        // [cisco] every subflow export.
        Kind::SubflowStart => "start-subflow".into(),
        // Catalog id seen in every export.
        Kind::Disconnect => "5faa898c8bf5b65b82f0706b".into(),
        _ => activity_name.into(),
    }
}

/// The main process and each event flow's, with the scope name used in places.
pub(crate) fn processes(flow: &FdFlow) -> Vec<(Scope, &Process)> {
    let mut all = vec![(Scope::Main, &flow.process)];
    all.extend(
        flow.event_flows
            .iter()
            .map(|e| (Scope::Event(e.key.clone()), &e.process)),
    );
    all
}

/// Which process of a flow.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    /// The flow's main process.
    Main,
    /// An event flow's process, by its key in `eventsMap` (`GLOBAL_EVENTS`).
    Event(String),
}
