//! Webex Contact Center's Flow Designer: a second target beside the flow document, and a reader
//! for its exports.
//!
//! Flow Designer exports and imports plain JSON (a `FlowVersionRes`). Both directions meet in
//! one model ([`model::FdFlow`]):
//!
//! ```text
//! export JSON --read--> FdFlow --decompile--> Flow Designer spec (TOML) --spec--> FdFlow
//! checked Flow (a Webex Connect spec) --lower--> FdFlow (a SUBFLOW)
//! FdFlow --emit--> FlowVersionRes JSON --schema--> checked on every output
//! two FdFlows --diff--> logic changes;  FdFlow --lint--> what a reviewer should know
//! ```

pub(crate) mod decompile;
pub mod diff;
pub mod emit;
pub(crate) mod expr;
pub(crate) mod graph;
pub mod inspect;
pub(crate) mod layout;
pub mod lint;
pub(crate) mod locate;
pub mod lower;
pub mod model;
pub(crate) mod pebble;
pub mod push;
pub mod quote;
pub mod read;
pub mod run;
pub mod schema;
pub mod secrets;
pub mod sheet;
pub(crate) mod spec;

use crate::diagnostic::{Code, Diagnostic, SourceFile};
use model::FdFlow;
use schema::FdValidator;

/// Reads either kind of Flow Designer file into the model.
pub(crate) fn read_any(source: &SourceFile) -> Result<FdFlow, Vec<Diagnostic>> {
    match read_any_partial(source) {
        (Some(flow), problems) if problems.is_empty() => Ok(flow),
        (_, problems) => Err(problems),
    }
}

/// Reads either kind of file as far as it goes (see [`read::read_export_partial`]).
pub(crate) fn read_any_partial(source: &SourceFile) -> (Option<FdFlow>, Vec<Diagnostic>) {
    read_any_in(source, &locate::SpanCell::default())
}

/// [`read_any_partial`], the file's spans kept in `spans`. A text that opens an object is read
/// as an export (no spec does), without recognising it first: the reader says what is wrong
/// with it.
fn read_any_in(source: &SourceFile, spans: &locate::SpanCell) -> (Option<FdFlow>, Vec<Diagnostic>) {
    read_any_told(source, spans, false, model::Keeping::All).map_or_else(
        || (None, Vec::new()),
        |(_, flow, problems)| (flow, problems),
    )
}

/// What kind of Flow Designer file a file is ([`crate::InputKind::flow_designer`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FileKind {
    Export,
    Spec,
}

/// [`read_any_in`] of a file not told apart first (`tell`): its kind comes with the reading
/// (an export's from the reading's own parse), `None` when it is no Flow Designer file.
fn read_any_told(
    source: &SourceFile,
    spans: &locate::SpanCell,
    tell: bool,
    keeping: model::Keeping,
) -> Option<(FileKind, Option<FdFlow>, Vec<Diagnostic>)> {
    if is_spec_text(source) {
        let (flow, problems) = spec::read_spec_partial(source);
        return Some((FileKind::Spec, flow, problems));
    }
    let (tell, told) = tell_first(source, tell)?;
    let (kind, flow, problems) = beside_key_scan(source, spans, || {
        read::read_export_told(source, spans, tell, keeping)
    })?;
    Some((told.unwrap_or(kind), flow, problems))
}

/// For a file not told apart first (`tell`): whether it is still to be told by its reading
/// (its first members are an export's, [`read::may_be_export`]), or was told apart now,
/// exactly, and of what kind (reading the whole of what is no export, to be told so, would be
/// wasted); `None` when it is no Flow Designer file, and nothing is to be read.
fn tell_first(source: &SourceFile, tell: bool) -> Option<(bool, Option<FileKind>)> {
    if !tell || read::may_be_export(source.text.as_bytes()) {
        return Some((tell, None));
    }
    Some((false, Some(read::kind_of(&source.text)?)))
}

/// `read` of an export, with whether its JSON gives a key twice (which its quote asks) found
/// on another thread meanwhile, for a large file: a pass of its own over the whole text. The
/// reading stays on this thread, which frees what it made.
fn beside_key_scan<T>(
    source: &SourceFile,
    spans: &locate::SpanCell,
    read: impl FnOnce() -> T,
) -> T {
    if source.text.len() < LARGE_EXPORT {
        return read();
    }
    beside(read, || spans.gives_a_key_twice(&source.text)).0
}

/// The size from which an export is read with a second thread beside the reading: below it, a
/// thread costs more than the pass it runs.
pub(crate) const LARGE_EXPORT: usize = 1 << 20;

/// The stack of a thread started [`beside`] another (and of the writer's, see `emit`): the
/// main thread's usual 8 MiB, not the 2 MiB Rust gives a thread it starts, so that work moved
/// off the main thread goes as deep as it did there (what recurses over a file's nesting:
/// JSON values, Pebble rewritten for a run).
pub(crate) const BESIDE_STACK: usize = 8 << 20;

/// `here` on this thread and `there` on a thread started beside it, at once; when no thread can
/// be started (a process limit), `there` after `here`, on this thread.
pub(crate) fn beside<A, B: Send>(here: impl FnOnce() -> A, there: impl Fn() -> B + Sync) -> (A, B) {
    std::thread::scope(|scope| {
        let started = std::thread::Builder::new()
            .stack_size(BESIDE_STACK)
            .spawn_scoped(scope, &there);
        let done_here = here();
        let done_there = match started {
            Ok(thread) => match thread.join() {
                Ok(done) => done,
                Err(panic) => std::panic::resume_unwind(panic),
            },
            Err(_) => there(),
        };
        (done_here, done_there)
    })
}

/// A reading refused where its file's JSON gives a key twice, with the errors `check` gives.
fn refusing_keys_given_twice(
    (read, quoted): (Result<FdFlow, Vec<Diagnostic>>, quote::Quoted),
) -> (Result<FdFlow, Vec<Diagnostic>>, quote::Quoted) {
    if read.is_err() || quoted.given_twice().is_empty() {
        return (read, quoted);
    }
    let told = lint::FLOW_DESIGNER_READS;
    let mut found = lint::keys_given_twice(&quoted.source, quoted.given_twice(), told);
    quoted.place(&mut found);
    (Err(found), quoted)
}

/// Whether a file is read as a Flow Designer spec rather than as an export.
fn is_spec_text(source: &SourceFile) -> bool {
    !locate::is_json(&source.text)
        && crate::InputKind::detect(source.text.as_bytes()) == crate::InputKind::FlowDesignerSpec
}

/// [`read_quoted_owned`] for a check against the schema: an export's JSON is read once, for
/// the reader and for the schema check ([`export_schema_problems_parsed`]).
/// `tell`: the file was not told apart first; its kind comes with the reading, and `None`
/// when it is no Flow Designer file.
pub(crate) fn read_quoted_checked(
    source: SourceFile,
    validator: &FdValidator,
    tell: bool,
) -> Option<CheckedRead> {
    let spans = locate::SpanCell::default();
    let read = if is_spec_text(&source) {
        let (flow, problems) = spec::read_spec_partial(&source);
        Some((FileKind::Spec, flow, problems, None))
    } else {
        let (tell, told) = tell_first(&source, tell)?;
        beside_key_scan(&source, &spans, || {
            read::read_export_checked(&source, &spans, validator, tell)
        })
        .map(|(kind, flow, problems, parsed)| (told.unwrap_or(kind), flow, problems, parsed))
    };
    let (kind, flow, problems, parsed) = read?;
    let (read, quoted) = quote_read(source, flow, problems, spans);
    Some((kind, read, quoted, parsed))
}

/// What [`read_quoted_checked`] reads: the file's kind, the model or the problems, the file as
/// diagnostics quote it, and an export's JSON for its schema check.
pub(crate) type CheckedRead = (
    FileKind,
    Result<FdFlow, Vec<Diagnostic>>,
    quote::Quoted,
    Option<read::Parsed>,
);

/// [`FdFlow::read_quoted_owned`] of a file not told apart first: its kind comes with the
/// reading, and the file back when it is no Flow Designer file.
pub(crate) fn read_quoted_told(
    source: SourceFile,
    keeping: model::Keeping,
) -> Result<ToldRead, Box<SourceFile>> {
    let spans = locate::SpanCell::default();
    let Some((kind, flow, problems)) = read_any_told(&source, &spans, true, keeping) else {
        return Err(Box::new(source));
    };
    let (read, quoted) = refusing_keys_given_twice(quote_read(source, flow, problems, spans));
    Ok((kind, read, quoted))
}

/// What [`read_quoted_told`] reads: the file's kind, the model or the problems, and the file
/// as diagnostics quote it.
pub(crate) type ToldRead = (FileKind, Result<FdFlow, Vec<Diagnostic>>, quote::Quoted);

/// Reads either kind of file, with the file as diagnostics about it quote it: secret values
/// hidden by their place, and the read problems placed in it (columns counted as shown). The
/// file's spans are scanned once at most, and kept with the quote for the checks.
pub(crate) fn read_quoted(source: &SourceFile) -> (Result<FdFlow, Vec<Diagnostic>>, quote::Quoted) {
    read_quoted_owned(source.clone())
}

/// [`read_quoted`] of a file handed over: the quote keeps it rather than a copy (an export can
/// be hundreds of megabytes).
pub(crate) fn read_quoted_owned(
    source: SourceFile,
) -> (Result<FdFlow, Vec<Diagnostic>>, quote::Quoted) {
    let spans = locate::SpanCell::default();
    let (flow, problems) = read_any_in(&source, &spans);
    quote_read(source, flow, problems, spans)
}

/// What was read of `source`, with the file as diagnostics quote it.
fn quote_read(
    source: SourceFile,
    flow: Option<FdFlow>,
    mut problems: Vec<Diagnostic>,
    spans: locate::SpanCell,
) -> (Result<FdFlow, Vec<Diagnostic>>, quote::Quoted) {
    match flow {
        Some(flow) if problems.is_empty() => {
            let quoted = quote::quoted_in(source, &flow, spans);
            (Ok(flow), quoted)
        }
        partial => {
            let quoted = quote::quoted_partial_in(source, partial.as_ref(), spans);
            quoted.place(&mut problems);
            (Err(problems), quoted)
        }
    }
}

/// The result of writing a Flow Designer file.
#[derive(Debug)]
pub struct FdBuild {
    /// The model and its JSON, when there were no errors.
    pub output: Option<(FdFlow, String)>,
    /// Every error and warning about the file.
    pub diagnostics: Vec<Diagnostic>,
    /// Whether the file holds a secret value (a secure variable's value, a credential typed in
    /// clear, or a secret a tenant brought in), so that it must be private.
    pub holds_secret: bool,
}

impl FdBuild {
    pub(crate) fn failed(diagnostics: Vec<Diagnostic>) -> FdBuild {
        FdBuild {
            output: None,
            diagnostics,
            holds_secret: false,
        }
    }

    /// Whether any diagnostic is an error, in which case nothing is written.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Who is to blame when the written file breaks the schema: wxcflow (a flow it lowered) or the
/// Flow Designer spec it was given (settings the schema does not allow).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Origin {
    /// A Webex Connect flow that wxcflow lowered.
    Lowered,
    /// A Flow Designer spec, whose settings pass through as written.
    Spec,
}

/// Emits a model, validates it against the schema and decides whether it must be private: by
/// the secrets' places in the model ([`secrets::Secrets`]), never by searching the text.
pub(crate) fn finish(
    flow: FdFlow,
    diagnostics: Vec<Diagnostic>,
    origin: Origin,
    validator: &FdValidator,
) -> FdBuild {
    finish_in(flow, diagnostics, origin, validator, None)
}

/// [`finish`] of a Flow Designer spec read from `spec` (as diagnostics quote it): what the
/// schema refuses is located at the key in the spec that wrote it.
pub(crate) fn finish_spec(flow: FdFlow, validator: &FdValidator, spec: &quote::Quoted) -> FdBuild {
    finish_in(flow, Vec::new(), Origin::Spec, validator, Some(spec))
}

fn finish_in(
    flow: FdFlow,
    diagnostics: Vec<Diagnostic>,
    origin: Origin,
    validator: &FdValidator,
    spec: Option<&quote::Quoted>,
) -> FdBuild {
    // Written and checked part by part, never held whole; a file the schema refuses is written
    // whole below, to say what is wrong.
    // Whether it holds a secret is found beside the writing, which is one thread's work for
    // most of its time (the parts are written on every core, the rest on this one).
    let (written, holds_secret) = beside(
        || emit::write_checked(&flow, validator),
        || secrets::Secrets::of(&flow).any(),
    );
    if let Some(json) = written {
        return built(flow, json, diagnostics, holds_secret);
    }
    written_whole(flow, diagnostics, origin, validator, spec)
}

/// What [`finish_spec`] finds, for a check that writes nothing: what the schema refuses in the
/// file the spec read from `spec` would write, and a file over the readers' limit. The file
/// is written a part at a time only to be measured (none of it kept), and whole only when it
/// does not pass, to say why.
pub(crate) fn check_spec_written(
    flow: FdFlow,
    validator: &FdValidator,
    spec: &quote::Quoted,
) -> Vec<Diagnostic> {
    match emit::checked_length(&flow, validator) {
        Some(length) => too_large_written(length).into_iter().collect(),
        None => written_whole(flow, Vec::new(), Origin::Spec, validator, Some(spec)).diagnostics,
    }
}

/// [`finish_in`] of a flow that does not pass the schema part by part (or whose kept members
/// cannot be placed over its parts): written whole, and what the schema refuses in it said.
fn written_whole(
    flow: FdFlow,
    mut diagnostics: Vec<Diagnostic>,
    origin: Origin,
    validator: &FdValidator,
    spec: Option<&quote::Quoted>,
) -> FdBuild {
    let value = emit::emit(&flow);
    // Each activity by the id it was written with: (event flow key, or none for the main
    // process; activity name) -> id, indexed once; and each activity's name by its id, to spell
    // the ids in schema paths as the names people wrote.
    let mut written: std::collections::HashMap<(Option<&str>, &str), &str> =
        std::collections::HashMap::new();
    let mut named: std::collections::HashMap<(Option<&str>, &str), &str> =
        std::collections::HashMap::new();
    let events = value
        .pointer("/eventFlows/eventsMap")
        .and_then(serde_json::Value::as_object)
        .into_iter()
        .flatten()
        .map(|(key, e)| (Some(key.as_str()), e.get("process")));
    for (scope, process) in std::iter::once((None, value.get("process"))).chain(events) {
        let activities = process
            .and_then(|p| p.get("activities"))
            .and_then(serde_json::Value::as_object);
        for (id, a) in activities.into_iter().flatten() {
            if let Some(name) = a.get("name").and_then(serde_json::Value::as_str) {
                written.entry((scope, name)).or_insert(id.as_str());
                named.insert((scope, id.as_str()), name);
            }
        }
    }
    let written_id = |scope: &model::Scope, a: &model::Activity| -> Option<String> {
        let key = match scope {
            model::Scope::Main => None,
            model::Scope::Event(key) => Some(key.as_str()),
        };
        written
            .get(&(key, a.name.as_str()))
            .map(|id| id.to_string())
    };
    let violations = export_violations(&value, &flow, validator, &written_id);
    if !violations.is_empty() {
        // (event flow key, or none; activity id) -> the activity's name in the spec.
        let by_id: std::collections::HashMap<(Option<&str>, &str), &str> = written
            .iter()
            .map(|((scope, name), id)| ((*scope, *id), *name))
            .collect();
        diagnostics.extend(violations.into_iter().map(|v| {
            let span = spec.and_then(|spec| {
                let path = spec_path(&v.path, &flow, &by_id, spec);
                let at = spec.places().locate(&path, true)?;
                Some(spec.source.span(at))
            });
            let v = spelled_by_name(&v, &named);
            match origin {
                Origin::Lowered => Diagnostic::new(Code::SchemaViolation, v).with_help(
                    "wxcflow wrote a Flow Designer file its own schema rejects; please report this",
                ),
                Origin::Spec => Diagnostic::new(
                    Code::InvalidFlowDesigner,
                    format!("the written file would break the Flow Designer schema at {v}"),
                )
                .with_span(span),
            }
        }));
        return FdBuild::failed(diagnostics);
    }
    let json = emit::to_json(&value);
    let holds_secret = secrets::Secrets::of(&flow).any();
    built(flow, json, diagnostics, holds_secret)
}

/// A schema violation as `pointer: message`, an activity's id in its pointer spelled as the
/// activity's name (`named`: by event flow key, or none for the main process, and id). Each
/// pointer names one activity at most: looked up, never searched for (an id can begin another).
fn spelled_by_name(
    v: &schema::Violation,
    named: &std::collections::HashMap<(Option<&str>, &str), &str>,
) -> String {
    let steps: Vec<&str> = v.path.iter().map(String::as_str).collect();
    let (scope, at) = match steps.as_slice() {
        ["eventFlows", "eventsMap", key, "process", "activities", _, ..] => (Some(*key), 5),
        ["process", "activities", _, ..] => (None, 2),
        _ => return v.to_string(),
    };
    // The pointer's steps, after its leading empty one, are the path's, escaped.
    let mut pointer: Vec<&str> = v.pointer.split('/').collect();
    match named.get(&(scope, steps[at])) {
        Some(name) if pointer.len() == steps.len() + 1 => {
            pointer[at + 1] = name;
            format!("{}: {}", pointer.join("/"), v.message)
        }
        _ => v.to_string(),
    }
}

/// The build of `flow`, written as `json` (valid against the schema), holding a secret or not.
fn built(
    flow: FdFlow,
    json: String,
    mut diagnostics: Vec<Diagnostic>,
    holds_secret: bool,
) -> FdBuild {
    if let Some(d) = too_large_written(json.len()) {
        diagnostics.push(d);
        return FdBuild::failed(diagnostics);
    }
    FdBuild {
        output: Some((flow, json)),
        diagnostics,
        holds_secret,
    }
}

/// What is written can be read back: no file over the readers' limit.
fn too_large_written(length: usize) -> Option<Diagnostic> {
    let d = crate::flow::limits::too_large_fd("the Flow Designer file", length)?;
    Some(d.with_help(
        "split the flow: build a part of it as a subflow of its own and call it (`call_flow`)",
    ))
}

/// The place in a Flow Designer spec that wrote the value at `path` of the file built from it:
/// an activity's property is its setting (or its `json` entry), a variable's member is the
/// variable's, anything else the `[flow_designer]` header's; as deep as the spec has it.
fn spec_path(
    path: &[String],
    flow: &FdFlow,
    by_id: &std::collections::HashMap<(Option<&str>, &str), &str>,
    spec: &quote::Quoted,
) -> Vec<locate::Step> {
    use locate::Step;
    let keys = |keys: &[&str]| keys.iter().map(|k| Step::from(*k)).collect::<Vec<_>>();
    let exists = |path: &[Step]| spec.places().key_line(path).is_some();
    let p: Vec<&str> = path.iter().map(String::as_str).collect();
    let (scope, rest) = match p.as_slice() {
        ["eventFlows", "eventsMap", key, rest @ ..] => (Some(*key), rest),
        rest => (None, rest),
    };
    let root = match scope {
        Some(key) => keys(&["event_flows", key]),
        None => Vec::new(),
    };
    if let ["process", "activities", id, rest @ ..] | ["diagram", "widgets", id, rest @ ..] = rest {
        if let Some(name) = by_id.get(&(scope, *id)) {
            let mut activity = root.clone();
            activity.extend(keys(&["activities", name]));
            if let ["properties", setting @ ..] = rest {
                if let Some(first) = setting.first() {
                    let mut place = activity.clone();
                    place.push("settings".into());
                    place.extend(setting.iter().map(|k| Step::from(*k)));
                    let mut json = activity.clone();
                    json.extend(keys(&["json", first]));
                    if !exists(&place) && exists(&json) {
                        return json;
                    }
                    return place;
                }
            }
            return activity;
        }
        return root;
    }
    if let (None, ["variables", index, member @ ..]) = (scope, rest) {
        let variable = index
            .parse::<usize>()
            .ok()
            .and_then(|i| flow.variables.get(i));
        if let Some(v) = variable {
            let mut place = keys(&["variables", &v.name]);
            place.extend(member.iter().take(1).map(|k| Step::from(*k)));
            return place;
        }
    }
    let mut header = keys(&["flow_designer"]);
    header.extend(rest.iter().take(1).map(|k| Step::from(*k)));
    if scope.is_none() && exists(&header) {
        return header;
    }
    if scope.is_some() {
        return root;
    }
    keys(&["flow_designer"])
}

/// What the schema refuses in an export read from `quoted` (read as `flow`): what `push`
/// refuses, said as `check` says it, located in the file, secret values shown as the mask.
/// `id` gives an activity's id in the file.
pub fn export_schema_problems(
    quoted: &quote::Quoted,
    flow: &FdFlow,
    validator: &FdValidator,
) -> Vec<Diagnostic> {
    export_schema_problems_parsed(quoted, flow, validator, None)
}

/// [`export_schema_problems`], from what the reader's parse kept for it ([`read::Parsed`]):
/// the widgets checked as they were read, the rest of the file now, the file not parsed again.
/// Without it, or when a member on the way to a widget was given twice, the file is parsed
/// again and checked whole.
pub(crate) fn export_schema_problems_parsed(
    quoted: &quote::Quoted,
    flow: &FdFlow,
    validator: &FdValidator,
    parsed: Option<read::Parsed>,
) -> Vec<Diagnostic> {
    let id = |_: &model::Scope, a: &model::Activity| a.origin.clone();
    // A widget the schema refuses, read again whole from the file to say why (always found in
    // a file that read; if not, the file is checked whole).
    let reread = |path: Vec<String>| {
        let at: Vec<locate::Step> = path.iter().map(locate::Step::from).collect();
        let range = quoted.places().locate(&at, false)?;
        let text = quoted.source.text.get(range)?;
        let widget = serde_json::from_str::<serde_json::Value>(text).ok()?;
        Some((path, at, widget))
    };
    let accepted = parsed.as_ref().is_some_and(|parsed| {
        parsed.exact
            && parsed.broken_widgets.is_empty()
            && parsed.accepted_without_widgets == Some(true)
    });
    if accepted {
        // Nothing to say (and nothing to find out of what may be shown).
        return Vec::new();
    }
    let parsed = parsed.filter(|parsed| parsed.exact).and_then(|parsed| {
        let broken: Option<Vec<_>> = parsed.broken_widgets.into_iter().map(reread).collect();
        Some((broken?, parsed.value))
    });
    let (value, violations) = match parsed {
        Some((broken, value)) => {
            let hides = hiding(flow, &id);
            let mut steps: std::collections::HashMap<String, Vec<locate::Step>> =
                std::collections::HashMap::new();
            let mut violations = validator.violations_without_widgets(&value, &hides);
            for (path, at, widget) in broken {
                let pointer: String = path
                    .iter()
                    .map(|s| format!("/{}", s.replace('~', "~0").replace('/', "~1")))
                    .collect();
                for found in validator.widget_violations(&pointer, &path, &widget) {
                    let mut place = at.clone();
                    place.extend(steps_in(&widget, &found.path[path.len()..]));
                    let violation = found.hiding(&hides);
                    steps.insert(violation.to_string(), place);
                    violations.push(violation);
                }
            }
            let violations = schema::sorted(violations);
            let located = |v: &schema::Violation| {
                steps
                    .get(&v.to_string())
                    .cloned()
                    .unwrap_or_else(|| steps_in(&value, &v.path))
            };
            return violations
                .iter()
                .map(|v| schema_problem(quoted, v, located(v)))
                .collect();
        }
        _ => {
            let Ok(value) = serde_json::from_str::<serde_json::Value>(&quoted.source.text) else {
                return Vec::new();
            };
            let violations = export_violations(&value, flow, validator, &id);
            (value, violations)
        }
    };
    violations
        .iter()
        .map(|v| schema_problem(quoted, v, steps_in(&value, &v.path)))
        .collect()
}

/// A path's steps in `value`, an array's members by index, as the file's places are found.
fn steps_in(value: &serde_json::Value, path: &[String]) -> Vec<locate::Step> {
    let mut at = Some(value);
    path.iter()
        .map(|s| {
            let step = match (at, s.parse::<usize>()) {
                (Some(serde_json::Value::Array(_)), Ok(i)) => locate::Step::Index(i),
                _ => locate::Step::from(s),
            };
            at = at.and_then(|value| match value {
                serde_json::Value::Array(a) => s.parse::<usize>().ok().and_then(|i| a.get(i)),
                other => other.get(s),
            });
            step
        })
        .collect()
}

/// A schema violation of an export as `check` says it, at `steps` in the file.
fn schema_problem(
    quoted: &quote::Quoted,
    v: &schema::Violation,
    steps: Vec<locate::Step>,
) -> Diagnostic {
    let span = quoted
        .places()
        .locate(&steps, true)
        .map(|r| quoted.source.span(r));
    Diagnostic::new(
        Code::InvalidFlowDesigner,
        format!("the file breaks the Flow Designer schema at {v}"),
    )
    .with_span(span)
    .with_help("Flow Designer may refuse it, and `wxcflow push` does not send it")
}

/// Validates an export's JSON (`value`, read as `flow`) against the schema. A problem with a
/// value that holds a secret, or with one inside it, is said without the value. `id` gives an
/// activity's id in `value`.
pub(crate) fn validate_export(
    value: &serde_json::Value,
    flow: &FdFlow,
    validator: &FdValidator,
    id: &dyn Fn(&model::Scope, &model::Activity) -> Option<String>,
) -> Vec<String> {
    export_violations(value, flow, validator, id)
        .iter()
        .map(ToString::to_string)
        .collect()
}

/// [`validate_export`], each violation with its path.
fn export_violations(
    value: &serde_json::Value,
    flow: &FdFlow,
    validator: &FdValidator,
    id: &dyn Fn(&model::Scope, &model::Activity) -> Option<String>,
) -> Vec<schema::Violation> {
    validator.violations_hiding(value, &hiding(flow, id))
}

/// Whether a place in an export of `flow` (`id` giving an activity's id in it) holds a secret
/// or lies inside one: what a violation there must say without the value.
fn hiding<'f>(
    flow: &FdFlow,
    id: &dyn Fn(&model::Scope, &model::Activity) -> Option<String>,
) -> impl Fn(&[String]) -> bool + 'f {
    let secrets = secrets::Secrets::of(flow);
    let hidden: Vec<Vec<String>> = quote::export_places(flow, &secrets, id)
        .into_iter()
        .map(|place| place.into_iter().map(|step| step.to_string()).collect())
        .collect();
    move |path: &[String]| {
        hidden
            .iter()
            .any(|h| path.starts_with(h) || h.starts_with(path))
    }
}

/// Builds a Flow Designer spec back into a `FlowVersionRes`.
pub(crate) fn build_spec(source: &SourceFile, validator: &FdValidator) -> FdBuild {
    match spec::read_spec(source) {
        Ok(flow) => {
            let refused = refused_by_check(lint::lint(&flow, Some(source)));
            let build = finish(flow, Vec::new(), Origin::Spec, validator);
            refuse_with(build, refused)
        }
        Err(diagnostics) => FdBuild::failed(diagnostics),
    }
}

/// [`finish_spec`] refusing what `check` calls an error in the spec (a template Pebble cannot
/// parse): a file that `push` would send as it is, and Flow Designer would not run.
pub(crate) fn build_spec_quoted(
    flow: FdFlow,
    validator: &FdValidator,
    spec: &quote::Quoted,
) -> FdBuild {
    let refused = refused_by_check(lint::lint_quoted(&flow, spec));
    refuse_with(finish_spec(flow, validator, spec), refused)
}

/// The errors among what the lint found.
fn refused_by_check(found: Vec<Diagnostic>) -> Vec<Diagnostic> {
    found.into_iter().filter(Diagnostic::is_error).collect()
}

/// `build` with nothing to write when `refused` holds anything, which is said first, as
/// `check` says it.
fn refuse_with(mut build: FdBuild, refused: Vec<Diagnostic>) -> FdBuild {
    if refused.is_empty() {
        return build;
    }
    build.output = None;
    build.holds_secret = false;
    build.diagnostics.splice(0..0, refused);
    build
}

/// What can be done with a Flow Designer flow: read it, write it, compare, check and run it.
/// Every Flow Designer command goes through these.
impl FdFlow {
    /// Reads either kind of Flow Designer file (an export, or a Flow Designer spec).
    pub fn read(source: &SourceFile) -> Result<FdFlow, Vec<Diagnostic>> {
        read_any(source)
    }

    /// Reads a Flow Designer export (`FlowVersionRes` JSON).
    pub fn read_export(source: &SourceFile) -> Result<FdFlow, Vec<Diagnostic>> {
        read::read_export(source)
    }

    /// Reads as much of an export as can be read, with every problem found.
    pub fn read_export_partial(source: &SourceFile) -> (Option<FdFlow>, Vec<Diagnostic>) {
        read::read_export_partial(source)
    }

    /// Reads a Flow Designer spec (TOML).
    pub fn read_spec(source: &SourceFile) -> Result<FdFlow, Vec<Diagnostic>> {
        spec::read_spec(source)
    }

    /// Reads either kind of file, with the file as its diagnostics may quote it. An export
    /// whose JSON gives a key twice is refused (`wxc::key-given-twice`): which value counts
    /// depends on the reader, and a secure flag given twice would show a secret.
    pub fn read_quoted(source: &SourceFile) -> (Result<FdFlow, Vec<Diagnostic>>, quote::Quoted) {
        refusing_keys_given_twice(read_quoted(source))
    }

    /// [`FdFlow::read_quoted`] of a file handed over (the quote keeps it rather than a copy).
    pub fn read_quoted_owned(
        source: SourceFile,
    ) -> (Result<FdFlow, Vec<Diagnostic>>, quote::Quoted) {
        refusing_keys_given_twice(read_quoted_owned(source))
    }

    /// The flow as a Flow Designer spec (TOML); `origin` names where it was read from.
    pub fn decompile(&self, origin: &str) -> String {
        decompile::decompile(self, origin)
    }

    /// The logic changes from this flow to `new`.
    pub fn diff(&self, new: &FdFlow) -> Vec<diff::Change> {
        diff::diff(self, new)
    }

    /// Changes between two Flow Designer flows as Markdown, headed by their names.
    pub fn diff_markdown(changes: &[diff::Change], old_name: &str, new_name: &str) -> String {
        diff::render_markdown(changes, old_name, new_name)
    }

    /// The flow as textconv lines: one fact a line, for `git diff`.
    pub fn textconv(&self) -> String {
        diff::render_lines(self)
    }

    /// The flow as an export (`FlowVersionRes`) JSON value.
    pub fn to_export(&self) -> serde_json::Value {
        emit::emit(self)
    }

    /// What the flow holds, counted (`kind` says what kind of file it was read from).
    pub fn summary(&self, kind: &'static str) -> inspect::Summary {
        inspect::summary(self, kind)
    }

    /// What a reviewer should know of the flow; `source` is the file it was read from.
    pub fn lint(&self, source: Option<&SourceFile>) -> Vec<Diagnostic> {
        lint::lint(self, source)
    }

    /// The main process and each event flow's, with where each is.
    pub fn processes(&self) -> Vec<(model::Scope, &model::Process)> {
        model::processes(self)
    }

    /// Validates the export's JSON `value` (read as this flow) against the schema, without
    /// the secret values it holds; `id` gives an activity's id in `value`.
    pub fn validate_export(
        &self,
        value: &serde_json::Value,
        validator: &FdValidator,
        id: &dyn Fn(&model::Scope, &model::Activity) -> Option<String>,
    ) -> Vec<String> {
        validate_export(value, self, validator, id)
    }

    /// Runs the flow locally from its start: `inputs`, HTTP through `http`, `digits` answering
    /// menus in order, subflows from `subflows`.
    pub fn run(
        &self,
        inputs: &run::Inputs,
        http: &mut dyn crate::tools::simulate::HttpClient,
        digits: &[String],
        subflows: &dyn run::SubflowLookup,
    ) -> run::FdRun {
        run::run(self, inputs, http, digits, subflows)
    }
}

impl inspect::Summary {
    /// The summary as `inspect` prints it, for the file at `path`.
    pub fn render(&self, path: &str) -> String {
        inspect::render(path, self)
    }
}

impl run::FdRun {
    /// The run for people: the path taken, HTTP requests, where it ended.
    pub fn render_text(&self) -> String {
        run::render_text(self)
    }

    /// The run as JSON.
    pub fn render_json(&self) -> String {
        run::render_json(self)
    }
}

impl run::Inputs {
    /// The inputs a file (`source`) gives `flow`, or every problem with it; and the file as
    /// diagnostics may quote it (values hidden).
    pub fn read(
        source: &SourceFile,
        flow: &FdFlow,
    ) -> (Result<run::Inputs, Vec<Diagnostic>>, SourceFile) {
        run::read_inputs(source, flow)
    }
}

impl FdValidator {
    /// Problems with cross-references in a whole export (`document`): the main process and
    /// every event flow.
    pub fn reference_problems(document: &serde_json::Value) -> Vec<String> {
        schema::reference_problems(document)
    }
}

impl sheet::SheetInput<'_> {
    /// The build sheet, as Markdown: how to import the file into Flow Designer, what to check
    /// afterwards, its variables, and how a parent flow calls it.
    pub fn sheet(&self) -> String {
        sheet::sheet(self)
    }
}

impl FdBuild {
    /// Builds a Flow Designer spec back into an export (`FlowVersionRes`), validated.
    pub fn from_spec(source: &SourceFile, validator: &FdValidator) -> FdBuild {
        build_spec(source, validator)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    /// What runs beside has the stack it had on the main thread: 4 MiB of frames, twice what a
    /// thread Rust starts has.
    #[test]
    fn work_beside_goes_as_deep_as_on_the_main_thread() {
        /// Recurses until `bytes` of stack below `top` are in use.
        fn down(top: usize, bytes: usize) -> usize {
            let frame = std::hint::black_box([0u8; 256]);
            match top.abs_diff(frame.as_ptr() as usize) >= bytes {
                true => 1,
                false => 1 + down(top, bytes),
            }
        }
        let deep = |bytes: usize| {
            let top = std::hint::black_box([0u8; 1]);
            down(top.as_ptr() as usize, bytes) > 1
        };
        assert_eq!(beside(|| deep(1 << 10), || deep(4 << 20)), (true, true));
    }

    /// An activity's id in a schema path is spelled as its name, found by the whole id in its
    /// own scope: an id that begins another (`a` of `a-c1`) is not taken for it.
    #[test]
    fn an_id_in_a_violation_is_spelled_as_the_name_of_that_activity() {
        let violation = |pointer: &str| schema::Violation {
            pointer: pointer.to_string(),
            path: pointer[1..].split('/').map(String::from).collect(),
            message: "\"a-c1\" does not match".to_string(),
        };
        let named = std::collections::HashMap::from([
            ((None, "a"), "First"),
            ((None, "a-c1"), "Second"),
            ((Some("ev"), "a-c1"), "Handler"),
        ]);
        let cases = [
            (
                "/process/activities/a-c1/id",
                "/process/activities/Second/id: \"a-c1\" does not match",
            ),
            (
                "/process/activities/a/properties/x",
                "/process/activities/First/properties/x: \"a-c1\" does not match",
            ),
            (
                "/eventFlows/eventsMap/ev/process/activities/a-c1/id",
                "/eventFlows/eventsMap/ev/process/activities/Handler/id: \"a-c1\" does not match",
            ),
            // Not an activity of its scope, or not an activity: as it is.
            (
                "/eventFlows/eventsMap/ev/process/activities/a/id",
                "/eventFlows/eventsMap/ev/process/activities/a/id: \"a-c1\" does not match",
            ),
            (
                "/diagram/widgets/a-c1/id",
                "/diagram/widgets/a-c1/id: \"a-c1\" does not match",
            ),
        ];
        for (pointer, shown) in cases {
            assert_eq!(spelled_by_name(&violation(pointer), &named), shown);
        }
    }

    const EXPORT: &str = include_str!("../../fixtures/flow-designer/exports/token-subflow.json");
    const HTTP: &str = "099950d8-1600-46f0-9ac3-3d9c11e20b8f";

    /// The schema check from the reader's one parse, and from a second parse of the whole file.
    fn both_ways(text: &str) -> (Vec<Diagnostic>, Vec<Diagnostic>) {
        let validator = FdValidator::new();
        let source = SourceFile::new("broken.json", text);
        let (_, read, quoted, parsed) = read_quoted_checked(source, &validator, false).unwrap();
        let flow = read.unwrap_or_else(|problems| panic!("read: {problems:?}"));
        let once = export_schema_problems_parsed(&quoted, &flow, &validator, parsed);
        let whole = export_schema_problems(&quoted, &flow, &validator);
        (once, whole)
    }

    fn widget<'v>(export: &'v mut Value, nth: usize, kind: &str) -> &'v mut Value {
        let widgets = export["diagram"]["widgets"].as_object_mut().unwrap();
        widgets
            .values_mut()
            .filter(|w| w["widgetType"] == kind)
            .nth(nth)
            .unwrap()
    }

    #[test]
    fn widgets_checked_as_read_say_what_the_whole_file_check_says() {
        type Break = fn(&mut Value);
        let breaks: Vec<(&str, Break)> = vec![
            ("port position as text", |e| {
                widget(e, 0, "activity")["ports"][0]["properties"]["x"] = json!("a");
            }),
            ("link drawn with one point", |e| {
                let points = &mut widget(e, 0, "link")["properties"]["points"];
                points.as_array_mut().unwrap().truncate(1);
            }),
            ("no label", |e| {
                widget(e, 1, "activity")
                    .as_object_mut()
                    .unwrap()
                    .remove("label");
            }),
            ("a credential in a widget that breaks the schema", |e| {
                for at in ["/process/activities", "/diagram/widgets"] {
                    let a = e.pointer_mut(&format!("{at}/{HTTP}/properties")).unwrap();
                    a["httpRequestHeaders"] = json!({ "x-token-passphrase": "hunter2secret" });
                }
                let w = e.pointer_mut(&format!("/diagram/widgets/{HTTP}")).unwrap();
                w.as_object_mut().unwrap().remove("label");
                w["ports"][0]["links"] = json!([5]);
            }),
            ("a widget that is a list", |e| {
                *widget(e, 2, "activity") = json!([1, 2]);
            }),
            ("references", |e| {
                widget(e, 2, "activity")["ports"][1]["links"]
                    .as_array_mut()
                    .unwrap()
                    .push(json!("nope"));
                widget(e, 1, "link")["sourcePort"]["id"] = json!(3);
            }),
            ("widget types and an activity", |e| {
                widget(e, 0, "link")["widgetType"] = json!("arrow");
                widget(e, 1, "link")["type"] = json!("line");
                let method = format!("/process/activities/{HTTP}/properties/httpRequestMethod");
                *e.pointer_mut(&method).unwrap() = json!(5);
            }),
            ("a widget in an event flow, its key escaped", |e| {
                let widgets = e
                    .pointer_mut("/eventFlows/eventsMap/GLOBAL_EVENTS/diagram/widgets")
                    .unwrap();
                widgets["x/y~z"] = json!({
                    "widgetType": "activity",
                    "ports": [{ "properties": { "x": "q" } }]
                });
            }),
            ("widgets as a list", |e| e["diagram"]["widgets"] = json!([])),
            ("a widget's properties not an object", |e| {
                widget(e, 0, "link")["properties"] = json!([{ "x": 1, "y": 2 }]);
                widget(e, 0, "activity")["properties"] = json!("x");
            }),
            (
                "a link's second point not a point, among other properties",
                |e| {
                    let w = widget(e, 0, "link");
                    w["properties"]["name"] = json!("Fetch");
                    w["properties"]["points"][1] = json!("x");
                },
            ),
        ];
        for (what, break_it) in breaks {
            let mut export: Value = serde_json::from_str(EXPORT).unwrap();
            break_it(&mut export);
            let text = serde_json::to_string_pretty(&export).unwrap();
            let (once, whole) = both_ways(&text);
            assert!(!whole.is_empty(), "{what}: the schema finds nothing");
            assert_eq!(once, whole, "{what}");
            assert!(!format!("{once:?}").contains("hunter2"), "{what}");
        }
    }

    #[test]
    fn a_member_given_twice_on_the_way_to_a_widget_is_checked_whole() {
        // The first `diagram` breaks the schema, the JSON keeps the second.
        let text = EXPORT.replacen(
            r#""diagram":{"widgets""#,
            r#""diagram":{"widgets":{"a":{"id":1}}},"diagram":{"widgets""#,
            1,
        );
        let validator = FdValidator::new();
        let source = SourceFile::new("twice.json", text.as_str());
        let (_, _, _, parsed) = read_quoted_checked(source, &validator, false).unwrap();
        let parsed = parsed.unwrap();
        assert!(!parsed.exact);
        assert!(!parsed.broken_widgets.is_empty());
        let (once, whole) = both_ways(&text);
        assert_eq!(once, whole);
        assert!(once.is_empty());
    }

    /// What telling a file apart first says it is (`InputKind::flow_designer`, the scan the
    /// commands made before reading).
    fn told_first(text: &str) -> Option<FileKind> {
        crate::InputKind::flow_designer(text.as_bytes()).map(|kind| match kind {
            crate::InputKind::FlowDesignerSpec => FileKind::Spec,
            _ => FileKind::Export,
        })
    }

    /// What reading a file not told apart first says it is, as `InputKind::flow_designer` would.
    fn told(text: &str) -> Option<FileKind> {
        let source = SourceFile::new("told.json", text);
        let spans = locate::SpanCell::default();
        let plain =
            read_any_told(&source, &spans, true, model::Keeping::All).map(|(kind, ..)| kind);
        let validator = FdValidator::new();
        let checked = read_quoted_checked(source, &validator, true).map(|(k, ..)| k);
        assert_eq!(plain, checked, "{text}");
        plain
    }

    #[test]
    fn a_file_read_untold_is_the_kind_it_is_told_apart_as() {
        let texts = [
            EXPORT.to_string(),
            // Valid JSON that is no export: a flow document, a list, an object of other things.
            r#"{"name": "f", "flow": {"nodes": []}}"#.to_string(),
            r#"{"process": [], "diagram": {}}"#.to_string(),
            r#"{"process": {}, "other": 1}"#.to_string(),
            // A member given twice counts as given last.
            r#"{"process": {}, "variables": [], "process": 1}"#.to_string(),
            r#"{"process": 1, "variables": [], "process": {}}"#.to_string(),
            // Broken JSON: told by what it holds.
            EXPORT.replacen('{', "{,", 2),
            r#"{"process": {"activities": {}}, "diagram": "#.to_string(),
            r#"{"process": {}, "diagram": {} x"#.to_string(),
            "{\n[flow_designer]\nname = \"x\"\n".to_string(),
            // JSON serde_json skips but does not read (a number out of range).
            r#"{"process": {}, "diagram": {}, "n": 1e999}"#.to_string(),
            "[flow_designer]\nname = \"spec\"\n".to_string(),
            "name = \"a Webex Connect spec\"\n".to_string(),
        ];
        for text in &texts {
            assert_eq!(told(text), told_first(text), "{text}");
        }
        assert_eq!(told(EXPORT), Some(FileKind::Export));
        assert_eq!(told(r#"{"process": [], "diagram": {}}"#), None);
    }

    /// A top-level JSON object of the members that tell an export apart, each of any shape,
    /// given twice or not, and the text perhaps cut short.
    fn top_level() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let key = prop_oneof![
            Just("process"),
            Just("diagram"),
            Just("variables"),
            Just("activities"),
            Just("name"),
        ];
        let value = prop_oneof![
            Just("{}".to_string()),
            Just(r#"{"activities": {"a": {"x": [1, 2]}}}"#.to_string()),
            Just("[]".to_string()),
            Just("1".to_string()),
            Just(r#""process""#.to_string()),
            Just("null".to_string()),
        ];
        (
            proptest::collection::vec((key, value), 0..6),
            proptest::option::of(0usize..200),
        )
            .prop_map(|(members, cut)| {
                let members: Vec<String> = members
                    .iter()
                    .map(|(k, v)| format!("\"{k}\": {v}"))
                    .collect();
                let text = format!("{{{}}}", members.join(", "));
                match cut {
                    Some(at) if at < text.len() => text[..at].to_string(),
                    _ => text,
                }
            })
    }

    proptest::proptest! {
        /// Told as it is read, a file is the kind telling it apart first says it is. (JSON that
        /// reads is told by its shape, which this holds to the scan; JSON that does not is told
        /// by that scan itself, so the cut texts hold only the way there.)
        #[test]
        fn any_top_level_read_untold_is_told_as_before(text in top_level()) {
            proptest::prop_assert_eq!(told(&text), told_first(&text));
        }
    }
}
