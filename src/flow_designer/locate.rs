//! Where each value of a Flow Designer file sits in its text, so that diagnostics carry a line
//! and column and quotes hide secret values. serde_json's `Value` keeps no positions: one scan
//! of an export records every value's place in a compact tree ([`Spans`]: a few machine words a
//! value, no path or text copied), and a spec's come from TOML's spanned parse. A file's spans
//! are built once, when first asked for, and shared by what reads, quotes and checks it
//! ([`SpanCell`]); a file read without a problem, a diagnostic or a secret never scans them.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Mutex, OnceLock};

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

/// Whether a file is JSON (an export) rather than TOML (a spec).
pub fn is_json(text: &str) -> bool {
    text.trim_start().starts_with('{')
}

/// A file's spans, built when first asked for and then kept: whoever holds the cell (a read, a
/// quote) hands it on, so that a file is scanned once whatever asks. It keeps, too, whether
/// the file gives a key twice in an object, which a check finds beside its reading.
#[derive(Clone, Debug, Default)]
pub struct SpanCell {
    spans: OnceLock<Spans>,
    gives_a_key_twice: OnceLock<bool>,
}

impl SpanCell {
    /// The spans of `text` (the text this cell has always been asked about).
    pub fn spans(&self, text: &str) -> &Spans {
        self.spans.get_or_init(|| Spans::of(text))
    }

    /// [`gives_a_key_twice`] of `text` (the text this cell has always been asked about).
    pub(crate) fn gives_a_key_twice(&self, text: &str) -> bool {
        *self
            .gives_a_key_twice
            .get_or_init(|| gives_a_key_twice(text))
    }
}

/// The places of a file's values by path: a text and the cell its spans are kept in.
pub struct Places<'t> {
    text: &'t str,
    cell: &'t SpanCell,
}

impl<'t> Places<'t> {
    /// The places of `text`, kept in `cell`.
    pub fn new(text: &'t str, cell: &'t SpanCell) -> Places<'t> {
        Places { text, cell }
    }

    fn spans(&self) -> &'t Spans {
        self.cell.spans(self.text)
    }

    /// The byte range of the value at `path` (of the member's key when `key` is set), or of the
    /// deepest enclosing value found when the path does not exist all the way down; `None` in
    /// JSON that breaks off.
    pub fn locate(&self, path: &[Step], key: bool) -> Option<Range<usize>> {
        let spans = self.spans();
        if spans.broken.is_some() {
            return None;
        }
        let (node, found) = spans.deepest(self.text, path)?;
        let node = &spans.nodes[node];
        if found == path.len() && key {
            if let Some(k) = node.key() {
                return Some(k);
            }
        }
        Some(node.range())
    }

    /// The line holding the key at `path`, without its line break and trailing blanks: a
    /// spec's `[activities.Name]` header, or its `httpRequestUrl = "..."` setting.
    pub fn key_line(&self, path: &[Step]) -> Option<Range<usize>> {
        let spans = self.spans();
        let (node, found) = spans.deepest(self.text, path)?;
        if found < path.len() {
            return None;
        }
        let key = spans.nodes[node].key()?;
        let text = self.text;
        let start = text[..key.start].rfind('\n').map_or(0, |i| i + 1);
        let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        Some(start..start + text[start..end].trim_end().len())
    }

    /// Visits every value in the file (but the file's own) before its members, with its path
    /// and place, going into a value's members when `visit` says so; gives where the text
    /// stops being JSON, if it does.
    pub fn walk(&self, visit: &mut dyn FnMut(&[Step], At) -> Walk) -> Option<usize> {
        let spans = self.spans();
        spans.walk(self.text, &mut |path, node| {
            let value = &spans.nodes[node];
            visit(
                path,
                At {
                    range: value.range(),
                    whole: value.whole,
                    node,
                },
            )
        });
        spans.broken
    }

    /// Every member of an object whose key the object gives more than once, each time it is
    /// given, with its path: the reader keeps the last, so the others are no place of the
    /// model, and what the model says of the place does not tell of them.
    pub fn given_twice(&self) -> Vec<(Vec<Step>, At)> {
        let mut found: Vec<(Vec<Step>, At)> = Vec::new();
        // For each open container, from the root down: its keys so far, and the place of each
        // one's first member, until that key is given again.
        let mut levels: Vec<HashMap<String, Option<At>>> = vec![HashMap::new()];
        self.walk(&mut |path, at| {
            levels.truncate(path.len());
            if let (Some(Step::Key(key)), Some(level)) = (path.last(), levels.last_mut()) {
                match level.get_mut(key) {
                    Some(first) => {
                        if let Some(first) = first.take() {
                            found.push((path.to_vec(), first));
                        }
                        found.push((path.to_vec(), at.clone()));
                    }
                    None => {
                        level.insert(key.clone(), Some(at));
                    }
                }
            }
            levels.push(HashMap::new());
            Walk::Into
        });
        found
    }

    /// The decoded text of a string value [`Places::walk`] gave.
    pub fn string(&self, at: &At) -> Option<String> {
        self.spans().string(self.text, at.node)
    }
}

/// What [`Places::walk`] does after a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Walk {
    /// Goes on into the value's members.
    Into,
    /// Skips its members.
    Over,
}

/// A value's place, as [`Places::walk`] gives it.
#[derive(Clone, Debug)]
pub struct At {
    /// Its bytes (a string's with its quotes; one JSON breaks off in, up to the break).
    pub range: Range<usize>,
    /// Whether the text holds all of it.
    pub whole: bool,
    node: usize,
}

/// What kind of value a node is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Object,
    Array,
    String,
    Other,
}

/// One value of the file: where it sits, where its key sits, and where its members end.
#[derive(Clone, Debug)]
pub struct Node {
    start: u32,
    end: u32,
    /// The member's key, quotes included (`u32::MAX` when the value is no member).
    key_start: u32,
    key_end: u32,
    /// The key's decoded text in [`Spans::names`] when it is not the key's text as written
    /// (a JSON key with escapes, every TOML key), else `u32::MAX`.
    name_start: u32,
    name_end: u32,
    /// The index after this value's last member: its next sibling's.
    next: u32,
    kind: Kind,
    /// Whether the text holds all of the value (not one JSON breaks off in).
    whole: bool,
}

const NONE: u32 = u32::MAX;

impl Node {
    /// The value's bytes (a string's with its quotes).
    pub fn range(&self) -> Range<usize> {
        self.start as usize..self.end as usize
    }

    fn key(&self) -> Option<Range<usize>> {
        (self.key_start != NONE).then_some(self.key_start as usize..self.key_end as usize)
    }
}

/// Every value of a file in one vector, each before its members, plus the decoded keys and
/// strings the text does not spell as they are.
#[derive(Clone, Debug, Default)]
pub struct Spans {
    nodes: Vec<Node>,
    /// Decoded keys, and a TOML file's strings.
    names: String,
    /// A TOML string's decoded text in `names`, by node.
    strings: HashMap<u32, (u32, u32)>,
    /// Where JSON breaks off, if it does.
    broken: Option<usize>,
    /// The members of large objects and arrays by key or index, made when first looked in.
    members: MemberIndex,
}

/// The members of large objects and arrays by their node, behind a lock: the checks of an
/// export that read its places run on two threads.
#[derive(Debug, Default)]
struct MemberIndex(Mutex<HashMap<u32, Members>>);

impl MemberIndex {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u32, Members>> {
        // What a panicking holder left is an index still true of the file.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Clone for MemberIndex {
    fn clone(&self) -> Self {
        MemberIndex(Mutex::new(self.lock().clone()))
    }
}

/// The members of one object (the last of a key given twice, as serde_json reads it) or array.
#[derive(Clone, Debug)]
enum Members {
    Keys(HashMap<String, u32>),
    Items(Vec<u32>),
}

/// Objects and arrays with more members than this get an index when looked in.
const SMALL: usize = 16;

impl Spans {
    /// The spans of a text: JSON (an export) or TOML (a spec, as far as its parser recovers).
    /// A text past `u32::MAX` bytes (beyond every reader's limit) has none.
    pub fn of(text: &str) -> Spans {
        let mut spans = Spans::default();
        if u32::try_from(text.len()).is_err() {
            spans.broken = Some(0);
            return spans;
        }
        if is_json(text) {
            let mut scanner = Scanner {
                bytes: text.as_bytes(),
                at: 0,
                spans: &mut spans,
                depth: 0,
            };
            let broken = match scanner.value(None) {
                Ok(()) => {
                    scanner.skip_ws();
                    (scanner.at < text.len()).then_some(scanner.at)
                }
                Err(Malformed) => Some(scanner.at.min(text.len())),
            };
            spans.broken = broken;
        } else {
            toml_spans(text, &mut spans);
        }
        spans
    }

    fn name<'a>(&'a self, text: &'a str, node: &Node) -> Option<&'a str> {
        if node.name_start != NONE {
            return self
                .names
                .get(node.name_start as usize..node.name_end as usize);
        }
        let key = node.key()?;
        text.get(key.start + 1..key.end - 1)
    }

    /// The members of a node, in order.
    fn children(&self, node: usize) -> impl Iterator<Item = usize> + '_ {
        let end = self.nodes[node].next as usize;
        let mut at = node + 1;
        std::iter::from_fn(move || {
            if at >= end {
                return None;
            }
            let this = at;
            at = self.nodes[at].next as usize;
            Some(this)
        })
    }

    /// The member of `node` at `step`.
    fn child(&self, text: &str, node: usize, step: &Step) -> Option<usize> {
        let kind = self.nodes[node].kind;
        if !matches!(kind, Kind::Object | Kind::Array) {
            return None;
        }
        if let Some(members) = self.members.lock().get(&(node as u32)) {
            return match (members, step) {
                (Members::Keys(keys), Step::Key(k)) => keys.get(k).map(|&i| i as usize),
                (Members::Items(items), Step::Index(i)) => items.get(*i).map(|&i| i as usize),
                _ => None,
            };
        }
        let children: Vec<usize> = self.children(node).collect();
        if children.len() > SMALL {
            let members = match kind {
                Kind::Object => Members::Keys(
                    children
                        .iter()
                        .filter_map(|&c| {
                            Some((self.name(text, &self.nodes[c])?.to_string(), c as u32))
                        })
                        .collect(),
                ),
                _ => Members::Items(children.iter().map(|&c| c as u32).collect()),
            };
            self.members.lock().insert(node as u32, members);
            return self.child(text, node, step);
        }
        match step {
            Step::Key(k) if kind == Kind::Object => children
                .into_iter()
                .filter(|&c| self.name(text, &self.nodes[c]) == Some(k.as_str()))
                .last(),
            Step::Index(i) if kind == Kind::Array => children.get(*i).copied(),
            _ => None,
        }
    }

    /// The deepest node on `path` and how many of its steps it is down.
    fn deepest(&self, text: &str, path: &[Step]) -> Option<(usize, usize)> {
        if self.nodes.is_empty() {
            return None;
        }
        let mut node = 0;
        for (i, step) in path.iter().enumerate() {
            match self.child(text, node, step) {
                Some(c) => node = c,
                None => return Some((node, i)),
            }
        }
        Some((node, path.len()))
    }

    /// Visits every value before its members, with its path; the root (the file) is not
    /// visited. `visit` is given the value's index and says whether to go into its members.
    fn walk(&self, text: &str, visit: &mut dyn FnMut(&[Step], usize) -> Walk) {
        let Some(root) = self.nodes.first() else {
            return;
        };
        let mut path: Vec<Step> = Vec::new();
        // The index each open container ends at, and its number of members so far.
        let mut open: Vec<(usize, usize)> = vec![(root.next as usize, 0)];
        let mut at = 1;
        while at < self.nodes.len() {
            while open.last().is_some_and(|(end, _)| at >= *end) {
                open.pop();
                path.pop();
            }
            let Some((_, count)) = open.last_mut() else {
                break;
            };
            let node = &self.nodes[at];
            let step = match node.key_start {
                NONE => Step::Index(*count),
                _ => Step::Key(self.name(text, node).unwrap_or_default().to_string()),
            };
            *count += 1;
            path.push(step);
            let into = visit(&path[..], at) == Walk::Into;
            if into && matches!(node.kind, Kind::Object | Kind::Array) {
                open.push((node.next as usize, 0));
                at += 1;
            } else {
                path.pop();
                at = node.next as usize;
            }
        }
    }

    /// A string value's decoded text.
    fn string(&self, text: &str, node: usize) -> Option<String> {
        let value = self.nodes.get(node)?;
        if value.kind != Kind::String || !value.whole {
            return None;
        }
        if let Some(&(s, e)) = self.strings.get(&(node as u32)) {
            return self.names.get(s as usize..e as usize).map(String::from);
        }
        serde_json::from_str(text.get(value.range())?).ok()
    }

    fn push(
        &mut self,
        start: usize,
        kind: Kind,
        key: Option<(Range<usize>, Option<&str>)>,
    ) -> usize {
        let (key_start, key_end, name_start, name_end) = match key {
            None => (NONE, NONE, NONE, NONE),
            Some((range, name)) => {
                let (ns, ne) = match name {
                    Some(name) => {
                        let ns = self.names.len();
                        self.names.push_str(name);
                        (ns as u32, self.names.len() as u32)
                    }
                    None => (NONE, NONE),
                };
                (range.start as u32, range.end as u32, ns, ne)
            }
        };
        self.nodes.push(Node {
            start: start as u32,
            end: start as u32,
            key_start,
            key_end,
            name_start,
            name_end,
            next: NONE,
            kind,
            whole: false,
        });
        self.nodes.len() - 1
    }

    fn close(&mut self, node: usize, end: usize, whole: bool) {
        let next = self.nodes.len() as u32;
        let value = &mut self.nodes[node];
        value.end = end as u32;
        value.next = next;
        value.whole = whole;
    }
}

/// A TOML text's values, as far as its parser recovers them.
fn toml_spans(text: &str, spans: &mut Spans) {
    use toml::de::{DeTable, DeValue};
    fn walk(
        value: &DeValue,
        range: Range<usize>,
        key: Option<(Range<usize>, &str)>,
        spans: &mut Spans,
    ) {
        let kind = match value {
            DeValue::Table(_) => Kind::Object,
            DeValue::Array(_) => Kind::Array,
            DeValue::String(_) => Kind::String,
            _ => Kind::Other,
        };
        let node = spans.push(range.start, kind, key.map(|(r, name)| (r, Some(name))));
        match value {
            DeValue::Table(table) => {
                for (k, v) in table.iter() {
                    walk(v.get_ref(), v.span(), Some((k.span(), k.get_ref())), spans);
                }
            }
            DeValue::Array(items) => {
                for v in items.iter() {
                    walk(v.get_ref(), v.span(), None, spans);
                }
            }
            _ => {}
        }
        if let Some(s) = value.as_str() {
            let start = spans.names.len() as u32;
            spans.names.push_str(s);
            let end = spans.names.len() as u32;
            spans.strings.insert(node as u32, (start, end));
        }
        spans.close(node, range.end, true);
    }
    let (root, _) = DeTable::parse_recoverable(text);
    let span = root.span();
    let root = DeValue::Table(root.into_inner());
    walk(&root, span, None, spans);
}

struct Scanner<'a, 's> {
    bytes: &'a [u8],
    at: usize,
    spans: &'s mut Spans,
    /// How many objects and arrays the scan is in.
    depth: usize,
}

/// The deepest nesting scanned: serde_json's own limit, past which no export reads; the scan
/// stops there as at a malformed byte, so that no file can take the stack.
const MAX_DEPTH: usize = 128;

/// The scan stops at the first malformed byte; the caller then has no position.
struct Malformed;

impl Scanner<'_, '_> {
    fn skip_ws(&mut self) {
        while self.at < self.bytes.len() && self.bytes[self.at].is_ascii_whitespace() {
            self.at += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    /// Records the value from here and every value in it. In a text that breaks off, the
    /// values before the break are kept, a container the break falls in as not whole, and a
    /// string the break falls in up to the end of its line: a broken file is still quoted, so
    /// what it holds must still be found.
    fn value(&mut self, key: Option<(Range<usize>, Option<&str>)>) -> Result<(), Malformed> {
        self.skip_ws();
        let start = self.at;
        let open = self.peek().ok_or(Malformed)?;
        match open {
            b'{' | b'[' => {
                let kind = if open == b'{' {
                    Kind::Object
                } else {
                    Kind::Array
                };
                let node = self.spans.push(start, kind, key);
                let close = if open == b'{' { b'}' } else { b']' };
                self.at += 1;
                self.depth += 1;
                let walked = if self.depth > MAX_DEPTH {
                    Err(Malformed)
                } else {
                    self.members(open, close)
                };
                self.depth -= 1;
                self.spans
                    .close(node, self.at.min(self.bytes.len()), walked.is_ok());
                walked
            }
            b'"' => {
                let node = self.spans.push(start, Kind::String, key);
                match self.string() {
                    Ok(_) => {
                        self.spans.close(node, self.at, true);
                        Ok(())
                    }
                    Err(Malformed) => {
                        self.at = start;
                        let line_end = self.bytes[start..]
                            .iter()
                            .position(|b| *b == b'\n')
                            .map_or(self.bytes.len(), |i| start + i);
                        self.spans.close(node, line_end, true);
                        Err(Malformed)
                    }
                }
            }
            _ => {
                let node = self.spans.push(start, Kind::Other, key);
                let scalar = self.scalar();
                self.spans.close(node, self.at, scalar.is_ok());
                scalar
            }
        }
    }

    fn members(&mut self, open: u8, close: u8) -> Result<(), Malformed> {
        loop {
            self.skip_ws();
            if self.peek() == Some(close) {
                self.at += 1;
                return Ok(());
            }
            if open == b'{' {
                let at = self.at;
                let escaped = self.string()?;
                let range = at..self.at;
                self.skip_ws();
                if self.peek() != Some(b':') {
                    return Err(Malformed);
                }
                self.at += 1;
                // A key with escapes is kept decoded; any other is its text as written.
                let decoded: Option<String> = if escaped {
                    let literal =
                        std::str::from_utf8(&self.bytes[range.clone()]).map_err(|_| Malformed)?;
                    Some(serde_json::from_str(literal).map_err(|_| Malformed)?)
                } else {
                    None
                };
                self.value(Some((range, decoded.as_deref())))?;
            } else {
                self.value(None)?;
            }
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(c) if c == close => {}
                _ => return Err(Malformed),
            }
        }
    }

    fn scalar(&mut self) -> Result<(), Malformed> {
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

    /// Skips a string literal, the scanner left after its closing quote; whether it holds an
    /// escape. Its text is checked to be UTF-8 and its escapes well formed.
    fn string(&mut self) -> Result<bool, Malformed> {
        let start = self.at;
        if self.peek() != Some(b'"') {
            return Err(Malformed);
        }
        self.at += 1;
        let mut escaped = false;
        while self.at < self.bytes.len() {
            match self.bytes[self.at] {
                b'\\' => {
                    escaped = true;
                    self.at += 2;
                }
                b'"' => {
                    self.at += 1;
                    if escaped {
                        let literal = std::str::from_utf8(&self.bytes[start..self.at])
                            .map_err(|_| Malformed)?;
                        serde_json::from_str::<serde::de::IgnoredAny>(literal)
                            .map_err(|_| Malformed)?;
                    }
                    return Ok(escaped);
                }
                b if b < 0x20 => return Err(Malformed),
                _ => self.at += 1,
            }
        }
        Err(Malformed)
    }
}

/// Whether some object of JSON `text` gives a key more than once: one pass of the parser, no
/// tree and no place table kept, so that [`Places::given_twice`] (which needs the whole table)
/// runs only on a file that has such a key. Text that does not parse may have one: `true`.
pub(crate) fn gives_a_key_twice(text: &str) -> bool {
    use super::model::{fast_set, FastSet};
    use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
    use std::borrow::Cow;
    /// Whether the value read, or a value within it, gives a key twice.
    struct Twice(bool);
    struct Key<'de>(Cow<'de, str>);
    impl<'de> Deserialize<'de> for Key<'de> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct KeyVisitor;
            impl<'de> Visitor<'de> for KeyVisitor {
                type Value = Key<'de>;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("a key")
                }
                fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                    Ok(Key(Cow::Borrowed(v)))
                }
                fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                    Ok(Key(Cow::Owned(v.to_string())))
                }
            }
            d.deserialize_str(KeyVisitor)
        }
    }
    impl<'de> Deserialize<'de> for Twice {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_any(TwiceVisitor)
        }
    }
    struct TwiceVisitor;
    impl<'de> Visitor<'de> for TwiceVisitor {
        type Value = Twice;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("JSON")
        }
        fn visit_bool<E>(self, _: bool) -> Result<Twice, E> {
            Ok(Twice(false))
        }
        fn visit_i64<E>(self, _: i64) -> Result<Twice, E> {
            Ok(Twice(false))
        }
        fn visit_u64<E>(self, _: u64) -> Result<Twice, E> {
            Ok(Twice(false))
        }
        fn visit_f64<E>(self, _: f64) -> Result<Twice, E> {
            Ok(Twice(false))
        }
        fn visit_str<E>(self, _: &str) -> Result<Twice, E> {
            Ok(Twice(false))
        }
        fn visit_unit<E>(self) -> Result<Twice, E> {
            Ok(Twice(false))
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Twice, A::Error> {
            let mut twice = false;
            while let Some(Twice(within)) = seq.next_element()? {
                twice |= within;
            }
            Ok(Twice(twice))
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Twice, A::Error> {
            // Most objects have a few keys: compared in a list on the stack, hashed past 16
            // (the maps of activities and widgets hold thousands).
            let mut few: [Option<Cow<'de, str>>; 16] = Default::default();
            let mut given = 0;
            let mut many: Option<FastSet<Cow<'de, str>>> = None;
            let mut twice = false;
            while let Some(Key(key)) = map.next_key()? {
                match &mut many {
                    None if given < few.len() => {
                        twice |= few[..given].iter().flatten().any(|k| *k == key);
                        few[given] = Some(key);
                        given += 1;
                    }
                    None => {
                        let mut set = fast_set(few.len() * 2);
                        set.extend(few.iter_mut().filter_map(Option::take));
                        twice |= !set.insert(key);
                        many = Some(set);
                    }
                    Some(set) => twice |= !set.insert(key),
                }
                let Twice(within) = map.next_value()?;
                twice |= within;
            }
            Ok(Twice(twice))
        }
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    serde_json::from_str::<Twice>(text).map_or(true, |Twice(twice)| twice)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_given_twice_is_told_at_any_depth_and_escaped() {
        assert!(!gives_a_key_twice(r#"{"a": 1, "b": {"a": [1, {"a": 2}]}}"#));
        assert!(gives_a_key_twice(r#"{"a": 1, "a": 2}"#));
        assert!(gives_a_key_twice(r#"{"x": [{"k": 1, "k": null}]}"#));
        assert!(gives_a_key_twice(r#"{"pin": "1", "p\u0069n": "2"}"#));
        assert!(gives_a_key_twice(r#"{"a": 1,"#));
        assert!(!gives_a_key_twice("\u{feff}{\"a\": 1}"));
        // Past the 16 keys compared in a list, and across the switch to a set.
        let keys = |n: usize| (0..n).map(|i| format!("\"k{i}\": {i}")).collect::<Vec<_>>();
        let object = |keys: Vec<String>| format!("{{{}}}", keys.join(", "));
        assert!(!gives_a_key_twice(&object(keys(40))));
        for (n, again) in [(20, 3), (20, 17), (16, 0), (17, 16)] {
            let mut given = keys(n);
            given.push(format!("\"k{again}\": null"));
            assert!(
                gives_a_key_twice(&object(given)),
                "{n} keys, k{again} again"
            );
        }
    }

    fn locate(text: &str, path: &[Step], key: bool) -> Option<Range<usize>> {
        let cell = SpanCell::default();
        Places::new(text, &cell).locate(path, key)
    }

    fn all(text: &str) -> (Vec<(Vec<Step>, String)>, Option<usize>) {
        let cell = SpanCell::default();
        let places = Places::new(text, &cell);
        let mut found = Vec::new();
        let broken = places.walk(&mut |path, at| {
            found.push((path.to_vec(), text[at.range.clone()].to_string()));
            Walk::Into
        });
        (found, broken)
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
    fn large_objects_and_arrays_are_looked_in_by_index() {
        let members: Vec<String> = (0..100).map(|i| format!("\"k{i}\": [{i}]")).collect();
        let items: Vec<String> = (0..100).map(|i| i.to_string()).collect();
        let text = format!(
            "{{\"o\": {{{}}}, \"a\": [{}], \"o\": 1}}",
            members.join(", "),
            items.join(",")
        );
        let at = locate(&text, &fd_path!["o"], false).unwrap();
        // A key given twice: the last, as serde_json reads it.
        assert_eq!(&text[at], "1");
        let at = locate(&text, &fd_path!["a", 57usize], false).unwrap();
        assert_eq!(&text[at], "57");
        assert_eq!(
            locate(&text, &fd_path!["a", 100usize], false).map(|r| text[r].starts_with('[')),
            Some(true)
        );
    }

    #[test]
    fn every_value_is_found_even_in_a_broken_text() {
        let text = r#"{"a": [1, "x\"y"], "b": {"c": true}}"#;
        let (found, broken) = all(text);
        assert_eq!(broken, None);
        let expected: Vec<(Vec<Step>, String)> = vec![
            (fd_path!["a"].to_vec(), r#"[1, "x\"y"]"#.into()),
            (fd_path!["a", 0usize].to_vec(), "1".into()),
            (fd_path!["a", 1usize].to_vec(), r#""x\"y""#.into()),
            (fd_path!["b"].to_vec(), r#"{"c": true}"#.into()),
            (fd_path!["b", "c"].to_vec(), "true".into()),
        ];
        assert_eq!(found, expected);
        let broken = "{\"a\": \"one\", \"b\": \"unterminated\n\"c\": 1}";
        let (found, at) = all(broken);
        assert_eq!(found.len(), 2);
        assert_eq!(found[1].1, "\"unterminated");
        assert_eq!(at, broken.find("\"unterminated"));
        assert_eq!(all("{} x").1, Some(3));
    }

    #[test]
    fn malformed_text_has_no_position() {
        assert_eq!(locate("{\"a\": ", &fd_path!["a"], false), None);
    }
}
