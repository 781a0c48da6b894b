//! A spec and a webhook body from one input (split at the first NUL): build, then run it with
//! a mock that answers every request.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use wxcflow::diagnostic::SourceFile;
use wxcflow::Compiler;
use wxcflow::sim::mock::{MockClient, MockExchange};

fuzz_target!(|data: &[u8]| {
    static COMPILER: OnceLock<Compiler> = OnceLock::new();
    let compiler = COMPILER.get_or_init(Compiler::new);
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (spec, body) = text.split_once('\0').unwrap_or((text, "{}"));
    let Some((document, _)) = compiler.build(&SourceFile::new("s.toml", spec))
    .output
    else {
        return;
    };
    let body: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    let exchange = MockExchange {
        method: None,
        url: "*".into(),
        headers: Default::default(),
        status: 200,
        status_text: None,
        reply_headers: Default::default(),
        body: body.to_string(),
        delay_ms: None,
        fail: None,
    };
    let run = wxcflow::sim::run(
        &document.flow,
        &body,
        &mut MockClient {
            exchanges: vec![exchange],
        },
        &wxcflow::sim::NoChildren,
    );
    let _ = wxcflow::sim::render_text(&run);
});
