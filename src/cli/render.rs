//! render: one template, a folder of tenants, in parallel. Afterwards the output folder
//! describes exactly this run: its documents, a manifest, and no document of an earlier run
//! that this one did not confirm.

use super::*;
use wxcflow::emit::provenance::{self, Manifest, ManifestEntry, Status};

/// A tenant file read and parsed, or why not (with its text, when it could be read).
type LoadedTenant = Result<wxcflow::render::Tenant, TenantFailure>;

enum TenantFailure {
    Unreadable(io::ReadError),
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

/// A tenant file found in the folder: its path and its name (the file stem).
pub(super) struct TenantFile {
    pub(super) path: PathBuf,
    pub(super) name: String,
}

/// The tenant files of a folder, and every other entry with why it is not one. A tenant file
/// is a regular file (or a link to one) whose name ends in `.toml`, in any case (`ACME.TOML`
/// is tenant `ACME`): files copied from case-insensitive disks keep their meaning.
pub(super) fn scan_tenants(dir: &Path) -> Result<(Vec<TenantFile>, Vec<String>), String> {
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
    let mut tenants = Vec::new();
    let mut skipped = Vec::new();
    for (path, file_name) in found {
        let shown = path.display();
        let is_toml = file_name.len() > 5
            && file_name.is_char_boundary(file_name.len() - 5)
            && file_name[file_name.len() - 5..].eq_ignore_ascii_case(".toml");
        if !is_toml {
            skipped.push(format!("{shown}: not a .toml file"));
            continue;
        }
        if file_name.starts_with("._") {
            skipped.push(format!(
                "{shown}: macOS metadata (AppleDouble), not a tenant file"
            ));
            continue;
        }
        match std::fs::metadata(&path) {
            Ok(meta) if meta.is_file() => tenants.push(TenantFile {
                name: file_name[..file_name.len() - 5].to_string(),
                path,
            }),
            Ok(meta) => skipped.push(format!("{shown}: {}", not_a_file(&meta))),
            Err(e) => skipped.push(format!("{shown}: a link that cannot be followed ({e})")),
        }
    }
    Ok((tenants, skipped))
}

/// What a directory entry is, when it is not a regular file.
fn not_a_file(meta: &std::fs::Metadata) -> &'static str {
    if meta.is_dir() {
        return "a directory, not a file";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        let kind = meta.file_type();
        if kind.is_fifo() {
            return "a FIFO, not a regular file (it could block the batch)";
        }
        if kind.is_socket() {
            return "a socket, not a regular file";
        }
        if kind.is_char_device() || kind.is_block_device() {
            return "a device, not a regular file";
        }
    }
    "not a regular file"
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

pub(super) fn render(
    template: &Path,
    tenants_dir: &Path,
    out_dir: &Path,
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
    for why in &skipped {
        reportln!("note: skipped {why}");
    }
    if files.is_empty() {
        return Err(Failure::input(format!(
            "no tenant files (*.toml) in {}; nothing was rendered",
            tenants_dir.display()
        )));
    }
    // Names become file names: refuse any that could escape OUTDIR or collide (also on
    // case-insensitive file systems).
    let mut seen = std::collections::BTreeMap::new();
    for file in &files {
        let name = &file.name;
        if !safe_tenant_name(name) {
            return Err(Failure::usage(format!("tenant name `{name}` ({}) is not a safe file name: use letters, digits, _, - and .", file.path.display())));
        }
        if let Some(other) = seen.insert(name.to_lowercase(), name.clone()) {
            return Err(Failure::usage(format!("tenants `{other}` and `{name}` would write the same file on a case-insensitive disk")));
        }
    }
    if let Err(e) = std::fs::create_dir_all(out_dir) {
        return Err(Failure::usage(format!(
            "cannot create {}: {e}",
            out_dir.display()
        )));
    }
    let threads = pool_size(jobs, files.len());
    let pool = match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
        Ok(p) => p,
        Err(e) => return Err(Failure::usage(format!("cannot start {threads} jobs: {e}"))),
    };
    let store = FsSecrets::beside(files.first().map(|f| f.path.as_path()));
    let progress = progress_bar(files.len());
    let template_source = provenance::source(&source.name, source.text.as_bytes());
    // Read and parse every tenant (a bad tenant file is that tenant's failure, not the batch's).
    let loaded: Vec<(String, Option<wxcflow::flow::Source>, LoadedTenant)> = pool.install(|| {
        files
            .par_iter()
            .map(|file| {
                let name = file.name.clone();
                match read_source(&file.path) {
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
    // What the last render into this folder did, if it used this tool and this template.
    let previous = read_manifest(out_dir);
    let reusable: std::collections::HashMap<&str, &ManifestEntry> = previous
        .iter()
        .filter(|m| m.tool == provenance::TOOL && m.template == template_source)
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
                let target = out_dir.join(format!("{}.flow.json", tenant.name));
                let stamp = stamps[i].clone();
                if let Some(entry) = reusable.get(tenant.name.as_str()) {
                    if let Some(sha256) = still_current(entry, &stamp, tenant, &target) {
                        progress.inc(1);
                        return TenantOutcome {
                            diagnostics: Vec::new(),
                            secret_spans: Vec::new(),
                            written: Ok(Written {
                                changed: false,
                                private: false,
                                sha256,
                            }),
                            reused_warnings: Some(entry.warnings.clone()),
                        };
                    }
                }
                let build = compiler().build_rendered(&renderer, Some(tenant), &store);
                let private = build.holds_secret();
                let written = match build.output {
                    Some((mut document, json)) => {
                        let json = provenance::stamp_json(
                            &json,
                            template_source.clone(),
                            Some(stamp.clone()),
                        )
                        .unwrap_or_else(|| {
                            provenance::stamp(&mut document, template_source.clone(), Some(stamp))
                        });
                        write_if_changed(&target, json.as_bytes(), private)
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
    for ((tenant, stamp), outcome) in tenants.iter().zip(&stamps).zip(&outcomes) {
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
        match &outcome.written {
            Ok(w) => {
                unchanged += usize::from(!w.changed);
                manifest.tenants.push(ManifestEntry {
                    name: tenant.name.clone(),
                    source: stamp.clone(),
                    output: format!("{}.flow.json", tenant.name),
                    status: Status::Ok,
                    output_sha256: (!w.private).then(|| w.sha256.clone()),
                    private: w.private,
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
    let Stale {
        removed,
        kept,
        kept_private,
    } = remove_stale(out_dir, &manifest, previous.as_ref());
    manifest.removed = removed.clone();
    let manifest_path = out_dir.join(provenance::MANIFEST_NAME);
    let options = io::WriteOptions {
        private: false,
        durable: true,
        links: io::Links::Replace,
        keep_mode: false,
        in_place: false,
    };
    if let Err(e) = io::write_output(&manifest_path, manifest.to_json().as_bytes(), options) {
        return Err(Failure::usage(e));
    }
    failures.sort();
    let total = files.len();
    let ok = total - failures.len();
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
            removed.join(", ")
        );
    }
    let report_kept = |names: &[String], one: &str, many: &str| {
        if !names.is_empty() {
            let (why, it) = if names.len() == 1 {
                (one, "it")
            } else {
                (many, "them")
            };
            reportln!(
                "kept {}: {why}; remove {it} by hand if stale",
                names.join(", ")
            );
        }
    };
    report_kept(
        &kept_private,
        "it holds secrets, so an edit cannot be told (no digest is kept)",
        "they hold secrets, so an edit cannot be told (no digest is kept)",
    );
    report_kept(
        &kept,
        "changed since wxcflow wrote it",
        "changed since wxcflow wrote them",
    );
    if failures.is_empty() {
        Ok(Done::Clean)
    } else {
        Err(Failure::problems_with(format!(
            "failed: {}",
            failures.join(", ")
        )))
    }
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

/// The manifest a previous render left in the folder, if any.
fn read_manifest(out_dir: &Path) -> Option<Manifest> {
    // A manifest lists every tenant in a few hundred bytes each: 64 MiB is ample.
    let path = out_dir.join(provenance::MANIFEST_NAME);
    if !std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file()) {
        return None;
    }
    let bytes = io::read_output(&path, 64 * 1024 * 1024).ok()?;
    Manifest::parse(std::str::from_utf8(&bytes).ok()?)
}

/// The document's sha256 when the last render's document for this tenant is still valid: same
/// tool and template (checked by the caller), same tenant file, no values taken from the
/// environment or secret files (which can change without the tenant file changing), and the
/// document still the file that render wrote. Rendering is deterministic, so it would come out
/// byte for byte the same.
fn still_current(
    entry: &ManifestEntry,
    stamp: &wxcflow::flow::Source,
    tenant: &wxcflow::render::Tenant,
    target: &Path,
) -> Option<String> {
    let expected = entry.output_sha256.as_ref()?;
    if &entry.source != stamp || entry.private || takes_outside_values(&tenant.source.text) {
        return None;
    }
    if !std::fs::symlink_metadata(target).is_ok_and(|m| m.is_file()) {
        return None;
    }
    let bytes = io::read_output(target, wxcflow::MAX_INPUT_BYTES).ok()?;
    (&provenance::sha256_hex(&bytes) == expected).then(|| expected.clone())
}

/// Whether a tenant file takes a value from the environment or a file (`{ env = ... }`).
fn takes_outside_values(text: &str) -> bool {
    toml::from_str::<toml::Table>(text).map_or(true, |table| {
        table.values().any(|v| matches!(v, toml::Value::Table(_)))
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
    let warnings = Vec::new();
    ManifestEntry {
        name: name.to_string(),
        // An unreadable tenant has no content to hash: its name alone, and the digest of nothing.
        source: stamp.unwrap_or_else(|| wxcflow::flow::Source {
            name: format!("{name}.toml"),
            sha256: provenance::sha256_hex(b""),
        }),
        output: format!("{name}.flow.json"),
        status: Status::Failed,
        output_sha256: None,
        private: false,
        errors,
        warnings,
    }
}

/// A document as written (or found already written).
struct Written {
    changed: bool,
    private: bool,
    sha256: String,
}

/// Writes a document unless the file already holds exactly these bytes with the right privacy:
/// an unchanged tenant keeps its file and its modification time.
fn write_if_changed(target: &Path, bytes: &[u8], private: bool) -> Result<Written, String> {
    let sha256 = provenance::sha256_hex(bytes);
    if same_file_content(target, bytes, private) {
        return Ok(Written {
            changed: false,
            private,
            sha256,
        });
    }
    let options = io::WriteOptions {
        private,
        durable: false,
        links: io::Links::Replace,
        keep_mode: false,
        in_place: false,
    };
    io::write_output(target, bytes, options)?;
    Ok(Written {
        changed: true,
        private,
        sha256,
    })
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
        if private && meta.permissions().mode() & 0o077 != 0 {
            return false;
        }
    }
    io::read_output(target, bytes.len()).is_ok_and(|old| old == bytes)
}

/// What became of the documents that do not belong to this run.
#[derive(Default)]
struct Stale {
    removed: Vec<String>,
    /// Changed since wxcflow wrote them: left for their owner to look at.
    kept: Vec<String>,
    /// Holding secrets, so with no digest to tell an edit by: left for their owner too.
    kept_private: Vec<String>,
}

/// Removes the documents that do not belong to this run (those of tenants that failed or are
/// gone) that the last render wrote and that are still as it wrote them, by their digest. A file
/// wxcflow never wrote is left alone; one changed since (by hand, by another tool), or one
/// holding secrets (the manifest keeps no digest of it, so an edit cannot be told), is kept and
/// listed.
fn remove_stale(out_dir: &Path, manifest: &Manifest, previous: Option<&Manifest>) -> Stale {
    let ok: std::collections::BTreeSet<&str> = manifest
        .tenants
        .iter()
        .filter(|t| t.status == Status::Ok)
        .map(|t| t.output.as_str())
        .collect();
    let mut candidates: Vec<&ManifestEntry> = previous
        .into_iter()
        .flat_map(|m| &m.tenants)
        .filter(|t| t.status == Status::Ok)
        // Only plain document names: an edited manifest cannot point outside the folder.
        .filter(|t| !ok.contains(t.output.as_str()) && is_document_name(&t.output))
        .collect();
    candidates.sort_by(|a, b| a.output.cmp(&b.output));
    candidates.dedup_by(|a, b| a.output == b.output);
    let mut stale = Stale::default();
    for entry in candidates {
        let path = out_dir.join(&entry.output);
        // A failed write may have been a refusal to replace an input: never delete one.
        if io::is_input(&path) || !std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file()) {
            continue;
        }
        let Some(expected) = &entry.output_sha256 else {
            stale.kept_private.push(entry.output.clone());
            continue;
        };
        let as_written = io::read_output(&path, wxcflow::MAX_INPUT_BYTES)
            .is_ok_and(|bytes| &provenance::sha256_hex(&bytes) == expected);
        if !as_written {
            stale.kept.push(entry.output.clone());
        } else if std::fs::remove_file(&path).is_ok() {
            stale.removed.push(entry.output.clone());
        }
    }
    stale
}

fn is_document_name(name: &str) -> bool {
    name.strip_suffix(".flow.json")
        .is_some_and(safe_tenant_name)
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
