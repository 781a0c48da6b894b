//! One snapshot per fixture: documents for valid specs, exact diagnostics for broken ones.
// A test stops at the first thing that is not as expected.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use common::fixture;
use wxcflow::diagnostic::{Diagnostic, Severity, SourceFile};

#[test]
fn embedded_get_oauth_token_builds_clean() {
    let source = SourceFile::new(wxcflow::DEFAULT_SPEC_NAME, wxcflow::DEFAULT_SPEC);
    let build = common::compiler().build(&source);
    assert_eq!(
        build.diagnostics,
        vec![],
        "{}",
        Diagnostic::render_human(&build.diagnostics, &[&source])
    );
    let (document, json) = build.output.expect("document");
    assert_eq!(document.flow.trigger.event, "CCEP_GetOAuthToken");
    insta::assert_snapshot!("get_oauth_token_document", json);
}

#[test]
fn valid_fixtures_compile_to_documents() {
    insta::glob!("../../fixtures/valid", "*.toml", |path| {
        let source = fixture(path);
        let build = common::compiler().build(&source);
        assert!(
            !build.has_errors(),
            "{}",
            Diagnostic::render_human(&build.diagnostics, &[&source])
        );
        let (_, json) = build.output.expect("document");
        let report = format!(
            "{}--- document ---\n{json}",
            Diagnostic::render_human(&build.diagnostics, &[&source])
        );
        insta::assert_snapshot!(report);
    });
}

#[test]
fn invalid_fixtures_report_exact_diagnostics() {
    insta::glob!("../../fixtures/invalid", "*.toml", |path| {
        let source = fixture(path);
        let build = common::compiler().build(&source);
        assert!(
            !build.diagnostics.is_empty(),
            "{} produced no diagnostic",
            source.name
        );
        // A broken spec never yields a document, unless all it has are warnings.
        let has_errors = build
            .diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error);
        assert_eq!(build.output.is_none(), has_errors);
        insta::assert_snapshot!(Diagnostic::render_human(&build.diagnostics, &[&source]));
    });
}

#[test]
fn every_check_code_is_exercised_by_the_corpus() {
    let mut seen = std::collections::BTreeSet::new();
    for dir in ["fixtures/invalid", "fixtures/valid"] {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
        for entry in std::fs::read_dir(dir).unwrap() {
            let source = fixture(&entry.unwrap().path());
            for d in common::compiler().build(&source).diagnostics {
                seen.insert(d.code.as_str());
            }
        }
    }
    // Tenant files against the small template, and broken templates with one tenant.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let ping = fixture(&root.join("fixtures/templates/ping.toml"));
    let literal = fixture(&root.join("fixtures/tenant-errors/literal-secret.toml"));
    let literal = wxcflow::render::Tenant::parse("literal", literal).unwrap();
    let none = wxcflow::render::NoSecrets;
    let store = common::secrets();
    for entry in std::fs::read_dir(root.join("fixtures/tenant-errors")).unwrap() {
        let source = fixture(&entry.unwrap().path());
        let diagnostics = match wxcflow::render::Tenant::parse("t", source) {
            Ok(t) => {
                common::compiler()
                    .build_tenant(&ping, Some(&t), &store)
                    .diagnostics
            }
            Err(d) => vec![d],
        };
        seen.extend(diagnostics.iter().map(|d| d.code.as_str()));
    }
    for entry in std::fs::read_dir(root.join("fixtures/template-errors")).unwrap() {
        let template = fixture(&entry.unwrap().path());
        let build = common::compiler().build_tenant(&template, Some(&literal), &none);
        seen.extend(build.diagnostics.iter().map(|d| d.code.as_str()));
    }
    // Flow Designer: lint and read errors of its fixtures; specs it cannot express, lowered.
    use wxcflow::flow_designer as fd;
    for dir in ["lint", "invalid", "specs"] {
        for entry in std::fs::read_dir(root.join("fixtures/flow-designer").join(dir)).unwrap() {
            let source = fixture(&entry.unwrap().path());
            let diagnostics = fd::model::FdFlow::read(&source)
                .map_or_else(|d| d, |flow| flow.lint(Some(&source)));
            seen.extend(diagnostics.iter().map(|d| d.code.as_str()));
        }
    }
    let lowered_dirs = ["not-expressible", "parents"]
        .map(|d| std::fs::read_dir(root.join("fixtures/flow-designer").join(d)).unwrap());
    for entry in lowered_dirs.into_iter().flatten() {
        let source = fixture(&entry.unwrap().path());
        let lowered = lower(&source);
        seen.extend(lowered.diagnostics.iter().map(|d| d.code.as_str()));
        // What `check` says of the parent as written (its handoffs are unresolved).
        if let Some((flow, _)) = &lowered.output {
            seen.extend(
                fd::model::FdFlow::lint(flow, None)
                    .iter()
                    .map(|d| d.code.as_str()),
            );
        }
    }
    let embedded =
        wxcflow::diagnostic::SourceFile::new(wxcflow::DEFAULT_SPEC_NAME, wxcflow::DEFAULT_SPEC);
    let lowered = lower(&embedded);
    seen.extend(lowered.diagnostics.iter().map(|d| d.code.as_str()));
    let missing: Vec<&str> = wxcflow::diagnostic::Code::ALL
        .iter()
        .map(|c| c.as_str())
        .filter(|c| !seen.contains(c))
        // The schema guard fires only on a compiler bug; the `.workflow` refusal is the CLI's
        // (tests/cli/cli.rs); too-large needs an 11 MB input, which tests/cli/hostile.rs generates.
        .filter(|c| {
            ![
                "wxc::schema-violation",
                "wxc::workflow-output",
                "wxc::too-large",
                // Needs a flow of about 9,000 nodes: tests/library/scale.rs.
                "wxc::over-flow-size",
                // A Flow Designer run's: tests/flow_designer/flow_designer_run.rs.
                "wxc::run-stopped",
                "wxc::invalid-inputs",
                // A Flow Designer condition on a secure variable:
                // tests/flow_designer/flow_designer_secrets.rs.
                "wxc::secure-in-condition",
                // A render's file that cannot be read or written: tests/cli/render_folder.rs.
                "wxc::io",
                // `decompile`'s, of an export that breaks the schema:
                // tests/flow_designer/flow_designer_cli.rs.
                "wxc::not-rebuildable",
            ]
            .contains(c)
        })
        .collect();
    assert_eq!(missing, Vec::<&str>::new());
}

#[test]
fn json_diagnostics_carry_code_severity_span_and_help() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/invalid/many-problems.toml");
    let source = fixture(&path);
    let build = common::compiler().build(&source);
    insta::assert_snapshot!(Diagnostic::render_json(&build.diagnostics, &[&source]));
}

#[test]
fn the_readme_documents_every_code() {
    // The diagnostics table lives in docs/diagnostics.md; the README links to it.
    let readme = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/diagnostics.md"),
    )
    .unwrap();
    let missing: Vec<&str> = wxcflow::diagnostic::Code::ALL
        .iter()
        .map(|c| c.as_str())
        .filter(|c| !readme.contains(&format!("| `{c}` |")))
        .collect();
    assert_eq!(missing, Vec::<&str>::new());
}

/// A Webex Connect spec built for Flow Designer, as `build --target flow-designer` builds it.
fn lower(source: &wxcflow::diagnostic::SourceFile) -> wxcflow::flow_designer::FdBuild {
    let built = common::compiler().build_flow_designer(
        wxcflow::InputKind::Spec,
        source,
        None,
        &wxcflow::render::NoSecrets,
        &|_| Default::default(),
    );
    built.build
}
