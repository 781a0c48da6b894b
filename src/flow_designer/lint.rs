//! What a reviewer of a Flow Designer flow should know: credentials typed in clear, HTTP
//! activities whose failure nothing tests, activities nothing reaches, links from ports the
//! activity does not have. Messages name places, never credential values.

use super::locate::{gives_a_key_twice, is_json, Places, SpanCell, Step};
use super::model::*;
use super::quote::Quoted;
use super::secrets::{
    credentials, is_credential_header, is_credential_name, secret_variables, sensitive_name,
};
use crate::diagnostic::{Code, Diagnostic, SourceFile, Span};
use crate::flow::walk::breadth_first;
use serde_json::Value;
use std::collections::BTreeSet;
use std::ops::Range;

/// Every diagnostic for a flow; `source` is the file it was read from (an export or a spec), for
/// locations.
pub(crate) fn lint(flow: &FdFlow, source: Option<&SourceFile>) -> Vec<Diagnostic> {
    let cell = SpanCell::default();
    let places = Places::new(source.map_or("", |s| s.text.as_str()), &cell);
    let mut found = lint_in(flow, source, places);
    if let Some(source) = source.filter(|s| is_json(&s.text) && gives_a_key_twice(&s.text)) {
        let given: Vec<(Vec<Step>, Range<usize>)> = (Places::new(&source.text, &cell))
            .given_twice()
            .into_iter()
            .map(|(path, at)| (path, at.range))
            .collect();
        found.extend(keys_given_twice(source, &given, FLOW_DESIGNER_READS));
    }
    found
}

/// [`lint`] of a flow read with [`super::read_quoted`]: located in the quoted file, with the
/// spans its reading kept (scanned once, and only if a diagnostic is located).
pub(crate) fn lint_quoted(flow: &FdFlow, quoted: &Quoted) -> Vec<Diagnostic> {
    let mut found = lint_in(flow, Some(&quoted.source), quoted.places());
    found.extend(keys_given_twice(
        &quoted.source,
        quoted.given_twice(),
        FLOW_DESIGNER_READS,
    ));
    found
}

/// What [`keys_given_twice`] says of an export's reading.
pub(crate) const FLOW_DESIGNER_READS: &str =
    "wxcflow reads the last, and which one Flow Designer keeps is not documented";

/// An error for each member of a JSON object that the object gives more than once (`given`:
/// each time, its path and value's bytes in `source`): wxcflow reads the last (as serde_json
/// does), Flow Designer's reading is not documented, and a review of one copy says nothing of
/// the others. Located at the last, the one read.
pub(crate) fn keys_given_twice(
    source: &SourceFile,
    given: &[(Vec<Step>, Range<usize>)],
    told: &str,
) -> Vec<Diagnostic> {
    // Each path once, in the file's order: how many times it is given, and the last.
    let mut paths: Vec<(&[Step], usize, &Range<usize>)> = Vec::new();
    let mut seen: std::collections::HashMap<&[Step], usize> = Default::default();
    for (path, range) in given {
        match seen.get(path.as_slice()) {
            Some(&i) => (paths[i].1, paths[i].2) = (paths[i].1 + 1, range),
            None => {
                seen.insert(path, paths.len());
                paths.push((path, 1, range));
            }
        }
    }
    let help = "keep one of them and delete the others, so that what is reviewed is what is read";
    (paths.into_iter())
        .map(|(path, times, last)| {
            let pointer: String = (path.iter())
                .map(|step| {
                    let step = step.to_string().replace('~', "~0").replace('/', "~1");
                    format!("/{}", crate::diagnostic::printable_name(&step))
                })
                .collect();
            let message = format!("`{pointer}` is given {times} times; {told}");
            Diagnostic::new(Code::KeyGivenTwice, message)
                .with_span(Some(source.span(last.clone())))
                .with_help(help)
        })
        .collect()
}

fn lint_in(flow: &FdFlow, source: Option<&SourceFile>, places: Places) -> Vec<Diagnostic> {
    lint_beside_from(flow, source, places, LINT_BESIDE)
}

/// [`lint_in`], names looked up on a second thread from `beside_from` activities on.
fn lint_beside_from(
    flow: &FdFlow,
    source: Option<&SourceFile>,
    places: Places,
    beside_from: usize,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let place = Place { source, places };
    for v in &flow.variables {
        if is_credential_name(&v.name) && !v.is_secure && v.has_value() {
            let at = flow
                .variables
                .iter()
                .position(|x| x.name == v.name)
                .unwrap_or(0);
            out.push(
                Diagnostic::new(
                    Code::CleartextCredential,
                    format!("variable `{}` holds a credential typed in clear and is not marked secure", v.name),
                )
                .with_span(place.variable(at, &v.name, "value"))
                .with_help("mark it secure (isSecure) and leave its value empty: give the value where the flow is configured, not in the flow"),
            );
        }
    }
    for (at, v) in flow.variables.iter().enumerate() {
        // One with a value typed in clear is told above, with the same advice.
        let told = is_credential_name(&v.name) && v.has_value();
        if v.is_secure || told {
            continue;
        }
        if let Some(what) = sensitive_name(&v.name) {
            out.push(
                Diagnostic::new(
                    Code::SecretNotSecure,
                    format!("variable `{}` is named as holding {what} but is not marked Secure", v.name),
                )
                .with_span(place.variable(at, &v.name, "isSecure"))
                .with_help("mark it Secure in Flow Designer (`isSecure` in the export), so that its value is masked wherever the flow shows it; Cisco's templates tell users to do so for such inputs"),
            );
        }
    }
    let known = known_names(flow);
    let all = processes(flow);
    let linted = || {
        (all.iter())
            .map(|(scope, process)| {
                let mut found = Vec::new();
                lint_process(flow, scope, process, &place, &mut found);
                found
            })
            .collect::<Vec<_>>()
    };
    let unknown = || {
        // Indexed on the first unknown name, once for all of them; a name read in several
        // places is looked for once.
        let suggestions = std::cell::OnceCell::new();
        let said: std::cell::RefCell<std::collections::HashMap<String, Option<String>>> =
            Default::default();
        let suggest = |name: &str| {
            if let Some(help) = said.borrow().get(name) {
                return help.clone();
            }
            let help = suggestions
                .get_or_init(|| crate::diagnostic::Suggestions::new(known.iter().copied()))
                .suggest(name);
            said.borrow_mut().insert(name.to_string(), help.clone());
            help
        };
        (all.iter())
            .map(|(scope, process)| {
                let mut found = Vec::new();
                unknown_references(&known, &suggest, scope, process, &place, &mut found);
                found
            })
            .collect::<Vec<_>>()
    };
    // A large flow's references are looked up on a second thread meanwhile.
    let activities: usize = all.iter().map(|(_, p)| p.activities.len()).sum();
    let (linted, unknown) = match activities >= beside_from {
        true => super::beside(linted, unknown),
        false => (linted(), unknown()),
    };
    // Each process's findings, then its unknown names, as one thread found them.
    for (linted, unknown) in linted.into_iter().zip(unknown) {
        out.extend(linted);
        out.extend(unknown);
    }
    // In file order; the sort is stable, so unlocated ones keep the order found.
    out.sort_by_key(|d| {
        d.span
            .as_ref()
            .map_or((usize::MAX, 0), |s| (s.line, s.column))
    });
    out
}

/// The activities from which a flow's names are looked up on a second thread beside the rest
/// of its lint: below, a thread costs more than it saves.
const LINT_BESIDE: usize = 2_000;

/// Every name an expression of `flow` may read: its variables and the activities of all its
/// processes (an event flow reads the start activity's outputs, `NewPhoneContact.ANI`).
/// Evidence: in the real exports (Cisco's 2023 samples and 2024-2026 templates) every name
/// read is one of these; Flow Designer's global variables (`Global_Language`) are declared in
/// the export with `source` GLOBAL. No undeclared system name was seen, so none is allowed:
/// an assumption until an export shows one.
fn known_names(flow: &FdFlow) -> BTreeSet<&str> {
    let mut known: BTreeSet<&str> = flow.variables.iter().map(|v| v.name.as_str()).collect();
    for (_, process) in processes(flow) {
        known.extend(process.activities.iter().map(|a| a.name.as_str()));
    }
    known
}

/// Names read in an activity's settings that the flow does not have, each where it is read,
/// with the closest known name. A text met twice in one activity is told once (a 2026
/// set-variable repeats its first assignment in single keys).
fn unknown_references(
    known: &BTreeSet<&str>,
    suggest: &dyn Fn(&str) -> Option<String>,
    scope: &Scope,
    process: &Process,
    place: &Place,
    out: &mut Vec<Diagnostic>,
) {
    for a in &process.activities {
        let mut told: BTreeSet<(&str, &str)> = BTreeSet::new();
        let mut strings = Vec::new();
        for (key, value) in &a.settings {
            if is_noise_key(key, &a.settings) {
                continue;
            }
            collect_strings(value, vec![Step::Key(key.clone())], &mut strings);
        }
        for (path, text) in strings {
            if let Some((range, why)) = super::pebble::syntax_error(text) {
                out.push(
                    Diagnostic::new(
                        Code::PebbleSyntax,
                        format!("`{}` holds a template Pebble cannot parse: {why}", a.name),
                    )
                    .with_span(place.within(scope, a, &path, range))
                    .with_help(Code::PebbleSyntax.help()),
                );
            }
            let (reads, locals) = super::pebble::reads(text);
            // A Parse activity names the value it parses without braces.
            let reads = if path == [Step::Key("inputVariable".into())] && reads.is_empty() {
                super::pebble::expression(text)
            } else {
                reads
            };
            for read in reads {
                if known.contains(read.name)
                    || locals.contains(&read.name)
                    || !told.insert((read.name, text))
                {
                    continue;
                }
                let help = suggest(read.name)
                    .unwrap_or_else(|| "no variable or activity of this flow has a name close to it; declare the variable if it is meant to be new".into());
                out.push(
                    Diagnostic::new(
                        Code::UnknownReference,
                        format!(
                            "`{}` reads `{}`, which is neither a variable nor an activity of this flow",
                            a.name, read.name
                        ),
                    )
                    .with_span(place.within(scope, a, &path, read.range))
                    .with_help(help),
                );
            }
        }
    }
}

/// Where byte `offset` of a JSON string's value stands in its literal `raw` (quotes and escapes
/// as written: `"a\"b"`), or `None` when `raw` is not such a literal or the offset falls inside
/// an escape.
fn escaped_offset(raw: &str, offset: usize) -> Option<usize> {
    let bytes = raw.as_bytes();
    if bytes.first() != Some(&b'"') {
        return None;
    }
    let mut at = 1;
    let mut decoded = 0;
    while decoded < offset {
        let (raw_len, decoded_len) = match *bytes.get(at)? {
            b'"' => return None,
            b'\\' => match *bytes.get(at + 1)? {
                b'u' => {
                    let unit = u32::from_str_radix(raw.get(at + 2..at + 6)?, 16).ok()?;
                    if (0xD800..0xDC00).contains(&unit) {
                        // A surrogate pair: twelve characters for one four-byte character.
                        (12, 4)
                    } else {
                        (6, char::from_u32(unit).map_or(3, char::len_utf8))
                    }
                }
                _ => (2, 1),
            },
            _ => {
                let c = raw[at..].chars().next()?;
                (c.len_utf8(), c.len_utf8())
            }
        };
        at += raw_len;
        decoded += decoded_len;
    }
    (decoded == offset).then_some(at)
}

/// The strings in a setting's value, with their paths below the setting.
pub(crate) fn collect_strings<'a>(
    value: &'a Value,
    path: Vec<Step>,
    out: &mut Vec<(Vec<Step>, &'a str)>,
) {
    match value {
        Value::String(s) => out.push((path, s)),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let mut p = path.clone();
                p.push(Step::Index(i));
                collect_strings(item, p, out);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                let mut p = path.clone();
                p.push(Step::Key(k.clone()));
                collect_strings(v, p, out);
            }
        }
        _ => {}
    }
}

/// Variable names read in `{{ ... }}` templates of a value (`{{Token}}`, `{{ a.b|upper }}` gives
/// `a`).
pub(crate) fn template_names(value: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = value;
    while let Some(open) = rest.find("{{") {
        let inner = &rest[open + 2..];
        let Some(close) = inner.find("}}") else { break };
        let head: String = inner[..close]
            .trim()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !head.is_empty() {
            names.push(head);
        }
        rest = &inner[close + 2..];
    }
    names
}

/// Whether the text after a name read tests only whether it is set: `is empty`, `is not
/// empty`, or a comparison with the empty string, on the name itself (not a field of it).
fn tests_emptiness(after: &str) -> bool {
    let rest = after.trim_start();
    let ends = |tail: &str| {
        !tail
            .chars()
            .next()
            .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.' || c == '[')
    };
    ["is not empty", "is empty"]
        .iter()
        .any(|t| rest.strip_prefix(t).is_some_and(ends))
        || ["==", "!="].iter().any(|op| {
            rest.strip_prefix(op).is_some_and(|r| {
                let r = r.trim_start();
                ["\"\"", "''"]
                    .iter()
                    .any(|e| r.strip_prefix(e).is_some_and(ends))
            })
        })
}

fn lint_process(
    flow: &FdFlow,
    scope: &Scope,
    process: &Process,
    place: &Place,
    out: &mut Vec<Diagnostic>,
) {
    let secret_variables = secret_variables(flow);
    let index = ProcessIndex::of(process);
    let status_read = status_tested(process);
    for a in &process.activities {
        if let Some(missing) = a.missing() {
            out.push(
                Diagnostic::new(
                    Code::MissingKey,
                    format!(
                        "activity `{}` ({}) is incomplete: {missing}",
                        a.name,
                        a.type_name()
                    ),
                )
                .with_span(place.activity(scope, a))
                .with_help(
                    "fill it in: without it the activity cannot do its work, and `run` stops there",
                ),
            );
        }
        // An assignment carries its value in `expr` and `literal` alike, and a 2026 export
        // repeats its first one in single keys: a credential so written again is told once, at
        // the first place (every place is hidden all the same).
        let mut told: Vec<Diagnostic> = Vec::new();
        for found in credentials(a, &secret_variables) {
            let d = Diagnostic::new(Code::CleartextCredential, format!("{} of `{}` holds a credential typed in clear", found.place, a.name))
                .with_span(place.setting(scope, a, &found.setting))
                .with_help("keep it in a variable marked secure (isSecure), given where the flow is configured, and write {{thatVariable}} here");
            if !told.iter().any(|t| t.message == d.message) {
                told.push(d);
            }
        }
        out.extend(told);
        // The path a condition or case takes is shown (a run's trace and end, the editor's
        // debug view): one that reads a secret tells something of it, as Webex Connect's
        // `wxc::secret-in-condition` says. As there, testing only whether it is set is allowed
        // (`is empty`, `is not empty`, `== ""`, `!= ""` right after the name).
        if matches!(a.kind(), Kind::Condition | Kind::Case) {
            let text = a.text("expression").unwrap_or("");
            let (reads, locals) = super::pebble::reads(text);
            let mut told = BTreeSet::new();
            for read in reads {
                if !secret_variables.contains(read.name)
                    || locals.contains(&read.name)
                    || tests_emptiness(&text[read.range.end..])
                    || !told.insert(read.name)
                {
                    continue;
                }
                out.push(
                    Diagnostic::new(
                        Code::SecureInCondition,
                        format!(
                            "`{}` branches on secure variable `{}`: the path taken tells something of its value",
                            a.name, read.name
                        ),
                    )
                    .with_span(place.within(
                        scope,
                        a,
                        &[Step::Key("expression".into())],
                        read.range,
                    ))
                    .with_help("check the secret where it is used (the service that receives it) rather than branching on it in the flow"),
                );
            }
        }
        if a.kind() == Kind::Handoff {
            let id = a.text("subflowId").unwrap_or("");
            if !super::push::is_flow_id(id) {
                let child = a.text("subflowName").unwrap_or("");
                out.push(
                    Diagnostic::new(
                        Code::UnresolvedSubflow,
                        format!(
                            "Subflow handoff `{}` calls `{child}` without its subflow id",
                            a.name
                        ),
                    )
                    .with_span(place.activity(scope, a))
                    .with_help("build with `--subflow NAME=FLOWID`, or let `wxcflow push` look it up by name in the tenant"),
                );
            }
        }
        if let Some(http) = a.http() {
            for (name, value) in http.headers() {
                if !is_credential_header(name) {
                    continue;
                }
                for var in template_names(value) {
                    if flow.variables.iter().any(|v| v.name == var && !v.is_secure) {
                        out.push(
                            Diagnostic::new(Code::CleartextCredential, format!("header `{name}` of `{}` sends variable `{var}`, which is not marked secure", a.name))
                                .with_span(place.setting(scope, a, &["httpRequestHeaders".to_string(), name.to_string()]))
                                .with_help(format!("mark `{var}` secure (isSecure) so that its value stays out of the editor and logs")),
                        );
                    }
                }
            }
            let tested = index.links_from(&a.name).iter().any(|l| l.port == "error")
                || status_read.contains(a.name.as_str());
            if !tested {
                out.push(
                    Diagnostic::new(Code::HttpWithoutErrorPath, format!("HTTP activity `{}` has no error path: nothing tests `{}.httpStatusCode`", a.name, a.name))
                        .with_span(place.activity(scope, a))
                        .with_help(format!("a failed request goes on as if it had answered; add a condition after it, e.g. {{{{ {}.httpStatusCode == 200 }}}}, and route its false path", a.name)),
                );
            }
        }
    }
    let entries = process
        .activities
        .iter()
        .filter(|a| a.kind().is_entry())
        .map(|a| a.name.as_str());
    let reached: BTreeSet<&str> = breadth_first(entries, |name| {
        index.links_from(name).iter().map(|l| l.target.as_str())
    })
    .map(|step| step.node)
    .collect();
    for a in &process.activities {
        if !reached.contains(a.name.as_str()) {
            out.push(
                Diagnostic::new(
                    Code::UnreachableActivity,
                    format!(
                        "no path from a start or event activity reaches `{}`",
                        a.name
                    ),
                )
                .with_span(place.activity(scope, a))
                .with_help("link it from the activity that should run before it, or delete it"),
            );
        }
    }
    for link in &process.links {
        let Some(a) = index.activity(&link.source) else {
            continue;
        };
        let widget = a.ports.as_ref().filter(|p| !p.contains(&link.port));
        let kind = known_ports(a.kind(), &a.settings).filter(|p| !p.contains(&link.port));
        if let Some(ports) = kind.or(widget.cloned()) {
            out.push(
                Diagnostic::new(
                    Code::UnknownPort,
                    format!(
                        "a link leaves `{}` ({}) from port `{}`, which it does not have",
                        a.name,
                        a.type_name(),
                        link.port
                    ),
                )
                .with_span(place.link(scope, link).or_else(|| place.activity(scope, a)))
                .with_help(if ports.is_empty() {
                    "it has no output ports".to_string()
                } else {
                    format!("its ports: {}", ports.join(", "))
                }),
            );
        }
    }
}

/// The HTTP activities of a process whose status code a condition, case or assignment tests:
/// each whose `NAME.httpStatusCode` some condition's or case's expression, or some Set
/// Variable's value, holds. Found in one pass over
/// the expressions, each place that reads `.httpStatusCode` matched against the names that
/// could end there (by their lengths, few in any flow), so that it stays linear in the flow.
fn status_tested(process: &Process) -> BTreeSet<&str> {
    const STATUS: &str = ".httpStatusCode";
    let http: std::collections::HashSet<&str> = process
        .activities
        .iter()
        .filter(|a| a.http().is_some())
        .map(|a| a.name.as_str())
        .collect();
    let lengths: BTreeSet<usize> = http.iter().map(|n| n.len()).collect();
    let mut tested = BTreeSet::new();
    // A Set Variable that chooses a value by the status (`{{ (x.httpStatusCode == 200) ? ... }}`,
    // as `build` joins a condition into an assignment) tests it as a condition does.
    let expressions = process.activities.iter().flat_map(|b| {
        let tests = match b.kind() {
            Kind::Condition | Kind::Case => b.text("expression").into_iter().collect(),
            Kind::SetVariable => {
                let listed = b
                    .settings
                    .get("setVariablesArray")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|e| e.get("expr").and_then(Value::as_str));
                b.text("expr").into_iter().chain(listed).collect()
            }
            _ => Vec::new(),
        };
        tests
    });
    for expression in expressions {
        for (at, _) in expression.match_indices(STATUS) {
            for &len in &lengths {
                let name = at
                    .checked_sub(len)
                    .and_then(|start| expression.get(start..at));
                if let Some(name) = name.and_then(|n| http.get(n)) {
                    tested.insert(*name);
                }
            }
        }
    }
    tested
}

/// Where an activity of the main process stands in the file the flow was read from (its
/// entry in an export, its table in a spec); with `port`, the link leaving it from that port
/// when there is one.
pub(crate) fn locate_activity(quoted: &Quoted, a: &Activity, link: Option<&Link>) -> Option<Span> {
    let place = Place {
        source: Some(&quoted.source),
        places: quoted.places(),
    };
    link.and_then(|l| place.link(&Scope::Main, l))
        .or_else(|| place.activity(&Scope::Main, a))
}

/// Locates places in the file a flow was read from.
struct Place<'a> {
    source: Option<&'a SourceFile>,
    /// Where an export's values sit, found once for every diagnostic.
    places: Places<'a>,
}

impl Place<'_> {
    fn export_path(scope: &Scope) -> Vec<Step> {
        match scope {
            Scope::Main => vec!["process".into()],
            Scope::Event(key) => vec![
                "eventFlows".into(),
                "eventsMap".into(),
                key.into(),
                "process".into(),
            ],
        }
    }

    /// In an export: the path of an activity's properties.
    fn properties_path(scope: &Scope, a: &Activity) -> Option<Vec<Step>> {
        let mut path = Self::export_path(scope);
        let key = Step::Key(a.origin.clone()?);
        path.extend(["activities".into(), key, "properties".into()]);
        Some(path)
    }

    fn is_json(&self) -> bool {
        self.source
            .is_some_and(|s| s.text.trim_start().starts_with('{'))
    }

    fn json(&self, path: &[Step]) -> Option<Span> {
        let source = self.source?;
        self.places.locate(path, true).map(|r| source.span(r))
    }

    /// In a spec: the line of the key at `path` (a table's `[activities.Name]` header, a
    /// setting's `key = value`).
    fn spec(&self, path: &[&str]) -> Option<Span> {
        let path: Vec<Step> = path.iter().map(|&k| k.into()).collect();
        let line = self.places.key_line(&path)?;
        Some(self.source?.span(line))
    }

    /// In a spec: the path of an activity.
    fn spec_path<'s>(scope: &'s Scope, name: &'s str) -> Vec<&'s str> {
        match scope {
            Scope::Main => vec!["activities", name],
            Scope::Event(key) => vec!["event_flows", key, "activities", name],
        }
    }

    fn activity(&self, scope: &Scope, a: &Activity) -> Option<Span> {
        if self.is_json() {
            let mut path = Self::export_path(scope);
            path.extend(["activities".into(), Step::Key(a.origin.clone()?)]);
            self.json(&path)
        } else {
            self.spec(&Self::spec_path(scope, &a.name))
        }
    }

    /// A setting of an activity (`["httpRequestHeaders", "x-key"]`), else the activity.
    fn setting(&self, scope: &Scope, a: &Activity, setting: &[String]) -> Option<Span> {
        let found = if self.is_json() {
            let mut path = Self::properties_path(scope, a)?;
            path.extend(setting.iter().map(|k| Step::Key(k.clone())));
            self.json(&path)
        } else {
            self.spec_setting(scope, a, setting.first()?)
        };
        found.or_else(|| self.activity(scope, a))
    }

    /// In a spec: the line of a setting under `[...activities.NAME.settings]`.
    fn spec_setting(&self, scope: &Scope, a: &Activity, setting: &str) -> Option<Span> {
        let mut path = Self::spec_path(scope, &a.name);
        path.extend(["settings", setting]);
        self.spec(&path)
    }

    /// The bytes `inner` of the string value at `path` below an activity's properties,
    /// else the whole setting, else the activity.
    fn within(
        &self,
        scope: &Scope,
        a: &Activity,
        path: &[Step],
        inner: std::ops::Range<usize>,
    ) -> Option<Span> {
        let found = if self.is_json() {
            let source = self.source?;
            let mut full = Self::properties_path(scope, a)?;
            full.extend(path.iter().cloned());
            (self.places.locate(&full, false))
                .filter(|r| source.text[r.clone()].starts_with('"'))
                .map(|outer| {
                    let raw = &source.text[outer.clone()];
                    match (
                        escaped_offset(raw, inner.start),
                        escaped_offset(raw, inner.end),
                    ) {
                        (Some(start), Some(end)) => {
                            source.span(outer.start + start..outer.start + end)
                        }
                        _ => source.span(outer),
                    }
                })
        } else {
            match path {
                [Step::Key(key)] => (self.spec_string_within(scope, a, key, inner))
                    .or_else(|| self.spec_setting(scope, a, key)),
                [Step::Key(key), ..] => self.spec_setting(scope, a, key),
                _ => None,
            }
        };
        found.or_else(|| self.activity(scope, a))
    }

    /// In a spec: the bytes `inner` of a setting written as a one-line TOML string without
    /// escapes (`"..."` or `'...'`), where they stand in the file; `None` for any other way of
    /// writing it (the setting's line is told then).
    fn spec_string_within(
        &self,
        scope: &Scope,
        a: &Activity,
        setting: &str,
        inner: std::ops::Range<usize>,
    ) -> Option<Span> {
        let source = self.source?;
        let mut path: Vec<Step> = Self::spec_path(scope, &a.name)
            .into_iter()
            .map(Step::from)
            .collect();
        path.extend(["settings".into(), setting.into()]);
        let line = self.places.key_line(&path)?;
        let key = self.places.locate(&path, true)?;
        let rest = source.text.get(key.end..line.end)?;
        let value = rest.trim_start().strip_prefix('=')?.trim_start();
        let at = line.end - value.len();
        let quote = match value.as_bytes() {
            [b'"', b'"', b'"', ..] | [b'\'', b'\'', b'\'', ..] => return None,
            [q @ (b'"' | b'\''), ..] => char::from(*q),
            _ => return None,
        };
        let written = value[1..].split(quote).next()?;
        // Written as the flow holds it (no escape, nothing made of it on reading), byte for
        // byte: only then are its offsets the file's.
        let held = a.settings.get(setting).and_then(Value::as_str)?;
        (written == held && !(quote == '"' && written.contains('\\')) && inner.end <= held.len())
            .then(|| source.span(at + 1 + inner.start..at + 1 + inner.end))
    }

    fn link(&self, scope: &Scope, link: &Link) -> Option<Span> {
        if !self.is_json() {
            return None;
        }
        let mut path = Self::export_path(scope);
        path.extend([
            "links".into(),
            Step::Index(link.origin.as_deref()?.parse().ok()?),
            "conditionExpr".into(),
        ]);
        self.json(&path)
    }

    /// Where a variable's `field` (`value`, `isSecure`) is (in a spec: its table).
    fn variable(&self, index: usize, name: &str, field: &str) -> Option<Span> {
        if self.is_json() {
            self.json(&["variables".into(), Step::Index(index), field.into()])
        } else {
            self.spec(&["variables", name])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lint_with_names_looked_up_beside_finds_what_one_thread_finds() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/flow-designer");
        let mut found = 0;
        for sub in ["lint", "exports", "run"] {
            let entries = std::fs::read_dir(format!("{dir}/{sub}")).unwrap();
            for path in entries.map(|e| e.unwrap().path()) {
                if path.extension().is_none_or(|x| x != "json") {
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                let source = SourceFile::new(path.display().to_string(), text);
                let Ok(flow) = super::super::read::read_export(&source) else {
                    continue;
                };
                let spans = crate::flow_designer::locate::SpanCell::default();
                let places = || Places::new(&source.text, &spans);
                let alone = lint_beside_from(&flow, Some(&source), places(), usize::MAX);
                let beside = lint_beside_from(&flow, Some(&source), places(), 0);
                assert_eq!(alone, beside, "{}", path.display());
                found += alone.len();
            }
        }
        assert!(found >= 10, "{found} findings");
    }

    #[test]
    fn credential_names_are_told_by_their_last_word() {
        for yes in [
            "botToken",
            "JDSToken",
            "x-token-passphrase",
            "Authorization",
            "db_password",
            "x-api-key",
            "clientSecret",
        ] {
            assert!(is_credential_name(yes), "{yes}");
        }
        for no in [
            "TokenSource",
            "TokenStatus",
            "tokenUrl",
            "hostKey",
            "x-email-address",
            "Content-Type",
        ] {
            assert!(!is_credential_name(no), "{no}");
        }
        assert!(
            is_credential_header("key")
                && is_credential_header("X-Key")
                && !is_credential_header("keyboard")
        );
    }

    #[test]
    fn offsets_in_a_value_are_found_in_its_escaped_literal() {
        let raw = r#""{\"a\": \"{{ X }}\", \u00e9\ud83d\ude00 {{Y}}""#;
        let value = "{\"a\": \"{{ X }}\", \u{e9}\u{1f600} {{Y}}";
        let x = value.find('X').unwrap();
        assert_eq!(&raw[escaped_offset(raw, x).unwrap()..][..1], "X");
        let y = value.find('Y').unwrap();
        assert_eq!(&raw[escaped_offset(raw, y).unwrap()..][..1], "Y");
        assert_eq!(escaped_offset(raw, 1), Some(2));
        // Inside the two bytes of `é`, written `\u00e9`.
        assert_eq!(escaped_offset(raw, value.find('\u{e9}').unwrap() + 1), None);
        assert_eq!(escaped_offset("{}", 0), None);
    }

    #[test]
    fn sensitive_names_are_told_by_their_words() {
        for (yes, what) in [
            ("cardNumber", "a card number"),
            ("subFlowCardNumber_makePayment", "a card number"),
            ("subFlowCVV_makePayment", "a card security code"),
            ("cvc", "a card security code"),
            ("customerPin", "a PIN"),
            ("PIN", "a PIN"),
            ("db_password", "a password"),
            ("x-token-passphrase", "a passphrase"),
            ("Token", "a token"),
            ("clientSecret", "a secret"),
            ("apiKey", "an API key"),
        ] {
            assert_eq!(sensitive_name(yes), Some(what), "{yes}");
        }
        for no in [
            "shippingAddress",
            "spinCount",
            "pinned",
            "tokenUrl",
            "TokenSource",
            "pinLength",
            "MainFlowAccountNumber",
            "hostKey",
            "expiry",
        ] {
            assert_eq!(sensitive_name(no), None, "{no}");
        }
    }

    #[test]
    fn template_names_are_the_heads_of_templates() {
        assert_eq!(
            template_names("Bearer {{ Token | trim }} {{a.b}}"),
            vec!["Token", "a"]
        );
    }
}
