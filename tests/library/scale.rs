//! Large generated flows compile cleanly, with ids in reading order.
// A test stops at the first thing that is not as expected.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

#[path = "../../benches/support/chain.rs"]
mod chain;

#[test]
fn a_thousand_node_flow_compiles_without_diagnostics() {
    let source = wxcflow::diagnostic::SourceFile::new("chain.toml", chain::chain_spec(1000));
    let build = common::compiler().build(&source);
    assert_eq!(build.diagnostics, vec![]);
    let (document, _) = build.output.unwrap();
    assert_eq!(document.flow.nodes.len(), 1000);
    // Breadth-first ids follow the chain: call_0 is n3, check_0 n4, call_1 n5, ...
    assert_eq!(document.flow.nodes[0].key, "call_0");
    assert_eq!(document.flow.nodes[1].key, "check_0");
    assert_eq!(document.flow.nodes[999].key, "check_499");
}

#[test]
fn a_document_over_the_platform_flow_size_is_built_with_a_warning() {
    // 10,000 nodes of the chain write about 11.4 MB; 8,000 stay under 10 MB.
    for (nodes, over) in [(8000, false), (10_000, true)] {
        let source = wxcflow::diagnostic::SourceFile::new("chain.toml", chain::chain_spec(nodes));
        let build = common::compiler().build(&source);
        let (_, json) = build.output.as_ref().unwrap();
        assert_eq!(json.len() > wxcflow::MAX_INPUT_BYTES, over, "{nodes} nodes");
        let codes: Vec<&str> = build.diagnostics.iter().map(|d| d.code.as_str()).collect();
        let expected: Vec<&str> = if over {
            vec!["wxc::over-flow-size"]
        } else {
            vec![]
        };
        assert_eq!(codes, expected, "{nodes} nodes");
        if over {
            assert!(!build.diagnostics[0].is_error());
        }
    }
}

#[test]
fn the_flow_size_is_measured_on_the_document_as_written_with_its_provenance() {
    // A flow padded to a given length (a variable's default), built, then stamped as `build`
    // and `render` write it: the stamp's couple of hundred bytes can take it over the limit.
    let spec = chain::chain_spec(8000);
    let unpadded = common::compiler()
        .build(&wxcflow::diagnostic::SourceFile::new(
            "chain.toml",
            spec.clone(),
        ))
        .output
        .unwrap()
        .1
        .len();
    let built = |length: usize| {
        let padding = "a".repeat(length - unpadded);
        let padded = spec.replacen(
            "default = \"\"\nresult",
            &format!("default = \"{padding}\"\nresult"),
            1,
        );
        let build =
            common::compiler().build(&wxcflow::diagnostic::SourceFile::new("chain.toml", padded));
        assert_eq!(build.output.as_ref().unwrap().1.len(), length);
        build
    };
    let codes = |build: &wxcflow::Build| -> Vec<&'static str> {
        build.diagnostics.iter().map(|d| d.code.as_str()).collect()
    };
    let template = wxcflow::flow::Source::of("chain.toml", b"[flow]");
    for (under_by, over_when_stamped) in [(100, true), (1_000, false)] {
        let mut build = built(wxcflow::MAX_INPUT_BYTES - under_by);
        assert_eq!(codes(&build), Vec::<&str>::new(), "{under_by} under");
        build.stamp(template.clone(), None);
        let written = build.output.as_ref().unwrap().1.len();
        assert_eq!(written > wxcflow::MAX_INPUT_BYTES, over_when_stamped);
        if over_when_stamped {
            assert_eq!(codes(&build), ["wxc::over-flow-size"]);
            assert!(
                build.diagnostics[0]
                    .message
                    .starts_with(&format!("the flow document is {written} bytes")),
                "{}",
                build.diagnostics[0].message
            );
        } else {
            assert_eq!(codes(&build), Vec::<&str>::new());
        }
    }
    // Over before the stamp: one warning, counting the bytes as written.
    let mut build = built(wxcflow::MAX_INPUT_BYTES + 10);
    build.stamp(template.clone(), None);
    let written = build.output.as_ref().unwrap().1.len();
    assert_eq!(codes(&build), ["wxc::over-flow-size"]);
    assert!(build.diagnostics[0]
        .message
        .contains(&format!("{written} bytes")));
    // Stamped again: the provenance replaced, not a second one; the document says it too.
    let once = build.output.as_ref().unwrap().1.clone();
    build.stamp(template, None);
    let (document, twice) = build.output.as_ref().unwrap();
    assert_eq!(twice, &once);
    assert_eq!(twice.matches("\"provenance\"").count(), 1);
    assert!(document.provenance.is_some());
    assert_eq!(codes(&build), ["wxc::over-flow-size"]);
}
