//! Any text as a spec: parse, render, check, emit, validate, and the by-products people see.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use wxcflow::diagnostic::SourceFile;
use wxcflow::Compiler;

fuzz_target!(|data: &[u8]| {
    static COMPILER: OnceLock<Compiler> = OnceLock::new();
    let compiler = COMPILER.get_or_init(Compiler::new);
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let source = SourceFile::new("fuzz.toml", text);
    let build = compiler.build(&source);
    let _ = wxcflow::diagnostic::render_human(&build.diagnostics, &[&source]);
    let _ = wxcflow::fmt::format_spec(&source);
    if let Some((document, _)) = build.output {
        let _ = wxcflow::emit::graph::mermaid(&document.flow);
        let _ = wxcflow::emit::graph::dot(&document.flow);
        let _ = wxcflow::emit::sheet::sheet(&document.flow, "fuzz.toml", &Default::default());
        let _ = wxcflow::diff::render_lines(&document.flow);
    }
});
