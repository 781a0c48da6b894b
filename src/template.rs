//! Templates and tenants: one spec serves many tenants.
//!
//! A spec declares `[params]`; its string values may hold minijinja expressions (`{{ debug_url }}`).
//! Rendering happens inside the string values of the parsed spec, never on its text, so a tenant
//! value with quotes, newlines or `{{` ends up verbatim inside one string and cannot change the
//! flow's structure. Node switches (`enabled` / `bypass`) are the one declared way structure varies.

use crate::diagnostic::{did_you_mean, Code, Diagnostic, SourceFile, Span};
use crate::spec::model::{NodeSpec, ParamSpec, Spec, Switch, S};
use minijinja::{Environment, UndefinedBehavior, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Template instructions one string may spend; a runaway loop stops with an error instead.
pub const FUEL: u64 = 50_000;

/// What a secret's value is shown as.
pub const SECRET_MASK: &str = "•••";

/// Where secrets come from: the environment and files. The CLI implements it; tests fake it.
pub trait SecretStore: Sync {
    fn env(&self, name: &str) -> Option<String>;
    /// Reads a secret file named in a tenant file (relative to that file's folder).
    fn file(&self, path: &str) -> Result<String, String>;
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
    /// Index (in visiting order) of each string that holds a template.
    templated: BTreeSet<usize>,
}

/// The result of rendering for one tenant.
pub struct Rendered {
    /// The spec with values filled in and switched-off nodes removed; `None` on errors.
    pub spec: Option<Spec>,
    pub diagnostics: Vec<Diagnostic>,
    /// Secret values given by the tenant, so that callers can keep them out of every output.
    pub secrets: Vec<Secret>,
}

/// A secret value a tenant brought in, and where it came from (for placeholders).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Secret {
    pub value: String,
    /// E.g. `environment variable ACME_TOKEN_PASSPHRASE` or `file secrets/acme`.
    pub origin: String,
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
        let mut templated = BTreeSet::new();
        let mut scratch = spec.clone();
        let mut index = 0;
        visit_strings(&mut scratch, &mut |s| {
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
                    templated.insert(index);
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

    /// Renders for one tenant (or with defaults alone when `tenant` is `None`).
    // `expect` below: Every index in `templated` was added to the environment in `new`.
    #[allow(clippy::expect_used)]
    pub fn render(&self, tenant: Option<&Tenant>, store: &dyn SecretStore) -> Rendered {
        let _budget = crate::render_limits::RenderBudget::start();
        let mut diagnostics = Vec::new();
        let mut secrets = Vec::new();
        let context = self.context(tenant, store, &mut diagnostics, &mut secrets);
        if diagnostics.iter().any(Diagnostic::is_error) {
            return Rendered {
                spec: None,
                diagnostics,
                secrets,
            };
        }
        let names: Vec<&str> = self.params.iter().map(|p| p.name.as_str()).collect();
        let tenant_note = tenant.map_or(String::new(), |t| format!(" (tenant {})", t.source.name));
        let mut spec = self.spec.clone();
        let mut index = 0;
        visit_strings(&mut spec, &mut |s| {
            if self.templated.contains(&index) {
                let template = self
                    .env
                    .get_template(&index.to_string())
                    .expect("compiled in new()");
                match crate::render_limits::render(&template, &context) {
                    Ok(text) => *s.get_mut() = text,
                    Err(e) => diagnostics.push(self.render_error(&e, s, &names, &tenant_note)),
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
            secrets,
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
        if e.kind() == minijinja::ErrorKind::UndefinedError {
            let name = e
                .range()
                .and_then(|r| s.get_ref().get(r))
                .map(|t| t.trim().to_string())
                .unwrap_or_default();
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
            format!(
                "template failed{tenant_note}: {}",
                e.detail().unwrap_or("error")
            )
        };
        Diagnostic::new(Code::TemplateError, what).with_span(at)
    }

    /// Parameter values: the tenant's, else defaults; checked for name, type and presence.
    fn context(
        &self,
        tenant: Option<&Tenant>,
        store: &dyn SecretStore,
        out: &mut Vec<Diagnostic>,
        secrets: &mut Vec<Secret>,
    ) -> Value {
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
                let (raw, origin) = match value.get_ref() {
                    toml::Value::Table(table) => match secret_reference(table) {
                        Some(SecretRef::Env(var)) => match store.env(&var) {
                            Some(v) => (
                                toml::Value::String(v),
                                format!("environment variable {var}"),
                            ),
                            None => {
                                out.push(
                                    Diagnostic::new(Code::SecretUnavailable, format!("{}: `{}` comes from environment variable {var}, which is not set", t.source.name, param.name))
                                        .with_span(value_span),
                                );
                                failed.insert(param.name.clone());
                                continue;
                            }
                        },
                        Some(SecretRef::File(path)) => match store.file(&path) {
                            Ok(v) => (
                                toml::Value::String(v.trim_end_matches(['\n', '\r']).to_string()),
                                format!("file {path}"),
                            ),
                            Err(why) => {
                                out.push(
                                    Diagnostic::new(
                                        Code::SecretUnavailable,
                                        format!(
                                            "{}: `{}` comes from file {path}: {why}",
                                            t.source.name, param.name
                                        ),
                                    )
                                    .with_span(value_span),
                                );
                                failed.insert(param.name.clone());
                                continue;
                            }
                        },
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
                        lint_literal(param, literal, &t.source.name, value_span.clone(), out);
                        (
                            literal.clone(),
                            format!("`{}` in {}", param.name, t.source.name),
                        )
                    }
                };
                match param.kind.convert(&raw) {
                    Ok(v) => {
                        if param.secret {
                            if let toml::Value::String(s) = &raw {
                                if !s.is_empty() {
                                    secrets.push(Secret {
                                        value: s.clone(),
                                        origin,
                                    });
                                }
                            }
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
        Value::from(values)
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

/// Visits every string value that templates may fill, always in the same order. Keys, types
/// and wiring (`next`, `bypass`) are structure and are never rendered.
pub fn visit_strings(spec: &mut Spec, f: &mut dyn FnMut(&mut S<String>)) {
    f(&mut spec.flow.name);
    spec.flow.description.iter_mut().for_each(&mut *f);
    spec.flow.correlation_id.iter_mut().for_each(&mut *f);
    f(&mut spec.trigger.event);
    f(&mut spec.trigger.sample);
    for v in spec.variables.values_mut() {
        v.default.iter_mut().for_each(&mut *f);
    }
    for o in spec.outcomes.values_mut() {
        o.notify_url.iter_mut().for_each(&mut *f);
    }
    for node in spec.nodes.values_mut() {
        visit_node(node, f);
    }
}

fn visit_node(n: &mut NodeSpec, f: &mut dyn FnMut(&mut S<String>)) {
    for field in [
        &mut n.method,
        &mut n.url,
        &mut n.body,
        &mut n.proxy,
        &mut n.script,
        &mut n.flow,
        &mut n.entry,
        &mut n.none_label,
    ] {
        field.iter_mut().for_each(&mut *f);
    }
    for map in [&mut n.headers, &mut n.outputs].into_iter().flatten() {
        map.values_mut().for_each(&mut *f);
    }
    for arm in n.branches.iter_mut().flatten() {
        for c in arm.all.iter_mut().chain(arm.any.iter_mut()).flatten() {
            f(&mut c.variable);
            c.value.iter_mut().for_each(&mut *f);
            c.upper.iter_mut().for_each(&mut *f);
        }
    }
    for action in n.on_enter.iter_mut().chain(n.on_leave.iter_mut()).flatten() {
        action.set.values_mut().for_each(&mut *f);
    }
    if let Some(switch) = &mut n.enabled {
        let span = switch.span();
        if let Switch::Template(text) = switch.get_mut() {
            let mut s = S::new(span, std::mem::take(text));
            f(&mut s);
            *text = s.get_ref().clone();
        }
    }
}

/// Removes switched-off nodes; every edge into one goes where its `bypass` outcome leads
/// (following chains of switched-off nodes).
pub fn apply_switches(spec: &mut Spec, source: Option<&SourceFile>, out: &mut Vec<Diagnostic>) {
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
        let enabled = match switch.get_ref() {
            Switch::Fixed(b) => *b,
            Switch::Template(t) => {
                match t.trim() {
                    "true" => true,
                    "false" => false,
                    other => {
                        out.push(
                        Diagnostic::new(Code::InvalidSwitch, format!("`enabled` of node `{}` rendered to `{other}`, not true or false", key.get_ref()))
                            .with_span(span(switch.span())),
                    );
                        continue;
                    }
                }
            }
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
