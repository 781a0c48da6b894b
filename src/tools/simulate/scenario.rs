//! Scenario files: a trigger body, tenant values, mocked HTTP, and what must come out.

use super::mock::MockExchange;
use super::{Request, Run};
use crate::secret::Text;
use serde::Deserialize;
use std::collections::BTreeMap;

/// A scenario, as written in TOML.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// The scenario's name in the report; the flow's name when absent.
    pub name: Option<String>,
    /// The spec to run, relative to the scenario file; the embedded GetOAuthToken when absent.
    pub spec: Option<String>,
    /// The webhook body (JSON); the spec's sample when absent.
    pub trigger: Option<String>,
    /// Tenant values for the spec's parameters (test data: literal secrets are fine here).
    #[serde(default)]
    pub values: toml::Table,
    /// The mocked HTTP exchanges, tried in order (`[[http]]`, as in a mock file).
    #[serde(default)]
    pub http: Vec<MockExchange>,
    /// What the run must show.
    #[serde(default)]
    pub expect: Expect,
    /// How the Flow Designer subflow built from the spec may differ (`test --target
    /// flow-designer`): only where the targets differ by design, each difference with its reason.
    #[serde(default)]
    pub flow_designer: FlowDesigner,
}

impl Scenario {
    /// The scenario's `[values]` as a tenant file to read (`source`: the scenario file it was
    /// read from). Where each value is written as a line of a `[values]` table (`key = value`),
    /// the text is the scenario's own with everything else blanked, lines kept, so that what
    /// a tenant's values are told by (an unknown parameter, a wrong type, an unset `env`)
    /// points at the scenario's line and column; otherwise (an inline table, dotted keys) the
    /// values written anew, under `FILE [values]`, where only the key can tell the place.
    pub fn values_source(&self, source: &crate::SourceFile) -> crate::SourceFile {
        if let Some(text) = values_in_place(&source.text, &self.values) {
            return crate::SourceFile::new(source.name.clone(), text);
        }
        let written = toml::to_string(&self.values).unwrap_or_default();
        crate::SourceFile::new(format!("{} [values]", source.name), written)
    }
}

/// `text` with every byte but line breaks blanked, except each `[values]` entry, kept where it
/// stands; `None` unless that text reads back as `values` exactly (an entry that is not a
/// line of its own does not).
fn values_in_place(text: &str, values: &toml::Table) -> Option<String> {
    use toml::de::{DeTable, DeValue};
    let root = DeTable::parse(text).ok()?;
    let entry = root.get_ref().get("values")?;
    let DeValue::Table(table) = entry.get_ref() else {
        return None;
    };
    let mut out: Vec<u8> = (text.bytes())
        .map(|b| if b == b'\n' { b } else { b' ' })
        .collect();
    for (key, value) in table {
        let kept = key.span().start..value.span().end;
        let bytes = text.as_bytes().get(kept.clone())?;
        out.get_mut(kept)?.copy_from_slice(bytes);
    }
    let out = String::from_utf8(out).ok()?;
    let read: toml::Table = toml::from_str(&out).ok()?;
    (&read == values).then_some(out)
}

/// The Flow Designer side of a scenario. Without it, the subflow must end with the same flow
/// outcome (its `FlowOutcome`) and every variable of the spec with the same value as the
/// Webex Connect run, and meet `[expect]` but for `visited`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowDesigner {
    /// Variables (by their Webex Connect name, or `FlowOutcome`) whose final values differ by
    /// design, each with the reason (`TokenMessage = "a timeout takes the error path"`): not
    /// compared between the targets.
    #[serde(default)]
    pub differs: BTreeMap<String, String>,
    /// What the Flow Designer run must show instead of `[expect]` where the targets differ:
    /// the outcome, variables, requests, and `visited` as the run's activity path.
    #[serde(default)]
    pub expect: Expect,
}

/// What the run must show. Each part is checked only when given.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// The flow outcome the run ends with (`Success`).
    pub outcome: Option<String>,
    /// Custom variables and their final values.
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    /// Node keys visited, in order (nodes of called flows as `Flow/key`).
    pub visited: Option<Vec<String>>,
    /// Every request made, in order: as many as listed.
    pub requests: Option<Vec<ExpectedRequest>>,
    /// A part of the error that stops the run.
    pub error: Option<String>,
}

impl Expect {
    /// Whether nothing is expected at all.
    pub fn is_empty(&self) -> bool {
        self.outcome.is_none()
            && self.variables.is_empty()
            && self.visited.is_none()
            && self.requests.is_none()
            && self.error.is_none()
    }
}

/// One request the run must make. Each part is checked only when given.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedRequest {
    /// The method, in any case.
    pub method: Option<String>,
    /// The whole URL, exactly.
    pub url: Option<String>,
    /// Headers the request must carry, with these values (names in any case).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Texts the body must contain; a failure does not echo them.
    #[serde(default)]
    pub body_contains: Vec<String>,
    /// Texts the body must not contain; a failure does not echo them.
    #[serde(default)]
    pub body_excludes: Vec<String>,
}

/// One unmet expectation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// What was checked (`flow outcome`, `variable JDSToken`, `request 1 url`).
    pub what: String,
    /// What the scenario expected; not shown when the actual value is secret.
    pub expected: String,
    /// What the run showed, secret values masked.
    pub actual: String,
}

/// A failure of `what`: what was expected, what was shown.
pub(crate) fn failure(
    what: impl Into<String>,
    expected: impl Into<String>,
    actual: impl Into<String>,
) -> Failure {
    Failure {
        what: what.into(),
        expected: expected.into(),
        actual: actual.into(),
    }
}

/// What a run showed, whichever target it ran on.
pub(crate) struct Shown<'a> {
    /// The flow outcome it ended with.
    pub outcome: Option<&'a str>,
    /// Why it stopped, when it did.
    pub stop: Option<String>,
    /// Variables at the end, by the names the scenario uses.
    pub variables: &'a BTreeMap<String, Text>,
    /// What it visited, in order.
    pub visited: Vec<String>,
    /// The requests it made, in order.
    pub requests: &'a [&'a Request],
}

impl Run {
    /// Compares a run with the expectations. A value that derives from a secret is never shown,
    /// only that it differs; an expected value is shown only where the actual one may be.
    pub fn check(&self, expect: &Expect) -> Vec<Failure> {
        let requests: Vec<&Request> = self.requests().map(|x| &x.request).collect();
        check_parts(
            &Shown {
                outcome: self.outcome.as_deref(),
                stop: self.error.as_ref().map(ToString::to_string),
                variables: &self.variables,
                visited: self.visited(),
                requests: &requests,
            },
            expect,
        )
    }
}

/// Compares what a run showed with the expectations (see [`check`]).
pub(crate) fn check_parts(run: &Shown, expect: &Expect) -> Vec<Failure> {
    let mut out = Vec::new();
    if let Some(outcome) = &expect.outcome {
        let actual = run
            .outcome
            .map(str::to_string)
            .unwrap_or_else(|| format!("(stopped: {})", run.stop.clone().unwrap_or_default()));
        if run.outcome != Some(outcome.as_str()) {
            out.push(failure("flow outcome", outcome.clone(), actual));
        }
    }
    let stop = run.stop.clone();
    match (&expect.error, stop) {
        (Some(want), Some(got)) if !got.contains(want.as_str()) => {
            out.push(failure("error", want.clone(), got))
        }
        (Some(want), None) => out.push(failure("error", want.clone(), "(the run ended normally)")),
        (None, Some(got)) if expect.outcome.is_none() => out.push(failure("run", "no error", got)),
        _ => {}
    }
    for (name, want) in &expect.variables {
        let got = run.variables.get(name);
        if got.map(Text::expose) != Some(want.as_str()) {
            let (expected, actual) = match got {
                None => (format!("{want:?}"), "(not a variable)".to_string()),
                Some(g) if g.is_secret() => (
                    "(secret, not shown)".to_string(),
                    "a different value (secret, not shown)".to_string(),
                ),
                Some(g) => (format!("{want:?}"), format!("{:?}", g.expose())),
            };
            out.push(failure(format!("variable {name}"), expected, actual));
        }
    }
    if let Some(visited) = &expect.visited {
        let actual = &run.visited;
        if actual != visited {
            out.push(failure(
                "nodes visited",
                visited.join(" -> "),
                actual.join(" -> "),
            ));
        }
    }
    if let Some(requests) = &expect.requests {
        let actual = run.requests;
        if actual.len() != requests.len() {
            let list = actual
                .iter()
                .map(|x| format!("{} {}", x.method, x.url.shown()))
                .collect::<Vec<_>>();
            out.push(failure(
                "requests made",
                format!("{}", requests.len()),
                format!("{} [{}]", actual.len(), list.join(", ")),
            ));
        }
        for (i, (want, got)) in requests.iter().zip(actual.iter()).enumerate() {
            check_request(&format!("request {}", i + 1), want, got, &mut out);
        }
    }
    out
}

/// An expected value as it may be shown beside an actual one: hidden when the actual is secret.
fn expected_shown(want: &str, actual: Option<&Text>) -> String {
    if actual.is_some_and(Text::is_secret) {
        "(secret, not shown)".to_string()
    } else {
        want.to_string()
    }
}

fn check_request(at: &str, want: &ExpectedRequest, got: &Request, out: &mut Vec<Failure>) {
    if let Some(m) = &want.method {
        if !m.eq_ignore_ascii_case(&got.method) {
            out.push(failure(
                format!("{at} method"),
                m.clone(),
                got.method.clone(),
            ));
        }
    }
    if let Some(u) = &want.url {
        if u != got.url.expose() {
            // An expected URL with a password or a credential parameter's value is secret by
            // those places, whatever URL the run made.
            let expected = crate::secret::names::url_shown(Text::plain(u.clone()));
            out.push(failure(
                format!("{at} url"),
                expected_shown(u, Some(&got.url.clone().tainted_by(expected.is_secret()))),
                got.url.shown(),
            ));
        }
    }
    for (k, v) in &want.headers {
        let actual = got
            .headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(k))
            .map(|(_, v)| v);
        if actual.map(Text::expose) != Some(v.as_str()) {
            // A credential header's expected value is secret by its place (HTTP's own, the word
            // list's, the flow's `credential_headers`), absent from the request or not.
            let expected = if got.is_credential_header(k) {
                "(secret, not shown)".to_string()
            } else {
                expected_shown(v, actual)
            };
            out.push(failure(
                format!("{at} header {k}"),
                expected,
                actual.map_or("(absent)".into(), |a| a.shown().to_string()),
            ));
        }
    }
    let body = got.body.clone().unwrap_or_default();
    // The texts looked for are not echoed: a scenario checks that a credential went out by
    // naming it here, and its report must not print it.
    for (i, part) in want.body_contains.iter().enumerate() {
        if !body.expose().contains(part.as_str()) {
            out.push(failure(
                format!("{at} body"),
                format!("contains body_contains entry {}", i + 1),
                body.shown(),
            ));
        }
    }
    for part in &want.body_excludes {
        if body.expose().contains(part.as_str()) {
            // The excluded text may itself be a secret the author wants kept out: not shown.
            out.push(failure(
                format!("{at} body"),
                "without the text given in body_excludes".to_string(),
                "contains it".to_string(),
            ));
        }
    }
}
