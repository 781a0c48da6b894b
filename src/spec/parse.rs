//! TOML text to a spanned [`Spec`]. Syntax errors and shape errors (unknown key, missing key, wrong
//! type) come back as located diagnostics; TOML stops at the first such error, semantic checks later
//! collect every problem in one pass.

use super::model::Spec;
use super::shape::{shape_at, Shape};
use crate::diagnostic::{did_you_mean, Code, Diagnostic, SourceFile};
use serde::Deserialize as _;

/// Parses a spec. The source's name is what diagnostics show as the file.
pub fn parse_spec(source: &SourceFile) -> Result<Spec, Diagnostic> {
    // Syntax first, then shape, from one parse: a syntax error is never taken for a shape error.
    let deserializer = toml::de::Deserializer::parse(&source.text)
        .map_err(|e| located(Code::TomlSyntax, &e, source, syntax_message(&e)))?;
    Spec::deserialize(deserializer).map_err(|e| shape_error(&e, source))
}

fn syntax_message(e: &toml::de::Error) -> String {
    format!("invalid TOML: {}", e.message().trim_end())
}

fn located(code: Code, e: &toml::de::Error, source: &SourceFile, message: String) -> Diagnostic {
    Diagnostic::new(code, message).with_span(e.span().map(|r| source.span(r)))
}

fn shape_error(e: &toml::de::Error, source: &SourceFile) -> Diagnostic {
    let shape = e.span().and_then(|span| shape_at(&source.text, span));
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
