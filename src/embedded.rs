//! What the binary carries: the GetOAuthToken template and an example tenant file for it.

/// The GetOAuthToken spec that `wxcflow build` compiles when given no spec.
pub const DEFAULT_SPEC: &str = include_str!("../templates/get-oauth-token.toml");
/// An example tenant file for the GetOAuthToken template, written by `wxcflow init`.
pub const TENANT_EXAMPLE: &str = include_str!("../templates/tenant-example.toml");
/// The name diagnostics give the embedded spec.
pub const DEFAULT_SPEC_NAME: &str = "templates/get-oauth-token.toml";
