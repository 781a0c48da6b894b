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
pub mod expr;
pub mod inspect;
pub mod layout;
pub mod lint;
pub mod locate;
pub mod lower;
pub mod model;
pub mod push;
pub mod read;
pub mod schema;
pub mod sheet;
pub mod spec;
pub mod textconv;

use crate::diagnostic::{Code, Diagnostic, SourceFile};
use model::FdFlow;
use schema::FdValidator;

/// What kind of Flow Designer file some bytes are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FdFile {
    /// A `FlowVersionRes` JSON, as Flow Designer exports and imports it.
    Export,
    /// A Flow Designer spec (TOML with a `[flow_designer]` table).
    Spec,
}

/// Recognises a Flow Designer export or spec; `None` for anything else.
pub fn recognise(bytes: &[u8]) -> Option<FdFile> {
    if read::is_export(bytes) {
        return Some(FdFile::Export);
    }
    let text = std::str::from_utf8(bytes).ok()?;
    spec::is_spec(text).then_some(FdFile::Spec)
}

/// Reads either kind of Flow Designer file into the model.
pub fn read_any(source: &SourceFile) -> Result<FdFlow, Vec<Diagnostic>> {
    match recognise(source.text.as_bytes()) {
        Some(FdFile::Spec) => spec::read_spec(source),
        _ => read::read_export(source),
    }
}

/// The result of writing a Flow Designer file.
#[derive(Debug)]
pub struct FdBuild {
    /// The model and its JSON, when there were no errors.
    pub output: Option<(FdFlow, String)>,
    pub diagnostics: Vec<Diagnostic>,
    /// Whether the file holds a secret value (a secure variable's value, a credential typed in
    /// clear, or a secret a tenant brought in), so that it must be private.
    pub holds_secret: bool,
}

impl FdBuild {
    pub fn failed(diagnostics: Vec<Diagnostic>) -> FdBuild {
        FdBuild {
            output: None,
            diagnostics,
            holds_secret: false,
        }
    }

    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Who is to blame when the written file breaks the schema: wxcflow (a flow it lowered) or the
/// Flow Designer spec it was given (settings the schema does not allow).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    Lowered,
    Spec,
}

/// Emits a model, validates it against the schema and decides whether it must be private.
/// `secrets` are values that must make the file private wherever they appear.
pub fn finish(
    flow: FdFlow,
    mut diagnostics: Vec<Diagnostic>,
    secrets: &[String],
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
    let violations: Vec<String> = validator
        .validate(&value)
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
    let holds_secret = lint::holds_secret(&flow)
        || secrets
            .iter()
            .any(|s| !s.is_empty() && json.contains(s.as_str()));
    FdBuild {
        output: Some((flow, json)),
        diagnostics,
        holds_secret,
    }
}

/// Builds a Flow Designer spec back into a `FlowVersionRes`.
pub fn build_spec(source: &SourceFile, validator: &FdValidator) -> FdBuild {
    match spec::read_spec(source) {
        Ok(flow) => finish(flow, Vec::new(), &[], Origin::Spec, validator),
        Err(diagnostics) => FdBuild::failed(diagnostics),
    }
}

/// Lowers a built Webex Connect spec to a Flow Designer SUBFLOW. `source` is the spec's text,
/// re-read for the locations of what Flow Designer cannot express.
pub fn lower_build(
    build: &crate::Build,
    source: Option<&SourceFile>,
    validator: &FdValidator,
) -> FdBuild {
    let Some((document, _)) = &build.output else {
        return FdBuild::failed(Vec::new());
    };
    let spec = source.and_then(|s| crate::spec::parse_spec(s).ok());
    let located = spec.as_ref().zip(source);
    let (model, diagnostics) = lower::lower(&document.flow, located);
    let secrets: Vec<String> = document
        .flow
        .secret_variables()
        .filter(|v| v.holds_secret())
        .map(|v| v.default.clone())
        .collect();
    let diagnostics = diagnostics
        .into_iter()
        .map(|mut d| {
            d.message = lint::mask(&d.message, &secrets);
            d
        })
        .collect();
    match model {
        Some(model) => finish(model, diagnostics, &secrets, Origin::Lowered, validator),
        None => FdBuild::failed(diagnostics),
    }
}
