//! The spec: TOML read into spanned values, and the Rust builder API that makes the same values.

pub mod builder;
pub(crate) mod context;
pub mod model;
mod parse;
mod shape;
mod spanned;

pub use model::Spec;
pub(crate) use parse::parse_spec;
pub(crate) use parse::{parse_in_parts, parse_toml, shape_error, spec_from_toml, workflow_given};
pub(crate) use shape::Shaped;
pub(crate) use spanned::values_within;

/// Whether a string holds template syntax (`{{`, `{%`, `{#`): a template's text, filled for
/// each tenant.
pub(crate) fn is_template(text: &str) -> bool {
    text.contains("{{") || text.contains("{%") || text.contains("{#")
}
