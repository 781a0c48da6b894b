//! Pebble templates evaluated for a run. minijinja renders them where it agrees with Pebble
//! (names, attribute and index access, literals, `-`, filters and tests by name, `if`, `for`,
//! `set`); wxcflow's own code does what it does not (docs/flow-designer.md has the table):
//!
//! - `~`: each side's text joined (Pebble's `ConcatenateExpression`); beside a looser operator
//!   or a filter without brackets it stops the run, Pebble joining first;
//! - `+` with text on either side: both sides' text joined, null as `null` (Pebble's
//!   `OperatorUtils`; minijinja refuses it); `+ - * %` of numbers as Java's widening
//!   arithmetic (a `long` wraps), `%` as Java's remainder;
//! - `and`, `or`, `not`, `? :` and `{% if %}` read each side as Pebble reads a boolean
//!   (`TypeUtils`) and give booleans; `not`, and an `is` test, beside another operator without
//!   brackets stop the run (Pebble's `not` takes one operand, its `is` all before it);
//! - the conditional `a ? b : c` (minijinja has none): rewritten to `(b if a else c)`;
//! - comparisons (`==`, `!=`, `<`, `>`, `<=`, `>=`, `equals`, grouped from the left;
//!   `contains` below them, as Pebble's `ContainsExpression`): own functions with
//!   Pebble's rules [assumed: Java's `equals`, numbers widened]: numbers compare as numbers
//!   whatever their type, a number never equals text, and ordering text or text with a number
//!   is an error [assumed: Pebble's `OperatorUtils` orders numbers only];
//! - `is empty` (null, empty text, empty list or map), `is null`, `is defined`;
//! - `loop.index` and `loop.revindex` count from 0, as in Pebble;
//! - members and items (`a.b`, `a['k']`, `a[0]`) as Pebble's attribute resolver reads a map,
//!   a list and null (`__member`, `__item`); where Pebble may call a Java method (a member of
//!   text or a list) the run stops;
//! - how values print, as Java's `toString`: `true` / `false` (minijinja: `True`), null as
//!   nothing, in `~` too (Pebble's `ConcatenateExpression` skips a null side), a decimal as
//!   `Double.toString`, a list as `[a, null]`; a map is not modelled;
//! - `is empty` and `default` take text of blanks as empty; `{% for %}` goes through a list
//!   (null: nothing; text: an error; a map: not modelled);
//! - the filters `slice`, `default`, `capitalize`, `urlencode` (Pebble's own meanings), and
//!   `lower`, `upper`, `trim`, `length`, `abs`, `first`, `last` (the same in both), `join`
//!   (a list only, null items as `null`).
//!
//! Anything else (another filter, test or function, `/`, `..`, minijinja's `in`, inline `if`
//! and slices, a tag other than `if`, `for`, `set`, a `set` inside a loop) does not render: the
//! caller stops the run at the activity, never guessing.

use crate::flow::limits::MAX_RUN_VALUE_BYTES;
use minijinja::value::{Kwargs, Value, ValueKind};
use minijinja::{Environment, Error, ErrorKind, UndefinedBehavior};
use std::collections::BTreeMap;

/// Why a template could not be evaluated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct EvalError(pub String);

impl EvalError {
    /// Whether the template uses what Pebble has and this runner does not (a filter, test,
    /// function or method it does not know): then the run cannot tell what the activity does.
    pub(crate) fn is_not_modelled(&self) -> bool {
        [
            "unknown filter",
            "unknown test",
            "unknown function",
            "unknown method",
            NOT_MODELLED,
        ]
        .iter()
        .any(|kind| self.0.starts_with(kind))
    }
}

impl std::fmt::Display for EvalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// How an error about Pebble's grammar the runner does not follow begins.
const NOT_MODELLED: &str = "not modelled";

/// The environment templates render in, built once per run.
pub(crate) struct Pebble {
    env: Environment<'static>,
}

impl Default for Pebble {
    fn default() -> Self {
        Self::new()
    }
}

fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, message.into())
}

fn is_number(v: &Value) -> bool {
    v.kind() == ValueKind::Number
}

fn as_f64(v: &Value) -> Option<f64> {
    // A decimal read as one (`-0.0` is no whole number).
    if let (true, Some(i)) = (v.is_integer(), v.as_i64()) {
        return Some(i as f64);
    }
    f64::try_from(v.clone()).ok()
}

fn is_null(v: &Value) -> bool {
    v.is_undefined() || v.is_none()
}

/// Pebble's `==`: numbers by value, null equals null, otherwise equal values of one kind;
/// inside a list or a map as Java's `equals` (a whole number never equals a decimal).
fn equal(a: &Value, b: &Value) -> bool {
    if is_number(a) && is_number(b) {
        return as_f64(a) == as_f64(b);
    }
    java_equals(a, b)
}

/// Java's `equals` [assumed: whole numbers are of one Java type, decimals of another]: of one
/// kind and value, lists item by item, maps key by key.
fn java_equals(a: &Value, b: &Value) -> bool {
    if is_null(a) || is_null(b) {
        return is_null(a) && is_null(b);
    }
    if a.kind() != b.kind() || a.is_integer() != b.is_integer() {
        return false;
    }
    match a.kind() {
        ValueKind::Seq => {
            let (Ok(x), Ok(y)) = (a.try_iter(), b.try_iter()) else {
                return false;
            };
            let (x, y): (Vec<Value>, Vec<Value>) = (x.collect(), y.collect());
            x.len() == y.len() && x.iter().zip(&y).all(|(i, j)| java_equals(i, j))
        }
        ValueKind::Map => {
            let (Ok(keys), Some(size)) = (a.try_iter(), b.len()) else {
                return false;
            };
            let keys: Vec<Value> = keys.collect();
            keys.len() == size
                && keys.iter().all(|k| match (a.get_item(k), b.get_item(k)) {
                    (Ok(p), Ok(q)) => !q.is_undefined() && java_equals(&p, &q),
                    _ => false,
                })
        }
        _ => a == b,
    }
}

fn compare(a: Value, op: String, b: Value) -> Result<bool, Error> {
    Ok(match op.as_str() {
        "==" => equal(&a, &b),
        "!=" => !equal(&a, &b),
        "contains" => {
            if let (Some(s), Some(part)) = (a.as_str(), b.as_str()) {
                s.contains(part)
            } else if matches!(a.kind(), ValueKind::Seq | ValueKind::Map) {
                let mut found = false;
                if let Ok(items) = a.try_iter() {
                    for item in items {
                        if equal(&item, &b) {
                            found = true;
                            break;
                        }
                    }
                }
                found
            } else {
                false
            }
        }
        // Pebble orders nothing against null: false (its `wideningConversionBinaryComparison`).
        _ if is_null(&a) || is_null(&b) => false,
        _ => {
            let (Some(x), Some(y)) = (
                as_f64(&a).filter(|_| is_number(&a)),
                as_f64(&b).filter(|_| is_number(&b)),
            ) else {
                return Err(invalid(format!(
                    "`{op}` orders numbers only, not {} and {}",
                    a.kind(),
                    b.kind()
                )));
            };
            match op.as_str() {
                "<" => x < y,
                ">" => x > y,
                "<=" => x <= y,
                _ => x >= y,
            }
        }
    })
}

fn empty(v: &Value) -> bool {
    if is_null(v) {
        return true;
    }
    match v.kind() {
        // Pebble's EmptyTest: text of blanks is empty (Java's `trim`).
        ValueKind::String => v
            .as_str()
            .is_some_and(|s| s.trim_matches(|c| c <= ' ').is_empty()),
        ValueKind::Seq | ValueKind::Map => v.len() == Some(0),
        _ => false,
    }
}

/// Pebble's `slice(from, to)`: characters of text, items of a list; `to` defaults to the end.
/// Its `SliceFilter` takes each index's whole part (`1.7` is 1) and wants a given end past the
/// start. A range beyond the value is an error that names the range asked for, never the
/// value's length (which would tell a secret's).
fn slice(v: Value, from: Value, to: Option<Value>) -> Result<Value, Error> {
    let index = |n: &Value| {
        (as_f64(n).filter(|x| is_number(n) && *x >= 0.0 && *x < 1e15))
            .map(|x| x.trunc() as usize)
            .ok_or_else(|| invalid("`slice` takes whole numbers from 0"))
    };
    let (from, to) = (index(&from)?, to.as_ref().map(index).transpose()?);
    let beyond = || {
        let asked = to.map_or(format!("{from}"), |t| format!("{from}, {t}"));
        invalid(format!("slice({asked}) goes beyond the value"))
    };
    let range = |len: usize| {
        let end = to.unwrap_or(len);
        let empty_asked = to.is_some_and(|t| from >= t);
        match empty_asked || from > end || end > len {
            true => Err(beyond()),
            false => Ok(from..end),
        }
    };
    if let Some(s) = v.as_str() {
        // Java counts text in UTF-16 units: a character past U+FFFF is two, and a slice may
        // cut one in half.
        if !s.chars().all(|c| c.len_utf16() == 1) {
            return Err(not_modelled("`slice` of text with a character past U+FFFF"));
        }
        let chars: Vec<char> = s.chars().collect();
        return Ok(Value::from(
            chars[range(chars.len())?].iter().collect::<String>(),
        ));
    }
    if is_null(&v) {
        return Ok(Value::from(()));
    }
    let items: Vec<Value> = list_items(&v, "slice")?.collect();
    Ok(Value::from(items[range(items.len())?].to_vec()))
}

/// Java's `URLEncoder` (Pebble's `urlencode`): form encoding, a space as `+`.
pub(crate) fn urlencode(v: Value) -> String {
    let text = if is_null(&v) {
        String::new()
    } else {
        v.to_string()
    };
    let mut out = String::new();
    for b in text.bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'-' | b'*' | b'_' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

/// A value as Pebble prints it (Java's `toString`): null as nothing, `true` / `false`, a
/// decimal as Java's `Double.toString` (`3.0`, `1.0E7`), a list as `[a, null, 1]`. A map's
/// text depends on the Java map behind it, which a run cannot know: not modelled.
fn text_of(v: &Value) -> Result<String, Error> {
    if is_null(v) {
        return Ok(String::new());
    }
    java_text(v)
}

/// [`text_of`], but null as `null` (Java's `String.valueOf`, as `+` and `join` write it).
fn java_text(v: &Value) -> Result<String, Error> {
    Ok(match v.kind() {
        _ if is_null(v) => "null".to_string(),
        ValueKind::Bool => v.is_true().to_string(),
        ValueKind::Number if !v.is_integer() => java_double(as_f64(v).unwrap_or(f64::NAN)),
        ValueKind::Seq => {
            let items: Result<Vec<String>, Error> = v.try_iter()?.map(|x| java_text(&x)).collect();
            format!("[{}]", items?.join(", "))
        }
        ValueKind::Map => {
            return Err(not_modelled(
                "printing a map (Java prints it as its map type does)",
            ))
        }
        _ => v.to_string(),
    })
}

/// A decimal as Java's `Double.toString` writes it: the shortest digits that read back [assumed:
/// Java 19's, as Rust's], at least one after the point, in scientific form (`1.0E7`, `1.0E-5`)
/// below 10^-3 and from 10^7.
fn java_double(x: f64) -> String {
    if x.is_nan() {
        return "NaN".to_string();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.to_string();
    }
    let with_point = |digits: String| match digits.contains('.') {
        true => digits,
        false => digits + ".0",
    };
    let size = x.abs();
    if size == 0.0 || (1e-3..1e7).contains(&size) {
        return with_point(format!("{x}"));
    }
    let scientific = format!("{x:e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    format!("{}E{exponent}", with_point(mantissa.to_string()))
}

/// The items of a list a filter takes (Pebble casts to a Java Collection: a map is an error);
/// none of null.
fn list_items(v: &Value, filter: &str) -> Result<std::vec::IntoIter<Value>, Error> {
    if is_null(v) {
        return Ok(Vec::new().into_iter());
    }
    if v.kind() != ValueKind::Seq {
        return Err(invalid(format!(
            "`{filter}` takes a list, not {}",
            v.kind()
        )));
    }
    Ok(v.try_iter()?.collect::<Vec<_>>().into_iter())
}

/// A filter's input that Pebble casts to text: text, or null (`None`); anything else is an
/// error, as Java's cast would be.
fn text_only(v: &Value, filter: &str) -> Result<Option<String>, Error> {
    if is_null(v) {
        return Ok(None);
    }
    match v.as_str() {
        Some(text) if v.kind() == ValueKind::String => Ok(Some(text.to_string())),
        _ => Err(invalid(format!("`{filter}` takes text, not {}", v.kind()))),
    }
}

/// Pebble's CapitalizeFilter: the first character that is not a blank in title case, the rest
/// as written. A character whose title case Rust cannot give as Java does (`ǆ`, one that
/// upper-cases to two) is not modelled.
fn capitalize(v: Value) -> Result<String, Error> {
    let text = text_only(&v, "capitalize")?.unwrap_or_default();
    let Some((at, c)) = text.char_indices().find(|(_, c)| !c.is_whitespace()) else {
        return Ok(text);
    };
    let upper: Vec<char> = c.to_uppercase().collect();
    let digraph = matches!(c as u32, 0x1C4..=0x1CC | 0x1F1..=0x1F3);
    if upper.len() != 1 || digraph {
        return Err(not_modelled(
            "`capitalize` of a character Java title-cases otherwise",
        ));
    }
    Ok(format!(
        "{}{}{}",
        &text[..at],
        upper[0],
        &text[at + c.len_utf8()..]
    ))
}

/// An error that stops the run as not modelled: Pebble would do something the run cannot tell.
fn not_modelled(what: &str) -> Error {
    invalid(format!("{NOT_MODELLED}: {what}"))
}

impl Pebble {
    /// The environment: only the filters and tests listed in the module's notes.
    pub fn new() -> Pebble {
        let mut env = Environment::empty();
        env.set_undefined_behavior(UndefinedBehavior::Chainable);
        // Loops within loops cannot run for ever: a render stops past this much work.
        env.set_fuel(Some(crate::flow::limits::MAX_TEMPLATE_FUEL));
        env.set_formatter(|out, _state, value| {
            out.write_str(&text_of(value)?).map_err(Error::from)
        });
        env.add_function("__cmp", compare);
        env.add_function("__mul", multiply);
        env.add_function("__add", add);
        env.add_function("__mod", remainder);
        env.add_function("__bool", truth);
        // Pebble's `~` joins the text of each side, a null side adding nothing
        // (`ConcatenateExpression`); minijinja's would print null as `none`.
        env.add_function("__cat", |a: Value, b: Value| {
            Ok::<_, Error>(text_of(&a)? + &text_of(&b)?)
        });
        env.add_function("__sub", subtract);
        env.add_function("__contains", contains);
        env.add_function("__iterable", iterable);
        env.add_function("__member", member);
        env.add_function("__item", item);
        env.add_function("__name", |state: &minijinja::State, name: &str| {
            state.lookup(name).unwrap_or(Value::UNDEFINED)
        });
        env.add_test("empty", |v: Value| empty(&v));
        env.add_test("null", |v: Value| is_null(&v));
        env.add_test("defined", |v: Value| !v.is_undefined());
        env.add_filter("slice", slice);
        env.add_filter("urlencode", |v: Value| -> Result<String, Error> {
            text_only(&v, "urlencode")?;
            Ok(urlencode(v))
        });
        env.add_filter(
            "default",
            |v: Value, d: Value| if empty(&v) { d } else { v },
        );
        env.add_filter("capitalize", capitalize);
        env.add_filter("lower", |v: Value| {
            Ok::<_, Error>(text_of(&v)?.to_lowercase())
        });
        env.add_filter("upper", |v: Value| {
            Ok::<_, Error>(text_of(&v)?.to_uppercase())
        });
        // Java's `trim`: characters up to U+0020 off both ends; text only.
        env.add_filter("trim", |v: Value| -> Result<String, Error> {
            let text = text_only(&v, "trim")?.unwrap_or_default();
            Ok(text.trim_matches(|c| c <= ' ').to_string())
        });
        // Pebble's LengthFilter: text in UTF-16 units, a list's or map's items, 0 for null
        // and for anything else.
        env.add_filter("length", |v: Value| -> usize {
            if let Some(s) = v.as_str() {
                return s.encode_utf16().count();
            }
            match v.kind() {
                ValueKind::Seq | ValueKind::Map => v.len().unwrap_or(0),
                _ => 0,
            }
        });
        env.add_filter("abs", |v: Value| -> Result<Value, Error> {
            match v.as_i64() {
                Some(i) => Ok(Value::from(i.abs())),
                None => as_f64(&v)
                    .map(|f| Value::from(f.abs()))
                    .ok_or_else(|| invalid("abs of something not a number")),
            }
        });
        // Of text, Pebble's `first` and `last` give a Java Character, which equals no text: not
        // modelled.
        env.add_filter("first", |v: Value| -> Result<Value, Error> {
            if v.kind() == ValueKind::String {
                return Err(not_modelled(
                    "`first` of text (Pebble gives a Java Character)",
                ));
            }
            Ok(list_items(&v, "first")?.next().unwrap_or_default())
        });
        env.add_filter("last", |v: Value| -> Result<Value, Error> {
            if v.kind() == ValueKind::String {
                return Err(not_modelled(
                    "`last` of text (Pebble gives a Java Character)",
                ));
            }
            Ok(list_items(&v, "last")?.last().unwrap_or_default())
        });
        env.add_filter(
            "join",
            // Pebble's JoinFilter: a list only (text or a map is an error), each item as
            // Java's StringBuilder appends it (null as `null`); null joins to nothing.
            |v: Value, sep: Option<Value>, _: Kwargs| -> Result<String, Error> {
                let sep = match &sep {
                    None => None,
                    Some(sep) => Some(sep.as_str().ok_or_else(|| {
                        invalid(format!(
                            "`join` takes text to join with, not {}",
                            sep.kind()
                        ))
                    })?),
                };
                if is_null(&v) {
                    return Ok(String::new());
                }
                if v.kind() != ValueKind::Seq {
                    return Err(invalid(format!("`join` takes a list, not {}", v.kind())));
                }
                let parts: Result<Vec<String>, Error> =
                    v.try_iter()?.map(|x| java_text(&x)).collect();
                Ok(parts?.join(sep.unwrap_or("")))
            },
        );
        Pebble { env }
    }

    /// Renders a template (text with `{{ }}` and `{% %}` blocks) with the names in `context`.
    #[cfg(test)]
    pub fn render(
        &self,
        template: &str,
        context: &BTreeMap<String, Value>,
    ) -> Result<String, EvalError> {
        self.render_counted(template, context).map(|(text, _)| text)
    }

    /// [`Pebble::render`], with the work it took: minijinja's instructions run, and the
    /// template's length (it is read, rewritten and parsed, each pass as long as it is), so that
    /// a run can hold all its renders to one budget.
    pub fn render_counted(
        &self,
        template: &str,
        context: &BTreeMap<String, Value>,
    ) -> Result<(String, u64), EvalError> {
        // Refused before it is rewritten or parsed: both go one call deeper for each.
        if crate::flow::limits::template_operators_over(template).is_some() {
            return Err(EvalError(format!(
                "the template holds more than {} operators, brackets, interpolations and `elif`s, the most wxcflow evaluates",
                crate::flow::limits::MAX_TEMPLATE_OPERATORS
            )));
        }
        let jinja = translate(template)?;
        let template = self
            .env
            .template_from_str(&jinja)
            .map_err(|e| EvalError(describe(&e)))?;
        let read = u64::try_from(jinja.len()).unwrap_or(u64::MAX);
        let mut out = Capped(Vec::new());
        let rendered = template
            .render_captured_to(context, &mut out)
            .map(|captured| {
                let levels = captured.state().fuel_levels();
                levels.map_or(0, |(consumed, _)| consumed)
            });
        match rendered {
            Ok(consumed) => String::from_utf8(out.0)
                .map(|text| (text, consumed.saturating_add(read)))
                .map_err(|_| EvalError("not UTF-8".into())),
            Err(_) if out.0.len() > MAX_RUN_VALUE_BYTES => Err(too_large()),
            Err(e) => Err(EvalError(describe(&e))),
        }
    }
}

/// What a template writes, refused past [`MAX_RUN_VALUE_BYTES`]: a loop cannot grow a value
/// until the machine's memory is gone.
struct Capped(Vec<u8>);

impl std::io::Write for Capped {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.0.len() + buf.len() > MAX_RUN_VALUE_BYTES {
            // Marks the refusal for `render` (the length says why).
            self.0.resize(MAX_RUN_VALUE_BYTES + 1, 0);
            return Err(std::io::Error::other("too large"));
        }
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

pub(crate) fn too_large() -> EvalError {
    EvalError(format!(
        "the value would be larger than {MAX_RUN_VALUE_BYTES} bytes, the most a run keeps (a value growing in a loop?)"
    ))
}

/// `+` as Pebble has it (`OperatorUtils.add`, not its documentation): text on either side
/// joins the two sides' text, a null side written `null` (Java's `String.valueOf`; `~` skips
/// it); a list is not modelled (Pebble changes the list itself); otherwise numbers only.
fn add(a: Value, b: Value) -> Result<Value, Error> {
    if a.kind() == ValueKind::String || b.kind() == ValueKind::String {
        return Ok(Value::from(java_text(&a)? + &java_text(&b)?));
    }
    if a.kind() == ValueKind::Seq {
        // Pebble adds to the list itself (every name for it sees the change).
        return Err(not_modelled("`+` on a list"));
    }
    arithmetic(&a, &b, i64::wrapping_add, |x, y| x + y)
        .ok_or_else(|| invalid("`+` adds numbers, or joins text"))
}

/// `-` as Pebble has it: numbers only [assumed: a list less an item, which Pebble also does, is
/// not modelled].
fn subtract(a: Value, b: Value) -> Result<Value, Error> {
    if a.kind() == ValueKind::Seq {
        return Err(not_modelled("`-` on a list"));
    }
    arithmetic(&a, &b, i64::wrapping_sub, |x, y| x - y)
        .ok_or_else(|| invalid("`-` takes numbers only"))
}

/// Pebble's `contains` (its `ContainsExpression`): null contains nothing; a list contains an
/// item equal to the right side, or every item of a list there; a map contains a key; text
/// contains the right side's text (`"a1" contains 1`); anything else is an error. Items are
/// equal as Java's `equals` has them: of one kind and value, a whole number never equal to a
/// decimal [assumed: whole numbers are of one Java type].
fn contains(a: Value, b: Value) -> Result<bool, Error> {
    if is_null(&a) {
        return Ok(false);
    }
    match a.kind() {
        ValueKind::Seq => {
            let items: Vec<Value> = a.try_iter()?.collect();
            let holds = |wanted: &Value| items.iter().any(|item| java_equals(item, wanted));
            if b.kind() == ValueKind::Seq {
                let mut all = true;
                for wanted in b.try_iter()? {
                    all &= holds(&wanted);
                }
                return Ok(all);
            }
            Ok(holds(&b))
        }
        ValueKind::Map => Ok(b
            .as_str()
            .is_some_and(|key| a.get_attr(key).is_ok_and(|v| !v.is_undefined()))),
        ValueKind::String => Ok(a.as_str().unwrap_or("").contains(&java_text(&b)?)),
        other => Err(invalid(format!(
            "`contains` takes a list, a map or text, not {other}"
        ))),
    }
}

/// `x.name` as Pebble reads it (its `DefaultAttributeResolver`): null has nothing (null); a
/// map gives its member, or null; anything else, and a name a Java map answers as a method
/// (`size`, `empty`, ...), may reach a Java method of that name (`"abc".length` is 3 in
/// Pebble): not modelled.
fn member(v: Value, name: String) -> Result<Value, Error> {
    if is_null(&v) {
        return Ok(Value::from(()));
    }
    // A map, or the loop's own variables (an object of minijinja's).
    if !matches!(v.kind(), ValueKind::Map | ValueKind::Plain) {
        return Err(not_modelled(&format!(
            "`.{name}` of {} (Pebble may call a Java method of that name)",
            v.kind()
        )));
    }
    let found = v.get_attr(&name).unwrap_or_default();
    const MAP_METHODS: [&str; 10] = [
        "size", "empty", "isempty", "class", "getclass", "hashcode", "tostring", "keyset",
        "values", "entryset",
    ];
    if found.is_undefined() && MAP_METHODS.contains(&name.to_ascii_lowercase().as_str()) {
        return Err(not_modelled(&format!(
            "`.{name}` of a map without that member (Pebble calls the Java map's method)"
        )));
    }
    Ok(if found.is_undefined() {
        Value::from(())
    } else {
        found
    })
}

/// `x[key]` as Pebble reads it: null has nothing; a list takes a whole number, or text that
/// reads as one (`l['1']`), and gives null past either end (`l[-1]` too); a map takes text (a
/// number is an error); text has no items (null) but what `.name` would reach.
fn item(v: Value, key: Value) -> Result<Value, Error> {
    if is_null(&v) {
        return Ok(Value::from(()));
    }
    match v.kind() {
        ValueKind::Seq => {
            let index = match key.as_str() {
                Some(text) if key.kind() == ValueKind::String => text
                    .trim()
                    .parse::<i64>()
                    .map_err(|_| invalid("a list's index is a whole number"))?,
                _ if key.is_integer() => key.as_i64().unwrap_or(-1),
                _ => return Err(not_modelled(&format!("a list indexed by {}", key.kind()))),
            };
            let found = usize::try_from(index)
                .ok()
                .and_then(|i| v.get_item_by_index(i).ok());
            Ok(found
                .filter(|f| !f.is_undefined())
                .unwrap_or(Value::from(())))
        }
        ValueKind::Map => match key.as_str() {
            Some(name) if key.kind() == ValueKind::String => member(v, name.to_string()),
            // Pebble's MapResolver: nothing in an empty map; a number looked up among keys
            // that are numbers; among text keys, an error.
            _ if is_number(&key) => {
                let first = v.try_iter()?.next();
                match first {
                    None => Ok(Value::from(())),
                    Some(k) if is_number(&k) => {
                        let found = v.get_item(&key).unwrap_or_default();
                        Ok(if found.is_undefined() {
                            Value::from(())
                        } else {
                            found
                        })
                    }
                    Some(_) => Err(invalid("a map with text keys takes text, not a number")),
                }
            }
            _ => Err(invalid(format!(
                "a map's key is text or a number, not {}",
                key.kind()
            ))),
        },
        ValueKind::String if key.is_integer() => Ok(Value::from(())),
        _ => match key.as_str() {
            Some(name) => member(v, name.to_string()),
            None => Err(not_modelled(&format!("an item of {}", v.kind()))),
        },
    }
}

/// What `{% for %}` goes through, as Pebble's `ForNode` takes it: a list; null as nothing. A
/// map (Pebble goes through its entries, printed as `key=value`) is not modelled, and text is
/// no list (an error, as in Pebble).
fn iterable(v: Value) -> Result<Value, Error> {
    if is_null(&v) {
        return Ok(Value::from(Vec::<Value>::new()));
    }
    match v.kind() {
        ValueKind::Seq => Ok(v),
        ValueKind::Map => Err(not_modelled(
            "`for` over a map (Pebble goes through its entries)",
        )),
        other => Err(invalid(format!("`for` goes through a list, not {other}"))),
    }
}

/// Two numbers as Java's widening arithmetic takes them (Pebble's `OperatorUtils`): whole
/// numbers as `long`, wrapping past its range as Java's does, anything else as `double`. `None`
/// when either is not a number.
fn arithmetic(
    a: &Value,
    b: &Value,
    whole: fn(i64, i64) -> i64,
    decimal: fn(f64, f64) -> f64,
) -> Option<Value> {
    if !(is_number(a) && is_number(b)) {
        return None;
    }
    if let (true, true, Some(x), Some(y)) = (a.is_integer(), b.is_integer(), a.as_i64(), b.as_i64())
    {
        return Some(Value::from(whole(x, y)));
    }
    Some(Value::from(decimal(as_f64(a)?, as_f64(b)?)))
}

/// A value where Pebble wants a boolean (`and`, `or`, `not`, `? :`, `{% if %}`; its
/// `TypeUtils.compatibleCast`): null is false, a number is true unless zero, text unless empty
/// [assumed: Pebble 3.2's reading; older versions refuse text there]; a list or a map is an
/// error, as in Pebble.
fn truth(v: Value) -> Result<bool, Error> {
    if is_null(&v) {
        return Ok(false);
    }
    match v.kind() {
        ValueKind::Bool => Ok(v.is_true()),
        ValueKind::Number => Ok(as_f64(&v).is_some_and(|x| x != 0.0 && !x.is_nan())),
        ValueKind::String => Ok(v.as_str().is_some_and(|s| !s.is_empty())),
        other => Err(invalid(format!(
            "a {other} where a boolean is wanted (Pebble takes a boolean, number or text)"
        ))),
    }
}

/// `%` as Pebble has it: Java's remainder, with the sign of the dividend (`-7 % 3` is `-1`;
/// minijinja's is Python's, `2`), numbers only; a whole number by zero is an error.
fn remainder(a: Value, b: Value) -> Result<Value, Error> {
    if a.is_integer() && b.is_integer() && b.as_i64() == Some(0) {
        return Err(invalid("`%` by zero"));
    }
    arithmetic(&a, &b, i64::wrapping_rem, |x, y| x % y)
        .ok_or_else(|| invalid("`%` takes numbers only"))
}

/// `*` as Pebble has it: numbers only (minijinja would also repeat text, as often as asked).
fn multiply(a: Value, b: Value) -> Result<Value, Error> {
    arithmetic(&a, &b, i64::wrapping_mul, |x, y| x * y)
        .ok_or_else(|| invalid("`*` multiplies numbers only"))
}

/// An error as one line: its kind and detail, without minijinja's excerpt.
fn describe(e: &Error) -> String {
    if e.kind() == ErrorKind::OutOfFuel {
        return format!(
            "stopped after {} instructions, the most one evaluation does (loops within loops?)",
            crate::flow::limits::MAX_TEMPLATE_FUEL
        );
    }
    match e.detail() {
        Some(detail) if detail.starts_with(NOT_MODELLED) => detail.to_string(),
        Some(detail) => format!("{}: {detail}", e.kind()),
        None => e.kind().to_string(),
    }
}

/// The template with every `{{ expression }}` (and the condition of `{% if %}` / `{% elseif %}`)
/// translated to minijinja's syntax.
pub(crate) fn translate(template: &str) -> Result<String, EvalError> {
    let mut out = String::new();
    let mut rest = template;
    // How many `for` loops the text at hand is in: there `loop` is Pebble's loop variables.
    let mut loops = 0usize;
    let tokens_at = |text: &str, loops: usize| loop_variables(tokens(text)?, loops > 0);
    loop {
        // One pass for any opening (looking for each apart is quadratic in the blocks).
        let open = (rest.as_bytes().windows(2))
            .position(|w| w[0] == b'{' && matches!(w[1], b'{' | b'%' | b'#'));
        // A comment is never evaluated, in either: kept as written, whatever it holds.
        if let Some(a) = open.filter(|&a| rest.as_bytes()[a + 1] == b'#') {
            let Some(end) = rest[a + 2..].find("#}") else {
                return Err(EvalError("`{#` without its closing `#}`".into()));
            };
            out.push_str(&rest[..a + 2 + end + 2]);
            rest = &rest[a + 2 + end + 2..];
            continue;
        }
        let (open, close, is_tag) = match open {
            Some(a) if rest.as_bytes()[a + 1] == b'%' => (a, "%}", true),
            Some(a) => (a, "}}", false),
            None => {
                out.push_str(rest);
                return Ok(out);
            }
        };
        out.push_str(&rest[..open]);
        let body_start = open + 2;
        let Some(end) = crate::flow_designer::pebble::block_end(rest, body_start, close) else {
            return Err(EvalError(format!(
                "`{}` without its closing `{close}`",
                &rest[open..open + 2]
            )));
        };
        let body = &rest[body_start..end];
        // Whitespace control (`{{-`, `-}}`) is the same in both: kept as written.
        let (lead, body) = match body.strip_prefix('-') {
            Some(b) => ("-", b),
            None => ("", body),
        };
        let (trail, body) = match body.strip_suffix('-') {
            Some(b) => ("-", b),
            None => ("", body),
        };
        if is_tag {
            let trimmed = body.trim_start();
            let word: String = trimmed
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect();
            let after = &trimmed[word.len()..];
            let translated = match word.as_str() {
                "if" => format!(" if __bool({}) ", expression(&tokens_at(after, loops)?)?),
                "elseif" => format!(" elif __bool({}) ", expression(&tokens_at(after, loops)?)?),
                // Pebble's `set` in a loop changes a name set before the loop (its scope
                // chain), minijinja's makes a name of the loop's own.
                "set" if loops > 0 => {
                    return Err(EvalError(format!(
                        "{NOT_MODELLED}: `set` inside `for` (Pebble changes a name set before the loop, minijinja does not)"
                    )))
                }
                "set" => {
                    let Some((name, value)) = after.split_once('=') else {
                        return Err(EvalError("`set` without `=`".into()));
                    };
                    format!(
                        " set {} = {} ",
                        name.trim(),
                        expression(&tokens_at(value, loops)?)?
                    )
                }
                "for" => {
                    let Some((names, items)) = after.split_once(" in ") else {
                        return Err(EvalError("`for` without `in`".into()));
                    };
                    let items = format!("__iterable({})", expression(&tokens_at(items, loops)?)?);
                    loops += 1;
                    format!(" for {} in {items} ", names.trim())
                }
                "endfor" => {
                    loops = loops.saturating_sub(1);
                    body.to_string()
                }
                "else" | "endif" => body.to_string(),
                other => {
                    return Err(EvalError(format!(
                        "{NOT_MODELLED}: the tag `{other}` (the run evaluates `if`, `for` and `set`)"
                    )))
                }
            };
            out.push_str(&format!("{{%{lead}{translated}{trail}%}}"));
        } else {
            out.push_str(&format!(
                "{{{{{lead} {} {trail}}}}}",
                expression(&tokens_at(body, loops)?)?
            ));
        }
        rest = &rest[end + 2..];
    }
}

/// A token of a Pebble expression: its text and whether it is a word or symbol.
#[derive(Clone, Debug, PartialEq)]
struct Tok {
    text: String,
}

fn tokens(text: &str) -> Result<Vec<Tok>, EvalError> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i;
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if c == b'"' || c == b'\'' {
            let (end, interpolated) = crate::flow_designer::pebble::string_literal(b, i);
            if end >= b.len() {
                return Err(EvalError("a string without its closing quote".into()));
            }
            i = end + 1;
            if !interpolated.is_empty() {
                out.extend(interpolation(text, start, end, &interpolated)?);
                continue;
            }
        } else if c.is_ascii_alphanumeric() || c == b'_' {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            // A decimal number keeps its point.
            if c.is_ascii_digit() && i + 1 < b.len() && b[i] == b'.' && b[i + 1].is_ascii_digit() {
                i += 1;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
            }
        } else if i + 1 < b.len() && matches!(&b[i..i + 2], b"==" | b"!=" | b"<=" | b">=") {
            i += 2;
        } else {
            // One character (UTF-8 sequences whole).
            i += text[i..].chars().next().map_or(1, char::len_utf8);
        }
        out.push(Tok {
            text: text[start..i].to_string(),
        });
    }
    Ok(out)
}

/// Within a loop, Pebble's loop variables as minijinja names them: `loop.index` and
/// `loop.revindex` count from 0 in Pebble (its `ForNode`), from 1 in minijinja (whose
/// `index0`, `revindex0` count from 0); `first`, `last` and `length` are alike. Any other
/// member of `loop` (minijinja has more) stops the run.
fn loop_variables(mut toks: Vec<Tok>, in_loop: bool) -> Result<Vec<Tok>, EvalError> {
    if !in_loop {
        return Ok(toks);
    }
    for i in 2..toks.len() {
        let after_loop =
            is(&toks[i - 1], ".") && is(&toks[i - 2], "loop") && (i < 3 || !is(&toks[i - 3], "."));
        if !after_loop {
            continue;
        }
        toks[i].text = match toks[i].text.as_str() {
            "index" => "index0".to_string(),
            "revindex" => "revindex0".to_string(),
            "first" | "last" | "length" => continue,
            other => {
                return Err(EvalError(format!(
                    "{NOT_MODELLED}: `loop.{other}` (Pebble's loop has index, revindex, first, last and length)"
                )))
            }
        };
    }
    Ok(toks)
}

/// A double-quoted string that interpolates (`"PIN #{Pin}!"`, from the quote at `start` to the
/// one at `end`) as Pebble evaluates it: its text and each expression's value joined, as tokens
/// of `("PIN " ~ (Pin) ~ "!")`.
fn interpolation(
    text: &str,
    start: usize,
    end: usize,
    parts: &[std::ops::Range<usize>],
) -> Result<Vec<Tok>, EvalError> {
    let tok = |t: &str| Tok {
        text: t.to_string(),
    };
    let mut out = vec![tok("("), tok("\"\"")];
    let mut from = start + 1;
    for part in parts {
        // The text before `#{`, in quotes of its own.
        let literal = &text[from..part.start - 2];
        if !literal.is_empty() {
            out.extend([tok("~"), tok(&format!("\"{literal}\""))]);
        }
        let inner = tokens(&text[part.clone()])?;
        if inner.is_empty() {
            return Err(EvalError(
                "an interpolation `#{}` without an expression".into(),
            ));
        }
        out.extend([tok("~"), tok("(")]);
        out.extend(inner);
        out.push(tok(")"));
        from = part.end + 1;
    }
    let literal = &text[from..end];
    if !literal.is_empty() {
        out.extend([tok("~"), tok(&format!("\"{literal}\""))]);
    }
    out.push(tok(")"));
    Ok(out)
}

fn is(t: &Tok, s: &str) -> bool {
    t.text == s
}

/// Positions of tokens at bracket depth 0 for which `pick` holds.
fn top_level(
    toks: &[Tok],
    mut pick: impl FnMut(usize, &Tok) -> bool,
) -> Result<Vec<usize>, EvalError> {
    let mut depth: i32 = 0;
    let mut found = Vec::new();
    for (i, t) in toks.iter().enumerate() {
        match t.text.as_str() {
            "(" | "[" | "{" => depth += 1,
            ")" | "]" | "}" => {
                depth -= 1;
                if depth < 0 {
                    return Err(EvalError(format!("an unmatched `{}`", t.text)));
                }
            }
            _ if depth == 0 && pick(i, t) => found.push(i),
            _ => {}
        }
    }
    if depth != 0 {
        return Err(EvalError("an unclosed bracket".into()));
    }
    Ok(found)
}

fn empty_operand(toks: &[Tok]) -> Result<(), EvalError> {
    if toks.is_empty() {
        Err(EvalError("an operator without its operand".into()))
    } else {
        Ok(())
    }
}

/// The conditional (lowest precedence, right to left), then `or`.
fn expression(toks: &[Tok]) -> Result<String, EvalError> {
    empty_operand(toks)?;
    let marks = top_level(toks, |_, t| is(t, "?") || is(t, ":"))?;
    let Some(&q) = marks.iter().find(|&&i| is(&toks[i], "?")) else {
        return or(toks);
    };
    let mut pending = 0;
    let mut colon = None;
    for &i in marks.iter().filter(|&&i| i > q) {
        if is(&toks[i], "?") {
            pending += 1;
        } else if pending == 0 {
            colon = Some(i);
            break;
        } else {
            pending -= 1;
        }
    }
    let Some(c) = colon else {
        return Err(EvalError("a `?` without its `:`".into()));
    };
    Ok(format!(
        "(({}) if __bool({}) else ({}))",
        expression(&toks[q + 1..c])?,
        or(&toks[..q])?,
        expression(&toks[c + 1..])?
    ))
}

fn split_join(
    toks: &[Tok],
    word: &str,
    next: fn(&[Tok]) -> Result<String, EvalError>,
) -> Result<String, EvalError> {
    empty_operand(toks)?;
    let at = top_level(toks, |_, t| is(t, word))?;
    if at.is_empty() {
        return next(toks);
    }
    // Each side as Pebble reads it where it wants a boolean: minijinja's `and` and `or` give
    // back a side itself (`true and "x"` is `x`), Pebble's a boolean.
    let mut parts = Vec::new();
    let mut from = 0;
    for i in at.into_iter().chain([toks.len()]) {
        parts.push(format!("__bool({})", next(&toks[from..i])?));
        from = i + 1;
    }
    Ok(parts.join(&format!(" {word} ")))
}

fn or(toks: &[Tok]) -> Result<String, EvalError> {
    split_join(toks, "or", and)
}

fn and(toks: &[Tok]) -> Result<String, EvalError> {
    split_join(toks, "and", not)
}

fn not(toks: &[Tok]) -> Result<String, EvalError> {
    empty_operand(toks)?;
    if is(&toks[0], "not") {
        // Pebble's `not` binds tighter than any operator (500 in its CoreExtension): `not a ==
        // b` is `(not a) == b`. Where that order would matter, the run stops.
        if !binary_operators(&toks[1..])?.is_empty() {
            return Err(EvalError(format!(
                "{NOT_MODELLED}: `not` before an operator without brackets (Pebble's `not` takes the first operand alone); bracket what is meant"
            )));
        }
        return Ok(format!("not __bool({})", not(&toks[1..])?));
    }
    test(toks)
}

/// The positions of the binary operators at this level below `and` and `or`: those of
/// [`BINARY`], each after an operand.
fn binary_operators(toks: &[Tok]) -> Result<Vec<usize>, EvalError> {
    top_level(toks, |i, t| {
        BINARY.contains(&t.text.as_str()) && i > 0 && ends_operand(&toks[i - 1])
    })
}

/// Pebble's binary operators below `and` and `or`, as the tokens spell them.
const BINARY: [&str; 16] = [
    "is", "contains", "==", "equals", "!=", "<", ">", "<=", ">=", "+", "-", "*", "/", "%", "|", "~",
];

/// A test (`x is empty`, `x is not null`): Pebble tests everything before `is` (20 in its
/// CoreExtension, below comparisons, sums and joins: `a ~ b is empty` is `(a ~ b) is empty`), and
/// goes on after the test's name (`x is empty == false`); minijinja tests the last operand.
/// Where the two would differ (another operator on either side without brackets), the run
/// stops.
fn test(toks: &[Tok]) -> Result<String, EvalError> {
    let at = top_level(toks, |i, t| {
        is(t, "is") && i > 0 && ends_operand(&toks[i - 1])
    })?;
    let Some(&i) = at.first() else {
        // `contains` is at the level of `is`, below comparisons (`a contains b == c` is
        // `a contains (b == c)`).
        return left_to_right(toks, &["contains"], comparison, |acc, _, right| {
            format!("__contains({acc}, {right})")
        });
    };
    let (operand, named) = (&toks[..i], &toks[i + 1..]);
    empty_operand(operand)?;
    let negated = named.first().is_some_and(|t| is(t, "not"));
    let name = &named[usize::from(negated)..];
    let plain_name = name.len() == 1 && ends_operand(&name[0]);
    if at.len() > 1 || !binary_operators(operand)?.is_empty() || !plain_name {
        return Err(EvalError(format!(
            "{NOT_MODELLED}: `is` beside another operator without brackets (Pebble tests everything before `is`); bracket what is meant"
        )));
    }
    let not = if negated { "not " } else { "" };
    Ok(format!("({}) is {not}{}", factor(operand)?, name[0].text))
}

const COMPARISONS: [&str; 7] = ["==", "!=", "<", ">", "<=", ">=", "equals"];

/// Comparisons, left to right as Pebble groups them (`a == b == c` is `(a == b) == c`), as
/// calls of wxcflow's own `__cmp`.
fn comparison(toks: &[Tok]) -> Result<String, EvalError> {
    left_to_right(toks, &COMPARISONS, term, |acc, op, right| {
        let op = if op == "equals" { "==" } else { op };
        format!("__cmp({acc}, \"{op}\", {right})")
    })
}

/// `toks` split at the operators `ops` (each after an operand, outside brackets), each part
/// read by `operand` and joined from the left by `join(left, operator, right)`.
fn left_to_right(
    toks: &[Tok],
    ops: &[&str],
    operand: fn(&[Tok]) -> Result<String, EvalError>,
    join: impl Fn(String, &str, String) -> String,
) -> Result<String, EvalError> {
    empty_operand(toks)?;
    let at = top_level(toks, |i, t| {
        ops.contains(&t.text.as_str()) && i > 0 && ends_operand(&toks[i - 1])
    })?;
    let Some(&first) = at.first() else {
        return operand(toks);
    };
    let mut acc = operand(&toks[..first])?;
    for (n, &i) in at.iter().enumerate() {
        let end = at.get(n + 1).copied().unwrap_or(toks.len());
        acc = join(acc, &toks[i].text, operand(&toks[i + 1..end])?);
    }
    Ok(acc)
}

/// Whether a token ends an operand, so that a `+`, `-`, `*` or `%` after it is binary.
fn ends_operand(t: &Tok) -> bool {
    let word = t
        .text
        .starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_');
    let keyword = matches!(
        t.text.as_str(),
        "not" | "and" | "or" | "is" | "in" | "if" | "else"
    );
    (word && !keyword)
        || t.text.starts_with(['"', '\''])
        || matches!(t.text.as_str(), ")" | "]" | "}")
}

/// Sums (`+`, `-`) and joins (`~`) of products, left to right; `~` and `+` are wxcflow's own
/// `__cat` and `__add`.
fn term(toks: &[Tok]) -> Result<String, EvalError> {
    empty_operand(toks)?;
    let binary = |i: usize, t: &Tok| {
        matches!(t.text.as_str(), "+" | "-" | "~") && i > 0 && ends_operand(&toks[i - 1])
    };
    let at = top_level(toks, binary)?;
    let Some(&first) = at.first() else {
        return product(toks);
    };
    // Pebble's `~` binds tighter than `|`, `*`, `%`, `+` and `-` (precedence 110 against 100,
    // 60 and 40 in its CoreExtension): `1 + 2 ~ 3` is `1 + "23"`. Where that order would
    // matter, the run stops rather than join in another order.
    if at.iter().any(|&i| is(&toks[i], "~")) {
        let others = at.iter().any(|&i| !is(&toks[i], "~"));
        let mut from = 0;
        let mut mixed = others;
        for i in at.iter().copied().chain([toks.len()]) {
            let operand = &toks[from..i];
            let inner = |j: usize, t: &Tok| {
                matches!(t.text.as_str(), "*" | "%" | "|") && j > 0 && ends_operand(&operand[j - 1])
            };
            mixed |= !top_level(operand, inner)?.is_empty();
            from = i + 1;
        }
        if mixed {
            return Err(EvalError(format!(
                "{NOT_MODELLED}: `~` beside `+`, `-`, `*`, `%` or a filter without brackets (Pebble joins first); bracket what is meant"
            )));
        }
    }
    let mut acc = product(&toks[..first])?;
    for (n, &i) in at.iter().enumerate() {
        let end = at.get(n + 1).copied().unwrap_or(toks.len());
        let right = product(&toks[i + 1..end])?;
        acc = match toks[i].text.as_str() {
            "~" => format!("__cat({acc}, {right})"),
            "+" => format!("__add({acc}, {right})"),
            _ => format!("__sub({acc}, {right})"),
        };
    }
    Ok(acc)
}

/// Products (`*`, `%`), left to right; wxcflow's own `__mul` and `__mod`, numbers only.
fn product(toks: &[Tok]) -> Result<String, EvalError> {
    empty_operand(toks)?;
    let binary = |i: usize, t: &Tok| {
        matches!(t.text.as_str(), "*" | "%") && i > 0 && ends_operand(&toks[i - 1])
    };
    let at = top_level(toks, binary)?;
    let Some(&first) = at.first() else {
        return factor(toks);
    };
    let mut acc = factor(&toks[..first])?;
    for (n, &i) in at.iter().enumerate() {
        let end = at.get(n + 1).copied().unwrap_or(toks.len());
        let right = factor(&toks[i + 1..end])?;
        acc = if is(&toks[i], "*") {
            format!("__mul({acc}, {right})")
        } else {
            format!("__mod({acc}, {right})")
        };
    }
    Ok(acc)
}

/// Everything that binds tighter than arithmetic, passed to minijinja as written; what stands
/// inside brackets is translated, item by item.
fn factor(toks: &[Tok]) -> Result<String, EvalError> {
    empty_operand(toks)?;
    let mut out = String::new();
    // Where the operand that a `.name` or `[key]` after it reads from starts in `out`, and
    // whether it is a list or map written out (Pebble reads no member or item of one).
    let mut operand: Option<usize> = None;
    let mut written_out = false;
    let mut i = 0;
    while i < toks.len() {
        let t = &toks[i];
        let after_operand = i > 0 && ends_operand(&toks[i - 1]);
        // Pebble's unary `+` (OperatorUtils.unaryPlus), which minijinja has not.
        if t.text == "+" && !after_operand {
            return Err(EvalError(format!("{NOT_MODELLED}: unary `+`")));
        }
        // A member or an item, as Pebble reads it: wxcflow's own `__member` and `__item`.
        let postfix = match t.text.as_str() {
            // A name (Pebble's NAME token: a letter or `_` first), keywords too (`m.in`).
            "." => toks.get(i + 1).filter(|u| {
                u.text
                    .starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            }),
            "[" if after_operand => Some(t),
            _ => None,
        };
        let range = toks.get(i + 1).is_some_and(|u| is(u, "."));
        if is(t, ".") && postfix.is_none() && !range {
            return Err(EvalError(
                "a `.` without a name after it (Pebble reads `1.` as `1` and a member)".into(),
            ));
        }
        if let Some(next) = postfix {
            let Some(from) = operand.filter(|_| !written_out) else {
                return Err(EvalError(format!(
                    "{NOT_MODELLED}: a member or item of this (Pebble reads none of a list or map written out, or of a filter's result)"
                )));
            };
            let base = out.split_off(from);
            if is(t, ".") {
                if toks.get(i + 2).is_some_and(|u| is(u, "(")) {
                    return Err(EvalError(format!(
                        "{NOT_MODELLED}: `.{}(...)` calls a Java method in Pebble",
                        next.text
                    )));
                }
                out.push_str(&format!("__member({base}, \"{}\")", next.text));
                i += 2;
                continue;
            }
            let end = closing(toks, i)?;
            let key = expression(&toks[i + 1..end])?;
            if !top_level(&toks[i + 1..end], |_, u| is(u, ":") || is(u, ","))?.is_empty() {
                return Err(EvalError(format!(
                    "{NOT_MODELLED}: `[a:b]` is minijinja's slice, not Pebble's (Pebble has the `slice` filter)"
                )));
            }
            out.push_str(&format!("__item({base}, {key})"));
            i = end + 1;
            continue;
        }
        // Words and operators Pebble does not have, which minijinja would evaluate: the
        // inline `a if b else c`, `in`, and Pebble's own range `a..b`.
        let after_dot = i > 0 && is(&toks[i - 1], ".");
        let unknown_word = matches!(t.text.as_str(), "if" | "else" | "in") && !after_dot;
        if unknown_word || (is(t, ".") && toks.get(i + 1).is_some_and(|u| is(u, "."))) {
            let what = if unknown_word { t.text.as_str() } else { ".." };
            return Err(EvalError(format!(
                "{NOT_MODELLED}: `{what}` (minijinja reads it, Pebble does not or reads it otherwise)"
            )));
        }
        // Pebble's lexer reads a number as digits with an optional decimal part, a whole one
        // as a Java `long`: `1e3` is `1` and a name, `9223372036854775808` no number.
        if t.text.starts_with(|c: char| c.is_ascii_digit()) && !after_dot {
            let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
            let number = match t.text.split_once('.') {
                Some((whole, fraction)) => digits(whole) && digits(fraction),
                None => t.text.parse::<i64>().is_ok(),
            };
            if !number {
                return Err(EvalError(format!(
                    "`{}` is no number Pebble reads (digits with an optional decimal part, a whole number within Java's long)",
                    t.text
                )));
            }
        }
        if t.text == "/" {
            return Err(EvalError(
                "`/` is not evaluated: Pebble divides integers as integers, minijinja does not"
                    .into(),
            ));
        }
        if matches!(t.text.as_str(), "(" | "[" | "{") {
            // A group that starts an operand (not a call's arguments).
            if !(is(t, "(") && after_operand) {
                operand = Some(out.len());
                written_out = !is(t, "(");
            }
            let close = match t.text.as_str() {
                "(" => ")",
                "[" => "]",
                _ => "}",
            };
            let mut depth = 0;
            let mut end = None;
            for (j, u) in toks.iter().enumerate().skip(i) {
                if matches!(u.text.as_str(), "(" | "[" | "{") {
                    depth += 1;
                } else if matches!(u.text.as_str(), ")" | "]" | "}") {
                    depth -= 1;
                    if depth == 0 {
                        if u.text != close {
                            return Err(EvalError(format!("`{}` closed by `{}`", t.text, u.text)));
                        }
                        end = Some(j);
                        break;
                    }
                }
            }
            let Some(end) = end else {
                return Err(EvalError("an unclosed bracket".into()));
            };
            let inner = &toks[i + 1..end];
            let commas = top_level(inner, |_, u| is(u, ","))?;
            let mut items = Vec::new();
            let mut from = 0;
            for c in commas.into_iter().chain([inner.len()]) {
                let item = &inner[from..c];
                if !item.is_empty() {
                    // A map entry `key: value` is two expressions.
                    let colon = top_level(item, |_, u| is(u, ":"))?;
                    match (t.text.as_str(), colon.first()) {
                        ("[", Some(_)) => {
                            return Err(EvalError(format!(
                                "{NOT_MODELLED}: `[a:b]` is minijinja's slice, not Pebble's (Pebble has the `slice` filter)"
                            )))
                        }
                        ("{", Some(&k)) => items.push(format!(
                            "{}: {}",
                            expression(&item[..k])?,
                            expression(&item[k + 1..])?
                        )),
                        _ => items.push(expression(item)?),
                    }
                }
                from = c + 1;
            }
            out.push_str(&t.text);
            out.push_str(&items.join(", "));
            out.push_str(close);
            i = end + 1;
            continue;
        }
        let glue =
            !out.is_empty() && !matches!(t.text.as_str(), "." | ")" | "]") && !out.ends_with('.');
        if glue {
            out.push(' ');
        }
        let before = |back: usize| i.checked_sub(back).map(|j| toks[j].text.as_str());
        let named_by_position = matches!(before(1), Some("." | "|" | "is"))
            || (before(1) == Some("not") && before(2) == Some("is"));
        if named_by_position {
            out.push_str(&t.text);
            operand = None;
        } else {
            if ends_operand(t) {
                operand = Some(out.len());
                written_out = false;
            }
            out.push_str(&pebble_word(&t.text));
        }
        i += 1;
    }
    Ok(out)
}

/// The position of the bracket that closes the one at `open`.
fn closing(toks: &[Tok], open: usize) -> Result<usize, EvalError> {
    let mut depth = 0;
    for (j, u) in toks.iter().enumerate().skip(open) {
        if matches!(u.text.as_str(), "(" | "[" | "{") {
            depth += 1;
        } else if matches!(u.text.as_str(), ")" | "]" | "}") {
            depth -= 1;
            if depth == 0 {
                return Ok(j);
            }
        }
    }
    Err(EvalError("an unclosed bracket".into()))
}

/// A word standing where Pebble reads a name or a literal, as minijinja must read it to mean
/// the same: Pebble's literals (`null`, `TRUE`, ...; see [`crate::flow_designer::pebble::LITERALS`])
/// as minijinja's, and the words minijinja alone reads as literals (`True`, `False`, `None`)
/// looked up as the names they are in Pebble.
fn pebble_word(word: &str) -> std::borrow::Cow<'_, str> {
    match word {
        "true" | "TRUE" => "true".into(),
        "false" | "FALSE" => "false".into(),
        "none" | "NONE" | "null" | "NULL" => "none".into(),
        "True" | "False" | "None" => format!("__name(\"{word}\")").into(),
        _ => word.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each template stops the run, as not modelled.
    fn stops(templates: &[&str], vars: &[(&str, Value)]) {
        for template in templates {
            let e = render(template, vars).unwrap_err();
            assert!(e.is_not_modelled(), "{template}: {e}");
        }
    }

    /// Each template is an error, as in Pebble (the activity's error port), not a stop.
    fn fails(templates: &[&str], vars: &[(&str, Value)]) {
        for template in templates {
            let e = render(template, vars).unwrap_err();
            assert!(
                !e.is_not_modelled(),
                "{template}: an error, as in Pebble: {e}"
            );
        }
    }

    fn render(template: &str, vars: &[(&str, Value)]) -> Result<String, EvalError> {
        let context = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        Pebble::new().render(template, &context)
    }

    #[test]
    fn pebble_s_literals_are_literals_and_other_words_names() {
        let named = [
            ("null", Value::from("n")),
            ("TRUE", Value::from("t")),
            ("True", Value::from("T")),
            ("None", Value::from("N")),
            ("x", Value::from(1)),
        ];
        assert_eq!(
            render(
                "{{ null }}|{{ NULL is null }}|{{ TRUE }}|{{ FALSE }}",
                &named
            )
            .unwrap(),
            "|true|true|false"
        );
        assert_eq!(render("{{ True }}|{{ None }}", &named).unwrap(), "T|N");
        // A test or a member keeps its word.
        assert_eq!(
            render("{{ x is null }}|{{ none is null }}", &named).unwrap(),
            "false|true"
        );
        assert_eq!(
            render("{{ True == 'T' and TRUE == true }}", &named).unwrap(),
            "true"
        );
    }

    #[test]
    fn a_join_adds_nothing_for_null_and_bracketed_sides_read_as_written() {
        let v = [
            ("n", Value::from(())),
            ("x", Value::from(2)),
            ("b", Value::from(true)),
        ];
        assert_eq!(render("{{ null ~ 'x' }}", &v).unwrap(), "x");
        assert_eq!(render("{{ n ~ 'x' ~ missing.field }}", &v).unwrap(), "x");
        assert_eq!(render("{{ 'a' ~ b ~ x }}", &v).unwrap(), "atrue2");
        // Bracketed, each side is what it reads as.
        assert_eq!(render("{{ (1 + x) ~ 3 }}", &v).unwrap(), "33");
        assert_eq!(render("{{ ('a' ~ 'b') | upper }}", &v).unwrap(), "AB");
        assert_eq!(render("{{ 'a' ~ ('b' | upper) }}", &v).unwrap(), "aB");
        assert_eq!(render("{{ 'a' ~ (x * 3) }}", &v).unwrap(), "a6");
        assert_eq!(render("{{ \"n=#{n}.\" }}", &v).unwrap(), "n=.");
    }

    #[test]
    fn a_join_beside_a_looser_operator_without_brackets_is_not_modelled() {
        // Pebble joins first (`~` at 110 against `|` 100, `*` `%` 60, `+` `-` 40): `1 + 2 ~ 3`
        // is `1 + "23"`, `'a' ~ 'b' | upper` is `AB`.
        let v = [("x", Value::from(2))];
        stops(
            &[
                "{{ 1 + x ~ 3 }}",
                "{{ 1 ~ x + 3 }}",
                "{{ 10 - 3 ~ 1 }}",
                "{{ 'a' ~ x * 3 }}",
                "{{ 'a' ~ x % 3 }}",
                "{{ 'a' ~ 'b' | upper }}",
                "{{ 'a' | upper ~ 'b' }}",
            ],
            &v,
        );
    }

    #[test]
    fn a_double_quoted_string_interpolates_as_pebble_does() {
        let x = [("x", Value::from(5)), ("who", Value::from("world"))];
        assert_eq!(render("{{ \"a #{x} b\" }}", &x).unwrap(), "a 5 b");
        assert_eq!(render("{{ \"#{who}\" == 'world' }}", &x).unwrap(), "true");
        assert_eq!(
            render("{{ \"#{ who ~ \"-#{x}\" }!\" }}", &x).unwrap(),
            "world-5!"
        );
        // Single quotes, and a `#` not before `{`, are text.
        assert_eq!(render("{{ '#{x}' }}", &x).unwrap(), "#{x}");
        assert_eq!(render("{{ \"# {x}\" }}", &x).unwrap(), "# {x}");
    }

    #[test]
    fn a_sum_with_text_joins_as_pebble_does() {
        let v = [
            ("n", Value::from(())),
            ("x", Value::from(2)),
            ("S", Value::from("s")),
            ("L", Value::from(vec![1, 2])),
        ];
        assert_eq!(render("{{ S + 1 }}", &v).unwrap(), "s1");
        assert_eq!(render("{{ 1 + x + S }}", &v).unwrap(), "3s");
        assert_eq!(render("{{ S + x + 1 }}", &v).unwrap(), "s21");
        assert_eq!(
            render("{{ n + 'x' }}|{{ 'a' + true }}", &v).unwrap(),
            "nullx|atrue"
        );
        assert_eq!(render("{{ missing.field + 'x' }}", &v).unwrap(), "nullx");
        assert_eq!(render("{{ 1.5 + 'x' }}", &v).unwrap(), "1.5x");
        assert_eq!(render("{{ x + 2 }}|{{ 0.5 + x }}", &v).unwrap(), "4|2.5");
        // Pebble adds to the list itself, seen by every name for it: not modelled.
        assert!(render("{{ L + 3 }}", &v).unwrap_err().is_not_modelled());
        assert!(render("{{ n + 1 }}", &v).is_err());
        assert!(render("{{ true + 1 }}", &v).is_err());
    }

    #[test]
    fn a_test_beside_another_operator_without_brackets_is_not_modelled() {
        // Pebble tests everything before `is` (`("x" ~ E) is empty`); minijinja the last operand.
        let v = [("E", Value::from("")), ("x", Value::from(2))];
        stops(
            &[
                "{{ \"x\" ~ E is empty }}",
                "{{ x + 1 is null }}",
                "{{ x == 2 is null }}",
                "{{ E is empty == true }}",
                "{{ E is empty is null }}",
                "{{ not E is empty }}",
                "{{ not x == 2 }}",
            ],
            &v,
        );
        assert_eq!(render("{{ (\"x\" ~ E) is empty }}", &v).unwrap(), "false");
        assert_eq!(
            render("{{ E is not empty or missing.y is null }}", &v).unwrap(),
            "true"
        );
        assert_eq!(
            render("{{ not (x == 2) }}|{{ not E }}", &v).unwrap(),
            "false|true"
        );
    }

    #[test]
    fn booleans_are_read_as_pebble_reads_them() {
        let v = [("L", Value::from(vec![1])), ("E", Value::from(""))];
        assert_eq!(
            render("{{ true and 'x' }}|{{ 0 or 'b' }}", &v).unwrap(),
            "true|true"
        );
        assert_eq!(
            render("{{ '' or 0 }}|{{ E or missing }}", &v).unwrap(),
            "false|false"
        );
        assert_eq!(
            render("{{ 2 ? 'y' : 'n' }}|{{ E ? 'y' : 'n' }}", &v).unwrap(),
            "y|n"
        );
        assert_eq!(
            render("{% if 'a' %}y{% endif %}{% if 0 %}n{% endif %}", &v).unwrap(),
            "y"
        );
        assert!(render("{{ L and true }}", &v).is_err());
        assert!(render("{% if L %}y{% endif %}", &v).is_err());
    }

    #[test]
    fn a_remainder_has_the_sign_of_the_dividend_as_in_java() {
        assert_eq!(
            render("{{ -7 % 3 }}|{{ 7 % -3 }}|{{ 7 % 3 }}", &[]).unwrap(),
            "-1|1|1"
        );
        assert_eq!(render("{{ -7.5 % 2 }}", &[]).unwrap(), "-1.5");
        assert!(render("{{ 7 % 0 }}", &[]).is_err());
        assert!(render("{{ 'a' % 2 }}", &[]).is_err());
    }

    #[test]
    fn what_pebble_does_not_have_is_not_modelled() {
        let v = [("x", Value::from("xyz")), ("L", Value::from(vec![1, 2, 3]))];
        stops(
            &[
                "{{ 1..3 }}",
                "{{ (1..3) | length }}",
                "{{ 'a' if true else 'b' }}",
                "{{ 'x' in x }}",
                "{{ L[0:2] }}",
                "{% for i in L %}{{ loop.index0 }}{% endfor %}",
                "{% for i in L %}{{ loop.cycle('a', 'b') }}{% endfor %}",
                // Pebble has these; the run does not evaluate them.
                "{{ +x }}",
                "{{ 5 == +5 }}",
                "{{ 1 + +2 }}",
                "{% verbatim %}a{% endverbatim %}",
                "{% macro m() %}a{% endmacro %}",
                "{% autoescape 'html' %}a{% endautoescape %}",
            ],
            &v,
        );
        // A member of that name is a member.
        let m = [(
            "m",
            Value::from_serialize(serde_json::json!({"in": 1, "if": 2})),
        )];
        assert_eq!(render("{{ m.in }}{{ m.if }}", &m).unwrap(), "12");
    }

    #[test]
    fn loop_variables_count_from_zero_as_in_pebble() {
        let v = [("L", Value::from(vec![7, 8, 9]))];
        assert_eq!(
            render(
                "{% for i in L %}{{ loop.index }}{{ loop.revindex }}{{ loop.first }}{{ loop.last }}{{ loop.length }};{% endfor %}",
                &v
            )
            .unwrap(),
            "02truefalse3;11falsefalse3;20falsetrue3;"
        );
        // Outside a loop, `loop` is a name like any other.
        let named = [(
            "loop",
            Value::from_serialize(serde_json::json!({"index": 5})),
        )];
        assert_eq!(render("{{ loop.index }}", &named).unwrap(), "5");
    }

    #[test]
    fn comparisons_group_from_the_left_and_contains_sits_below_them() {
        let v = [("T", Value::from("gold"))];
        assert_eq!(
            render("{{ 1 == 1 == true }}|{{ 2 == 2 != false }}", &v).unwrap(),
            "true|true"
        );
        assert_eq!(
            render("{{ 1 != 2 != true }}|{{ 1 < 2 == true }}", &v).unwrap(),
            "false|true"
        );
        assert_eq!(render("{{ T == 'gold' == true }}", &v).unwrap(), "true");
        assert_eq!(
            render("{{ 'xfalse' contains 'b' == false }}", &v).unwrap(),
            "true"
        );
    }

    #[test]
    fn contains_as_pebble_has_it() {
        for (template, expected) in [
            ("{{ [1, 2] contains [1] }}", "true"),
            ("{{ [[1]] contains [1] }}", "false"),
            ("{{ [1, 2] contains 1.0 }}", "false"),
            ("{{ 'a12' contains 1 }}", "true"),
            ("{{ 'a1.0' contains 1.0 }}", "true"),
            ("{{ 'atrue' contains true }}", "true"),
            ("{{ {'k': 1} contains 'k' }}", "true"),
            ("{{ missing contains 'k' }}", "false"),
        ] {
            assert_eq!(render(template, &[]).unwrap(), expected, "{template}");
        }
        assert!(render("{{ 5 contains 5 }}", &[]).is_err());
    }

    #[test]
    fn values_print_as_java_prints_them() {
        for (template, expected) in [
            (
                "{{ 2.0 + 1.0 }}|{{ 1.0 * 1 }}|{{ 100.0 + 0 }}",
                "3.0|1.0|100.0",
            ),
            (
                "{{ 'a' + (1.0 + 1.0) }}|{{ \"a #{1.0 + 1.0} b\" }}",
                "a2.0|a 2.0 b",
            ),
            (
                "{{ 10000000.0 }}|{{ 12345678.9 }}|{{ 0.00001 }}",
                "1.0E7|1.23456789E7|1.0E-5",
            ),
            (
                "{{ 100.0 * 100000 }}|{{ 0.001 }}|{{ 1.5 - 1.5 }}",
                "1.0E7|0.001|0.0",
            ),
            ("{{ ['x', null, true, 1.5] }}", "[x, null, true, 1.5]"),
            ("{{ 9223372036854775807 + 1 }}", "-9223372036854775808"),
            (
                "{{ 9223372036854775807 * 2 }}|{{ -9223372036854775807 - 2 }}",
                "-2|9223372036854775807",
            ),
        ] {
            assert_eq!(render(template, &[]).unwrap(), expected, "{template}");
        }
        assert!(render("{{ {'a': 1} }}", &[]).unwrap_err().is_not_modelled());
        assert!(render("{{ 1e3 }}", &[]).is_err());
        assert!(render("{{ 9223372036854775808 }}", &[]).is_err());
    }

    #[test]
    fn join_empty_default_and_for_as_pebble_has_them() {
        let v = [("B", Value::from("  ")), ("S", Value::from("abc"))];
        assert_eq!(
            render("{{ [1, null, 'a'] | join(',') }}", &v).unwrap(),
            "1,null,a"
        );
        assert!(render("{{ 'x' | join(',') }}", &v).is_err());
        assert!(render("{{ {'a': 1} | join(',') }}", &v).is_err());
        assert_eq!(
            render("{{ B is empty }}|{{ B | default('d') }}", &v).unwrap(),
            "true|d"
        );
        assert!(render("{% for x in {'a': 1} %}{{ x }}{% endfor %}", &v)
            .unwrap_err()
            .is_not_modelled());
        assert!(render("{% for x in S %}{{ x }}{% endfor %}", &v).is_err());
        assert_eq!(
            render("{% for x in missing %}{{ x }}{% endfor %}.", &v).unwrap(),
            "."
        );
    }

    #[test]
    fn filters_take_what_pebble_s_take() {
        let v = [("N", Value::from(12)), ("E", Value::from(""))];
        for (template, expected) in [
            (
                "{{ ' hello' | capitalize }}|{{ 'ab' | capitalize }}",
                " Hello|Ab",
            ),
            (
                "{{ '\u{2003}a' | trim | length }}|{{ '\u{1}a' | trim }}",
                "2|a",
            ),
            (
                "{{ '\u{1F600}' | length }}|{{ 123 | length }}|{{ true | length }}",
                "2|0|0",
            ),
            (
                "{{ ['a', 1] | join('-') }}|{{ 'abc' | slice(1, 3) }}",
                "a-1|bc",
            ),
            ("{{ [1, 2] | first }}{{ [1, 2] | last }}", "12"),
        ] {
            assert_eq!(render(template, &v).unwrap(), expected, "{template}");
        }
        fails(
            &[
                "{{ N | capitalize }}",
                "{{ N | trim }}",
                "{{ N | urlencode }}",
                "{{ 'abc' | slice(2, 2) }}",
                "{{ [1, 'a'] | join(1) }}",
            ],
            &v,
        );
        stops(
            &[
                "{{ 'abc' | first }}",
                "{{ E | last }}",
                "{{ '\u{1F600}a' | slice(0, 1) }}",
                "{{ '\u{1C6}a' | capitalize }}",
            ],
            &v,
        );
    }

    #[test]
    fn comparisons_with_null_and_of_lists_as_pebble_has_them() {
        let v = [("N", Value::from(()))];
        assert_eq!(
            render("{{ null < 1 }}|{{ missing > 3 }}|{{ N >= 0 }}", &v).unwrap(),
            "false|false|false"
        );
        assert_eq!(
            render("{{ [1] == [1.0] }}|{{ [1, 'a'] == [1, 'a'] }}", &v).unwrap(),
            "false|true"
        );
        assert_eq!(
            render(
                "{{ {'a': 1} == {'a': 1} }}|{{ {'a': 1} == {'a': 1.0} }}",
                &v
            )
            .unwrap(),
            "true|false"
        );
        assert_eq!(render("{{ 1 == 1.0 }}", &v).unwrap(), "true");
    }

    #[test]
    fn a_comment_is_never_evaluated_and_a_set_in_a_loop_is_not_modelled() {
        assert_eq!(render("{{ 'a' }}{# {{ 1/0 }} #}b", &[]).unwrap(), "ab");
        let e = render(
            "{% set x = 1 %}{% for i in [1, 2] %}{% set x = x + i %}{% endfor %}{{ x }}",
            &[],
        )
        .unwrap_err();
        assert!(e.is_not_modelled(), "{e}");
    }

    #[test]
    fn members_and_items_as_pebble_reads_them() {
        let v = [
            ("L", Value::from(vec![1, 2])),
            ("S", Value::from("abc")),
            (
                "M",
                Value::from_serialize(serde_json::json!({"a": {"b": 5}, "size": 7})),
            ),
        ];
        for (template, expected) in [
            (
                "{{ M.a.b }}|{{ M['a']['b'] }}|{{ M.size }}|{{ M.x }}",
                "5|5|7|",
            ),
            ("{{ L[0] }}|{{ L['1'] }}|{{ L[-1] }}|{{ L[5] }}", "1|2||"),
            ("{{ S[0] }}|{{ missing.a.b }}|{{ missing[0] }}", "||"),
            ("{% for i in L %}{{ loop.index }}{% endfor %}", "01"),
        ] {
            assert_eq!(render(template, &v).unwrap(), expected, "{template}");
        }
        stops(
            &[
                "{{ S.length }}",
                "{{ L.size }}",
                "{{ M.a.isEmpty }}",
                "{{ S.toUpperCase() }}",
                "{{ [1, 2][0] }}",
                "{{ {'a': 1}.a }}",
            ],
            &v,
        );
        assert!(!render("{{ M[1] }}", &v).unwrap_err().is_not_modelled());
    }

    #[test]
    fn negative_zero_slices_map_items_and_bare_points_as_pebble_has_them() {
        for (template, expected) in [
            ("{{ -0.0 }}|{{ 0.0 * -1 }}|{{ 0 * -1.0 }}", "-0.0|-0.0|-0.0"),
            ("{{ 'abc' | slice(3) }}|{{ 'abc' | slice(1.7, 3) }}", "|bc"),
            ("{{ [1, 2, 3] | slice(1.9) }}", "[2, 3]"),
            (
                "{% set m = {1: 'x', 2: 'y'} %}{{ m[2] }}|{% set e = {} %}{{ e[1] }}",
                "y|",
            ),
        ] {
            assert_eq!(render(template, &[]).unwrap(), expected, "{template}");
        }
        fails(
            &[
                "{{ 'abc' | slice(4) }}",
                "{{ 1. }}",
                "{{ [1, 2].0 }}",
                "{{ {'k': 1} | first }}",
                "{{ {'a': 1} | last }}",
                "{% set m = {'a': 1} %}{{ m[1] }}",
            ],
            &[],
        );
    }

    #[test]
    fn multiplication_keeps_its_precedence_and_takes_numbers_only() {
        assert_eq!(render("{{ 1 + 2 * 3 }}", &[]).unwrap(), "7");
        assert_eq!(render("{{ 7 % 3 * 2 }}", &[]).unwrap(), "2");
        assert_eq!(render("{{ -2 * 3 - -1 }}", &[]).unwrap(), "-5");
        assert_eq!(render("{{ (1 + 2) * 3 }}", &[]).unwrap(), "9");
        assert_eq!(render("{{ 2.5 * 2 }}", &[]).unwrap(), "5.0");
        assert_eq!(render("{{ 'a' ~ (2 * 3) }}", &[]).unwrap(), "a6");
        assert!(render("{{ 'ab' * 3 }}", &[]).is_err());
        assert!(render("{{ 3 * '2' }}", &[]).is_err());
        assert!(render("{% for x in 'ab' * 3 %}{{ x }}{% endfor %}", &[]).is_err());
    }

    #[test]
    fn pebble_meanings_where_minijinja_differs() {
        let status = [(
            "H",
            Value::from_serialize(serde_json::json!({"httpStatusCode": 200})),
        )];
        assert_eq!(
            render("{{ H.httpStatusCode == 200 }}", &status).unwrap(),
            "true"
        );
        assert_eq!(
            render("{{H.httpStatusCode != 200}}", &status).unwrap(),
            "false"
        );
        assert_eq!(render("{{ '200' == 200 }}", &[]).unwrap(), "false");
        assert_eq!(render("{{ 200 == 200.0 }}", &[]).unwrap(), "true");
        assert!(render("{{ '5' < 3 }}", &[]).is_err());
        assert_eq!(render("{{ x is empty }}", &[]).unwrap(), "true");
        assert_eq!(render("{{ x.y.z is empty }}", &[]).unwrap(), "true");
        assert_eq!(render("{{ x.y.z }}", &[]).unwrap(), "");
        let t = [("T", Value::from("tok"))];
        assert_eq!(
            render("{{ (T is not empty) ? (\"Success\") : (\"Error\") }}", &t).unwrap(),
            "Success"
        );
        assert_eq!(
            render("{{ T is empty ? 'a' : T == 'x' ? 'b' : 'c' }}", &t).unwrap(),
            "c"
        );
        assert_eq!(render("{{ 'abc' | slice(1) }}", &[]).unwrap(), "bc");
        assert_eq!(render("{{ 'a b&c' | urlencode }}", &[]).unwrap(), "a+b%26c");
        assert_eq!(render("{{ T | capitalize }}", &t).unwrap(), "Tok");
        assert_eq!(render("{{ '' | default('d') }}", &[]).unwrap(), "d");
        assert_eq!(
            render(
                "{{ Status=='complete' }}",
                &[("Status", Value::from("complete"))]
            )
            .unwrap(),
            "true"
        );
        assert_eq!(
            render("{% if T == 'tok' %}y{% else %}n{% endif %}", &t).unwrap(),
            "y"
        );
        assert_eq!(render("{{ T contains 'o' }}", &t).unwrap(), "true");
        assert!(render("{{ 7 / 2 }}", &[]).is_err());
        let beyond = render("{{ T | slice(5) }}", &t).unwrap_err().to_string();
        assert!(beyond.contains("slice(5) goes beyond"), "{beyond}");
        assert!(
            !beyond.contains('3'),
            "the length of the value is not told: {beyond}"
        );
        assert_eq!(render("a {{- T -}} b", &t).unwrap(), "atokb");
        assert_eq!(
            render("{% set x = T == 'tok' ? 1 : 2 %}{{ x }}", &t).unwrap(),
            "1"
        );
        assert!(render("{{ T | unknownfilter }}", &t).is_err());
        assert!(render("{{ a ? b }}", &[]).is_err());
    }
}
