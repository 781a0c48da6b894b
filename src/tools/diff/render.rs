//! Changes as text for a terminal, Markdown for a pull request, and JSON for scripts.

use super::*;

/// How a change reads at the start of its line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sign {
    /// `+`, in green.
    Added,
    /// `-`, in red.
    Removed,
    /// `~`, in yellow.
    Changed,
}

/// Changes as text, one a line (`+`, `-`, `~`); `colour` adds ANSI colours (a terminal only).
/// Flow documents and Flow Designer files both print through it.
pub fn text_lines(lines: impl IntoIterator<Item = (Sign, String)>, colour: bool) -> String {
    let mut out = String::new();
    for (sign, text) in lines {
        let (mark, paint) = match sign {
            Sign::Added => ('+', "32"),
            Sign::Removed => ('-', "31"),
            Sign::Changed => ('~', "33"),
        };
        if colour {
            let _ = writeln!(out, "\u{1b}[{paint}m{mark} {text}\u{1b}[0m");
        } else {
            let _ = writeln!(out, "{mark} {text}");
        }
    }
    if out.is_empty() {
        out.push_str("no logic changes\n");
    }
    out
}

/// One row of a Markdown change table: kind, path, before, after.
pub type MarkdownRow<'a> = (String, &'a str, Option<&'a str>, Option<&'a str>);

/// Changes as a Markdown table under `heading`, for a pull-request comment.
pub fn markdown_table<'a>(
    heading: &str,
    rows: impl IntoIterator<Item = MarkdownRow<'a>>,
) -> String {
    let mut out = format!("{heading}\n\n");
    let cell = |s: Option<&str>| {
        s.map_or(String::new(), |s| {
            format!("`{}`", s.replace('|', "\\|").replace('`', "'"))
        })
    };
    let mut any = false;
    for (kind, path, old, new) in rows {
        if !any {
            out.push_str("| change | where | before | after |\n|---|---|---|---|\n");
            any = true;
        }
        let _ = writeln!(out, "| {kind} | `{path}` | {} | {} |", cell(old), cell(new));
    }
    if !any {
        out.push_str("No logic changes.\n");
    }
    out
}

/// A change kind's stable name (`node-added`), as JSON writes it.
pub fn kind_name(kind: &impl Serialize) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

/// Plain text, one change a line; `colour` adds ANSI colours (for a terminal only).
pub fn render_text(changes: &[Change], colour: bool) -> String {
    let lines = changes.iter().map(|c| {
        let sign = match c.kind {
            ChangeKind::NodeAdded
            | ChangeKind::VariableAdded
            | ChangeKind::OutcomeAdded
            | ChangeKind::ParamAdded => Sign::Added,
            ChangeKind::NodeRemoved
            | ChangeKind::VariableRemoved
            | ChangeKind::OutcomeRemoved
            | ChangeKind::ParamRemoved => Sign::Removed,
            _ => Sign::Changed,
        };
        (sign, describe(c))
    });
    text_lines(lines, colour)
}

fn describe(c: &Change) -> String {
    let arrow = |c: &Change| {
        format!(
            "{} → {}",
            c.old.as_deref().unwrap_or("(none)"),
            c.new.as_deref().unwrap_or("(none)")
        )
    };
    match c.kind {
        ChangeKind::NodeAdded => {
            format!("node {} added ({})", c.path, c.new.as_deref().unwrap_or(""))
        }
        ChangeKind::NodeRemoved => format!(
            "node {} removed (was {})",
            c.path,
            c.old.as_deref().unwrap_or("")
        ),
        ChangeKind::NodeRenamed => format!("node renamed: {}", arrow(c)),
        ChangeKind::VariableAdded => format!(
            "custom variable {} added",
            c.path.trim_start_matches("variables.")
        ),
        ChangeKind::VariableRemoved => format!(
            "custom variable {} removed",
            c.path.trim_start_matches("variables.")
        ),
        ChangeKind::OutcomeAdded => format!(
            "flow outcome {} added",
            c.path.trim_start_matches("outcomes.")
        ),
        ChangeKind::OutcomeRemoved => format!(
            "flow outcome {} removed",
            c.path.trim_start_matches("outcomes.")
        ),
        ChangeKind::EdgeRewired => format!("edge {}: {}", c.path, arrow(c)),
        ChangeKind::ParamAdded => format!(
            "template parameter {} added",
            c.path.trim_start_matches("params.")
        ),
        ChangeKind::ParamRemoved => format!(
            "template parameter {} removed",
            c.path.trim_start_matches("params.")
        ),
        _ => format!("{}: {}", c.path, arrow(c)),
    }
}

/// Markdown for a pull-request comment.
pub fn render_markdown(changes: &[Change], old_name: &str, new_name: &str) -> String {
    markdown_table(
        &format!("### Flow changes: `{old_name}` → `{new_name}`"),
        changes.iter().map(|c| {
            (
                kind_name(&c.kind),
                c.path.as_str(),
                c.old.as_deref(),
                c.new.as_deref(),
            )
        }),
    )
}

/// A JSON array of changes.
// `expect` below: Plain data with string keys always serialises.
#[allow(clippy::expect_used)]
pub fn render_json(changes: &[Change]) -> String {
    serde_json::to_string_pretty(changes).expect("changes serialise") + "\n"
}
