//! Names a person could confuse, or that break what is written from them: flow names that
//! would break the sheet's Markdown or a file name, names that differ only by case, custom
//! variables named like the platform's own.

use crate::diagnostic::Code;
use crate::flow::{DEFAULT_OUTCOMES, SYSTEM_VARIABLES};
use crate::spec::context::{Ctx, Help};
use crate::spec::model::{Spec, S};
use std::collections::BTreeMap;

pub fn check(spec: &Spec, cx: &mut Ctx) {
    flow_name(&spec.flow.name, cx);
    case_collisions(spec.variables.keys(), "custom variables", cx);
    case_collisions(spec.nodes.keys(), "node keys", cx);
    // The default outcomes exist whether declared or not: `[outcomes.success]` collides too.
    let defaults: Vec<S<String>> = DEFAULT_OUTCOMES
        .iter()
        .map(|(name, _, _)| S::new(0..0, name.to_string()))
        .collect();
    case_collisions(
        defaults.iter().chain(spec.outcomes.keys()),
        "flow outcomes",
        cx,
    );
    for node in spec.nodes.values() {
        case_collisions(
            node.branches.iter().flatten().map(|b| &b.name),
            "branch names",
            cx,
        );
    }
    for name in spec.variables.keys() {
        let n = name.get_ref();
        if let Some(system) = SYSTEM_VARIABLES.iter().find(|s| s.eq_ignore_ascii_case(n)) {
            // References are case-sensitive [doc]: only the same name is the system variable's.
            if *system == n.as_str() {
                cx.report(
                    Code::ReservedVariableName,
                    format!("custom variable `{n}` has the name of the system variable `{system}`"),
                    cx.span(name),
                )
                .help(format!(
                    "`$({system})` reads the platform's value; rename the variable"
                ));
            } else {
                cx.report(
                    Code::CaseCollision,
                    format!("custom variable `{n}` differs from the system variable `{system}` only by case"),
                    cx.span(name),
                )
                .help(format!(
                    "references are case-sensitive, readers are not: `$({n})` reads this variable, and reads like `$({system})`; rename it"
                ));
            }
        }
    }
}

/// A flow name is a line of the sheet, part of file names and of what Flow Builder lists.
fn flow_name(name: &S<String>, cx: &mut Ctx) {
    let text = name.get_ref();
    let bad = text.chars().find(|&c| {
        c.is_control()
            || c == '/'
            || c == '\\'
            // Bidirectional overrides and isolates make text read other than it is.
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
    });
    if let Some(c) = bad {
        cx.report(
            Code::InvalidName,
            format!("the flow name holds {}", describe(c)),
            cx.span(name),
        )
        .help("use letters, digits, spaces, `_`, `-` and `.`");
    }
}

fn describe(c: char) -> String {
    match c {
        '\n' => "a line break".into(),
        '\t' => "a tab".into(),
        '/' | '\\' => format!("`{c}`, which would be read as a folder"),
        c if c.is_control() => format!("a control character (U+{:04X})", c as u32),
        c => format!("a bidirectional text control (U+{:04X})", c as u32),
    }
}

/// Names that differ only by case: references are case-sensitive, people are not.
fn case_collisions<'a>(names: impl Iterator<Item = &'a S<String>>, what: &str, cx: &mut Ctx) {
    let mut seen: BTreeMap<String, &S<String>> = BTreeMap::new();
    for name in names {
        let folded = name.get_ref().to_lowercase();
        match seen.get(&folded) {
            Some(first) if first.get_ref() != name.get_ref() => {
                cx.report(
                    Code::CaseCollision,
                    format!(
                        "{what} `{}` and `{}` differ only by case",
                        first.get_ref(),
                        name.get_ref()
                    ),
                    cx.span(name),
                )
                .help("references are case-sensitive, readers are not: give them different names");
            }
            Some(_) => {}
            None => {
                seen.insert(folded, name);
            }
        }
    }
}
