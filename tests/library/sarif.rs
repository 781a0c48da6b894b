//! SARIF 2.1.0 output: valid against the SARIF schema, one result per diagnostic on the right
//! lines, and the code table as its rules.
// A test stops at the first thing that is not as expected.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use common::{fixture, secrets, wxcflow};
use serde_json::Value;
use std::path::Path;
use wxcflow::diagnostic::sarif::SarifLog;
use wxcflow::diagnostic::{Code, SourceFile};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The SARIF 2.1.0 schema as the SARIF SDK ships it (tests/schemas/README.md says from where).
fn sarif_schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string(root().join("tests/schemas/sarif-2.1.0.json")).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap()
}

fn assert_valid_sarif(log: &Value) {
    let schema = sarif_schema();
    let errors: Vec<String> = schema
        .iter_errors(log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "invalid SARIF: {errors:#?}");
}

fn sources_in(folder: &str) -> Vec<SourceFile> {
    let mut paths: Vec<_> = std::fs::read_dir(root().join(folder))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    paths
        .iter()
        .filter_map(|p| {
            // The hostile corpus holds a file that is not UTF-8 on purpose; the CLI refuses it
            // before any diagnostic exists.
            let text = String::from_utf8(std::fs::read(p).unwrap()).ok()?;
            let name = p
                .strip_prefix(root())
                .unwrap()
                .to_string_lossy()
                .into_owned();
            Some(SourceFile::new(name, text))
        })
        .collect()
}

#[test]
fn every_bad_input_gives_a_valid_log_with_one_result_per_diagnostic() {
    let mut log = SarifLog::new();
    let mut count = 0;
    for folder in [
        "fixtures/invalid",
        "fixtures/hostile",
        "fixtures/template-errors",
    ] {
        for source in sources_in(folder) {
            let build = common::compiler().build(&source);
            count += build.diagnostics.len();
            log.add(&build.diagnostics, &[&source], Some(&source.name));
        }
    }
    let template = fixture(&root().join("fixtures/templates/ping.toml"));
    for source in sources_in("fixtures/tenant-errors") {
        let diagnostics = match wxcflow::render::Tenant::parse("t", source.clone()) {
            Ok(tenant) => {
                common::compiler()
                    .build_tenant(&template, Some(&tenant), &secrets())
                    .diagnostics
            }
            Err(d) => vec![d],
        };
        count += diagnostics.len();
        log.add(&diagnostics, &[&template, &source], Some(&source.name));
    }
    log.add_failure("cannot read missing.toml: No such file or directory (os error 2)");
    let value = log.to_value();
    assert_valid_sarif(&value);
    let results = value["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), count);
    assert!(count > 60, "the corpus gives {count} diagnostics");
    let rules = value["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    for result in results {
        let rule = &rules[result["ruleIndex"].as_u64().unwrap() as usize];
        assert_eq!(rule["id"], result["ruleId"]);
        let region = &result["locations"][0]["physicalLocation"]["region"];
        assert!(region["startLine"].as_u64().unwrap() >= 1, "{result}");
        assert!(region["startColumn"].as_u64().unwrap() >= 1, "{result}");
    }
}

#[test]
fn the_rules_are_the_code_table() {
    let value = SarifLog::new().to_value();
    let driver = &value["runs"][0]["tool"]["driver"];
    assert_eq!(driver["name"], "wxcflow");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    let rules = driver["rules"].as_array().unwrap();
    assert_eq!(rules.len(), Code::ALL.len());
    for (rule, code) in rules.iter().zip(Code::ALL) {
        assert_eq!(rule["id"], code.as_str());
        assert_eq!(rule["shortDescription"]["text"], code.summary());
        assert_eq!(rule["help"]["text"], code.help());
        let level = match code.severity() {
            wxcflow::diagnostic::Severity::Error => "error",
            wxcflow::diagnostic::Severity::Warning => "warning",
        };
        assert_eq!(rule["defaultConfiguration"]["level"], level);
    }
    assert_eq!(value["version"], "2.1.0");
    assert_eq!(
        value["$schema"],
        "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
    );
}

#[test]
fn every_code_has_its_own_help() {
    let mut seen = std::collections::HashSet::new();
    for code in Code::ALL {
        let help = code.help();
        assert!(help.ends_with('.'), "{}: {help}", code.as_str());
        assert!(
            seen.insert(help),
            "{} repeats another code's help",
            code.as_str()
        );
    }
}

#[test]
fn the_schema_rejects_what_sarif_forbids() {
    // The schema is really applied: a level SARIF does not know and a 0 line are refused.
    let mut log = SarifLog::new();
    let source = fixture(&root().join("fixtures/invalid/unknown-target.toml"));
    let build = common::compiler().build(&source);
    log.add(&build.diagnostics, &[&source], None);
    let good = log.to_value();
    assert_valid_sarif(&good);
    let mut bad_level = good.clone();
    bad_level["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(!sarif_schema().is_valid(&bad_level));
    let mut bad_line = good.clone();
    bad_line["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
        0.into();
    assert!(!sarif_schema().is_valid(&bad_line));
}

/// The parts of a log that differ from input to input, for snapshots.
fn results_and_invocations(stdout: &[u8]) -> String {
    let log: Value = serde_json::from_slice(stdout).unwrap();
    assert_valid_sarif(&log);
    let run = &log["runs"][0];
    serde_json::to_string_pretty(&serde_json::json!({
        "invocations": run["invocations"],
        "results": run["results"],
    }))
    .unwrap()
}

#[test]
fn check_prints_sarif_for_specs() {
    let out = wxcflow(
        root(),
        &[
            "check",
            "--format",
            "sarif",
            "fixtures/invalid/unknown-target.toml",
            "./fixtures/valid/warnings.toml",
            "fixtures/no-such-spec.toml",
        ],
    );
    // An unreadable spec is a usage error; the log still covers the others and says so.
    assert_eq!(out.status.code(), Some(2));
    insta::assert_snapshot!(results_and_invocations(&out.stdout));
}

#[test]
fn check_prints_sarif_for_tenant_files() {
    let dir = tempfile::tempdir().unwrap();
    let tenants = dir.path().join("tenants");
    std::fs::create_dir(&tenants).unwrap();
    for name in ["not-a-url.toml", "unknown-param.toml", "bad-toml.toml"] {
        std::fs::copy(
            root().join("fixtures/tenant-errors").join(name),
            tenants.join(name),
        )
        .unwrap();
    }
    std::fs::copy(
        root().join("fixtures/templates/ping.toml"),
        dir.path().join("ping.toml"),
    )
    .unwrap();
    let out = wxcflow(
        dir.path(),
        &[
            "check",
            "--format",
            "sarif",
            "--tenants",
            "tenants",
            "ping.toml",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!(results_and_invocations(&out.stdout));
}

/// Runs `check --format sarif --tenants tenants ping.toml` in `dir` and returns the results.
fn tenant_results(dir: &Path) -> Vec<Value> {
    let out = wxcflow(
        dir,
        &[
            "check",
            "--format",
            "sarif",
            "--tenants",
            "tenants",
            "ping.toml",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let log: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_valid_sarif(&log);
    log["runs"][0]["results"].as_array().unwrap().clone()
}

fn fingerprint(result: &Value) -> String {
    result["partialFingerprints"]["wxcflow/v1"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn a_parameter_missing_in_three_tenants_is_three_results_in_the_tenant_files() {
    let dir = tempfile::tempdir().unwrap();
    let tenants = dir.path().join("tenants");
    std::fs::create_dir(&tenants).unwrap();
    for name in ["acme", "globex", "initech"] {
        std::fs::write(tenants.join(format!("{name}.toml")), "retries = 2\n").unwrap();
    }
    std::fs::copy(
        root().join("fixtures/templates/ping.toml"),
        dir.path().join("ping.toml"),
    )
    .unwrap();
    let results = tenant_results(dir.path());
    assert_eq!(results.len(), 3);
    let files: Vec<&str> = results
        .iter()
        .map(|r| {
            assert_eq!(r["ruleId"], "wxc::missing-param");
            // The template's declaration is the related place.
            let related = &r["relatedLocations"][0]["physicalLocation"];
            assert_eq!(related["artifactLocation"]["uri"], "ping.toml");
            assert_eq!(related["region"]["startLine"], 3);
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(
        files,
        [
            "tenants/acme.toml",
            "tenants/globex.toml",
            "tenants/initech.toml"
        ]
    );
    let prints: std::collections::BTreeSet<String> = results.iter().map(fingerprint).collect();
    assert_eq!(prints.len(), 3, "{prints:?}");
    insta::assert_snapshot!(serde_json::to_string_pretty(&results).unwrap());
}

#[test]
fn fingerprints_survive_lines_moving() {
    let dir = tempfile::tempdir().unwrap();
    let tenants = dir.path().join("tenants");
    std::fs::create_dir(&tenants).unwrap();
    for name in [
        "unknown-param.toml",
        "wrong-type.toml",
        "missing-required.toml",
    ] {
        std::fs::copy(
            root().join("fixtures/tenant-errors").join(name),
            tenants.join(name),
        )
        .unwrap();
    }
    let template = std::fs::read_to_string(root().join("fixtures/templates/ping.toml")).unwrap();
    std::fs::write(dir.path().join("ping.toml"), &template).unwrap();
    let before = tenant_results(dir.path());
    // Unrelated edits: comments above everything, in the template and in every tenant file.
    std::fs::write(
        dir.path().join("ping.toml"),
        format!("# one\n# two\n{template}"),
    )
    .unwrap();
    for entry in std::fs::read_dir(&tenants).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, format!("# edited\n\n{text}")).unwrap();
    }
    let after = tenant_results(dir.path());
    assert_eq!(before.len(), after.len());
    assert!(before.len() >= 3);
    let moved = before
        .iter()
        .zip(&after)
        .filter(|(b, a)| b["locations"] != a["locations"])
        .count();
    assert!(moved >= 2, "the edit moved the findings at keys");
    for (b, a) in before.iter().zip(&after) {
        assert_eq!(fingerprint(b), fingerprint(a), "{b}");
    }
}

#[test]
fn a_bad_value_a_template_string_uses_is_found_in_each_tenant_file() {
    let dir = tempfile::tempdir().unwrap();
    let tenants = dir.path().join("tenants");
    std::fs::create_dir(&tenants).unwrap();
    // `label` goes into the flow name, where `/` is refused.
    for (name, text) in [
        ("acme", "url = \"https://a.example.com\"\nlabel = \"a/b\"\n"),
        (
            "globex",
            "# moved down\n\nurl = \"https://g.example.com\"\nlabel = \"c/d\"\n",
        ),
        ("initech", "url = \"https://i.example.com\"\n"),
    ] {
        std::fs::write(tenants.join(format!("{name}.toml")), text).unwrap();
    }
    std::fs::copy(
        root().join("fixtures/templates/ping.toml"),
        dir.path().join("ping.toml"),
    )
    .unwrap();
    let results = tenant_results(dir.path());
    let places: Vec<(String, u64, String, u64)> = results
        .iter()
        .map(|r| {
            let at = &r["locations"][0]["physicalLocation"];
            let related = &r["relatedLocations"][0];
            assert_eq!(related["message"]["text"], "the template uses the value");
            (
                at["artifactLocation"]["uri"].as_str().unwrap().to_string(),
                at["region"]["startLine"].as_u64().unwrap(),
                related["physicalLocation"]["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                related["physicalLocation"]["region"]["startLine"]
                    .as_u64()
                    .unwrap(),
            )
        })
        .collect();
    let name_line = std::fs::read_to_string(dir.path().join("ping.toml"))
        .unwrap()
        .lines()
        .position(|l| l.starts_with("name = "))
        .unwrap() as u64
        + 1;
    assert_eq!(
        places,
        [
            ("tenants/acme.toml".into(), 2, "ping.toml".into(), name_line),
            (
                "tenants/globex.toml".into(),
                4,
                "ping.toml".into(),
                name_line
            ),
        ]
    );
    assert!(results.iter().all(|r| r["ruleId"] == "wxc::invalid-name"));
    assert_ne!(fingerprint(&results[0]), fingerprint(&results[1]));
}

#[test]
fn regions_end_after_the_span_in_characters() {
    let source = SourceFile::new("a.toml", "x = \"é\"\nnext = \"chek\"\n");
    let start = source.text.find("\"chek\"").unwrap();
    let d = wxcflow::diagnostic::Diagnostic::new(Code::UnknownTarget, "no node named `chek`")
        .with_span(Some(source.span(start..start + 6)))
        .with_help("did you mean `check`?");
    let log = SarifLog::new();
    let mut log = log;
    log.add(&[d], &[&source], None);
    let value = log.to_value();
    let result = &value["runs"][0]["results"][0];
    assert_eq!(
        result["locations"][0]["physicalLocation"]["region"],
        serde_json::json!({"startLine": 2, "startColumn": 8, "endLine": 2, "endColumn": 14})
    );
    assert_eq!(
        result["message"]["text"],
        "no node named `chek`\nhelp: did you mean `check`?"
    );
    assert_eq!(
        value["runs"][0]["tool"]["driver"]["rules"][result["ruleIndex"].as_u64().unwrap() as usize]
            ["id"],
        "wxc::unknown-target"
    );
}

#[test]
fn a_diagnostic_without_a_span_is_placed_on_its_input_or_nowhere() {
    let d = wxcflow::diagnostic::Diagnostic::new(Code::TooLarge, "too big");
    let mut log = SarifLog::new();
    log.add(std::slice::from_ref(&d), &[], Some("flows/big.toml"));
    log.add(&[d], &[], None);
    let value = log.to_value();
    let results = value["runs"][0]["results"].as_array().unwrap();
    assert_eq!(
        results[0]["locations"],
        serde_json::json!([{"physicalLocation": {"artifactLocation": {"uri": "flows/big.toml"}}}])
    );
    assert!(results[1].get("locations").is_none());
}

#[test]
fn unreadable_inputs_make_the_run_unsuccessful() {
    let mut log = SarifLog::new();
    assert_eq!(
        log.to_value()["runs"][0]["invocations"],
        serde_json::json!([{"executionSuccessful": true}])
    );
    log.add_failure("cannot read x.toml");
    assert_eq!(
        log.to_value()["runs"][0]["invocations"][0]["executionSuccessful"],
        false
    );
}

/// On a POSIX system a backslash is a character of a file name: `a\b.toml` is one file in the
/// current folder, and its URI names that file (`a%5Cb.toml`), not `a/b.toml` in a folder `a`.
#[cfg(unix)]
#[test]
fn a_backslash_in_a_posix_file_name_is_percent_encoded() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        root().join("fixtures/invalid/unknown-target.toml"),
        dir.path().join("a\\b.toml"),
    )
    .unwrap();
    let out = wxcflow(dir.path(), &["check", "--format", "sarif", "a\\b.toml"]);
    assert_eq!(out.status.code(), Some(1));
    let log: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_valid_sarif(&log);
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for result in results {
        let uri = &result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"];
        assert_eq!(uri, "a%5Cb.toml", "{result}");
    }
}
