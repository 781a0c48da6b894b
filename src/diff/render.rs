//! Changes as text for a terminal, Markdown for a pull request, and JSON for scripts.

use super::*;

/// Plain text, one change a line; `colour` adds ANSI colours (for a terminal only).
pub fn render_text(changes: &[Change], colour: bool) -> String {
    let mut out = String::new();
    if changes.is_empty() {
        out.push_str("no logic changes\n");
        return out;
    }
    for c in changes {
        let (sign, paint) = match c.kind {
            ChangeKind::NodeAdded
            | ChangeKind::VariableAdded
            | ChangeKind::OutcomeAdded
            | ChangeKind::ParamAdded => ('+', "32"),
            ChangeKind::NodeRemoved
            | ChangeKind::VariableRemoved
            | ChangeKind::OutcomeRemoved
            | ChangeKind::ParamRemoved => ('-', "31"),
            _ => ('~', "33"),
        };
        let line = format!("{sign} {}", describe(c));
        if colour {
            let _ = writeln!(out, "\u{1b}[{paint}m{line}\u{1b}[0m");
        } else {
            let _ = writeln!(out, "{line}");
        }
    }
    out
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
    let mut out = format!("### Flow changes: `{old_name}` → `{new_name}`\n\n");
    if changes.is_empty() {
        out.push_str("No logic changes.\n");
        return out;
    }
    out.push_str("| change | where | before | after |\n|---|---|---|---|\n");
    let cell = |s: Option<&str>| {
        s.map_or("".to_string(), |s| {
            format!("`{}`", s.replace('|', "\\|").replace('`', "'"))
        })
    };
    for c in changes {
        let kind = serde_json::to_value(c.kind)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "| {kind} | `{}` | {} | {} |",
            c.path,
            cell(c.old.as_deref()),
            cell(c.new.as_deref())
        );
    }
    out
}

/// A JSON array of changes.
// `expect` below: Plain data with string keys always serialises.
#[allow(clippy::expect_used)]
pub fn render_json(changes: &[Change]) -> String {
    serde_json::to_string_pretty(changes).expect("changes serialise") + "\n"
}
