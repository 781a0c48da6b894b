//! build, check, graph, sheet, init: one spec at a time.

use super::*;

pub(super) fn sheet(
    s: &Session,
    spec: Option<&Path>,
    values: Option<&Path>,
    output: Option<&Path>,
) -> Outcome {
    let how = "make its sheet with --target flow-designer";
    if let Some(refused) = super::flow_designer::refuse_fd_spec(s, spec, how) {
        return refused;
    }
    let compiled = compile(s, spec, values, Secrets::OriginsOnly)?;
    let text = match values.and_then(Path::file_stem) {
        // A tenant's sheet names its tenant (the tenant file's stem, as render names documents).
        Some(tenant) => wxcflow::flow::Flow::tenant_sheet(
            &compiled.document.flow,
            &compiled.source.name,
            &tenant.to_string_lossy(),
            &compiled.origins,
        ),
        None => compiled
            .document
            .flow
            .sheet(&compiled.source.name, &compiled.origins),
    };
    write_text(s, output, &text, None)
}

/// Whether `path` names a `.workflow` export, or is a link that leads to one (an output is
/// written through links, see docs/safety.md). Trailing dots and spaces do not count: Windows
/// drops them, so `x.workflow.` is copied there as `x.workflow`; nor does a trailing space of
/// another kind, or a character that shows as nothing (a listing shows `x.workflow`).
pub(super) fn is_workflow_path(path: &Path) -> bool {
    let named = |path: &Path| {
        let name = (path.file_name())
            .map(|n| n.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        // Nor do spaces of any kind, or characters that show as nothing, after the name.
        let name = name.trim_end_matches(|c: char| {
            c == '.'
                || c.is_whitespace()
                || matches!(c, '\u{200b}'..='\u{200d}' | '\u{2060}' | '\u{feff}')
        });
        name.ends_with(".workflow") || name.ends_with(".workflow.zip")
    };
    // Followed by hand: a link to a file not yet written leads to the name it would get.
    let mut at = path.to_path_buf();
    for _ in 0..40 {
        if named(&at) {
            return true;
        }
        match std::fs::read_link(&at) {
            // A relative target is read from the link's folder; an absolute one replaces it.
            Ok(target) => at = at.parent().unwrap_or(Path::new("")).join(target),
            Err(_) => return false,
        }
    }
    false
}

pub(super) fn build(
    s: &Session,
    spec: Option<&Path>,
    values: Option<&Path>,
    output: Option<&Path>,
    format: Format,
) -> Outcome {
    if let Some(out) = output.filter(|o| is_workflow_path(o)) {
        let d = Diagnostic::new(
            Code::WorkflowOutput,
            format!("refusing to write {}: .workflow exports are encrypted with a key only Cisco holds", out.display()),
        )
        .with_help("write the flow document (.flow.json) and follow its build sheet in Flow Builder; see the README, section \".workflow files\"");
        print_diagnostics(s, &[d], &[], format, false);
        return Err(Failure::Unusable(None));
    }
    let Compiled {
        document,
        emitted: json,
        holds_secret,
        ..
    } = compile_as(s, spec, values, Secrets::Read, format)?;
    let target = output.map_or_else(
        || PathBuf::from(default_output_name(&document.flow.name, ".flow.json")),
        Path::to_path_buf,
    );
    let nodes = format!("{} nodes", document.flow.nodes.len() + 1);
    write_built(
        s,
        &target,
        &json,
        holds_secret,
        ("the document", &nodes),
        format,
    )
}

/// A build that made nothing: its diagnostics are printed; `build failed: 2 errors` closes a
/// human report.
pub(super) fn build_failed(diagnostics: &[Diagnostic], format: Format) -> Failure {
    match format {
        Format::Human => Failure::problems_with(format!(
            "build failed: {}",
            diagnostic::Diagnostic::summary(diagnostics)
        )),
        Format::Json => Failure::problems(),
    }
}

/// Writes what a build made to `target`, or to stdout for `-` or `/dev/stdout` (stderr for
/// `/dev/stderr`: see [`io::output_stream`]; refused when it holds a secret value), and says
/// so: `wrote TARGET (DETAIL)`; `what` names it in the refusal.
pub(super) fn write_built(
    s: &Session,
    target: &Path,
    text: &str,
    holds_secret: bool,
    (what, detail): (&str, &str),
    format: Format,
) -> Outcome {
    if let Some(stream) = io::output_stream(target) {
        if holds_secret && stream != io::Stream::Stdin {
            let to = match stream {
                io::Stream::Stderr => "stderr",
                _ => "stdout",
            };
            return Err(Failure::usage(format!("{what} holds secret values; write it to a file (created with mode 0600), not to {to}")));
        }
        (s.files
            .write_stream(stream, &io::stream_shown(Some(target)), text))
        .map_err(Failure::usage)?;
        return Ok(Done::Clean);
    }
    let written = s
        .files
        .write_output_how(
            target,
            text.as_bytes(),
            io::WriteOptions::output(holds_secret),
        )
        .map_err(Failure::usage)?;
    if matches!(format, Format::Human) {
        let note = if holds_secret {
            written.private_note()
        } else {
            ""
        };
        reportln!(
            "wrote {} ({detail}{note})",
            wxcflow::diagnostic::printable_name(&target.display().to_string())
        );
    }
    Ok(Done::Clean)
}

/// `<flow name><extension>` (`.flow.json`, `.fd.json`), with characters that do not belong in a
/// file name replaced.
pub(super) fn default_output_name(flow_name: &str, extension: &str) -> String {
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
    format!("{}{extension}", if safe.is_empty() { "flow" } else { safe })
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
        ("flow-spec.schema.json", wxcflow::validate::spec_schema()),
        ("tenants/example.toml", wxcflow::TENANT_EXAMPLE.to_string()),
    ]
}

pub(super) fn init(s: &Session, dir: &Path) -> Outcome {
    let files = init_files();
    let existing: Vec<String> = files
        .iter()
        .map(|(name, _)| dir.join(name))
        .filter(|p| p.symlink_metadata().is_ok())
        .map(|p| p.display().to_string())
        .collect();
    if !existing.is_empty() {
        return Err(Failure::usage(format!(
            "refusing to overwrite {}; nothing was written",
            existing.join(", ")
        )));
    }
    // The folders init makes: removed again if the starter is not written.
    let made = super::io::make_folders(&dir.join("tenants"))
        .map_err(|e| Failure::usage(format!("cannot create {}: {e}", dir.display())))?;
    // All three or none: a full disk or `ulimit -f` leaves no cut-off starter behind, so that a
    // run again once there is room works. A file that appeared since the check above is not
    // overwritten either.
    let outputs: Vec<(PathBuf, &[u8])> = files
        .iter()
        .map(|(name, text)| (dir.join(name), text.as_bytes()))
        .collect();
    if let Err(e) =
        s.files
            .write_outputs_together(&outputs, super::io::WriteOptions::output(false), true)
    {
        super::io::remove_made(&made);
        return Err(Failure::usage(e));
    }
    for (path, _) in &outputs {
        reportln!(
            "wrote {}",
            wxcflow::diagnostic::printable_name(&path.display().to_string())
        );
    }
    reportln!(
        "next: wxcflow build {}",
        wxcflow::diagnostic::printable_name(&dir.join(files[0].0).display().to_string())
    );
    Ok(Done::Clean)
}
