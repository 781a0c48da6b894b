//! graph: any flow wxcflow reads, drawn; and what graph and sheet say of files they cannot use.

use super::*;
use wxcflow::InputKind;

/// Draws a Webex Connect spec or template, a flow document, or a Flow Designer export or spec.
pub(super) fn graph(
    s: &Session,
    spec: Option<&Path>,
    values: Option<&Path>,
    format: GraphFormat,
) -> Outcome {
    if let Some(path) = spec {
        if let Some(drawn) = super::flow_designer::graph(s, path, values, format) {
            return drawn;
        }
        if let Some(flow) = built_flow(s, path, values)? {
            return draw(s, &flow, format);
        }
    }
    let flow = compile(s, spec, values, Secrets::OriginsOnly)?
        .document
        .flow;
    draw(s, &flow, format)
}

fn draw(s: &Session, flow: &wxcflow::flow::Flow, format: GraphFormat) -> Outcome {
    match format {
        GraphFormat::Mermaid => out!(s, "{}", flow.mermaid()),
        GraphFormat::Dot => out!(s, "{}", flow.dot()),
    }
    Ok(Done::Clean)
}

/// The flow of a flow document; `None` for a file to compile as a spec (which says why when it
/// is not one). A `.workflow` export is refused: its flow is encrypted.
fn built_flow(
    s: &Session,
    path: &Path,
    values: Option<&Path>,
) -> Result<Option<wxcflow::flow::Flow>, Failure> {
    let Ok(bytes) = s.files.read_bounded(path, wxcflow::MAX_INPUT_BYTES) else {
        return Ok(None);
    };
    match InputKind::detect_spec_reader(&bytes) {
        InputKind::FlowDocument => {
            if values.is_some() {
                return Err(no_parameters(path));
            }
            let name = path.display().to_string();
            match s.compiler().read_document(&name, &bytes) {
                Ok(document) => Ok(Some(document.flow)),
                Err(problems) => Err(super::revisions::unreadable_document(
                    s,
                    &problems,
                    Failure::problems(),
                )),
            }
        }
        InputKind::Workflow => Err(refused(path, "a .workflow export", "its nodes are encrypted with a key only Cisco holds, so it cannot be drawn (`wxcflow inspect` reads what can be read); draw the spec or flow document it was made from")),
        _ => Ok(None),
    }
}

/// `--values` given with a file that has no parameters to fill.
pub(super) fn no_parameters(path: &Path) -> Failure {
    refused(
        path,
        "not a template",
        "--values fills a template's parameters, and it has none",
    )
}

pub(super) fn refused(path: &Path, what: &str, why: &str) -> Failure {
    let name = wxcflow::diagnostic::printable_name(&path.to_string_lossy()).into_owned();
    Failure::usage(format!("{name} is {what}: {why}"))
}

/// `build`, `sheet` and `run` read the spec a flow is built from: a flow document (and for
/// `build` and `sheet`, a Flow Designer export, which `run` runs) is refused with what to do
/// instead, rather than read as TOML; so is a `.workflow` export (exit 2, as graph and decompile
/// refuse it). A document is not run: a tenant's holds its secrets in clear, and only its spec
/// says where they came from, which the trace needs to hide them.
pub(super) fn refuse_built(s: &Session, spec: Option<&Path>, command: &str) -> Option<Failure> {
    told_or_refused(s, spec, command).err()
}

/// As [`refuse_built`], with the file's kind when it is not refused (`None` when it could not
/// be read: the command's own reading says why), so that the command need not tell it again.
pub(super) fn told_or_refused(
    s: &Session,
    spec: Option<&Path>,
    command: &str,
) -> Result<Option<InputKind>, Failure> {
    let Some(path) = spec else {
        return Ok(None);
    };
    let bytes = match s.files.read_bounded(path, wxcflow::MAX_FD_BYTES) {
        Ok(bytes) => bytes,
        // Too large for the largest reader is too large for all: said with its limit.
        Err(e) if e.too_large => return Err(e.into()),
        Err(_) => return Ok(None),
    };
    let kind = InputKind::detect_spec_reader(&bytes);
    let (what, readers) = match kind {
        InputKind::Workflow => (
            "a .workflow export (its flow is encrypted with a key only Cisco holds)",
            "inspect and diff",
        ),
        InputKind::FlowDocument => ("a flow document", "check, graph and diff"),
        InputKind::FlowDesignerExport if command != "run" => (
            "a Flow Designer export",
            "check, graph, diff, run, decompile and push",
        ),
        _ => return Ok(Some(kind)),
    };
    let why = format!("{command} reads the spec a flow is built from (with `--values TENANT` for a template); {readers} read this file");
    Err(refused(path, what, &why))
}
