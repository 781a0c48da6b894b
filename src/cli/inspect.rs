//! inspect and textconv: what a file is, and a line view of it for git.

use super::*;
use wxcflow::InputKind;

/// The one export inside an inspection, if it holds exactly one (a file or a one-member zip).
pub(super) fn single_export(inspection: &Inspection) -> Option<&workflow::Export> {
    match inspection {
        Inspection::Export(e) => Some(e),
        Inspection::Zip { members } if members.len() == 1 => single_export(&members[0].inspection),
        _ => None,
    }
}

pub(super) fn inspect(s: &Session, files: &[PathBuf], format: Format) -> Outcome {
    if let Some(code) = super::flow_designer::inspect(s, files, format) {
        return code;
    }
    let mut inspected = Vec::new();
    for path in files {
        let name = path.display().to_string();
        match s.files.read_bounded(path, workflow::Export::MAX_BYTES) {
            Ok(bytes) => inspected.push((name, workflow::Inspection::of(&bytes))),
            // Too large is a finding about the file, reported like any other rejection.
            Err(e) if e.too_large => inspected.push((
                name,
                Inspection::Rejected(workflow::Rejection::TooLarge {
                    bytes: workflow::Export::MAX_BYTES + 1,
                }),
            )),
            Err(e) => return Err(e.into()),
        }
    }
    let comparison = match inspected.as_slice() {
        [(_, a), (_, b)] => single_export(a)
            .zip(single_export(b))
            .map(|(a, b)| workflow::Export::compare(a, b)),
        _ => None,
    };
    match format {
        Format::Human => {
            for (name, inspection) in &inspected {
                out!(s, "{}", diagnostic::printable(&inspection.render(name)));
            }
            if let Some(c) = &comparison {
                out!(
                    s,
                    "{}",
                    diagnostic::printable(&c.render(&inspected[0].0, &inspected[1].0))
                );
            }
        }
        Format::Json => {
            let files: Vec<_> = inspected
                .iter()
                .map(|(path, inspection)| serde_json::json!({ "path": path, "inspection": inspection }))
                .collect();
            let report = serde_json::json!({ "files": files, "comparison": comparison });
            outln!(s, "{}", pretty_json(&report));
        }
    }
    if inspected.iter().all(|(_, i)| i.is_recognised()) {
        Ok(Done::Clean)
    } else {
        Err(Failure::problems())
    }
}

/// Git calls this with one file and shows what it prints; so it prints something for any file
/// and fails only when the file cannot be read.
pub(super) fn textconv(s: &Session, path: &Path) -> Outcome {
    // Flow Designer files are read up to what `build` writes; everything else up to its own limit.
    let bytes = s.files.read_bounded(path, wxcflow::MAX_FD_BYTES)?;
    // TOML past the items a spec may hold is refused before anything parses it (telling a spec
    // from other text parses it): a Flow Designer spec is told by its look and may be larger.
    if let Ok(text) = std::str::from_utf8(&bytes) {
        let toml =
            !text.trim_start().starts_with('{') && InputKind::flow_designer(&bytes).is_none();
        if toml {
            super::refuse_too_many_items(&path.display().to_string(), text)?;
        }
    }
    // What may be an export is told apart by reading it; the bytes come back when it is not.
    let bytes = match super::flow_designer::textconv_read(s, path, bytes) {
        Ok(code) => return code,
        Err(bytes) => bytes,
    };
    let kind = InputKind::detect(&bytes);
    if let Some(code) = super::flow_designer::textconv(s, path, &bytes, kind) {
        return code;
    }
    if bytes.len() > workflow::Export::MAX_BYTES {
        let name = path.display().to_string();
        return Err(io::too_large(&name, workflow::Export::MAX_BYTES).into());
    }
    // Git hands textconv temporary paths; a fixed label keeps them out of the diff.
    // Specs and documents: the canonical line view.
    let verbatim = || String::from_utf8_lossy(&bytes).into_owned();
    // Text that does not read (a merge conflict, a stray character, broken TOML or JSON):
    // verbatim but for every place that could hold a secret, as check and diff quote it.
    let unreadable = || {
        let source = SourceFile::new(path.display().to_string(), verbatim());
        wxcflow::flow_designer::quote::unreadable(source).text()
    };
    let text = match kind {
        _ if kind.is_connect_spec() => {
            let source = SourceFile::new(path.display().to_string(), verbatim());
            let (build, spec) = s.compiler().build_symbolic_spec(&source);
            match build.output {
                Some((document, _)) => {
                    let params = spec
                        .as_ref()
                        .map_or(String::new(), wxcflow::tools::diff::param_lines);
                    params + &wxcflow::tools::diff::render_lines(&document.flow)
                }
                // A spec that does not read or build: no secret can be told by its model, so
                // every place that could hold one is hidden, and what its build told secret.
                None => {
                    let name = source.name.clone();
                    let mut shown = source;
                    for span in build.secret_spans.into_iter().filter(|s| s.file == name) {
                        shown.hide(span.bytes);
                    }
                    wxcflow::flow_designer::quote::unreadable(shown).text()
                }
            }
        }
        InputKind::FlowDocument => s.compiler().read_document("", &bytes).map_or_else(
            |_| unreadable(),
            |d| wxcflow::tools::diff::render_lines(&d.flow),
        ),
        InputKind::Other if !bytes.is_empty() && std::str::from_utf8(&bytes).is_ok() => {
            unreadable()
        }
        _ => workflow::Inspection::of(&bytes).render("export"),
    };
    // For display only: control characters a file holds never reach the terminal.
    out!(s, "{}", diagnostic::printable(&text));
    Ok(Done::Clean)
}
