//! Command-line surface: argument definitions, file I/O, printing and exit codes. Everything that
//! decides anything lives in the library.

use clap::{Parser, Subcommand, ValueEnum};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use wxcflow::container::{self, Inspection};
use wxcflow::diagnostic::{self, Code, Diagnostic, SourceFile};
use wxcflow::schema::{DocumentValidator, DOCUMENT_SCHEMA};

/// Like `print!`, but a closed pipe (`wxcflow graph | head`) ends the output quietly instead of
/// panicking.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout().lock(), $($arg)*);
    }};
}

macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// Exit codes: 0 ok, 1 problems in the input, 2 usage or I/O error.
const EXIT_PROBLEMS: u8 = 1;
const EXIT_USAGE: u8 = 2;

#[derive(Parser)]
#[command(name = "wxcflow", version, about = "A compiler for Cisco Webex Connect flows", long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compile a spec into a flow document (without SPEC: the embedded GetOAuthToken).
    Build {
        /// The spec to compile.
        spec: Option<PathBuf>,
        /// Where to write the document; `-` for stdout. Default: `<flow name>.flow.json`.
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// How to print diagnostics.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Check specs and report every problem, without writing anything.
    Check {
        #[arg(required = true)]
        specs: Vec<PathBuf>,
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Draw a flow (without SPEC: the embedded GetOAuthToken).
    Graph {
        spec: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
        format: GraphFormat,
    },
    /// Write the build sheet: the Markdown runbook for creating the flow in Flow Builder.
    Sheet {
        spec: Option<PathBuf>,
        /// Where to write it; default: stdout.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Show what changed in a flow's logic between two revisions (specs or flow documents;
    /// two .workflow exports are compared block by block). Exit 0: no logic change, 1: changes.
    Diff {
        old: PathBuf,
        new: PathBuf,
        #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
        format: DiffFormat,
    },
    /// Format specs canonically, keeping comments; `--check` only lists files that would change.
    Fmt {
        #[arg(long)]
        check: bool,
        #[arg(required = true)]
        specs: Vec<PathBuf>,
    },
    /// Turn a flow document back into a spec, node keys restored.
    Decompile {
        document: PathBuf,
        /// Where to write the spec; default: stdout.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Recognise and measure Webex Connect exports (.workflow, .workflow.zip); compare two.
    Inspect {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Print a line-oriented rendering for `git diff` (a git textconv driver).
    Textconv { file: PathBuf },
    /// Write a starter spec (GetOAuthToken) and the editor schema into DIR; never overwrites.
    Init {
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Print a shell completion script.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print a JSON Schema.
    Schema {
        #[arg(value_enum)]
        which: SchemaKind,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Human,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum DiffFormat {
    Text,
    Json,
    Markdown,
}

#[derive(Clone, Copy, ValueEnum)]
enum GraphFormat {
    Mermaid,
    Dot,
}

#[derive(Clone, Copy, ValueEnum)]
enum SchemaKind {
    /// The flow document that `build` writes.
    Document,
    /// The TOML spec format, for editors (Taplo, Even Better TOML).
    Spec,
}

pub fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_USAGE } else { 0 });
        }
    };
    match cli.command {
        Command::Build {
            spec,
            output,
            format,
        } => build(spec.as_deref(), output.as_deref(), format),
        Command::Check { specs, format } => check(&specs, format),
        Command::Inspect { files, format } => inspect(&files, format),
        Command::Graph { spec, format } => graph(spec.as_deref(), format),
        Command::Sheet { spec, output } => sheet(spec.as_deref(), output.as_deref()),
        Command::Textconv { file } => textconv(&file),
        Command::Diff { old, new, format } => diff(&old, &new, format),
        Command::Fmt { check, specs } => fmt(&specs, check),
        Command::Decompile { document, output } => decompile(&document, output.as_deref()),
        Command::Init { dir } => init(&dir),
        Command::Completions { shell } => {
            use clap::CommandFactory as _;
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "wxcflow",
                &mut std::io::stdout(),
            );
            ExitCode::SUCCESS
        }
        Command::Schema { which } => {
            match which {
                SchemaKind::Document => out!("{DOCUMENT_SCHEMA}"),
                SchemaKind::Spec => out!("{}", wxcflow::schema::spec_schema()),
            }
            ExitCode::SUCCESS
        }
    }
}

fn read_source(path: &Path) -> Result<SourceFile, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        format!(
            "{} is not UTF-8 text (invalid byte at offset {})",
            path.display(),
            e.utf8_error().valid_up_to()
        )
    })?;
    Ok(SourceFile::new(path.display().to_string(), text))
}

/// The spec at `path`, or the embedded GetOAuthToken when none is given.
fn load_spec(path: Option<&Path>) -> Result<SourceFile, ExitCode> {
    match path {
        Some(path) => read_source(path).map_err(|e| usage_error(&e)),
        None => Ok(SourceFile::new(
            wxcflow::DEFAULT_SPEC_NAME,
            wxcflow::DEFAULT_SPEC,
        )),
    }
}

/// Loads and compiles a spec, printing diagnostics; the flow when it compiled.
fn compile(spec: Option<&Path>) -> Result<(SourceFile, wxcflow::flow::Flow), ExitCode> {
    let source = load_spec(spec)?;
    let result = wxcflow::build_source(&source, &DocumentValidator::new());
    print_diagnostics(&result.diagnostics, Some(&source), Format::Human, false);
    match result.output {
        Some((document, _)) => Ok((source, document.flow)),
        None => {
            eprintln!("build failed: {}", diagnostic::summary(&result.diagnostics));
            Err(ExitCode::from(EXIT_PROBLEMS))
        }
    }
}

fn graph(spec: Option<&Path>, format: GraphFormat) -> ExitCode {
    let (_, flow) = match compile(spec) {
        Ok(compiled) => compiled,
        Err(code) => return code,
    };
    match format {
        GraphFormat::Mermaid => out!("{}", wxcflow::emit::graph::mermaid(&flow)),
        GraphFormat::Dot => out!("{}", wxcflow::emit::graph::dot(&flow)),
    }
    ExitCode::SUCCESS
}

fn sheet(spec: Option<&Path>, output: Option<&Path>) -> ExitCode {
    let (source, flow) = match compile(spec) {
        Ok(compiled) => compiled,
        Err(code) => return code,
    };
    let text = wxcflow::emit::sheet::sheet(&flow, &source.name);
    match output {
        None => out!("{text}"),
        Some(path) => {
            if let Err(e) = write_atomic(path, text.as_bytes(), false) {
                return usage_error(&format!("cannot write {}: {e}", path.display()));
            }
        }
    }
    ExitCode::SUCCESS
}

fn usage_error(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(EXIT_USAGE)
}

fn print_diagnostics(
    diagnostics: &[Diagnostic],
    source: Option<&SourceFile>,
    format: Format,
    to_stdout: bool,
) {
    if diagnostics.is_empty() && matches!(format, Format::Human) {
        return;
    }
    let text = match format {
        Format::Human => diagnostic::render_human(diagnostics, source),
        Format::Json => diagnostic::render_json(diagnostics),
    };
    if to_stdout {
        out!("{text}");
    } else {
        eprint!("{text}");
    }
}

fn is_workflow_path(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    name.ends_with(".workflow") || name.ends_with(".workflow.zip")
}

fn build(spec: Option<&Path>, output: Option<&Path>, format: Format) -> ExitCode {
    if let Some(out) = output.filter(|o| is_workflow_path(o)) {
        let d = Diagnostic::new(
            Code::WorkflowOutput,
            format!("refusing to write {}: .workflow exports are encrypted with a key only Cisco holds", out.display()),
        )
        .with_help("write the flow document (.flow.json) and follow its build sheet in Flow Builder; see the README, section \".workflow files\"");
        print_diagnostics(&[d], None, format, false);
        return ExitCode::from(EXIT_USAGE);
    }
    let source = match load_spec(spec) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let validator = DocumentValidator::new();
    let result = wxcflow::build_source(&source, &validator);
    print_diagnostics(&result.diagnostics, Some(&source), format, false);
    let holds_secret = result.holds_secret();
    let Some((document, json)) = result.output else {
        if matches!(format, Format::Human) {
            eprintln!("build failed: {}", diagnostic::summary(&result.diagnostics));
        }
        return ExitCode::from(EXIT_PROBLEMS);
    };
    let target = output.map_or_else(
        || PathBuf::from(default_output_name(&document.flow.name)),
        Path::to_path_buf,
    );
    if target.as_os_str() == "-" {
        if holds_secret {
            return usage_error("the document holds secret values; write it to a file (created with mode 0600), not to stdout");
        }
        out!("{json}");
        return ExitCode::SUCCESS;
    }
    if let Err(e) = write_atomic(&target, json.as_bytes(), holds_secret) {
        return usage_error(&format!("cannot write {}: {e}", target.display()));
    }
    if matches!(format, Format::Human) {
        eprintln!(
            "wrote {} ({} nodes{})",
            target.display(),
            document.flow.nodes.len() + 1,
            if holds_secret {
                ", mode 0600: it holds secret values"
            } else {
                ""
            }
        );
    }
    ExitCode::SUCCESS
}

/// `<flow name>.flow.json`, with characters that do not belong in a file name replaced.
fn default_output_name(flow_name: &str) -> String {
    let safe: String = flow_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let safe = safe.trim_start_matches('.');
    format!("{}.flow.json", if safe.is_empty() { "flow" } else { safe })
}

/// Writes to a temporary file in the target's folder, then renames it over the target: readers
/// see the old file or the new one, never a part. Secret-bearing files are private (0600).
pub fn write_atomic(path: &Path, bytes: &[u8], private: bool) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut file = tempfile::Builder::new()
        .prefix(".wxcflow-")
        .tempfile_in(dir)?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = if private { 0o600 } else { 0o644 };
        file.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode))?;
    }
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}

fn check(specs: &[PathBuf], format: Format) -> ExitCode {
    let validator = DocumentValidator::new();
    let mut all = Vec::new();
    let mut io_failed = false;
    let mut human = String::new();
    for path in specs {
        let source = match read_source(path) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("error: {e}");
                io_failed = true;
                continue;
            }
        };
        let result = wxcflow::build_source(&source, &validator);
        human.push_str(&diagnostic::render_human(
            &result.diagnostics,
            Some(&source),
        ));
        all.extend(result.diagnostics);
    }
    match format {
        Format::Human => {
            out!("{human}");
            eprintln!(
                "checked {} spec{}: {}",
                specs.len(),
                if specs.len() == 1 { "" } else { "s" },
                diagnostic::summary(&all)
            );
        }
        Format::Json => out!("{}", diagnostic::render_json(&all)),
    }
    if io_failed {
        ExitCode::from(EXIT_USAGE)
    } else if all.iter().any(Diagnostic::is_error) {
        ExitCode::from(EXIT_PROBLEMS)
    } else {
        ExitCode::SUCCESS
    }
}

/// The one export inside an inspection, if it holds exactly one (a file or a one-member zip).
fn single_export(inspection: &Inspection) -> Option<&container::Export> {
    match inspection {
        Inspection::Export(e) => Some(e),
        Inspection::Zip { members } if members.len() == 1 => single_export(&members[0].inspection),
        _ => None,
    }
}

fn inspect(files: &[PathBuf], format: Format) -> ExitCode {
    let mut inspected = Vec::new();
    for path in files {
        match std::fs::read(path) {
            Ok(bytes) => inspected.push((path.display().to_string(), container::inspect(&bytes))),
            Err(e) => return usage_error(&format!("cannot read {}: {e}", path.display())),
        }
    }
    let comparison = match inspected.as_slice() {
        [(_, a), (_, b)] => single_export(a)
            .zip(single_export(b))
            .map(|(a, b)| container::compare(a, b)),
        _ => None,
    };
    match format {
        Format::Human => {
            for (name, inspection) in &inspected {
                out!("{}", container::render_inspection(name, inspection));
            }
            if let Some(c) = &comparison {
                out!(
                    "{}",
                    container::render_comparison(&inspected[0].0, &inspected[1].0, c)
                );
            }
        }
        Format::Json => {
            let files: Vec<_> = inspected
                .iter()
                .map(|(path, inspection)| serde_json::json!({ "path": path, "inspection": inspection }))
                .collect();
            let report = serde_json::json!({ "files": files, "comparison": comparison });
            outln!(
                "{}",
                serde_json::to_string_pretty(&report).expect("reports serialise")
            );
        }
    }
    if inspected.iter().all(|(_, i)| i.is_recognised()) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_PROBLEMS)
    }
}

/// Git calls this with one file and shows what it prints; so it prints something for any file
/// and fails only when the file cannot be read.
fn textconv(path: &Path) -> ExitCode {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => return usage_error(&format!("cannot read {}: {e}", path.display())),
    };
    // Git hands textconv temporary paths; a fixed label keeps them out of the diff.
    // Specs and documents: the canonical line view; a file that does not compile, verbatim.
    let verbatim = || String::from_utf8_lossy(&bytes).into_owned();
    let text = match container::inspect(&bytes) {
        Inspection::Spec { .. } => {
            let source = SourceFile::new(path.display().to_string(), verbatim());
            match wxcflow::build_source(&source, &DocumentValidator::new()).output {
                Some((document, _)) => wxcflow::diff::render_lines(&document.flow),
                None => source.text,
            }
        }
        Inspection::FlowDocument { .. } => {
            serde_json::from_slice::<wxcflow::flow::Document>(&bytes)
                .map_or_else(|_| verbatim(), |d| wxcflow::diff::render_lines(&d.flow))
        }
        Inspection::Rejected(_) if !bytes.is_empty() && std::str::from_utf8(&bytes).is_ok() => {
            verbatim()
        }
        other => container::render_inspection("export", &other),
    };
    out!("{text}");
    ExitCode::SUCCESS
}

/// The files `init` writes: the GetOAuthToken spec, pointing its `#:schema` line at the schema
/// written beside it, and that schema.
fn init_files() -> [(&'static str, String); 2] {
    let spec = match wxcflow::DEFAULT_SPEC.split_once('\n') {
        Some((first, rest)) if first.starts_with("#:schema ") => {
            format!("#:schema ./flow-spec.schema.json\n{rest}")
        }
        _ => wxcflow::DEFAULT_SPEC.to_string(),
    };
    [
        ("get-oauth-token.toml", spec),
        ("flow-spec.schema.json", wxcflow::schema::spec_schema()),
    ]
}

fn init(dir: &Path) -> ExitCode {
    let files = init_files();
    let existing: Vec<String> = files
        .iter()
        .map(|(name, _)| dir.join(name))
        .filter(|p| p.symlink_metadata().is_ok())
        .map(|p| p.display().to_string())
        .collect();
    if !existing.is_empty() {
        return usage_error(&format!(
            "refusing to overwrite {}; nothing was written",
            existing.join(", ")
        ));
    }
    if let Err(e) = std::fs::create_dir_all(dir) {
        return usage_error(&format!("cannot create {}: {e}", dir.display()));
    }
    for (name, text) in &files {
        let path = dir.join(name);
        // create_new: a file that appeared since the check above is not overwritten either.
        let written = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .and_then(|mut f| f.write_all(text.as_bytes()));
        if let Err(e) = written {
            return usage_error(&format!("cannot write {}: {e}", path.display()));
        }
        eprintln!("wrote {}", path.display());
    }
    eprintln!("next: wxcflow build {}", dir.join(files[0].0).display());
    ExitCode::SUCCESS
}

/// One side of a diff.
enum Revision {
    Flow(wxcflow::flow::Flow),
    Export(container::Export),
}

/// Reads a spec (compiled), a flow document or an export. Errors are already printed.
fn load_flow(path: &Path, bytes: &[u8]) -> Result<Revision, ExitCode> {
    let name = path.display().to_string();
    match container::inspect(bytes) {
        Inspection::FlowDocument { .. } => serde_json::from_slice::<wxcflow::flow::Document>(bytes)
            .map(|d| Revision::Flow(d.flow))
            .map_err(|e| usage_error(&format!("{name} is not a valid flow document: {e}"))),
        Inspection::Spec { .. } => {
            let text = String::from_utf8_lossy(bytes).into_owned();
            let source = SourceFile::new(name, text);
            let result = wxcflow::build_source(&source, &DocumentValidator::new());
            print_diagnostics(&result.diagnostics, Some(&source), Format::Human, false);
            result
                .output
                .map(|(d, _)| Revision::Flow(d.flow))
                .ok_or_else(|| ExitCode::from(EXIT_USAGE))
        }
        other => match single_export(&other) {
            Some(e) => Ok(Revision::Export(e.clone())),
            None => {
                let why = match other {
                    Inspection::Rejected(r) => r.describe(),
                    _ => "not a single flow".into(),
                };
                Err(usage_error(&format!("{name}: {why}")))
            }
        },
    }
}

fn diff(old: &Path, new: &Path, format: DiffFormat) -> ExitCode {
    let mut sides = Vec::new();
    for path in [old, new] {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) => return usage_error(&format!("cannot read {}: {e}", path.display())),
        };
        match load_flow(path, &bytes) {
            Ok(side) => sides.push(side),
            Err(code) => return code,
        }
    }
    let (old_name, new_name) = (old.display().to_string(), new.display().to_string());
    match (&sides[0], &sides[1]) {
        (Revision::Flow(a), Revision::Flow(b)) => {
            let changes = wxcflow::diff::diff(a, b);
            let text = match format {
                DiffFormat::Text => {
                    use std::io::IsTerminal as _;
                    wxcflow::diff::render_text(&changes, std::io::stdout().is_terminal())
                }
                DiffFormat::Json => wxcflow::diff::render_json(&changes),
                DiffFormat::Markdown => {
                    wxcflow::diff::render_markdown(&changes, &old_name, &new_name)
                }
            };
            out!("{text}");
            ExitCode::from(u8::from(!changes.is_empty()))
        }
        (Revision::Export(a), Revision::Export(b)) => {
            let comparison = container::compare(a, b);
            match format {
                DiffFormat::Json => outln!(
                    "{}",
                    serde_json::to_string_pretty(&comparison).expect("serialises")
                ),
                _ => out!(
                    "{}",
                    container::render_comparison(&old_name, &new_name, &comparison)
                ),
            }
            ExitCode::from(u8::from(!comparison.identical))
        }
        _ => usage_error("cannot compare an export with a spec or document: exports are encrypted"),
    }
}

fn decompile(document: &Path, output: Option<&Path>) -> ExitCode {
    let bytes = match std::fs::read(document) {
        Ok(b) => b,
        Err(e) => return usage_error(&format!("cannot read {}: {e}", document.display())),
    };
    let parsed: wxcflow::flow::Document = match serde_json::from_slice(&bytes) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {} is not a flow document: {e}", document.display());
            return ExitCode::from(EXIT_PROBLEMS);
        }
    };
    let value = serde_json::to_value(&parsed).expect("documents convert to JSON values");
    let violations = DocumentValidator::new().validate(&value);
    if !violations.is_empty() {
        for v in &violations {
            eprintln!("error: {}: {v}", document.display());
        }
        return ExitCode::from(EXIT_PROBLEMS);
    }
    let spec = wxcflow::decompile::decompile(&parsed);
    let private = parsed
        .flow
        .variables
        .iter()
        .any(|v| v.secret && !v.default.is_empty());
    match output {
        None if private => usage_error("the document holds secret values; write the spec to a file with -o (created with mode 0600)"),
        None => {
            out!("{spec}");
            ExitCode::SUCCESS
        }
        Some(path) => match write_atomic(path, spec.as_bytes(), private) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => usage_error(&format!("cannot write {}: {e}", path.display())),
        },
    }
}

fn fmt(specs: &[PathBuf], check_only: bool) -> ExitCode {
    let mut problems = false;
    for path in specs {
        let source = match read_source(path) {
            Ok(s) => s,
            Err(e) => return usage_error(&e),
        };
        let formatted = match wxcflow::fmt::format_spec(&source) {
            Ok(f) => f,
            Err(d) => {
                print_diagnostics(&[d], Some(&source), Format::Human, false);
                problems = true;
                continue;
            }
        };
        if formatted == source.text {
            continue;
        }
        if check_only {
            outln!("{}", path.display());
            problems = true;
            continue;
        }
        // Keep the file's own permissions: a spec holding secrets stays private.
        #[cfg(unix)]
        let private = {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o077 == 0)
        };
        #[cfg(not(unix))]
        let private = false;
        if let Err(e) = write_atomic(path, formatted.as_bytes(), private) {
            return usage_error(&format!("cannot write {}: {e}", path.display()));
        }
        eprintln!("formatted {}", path.display());
    }
    ExitCode::from(u8::from(problems))
}
