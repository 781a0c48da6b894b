//! render: one template, a folder of tenants, in parallel. Afterwards the output folder
//! describes exactly this run: its documents, a manifest, and no document of an earlier run
//! that this one did not confirm.

use super::*;
use wxcflow::emit::provenance::{Manifest, ManifestEntry};
use wxcflow::render::batch::{self, NotWritten, SkipReason, Tally, TenantOutcome, Written};

/// A tenant file read and parsed, or why not (with its text, when it could be read).
type LoadedTenant = Result<wxcflow::render::Tenant, TenantFailure>;

enum TenantFailure {
    Unreadable(io::ReadError),
    Invalid(Box<SourceFile>, Diagnostic),
}

/// A tenant file found in the folder: its path and its name (the file stem), or why it is
/// refused without being read.
pub(super) struct TenantFile {
    pub(super) path: PathBuf,
    pub(super) name: String,
    pub(super) refused: Option<String>,
}

impl TenantFile {
    /// Reads the tenant file, unless it is refused (then nothing of it is read).
    pub(super) fn read(&self, s: &Session) -> Result<SourceFile, TenantUnread> {
        match &self.refused {
            Some(why) => Err(TenantUnread::Failed(io::ReadError::failed(format!(
                "{}: {why}; it was not read",
                self.path.display()
            )))),
            None => read_tenant_source(s, &self.path, "tenant file"),
        }
    }
}

/// The tenant files of a folder, and every other entry with why it is not one. A tenant file
/// is a regular file (or a link to one inside the folder) whose name ends in `.toml`, in any
/// case (`ACME.TOML` is tenant `ACME`): files copied from case-insensitive disks keep their
/// meaning. A link that leads out of the folder is a tenant the user meant, refused without
/// reading what it points at. The other entries are noted on stderr; a folder without tenant
/// files is refused (`nothing was <done>`): no tenant is a mistake, not a pass.
pub(super) fn tenant_files(dir: &Path, done: &str) -> Result<Vec<TenantFile>, Failure> {
    let unreadable =
        |e: std::io::Error| Failure::usage(format!("cannot read {}: {e}", dir.display()));
    let mut found: Vec<(PathBuf, String)> = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(unreadable)? {
        let entry = entry.map_err(unreadable)?;
        found.push((
            entry.path(),
            entry.file_name().to_string_lossy().into_owned(),
        ));
    }
    found.sort();
    let inside = std::fs::canonicalize(dir).ok();
    let mut tenants = Vec::new();
    let mut skipped = Vec::new();
    for (path, file_name) in found {
        let shown = path.display().to_string();
        let name = match batch::tenant_name(&file_name) {
            Ok(name) => name.to_string(),
            Err(reason) => {
                skipped.push((shown, reason));
                continue;
            }
        };
        let is_link = std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink());
        // A link out of the folder is a tenant the user meant, refused whatever it leads to (a
        // file, a device): nothing outside is looked at further.
        let leaves = is_link && {
            let target = std::fs::canonicalize(&path).ok();
            match (&inside, &target) {
                (Some(dir), Some(target)) => !target.starts_with(dir),
                _ => false,
            }
        };
        if leaves {
            tenants.push(TenantFile {
                name,
                path,
                refused: Some("a symbolic link to a file outside the tenants folder (a tenant file is a regular file inside it; links must stay inside)".to_string()),
            });
            continue;
        }
        match std::fs::metadata(&path) {
            Ok(meta) if meta.is_file() => {
                tenants.push(TenantFile {
                    name,
                    path,
                    refused: None,
                });
            }
            Ok(meta) => skipped.push((shown, not_a_file(&meta))),
            Err(_) => skipped.push((shown, SkipReason::BrokenLink)),
        }
    }
    for note in batch::skipped_notes(&skipped) {
        reportln!("{note}");
    }
    if tenants.is_empty() {
        return Err(Failure::input(format!(
            "no tenant files (*.toml) in {}; nothing was {done}",
            dir.display()
        )));
    }
    Ok(tenants)
}

/// What a directory entry is, when it is not a regular file.
fn not_a_file(meta: &std::fs::Metadata) -> SkipReason {
    if meta.is_dir() {
        return SkipReason::Directory;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        let kind = meta.file_type();
        if kind.is_fifo() {
            return SkipReason::Fifo;
        }
        if kind.is_socket() {
            return SkipReason::Socket;
        }
        if kind.is_char_device() || kind.is_block_device() {
            return SkipReason::Device;
        }
    }
    SkipReason::Other
}

/// Where a render's documents go.
#[derive(Clone, Copy)]
pub(super) enum Target<'a> {
    /// Into this folder, locked for the run, described by its manifest.
    Folder {
        dir: &'a Path,
        /// Also remove documents of gone tenants that hold secrets.
        prune: bool,
    },
    /// Nowhere: `--check` builds every document in memory and writes nothing.
    Memory,
}

pub(super) fn render(
    s: &Session,
    template: &Path,
    tenants_dir: &Path,
    target: Target<'_>,
    jobs: Option<usize>,
) -> Outcome {
    use rayon::prelude::*;
    let source = read_source(s, template)?;
    let problems = |diagnostics: &[Diagnostic]| {
        print_diagnostics(s, diagnostics, &[&source], Format::Human, false);
        Failure::problems()
    };
    let spec = wxcflow::spec::Spec::parse(&source).map_err(|d| problems(&[d]))?;
    let renderer = wxcflow::render::Renderer::new(&spec, Some(&source))
        .map_err(|diagnostics| problems(&diagnostics))?;
    let files = tenant_files(tenants_dir, "rendered")?;
    batch::check_names(
        files
            .iter()
            .map(|f| (f.name.as_str(), f.path.display().to_string())),
    )
    .map_err(|problem| Failure::usage(problem.to_string()))?;
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let threads = batch::pool_size(jobs, files.len(), cores);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Failure::usage(format!("cannot start {threads} jobs: {e}")))?;
    let template_source = stamp_of(&source);
    // The folder is locked, and its manifest marked in progress, before anything in it changes.
    let (out_dir, prune) = match target {
        Target::Folder { dir, prune } => (Some(dir), prune),
        Target::Memory => (None, false),
    };
    let (held, previous) = match out_dir {
        Some(dir) => {
            refuse_overlap(s, dir, tenants_dir, template)?;
            let planned: Vec<String> = files
                .iter()
                .map(|f| format!("{}{}", f.name, batch::DOCUMENT_SUFFIX))
                .collect();
            let (lock, previous) = begin(s, dir, &template_source, &planned)?;
            (Some(lock), previous)
        }
        None => (None, None),
    };
    let store = FsSecrets::beside(s, files.first().map(|f| f.path.as_path())).outside(out_dir);
    let progress = progress_bar(files.len());
    // Read and parse every tenant (a bad tenant file is that tenant's failure, not the batch's).
    let loaded: Vec<(String, Option<wxcflow::flow::Source>, LoadedTenant)> = pool.install(|| {
        files
            .par_iter()
            .map(|file| {
                let name = file.name.clone();
                match file.read(s) {
                    Err(TenantUnread::Failed(e)) => (name, None, Err(TenantFailure::Unreadable(e))),
                    // Not its whole text, so no digest of it.
                    Err(TenantUnread::NotUtf8(not_utf8)) => {
                        let (src, d) = *not_utf8;
                        (name, None, Err(TenantFailure::Invalid(Box::new(src), d)))
                    }
                    Ok(src) => {
                        let stamp = stamp_of(&src);
                        let tenant = wxcflow::render::Tenant::parse(name.clone(), src.clone())
                            .map_err(|d| TenantFailure::Invalid(Box::new(src), d));
                        (name, Some(stamp), tenant)
                    }
                }
            })
            .collect()
    });
    let mut tally = Tally::new(template_source.clone(), files.len());
    let mut tenants = Vec::new();
    let mut stamps = Vec::new();
    for (name, stamp, tenant) in loaded {
        match tenant {
            Ok(t) => {
                // A parsed tenant was read, so it has its digest.
                stamps.push(stamp.unwrap_or_else(|| stamp_of(&t.source)));
                tenants.push(t);
            }
            Err(TenantFailure::Unreadable(why)) => {
                let code = if why.too_large {
                    Code::TooLarge
                } else {
                    Code::Io
                };
                reportln!("{}", error::describe_read(&why));
                tally.failed(&name, stamp, vec![code.as_str().to_string()], Vec::new());
            }
            Err(TenantFailure::Invalid(src, d)) => {
                // Not read: no value is quoted.
                let quoted = src.values_hidden();
                print_diagnostics(
                    s,
                    std::slice::from_ref(&d),
                    &[&quoted],
                    Format::Human,
                    false,
                );
                tally.failed(&name, stamp, vec![d.code.as_str().to_string()], Vec::new());
            }
        }
    }
    let reusable = batch::reusable(previous.as_ref(), &template_source);
    // Each document is written as soon as it is built and then dropped; only diagnostics stay.
    let literal = wxcflow::render::literal_secrets(&source);
    // Tenants whose switches render alike are checked once (see wxcflow::Groups).
    let groups = wxcflow::Groups::new(s.compiler(), &renderer);
    let outcomes: Vec<TenantOutcome> = pool.install(|| {
        let indexed: Vec<(usize, &wxcflow::render::Tenant)> = tenants.iter().enumerate().collect();
        indexed
            .par_iter()
            .map(|&(i, tenant)| {
                let file_name = format!("{}{}", tenant.name, batch::DOCUMENT_SUFFIX);
                let stamp = stamps[i].clone();
                if let (Some(entry), Some(dir)) = (reusable.get(tenant.name.as_str()), out_dir) {
                    if let Some(sha256) =
                        still_current(&s.files, entry, &stamp, tenant, &dir.join(&file_name))
                    {
                        progress.inc(1);
                        return TenantOutcome::reused(sha256, entry.warnings.clone());
                    }
                }
                let mut build = groups.build(Some(tenant), &store);
                build.stamp(template_source.clone(), Some(stamp));
                let private = build.holds_secret();
                let places = build.secret_places();
                let written = match build.output {
                    Some((_, json)) => {
                        match out_dir {
                            Some(dir) => write_if_changed(
                                &s.files,
                                &dir.join(&file_name),
                                json.as_bytes(),
                                private,
                                places,
                            )
                            .map_err(NotWritten::Write),
                            // --check: built, checked and validated in memory, then dropped.
                            None => Ok(Written {
                                changed: true,
                                private,
                                sha256: String::new(),
                                secret_places: Default::default(),
                            }),
                        }
                    }
                    None => Err(NotWritten::Failed),
                };
                progress.inc(1);
                TenantOutcome {
                    diagnostics: build.diagnostics,
                    secret_spans: build.secret_spans,
                    written,
                    reused_warnings: None,
                }
            })
            .collect()
    });
    progress.finish_and_clear();
    for ((tenant, stamp), outcome) in tenants.iter().zip(&stamps).zip(outcomes) {
        let diagnostics = &outcome.diagnostics;
        if !diagnostics.is_empty() {
            reportln!("tenant {} ({}):", tenant.name, tenant.source.name);
            let spans: Vec<_> = literal
                .iter()
                .chain(&outcome.secret_spans)
                .cloned()
                .collect();
            let hidden = SourceFile::hiding(&[&source, &tenant.source], &spans);
            print_diagnostics(
                s,
                diagnostics,
                &hidden.iter().map(AsRef::as_ref).collect::<Vec<_>>(),
                Format::Human,
                false,
            );
        }
        if let Err(NotWritten::Write(why)) = &outcome.written {
            reportln!("error: {why}");
        }
        tally.record(&tenant.name, stamp, outcome);
    }
    let Some(out_dir) = out_dir else {
        reportln!("{}", tally.checked());
        return finished(tally.failures());
    };
    let manifest_path = out_dir.join(wxcflow::emit::provenance::Manifest::NAME);
    if let Some(note) = tally.reused_note(&manifest_path.display().to_string()) {
        reportln!("{note}");
    }
    tally.settle_stale(previous.as_ref(), prune, &outdir::Folder(&s.files, out_dir));
    // Last: the manifest that says the run completed.
    outdir::write_manifest(&s.files, out_dir, &tally.manifest).map_err(Failure::usage)?;
    if let Some(lock) = held {
        lock.release();
    }
    for line in tally.report(&out_dir.display().to_string()) {
        reportln!("{line}");
    }
    if tally.write_failed() {
        return Err(Failure::usage(format!(
            "not written: {} (documents that could not be written; what was at their places is kept)",
            tally.unwritten().join(", ")
        )));
    }
    finished(tally.failures())
}

/// Takes OUTDIR for a run: creates it, locks it, reads what the last render left, and marks the
/// manifest in progress before anything else in the folder changes.
fn begin(
    s: &Session,
    dir: &Path,
    template: &wxcflow::flow::Source,
    planned: &[String],
) -> Result<(outdir::Lock, Option<Manifest>), Failure> {
    std::fs::create_dir_all(dir).map_err(|e| match std::fs::metadata(dir) {
        Ok(meta) if !meta.is_dir() => Failure::usage(format!("{} is not a folder", dir.display())),
        _ => Failure::usage(format!("cannot create {}: {e}", dir.display())),
    })?;
    let lock = outdir::lock(dir).map_err(Failure::usage)?;
    // Under the lock no other run writes here: a temporary file is what a stopped run left.
    let removed = outdir::remove_temporaries(dir);
    if removed > 0 {
        reportln!(
            "note: removed {removed} temporary file{} a stopped run left in {}",
            if removed == 1 { "" } else { "s" },
            wxcflow::diagnostic::printable_name(&dir.display().to_string())
        );
    }
    // A manifest this version cannot read describes nothing it may reuse or remove; a file
    // under its name that no wxcflow wrote is not replaced.
    let previous = match outdir::read_manifest(&s.files, dir) {
        Ok(found) => found,
        Err(why) if why.foreign => {
            return Err(Failure::usage(format!(
            "{}: not a manifest wxcflow wrote, so it is not replaced; move it out of the folder",
            why.message
        )))
        }
        Err(why) => {
            reportln!("note: {}: nothing in the folder is reused or removed; `wxcflow verify` lists what this render did not write", why.message);
            None
        }
    };
    let marker = Manifest::in_progress(template.clone(), previous.as_ref(), planned);
    outdir::write_manifest(&s.files, dir, &marker).map_err(Failure::usage)?;
    Ok((lock, previous))
}

/// Refuses an OUTDIR that is the tenants folder, lies inside it, is a `--secrets-dir` or
/// holds the template: the render would write documents where it reads tenants or secrets,
/// or write and remove its lock, manifest and temporary files over the template. Paths are
/// compared canonical; an OUTDIR that does not exist yet by its nearest existing ancestor.
fn refuse_overlap(
    s: &Session,
    out_dir: &Path,
    tenants_dir: &Path,
    template: &Path,
) -> Result<(), Failure> {
    let out = canonical_or_planned(out_dir);
    if let (Some(out), Ok(template_at)) = (&out, std::fs::canonicalize(template)) {
        if template_at.starts_with(out) {
            return Err(Failure::usage(format!(
                "the template {} lies in {}, whose files the render writes and removes; keep it outside",
                template.display(),
                out_dir.display()
            )));
        }
    }
    let inputs = std::fs::canonicalize(tenants_dir).ok();
    if let (Some(out), Some(inputs)) = (&out, &inputs) {
        if out.starts_with(inputs) {
            return Err(Failure::usage(format!(
                "{} is the tenants folder or lies inside it; render into a folder of its own",
                out_dir.display()
            )));
        }
    }
    if let Some(out) = &out {
        if s.secrets_dirs().iter().any(|d| d == out) {
            return Err(Failure::usage(format!(
                "{} is a --secrets-dir; render into a folder of its own",
                out_dir.display()
            )));
        }
    }
    Ok(())
}

/// `path` made canonical; when it does not exist, its nearest existing ancestor made canonical
/// with the rest appended.
fn canonical_or_planned(path: &Path) -> Option<PathBuf> {
    let absolute = std::path::absolute(path).ok()?;
    let mut rest = Vec::new();
    let mut at = absolute.as_path();
    loop {
        if let Ok(found) = std::fs::canonicalize(at) {
            return Some(rest.iter().rev().fold(found, |p, part| p.join(part)));
        }
        rest.push(at.file_name()?.to_os_string());
        at = at.parent()?;
    }
}

/// The outcome of a run whose failed tenants were reported one by one.
fn finished(failures: Vec<String>) -> Outcome {
    if failures.is_empty() {
        Ok(Done::Clean)
    } else {
        Err(Failure::problems_with(format!(
            "failed: {}",
            failures.join(", ")
        )))
    }
}

/// The document's digest when the last render's document for this tenant is still valid: see
/// [`batch::reusable_digest`].
fn still_current(
    files: &io::Files,
    entry: &ManifestEntry,
    stamp: &wxcflow::flow::Source,
    tenant: &wxcflow::render::Tenant,
    target: &Path,
) -> Option<String> {
    batch::reusable_digest(entry, stamp, &tenant.source.text, || {
        if !std::fs::symlink_metadata(target).is_ok_and(|m| m.is_file()) {
            return None;
        }
        files.read_output(target, wxcflow::MAX_INPUT_BYTES).ok()
    })
}

/// Writes a document unless the file already holds exactly these bytes with the right privacy:
/// an unchanged tenant keeps its file and its modification time.
fn write_if_changed(
    files: &io::Files,
    target: &Path,
    bytes: &[u8],
    private: bool,
    secret_places: std::collections::BTreeMap<String, String>,
) -> Result<Written, String> {
    let secret_places = if private {
        secret_places
    } else {
        Default::default()
    };
    let sha256 = batch::document_digest(bytes, private, &secret_places).ok_or_else(|| {
        format!(
            "cannot write {}: its secret values have no declared place",
            target.display()
        )
    })?;
    let written = |changed| Written {
        changed,
        private,
        sha256: sha256.clone(),
        secret_places: secret_places.clone(),
    };
    if same_file_content(files, target, bytes, private) {
        return Ok(written(false));
    }
    let options = io::WriteOptions {
        private,
        durable: false,
        links: io::Links::Replace,
        keep_mode: false,
        in_place: false,
    };
    files.write_output(target, bytes, options)?;
    Ok(written(true))
}

/// Whether `target` is a regular file (not a link) holding `bytes`, private when it must be.
fn same_file_content(files: &io::Files, target: &Path, bytes: &[u8], private: bool) -> bool {
    let Ok(meta) = std::fs::symlink_metadata(target) else {
        return false;
    };
    if !meta.is_file() || meta.len() != bytes.len() as u64 {
        return false;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        // A document that now holds a secret must not stay readable by others.
        if private && meta.permissions().mode() & 0o7777 != 0o600 {
            return false;
        }
    }
    files
        .read_output(target, bytes.len())
        .is_ok_and(|old| old == bytes)
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
