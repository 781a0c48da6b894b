//! Every Webex Connect command's library work on generated chains of 1,000 and 10,000 nodes
//! (benches/support/chain.rs), to show that each grows linearly with the flow. The whole-process
//! figures (time and peak memory per command) are `bash benches/scale/run.sh`; docs/speed.md
//! has both. Run: `cargo bench --bench commands` (about three minutes).
// A test stops at the first thing that is not as expected.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;
use wxcflow::diagnostic::SourceFile;

#[path = "support/chain.rs"]
mod chain;

const SIZES: [usize; 2] = [1000, 10_000];

/// What each benchmark of one size starts from: the spec, a changed revision, the built
/// document and its text.
struct Fixture {
    source: SourceFile,
    changed: SourceFile,
    document: wxcflow::flow::Document,
    json: String,
}

fn fixture(nodes: usize) -> Fixture {
    let text = chain::chain_spec(nodes);
    let changed = text.replace("/items/7?", "/items/seven?");
    let source = SourceFile::new("chain.toml", text);
    let (document, json) = wxcflow::Compiler::new()
        .build(&source)
        .output
        .expect("the chain builds");
    Fixture {
        source,
        changed: SourceFile::new("changed.toml", changed),
        document,
        json,
    }
}

fn commands(c: &mut Criterion) {
    let compiler = wxcflow::Compiler::new();
    let mut group = c.benchmark_group("command");
    group.sample_size(10);
    for nodes in SIZES {
        let f = fixture(nodes);
        let flow = &f.document.flow;
        group.throughput(Throughput::Elements(nodes as u64));
        let id = |name: &str| BenchmarkId::new(name, nodes);
        // build and check: parse, render, check, emit, validate.
        group.bench_function(id("build"), |b| {
            b.iter(|| compiler.build(black_box(&f.source)))
        });
        group.bench_function(id("graph"), |b| {
            b.iter(|| wxcflow::flow::Flow::mermaid(black_box(flow)))
        });
        group.bench_function(id("sheet"), |b| {
            b.iter(|| {
                wxcflow::flow::Flow::sheet(black_box(flow), "chain.toml", &Default::default())
            })
        });
        // diff of two specs: both built as revisions, then compared.
        group.bench_function(id("diff"), |b| {
            b.iter(|| {
                let old = compiler.build_symbolic(&f.source).output.unwrap().0;
                let new = compiler.build_symbolic(&f.changed).output.unwrap().0;
                wxcflow::tools::diff::diff(&old.flow, &new.flow)
            })
        });
        group.bench_function(id("fmt"), |b| {
            b.iter(|| wxcflow::spec::Spec::format(black_box(&f.source)))
        });
        group.bench_function(id("inspect"), |b| {
            b.iter(|| wxcflow::tools::workflow::Inspection::of(black_box(f.json.as_bytes())))
        });
        group.bench_function(id("textconv"), |b| {
            b.iter(|| wxcflow::tools::diff::render_lines(black_box(flow)))
        });
        group.bench_function(id("decompile"), |b| {
            b.iter(|| wxcflow::flow::Document::decompile(black_box(&f.document)))
        });
        // run: every HTTP node answered by one mock, every branch taken to the next pair.
        let exchange: wxcflow::tools::simulate::mock::MockExchange =
            toml::from_str("url = \"https://api.example.com/*\"\nbody = '{\"value\": \"v\"}'\n")
                .expect("mock parses");
        let mut http = wxcflow::tools::simulate::mock::MockClient {
            exchanges: vec![exchange],
        };
        let body = serde_json::json!({"id": "1"});
        group.bench_function(id("run"), |b| {
            b.iter(|| {
                wxcflow::flow::Flow::simulate(
                    black_box(flow),
                    &body,
                    &mut http,
                    &wxcflow::tools::simulate::NoChildren,
                )
            })
        });
    }
    group.finish();
}

criterion_group!(benches, commands);
criterion_main!(benches);
