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
    let root = toml::de::DeTable::parse(&source.text).ok();
    if let Some(root) = &root {
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
                    // A field no expression of the flow reads is a misspelling, or a value
                    // that would change nothing: said, as an unknown variable is.
                    if let Some(read) = fields_read(flow, name) {
                        // Each field told at its own key, where the file spells it.
                        let field_at = |field: &str| {
                            let table = root.as_ref()?.get_ref().get(name.as_str())?;
                            let toml::de::DeValue::Table(table) = table.get_ref() else {
                                return None;
                            };
                            let (key, _) = table.get_key_value(field)?;
                            Some(source.span(key.span()))
                        };
                        for field in fields.keys().filter(|f| !read.contains(f)) {
                            let at = field_at(field).or_else(|| at.clone());
                            problems.push(unread_field(name, field, &read, at));
                        }
                    }
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

/// The fields of `activity` that the flow's expressions read (`NewPhoneContact.ANI` gives
/// `ANI`), in every process; `None` when one reads the activity whole (any field may be meant).
fn fields_read(flow: &FdFlow, activity: &str) -> Option<Vec<String>> {
    use crate::flow_designer::{lint, pebble};
    let mut fields = Vec::new();
    let mut strings = Vec::new();
    for (_, process) in crate::flow_designer::model::processes(flow) {
        for a in &process.activities {
            for (key, value) in &a.settings {
                let mut found = Vec::new();
                lint::collect_strings(value, vec![key.as_str().into()], &mut found);
                for (_, text) in found {
                    let reads = pebble::reads(text).0;
                    // A Parse activity names what it parses without braces (as the lint reads it).
                    let reads = match key == "inputVariable" && reads.is_empty() {
                        true => pebble::expression(text),
                        false => reads,
                    };
                    strings.push((text, reads));
                }
            }
        }
    }
    for (text, reads) in strings {
        for read in reads.into_iter().filter(|r| r.name == activity) {
            let after = &text[read.range.end..];
            let field: String = match after.strip_prefix('.') {
                Some(rest) => rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect(),
                None => String::new(),
            };
            if field.is_empty() {
                return None;
            }
            fields.push(field);
        }
    }
    fields.sort();
    fields.dedup();
    Some(fields)
}

/// The problem with a field of `activity`'s table that the flow does not read (it reads
/// `read`).
fn unread_field(
    activity: &str,
    field: &str,
    read: &[String],
    at: Option<crate::diagnostic::Span>,
) -> Diagnostic {
    let reads = match read {
        [] => "none of its fields".to_string(),
        _ => read.join(", "),
    };
    let d = Diagnostic::new(
        Code::InvalidInputs,
        format!("the flow never reads `{activity}.{field}` (it reads {reads})"),
    )
    .with_span(at);
    match did_you_mean(field, read.iter().map(String::as_str)) {
        Some(help) => d.with_help(help),
        None => d,
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
