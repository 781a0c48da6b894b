//! What a flow template may say: literal text, `{{ value }}` with a few filters, and
//! `{% if %}` / `{% elif %}` / `{% else %}` / `{% endif %}`; nothing else (no loops, `set`,
//! macros, includes, calls, arithmetic, attribute or item access). So what a string renders is
//! never more than its text plus, for each `{{ }}`, a small multiple of one value: the bound is
//! known before anything is rendered, and a template cannot build gigabytes.
//!
//! Each string is read once, when the template is compiled, by this small scanner over minijinja's
//! delimiters; minijinja has parsed it first, so tags and string literals are well formed.

use minijinja::Value;
use std::collections::BTreeMap;
use std::ops::Range;

/// The largest string one template value may render to.
pub(crate) const MAX_VALUE_BYTES: u64 = 1024 * 1024;

/// The most all the template values of one render may add up to: the platform's flow size limit.
pub(crate) const MAX_RENDER_BYTES: u64 = 10 * 1024 * 1024;

/// The filters a template may use, with how many bytes one byte of input can become (changing
/// case can lengthen a character's UTF-8 at most threefold: `ŉ` to `ʼN`).
const FILTERS: [(&str, u64); 5] = [
    ("upper", 3),
    ("lower", 3),
    ("title", 3),
    ("capitalize", 3),
    ("trim", 1),
];

/// Names that are constants, not parameters.
const CONSTANTS: [&str; 6] = ["true", "false", "none", "True", "False", "None"];

/// What one template string does, read once.
#[derive(Debug, Default)]
pub(super) struct Shape {
    /// Bytes of literal text.
    text: u64,
    /// Each `{{ }}`: the parameter or literal it shows, and how much its filters may grow it.
    shown: Vec<(Shown, u64)>,
    /// Every parameter the string names, shown or tested, with where it first does.
    pub(super) names: BTreeMap<String, Range<usize>>,
    /// Only literal text and `{{ name }}`: nothing computed.
    pub(super) plain: bool,
    /// The parameter the string begins with, shown whole (`{{ url }}...`): a URL it holds is
    /// read as that string's.
    leading: Option<String>,
}

#[derive(Debug)]
enum Shown {
    Name(String),
    Literal(u64),
}

/// A construct flow templates do not allow: where in the string, and what it is.
#[derive(Debug)]
pub(super) struct Refusal {
    pub(super) range: Range<usize>,
    pub(super) what: String,
}

impl Shape {
    /// The parameter the string begins with, when the string shows it nowhere else: then the
    /// one copy of its value is the head of what the string renders to.
    pub(super) fn leading_once(&self) -> Option<&str> {
        let name = self.leading.as_deref()?;
        let shown = |(shown, _): &&(Shown, u64)| matches!(shown, Shown::Name(n) if n == name);
        (self.shown.iter().filter(shown).count() == 1).then_some(name)
    }

    /// An upper bound on the bytes the string renders to with these parameter values.
    pub(super) fn bound(&self, values: &BTreeMap<String, Value>) -> u64 {
        self.shown.iter().fold(self.text, |total, (shown, growth)| {
            let bytes = match shown {
                Shown::Literal(bytes) => *bytes,
                // An undefined name fails when rendered; a constant shows as at most `false`.
                Shown::Name(name) => values.get(name).map_or(5, |v| match v.as_str() {
                    Some(text) => text.len() as u64,
                    None => v.to_string().len() as u64,
                }),
            };
            total.saturating_add(bytes.saturating_mul(*growth))
        })
    }
}

/// Reads a template string (one minijinja has parsed), or says the first construct that flow
/// templates do not allow.
pub(super) fn check(text: &str) -> Result<Shape, Refusal> {
    let mut shape = Shape {
        plain: true,
        ..Shape::default()
    };
    let mut literal_from = 0;
    let mut at = 0;
    // Whether a statement came before: then what renders first is not known here.
    let mut statement_before = false;
    while let Some(found) = text[at..].find('{') {
        let open = at + found;
        let close = match text.as_bytes().get(open + 1) {
            Some(b'{') => b'}',
            Some(b'%') => b'%',
            Some(b'#') => {
                shape.text += (open - literal_from) as u64;
                shape.plain = false;
                let end = text[open + 2..]
                    .find("#}")
                    .map_or(text.len(), |e| open + e + 4);
                (at, literal_from) = (end, end);
                continue;
            }
            _ => {
                at = open + 1;
                continue;
            }
        };
        shape.text += (open - literal_from) as u64;
        let mut start = open + 2;
        if matches!(text.as_bytes().get(start), Some(b'-' | b'+')) {
            start += 1;
        }
        let (tokens, end) = tokenize(text, start, close);
        let tag = open..end;
        let mut parser = Parser {
            tokens: &tokens,
            next: 0,
            tag: tag.clone(),
            shape: &mut shape,
        };
        if close == b'}' {
            let (shown, growth) = parser.value()?;
            let whole_name = tokens.len() == 1 && matches!(shown, Shown::Name(_));
            // First when nothing renders before it (comments render nothing).
            let first =
                parser.shape.text == 0 && parser.shape.shown.is_empty() && !statement_before;
            if let (true, true, Shown::Name(name)) = (first, whole_name, &shown) {
                parser.shape.leading = Some(name.clone());
            }
            parser.shape.plain &= whole_name;
            parser.shape.shown.push((shown, growth));
        } else {
            parser.shape.plain = false;
            statement_before = true;
            parser.statement()?;
        }
        parser.end()?;
        (at, literal_from) = (end, end);
    }
    shape.text += (text.len() - literal_from) as u64;
    Ok(shape)
}

#[derive(Debug, PartialEq)]
enum Token<'t> {
    Name(&'t str),
    /// A string literal, with the bytes it spans.
    Str(usize),
    Int(usize),
    Op(&'t str),
}

/// The tokens of a tag from `start` to its closing `}}` or `%}` (`close` is `}` or `%`), each
/// with its place, and where the tag ends.
fn tokenize(text: &str, start: usize, close: u8) -> (Vec<(Token<'_>, Range<usize>)>, usize) {
    let bytes = text.as_bytes();
    let closes = |i: usize| bytes.get(i) == Some(&close) && bytes.get(i + 1) == Some(&b'}');
    let mut tokens = Vec::new();
    let mut i = start;
    while i < bytes.len() {
        let Some(c) = text.get(i..).and_then(|t| t.chars().next()) else {
            break;
        };
        if c.is_whitespace() {
            i += c.len_utf8();
            continue;
        }
        if closes(i) {
            return (tokens, i + 2);
        }
        if matches!(c, '-' | '+') && closes(i + 1) {
            return (tokens, i + 3);
        }
        let from = i;
        let token = if c.is_ascii_alphabetic() || c == '_' {
            while bytes
                .get(i)
                .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
            {
                i += 1;
            }
            Token::Name(&text[from..i])
        } else if c.is_ascii_digit() {
            while bytes.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            Token::Int(i - from)
        } else if c == '"' || c == '\'' {
            i += 1;
            while let Some(&b) = bytes.get(i) {
                i += if b == b'\\' { 2 } else { 1 };
                if b == c as u8 {
                    break;
                }
            }
            i = i.min(bytes.len());
            Token::Str(i - from)
        } else {
            let two = text
                .get(i..i + 2)
                .filter(|t| ["==", "!=", "<=", ">=", "//", "**"].contains(t));
            i += two.map_or(c.len_utf8(), str::len);
            Token::Op(&text[from..i])
        };
        tokens.push((token, from..i));
    }
    (tokens, bytes.len())
}

struct Parser<'p, 't> {
    tokens: &'p [(Token<'t>, Range<usize>)],
    next: usize,
    /// The whole tag, where a refusal with no token of its own points.
    tag: Range<usize>,
    shape: &'p mut Shape,
}

impl<'p, 't> Parser<'p, 't> {
    fn peek(&self) -> Option<&'p Token<'t>> {
        self.tokens.get(self.next).map(|(t, _)| t)
    }

    fn eat(&mut self, op: &str) -> bool {
        let found = matches!(self.peek(), Some(Token::Op(o) | Token::Name(o)) if *o == op);
        self.next += usize::from(found);
        found
    }

    /// Refuses the next token (or the tag, at its end), saying what it is.
    fn refuse<T>(&self) -> Result<T, Refusal> {
        let Some((token, range)) = self.tokens.get(self.next) else {
            return Err(Refusal {
                range: self.tag.clone(),
                what: "this tag".into(),
            });
        };
        let after_value = self.next > 0;
        let (what, range) = match token {
            Token::Op("(") if after_value => {
                let from = self
                    .tokens
                    .get(self.next - 1)
                    .map_or(range.start, |t| t.1.start);
                ("calling a function".to_string(), from..range.end)
            }
            Token::Op("." | "[") if after_value => {
                ("attribute and item access".to_string(), range.clone())
            }
            Token::Op("[") => ("a list".to_string(), range.clone()),
            Token::Op("{") => ("a map".to_string(), range.clone()),
            Token::Op(op) => (format!("the operator `{op}`"), range.clone()),
            Token::Name(name) => (format!("`{name}` here"), range.clone()),
            Token::Str(_) | Token::Int(_) => ("a literal here".to_string(), range.clone()),
        };
        Err(Refusal { range, what })
    }

    /// The tag must end here.
    fn end(&self) -> Result<(), Refusal> {
        if self.next < self.tokens.len() {
            return self.refuse();
        }
        Ok(())
    }

    fn statement(&mut self) -> Result<(), Refusal> {
        match self.peek() {
            Some(Token::Name("if" | "elif")) => {
                self.next += 1;
                self.condition()
            }
            Some(Token::Name("else" | "endif")) => {
                self.next += 1;
                Ok(())
            }
            Some(Token::Name(name)) => Err(Refusal {
                range: self.tag.clone(),
                what: format!("`{{% {name} %}}`"),
            }),
            _ => self.refuse(),
        }
    }

    /// `a or b`, `a and b`, `not a`, `a == b` (and `!=`, `<`, `<=`, `>`, `>=`), parentheses.
    fn condition(&mut self) -> Result<(), Refusal> {
        self.conjunction()?;
        while self.eat("or") {
            self.conjunction()?;
        }
        Ok(())
    }

    fn conjunction(&mut self) -> Result<(), Refusal> {
        self.negation()?;
        while self.eat("and") {
            self.negation()?;
        }
        Ok(())
    }

    fn negation(&mut self) -> Result<(), Refusal> {
        if self.eat("not") {
            return self.negation();
        }
        self.operand()?;
        if let Some(Token::Op("==" | "!=" | "<" | "<=" | ">" | ">=")) = self.peek() {
            self.next += 1;
            self.operand()?;
        }
        Ok(())
    }

    fn operand(&mut self) -> Result<(), Refusal> {
        if self.eat("(") {
            self.condition()?;
            return if self.eat(")") { Ok(()) } else { self.refuse() };
        }
        self.value().map(drop)
    }

    /// A name or a literal, then filters: what it shows and how much the filters may grow it.
    fn value(&mut self) -> Result<(Shown, u64), Refusal> {
        let shown = match self.peek() {
            Some(Token::Name(name)) if !CONSTANTS.contains(name) => {
                let at = self.tokens.get(self.next).map_or(0..0, |t| t.1.clone());
                self.shape.names.entry(name.to_string()).or_insert(at);
                Shown::Name(name.to_string())
            }
            Some(Token::Name(name)) => Shown::Literal(name.len() as u64),
            Some(Token::Str(bytes) | Token::Int(bytes)) => Shown::Literal(*bytes as u64),
            _ => return self.refuse(),
        };
        self.next += 1;
        let mut growth: u64 = 1;
        while self.eat("|") {
            let Some((Token::Name(name), range)) = self.tokens.get(self.next) else {
                return self.refuse();
            };
            let Some((_, factor)) = FILTERS.iter().find(|(f, _)| f == name) else {
                return Err(Refusal {
                    range: range.clone(),
                    what: format!("the filter `{name}`"),
                });
            };
            self.next += 1;
            if let Some((Token::Op("("), range)) = self.tokens.get(self.next) {
                return Err(Refusal {
                    range: range.clone(),
                    what: "arguments to a filter".into(),
                });
            }
            growth = growth.saturating_mul(*factor);
        }
        Ok((shown, growth))
    }
}

/// What flow templates allow, for the help of a refusal.
pub(super) const ALLOWED: &str = "a flow template substitutes values (`{{ name }}`, `{{ name | upper }}`; filters: upper, lower, title, capitalize, trim) and chooses text with `{% if %}`, `{% elif %}`, `{% else %}` (conditions: ==, !=, <, <=, >, >=, and, or, not); see docs/templates.md";
