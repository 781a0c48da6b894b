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

/// How a line break in a value shows on the sheet's one line (Markdown keeps none in a span or
/// a table cell): as a sign a person types as a line break, not as a space.
pub const LINE_BREAK: char = '↵';

/// `text` on one line: each line break (CRLF, LF or CR) as [`LINE_BREAK`].
fn one_line(text: &str) -> String {
    text.replace("\r\n", "\n")
        .replace(['\r', '\n'], &LINE_BREAK.to_string())
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
    let mut body = crate::diagnostic::printable(&one_line(text)).into_owned();
    if in_table {
        body = body.replace('|', "\\|");
    }
    format!("{ticks}{pad}{body}{pad}{ticks}")
}

/// Text as Markdown shows it, literally, in a table cell or in prose, on one line: every
/// character that can begin Markdown inline markup backslash-escaped (CommonMark lets any ASCII
/// punctuation be), so that no name, note or description makes a link (`[l](javascript:x)`, a
/// bare `https://`, `www.` or e-mail address), HTML (`<script>`), an entity (`&lt;`), emphasis,
/// a code span, math or a table column; and at the start, what would begin a block (`#`, `-`,
/// `+`, `=`, a list number's `.`).
pub fn cell(text: &str) -> String {
    let flat = one_line(text);
    let printable = crate::diagnostic::printable(&flat);
    let mut out = String::with_capacity(printable.len());
    let chars: Vec<char> = printable.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let before = &chars[..i];
        let escaped = match c {
            '\\' | '`' | '*' | '[' | ']' | '(' | ')' | '<' | '>' | '&' | '|' | '~' | '$' | '@' => {
                true
            }
            // Within a word (`ACME_TOKEN`) `_` emphasises nothing.
            '_' => {
                !(i > 0
                    && chars[i - 1].is_alphanumeric()
                    && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric()))
            }
            // `https://` would be made a link.
            ':' => chars.get(i + 1..i + 3) == Some(&['/', '/'][..]),
            '#' | '-' | '+' | '=' => i == 0,
            // `1.` would start a list, `www.` an address.
            '.' => {
                (!before.is_empty() && before.iter().all(char::is_ascii_digit))
                    || before.len() >= 3
                        && before[i - 3..].iter().all(|w| w.eq_ignore_ascii_case(&'w'))
            }
            _ => false,
        };
        if escaped {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A note or description as a paragraph of its own: each line as [`cell`] writes it, joined
/// by hard line breaks, so that what it says keeps its lines and none starts a heading, list,
/// quote or code block.
pub fn paragraph(text: &str) -> String {
    text.lines()
        .map(|line| cell(line.trim()))
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("\\\n")
}

/// A fence for a code block that holds `text`: more backticks than its longest run, at least
/// three.
pub fn fence(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    "`".repeat(3.max(longest + 1))
}

/// A variable's default as the sheet shows it; secrets only as a placeholder naming their source,
/// a default a request sends as a credential (`credential`: [`crate::flow::Flow::credential_defaults`])
/// as the mask.
pub fn default_text(
    v: &Variable,
    origins: &BTreeMap<String, Vec<String>>,
    credential: bool,
) -> String {
    match (v.secret, v.default.is_empty()) {
        (true, false) => match origins.get(&v.name).filter(|o| !o.is_empty()) {
            Some(from) => format!(
                "*secret, not shown: take it from {}*",
                cell(&from.join(" and "))
            ),
            None => format!(
                "*secret, not shown: the {} value you were given*",
                code(&v.name)
            ),
        },
        (true, true) => "(empty; secret)".into(),
        // Sent as a credential, by where it lands in a request's URL: nothing of it is shown.
        _ if credential => code(crate::secret::MASK),
        // A URL carrying a credential typed in clear: where it goes, its credentials masked.
        _ if v.default_types_credential() => {
            use crate::secret::names::{url_with_credentials_masked, CONNECT_REFERENCES};
            code(&url_with_credentials_masked(&v.default, CONNECT_REFERENCES))
        }
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
    use super::{cell, code, code_inline, paragraph};

    #[test]
    fn a_code_span_holds_backticks_and_pipes_as_typed() {
        assert_eq!(code("a|b`c``d"), "```a\\|b`c``d```");
        assert_eq!(code_inline("A | B"), "`A | B`");
        assert_eq!(code("`x`"), "`` `x` ``");
        assert_eq!(code_inline("one\ntwo\r\nthree"), "`one↵two↵three`");
        assert_eq!(code(""), "(empty)");
    }

    #[test]
    fn a_cell_shows_any_text_as_it_is() {
        assert_eq!(cell("a|b"), "a\\|b");
        assert_eq!(cell("[l](javascript:x)"), "\\[l\\]\\(javascript:x\\)");
        assert_eq!(cell("_a_ A_B https://x"), "\\_a\\_ A_B https\\://x");
        assert_eq!(cell("<script>"), "\\<script\\>");
        assert_eq!(cell("one\ntwo `x`"), "one↵two \\`x\\`");
        assert_eq!(paragraph("# one\n\n    two"), "\\# one\\\ntwo");
        assert_eq!(
            cell("1. www.example.com, a@b.c."),
            "1\\. www\\.example.com, a\\@b.c."
        );
        assert_eq!(cell("The flow failed."), "The flow failed.");
    }
}
