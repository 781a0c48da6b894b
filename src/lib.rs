//! wxcflow: a compiler for Cisco Webex Connect flows.
//!
//! The pipeline, one pure function a stage:
//! `spec text --parse--> Spec --check--> Flow --emit--> Document --schema--> canonical JSON`.
//! The library never prints and never touches files; the `wxcflow` binary does both.
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod check;
pub mod container;
pub mod decompile;
pub mod diagnostic;
pub mod diff;
pub mod emit;
pub mod flow;
pub mod fmt;
pub mod jsonpath;
pub mod refs;
pub mod schema;
pub mod spec;

use diagnostic::{Code, Diagnostic, SourceFile};
use flow::Document;
use schema::DocumentValidator;
use spec::Spec;

/// The GetOAuthToken spec that `wxcflow build` compiles when given no spec.
pub const DEFAULT_SPEC: &str = include_str!("../templates/get-oauth-token.toml");
/// The name diagnostics give the embedded spec.
pub const DEFAULT_SPEC_NAME: &str = "templates/get-oauth-token.toml";

/// The result of building one spec.
#[derive(Debug)]
pub struct Build {
    /// The document and its canonical JSON, when the spec had no errors.
    pub output: Option<(Document, String)>,
    /// Every error and warning, errors first in the order found.
    pub diagnostics: Vec<Diagnostic>,
}

impl Build {
    /// Whether the document holds a secret value (a secret variable with a default), so that a
    /// file holding it must be private.
    pub fn holds_secret(&self) -> bool {
        self.output.as_ref().is_some_and(|(doc, _)| {
            doc.flow
                .variables
                .iter()
                .any(|v| v.secret && !v.default.is_empty())
        })
    }

    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Parses, checks, emits and validates a spec given as text.
pub fn build_source(source: &SourceFile, validator: &DocumentValidator) -> Build {
    match spec::parse_spec(source) {
        Ok(spec) => build_spec(&spec, Some(source), validator),
        Err(diagnostic) => Build {
            output: None,
            diagnostics: vec![diagnostic],
        },
    }
}

/// Checks, emits and validates a spec (parsed, or made with [`spec::builder`]).
pub fn build_spec(
    spec: &Spec,
    source: Option<&SourceFile>,
    validator: &DocumentValidator,
) -> Build {
    let checked = check::check(spec, source);
    let mut diagnostics = checked.diagnostics;
    let Some(flow) = checked.flow else {
        return Build {
            output: None,
            diagnostics,
        };
    };
    let document = emit::document::document(flow);
    let json = emit::document::to_json(&document);
    let value = serde_json::to_value(&document).expect("documents convert to JSON values");
    let violations = validator.validate(&value);
    if !violations.is_empty() {
        diagnostics.extend(violations.into_iter().map(|v| {
            Diagnostic::new(Code::SchemaViolation, v).with_help(
                "the compiler emitted a document its own schema rejects; please report this",
            )
        }));
        return Build {
            output: None,
            diagnostics,
        };
    }
    Build {
        output: Some((document, json)),
        diagnostics,
    }
}
