//! Diagnostics as data: codes, spans located in characters, text safe to print, and the
//! diagnostic for people.

use wxcflow::diagnostic::{printable_name, Code, Diagnostic, SourceFile};

#[test]
fn a_printable_name_keeps_to_its_line_and_its_reading_order() {
    assert_eq!(printable_name("acme.fd.json"), "acme.fd.json");
    assert_eq!(
        printable_name("a\nb\u{1b}c\u{2028}d\u{202e}e\u{2067}f\u{200f}g"),
        "a\u{fffd}b\u{fffd}c\u{fffd}d\u{fffd}e\u{fffd}f\u{fffd}g"
    );
    assert_eq!(printable_name("Zürich-東京.json"), "Zürich-東京.json");
}

#[test]
fn a_byte_order_mark_is_no_column() {
    let src = SourceFile::new("a.toml", "\u{feff}[flwo]\n");
    let at = src.text.find("flwo").unwrap();
    assert_eq!(
        (src.span(at..at + 4).line, src.span(at..at + 4).column),
        (1, 2)
    );
    assert_eq!(src.shown_position(at), (1, 2));
    let d = Diagnostic::new(Code::UnknownKey, "unknown key `flwo`")
        .with_span(Some(src.span(at..at + 4)));
    let text = Diagnostic::render_human(&[d], &[&src]);
    assert!(text.contains("1 | [flwo]\n  |  ^^^^\n"), "{text}");
    assert!(!text.contains('\u{feff}'));
}

#[test]
fn codes_are_unique_and_kebab_case() {
    let mut seen = std::collections::HashSet::new();
    for code in Code::ALL {
        let s = code.as_str();
        assert!(seen.insert(s), "duplicate code {s}");
        let rest = s.strip_prefix("wxc::").expect("prefix");
        assert!(rest.chars().all(|c| c.is_ascii_lowercase() || c == '-'));
    }
}

#[test]
fn spans_resolve_lines_and_columns_in_characters() {
    let src = SourceFile::new("a.toml", "x = 1\né = \"$(y)\"\n");
    let offset = src.text.find("$(").unwrap();
    let span = src.span(offset..offset + 4);
    assert_eq!((span.line, span.column), (2, 6));
    // Offsets past the end are clamped.
    assert_eq!(src.span(999..1000).line, 3);
}
