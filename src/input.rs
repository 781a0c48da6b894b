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

impl From<crate::flow_designer::FileKind> for InputKind {
    fn from(kind: crate::flow_designer::FileKind) -> InputKind {
        match kind {
            crate::flow_designer::FileKind::Export => InputKind::FlowDesignerExport,
            crate::flow_designer::FileKind::Spec => InputKind::FlowDesignerSpec,
        }
    }
}

impl InputKind {
    /// Tells what `bytes` are: Flow Designer files first (an export is JSON, a Flow Designer
    /// spec TOML), then `.workflow` exports by their look, then flow documents and specs.
    pub fn detect(bytes: &[u8]) -> InputKind {
        if let Some(kind) = InputKind::flow_designer(bytes) {
            return kind;
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

    /// What [`InputKind::detect`] says of a Flow Designer file (export or spec), told without
    /// reading anything else (a Webex Connect spec's TOML is not parsed); `None` for any other
    /// file.
    pub fn flow_designer(bytes: &[u8]) -> Option<InputKind> {
        // A byte order mark (an editor's) is passed over, as flow documents' readers do.
        let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
        if crate::flow_designer::read::is_export(bytes) {
            return Some(InputKind::FlowDesignerExport);
        }
        std::str::from_utf8(bytes)
            .is_ok_and(crate::flow_designer::spec::is_spec)
            .then_some(InputKind::FlowDesignerSpec)
    }

    /// As [`InputKind::detect`], for a reader that takes any text which is not an export or JSON
    /// for a Webex Connect spec (to show where it breaks): such text is `Spec` or `Template`
    /// without its TOML being parsed, where `detect` parses it to tell a spec from `Other` text.
    /// Every other kind is `detect`'s. The spec is parsed once, by the reader.
    pub fn detect_spec_reader(bytes: &[u8]) -> InputKind {
        if let Some(kind) = InputKind::flow_designer(bytes) {
            return kind;
        }
        if looks_like_workflow(bytes) {
            return InputKind::Workflow;
        }
        match (
            workflow::inspect_reading(bytes, false),
            std::str::from_utf8(bytes),
        ) {
            (Inspection::Export(_) | Inspection::Zip { .. }, _) => InputKind::Workflow,
            (Inspection::FlowDocument { .. }, _) => InputKind::FlowDocument,
            // Text that opens with `{` is no TOML (a document starts with a key, a table header
            // or a comment): JSON that does not parse, read as a flow document so that its JSON
            // error is told where it is, not a TOML error at 1:1.
            (Inspection::Rejected(workflow::Rejection::BrokenJson { .. }), _) => {
                InputKind::FlowDocument
            }
            // JSON that reads but is no flow document (an export in a list, an API answer's
            // `{"data": ...}`): read as a flow document, whose reader says what is wrong with
            // its shape, rather than as TOML, whose error would quote its first line raw.
            (Inspection::Rejected(workflow::Rejection::NotAnExport { .. }), Ok(text))
                if is_json_container(text) =>
            {
                InputKind::FlowDocument
            }
            // Text with a byte that is not a hex digit, and not JSON: `detect` says `Spec`,
            // `Template` or `Other`, and the reader reads it as a spec in each case.
            (Inspection::Rejected(workflow::Rejection::NonHex { .. }), Ok(text))
                if has_params(text) =>
            {
                InputKind::Template
            }
            (Inspection::Rejected(workflow::Rejection::NonHex { .. }), Ok(_)) => InputKind::Spec,
            _ => InputKind::detect(bytes),
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

/// Whether text is a JSON object or array, whole (a TOML spec may open with `[` too).
fn is_json_container(text: &str) -> bool {
    let text = text.trim_start_matches('\u{feff}').trim_start();
    text.starts_with(['{', '[']) && serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok()
}

/// Whether spec text declares parameters, told from its lines without parsing it (for
/// [`InputKind::detect_spec_reader`], whose reader parses it once): a table header whose first
/// key is `params` (`[params]`, `[params.x]`, `[ params . x ]`), or, before any header, a root
/// key `params` (`params.x = ...`, `params = { ... }`); quoted keys too. Lines in a multi-line
/// string are not told apart (the reader then says what the text is).
fn has_params(text: &str) -> bool {
    let first_key = |key: &str| {
        let key = key.trim_start();
        ["params", "\"params\"", "'params'"].iter().any(|p| {
            key.strip_prefix(p).is_some_and(|rest| {
                rest.trim_start().starts_with(['.', '=', ']']) || rest.trim().is_empty()
            })
        })
    };
    let mut at_root = true;
    for line in text.lines() {
        let line = line.trim_start();
        if let Some(header) = line.strip_prefix('[') {
            if header.starts_with('[') {
                at_root = false;
                continue;
            }
            if first_key(header) {
                return true;
            }
            at_root = false;
        } else if at_root && first_key(line) && !line.starts_with('#') {
            return true;
        }
    }
    false
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
            // The reader's detection, which does not parse, says the same.
            assert_eq!(
                InputKind::detect_spec_reader(text.as_bytes()),
                expected,
                "{text}"
            );
        }
    }

    #[test]
    fn text_that_opens_with_a_brace_is_read_as_a_flow_document_not_toml() {
        for text in ["{\"format\" \"wxcflow.flow/1\"}", "\u{feff}\n  {\"a\": 1,}"] {
            assert_eq!(
                InputKind::detect_spec_reader(text.as_bytes()),
                InputKind::FlowDocument,
                "{text}"
            );
        }
        assert_eq!(
            InputKind::detect_spec_reader(b"[flow]\nname = \"F\"\n"),
            InputKind::Spec
        );
    }
}
