//! What a reviewer of a Flow Designer flow should know: credentials typed in clear, HTTP
//! activities whose failure nothing tests, activities nothing reaches, links from ports the
//! activity does not have. Messages name places, never credential values.

use super::locate::{locate, Step};
use super::model::*;
use super::secrets::{credentials, secret_variables};
use crate::diagnostic::{Code, Diagnostic, SourceFile, Span};
use crate::flow::walk::breadth_first;
use std::collections::BTreeSet;

/// Every diagnostic for a flow; `source` is the file it was read from (an export or a spec), for
/// locations.
pub fn lint(flow: &FdFlow, source: Option<&SourceFile>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let place = Place { source };
    for v in &flow.variables {
        if is_credential_name(&v.name) && !v.is_secure && v.has_value() {
            let at = flow
                .variables
                .iter()
                .position(|x| x.name == v.name)
                .unwrap_or(0);
            out.push(
                Diagnostic::new(
                    Code::CleartextCredential,
                    format!("variable `{}` holds a credential typed in clear and is not marked secure", v.name),
                )
                .with_span(place.variable(at, &v.name))
                .with_help("mark it secure (isSecure) and leave its value empty: give the value where the flow is configured, not in the flow"),
            );
        }
    }
    for (scope, process) in processes(flow) {
        lint_process(flow, &scope, process, &place, &mut out);
    }
    // In file order; the sort is stable, so unlocated ones keep the order found.
    out.sort_by_key(|d| {
        d.span
            .as_ref()
            .map_or((usize::MAX, 0), |s| (s.line, s.column))
    });
    out
}

/// The main process and each event flow's, with the scope name used in places.
pub fn processes(flow: &FdFlow) -> Vec<(Scope, &Process)> {
    let mut all = vec![(Scope::Main, &flow.process)];
    all.extend(
        flow.event_flows
            .iter()
            .map(|e| (Scope::Event(e.key.clone()), &e.process)),
    );
    all
}

/// Which process of a flow.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    /// The flow's main process.
    Main,
    /// An event flow's process, by its key in `eventsMap` (`GLOBAL_EVENTS`).
    Event(String),
}

/// The words of a name: split at non-alphanumerics and camelCase humps, lowercased
/// (`JDSToken` -> jds, token; `x-token-passphrase` -> x, token, passphrase).
fn words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut words = Vec::new();
    let mut word = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            continue;
        }
        let hump = c.is_ascii_uppercase()
            && i > 0
            && (chars[i - 1].is_ascii_lowercase()
                || (chars[i - 1].is_ascii_uppercase()
                    && chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase())));
        if hump && !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
        word.push(c.to_ascii_lowercase());
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// Whether a variable or parameter name says it carries a credential: its last word is one
/// (`botToken`, `x-token-passphrase`; not `TokenSource`).
pub fn is_credential_name(name: &str) -> bool {
    const LAST: [&str; 9] = [
        "token",
        "passphrase",
        "password",
        "passwd",
        "secret",
        "apikey",
        "credential",
        "credentials",
        "authorization",
    ];
    let w = words(name);
    w.last().is_some_and(|last| LAST.contains(&last.as_str()))
        || w.windows(2)
            .last()
            .is_some_and(|p| p[0] == "api" && p[1] == "key")
}

/// A header name that carries a credential: a credential name, or a key (`key`, `x-api-key`).
pub fn is_credential_header(name: &str) -> bool {
    is_credential_name(name) || words(name).last().is_some_and(|w| w == "key")
}

/// Variable names read in `{{ ... }}` templates of a value (`{{Token}}`, `{{ a.b|upper }}` gives
/// `a`).
pub fn template_names(value: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = value;
    while let Some(open) = rest.find("{{") {
        let inner = &rest[open + 2..];
        let Some(close) = inner.find("}}") else { break };
        let head: String = inner[..close]
            .trim()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !head.is_empty() {
            names.push(head);
        }
        rest = &inner[close + 2..];
    }
    names
}

fn lint_process(
    flow: &FdFlow,
    scope: &Scope,
    process: &Process,
    place: &Place,
    out: &mut Vec<Diagnostic>,
) {
    let secret_variables = secret_variables(flow);
    for a in &process.activities {
        for found in credentials(a, &secret_variables) {
            out.push(
                Diagnostic::new(Code::CleartextCredential, format!("{} of `{}` holds a credential typed in clear", found.place, a.name))
                    .with_span(place.setting(scope, a, &found.setting))
                    .with_help("keep it in a variable marked secure (isSecure), given where the flow is configured, and write {{thatVariable}} here"),
            );
        }
        if let Some(http) = a.http() {
            for (name, value) in http.headers() {
                if !is_credential_header(name) {
                    continue;
                }
                for var in template_names(value) {
                    if flow.variables.iter().any(|v| v.name == var && !v.is_secure) {
                        out.push(
                            Diagnostic::new(Code::CleartextCredential, format!("header `{name}` of `{}` sends variable `{var}`, which is not marked secure", a.name))
                                .with_span(place.setting(scope, a, &["httpRequestHeaders".to_string(), name.to_string()]))
                                .with_help(format!("mark `{var}` secure (isSecure) so that its value stays out of the editor and logs")),
                        );
                    }
                }
            }
            let tested = process.links_from(&a.name).any(|l| l.port == "error")
                || process.activities.iter().any(|b| {
                    matches!(b.kind(), Kind::Condition | Kind::Case)
                        && b.text("expression")
                            .is_some_and(|e| e.contains(&format!("{}.httpStatusCode", a.name)))
                });
            if !tested {
                out.push(
                    Diagnostic::new(Code::HttpWithoutErrorPath, format!("HTTP activity `{}` has no error path: nothing tests `{}.httpStatusCode`", a.name, a.name))
                        .with_span(place.activity(scope, a))
                        .with_help(format!("a failed request goes on as if it had answered; add a condition after it, e.g. {{{{ {}.httpStatusCode == 200 }}}}, and route its false path", a.name)),
                );
            }
        }
    }
    let entries = process
        .activities
        .iter()
        .filter(|a| a.kind().is_entry())
        .map(|a| a.name.as_str());
    let reached: BTreeSet<&str> = breadth_first(entries, |name| {
        process.links_from(name).map(|l| l.target.as_str())
    })
    .map(|step| step.node)
    .collect();
    for a in &process.activities {
        if !reached.contains(a.name.as_str()) {
            out.push(
                Diagnostic::new(
                    Code::UnreachableActivity,
                    format!(
                        "no path from a start or event activity reaches `{}`",
                        a.name
                    ),
                )
                .with_span(place.activity(scope, a))
                .with_help("link it from the activity that should run before it, or delete it"),
            );
        }
    }
    for link in &process.links {
        let Some(a) = process.activity(&link.source) else {
            continue;
        };
        let widget = a.ports.as_ref().filter(|p| !p.contains(&link.port));
        let kind = known_ports(a.kind(), &a.settings).filter(|p| !p.contains(&link.port));
        if let Some(ports) = kind.or(widget.cloned()) {
            out.push(
                Diagnostic::new(
                    Code::UnknownPort,
                    format!(
                        "a link leaves `{}` ({}) from port `{}`, which it does not have",
                        a.name,
                        a.type_name(),
                        link.port
                    ),
                )
                .with_span(place.link(scope, link).or_else(|| place.activity(scope, a)))
                .with_help(if ports.is_empty() {
                    "it has no output ports".to_string()
                } else {
                    format!("its ports: {}", ports.join(", "))
                }),
            );
        }
    }
}

/// Locates places in the file a flow was read from.
struct Place<'a> {
    source: Option<&'a SourceFile>,
}

impl Place<'_> {
    fn export_path(scope: &Scope) -> Vec<Step> {
        match scope {
            Scope::Main => vec!["process".into()],
            Scope::Event(key) => vec![
                "eventFlows".into(),
                "eventsMap".into(),
                key.into(),
                "process".into(),
            ],
        }
    }

    fn is_json(&self) -> bool {
        self.source
            .is_some_and(|s| s.text.trim_start().starts_with('{'))
    }

    fn json(&self, path: &[Step]) -> Option<Span> {
        let source = self.source?;
        locate(&source.text, path, true).map(|r| source.span(r))
    }

    /// In a spec: the table header of `[table.key]`.
    fn table(&self, table: &str, key: &str) -> Option<Span> {
        let source = self.source?;
        let quoted = toml::Value::String(key.to_string()).to_string();
        [format!("[{table}.{key}]"), format!("[{table}.{quoted}]")]
            .iter()
            .find_map(|header| {
                let at = source.text.find(header.as_str())?;
                Some(source.span(at..at + header.len()))
            })
    }

    fn spec_table(scope: &Scope) -> String {
        match scope {
            Scope::Main => "activities".into(),
            Scope::Event(key) => format!("event_flows.{key}.activities"),
        }
    }

    fn activity(&self, scope: &Scope, a: &Activity) -> Option<Span> {
        if self.is_json() {
            let mut path = Self::export_path(scope);
            path.extend(["activities".into(), Step::Key(a.origin.clone()?)]);
            self.json(&path)
        } else {
            self.table(&Self::spec_table(scope), &a.name)
        }
    }

    /// A setting of an activity (`["httpRequestHeaders", "x-key"]`), else the activity.
    fn setting(&self, scope: &Scope, a: &Activity, setting: &[String]) -> Option<Span> {
        let found = if self.is_json() {
            let mut path = Self::export_path(scope);
            path.extend([
                "activities".into(),
                Step::Key(a.origin.clone()?),
                "properties".into(),
            ]);
            path.extend(setting.iter().map(|k| Step::Key(k.clone())));
            self.json(&path)
        } else {
            self.spec_setting(scope, a, setting.first()?)
        };
        found.or_else(|| self.activity(scope, a))
    }

    /// In a spec: the line of a setting under `[...activities.NAME.settings]`.
    fn spec_setting(&self, scope: &Scope, a: &Activity, setting: &str) -> Option<Span> {
        let source = self.source?;
        let table = format!(
            "{}.{}",
            Self::spec_table(scope),
            crate::tools::decompile::key(&a.name)
        );
        let header = self.table(&table, "settings")?;
        let key = crate::tools::decompile::key(setting);
        let mut at = header.bytes.end;
        for line in source.text[at..].split_inclusive('\n') {
            if line.starts_with('[') && at > header.bytes.end + 1 {
                break;
            }
            if line.starts_with(&format!("{key} =")) {
                return Some(source.span(at..at + line.trim_end().len()));
            }
            at += line.len();
        }
        None
    }

    fn link(&self, scope: &Scope, link: &Link) -> Option<Span> {
        if !self.is_json() {
            return None;
        }
        let mut path = Self::export_path(scope);
        path.extend([
            "links".into(),
            Step::Index(link.origin.as_deref()?.parse().ok()?),
            "conditionExpr".into(),
        ]);
        self.json(&path)
    }

    fn variable(&self, index: usize, name: &str) -> Option<Span> {
        if self.is_json() {
            self.json(&[
                Step::Key("variables".into()),
                Step::Index(index),
                Step::Key("value".into()),
            ])
        } else {
            self.table("variables", name)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_names_are_told_by_their_last_word() {
        for yes in [
            "botToken",
            "JDSToken",
            "x-token-passphrase",
            "Authorization",
            "db_password",
            "x-api-key",
            "clientSecret",
        ] {
            assert!(is_credential_name(yes), "{yes}");
        }
        for no in [
            "TokenSource",
            "TokenStatus",
            "tokenUrl",
            "hostKey",
            "x-email-address",
            "Content-Type",
        ] {
            assert!(!is_credential_name(no), "{no}");
        }
        assert!(
            is_credential_header("key")
                && is_credential_header("X-Key")
                && !is_credential_header("keyboard")
        );
    }

    #[test]
    fn template_names_are_the_heads_of_templates() {
        assert_eq!(
            template_names("Bearer {{ Token | trim }} {{a.b}}"),
            vec!["Token", "a"]
        );
    }
}
