//! render: one template, a folder of tenants, in parallel. Afterwards the output folder
//! describes exactly this run: its documents, a manifest, and no document of an earlier run
//! that this one did not confirm.

use super::*;
use wxcflow::emit::provenance::{self, Manifest, ManifestEntry, Status};
use wxcflow::render::batch::{self, SkipReason, StaleAction};

/// A tenant file read and parsed, or why not (with its text, when it could be read).
type LoadedTenant = Result<wxcflow::render::Tenant, TenantFailure>;

enum TenantFailure {
    Unreadable(io::ReadError),
    Invalid(SourceFile, Diagnostic),
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
    pub(super) fn read(&self) -> Result<SourceFile, io::ReadError> {
        match &self.refused {
            Some(why) => Err(io::ReadError {
                message: format!("{}: {why}; it was not read", self.path.display()),
                too_large: false,
            }),
            None => read_source(&self.path),
        }
    }
}

/// Entries of a tenants folder that are not tenant files, with why.
pub(super) type Skipped = Vec<(String, SkipReason)>;

/// The tenant files of a folder, and every other entry with why it is not one. A tenant file
/// is a regular file (or a link to one inside the folder) whose name ends in `.toml`, in any
/// case (`ACME.TOML` is tenant `ACME`): files copied from case-insensitive disks keep their
/// meaning. A link that leads out of the folder is a tenant the user meant, refused without
/// reading what it points at.
pub(super) fn scan_tenants(dir: &Path) -> Result<(Vec<TenantFile>, Skipped), String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut found: Vec<(PathBuf, String)> = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
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
        let is_toml = file_name.len() > 5
            && file_name.is_char_boundary(file_name.len() - 5)
            && file_name[file_name.len() - 5..].eq_ignore_ascii_case(".toml");
        if !is_toml {
            skipped.push((shown, SkipReason::NotToml));
            continue;
        }
        if file_name.starts_with("._") {
            skipped.push((shown, SkipReason::AppleDouble));
            continue;
        }
        match std::fs::metadata(&path) {
            Ok(meta) if meta.is_file() => {
                let is_link =
                    std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink());
                let refused = if is_link {
                    let target = std::fs::canonicalize(&path).ok();
                    let stays = match (&inside, &target) {
                        (Some(dir), Some(target)) => target.starts_with(dir),
                        _ => false,
                    };
                    (!stays).then(|| "a symbolic link to a file outside the tenants folder (a tenant file is a regular file inside it; links must stay inside)".to_string())
                } else {
                    None
                };
                tenants.push(TenantFile {
                    name: file_name[..file_name.len() - 5].to_string(),
                    path,
                    refused,
                });
            }
            Ok(meta) => skipped.push((shown, not_a_file(&meta))),
            Err(_) => skipped.push((shown, SkipReason::BrokenLink)),
        }
    }
    Ok((tenants, skipped))
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

/// Parallel jobs: as asked, but never more threads than tenants, nor more than four per core
/// (a thread per tenant of a large batch only costs memory and start-up time).
fn pool_size(asked: Option<usize>, tenants: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    asked
        .filter(|&n| n > 0)
        .unwrap_or(cores)
        .min(cores * 4)
        .min(tenants)
        .max(1)
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
    template: &Path,
    tenants_dir: &Path,
    target: Target<'_>,
    jobs: Option<usize>,
) -> Outcome {
    use rayon::prelude::*;
    let source = read_source(template)?;
    let spec = match wxcflow::spec::parse_spec(&source) {
        Ok(s) => s,
        Err(d) => {
            print_diagnostics(&[d], &[&source], Format::Human, false);
            return Err(Failure::problems());
        }
    };
    let renderer = match wxcflow::render::Renderer::new(&spec, Some(&source)) {
        Ok(r) => r,
        Err(diagnostics) => {
            print_diagnostics(&diagnostics, &[&source], Format::Human, false);
            return Err(Failure::problems());
        }
    };
    let (files, skipped) = match scan_tenants(tenants_dir) {
        Ok(found) => found,
        Err(e) => return Err(Failure::usage(e)),
    };
    for note in batch::skipped_notes(&skipped) {
        reportln!("{note}");
    }
    if files.is_empty() {
        return Err(Failure::input(format!(
            "no tenant files (*.toml) in {}; nothing was rendered",
            tenants_dir.display()
        )));
    }
    // Names become file names: refuse any that could escape OUTDIR, collide (also on
    // case-insensitive file systems) or mean something else on another system.
    let mut seen = std::collections::BTreeMap::new();
    for file in &files {
        let name = &file.name;
        if let Some(rule) = batch::unsafe_name_rule(name) {
            return Err(Failure::usage(format!(
                "tenant name `{name}` ({}) is not a safe file name: {rule}",
                file.path.display()
            )));
        }
        if let Some(other) = seen.insert(name.to_lowercase(), name.clone()) {
            return Err(Failure::usage(format!("tenants `{other}` and `{name}` would write the same file on a case-insensitive disk")));
        }
    }
    let threads = pool_size(jobs, files.len());
    let pool = match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
        Ok(p) => p,
        Err(e) => return Err(Failure::usage(format!("cannot start {threads} jobs: {e}"))),
    };
    let template_source = provenance::source(&source.name, source.text.as_bytes());
    // The folder is locked, and its manifest marked in progress, before anything in it changes.
    let (out_dir, prune) = match target {
        Target::Folder { dir, prune } => (Some(dir), prune),
        Target::Memory => (None, false),
    };
    let (held, previous) = match out_dir {
        Some(dir) => {
            refuse_overlap(dir, tenants_dir)?;
            let planned: Vec<String> = files
                .iter()
                .map(|f| format!("{}{}", f.name, batch::DOCUMENT_SUFFIX))
                .collect();
            let (lock, previous) = begin(dir, &template_source, &planned)?;
            (Some(lock), previous)
        }
        None => (None, None),
    };
    let store = FsSecrets::beside(files.first().map(|f| f.path.as_path()));
    let progress = progress_bar(files.len());
    // Read and parse every tenant (a bad tenant file is that tenant's failure, not the batch's).
    let loaded: Vec<(String, Option<wxcflow::flow::Source>, LoadedTenant)> = pool.install(|| {
        files
            .par_iter()
            .map(|file| {
                let name = file.name.clone();
                match file.read() {
                    Err(e) => (name, None, Err(TenantFailure::Unreadable(e))),
                    Ok(src) => {
                        let stamp = provenance::source(&src.name, src.text.as_bytes());
                        let tenant = wxcflow::render::Tenant::parse(name.clone(), src.clone())
                            .map_err(|d| TenantFailure::Invalid(src, d));
                        (name, Some(stamp), tenant)
                    }
                }
            })
            .collect()
    });
    let mut manifest = Manifest::new(template_source.clone());
    let mut failures = Vec::new();
    let mut tenants = Vec::new();
    let mut stamps = Vec::new();
    for (name, stamp, tenant) in loaded {
        match tenant {
            Ok(t) => {
                // A parsed tenant was read, so it has its digest.
                stamps.push(stamp.unwrap_or_else(|| {
                    provenance::source(&t.source.name, t.source.text.as_bytes())
                }));
                tenants.push(t);
            }
            Err(TenantFailure::Unreadable(why)) => {
                let code = if why.too_large { "wxc::too-large" } else { "" };
                reportln!("{}", error::describe_read(&why));
                manifest
                    .tenants
                    .push(failed_entry(&name, stamp, vec![code.to_string()]));
                failures.push(name);
            }
            Err(TenantFailure::Invalid(src, d)) => {
                print_diagnostics(std::slice::from_ref(&d), &[&src], Format::Human, false);
                manifest.tenants.push(failed_entry(
                    &name,
                    stamp,
                    vec![d.code.as_str().to_string()],
                ));
                failures.push(name);
            }
        }
    }
    // What the last completed render into this folder did, if it was this build's of this
    // template: an in-progress manifest is never trusted for reuse.
    let reusable: std::collections::HashMap<&str, &ManifestEntry> = previous
        .iter()
        .filter(|m| m.reusable_for(&template_source))
        .flat_map(|m| &m.tenants)
        .filter(|t| t.status == Status::Ok)
        .map(|t| (t.name.as_str(), t))
        .collect();
    // Each document is written as soon as it is built and then dropped; only diagnostics stay.
    let literal = wxcflow::render::literal_secrets(&source);
    let outcomes: Vec<TenantOutcome> = pool.install(|| {
        let indexed: Vec<(usize, &wxcflow::render::Tenant)> = tenants.iter().enumerate().collect();
        indexed
            .par_iter()
            .map(|&(i, tenant)| {
                let file_name = format!("{}{}", tenant.name, batch::DOCUMENT_SUFFIX);
                let stamp = stamps[i].clone();
                if let (Some(entry), Some(dir)) = (reusable.get(tenant.name.as_str()), out_dir) {
                    if let Some(sha256) =
                        still_current(entry, &stamp, tenant, &dir.join(&file_name))
                    {
                        progress.inc(1);
                        return TenantOutcome {
                            diagnostics: Vec::new(),
                            secret_spans: Vec::new(),
                            written: Ok(Written {
                                changed: false,
                                private: false,
                                sha256,
                                secret_places: Default::default(),
                            }),
                            reused_warnings: Some(entry.warnings.clone()),
                        };
                    }
                }
                let build = compiler().build_rendered(&renderer, Some(tenant), &store);
                let private = build.holds_secret();
                let written = match build.output {
                    Some((mut document, json)) => {
                        let places = provenance::secret_places(&document, &build.secret_origins);
                        let json = provenance::stamp_json(
                            &json,
                            template_source.clone(),
                            Some(stamp.clone()),
                        )
                        .unwrap_or_else(|| {
                            provenance::stamp(&mut document, template_source.clone(), Some(stamp))
                        });
                        match out_dir {
                            Some(dir) => write_if_changed(
                                &dir.join(&file_name),
                                json.as_bytes(),
                                private,
                                places,
                            ),
                            // --check: built, checked and validated in memory, then dropped.
                            None => Ok(Written {
                                changed: true,
                                private,
                                sha256: String::new(),
                                secret_places: Default::default(),
                            }),
                        }
                    }
                    None => Err(String::new()),
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
    let (mut unchanged, mut reused, mut reused_with_warnings) = (0, 0, 0);
    for ((tenant, stamp), outcome) in tenants.iter().zip(&stamps).zip(outcomes) {
        let diagnostics = &outcome.diagnostics;
        if !diagnostics.is_empty() {
            reportln!("tenant {} ({}):", tenant.name, tenant.source.name);
        }
        let spans: Vec<_> = literal
            .iter()
            .chain(&outcome.secret_spans)
            .cloned()
            .collect();
        let hidden = SourceFile::hiding(&[&source, &tenant.source], &spans);
        print_diagnostics(
            diagnostics,
            &hidden.iter().collect::<Vec<_>>(),
            Format::Human,
            false,
        );
        let warnings = match &outcome.reused_warnings {
            Some(previous) => {
                reused += 1;
                reused_with_warnings += usize::from(!previous.is_empty());
                previous.clone()
            }
            None => codes(diagnostics.iter().filter(|d| !d.is_error())),
        };
        match outcome.written {
            Ok(w) => {
                unchanged += usize::from(!w.changed);
                manifest.tenants.push(ManifestEntry {
                    name: tenant.name.clone(),
                    source: stamp.clone(),
                    output: format!("{}{}", tenant.name, batch::DOCUMENT_SUFFIX),
                    status: Status::Ok,
                    output_sha256: Some(w.sha256),
                    private: w.private,
                    secret_places: w.secret_places,
                    errors: Vec::new(),
                    warnings,
                });
            }
            Err(why) => {
                if !why.is_empty() {
                    reportln!("error: {why}");
                }
                let mut entry = failed_entry(
                    &tenant.name,
                    Some(stamp.clone()),
                    codes(diagnostics.iter().filter(|d| d.is_error())),
                );
                entry.warnings = warnings;
                manifest.tenants.push(entry);
                failures.push(tenant.name.clone());
            }
        }
    }
    failures.sort();
    let total = files.len();
    let ok = total - failures.len();
    let Some(out_dir) = out_dir else {
        reportln!(
            "checked {total} tenant{}: {ok} built, {} failed; nothing was written",
            if total == 1 { "" } else { "s" },
            failures.len(),
        );
        return finished(failures);
    };
    if reused > 0 {
        reportln!(
            "note: {reused} tenant{} unchanged since the last render {} not rebuilt{}",
            if reused == 1 { "" } else { "s" },
            if reused == 1 { "was" } else { "were" },
            if reused_with_warnings > 0 {
                format!(
                    "; {reused_with_warnings} of them had warnings, listed in {}",
                    out_dir.join(provenance::MANIFEST_NAME).display()
                )
            } else {
                String::new()
            }
        );
    }
    let (removed, kept) = settle_stale(out_dir, &manifest, previous.as_ref(), prune);
    manifest.removed = removed.iter().map(|e| e.output.clone()).collect();
    manifest.kept = kept.iter().map(|(e, _)| e.clone()).collect();
    // Last: the manifest that says the run completed.
    outdir::write_manifest(out_dir, &manifest).map_err(Failure::usage)?;
    if let Some(lock) = held {
        lock.release();
    }
    reportln!(
        "rendered {total} tenant{}: {} written, {unchanged} unchanged, {} failed, in {}",
        if total == 1 { "" } else { "s" },
        ok - unchanged,
        failures.len(),
        out_dir.display(),
    );
    if !removed.is_empty() {
        reportln!(
            "removed stale document{}: {}",
            if removed.len() == 1 { "" } else { "s" },
            manifest.removed.join(", ")
        );
    }
    for (entry, why) in &kept {
        reportln!("kept {}: {why}", entry.output);
    }
    finished(failures)
}

/// Takes OUTDIR for a run: creates it, locks it, reads what the last render left, and marks the
/// manifest in progress before anything else in the folder changes.
fn begin(
    dir: &Path,
    template: &wxcflow::flow::Source,
    planned: &[String],
) -> Result<(outdir::Lock, Option<Manifest>), Failure> {
    if let Err(e) = std::fs::create_dir_all(dir) {
        return Err(Failure::usage(format!(
            "cannot create {}: {e}",
            dir.display()
        )));
    }
    let lock = outdir::lock(dir).map_err(Failure::usage)?;
    // A manifest this version cannot read describes nothing it may reuse or remove.
    let previous = match outdir::read_manifest(dir) {
        Ok(found) => found,
        Err(why) => {
            reportln!("note: {why}: nothing in the folder is reused or removed; `wxcflow verify` lists what this render did not write");
            None
        }
    };
    let marker = Manifest::in_progress(template.clone(), previous.as_ref(), planned);
    outdir::write_manifest(dir, &marker).map_err(Failure::usage)?;
    Ok((lock, previous))
}

/// Refuses an OUTDIR that is the tenants folder, lies inside it, or is a `--secrets-dir`: the
/// render would write documents where it reads tenants or secrets. Paths are compared canonical;
/// an OUTDIR that does not exist yet by its nearest existing ancestor.
fn refuse_overlap(out_dir: &Path, tenants_dir: &Path) -> Result<(), Failure> {
    let out = canonical_or_planned(out_dir);
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
        if SECRETS_DIRS.get().into_iter().flatten().any(|d| d == out) {
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

/// Removes the documents that do not belong to this run and may go; gives those removed and
/// those kept (with why). See [`batch::stale_action`].
fn settle_stale(
    out_dir: &Path,
    manifest: &Manifest,
    previous: Option<&Manifest>,
    prune: bool,
) -> (Vec<ManifestEntry>, Vec<(ManifestEntry, &'static str)>) {
    let mut removed = Vec::new();
    let mut kept = Vec::new();
    for entry in batch::stale_candidates(manifest, previous) {
        let path = out_dir.join(&entry.output);
        match batch::stale_action(&entry, &outdir::found(&path), prune) {
            StaleAction::Forget => {}
            StaleAction::Remove => match std::fs::remove_file(&path) {
                Ok(()) => removed.push(entry),
                Err(_) => kept.push((entry, "could not be removed")),
            },
            StaleAction::Keep(why) => kept.push((entry, why)),
        }
    }
    (removed, kept)
}

/// Diagnostic codes, sorted, once each.
fn codes<'d>(diagnostics: impl Iterator<Item = &'d Diagnostic>) -> Vec<String> {
    let mut codes: Vec<String> = diagnostics.map(|d| d.code.as_str().to_string()).collect();
    codes.sort();
    codes.dedup();
    codes
}

/// What became of one tenant.
struct TenantOutcome {
    diagnostics: Vec<Diagnostic>,
    /// Where the tenant file holds secrets written literally: hidden when quoted.
    secret_spans: Vec<wxcflow::diagnostic::Span>,
    written: Result<Written, String>,
    /// Not rebuilt: the warnings the last render recorded for it.
    reused_warnings: Option<Vec<String>>,
}

/// The document's digest when the last render's document for this tenant is still valid: see
/// [`batch::reusable_digest`].
fn still_current(
    entry: &ManifestEntry,
    stamp: &wxcflow::flow::Source,
    tenant: &wxcflow::render::Tenant,
    target: &Path,
) -> Option<String> {
    batch::reusable_digest(entry, stamp, &tenant.source.text, || {
        if !std::fs::symlink_metadata(target).is_ok_and(|m| m.is_file()) {
            return None;
        }
        io::read_output(target, wxcflow::MAX_INPUT_BYTES).ok()
    })
}

fn failed_entry(
    name: &str,
    stamp: Option<wxcflow::flow::Source>,
    codes: Vec<String>,
) -> ManifestEntry {
    let mut errors: Vec<String> = codes.into_iter().filter(|c| !c.is_empty()).collect();
    errors.sort();
    errors.dedup();
    ManifestEntry {
        name: name.to_string(),
        // An unreadable tenant has no content to hash: its name alone, and the digest of nothing.
        source: stamp.unwrap_or_else(|| wxcflow::flow::Source {
            name: format!("{name}.toml"),
            sha256: provenance::sha256_hex(b""),
        }),
        output: format!("{name}{}", batch::DOCUMENT_SUFFIX),
        status: Status::Failed,
        output_sha256: None,
        private: false,
        secret_places: Default::default(),
        errors,
        warnings: Vec::new(),
    }
}

/// A document as written (or found already written).
struct Written {
    changed: bool,
    private: bool,
    /// Its digest as the manifest records it (see [`batch::document_digest`]).
    sha256: String,
    secret_places: std::collections::BTreeMap<String, String>,
}

/// Writes a document unless the file already holds exactly these bytes with the right privacy:
/// an unchanged tenant keeps its file and its modification time.
fn write_if_changed(
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
    if same_file_content(target, bytes, private) {
        return Ok(written(false));
    }
    let options = io::WriteOptions {
        private,
        durable: false,
        links: io::Links::Replace,
        keep_mode: false,
        in_place: false,
    };
    io::write_output(target, bytes, options)?;
    Ok(written(true))
}

/// Whether `target` is a regular file (not a link) holding `bytes`, private when it must be.
fn same_file_content(target: &Path, bytes: &[u8], private: bool) -> bool {
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
    io::read_output(target, bytes.len()).is_ok_and(|old| old == bytes)
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
