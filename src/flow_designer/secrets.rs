//! Which values of a Flow Designer flow are secret, decided by where they sit in the model and
//! never by their text: a variable marked secure (or named as a credential) holds a secret
//! value; so does a setting that carries a credential typed in clear (a credential header, query
//! parameter or URL parameter, a URL's user information) and the value a set-variable types
//! into a secret variable; so does a variable whose value is a URL with such a credential. Printers take values from here as [`Text`] and show the secret ones as
//! [`crate::secret::MASK`], whole; [`super::quote`] hides the same places in quoted source lines.

use super::model::*;
use super::model::{processes, Scope};
pub(crate) use crate::secret::names::{is_credential_header, is_credential_name, sensitive_name};
use crate::secret::names::{is_secret_name, PEBBLE_BLOCKS};
use crate::secret::Text;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// The secret places of one flow.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Secrets {
    /// Variables whose value is secret, by name.
    variables: BTreeSet<String>,
    /// (scope, activity name) -> the settings that hold a secret, as paths into the activity's
    /// settings (`["httpRequestHeaders", "x-api-key"]`, `["httpRequestUrl"]`).
    settings: BTreeMap<(Scope, String), Vec<Vec<String>>>,
}

/// One place where an activity carries a credential typed in clear.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Credential {
    /// The place as a reviewer reads it: ``header `x-api-key` ``.
    pub place: String,
    /// The setting that holds it, as a path into the activity's settings.
    pub setting: Vec<String>,
}

impl Secrets {
    /// The secret places of a flow.
    pub fn of(flow: &FdFlow) -> Secrets {
        // A variable whose value, or a value a set-variable types into it, a request's URL
        // sends as its credential holds a secret as a secure one does.
        let sent_as_credentials = url_credential_values(flow);
        let mut holders = secret_variables(flow);
        holders.extend(sent_as_credentials.iter().cloned());
        let mut secrets = Secrets {
            variables: flow
                .variables
                .iter()
                .filter(|v| {
                    (holders.contains(&v.name) && v.has_value())
                        || value_types_url_credential(v)
                        || sent_as_credentials.contains(&v.name)
                })
                .map(|v| v.name.clone())
                .collect(),
            settings: BTreeMap::new(),
        };
        for (scope, process) in processes(flow) {
            for a in &process.activities {
                let mut found: Vec<Vec<String>> = credentials(a, &holders)
                    .into_iter()
                    .map(|c| c.setting)
                    .collect();
                found.extend(unmodelled_places(a));
                // The type typed as a URL with a credential: a place of its own.
                for (key, text) in [
                    ("activityName", &a.activity_name),
                    ("activityId", &a.activity_id),
                ] {
                    if text
                        .as_deref()
                        .is_some_and(super::model::types_url_credential)
                    {
                        found.push(vec![key.into()]);
                    }
                }
                if !found.is_empty() {
                    secrets
                        .settings
                        .insert((scope.clone(), a.name.clone()), found);
                }
            }
        }
        secrets
    }

    /// Whether the flow holds any secret value, so that a file holding it must be private.
    pub fn any(&self) -> bool {
        !self.variables.is_empty() || !self.settings.is_empty()
    }

    /// Whether a variable's value is secret.
    pub fn variable(&self, name: &str) -> bool {
        self.variables.contains(name)
    }

    /// The variables whose values are secret, by name.
    pub fn variables(&self) -> impl Iterator<Item = &str> {
        self.variables.iter().map(String::as_str)
    }

    /// The settings of an activity that hold a secret.
    pub fn settings(&self, scope: &Scope, activity: &str) -> &[Vec<String>] {
        self.settings
            .get(&(scope.clone(), activity.to_string()))
            .map_or(&[], Vec::as_slice)
    }

    /// Every activity with secret settings: (scope, activity name, settings).
    pub fn activities(&self) -> impl Iterator<Item = (&Scope, &str, &[Vec<String>])> {
        self.settings
            .iter()
            .map(|((scope, name), settings)| (scope, name.as_str(), settings.as_slice()))
    }

    /// A variable's value as printers show it: `"text"` quoted, other JSON as written, secret
    /// values whole as the mask. `None` when it has no value (null).
    pub fn variable_value(&self, v: &Variable) -> Option<Text> {
        let text = match &v.value {
            Value::Null => return None,
            Value::String(s) => format!("{s:?}"),
            other => other.to_string(),
        };
        Some(Text::new(text, self.variable(&v.name)))
    }
}

/// The variables that hold secrets whenever they are set: those marked secure, and those whose
/// name says they hold one ([`is_secret_name`]: `apiPassword`, `pwd`, `cvv`, `pin`: what `check`
/// warns is not marked Secure), whether or not the file gives them a value.
pub(crate) fn secret_variables(flow: &FdFlow) -> BTreeSet<String> {
    flow.variables
        .iter()
        .filter(|v| v.is_secure || is_secret_name(&v.name))
        .map(|v| v.name.clone())
        .collect()
}

/// The variables whose values a request carries as a credential, by the flow's uses: read in a
/// credential header's or query parameter's value (`pin: {{Pin}}`), or in a URL's credential
/// parameter or user information; then, over the set-variables, every variable whose value one of them
/// takes. A run holds their values as secrets, whatever their names (as the Webex Connect
/// runner does its variables). Told by where a value goes, never by the value.
pub(crate) fn credential_variables(flow: &FdFlow) -> BTreeSet<String> {
    use crate::secret::names::{credential_parameters, is_credential_place, url_userinfo};
    let read = |text: &str, found: &mut BTreeSet<String>| {
        for r in super::pebble::reads(text).0 {
            found.insert(r.name.to_string());
        }
    };
    let mut found = BTreeSet::new();
    let mut assignments: Vec<(String, String)> = Vec::new();
    for (_, process) in processes(flow) {
        for a in &process.activities {
            if a.kind() == Kind::SetVariable {
                assignments.extend(a.assignments().into_iter().map(|(v, t, _)| (v, t)));
            }
            let Some(http) = a.http() else {
                continue;
            };
            for (name, value) in http.headers() {
                if is_credential_place(name) {
                    read(value, &mut found);
                }
                // A header of any name whose value is a URL sends that URL's credential.
                let credentials = credential_parameters(value).into_iter().map(|(_, v)| v);
                for part in credentials.chain(url_userinfo(value)) {
                    read(part, &mut found);
                }
            }
            for (name, value) in http.query() {
                if is_credential_header(name) {
                    read(value, &mut found);
                }
            }
            let url = http.url();
            for (_, value) in credential_parameters(url) {
                read(value, &mut found);
            }
            if let Some(userinfo) = url_userinfo(url) {
                read(userinfo, &mut found);
            }
        }
    }
    loop {
        let before = found.len();
        for (target, template) in &assignments {
            if found.contains(target) {
                read(template, &mut found);
            }
        }
        if found.len() == before {
            break;
        }
    }
    found.retain(|name| flow.variables.iter().any(|v| &v.name == name));
    found
}

/// The variables whose values, or the text a set-variable types into them, put in place in a
/// request's URL (`https://{{Host}}/v1`), land in what it sends as a credential (user
/// information, a credential query parameter's value:
/// [`crate::secret::names::credential_sources`]): secret by that place, whatever they are called
/// or marked, as a Webex Connect variable's default is
/// ([`crate::flow::Flow::credential_defaults`]).
pub(crate) fn url_credential_values(flow: &FdFlow) -> BTreeSet<String> {
    let values: BTreeMap<&str, String> = (flow.variables.iter())
        .filter_map(|v| {
            let text = match &v.value {
                Value::Null => return None,
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            Some((v.name.as_str(), text))
        })
        .collect();
    // What each variable may hold: its value, and the text a set-variable types into it (as
    // written, or as its Pebble literals write it out: `{{ "bob:pw@h" }}`).
    let mut candidates: BTreeMap<String, Vec<String>> = (values.iter())
        .map(|(name, value)| (name.to_string(), vec![value.clone()]))
        .collect();
    let mut urls = Vec::new();
    for (_, process) in processes(flow) {
        for a in &process.activities {
            if a.kind() == Kind::SetVariable {
                for (variable, text, _) in a.assignments() {
                    let readings = match typed_readings(&text) {
                        none if none.is_empty() => vec![text],
                        readings => readings,
                    };
                    let typed = readings.into_iter().filter(|r| !r.trim().is_empty());
                    candidates.entry(variable).or_default().extend(typed);
                }
            }
            if let Some(http) = a.http() {
                urls.push(http.url().to_string());
            }
        }
    }
    let mut found = BTreeSet::new();
    for url in &urls {
        let places = super::pebble::whole_reads(url);
        for (variable, _) in &places {
            for candidate in candidates.get(*variable).into_iter().flatten() {
                let value = |name: &str| match name == *variable {
                    true => Some(candidate.clone()),
                    false => values.get(name).cloned(),
                };
                let sources = crate::secret::names::credential_sources(url, places.clone(), value);
                if sources.contains(variable) {
                    found.insert(variable.to_string());
                }
            }
        }
    }
    found
}

/// Whether a value is a URL with user information (`https://user:pass@host`,
/// `https://TOKEN@host`) or with a credential
/// query parameter that has a value (`?apikey=...`): a credential wherever it goes, as a
/// request's URL shows it ([`crate::secret::names::url_shown`]).
pub(crate) fn holds_url_credential(value: &Value) -> bool {
    value
        .as_str()
        .is_some_and(|v| crate::secret::names::url_shown(Text::plain(v)).is_secret())
}

/// Whether a setting at `path` holds a secret, given the activity's secret settings: it is one,
/// lies inside one, or holds one (a string or table holding a secret anywhere is secret whole).
pub(crate) fn covers(secret: &[Vec<String>], path: &[String]) -> bool {
    secret
        .iter()
        .any(|s| path.starts_with(s) || s.starts_with(path))
}

/// The text of a value outside `{{ ... }}` templates and auth scheme words: what was typed.
pub(crate) fn literal_part(value: &str) -> String {
    crate::secret::names::literal_part(value, PEBBLE_BLOCKS)
}

/// Whether an expression types a value: text outside `{{ ... }}`, or a quoted literal inside
/// one (`{{ "abc" }}`, as Flow Designer writes literals).
fn types_a_value(expression: &str) -> bool {
    if !literal_part(expression).is_empty() {
        return true;
    }
    let mut rest = expression;
    while let Some(open) = rest.find("{{") {
        let inner = &rest[open + 2..];
        let close = inner.find("}}").unwrap_or(inner.len());
        if inner[..close].contains(['"', '\'']) {
            return true;
        }
        rest = inner.get(close + 2..).unwrap_or("");
    }
    false
}

/// Whether a variable's value is a URL carrying a credential typed in clear (user information,
/// a credential query parameter's value): secret by that place in the URL, whatever the
/// variable is called or marked, as a Webex Connect variable's default is
/// ([`crate::flow::Variable::default_types_credential`]).
fn value_types_url_credential(v: &Variable) -> bool {
    // In a list or a table too: a credential place is secret whatever its JSON type.
    typed_url_credential(Some(&v.value)).is_some()
}

/// Where a URL carries a credential in clear (see [`crate::secret::names::url_credentials`]),
/// as written and as its Pebble string literals type it ([`typed_readings`]): a literal is typed
/// text wherever it stands, so `?apikey={{ 'K' }}` and `{{ "https://u:pw@h/" }}` carry a
/// credential in clear as `?apikey=K` and `https://u:pw@h/` do.
pub(crate) fn url_credentials(url: &str) -> Vec<String> {
    let mut found = crate::secret::names::url_credentials(url, PEBBLE_BLOCKS);
    for reading in typed_readings(url) {
        for place in crate::secret::names::url_credentials(&reading, PEBBLE_BLOCKS) {
            if !found.contains(&place) {
                found.push(place);
            }
        }
    }
    found
}

/// The texts a template types, read for URLs: the template with each `{{ ... }}` block written
/// as the string literals it quotes (what else it holds kept as a reference, `{{_}}`), cut at
/// each `{% ... %}` tag (the text between tags is what a branch or loop writes), and each
/// literal quoted inside a tag on its own. Empty for text with no Pebble block or tag.
/// [assumed: a literal is written out as it is quoted, as Pebble prints a string; filters and
/// operators on it are not applied, so any literal part counts as typed.]
pub(crate) fn typed_readings(text: &str) -> Vec<String> {
    if !text.contains("{{") && !text.contains("{%") {
        return Vec::new();
    }
    let rendered = literals_written_out(text);
    let mut readings = Vec::new();
    let mut rest = rendered.as_str();
    while let Some(open) = rest.find("{%") {
        readings.push(rest[..open].to_string());
        let inner = &rest[open + 2..];
        let close = inner.find("%}").unwrap_or(inner.len());
        readings.extend(quoted_literals(&inner[..close]));
        rest = inner.get(close + 2..).unwrap_or("");
    }
    readings.push(rest.to_string());
    readings
}

/// A template with each `{{ ... }}` block that quotes a string literal written as its literals,
/// in order, with a reference (`{{_}}`) for whatever else stands between them (a variable, a
/// filter); operators (`~`, `+`), brackets and blanks are left out. A block with no literal is
/// kept as a reference. A double-quoted literal's interpolation (`"#{x}K"`) is written as an
/// expression is: its own literals, a reference for the rest (`{{_}}K`).
fn literals_written_out(text: &str) -> String {
    /// What is open in a block: an expression (the block's, or one a literal interpolates,
    /// with its brackets open and whether it holds more than literals) or a literal.
    enum Open {
        Expression { other: bool, depth: usize },
        Literal(char),
    }
    let reference = |out: &mut String, other: &mut bool| {
        if std::mem::take(other) {
            out.push_str("{{_}}");
        }
    };
    let mut out = String::new();
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let inner = &rest[open + 2..];
        let mut end = inner.len();
        let mut stack = vec![Open::Expression {
            other: false,
            depth: 0,
        }];
        let mut chars = inner.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            let interpolated = stack.len() > 1;
            match stack.last_mut() {
                Some(Open::Literal(q)) => match c {
                    '\\' => out.extend(chars.next().map(|(_, d)| d)),
                    c if c == *q => {
                        stack.pop();
                    }
                    '#' if *q == '"' && chars.peek().is_some_and(|&(_, d)| d == '{') => {
                        chars.next();
                        stack.push(Open::Expression {
                            other: false,
                            depth: 0,
                        });
                    }
                    c => out.push(c),
                },
                Some(Open::Expression { other, depth }) => {
                    // An interpolation ends at its `}` outside brackets.
                    if interpolated {
                        match c {
                            '}' if *depth == 0 => {
                                reference(&mut out, other);
                                stack.pop();
                                continue;
                            }
                            '(' | '[' | '{' => *depth += 1,
                            ')' | ']' | '}' => *depth = depth.saturating_sub(1),
                            _ => {}
                        }
                    }
                    match c {
                        '"' | '\'' => {
                            reference(&mut out, other);
                            stack.push(Open::Literal(c));
                        }
                        '}' if !interpolated && inner[i + 1..].starts_with('}') => {
                            end = i;
                            break;
                        }
                        c if c.is_whitespace() || matches!(c, '~' | '+' | '(' | ')') => {}
                        _ => *other = true,
                    }
                }
                None => unreachable!("the block's expression is never closed"),
            }
        }
        if let Some(Open::Expression { other, .. }) = stack.first_mut() {
            reference(&mut out, other);
        }
        rest = inner.get(end + 2..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

/// The string literals quoted in a Pebble expression, each as written out (an interpolation in
/// one as [`literals_written_out`] writes it: `"#{ 'K' }"` types `K`).
fn quoted_literals(expression: &str) -> Vec<String> {
    let b = expression.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if !matches!(b[i], b'"' | b'\'') {
            i += 1;
            continue;
        }
        let (end, _) = super::pebble::string_literal(b, i);
        let literal = &expression[i..(end + 1).min(b.len())];
        found.push(literals_written_out(&format!("{{{{ {literal} }}}}")));
        i = end + 1;
    }
    found
}

/// Where an activity carries a credential typed in clear. `secret_variables` are the variables
/// that hold secrets (a set-variable typing a value into one types a credential).
pub(crate) fn credentials(a: &Activity, secret_variables: &BTreeSet<String>) -> Vec<Credential> {
    let setting = |path: &[&str]| path.iter().map(|s| s.to_string()).collect();
    let mut found = Vec::new();
    if a.kind() == Kind::SetVariable {
        let target = a.text("srcVariable").unwrap_or("");
        // A target the flow does not declare (a global variable) is told by its name.
        let holds_secret =
            |target: &str| secret_variables.contains(target) || is_secret_name(target);
        // The value is in `expr`, or in `literal` (what build writes, and some exports carry).
        for key in ["expr", "literal"] {
            if holds_secret(target) && types_a_value_json(a.settings.get(key)) {
                found.push(Credential {
                    place: format!("the value for `{target}`"),
                    setting: setting(&[key]),
                });
            } else if let Some(place) = typed_url_credential(a.settings.get(key)) {
                found.push(Credential {
                    place: format!("{place} in the value for `{target}`"),
                    setting: setting(&[key]),
                });
            }
        }
        // 2026 exports: every assignment in `setVariablesArray` (its `expr` and `literal`).
        let entries = a
            .settings
            .get("setVariablesArray")
            .and_then(Value::as_array);
        for (i, entry) in entries.into_iter().flatten().enumerate() {
            let target = entry
                .get("srcVariable")
                .and_then(Value::as_str)
                .unwrap_or("");
            let index = i.to_string();
            for key in ["expr", "literal"] {
                if holds_secret(target) && types_a_value_json(entry.get(key)) {
                    found.push(Credential {
                        place: format!("the value for `{target}`"),
                        setting: setting(&["setVariablesArray", &index, key]),
                    });
                } else if let Some(place) = typed_url_credential(entry.get(key)) {
                    found.push(Credential {
                        place: format!("{place} in the value for `{target}`"),
                        setting: setting(&["setVariablesArray", &index, key]),
                    });
                }
            }
        }
    }
    if a.activity_name.as_deref() == Some(SCREEN_POP) {
        found.extend(screen_pop_credentials(a));
    }
    if a.http().is_none() {
        return found;
    }
    // Every header and query parameter, whatever its JSON type: a credential typed as a
    // number, a list or a table is one all the same.
    let members = |key: &str| {
        a.settings
            .get(key)
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
    };
    // Headers or query parameters that are no table (a list of `name: value` lines, say) name
    // no header: whatever they type may be a credential, and is secret whole.
    for (key, place) in [
        ("httpRequestHeaders", "headers (not a table)"),
        ("httpQueryParameters", "query parameters (not a table)"),
    ] {
        if let Some(value) = a.settings.get(key) {
            if !value.is_object() && typed(value) {
                found.push(Credential {
                    place: place.to_string(),
                    setting: setting(&[key]),
                });
            }
        }
    }
    // A header or query parameter of any name that types a URL with a credential in clear
    // (`Referer: https://user:pass@host/`) carries it as well.
    let credential = |name: &str, value: &Value, what: &str| {
        if is_credential_header(name) && typed(value) {
            return Some(format!("{what} `{name}`"));
        }
        typed_url_credential(Some(value)).map(|place| format!("{place} in {what} `{name}`"))
    };
    for (name, value) in members("httpRequestHeaders") {
        if let Some(place) = credential(name, value, "header") {
            found.push(Credential {
                place,
                setting: setting(&["httpRequestHeaders", name]),
            });
        }
    }
    // A query parameter is named as a credential as one in the URL is (`key`, `apikey`).
    for (name, value) in members("httpQueryParameters") {
        if let Some(place) = credential(name, value, "query parameter") {
            found.push(Credential {
                place,
                setting: setting(&["httpQueryParameters", name]),
            });
        }
    }
    match a.settings.get("httpRequestUrl") {
        Some(Value::String(url)) => {
            for place in url_credentials(url) {
                found.push(Credential {
                    place,
                    setting: setting(&["httpRequestUrl"]),
                });
            }
        }
        // A URL that is not text (a list, a table, a number) cannot be read as one: whatever
        // it holds may be a password or a credential parameter.
        Some(Value::Null) | None => {}
        Some(_) => found.push(Credential {
            place: "URL (not text)".to_string(),
            setting: setting(&["httpRequestUrl"]),
        }),
    }
    found
}

/// Where a value a set-variable types is a URL carrying a credential in clear, as written or
/// as its Pebble literals and branches type it ([`url_credentials`]): the first such place.
/// The value is secret by that place whatever the variable is called or marked, as a variable
/// whose value is such a URL is.
fn typed_url_credential(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(text) => url_credentials(text).into_iter().next(),
        // A URL in a list or a table is one all the same (a credential place is secret
        // whatever its JSON type).
        Value::Array(items) => items.iter().find_map(|v| typed_url_credential(Some(v))),
        Value::Object(members) => members.values().find_map(|v| typed_url_credential(Some(v))),
        _ => None,
    }
}

/// A screen pop's activity type (`activityName`), as real exports give it: it opens
/// `screenPopUrl` on the agent's desktop with `queryParameters` added.
const SCREEN_POP: &str = "screen-pop";

/// Where a screen pop carries a credential typed in clear: its URL's user information or
/// credential parameter ([`url_credentials`]), or a query parameter named as a credential, as
/// in an HTTP request [assumed: the desktop opens the URL with them, as a browser would].
fn screen_pop_credentials(a: &Activity) -> Vec<Credential> {
    let setting = |path: &[&str]| path.iter().map(|s| s.to_string()).collect();
    let mut found = Vec::new();
    match a.settings.get("screenPopUrl") {
        Some(Value::String(url)) => {
            found.extend(url_credentials(url).into_iter().map(|place| Credential {
                place: format!("screen pop {place}"),
                setting: setting(&["screenPopUrl"]),
            }))
        }
        Some(Value::Null) | None => {}
        Some(_) => found.push(Credential {
            place: "screen pop URL (not text)".to_string(),
            setting: setting(&["screenPopUrl"]),
        }),
    }
    match a.settings.get("queryParameters") {
        Some(Value::Object(members)) => {
            // As a request's query parameters: named as a credential, or a URL carrying one.
            for (name, value) in members {
                let what = "screen pop query parameter";
                let place = if is_credential_header(name) && typed(value) {
                    Some(format!("{what} `{name}`"))
                } else {
                    typed_url_credential(Some(value))
                        .map(|place| format!("{place} in {what} `{name}`"))
                };
                if let Some(place) = place {
                    found.push(Credential {
                        place,
                        setting: setting(&["queryParameters", name]),
                    });
                }
            }
        }
        Some(other) if typed(other) => found.push(Credential {
            place: "screen pop query parameters (not a table)".to_string(),
            setting: setting(&["queryParameters"]),
        }),
        _ => {}
    }
    found
}

/// The settings of an activity that wxcflow does not model, read conservatively [assumed]:
/// every property of a kind wxcflow does not model (`http-request-v3`, say), and every property
/// a modelled kind carries beyond the ones wxcflow reads or writes for it
/// ([`modelled_properties`]: an `http-request-v2`'s `proxyUrl` or `authToken` in a newer
/// export). Such a property is secret whole when its name says it is a URL, a header,
/// authentication, a password, a token, a key or a secret
/// ([`crate::secret::names::may_name_credential_place`]) and it holds typed text, when it holds
/// such a member at any depth, or when it holds, at any depth, text that is a URL carrying a
/// credential typed in clear ([`url_credentials`]: `endpoint = "https://u:pw@host/"`) whatever
/// its name. Not reported as a credential typed in clear (it may be none): only hidden, and the
/// file holding it kept private.
pub(crate) fn unmodelled_places(a: &Activity) -> Vec<Vec<String>> {
    let modelled = modelled_properties(a);
    fn holds_named(value: &Value) -> bool {
        match value {
            Value::Object(members) => members.iter().any(|(name, value)| {
                (crate::secret::names::may_name_credential_place(name) && typed(value))
                    || holds_named(value)
            }),
            Value::Array(items) => items.iter().any(holds_named),
            _ => false,
        }
    }
    fn holds_credential_url(value: &Value) -> bool {
        match value {
            Value::String(text) => !url_credentials(text).is_empty(),
            Value::Object(members) => members.values().any(holds_credential_url),
            Value::Array(items) => items.iter().any(holds_credential_url),
            _ => false,
        }
    }
    // A flag (`authenticated = false`) says whether, not what: no credential.
    a.settings
        .iter()
        .filter(|(name, _)| !modelled.contains(name.as_str()))
        .filter(|(name, value)| {
            (crate::secret::names::may_name_credential_place(name)
                && !value.is_boolean()
                && typed(value))
                || holds_named(value)
                || holds_credential_url(value)
        })
        .map(|(name, _)| vec![name.clone()])
        .collect()
}

/// The properties wxcflow reads or writes for an activity's kind: those real exports carry
/// for a modelled kind ([`full_settings`], with their `:name` twins), a set-variable's
/// `setVariablesArray`, and a screen pop's (`screenPopUrl`, `queryParameters`, `target`,
/// `screenPopDesktopLabel`, `description`, as real exports give them). None for a kind wxcflow
/// does not model.
fn modelled_properties(a: &Activity) -> BTreeSet<&'static str> {
    let kind = a.kind();
    let mut known: BTreeSet<&'static str> = BTreeSet::new();
    if kind == Kind::Other {
        if a.activity_name.as_deref() == Some(SCREEN_POP) {
            known.extend([
                "screenPopUrl",
                "queryParameters",
                "target",
                "screenPopDesktopLabel",
                "description",
            ]);
        }
        return known;
    }
    known.extend(full_settings(kind).into_iter().map(|(key, _)| key));
    for (key, twin) in name_twins(kind) {
        known.extend([*key, *twin]);
    }
    if kind == Kind::SetVariable {
        known.insert("setVariablesArray");
    }
    known
}

/// Whether a setting's value types something in clear: text outside `{{ ... }}` templates and
/// auth scheme words, or a string literal inside one ([`quotes_a_credential`]); a number or a
/// boolean; a list or a table holding any such (its keys included, as `{"Bearer": "..."}` is
/// written).
fn typed(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::String(s) => !literal_part(s).is_empty() || quotes_a_credential(s),
        Value::Bool(_) | Value::Number(_) => true,
        Value::Array(items) => items.iter().any(typed),
        Value::Object(m) => m
            .iter()
            .any(|(k, v)| !literal_part(k).is_empty() || typed(v)),
    }
}

/// Whether a template types a credential in a string literal (`{{ "Bearer abc" }}`,
/// `{{ 'Bearer ' ~ "abc" }}`): the text of the quoted literals inside its `{{ ... }}` blocks,
/// auth scheme words aside, is not empty. `{{ "Bearer " ~ Token }}` types only the scheme.
fn quotes_a_credential(text: &str) -> bool {
    let mut literals = String::new();
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        let inner = &rest[open + 2..];
        let close = inner.find("}}").unwrap_or(inner.len());
        let mut chars = inner[..close].chars();
        while let Some(c) = chars.by_ref().find(|c| matches!(c, '"' | '\'')) {
            // A literal runs to its closing quote; `\` escapes the next character.
            while let Some(d) = chars.next() {
                match d {
                    '\\' => literals.extend(chars.next()),
                    d if d == c => break,
                    d => literals.push(d),
                }
            }
            literals.push(' ');
        }
        rest = inner.get(close + 2..).unwrap_or("");
    }
    !crate::secret::names::literal_part(&literals, &[]).is_empty()
}

/// Whether a set-variable's expression types a value: [`types_a_value`] for text, [`typed`]
/// for any other JSON (a number or a list set into a secret variable is typed in clear).
fn types_a_value_json(value: Option<&Value>) -> bool {
    match value {
        Some(Value::String(s)) => types_a_value(s),
        Some(other) => typed(other),
        None => false,
    }
}

/// An activity's logic as path -> value: type keys, then settings over the kind's defaults,
/// noise and nulls left out, nested values flattened (`httpRequestHeaders.x-key`). Text values
/// are quoted; a value in or holding a secret setting (`secret`) is secret.
pub(crate) fn fields(a: &Activity, secret: &[Vec<String>]) -> BTreeMap<String, Text> {
    let mut merged: BTreeMap<String, Value> = full_settings(a.kind())
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    for (k, v) in &a.settings {
        merged.insert(k.clone(), v.clone());
    }
    let mut out = BTreeMap::new();
    out.insert("type".into(), Text::plain(a.type_name()));
    if let Some(id) = &a.activity_id {
        let shown = if a.type_holds_credential() {
            crate::secret::MASK
        } else {
            id
        };
        out.insert("activityId".into(), Text::plain(shown));
    }
    out.insert(
        "group".into(),
        Text::plain(a.kind().group().map_or(a.group.clone(), String::from)),
    );
    for (k, v) in &merged {
        if v.is_null() || is_noise_key(k, &merged) {
            continue;
        }
        let mut at = vec![k.clone()];
        flatten(v, k.clone(), &mut at, secret, &mut out);
    }
    out
}

fn flatten(
    v: &Value,
    path: String,
    at: &mut Vec<String>,
    secret: &[Vec<String>],
    out: &mut BTreeMap<String, Text>,
) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, v) in m {
                at.push(k.clone());
                flatten(v, format!("{path}.{k}"), at, secret, out);
                at.pop();
            }
        }
        Value::Array(a) if !a.is_empty() => {
            for (i, v) in a.iter().enumerate() {
                at.push(i.to_string());
                flatten(v, format!("{path}[{i}]"), at, secret, out);
                at.pop();
            }
        }
        Value::Null => {}
        // An assignment's own id: random per entry in Cisco's exports, like an activity's UUID.
        _ if at.len() == 3 && at[0] == "setVariablesArray" && at[2] == "id" => {}
        Value::String(s) => {
            out.insert(path, Text::new(format!("{s:?}"), covers(secret, at)));
        }
        other => {
            out.insert(path, Text::new(other.to_string(), covers(secret, at)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_parts_leave_templates_and_schemes_out() {
        assert_eq!(literal_part("Bearer {{Token}}"), "");
        assert_eq!(literal_part("Bearer abc.def"), "abc.def");
        assert_eq!(literal_part("{{a}}x{{b}}"), "x");
        assert!(types_a_value("{{ \"hunter2\" }}") && types_a_value("x{{a}}"));
        // A string literal typed into a template is typed text; a scheme word alone is not.
        for typed in [
            "{{ \"Bearer X\" }}",
            "{{ 'Bearer ' ~ \"X\" }}",
            "Bearer {{ \"X\" }}",
            "{{ \"a\\\"b\" }}",
        ] {
            assert!(quotes_a_credential(typed), "{typed}");
        }
        for not in ["{{ \"Bearer \" ~ Token }}", "Bearer {{Token}}", "{{ '' }}"] {
            assert!(!quotes_a_credential(not), "{not}");
        }
        assert!(!types_a_value("{{fetch_token_token}}"));
    }

    #[test]
    fn a_percent_encoded_name_is_read_as_the_server_reads_it() {
        assert!(is_credential_header("%6Bey") && is_credential_header("ke%79"));
        assert!(is_credential_header("api%5Fkey") && !is_credential_header("%6Beyboard"));
        assert!(!is_credential_header("k%zzey") && !is_credential_header("%"));
        assert_eq!(
            url_credentials("https://a.example/x?ke%79=k1&lang=en"),
            vec!["URL parameter `ke%79`"]
        );
    }

    #[test]
    fn pebble_literals_in_a_url_are_typed_text() {
        for url in [
            "https://h.example/?apikey={{ 'K1' }}",
            "{{ \"https://u:K2@h.example/\" }}",
            "https://h.example/?token={{ Prefix ~ 'K3' }}",
            "{% if a %}https://h.example/?key=K4{% endif %}",
            "{% set u = 'https://u:K5@h.example/' %}{{u}}",
            "{{ \"https://u:\" ~ Pw ~ \"@h.example/\" }}",
            // A double-quoted literal's interpolation is an expression, not text: what it
            // prints is a reference, and the literals it quotes are typed.
            "https://h.example/p?apikey={{ \"#{x}K6\" }}",
            "https://h.example/p?apikey={{ \"#{x}\" ~ \"K7\" }}",
            "https://h.example/p?apikey={{ \"#{ \"K8\" }\" }}",
            "{{ \"#{ 'https://u:K9@h.example/' }\" }}",
            "{{ \"#{ \"#{ 'https://u:K10@h.example/' }\" }\" }}",
            // In a tag too, each literal on its own.
            "{% if x == \"#{ 'https://u:K11@h.example/' }\" %}https://h.example/{% endif %}",
            "{% if x == \"#{ y }https://u:K12@h.example/\" %}x{% endif %}",
        ] {
            assert!(!url_credentials(url).is_empty(), "{url}");
        }
        assert_eq!(
            literals_written_out("a{{ \"#{ m['k'] ~ \"#{n}\" }x\" }}b{{ 'y#{z}' }}"),
            "a{{_}}k{{_}}{{_}}xby#{z}"
        );
        for url in [
            "https://h.example/?apikey={{ Key }}",
            "https://{{ Host }}/x?lang={{ 'en' }}",
            "{{ \"https://h.example/\" ~ Path }}",
            "{% if a %}https://h.example/{% endif %}",
        ] {
            assert!(url_credentials(url).is_empty(), "{url}");
        }
    }

    #[test]
    fn urls_carry_credentials_in_parameters_and_passwords() {
        assert_eq!(
            url_credentials("https://a.example/x?apikey=k1&lang=en"),
            vec!["URL parameter `apikey`"]
        );
        assert_eq!(
            url_credentials("https://u:p@a.example/"),
            vec!["URL user information"]
        );
        assert_eq!(
            url_credentials("https://TOKEN@a.example/"),
            vec!["URL user information"]
        );
        assert!(url_credentials("https://a.example/x?apikey={{Key}}").is_empty());
    }

    #[test]
    fn a_value_typed_into_a_secret_variable_is_a_credential() {
        let set = |target: &str, expr: &str| Activity {
            name: "Set".into(),
            group: "set-variable".into(),
            activity_name: Some(SET_VARIABLE.into()),
            activity_id: Some(SET_VARIABLE.into()),
            settings: [
                ("srcVariable".to_string(), Value::from(target)),
                ("expr".to_string(), Value::from(expr)),
            ]
            .into(),
            ports: None,
            origin: None,
        };
        let secret: BTreeSet<String> = ["Pass".to_string()].into();
        let found = credentials(&set("Pass", "{{ \"hunter2\" }}"), &secret);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].setting, vec!["expr".to_string()]);
        assert!(credentials(&set("Pass", "{{Other}}"), &secret).is_empty());
        assert!(credentials(&set("Plain", "{{ \"x\" }}"), &secret).is_empty());
    }

    #[test]
    fn a_credential_of_any_json_type_is_one() {
        let http = |settings: Value| Activity {
            name: "Call".into(),
            group: "action".into(),
            activity_name: Some("http-request-v2".into()),
            activity_id: Some("http-request-v2".into()),
            settings: settings.as_object().unwrap().clone().into_iter().collect(),
            ports: None,
            origin: None,
        };
        let none = BTreeSet::new();
        let places = |settings: Value| -> Vec<Vec<String>> {
            credentials(&http(settings), &none)
                .into_iter()
                .map(|c| c.setting)
                .collect()
        };
        let path = |p: &[&str]| vec![p.iter().map(|s| s.to_string()).collect::<Vec<_>>()];
        let header = path(&["httpRequestHeaders", "x-api-key"]);
        for value in [
            serde_json::json!(24681357),
            serde_json::json!(["k1"]),
            serde_json::json!({"Bearer": "k1"}),
            serde_json::json!(true),
        ] {
            let found = places(serde_json::json!({"httpRequestHeaders": {"x-api-key": value}}));
            assert_eq!(found, header, "{value}");
        }
        // Templates only, in any shape: nothing typed.
        for value in [
            serde_json::json!(["{{Key}}"]),
            serde_json::json!({"Bearer": "{{Key}}"}),
        ] {
            let found = places(serde_json::json!({"httpRequestHeaders": {"x-api-key": value}}));
            assert!(found.is_empty(), "{value}");
        }
        assert_eq!(
            places(serde_json::json!({"httpQueryParameters": {"apikey": 55667788}})),
            path(&["httpQueryParameters", "apikey"])
        );
        assert_eq!(
            places(serde_json::json!({"httpRequestUrl": ["https://u:p@h/"]})),
            path(&["httpRequestUrl"])
        );
        assert_eq!(
            places(serde_json::json!({"httpRequestHeaders": ["x-api-key: k1"]})),
            path(&["httpRequestHeaders"])
        );
    }

    #[test]
    fn a_setting_holding_a_secret_is_secret_whole() {
        let secret = vec![vec!["httpRequestHeaders".to_string(), "x-key".to_string()]];
        let path = |p: &[&str]| p.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(covers(&secret, &path(&["httpRequestHeaders", "x-key"])));
        assert!(covers(&secret, &path(&["httpRequestHeaders"])));
        assert!(!covers(&secret, &path(&["httpRequestHeaders", "Accept"])));
        assert!(!covers(&secret, &path(&["httpRequestUrl"])));
    }
}
