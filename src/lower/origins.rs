//! Where each part of a lowered flow was written in its spec. The flow carries no spans (it is
//! the document), so lowering records, beside it, the spanned spec value each part came from;
//! the checks on the whole flow point into the spec through this table instead of finding spec
//! items again by key.

use crate::flow::NodeId;
use crate::spec::model::{NodeSpec, S};
use std::collections::BTreeMap;

/// The spanned spec values a lowered flow came from.
#[derive(Debug, Default)]
pub struct Origins<'s> {
    pub(super) correlation_id: Option<&'s S<String>>,
    /// Each custom variable's name as written in `[variables.NAME]`, by name.
    pub(super) variables: BTreeMap<String, &'s S<String>>,
    /// Each flow outcome's notify URL, by outcome name.
    pub(super) notify_urls: BTreeMap<String, &'s S<String>>,
    pub(super) nodes: BTreeMap<NodeId, NodeOrigin<'s>>,
}

/// Where one node was written.
#[derive(Debug)]
pub struct NodeOrigin<'s> {
    /// Its key, `[nodes.KEY]`.
    pub key: &'s S<String>,
    /// Its table, whose spanned strings its settings and actions were lowered from.
    pub spec: &'s NodeSpec,
    /// Each exit's target as written in `next`, by outcome.
    pub(super) targets: BTreeMap<String, &'s S<String>>,
}

impl<'s> Origins<'s> {
    pub fn correlation_id(&self) -> Option<&'s S<String>> {
        self.correlation_id
    }

    /// The name of the custom variable `name` where `[variables]` declares it.
    pub fn variable(&self, name: &str) -> Option<&'s S<String>> {
        self.variables.get(name).copied()
    }

    /// The notify URL of the flow outcome `outcome`.
    pub fn notify_url(&self, outcome: &str) -> Option<&'s S<String>> {
        self.notify_urls.get(outcome).copied()
    }

    pub fn node(&self, id: NodeId) -> Option<&NodeOrigin<'s>> {
        self.nodes.get(&id)
    }
}

impl<'s> NodeOrigin<'s> {
    /// The target of the exit by `outcome`, as its `next` writes it.
    pub fn target(&self, outcome: &str) -> Option<&'s S<String>> {
        self.targets.get(outcome).copied()
    }
}

#[cfg(test)]
mod tests {
    use crate::diagnostic::SourceFile;
    use crate::flow::Target;
    use crate::spec::context::Ctx;

    #[test]
    fn every_node_exit_and_variable_leads_back_to_what_the_spec_writes() {
        let text = include_str!("../../fixtures/valid/every-node-type.toml");
        let source = SourceFile::new("every-node-type.toml", text);
        let spec = crate::spec::parse_spec(&source).expect("the fixture parses");
        let mut cx = Ctx::new(Some(&source));
        let lowered = crate::lower::lower(&spec, &mut cx);
        assert!(!lowered.flow.nodes.is_empty());
        for node in &lowered.flow.nodes {
            let origin = lowered
                .origins
                .node(node.id)
                .expect("every node has an origin");
            assert_eq!(origin.key.get_ref(), &node.key);
            let written = spec.nodes[node.key.as_str()]
                .next
                .as_ref()
                .map(|n| n.get_ref());
            for exit in &node.exits {
                let target = origin.target(&exit.outcome).map(|t| t.get_ref().as_str());
                let expected = written.and_then(|n| n.get(exit.outcome.as_str()));
                assert_eq!(target, expected.map(|t| t.get_ref().as_str()));
                if let Target::Node(id) = &exit.target {
                    let key = &lowered.flow.node(*id).map(|n| n.key.as_str());
                    assert_eq!(target, *key);
                }
            }
        }
        for variable in &lowered.flow.variables {
            let name = lowered
                .origins
                .variable(&variable.name)
                .map(|n| n.get_ref());
            assert_eq!(name, Some(&variable.name));
        }
    }
}
