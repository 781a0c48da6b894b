//! A syntax check for the JSONPath expressions that pick HTTP response fields (`$.token`).
//! Accepted: `$`, then any of `.name`, `..name`, `.*`, `[n]`, `[*]`, `['name']`, `["name"]`,
//! `[start:end]` and filters `[?(...)]`.

/// Checks a JSONPath; on failure says what is wrong and at which character.
pub fn validate(path: &str) -> Result<(), String> {
    let chars: Vec<char> = path.chars().collect();
    if chars.first() != Some(&'$') {
        return Err("a JSONPath starts with `$` (e.g. `$.token`)".into());
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
                    return Err(format!(
                        "expected a field name after `.` at character {}",
                        i + 1
                    ));
                }
            }
            '[' => i = bracket(&chars, i)?,
            c => {
                return Err(format!(
                    "unexpected `{c}` at character {}: use `.name` or `['name']`",
                    i + 1
                ))
            }
        }
    }
    Ok(())
}

fn is_name_char(c: char) -> bool {
    !matches!(c, '.' | '[' | ']' | '\'' | '"' | '(' | ')' | '$') && !c.is_whitespace()
}

/// Parses one `[...]` starting at `open`; returns the index after `]`.
fn bracket(chars: &[char], open: usize) -> Result<usize, String> {
    let at = |i: usize| format!("character {}", i + 1);
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
                return Err(format!("unclosed quote opened at {}", at(start - 1)));
            }
            if i == start {
                return Err(format!("empty field name at {}", at(start)));
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
                    None => return Err(format!("unclosed `[` at {}", at(open))),
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
                return Err(format!(
                    "expected an index, `*` or a quoted name at {}",
                    at(start)
                ));
            }
        }
    }
    if chars.get(i) != Some(&']') {
        return Err(format!("expected `]` at {}", at(i)));
    }
    Ok(i + 1)
}

#[cfg(test)]
mod tests {
    use super::validate;

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
