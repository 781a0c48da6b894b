//! Markdown pieces shared by the sheet's sections.

use crate::flow::Variable;
use std::collections::BTreeMap;

/// An inline mark for a step that rests on undocumented behaviour, with why.
pub fn assumed(why: &str) -> String {
    format!("*assumed: {why}*")
}

pub fn code(text: &str) -> String {
    if text.is_empty() {
        return "(empty)".into();
    }
    let ticks = if text.contains('`') { "``" } else { "`" };
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!(
        "{ticks}{pad}{}{pad}{ticks}",
        text.replace('|', "\\|").replace('\n', " ")
    )
}

/// Text for a table cell: pipes escaped, one line, and no `<...>` that GitHub would take as HTML.
pub fn cell(text: &str) -> String {
    text.replace('|', "\\|")
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
