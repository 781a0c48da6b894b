//! wxcflow: a compiler for Cisco Webex Connect flows.
//!
//! The pipeline, one pure function a stage:
//! `spec text --parse--> Spec --check--> Flow --emit--> Document --schema--> canonical JSON`.
//! The library never prints and never touches files; the `wxcflow` binary does both.
#![deny(clippy::print_stdout, clippy::print_stderr)]
// No panic is reachable from input: errors are returned. The few `expect`s state a proven
// invariant and carry an `allow` with the reason.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

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
pub mod render_limits;
pub mod schema;
pub mod sim;
pub mod spec;
pub mod template;

use diagnostic::{Code, Diagnostic, SourceFile};
use flow::Document;
use schema::DocumentValidator;
use spec::Spec;

/// The GetOAuthToken spec that `wxcflow build` compiles when given no spec.
pub const DEFAULT_SPEC: &str = include_str!("../templates/get-oauth-token.toml");
/// An example tenant file for the GetOAuthToken template, written by `wxcflow init`.
pub const TENANT_EXAMPLE: &str = include_str!("../templates/tenant-example.toml");
/// The name diagnostics give the embedded spec.
pub const DEFAULT_SPEC_NAME: &str = "templates/get-oauth-token.toml";

/// The largest spec, tenant file or flow document read: the platform's own flow size limit.
pub const MAX_INPUT_BYTES: usize = 10 * 1024 * 1024;

/// A diagnostic for an input over [`MAX_INPUT_BYTES`], or `None`.
pub fn too_large(name: &str, len: usize) -> Option<Diagnostic> {
    (len > MAX_INPUT_BYTES).then(|| {
        Diagnostic::new(
            Code::TooLarge,
            format!("{name} is {len} bytes; wxcflow reads at most {MAX_INPUT_BYTES} (10 MB, the platform's flow size limit)"),
        )
    })
}

/// The result of building one spec.
#[derive(Debug)]
pub struct Build {
    /// The document and its canonical JSON, when the spec had no errors.
    pub output: Option<(Document, String)>,
    /// Every error and warning, errors first in the order found.
    pub diagnostics: Vec<Diagnostic>,
    /// Secret values that tenant values brought in; they appear in no diagnostic.
    pub secrets: Vec<template::Secret>,
}

impl Build {
    /// Whether the document holds a secret value (a secret variable with a default, or a secret
    /// tenant value anywhere), so that a file holding it must be private.
    pub fn holds_secret(&self) -> bool {
        self.output.as_ref().is_some_and(|(doc, json)| {
            doc.flow
                .variables
                .iter()
                .any(|v| v.secret && !v.default.is_empty())
                || self.secrets.iter().any(|s| json.contains(s.value.as_str()))
        })
    }

    /// Where each secret variable's value came from, for placeholders in sheets:
    /// variable name -> origin (`environment variable ACME_TOKEN_PASSPHRASE`).
    pub fn secret_origins(&self) -> std::collections::BTreeMap<String, String> {
        let Some((document, _)) = &self.output else {
            return Default::default();
        };
        document
            .flow
            .variables
            .iter()
            .filter(|v| v.secret && !v.default.is_empty())
            .filter_map(|v| {
                let secret = self
                    .secrets
                    .iter()
                    .find(|s| v.default.contains(s.value.as_str()))?;
                Some((v.name.clone(), secret.origin.clone()))
            })
            .collect()
    }

    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Parses, renders with parameter defaults, checks, emits and validates a spec given as text.
pub fn build_source(source: &SourceFile, validator: &DocumentValidator) -> Build {
    build_tenant(source, None, &template::NoSecrets, validator)
}

/// As [`build_source`], with one tenant's parameter values.
pub fn build_tenant(
    source: &SourceFile,
    tenant: Option<&template::Tenant>,
    secrets: &dyn template::SecretStore,
    validator: &DocumentValidator,
) -> Build {
    if let Some(d) = too_large(&source.name, source.text.len()) {
        return failed(vec![d]);
    }
    let spec = match spec::parse_spec(source) {
        Ok(spec) => spec,
        Err(diagnostic) => return failed(vec![diagnostic]),
    };
    match template::Renderer::new(&spec, Some(source)) {
        Ok(renderer) => build_rendered(&renderer, tenant, secrets, validator),
        Err(diagnostics) => failed(diagnostics),
    }
}

/// Renders a compiled template for one tenant, then checks, emits and validates the result.
/// Batch rendering compiles the template once and calls this for every tenant.
pub fn build_rendered(
    renderer: &template::Renderer,
    tenant: Option<&template::Tenant>,
    secrets: &dyn template::SecretStore,
    validator: &DocumentValidator,
) -> Build {
    let rendered = renderer.render(tenant, secrets);
    let mut build = match &rendered.spec {
        Some(spec) => build_spec(spec, renderer.source(), validator),
        None => failed(Vec::new()),
    };
    let mut diagnostics = rendered.diagnostics;
    diagnostics.append(&mut build.diagnostics);
    build.diagnostics = mask(diagnostics, &rendered.secrets);
    build.secrets = rendered.secrets;
    build
}

/// Builds one compiled template for many tenants in parallel on rayon's current thread pool,
/// handing each build to `each` as soon as it is done (so that a batch never holds every
/// document at once). Results come back in the tenants' order, whatever the scheduling.
pub fn build_many<R: Send>(
    renderer: &template::Renderer,
    tenants: &[template::Tenant],
    secrets: &dyn template::SecretStore,
    validator: &DocumentValidator,
    each: &(dyn Fn(&template::Tenant, Build) -> R + Sync),
) -> Vec<R> {
    use rayon::prelude::*;
    tenants
        .par_iter()
        .map(|tenant| {
            each(
                tenant,
                build_rendered(renderer, Some(tenant), secrets, validator),
            )
        })
        .collect()
}

fn failed(diagnostics: Vec<Diagnostic>) -> Build {
    Build {
        output: None,
        diagnostics,
        secrets: Vec::new(),
    }
}

/// Replaces every secret value in diagnostic text with a fixed mask.
fn mask(mut diagnostics: Vec<Diagnostic>, secrets: &[template::Secret]) -> Vec<Diagnostic> {
    if secrets.is_empty() {
        return diagnostics;
    }
    let hide = |text: &mut String| {
        for secret in secrets {
            if text.contains(secret.value.as_str()) {
                *text = text.replace(secret.value.as_str(), template::SECRET_MASK);
            }
        }
    };
    for d in &mut diagnostics {
        hide(&mut d.message);
        if let Some(help) = &mut d.help {
            hide(help);
        }
    }
    diagnostics
}

/// Checks, emits and validates a spec (parsed, or made with [`spec::builder`]).
// `expect` below: A document is plain data with string keys: it always converts.
#[allow(clippy::expect_used)]
pub fn build_spec(
    spec: &Spec,
    source: Option<&SourceFile>,
    validator: &DocumentValidator,
) -> Build {
    let checked = check::check(spec, source);
    let mut diagnostics = checked.diagnostics;
    let Some(flow) = checked.flow else {
        return failed(diagnostics);
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
        return failed(diagnostics);
    }
    Build {
        output: Some((document, json)),
        diagnostics,
        secrets: Vec::new(),
    }
}
