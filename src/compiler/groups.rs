//! Many tenants of one template, checked once per set of switches.
//!
//! When every template string of a spec is a variable's default or a switch (`enabled`), two
//! tenants whose switches render to the same text get rendered specs that differ in variable
//! defaults alone. No check, no lowering step and no schema keyword reads a variable's default
//! (lowering copies it into the flow as it is; the document schema asks only for a string), so
//! such tenants get the same diagnostics and the same document but for those defaults. The
//! first tenant of each set of switches is built whole (checked, emitted, validated); the next
//! ones take its document, put in their own defaults and write it out. What does depend on a
//! tenant's values is still done for every tenant: rendering (parameter types, the size limits
//! of template output, where secrets may go, literal secrets, switches), whether the document
//! holds a secret, its size against the platform's limit, and where its diagnostics are placed.
//!
//! A first build that failed, warned that the document is over the size limit, or whose
//! defaults are not the rendered spec's as written, is not shared: each tenant of that set is
//! built whole. A template with a template string anywhere else is built whole for every tenant.

use super::{Build, Compiler};
use crate::diagnostic::{Code, Diagnostic};
use crate::flow::Document;
use crate::render::{Renderer, SecretStore, Tenant};
use crate::spec::Spec;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

/// Builds tenants of one template, sharing what a set of switches decides.
pub struct Groups<'a> {
    compiler: &'a Compiler,
    renderer: &'a Renderer<'a>,
    /// By what the switches rendered to: the first tenant's build, or `None` when each tenant
    /// of that set is built whole.
    built: Mutex<BTreeMap<Vec<String>, Arc<Option<Shared>>>>,
}

/// What tenants with one set of switches share: the document (its variable defaults are each
/// tenant's own) and every diagnostic of checking, emitting and validating.
struct Shared {
    document: Document,
    diagnostics: Vec<Diagnostic>,
    /// The document's text around its variables' defaults, when it could be cut there.
    text: Option<Spliced>,
}

/// A document's canonical text cut at its variables' defaults: `pieces[0]`, the default of
/// variable `slots[0]` as JSON, `pieces[1]`, and so on. Canonical JSON writes a string the same
/// wherever it sits, so filling in a tenant's defaults gives the text the emitter would write.
struct Spliced {
    pieces: Vec<String>,
    slots: Vec<usize>,
}

/// A string as the canonical document text writes it (quoted, escaped).
fn json_string(text: &str) -> Option<String> {
    serde_json::to_string(text)
        .ok()
        .map(crate::diagnostic::escape_c1)
}

impl Spliced {
    /// Cuts the text of `document` at its defaults. `None` when it cannot be done surely: a
    /// marker put in each default is not found exactly once, or filling the document's own
    /// defaults back does not give `json`, the text the emitter wrote.
    fn of(document: &Document, json: &str) -> Option<Spliced> {
        let mut marked = document.clone();
        let mut markers = Vec::new();
        for (i, variable) in marked.flow.variables.iter_mut().enumerate() {
            variable.default = format!("\u{0}wxcflow-default-{i}\u{0}");
            markers.push(json_string(&variable.default)?);
        }
        let text = crate::emit::document::to_json(&marked);
        let mut found = Vec::new();
        for (slot, marker) in markers.iter().enumerate() {
            let mut at = text.match_indices(marker.as_str()).map(|(at, _)| at);
            let (Some(first), None) = (at.next(), at.next()) else {
                return None;
            };
            found.push((first, slot));
        }
        found.sort_unstable();
        let mut pieces = Vec::new();
        let mut from = 0;
        for &(at, slot) in &found {
            pieces.push(text.get(from..at)?.to_string());
            from = at + markers[slot].len();
        }
        pieces.push(text.get(from..)?.to_string());
        let spliced = Spliced {
            pieces,
            slots: found.into_iter().map(|(_, slot)| slot).collect(),
        };
        (spliced.fill(document)?.as_str() == json).then_some(spliced)
    }

    /// The canonical text of `document`, which differs from the one cut only in its defaults.
    fn fill(&self, document: &Document) -> Option<String> {
        let variables = &document.flow.variables;
        let values = (self.slots.iter())
            .map(|&slot| json_string(&variables.get(slot)?.default))
            .collect::<Option<Vec<String>>>()?;
        let length = self.pieces.iter().chain(&values).map(String::len).sum();
        let mut text = String::with_capacity(length);
        let mut pieces = self.pieces.iter();
        text.push_str(pieces.next()?);
        for (value, piece) in values.iter().zip(pieces) {
            text.push_str(value);
            text.push_str(piece);
        }
        Some(text)
    }
}

impl<'a> Groups<'a> {
    /// Tenants of `renderer`'s template, built by `compiler`.
    pub fn new(compiler: &'a Compiler, renderer: &'a Renderer<'a>) -> Groups<'a> {
        Groups {
            compiler,
            renderer,
            built: Mutex::new(BTreeMap::new()),
        }
    }

    /// The same build as [`Compiler::build_rendered`] for this tenant, byte for byte and
    /// diagnostic for diagnostic.
    pub fn build(&self, tenant: Option<&Tenant>, store: &dyn SecretStore) -> Build {
        if !self.renderer.groupable {
            return self.compiler.build_rendered(self.renderer, tenant, store);
        }
        let mut rendered = self.renderer.render(tenant, store);
        let (Some(spec), Some(switches)) = (rendered.spec.take(), rendered.switches.take()) else {
            // Rendering failed: nothing was checked.
            return Build {
                output: None,
                diagnostics: rendered.diagnostics,
                secret_origins: rendered.secret_origins,
                secret_spans: rendered.secret_spans,
            };
        };
        let mut built = self.built_for(switches, &spec);
        drop(spec);
        // As the whole pipeline does: the problems of rendering first, then those of checking,
        // moved to the tenant file where they are about a value it sets.
        if let Some(template) = self.renderer.source() {
            rendered.place_on_tenant(&template.name, &mut built.diagnostics);
        }
        let mut diagnostics = rendered.diagnostics;
        diagnostics.append(&mut built.diagnostics);
        Build {
            output: built.output,
            diagnostics,
            secret_origins: rendered.secret_origins,
            secret_spans: rendered.secret_spans,
        }
    }

    /// The build of a rendered spec: from what its set of switches shares when it can be, else
    /// checked, emitted and validated whole.
    fn built_for(&self, switches: Vec<String>, spec: &Spec) -> Build {
        let found = self
            .built
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&switches)
            .cloned();
        match found.as_deref() {
            Some(Some(shared)) => shared.fill(spec).unwrap_or_else(|| self.whole(spec)),
            Some(None) => self.whole(spec),
            None => {
                let build = self.whole(spec);
                let shared = Shared::of(&build, spec);
                self.built
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .entry(switches)
                    .or_insert_with(|| Arc::new(shared));
                build
            }
        }
    }

    /// How many sets of switches share one build so far (each tenant of another set is built
    /// whole).
    pub fn shared_sets(&self) -> usize {
        let built = self.built.lock().unwrap_or_else(PoisonError::into_inner);
        built.values().filter(|shared| shared.is_some()).count()
    }

    fn whole(&self, spec: &Spec) -> Build {
        self.compiler.build_spec(spec, self.renderer.source())
    }
}

/// Each variable's default in a rendered spec, by name (`""` when it has none), as lowering
/// copies it into the flow.
fn defaults(spec: &Spec) -> BTreeMap<&str, &str> {
    spec.variables
        .iter()
        .map(|(name, v)| {
            let default = v.default.as_ref().map_or("", |d| d.get_ref().as_str());
            (name.get_ref().as_str(), default)
        })
        .collect()
}

impl Shared {
    /// What a first build gives the tenants with its switches, or `None` when they cannot share
    /// it: it failed, it is over the flow size limit, or its flow's defaults are not the spec's.
    fn of(build: &Build, spec: &Spec) -> Option<Shared> {
        let (document, json) = build.output.as_ref()?;
        if build
            .diagnostics
            .iter()
            .any(|d| matches!(d.code, Code::OverFlowSize | Code::SchemaViolation))
        {
            return None;
        }
        let defaults = defaults(spec);
        let variables = &document.flow.variables;
        let as_written = variables.len() == defaults.len()
            && variables
                .iter()
                .all(|v| defaults.get(v.name.as_str()) == Some(&v.default.as_str()));
        as_written.then(|| Shared {
            document: document.clone(),
            diagnostics: build.diagnostics.clone(),
            text: Spliced::of(document, json),
        })
    }

    /// This document with the spec's defaults, as the whole pipeline would build it; `None`
    /// when it is over the flow size limit (then it is built whole, which says so).
    fn fill(&self, spec: &Spec) -> Option<Build> {
        let defaults = defaults(spec);
        let mut document = self.document.clone();
        for variable in &mut document.flow.variables {
            let default = defaults.get(variable.name.as_str())?;
            if variable.default != *default {
                variable.default = (*default).to_string();
            }
        }
        let json = match &self.text {
            Some(spliced) => spliced.fill(&document)?,
            None => crate::emit::document::to_json(&document),
        };
        if json.len() > crate::MAX_INPUT_BYTES {
            return None;
        }
        Some(Build {
            output: Some((document, json)),
            diagnostics: self.diagnostics.clone(),
            secret_origins: BTreeMap::new(),
            secret_spans: Vec::new(),
        })
    }
}
