//! Memory bounds for templates.
//!
//! minijinja's fuel counts instructions, not bytes: `{% set s = "x" * 1000000 %}` and fourteen
//! `{% set s = s ~ s %}` are a few dozen instructions and 16 GB. minijinja has no setting that
//! bounds the size of values, and string concatenation cannot be intercepted, so each template
//! is measured before it runs: its syntax tree is walked with an upper bound on the size of
//! every value it can build, given this tenant's values. A template whose bound passes
//! [`MAX_VALUE_BYTES`] anywhere is refused with the place, before anything is allocated.
//! Constructs whose size cannot be bounded (macros, recursion, values that grow with each loop
//! iteration, namespaces, unknown functions or filters) are refused. One render's values
//! together stay under [`MAX_RENDER_BYTES`].

use minijinja::machinery::ast::{self, BinOpKind, CallArg, Expr, Stmt};
use minijinja::value::ValueKind;
use minijinja::{Error, ErrorKind, Value};
use std::cell::Cell;
use std::collections::HashMap;

/// The largest string one template value (or anything computed on the way) may be.
pub const MAX_VALUE_BYTES: u64 = 1024 * 1024;

/// The most all the values of one render may add up to: the platform's flow size limit.
pub const MAX_RENDER_BYTES: u64 = 10 * 1024 * 1024;

/// `range()` never yields more items (minijinja's own limit).
const MAX_RANGE: u64 = 100_000;

/// The longest text of any number (an `f64` written out in full).
const NUMBER_BYTES: u64 = 330;

/// Loops nested deeper are refused: each level is measured twice, so the work doubles per level.
const MAX_LOOP_DEPTH: usize = 8;

/// Bytes one byte of a string can become when shown inside a list (`\u{1b}`).
const REPR_FACTOR: u64 = 6;

thread_local! {
    /// What the render under way on this thread may still produce; `None` outside one.
    static RENDER_LEFT: Cell<Option<u64>> = const { Cell::new(None) };
}

/// One render's budget on this thread, from `start` until the guard is dropped.
pub struct RenderBudget(());

impl RenderBudget {
    pub fn start() -> RenderBudget {
        RENDER_LEFT.with(|left| left.set(Some(MAX_RENDER_BYTES)));
        RenderBudget(())
    }
}

impl Drop for RenderBudget {
    fn drop(&mut self) {
        RENDER_LEFT.with(|left| left.set(None));
    }
}

/// Renders a template after proving that nothing it builds can pass the limits.
pub fn render(template: &minijinja::Template<'_, '_>, context: &Value) -> Result<String, Error> {
    let bound = measure(template.source(), context)?;
    if RENDER_LEFT.with(Cell::get).is_some_and(|left| bound > left) {
        return Err(refusal(format!(
            "the template values of this render could add up to more than {MAX_RENDER_BYTES} bytes"
        )));
    }
    let text = template.render(context)?;
    RENDER_LEFT.with(|left| left.set(left.get().map(|l| l.saturating_sub(text.len() as u64))));
    Ok(text)
}

fn refusal(detail: String) -> Error {
    Error::new(ErrorKind::InvalidOperation, detail)
}

/// An upper bound on the output of the template, or why it is refused.
pub fn measure(source: &str, context: &Value) -> Result<u64, Error> {
    let whitespace = minijinja::machinery::WhitespaceConfig {
        keep_trailing_newline: true,
        ..Default::default()
    };
    let tree = minijinja::machinery::parse(source, "value", Default::default(), whitespace)?;
    let mut walk = Walk {
        context,
        scopes: vec![HashMap::new()],
        loops: 0,
    };
    let out = walk.stmt(&tree)?;
    if out > MAX_VALUE_BYTES {
        return Err(refusal(format!(
            "the template could render up to {out} bytes; a value may be at most {MAX_VALUE_BYTES}"
        )));
    }
    Ok(out)
}

/// Upper bounds on a value: the length of its text, how many items iterating it gives, and its
/// magnitude as a number; the text of any one of its items (a character, an element, an
/// attribute); and whether it may be a string or a list (which `*` repeats).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Size {
    bytes: u64,
    items: u64,
    int: u64,
    item: u64,
    textual: bool,
}

impl Size {
    const BOOL: Size = Size {
        bytes: 5,
        items: 0,
        int: 1,
        item: 5,
        textual: false,
    };

    /// A number of at most this magnitude (`u64::MAX`: unknown, perhaps a float).
    fn number(int: u64) -> Size {
        let bytes = if int == u64::MAX {
            NUMBER_BYTES
        } else {
            // Digits and a sign.
            u64::from(int.checked_ilog10().unwrap_or(0)) + 2
        };
        Size {
            bytes,
            items: 0,
            int,
            item: bytes,
            textual: false,
        }
    }

    /// One item of this value: a character, an element, an attribute.
    fn element(self) -> Size {
        Size {
            bytes: self.item,
            items: self.item,
            ..self
        }
    }

    fn max(self, other: Size) -> Size {
        Size {
            bytes: self.bytes.max(other.bytes),
            items: self.items.max(other.items),
            int: self.int.max(other.int),
            item: self.item.max(other.item),
            textual: self.textual || other.textual,
        }
    }

    /// A list of these items, as text: `[1, 2]`, `["a", "b"]`.
    fn list_of(items: u64, item: Size) -> Size {
        let each = if item.textual {
            item.bytes.saturating_mul(REPR_FACTOR).saturating_add(4)
        } else {
            item.bytes.saturating_add(2)
        };
        Size {
            bytes: items.saturating_mul(each).saturating_add(2),
            items,
            int: item.int,
            item: item.bytes,
            textual: true,
        }
    }

    fn of_value(value: &Value) -> Size {
        match value.kind() {
            ValueKind::String => {
                let bytes = value.as_str().map_or(0, |s| s.len() as u64);
                Size {
                    bytes,
                    items: bytes,
                    int: u64::MAX,
                    item: 4,
                    textual: true,
                }
            }
            ValueKind::Number => {
                Size::number(value.as_i64().map_or(u64::MAX, |n| n.unsigned_abs()))
            }
            ValueKind::Bool | ValueKind::None | ValueKind::Undefined => Size::BOOL,
            _ => {
                let items = value.len().unwrap_or(0) as u64;
                let text = value.to_string().len() as u64;
                let mut biggest = Size::default();
                if let Ok(iter) = value.try_iter() {
                    for item in iter {
                        biggest = biggest.max(Size::of_value(&item));
                        if let Ok(member) = value.get_item(&item) {
                            biggest = biggest.max(Size::of_value(&member));
                        }
                    }
                }
                Size {
                    bytes: text.max(biggest.bytes),
                    items,
                    int: biggest.int,
                    item: biggest.bytes,
                    textual: true,
                }
            }
        }
    }
}

struct Walk<'c> {
    context: &'c Value,
    scopes: Vec<HashMap<String, Size>>,
    loops: usize,
}

/// Where in the template, for messages.
fn at(span: minijinja::machinery::Span) -> String {
    format!("line {}, column {}", span.start_line, span.start_col + 1)
}

fn refused(what: &str, span: minijinja::machinery::Span) -> Error {
    refusal(format!(
        "{what} is not allowed in flow templates ({}): its size cannot be bounded",
        at(span)
    ))
}

impl Walk<'_> {
    fn lookup(&self, name: &str) -> Size {
        for scope in self.scopes.iter().rev() {
            if let Some(size) = scope.get(name) {
                return *size;
            }
        }
        // Undefined names fail at render time (strict mode): they build nothing.
        self.context
            .get_attr(name)
            .map_or(Size::default(), |v| Size::of_value(&v))
    }

    fn assign(&mut self, target: &Expr<'_>, size: Size) -> Result<(), Error> {
        match target {
            Expr::Var(var) => {
                if let Some(scope) = self.scopes.last_mut() {
                    scope.insert(var.id.to_string(), size);
                }
                Ok(())
            }
            Expr::List(list) => {
                for item in &list.items {
                    self.assign(item, size)?;
                }
                Ok(())
            }
            Expr::GetAttr(a) => Err(refused("assigning to an attribute", a.span())),
            _ => Ok(()),
        }
    }

    fn body(&mut self, stmts: &[Stmt<'_>]) -> Result<u64, Error> {
        let mut out: u64 = 0;
        for stmt in stmts {
            out = out.saturating_add(self.stmt(stmt)?);
        }
        Ok(out)
    }

    /// Runs a body in a new scope; its output and what it assigned.
    fn scoped(
        &mut self,
        bindings: HashMap<String, Size>,
        stmts: &[Stmt<'_>],
    ) -> Result<(u64, HashMap<String, Size>), Error> {
        self.scopes.push(bindings);
        let out = self.body(stmts);
        let scope = self.scopes.pop().unwrap_or_default();
        Ok((out?, scope))
    }

    /// The bound on a template's output.
    fn stmt(&mut self, stmt: &Stmt<'_>) -> Result<u64, Error> {
        match stmt {
            Stmt::Template(t) => self.body(&t.children),
            Stmt::EmitRaw(raw) => Ok(raw.raw.len() as u64),
            Stmt::EmitExpr(emit) => Ok(self.expr(&emit.expr)?.bytes),
            Stmt::IfCond(cond) => {
                self.expr(&cond.expr)?;
                let (yes, set_yes) = self.scoped(HashMap::new(), &cond.true_body)?;
                let (no, set_no) = self.scoped(HashMap::new(), &cond.false_body)?;
                // Either branch may have run: every name keeps the larger of its bounds.
                for (name, size) in set_yes.into_iter().chain(set_no) {
                    let joined = size.max(self.lookup(&name));
                    if let Some(scope) = self.scopes.last_mut() {
                        scope.insert(name, joined);
                    }
                }
                Ok(yes.max(no))
            }
            Stmt::ForLoop(l) => self.for_loop(l),
            Stmt::WithBlock(w) => {
                let mut bindings = HashMap::new();
                for (target, value) in &w.assignments {
                    let size = self.expr(value)?;
                    if let Expr::Var(var) = target {
                        bindings.insert(var.id.to_string(), size);
                    }
                }
                Ok(self.scoped(bindings, &w.body)?.0)
            }
            Stmt::Set(set) => {
                let size = self.expr(&set.expr)?;
                self.assign(&set.target, size)?;
                Ok(0)
            }
            Stmt::SetBlock(set) => {
                let body = self.scoped(HashMap::new(), &set.body)?.0;
                let mut size = text(body);
                if let Some(filter) = &set.filter {
                    size = self.filter_chain(filter, size)?;
                }
                self.check(size, set.span())?;
                self.assign(&set.target, size)?;
                Ok(0)
            }
            Stmt::AutoEscape(a) => Ok(self.scoped(HashMap::new(), &a.body)?.0),
            Stmt::FilterBlock(f) => {
                let body = self.scoped(HashMap::new(), &f.body)?.0;
                let size = self.filter_chain(&f.filter, text(body))?;
                self.check(size, f.span())?;
                Ok(size.bytes)
            }
            Stmt::Block(b) => Err(refused("`{% block %}`", b.span())),
            Stmt::Import(i) => Err(refused("`{% import %}`", i.span())),
            Stmt::FromImport(i) => Err(refused("`{% from %}`", i.span())),
            Stmt::Extends(e) => Err(refused("`{% extends %}`", e.span())),
            Stmt::Include(i) => Err(refused("`{% include %}`", i.span())),
            Stmt::Macro(m) => Err(refused("`{% macro %}`", m.span())),
            Stmt::CallBlock(c) => Err(refused("`{% call %}`", c.span())),
            Stmt::Do(d) => Err(refused("`{% do %}`", d.span())),
        }
    }

    fn for_loop(&mut self, l: &ast::Spanned<ast::ForLoop<'_>>) -> Result<u64, Error> {
        if l.recursive {
            return Err(refused("a recursive loop", l.span()));
        }
        if self.loops >= MAX_LOOP_DEPTH {
            return Err(refusal(format!(
                "loops nested more than {MAX_LOOP_DEPTH} deep ({}) are not allowed in flow templates",
                at(l.span())
            )));
        }
        self.loops += 1;
        let measured = self.for_loop_body(l);
        self.loops -= 1;
        measured
    }

    fn for_loop_body(&mut self, l: &ast::Spanned<ast::ForLoop<'_>>) -> Result<u64, Error> {
        let iter = self.expr(&l.iter)?;
        let count = iter.items;
        let item = iter.element();
        let mut bindings = HashMap::new();
        let loop_var = Size {
            bytes: item.bytes.saturating_add(NUMBER_BYTES),
            items: count,
            int: count.saturating_add(1),
            item: item.bytes.max(Size::number(count).bytes),
            textual: true,
        };
        bindings.insert("loop".to_string(), loop_var);
        self.scopes.push(bindings);
        let bound = self.assign(&l.target, item).and_then(|()| {
            if let Some(filter) = &l.filter_expr {
                self.expr(filter)?;
            }
            // Once for the first iteration; a second time with what the first assigned. A name
            // whose bound grows from one to the next grows with every iteration: refused.
            let before = self.scopes.last().cloned().unwrap_or_default();
            let once = self.body(&l.body)?;
            let after_one = self.scopes.last().cloned().unwrap_or_default();
            let twice = self.body(&l.body)?;
            let after_two = self.scopes.last().cloned().unwrap_or_default();
            for (name, size) in &after_two {
                let previous = after_one.get(name).or_else(|| before.get(name));
                if previous.is_some_and(|p| p != size) && after_one.contains_key(name) {
                    return Err(refusal(format!(
                        "`{name}` grows with every iteration of the loop at {}: a template may not accumulate a value in a loop",
                        at(l.span())
                    )));
                }
            }
            Ok(once.max(twice))
        });
        self.scopes.pop();
        let per_iteration = bound?;
        let else_out = self.scoped(HashMap::new(), &l.else_body)?.0;
        let out = per_iteration.saturating_mul(count).max(else_out);
        self.check(text(out), l.span())?;
        Ok(out)
    }

    fn check(&self, size: Size, span: minijinja::machinery::Span) -> Result<(), Error> {
        if size.bytes > MAX_VALUE_BYTES {
            return Err(refusal(format!(
                "the template could build a string of up to {} bytes at {}; a value may be at most {MAX_VALUE_BYTES}",
                size.bytes,
                at(span)
            )));
        }
        Ok(())
    }

    fn expr(&mut self, expr: &Expr<'_>) -> Result<Size, Error> {
        let (size, span) = match expr {
            Expr::Var(v) => (self.lookup(v.id), v.span()),
            Expr::Const(c) => (Size::of_value(&c.value), c.span()),
            Expr::Slice(s) => {
                for part in [&s.start, &s.stop, &s.step].into_iter().flatten() {
                    self.expr(part)?;
                }
                (self.expr(&s.expr)?, s.span())
            }
            Expr::UnaryOp(u) => {
                let inner = self.expr(&u.expr)?;
                let size = match u.op {
                    ast::UnaryOpKind::Not => Size::BOOL,
                    ast::UnaryOpKind::Neg => Size::number(inner.int),
                };
                (size, u.span())
            }
            Expr::BinOp(b) => {
                let (l, r) = (self.expr(&b.left)?, self.expr(&b.right)?);
                (binop(b.op, l, r), b.span())
            }
            Expr::Compare(c) => {
                self.expr(&c.expr)?;
                for op in &c.ops {
                    self.expr(&op.expr)?;
                }
                (Size::BOOL, c.span())
            }
            Expr::IfExpr(i) => {
                self.expr(&i.test_expr)?;
                let yes = self.expr(&i.true_expr)?;
                let no = match &i.false_expr {
                    Some(e) => self.expr(e)?,
                    None => Size::BOOL,
                };
                (yes.max(no), i.span())
            }
            Expr::Filter(f) => {
                let input = match &f.expr {
                    Some(e) => self.expr(e)?,
                    None => Size::default(),
                };
                (self.filter(f, input)?, f.span())
            }
            Expr::Test(t) => {
                self.expr(&t.expr)?;
                self.args(&t.args)?;
                (Size::BOOL, t.span())
            }
            Expr::GetAttr(a) => (self.expr(&a.expr)?.element(), a.span()),
            Expr::GetItem(g) => {
                self.expr(&g.subscript_expr)?;
                (self.expr(&g.expr)?.element(), g.span())
            }
            Expr::Call(c) => (self.call(c)?, c.span()),
            Expr::List(list) => {
                let mut item = Size::default();
                for e in &list.items {
                    item = item.max(self.expr(e)?);
                }
                (Size::list_of(list.items.len() as u64, item), list.span())
            }
            Expr::Map(map) => {
                let mut item = Size::default();
                for e in map.keys.iter().chain(&map.values) {
                    item = item.max(self.expr(e)?);
                }
                let entries = map.keys.len() as u64;
                let mut size = Size::list_of(entries.saturating_mul(2), item);
                size.items = entries;
                (size, map.span())
            }
        };
        self.check(size, span)?;
        Ok(size)
    }

    fn args(&mut self, args: &[CallArg<'_>]) -> Result<Vec<Size>, Error> {
        args.iter()
            .map(|arg| match arg {
                CallArg::Pos(e) | CallArg::Kwarg(_, e) => self.expr(e),
                CallArg::PosSplat(e) | CallArg::KwargSplat(e) => {
                    self.expr(e).map(|s| Size::list_of(s.items, s))
                }
            })
            .collect()
    }

    fn call(&mut self, c: &ast::Spanned<ast::Call<'_>>) -> Result<Size, Error> {
        let args = self.args(&c.args)?;
        let name = match &c.expr {
            Expr::Var(v) => v.id,
            _ => return Err(refused("calling a method", c.span())),
        };
        let biggest = args.iter().fold(Size::default(), |a, b| a.max(*b));
        match name {
            "range" => {
                let items = biggest.int.min(MAX_RANGE);
                Ok(Size::list_of(items, Size::number(biggest.int)))
            }
            "dict" => {
                let mut size = Size::list_of((args.len() as u64).saturating_mul(2), biggest);
                size.items = args.len() as u64;
                Ok(size)
            }
            _ => Err(refused(&format!("calling `{name}`"), c.span())),
        }
    }

    /// A `{% filter %}` block's or `{% set %}` block's filter, applied to `input`.
    fn filter_chain(&mut self, filter: &Expr<'_>, input: Size) -> Result<Size, Error> {
        match filter {
            Expr::Filter(f) => {
                let inner = match &f.expr {
                    Some(e) => self.filter_chain(e, input)?,
                    None => input,
                };
                self.filter(f, inner)
            }
            _ => Ok(input),
        }
    }

    fn filter(&mut self, f: &ast::Spanned<ast::Filter<'_>>, input: Size) -> Result<Size, Error> {
        let args = self.args(&f.args)?;
        let arg = |i: usize| args.get(i).copied().unwrap_or_default();
        let biggest_arg = args.iter().fold(Size::default(), |a, b| a.max(*b));
        let size = match f.name {
            // Never longer than their input.
            "trim" | "safe" | "string" | "reverse" | "sort" | "unique" | "select" | "reject"
            | "selectattr" | "rejectattr" | "striptags" => input,
            // Changing case can lengthen a character's UTF-8 at most threefold (`ŉ` to `ʼN`).
            "lower" | "upper" | "title" | "capitalize" => Size {
                bytes: input.bytes.saturating_mul(3),
                ..input
            },
            "first" | "last" | "min" | "max" | "attr" => input.element(),
            // Escaping at most sextuples a byte (`&#x27;`).
            "escape" | "e" => Size {
                bytes: input.bytes.saturating_mul(REPR_FACTOR),
                ..input
            },
            "default" | "d" => input.max(arg(0)),
            "length" | "count" | "wordcount" => Size::number(input.items.max(input.bytes)),
            "abs" | "round" => Size::number(input.int),
            "int" | "float" | "sum" => Size::number(u64::MAX),
            "bool" => Size::BOOL,
            "list" | "split" | "lines" | "items" | "dictsort" | "pprint" => {
                Size::list_of(input.items.max(input.bytes).saturating_add(1), input)
            }
            "join" => text(
                input
                    .bytes
                    .saturating_add(input.items.saturating_mul(arg(0).bytes)),
            ),
            "replace" => text(
                input
                    .bytes
                    .saturating_add(input.bytes.saturating_add(1).saturating_mul(arg(1).bytes)),
            ),
            "center" => text(input.bytes.max(arg(0).int)),
            "indent" => text(
                input.bytes.saturating_add(
                    input
                        .bytes
                        .saturating_add(1)
                        .saturating_mul(arg(0).int.max(arg(0).bytes)),
                ),
            ),
            "truncate" => text(input.bytes.saturating_add(biggest_arg.bytes)),
            other => return Err(refused(&format!("the filter `{other}`"), f.span())),
        };
        Ok(size)
    }
}

/// A string of at most `bytes` bytes.
fn text(bytes: u64) -> Size {
    Size {
        bytes,
        items: bytes,
        int: u64::MAX,
        item: 4,
        textual: true,
    }
}

fn binop(op: BinOpKind, l: Size, r: Size) -> Size {
    match op {
        BinOpKind::Eq
        | BinOpKind::Ne
        | BinOpKind::Lt
        | BinOpKind::Lte
        | BinOpKind::Gt
        | BinOpKind::Gte
        | BinOpKind::In => Size::BOOL,
        BinOpKind::ScAnd | BinOpKind::ScOr => l.max(r),
        BinOpKind::Add => Size {
            bytes: l.bytes.saturating_add(r.bytes).max(NUMBER_BYTES),
            items: l.items.saturating_add(r.items),
            int: l.int.saturating_add(r.int),
            item: l.item.max(r.item),
            textual: l.textual || r.textual,
        },
        BinOpKind::Concat => text(l.bytes.saturating_add(r.bytes)),
        // A string or list repeated by a number, either way round, or a product.
        BinOpKind::Mul => {
            let repeated = |s: Size, times: u64| {
                if s.textual {
                    (s.bytes.saturating_mul(times), s.items.saturating_mul(times))
                } else {
                    (0, 0)
                }
            };
            let ((lb, li), (rb, ri)) = (repeated(l, r.int), repeated(r, l.int));
            Size {
                bytes: lb.saturating_add(rb).max(NUMBER_BYTES),
                items: li.saturating_add(ri),
                int: l.int.saturating_mul(r.int),
                item: l.item.max(r.item),
                textual: l.textual || r.textual,
            }
        }
        BinOpKind::Sub => Size::number(l.int.saturating_add(r.int)),
        BinOpKind::Div | BinOpKind::FloorDiv | BinOpKind::Rem => Size::number(l.int),
        BinOpKind::Pow => Size::number(
            l.int
                .saturating_pow(u32::try_from(r.int).unwrap_or(u32::MAX)),
        ),
    }
}
