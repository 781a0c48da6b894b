//! The library's modules use each other one way only (docs/internals.md, "Which module may use
//! which"): a module names only modules listed before it, and inside `flow_designer/` the files
//! named below keep their order too. A use that points up is a circle in waiting.

use std::path::{Path, PathBuf};

/// The top-level modules, lowest first.
const ORDER: [&str; 14] = [
    "secret",
    "diagnostic",
    "spec",
    "flow",
    "lower",
    "check",
    "validate",
    "emit",
    "render",
    "tools",
    "flow_designer",
    "input",
    "compiler",
    "embedded",
];

/// Files of `flow_designer/` whose order matters, lowest first.
const FLOW_DESIGNER_ORDER: [&str; 6] = ["model", "secrets", "quote", "sheet", "push", "lint"];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file without comments and without its trailing `#[cfg(test)]` module (a test
/// may reach anywhere).
fn code(text: &str) -> String {
    let text = text.split("\n#[cfg(test)]\nmod ").next().unwrap();
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The names that follow `prefix` in the code (`crate::flow::walk` gives `flow` for `crate::`).
fn named_after<'a>(code: &'a str, prefix: &str) -> Vec<&'a str> {
    code.match_indices(prefix)
        .filter(|(at, _)| {
            code[..*at]
                .chars()
                .next_back()
                .is_none_or(|c| !c.is_alphanumeric() && c != '_')
        })
        .map(|(at, _)| {
            let rest = &code[at + prefix.len()..];
            let end = rest
                .find(|c: char| !c.is_alphanumeric() && c != '_')
                .unwrap_or(rest.len());
            &rest[..end]
        })
        .collect()
}

#[test]
fn modules_use_only_the_modules_below_them() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut upward = Vec::new();
    for (rank, module) in ORDER.iter().enumerate() {
        let mut files = Vec::new();
        let dir = src.join(module);
        if dir.is_dir() {
            rust_files(&dir, &mut files);
        } else {
            files.push(src.join(format!("{module}.rs")));
        }
        for file in files {
            let code = code(&std::fs::read_to_string(&file).unwrap());
            for used in named_after(&code, "crate::") {
                let used_rank = ORDER.iter().position(|m| *m == used);
                if used_rank.is_some_and(|r| r > rank) {
                    upward.push(format!("{} uses crate::{used}", file.display()));
                }
            }
        }
    }
    assert_none_up(upward);
}

#[test]
fn flow_designer_files_use_only_the_files_below_them() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/flow_designer");
    let mut upward = Vec::new();
    for (rank, file) in FLOW_DESIGNER_ORDER.iter().enumerate() {
        let code = code(&std::fs::read_to_string(dir.join(format!("{file}.rs"))).unwrap());
        let mut used = named_after(&code, "super::");
        used.extend(named_after(&code, "crate::flow_designer::"));
        for used in used {
            let used_rank = FLOW_DESIGNER_ORDER.iter().position(|f| *f == used);
            if used_rank.is_some_and(|r| r > rank) {
                upward.push(format!("flow_designer/{file}.rs uses {used}"));
            }
        }
    }
    assert_none_up(upward);
}

/// Fails listing every use that points up, once each.
fn assert_none_up(mut upward: Vec<String>) {
    upward.sort();
    upward.dedup();
    assert!(
        upward.is_empty(),
        "uses that point up:\n{}",
        upward.join("\n")
    );
}
