//! `wxcflow fmt`: canonical, idempotent, comment-preserving, logic-preserving.
// A test stops at the first thing that is not as expected.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use common::fixture;
use wxcflow::diagnostic::SourceFile;
use wxcflow::spec::Spec;

fn specs() -> Vec<SourceFile> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths = vec![root.join("templates/get-oauth-token.toml")];
    for dir in ["fixtures/valid", "fixtures/invalid"] {
        paths.extend(
            std::fs::read_dir(root.join(dir))
                .unwrap()
                .map(|e| e.unwrap().path()),
        );
    }
    for case in std::fs::read_dir(root.join("fixtures/revisions")).unwrap() {
        let case = case.unwrap().path();
        paths.push(case.join("old.toml"));
        paths.push(case.join("new.toml"));
    }
    paths.sort();
    paths.iter().map(|p| fixture(p)).collect()
}

fn comment_lines(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.find('#').map(|i| l[i..].trim_end().to_string()))
        .filter(|c| !c.starts_with("#\""))
        .collect()
}

#[test]
fn formatting_is_idempotent_and_keeps_logic_and_comments() {
    for source in specs() {
        let Ok(once) = Spec::format(&source) else {
            // Not TOML: a syntax error, an integer past 64 bits.
            assert!(
                source.name.contains("toml-syntax") || source.name.contains("integer-too-large"),
                "{} should format",
                source.name
            );
            continue;
        };
        let twice = Spec::format(&SourceFile::new(source.name.clone(), once.clone())).unwrap();
        assert_eq!(once, twice, "{} is not idempotent", source.name);
        let mut before = comment_lines(&source.text);
        let mut after = comment_lines(&once);
        before.sort();
        after.sort();
        assert_eq!(before, after, "{} lost or changed comments", source.name);
        let original = common::compiler().build(&source);
        let formatted = common::compiler().build(&SourceFile::new(source.name.clone(), once));
        assert_eq!(
            original.output.map(|o| o.1),
            formatted.output.map(|o| o.1),
            "{} compiles differently once formatted",
            source.name
        );
    }
}

#[test]
fn committed_specs_are_formatted() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for path in [root.join("templates/get-oauth-token.toml")]
        .into_iter()
        .chain(
            std::fs::read_dir(root.join("fixtures/valid"))
                .unwrap()
                .map(|e| e.unwrap().path()),
        )
    {
        let source = fixture(&path);
        assert_eq!(
            Spec::format(&source).unwrap(),
            source.text,
            "{} needs `wxcflow fmt`",
            source.name
        );
    }
}

#[test]
fn a_messy_spec_is_made_canonical() {
    let messy = "# header comment\n\n\n[nodes.a]   # the only node\ntype   =    \"call_flow\"  \nflow=\"Child\"    # the child\n\n\nnext = { onSuccess = \"end:Success\", onError = \"end:Error\" }\n[trigger]\ntype = \"webhook\"\nevent = \"E\"\nsample = '{}'\nnext = \"a\"\n\n\n# about the flow\n[flow]\nname = \"Messy\"\n\n\n# trailing comment\n";
    let formatted = Spec::format(&SourceFile::new("messy.toml", messy)).unwrap();
    insta::assert_snapshot!(formatted);
}

#[test]
fn the_cli_checks_and_rewrites() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.toml"), "[flow]\nname  =  \"A\"\n").unwrap();
    std::fs::write(dir.path().join("b.toml"), "[flow]\nname = \"B\"\n").unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_wxcflow"))
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    let check = run(&["fmt", "--check", "a.toml", "b.toml"]);
    assert_eq!(check.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&check.stdout), "a.toml\n");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("a.toml")).unwrap(),
        "[flow]\nname  =  \"A\"\n"
    );
    assert_eq!(run(&["fmt", "a.toml", "b.toml"]).status.code(), Some(0));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("a.toml")).unwrap(),
        "[flow]\nname = \"A\"\n"
    );
    assert_eq!(
        run(&["fmt", "--check", "a.toml", "b.toml"]).status.code(),
        Some(0)
    );
    std::fs::write(dir.path().join("c.toml"), "[flow\n").unwrap();
    let broken = run(&["fmt", "c.toml"]);
    assert_eq!(broken.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&broken.stderr).contains("c.toml:1:"));
}

/// Arrays of tables written before `[flow]` (an action list first): formatting moves them with
/// their section, once, and the spec builds the same document either way, holding no secret
/// (a spec that reads says its secrets exactly, whatever the order of its tables).
#[test]
fn a_spec_beginning_with_an_action_list_formats_once_and_builds_the_same() {
    let text = "[[nodes.b.on_enter]]\n# one\nset = { X = \"2\" }\n[flow]\nname = \"P\"\n\
        [[nodes.b.on_enter]]\nset = { X = \"3\" }\n[nodes.b]\ntype = \"branch\"\n\
        branches = [{ name = \"A\", all = [{ variable = \"$(X)\", operator = \"equals\", value = \"1\" }] }]\n\
        next = { A = \"end:Success\", none = \"end:Error\", onError = \"end:Error\" }\n\
        [trigger]\ntype = \"webhook\"\nevent = \"P\"\nsample = '{\"x\": 1}'\nnext = \"b\"\n\
        [variables.X]\ndefault = \"1\"\n";
    let spec = SourceFile::new("p.toml", text);
    let formatted = Spec::format(&spec).unwrap();
    assert!(formatted.starts_with("[flow]\n"), "{formatted}");
    let again = SourceFile::new("p.toml", formatted.clone());
    assert_eq!(Spec::format(&again).unwrap(), formatted);
    let (a, b) = (
        common::compiler().build(&spec),
        common::compiler().build(&again),
    );
    assert!(a.output.is_some(), "{:?}", a.diagnostics);
    assert_eq!(
        a.output.as_ref().map(|(d, _)| &d.flow),
        b.output.as_ref().map(|(d, _)| &d.flow)
    );
    assert!(!a.holds_secret() && !b.holds_secret());
}
