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

pub mod decompile;
pub mod diff;
pub mod emit;
pub(crate) mod expr;
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
pub mod spec;

use crate::diagnostic::{Code, Diagnostic, SourceFile};
use model::FdFlow;
use schema::FdValidator;

/// Reads either kind of Flow Designer file into the model.
pub fn read_any(source: &SourceFile) -> Result<FdFlow, Vec<Diagnostic>> {
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
    if !locate::is_json(&source.text)
        && crate::InputKind::detect(source.text.as_bytes()) == crate::InputKind::FlowDesignerSpec
    {
        return spec::read_spec_partial(source);
    }
    read::read_export_in(source, spans)
}

/// Reads either kind of file, with the file as diagnostics about it quote it: secret values
/// hidden by their place, and the read problems placed in it (columns counted as shown). The
/// file's spans are scanned once at most, and kept with the quote for the checks.
pub fn read_quoted(source: &SourceFile) -> (Result<FdFlow, Vec<Diagnostic>>, quote::Quoted) {
    read_quoted_owned(source.clone())
}

/// [`read_quoted`] of a file handed over: the quote keeps it rather than a copy (an export can
/// be hundreds of megabytes).
pub fn read_quoted_owned(source: SourceFile) -> (Result<FdFlow, Vec<Diagnostic>>, quote::Quoted) {
    let spans = locate::SpanCell::default();
    let (flow, mut problems) = read_any_in(&source, &spans);
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
    mut diagnostics: Vec<Diagnostic>,
    origin: Origin,
    validator: &FdValidator,
) -> FdBuild {
    let value = emit::emit(&flow);
    // Activity ids in schema paths, spelled as the activity names people wrote.
    let names: Vec<(String, String)> = value
        .pointer("/process/activities")
        .and_then(serde_json::Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(id, a)| Some((id.clone(), a.get("name")?.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default();
    // Each activity by the id it was written with: (event flow key, or none for the main
    // process; activity name) -> id, indexed once.
    let mut written: std::collections::HashMap<(Option<&str>, &str), &str> =
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
    let violations: Vec<String> = validate_export(&value, &flow, validator, &written_id)
        .into_iter()
        .map(|v| {
            names.iter().fold(v, |v, (id, name)| {
                v.replace(&format!("activities/{id}"), &format!("activities/{name}"))
            })
        })
        .collect();
    if !violations.is_empty() {
        diagnostics.extend(violations.into_iter().map(|v| match origin {
            Origin::Lowered => Diagnostic::new(Code::SchemaViolation, v).with_help(
                "wxcflow wrote a Flow Designer file its own schema rejects; please report this",
            ),
            Origin::Spec => Diagnostic::new(
                Code::InvalidFlowDesigner,
                format!("the written file would break the Flow Designer schema at {v}"),
            ),
        }));
        return FdBuild::failed(diagnostics);
    }
    let json = emit::to_json(&value);
    // What is written can be read back: no file over the readers' limit.
    if let Some(d) = crate::flow::limits::too_large_fd("the Flow Designer file", json.len()) {
        diagnostics.push(d.with_help(
            "split the flow: build a part of it as a subflow of its own and call it (`call_flow`)",
        ));
        return FdBuild::failed(diagnostics);
    }
    let holds_secret = secrets::Secrets::of(&flow).any();
    FdBuild {
        output: Some((flow, json)),
        diagnostics,
        holds_secret,
    }
}

/// Validates an export's JSON (`value`, read as `flow`) against the schema. A problem with a
/// value that holds a secret, or with one inside it, is said without the value. `id` gives an
/// activity's id in `value`.
pub fn validate_export(
    value: &serde_json::Value,
    flow: &FdFlow,
    validator: &FdValidator,
    id: &dyn Fn(&model::Scope, &model::Activity) -> Option<String>,
) -> Vec<String> {
    let secrets = secrets::Secrets::of(flow);
    let hidden: Vec<Vec<String>> = quote::export_places(flow, &secrets, id)
        .into_iter()
        .map(|place| place.into_iter().map(|step| step.to_string()).collect())
        .collect();
    let hides = |path: &[String]| {
        hidden
            .iter()
            .any(|h| path.starts_with(h) || h.starts_with(path))
    };
    validator.validate_hiding(value, &hides)
}

/// Builds a Flow Designer spec back into a `FlowVersionRes`.
pub fn build_spec(source: &SourceFile, validator: &FdValidator) -> FdBuild {
    match spec::read_spec(source) {
        Ok(flow) => finish(flow, Vec::new(), Origin::Spec, validator),
        Err(diagnostics) => FdBuild::failed(diagnostics),
    }
}
