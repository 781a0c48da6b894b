//! Templates and tenants: one spec serves many tenants.
//!
//! A spec declares `[params]`; its string values may hold minijinja expressions (`{{ debug_url }}`).
//! Rendering happens inside the string values of the parsed spec, never on its text, so a tenant
//! value with quotes, newlines or `{{` ends up verbatim inside one string and cannot change the
//! flow's structure. Node switches (`enabled` / `bypass`) are the one declared way structure varies.

use crate::diagnostic::{did_you_mean, Code, Diagnostic, SourceFile, Span};
use crate::spec::model::{NodeSpec, ParamSpec, Spec, Switch, S};
use minijinja::value::Object;
use minijinja::{Environment, UndefinedBehavior, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

/// Template instructions one string may spend; a runaway loop stops with an error instead.
pub const FUEL: u64 = 50_000;

/// Where secrets come from: the environment and files. The CLI implements it; tests fake it.
pub trait SecretStore: Sync {
    fn env(&self, name: &str) -> Option<String>;
    /// Reads a secret file named in a tenant file (relative to that file's folder).
    fn file(&self, path: &str) -> Result<String, String>;
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
pub const SECRET_PLACEHOLDER: &str = "(secret, not read)";

impl SecretStore for OriginsOnly {
    fn env(&self, _: &str) -> Option<String> {
        None
    }
    fn file(&self, path: &str) -> Result<String, String> {
        Err(format!("secret files are not read here ({path})"))
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
    fn file(&self, path: &str) -> Result<String, String> {
        Err(format!("no secret file can be read here ({path})"))
    }
}

/// A parsed tenant file: parameter values by name.
pub struct Tenant {
    /// The file stem, e.g. `acme` for `acme.toml`.
    pub name: String,
    pub source: SourceFile,
    values: BTreeMap<S<String>, S<toml::Value>>,
}

impl Tenant {
    pub fn parse(name: impl Into<String>, source: SourceFile) -> Result<Tenant, Diagnostic> {
        if let Some(d) = crate::too_large(&source.name, source.text.len()) {
            return Err(d);
        }
        let values = toml::from_str(&source.text).map_err(|e| {
            Diagnostic::new(
                Code::TomlSyntax,
                format!("invalid tenant file: {}", e.message().trim_end()),
            )
            .with_span(e.span().map(|r| source.span(r)))
        })?;
        Ok(Tenant {
            name: name.into(),
            source,
            values,
        })
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ParamType {
    String,
    Integer,
    Boolean,
    Url,
}

impl ParamType {
    fn parse(text: &str) -> Option<ParamType> {
        Some(match text {
            "string" => ParamType::String,
            "integer" => ParamType::Integer,
            "boolean" => ParamType::Boolean,
            "url" => ParamType::Url,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            ParamType::String => "string",
            ParamType::Integer => "integer",
            ParamType::Boolean => "boolean",
            ParamType::Url => "url",
        }
    }

    /// A value read as text (from the environment or a file) as this type's TOML value, so that
    /// `42` and `true` can come from where secrets do; anything else stays text for `convert`
    /// to refuse.
    fn typed_text(self, value: toml::Value) -> toml::Value {
        let toml::Value::String(text) = &value else {
            return value;
        };
        match self {
            ParamType::Integer => text.trim().parse().map_or(value, toml::Value::Integer),
            ParamType::Boolean => match text.trim() {
                "true" => toml::Value::Boolean(true),
                "false" => toml::Value::Boolean(false),
                _ => value,
            },
            ParamType::String | ParamType::Url => value,
        }
    }

    /// The value as a template value, or why it does not fit.
    fn convert(self, value: &toml::Value) -> Result<Value, String> {
        match (self, value) {
            (ParamType::String, toml::Value::String(s)) => Ok(Value::from(s.as_str())),
            (ParamType::Url, toml::Value::String(s)) => {
                if s.is_empty() || s.starts_with("https://") || s.starts_with("http://") {
                    Ok(Value::from(s.as_str()))
                } else {
                    Err("a url starts with http:// or https:// (or is empty)".into())
                }
            }
            (ParamType::Integer, toml::Value::Integer(i)) => Ok(Value::from(*i)),
            (ParamType::Boolean, toml::Value::Boolean(b)) => Ok(Value::from(*b)),
            (t, other) => Err(format!("expected {}, found {}", t.name(), other.type_str())),
        }
    }
}

struct Param {
    name: String,
    kind: ParamType,
    required: bool,
    default: Option<Value>,
    secret: bool,
    declared: Option<Span>,
}

/// A template compiled once, rendered for any number of tenants.
pub struct Renderer<'s> {
    spec: &'s Spec,
    source: Option<&'s SourceFile>,
    params: Vec<Param>,
    env: Environment<'static>,
    /// Index (in visiting order) of each string that holds a template, with the secret
    /// parameters it reads: its provenance, known before any value is rendered.
    templated: BTreeMap<usize, Vec<String>>,
}

/// The result of rendering for one tenant.
pub struct Rendered {
    /// The spec with values filled in and switched-off nodes removed; `None` on errors.
    pub spec: Option<Spec>,
    pub diagnostics: Vec<Diagnostic>,
    /// For each secret variable whose default a secret parameter filled: where the values came
    /// from (`environment variable ACME_TOKEN_PASSPHRASE`), for placeholders in sheets.
    pub secret_origins: BTreeMap<String, Vec<String>>,
    /// Where the tenant file holds secret values written literally, so that a quoted source
    /// line never shows them.
    pub secret_spans: Vec<Span>,
}

/// The parameters as a template sees them. Every name a template looks up is recorded, so
/// which secret parameters a string read is known from the rendering itself, whatever
/// construct read it (`include` arguments escape minijinja's static scan).
struct Lookups {
    values: Arc<BTreeMap<String, Value>>,
    read: Mutex<BTreeSet<String>>,
}

/// Never shows the values: some are secret.
impl std::fmt::Debug for Lookups {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("template parameters")
    }
}

impl Object for Lookups {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let name = key.as_str()?;
        if let Ok(mut read) = self.read.lock() {
            read.insert(name.to_string());
        }
        self.values.get(name).cloned()
    }
}

/// Whether a template only substitutes names: literal text and `{{ name }}`, nothing computed.
/// A template that reads a secret must be this simple, so that nothing it renders or fails
/// with (which branch of an `if`, an error on one character) depends on the secret's value.
fn is_plain_substitution(text: &str) -> bool {
    if text.contains("{%") || text.contains("{#") {
        return false;
    }
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            return false;
        };
        let name = after[..close].trim();
        let identifier = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !identifier {
            return false;
        }
        rest = &after[close + 2..];
    }
    true
}

/// Where a string of the spec sits, for tracing secrets: a variable's default, or elsewhere.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Place {
    /// `[variables.NAME] default`.
    VariableDefault { name: String, secret: bool },
    /// Any other value, by its path (`nodes.fetch_token.url`).
    Other(String),
}

/// Where a spec holds secret values written literally: the defaults of secret variables and
/// of secret parameters that are plain text rather than templates.
pub fn literal_secrets(spec: &Spec, source: &SourceFile) -> Vec<Span> {
    let variables = spec
        .variables
        .values()
        .filter(|v| v.secret)
        .filter_map(|v| v.default.as_ref())
        .filter(|d| !d.get_ref().is_empty() && !is_template(d.get_ref()))
        .map(|d| source.span(d.span()));
    let params = spec
        .params
        .values()
        .filter(|p| p.secret)
        .filter_map(|p| p.default.as_ref())
        .filter(|d| !matches!(d.get_ref(), toml::Value::String(s) if s.is_empty()))
        .map(|d| source.span(d.span()));
    variables.chain(params).collect()
}

/// Escapes text so that, rendered as a template, it comes out unchanged: every `{` that would
/// open a tag becomes `{{ "{" }}`.
pub fn escape(text: &str) -> String {
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

fn is_template(text: &str) -> bool {
    text.contains("{{") || text.contains("{%") || text.contains("{#")
}

impl<'s> Renderer<'s> {
    /// Checks the `[params]` declarations and compiles every template string of the spec.
    pub fn new(
        spec: &'s Spec,
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
        env.set_fuel(Some(FUEL));
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
        // `debug()` prints every parameter, secrets included: a template cannot call it.
        env.remove_global("debug");
        let secret_params: BTreeSet<&str> = params
            .iter()
            .filter(|p| p.secret)
            .map(|p| p.name.as_str())
            .collect();
        let mut templated = BTreeMap::new();
        let mut scratch = spec.clone();
        let mut index = 0;
        visit_strings(&mut scratch, &mut |s, _| {
            if is_template(s.get_ref()) {
                if let Err(e) = env.add_template_owned(index.to_string(), s.get_ref().clone()) {
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
                    // Which secret parameters the string reads decides whether its value is
                    // secret: provenance, read from the template, never from what it renders.
                    let reads = env
                        .get_template(&index.to_string())
                        .map(|t| t.undeclared_variables(false))
                        .unwrap_or_default();
                    let mut uses: Vec<String> = reads
                        .into_iter()
                        .filter(|name| secret_params.contains(name.as_str()))
                        .collect();
                    uses.sort();
                    templated.insert(index, uses);
                }
            }
            index += 1;
        });
        if diagnostics.is_empty() {
            Ok(Renderer {
                spec,
                source,
                params,
                env,
                templated,
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
    // `expect` below: Every index in `templated` was added to the environment in `new`.
    #[allow(clippy::expect_used)]
    pub fn render(&self, tenant: Option<&Tenant>, store: &dyn SecretStore) -> Rendered {
        let _budget = crate::render_limits::RenderBudget::start();
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
            };
        }
        let mut rendered = self.render_values(values, origins, secret_spans, tenant);
        diagnostics.append(&mut rendered.diagnostics);
        rendered.diagnostics = diagnostics;
        rendered
    }

    /// Renders every template string with these parameter values, then applies the switches.
    // `expect` below: Every index in `templated` was added to the environment in `new`.
    #[allow(clippy::expect_used)]
    fn render_values(
        &self,
        values: BTreeMap<String, Value>,
        origins: BTreeMap<String, String>,
        secret_spans: Vec<Span>,
        tenant: Option<&Tenant>,
    ) -> Rendered {
        let mut diagnostics = Vec::new();
        let values = Arc::new(values);
        let secret_params: BTreeSet<&str> = self
            .params
            .iter()
            .filter(|p| p.secret)
            .map(|p| p.name.as_str())
            .collect();
        let names: Vec<&str> = self.params.iter().map(|p| p.name.as_str()).collect();
        let tenant_note = tenant.map_or(String::new(), |t| format!(" (tenant {})", t.source.name));
        let mut secret_origins: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut spec = self.spec.clone();
        let mut index = 0;
        visit_strings(&mut spec, &mut |s, place| {
            if let Some(declared) = self.templated.get(&index) {
                let template = self
                    .env
                    .get_template(&index.to_string())
                    .expect("compiled in new()");
                let lookups = Arc::new(Lookups {
                    values: Arc::clone(&values),
                    read: Mutex::new(BTreeSet::new()),
                });
                let context = Value::from_dyn_object(Arc::clone(&lookups));
                let rendered = crate::render_limits::render(&template, &context);
                // The secret parameters the string reads: named in it, or looked up as it ran.
                let mut uses: BTreeSet<String> = declared.iter().cloned().collect();
                if let Ok(read) = lookups.read.lock() {
                    uses.extend(
                        read.iter()
                            .filter(|n| secret_params.contains(n.as_str()))
                            .cloned(),
                    );
                }
                let uses: Vec<String> = uses.into_iter().collect();
                if uses.is_empty() {
                    match rendered {
                        Ok(text) => *s.get_mut() = text,
                        Err(e) => diagnostics.push(self.render_error(&e, s, &names, &tenant_note)),
                    }
                } else if !is_plain_substitution(s.get_ref()) {
                    // Neither the text nor the error of such a template may be shown.
                    diagnostics.push(self.secret_computed(s, &uses));
                } else {
                    match &place {
                        Place::VariableDefault { name, secret: true } => {
                            let from = secret_origins.entry(name.clone()).or_default();
                            from.extend(uses.iter().filter_map(|p| origins.get(p).cloned()));
                        }
                        _ => diagnostics.push(self.secret_misplaced(s, &place, &uses)),
                    }
                    if let Ok(text) = rendered {
                        *s.get_mut() = text;
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
        }
    }

    /// A template that computes with a secret parameter instead of substituting it.
    fn secret_computed(&self, s: &S<String>, uses: &[String]) -> Diagnostic {
        let at = self.source.map(|src| src.span(s.span()));
        let params = uses
            .iter()
            .map(|p| format!("`{p}`"))
            .collect::<Vec<_>>()
            .join(", ");
        Diagnostic::new(
            Code::SecretComputed,
            format!("this template computes with secret parameter {params}: what it renders or fails with would tell something of the secret"),
        )
        .with_span(at)
        .with_help("a secret may only be substituted whole, as `{{ name }}` in a secret variable's default")
    }

    /// Renders for reading revisions rather than for a tenant: each string and URL parameter
    /// stands for itself as template text (`{{ debug_url }}`), so that a value's change shows as
    /// the template text that changed; integers and booleans (which decide switches) take their
    /// defaults, or `0` and `true` when required. No secret is read.
    pub fn render_symbolic(&self) -> Rendered {
        let _budget = crate::render_limits::RenderBudget::start();
        let mut values: BTreeMap<String, Value> = BTreeMap::new();
        for p in &self.params {
            let value = match p.kind {
                ParamType::String | ParamType::Url => Value::from(format!("{{{{ {} }}}}", p.name)),
                ParamType::Integer => p.default.clone().unwrap_or(Value::from(0)),
                ParamType::Boolean => p.default.clone().unwrap_or(Value::from(true)),
            };
            values.insert(p.name.clone(), value);
        }
        self.render_values(values, BTreeMap::new(), Vec::new(), None)
    }

    /// A secret parameter rendered into a place that is not a secret variable's default.
    fn secret_misplaced(&self, s: &S<String>, place: &Place, uses: &[String]) -> Diagnostic {
        let at = self.source.map(|src| src.span(s.span()));
        let params = uses
            .iter()
            .map(|p| format!("`{p}`"))
            .collect::<Vec<_>>()
            .join(", ");
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
            Place::Other(path) => Diagnostic::new(
                Code::SecretOutsideVariable,
                format!("{noun} {params} → `{path}`, where every output would show it"),
            )
            .with_span(at)
            .with_help(
                "pass a secret through a secret variable: [variables.NAME] secret = true, default = \"{{ param }}\", then write $(NAME) here",
            ),
        }
    }

    fn render_error(
        &self,
        e: &minijinja::Error,
        s: &S<String>,
        names: &[&str],
        tenant_note: &str,
    ) -> Diagnostic {
        let at = self.source.map(|src| match e.range() {
            Some(r) => src.span_in_string(s.span(), s.get_ref(), r),
            None => src.span(s.span()),
        });
        if matches!(
            e.kind(),
            minijinja::ErrorKind::TemplateNotFound | minijinja::ErrorKind::BadInclude
        ) {
            return Diagnostic::new(
                Code::TemplateError,
                format!("templates cannot include, import or extend other templates{tenant_note}"),
            )
            .with_span(at);
        }
        if e.kind() == minijinja::ErrorKind::UndefinedError {
            let name = e
                .range()
                .and_then(|r| s.get_ref().get(r))
                .map(|t| t.trim().to_string())
                .unwrap_or_default();
            let is_name =
                !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !is_name {
                return Diagnostic::new(
                    Code::UndefinedTemplateVariable,
                    format!("`{name}` is undefined{tenant_note}"),
                )
                .with_span(at);
            }
            return Diagnostic::new(
                Code::UndefinedTemplateVariable,
                format!("`{name}` is not a parameter of this template{tenant_note}"),
            )
            .with_span(at)
            .with_optional_help(
                did_you_mean(&name, names.iter().copied())
                    .or_else(|| Some(format!("declare it under [params.{name}]"))),
            );
        }
        let what = if e.kind() == minijinja::ErrorKind::OutOfFuel {
            format!("template ran out of fuel ({FUEL} instructions){tenant_note}: is there a runaway loop?")
        } else {
            // minijinja's detail names what failed (an operator, a filter), never a value.
            format!(
                "template failed{tenant_note}: {}",
                e.detail().unwrap_or("error")
            )
        };
        Diagnostic::new(Code::TemplateError, what).with_span(at)
    }

    /// Parameter values: the tenant's, else defaults; checked for name, type and presence.
    /// `origins` receives, for each secret parameter, where its value came from.
    fn context(
        &self,
        tenant: Option<&Tenant>,
        store: &dyn SecretStore,
        out: &mut Vec<Diagnostic>,
        origins: &mut BTreeMap<String, String>,
        secret_spans: &mut Vec<Span>,
    ) -> BTreeMap<String, Value> {
        let mut values: BTreeMap<String, Value> = BTreeMap::new();
        // Parameters whose tenant value was wrong: reported once, not again as missing.
        let mut failed: BTreeSet<String> = BTreeSet::new();
        let names: Vec<&str> = self.params.iter().map(|p| p.name.as_str()).collect();
        if let Some(t) = tenant {
            for (key, value) in &t.values {
                let span = Some(t.source.span(key.span()));
                let Some(param) = self.params.iter().find(|p| &p.name == key.get_ref()) else {
                    out.push(
                        Diagnostic::new(
                            Code::UnknownParam,
                            format!(
                                "{}: `{}` is not a parameter of this template",
                                t.source.name,
                                key.get_ref()
                            ),
                        )
                        .with_span(span)
                        .with_optional_help(
                            did_you_mean(key.get_ref(), names.iter().copied())
                                .or_else(|| Some(format!("parameters: {}", names.join(", ")))),
                        ),
                    );
                    continue;
                };
                let value_span = Some(t.source.span(value.span()));
                let unavailable = |why: String| {
                    Diagnostic::new(
                        Code::SecretUnavailable,
                        format!("{}: `{}` {why}", t.source.name, param.name),
                    )
                    .with_span(value_span.clone())
                };
                let resolved = match value.get_ref() {
                    toml::Value::Table(table) => match secret_reference(table) {
                        Some(reference) => resolve_secret(&reference, store),
                        None => {
                            out.push(
                                Diagnostic::new(Code::ParamType, format!("{}: `{}` is a table; give a value, {{ env = \"NAME\" }} or {{ file = \"PATH\" }}", t.source.name, param.name))
                                    .with_span(value_span),
                            );
                            failed.insert(param.name.clone());
                            continue;
                        }
                    },
                    literal => {
                        if param.secret {
                            secret_spans.extend(value_span.clone());
                        }
                        lint_literal(param, literal, &t.source.name, value_span.clone(), out);
                        Resolved::Value(
                            literal.clone(),
                            format!("`{}` in {}", param.name, t.source.name),
                        )
                    }
                };
                let (raw, origin) = match resolved {
                    Resolved::Value(raw, origin) => (param.kind.typed_text(raw), origin),
                    Resolved::Placeholder(origin) => {
                        if param.secret {
                            origins.insert(param.name.clone(), origin);
                        }
                        values.insert(param.name.clone(), Value::from(SECRET_PLACEHOLDER));
                        continue;
                    }
                    Resolved::Unavailable(why) => {
                        out.push(unavailable(why));
                        failed.insert(param.name.clone());
                        continue;
                    }
                };
                match param.kind.convert(&raw) {
                    Ok(v) => {
                        if param.secret {
                            origins.insert(param.name.clone(), origin);
                        }
                        values.insert(param.name.clone(), v);
                    }
                    Err(why) => {
                        let shown = if param.secret {
                            String::new()
                        } else {
                            format!(" ({})", show(&raw))
                        };
                        out.push(
                            Diagnostic::new(
                                Code::ParamType,
                                format!("{}: `{}`{shown}: {why}", t.source.name, param.name),
                            )
                            .with_span(value_span),
                        );
                        failed.insert(param.name.clone());
                    }
                }
            }
        }
        for param in &self.params {
            if values.contains_key(&param.name) || failed.contains(&param.name) {
                continue;
            }
            match (&param.default, param.required) {
                (Some(v), false) => {
                    if param.secret {
                        origins.insert(
                            param.name.clone(),
                            format!("the default of parameter `{}`", param.name),
                        );
                    }
                    values.insert(param.name.clone(), v.clone());
                }
                _ => {
                    let file =
                        tenant.map_or("no tenant file".to_string(), |t| t.source.name.clone());
                    out.push(
                        Diagnostic::new(
                            Code::MissingParam,
                            format!("{file}: required parameter `{}` is not set", param.name),
                        )
                        .with_span(param.declared.clone())
                        .with_help(format!("add `{} = ...` to the tenant file", param.name)),
                    );
                }
            }
        }
        values
    }
}

/// A tenant value after looking up `{ env = ... }` or `{ file = ... }`.
enum Resolved {
    /// The value and where it came from.
    Value(toml::Value, String),
    /// Not read (the store shows origins only); where it would come from.
    Placeholder(String),
    /// Why it cannot be had.
    Unavailable(String),
}

/// Reads a secret from the store. An empty value is refused: CI systems expand a missing secret
/// to an empty string, and a flow built without its passphrase fails only in production. A
/// tenant that means "no secret" writes `""`.
fn resolve_secret(reference: &SecretRef, store: &dyn SecretStore) -> Resolved {
    let origin = match reference {
        SecretRef::Env(var) => format!("environment variable {var}"),
        SecretRef::File(path) => format!("file {path}"),
    };
    if !store.reads_values() {
        return Resolved::Placeholder(origin);
    }
    let read = match reference {
        SecretRef::Env(var) => store
            .env(var)
            .ok_or_else(|| format!("comes from environment variable {var}, which is not set")),
        SecretRef::File(path) => store
            .file(path)
            .map(|v| v.trim_end_matches(['\n', '\r']).to_string())
            .map_err(|why| format!("comes from file {path}: {why}")),
    };
    match read {
        Ok(v) if v.trim().is_empty() => Resolved::Unavailable(format!(
            "comes from {origin}, which is empty or blank; write `\"\"` in the tenant file if it has no such secret"
        )),
        Ok(v) => Resolved::Value(toml::Value::String(v), origin),
        Err(why) => Resolved::Unavailable(why),
    }
}

fn show(value: &toml::Value) -> String {
    value.to_string()
}

enum SecretRef {
    Env(String),
    File(String),
}

fn secret_reference(table: &toml::Table) -> Option<SecretRef> {
    if table.len() != 1 {
        return None;
    }
    match table.iter().next()? {
        (k, toml::Value::String(v)) if k == "env" => Some(SecretRef::Env(v.clone())),
        (k, toml::Value::String(v)) if k == "file" => Some(SecretRef::File(v.clone())),
        _ => None,
    }
}

/// Secrets belong in the environment or a file, not in a tenant file that lives in git.
fn lint_literal(
    param: &Param,
    value: &toml::Value,
    file: &str,
    span: Option<Span>,
    out: &mut Vec<Diagnostic>,
) {
    let toml::Value::String(text) = value else {
        return;
    };
    let message = if param.secret && !text.is_empty() {
        format!(
            "{file}: secret parameter `{}` is written literally in the tenant file",
            param.name
        )
    } else if looks_like_webex_token(text) {
        format!(
            "{file}: `{}` looks like a Webex access token written literally",
            param.name
        )
    } else {
        return;
    };
    out.push(
        Diagnostic::new(Code::LiteralSecret, message)
            .with_span(span)
            .with_help(format!("use {} = {{ env = \"NAME\" }} or {{ file = \"PATH\" }} and keep the value out of git", param.name)),
    );
}

/// `<opaque>_<cluster>_<org UUID>`, e.g. `ZjA..._PF84_1eb65fdf-9643-417f-9974-ad72cae0e10f`.
pub fn looks_like_webex_token(text: &str) -> bool {
    let parts: Vec<&str> = text.rsplitn(3, '_').collect();
    let [uuid, cluster, opaque] = parts[..] else {
        return false;
    };
    let uuid_ok = uuid.len() == 36
        && uuid.char_indices().all(|(i, c)| {
            if [8, 13, 18, 23].contains(&i) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        });
    let cluster_ok = (3..=6).contains(&cluster.len())
        && cluster
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && cluster.chars().any(|c| c.is_ascii_digit());
    uuid_ok && cluster_ok && opaque.len() >= 8
}

fn declare(
    name: &S<String>,
    p: &ParamSpec,
    source: Option<&SourceFile>,
) -> Result<Param, Diagnostic> {
    let span = |r: std::ops::Range<usize>| source.map(|s| s.span(r));
    let Some(kind) = ParamType::parse(p.kind.get_ref()) else {
        return Err(Diagnostic::new(
            Code::InvalidParam,
            format!(
                "parameter `{}` has unknown type `{}`",
                name.get_ref(),
                p.kind.get_ref()
            ),
        )
        .with_span(span(p.kind.span()))
        .with_optional_help(
            did_you_mean(p.kind.get_ref(), ["string", "integer", "boolean", "url"])
                .or_else(|| Some("types: string, integer, boolean, url".into())),
        ));
    };
    let default = match &p.default {
        None => None,
        Some(d) => Some(kind.convert(d.get_ref()).map_err(|why| {
            Diagnostic::new(
                Code::InvalidParam,
                format!("default of parameter `{}`: {why}", name.get_ref()),
            )
            .with_span(span(d.span()))
        })?),
    };
    if p.required && p.default.is_some() {
        return Err(Diagnostic::new(
            Code::InvalidParam,
            format!(
                "parameter `{}` is required and has a default",
                name.get_ref()
            ),
        )
        .with_span(span(name.span()))
        .with_help("a required parameter has no default; drop one of them"));
    }
    if !p.required && default.is_none() {
        return Err(Diagnostic::new(
            Code::InvalidParam,
            format!(
                "parameter `{}` needs a default or `required = true`",
                name.get_ref()
            ),
        )
        .with_span(span(name.span())));
    }
    Ok(Param {
        name: name.get_ref().clone(),
        kind,
        required: p.required,
        default,
        secret: p.secret,
        declared: span(name.span()),
    })
}

/// Visits every string value that templates may fill, always in the same order, with where it
/// sits. Keys, types and wiring (`next`, `bypass`) are structure and are never rendered.
pub fn visit_strings(spec: &mut Spec, f: &mut dyn FnMut(&mut S<String>, Place)) {
    let other = |path: &str| Place::Other(path.to_string());
    f(&mut spec.flow.name, other("flow.name"));
    if let Some(s) = &mut spec.flow.description {
        f(s, other("flow.description"));
    }
    if let Some(s) = &mut spec.flow.correlation_id {
        f(s, other("flow.correlation_id"));
    }
    f(&mut spec.trigger.event, other("trigger.event"));
    f(&mut spec.trigger.sample, other("trigger.sample"));
    for (name, v) in spec.variables.iter_mut() {
        let place = Place::VariableDefault {
            name: name.get_ref().clone(),
            secret: v.secret,
        };
        if let Some(s) = &mut v.default {
            f(s, place);
        }
        for url in v.send_to.iter_mut().flatten() {
            f(
                url,
                Place::Other(format!("variables.{}.send_to", name.get_ref())),
            );
        }
        let place = Place::Other(format!("variables.{}.enabled", name.get_ref()));
        visit_switch(&mut v.enabled, place, f);
    }
    for (name, o) in spec.outcomes.iter_mut() {
        if let Some(s) = &mut o.notify_url {
            f(
                s,
                Place::Other(format!("outcomes.{}.notify_url", name.get_ref())),
            );
        }
    }
    for (key, node) in spec.nodes.iter_mut() {
        visit_node(key.get_ref(), node, f);
    }
}

fn visit_node(key: &str, n: &mut NodeSpec, f: &mut dyn FnMut(&mut S<String>, Place)) {
    let at = |field: &str| Place::Other(format!("nodes.{key}.{field}"));
    for (name, field) in [
        ("method", &mut n.method),
        ("url", &mut n.url),
        ("body", &mut n.body),
        ("proxy", &mut n.proxy),
        ("script", &mut n.script),
        ("flow", &mut n.flow),
        ("entry", &mut n.entry),
        ("node_name", &mut n.node_name),
        ("none_label", &mut n.none_label),
    ] {
        if let Some(s) = field {
            f(s, at(name));
        }
    }
    for (name, map) in [("headers", &mut n.headers), ("outputs", &mut n.outputs)] {
        for (k, v) in map.iter_mut().flatten() {
            let place = at(&format!("{name}.{}", k.get_ref()));
            f(v, place);
        }
    }
    for sample in n.samples.iter_mut().flatten() {
        f(sample, at("samples"));
    }
    for arm in n.branches.iter_mut().flatten() {
        let arm_name = arm.name.get_ref().clone();
        for c in arm.all.iter_mut().chain(arm.any.iter_mut()).flatten() {
            let place = || at(&format!("branches.{arm_name}"));
            f(&mut c.variable, place());
            if let Some(v) = &mut c.value {
                f(v, place());
            }
            if let Some(u) = &mut c.upper {
                f(u, place());
            }
        }
    }
    for (when, actions) in [("on_enter", &mut n.on_enter), ("on_leave", &mut n.on_leave)] {
        for action in actions.iter_mut().flatten() {
            for (k, v) in action.set.iter_mut() {
                let place = at(&format!("{when}.set.{}", k.get_ref()));
                f(v, place);
            }
        }
    }
    visit_switch(&mut n.enabled, at("enabled"), f);
}

/// A switch written as a template is rendered like any string.
fn visit_switch(
    switch: &mut Option<S<Switch>>,
    place: Place,
    f: &mut dyn FnMut(&mut S<String>, Place),
) {
    if let Some(switch) = switch {
        let span = switch.span();
        if let Switch::Template(text) = switch.get_mut() {
            let mut s = S::new(span, std::mem::take(text));
            f(&mut s, place);
            *text = s.get_ref().clone();
        }
    }
}

/// Whether a switch is on; `None` (reported) when a template rendered something else.
fn switch_state(
    switch: &S<Switch>,
    what: &str,
    source: Option<&SourceFile>,
    out: &mut Vec<Diagnostic>,
) -> Option<bool> {
    match switch.get_ref() {
        Switch::Fixed(b) => Some(*b),
        Switch::Template(t) => match t.trim() {
            "true" => Some(true),
            "false" => Some(false),
            other => {
                out.push(
                    Diagnostic::new(
                        Code::InvalidSwitch,
                        format!("`enabled` of {what} rendered to `{other}`, not true or false"),
                    )
                    .with_span(source.map(|s| s.span(switch.span()))),
                );
                None
            }
        },
    }
}

/// Removes switched-off variables and every assignment to them: a feature that is off takes
/// its variables with it. A reference to one left anywhere is then an undefined variable.
fn switch_variables(spec: &mut Spec, source: Option<&SourceFile>, out: &mut Vec<Diagnostic>) {
    let mut off = BTreeSet::new();
    for (name, v) in &spec.variables {
        let Some(switch) = &v.enabled else { continue };
        let what = format!("variable `{}`", name.get_ref());
        if switch_state(switch, &what, source, out) == Some(false) {
            off.insert(name.get_ref().clone());
        }
    }
    if off.is_empty() {
        return;
    }
    spec.variables.retain(|k, _| !off.contains(k.get_ref()));
    for node in spec.nodes.values_mut() {
        for actions in [&mut node.on_enter, &mut node.on_leave]
            .into_iter()
            .flatten()
        {
            for action in actions.iter_mut() {
                action.set.retain(|k, _| !off.contains(k.get_ref()));
            }
            actions.retain(|a| !a.set.is_empty());
        }
    }
}

/// Removes switched-off nodes; every edge into one goes where its `bypass` outcome leads
/// (following chains of switched-off nodes).
pub fn apply_switches(spec: &mut Spec, source: Option<&SourceFile>, out: &mut Vec<Diagnostic>) {
    switch_variables(spec, source, out);
    let span = |r: std::ops::Range<usize>| source.map(|s| s.span(r));
    let mut off: BTreeMap<String, String> = BTreeMap::new();
    for (key, node) in &spec.nodes {
        let Some(switch) = &node.enabled else {
            if let Some(b) = &node.bypass {
                out.push(
                    Diagnostic::new(
                        Code::InvalidSwitch,
                        format!("`bypass` without `enabled` on node `{}`", key.get_ref()),
                    )
                    .with_span(span(b.span())),
                );
            }
            continue;
        };
        let what = format!("node `{}`", key.get_ref());
        let Some(enabled) = switch_state(switch, &what, source, out) else {
            continue;
        };
        let Some(bypass) = &node.bypass else {
            out.push(
                Diagnostic::new(Code::InvalidSwitch, format!("node `{}` has a switch but no `bypass` outcome", key.get_ref()))
                    .with_span(span(switch.span()))
                    .with_help("name the outcome whose target replaces the node when it is off, e.g. bypass = \"onSuccess\""),
            );
            continue;
        };
        let target = node
            .next
            .as_ref()
            .and_then(|n| n.get_ref().get(bypass.get_ref().as_str()));
        let Some(target) = target else {
            out.push(
                Diagnostic::new(
                    Code::InvalidSwitch,
                    format!(
                        "bypass outcome `{}` of node `{}` is not wired in its `next`",
                        bypass.get_ref(),
                        key.get_ref()
                    ),
                )
                .with_span(span(bypass.span())),
            );
            continue;
        };
        if !enabled {
            off.insert(key.get_ref().clone(), target.get_ref().clone());
        }
    }
    if off.is_empty() {
        return;
    }
    let resolve = |start: &str| -> Option<String> {
        let mut at = start.to_string();
        for _ in 0..=off.len() {
            match off.get(&at) {
                Some(next) => at = next.clone(),
                None => return Some(at),
            }
        }
        None // a cycle of switched-off nodes
    };
    let rewire = |target: &mut S<String>, out: &mut Vec<Diagnostic>| {
        if off.contains_key(target.get_ref()) {
            match resolve(target.get_ref()) {
                Some(t) => *target.get_mut() = t,
                None => out.push(
                    Diagnostic::new(
                        Code::InvalidSwitch,
                        format!(
                            "switched-off nodes bypass each other in a loop starting at `{}`",
                            target.get_ref()
                        ),
                    )
                    .with_span(span(target.span())),
                ),
            }
        }
    };
    rewire(&mut spec.trigger.next, out);
    spec.nodes.retain(|k, _| !off.contains_key(k.get_ref()));
    for node in spec.nodes.values_mut() {
        if let Some(next) = &mut node.next {
            for target in next.get_mut().values_mut() {
                rewire(target, out);
            }
        }
    }
}
