//! Tenants of one template checked once per set of switches (`wxcflow::Groups`): every
//! build the same, diagnostic for diagnostic and byte for byte, as the whole pipeline's.
// A test stops at the first thing that is not as expected.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::{self, fixture, secrets};
use std::path::Path;
use wxcflow::diagnostic::SourceFile;
use wxcflow::render::{Renderer, SecretStore, Tenant};
use wxcflow::Build;
use wxcflow::Groups;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn assert_same(grouped: &Build, whole: &Build, what: &str) {
    assert_eq!(
        grouped.diagnostics, whole.diagnostics,
        "{what}: diagnostics"
    );
    assert_eq!(grouped.output, whole.output, "{what}: document");
    assert_eq!(grouped.secret_origins, whole.secret_origins, "{what}");
    assert_eq!(grouped.secret_spans, whole.secret_spans, "{what}");
    assert_eq!(grouped.holds_secret(), whole.holds_secret(), "{what}");
}

/// Builds every tenant through one `Groups`, in this order, each compared with the whole
/// pipeline; returns the builds.
fn build_all(
    template: &SourceFile,
    tenants: &[Option<&Tenant>],
    store: &dyn SecretStore,
) -> (Vec<Build>, usize) {
    let spec = wxcflow::Spec::parse(template).expect("template parses");
    let renderer = Renderer::new(&spec, Some(template)).expect("template compiles");
    let groups = Groups::new(common::compiler(), &renderer);
    let builds = tenants
        .iter()
        .map(|t| {
            let grouped = groups.build(*t, store);
            let whole = common::compiler().build_rendered(&renderer, *t, store);
            let what = format!("{} with {:?}", template.name, t.map(|t| &t.source.name));
            assert_same(&grouped, &whole, &what);
            grouped
        })
        .collect();
    (builds, groups.shared_sets())
}

fn tenant_text(name: &str, text: &str) -> Tenant {
    Tenant::parse(name, SourceFile::new(format!("tenants/{name}.toml"), text)).expect("parses")
}

#[test]
fn every_fixture_tenant_builds_as_the_whole_pipeline_builds_it_in_any_order() {
    let mut tenants: Vec<Tenant> = Vec::new();
    for dir in ["fixtures/tenants", "fixtures/tenant-errors"] {
        let mut paths: Vec<_> = std::fs::read_dir(root().join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        paths.sort();
        for path in paths {
            if let Ok(t) = Tenant::parse("t", fixture(&path)) {
                tenants.push(t);
            }
        }
    }
    assert!(tenants.len() > 10);
    let mut templates = vec![SourceFile::new(
        wxcflow::DEFAULT_SPEC_NAME,
        wxcflow::DEFAULT_SPEC,
    )];
    for dir in [
        "fixtures/templates",
        "fixtures/valid",
        "fixtures/template-errors",
    ] {
        for entry in std::fs::read_dir(root().join(dir)).unwrap() {
            templates.push(fixture(&entry.unwrap().path()));
        }
    }
    let store = secrets();
    let mut compiled = 0;
    for template in &templates {
        let Ok(spec) = wxcflow::Spec::parse(template) else {
            continue;
        };
        if Renderer::new(&spec, Some(template)).is_err() {
            continue;
        }
        compiled += 1;
        let mut order: Vec<Option<&Tenant>> = tenants.iter().map(Some).collect();
        order.push(None);
        // Twice over, so that every tenant also comes after one of its set.
        let twice: Vec<_> = order.iter().chain(order.iter()).copied().collect();
        build_all(template, &twice, &store);
        order.reverse();
        build_all(template, &order, &store);
    }
    assert!(compiled >= 3, "{compiled} templates compiled");
}

#[test]
fn a_value_that_breaks_a_check_is_caught_in_its_tenant_alone() {
    let template = SourceFile::new(wxcflow::DEFAULT_SPEC_NAME, wxcflow::DEFAULT_SPEC);
    let long = "a".repeat(1024 * 1024);
    let tenants = [
        tenant_text("good", "debug_url = \"https://webhook.site/good\"\n"),
        tenant_text("ftp", "debug_url = \"ftp://webhook.site/ftp\"\n"),
        tenant_text(
            "huge",
            &format!("token_service_url = \"https://t.example/{long}\"\n"),
        ),
        tenant_text(
            "private",
            "token_passphrase = { env = \"ACME_TOKEN_PASSPHRASE\" }\n",
        ),
        tenant_text("literal", "static_token = \"pasted-token-value\"\n"),
        tenant_text(
            "off",
            "debug_report = false\ndebug_url = \"https://a.example\"\n",
        ),
        tenant_text("also-good", "debug_url = \"https://webhook.site/also\"\n"),
        // Quotes, a newline, C1 controls and what looks like the emitter's own markers.
        tenant_text(
            "odd",
            "debug_url = \"https://a.example/\\\"q\\\"\\n\\u0085\\u009b\\u0000wxcflow-default-1\\u0000\"\n",
        ),
    ];
    let store = secrets();
    let order: Vec<Option<&Tenant>> = tenants.iter().map(Some).collect();
    let (builds, shared) = build_all(&template, &order, &store);
    let codes =
        |b: &Build| -> Vec<&str> { b.diagnostics.iter().map(|d| d.code.as_str()).collect() };
    // The first tenant's build is shared by its set (debug report on) and the second set's.
    assert_eq!(shared, 2);
    assert!(builds[0].diagnostics.is_empty() && builds[0].output.is_some());
    assert_eq!(codes(&builds[1]), ["wxc::param-type"]);
    assert!(builds[1].output.is_none());
    assert!(builds[2].has_errors() && builds[2].output.is_none());
    assert!(builds[2].diagnostics[0]
        .message
        .contains("could render up to"));
    assert!(builds[3].holds_secret() && !builds[0].holds_secret());
    assert_eq!(codes(&builds[4]), ["wxc::literal-secret"]);
    assert!(builds[4].holds_secret() && builds[4].output.is_some());
    let json = |b: &Build| b.output.as_ref().unwrap().1.clone();
    assert!(json(&builds[0]).contains("https://webhook.site/good"));
    assert!(json(&builds[6]).contains("https://webhook.site/also"));
    assert!(!json(&builds[6]).contains("https://webhook.site/good"));
    assert!(!json(&builds[5]).contains("debug_report"));
    assert!(json(&builds[7]).contains(r#"https://a.example/\"q\"\n\u0085\u009b\u0000wxcflow"#));
}

/// Sharing a document between tenants rests on the schema asking nothing of a variable's default
/// but that it is a string: a rule added there must be checked for every tenant.
#[test]
fn the_document_schema_asks_only_for_a_string_as_a_variable_default() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("schemas/flow-document.schema.json")).unwrap(),
    )
    .unwrap();
    let default = &schema["definitions"]["variable"]["properties"]["default"];
    assert_eq!(default, &serde_json::json!({ "type": "string" }));
}
