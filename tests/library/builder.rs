//! The Rust builder API and the TOML spec are two ways to one document.
// A test stops at the first thing that is not as expected.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

#[path = "../../examples/get_oauth_token.rs"]
mod example;

use wxcflow::diagnostic::SourceFile;

#[test]
fn rust_built_and_toml_built_get_oauth_token_are_byte_identical() {
    let from_rust = common::compiler().build_spec(&example::get_oauth_token(), None);
    assert_eq!(from_rust.diagnostics, vec![]);
    let source = SourceFile::new(wxcflow::DEFAULT_SPEC_NAME, wxcflow::DEFAULT_SPEC);
    let from_toml = common::compiler().build(&source);
    let (_, rust_json) = from_rust.output.expect("rust-built document");
    let (_, toml_json) = from_toml.output.expect("toml-built document");
    assert_eq!(rust_json, toml_json);
}

#[test]
fn builder_specs_get_the_same_checks_without_spans() {
    use wxcflow::spec::builder::*;
    let spec = FlowBuilder::new("Broken")
        .webhook("Broken", "{}", "fetch")
        .node(
            "fetch",
            http("GET", "$(Nowhere)").next("onSuccess", "end:Success"),
        )
        .build();
    let build = common::compiler().build_spec(&spec, None);
    let codes: Vec<&str> = build.diagnostics.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(
        codes,
        [
            "wxc::unwired-outcome",
            "wxc::unwired-outcome",
            "wxc::undefined-variable"
        ]
    );
    assert!(build.diagnostics.iter().all(|d| d.span.is_none()));
    assert!(build.output.is_none());
}
