//! Template parameters: their declarations, and the values a tenant file gives them, from the
//! file itself, the environment or a secret file.

use super::sources::{self, SecretFileError};
use super::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ParamType {
    String,
    Integer,
    Boolean,
    Url,
}

impl ParamType {
    pub(super) fn parse(text: &str) -> Option<ParamType> {
        Some(match text {
            "string" => ParamType::String,
            "integer" => ParamType::Integer,
            "boolean" => ParamType::Boolean,
            "url" => ParamType::Url,
            _ => return None,
        })
    }

    pub(super) fn name(self) -> &'static str {
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
    pub(super) fn typed_text(self, value: toml::Value) -> toml::Value {
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
    pub(super) fn convert(self, value: &toml::Value) -> Result<Value, Mismatch> {
        match (self, value) {
            (ParamType::String, toml::Value::String(s)) => Ok(Value::from(s.as_str())),
            (ParamType::Url, toml::Value::String(s)) => {
                if s.is_empty() || s.starts_with("https://") || s.starts_with("http://") {
                    Ok(Value::from(s.as_str()))
                } else {
                    Err(Mismatch::NotAUrl)
                }
            }
            (ParamType::Integer, toml::Value::Integer(i)) => Ok(Value::from(*i)),
            (ParamType::Boolean, toml::Value::Boolean(b)) => Ok(Value::from(*b)),
            (expected, found) => Err(Mismatch::Type {
                expected,
                found: found.type_str(),
            }),
        }
    }
}

/// Why a value does not fit its parameter's type.
#[derive(Debug)]
pub(super) enum Mismatch {
    /// A `url` parameter's value that is neither empty nor an http(s) URL.
    NotAUrl,
    Type {
        expected: ParamType,
        found: &'static str,
    },
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mismatch::NotAUrl => f.write_str("a url starts with http:// or https:// (or is empty)"),
            Mismatch::Type { expected, found } => {
                write!(f, "expected {}, found {found}", expected.name())
            }
        }
    }
}

/// Whether a template parameter's default is secret by its place, as `textconv` and `diff` of
/// the template show it: a secret parameter's (but an empty one: that it is empty is no
/// secret), and a string default that types a URL credential in clear (a password, a
/// credential query parameter's value): a variable whose default it becomes is secret so,
/// and the document built with it is private.
pub(crate) fn default_is_secret(param: &ParamSpec) -> bool {
    let Some(default) = &param.default else {
        return false;
    };
    match default.get_ref() {
        toml::Value::String(s) if s.is_empty() => false,
        toml::Value::String(s) => {
            param.secret
                || !crate::secret::names::url_credentials(
                    s,
                    crate::secret::names::CONNECT_REFERENCES,
                )
                .is_empty()
        }
        _ => param.secret,
    }
}

/// What a tenant's diagnostic says of its related place, the parameter's declaration.
const DECLARED: &str = "the template declares the parameter";

pub(super) struct Param {
    pub(super) name: String,
    pub(super) kind: ParamType,
    pub(super) required: bool,
    pub(super) default: Option<Value>,
    pub(super) secret: bool,
    pub(super) declared: Option<Span>,
    /// Where the template types a secret as this parameter's default ([`default_is_secret`]):
    /// hidden in quoted lines, and the document built from the template is private whatever
    /// the tenant gives (its provenance holds the template's digest).
    pub(super) secret_default: Option<Span>,
}

impl Param {
    /// Whether `value`, this parameter's, is a text that is a URL carrying a credential typed
    /// in clear (user information, a credential parameter's value): secret by its place in the
    /// URL, so it may go only where the URL is read whole. A secret parameter's value is secret
    /// whole instead, and follows that rule.
    pub(super) fn carries_credential(&self, value: &Value) -> bool {
        use crate::secret::names::{text_carries_url_credential, CONNECT_REFERENCES};
        !self.secret
            && matches!(self.kind, ParamType::String | ParamType::Url)
            && value
                .as_str()
                .is_some_and(|text| text_carries_url_credential(text, CONNECT_REFERENCES))
    }

    /// Whether `value` carries a credential URL ([`Param::carries_credential`]) that does not
    /// begin it (`see https://u:pw@h`): no reader takes the value as that URL, so it may go
    /// only into a secret variable's default.
    pub(super) fn carries_credential_further_in(&self, value: &Value) -> bool {
        use crate::secret::names::{url_credentials, CONNECT_REFERENCES};
        self.carries_credential(value)
            && value
                .as_str()
                .is_some_and(|text| url_credentials(text, CONNECT_REFERENCES).is_empty())
    }
}

/// Every key and value a tenant file writes inside each top-level table or list, by the
/// top-level key (`api_key.value = "..."`, `[api_key]` and the lines below it): its span alone
/// may be only the key's, and whatever it holds may be a secret given in the wrong shape.
fn nested_places(text: &str) -> BTreeMap<String, Vec<std::ops::Range<usize>>> {
    use toml::de::{DeTable, DeValue};
    fn walk(value: &DeValue, out: &mut Vec<std::ops::Range<usize>>) {
        match value {
            DeValue::Table(table) => {
                for (key, inner) in table.iter() {
                    out.push(key.span());
                    out.push(inner.span());
                    walk(inner.get_ref(), out);
                }
            }
            DeValue::Array(items) => {
                for item in items.iter() {
                    out.push(item.span());
                    walk(item.get_ref(), out);
                }
            }
            _ => {}
        }
    }
    let Ok(root) = DeTable::parse(text) else {
        return BTreeMap::new();
    };
    (root.get_ref().iter())
        .map(|(key, value)| {
            let mut places = Vec::new();
            walk(value.get_ref(), &mut places);
            (key.get_ref().to_string(), places)
        })
        .collect()
}

impl Renderer<'_> {
    /// Parameter values: the tenant's, else defaults; checked for name, type and presence.
    /// `origins` receives, for each secret parameter, where its value came from.
    pub(super) fn context(
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
        secret_spans.extend(self.params.iter().filter_map(|p| p.secret_default.clone()));
        if let Some(t) = tenant {
            // What a table or list value holds, by its key: read once, when first needed.
            let mut nested: Option<BTreeMap<String, Vec<std::ops::Range<usize>>>> = None;
            let mut hide_value = |key: &str, value: &toml::Spanned<toml::Value>| {
                let mut spans = vec![t.source.span(value.span())];
                if matches!(
                    value.get_ref(),
                    toml::Value::Table(_) | toml::Value::Array(_)
                ) {
                    let inside = nested.get_or_insert_with(|| nested_places(&t.source.text));
                    let places = inside.get(key).into_iter().flatten();
                    spans.extend(places.map(|at| t.source.span(at.clone())));
                }
                spans
            };
            for (key, value) in &t.values {
                let span = Some(t.source.span(key.span()));
                let Some(param) = self.params.iter().find(|p| &p.name == key.get_ref()) else {
                    // Not used, and possibly a secret typed under a misspelt name: not shown.
                    secret_spans.extend(hide_value(key.get_ref(), value));
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
                let unavailable = |code: Code, why: String, help: Option<&str>| {
                    Diagnostic::new(code, format!("{}: `{}` {why}", t.source.name, param.name))
                        .with_span(value_span.clone())
                        .with_optional_help(help.map(str::to_string))
                        .with_related(param.declared.clone(), DECLARED)
                };
                // A value read from the environment or a file may be a secret given under
                // the wrong key: never quoted, whatever its parameter (its origin says so).
                let read_from_store = matches!(value.get_ref(), toml::Value::Table(_));
                let resolved = match value.get_ref() {
                    toml::Value::Table(table) => match secret_reference(table) {
                        Some(reference) => resolve_secret(&reference, store),
                        None => {
                            // Whatever it holds may be a secret, written in the wrong shape or
                            // under the wrong key (a URL, its credentials, a token): hidden, as
                            // a value of the wrong type is, and all it holds.
                            secret_spans.extend(hide_value(key.get_ref(), value));
                            out.push(
                                Diagnostic::new(Code::ParamType, format!("{}: `{}` is a table; give a value, {{ env = \"NAME\" }} or {{ file = \"PATH\" }}", t.source.name, param.name))
                                    .with_span(value_span)
                                    .with_related(param.declared.clone(), DECLARED),
                            );
                            failed.insert(param.name.clone());
                            continue;
                        }
                    },
                    literal => {
                        // A value that looks like an access token is warned about, never quoted.
                        let token =
                            matches!(literal, toml::Value::String(t) if looks_like_webex_token(t));
                        if param.secret || token {
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
                    Resolved::Unavailable(code, why, help) => {
                        out.push(unavailable(code, why, help));
                        failed.insert(param.name.clone());
                        continue;
                    }
                };
                match param.kind.convert(&raw) {
                    Ok(v) => {
                        if param.secret {
                            origins.insert(param.name.clone(), origin);
                        }
                        // A URL carrying a credential is secret by its place: a quoted line
                        // of the tenant file (a diagnostic at the key) shows none of it.
                        if param.carries_credential(&v) {
                            secret_spans.extend(value_span.clone());
                        }
                        values.insert(param.name.clone(), v);
                    }
                    Err(why) => {
                        // A url parameter's value may carry credentials (a password, an
                        // `?apikey=`): quoted with them masked, never whole, and hidden in
                        // quoted lines (its place, so the length of nothing in it shows).
                        // A value of the wrong type may be a secret typed under the wrong key
                        // (a token pasted into `retries`, alone or in a list), and one read
                        // from the environment or a file may be one: not quoted, and hidden in
                        // quoted lines; its type says what is wrong.
                        let shown = match (&raw, param.kind) {
                            _ if param.secret || read_from_store => String::new(),
                            (toml::Value::String(url), ParamType::Url) => {
                                format!(" (URL `{}`)", crate::secret::names::url_in_message(url))
                            }
                            _ => String::new(),
                        };
                        secret_spans.extend(hide_value(key.get_ref(), value));
                        out.push(
                            Diagnostic::new(
                                Code::ParamType,
                                format!("{}: `{}`{shown}: {why}", t.source.name, param.name),
                            )
                            .with_span(value_span)
                            .with_related(param.declared.clone(), DECLARED),
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
                    let d = Diagnostic::new(
                        Code::MissingParam,
                        format!("{file}: required parameter `{}` is not set", param.name),
                    )
                    .with_help(format!("add `{} = ...` to the tenant file", param.name));
                    // The tenant's problem is in the tenant file (at its start: there is no key
                    // to point at); the template's declaration is where it comes from.
                    out.push(match tenant {
                        Some(t) => d
                            .with_span(Some(t.source.span(0..0)))
                            .with_related(param.declared.clone(), DECLARED),
                        None => d.with_span(param.declared.clone()),
                    });
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
    /// Why it cannot be had, the code that says so, and what to do about it.
    Unavailable(Code, String, Option<&'static str>),
}

/// Reads a secret from the store, and applies the one rule of secret values whatever their
/// source ([`sources::clean_secret_value`]): one trailing newline is removed; a byte order mark,
/// NUL or other control character is refused, naming the source and the rule, never the value
/// (not even which character, or where). An empty value is refused: CI systems expand a missing
/// secret to an empty string, and a flow built without its passphrase fails only in production.
/// A tenant that means "no secret" writes `""`.
fn resolve_secret(reference: &SecretRef, store: &dyn SecretStore) -> Resolved {
    let origin = match reference {
        SecretRef::Env(var) => format!("environment variable {var}"),
        SecretRef::File(path) => format!("file {path}"),
    };
    if !store.reads_values() {
        return Resolved::Placeholder(origin);
    }
    let read = match reference {
        SecretRef::Env(var) => store.env(var).ok_or_else(|| {
            let why = if store.env_is_set(var) {
                "which is set but not UTF-8 text"
            } else {
                "which is not set"
            };
            (
                Code::SecretUnavailable,
                format!("comes from environment variable {var}, {why}"),
                None,
            )
        }),
        SecretRef::File(path) => store.file(path).map_err(|e| match e {
            SecretFileError::NotAllowed(rule) => (
                Code::SecretFileNotAllowed,
                format!("comes from file {path}: {}", rule.describe()),
                rule.help(),
            ),
            SecretFileError::Unreadable(why) => (
                Code::SecretUnavailable,
                format!("comes from file {path}: {why}"),
                None,
            ),
        }),
    };
    match read.map(|raw| sources::clean_secret_value(&raw)) {
        Ok(Ok(v)) => Resolved::Value(toml::Value::String(v), origin),
        Ok(Err(sources::ValueProblem::Blank)) => Resolved::Unavailable(
            Code::SecretUnavailable,
            format!("comes from {origin}, which is empty or blank; write `\"\"` in the tenant file if it has no such secret"),
            None,
        ),
        Ok(Err(sources::ValueProblem::ControlCharacter)) => Resolved::Unavailable(
            Code::SecretValueInvalid,
            format!("comes from {origin}, whose value holds a byte order mark, NUL or other control character (tab and newline included; only one trailing newline is removed)"),
            None,
        ),
        Err((code, why, help)) => Resolved::Unavailable(code, why, help),
    }
}

pub(super) enum SecretRef {
    Env(String),
    File(String),
}

pub(super) fn secret_reference(table: &toml::Table) -> Option<SecretRef> {
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
            .with_related(param.declared.clone(), DECLARED)
            .with_help(format!("use {} = {{ env = \"NAME\" }} or {{ file = \"PATH\" }} and keep the value out of git", param.name)),
    );
}

/// `<opaque>_<cluster>_<org UUID>`, e.g. `ZjA..._PF84_1eb65fdf-9643-417f-9974-ad72cae0e10f`.
pub(crate) fn looks_like_webex_token(text: &str) -> bool {
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

pub(super) fn declare(
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
        secret_default: (p.default.as_ref())
            .filter(|_| default_is_secret(p))
            .and_then(|d| span(d.span())),
    })
}
