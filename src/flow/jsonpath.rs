//! A syntax check for the JSONPath expressions that pick HTTP response fields (`$.token`).
//! Accepted: `$`, then any of `.name`, `..name`, `.*`, `[n]`, `[*]`, `['name']`, `["name"]`,
//! `[start:end]` and filters `[?(...)]`.

/// What is wrong with a JSONPath, and at which character (counted from 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JsonPathError {
    /// The path does not start with `$`.
    NoRoot,
    /// `.` not followed by a field name.
    ExpectedName(usize),
    /// A character that starts no step.
    Unexpected(char, usize),
    /// A quote opened at this character is never closed.
    UnclosedQuote(usize),
    /// `['']`.
    EmptyName(usize),
    /// A `[` opened at this character is never closed.
    UnclosedBracket(usize),
    /// `[` followed by neither an index, `*` nor a quoted name.
    ExpectedIndex(usize),
    /// A `]` was expected here.
    ExpectedClose(usize),
}

impl std::fmt::Display for JsonPathError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JsonPathError::NoRoot => write!(f, "a JSONPath starts with `$` (e.g. `$.token`)"),
            JsonPathError::ExpectedName(at) => {
                write!(f, "expected a field name after `.` at character {at}")
            }
            JsonPathError::Unexpected(c, at) => write!(
                f,
                "unexpected `{c}` at character {at}: use `.name` or `['name']`"
            ),
            JsonPathError::UnclosedQuote(at) => {
                write!(f, "unclosed quote opened at character {at}")
            }
            JsonPathError::EmptyName(at) => write!(f, "empty field name at character {at}"),
            JsonPathError::UnclosedBracket(at) => write!(f, "unclosed `[` at character {at}"),
            JsonPathError::ExpectedIndex(at) => {
                write!(
                    f,
                    "expected an index, `*` or a quoted name at character {at}"
                )
            }
            JsonPathError::ExpectedClose(at) => write!(f, "expected `]` at character {at}"),
        }
    }
}

impl std::error::Error for JsonPathError {}

/// Checks a JSONPath; on failure says what is wrong and at which character.
pub fn validate(path: &str) -> Result<(), JsonPathError> {
    let chars: Vec<char> = path.chars().collect();
    if chars.first() != Some(&'$') {
        return Err(JsonPathError::NoRoot);
    }
    let mut i = 1;
    while i < chars.len() {
        match chars[i] {
            '.' => {
                i += 1;
                if chars.get(i) == Some(&'.') {
                    i += 1;
                }
                if chars.get(i) == Some(&'*') {
                    i += 1;
                    continue;
                }
                let start = i;
                while i < chars.len() && is_name_char(chars[i]) {
                    i += 1;
                }
                if i == start {
                    return Err(JsonPathError::ExpectedName(i + 1));
                }
            }
            '[' => i = bracket(&chars, i)?,
            c => return Err(JsonPathError::Unexpected(c, i + 1)),
        }
    }
    Ok(())
}

fn is_name_char(c: char) -> bool {
    !matches!(c, '.' | '[' | ']' | '\'' | '"' | '(' | ')' | '$') && !c.is_whitespace()
}

/// Parses one `[...]` starting at `open`; returns the index after `]`.
fn bracket(chars: &[char], open: usize) -> Result<usize, JsonPathError> {
    let mut i = open + 1;
    match chars.get(i) {
        Some('\'') | Some('"') => {
            let quote = chars[i];
            i += 1;
            let start = i;
            while i < chars.len() && chars[i] != quote {
                i += 1;
            }
            if i >= chars.len() {
                return Err(JsonPathError::UnclosedQuote(start));
            }
            if i == start {
                return Err(JsonPathError::EmptyName(start + 1));
            }
            i += 1;
        }
        Some('*') => i += 1,
        Some('?') => {
            // A filter: skip to the matching `]`, counting nested brackets.
            let mut depth = 1;
            while depth > 0 {
                i += 1;
                match chars.get(i) {
                    Some('[') => depth += 1,
                    Some(']') => depth -= 1,
                    Some(_) => {}
                    None => return Err(JsonPathError::UnclosedBracket(open + 1)),
                }
            }
            return Ok(i + 1);
        }
        _ => {
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_digit() || matches!(chars[i], '-' | ':' | ','))
            {
                i += 1;
            }
            if i == start {
                return Err(JsonPathError::ExpectedIndex(start + 1));
            }
        }
    }
    if chars.get(i) != Some(&']') {
        return Err(JsonPathError::ExpectedClose(i + 1));
    }
    Ok(i + 1)
}

/// One step of a path, for [`select`].
enum Segment {
    Field(String),
    Index(i64),
    /// `[start:end]`, either left out.
    Slice(Option<i64>, Option<i64>),
    Wildcard,
    Descendant(String),
}

fn segments(path: &str) -> Option<Vec<Segment>> {
    validate(path).ok()?;
    let chars: Vec<char> = path.chars().collect();
    let mut out = Vec::new();
    let mut i = 1;
    while i < chars.len() {
        if chars[i] == '.' {
            i += 1;
            let descendant = chars.get(i) == Some(&'.');
            if descendant {
                i += 1;
            }
            if chars.get(i) == Some(&'*') {
                i += 1;
                out.push(Segment::Wildcard);
                continue;
            }
            let start = i;
            while i < chars.len() && is_name_char(chars[i]) {
                i += 1;
            }
            let name: String = chars[start..i].iter().collect();
            out.push(if descendant {
                Segment::Descendant(name)
            } else {
                Segment::Field(name)
            });
        } else {
            // `[...]`: validated above, so it closes.
            let close = (i..chars.len()).find(|&j| chars[j] == ']')?;
            let inner: String = chars[i + 1..close].iter().collect();
            let inner = inner.trim();
            out.push(if inner == "*" {
                Segment::Wildcard
            } else if let Some(q) = inner.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
                Segment::Field(q.to_string())
            } else if let Some(q) = inner.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
                Segment::Field(q.to_string())
            } else if let Some((start, end)) = inner.split_once(':') {
                let bound = |b: &str| match b.trim() {
                    "" => Some(None),
                    b => b.parse().ok().map(Some),
                };
                Segment::Slice(bound(start)?, bound(end)?)
            } else {
                Segment::Index(inner.parse().ok()?)
            });
            i = close + 1;
        }
    }
    Some(out)
}

/// A reply's body read as JSON for its outputs; `None` when it is not JSON.
///
/// A number too large for a double (`1e400`) is read as `null` [assumed: Cisco documents no
/// reader; JavaScript's reads it as Infinity, which JSON text writes as null], so that one such
/// field leaves the others readable: serde_json refuses the whole text for it.
pub fn parse_reply(text: &str) -> Option<serde_json::Value> {
    match serde_json::from_str(text) {
        Ok(value) => Some(value),
        Err(_) => serde_json::from_str(&overflowing_numbers_as_null(text)?).ok(),
    }
}

/// A JSON value as the text a flow variable takes [assumed: as JavaScript makes it, the reading
/// `parse_reply` assumes]: a string as it is, `null` as empty text, a number as JavaScript
/// writes a double (`1E2` and `100.0` are `100`, `1.50` is `1.5`, an integer past 2^53 loses
/// its last digits as a double does), a list or table as `JSON.stringify` writes it.
pub(crate) fn text_as_javascript(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => {
            let mut out = String::new();
            write_javascript_json(other, &mut out);
            out
        }
    }
}

/// `value` as `JSON.stringify` writes it, compact, numbers as JavaScript writes doubles.
fn write_javascript_json(value: &serde_json::Value, out: &mut String) {
    use serde_json::Value;
    match value {
        Value::Number(n) => out.push_str(&javascript_number(n)),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_javascript_json(item, out);
            }
            out.push(']');
        }
        Value::Object(members) => {
            out.push('{');
            for (i, (key, item)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_javascript_json(item, out);
            }
            out.push('}');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// A JSON number as JavaScript's `Number.prototype.toString()` writes the double it reads
/// (ECMAScript's Number::toString): the shortest digits that read back as the same double,
/// without a point for a whole number, in exponent form from 1e21 and below 1e-6.
fn javascript_number(n: &serde_json::Number) -> String {
    const EXACT: u64 = 1 << 53;
    if let Some(i) = n.as_i64().filter(|i| i.unsigned_abs() <= EXACT) {
        return i.to_string();
    }
    let Some(x) = n.as_f64().filter(|x| x.is_finite()) else {
        return "null".to_string();
    };
    if x == 0.0 {
        return "0".to_string();
    }
    let sign = if x < 0.0 { "-" } else { "" };
    // Rust's exponent form gives the shortest digits that read back as the same double.
    let shortest = format!("{:e}", x.abs());
    let (mantissa, exponent) = shortest.split_once('e').unwrap_or((&shortest, "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let count = digits.len() as i64;
    // The point stands after the first `point` digits (before them when not positive).
    let point = exponent.parse::<i64>().unwrap_or(0) + 1;
    let body = if count <= point && point <= 21 {
        format!("{digits}{}", "0".repeat((point - count) as usize))
    } else if 0 < point && point <= 21 {
        let (whole, fraction) = digits.split_at(point as usize);
        format!("{whole}.{fraction}")
    } else if -6 < point && point <= 0 {
        format!("0.{}{digits}", "0".repeat((-point) as usize))
    } else {
        let e = point - 1;
        let e = if e < 0 {
            format!("-{}", -e)
        } else {
            format!("+{e}")
        };
        match digits.split_at(1) {
            (first, "") => format!("{first}e{e}"),
            (first, rest) => format!("{first}.{rest}e{e}"),
        }
    };
    format!("{sign}{body}")
}

/// `text` with each number outside strings that no double holds written `null`; `None` when
/// there is none.
fn overflowing_numbers_as_null(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let (mut at, mut copied, mut changed) = (0, 0, false);
    while at < bytes.len() {
        match bytes[at] {
            b'"' => {
                // Past the string, escapes included.
                at += 1;
                while at < bytes.len() && bytes[at] != b'"' {
                    at += if bytes[at] == b'\\' { 2 } else { 1 };
                }
                at += 1;
            }
            b'-' | b'0'..=b'9' => {
                let start = at;
                while at < bytes.len()
                    && matches!(bytes[at], b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
                {
                    at += 1;
                }
                let token = text.get(start..at)?;
                if token.parse::<f64>().is_ok_and(f64::is_infinite) {
                    out.push_str(text.get(copied..start)?);
                    out.push_str("null");
                    copied = at;
                    changed = true;
                }
            }
            _ => at += 1,
        }
    }
    if !changed {
        return None;
    }
    out.push_str(text.get(copied..)?);
    Some(out)
}

/// The first value a path selects (wildcards, slices and descendant searches take the first
/// match) [assumed: Cisco documents no reader's answer for a path that matches several].
/// Filters select nothing: the simulator treats them as absent outputs.
pub fn select<'v>(value: &'v serde_json::Value, path: &str) -> Option<&'v serde_json::Value> {
    let mut current = value;
    for segment in segments(path)? {
        current = match segment {
            Segment::Field(name) => current.get(name.as_str())?,
            Segment::Index(i) => {
                let items = current.as_array()?;
                let at = if i < 0 {
                    items.len().checked_sub(i.unsigned_abs() as usize)?
                } else {
                    i as usize
                };
                items.get(at)?
            }
            Segment::Slice(start, end) => {
                let items = current.as_array()?;
                // Negative bounds count from the end, as in Python and JSONPath.
                let at = |b: i64| match b < 0 {
                    true => items.len().saturating_sub(b.unsigned_abs() as usize),
                    false => (b as usize).min(items.len()),
                };
                let (from, to) = (start.map_or(0, at), end.map_or(items.len(), at));
                items.get(from).filter(|_| from < to)?
            }
            Segment::Wildcard => match current {
                serde_json::Value::Array(items) => items.first()?,
                serde_json::Value::Object(map) => map.values().next()?,
                _ => return None,
            },
            Segment::Descendant(name) => descendant(current, &name)?,
        };
    }
    Some(current)
}

fn descendant<'v>(value: &'v serde_json::Value, name: &str) -> Option<&'v serde_json::Value> {
    match value {
        serde_json::Value::Object(map) => map
            .get(name)
            .or_else(|| map.values().find_map(|v| descendant(v, name))),
        serde_json::Value::Array(items) => items.iter().find_map(|v| descendant(v, name)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbers_read_as_javascript_writes_them() {
        let text = |json: &str| super::text_as_javascript(&serde_json::from_str(json).unwrap());
        for (json, js) in [
            ("100", "100"),
            ("1E2", "100"),
            ("100.0", "100"),
            ("1.50", "1.5"),
            ("-0.0", "0"),
            ("-2.5e-3", "-0.0025"),
            ("0.000001", "0.000001"),
            ("1e-7", "1e-7"),
            ("1.25e-7", "1.25e-7"),
            ("123456789012345680000", "123456789012345680000"),
            ("1e21", "1e+21"),
            ("1.5e300", "1.5e+300"),
            ("9007199254740992", "9007199254740992"),
            ("12345678901234567890", "12345678901234567000"),
            ("-9223372036854775808", "-9223372036854776000"),
            ("0.1", "0.1"),
            ("\"1E2\"", "1E2"),
            ("null", ""),
            ("true", "true"),
            (
                r#"{"a": 1E2, "b": [1.50, "x\u0001", null]}"#,
                r#"{"a":100,"b":[1.5,"x\u0001",null]}"#,
            ),
        ] {
            assert_eq!(text(json), js, "{json}");
        }
    }

    #[test]
    fn a_number_no_double_holds_reads_as_null_and_leaves_the_rest_readable() {
        use super::parse_reply;
        let reply = parse_reply(
            r#"{"a": "hello", "big": 1e400, "neg": [-2E+999], "s": "1e400 \" 9e999", "n": 1.5}"#,
        )
        .unwrap();
        assert_eq!(reply["a"], "hello");
        assert!(reply["big"].is_null() && reply["neg"][0].is_null());
        assert_eq!(reply["s"], "1e400 \" 9e999");
        assert_eq!(reply["n"], 1.5);
        assert_eq!(parse_reply("not json"), None);
        assert_eq!(parse_reply(r#"{"a": 1e400"#), None);
    }

    #[test]
    fn a_slice_selects_the_first_item_in_its_range() {
        use super::select;
        let v: serde_json::Value =
            serde_json::from_str(r#"{"arr": [{"n": 1}, {"n": 2}, {"n": 3}]}"#).unwrap();
        let n = |path: &str| select(&v, path).map(|x| x.to_string());
        assert_eq!(n("$.arr[0:2].n").as_deref(), Some("1"));
        assert_eq!(n("$.arr[1:].n").as_deref(), Some("2"));
        assert_eq!(n("$.arr[-1:].n").as_deref(), Some("3"));
        assert_eq!(n("$.arr[:1]").as_deref(), Some(r#"{"n":1}"#));
        assert_eq!(n("$.arr[2:2]"), None);
        assert_eq!(n("$.arr[5:9]"), None);
    }

    use super::{select, validate};

    #[test]
    fn selects_what_the_token_service_returns() {
        let reply = serde_json::json!({"status": "200", "token": "t", "a": {"b": [1, {"c": "x"}]}, "odd key": 2});
        assert_eq!(select(&reply, "$.token"), Some(&serde_json::json!("t")));
        assert_eq!(select(&reply, "$.a.b[1].c"), Some(&serde_json::json!("x")));
        assert_eq!(select(&reply, "$..c"), Some(&serde_json::json!("x")));
        assert_eq!(select(&reply, "$['odd key']"), Some(&serde_json::json!(2)));
        assert_eq!(select(&reply, "$.a.b[-1].c"), Some(&serde_json::json!("x")));
        assert_eq!(select(&reply, "$.message"), None);
        assert_eq!(select(&reply, "$.a.b[*]"), Some(&serde_json::json!(1)));
    }

    #[test]
    fn accepts_common_paths() {
        for p in [
            "$",
            "$.token",
            "$..id",
            "$.a.b[0]",
            "$['x-y']",
            "$.items[*].id",
            "$[1:3]",
            "$.a[?(@.b == 1)]",
            "$.*",
        ] {
            assert_eq!(validate(p), Ok(()), "{p}");
        }
    }

    #[test]
    fn rejects_broken_paths() {
        for p in [
            "token", "$.", "$..", "$[", "$['x", "$[x]", "$.a]", "$ .a", "$[0",
        ] {
            assert!(validate(p).is_err(), "{p}");
        }
    }
}
