//! The names a Flow Designer (Pebble) template reads: `{{ Token }}`, `{{ Get.httpStatusCode ==
//! 200 }}`, `{{ NewPhoneContact.ANI | slice(1) }}`, `{% if Status == 'done' %}`. Only the head
//! of each name is taken (`Get` of `Get.httpStatusCode`): a variable or an activity. What is not
//! a read is left out: members after `.`, filters and their arguments' names after `|`, tests
//! after `is` / `is not`, functions (a name before `(`), keywords, numbers and string literals.
//! Names a `{% for x in ... %}` or `{% set x = ... %}` introduces are locals, never reported.

use std::ops::Range;

/// Words taken as Pebble's operators, never as names (`and`, `or`, `not`, `is`, `contains`,
/// ...); its literals are [`LITERALS`]. Assumption: the list follows Pebble's own
/// documentation, not Cisco's; a variable named like one of these would go unchecked.
const KEYWORDS: [&str; 10] = [
    "and", "or", "not", "is", "in", "contains", "equals", "matches", "if", "else",
];

/// The words Pebble's parser reads as literals wherever a name would stand: `true`, `false`,
/// `none` and `null`, each in lower case or in capitals (`TRUE`), never in another case (`True`
/// is a name). A variable or activity so named cannot be read in an expression.
pub const LITERALS: [&str; 8] = [
    "true", "TRUE", "false", "FALSE", "none", "NONE", "null", "NULL",
];

/// Whether Pebble reads `word`, standing where a name would, as a literal.
pub fn is_literal(word: &str) -> bool {
    LITERALS.contains(&word)
}

/// Whether Pebble reads `word` as something other than a name: a literal or an operator
/// ([`KEYWORDS`], in which `{{ not.httpStatusCode }}` does not parse). A variable or activity
/// so named cannot be read in an expression.
pub fn is_reserved(word: &str) -> bool {
    is_literal(word) || KEYWORDS.contains(&word)
}

/// One name read by a template, with its byte range in the text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Read<'a> {
    /// The name's head, e.g. `HTTPRequest_x` of `HTTPRequest_x.httpStatusCode`.
    pub name: &'a str,
    /// Where the head stands in the text.
    pub range: Range<usize>,
}

/// A string literal that opens at `b[start]` (`"` or `'`), read as Pebble's lexer reads it: a
/// backslash escapes the next character; in a double-quoted string (only there) `#{` opens an
/// interpolation, an expression that runs to its `}` (brackets and strings inside it nested),
/// which Pebble evaluates and writes into the string (`"Hello #{who}"`). Returns where the
/// closing quote stands (`b.len()` when there is none) and each interpolation's expression, as
/// a byte range.
pub(crate) fn string_literal(b: &[u8], start: usize) -> (usize, Vec<Range<usize>>) {
    // One pass with a stack of what is open, not a call per level: a string's interpolation
    // may hold a string that interpolates, as deep as the text goes (an export's URL nested
    // 70,000 times overflowed the stack, and each level was scanned again by the next).
    let mut parts = Vec::new();
    let mut open = vec![Open::Text(b[start])];
    let mut i = start + 1;
    while i < b.len() {
        let (outermost, first_interpolation) = (open.len() == 1, open.len() == 2);
        match open.last_mut() {
            Some(Open::Text(quote)) => {
                let quote = *quote;
                if b[i] == b'\\' {
                    i += 1;
                } else if b[i] == quote {
                    open.pop();
                    if outermost {
                        return (i, parts);
                    }
                } else if quote == b'"' && b[i..].starts_with(b"#{") {
                    i += 1;
                    open.push(Open::Interpolation {
                        depth: 0,
                        body: i + 1,
                    });
                }
            }
            Some(Open::Interpolation { depth, body }) => match b[i] {
                b'"' | b'\'' => open.push(Open::Text(b[i])),
                b'(' | b'[' | b'{' => *depth += 1,
                b'}' if *depth == 0 => {
                    if first_interpolation {
                        parts.push(*body..i);
                    }
                    open.pop();
                }
                b')' | b']' | b'}' => *depth = depth.saturating_sub(1),
                _ => {}
            },
            None => unreachable!("the outermost string returns when it closes"),
        }
        i += 1;
    }
    // Unclosed: an interpolation of the outermost string left open runs to the end.
    if let Some(Open::Interpolation { body, .. }) = open.get(1) {
        parts.push(*body..b.len());
    }
    (b.len(), parts)
}

/// What is open at a point of a string literal: a string (its quote) or an interpolation (its
/// brackets open, where its expression starts).
enum Open {
    Text(u8),
    Interpolation { depth: usize, body: usize },
}

/// Where a `{{` or `{%` block whose body starts at `start` ends: the first `close` (`}}` or
/// `%}`) outside strings and brackets, as Pebble's lexer reads it (`{{ "}}" }}` is one block);
/// `None` when it does not close.
pub(crate) fn block_end(text: &str, start: usize, close: &str) -> Option<usize> {
    let b = text.as_bytes();
    let mut depth = 0usize;
    let mut i = start;
    while i < b.len() {
        if depth == 0 && b[i..].starts_with(close.as_bytes()) {
            return Some(i);
        }
        match b[i] {
            b'"' | b'\'' => i = string_literal(b, i).0,
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    None
}

/// Every name `text` reads in its `{{ ... }}` and `{% ... %}` blocks, and the locals it
/// introduces (`for` and `set` tags).
pub fn reads(text: &str) -> (Vec<Read<'_>>, Vec<&str>) {
    let mut found = Vec::new();
    let mut locals = Vec::new();
    let mut at = 0;
    while let Some(open) = next_open(text, at) {
        let (close_marker, is_tag) = if text[open..].starts_with("{{") {
            ("}}", false)
        } else {
            ("%}", true)
        };
        let start = open + 2;
        let Some(end) = block_end(text, start, close_marker) else {
            break;
        };
        if is_tag {
            found.extend(tag_reads(text, start..end, &mut locals));
        } else {
            found.extend(expression_reads(text, start..end));
        }
        at = end + 2;
    }
    (found, locals)
}

/// The whole of `text` read as one expression (a setting that names a value without braces,
/// such as a Parse activity's `inputVariable`).
pub fn expression(text: &str) -> Vec<Read<'_>> {
    expression_reads(text, 0..text.len())
}

/// Why Pebble could not parse `text` as a template, and where (a byte range): a `{{` or `{%`
/// without its close, a string without its closing quote, a bracket left open or closed by
/// another, or braces around no `key: value` (`{{{Name}}}` is `{{`, then the map literal
/// `{Name}`, which Pebble refuses). As Pebble's lexer, a block ends at the first `}}` (`%}`)
/// outside strings and brackets. `None` when none of these is found (not a proof that it
/// parses).
pub fn syntax_error(text: &str) -> Option<(Range<usize>, &'static str)> {
    let b = text.as_bytes();
    let mut at = 0;
    while let Some(open) = next_open(text, at) {
        let (close, unclosed): (&[u8], _) = if b[open + 1] == b'{' {
            (b"}}", "a `{{` without its closing `}}`")
        } else {
            (b"%}", "a `{%` without its closing `%}`")
        };
        // Open brackets: the character that closes each, where it stands, and whether a `:`
        // stood in it (a map literal's `key: value`).
        let mut open_brackets: Vec<(u8, usize, bool)> = Vec::new();
        let mut i = open + 2;
        loop {
            if i >= b.len() {
                return Some(match open_brackets.last() {
                    Some(&(_, at, _)) => (at..at + 1, "a bracket without its close"),
                    None => (open..open + 2, unclosed),
                });
            }
            if open_brackets.is_empty() && b[i..].starts_with(close) {
                break;
            }
            match b[i] {
                b'"' | b'\'' => {
                    let start = i;
                    i = string_literal(b, i).0;
                    if i >= b.len() {
                        return Some((start..start + 1, "a string without its closing quote"));
                    }
                }
                b'(' => open_brackets.push((b')', i, false)),
                b'[' => open_brackets.push((b']', i, false)),
                b'{' => open_brackets.push((b'}', i, false)),
                c @ (b')' | b']' | b'}') => match open_brackets.pop() {
                    Some((want, start, colon)) if want == c => {
                        let empty = text[start + 1..i].trim().is_empty();
                        if c == b'}' && !colon && !empty {
                            return Some((start..i + 1, "braces around no `key: value` (Pebble reads `{` in an expression as a map)"));
                        }
                    }
                    Some(_) => return Some((i..i + 1, "a bracket closed by another")),
                    None => return Some((i..i + 1, "a closing bracket without its opening")),
                },
                b':' => {
                    if let Some(last) = open_brackets.last_mut() {
                        last.2 = true;
                    }
                }
                _ => {}
            }
            i += 1;
        }
        at = i + close.len();
    }
    None
}

/// The `{{ name }}` blocks of `text` that print one name whole, each with the byte range of the
/// whole block: what a value put in its place replaces. Blocks that compute (`{{ a | upper }}`,
/// `{{ a ~ b }}`) and tags are left out: what they print is not one value.
pub(crate) fn whole_reads(text: &str) -> Vec<(&str, Range<usize>)> {
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(open) = next_open(text, at) {
        let close = if text[open..].starts_with("{{") {
            "}}"
        } else {
            "%}"
        };
        let Some(end) = block_end(text, open + 2, close) else {
            break;
        };
        let inner = text[open + 2..end].trim();
        let name = !inner.is_empty()
            && inner
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if close == "}}" && name {
            found.push((inner, open..end + 2));
        }
        at = end + 2;
    }
    found
}

fn next_open(text: &str, from: usize) -> Option<usize> {
    // One pass for either opening: looking for each apart scans the rest of a text with many
    // of one and none of the other again for every block.
    let rest = text.get(from..)?.as_bytes();
    rest.windows(2)
        .position(|w| w[0] == b'{' && matches!(w[1], b'{' | b'%'))
        .map(|i| from + i)
}

/// The names a tag (`text[range]`, inside `{% %}`) reads: `if` and `elseif` read their
/// condition; `for x in list` and `set x = value` read the list or value and introduce `x`;
/// every other tag (`endif`, `else`, a macro, a block) reads nothing here.
fn tag_reads<'a>(text: &'a str, range: Range<usize>, locals: &mut Vec<&'a str>) -> Vec<Read<'a>> {
    let inner = &text[range.clone()];
    let lead = inner.len() - inner.trim_start().len();
    let word_len = inner[lead..]
        .bytes()
        .take_while(|b| is_name_char(*b))
        .count();
    let after = range.start + lead + word_len;
    let keyword = &inner[lead..lead + word_len];
    match keyword {
        "if" | "elseif" => expression_reads(text, after..range.end),
        "for" | "set" => {
            let mut names = expression_reads(text, after..range.end).into_iter();
            locals.extend(names.next().map(|r| r.name));
            if keyword == "for" {
                // Pebble's loop variable (`loop.index`) exists inside every `for`.
                locals.push("loop");
            }
            names.collect()
        }
        _ => Vec::new(),
    }
}

fn is_name_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

fn is_name_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// The names read in `text[range]`.
fn expression_reads(text: &str, range: Range<usize>) -> Vec<Read<'_>> {
    let bytes = &text.as_bytes()[..range.end];
    let mut out = Vec::new();
    // What is open, outermost first: the expression, then strings and the expressions they
    // interpolate (`"#{x}"`), each with what it last read. One pass, no call per level: the
    // nesting is as deep as the text makes it.
    let mut open = vec![Reading::Expression(Words::default())];
    let mut i = range.start;
    while i < range.end {
        let c = bytes[i];
        let interpolated = open.len() > 1;
        let words = match open.last_mut() {
            Some(Reading::Text(quote)) => {
                let quote = *quote;
                if c == b'\\' {
                    i += 1;
                } else if c == quote {
                    open.pop();
                    if let Some(Reading::Expression(words)) = open.last_mut() {
                        words.previous = Some(c);
                        words.last = ["", ""];
                    }
                } else if quote == b'"' && bytes[i..].starts_with(b"#{") {
                    i += 1;
                    open.push(Reading::Expression(Words::default()));
                }
                i += 1;
                continue;
            }
            Some(Reading::Expression(words)) => words,
            None => unreachable!("the outermost expression is never closed"),
        };
        if c == b'"' || c == b'\'' {
            open.push(Reading::Text(c));
            i += 1;
            continue;
        }
        if interpolated {
            // An interpolation ends at its `}` outside brackets.
            match c {
                b'(' | b'[' | b'{' => words.depth += 1,
                b'}' if words.depth == 0 => {
                    open.pop();
                    i += 1;
                    continue;
                }
                b')' | b']' | b'}' => words.depth = words.depth.saturating_sub(1),
                _ => {}
            }
        }
        if c.is_ascii_digit() {
            while i < range.end && (is_name_char(bytes[i]) || bytes[i] == b'.') {
                i += 1;
            }
            words.previous = Some(b'0');
            continue;
        }
        if !is_name_start(c) {
            if !c.is_ascii_whitespace() {
                words.previous = Some(c);
                words.last = ["", ""];
            }
            i += 1;
            continue;
        }
        let start = i;
        while i < range.end && is_name_char(bytes[i]) {
            i += 1;
        }
        let word = &text[start..i];
        let next = bytes[i..range.end]
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .copied();
        let member_or_filter = matches!(words.previous, Some(b'.') | Some(b'|'));
        let last = words.last;
        let test = last[1] == "is" || (last[1] == "not" && last[0] == "is");
        let keyword = KEYWORDS.contains(&word) || is_literal(word);
        let function = next == Some(b'(');
        if !(member_or_filter || test || keyword || function) {
            out.push(Read {
                name: word,
                range: start..i,
            });
        }
        words.last = [last[1], word];
        words.previous = Some(b'a');
    }
    out
}

/// What is open where an expression is read: an expression (the outermost, or one a string
/// interpolates) or a string (its quote).
enum Reading<'a> {
    Expression(Words<'a>),
    Text(u8),
}

/// What an expression last read: the last significant character before a word, the last two
/// words (for `is` and `is not`), and how many brackets are open (an interpolation's ends at
/// its `}` outside them).
#[derive(Default)]
struct Words<'a> {
    previous: Option<u8>,
    last: [&'a str; 2],
    depth: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<&str> {
        reads(text).0.into_iter().map(|r| r.name).collect()
    }

    #[test]
    fn heads_of_names_are_read() {
        assert_eq!(names("Bearer {{Token}}"), ["Token"]);
        assert_eq!(
            names("{{ GetIdentity.httpStatusCode == 200 }}"),
            ["GetIdentity"]
        );
        assert_eq!(
            names("{{NewPhoneContact.ANI|slice(1)}} {{ NewPhoneContact.ANI |  urlencode }}"),
            ["NewPhoneContact", "NewPhoneContact"]
        );
        assert_eq!(names("{{Status=='complete'}}"), ["Status"]);
        assert_eq!(names("{{ \"english\" }}"), Vec::<&str>::new());
        assert_eq!(
            names("{{ a is not empty and b is null or not c }}"),
            ["a", "b", "c"]
        );
        assert_eq!(names("{{ x | default(y) }}"), ["x", "y"]);
        assert_eq!(names("{{ range(1, 3) }} {{ 2.5 }}"), Vec::<&str>::new());
        assert_eq!(names("{{ m['k'].v }}"), ["m"]);
        assert_eq!(names("{\"a\": {\"b\": 1}}"), Vec::<&str>::new());
        // Pebble's literals, in lower case or capitals; in another case a name.
        assert_eq!(
            names("{{ TRUE or NULL == none or FALSE }} {{ True ~ Null }}"),
            ["True", "Null"]
        );
    }

    #[test]
    fn a_double_quoted_string_reads_what_it_interpolates() {
        assert_eq!(
            names("{{ \"PIN #{Pin} of #{ m['k'] ~ \"#{n}\" }\" }}"),
            ["Pin", "m", "n"]
        );
        // Single quotes and an escaped `#` interpolate nothing; a `#` alone is text.
        assert_eq!(
            names("{{ '#{Pin}' ~ \"\\#{Pin} # {Pin}\" }}"),
            Vec::<&str>::new()
        );
        assert_eq!(syntax_error("{{ \"#{ \"}}\" }\" }}"), None);
    }

    #[test]
    fn strings_nested_as_deep_as_the_text_are_read_in_one_pass() {
        // 200,000 strings, each interpolating the next, a bracket open in each: read without a
        // call per level (a test thread's 2 MiB stack overflowed at a few thousand levels).
        let levels = 200_000;
        let text = format!(
            "{{{{ {}Inner{} ~ After }}}}",
            "\"#{[".repeat(levels),
            "]}\"".repeat(levels)
        );
        assert_eq!(names(&text), ["Inner", "After"]);
        assert_eq!(syntax_error(&text), None);
        let quote = text.find('"').unwrap();
        let (end, parts) = string_literal(text.as_bytes(), quote);
        assert_eq!(end, text.rfind('"').unwrap());
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0], quote + 3..end - 1);
        // Left open at every level: the outermost interpolation runs to the end.
        let open = format!("{{{{ {}Inner", "\"#{(".repeat(levels));
        assert_eq!(names(&open), Vec::<&str>::new());
        assert_eq!(reads(&format!("{open} }}}}")).0.len(), 0);
        let (end, parts) = string_literal(open.as_bytes(), 3);
        assert_eq!((end, parts.len()), (open.len(), 1));
        assert_eq!(parts[0], 6..open.len());
        assert_eq!(expression(&open[3..]).len(), 1);
    }

    #[test]
    fn tags_read_and_introduce_names() {
        let (found, locals) = reads("{% for item in items %}{{ item.id }}{% endfor %}");
        let found: Vec<&str> = found.iter().map(|r| r.name).collect();
        assert_eq!(found, ["items", "item"]);
        assert_eq!(locals, ["item", "loop"]);
        assert_eq!(
            names("{% if Status == 'x' %}y{% elseif b %}"),
            ["Status", "b"]
        );
    }

    #[test]
    fn templates_pebble_cannot_parse_are_told() {
        for fine in [
            "{\"data\": {{ \"{\" }}{{Fields}}}}",
            "{{ {\"a\": 1}}}",
            "{{ m['k'] }} {% if (a) %}x{% endif %} {{ {} }}",
            "{{ \"}}\" }}",
            "no template } at all {",
        ] {
            assert_eq!(syntax_error(fine), None, "{fine}");
        }
        fn told(text: &str) -> Option<(&str, &'static str)> {
            syntax_error(text).map(|(r, why)| (&text[r], why))
        }
        assert_eq!(
            told("{\"data\": {{{Fields}}}}"),
            Some((
                "{Fields}",
                "braces around no `key: value` (Pebble reads `{` in an expression as a map)"
            ))
        );
        assert_eq!(
            told("Bearer {{Token"),
            Some(("{{", "a `{{` without its closing `}}`"))
        );
        assert_eq!(
            told("{{ a ~ 'x }}"),
            Some(("'", "a string without its closing quote"))
        );
        assert_eq!(
            told("{{ f(a] }}"),
            Some(("]", "a bracket closed by another"))
        );
        assert_eq!(
            told("{% if a) %}"),
            Some((")", "a closing bracket without its opening"))
        );
    }

    #[test]
    fn ranges_point_at_the_name() {
        let text = "Bearer {{ Tok.en }}";
        let r = &reads(text).0[0];
        assert_eq!(&text[r.range.clone()], "Tok");
    }
}
