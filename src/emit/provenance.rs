//! Where outputs came from: a document's provenance, a render's manifest, a tenant's sheet
//! heading. No timestamps and no folders: the same inputs give the same bytes anywhere.

use crate::flow::{Document, Provenance, Source};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// The tool and version that wrote an output.
pub(crate) const TOOL: &str = concat!("wxcflow ", env!("CARGO_PKG_VERSION"));

/// The build that wrote a render: the version and a digest of the sources fixed when the binary
/// was built (`build.rs`), e.g. `0.1.0+src.1f2e3d4c5b6a7988`. Two builds of different sources
/// (the first 16 hex digits of a sha256 over them) that both say 0.1.0 have different ids, so a render never reuses the other's documents.
pub(crate) const BUILD_ID: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    "+src.",
    env!("WXCFLOW_SOURCE_ID")
);

/// The git commit the binary was built from; empty when built without git (a crate tarball).
/// Informational: a commit that changes no source (a README edit) changes no output, so reuse is
/// keyed on [`BUILD_ID`], not on this.
pub(crate) const COMMIT: &str = env!("WXCFLOW_COMMIT");

/// The manifest's format version.
pub(crate) const MANIFEST_FORMAT: &str = "wxcflow.manifest/2";

/// The manifest's file name inside a render's output folder.
pub(crate) const MANIFEST_NAME: &str = "wxcflow-manifest.json";

/// Lowercase hex sha256.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// An input by its file name (the folder is left out: it differs between machines) and content.
pub(crate) fn source(path: &str, bytes: &[u8]) -> Source {
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path).to_string();
    Source {
        name,
        sha256: sha256_hex(bytes),
    }
}

/// Sets the document's provenance and gives its canonical JSON.
pub(crate) fn stamp(document: &mut Document, template: Source, tenant: Option<Source>) -> String {
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
pub(crate) fn stamp_json(
    document_json: &str,
    template: Source,
    tenant: Option<Source>,
) -> Option<String> {
    let body = document_json.strip_suffix("\n}\n")?;
    let tail = provenance_tail(template, tenant)?;
    let mut out = String::with_capacity(body.len() + tail.len());
    out.push_str(body);
    out.push_str(&tail);
    Some(out)
}

/// As [`stamp_json`], appending to the JSON itself rather than to a copy (a large document is
/// not held twice); `None` when it is not a document's canonical JSON.
pub(crate) fn stamp_json_into(
    mut document_json: String,
    template: Source,
    tenant: Option<Source>,
) -> Option<String> {
    let body = document_json.strip_suffix("\n}\n").map(str::len)?;
    let tail = provenance_tail(template, tenant)?;
    document_json.truncate(body);
    document_json.push_str(&tail);
    Some(document_json)
}

/// What follows a document's last member when it is stamped: the provenance member and the
/// document's closing brace.
fn provenance_tail(template: Source, tenant: Option<Source>) -> Option<String> {
    let provenance = Provenance {
        tool: TOOL.to_string(),
        template,
        tenant,
    };
    // Escaped as the whole document's text is (a file name may hold a C1 control character).
    let text = crate::diagnostic::escape_c1(serde_json::to_string_pretty(&provenance).ok()?);
    Some(format!(
        ",\n  \"provenance\": {}\n}}\n",
        text.replace('\n', "\n  ")
    ))
}

/// What a render did, written to `OUTDIR/wxcflow-manifest.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The manifest format, [`Manifest::FORMAT`]; a manifest in another is not read back.
    pub format: String,
    /// `in-progress` from before the first document is replaced until the run completes;
    /// `complete` once it did. A manifest left in progress describes no run.
    pub state: State,
    /// The tool and version that rendered (`TOOL`).
    pub tool: String,
    /// The build that rendered ([`Provenance::BUILD_ID`]): documents of another build are rebuilt.
    pub build: String,
    /// The commit of that build ([`Provenance::COMMIT`]), `""` when unknown.
    pub commit: String,
    /// The template every tenant was rendered from, by file name and sha256.
    pub template: Source,
    /// Every tenant of the run, by name. In an in-progress manifest: the documents the folder
    /// held before the run began (what wxcflow may have written there), never trusted for reuse.
    pub tenants: Vec<ManifestEntry>,
    /// Outputs of earlier runs removed by this one (failed or vanished tenants).
    pub removed: Vec<String>,
    /// Documents wxcflow wrote for tenants that are gone or failed, still in the folder: named
    /// by every render and by `verify` until `render --prune` (or their owner) removes them.
    #[serde(default)]
    pub kept: Vec<ManifestEntry>,
    /// In an in-progress manifest only: the file name of every document the run may write,
    /// listed before it replaces the first one, so that a document written by a run that was
    /// killed is still known to be wxcflow's (it has no digest: nothing confirmed it).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub planned: Vec<String>,
}

/// Whether a manifest describes a completed run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    /// A render began and has not completed (it is running, or it was killed).
    InProgress,
    /// The render completed: the manifest lists what it wrote.
    Complete,
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
    /// The document's sha256; `null` when it failed. For a document holding secrets, the sha256
    /// of the document with each secret value replaced by its declared place
    /// (`redacted_sha256`): a digest of a short secret could be guessed offline.
    pub output_sha256: Option<String>,
    /// The document holds secret values and is mode 0600.
    pub private: bool,
    /// For a private document: each secret variable's declared place (`environment variable
    /// ACME_TOKEN`), which stands in for its value in the digest. Never a value.
    #[serde(default)]
    pub secret_places: BTreeMap<String, String>,
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
    /// Only in the `kept` list: a document a render planned to write and was stopped before it
    /// confirmed it (killed). It has no digest; `render --prune` removes it.
    Planned,
}

impl Manifest {
    /// A new manifest for a template.
    pub fn new(template: Source) -> Manifest {
        Manifest {
            format: MANIFEST_FORMAT.to_string(),
            state: State::Complete,
            tool: TOOL.to_string(),
            build: BUILD_ID.to_string(),
            commit: COMMIT.to_string(),
            template,
            tenants: Vec::new(),
            removed: Vec::new(),
            kept: Vec::new(),
            planned: Vec::new(),
        }
    }

    /// The manifest written before a run replaces its first document: this run's build and
    /// template, in progress, listing what the folder held before (`previous`'s documents and
    /// kept documents) and every document this run may write (`planned`, file names, with those
    /// `previous` planned and never confirmed), so that a run killed half-way still knows what
    /// wxcflow wrote there.
    pub fn in_progress(
        template: Source,
        previous: Option<&Manifest>,
        planned: &[String],
    ) -> Manifest {
        let mut manifest = Manifest::new(template);
        manifest.state = State::InProgress;
        manifest.planned = planned
            .iter()
            .chain(previous.iter().flat_map(|m| &m.planned))
            .cloned()
            .collect();
        manifest.planned.sort();
        manifest.planned.dedup();
        if let Some(previous) = previous {
            manifest.tenants = previous
                .tenants
                .iter()
                .filter(|t| t.status == Status::Ok)
                .cloned()
                .collect();
            manifest.kept = previous.kept.clone();
        }
        manifest
    }

    /// Whether documents listed here may be reused by a render of `template` by this build: a
    /// completed run of the same build and template.
    pub fn reusable_for(&self, template: &Source) -> bool {
        self.state == State::Complete
            && self.tool == TOOL
            && self.build == BUILD_ID
            && &self.template == template
    }

    /// Canonical JSON (entries sorted by name), with a trailing newline.
    // `expect` below: the manifest is plain data with string keys: it always serialises.
    #[allow(clippy::expect_used)]
    pub fn to_json(&self) -> String {
        let mut sorted = self.clone();
        sorted.tenants.sort_by(|a, b| a.name.cmp(&b.name));
        sorted.removed.sort();
        sorted.kept.sort_by(|a, b| a.output.cmp(&b.output));
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

/// The declared place of each secret value a document holds, by variable: where the render took
/// it from (`origins`, from the build), or the template or tenant file when it was written there.
pub(crate) fn secret_places(
    document: &Document,
    origins: &BTreeMap<String, Vec<String>>,
) -> BTreeMap<String, String> {
    document
        .flow
        .variables
        .iter()
        .filter(|v| v.holds_secret())
        .map(|v| {
            let place = match origins.get(&v.name) {
                Some(from) if !from.is_empty() => from.join(", "),
                _ => "written in the template or the tenant file".to_string(),
            };
            (v.name.clone(), place)
        })
        .collect()
}

/// What stands in, in [`redacted_sha256`], for a credential header's value typed in clear: it
/// was written in the template or the tenant file, and has no other place.
const TYPED: &str = "(secret: typed in the template or the tenant file)";

/// Every credential `flow` holds typed in clear, by its place, replaced: in a URL (a variable's
/// default, an outcome's notify URL, a node's URL or proxy) each password and credential
/// parameter's value by `•••`, the rest of the URL kept; a variable's default a request sends
/// as a credential ([`crate::flow::Flow::credential_defaults`]) whole; a credential header's value by
/// [`TYPED`]; what a transition action types that is secret by the variable or by where a URL
/// sends it, by `•••`. What makes a document private besides its secret variables
/// (`Flow::holds_typed_credential`), gone from it.
fn typed_credentials_replaced(flow: &mut crate::flow::Flow) {
    use crate::secret::names::{
        connect_header_types_credential, url_with_credentials_masked, CONNECT_REFERENCES,
    };
    let mask = |url: &mut String| *url = url_with_credentials_masked(url, CONNECT_REFERENCES);
    let sent_as_credentials = flow.credential_defaults();
    for variable in &mut flow.variables {
        if sent_as_credentials.contains(&variable.name) {
            variable.default = crate::secret::MASK.to_string();
        } else if !variable.holds_secret() {
            mask(&mut variable.default);
        }
    }
    flow.outcomes
        .iter_mut()
        .filter_map(|o| o.notify_url.as_mut())
        .for_each(mask);
    // What actions type that is secret: for a secret variable, a URL's credential, or text a
    // URL would send as its credential once put in place.
    let landing = flow.credential_assignments();
    let secret_assignments: std::collections::BTreeSet<(String, String)> = (flow.nodes.iter())
        .flat_map(|n| n.on_enter.iter().chain(&n.on_leave))
        .flat_map(|a| &a.set)
        .filter(|(k, v)| {
            flow.assignment_is_secret(k, v) || landing.contains(&((*k).clone(), (*v).clone()))
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for action in (flow.nodes.iter_mut()).flat_map(|n| n.on_enter.iter_mut().chain(&mut n.on_leave))
    {
        for (k, v) in &mut action.set {
            if secret_assignments.contains(&(k.clone(), v.clone())) {
                *v = crate::secret::MASK.to_string();
            }
        }
    }
    let declared = flow.credential_headers.clone();
    for node in &mut flow.nodes {
        let crate::flow::NodeKind::Http(http) = &mut node.kind else {
            continue;
        };
        mask(&mut http.url);
        http.proxy.iter_mut().for_each(mask);
        for (name, value) in &mut http.headers {
            if connect_header_types_credential(name, value, &declared) {
                *value = TYPED.to_string();
            }
        }
    }
}

/// The digest of a document that holds secrets, telling nothing of them: the sha256 of its
/// canonical JSON with each secret variable's default replaced by `(secret: <place>)`, and each
/// credential typed in clear where a request carries one (a URL's password or `?apikey=`, a
/// credential header's value) masked ([`typed_credentials_replaced`]). `None`
/// when the bytes are not a canonical flow document (an edited file): it is then not the one
/// wxcflow wrote. It cannot tell a changed secret value from the old one: that is its price.
pub(crate) fn redacted_sha256(bytes: &[u8], places: &BTreeMap<String, String>) -> Option<String> {
    let text = std::str::from_utf8(bytes).ok()?;
    let mut document: Document = serde_json::from_str(text).ok()?;
    // Only the canonical bytes count: any other spelling of the same document was edited.
    if super::document::to_json(&document) != text {
        return None;
    }
    for variable in &mut document.flow.variables {
        if variable.holds_secret() {
            let place = places.get(&variable.name)?;
            variable.default = format!("(secret: {place})");
        }
    }
    // A secret variable the manifest does not name, or a name it names that holds none.
    let holding = document
        .flow
        .variables
        .iter()
        .filter(|v| v.secret && v.default.starts_with("(secret: "))
        .count();
    if holding != places.len() {
        return None;
    }
    typed_credentials_replaced(&mut document.flow);
    Some(sha256_hex(super::document::to_json(&document).as_bytes()))
}

/// Where a document came from.
impl Source {
    /// A source named by its file name (the last part of `path`) and its bytes' sha256.
    pub fn of(path: &str, bytes: &[u8]) -> Source {
        source(path, bytes)
    }

    /// Lowercase hex sha256, as sources and documents are identified.
    pub fn sha256_hex(bytes: &[u8]) -> String {
        sha256_hex(bytes)
    }
}

impl Provenance {
    /// This build of wxcflow: its version and a digest of its sources.
    pub const BUILD_ID: &'static str = BUILD_ID;
    /// The git commit wxcflow was built from, when known.
    pub const COMMIT: &'static str = COMMIT;
}

/// Stamping a document with where it came from.
impl Document {
    /// Records the template and tenant the document was rendered from, and returns its JSON.
    pub fn stamp(&mut self, template: Source, tenant: Option<Source>) -> String {
        stamp(self, template, tenant)
    }

    /// As [`Document::stamp`], on a document's canonical JSON (`None` when it is not one).
    pub fn stamp_json(
        document_json: &str,
        template: Source,
        tenant: Option<Source>,
    ) -> Option<String> {
        stamp_json(document_json, template, tenant)
    }
}

impl Manifest {
    /// The manifest's format version.
    pub const FORMAT: &'static str = MANIFEST_FORMAT;
    /// The manifest's file name inside a render's output folder.
    pub const NAME: &'static str = MANIFEST_NAME;
}
