//! Reading a Flow Designer export (a `FlowVersionRes` JSON) into the model, with located errors.

use super::locate::{Places, SpanCell, Step};
use super::model::*;
use super::schema::{empty, widget_outline, FdValidator};
use super::FileKind;
use crate::diagnostic::{Code, Diagnostic, SourceFile};
use crate::fd_path;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// Whether bytes look like a Flow Designer export: a JSON object with a `process` object and a
/// `diagram` or `variables` member. Cheap enough to call on any file: the whole text is checked
/// to be JSON, but only the top-level members are looked at, and nothing is kept.
pub(crate) fn is_export(bytes: &[u8]) -> bool {
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace());
    if start.map(|i| bytes[i]) != Some(b'{') {
        return false;
    }
    let top = TopLevel::default();
    match read_top_level(bytes, &top) {
        Ok(()) => top.process_is_object.get() && top.diagram_or_variables.get(),
        // Broken JSON that still reads like an export: reading it reports where it breaks.
        // Cut before its `process` (Cisco's exports give their variables first), an export is
        // told by the members read before the break, as `may_be_export` tells one.
        Err(_) => {
            let text = String::from_utf8_lossy(bytes);
            top.diagram_or_variables.get()
                || top.process_opens_object.get()
                || text.contains("\"process\"") && text.contains("\"activities\"")
        }
    }
}

/// Whether bytes may be an export worth telling apart by reading it whole: within their first
/// [`EXPORT_LOOK`] bytes (after a byte order mark), a JSON object's top-level members say so:
/// `diagram` or `variables`, or a `process` that opens an object (an export's first members
/// are short, in Cisco's files and wxcflow's alike). Any other file (a flow document, an API
/// answer holding an export) is told apart first: reading it whole, to be told it is no
/// export, would be wasted.
pub(crate) fn may_be_export(bytes: &[u8]) -> bool {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    let top = TopLevel::default();
    // Cut short, the reading ends in an error: what it found before is what is asked.
    let _ = read_top_level(&bytes[..bytes.len().min(EXPORT_LOOK)], &top);
    top.diagram_or_variables.get() || top.process_opens_object.get()
}

/// How far [`may_be_export`] looks for an export's top-level members.
pub(crate) const EXPORT_LOOK: usize = 64 * 1024;

/// Reads a JSON object's top-level members into `top`, without keeping any value.
fn read_top_level(bytes: &[u8], top: &TopLevel) -> Result<(), serde_json::Error> {
    let mut json = serde_json::Deserializer::from_slice(bytes);
    serde::de::Deserializer::deserialize_map(&mut json, TopLevelVisitor(top))?;
    json.end()
}

/// What [`is_export`] and [`may_be_export`] ask of a JSON object's members, found as they are
/// read (a reading cut short keeps what it found). A member given twice counts as it was given
/// last, as when the text is read whole.
#[derive(Default)]
struct TopLevel {
    process_is_object: std::cell::Cell<bool>,
    /// A `process` member's value opened an object, whether or not it read to its end.
    process_opens_object: std::cell::Cell<bool>,
    diagram_or_variables: std::cell::Cell<bool>,
}

struct TopLevelVisitor<'t>(&'t TopLevel);

impl<'de> serde::de::Visitor<'de> for TopLevelVisitor<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let top = self.0;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match key.as_ref() {
                "process" => {
                    let is_object = map.next_value_seed(IsObject(&top.process_opens_object))?;
                    top.process_is_object.set(is_object);
                }
                "diagram" | "variables" => {
                    top.diagram_or_variables.set(true);
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
                _ => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// Whether a JSON value is an object, its contents skipped; `opens` is marked as soon as it
/// opens one.
struct IsObject<'c>(&'c std::cell::Cell<bool>);

impl<'de> serde::de::DeserializeSeed<'de> for IsObject<'_> {
    type Value = bool;

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for IsObject<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        self.0.set(true);
        while map
            .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
            .is_some()
        {}
        Ok(true)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(false)
    }

    fn visit_bool<E>(self, _: bool) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_i64<E>(self, _: i64) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_u64<E>(self, _: u64) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_f64<E>(self, _: f64) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_str<E>(self, _: &str) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_unit<E>(self) -> Result<bool, E> {
        Ok(false)
    }
}

/// Reads an export. Every problem found is reported, each with the line and column of the
/// value it is about; the model comes back only when there were none.
pub(crate) fn read_export(source: &SourceFile) -> Result<FdFlow, Vec<Diagnostic>> {
    match read_export_partial(source) {
        (Some(flow), problems) if problems.is_empty() => Ok(flow),
        (_, problems) => Err(problems),
    }
}

/// Reads an export as far as it goes: the model whenever the text is JSON, with the problems
/// found in it (a model with problems still tells where the file holds what, for quoting it).
pub(crate) fn read_export_partial(source: &SourceFile) -> (Option<FdFlow>, Vec<Diagnostic>) {
    read_export_in(source, &SpanCell::default())
}

/// [`read_export_partial`], the file's spans kept in `spans` (scanned only if a problem needs
/// them) for whatever quotes and checks the file next.
pub(crate) fn read_export_in(
    source: &SourceFile,
    spans: &SpanCell,
) -> (Option<FdFlow>, Vec<Diagnostic>) {
    read_export_told(source, spans, false, Keeping::All).map_or_else(
        || (None, Vec::new()),
        |(_, flow, problems)| (flow, problems),
    )
}

/// [`read_export_in`] of a file not told apart first (`tell`): what kind of Flow Designer file
/// it is comes with the reading, `None` when it is none (and nothing more is read of it).
/// `keeping`: what is kept beside the logic.
pub(crate) fn read_export_told(
    source: &SourceFile,
    spans: &SpanCell,
    tell: bool,
    keeping: Keeping,
) -> Option<(FileKind, Option<FdFlow>, Vec<Diagnostic>)> {
    let (kind, flow, problems, _) = read_export_with(source, spans, None, tell, keeping)?;
    Some((kind, flow, problems))
}

/// What the schema check of an export keeps from the reader's one parse of it: the JSON the
/// reader read, each diagram widget reduced to what reading and the cross-reference check look
/// at, and which widgets break the schema, found as they were read (the widgets are most of an
/// export's bytes, and never held whole).
pub(crate) struct Parsed {
    /// The export, each widget reduced ([`widget_outline`]).
    pub(crate) value: Value,
    /// The paths of the widgets the schema's widget definition refuses (they are read again
    /// from the file, whole, to say why).
    pub(crate) broken_widgets: Vec<Vec<String>>,
    /// False when a member on the way to a widget is given twice: the JSON then holds only
    /// the last, which the widgets' checks cannot tell, so the file is checked whole.
    pub(crate) exact: bool,
    /// Whether the schema, the widgets aside, accepts `value`, when it was found as the file
    /// was read.
    pub(crate) accepted_without_widgets: Option<bool>,
}

/// [`read_export_in`] for a check against the schema: with `validator`, each diagram widget is
/// checked as it is read and the JSON kept for the rest of the check ([`Parsed`]).
/// `tell`: as for [`read_export_told`]. A check never writes the flow back: only the logic's
/// part of what is beside it is kept ([`Keeping::Logic`]).
pub(crate) fn read_export_checked(
    source: &SourceFile,
    spans: &SpanCell,
    validator: &FdValidator,
    tell: bool,
) -> Option<ExportRead> {
    read_export_with(source, spans, Some(validator), tell, Keeping::Logic)
}

/// What reading an export gives: its kind, the model as far as it reads, its problems, and,
/// for a check against the schema, its JSON ([`Parsed`]).
pub(crate) type ExportRead = (FileKind, Option<FdFlow>, Vec<Diagnostic>, Option<Parsed>);

/// What kind of Flow Designer file `text` is, if any, as [`crate::InputKind::flow_designer`]
/// tells it.
pub(crate) fn kind_of(text: &str) -> Option<FileKind> {
    if is_export(text.as_bytes()) {
        Some(FileKind::Export)
    } else {
        super::spec::is_spec(text).then_some(FileKind::Spec)
    }
}

/// Whether JSON read whole is an export's, as [`is_export`] tells valid JSON: an object whose
/// `process` is an object (a member given twice counts as given last, as here), with a
/// `diagram` or `variables` member.
fn has_export_shape(value: &Value) -> bool {
    value.get("process").is_some_and(Value::is_object)
        && (value.get("diagram").is_some() || value.get("variables").is_some())
}

fn read_export_with(
    source: &SourceFile,
    spans: &SpanCell,
    validator: Option<&FdValidator>,
    tell: bool,
    keeping: Keeping,
) -> Option<ExportRead> {
    // Told from the reading's own parse when the JSON reads (a whole pass over a file of
    // hundreds of megabytes saved: `is_export` of JSON that reads is its shape), and as
    // `kind_of` tells it when it does not.
    let told = |value: Option<&Value>| match (tell, value) {
        (false, _) => Some(FileKind::Export),
        (true, Some(value)) if has_export_shape(value) => Some(FileKind::Export),
        (true, Some(_)) => super::spec::is_spec(&source.text).then_some(FileKind::Spec),
        (true, None) => kind_of(&source.text),
    };
    if let Some(d) = crate::flow::limits::too_large_fd(&source.name, source.text.len()) {
        return Some((told(None)?, None, vec![d], None));
    }
    let checking = validator.map(|validator| Checking {
        validator,
        broken: std::cell::RefCell::new(Vec::new()),
        exact: std::cell::Cell::new(true),
    });
    let (kind, mut value) = match parse(&source.text, checking.as_ref()) {
        Ok(value) => (told(Some(&value))?, value),
        Err(e) => {
            let kind = told(None)?;
            let offset = offset_of(&source.text, e.line(), e.column());
            let d = Diagnostic::new(
                Code::InvalidFlowDesigner,
                format!("invalid JSON: {}", json_error(&e)),
            )
            .with_span(Some(source.span(offset..offset)));
            return Some((kind, None, vec![d], None));
        }
    };
    let mut reader = Reader {
        source,
        places: Places::new(&source.text, spans),
        problems: Vec::new(),
        keeping,
    };
    // For a check of a large export, whether the schema accepts it (widgets aside, each
    // checked as it was read) is found on another thread while the model is read.
    let accepts = |validator: &FdValidator| validator.accepts_without_widgets(&value);
    let (flow, accepted) = match validator {
        Some(validator) if source.text.len() >= super::LARGE_EXPORT => {
            let (flow, accepted) = super::beside(|| reader.flow(&value), || accepts(validator));
            (flow, Some(accepted))
        }
        // Nothing reads an activity's properties from the JSON after a reading for the logic
        // (no schema check, nothing written back): they move into the model, not copied.
        None if keeping == Keeping::Logic => (reader.flow_taking(&mut value), None),
        _ => (reader.flow(&value), None),
    };
    let parsed = checking.map(|checking| Parsed {
        value,
        broken_widgets: checking.broken.into_inner(),
        exact: checking.exact.get(),
        accepted_without_widgets: accepted,
    });
    Some((kind, Some(flow), reader.problems, parsed))
}

/// An export's JSON as the reader needs it: every value, but of the diagram's widgets only each
/// one's `point` and its ports' names. The rest of a widget (a copy of its activity's
/// properties, its ports' ids, positions and links, a link's drawing) is what writing the flow
/// back derives again, so it is checked to be JSON and skipped: most of an export's bytes, read
/// without being kept. With `checking`, each widget is read whole, checked against the schema,
/// and kept as its outline ([`widget_outline`]).
fn parse(text: &str, checking: Option<&Checking>) -> Result<Value, serde_json::Error> {
    use serde::de::DeserializeSeed;
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let value = Read {
        shape: Shape::Top,
        checking,
        event: None,
    }
    .deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(value)
}

/// What a parse for the schema check gathers as it goes.
struct Checking<'v> {
    validator: &'v FdValidator,
    /// The paths of the widgets the schema refuses.
    broken: std::cell::RefCell<Vec<Vec<String>>>,
    exact: std::cell::Cell<bool>,
}

impl Checking<'_> {
    /// Checks a widget (`key` in the diagram of the event flow `event`, or of the main
    /// process), read as [`Shape::CheckedWidget`] reads it, and gives back its outline.
    fn widget(&self, event: Option<&str>, key: &str, widget: Value) -> Value {
        if !self.validator.widget_is_valid(&widget) {
            let mut path: Vec<String> = match event {
                Some(event) => ["eventFlows", "eventsMap", event]
                    .map(String::from)
                    .to_vec(),
                None => Vec::new(),
            };
            path.extend(["diagram", "widgets", key].map(String::from));
            self.broken.borrow_mut().push(path);
        }
        widget_outline(widget)
    }
}

/// Where in an export a value sits, as far as [`parse`] keeps it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    Any,
    Top,
    EventFlows,
    EventsMap,
    EventFlow,
    Diagram,
    Widgets,
    Widget,
    Ports,
    Port,
    PortProperties,
    /// A widget read for the schema check: all of it but its `properties` ...
    CheckedWidget,
    /// ... of which only `points` (a link's drawing): all the schema's widget definition looks
    /// at in them (a test holds the schema to that).
    WidgetProperties,
    /// Checked to be JSON, not kept.
    Skip,
}

impl Shape {
    /// The shape of a member (`key`) or an item (`None`) of a value of this shape.
    fn member(self, key: Option<&str>) -> Shape {
        match (self, key) {
            (Shape::Top, Some("diagram")) => Shape::Diagram,
            (Shape::Top, Some("eventFlows")) => Shape::EventFlows,
            (Shape::EventFlows, Some("eventsMap")) => Shape::EventsMap,
            (Shape::EventsMap, Some(_)) => Shape::EventFlow,
            (Shape::EventFlow, Some("diagram")) => Shape::Diagram,
            (Shape::Diagram, Some("widgets")) => Shape::Widgets,
            (Shape::Widgets, Some(_)) => Shape::Widget,
            (Shape::Widget, Some("point")) => Shape::Any,
            (Shape::Widget, Some("ports")) => Shape::Ports,
            (Shape::Ports, None) => Shape::Port,
            (Shape::Port, Some("properties")) => Shape::PortProperties,
            (Shape::PortProperties, Some("name")) => Shape::Any,
            (Shape::Widget | Shape::Ports | Shape::Port | Shape::PortProperties, _) => Shape::Skip,
            (Shape::CheckedWidget, Some("properties")) => Shape::WidgetProperties,
            (Shape::WidgetProperties, Some("points")) => Shape::Any,
            (Shape::WidgetProperties, _) => Shape::Skip,
            _ => Shape::Any,
        }
    }
}

/// Reads a value of a shape, as `serde_json::Value` reads it but for what the shape skips;
/// `checking`, if any, takes each widget; `event` is the key of the event flow it is in.
struct Read<'c> {
    shape: Shape,
    checking: Option<&'c Checking<'c>>,
    event: Option<&'c str>,
}

impl<'c> Read<'c> {
    fn nested(&self, shape: Shape) -> Read<'c> {
        Read {
            shape,
            checking: self.checking,
            event: self.event,
        }
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for Read<'_> {
    type Value = Value;

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Read<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        serde::de::DeserializeSeed::deserialize(self, d)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        match self.shape.member(None) {
            Shape::Skip => while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {},
            shape => {
                while let Some(item) = seq.next_element_seed(self.nested(shape))? {
                    items.push(item);
                }
            }
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut members = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = match (self.shape.member(Some(&key)), self.checking) {
                (Shape::Skip, _) => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                    continue;
                }
                (Shape::Widget, Some(checking)) => {
                    let widget = map.next_value_seed(self.nested(Shape::CheckedWidget))?;
                    checking.widget(self.event, &key, widget)
                }
                (Shape::EventFlow, _) => map.next_value_seed(Read {
                    shape: Shape::EventFlow,
                    checking: self.checking,
                    event: Some(&key),
                })?,
                (shape, _) => map.next_value_seed(self.nested(shape))?,
            };
            let twice = members.insert(key, value).is_some();
            // A member given twice on the way to a widget: the widgets checked as they were
            // read may not be the ones the JSON keeps.
            let on_the_way = !matches!(
                self.shape,
                Shape::Any | Shape::CheckedWidget | Shape::WidgetProperties
            );
            if let (true, Some(checking), true) = (twice, self.checking, on_the_way) {
                checking.exact.set(false);
            }
        }
        Ok(Value::Object(members))
    }
}

/// A JSON error without its position (`at line 1 column 4120`): the diagnostic's span carries
/// it, counted as the line is shown, while the column in serde_json's text would count the
/// characters of any secret before it on the line.
pub fn json_error(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let position = format!(" at line {} column {}", e.line(), e.column());
    text.strip_suffix(&position).unwrap_or(&text).to_string()
}

/// The byte offset of a 1-based line and column (serde_json counts columns in bytes).
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    (line_start + column.saturating_sub(1)).min(text.len())
}

struct Reader<'a> {
    source: &'a SourceFile,
    /// Where the file's values sit, for the problems found in it.
    places: Places<'a>,
    problems: Vec<Diagnostic>,
    keeping: Keeping,
}

impl Reader<'_> {
    fn problem(&mut self, path: &[Step], message: impl Into<String>) {
        let span = self.places.locate(path, false).map(|r| self.source.span(r));
        self.problems
            .push(Diagnostic::new(Code::InvalidFlowDesigner, message).with_span(span));
    }

    fn object<'v>(
        &mut self,
        value: Option<&'v Value>,
        path: &[Step],
        what: &str,
    ) -> &'v Map<String, Value> {
        match value {
            Some(Value::Object(map)) => map,
            Some(_) => {
                self.problem(path, format!("{what} is not an object"));
                empty()
            }
            None => {
                self.problem(
                    &path[..path.len().saturating_sub(1)],
                    format!("{what} is missing"),
                );
                empty()
            }
        }
    }

    /// A text member; null counts as empty (exports write both).
    fn text(&mut self, map: &Map<String, Value>, key: &str, path: &[Step]) -> String {
        match map.get(key) {
            Some(Value::String(s)) => s.clone(),
            None | Some(Value::Null) => String::new(),
            Some(_) => {
                let mut at = path.to_vec();
                at.push(key.into());
                self.problem(&at, format!("`{key}` is not text"));
                String::new()
            }
        }
    }

    fn flag(&mut self, map: &Map<String, Value>, key: &str, path: &[Step]) -> bool {
        match map.get(key) {
            Some(Value::Bool(b)) => *b,
            None | Some(Value::Null) => false,
            Some(_) => {
                let mut at = path.to_vec();
                at.push(key.into());
                self.problem(&at, format!("`{key}` is not true or false"));
                false
            }
        }
    }

    fn flow(&mut self, value: &Value) -> FdFlow {
        self.flow_with(value, None, BTreeMap::new())
    }

    /// [`Reader::flow`], each process taken out of `value` (left null there) and its
    /// activities' properties moved into the model.
    fn flow_taking(&mut self, value: &mut Value) -> FdFlow {
        let process = value.get_mut("process").map(Value::take);
        let events = value
            .pointer_mut("/eventFlows/eventsMap")
            .and_then(Value::as_object_mut)
            .into_iter()
            .flatten()
            .filter_map(|(key, e)| Some((key.clone(), e.get_mut("process")?.take())))
            .collect();
        self.flow_with(value, process, events)
    }

    /// [`Reader::flow`], the processes given apart from `value` where they were taken out of it
    /// (the main one, and the event flows' by key).
    fn flow_with(
        &mut self,
        value: &Value,
        process: Option<Value>,
        mut event_processes: BTreeMap<String, Value>,
    ) -> FdFlow {
        let top = self.object(Some(value), &[], "the export");
        let flow_type = match top.get("flowType") {
            None | Some(Value::Null) => None,
            Some(Value::String(t)) if t == "FLOW" || t == "SUBFLOW" => Some(t.clone()),
            Some(_) => {
                self.problem(
                    &fd_path!["flowType"],
                    "`flowType` is neither FLOW nor SUBFLOW",
                );
                None
            }
        };
        let variables = match top.get("variables") {
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, v)| self.variable(v, i))
                .collect(),
            None | Some(Value::Null) => Vec::new(),
            Some(_) => {
                self.problem(&fd_path!["variables"], "`variables` is not a list");
                Vec::new()
            }
        };
        let process = match process {
            Some(taken) => Some(Cow::Owned(taken)),
            None => top.get("process").map(Cow::Borrowed),
        };
        let process = self.process(process, &fd_path!["process"], top.get("diagram"));
        let mut event_flows = Vec::new();
        if let Some(events) = top.get("eventFlows").filter(|v| !v.is_null()) {
            let events = self.object(Some(events), &fd_path!["eventFlows"], "`eventFlows`");
            let map = self.object(
                events.get("eventsMap"),
                &fd_path!["eventFlows", "eventsMap"],
                "`eventFlows.eventsMap`",
            );
            for (key, flow) in map {
                let at = fd_path!["eventFlows", "eventsMap", key];
                let process = event_processes.remove(key).map(Cow::Owned);
                event_flows.push(self.event_flow(key, flow, process, &at));
            }
        }
        let mut flow = FdFlow {
            name: self.text(top, "name", &[]),
            description: self.text(top, "description", &[]),
            comment: self.text(top, "comment", &[]),
            flow_type,
            variables,
            variable_orders: top.get("variableOrders").filter(|v| !v.is_null()).cloned(),
            runtime_variables: top
                .get("runtimeVariables")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
            process,
            event_flows,
            kept: Kept::default(),
        };
        keep_beside_logic(&mut flow, value, self.keeping);
        flow
    }

    fn variable(&mut self, value: &Value, index: usize) -> Variable {
        let path = fd_path!["variables", index];
        let map = self.object(Some(value), &path, "a variable");
        let name = self.text(map, "name", &path);
        if name.is_empty() {
            self.problem(&path, "a variable has no name");
        }
        Variable {
            description: self.text(map, "description", &path),
            kind: match self.text(map, "type", &path) {
                t if t.is_empty() => "STRING".into(),
                t => t,
            },
            value: map.get("value").cloned().unwrap_or(Value::Null),
            is_cad: self.flag(map, "isCAD", &path),
            desktop_label: self.text(map, "desktopLabel", &path),
            is_agent_editable: self.flag(map, "isAgentEditable", &path),
            source: self.text(map, "source", &path),
            is_reportable: self.flag(map, "isReportable", &path),
            overwrite: self.flag(map, "overwrite", &path),
            is_secure: self.flag(map, "isSecure", &path),
            name,
        }
    }

    /// An event flow; `taken`: its process, where it was taken out of `value`.
    fn event_flow(
        &mut self,
        key: &str,
        value: &Value,
        taken: Option<Cow<'_, Value>>,
        path: &[Step],
    ) -> EventFlow {
        let map = self.object(Some(value), path, "an event flow");
        let mut at = path.to_vec();
        at.push("process".into());
        let process = taken.or_else(|| map.get("process").map(Cow::Borrowed));
        // Read before the process moves into the model.
        let ids: BTreeMap<String, String> = process
            .as_deref()
            .and_then(|p| p.get("activities"))
            .and_then(Value::as_object)
            .map(|acts| {
                acts.iter()
                    .filter_map(|(id, a)| Some((id.clone(), a.get("name")?.as_str()?.to_string())))
                    .collect()
            })
            .unwrap_or_default();
        let process = self.process(process, &at, map.get("diagram"));
        let mut on_events = BTreeMap::new();
        for (event, id) in map
            .get("onEvents")
            .and_then(Value::as_object)
            .unwrap_or(empty())
        {
            let id = id.as_str().unwrap_or("");
            match ids.get(id) {
                Some(name) => {
                    on_events.insert(event.clone(), name.to_string());
                }
                None => {
                    let mut at = path.to_vec();
                    at.extend(["onEvents".into(), event.into()]);
                    self.problem(
                        &at,
                        format!(
                            "event `{event}` is handled by activity `{id}`, which does not exist"
                        ),
                    );
                }
            }
        }
        EventFlow {
            key: key.to_string(),
            name: self.text(map, "name", path),
            description: self.text(map, "description", path),
            process,
            on_events,
        }
    }

    /// A process, from its JSON: borrowed, or owned (its activities' properties then move into
    /// the model).
    fn process(
        &mut self,
        value: Option<Cow<'_, Value>>,
        path: &[Step],
        diagram: Option<&Value>,
    ) -> Process {
        let map = self.object(value.as_deref(), path, "`process`");
        let mut at = path.to_vec();
        at.push("activities".into());
        let count = self
            .object(map.get("activities"), &at, "`process.activities`")
            .len();
        let mut links_at = path.to_vec();
        links_at.push("links".into());
        if !matches!(
            map.get("links"),
            Some(Value::Array(_)) | None | Some(Value::Null)
        ) {
            self.problem(&links_at, "`links` is not a list");
        }
        let (activities, links) = process_parts(value);
        let widgets = diagram
            .and_then(|d| d.get("widgets"))
            .and_then(Value::as_object)
            .unwrap_or(empty());
        // Looked up by hash: every link looks up both its ends.
        let mut names: FastMap<String, String> = fast_map(count);
        let mut taken: FastSet<String> = fast_set(count);
        let mut out = Process::default();
        for (id, activity) in activities {
            let mut at = at.clone();
            at.push(id.as_str().into());
            let widget = widgets.get(id.as_str());
            if let Some(a) = self.activity(&id, activity, &at, widget) {
                let twice = names.insert(id, a.name.clone()).is_some();
                if !taken.insert(a.name.clone()) || twice {
                    self.problem(&at, format!("two activities are named `{}`", a.name));
                }
                out.activities.push(a);
            }
        }
        let at = links_at;
        for (i, link) in links.iter().enumerate() {
            let mut at = at.clone();
            at.push(i.into());
            let map = self.object(Some(link), &at, "a link");
            let end = |reader: &mut Self, key: &str| -> Option<String> {
                let id = map.get(key).and_then(Value::as_str).unwrap_or("");
                let found = names.get(id).cloned();
                if found.is_none() {
                    let mut at = at.clone();
                    at.push(key.into());
                    reader.problem(
                        &at,
                        format!("`{key}` names activity `{id}`, which does not exist"),
                    );
                }
                found
            };
            let source = end(self, "sourceActivityId");
            let target = end(self, "targetActivityId");
            let port = self.text(map, "conditionExpr", &at);
            if let (Some(source), Some(target)) = (source, target) {
                out.links.push(Link {
                    source,
                    port,
                    target,
                    // The link's index: links are a list, located by position.
                    origin: Some(i.to_string()),
                });
            }
        }
        out
    }

    /// An activity, from its JSON: borrowed, or owned (its properties then move into the
    /// model).
    fn activity(
        &mut self,
        id: &str,
        value: Cow<'_, Value>,
        path: &[Step],
        widget: Option<&Value>,
    ) -> Option<Activity> {
        let map = self.object(Some(&value), path, "an activity");
        let mut at = path.to_vec();
        at.push("properties".into());
        let properties = self.object(map.get("properties"), &at, "the activity's `properties`");
        let name = match self.text(map, "name", path) {
            n if n.is_empty() => {
                self.problem(path, format!("activity `{id}` has no name"));
                return None;
            }
            n => n,
        };
        let group = self.text(map, "group", path);
        let mut settings: BTreeMap<String, Value> = match value {
            Cow::Owned(Value::Object(mut owned)) => match owned.remove("properties") {
                Some(Value::Object(properties)) => properties.into_iter().collect(),
                _ => BTreeMap::new(),
            },
            _ => properties
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        };
        // `properties.name` repeats the activity's name; kept as a setting only when it does not.
        if settings.get("name").and_then(Value::as_str) == Some(name.as_str()) {
            settings.remove("name");
        }
        settings.remove("_renderRequestTimestamp");
        // The type keys apart when they are text; anything else stays a setting, as it came.
        let take = |settings: &mut BTreeMap<String, Value>, key: &str| match settings.get(key) {
            Some(Value::String(s)) => {
                let s = s.clone();
                settings.remove(key);
                Some(s)
            }
            _ => None,
        };
        let activity_name = take(&mut settings, "activityName");
        let activity_id = take(&mut settings, "activityId");
        let ports = widget
            .and_then(|w| w.get("ports"))
            .and_then(Value::as_array)
            .map(|ports| {
                ports
                    .iter()
                    .filter_map(|p| p.get("properties")?.get("name")?.as_str())
                    .filter(|n| *n != "in")
                    .map(String::from)
                    .collect()
            });
        Some(Activity {
            name,
            group,
            activity_name,
            activity_id,
            settings,
            ports,
            origin: Some(id.to_string()),
        })
    }
}

/// A process's activities (by id) and links: moved out of it when it is owned, borrowed
/// otherwise; none where they are not an object or a list (a problem the reader reports).
type ProcessParts<'v> = (Vec<(String, Cow<'v, Value>)>, Cow<'v, [Value]>);

fn process_parts(value: Option<Cow<'_, Value>>) -> ProcessParts<'_> {
    match value {
        Some(Cow::Owned(Value::Object(mut map))) => {
            let activities = match map.remove("activities") {
                Some(Value::Object(activities)) => activities
                    .into_iter()
                    .map(|(id, a)| (id, Cow::Owned(a)))
                    .collect(),
                _ => Vec::new(),
            };
            let links = match map.remove("links") {
                Some(Value::Array(links)) => links,
                _ => Vec::new(),
            };
            (activities, Cow::Owned(links))
        }
        Some(Cow::Borrowed(Value::Object(map))) => {
            let activities = match map.get("activities") {
                Some(Value::Object(activities)) => activities
                    .iter()
                    .map(|(id, a)| (id.clone(), Cow::Borrowed(a)))
                    .collect(),
                _ => Vec::new(),
            };
            let links = match map.get("links") {
                Some(Value::Array(links)) => Cow::Borrowed(links.as_slice()),
                _ => Cow::Owned(Vec::new()),
            };
            (activities, links)
        }
        _ => (Vec::new(), Cow::Owned(Vec::new())),
    }
}

/// Fills `flow.kept` from the export `value` it was read from: whatever the export carries that
/// the model does not, or that writing the model back would spell otherwise, as it came (see
/// [`Kept`]). Generic on purpose: members a newer export adds are kept without knowing them.
fn keep_beside_logic(flow: &mut FdFlow, value: &Value, keeping: Keeping) {
    let Some(top) = value.as_object() else {
        return;
    };
    // Only what is written back asks for what is kept of each activity and link.
    let parts = keeping == Keeping::All;
    // Ids, positions and absent properties first: they shape what is written.
    let event_maps = value
        .pointer("/eventFlows/eventsMap")
        .and_then(Value::as_object);
    if parts {
        flow.kept.main = keep_process(&flow.process, top.get("process"), top.get("diagram"));
    }
    for e in flow.event_flows.iter().filter(|_| parts) {
        let map = event_maps.and_then(|m| m.get(&e.key));
        let kept = keep_process(
            &e.process,
            map.and_then(|m| m.get("process")),
            map.and_then(|m| m.get("diagram")),
        );
        flow.kept.events.insert(e.key.clone(), kept);
    }
    // What writing the model back would give beside the logic: the flow without its activities
    // and links (whose members beside the logic are compared one by one below), so that the
    // comparison costs what the export's own members do, not a second copy of the whole flow.
    let written = super::emit::emit(&FdFlow {
        process: Process::default(),
        event_flows: flow
            .event_flows
            .iter()
            .map(|e| EventFlow {
                process: Process::default(),
                on_events: BTreeMap::new(),
                ..e.clone()
            })
            .collect(),
        variable_orders: flow.variable_orders.clone(),
        runtime_variables: Vec::new(),
        variables: flow.variables.clone(),
        kept: Kept::default(),
        name: flow.name.clone(),
        description: flow.description.clone(),
        comment: flow.comment.clone(),
        flow_type: flow.flow_type.clone(),
    });
    let mut keep = |at: &str, modelled: &[&str], ours: &Map<String, Value>| {
        let Some(Value::Object(original)) = value.pointer(at) else {
            return;
        };
        for (key, member) in original {
            if !modelled.contains(&key.as_str()) && ours.get(key) != Some(member) {
                let name = if at.is_empty() {
                    key.clone()
                } else {
                    format!("{at}/{}", escape(key))
                };
                flow.kept.top.insert(name, member.clone());
            }
        }
    };
    // Each object that holds members beside the logic, and the members the model reads the
    // logic from (kept by the model itself). Top-level members are kept by name, deeper ones
    // by JSON pointer (`/diagram/properties`: the canvas's pan and zoom).
    let mut places: Vec<(String, &[&str])> = vec![
        (
            String::new(),
            &["variables", "process", "diagram", "eventFlows"],
        ),
        ("/diagram".into(), &["widgets"]),
        ("/eventFlows".into(), &["eventsMap"]),
    ];
    for e in &flow.event_flows {
        let at = format!("/eventFlows/eventsMap/{}", escape(&e.key));
        places.push((format!("{at}/diagram"), &["widgets"]));
        places.push((at, &["process", "diagram", "onEvents"]));
    }
    for (at, modelled) in places {
        if let Some(Value::Object(ours)) = written.pointer(&at) {
            keep(&at, modelled, ours);
        }
    }
    // Each activity's members beside its properties: a group or id written otherwise than the
    // model would (a null), members no export has shown yet.
    let mut activities: Vec<(String, Value)> = Vec::new();
    let scopes =
        std::iter::once((String::new(), &flow.process)).chain(flow.event_flows.iter().map(|e| {
            (
                format!("/eventFlows/eventsMap/{}", escape(&e.key)),
                &e.process,
            )
        }));
    for (at, process) in scopes.filter(|_| parts) {
        for a in &process.activities {
            if let Some(id) = a.origin.as_deref() {
                let place = format!("{at}/process/activities/{}", escape(id));
                activities.push((place, super::emit::activity_shell(a, id)));
            }
        }
    }
    for (at, ours) in &activities {
        if let Value::Object(ours) = ours {
            keep(at, &["properties"], ours);
        }
    }
    let originals = top.get("variables").and_then(Value::as_array);
    let written_variables = written.get("variables").and_then(Value::as_array);
    for (i, v) in flow.variables.iter().enumerate() {
        let (Some(Value::Object(original)), Some(Value::Object(written))) = (
            originals.and_then(|a| a.get(i)),
            written_variables.and_then(|a| a.get(i)),
        ) else {
            continue;
        };
        let differing: BTreeMap<String, Value> = original
            .iter()
            .filter(|(k, o)| written.get(*k) != Some(*o))
            .map(|(k, o)| (k.clone(), o.clone()))
            .collect();
        if !differing.is_empty() {
            flow.kept.variables.insert(v.name.clone(), differing);
        }
    }
}

/// A key as a JSON pointer step.
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// The ids, widget points and absent properties of one process's activities, and its links'
/// ids, as the export gives them.
fn keep_process(process: &Process, value: Option<&Value>, diagram: Option<&Value>) -> ProcessKept {
    let mut kept = ProcessKept::default();
    let activities = value
        .and_then(|p| p.get("activities"))
        .and_then(Value::as_object);
    let widgets = diagram
        .and_then(|d| d.get("widgets"))
        .and_then(Value::as_object);
    let mut names: BTreeMap<&str, &str> = BTreeMap::new();
    for a in &process.activities {
        let Some(id) = a.origin.as_deref() else {
            continue;
        };
        names.insert(id, &a.name);
        let point = widgets.and_then(|w| w.get(id)).and_then(|w| w.get("point"));
        // Integers in every export seen; a fraction is rounded (the diagram is laid out in
        // whole units).
        let whole = |v: &Value| v.as_i64().or_else(|| v.as_f64().map(|f| f.round() as i64));
        let at = point.and_then(|p| Some((whole(p.get("x")?)?, whole(p.get("y")?)?)));
        let original = activities
            .and_then(|m| m.get(id))
            .and_then(|a| a.get("properties"))
            .and_then(Value::as_object);
        let absent = match original {
            Some(original) => super::emit::property_names(a)
                .filter(|k| !original.contains_key(k))
                .collect(),
            None => Vec::new(),
        };
        kept.activities.insert(
            a.name.clone(),
            ActivityKept {
                id: Some(id.to_string()),
                at,
                absent,
            },
        );
    }
    let links = value.and_then(|p| p.get("links")).and_then(Value::as_array);
    for link in links.into_iter().flatten() {
        let text = |key: &str| link.get(key).and_then(Value::as_str);
        let (Some(id), Some(source), Some(target)) = (
            text("id"),
            text("sourceActivityId").and_then(|s| names.get(s)),
            text("targetActivityId").and_then(|t| names.get(t)),
        ) else {
            continue;
        };
        let port = text("conditionExpr").unwrap_or("").to_string();
        kept.links.insert(
            (source.to_string(), port, target.to_string()),
            id.to_string(),
        );
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::may_be_export;
    use super::{read_export_told, FileKind, Keeping};
    use crate::diagnostic::SourceFile;
    use crate::flow_designer::locate::SpanCell;

    /// A reading that keeps only the logic's part of what is beside it gives the flow every
    /// command that looks at it sees (its comparison, textconv lines, drawing, lint and
    /// secrets), and keeps nothing of its processes beside the logic, which a reading that
    /// keeps all keeps.
    #[test]
    fn a_reading_for_the_logic_sees_what_a_whole_reading_sees() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/flow-designer");
        let mut dirs = vec![std::path::PathBuf::from(root)];
        let mut read = 0;
        while let Some(dir) = dirs.pop() {
            for path in std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()) {
                if path.is_dir() {
                    dirs.push(path);
                    continue;
                }
                let source = SourceFile::new(
                    path.display().to_string(),
                    std::fs::read_to_string(&path).unwrap(),
                );
                let reading = |keeping| {
                    read_export_told(&source, &SpanCell::default(), true, keeping)
                        .filter(|(kind, ..)| *kind == FileKind::Export)
                        .map(|(_, flow, problems)| (flow, problems))
                };
                let (Some((Some(whole), whole_problems)), Some((Some(logic), logic_problems))) =
                    (reading(Keeping::All), reading(Keeping::Logic))
                else {
                    continue;
                };
                let name = path.display();
                assert_eq!(whole_problems, logic_problems, "{name}");
                assert_eq!(whole.diff(&logic), Vec::new(), "{name}");
                assert_eq!(whole.textconv(), logic.textconv(), "{name}");
                assert_eq!(whole.mermaid(), logic.mermaid(), "{name}");
                assert_eq!(whole.kept.top, logic.kept.top, "{name}");
                assert_eq!(whole.kept.variables, logic.kept.variables, "{name}");
                let lint = |flow| crate::flow_designer::lint::lint(flow, Some(&source));
                assert_eq!(lint(&whole), lint(&logic), "{name}");
                let secrets = crate::flow_designer::secrets::Secrets::of;
                assert_eq!(secrets(&whole).any(), secrets(&logic).any(), "{name}");
                assert_eq!(logic.kept.main, Default::default(), "{name}");
                assert!(logic.kept.events.is_empty(), "{name}");
                if !whole.process.activities.is_empty() {
                    assert_ne!(whole.kept.main, Default::default(), "{name}");
                }
                read += 1;
            }
        }
        assert!(read >= 20, "{read} exports read");
    }

    /// The reading for the logic moves each activity's properties into the model: on exports
    /// broken where it moves them (activities, properties, links, an event flow's handlers), it
    /// finds the same problems, at the same places, and reads the same flow as a reading that
    /// copies them.
    #[test]
    fn moving_the_properties_reads_what_copying_them_reads() {
        use serde_json::{json, Value};
        type Break = fn(&mut Value);
        const EVENT: &str = "/eventFlows/eventsMap/GLOBAL_EVENTS";
        fn first(e: &Value, at: &str) -> String {
            let activities = e.pointer(at).and_then(Value::as_object).unwrap();
            format!("{at}/{}", activities.keys().next().unwrap())
        }
        let breaks: Vec<(&str, Break)> = vec![
            ("nothing", |_| {}),
            ("activities a list", |e| {
                e["process"]["activities"] = json!([1]);
            }),
            ("links an object", |e| e["process"]["links"] = json!({})),
            ("a link to nowhere", |e| {
                e["process"]["links"][0]["targetActivityId"] = json!("nowhere");
            }),
            ("properties a list", |e| {
                let at = first(e, "/process/activities");
                e.pointer_mut(&at).unwrap()["properties"] = json!([1, 2]);
            }),
            ("an activity without a name", |e| {
                let at = first(e, &format!("{EVENT}/process/activities"));
                e.pointer_mut(&at).unwrap()["name"] = json!("");
            }),
            ("a handler of no activity", |e| {
                e.pointer_mut(EVENT).unwrap()["onEvents"]["Gone"] = json!("gone");
            }),
            ("an event flow's process a number", |e| {
                e.pointer_mut(EVENT).unwrap()["process"] = json!(3);
            }),
            ("no process", |e| {
                e.as_object_mut().unwrap().remove("process");
                e["diagram"] = json!({});
            }),
        ];
        for (what, break_it) in breaks {
            let mut export: Value =
                serde_json::from_str(&fixture("exports/voice-lookup.json")).unwrap();
            break_it(&mut export);
            let source = SourceFile::new("broken.json", export.to_string());
            let reading = |keeping| {
                let (_, flow, problems) =
                    read_export_told(&source, &SpanCell::default(), false, keeping).unwrap();
                (flow, problems)
            };
            let ((copied, copied_problems), (moved, moved_problems)) =
                (reading(Keeping::All), reading(Keeping::Logic));
            assert_eq!(copied_problems, moved_problems, "{what}");
            assert_eq!(what == "nothing", moved_problems.is_empty(), "{what}");
            let (copied, moved) = (copied.unwrap(), moved.unwrap());
            assert_eq!(copied.diff(&moved), Vec::new(), "{what}");
            assert_eq!(copied.textconv(), moved.textconv(), "{what}");
            assert_eq!(copied.event_flows, moved.event_flows, "{what}");
        }
    }

    fn fixture(path: &str) -> String {
        let root = env!("CARGO_MANIFEST_DIR");
        std::fs::read_to_string(format!("{root}/fixtures/flow-designer/{path}")).unwrap()
    }

    /// Exports (ours and Cisco's member orders) are read straight away; other JSON, and
    /// exports whose telling members are not where the look reaches, are told apart first
    /// (which is exact, only slower).
    #[test]
    fn what_may_be_an_export_is_told_by_its_first_members() {
        for name in ["token-subflow.json", "voice-lookup.json"] {
            let export = fixture(&format!("exports/{name}"));
            assert!(may_be_export(export.as_bytes()), "{name}");
            assert!(
                may_be_export(format!("\u{feff} \n{export}").as_bytes()),
                "{name}"
            );
        }
        let yes = [
            r#"{"orgId": "o", "version": 1, "variables": [], "process": {}}"#,
            r#"{"comment": "", "diagram": {}, "process": {}}"#,
            r#"{"name": "n", "process": {"activities": {}}}"#,
            // Broken past the members that tell: the reading says where.
            r#"{"diagram": {"widgets": {,}}"#,
            // Keys are read as JSON reads them.
            r#"{"proc\u0065ss": {}}"#,
        ];
        for text in yes {
            assert!(may_be_export(text.as_bytes()), "{text}");
        }
        let long = "x".repeat(super::EXPORT_LOOK);
        let no = [
            r#"{"format": "wxcflow/flow-document", "flow": {"process": {}}}"#.to_string(),
            r#"{"process": [], "data": [{"process": {}}]}"#.to_string(),
            r#"{"data": {"process": {}, "diagram": {}}}"#.to_string(),
            format!(r#"{{"description": "{long}", "diagram": {{}}, "process": {{}}}}"#),
            r#"[{"process": {}, "diagram": {}}]"#.to_string(),
            "[flow_designer]\nname = \"spec\"\n".to_string(),
            String::new(),
        ];
        for text in &no {
            assert!(
                !may_be_export(text.as_bytes()),
                "{}",
                &text[..text.len().min(80)]
            );
        }
    }
}
