//! Build benchmarks: GetOAuthToken, and generated flows of growing size to show linear cost.
//! Run: `cargo bench --bench build`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;
use wxcflow::diagnostic::SourceFile;
use wxcflow::schema::DocumentValidator;

#[path = "support/chain.rs"]
mod chain;

fn build_get_oauth_token(c: &mut Criterion) {
    let validator = DocumentValidator::new();
    let source = SourceFile::new(wxcflow::DEFAULT_SPEC_NAME, wxcflow::DEFAULT_SPEC);
    c.bench_function("build/get_oauth_token", |b| {
        b.iter(|| wxcflow::build_source(black_box(&source), &validator))
    });
    c.bench_function("schema/compile_validator", |b| {
        b.iter(DocumentValidator::new)
    });
}

fn build_chains(c: &mut Criterion) {
    let validator = DocumentValidator::new();
    let mut group = c.benchmark_group("build/chain");
    group.sample_size(20);
    for nodes in [250, 500, 1000, 2000] {
        let source = SourceFile::new("chain.toml", chain::chain_spec(nodes));
        group.throughput(Throughput::Elements(nodes as u64));
        group.bench_with_input(BenchmarkId::from_parameter(nodes), &source, |b, source| {
            b.iter(|| wxcflow::build_source(black_box(source), &validator))
        });
    }
    group.finish();
}

criterion_group!(benches, build_get_oauth_token, build_chains);
criterion_main!(benches);
