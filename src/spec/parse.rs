//! TOML text to a spanned [`Spec`]. Syntax errors and shape errors (unknown key, missing key, wrong
//! type) come back as located diagnostics; TOML stops at the first such error, semantic checks later
//! collect every problem in one pass.

use super::model::Spec;
use super::shape::{shape_at, Shape, Shaped};
use crate::diagnostic::{did_you_mean, Code, Diagnostic, SourceFile};
use serde::Deserialize as _;
use toml::de::DeTable;
use toml::Spanned;

/// Parses a spec. The source's name is what diagnostics show as the file.
pub(crate) fn parse_spec(source: &SourceFile) -> Result<Spec, Diagnostic> {
    if let Some((spec, ())) = parse_in_parts(source, |_| ()) {
        return Ok(spec);
    }
    spec_from_toml(parse_toml(source)?, source)
}

/// How much of a spec's `[nodes.KEY]` tables is read at once by [`parse_in_parts`].
const PART_BYTES: usize = 64 * 1024;

/// A spec that reads, read a part at a time: its `[nodes.KEY]` tables in runs of about
/// [`PART_BYTES`], each run's TOML parsed and read into nodes before the next, and the rest of
/// the file (every other table, the nodes' text blanked out) parsed once, `literal` given its
/// TOML. `None` when anything does not read, or when the parts could mean something other than
/// the whole (a node in two parts, `nodes` written outside a `[nodes.KEY]` table): the caller
/// then reads the whole file as one, which says what is wrong exactly as it always has.
///
/// Why: TOML's parser holds the whole file's tokens, events and tables at once, about 40 times
/// the text's size, which was the largest thing a large spec's build held. The spec read is
/// the same, value for value and place for place (a test compares them).
pub(crate) fn parse_in_parts<L>(
    source: &SourceFile,
    literal: impl FnOnce(&Spanned<DeTable<'_>>) -> L,
) -> Option<(Spec, L)> {
    read_in_parts(source, PART_BYTES, literal)
}

fn read_in_parts<L>(
    source: &SourceFile,
    at_least: usize,
    literal: impl FnOnce(&Spanned<DeTable<'_>>) -> L,
) -> Option<(Spec, L)> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Part {
        nodes: std::collections::BTreeMap<super::model::S<String>, Box<super::model::NodeSpec>>,
    }
    let text = source.text.as_str();
    let parts = node_parts(text, at_least)?;
    let mut rest = text.as_bytes().to_vec();
    for part in &parts {
        rest[part.clone()].fill(b' ');
    }
    let rest = String::from_utf8(rest).ok()?;
    let toml = DeTable::parse(&rest).ok()?;
    if toml.get_ref().iter().any(|(k, _)| k.get_ref() == "nodes") {
        return None;
    }
    let literal = literal(&toml);
    let mut spec = Spec::deserialize(toml::de::Deserializer::from(toml)).ok()?;
    drop(rest);
    for part in parts {
        let toml = DeTable::parse(&text[part.clone()]).ok()?;
        let read = {
            let _placed = super::model::Shifted::by(part.start);
            Part::deserialize(toml::de::Deserializer::from(toml))
        };
        for (key, node) in read.ok()?.nodes {
            if spec.nodes.contains_key(key.get_ref().as_str()) {
                return None;
            }
            spec.nodes.insert(key, node);
        }
    }
    Some((spec, literal))
}

/// The byte ranges of a spec's text that hold its `[nodes.KEY]` tables, in runs of at least
/// `at_least` bytes (the last may be shorter), each starting at a `[nodes.KEY]` header and
/// ending where a table other than a node's starts, or at the end. Tables are told by TOML's
/// tokens: a `[` that starts a line outside any array or inline table. `None` for text whose
/// brackets do not pair (it does not read).
fn node_parts(text: &str, at_least: usize) -> Option<Vec<std::ops::Range<usize>>> {
    use toml_parser::lexer::TokenKind as K;
    let mut tokens = toml_parser::Source::new(text).lex();
    let mut parts = Vec::new();
    let mut open: Option<usize> = None;
    let mut depth = 0usize;
    let mut line_start = true;
    while let Some(token) = tokens.next() {
        match token.kind() {
            K::Eof => break,
            K::Whitespace | K::Comment => {}
            K::Newline => line_start |= depth == 0,
            K::LeftSquareBracket if depth == 0 && line_start => {
                let at = token.span().start();
                let (array, keys) = read_header(&mut tokens, text)?;
                let node = keys.first().is_some_and(|k| *k == Some("nodes"));
                let starts_node = node && !array && keys.len() == 2 && keys[1].is_some();
                match open {
                    Some(from) if !node || (starts_node && at - from >= at_least) => {
                        parts.push(from..at);
                        open = node.then_some(at);
                    }
                    Some(_) => {}
                    None => open = node.then_some(at),
                }
                line_start = false;
            }
            K::LeftSquareBracket | K::LeftCurlyBracket => {
                depth += 1;
                line_start = false;
            }
            K::RightSquareBracket | K::RightCurlyBracket => {
                depth = depth.checked_sub(1)?;
                line_start = false;
            }
            _ => line_start = false,
        }
    }
    if let Some(from) = open {
        parts.push(from..text.len());
    }
    Some(parts)
}

/// A table header after its opening `[`, up to and with its closing `]` (`]]` for an array
/// of tables): whether it is an array of tables, and its keys, each bare key as written and a
/// quoted one as `None`. `None` for a header that does not close on its line.
fn read_header<'t>(
    tokens: &mut toml_parser::lexer::Lexer<'_>,
    text: &'t str,
) -> Option<(bool, Vec<Option<&'t str>>)> {
    use toml_parser::lexer::TokenKind as K;
    let mut keys = Vec::new();
    let mut array = false;
    let mut first = true;
    loop {
        let token = tokens.next()?;
        let raw = text.get(token.span().start()..token.span().end())?;
        match token.kind() {
            K::LeftSquareBracket if first => array = true,
            K::Whitespace | K::Dot => {}
            K::Atom => keys.push(Some(raw)),
            K::BasicString | K::LiteralString => keys.push(None),
            K::RightSquareBracket => {
                if array {
                    let close = tokens.next()?;
                    if close.kind() != K::RightSquareBracket {
                        return None;
                    }
                }
                return Some((array, keys));
            }
            _ => return None,
        }
        first = false;
    }
}

/// The spec's TOML syntax, parsed once for every reader of it (the spec's shape, and where it
/// writes secrets literally).
pub(crate) fn parse_toml(source: &SourceFile) -> Result<Spanned<DeTable<'_>>, Diagnostic> {
    DeTable::parse(&source.text).map_err(|e| {
        workflow_given(source)
            .unwrap_or_else(|| located(Code::TomlSyntax, &e, source, syntax_message(&e)))
    })
}

/// For a text that failed as TOML: a `.workflow` export given where a spec is read, named as
/// one. Told apart only after the failure, so a spec that reads pays nothing.
pub(crate) fn workflow_given(source: &SourceFile) -> Option<Diagnostic> {
    (crate::InputKind::detect(source.text.as_bytes()) == crate::InputKind::Workflow).then(|| {
        Diagnostic::new(
            Code::TomlSyntax,
            format!(
                "{} is a Webex Connect `.workflow` export, not a spec: its flow is encrypted with Cisco's key, which is not public",
                source.name
            ),
        )
        .with_help("`wxcflow inspect` measures a .workflow export and `wxcflow diff` compares two; to work on the flow, write it as a spec (docs/spec.md)")
    })
}

/// The spec's shape, read from its parsed TOML: syntax first, then shape, so a syntax error is
/// never taken for a shape error.
pub(crate) fn spec_from_toml(
    toml: Spanned<DeTable<'_>>,
    source: &SourceFile,
) -> Result<Spec, Diagnostic> {
    Spec::deserialize(toml::de::Deserializer::from(toml))
        .map_err(|e| shape_error::<Spec>(&e, source))
}

fn syntax_message(e: &toml::de::Error) -> String {
    format!("invalid TOML: {}", e.message().trim_end())
}

fn located(code: Code, e: &toml::de::Error, source: &SourceFile, message: String) -> Diagnostic {
    Diagnostic::new(code, message).with_span(e.span().map(|r| source.span(r)))
}

/// A shape error of a file read into `M`: an unknown key (with did-you-mean), a missing key, a
/// wrong type, in TOML's terms.
pub(crate) fn shape_error<M: Shaped>(e: &toml::de::Error, source: &SourceFile) -> Diagnostic {
    let shape = e.span().and_then(|span| shape_at::<M>(&source.text, span));
    match shape {
        Some(Shape::UnknownKey { key, expected }) => {
            let help = did_you_mean(&key, expected.iter().copied()).or_else(|| {
                (!expected.is_empty()).then(|| format!("expected one of: {}", expected.join(", ")))
            });
            located(Code::UnknownKey, e, source, format!("unknown key `{key}`"))
                .with_optional_help(help)
        }
        Some(Shape::MissingKey { key }) => located(
            Code::MissingKey,
            e,
            source,
            format!("missing required key `{key}`"),
        ),
        // A wrong type ("invalid type: ...", "invalid value: ..."): what was found and what was
        // expected live only in serde's message, which speaks of Rust types.
        None => {
            let spanned = e.span().and_then(|r| source.text.get(r));
            let why = match crate::diagnostic::integer_too_large(spanned) {
                true => crate::diagnostic::INTEGER_TOO_LARGE.to_string(),
                false => crate::diagnostic::in_toml_terms(e.message().trim_end()),
            };
            located(Code::WrongType, e, source, why)
        }
    }
}

impl Spec {
    /// Parses a spec's text into the model, or the one diagnostic that says why not.
    pub fn parse(source: &SourceFile) -> Result<Spec, Diagnostic> {
        parse_spec(source)
    }
}

#[cfg(test)]
mod workflow_tests {
    use super::*;

    #[test]
    fn a_workflow_export_given_as_a_spec_is_named_as_one() {
        let export = SourceFile::new("flow.workflow", "0a1b2c3d4e5f\n9a8b7c6d\n");
        let d = parse_spec(&export).unwrap_err();
        assert_eq!(d.code, Code::TomlSyntax);
        assert!(
            d.message
                .starts_with("flow.workflow is a Webex Connect `.workflow` export, not a spec"),
            "{}",
            d.message
        );
        // Text that is neither keeps TOML's own message.
        let broken = SourceFile::new("broken.toml", "[flow\n");
        assert!(parse_spec(&broken)
            .unwrap_err()
            .message
            .starts_with("invalid TOML"));
    }
}

#[cfg(test)]
mod part_tests {
    use super::*;

    /// What `literal` is given, as it concerns the spec's secrets: the variables and parameters.
    fn declarations(toml: &Spanned<DeTable<'_>>) -> String {
        let wanted = ["variables", "params"];
        let kept: Vec<_> = (toml.get_ref().iter())
            .filter(|(k, _)| wanted.contains(&k.get_ref().as_ref()))
            .collect();
        format!("{kept:?}")
    }

    /// Read in parts of every size, a text reads as it does whole: the same spec, value for
    /// value and place for place, and the same declarations; or, when it does not read whole,
    /// not in parts either (the caller then reads it whole).
    fn same_as_whole(name: &str, text: &str) {
        let source = SourceFile::new(name, text);
        let whole = parse_toml(&source).ok().and_then(|toml| {
            let declared = declarations(&toml);
            spec_from_toml(toml, &source)
                .ok()
                .map(|spec| (format!("{spec:?}"), declared))
        });
        for at_least in [0, 1, 300, PART_BYTES] {
            let parts = read_in_parts(&source, at_least, declarations)
                .map(|(spec, declared)| (format!("{spec:?}"), declared));
            match (&whole, &parts) {
                (Some(w), Some(p)) => assert!(w == p, "{name} read in parts of {at_least}"),
                (None, None) => {}
                // A part that does not read alone while the whole does (a node's tables in two
                // runs, `nodes` written outside its tables): read whole, so only slower.
                (Some(_), None) => assert!(
                    name.starts_with("whole"),
                    "{name} did not read in parts of {at_least}"
                ),
                (None, Some(_)) => panic!("{name} reads in parts of {at_least}, not whole"),
            }
        }
    }

    #[test]
    fn every_fixture_and_template_reads_in_parts_as_it_reads_whole() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut seen = 0;
        let mut dirs = vec![root.join("fixtures"), root.join("templates")];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "toml") {
                    // A few fixtures are not UTF-8 on purpose: no spec is read from them.
                    if let Ok(text) = std::fs::read_to_string(&path) {
                        same_as_whole(&path.display().to_string(), &text);
                        seen += 1;
                    }
                }
            }
        }
        assert!(seen > 100, "{seen} files");
    }

    const HEAD: &str = "[flow]\nname = \"T\"\n\n[trigger]\ntype = \"webhook\"\nevent = \"E\"\nsample = '{}'\nnext = \"a\"\n\n[variables.V]\ndefault = \"x\"\nsecret = true\n\n";

    #[test]
    fn tables_of_every_form_read_in_parts_as_whole() {
        let cases = [
            // Sub-tables and arrays of tables of a node, comments, indentation, quoted keys,
            // brackets at the start of lines inside values.
            "[nodes.a]\ntype = \"branch\" # c\n[[nodes.a.branches]]\nname = \"Ok\"\nall = [\n[\"$(V)\", \"equals\", \"1\"],\n]\n  [nodes.a.next]\nOk = \"b\"\n\n[nodes.\"b\"]\ntype = \"http\"\nmethod = \"GET\"\nurl = \"https://e.com\"\nheaders = {\nA = \"[nodes.x]\" }\n",
            // A table other than a node's between nodes, and after them.
            "[nodes.a]\ntype = \"http\"\n[outcomes.Late]\ncode = 3\n[nodes.b]\ntype = \"http\"\nnote = '''\n[nodes.c]\n'''\n[outcomes.Later]\n",
            // CRLF lines, and a header written with spaces.
            "[nodes.a]\r\ntype = \"http\"\r\n[ nodes . b ]\r\ntype = \"http\"\r\n",
            // Wrong: a node twice, a value missing, a bracket unpaired, an unknown key.
            "[nodes.a]\ntype = \"http\"\n[nodes.a]\ntype = \"http\"\n",
            "[nodes.a]\ntype =\n[nodes.b]\ntype = \"http\"\n",
            "[nodes.a]\ntype = [\"http\"\n[nodes.b]\ntype = \"http\"\n",
            "[nodes.a]\ntype = \"http\"\nwrong = 1\n[nodes.b]\ntype = \"http\"\n",
            "[nodes.a]\ntype = \"http\"\n]\n[nodes.b]\ntype = \"http\"\n",
            "[nodes.a]\ntype = \"http\"\n[[nodes.b]]\ntype = \"http\"\n",
        ];
        for (i, body) in cases.iter().enumerate() {
            same_as_whole(&format!("case{i}"), &format!("{HEAD}{body}"));
        }
        let whole = [
            // A node's tables apart, with another node between.
            "[nodes.a]\ntype = \"http\"\n[nodes.b]\ntype = \"http\"\n[nodes.a.headers]\nX = \"1\"\n",
            // `nodes` written outside a node's table.
            "nodes.z.type = \"http\"\n[nodes.a]\ntype = \"http\"\n",
        ];
        for (i, body) in whole.iter().enumerate() {
            same_as_whole(&format!("whole{i}"), &format!("{HEAD}{body}"));
        }
    }

    #[test]
    fn a_large_spec_reads_in_parts() {
        let mut text = HEAD.to_string();
        for i in 0..400 {
            text.push_str(&format!(
                "[nodes.n{i}]\ntype = \"http\"\nmethod = \"GET\"\nurl = \"https://e.com/{i}\"\nnext = {{ onSuccess = \"n{}\" }}\n\n",
                i + 1
            ));
        }
        let parts = node_parts(&text, 300).unwrap();
        assert!(parts.len() > 50, "{parts:?}");
        let source = SourceFile::new("large.toml", text.as_str());
        assert!(read_in_parts(&source, 300, |_| ()).is_some());
        same_as_whole("large", &text);
    }
}
