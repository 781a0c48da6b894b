//! Webex Connect text and conditions written as Flow Designer (Pebble) templates and
//! expressions. Only what has a clear Pebble equivalent is translated; everything else is
//! refused with the reason, for the caller to report where it stands in the spec.

use crate::flow::refs;
use crate::flow::{Condition, Join, Operator};

/// How a Webex Connect reference reads in Flow Designer: a variable name or `Activity.output`,
/// and whether it is a number (`httpStatusCode`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    pub expression: String,
    pub numeric: bool,
}

/// Resolves `$(name)` references; `Err` says why one has no Flow Designer equivalent (the
/// lowering's words, carried as [`Inexpressible::Reference`]).
pub trait Resolver {
    fn resolve(&mut self, reference: &str) -> Result<Resolved, Unresolved>;
}

/// Why a `$(reference)` has no Flow Designer equivalent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unresolved {
    /// The reference names nothing Flow Designer has.
    Nothing(String),
    /// The reference names a node the flow does not have.
    NoNode(String),
    /// An HTTP output (node key, output) Flow Designer's HTTP Request does not give.
    HttpOutput(String, String),
    /// An output (node key, output) the node does not declare.
    NoOutput(String, String),
    /// An output (node key, output, node type) of a node whose outputs Flow Designer lacks.
    NodeOutputs(String, String, &'static str),
    /// The reference would take a Flow Designer name something else already has.
    Clash(Clash),
}

/// Two different things the lowering would give one Flow Designer name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Clash {
    /// The Flow Designer name both would take.
    pub name: String,
    /// What has the name already, as the message says it (e.g. ``output `b_c` of node `a` ``).
    pub first: String,
    /// What would take it too.
    pub second: String,
}

impl Clash {
    /// A name Pebble reads as one of its literals ([`crate::flow_designer::pebble::LITERALS`]),
    /// which `what` would take.
    pub fn literal(name: &str, what: String) -> Clash {
        Clash {
            name: name.to_string(),
            first: format!("Pebble's word `{name}`"),
            second: what,
        }
    }

    /// Whether the name is one of Pebble's literals or operators rather than another thing's.
    pub fn is_literal(&self) -> bool {
        crate::flow_designer::pebble::is_reserved(&self.name)
    }

    /// The help its refusal carries.
    pub fn help(&self) -> &'static str {
        if self.is_literal() {
            LITERAL_HELP
        } else {
            CLASH_HELP
        }
    }
}

/// The help a name Pebble reads as a literal carries.
pub const LITERAL_HELP: &str = "Pebble reads `true`, `false`, `none` and `null`, in lower case or capitals, as literals, and `and`, `or`, `not`, `is`, `in`, `contains`, `equals`, `matches`, `if` and `else` as its own words, wherever a name stands: rename it";

/// The help every refused clash carries.
pub const CLASH_HELP: &str = "Flow Designer names take letters, digits and `_` (wxcflow writes `_` for any other character), and a node's output is named `<node>_<output>`: rename one of them so that their Flow Designer names differ";

impl std::fmt::Display for Clash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_literal() {
            return write!(
                f,
                "{} would be `{}` in Flow Designer, which Pebble reads as {}, not as a name",
                self.second,
                self.name,
                match crate::flow_designer::pebble::is_literal(&self.name) {
                    true => "a literal",
                    false => "one of its operators",
                }
            );
        }
        write!(
            f,
            "{} and {} would both be `{}` in Flow Designer",
            self.first, self.second, self.name
        )
    }
}

impl std::fmt::Display for Unresolved {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unresolved::Nothing(r) => write!(f, "`$({r})` names nothing Flow Designer has"),
            Unresolved::NoNode(r) => write!(f, "`$({r})` names no node"),
            Unresolved::HttpOutput(key, rest) => write!(f, "`{key}.{rest}`: Flow Designer's HTTP Request gives httpStatusCode and httpResponseBody only (as real exports read them)"),
            Unresolved::NoOutput(key, rest) => write!(f, "`{key}` has no output `{rest}`"),
            Unresolved::NodeOutputs(key, rest, kind) => write!(f, "`{key}.{rest}`: a {kind} node's outputs have no Flow Designer equivalent"),
            Unresolved::Clash(clash) => write!(f, "{clash}"),
        }
    }
}

/// What a literal written as a Pebble string is in its expression, as a refusal names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Literal {
    /// A value a condition compares (`{{ T == "x" }}`).
    Compared,
    /// A value a Set Variable assigns (`{{ "x" }}`).
    Assigned,
}

impl std::fmt::Display for Literal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Literal::Compared => "a compared value",
            Literal::Assigned => "an assigned value",
        })
    }
}

/// Why a Webex Connect text or condition has no Flow Designer equivalent; `Display` says it for
/// the diagnostic that refuses it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Inexpressible {
    /// A `$(` without its `)`.
    Unclosed,
    /// Literal text holding `{{`, `{%` or `{#`.
    TemplateMarker(&'static str),
    /// A backslash in a literal value.
    Backslash(Literal),
    /// A literal value holding both `"` and `'`.
    BothQuotes(Literal),
    /// An operand that mixes references and text.
    Mixed(String),
    /// A literal compared with a number that is not an integer.
    NotAnInteger(String),
    /// An ordering operator on text.
    OrderedText(&'static str),
    /// `equals_ignore_case` with a status code on either side.
    CaseOfNumber,
    /// An operator with no documented expression.
    Operator(&'static str),
    /// A reference the resolver refused, and why.
    Reference(Unresolved),
}

impl std::fmt::Display for Inexpressible {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Inexpressible::Unclosed => write!(f, "a `$(` without its closing `)`"),
            Inexpressible::TemplateMarker(m) => write!(
                f,
                "the text holds `{m}`, which Flow Designer would read as a template"
            ),
            Inexpressible::Backslash(literal) => write!(
                f,
                "a backslash in {literal} (Pebble's escaping is not documented by Cisco)"
            ),
            Inexpressible::BothQuotes(literal) => {
                write!(f, "{literal} holding both kinds of quote")
            }
            Inexpressible::Mixed(text) => write!(
                f,
                "`{text}` mixes references and text; Flow Designer conditions compare one value"
            ),
            Inexpressible::NotAnInteger(text) => {
                write!(f, "`{text}` is compared with a number but is not an integer")
            }
            Inexpressible::OrderedText(op) => write!(
                f,
                "operator `{op}` on text: Flow Designer variables here are STRING, and Pebble's numeric comparison of text is not documented"
            ),
            Inexpressible::CaseOfNumber => write!(
                f,
                "operator `equals_ignore_case` with a status code, a number in Flow Designer: compare it with `equals`"
            ),
            Inexpressible::Operator(op) => write!(
                f,
                "operator `{op}` has no documented Flow Designer expression (equals, not_equals, equals_ignore_case, and numeric comparisons of a status code have)"
            ),
            Inexpressible::Reference(why) => write!(f, "{why}"),
        }
    }
}

impl Inexpressible {
    /// The help a refusal of this carries, when there is one to give.
    pub fn help(&self) -> Option<&'static str> {
        match self {
            Inexpressible::Reference(Unresolved::Clash(clash)) => Some(clash.help()),
            _ => None,
        }
    }
}

type Result<T, E = Inexpressible> = std::result::Result<T, E>;

fn resolve(resolver: &mut dyn Resolver, name: &str) -> Result<Resolved> {
    resolver.resolve(name).map_err(Inexpressible::Reference)
}

fn references(text: &str) -> Result<Vec<refs::Reference<'_>>> {
    refs::references(text).map_err(|_| Inexpressible::Unclosed)
}

/// Text that Pebble would read as a template of its own.
fn check_literal(text: &str) -> Result<()> {
    match ["{{", "{%", "{#"].into_iter().find(|m| text.contains(m)) {
        Some(marker) => Err(Inexpressible::TemplateMarker(marker)),
        None => Ok(()),
    }
}

/// A literal `{` as Pebble prints it where the text would otherwise read `{{{`.
pub const OPEN_BRACE: &str = "{{ \"{\" }}";

/// A Webex Connect string as a Flow Designer template: literal text kept, `$(x)` as `{{x}}`.
pub fn template(text: &str, resolver: &mut dyn Resolver) -> Result<String> {
    let found = references(text)?;
    let mut out = String::new();
    let mut last = 0;
    for r in found {
        let literal = &text[last..r.range.start];
        check_literal(literal)?;
        match literal.strip_suffix('{') {
            // A `{` written right before `{{` would open the tag early (`{{{x}}}` is read as
            // a map literal and does not parse): Pebble prints it from a string literal instead.
            Some(before) => {
                out.push_str(before);
                out.push_str(OPEN_BRACE);
            }
            None => out.push_str(literal),
        }
        let resolved = resolve(resolver, r.name)?;
        out.push_str("{{");
        out.push_str(&resolved.expression);
        out.push_str("}}");
        last = r.range.end;
    }
    check_literal(&text[last..])?;
    out.push_str(&text[last..]);
    Ok(out)
}

/// A literal as a Pebble string that reads as the text itself: double quotes, or single when
/// the text holds a double quote or `#{` (in double quotes Pebble reads `#{...}` as an
/// interpolation, an expression whose value it writes in: `"#{x}"` is `x`'s value); text with
/// both `#{` and a single quote is joined from double-quoted parts split between `#` and `{`
/// (`("a #" ~ "{x} it's")`). `literal` says what the text is, for a refusal.
pub fn string_literal(text: &str, literal: Literal) -> Result<String> {
    if text.contains('\\') {
        return Err(Inexpressible::Backslash(literal));
    }
    let interpolates = text.contains("#{");
    if !text.contains('"') && !interpolates {
        Ok(format!("\"{text}\""))
    } else if !text.contains('\'') {
        Ok(format!("'{text}'"))
    } else if !text.contains('"') {
        Ok(format!("(\"{}\")", text.replace("#{", "#\" ~ \"{")))
    } else {
        Err(Inexpressible::BothQuotes(literal))
    }
}

/// The value a set-variable activity assigns: a single reference as `{{name}}`, a literal as
/// `{{ "text" }}` (the form real exports use), mixed text as a template.
pub fn assignment(text: &str, resolver: &mut dyn Resolver) -> Result<String> {
    let found = references(text)?;
    match found.as_slice() {
        [] => Ok(format!(
            "{{{{ {} }}}}",
            string_literal(text, Literal::Assigned)?
        )),
        [only] if only.range == (0..text.len()) => Ok(format!(
            "{{{{{}}}}}",
            resolve(resolver, only.name)?.expression
        )),
        _ => template(text, resolver),
    }
}

/// One side of a comparison.
enum Operand {
    Expression(Resolved),
    Literal(String),
}

fn operand(text: &str, resolver: &mut dyn Resolver) -> Result<Operand> {
    let found = references(text)?;
    match found.as_slice() {
        [] => Ok(Operand::Literal(text.to_string())),
        [only] if only.range == (0..text.len()) => {
            Ok(Operand::Expression(resolve(resolver, only.name)?))
        }
        _ => Err(Inexpressible::Mixed(text.to_string())),
    }
}

fn side(o: &Operand, numeric: bool) -> Result<String> {
    match o {
        Operand::Expression(r) => Ok(r.expression.clone()),
        Operand::Literal(text) if numeric => text
            .trim()
            .parse::<i64>()
            .map(|n| n.to_string())
            .map_err(|_| Inexpressible::NotAnInteger(text.clone())),
        Operand::Literal(text) => string_literal(text, Literal::Compared),
    }
}

/// Whether `text` is an integer as a number prints: `200`, `-3`, `0`; not `200 `, `0200`,
/// `+200`.
fn is_canonical_integer(text: &str) -> bool {
    text.parse::<i64>().is_ok_and(|n| n.to_string() == text)
}

/// Whether an operand is a number in Pebble: a status code, or an integer literal (an
/// ordering operator reads the text trimmed, as Webex Connect does).
fn is_number(o: &Operand) -> bool {
    match o {
        Operand::Expression(r) => r.numeric,
        Operand::Literal(text) => text.trim().parse::<i64>().is_ok(),
    }
}

/// One condition as a Pebble comparison.
fn comparison(c: &Condition, resolver: &mut dyn Resolver) -> Result<String> {
    let left = operand(&c.variable, resolver)?;
    let right = operand(&c.value, resolver)?;
    let numeric = matches!(&left, Operand::Expression(r) if r.numeric);
    let right_numeric = matches!(&right, Operand::Expression(r) if r.numeric);
    let l = side(&left, false)?;
    let is_empty_literal = matches!(&right, Operand::Literal(t) if t.is_empty());
    // Webex Connect's equals compares text: a status code (always canonical decimal text)
    // equals "200" only, never "200 ", "0200" or "+200". Only canonical text becomes a number
    // comparison; other text stays a text comparison, which a number never equals in Pebble
    // either (nor would the text of one).
    let text_equality = numeric
        && matches!(c.operator, Operator::Equals | Operator::NotEquals)
        && matches!(&right, Operand::Literal(t) if !t.is_empty() && !is_canonical_integer(t));
    if text_equality {
        let r = side(&right, false)?;
        let op = if c.operator == Operator::Equals {
            "=="
        } else {
            "!="
        };
        return Ok(format!("{l} {op} {r}"));
    }
    // Empty text against a status code, either side: true on Webex Connect exactly when no
    // answer came (the status code is then empty text), as `is empty` is in Pebble.
    let empty_against_status = right_numeric
        && matches!(c.operator, Operator::Equals | Operator::NotEquals)
        && matches!(&left, Operand::Literal(t) if t.is_empty());
    if empty_against_status {
        let r = side(&right, false)?;
        return Ok(match c.operator {
            Operator::Equals => format!("{r} is empty"),
            _ => format!("{r} is not empty"),
        });
    }
    Ok(match c.operator {
        // Webex Connect reads an unset variable as empty text, and a status code with no
        // answer; `is empty` covers null and "".
        Operator::Equals if is_empty_literal => format!("{l} is empty"),
        Operator::NotEquals if is_empty_literal => format!("{l} is not empty"),
        Operator::Equals | Operator::NotEquals => {
            let op = if c.operator == Operator::Equals {
                "=="
            } else {
                "!="
            };
            let r = side(&right, numeric)?;
            // A status code against a value that is text (a variable, or text holding one):
            // compared as text, as Webex Connect does, the number printed with `~ ""`
            // [assumed: it prints as a Set Variable writes it, `200`]. Pebble's `==` never
            // finds a number equal to text, so `200` against a variable holding "200" would not
            // match there.
            match (numeric, right_numeric) {
                (true, false) if matches!(right, Operand::Expression(_)) => {
                    format!("({l} ~ \"\") {op} {r}")
                }
                (false, true) => format!("{l} {op} ({r} ~ \"\")"),
                _ => format!("{l} {op} {r}"),
            }
        }
        Operator::EqualsIgnoreCase if !numeric && !right_numeric => {
            let r = match &right {
                Operand::Literal(t) => string_literal(&t.to_lowercase(), Literal::Compared)?,
                Operand::Expression(r) => format!("{} | lower", r.expression),
            };
            format!("{l} | lower == {r}")
        }
        Operator::EqualsIgnoreCase => return Err(Inexpressible::CaseOfNumber),
        // A status code against another number, whichever side it stands: a variable is STRING
        // in Flow Designer, and Pebble does not order a number against text (Webex Connect
        // reads both as numbers), so only a status code or an integer may face one.
        Operator::LessThan
        | Operator::GreaterThan
        | Operator::LessOrEqual
        | Operator::GreaterOrEqual
            if (numeric || right_numeric) && is_number(&left) && is_number(&right) =>
        {
            let op = match c.operator {
                Operator::LessThan => "<",
                Operator::GreaterThan => ">",
                Operator::LessOrEqual => "<=",
                _ => ">=",
            };
            let ordered = format!("{} {op} {}", side(&left, true)?, side(&right, true)?);
            // With no answer (refused, timed out) there is no status code: Webex Connect finds
            // the comparison false and goes on, where Pebble cannot order nothing and the
            // condition would leave by its error port. Asked first, and `and` stops there.
            let answered: Vec<String> = [&left, &right]
                .into_iter()
                .filter_map(|o| match o {
                    Operand::Expression(r) if r.numeric => {
                        Some(format!("{} is not empty", r.expression))
                    }
                    _ => None,
                })
                .collect();
            match answered.is_empty() {
                true => ordered,
                false => format!("{} and {ordered}", answered.join(" and ")),
            }
        }
        Operator::LessThan
        | Operator::GreaterThan
        | Operator::LessOrEqual
        | Operator::GreaterOrEqual => return Err(Inexpressible::OrderedText(c.operator.as_str())),
        other => return Err(Inexpressible::Operator(other.as_str())),
    })
}

/// A branch's conditions as one condition-activity expression, `{{ ... }}`.
pub fn condition(
    join: Join,
    conditions: &[Condition],
    resolver: &mut dyn Resolver,
) -> Result<String> {
    let mut parts = Vec::new();
    for c in conditions {
        parts.push(comparison(c, resolver)?);
    }
    let joined = match parts.as_slice() {
        [one] => one.clone(),
        many => {
            let glue = if join == Join::All { " and " } else { " or " };
            many.iter()
                .map(|p| format!("({p})"))
                .collect::<Vec<_>>()
                .join(glue)
        }
    };
    Ok(format!("{{{{ {joined} }}}}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Names;
    impl Resolver for Names {
        fn resolve(&mut self, reference: &str) -> Result<Resolved, Unresolved> {
            match reference {
                "n4.https.statusCode" => Ok(Resolved {
                    expression: "fetch.httpStatusCode".into(),
                    numeric: true,
                }),
                "n4.statusText" => Err(Unresolved::NoOutput("n4".into(), "statusText".into())),
                other => Ok(Resolved {
                    expression: other.replace('-', "_"),
                    numeric: false,
                }),
            }
        }
    }

    fn cond(variable: &str, operator: Operator, value: &str) -> Condition {
        Condition {
            variable: variable.into(),
            operator,
            value: value.into(),
            upper: None,
        }
    }

    #[test]
    fn a_literal_is_never_read_as_an_interpolation() {
        assert_eq!(string_literal("abc", Literal::Compared).unwrap(), "\"abc\"");
        assert_eq!(
            string_literal("a#{x}", Literal::Compared).unwrap(),
            "'a#{x}'"
        );
        assert_eq!(
            string_literal("it's #{x}", Literal::Compared).unwrap(),
            "(\"it's #\" ~ \"{x}\")"
        );
        // What the runner makes of each is the text.
        let pebble = crate::flow_designer::run::eval::Pebble::new();
        for text in ["a#{x}", "it's #{x} and #{y}", "##{"] {
            let template = format!(
                "{{{{ {} }}}}",
                string_literal(text, Literal::Assigned).unwrap()
            );
            let context = [("x".to_string(), minijinja::Value::from(1))].into();
            assert_eq!(pebble.render(&template, &context).unwrap(), text);
        }
    }

    #[test]
    fn conditions_become_pebble_expressions() {
        let r = &mut Names;
        assert_eq!(
            condition(Join::All, &[cond("$(A-B)", Operator::NotEquals, "")], r).unwrap(),
            "{{ A_B is not empty }}"
        );
        assert_eq!(
            condition(
                Join::All,
                &[
                    cond("$(n4.https.statusCode)", Operator::Equals, "200"),
                    cond("$(T)", Operator::Equals, "x\"y")
                ],
                r
            )
            .unwrap(),
            "{{ (fetch.httpStatusCode == 200) and (T == 'x\"y') }}"
        );
        assert_eq!(
            condition(
                Join::Any,
                &[cond("$(T)", Operator::EqualsIgnoreCase, "OK")],
                r
            )
            .unwrap(),
            "{{ T | lower == \"ok\" }}"
        );
        for (typed, written) in [
            ("200 ", "{{ fetch.httpStatusCode == \"200 \" }}"),
            ("0200", "{{ fetch.httpStatusCode == \"0200\" }}"),
            ("+200", "{{ fetch.httpStatusCode == \"+200\" }}"),
            ("200", "{{ fetch.httpStatusCode == 200 }}"),
        ] {
            let c = cond("$(n4.https.statusCode)", Operator::Equals, typed);
            assert_eq!(condition(Join::All, &[c], r).unwrap(), written, "{typed:?}");
        }
        let c = cond("$(n4.https.statusCode)", Operator::Equals, "$(Expected)");
        assert_eq!(
            condition(Join::All, &[c], r).unwrap(),
            "{{ (fetch.httpStatusCode ~ \"\") == Expected }}"
        );
        let c = cond("200", Operator::NotEquals, "$(n4.https.statusCode)");
        assert_eq!(
            condition(Join::All, &[c], r).unwrap(),
            "{{ \"200\" != (fetch.httpStatusCode ~ \"\") }}"
        );
        let c = cond("$(n4.https.statusCode)", Operator::NotEquals, "200 ");
        assert_eq!(
            condition(Join::All, &[c], r).unwrap(),
            "{{ fetch.httpStatusCode != \"200 \" }}"
        );
        let refused = |c| condition(Join::All, &[c], &mut Names).unwrap_err();
        let regex = refused(cond("$(T)", Operator::Regex, "a.*"));
        assert_eq!(regex, Inexpressible::Operator("regex"));
        assert!(regex
            .to_string()
            .starts_with("operator `regex` has no documented"));
        let ordered = refused(cond("$(T)", Operator::LessThan, "3"));
        assert_eq!(ordered, Inexpressible::OrderedText("less_than"));
        // A status code orders against a number on either side, never against a variable,
        // once there is one (no answer: false, as on Webex Connect).
        let status = "$(n4.https.statusCode)";
        for (c, written) in [
            (
                cond(status, Operator::LessThan, "300"),
                "fetch.httpStatusCode is not empty and fetch.httpStatusCode < 300",
            ),
            (
                cond(" 300", Operator::GreaterThan, status),
                "fetch.httpStatusCode is not empty and 300 > fetch.httpStatusCode",
            ),
        ] {
            let got = condition(Join::All, &[c], &mut Names).unwrap();
            assert_eq!(got, format!("{{{{ {written} }}}}"));
        }
        for (l, r) in [(status, "$(Limit)"), ("$(Limit)", status)] {
            let ordered = refused(cond(l, Operator::GreaterOrEqual, r));
            assert_eq!(ordered, Inexpressible::OrderedText("greater_or_equal"));
            let ignored = refused(cond(l, Operator::EqualsIgnoreCase, r));
            assert_eq!(ignored, Inexpressible::CaseOfNumber);
        }
        let mixed = refused(cond("x $(T)", Operator::Equals, "3"));
        assert_eq!(mixed, Inexpressible::Mixed("x $(T)".into()));
    }

    #[test]
    fn a_refused_literal_is_told_as_compared_or_assigned() {
        let r = &mut Names;
        for (text, why) in [
            (
                "C:\\temp",
                "a backslash in an assigned value (Pebble's escaping is not documented by Cisco)",
            ),
            (
                "it's \"x\"",
                "an assigned value holding both kinds of quote",
            ),
        ] {
            let assigned = assignment(text, r).unwrap_err();
            assert_eq!(assigned.to_string(), why, "{text:?}");
            let compared = why.replace("an assigned value", "a compared value");
            for operator in [Operator::Equals, Operator::EqualsIgnoreCase] {
                let c = cond("$(T)", operator, text);
                let refused = condition(Join::All, &[c], r).unwrap_err();
                assert_eq!(refused.to_string(), compared, "{text:?}");
            }
        }
    }

    #[test]
    fn text_becomes_templates() {
        let r = &mut Names;
        assert_eq!(template("Bearer $(Tok)", r).unwrap(), "Bearer {{Tok}}");
        assert_eq!(
            template("{\"data\": {$(F)}}", r).unwrap(),
            "{\"data\": {{ \"{\" }}{{F}}}}"
        );
        assert_eq!(assignment("service", r).unwrap(), "{{ \"service\" }}");
        assert_eq!(assignment("$(Tok)", r).unwrap(), "{{Tok}}");
        assert_eq!(
            template("{{ raw }}", r),
            Err(Inexpressible::TemplateMarker("{{"))
        );
        let why = Inexpressible::Reference(Unresolved::NoOutput("n4".into(), "statusText".into()));
        assert_eq!(template("$(n4.statusText)", r), Err(why));
    }
}
