//! Fixes the build id when the binary is built: a digest of the sources (src/, templates/,
//! schemas/, Cargo.toml, Cargo.lock, this file) and, when git is at hand, the commit. No
//! timestamps: the same sources give the same id on any machine. A render keys its reuse of
//! unchanged documents on this id, so two builds that both say 0.1.0 never share documents.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

fn main() {
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let mut files = Vec::new();
    for dir in ["src", "templates", "schemas"] {
        println!("cargo:rerun-if-changed={dir}");
        walk(&root, &root.join(dir), &mut files);
    }
    for file in ["Cargo.toml", "Cargo.lock", "build.rs"] {
        println!("cargo:rerun-if-changed={file}");
        files.push(PathBuf::from(file));
    }
    files.sort();
    let mut hasher = Sha256::new();
    for file in &files {
        let bytes = std::fs::read(root.join(file)).unwrap_or_default();
        let name = file.to_string_lossy().replace('\\', "/");
        hasher.update((name.len() as u64).to_le_bytes());
        hasher.update(name.as_bytes());
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(&bytes);
    }
    let digest: String = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    // 64 bits of it tell builds apart and keep the id readable.
    println!("cargo:rustc-env=WXCFLOW_SOURCE_ID={}", &digest[..16]);
    println!("cargo:rustc-env=WXCFLOW_COMMIT={}", commit(&root));
}

/// Every file under `dir`, relative to `root`.
fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        match entry.file_type() {
            Ok(kind) if kind.is_dir() => walk(root, &path, out),
            Ok(kind) if kind.is_file() => {
                if let Ok(relative) = path.strip_prefix(root) {
                    out.push(relative.to_path_buf());
                }
            }
            _ => {}
        }
    }
}

/// The commit checked out, or "" without git (a crate tarball); re-run when HEAD moves.
fn commit(root: &Path) -> String {
    let dot_git = root.join(".git");
    // A worktree's `.git` is a file naming its git folder.
    let git_dir = match std::fs::read_to_string(&dot_git) {
        Ok(text) => text
            .strip_prefix("gitdir:")
            .map(|d| root.join(d.trim()))
            .unwrap_or(dot_git),
        Err(_) => dot_git,
    };
    let head = git_dir.join("HEAD");
    if !head.exists() {
        return String::new();
    }
    println!("cargo:rerun-if-changed={}", head.display());
    if let Ok(text) = std::fs::read_to_string(&head) {
        if let Some(reference) = text.trim().strip_prefix("ref: ") {
            let common = std::fs::read_to_string(git_dir.join("commondir"))
                .map(|c| git_dir.join(c.trim()))
                .unwrap_or_else(|_| git_dir.clone());
            for candidate in [git_dir.join(reference), common.join(reference)] {
                if candidate.exists() {
                    println!("cargo:rerun-if-changed={}", candidate.display());
                }
            }
            println!(
                "cargo:rerun-if-changed={}",
                common.join("packed-refs").display()
            );
        }
    }
    std::process::Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(root)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit()))
        .unwrap_or_default()
}
