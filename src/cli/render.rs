//! render: one template, a folder of tenants, in parallel.

use super::*;

/// A tenant file read and parsed, or why not (with its text, when it could be read).
type LoadedTenant = Result<wxcflow::template::Tenant, TenantFailure>;

enum TenantFailure {
    Unreadable(String),
    Invalid(SourceFile, Diagnostic),
}

/// A tenant name becomes a file name: letters, digits, `_`, `-` and `.`, not starting with `.`.
fn safe_tenant_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

pub(super) fn render(
    template: &Path,
    tenants_dir: &Path,
    out_dir: &Path,
    jobs: Option<usize>,
) -> ExitCode {
    use rayon::prelude::*;
    let source = match read_source(template) {
        Ok(s) => s,
        Err(e) => return usage_error(&e),
    };
    let spec = match wxcflow::spec::parse_spec(&source) {
        Ok(s) => s,
        Err(d) => {
            print_diagnostics(&[d], &[&source], Format::Human, false);
            return ExitCode::from(EXIT_PROBLEMS);
        }
    };
    let renderer = match wxcflow::template::Renderer::new(&spec, Some(&source)) {
        Ok(r) => r,
        Err(diagnostics) => {
            print_diagnostics(&diagnostics, &[&source], Format::Human, false);
            return ExitCode::from(EXIT_PROBLEMS);
        }
    };
    let mut paths: Vec<PathBuf> = match std::fs::read_dir(tenants_dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
            .collect(),
        Err(e) => return usage_error(&format!("cannot read {}: {e}", tenants_dir.display())),
    };
    paths.sort();
    // Names become file names: refuse any that could escape OUTDIR or collide (also on
    // case-insensitive file systems).
    let mut seen = std::collections::BTreeMap::new();
    for path in &paths {
        let name = path
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
        if !safe_tenant_name(&name) {
            return usage_error(&format!("tenant name `{name}` ({}) is not a safe file name: use letters, digits, _, - and .", path.display()));
        }
        if let Some(other) = seen.insert(name.to_lowercase(), name.clone()) {
            return usage_error(&format!("tenants `{other}` and `{name}` would write the same file on a case-insensitive disk"));
        }
    }
    if let Err(e) = std::fs::create_dir_all(out_dir) {
        return usage_error(&format!("cannot create {}: {e}", out_dir.display()));
    }
    let pool = match rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.unwrap_or(0))
        .build()
    {
        Ok(p) => p,
        Err(e) => return usage_error(&format!("cannot start {} jobs: {e}", jobs.unwrap_or(0))),
    };
    let store = FsSecrets::beside(paths.first().map(PathBuf::as_path));
    let progress = progress_bar(paths.len());
    // Read and parse every tenant (a bad tenant file is that tenant's failure, not the batch's).
    let loaded: Vec<(String, LoadedTenant)> = pool.install(|| {
        paths
            .par_iter()
            .map(|path| {
                let name = path
                    .file_stem()
                    .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
                let tenant = match read_source(path) {
                    Err(e) => Err(TenantFailure::Unreadable(e)),
                    Ok(src) => wxcflow::template::Tenant::parse(name.clone(), src.clone())
                        .map_err(|d| TenantFailure::Invalid(src, d)),
                };
                (name, tenant)
            })
            .collect()
    });
    let (ok, bad): (Vec<_>, Vec<_>) = loaded.into_iter().partition(|(_, t)| t.is_ok());
    let tenants: Vec<wxcflow::template::Tenant> =
        ok.into_iter().filter_map(|(_, t)| t.ok()).collect();
    // Each document is written as soon as it is built and then dropped; only diagnostics stay.
    let literal = wxcflow::template::literal_secrets(&spec, &source);
    type Outcome = (
        Vec<Diagnostic>,
        Vec<wxcflow::diagnostic::Span>,
        Result<(), String>,
    );
    let outcomes: Vec<Outcome> = pool.install(|| {
        compiler().build_many(&renderer, &tenants, &store, &|tenant, build| {
            let private = build.holds_secret();
            let written = match &build.output {
                Some((_, json)) => {
                    let target = out_dir.join(format!("{}.flow.json", tenant.name));
                    write_atomic(&target, json.as_bytes(), private, false)
                        .map_err(|e| format!("cannot write {}: {e}", target.display()))
                }
                None => Err(String::new()),
            };
            progress.inc(1);
            (build.diagnostics, build.secret_spans, written)
        })
    });
    progress.finish_and_clear();
    let mut failures = Vec::new();
    for (name, failure) in bad {
        match failure {
            Err(TenantFailure::Unreadable(why)) => eprintln!("error: {why}"),
            Err(TenantFailure::Invalid(src, d)) => {
                print_diagnostics(&[d], &[&src], Format::Human, false)
            }
            Ok(_) => {}
        }
        failures.push(name);
    }
    for (tenant, (diagnostics, secret_spans, written)) in tenants.iter().zip(&outcomes) {
        if !diagnostics.is_empty() {
            eprintln!("tenant {} ({}):", tenant.name, tenant.source.name);
        }
        let spans: Vec<_> = literal.iter().chain(secret_spans).cloned().collect();
        let hidden = SourceFile::hiding(&[&source, &tenant.source], &spans);
        print_diagnostics(
            diagnostics,
            &hidden.iter().collect::<Vec<_>>(),
            Format::Human,
            false,
        );
        if let Err(why) = written {
            if !why.is_empty() {
                eprintln!("error: {why}");
            }
            failures.push(tenant.name.clone());
        }
    }
    failures.sort();
    let total = paths.len();
    eprintln!(
        "rendered {total} tenant{}: {} written to {}, {} failed",
        if total == 1 { "" } else { "s" },
        total - failures.len(),
        out_dir.display(),
        failures.len()
    );
    if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        eprintln!("failed: {}", failures.join(", "));
        ExitCode::from(EXIT_PROBLEMS)
    }
}

/// A progress bar on a terminal for batches long enough to want one; nothing on a pipe.
fn progress_bar(len: usize) -> indicatif::ProgressBar {
    use std::io::IsTerminal as _;
    if len < 200 || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len as u64);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} tenants {elapsed}")
    {
        bar.set_style(style);
    }
    bar
}
