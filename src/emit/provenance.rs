//! Where outputs came from: a document's provenance, a render's manifest, a tenant's sheet
//! heading. No timestamps and no folders: the same inputs give the same bytes anywhere.

use crate::flow::{Document, Provenance, Source};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The tool and version that wrote an output.
pub const TOOL: &str = concat!("wxcflow ", env!("CARGO_PKG_VERSION"));

/// The manifest's format version.
pub const MANIFEST_FORMAT: &str = "wxcflow.manifest/1";

/// The manifest's file name inside a render's output folder.
pub const MANIFEST_NAME: &str = "wxcflow-manifest.json";

/// Lowercase hex sha256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// An input by its file name (the folder is left out: it differs between machines) and content.
pub fn source(path: &str, bytes: &[u8]) -> Source {
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path).to_string();
    Source {
        name,
        sha256: sha256_hex(bytes),
    }
}

/// Sets the document's provenance and gives its canonical JSON.
pub fn stamp(document: &mut Document, template: Source, tenant: Option<Source>) -> String {
    document.provenance = Some(Provenance {
        tool: TOOL.to_string(),
        template,
        tenant,
    });
    super::document::to_json(document)
}

/// As [`stamp`], on the document's canonical JSON instead of the document: `provenance` is the
/// document's last field, so it is appended rather than the whole document serialised again
/// (a batch of 10,000 tenants spends a tenth of its time serialising). The result is the same
/// bytes, which a test checks.
pub fn stamp_json(document_json: &str, template: Source, tenant: Option<Source>) -> Option<String> {
    let body = document_json.strip_suffix("\n}\n")?;
    let provenance = Provenance {
        tool: TOOL.to_string(),
        template,
        tenant,
    };
    let text = serde_json::to_string_pretty(&provenance).ok()?;
    Some(format!(
        "{body},\n  \"provenance\": {}\n}}\n",
        text.replace('\n', "\n  ")
    ))
}

/// What a render did, written to `OUTDIR/wxcflow-manifest.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The manifest format, [`MANIFEST_FORMAT`]; a manifest in another is not read back.
    pub format: String,
    /// The tool and version that rendered ([`TOOL`]): outputs of another version are rebuilt.
    pub tool: String,
    /// The template every tenant was rendered from, by file name and sha256.
    pub template: Source,
    /// Every tenant of the run, by name.
    pub tenants: Vec<ManifestEntry>,
    /// Outputs of earlier runs removed by this one (failed or vanished tenants).
    pub removed: Vec<String>,
}

/// One tenant of a render: where its values came from and what became of its document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestEntry {
    /// The tenant's name (its file name without `.toml`).
    pub name: String,
    /// The tenant file, by file name and sha256.
    pub source: Source,
    /// The document's file name in the output folder.
    pub output: String,
    /// `ok`: the document is this run's; `failed`: there is no document.
    pub status: Status,
    /// The document's sha256; `null` when it failed, or when it holds a secret (a digest of a
    /// short secret could be guessed offline).
    pub output_sha256: Option<String>,
    /// The document holds secret values and is mode 0600.
    pub private: bool,
    /// Codes of the errors that failed it.
    pub errors: Vec<String>,
    /// Codes of its warnings, once each: a later render that finds the tenant unchanged does
    /// not rebuild it, and points here for them.
    pub warnings: Vec<String>,
}

/// Whether a tenant's document was built.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// The document in the output folder is this run's.
    Ok,
    /// The tenant had errors; there is no document for it.
    Failed,
}

impl Manifest {
    /// A new manifest for a template.
    pub fn new(template: Source) -> Manifest {
        Manifest {
            format: MANIFEST_FORMAT.to_string(),
            tool: TOOL.to_string(),
            template,
            tenants: Vec::new(),
            removed: Vec::new(),
        }
    }

    /// Canonical JSON (entries sorted by name), with a trailing newline.
    // `expect` below: the manifest is plain data with string keys: it always serialises.
    #[allow(clippy::expect_used)]
    pub fn to_json(&self) -> String {
        let mut sorted = self.clone();
        sorted.tenants.sort_by(|a, b| a.name.cmp(&b.name));
        sorted.removed.sort();
        let mut text = serde_json::to_string_pretty(&sorted).expect("manifests serialise");
        text.push('\n');
        text
    }

    /// An earlier manifest, from its JSON; `None` when it is not one this version reads.
    pub fn parse(json: &str) -> Option<Manifest> {
        serde_json::from_str::<Manifest>(json)
            .ok()
            .filter(|m| m.format == MANIFEST_FORMAT)
    }
}
