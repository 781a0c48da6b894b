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
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// The diagram label real exports give every activity widget.
const WIDGET_LABEL: &str = "New Activity Widget in Diagram";

/// Writes the model as a `FlowVersionRes` value.
pub(crate) fn emit(flow: &FdFlow) -> Value {
    let main = emit_process(&flow.name, "main", &flow.process, flow.kept.process(None));
    let mut events = Map::new();
    for event_flow in &flow.event_flows {
        let scope = format!("event:{}", event_flow.key);
        let kept = flow.kept.process(Some(&event_flow.key));
        let emitted = emit_process(&flow.name, &scope, &event_flow.process, kept);
        let on_events: Map<String, Value> = event_flow
            .on_events
            .iter()
            .filter_map(|(event, name)| Some((event.clone(), json!(emitted.ids.get(name)?))))
            .collect();
        events.insert(
            event_flow.key.clone(),
            json!({
                "id": event_flow.key,
                "name": event_flow.name,
                "description": event_flow.description,
                "process": emitted.process,
                "onEvents": on_events,
                "diagram": { "widgets": emitted.widgets, "properties": {} },
            }),
        );
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
    put(
        "diagram",
        json!({ "widgets": main.widgets, "properties": canvas() }),
    );
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
    // Cisco's 2026 subflows carry the decryption setting on (their activities read secure
    // values); other flow settings (the activity-wait prompt) are left to the editor's defaults.
    let settings = if subflow {
        json!([{ "name": "flowDecryptAccess", "value": "true", "type": "BOOLEAN", "group": "decryption" }])
    } else {
        json!([])
    };
    put("settings", settings);
    put("associatedChannels", json!([]));
    put("flowOutcome", Value::Null);
    // What an export carried beside the logic (ids, stamps, newer members), as it came.
    kept_over(Value::Object(top), Some(&flow.kept.top))
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

fn canvas() -> Value {
    json!({ "offsetX": 0, "offsetY": 0, "zoom": 100, "gridSize": 0 })
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
fn drawn_ports(a: &Activity, index: &ProcessIndex) -> Vec<String> {
    let mut ports = a.output_ports().unwrap_or_default();
    for link in index.links_from(&a.name) {
        if !ports.contains(&link.port) {
            ports.push(link.port.clone());
        }
    }
    ports
}

fn emit_process(flow: &str, scope: &str, process: &Process, kept: Option<&ProcessKept>) -> Emitted {
    let id = |parts: &[&str]| {
        let mut all = vec![flow, scope];
        all.extend_from_slice(parts);
        uuid(&all)
    };
    let index = ProcessIndex::of(process);
    // Ids and positions an export gave (see `Kept`) win over derived ones.
    let kept_activity = |name: &str| kept.and_then(|k| k.activities.get(name));
    let mut positions = layout::place(process);
    for a in &process.activities {
        if let Some(at) = kept_activity(&a.name).and_then(|k| k.at) {
            positions.insert(a.name.clone(), at);
        }
    }
    let ids: BTreeMap<String, String> = process
        .activities
        .iter()
        .map(|a| {
            let kept_id = kept_activity(&a.name).and_then(|k| k.id.clone());
            let aid = kept_id.unwrap_or_else(|| id(&["activity", &a.name]));
            (a.name.clone(), aid)
        })
        .collect();
    let widget_id = |name: &str| id(&["widget", name]);
    let port_id = |name: &str, port: &str| id(&["port", name, port]);
    let link_id = |l: &Link| {
        let key = (l.source.clone(), l.port.clone(), l.target.clone());
        kept.and_then(|k| k.links.get(&key).cloned())
            .unwrap_or_else(|| id(&["link", &l.source, &l.port, &l.target]))
    };
    let link_widget_id = |l: &Link| id(&["link-widget", &l.source, &l.port, &l.target]);

    // Port positions: `in` on the left, outputs stacked on the right.
    let mut port_at: BTreeMap<(String, String), (i64, i64)> = BTreeMap::new();
    let mut ports_of: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for a in &process.activities {
        let (x, y) = positions.get(&a.name).copied().unwrap_or((0, 0));
        port_at.insert((a.name.clone(), "in".into()), (x - 8, y + PORT_TOP));
        let ports = drawn_ports(a, &index);
        for (i, port) in ports.iter().enumerate() {
            port_at.insert(
                (a.name.clone(), port.clone()),
                (x + WIDTH, y + PORT_TOP + PORT_STEP * i as i64),
            );
        }
        ports_of.insert(a.name.clone(), ports);
    }

    let mut activities = Map::new();
    let mut widgets = Map::new();
    for a in &process.activities {
        let mut props = properties(a);
        for key in kept_activity(&a.name).map_or(&[][..], |k| &k.absent) {
            props.remove(key);
        }
        let group = written_group(a);
        let aid = &ids[&a.name];
        // The widget shows the properties but for the underscore copies of colon twins.
        let shown: Map<String, Value> = props
            .iter()
            .filter(|(k, _)| {
                !k.rsplit_once('_')
                    .is_some_and(|(base, s)| props.contains_key(&format!("{base}:{s}")))
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let mut activity = activity_shell(a, aid);
        if let Value::Object(map) = &mut activity {
            map.insert("properties".into(), Value::Object(props));
        }
        activities.insert(aid.clone(), activity);
        let mut ports = Vec::new();
        let port = |name: &str, source: bool, links: Vec<String>, alignment: &str| {
            let (x, y) = port_at[&(a.name.clone(), name.to_string())];
            json!({
                "portId": port_id(&a.name, name),
                "isSourcePort": source,
                "linkId": links.first(),
                "type": "arrow",
                "links": links,
                "properties": { "x": x, "y": y, "name": name, "label": name, "alignment": alignment },
            })
        };
        if !a.kind().is_entry() {
            let incoming: Vec<String> = index
                .links_into(&a.name)
                .iter()
                .map(|l| link_widget_id(l))
                .collect();
            // Real exports mark the `in` port as the source port and outputs as not.
            ports.push(port("in", true, incoming, "left"));
        }
        for name in &ports_of[&a.name] {
            let outgoing: Vec<String> = index
                .links_from(&a.name)
                .iter()
                .filter(|l| &l.port == name)
                .map(|l| link_widget_id(l))
                .collect();
            ports.push(port(name, false, outgoing, "right"));
        }
        let (x, y) = positions.get(&a.name).copied().unwrap_or((0, 0));
        widgets.insert(
            aid.clone(),
            json!({
                "id": widget_id(&a.name),
                "type": group,
                "widgetType": "activity",
                "label": WIDGET_LABEL,
                "point": { "x": x, "y": y },
                "ports": ports,
                "properties": shown,
            }),
        );
    }

    let mut links = Vec::new();
    for l in &process.links {
        let (Some(source), Some(target)) = (ids.get(&l.source), ids.get(&l.target)) else {
            continue;
        };
        let lid = link_id(l);
        links.push(json!({
            "id": lid,
            "sourceActivityId": source,
            "targetActivityId": target,
            "conditionExpr": l.port,
            "properties": { "value": l.port },
        }));
        let from = port_at[&(l.source.clone(), l.port.clone())];
        let to = port_at[&(l.target.clone(), "in".to_string())];
        // Two points, the link's ends, as Cisco's exports draw every link.
        let points: Vec<Value> = [from, to]
            .iter()
            .enumerate()
            .map(|(i, (x, y))| {
                json!({
                    "id": id(&["point", &l.source, &l.port, &l.target, &i.to_string()]),
                    "type": "point",
                    "x": x,
                    "y": y,
                })
            })
            .collect();
        widgets.insert(
            lid,
            json!({
                "id": link_widget_id(l),
                "type": "arrow",
                "widgetType": "link",
                "label": "",
                "properties": {
                    "curvyness": 50,
                    "selected": false,
                    "color": "gray",
                    "points": points,
                    "width": 1,
                    "selectedColor": "rgb(0,192,255)",
                },
                "points": [],
                "sourcePort": {
                    "id": port_id(&l.source, &l.port),
                    "activeWidgetId": widget_id(&l.source),
                    "point": { "x": from.0, "y": from.1 },
                },
                "targetPort": {
                    "id": port_id(&l.target, "in"),
                    "activeWidgetId": widget_id(&l.target),
                    "point": { "x": to.0, "y": to.1 },
                },
            }),
        );
    }
    Emitted {
        process: json!({ "activities": activities, "links": links }),
        widgets,
        ids,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
