//! Flow Designer files at scale: a generated chain (`support/chain.rs`) built for Flow Designer,
//! then read, quoted, checked (as built, and with every activity renamed), decompiled, diffed
//! and summarised as the commands do.
//! Run: `cargo bench --bench flow_designer`. Whole-command figures (time and peak memory up to
//! 10,000 nodes) are in docs/speed.md.
// A test stops at the first thing that is not as expected.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;
use wxcflow::diagnostic::SourceFile;
use wxcflow::flow_designer as fd;
use wxcflow::flow_designer::model::Keeping;

#[path = "support/chain.rs"]
mod chain;

/// The Flow Designer file `build --target flow-designer` writes for a chain of `nodes` nodes.
fn export(nodes: usize) -> SourceFile {
    let compiler = wxcflow::Compiler::new();
    let spec = SourceFile::new("chain.toml", chain::chain_spec(nodes));
    let lowered = compiler.build_flow_designer(
        wxcflow::InputKind::Spec,
        &spec,
        None,
        &wxcflow::render::NoSecrets,
        &|_| Default::default(),
    );
    let (_, json) = lowered
        .build
        .output
        .expect("the chain builds for Flow Designer");
    SourceFile::new("chain.fd.json", json)
}

/// `export` with every activity renamed (`r_` before its name, in the process and in its
/// properties), so that every name the activities read is unknown: `check` then looks for the
/// closest name of each.
fn renamed(source: &SourceFile) -> SourceFile {
    let mut value: serde_json::Value = serde_json::from_str(&source.text).unwrap();
    let activities = value["process"]["activities"].as_object_mut().unwrap();
    for a in activities.values_mut() {
        let name = format!("r_{}", a["name"].as_str().unwrap());
        a["name"] = name.clone().into();
        a["properties"]["name"] = name.into();
    }
    SourceFile::new(
        "renamed.fd.json",
        serde_json::to_string_pretty(&value).unwrap(),
    )
}

/// The 2-node chain's export with its HTTP request's URL nesting a template `levels` times
/// (`"#{` in a string in a string ...): read once a byte, where each level was read again for
/// every level above it (40,000 levels took 26 s to check).
fn deep(levels: usize) -> SourceFile {
    let mut value: serde_json::Value = serde_json::from_str(&export(2).text).unwrap();
    let url = format!(
        "https://h/{{{{ {}x{} }}}}",
        "\"#{".repeat(levels),
        "}\"".repeat(levels)
    );
    let activities = value["process"]["activities"].as_object_mut().unwrap();
    let http = activities
        .values_mut()
        .find(|a| a["properties"]["activityName"] == "http-request-v2")
        .unwrap();
    http["properties"]["httpRequestUrl"] = url.into();
    SourceFile::new("deep.fd.json", serde_json::to_string(&value).unwrap())
}

/// `build --target flow-designer` of the chain spec, in memory.
fn build(c: &mut Criterion) {
    let mut group = c.benchmark_group("flow_designer");
    group.sample_size(10);
    let compiler = wxcflow::Compiler::new();
    // 10,000 nodes too: the size the goal of a second at most is set for.
    for nodes in [1000, 2000, 10_000] {
        let spec = SourceFile::new("chain.toml", chain::chain_spec(nodes));
        group.throughput(Throughput::Elements(nodes as u64));
        group.bench_with_input(BenchmarkId::new("build", nodes), &spec, |b, spec| {
            b.iter(|| {
                compiler.build_flow_designer(
                    wxcflow::InputKind::Spec,
                    black_box(spec),
                    None,
                    &wxcflow::render::NoSecrets,
                    &|_| Default::default(),
                )
            })
        });
    }
    group.finish();
}

fn read_and_check(c: &mut Criterion) {
    let mut group = c.benchmark_group("flow_designer");
    group.sample_size(10);
    let compiler = wxcflow::Compiler::new();
    for levels in [10_000, 40_000] {
        let source = deep(levels);
        group.bench_with_input(
            BenchmarkId::new("check_deep_template", levels),
            &source,
            |b, source| b.iter(|| compiler.check_flow_designer(None, black_box(source.clone()))),
        );
    }
    for nodes in [1000, 2000] {
        let source = export(nodes);
        group.throughput(Throughput::Elements(nodes as u64));
        // What `check` does: read with the file's places, telling its kind from the reading,
        // lint, place.
        let compiler = wxcflow::Compiler::new();
        group.bench_with_input(BenchmarkId::new("check", nodes), &source, |b, source| {
            b.iter(|| {
                let checked = compiler.check_flow_designer(None, black_box(source.clone()));
                assert!(
                    matches!(
                        checked,
                        Some((wxcflow::InputKind::FlowDesignerExport, _, _))
                    ),
                    "told an export"
                );
                checked
            })
        });
        // Every activity renamed: 1.5 unknown names an activity, each with its suggestion.
        let renamed = renamed(&source);
        group.bench_with_input(
            BenchmarkId::new("check_renamed", nodes),
            &renamed,
            |b, source| {
                b.iter(|| {
                    compiler.check_flow_designer(
                        Some(wxcflow::InputKind::FlowDesignerExport),
                        black_box(source.clone()),
                    )
                })
            },
        );
        // What check (with the schema), diff, graph, inspect, run and textconv read of an
        // export: the logic and what comparing reads beside it; and all that is beside the
        // logic, as decompile reads it to write the flow back.
        for (name, keeping) in [("read_logic", Keeping::Logic), ("read_whole", Keeping::All)] {
            group.bench_with_input(BenchmarkId::new(name, nodes), &source, |b, source| {
                b.iter(|| compiler.read_flow_designer(black_box(source.clone()), keeping))
            });
        }
        let (flow, _) = fd::model::FdFlow::read_quoted(&source);
        let flow = flow.unwrap();
        group.bench_with_input(BenchmarkId::new("decompile", nodes), &flow, |b, flow| {
            b.iter(|| fd::model::FdFlow::decompile(black_box(flow), "chain.fd.json"))
        });
        // A Flow Designer spec built back (what `decompile` checks before it writes one): its
        // links were checked against a list of names, quadratic in the activities.
        let spec = SourceFile::new("chain.toml", flow.decompile("chain.fd.json"));
        group.bench_with_input(BenchmarkId::new("spec_build", nodes), &spec, |b, spec| {
            b.iter(|| {
                compiler.build_flow_designer(
                    wxcflow::InputKind::FlowDesignerSpec,
                    black_box(spec),
                    None,
                    &wxcflow::render::NoSecrets,
                    &|_| Default::default(),
                )
            })
        });
        // The same spec with every activity's id broken: a schema error an activity, each
        // spelled with the activity's name (each name was searched for in every error).
        let refused = SourceFile::new("chain.toml", spec.text.replace("\nid = \"", "\nid = \"x"));
        group.bench_with_input(
            BenchmarkId::new("spec_build_refused", nodes),
            &refused,
            |b, spec| {
                b.iter(|| {
                    let built = compiler.build_flow_designer(
                        wxcflow::InputKind::FlowDesignerSpec,
                        black_box(spec),
                        None,
                        &wxcflow::render::NoSecrets,
                        &|_| Default::default(),
                    );
                    assert!(built.build.diagnostics.len() >= nodes, "refused");
                    built
                })
            },
        );
        group.bench_with_input(BenchmarkId::new("diff", nodes), &flow, |b, flow| {
            b.iter(|| fd::model::FdFlow::diff(black_box(flow), flow))
        });
        group.bench_with_input(BenchmarkId::new("inspect", nodes), &flow, |b, flow| {
            b.iter(|| fd::model::FdFlow::summary(black_box(flow), "export"))
        });
    }
    group.finish();
}

criterion_group!(benches, build, read_and_check);
criterion_main!(benches);
