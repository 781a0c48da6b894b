//! Any bytes as a flow document: validate, decompile, and rebuild what decompiles.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use wxcflow::Compiler;

fuzz_target!(|data: &[u8]| {
    static COMPILER: OnceLock<Compiler> = OnceLock::new();
    let compiler = COMPILER.get_or_init(Compiler::new);
    let validator = compiler.validator();
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let _ = validator.validate(&value);
    let Ok(document) = serde_json::from_value::<wxcflow::flow::Document>(value.clone()) else {
        return;
    };
    // The CLI decompiles only documents the schema accepts; so does this target.
    if !validator.validate(&value).is_empty() {
        return;
    }
    let spec = wxcflow::decompile::decompile(&document);
    let source = wxcflow::diagnostic::SourceFile::new("decompiled.toml", spec);
    let _ = compiler.build(&source);
    let _ = wxcflow::diff::diff(&document.flow, &document.flow);
});
