//! Markdown pieces shared by the sheet's sections.

use crate::flow::Variable;
use std::collections::BTreeMap;

/// An inline mark for a step that rests on undocumented behaviour, with why.
pub fn assumed(why: &str) -> String {
    format!("*assumed: {why}*")
}

/// Text as a Markdown code span in a table cell: pipes escaped (GitHub tables split on them).
pub fn code(text: &str) -> String {
    span(text, true)
}

/// Text as a Markdown code span outside tables, where a `\|` would show its backslash.
pub fn code_inline(text: &str) -> String {
    span(text, false)
}

/// A code span that holds any text: fenced with one more backtick than the longest run in it
/// (CommonMark), padded when it starts or ends with one, on one line.
fn span(text: &str, in_table: bool) -> String {
    if text.is_empty() {
        return "(empty)".into();
    }
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let ticks = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    let mut body = crate::diagnostic::printable(&text.replace(['\r', '\n'], " ")).into_owned();
    if in_table {
        body = body.replace('|', "\\|");
    }
    format!("{ticks}{pad}{body}{pad}{ticks}")
}

/// Text for a table cell: pipes escaped, one line, and no `<...>` that GitHub would take as HTML.
pub fn cell(text: &str) -> String {
    crate::diagnostic::printable(text)
        .replace('|', "\\|")
        .replace('\n', " ")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A variable's default as the sheet shows it; secrets only as a placeholder naming their source.
pub fn default_text(v: &Variable, origins: &BTreeMap<String, Vec<String>>) -> String {
    match (v.secret, v.default.is_empty()) {
        (true, false) => match origins.get(&v.name).filter(|o| !o.is_empty()) {
            Some(from) => format!(
                "*secret, not shown: take it from {}*",
                cell(&from.join(" and "))
            ),
            None => format!("*secret, not shown: the `{}` value you were given*", v.name),
        },
        (true, true) => "(empty; secret)".into(),
        _ => code(&v.default),
    }
}

pub fn variable_notes(v: &Variable) -> String {
    let mut notes = Vec::new();
    if v.result {
        notes.push("Leave empty: this flow sets it for its parent.".to_string());
    }
    if v.secret {
        notes.push("Secret: never paste it into a node, a log or a debug URL.".to_string());
    }
    if let Some(n) = &v.note {
        notes.push(cell(n));
    }
    notes.join(" ")
}

#[cfg(test)]
mod tests {
    use super::{code, code_inline};

    #[test]
    fn a_code_span_holds_backticks_and_pipes_as_typed() {
        assert_eq!(code("a|b`c``d"), "```a\\|b`c``d```");
        assert_eq!(code_inline("A | B"), "`A | B`");
        assert_eq!(code("`x`"), "`` `x` ``");
        assert_eq!(code_inline("one\ntwo"), "`one two`");
        assert_eq!(code(""), "(empty)");
    }
}
