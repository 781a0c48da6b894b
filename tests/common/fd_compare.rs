//! Property-by-property comparison of a Flow Designer export with the file built back from its
//! decompiled spec: what the round trip lost, said precisely. Values compare with their JSON
//! type (`"3"` is not `3`, `1` is not `1.0`).
#![allow(dead_code)]

use serde_json::{Map, Value};
use wxcflow::diagnostic::SourceFile;
use wxcflow::flow_designer as fd;

/// Export text -> decompiled spec -> the `FlowVersionRes` built back from it (the same
/// `emit` that `build --target flow-designer` runs before its schema check).
pub fn rebuilt(export: &SourceFile) -> (String, Value) {
    let flow = fd::model::FdFlow::read_export(export).expect("the export reads");
    let spec = flow.decompile("test");
    let again = fd::model::FdFlow::read_spec(&SourceFile::new("decompiled.toml", spec.clone()))
        .unwrap_or_else(|d| panic!("the decompiled spec reads back: {d:?}\n{spec}"));
    (spec, again.to_export())
}

fn show(v: Option<&Value>) -> String {
    match v {
        None => "(absent)".into(),
        Some(v) => {
            let text = v.to_string();
            if text.chars().count() > 80 {
                format!("{}…", text.chars().take(80).collect::<String>())
            } else {
                text
            }
        }
    }
}

fn object(v: Option<&Value>) -> &Map<String, Value> {
    static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    v.and_then(Value::as_object)
        .unwrap_or_else(|| EMPTY.get_or_init(Map::new))
}

/// Every member of `a` (but `skip`) that `b` lacks or holds otherwise.
fn members(at: &str, a: &Map<String, Value>, b: &Map<String, Value>, skip: &[&str]) -> Vec<String> {
    a.iter()
        .filter(|(k, _)| !skip.contains(&k.as_str()))
        .filter(|(k, v)| b.get(*k) != Some(*v))
        .map(|(k, v)| format!("{at}.{k}: {} became {}", show(Some(v)), show(b.get(k))))
        .collect()
}

/// What `rebuilt` lost or changed of `original`: top-level members, variables (every member,
/// in order), every activity (id, name, group, every property but the render timestamp, and
/// no property added), its widget's point and type, every link (id, ends, port, properties),
/// the canvas, and each event flow's members. Empty when nothing was lost.
pub fn losses(original: &Value, rebuilt: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let (top, back) = (object(Some(original)), object(Some(rebuilt)));
    out.extend(members(
        "top",
        top,
        back,
        &["variables", "process", "diagram", "eventFlows"],
    ));
    let names = |v: Option<&Value>| -> Vec<String> {
        v.and_then(Value::as_array)
            .map(|a| a.iter().map(|v| show(v.get("name"))).collect())
            .unwrap_or_default()
    };
    if names(top.get("variables")) != names(back.get("variables")) {
        out.push(format!(
            "variables: {:?} became {:?}",
            names(top.get("variables")),
            names(back.get("variables"))
        ));
    }
    let variables = |v: &Value| -> Vec<Value> { v.as_array().cloned().unwrap_or_default() };
    let back_variables = back.get("variables").map(variables).unwrap_or_default();
    for v in top.get("variables").map(variables).unwrap_or_default() {
        let name = show(v.get("name"));
        let other = back_variables
            .iter()
            .find(|w| w.get("name") == v.get("name"));
        out.extend(members(
            &format!("variables.{name}"),
            object(Some(&v)),
            object(other),
            &[],
        ));
    }
    let mut scopes = vec![(
        "process".to_string(),
        top.get("process"),
        top.get("diagram"),
        back.get("process"),
        back.get("diagram"),
    )];
    out.extend(members(
        "diagram",
        object(top.get("diagram")),
        object(back.get("diagram")),
        &["widgets"],
    ));
    let (events, back_events) = (
        object(top.get("eventFlows")),
        object(back.get("eventFlows")),
    );
    out.extend(members("eventFlows", events, back_events, &["eventsMap"]));
    for (key, flow) in object(events.get("eventsMap")) {
        let other = object(back_events.get("eventsMap")).get(key);
        let at = format!("eventFlows.{key}");
        if other.is_none() {
            out.push(format!("{at}: lost"));
            continue;
        }
        out.extend(members(
            &at,
            object(Some(flow)),
            object(other),
            &["process", "diagram"],
        ));
        out.extend(members(
            &format!("{at}.diagram"),
            object(flow.get("diagram")),
            object(other.and_then(|o| o.get("diagram"))),
            &["widgets"],
        ));
        scopes.push((
            at,
            flow.get("process"),
            flow.get("diagram"),
            other.and_then(|o| o.get("process")),
            other.and_then(|o| o.get("diagram")),
        ));
    }
    for (at, process, diagram, back_process, back_diagram) in scopes {
        let activities = object(process.and_then(|p| p.get("activities")));
        let back_activities = object(back_process.and_then(|p| p.get("activities")));
        let widgets = object(diagram.and_then(|d| d.get("widgets")));
        let back_widgets = object(back_diagram.and_then(|d| d.get("widgets")));
        for (id, a) in activities {
            let name = show(a.get("name"));
            let here = format!("{at}.activities.{name} ({id})");
            let Some(b) = back_activities.get(id) else {
                out.push(format!("{here}: lost (no activity with its id)"));
                continue;
            };
            out.extend(members(
                &here,
                object(Some(a)),
                object(Some(b)),
                &["properties"],
            ));
            let (props, back_props) = (object(a.get("properties")), object(b.get("properties")));
            out.extend(members(
                &here,
                props,
                back_props,
                &["_renderRequestTimestamp"],
            ));
            for (k, v) in back_props {
                if !props.contains_key(k) && k != "_renderRequestTimestamp" {
                    out.push(format!("{here}.{k}: added as {}", show(Some(v))));
                }
            }
            let (w, bw) = (widgets.get(id), back_widgets.get(id));
            if w.is_some() {
                for key in ["point", "type"] {
                    let (x, y) = (w.and_then(|w| w.get(key)), bw.and_then(|w| w.get(key)));
                    if x != y {
                        out.push(format!(
                            "{here} widget {key}: {} became {}",
                            show(x),
                            show(y)
                        ));
                    }
                }
            }
        }
        let links = |p: Option<&Value>| -> Vec<Value> {
            let mut l = p
                .and_then(|p| p.get("links"))
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            l.sort_by_key(Value::to_string);
            l
        };
        let (l, bl) = (links(process), links(back_process));
        for link in &l {
            if !bl.contains(link) {
                out.push(format!("{at}.links: {} lost or changed", show(Some(link))));
            }
        }
        for link in &bl {
            if !l.contains(link) {
                out.push(format!("{at}.links: {} added", show(Some(link))));
            }
        }
    }
    out
}
