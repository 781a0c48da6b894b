//! Where each value of a Flow Designer file sits in its text, so that diagnostics carry a line
//! and column and quotes hide secret values. serde_json's `Value` keeps no positions: one scan
//! of an export finds every value's place; a spec's come from TOML's spanned parse. Both are
//! kept as the file's [`Places`] by what reads and checks it.

use std::cell::OnceCell;
use std::collections::HashMap;
use std::ops::Range;

/// One step of a path: an object member or an array index.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Step {
    Key(String),
    Index(usize),
}

/// A step as a JSON pointer's segment spells it (unescaped): a key, or an index in digits.
impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Step::Key(k) => f.write_str(k),
            Step::Index(i) => write!(f, "{i}"),
        }
    }
}

impl From<&str> for Step {
    fn from(key: &str) -> Step {
        Step::Key(key.to_string())
    }
}

impl From<&String> for Step {
    fn from(key: &String) -> Step {
        Step::Key(key.clone())
    }
}

impl From<usize> for Step {
    fn from(index: usize) -> Step {
        Step::Index(index)
    }
}

/// A path of steps, built as `path!["process", "activities", id]`.
#[macro_export]
#[doc(hidden)]
macro_rules! fd_path {
    ($($step:expr),* $(,)?) => {
        [$($crate::flow_designer::locate::Step::from($step)),*]
    };
}

/// Path -> a value's byte range, and its member key's.
type ByPath = HashMap<Vec<Step>, (Range<usize>, Option<Range<usize>>)>;

/// The places of a file's values by path, found in one pass when first asked for.
pub struct Places<'t> {
    text: &'t str,
    /// `None` in a JSON text that breaks off.
    at: OnceCell<Option<ByPath>>,
}

impl<'t> Places<'t> {
    /// The places of `text`, scanned when first asked for.
    pub fn new(text: &'t str) -> Places<'t> {
        Places {
            text,
            at: OnceCell::new(),
        }
    }

    /// The byte range of the value at `path` (of the member's key when `key` is set), or of the
    /// deepest enclosing value found when the path does not exist all the way down; `None` in
    /// JSON that breaks off.
    pub fn locate(&self, path: &[Step], key: bool) -> Option<Range<usize>> {
        let at = self.by_path()?;
        if let Some((value, name)) = at.get(path).filter(|_| key) {
            return name.clone().or(Some(value.clone()));
        }
        (0..=path.len())
            .rev()
            .find_map(|n| at.get(&path[..n]).map(|(value, _)| value.clone()))
    }

    /// The line holding the key at `path`, without its line break and trailing blanks: a
    /// spec's `[activities.Name]` header, or its `httpRequestUrl = "..."` setting.
    pub fn key_line(&self, path: &[Step]) -> Option<Range<usize>> {
        let key = self.by_path()?.get(path)?.1.clone()?;
        let text = self.text;
        let start = text[..key.start].rfind('\n').map_or(0, |i| i + 1);
        let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        Some(start..start + text[start..end].trim_end().len())
    }

    fn by_path(&self) -> Option<&ByPath> {
        let at = self.at.get_or_init(|| {
            let (found, broken) = values(self.text);
            let all = found.into_iter().map(|f| (f.path, (f.range, f.key)));
            broken.is_none().then(|| all.collect())
        });
        at.as_ref()
    }
}

/// Whether a file is JSON (an export) rather than TOML (a spec).
pub fn is_json(text: &str) -> bool {
    text.trim_start().starts_with('{')
}

/// A value found in a JSON text: where it sits, its byte range (a string's with its quotes) and,
/// for a string, its decoded text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    pub path: Vec<Step>,
    pub range: Range<usize>,
    pub string: Option<String>,
    /// A member's key, with its quotes.
    pub key: Option<Range<usize>>,
}

/// Every value of a JSON text, members before the object or array holding them, and where the
/// text stops being JSON, if it does (a TOML text: every value the parser recovered, see
/// [`toml_values`]). In a text that breaks off, the values before the break,
/// and a string the break falls in up to the end of its line: a broken file is still quoted,
/// so what it holds must still be found.
pub fn values(text: &str) -> (Vec<Found>, Option<usize>) {
    if !is_json(text) {
        return (toml_values(text), None);
    }
    let mut scanner = Scanner {
        bytes: text.as_bytes(),
        at: 0,
    };
    let mut out = Vec::new();
    let broken = match scanner.walk(&mut Vec::new(), None, &mut out) {
        Ok(()) => {
            scanner.skip_ws();
            (scanner.at < text.len()).then_some(scanner.at)
        }
        Err(Malformed) => Some(scanner.at.min(text.len())),
    };
    (out, broken)
}

/// Every value of a TOML text; in a text that does not parse, what the parser recovered.
fn toml_values(text: &str) -> Vec<Found> {
    use toml::de::{DeTable, DeValue};
    type At = (Range<usize>, Option<Range<usize>>);
    fn walk(value: &DeValue, (range, key): At, path: &mut Vec<Step>, out: &mut Vec<Found>) {
        match value {
            DeValue::Table(table) => {
                for (k, v) in table.iter() {
                    path.push(Step::Key(k.get_ref().to_string()));
                    walk(v.get_ref(), (v.span(), Some(k.span())), path, out);
                    path.pop();
                }
            }
            DeValue::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    path.push(Step::Index(i));
                    walk(v.get_ref(), (v.span(), None), path, out);
                    path.pop();
                }
            }
            _ => {}
        }
        let string = value.as_str().map(String::from);
        let path = path.clone();
        out.push(Found {
            path,
            range,
            string,
            key,
        });
    }
    let (root, _) = DeTable::parse_recoverable(text);
    let mut out = Vec::new();
    let span = root.span();
    let root = DeValue::Table(root.into_inner());
    walk(&root, (span, None), &mut Vec::new(), &mut out);
    // A table made by a `[header]` has no value text of its own: only its members are hidden.
    out.retain(|p| !p.path.is_empty());
    out
}

struct Scanner<'a> {
    bytes: &'a [u8],
    at: usize,
}

/// The scan stops at the first malformed byte; the caller then has no position.
struct Malformed;

impl Scanner<'_> {
    fn skip_ws(&mut self) {
        while self.at < self.bytes.len() && self.bytes[self.at].is_ascii_whitespace() {
            self.at += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn expect(&mut self, byte: u8) -> Result<(), Malformed> {
        self.skip_ws();
        if self.peek() == Some(byte) {
            self.at += 1;
            Ok(())
        } else {
            Err(Malformed)
        }
    }

    /// Records every value from here (see [`values`]).
    fn walk(
        &mut self,
        path: &mut Vec<Step>,
        key: Option<Range<usize>>,
        out: &mut Vec<Found>,
    ) -> Result<(), Malformed> {
        self.skip_ws();
        let start = self.at;
        let open = self.peek().ok_or(Malformed)?;
        match open {
            b'{' | b'[' => {
                let close = if open == b'{' { b'}' } else { b']' };
                self.at += 1;
                let mut index = 0;
                loop {
                    self.skip_ws();
                    if self.peek() == Some(close) {
                        self.at += 1;
                        break;
                    }
                    let (step, key) = if open == b'{' {
                        let at = self.at;
                        let name = self.string()?;
                        let key = at..self.at;
                        self.expect(b':')?;
                        (Step::Key(name), Some(key))
                    } else {
                        (Step::Index(index), None)
                    };
                    index += 1;
                    path.push(step);
                    let walked = self.walk(path, key, out);
                    path.pop();
                    walked?;
                    self.skip_ws();
                    match self.peek() {
                        Some(b',') => self.at += 1,
                        Some(c) if c == close => {}
                        _ => return Err(Malformed),
                    }
                }
                out.push(Found {
                    path: path.clone(),
                    range: start..self.at,
                    string: None,
                    key,
                });
            }
            b'"' => match self.string() {
                Ok(s) => out.push(Found {
                    path: path.clone(),
                    range: start..self.at,
                    string: Some(s),
                    key,
                }),
                Err(Malformed) => {
                    self.at = start;
                    let line_end = self.bytes[start..]
                        .iter()
                        .position(|b| *b == b'\n')
                        .map_or(self.bytes.len(), |i| start + i);
                    out.push(Found {
                        path: path.clone(),
                        range: start..line_end,
                        string: None,
                        key,
                    });
                    return Err(Malformed);
                }
            },
            _ => {
                self.skip_value()?;
                out.push(Found {
                    path: path.clone(),
                    range: start..self.at,
                    string: None,
                    key,
                });
            }
        }
        Ok(())
    }

    fn skip_value(&mut self) -> Result<(), Malformed> {
        self.skip_ws();
        match self.peek().ok_or(Malformed)? {
            b'"' => self.string().map(drop),
            open @ (b'{' | b'[') => {
                let close = if open == b'{' { b'}' } else { b']' };
                self.at += 1;
                loop {
                    self.skip_ws();
                    if self.peek() == Some(close) {
                        self.at += 1;
                        return Ok(());
                    }
                    if open == b'{' {
                        self.string()?;
                        self.expect(b':')?;
                    }
                    self.skip_value()?;
                    self.skip_ws();
                    match self.peek() {
                        Some(b',') => self.at += 1,
                        Some(c) if c == close => {}
                        _ => return Err(Malformed),
                    }
                }
            }
            _ => {
                let start = self.at;
                while self.at < self.bytes.len()
                    && !matches!(self.bytes[self.at], b',' | b'}' | b']')
                    && !self.bytes[self.at].is_ascii_whitespace()
                {
                    self.at += 1;
                }
                if self.at == start {
                    Err(Malformed)
                } else {
                    Ok(())
                }
            }
        }
    }

    /// A string literal, decoded (escapes resolved), the scanner left after its closing quote.
    fn string(&mut self) -> Result<String, Malformed> {
        self.skip_ws();
        let start = self.at;
        if self.peek() != Some(b'"') {
            return Err(Malformed);
        }
        self.at += 1;
        while self.at < self.bytes.len() {
            match self.bytes[self.at] {
                b'\\' => self.at += 2,
                b'"' => {
                    self.at += 1;
                    let literal =
                        std::str::from_utf8(&self.bytes[start..self.at]).map_err(|_| Malformed)?;
                    return serde_json::from_str(literal).map_err(|_| Malformed);
                }
                _ => self.at += 1,
            }
        }
        Err(Malformed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn locate(text: &str, path: &[Step], key: bool) -> Option<Range<usize>> {
        Places::new(text).locate(path, key)
    }

    #[test]
    fn finds_values_and_keys_by_path() {
        let text = r#"{ "a": {"b\"x": [1, {"c": "here"}]}, "d": 2 }"#;
        let at = locate(text, &fd_path!["a", "b\"x", 1usize, "c"], false).unwrap();
        assert_eq!(&text[at], "\"here\"");
        let at = locate(text, &fd_path!["d"], true).unwrap();
        assert_eq!(&text[at], "\"d\"");
        // A missing member: the deepest enclosing value.
        let at = locate(text, &fd_path!["a", "zzz"], false).unwrap();
        assert!(text[at].starts_with("{\"b"));
    }

    #[test]
    fn every_value_is_found_even_in_a_broken_text() {
        let text = r#"{"a": [1, "x\"y"], "b": {"c": true}}"#;
        let (found, broken) = values(text);
        assert_eq!(broken, None);
        let found: Vec<(Vec<Step>, &str)> = found
            .into_iter()
            .map(|f| (f.path, &text[f.range]))
            .collect();
        assert_eq!(
            found,
            vec![
                (fd_path!["a", 0usize].to_vec(), "1"),
                (fd_path!["a", 1usize].to_vec(), r#""x\"y""#),
                (fd_path!["a"].to_vec(), r#"[1, "x\"y"]"#),
                (fd_path!["b", "c"].to_vec(), "true"),
                (fd_path!["b"].to_vec(), r#"{"c": true}"#),
                (Vec::new(), text),
            ]
        );
        let broken = "{\"a\": \"one\", \"b\": \"unterminated\n\"c\": 1}";
        let (found, at) = values(broken);
        assert_eq!(found.len(), 2);
        assert_eq!(&broken[found[1].range.clone()], "\"unterminated");
        assert_eq!(at, broken.find("\"unterminated"));
        assert_eq!(values("{} x").1, Some(3));
    }

    #[test]
    fn malformed_text_has_no_position() {
        assert_eq!(locate("{\"a\": ", &fd_path!["a"], false), None);
    }
}
