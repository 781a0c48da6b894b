//! The model written as a `FlowVersionRes`: every activity with the full property set real
//! exports carry for its kind (the `:type` / `_type` twins included), every link, and a
//! complete, consistent diagram (a widget per activity and per link, every port joined).
//!
//! Ids are UUIDs derived from the flow's name and the activity, port and link names (sha256,
//! shaped as RFC 9562 version 8), never random: same model, same bytes. A model read from an
//! export (or a spec decompiled from one) keeps the export's activity and link ids, widget
//! points and members beside the logic (the model's `Kept`), and those are written instead.
//!
//! The shape is that of Cisco's 2026 exports (the subflow templates in particular): their
//! top-level keys (`settings`, `associatedChannels`, `flowOutcome`), their variable keys
//! (`isExternalized`, `resourceType`) and, per activity, `activityType`,
//! `activityVersionNumber`, `flowDecryptAccess` and the `:name` / `_name` twins.
//!
//! Server-assigned fields are left empty for import to fill [inferred: the reference notes that
//! real exports carry them and that the server assigns them]: `orgId`, `id`, `flowId`,
//! `createdBy`, `lastModifiedBy` are "", `version` 1; the dates are left out, since Cisco's
//! schema types them as strings and no value but the server's would be true.

use super::layout::{self, PORT_STEP, PORT_TOP, WIDTH};
use super::model::*;
use super::schema::{FdValidator, PartRefs};
use serde_json::ser::Formatter;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// The diagram label real exports give every activity widget.
const WIDGET_LABEL: &str = "New Activity Widget in Diagram";

/// Writes the model as a `FlowVersionRes` value.
pub(crate) fn emit(flow: &FdFlow) -> Value {
    let plans = plans(flow);
    emit_with(flow, &plans, None)
}

/// The plan of each process of `flow`: the main one, then each event flow's, in order.
fn plans(flow: &FdFlow) -> Vec<Plan<'_>> {
    let main = Plan::new(
        &flow.name,
        "main".to_string(),
        &flow.process,
        flow.kept.process(None),
    );
    let events = flow.event_flows.iter().map(|event_flow| {
        let scope = format!("event:{}", event_flow.key);
        let kept = flow.kept.process(Some(&event_flow.key));
        Plan::new(&flow.name, scope, &event_flow.process, kept)
    });
    std::iter::once(main).chain(events).collect()
}

/// [`emit`] from the processes' plans (see [`plans`]); with `marked`, every part of every
/// process is a marker ([`emit_process`]).
fn emit_with(flow: &FdFlow, plans: &[Plan], mut marked: Option<&mut Marked>) -> Value {
    let mut emitted = plans
        .iter()
        .enumerate()
        .map(|(at, plan)| emit_process(plan, marked.as_deref_mut().map(|m| (m, at))));
    let Some(main) = emitted.next() else {
        return Value::Null;
    };
    let mut events = Map::new();
    for (event_flow, emitted) in flow.event_flows.iter().zip(emitted) {
        let on_events: Map<String, Value> = event_flow
            .on_events
            .iter()
            .filter_map(|(event, name)| Some((event.clone(), json!(emitted.ids.get(name)?))))
            .collect();
        let mut written = json!({
            "id": event_flow.key,
            "name": event_flow.name,
            "description": event_flow.description,
            "onEvents": on_events,
        });
        // Moved in, not copied as `json!` would.
        if let Value::Object(map) = &mut written {
            map.insert("process".into(), emitted.process);
            map.insert("diagram".into(), diagram(emitted.widgets, json!({})));
        }
        events.insert(event_flow.key.clone(), written);
    }
    let subflow = flow.flow_type.as_deref() == Some("SUBFLOW");
    let mut top = Map::new();
    let mut put = |key: &str, value: Value| {
        top.insert(key.to_string(), value);
    };
    put("orgId", json!(""));
    put("version", json!(1));
    put("id", json!(""));
    if let Some(t) = &flow.flow_type {
        put("flowType", json!(t));
    }
    put("name", json!(flow.name));
    put("description", json!(flow.description));
    put("comment", json!(flow.comment));
    put(
        "variables",
        Value::Array(
            flow.variables
                .iter()
                .map(|v| kept_over(variable(v), flow.kept.variables.get(&v.name)))
                .collect(),
        ),
    );
    put("process", main.process);
    put("diagram", diagram(main.widgets, canvas()));
    put("flowId", json!(""));
    // A 2026 subflow's event-flow shell is empty, its canvas too; flows keep theirs.
    let event_canvas = if subflow && events.is_empty() {
        json!({})
    } else {
        canvas()
    };
    put(
        "eventFlows",
        json!({ "eventsMap": events, "properties": event_canvas }),
    );
    put(
        "runtimeVariables",
        Value::Array(flow.runtime_variables.clone()),
    );
    put("validating", json!(true));
    put("persist", json!(true));
    put("validationResults", json!([]));
    // The dates are left out: Cisco's schema types them as strings, and only the server knows them.
    put("createdBy", json!(""));
    put("lastModifiedBy", json!(""));
    put(
        "variableOrders",
        flow.variable_orders
            .clone()
            .unwrap_or_else(empty_variable_orders),
    );
    put("settings", default_settings(flow));
    put("associatedChannels", json!([]));
    put("flowOutcome", Value::Null);
    // What an export carried beside the logic (ids, stamps, newer members), as it came.
    kept_over(Value::Object(top), Some(&flow.kept.top))
}

/// The flow settings written where an export gave none. Cisco's 2026 subflows carry the
/// decryption setting on (their activities read secure values); other flow settings (the
/// activity-wait prompt) are left to the editor's defaults.
pub(crate) fn default_settings(flow: &FdFlow) -> Value {
    if flow.flow_type.as_deref() == Some("SUBFLOW") {
        json!([{ "name": "flowDecryptAccess", "value": "true", "type": "BOOLEAN", "group": "decryption" }])
    } else {
        json!([])
    }
}

/// `value` (an object) with the kept members over its own: a key is a member's name, or a JSON
/// pointer (`/diagram/properties`) to a member deeper in, whose parent object is written.
fn kept_over(mut value: Value, kept: Option<&BTreeMap<String, Value>>) -> Value {
    for (k, v) in kept.into_iter().flatten() {
        let (parent, member) = match k.strip_prefix('/') {
            Some(_) => match k.rsplit_once('/') {
                Some((parent, last)) => (parent, last.replace("~1", "/").replace("~0", "~")),
                None => continue,
            },
            None => ("", k.clone()),
        };
        if let Some(Value::Object(map)) = value.pointer_mut(parent) {
            map.insert(member, v.clone());
        }
    }
    value
}

/// Pretty JSON with a trailing newline.
// `expect` below: a `Value` always serialises.
#[allow(clippy::expect_used)]
pub fn to_json(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("values serialise");
    text.push('\n');
    text
}

/// An object of the members given, their values moved in (`json!` copies every value it is
/// given).
fn object<const N: usize>(members: [(&str, Value); N]) -> Value {
    Value::Object(
        members
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    )
}

/// A diagram: its widgets (moved in) and its canvas.
fn diagram(widgets: Map<String, Value>, properties: Value) -> Value {
    let mut diagram = Map::new();
    diagram.insert("widgets".into(), Value::Object(widgets));
    diagram.insert("properties".into(), properties);
    Value::Object(diagram)
}

fn canvas() -> Value {
    // [cisco] 2026 exports draw on a grid of 20 (the 2023 ones and the 2024 hello-world, 0).
    json!({ "offsetX": 0, "offsetY": 0, "zoom": 100, "gridSize": 20 })
}

fn variable(v: &Variable) -> Value {
    json!({
        "name": v.name,
        "description": v.description,
        "type": v.kind,
        "value": v.value,
        "isCAD": v.is_cad,
        "desktopLabel": v.desktop_label,
        "isAgentEditable": v.is_agent_editable,
        "source": v.source,
        "isReportable": v.is_reportable,
        "overwrite": v.overwrite,
        "isSecure": v.is_secure,
        "id": "",
        "isExternalized": false,
        "resourceType": "",
    })
}

/// A UUID from a sha256 of the parts: version 8 (custom), RFC 9562 variant.
pub fn uuid(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"wxcflow.flow-designer");
    for part in parts {
        hasher.update([0x1f]);
        hasher.update(part.as_bytes());
    }
    let mut b: [u8; 16] = [0; 16];
    b.copy_from_slice(&hasher.finalize()[..16]);
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    // 8-4-4-4-12 lowercase hex digits, written without a string for each byte.
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(36);
    for (i, x) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push(char::from(DIGITS[usize::from(x >> 4)]));
        out.push(char::from(DIGITS[usize::from(x & 0x0f)]));
    }
    out
}

struct Emitted {
    process: Value,
    widgets: Map<String, Value>,
    /// Activity name -> id.
    ids: BTreeMap<String, String>,
}

/// An activity's properties: name and type keys, then the kind's full set with the
/// activity's own settings over it, and every colon twin's underscore copy.
pub(crate) fn properties(a: &Activity) -> Map<String, Value> {
    property_values(a)
        .into_iter()
        .map(|(k, v)| (k, v.into_owned()))
        .collect()
}

/// The names of [`properties`], without copying any value (a reader compares them with a
/// file's).
pub(crate) fn property_names(a: &Activity) -> impl Iterator<Item = String> + '_ {
    property_values(a).into_keys()
}

/// [`properties`] with the activity's own values borrowed.
fn property_values(a: &Activity) -> BTreeMap<String, Cow<'_, Value>> {
    let kind = a.kind();
    let mut props: BTreeMap<String, Cow<'_, Value>> = BTreeMap::new();
    props.insert("name".into(), Cow::Owned(json!(a.name)));
    if let Some(n) = &a.activity_name {
        props.insert("activityName".into(), Cow::Owned(json!(n)));
    }
    if let Some(id) = &a.activity_id {
        props.insert("activityId".into(), Cow::Owned(json!(id)));
    }
    // Exports carry a render timestamp; 0 keeps the bytes fixed.
    props.insert("_renderRequestTimestamp".into(), Cow::Owned(json!(0)));
    for (key, value) in full_settings(kind) {
        props.insert(key.into(), Cow::Owned(value));
    }
    for (key, value) in &a.settings {
        props.insert(key.clone(), Cow::Borrowed(value));
    }
    // 2026 exports repeat a picked value in a `:name` twin (`httpRequestMethod:name`).
    for &(key, twin) in name_twins(kind) {
        if !a.settings.contains_key(twin) {
            if let Some(value) = props.get(key).cloned() {
                props.insert(twin.to_string(), value);
            }
        }
    }
    // A description only when there is one to show (2026 exports leave the key out).
    if props.get("description").is_some_and(|d| **d == "")
        && !a.settings.contains_key("description")
    {
        props.remove("description");
    }
    let twins: Vec<(String, Cow<'_, Value>)> = props
        .iter()
        .filter_map(|(k, v)| {
            let (base, suffix) = k.split_once(':')?;
            Some((format!("{base}_{suffix}"), v.clone()))
        })
        .collect();
    for (key, value) in twins {
        props.entry(key).or_insert(value);
    }
    props
}

/// The group an activity is written with: its own (an export's, kept); its kind's when it has
/// none.
fn written_group(a: &Activity) -> String {
    match a.kind().group() {
        Some(g) if a.group.is_empty() => g.to_string(),
        _ => a.group.clone(),
    }
}

/// An activity as written under `process.activities`, but for its `properties`.
pub(crate) fn activity_shell(a: &Activity, id: &str) -> Value {
    json!({ "id": id, "name": a.name, "group": written_group(a) })
}

/// The output ports drawn for an activity: its kind's, else those given, plus any port a link
/// leaves from (so that every link has its port).
fn drawn_ports<'f>(a: &Activity, links: impl Iterator<Item = &'f Link>) -> Vec<String> {
    let mut ports = a.output_ports().unwrap_or_default();
    for link in links {
        if !ports.contains(&link.port) {
            ports.push(link.port.clone());
        }
    }
    ports
}

/// A port's name, position and id.
type PortAt = (String, (i64, i64), String);

/// One process as written: the ids, positions and ports every part of it is written from,
/// worked out once. A part (an activity, its widget, a link's widget) is then written from
/// these alone, so that it can be written when its place in the file comes, and dropped.
pub(crate) struct Plan<'f> {
    flow: &'f str,
    scope: String,
    process: &'f Process,
    kept: Option<&'f ProcessKept>,
    /// Activity name -> the places in the process's links of those leaving it, and of those
    /// entering it, in the model's order.
    links_out: FastMap<&'f str, Vec<usize>>,
    links_in: FastMap<&'f str, Vec<usize>>,
    positions: FastMap<&'f str, (i64, i64)>,
    /// Activity name -> id.
    ids: BTreeMap<String, String>,
    /// Activity name -> its widget's id.
    widget_ids: FastMap<&'f str, String>,
    /// Each link's widget's id, by the link's place in the process's links: a link's widget
    /// id is written three times (its widget, and the ports at both ends), made once.
    link_widget_ids: Vec<String>,
    /// Activity name -> each port it draws (`in` first) with the port's position and id.
    port_at: FastMap<&'f str, Vec<PortAt>>,
    /// Activity name -> its output ports, in the order drawn.
    ports_of: FastMap<&'f str, Vec<String>>,
}

impl<'f> Plan<'f> {
    fn new(
        flow: &'f str,
        scope: String,
        process: &'f Process,
        kept: Option<&'f ProcessKept>,
    ) -> Self {
        let size = process.activities.len();
        let mut links_out: FastMap<&str, Vec<usize>> = fast_map(size);
        let mut links_in: FastMap<&str, Vec<usize>> = fast_map(size);
        for (i, l) in process.links.iter().enumerate() {
            links_out.entry(&l.source).or_default().push(i);
            links_in.entry(&l.target).or_default().push(i);
        }
        // Ids and positions an export gave (see `Kept`) win over derived ones.
        let kept_activity = |name: &str| kept.and_then(|k| k.activities.get(name));
        let mut placed = layout::place(process);
        for a in &process.activities {
            if let Some(at) = kept_activity(&a.name).and_then(|k| k.at) {
                placed.insert(a.name.clone(), at);
            }
        }
        // Looked up by hash: each activity asks for its own place, every widget and port too.
        let positions = process
            .activities
            .iter()
            .filter_map(|a| Some((a.name.as_str(), *placed.get(&a.name)?)))
            .collect();
        let mut plan = Plan {
            flow,
            scope,
            process,
            kept,
            links_out,
            links_in,
            positions,
            ids: BTreeMap::new(),
            widget_ids: fast_map(size),
            link_widget_ids: Vec::with_capacity(process.links.len()),
            port_at: fast_map(size),
            ports_of: fast_map(size),
        };
        plan.link_widget_ids = process
            .links
            .iter()
            .map(|l| plan.id(&["link-widget", &l.source, &l.port, &l.target]))
            .collect();
        plan.ids = process
            .activities
            .iter()
            .map(|a| {
                let kept_id = kept_activity(&a.name).and_then(|k| k.id.clone());
                let aid = kept_id.unwrap_or_else(|| plan.id(&["activity", &a.name]));
                (a.name.clone(), aid)
            })
            .collect();
        // Port positions: `in` on the left, outputs stacked on the right.
        for a in &process.activities {
            let widget_id = plan.id(&["widget", &a.name]);
            plan.widget_ids.insert(&a.name, widget_id);
            let (x, y) = plan.position(&a.name);
            let leaving = plan.links_from(&a.name).map(|i| &process.links[i]);
            let ports = drawn_ports(a, leaving);
            // Each port placed where it is placed last (a port drawn twice, an activity named
            // twice), as a map keyed by activity and port keeps it.
            let mut at: Vec<PortAt> = plan.port_at.remove(a.name.as_str()).unwrap_or_default();
            let port_id = |port: &str| plan.id(&["port", &a.name, port]);
            let mut place = |port: &str, place: (i64, i64)| match at
                .iter_mut()
                .find(|(name, _, _)| name == port)
            {
                Some(existing) => existing.1 = place,
                None => at.push((port.to_string(), place, port_id(port))),
            };
            place("in", (x - 8, y + PORT_TOP));
            for (i, port) in ports.iter().enumerate() {
                place(port, (x + WIDTH, y + PORT_TOP + PORT_STEP * i as i64));
            }
            plan.port_at.insert(&a.name, at);
            plan.ports_of.insert(&a.name, ports);
        }
        plan
    }

    fn id(&self, parts: &[&str]) -> String {
        let mut all = vec![self.flow, self.scope.as_str()];
        all.extend_from_slice(parts);
        uuid(&all)
    }

    fn position(&self, name: &str) -> (i64, i64) {
        self.positions.get(name).copied().unwrap_or((0, 0))
    }

    /// The places in the process's links of those leaving `name`, in the model's order.
    fn links_from(&self, name: &str) -> impl Iterator<Item = usize> + '_ {
        self.links_out.get(name).into_iter().flatten().copied()
    }

    fn drawn_port(&self, name: &str, port: &str) -> Option<&PortAt> {
        self.port_at
            .get(name)
            .and_then(|ports| ports.iter().find(|(p, _, _)| p == port))
    }

    fn port_at(&self, name: &str, port: &str) -> (i64, i64) {
        self.drawn_port(name, port)
            .map(|(_, at, _)| *at)
            .unwrap_or_default()
    }

    fn widget_id(&self, name: &str) -> String {
        match self.widget_ids.get(name) {
            Some(id) => id.clone(),
            None => self.id(&["widget", name]),
        }
    }

    fn port_id(&self, name: &str, port: &str) -> String {
        match self.drawn_port(name, port) {
            Some((_, _, id)) => id.clone(),
            None => self.id(&["port", name, port]),
        }
    }

    fn link_id(&self, l: &Link) -> String {
        let key = (l.source.clone(), l.port.clone(), l.target.clone());
        self.kept
            .and_then(|k| k.links.get(&key).cloned())
            .unwrap_or_else(|| self.id(&["link", &l.source, &l.port, &l.target]))
    }

    /// The widget id of the link at `i` in the process's links.
    fn link_widget_id(&self, i: usize) -> String {
        match self.link_widget_ids.get(i) {
            Some(id) => id.clone(),
            None => self.process.links.get(i).map_or_else(String::new, |l| {
                self.id(&["link-widget", &l.source, &l.port, &l.target])
            }),
        }
    }

    /// The activity's properties as written: the kept absent ones left out.
    fn properties(&self, a: &Activity) -> Map<String, Value> {
        let mut props = properties(a);
        let kept = self.kept.and_then(|k| k.activities.get(&a.name));
        for key in kept.map_or(&[][..], |k| &k.absent) {
            props.remove(key);
        }
        props
    }

    /// The activity as written under `process.activities`, with its properties.
    fn activity(&self, a: &Activity, props: Map<String, Value>) -> Value {
        let mut activity = activity_shell(a, &self.ids[&a.name]);
        if let Value::Object(map) = &mut activity {
            map.insert("properties".into(), Value::Object(props));
        }
        activity
    }

    /// The activity's widget in the diagram, which shows `props` but for the underscore
    /// copies of colon twins.
    fn activity_widget(&self, a: &Activity, mut props: Map<String, Value>) -> Value {
        let copies: Vec<String> = props
            .keys()
            .filter(|k| {
                k.rsplit_once('_')
                    .is_some_and(|(base, s)| props.contains_key(&format!("{base}:{s}")))
            })
            .cloned()
            .collect();
        for copy in &copies {
            props.remove(copy);
        }
        let mut ports = Vec::new();
        let port = |name: &str, source: bool, links: Vec<String>, alignment: &str| {
            let (x, y) = self.port_at(&a.name, name);
            object([
                ("portId", Value::String(self.port_id(&a.name, name))),
                ("isSourcePort", Value::Bool(source)),
                ("linkId", links.first().map_or(Value::Null, |l| json!(l))),
                ("type", json!("arrow")),
                (
                    "links",
                    Value::Array(links.into_iter().map(Value::String).collect()),
                ),
                (
                    "properties",
                    object([
                        ("x", json!(x)),
                        ("y", json!(y)),
                        ("name", json!(name)),
                        ("label", json!(name)),
                        ("alignment", json!(alignment)),
                    ]),
                ),
            ])
        };
        if !a.kind().is_entry() {
            let incoming: Vec<String> = self
                .links_in
                .get(a.name.as_str())
                .into_iter()
                .flatten()
                .map(|&i| self.link_widget_id(i))
                .collect();
            // Real exports mark the `in` port as the source port and outputs as not.
            ports.push(port("in", true, incoming, "left"));
        }
        for name in self.ports_of.get(a.name.as_str()).into_iter().flatten() {
            let outgoing: Vec<String> = self
                .links_from(&a.name)
                .filter(|&i| self.process.links.get(i).is_some_and(|l| &l.port == name))
                .map(|i| self.link_widget_id(i))
                .collect();
            ports.push(port(name, false, outgoing, "right"));
        }
        let (x, y) = self.position(&a.name);
        let mut widget = json!({
            "id": self.widget_id(&a.name),
            "type": written_group(a),
            "widgetType": "activity",
            "label": WIDGET_LABEL,
            "point": { "x": x, "y": y },
        });
        // Moved in, not copied as `json!` would.
        if let Value::Object(map) = &mut widget {
            map.insert("ports".into(), Value::Array(ports));
            map.insert("properties".into(), Value::Object(props));
        }
        widget
    }

    /// The link as written under `process.links`, with its id; none when an end is not an
    /// activity of the process.
    fn link(&self, l: &Link) -> Option<(String, Value)> {
        let (source, target) = (self.ids.get(&l.source)?, self.ids.get(&l.target)?);
        let lid = self.link_id(l);
        let link = json!({
            "id": lid,
            "sourceActivityId": source,
            "targetActivityId": target,
            "conditionExpr": l.port,
            "properties": { "value": l.port },
        });
        Some((lid, link))
    }

    /// The link's widget in the diagram.
    fn link_widget(&self, i: usize, l: &Link) -> Value {
        let from = self.port_at(&l.source, &l.port);
        let to = self.port_at(&l.target, "in");
        // Two points, the link's ends, as Cisco's exports draw every link.
        let points: Vec<Value> = [from, to]
            .iter()
            .enumerate()
            .map(|(i, (x, y))| {
                let id = self.id(&["point", &l.source, &l.port, &l.target, &i.to_string()]);
                object([
                    ("id", Value::String(id)),
                    ("type", json!("point")),
                    ("x", json!(x)),
                    ("y", json!(y)),
                ])
            })
            .collect();
        let properties = object([
            ("curvyness", json!(50)),
            ("selected", json!(false)),
            ("color", json!("gray")),
            ("width", json!(1)),
            ("selectedColor", json!("rgb(0,192,255)")),
            ("points", Value::Array(points)),
        ]);
        let end = |port: String, widget: String, (x, y): (i64, i64)| {
            object([
                ("id", Value::String(port)),
                ("activeWidgetId", Value::String(widget)),
                ("point", object([("x", json!(x)), ("y", json!(y))])),
            ])
        };
        object([
            ("id", Value::String(self.link_widget_id(i))),
            ("type", json!("arrow")),
            ("widgetType", json!("link")),
            ("label", json!("")),
            ("properties", properties),
            ("points", json!([])),
            (
                "sourcePort",
                end(
                    self.port_id(&l.source, &l.port),
                    self.widget_id(&l.source),
                    from,
                ),
            ),
            (
                "targetPort",
                end(self.port_id(&l.target, "in"), self.widget_id(&l.target), to),
            ),
        ])
    }

    /// One part, written whole.
    fn part(&self, part: Part) -> Value {
        match part {
            Part::Activity(i) => {
                let a = &self.process.activities[i];
                self.activity(a, self.properties(a))
            }
            Part::ActivityWidget(i) => {
                let a = &self.process.activities[i];
                self.activity_widget(a, self.properties(a))
            }
            Part::LinkWidget(i) => self.link_widget(i, &self.process.links[i]),
        }
    }
}

/// A part of a process that is written on its own: an activity, its widget, a link's widget
/// (by their places in the process's lists).
#[derive(Clone, Copy, Debug)]
enum Part {
    Activity(usize),
    ActivityWidget(usize),
    LinkWidget(usize),
}

/// The parts a skeleton's markers stand for: (the plan's place in the list of plans, part).
/// Where the parts of a process go while its outline is made, each is a marker: the number
/// of its part in this list (a number allocates nothing; the members an export kept for a
/// part are found by its place, see [`KeptOverParts`]).
#[derive(Default)]
struct Marked {
    parts: Vec<(usize, Part)>,
}

impl Marked {
    fn mark(&mut self, plan: usize, part: Part) -> Value {
        let marker = json!(self.parts.len());
        self.parts.push((plan, part));
        marker
    }
}

/// Writes a process: every part whole, or (with `marked` and the plan's place in the list of
/// plans) a marker in each part's place. The same inserts in the same order either way, so
/// that an id given twice leaves the same part in its place.
fn emit_process(plan: &Plan, mut marked: Option<(&mut Marked, usize)>) -> Emitted {
    // Gathered in order and made maps at the end: sorted once rather than inserted one by
    // one, with the same result (of an id given twice, the last part inserted stays).
    let mut activities = Vec::with_capacity(plan.process.activities.len());
    let mut widgets = Vec::with_capacity(plan.process.activities.len() + plan.process.links.len());
    for (i, a) in plan.process.activities.iter().enumerate() {
        let aid = &plan.ids[&a.name];
        let (activity, widget) = match &mut marked {
            Some((marked, at)) => (
                marked.mark(*at, Part::Activity(i)),
                marked.mark(*at, Part::ActivityWidget(i)),
            ),
            None => {
                let props = plan.properties(a);
                let widget = plan.activity_widget(a, props.clone());
                (plan.activity(a, props), widget)
            }
        };
        activities.push((aid.clone(), activity));
        widgets.push((aid.clone(), widget));
    }
    let mut links = Vec::new();
    for (i, l) in plan.process.links.iter().enumerate() {
        let Some((lid, link)) = plan.link(l) else {
            continue;
        };
        links.push(link);
        let widget = match &mut marked {
            Some((marked, at)) => marked.mark(*at, Part::LinkWidget(i)),
            None => plan.link_widget(i, l),
        };
        widgets.push((lid, widget));
    }
    let mut process = Map::new();
    process.insert(
        "activities".into(),
        Value::Object(activities.into_iter().collect()),
    );
    process.insert("links".into(), Value::Array(links));
    Emitted {
        process: Value::Object(process),
        widgets: widgets.into_iter().collect(),
        ids: plan.ids.clone(),
    }
}

/// The model written as pretty JSON with a trailing newline, exactly as
/// `to_json(&emit(flow))` writes it, when the file is valid against the schema; `None` when it
/// is not, or when this way cannot tell (the caller then writes and checks the whole value, to
/// say what is wrong as it always has).
///
/// The file is never held as one value: its outline is (everything but the activities and the
/// diagram widgets, which are most of its bytes), and the activities and widgets are made a
/// batch at a time (on every core, see [`Writer::write_parts`]), each checked against its
/// definition in the schema, printed and dropped, leaving what the cross-reference check reads
/// of it (a few strings, [`PartRefs`]); the text of a round of batches waits to be joined in
/// order. The outline is then checked against the schema with activities and widgets left to
/// those checks, and the cross-references on those strings, as the schema's keyword reads
/// them. A file passes both exactly when it passes the whole schema: the schema reaches
/// activities and widgets only through `#/definitions/activity` and `#/definitions/widget`
/// (a unit test holds it to that).
pub(crate) fn write_checked(flow: &FdFlow, validator: &FdValidator) -> Option<String> {
    let (bytes, _) = write_checked_in_batches(flow, validator, BATCH, true)?;
    String::from_utf8(bytes).ok()
}

/// What [`write_checked`] finds, for a check that writes nothing: the length of the file it
/// would write, when every part of it passes the schema; the parts are written only to be
/// measured, and none is kept.
pub(crate) fn checked_length(flow: &FdFlow, validator: &FdValidator) -> Option<usize> {
    write_checked_in_batches(flow, validator, BATCH, false).map(|(_, length)| length)
}

/// The parts in a batch: about 2 MB written (7.5 KB an activity).
const BATCH: usize = 256;

/// [`write_checked`], the parts made and written `batch` at a time on each thread: the bytes
/// (the parts among them when `keep`) and the whole file's length.
fn write_checked_in_batches(
    flow: &FdFlow,
    validator: &FdValidator,
    batch: usize,
    keep: bool,
) -> Option<(Vec<u8>, usize)> {
    if !kept_fits(&flow.kept.top) {
        return None;
    }
    let plans = plans(flow);
    let mut marked = Marked::default();
    // The members kept over parts land on numbers there, and are left out: written over
    // each part as it is made.
    let skeleton = emit_with(flow, &plans, Some(&mut marked));
    let kept = kept_over_parts(&flow.kept.top);
    let writer = Writer {
        plans: &plans,
        marked: &marked,
        kept: &kept,
        validator,
        batch: batch.max(1),
        keep,
        left_out: std::sync::atomic::AtomicUsize::new(0),
    };
    let mut outlines: Vec<Option<PartRefs>> = std::iter::repeat_with(|| None)
        .take(marked.parts.len())
        .collect();
    // About what a file of this size takes (15 KB an activity at 10,000 nodes), so that the
    // buffer is rarely grown.
    let activities: usize = plans.iter().map(|p| p.process.activities.len()).sum();
    let mut out = Vec::with_capacity(4096 + if keep { activities * 8192 } else { 0 });
    // The outline is checked against the schema beside the writing of the parts; their
    // cross-references once every part is written.
    let (written, outline_valid) = super::beside(
        || writer.write(&mut out, &mut outlines, &skeleton, Place::Top, "", 0),
        || validator.outline_is_valid(&skeleton),
    );
    written?;
    let part = |value: &Value| marker(value).and_then(|n| outlines.get(n)?.as_ref());
    if !(outline_valid && validator.outline_references_hold(&skeleton, part)?) {
        return None;
    }
    out.push(b'\n');
    let length = out.len() + writer.left_out.into_inner();
    Some((out, length))
}

/// Whether every member kept from an export (`kept`, see [`kept_over`]) lands where
/// [`write_checked`] can place it: beside the processes' parts, or as a member of one part
/// (written over it as it is made); not over a part whole, inside one, or over what holds
/// them.
fn kept_fits(kept: &BTreeMap<String, Value>) -> bool {
    kept.keys().all(|key| {
        let path: Vec<String> = match key.strip_prefix('/') {
            Some(pointer) => pointer
                .split('/')
                .map(|s| s.replace("~1", "/").replace("~0", "~"))
                .collect(),
            None => vec![key.clone()],
        };
        let regions: [&[&str]; 4] = [
            &["process", "activities"],
            &["diagram", "widgets"],
            &["eventFlows", "eventsMap", "*", "process", "activities"],
            &["eventFlows", "eventsMap", "*", "diagram", "widgets"],
        ];
        let matches = |step: &String, pattern: &&str| *pattern == "*" || step == pattern;
        regions.iter().all(|region| {
            let shared = path
                .iter()
                .zip(region.iter())
                .take_while(|(step, pattern)| matches(step, pattern))
                .count();
            if shared < region.len() {
                // Beside the region, or over it or what holds it.
                return shared < path.len().min(region.len());
            }
            // A member of one part, and no deeper.
            path.len() == region.len() + 2
        })
    })
}

/// The part a marker stands for, by its place in [`Marked`]'s list.
fn marker(value: &Value) -> Option<usize> {
    value.as_u64().and_then(|n| usize::try_from(n).ok())
}

/// The members an export kept over its parts (`kept`'s pointers to a member of an activity or
/// a widget, see [`kept_fits`]), by the pointer to the part's region, then the part's id.
type KeptOverParts<'k> = BTreeMap<String, BTreeMap<String, Vec<(String, &'k Value)>>>;

fn kept_over_parts(kept: &BTreeMap<String, Value>) -> KeptOverParts<'_> {
    let mut over: KeptOverParts = BTreeMap::new();
    for (key, value) in kept {
        let Some((part, member)) = key.rsplit_once('/') else {
            continue;
        };
        let Some((region, id)) = part.rsplit_once('/') else {
            continue;
        };
        if !(region.ends_with("/process/activities") || region.ends_with("/diagram/widgets")) {
            continue;
        }
        let unescape = |s: &str| s.replace("~1", "/").replace("~0", "~");
        over.entry(region.to_string())
            .or_default()
            .entry(unescape(id))
            .or_default()
            .push((unescape(member), value));
    }
    over
}

/// What [`write_checked`] writes with.
struct Writer<'w, 'f> {
    plans: &'w [Plan<'f>],
    marked: &'w Marked,
    kept: &'w KeptOverParts<'f>,
    validator: &'w FdValidator,
    /// How many parts a thread makes and writes at a time.
    batch: usize,
    /// Whether the parts' bytes are kept (else only counted, in `left_out`).
    keep: bool,
    left_out: std::sync::atomic::AtomicUsize,
}

impl Writer<'_, '_> {
    /// The part a marker stands for (with id `id` in the region at `region`, a JSON
    /// pointer), written whole, with the members kept for it over its own, and checked
    /// against its definition in the schema; `None` when it is not valid.
    fn part(&self, marker_value: &Value, region: &str, id: &str) -> Option<(usize, Value)> {
        let n = marker(marker_value)?;
        let &(plan, part) = self.marked.parts.get(n)?;
        let mut value = self.plans.get(plan)?.part(part);
        let kept = self.kept.get(region).and_then(|ids| ids.get(id));
        if let (Value::Object(value), Some(kept)) = (&mut value, kept) {
            for (k, v) in kept {
                value.insert(k.clone(), (*v).clone());
            }
        }
        let valid = match part {
            Part::Activity(_) => self.validator.activity_is_valid(&value),
            Part::ActivityWidget(_) | Part::LinkWidget(_) => self.validator.widget_is_valid(&value),
        };
        valid.then_some((n, value))
    }

    /// What the cross-reference check reads of the part at `n`, written as `value`.
    fn outline(&self, n: usize, value: &Value) -> PartRefs {
        match self.marked.parts.get(n) {
            Some((_, Part::Activity(_))) => PartRefs::of_activity(value),
            _ => PartRefs::of_widget(value),
        }
    }

    /// Writes `value`, the skeleton's value at `place` and `pointer`, `depth` objects deep,
    /// each marker in a region of parts replaced by its part, and keeps what the
    /// cross-reference check reads of each part in `outlines`; `None` when a part is not valid.
    fn write(
        &self,
        out: &mut Vec<u8>,
        outlines: &mut [Option<PartRefs>],
        value: &Value,
        place: Place,
        pointer: &str,
        depth: usize,
    ) -> Option<()> {
        let map = match value {
            Value::Object(map) if place != Place::Plain => map,
            _ => return write_value(out, value, depth),
        };
        if place == Place::Parts {
            return self.write_parts(out, outlines, map, pointer, depth);
        }
        let mut layout = Nested::at(depth);
        layout.begin_object(out).ok()?;
        for (i, (key, value)) in map.iter().enumerate() {
            layout.begin_object_key(out, i == 0).ok()?;
            serde_json::to_writer(&mut *out, key).ok()?;
            layout.begin_object_value(out).ok()?;
            let place = match (place, key.as_str()) {
                (Place::Top | Place::EventFlow, "process") => Place::Process,
                (Place::Top | Place::EventFlow, "diagram") => Place::Diagram,
                (Place::Top, "eventFlows") => Place::EventFlows,
                (Place::EventFlows, "eventsMap") => Place::EventsMap,
                (Place::EventsMap, _) => Place::EventFlow,
                (Place::Process, "activities") | (Place::Diagram, "widgets") => Place::Parts,
                _ => Place::Plain,
            };
            let pointer = match place {
                Place::Plain => String::new(),
                _ => format!("{pointer}/{}", key.replace('~', "~0").replace('/', "~1")),
            };
            self.write(out, outlines, value, place, &pointer, depth + 1)?;
            layout.end_object_value(out).ok()?;
        }
        layout.end_object(out).ok()
    }

    /// Writes a region of parts (`map`: id -> marker): each part made, checked and written a
    /// batch at a time on this thread and on threads started beside it (one a core but this
    /// one's, at most seven; none when none can be started), and joined in the map's order, so
    /// that the bytes are those of one thread.
    fn write_parts(
        &self,
        out: &mut Vec<u8>,
        outlines: &mut [Option<PartRefs>],
        map: &Map<String, Value>,
        region: &str,
        depth: usize,
    ) -> Option<()> {
        use std::sync::atomic::{AtomicUsize, Ordering};
        // A round holds a few batches for each thread, written out before the next round is
        // made, so that memory stays at a round's worth whatever the flow's size.
        const ROUND: usize = 8;
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(ROUND));
        let batch_size = self.batch;
        let entries: Vec<(&String, &Value)> = map.iter().collect();
        let mut layout = Nested::at(depth);
        layout.begin_object(out).ok()?;
        for (r, round) in entries.chunks(batch_size * ROUND).enumerate() {
            let batches: Vec<&[(&String, &Value)]> = round.chunks(batch_size).collect();
            // Each thread takes the next batch no thread has taken, until none is left: a
            // thread that could not be started takes none.
            let next = AtomicUsize::new(0);
            let work = || {
                let mut done = Vec::new();
                loop {
                    let b = next.fetch_add(1, Ordering::Relaxed);
                    let Some(batch) = batches.get(b) else {
                        return done;
                    };
                    let first = r == 0 && b == 0;
                    done.push((b, self.write_batch(batch, first, region, depth + 1)));
                }
            };
            let mut written = std::thread::scope(|scope| {
                // No more threads than batches: a small flow's one batch is written here.
                let helpers: Vec<_> = (1..threads.min(batches.len()))
                    .filter_map(|_| {
                        std::thread::Builder::new()
                            .stack_size(super::BESIDE_STACK)
                            .spawn_scoped(scope, work)
                            .ok()
                    })
                    .collect();
                let mut done = work();
                for helper in helpers {
                    match helper.join() {
                        Ok(theirs) => done.extend(theirs),
                        Err(panic) => std::panic::resume_unwind(panic),
                    }
                }
                done
            });
            written.sort_unstable_by_key(|(b, _)| *b);
            for (_, batch) in written {
                let batch = batch?;
                if self.keep {
                    out.extend_from_slice(&batch.bytes);
                } else {
                    self.left_out
                        .fetch_add(batch.bytes.len(), Ordering::Relaxed);
                }
                for (n, refs) in batch.outlines {
                    *outlines.get_mut(n)? = Some(refs);
                }
            }
        }
        layout.has_value = !entries.is_empty();
        layout.end_object(out).ok()
    }

    /// One batch of [`Writer::write_parts`]: its members, each `"id": part`, as they are
    /// written in their object at `depth` (`first`: the batch begins the object).
    fn write_batch(
        &self,
        batch: &[(&String, &Value)],
        first: bool,
        region: &str,
        depth: usize,
    ) -> Option<Written> {
        let mut written = Written {
            bytes: Vec::with_capacity(batch.len() * 8192),
            outlines: Vec::with_capacity(batch.len()),
        };
        let mut layout = Nested::at(depth);
        for (i, (id, marker)) in batch.iter().enumerate() {
            let (n, part) = self.part(marker, region, id)?;
            layout
                .begin_object_key(&mut written.bytes, first && i == 0)
                .ok()?;
            serde_json::to_writer(&mut written.bytes, id).ok()?;
            layout.begin_object_value(&mut written.bytes).ok()?;
            write_value(&mut written.bytes, &part, depth)?;
            written.outlines.push((n, self.outline(n, &part)));
        }
        Some(written)
    }
}

/// A batch of parts written: their bytes, and what the cross-reference check reads of each
/// (by its marker).
struct Written {
    bytes: Vec<u8>,
    outlines: Vec<(usize, PartRefs)>,
}

/// Writes `value` as serde_json's pretty printer does, `depth` objects or arrays deep.
fn write_value(out: &mut Vec<u8>, value: &Value, depth: usize) -> Option<()> {
    let mut serializer = serde_json::Serializer::with_formatter(out, Nested::at(depth));
    serde::Serialize::serialize(value, &mut serializer).ok()
}

/// Where in the file a value is, as far as [`write_checked`] needs to know.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    Top,
    EventFlows,
    EventsMap,
    EventFlow,
    Process,
    Diagram,
    /// A process's activities or a diagram's widgets: each value a marker.
    Parts,
    /// Anything else: written as it is.
    Plain,
}

/// serde_json's pretty layout (`PrettyFormatter`: two spaces an indent, `": "` after a key),
/// starting `indent` objects or arrays deep: a value written on its own lands byte for byte
/// as it would in the whole file, so that parts can be written apart (and on other threads)
/// and joined.
struct Nested {
    indent: usize,
    has_value: bool,
}

impl Nested {
    fn at(indent: usize) -> Self {
        Nested {
            indent,
            has_value: false,
        }
    }

    fn newline<W: ?Sized + std::io::Write>(&self, writer: &mut W) -> std::io::Result<()> {
        const SPACES: &[u8] = &[b' '; 64];
        writer.write_all(b"\n")?;
        let mut left = self.indent * 2;
        while left > 0 {
            let n = left.min(SPACES.len());
            writer.write_all(&SPACES[..n])?;
            left -= n;
        }
        Ok(())
    }

    fn open<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        bracket: &[u8],
    ) -> std::io::Result<()> {
        self.indent += 1;
        self.has_value = false;
        w.write_all(bracket)
    }

    fn close<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        bracket: &[u8],
    ) -> std::io::Result<()> {
        self.indent = self.indent.saturating_sub(1);
        if self.has_value {
            self.newline(w)?;
        }
        w.write_all(bracket)
    }

    fn member<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        if !first {
            w.write_all(b",")?;
        }
        self.newline(w)
    }
}

impl serde_json::ser::Formatter for Nested {
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"[")
    }
    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"]")
    }
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.member(w, first)
    }
    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"{")
    }
    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"}")
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.member(w, first)
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b": ")
    }
    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::SourceFile;

    /// Every Flow Designer file among the fixtures, read.
    fn fixture_flows() -> Vec<(String, FdFlow)> {
        let mut flows = Vec::new();
        let mut dirs = vec![std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/flow-designer"
        ))];
        while let Some(dir) = dirs.pop() {
            let mut entries: Vec<_> = std::fs::read_dir(&dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            entries.sort();
            for path in entries {
                if path.is_dir() {
                    dirs.push(path);
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                let name = path.display().to_string();
                if let Ok(flow) = FdFlow::read(&SourceFile::new(name.clone(), text)) {
                    flows.push((name, flow));
                }
            }
        }
        assert!(flows.len() >= 20, "{} fixtures read", flows.len());
        flows
    }

    /// What writing part by part gives, against the whole file written and checked at once.
    fn agrees(name: &str, flow: &FdFlow, validator: &FdValidator) -> bool {
        let whole = emit(flow);
        let valid = validator.validate(&whole).is_empty();
        let expected = valid.then(|| to_json(&whole));
        let written = write_checked(flow, validator);
        assert_eq!(written, expected, "{name}");
        // A check measures what a build writes.
        let length = expected.as_ref().map(String::len);
        assert_eq!(checked_length(flow, validator), length, "{name}");
        // Batches of one, two and three parts: many rounds, each of many batches, joined
        // (a batch that starts the region, one that ends it, a last one cut short), kept or
        // only measured.
        for batch in [1, 2, 3] {
            let written = write_checked_in_batches(flow, validator, batch, true)
                .map(|(bytes, length)| (String::from_utf8(bytes).unwrap(), length));
            let both = expected.clone().zip(length);
            assert_eq!(written, both, "{name} in batches of {batch}");
            let measured = write_checked_in_batches(flow, validator, batch, false);
            assert_eq!(
                measured.map(|(_, l)| l),
                length,
                "{name} in batches of {batch}"
            );
        }
        valid
    }

    fn json_value() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            "[a-z\\n\"é]{0,4}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 32, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::btree_map("[a-z/~]{0,3}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        /// A value written on its own at its depth is the bytes serde_json's pretty printer
        /// writes for it inside the whole: at the top, in an array, two objects deep.
        #[test]
        fn a_value_written_at_its_depth_is_what_the_pretty_printer_writes(value in json_value()) {
            let mut alone = Vec::new();
            write_value(&mut alone, &value, 0).unwrap();
            assert_eq!(String::from_utf8(alone).unwrap(), serde_json::to_string_pretty(&value).unwrap());
            let whole = serde_json::to_string_pretty(&json!({"a": {"b": value}})).unwrap();
            let mut nested = Vec::new();
            write_value(&mut nested, &value, 2).unwrap();
            let nested = String::from_utf8(nested).unwrap();
            assert_eq!(whole, format!("{{\n  \"a\": {{\n    \"b\": {nested}\n  }}\n}}"));
            let whole = serde_json::to_string_pretty(&json!([value])).unwrap();
            let mut nested = Vec::new();
            write_value(&mut nested, &value, 1).unwrap();
            let nested = String::from_utf8(nested).unwrap();
            assert_eq!(whole, format!("[\n  {nested}\n]"));
        }
    }

    #[test]
    fn written_part_by_part_is_the_whole_file_and_refused_when_it_is() {
        let validator = FdValidator::new();
        let mut valid = 0;
        for (name, flow) in fixture_flows() {
            valid += usize::from(agrees(&name, &flow, &validator));
        }
        assert!(valid >= 20, "{valid} valid");
        // Broken on purpose: each way the whole file breaks the schema, the parts must too.
        type Break = fn(&mut FdFlow);
        let breaks: Vec<(&str, Break)> = vec![
            ("an activity's setting of the wrong type", |f| {
                let http = f
                    .process
                    .activities
                    .iter_mut()
                    .find(|a| a.kind() == Kind::Http);
                let http = http.unwrap();
                http.settings.insert("retryAttempts".into(), json!(true));
            }),
            ("an activity's group kept as null", |f| {
                let id = f.process.activities[1].origin.clone().unwrap();
                f.kept
                    .top
                    .insert(format!("/process/activities/{id}/group"), Value::Null);
            }),
            ("two links given one id", |f| {
                let links: Vec<(String, String, String)> =
                    f.kept.main.links.keys().cloned().collect();
                let id = f.kept.main.links[&links[0]].clone();
                f.kept.main.links.insert(links[1].clone(), id);
            }),
            ("two activities given one id", |f| {
                let names: Vec<String> = f.kept.main.activities.keys().cloned().collect();
                let id = f.kept.main.activities[&names[0]].id.clone();
                f.kept.main.activities.get_mut(&names[1]).unwrap().id = id;
            }),
            ("a link to an activity that is not there", |f| {
                f.process.links[0].target = "nowhere".into();
            }),
            ("a variable of an unknown type", |f| {
                f.variables[0].kind = "TEXT".into();
            }),
            ("the canvas kept as text", |f| {
                f.kept
                    .top
                    .insert("/diagram/properties".into(), json!("wide"));
            }),
            ("a widget kept whole", |f| {
                let id = f.process.activities[0].origin.clone().unwrap();
                f.kept
                    .top
                    .insert(format!("/diagram/widgets/{id}"), json!({}));
            }),
            ("a widget's member kept deeper in", |f| {
                let id = f.process.activities[0].origin.clone().unwrap();
                f.kept
                    .top
                    .insert(format!("/diagram/widgets/{id}/point/x"), json!("left"));
            }),
        ];
        let export = include_str!("../../fixtures/flow-designer/exports/token-subflow.json");
        let read = FdFlow::read(&SourceFile::new("token-subflow.json", export)).unwrap();
        assert!(agrees("token-subflow.json", &read, &validator));
        // Members kept over parts, written over each as it is made: valid ones are written.
        let mut kept = read.clone();
        let id = kept.process.activities[0].origin.clone().unwrap();
        let escaped = format!("{id}~1x");
        kept.kept
            .top
            .insert(format!("/diagram/widgets/{id}/label"), json!("kept"));
        kept.kept
            .top
            .insert(format!("/process/activities/{id}/group"), json!("action"));
        kept.kept
            .top
            .insert(format!("/diagram/widgets/{escaped}/label"), json!("none"));
        assert!(agrees("kept over parts", &kept, &validator));
        let written = write_checked(&kept, &validator).unwrap();
        assert!(written.contains("\"label\": \"kept\""));
        for (what, break_it) in breaks {
            let mut flow = read.clone();
            break_it(&mut flow);
            let whole = emit(&flow);
            let valid = validator.validate(&whole).is_empty();
            assert!(!valid, "{what}: the whole file is still valid");
            agrees(what, &flow, &validator);
        }
    }

    #[test]
    fn of_two_activities_given_one_id_the_later_is_written_under_it() {
        let export = include_str!("../../fixtures/flow-designer/exports/token-subflow.json");
        let mut flow = FdFlow::read(&SourceFile::new("token-subflow.json", export)).unwrap();
        let [first, second] = [0, 1].map(|i| flow.process.activities[i].name.clone());
        let id = flow.kept.main.activities[&first].id.clone().unwrap();
        flow.kept.main.activities.get_mut(&second).unwrap().id = Some(id.clone());
        let written = emit(&flow);
        let name = |region: &str, member: &str| {
            let at = format!(
                "/{region}/{}/{member}",
                id.replace('~', "~0").replace('/', "~1")
            );
            written.pointer(&at).cloned()
        };
        assert_eq!(name("process/activities", "name"), Some(json!(second)));
        assert_eq!(
            name("diagram/widgets", "properties/name"),
            Some(json!(second))
        );
    }

    #[test]
    fn kept_members_fit_beside_the_parts_or_as_a_member_of_one() {
        let fits = |key: &str| kept_fits(&BTreeMap::from([(key.to_string(), Value::Null)]));
        for key in [
            "id",
            "settings",
            "/diagram/properties",
            "/process/activities/abc/group",
            "/diagram/widgets/abc/label",
            "/eventFlows/eventsMap/GLOBAL_EVENTS/diagram/properties",
            "/eventFlows/eventsMap/GLOBAL_EVENTS/process/activities/abc/group",
        ] {
            assert!(fits(key), "{key}");
        }
        for key in [
            "process",
            "diagram",
            "eventFlows",
            "/process/activities",
            "/process/activities/abc",
            "/process/activities/abc/properties/name",
            "/diagram/widgets/abc",
            "/eventFlows/eventsMap",
            "/eventFlows/eventsMap/GLOBAL_EVENTS",
            "/eventFlows/eventsMap/GLOBAL_EVENTS/process",
            "/eventFlows/eventsMap/GLOBAL_EVENTS/diagram/widgets/abc",
        ] {
            assert!(!fits(key), "{key}");
        }
    }

    #[test]
    fn uuids_are_stable_and_shaped_as_version_8() {
        let a = uuid(&["GetOAuthToken", "main", "activity", "fetch_token"]);
        assert_eq!(
            a,
            uuid(&["GetOAuthToken", "main", "activity", "fetch_token"])
        );
        assert_ne!(
            a,
            uuid(&["GetOAuthToken", "main", "activity", "fetch_tokens"])
        );
        // Parts are separated: ("ab", "c") is not ("a", "bc").
        assert_ne!(uuid(&["ab", "c"]), uuid(&["a", "bc"]));
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "8");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"));
    }
}
