//! Diagnostics as a SARIF 2.1.0 log, the format code-scanning views read (GitHub code scanning,
//! Azure DevOps, IDE viewers). One run, with wxcflow's whole code table as its rules and one result
//! per diagnostic, located by file, line and column. Pure: the caller writes the text.

use super::{Code, Diagnostic, Severity, SourceFile, Span};
use serde_json::{json, Map, Value};

/// The `$schema` a SARIF 2.1.0 log names: the final schema as OASIS publishes it.
pub const SARIF_SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// A SARIF log being assembled from the diagnostics of one command's inputs.
#[derive(Debug, Default)]
pub struct SarifLog {
    results: Vec<Value>,
    notifications: Vec<Value>,
}

impl SarifLog {
    /// An empty log: no results yet, and a successful run.
    pub fn new() -> Self {
        SarifLog::default()
    }

    /// Adds the diagnostics found in one input. `sources` give the text that spans point into, so
    /// that regions get their end; `input` is the file a diagnostic without a span is reported
    /// against (without one, such a result has no location).
    pub fn add(
        &mut self,
        diagnostics: &[Diagnostic],
        sources: &[&SourceFile],
        input: Option<&str>,
    ) {
        for d in diagnostics {
            self.results.push(result(d, sources, input));
        }
    }

    /// An input that could not be read at all: reported as a tool execution notification, and
    /// the run as not successful (there are no results for that input to show).
    pub fn add_failure(&mut self, message: &str) {
        self.notifications.push(json!({
            "level": "error",
            "message": { "text": message },
        }));
    }

    /// The log as a JSON value.
    pub fn to_value(&self) -> Value {
        let rules: Vec<Value> = Code::ALL.iter().map(|code| rule(*code)).collect();
        let mut invocation = Map::new();
        invocation.insert(
            "executionSuccessful".into(),
            Value::Bool(self.notifications.is_empty()),
        );
        if !self.notifications.is_empty() {
            invocation.insert(
                "toolExecutionNotifications".into(),
                Value::Array(self.notifications.clone()),
            );
        }
        json!({
            "$schema": SARIF_SCHEMA_URI,
            "version": "2.1.0",
            "runs": [{
                "tool": {
                    "driver": {
                        "name": "wxcflow",
                        "version": env!("CARGO_PKG_VERSION"),
                        "semanticVersion": env!("CARGO_PKG_VERSION"),
                        "rules": rules,
                    }
                },
                "invocations": [Value::Object(invocation)],
                // Spans count columns in characters, not UTF-16 units (SARIF's other choice).
                "columnKind": "unicodeCodePoints",
                "results": self.results,
            }]
        })
    }

    /// The log as pretty-printed JSON text, ending in a newline.
    // `expect` below: a tree of plain JSON values always serialises.
    #[allow(clippy::expect_used)]
    pub fn render(&self) -> String {
        serde_json::to_string_pretty(&self.to_value()).expect("JSON values serialise") + "\n"
    }
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// A rule: the code, its one-line summary and what to do about it.
fn rule(code: Code) -> Value {
    json!({
        "id": code.as_str(),
        "name": rule_name(code),
        "shortDescription": { "text": code.summary() },
        "fullDescription": { "text": code.summary() },
        "help": { "text": code.help() },
        "defaultConfiguration": { "level": level(code.severity()) },
    })
}

/// `wxc::unknown-target` -> `UnknownTarget`: SARIF's readable rule name.
fn rule_name(code: Code) -> String {
    let kebab = code.as_str().trim_start_matches("wxc::");
    kebab
        .split('-')
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

fn result(d: &Diagnostic, sources: &[&SourceFile], input: Option<&str>) -> Value {
    let index = Code::ALL.iter().position(|c| *c == d.code).unwrap_or(0);
    let text = match &d.help {
        Some(help) => format!("{}\nhelp: {help}", d.message),
        None => d.message.clone(),
    };
    let mut result = json!({
        "ruleId": d.code.as_str(),
        "ruleIndex": index,
        "level": level(d.severity),
        "message": { "text": text },
    });
    let location = match &d.span {
        Some(span) => Some(json!({
            "physicalLocation": {
                "artifactLocation": { "uri": artifact_uri(&span.file) },
                "region": region(span, sources),
            }
        })),
        None => input.map(|file| {
            json!({ "physicalLocation": { "artifactLocation": { "uri": artifact_uri(file) } } })
        }),
    };
    if let (Some(location), Some(object)) = (location, result.as_object_mut()) {
        object.insert("locations".into(), json!([location]));
    }
    result
}

/// Start line and column (1-based, in characters), and the end when the source is at hand and the
/// span is not empty. SARIF's end column is that of the character after the region.
/// Columns are counted as the line is shown: a secret hidden in its source counts as wide as the
/// mask, so that no region tells a secret's length.
fn region(span: &Span, sources: &[&SourceFile]) -> Value {
    let Some(source) = sources.iter().find(|s| s.name == span.file) else {
        return json!({ "startLine": span.line, "startColumn": span.column });
    };
    let (line, column) = source.shown_position(span.bytes.start);
    let mut region = json!({ "startLine": line, "startColumn": column });
    if let (true, Some(object)) = (span.bytes.end > span.bytes.start, region.as_object_mut()) {
        let (end_line, end_column) = source.shown_position(span.bytes.end);
        object.insert("endLine".into(), end_line.into());
        object.insert("endColumn".into(), end_column.into());
    }
    region
}

/// A file name as a URI reference: relative paths stay relative (code-scanning views resolve
/// them against the repository root), with forward slashes, a leading `./` dropped and characters
/// that a URI may not hold percent-encoded; absolute paths become `file://` URIs.
pub fn artifact_uri(file: &str) -> String {
    let mut path = file.replace('\\', "/");
    while let Some(rest) = path.strip_prefix("./") {
        path = rest.to_string();
    }
    let windows_drive =
        path.len() >= 2 && path.as_bytes()[1] == b':' && path.as_bytes()[0].is_ascii_alphabetic();
    let encoded = encode(&path);
    if path.starts_with('/') {
        format!("file://{encoded}")
    } else if windows_drive {
        format!("file:///{encoded}")
    } else {
        encoded
    }
}

fn encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        let keep = byte.is_ascii_alphanumeric()
            || matches!(
                byte,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'/'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b':'
                    | b'@'
            );
        if keep {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_relative_references_or_file_uris() {
        assert_eq!(artifact_uri("flows/a.toml"), "flows/a.toml");
        assert_eq!(artifact_uri("./flows/a.toml"), "flows/a.toml");
        assert_eq!(artifact_uri("flows\\sub\\a.toml"), "flows/sub/a.toml");
        assert_eq!(
            artifact_uri("my flows/é#1.toml"),
            "my%20flows/%C3%A9%231.toml"
        );
        assert_eq!(artifact_uri("/tmp/a b.toml"), "file:///tmp/a%20b.toml");
        assert_eq!(artifact_uri("C:\\flows\\a.toml"), "file:///C:/flows/a.toml");
        assert_eq!(artifact_uri("../a%.toml"), "../a%25.toml");
    }

    #[test]
    fn rule_names_are_pascal_case() {
        assert_eq!(rule_name(Code::UnknownTarget), "UnknownTarget");
        assert_eq!(rule_name(Code::TomlSyntax), "TomlSyntax");
    }

    #[test]
    fn regions_end_after_the_span_in_characters() {
        let source = SourceFile::new("a.toml", "x = \"é\"\nnext = \"chek\"\n");
        let start = source.text.find("\"chek\"").unwrap();
        let d = Diagnostic::new(Code::UnknownTarget, "no node named `chek`")
            .with_span(Some(source.span(start..start + 6)))
            .with_help("did you mean `check`?");
        let log = SarifLog::new();
        let mut log = log;
        log.add(&[d], &[&source], None);
        let value = log.to_value();
        let result = &value["runs"][0]["results"][0];
        assert_eq!(
            result["locations"][0]["physicalLocation"]["region"],
            json!({"startLine": 2, "startColumn": 8, "endLine": 2, "endColumn": 14})
        );
        assert_eq!(
            result["message"]["text"],
            "no node named `chek`\nhelp: did you mean `check`?"
        );
        assert_eq!(
            value["runs"][0]["tool"]["driver"]["rules"]
                [result["ruleIndex"].as_u64().unwrap() as usize]["id"],
            "wxc::unknown-target"
        );
    }

    #[test]
    fn a_diagnostic_without_a_span_is_placed_on_its_input_or_nowhere() {
        let d = Diagnostic::new(Code::TooLarge, "too big");
        let mut log = SarifLog::new();
        log.add(std::slice::from_ref(&d), &[], Some("flows/big.toml"));
        log.add(&[d], &[], None);
        let value = log.to_value();
        let results = value["runs"][0]["results"].as_array().unwrap();
        assert_eq!(
            results[0]["locations"],
            json!([{"physicalLocation": {"artifactLocation": {"uri": "flows/big.toml"}}}])
        );
        assert!(results[1].get("locations").is_none());
    }

    #[test]
    fn unreadable_inputs_make_the_run_unsuccessful() {
        let mut log = SarifLog::new();
        assert_eq!(
            log.to_value()["runs"][0]["invocations"],
            json!([{"executionSuccessful": true}])
        );
        log.add_failure("cannot read x.toml");
        assert_eq!(
            log.to_value()["runs"][0]["invocations"][0]["executionSuccessful"],
            false
        );
    }
}
