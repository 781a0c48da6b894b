//! The pipeline driver: parse → render → check (lowering on the way) → emit → validate, one
//! pure function a stage, with the compiled document validator built once.

use crate::diagnostic::{self, too_large, Code, Diagnostic, SourceFile};
use crate::flow::Document;
use crate::spec::{self, Spec};
use crate::validate::DocumentValidator;
use crate::{check, emit, render};
use std::collections::BTreeMap;

/// The result of building one spec.
#[derive(Debug)]
pub struct Build {
    /// The document and its canonical JSON, when the spec had no errors.
    pub output: Option<(Document, String)>,
    /// Every error and warning, errors first in the order found.
    pub diagnostics: Vec<Diagnostic>,
    /// For each secret variable that tenant values filled: where its value came from
    /// (`environment variable ACME_TOKEN_PASSPHRASE`), for placeholders in sheets.
    pub secret_origins: BTreeMap<String, Vec<String>>,
    /// Where the spec or the tenant file holds a secret written literally: quote their lines
    /// through [`diagnostic::SourceFile::hiding`].
    pub secret_spans: Vec<diagnostic::Span>,
}

impl Build {
    /// Whether the document holds a secret value, so that a file holding it must be private.
    /// Secret values can only be in secret variables' defaults (rendering refuses them anywhere
    /// else), so this reads the declarations, not the text.
    pub fn holds_secret(&self) -> bool {
        self.output
            .as_ref()
            .is_some_and(|(doc, _)| doc.flow.holds_secret())
    }

    /// Whether any diagnostic is an error, in which case there is no document.
    /// The build, with more places that hold a secret written literally.
    fn hiding(mut self, spans: Vec<diagnostic::Span>) -> Build {
        self.secret_spans.extend(spans);
        self
    }

    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// The pipeline, with what is built once per process: the compiled document validator, and the
/// Flow Designer one when first needed. Every command builds through one `Compiler`; each
/// stage returns a typed artifact.
pub struct Compiler {
    validator: DocumentValidator,
    fd_validator: std::sync::OnceLock<crate::flow_designer::schema::FdValidator>,
}

impl Default for Compiler {
    fn default() -> Self {
        Compiler::new()
    }
}

impl Compiler {
    /// Compiles the document schema once.
    pub fn new() -> Compiler {
        Compiler {
            validator: DocumentValidator::new(),
            fd_validator: std::sync::OnceLock::new(),
        }
    }

    /// The Flow Designer validator, compiled the first time it is asked for.
    pub fn fd_validator(&self) -> &crate::flow_designer::schema::FdValidator {
        self.fd_validator.get_or_init(Default::default)
    }

    /// The document validator, for documents read from files.
    pub fn validator(&self) -> &DocumentValidator {
        &self.validator
    }

    /// Parses, renders with parameter defaults, checks, emits and validates a spec given as text.
    pub fn build(&self, source: &SourceFile) -> Build {
        self.build_tenant(source, None, &render::NoSecrets)
    }

    /// As [`Compiler::build`], with one tenant's parameter values.
    pub fn build_tenant(
        &self,
        source: &SourceFile,
        tenant: Option<&render::Tenant>,
        secrets: &dyn render::SecretStore,
    ) -> Build {
        let (spec, literal) = match parse(source) {
            Ok(parsed) => parsed,
            Err(failure) => return *failure,
        };
        let build = match render::Renderer::new(&spec, Some(source)) {
            Ok(renderer) => self.build_rendered(&renderer, tenant, secrets),
            Err(diagnostics) => failed(diagnostics),
        };
        build.hiding(literal)
    }

    /// A template as revisions read it, without any tenant: string parameters stand for
    /// themselves as template text (see [`render::Renderer::render_symbolic`]); a spec
    /// without parameters builds as usual. No secret is read.
    pub fn build_symbolic(&self, source: &SourceFile) -> Build {
        let (spec, literal) = match parse(source) {
            Ok(parsed) => parsed,
            Err(failure) => return *failure,
        };
        if spec.params.is_empty() {
            return self.build(source);
        }
        let renderer = match render::Renderer::new(&spec, Some(source)) {
            Ok(renderer) => renderer,
            Err(diagnostics) => return failed(diagnostics).hiding(literal),
        };
        let rendered = renderer.render_symbolic();
        let mut build = match &rendered.spec {
            // A view for reading, never written: template text need not pass the schema.
            Some(spec) => self.emit(check::check_template_text(spec, Some(source)), false),
            None => failed(Vec::new()),
        };
        let mut diagnostics = rendered.diagnostics;
        diagnostics.append(&mut build.diagnostics);
        build.diagnostics = diagnostics;
        build.hiding(literal)
    }

    /// Renders a compiled template for one tenant, then checks, emits and validates the result.
    /// Batch rendering compiles the template once and calls this for every tenant.
    pub fn build_rendered(
        &self,
        renderer: &render::Renderer,
        tenant: Option<&render::Tenant>,
        secrets: &dyn render::SecretStore,
    ) -> Build {
        let rendered = renderer.render(tenant, secrets);
        let mut build = match &rendered.spec {
            Some(spec) => self.build_spec(spec, renderer.source()),
            None => failed(Vec::new()),
        };
        if let Some(template) = renderer.source() {
            rendered.place_on_tenant(&template.name, &mut build.diagnostics);
        }
        let mut diagnostics = rendered.diagnostics;
        diagnostics.append(&mut build.diagnostics);
        build.diagnostics = diagnostics;
        build.secret_origins = rendered.secret_origins;
        build.secret_spans = rendered.secret_spans;
        build
    }

    /// Checks, emits and validates a spec (parsed, or made with [`spec::builder`]).
    // `expect` below: A document is plain data with string keys: it always converts.
    #[allow(clippy::expect_used)]
    pub fn build_spec(&self, spec: &Spec, source: Option<&SourceFile>) -> Build {
        self.emit(check::check(spec, source), true)
    }

    /// Emits and validates a checked flow.
    // `expect` below: A document is plain data with string keys: it always converts.
    #[allow(clippy::expect_used)]
    fn emit(&self, checked: check::Checked, validate: bool) -> Build {
        let mut diagnostics = checked.diagnostics;
        let Some(flow) = checked.flow else {
            return failed(diagnostics);
        };
        let document = emit::document::document(flow);
        let json = emit::document::to_json(&document);
        let value = serde_json::to_value(&document).expect("documents convert to JSON values");
        let violations = if validate {
            self.validator.validate(&value)
        } else {
            Vec::new()
        };
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
            secret_origins: BTreeMap::new(),
            secret_spans: Vec::new(),
        }
    }
}

/// The first stage: a spec's text, within the size limit, parsed; with where it writes secrets
/// literally (found from the TOML alone, so that a spec whose shape is wrong quotes its lines
/// hidden too). A failure is a finished build.
fn parse(source: &SourceFile) -> Result<(Spec, Vec<diagnostic::Span>), Box<Build>> {
    if let Some(d) = too_large(&source.name, source.text.len()) {
        return Err(Box::new(failed(vec![d])));
    }
    let toml = spec::parse_toml(source).map_err(|d| Box::new(failed(vec![d])))?;
    let literal = render::literal_secrets_in(&toml, source);
    match spec::spec_from_toml(toml, source) {
        Ok(spec) => Ok((spec, literal)),
        Err(diagnostic) => Err(Box::new(failed(vec![diagnostic]).hiding(literal))),
    }
}

fn failed(diagnostics: Vec<Diagnostic>) -> Build {
    Build {
        output: None,
        diagnostics,
        secret_origins: BTreeMap::new(),
        secret_spans: Vec::new(),
    }
}
