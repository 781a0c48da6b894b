//! TOML text to a spanned [`Spec`]. Syntax errors and shape errors (unknown key, missing key, wrong
//! type) come back as located diagnostics; TOML stops at the first such error, semantic checks later
//! collect every problem in one pass.

use super::model::Spec;
use super::shape::{shape_at, Shape, Shaped};
use crate::diagnostic::{did_you_mean, Code, Diagnostic, SourceFile};
use serde::Deserialize as _;
use toml::de::DeTable;
use toml::Spanned;

/// Parses a spec. The source's name is what diagnostics show as the file.
pub(crate) fn parse_spec(source: &SourceFile) -> Result<Spec, Diagnostic> {
    spec_from_toml(parse_toml(source)?, source)
}

/// The spec's TOML syntax, parsed once for every reader of it (the spec's shape, and where it
/// writes secrets literally).
pub(crate) fn parse_toml(source: &SourceFile) -> Result<Spanned<DeTable<'_>>, Diagnostic> {
    DeTable::parse(&source.text).map_err(|e| {
        workflow_given(source)
            .unwrap_or_else(|| located(Code::TomlSyntax, &e, source, syntax_message(&e)))
    })
}

/// For a text that failed as TOML: a `.workflow` export given where a spec is read, named as
/// one. Told apart only after the failure, so a spec that reads pays nothing.
pub(crate) fn workflow_given(source: &SourceFile) -> Option<Diagnostic> {
    (crate::InputKind::detect(source.text.as_bytes()) == crate::InputKind::Workflow).then(|| {
        Diagnostic::new(
            Code::TomlSyntax,
            format!(
                "{} is a Webex Connect `.workflow` export, not a spec: its flow is encrypted with Cisco's key, which is not public",
                source.name
            ),
        )
        .with_help("`wxcflow inspect` measures a .workflow export and `wxcflow diff` compares two; to work on the flow, write it as a spec (docs/spec.md)")
    })
}

/// The spec's shape, read from its parsed TOML: syntax first, then shape, so a syntax error is
/// never taken for a shape error.
pub(crate) fn spec_from_toml(
    toml: Spanned<DeTable<'_>>,
    source: &SourceFile,
) -> Result<Spec, Diagnostic> {
    Spec::deserialize(toml::de::Deserializer::from(toml))
        .map_err(|e| shape_error::<Spec>(&e, source))
}

fn syntax_message(e: &toml::de::Error) -> String {
    format!("invalid TOML: {}", e.message().trim_end())
}

fn located(code: Code, e: &toml::de::Error, source: &SourceFile, message: String) -> Diagnostic {
    Diagnostic::new(code, message).with_span(e.span().map(|r| source.span(r)))
}

/// A shape error of a file read into `M`: an unknown key (with did-you-mean), a missing key, a
/// wrong type, in TOML's terms.
pub(crate) fn shape_error<M: Shaped>(e: &toml::de::Error, source: &SourceFile) -> Diagnostic {
    let shape = e.span().and_then(|span| shape_at::<M>(&source.text, span));
    match shape {
        Some(Shape::UnknownKey { key, expected }) => {
            let help = did_you_mean(&key, expected.iter().copied()).or_else(|| {
                (!expected.is_empty()).then(|| format!("expected one of: {}", expected.join(", ")))
            });
            located(Code::UnknownKey, e, source, format!("unknown key `{key}`"))
                .with_optional_help(help)
        }
        Some(Shape::MissingKey { key }) => located(
            Code::MissingKey,
            e,
            source,
            format!("missing required key `{key}`"),
        ),
        // A wrong type ("invalid type: ...", "invalid value: ..."): what was found and what was
        // expected live only in serde's message, which speaks of Rust types.
        None => located(
            Code::WrongType,
            e,
            source,
            crate::diagnostic::in_toml_terms(e.message().trim_end()),
        ),
    }
}

impl Spec {
    /// Parses a spec's text into the model, or the one diagnostic that says why not.
    pub fn parse(source: &SourceFile) -> Result<Spec, Diagnostic> {
        parse_spec(source)
    }
}

#[cfg(test)]
mod workflow_tests {
    use super::*;

    #[test]
    fn a_workflow_export_given_as_a_spec_is_named_as_one() {
        let export = SourceFile::new("flow.workflow", "0a1b2c3d4e5f\n9a8b7c6d\n");
        let d = parse_spec(&export).unwrap_err();
        assert_eq!(d.code, Code::TomlSyntax);
        assert!(
            d.message
                .starts_with("flow.workflow is a Webex Connect `.workflow` export, not a spec"),
            "{}",
            d.message
        );
        // Text that is neither keeps TOML's own message.
        let broken = SourceFile::new("broken.toml", "[flow\n");
        assert!(parse_spec(&broken)
            .unwrap_err()
            .message
            .starts_with("invalid TOML"));
    }
}
