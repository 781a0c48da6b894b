//! verify: whether a render folder is exactly what one completed render wrote. The findings are
//! the library's (`wxcflow::render::batch`); this reads the folder and prints them.

use super::*;
use wxcflow::emit::provenance::Status;
use wxcflow::render::batch::{self, Finding, Problem};

pub(super) fn verify(s: &Session, dir: &Path, format: Format) -> Outcome {
    if !std::fs::metadata(dir).is_ok_and(|m| m.is_dir()) {
        return Err(Failure::usage(format!("{} is not a folder", dir.display())));
    }
    let manifest = match outdir::read_manifest(&s.files, dir) {
        Ok(Some(m)) => m,
        Ok(None) => {
            return Err(Failure::usage(format!(
                "{} has no {}: it is not a render folder",
                dir.display(),
                wxcflow::emit::provenance::Manifest::NAME
            )))
        }
        Err(e) => return Err(Failure::usage(e.message)),
    };
    // What verify reads is its input: no report of it may be written over or onto it.
    s.files
        .protect(&dir.join(wxcflow::emit::provenance::Manifest::NAME));
    let mut findings: Vec<Finding> = Vec::new();
    if let Some(holder) = outdir::holder(dir) {
        findings.push(Finding {
            problem: Problem::Locked,
            file: batch::LOCK_NAME.to_string(),
            message: format!("a render is writing the folder now: {holder}"),
        });
    } else if std::fs::symlink_metadata(dir.join(batch::LOCK_NAME))
        .is_ok_and(|m| !(m.is_file() && m.len() == 0))
    {
        // A killed render may leave its lock file behind, empty; anything else there (a
        // folder, a link, a file with content) is not the lock.
        findings.push(Finding {
            problem: Problem::Unlisted,
            file: batch::LOCK_NAME.to_string(),
            message: "not the empty file a render locks: a file the manifest does not list".into(),
        });
    }
    findings.extend(batch::verify_manifest(&manifest));
    // The manifest was just read as a regular file (links are not followed).
    let manifest_path = dir.join(wxcflow::emit::provenance::Manifest::NAME);
    if let Ok(meta) = std::fs::symlink_metadata(manifest_path) {
        findings.extend(batch::verify_manifest_mode(&manifest, outdir::mode(&meta)));
    }
    let mut documents = 0;
    let listed = manifest
        .tenants
        .iter()
        .filter(|t| t.status == Status::Ok)
        .map(|t| (t, false))
        .chain(manifest.kept.iter().map(|t| (t, true)));
    for (entry, kept) in listed {
        if !batch::is_document_name(&entry.output) {
            findings.push(Finding {
                problem: Problem::Changed,
                file: entry.output.clone(),
                message: "the manifest names a file wxcflow never writes".into(),
            });
            continue;
        }
        documents += usize::from(!kept);
        let path = dir.join(&entry.output);
        s.files.protect(&path);
        let found = outdir::document(&s.files, &path);
        findings.extend(batch::verify_document(&manifest, entry, kept, &found));
    }
    let names = outdir::listing(dir).map_err(Failure::usage)?;
    findings.extend(batch::unlisted(&manifest, &names));
    findings.sort_by(|a, b| a.file.cmp(&b.file).then(a.message.cmp(&b.message)));
    let ok = findings.is_empty();
    match format {
        Format::Json => {
            let report = serde_json::json!({
                "folder": dir.display().to_string(),
                "ok": ok,
                "state": manifest.state,
                "build": manifest.build,
                "commit": manifest.commit,
                "template": manifest.template,
                "documents": documents,
                "problems": findings,
            });
            outln!(s, "{}", pretty_json(&report));
        }
        Format::Human => {
            for f in &findings {
                // File names come from the folder: nothing in one may drive the terminal or
                // start a line of its own.
                let name = |text: &str| wxcflow::diagnostic::printable_name(text).into_owned();
                let line = format!(
                    "{}: {}: {}",
                    kebab(&f.problem),
                    name(&f.file),
                    name(&f.message)
                );
                outln!(s, "{line}");
            }
            if ok {
                outln!(
                    s,
                    "{}: {documents} document{} as one completed render wrote {} (build {})",
                    wxcflow::diagnostic::printable_name(&dir.display().to_string()),
                    if documents == 1 { "" } else { "s" },
                    if documents == 1 { "it" } else { "them" },
                    manifest.build
                );
            } else {
                outln!(
                    s,
                    "{}: {} problem{}",
                    wxcflow::diagnostic::printable_name(&dir.display().to_string()),
                    findings.len(),
                    if findings.len() == 1 { "" } else { "s" }
                );
            }
        }
    }
    Ok(Done::found_if(!ok))
}

/// A problem's name as JSON spells it (`not-private`).
fn kebab(problem: &Problem) -> String {
    serde_json::to_value(problem)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}
