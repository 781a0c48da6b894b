//! `wxcflow render` of tenant files, whole process: 2,000 tenants into an empty folder (the figure
//! compared with the Python script benches/python/render_tenants.py in docs/speed.md), and
//! 10,000: a first render into an empty folder, and a re-render of the same tenants, which finds
//! every document unchanged and writes none. `render_files/2000/whole` renders the same 2,000
//! tenants with a template whose flow name is also a template (`{{ '' }}`, which renders to
//! nothing): then no two tenants share a check, and each is checked, emitted and validated
//! whole, as every tenant was before tenants were checked once per set of switches.
//! Run: `cargo bench --bench render_files` (about three minutes).
// A test stops at the first thing that is not as expected.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkGroup, Criterion};
use std::path::Path;
use std::process::Command;

/// A folder with the GetOAuthToken template and `tenants_count` tenant files, each its own.
fn workspace(tenants_count: usize) -> tempfile::TempDir {
    workspace_with(wxcflow::DEFAULT_SPEC, tenants_count)
}

/// As [`workspace`], with this template.
fn workspace_with(template: &str, tenants_count: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary folder");
    std::fs::write(dir.path().join("t.toml"), template).expect("template written");
    let tenants = dir.path().join("tenants");
    std::fs::create_dir(&tenants).expect("tenants folder");
    for i in 0..tenants_count {
        let text = format!(
            "token_service_url = \"https://us-central1-t{i}.cloudfunctions.net/token-service?name=t{i}\"\n\
             debug_url = \"https://webhook.site/t{i}\"\ndebug_report = {}\n",
            i % 2 == 0
        );
        std::fs::write(tenants.join(format!("t{i:05}.toml")), text).expect("tenant written");
    }
    dir
}

fn render(dir: &Path) {
    let out = Command::new(env!("CARGO_BIN_EXE_wxcflow"))
        .args(["render", "t.toml", "--tenants", "tenants", "-o", "out"])
        .current_dir(dir)
        .output()
        .expect("wxcflow runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A render into an emptied output folder, timed.
fn first_render(group: &mut BenchmarkGroup<'_, WallTime>, dir: &Path) {
    group.bench_function("first", |b| {
        b.iter_batched(
            || {
                let _ = std::fs::remove_dir_all(dir.join("out"));
            },
            |()| render(dir),
            BatchSize::PerIteration,
        )
    });
}

fn render_2000(c: &mut Criterion) {
    let dir = workspace(2000);
    let mut group = c.benchmark_group("render_files/2000");
    group.sample_size(10);
    first_render(&mut group, dir.path());
    // The same documents, each tenant checked whole (a template string outside the defaults).
    let template = wxcflow::DEFAULT_SPEC.replace(
        "name = \"GetOAuthToken\"",
        "name = \"GetOAuthToken{{ '' }}\"",
    );
    assert_ne!(template, wxcflow::DEFAULT_SPEC);
    let whole = workspace_with(&template, 2000);
    group.bench_function("whole", |b| {
        b.iter_batched(
            || {
                let _ = std::fs::remove_dir_all(whole.path().join("out"));
            },
            |()| render(whole.path()),
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

fn render_10000(c: &mut Criterion) {
    let dir = workspace(10_000);
    let mut group = c.benchmark_group("render_files/10000");
    group.sample_size(10);
    first_render(&mut group, dir.path());
    render(dir.path());
    group.bench_function("unchanged", |b| b.iter(|| render(dir.path())));
    group.finish();
}

criterion_group!(benches, render_2000, render_10000);
criterion_main!(benches);
