//! run and test: flows executed locally.

use super::*;

/// Finds called flows: `<dir>/<FlowName>.toml`, else any spec in the folders whose `[flow]`
/// name matches, else the embedded GetOAuthToken.
struct FsFlows {
    dirs: Vec<PathBuf>,
}

impl FsFlows {
    fn new(spec: Option<&Path>, extra: &[PathBuf]) -> FsFlows {
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
        FsFlows { dirs }
    }

    fn compile(&self, source: &SourceFile) -> Result<wxcflow::flow::Flow, String> {
        let result = compiler().build(source);
        result.output.map(|(d, _)| d.flow).ok_or_else(|| {
            let first = result
                .diagnostics
                .iter()
                .find(|d| d.is_error())
                .map_or(String::new(), |d| {
                    format!(" (first: {}: {})", d.code.as_str(), d.message)
                });
            format!(
                "{} does not compile: {}{first}",
                source.name,
                diagnostic::summary(&result.diagnostics)
            )
        })
    }
}

impl wxcflow::sim::FlowResolver for FsFlows {
    fn resolve(&self, flow: &str) -> Result<wxcflow::flow::Flow, String> {
        for dir in &self.dirs {
            // Only regular files are searched: a FIFO in the folder would block the run.
            let direct = dir.join(format!("{flow}.toml"));
            if direct.is_file() {
                if let Ok(source) = read_source(&direct) {
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
                let Ok(source) = read_source(&path) else {
                    continue;
                };
                if let Ok(spec) = wxcflow::spec::parse_spec(&source) {
                    if spec.flow.name.get_ref() == flow {
                        return self.compile(&source);
                    }
                }
            }
        }
        if flow == "GetOAuthToken" {
            return self.compile(&SourceFile::new(
                wxcflow::DEFAULT_SPEC_NAME,
                wxcflow::DEFAULT_SPEC,
            ));
        }
        let searched: Vec<String> = self.dirs.iter().map(|d| d.display().to_string()).collect();
        Err(format!("no flow named `{flow}` in {}", searched.join(", ")))
    }
}

/// Real HTTP for `run --live`, with the node's connection and request timeouts. Redirects are
/// followed by hand, so that each hop is in the trace and credential headers never reach
/// another origin.
struct LiveHttp;

/// How many redirects one request follows.
const MAX_REDIRECTS: usize = 10;

impl wxcflow::sim::HttpClient for LiveHttp {
    fn send(
        &mut self,
        r: &wxcflow::sim::Request,
        hops: &mut Vec<wxcflow::sim::Hop>,
    ) -> wxcflow::sim::Reply {
        use std::time::Duration;
        use wxcflow::secret::Text;
        use wxcflow::sim::{Hop, Reply};
        let request_ms = r
            .request_timeout_ms
            .unwrap_or(wxcflow::sim::DEFAULT_REQUEST_TIMEOUT_MS);
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_connect(
                r.connect_timeout_ms
                    .map(|ms| Duration::from_millis(ms.into())),
            )
            .timeout_global(Some(Duration::from_millis(request_ms.into())))
            .build()
            .into();
        // Whatever a failure says may quote the URL: it is as secret as the URL.
        let failed = |reason: String| Reply::ConnectionFailed {
            reason: Text::new(reason, r.url.is_secret()),
        };
        let mut url = r.url.expose().to_string();
        let mut method = r.method.clone();
        let mut body = r.body.as_ref().map(|b| b.expose().to_string());
        let mut headers: Vec<(String, String)> = r
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), v.expose().to_string()))
            .collect();
        loop {
            let mut builder = ureq::http::Request::builder()
                .method(method.as_str())
                .uri(url.as_str());
            for (k, v) in &headers {
                builder = builder.header(k.as_str(), v.as_str());
            }
            let request = match builder.body(body.clone().unwrap_or_default()) {
                Ok(request) => request,
                Err(e) => return failed(format!("invalid request: {e}")),
            };
            let mut response = match agent.run(request) {
                Ok(response) => response,
                // A connection that cannot be set up in time fails like a refused one (onError).
                Err(ureq::Error::Timeout(ureq::Timeout::Connect | ureq::Timeout::Resolve)) => {
                    return failed("connection timed out".into())
                }
                Err(ureq::Error::Timeout(_)) => return Reply::Timeout,
                Err(e) => return failed(e.to_string()),
            };
            let status = response.status();
            let location = response
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .and_then(|l| resolve_location(&url, l));
            if let (true, Some(next)) = (status.is_redirection(), location) {
                let shown = Text::new(next.clone(), r.url.is_secret());
                if hops.len() >= MAX_REDIRECTS {
                    hops.push(Hop {
                        status: status.as_u16(),
                        location: shown,
                        action: format!("not followed: more than {MAX_REDIRECTS} redirects"),
                    });
                } else {
                    let action = if same_origin(&url, &next) {
                        "followed".to_string()
                    } else {
                        let dropped: Vec<String> = headers
                            .iter()
                            .filter(|(k, _)| {
                                r.credential_headers
                                    .iter()
                                    .any(|c| c.eq_ignore_ascii_case(k))
                            })
                            .map(|(k, _)| k.clone())
                            .collect();
                        headers.retain(|(k, _)| !dropped.contains(k));
                        if dropped.is_empty() {
                            "followed to another origin".to_string()
                        } else {
                            format!(
                                "followed to another origin without credential headers {}",
                                dropped.join(", ")
                            )
                        }
                    };
                    hops.push(Hop {
                        status: status.as_u16(),
                        location: shown,
                        action,
                    });
                    // 303, and 301/302 after a POST, continue as GET without the body, as
                    // browsers and HTTP clients do.
                    if status.as_u16() == 303
                        || (matches!(status.as_u16(), 301 | 302) && method == "POST")
                    {
                        method = "GET".into();
                        body = None;
                    }
                    url = next;
                    continue;
                }
            }
            let reply_headers = response
                .headers()
                .iter()
                .map(|(k, v)| (k.to_string(), Text::plain(v.to_str().unwrap_or(""))))
                .collect();
            return match response.body_mut().read_to_string() {
                Ok(text) => Reply::Response {
                    status: status.as_u16(),
                    status_text: status.canonical_reason().unwrap_or("").to_string(),
                    headers: reply_headers,
                    body: Text::plain(text),
                },
                Err(ureq::Error::Timeout(_)) => Reply::Timeout,
                Err(e) => failed(e.to_string()),
            };
        }
    }
}

/// `scheme://host:port` of a URL, lower-cased, with the default port made explicit.
fn origin(url: &str) -> Option<(String, String, u16)> {
    let uri: ureq::http::Uri = url.parse().ok()?;
    let scheme = uri.scheme_str()?.to_ascii_lowercase();
    let host = uri.host()?.to_ascii_lowercase();
    let port = uri
        .port_u16()
        .unwrap_or(if scheme == "https" { 443 } else { 80 });
    Some((scheme, host, port))
}

fn same_origin(a: &str, b: &str) -> bool {
    matches!((origin(a), origin(b)), (Some(x), Some(y)) if x == y)
}

/// A `Location` header made absolute against the URL it answered.
fn resolve_location(base: &str, location: &str) -> Option<String> {
    let lower = location.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        return Some(location.to_string());
    }
    let (scheme, host, port) = origin(base)?;
    let authority = format!("{scheme}://{host}:{port}");
    if let Some(rest) = location.strip_prefix("//") {
        return Some(format!("{scheme}://{rest}"));
    }
    if location.starts_with('/') {
        return Some(format!("{authority}{location}"));
    }
    let uri: ureq::http::Uri = base.parse().ok()?;
    let dir = uri.path().rsplit_once('/').map_or("", |(d, _)| d);
    Some(format!("{authority}{dir}/{location}"))
}

pub(super) fn simulate(
    spec: Option<&Path>,
    trigger: Option<&str>,
    values: Option<&Path>,
    mock: Option<&Path>,
    live: bool,
    flows: &[PathBuf],
    format: Format,
) -> ExitCode {
    let compiled = match compile(spec, values, Secrets::Read) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let body: serde_json::Value = match trigger {
        None => compiled.flow.trigger.sample.clone(),
        Some(text) => match serde_json::from_str::<serde_json::Value>(text) {
            Ok(v) if v.is_object() => v,
            Ok(_) => return usage_error(
                "--trigger must be a JSON object, as the webhook receives: '{\"hook\": \"null\"}'",
            ),
            Err(e) => return usage_error(&format!("--trigger is not JSON: {e}")),
        },
    };
    let resolver = FsFlows::new(spec, flows);
    let run = if live {
        wxcflow::sim::run(&compiled.flow, &body, &mut LiveHttp, &resolver)
    } else {
        let exchanges = match mock {
            None => Vec::new(),
            Some(path) => {
                let source = match read_source(path) {
                    Ok(s) => s,
                    Err(e) => return e.report(),
                };
                match toml::from_str::<wxcflow::sim::mock::MockFile>(&source.text) {
                    Ok(file) => file.http,
                    Err(e) => {
                        let d = Diagnostic::new(
                            Code::WrongType,
                            format!("invalid mock file: {}", e.message().trim_end()),
                        )
                        .with_span(e.span().map(|r| source.span(r)));
                        print_diagnostics(&[d], &[&source], Format::Human, false);
                        return ExitCode::from(EXIT_PROBLEMS);
                    }
                }
            }
        };
        wxcflow::sim::run(
            &compiled.flow,
            &body,
            &mut wxcflow::sim::mock::MockClient { exchanges },
            &resolver,
        )
    };
    match format {
        Format::Human => out!("{}", wxcflow::sim::render_text(&run)),
        Format::Json => out!("{}", wxcflow::sim::render_json(&run)),
    }
    if run.error.is_some() {
        ExitCode::from(EXIT_PROBLEMS)
    } else {
        ExitCode::SUCCESS
    }
}

/// Scenario files under the paths given: files as they are, a folder's `*.toml` (not its
/// subfolders, where the flows that scenarios run can live).
fn scenario_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let entries = std::fs::read_dir(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
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
    Ok(files)
}

pub(super) fn test(paths: &[PathBuf], flows: &[PathBuf]) -> ExitCode {
    let files = match scenario_files(paths) {
        Ok(f) => f,
        Err(e) => return usage_error(&e),
    };
    if files.is_empty() {
        let searched: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        eprintln!(
            "error: no scenario files (*.toml) in {}; nothing was tested",
            searched.join(", ")
        );
        return ExitCode::from(EXIT_PROBLEMS);
    }
    let (mut passed, mut failed) = (0, 0);
    for file in &files {
        let name = file.display().to_string();
        match run_scenario(file, flows) {
            Ok((label, failures)) if failures.is_empty() => {
                passed += 1;
                outln!("ok    {name}: {label}");
            }
            Ok((label, failures)) => {
                failed += 1;
                outln!("FAIL  {name}: {label}");
                for f in failures {
                    outln!(
                        "      {}: expected {}, got {}",
                        f.what,
                        f.expected,
                        f.actual
                    );
                }
            }
            Err(why) => {
                failed += 1;
                outln!("FAIL  {name}: {why}");
            }
        }
    }
    outln!("{passed} passed, {failed} failed");
    ExitCode::from(u8::from(failed > 0))
}

/// Loads, builds and runs one scenario; its label and unmet expectations.
fn run_scenario(
    file: &Path,
    flows: &[PathBuf],
) -> Result<(String, Vec<wxcflow::sim::scenario::Failure>), String> {
    let source = read_source(file).map_err(|e| e.message)?;
    let scenario: wxcflow::sim::scenario::Scenario = toml::from_str(&source.text).map_err(|e| {
        let at = e
            .span()
            .map(|r| source.span(r))
            .map_or(String::new(), |s| format!(" at {}:{}", s.line, s.column));
        format!("invalid scenario{at}: {}", e.message().trim_end())
    })?;
    let base = file.parent().unwrap_or(Path::new("."));
    let spec_path = scenario.spec.as_ref().map(|s| base.join(s));
    let spec_source = match &spec_path {
        Some(p) => read_source(p).map_err(|e| e.message)?,
        None => SourceFile::new(wxcflow::DEFAULT_SPEC_NAME, wxcflow::DEFAULT_SPEC),
    };
    let values = toml::to_string(&scenario.values).map_err(|e| e.to_string())?;
    let tenant = wxcflow::template::Tenant::parse(
        "scenario",
        SourceFile::new(format!("{} [values]", source.name), values),
    )
    .map_err(|d| d.message)?;
    let store = FsSecrets::beside(Some(file));
    let build = compiler().build_tenant(&spec_source, Some(&tenant), &store);
    let Some((document, _)) = build.output else {
        let errors: Vec<String> = build
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| format!("{}: {}", d.code.as_str(), d.message))
            .collect();
        return Err(format!("the spec does not build: {}", errors.join("; ")));
    };
    let body: serde_json::Value = match &scenario.trigger {
        None => document.flow.trigger.sample.clone(),
        Some(text) => match serde_json::from_str::<serde_json::Value>(text) {
            Ok(v) if v.is_object() => v,
            Ok(_) => return Err("trigger must be a JSON object".into()),
            Err(e) => return Err(format!("trigger is not JSON: {e}")),
        },
    };
    let resolver = FsFlows::new(spec_path.as_deref(), flows);
    let mut http = wxcflow::sim::mock::MockClient {
        exchanges: scenario.http.clone(),
    };
    let run = wxcflow::sim::run(&document.flow, &body, &mut http, &resolver);
    let label = scenario
        .name
        .clone()
        .unwrap_or_else(|| document.flow.name.clone());
    Ok((label, wxcflow::sim::scenario::check(&run, &scenario.expect)))
}
