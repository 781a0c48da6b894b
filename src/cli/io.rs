//! Every file the command reads or writes goes through here: reads are bounded whatever the
//! kind of file (a device or a pipe has no size to check beforehand), writes never destroy an
//! input and never replace a device node, and stdout failures are reported.

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Why a file could not be read.
#[derive(Debug)]
pub struct ReadError {
    pub message: String,
    /// Over the limit: an input problem (`wxc::too-large`, exit 1), not an I/O failure.
    pub too_large: bool,
    /// A TOML file that is not UTF-8, so no TOML: an input problem (`wxc::toml-syntax`, exit
    /// 1), told by its diagnostic, with the text before the first bad byte it points into.
    /// Boxed: rare, and large beside the rest.
    pub not_text: Option<
        Box<(
            wxcflow::diagnostic::SourceFile,
            wxcflow::diagnostic::Diagnostic,
        )>,
    >,
}

impl ReadError {
    /// A file that could not be read for `message` (an I/O failure, exit 2).
    pub fn failed(message: impl Into<String>) -> ReadError {
        ReadError {
            message: message.into(),
            too_large: false,
            not_text: None,
        }
    }

    /// Whether the file was read and is at fault (exit 1), rather than unreadable (exit 2).
    pub fn is_input_problem(&self) -> bool {
        self.too_large || self.not_text.is_some()
    }
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// The files one run reads and writes: every read and write of the command goes through one of
/// these, which remembers what was read (shared by the threads of a render, hence the locks).
#[derive(Default)]
pub struct Files {
    /// The files read so far, by (device, inode): no output may replace one.
    inputs: Mutex<Vec<(u64, u64, PathBuf)>>,
    /// What was read from inputs that cannot be read twice (a FIFO, a pipe such as `<(...)` or
    /// /dev/stdin), by path: a command that reads a file again gets the same bytes instead of
    /// an empty read or a wait forever.
    read_once: Mutex<Vec<(PathBuf, Vec<u8>)>>,
    /// Inputs that cannot be read twice and were over the limit they were read with, by path
    /// and that limit: a second read would wait for ever (a FIFO) or read what followed.
    too_large_once: Mutex<Vec<(PathBuf, usize)>>,
    /// The first failure to write to stdout (other than a closed pipe), reported at exit.
    stdout_failure: Mutex<Option<String>>,
    /// Temporary files named so far (a part of each temporary name).
    temporaries: std::sync::atomic::AtomicU64,
    /// The largest file this process may write (`ulimit -f`), read once when first needed.
    size_limit: std::sync::OnceLock<Option<u64>>,
    /// When stdout is a regular file and that limit is set: the limit.
    stdout_limit: std::sync::OnceLock<Option<u64>>,
    /// stdout's (device, inode) when it is a regular file: it may be an input (`>> spec`).
    stdout_file: std::sync::OnceLock<Option<(u64, u64)>>,
    /// Whether anything was written to stdout yet (what a refusal says was not written).
    stdout_begun: std::sync::atomic::AtomicBool,
    /// stdout's path when it is a file named as a `.workflow` export (`graph > x.workflow`).
    stdout_workflow: std::sync::OnceLock<Option<PathBuf>>,
}

impl Files {
    /// Reads at most `limit` bytes of any kind of file (regular, device, pipe): one byte more and it
    /// is refused as too large, so `/dev/zero` costs `limit + 1` bytes of memory, not all of it.
    pub fn read_bounded(&self, path: &Path, limit: usize) -> Result<Vec<u8>, ReadError> {
        self.read_limited(path, limit, true)
    }

    /// Reads one of this run's own outputs (a render's earlier documents and manifest), bounded
    /// like any read, without counting it as an input that no output may replace.
    pub fn read_output(&self, path: &Path, limit: usize) -> Result<Vec<u8>, ReadError> {
        self.read_limited(path, limit, false)
    }

    fn read_limited(&self, path: &Path, limit: usize, input: bool) -> Result<Vec<u8>, ReadError> {
        let io_error =
            |e: std::io::Error| ReadError::failed(format!("cannot read {}: {e}", path.display()));
        let earlier = self.read_once.lock().ok().and_then(|read| {
            read.iter()
                .find(|(p, _)| p == path)
                .map(|(_, bytes)| bytes.clone())
        });
        if let Some(bytes) = earlier {
            return match bytes.len() > limit {
                true => Err(too_large(&path.display().to_string(), limit)),
                false => Ok(bytes),
            };
        }
        let over = self
            .too_large_once
            .lock()
            .ok()
            .and_then(|over| over.iter().find(|(p, _)| p == path).map(|(_, over)| *over));
        if let Some(over) = over {
            // Over `over` is over any smaller limit; a larger one cannot be told any more.
            return Err(too_large(&path.display().to_string(), over.min(limit)));
        }
        let file = std::fs::File::open(path).map_err(io_error)?;
        let mut once = false;
        let mut size = 0;
        if let Ok(meta) = file.metadata() {
            if meta.is_dir() {
                return Err(io_error(std::io::Error::other("it is a directory")));
            }
            if let Some(stream) = own_output_pipe(&meta) {
                return Err(io_error(std::io::Error::other(format!(
                    "it is the pipe this command writes its {stream} to (reading it would wait for ever)"
                ))));
            }
            if input {
                self.remember_input(path, &meta);
            }
            once = !meta.is_file();
            size = usize::try_from(meta.len()).unwrap_or(usize::MAX);
        }
        let bytes = match once {
            // A regular file's size is known: read into a buffer of that size (`Take` hides
            // it from `read_to_end`, which would grow the buffer by doubling, copying it).
            false => {
                let mut bytes = Vec::with_capacity(size.min(limit).saturating_add(1));
                file.take(limit as u64 + 1)
                    .read_to_end(&mut bytes)
                    .map_err(io_error)?;
                bytes
            }
            true => match read_in_chunks(file, limit).map_err(io_error)? {
                Ok(bytes) => bytes,
                Err(limit) => {
                    if let Ok(mut over) = self.too_large_once.lock() {
                        over.push((path.to_path_buf(), limit));
                    }
                    return Err(too_large(&path.display().to_string(), limit));
                }
            },
        };
        if bytes.len() > limit {
            return Err(too_large(&path.display().to_string(), limit));
        }
        if once {
            if let Ok(mut read) = self.read_once.lock() {
                read.push((path.to_path_buf(), bytes.clone()));
            }
        }
        Ok(bytes)
    }

    /// Reads a UTF-8 text file of at most `limit` bytes.
    pub fn read_text(&self, path: &Path, limit: usize) -> Result<String, ReadError> {
        text_of(path, self.read_bounded(path, limit)?)
    }
}

/// The bytes read from `path` as UTF-8 text.
pub fn text_of(path: &Path, bytes: Vec<u8>) -> Result<String, ReadError> {
    // Told by its line only: where on the line would tell how long a value before it is.
    String::from_utf8(bytes).map_err(|e| {
        let before = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
        ReadError::failed(format!(
            "{} is not UTF-8 text (line {line})",
            path.display()
        ))
    })
}

/// An input of unknown size (a pipe, a device) if it is at most `limit` bytes, read in chunks
/// joined once at the end; `None` if it is larger. A buffer grown by doubling holds the input
/// twice or more while it grows (`/dev/zero` took 800 MB to be refused); chunks hold a too
/// large input once.
///
/// A stream read for a reader of Flow Designer files (`limit` [`wxcflow::MAX_FD_BYTES`]) that
/// does not begin as one (a JSON object, or a Flow Designer spec's look in its first
/// megabyte) is held to the largest limit of any other input, a `.workflow` export's: a pipe
/// of a spec, or `/dev/zero`, is not read to 256 MiB to be refused at 10.
///
/// `Err(limit)`: over `limit`, the limit it was held to.
fn read_in_chunks(
    input: impl std::io::Read,
    mut limit: usize,
) -> std::io::Result<Result<Vec<u8>, usize>> {
    const CHUNK: u64 = 1 << 20;
    let other = wxcflow::tools::workflow::Export::MAX_BYTES;
    let mut input = input.take(limit as u64 + 1);
    let mut chunks: Vec<Vec<u8>> = Vec::new();
    let mut total = 0;
    loop {
        let mut chunk = Vec::with_capacity(CHUNK as usize);
        (&mut input).take(CHUNK).read_to_end(&mut chunk)?;
        if chunk.is_empty() {
            break;
        }
        if chunks.is_empty() && limit == wxcflow::MAX_FD_BYTES && !may_be_flow_designer(&chunk) {
            limit = other;
        }
        total += chunk.len();
        chunks.push(chunk);
        if total > limit {
            return Ok(Err(limit));
        }
    }
    let mut bytes = Vec::with_capacity(total);
    for chunk in chunks {
        bytes.extend_from_slice(&chunk);
    }
    Ok(Ok(bytes))
}

/// Whether a file that begins with `first` may be a Flow Designer file: it opens a JSON object
/// (after blanks and a byte order mark), or its text so far has a Flow Designer spec's look.
fn may_be_flow_designer(first: &[u8]) -> bool {
    let text = first.strip_prefix("\u{feff}".as_bytes()).unwrap_or(first);
    if text.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
        return true;
    }
    // A character cut at the chunk's end is left out.
    let valid = match std::str::from_utf8(text) {
        Ok(_) => text.len(),
        Err(e) => e.valid_up_to(),
    };
    wxcflow::InputKind::flow_designer(&text[..valid]).is_some()
}

/// The refusal of an input over `limit` bytes.
pub fn too_large(name: &str, limit: usize) -> ReadError {
    ReadError {
        message: format!("{name} is over {limit} bytes: wxcflow reads at most {limit} bytes of it"),
        too_large: true,
        not_text: None,
    }
}

/// Why a secret file gave no value.
pub enum SecretReadError {
    /// What was opened breaks a rule of where secret files may be: not a regular file, not the
    /// file that was checked (replaced, say by a link, in between), or, on Linux, a file whose
    /// real path the rules refuse (a folder on the way swapped for a link since).
    NotAllowed(wxcflow::render::sources::FileRule),
    /// It cannot be read, is too large or is not UTF-8: a message that quotes none of it.
    Failed(String),
}

impl Files {
    /// Reads a secret file at `path` (canonical, already judged by the rules of where secret
    /// files may be): the opened handle must be a regular file, the same one as `path` names
    /// without following links, and (on Linux, where the kernel tells an open file's path)
    /// still pass `rules`, before a byte is read. Bounded like every input, and counted as one
    /// (no output may replace it). A file that is not UTF-8 is refused without saying where:
    /// the offset of its first bad byte would tell something of the secret.
    pub fn read_secret_file(
        &self,
        path: &Path,
        limit: usize,
        rules: &dyn Fn(&Path) -> Result<(), wxcflow::render::sources::FileRule>,
    ) -> Result<String, SecretReadError> {
        use wxcflow::render::sources::FileRule;
        let failed = |e: std::io::Error| {
            SecretReadError::Failed(format!("cannot read {}: {e}", path.display()))
        };
        let file = std::fs::File::open(path).map_err(failed)?;
        let meta = file.metadata().map_err(failed)?;
        if !meta.is_file() || !same_file(&meta, path) {
            return Err(SecretReadError::NotAllowed(FileRule::NotRegularFile));
        }
        if let Some(real) = opened_path(&file) {
            rules(&real).map_err(SecretReadError::NotAllowed)?;
        }
        self.remember_input(path, &meta);
        let mut bytes = Vec::new();
        file.take(limit as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(failed)?;
        if bytes.len() > limit {
            return Err(SecretReadError::Failed(
                too_large(&path.display().to_string(), limit).message,
            ));
        }
        String::from_utf8(bytes)
            .map_err(|_| SecretReadError::Failed(format!("{} is not UTF-8 text", path.display())))
    }
}

/// The path the kernel holds for an open file, where it tells one (Linux, with /proc mounted).
#[cfg(target_os = "linux")]
fn opened_path(file: &std::fs::File) -> Option<PathBuf> {
    use std::os::fd::AsRawFd as _;
    std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd())).ok()
}

#[cfg(not(target_os = "linux"))]
fn opened_path(_: &std::fs::File) -> Option<PathBuf> {
    None
}

/// Whether `opened` (an open handle's metadata) is the file `path` names itself, not through a
/// link.
#[cfg(unix)]
fn same_file(opened: &std::fs::Metadata, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt as _;
    std::fs::symlink_metadata(path).is_ok_and(|named| {
        named.is_file() && named.dev() == opened.dev() && named.ino() == opened.ino()
    })
}

#[cfg(not(unix))]
fn same_file(_: &std::fs::Metadata, path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|named| named.is_file())
}

impl Files {
    /// Counts a file the run names but does not read (a tenant's secret file when only its origin
    /// is shown) as an input all the same: no output may replace it.
    pub fn protect(&self, path: &Path) {
        if let Ok(meta) = std::fs::metadata(path) {
            self.remember_input(path, &meta);
        }
    }

    #[cfg(unix)]
    fn remember_input(&self, path: &Path, meta: &std::fs::Metadata) {
        use std::os::unix::fs::MetadataExt as _;
        // Only regular files can be destroyed by replacing them; a device read and written (say
        // /dev/null for both) is harmless.
        if meta.is_file() {
            stderr_may_be_input((meta.dev(), meta.ino()));
            if let Ok(mut inputs) = self.inputs.lock() {
                inputs.push((meta.dev(), meta.ino(), path.to_path_buf()));
            }
        }
    }

    #[cfg(not(unix))]
    fn remember_input(&self, _: &Path, _: &std::fs::Metadata) {}

    /// The input that `meta` (an output's target) is, if it is one.
    #[cfg(unix)]
    fn input_at(&self, meta: &std::fs::Metadata) -> Option<PathBuf> {
        use std::os::unix::fs::MetadataExt as _;
        self.input_with((meta.dev(), meta.ino()))
    }

    /// The input whose (device, inode) is `id`, if any.
    fn input_with(&self, id: (u64, u64)) -> Option<PathBuf> {
        let inputs = self.inputs.lock().ok()?;
        inputs
            .iter()
            .find(|(dev, ino, _)| (*dev, *ino) == id)
            .map(|(_, _, path)| path.clone())
    }

    /// The input that standard stream `stream` is (`>> spec`), if it is one.
    fn stream_input(&self, stream: Stream) -> Option<PathBuf> {
        let id = match stream {
            // Asked at every write to stdout: the stream stays the same file, told once.
            Stream::Stdout => *self.stdout_file.get_or_init(|| stream_file(Stream::Stdout)),
            Stream::Stderr => *STDERR_FILE.get_or_init(|| stream_file(Stream::Stderr)),
            Stream::Stdin => stream_file(stream),
        };
        self.input_with(id?)
    }

    #[cfg(not(unix))]
    fn input_at(&self, _: &std::fs::Metadata) -> Option<PathBuf> {
        None
    }

    /// Whether the file at `path` (links followed) is one of this run's inputs.
    pub fn is_input(&self, path: &Path) -> bool {
        std::fs::metadata(path).is_ok_and(|m| self.input_at(&m).is_some())
    }
}

/// What to do with a symbolic link at the output path.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Links {
    /// Write to what it points at, as `>` in a shell does (`-o`, and `fmt` of a linked spec).
    Follow,
    /// Replace the link itself: a link planted in a render's output folder is never written
    /// through.
    Replace,
}

/// How an output file is written.
#[derive(Clone, Copy)]
pub struct WriteOptions {
    /// Holds secrets: created 0600.
    pub private: bool,
    /// Flush to disk before the rename (skipped in large batches).
    pub durable: bool,
    pub links: Links,
    /// Give the new file the mode (and, where allowed, the owner) of the file it replaces.
    pub keep_mode: bool,
    /// The output is meant to replace its own input (`fmt`).
    pub in_place: bool,
}

impl WriteOptions {
    /// An output named with `-o`: links followed, mode by content.
    pub fn output(private: bool) -> WriteOptions {
        WriteOptions {
            private,
            durable: true,
            links: Links::Follow,
            keep_mode: false,
            in_place: false,
        }
    }
}

/// How [`Files::write_output_how`] wrote: what a report may say of the output's mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Written {
    /// A regular file was created or replaced (mode 0600 when private).
    Replaced,
    /// Not a regular file (`/dev/null`): written through, its mode is its own.
    Through,
}

impl Written {
    /// What a report says of a private output's mode: 0600 only for a regular file made so.
    pub fn private_note(self) -> &'static str {
        match self {
            Written::Replaced => ", mode 0600: it holds secret values",
            Written::Through => {
                "; written through: not a regular file, its mode is its own (it holds secret values)"
            }
        }
    }
}

impl Files {
    /// Writes `bytes` to `path` without destroying anything it was not asked to replace:
    /// - an output that is one of this run's input files is refused;
    /// - anything that is not a regular file (`/dev/null`, `/dev/full`, a FIFO) is written
    ///   through, never replaced;
    /// - a regular file or a new path gets a temporary file beside it, renamed over it, so that
    ///   readers see the old file or the new one, never a part.
    pub fn write_output(
        &self,
        path: &Path,
        bytes: &[u8],
        options: WriteOptions,
    ) -> Result<(), String> {
        self.write_output_how(path, bytes, options).map(|_| ())
    }

    /// [`Files::write_output`], saying whether a regular file was made or something else written through.
    pub fn write_output_how(
        &self,
        path: &Path,
        bytes: &[u8],
        options: WriteOptions,
    ) -> Result<Written, String> {
        let fail = |e: &dyn std::fmt::Display| format!("cannot write {}: {e}", path.display());
        // No command writes a `.workflow` export: it is Cisco's, encrypted with Cisco's key.
        if super::build::is_workflow_path(path) {
            return Err(format!(
                "refusing to write {}: a .workflow file is a Webex Connect export, encrypted with a key only Cisco holds; wxcflow writes none (name the file otherwise)",
                path.display()
            ));
        }
        let (target, existing) = match std::fs::symlink_metadata(path) {
            Ok(link) if link.file_type().is_symlink() && options.links == Links::Follow => {
                // Classified by what the link leads to, as the kernel follows it (this also works for
                // /dev/stdout, whose target is no path).
                match std::fs::metadata(path) {
                    Ok(followed) if followed.is_file() => (
                        std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()),
                        Some(followed),
                    ),
                    Ok(followed) => (path.to_path_buf(), Some(followed)),
                    // A link that leads nowhere yet: the file is created where it points, and the
                    // link kept. A link that loops leads nowhere at all.
                    Err(e) if e.raw_os_error() == Some(40) => {
                        return Err(fail(&"it is a symbolic link that loops"))
                    }
                    Err(_) => {
                        let to = std::fs::read_link(path).map_err(|e| fail(&e))?;
                        let to = match path.parent() {
                            Some(dir) if to.is_relative() => dir.join(to),
                            _ => to,
                        };
                        (to, None)
                    }
                }
            }
            other => (path.to_path_buf(), other.ok()),
        };
        if let Some(meta) = &existing {
            if let Some(input) = self.input_at(meta).filter(|_| !options.in_place) {
                return Err(format!(
                    "refusing to write {}: it is the input {}; nothing was written",
                    path.display(),
                    input.display()
                ));
            }
            if meta.is_dir() {
                return Err(fail(&"it is a directory"));
            }
            // In a folder wxcflow writes as a whole (render's OUTDIR, man's DIR), anything but a
            // file is someone else's: refused, never written through (a FIFO would block).
            if !meta.is_file() && !meta.file_type().is_symlink() && options.links == Links::Replace
            {
                return Err(fail(&"it is not a regular file; remove it first"));
            }
            if !meta.is_file() && !meta.file_type().is_symlink() {
                // Secrets go to private files only: never to a terminal, a pipe or another device,
                // where anyone may read them. Discarding them (`-o /dev/null`) is fine.
                if options.private && !is_null_device(meta) {
                    return Err(format!(
                    "refusing to write {}: the output holds secret values and it is not a regular file; write it to a file (created with mode 0600)",
                    path.display()
                ));
                }
                return write_through(&target, bytes)
                    .map(|()| Written::Through)
                    .map_err(|e| fail(&e));
            }
        }
        let existing = existing.filter(std::fs::Metadata::is_file);
        self.replace(&target, bytes, options, existing.as_ref())
            .map(|()| Written::Replaced)
            .map_err(|e| fail(&e))
    }
}

/// Whether `meta` is the null device (the same device as `/dev/null`).
#[cfg(unix)]
fn is_null_device(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::{FileTypeExt as _, MetadataExt as _};
    meta.file_type().is_char_device()
        && std::fs::metadata("/dev/null").is_ok_and(|null| null.rdev() == meta.rdev())
}

#[cfg(not(unix))]
fn is_null_device(_: &std::fs::Metadata) -> bool {
    false
}

/// The file size limit in bytes where the system tells it (Linux: /proc/self/limits); `None`
/// when unlimited or not told.
fn file_size_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max file size"))?;
    line.trim_start_matches("Max file size")
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// A device or a pipe: opened and written like `>` does, never replaced.
fn write_through(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(path)?;
    file.write_all(bytes)?;
    file.flush()
}

impl Files {
    /// Temporary file beside the target, renamed over it.
    fn replace(
        &self,
        path: &Path,
        bytes: &[u8],
        options: WriteOptions,
        existing: Option<&std::fs::Metadata>,
    ) -> std::io::Result<()> {
        self.check_size_limit(bytes.len())?;
        let temporary = self.stage(path, bytes, options, existing)?;
        let renamed = std::fs::rename(&temporary, path);
        if renamed.is_err() {
            let _ = std::fs::remove_file(&temporary);
        }
        renamed
    }

    /// Over `ulimit -f` the kernel ends the process (SIGXFSZ) halfway through a temporary file,
    /// which would stay behind with whatever secrets it holds: refused before it exists.
    fn check_size_limit(&self, len: usize) -> std::io::Result<()> {
        if let Some(limit) = *self.size_limit.get_or_init(file_size_limit) {
            if len as u64 > limit {
                return Err(std::io::Error::other(format!(
                    "it would be {len} bytes, over this process's file size limit (ulimit -f) of {limit} bytes; nothing was written"
                )));
            }
        }
        Ok(())
    }

    /// Writes `bytes` to a new temporary file beside `path` (flushed to disk when durable) and
    /// returns its name; on failure nothing of it is left.
    fn stage(
        &self,
        path: &Path,
        bytes: &[u8],
        options: WriteOptions,
        existing: Option<&std::fs::Metadata>,
    ) -> std::io::Result<PathBuf> {
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let name_len = path.file_name().map_or(0, |n| n.as_encoded_bytes().len());
        let mut open = std::fs::OpenOptions::new();
        open.write(true).create_new(true);
        // The mode is set as the file is created: no moment in which a secret is readable.
        #[cfg(unix)]
        {
            use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
            let mut mode = if options.private { 0o600 } else { 0o644 };
            if options.keep_mode {
                if let Some(meta) = existing {
                    mode = meta.permissions().mode() & 0o7777;
                }
            }
            open.mode(mode);
        }
        // A fresh name each attempt, never an existing file's: created exclusively.
        let mut attempt = 0;
        let (temporary, mut file) = loop {
            let temporary = dir.join(self.temporary_name(name_len));
            match open.open(&temporary) {
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 100 => {
                    attempt += 1;
                }
                other => break (temporary, other?),
            }
        };
        let written = (|| {
            #[cfg(unix)]
            if options.private {
                use std::os::unix::fs::PermissionsExt as _;
                // A umask narrower than 0177 (0277, 0777) would leave 0400 or 0000, which no
                // reader of a private file expects: 0600 exactly, set before anything is
                // written (the mode asked at creation is only ever narrowed by the umask).
                file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
            }
            file.write_all(bytes)?;
            #[cfg(unix)]
            if options.keep_mode {
                if let Some(meta) = existing {
                    use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
                    // The umask may have narrowed the mode; and root keeps the owner. Best effort:
                    // an unprivileged user cannot give a file away, and keeps it as their own.
                    let _ = std::os::unix::fs::fchown(&file, Some(meta.uid()), Some(meta.gid()));
                    file.set_permissions(std::fs::Permissions::from_mode(
                        meta.permissions().mode() & 0o7777,
                    ))?;
                }
            }
            if options.durable {
                file.sync_all()?;
            }
            Ok(())
        })();
        drop(file);
        match written {
            Ok(()) => Ok(temporary),
            Err(e) => {
                let _ = std::fs::remove_file(&temporary);
                Err(e)
            }
        }
    }

    /// Writes a set of new or regular files as one: every size is checked against `ulimit -f`
    /// before any temporary file exists, every temporary file is written before any is renamed
    /// into place, and a failure on the way removes them all, so a full disk leaves none of the
    /// files. With `keep_existing`, a file that appeared at a path since the caller looked is
    /// not replaced (the file is linked into place, which fails where a file is, not renamed),
    /// and a failure to place one removes those already placed: none of them was there before.
    /// The paths must not be links followed out of their folder: a link is replaced.
    pub fn write_outputs_together(
        &self,
        outputs: &[(PathBuf, &[u8])],
        options: WriteOptions,
        keep_existing: bool,
    ) -> Result<(), String> {
        let fail = |path: &Path, e: &dyn std::fmt::Display| {
            format!("cannot write {}: {e}; nothing was written", path.display())
        };
        for (path, bytes) in outputs {
            if let Ok(meta) = std::fs::symlink_metadata(path) {
                if let Some(input) = self.input_at(&meta) {
                    return Err(format!(
                        "refusing to write {}: it is the input {}; nothing was written",
                        path.display(),
                        input.display()
                    ));
                }
                if meta.is_dir() {
                    return Err(fail(path, &"it is a directory"));
                }
                if !meta.is_file() && !meta.file_type().is_symlink() {
                    return Err(fail(path, &"it is not a regular file; remove it first"));
                }
            }
            self.check_size_limit(bytes.len())
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        }
        let mut staged: Vec<PathBuf> = Vec::new();
        // Which paths held a file before: one placed over it cannot be taken back.
        let mut replaced: Vec<bool> = Vec::new();
        let remove_all = |staged: &[PathBuf]| {
            for temporary in staged {
                let _ = std::fs::remove_file(temporary);
            }
        };
        for (path, bytes) in outputs {
            let existing = std::fs::symlink_metadata(path)
                .ok()
                .filter(std::fs::Metadata::is_file);
            replaced.push(existing.is_some());
            match self.stage(path, bytes, options, existing.as_ref()) {
                Ok(temporary) => staged.push(temporary),
                Err(e) => {
                    remove_all(&staged);
                    return Err(fail(path, &e));
                }
            }
        }
        for (index, ((path, _), temporary)) in outputs.iter().zip(&staged).enumerate() {
            let placed = if keep_existing {
                match std::fs::hard_link(temporary, path) {
                    // A file system without links: renamed, where nothing is yet.
                    Err(e)
                        if e.kind() != std::io::ErrorKind::AlreadyExists
                            && std::fs::symlink_metadata(path).is_err() =>
                    {
                        std::fs::rename(temporary, path)
                    }
                    linked => linked.and_then(|()| std::fs::remove_file(temporary)),
                }
            } else {
                std::fs::rename(temporary, path)
            };
            if let Err(e) = placed {
                remove_all(&staged[index..]);
                if keep_existing {
                    // Nothing was at the paths already placed (each was linked where no file
                    // was): the files there are this call's own, and go too.
                    for (placed, _) in &outputs[..index] {
                        let _ = std::fs::remove_file(placed);
                    }
                    return Err(fail(path, &e));
                }
                // Those placed where no file was go again; those that replaced a file stay,
                // since what they replaced cannot come back (a rename beside its temporary
                // rarely fails once every byte is on disk).
                let mut kept = 0;
                for ((placed, _), was) in outputs[..index].iter().zip(&replaced) {
                    match was {
                        true => kept += 1,
                        false => {
                            let _ = std::fs::remove_file(placed);
                        }
                    }
                }
                return Err(match kept {
                    0 => fail(path, &e),
                    n => format!(
                        "cannot write {}: {e}; {n} file{} written before it replaced older ones and stay",
                        path.display(),
                        if n == 1 { "" } else { "s" }
                    ),
                });
            }
        }
        Ok(())
    }

    /// A temporary name for a target whose name is `target_len` bytes long: `.` and hex digits,
    /// never longer than the target's name (a target of 255 bytes, the most a file system takes,
    /// still gets a temporary name it takes), at most 16 bytes, and at least 2 (`.` and a digit;
    /// only a one-byte target's is longer). Unique enough: made from the process id, a counter and
    /// the clock, and created exclusively, so a clash only costs another attempt.
    pub fn temporary_name(&self, target_len: usize) -> String {
        let count = self
            .temporaries
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let seed = format!("{} {count} {nanos}", std::process::id());
        let hex = wxcflow::flow::Source::sha256_hex(seed.as_bytes());
        let digits = target_len.saturating_sub(1).clamp(1, 15);
        format!(".{}", &hex[..digits])
    }

    /// Writes to stdout. A closed pipe (`wxcflow graph | head`) ends the output quietly; any other
    /// failure (`> /dev/full`) is remembered and turns the exit code into 2.
    /// DEL and the C1 control characters (U+009B starts an escape sequence in some terminals) are
    /// written as `\u00XX`: a valid escape in the JSON and TOML strings that carry them, and plain
    /// text elsewhere.
    ///
    /// stdout that is one of the run's input files (`graph spec >> spec`) is never written: the
    /// run ends with exit 2, as for an output named with `-o`.
    pub fn stdout_write(&self, args: std::fmt::Arguments<'_>) {
        use std::sync::atomic::Ordering;
        if let Some(input) = self.stream_input(Stream::Stdout) {
            let unwritten = match self.stdout_begun.load(Ordering::SeqCst) {
                true => "the rest was not written",
                false => "nothing was written",
            };
            self.fail_stdout(format!(
                "refusing to write stdout: it is the input {}; {unwritten}",
                input.display()
            ));
            return;
        }
        // No command writes a `.workflow` export, by `-o` or by a redirection.
        let workflow = self.stdout_workflow.get_or_init(stdout_named_workflow);
        if let Some(path) = workflow {
            self.fail_stdout(format!(
                "refusing to write stdout: it is {}, named as a .workflow export (encrypted with a key only Cisco holds; wxcflow writes none); nothing was written",
                path.display()
            ));
            return;
        }
        self.stdout_begun.store(true, Ordering::SeqCst);
        let text = args.to_string();
        let text = wxcflow::diagnostic::escape_c1(text);
        // Past `ulimit -f` the kernel would end the process halfway through the write (`schema >
        // file`): what would not fit is not begun, and the run ends with exit 2.
        let limit = *self.stdout_limit.get_or_init(|| limited_stream(1));
        let written = match limit {
            None => std::io::stdout().lock().write_all(text.as_bytes()),
            Some(limit) => {
                within_limit(1, limit, text.as_bytes()).unwrap_or_else(|| {
                    Err(std::io::Error::other(
                        "stdout is a file, and this output would take it over the process's file size limit (ulimit -f); the rest was not written",
                    ))
                })
            }
        };
        self.record_stdout(written);
    }

    fn record_stdout(&self, result: std::io::Result<()>) {
        if let Err(e) = result {
            if e.kind() != std::io::ErrorKind::BrokenPipe {
                self.fail_stdout(format!("cannot write to stdout: {e}"));
            }
        }
    }

    fn fail_stdout(&self, message: String) {
        if let Ok(mut failure) = self.stdout_failure.lock() {
            failure.get_or_insert(message);
        }
    }

    /// Writes an output to a standard stream that `-o` named (`-`, `/dev/stdout`,
    /// `/dev/stderr`, `/dev/fd/1`): through the descriptor already open, as `>` or `>>` opened
    /// it (appending stays appending; nothing is truncated or replaced). `shown` is the name
    /// given. Refused, with nothing written, when the stream is one of the run's input files or
    /// is stdin.
    pub fn write_stream(&self, stream: Stream, shown: &Path, text: &str) -> Result<(), String> {
        if stream == Stream::Stdin {
            return Err(format!(
                "refusing to write {}: it is this process's standard input, which is read, not written; nothing was written",
                shown.display()
            ));
        }
        if let Some(input) = self.stream_input(stream) {
            return Err(format!(
                "refusing to write {}: it is the input {}; nothing was written",
                shown.display(),
                input.display()
            ));
        }
        if stream == Stream::Stdout {
            self.stdout_write(format_args!("{text}"));
            return Ok(());
        }
        // stderr: written as stdout would be, and a failure is the command's (exit 2).
        let text = wxcflow::diagnostic::escape_c1(text.to_string());
        let written = match limited_stream(2) {
            None => {
                let mut stderr = std::io::stderr().lock();
                stderr.write_all(text.as_bytes()).and_then(|()| stderr.flush())
            }
            Some(limit) => within_limit(2, limit, text.as_bytes()).unwrap_or_else(|| {
                Err(std::io::Error::other(
                    "stderr is a file, and this output would take it over the process's file size limit (ulimit -f); nothing was written",
                ))
            }),
        };
        written.map_err(|e| format!("cannot write to stderr: {e}"))
    }

    /// Flushes stdout; the failure to report, if writing to it failed at any point.
    pub fn stdout_failure(&self) -> Option<String> {
        self.record_stdout(std::io::stdout().lock().flush());
        self.stdout_failure.lock().ok().and_then(|f| f.clone())
    }
}

/// One of the process's standard streams.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    Stdin,
    Stdout,
    Stderr,
}

/// The standard stream an output named `path` is: `-` is stdout, and so is any path that names
/// the process's own open stdout (`/dev/stdout`, `/dev/fd/1`, `/proc/self/fd/1`, a link to one
/// of them); likewise stderr and stdin. Such a path is the stream, not the file it was opened
/// on: writing it as a file would replace what `>>` appends to.
pub fn output_stream(path: &Path) -> Option<Stream> {
    if path.as_os_str() == "-" {
        return Some(Stream::Stdout);
    }
    standard_stream(path)
}

/// How an output that is a standard stream is named in a message: as given, or `stdout` for
/// `-` or no `-o` at all.
pub fn stream_shown(output: Option<&Path>) -> PathBuf {
    match output {
        Some(path) if path.as_os_str() != "-" => path.to_path_buf(),
        _ => PathBuf::from("stdout"),
    }
}

/// The standard stream `path` names, following its links one at a time as the kernel does (at
/// most 40), until an entry of this process's own descriptor folder (`/proc/<pid>/fd`, which
/// `/proc/self`, `/proc/thread-self` and `/dev/fd` lead to): the kernel's link there leads to
/// the open file, whose path says nothing of the stream.
#[cfg(target_os = "linux")]
pub fn standard_stream(path: &Path) -> Option<Stream> {
    let own = format!("/proc/{}/", std::process::id());
    let own_fd_folder = |folder: &Path| {
        let rest = folder.to_str().and_then(|f| f.strip_prefix(&own));
        rest.is_some_and(|rest| {
            rest == "fd"
                || rest.strip_prefix("task/").is_some_and(|task| {
                    task.strip_suffix("/fd")
                        .is_some_and(|tid| !tid.contains('/'))
                })
        })
    };
    let mut path = path.to_path_buf();
    for _ in 0..40 {
        let name = path.file_name()?.to_os_string();
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let folder = std::fs::canonicalize(parent).ok()?;
        if own_fd_folder(&folder) {
            return match name.to_str()? {
                "0" => Some(Stream::Stdin),
                "1" => Some(Stream::Stdout),
                "2" => Some(Stream::Stderr),
                _ => None,
            };
        }
        let here = folder.join(&name);
        if !std::fs::symlink_metadata(&here)
            .ok()?
            .file_type()
            .is_symlink()
        {
            return None;
        }
        // A relative target is relative to the link's folder; an absolute one replaces it.
        path = folder.join(std::fs::read_link(&here).ok()?);
    }
    None
}

/// Elsewhere, by the names the system gives its standard streams.
#[cfg(not(target_os = "linux"))]
pub fn standard_stream(path: &Path) -> Option<Stream> {
    match path.to_str()? {
        "/dev/stdin" | "/dev/fd/0" => Some(Stream::Stdin),
        "/dev/stdout" | "/dev/fd/1" => Some(Stream::Stdout),
        "/dev/stderr" | "/dev/fd/2" => Some(Stream::Stderr),
        _ => None,
    }
}

/// (device, inode) of the file standard stream `stream` is open on, when it is a regular file.
#[cfg(unix)]
fn stream_file(stream: Stream) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt as _;
    let meta = stream_metadata(stream)?;
    meta.is_file().then(|| (meta.dev(), meta.ino()))
}

#[cfg(unix)]
fn stream_metadata(stream: Stream) -> Option<std::fs::Metadata> {
    use std::os::fd::AsFd as _;
    let fd = match stream {
        Stream::Stdin => std::io::stdin().as_fd().try_clone_to_owned(),
        Stream::Stdout => std::io::stdout().as_fd().try_clone_to_owned(),
        Stream::Stderr => std::io::stderr().as_fd().try_clone_to_owned(),
    };
    std::fs::File::from(fd.ok()?).metadata().ok()
}

#[cfg(not(unix))]
fn stream_file(_: Stream) -> Option<(u64, u64)> {
    None
}

/// stdout's path, when it is a regular file named as a `.workflow` export (Linux tells the
/// path of an open descriptor).
fn stdout_named_workflow() -> Option<PathBuf> {
    stream_metadata(Stream::Stdout).filter(std::fs::Metadata::is_file)?;
    let path = std::fs::read_link("/proc/self/fd/1").ok()?;
    super::build::is_workflow_path(&path).then_some(path)
}

/// Which of stdout and stderr an input opened as `meta` is, when it is the pipe that stream
/// writes into (`diff a.json /dev/stdout | cat`): its reader is another process, and reading
/// it would wait for this command's own output, which comes only once the read is done.
#[cfg(unix)]
fn own_output_pipe(meta: &std::fs::Metadata) -> Option<&'static str> {
    use std::os::unix::fs::{FileTypeExt as _, MetadataExt as _};
    if !meta.file_type().is_fifo() {
        return None;
    }
    let id = (meta.dev(), meta.ino());
    [(Stream::Stdout, "output"), (Stream::Stderr, "errors")]
        .into_iter()
        .find(|(stream, _)| stream_metadata(*stream).is_some_and(|m| (m.dev(), m.ino()) == id))
        .map(|(_, what)| what)
}

#[cfg(not(unix))]
fn own_output_pipe(_: &std::fs::Metadata) -> Option<&'static str> {
    None
}

/// stderr's (device, inode) when it is a regular file, told once: stderr stays the same file.
static STDERR_FILE: std::sync::OnceLock<Option<(u64, u64)>> = std::sync::OnceLock::new();
/// Set once stderr is known to be open on one of the run's inputs (`2>> spec.toml`).
static STDERR_IS_INPUT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Notes an input's (device, inode): when stderr is open on that file, nothing is written to
/// stderr from then on (a report line or diagnostic there would corrupt the input). Compared as
/// each input is read, so that a write to stderr costs one flag.
#[cfg(unix)]
fn stderr_may_be_input(id: (u64, u64)) {
    if *STDERR_FILE.get_or_init(|| stream_file(Stream::Stderr)) == Some(id) {
        STDERR_IS_INPUT.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Writes one line of a report to stderr, with its line break. A failure (`2>/dev/full`) leaves
/// nowhere to tell it, so it is ignored: the exit code still says how the command ended.
/// The line stays one line: every control character in what it is given (a file name, a key,
/// a value from a spec), line breaks and tabs included, shows as U+FFFD
/// ([`wxcflow::diagnostic::printable_name`]), so that nothing a user typed can forge a line of
/// the report, or recolour or rewrite the terminal.
pub fn stderr_line(args: std::fmt::Arguments<'_>) {
    let text = args.to_string();
    let mut line = wxcflow::diagnostic::printable_name(&text).into_owned();
    line.push('\n');
    stderr_write_styled(&line);
}

/// Writes text whose escape sequences are the command's own (coloured diagnostics, built from
/// sanitized parts) to stderr as it is.
///
/// stderr redirected to a regular file is held to the process's file size limit (`ulimit -f`)
/// as stdout is: past it the kernel would end the process halfway through a line, so text that
/// would not fit is not begun, nor is any text after it (a report with a hole in it would say
/// something else); the exit code still says how the command ended.
///
/// stderr open on one of the run's input files (`2>> spec.toml`) is never written: there is
/// nowhere to tell anything, and the exit code says how the command ended.
pub fn stderr_write_styled(text: &str) {
    static LIMIT: std::sync::OnceLock<Option<u64>> = std::sync::OnceLock::new();
    static FULL: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    use std::sync::atomic::Ordering;
    if FULL.load(Ordering::SeqCst) || STDERR_IS_INPUT.load(Ordering::SeqCst) {
        return;
    }
    let _ = match *LIMIT.get_or_init(|| limited_stream(2)) {
        None => std::io::stderr().lock().write_all(text.as_bytes()),
        Some(limit) => within_limit(2, limit, text.as_bytes()).unwrap_or_else(|| {
            FULL.store(true, Ordering::SeqCst);
            Ok(())
        }),
    };
}

/// The process's file size limit when standard stream `fd` (1 stdout, 2 stderr) is a regular
/// file and a limit is set; `None` otherwise (a terminal, a pipe, no limit).
fn limited_stream(fd: u8) -> Option<u64> {
    let limit = file_size_limit()?;
    std::fs::metadata(format!("/proc/self/fd/{fd}"))
        .ok()?
        .is_file()
        .then_some(limit)
}

/// Writes `bytes` to standard stream `fd`, a regular file under file size limit `limit`, when
/// they fit; `None`, with nothing written, when they would not. The room is told afresh for
/// each write (the limit less where writing begins: the file's end when it is opened to
/// append), so stdout and stderr sent to the same file (`>> log 2>&1`) are held together; one
/// write at a time, and flushed, so that the place told is where the bytes go.
fn within_limit(fd: u8, limit: u64, bytes: &[u8]) -> Option<std::io::Result<()>> {
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    // Both streams may be the same file: what stdout buffered is written before telling.
    let flushed = std::io::stdout().lock().flush();
    if fd == 1 {
        if let Err(e) = flushed {
            return Some(Err(e));
        }
    }
    if let Some(start) = write_position(fd) {
        if limit.saturating_sub(start) < bytes.len() as u64 {
            return None;
        }
    }
    Some(if fd == 1 {
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(bytes).and_then(|()| stdout.flush())
    } else {
        std::io::stderr().lock().write_all(bytes)
    })
}

/// Where a write to standard stream `fd` begins now: its position, or the file's end when it
/// is opened to append (O_APPEND is 0o2000 in the octal flags Linux shows).
fn write_position(fd: u8) -> Option<u64> {
    let meta = std::fs::metadata(format!("/proc/self/fd/{fd}")).ok()?;
    let info = std::fs::read_to_string(format!("/proc/self/fdinfo/{fd}")).ok()?;
    let field = |name: &str| {
        info.lines()
            .find_map(|l| l.strip_prefix(name))
            .map(str::trim)
            .map(str::to_string)
    };
    let position: u64 = field("pos:")?.parse().ok()?;
    let append = field("flags:")
        .and_then(|f| u64::from_str_radix(&f, 8).ok())
        .is_some_and(|f| f & 0o2000 != 0);
    Some(if append {
        position.max(meta.len())
    } else {
        position
    })
}

#[cfg(all(test, unix))]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;
    use wxcflow::render::sources::FileRule;

    fn read(path: &Path, rules: &dyn Fn(&Path) -> Result<(), FileRule>) -> Result<String, String> {
        Files::default()
            .read_secret_file(path, 100, rules)
            .map_err(|e| match e {
                SecretReadError::NotAllowed(rule) => format!("not allowed: {rule:?}"),
                SecretReadError::Failed(why) => why,
            })
    }

    #[test]
    fn a_secret_file_is_checked_again_once_opened() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("key");
        std::fs::write(&file, "k-1\n").unwrap();
        let anywhere = |_: &Path| Ok(());
        assert_eq!(read(&file, &anywhere).unwrap(), "k-1\n");
        // A link where the checked file was is not followed.
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        assert_eq!(
            read(&link, &anywhere).unwrap_err(),
            "not allowed: NotRegularFile"
        );
        // Where the kernel tells the opened file's path, the rules judge it again.
        let nowhere = |_: &Path| Err(FileRule::OutsideAllowedFolders);
        let again = read(&file, &nowhere);
        if cfg!(target_os = "linux") {
            assert_eq!(again.unwrap_err(), "not allowed: OutsideAllowedFolders");
        }
        // Too large, or not UTF-8: said without any of the contents or where they break.
        std::fs::write(&file, [b'a'; 101]).unwrap();
        assert!(read(&file, &anywhere)
            .unwrap_err()
            .contains("is over 100 bytes"));
        std::fs::write(&file, b"abc\xff").unwrap();
        assert!(read(&file, &anywhere)
            .unwrap_err()
            .ends_with("is not UTF-8 text"));
    }
}

#[cfg(test)]
mod together_tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A failure while the temporaries are written (here: a folder that is not there) leaves
    /// none of the files, not the ones before it either.
    #[test]
    fn files_written_together_are_all_written_or_none() {
        let dir = tempfile::tempdir().unwrap();
        let files = Files::default();
        let outputs: Vec<(PathBuf, &[u8])> = vec![
            (dir.path().join("a.txt"), b"a"),
            (dir.path().join("missing/b.txt"), b"b"),
        ];
        let err = files
            .write_outputs_together(&outputs, WriteOptions::output(false), true)
            .unwrap_err();
        assert!(
            err.contains("missing/b.txt") && err.ends_with("nothing was written"),
            "{err}"
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        std::fs::create_dir(dir.path().join("missing")).unwrap();
        files
            .write_outputs_together(&outputs, WriteOptions::output(false), true)
            .unwrap();
        assert_eq!(
            std::fs::read(dir.path().join("missing/b.txt")).unwrap(),
            b"b"
        );
        // Kept: a file already at a path is not replaced when asked to keep it.
        let err = files
            .write_outputs_together(&outputs[..1], WriteOptions::output(false), true)
            .unwrap_err();
        assert!(err.contains("a.txt"), "{err}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }
}

#[cfg(all(test, target_os = "linux"))]
mod standard_stream_tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// The names of this process's streams, however reached; another process's, another
    /// descriptor or a plain file are files.
    #[test]
    fn a_path_is_a_standard_stream_only_when_it_names_one_of_this_process() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("out");
        std::os::unix::fs::symlink("/dev/stdout", &link).unwrap();
        let chain = dir.path().join("chain");
        std::os::unix::fs::symlink("out", &chain).unwrap();
        let own = format!("/proc/{}/fd/2", std::process::id());
        for (path, stream) in [
            ("-", Some(Stream::Stdout)),
            ("/dev/stdout", Some(Stream::Stdout)),
            ("/dev/fd/1", Some(Stream::Stdout)),
            ("/proc/self/fd/1", Some(Stream::Stdout)),
            ("/proc/thread-self/fd/1", Some(Stream::Stdout)),
            ("/dev/stderr", Some(Stream::Stderr)),
            (own.as_str(), Some(Stream::Stderr)),
            ("/dev/stdin", Some(Stream::Stdin)),
            (link.to_str().unwrap(), Some(Stream::Stdout)),
            (chain.to_str().unwrap(), Some(Stream::Stdout)),
            ("/dev/fd/3", None),
            ("/proc/1/fd/1", None),
            ("/dev/null", None),
            ("out.json", None),
        ] {
            assert_eq!(output_stream(Path::new(path)), stream, "{path}");
        }
    }
}

#[cfg(test)]
mod temporary_name_tests {
    #[test]
    fn a_temporary_name_is_never_longer_than_its_target() {
        let files = super::Files::default();
        for target in [2, 5, 16, 17, 100, 250, 255] {
            let name = files.temporary_name(target);
            assert_eq!(name.len(), target.min(16), "{name}");
            assert!(name.starts_with('.'));
        }
        // Every one a render writes (a document, 11 bytes or more; the manifest) is known as
        // such, so that a render removes those a stopped run left.
        for target in 11..300 {
            let name = files.temporary_name(target);
            assert!(wxcflow::render::batch::is_temporary_name(&name), "{name}");
        }
        assert!(!wxcflow::render::batch::is_temporary_name(".cafe"));
        assert_ne!(files.temporary_name(255), files.temporary_name(255));
    }
}

/// Makes `dir` and whatever of its parents is missing; returns the folders made, deepest first,
/// for [`remove_made`] to take back when nothing is written into them.
pub(super) fn make_folders(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let made: Vec<PathBuf> = (dir.ancestors())
        .take_while(|d| !d.as_os_str().is_empty() && d.symlink_metadata().is_err())
        .map(Path::to_path_buf)
        .collect();
    std::fs::create_dir_all(dir)?;
    Ok(made)
}

/// Removes the folders [`make_folders`] made, each only while empty: nothing else put there
/// meanwhile is ever removed.
pub(super) fn remove_made(made: &[PathBuf]) {
    for folder in made {
        let _ = std::fs::remove_dir(folder);
    }
}
