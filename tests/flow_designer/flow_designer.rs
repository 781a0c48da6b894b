//! The Flow Designer target and reader: GetOAuthToken as a subflow, schema, determinism,
//! secrets, lint and diff fixtures, round trips.
// A test stops at the first thing that is not as expected.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;
use crate::fd_compare;

use common::{fixture, secrets, tenant};
use serde_json::Value;
use std::path::Path;
use wxcflow::diagnostic::{Code, Diagnostic, SourceFile};
use wxcflow::flow_designer::{self as fd, schema::FdValidator};
use wxcflow::InputKind;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn fd_validator() -> &'static FdValidator {
    static VALIDATOR: std::sync::OnceLock<FdValidator> = std::sync::OnceLock::new();
    VALIDATOR.get_or_init(FdValidator::new)
}

fn embedded() -> SourceFile {
    SourceFile::new(wxcflow::DEFAULT_SPEC_NAME, wxcflow::DEFAULT_SPEC)
}

/// Builds a Webex Connect spec (optionally for a tenant) for Flow Designer.
fn lowered(source: &SourceFile, tenant_file: Option<&str>) -> fd::FdBuild {
    let tenant = tenant_file.map(|t| tenant(&root().join(t)));
    common::compiler()
        .build_flow_designer(
            InputKind::Spec,
            source,
            tenant.as_ref(),
            &secrets(),
            &|_| Default::default(),
        )
        .build
}

#[test]
fn get_oauth_token_is_a_subflow_in_the_export_shape() {
    let build = lowered(&embedded(), None);
    let (flow, json) = build.output.expect("GetOAuthToken lowers");
    insta::assert_snapshot!("get_oauth_token_subflow", json);
    insta::assert_snapshot!(
        "get_oauth_token_subflow_diagnostics",
        Diagnostic::render_human(&build.diagnostics, &[&embedded()])
    );
    // Only approximations: nothing refused.
    assert!(build
        .diagnostics
        .iter()
        .all(|d| d.code == Code::Approximated));
    assert!(!build.holds_secret, "no tenant: no secret value");

    let value: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(fd_validator().validate(&value), Vec::<String>::new());
    assert_eq!(value["flowType"], "SUBFLOW");
    let variable = |name: &str| {
        flow.variables
            .iter()
            .find(|v| v.name == name)
            .unwrap_or_else(|| panic!("variable {name}"))
    };
    for (name, source, secure) in [
        ("Token_Service_URL", "SUBFLOW_INPUT", false),
        ("x_token_passphrase", "SUBFLOW_INPUT", true),
        ("StaticToken", "SUBFLOW_INPUT", true),
        ("JDSToken", "SUBFLOW_OUTPUT", true),
        ("FlowOutcome", "SUBFLOW_OUTPUT", false),
    ] {
        assert_eq!(
            (variable(name).source.as_str(), variable(name).is_secure),
            (source, secure),
            "{name}"
        );
    }
    let fetch = flow
        .process
        .activity("fetch_token")
        .unwrap()
        .http()
        .unwrap();
    assert_eq!(
        fetch.headers(),
        vec![("x-token-passphrase", "{{x_token_passphrase}}")]
    );
    let kinds: Vec<&str> = flow
        .process
        .activities
        .iter()
        .map(|a| a.type_name())
        .collect();
    for kind in [
        "NewSubFlowStart",
        "http-request-v2",
        "condition-activity",
        "set-variable",
        "end-subflow",
    ] {
        assert!(kinds.contains(&kind), "{kind}");
    }
    // Built as a person would: at most 12 activities, one End Subflow with several incoming
    // links, Set Variables assigning several variables, as Cisco's 2026 subflows are shaped.
    assert!(kinds.len() <= 12, "{} activities", kinds.len());
    let ends: Vec<&str> = kinds
        .iter()
        .copied()
        .filter(|k| *k == "end-subflow")
        .collect();
    assert_eq!(ends.len(), 1);
    let end = flow
        .process
        .activities
        .iter()
        .find(|a| a.type_name() == "end-subflow")
        .unwrap();
    let incoming = flow
        .process
        .links
        .iter()
        .filter(|l| l.target == end.name)
        .count();
    assert!(incoming > 1, "{incoming} links into {}", end.name);
    assert!(flow.process.activities.iter().any(|a| a
        .settings
        .get("setVariablesArray")
        .and_then(Value::as_array)
        .is_some_and(|all| all.len() > 1)));
    let start = value["process"]["activities"]
        .as_object()
        .unwrap()
        .values()
        .find(|a| a["name"] == "SubflowStart")
        .unwrap();
    assert_eq!(start["group"], "start-subflow");
    assert_eq!(start["properties"]["activityId"], "start-subflow");
    assert_eq!(
        value["eventFlows"],
        serde_json::json!({"eventsMap": {}, "properties": {}})
    );
    for key in ["createdDate", "lastModifiedDate"] {
        assert!(value.get(key).is_none(), "{key}");
    }
    for key in ["settings", "associatedChannels", "flowOutcome"] {
        assert!(value.get(key).is_some(), "{key}");
    }
}

#[test]
fn every_activity_and_link_is_drawn_and_every_port_linked() {
    let (_, json) = lowered(&embedded(), None).output.unwrap();
    let value: Value = serde_json::from_str(&json).unwrap();
    let activities = value["process"]["activities"].as_object().unwrap();
    let links = value["process"]["links"].as_array().unwrap();
    let widgets = value["diagram"]["widgets"].as_object().unwrap();
    assert_eq!(widgets.len(), activities.len() + links.len());
    assert_eq!(
        fd::schema::FdValidator::reference_problems(&value),
        Vec::<String>::new()
    );
    for (id, activity) in activities {
        let widget = &widgets[id];
        assert_eq!(widget["widgetType"], "activity");
        assert_eq!(widget["type"], activity["group"]);
        for port in widget["ports"].as_array().unwrap() {
            let links = port["links"].as_array().unwrap();
            assert!(
                !links.is_empty(),
                "{} port {} is not linked",
                activity["name"],
                port["properties"]["name"]
            );
            assert_eq!(port["linkId"], links[0]);
        }
        // The activity's properties carry every twin; the widget's copy leaves `_type` out.
        let props = activity["properties"].as_object().unwrap();
        for key in props.keys().filter(|k| k.ends_with(":type")) {
            assert!(props.contains_key(&key.replace(":type", "_type")), "{key}");
        }
    }
    // No two widgets share a point: the layout is readable.
    let mut points: Vec<(i64, i64)> = widgets
        .values()
        .filter(|w| w["widgetType"] == "activity")
        .map(|w| {
            (
                w["point"]["x"].as_i64().unwrap(),
                w["point"]["y"].as_i64().unwrap(),
            )
        })
        .collect();
    points.sort();
    points.dedup();
    assert_eq!(points.len(), activities.len());
}

#[test]
fn the_same_spec_gives_the_same_bytes() {
    let first = lowered(&embedded(), None).output.unwrap().1;
    let second = lowered(&embedded(), None).output.unwrap().1;
    assert_eq!(first, second);
    // Tables in another order: the same subflow.
    let text = wxcflow::DEFAULT_SPEC;
    let (head, nodes) = text.split_at(text.find("# Is the token service configured?").unwrap());
    let mut tables: Vec<&str> = nodes.split("\n\n").collect();
    tables.reverse();
    let shuffled = format!("{head}{}\n", tables.join("\n\n").trim_end());
    let reordered = lowered(&SourceFile::new(wxcflow::DEFAULT_SPEC_NAME, shuffled), None);
    assert_eq!(reordered.output.expect("reordered spec lowers").1, first);
    // Ids are derived, never random: the start activity's id is fixed.
    let value: Value = serde_json::from_str(&first).unwrap();
    let start = value["process"]["activities"]
        .as_object()
        .unwrap()
        .values()
        .find(|a| a["name"] == "SubflowStart")
        .unwrap();
    assert_eq!(
        start["id"],
        fd::emit::uuid(&["GetOAuthToken", "main", "activity", "SubflowStart"])
    );
}

#[test]
fn secret_values_only_with_a_tenant_and_then_private() {
    let acme = lowered(&embedded(), Some("fixtures/tenants/acme.toml"));
    let (_, json) = acme.output.as_ref().unwrap();
    assert!(acme.holds_secret);
    assert!(
        json.contains("acme-passphrase-7Qx"),
        "the tenant's passphrase is the input's value"
    );
    for d in &acme.diagnostics {
        assert!(!d.message.contains("acme-passphrase-7Qx"));
    }
    let plain = lowered(&embedded(), None);
    let (_, json) = plain.output.as_ref().unwrap();
    assert!(!plain.holds_secret);
    for (_, secret) in secrets().0.into_iter().filter(|(_, s)| !s.is_empty()) {
        assert!(!json.contains(secret));
    }
}

#[test]
fn specs_flow_designer_cannot_express_are_refused_where_they_say_it() {
    let mut files: Vec<std::path::PathBuf> =
        std::fs::read_dir(root().join("fixtures/flow-designer/not-expressible"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
    files.push(root().join("fixtures/valid/every-node-type.toml"));
    files.sort();
    for path in files {
        let source = fixture(&path);
        let build = lowered(&source, None);
        assert!(build.output.is_none(), "{}", path.display());
        assert!(build
            .diagnostics
            .iter()
            .any(|d| d.code == Code::NotExpressible));
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        insta::assert_snapshot!(
            format!("not_expressible_{name}"),
            Diagnostic::render_human(&build.diagnostics, &[&source])
        );
    }
}

/// Lint (or read errors) for a Flow Designer file, rendered as `check` renders them: quoting
/// the file with its secret values hidden.
fn checked(path: &Path) -> String {
    let source = fixture(path);
    let (read, quoted) = fd::model::FdFlow::read_quoted(&source);
    let diagnostics = match read {
        Ok(flow) => {
            let mut diagnostics = flow.lint(Some(&source));
            if wxcflow::InputKind::detect(source.text.as_bytes())
                == wxcflow::InputKind::FlowDesignerSpec
            {
                diagnostics.extend(fd::FdBuild::from_spec(&source, fd_validator()).diagnostics);
            }
            quoted.place(&mut diagnostics);
            diagnostics
        }
        Err(diagnostics) => diagnostics,
    };
    Diagnostic::render_human(&diagnostics, &[&quoted.source])
}

#[test]
fn lint_fixtures_report_exact_diagnostics() {
    insta::glob!(
        "../../fixtures/flow-designer",
        "{lint,invalid,specs}/*.*",
        |path| {
            let text = checked(path);
            assert!(
                !text.contains("open-sesame")
                    && !text.contains("k-123-secret")
                    && !text.contains("hunter2")
            );
            insta::assert_snapshot!(text);
        }
    );
}

#[test]
fn exports_and_their_review() {
    insta::glob!("../../fixtures/flow-designer/exports", "*.json", |path| {
        let source = fixture(path);
        let flow = fd::model::FdFlow::read_export(&source).expect("fixture reads");
        let summary = flow.summary("export");
        let text = format!(
            "{}--- check ---\n{}--- textconv ---\n{}",
            summary.render(&source.name),
            checked(path),
            flow.textconv()
        );
        assert!(!text.contains("open-sesame"), "secrets are masked");
        insta::assert_snapshot!(text);
    });
}

fn read(path: &Path) -> fd::model::FdFlow {
    fd::model::FdFlow::read(&fixture(path)).expect("fixture reads")
}

#[test]
fn diff_fixtures_in_every_format() {
    insta::glob!("../../fixtures/flow-designer/diff", "*/old.json", |old| {
        let new = old.with_file_name("new.json");
        let changes = fd::model::FdFlow::diff(&read(old), &read(&new));
        let case = old
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert_eq!(changes.is_empty(), case == "noise-only", "{case}");
        // textconv shows a change wherever diff finds one (`git diff` through it agrees).
        let lines = |p: &Path| read(p).textconv();
        let (old_lines, new_lines) = (lines(old), lines(&new));
        assert_eq!(old_lines == new_lines, changes.is_empty(), "{case}");
        for change in &changes {
            textconv_shows(change, &old_lines, &new_lines, &case);
        }
        let text = format!(
            "--- text ---\n{}--- markdown ---\n{}--- json ---\n{}",
            fd::diff::render_text(&changes, false),
            fd::model::FdFlow::diff_markdown(
                &changes,
                &format!("{case}/old.json"),
                &format!("{case}/new.json")
            ),
            fd::diff::render_json(&changes)
        );
        assert!(!text.contains("open-sesame"), "credentials are masked");
        insta::assert_snapshot!(text);
    });
}

/// Asserts that textconv shows `change` as diff does: a fact's line on each side holds the
/// value diff gives that side (no line where it gives none, nor where textconv leaves an empty text
/// or a flag that is off without one); a rename or a link, the lines about its path differ.
fn textconv_shows(change: &fd::diff::Change, old: &str, new: &str, case: &str) {
    use fd::diff::ChangeKind::*;
    let path = change.path.as_str();
    let about = |text: &'_ str| -> Vec<String> {
        (text.lines())
            .filter(|l| {
                (l.strip_prefix(path)).is_some_and(|rest| rest.starts_with([' ', '.', '[']))
            })
            .map(String::from)
            .collect()
    };
    match change.kind {
        ActivityRenamed | LinkAdded | LinkRemoved | LinkRewired => {
            assert_ne!(about(old), about(new), "{case}: {path}");
        }
        _ => {
            // An activity's type is its own line (`Fetch = http-request-v2`), and so is an
            // `activityId` that is its type.
            let header = (path.strip_suffix(".type")).or_else(|| path.strip_suffix(".activityId"));
            for (value, text) in [(&change.old, old), (&change.new, new)] {
                let find =
                    |at: &str| (text.lines()).find_map(|l| l.strip_prefix(at)?.strip_prefix(" = "));
                let header = header.filter(|_| value.is_some());
                let line = find(path).or_else(|| header.and_then(find));
                match (value.as_ref().map(|v| v.shown()), line) {
                    (Some(v), Some(line)) => assert_eq!(line, v, "{case}: {path}"),
                    (Some("\"\"" | "false") | None, None) => {}
                    (v, line) => panic!("{case}: {path}: diff shows {v:?}, textconv {line:?}"),
                }
            }
        }
    }
}

/// Export -> Flow Designer spec -> export: no logic change, and the file passes the schema.
fn round_trip(source: &SourceFile) -> (String, fd::diff::Change) {
    let original = fd::model::FdFlow::read_export(source).expect("export reads");
    let spec = original.decompile("test");
    let spec_source = SourceFile::new("decompiled.toml", spec.clone());
    let rebuilt = fd::FdBuild::from_spec(&spec_source, fd_validator());
    assert!(!rebuilt.has_errors(), "{:?}", rebuilt.diagnostics);
    let (_, json) = rebuilt.output.unwrap();
    let again =
        fd::model::FdFlow::read_export(&SourceFile::new("rebuilt.json", json.clone())).unwrap();
    let changes = original.diff(&again);
    assert_eq!(changes, Vec::new(), "{}", source.name);
    // Property by property, ids and positions included, nothing lost.
    let export: Value = serde_json::from_str(&source.text).unwrap();
    let built: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        fd_compare::losses(&export, &built),
        Vec::<String>::new(),
        "{}",
        source.name
    );
    // The spec of the rebuilt file is the same spec.
    assert_eq!(again.decompile("test"), spec);
    // A change to the spec is seen.
    let changed = spec.replacen(
        &format!("name = {:?}", original.name),
        "name = \"Renamed\"",
        1,
    );
    let renamed = fd::FdBuild::from_spec(&SourceFile::new("changed.toml", changed), fd_validator())
        .output
        .unwrap()
        .0;
    let seen = original.diff(&renamed);
    (
        spec,
        seen.into_iter().next().expect("the rename is a change"),
    )
}

#[test]
fn fixture_exports_round_trip_through_a_spec() {
    insta::glob!("../../fixtures/flow-designer/exports", "*.json", |path| {
        let (spec, change) = round_trip(&fixture(path));
        assert_eq!(change.path, "flow.name");
        insta::assert_snapshot!(spec);
    });
}

#[test]
fn the_subflow_wxcflow_writes_reads_back_as_itself() {
    let (flow, json) = lowered(&embedded(), None).output.unwrap();
    let source = SourceFile::new("GetOAuthToken.fd.json", json);
    let read = fd::model::FdFlow::read_export(&source).unwrap();
    assert_eq!(flow.diff(&read), Vec::new());
    assert_eq!(
        read.lint(None).iter().map(|d| d.code).collect::<Vec<_>>(),
        vec![Code::HttpWithoutErrorPath]
    );
    round_trip(&source);
}

#[test]
fn a_hand_written_flow_designer_spec_builds() {
    let source = fixture(&root().join("fixtures/flow-designer/specs/subflow.toml"));
    let build = fd::FdBuild::from_spec(&source, fd_validator());
    assert!(build.diagnostics.is_empty(), "{:?}", build.diagnostics);
    assert!(!build.holds_secret);
    let (flow, json) = build.output.unwrap();
    assert_eq!(flow.flow_type.as_deref(), Some("SUBFLOW"));
    let value: Value = serde_json::from_str(&json).unwrap();
    let http = value["process"]["activities"]
        .as_object()
        .unwrap()
        .values()
        .find(|a| a["name"] == "Ask")
        .unwrap();
    // The kind's full property set, twins included, around what the spec gave.
    for key in [
        "httpRequestMethod",
        "httpRequestMethod:type",
        "httpRequestMethod_type",
        "retryAttempts",
        "contentType_type",
    ] {
        assert!(http["properties"].get(key).is_some(), "{key}");
    }
    assert_eq!(
        http["properties"]["httpRequestUrl"],
        "https://api.example.com/known?caller={{Caller | urlencode}}"
    );
}

#[test]
fn the_build_sheet_says_how_to_import_and_call_the_subflow() {
    let source = embedded();
    let built = common::compiler().build_flow_designer(
        InputKind::Spec,
        &source,
        Some(&tenant(&root().join("fixtures/tenants/acme.toml"))),
        &secrets(),
        &|_| Default::default(),
    );
    let origins = built
        .secrets
        .origins
        .iter()
        .map(|(name, from)| (fd::lower::fd_name(name), from.join(" and ")))
        .collect();
    let values: Vec<&str> = common::secrets()
        .0
        .into_values()
        .filter(|v| !v.is_empty())
        .collect();
    let lowered = built.build;
    let (flow, _) = lowered.output.as_ref().unwrap();
    let sheet = fd::sheet::SheetInput::sheet(&fd::sheet::SheetInput {
        flow,
        source_name: &source.name,
        file_name: "GetOAuthToken.fd.json",
        origins: &origins,
        diagnostics: &lowered.diagnostics,
    });
    for secret in values {
        assert!(!sheet.contains(secret), "the sheet holds no secret value");
    }
    insta::assert_snapshot!(sheet);
}

#[test]
fn the_committed_schema_is_the_embedded_one_and_rejects_what_it_should() {
    let committed =
        std::fs::read_to_string(root().join("schemas/flow-designer.schema.json")).unwrap();
    assert_eq!(committed, fd::schema::FLOW_DESIGNER_SCHEMA);
    let (_, json) = lowered(&embedded(), None).output.unwrap();
    let good: Value = serde_json::from_str(&json).unwrap();
    let broken = |pointer: &str, value: Value| {
        let mut v = good.clone();
        *v.pointer_mut(pointer).unwrap() = value;
        fd_validator().validate(&v)
    };
    // A variable name with a hyphen, an unknown source, a link to nowhere, a missing key.
    assert!(!broken("/variables/0/name", "Token-Service-URL".into()).is_empty());
    assert!(!broken("/variables/0/source", "INPUT".into()).is_empty());
    assert!(!broken(
        "/process/links/0/targetActivityId",
        "00000000-0000-8000-8000-000000000000".into()
    )
    .is_empty());
    let mut missing = good.clone();
    missing.as_object_mut().unwrap().remove("eventFlows");
    assert!(!fd_validator().validate(&missing).is_empty());
    // A count every export writes as a number, written otherwise; a timeout, which exports
    // write as a number or a string; then a key the schema does not list, which is kept.
    let id = good["process"]["activities"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(_, a)| a["name"] == "fetch_token")
        .unwrap()
        .0
        .clone();
    assert!(!broken(
        &format!("/process/activities/{id}/properties/retryAttempts"),
        true.into()
    )
    .is_empty());
    // The issue that asked for this saw an export with `retryAttempts: "3"`: digits as text pass.
    assert!(broken(
        &format!("/process/activities/{id}/properties/retryAttempts"),
        "3".into()
    )
    .is_empty());
    assert!(!broken(
        &format!("/process/activities/{id}/properties/retryAttempts"),
        "three".into()
    )
    .is_empty());
    assert!(broken(
        &format!("/process/activities/{id}/properties/httpResponseTimeout"),
        "5000".into()
    )
    .is_empty());
    let mut extra = good.clone();
    extra["process"]["activities"][&id]["properties"]["httpRequestBodyNewKind"] = "x".into();
    extra["associatedChannels"] = serde_json::json!(["voice"]);
    assert_eq!(fd_validator().validate(&extra), Vec::<String>::new());
    // The dates: absent, or strings; never null.
    assert!(good.get("createdDate").is_none());
    assert!(!broken("/createdBy", Value::Null).is_empty());
    let mut dated = good.clone();
    dated["createdDate"] = Value::Null;
    assert!(!fd_validator().validate(&dated).is_empty());
}

/// Author-written exports with what a round trip used to lose: a case-statement whose
/// `menuLinks_input` is no default, `retryAttempts` and `httpResponseTimeout` as text, an
/// activity kind wxcflow does not know with nested settings, nulls and an integer beyond
/// TOML's range; and (`newer-export.json`) members 2026 exports add, an event handler that
/// names its kind, nulls where text is modelled, a member no export has yet.
#[test]
fn round_trip_fixtures_lose_nothing() {
    insta::glob!(
        "../../fixtures/flow-designer/round-trip",
        "*.json",
        |path| {
            let source = fixture(path);
            let export: Value = serde_json::from_str(&source.text).unwrap();
            let (spec, rebuilt) = fd_compare::rebuilt(&source);
            assert_eq!(
                fd_compare::losses(&export, &rebuilt),
                Vec::<String>::new(),
                "{}",
                source.name
            );
            insta::assert_snapshot!(spec);
        }
    );
}

#[test]
fn the_edge_cases_build_back_through_the_schema_with_their_values_and_types() {
    let source = fixture(&root().join("fixtures/flow-designer/round-trip/edges.json"));
    let export: Value = serde_json::from_str(&source.text).unwrap();
    let flow = fd::model::FdFlow::read_export(&source).unwrap();
    let spec = flow.decompile("test");
    let build = fd::FdBuild::from_spec(&SourceFile::new("edges.toml", spec), fd_validator());
    assert!(!build.has_errors(), "{:?}", build.diagnostics);
    let built: Value = serde_json::from_str(&build.output.unwrap().1).unwrap();
    assert_eq!(fd_compare::losses(&export, &built), Vec::<String>::new());
    let props = |id: &str| built["process"]["activities"][id]["properties"].clone();
    let fetch = props("a1111111-0000-4000-8000-000000000002");
    assert_eq!(fetch["retryAttempts"], Value::from("3"));
    assert_eq!(fetch["httpResponseTimeout"], Value::from("4500"));
    assert!(
        fetch.get("httpRequestBodyFiles").is_none(),
        "absent stays absent"
    );
    let tier = props("a1111111-0000-4000-8000-000000000003");
    assert_eq!(
        tier["menuLinks_input"],
        serde_json::json!(["gold", "silver"])
    );
    let survey = props("a1111111-0000-4000-8000-000000000004");
    assert_eq!(
        survey["counter"],
        serde_json::json!(18446744073709551615u64)
    );
    assert_eq!(survey["limits"]["nested"]["deeper"]["none"], Value::Null);
    assert_eq!(
        survey["questions"][0]["weights"],
        serde_json::json!([0.5, 1, "2"])
    );
    // Ids and positions as the export gave them.
    assert_eq!(built["id"], export["id"]);
    assert_eq!(built["version"], export["version"]);
    let widget = "a1111111-0000-4000-8000-000000000004";
    assert_eq!(
        built["diagram"]["widgets"][widget]["point"],
        serde_json::json!({"x": 780, "y": -120})
    );
}

#[test]
fn the_round_trip_comparison_names_what_was_lost() {
    let source = fixture(&root().join("fixtures/flow-designer/round-trip/edges.json"));
    let export: Value = serde_json::from_str(&source.text).unwrap();
    let (_, mut rebuilt) = fd_compare::rebuilt(&source);
    let fetch = "a1111111-0000-4000-8000-000000000002";
    rebuilt["process"]["activities"][fetch]["properties"]["retryAttempts"] = 3.into();
    rebuilt["process"]["activities"][fetch]["group"] = "logic".into();
    rebuilt["diagram"]["widgets"][fetch]["point"]["x"] = 0.into();
    assert_eq!(
        fd_compare::losses(&export, &rebuilt),
        [
            "process.activities.\"FetchTier\" (a1111111-0000-4000-8000-000000000002).group: \"action\" became \"logic\"",
            "process.activities.\"FetchTier\" (a1111111-0000-4000-8000-000000000002).retryAttempts: \"3\" became 3",
            "process.activities.\"FetchTier\" (a1111111-0000-4000-8000-000000000002) widget point: {\"x\":260,\"y\":0} became {\"x\":0,\"y\":0}",
        ]
    );
}

/// An export of `n` set-variable activities in a chain, each named `{prefix}{i}`, each with an
/// assignment whose entry id is `{prefix}`-specific (as Cisco's exports make them, at random).
fn chain_export(n: usize, prefix: &str) -> SourceFile {
    let mut activities = serde_json::Map::new();
    let mut links = Vec::new();
    let mut add = |id: String, name: String, group: &str, properties: Value| {
        let mut properties = properties;
        properties["name"] = Value::from(name.as_str());
        activities.insert(
            id.clone(),
            serde_json::json!({ "id": id, "name": name, "group": group, "properties": properties }),
        );
    };
    let start = serde_json::json!({ "activityName": "NewPhoneContact", "activityId": "start", "event": "", "flowType": {} });
    add("start".into(), "Start".into(), "start", start);
    for i in 0..n {
        let entry = serde_json::json!({
            "setTo": "set-to-literal", "srcVariable": format!("v{i}"), "srcVariableType": "STRING",
            "expr": format!("value {i}"), "literal": format!("value {i}"),
            "literal_invalid_error": false, "id": format!("{prefix}-entry-{i}"),
        });
        let properties = serde_json::json!({
            "activityName": "set-variable", "activityId": "set-variable",
            "setVariablesArray": [entry],
        });
        add(
            format!("a{i}"),
            format!("{prefix}{i}"),
            "set-variable",
            properties,
        );
        let source = if i == 0 {
            "start".into()
        } else {
            format!("a{}", i - 1)
        };
        links.push(serde_json::json!({
            "id": format!("l{i}"), "sourceActivityId": source, "targetActivityId": format!("a{i}"),
            "conditionExpr": "out", "properties": { "value": "out" },
        }));
    }
    let export = serde_json::json!({
        "name": "Chain", "description": "", "comment": "", "variables": [],
        "process": { "activities": activities, "links": links },
        "diagram": { "widgets": {}, "properties": {} },
    });
    SourceFile::new("chain.json", export.to_string())
}

#[test]
fn set_variable_entry_ids_are_noise_to_diff_and_textconv() {
    let (old, new) = (chain_export(3, "Step"), chain_export(3, "Step"));
    let new = SourceFile::new("new.json", new.text.replace("Step-entry", "Other-entry"));
    let (old, new) = (
        fd::model::FdFlow::read_export(&old).unwrap(),
        fd::model::FdFlow::read_export(&new).unwrap(),
    );
    assert_eq!(old.diff(&new), Vec::new());
    let lines = old.textconv();
    assert_eq!(lines, new.textconv());
    assert!(lines.contains("Step0.setVariablesArray[0].expr = \"value 0\"\n"));
    assert!(!lines.contains("entry"), "{lines}");
}

/// Every activity of a large flow renamed: each is paired with its new name (matching looks at
/// candidates from an index of facts, never every pair: issue #23 measured 12.8 s for this).
#[test]
fn every_activity_renamed_in_a_large_flow_pairs_each_with_its_new_name() {
    let n = 2000;
    let old = fd::model::FdFlow::read_export(&chain_export(n, "Old")).unwrap();
    let new = fd::model::FdFlow::read_export(&chain_export(n, "New")).unwrap();
    let changes = old.diff(&new);
    assert_eq!(changes.len(), n, "{:?}", &changes[..3.min(changes.len())]);
    for c in &changes {
        assert_eq!(c.kind, fd::diff::ChangeKind::ActivityRenamed);
        let i = c.path.strip_prefix("Old").unwrap();
        assert_eq!(c.new.as_ref().unwrap().expose(), format!("New{i}"));
    }
}
/// What the parents' lowering knows: GetOAuthToken (the embedded spec) as a child, with ids.
fn parents_children(with_ids: bool) -> fd::lower::Children {
    let child = common::compiler().build(&embedded()).output.unwrap().0.flow;
    let mut children = fd::lower::Children::default();
    children.interfaces.insert(
        "GetOAuthToken".into(),
        fd::lower::interface(&child).expect("GetOAuthToken lowers"),
    );
    if with_ids {
        children.ids.insert(
            "GetOAuthToken".into(),
            fd::lower::SubflowIds::parse("6a1e35a078a3f98ba463c7d5:6a1e404f96056b56c4442359")
                .unwrap(),
        );
    }
    children
}

fn lowered_parent(path: &Path, children: &fd::lower::Children) -> (fd::FdBuild, SourceFile) {
    let source = fixture(path);
    let lowered = common::compiler()
        .build_flow_designer(
            InputKind::Spec,
            &source,
            None,
            &wxcflow::render::NoSecrets,
            &|_| children.clone(),
        )
        .build;
    (lowered, source)
}

#[test]
fn parents_are_written_with_warnings_for_what_flow_designer_has_no_place_for() {
    let mut files: Vec<std::path::PathBuf> =
        std::fs::read_dir(root().join("fixtures/flow-designer/parents"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
    files.sort();
    for path in files {
        let (build, source) = lowered_parent(&path, &parents_children(false));
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        assert!(build.output.is_some(), "{name}: {:?}", build.diagnostics);
        assert!(build.diagnostics.iter().all(|d| !d.is_error()));
        assert!(build.diagnostics.iter().any(|d| d.code == Code::NotCarried));
        insta::assert_snapshot!(
            format!("parents_{name}"),
            Diagnostic::render_human(&build.diagnostics, &[&source])
        );
    }
}

#[test]
fn a_call_flow_becomes_a_subflow_handoff_shaped_as_ciscos() {
    let path = root().join("fixtures/flow-designer/parents/order-lookup.toml");
    let (build, _) = lowered_parent(&path, &parents_children(true));
    let (flow, json) = build.output.unwrap();
    insta::assert_snapshot!("parent_order_lookup", json);
    let value: Value = serde_json::from_str(&json).unwrap();
    // The schema, and push's own pre-flight check of the file read back.
    assert_eq!(fd_validator().validate(&value), Vec::<String>::new());
    let read =
        fd::model::FdFlow::read_export(&SourceFile::new("parent.fd.json", json.clone())).unwrap();
    assert_eq!(
        read.validate_export(&value, fd_validator(), &|_, a| a.origin.clone()),
        Vec::<String>::new()
    );
    let handoff = |name: &str| {
        let activities = value["process"]["activities"].as_object().unwrap();
        activities
            .values()
            .find(|a| a["name"] == name)
            .unwrap()
            .clone()
    };
    let token = handoff("get_token");
    let props = &token["properties"];
    assert_eq!(token["group"], "action");
    assert_eq!(props["activityType"], "subflow");
    assert_eq!(props["subflowName"], "GetOAuthToken");
    assert_eq!(props["subflowId"], "6a1e35a078a3f98ba463c7d5");
    assert_eq!(
        props["subflowVersion"],
        serde_json::json!({"subflowId": "6a1e35a078a3f98ba463c7d5", "subflowTagId": "Latest", "subflowVersionId": "6a1e404f96056b56c4442359"})
    );
    // JDSToken comes back from GetOAuthToken into the parent's variable; the URL goes in.
    let outputs = props["subflowOutputVariables"].as_array().unwrap();
    assert!(outputs
        .contains(&serde_json::json!({"src": "JDSToken", "target": "JDSToken", "type": "STRING"})));
    assert!(outputs.contains(
        &serde_json::json!({"src": "get_token_status", "target": "FlowOutcome", "type": "STRING"})
    ));
    let inputs = props["subflowInputVariables"].as_array().unwrap();
    assert!(inputs.contains(&serde_json::json!({"src": "Token_Service_URL", "target": "Token_Service_URL", "type": "STRING"})));
    // Success goes on through the condition on the child's outcome; the `error` port and any
    // other outcome take onError.
    let links: Vec<(String, String, String)> = flow
        .process
        .links_from("get_token")
        .chain(flow.process.links_from("get_token_succeeded"))
        .map(|l| (l.source.clone(), l.port.clone(), l.target.clone()))
        .collect();
    let link = |s: &str, p: &str, t: &str| (s.to_string(), p.to_string(), t.to_string());
    assert!(links.contains(&link("get_token", "default", "get_token_succeeded")));
    assert!(links.contains(&link("get_token", "error", "outcome_Error")));
    assert!(links.contains(&link("get_token_succeeded", "false", "outcome_Error")));
    // The subflow not given ids is marked unresolved (`subflowId` ""), as push reads it.
    assert_eq!(handoff("audit")["properties"]["subflowId"], "");
    assert_eq!(
        fd::push::unresolved_subflows(&value),
        vec!["Audit".to_string()]
    );

    // Cisco's parent (CI-only): our handoff has every property key Cisco's have, and only a
    // description besides.
    let cisco = root().join("../shared/real-exports/flow-designer/cisco/autonomous_flow.json");
    if let Ok(text) = std::fs::read_to_string(cisco) {
        let export: Value = serde_json::from_str(&text).unwrap();
        let theirs = export["process"]["activities"]
            .as_object()
            .unwrap()
            .values()
            .find(|a| a["properties"]["activityName"] == "subflow-handoff")
            .unwrap();
        let keys = |v: &Value| -> std::collections::BTreeSet<String> {
            v["properties"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect()
        };
        let (ours, theirs) = (keys(&token), keys(theirs));
        assert!(ours.is_superset(&theirs), "{theirs:?} - {ours:?}");
        let extra: Vec<&String> = ours.difference(&theirs).collect();
        assert_eq!(extra, vec!["description"]);
    }
}

#[test]
fn flow_designer_files_over_the_spec_limit_are_read_up_to_what_build_writes() {
    let (_, json) = lowered(&embedded(), None).output.unwrap();
    let mut value: Value = serde_json::from_str(&json).unwrap();
    // Past the 10 MB of specs and flow documents: a Flow Designer file of this size is what a
    // large flow builds to, and reads back.
    value["description"] = Value::String("x".repeat(wxcflow::MAX_INPUT_BYTES + 1));
    let big = SourceFile::new("big.fd.json", serde_json::to_string(&value).unwrap());
    assert!(big.text.len() > wxcflow::MAX_INPUT_BYTES);
    let read = fd::model::FdFlow::read_export(&big).expect("read back");
    assert_eq!(read.name, "GetOAuthToken");
    assert!(wxcflow::MAX_FD_BYTES > big.text.len());
    let too_large = wxcflow::flow::limits::too_large_fd("f", wxcflow::MAX_FD_BYTES + 1).unwrap();
    assert_eq!(too_large.code, Code::TooLarge);
}

#[test]
fn a_diff_never_hands_the_terminal_an_escape_sequence_from_a_name() {
    let dir = tempfile::tempdir().unwrap();
    let original = root().join("fixtures/flow-designer/exports/voice-lookup.json");
    let text = std::fs::read_to_string(&original).unwrap();
    let renamed = text.replace("\"Sorry\"", "\"So\\u001b]0;PWN\\u0007rry\"");
    assert_ne!(renamed, text);
    std::fs::write(dir.path().join("renamed.json"), renamed).unwrap();
    for format in ["text", "markdown", "json"] {
        let out = common::wxcflow(
            dir.path(),
            &[
                "diff",
                original.to_str().unwrap(),
                "renamed.json",
                "--format",
                format,
            ],
        );
        assert_eq!(out.status.code(), Some(1), "{format}");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            !stdout.contains('\u{1b}') && !stdout.contains('\u{7}'),
            "{format}: {stdout}"
        );
        if format != "json" {
            assert!(
                stdout.contains(r"So\u{1b}]0;PWN\u{7}rry"),
                "{format}: {stdout}"
            );
        }
    }
}

#[test]
fn a_markdown_diff_keeps_every_name_inside_its_code_span() {
    let dir = tempfile::tempdir().unwrap();
    let original = root().join("fixtures/flow-designer/exports/voice-lookup.json");
    let text = std::fs::read_to_string(&original).unwrap();
    let hostile = "a`|<img src=x onerror=alert(1)>";
    let renamed = text.replace("\"Sorry\"", &serde_json::to_string(hostile).unwrap());
    assert_ne!(renamed, text);
    std::fs::write(dir.path().join("re|named`.json"), renamed).unwrap();
    let out = common::wxcflow(
        dir.path(),
        &[
            "diff",
            original.to_str().unwrap(),
            "re|named`.json",
            "--format",
            "markdown",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    // Fenced by two backticks (the name holds one), the pipe escaped: one cell, no HTML.
    assert!(
        stdout.contains("``a`\\|<img src=x onerror=alert(1)>``"),
        "{stdout}"
    );
    assert!(stdout.contains("→ ``re|named`.json``"), "{stdout}");
    for row in stdout.lines().filter(|l| l.starts_with("| ")) {
        let cells = row.replace("\\|", "").matches('|').count();
        assert_eq!(cells, 5, "{row}");
        // Outside the code spans, nothing but the change's kind.
        let outside: String = row
            .split("``")
            .step_by(2)
            .flat_map(|part| part.split('`').step_by(2))
            .collect();
        assert!(!outside.contains('<'), "{row}");
    }
}

/// An HTTP node that a loop runs again keeps, in Flow Designer, an output a later reply lacks
/// (its variable is left as it was), where a Webex Connect run reads the last reply's: built
/// with a warning saying so, at the node's outputs; a node no loop reaches again is not warned.
#[test]
fn outputs_of_a_request_run_again_in_a_loop_are_warned_of() {
    let source = fixture(&root().join("fixtures/flow-designer/approximated/polling-loop.toml"));
    let build = lowered(&source, None);
    assert!(build.output.is_some());
    let approximated: Vec<String> = build
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::Approximated)
        .map(|d| format!("{}:{}", d.message, d.span.as_ref().map_or(0, |s| s.line)))
        .collect();
    assert_eq!(approximated.len(), 1, "{approximated:?}");
    assert!(
        approximated[0].starts_with("`fetch` can run again in a loop")
            && approximated[0].ends_with(":19"),
        "{approximated:?}"
    );
    let plain = SourceFile::new(wxcflow::DEFAULT_SPEC_NAME, wxcflow::DEFAULT_SPEC);
    let build = lowered(&plain, None);
    assert!(!build
        .diagnostics
        .iter()
        .any(|d| d.message.contains("in a loop")));
}
