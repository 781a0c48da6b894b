//! Canonical formatting of specs, keeping every comment.
//!
//! The rules: tables in the order `[params.*]`, `[flow]`, `[trigger]`, `[variables.*]`, `[outcomes.*]`,
//! `[nodes.*]` (the author's order within each group); one blank line before each table header
//! and none inside a table; `key = value` with one space around `=`; a trailing comment kept as
//! `value  # comment`; no trailing spaces; one newline at the end. Values themselves (quoting,
//! inline tables, multi-line arrays) are left as written. Formatting is idempotent.

use crate::diagnostic::{Code, Diagnostic, SourceFile};
use toml_edit::{DocumentMut, Item, RawString, Table};

/// Formats a spec's text, or says where it is not valid TOML.
pub(crate) fn format_spec(source: &SourceFile) -> Result<String, Diagnostic> {
    let mut doc: DocumentMut = source.text.parse().map_err(|e: toml_edit::TomlError| {
        crate::spec::workflow_given(source).unwrap_or_else(|| {
            Diagnostic::new(
                Code::TomlSyntax,
                format!("invalid TOML: {}", e.message().trim_end()),
            )
            .with_span(e.span().map(|r| source.span(r)))
        })
    })?;
    reorder(doc.as_table_mut());
    normalise_table(doc.as_table_mut());
    let trailing = comments(doc.trailing().as_str().unwrap_or(""));
    doc.set_trailing(if trailing.is_empty() {
        String::new()
    } else {
        format!("\n{trailing}")
    });
    let mut text = doc.to_string();
    while text.ends_with("\n\n") {
        text.pop();
    }
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Ok(keep_schema_line_first(source, text))
}

/// A `#:schema` comment on the first line (the editor's pointer to the spec's JSON schema, read
/// there only) stays on the first line, wherever the table it was written above moves to.
fn keep_schema_line_first(source: &SourceFile, text: String) -> String {
    let first = source.text.trim_start_matches('\u{feff}').lines().next();
    let Some(schema) = first
        .map(str::trim_end)
        .filter(|l| l.starts_with("#:schema"))
    else {
        return text;
    };
    if text.lines().next() == Some(schema) {
        return text;
    }
    let mut rest = String::with_capacity(text.len());
    let mut removed = false;
    for line in text.split_inclusive('\n') {
        if !removed && line.trim_end() == schema {
            removed = true;
        } else {
            rest.push_str(line);
        }
    }
    format!("{schema}\n{}", rest.trim_start_matches('\n'))
}

fn rank(section: &str) -> usize {
    [
        "params",
        "flow",
        "trigger",
        "variables",
        "outcomes",
        "nodes",
    ]
    .iter()
    .position(|s| *s == section)
    .unwrap_or(5)
}

/// Gives every table header a new position: by section rank, then by its old position.
fn reorder(root: &mut Table) {
    let mut headers: Vec<(usize, isize, Vec<HeaderStep>)> = Vec::new();
    collect_headers(root, &mut Vec::new(), &mut headers);
    headers.sort_by_key(|(rank, position, _)| (*rank, *position));
    for (new_position, (_, _, path)) in headers.into_iter().enumerate() {
        if let Some(table) = table_at(root, &path) {
            table.set_position(Some(new_position as isize));
        }
    }
}

/// A step to a table with a header: a key, or an element of an array of tables
/// (`[[nodes.b.on_enter]]`), which has a header of its own and moves with its section.
#[derive(Clone)]
enum HeaderStep {
    Key(String),
    Element(String, usize),
}

impl HeaderStep {
    fn key(&self) -> &str {
        match self {
            HeaderStep::Key(k) | HeaderStep::Element(k, _) => k,
        }
    }
}

fn collect_headers(
    table: &Table,
    path: &mut Vec<HeaderStep>,
    out: &mut Vec<(usize, isize, Vec<HeaderStep>)>,
) {
    let mut found = |sub: &Table, step: HeaderStep, out: &mut Vec<_>| {
        path.push(step);
        if let Some(position) = sub.position().filter(|_| !sub.is_implicit()) {
            out.push((rank(path[0].key()), position, path.clone()));
        }
        collect_headers(sub, path, out);
        path.pop();
    };
    for (key, item) in table.iter() {
        match item {
            Item::Table(sub) => found(sub, HeaderStep::Key(key.to_string()), out),
            Item::ArrayOfTables(array) => {
                for (i, sub) in array.iter().enumerate() {
                    found(sub, HeaderStep::Element(key.to_string(), i), out);
                }
            }
            _ => {}
        }
    }
}

fn table_at<'a>(root: &'a mut Table, path: &[HeaderStep]) -> Option<&'a mut Table> {
    let mut table = root;
    for step in path {
        table = match step {
            HeaderStep::Key(key) => table.get_mut(key)?.as_table_mut()?,
            HeaderStep::Element(key, i) => {
                table.get_mut(key)?.as_array_of_tables_mut()?.get_mut(*i)?
            }
        };
    }
    Some(table)
}

/// The comment lines of a decor, each trimmed of trailing spaces and ended by a newline.
fn comments(raw: &str) -> String {
    raw.lines()
        .map(str::trim)
        .filter(|l| l.starts_with('#'))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// A same-line trailing comment, as `  # ...`, or nothing.
fn trailing_comment(raw: Option<&RawString>) -> String {
    let text = raw.and_then(RawString::as_str).unwrap_or("");
    match text.trim() {
        t if t.starts_with('#') => format!("  {t}"),
        _ => String::new(),
    }
}

fn normalise_table(table: &mut Table) {
    if table.position().is_some() && !table.is_implicit() {
        // After `reorder`, the header printed first is the one at position 0.
        let blank = if table.position() == Some(0) {
            ""
        } else {
            "\n"
        };
        let decor = table.decor_mut();
        let above = comments(decor.prefix().and_then(RawString::as_str).unwrap_or(""));
        decor.set_prefix(format!("{blank}{above}"));
        let after = trailing_comment(decor.suffix());
        decor.set_suffix(after);
    }
    let keys: Vec<String> = table.iter().map(|(k, _)| k.to_string()).collect();
    let mut subtables = Vec::new();
    for key in keys {
        let Some((mut key_mut, item)) = table.get_key_value_mut(&key) else {
            continue;
        };
        match item {
            Item::Value(value) => {
                let decor = key_mut.leaf_decor_mut();
                let above = comments(decor.prefix().and_then(RawString::as_str).unwrap_or(""));
                decor.set_prefix(above);
                decor.set_suffix(" ");
                let value_decor = value.decor_mut();
                let after = trailing_comment(value_decor.suffix());
                value_decor.set_prefix(" ");
                value_decor.set_suffix(after);
            }
            Item::Table(_) | Item::ArrayOfTables(_) => subtables.push(key),
            _ => {}
        }
    }
    for key in subtables {
        match table.get_mut(&key) {
            Some(Item::Table(sub)) => normalise_table(sub),
            Some(Item::ArrayOfTables(array)) => array.iter_mut().for_each(normalise_table),
            _ => {}
        }
    }
}

impl crate::spec::Spec {
    /// A spec's text (`source`) formatted: sections and keys in the canonical order, comments
    /// kept.
    pub fn format(source: &SourceFile) -> Result<String, Diagnostic> {
        format_spec(source)
    }
}

#[cfg(test)]
mod workflow_tests {
    use crate::diagnostic::SourceFile;

    #[test]
    fn a_schema_comment_on_the_first_line_stays_there() {
        let spec = SourceFile::new(
            "s.toml",
            "#:schema ./flow-spec.schema.json\n[trigger]\ntype = \"webhook\"\n\n[flow]\nname = \"F\"\n",
        );
        let formatted = super::format_spec(&spec).unwrap();
        assert_eq!(
            formatted,
            "#:schema ./flow-spec.schema.json\n[flow]\nname = \"F\"\n\n[trigger]\ntype = \"webhook\"\n"
        );
        let again = super::format_spec(&SourceFile::new("s.toml", formatted.clone())).unwrap();
        assert_eq!(again, formatted);
    }

    #[test]
    fn arrays_of_tables_move_with_their_section_and_a_second_run_changes_nothing() {
        let spec = SourceFile::new(
            "s.toml",
            "[[nodes.b.on_enter]]\n# one\nset = { X = \"2\" }\n[flow]\nname = \"P\"\n[[nodes.b.on_enter]]\nset = { X = \"3\" }\n[nodes.b]\ntype = \"branch\"\n[trigger]\ntype = \"webhook\"\n",
        );
        let formatted = super::format_spec(&spec).unwrap();
        assert_eq!(
            formatted,
            "[flow]\nname = \"P\"\n\n[trigger]\ntype = \"webhook\"\n\n[[nodes.b.on_enter]]\n# one\nset = { X = \"2\" }\n\n[[nodes.b.on_enter]]\nset = { X = \"3\" }\n\n[nodes.b]\ntype = \"branch\"\n"
        );
        let again = super::format_spec(&SourceFile::new("s.toml", formatted.clone())).unwrap();
        assert_eq!(again, formatted);
    }

    #[test]
    fn a_workflow_export_given_to_fmt_is_named_as_one_as_the_spec_reader_names_it() {
        let export = SourceFile::new("flow.workflow", "0a1b2c3d4e5f\n9a8b7c6d\n");
        let d = super::format_spec(&export).unwrap_err();
        assert!(
            d.message.contains("is a Webex Connect `.workflow` export"),
            "{}",
            d.message
        );
    }
}
