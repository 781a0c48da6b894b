//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::Path;
use std::sync::OnceLock;
use wxcflow::diagnostic::SourceFile;
use wxcflow::schema::DocumentValidator;

/// One validator for the whole test binary, as the CLI does per process.
pub fn validator() -> &'static DocumentValidator {
    static VALIDATOR: OnceLock<DocumentValidator> = OnceLock::new();
    VALIDATOR.get_or_init(DocumentValidator::new)
}

/// Reads a fixture with a name relative to the crate root, so snapshots do not hold local paths.
pub fn fixture(path: &Path) -> SourceFile {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let name = path.strip_prefix(root).unwrap_or(path);
    let text = std::fs::read_to_string(path).expect("fixture is readable");
    SourceFile::new(name.to_string_lossy().replace('\\', "/"), text)
}
