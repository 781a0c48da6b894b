//! Command-line surface: argument definitions, file I/O, printing and exit codes. Everything that
//! decides anything lives in the library.

use clap::{Parser, Subcommand, ValueEnum};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use wxcflow::diagnostic::{self, Code, Diagnostic, SourceFile};
use wxcflow::tools::workflow::{self, Inspection};
use wxcflow::validate::DOCUMENT_SCHEMA;

/// Like `print!`, but a closed pipe (`wxcflow graph | head`) ends the output quietly instead of
/// panicking, and any other failure makes the exit code 2 (see `io::Files::stdout_write`).
/// The first argument is the run's [`Session`], which remembers the failure.
macro_rules! out {
    ($session:expr, $($arg:tt)*) => {{
        $session.files.stdout_write(format_args!($($arg)*));
    }};
}

macro_rules! outln {
    ($session:expr, $($arg:tt)*) => {{
        $session.files.stdout_write(format_args!("{}\n", format_args!($($arg)*)));
    }};
}

/// Like `eprintln!` for one line of a report, but a stderr that cannot be written
/// (`2>/dev/full`) does not panic, and the line stays one line: a line break or any other
/// control character in what it names (a file, a tenant, a key, a flag) shows as U+FFFD, so
/// that no name can forge a line of the report: see `io::stderr_line`.
macro_rules! reportln {
    ($($arg:tt)*) => {{
        $crate::cli::io::stderr_line(format_args!($($arg)*));
    }};
}

mod build;
mod check;
mod error;
mod flow_designer;
mod graph;
mod inspect;
mod io;
mod live;
mod man;
mod outdir;
mod render;
mod revisions;
mod session;
mod simulate;
mod verify;

use error::{Done, Failure, Outcome};
use session::Session;

#[derive(Parser)]
#[command(name = "wxcflow", version, about = "A compiler for Cisco Webex Connect flows", long_about = None)]
struct Cli {
    /// Colour in text output: `auto` on a terminal unless NO_COLOR is set.
    #[arg(long, value_enum, global = true, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
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
        /// What to write: the flow document, or a Flow Designer subflow (`<flow name>.fd.json`).
        #[arg(long, value_enum, default_value_t = flow_designer::Target::Document)]
        target: flow_designer::Target,
        /// With --target flow-designer: the ids of a subflow a `call_flow` node calls,
        /// NAME=FLOWID[:VERSIONID] (as `push` prints them); repeatable.
        #[arg(long = "subflow", value_name = "NAME=ID")]
        subflows: Vec<String>,
        #[command(flatten)]
        secrets: SecretsDirs,
    },
    /// Render a template for every tenant file (`*.toml`) in a folder, in parallel.
    Render {
        /// The template to render: a spec with `[params]` (required).
        template: PathBuf,
        /// The folder of tenant files, one `<tenant>.toml` per tenant (required).
        #[arg(long)]
        tenants: PathBuf,
        /// Output folder, required unless --check: one `<tenant>.flow.json` per tenant, and
        /// `wxcflow-manifest.json`; locked for the run.
        #[arg(short, long, required_unless_present = "check")]
        output: Option<PathBuf>,
        /// Render every tenant in memory and write nothing: exit 1 on any tenant error (for
        /// pre-commit hooks and CI).
        #[arg(long, conflicts_with = "output")]
        check: bool,
        /// Also remove documents of gone or failed tenants that hold secrets (only documents
        /// the manifest says wxcflow wrote, still as it wrote them).
        #[arg(long, conflicts_with = "check")]
        prune: bool,
        /// Parallel jobs (default: one per core); at least 1.
        #[arg(long, value_parser = parse_jobs)]
        jobs: Option<usize>,
        #[command(flatten)]
        secrets: SecretsDirs,
    },
    /// Check that a render folder is exactly what one completed render wrote: exit 0 if so, 1
    /// when a document is missing, changed, unlisted, stale or kept, or the run was interrupted.
    Verify {
        /// The render's output folder (with its wxcflow-manifest.json).
        dir: PathBuf,
        /// How to print the findings.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Run a flow locally: HTTP from a mock file, or real with --live (without either, every
    /// request fails to connect). A Flow Designer file (export or spec) runs as Flow Designer
    /// would run it.
    Run {
        /// The spec to run (or a Flow Designer file); default: the embedded GetOAuthToken.
        spec: Option<PathBuf>,
        /// For a Flow Designer file: a TOML file of subflow inputs and flow variables by name,
        /// and activities' fields as tables (`[NewPhoneContact]`).
        #[arg(long)]
        inputs: Option<PathBuf>,
        /// For a Flow Designer file: the caller's answers to menus and digit collection, in
        /// order (`1,2`).
        #[arg(long, value_delimiter = ',', value_parser = keypad_digits)]
        digits: Vec<String>,
        /// The webhook body, as JSON; default: the spec's sample.
        #[arg(long)]
        trigger: Option<String>,
        /// A tenant file with the template's parameter values.
        #[arg(long)]
        values: Option<PathBuf>,
        /// Show the whole path even where an activity or branch chose its way on a secret
        /// value (by default the trace stops showing it there: see docs/secrets.md).
        #[arg(long)]
        reveal_path: bool,
        /// A TOML file of `[[http]]` mocked exchanges.
        #[arg(long, conflicts_with = "live")]
        mock: Option<PathBuf>,
        /// Send real HTTP requests, with each node's timeouts.
        #[arg(long)]
        live: bool,
        /// Folders to look for flows called by Call Flow nodes (the spec's folder always), or
        /// for the subflows a Flow Designer handoff calls.
        #[arg(long)]
        flows: Vec<PathBuf>,
        /// How to print the trace: text, or JSON (secrets masked in both).
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        #[command(flatten)]
        secrets: SecretsDirs,
    },
    /// Run scenario files (or every `*.toml` in the folders given) and check their expectations.
    Test {
        /// Scenario files, or folders whose `*.toml` files are scenarios (at least one).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Folders to look for flows called by Call Flow nodes (repeatable; each scenario's
        /// spec's folder always).
        #[arg(long)]
        flows: Vec<PathBuf>,
        /// Run each scenario on the flow document, or also on the Flow Designer subflow built
        /// from its spec, checking that both agree.
        #[arg(long, value_enum, default_value_t = flow_designer::Target::Document)]
        target: flow_designer::Target,
        #[command(flatten)]
        secrets: SecretsDirs,
    },
    /// Check specs, and Flow Designer exports and specs, and report every problem, without
    /// writing anything.
    Check {
        /// Specs, Flow Designer specs or Flow Designer exports (JSON) to check (at least one).
        #[arg(required = true)]
        specs: Vec<PathBuf>,
        /// Check each spec rendered for every tenant file (`*.toml`) in this folder instead of
        /// with its parameters' defaults.
        #[arg(long)]
        tenants: Option<PathBuf>,
        /// How to report: text, a JSON array, or a SARIF 2.1.0 log for code scanning.
        #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
        format: ReportFormat,
        #[command(flatten)]
        secrets: SecretsDirs,
    },
    /// Draw a flow: a spec, a flow document, a Flow Designer export or spec (without SPEC: the embedded GetOAuthToken).
    Graph {
        /// The flow to draw: a spec or template, a flow document, a Flow Designer export or spec; default: the embedded GetOAuthToken.
        spec: Option<PathBuf>,
        /// A tenant file with the template's parameter values.
        #[arg(long)]
        values: Option<PathBuf>,
        /// The drawing's language: Mermaid (Markdown, GitHub) or Graphviz dot.
        #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
        format: GraphFormat,
        /// A spec's flow as the flow document holds it, or as `build --target flow-designer` writes it (Flow Designer files are drawn as they are).
        #[arg(long, value_enum, default_value_t = flow_designer::Target::Document)]
        target: flow_designer::Target,
    },
    /// Write the build sheet: the Markdown runbook for creating the flow in Flow Builder.
    Sheet {
        /// The spec to write the sheet for; default: the embedded GetOAuthToken.
        spec: Option<PathBuf>,
        /// A tenant file with the template's parameter values.
        #[arg(long)]
        values: Option<PathBuf>,
        /// Where to write it; default: stdout.
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// The sheet for the flow document (Flow Builder) or for a Flow Designer import.
        #[arg(long, value_enum, default_value_t = flow_designer::Target::Document)]
        target: flow_designer::Target,
    },
    /// Show what changed in a flow's logic between two revisions (specs, flow documents, Flow
    /// Designer exports and specs; two .workflow exports are compared block by block). Exit 0: no
    /// logic change, 1: changes.
    Diff {
        /// The old revision.
        old: PathBuf,
        /// The new revision.
        new: PathBuf,
        /// How to print the changes: coloured text on a terminal, JSON, or Markdown.
        #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
        format: DiffFormat,
    },
    /// Format specs canonically, keeping comments; `--check` only lists files that would change.
    Fmt {
        /// Write nothing: list the files that would change, and exit 1 if any would.
        #[arg(long)]
        check: bool,
        /// The specs to format in place (at least one).
        #[arg(required = true)]
        specs: Vec<PathBuf>,
    },
    /// Turn a flow document back into a spec, node keys restored, or a Flow Designer export
    /// into a Flow Designer spec.
    Decompile {
        /// A flow document (`.flow.json`) or a Flow Designer export (JSON).
        document: PathBuf,
        /// Where to write the spec; default: stdout.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Recognise and measure Webex Connect exports (.workflow, .workflow.zip), compare two, and
    /// tell what a Flow Designer export holds.
    Inspect {
        /// The exports to inspect (at least one); wxcflow's own files are named as such.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// How to print the findings.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Import a Flow Designer file into Webex Contact Center (`flows:import`), and publish it.
    Push {
        /// The Flow Designer file to import (`build --target flow-designer` writes one).
        file: PathBuf,
        /// The organization id.
        #[arg(long)]
        org: String,
        /// The region of the API host: us1, eu1, eu2, anz1, ca1, jp1, sg1, ...
        #[arg(long)]
        region: String,
        /// The environment variable that holds the Webex access token.
        #[arg(long)]
        token_env: String,
        /// Publish the imported flow too.
        #[arg(long)]
        publish: bool,
        /// The comment the publish carries (with --publish).
        #[arg(long, requires = "publish")]
        comment: Option<String>,
        /// Replace a flow of the same name; without it, the API refuses one (409).
        #[arg(long)]
        overwrite: bool,
        /// The flow-store project id (Cisco's examples use this one).
        #[arg(long, default_value = wxcflow::flow_designer::push::Call::DEFAULT_PROJECT)]
        project: String,
        /// Another API base URL: https, or http to localhost or a loopback address; no user:pass@.
        #[arg(long)]
        api_url: Option<String>,
    },
    /// Print a line-oriented rendering for `git diff` (a git textconv driver) of a spec, tenant
    /// file, flow document, .workflow export or Flow Designer export.
    Textconv {
        /// The file to render.
        file: PathBuf,
    },
    /// Write a starter spec (GetOAuthToken), the editor schema and an example tenant into DIR;
    /// never overwrites.
    Init {
        /// The folder to write into (created if missing).
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Print a shell completion script.
    Completions {
        /// The shell to print the script for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print a JSON Schema.
    Schema {
        /// Which schema to print.
        #[arg(value_enum)]
        which: SchemaKind,
    },
    /// Write man pages, one per command (wxcflow.1, wxcflow-build.1, ...), into DIR.
    Man {
        /// The folder to write the pages into (created if missing).
        dir: PathBuf,
    },
}

/// `--jobs`: a whole number of at least 1 (0 jobs would render nothing, forever).
fn parse_jobs(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("at least 1 job is needed".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Human,
    Json,
}

/// How `check` reports diagnostics.
#[derive(Clone, Copy, ValueEnum)]
enum ReportFormat {
    Human,
    Json,
    /// SARIF 2.1.0, for code-scanning views.
    Sarif,
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
    /// The Flow Designer file that `build --target flow-designer` writes.
    FlowDesigner,
}

/// The error clap gives for the command line with every control character of every argument
/// (line breaks included) shown as U+FFFD; `None` when that command line parses (an argument
/// that was not UTF-8 is then what clap refused, and its message quotes none).
fn shown_arguments_error() -> Option<clap::Error> {
    let shown = std::env::args_os().map(|a| {
        let text = a.to_string_lossy();
        std::ffi::OsString::from(diagnostic::printable_name(&text).into_owned())
    });
    Cli::try_parse_from(shown).err()
}

/// Runs the command line and gives the exit code: the one place a command's [`Outcome`]
/// becomes one ([`error::finish`]).
pub fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() && !std::io::IsTerminal::is_terminal(&std::io::stdout()) => {
            // --help and --version into a file or a pipe: written as every output is (held to
            // `ulimit -f`), and a failure to write them is a failure too.
            let files = io::Files::default();
            files.stdout_write(format_args!("{}", e.render()));
            return match files.stdout_failure() {
                Some(write) => error::finish(Err(Failure::usage(write))),
                None => error::usage_exit(false),
            };
        }
        Err(e) if e.use_stderr() => {
            // clap quotes an argument within a line of its message (`invalid value '...' for
            // '--jobs <JOBS>'`): told again from the arguments with every control character
            // shown as U+FFFD, so that no argument can forge a line of the report.
            let e = shown_arguments_error().unwrap_or(e);
            if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
                let _ = e.print();
            } else {
                // Into a file or a pipe: plain, and held to `ulimit -f` as every report is.
                io::stderr_write_styled(&e.render().to_string());
            }
            return error::usage_exit(true);
        }
        Err(e) => {
            // --help and --version go to stdout: a failure to write them is a failure too.
            if let Err(write) = e.print() {
                if !e.use_stderr() && write.kind() != std::io::ErrorKind::BrokenPipe {
                    return error::finish(Err(Failure::usage(format!(
                        "cannot write to stdout: {write}"
                    ))));
                }
            }
            return error::usage_exit(e.use_stderr());
        }
    };
    let (session, command) = Session::of(cli);
    let code = error::finish(run_command(&session, command));
    // A closed pipe is quiet; any other failure to write stdout makes the run a failure.
    match session.files.stdout_failure() {
        Some(e) => error::finish(Err(Failure::usage(e))),
        None => code,
    }
}

fn run_command(s: &Session, command: Command) -> Outcome {
    let built_input = match &command {
        Command::Build { spec, format, .. } => Some((spec, "build", *format)),
        Command::Sheet { spec, .. } => Some((spec, "sheet", Format::Human)),
        Command::Run { spec, format, .. } => Some((spec, "run", *format)),
        _ => None,
    };
    // The kind told here is not told again (a Flow Designer export is read whole to tell it).
    let told = match built_input {
        Some((Some(spec), verb, format)) => {
            in_format(s, graph::told_or_refused(s, Some(spec), verb), format)?
        }
        _ => None,
    };
    match command {
        Command::Render {
            template,
            tenants,
            output,
            check,
            prune,
            jobs,
            ..
        } => {
            let target = match &output {
                Some(dir) if !check => render::Target::Folder {
                    dir: folder_argument(dir, "render writes one document a tenant and a manifest")?,
                    prune,
                },
                _ => render::Target::Memory,
            };
            render::render(s, &template, &tenants, target, jobs)
        }
        Command::Verify { dir, format } => verify::verify(s, &dir, format),
        Command::Build {
            target: flow_designer::Target::FlowDesigner,
            spec,
            values,
            output,
            format,
            subflows,
            ..
        } => flow_designer::build(
            s,
            spec.as_deref(),
            values.as_deref(),
            output.as_deref(),
            format,
            &subflows,
        ),
        Command::Build { subflows, .. } if !subflows.is_empty() => Err(Failure::usage(
            "--subflow applies to --target flow-designer (the subflows a Flow Designer file calls)",
        )),
        Command::Build {
            spec,
            values,
            output,
            format,
            ..
        } => match flow_designer::refuse_document_target(s, spec.as_deref()) {
            Some(refused) => Err(refused),
            None => build::build(
                s,
                spec.as_deref(),
                values.as_deref(),
                output.as_deref(),
                format,
            ),
        },
        Command::Check {
            specs,
            tenants,
            format,
            ..
        } => check::check(s, &specs, tenants.as_deref(), format),
        Command::Run {
            spec: Some(spec),
            inputs,
            digits,
            mock,
            live,
            flows,
            format,
            trigger,
            values,
            reveal_path,
            ..
        } if told.map_or_else(|| flow_designer::is_fd_file(s, &spec), wxcflow::InputKind::is_flow_designer) => {
            simulate::flow_folders_exist(&flows)?;
            if trigger.is_some() || values.is_some() {
                return Err(Failure::usage(
                    "--trigger and --values are for Webex Connect specs; a Flow Designer file takes --inputs",
                ));
            }
            flow_designer::run(
                s,
                &spec,
                &flow_designer::FdRunArgs {
                    inputs: inputs.as_deref(),
                    mock: mock.as_deref(),
                    live,
                    digits: &digits,
                    flows: &flows,
                    format,
                    reveal_path,
                },
            )
        }
        Command::Run {
            inputs: Some(_), ..
        } => Err(Failure::usage(
            "--inputs is for Flow Designer files; a Webex Connect spec takes --values and --trigger",
        )),
        Command::Run { digits, .. } if !digits.is_empty() => Err(Failure::usage(
            "--digits is for Flow Designer files: Webex Connect flows here take no digits",
        )),
        Command::Run {
            spec,
            trigger,
            values,
            mock,
            live,
            flows,
            format,
            reveal_path,
            ..
        } => simulate::simulate(
            s,
            spec.as_deref(),
            trigger.as_deref(),
            values.as_deref(),
            mock.as_deref(),
            live,
            &flows,
            format,
            reveal_path,
        ),
        Command::Test {
            paths,
            flows,
            target,
            ..
        } => simulate::test(
            s,
            &paths,
            &flows,
            target == flow_designer::Target::FlowDesigner,
        ),
        Command::Inspect { files, format } => inspect::inspect(s, &files, format),
        Command::Graph {
            spec,
            values,
            format,
            target: flow_designer::Target::FlowDesigner,
        } => flow_designer::graph_lowered(s, spec.as_deref(), values.as_deref(), format),
        Command::Graph {
            spec,
            values,
            format,
            ..
        } => graph::graph(s, spec.as_deref(), values.as_deref(), format),
        Command::Sheet {
            target,
            spec,
            values,
            output,
        } => {
            let (spec, values, output) = (spec.as_deref(), values.as_deref(), output.as_deref());
            match target {
                flow_designer::Target::FlowDesigner => {
                    flow_designer::sheet(s, spec, values, output)
                }
                flow_designer::Target::Document => build::sheet(s, spec, values, output),
            }
        }
        Command::Textconv { file } => inspect::textconv(s, &file),
        Command::Push {
            file,
            org,
            region,
            token_env,
            publish,
            comment,
            overwrite,
            project,
            api_url,
        } => flow_designer::push(
            s,
            &flow_designer::Push {
                file: &file,
                org: &org,
                region: &region,
                token_env: &token_env,
                publish,
                comment: comment.as_deref(),
                overwrite,
                project: &project,
                api_url: api_url.as_deref(),
            },
        ),
        Command::Diff { old, new, format } => revisions::diff(s, &old, &new, format),
        Command::Fmt { check, specs } => revisions::fmt(s, &specs, check),
        Command::Decompile { document, output } => {
            revisions::decompile(s, &document, output.as_deref())
        }
        Command::Init { dir } => build::init(
            s,
            folder_argument(&dir, "init writes a starter project of several files")?,
        ),
        Command::Completions { shell } => {
            use clap::CommandFactory as _;
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "wxcflow", &mut script);
            out!(s, "{}", String::from_utf8_lossy(&script));
            Ok(Done::Clean)
        }
        Command::Man { dir } => man::man(
            s,
            folder_argument(&dir, "man writes one page a command")?,
        ),
        Command::Schema { which } => {
            match which {
                SchemaKind::Document => out!(s, "{DOCUMENT_SCHEMA}"),
                SchemaKind::Spec => out!(s, "{}", wxcflow::validate::spec_schema()),
                SchemaKind::FlowDesigner => {
                    out!(
                        s,
                        "{}",
                        wxcflow::flow_designer::schema::FLOW_DESIGNER_SCHEMA
                    )
                }
            }
            Ok(Done::Clean)
        }
    }
}

/// Reads a spec, tenant file, scenario or mock: UTF-8, at most [`wxcflow::MAX_INPUT_BYTES`].
/// A file of more TOML items than [`wxcflow::flow::limits::MAX_TOML_ITEMS`] is refused as too
/// large before a parser sees it.
/// One that is not UTF-8 is no TOML: `wxc::toml-syntax`, told by its line (see
/// [`wxcflow::render::Tenant::not_utf8`]: a spec may type a secret default too).
fn read_source(s: &Session, path: &Path) -> Result<SourceFile, io::ReadError> {
    let bytes = s.files.read_bounded(path, wxcflow::MAX_INPUT_BYTES)?;
    let name = path.display().to_string();
    let text = String::from_utf8(bytes).map_err(|e| {
        let (source, d) = wxcflow::render::Tenant::not_utf8(name.clone(), "TOML file", e);
        io::ReadError {
            message: format!("{} is not UTF-8 text", path.display()),
            too_large: false,
            not_text: Some(Box::new((source, d))),
        }
    })?;
    refuse_too_many_items(&name, &text)?;
    Ok(SourceFile::new(name, text))
}

/// Why a tenant file gave no text to read values from.
enum TenantUnread {
    /// It could not be read, or is over a limit: as any input that cannot be.
    Failed(io::ReadError),
    /// It is not UTF-8, so no TOML: the tenant's problem, as TOML that does not read is, with
    /// the text before its first bad byte, which the diagnostic points into. Boxed: rare, and
    /// large beside a read error.
    NotUtf8(Box<(SourceFile, Diagnostic)>),
}

impl From<io::ReadError> for TenantUnread {
    fn from(e: io::ReadError) -> Self {
        TenantUnread::Failed(e)
    }
}

/// Reads the text of a file of values (`what`: a tenant file, an inputs file).
fn read_tenant_source(s: &Session, path: &Path, what: &str) -> Result<SourceFile, TenantUnread> {
    let bytes = s.files.read_bounded(path, wxcflow::MAX_INPUT_BYTES)?;
    let name = path.display().to_string();
    match String::from_utf8(bytes) {
        Ok(text) => {
            refuse_too_many_items(&name, &text)?;
            Ok(SourceFile::new(name, text))
        }
        Err(e) => Err(TenantUnread::NotUtf8(Box::new(
            wxcflow::render::Tenant::not_utf8(name, what, e),
        ))),
    }
}

/// TOML text past [`wxcflow::flow::limits::MAX_TOML_ITEMS`], as a read over the size limit.
fn refuse_too_many_items(name: &str, text: &str) -> Result<(), io::ReadError> {
    match wxcflow::flow::limits::too_many_items(&diagnostic::printable_name(name), text) {
        Some(d) => Err(io::ReadError {
            message: d.message,
            too_large: true,
            not_text: None,
        }),
        None => Ok(()),
    }
}

/// A read that failed for being over the size limit, reported as a diagnostic in `format` (so a
/// `--format json` run prints JSON for it too); any other outcome as it is.
fn in_format<T>(s: &Session, read: Result<T, Failure>, format: Format) -> Result<T, Failure> {
    match (read, format) {
        (Err(Failure::Read(e)), _) if e.not_text.is_some() => {
            if let Some((source, d)) = e.not_text.map(|b| *b) {
                // Not read: nothing of it is quoted.
                print_diagnostics(s, &[d], &[&source.values_hidden()], format, false);
            }
            Err(Failure::problems())
        }
        (Err(Failure::Read(e)), Format::Json) if e.too_large => {
            print_diagnostics(
                s,
                &[Diagnostic::new(Code::TooLarge, e.message)],
                &[],
                format,
                false,
            );
            Err(Failure::problems())
        }
        (other, _) => other,
    }
}

/// The spec at `path`, or the embedded GetOAuthToken when none is given.
fn load_spec(s: &Session, path: Option<&Path>) -> Result<SourceFile, Failure> {
    match path {
        Some(path) => Ok(read_source(s, path)?),
        None => Ok(SourceFile::new(
            wxcflow::DEFAULT_SPEC_NAME,
            wxcflow::DEFAULT_SPEC,
        )),
    }
}

/// A compiled spec: its source, the document, where its secret variables' values
/// came from, and whether it holds one.
struct Compiled {
    source: SourceFile,
    document: wxcflow::flow::Document,
    /// The document's JSON as `build` writes it, stamped with its provenance.
    emitted: String,
    origins: std::collections::BTreeMap<String, Vec<String>>,
    holds_secret: bool,
}

/// Whether a command needs secret values (running a flow) or only where they come from
/// (sheets and graphs, which then read no secret at all).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Secrets {
    Read,
    OriginsOnly,
}

/// Loads and compiles a spec, printing diagnostics; the flow when it compiled.
fn compile(
    s: &Session,
    spec: Option<&Path>,
    values: Option<&Path>,
    secrets: Secrets,
) -> Result<Compiled, Failure> {
    compile_as(s, spec, values, secrets, Format::Human)
}

/// As [`compile`], problems reported in `format`.
fn compile_as(
    s: &Session,
    spec: Option<&Path>,
    values: Option<&Path>,
    secrets: Secrets,
    format: Format,
) -> Result<Compiled, Failure> {
    let source = in_format(s, load_spec(s, spec), format)?;
    let tenant = values.map(|v| load_tenant(s, v, format)).transpose()?;
    let store = FsSecrets::beside(s, values);
    let store: &dyn wxcflow::render::SecretStore = match secrets {
        Secrets::Read => &store,
        Secrets::OriginsOnly => &wxcflow::render::OriginsOnly,
    };
    let mut result = s.compiler().build_tenant(&source, tenant.as_ref(), store);
    // Stamped before its diagnostics are told: the size warning measures the bytes as written.
    result.stamp(
        stamp_of(&source),
        tenant.as_ref().map(|t| stamp_of(&t.source)),
    );
    let mut sources = vec![&source];
    sources.extend(tenant.as_ref().map(|t| &t.source));
    let hidden = SourceFile::hiding(&sources, &result.secret_spans);
    let sources: Vec<&SourceFile> = hidden.iter().map(AsRef::as_ref).collect();
    print_diagnostics(s, &result.diagnostics, &sources, format, false);
    let holds_secret = result.holds_secret();
    match result.output {
        Some((document, emitted)) => Ok(Compiled {
            source,
            document,
            emitted,
            origins: result.secret_origins,
            holds_secret,
        }),
        None => Err(build::build_failed(&result.diagnostics, format)),
    }
}

/// A source as a document's provenance names it.
fn stamp_of(source: &SourceFile) -> wxcflow::flow::Source {
    wxcflow::flow::Source::of(&source.name, source.text.as_bytes())
}

/// Writes a command's text to `output`, or to stdout without one. Text that holds a secret
/// value (`secret` says so: `the document holds secret values`) goes only to a file, created
/// with mode 0600. `-o -` is stdout, as for `build`, and so is `-o /dev/stdout` (likewise
/// stderr: see [`io::output_stream`]).
fn write_text(s: &Session, output: Option<&Path>, text: &str, secret: Option<&str>) -> Outcome {
    if let Some(path) = output.filter(|path| io::output_stream(path).is_none()) {
        let options = io::WriteOptions::output(secret.is_some());
        return (s.files.write_output(path, text.as_bytes(), options))
            .map(|()| Done::Clean)
            .map_err(Failure::usage);
    }
    let stream = output
        .and_then(io::output_stream)
        .unwrap_or(io::Stream::Stdout);
    if let Some(why) = secret.filter(|_| stream != io::Stream::Stdin) {
        return Err(Failure::usage(format!(
            "{why}; write the spec to a file with -o (created with mode 0600)"
        )));
    }
    (s.files
        .write_stream(stream, &io::stream_shown(output), text))
    .map(|()| Done::Clean)
    .map_err(Failure::usage)
}

/// Plain data (string keys, no maps keyed by anything else) as pretty JSON.
// `expect` below: serialising such data cannot fail.
#[allow(clippy::expect_used)]
fn pretty_json(value: &impl serde::Serialize) -> String {
    // Printed through `out!`, which writes C1 characters as escapes.
    serde_json::to_string_pretty(value).expect("plain data serialises")
}

fn print_diagnostics(
    s: &Session,
    diagnostics: &[Diagnostic],
    sources: &[&SourceFile],
    format: Format,
    to_stdout: bool,
) {
    if diagnostics.is_empty() && matches!(format, Format::Human) {
        return;
    }
    let text = match format {
        Format::Human => {
            Diagnostic::render_human_styled(diagnostics, sources, s.colour_for(to_stdout))
        }
        Format::Json => Diagnostic::render_json(diagnostics, sources),
    };
    if to_stdout {
        out!(s, "{text}");
    } else {
        io::stderr_write_styled(&text);
    }
}

/// `--secrets-dir`, shared by the commands that read secret values.
#[derive(clap::Args, Default)]
struct SecretsDirs {
    /// A folder secret files may also be read from (repeatable), besides the tenant file's own
    /// folder and its subfolders; never one under /proc, /sys or /dev.
    #[arg(long = "secrets-dir", value_name = "DIR", value_parser = parse_secrets_dir)]
    secrets_dir: Vec<PathBuf>,
}

/// `--secrets-dir`: an existing directory, made canonical (links resolved) so that secret files
/// are compared with where it really is; one under /proc, /sys or /dev is refused.
fn parse_secrets_dir(text: &str) -> Result<PathBuf, String> {
    let dir = std::fs::canonicalize(text).map_err(|e| format!("cannot use {text}: {e}"))?;
    if !dir.is_dir() {
        return Err(format!("{text} is not a directory"));
    }
    if wxcflow::render::sources::is_system_path(&dir) {
        return Err(format!(
            "{text} lies under /proc, /sys or /dev, where no secret file is read"
        ));
    }
    Ok(dir)
}

/// Secrets from the process environment and from files named relative to the tenant file, read
/// only where [`wxcflow::render::sources`] allows: the tenant file's folder tree and every
/// `--secrets-dir`.
struct FsSecrets<'a> {
    base: PathBuf,
    /// Canonical folders secret files may lie in.
    allowed: Vec<PathBuf>,
    /// The run's files: a secret file read is an input no output may replace.
    files: &'a io::Files,
    /// The canonical folder a render writes, where no secret file is read.
    output: Option<PathBuf>,
    /// The files in that folder when the render began, by (device, inode): one of them is not
    /// read as a secret by another name either (a hard link).
    output_files: std::collections::HashSet<(u64, u64)>,
}

impl FsSecrets<'_> {
    /// A store reading secret files relative to the folder of `tenant_file`.
    fn beside<'a>(s: &'a Session, tenant_file: Option<&Path>) -> FsSecrets<'a> {
        let base = tenant_file
            .and_then(Path::parent)
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        let mut allowed: Vec<PathBuf> = std::fs::canonicalize(&base).into_iter().collect();
        allowed.extend(s.secrets_dirs().iter().cloned());
        FsSecrets {
            base,
            allowed,
            files: &s.files,
            output: None,
            output_files: std::collections::HashSet::new(),
        }
    }

    /// The same store, refusing secret files in `dir` (a render's output folder) or below, and
    /// the files in it by any other name.
    fn outside(self, dir: Option<&Path>) -> Self {
        let entries = dir.and_then(|d| std::fs::read_dir(d).ok());
        let output_files = (entries.into_iter().flatten())
            .filter_map(|e| e.ok()?.metadata().ok())
            .filter(std::fs::Metadata::is_file)
            .filter_map(|m| file_id(&m))
            .collect();
        FsSecrets {
            output: dir.and_then(|d| std::fs::canonicalize(d).ok()),
            output_files,
            ..self
        }
    }

    /// Where a secret file may lie, judged where it really is (`canonical`).
    fn rules(&self, canonical: &Path) -> Result<(), wxcflow::render::sources::FileRule> {
        use wxcflow::render::sources::{check_secret_path, FileRule};
        check_secret_path(canonical, &self.allowed)?;
        let in_output = match &self.output {
            Some(out) => canonical.starts_with(out),
            None => false,
        };
        let linked = !self.output_files.is_empty()
            && std::fs::metadata(canonical)
                .ok()
                .and_then(|m| file_id(&m))
                .is_some_and(|id| self.output_files.contains(&id));
        match in_output || linked {
            true => Err(FileRule::InOutputFolder),
            false => Ok(()),
        }
    }
}

/// A file's (device, inode), where there are such.
#[cfg(unix)]
fn file_id(meta: &std::fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt as _;
    Some((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn file_id(_: &std::fs::Metadata) -> Option<(u64, u64)> {
    None
}

impl wxcflow::render::SecretStore for FsSecrets<'_> {
    fn env(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }

    fn env_is_set(&self, name: &str) -> bool {
        std::env::var_os(name).is_some()
    }

    fn file(&self, path: &str) -> Result<String, wxcflow::render::SecretFileError> {
        use wxcflow::render::sources::FileRule;
        use wxcflow::render::SecretFileError;
        let full = self.base.join(path);
        // Where it really is, every link resolved, is what the rules judge.
        let canonical = std::fs::canonicalize(&full).map_err(|e| {
            SecretFileError::Unreadable(format!("cannot read {}: {e}", full.display()))
        })?;
        self.rules(&canonical)
            .map_err(SecretFileError::NotAllowed)?;
        // A FIFO or device would block or never end: a secret file is a regular file. The one
        // opened is checked again (a file or folder swapped for a link since is not read).
        match std::fs::metadata(&canonical) {
            Ok(meta) if !meta.is_file() => {
                return Err(SecretFileError::NotAllowed(FileRule::NotRegularFile))
            }
            _ => {}
        }
        let rules = |real: &Path| self.rules(real);
        self.files
            .read_secret_file(&canonical, wxcflow::MAX_INPUT_BYTES, &rules)
            .map_err(|e| match e {
                io::SecretReadError::NotAllowed(rule) => SecretFileError::NotAllowed(rule),
                io::SecretReadError::Failed(message) => SecretFileError::Unreadable(message),
            })
    }
}

/// Reads a tenant file, a problem reported in `format`.
fn load_tenant(
    s: &Session,
    path: &Path,
    format: Format,
) -> Result<wxcflow::render::Tenant, Failure> {
    // Not read, so which values are secret is not known: none is quoted.
    let not_read = |source: &SourceFile, d: Diagnostic| {
        print_diagnostics(s, &[d], &[&source.values_hidden()], format, false);
        Failure::problems()
    };
    let source = match read_tenant_source(s, path, "tenant file") {
        Ok(source) => source,
        Err(TenantUnread::Failed(e)) => return in_format(s, Err(Failure::from(e)), format),
        Err(TenantUnread::NotUtf8(not_utf8)) => {
            let (source, d) = *not_utf8;
            return Err(not_read(&source, d));
        }
    };
    let name = path
        .file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    let tenant =
        wxcflow::render::Tenant::parse(name, source.clone()).map_err(|d| not_read(&source, d))?;
    // A sheet or graph reads no secret file, yet must not be written over one.
    let base = FsSecrets::beside(s, Some(path)).base;
    for file in tenant.secret_files() {
        s.files.protect(&base.join(file));
    }
    Ok(tenant)
}

/// One `--digits` answer: what a caller can key on a phone (0-9, `*` and `#`), at least one.
fn keypad_digits(text: &str) -> Result<String, String> {
    let answer = text.trim();
    if !answer.is_empty()
        && answer
            .chars()
            .all(|c| c.is_ascii_digit() || c == '*' || c == '#')
    {
        Ok(answer.to_string())
    } else {
        Err("each answer is keys a phone has: 0-9, * and # (as in --digits 1,4711#)".to_string())
    }
}

/// A folder argument: `-` names standard output elsewhere, which cannot hold the files `what`
/// says the command writes, so it is refused rather than made a folder named `-`.
fn folder_argument<'p>(dir: &'p Path, what: &str) -> Result<&'p Path, Failure> {
    if dir.as_os_str() == "-" {
        return Err(Failure::usage(format!(
            "`-` is not a folder here: {what}; name a folder (`./-` for one called `-`)"
        )));
    }
    Ok(dir)
}
