//! TOML text to a spanned [`Spec`]. Syntax errors and shape errors (unknown key, missing key, wrong
//! type) come back as located diagnostics; TOML stops at the first such error, semantic checks later
//! collect every problem in one pass.

use super::model::Spec;
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
    // serde speaks of Rust types; say "an integer" where it says "i64".
    let message = e
        .message()
        .trim_end()
        .replace("expected i64", "expected an integer");
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let (field, expected) = rest.split_once('`').unwrap_or((rest, ""));
        let candidates: Vec<&str> = expected
            .split('`')
            .skip(1)
            .step_by(2)
            .filter(|s| !s.is_empty())
            .collect();
        let help = did_you_mean(field, candidates.iter().copied()).or_else(|| {
            (!candidates.is_empty()).then(|| format!("expected one of: {}", candidates.join(", ")))
        });
        return located(
            Code::UnknownKey,
            e,
            source,
            format!("unknown key `{field}`"),
        )
        .with_optional_help(help);
    }
    if let Some(rest) = message.strip_prefix("missing field `") {
        let field = rest.split('`').next().unwrap_or(rest);
        return located(
            Code::MissingKey,
            e,
            source,
            format!("missing required key `{field}`"),
        );
    }
    // "invalid type: ...", "invalid value: ..." and the rest of serde's shape complaints.
    located(Code::WrongType, e, source, message)
}
