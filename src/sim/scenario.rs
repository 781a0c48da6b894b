//! Scenario files: a trigger body, tenant values, mocked HTTP, and what must come out.

use super::mock::MockExchange;
use super::Run;
use serde::Deserialize;
use std::collections::BTreeMap;

/// A scenario, as written in TOML.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: Option<String>,
    /// The spec to run, relative to the scenario file; the embedded GetOAuthToken when absent.
    pub spec: Option<String>,
    /// The webhook body (JSON); the spec's sample when absent.
    pub trigger: Option<String>,
    /// Tenant values for the spec's parameters (test data: literal secrets are fine here).
    #[serde(default)]
    pub values: toml::Table,
    #[serde(default)]
    pub http: Vec<MockExchange>,
    #[serde(default)]
    pub expect: Expect,
}

/// What the run must show. Each part is checked only when given.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
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

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedRequest {
    pub method: Option<String>,
    pub url: Option<String>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default)]
    pub body_contains: Vec<String>,
    #[serde(default)]
    pub body_excludes: Vec<String>,
}

/// One unmet expectation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub what: String,
    pub expected: String,
    pub actual: String,
}

fn failure(
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

/// Compares a run with the expectations. Secret values are never shown, only that they differ.
pub fn check(run: &Run, expect: &Expect) -> Vec<Failure> {
    let mut out = Vec::new();
    let mask = super::masker(run, &[]);
    if let Some(outcome) = &expect.outcome {
        let actual = run
            .outcome
            .clone()
            .unwrap_or_else(|| format!("(stopped: {})", mask(run.error.as_deref().unwrap_or(""))));
        if run.outcome.as_ref() != Some(outcome) {
            out.push(failure("flow outcome", outcome.clone(), actual));
        }
    }
    match (&expect.error, &run.error) {
        (Some(want), Some(got)) if !got.contains(want.as_str()) => {
            out.push(failure("error", want.clone(), mask(got)))
        }
        (Some(want), None) => out.push(failure("error", want.clone(), "(the run ended normally)")),
        (None, Some(got)) if expect.outcome.is_none() => {
            out.push(failure("run", "no error", mask(got)))
        }
        _ => {}
    }
    for (name, want) in &expect.variables {
        let got = run.variables.get(name);
        if got != Some(want) {
            let secret = run.secret_names.contains(name);
            let (expected, actual) = if secret {
                (
                    "(secret, not shown)".to_string(),
                    if got.is_some() {
                        "a different value (secret, not shown)".into()
                    } else {
                        "(not a variable)".to_string()
                    },
                )
            } else {
                (
                    format!("{want:?}"),
                    got.map_or("(not a variable)".into(), |g| format!("{g:?}")),
                )
            };
            out.push(failure(format!("variable {name}"), expected, actual));
        }
    }
    if let Some(visited) = &expect.visited {
        let actual = run.visited();
        if &actual != visited {
            out.push(failure(
                "nodes visited",
                visited.join(" -> "),
                actual.join(" -> "),
            ));
        }
    }
    if let Some(requests) = &expect.requests {
        let actual: Vec<_> = run.requests().collect();
        if actual.len() != requests.len() {
            let list = actual
                .iter()
                .map(|x| format!("{} {}", x.request.method, mask(&x.request.url)))
                .collect::<Vec<_>>();
            out.push(failure(
                "requests made",
                format!("{}", requests.len()),
                format!("{} [{}]", actual.len(), list.join(", ")),
            ));
        }
        for (i, (want, got)) in requests.iter().zip(&actual).enumerate() {
            let at = format!("request {}", i + 1);
            if let Some(m) = &want.method {
                if !m.eq_ignore_ascii_case(&got.request.method) {
                    out.push(failure(
                        format!("{at} method"),
                        m.clone(),
                        got.request.method.clone(),
                    ));
                }
            }
            if let Some(u) = &want.url {
                if u != &got.request.url {
                    out.push(failure(
                        format!("{at} url"),
                        mask(u),
                        mask(&got.request.url),
                    ));
                }
            }
            for (k, v) in &want.headers {
                let actual = got
                    .request
                    .headers
                    .iter()
                    .find(|(name, _)| name.eq_ignore_ascii_case(k))
                    .map(|(_, v)| v);
                if actual != Some(v) {
                    out.push(failure(
                        format!("{at} header {k}"),
                        mask(v),
                        actual.map_or("(absent)".into(), |a| mask(a)),
                    ));
                }
            }
            let body = got.request.body.as_deref().unwrap_or("");
            for part in &want.body_contains {
                if !body.contains(part.as_str()) {
                    out.push(failure(
                        format!("{at} body"),
                        format!("contains {:?}", mask(part)),
                        mask(body),
                    ));
                }
            }
            for part in &want.body_excludes {
                if body.contains(part.as_str()) {
                    out.push(failure(
                        format!("{at} body"),
                        format!("without {:?}", mask(part)),
                        "contains it".to_string(),
                    ));
                }
            }
        }
    }
    out
}
