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
        self.build_symbolic_spec(source).0
    }

    /// As [`Compiler::build_symbolic`], with the parsed spec too (for its parameters), so that
    /// the spec is read once.
    pub fn build_symbolic_spec(&self, source: &SourceFile) -> (Build, Option<Spec>) {
        let (spec, literal) = match parse(source) {
            Ok(parsed) => parsed,
            Err(failure) => return (*failure, None),
        };
        let build = match render::Renderer::new(&spec, Some(source)) {
            // Without parameters the template is the spec: built as usual.
            Ok(renderer) if spec.params.is_empty() => {
                self.build_rendered(&renderer, None, &render::NoSecrets)
            }
            Ok(renderer) => {
                let rendered = renderer.render_symbolic();
                let mut build = match &rendered.spec {
                    // A view for reading, never written: template text need not pass the schema.
                    Some(spec) => self.emit(check::check_template_text(spec, Some(source)), false),
                    None => failed(Vec::new()),
                };
                let mut diagnostics = rendered.diagnostics;
                diagnostics.append(&mut build.diagnostics);
                build.diagnostics = diagnostics;
                build
            }
            Err(diagnostics) => failed(diagnostics),
        };
        (build.hiding(literal), Some(spec))
    }

    /// Renders a compiled template for one tenant, then checks, emits and validates the result.
    /// Batch rendering compiles the template once and calls this for every tenant.
    pub fn build_rendered(
        &self,
        renderer: &render::Renderer,
        tenant: Option<&render::Tenant>,
        secrets: &dyn render::SecretStore,
    ) -> Build {
        let mut rendered = renderer.render(tenant, secrets);
        // The rendered spec is dropped once checked: the document is emitted from the flow.
        let mut build = match rendered.spec.take() {
            Some(spec) => {
                let checked = check::check(&spec, renderer.source());
                drop(spec);
                self.emit(checked, true)
            }
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
        // The JSON value tree is the largest thing a build holds: it is dropped before the
        // document's text is written.
        let violations = if validate {
            let value = serde_json::to_value(&document).expect("documents convert to JSON values");
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
        let json = emit::document::to_json(&document);
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
