//! The pipeline driver: parse → render → check (lowering on the way) → emit → validate, one
//! pure function a stage, with the compiled document validator built once.

mod groups;
pub use groups::Groups;

use crate::diagnostic::{self, Code, Diagnostic, SourceFile};
use crate::flow::limits::too_large;
use crate::flow::{Document, Flow};
use crate::flow_designer as fd;
use crate::input::InputKind;
use crate::spec::{self, Spec};
use crate::validate::DocumentValidator;
use crate::{check, emit, render};
use std::collections::BTreeMap;

/// What [`Compiler::read_flow_designer`] reads: the file's kind, the model or the problems that
/// kept it from being made, and the file as diagnostics quote it.
type FdRead = (
    InputKind,
    Result<fd::model::FdFlow, Vec<Diagnostic>>,
    fd::quote::Quoted,
);

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
    /// Whether the document holds a secret value, so that a file holding it must be private:
    /// a secret variable's default (rendering lets secret values land nowhere else) or a
    /// credential typed in clear where a request carries one; or whether its sources type one
    /// (a literal secret, a URL's password or key in a tenant value the document does not
    /// carry): the document's provenance holds their sha256, from which a typed secret could
    /// be guessed offline. Told by places, not by the text.
    pub fn holds_secret(&self) -> bool {
        self.output.as_ref().is_some_and(|(doc, _)| {
            doc.flow.holds_secret()
                || doc.flow.holds_typed_credential()
                || !self.secret_spans.is_empty()
        })
    }

    /// The build, with more places that hold a secret written literally.
    fn hiding(mut self, spans: Vec<diagnostic::Span>) -> Build {
        self.secret_spans.extend(spans);
        self
    }

    /// Stamps the document with where it came from (its provenance, the JSON's last member, as
    /// `build` and `render` write it) and measures the flow's size again on the bytes as
    /// written: the stamp adds a couple of hundred bytes, enough to take a document over
    /// the platform's limit.
    pub fn stamp(&mut self, template: crate::flow::Source, tenant: Option<crate::flow::Source>) {
        let Some((document, json)) = self.output.as_mut() else {
            return;
        };
        // Appended to the JSON already written rather than the document serialised again
        // (the same bytes); a document stamped already is written again whole, its provenance
        // replaced, not given a second one.
        let appended = match document.provenance {
            None => emit::provenance::stamp_json_into(
                std::mem::take(json),
                template.clone(),
                tenant.clone(),
            ),
            Some(_) => None,
        };
        match appended {
            Some(appended) => {
                *json = appended;
                document.provenance = Some(crate::flow::Provenance {
                    tool: emit::provenance::TOOL.to_string(),
                    template,
                    tenant,
                });
            }
            None => *json = emit::provenance::stamp(document, template, tenant),
        }
        self.diagnostics.retain(|d| d.code != Code::OverFlowSize);
        self.diagnostics.extend(over_flow_size(json));
    }

    /// Where each secret value the document holds comes from, as a render's manifest records
    /// it (empty without a document).
    pub fn secret_places(&self) -> BTreeMap<String, String> {
        self.output
            .as_ref()
            .map_or_else(BTreeMap::new, |(document, _)| {
                emit::provenance::secret_places(document, &self.secret_origins)
            })
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

    /// Reads a flow document (what `build` writes) from a file's bytes, the one way every
    /// command does: within the size limit, JSON (a leading byte order mark passed over),
    /// checked against the document schema, then read into the model. `Err`: every problem
    /// found, as `wxc::too-large` or `wxc::schema-violation` diagnostics naming `name`.
    pub fn read_document(&self, name: &str, bytes: &[u8]) -> Result<Document, Vec<Diagnostic>> {
        if let Some(d) = too_large(name, bytes.len()) {
            return Err(vec![d]);
        }
        let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
        let invalid = |detail: &dyn std::fmt::Display| {
            Diagnostic::new(
                Code::SchemaViolation,
                format!("{name} is not a valid flow document: {detail}"),
            )
            .with_help(
                "a flow document is what `wxcflow build` writes; check the spec it was built from",
            )
        };
        let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
            // Located as the line shows with its secrets hidden: a column counted in a
            // secret's characters would tell its length. Text that is not UTF-8 has its line.
            let (message, line, column) = match std::str::from_utf8(bytes) {
                Ok(text) => fd::quote::json_break(text, &e),
                Err(_) => (diagnostic::json_message(&e), e.line().max(1), 1),
            };
            let at = diagnostic::Span {
                file: name.to_string(),
                line,
                column,
                bytes: 0..0,
            };
            vec![invalid(&message).with_span(Some(at))]
        })?;
        // A key given twice: which value counts depends on the reader (wxcflow reads the
        // last), and a review of one copy says nothing of the other (`"secret": false` after
        // `true`).
        if let Some(text) = std::str::from_utf8(bytes)
            .ok()
            .filter(|text| fd::locate::gives_a_key_twice(text))
        {
            let source = SourceFile::new(name, text);
            let cell = fd::locate::SpanCell::default();
            let given: Vec<_> = (fd::locate::Places::new(text, &cell).given_twice())
                .into_iter()
                .map(|(path, at)| (path, at.range))
                .collect();
            let told = "wxcflow reads the last; write the document again with `wxcflow build`";
            let mut twice = fd::lint::keys_given_twice(&source, &given, told);
            // Located as the lines show with every place that could hold a secret hidden: a
            // column counted in a secret default's characters would tell its length.
            fd::quote::unreadable(source).place(&mut twice);
            return Err(twice);
        }
        let secret = secret_variable_paths(&value);
        let violations = self.validator.validate(&value);
        if !violations.is_empty() {
            return Err(violations
                .iter()
                .map(|v| invalid(&withheld(v, &secret)))
                .collect());
        }
        // serde's message may quote a value: said of the whole document, it is withheld when
        // the document holds a secret.
        serde_json::from_value(value)
            .map_err(|e| vec![invalid(&withheld(&format!("/: {e}"), &secret))])
    }

    /// What `parent`'s Call Flow nodes let it and each child they call (`children`, by flow
    /// name) choose of where the other sends a secret (`wxc::secret-to-other-destination`): a
    /// variable one flow's `send_to` reads that the other declares (Call Flow shares it) and
    /// sets while it runs. `check` asks it of the children it finds, as `run` finds them.
    pub fn shared_destinations(
        &self,
        parent: &Flow,
        children: &BTreeMap<String, Flow>,
    ) -> Vec<Diagnostic> {
        check::shared_destinations(parent, children)
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
        // The parsed spec is not kept: dropped once rendered, before the flow is made.
        let front = front(source, tenant, secrets, false);
        self.back_end(front.checked, front.secrets)
    }

    /// Builds a spec for Flow Designer: a Flow Designer spec as it is; a Webex Connect spec
    /// (rendered for `tenant`) through the one front end, its checked flow lowered to a
    /// SUBFLOW by the Flow Designer back end. `children` tells what the lowering knows of the
    /// flows the checked flow calls. `kind` is what [`InputKind::detect`] said of the source.
    pub fn build_flow_designer(
        &self,
        kind: InputKind,
        source: &SourceFile,
        tenant: Option<&render::Tenant>,
        secrets: &dyn render::SecretStore,
        children: &dyn Fn(&Flow) -> fd::lower::Children,
    ) -> FdTargetBuild {
        if kind == InputKind::FlowDesignerSpec {
            // Read once: the model, and the file as diagnostics quote it.
            let (read, quoted) = fd::read_quoted(source);
            let build = match read {
                Ok(flow) => {
                    let validator = self.fd_validator();
                    let mut build = fd::build_spec_quoted(flow, validator, &quoted);
                    quoted.place(&mut build.diagnostics);
                    build
                }
                Err(problems) => fd::FdBuild::failed(problems),
            };
            return FdTargetBuild {
                build,
                secrets: SecretOrigins::default(),
                quoted: Some(quoted),
            };
        }
        let Front {
            spec,
            checked,
            secrets: origins,
        } = front(source, tenant, secrets, true);
        let mut diagnostics = checked.diagnostics;
        let build = match checked.flow {
            Some(flow) => {
                let located = spec.as_ref().map(|spec| (spec, source));
                let (model, lowered) = fd::lower::lower_with(&flow, located, &children(&flow));
                // Neither is read again: freed before the file is written, the build's peak.
                drop(flow);
                drop(spec);
                self.finish_lowered(model, lowered)
            }
            None => fd::FdBuild::failed(Vec::new()),
        };
        diagnostics.extend(build.diagnostics);
        FdTargetBuild {
            build: fd::FdBuild {
                diagnostics,
                ..build
            },
            secrets: origins,
            quoted: None,
        }
    }

    /// Checks a Flow Designer file (`kind` an export or a spec), read once: what the lint
    /// finds and, for a spec, what the schema refuses in the file it would write; with the file
    /// as the diagnostics quote it (secret values hidden, columns counted as shown), and its
    /// kind. With no `kind`, the file's kind is told as it is read (an export's from the
    /// reading's own parse, which saves telling a large one apart first), and `None` comes
    /// back when it is no Flow Designer file; with a kind, it never does.
    pub fn check_flow_designer(
        &self,
        kind: Option<InputKind>,
        source: SourceFile,
    ) -> Option<(InputKind, Vec<Diagnostic>, fd::quote::Quoted)> {
        let validator = self.fd_validator();
        // The quote keeps the file rather than a copy (an export can be hundreds of megabytes);
        // an export's JSON is parsed once, for the reader and the schema check.
        let (told, read, quoted, parsed) =
            fd::read_quoted_checked(source, validator, kind.is_none())?;
        let kind = kind.unwrap_or_else(|| told.into());
        let diagnostics = match read {
            Ok(flow) => {
                // What push refuses, check reports (after what the lint finds). The lint runs on
                // another thread meanwhile; the JSON kept for the schema check is freed on this
                // one, which made it.
                let (refused, mut found) = fd::beside(
                    || match kind {
                        InputKind::FlowDesignerSpec => None,
                        _ => Some(fd::export_schema_problems_parsed(
                            &quoted, &flow, validator, parsed,
                        )),
                    },
                    || fd::lint::lint_quoted(&flow, &quoted),
                );
                match refused {
                    Some(refused) => found.extend(refused),
                    None => found.extend(fd::check_spec_written(flow, validator, &quoted)),
                }
                quoted.place(&mut found);
                found
            }
            Err(problems) => problems,
        };
        Some((kind, diagnostics, quoted))
    }

    /// Reads a Flow Designer file into the model, with the file as diagnostics quote it (see
    /// [`FdFlow::read_quoted_owned`](crate::FdFlow::read_quoted_owned)) and its kind, told as
    /// it is read (an export's from the reading's own parse); the file back, as the error, when
    /// it is no Flow Designer file. `keeping`: what an export's model keeps beside the logic
    /// (all of it to write the flow back).
    pub fn read_flow_designer(
        &self,
        source: SourceFile,
        keeping: fd::model::Keeping,
    ) -> Result<FdRead, Box<SourceFile>> {
        let (kind, read, quoted) = fd::read_quoted_told(source, keeping)?;
        Ok((kind.into(), read, quoted))
    }

    /// Lowers the flow of a flow document read from a file to a Flow Designer SUBFLOW (there is
    /// no spec to point into).
    pub fn lower_flow_designer(
        &self,
        flow: &Flow,
        children: &dyn Fn(&Flow) -> fd::lower::Children,
    ) -> FdTargetBuild {
        FdTargetBuild {
            build: self.lower_checked(flow, None, &children(flow)),
            secrets: SecretOrigins::default(),
            quoted: None,
        }
    }

    /// The Flow Designer back end: a checked flow lowered, emitted and validated.
    fn lower_checked(
        &self,
        flow: &Flow,
        located: fd::lower::Located,
        children: &fd::lower::Children,
    ) -> fd::FdBuild {
        let (model, diagnostics) = fd::lower::lower_with(flow, located, children);
        self.finish_lowered(model, diagnostics)
    }

    /// A lowered model (none when the lowering failed) written and validated.
    fn finish_lowered(
        &self,
        model: Option<fd::model::FdFlow>,
        diagnostics: Vec<Diagnostic>,
    ) -> fd::FdBuild {
        match model {
            Some(model) => fd::finish(model, diagnostics, fd::Origin::Lowered, self.fd_validator()),
            None => fd::FdBuild::failed(diagnostics),
        }
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
        let (checked, secrets) = front_rendered(renderer, tenant, secrets);
        self.back_end(checked, secrets)
    }

    /// The Webex Connect back end: a checked flow emitted and validated, with where its
    /// secrets came from.
    fn back_end(&self, checked: check::Checked, secrets: SecretOrigins) -> Build {
        Build {
            secret_origins: secrets.origins,
            secret_spans: secrets.spans,
            ..self.emit(checked, true)
        }
    }

    /// Checks, emits and validates a spec (parsed, or made with [`spec::builder`]).
    // `expect` below: A document is plain data with string keys: it always converts.
    #[allow(clippy::expect_used)]
    pub fn build_spec(&self, spec: &Spec, source: Option<&SourceFile>) -> Build {
        self.emit(check::check(spec, source), true)
    }

    /// Emits and validates a checked flow.
    fn emit(&self, checked: check::Checked, validate: bool) -> Build {
        let mut diagnostics = checked.diagnostics;
        let Some(flow) = checked.flow else {
            return failed(diagnostics);
        };
        let mut document = emit::document::document(flow);
        // Checked in parts, one node at a time: the whole document's JSON value tree would be
        // the largest thing a build holds.
        let violations = if validate {
            self.validator.validate_document(&mut document)
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
        diagnostics.extend(over_flow_size(&json));
        Build {
            output: Some((document, json)),
            diagnostics,
            secret_origins: BTreeMap::new(),
            secret_spans: Vec::new(),
        }
    }
}

/// The warning for a flow document over the platform's size, measured on `json`: Cisco documents
/// a 10 MB flow size; how it measures is not published, so the document as written stands in
/// for it, and the readers' limit is the same number.
fn over_flow_size(json: &str) -> Option<Diagnostic> {
    (json.len() > crate::MAX_INPUT_BYTES).then(|| {
        Diagnostic::new(
            Code::OverFlowSize,
            format!(
                "the flow document is {} bytes, over the platform's documented flow size of 10 MB ({} bytes); wxcflow's check, diff, graph and decompile read at most that much (inspect and textconv read it)",
                json.len(),
                crate::MAX_INPUT_BYTES
            ),
        )
    })
}

/// Where a build's secrets came from, and where its sources write them literally.
#[derive(Debug, Default)]
pub struct SecretOrigins {
    /// For each secret variable that tenant values filled: where its value came from.
    pub origins: BTreeMap<String, Vec<String>>,
    /// Where the spec or the tenant file holds a secret written literally.
    pub spans: Vec<diagnostic::Span>,
}

/// A Flow Designer build ([`Compiler::build_flow_designer`]): the file, with every diagnostic of
/// the front end and the back end, and where the secrets it holds came from.
#[derive(Debug)]
pub struct FdTargetBuild {
    /// The Flow Designer file, and every diagnostic.
    pub build: fd::FdBuild,
    /// Where its secrets came from; where its sources write them literally.
    pub secrets: SecretOrigins,
    /// A Flow Designer spec as its diagnostics quote it (secret values hidden, columns counted
    /// as shown); `None` for a Webex Connect spec, quoted through `secrets.spans`.
    pub quoted: Option<fd::quote::Quoted>,
}

/// The front end's result: the spec as parsed (for the back ends' locations), and the checked
/// flow with everything found on the way.
struct Front {
    spec: Option<Spec>,
    checked: check::Checked,
    secrets: SecretOrigins,
}

/// The front end, once per build: parse, render for `tenant`, check. The parsed spec is in the
/// result when `keep_spec`; otherwise it is dropped as soon as it is rendered (with the rendered
/// copy and the lowered flow, it would be a third copy of the flow held at once).
fn front(
    source: &SourceFile,
    tenant: Option<&render::Tenant>,
    store: &dyn render::SecretStore,
    keep_spec: bool,
) -> Front {
    let (spec, literal) = match parse(source) {
        Ok(parsed) => parsed,
        Err(failure) => {
            return Front {
                spec: None,
                checked: check::Checked {
                    flow: None,
                    diagnostics: failure.diagnostics,
                },
                secrets: SecretOrigins {
                    origins: BTreeMap::new(),
                    spans: failure.secret_spans,
                },
            }
        }
    };
    let (rendered, spec) = if keep_spec {
        let rendered = render::Renderer::new(&spec, Some(source))
            .map(|renderer| renderer.render(tenant, store));
        (rendered, Some(spec))
    } else {
        // Handed over: compiled without a copy.
        let rendered = render::Renderer::owning(spec, Some(source))
            .map(|renderer| renderer.render_once(tenant, store));
        (rendered, None)
    };
    let (checked, mut secrets) = match rendered {
        Ok(rendered) => check_rendered(rendered, Some(source)),
        Err(diagnostics) => (
            check::Checked {
                flow: None,
                diagnostics,
            },
            SecretOrigins::default(),
        ),
    };
    secrets.spans.extend(literal);
    Front {
        spec,
        checked,
        secrets,
    }
}

/// The front end past parsing: a compiled template rendered for one tenant, then checked.
fn front_rendered(
    renderer: &render::Renderer,
    tenant: Option<&render::Tenant>,
    store: &dyn render::SecretStore,
) -> (check::Checked, SecretOrigins) {
    check_rendered(renderer.render(tenant, store), renderer.source())
}

/// A spec rendered from the template `source`, checked.
fn check_rendered(
    mut rendered: render::Rendered,
    source: Option<&SourceFile>,
) -> (check::Checked, SecretOrigins) {
    // The rendered spec is dropped once checked: the back ends work from the flow.
    let mut checked = match rendered.spec.take() {
        Some(spec) => check::check(&spec, source),
        None => check::Checked {
            flow: None,
            diagnostics: Vec::new(),
        },
    };
    if let Some(template) = source {
        rendered.place_on_tenant(&template.name, &mut checked.diagnostics);
    }
    let mut diagnostics = rendered.diagnostics;
    diagnostics.append(&mut checked.diagnostics);
    checked.diagnostics = diagnostics;
    let secrets = SecretOrigins {
        origins: rendered.secret_origins,
        spans: rendered.secret_spans,
    };
    (checked, secrets)
}

/// The first stage: a spec's text, within the size limit, parsed; with where it writes secrets
/// literally (found from the TOML alone, so that a spec whose shape is wrong quotes its lines
/// hidden too). A failure is a finished build.
fn parse(source: &SourceFile) -> Result<(Spec, Vec<diagnostic::Span>), Box<Build>> {
    let too_large = too_large(&source.name, source.text.len())
        .or_else(|| crate::flow::limits::too_many_items(&source.name, &source.text));
    if let Some(d) = too_large {
        return Err(Box::new(failed(vec![d])));
    }
    // Read a part at a time when it reads; otherwise as one, for the exact diagnostic.
    let in_parts = spec::parse_in_parts(source, |toml| render::literal_secrets_in(toml, source));
    // Credentials typed in clear are hidden in quoted lines too, whether the spec checks or not.
    let typed = |(spec, mut literal): (Spec, Vec<diagnostic::Span>)| {
        literal.extend(crate::check::typed::typed_credential_spans(&spec, source));
        (spec, literal)
    };
    if let Some(parsed) = in_parts {
        return Ok(typed(parsed));
    }
    // TOML that does not read tells no secret's place: every place that could hold one is
    // hidden in quoted lines, and everything from the line of the first error on (the parser's
    // recovery can take the lines after a broken one into a table), as `textconv` shows it.
    let toml = spec::parse_toml(source).map_err(|d| {
        let quoted = fd::quote::unreadable(source.clone());
        let hidden = quoted.source.hidden().iter();
        let spans = hidden.map(|r| source.span(r.clone())).collect();
        Box::new(failed(vec![d]).hiding(spans))
    })?;
    let mut literal = render::literal_secrets_in(&toml, source);
    // A spec that does not read tells its credentials from the TOML alone, erring on the side
    // of hiding (every value an action sets); one that reads tells them exactly, as above.
    let from_toml = crate::check::typed::typed_credential_spans_in(&toml, source);
    match spec::spec_from_toml(toml, source) {
        Ok(spec) => Ok(typed((spec, literal))),
        Err(diagnostic) => {
            literal.extend(from_toml);
            Err(Box::new(failed(vec![diagnostic]).hiding(literal)))
        }
    }
}

/// Where a document read back holds its secret values, by origin: the entries of the
/// variables it declares secret (`/flow/variables/3`).
fn secret_variable_paths(document: &serde_json::Value) -> Vec<String> {
    let variables = document["flow"]["variables"]
        .as_array()
        .into_iter()
        .flatten();
    (variables.enumerate())
        .filter(|(_, v)| v["secret"].as_bool() != Some(false) && v.get("default").is_some())
        .map(|(i, _)| format!("/flow/variables/{i}"))
        .collect()
}

/// A violation (`path: message`) as it may be shown: a message about a secret variable's
/// entry, or about a part holding one, may quote its value, and says only where it is.
fn withheld(violation: &str, secret: &[String]) -> String {
    let path = violation.split_once(": ").map_or(violation, |(p, _)| p);
    let related = |s: &String| {
        let (inner, outer) = if path.len() >= s.len() {
            (path, s.as_str())
        } else {
            (s.as_str(), path)
        };
        inner.starts_with(outer) && matches!(inner.as_bytes().get(outer.len()), None | Some(b'/'))
            || outer == "/"
    };
    if secret.iter().any(related) {
        format!(
            "{path}: breaks the schema (the message is withheld: this part holds a secret value)"
        )
    } else {
        violation.to_string()
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
