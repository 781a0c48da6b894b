//! check (specs, and specs rendered for each tenant; as text, JSON or SARIF) and `render --check`:
//! the commands pre-commit hooks and CI run.

use super::*;
use wxcflow::diagnostic::sarif::SarifLog;

/// Everything one `check` found, kept for whichever format is printed at the end.
struct Report<'a> {
    session: &'a Session,
    diagnostics: Vec<Diagnostic>,
    /// The same, with columns counted as the lines are shown (secrets as the mask), for JSON.
    shown: Vec<Diagnostic>,
    human: String,
    sarif: SarifLog,
    /// Inputs that could not be read (told on stderr as each was met).
    unreadable: usize,
    /// Where the current spec's diagnostics start in `diagnostics`.
    spec_start: usize,
}

impl Report<'_> {
    /// An input that could not be read: said on stderr at once, and in the SARIF log. One over
    /// the limits is a finding about the input (`wxc::too-large`), reported with the others.
    fn unreadable(&mut self, error: &super::io::ReadError) {
        if let Some((source, d)) = error.not_text.as_deref() {
            // Not read: nothing of it is quoted.
            self.add(
                vec![d.clone()],
                &[&source.values_hidden()],
                &source.name,
                None,
            );
            return;
        }
        if error.too_large {
            let d = Diagnostic::new(Code::TooLarge, error.message.clone());
            self.add(vec![d], &[], "", None);
            return;
        }
        reportln!("error: {}", error.message);
        self.sarif.add_failure(&error.message);
        self.unreadable += 1;
    }

    fn start_spec(&mut self) {
        self.spec_start = self.diagnostics.len();
    }

    /// Adds diagnostics found in `input`, skipping any already reported for this spec: a
    /// template's own problems come back unchanged for every tenant and are worth one line, not
    /// forty.
    fn add(
        &mut self,
        found: Vec<Diagnostic>,
        sources: &[&SourceFile],
        input: &str,
        heading: Option<String>,
    ) {
        self.add_hiding(found, sources, &[], input, heading);
    }

    /// As `add`, quoting the sources with the secrets they hold literally hidden.
    fn add_hiding(
        &mut self,
        found: Vec<Diagnostic>,
        sources: &[&SourceFile],
        secret: &[wxcflow::diagnostic::Span],
        input: &str,
        heading: Option<String>,
    ) {
        let new: Vec<Diagnostic> = found
            .into_iter()
            .filter(|d| !self.diagnostics[self.spec_start..].contains(d))
            .collect();
        if new.is_empty() {
            return;
        }
        let hidden = SourceFile::hiding(sources, secret);
        let sources: Vec<&SourceFile> = hidden.iter().map(AsRef::as_ref).collect();
        let sources = sources.as_slice();
        if let Some(heading) = heading {
            self.human.push_str(&diagnostic::printable_name(&heading));
            self.human.push('\n');
        }
        self.human.push_str(&Diagnostic::render_human_styled(
            &new,
            sources,
            self.session.colour_stdout(),
        ));
        self.sarif.add(&new, sources, Some(input));
        self.shown.extend(Diagnostic::shown(&new, sources));
        self.diagnostics.extend(new);
    }
}

pub(super) fn check(
    s: &Session,
    specs: &[PathBuf],
    tenants: Option<&Path>,
    format: ReportFormat,
) -> Outcome {
    let mut report = Report {
        session: s,
        diagnostics: Vec::new(),
        shown: Vec::new(),
        human: String::new(),
        sarif: SarifLog::default(),
        unreadable: 0,
        spec_start: 0,
    };
    // Tenant files are read and parsed once; one that does not parse is reported once.
    let mut loaded = Vec::new();
    if let Some(dir) = tenants {
        // The same tenant files `render` takes, and a note for every other entry.
        let paths = super::render::tenant_files(dir, "checked")?;
        for file in paths {
            let path = file.path.clone();
            let source = match file.read(s) {
                Ok(s) => s,
                Err(TenantUnread::Failed(e)) => {
                    report.unreadable(&e);
                    continue;
                }
                Err(TenantUnread::NotUtf8(not_utf8)) => {
                    let (source, d) = *not_utf8;
                    // Not read: nothing of it is quoted.
                    report.add(vec![d], &[&source.values_hidden()], &source.name, None);
                    continue;
                }
            };
            let name = path
                .file_stem()
                .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
            match wxcflow::render::Tenant::parse(name, source.clone()) {
                Ok(tenant) => loaded.push((path, tenant)),
                // Not read: no value is quoted.
                Err(d) => report.add(vec![d], &[&source.values_hidden()], &source.name, None),
            }
        }
    }
    // Flow Designer exports are counted as exports in the summary; everything else as specs.
    let mut exports = 0;
    // Specs not read at all: not counted as checked.
    let mut unread_specs = 0;
    for path in specs {
        report.start_spec();
        match super::flow_designer::lint_file(s, path) {
            Ok(Some((found, quoted, export))) => {
                exports += usize::from(export);
                let name = path.display().to_string();
                report.add(found, &quoted.iter().collect::<Vec<_>>(), &name, None);
                continue;
            }
            Ok(None) => {}
            Err(e) => {
                unread_specs += usize::from(!e.is_input_problem());
                report.unreadable(&e);
                continue;
            }
        }
        let source = match read_source(s, path) {
            Ok(s) => s,
            Err(e) => {
                unread_specs += usize::from(!e.is_input_problem());
                report.unreadable(&e);
                continue;
            }
        };
        // A flow document is wxcflow's output: checked against its schema, not read as TOML.
        if wxcflow::InputKind::detect_spec_reader(source.text.as_bytes())
            == wxcflow::InputKind::FlowDocument
        {
            let found = s
                .compiler()
                .read_document(&source.name, source.text.as_bytes())
                .err()
                .unwrap_or_default();
            report.add(found, &[], &source.name, None);
            continue;
        }
        if tenants.is_none() {
            let mut result = s.compiler().build(&source);
            // Stamped as `build` writes it: the size warning measures the file it would write.
            result.stamp(stamp_of(&source), None);
            if let Some((document, _)) = &result.output {
                result
                    .diagnostics
                    .extend(shared_destinations(s, path, &document.flow));
            }
            report.add_hiding(
                result.diagnostics,
                &[&source],
                &result.secret_spans,
                &source.name,
                None,
            );
            continue;
        }
        for (tenant_path, tenant) in &loaded {
            let store = FsSecrets::beside(s, Some(tenant_path));
            let mut result = s.compiler().build_tenant(&source, Some(tenant), &store);
            // As `render` writes it.
            result.stamp(stamp_of(&source), Some(stamp_of(&tenant.source)));
            let heading = format!(
                "{} for tenant {} ({}):",
                source.name, tenant.name, tenant.source.name
            );
            report.add_hiding(
                result.diagnostics,
                &[&source, &tenant.source],
                &result.secret_spans,
                &tenant.source.name,
                Some(heading),
            );
        }
    }
    match format {
        ReportFormat::Human => {
            out!(s, "{}", report.human);
            let tenants_part = match tenants {
                Some(_) => format!(
                    " for {} tenant{}",
                    loaded.len(),
                    if loaded.len() == 1 { "" } else { "s" }
                ),
                None => String::new(),
            };
            let unread = match report.unreadable {
                0 => String::new(),
                n => format!(
                    "; {n} input{} could not be read",
                    if n == 1 { "" } else { "s" }
                ),
            };
            reportln!(
                "checked {}{tenants_part}: {}{unread}",
                inputs(specs.len() - exports - unread_specs, exports),
                Diagnostic::summary(&report.diagnostics)
            );
        }
        ReportFormat::Json => out!(s, "{}", Diagnostic::render_json(&report.shown, &[])),
        ReportFormat::Sarif => out!(s, "{}", report.sarif.render()),
    }
    if report.unreadable > 0 {
        Err(Failure::Unusable(None))
    } else if report.diagnostics.iter().any(Diagnostic::is_error) {
        Err(Failure::problems())
    } else {
        Ok(Done::Clean)
    }
}

/// What a check ran over: "1 spec", "2 exports", "1 spec and 2 exports".
fn inputs(specs: usize, exports: usize) -> String {
    let count = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    match (specs, exports) {
        (s, 0) => count(s, "spec"),
        (0, e) => count(e, "export"),
        (s, e) => format!("{} and {}", count(s, "spec"), count(e, "export")),
    }
}

/// What the flow's Call Flow nodes let it and each child it calls choose of where the other
/// sends a secret ([`wxcflow::compiler::Compiler::shared_destinations`]), for each child found as `run`
/// finds it (beside the spec, else the embedded GetOAuthToken); a child not found is not
/// followed.
fn shared_destinations(s: &Session, spec: &Path, flow: &wxcflow::flow::Flow) -> Vec<Diagnostic> {
    use wxcflow::tools::simulate::FlowResolver as _;
    let resolver = super::simulate::FsFlows::new(s, Some(spec), &[]);
    // Each child read once, however many nodes call it.
    let mut children = std::collections::BTreeMap::new();
    let mut asked = std::collections::BTreeSet::new();
    for node in &flow.nodes {
        if let wxcflow::flow::NodeKind::CallFlow(call) = &node.kind {
            if asked.insert(call.flow.as_str()) {
                if let Ok(child) = resolver.resolve(&call.flow) {
                    children.insert(call.flow.clone(), child);
                }
            }
        }
    }
    s.compiler().shared_destinations(flow, &children)
}
