//! diff, fmt, decompile: flows as revisions.

use super::inspect::single_export;
use super::*;

/// One side of a diff: a flow (with its spec when it came from one, for template parameters),
/// or an export.
enum Revision {
    Flow(Box<wxcflow::flow::Flow>, Option<Box<wxcflow::spec::Spec>>),
    Export(workflow::Export),
}

/// A spec compiled as a revision before its turn: its source, its build and its parsed spec.
type Compiled = (SourceFile, wxcflow::Build, Option<wxcflow::spec::Spec>);

/// Reads a spec (compiled, unless `compiled` already is), a flow document or an export. Errors
/// are already printed.
fn load_flow(
    s: &Session,
    path: &Path,
    bytes: &[u8],
    compiled: Option<Compiled>,
    told: &mut Vec<Diagnostic>,
) -> Result<Revision, Failure> {
    if let Some(compiled) = compiled {
        return compiled_revision(s, compiled, told);
    }
    let name = path.display().to_string();
    // Any text that is not an export or JSON is compiled as a spec, so its TOML is parsed
    // once, by the compiler.
    let kind = wxcflow::InputKind::detect_spec_reader(bytes);
    if kind.is_connect_spec() {
        return compile_revision(s, name, bytes, told);
    }
    if kind != wxcflow::InputKind::FlowDocument {
        return other_revision(s, name, bytes, told);
    }
    // A document is read as the schema describes it: an edge to a node that does not exist
    // would make the diff misleading.
    match s.compiler().read_document(&name, bytes) {
        Ok(d) => Ok(Revision::Flow(Box::new(d.flow), None)),
        Err(problems) => Err(unreadable_document(s, &problems, Failure::Unusable(None))),
    }
}

/// A flow document that does not read: its problems printed, and `failure` to return.
pub(super) fn unreadable_document(
    s: &Session,
    problems: &[Diagnostic],
    failure: Failure,
) -> Failure {
    print_diagnostics(s, problems, &[], Format::Human, false);
    failure
}

/// Anything but a spec or a flow document: an export, or text taken for a spec.
fn other_revision(
    s: &Session,
    name: String,
    bytes: &[u8],
    told: &mut Vec<Diagnostic>,
) -> Result<Revision, Failure> {
    match workflow::Inspection::of(bytes) {
        // Text that is neither an export nor JSON is taken for a spec, so that its problems
        // are shown with their line and column.
        Inspection::Rejected(workflow::Rejection::NonHex { .. })
            if std::str::from_utf8(bytes).is_ok() =>
        {
            compile_revision(s, name, bytes, told)
        }
        other => match single_export(&other) {
            Some(e) => Ok(Revision::Export(e.clone())),
            None => {
                let why = match other {
                    Inspection::Rejected(r) => r.describe(),
                    _ => "not a single flow".into(),
                };
                Err(Failure::usage(format!("{name}: {why}")))
            }
        },
    }
}

/// A spec as a revision: a template without a tenant, its parameters standing as template text.
/// `told`: the diagnostics printed for the other side, not printed again (`diff a.toml a.toml`).
fn compile_revision(
    s: &Session,
    name: String,
    bytes: &[u8],
    told: &mut Vec<Diagnostic>,
) -> Result<Revision, Failure> {
    compiled_revision(s, compile(s.compiler(), name, bytes), told)
}

/// A spec compiled as a revision: a template without a tenant.
fn compile(compiler: &wxcflow::Compiler, name: String, bytes: &[u8]) -> Compiled {
    let text = String::from_utf8_lossy(bytes).into_owned();
    let source = SourceFile::new(name, text);
    let (result, spec) = compiler.build_symbolic_spec(&source);
    (source, result, spec)
}

/// A compiled spec as a revision, its diagnostics printed but for those in `told`.
fn compiled_revision(
    s: &Session,
    (source, result, spec): Compiled,
    told: &mut Vec<Diagnostic>,
) -> Result<Revision, Failure> {
    let hidden = SourceFile::hiding(&[&source], &result.secret_spans);
    let new: Vec<Diagnostic> = result
        .diagnostics
        .iter()
        .filter(|d| !told.contains(d))
        .cloned()
        .collect();
    print_diagnostics(
        s,
        &new,
        &hidden.iter().map(AsRef::as_ref).collect::<Vec<_>>(),
        Format::Human,
        false,
    );
    told.extend(new);
    let spec = spec.map(Box::new);
    result
        .output
        .map(|(d, _)| Revision::Flow(Box::new(d.flow), spec))
        // Exit 1 means "changes" to diff(1) users: a side that does not build is trouble, 2.
        .ok_or(Failure::Unusable(None))
}

/// Two specs compiled at once, on two threads, when both sides read and are Webex Connect
/// specs (the sides are told and printed in order afterwards, as when compiled one by one);
/// otherwise nothing, each side then compiled in its turn.
fn compile_both(
    s: &Session,
    paths: [&Path; 2],
    reads: &[Result<Vec<u8>, super::io::ReadError>],
) -> Vec<Option<Compiled>> {
    let [Ok(a), Ok(b)] = reads else {
        return Vec::new();
    };
    let spec = |bytes: &[u8]| wxcflow::InputKind::detect_spec_reader(bytes).is_connect_spec();
    if !(spec(a) && spec(b)) {
        return Vec::new();
    }
    let compiler = s.compiler();
    let name = |p: &Path| p.display().to_string();
    let (x, y) = rayon::join(
        || compile(compiler, name(paths[0]), a),
        || compile(compiler, name(paths[1]), b),
    );
    vec![Some(x), Some(y)]
}

pub(super) fn diff(s: &Session, old: &Path, new: &Path, format: DiffFormat) -> Outcome {
    if let Some(code) = super::flow_designer::diff(s, old, new, format) {
        return code;
    }
    let mut told = Vec::new();
    let mut sides = Vec::new();
    // Either side may be an export, the largest kind of input; specs and documents are held
    // to their own limit once recognised.
    let read = |path: &Path| {
        s.files
            .read_bounded(path, wxcflow::tools::workflow::Export::MAX_BYTES)
    };
    let mut reads = vec![read(old)];
    if reads[0].is_ok() {
        reads.push(read(new));
    }
    let mut compiled = compile_both(s, [old, new], &reads).into_iter();
    for (path, bytes) in [old, new].into_iter().zip(reads) {
        let bytes = match bytes {
            Ok(b) => b,
            Err(e) => return Err(Failure::Read(e).of_diff_side()),
        };
        match load_flow(s, path, &bytes, compiled.next().flatten(), &mut told) {
            Ok(side) => sides.push(side),
            Err(failure) => return Err(failure),
        }
    }
    // File names may hold anything, a terminal's escape sequences and line breaks too.
    let name =
        |p: &Path| wxcflow::diagnostic::printable_name(&p.display().to_string()).into_owned();
    let (old_name, new_name) = (name(old), name(new));
    match (&sides[0], &sides[1]) {
        (Revision::Flow(a, spec_a), Revision::Flow(b, spec_b)) => {
            let mut changes = match (spec_a, spec_b) {
                (Some(x), Some(y)) => wxcflow::tools::diff::param_changes(x, y),
                _ => Vec::new(),
            };
            changes.extend(wxcflow::tools::diff::diff(a, b));
            let text = match format {
                DiffFormat::Text => wxcflow::tools::diff::render_text(&changes, s.colour_stdout()),
                DiffFormat::Json => wxcflow::tools::diff::render_json(&changes),
                DiffFormat::Markdown => {
                    wxcflow::tools::diff::render_markdown(&changes, &old_name, &new_name)
                }
            };
            out!(s, "{text}");
            Ok(Done::found_if(!changes.is_empty()))
        }
        (Revision::Export(a), Revision::Export(b)) => {
            let comparison = workflow::Export::compare(a, b);
            match format {
                DiffFormat::Json => outln!(s, "{}", pretty_json(&comparison)),
                _ => out!(s, "{}", comparison.render(&old_name, &new_name)),
            }
            Ok(Done::found_if(!comparison.identical))
        }
        _ => Err(Failure::usage(
            "cannot compare an export with a spec or document: exports are encrypted",
        )),
    }
}

pub(super) fn decompile(s: &Session, document: &Path, output: Option<&Path>) -> Outcome {
    if let Some(code) = super::flow_designer::decompile(s, document, output) {
        return code;
    }
    let bytes = s.files.read_bounded(document, wxcflow::MAX_INPUT_BYTES)?;
    let not_a_document = match wxcflow::InputKind::detect_spec_reader(&bytes) {
        wxcflow::InputKind::Workflow => Some(("a .workflow export", "its flow is encrypted with a key only Cisco holds, so it cannot be decompiled (`wxcflow inspect` reads what can be read)")),
        // Text that is no JSON: a spec, a tenant file, a mock, a scenario, or none of them.
        kind if kind.is_connect_spec() => Some(("TOML or other text, not a flow document", "decompile reads flow documents and Flow Designer exports (a spec is written already)")),
        _ => None,
    };
    if let Some((what, why)) = not_a_document {
        return Err(super::graph::refused(document, what, why));
    }
    let parsed = s
        .compiler()
        .read_document(&document.display().to_string(), &bytes)
        .map_err(|problems| unreadable_document(s, &problems, Failure::problems()))?;
    let spec = parsed.decompile();
    let secret = if parsed.flow.holds_secret() {
        Some("the document holds secret values")
    } else if parsed.flow.holds_typed_credential() {
        Some("the document holds a credential typed in clear (a credential header, a URL's user information or credential parameter)")
    } else {
        None
    };
    write_text(s, output, &spec, secret)
}

pub(super) fn fmt(s: &Session, specs: &[PathBuf], check_only: bool) -> Outcome {
    // A standard stream (`/dev/stdout`, `/dev/fd/0`) is not a file to replace: whatever it is
    // open on (`>> log.toml`, `< spec.toml`) would be replaced under a new inode. Refused before
    // any spec is formatted; `--check` only reads, so it reads one.
    if !check_only {
        if let Some(path) = specs.iter().find(|p| io::standard_stream(p).is_some()) {
            // Counted as an input first: a stderr open on it (`fmt /dev/stderr 2>> s.toml`)
            // then takes no message.
            s.files.protect(path);
            return Err(Failure::usage(format!(
                "{} is a standard stream, not a file: fmt formats specs in place (fmt --check reads any file)",
                path.display()
            )));
        }
    }
    let mut problems = false;
    for path in specs {
        let source = read_source(s, path)?;
        if super::flow_designer::fmt_skips(&source) {
            continue;
        }
        let formatted = match wxcflow::spec::Spec::format(&source) {
            Ok(f) => f,
            Err(d) => {
                // A spec that does not read tells no secret's place: quoted as `check` quotes
                // it, every place that could hold one hidden, and all from its broken line on.
                let shown = wxcflow::flow_designer::quote::unreadable(source);
                let mut d = [d];
                shown.place(&mut d);
                print_diagnostics(s, &d, &[&shown.source], Format::Human, false);
                problems = true;
                continue;
            }
        };
        if formatted == source.text {
            continue;
        }
        // Formatting writes LF line endings and no byte order mark; either change is told, not
        // made silently.
        let mut told: Vec<&str> = Vec::new();
        // Those kept inside a multi-line string are its text; any other turned into LF is told.
        if source.text.matches("\r\n").count() > formatted.matches("\r\n").count() {
            told.push("line endings: CRLF to LF");
        }
        if source.text.starts_with('\u{feff}') && !formatted.starts_with('\u{feff}') {
            told.push("byte order mark removed");
        }
        let what_changed = match told.is_empty() {
            true => String::new(),
            false => format!(" ({})", told.join("; ")),
        };
        if check_only {
            // A file name is the user's, not ours: shown, never obeyed by the terminal.
            let name = path.display().to_string();
            outln!(s, "{}", diagnostic::printable_name(&name));
            if !what_changed.is_empty() {
                reportln!(
                    "{} would change{what_changed}",
                    diagnostic::printable_name(&name)
                );
            }
            problems = true;
            continue;
        }
        // In place means a file: formatting a pipe or a FIFO would write into it, not to a spec.
        if !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
            return Err(Failure::usage(format!(
                "{} is not a regular file: fmt formats specs in place (fmt --check reads any file)",
                path.display()
            )));
        }
        // A linked spec is formatted where it lives, and keeps its mode (a spec holding secrets
        // stays private; a read-only one stays read-only) and, where allowed, its owner.
        let options = io::WriteOptions {
            private: false,
            durable: true,
            links: io::Links::Follow,
            keep_mode: true,
            in_place: true,
        };
        (s.files.write_output(path, formatted.as_bytes(), options)).map_err(Failure::usage)?;
        let name = path.display().to_string();
        reportln!(
            "formatted {}{what_changed}",
            diagnostic::printable_name(&name)
        );
    }
    Ok(Done::found_if(problems))
}
