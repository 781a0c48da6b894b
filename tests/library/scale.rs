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
