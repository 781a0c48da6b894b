//! The routes into other tools: the pre-commit hooks and the CI workflow are run from their own
//! files against a repository laid out from the fixtures; man pages come from the binary.
// A test stops at the first thing that is not as expected.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use yaml_rust2::{Yaml, YamlLoader};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn load_yaml(relative: &str) -> Yaml {
    let text = std::fs::read_to_string(root().join(relative)).unwrap();
    let mut documents = YamlLoader::load_from_str(&text).unwrap();
    assert_eq!(documents.len(), 1, "{relative} holds one YAML document");
    documents.remove(0)
}

fn string(yaml: &Yaml) -> Option<String> {
    match yaml {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Boolean(b) => Some(b.to_string()),
        Yaml::Integer(i) => Some(i.to_string()),
        _ => None,
    }
}

/// A YAML mapping of plain values, in file order.
fn mapping(yaml: &Yaml) -> Vec<(String, String)> {
    yaml.as_hash()
        .map(|hash| {
            hash.iter()
                .map(|(k, v)| (string(k).unwrap(), string(v).unwrap()))
                .collect()
        })
        .unwrap_or_default()
}

fn copy_toml_files(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|x| x == "toml") {
            std::fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
        }
    }
}

fn copy_file(from: &Path, to: &Path) {
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::copy(from, to).unwrap();
}

/// A flows repository as the README lays it out: specs in `flows`, the GetOAuthToken template in
/// `template`, tenant files in `tenants`, scenarios in `scenarios` (paths relative to the repo).
struct Layout<'a> {
    flows: &'a str,
    template: &'a str,
    tenants: &'a str,
    scenarios: Option<&'a str>,
}

fn lay_out_repo(dir: &Path, layout: &Layout) {
    copy_toml_files(&root().join("fixtures/flows"), &dir.join(layout.flows));
    copy_file(
        &root().join("templates/get-oauth-token.toml"),
        &dir.join(layout.template),
    );
    copy_toml_files(&root().join("fixtures/tenants"), &dir.join(layout.tenants));
    if let Some(scenarios) = layout.scenarios {
        copy_toml_files(&root().join("fixtures/scenarios"), &dir.join(scenarios));
    }
}

/// The environment a developer or CI runner would have: the built wxcflow first on PATH, the
/// fixture tenants' secrets, and a private temporary folder.
fn base_command(program: &str, dir: &Path, tmp: &Path) -> Command {
    let bin = Path::new(env!("CARGO_BIN_EXE_wxcflow")).parent().unwrap();
    let path = std::env::join_paths(std::iter::once(bin.to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    let mut command = Command::new(program);
    command
        .current_dir(dir)
        .env_clear()
        .env("PATH", path)
        .env("HOME", dir)
        .env("TMPDIR", tmp)
        .env("LC_ALL", "C");
    for (name, value) in &common::secrets().0 {
        command.env(name, value);
    }
    command
}

fn text(output: &Output) -> String {
    format!(
        "exit {:?}\n{}{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

// ---- pre-commit hooks ----

struct Hook {
    id: String,
    entry: String,
    args: Vec<String>,
    files: regex::Regex,
    pass_filenames: bool,
}

fn hooks() -> Vec<Hook> {
    let yaml = load_yaml(".pre-commit-hooks.yaml");
    yaml.as_vec()
        .expect("a list of hooks")
        .iter()
        .map(|hook| {
            assert_eq!(hook["language"].as_str(), Some("rust"));
            assert!(hook["name"].as_str().is_some());
            Hook {
                id: hook["id"].as_str().unwrap().to_string(),
                entry: hook["entry"].as_str().unwrap().to_string(),
                args: hook["args"]
                    .as_vec()
                    .map(|a| a.iter().map(|v| string(v).unwrap()).collect())
                    .unwrap_or_default(),
                files: regex::Regex::new(hook["files"].as_str().unwrap()).unwrap(),
                pass_filenames: hook["pass_filenames"].as_bool().unwrap_or(true),
            }
        })
        .collect()
}

/// Every file of the repository, relative and with forward slashes, as pre-commit sees them.
fn repo_files(dir: &Path) -> Vec<String> {
    fn walk(dir: &Path, base: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, base, out);
            } else {
                let relative = path.strip_prefix(base).unwrap();
                out.push(relative.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let mut files = Vec::new();
    walk(dir, dir, &mut files);
    files.sort();
    files
}

/// Runs a hook as pre-commit does: its entry, then its args, then the matching files.
fn run_hook(hook: &Hook, dir: &Path, tmp: &Path) -> Output {
    assert!(
        !hook.entry.contains(['"', '\'']),
        "entries are split on spaces here"
    );
    let mut words = hook.entry.split_whitespace();
    let mut command = base_command(words.next().unwrap(), dir, tmp);
    command.args(words).args(&hook.args);
    if hook.pass_filenames {
        let files: Vec<String> = repo_files(dir)
            .into_iter()
            .filter(|f| hook.files.is_match(f))
            .collect();
        assert!(!files.is_empty(), "{} matches no fixture file", hook.id);
        command.args(files);
    }
    command.output().unwrap()
}

fn hook_named<'a>(hooks: &'a [Hook], id: &str) -> &'a Hook {
    hooks.iter().find(|h| h.id == id).unwrap()
}

#[test]
fn the_hooks_are_the_three_documented_ones() {
    let ids: Vec<String> = hooks().into_iter().map(|h| h.id).collect();
    assert_eq!(ids, ["wxcflow-fmt", "wxcflow-check", "wxcflow-render"]);
}

#[test]
fn the_hooks_pass_on_a_clean_repository() {
    let repo = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    lay_out_repo(
        repo.path(),
        &Layout {
            flows: "flows",
            template: "templates/get-oauth-token.toml",
            tenants: "tenants",
            scenarios: None,
        },
    );
    for hook in hooks() {
        let out = run_hook(&hook, repo.path(), tmp.path());
        assert_eq!(out.status.code(), Some(0), "{}: {}", hook.id, text(&out));
    }
    // The render hook kept nothing: its scratch folder is gone.
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
}

#[test]
fn each_hook_fails_on_what_it_guards() {
    let hooks = hooks();
    let repo = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = repo.path();
    lay_out_repo(
        dir,
        &Layout {
            flows: "flows",
            template: "templates/get-oauth-token.toml",
            tenants: "tenants",
            scenarios: None,
        },
    );
    // A spec out of canonical format (a table before [flow]).
    let spec = std::fs::read_to_string(dir.join("flows/GetOAuthToken.toml")).unwrap();
    std::fs::write(
        dir.join("flows/GetOAuthToken.toml"),
        format!("[variables.Extra]\ndefault = \"\"\n\n{spec}"),
    )
    .unwrap();
    let out = run_hook(hook_named(&hooks, "wxcflow-fmt"), dir, tmp.path());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("flows/GetOAuthToken.toml"),
        "{}",
        text(&out)
    );

    // A spec with an error.
    copy_file(
        &root().join("fixtures/invalid/unknown-target.toml"),
        &dir.join("flows/unknown-target.toml"),
    );
    let out = run_hook(hook_named(&hooks, "wxcflow-check"), dir, tmp.path());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("error[wxc::unknown-target]: no node named `chek`\n  --> flows/unknown-target.toml:21:22"),
        "{}",
        text(&out)
    );

    // A tenant with a misspelt parameter.
    std::fs::write(
        dir.join("tenants/typo.toml"),
        "token_servce_url = \"https://example.com/token\"\n",
    )
    .unwrap();
    let out = run_hook(hook_named(&hooks, "wxcflow-render"), dir, tmp.path());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("error[wxc::unknown-param]") && text(&out).contains("failed: typo"),
        "{}",
        text(&out)
    );
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
    assert!(!dir.join("out").exists());
}

// ---- the CI workflow ----

struct Step {
    name: String,
    run: Option<String>,
    uses: Option<String>,
    env: Vec<(String, String)>,
    with: Vec<(String, String)>,
}

struct Workflow {
    env: Vec<(String, String)>,
    steps: Vec<Step>,
}

fn workflow() -> Workflow {
    let yaml = load_yaml("docs/ci/wxcflow.yml");
    assert_eq!(yaml["defaults"]["run"]["shell"].as_str(), Some("bash"));
    let jobs = yaml["jobs"].as_hash().expect("jobs");
    assert_eq!(jobs.len(), 1);
    let job = jobs.values().next().unwrap();
    let mut env = mapping(&yaml["env"]);
    env.extend(mapping(&job["env"]));
    let steps = job["steps"]
        .as_vec()
        .unwrap()
        .iter()
        .map(|step| Step {
            name: step["name"].as_str().unwrap_or_default().to_string(),
            run: step["run"].as_str().map(str::to_string),
            uses: step["uses"].as_str().map(str::to_string),
            env: mapping(&step["env"]),
            with: mapping(&step["with"]),
        })
        .collect();
    Workflow { env, steps }
}

/// `${{ env.NAME }}` and `${{ secrets.NAME }}` as the runner resolves them; anything else in
/// `${{ }}` is not expected where the test looks.
fn resolve(value: &str, env: &BTreeMap<String, String>) -> String {
    let secrets = common::secrets().0;
    let mut out = String::new();
    let mut rest = value;
    while let Some(start) = rest.find("${{") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("}}").unwrap() + start;
        let expression = rest[start + 3..end].trim();
        let resolved = if let Some(name) = expression.strip_prefix("env.") {
            env[name].clone()
        } else if let Some(name) = expression.strip_prefix("secrets.") {
            secrets
                .get(name)
                .unwrap_or_else(|| panic!("no fixture secret {name}"))
                .to_string()
        } else {
            panic!("unexpected expression {expression}")
        };
        out.push_str(&resolved);
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}

/// Runs every step of the workflow that runs wxcflow, in order, as the runner would (bash with
/// `-eo pipefail`), in a repository laid out where the workflow's own `env` says. The step that
/// builds wxcflow is replaced by the binary under test.
fn run_workflow(workflow: &Workflow, repo: &Path, tmp: &Path) -> Vec<(String, Output)> {
    let env: BTreeMap<String, String> = workflow.env.iter().cloned().collect();
    let mut outputs = Vec::new();
    for step in &workflow.steps {
        let Some(run) = &step.run else { continue };
        if run.contains("cargo install") || !run.contains("wxcflow ") {
            continue;
        }
        assert!(
            !run.contains("${{"),
            "{}: run blocks use $VARIABLES",
            step.name
        );
        let mut command = base_command("bash", repo, tmp);
        command.args(["--noprofile", "--norc", "-eo", "pipefail", "-c", run]);
        for (name, value) in workflow.env.iter().chain(&step.env) {
            command.env(name, resolve(value, &env));
        }
        outputs.push((step.name.clone(), command.output().unwrap()));
    }
    outputs
}

fn workflow_layout(workflow: &Workflow) -> BTreeMap<String, String> {
    workflow.env.iter().cloned().collect()
}

fn lay_out_for(workflow: &Workflow, repo: &Path) -> BTreeMap<String, String> {
    let env = workflow_layout(workflow);
    lay_out_repo(
        repo,
        &Layout {
            flows: &env["FLOWS"],
            template: &env["TEMPLATE"],
            tenants: &env["TENANTS"],
            scenarios: Some(&env["SCENARIOS"]),
        },
    );
    env
}

fn validate_sarif(path: &Path) -> serde_json::Value {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/schemas/sarif-2.1.0.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::options().build(&schema).unwrap();
    let log: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert!(
        validator.is_valid(&log),
        "{} is not valid SARIF",
        path.display()
    );
    log
}

#[test]
fn the_workflow_builds_checks_renders_tests_and_uploads() {
    let workflow = workflow();
    let uses: Vec<&str> = workflow
        .steps
        .iter()
        .filter_map(|s| s.uses.as_deref())
        .collect();
    for action in [
        "actions/checkout@",
        "actions/upload-artifact@",
        "github/codeql-action/upload-sarif@",
    ] {
        assert!(uses.iter().any(|u| u.starts_with(action)), "no {action}");
    }
    let runs: Vec<&str> = workflow
        .steps
        .iter()
        .filter_map(|s| s.run.as_deref())
        .collect();
    assert!(runs
        .iter()
        .any(|r| r.contains("cargo install") && r.contains("wxcflow")));
    for command in [
        "wxcflow fmt --check",
        "wxcflow check --format sarif",
        "wxcflow render",
        "wxcflow sheet",
        "wxcflow test",
    ] {
        assert!(runs.iter().any(|r| r.contains(command)), "no {command}");
    }
}

#[test]
fn the_workflow_runs_clean_on_the_fixtures() {
    let workflow = workflow();
    let repo = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let env = lay_out_for(&workflow, repo.path());
    // A tenant whose document holds no secret: the one document the artifact keeps.
    std::fs::write(
        repo.path().join(&env["TENANTS"]).join("plain.toml"),
        "debug_report = false\n",
    )
    .unwrap();
    let outputs = run_workflow(&workflow, repo.path(), tmp.path());
    let names: Vec<&str> = outputs.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["Check", "Formatting", "Render every tenant", "Scenarios"]
    );
    for (name, out) in &outputs {
        assert_eq!(out.status.code(), Some(0), "{name}: {}", text(out));
    }
    let scenarios = text(&outputs[3].1);
    let count = std::fs::read_dir(root().join("fixtures/scenarios"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "toml")
        })
        .count();
    assert!(
        scenarios.contains(&format!("{count} passed, 0 failed")),
        "{scenarios}"
    );

    // What the upload steps name exists: SARIF logs (valid, with no errors) and the artifacts.
    let env_map = workflow_layout(&workflow);
    let mut sarif_files = 0;
    let mut artifact_paths = Vec::new();
    for step in &workflow.steps {
        let with: BTreeMap<_, _> = step.with.iter().cloned().collect();
        if let Some(file) = with.get("sarif_file") {
            let log = validate_sarif(&repo.path().join(resolve(file, &env_map)));
            // Warnings at most (a tenant that switches the debug report off leaves Debug-URL unread).
            for result in log["runs"][0]["results"].as_array().unwrap() {
                assert_eq!(result["level"], "warning", "{result}");
            }
            sarif_files += 1;
        }
        if step
            .uses
            .as_deref()
            .is_some_and(|u| u.starts_with("actions/upload-artifact@"))
        {
            artifact_paths.extend(
                resolve(&with["path"], &env_map)
                    .lines()
                    .map(|l| repo.path().join(l.trim())),
            );
        }
    }
    assert_eq!(sarif_files, 2);
    let listing = |dir: &PathBuf| {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    // Documents holding a tenant's secret are left out; every tenant has its sheet.
    // The manifest names every tenant, with digests only of documents that hold no secret.
    assert_eq!(
        listing(&artifact_paths[0]),
        ["plain.flow.json", "wxcflow-manifest.json"]
    );
    assert_eq!(
        listing(&artifact_paths[1]),
        [
            "acme.md",
            "globex.md",
            "initech.md",
            "plain.md",
            "umbrella.md"
        ]
    );
    for sheet in listing(&artifact_paths[1]) {
        let text = std::fs::read_to_string(artifact_paths[1].join(sheet)).unwrap();
        for secret in common::secrets().0.values().filter(|s| !s.is_empty()) {
            assert!(!text.contains(secret));
        }
    }
}

#[test]
fn the_workflow_posts_findings_and_fails_on_bad_specs_and_tenants() {
    let workflow = workflow();
    let repo = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let env = lay_out_for(&workflow, repo.path());
    copy_file(
        &root().join("fixtures/invalid/unknown-target.toml"),
        &repo.path().join(&env["FLOWS"]).join("unknown-target.toml"),
    );
    std::fs::write(
        repo.path().join(&env["TENANTS"]).join("typo.toml"),
        "token_servce_url = \"https://example.com/token\"\n",
    )
    .unwrap();
    let outputs = run_workflow(&workflow, repo.path(), tmp.path());
    let (name, check) = &outputs[0];
    assert_eq!(name, "Check");
    assert_eq!(check.status.code(), Some(1), "{}", text(check));
    // Both problems are in the log, readable, whatever the order the checks ran in.
    assert!(text(check).contains("error[wxc::unknown-target]"));
    assert!(text(check).contains("error[wxc::unknown-param]"));

    let out = repo.path().join(&env["OUT"]);
    let specs = validate_sarif(&out.join("specs.sarif"));
    let result = &specs["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "wxc::unknown-target");
    let location = &result["locations"][0]["physicalLocation"];
    assert_eq!(
        location["artifactLocation"]["uri"],
        format!("{}/unknown-target.toml", env["FLOWS"])
    );
    assert_eq!(location["region"]["startLine"], 21);
    assert_eq!(location["region"]["startColumn"], 22);
    let tenants = validate_sarif(&out.join("tenants.sarif"));
    let result = &tenants["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "wxc::unknown-param");
    assert_eq!(
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        format!("{}/typo.toml", env["TENANTS"])
    );
}

// ---- man pages ----

#[test]
fn man_writes_one_roff_page_per_command() {
    let dir = tempfile::tempdir().unwrap();
    let out = common::wxcflow(dir.path(), &["man", "pages"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let pages = dir.path().join("pages");
    let mut names: Vec<String> = std::fs::read_dir(&pages)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    // The commands `wxcflow --help` lists, each with its page.
    let help = common::wxcflow(dir.path(), &["--help"]);
    let help = String::from_utf8_lossy(&help.stdout).into_owned();
    let mut expected: Vec<String> = help
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(|c| format!("wxcflow-{c}.1"))
        .chain(std::iter::once("wxcflow.1".to_string()))
        .collect();
    expected.sort();
    assert_eq!(names, expected);
    let check = std::fs::read_to_string(pages.join("wxcflow-check.1")).unwrap();
    assert!(check.contains(&format!(
        ".TH wxcflow-check 1 \"\" \"wxcflow {}\" \"wxcflow\"",
        env!("CARGO_PKG_VERSION")
    )));
    assert!(check.contains("sarif"), "the page lists the formats");
    groff_reads_every_page(&pages, &names);
}

/// groff, where installed (.ci/run installs it), formats each page without a warning.
fn groff_reads_every_page(dir: &Path, names: &[String]) {
    let Ok(probe) = Command::new("groff").arg("-v").output() else {
        eprintln!("groff is not installed; .ci/run installs it");
        return;
    };
    assert!(probe.status.success());
    for name in names {
        let out = Command::new("groff")
            .args(["-man", "-Tutf8", "-ww", "-z"])
            .arg(dir.join(name))
            .output()
            .unwrap();
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
