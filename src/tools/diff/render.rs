//! Changes as text for a terminal, Markdown for a pull request, and JSON for scripts: flow
//! documents and Flow Designer flows alike.

use super::*;

impl ChangeKind {
    /// The stable name (`node-added`), as JSON writes it.
    pub fn name(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default()
    }

    /// What text calls the thing changed, and the prefix of its path that text leaves out.
    fn noun(self) -> (&'static str, &'static str) {
        use ChangeKind::*;
        match self {
            VariableAdded | VariableRemoved => ("variable", "variables."),
            OutcomeAdded | OutcomeRemoved => ("flow outcome", "outcomes."),
            ParamAdded | ParamRemoved => ("template parameter", "params."),
            NodeAdded | NodeRemoved | NodeRenamed => ("node", ""),
            ActivityAdded | ActivityRemoved | ActivityRenamed => ("activity", ""),
            LinkAdded | LinkRemoved | LinkRewired => ("link", ""),
            EdgeRewired => ("edge", ""),
            _ => ("", ""),
        }
    }
}

/// Plain text, one change a line (`+` added, `-` removed, `~` changed); `colour` adds ANSI
/// colours (for a terminal only).
pub fn render_text(changes: &[Change], colour: bool) -> String {
    let mut out = String::new();
    for c in changes {
        let name = c.kind.name();
        let (mark, paint) = if name.ends_with("-added") {
            ('+', "32")
        } else if name.ends_with("-removed") {
            ('-', "31")
        } else {
            ('~', "33")
        };
        let text = describe(c, &name);
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

/// Text from a flow as a line may hold it: control characters (an escape sequence in a name
/// would rewrite the terminal), line breaks and the bidirectional and line-separator marks are
/// written escaped (`\n`, `\u{1b}`), the rest as it is.
fn visible(text: &str) -> std::borrow::Cow<'_, str> {
    use crate::diagnostic::breaks_a_line;
    if !text.chars().any(breaks_a_line) {
        return text.into();
    }
    text.chars()
        .map(|c| match breaks_a_line(c) {
            true => c.escape_debug().to_string(),
            false => c.to_string(),
        })
        .collect::<String>()
        .into()
}

fn describe(c: &Change, name: &str) -> String {
    let old = visible(c.old.as_ref().map_or("(none)", Text::shown));
    let new = visible(c.new.as_ref().map_or("(none)", Text::shown));
    let (noun, prefix) = c.kind.noun();
    let path = visible(c.path.trim_start_matches(prefix));
    let link = c.kind == ChangeKind::LinkAdded || c.kind == ChangeKind::LinkRemoved;
    match name.rsplit('-').next() {
        Some("added") if link => format!("link {path} → {new} added"),
        Some("removed") if link => format!("link {path} → {old} removed"),
        Some("added") => match &c.new {
            Some(_) => format!("{noun} {path} added ({new})"),
            None => format!("{noun} {path} added"),
        },
        Some("removed") => match &c.old {
            Some(_) => format!("{noun} {path} removed (was {old})"),
            None => format!("{noun} {path} removed"),
        },
        Some("renamed") => format!("{noun} renamed: {old} → {new}"),
        Some("rewired") => format!("{noun} {path}: {old} → {new}"),
        _ => format!("{path}: {old} → {new}"),
    }
}

/// Markdown for a pull-request comment, headed `### {what}: `old` → `new``.
pub(crate) fn markdown(changes: &[Change], what: &str, old_name: &str, new_name: &str) -> String {
    // Every name and value is a code span fenced by more backticks than it holds, pipes
    // escaped: a name cannot end its span, split a cell or write HTML.
    use crate::emit::sheet::text::{code, code_inline};
    let (old_name, new_name) = (
        code_inline(&visible(old_name)),
        code_inline(&visible(new_name)),
    );
    let mut out = format!("### {what}: {old_name} → {new_name}\n\n");
    let cell = |s: Option<&Text>| s.map_or(String::new(), |s| code(&visible(s.shown())));
    if changes.is_empty() {
        out.push_str("No logic changes.\n");
    } else {
        out.push_str("| change | where | before | after |\n|---|---|---|---|\n");
    }
    for c in changes {
        let (kind, path) = (c.kind.name(), code(&visible(&c.path)));
        let (old, new) = (cell(c.old.as_ref()), cell(c.new.as_ref()));
        let _ = writeln!(out, "| {kind} | {path} | {old} | {new} |");
    }
    out
}

/// Markdown for a pull-request comment.
pub fn render_markdown(changes: &[Change], old_name: &str, new_name: &str) -> String {
    markdown(changes, "Flow changes", old_name, new_name)
}

/// A JSON array of changes, values as they are shown.
// `expect` below: plain data with string keys always serialises.
#[allow(clippy::expect_used)]
pub fn render_json(changes: &[Change]) -> String {
    serde_json::to_string_pretty(changes).expect("changes serialise") + "\n"
}
