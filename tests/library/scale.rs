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
