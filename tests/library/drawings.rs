//! Graphs and build sheets: snapshots for every flow, secrets kept out, DOT accepted by Graphviz,
//! and the committed GetOAuthToken sheet in step with a fresh render.
// A test stops at the first thing that is not as expected.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use common::fixture;
use wxcflow::diagnostic::SourceFile;
use wxcflow::flow::Flow;

fn compile(source: &SourceFile) -> Flow {
    common::compiler()
        .build(source)
        .output
        .expect("compiles")
        .0
        .flow
}

fn default_source() -> SourceFile {
    SourceFile::new(wxcflow::DEFAULT_SPEC_NAME, wxcflow::DEFAULT_SPEC)
}

#[test]
fn get_oauth_token_drawings_and_sheet() {
    let flow = compile(&default_source());
    insta::assert_snapshot!("get_oauth_token_mermaid", flow.mermaid());
    insta::assert_snapshot!("get_oauth_token_dot", flow.dot());
    insta::assert_snapshot!(
        "get_oauth_token_sheet",
        flow.sheet(wxcflow::DEFAULT_SPEC_NAME, &Default::default())
    );
}

#[test]
fn fixture_drawings_and_sheets() {
    insta::glob!("../../fixtures/valid", "*.toml", |path| {
        let source = fixture(path);
        let flow = compile(&source);
        let text = format!(
            "{}\n--- dot ---\n{}\n--- sheet ---\n{}",
            flow.mermaid(),
            flow.dot(),
            flow.sheet(&source.name, &Default::default())
        );
        insta::assert_snapshot!(text);
    });
}

#[test]
fn secret_values_never_appear_in_graphs_or_sheets() {
    let secrets = ["passphrase-Zq81", "static-token_PF84_f0e1d2c3"];
    let spec = wxcflow::DEFAULT_SPEC
        .replacen(
            "[variables.x-token-passphrase]\ndefault = \"{{ token_passphrase }}\"",
            &format!(
                "[variables.x-token-passphrase]\ndefault = \"{}\"",
                secrets[0]
            ),
            1,
        )
        .replacen(
            "[variables.StaticToken]\ndefault = \"{{ static_token }}\"",
            &format!("[variables.StaticToken]\ndefault = \"{}\"", secrets[1]),
            1,
        );
    let flow = compile(&SourceFile::new("tenant.toml", spec));
    assert_eq!(
        flow.variables
            .iter()
            .filter(|v| secrets.contains(&v.default.as_str()))
            .count(),
        2
    );
    let sheet = flow.sheet("tenant.toml", &Default::default());
    for text in [flow.mermaid(), flow.dot(), sheet.clone()] {
        for secret in secrets {
            assert!(!text.contains(secret), "secret leaked");
        }
    }
    assert!(sheet.contains("*secret, not shown: the `StaticToken` value you were given*"));
}

#[test]
fn graphviz_accepts_the_dot_output() {
    let mut sources = vec![default_source()];
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/valid");
    sources.extend(
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| fixture(&e.unwrap().path())),
    );
    for source in sources {
        let dot = wxcflow::flow::Flow::dot(&compile(&source));
        let Some(svg) = common::graphviz_svg(&dot) else {
            eprintln!("graphviz is not installed; .ci/run installs it");
            return;
        };
        let svg = svg.unwrap_or_else(|e| panic!("{}: {e}", source.name));
        assert!(svg.contains("<svg"));
    }
}

#[test]
fn the_committed_build_sheet_is_fresh() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/get-oauth-token-sheet.md");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    let fresh = wxcflow::flow::Flow::sheet(
        &compile(&default_source()),
        wxcflow::DEFAULT_SPEC_NAME,
        &Default::default(),
    );
    assert!(
        committed == fresh,
        "docs/get-oauth-token-sheet.md is stale: run `cargo run -- sheet -o docs/get-oauth-token-sheet.md`"
    );
}

#[test]
fn the_readme_shows_the_current_graph() {
    let readme =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .unwrap();
    let graph = wxcflow::flow::Flow::mermaid(&compile(&default_source()));
    assert!(
        readme.contains(&format!("```mermaid\n{graph}```")),
        "the README's GetOAuthToken graph is stale: paste the output of `cargo run -- graph`"
    );
}

#[test]
fn tenant_drawings_and_sheets_name_secret_sources_not_values() {
    let template = default_source();
    let store = common::secrets();
    insta::glob!("../../fixtures/tenants", "*.toml", |path| {
        let t = common::tenant(path);
        let build = common::compiler().build_tenant(&template, Some(&t), &store);
        let origins = build.secret_origins.clone();
        let flow = build.output.expect("builds").0.flow;
        let text = format!(
            "{}\n--- dot ---\n{}\n--- sheet ---\n{}",
            flow.mermaid(),
            flow.dot(),
            flow.sheet(wxcflow::DEFAULT_SPEC_NAME, &origins)
        );
        for secret in store.0.values().filter(|s| !s.is_empty()) {
            assert!(!text.contains(secret), "a secret value leaked");
        }
        insta::assert_snapshot!(text);
    });
}

/// What a name or note may hold that Markdown would read: a backtick, a cell separator, HTML,
/// a link, a line break and what it would start.
const HOSTILE: &str = "a`b``c|d<script>x</script>[l](javascript:x) www.example.com\n# h\n1. i";

/// Any name or note renders as the text it is: no link, no HTML, no broken code span, no row
/// split, no heading a note starts, in the Webex Connect sheet (names set through the library,
/// which a spec's checks would refuse).
#[test]
fn the_sheet_shows_any_name_or_note_as_the_text_it_is() {
    let mut flow = compile(&default_source());
    flow.description = Some(HOSTILE.to_string());
    for node in &mut flow.nodes {
        node.key = format!("{}{HOSTILE}", node.key);
        node.note = Some(format!("{HOSTILE}\n    indented\n- item\n==="));
    }
    for v in &mut flow.variables {
        v.name = format!("{}{HOSTILE}", v.name);
        v.note = Some(HOSTILE.to_string());
    }
    for o in &mut flow.outcomes {
        o.description = HOSTILE.to_string();
    }
    let sheet = flow.sheet("spec`|<b>.toml", &Default::default());
    common::assert_inert_markdown(&sheet, &["# Build sheet", "## ", "### n"]);
    assert!(sheet.contains(r"\[l\]\(javascript:x\)"), "{sheet}");
}

/// The same of the Flow Designer sheet: its flow's, variables' and activities' names and
/// descriptions.
#[test]
fn the_flow_designer_sheet_shows_any_name_or_description_as_the_text_it_is() {
    let source = fixture(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/flow-designer/exports/token-subflow.json"),
    );
    let mut flow = wxcflow::flow_designer::model::FdFlow::read(&source).expect("reads");
    flow.name = format!("{}{HOSTILE}", flow.name);
    for v in &mut flow.variables {
        v.name = format!("{}{HOSTILE}", v.name);
        v.description = HOSTILE.to_string();
        v.kind = HOSTILE.to_string();
    }
    for a in &mut flow.process.activities {
        a.settings.insert(
            "description".into(),
            serde_json::Value::String(HOSTILE.into()),
        );
    }
    let input = wxcflow::flow_designer::sheet::SheetInput {
        flow: &flow,
        source_name: "spec`|<b>.toml",
        file_name: "flow`|<b>.json",
        origins: &Default::default(),
        diagnostics: &[],
    };
    let sheet = input.sheet();
    common::assert_inert_markdown(&sheet, &["# Build sheet", "## "]);
    assert!(sheet.contains(r"\[l\]\(javascript:x\)"), "{sheet}");
}

/// An action one of whose values reads a variable the same action sets: the sheet marks the
/// order it relies on as assumed, and says what to check.
#[test]
fn the_sheet_marks_an_action_reading_its_own_variable_as_assumed() {
    let source = fixture(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/invalid/assignment-reads-same-action.toml"),
    );
    let sheet = compile(&source).sheet(&source.name, &Default::default());
    assert!(
        sheet.contains(
            "set `Out` = `$(Tmp)`, `Tmp` = `new`. (*assumed: an action's values are all read before any is written*: check that `Out` gets `Tmp`'s value from before the action)"
        ),
        "{sheet}"
    );
}

/// A value's line breaks show on the sheet's one line as ↵, which the sheet says once, not as
/// spaces a person would type; a sheet with none says nothing of it.
#[test]
fn line_breaks_in_values_show_as_such_on_the_sheet() {
    let source = SourceFile::new(
        "d.toml",
        "[flow]\nname = \"D\"\ndescription = \"a\\nb\"\n\n[trigger]\ntype = \"webhook\"\nevent = \"D\"\n\
         sample = '{\"n\": \"1\"}'\nnext = \"end:Success\"\n\n[outcomes.Success]\ndescription = \"ok\\ndone\"\n",
    );
    let sheet = compile(&source).sheet(&source.name, &Default::default());
    for part in [
        "Values in `code` are typed as shown (a ↵ is a line break);",
        "- Description: `a↵b`",
        "| ok↵done |",
    ] {
        assert!(sheet.contains(part), "{part}\n{sheet}");
    }
    let plain = compile(&default_source()).sheet(wxcflow::DEFAULT_SPEC_NAME, &Default::default());
    assert!(!plain.contains('↵') && plain.contains("Values in `code` are typed as shown;"));
}
