//! Flow Designer files in every command: inspect, textconv, diff, decompile, check, and build
//! and sheet for `--target flow-designer`. Each entry point returns `None` when the files are
//! not Flow Designer's, so that the command goes on as before.

use super::*;
use wxcflow::flow_designer::model::{FdFlow, Keeping};
use wxcflow::flow_designer::{self as fd, quote::Quoted, secrets::Secrets};
use wxcflow::InputKind;

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
    /// [`InputKind::FlowDesignerExport`] or [`InputKind::FlowDesignerSpec`].
    kind: InputKind,
    file: FdFile,
}

/// A Flow Designer file's text, or the text read into the model where telling the file apart
/// was reading it ([`read_fd_model`]).
enum FdFile {
    Text(SourceFile),
    Read(Box<(Result<FdFlow, Vec<Diagnostic>>, Quoted)>),
}

impl FdSource {
    /// The file's text, for what reads it otherwise than into the model.
    fn into_source(self) -> SourceFile {
        match self.file {
            FdFile::Text(source) => source,
            // As it was read: the ranges the reading hid are not hidden again.
            FdFile::Read(read) => SourceFile::new(read.1.source.name, read.1.source.text),
        }
    }
}

/// Reads a file and tells whether it is a Flow Designer export or spec. Flow Designer files are
/// read up to [`wxcflow::MAX_FD_BYTES`], the most `build` writes.
fn read_fd(s: &Session, path: &Path) -> Result<Option<FdSource>, Failure> {
    read_fd_as(s, path, None)
}

/// [`read_fd`] for a command that reads the file into the model next: a file that opens a JSON
/// object ([`opens_object`]) is told apart by reading it (an export's kind from the reading's
/// own parse), which saves a pass over its whole text (a tenth of a second at 150 MB). The
/// command only looks at the flow: an export's model keeps only the logic's part of what is
/// beside it ([`Keeping::Logic`]).
fn read_fd_model(s: &Session, path: &Path) -> Result<Option<FdSource>, Failure> {
    read_fd_as(s, path, Some(Keeping::Logic))
}

/// [`read_fd_model`] for a command that writes the flow back (`decompile`): an export's model
/// keeps all that is beside the logic.
fn read_fd_model_whole(s: &Session, path: &Path) -> Result<Option<FdSource>, Failure> {
    read_fd_as(s, path, Some(Keeping::All))
}

/// `model`: read into the model keeping this much, or told apart only.
fn read_fd_as(
    s: &Session,
    path: &Path,
    model: Option<Keeping>,
) -> Result<Option<FdSource>, Failure> {
    fd_of_bytes(s, path, read_fd_bytes(s, path)?, model)
}

/// The bytes of a file that may be a Flow Designer file. No reader takes a larger file than
/// a Flow Designer one, so one too large for it is refused here, with its limit.
fn read_fd_bytes(s: &Session, path: &Path) -> Result<Vec<u8>, Failure> {
    Ok(s.files.read_bounded(path, wxcflow::MAX_FD_BYTES)?)
}

/// [`read_fd_as`] of the bytes read from `path`.
fn fd_of_bytes(
    s: &Session,
    path: &Path,
    mut bytes: Vec<u8>,
    model: Option<Keeping>,
) -> Result<Option<FdSource>, Failure> {
    if let Some(keeping) = model.filter(|_| opens_object(&bytes)) {
        // Text that is not UTF-8 is told apart as any other file is, below.
        match String::from_utf8(bytes) {
            Ok(text) => {
                return Ok(
                    match s
                        .compiler()
                        .read_flow_designer(fd_source(path, text), keeping)
                    {
                        Ok((kind, read, quoted)) => {
                            let told = FdSource {
                                kind,
                                file: FdFile::Read(Box::new((read, quoted))),
                            };
                            // A spec (broken JSON with a spec's header line) is read as one.
                            Some(match kind {
                                InputKind::FlowDesignerSpec => FdSource {
                                    kind,
                                    file: FdFile::Text(told.into_source()),
                                },
                                _ => told,
                            })
                        }
                        Err(_) => None,
                    },
                );
            }
            Err(e) => bytes = e.into_bytes(),
        }
    }
    let Some(kind) = InputKind::flow_designer(&bytes) else {
        return Ok(None);
    };
    // The bytes told apart are the text read: the file is read once (an export can be
    // hundreds of megabytes, and a file read twice may have changed in between).
    let source = fd_source(path, super::io::text_of(path, bytes)?);
    Ok(Some(FdSource {
        kind,
        file: FdFile::Text(source),
    }))
}

/// Whether bytes open a JSON object (after a byte order mark and white space), as an export
/// does and no spec can: such a file is handed to the reading to be told apart (which tells
/// what is no export first, without reading it whole).
fn opens_object(bytes: &[u8]) -> bool {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

/// A Flow Designer file's text, read up to [`wxcflow::MAX_FD_BYTES`].
/// A byte order mark is passed over (as [`InputKind::flow_designer`] does): places in the file's
/// first line are counted from after it.
fn read_fd_source(s: &Session, path: &Path) -> Result<SourceFile, super::io::ReadError> {
    let text = s.files.read_text(path, wxcflow::MAX_FD_BYTES)?;
    Ok(fd_source(path, text))
}

/// A Flow Designer file's source, its byte order mark passed over: the readers take JSON or
/// TOML from the first brace or key, and a mark left in would hide where the values are.
fn fd_source(path: &Path, mut text: String) -> SourceFile {
    if text.starts_with('\u{feff}') {
        text.drain(..'\u{feff}'.len_utf8());
    }
    SourceFile::new(path.display().to_string(), text)
}

/// `check` of a Flow Designer file whose kind is known: what it finds, and the file as its
/// diagnostics quote it (given its kind, the check always reads the file).
fn check_as(s: &Session, kind: InputKind, source: SourceFile) -> (Vec<Diagnostic>, Quoted) {
    let name = source.name.clone();
    s.compiler()
        .check_flow_designer(Some(kind), source)
        .map_or_else(
            || (Vec::new(), fd::quote::unreadable(SourceFile::new(name, ""))),
            |(_, found, quoted)| (found, quoted),
        )
}

/// Prints read errors of a Flow Designer file, quoting it with its secret values hidden.
fn print_problems(s: &Session, diagnostics: &[Diagnostic], quoted: &Quoted) {
    print_diagnostics(s, diagnostics, &[&quoted.source], Format::Human, false);
}

/// Reads a Flow Designer file into the model, with the file as diagnostics quote it; its read
/// errors printed, and `failure` returned.
fn read_model(s: &Session, f: FdSource, failure: Failure) -> Result<(FdFlow, Quoted), Failure> {
    let read = match f.file {
        FdFile::Text(source) => fd::model::FdFlow::read_quoted_owned(source),
        FdFile::Read(read) => *read,
    };
    match read {
        (Ok(flow), quoted) => Ok((flow, quoted)),
        (Err(problems), quoted) => {
            print_problems(s, &problems, &quoted);
            Err(failure)
        }
    }
}

pub(super) fn inspect(s: &Session, files: &[PathBuf], format: Format) -> Option<Outcome> {
    // Every file is known to be a Flow Designer file before anything is said of any. One read
    // as it was told apart is held as its summary, its model dropped, or as its text when it
    // did not read, so that inspecting many large exports holds no more than their texts.
    let mut held = Vec::new();
    for path in files {
        match read_fd_model(s, path) {
            Ok(Some(f)) => held.push(Inspected::of(f)),
            // A file too large for any reader is a finding of the inspection, file by file.
            Ok(None)
            | Err(Failure::Read(super::io::ReadError {
                too_large: true, ..
            })) => return None,
            Err(failure) => return Some(Err(failure)),
        }
    }
    let mut reports = Vec::new();
    let mut failed = false;
    for item in held {
        let f = match item {
            Inspected::Summary(name, summary) => {
                reports.push((name, Some(summary)));
                continue;
            }
            Inspected::File(f) => f,
        };
        let kind = inspect_kind(f.kind);
        let read = match f.file {
            FdFile::Text(source) => fd::model::FdFlow::read_quoted_owned(source),
            FdFile::Read(read) => *read,
        };
        let name = read.1.source.name.clone();
        match read {
            (Ok(flow), _) => reports.push((name, Some(flow.summary(kind)))),
            (Err(problems), quoted) => {
                print_problems(s, &problems, &quoted);
                failed = true;
                reports.push((name, None));
            }
        }
    }
    match format {
        Format::Human => {
            for (name, summary) in &reports {
                match summary {
                    Some(summary) => out!(s, "{}", diagnostic::printable(&summary.render(name))),
                    None => outln!(
                        s,
                        "{}: not a readable Flow Designer file (see above)",
                        diagnostic::printable_name(name)
                    ),
                }
            }
        }
        Format::Json => {
            let files: Vec<_> = reports
                .iter()
                .map(|(path, s)| serde_json::json!({ "path": path, "flow_designer": s }))
                .collect();
            outln!(s, "{}", pretty_json(&serde_json::json!({ "files": files })));
        }
    }
    Some(if failed {
        Err(Failure::problems())
    } else {
        Ok(Done::Clean)
    })
}

/// A Flow Designer file as `inspect` holds it until every file is known to be one: the summary
/// of one that read as it was told apart, or the file.
enum Inspected {
    Summary(String, fd::inspect::Summary),
    File(FdSource),
}

impl Inspected {
    /// One that did not read is held as its text, and read again to say why (what a reading
    /// found holds more than the text).
    fn of(f: FdSource) -> Inspected {
        let kind = f.kind;
        match f.file {
            FdFile::Read(read) => match *read {
                (Ok(flow), quoted) => {
                    Inspected::Summary(quoted.source.name, flow.summary(inspect_kind(kind)))
                }
                (Err(_), quoted) => Inspected::File(FdSource {
                    kind,
                    file: FdFile::Text(SourceFile::new(quoted.source.name, quoted.source.text)),
                }),
            },
            file => Inspected::File(FdSource { kind, file }),
        }
    }
}

/// How `inspect` names a Flow Designer file's kind.
fn inspect_kind(kind: InputKind) -> &'static str {
    if kind == InputKind::FlowDesignerSpec {
        "spec"
    } else {
        "export"
    }
}

/// `kind`: what [`InputKind::detect`] said of `bytes`.
pub(super) fn textconv(s: &Session, path: &Path, bytes: &[u8], kind: InputKind) -> Option<Outcome> {
    if !kind.is_flow_designer() {
        return None;
    }
    let source = fd_source(path, String::from_utf8_lossy(bytes).into_owned());
    Some(show_textconv(
        s,
        fd::model::FdFlow::read_quoted_owned(source),
    ))
}

/// Prints what `textconv` shows of a Flow Designer file read.
fn show_textconv(s: &Session, read: (Result<FdFlow, Vec<Diagnostic>>, Quoted)) -> Outcome {
    let shown = match read {
        (Ok(flow), _) => flow.textconv(),
        // A file that does not read is shown as it is, as for specs, but for its secret
        // values, read again as text that does not read: TOML is hidden from its first broken
        // line on (what follows cannot be told apart), over what the partial reading hid.
        (Err(_), quoted) => fd::quote::unreadable(quoted.source).text(),
    };
    out!(s, "{}", diagnostic::printable(&shown));
    Ok(Done::Clean)
}

/// `textconv` of a file that opens a JSON object ([`opens_object`]), told apart by reading
/// it (see [`read_fd_model`]); the bytes back, as they were, when it is no Flow Designer file or
/// not UTF-8.
pub(super) fn textconv_read(s: &Session, path: &Path, bytes: Vec<u8>) -> Result<Outcome, Vec<u8>> {
    if !opens_object(&bytes) {
        return Err(bytes);
    }
    let marked = bytes.starts_with("\u{feff}".as_bytes());
    let text = String::from_utf8(bytes).map_err(|e| e.into_bytes())?;
    match s
        .compiler()
        .read_flow_designer(fd_source(path, text), Keeping::Logic)
    {
        Ok((_, read, quoted)) => Ok(show_textconv(s, (read, quoted))),
        Err(source) => {
            let mut text = source.text;
            if marked {
                text.insert(0, '\u{feff}');
            }
            Err(text.into_bytes())
        }
    }
}

/// Both sides of a diff read into their models, as [`read_fd_model`] reads one: the files read
/// one after the other (a FIFO given as both sides is read once), then, when together they
/// are large, both read at once on two threads (the diff's largest cost: a fifth of the time
/// for two 10,000-activity exports, for both readings held at once, 1.7 times the memory);
/// one after the other when no thread can be started.
fn read_both(s: &Session, old: &Path, new: &Path) -> (FdRead, FdRead) {
    let model = |path: &Path, bytes: Result<Vec<u8>, Failure>| {
        fd_of_bytes(s, path, bytes?, Some(Keeping::Logic))
    };
    let (a, b) = (read_fd_bytes(s, old), read_fd_bytes(s, new));
    let size = |bytes: &Result<Vec<u8>, Failure>| bytes.as_ref().map_or(0, Vec::len);
    let pool = (size(&a) + size(&b) >= LARGE_SIDES).then(|| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            // The main thread's stack, as every thread that reads a flow has.
            .stack_size(8 << 20)
            .build()
    });
    match pool {
        Some(Ok(pool)) => pool.join(|| model(old, a), || model(new, b)),
        _ => (model(old, a), model(new, b)),
    }
}

/// What [`read_fd_model`] gives.
type FdRead = Result<Option<FdSource>, Failure>;

/// The size of two files from which a diff reads them on two threads: below it, starting the
/// threads costs more than it saves.
const LARGE_SIDES: usize = 2 << 20;

/// One side of a Flow Designer diff: a Flow Designer file, or a Webex Connect spec or document
/// lowered to a subflow. Errors are printed.
fn side(s: &Session, path: &Path) -> Result<FdFlow, Failure> {
    if let Some(f) = read_fd_model(s, path)? {
        return read_checked(s, f, Failure::Unusable(None));
    }
    // Read as `diff` reads either side of two Webex Connect files: up to an export's limit, the
    // largest kind; a spec or document is held to its own limit once recognised.
    let bytes = s.files.read_bounded(path, workflow::Export::MAX_BYTES)?;
    // Told as the spec readers tell it: broken JSON is a flow document and other text a spec,
    // so that what breaks it is said where it is.
    let kind = InputKind::detect_spec_reader(&bytes);
    if kind == InputKind::Workflow {
        return Err(Failure::usage(format!(
            "{}: cannot compare a Flow Designer flow with a Webex Connect .workflow export: its flow is encrypted",
            path.display()
        )));
    }
    if let Some(d) = wxcflow::flow::limits::too_large(&path.display().to_string(), bytes.len()) {
        print_diagnostics(s, &[d], &[], Format::Human, false);
        return Err(Failure::Unusable(None));
    }
    let children =
        |flow: &wxcflow::flow::Flow| children(s, Some(path), &[], flow, Default::default());
    let (lowered, source) = match kind {
        InputKind::FlowDocument => {
            let document = s
                .compiler()
                .read_document(&path.display().to_string(), &bytes)
                .map_err(|problems| {
                    super::revisions::unreadable_document(s, &problems, Failure::Unusable(None))
                })?;
            let lowered = s.compiler().lower_flow_designer(&document.flow, &children);
            (lowered, None)
        }
        _ if kind.is_connect_spec() => {
            let source = read_source(s, path)?;
            let lowered = s.compiler().build_flow_designer(
                kind,
                &source,
                None,
                &wxcflow::render::NoSecrets,
                &children,
            );
            (lowered, Some(source))
        }
        _ => {
            return Err(Failure::usage(format!(
                "{}: cannot compare a Flow Designer flow with this file",
                path.display()
            )))
        }
    };
    let sources: Vec<&SourceFile> = source.iter().collect();
    let hidden = SourceFile::hiding(&sources, &lowered.secrets.spans);
    let sources: Vec<&SourceFile> = hidden.iter().map(AsRef::as_ref).collect();
    print_diagnostics(
        s,
        &lowered.build.diagnostics,
        &sources,
        Format::Human,
        false,
    );
    lowered
        .build
        .output
        .map(|(flow, _)| flow)
        .ok_or(Failure::Unusable(None))
}

/// A Flow Designer file in the model; a spec only when it builds (one that does not is no flow
/// to compare or draw). Its errors are printed, and `failure` returned.
fn read_checked(s: &Session, f: FdSource, failure: Failure) -> Result<FdFlow, Failure> {
    if f.kind == InputKind::FlowDesignerSpec {
        let source = f.into_source();
        let (found, quoted) = check_as(s, InputKind::FlowDesignerSpec, source.clone());
        let errors: Vec<Diagnostic> = found.into_iter().filter(Diagnostic::is_error).collect();
        if !errors.is_empty() {
            print_problems(s, &errors, &quoted);
            return Err(failure);
        }
        let spec = FdSource {
            kind: InputKind::FlowDesignerSpec,
            file: FdFile::Text(source),
        };
        return read_model(s, spec, failure).map(|(flow, _)| flow);
    }
    read_model(s, f, failure).map(|(flow, _)| flow)
}

/// `graph` of a Flow Designer export or spec; `None` for any other file.
pub(super) fn graph(
    s: &Session,
    path: &Path,
    values: Option<&Path>,
    format: GraphFormat,
) -> Option<Outcome> {
    let f = match read_fd_model(s, path) {
        Ok(f) => f?,
        Err(failure) => return Some(Err(failure)),
    };
    if values.is_some() {
        return Some(Err(super::graph::no_parameters(path)));
    }
    Some(read_checked(s, f, Failure::problems()).and_then(|flow| draw(s, &flow, format)))
}

fn draw(s: &Session, flow: &FdFlow, format: GraphFormat) -> Outcome {
    match format {
        GraphFormat::Mermaid => out!(s, "{}", flow.mermaid()),
        GraphFormat::Dot => out!(s, "{}", flow.dot()),
    }
    Ok(Done::Clean)
}

/// `graph --target flow-designer`: a Flow Designer file as it is; a Webex Connect spec or
/// template (default: the embedded GetOAuthToken) as `build --target flow-designer` writes it.
pub(super) fn graph_lowered(
    s: &Session,
    spec: Option<&Path>,
    values: Option<&Path>,
    format: GraphFormat,
) -> Outcome {
    if let Some(drawn) = spec.and_then(|path| graph(s, path, values, format)) {
        return drawn;
    }
    if let Some(refused) = super::graph::refuse_built(s, spec, "graph --target flow-designer") {
        return Err(refused);
    }
    let (build, ..) = build_fd(
        s,
        spec,
        values,
        Format::Human,
        super::Secrets::OriginsOnly,
        &[],
    )?;
    match &build.output {
        Some((flow, _)) => draw(s, flow, format),
        None => Err(super::build::build_failed(
            &build.diagnostics,
            Format::Human,
        )),
    }
}

pub(super) fn diff(s: &Session, old: &Path, new: &Path, format: DiffFormat) -> Option<Outcome> {
    let is_fd = |p: &Path| {
        s.files
            .read_bounded(p, wxcflow::MAX_FD_BYTES)
            .ok()
            .is_some_and(|b| InputKind::flow_designer(&b).is_some())
    };
    // A side that reads as a Flow Designer file is read once; an old side that does tells
    // this is their diff, and any other (one that cannot be read among them) is told apart as
    // before. What each side's reading finds is said in order, old side first.
    let (old_read, new_read) = read_both(s, old, new);
    let old_side = match old_read {
        Ok(Some(f)) => read_checked(s, f, Failure::Unusable(None)),
        // Too large for a Flow Designer file is too large for every reader.
        Err(Failure::Read(e)) if e.too_large => Err(Failure::Read(e)),
        _ if !is_fd(old) && !is_fd(new) => return None,
        _ => side(s, old),
    };
    // An old side that cannot be read at all is said before anything of the new one.
    if let Err(failure @ (Failure::Read(_) | Failure::Usage(_))) = old_side {
        return Some(Err(failure.of_diff_side()));
    }
    let new_side = match new_read {
        Ok(Some(f)) => read_checked(s, f, Failure::Unusable(None)),
        Ok(None) => side(s, new),
        // Not read again: a pipe or FIFO gives its bytes once (and one too large for a Flow
        // Designer file is too large for every reader).
        Err(failure) => Err(failure),
    };
    let (a, b) = match (old_side, new_side) {
        (Ok(a), Ok(b)) => (a, b),
        // The old side's problems are printed already: the new side's failure is said too.
        (Err(Failure::Unusable(None)), Err(failure)) | (Err(failure), _) | (_, Err(failure)) => {
            return Some(Err(failure.of_diff_side()))
        }
    };
    let changes = a.diff(&b);
    let text = match format {
        DiffFormat::Text => fd::diff::render_text(&changes, s.colour_stdout()),
        DiffFormat::Json => fd::diff::render_json(&changes),
        DiffFormat::Markdown => fd::model::FdFlow::diff_markdown(
            &changes,
            &old.display().to_string(),
            &new.display().to_string(),
        ),
    };
    out!(s, "{text}");
    Some(Ok(Done::found_if(!changes.is_empty())))
}

pub(super) fn decompile(s: &Session, path: &Path, output: Option<&Path>) -> Option<Outcome> {
    let f = match read_fd_model_whole(s, path) {
        Ok(f) => f?,
        Err(failure) => return Some(Err(failure)),
    };
    let flow = match read_model(s, f, Failure::problems()) {
        Ok((flow, _)) => flow,
        Err(failure) => return Some(Err(failure)),
    };
    let origin = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let spec = flow.decompile(&origin);
    let secret = Secrets::of(&flow).any().then_some(
        "the flow holds secret values (a secure variable's value or a credential typed in clear)",
    );
    drop(flow);
    // An export that breaks the Flow Designer schema decompiles (nothing is lost) into a spec
    // that `build` refuses: said now, not at the next build. A check of the spec finds the
    // errors its build finds (what reading it, the lint and the schema refuse), and writes
    // nothing.
    let checked = s.compiler().check_flow_designer(
        Some(InputKind::FlowDesignerSpec),
        SourceFile::new(origin.clone(), spec.clone()),
    );
    let found: Vec<Code> = (checked.iter())
        .flat_map(|(_, found, _)| found)
        .filter(|d| d.is_error())
        .map(|d| d.code)
        .collect();
    if !found.is_empty() {
        let warning = not_rebuildable(&path.display().to_string(), &found);
        print_diagnostics(s, &[warning], &[], Format::Human, false);
    }
    Some(super::write_text(s, output, &spec, secret))
}

/// What `decompile` says of a spec whose build finds errors of codes `found`: counted by code,
/// not quoted (a schema message can quote any value of the flow). The export is to blame for
/// what the schema or the checks refuse in it; a file too large to write is the limit of the
/// rebuild.
fn not_rebuildable(export: &str, found: &[Code]) -> Diagnostic {
    let mut codes: Vec<&str> = found.iter().map(|c| c.as_str()).collect();
    codes.sort_unstable();
    codes.dedup();
    let blame = match found.iter().all(|&c| c == Code::TooLarge) {
        true => "the file it builds would be larger than wxcflow writes: split the flow in Flow Designer, or the spec into a parent and subflows",
        false => "`wxcflow check` of the export says what in it `build` refuses (the schema, the checks); mend the spec where `wxcflow build SPEC --target flow-designer` says, or the flow in Flow Designer",
    };
    Diagnostic::new(
        Code::NotRebuildable,
        format!(
            "the spec decompiled from {} does not build back as it is: `build` finds {} error{} in it ({})",
            diagnostic::printable_name(export),
            found.len(),
            if found.len() == 1 { "" } else { "s" },
            codes.join(", ")
        ),
    )
    .with_help(blame)
}

/// A Flow Designer file's diagnostics, the sources to quote them from, and whether it was an
/// export (else a Flow Designer spec).
pub(super) type Linted = (Vec<Diagnostic>, Vec<SourceFile>, bool);

/// What `check` finds in a Flow Designer export or spec: its diagnostics, and the sources to
/// quote them from (none for an export on one long line); `None` for any other file.
pub(super) fn lint_file(s: &Session, path: &Path) -> Result<Option<Linted>, super::io::ReadError> {
    // Too large for it is too large for any reader: refused with this limit.
    let bytes = s.files.read_bounded(path, wxcflow::MAX_FD_BYTES)?;
    // Text that opens a JSON object is told apart as it is read (see `read_fd_model`); any
    // other file first.
    let text = match opens_object(&bytes) {
        true => String::from_utf8(bytes).map_err(|e| e.into_bytes()),
        false => Err(bytes),
    };
    let (kind, source) = match text {
        Ok(text) => (None, fd_source(path, text)),
        Err(bytes) => {
            let Some(kind) = InputKind::flow_designer(&bytes) else {
                return Ok(None);
            };
            (
                Some(kind),
                fd_source(path, super::io::text_of(path, bytes)?),
            )
        }
    };
    let Some((kind, d, quoted)) = s.compiler().check_flow_designer(kind, source) else {
        return Ok(None);
    };
    // Excerpts only when every line, as shown, is readable (most exports are one long line);
    // with nothing to report, nothing is quoted and the lines (millions in a large export) are
    // not measured.
    let readable = !d.is_empty() && quoted.lines_within(240);
    Ok(Some((
        d,
        if readable {
            vec![quoted.source]
        } else {
            Vec::new()
        },
        kind == InputKind::FlowDesignerExport,
    )))
}

/// Builds for Flow Designer: a Flow Designer spec as it is, a Webex Connect spec (default:
/// the embedded GetOAuthToken) lowered to a subflow.
fn build_fd(
    s: &Session,
    spec: Option<&Path>,
    values: Option<&Path>,
    format: Format,
    reads: super::Secrets,
    subflows: &[String],
) -> Result<(fd::FdBuild, Vec<SourceFile>, Origins), Failure> {
    let ids = subflow_ids(subflows)?;
    // A Flow Designer spec is read up to the Flow Designer limit (what `decompile` writes of
    // the largest export); a Webex Connect spec up to the specs' own.
    let fd_spec = match spec.map(|p| read_fd(s, p)).transpose()?.flatten() {
        Some(f) if f.kind == InputKind::FlowDesignerSpec => Some(f.into_source()),
        _ => None,
    };
    if fd_spec.is_some() {
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
    }
    // Anything else is read as a Webex Connect spec, which says where it breaks.
    let (kind, source) = match fd_spec {
        Some(source) => (InputKind::FlowDesignerSpec, source),
        None => (InputKind::Spec, in_format(s, load_spec(s, spec), format)?),
    };
    let tenant = values.map(|v| load_tenant(s, v, format)).transpose()?;
    let store = FsSecrets::beside(s, values);
    // A sheet says where each secret comes from and reads none, as for the document target.
    let store: &dyn wxcflow::render::SecretStore = match reads {
        super::Secrets::Read => &store,
        super::Secrets::OriginsOnly => &wxcflow::render::OriginsOnly,
    };
    let children = |flow: &wxcflow::flow::Flow| children(s, spec, &[], flow, ids.clone());
    let built = s
        .compiler()
        .build_flow_designer(kind, &source, tenant.as_ref(), store, &children);
    let origins = built
        .secrets
        .origins
        .iter()
        .map(|(name, from)| (fd::lower::fd_name(name), from.join(" and ")))
        .collect();
    let sources = match built.quoted {
        Some(quoted) => vec![quoted.source],
        None => {
            let mut sources = vec![source];
            sources.extend(tenant.map(|t| t.source));
            // The spec and the tenant file quoted with the secrets they hold literally hidden.
            for source in &mut sources {
                source.hide_spans(&built.secrets.spans);
            }
            sources
        }
    };
    let refs: Vec<&SourceFile> = sources.iter().collect();
    print_diagnostics(s, &built.build.diagnostics, &refs, format, false);
    Ok((built.build, sources, origins))
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
    s: &Session,
    spec: Option<&Path>,
    flows: &[PathBuf],
    flow: &wxcflow::flow::Flow,
    ids: std::collections::BTreeMap<String, fd::lower::SubflowIds>,
) -> fd::lower::Children {
    use wxcflow::tools::simulate::FlowResolver;
    let mut children = fd::lower::Children {
        ids,
        ..Default::default()
    };
    let resolver = super::simulate::FsFlows::new(s, spec, flows);
    for node in &flow.nodes {
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
    s: &Session,
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
    let (build, _, _) = build_fd(s, spec, values, format, super::Secrets::Read, subflows)?;
    let holds_secret = build.holds_secret;
    let Some((flow, json)) = build.output else {
        return Err(super::build::build_failed(&build.diagnostics, format));
    };
    // An id given for a name no handoff calls is most likely a misspelt name.
    let called: std::collections::BTreeSet<&str> = flow
        .process
        .activities
        .iter()
        .filter_map(|a| a.settings.get("subflowName").and_then(|v| v.as_str()))
        .collect();
    for name in subflow_ids(subflows)?.keys() {
        if !called.contains(name.as_str()) && matches!(format, Format::Human) {
            reportln!(
                "warning: --subflow names `{}`, which no call_flow node of the spec calls",
                diagnostic::printable_name(name)
            );
        }
    }
    let target = output.map_or_else(
        || PathBuf::from(super::build::default_output_name(&flow.name, ".fd.json")),
        Path::to_path_buf,
    );
    let detail = format!(
        "Flow Designer {}, {} activities",
        flow.flow_type.as_deref().unwrap_or("FLOW"),
        flow.process.activities.len()
    );
    let what = ("the Flow Designer file", detail.as_str());
    super::build::write_built(s, &target, &json, holds_secret, what, format)
}

pub(super) fn sheet(
    s: &Session,
    spec: Option<&Path>,
    values: Option<&Path>,
    output: Option<&Path>,
) -> Outcome {
    let (build, sources, origins) = build_fd(
        s,
        spec,
        values,
        Format::Human,
        super::Secrets::OriginsOnly,
        &[],
    )?;
    let Some((flow, _)) = &build.output else {
        return Err(super::build::build_failed(
            &build.diagnostics,
            Format::Human,
        ));
    };
    let file_name = super::build::default_output_name(&flow.name, ".fd.json");
    let text = fd::sheet::SheetInput::sheet(&fd::sheet::SheetInput {
        flow,
        source_name: &sources[0].name,
        file_name: &file_name,
        origins: &origins,
        diagnostics: &build.diagnostics,
    });
    super::write_text(s, output, &text, None)
}

/// `sheet` for the document target refuses a Flow Designer spec with the reason
/// (`how`: what to do instead); one that does not read has its errors said first, quoted as
/// `check` quotes them (every place that could hold a secret hidden), never as a Webex Connect
/// spec's TOML.
pub(super) fn refuse_fd_spec(s: &Session, spec: Option<&Path>, how: &str) -> Option<Outcome> {
    let f = match read_fd(s, spec?) {
        Ok(Some(f)) if f.kind == InputKind::FlowDesignerSpec => f,
        Ok(_) => return None,
        Err(failure) => return Some(Err(failure)),
    };
    let (found, quoted) = check_as(s, f.kind, f.into_source());
    let errors: Vec<Diagnostic> = found.into_iter().filter(Diagnostic::is_error).collect();
    if !errors.is_empty() {
        print_problems(s, &errors, &quoted);
        return Some(Err(super::build::build_failed(&errors, Format::Human)));
    }
    Some(Err(Failure::usage(format!(
        "this is a Flow Designer spec: {how}"
    ))))
}

/// `build` for the document target refuses a Flow Designer spec, saying why.
pub(super) fn refuse_document_target(s: &Session, spec: Option<&Path>) -> Option<Failure> {
    let text = s.files.read_text(spec?, wxcflow::MAX_INPUT_BYTES).ok()?;
    (InputKind::flow_designer(text.as_bytes()) == Some(InputKind::FlowDesignerSpec)).then(|| {
        Failure::usage("this is a Flow Designer spec: build it with --target flow-designer")
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
    use fd::push::{Call, FailureKind, Verdict};
    const MAX_RETRIES: u32 = Call::MAX_RETRIES;
    let mut attempt = 0;
    loop {
        let answer = match super::live::send(call) {
            Ok(answer) => answer,
            Err(e) if e.may_have_arrived && call.method != "GET" => {
                return Err(Failure::usage(format!(
                    "no answer to judge from {base}: {}; the request may have reached it and been acted on: look in Flow Designer before pushing again (a flow already there needs --overwrite)",
                    e.why
                )))
            }
            Err(e) if e.may_have_arrived => {
                return Err(Failure::usage(format!(
                    "no answer to judge from {base}: {}",
                    e.why
                )))
            }
            Err(e) => return Err(Failure::usage(format!("cannot reach {base}: {}", e.why))),
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
pub(super) fn push(s: &Session, args: &Push) -> Outcome {
    use fd::push;
    let base = match push::Call::api_base(args.region, args.api_url) {
        Ok(base) => base,
        Err(e) => return Err(Failure::usage(e.to_string())),
    };
    if !push::Call::valid_id(args.org) || !push::Call::valid_id(args.project) {
        return Err(Failure::usage(
            "--org and --project take ids: letters, digits and `-`",
        ));
    }
    // ASCII white space around the token (a line end from a file) is dropped; an access token
    // is visible ASCII, and anything else, at its edges too, could not be sent in a header.
    let trimmed = |t: &str| {
        t.trim_matches(|c: char| c.is_ascii_whitespace())
            .to_string()
    };
    let token = match std::env::var(args.token_env) {
        Ok(t) if !trimmed(&t).is_empty() && trimmed(&t).bytes().all(|b| b.is_ascii_graphic()) => {
            trimmed(&t)
        }
        found => {
            // A value that is not UTF-8 is set, and is never shown: only what is wrong with it.
            let state = match found {
                Ok(t) if !trimmed(&t).is_empty() => {
                    "set, with a character an HTTP header cannot carry (a space, a control or non-ASCII character)"
                }
                Ok(_) => "empty",
                Err(std::env::VarError::NotUnicode(_)) => "not UTF-8",
                Err(std::env::VarError::NotPresent) => "not set",
            };
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
    let source = read_fd_source(s, args.file).map_err(|mut e| {
        e.message = e.message.replace(&raw_name, &shown_name);
        e
    })?;
    // JSON that breaks off or breaks is told as `check` tells it: where, and exit 1.
    let parsed = serde_json::from_str::<serde_json::Value>(&source.text);
    if parsed.is_err() && source.text.trim_start().starts_with('{') {
        let (found, quoted) = check_as(s, InputKind::FlowDesignerExport, source.clone());
        let errors: Vec<Diagnostic> = found.into_iter().filter(Diagnostic::is_error).collect();
        print_problems(s, &errors, &quoted);
        return Err(Failure::problems_with(
            "push sends only files that read as JSON",
        ));
    }
    // Only an export goes to flows:import: a flow document or a spec would be refused by the
    // schema key by key, when the one thing to say is what the file is.
    if InputKind::flow_designer(source.text.as_bytes()) != Some(InputKind::FlowDesignerExport) {
        return Err(Failure::usage(format!(
            "{} is not a Flow Designer file: push sends what `wxcflow build --target flow-designer` writes, or a Flow Designer export",
            shown_name
        )));
    }
    let mut value: serde_json::Value = match parsed {
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
    let violations = match fd::model::FdFlow::read_export_partial(&source) {
        (Some(flow), _) => flow.validate_export(&value, s.compiler().fd_validator(), &|_, a| {
            a.origin.clone()
        }),
        (None, _) => s
            .compiler()
            .fd_validator()
            .validate_hiding(&value, &|_| true),
    };
    if !violations.is_empty() {
        for v in &violations {
            reportln!("error: {shown_name}: {v}");
        }
        return Err(Failure::problems_with("push sends only files that pass the Flow Designer schema (`wxcflow build --target flow-designer` writes them)"));
    }
    // What `check` calls an error (a template Pebble cannot parse) is not sent either, said as
    // `check` says it, every place that could hold a secret hidden.
    let (found, quoted) = check_as(s, InputKind::FlowDesignerExport, source.clone());
    let errors: Vec<Diagnostic> = found.into_iter().filter(Diagnostic::is_error).collect();
    if !errors.is_empty() {
        print_problems(s, &errors, &quoted);
        return Err(Failure::problems_with(format!(
            "push sends only files `wxcflow check` finds no error in: {}",
            diagnostic::Diagnostic::summary(&errors)
        )));
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
    // status code, the ids (24 hex digits: see `push::Answer::judge_import`), which of a fixed list of
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
            let lookup = push::Call::lookup(&base, args.org, args.project, name, &token);
            let ids = converse(&lookup, &base, |answer, attempt| {
                answer.judge_lookup(attempt, &lookup.url, name)
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
    let import = push::Call::import(
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
        answer.judge_import(attempt, &import.url)
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
    let publish = push::Call::publish(
        &base,
        args.org,
        args.project,
        &imported.flow_id,
        flow_type,
        args.comment.unwrap_or(push::Call::DEFAULT_COMMENT),
        &token,
    );
    converse(&publish, &base, |answer, attempt| {
        answer.judge_publish(attempt, &publish.url)
    })?;
    reportln!("published flow {}", imported.flow_id);
    Ok(Done::Clean)
}

/// `fmt` leaves Flow Designer specs as they are (their canonical form is what `decompile`
/// writes), and says so.
pub(super) fn fmt_skips(source: &SourceFile) -> bool {
    let skip =
        InputKind::flow_designer(source.text.as_bytes()) == Some(InputKind::FlowDesignerSpec);
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
pub(super) struct FsSubflows<'a> {
    pub(super) s: &'a Session,
    pub(super) dirs: Vec<PathBuf>,
}

impl fd::run::SubflowLookup for FsSubflows<'_> {
    /// The one file in the folders that gives the flow `name`: two that do (a tenant's build
    /// beside another's) are refused, as `push` refuses two subflows of one name, rather than
    /// one taken by the order of their names.
    fn subflow(&self, name: &str) -> Result<FdFlow, fd::run::SubflowError> {
        let mut found: Vec<(PathBuf, FdFlow)> = Vec::new();
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
                let Ok(Some(f)) = read_fd(self.s, &path) else {
                    continue;
                };
                let same = |(p, _): &(PathBuf, FdFlow)| {
                    std::fs::canonicalize(p).ok() == std::fs::canonicalize(&path).ok()
                };
                match fd::model::FdFlow::read(&f.into_source()) {
                    Ok(flow) if flow.name == name && !found.iter().any(same) => {
                        found.push((path, flow));
                    }
                    _ => continue,
                }
            }
        }
        match found.len() {
            0 => Err(fd::run::SubflowError::NotFound {
                name: name.to_string(),
                searched: self.dirs.iter().map(|d| d.display().to_string()).collect(),
            }),
            1 => Ok(found.remove(0).1),
            n => {
                let files: Vec<String> = (found.iter())
                    .map(|(p, _)| diagnostic::printable_name(&p.display().to_string()).into_owned())
                    .collect();
                Err(fd::run::SubflowError::Unusable(
                    name.to_string(),
                    format!(
                        "{n} files give that name ({}): keep one in the folders given, or give --flows a folder holding one",
                        files.join(", ")
                    ),
                ))
            }
        }
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
    /// Show the path past an activity that chose its way on a secret value.
    pub(super) reveal_path: bool,
}

/// Whether a file is a Flow Designer export or spec (a file that cannot be read is not: the
/// command reading it says why).
pub(super) fn is_fd_file(s: &Session, path: &Path) -> bool {
    matches!(read_fd(s, path), Ok(Some(_)))
}

/// `run FILE` on a Flow Designer export or spec.
pub(super) fn run(s: &Session, path: &Path, args: &FdRunArgs) -> Outcome {
    let Some(f) = read_fd_model(s, path)? else {
        return Err(Failure::input(format!(
            "{} is not a Flow Designer file",
            path.display()
        )));
    };
    let (flow, quoted) = read_model(s, f, Failure::problems())?;
    let inputs = match args.inputs {
        None => fd::run::Inputs::default(),
        Some(path) => {
            // Not UTF-8 is not TOML: told as a tenant file is, by its line, nothing quoted.
            let source = match super::read_tenant_source(s, path, "inputs file") {
                Ok(source) => source,
                Err(super::TenantUnread::Failed(e)) => {
                    return super::in_format(s, Err(e.into()), args.format)
                }
                Err(super::TenantUnread::NotUtf8(not_utf8)) => {
                    let (source, d) = *not_utf8;
                    print_diagnostics(s, &[d], &[&source.values_hidden()], args.format, false);
                    return Err(Failure::problems());
                }
            };
            match fd::run::Inputs::read(&source, &flow) {
                (Ok(inputs), _) => inputs,
                (Err(problems), shown) => {
                    print_diagnostics(s, &problems, &[&shown], args.format, false);
                    return Err(Failure::problems());
                }
            }
        }
    };
    let subflows = FsSubflows {
        s,
        dirs: args.flows.to_vec(),
    };
    let run = if args.live {
        fd::model::FdFlow::run(
            &flow,
            &inputs,
            &mut super::live::LiveHttp,
            args.digits,
            &subflows,
        )
    } else {
        let exchanges = match args.mock {
            None => Vec::new(),
            Some(path) => super::simulate::load_mock(s, path)?,
        };
        let mut http = wxcflow::tools::simulate::mock::MockClient { exchanges };
        flow.run(&inputs, &mut http, args.digits, &subflows)
    };
    let run = if args.reveal_path {
        run
    } else {
        run.without_secret_path()
    };
    match args.format {
        Format::Human => out!(s, "{}", run.render_text()),
        Format::Json => out!(s, "{}", run.render_json()),
    }
    match &run.stop {
        None => Ok(Done::Clean),
        Some(stop) => {
            let span = stop.locate(&flow, &quoted);
            // The trace (JSON's `stopped` too) holds the stop; this tells the person where it is.
            let d = Diagnostic::new(Code::RunStopped, stop.to_string()).with_span(span);
            print_diagnostics(s, &[d], &[&quoted.source], Format::Human, false);
            Err(Failure::problems())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rebuild_only_too_large_does_not_blame_the_export() {
        let large = not_rebuildable("e.json", &[Code::TooLarge]);
        assert_eq!(
            large.message,
            "the spec decompiled from e.json does not build back as it is: `build` finds 1 error in it (wxc::too-large)"
        );
        assert!(!large.help.as_deref().unwrap_or_default().contains("check"));
        let both = not_rebuildable(
            "e.json",
            &[
                Code::InvalidFlowDesigner,
                Code::TooLarge,
                Code::InvalidFlowDesigner,
            ],
        );
        assert!(both
            .message
            .ends_with("finds 3 errors in it (wxc::invalid-flow-designer, wxc::too-large)"));
        assert!(both
            .help
            .as_deref()
            .unwrap_or_default()
            .contains("`wxcflow check` of the export"));
    }
}
