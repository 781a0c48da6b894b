//! A render batch's decisions through the library: skipped entries summarised, and when a
//! tenant's earlier document may be reused.

use std::collections::BTreeMap;
use wxcflow::emit::provenance::{ManifestEntry, Status};
use wxcflow::flow::Source;
use wxcflow::render::batch::*;

fn entry(private: bool, bytes: &[u8]) -> ManifestEntry {
    ManifestEntry {
        name: "a".into(),
        source: Source::of("a.toml", b"x = 1\n"),
        output: "a.flow.json".into(),
        status: Status::Ok,
        output_sha256: Some(Source::sha256_hex(bytes)),
        private,
        secret_places: BTreeMap::new(),
        errors: vec![],
        warnings: vec![],
    }
}

#[test]
fn skipped_entries_beyond_ten_are_counted_by_reason() {
    let skipped: Vec<(String, SkipReason)> = (0..25)
        .map(|i| {
            let why = if i % 5 == 0 {
                SkipReason::Directory
            } else {
                SkipReason::NotToml
            };
            (format!("t/{i:02}"), why)
        })
        .collect();
    let notes = skipped_notes(&skipped);
    assert_eq!(notes.len(), 11);
    assert_eq!(
        notes[10],
        "note: and 15 more skipped (12 not .toml, 3 directories)"
    );
}

#[test]
fn reuse_needs_the_same_tenant_file_no_outside_values_and_the_same_document() {
    let e = entry(false, b"doc");
    let source = e.source.clone();
    let doc = || Some(b"doc".to_vec());
    assert_eq!(
        reusable_digest(&e, &source, "x = 1\n", doc),
        e.output_sha256
    );
    let other = Source::of("a.toml", b"x = 2\n");
    assert_eq!(reusable_digest(&e, &other, "x = 2\n", doc), None);
    assert_eq!(
        reusable_digest(&e, &source, "x = { env = \"X\" }\n", doc),
        None
    );
    assert_eq!(
        reusable_digest(&e, &source, "x = 1\n", || Some(b"new".to_vec())),
        None
    );
    assert_eq!(
        reusable_digest(&entry(true, b"doc"), &source, "x = 1\n", doc),
        None
    );
}
