//! A template and a tenant file from one input (split at the first NUL): render and build.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use wxcflow::diagnostic::SourceFile;
use wxcflow::Compiler;
use wxcflow::template::{SecretStore, Tenant};

struct Env;

impl SecretStore for Env {
    fn env(&self, name: &str) -> Option<String> {
        (!name.is_empty()).then(|| format!("value-of-{name}"))
    }
    fn file(&self, path: &str) -> Result<String, String> {
        Err(format!("{path}: not readable while fuzzing"))
    }
}

fuzz_target!(|data: &[u8]| {
    static COMPILER: OnceLock<Compiler> = OnceLock::new();
    let compiler = COMPILER.get_or_init(Compiler::new);
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (template, tenant) = text
        .split_once('\0')
        .unwrap_or((wxcflow::DEFAULT_SPEC, text));
    let template = SourceFile::new("template.toml", template);
    let Ok(tenant) = Tenant::parse("fuzz", SourceFile::new("fuzz.toml", tenant)) else {
        return;
    };
    let build = compiler.build_tenant(&template, Some(&tenant), &Env);
    let _ = build.holds_secret();
    let _ = build.secret_origins.len();
});
