//! Shared state of one front-end run (lowering and checking a spec): the source for spans and the
//! diagnostics collected so far. It lives with the spec it points into, below both stages.

use super::model::S;
use crate::diagnostic::{Code, Diagnostic, SourceFile, Span};
use std::ops::Range;

pub struct Ctx<'a> {
    source: Option<&'a SourceFile>,
    pub diagnostics: Vec<Diagnostic>,
    /// Checking a template as revisions read it: values may still be template text.
    pub template_text: bool,
}

impl<'a> Ctx<'a> {
    pub fn new(source: Option<&'a SourceFile>) -> Self {
        Ctx {
            source,
            diagnostics: Vec::new(),
            template_text: false,
        }
    }

    /// The located span of a spanned value; `None` for values built in Rust (no source).
    pub fn span<T>(&self, value: &S<T>) -> Option<Span> {
        self.source.map(|s| s.span(value.span()))
    }

    /// The span of `inner` (a byte range of the string's value) inside a spanned string. When the
    /// source text does not hold the value verbatim there (escapes), the whole string is used.
    pub fn span_in(&self, value: &S<String>, inner: Range<usize>) -> Option<Span> {
        self.source
            .map(|source| source.span_in_string(value.span(), value.get_ref(), inner))
    }

    // `expect` below: The vector was pushed to on the line before.
    #[allow(clippy::expect_used)]
    pub fn report(
        &mut self,
        code: Code,
        message: impl Into<String>,
        span: Option<Span>,
    ) -> &mut Diagnostic {
        self.diagnostics
            .push(Diagnostic::new(code, message).with_span(span));
        self.diagnostics.last_mut().expect("just pushed")
    }

    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Extension for adding help to a just-reported diagnostic.
pub trait Help {
    fn help(&mut self, help: impl Into<String>);
    fn maybe_help(&mut self, help: Option<String>);
}

impl Help for Diagnostic {
    fn help(&mut self, help: impl Into<String>) {
        self.help = Some(help.into());
    }
    fn maybe_help(&mut self, help: Option<String>) {
        if help.is_some() {
            self.help = help;
        }
    }
}
