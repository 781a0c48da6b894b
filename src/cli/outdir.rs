//! The render folder on disk: its lock, its manifest, its listing and its documents. Small on
//! purpose: what to do with what is found is decided in `wxcflow::render::batch`.

use super::io;
use std::io::{Read as _, Seek as _, Write as _};
use std::path::Path;
use wxcflow::emit::provenance::Manifest;
use wxcflow::render::batch::{self, LOCK_NAME};

/// A render's hold on its output folder: an flock on `OUTDIR/.wxcflow-render.lock`, released
/// by the kernel when the process dies, so a killed render never blocks the next one. The lock
/// file is removed when the run ends (while still held).
pub(super) struct Lock {
    /// Held open for the whole run: the flock lasts as long as the handle.
    _file: std::fs::File,
    path: std::path::PathBuf,
}

impl Lock {
    /// Ends the hold (see the `Drop` below, which a run that stops early on an error relies on).
    pub(super) fn release(self) {
        drop(self);
    }
}

/// The lock file is removed first, then the lock released (the file closes after this body). A
/// render that opened the file just before finds, once it has the lock, that the path no longer
/// leads to it, and starts over on a new file (see [`lock`]).
impl Drop for Lock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Takes the folder's lock for the whole run, or says who holds it.
pub(super) fn lock(dir: &Path) -> Result<Lock, String> {
    let path = dir.join(LOCK_NAME);
    let fail = |e: &dyn std::fmt::Display| format!("cannot lock {}: {e}", dir.display());
    for _ in 0..100 {
        if std::fs::symlink_metadata(&path).is_ok_and(|m| !m.is_file()) {
            return Err(fail(&format!(
                "{} is not a regular file; remove it",
                path.display()
            )));
        }
        let mut options = std::fs::OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&path).map_err(|e| fail(&e))?;
        // Checked on the opened file, before it is locked or written: a hard link planted as
        // the lock file would make the render write the file it shares. No link at all: the
        // holder before removed it just now; start over on a new file.
        let links = links(&file);
        if links == Some(0) {
            continue;
        }
        if links != Some(1) {
            return Err(fail(&format!(
                "{} is not a regular file with exactly one link (a link would make the render write another file); remove it",
                path.display()
            )));
        }
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(format!(
                    "{} is being rendered by {}; nothing was written (wait for it to finish, then render again)",
                    dir.display(),
                    holder_text(&mut file)
                ))
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(fail(&e)),
        }
        // The holder before may have removed the file between our open and our lock.
        if !same_file(&file, &path) {
            continue;
        }
        // A file a render left (killed before it removed it) says who held it; anything else
        // under this name is someone's file, not taken over.
        let mut left = String::new();
        let _ = (&file).take(4096).read_to_string(&mut left);
        if !(left.is_empty() || left_by_a_render(&left)) {
            return Err(fail(&format!(
                "{} is not a lock a render left; move it out of the folder",
                path.display()
            )));
        }
        let holder = format!(
            "pid {} on {} since {}",
            std::process::id(),
            host(),
            utc_now()
        );
        file.set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| file.write_all(holder.as_bytes()))
            .map_err(|e| fail(&e))?;
        return Ok(Lock { _file: file, path });
    }
    Err(fail(&"the lock file keeps changing"))
}

/// How many names the open `file` has, when it is a regular file (`None` otherwise).
#[cfg(unix)]
fn links(file: &std::fs::File) -> Option<u64> {
    use std::os::unix::fs::MetadataExt as _;
    file.metadata()
        .ok()
        .filter(std::fs::Metadata::is_file)
        .map(|m| m.nlink())
}

#[cfg(not(unix))]
fn links(file: &std::fs::File) -> Option<u64> {
    file.metadata()
        .ok()
        .filter(std::fs::Metadata::is_file)
        .map(|_| 1)
}

/// Whether `path` still leads to the open `file`.
#[cfg(unix)]
fn same_file(file: &std::fs::File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt as _;
    match (file.metadata(), std::fs::symlink_metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_: &std::fs::File, path: &Path) -> bool {
    path.exists()
}

/// Who holds the folder's lock right now, if a render does. Takes a shared lock for an
/// instant, and never creates the lock file.
pub(super) fn holder(dir: &Path) -> Option<String> {
    let path = dir.join(LOCK_NAME);
    if !std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file()) {
        return None;
    }
    let mut file = std::fs::File::open(&path).ok()?;
    match file.try_lock_shared() {
        Err(std::fs::TryLockError::WouldBlock) => Some(holder_text(&mut file)),
        _ => None,
    }
}

/// Whether `text` is what [`lock`] writes into its file, and nothing else: `pid N on HOST
/// since YYYY-MM-DDTHH:MM:SSZ`, on one line.
fn left_by_a_render(text: &str) -> bool {
    let Some((pid, rest)) = text.strip_prefix("pid ").and_then(|r| r.split_once(" on ")) else {
        return false;
    };
    let Some((host, time)) = rest.rsplit_once(" since ") else {
        return false;
    };
    let shape = "0000-00-00T00:00:00Z";
    !pid.is_empty()
        && pid.bytes().all(|b| b.is_ascii_digit())
        && !host.is_empty()
        && !host.contains(['\n', '\r'])
        && time.len() == shape.len()
        && time.bytes().zip(shape.bytes()).all(|(t, s)| {
            if s == b'0' {
                t.is_ascii_digit()
            } else {
                t == s
            }
        })
}

/// What a lock file says of its holder (a short line; anything else is not shown).
fn holder_text(file: &mut std::fs::File) -> String {
    let mut text = String::new();
    let _ = file.take(200).read_to_string(&mut text);
    let text = text.trim();
    if text.is_empty() || text.chars().any(char::is_control) {
        "another render".to_string()
    } else {
        text.to_string()
    }
}

fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "this host".to_string())
}

/// The time now as `2026-12-03T23:20:00Z` (for the lock's holder line only).
fn utc_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rest) = ((secs / 86_400) as i64, secs % 86_400);
    // Days to a civil date (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// Why the file at the manifest's name was not read as a manifest.
pub(super) struct Unread {
    pub(super) message: String,
    /// It is a regular file that no wxcflow wrote (no `wxcflow.manifest/` format in it): someone's
    /// file, not to be replaced.
    pub(super) foreign: bool,
}

/// The manifest in the folder: `Ok(None)` when there is none, an error when there is one that
/// this version cannot read.
pub(super) fn read_manifest(files: &io::Files, dir: &Path) -> Result<Option<Manifest>, Unread> {
    let unread = |message: String| Unread {
        message,
        foreign: false,
    };
    // A manifest lists every tenant in a few hundred bytes each: 64 MiB is ample.
    let path = dir.join(wxcflow::emit::provenance::Manifest::NAME);
    match std::fs::symlink_metadata(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(unread(format!("cannot read {}: {e}", path.display()))),
        // A link (to a file, another folder's manifest, nowhere), a folder or a FIFO is
        // someone's: not replaced.
        Ok(meta) if !meta.is_file() => {
            return Err(Unread {
                message: format!("{} is not a regular file", path.display()),
                foreign: true,
            })
        }
        Ok(_) => {}
    }
    let bytes = files
        .read_output(&path, 64 * 1024 * 1024)
        .map_err(|e| unread(e.message))?;
    if let Some(manifest) = std::str::from_utf8(&bytes).ok().and_then(Manifest::parse) {
        return Ok(Some(manifest));
    }
    let format = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|v| v.get("format")?.as_str().map(str::to_string));
    Err(Unread {
        message: format!(
            "{} is not a manifest this version reads ({})",
            path.display(),
            wxcflow::emit::provenance::Manifest::FORMAT
        ),
        foreign: !format.is_some_and(|f| f.starts_with("wxcflow.manifest/")),
    })
}

/// Writes the manifest atomically (a temporary file renamed over it).
pub(super) fn write_manifest(
    files: &io::Files,
    dir: &Path,
    manifest: &Manifest,
) -> Result<(), String> {
    let options = io::WriteOptions {
        private: batch::manifest_is_private(manifest),
        durable: true,
        links: io::Links::Replace,
        keep_mode: false,
        in_place: false,
    };
    files.write_output(
        &dir.join(wxcflow::emit::provenance::Manifest::NAME),
        manifest.to_json().as_bytes(),
        options,
    )
}

/// The names of every entry of the folder, sorted.
/// Removes the regular files of `dir` named as temporary files are
/// ([`batch::is_temporary_name`]); how many went. Called under the folder's lock only.
pub(super) fn remove_temporaries(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .filter(|e| {
            e.file_name().to_str().is_some_and(batch::is_temporary_name)
                && e.file_type().is_ok_and(|t| t.is_file())
        })
        .filter(|e| std::fs::remove_file(e.path()).is_ok())
        .count()
}

pub(super) fn listing(dir: &Path) -> Result<Vec<String>, String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        names.push(entry.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    Ok(names)
}

/// A document of the folder as `verify` sees it (links are not followed: wxcflow writes files).
pub(super) fn document(files: &io::Files, path: &Path) -> batch::Document {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return batch::Document::Missing;
    };
    if !meta.is_file() {
        return batch::Document::Missing;
    }
    let Ok(bytes) = files.read_output(path, wxcflow::MAX_INPUT_BYTES) else {
        return batch::Document::Missing;
    };
    batch::Document::File {
        bytes,
        mode: mode(&meta),
    }
}

/// A file's permission bits (`mode & 0o7777`); `None` where there are none (Windows).
pub(super) fn mode(meta: &std::fs::Metadata) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        Some(meta.permissions().mode() & 0o7777)
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        None
    }
}

/// A stale document as found, for deciding its fate.
pub(super) fn found(files: &io::Files, path: &Path) -> batch::Found {
    if files.is_input(path) || !std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file()) {
        return batch::Found::Absent;
    }
    match files.read_output(path, wxcflow::MAX_INPUT_BYTES) {
        Ok(bytes) => batch::Found::File(bytes),
        // Unreadable: not known to be as written, so kept.
        Err(_) => batch::Found::File(Vec::new()),
    }
}

/// A render folder, for settling the stale documents of earlier runs.
pub(super) struct Folder<'a>(pub(super) &'a io::Files, pub(super) &'a Path);

impl batch::Folder for Folder<'_> {
    fn found(&self, output: &str) -> batch::Found {
        found(self.0, &self.1.join(output))
    }
    fn remove(&self, output: &str) -> bool {
        std::fs::remove_file(self.1.join(output)).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::left_by_a_render;

    #[test]
    fn only_a_holder_line_is_taken_for_a_lock_a_render_left() {
        assert!(left_by_a_render(
            "pid 7774 on vm since 2026-12-06T10:15:28Z"
        ));
        for text in [
            "REALSECRET",
            "pid  on vm since 2026-12-06T10:15:28Z",
            "pid 12 on vm",
            "pid x1 on vm since 2026-12-06T10:15:28Z",
            "pid 1 on host since 2026",
            "pid 1 on h since 2026-12-06T10:15:28Z\nIMPORTANT USER DATA\n",
            "pid 1 on h since 2026-12-06T10:15:28Z IMPORTANT",
        ] {
            assert!(!left_by_a_render(text), "{text}");
        }
    }
}
