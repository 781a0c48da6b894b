//! `$(...)` references inside string values: finding them and rewriting node keys to platform ids.

use crate::flow::{NodeId, START_ID};
use std::collections::BTreeMap;
use std::ops::Range;

/// One `$(...)` found in a string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reference<'a> {
    /// The text between `$(` and `)`.
    pub name: &'a str,
    /// Byte range of the whole `$(...)` within the string.
    pub range: Range<usize>,
}

/// A `$(` with no closing `)`, at this byte offset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unterminated(pub usize);

/// Every reference in `text`, in order.
pub fn references(text: &str) -> Result<Vec<Reference<'_>>, Unterminated> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = text[from..].find("$(") {
        let start = from + at;
        let inner = start + 2;
        let Some(len) = text[inner..].find(')') else {
            return Err(Unterminated(start));
        };
        found.push(Reference {
            name: &text[inner..inner + len],
            range: start..inner + len + 1,
        });
        from = inner + len + 1;
    }
    Ok(found)
}

/// Replaces each reference's name through `rewrite`, keeping everything else verbatim.
/// A string with an unterminated reference comes back unchanged (checks report it).
pub fn rewrite(text: &str, mut rewrite: impl FnMut(&str) -> Option<String>) -> String {
    splice(text, |r| match rewrite(r.name) {
        Some(new) => format!("$({new})"),
        None => text[r.range.clone()].to_string(),
    })
}

/// Replaces each reference with its value; a name with no value becomes empty, as a variable
/// nobody set reads on the platform. A string with an unterminated reference comes back
/// unchanged.
pub fn substitute(text: &str, mut value: impl FnMut(&str) -> Option<String>) -> String {
    splice(text, |r| value(r.name).unwrap_or_default())
}

/// The names whose values, put in place of their references in the URL `template`, land in
/// what the URL made sends as a credential (its user information, a credential query
/// parameter's value: [`crate::secret::names::credential_ranges`]): `Host` in
/// `https://$(Host)/v1` when `Host` holds `bob:pw@api.example.com`. Told by where each value
/// lands in the URL, whatever it holds; a name with no value puts nothing in place.
pub(crate) fn credential_sources(
    template: &str,
    value: impl FnMut(&str) -> Option<String>,
) -> Vec<&str> {
    let Ok(refs) = references(template) else {
        return Vec::new();
    };
    let places = refs.into_iter().map(|r| (r.name, r.range)).collect();
    crate::secret::names::credential_sources(template, places, value)
}

/// The assignments (variable, text typed whole) whose text, put in place of the variable in
/// one of `urls`, lands in what that URL sends as a credential ([`credential_sources`]), the
/// URL's other references taking `value` (`set = { Host = "bob:pw@h" }` with
/// `https://$(Host)/v1`). Each URL is read once, and only against what is assigned to the
/// variables it reads.
pub(crate) fn credential_assignments<'a>(
    urls: impl Iterator<Item = &'a str>,
    assignments: impl Iterator<Item = (&'a str, &'a str)>,
    value: impl Fn(&str) -> Option<String>,
) -> std::collections::BTreeSet<(String, String)> {
    let mut typed: std::collections::HashMap<&str, Vec<&str>> = Default::default();
    for (variable, text) in assignments {
        let whole = !text.trim().is_empty() && references(text).is_ok_and(|r| r.is_empty());
        if whole {
            typed.entry(variable).or_default().push(text);
        }
    }
    let mut found = std::collections::BTreeSet::new();
    if typed.is_empty() {
        return found;
    }
    for url in urls {
        let read = references(url).unwrap_or_default();
        for variable in read.iter().map(|r| r.name) {
            for &text in typed.get(variable).into_iter().flatten() {
                let put = |name: &str| match name == variable {
                    true => Some(text.to_string()),
                    false => value(name),
                };
                if credential_sources(url, put).contains(&variable) {
                    found.insert((variable.to_string(), text.to_string()));
                }
            }
        }
    }
    found
}

/// Replaces each whole `$(...)` with what `with` makes of it.
fn splice(text: &str, mut with: impl FnMut(&Reference) -> String) -> String {
    if !text.contains("$(") {
        return text.to_string();
    }
    let Ok(refs) = references(text) else {
        return text.to_string();
    };
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for r in refs {
        out.push_str(&text[last..r.range.start]);
        out.push_str(&with(&r));
        last = r.range.end;
    }
    out.push_str(&text[last..]);
    out
}

/// The reverse of compiling: `$(n4.token)` spelled `$(fetch_token.token)` and
/// `$(n2.inboundWebhook.hook)`
/// spelled `$(start.inboundWebhook.hook)`, given each id's key. Unknown ids stay as they are.
pub fn spell_with_keys(text: &str, keys: &BTreeMap<NodeId, &str>) -> String {
    rewrite(text, |name| {
        let (head, rest) = split_node_reference(name)?;
        let id = NodeId::parse(head)?;
        if id == START_ID {
            return Some(format!("start.{rest}"));
        }
        keys.get(&id).map(|k| format!("{k}.{rest}"))
    })
}

/// Splits `key.output.path` into the node part and the output part.
pub fn split_node_reference(name: &str) -> Option<(&str, &str)> {
    name.split_once('.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_sources_are_the_values_landing_in_a_credential() {
        let values = |name: &str| {
            let value = match name {
                "Host" => "bob:pw@api.example.com",
                "Plain" => "api.example.com",
                "Query" => "a=1&apikey=k",
                "Path" => "v1",
                _ => return None,
            };
            Some(value.to_string())
        };
        let sources = |url| credential_sources(url, values);
        assert_eq!(
            sources("https://$(Host)/$(Path)?$(Query)"),
            ["Host", "Query"]
        );
        assert_eq!(
            sources("https://$(Plain)/$(Path)?a=$(Path)"),
            Vec::<&str>::new()
        );
        // A value that adds a parameter of its own after `&` sends it.
        assert_eq!(sources("https://$(Plain)/?b=$(Query)"), ["Query"]);
        // A reference with no value puts nothing in place, and moves nothing.
        assert_eq!(sources("https://$(None)$(Plain)/?key=$(Path)"), ["Path"]);
        assert_eq!(sources("https://u:pw@$(Plain)/"), Vec::<&str>::new());
        assert_eq!(sources("$(Host"), Vec::<&str>::new());
    }

    #[test]
    fn finds_references_with_ranges() {
        let refs = references("a $(x) b $(n4.https.statusCode)").unwrap();
        assert_eq!(refs.len(), 2);
        assert_eq!(refs[0].name, "x");
        assert_eq!(refs[0].range, 2..6);
        assert_eq!(refs[1].name, "n4.https.statusCode");
    }

    #[test]
    fn reports_unterminated_reference() {
        assert_eq!(references("ok $(x) $(broken"), Err(Unterminated(8)));
    }

    #[test]
    fn rewrites_only_what_is_asked() {
        let out = rewrite("$(fetch.token) and $(JDSToken)", |name| {
            name.strip_prefix("fetch.").map(|rest| format!("n4.{rest}"))
        });
        assert_eq!(out, "$(n4.token) and $(JDSToken)");
    }
}
