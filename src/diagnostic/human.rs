//! Diagnostics for people, drawn by annotate-snippets (the renderer rustc and cargo use): it
//! places the caret by display width, so it points at the right character after tabs and wide
//! (CJK) characters, and trims long lines around the span.

use super::{printable_name, Diagnostic, Severity, SourceFile, Span};
use annotate_snippets::{AnnotationKind, Group, Level, Origin, Renderer, Snippet};
use std::ops::Range;

impl Diagnostic {
    /// Diagnostics for people, plain, quoting each one's line from `sources`: file, line,
    /// column, the line with the span underlined, and help.
    ///
    /// Each part is one line: a line break in the message, the help, a note or the file's name
    /// (a node key, a variable or file name the message quotes) shows as U+FFFD, as every
    /// control character does (see [`printable_name`]), so that no name
    /// can forge a line of the report (` --> x`, then `error: forged.toml:3:1`).
    pub fn render_human(diagnostics: &[Diagnostic], sources: &[&SourceFile]) -> String {
        Self::render_human_styled(diagnostics, sources, false)
    }

    /// As [`Diagnostic::render_human`], coloured when `styled`.
    pub fn render_human_styled(
        diagnostics: &[Diagnostic],
        sources: &[&SourceFile],
        styled: bool,
    ) -> String {
        let renderer = if styled {
            Renderer::styled()
        } else {
            Renderer::plain()
        };
        let mut out = String::new();
        for d in diagnostics {
            let message = printable_name(&d.message);
            let level = match d.severity {
                Severity::Error => Level::ERROR,
                Severity::Warning => Level::WARNING,
            };
            let title = level.primary_title(message.as_ref()).id(d.code.as_str());
            let excerpt = d.span.as_ref().and_then(|span| {
                let source = sources.iter().find(|s| s.name == span.file)?;
                shown_line(source, span)
            });
            let mut group = match (&d.span, &excerpt) {
                (Some(span), Some(line)) => title.element(
                    Snippet::source(line.text.as_str())
                        .line_start(span.line)
                        .path(printable_name(&span.file))
                        .annotation(AnnotationKind::Primary.span(line.span.clone())),
                ),
                (Some(span), None) => {
                    // As the line would be shown (a file none of which is quoted: column 1).
                    let column = (sources.iter().find(|s| s.name == span.file))
                        .map_or(span.column, |s| s.shown_position(span.bytes.start).1);
                    title.element(
                        Origin::path(printable_name(&span.file))
                            .line(span.line)
                            .char_column(column),
                    )
                }
                (None, _) => Group::with_title(title),
            };
            let help = d.help.as_deref().map(printable_name);
            if let Some(help) = &help {
                group = group.element(Level::HELP.message(help.as_ref()));
            }
            let related: Vec<String> = d
                .related
                .iter()
                .map(|r| {
                    format!(
                        "{} at {}:{}:{}",
                        printable_name(&r.note),
                        printable_name(&r.span.file),
                        r.span.line,
                        r.span.column
                    )
                })
                .collect();
            for note in &related {
                group = group.element(Level::NOTE.message(note.as_str()));
            }
            out.push_str(&renderer.render(&[group]));
            out.push_str("\n\n");
        }
        out
    }
}

/// A span's first line as it is shown, and the span's place in it.
struct ShownLine {
    text: String,
    span: Range<usize>,
}

/// The line a span starts on, as it may be shown: a secret written literally becomes the
/// mask, whole (its length never shows, in the text or in the columns); control characters (a
/// NUL, an escape) would corrupt the terminal and show as U+FFFD. A span that runs on past
/// the line is marked to the line's end. None from a file no line of which is quoted.
fn shown_line(source: &SourceFile, span: &Span) -> Option<ShownLine> {
    if source.unquoted {
        return None;
    }
    let start = *source.line_starts().get(span.line.checked_sub(1)?)?;
    let end = source.text[start..]
        .find('\n')
        .map_or(source.text.len(), |i| start + i);
    let line = source.text[start..end].trim_end_matches('\r');
    let mut text = String::with_capacity(line.len());
    // For each byte of the line, where it lands in `text`.
    let mut shown_at = Vec::with_capacity(line.len() + 1);
    // Where the mask being shown starts: a place inside a hidden value shows there, as
    // `SourceFile::shown_position` counts it (the JSON and SARIF columns).
    let (mut masked_until, mut mask_at) = (0, 0);
    for (offset, c) in line.char_indices() {
        let at = start + offset;
        if at < masked_until {
            shown_at.extend(std::iter::repeat_n(mask_at, c.len_utf8()));
            continue;
        }
        shown_at.extend(std::iter::repeat_n(text.len(), c.len_utf8()));
        if at == 0 && c == '\u{feff}' {
            // A byte order mark: not shown, as editors do not show it.
            continue;
        }
        if let Some(secret_end) = source.secret_at(at) {
            (masked_until, mask_at) = (secret_end, text.len());
            text.push_str(crate::secret::MASK);
        } else if c.is_control() && c != '\t' {
            text.push('\u{fffd}');
        } else {
            text.push(c);
        }
    }
    shown_at.push(text.len());
    let local = |byte: usize| shown_at[byte.saturating_sub(start).min(line.len())];
    let from = local(span.bytes.start);
    let to = local(span.bytes.end.max(span.bytes.start)).max(from);
    Some(ShownLine {
        text,
        span: from..to,
    })
}
