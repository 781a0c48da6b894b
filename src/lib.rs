//! wxcflow: a compiler for Cisco Webex Connect flows.
//!
//! The pipeline, one pure function a stage, run by a [`Compiler`], one folder a stage:
//! `spec text --spec::parse--> Spec --render(tenant)--> Spec --check, lower--> Flow
//! --emit--> Document --validate--> canonical JSON`. The tools read what the pipeline makes:
//! [`tools::diff`], [`Document::decompile`], [`Spec::format`], [`Flow::simulate`] and
//! [`tools::workflow`] (real `.workflow` exports). [`flow_designer`] is the second target:
//! [`Compiler::build_flow_designer`] hands the checked flow to its back end, and
//! [`FdFlow`] is the way into a Flow Designer file. What a file is, every command asks
//! [`InputKind::detect`].
//!
//! The public surface is chosen on purpose (docs/internals.md, "Public surface"): the types
//! below at the root, the models in their modules, and what a stage does as methods on the
//! types it serves.
//! Secret values carry their provenance through every stage ([`secret`]). The library never
//! prints and never touches files; the `wxcflow` binary does both.
#![deny(clippy::print_stdout, clippy::print_stderr)]
#![warn(missing_docs)]

// The model every stage shares.
pub mod diagnostic;
pub mod flow;
pub mod secret;

// The stages, in pipeline order.
pub(crate) mod check;
mod compiler;
pub mod emit;
mod input;
pub(crate) mod lower;
pub mod render;
pub mod spec;
pub mod validate;

// What reads the pipeline's output, and the second target.
pub mod flow_designer;
pub mod tools;

mod embedded;

pub use compiler::{Build, Compiler, FdTargetBuild, Groups, SecretOrigins};
pub use embedded::{DEFAULT_SPEC, DEFAULT_SPEC_NAME, TENANT_EXAMPLE};
pub use flow::limits::{MAX_FD_BYTES, MAX_INPUT_BYTES};
pub use input::InputKind;

// The types every user of the library meets, at the root.
pub use diagnostic::{Diagnostic, SourceFile};
pub use flow::{Document, Flow};
pub use flow_designer::model::FdFlow;
pub use spec::Spec;
