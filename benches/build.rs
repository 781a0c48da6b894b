//! Build benchmarks: GetOAuthToken, and generated flows of growing size to show linear cost.
//! Run: `cargo bench --bench build`.
// A test stops at the first thing that is not as expected.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;
use wxcflow::diagnostic::SourceFile;
use wxcflow::validate::DocumentValidator;

#[path = "support/chain.rs"]
mod chain;

fn build_get_oauth_token(c: &mut Criterion) {
    let compiler = wxcflow::Compiler::new();
    let source = SourceFile::new(wxcflow::DEFAULT_SPEC_NAME, wxcflow::DEFAULT_SPEC);
    c.bench_function("build/get_oauth_token", |b| {
        b.iter(|| compiler.build(black_box(&source)))
    });
    c.bench_function("schema/compile_validator", |b| {
        b.iter(DocumentValidator::new)
    });
}

fn build_chains(c: &mut Criterion) {
    let compiler = wxcflow::Compiler::new();
    let mut group = c.benchmark_group("build/chain");
    group.sample_size(20);
    for nodes in [250, 500, 1000, 2000] {
        let source = SourceFile::new("chain.toml", chain::chain_spec(nodes));
        group.throughput(Throughput::Elements(nodes as u64));
        group.bench_with_input(BenchmarkId::from_parameter(nodes), &source, |b, source| {
            b.iter(|| compiler.build(black_box(source)))
        });
    }
    group.finish();
    // Requests whose status nobody checks: each draws a warning, linear since the checkers of
    // each status are found once (a search from every request was quadratic).
    let mut group = c.benchmark_group("build/unchecked");
    group.sample_size(10);
    for nodes in [1000, 4000] {
        let source = SourceFile::new("requests.toml", chain::unchecked_spec(nodes));
        group.throughput(Throughput::Elements(nodes as u64));
        group.bench_with_input(BenchmarkId::from_parameter(nodes), &source, |b, source| {
            b.iter(|| compiler.build(black_box(source)))
        });
    }
    group.finish();
}

/// `n` tenants of GetOAuthToken, each with its own URL, passphrase and debug switch.
fn tenants(n: usize) -> Vec<wxcflow::render::Tenant> {
    (0..n)
        .map(|i| {
            let text = format!(
                "token_service_url = \"https://us-central1-t{i}.cloudfunctions.net/token-service?name=t{i}\"\n\
                 token_passphrase = {{ env = \"PASSPHRASE\" }}\ndebug_url = \"https://webhook.site/t{i}\"\n"
            );
            let source = SourceFile::new(format!("t{i}.toml"), text);
            wxcflow::render::Tenant::parse(format!("t{i}"), source).expect("tenant parses")
        })
        .collect()
}

struct BenchSecrets;

impl wxcflow::render::SecretStore for BenchSecrets {
    fn env(&self, _: &str) -> Option<String> {
        Some("bench-passphrase".into())
    }
    fn file(&self, path: &str) -> Result<String, wxcflow::render::SecretFileError> {
        Err(wxcflow::render::SecretFileError::Unreadable(path.into()))
    }
}

fn render_tenants(c: &mut Criterion) {
    let compiler = wxcflow::Compiler::new();
    let source = SourceFile::new(wxcflow::DEFAULT_SPEC_NAME, wxcflow::DEFAULT_SPEC);
    let spec = wxcflow::spec::Spec::parse(&source).expect("template parses");
    let renderer = wxcflow::render::Renderer::new(&spec, Some(&source)).expect("template compiles");
    let mut group = c.benchmark_group("render/tenants");
    group.sample_size(10);
    for n in [1000, 2000, 4000] {
        let tenants = tenants(n);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &tenants, |b, tenants| {
            // As `render` does: one compiled template, tenants built in parallel.
            b.iter(|| {
                use rayon::prelude::*;
                tenants
                    .par_iter()
                    .map(|t| {
                        compiler
                            .build_rendered(&renderer, Some(t), &BenchSecrets)
                            .output
                            .is_some()
                    })
                    .collect::<Vec<_>>()
            })
        });
    }
    group.finish();
}

/// Mocked runs of GetOAuthToken through the token-service path, on one thread.
fn simulate(c: &mut Criterion) {
    let compiler = wxcflow::Compiler::new();
    let source = SourceFile::new(wxcflow::DEFAULT_SPEC_NAME, wxcflow::DEFAULT_SPEC);
    let tenant = &tenants(1)[0];
    let build = compiler.build_tenant(&source, Some(tenant), &BenchSecrets);
    let flow = build.output.expect("builds").0.flow;
    let exchange: wxcflow::tools::simulate::mock::MockExchange = toml::from_str(
        "url = \"https://*\"\nbody = '{\"status\": \"200\", \"token\": \"t_PF84_x\"}'\n",
    )
    .expect("mock parses");
    let mut http = wxcflow::tools::simulate::mock::MockClient {
        exchanges: vec![exchange],
    };
    let body = serde_json::json!({"hook": "null"});
    let mut group = c.benchmark_group("sim");
    group.throughput(Throughput::Elements(1));
    group.bench_function("get_oauth_token_mocked", |b| {
        b.iter(|| {
            wxcflow::flow::Flow::simulate(
                black_box(&flow),
                &body,
                &mut http,
                &wxcflow::tools::simulate::NoChildren,
            )
        })
    });
    group.finish();
}

criterion_group!(
    benches,
    build_get_oauth_token,
    build_chains,
    render_tenants,
    simulate
);
criterion_main!(benches);
