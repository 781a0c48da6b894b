//! The flow document's JSON Schema, embedded, and validation against it.
//!
//! JSON Schema cannot say "every edge points at a node that exists", so the schema carries a
//! custom keyword, `x-wxcflow-references`, that this validator implements: edges, end outcomes and
//! layout entries must name nodes and outcomes of the same document, and ids must be unique.
//! Other validators ignore the keyword and still check everything else.
//!
//! The schema is draft-07, the draft that every editor integration (Taplo, VS Code) reads fully.

use jsonschema::{Keyword, ValidationError, Validator};
use serde_json::Value;
use std::collections::BTreeSet;

/// The flow document schema, as committed in `schemas/flow-document.schema.json`.
pub const DOCUMENT_SCHEMA: &str = include_str!("../../schemas/flow-document.schema.json");

/// A compiled validator. Build it once and reuse it: compiling costs far more than validating.
pub struct DocumentValidator {
    validator: Validator,
    /// Compiled when first needed: documents read from files are checked whole.
    parts: std::sync::OnceLock<Parts>,
}

/// The same schema, compiled for a document checked in parts (see
/// [`DocumentValidator::validate_document`]): the document without its nodes and layout
/// entries (the reference keyword off: it is checked on facts gathered from every part), one
/// node, and a layout of one entry.
struct Parts {
    top: Validator,
    node: Validator,
    layout: Validator,
}

impl DocumentValidator {
    /// Compiles the embedded flow document schema with its reference checks.
    // `expect` below: The schema is embedded at build time and compiled by every test run.
    #[allow(clippy::expect_used)]
    pub fn new() -> Self {
        // The schema is embedded and tested; failing to compile it is a build defect.
        let schema: Value = serde_json::from_str(DOCUMENT_SCHEMA).expect("embedded schema is JSON");
        DocumentValidator {
            validator: compile(&schema, reference_problems),
            parts: std::sync::OnceLock::new(),
        }
    }

    /// The validators of the parts, compiled the first time they are asked for.
    // `expect` below: The schema is embedded at build time and compiled by every test run.
    #[allow(clippy::expect_used)]
    fn parts(&self) -> &Parts {
        self.parts.get_or_init(|| {
            let schema: Value =
                serde_json::from_str(DOCUMENT_SCHEMA).expect("embedded schema is JSON");
            // The node and layout schemas as the document's schema writes them, with its
            // definitions beside them for their references.
            let part = |at: &Value| {
                let mut part = at.clone();
                if let (Some(part), Some(definitions)) =
                    (part.as_object_mut(), schema.get("definitions"))
                {
                    part.insert("definitions".into(), definitions.clone());
                }
                compile(&part, no_problems)
            };
            Parts {
                top: compile(&schema, no_problems),
                node: part(&schema["definitions"]["node"]),
                layout: part(&schema["properties"]["layout"]),
            }
        })
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
                let message = worded(&e, Scalars::Named);
                format!("{}: {message}", if path.is_empty() { "/" } else { &path })
            })
            .collect();
        errors.sort();
        errors.dedup();
        errors
    }
}

impl DocumentValidator {
    /// Every violation of a document made in memory, as [`DocumentValidator::validate`] gives
    /// them for its JSON, the same strings (instance paths included), without the whole
    /// document's JSON value tree at once, the largest thing a build would hold: the document
    /// without its nodes and layout entries, then each node and each layout entry, are checked
    /// one at a time; the cross-references are checked on facts gathered from every part. The
    /// document is as it was afterwards (its nodes and layout are set aside while the rest is
    /// converted).
    pub(crate) fn validate_document(&self, document: &mut crate::flow::Document) -> Vec<String> {
        let nodes = std::mem::take(&mut document.flow.nodes);
        let layout = std::mem::take(&mut document.layout);
        let top = to_value(document);
        document.flow.nodes = nodes;
        document.layout = layout;
        let node_values = document.flow.nodes.iter().map(to_value);
        let layout_values = document
            .layout
            .iter()
            .map(|(id, position)| to_value(&std::collections::BTreeMap::from([(id, position)])));
        self.validate_parts(&top, node_values, layout_values)
    }

    /// [`DocumentValidator::validate`] of the document made of `top` (whose `flow.nodes` is
    /// empty and whose `layout` is an empty object), its `nodes` in order, and its layout
    /// entries (each an object of one entry), in order.
    fn validate_parts(
        &self,
        top: &Value,
        nodes: impl Iterator<Item = Value>,
        layout: impl Iterator<Item = Value>,
    ) -> Vec<String> {
        let parts = self.parts();
        let mut errors = Vec::new();
        let mut found = |validator: &Validator, instance: &Value, at: &str| {
            if validator.is_valid(instance) {
                return;
            }
            errors.extend(validator.iter_errors(instance).map(|e| {
                let path = format!("{at}{}", e.instance_path());
                let message = worded(&e, Scalars::Named);
                format!("{}: {message}", if path.is_empty() { "/" } else { &path })
            }));
        };
        found(&parts.top, top, "");
        let mut facts = References::of_top(top);
        for (i, node) in nodes.enumerate() {
            facts.add_node(&node);
            found(&parts.node, &node, &format!("/flow/nodes/{i}"));
        }
        let mut keys = Vec::new();
        for entry in layout {
            keys.extend(
                entry
                    .as_object()
                    .into_iter()
                    .flat_map(|e| e.keys().cloned()),
            );
            found(&parts.layout, &entry, "/layout");
        }
        facts.layout = Some(keys);
        // The keyword reports the first problem, at the document.
        if let Some(problem) = facts.problems().into_iter().next() {
            errors.push(format!("/: {problem}"));
        }
        errors.sort();
        errors.dedup();
        errors
    }
}

/// How a schema message may show the string or number it is about (an object or an array is
/// never quoted: either may hold a secret anywhere inside it; `true`, `false` and `null` always
/// are: they hold none).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scalars {
    /// Quoted as JSON: the place is known to hold no secret.
    Quoted,
    /// Shown as the mask: the place holds a secret.
    Masked,
    /// A string named by its kind (`the string`), nothing being known of the place; a number
    /// quoted: the flow document schema bounds numbers only where they hold no secret
    /// (timeouts, outcome codes), and a number of the wrong type is named by its kind.
    Named,
}

/// What a schema violation says, in words: what is wrong, with no value quoted that could hold
/// a secret (see [`Scalars`]); a wrong type as `the value is an object, where the schema wants
/// an array`. jsonschema's own message quotes the whole instance, whatever its size and content,
/// so it is never used as it is.
pub(crate) fn worded(e: &ValidationError<'_>, scalars: Scalars) -> String {
    use jsonschema::error::{TypeKind, ValidationErrorKind};
    let instance: &Value = e.instance();
    let kind = kind_of(instance);
    let shown = match (instance, scalars) {
        (Value::Bool(_) | Value::Null, _)
        | (Value::String(_) | Value::Number(_), Scalars::Quoted)
        | (Value::Number(_), Scalars::Named) => instance.to_string(),
        (Value::String(_) | Value::Number(_), Scalars::Masked) => crate::secret::MASK.to_string(),
        (Value::String(_), Scalars::Named) => "the string".to_string(),
        (Value::Array(_), _) => "the array".to_string(),
        (Value::Object(_), _) => "the object".to_string(),
    };
    let Some(wanted) = (match e.kind() {
        ValidationErrorKind::Type {
            kind: TypeKind::Single(t),
        } => Some(with_article(&t.to_string())),
        ValidationErrorKind::Type {
            kind: TypeKind::Multiple(types),
        } => Some(
            types
                .iter()
                .map(|t| with_article(&t.to_string()))
                .collect::<Vec<_>>()
                .join(" or "),
        ),
        _ => None,
    }) else {
        return e.masked_with(shown).to_string();
    };
    let subject = match instance {
        Value::Array(_) | Value::Object(_) => "the value".to_string(),
        _ if scalars == Scalars::Named => "the value".to_string(),
        _ => shown,
    };
    format!("{subject} is {kind}, where the schema wants {wanted}")
}

/// A JSON value's kind, as a schema names it, with its article (`an object`).
fn kind_of(value: &Value) -> String {
    with_article(match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    })
}

/// `array` as `an array`; `null` stays `null`.
fn with_article(kind: &str) -> String {
    match kind {
        "null" => kind.to_string(),
        "array" | "object" | "integer" => format!("an {kind}"),
        _ => format!("a {kind}"),
    }
}

/// A part of a document as a JSON value.
// `expect` below: A document is plain data with string keys: it always converts.
#[allow(clippy::expect_used)]
fn to_value<T: serde::Serialize + ?Sized>(part: &T) -> Value {
    serde_json::to_value(part).expect("documents convert to JSON values")
}

/// The embedded schema compiled with `references` behind `x-wxcflow-references`.
// `expect` below: The schema is embedded at build time and compiled by every test run.
#[allow(clippy::expect_used)]
fn compile(schema: &Value, references: fn(&Value) -> Vec<String>) -> Validator {
    // The keyword factory's signature is jsonschema's, large error type included.
    #[allow(clippy::result_large_err)]
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .with_keyword("x-wxcflow-references", move |_, _, _| {
            Ok(Box::new(Problems(references)) as Box<dyn for<'i> Keyword<'i>>)
        })
        .build(schema)
        .expect("embedded schema compiles")
}

fn no_problems(_: &Value) -> Vec<String> {
    Vec::new()
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
    let mut facts = References::of_top(document);
    for node in nodes_of(document) {
        facts.add_node(node);
    }
    facts.layout = document
        .get("layout")
        .and_then(Value::as_object)
        .map(|layout| layout.keys().cloned().collect());
    facts.problems()
}

fn nodes_of(document: &Value) -> &[Value] {
    document
        .get("flow")
        .and_then(|flow| flow.get("nodes"))
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// What the cross-references are checked on, gathered from a whole document or from its parts:
/// node ids in order, each exit's target with where it is, outcome names, layout keys.
#[derive(Default)]
struct References {
    trigger_id: Option<String>,
    trigger_next: Option<Target>,
    outcomes: BTreeSet<String>,
    /// The node ids written as strings, in order.
    ids: Vec<String>,
    /// Each exit (`id.outcome`) and its target.
    exits: Vec<(String, Option<Target>)>,
    /// The layout's keys, when the layout is an object.
    layout: Option<Vec<String>>,
}

/// A target object's `node` and `end`, when strings.
struct Target {
    node: Option<String>,
    end: Option<String>,
}

impl Target {
    fn of(target: Option<&Value>) -> Option<Target> {
        let target = target.and_then(Value::as_object)?;
        let text = |key: &str| target.get(key).and_then(Value::as_str).map(str::to_string);
        Some(Target {
            node: text("node"),
            end: text("end"),
        })
    }
}

impl References {
    /// The facts a document holds outside its nodes and layout.
    fn of_top(document: &Value) -> References {
        let trigger = document.get("flow").and_then(|flow| flow.get("trigger"));
        let outcomes = document
            .get("flow")
            .and_then(|flow| flow.get("outcomes"))
            .and_then(Value::as_array)
            .map(|o| {
                o.iter()
                    .filter_map(|o| Some(o.get("name")?.as_str()?.to_string()))
                    .collect()
            })
            .unwrap_or_default();
        References {
            trigger_id: trigger
                .and_then(|t| t.get("id"))
                .and_then(Value::as_str)
                .map(str::to_string),
            trigger_next: Target::of(trigger.and_then(|t| t.get("next"))),
            outcomes,
            ..References::default()
        }
    }

    fn add_node(&mut self, node: &Value) {
        let id = node.get("id").and_then(Value::as_str);
        self.ids.extend(id.map(str::to_string));
        let id = id.unwrap_or("?");
        for exit in node
            .get("exits")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let outcome = exit.get("outcome").and_then(Value::as_str).unwrap_or("?");
            self.exits
                .push((format!("{id}.{outcome}"), Target::of(exit.get("target"))));
        }
    }

    fn problems(&self) -> Vec<String> {
        let trigger_id = self.trigger_id.as_deref();
        let mut ids = BTreeSet::new();
        let mut problems = Vec::new();
        for id in trigger_id
            .into_iter()
            .chain(self.ids.iter().map(String::as_str))
        {
            if !ids.insert(id) {
                problems.push(format!("node id {id} is used twice"));
            }
        }
        let mut check_target = |target: &Option<Target>, at: &str| {
            let Some(target) = target else {
                return;
            };
            if let Some(id) = target.node.as_deref() {
                if !ids.contains(id) || Some(id) == trigger_id {
                    problems.push(format!("{at} leads to node {id}, which does not exist"));
                }
            }
            if let Some(end) = target.end.as_deref() {
                if !self.outcomes.contains(end) {
                    problems.push(format!(
                        "{at} ends with flow outcome `{end}`, which is not defined"
                    ));
                }
            }
        };
        check_target(&self.trigger_next, "the trigger");
        for (at, target) in &self.exits {
            check_target(target, at);
        }
        for id in self.layout.iter().flatten() {
            if !ids.contains(id.as_str()) {
                problems.push(format!("layout places node {id}, which does not exist"));
            }
        }
        problems
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::SourceFile;

    fn built() -> crate::flow::Document {
        let text = include_str!("../../fixtures/valid/every-node-type.toml");
        let source = SourceFile::new("every-node-type.toml", text);
        let build = crate::Compiler::new().build(&source);
        build.output.expect("the fixture builds").0
    }

    /// A document's JSON cut as `validate_document` cuts it: the rest, its nodes, its layout
    /// entries one by one.
    fn parts(document: &Value) -> (Value, Vec<Value>, Vec<Value>) {
        let mut top = document.clone();
        let nodes = std::mem::take(top["flow"]["nodes"].as_array_mut().expect("nodes"));
        let layout = std::mem::take(top["layout"].as_object_mut().expect("layout"));
        let entries = layout
            .into_iter()
            .map(|(k, v)| Value::Object([(k, v)].into_iter().collect()))
            .collect();
        (top, nodes, entries)
    }

    #[test]
    fn a_document_checked_in_parts_has_the_violations_of_the_whole() {
        let validator = DocumentValidator::new();
        let mut document = built();
        assert_eq!(
            validator.validate_document(&mut document),
            Vec::<String>::new()
        );
        let whole = serde_json::to_value(&document).unwrap();
        assert!(whole["flow"]["nodes"].as_array().unwrap().len() >= 4);
        type Breaking = Box<dyn Fn(&mut Value)>;
        let broken: Vec<(&str, Breaking)> = vec![
            (
                "no id",
                Box::new(|d| drop(d["flow"]["nodes"][0].as_object_mut().unwrap().remove("id"))),
            ),
            (
                "a type",
                Box::new(|d| d["flow"]["nodes"][1]["type"] = 5.into()),
            ),
            (
                "an extra key",
                Box::new(|d| d["flow"]["nodes"][2]["zzz"] = true.into()),
            ),
            (
                "a dangling edge",
                Box::new(|d| {
                    d["flow"]["nodes"][1]["exits"][0]["target"] =
                        serde_json::json!({"node": "n999"})
                }),
            ),
            (
                "an edge of the wrong type",
                Box::new(|d| {
                    d["flow"]["nodes"][0]["exits"][0]["target"] = serde_json::json!({"node": 5})
                }),
            ),
            (
                "an id twice",
                Box::new(|d| d["flow"]["nodes"][3]["id"] = d["flow"]["nodes"][2]["id"].clone()),
            ),
            (
                "an unknown outcome",
                Box::new(|d| d["flow"]["trigger"]["next"] = serde_json::json!({"end": "Nope"})),
            ),
            ("an empty name", Box::new(|d| d["flow"]["name"] = "".into())),
            (
                "a layout key",
                Box::new(|d| d["layout"]["a/b~c"] = serde_json::json!({"x": 1, "y": 2})),
            ),
            (
                "a layout position",
                Box::new(|d| d["layout"]["n2"]["x"] = "a".into()),
            ),
            (
                "an event",
                Box::new(|d| d["flow"]["trigger"]["event"] = "bad event!".into()),
            ),
        ];
        for (what, breaking) in broken {
            let mut whole = whole.clone();
            breaking(&mut whole);
            let expected = validator.validate(&whole);
            assert!(!expected.is_empty(), "{what}: the whole is valid");
            let (top, nodes, layout) = parts(&whole);
            let found = validator.validate_parts(&top, nodes.into_iter(), layout.into_iter());
            assert_eq!(found, expected, "{what}");
        }
    }
}
