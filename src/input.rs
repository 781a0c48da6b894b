//! What a file given to wxcflow is, told once from its bytes: every command asks here, and
//! hands what it was told to the [`crate::Compiler`] or the tool that reads that kind.

use crate::tools::workflow::{self, Inspection};

/// The kinds of file wxcflow reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputKind {
    /// A Webex Connect spec (TOML with `[flow]` and `[trigger]`) without parameters.
    Spec,
    /// A Webex Connect spec with parameters (a `params` table, however written): a template,
    /// rendered for each tenant.
    Template,
    /// A flow document, as `wxcflow build` writes it (JSON whose `format` is wxcflow's).
    FlowDocument,
    /// A Flow Designer export: a `FlowVersionRes` JSON, as Flow Designer exports and imports it.
    FlowDesignerExport,
    /// A Flow Designer spec: TOML with a `[flow_designer]` table.
    FlowDesignerSpec,
    /// A Webex Connect `.workflow` export (encrypted hex), or a `.workflow.zip` of them: what
    /// looks like one; [`workflow::Inspection::of`] measures it and says whether it is genuine.
    Workflow,
    /// None of these: text a command may still read as a spec, to show where it breaks.
    Other,
}

impl InputKind {
    /// Tells what `bytes` are: Flow Designer files first (an export is JSON, a Flow Designer
    /// spec TOML), then `.workflow` exports by their look, then flow documents and specs.
    pub fn detect(bytes: &[u8]) -> InputKind {
        if crate::flow_designer::read::is_export(bytes) {
            return InputKind::FlowDesignerExport;
        }
        let text = std::str::from_utf8(bytes).ok();
        if text.is_some_and(crate::flow_designer::spec::is_spec) {
            return InputKind::FlowDesignerSpec;
        }
        // Measuring an export is `workflow::inspect`'s job; what looks like one is enough here.
        if looks_like_workflow(bytes) {
            return InputKind::Workflow;
        }
        match workflow::inspect(bytes) {
            Inspection::Export(_) | Inspection::Zip { .. } => InputKind::Workflow,
            Inspection::FlowDocument { .. } => InputKind::FlowDocument,
            Inspection::Spec { params: true, .. } => InputKind::Template,
            Inspection::Spec { .. } => InputKind::Spec,
            Inspection::Rejected(_) => InputKind::Other,
        }
    }

    /// Whether this is a Webex Connect spec, with parameters or without.
    pub fn is_connect_spec(self) -> bool {
        matches!(self, InputKind::Spec | InputKind::Template)
    }

    /// Whether this is a Flow Designer file, export or spec.
    pub fn is_flow_designer(self) -> bool {
        matches!(
            self,
            InputKind::FlowDesignerExport | InputKind::FlowDesignerSpec
        )
    }
}

/// A zip archive, or hex digits only (with whitespace): what a `.workflow` export looks like,
/// damaged or not.
fn looks_like_workflow(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
        || bytes.starts_with(b"PK\x05\x06")
        || (bytes.iter().any(u8::is_ascii_hexdigit)
            && bytes
                .iter()
                .all(|b| b.is_ascii_hexdigit() || b.is_ascii_whitespace()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_is_told_however_it_writes_its_parameters() {
        let flow = "[flow]\nname = \"f\"\n[trigger]\ntype = \"webhook\"\n";
        let cases = [
            ("", InputKind::Spec),
            ("[params]\nx = \"a\"\n", InputKind::Template),
            ("[params.x]\ntype = \"string\"\n", InputKind::Template),
            (
                "[ params . x ]  # a comment\ntype = \"string\"\n",
                InputKind::Template,
            ),
            ("[params.'x y']\ntype = \"string\"\n", InputKind::Template),
            ("params.x = { type = \"string\" }\n", InputKind::Template),
            (
                "params = { x = { type = \"string\" } }\n",
                InputKind::Template,
            ),
            // A key or text that merely mentions params is no declaration.
            ("[nodes.params]\ntype = \"http\"\n", InputKind::Spec),
            ("# [params]\n", InputKind::Spec),
        ];
        for (extra, expected) in cases {
            // Root keys first (dotted or inline ones belong before any table header).
            let text = if extra.starts_with("params") {
                format!("{extra}{flow}")
            } else {
                format!("{flow}{extra}")
            };
            assert_eq!(InputKind::detect(text.as_bytes()), expected, "{text}");
        }
    }
}
