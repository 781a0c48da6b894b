//! Diagnostics as a SARIF 2.1.0 log, the format code-scanning views read (GitHub code scanning,
//! Azure DevOps, IDE viewers). One run, with wxcflow's whole code table as its rules and one result
//! per diagnostic, located by file, line and column. Pure: the caller writes the text.

use super::{Code, Diagnostic, Severity, SourceFile, Span};
use serde_json::{json, Map, Value};

/// The `$schema` a SARIF 2.1.0 log names: the final schema as OASIS publishes it.
pub(crate) const SARIF_SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// A SARIF log being assembled from the diagnostics of one command's inputs.
#[derive(Debug, Default)]
pub struct SarifLog {
    results: Vec<Value>,
    notifications: Vec<Value>,
    /// How many results so far had each fingerprint digest, to number repeats.
    seen: std::collections::HashMap<String, usize>,
}

/// The `partialFingerprints` key wxcflow's fingerprints are given under; the version changes
/// whenever what goes into them does, so that old and new ones are never compared.
pub(crate) const FINGERPRINT_KEY: &str = "wxcflow/v1";

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
            let mut result = result(d, sources, input);
            let digest = fingerprint_digest(d, input);
            let count = self.seen.entry(digest.clone()).or_insert(0);
            *count += 1;
            if let Some(object) = result.as_object_mut() {
                object.insert(
                    "partialFingerprints".into(),
                    json!({ FINGERPRINT_KEY: format!("{digest}:{count}") }),
                );
            }
            self.results.push(result);
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
    let related: Vec<Value> = d
        .related
        .iter()
        .enumerate()
        .map(|(i, related)| {
            json!({
                "id": i,
                "physicalLocation": {
                    "artifactLocation": { "uri": artifact_uri(&related.span.file) },
                    "region": region(&related.span, sources),
                },
                "message": { "text": related.note },
            })
        })
        .collect();
    if let (false, Some(object)) = (related.is_empty(), result.as_object_mut()) {
        object.insert("relatedLocations".into(), Value::Array(related));
    }
    result
}

/// What identifies a finding across runs: its rule, the file it is in and its message with
/// numbers and double-quoted text left out, hashed (sha256, hex). Never a line or column (an
/// edit above would move every finding below it), never a quoted line of the source (which may
/// hold a secret; messages never do, and the quoted values they name are left out anyway). Two
/// findings alike in all three are told apart by the `:N` suffix, their order in the file.
fn fingerprint_digest(d: &Diagnostic, input: Option<&str>) -> String {
    use sha2::{Digest, Sha256};
    let file = d.span.as_ref().map(|s| s.file.as_str()).or(input);
    let mut hasher = Sha256::new();
    hasher.update(d.code.as_str().as_bytes());
    hasher.update([0]);
    hasher.update(file.map(artifact_uri).unwrap_or_default().as_bytes());
    hasher.update([0]);
    hasher.update(stable_message(&d.message).as_bytes());
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A message without what may change while the finding stays the same: numbers standing alone
/// (line numbers, counts, sizes; `n4` and `HTTPRequest_2` keep theirs) and double-quoted text
/// (a literal value, which may be long or change with each tenant edit).
fn stable_message(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut quoted = false;
    let mut previous: Option<char> = None;
    let mut chars = message.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '"' {
            if !quoted {
                out.push_str("\"\"");
            }
            quoted = !quoted;
        } else if quoted {
            // left out
        } else if c.is_ascii_digit() && !previous.is_some_and(|p| p.is_alphanumeric() || p == '_') {
            while chars
                .peek()
                .is_some_and(|n| n.is_ascii_digit() || *n == '.')
            {
                chars.next();
            }
            out.push('#');
        } else {
            out.push(c);
        }
        previous = Some(c);
    }
    out
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

/// A file name as a URI reference (SARIF 2.1.0, §3.4.3: `uri` holds a valid URI reference, RFC
/// 3986): relative paths stay relative (code-scanning views resolve them against the repository
/// root), with forward slashes, a leading `./` dropped and characters that a URI may not hold
/// percent-encoded; absolute paths become `file://` URIs. A backslash separates folders only on
/// Windows; elsewhere it is a character of the name (`a\b.toml` is one file), encoded as `%5C`.
pub(crate) fn artifact_uri(file: &str) -> String {
    artifact_uri_on(file, cfg!(windows))
}

/// [`artifact_uri`] for a system where a backslash does (Windows) or does not separate folders.
fn artifact_uri_on(file: &str, backslash_separates: bool) -> String {
    let mut path = if backslash_separates {
        file.replace('\\', "/")
    } else {
        file.to_string()
    };
    while let Some(rest) = path.strip_prefix("./") {
        path = rest.to_string();
    }
    // A drive (`C:`) only where there are drives: elsewhere `c:/x.toml` is a relative path.
    let windows_drive = backslash_separates
        && path.len() >= 2
        && path.as_bytes()[1] == b':'
        && path.as_bytes()[0].is_ascii_alphabetic();
    let encoded = encode(&path);
    if path.starts_with('/') {
        format!("file://{encoded}")
    } else if windows_drive {
        format!("file:///{encoded}")
    } else {
        // A colon in a relative reference's first segment would read as a scheme (`http:/x`,
        // RFC 3986 section 4.2): encoded there.
        let first = encoded.find('/').unwrap_or(encoded.len());
        format!(
            "{}{}",
            encoded[..first].replace(':', "%3A"),
            &encoded[first..]
        )
    }
}

fn encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        let keep = byte.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&byte);
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
        let windows = |file: &str| artifact_uri_on(file, true);
        let posix = |file: &str| artifact_uri_on(file, false);
        assert_eq!(windows("flows\\sub\\a.toml"), "flows/sub/a.toml");
        assert_eq!(posix("flows\\sub\\a.toml"), "flows%5Csub%5Ca.toml");
        assert_eq!(posix("/tmp/a\\b.toml"), "file:///tmp/a%5Cb.toml");
        assert_eq!(
            artifact_uri("my flows/é#1.toml"),
            "my%20flows/%C3%A9%231.toml"
        );
        assert_eq!(artifact_uri("/tmp/a b.toml"), "file:///tmp/a%20b.toml");
        assert_eq!(windows("C:\\flows\\a.toml"), "file:///C:/flows/a.toml");
        assert_eq!(artifact_uri("../a%.toml"), "../a%25.toml");
        // Relative paths whose first segment holds a colon: no scheme, no drive off Windows.
        assert_eq!(posix("c:/x.toml"), "c%3A/x.toml");
        assert_eq!(posix("http:/x.toml"), "http%3A/x.toml");
        assert_eq!(posix("ab:y.toml"), "ab%3Ay.toml");
        assert_eq!(posix("d/ab:y.toml"), "d/ab:y.toml");
    }

    #[test]
    fn fingerprints_leave_out_numbers_and_quoted_values() {
        assert_eq!(
            stable_message("a.toml: `port` (\"80a\"): expected integer, 3 found at line 12"),
            "a.toml: `port` (\"\"): expected integer, # found at line #"
        );
        assert_eq!(
            stable_message("node `n4` port `HTTP_2`"),
            "node `n4` port `HTTP_2`"
        );
        let source = SourceFile::new("t/acme.toml", "\n\nx = 1\n");
        let at = |line: usize| {
            Diagnostic::new(Code::UnknownParam, "t/acme.toml: `x` is not a parameter")
                .with_span(Some(source.span(line..line + 1)))
        };
        let mut log = SarifLog::new();
        log.add(&[at(2), at(3)], &[&source], None);
        let mut moved = SarifLog::new();
        moved.add(&[at(0)], &[&source], None);
        let print = |log: &SarifLog, i: usize| {
            log.to_value()["runs"][0]["results"][i]["partialFingerprints"][FINGERPRINT_KEY]
                .as_str()
                .unwrap()
                .to_string()
        };
        // The same finding moved to another line keeps its fingerprint; a repeat is numbered.
        assert_eq!(print(&log, 0), print(&moved, 0));
        assert!(print(&log, 0).ends_with(":1") && print(&log, 1).ends_with(":2"));
        assert_eq!(print(&log, 0)[..64], print(&log, 1)[..64]);
    }

    #[test]
    fn rule_names_are_pascal_case() {
        assert_eq!(rule_name(Code::UnknownTarget), "UnknownTarget");
        assert_eq!(rule_name(Code::TomlSyntax), "TomlSyntax");
    }
}
