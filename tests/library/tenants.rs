//! Per-tenant variants: typed parameters, secrets, switches, batch rendering.
// A test stops at the first thing that is not as expected.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use common::fixture;
use std::path::Path;
use std::process::Command;
use wxcflow::diagnostic::{Diagnostic, SourceFile};
use wxcflow::render::Tenant;

use common::{secrets, tenant};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn get_oauth_token_for_every_tenant() {
    let template = SourceFile::new(wxcflow::DEFAULT_SPEC_NAME, wxcflow::DEFAULT_SPEC);
    let store = secrets();
    insta::glob!("../../fixtures/tenants", "*.toml", |path| {
        let t = tenant(path);
        let build = common::compiler().build_tenant(&template, Some(&t), &store);
        let report = Diagnostic::render_human(&build.diagnostics, &[&template, &t.source]);
        let (_, json) = build.output.as_ref().expect("builds");
        // Secret values are in the document (it is what a tenant deploys) but never in diagnostics.
        for secret in store.0.values().filter(|s| !s.is_empty()) {
            assert!(!report.contains(secret));
        }
        insta::assert_snapshot!(format!("{report}--- document ---\n{json}"));
    });
}

#[test]
fn every_tenant_error_names_the_tenant_file_and_key() {
    let template = fixture(&root().join("fixtures/templates/ping.toml"));
    let store = secrets();
    insta::glob!("../../fixtures/tenant-errors", "*.toml", |path| {
        let source = fixture(path);
        let report = match Tenant::parse("t", source.clone()) {
            Err(d) => Diagnostic::render_human(&[d], &[&source]),
            Ok(t) => {
                let build = common::compiler().build_tenant(&template, Some(&t), &store);
                assert!(!build.diagnostics.is_empty());
                for d in &build.diagnostics {
                    assert!(
                        d.message.contains(&source.name),
                        "{} does not name the tenant file",
                        d.message
                    );
                }
                // As the CLI quotes them: secrets written literally are hidden.
                let hidden = SourceFile::hiding(&[&template, &t.source], &build.secret_spans);
                Diagnostic::render_human(
                    &build.diagnostics,
                    &hidden.iter().map(AsRef::as_ref).collect::<Vec<_>>(),
                )
            }
        };
        // A value read from the environment or a file is never quoted, whatever the key.
        for value in store.0.values().filter(|v| v.len() > 3) {
            assert!(
                !report.contains(value.trim_start_matches('\u{feff}')),
                "{report}"
            );
        }
        insta::assert_snapshot!(report);
    });
}

#[test]
fn template_errors_point_into_the_template() {
    let store = secrets();
    let t = tenant(&root().join("fixtures/tenant-errors/literal-secret.toml"));
    insta::glob!("../../fixtures/template-errors", "*.toml", |path| {
        let template = fixture(path);
        let build = common::compiler().build_tenant(&template, Some(&t), &store);
        assert!(build.has_errors());
        let hidden = SourceFile::hiding(&[&template, &t.source], &build.secret_spans);
        insta::assert_snapshot!(Diagnostic::render_human(
            &build.diagnostics,
            &hidden.iter().map(AsRef::as_ref).collect::<Vec<_>>()
        ));
    });
}

/// Whether a template placing `url` as `flow_line` (under [flow]) and `variable` (a
/// [variables.U] table) renders for a tenant whose `url` is `value`, or is refused with
/// `wxc::credential-outside-url`.
fn credential_refused(value: &str, flow_line: &str, variable: &str) -> bool {
    credential_refused_as("url", value, flow_line, variable)
}

/// As [`credential_refused`], the parameter of type `kind` (`url` or `string`).
fn credential_refused_as(kind: &str, value: &str, flow_line: &str, variable: &str) -> bool {
    let template = format!(
        "[params.url]\ntype = \"{kind}\"\nrequired = true\n\n[params.base]\ntype = \"string\"\n\
         default = \"https://b.example/\"\n\n[flow]\nname = \"P\"\n{flow_line}\n\n\
         [trigger]\ntype = \"webhook\"\nevent = \"P\"\nsample = '{{\"id\": \"1\"}}'\nnext = \"ping\"\n\n\
         [variables.U]\n{variable}\n\n[nodes.ping]\ntype = \"http\"\nmethod = \"GET\"\n\
         url = \"https://ping.example.com/\"\n\
         next = {{ onSuccess = \"end:Success\", onError = \"end:Error\", onTimeout = \"end:Error\" }}\n"
    );
    let template = SourceFile::new("t.toml", template);
    let values = SourceFile::new("acme.toml", format!("url = \"{value}\"\n"));
    let t = Tenant::parse("acme", values).unwrap();
    let build = common::compiler().build_tenant(&template, Some(&t), &secrets());
    let refused =
        (build.diagnostics.iter()).any(|d| d.code.as_str() == "wxc::credential-outside-url");
    assert_eq!(refused, build.output.is_none(), "{:?}", build.diagnostics);
    refused
}

#[test]
fn a_url_credential_fills_only_the_start_of_a_url_read_whole() {
    let plain_flow = "description = \"Pings.\"";
    let described = "description = \"Pings {{ url }}.\"";
    let whole = "default = \"{{ url }}\"";
    let cases = [
        (plain_flow, whole, false),
        (plain_flow, "default = \"{{ url }}&lang=en\"", false),
        (
            plain_flow,
            "secret = true\ndefault = \"see {{ url }}\"",
            false,
        ),
        (described, whole, true),
        (plain_flow, "default = \"{{ base }}{{ url }}\"", true),
        (plain_flow, "default = \"{{ url }}?next={{ url }}\"", true),
        (plain_flow, "default = \"{{ url | lower }}\"", true),
        (
            plain_flow,
            "default = \"{% if url %}{{ url }}{% endif %}\"",
            true,
        ),
        // A comment renders nothing: the parameter still begins the default.
        (
            plain_flow,
            "default = \"{# the ping URL #}{{ url }}\"",
            false,
        ),
        (plain_flow, "default = \"{# a #}x{{ url }}\"", true),
    ];
    for credential in [
        "https://ping.example.com/?apikey=K1",
        "https://user:pw@ping.example.com/",
        "https://TOKEN@ping.example.com/",
    ] {
        for (flow_line, variable, refused) in cases {
            let got = credential_refused(credential, flow_line, variable);
            assert_eq!(got, refused, "{credential}: {flow_line} / {variable}");
        }
    }
    // A credential URL further in a value (`see https://...`) is no URL a reader takes whole:
    // refused wherever it goes but into a secret variable's default.
    let further_in = "see https://user:pw@ping.example.com/";
    for (flow_line, variable, refused) in [
        ("description = \"Pings.\"", "default = \"{{ url }}\"", true),
        (
            "description = \"Pings {{ url }}.\"",
            "default = \"x\"",
            true,
        ),
        (
            "description = \"Pings.\"",
            "secret = true\ndefault = \"{{ url }}\"",
            false,
        ),
    ] {
        let got = credential_refused_as("string", further_in, flow_line, variable);
        assert_eq!(got, refused, "{further_in}: {flow_line} / {variable}");
    }
    // The same URL without a credential goes anywhere.
    for (flow_line, variable, _) in cases {
        assert!(!credential_refused(
            "https://ping.example.com/?lang=en",
            flow_line,
            variable
        ));
    }
}

#[test]
fn a_hostile_value_stays_inside_its_string() {
    let hostile = "x\" ]] {{ debug_url }} {% raw %} [nodes.evil] type = \"http\" '''\"\"\"";
    let template = SourceFile::new("t.toml", wxcflow::DEFAULT_SPEC);
    let tenant = |value: &str| {
        let mut text = String::from("static_token = ");
        text.push_str(&toml::Value::String(value.into()).to_string());
        text.push('\n');
        Tenant::parse("hostile", SourceFile::new("hostile.toml", text)).unwrap()
    };
    // With line breaks, as a secret from a file would be: refused, not spliced in.
    let broken = format!("{hostile}\n[nodes.evil]\ntype = \"http\"\n");
    let build = common::compiler().build_tenant(&template, Some(&tenant(&broken)), &secrets());
    let codes: Vec<&str> = build.diagnostics.iter().map(|d| d.code.as_str()).collect();
    assert!(codes.contains(&"wxc::secret-value-invalid"), "{codes:?}");
    assert!(build.output.is_none());
    let t = tenant(hostile);
    let build = common::compiler().build_tenant(&template, Some(&t), &secrets());
    let (document, _) = build.output.expect("builds");
    let plain = common::compiler().build(&template).output.unwrap().0;
    // The value landed verbatim in StaticToken's default, and nothing else changed.
    let mut expected = plain.clone();
    for v in &mut expected.flow.variables {
        if v.name == "StaticToken" {
            v.default = hostile.to_string();
        }
    }
    assert_eq!(document, expected);
}

#[test]
fn switches_remove_nodes_and_rewire_their_edges() {
    let template = SourceFile::new("t.toml", wxcflow::DEFAULT_SPEC);
    let t = tenant(&root().join("fixtures/tenants/umbrella.toml"));
    let (document, _) = common::compiler()
        .build_tenant(&template, Some(&t), &secrets())
        .output
        .unwrap();
    let keys: Vec<&str> = document.flow.nodes.iter().map(|n| n.key.as_str()).collect();
    assert!(!keys.contains(&"debug_gate") && !keys.contains(&"debug_report"));
    // The switched-off debug gate is bypassed: the token's assignment node leads to the result.
    let check = document
        .flow
        .nodes
        .iter()
        .find(|n| n.key == "use_service_token")
        .unwrap();
    let result = document
        .flow
        .nodes
        .iter()
        .find(|n| n.key == "result")
        .unwrap();
    assert_eq!(
        check.exits[0].target,
        wxcflow::flow::Target::Node(result.id)
    );
    // And the debug report's variables went with it, with every assignment to them.
    let names: Vec<&str> = document
        .flow
        .variables
        .iter()
        .map(|v| v.name.as_str())
        .collect();
    for gone in ["Debug-URL", "TokenSource", "TokenStatus", "TokenMessage"] {
        assert!(!names.contains(&gone), "{gone} is still declared");
        assert!(!serde_json::to_string(&document.flow.nodes)
            .unwrap()
            .contains(gone));
    }
}

fn wxcflow(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_wxcflow"))
        .args(args)
        .current_dir(dir)
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

fn copy_tenants(dir: &Path) {
    std::fs::create_dir_all(dir.join("tenants")).unwrap();
    for entry in std::fs::read_dir(root().join("fixtures/tenants")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.join("tenants").join(path.file_name().unwrap())).unwrap();
    }
}

#[cfg(unix)]
#[test]
fn secrets_from_the_environment_never_reach_output_and_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    copy_tenants(dir.path());
    let env: Vec<(&str, &str)> = secrets().0.into_iter().collect();
    let out = wxcflow(
        dir.path(),
        &[
            "build",
            "--values",
            "tenants/acme.toml",
            "-o",
            "acme.flow.json",
        ],
        &env,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mode = std::fs::metadata(dir.path().join("acme.flow.json"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let batch = wxcflow(
        dir.path(),
        &[
            "render",
            wxcflow_template(dir.path()),
            "--tenants",
            "tenants",
            "-o",
            "out",
        ],
        &env,
    );
    assert_eq!(
        batch.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&batch.stderr)
    );
    for (_, secret) in env.iter().filter(|(_, s)| !s.is_empty()) {
        for stream in [&out.stdout, &out.stderr, &batch.stdout, &batch.stderr] {
            assert!(!String::from_utf8_lossy(stream).contains(secret));
        }
    }
    for (name, private) in [
        ("acme", true),
        ("globex", true),
        ("initech", true),
        ("umbrella", true),
    ] {
        let mode = std::fs::metadata(dir.path().join(format!("out/{name}.flow.json")))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777 == 0o600, private, "{name}");
    }
    insta::assert_snapshot!(String::from_utf8_lossy(&batch.stderr));
}

/// Writes the embedded template into `dir` and returns its name.
fn wxcflow_template(dir: &Path) -> &'static str {
    std::fs::write(dir.join("get-oauth-token.toml"), wxcflow::DEFAULT_SPEC).unwrap();
    "get-oauth-token.toml"
}

#[test]
fn batch_output_does_not_depend_on_jobs() {
    let dir = tempfile::tempdir().unwrap();
    copy_tenants(dir.path());
    let env: Vec<(&str, &str)> = secrets().0.into_iter().collect();
    let template = wxcflow_template(dir.path());
    for (jobs, out) in [("1", "one"), ("4", "four")] {
        let run = wxcflow(
            dir.path(),
            &[
                "render",
                template,
                "--tenants",
                "tenants",
                "-o",
                out,
                "--jobs",
                jobs,
            ],
            &env,
        );
        assert_eq!(run.status.code(), Some(0));
    }
    for name in ["acme", "globex", "initech", "umbrella"] {
        let a = std::fs::read(dir.path().join(format!("one/{name}.flow.json"))).unwrap();
        let b = std::fs::read(dir.path().join(format!("four/{name}.flow.json"))).unwrap();
        assert_eq!(a, b, "{name}");
    }
}

#[test]
fn one_failing_tenant_does_not_stop_the_others_and_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    copy_tenants(dir.path());
    std::fs::write(
        dir.path().join("tenants/broken.toml"),
        "token_service_url = \"ftp://nope\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("tenants/typo.toml"),
        "debug_urll = \"https://x.example\"\n",
    )
    .unwrap();
    let env: Vec<(&str, &str)> = secrets().0.into_iter().collect();
    let template = wxcflow_template(dir.path());
    let run = wxcflow(
        dir.path(),
        &["render", template, "--tenants", "tenants", "-o", "out"],
        &env,
    );
    assert_eq!(run.status.code(), Some(1));
    let mut written: Vec<String> = std::fs::read_dir(dir.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    assert_eq!(
        written,
        [
            "acme.flow.json",
            "globex.flow.json",
            "initech.flow.json",
            "umbrella.flow.json",
            "wxcflow-manifest.json"
        ]
    );
    insta::assert_snapshot!(String::from_utf8_lossy(&run.stderr));
}

#[test]
fn unsafe_or_colliding_tenant_names_are_refused() {
    for (files, expected) in [
        (&[".hidden.toml"][..], "is not a safe file name"),
        (&["Acme.toml", "acme.toml"][..], "would write the same file"),
        (&["bad name.toml"][..], "is not a safe file name"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("tenants")).unwrap();
        for f in files {
            std::fs::write(dir.path().join("tenants").join(f), "").unwrap();
        }
        let template = wxcflow_template(dir.path());
        let run = wxcflow(
            dir.path(),
            &["render", template, "--tenants", "tenants", "-o", "out"],
            &[],
        );
        assert_eq!(run.status.code(), Some(2));
        assert!(
            String::from_utf8_lossy(&run.stderr).contains(expected),
            "{files:?}"
        );
        assert!(!dir.path().join("out").exists());
    }
}

/// An outcome's description is a string like any other: rendered with the tenant's values, and
/// held to the rules of where a URL's credential may go (a description shows it).
#[test]
fn an_outcome_description_is_rendered_with_the_tenant() {
    let template = SourceFile::new(
        "t.toml",
        "[params.region]\ntype = \"string\"\nrequired = true\n\n\
         [flow]\nname = \"P\"\n\n\
         [trigger]\ntype = \"webhook\"\nevent = \"P\"\nsample = '{\"id\": \"1\"}'\nnext = \"end:Success\"\n\n\
         [outcomes.Success]\ndescription = \"Done in {{ region }}\"\n",
    );
    let tenant = |value: &str| {
        let values = SourceFile::new("acme.toml", format!("region = \"{value}\"\n"));
        Tenant::parse("acme", values).unwrap()
    };
    let build = common::compiler().build_tenant(&template, Some(&tenant("eu")), &secrets());
    let (document, _) = build.output.expect("builds");
    let success = document.flow.outcomes.iter().find(|o| o.name == "Success");
    assert_eq!(success.map(|o| o.description.as_str()), Some("Done in eu"));
    let leaked = tenant("https://u:pw@eu.example.com/");
    let build = common::compiler().build_tenant(&template, Some(&leaked), &secrets());
    let codes: Vec<&str> = build.diagnostics.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes, ["wxc::credential-outside-url"]);
}
