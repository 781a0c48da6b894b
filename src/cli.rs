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
        /// A tenant file with the template's parameter values.
        #[arg(long)]
        values: Option<PathBuf>,
        /// Where to write the document; `-` for stdout. Default: `<flow name>.flow.json`.
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// How to print diagnostics.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Render a template for every tenant file (`*.toml`) in a folder, in parallel.
    Render {
        template: PathBuf,
        #[arg(long)]
        tenants: PathBuf,
        /// Output folder: one `<tenant>.flow.json` per tenant.
        #[arg(short, long)]
        output: PathBuf,
        /// Parallel jobs (default: one per core).
        #[arg(long)]
        jobs: Option<usize>,
    },
    /// Run a flow locally: HTTP from a mock file, or real with --live (without either, every
    /// request fails to connect).
    Run {
        spec: Option<PathBuf>,
        /// The webhook body, as JSON; default: the spec's sample.
        #[arg(long)]
        trigger: Option<String>,
        #[arg(long)]
        values: Option<PathBuf>,
        /// A TOML file of `[[http]]` mocked exchanges.
        #[arg(long, conflicts_with = "live")]
        mock: Option<PathBuf>,
        /// Send real HTTP requests, with each node's timeouts.
        #[arg(long)]
        live: bool,
        /// Folders to look for flows called by Call Flow nodes (the spec's folder always).
        #[arg(long)]
        flows: Vec<PathBuf>,
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Run scenario files (or every `*.toml` in the folders given) and check their expectations.
    Test {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[arg(long)]
        flows: Vec<PathBuf>,
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
        /// A tenant file with the template's parameter values.
        #[arg(long)]
        values: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
        format: GraphFormat,
    },
    /// Write the build sheet: the Markdown runbook for creating the flow in Flow Builder.
    Sheet {
        spec: Option<PathBuf>,
        /// A tenant file with the template's parameter values.
        #[arg(long)]
        values: Option<PathBuf>,
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
        Command::Render {
            template,
            tenants,
            output,
            jobs,
        } => render(&template, &tenants, &output, jobs),
        Command::Build {
            spec,
            values,
            output,
            format,
        } => build(
            spec.as_deref(),
            values.as_deref(),
            output.as_deref(),
            format,
        ),
        Command::Check { specs, format } => check(&specs, format),
        Command::Run {
            spec,
            trigger,
            values,
            mock,
            live,
            flows,
            format,
        } => simulate(
            spec.as_deref(),
            trigger.as_deref(),
            values.as_deref(),
            mock.as_deref(),
            live,
            &flows,
            format,
        ),
        Command::Test { paths, flows } => test(&paths, &flows),
        Command::Inspect { files, format } => inspect(&files, format),
        Command::Graph {
            spec,
            values,
            format,
        } => graph(spec.as_deref(), values.as_deref(), format),
        Command::Sheet {
            spec,
            values,
            output,
        } => sheet(spec.as_deref(), values.as_deref(), output.as_deref()),
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
    // Refuse an oversized file before reading it into memory.
    if let Ok(meta) = std::fs::metadata(path) {
        if let Some(d) = wxcflow::too_large(&path.display().to_string(), meta.len() as usize) {
            return Err(d.message);
        }
    }
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

/// A compiled flow, with where its secret variables' values came from.
struct Compiled {
    source: SourceFile,
    flow: wxcflow::flow::Flow,
    origins: std::collections::BTreeMap<String, String>,
    /// Secret values the tenant brought in, to mask in anything shown.
    secrets: Vec<String>,
}

/// Loads and compiles a spec, printing diagnostics; the flow when it compiled.
fn compile(spec: Option<&Path>, values: Option<&Path>) -> Result<Compiled, ExitCode> {
    let source = load_spec(spec)?;
    let tenant = values.map(load_tenant).transpose()?;
    let store = FsSecrets::beside(values);
    let result = wxcflow::build_tenant(&source, tenant.as_ref(), &store, &DocumentValidator::new());
    let mut sources = vec![&source];
    sources.extend(tenant.as_ref().map(|t| &t.source));
    print_diagnostics(&result.diagnostics, &sources, Format::Human, false);
    let origins = result.secret_origins();
    let secrets = result.secrets.iter().map(|s| s.value.clone()).collect();
    match result.output {
        Some((document, _)) => Ok(Compiled {
            source,
            flow: document.flow,
            origins,
            secrets,
        }),
        None => {
            eprintln!("build failed: {}", diagnostic::summary(&result.diagnostics));
            Err(ExitCode::from(EXIT_PROBLEMS))
        }
    }
}

fn graph(spec: Option<&Path>, values: Option<&Path>, format: GraphFormat) -> ExitCode {
    let flow = match compile(spec, values) {
        Ok(compiled) => compiled.flow,
        Err(code) => return code,
    };
    match format {
        GraphFormat::Mermaid => out!("{}", wxcflow::emit::graph::mermaid(&flow)),
        GraphFormat::Dot => out!("{}", wxcflow::emit::graph::dot(&flow)),
    }
    ExitCode::SUCCESS
}

fn sheet(spec: Option<&Path>, values: Option<&Path>, output: Option<&Path>) -> ExitCode {
    let compiled = match compile(spec, values) {
        Ok(compiled) => compiled,
        Err(code) => return code,
    };
    let text =
        wxcflow::emit::sheet::sheet(&compiled.flow, &compiled.source.name, &compiled.origins);
    match output {
        None => out!("{text}"),
        Some(path) => {
            if let Err(e) = write_atomic(path, text.as_bytes(), false, true) {
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
    sources: &[&SourceFile],
    format: Format,
    to_stdout: bool,
) {
    if diagnostics.is_empty() && matches!(format, Format::Human) {
        return;
    }
    let text = match format {
        Format::Human => diagnostic::render_human(diagnostics, sources),
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

fn build(
    spec: Option<&Path>,
    values: Option<&Path>,
    output: Option<&Path>,
    format: Format,
) -> ExitCode {
    if let Some(out) = output.filter(|o| is_workflow_path(o)) {
        let d = Diagnostic::new(
            Code::WorkflowOutput,
            format!("refusing to write {}: .workflow exports are encrypted with a key only Cisco holds", out.display()),
        )
        .with_help("write the flow document (.flow.json) and follow its build sheet in Flow Builder; see the README, section \".workflow files\"");
        print_diagnostics(&[d], &[], format, false);
        return ExitCode::from(EXIT_USAGE);
    }
    let source = match load_spec(spec) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let tenant = match values.map(load_tenant).transpose() {
        Ok(t) => t,
        Err(code) => return code,
    };
    let store = FsSecrets::beside(values);
    let validator = DocumentValidator::new();
    let result = wxcflow::build_tenant(&source, tenant.as_ref(), &store, &validator);
    let mut sources = vec![&source];
    sources.extend(tenant.as_ref().map(|t| &t.source));
    print_diagnostics(&result.diagnostics, &sources, format, false);
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
    if let Err(e) = write_atomic(&target, json.as_bytes(), holds_secret, true) {
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
/// `durable` also flushes the data to disk before the rename (skipped in large batches, where
/// thousands of flushes would cost seconds and atomicity does not depend on them).
pub fn write_atomic(
    path: &Path,
    bytes: &[u8],
    private: bool,
    durable: bool,
) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // One temporary name per target and process: concurrent writers of different targets never
    // meet, and a stale one left by a killed run with the same pid is replaced.
    let temporary = dir.join(format!(".{name}.{}.wxcflow-tmp", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    // The mode is set as the file is created: no moment in which a secret is readable.
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(if private { 0o600 } else { 0o644 });
    }
    let mut file = match options.open(&temporary) {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            std::fs::remove_file(&temporary)?;
            options.open(&temporary)?
        }
        other => other?,
    };
    let written = file
        .write_all(bytes)
        .and_then(|()| if durable { file.sync_all() } else { Ok(()) })
        .and_then(|()| {
            drop(file);
            std::fs::rename(&temporary, path)
        });
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
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
        human.push_str(&diagnostic::render_human(&result.diagnostics, &[&source]));
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
        // Read at most one byte past the limit: a huge file is rejected without loading it all.
        let limit = container::MAX_EXPORT_BYTES as u64 + 1;
        let read = std::fs::File::open(path).and_then(|f| {
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut std::io::Read::take(f, limit), &mut bytes)
                .map(|_| bytes)
        });
        match read {
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
/// written beside it, that schema, and an example tenant.
fn init_files() -> [(&'static str, String); 3] {
    let spec = match wxcflow::DEFAULT_SPEC.split_once('\n') {
        Some((first, rest)) if first.starts_with("#:schema ") => {
            format!("#:schema ./flow-spec.schema.json\n{rest}")
        }
        _ => wxcflow::DEFAULT_SPEC.to_string(),
    };
    [
        ("get-oauth-token.toml", spec),
        ("flow-spec.schema.json", wxcflow::schema::spec_schema()),
        ("tenants/example.toml", wxcflow::TENANT_EXAMPLE.to_string()),
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
    if let Err(e) = std::fs::create_dir_all(dir.join("tenants")) {
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
            print_diagnostics(&result.diagnostics, &[&source], Format::Human, false);
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
        Some(path) => match write_atomic(path, spec.as_bytes(), private, true) {
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
                print_diagnostics(&[d], &[&source], Format::Human, false);
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
        if let Err(e) = write_atomic(path, formatted.as_bytes(), private, true) {
            return usage_error(&format!("cannot write {}: {e}", path.display()));
        }
        eprintln!("formatted {}", path.display());
    }
    ExitCode::from(u8::from(problems))
}

/// Secrets from the process environment and from files named relative to the tenant file.
struct FsSecrets {
    base: PathBuf,
}

impl FsSecrets {
    /// A store reading secret files relative to the folder of `tenant_file`.
    fn beside(tenant_file: Option<&Path>) -> FsSecrets {
        let base = tenant_file
            .and_then(Path::parent)
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        FsSecrets { base }
    }
}

impl wxcflow::template::SecretStore for FsSecrets {
    fn env(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }

    fn file(&self, path: &str) -> Result<String, String> {
        std::fs::read_to_string(self.base.join(path)).map_err(|e| e.to_string())
    }
}

fn load_tenant(path: &Path) -> Result<wxcflow::template::Tenant, ExitCode> {
    let source = read_source(path).map_err(|e| usage_error(&e))?;
    let name = path
        .file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    wxcflow::template::Tenant::parse(name, source.clone()).map_err(|d| {
        print_diagnostics(&[d], &[&source], Format::Human, false);
        ExitCode::from(EXIT_PROBLEMS)
    })
}

/// A tenant file read and parsed, or why not (with its text, when it could be read).
type LoadedTenant = Result<wxcflow::template::Tenant, TenantFailure>;

enum TenantFailure {
    Unreadable(String),
    Invalid(SourceFile, Diagnostic),
}

/// A tenant name becomes a file name: letters, digits, `_`, `-` and `.`, not starting with `.`.
fn safe_tenant_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

fn render(template: &Path, tenants_dir: &Path, out_dir: &Path, jobs: Option<usize>) -> ExitCode {
    use rayon::prelude::*;
    let source = match read_source(template) {
        Ok(s) => s,
        Err(e) => return usage_error(&e),
    };
    let spec = match wxcflow::spec::parse_spec(&source) {
        Ok(s) => s,
        Err(d) => {
            print_diagnostics(&[d], &[&source], Format::Human, false);
            return ExitCode::from(EXIT_PROBLEMS);
        }
    };
    let renderer = match wxcflow::template::Renderer::new(&spec, Some(&source)) {
        Ok(r) => r,
        Err(diagnostics) => {
            print_diagnostics(&diagnostics, &[&source], Format::Human, false);
            return ExitCode::from(EXIT_PROBLEMS);
        }
    };
    let mut paths: Vec<PathBuf> = match std::fs::read_dir(tenants_dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
            .collect(),
        Err(e) => return usage_error(&format!("cannot read {}: {e}", tenants_dir.display())),
    };
    paths.sort();
    // Names become file names: refuse any that could escape OUTDIR or collide (also on
    // case-insensitive file systems).
    let mut seen = std::collections::BTreeMap::new();
    for path in &paths {
        let name = path
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
        if !safe_tenant_name(&name) {
            return usage_error(&format!("tenant name `{name}` ({}) is not a safe file name: use letters, digits, _, - and .", path.display()));
        }
        if let Some(other) = seen.insert(name.to_lowercase(), name.clone()) {
            return usage_error(&format!("tenants `{other}` and `{name}` would write the same file on a case-insensitive disk"));
        }
    }
    if let Err(e) = std::fs::create_dir_all(out_dir) {
        return usage_error(&format!("cannot create {}: {e}", out_dir.display()));
    }
    let pool = match rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.unwrap_or(0))
        .build()
    {
        Ok(p) => p,
        Err(e) => return usage_error(&format!("cannot start {} jobs: {e}", jobs.unwrap_or(0))),
    };
    let store = FsSecrets::beside(paths.first().map(PathBuf::as_path));
    let validator = DocumentValidator::new();
    let progress = progress_bar(paths.len());
    // Read and parse every tenant (a bad tenant file is that tenant's failure, not the batch's).
    let loaded: Vec<(String, LoadedTenant)> = pool.install(|| {
        paths
            .par_iter()
            .map(|path| {
                let name = path
                    .file_stem()
                    .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
                let tenant = match read_source(path) {
                    Err(e) => Err(TenantFailure::Unreadable(e)),
                    Ok(src) => wxcflow::template::Tenant::parse(name.clone(), src.clone())
                        .map_err(|d| TenantFailure::Invalid(src, d)),
                };
                (name, tenant)
            })
            .collect()
    });
    let (ok, bad): (Vec<_>, Vec<_>) = loaded.into_iter().partition(|(_, t)| t.is_ok());
    let tenants: Vec<wxcflow::template::Tenant> =
        ok.into_iter().filter_map(|(_, t)| t.ok()).collect();
    // Each document is written as soon as it is built and then dropped; only diagnostics stay.
    let outcomes: Vec<(Vec<Diagnostic>, Result<(), String>)> = pool.install(|| {
        wxcflow::build_many(&renderer, &tenants, &store, &validator, &|tenant, build| {
            let private = build.holds_secret();
            let written = match &build.output {
                Some((_, json)) => {
                    let target = out_dir.join(format!("{}.flow.json", tenant.name));
                    write_atomic(&target, json.as_bytes(), private, false)
                        .map_err(|e| format!("cannot write {}: {e}", target.display()))
                }
                None => Err(String::new()),
            };
            progress.inc(1);
            (build.diagnostics, written)
        })
    });
    progress.finish_and_clear();
    let mut failures = Vec::new();
    for (name, failure) in bad {
        match failure {
            Err(TenantFailure::Unreadable(why)) => eprintln!("error: {why}"),
            Err(TenantFailure::Invalid(src, d)) => {
                print_diagnostics(&[d], &[&src], Format::Human, false)
            }
            Ok(_) => {}
        }
        failures.push(name);
    }
    for (tenant, (diagnostics, written)) in tenants.iter().zip(&outcomes) {
        if !diagnostics.is_empty() {
            eprintln!("tenant {} ({}):", tenant.name, tenant.source.name);
        }
        print_diagnostics(
            diagnostics,
            &[&source, &tenant.source],
            Format::Human,
            false,
        );
        if let Err(why) = written {
            if !why.is_empty() {
                eprintln!("error: {why}");
            }
            failures.push(tenant.name.clone());
        }
    }
    failures.sort();
    let total = paths.len();
    eprintln!(
        "rendered {total} tenant{}: {} written to {}, {} failed",
        if total == 1 { "" } else { "s" },
        total - failures.len(),
        out_dir.display(),
        failures.len()
    );
    if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        eprintln!("failed: {}", failures.join(", "));
        ExitCode::from(EXIT_PROBLEMS)
    }
}

/// A progress bar on a terminal for batches long enough to want one; nothing on a pipe.
fn progress_bar(len: usize) -> indicatif::ProgressBar {
    use std::io::IsTerminal as _;
    if len < 200 || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len as u64);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} tenants {elapsed}")
    {
        bar.set_style(style);
    }
    bar
}

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

    fn compile(source: &SourceFile) -> Result<wxcflow::flow::Flow, String> {
        let result = wxcflow::build_source(source, &DocumentValidator::new());
        result.output.map(|(d, _)| d.flow).ok_or_else(|| {
            format!(
                "{} does not compile: {}",
                source.name,
                diagnostic::summary(&result.diagnostics)
            )
        })
    }
}

impl wxcflow::sim::FlowResolver for FsFlows {
    fn resolve(&self, flow: &str) -> Result<wxcflow::flow::Flow, String> {
        for dir in &self.dirs {
            let direct = dir.join(format!("{flow}.toml"));
            if let Ok(source) = read_source(&direct) {
                return FsFlows::compile(&source);
            }
            let Ok(entries) = std::fs::read_dir(dir) else {
                continue;
            };
            let mut paths: Vec<PathBuf> = entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .collect();
            paths.sort();
            for path in paths {
                let Ok(source) = read_source(&path) else {
                    continue;
                };
                if let Ok(spec) = wxcflow::spec::parse_spec(&source) {
                    if spec.flow.name.get_ref() == flow {
                        return FsFlows::compile(&source);
                    }
                }
            }
        }
        if flow == "GetOAuthToken" {
            return FsFlows::compile(&SourceFile::new(
                wxcflow::DEFAULT_SPEC_NAME,
                wxcflow::DEFAULT_SPEC,
            ));
        }
        let searched: Vec<String> = self.dirs.iter().map(|d| d.display().to_string()).collect();
        Err(format!("no flow named `{flow}` in {}", searched.join(", ")))
    }
}

/// Real HTTP for `run --live`, with the node's connection and request timeouts.
struct LiveHttp;

impl wxcflow::sim::HttpClient for LiveHttp {
    fn send(&mut self, r: &wxcflow::sim::Request) -> wxcflow::sim::Reply {
        use std::time::Duration;
        use wxcflow::sim::Reply;
        let request_ms = r
            .request_timeout_ms
            .unwrap_or(wxcflow::sim::DEFAULT_REQUEST_TIMEOUT_MS);
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(
                r.connect_timeout_ms
                    .map(|ms| Duration::from_millis(ms.into())),
            )
            .timeout_global(Some(Duration::from_millis(request_ms.into())))
            .build()
            .into();
        let mut builder = ureq::http::Request::builder()
            .method(r.method.as_str())
            .uri(r.url.as_str());
        for (k, v) in &r.headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        let request = match builder.body(r.body.clone().unwrap_or_default()) {
            Ok(request) => request,
            Err(e) => {
                return Reply::ConnectionFailed {
                    reason: format!("invalid request: {e}"),
                }
            }
        };
        match agent.run(request) {
            Ok(mut response) => {
                let status = response.status();
                let headers = response
                    .headers()
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
                    .collect();
                match response.body_mut().read_to_string() {
                    Ok(body) => Reply::Response {
                        status: status.as_u16(),
                        status_text: status.canonical_reason().unwrap_or("").to_string(),
                        headers,
                        body,
                    },
                    Err(ureq::Error::Timeout(_)) => Reply::Timeout,
                    Err(e) => Reply::ConnectionFailed {
                        reason: e.to_string(),
                    },
                }
            }
            // A connection that cannot be set up in time fails like a refused one (onError).
            Err(ureq::Error::Timeout(ureq::Timeout::Connect | ureq::Timeout::Resolve)) => {
                Reply::ConnectionFailed {
                    reason: "connection timed out".into(),
                }
            }
            Err(ureq::Error::Timeout(_)) => Reply::Timeout,
            Err(e) => Reply::ConnectionFailed {
                reason: e.to_string(),
            },
        }
    }
}

fn simulate(
    spec: Option<&Path>,
    trigger: Option<&str>,
    values: Option<&Path>,
    mock: Option<&Path>,
    live: bool,
    flows: &[PathBuf],
    format: Format,
) -> ExitCode {
    let compiled = match compile(spec, values) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let body: serde_json::Value = match trigger {
        None => compiled.flow.trigger.sample.clone(),
        Some(text) => match serde_json::from_str(text) {
            Ok(v) => v,
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
                    Err(e) => return usage_error(&e),
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
    let secrets: Vec<String> = compiled.secrets.clone();
    match format {
        Format::Human => out!("{}", wxcflow::sim::render_text(&run, &secrets)),
        Format::Json => out!("{}", wxcflow::sim::render_json(&run, &secrets)),
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

fn test(paths: &[PathBuf], flows: &[PathBuf]) -> ExitCode {
    let files = match scenario_files(paths) {
        Ok(f) => f,
        Err(e) => return usage_error(&e),
    };
    let validator = DocumentValidator::new();
    let (mut passed, mut failed) = (0, 0);
    for file in &files {
        let name = file.display().to_string();
        match run_scenario(file, flows, &validator) {
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
    validator: &DocumentValidator,
) -> Result<(String, Vec<wxcflow::sim::scenario::Failure>), String> {
    let source = read_source(file)?;
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
        Some(p) => read_source(p)?,
        None => SourceFile::new(wxcflow::DEFAULT_SPEC_NAME, wxcflow::DEFAULT_SPEC),
    };
    let values = toml::to_string(&scenario.values).map_err(|e| e.to_string())?;
    let tenant = wxcflow::template::Tenant::parse(
        "scenario",
        SourceFile::new(format!("{} [values]", source.name), values),
    )
    .map_err(|d| d.message)?;
    let store = FsSecrets::beside(Some(file));
    let build = wxcflow::build_tenant(&spec_source, Some(&tenant), &store, validator);
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
        Some(text) => {
            serde_json::from_str(text).map_err(|e| format!("trigger is not JSON: {e}"))?
        }
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
