//! GetOAuthToken built with the Rust builder API instead of TOML. It compiles to the same bytes as
//! `templates/get-oauth-token.toml` (a test checks it).
//!
//! Run: `cargo run --example get_oauth_token > GetOAuthToken.flow.json`

use wxcflow::spec::builder::*;
use wxcflow::spec::Spec;

/// The GetOAuthToken flow, node for node as in the TOML template.
pub fn get_oauth_token() -> Spec {
    let not_empty = |variable: &str| cond(variable, "not_equals", "");
    FlowBuilder::new("GetOAuthToken")
        .description("Hands a bearer token to the parent flow in JDSToken: from the token service, else from StaticToken.")
        .credential_headers(["x-token-passphrase", "Authorization"])
        .webhook("CCEP_GetOAuthToken", r#"{"hook": "null"}"#, "token_source")
        .variable(
            "Token-Service-URL",
            Var::new().default_value("").externalize().note(
                "The whole token-service URL, query included: https://<region>-<project>.cloudfunctions.net/token-service?name=<tokenName>. Empty: use StaticToken.",
            ),
        )
        .variable(
            "x-token-passphrase",
            Var::new()
                .default_value("")
                .externalize()
                .secret()
                .send_to("$(Token-Service-URL)")
                .note("Sent to the token service in the x-token-passphrase header."),
        )
        .variable(
            "StaticToken",
            Var::new().default_value("").externalize().secret().note(
                "A pasted access token, used when the token service is not set or fails. Replace it every 12 hours.",
            ),
        )
        .variable(
            "JDSToken",
            Var::new()
                .default_value("")
                .secret()
                .result()
                .note("Set by this flow; the parent flow reads it. Leave empty."),
        )
        .variable(
            "Debug-URL",
            Var::new().default_value("").externalize().note(
                "Optional request catcher that receives a debug report (never the token). Empty: no report.",
            ),
        )
        .variable(
            "TokenSource",
            Var::new()
                .default_value("none")
                .note("Set by this flow for the debug report: service, static or none."),
        )
        .variable(
            "TokenStatus",
            Var::new()
                .default_value("")
                .note("Set by this flow for the debug report: the token service's HTTP status code."),
        )
        .variable(
            "TokenMessage",
            Var::new()
                .default_value("")
                .note("Set by this flow for the debug report: why the token service gave no token."),
        )
        .node(
            "token_source",
            branch()
                .branch("TokenService", JoinWith::All, vec![not_empty("$(Token-Service-URL)")])
                .next("TokenService", "fetch_token")
                .next("none", "static_token")
                .next("onError", "static_token"),
        )
        .node(
            "fetch_token",
            http("GET", "$(Token-Service-URL)")
                .header("x-token-passphrase", "$(x-token-passphrase)")
                .timeouts(5000, 10000)
                .output("token", "$.token")
                .output("status", "$.status")
                .output("message", "$.message")
                .secret_output("token")
                .sample(r#"{"status": "200", "token": "<token>"}"#)
                .sample(r#"{"status": "500", "message": "Invalid Token Passphrase"}"#)
                .on_leave(
                    None,
                    [
                        ("TokenStatus", "$(fetch_token.https.statusCode)"),
                        ("TokenMessage", "$(fetch_token.message)"),
                    ],
                )
                .next("onSuccess", "check_reply")
                .next("onError", "service_unreachable")
                .next("onTimeout", "service_timed_out"),
        )
        .node(
            "check_reply",
            branch()
                .branch(
                    "TokenIssued",
                    JoinWith::All,
                    vec![
                        cond("$(fetch_token.https.statusCode)", "equals", "200"),
                        not_empty("$(fetch_token.token)"),
                    ],
                )
                .next("TokenIssued", "use_service_token")
                .next("none", "static_token")
                .next("onError", "static_token"),
        )
        .node(
            "use_service_token",
            assignment([("JDSToken", "$(fetch_token.token)"), ("TokenSource", "service")]),
        )
        .node(
            "service_unreachable",
            static_fallback().on_enter([("TokenMessage", "token service unreachable")]),
        )
        .node(
            "service_timed_out",
            static_fallback().on_enter([("TokenMessage", "token service timed out")]),
        )
        .node("static_token", static_fallback())
        .node(
            "use_static_token",
            assignment([("JDSToken", "$(StaticToken)"), ("TokenSource", "static")]),
        )
        .node(
            "debug_gate",
            branch()
                .branch("DebugOn", JoinWith::All, vec![not_empty("$(Debug-URL)")])
                .next("DebugOn", "debug_report")
                .next("none", "result")
                .next("onError", "result"),
        )
        .node(
            "debug_report",
            http("POST", "$(Debug-URL)")
                .header("Content-Type", "application/json")
                .body(r#"{"flow": "GetOAuthToken", "flid": "$(flid)", "tokenSource": "$(TokenSource)", "statusCode": "$(TokenStatus)", "message": "$(TokenMessage)"}"#)
                .timeouts(3000, 5000)
                .next("onSuccess", "result")
                .next("onError", "result")
                .next("onTimeout", "result"),
        )
        .node(
            "result",
            branch()
                .branch("HasToken", JoinWith::All, vec![not_empty("$(JDSToken)")])
                .next("HasToken", "end:Success")
                .next("none", "end:Error")
                .next("onError", "end:Error"),
        )
        .build()
}

/// A branch entered only on the right path, whose on-enter actions make the assignment (Flow
/// Builder runs on-leave actions for every outcome); every outcome goes on to the debug gate.
fn assignment<const N: usize>(set: [(&str, &str); N]) -> NodeBuilder {
    branch()
        .on_enter(set)
        .branch(
            "Assigned",
            JoinWith::All,
            vec![cond("$(JDSToken)", "not_equals", "")],
        )
        .next("Assigned", "debug_gate")
        .next("none", "debug_gate")
        .next("onError", "debug_gate")
}

/// Falls back to the static token when there is one.
fn static_fallback() -> NodeBuilder {
    branch()
        .branch(
            "StaticTokenSet",
            JoinWith::All,
            vec![cond("$(StaticToken)", "not_equals", "")],
        )
        .next("StaticTokenSet", "use_static_token")
        .next("none", "debug_gate")
        .next("onError", "debug_gate")
}

#[allow(dead_code)] // The test suite includes this file for `get_oauth_token` alone.
fn main() {
    let compiler = wxcflow::Compiler::new();
    let build = compiler.build_spec(&get_oauth_token(), None);
    match build.output {
        Some((_, json)) => print!("{json}"),
        None => {
            let report = wxcflow::diagnostic::Diagnostic::render_human(&build.diagnostics, &[]);
            eprint!("{report}");
            std::process::exit(1);
        }
    }
}
