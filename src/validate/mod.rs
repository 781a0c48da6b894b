//! The flow document's JSON Schema, embedded, and validation against it.
//!
//! JSON Schema cannot say "every edge points at a node that exists", so the schema carries a
//! custom keyword, `x-wxcflow-references`, that this validator implements: edges, end outcomes and
//! layout entries must name nodes and outcomes of the same document, and ids must be unique.
//! Other validators ignore the keyword and still check everything else.
//!
//! The schema is draft-07, the draft that every editor integration (Taplo, VS Code) reads fully.

use jsonschema::{Keyword, ValidationError, Validator};
use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// The flow document schema, as committed in `schemas/flow-document.schema.json`.
pub const DOCUMENT_SCHEMA: &str = include_str!("../../schemas/flow-document.schema.json");

/// A compiled validator. Build it once and reuse it: compiling costs far more than validating.
pub struct DocumentValidator {
    validator: Validator,
}

impl DocumentValidator {
    /// Compiles the embedded flow document schema with its reference checks.
    // `expect` below: The schema is embedded at build time and compiled by every test run.
    #[allow(clippy::expect_used)]
    pub fn new() -> Self {
        // The schema is embedded and tested; failing to compile it is a build defect.
        let schema: Value = serde_json::from_str(DOCUMENT_SCHEMA).expect("embedded schema is JSON");
        // The keyword factory's signature is jsonschema's, large error type included.
        #[allow(clippy::result_large_err)]
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft7)
            .with_keyword("x-wxcflow-references", |_, _, _| {
                Ok(Box::new(Problems(reference_problems)) as Box<dyn for<'i> Keyword<'i>>)
            })
            .build(&schema)
            .expect("embedded schema compiles");
        DocumentValidator { validator }
    }

    /// Every violation, as `instance path: message`, in a stable order.
    pub fn validate(&self, document: &Value) -> Vec<String> {
        // The yes-or-no pass stops at the first failure and builds no error: a valid document,
        // the usual case, is checked against every keyword without collecting anything.
        if self.validator.is_valid(document) {
            return Vec::new();
        }
        let mut errors: Vec<String> = self
            .validator
            .iter_errors(document)
            .map(|e| {
                let path = e.instance_path().to_string();
                format!("{}: {}", if path.is_empty() { "/" } else { &path }, e)
            })
            .collect();
        errors.sort();
        errors.dedup();
        errors
    }
}

impl Default for DocumentValidator {
    fn default() -> Self {
        Self::new()
    }
}

/// A custom schema keyword backed by a function that lists a document's problems (the
/// cross-references JSON Schema cannot express); the flow document and the Flow Designer file
/// each register one.
pub(crate) struct Problems(pub(crate) fn(&Value) -> Vec<String>);

impl<'i> Keyword<'i> for Problems {
    fn validate(&self, instance: &'i Value) -> Result<(), ValidationError<'i>> {
        match (self.0)(instance).into_iter().next() {
            None => Ok(()),
            Some(problem) => Err(ValidationError::custom(problem)),
        }
    }

    fn is_valid(&self, instance: &'i Value) -> bool {
        (self.0)(instance).is_empty()
    }
}

/// Cross-references inside a document that JSON Schema alone cannot express.
fn reference_problems(document: &Value) -> Vec<String> {
    let empty = Map::new();
    let flow = document
        .get("flow")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let nodes: &[Value] = flow
        .get("nodes")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice);
    let trigger_id = flow
        .get("trigger")
        .and_then(|t| t.get("id"))
        .and_then(Value::as_str);
    let mut ids = BTreeSet::new();
    let mut problems = Vec::new();
    for id in trigger_id
        .into_iter()
        .chain(nodes.iter().filter_map(|n| n.get("id")?.as_str()))
    {
        if !ids.insert(id) {
            problems.push(format!("node id {id} is used twice"));
        }
    }
    let outcomes: BTreeSet<&str> = flow
        .get("outcomes")
        .and_then(Value::as_array)
        .map(|o| o.iter().filter_map(|o| o.get("name")?.as_str()).collect())
        .unwrap_or_default();
    let mut check_target = |target: Option<&Value>, at: &str| {
        let Some(target) = target.and_then(Value::as_object) else {
            return;
        };
        if let Some(id) = target.get("node").and_then(Value::as_str) {
            if !ids.contains(id) || Some(id) == trigger_id {
                problems.push(format!("{at} leads to node {id}, which does not exist"));
            }
        }
        if let Some(end) = target.get("end").and_then(Value::as_str) {
            if !outcomes.contains(end) {
                problems.push(format!(
                    "{at} ends with flow outcome `{end}`, which is not defined"
                ));
            }
        }
    };
    check_target(
        flow.get("trigger").and_then(|t| t.get("next")),
        "the trigger",
    );
    for node in nodes {
        let id = node.get("id").and_then(Value::as_str).unwrap_or("?");
        for exit in node
            .get("exits")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let outcome = exit.get("outcome").and_then(Value::as_str).unwrap_or("?");
            check_target(exit.get("target"), &format!("{id}.{outcome}"));
        }
    }
    if let Some(layout) = document.get("layout").and_then(Value::as_object) {
        for id in layout.keys() {
            if !ids.contains(id.as_str()) {
                problems.push(format!("layout places node {id}, which does not exist"));
            }
        }
    }
    problems
}

/// The spec format's JSON Schema, generated from the spec types, for editors (Taplo / Even Better
/// TOML read it through a `#:schema` line). Draft-07, pretty-printed, with a trailing newline;
/// `schemas/flow-spec.schema.json` is this text, and a test keeps it so.
// `expect` below: A generated schema is plain JSON: it always serialises.
#[allow(clippy::expect_used)]
pub fn spec_schema() -> String {
    let generator = schemars::generate::SchemaSettings::draft07().into_generator();
    let mut schema = generator.into_root_schema_for::<crate::spec::Spec>();
    schema.insert("title".into(), "wxcflow flow spec".into());
    schema.insert(
        "description".into(),
        "A Webex Connect flow written for wxcflow: `wxcflow build` compiles it into a flow document.".into(),
    );
    let mut text = serde_json::to_string_pretty(&schema).expect("schemas serialise");
    text.push('\n');
    text
}
