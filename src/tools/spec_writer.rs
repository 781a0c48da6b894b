//! The one writer of spec text, for both decompilers (a Webex Connect flow document, a Flow
//! Designer export): tables in the order written, a blank line before every header but the
//! first, `key = value` lines; every key and value encoded by toml_edit, so any text
//! round-trips.

use serde_json::Value;

/// Spec text, written table by table.
#[derive(Default)]
pub(crate) struct SpecWriter {
    out: String,
    tables: usize,
}

impl SpecWriter {
    /// A `# ...` comment line. It may quote a name from the file decompiled (a flow's, the
    /// file's): a line break there would start a line of TOML, and TOML refuses control
    /// characters in comments, so each shows as U+FFFD (as in file names printed).
    pub(crate) fn comment(&mut self, text: &str) {
        self.line(&format!("# {}", crate::diagnostic::printable_name(text)));
    }

    /// A `[header]` line (the header written as given: its keys already encoded).
    pub(crate) fn table(&mut self, header: &str) {
        if self.tables > 0 {
            self.out.push('\n');
        }
        self.tables += 1;
        self.line(&format!("[{header}]"));
    }

    /// `key = value`, the key encoded, the value already TOML.
    pub(crate) fn field(&mut self, name: &str, value: impl AsRef<str>) {
        self.line(&format!("{} = {}", key(name), value.as_ref()));
    }

    /// `key = true`, when `on`.
    pub(crate) fn flag(&mut self, name: &str, on: bool) {
        if on {
            self.field(name, "true");
        }
    }

    /// A line as it is.
    pub(crate) fn line(&mut self, text: &str) {
        self.out.push_str(text);
        self.out.push('\n');
    }

    /// The text written.
    pub(crate) fn finish(self) -> String {
        self.out
    }
}

/// A TOML string literal.
pub(crate) fn string(text: &str) -> String {
    toml_edit::Value::from(text).to_string()
}

/// A bare key when TOML allows one, otherwise a quoted key.
pub(crate) fn key(name: &str) -> String {
    toml_edit::Key::new(name).display_repr().into_owned()
}

/// A TOML array of values already encoded: `[a, b]`.
pub(crate) fn list<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> String {
    let items: Vec<String> = items.into_iter().map(|i| i.as_ref().to_string()).collect();
    format!("[{}]", items.join(", "))
}

/// A TOML inline table of values already encoded, its keys encoded here: `{ k = v }`, `{}`.
pub(crate) fn inline_table<K: AsRef<str>>(pairs: impl IntoIterator<Item = (K, String)>) -> String {
    let items: Vec<String> = pairs
        .into_iter()
        .map(|(k, v)| format!("{} = {v}", key(k.as_ref())))
        .collect();
    if items.is_empty() {
        "{}".into()
    } else {
        format!("{{ {} }}", items.join(", "))
    }
}

/// A JSON value as an inline TOML value (a null as `""`: callers write values without one,
/// see [`is_plain`]).
pub(crate) fn json(v: &Value) -> String {
    match v {
        Value::Null => "\"\"".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => i.to_string(),
            (None, Some(f)) => toml_edit::Value::from(f).to_string(),
            _ => string(&n.to_string()),
        },
        Value::String(s) => string(s),
        Value::Array(items) => list(items.iter().map(json)),
        Value::Object(map) => inline_table(map.iter().map(|(k, v)| (k, json(v)))),
    }
}

/// Whether TOML says the value exactly: no null inside (TOML has none), no integer beyond
/// TOML's 64-bit signed range, no float that is not finite.
pub(crate) fn is_plain(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Number(n) => n.is_i64() || n.as_f64().is_some_and(f64::is_finite) && n.is_f64(),
        Value::Array(a) => a.iter().all(is_plain),
        Value::Object(m) => m.values().all(is_plain),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_strings_read_back_as_written() {
        for text in [
            "plain",
            "with space",
            "",
            "a.b",
            "quote\"d",
            "back\\slash",
            "line\nbreak",
            "tab\t",
            "é",
            "'single'",
            "\u{7f}",
            "{{ x }}",
        ] {
            let line = format!("{} = {}", key(text), string(text));
            let table: toml::Table = line.parse().unwrap_or_else(|e| panic!("{line}: {e}"));
            assert_eq!(
                table.get(text).and_then(|v| v.as_str()),
                Some(text),
                "{line}"
            );
        }
    }

    #[test]
    fn json_values_are_inline_toml() {
        let value = serde_json::json!({"a": [1, 2.5, "x"], "b": {}, "c key": true});
        assert_eq!(
            json(&value),
            r#"{ a = [1, 2.5, "x"], b = {}, "c key" = true }"#
        );
        assert!(!is_plain(&serde_json::json!([1, null])));
    }
}
