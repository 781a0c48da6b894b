//! The decisions of a render batch and of `verify`, on data the caller read: which tenant names
//! may become file names, how skipped entries are summarised, which documents of an earlier run
//! are removed, kept or pruned, and whether a render folder is exactly what one completed render
//! wrote. No file is touched here: the command reads the folder and hands over what it found.

use crate::emit::provenance::{self, Manifest, ManifestEntry, State, Status};
use std::collections::{BTreeMap, BTreeSet};

/// What a document's file name adds to a tenant's name.
pub const DOCUMENT_SUFFIX: &str = ".flow.json";

/// The lock file a render holds in its output folder for the whole run.
pub const LOCK_NAME: &str = ".wxcflow-render.lock";

/// The longest file name most file systems take (ext4, APFS, NTFS: 255 bytes).
const NAME_MAX: usize = 255;

/// Windows device names: a file so named (with any extension) opens the device instead.
const RESERVED: [&str; 4] = ["CON", "PRN", "AUX", "NUL"];

/// Why a tenant name cannot be a file name, as the rule it breaks; `None` when it is safe.
/// Names become `OUTDIR/<name>.flow.json` on any system a render folder is copied to.
pub(crate) fn unsafe_name_rule(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("a tenant name must not be empty".into());
    }
    if name.starts_with('.') {
        return Some("a tenant name must not start with `.` (a hidden file)".into());
    }
    if name.starts_with('-') {
        return Some("a tenant name must not start with `-` (read as an option by tools)".into());
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        return Some("a tenant name is made of letters, digits, `_`, `-` and `.`".into());
    }
    if name.ends_with('.') || name.ends_with(' ') {
        return Some("a tenant name must not end with `.` or a space (Windows drops them)".into());
    }
    let stem = name.split('.').next().unwrap_or(name).to_ascii_uppercase();
    let device = RESERVED.contains(&stem.as_str())
        || ["COM", "LPT"].iter().any(|p| {
            stem.strip_prefix(p)
                .is_some_and(|n| n.len() == 1 && matches!(n.as_bytes()[0], b'1'..=b'9'))
        });
    if device {
        return Some(format!(
            "a tenant name must not be a Windows device name (`{stem}`: CON, PRN, AUX, NUL, COM1-9, LPT1-9, with any extension)"
        ));
    }
    if name.len() + DOCUMENT_SUFFIX.len() > NAME_MAX {
        return Some(format!(
            "a tenant name is at most {} bytes (`<name>{DOCUMENT_SUFFIX}` must fit in {NAME_MAX})",
            NAME_MAX - DOCUMENT_SUFFIX.len()
        ));
    }
    None
}

/// Whether `name` is a document file name a render writes (`<safe tenant name>.flow.json`).
pub fn is_document_name(name: &str) -> bool {
    name.strip_suffix(DOCUMENT_SUFFIX)
        .is_some_and(|t| unsafe_name_rule(t).is_none())
}

/// The tenant a folder entry's file name names: `acme` for `acme.toml`, in any case (`ACME.TOML`
/// is tenant `ACME`: files copied from case-insensitive disks keep their meaning); or why the
/// name is not a tenant file's.
pub fn tenant_name(file_name: &str) -> Result<&str, SkipReason> {
    let stem = file_name.len().checked_sub(5).filter(|&n| n > 0);
    let Some(stem) = stem.and_then(|n| {
        let suffix = file_name.get(n..)?;
        suffix
            .eq_ignore_ascii_case(".toml")
            .then(|| &file_name[..n])
    }) else {
        return Err(SkipReason::NotToml);
    };
    if file_name.starts_with("._") {
        return Err(SkipReason::AppleDouble);
    }
    Ok(stem)
}

/// Why an entry of a tenants folder is not a tenant file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SkipReason {
    /// Its name does not end in `.toml`.
    NotToml,
    /// `._name.toml`: macOS metadata.
    AppleDouble,
    /// A directory.
    Directory,
    /// A FIFO, never opened (it could block the batch).
    Fifo,
    /// A socket.
    Socket,
    /// A device.
    Device,
    /// A link that leads nowhere, or loops.
    BrokenLink,
    /// Anything else that is not a regular file.
    Other,
}

impl SkipReason {
    /// The note for one entry (`<path>: <this>`), and how the entries beyond the notes are
    /// counted (`K <this>`).
    fn words(self) -> (&'static str, &'static str) {
        match self {
            SkipReason::NotToml => ("not a .toml file", "not .toml"),
            SkipReason::AppleDouble => (
                "macOS metadata (AppleDouble), not a tenant file",
                "macOS metadata",
            ),
            SkipReason::Directory => ("a directory, not a file", "directories"),
            SkipReason::Fifo => (
                "a FIFO, not a regular file (it could block the batch)",
                "FIFOs",
            ),
            SkipReason::Socket => ("a socket, not a regular file", "sockets"),
            SkipReason::Device => ("a device, not a regular file", "devices"),
            SkipReason::BrokenLink => ("a link that cannot be followed", "broken links"),
            SkipReason::Other => ("not a regular file", "not regular files"),
        }
    }
}

/// Notes shown one by one before the rest are summarised.
pub(crate) const SKIPPED_SHOWN: usize = 10;

/// The notes for skipped entries (`(path, reason)`, in folder order): the first
/// `SKIPPED_SHOWN` one by one, then one line counting the rest by reason.
pub fn skipped_notes(skipped: &[(String, SkipReason)]) -> Vec<String> {
    let mut notes: Vec<String> = skipped
        .iter()
        .take(SKIPPED_SHOWN)
        .map(|(path, why)| format!("note: skipped {path}: {}", why.words().0))
        .collect();
    let rest = &skipped[skipped.len().min(SKIPPED_SHOWN)..];
    if !rest.is_empty() {
        let mut counts: BTreeMap<SkipReason, usize> = BTreeMap::new();
        for (_, why) in rest {
            *counts.entry(*why).or_default() += 1;
        }
        let by_reason: Vec<String> = counts
            .iter()
            .map(|(why, n)| format!("{n} {}", why.words().1))
            .collect();
        notes.push(format!(
            "note: and {} more skipped ({})",
            rest.len(),
            by_reason.join(", ")
        ));
    }
    notes
}

/// The digest a manifest entry records for a document's bytes: its sha256, or for a document
/// holding secrets the digest with each secret replaced by its declared place.
pub fn document_digest(
    bytes: &[u8],
    private: bool,
    places: &BTreeMap<String, String>,
) -> Option<String> {
    if private {
        provenance::redacted_sha256(bytes, places)
    } else {
        Some(provenance::sha256_hex(bytes))
    }
}

/// Whether `bytes` are the document `entry` says wxcflow wrote.
pub(crate) fn as_written(entry: &ManifestEntry, bytes: &[u8]) -> bool {
    entry.output_sha256.is_some()
        && document_digest(bytes, entry.private, &entry.secret_places) == entry.output_sha256
}

/// Whether a tenant need not be rebuilt: its document's digest when the last completed render's
/// document for it is still valid. The caller has checked that render was this build's of this
/// template ([`Manifest::reusable_for`]); here: the same tenant file, no values taken from the
/// environment or secret files (which can change while the tenant file does not), and the
/// document (read by `document`, only when all else allows reuse: a regular file's bytes, or
/// `None`) still the bytes that render wrote. Rendering is deterministic, so it would come out
/// byte for byte the same. A document holding secrets is always rebuilt.
pub fn reusable_digest(
    entry: &ManifestEntry,
    tenant: &crate::flow::Source,
    tenant_text: &str,
    document: impl FnOnce() -> Option<Vec<u8>>,
) -> Option<String> {
    let expected = entry.output_sha256.as_ref()?;
    if entry.status != Status::Ok
        || &entry.source != tenant
        || entry.private
        || takes_outside_values(tenant_text)
    {
        return None;
    }
    (&provenance::sha256_hex(&document()?) == expected).then(|| expected.clone())
}

/// Whether a tenant file takes a value from the environment or a file (`{ env = ... }`).
fn takes_outside_values(text: &str) -> bool {
    toml::from_str::<toml::Table>(text).map_or(true, |table| {
        table.values().any(|v| matches!(v, toml::Value::Table(_)))
    })
}

/// Documents an earlier run wrote that this run did not: earlier documents of tenants that
/// failed or are gone, documents kept by earlier runs, and documents an earlier run planned to
/// write and never confirmed (it was killed; see [`Manifest::planned`]): those come with
/// [`Status::Planned`]. Only plain document names: an edited manifest cannot point outside the
/// folder.
pub(crate) fn stale_candidates(
    current: &Manifest,
    previous: Option<&Manifest>,
) -> Vec<ManifestEntry> {
    let ok: BTreeSet<&str> = current
        .tenants
        .iter()
        .filter(|t| t.status == Status::Ok)
        .map(|t| t.output.as_str())
        .collect();
    let stale = |output: &str| !ok.contains(output) && is_document_name(output);
    let mut candidates: Vec<ManifestEntry> = previous
        .into_iter()
        .flat_map(|m| {
            m.tenants
                .iter()
                .filter(|t| t.status == Status::Ok)
                .chain(&m.kept)
        })
        .filter(|t| stale(&t.output))
        .cloned()
        .collect();
    candidates.sort_by(|a, b| a.output.cmp(&b.output));
    candidates.dedup_by(|a, b| a.output == b.output);
    let planned: BTreeSet<&str> = previous
        .into_iter()
        .flat_map(|m| &m.planned)
        .map(String::as_str)
        .filter(|o| stale(o))
        .collect();
    for entry in &mut candidates {
        if planned.contains(entry.output.as_str()) {
            entry.status = Status::Planned;
        }
    }
    let known: BTreeSet<String> = candidates.iter().map(|c| c.output.clone()).collect();
    for output in planned {
        if !known.contains(output) {
            candidates.push(planned_entry(output));
        }
    }
    candidates.sort_by(|a, b| a.output.cmp(&b.output));
    candidates
}

/// The entry of a document a render planned to write and never confirmed: no digest, and a
/// tenant file known by name only (the digest of nothing stands in for its content).
fn planned_entry(output: &str) -> ManifestEntry {
    let name = output.strip_suffix(DOCUMENT_SUFFIX).unwrap_or(output);
    ManifestEntry {
        name: name.to_string(),
        source: crate::flow::Source {
            name: format!("{name}.toml"),
            sha256: provenance::sha256_hex(b""),
        },
        output: output.to_string(),
        status: Status::Planned,
        output_sha256: None,
        private: false,
        secret_places: BTreeMap::new(),
        errors: Vec::new(),
        warnings: Vec::new(),
    }
}

/// A stale document as found in the folder.
pub enum Found {
    /// No regular file there (gone, or replaced by something wxcflow did not write).
    Absent,
    /// One of this run's inputs: never removed.
    Input,
    /// A regular file with these bytes.
    File(Vec<u8>),
}

/// What to do with a stale document.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum StaleAction {
    /// Gone already: forget it.
    Forget,
    /// Remove it: still as wxcflow wrote it, and holding no secret (or `--prune`).
    Remove,
    /// Keep it and name it, with why; the manifest lists it so every later render does too.
    Keep(&'static str),
}

/// Why a tenant's earlier document is kept when its new one could not be written.
pub(crate) const UNWRITTEN_KEPT: &str =
    "its new document could not be written, so the earlier one is kept as it was";

/// What `verify` says of such a document.
const UNWRITTEN_VERIFIED: &str = "the last render could not write its tenant's new document (see its `wxc::io`), so this earlier one was kept as it was: render again once the folder can be written";

/// Why a document changed since wxcflow wrote it is kept, even with `--prune`.
pub(crate) const CHANGED_KEPT: &str = "changed since wxcflow wrote it: remove it by hand";

/// Why a document a killed render planned to write is kept, even with `--prune`.
pub(crate) const PLANNED_KEPT: &str = "a render was stopped while it was about to write it, so whether it is still as wxcflow wrote it cannot be told (it may hold secrets): remove it by hand";

/// Decides a stale document's fate. A document still as wxcflow wrote it is removed, except one
/// holding secrets, which only `--prune` removes (a deleted tenant's secret document may be the
/// only copy of a deployed credential set; it is named on every render until then). A document
/// a killed render planned to write ([`Status::Planned`]) and that is not the one an earlier
/// completed render recorded has no digest to tell it by: it may be what the killed render
/// wrote, or a file edited by hand since, so it is kept and named, even with `--prune` (which
/// removes only documents still as wxcflow wrote them). So is a document changed since
/// wxcflow wrote it: it is someone's.
pub(crate) fn stale_action(entry: &ManifestEntry, found: &Found, prune: bool) -> StaleAction {
    match found {
        Found::Absent | Found::Input => StaleAction::Forget,
        Found::File(bytes) if as_written(entry, bytes) => {
            if entry.private && !prune {
                StaleAction::Keep(
                    "its tenant is gone or failed and it holds secrets; `render --prune` removes it",
                )
            } else {
                StaleAction::Remove
            }
        }
        Found::File(_) if entry.status == Status::Planned => StaleAction::Keep(PLANNED_KEPT),
        Found::File(_) => StaleAction::Keep(CHANGED_KEPT),
    }
}

/// What `verify` found wrong with a render folder.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Problem {
    /// The manifest is in progress: a render is running, or was killed.
    Interrupted,
    /// A render holds the folder's lock right now.
    Locked,
    /// A document the manifest lists is not there (or not a regular file).
    Missing,
    /// A document is not what the manifest says was written.
    Changed,
    /// A document's provenance names another template, tenant file or tool than the manifest.
    Stale,
    /// A document holding secrets, or a manifest that must be as private as such documents,
    /// does not have mode 0600 exactly.
    NotPrivate,
    /// The manifest contradicts itself or the folder: a tenant listed twice, an entry whose
    /// name is not its document's, a document holding secrets that its entry calls not private
    /// (or the other way round).
    Inconsistent,
    /// A file the manifest does not list.
    Unlisted,
    /// A document of a tenant that is gone or failed, kept by the last render.
    Kept,
    /// A tenant failed in the last render: it has no document.
    Failed,
}

/// One finding of `verify`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    /// What kind of problem.
    pub problem: Problem,
    /// The file it is about, relative to the folder (the manifest for the folder as a whole).
    pub file: String,
    /// What was found, for people.
    pub message: String,
}

impl Finding {
    fn new(problem: Problem, file: &str, message: impl Into<String>) -> Finding {
        Finding {
            problem,
            file: file.to_string(),
            message: message.into(),
        }
    }
}

/// A document as `verify` found it.
pub enum Document {
    /// Not there, or not a regular file.
    Missing,
    /// A regular file: its bytes and mode.
    File {
        /// Its content.
        bytes: Vec<u8>,
        /// Its permission bits (`mode & 0o7777`); `None` where there are none (Windows).
        mode: Option<u32>,
    },
}

/// Findings about the manifest as a whole.
pub fn verify_manifest(manifest: &Manifest) -> Vec<Finding> {
    let mut found = Vec::new();
    if manifest.state == State::InProgress {
        found.push(Finding::new(
            Problem::Interrupted,
            provenance::MANIFEST_NAME,
            "the manifest is in progress: a render began and did not complete (killed, or still running); render again",
        ));
    }
    for entry in &manifest.tenants {
        if entry.status == Status::Failed {
            let kept = manifest.kept.iter().any(|k| k.output == entry.output);
            found.push(Finding::new(
                Problem::Failed,
                &entry.output,
                format!(
                    "tenant {} failed in the last render: {}",
                    entry.name,
                    match kept {
                        true => "the document there is an earlier render's, kept",
                        false => "it has no document",
                    }
                ),
            ));
        }
    }
    // A tenant listed twice lists its document twice (or one entry names another's file). A
    // failed tenant's entry names no document of the render: its earlier one may be kept.
    let mut outputs = BTreeSet::new();
    let failed = |entry: &ManifestEntry| {
        manifest
            .tenants
            .iter()
            .any(|t| std::ptr::eq(t, entry) && t.status == Status::Failed)
    };
    for entry in manifest.tenants.iter().chain(&manifest.kept) {
        let own = format!("{}{DOCUMENT_SUFFIX}", entry.name);
        if entry.output != own {
            found.push(Finding::new(
                Problem::Inconsistent,
                &entry.output,
                format!(
                    "the manifest's entry for tenant {} names this file, not {own}",
                    entry.name
                ),
            ));
        }
        if !failed(entry) && !outputs.insert(entry.output.as_str()) {
            found.push(Finding::new(
                Problem::Inconsistent,
                &entry.output,
                "the manifest lists this document more than once",
            ));
        }
    }
    found
}

/// Whether the manifest is written private (mode 0600): it records each tenant file's digest,
/// which would let a secret typed in one (a literal secret parameter, a URL's password or key)
/// be guessed offline. Such a tenant's document is private, or the tenant failed (a value of the
/// wrong shape), or it was warned `wxc::literal-secret`: the manifest is then as private as the
/// documents (which `verify` must read anyway).
pub fn manifest_is_private(manifest: &Manifest) -> bool {
    let literal = crate::diagnostic::Code::LiteralSecret.as_str();
    (manifest.tenants.iter().chain(&manifest.kept))
        .any(|t| t.private || t.status == Status::Failed || t.warnings.iter().any(|w| w == literal))
}

/// A finding when the manifest's mode (`mode & 0o7777`; `None` where there are none) is not
/// what a render writes it with: 0600 exactly when it is private, as for a document holding
/// secrets. A manifest that need not be private is written 0644 less the umask: any mode goes.
pub fn verify_manifest_mode(manifest: &Manifest, mode: Option<u32>) -> Option<Finding> {
    let mode = mode.filter(|&m| manifest_is_private(manifest) && m & 0o7777 != 0o600)?;
    Some(Finding::new(
        Problem::NotPrivate,
        provenance::MANIFEST_NAME,
        format!(
            "it records the digests of tenant files that may type a secret and its mode is \
             {:04o} (it must be 0600 exactly)",
            mode & 0o7777
        ),
    ))
}

/// Whether a document holds a secret, decided from the document itself as the build decides it
/// (a `secret` variable with a non-empty default, or a credential typed in clear where a request
/// carries one); `None` when the bytes are not a flow document.
pub(crate) fn holds_secret(bytes: &[u8]) -> Option<bool> {
    serde_json::from_slice::<crate::flow::Document>(bytes)
        .ok()
        .map(|d| d.flow.holds_secret() || d.flow.holds_typed_credential())
}

/// Findings about one document the manifest lists (a tenant rendered `ok`, or a kept one).
pub fn verify_document(
    manifest: &Manifest,
    entry: &ManifestEntry,
    kept: bool,
    document: &Document,
) -> Vec<Finding> {
    let file = entry.output.as_str();
    let mut found = Vec::new();
    let (bytes, mode) = match document {
        Document::Missing if kept => return found,
        Document::Missing => {
            return vec![Finding::new(
                Problem::Missing,
                file,
                format!("tenant {}'s document is not in the folder", entry.name),
            )]
        }
        Document::File { bytes, mode } => (bytes, *mode),
    };
    if kept {
        // Kept because its tenant's new document could not be written (the tenant is listed
        // failed on `wxc::io`): the next render that can write replaces it. Else what
        // `render --prune` would do with it, said as it is.
        let unwritten = manifest.tenants.iter().any(|t| {
            t.output == entry.output
                && t.status == Status::Failed
                && t.errors
                    .iter()
                    .any(|c| c == crate::diagnostic::Code::Io.as_str())
        });
        let fate = match stale_action(entry, &Found::File(bytes.clone()), true) {
            _ if unwritten => UNWRITTEN_VERIFIED,
            StaleAction::Remove => "`render --prune` removes it",
            StaleAction::Keep(why) => why,
            StaleAction::Forget => CHANGED_KEPT,
        };
        let what = if entry.private {
            ", holding secrets"
        } else {
            ""
        };
        found.push(Finding::new(
            Problem::Kept,
            file,
            format!(
                "a document of tenant {}, which is gone or failed{what}; {fate}",
                entry.name
            ),
        ));
        return found;
    }
    // Whether it holds secrets is the document's to say, not the manifest's: the manifest is
    // not signed.
    let Some(secret) = holds_secret(bytes) else {
        found.push(Finding::new(
            Problem::Changed,
            file,
            "not a flow document wxcflow writes",
        ));
        return found;
    };
    if !as_written(entry, bytes) {
        found.push(Finding::new(
            Problem::Changed,
            file,
            if entry.private {
                "changed since wxcflow wrote it (outside its secret values, which its digest does not cover)"
            } else {
                "changed since wxcflow wrote it (its sha256 is not the manifest's)"
            },
        ));
    } else if let Some(why) = provenance_mismatch(manifest, entry, bytes) {
        found.push(Finding::new(Problem::Stale, file, why));
    }
    // Private for its tenant file alone: the file types a secret (its digest, in the
    // provenance, could let the secret be guessed), while the document holds none and leaves
    // nothing out of its digest. A manifest that says so only asks for more.
    let private_for_its_tenant = entry.private && !secret && entry.secret_places.is_empty();
    if secret != entry.private && !private_for_its_tenant {
        found.push(Finding::new(
            Problem::Inconsistent,
            file,
            if secret {
                "it holds secrets and the manifest says it does not (`\"private\": false`)"
            } else {
                "the manifest says it holds secrets (`\"private\": true`) and it holds none"
            },
        ));
    }
    if let Some(mode) = mode.filter(|&m| (secret || entry.private) && m & 0o7777 != 0o600) {
        let why = match secret {
            true => "it holds secrets",
            false => {
                "its provenance records the digest of a tenant file or template that types a secret"
            }
        };
        found.push(Finding::new(
            Problem::NotPrivate,
            file,
            format!(
                "{why} and its mode is {:04o} (it must be 0600 exactly)",
                mode & 0o7777
            ),
        ));
    }
    found
}

/// How a document's own provenance disagrees with the manifest, if it does.
fn provenance_mismatch(manifest: &Manifest, entry: &ManifestEntry, bytes: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let stamp = value.get("provenance")?;
    let source = |key: &str| -> Option<crate::flow::Source> {
        serde_json::from_value(stamp.get(key)?.clone()).ok()
    };
    if stamp.get("tool").and_then(|t| t.as_str()) != Some(manifest.tool.as_str()) {
        return Some(format!(
            "written by another tool than the manifest's ({})",
            manifest.tool
        ));
    }
    if source("template").as_ref() != Some(&manifest.template) {
        return Some(format!(
            "rendered from another template than {}",
            manifest.template.name
        ));
    }
    if source("tenant").as_ref() != Some(&entry.source) {
        return Some(format!(
            "rendered from another tenant file than {}",
            entry.source.name
        ));
    }
    None
}

/// Whether a file name is one a render gives a file it is writing before renaming it into
/// place: `.` and as many lowercase hex digits as the target's name is long less one, at most
/// 15; a render writes only documents (`NAME.flow.json`, 11 bytes or more) and its manifest, so
/// 10 to 15 digits. One found in a render folder under its lock is what a stopped run left; a
/// shorter name (`.cafe`) is never taken for one.
pub fn is_temporary_name(name: &str) -> bool {
    name.strip_prefix('.').is_some_and(|hex| {
        (10..=15).contains(&hex.len())
            && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    })
}

/// Files in the folder that the manifest does not list (its own files and the lock aside).
pub fn unlisted(manifest: &Manifest, names: &[String]) -> Vec<Finding> {
    let listed: BTreeSet<&str> = manifest
        .tenants
        .iter()
        .filter(|t| t.status == Status::Ok)
        .chain(&manifest.kept)
        .map(|t| t.output.as_str())
        .chain(manifest.planned.iter().map(String::as_str))
        .chain([provenance::MANIFEST_NAME, LOCK_NAME])
        .collect();
    names
        .iter()
        .filter(|n| !listed.contains(n.as_str()))
        .map(|n| match is_temporary_name(n) {
            true => Finding::new(
                Problem::Unlisted,
                n,
                "named as a temporary file a stopped run leaves; the next render removes it if it is a regular file",
            ),
            false => Finding::new(Problem::Unlisted, n, "a file the manifest does not list"),
        })
        .collect()
}

/// Why a folder of tenants cannot be rendered as named: names become file names.
#[derive(Debug, PartialEq, Eq)]
pub enum NameProblem {
    /// A name that could escape OUTDIR or mean something else on another system.
    Unsafe {
        /// The tenant's name.
        name: String,
        /// The tenant file, as shown.
        file: String,
        /// The rule it breaks.
        rule: String,
    },
    /// Two names that are one file (on a case-insensitive disk, or anywhere when they are the
    /// same: `acme.toml` and `acme.TOML`).
    Collision {
        /// The name seen first, and its file as shown.
        first: (String, String),
        /// The name that collides with it, and its file as shown.
        second: (String, String),
    },
}

impl std::fmt::Display for NameProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NameProblem::Unsafe { name, file, rule } => write!(
                f,
                "tenant name `{name}` ({file}) is not a safe file name: {rule}"
            ),
            NameProblem::Collision { first, second } => {
                let disk = match first.0 == second.0 {
                    true => "",
                    false => " on a case-insensitive disk",
                };
                write!(
                    f,
                    "tenants `{}` ({}) and `{}` ({}) would write the same file{disk}",
                    first.0, first.1, second.0, second.1
                )
            }
        }
    }
}

/// Refuses the first tenant name (with its file, as shown) that could escape OUTDIR, collide
/// with another (also on case-insensitive file systems) or mean something else on another system.
pub fn check_names<'n>(
    tenants: impl IntoIterator<Item = (&'n str, String)>,
) -> Result<(), NameProblem> {
    let mut seen = BTreeMap::new();
    for (name, file) in tenants {
        if let Some(rule) = unsafe_name_rule(name) {
            return Err(NameProblem::Unsafe {
                name: name.to_string(),
                file,
                rule,
            });
        }
        if let Some((other, other_file)) = seen.insert(name.to_lowercase(), (name, file.clone())) {
            return Err(NameProblem::Collision {
                first: (other.to_string(), other_file),
                second: (name.to_string(), file),
            });
        }
    }
    Ok(())
}

/// Parallel jobs: as asked, but never more threads than tenants, nor more than four per core
/// (a thread per tenant of a large batch only costs memory and start-up time).
pub fn pool_size(asked: Option<usize>, tenants: usize, cores: usize) -> usize {
    asked
        .filter(|&n| n > 0)
        .unwrap_or(cores)
        .min(cores * 4)
        .min(tenants)
        .max(1)
}

/// The last completed render's entries this run may reuse, by tenant name: only when that render
/// was this build's of this template (an in-progress manifest is never trusted), and only
/// tenants it built.
pub fn reusable<'m>(
    previous: Option<&'m Manifest>,
    template: &crate::flow::Source,
) -> std::collections::HashMap<&'m str, &'m ManifestEntry> {
    previous
        .iter()
        .filter(|m| m.reusable_for(template))
        .flat_map(|m| &m.tenants)
        .filter(|t| t.status == Status::Ok)
        .map(|t| (t.name.as_str(), t))
        .collect()
}

/// Diagnostic codes, sorted, once each.
pub(crate) fn codes<'d>(
    diagnostics: impl Iterator<Item = &'d crate::diagnostic::Diagnostic>,
) -> Vec<String> {
    let mut codes: Vec<String> = diagnostics.map(|d| d.code.as_str().to_string()).collect();
    codes.sort();
    codes.dedup();
    codes
}

/// A document as written (or found already written).
pub struct Written {
    /// Whether the file changed (`false`: it held these bytes already, or was reused).
    pub changed: bool,
    /// Whether it holds secrets (written 0600).
    pub private: bool,
    /// Its digest as the manifest records it (see [`document_digest`]).
    pub sha256: String,
    /// Where each secret value it holds comes from, for the digest.
    pub secret_places: BTreeMap<String, String>,
}

/// Why a tenant's document was not written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotWritten {
    /// It did not build: its diagnostics say why.
    Failed,
    /// It built, and writing it failed (the file system's words).
    Write(String),
}

/// What became of one tenant that was read and parsed.
pub struct TenantOutcome {
    /// Every error and warning of building it.
    pub diagnostics: Vec<crate::diagnostic::Diagnostic>,
    /// Where the tenant file holds secrets written literally: hidden when quoted.
    pub secret_spans: Vec<crate::diagnostic::Span>,
    /// The document, or why there is none.
    pub written: Result<Written, NotWritten>,
    /// Not rebuilt: the warnings the last render recorded for it.
    pub reused_warnings: Option<Vec<String>>,
}

impl TenantOutcome {
    /// A tenant not rebuilt: the last render's document, with this digest, is still current.
    pub fn reused(sha256: String, warnings: Vec<String>) -> TenantOutcome {
        TenantOutcome {
            diagnostics: Vec::new(),
            secret_spans: Vec::new(),
            written: Ok(Written {
                changed: false,
                private: false,
                sha256,
                secret_places: BTreeMap::new(),
            }),
            reused_warnings: Some(warnings),
        }
    }
}

/// The render folder as settling stale documents needs it.
pub trait Folder {
    /// A stale document as found there.
    fn found(&self, output: &str) -> Found;
    /// Removes a document; whether it is gone.
    fn remove(&self, output: &str) -> bool;
}

/// A render's record as it goes: the manifest it writes last, and what it reports.
pub struct Tally {
    /// The manifest this run writes, complete once every tenant is recorded.
    pub manifest: Manifest,
    total: usize,
    failures: Vec<String>,
    unchanged: usize,
    reused: usize,
    reused_with_warnings: usize,
    kept: Vec<(String, &'static str)>,
    /// The documents built but not written (a full disk, `ulimit -f`): the earlier ones stay.
    unwritten: BTreeSet<String>,
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

impl Tally {
    /// A render of `total` tenants with this template.
    pub fn new(template: crate::flow::Source, total: usize) -> Tally {
        Tally {
            manifest: Manifest::new(template),
            total,
            failures: Vec::new(),
            unchanged: 0,
            reused: 0,
            reused_with_warnings: 0,
            kept: Vec::new(),
            unwritten: BTreeSet::new(),
        }
    }

    /// A tenant that failed with these error codes (empty codes are dropped). An unreadable
    /// tenant has no content to hash: its name alone, and the digest of nothing.
    pub fn failed(
        &mut self,
        name: &str,
        stamp: Option<crate::flow::Source>,
        codes: Vec<String>,
        warnings: Vec<String>,
    ) {
        let mut errors: Vec<String> = codes.into_iter().filter(|c| !c.is_empty()).collect();
        errors.sort();
        errors.dedup();
        self.manifest.tenants.push(ManifestEntry {
            name: name.to_string(),
            source: stamp.unwrap_or_else(|| crate::flow::Source {
                name: format!("{name}.toml"),
                sha256: provenance::sha256_hex(b""),
            }),
            output: format!("{name}{DOCUMENT_SUFFIX}"),
            status: Status::Failed,
            output_sha256: None,
            private: false,
            secret_places: BTreeMap::new(),
            errors,
            warnings,
        });
        self.failures.push(name.to_string());
    }

    /// What became of a tenant that was read and parsed.
    pub fn record(&mut self, name: &str, stamp: &crate::flow::Source, outcome: TenantOutcome) {
        let warnings = match outcome.reused_warnings {
            Some(previous) => {
                self.reused += 1;
                self.reused_with_warnings += usize::from(!previous.is_empty());
                previous
            }
            None => codes(outcome.diagnostics.iter().filter(|d| !d.is_error())),
        };
        match outcome.written {
            Ok(w) => {
                self.unchanged += usize::from(!w.changed);
                self.manifest.tenants.push(ManifestEntry {
                    name: name.to_string(),
                    source: stamp.clone(),
                    output: format!("{name}{DOCUMENT_SUFFIX}"),
                    status: Status::Ok,
                    output_sha256: Some(w.sha256),
                    private: w.private,
                    secret_places: w.secret_places,
                    errors: Vec::new(),
                    warnings,
                });
            }
            Err(why) => {
                let mut errors = codes(outcome.diagnostics.iter().filter(|d| d.is_error()));
                if let NotWritten::Write(_) = why {
                    errors.push(crate::diagnostic::Code::Io.as_str().to_string());
                    self.unwritten.insert(format!("{name}{DOCUMENT_SUFFIX}"));
                }
                self.failed(name, Some(stamp.clone()), errors, warnings);
            }
        }
    }

    /// Removes the documents that do not belong to this run and may go, and records those
    /// removed and those kept (with why) in the manifest. See `stale_action`.
    pub fn settle_stale(&mut self, previous: Option<&Manifest>, prune: bool, folder: &dyn Folder) {
        for entry in stale_candidates(&self.manifest, previous) {
            let found = folder.found(&entry.output);
            // A tenant whose new document could not be written keeps its last good one: the
            // failure is the disk's, not the tenant's.
            if self.unwritten.contains(&entry.output) && matches!(found, Found::File(_)) {
                self.keep(entry, UNWRITTEN_KEPT);
                continue;
            }
            match stale_action(&entry, &found, prune) {
                StaleAction::Forget => {}
                StaleAction::Remove if folder.remove(&entry.output) => {
                    self.manifest.removed.push(entry.output);
                }
                StaleAction::Remove => self.keep(entry, "could not be removed"),
                StaleAction::Keep(why) => self.keep(entry, why),
            }
        }
    }

    fn keep(&mut self, entry: ManifestEntry, why: &'static str) {
        self.kept.push((entry.output.clone(), why));
        self.manifest.kept.push(entry);
    }

    /// Whether a document could not be written (an I/O failure, exit 2, rather than a tenant's
    /// problem).
    pub fn write_failed(&self) -> bool {
        !self.unwritten.is_empty()
    }

    /// The documents that could not be written (their earlier versions kept), sorted.
    pub fn unwritten(&self) -> Vec<String> {
        self.unwritten.iter().cloned().collect()
    }

    /// The failed tenants, sorted.
    pub fn failures(&self) -> Vec<String> {
        let mut failures = self.failures.clone();
        failures.sort();
        failures
    }

    /// The closing line of `render --check`.
    pub fn checked(&self) -> String {
        let (total, failed) = (self.total, self.failures.len());
        format!(
            "checked {total} tenant{}: {} built, {failed} failed; nothing was written",
            plural(total),
            total - failed,
        )
    }

    /// The note on tenants not rebuilt, if any (`manifest` is the manifest's path, as shown).
    pub fn reused_note(&self, manifest: &str) -> Option<String> {
        let reused = self.reused;
        let warned = if self.reused_with_warnings > 0 {
            format!(
                "; {} of them had warnings, listed in {manifest}",
                self.reused_with_warnings
            )
        } else {
            String::new()
        };
        (reused > 0).then(|| {
            format!(
                "note: {reused} tenant{} unchanged since the last render {} not rebuilt{warned}",
                plural(reused),
                if reused == 1 { "was" } else { "were" },
            )
        })
    }

    /// What a render into a folder reports once its manifest is written: the counts, removed
    /// and kept documents.
    pub fn report(&self, out_dir: &str) -> Vec<String> {
        let mut lines = Vec::new();
        let (total, failed) = (self.total, self.failures.len());
        lines.push(format!(
            "rendered {total} tenant{}: {} written, {} unchanged, {failed} failed, in {out_dir}",
            plural(total),
            total - failed - self.unchanged,
            self.unchanged,
        ));
        let removed = &self.manifest.removed;
        if !removed.is_empty() {
            lines.push(format!(
                "removed stale document{}: {}",
                plural(removed.len()),
                removed.join(", ")
            ));
        }
        lines.extend(
            self.kept
                .iter()
                .map(|(output, why)| format!("kept {output}: {why}")),
        );
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_names_name_their_rule() {
        for (name, rule) in [
            ("-rf", "start with `-`"),
            ("CON", "Windows device name"),
            ("con.backup", "Windows device name"),
            ("Com7", "Windows device name"),
            ("lpt1", "Windows device name"),
            ("acme.", "end with `.`"),
            ("a b", "letters, digits"),
            (".hidden", "start with `.`"),
        ] {
            let found = unsafe_name_rule(name).unwrap_or_default();
            assert!(found.contains(rule), "{name}: {found}");
        }
        for name in [
            "acme",
            "COM10",
            "CONSOLE",
            "com0",
            "a.b-c_d",
            &"x".repeat(245),
        ] {
            assert_eq!(unsafe_name_rule(name), None, "{name}");
        }
        assert!(unsafe_name_rule(&"x".repeat(246)).is_some());
    }

    fn entry(private: bool, bytes: &[u8]) -> ManifestEntry {
        ManifestEntry {
            name: "a".into(),
            source: provenance::source("a.toml", b"x = 1\n"),
            output: "a.flow.json".into(),
            status: Status::Ok,
            output_sha256: Some(provenance::sha256_hex(bytes)),
            private,
            secret_places: BTreeMap::new(),
            errors: vec![],
            warnings: vec![],
        }
    }

    #[test]
    fn a_stale_secret_document_needs_prune_and_an_edited_one_is_never_removed() {
        let plain = entry(false, b"doc");
        let found = Found::File(b"doc".to_vec());
        assert_eq!(stale_action(&plain, &found, false), StaleAction::Remove);
        assert_eq!(
            stale_action(&plain, &Found::Absent, true),
            StaleAction::Forget
        );
        let edited = Found::File(b"edited".to_vec());
        assert!(matches!(
            stale_action(&plain, &edited, true),
            StaleAction::Keep(_)
        ));
        // A private entry's digest is over the redacted canonical document: these bytes are
        // none, so it counts as edited, even with --prune.
        let private = entry(true, b"doc");
        assert!(
            matches!(stale_action(&private, &found, true), StaleAction::Keep(w) if w.starts_with("changed"))
        );
    }

    #[test]
    fn documents_a_killed_render_planned_are_candidates_that_prune_removes_only_as_written() {
        let template = provenance::source("t.toml", b"");
        let mut previous = Manifest::new(template.clone());
        previous.tenants.push(entry(false, b"doc"));
        previous.planned = vec![
            "a.flow.json".into(),
            "b.flow.json".into(),
            "../x.flow.json".into(),
        ];
        let current = Manifest::new(template);
        let candidates = stale_candidates(&current, Some(&previous));
        // a keeps its digest and is marked planned; b has none; a name leading out is dropped.
        assert_eq!(candidates.len(), 2);
        assert_eq!(candidates[0].output, "a.flow.json");
        assert_eq!(candidates[0].status, Status::Planned);
        assert!(candidates[0].output_sha256.is_some());
        assert_eq!(candidates[1].output, "b.flow.json");
        assert_eq!(candidates[1].output_sha256, None);
        // Still as written: removed as usual. Rewritten, or with no digest to tell it by: the
        // killed render's bytes or someone's, so kept even with --prune.
        let found = Found::File(b"doc".to_vec());
        assert_eq!(
            stale_action(&candidates[0], &found, false),
            StaleAction::Remove
        );
        let other = Found::File(b"other".to_vec());
        for (candidate, prune) in [(1, false), (1, true), (0, true)] {
            assert_eq!(
                stale_action(&candidates[candidate], &other, prune),
                StaleAction::Keep(PLANNED_KEPT)
            );
        }
    }
}
