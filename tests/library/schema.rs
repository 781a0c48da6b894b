//! The embedded flow-document schema: strict, and in step with what the compiler emits.
// A test stops at the first thing that is not as expected.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use common::{fixture, validator};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use wxcflow::diagnostic::SourceFile;

fn documents() -> Vec<String> {
    let mut sources = vec![SourceFile::new(
        wxcflow::DEFAULT_SPEC_NAME,
        wxcflow::DEFAULT_SPEC,
    )];
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/valid");
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    sources.extend(paths.iter().map(|p| fixture(p)));
    let mut documents: Vec<String> = sources
        .iter()
        .map(|s| common::compiler().build(s).output.expect("valid fixture").1)
        .collect();
    // As `build` and `render` write them: with their provenance.
    let mut stamped: wxcflow::flow::Document = serde_json::from_str(&documents[0]).unwrap();
    let provenance = wxcflow::flow::Source::of;
    documents.push(wxcflow::flow::Document::stamp(
        &mut stamped,
        provenance("templates/get-oauth-token.toml", b"template"),
        Some(provenance("tenants/acme.toml", b"tenant")),
    ));
    documents
}

fn default_document() -> Value {
    serde_json::from_str(&documents()[0]).unwrap()
}

/// Objects whose keys are data (names chosen by the spec author), not fields.
const FREE_MAPS: [&str; 5] = ["sample", "samples", "headers", "outputs", "set"];

fn emitted_keys(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                out.insert(k.clone());
                if k == "layout" {
                    // Keyed by node id; the positions inside are fields.
                    v.as_object()
                        .into_iter()
                        .flat_map(|m| m.values())
                        .for_each(|p| emitted_keys(p, out));
                } else if !FREE_MAPS.contains(&k.as_str()) {
                    emitted_keys(v, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| emitted_keys(v, out)),
        _ => {}
    }
}

fn schema_properties(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Object(props)) = map.get("properties") {
                out.extend(props.keys().cloned());
            }
            map.values().for_each(|v| schema_properties(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| schema_properties(v, out)),
        _ => {}
    }
}

#[test]
fn every_schema_property_is_emitted_and_every_emitted_key_is_in_the_schema() {
    // Fields the compiler adds fail validation (additionalProperties: false); this catches the
    // other direction, a schema property the compiler no longer writes.
    let mut emitted = BTreeSet::new();
    for doc in documents() {
        emitted_keys(&serde_json::from_str(&doc).unwrap(), &mut emitted);
    }
    let schema: Value = serde_json::from_str(wxcflow::validate::DOCUMENT_SCHEMA).unwrap();
    let mut declared = BTreeSet::new();
    schema_properties(&schema, &mut declared);
    let never_emitted: Vec<_> = declared.difference(&emitted).collect();
    let undeclared: Vec<_> = emitted.difference(&declared).collect();
    assert!(
        never_emitted.is_empty(),
        "schema properties never emitted: {never_emitted:?}"
    );
    assert!(
        undeclared.is_empty(),
        "emitted keys missing from the schema: {undeclared:?}"
    );
}

#[test]
fn documents_round_trip_through_the_rust_types() {
    for doc in documents() {
        let parsed: wxcflow::flow::Document = serde_json::from_str(&doc).unwrap();
        assert_eq!(parsed.to_json(), doc);
    }
}

fn rejects(mutate: impl FnOnce(&mut Value), expected: &str) {
    let mut doc = default_document();
    assert!(validator().validate(&doc).is_empty());
    mutate(&mut doc);
    let errors = validator().validate(&doc);
    assert!(
        errors.iter().any(|e| e.contains(expected)),
        "expected an error containing {expected:?}, got {errors:#?}"
    );
}

#[test]
fn a_dangling_edge_fails() {
    rejects(
        |d| d["flow"]["nodes"][0]["exits"][0]["target"] = json!({"node": "n99"}),
        "leads to node n99, which does not exist",
    );
}

#[test]
fn an_end_with_an_undefined_outcome_fails() {
    rejects(
        |d| d["flow"]["nodes"][6]["exits"][0]["target"] = json!({"end": "Done"}),
        "ends with flow outcome `Done`",
    );
}

#[test]
fn a_missing_required_field_fails() {
    rejects(
        |d| {
            d["flow"]["nodes"][1]["config"]
                .as_object_mut()
                .unwrap()
                .remove("url");
        },
        "\"url\" is a required property",
    );
}

#[test]
fn an_unknown_field_fails() {
    rejects(|d| d["flow"]["trigger"]["colour"] = json!("red"), "colour");
}

#[test]
fn a_body_on_get_fails() {
    rejects(
        |d| d["flow"]["nodes"][1]["config"]["body"] = json!("{}"),
        "/flow/nodes/1/config/body",
    );
}

#[test]
fn a_timeout_above_20_seconds_fails() {
    rejects(
        |d| d["flow"]["nodes"][1]["config"]["request_timeout_ms"] = json!(20001),
        "20001 is greater than the maximum of 20000",
    );
}

#[test]
fn a_duplicate_node_id_fails() {
    rejects(
        |d| d["flow"]["nodes"][1]["id"] = json!("n3"),
        "node id n3 is used twice",
    );
}

#[test]
fn layout_for_a_missing_node_fails() {
    rejects(
        |d| d["layout"]["n42"] = json!({"x": 1, "y": 2}),
        "layout places node n42",
    );
}

#[test]
fn the_committed_schema_file_is_the_embedded_one() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/flow-document.schema.json");
    assert_eq!(
        std::fs::read_to_string(path).unwrap(),
        wxcflow::validate::DOCUMENT_SCHEMA
    );
}

#[test]
fn the_committed_spec_schema_is_generated_from_the_spec_types() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/flow-spec.schema.json");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == wxcflow::validate::spec_schema(),
        "schemas/flow-spec.schema.json is stale: run `cargo run -- schema spec > schemas/flow-spec.schema.json`"
    );
}

fn spec_as_json(text: &str) -> Value {
    let table: toml::Table = toml::from_str(text).unwrap();
    serde_json::to_value(table).unwrap()
}

#[test]
fn every_valid_spec_satisfies_the_editor_schema_and_a_typo_does_not() {
    let schema: Value = serde_json::from_str(&wxcflow::validate::spec_schema()).unwrap();
    let validator = jsonschema::options().build(&schema).unwrap();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/valid");
    let mut texts = vec![wxcflow::DEFAULT_SPEC.to_string()];
    texts.extend(
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap()),
    );
    for text in &texts {
        let errors: Vec<String> = validator
            .iter_errors(&spec_as_json(text))
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{errors:#?}");
    }
    let typo = wxcflow::DEFAULT_SPEC.replacen("method = \"GET\"", "metod = \"GET\"", 1);
    assert!(!validator.is_valid(&spec_as_json(&typo)));
    let bad_operator =
        wxcflow::DEFAULT_SPEC.replacen("operator = \"equals\"", "operator = \"equal\"", 1);
    assert!(!validator.is_valid(&spec_as_json(&bad_operator)));
}

#[test]
fn appending_provenance_to_the_json_gives_the_bytes_of_serialising_it() {
    let provenance = wxcflow::flow::Source::of;
    for json in documents().iter().take(4) {
        let mut document: wxcflow::flow::Document = serde_json::from_str(json).unwrap();
        if document.provenance.is_some() {
            continue;
        }
        let template = provenance("templates/a \"quoted\" name.toml", b"template");
        // A C1 control character in a name is escaped as the document's text escapes it.
        let tenant = Some(provenance("tenants/acme\u{85}.toml", b"tenant"));
        let appended =
            wxcflow::flow::Document::stamp_json(json, template.clone(), tenant.clone()).unwrap();
        let serialised = document.stamp(template, tenant);
        assert_eq!(appended, serialised);
        assert!(appended.contains("acme\\u0085.toml"), "{appended}");
        let appended = wxcflow::flow::Document::stamp_json(json, template_only(), None).unwrap();
        let serialised = document.stamp(template_only(), None);
        assert_eq!(appended, serialised);
    }
}

fn template_only() -> wxcflow::flow::Source {
    wxcflow::flow::Source::of("t.toml", b"")
}

/// A flow document whose JSON gives a key twice (`"secret": true, "secret": false`) is refused,
/// located at the copy read: which one counts depends on the reader.
#[test]
fn a_document_giving_a_key_twice_is_refused() {
    let compiler = common::compiler();
    let built = compiler.build(&wxcflow::diagnostic::SourceFile::new(
        wxcflow::DEFAULT_SPEC_NAME,
        wxcflow::DEFAULT_SPEC,
    ));
    let (_, json) = built.output.expect("builds");
    assert!(compiler.read_document("d.json", json.as_bytes()).is_ok());
    let twice = json.replacen("\"secret\": true", "\"secret\": true, \"secret\": false", 1);
    assert_ne!(twice, json);
    let problems = compiler
        .read_document("d.json", twice.as_bytes())
        .unwrap_err();
    let codes: Vec<&str> = problems.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes, ["wxc::key-given-twice"]);
    assert!(
        problems[0].message.contains("/flow/variables/"),
        "{}",
        problems[0].message
    );
    assert!(problems[0].span.is_some());
}
