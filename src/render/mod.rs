//! Templates and tenants: one spec serves many tenants.
//!
//! A spec declares `[params]`; its string values may hold minijinja expressions (`{{ debug_url }}`).
//! Rendering happens inside the string values of the parsed spec, never on its text, so a tenant
//! value with quotes, newlines or `{{` ends up verbatim inside one string and cannot change the
//! flow's structure. Node switches (`enabled` / `bypass`) are the one declared way structure varies.

use crate::diagnostic::{did_you_mean, Code, Diagnostic, Related, SourceFile, Span};
use crate::spec::is_template;
use crate::spec::model::{NodeSpec, ParamSpec, Spec, Switch, S};
use minijinja::{Environment, UndefinedBehavior, Value};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

pub mod batch;
mod params;
pub mod sources;
mod switches;
mod syntax;
mod visit;

pub(crate) use params::default_is_secret;
use params::{declare, Param, ParamType};
pub use sources::SecretFileError;
pub(crate) use switches::apply_switches;
pub(crate) use syntax::{MAX_RENDER_BYTES, MAX_VALUE_BYTES};
pub(crate) use visit::{visit_strings, Place};

/// Where secrets come from: the environment and files. The CLI implements it; tests fake it.
pub trait SecretStore: Sync {
    /// The value of an environment variable named in a tenant file; `None` when it is unset.
    fn env(&self, name: &str) -> Option<String>;
    /// Whether the environment variable is set at all, for telling a value that is not UTF-8
    /// text (`env` gives `None` for it too) from an unset variable.
    fn env_is_set(&self, _name: &str) -> bool {
        false
    }
    /// Reads a secret file named in a tenant file (relative to that file's folder), refusing one
    /// that breaks a rule of [`sources`]. The value is returned as read: the caller applies
    /// `sources::clean_secret_value`.
    fn file(&self, path: &str) -> Result<String, SecretFileError>;
    /// `false` for outputs that show only where secrets come from (sheets, graphs): then no
    /// secret is read at all, and a placeholder stands in for each value.
    fn reads_values(&self) -> bool {
        true
    }
}

/// A store that reads nothing: secrets given as `{ env = ... }` or `{ file = ... }` render as a
/// placeholder, for outputs that only say where each secret comes from.
pub struct OriginsOnly;

/// What stands in for a secret that [`OriginsOnly`] does not read.
pub(crate) const SECRET_PLACEHOLDER: &str = "(secret, not read)";

impl SecretStore for OriginsOnly {
    fn env(&self, _: &str) -> Option<String> {
        None
    }
    fn file(&self, path: &str) -> Result<String, SecretFileError> {
        Err(SecretFileError::Unreadable(format!(
            "secret files are not read here ({path})"
        )))
    }
    fn reads_values(&self) -> bool {
        false
    }
}

/// A store with nothing in it, for building without tenant values.
pub struct NoSecrets;

impl SecretStore for NoSecrets {
    fn env(&self, _: &str) -> Option<String> {
        None
    }
    fn file(&self, path: &str) -> Result<String, SecretFileError> {
        Err(SecretFileError::Unreadable(format!(
            "no secret file can be read here ({path})"
        )))
    }
}

/// A parsed tenant file: parameter values by name.
pub struct Tenant {
    /// The file stem, e.g. `acme` for `acme.toml`.
    pub name: String,
    /// The tenant file's text, which diagnostics about its values point into.
    pub source: SourceFile,
    values: BTreeMap<S<String>, S<toml::Value>>,
}

impl Tenant {
    /// Reads a tenant file; fails when it is over the size limit or not valid TOML.
    pub fn parse(name: impl Into<String>, source: SourceFile) -> Result<Tenant, Diagnostic> {
        if let Some(d) = crate::flow::limits::too_large(&source.name, source.text.len()) {
            return Err(d);
        }
        let values = toml::from_str(&source.text).map_err(|e| {
            // An integer past 64 bits reads as a value of no type: said as what it is.
            let spanned = e.span().and_then(|r| source.text.get(r));
            let why = match crate::diagnostic::integer_too_large(spanned) {
                true => crate::diagnostic::INTEGER_TOO_LARGE.to_string(),
                false => crate::diagnostic::without_value(e.message().trim_end()),
            };
            Diagnostic::new(Code::TomlSyntax, format!("invalid tenant file: {why}"))
                .with_span(e.span().map(|r| source.span(r)))
        })?;
        Ok(Tenant {
            name: name.into(),
            source,
            values,
        })
    }

    /// The problem with a file of values (`what`: a tenant file, an inputs file) that is not
    /// UTF-8: TOML is UTF-8, so it does not read,
    /// and is `wxc::toml-syntax` as any file that does not read, located by the line and column
    /// of its first bad byte. Returned with the text before that byte, which the diagnostic
    /// points into; no byte of the file is in the message.
    pub fn not_utf8(
        file_name: impl Into<String>,
        what: &str,
        error: std::string::FromUtf8Error,
    ) -> (SourceFile, Diagnostic) {
        let valid_up_to = error.utf8_error().valid_up_to();
        let mut bytes = error.into_bytes();
        bytes.truncate(valid_up_to);
        // Valid UTF-8 up to there: nothing is replaced.
        let source = SourceFile::new(file_name, String::from_utf8_lossy(&bytes).into_owned());
        let d = Diagnostic::new(Code::TomlSyntax, format!("invalid {what}: not UTF-8 text"))
            .with_span(Some(source.span(valid_up_to..valid_up_to)))
            .with_help(format!(
                "Save the {what} as UTF-8, as TOML must be (an editor's Latin-1 or \
                 Windows-1252 is the usual cause)."
            ));
        (source, d)
    }

    /// Where the tenant file sets parameter `name`: its key.
    pub fn key_span(&self, name: &str) -> Option<Span> {
        self.values
            .keys()
            .find(|k| k.get_ref() == name)
            .map(|k| self.source.span(k.span()))
    }

    /// The secret files the tenant file names (`{ file = "..." }`), as written (relative to the
    /// tenant file's folder), whether or not a command reads them.
    pub fn secret_files(&self) -> Vec<&str> {
        self.values
            .values()
            .filter_map(|v| match v.get_ref() {
                toml::Value::Table(table) => match params::secret_reference(table) {
                    Some(params::SecretRef::File(_)) => table.get("file")?.as_str(),
                    _ => None,
                },
                _ => None,
            })
            .collect()
    }
}

/// A template compiled once, rendered for any number of tenants.
pub struct Renderer<'s> {
    /// The template: borrowed, or handed over ([`Renderer::owning`]).
    spec: Cow<'s, Spec>,
    source: Option<&'s SourceFile>,
    params: Vec<Param>,
    env: Environment<'static>,
    /// Index (in visiting order) of each string that holds a template, read once.
    templated: BTreeMap<usize, Compiled>,
    /// Every template string is a variable's default or a switch: two tenants whose switches
    /// render alike then get specs that differ in variable defaults alone (see `crate::compiler::groups`).
    pub(crate) groupable: bool,
}

/// A template string as read when the template is compiled.
struct Compiled {
    shape: syntax::Shape,
    /// The secret parameters it names: its provenance, known before any value is rendered.
    secrets: Vec<String>,
    /// It is a switch (`enabled`): what it renders to decides the flow's structure.
    switch: bool,
}

/// The result of rendering for one tenant.
pub struct Rendered {
    /// The spec with values filled in and switched-off nodes removed; `None` on errors.
    pub spec: Option<Spec>,
    /// Every error and warning of rendering for this tenant.
    pub diagnostics: Vec<Diagnostic>,
    /// For each secret variable whose default a secret parameter filled: where the values came
    /// from (`environment variable ACME_TOKEN_PASSPHRASE`), for placeholders in sheets.
    pub secret_origins: BTreeMap<String, Vec<String>>,
    /// Where the tenant file holds secret values written literally, so that a quoted source
    /// line never shows them.
    pub secret_spans: Vec<Span>,
    /// Template strings that read a value the tenant file sets: the string's bytes in the
    /// template, and the tenant file's key for the first such parameter (by name). A problem
    /// later found in such a string is the tenant's: see [`Rendered::place_on_tenant`].
    pub tenant_reads: Vec<(std::ops::Range<usize>, Span)>,
    /// What each switch written as a template rendered to, in visiting order, when the
    /// template is groupable (every template string a variable's default or a switch): specs
    /// rendered with the same switches differ in variable defaults alone. `None` otherwise.
    pub(crate) switches: Option<Vec<String>>,
}

impl Rendered {
    /// Moves diagnostics found in a template string that read a tenant's value to the tenant
    /// file's key, keeping the template string as their related place: the problem is that
    /// tenant's (three tenants with a bad value are three problems, each in its own file).
    /// `template` is the template's file name.
    pub fn place_on_tenant(&self, template: &str, diagnostics: &mut [Diagnostic]) {
        for d in diagnostics.iter_mut() {
            let Some(span) = d.span.clone().filter(|s| s.file == template) else {
                continue;
            };
            let Some((_, key)) = self.tenant_reads.iter().find(|(string, _)| {
                string.start <= span.bytes.start && span.bytes.end <= string.end
            }) else {
                continue;
            };
            d.span = Some(key.clone());
            d.related = Some(Box::new(Related {
                span,
                note: "the template uses the value".into(),
            }));
        }
    }
}

/// Where a spec holds secret values written literally: the defaults of secret variables and
/// of secret parameters that are plain text rather than templates. Read from the TOML alone, so
/// that a spec whose shape is wrong (an unknown key beside a secret default) hides them too.
pub fn literal_secrets(source: &SourceFile) -> Vec<Span> {
    match toml::de::DeTable::parse(&source.text) {
        Ok(root) => literal_secrets_in(&root, source),
        Err(_) => Vec::new(),
    }
}

/// As [`literal_secrets`], from the spec's TOML already parsed.
pub(crate) fn literal_secrets_in(
    root: &toml::Spanned<toml::de::DeTable<'_>>,
    source: &SourceFile,
) -> Vec<Span> {
    use toml::de::{DeTable, DeValue};
    fn entry<'t, 'i>(table: &'t DeTable<'i>, key: &str) -> Option<&'t toml::Spanned<DeValue<'i>>> {
        table
            .iter()
            .find(|(k, _)| k.get_ref() == key)
            .map(|(_, v)| v)
    }
    let mut spans = Vec::new();
    for (section, templates_allowed) in [("variables", true), ("params", false)] {
        let Some(DeValue::Table(entries)) = entry(root.get_ref(), section).map(|v| v.get_ref())
        else {
            continue;
        };
        // A declaration of the wrong shape (`pass = [{ secret = true, default = "..." }]`) is
        // looked into as well: each table in it.
        let declarations = entries.values().flat_map(|d| match d.get_ref() {
            DeValue::Table(t) => vec![t],
            DeValue::Array(items) => (items.iter())
                .filter_map(|i| match i.get_ref() {
                    DeValue::Table(t) => Some(t),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        });
        for declaration in declarations {
            // `secret = 1` or `"yes"` is a shape error, and still meant: only `false` is not.
            let secret = entry(declaration, "secret")
                .is_some_and(|v| !matches!(v.get_ref(), DeValue::Boolean(false)));
            let Some(default) = entry(declaration, "default").filter(|_| secret) else {
                continue;
            };
            let literal = match default.get_ref() {
                DeValue::String(text) if text.is_empty() => false,
                DeValue::String(text) => !(templates_allowed && is_template(text)),
                _ => true,
            };
            if literal {
                let within = crate::spec::values_within(default).into_iter();
                spans.extend(within.map(|v| source.span(v.span())));
            }
        }
    }
    spans
}

/// Puts back the template text of every string of `rendered` that `original` wrote as a
/// template. Switches were applied already (nodes and variables left out), so strings are
/// matched by where they sit, not by order.
fn restore_template_text(rendered: &mut Spec, original: &Spec) {
    let mut texts: BTreeMap<String, String> = BTreeMap::new();
    let mut scratch = original.clone();
    visit_strings(&mut scratch, &mut |s, place| {
        if is_template(s.get_ref()) {
            texts.insert(place_key(&place(), s), s.get_ref().clone());
        }
    });
    visit_strings(rendered, &mut |s, place| {
        if let Some(text) = texts.get(&place_key(&place(), s)) {
            *s.get_mut() = text.clone();
        }
    });
}

/// Where a string sits, with its byte range to tell apart strings that share a place.
fn place_key(place: &Place, s: &S<String>) -> String {
    let at = s.span();
    match place {
        Place::VariableDefault { name, .. } => format!("variables.{name}@{}", at.start),
        Place::Url(path) | Place::Other(path) | Place::Switch(path) => {
            format!("{path}@{}", at.start)
        }
    }
}

/// A name a template reads that is not one of the spec's parameters.
fn undefined(name: &str, at: Option<Span>, declared: &[String]) -> Diagnostic {
    let params = declared.iter().map(String::as_str);
    Diagnostic::new(
        Code::UndefinedTemplateVariable,
        format!("`{name}` is not a parameter of this template"),
    )
    .with_span(at)
    .with_optional_help(
        did_you_mean(name, params).or_else(|| Some(format!("declare it under [params.{name}]"))),
    )
}

/// Names as `a`, `b`.
fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|p| format!("`{p}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Escapes text so that, rendered as a template, it comes out unchanged: every `{` that would
/// open a tag becomes `{{ "{" }}`.
pub(crate) fn escape(text: &str) -> String {
    if !is_template(text) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '{' && matches!(chars.peek(), Some('{' | '%' | '#')) {
            out.push_str("{{ \"{\" }}");
        } else {
            out.push(c);
        }
    }
    out
}

impl<'s> Renderer<'s> {
    /// Checks the `[params]` declarations and compiles every template string of the spec.
    pub fn new(
        spec: &'s Spec,
        source: Option<&'s SourceFile>,
    ) -> Result<Renderer<'s>, Vec<Diagnostic>> {
        Renderer::compile(Cow::Borrowed(spec), source)
    }

    /// [`Renderer::new`] of a spec handed over: compiling it visits the spec itself rather than
    /// a copy, and [`Renderer::render_once`] fills it.
    pub(crate) fn owning(
        spec: Spec,
        source: Option<&'s SourceFile>,
    ) -> Result<Renderer<'s>, Vec<Diagnostic>> {
        Renderer::compile(Cow::Owned(spec), source)
    }

    fn compile(
        mut spec: Cow<'s, Spec>,
        source: Option<&'s SourceFile>,
    ) -> Result<Renderer<'s>, Vec<Diagnostic>> {
        let mut diagnostics = Vec::new();
        let span = |s: &S<String>| source.map(|src| src.span(s.span()));
        let mut params = Vec::new();
        for (name, p) in &spec.params {
            match declare(name, p, source) {
                Ok(param) => params.push(param),
                Err(d) => diagnostics.push(d),
            }
        }
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        // A value's last newline is part of the value.
        env.set_keep_trailing_newline(true);
        // Booleans render as TOML and JSON write them (`true`), not as Python does (`True`).
        env.set_formatter(|out, state, value| {
            if value.kind() == minijinja::value::ValueKind::Bool {
                let text = if value.is_true() { "true" } else { "false" };
                out.write_str(text).map_err(minijinja::Error::from)
            } else {
                minijinja::escape_formatter(out, state, value)
            }
        });
        let secret_params: BTreeSet<&str> = params
            .iter()
            .filter(|p| p.secret)
            .map(|p| p.name.as_str())
            .collect();
        let mut templated = BTreeMap::new();
        let declared: Vec<String> = spec.params.keys().map(|p| p.get_ref().clone()).collect();
        // The visit lends each string mutably and changes none: an owned spec is visited as it
        // is, a borrowed one through a copy.
        let mut copy = None;
        let visited = match &mut spec {
            Cow::Owned(spec) => spec,
            Cow::Borrowed(spec) => copy.insert((*spec).clone()),
        };
        let mut index = 0;
        let mut groupable = true;
        visit_strings(visited, &mut |s, place| {
            if is_template(s.get_ref()) {
                let place = place();
                let switch = matches!(place, Place::Switch(_));
                groupable &= switch || matches!(place, Place::VariableDefault { .. });
                if let Some(r) = crate::flow::limits::template_operators_over(s.get_ref()) {
                    // Refused before minijinja parses it: its parser would go this deep.
                    let at = source.map(|src| src.span_in_string(s.span(), s.get_ref(), r));
                    diagnostics.push(
                        Diagnostic::new(
                            Code::TemplateError,
                            format!(
                                "template holds more than {} operators, brackets and `elif`s, the most wxcflow parses",
                                crate::flow::limits::MAX_TEMPLATE_OPERATORS
                            ),
                        )
                        .with_span(at),
                    );
                } else if let Err(e) =
                    env.add_template_owned(index.to_string(), s.get_ref().clone())
                {
                    let at = e.range().map_or_else(
                        || span(s),
                        |r| source.map(|src| src.span_in_string(s.span(), s.get_ref(), r)),
                    );
                    diagnostics.push(
                        Diagnostic::new(
                            Code::TemplateError,
                            format!(
                                "template does not parse: {}",
                                e.detail().unwrap_or("syntax error")
                            ),
                        )
                        .with_span(at),
                    );
                } else {
                    match syntax::check(s.get_ref()) {
                        Ok(shape) => {
                            for (name, at) in &shape.names {
                                if !declared.contains(name) {
                                    let at = source.map(|src| {
                                        src.span_in_string(s.span(), s.get_ref(), at.clone())
                                    });
                                    diagnostics.push(undefined(name, at, &declared));
                                }
                            }
                            let secrets = (shape.names.keys())
                                .filter(|name| secret_params.contains(name.as_str()))
                                .cloned()
                                .collect();
                            templated.insert(
                                index,
                                Compiled {
                                    shape,
                                    secrets,
                                    switch,
                                },
                            );
                        }
                        Err(refusal) => diagnostics.push(
                            Diagnostic::new(
                                Code::TemplateError,
                                format!("{} is not allowed in flow templates", refusal.what),
                            )
                            .with_span(source.map(|src| {
                                src.span_in_string(s.span(), s.get_ref(), refusal.range)
                            }))
                            .with_help(syntax::ALLOWED),
                        ),
                    }
                }
            }
            index += 1;
        });
        drop(copy);
        if diagnostics.is_empty() {
            Ok(Renderer {
                spec,
                source,
                params,
                env,
                templated,
                groupable,
            })
        } else {
            Err(diagnostics)
        }
    }

    /// The spec's source, for locating diagnostics.
    pub fn source(&self) -> Option<&'s SourceFile> {
        self.source
    }

    /// Renders for one tenant (or with defaults alone when `tenant` is `None`). A secret
    /// parameter may fill only a secret variable's default; anywhere else it is an error, so
    /// that a document holds secret values in secret variables and nowhere else.
    pub fn render(&self, tenant: Option<&Tenant>, store: &dyn SecretStore) -> Rendered {
        self.render_filling(self.spec.as_ref().clone(), tenant, store)
    }

    /// [`Renderer::render`] once: the spec the renderer holds is filled rather than a copy (a
    /// 10,000-node build 5 % faster and 2 MB smaller with the command's allocator; with glibc's
    /// it was no faster and larger, the parser's freed memory scattered through the spec).
    pub(crate) fn render_once(
        mut self,
        tenant: Option<&Tenant>,
        store: &dyn SecretStore,
    ) -> Rendered {
        let spec = std::mem::take(self.spec.to_mut());
        self.render_filling(spec, tenant, store)
    }

    /// Renders for one tenant, filling `spec`: the template's spec or a copy of it.
    fn render_filling(
        &self,
        spec: Spec,
        tenant: Option<&Tenant>,
        store: &dyn SecretStore,
    ) -> Rendered {
        let mut diagnostics = Vec::new();
        let mut origins: BTreeMap<String, String> = BTreeMap::new();
        let mut secret_spans = Vec::new();
        let values = self.context(
            tenant,
            store,
            &mut diagnostics,
            &mut origins,
            &mut secret_spans,
        );
        if diagnostics.iter().any(Diagnostic::is_error) {
            return Rendered {
                spec: None,
                diagnostics,
                secret_origins: BTreeMap::new(),
                secret_spans,
                tenant_reads: Vec::new(),
                switches: None,
            };
        }
        let mut rendered = self.render_values(spec, values, origins, secret_spans, tenant);
        diagnostics.append(&mut rendered.diagnostics);
        rendered.diagnostics = diagnostics;
        rendered
    }

    /// Renders every template string with these parameter values, then applies the switches.
    // `expect` below: Every index in `templated` was added to the environment in `new`.
    #[allow(clippy::expect_used)]
    fn render_values(
        &self,
        mut spec: Spec,
        values: BTreeMap<String, Value>,
        origins: BTreeMap<String, String>,
        secret_spans: Vec<Span>,
        tenant: Option<&Tenant>,
    ) -> Rendered {
        let mut diagnostics = Vec::new();
        let context = Value::from_object(values.clone());
        let tenant_note = tenant.map_or(String::new(), |t| format!(" (tenant {})", t.source.name));
        let mut secret_origins: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut index = 0;
        let mut tenant_reads = Vec::new();
        let mut switches = Vec::new();
        // What the template values of this render may still add up to.
        let mut left = MAX_RENDER_BYTES;
        // Parameters whose value is a URL carrying a credential: known from the value each
        // parameter holds, before any string is rendered.
        let credentials: BTreeSet<&str> = (self.params.iter())
            .filter(|p| values.get(&p.name).is_some_and(|v| p.carries_credential(v)))
            .map(|p| p.name.as_str())
            .collect();
        // Those whose credential URL does not begin the value: no URL place reads them whole.
        let further_in: BTreeSet<&str> = (self.params.iter())
            .filter(|p| {
                values
                    .get(&p.name)
                    .is_some_and(|v| p.carries_credential_further_in(v))
            })
            .map(|p| p.name.as_str())
            .collect();
        visit_strings(&mut spec, &mut |s, place| {
            if let Some(compiled) = self.templated.get(&index) {
                let bound = compiled.shape.bound(&values);
                let too_large = if bound > MAX_VALUE_BYTES {
                    Some(format!("the template could render up to {bound} bytes; a value may be at most {MAX_VALUE_BYTES}"))
                } else if bound > left {
                    Some(format!("the template values of this render could add up to more than {MAX_RENDER_BYTES} bytes"))
                } else {
                    None
                };
                let over_limit = too_large.is_some();
                let rendered = match too_large {
                    Some(why) => Err(Diagnostic::new(
                        Code::TemplateError,
                        format!("template failed{tenant_note}: {why}"),
                    )
                    .with_span(self.source.map(|src| src.span(s.span())))),
                    None => self
                        .env
                        .get_template(&index.to_string())
                        .expect("compiled in new()")
                        .render(&context)
                        .map_err(|e| self.render_error(&e, s, &tenant_note)),
                };
                if let Ok(text) = &rendered {
                    left = left.saturating_sub(text.len() as u64);
                }
                if let Some(t) = tenant {
                    let mut names = compiled.shape.names.keys();
                    let set = names.find_map(|name| t.key_span(name));
                    tenant_reads.extend(set.map(|key| (s.span(), key)));
                }
                if let (true, Ok(text)) = (compiled.switch, &rendered) {
                    switches.push(text.clone());
                }
                let carried: Vec<&str> = (compiled.shape.names.keys())
                    .map(String::as_str)
                    .filter(|name| credentials.contains(name))
                    .collect();
                if !carried.is_empty() {
                    let leading = compiled
                        .shape
                        .leading_once()
                        .filter(|lead| !further_in.contains(lead));
                    diagnostics.extend(self.credential_misplaced(
                        s,
                        &place(),
                        &carried,
                        leading,
                        tenant,
                    ));
                }
                let uses = &compiled.secrets;
                if uses.is_empty() {
                    match rendered {
                        Ok(text) => *s.get_mut() = text,
                        Err(d) => diagnostics.push(d),
                    }
                } else if !compiled.shape.plain {
                    // Neither the text nor the error of such a template may be shown.
                    diagnostics.push(self.secret_computed(s, uses));
                } else {
                    match place() {
                        Place::VariableDefault { name, secret: true } => {
                            let from = secret_origins.entry(name).or_default();
                            from.extend(uses.iter().filter_map(|p| origins.get(p).cloned()));
                        }
                        place => diagnostics.push(self.secret_misplaced(s, &place, uses)),
                    }
                    match rendered {
                        Ok(text) => *s.get_mut() = text,
                        Err(_) => {
                            diagnostics.push(self.secret_failed(s, uses, over_limit, &tenant_note))
                        }
                    }
                }
            }
            index += 1;
        });
        if !diagnostics.iter().any(Diagnostic::is_error) {
            apply_switches(&mut spec, self.source, &mut diagnostics);
        }
        let ok = !diagnostics.iter().any(Diagnostic::is_error);
        Rendered {
            spec: ok.then_some(spec),
            diagnostics,
            secret_origins: if ok { secret_origins } else { BTreeMap::new() },
            secret_spans,
            tenant_reads,
            switches: self.groupable.then_some(switches),
        }
    }

    /// A template that computes with a secret parameter instead of substituting it.
    fn secret_computed(&self, s: &S<String>, uses: &[String]) -> Diagnostic {
        let at = self.source.map(|src| src.span(s.span()));
        let params = quoted(uses);
        Diagnostic::new(
            Code::SecretComputed,
            format!("this template computes with secret parameter {params}: what it renders or fails with would tell something of the secret"),
        )
        .with_span(at)
        .with_help("a secret may only be substituted whole, as `{{ name }}` in a secret variable's default")
    }

    /// A template that fills in a secret and fails: said without the value's size (a bound
    /// would tell the secret's length) or the renderer's words (which could quote it).
    fn secret_failed(
        &self,
        s: &S<String>,
        uses: &[String],
        over_limit: bool,
        tenant_note: &str,
    ) -> Diagnostic {
        let why = match over_limit {
            true => format!("its value would be over the {MAX_VALUE_BYTES} bytes a value may be"),
            false => "it could not be rendered".to_string(),
        };
        Diagnostic::new(
            Code::TemplateError,
            format!(
                "template failed{tenant_note}: it fills in secret parameter {}, and {why}; the value is not shown",
                quoted(uses)
            ),
        )
        .with_span(self.source.map(|src| src.span(s.span())))
    }

    /// Renders for reading revisions rather than for a tenant: each string and URL parameter
    /// stands for itself as template text (`{{ debug_url }}`), so that a value's change shows as
    /// the template text that changed; integers and booleans (which decide switches) take their
    /// defaults, or `0` and `true` when required. No secret is read.
    pub fn render_symbolic(&self) -> Rendered {
        let mut values: BTreeMap<String, Value> = BTreeMap::new();
        for p in &self.params {
            let value = match p.kind {
                ParamType::String | ParamType::Url => Value::from(format!("{{{{ {} }}}}", p.name)),
                ParamType::Integer => p.default.clone().unwrap_or(Value::from(0)),
                ParamType::Boolean => p.default.clone().unwrap_or(Value::from(true)),
            };
            values.insert(p.name.clone(), value);
        }
        let spec = self.spec.as_ref().clone();
        let mut rendered = self.render_values(spec, values, BTreeMap::new(), Vec::new(), None);
        // Every string but a switch shows as its template text, computations included
        // (`{{ n * 2 }}`), so that a change to a template is a change to its text.
        if let Some(spec) = &mut rendered.spec {
            restore_template_text(spec, &self.spec);
        }
        rendered
    }

    /// A secret parameter rendered into a place that is not a secret variable's default.
    fn secret_misplaced(&self, s: &S<String>, place: &Place, uses: &[String]) -> Diagnostic {
        let at = self.source.map(|src| src.span(s.span()));
        let params = quoted(uses);
        let noun = if uses.len() == 1 {
            "secret parameter"
        } else {
            "secret parameters"
        };
        match place {
            Place::VariableDefault { name, .. } => Diagnostic::new(
                Code::SecretToPlainVariable,
                format!("{noun} {params} → variable `{name}` (its default), which is not secret"),
            )
            .with_span(at)
            .with_help(format!(
                "declare `secret = true` on [variables.{name}], or keep the parameter out of it"
            )),
            Place::Url(path) | Place::Other(path) | Place::Switch(path) => Diagnostic::new(
                Code::SecretOutsideVariable,
                format!("{noun} {params} → `{path}`, where every output would show it"),
            )
            .with_span(at)
            .with_help(
                "pass a secret through a secret variable: [variables.NAME] secret = true, default = \"{{ param }}\", then write $(NAME) here",
            ),
        }
    }

    /// A parameter whose value is a URL carrying a credential, put where no reader takes it as
    /// that URL: a description, a sample, a header, or a URL place other than once at its
    /// start (past it, the credential would be read as part of another URL's path or
    /// parameter). Readers mask a credential by its place in a URL read whole, so anywhere
    /// else every output would show it; `None` where they mask it. Said without the value, at
    /// the tenant's key when the tenant sets it (its quoted line hidden), else at the template
    /// string.
    fn credential_misplaced(
        &self,
        s: &S<String>,
        place: &Place,
        carried: &[&str],
        leading: Option<&str>,
        tenant: Option<&Tenant>,
    ) -> Option<Diagnostic> {
        let (target, url_place) = match place {
            // Secret whole: every reader masks it all, wherever the URL sits in it.
            Place::VariableDefault { secret: true, .. } => return None,
            Place::VariableDefault { name, .. } => {
                (format!("variable `{name}` (its default)"), true)
            }
            Place::Url(path) => (format!("`{path}`"), true),
            Place::Other(path) | Place::Switch(path) => (format!("`{path}`"), false),
        };
        if url_place && leading.is_some_and(|lead| carried == [lead]) {
            return None;
        }
        let names: Vec<String> = carried.iter().map(|p| (*p).to_string()).collect();
        let noun = if carried.len() == 1 {
            "parameter"
        } else {
            "parameters"
        };
        let where_ = if url_place {
            "other than once at its start, where its credential would be read as part of another URL and shown"
        } else {
            "where every output would show its credential"
        };
        let template_string = self.source.map(|src| src.span(s.span()));
        let tenant_key = carried
            .iter()
            .find_map(|name| tenant.and_then(|t| t.key_span(name)));
        let d = Diagnostic::new(
            Code::CredentialOutsideUrl,
            format!(
                "{noun} {} holds a URL with a credential → {target}, {where_}",
                quoted(&names)
            ),
        )
        .with_help("a URL's credential is hidden only where the URL is read whole: begin a variable's default with it (`default = \"{{ url }}\"`) and write `$(Variable)` in the request; elsewhere, name the service without its credential");
        Some(match tenant_key {
            Some(key) => d
                .with_span(Some(key))
                .with_related(template_string, "the template puts the value here"),
            None => d.with_span(template_string),
        })
    }

    fn render_error(&self, e: &minijinja::Error, s: &S<String>, tenant_note: &str) -> Diagnostic {
        let at = self.source.map(|src| match e.range() {
            Some(r) => src.span_in_string(s.span(), s.get_ref(), r),
            None => src.span(s.span()),
        });
        // minijinja's detail names what failed (an operator, a filter), never a value.
        let what = format!(
            "template failed{tenant_note}: {}",
            e.detail().unwrap_or("error")
        );
        Diagnostic::new(Code::TemplateError, what).with_span(at)
    }
}
