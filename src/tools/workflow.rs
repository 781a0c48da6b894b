//! Reading Webex Connect `.workflow` exports.
//!
//! An export is one line of lowercase hex whose decoded bytes are 256-byte RSA-2048 blocks under
//! a key only Cisco holds (see the README). wxcflow cannot decrypt them; it can tell whether a file
//! is one, measure it, and compare two of them block by block, because the encryption is
//! deterministic: equal plaintext chunks give equal blocks.

use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::{Cursor, Read};
use std::ops::Range;

/// Bytes per RSA-2048 block.
pub(crate) const BLOCK: usize = 256;

/// Plaintext bytes one block can carry: at least 245 when the chunks use PKCS#1 v1.5 padding.
/// The chunking scheme is not published, so sizes are given as a range.
pub(crate) const CHUNK_MIN: usize = 245;
/// Plaintext bytes one block can carry: at most 256, without padding.
pub(crate) const CHUNK_MAX: usize = 256;

/// Largest member of a `.workflow.zip` that is read, once decompressed: an export, like a bare
/// one (see [`Export::MAX_BYTES`]).
pub(crate) const MAX_ZIP_MEMBER: u64 = Export::MAX_BYTES as u64;

/// What a measured export is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Export {
    /// The file's size: its hex digits.
    pub file_bytes: usize,
    /// The bytes the hex decodes to.
    pub decoded_bytes: usize,
    /// The number of RSA blocks (`BLOCK` bytes each).
    pub blocks: usize,
    /// The plaintext size this implies, in bytes (see `CHUNK_MIN` and `CHUNK_MAX`).
    pub plaintext_bytes: Range<usize>,
    /// The file's sha256, in lowercase hex.
    pub sha256: String,
    /// A short digest of each block, for comparisons.
    #[serde(skip)]
    pub block_digests: Vec<[u8; 16]>,
}

/// Why a file is not a genuine export.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
pub enum Rejection {
    /// The file is empty.
    Empty,
    /// A byte that is not lowercase hex, at this offset of the file.
    NonHex {
        /// Where, from the file's start.
        offset: usize,
        /// The byte found.
        byte: u8,
    },
    /// Uppercase hex: exports are lowercase.
    Uppercase {
        /// Where the first uppercase digit is.
        offset: usize,
    },
    /// Bytes after the hex line, e.g. a trailing newline that an editor added.
    TrailingData {
        /// Where the hex line ends.
        offset: usize,
        /// How many bytes follow it.
        bytes: usize,
    },
    /// An odd number of hex digits: the file is cut inside a byte.
    OddLength {
        /// How many hex digits there are.
        hex_digits: usize,
    },
    /// The decoded bytes are not a whole number of blocks: truncated or padded.
    NotWholeBlocks {
        /// How many bytes the hex decodes to.
        decoded_bytes: usize,
    },
    /// A block at or above the bound measured on real exports.
    BlockAboveBound {
        /// The block's index, from 0.
        block: usize,
        /// Its leading three bytes, in hex.
        leading: String,
    },
    /// A `.workflow.zip` that cannot be read, or that holds no `.workflow`.
    UnreadableZip {
        /// Why: the zip reader's error, or that there is no `.workflow` inside.
        message: String,
    },
    /// Over [`Export::MAX_BYTES`].
    TooLarge {
        /// The file's size.
        bytes: usize,
    },
    /// Recognised as something else (JSON, TOML, ...), named here.
    NotAnExport {
        /// What the file looks like instead.
        what: String,
    },
    /// A JSON object that breaks off or is edited wrong (text opening with `{`).
    BrokenJson {
        /// How, as the JSON parser says it (it quotes no value), and on which line.
        message: String,
    },
}

impl Rejection {
    /// One sentence for people.
    pub fn describe(&self) -> String {
        match self {
            Rejection::Empty => "the file is empty".into(),
            Rejection::NonHex { offset, byte } => {
                format!("non-hex byte 0x{byte:02x} at offset {offset}: exports are one line of hex")
            }
            Rejection::Uppercase { offset } => format!(
                "uppercase hex digit at offset {offset}: Webex Connect writes lowercase, so the file was re-encoded"
            ),
            Rejection::TrailingData { offset, bytes } => format!(
                "{bytes} byte(s) of trailing data at offset {offset} (a newline added by an editor?): exports end with the last hex digit"
            ),
            Rejection::OddLength { hex_digits } => {
                format!("odd number of hex digits ({hex_digits}): the file is cut inside a byte")
            }
            Rejection::NotWholeBlocks { decoded_bytes } => format!(
                "{decoded_bytes} decoded bytes is not a multiple of {BLOCK}: the file is truncated or padded"
            ),
            Rejection::BlockAboveBound { block, leading } => format!(
                "block {block} starts with 0x{leading}, above every block of real exports (0x{}): likely corrupted or not a Webex Connect export",
                hex(&Export::BLOCK_BOUND)
            ),
            Rejection::UnreadableZip { message } => format!("unreadable zip archive: {message}"),
            Rejection::TooLarge { .. } => format!(
                "too large (wxc::too-large): over {} bytes, larger than any export of a flow within the platform's 10 MB limit",
                Export::MAX_BYTES
            ),
            Rejection::NotAnExport { what } => format!("not a Webex Connect export: {what}"),
            Rejection::BrokenJson { message } => {
                format!("not a Webex Connect export: JSON that does not read: {message}")
            }
        }
    }
}

/// What a file turned out to be.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Inspection {
    /// A genuine `.workflow` export, measured.
    Export(Export),
    /// A `.workflow.zip`: each `.workflow` inside it, by name.
    Zip {
        /// The archive's `.workflow` members, in archive order.
        members: Vec<ZipMember>,
    },
    /// A flow document that `wxcflow build` writes.
    FlowDocument {
        /// The flow's name.
        name: String,
        /// How many nodes it has.
        nodes: usize,
    },
    /// A wxcflow spec.
    Spec {
        /// The flow's name.
        name: String,
        /// Whether it declares parameters (a `params` table, however written): a template.
        #[serde(skip)]
        params: bool,
    },
    /// Not an export, nor anything else wxcflow reads.
    Rejected(Rejection),
}

/// One `.workflow` inside a `.workflow.zip`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ZipMember {
    /// Its path in the archive.
    pub name: String,
    /// What it turned out to be.
    pub inspection: Inspection,
}

impl Inspection {
    /// Whether the file is something wxcflow recognises (an export, or its own format).
    pub fn is_recognised(&self) -> bool {
        match self {
            Inspection::Rejected(_) => false,
            Inspection::Zip { members } => {
                !members.is_empty() && members.iter().all(|m| m.inspection.is_recognised())
            }
            _ => true,
        }
    }
}

/// Inspects a file's bytes: an export, a zip of exports, a wxcflow file, or a precise rejection.
pub(crate) fn inspect(bytes: &[u8]) -> Inspection {
    inspect_reading(bytes, true)
}

/// As [`inspect`], reading a spec's TOML when `toml`; without, a spec is not recognised (it is
/// `Rejected` as other text is), which spares parsing it.
pub(crate) fn inspect_reading(bytes: &[u8], toml: bool) -> Inspection {
    if bytes.len() > Export::MAX_BYTES {
        return Inspection::Rejected(Rejection::TooLarge { bytes: bytes.len() });
    }
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return inspect_zip(bytes);
    }
    match Export::read(bytes) {
        Ok(export) => Inspection::Export(export),
        Err(rejection) => recognise_other(bytes, toml).unwrap_or(Inspection::Rejected(rejection)),
    }
}

fn nibble(digit: u8) -> u8 {
    match digit {
        b'0'..=b'9' => digit - b'0',
        _ => digit - b'a' + 10,
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A wxcflow document or spec, or a named kind of file that is plainly not an export. Each
/// format is tried in turn: the first byte decides nothing (a spec may start with `[`, as every
/// `decompile` output does, and so may JSON).
fn recognise_other(bytes: &[u8], toml: bool) -> Option<Inspection> {
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        // Text (a byte before the bad one is no hex digit) that is not UTF-8: a spec or
        // document saved in another encoding, said as such rather than as a stray hex byte.
        // Told by its line only: where on the line would tell how long a value before it is
        // (a tenant file's secret, say).
        Err(e) if !bytes[..e.valid_up_to()].iter().all(u8::is_ascii_hexdigit) => {
            let line = 1 + bytes[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            return Some(Inspection::Rejected(Rejection::NotAnExport {
                what: format!(
                    "text that is not UTF-8 (line {line}); specs and documents are UTF-8"
                ),
            }));
        }
        Err(_) => return None,
    };
    let trimmed = text.trim_start_matches('\u{feff}');
    let json = serde_json::from_str::<serde_json::Value>(trimmed);
    // An object that breaks off is JSON (a flow document, an export of Flow Designer) cut or
    // edited, not hex: said where it breaks (the syntax error quotes no value).
    if let (Err(e), true) = (&json, trimmed.trim_start().starts_with('{')) {
        // Said by its line: the parser's column counts the characters of any secret before
        // the break, which would tell its length.
        let message = crate::diagnostic::json_message(e);
        return Some(Inspection::Rejected(Rejection::BrokenJson {
            message: format!("{message} (line {})", e.line()),
        }));
    }
    if let Ok(value) = json {
        if value.get("format").and_then(|f| f.as_str()) == Some(crate::flow::FORMAT) {
            let flow = &value["flow"];
            return Some(Inspection::FlowDocument {
                name: flow["name"].as_str().unwrap_or("").to_string(),
                nodes: flow["nodes"].as_array().map_or(0, Vec::len) + 1,
            });
        }
        // A bare number or string is more likely a damaged export than a JSON file.
        if value.is_object() || value.is_array() {
            return Some(Inspection::Rejected(Rejection::NotAnExport {
                what: "a JSON file that is not a wxcflow flow document".into(),
            }));
        }
    }
    if !toml {
        return None;
    }
    // The syntax tree alone (borrowed, no owned table built): a spec is a TOML file with a
    // `[flow]` table and a `trigger`. Text of more items than a spec may hold is not parsed (it
    // would take gigabytes): no spec, and the spec reader says why.
    if crate::flow::limits::too_many_items("", trimmed).is_some() {
        return None;
    }
    use toml::de::{DeTable, DeValue};
    let root = DeTable::parse(trimmed).ok()?;
    fn entry<'t, 'i>(table: &'t DeTable<'i>, key: &str) -> Option<&'t DeValue<'i>> {
        table
            .iter()
            .find(|(k, _)| k.get_ref() == key)
            .map(|(_, v)| v.get_ref())
    }
    if let (Some(DeValue::Table(flow)), Some(_)) = (
        entry(root.get_ref(), "flow"),
        entry(root.get_ref(), "trigger"),
    ) {
        let name = match entry(flow, "name") {
            Some(DeValue::String(name)) => name.to_string(),
            _ => String::new(),
        };
        let params = entry(root.get_ref(), "params").is_some();
        return Some(Inspection::Spec { name, params });
    }
    None
}

fn too_large_member(name: String, bytes: u64) -> ZipMember {
    ZipMember {
        name,
        inspection: Inspection::Rejected(Rejection::TooLarge {
            bytes: usize::try_from(bytes).unwrap_or(usize::MAX),
        }),
    }
}

fn inspect_zip(bytes: &[u8]) -> Inspection {
    let unreadable = |e: &dyn std::fmt::Display| {
        Inspection::Rejected(Rejection::UnreadableZip {
            message: e.to_string(),
        })
    };
    let mut archive = match zip::ZipArchive::new(Cursor::new(bytes)) {
        Ok(a) => a,
        Err(e) => return unreadable(&e),
    };
    let mut members = Vec::new();
    for i in 0..archive.len() {
        let mut file = match archive.by_index(i) {
            Ok(f) => f,
            Err(e) => return unreadable(&e),
        };
        let name = file.name().to_string();
        // macOS adds resource forks under __MACOSX/; folders hold nothing to inspect.
        if file.is_dir()
            || name.starts_with("__MACOSX/")
            || !name.to_lowercase().ends_with(".workflow")
        {
            continue;
        }
        // The declared size is checked first, and what is read is bounded anyway: a declared
        // size can lie.
        if file.size() > MAX_ZIP_MEMBER {
            members.push(too_large_member(name, file.size()));
            continue;
        }
        let mut content = Vec::new();
        if let Err(e) = (&mut file)
            .take(MAX_ZIP_MEMBER + 1)
            .read_to_end(&mut content)
        {
            return unreadable(&e);
        }
        if content.len() as u64 > MAX_ZIP_MEMBER {
            members.push(too_large_member(name, content.len() as u64));
            continue;
        }
        let inspection = match Export::read(&content) {
            Ok(export) => Inspection::Export(export),
            Err(rejection) => Inspection::Rejected(rejection),
        };
        members.push(ZipMember { name, inspection });
    }
    if members.is_empty() {
        return Inspection::Rejected(Rejection::UnreadableZip {
            message: "the archive holds no .workflow file".into(),
        });
    }
    Inspection::Zip { members }
}

/// How two exports differ, block by block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Comparison {
    /// Whether every block is equal, in the same order.
    pub identical: bool,
    /// The old file's block count.
    pub old_blocks: usize,
    /// The new file's block count.
    pub new_blocks: usize,
    /// Blocks equal at the start of both files.
    pub same_leading_blocks: usize,
    /// Blocks equal at the end of both files (not overlapping the leading ones).
    pub same_trailing_blocks: usize,
    /// The differing region's blocks in the old file.
    pub changed_old: Range<usize>,
    /// The differing region's blocks in the new file.
    pub changed_new: Range<usize>,
    /// Approximate plaintext byte range of the change in the new file (from the chunk sizes).
    pub changed_plaintext: Range<usize>,
    /// Blocks of the new file's changed region that occur in the old file at another position:
    /// (old index, new index).
    pub moved: Vec<(usize, usize)>,
}

fn render_into(out: &mut String, name: &str, inspection: &Inspection) {
    use std::fmt::Write as _;
    // The file's name, a zip member's, a flow's: each stays on its line.
    let name = crate::diagnostic::printable_name(name);
    match inspection {
        Inspection::Export(e) => {
            let _ = writeln!(
                out,
                "{name}: Webex Connect export (encrypted; contents unreadable without Cisco's key)"
            );
            let _ = writeln!(out, "  blocks: {} x {BLOCK} bytes (RSA-2048)", e.blocks);
            let _ = writeln!(out, "  file size: {} bytes of hex", e.file_bytes);
            let _ = writeln!(out, "  decoded size: {} bytes", e.decoded_bytes);
            let _ = writeln!(
                out,
                "  plaintext size: about {} to {} bytes",
                e.plaintext_bytes.start,
                e.plaintext_bytes.end - 1
            );
            let _ = writeln!(out, "  sha256: {}", e.sha256);
        }
        Inspection::Zip { members } => {
            let _ = writeln!(
                out,
                "{name}: zip archive with {} .workflow file(s)",
                members.len()
            );
            for m in members {
                render_into(out, &format!("{name}!{}", m.name), &m.inspection);
            }
        }
        Inspection::FlowDocument { name: flow, nodes } => {
            let _ = writeln!(
                out,
                "{name}: wxcflow flow document for `{}` ({nodes} nodes), not an export; import it nowhere: follow its build sheet in Flow Builder",
                crate::diagnostic::printable_name(flow)
            );
        }
        Inspection::Spec { name: flow, .. } => {
            let _ = writeln!(
                out,
                "{name}: wxcflow spec for `{}`, not an export; compile it with `wxcflow build`",
                crate::diagnostic::printable_name(flow)
            );
        }
        Inspection::Rejected(r) => {
            let _ = writeln!(out, "{name}: {}", r.describe());
        }
    }
}

impl Inspection {
    /// Inspects a file's bytes: an export, a zip of exports, a wxcflow file, or a precise
    /// rejection.
    pub fn of(bytes: &[u8]) -> Inspection {
        inspect(bytes)
    }

    /// One fact per line, for people and for `git diff` through textconv.
    pub fn render(&self, name: &str) -> String {
        let mut out = String::new();
        render_into(&mut out, name, self);
        out
    }
}

impl Export {
    /// The highest leading three bytes of any block measured on 55 public exports (36,756
    /// blocks). Every block of a genuine export is below the key's modulus; a block whose leading
    /// bytes exceed this is taken as a sign of corruption or of a file that is not an export.
    pub const BLOCK_BOUND: [u8; 3] = [0xab, 0x4f, 0xaf];
    /// The largest export read: a 10 MB flow (the platform's limit) is at most about 22 MB of hex.
    pub const MAX_BYTES: usize = 24 * 1024 * 1024;

    /// Measures a genuine export in one pass over the bytes: hex decoding, block checks and hashes.
    pub fn read(bytes: &[u8]) -> Result<Export, Rejection> {
        if bytes.is_empty() {
            return Err(Rejection::Empty);
        }
        let hex_len = bytes
            .iter()
            .position(|b| !b.is_ascii_hexdigit())
            .unwrap_or(bytes.len());
        if hex_len < bytes.len() {
            let rest = &bytes[hex_len..];
            let offset = hex_len;
            // Only whitespace after the hex: trailing data; anything else: a stray byte.
            if rest.iter().all(u8::is_ascii_whitespace) && hex_len > 0 {
                return Err(Rejection::TrailingData {
                    offset,
                    bytes: rest.len(),
                });
            }
            return Err(Rejection::NonHex {
                offset,
                byte: bytes[offset],
            });
        }
        if let Some(offset) = bytes.iter().position(u8::is_ascii_uppercase) {
            return Err(Rejection::Uppercase { offset });
        }
        if !bytes.len().is_multiple_of(2) {
            return Err(Rejection::OddLength {
                hex_digits: bytes.len(),
            });
        }
        let decoded_bytes = bytes.len() / 2;
        if !decoded_bytes.is_multiple_of(BLOCK) {
            return Err(Rejection::NotWholeBlocks { decoded_bytes });
        }
        let mut block_digests = Vec::with_capacity(decoded_bytes / BLOCK);
        let mut block = [0u8; BLOCK];
        for (index, chunk) in bytes.chunks_exact(BLOCK * 2).enumerate() {
            for (i, pair) in chunk.chunks_exact(2).enumerate() {
                block[i] = (nibble(pair[0]) << 4) | nibble(pair[1]);
            }
            if block[..3] > Export::BLOCK_BOUND[..] {
                return Err(Rejection::BlockAboveBound {
                    block: index,
                    leading: hex(&block[..3]),
                });
            }
            let digest = Sha256::digest(block);
            let mut short = [0u8; 16];
            short.copy_from_slice(&digest[..16]);
            block_digests.push(short);
        }
        let blocks = block_digests.len();
        Ok(Export {
            file_bytes: bytes.len(),
            decoded_bytes,
            blocks,
            plaintext_bytes: ((blocks - 1) * CHUNK_MIN + 1)..(blocks * CHUNK_MAX + 1),
            sha256: hex(&Sha256::digest(bytes)),
            block_digests,
        })
    }

    /// Compares two exports. Equal blocks mean equal plaintext chunks; a changed block means that
    /// something in its chunk changed (or moved into it); nothing more can be read.
    pub fn compare(&self, new: &Export) -> Comparison {
        let (a, b) = (&self.block_digests, &new.block_digests);
        let lead = a.iter().zip(b).take_while(|(x, y)| x == y).count();
        let max_trail = a.len().min(b.len()) - lead;
        let trail = a
            .iter()
            .rev()
            .zip(b.iter().rev())
            .take(max_trail)
            .take_while(|(x, y)| x == y)
            .count();
        let changed_old = lead..a.len() - trail;
        let changed_new = lead..b.len() - trail;
        let mut positions: HashMap<&[u8; 16], usize> = HashMap::new();
        for (i, d) in a.iter().enumerate().rev() {
            positions.insert(d, i);
        }
        let moved = changed_new
            .clone()
            .filter_map(|j| positions.get(&b[j]).map(|&i| (i, j)))
            .filter(|(i, j)| i != j)
            .collect();
        Comparison {
            identical: a == b,
            old_blocks: a.len(),
            new_blocks: b.len(),
            same_leading_blocks: lead,
            same_trailing_blocks: trail,
            changed_plaintext: changed_new.start * CHUNK_MIN..changed_new.end * CHUNK_MAX,
            changed_old,
            changed_new,
            moved,
        }
    }
}

impl Comparison {
    /// The comparison of two exports, one fact per line.
    pub fn render(&self, old: &str, new: &str) -> String {
        let c = self;
        use std::fmt::Write as _;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "comparing {old} ({} blocks) with {new} ({} blocks)",
            c.old_blocks, c.new_blocks
        );
        if c.identical {
            let _ = writeln!(
                out,
                "  identical: every block is the same, so the flows are the same"
            );
            return out;
        }
        let _ = writeln!(out, "  same leading blocks: {}", c.same_leading_blocks);
        let _ = writeln!(out, "  same trailing blocks: {}", c.same_trailing_blocks);
        let _ = writeln!(
            out,
            "  changed: old blocks {}..{}, new blocks {}..{} (about plaintext bytes {}..{} of the new file)",
            c.changed_old.start, c.changed_old.end, c.changed_new.start, c.changed_new.end,
            c.changed_plaintext.start, c.changed_plaintext.end
        );
        if c.moved.is_empty() {
            let _ = writeln!(out, "  moved blocks: none");
        } else {
            let moved: Vec<String> = c.moved.iter().map(|(i, j)| format!("{i}->{j}")).collect();
            let _ = writeln!(out, "  moved blocks (old->new): {}", moved.join(", "));
        }
        let _ = writeln!(
            out,
            "  note: equal blocks mean equal plaintext chunks; what changed inside the changed blocks cannot be read"
        );
        out
    }
}
