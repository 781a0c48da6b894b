//! Where a tenant's secret values may come from, and what such a value may hold. The command
//! line reads the files and the environment; the rules are decided here.
//!
//! A secret file is a regular file inside the folder that holds the tenant file (or one of its
//! subfolders), or inside a folder the command is given with `--secrets-dir`, judged after every
//! symbolic link is resolved; never under `/proc`, `/sys` or `/dev`, whatever folder is allowed
//! (`/proc/self/environ` is the whole process environment: other tenants' passphrases, a CI's
//! tokens). A secret value, from a file or the environment, loses one trailing newline (LF or
//! CRLF) and may hold no control character (tab included) and no byte order mark.

use std::path::{Path, PathBuf};

/// Folders under which no secret file is ever read, whatever folder is allowed: what they hold
/// belongs to the process or the machine (the environment, memory, devices), not to a tenant.
pub(crate) const SYSTEM_FOLDERS: [&str; 3] = ["/proc", "/sys", "/dev"];

/// Whether `canonical` (a path with its links resolved) is one of `SYSTEM_FOLDERS` or lies
/// under one.
pub fn is_system_path(canonical: &Path) -> bool {
    SYSTEM_FOLDERS.iter().any(|f| canonical.starts_with(f))
}

/// The rule a secret file breaks, found before it is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileRule {
    /// It lies under `/proc`, `/sys` or `/dev`.
    SystemFolder,
    /// It lies outside the tenant file's folder tree and every `--secrets-dir`, once links are
    /// resolved.
    OutsideAllowedFolders,
    /// It is not a regular file (a FIFO would block, a device never end).
    NotRegularFile,
    /// It lies in the folder a render writes, or is one of that folder's files by another name
    /// (a hard link): its lock, manifest and temporary files are written and removed there
    /// while tenants are read.
    InOutputFolder,
}

impl FileRule {
    /// The rule, as the diagnostic states it.
    pub fn describe(self) -> &'static str {
        match self {
            FileRule::SystemFolder => {
                "not allowed: it lies under /proc, /sys or /dev, where no secret file is read"
            }
            FileRule::OutsideAllowedFolders => {
                "not allowed: it lies outside the tenant file's folder (and its subfolders) and every --secrets-dir folder (symbolic links followed)"
            }
            FileRule::NotRegularFile => "not a regular file (a secret file is read whole, once)",
            FileRule::InOutputFolder => {
                "not allowed: it lies in the render's output folder (or is one of its files by another name), whose files the render writes, replaces and removes"
            }
        }
    }

    /// What to do about it, where there is something to do.
    pub fn help(self) -> Option<&'static str> {
        match self {
            FileRule::OutsideAllowedFolders => Some(
                "move the file into the tenant file's folder or below it, or give its folder with --secrets-dir DIR",
            ),
            FileRule::InOutputFolder => {
                Some("keep secret files out of the folder given with -o")
            }
            FileRule::SystemFolder | FileRule::NotRegularFile => None,
        }
    }
}

/// Why a secret file gives no value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecretFileError {
    /// It breaks a rule of where secret files may be: `wxc::secret-file-not-allowed`.
    NotAllowed(FileRule),
    /// It cannot be read (missing, unreadable, too large, not UTF-8): why, without any of its
    /// contents.
    Unreadable(String),
}

/// Where a secret file may be read from. `canonical` is its path with every link resolved;
/// `allowed` the canonical folders it may lie in (the tenant file's, each `--secrets-dir`).
/// A path that is not absolute is not canonical, and is refused as lying outside.
pub fn check_secret_path(canonical: &Path, allowed: &[PathBuf]) -> Result<(), FileRule> {
    if is_system_path(canonical) {
        return Err(FileRule::SystemFolder);
    }
    if !canonical.is_absolute()
        || !allowed
            .iter()
            .any(|folder| folder.is_absolute() && canonical.starts_with(folder))
    {
        return Err(FileRule::OutsideAllowedFolders);
    }
    Ok(())
}

/// Why a secret value is refused. Neither says which character, where, or how long the value
/// is: only the rule it breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ValueProblem {
    /// Empty, or only white space, once the trailing newline is removed.
    Blank,
    /// It holds a byte order mark, NUL or other control character (tab, a second newline).
    ControlCharacter,
}

/// A secret value as read from a file or the environment, made the value a tenant gets: one
/// trailing newline (LF or CRLF) is removed, as editors and `echo` add one; what remains must
/// not be blank, and must hold no control character (Unicode category Cc: C0, DEL and C1,
/// tab and newlines included) and no byte order mark (U+FEFF, which Windows editors put first).
pub(crate) fn clean_secret_value(raw: &str) -> Result<String, ValueProblem> {
    let value = raw
        .strip_suffix("\r\n")
        .or_else(|| raw.strip_suffix('\n'))
        .unwrap_or(raw);
    if value.trim().is_empty() {
        return Err(ValueProblem::Blank);
    }
    if value.chars().any(|c| c.is_control() || c == '\u{feff}') {
        return Err(ValueProblem::ControlCharacter);
    }
    Ok(value.to_string())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn one_trailing_newline_is_removed_and_nothing_else() {
        assert_eq!(clean_secret_value("abc\n").unwrap(), "abc");
        assert_eq!(clean_secret_value("abc\r\n").unwrap(), "abc");
        assert_eq!(clean_secret_value("abc").unwrap(), "abc");
        assert_eq!(clean_secret_value(" abc ").unwrap(), " abc ");
        for refused in [
            "abc\n\n",
            "abc\r\n\r\n",
            "abc\r",
            "a\nb",
            "\u{feff}abc",
            "a\tb",
            "a\u{0}b",
            "a\u{1b}[31mb",
            "a\u{7f}",
            "a\u{85}b",
        ] {
            assert_eq!(
                clean_secret_value(refused),
                Err(ValueProblem::ControlCharacter),
                "{refused:?}"
            );
        }
        for blank in ["", "\n", "\r\n", "  \n", " \t "] {
            assert_eq!(
                clean_secret_value(blank),
                Err(ValueProblem::Blank),
                "{blank:?}"
            );
        }
        // Not control characters: letters of any script, emoji, a non-breaking space.
        assert!(clean_secret_value("pässwörd-秘密-🔑\u{a0}x").is_ok());
    }

    #[test]
    fn a_secret_file_lies_in_an_allowed_folder_and_outside_system_folders() {
        let allowed = [
            PathBuf::from("/home/ci/tenants"),
            PathBuf::from("/run/secrets"),
        ];
        let ok = |p: &str| check_secret_path(Path::new(p), &allowed);
        assert_eq!(ok("/home/ci/tenants/acme.key"), Ok(()));
        assert_eq!(ok("/home/ci/tenants/keys/acme.key"), Ok(()));
        assert_eq!(ok("/run/secrets/acme"), Ok(()));
        assert_eq!(
            ok("/home/ci/tenants-old/acme.key"),
            Err(FileRule::OutsideAllowedFolders)
        );
        assert_eq!(
            ok("/home/ci/acme.key"),
            Err(FileRule::OutsideAllowedFolders)
        );
        assert_eq!(ok("tenants/acme.key"), Err(FileRule::OutsideAllowedFolders));
        assert_eq!(ok("/etc/shadow"), Err(FileRule::OutsideAllowedFolders));
        for system in [
            "/proc/self/environ",
            "/proc/1/environ",
            "/sys/kernel/x",
            "/dev/zero",
            "/dev",
        ] {
            assert_eq!(ok(system), Err(FileRule::SystemFolder), "{system}");
        }
        // An allowed folder does not make a system folder readable.
        let proc = [PathBuf::from("/proc"), PathBuf::from("/")];
        assert_eq!(
            check_secret_path(Path::new("/proc/self/environ"), &proc),
            Err(FileRule::SystemFolder)
        );
        assert!(is_system_path(Path::new("/proc")));
        assert!(!is_system_path(Path::new("/procfs")));
        assert!(!is_system_path(Path::new("/")));
    }
}
