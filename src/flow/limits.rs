//! Limits on a flow: the platform's documented ones, and wxcflow's own bound on size.

use crate::diagnostic::{Code, Diagnostic};

/// The most nodes a flow may have: far beyond any hand-built flow, low enough to bound the work
/// (wxcflow's own bound, not the platform's).
pub(crate) const MAX_NODES: usize = 10_000;
/// The most assignments one transition action takes before Flow Builder is known to struggle.
pub(crate) const MAX_ASSIGNMENTS: usize = 30;
/// Flow settings: the correlation id is at most 250 characters.
pub(crate) const MAX_CORRELATION_ID: usize = 250;
/// The HTTP Request node's connection and request timeouts are each at most 20 s.
pub(crate) const MAX_TIMEOUT_MS: i64 = 20_000;

/// The largest spec, tenant file or flow document read: the platform's own flow size limit.
pub const MAX_INPUT_BYTES: usize = 10 * 1024 * 1024;

/// The largest value a local run keeps (wxcflow's own bound, the platform publishes none): no
/// larger than a whole flow may be. A value growing in a loop stops the run there.
pub const MAX_RUN_VALUE_BYTES: usize = MAX_INPUT_BYTES;

/// The most a local run of a flow keeps, all together: its variables' values, its nodes'
/// outputs, and its trace (requests, replies, assignments), each value counted once as it is
/// made (wxcflow's own bound, the platform publishes none). A dozen values of the largest size
/// fit; a loop copying a large reply on every pass stops the run at the node that passes it,
/// instead of taking the machine's memory.
pub const MAX_RUN_HELD_BYTES: usize = 128 * 1024 * 1024;

/// The largest Flow Designer file (export or Flow Designer spec) read, and written: what
/// `build --target flow-designer` writes for the largest flow it takes (`MAX_NODES` nodes,
/// about 150 MB for a chain of HTTP requests and branches) with room to spare. `build` refuses
/// to write a larger one, so that everything it writes can be read back by `push`, `check`,
/// `diff` and `decompile`. Cisco publishes no import limit (the API answers 400 past its own).
pub const MAX_FD_BYTES: usize = 256 * 1024 * 1024;

/// A diagnostic for an input over [`MAX_INPUT_BYTES`], or `None`.
pub fn too_large(name: &str, len: usize) -> Option<Diagnostic> {
    (len > MAX_INPUT_BYTES).then(|| {
        Diagnostic::new(
            Code::TooLarge,
            format!("{name} is {len} bytes; wxcflow reads at most {MAX_INPUT_BYTES} (10 MB, the platform's flow size limit)"),
        )
    })
}

/// A diagnostic for a Flow Designer file over [`MAX_FD_BYTES`], or `None`.
pub fn too_large_fd(name: &str, len: usize) -> Option<Diagnostic> {
    (len > MAX_FD_BYTES).then(|| {
        Diagnostic::new(
            Code::TooLarge,
            format!("{name} is {len} bytes; wxcflow reads and writes Flow Designer files of at most {MAX_FD_BYTES} (256 MiB, what the largest flow it builds needs)"),
        )
    })
}

/// The most values one TOML file may hold: a spec (Webex Connect or Flow Designer), tenant
/// file, scenario or mock (wxcflow's own bound). Counted by the bytes that introduce a value or a
/// table (`=`, `,`, `[`, `{`), in strings too (so a count is never short of the truth), and 3
/// for each dot of a dotted key (a table, as heavy as the inline `{a=1},`): the 10,000-node
/// chain spec holds 265,000, `decompile` of a 10,000-activity export about 845,000.
/// TOML's parser keeps a few hundred bytes for each value, so a file under the size limit made
/// of tiny values (`x = [{a=1},{a=1},...]`) would take gigabytes.
pub const MAX_TOML_ITEMS: usize = 1_000_000;

/// A diagnostic for TOML text holding more than [`MAX_TOML_ITEMS`], or `None`: one pass over
/// the bytes, before any parser sees the text.
pub fn too_many_items(name: &str, text: &str) -> Option<Diagnostic> {
    let (items, dots) = item_and_dot_bytes(text.as_bytes());
    // A dotted key's table costs the parser what an inline table's `{a=1},` does, counted 3.
    // Every dot counted is at most as many as those outside strings and comments: a file
    // under the limit so (every file but a few) is not scanned for strings.
    let over = |dots: usize| items + 3 * dots > MAX_TOML_ITEMS;
    (over(dots) && over(key_dots(text))).then(|| {
        Diagnostic::new(
            Code::TooLarge,
            format!("{name} holds more than {MAX_TOML_ITEMS} TOML values and tables (counted by the `=`, `,`, `[` and `{{` before them, and 3 for each dot of a dotted key); wxcflow reads at most that many (a flow of 10,000 nodes holds about 265,000)"),
        )
    })
}

/// The bytes that introduce a value or a table (`=`, `,`, `[`, `{`), and the dots, anywhere in
/// `bytes`: counted in blocks small enough for a byte's count, which the compiler turns into
/// vector compares (a 12 MB spec in a few milliseconds).
fn item_and_dot_bytes(bytes: &[u8]) -> (usize, usize) {
    let (mut items, mut dots) = (0, 0);
    for block in bytes.chunks(255) {
        let (mut i, mut d) = (0u8, 0u8);
        for &b in block {
            i += u8::from(b == b'=')
                + u8::from(b == b',')
                + u8::from(b == b'[')
                + u8::from(b == b'{');
            d += u8::from(b == b'.');
        }
        items += usize::from(i);
        dots += usize::from(d);
    }
    (items, dots)
}

/// The dots outside strings and comments: each part of a dotted key (`a.b.c = 1`, `[a.b]`)
/// is a table of its own, which the parser builds as it would a value (a line of a million
/// dots would make a million tables). A float's point is counted too: over-counting is
/// harmless, what makes a table never goes uncounted.
fn key_dots(text: &str) -> usize {
    let b = text.as_bytes();
    let mut dots = 0;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'.' => dots += 1,
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            quote @ (b'"' | b'\'') => {
                let basic = quote == b'"';
                if b[i..].starts_with(&[quote; 3]) {
                    // A multi-line string: to its closing triple quote.
                    i += 3;
                    while i < b.len() && !b[i..].starts_with(&[quote; 3]) {
                        i += if basic && b[i] == b'\\' { 2 } else { 1 };
                    }
                    i += 2;
                } else {
                    // A one-line string: to its closing quote, or the line's end.
                    i += 1;
                    while i < b.len() && b[i] != quote && b[i] != b'\n' {
                        i += if basic && b[i] == b'\\' { 2 } else { 1 };
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    dots
}

/// The most operators, brackets and `elif`s the tags of one template may hold (wxcflow's own
/// bound: Cisco publishes none, and a hand-written condition holds a few dozen). minijinja's
/// parser, and the Pebble rewriting a Flow Designer run does, go one call deeper for each, so
/// a template past this is refused before it is parsed, whatever the stack.
pub const MAX_TEMPLATE_OPERATORS: usize = 500;

/// The most work one template's render in a Flow Designer run does, in minijinja's
/// instructions (wxcflow's own bound, the platform publishes none): a few hundred thousand
/// loop iterations, far beyond what a flow's template needs, reached in well under a second.
/// Loops within loops (ten nested `for`s of ten items each) stop there instead of running for
/// hours.
pub const MAX_TEMPLATE_FUEL: u64 = 1_000_000;

/// The byte range of the token in `text` (a template: `{{ }}` and `{% %}` tags in text) that
/// takes it past [`MAX_TEMPLATE_OPERATORS`], or `None`. Counted, in tags: every punctuation
/// character but `_`, `,` and quotes, and the words `not`, `and`, `or`, `if`, `elif`,
/// `elseif`, `else`, `is`, `in` and `for`, outside string literals, and each interpolation
/// (`#{`) inside a double-quoted one; text outside tags and comments is not counted.
/// Over-counting is harmless; what nests is never under-counted.
pub(crate) fn template_operators_over(text: &str) -> Option<std::ops::Range<usize>> {
    const WORDS: [&str; 10] = [
        "not", "and", "or", "if", "elif", "elseif", "else", "is", "in", "for",
    ];
    let bytes = text.as_bytes();
    let mut count = 0usize;
    let mut at = 0;
    while at + 1 < bytes.len() {
        let close = match (bytes[at], bytes[at + 1]) {
            (b'{', b'{') => b'}',
            (b'{', b'%') => b'%',
            (b'{', b'#') => {
                // A comment: nothing in it is parsed.
                at = text[at + 2..]
                    .find("#}")
                    .map_or(bytes.len(), |i| at + 2 + i + 2);
                continue;
            }
            _ => {
                at += 1;
                continue;
            }
        };
        at += 2;
        // The tag, up to its closing delimiter outside string literals.
        while at < bytes.len() {
            let b = bytes[at];
            if b == close && bytes.get(at + 1) == Some(&b'}') {
                at += 2;
                break;
            }
            let start = at;
            if b == b'"' || b == b'\'' {
                at += 1;
                while at < bytes.len() && bytes[at] != b {
                    // A Pebble string's interpolation (`"#{x}"`) nests an expression, one call
                    // deeper for each: counted as an operator.
                    if b == b'"' && bytes[at..].starts_with(b"#{") {
                        count += 1;
                        if count > MAX_TEMPLATE_OPERATORS {
                            return Some(at..at + 2);
                        }
                    }
                    at += if bytes[at] == b'\\' { 2 } else { 1 };
                }
                at = (at + 1).min(bytes.len());
                continue;
            }
            if b.is_ascii_alphanumeric() || b == b'_' {
                while at < bytes.len() && (bytes[at].is_ascii_alphanumeric() || bytes[at] == b'_') {
                    at += 1;
                }
                if !WORDS.contains(&&text[start..at]) {
                    continue;
                }
            } else {
                at += 1;
                if b.is_ascii_whitespace() || b == b',' || !b.is_ascii() {
                    continue;
                }
            }
            count += 1;
            if count > MAX_TEMPLATE_OPERATORS {
                return Some(start..at);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::{template_operators_over, MAX_TEMPLATE_OPERATORS};

    /// The blocked count is the plain count, whatever the length (a block full of one byte
    /// included), and a file whose dots all sit in strings and comments is not refused for
    /// them, while the same dots in keys are counted.
    #[test]
    fn bytes_are_counted_as_a_plain_count_counts_them() {
        let plain = |t: &[u8]| {
            let items = t
                .iter()
                .filter(|b| matches!(b, b'=' | b',' | b'[' | b'{'))
                .count();
            (items, t.iter().filter(|&&b| b == b'.').count())
        };
        let mut texts: Vec<Vec<u8>> = vec![Vec::new(), b"a.b = [1, {c = 2}]".to_vec()];
        for n in [254, 255, 256, 510, 1000] {
            for b in [b'=', b',', b'[', b'{', b'.', b'x'] {
                texts.push(vec![b; n]);
            }
            texts.push(
                b"k.a = [{x=1},]\n"
                    .iter()
                    .copied()
                    .cycle()
                    .take(n)
                    .collect(),
            );
        }
        for t in &texts {
            assert_eq!(super::item_and_dot_bytes(t), plain(t), "{}", t.len());
        }
        let n = super::MAX_TOML_ITEMS / 3 + 1;
        let quoted = format!("k = \"{}\"\n# {}\n", ".".repeat(n), ".".repeat(n));
        assert!(super::too_many_items("q", &quoted).is_none());
        let keys = format!("k{} = 1\n", ".a".repeat(n));
        assert!(super::too_many_items("k", &keys).is_some());
    }

    #[test]
    fn only_what_nests_in_tags_is_counted() {
        let n = MAX_TEMPLATE_OPERATORS;
        let nots = |k: usize| format!("{{{{ {}x }}}}", "not ".repeat(k));
        assert_eq!(template_operators_over(&nots(n)), None);
        // The one past the limit is the range given.
        let over = nots(n + 1);
        let at = template_operators_over(&over).map(|r| &over[r]);
        assert_eq!(at, Some("not"));
        // Text outside tags, string literals and comments are not counted.
        let prose = "(and) ".repeat(n + 1);
        assert_eq!(template_operators_over(&prose), None);
        let literal = format!("{{{{ \"{}\" }}}}", "(".repeat(n + 1));
        assert_eq!(template_operators_over(&literal), None);
        let comment = format!("{{# {} #}}", "(".repeat(n + 1));
        assert_eq!(template_operators_over(&comment), None);
        // Nor are names that merely begin like an operator word.
        let names = format!("{{{{ {} }}}}", "notes ".repeat(n + 1));
        assert_eq!(template_operators_over(&names), None);
        let elifs = format!("{{% if a %}}{}{{% endif %}}", "{% elif a %}".repeat(n + 1));
        assert!(template_operators_over(&elifs).is_some());
        // A Pebble string's interpolations nest however they are written: each counts, in a
        // string that closes at the next quote or runs on (`"#{#{#{...`).
        let run_on = format!("{{{{ \"{}x{} }}}}", "#{".repeat(n + 1), "}".repeat(n + 1));
        let at = template_operators_over(&run_on).map(|r| &run_on[r]);
        assert_eq!(at, Some("#{"));
        let nested = format!("{{{{ {}x{} }}}}", "\"#{".repeat(n + 1), "}\"".repeat(n + 1));
        assert!(template_operators_over(&nested).is_some());
        let single = format!("{{{{ '{}' }}}}", "#{".repeat(n + 1));
        assert_eq!(template_operators_over(&single), None);
    }
}
