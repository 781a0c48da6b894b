//! A Flow Designer file as diagnostics quote it: the byte ranges that hold secret values are
//! hidden ([`SourceFile::hide`]), found by their place in the file, never by their text.
//!
//! A file that reads gives its model, and [`Secrets`] says which places are secret. A file that
//! does not read (broken JSON or TOML, or a shape the reader refuses) has no model to ask: then
//! every place that could hold a secret is hidden (every variable's value, every credential
//! header or parameter, every URL, every set-variable's value), as whether a variable is
//! secure cannot be told; and in JSON that breaks off, everything from the break on.
//!
//! Columns are counted as the line is shown, a hidden value as wide as the mask, so that no
//! location tells a secret's length; a span that would run into a hidden value stops before it.

use super::locate::{is_json, Places, SpanCell, Step, Walk};
use super::model::{processes, Scope};
use super::model::{Activity, FdFlow};
use super::secrets::is_credential_header;
use super::secrets::{url_credentials, Secrets};
use crate::diagnostic::{Diagnostic, SourceFile};
use crate::secret::MASK;
use std::collections::HashSet;
use std::ops::Range;

/// A file with its secret values hidden.
#[derive(Clone, Debug)]
pub struct Quoted {
    /// The file, to quote diagnostics from.
    pub source: SourceFile,
    /// The hidden byte ranges, sorted and disjoint.
    hidden: Vec<Range<usize>>,
    /// Where the file's values sit, scanned once for whatever needed them first.
    spans: SpanCell,
    /// Each member of a JSON object whose key the object gives more than once, each time it
    /// is given: its path, and its value's bytes.
    given_twice: Vec<(Vec<Step>, Range<usize>)>,
}

/// The file `source` as diagnostics may quote it (`flow` is what it reads as), with the spans
/// its reading kept.
pub(crate) fn quoted_in(source: SourceFile, flow: &FdFlow, spans: SpanCell) -> Quoted {
    quote(source, Some(flow), false, spans)
}

/// A file that did not read as a whole: `partial` is what could be read of it (its places are
/// still the file's), and every place that could hold a secret is hidden too; with the spans
/// its reading kept.
pub(crate) fn quoted_partial_in(
    source: SourceFile,
    partial: Option<&FdFlow>,
    spans: SpanCell,
) -> Quoted {
    quote(source, partial, true, spans)
}

/// Text that reads as no flow file at all (a Flow Designer or Webex Connect file with a merge
/// conflict, a stray character, broken JSON or TOML), as `textconv` shows it: every place that
/// could hold a secret in any of them is hidden, as for a Flow Designer file that does not read
/// (and a Webex Connect variable's or parameter's `default`, a document's variable `default`).
/// A merge conflict's marker lines are read past, so that either side's places are found; in
/// JSON that breaks off everything from the break on is hidden, and in TOML everything from the
/// line of the first thing the parser could not read. Ranges `source` already hides stay hidden.
/// A Webex Connect spec or flow document that reads but does not check or build is shown so
/// too: its places are hidden by where they are, whatever the model would have made of them.
pub fn unreadable(mut source: SourceFile) -> Quoted {
    let read = blank_conflict_markers(&source.text);
    let found = quote(
        SourceFile::new(source.name.clone(), read.clone()),
        None,
        true,
        SpanCell::default(),
    );
    // `quote` of unsure TOML already hides everything from its first broken line on.
    let mut hidden = found.hidden;
    // Ranges the source already hides (what a model that did not build told secret) stay so.
    hidden.extend(source.hidden().iter().cloned());
    let mut hidden = merged(hidden);
    // A file's last line break is no value: kept, so that the text still ends a line.
    if let Some(last) = hidden.last_mut() {
        if last.end == source.text.len() && source.text.ends_with('\n') && last.len() > 1 {
            last.end -= 1;
        }
    }
    for r in &hidden {
        source.hide(r.clone());
    }
    Quoted {
        source,
        hidden,
        spans: SpanCell::default(),
        given_twice: Vec::new(),
    }
}

/// Where JSON that does not read breaks (`e`, from reading `text`): the parser's message
/// without its position, and the line and column the break shows at once every place that
/// could hold a secret is hidden as the mask ([`unreadable`]). The parser counts a secret's
/// characters in its column, so a break just after one would tell its length.
pub(crate) fn json_break(text: &str, e: &serde_json::Error) -> (String, usize, usize) {
    let message = crate::diagnostic::json_message(e);
    let line_start: usize = (text.split_inclusive('\n'))
        .take(e.line().saturating_sub(1))
        .map(str::len)
        .sum();
    // The parser's column is the byte it stopped at, counted from 1.
    let mut at = (line_start + e.column().saturating_sub(1)).min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let quoted = unreadable(SourceFile::new(String::new(), text.to_string()));
    let mut located = [
        Diagnostic::new(crate::diagnostic::Code::SchemaViolation, "")
            .with_span(Some(quoted.source.span(at..at))),
    ];
    quoted.place(&mut located);
    match &located[0].span {
        Some(span) => (message, span.line, span.column),
        None => (message, e.line().max(1), 1),
    }
}

/// `ranges` without empty ones, sorted, overlapping and touching ones joined.
fn merged(mut ranges: Vec<Range<usize>>) -> Vec<Range<usize>> {
    ranges.retain(|r| !r.is_empty());
    ranges.sort_by_key(|r| (r.start, r.end));
    let mut out: Vec<Range<usize>> = Vec::new();
    for r in ranges {
        match out.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => out.push(r),
        }
    }
    out
}

/// `text` with git's merge conflict marker lines (`<<<<<<<`, `|||||||`, `=======`, `>>>>>>>`)
/// blanked, byte for byte, so that places found in it are the text's own.
fn blank_conflict_markers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let marker = ["<<<<<<<", "|||||||", "=======", ">>>>>>>"]
            .iter()
            .any(|m| line.starts_with(m));
        if marker {
            let body = line.trim_end_matches(['\n', '\r']);
            out.extend(std::iter::repeat_n(' ', body.len()));
            out.push_str(&line[body.len()..]);
        } else {
            out.push_str(line);
        }
    }
    out
}

/// Whether TOML text holds more items than a spec may ([`crate::flow::limits::MAX_TOML_ITEMS`]).
fn too_many_items(text: &str) -> bool {
    crate::flow::limits::too_many_items("", text).is_some()
}

/// How deep arrays and inline tables are read: the `toml` crate's own limit, so that what it
/// refuses as too deep is where these scans stop too (the parser recurses once a level, and
/// 10,000 levels in a 10 KB file would overflow the stack).
const TOML_DEPTH: u32 = 80;

/// Where TOML text first stops being TOML: the earliest error of its parser or of decoding a
/// key or value, at the start of the key or value (a string may span lines).
fn first_toml_error(text: &str) -> Option<usize> {
    use toml_parser::parser::{parse_document, EventReceiver, RecursionGuard};
    use toml_parser::{decoder::Encoding, ErrorSink, ParseError, Raw, Source, Span};
    struct Receiver<'t> {
        text: &'t str,
        first: Option<usize>,
    }
    impl Receiver<'_> {
        fn decode(&mut self, span: Span, encoding: Option<Encoding>, key: bool) {
            let raw = Raw::new_unchecked(&self.text[span.start()..span.end()], encoding, span);
            let mut failed = None::<ParseError>;
            let mut out = String::new();
            if key {
                raw.decode_key(&mut out, &mut failed);
            } else {
                let _ = raw.decode_scalar(&mut out, &mut failed);
            }
            if failed.is_some() {
                self.first = Some(self.first.map_or(span.start(), |f| f.min(span.start())));
            }
        }
    }
    impl EventReceiver for Receiver<'_> {
        fn simple_key(&mut self, span: Span, encoding: Option<Encoding>, _: &mut dyn ErrorSink) {
            self.decode(span, encoding, true);
        }
        fn scalar(&mut self, span: Span, encoding: Option<Encoding>, _: &mut dyn ErrorSink) {
            self.decode(span, encoding, false);
        }
    }
    let source = Source::new(text);
    let tokens: Vec<_> = source.lex().collect();
    let mut receiver = Receiver { text, first: None };
    let mut errors: Vec<ParseError> = Vec::new();
    parse_document(
        &tokens,
        &mut RecursionGuard::new(&mut receiver, TOML_DEPTH),
        &mut errors,
    );
    let parsed = errors
        .iter()
        // The earlier of where the parser stopped and what it was reading (an array left open
        // is told at the end of the file, its `[` as the context).
        .flat_map(|e| [e.unexpected(), e.context()])
        .flatten()
        .map(|span| span.start())
        .min();
    let first = match (receiver.first, parsed) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    // An error with no place is put at the start: nothing can be told to be read.
    first.or((!errors.is_empty()).then_some(0))
}

fn quote(mut source: SourceFile, flow: Option<&FdFlow>, unsure: bool, spans: SpanCell) -> Quoted {
    let json = is_json(&source.text);
    // TOML of more items than a spec may hold is not parsed (it would take gigabytes), and no
    // place in it can be told: hidden whole.
    if !json && too_many_items(&source.text) {
        let all = 0..source.text.len();
        source.hide(all.clone());
        return Quoted {
            source,
            hidden: vec![all],
            spans,
            given_twice: Vec::new(),
        };
    }
    let secret: HashSet<Vec<Step>> = match flow {
        Some(flow) if json => export_places(flow, &Secrets::of(flow), &|_, a| a.origin.clone()),
        Some(flow) => spec_places(flow),
        None => Vec::new(),
    }
    .into_iter()
    .collect();
    // The paths that lead to a secret place: only their members are looked at.
    let leads: HashSet<&[Step]> = secret
        .iter()
        .flat_map(|s| (0..s.len()).map(move |n| &s[..n]))
        .collect();
    let mut ranges: Vec<Range<usize>> = Vec::new();
    if unsure || !secret.is_empty() {
        let places = Places::new(&source.text, &spans);
        // A hidden table's path: a table written with dotted keys (`value.x = "..."`) spans
        // its first key only, so what it holds is hidden value by value.
        let mut hidden_table: Option<Vec<Step>> = None;
        let broken = places.walk(&mut |path, at| {
            match &hidden_table {
                Some(table) if path.starts_with(table) => {
                    ranges.push(at.range);
                    return Walk::Into;
                }
                Some(_) => hidden_table = None,
                None => {}
            }
            let hide = secret.contains(path)
                || unsure && may_hold_secret(path, &mut || places.string(&at));
            if hide && at.whole {
                ranges.push(at.range);
                hidden_table = Some(path.to_vec());
                return Walk::Into;
            }
            if unsure || leads.contains(path) {
                Walk::Into
            } else {
                Walk::Over
            }
        });
        // Where JSON breaks off, what follows cannot be told apart: it is hidden whole.
        ranges.extend(broken.map(|at| at..source.text.len()));
    }
    // A key given twice in JSON: the reader kept the last value, so the model tells nothing of
    // the others (nor of the place, when the last is a reference and an earlier one typed):
    // every value of such a key is hidden when its place could hold a secret.
    let mut given_twice = Vec::new();
    if json && spans.gives_a_key_twice(&source.text) {
        let places = Places::new(&source.text, &spans);
        let twice = places.given_twice();
        for (i, (path, at)) in twice.iter().enumerate() {
            // An object or array the reader did not keep (a later one of the key replaced it)
            // is no part of the model, whose secret places say nothing of what it holds:
            // hidden whole (`"variables"` given twice, a secure value in the first).
            let replaced = twice[i + 1..].iter().any(|(later, _)| later == path);
            let container = source.text[at.range.start..].starts_with(['{', '[']);
            if replaced && container
                || secret.contains(path)
                || may_hold_secret(path, &mut || places.string(at))
            {
                ranges.push(at.range.clone());
            }
        }
        given_twice.extend(twice.into_iter().map(|(path, at)| (path, at.range)));
    }
    // TOML that does not read: its recovered tree leaves out what the parser refused (a key
    // given twice, a table written twice, what follows a broken line), so every value its
    // events give is looked at by place as well.
    if unsure && !json {
        for (path, range, string) in toml_values(&source.text) {
            if may_hold_secret(&path, &mut || string.clone()) {
                ranges.push(range);
            }
        }
        // Past the first thing the parser could not read, a value's place cannot be told (a
        // broken inline table takes the lines after it in): hidden from that line on, as
        // `unreadable` hides it.
        if let Some(at) = first_toml_error(&source.text) {
            let line = source.text[..at].rfind('\n').map_or(0, |i| i + 1);
            ranges.push(line..source.text.len());
        }
    }
    let hidden = merged(ranges);
    for r in &hidden {
        source.hide(r.clone());
    }
    Quoted {
        source,
        hidden,
        spans,
        given_twice,
    }
}

impl Quoted {
    /// Each member of a JSON object whose key the object gives more than once, each time it
    /// is given: its path, and its value's bytes.
    pub(crate) fn given_twice(&self) -> &[(Vec<Step>, Range<usize>)] {
        &self.given_twice
    }

    /// Where the file's values sit, for locating diagnostics in it.
    pub fn places(&self) -> Places<'_> {
        Places::new(&self.source.text, &self.spans)
    }

    /// Counts the columns of diagnostics located in this file as its lines are shown, and stops
    /// a span before a hidden value it would run into.
    pub fn place(&self, diagnostics: &mut [Diagnostic]) {
        for d in diagnostics {
            let Some(span) = d.span.as_mut() else {
                continue;
            };
            if span.file != self.source.name {
                continue;
            }
            let start = span.bytes.start;
            // Starting inside a hidden value: at the mask, and empty.
            let start = self
                .hidden
                .iter()
                .find(|h| h.contains(&start))
                .map_or(start, |h| h.start);
            let end = self
                .hidden
                .iter()
                .find(|h| h.start >= start && h.start < span.bytes.end)
                .map_or(span.bytes.end, |h| h.start)
                .max(start);
            // Moved to a hidden value's start, the span may be on an earlier line.
            let located = self.source.span(start..end);
            let line_start = self.source.text[..located.bytes.start]
                .rfind('\n')
                .map_or(0, |i| i + 1);
            span.line = located.line;
            span.column = self.width(line_start..located.bytes.start) + 1;
            span.bytes = located.bytes;
        }
    }

    /// The number of characters `range` shows as, each hidden value as the mask.
    fn width(&self, range: Range<usize>) -> usize {
        let mut width = 0;
        let mut at = range.start;
        // Sorted and disjoint: the first that ends after the start, then those that start
        // before the end.
        let first = self.hidden.partition_point(|h| h.end <= range.start);
        for h in self.hidden[first..]
            .iter()
            .take_while(|h| h.start < range.end)
        {
            if h.start > at {
                width += self.source.text[at..h.start].chars().count();
            }
            width += MASK.chars().count();
            at = h.end.max(at);
        }
        if at < range.end {
            width += self.source.text[at..range.end].chars().count();
        }
        width
    }

    /// The file's text with each hidden value shown as the mask.
    pub fn text(&self) -> String {
        let text = &self.source.text;
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for h in &self.hidden {
            out.push_str(&text[at..h.start]);
            out.push_str(MASK);
            at = h.end;
        }
        out.push_str(&text[at..]);
        out
    }

    /// Whether every line, as shown, is at most `max` characters long (most exports are one
    /// long line, not worth quoting).
    pub fn lines_within(&self, max: usize) -> bool {
        let mut start = 0;
        let text = &self.source.text;
        // The first hidden value that ends after the line's start (they are sorted, disjoint).
        let mut next_hidden = 0;
        while start <= text.len() {
            let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
            while self.hidden.get(next_hidden).is_some_and(|h| h.end <= start) {
                next_hidden += 1;
            }
            let hides = self.hidden.get(next_hidden).is_some_and(|h| h.start < end);
            // A line with nothing hidden shows no more characters than it has bytes.
            if (hides || end - start > max) && self.width(start..end) > max {
                return false;
            }
            start = end + 1;
        }
        true
    }
}

fn keys(path: &[&str]) -> Vec<Step> {
    path.iter().map(|k| Step::Key(k.to_string())).collect()
}

/// The places of an export that hold secrets: secret variables' values, and secret settings in
/// the process and in the diagram's copy of each activity's properties. `id` gives an
/// activity's id in the file.
pub(crate) fn export_places(
    flow: &FdFlow,
    secrets: &Secrets,
    id: &dyn Fn(&Scope, &Activity) -> Option<String>,
) -> Vec<Vec<Step>> {
    let mut places: Vec<Vec<Step>> = flow
        .variables
        .iter()
        .enumerate()
        .filter(|(_, v)| secrets.variable(&v.name))
        .map(|(i, _)| vec!["variables".into(), Step::Index(i), "value".into()])
        .collect();
    for (scope, process) in processes(flow) {
        let root = match &scope {
            Scope::Main => Vec::new(),
            Scope::Event(key) => keys(&["eventFlows", "eventsMap", key]),
        };
        for a in &process.activities {
            let Some(id) = id(&scope, a) else { continue };
            for setting in secrets.settings(&scope, &a.name) {
                for (part, list) in [("process", "activities"), ("diagram", "widgets")] {
                    let mut place = root.clone();
                    place.extend(keys(&[part, list, &id, "properties"]));
                    place.extend(setting.iter().map(Step::from));
                    places.push(place);
                }
            }
        }
    }
    places
}

/// The places of a Flow Designer spec that hold secrets: secret variables' values, and secret
/// settings under `settings` (or whole, when written as JSON text under `json`).
fn spec_places(flow: &FdFlow) -> Vec<Vec<Step>> {
    let secrets = Secrets::of(flow);
    let mut places: Vec<Vec<Step>> = secrets
        .variables()
        .map(|name| keys(&["variables", name, "value"]))
        .collect();
    for (scope, name, settings) in secrets.activities() {
        let mut root = match scope {
            Scope::Main => Vec::new(),
            Scope::Event(key) => keys(&["event_flows", key]),
        };
        root.extend(keys(&["activities", name]));
        for setting in settings {
            // The activity's type carries a credential: the spec writes it apart from the
            // settings.
            if matches!(setting.as_slice(), [key] if key == "activityName" || key == "activityId") {
                for key in ["type", "activity_id"] {
                    let mut place = root.clone();
                    place.push(key.into());
                    places.push(place);
                }
            }
            let mut place = root.clone();
            place.push("settings".into());
            place.extend(setting.iter().map(Step::from));
            // A setting inside a list (`setVariablesArray`'s items) is at an index in TOML.
            if setting.iter().any(|s| s.parse::<usize>().is_ok()) {
                let mut indexed = root.clone();
                indexed.push("settings".into());
                indexed.extend(setting.iter().map(|s| match s.parse::<usize>() {
                    Ok(i) => Step::Index(i),
                    Err(_) => Step::from(s),
                }));
                places.push(indexed);
            }
            places.push(place);
            if let Some(first) = setting.first() {
                let mut place = root.clone();
                place.extend(keys(&["json", first]));
                places.push(place);
            }
        }
    }
    places
}

/// Every value of a TOML text with its path and bytes (a string's decoded text too), as the
/// parser's events give them: a key given twice, a table written twice and the lines after a
/// broken one are all there. A table header's path is that of its keys; a value in an array
/// is at its index; `[[array]]` tables are at their header's path.
fn toml_values(text: &str) -> Vec<(Vec<Step>, Range<usize>, Option<String>)> {
    use toml_parser::parser::{parse_document, EventReceiver, RecursionGuard};
    use toml_parser::{decoder::Encoding, ErrorSink, Raw, Source, Span};

    struct Frame {
        path: Vec<Step>,
        /// The next item's index, in an array.
        index: Option<usize>,
        start: usize,
    }
    struct Receiver<'t> {
        text: &'t str,
        /// The path of the table the keys are in (the last header).
        table: Vec<Step>,
        header: Option<Vec<Step>>,
        /// The key being read, relative to the table or inline table it is in.
        keys: Vec<Step>,
        /// The path the next value takes, once its key is read.
        value: Option<Vec<Step>>,
        open: Vec<Frame>,
        found: Vec<(Vec<Step>, Range<usize>, Option<String>)>,
    }
    impl Receiver<'_> {
        fn raw(&self, span: Span, encoding: Option<Encoding>) -> Raw<'_> {
            Raw::new_unchecked(&self.text[span.start()..span.end()], encoding, span)
        }
        /// The path of a value starting here: the next index in an array, else its key's.
        fn next_path(&mut self) -> Option<Vec<Step>> {
            match self.open.last_mut() {
                Some(Frame {
                    path,
                    index: Some(i),
                    ..
                }) => {
                    let mut at = path.clone();
                    at.push(Step::Index(*i));
                    Some(at)
                }
                _ => self.value.take(),
            }
        }
        fn open(&mut self, span: Span, array: bool) {
            if let Some(path) = self.next_path() {
                self.open.push(Frame {
                    path,
                    index: array.then_some(0),
                    start: span.start(),
                });
            }
        }
        fn close(&mut self, span: Span) {
            if let Some(frame) = self.open.pop() {
                self.found
                    .push((frame.path, frame.start..span.end().max(frame.start), None));
            }
        }
    }
    impl EventReceiver for Receiver<'_> {
        fn std_table_open(&mut self, _: Span, _: &mut dyn ErrorSink) {
            self.header = Some(Vec::new());
            self.open.clear();
        }
        fn std_table_close(&mut self, _: Span, _: &mut dyn ErrorSink) {
            self.table = self.header.take().unwrap_or_default();
        }
        fn array_table_open(&mut self, span: Span, error: &mut dyn ErrorSink) {
            self.std_table_open(span, error);
        }
        fn array_table_close(&mut self, span: Span, error: &mut dyn ErrorSink) {
            self.std_table_close(span, error);
        }
        fn inline_table_open(&mut self, span: Span, _: &mut dyn ErrorSink) -> bool {
            self.open(span, false);
            true
        }
        fn inline_table_close(&mut self, span: Span, _: &mut dyn ErrorSink) {
            self.close(span);
        }
        fn array_open(&mut self, span: Span, _: &mut dyn ErrorSink) -> bool {
            self.open(span, true);
            true
        }
        fn array_close(&mut self, span: Span, _: &mut dyn ErrorSink) {
            self.close(span);
        }
        fn simple_key(&mut self, span: Span, encoding: Option<Encoding>, _: &mut dyn ErrorSink) {
            let mut key = String::new();
            self.raw(span, encoding).decode_key(&mut key, &mut ());
            match &mut self.header {
                Some(header) => header.push(Step::Key(key)),
                None => self.keys.push(Step::Key(key)),
            }
        }
        fn key_val_sep(&mut self, _: Span, _: &mut dyn ErrorSink) {
            let mut path = match self.open.last() {
                Some(frame) => frame.path.clone(),
                None => self.table.clone(),
            };
            path.append(&mut self.keys);
            self.value = Some(path);
        }
        fn scalar(&mut self, span: Span, encoding: Option<Encoding>, _: &mut dyn ErrorSink) {
            if let Some(path) = self.next_path() {
                let string = encoding.map(|_| {
                    let mut decoded = String::new();
                    let _ = self
                        .raw(span, encoding)
                        .decode_scalar(&mut decoded, &mut ());
                    decoded
                });
                self.found.push((path, span.start()..span.end(), string));
            }
        }
        fn value_sep(&mut self, _: Span, _: &mut dyn ErrorSink) {
            if let Some(Frame { index: Some(i), .. }) = self.open.last_mut() {
                *i += 1;
            }
        }
        fn newline(&mut self, _: Span, _: &mut dyn ErrorSink) {
            // A key-value ends with its line (outside an array, which may span lines).
            if self.open.is_empty() {
                self.keys.clear();
                self.value = None;
            }
        }
    }
    let source = Source::new(text);
    let tokens: Vec<_> = source.lex().collect();
    let mut receiver = Receiver {
        text,
        table: Vec::new(),
        header: None,
        keys: Vec::new(),
        value: None,
        open: Vec::new(),
        found: Vec::new(),
    };
    parse_document(
        &tokens,
        &mut RecursionGuard::new(&mut receiver, TOML_DEPTH),
        &mut (),
    );
    receiver.found
}

/// For a file that does not read: whether the value at `path` could hold a secret.
fn may_hold_secret(path: &[Step], string: &mut dyn FnMut() -> Option<String>) -> bool {
    // A file that does not read may hold its flow one level or more down (`{"data": export}`, as
    // the API answers; a document in a list; `flow` made a list): every place is also looked at
    // as if its path began at each of its steps.
    (0..path.len()).any(|from| may_hold_secret_from_root(&path[from..], string))
}

/// [`may_hold_secret`] for a path read from the top of a flow document, export or spec.
fn may_hold_secret_from_root(path: &[Step], string: &mut dyn FnMut() -> Option<String>) -> bool {
    let key = |i: usize| match path.get(i) {
        Some(Step::Key(k)) => Some(k.as_str()),
        _ => None,
    };
    // A variable's value, or anything under a variable that is not one of its known flags and
    // labels (a mistyped `valeu = "..."` is quoted by the error about it).
    const LABELS: [&str; 11] = [
        "name",
        "description",
        "type",
        "source",
        "desktopLabel",
        "id",
        "isCAD",
        "isAgentEditable",
        "isReportable",
        "overwrite",
        "isSecure",
    ];
    if key(0) == Some("variables") && path.len() > 2 && !key(2).is_some_and(|k| LABELS.contains(&k))
    {
        return true;
    }
    // Webex Connect, read as a file that could be either: a spec's variable or parameter
    // default (a variable's other keys are hidden above), a document's variable default.
    if key(0) == Some("params") && key(2) == Some("default")
        || key(0) == Some("flow") && key(1) == Some("variables") && key(3) == Some("default")
    {
        return true;
    }
    // A spec's node URLs (a request's and its proxy's, which may carry a user's password or a
    // key in the query), an outcome's notify URL, and a node's request headers: any header may
    // be a credential header, since the `[flow] credential_headers` that name them are not read.
    // Anything under them too: a value of the wrong shape (a table, a list) is still theirs.
    if key(0) == Some("nodes")
        && (matches!(key(2), Some("url" | "proxy")) || key(2) == Some("headers") && path.len() > 3)
        || key(0) == Some("outcomes") && key(2) == Some("notify_url")
    {
        return true;
    }
    // What a node's transition action sets: a secret variable's value, for all the file can
    // tell (which variables are secret is the model's to say).
    if key(0) == Some("nodes")
        && matches!(key(2), Some("on_enter" | "on_leave"))
        && path
            .iter()
            .skip(3)
            .any(|s| matches!(s, Step::Key(k) if k == "set"))
    {
        return true;
    }
    // The same places in a flow document (`flow.nodes[i].config`, `flow.outcomes[i]`), whatever
    // the node's type: a document that does not read cannot say which nodes are requests.
    if key(0) == Some("flow")
        && (key(1) == Some("nodes")
            && key(3) == Some("config")
            && (matches!(key(4), Some("url" | "proxy"))
                || key(4) == Some("headers") && path.len() > 5)
            || key(1) == Some("outcomes") && key(3) == Some("notify_url"))
    {
        return true;
    }
    // A Flow Designer spec's members kept from its export (`[flow_designer.export]`, each by
    // its JSON pointer, and `export_json`, each as JSON text): an activity's unknown member, or
    // a newer export's top-level one, is no setting the model knows [assumed]. Hidden when a
    // step of its pointer or below names a credential place, or its text holds one.
    if key(0) == Some("flow_designer") && matches!(key(1), Some("export" | "export_json")) {
        let pointer_names = key(2).is_some_and(|pointer| {
            pointer
                .split('/')
                .any(crate::secret::names::may_name_credential_place)
        });
        let below_names = (3..path.len())
            .any(|i| key(i).is_some_and(crate::secret::names::may_name_credential_place));
        return pointer_names
            || below_names
            || string().is_some_and(|text| json_may_hold_credential(&text));
    }
    // A spec activity's type (`activityName`) or `activity_id` typed as a URL with a
    // credential, or anything under them (a table or list where text should be); an export's
    // are under `properties`, below.
    let type_at = |i: usize| key(i) == Some("activities") && path.len() >= i + 3;
    if (0..path.len()).any(|i| type_at(i) && matches!(key(i + 2), Some("type" | "activity_id")))
        && string().is_some_and(|text| !url_credentials(&text).is_empty())
    {
        return true;
    }
    (0..path.len()).any(|i| match key(i) {
        Some("properties" | "settings") => setting_may_hold(&path[i + 1..], string),
        Some("json") => {
            path.len() == i + 2
                && matches!(
                    key(i + 1),
                    Some(
                        "httpRequestHeaders"
                            | "httpQueryParameters"
                            | "httpRequestUrl"
                            | "expr"
                            | "screenPopUrl"
                            | "queryParameters"
                    )
                )
                || key(i + 1).is_some_and(crate::secret::names::may_name_credential_place)
        }
        _ => false,
    })
}

/// Whether text (a kept member's value, JSON text or not) carries a URL with a credential typed
/// in clear, or is JSON with a member whose name says it may carry a credential.
fn json_may_hold_credential(text: &str) -> bool {
    fn holds(value: &serde_json::Value) -> bool {
        match value {
            serde_json::Value::Object(map) => map
                .iter()
                .any(|(k, v)| crate::secret::names::may_name_credential_place(k) || holds(v)),
            serde_json::Value::Array(items) => items.iter().any(holds),
            serde_json::Value::String(text) => !url_credentials(text).is_empty(),
            _ => false,
        }
    }
    !url_credentials(text).is_empty()
        || serde_json::from_str::<serde_json::Value>(text).is_ok_and(|v| holds(&v))
}

fn setting_may_hold(setting: &[Step], string: &mut dyn FnMut() -> Option<String>) -> bool {
    let key = |i: usize| match setting.get(i) {
        Some(Step::Key(k)) => Some(k.as_str()),
        _ => None,
    };
    match (key(0), key(1)) {
        (Some("httpRequestHeaders"), Some(name)) => is_credential_header(name),
        (Some("httpQueryParameters"), Some(name)) => is_credential_header(name),
        // Headers or parameters that are a list: their items name no header.
        (Some("httpRequestHeaders" | "httpQueryParameters"), None) => setting.len() > 1,
        // A URL that could not be decoded may hold anything.
        (Some("httpRequestUrl" | "screenPopUrl"), _) => {
            string().is_none_or(|url| !url_credentials(&url).is_empty())
        }
        // A screen pop's query parameters, as a request's.
        (Some("queryParameters"), Some(name)) => is_credential_header(name),
        (Some("queryParameters"), None) => setting.len() > 1,
        (Some("expr"), _) => true,
        // A 2026 set-variable's values: which variable each sets, and whether it is secure,
        // cannot be told in a file that does not read.
        (Some("setVariablesArray"), _) => {
            matches!(setting.last(), Some(Step::Key(k)) if k == "expr" || k == "literal")
        }
        // Any other activity's kind is not known in a file that does not read: a property whose
        // name says it may carry a credential (`authToken`, `requestHeaders`), or anything
        // under one, is hidden [assumed], as an unknown kind's is in a file that reads; so is
        // text that is a URL carrying a credential typed in clear, whatever its name
        // (`endpoint`).
        _ => {
            (0..setting.len())
                .any(|i| key(i).is_some_and(crate::secret::names::may_name_credential_place))
                || string().is_some_and(|text| !url_credentials(&text).is_empty())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Code;

    fn quoted(source: &SourceFile, flow: &FdFlow) -> Quoted {
        quoted_in(source.clone(), flow, SpanCell::default())
    }

    fn quoted_partial(source: &SourceFile, partial: Option<&FdFlow>) -> Quoted {
        quoted_partial_in(source.clone(), partial, SpanCell::default())
    }

    #[test]
    fn a_hidden_value_is_as_wide_as_the_mask_wherever_it_is() {
        use super::super::model::Variable;
        let mut shown = Vec::new();
        for secret in ["p", "pass", &"x".repeat(40)] {
            let text = format!(
                "{{\"variables\": [{{\"name\": \"Pass\", \"value\": \"{secret}\", \"isSecure\": true}}], \"after\": 1}}"
            );
            let source = SourceFile::new("f.json", text.clone());
            let mut flow = FdFlow {
                name: String::new(),
                description: String::new(),
                comment: String::new(),
                flow_type: None,
                variables: vec![Variable {
                    value: serde_json::json!(secret),
                    is_secure: true,
                    ..Variable::local("Pass")
                }],
                variable_orders: None,
                runtime_variables: Vec::new(),
                process: Default::default(),
                event_flows: Vec::new(),
                kept: Default::default(),
            };
            // Known by the model, and, for a file that does not read, by place alone.
            for q in [quoted(&source, &flow), quoted_partial(&source, None)] {
                let after = text.find("\"after\"").unwrap();
                let mut d = vec![Diagnostic::new(Code::InvalidFlowDesigner, "here")
                    .with_span(Some(source.span(after..after + 7)))];
                q.place(&mut d);
                shown.push(format!(
                    "{}{}",
                    Diagnostic::render_human(&d, &[&q.source]),
                    q.text()
                ));
            }
            flow.variables[0].is_secure = false;
            assert!(quoted(&source, &flow).text().contains(secret));
        }
        assert!(shown[0].contains("f.json:1:67"), "{}", shown[0]);
        assert!(shown[0].contains("\"value\": •••, \"isSecure\""));
        assert!(shown.iter().all(|s| s == &shown[0]), "{shown:#?}");
    }

    #[test]
    fn text_that_reads_as_no_file_hides_every_place_a_secret_could_be() {
        // A Webex Connect document and spec, and a Flow Designer export, each with a conflict.
        let document =
            "<<<<<<< HEAD\n{\"flow\": {\"variables\": [{\"name\": \"P\", \"default\": \"d1\"}]}}\n";
        let shown = unreadable(SourceFile::new("f.json", document)).text();
        assert!(
            shown.contains("\"default\": •••}") && !shown.contains("d1"),
            "{shown}"
        );
        assert!(shown.starts_with("<<<<<<< HEAD\n"), "{shown}");
        let spec = "[params.k]\nsecret = true\ndefault = \"d2\"\n=======\n[variables.P]\ndefault = \"d3\"\n";
        let shown = unreadable(SourceFile::new("f.toml", spec)).text();
        for hidden in ["d2", "d3"] {
            assert!(!shown.contains(hidden), "{shown}");
        }
        let export = "{\"variables\": [{\"name\": \"P\", \"value\": \"v1\"}]}\n>>>>>>> theirs\n";
        let shown = unreadable(SourceFile::new("f.json", export)).text();
        assert!(
            !shown.contains("v1") && shown.ends_with(">>>>>>> theirs\n"),
            "{shown}"
        );
        // A stray character: JSON read as TOML breaks on its first line, hidden from there on.
        let stray = format!("x{}", &export[..export.find('\n').unwrap()]);
        assert_eq!(unreadable(SourceFile::new("f.json", stray)).text(), MASK);
        // Broken TOML: everything from the line of the first error on.
        let broken = "name = \"x\"\nnote = \"unterminated\nkey = \"k4\"\n";
        let shown = unreadable(SourceFile::new("f.toml", broken)).text();
        assert_eq!(shown, format!("name = \"x\"\n{MASK}\n"));
    }

    #[test]
    fn a_spec_that_does_not_read_hides_credentials_in_members_kept_from_its_export() {
        // What `decompile` writes of an export whose activity has a member no export has shown
        // yet; the spec does not read (an unknown port), so its text is shown, places hidden.
        let spec = "[flow_designer]\nname = \"x\"\n\n[flow_designer.export]\n\
            \"/diagram/properties\" = { zoom = 87.5 }\n\
            \"/process/activities/a1/futureAuth\" = { password = \"PW1\" }\n\
            \"/process/activities/a1/extra\" = { nested = { apiKey = \"AK2\" } }\n\
            \"/process/activities/a1/endpoint\" = \"https://u:PW3@h.example/\"\n\n\
            [flow_designer.export_json]\n\
            \"/process/activities/a1/more\" = '{\"secret\": \"SE4\", \"none\": null}'\n\
            \"/process/activities/a1/blank\" = '{\"label\": \"shown\", \"none\": null}'\n";
        let shown = unreadable(SourceFile::new("f.toml", spec)).text();
        for hidden in ["PW1", "AK2", "PW3", "SE4"] {
            assert!(!shown.contains(hidden), "{hidden}: {shown}");
        }
        for kept in ["zoom = 87.5", "\"label\": \"shown\""] {
            assert!(shown.contains(kept), "{kept}: {shown}");
        }
    }

    #[test]
    fn a_file_that_does_not_read_hides_screen_pop_and_unknown_kind_credential_places() {
        let export = "<<<<<<< HEAD\n{\"process\": {\"activities\": {\"a1\": {\"properties\": \
            {\"activityName\": \"screen-pop\", \"screenPopUrl\": \"https://PW1@h.example/\", \
            \"queryParameters\": {\"token\": \"QP2\", \"lang\": \"en\"}, \
            \"target\": \"insideDesktop\"}}, \"a2\": {\"properties\": \
            {\"activityName\": \"http-request-v3\", \"requestAuth\": {\"password\": \"AU3\"}, \
            \"apiKey\": \"AK4\", \"timeout\": 5}}}}}\n";
        let shown = unreadable(SourceFile::new("f.json", export)).text();
        for hidden in ["PW1", "QP2", "AU3", "AK4"] {
            assert!(!shown.contains(hidden), "{hidden}: {shown}");
        }
        for kept in ["\"en\"", "\"insideDesktop\"", "\"timeout\": 5"] {
            assert!(shown.contains(kept), "{kept}: {shown}");
        }
    }

    #[test]
    fn a_span_stops_before_a_hidden_value() {
        let text = "{\"variables\": [{\"name\": \"apiPassword\", \"value\": \"hunter2\"}]}";
        let source = SourceFile::new("f.json", text);
        let q = quoted_partial(&source, None);
        let mut d = vec![Diagnostic::new(Code::InvalidFlowDesigner, "here")
            .with_span(Some(source.span(0..text.len())))];
        q.place(&mut d);
        let span = d[0].span.as_ref().unwrap();
        assert_eq!(
            &text[span.bytes.clone()],
            &text[..text.find("\"hunter2").unwrap()]
        );
    }

    #[test]
    fn specs_hide_secret_values_and_credentials_by_place() {
        let text = "[flow_designer]\nname = \"x\"\n\n[variables.Pass]\nvalue = \"s3\"\nisSecure = true\n\n[variables.Plain]\nvalue = \"shown\"\n\n[activities.Call]\ntype = \"http-request-v2\"\n\n[activities.Call.settings]\nhttpRequestHeaders = { x-api-key = \"k1\", Accept = \"json\" }\n";
        let source = SourceFile::new("f.toml", text);
        let flow = super::super::spec::read_spec(&source).unwrap();
        let shown = quoted(&source, &flow).text();
        assert!(shown.contains("value = •••\n"), "{shown}");
        assert!(shown.contains("value = \"shown\""), "{shown}");
        assert!(
            shown.contains("{ x-api-key = •••, Accept = \"json\" }"),
            "{shown}"
        );
        // Broken: every variable value is hidden, as secure ones cannot be told, and so is
        // what a mistyped key holds.
        let broken = SourceFile::new(
            "f.toml",
            format!("{text}[variables.Typo]\nvaleu = \"t4\"\nisSecure = true\n[[[\n"),
        );
        let shown = quoted_partial(&broken, None).text();
        for hidden in ["s3", "k1", "shown", "t4"] {
            assert!(!shown.contains(hidden), "{shown}");
        }
        assert!(shown.contains("valeu = •••\nisSecure = true"), "{shown}");
        // A key given twice: the value the TOML parser refused is hidden too, by its place.
        let twice = SourceFile::new(
            "f.toml",
            text.replace("value = \"s3\"\n", "value = 5\nvalue = \"s3\"\n"),
        );
        let (read, quoted) = super::super::read_quoted(&twice);
        assert!(read.is_err());
        let shown = quoted.text();
        assert!(!shown.contains("s3"), "{shown}");
        assert!(shown.contains("value = •••\nvalue = •••\n"), "{shown}");
    }
}
