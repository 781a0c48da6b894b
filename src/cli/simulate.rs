//! run and test: flows executed locally.

use super::*;
use wxcflow::tools::simulate::ChildError;

/// Finds called flows: `<dir>/<FlowName>.toml`, else any spec in the folders whose `[flow]`
/// name matches, else the embedded GetOAuthToken.
pub(super) struct FsFlows<'a> {
    session: &'a Session,
    dirs: Vec<PathBuf>,
}

/// `--flows` names folders: a mistyped one would leave a Call Flow unresolved with no word why.
pub(super) fn flow_folders_exist(flows: &[PathBuf]) -> Result<(), Failure> {
    match flows.iter().find(|dir| !dir.is_dir()) {
        Some(dir) => Err(Failure::usage(format!(
            "--flows {}: not a folder",
            dir.display()
        ))),
        None => Ok(()),
    }
}

impl<'a> FsFlows<'a> {
    pub(super) fn new(session: &'a Session, spec: Option<&Path>, extra: &[PathBuf]) -> FsFlows<'a> {
        let mut dirs: Vec<PathBuf> = spec
            .and_then(Path::parent)
            .map(|p| {
                if p.as_os_str().is_empty() {
                    PathBuf::from(".")
                } else {
                    p.to_path_buf()
                }
            })
            .into_iter()
            .collect();
        dirs.extend(extra.iter().cloned());
        FsFlows { session, dirs }
    }

    fn compile(&self, source: &SourceFile) -> Result<wxcflow::flow::Flow, ChildError> {
        let result = self.session.compiler().build(source);
        result
            .output
            .map(|(d, _)| d.flow)
            .ok_or_else(|| ChildError::DoesNotCompile {
                file: source.name.clone(),
                summary: Diagnostic::summary(&result.diagnostics),
                first: result
                    .diagnostics
                    .iter()
                    .find(|d| d.is_error())
                    .map(|d| (d.code.as_str().to_string(), d.message.clone())),
            })
    }
}

impl wxcflow::tools::simulate::FlowResolver for FsFlows<'_> {
    fn resolve(&self, flow: &str) -> Result<wxcflow::flow::Flow, ChildError> {
        for dir in &self.dirs {
            // Only regular files are searched: a FIFO in the folder would block the run.
            let direct = dir.join(format!("{flow}.toml"));
            if direct.is_file() {
                if let Ok(source) = read_source(self.session, &direct) {
                    return self.compile(&source);
                }
            }
            let Ok(entries) = std::fs::read_dir(dir) else {
                continue;
            };
            let mut paths: Vec<PathBuf> = entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
                .collect();
            paths.sort();
            for path in paths {
                let Ok(source) = read_source(self.session, &path) else {
                    continue;
                };
                if let Ok(spec) = wxcflow::spec::Spec::parse(&source) {
                    if spec.name() == flow {
                        return self.compile(&source);
                    }
                }
            }
        }
        // Last, the flows wxcflow carries, by the name their own spec gives them.
        let embedded = SourceFile::new(wxcflow::DEFAULT_SPEC_NAME, wxcflow::DEFAULT_SPEC);
        if wxcflow::spec::Spec::parse(&embedded).is_ok_and(|spec| spec.name() == flow) {
            return self.compile(&embedded);
        }
        Err(ChildError::NotFound {
            flow: flow.to_string(),
            searched: self.dirs.iter().map(|d| d.display().to_string()).collect(),
        })
    }
}

// The run, then `run`'s arguments as given.
#[allow(clippy::too_many_arguments)]
pub(super) fn simulate(
    s: &Session,
    spec: Option<&Path>,
    trigger: Option<&str>,
    values: Option<&Path>,
    mock: Option<&Path>,
    live: bool,
    flows: &[PathBuf],
    format: Format,
    reveal_path: bool,
) -> Outcome {
    flow_folders_exist(flows)?;
    let compiled = compile(s, spec, values, Secrets::Read)?;
    let body: serde_json::Value = match trigger {
        None => compiled.document.flow.trigger.sample.clone(),
        Some(text) => match serde_json::from_str::<serde_json::Value>(text) {
            Ok(v) if v.is_object() => v,
            Ok(_) => return Err(Failure::usage(
                "--trigger must be a JSON object, as the webhook receives: '{\"hook\": \"null\"}'",
            )),
            Err(e) => return Err(Failure::usage(format!("--trigger is not JSON: {e}"))),
        },
    };
    let resolver = FsFlows::new(s, spec, flows);
    let run = if live {
        compiled
            .document
            .flow
            .simulate(&body, &mut super::live::LiveHttp, &resolver)
    } else {
        let exchanges = match mock {
            None => Vec::new(),
            Some(path) => load_mock(s, path)?,
        };
        wxcflow::flow::Flow::simulate(
            &compiled.document.flow,
            &body,
            &mut wxcflow::tools::simulate::mock::MockClient { exchanges },
            &resolver,
        )
    };
    let run = if reveal_path {
        run
    } else {
        run.without_secret_path()
    };
    match format {
        Format::Human => out!(s, "{}", run.render_text()),
        Format::Json => out!(s, "{}", run.render_json()),
    }
    if run.error.is_some() {
        Err(Failure::problems())
    } else {
        Ok(Done::Clean)
    }
}

/// The `[[http]]` exchanges of a mock file; a file that does not read is a located error.
pub(super) fn load_mock(
    s: &Session,
    path: &Path,
) -> Result<Vec<wxcflow::tools::simulate::mock::MockExchange>, Failure> {
    let source = read_source(s, path)?;
    match toml::from_str::<wxcflow::tools::simulate::mock::MockFile>(&source.text) {
        Ok(file) => Ok(file.http),
        // A mock may hold a credential header's expected value or a reply's token: a file
        // that does not read is told by its line only, none of it quoted, as a tenant file.
        Err(e) => {
            let d = Diagnostic::new(
                Code::TomlSyntax,
                format!(
                    "invalid mock file: {}",
                    diagnostic::in_toml_terms(e.message().trim_end())
                ),
            )
            .with_span(e.span().map(|r| source.span(r)));
            print_diagnostics(s, &[d], &[&source.values_hidden()], Format::Human, false);
            Err(Failure::problems())
        }
    }
}

/// A folder that could not be read, and why.
type Unread = (PathBuf, String);

/// Scenario files under the paths given: files as they are, a folder's `*.toml` (not its
/// subfolders, where the flows that scenarios run can live); and the folders that could not be
/// read, with why (each counted as a scenario that could not be read).
fn scenario_files(paths: &[PathBuf]) -> Result<(Vec<PathBuf>, Vec<Unread>), String> {
    let mut files = Vec::new();
    let mut unreadable = Vec::new();
    for path in paths {
        if path.is_dir() {
            let entries = match std::fs::read_dir(path) {
                Ok(entries) => entries,
                Err(e) => {
                    unreadable.push((path.clone(), format!("cannot read {}: {e}", path.display())));
                    continue;
                }
            };
            files.extend(
                entries
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "toml")),
            );
        } else if path.exists() {
            files.push(path.clone());
        } else {
            return Err(format!("no scenario at {}", path.display()));
        }
    }
    files.sort();
    Ok((files, unreadable))
}

pub(super) fn test(
    s: &Session,
    paths: &[PathBuf],
    flows: &[PathBuf],
    flow_designer: bool,
) -> Outcome {
    flow_folders_exist(flows)?;
    let (files, unread_folders) = scenario_files(paths).map_err(Failure::usage)?;
    if files.is_empty() && unread_folders.is_empty() {
        let searched: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        return Err(Failure::input(format!(
            "no scenario files (*.toml) in {}; nothing was tested",
            searched.join(", ")
        )));
    }
    // A scenario (or a file it names) that cannot be read is an I/O failure, counted apart:
    // the run ends with exit 2 as every command's does, after the others are told.
    let (mut passed, mut failed, mut unreadable) = (0, 0, 0);
    for (folder, why) in &unread_folders {
        unreadable += 1;
        let name = folder.display().to_string();
        outln!(
            s,
            "ERROR {}: {}",
            diagnostic::printable_name(&name),
            diagnostic::printable(why)
        );
    }
    for file in &files {
        let name = file.display().to_string();
        let name = diagnostic::printable_name(&name);
        match run_scenario(s, file, flows, flow_designer) {
            Ok((label, failures)) if failures.is_empty() => {
                passed += 1;
                outln!(s, "ok    {name}: {}", diagnostic::printable_name(&label));
            }
            Ok((label, failures)) => {
                failed += 1;
                outln!(s, "FAIL  {name}: {}", diagnostic::printable_name(&label));
                for f in failures {
                    outln!(
                        s,
                        "      {}: expected {}, got {}",
                        diagnostic::printable_name(&f.what),
                        diagnostic::printable_name(&f.expected),
                        diagnostic::printable_name(&f.actual)
                    );
                }
            }
            Err(NotRun::Failed(why)) => {
                failed += 1;
                outln!(s, "FAIL  {name}: {}", diagnostic::printable(&why));
            }
            Err(NotRun::Unreadable(why)) => {
                unreadable += 1;
                outln!(s, "ERROR {name}: {}", diagnostic::printable(&why));
            }
        }
    }
    if unreadable > 0 {
        outln!(
            s,
            "{passed} passed, {failed} failed, {unreadable} could not be read"
        );
        return Err(Failure::usage(format!(
            "{unreadable} scenario{} could not be read",
            if unreadable == 1 { "" } else { "s" }
        )));
    }
    outln!(s, "{passed} passed, {failed} failed");
    if failed > 0 {
        Err(Failure::problems())
    } else {
        Ok(Done::Clean)
    }
}

/// Why a scenario was not run to its end: it failed (exit 1), or it or its spec could not be
/// read (an I/O failure, exit 2).
enum NotRun {
    Failed(String),
    Unreadable(String),
}

impl From<String> for NotRun {
    fn from(why: String) -> NotRun {
        NotRun::Failed(why)
    }
}

impl From<&str> for NotRun {
    fn from(why: &str) -> NotRun {
        NotRun::Failed(why.to_string())
    }
}

/// Loads, builds and runs one scenario (with `flow_designer`, also on the subflow lowered
/// from its spec); its label and unmet expectations.
fn run_scenario(
    s: &Session,
    file: &Path,
    flows: &[PathBuf],
    flow_designer: bool,
) -> Result<(String, Vec<wxcflow::tools::simulate::scenario::Failure>), NotRun> {
    let source = read_source(s, file).map_err(unread)?;
    let scenario: wxcflow::tools::simulate::scenario::Scenario = toml::from_str(&source.text)
        .map_err(|e| {
            // Told by its line only, as a tenant file is: where on the line reading stopped
            // would tell how long a value before it is (its `[values]` may hold secrets).
            let at = (e.span().map(|r| source.span(r))).map_or(String::new(), |at| {
                format!("{}:{}:1: ", source.name, at.line)
            });
            let why = diagnostic::in_toml_terms(e.message().trim_end());
            format!("{at}invalid scenario: {why}")
        })?;
    let base = file.parent().unwrap_or(Path::new("."));
    let spec_path = scenario.spec.as_ref().map(|s| base.join(s));
    let spec_source = match &spec_path {
        Some(p) => read_source(s, p).map_err(unread)?,
        None => SourceFile::new(wxcflow::DEFAULT_SPEC_NAME, wxcflow::DEFAULT_SPEC),
    };
    // A scenario runs a Webex Connect spec (and, with --target flow-designer, the subflow
    // lowered from it): a Flow Designer file is said to be one, not read as a broken spec.
    if let Some(kind) = wxcflow::InputKind::flow_designer(spec_source.text.as_bytes()) {
        let what = match kind {
            wxcflow::InputKind::FlowDesignerSpec => "a Flow Designer spec",
            _ => "a Flow Designer export",
        };
        return Err(format!(
            "its spec {} is {what}: scenarios run Webex Connect specs (with --target flow-designer, the subflow built from one too); run a Flow Designer file with `wxcflow run FILE --inputs VALUES --mock MOCKS`",
            spec_source.name
        )
        .into());
    }
    // A scenario that expects nothing passes whatever the flow does: a mistake, not a test.
    if scenario.expect.is_empty() {
        return Err("it expects nothing: give [expect] an outcome, variables, visited nodes, requests or an error".into());
    }
    let values = scenario.values_source(&source);
    let tenant = wxcflow::render::Tenant::parse("scenario", values).map_err(|d| located(&d))?;
    let store = FsSecrets::beside(s, Some(file));
    let build = s
        .compiler()
        .build_tenant(&spec_source, Some(&tenant), &store);
    let Some((document, _)) = &build.output else {
        // Its own `[values]` the scenario's fault, told as such; the spec's, the spec's.
        let in_values = (build.diagnostics.iter())
            .filter(|d| d.is_error())
            .all(|d| {
                d.span
                    .as_ref()
                    .is_some_and(|at| at.file.starts_with(&source.name))
            });
        let whose = if in_values {
            "its [values] do not fit the spec"
        } else {
            "the spec does not build"
        };
        return Err(format!("{whose}: {}", errors(&build.diagnostics)).into());
    };
    let body: serde_json::Value = match &scenario.trigger {
        None => document.flow.trigger.sample.clone(),
        Some(text) => match serde_json::from_str::<serde_json::Value>(text) {
            Ok(v) if v.is_object() => v,
            Ok(_) => return Err("trigger must be a JSON object".into()),
            Err(e) => return Err(format!("trigger is not JSON: {e}").into()),
        },
    };
    let resolver = FsFlows::new(s, spec_path.as_deref(), flows);
    let mut http = wxcflow::tools::simulate::mock::MockClient {
        exchanges: scenario.http.clone(),
    };
    let run = document.flow.simulate(&body, &mut http, &resolver);
    let label = scenario
        .name
        .clone()
        .unwrap_or_else(|| document.flow.name.clone());
    let mut failures = run.check(&scenario.expect);
    if flow_designer {
        use wxcflow::flow_designer as fd;
        let children = |flow: &wxcflow::flow::Flow| {
            super::flow_designer::children(s, spec_path.as_deref(), flows, flow, Default::default())
        };
        let lowered = s
            .compiler()
            .lower_flow_designer(&document.flow, &children)
            .build;
        let Some((model, _)) = lowered.output else {
            return Err(format!(
                "the spec does not build for Flow Designer: {}",
                errors(&lowered.diagnostics)
            )
            .into());
        };
        let inputs = fd::run::agree::inputs_for(&model, &body);
        let mut http = wxcflow::tools::simulate::mock::MockClient {
            exchanges: scenario.http.clone(),
        };
        let lookup = fd::run::agree::Lowered(&resolver);
        let fd_run = model.run(&inputs, &mut http, &[], &lookup);
        failures.extend(fd::run::agree::check_both(
            &document.flow,
            &run,
            &fd_run,
            &scenario.expect,
            &scenario.flow_designer,
        ));
    }
    Ok((label, failures))
}

/// A build's errors on one line: `file:line:column: code: message (help); ...`, each located
/// where it has a place.
fn errors(diagnostics: &[Diagnostic]) -> String {
    let errors: Vec<String> = (diagnostics.iter())
        .filter(|d| d.is_error())
        .map(located)
        .collect();
    errors.join("; ")
}

/// One diagnostic on one line: `file:line:column: code: message (help)`.
fn located(d: &Diagnostic) -> String {
    let at = (d.span.as_ref()).map_or(String::new(), |at| {
        format!("{}:{}:{}: ", at.file, at.line, at.column)
    });
    let help = d.help.as_ref().map_or(String::new(), |h| format!(" ({h})"));
    format!("{at}{}: {}{help}", d.code.as_str(), d.message)
}

/// A scenario's file that could not be read, as its failure line says it: one that is not UTF-8
/// by its code and line, as every command tells it (a failed scenario, as any bad input); one
/// the system would not give, unreadable.
fn unread(e: super::io::ReadError) -> NotRun {
    if !e.is_input_problem() {
        return NotRun::Unreadable(e.message);
    }
    NotRun::Failed(match e.not_text.as_deref() {
        Some((_, d)) => match &d.span {
            Some(at) => format!(
                "{}: {} at {}:{}",
                d.code.as_str(),
                d.message,
                at.file,
                at.line
            ),
            None => format!("{}: {}", d.code.as_str(), d.message),
        },
        None => e.message,
    })
}
