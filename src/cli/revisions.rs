//! diff, fmt, decompile: flows as revisions.

use super::inspect::single_export;
use super::*;

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
            let result = compiler().build(&source);
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

pub(super) fn diff(old: &Path, new: &Path, format: DiffFormat) -> ExitCode {
    if let Some(code) = super::flow_designer::diff(old, new, format) {
        return code;
    }
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

pub(super) fn decompile(document: &Path, output: Option<&Path>) -> ExitCode {
    if let Some(code) = super::flow_designer::decompile(document, output) {
        return code;
    }
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
    let violations = compiler().validator().validate(&value);
    if !violations.is_empty() {
        for v in &violations {
            eprintln!("error: {}: {v}", document.display());
        }
        return ExitCode::from(EXIT_PROBLEMS);
    }
    let spec = wxcflow::decompile::decompile(&parsed);
    let private = parsed.flow.holds_secret();
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

pub(super) fn fmt(specs: &[PathBuf], check_only: bool) -> ExitCode {
    let mut problems = false;
    for path in specs {
        let source = match read_source(path) {
            Ok(s) => s,
            Err(e) => return usage_error(&e),
        };
        if super::flow_designer::fmt_skips(&source) {
            continue;
        }
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
