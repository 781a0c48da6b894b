//! Semantic checks: spec in, validated [`Flow`] out, with every diagnostic found on the way.

mod analysis;
mod assumptions;
mod names;
mod paths;
pub(crate) use paths::nodes_on_loops;
mod secrets;
pub(crate) mod typed;

use crate::diagnostic::{Diagnostic, SourceFile};
use crate::flow::Flow;
use crate::lower;
use crate::spec::context::Ctx;
use crate::spec::model::Spec;

/// What checking a spec found.
#[derive(Debug)]
pub(crate) struct Checked {
    /// The flow, when no diagnostic is an error.
    pub flow: Option<Flow>,
    /// Errors and warnings, in the order of the checks that found them.
    pub diagnostics: Vec<Diagnostic>,
}

/// Checks a spec. `source` is the text it was parsed from (for spans); `None` for specs built in
/// Rust. Field-level and reference problems are all collected; the whole-graph analyses run once
/// the structure is sound, since a broken wiring would only make them report noise.
pub(crate) use secrets::shared_destinations;

pub(crate) fn check(spec: &Spec, source: Option<&SourceFile>) -> Checked {
    check_with(spec, source, false)
}

/// As [`check`], for a template whose values are still template text (revisions read without a
/// tenant): a URL that is a template is taken as one.
pub(crate) fn check_template_text(spec: &Spec, source: Option<&SourceFile>) -> Checked {
    check_with(spec, source, true)
}

fn check_with(spec: &Spec, source: Option<&SourceFile>, template_text: bool) -> Checked {
    let mut cx = Ctx::new(source);
    cx.template_text = template_text;
    let lower::Lowered { flow, origins } = lower::lower(spec, &mut cx);
    secrets::validate(spec, &mut cx);
    assumptions::per_outcome_actions(spec, &mut cx);
    names::check(spec, &mut cx);
    if !cx.has_errors() {
        analysis::analyse(&flow, &origins, &mut cx);
    }
    let flow = (!cx.has_errors()).then_some(flow);
    let mut diagnostics = cx.diagnostics;
    // Top to bottom through the file, as a reader goes; unlocated ones last. The sort is stable,
    // so diagnostics at one place keep the order of the checks that found them.
    diagnostics.sort_by_key(|d| d.span.as_ref().map_or(usize::MAX, |s| s.bytes.start));
    Checked { flow, diagnostics }
}
