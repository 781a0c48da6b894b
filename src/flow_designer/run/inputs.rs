//! A run's `--inputs` file: TOML, one key a variable (`StaticToken = "..."`), one table an
//! activity the platform fills, by its fields (`[NewPhoneContact]` with `ANI = "+1..."`).
//! Every value in it is treated as possibly secret: diagnostics quote the file with its values
//! hidden, by their place.

use super::{typed, Inputs};
use crate::diagnostic::{did_you_mean, in_toml_terms, Code, Diagnostic, SourceFile};
use crate::flow_designer::model::FdFlow;
use serde_json::Value;
use std::collections::BTreeMap;
use toml::Spanned;

/// The inputs a file gives `flow`, or every problem with it; and the file as diagnostics may
/// quote it (values hidden).
pub(crate) fn read_inputs(
    source: &SourceFile,
    flow: &FdFlow,
) -> (Result<Inputs, Vec<Diagnostic>>, SourceFile) {
    let table: BTreeMap<Spanned<String>, Spanned<toml::Value>> = match toml::from_str(&source.text)
    {
        Ok(t) => t,
        Err(e) => {
            // Nothing read: every line's value is hidden.
            let quoted = source.values_hidden();
            let d = Diagnostic::new(
                Code::TomlSyntax,
                format!(
                    "invalid inputs file: {}",
                    in_toml_terms(e.message().trim_end())
                ),
            )
            .with_span(e.span().map(|r| source.span(r)));
            return (Err(vec![d]), quoted);
        }
    };
    // Every value is hidden, and every value a table holds: its values (`[Activity]`, or
    // written with dotted keys, `StaticToken.v = "..."`) lie beyond the span of its key.
    let mut quoted = source.clone();
    if let Ok(root) = toml::de::DeTable::parse(&source.text) {
        for value in root.get_ref().values() {
            for within in crate::spec::values_within(value) {
                quoted.hide(within.span());
            }
        }
    }
    let activities: Vec<&str> = flow
        .process
        .activities
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    let mut inputs = Inputs::default();
    let mut problems = Vec::new();
    for (key, value) in &table {
        let name = key.get_ref();
        let at = Some(source.span(key.span()));
        if let Some(v) = flow.variables.iter().find(|v| &v.name == name) {
            let json = to_json(value.get_ref());
            match typed(&v.kind, &json) {
                // As its variable holds it: `Code = 10` is the text "10" in a STRING, as the
                // trace shows it (a number there compared unlike the text it showed as).
                // nan and inf are no number a variable holds (JSON has none either).
                Some(held)
                    if !matches!(value.get_ref(), toml::Value::Float(f) if !f.is_finite())
                        && (!matches!(
                            value.get_ref(),
                            toml::Value::Table(_) | toml::Value::Array(_)
                        ) || v.kind == "JSON") =>
                {
                    inputs.variables.insert(name.clone(), held);
                }
                _ => problems.push(
                    Diagnostic::new(
                        Code::InvalidInputs,
                        format!(
                            "variable `{name}` is {}: the value given is not one",
                            article(&v.kind)
                        ),
                    )
                    .with_span(at),
                ),
            }
        } else if activities.contains(&name.as_str()) {
            match value.get_ref() {
                toml::Value::Table(fields) => {
                    let fields = fields
                        .iter()
                        .map(|(k, v)| (k.clone(), to_json(v)))
                        .collect();
                    inputs.activities.insert(name.clone(), fields);
                }
                _ => problems.push(
                    Diagnostic::new(
                        Code::InvalidInputs,
                        format!("`{name}` is an activity: give its fields as a table, `[{name}]`"),
                    )
                    .with_span(at),
                ),
            }
        } else {
            let candidates = flow
                .variables
                .iter()
                .map(|v| v.name.as_str())
                .chain(activities.iter().copied());
            let mut d = Diagnostic::new(
                Code::InvalidInputs,
                format!(
                    "`{name}` is neither a variable nor an activity of flow `{}`",
                    flow.name
                ),
            )
            .with_span(at);
            if let Some(help) = did_you_mean(name, candidates) {
                d = d.with_help(help);
            }
            problems.push(d);
        }
    }
    if problems.is_empty() {
        (Ok(inputs), quoted)
    } else {
        (Err(problems), quoted)
    }
}

fn article(kind: &str) -> String {
    let lower = kind.to_lowercase();
    if lower.starts_with(['a', 'e', 'i', 'o', 'u']) {
        format!("an {kind}")
    } else {
        format!("a {kind}")
    }
}

fn to_json(value: &toml::Value) -> Value {
    match value {
        toml::Value::String(s) => Value::String(s.clone()),
        toml::Value::Integer(i) => Value::from(*i),
        toml::Value::Float(f) => {
            serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number)
        }
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(a) => Value::Array(a.iter().map(to_json).collect()),
        toml::Value::Table(t) => {
            Value::Object(t.iter().map(|(k, v)| (k.clone(), to_json(v))).collect())
        }
    }
}
