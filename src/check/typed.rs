//! Where a Webex Connect spec types a credential in clear, told by place: a credential
//! header's value, a URL's user information or credential query parameter's value in a node's
//! URL or proxy, an outcome's notify URL, a variable's default or an origin its `send_to` names.
//! Diagnostics quote the spec's lines with these hidden, as
//! they do a secret default; whether the spec checks or not does not matter.

use crate::diagnostic::{SourceFile, Span};
use crate::flow::typed_whole;
use crate::flow::Flow;
use crate::secret::names::{
    connect_header_types_credential, is_credential_place, CONNECT_REFERENCES,
};
use crate::secret::names::{credential_parameters, url_part_typed, url_userinfo};
use crate::spec::model::{Spec, S};

/// The spans of `source` (the text `spec` was read from) that hold a credential typed in clear:
/// a credential header's whole value; a URL's user information and each credential parameter's value
/// (the rest of the URL is quoted, so that a diagnostic about it still points at its text).
pub(crate) fn typed_credential_spans(spec: &Spec, source: &SourceFile) -> Vec<Span> {
    let declared: Vec<String> = (spec.flow.credential_headers.iter().flatten())
        .map(|h| h.get_ref().clone())
        .collect();
    let mut spans = Vec::new();
    let mut url = |url: &S<String>| spans.extend(url_credential_spans(url, source));
    for node in spec.nodes.values() {
        node.url.iter().chain(&node.proxy).for_each(&mut url);
    }
    for outcome in spec.outcomes.values() {
        outcome.notify_url.iter().for_each(&mut url);
    }
    for variable in spec.variables.values() {
        variable.default.iter().for_each(&mut url);
        variable.send_to.iter().flatten().for_each(&mut url);
    }
    // A plain variable's default a request sends as a credential, whole: read in a credential
    // header's value or a URL's credential (`pin = "$(Pin)"`, `?apikey=$(Key)`), or landing in
    // one when put in place (`Host` = `bob:pw@api.example.com` read as `https://$(Host)/v1`).
    let mut sent = std::collections::BTreeSet::new();
    let default = |name: &str| {
        Some(
            spec.variables
                .get(name)?
                .default
                .as_ref()?
                .get_ref()
                .clone(),
        )
    };
    let urls = (spec.nodes.values()).flat_map(|node| node.url.iter().chain(&node.proxy));
    let notify = spec.outcomes.values().flat_map(|o| o.notify_url.iter());
    for template in urls.chain(notify) {
        let text = template.get_ref();
        Flow::add_url_credential_references(text, &mut sent);
        let landing = crate::flow::refs::credential_sources(text, default);
        sent.extend(landing.into_iter().map(String::from));
    }
    for node in spec.nodes.values() {
        for (name, value) in node.headers.iter().flat_map(|h| h.iter()) {
            let listed = declared
                .iter()
                .any(|d| d.eq_ignore_ascii_case(name.get_ref()));
            if listed || is_credential_place(name.get_ref()) {
                Flow::add_references(value.get_ref(), &mut sent);
            }
            // A URL a header of any name holds sends its credential.
            Flow::add_url_credential_references(value.get_ref(), &mut sent);
        }
    }
    for name in &sent {
        let variable = spec.variables.get(name.as_str());
        if let Some(value) = variable
            .filter(|v| !v.secret)
            .and_then(|v| v.default.as_ref())
        {
            spans.push(source.span(value.span()));
        }
    }
    for node in spec.nodes.values() {
        for (name, value) in node.headers.iter().flat_map(|h| h.iter()) {
            if connect_header_types_credential(name.get_ref(), value.get_ref(), &declared) {
                spans.push(source.span(value.span()));
            }
        }
    }
    // What a transition action assigns: a URL's credentials, and text typed whole for a secret
    // variable (a template's text is the tenant's to fill, not a secret of the spec's).
    let secret = |name: &S<String>| spec.variables.get(name).is_some_and(|v| v.secret);
    let actions = (spec.nodes.values()).flat_map(|node| {
        node.on_enter
            .iter()
            .flatten()
            .chain(node.on_leave.iter().flatten())
    });
    for (name, value) in actions.flat_map(|action| action.set.iter()) {
        let text = value.get_ref();
        if secret(name) && typed_whole(text) && !crate::spec::is_template(text) {
            spans.push(source.span(value.span()));
        } else {
            spans.extend(url_credential_spans(value, source));
        }
    }
    spans
}

/// As [`typed_credential_spans`], for a spec that reads as TOML but not as a spec (a value of
/// the wrong type beside a credential): each string that types a credential in clear where a
/// spec sends one (a node's `url` or `proxy`, an outcome's `notify_url`, a variable's `default`
/// or `send_to`, a request header), hidden whole, in tables and inline tables alike.
pub(crate) fn typed_credential_spans_in(
    root: &toml::Spanned<toml::de::DeTable<'_>>,
    source: &SourceFile,
) -> Vec<Span> {
    use toml::de::{DeTable, DeValue};
    fn table<'t, 'i>(value: &'t toml::Spanned<DeValue<'i>>) -> Option<&'t DeTable<'i>> {
        match value.get_ref() {
            DeValue::Table(t) => Some(t),
            _ => None,
        }
    }
    fn entry<'t, 'i>(t: &'t DeTable<'i>, key: &str) -> Option<&'t toml::Spanned<DeValue<'i>>> {
        t.iter().find(|(k, _)| k.get_ref() == key).map(|(_, v)| v)
    }
    let declared: Vec<String> = (entry(root.get_ref(), "flow").and_then(table))
        .and_then(|flow| entry(flow, "credential_headers"))
        .map(|v| match v.get_ref() {
            DeValue::Array(items) => (items.iter())
                .filter_map(|i| match i.get_ref() {
                    DeValue::String(s) => Some(s.to_string()),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        })
        .unwrap_or_default();
    let mut spans = Vec::new();
    let mut url = |value: &toml::Spanned<DeValue<'_>>| {
        for (text, at) in strings_within(value) {
            if !crate::secret::names::url_credentials(text, CONNECT_REFERENCES).is_empty() {
                spans.push(source.span(at));
            }
        }
    };
    let each = |section: &str| {
        (entry(root.get_ref(), section).and_then(table).into_iter())
            .flat_map(|t| t.iter().filter_map(|(_, v)| table(v)))
            .collect::<Vec<_>>()
    };
    for node in each("nodes") {
        entry(node, "url")
            .into_iter()
            .chain(entry(node, "proxy"))
            .for_each(&mut url);
    }
    for outcome in each("outcomes") {
        entry(outcome, "notify_url").into_iter().for_each(&mut url);
    }
    for variable in each("variables") {
        entry(variable, "default")
            .into_iter()
            .chain(entry(variable, "send_to"))
            .for_each(&mut url);
    }
    for node in each("nodes") {
        // What a transition action sets: a secret variable's value, for all a spec that does
        // not read can tell (a plain variable the flow sends as a credential is secret too).
        for actions in ["on_enter", "on_leave"]
            .into_iter()
            .filter_map(|k| entry(node, k))
        {
            spans.extend(
                set_values(actions)
                    .into_iter()
                    .map(|(_, at)| source.span(at)),
            );
        }
        for (name, value) in entry(node, "headers").into_iter().flat_map(header_entries) {
            for (text, at) in strings_within(value) {
                if connect_header_types_credential(name, text, &declared) {
                    spans.push(source.span(at));
                }
            }
        }
    }
    spans
}

/// A node's request headers as (name, value): a table's entries, or, in one of the wrong
/// shape (`headers = [{ Authorization = "..." }]`), those of every table in it.
fn header_entries<'v, 'i>(
    headers: &'v toml::Spanned<toml::de::DeValue<'i>>,
) -> Vec<(&'v str, &'v toml::Spanned<toml::de::DeValue<'i>>)> {
    use toml::de::DeValue;
    match headers.get_ref() {
        DeValue::Table(table) => table
            .iter()
            .map(|(k, v)| (k.get_ref().as_ref(), v))
            .collect(),
        DeValue::Array(items) => items.iter().flat_map(header_entries).collect(),
        _ => Vec::new(),
    }
}

/// The strings under every `set` table in a node's actions (`[{ set = { pass = "..." } }]`),
/// whatever the shape around them.
fn set_values<'v>(
    actions: &'v toml::Spanned<toml::de::DeValue<'_>>,
) -> Vec<(&'v str, std::ops::Range<usize>)> {
    use toml::de::DeValue;
    match actions.get_ref() {
        DeValue::Array(items) => items.iter().flat_map(set_values).collect(),
        DeValue::Table(table) => (table.iter())
            .flat_map(|(key, value)| match key.get_ref() == "set" {
                true => strings_within(value),
                false => set_values(value),
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The strings of a TOML value with their spans: the value's own, or, in a value of the wrong
/// shape (a list, a table, one written with dotted keys as `url.x = "..."`), every one in it.
fn strings_within<'v>(
    value: &'v toml::Spanned<toml::de::DeValue<'_>>,
) -> Vec<(&'v str, std::ops::Range<usize>)> {
    (crate::spec::values_within(value).into_iter())
        .filter_map(|v| match v.get_ref() {
            toml::de::DeValue::String(text) => Some((text.as_ref(), v.span())),
            _ => None,
        })
        .collect()
}

/// The spans of a URL's typed user information and credential parameters' values.
fn url_credential_spans(url: &S<String>, source: &SourceFile) -> Vec<Span> {
    let text = url.get_ref().as_str();
    let offset = |part: &str| part.as_ptr() as usize - text.as_ptr() as usize;
    let typed = |part: &&str| url_part_typed(part, CONNECT_REFERENCES);
    let parameters = credential_parameters(text)
        .into_iter()
        .map(|(_, value)| value);
    (parameters.chain(url_userinfo(text)))
        .filter(typed)
        .map(|part| {
            source.span_in_string(url.span(), text, offset(part)..offset(part) + part.len())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_credentials_are_found_by_place_and_references_are_not() {
        let text = "[flow]\nname = \"F\"\ncredential_headers = [\"X-Auth\"]\n\
            [trigger]\ntype = \"webhook\"\nevent = \"F\"\nsample = '{}'\nnext = \"a\"\n\
            [outcomes.Bad]\ncode = 400\nnotify_url = \"https://n.example.com/?token=NSEK\"\n\
            [variables.K]\nsecret = true\nsend_to = [\"https://u:SSEK@h.example.com/p\"]\n\
            [variables.Key]\ndefault = \"KSEK\"\n[variables.Typo]\ndefault = \"path\"\n\
            [nodes.a]\ntype = \"http\"\nmethod = \"GET\"\n\
            url = \"https://u:USEK@h.example.com/$(Typo)?apikey=$(Key)\"\n\
            headers = { pin = \"PSEK\", X-Auth = \"Bearer ASEK\", Accept = \"json\", \
            Authorization = \"Bearer $(Token)\" }\n\
            proxy = \"http://u:XSEK@p.example.com:3128\"\n\
            next = { onSuccess = \"end:Bad\", onError = \"end:Error\", onTimeout = \"end:Error\" }\n";
        let source = SourceFile::new("f.toml", text);
        let spec: Spec = toml::from_str(text).unwrap();
        let mut found: Vec<&str> = typed_credential_spans(&spec, &source)
            .iter()
            .map(|s| &text[s.bytes.clone()])
            .collect();
        found.sort_unstable();
        assert_eq!(
            found,
            [
                "\"Bearer ASEK\"",
                "\"KSEK\"",
                "\"PSEK\"",
                "NSEK",
                "u:SSEK",
                "u:USEK",
                "u:XSEK"
            ]
        );
    }
}
