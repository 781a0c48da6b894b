//! Flow Designer files in every command: inspect, textconv, diff, decompile, check, and build
//! and sheet for `--target flow-designer`. Each entry point returns `None` when the files are
//! not Flow Designer's, so that the command goes on as before.

use super::*;
use wxcflow::flow_designer::{self as fd, model::FdFlow, quote::Quoted, secrets::Secrets, FdFile};

/// Which target `build` and `sheet` write for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub(super) enum Target {
    /// The flow document (Webex Connect).
    #[default]
    Document,
    /// A Webex Contact Center Flow Designer subflow (FlowVersionRes JSON).
    FlowDesigner,
}

/// A Flow Designer file read from disk.
struct FdSource {
    source: SourceFile,
    kind: FdFile,
}

/// Reads a file and tells whether it is a Flow Designer export or spec. Flow Designer files are
/// read up to [`wxcflow::MAX_FD_BYTES`], the most `build` writes.
fn read_fd(path: &Path) -> Result<Option<FdSource>, Failure> {
    // Too large for a Flow Designer file: left to the other readers, which say why.
    let bytes = match super::io::read_bounded(path, wxcflow::MAX_FD_BYTES) {
        Ok(bytes) => bytes,
        Err(e) if e.too_large => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let Some(kind) = fd::recognise(&bytes) else {
        return Ok(None);
    };
    let source = read_fd_source(path)?;
    Ok(Some(FdSource { source, kind }))
}

/// A Flow Designer file's text, read up to [`wxcflow::MAX_FD_BYTES`].
fn read_fd_source(path: &Path) -> Result<SourceFile, super::io::ReadError> {
    let text = super::io::read_text(path, wxcflow::MAX_FD_BYTES)?;
    Ok(SourceFile::new(path.display().to_string(), text))
}

/// Prints read errors of a Flow Designer file, quoting it with its secret values hidden.
fn print_problems(diagnostics: &[Diagnostic], quoted: &Quoted) {
    print_diagnostics(diagnostics, &[&quoted.source], Format::Human, false);
}

pub(super) fn inspect(files: &[PathBuf], format: Format) -> Option<Outcome> {
    let mut read = Vec::new();
    for path in files {
        match read_fd(path) {
            Ok(Some(f)) => read.push(f),
            Ok(None) => return None,
            Err(failure) => return Some(Err(failure)),
        }
    }
    let mut reports = Vec::new();
    let mut failed = false;
    for f in &read {
        let kind = if f.kind == FdFile::Spec {
            "spec"
        } else {
            "export"
        };
        match fd::read_quoted(&f.source) {
            (Ok(flow), _) => reports.push((
                f.source.name.clone(),
                Some(fd::inspect::summary(&flow, kind)),
            )),
            (Err(problems), quoted) => {
                print_problems(&problems, &quoted);
                failed = true;
                reports.push((f.source.name.clone(), None));
            }
        }
    }
    match format {
        Format::Human => {
            for (name, summary) in &reports {
                match summary {
                    Some(s) => out!("{}", diagnostic::printable(&fd::inspect::render(name, s))),
                    None => outln!("{name}: not a readable Flow Designer file (see above)"),
                }
            }
        }
        Format::Json => {
            let files: Vec<_> = reports
                .iter()
                .map(|(path, s)| serde_json::json!({ "path": path, "flow_designer": s }))
                .collect();
            outln!("{}", pretty_json(&serde_json::json!({ "files": files })));
        }
    }
    Some(if failed {
        Err(Failure::problems())
    } else {
        Ok(Done::Clean)
    })
}

pub(super) fn textconv(path: &Path, bytes: &[u8]) -> Option<Outcome> {
    fd::recognise(bytes)?;
    let text = String::from_utf8_lossy(bytes).into_owned();
    let source = SourceFile::new(path.display().to_string(), text);
    // A file that does not read is shown as it is, as for specs, but for its secret values.
    let shown = match fd::read_quoted(&source) {
        (Ok(flow), _) => fd::diff::render_lines(&flow),
        (Err(_), quoted) => quoted.text(),
    };
    out!("{}", diagnostic::printable(&shown));
    Some(Ok(Done::Clean))
}

/// One side of a Flow Designer diff: a Flow Designer file, or a Webex Connect spec or document
/// lowered to a subflow. Errors are printed.
fn side(path: &Path) -> Result<FdFlow, Failure> {
    if let Some(f) = read_fd(path)? {
        let (read, quoted) = fd::read_quoted(&f.source);
        return read.map_err(|problems| {
            print_problems(&problems, &quoted);
            Failure::Unusable(None)
        });
    }
    let bytes = super::io::read_bounded(path, wxcflow::MAX_INPUT_BYTES)?;
    let (build, source) = match workflow::inspect(&bytes) {
        Inspection::FlowDocument { .. } => {
            let document: wxcflow::flow::Document =
                serde_json::from_slice(&bytes).map_err(|e| {
                    Failure::usage(format!(
                        "{} is not a valid flow document: {e}",
                        path.display()
                    ))
                })?;
            let build = wxcflow::Build {
                output: Some((document, String::new())),
                diagnostics: Vec::new(),
                secret_origins: Default::default(),
                secret_spans: Vec::new(),
            };
            (build, None)
        }
        Inspection::Spec { .. } => {
            let source = read_source(path)?;
            (compiler().build(&source), Some(source))
        }
        _ => {
            return Err(Failure::usage(format!(
                "{}: cannot compare a Flow Designer flow with this file",
                path.display()
            )))
        }
    };
    let children = children(Some(path), &[], &build, Default::default());
    let lowered = fd::lower_build_with(
        &build,
        source.as_ref(),
        compiler().fd_validator(),
        &children,
    );
    let mut diagnostics = build.diagnostics;
    diagnostics.extend(lowered.diagnostics);
    let sources: Vec<&SourceFile> = source.iter().collect();
    let hidden = SourceFile::hiding(&sources, &build.secret_spans);
    let sources: Vec<&SourceFile> = hidden.iter().collect();
    print_diagnostics(&diagnostics, &sources, Format::Human, false);
    lowered
        .output
        .map(|(flow, _)| flow)
        .ok_or(Failure::Unusable(None))
}

pub(super) fn diff(old: &Path, new: &Path, format: DiffFormat) -> Option<Outcome> {
    let is_fd = |p: &Path| {
        super::io::read_bounded(p, wxcflow::MAX_FD_BYTES)
            .ok()
            .is_some_and(|b| fd::recognise(&b).is_some())
    };
    if !is_fd(old) && !is_fd(new) {
        return None;
    }
    let (a, b) = match (side(old), side(new)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(failure), _) | (_, Err(failure)) => return Some(Err(failure)),
    };
    let changes = fd::diff::diff(&a, &b);
    let text = match format {
        DiffFormat::Text => fd::diff::render_text(&changes, colour_stdout()),
        DiffFormat::Json => fd::diff::render_json(&changes),
        DiffFormat::Markdown => fd::diff::render_markdown(
            &changes,
            &old.display().to_string(),
            &new.display().to_string(),
        ),
    };
    out!("{text}");
    Some(Ok(Done::found_if(!changes.is_empty())))
}

pub(super) fn decompile(path: &Path, output: Option<&Path>) -> Option<Outcome> {
    let f = match read_fd(path) {
        Ok(f) => f?,
        Err(failure) => return Some(Err(failure)),
    };
    let flow = match fd::read_quoted(&f.source) {
        (Ok(flow), _) => flow,
        (Err(problems), quoted) => {
            print_problems(&problems, &quoted);
            return Some(Err(Failure::problems()));
        }
    };
    let origin = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let spec = fd::decompile::decompile(&flow, &origin);
    let private = Secrets::of(&flow).any();
    Some(match output {
        None if private => Err(Failure::usage("the flow holds secret values (a secure variable's value or a credential typed in clear); write the spec to a file with -o (created with mode 0600)")),
        None => {
            out!("{spec}");
            Ok(Done::Clean)
        }
        Some(target) => {
            match super::io::write_output(target, spec.as_bytes(), super::io::WriteOptions::output(private)) {
                Ok(()) => Ok(Done::Clean),
                Err(e) => Err(Failure::usage(e)),
            }
        }
    })
}

/// A Flow Designer file's diagnostics, the sources to quote them from, and whether it was an
/// export (else a Flow Designer spec).
pub(super) type Linted = (Vec<Diagnostic>, Vec<SourceFile>, bool);

/// What `check` finds in a Flow Designer export or spec: its diagnostics, and the sources to
/// quote them from (none for an export on one long line); `None` for any other file.
pub(super) fn lint_file(path: &Path) -> Result<Option<Linted>, super::io::ReadError> {
    let bytes = match super::io::read_bounded(path, wxcflow::MAX_FD_BYTES) {
        Ok(bytes) => bytes,
        Err(e) if e.too_large => return Ok(None),
        Err(e) => return Err(e),
    };
    let Some(kind) = fd::recognise(&bytes) else {
        return Ok(None);
    };
    let source = read_fd_source(path)?;
    // Quoted with secret values hidden; excerpts only when every line, as shown, is readable
    // (most exports are one long line).
    let (read, quoted) = fd::read_quoted(&source);
    let readable = quoted.lines_within(240);
    let d = match read {
        Ok(flow) => {
            let mut d = fd::lint::lint(&flow, Some(&source));
            // A spec is also built, so that what the schema refuses shows here too.
            if kind == FdFile::Spec {
                d.extend(fd::build_spec(&source, compiler().fd_validator()).diagnostics);
            }
            quoted.place(&mut d);
            d
        }
        Err(d) => d,
    };
    Ok(Some((
        d,
        if readable {
            vec![quoted.source]
        } else {
            Vec::new()
        },
        kind == FdFile::Export,
    )))
}

/// Builds for Flow Designer: a Flow Designer spec as it is, a Webex Connect spec (default:
/// the embedded GetOAuthToken) lowered to a subflow.
fn build_fd(
    spec: Option<&Path>,
    values: Option<&Path>,
    format: Format,
    reads: super::Secrets,
    subflows: &[String],
) -> Result<(fd::FdBuild, Vec<SourceFile>, Origins), Failure> {
    let ids = subflow_ids(subflows)?;
    // A Flow Designer spec is read up to the Flow Designer limit (what `decompile` writes of
    // the largest export); a Webex Connect spec up to the specs' own.
    let fd_spec = match spec.map(read_fd).transpose()?.flatten() {
        Some(f) if f.kind == FdFile::Spec => Some(f.source),
        _ => None,
    };
    let source = match fd_spec {
        Some(source) => source,
        None => in_format(load_spec(spec), format)?,
    };
    let validator = compiler().fd_validator();
    if fd::spec::is_spec(&source.text) {
        if !subflows.is_empty() {
            return Err(Failure::usage(
                "--subflow applies to Webex Connect specs, whose `call_flow` nodes it resolves; a Flow Designer spec names its subflows' ids itself",
            ));
        }
        if values.is_some() {
            return Err(Failure::usage(
                "--values applies to Webex Connect templates, not to Flow Designer specs",
            ));
        }
        let mut build = fd::build_spec(&source, validator);
        let (_, quoted) = fd::read_quoted(&source);
        quoted.place(&mut build.diagnostics);
        print_diagnostics(&build.diagnostics, &[&quoted.source], format, false);
        return Ok((build, vec![quoted.source], Default::default()));
    }
    let tenant = values.map(|v| load_tenant_as(v, format)).transpose()?;
    let store = FsSecrets::beside(values);
    // A sheet says where each secret comes from and reads none, as for the document target.
    let store: &dyn wxcflow::render::SecretStore = match reads {
        super::Secrets::Read => &store,
        super::Secrets::OriginsOnly => &wxcflow::render::OriginsOnly,
    };
    let connect = compiler().build_tenant(&source, tenant.as_ref(), store);
    let children = children(spec, &[], &connect, ids);
    let lowered = fd::lower_build_with(&connect, Some(&source), validator, &children);
    let origins = connect
        .secret_origins
        .iter()
        .map(|(name, from)| (fd::lower::fd_name(name), from.join(" and ")))
        .collect();
    let mut diagnostics = connect.diagnostics;
    diagnostics.extend(lowered.diagnostics);
    let mut sources = vec![source];
    sources.extend(tenant.map(|t| t.source));
    // The spec and the tenant file quoted with the secrets they hold literally hidden.
    let refs: Vec<&SourceFile> = sources.iter().collect();
    let sources = SourceFile::hiding(&refs, &connect.secret_spans);
    let refs: Vec<&SourceFile> = sources.iter().collect();
    print_diagnostics(&diagnostics, &refs, format, false);
    Ok((
        fd::FdBuild {
            diagnostics,
            ..lowered
        },
        sources,
        origins,
    ))
}

/// `--subflow NAME=FLOWID[:VERSIONID]`, by name; a malformed one is a usage error.
fn subflow_ids(
    given: &[String],
) -> Result<std::collections::BTreeMap<String, fd::lower::SubflowIds>, Failure> {
    let mut ids = std::collections::BTreeMap::new();
    for text in given {
        let parsed = text
            .split_once('=')
            .and_then(|(name, id)| Some((name.trim(), fd::lower::SubflowIds::parse(id.trim())?)))
            .filter(|(name, _)| !name.is_empty());
        let Some((name, id)) = parsed else {
            return Err(Failure::usage(format!(
                "--subflow {}: give NAME=FLOWID or NAME=FLOWID:VERSIONID, each id 24 hex digits (as `wxcflow push` prints them)",
                diagnostic::printable_name(text)
            )));
        };
        if ids.insert(name.to_string(), id).is_some() {
            return Err(Failure::usage(format!(
                "--subflow names `{}` twice",
                diagnostic::printable_name(name)
            )));
        }
    }
    Ok(ids)
}

/// What the lowering knows of the flows the spec calls: the ids given, and each child's
/// inputs and outputs when its spec is found as `run` finds it (beside the spec, else the
/// embedded GetOAuthToken).
pub(super) fn children(
    spec: Option<&Path>,
    flows: &[PathBuf],
    build: &wxcflow::Build,
    ids: std::collections::BTreeMap<String, fd::lower::SubflowIds>,
) -> fd::lower::Children {
    use wxcflow::tools::simulate::FlowResolver;
    let mut children = fd::lower::Children {
        ids,
        ..Default::default()
    };
    let Some((document, _)) = &build.output else {
        return children;
    };
    let resolver = super::simulate::FsFlows::new(spec, flows);
    for node in &document.flow.nodes {
        if let wxcflow::flow::NodeKind::CallFlow(c) = &node.kind {
            if children.interfaces.contains_key(&c.flow) {
                continue;
            }
            if let Some(interface) = resolver
                .resolve(&c.flow)
                .ok()
                .and_then(|child| fd::lower::interface(&child))
            {
                children.interfaces.insert(c.flow.clone(), interface);
            }
        }
    }
    children
}

/// Flow Designer variable name -> where its secret value comes from (names, never values).
type Origins = std::collections::BTreeMap<String, String>;

pub(super) fn build(
    spec: Option<&Path>,
    values: Option<&Path>,
    output: Option<&Path>,
    format: Format,
    subflows: &[String],
) -> Outcome {
    if let Some(out) = output.filter(|o| super::build::is_workflow_path(o)) {
        return Err(Failure::usage(format!(
            "refusing to write {}: a Flow Designer file is JSON; name it .json",
            out.display()
        )));
    }
    let (build, _, _) = build_fd(spec, values, format, super::Secrets::Read, subflows)?;
    let holds_secret = build.holds_secret;
    let Some((flow, json)) = build.output else {
        return Err(match format {
            Format::Human => Failure::problems_with(format!(
                "build failed: {}",
                diagnostic::summary(&build.diagnostics)
            )),
            Format::Json => Failure::problems(),
        });
    };
    let target = output.map_or_else(
        || PathBuf::from(super::build::default_output_name(&flow.name, ".fd.json")),
        Path::to_path_buf,
    );
    if target.as_os_str() == "-" {
        if holds_secret {
            return Err(Failure::usage("the Flow Designer file holds secret values; write it to a file (created with mode 0600), not to stdout"));
        }
        out!("{json}");
        return Ok(Done::Clean);
    }
    let written = super::io::write_output_how(
        &target,
        json.as_bytes(),
        super::io::WriteOptions::output(holds_secret),
    )
    .map_err(Failure::usage)?;
    if matches!(format, Format::Human) {
        reportln!(
            "wrote {} (Flow Designer {}, {} activities{})",
            target.display(),
            flow.flow_type.as_deref().unwrap_or("FLOW"),
            flow.process.activities.len(),
            if holds_secret {
                written.private_note()
            } else {
                ""
            }
        );
    }
    Ok(Done::Clean)
}

pub(super) fn sheet(spec: Option<&Path>, values: Option<&Path>, output: Option<&Path>) -> Outcome {
    let (build, sources, origins) = build_fd(
        spec,
        values,
        Format::Human,
        super::Secrets::OriginsOnly,
        &[],
    )?;
    let Some((flow, _)) = &build.output else {
        return Err(Failure::problems_with(format!(
            "build failed: {}",
            diagnostic::summary(&build.diagnostics)
        )));
    };
    let file_name = super::build::default_output_name(&flow.name, ".fd.json");
    let text = fd::sheet::sheet(&fd::sheet::SheetInput {
        flow,
        source_name: &sources[0].name,
        file_name: &file_name,
        origins: &origins,
        diagnostics: &build.diagnostics,
    });
    match output {
        None => out!("{text}"),
        Some(path) => {
            if let Err(e) = super::io::write_output(
                path,
                text.as_bytes(),
                super::io::WriteOptions::output(false),
            ) {
                return Err(Failure::usage(e));
            }
        }
    }
    Ok(Done::Clean)
}

/// `build` and `sheet` for the document target refuse a Flow Designer spec with the reason.
pub(super) fn refuse_document_target(spec: Option<&Path>) -> Option<Outcome> {
    let text = super::io::read_text(spec?, wxcflow::MAX_INPUT_BYTES).ok()?;
    fd::spec::is_spec(&text).then(|| {
        Err(Failure::usage(
            "this is a Flow Designer spec: build it with --target flow-designer",
        ))
    })
}

/// What `push` is given.
pub(super) struct Push<'a> {
    pub file: &'a Path,
    pub org: &'a str,
    pub region: &'a str,
    pub token_env: &'a str,
    pub publish: bool,
    pub comment: Option<&'a str>,
    pub overwrite: bool,
    pub project: &'a str,
    pub api_url: Option<&'a str>,
}

/// Sends one call until the library's verdict on its answer is final: a 429 is sent again
/// after the wait it asks for (bounded by `push::judge_*`), nothing else is. A failure's exit
/// code says who failed: the flow API refused (1), or what answered is not the flow API or
/// could not be reached (2).
fn converse<T>(
    call: &fd::push::Call,
    base: &str,
    judge: impl Fn(&fd::push::Answer, u32) -> fd::push::Verdict<T>,
) -> Result<T, Failure> {
    use fd::push::{FailureKind, Verdict, MAX_RETRIES};
    let mut attempt = 0;
    loop {
        let answer = match super::live::send(call) {
            Ok(answer) => answer,
            Err(e) => return Err(Failure::usage(format!("cannot reach {base}: {e}"))),
        };
        match judge(&answer, attempt) {
            Verdict::Accepted(t) => return Ok(t),
            // The library refuses a retry past MAX_RETRIES; the bound is kept here too.
            Verdict::RetryAfter(secs) if attempt < MAX_RETRIES => {
                attempt += 1;
                reportln!(
                    "HTTP 429 (too many requests): sending again in {secs} s ({attempt} of {MAX_RETRIES})"
                );
                std::thread::sleep(std::time::Duration::from_secs(secs));
            }
            Verdict::RetryAfter(_) => {
                return Err(Failure::input(
                    "HTTP 429 (too many requests): try again later",
                ))
            }
            Verdict::Failed(f) => {
                return Err(match f.kind {
                    FailureKind::Refused => Failure::input(f.message),
                    FailureKind::NotTheApi => Failure::usage(f.message),
                })
            }
        }
    }
}

/// Imports a Flow Designer file into Webex Contact Center, and publishes it on request.
pub(super) fn push(args: &Push) -> Outcome {
    use fd::push;
    let base = match push::api_base(args.region, args.api_url) {
        Ok(base) => base,
        Err(e) => return Err(Failure::usage(e.to_string())),
    };
    if !push::valid_id(args.org) || !push::valid_id(args.project) {
        return Err(Failure::usage(
            "--org and --project take ids: letters, digits and `-`",
        ));
    }
    let token = match std::env::var(args.token_env) {
        Ok(t) if !t.trim().is_empty() => t.trim().to_string(),
        found => {
            let state = if found.is_ok() { "empty" } else { "not set" };
            return Err(Failure::usage(format!(
                "environment variable {} is {state}: it holds the Webex access token (contact-center scopes)",
                args.token_env
            )));
        }
    };
    // Every file name push prints is shown within its line: a control character (a newline, an
    // escape) shows as U+FFFD, so that a name cannot forge a line.
    let raw_name = args.file.display().to_string();
    let shown_name = diagnostic::printable_name(&raw_name).into_owned();
    let source = read_fd_source(args.file).map_err(|mut e| {
        e.message = e.message.replace(&raw_name, &shown_name);
        e
    })?;
    // Only an export goes to flows:import: a flow document or a spec would be refused by the
    // schema key by key, when the one thing to say is what the file is.
    if fd::recognise(source.text.as_bytes()) != Some(FdFile::Export) {
        return Err(Failure::usage(format!(
            "{} is not a Flow Designer file: push sends what `wxcflow build --target flow-designer` writes, or a Flow Designer export",
            shown_name
        )));
    }
    let mut value: serde_json::Value = match serde_json::from_str(&source.text) {
        Ok(v) => v,
        Err(e) => {
            return Err(Failure::input(format!(
                "{}:{}: not JSON: {}",
                shown_name,
                e.line(),
                fd::read::json_error(&e)
            )));
        }
    };
    // Schema problems say where, without the secret values the file may hold.
    let violations = match fd::read::read_export_partial(&source) {
        (Some(flow), _) => {
            fd::validate_export(&value, &flow, compiler().fd_validator(), &|_, a| {
                a.origin.clone()
            })
        }
        (None, _) => compiler().fd_validator().validate_hiding(&value, &|_| true),
    };
    if !violations.is_empty() {
        for v in &violations {
            reportln!("error: {shown_name}: {v}");
        }
        return Err(Failure::problems_with("push sends only files that pass the Flow Designer schema (`wxcflow build --target flow-designer` writes them)"));
    }
    let flow_type = push::FlowType::of_file(&value)
        .map_err(|e| Failure::input(format!("{shown_name}: {e}")))?;
    // The form names the file by its base name made ASCII (`push::form_file_name`); what is
    // printed is the name as given, shown safely.
    let file_name = args.file.file_name().map_or_else(
        || "flow.json".to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let shown_file_name = diagnostic::printable_name(&file_name).into_owned();
    // The token is in the requests only. Nothing printed below comes from the server but the
    // status code, the ids (24 hex digits: see `push::judge_import`), which of a fixed list of
    // error field names an answer has (`push::refusal`), a redirect's target in push's own words
    // (`push::redirect_target`) and a Retry-After's
    // seconds; a failure to send is described by its kind (`live::failure`), not by the
    // error's own text.
    // A parent whose handoffs name no subflow id is never sent so: each subflow is looked up by
    // name first, and the ids found are written into what is sent (the file is left as it is).
    let unresolved = push::unresolved_subflows(&value);
    let mut text = std::borrow::Cow::Borrowed(source.text.as_str());
    if !unresolved.is_empty() {
        let mut found = std::collections::BTreeMap::new();
        for name in &unresolved {
            let shown = diagnostic::printable_name(name).into_owned();
            if name.trim().is_empty() {
                return Err(Failure::input(format!("{shown_name}: a subflow handoff names no subflow (`subflowName` is empty) and has no subflow id; name the subflow in Flow Designer, or build the parent with --subflow NAME=ID")));
            }
            let lookup = push::lookup_call(&base, args.org, args.project, name, &token);
            let ids = converse(&lookup, &base, |answer, attempt| {
                push::judge_lookup(answer, attempt, &lookup.url, name)
            })?;
            reportln!(
                "found subflow {shown} in the tenant (flow id {})",
                ids.flow_id
            );
            found.insert(name.clone(), ids);
        }
        push::resolve_subflows(&mut value, &found);
        let remaining = push::unresolved_subflows(&value);
        if !remaining.is_empty() {
            return Err(Failure::input(format!(
                "{shown_name}: subflow handoffs still unresolved ({}); build the parent with --subflow NAME=ID",
                remaining
                    .iter()
                    .map(|n| diagnostic::printable_name(n).into_owned())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        text = std::borrow::Cow::Owned(fd::emit::to_json(&value));
    }
    let import = push::import_call(
        &base,
        args.org,
        args.project,
        &file_name,
        &text,
        &push::ImportOptions {
            flow_type,
            overwrite: args.overwrite,
        },
        &token,
    );
    let imported = converse(&import, &base, |answer, attempt| {
        push::judge_import(answer, attempt, &import.url)
    })?;
    reportln!(
        "imported {shown_file_name} as a {} (flow id {}{})",
        flow_type.as_str(),
        imported.flow_id,
        imported
            .version_id
            .as_ref()
            .map_or(String::new(), |v| format!(", version id {v}"))
    );
    if !args.publish {
        return Ok(Done::Clean);
    }
    let publish = push::publish_call(
        &base,
        args.org,
        args.project,
        &imported.flow_id,
        flow_type,
        args.comment.unwrap_or(push::DEFAULT_COMMENT),
        &token,
    );
    converse(&publish, &base, |answer, attempt| {
        push::judge_publish(answer, attempt, &publish.url)
    })?;
    reportln!("published flow {}", imported.flow_id);
    Ok(Done::Clean)
}

/// `fmt` leaves Flow Designer specs as they are (their canonical form is what `decompile`
/// writes), and says so.
pub(super) fn fmt_skips(source: &SourceFile) -> bool {
    let skip = fd::spec::is_spec(&source.text);
    if skip {
        reportln!(
            "skipped {}: a Flow Designer spec (`wxcflow decompile` writes its canonical form)",
            source.name
        );
    }
    skip
}

/// Finds the subflows a handoff calls: every Flow Designer file (`*.json`, `*.toml`) in the
/// folders, by the flow name it gives.
pub(super) struct FsSubflows {
    pub(super) dirs: Vec<PathBuf>,
}

impl fd::run::SubflowLookup for FsSubflows {
    fn subflow(&self, name: &str) -> Result<FdFlow, fd::run::SubflowError> {
        for dir in &self.dirs {
            let Ok(entries) = std::fs::read_dir(dir) else {
                continue;
            };
            let mut paths: Vec<PathBuf> = entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| {
                    p.is_file() && p.extension().is_some_and(|x| x == "json" || x == "toml")
                })
                .collect();
            paths.sort();
            for path in paths {
                let Ok(Some(f)) = read_fd(&path) else {
                    continue;
                };
                match fd::read_any(&f.source) {
                    Ok(flow) if flow.name == name => return Ok(flow),
                    _ => continue,
                }
            }
        }
        Err(fd::run::SubflowError::NotFound {
            name: name.to_string(),
            searched: self.dirs.iter().map(|d| d.display().to_string()).collect(),
        })
    }
}

/// What `run` was given for a Flow Designer file.
pub(super) struct FdRunArgs<'a> {
    pub(super) inputs: Option<&'a Path>,
    pub(super) mock: Option<&'a Path>,
    pub(super) live: bool,
    pub(super) digits: &'a [String],
    pub(super) flows: &'a [PathBuf],
    pub(super) format: Format,
}

/// Whether a file is a Flow Designer export or spec (a file that cannot be read is not: the
/// command reading it says why).
pub(super) fn is_fd_file(path: &Path) -> bool {
    matches!(read_fd(path), Ok(Some(_)))
}

/// `run FILE` on a Flow Designer export or spec.
pub(super) fn run(path: &Path, args: &FdRunArgs) -> Outcome {
    let Some(f) = read_fd(path)? else {
        return Err(Failure::input(format!(
            "{} is not a Flow Designer file",
            path.display()
        )));
    };
    let (flow, quoted) = match fd::read_quoted(&f.source) {
        (Ok(flow), quoted) => (flow, quoted),
        (Err(problems), quoted) => {
            print_problems(&problems, &quoted);
            return Err(Failure::problems());
        }
    };
    let inputs = match args.inputs {
        None => fd::run::Inputs::default(),
        Some(path) => {
            let source = read_source(path)?;
            match fd::run::read_inputs(&source, &flow) {
                (Ok(inputs), _) => inputs,
                (Err(problems), shown) => {
                    print_diagnostics(&problems, &[&shown], Format::Human, false);
                    return Err(Failure::problems());
                }
            }
        }
    };
    let subflows = FsSubflows {
        dirs: args.flows.to_vec(),
    };
    let run = if args.live {
        fd::run::run(
            &flow,
            &inputs,
            &mut super::live::LiveHttp,
            args.digits,
            &subflows,
        )
    } else {
        let exchanges = match args.mock {
            None => Vec::new(),
            Some(path) => super::simulate::load_mock(path)?,
        };
        let mut http = wxcflow::tools::simulate::mock::MockClient { exchanges };
        fd::run::run(&flow, &inputs, &mut http, args.digits, &subflows)
    };
    match args.format {
        Format::Human => out!("{}", fd::run::render_text(&run)),
        Format::Json => out!("{}", fd::run::render_json(&run)),
    }
    match &run.stop {
        None => Ok(Done::Clean),
        Some(stop) => {
            let span = stop.activity().and_then(|name| {
                let a = flow.process.activity(name)?;
                let link = match stop {
                    fd::run::Stop::MissingActivity(_, target) => {
                        flow.process.links_from(name).find(|l| &l.target == target)
                    }
                    _ => None,
                };
                fd::lint::locate_activity(&quoted.source, a, link)
            });
            let d = Diagnostic::new(Code::RunStopped, stop.to_string()).with_span(span);
            print_diagnostics(&[d], &[&quoted.source], Format::Human, false);
            Err(Failure::problems())
        }
    }
}
