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
