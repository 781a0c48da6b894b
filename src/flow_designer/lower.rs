//! The checked Webex Connect [`Flow`] lowered to a Flow Designer SUBFLOW.
//!
//! - Variables asked for at Make Live (`externalize`) become `SUBFLOW_INPUT`s, `result`
//!   variables `SUBFLOW_OUTPUT`s, the rest local; `secret` becomes `isSecure`. Names take `_`
//!   for characters Pebble would misread (`Token-Service-URL` -> `Token_Service_URL`).
//! - What Webex Connect's runtime provides and a subflow has not becomes an input the parent
//!   maps: the webhook's fields (`$(start.inboundWebhook.hook)` -> `hook`) and `$(flid)` -> `flid`.
//! - The trigger becomes the subflow start (`start-subflow`); each HTTP node an `http-request-v2`
//!   whose outputs land straight in variables `<node>_<output>`; each branch a chain of
//!   `condition-activity`s (one per named branch: true to it, false to the next, error to
//!   `onError`); the transition actions on a path one `set-variable` (`setVariablesArray`).
//! - Flow outcomes have no subflow equivalent: an end `end:X` becomes a `set-variable` of the
//!   output `FlowOutcome` to `"X"`, then the one `end-subflow` every path enters. The parent
//!   reads `FlowOutcome`.
//! - Flow Designer's HTTP activity has one exit (`default`, the only port exports show); Cisco's
//!   subflows follow it with a Condition on `httpStatusCode`. When a node's onError or onTimeout
//!   go elsewhere than onSuccess, a condition `<node>_failed`, `{{ <node>.httpStatusCode is
//!   empty }}`, follows it [assumed: a request that got no answer reaches it without a status
//!   code, rather than raising OnGlobalError]; onTimeout then shares onError's path.
//! - The result is tidied as a person would build it (`tidy`): conditions that decide nothing
//!   left out, chained assignments joined, duplicate activities written once.
//!
//! - A `call_flow` node becomes a `subflow-handoff` shaped as in Cisco's parent export (see
//!   `lower_call_flow`): the child's ids come from [`Children`] (`build --subflow NAME=ID`), its
//!   inputs and outputs from its own spec when found; ids not given are left empty, which marks
//!   the handoff unresolved (`push::unresolved_subflows`).
//!
//! - Every variable name it gives is claimed with what it stands for (`Lowering::claim`), and
//!   every activity name checked against them: two different things for one name (webhook
//!   fields `customer.id` and `customer_id`, outputs `a.b_c` and `a_b.c`) are refused, never
//!   merged. Text becomes a template with a `{` right before a reference printed from a string
//!   (`{{ "{" }}`), and a status code is compared as a number only with canonical integer text.
//!
//! Anything else the spec says that Flow Designer cannot express is a located error
//! (`wxc::not-expressible`); settings carried only approximately are warnings
//! (`wxc::approximated`); settings Flow Designer has no place for, and that change nothing the
//! subflow computes, are left out with a warning (`wxc::not-carried`).

use super::expr::{self, Clash, Resolved, Resolver, Unresolved};
use super::model::*;
use crate::diagnostic::{Code, Diagnostic, SourceFile, Span};
use crate::flow::walk::breadth_first;
use crate::flow::{
    outcome_names, Action, Branch, CallFlow, Flow, Http, Node, NodeId, NodeKind, Target, START_ID,
};
use crate::spec::Spec;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// The output variable that tells the parent which flow outcome the subflow ended with.
pub(crate) const OUTCOME_VARIABLE: &str = "FlowOutcome";
/// The subflow start activity's name.
pub(crate) const START_NAME: &str = "SubflowStart";
/// The one End Subflow activity's name.
pub(crate) const END_NAME: &str = "EndSubflow";

/// A spec's source and parsed form, for locating diagnostics.
pub(crate) type Located<'a> = Option<(&'a Spec, &'a SourceFile)>;

/// The server's ids of an imported subflow, as a handoff names it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SubflowIds {
    /// The subflow's flow id (`flowId` in its export; 24 hex digits).
    pub flow_id: String,
    /// The version the handoff records (`id` in its export); empty when not given.
    pub version_id: String,
}

impl SubflowIds {
    /// `FLOWID` or `FLOWID:VERSIONID`, each 24 hex digits (the shape of every id in Cisco's
    /// exports); `None` for anything else.
    pub fn parse(text: &str) -> Option<SubflowIds> {
        let (flow, version) = match text.split_once(':') {
            Some((flow, version)) => (flow, Some(version)),
            None => (text, None),
        };
        let id = |s: &str| s.len() == 24 && s.bytes().all(|b| b.is_ascii_hexdigit());
        // `FLOWID:` (a version id left out after its colon) is refused, not read as no version.
        (id(flow) && version.is_none_or(id)).then(|| SubflowIds {
            flow_id: flow.to_string(),
            version_id: version.unwrap_or_default().to_string(),
        })
    }
}

/// A child's inputs and outputs in Flow Designer: the subflow wxcflow writes from its spec.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Interface {
    /// Its `SUBFLOW_INPUT` and `SUBFLOW_OUTPUT` variables.
    pub variables: Vec<Variable>,
    /// The Flow Designer names of the variables its spec declares (the others stand for
    /// webhook fields and `$(flid)`, which the parent passes on).
    pub declared: Vec<String>,
}

/// The child's interface, read from its checked flow as wxcflow lowers it; `None` when the
/// child cannot be lowered.
pub fn interface(child: &Flow) -> Option<Interface> {
    let (model, _) = lower(child, None);
    let model = model?;
    Some(Interface {
        variables: model
            .variables
            .into_iter()
            .filter(|v| v.source.starts_with("SUBFLOW_"))
            .collect(),
        declared: child.variables.iter().map(|v| fd_name(&v.name)).collect(),
    })
}

/// What lowering knows of the flows a spec calls (`call_flow`), by child flow name.
#[derive(Clone, Debug, Default)]
pub struct Children {
    /// The server's ids of each child imported as a subflow (`build --subflow NAME=ID`).
    pub ids: BTreeMap<String, SubflowIds>,
    /// Each child's inputs and outputs, when its spec was found.
    pub interfaces: BTreeMap<String, Interface>,
}

/// Lowers a checked flow; the model comes back when nothing was refused.
pub(crate) fn lower(flow: &Flow, located: Located) -> (Option<FdFlow>, Vec<Diagnostic>) {
    lower_with(flow, located, &Children::default())
}

/// Lowers a checked flow whose `call_flow` nodes call `children`.
pub(crate) fn lower_with(
    flow: &Flow,
    located: Located,
    children: &Children,
) -> (Option<FdFlow>, Vec<Diagnostic>) {
    let mut cx = Lowering::new(flow, located, children);
    cx.run();
    // A value reached through several exits is reported once.
    let mut seen = std::collections::HashSet::new();
    cx.diagnostics
        .retain(|d| seen.insert((d.code, d.message.clone(), d.span.clone())));
    let has_errors = cx.diagnostics.iter().any(Diagnostic::is_error);
    let model = if has_errors { None } else { Some(cx.model()) };
    (model, cx.diagnostics)
}

/// Nodes that a path from Start reaches only through an HTTP node's onTimeout that leads
/// elsewhere than its onError: in Flow Designer a timeout takes onError's path, so they are left
/// out (and the HTTP node's warning names them).
pub(crate) fn timeout_only_nodes(flow: &Flow) -> std::collections::BTreeSet<NodeId> {
    let reach = |skip_split_timeouts: bool| {
        let start = match flow.trigger.next {
            Target::Node(id) => Some(id),
            Target::End(_) => None,
        };
        let successors = |id: &NodeId| {
            flow.node(*id)
                .into_iter()
                .flat_map(|node| followed(node, skip_split_timeouts))
        };
        breadth_first(start, successors)
            .map(|reached| reached.node)
            .filter(|id| flow.node(*id).is_some())
            .collect::<std::collections::BTreeSet<NodeId>>()
    };
    let all = reach(false);
    let without = reach(true);
    all.difference(&without).copied().collect()
}

/// The nodes a run goes on to from `node`; with `skip_split_timeouts`, not through an HTTP
/// node's onTimeout that leads elsewhere than its onError.
fn followed(node: &Node, skip_split_timeouts: bool) -> impl Iterator<Item = NodeId> + '_ {
    let on_error = node.exits.iter().find(|e| e.outcome == "onError");
    node.exits
        .iter()
        .filter(move |exit| {
            let split = matches!(node.kind, NodeKind::Http(_))
                && exit.outcome == "onTimeout"
                && on_error.is_some_and(|e| e.target != exit.target);
            !(skip_split_timeouts && split)
        })
        .filter_map(|exit| match exit.target {
            Target::Node(next) => Some(next),
            Target::End(_) => None,
        })
}

/// A Flow Designer name: `_` for every character other than letters, digits and `_`.
pub fn fd_name(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

/// What a Flow Designer variable stands for: every variable the lowering names is claimed with
/// its origin in one place ([`Lowering::claim`]), and two different origins for one name are
/// refused, never merged.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Origin {
    /// A variable the spec declares (its Webex Connect name).
    Declared(String),
    /// A value Webex Connect's runtime gives a flow (the reference: a webhook field, `flid`).
    Runtime(String),
    /// A called flow's input that stands for a webhook field or `flid` (the child's name):
    /// the parent passes on the same value.
    PassedOn(String),
    /// An HTTP node's output (node key, output name).
    Output(String, String),
    /// The flow outcome the subflow returns.
    Outcome,
    /// The flow outcome a `call_flow` node's subflow ended with (node key).
    CalledOutcome(String),
    /// A credential typed in clear into a header the flow lists in `[flow] credential_headers`
    /// (node key, header name): kept in a secure variable of its own.
    Credential(String, String),
}

impl Origin {
    /// Whether a name claimed for `self` may stand for `other` too: the same thing, or a value
    /// a called flow shares with its parent (a webhook field or `flid` the child takes as input).
    fn same_value(&self, other: &Origin) -> bool {
        self == other
            || matches!(
                (self, other),
                (
                    Origin::PassedOn(_),
                    Origin::PassedOn(_) | Origin::Runtime(_)
                ) | (Origin::Runtime(_), Origin::PassedOn(_))
            )
    }
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Declared(name) => write!(f, "variable `{name}`"),
            Origin::Runtime(reference) => write!(f, "`$({reference})`"),
            Origin::PassedOn(child) => {
                write!(f, "the webhook field or `flid` subflow `{child}` takes")
            }
            Origin::Output(key, output) => write!(f, "output `{output}` of node `{key}`"),
            Origin::Outcome => write!(f, "the subflow's flow outcome output"),
            Origin::CalledOutcome(key) => {
                write!(f, "the flow outcome of the subflow node `{key}` calls")
            }
            Origin::Credential(key, header) => {
                write!(
                    f,
                    "the credential typed in header `{header}` of node `{key}`"
                )
            }
        }
    }
}

struct Lowering<'a> {
    flow: &'a Flow,
    located: Located<'a>,
    children: &'a Children,
    diagnostics: Vec<Diagnostic>,
    /// Spec variable name -> Flow Designer name.
    names: BTreeMap<String, String>,
    /// Every Flow Designer variable name given so far, and what it stands for.
    claims: BTreeMap<String, Origin>,
    variables: Vec<Variable>,
    /// Variables made for node outputs, start fields, flid and the outcome, by name.
    extra: BTreeMap<String, Variable>,
    activities: Vec<Activity>,
    /// The names of `activities`, for telling a clash without a scan.
    activity_names: std::collections::HashSet<String>,
    links: Vec<Link>,
    /// (node key, outcome) -> the name of the activity that path enters, once built.
    paths: BTreeMap<(String, String), String>,
    /// Flow outcome -> its set-variable's name.
    ends: BTreeMap<String, String>,
    /// Nodes entered but not yet lowered: lowering takes them from here in turn, so that its
    /// depth never grows with the flow.
    pending: std::collections::VecDeque<NodeId>,
    /// [`timeout_only_nodes`] of the flow, found once.
    timeout_only: std::collections::BTreeSet<NodeId>,
    /// The nodes a run can enter more than once ([`crate::check::nodes_on_loops`]), found once.
    on_loops: std::collections::BTreeSet<NodeId>,
    /// The values the flow assigns to secret variables, gathered on first use.
    secret_values: Option<Vec<String>>,
}

impl<'a> Lowering<'a> {
    fn new(flow: &'a Flow, located: Located<'a>, children: &'a Children) -> Self {
        Lowering {
            flow,
            located,
            children,
            diagnostics: Vec::new(),
            names: BTreeMap::new(),
            claims: BTreeMap::new(),
            variables: Vec::new(),
            extra: BTreeMap::new(),
            activities: Vec::new(),
            activity_names: std::collections::HashSet::new(),
            links: Vec::new(),
            paths: BTreeMap::new(),
            pending: std::collections::VecDeque::new(),
            ends: BTreeMap::new(),
            timeout_only: timeout_only_nodes(flow),
            on_loops: crate::check::nodes_on_loops(flow),
            secret_values: None,
        }
    }

    fn report(&mut self, code: Code, message: String, span: Option<Span>, help: Option<&str>) {
        let mut d = Diagnostic::new(code, message).with_span(span);
        if let Some(h) = help {
            d = d.with_help(h);
        }
        self.diagnostics.push(d);
    }

    fn refuse(&mut self, message: String, span: Option<Span>, help: Option<&str>) {
        self.report(Code::NotExpressible, message, span, help);
    }

    // --- Locating in the spec -------------------------------------------------------------

    fn source(&self) -> Option<&'a SourceFile> {
        self.located.map(|(_, s)| s)
    }

    fn node_spec(
        &self,
        key: &str,
    ) -> Option<(
        &'a crate::spec::model::S<String>,
        &'a crate::spec::model::NodeSpec,
    )> {
        self.located?
            .0
            .nodes
            .get_key_value(key)
            .map(|(k, n)| (k, &**n))
    }

    fn at_node(&self, key: &str) -> Option<Span> {
        let (k, _) = self.node_spec(key)?;
        Some(self.source()?.span(k.span()))
    }

    /// The span of a node field, else of the node.
    fn at_field(&self, key: &str, field: &str) -> Option<Span> {
        let found = self.node_spec(key).and_then(|(_, n)| {
            let range = match field {
                "type" => n.kind.span(),
                "url" => n.url.as_ref()?.span(),
                "body" => n.body.as_ref()?.span(),
                "proxy" => n.proxy.as_ref()?.span(),
                "entry" => n.entry.as_ref()?.span(),
                "flow" => n.flow.as_ref()?.span(),
                "connect_timeout_ms" => n.connect_timeout_ms.as_ref()?.span(),
                "next" => n.next.as_ref()?.span(),
                "headers" => n.headers.as_ref()?.keys().next()?.span(),
                "outputs" => n.outputs.as_ref()?.keys().next()?.span(),
                output if output.starts_with("outputs.") => n
                    .outputs
                    .as_ref()?
                    .keys()
                    .find(|k| k.get_ref() == &output["outputs.".len()..])?
                    .span(),
                "branches" => n.branches.as_ref()?.first()?.name.span(),
                arm if arm.starts_with("branches.") => {
                    let index: usize = arm["branches.".len()..].parse().ok()?;
                    n.branches.as_ref()?.get(index)?.name.span()
                }
                "on_enter" => n.on_enter.as_ref()?.first()?.set.keys().next()?.span(),
                "on_leave" => n.on_leave.as_ref()?.first()?.set.keys().next()?.span(),
                outcome => n
                    .next
                    .as_ref()?
                    .get_ref()
                    .keys()
                    .find(|k| k.get_ref() == outcome)?
                    .span(),
            };
            Some(self.source()?.span(range))
        });
        found.or_else(|| self.at_node(key))
    }

    fn at_variable(&self, name: &str) -> Option<Span> {
        let (spec, source) = self.located?;
        let (k, _) = spec.variables.iter().find(|(k, _)| k.get_ref() == name)?;
        Some(source.span(k.span()))
    }

    // --- Variables ----------------------------------------------------------------------------

    fn lower_variables(&mut self) {
        let declared_credentials = declared_header_variables(self.flow);
        for v in &self.flow.variables {
            let name = fd_name(&v.name);
            if let Err(clash) = self.claim(&name, Origin::Declared(v.name.clone())) {
                let span = self.at_variable(&v.name);
                self.refuse_clash(clash, span);
            }
            self.names.insert(v.name.clone(), name.clone());
            let source = if v.result {
                "SUBFLOW_OUTPUT"
            } else if v.externalize {
                "SUBFLOW_INPUT"
            } else {
                ""
            };
            if v.result && v.externalize {
                let span = self.at_variable(&v.name);
                self.report(Code::Approximated, format!("variable `{}` is both asked for at Make Live and a result; in Flow Designer it is a SUBFLOW_OUTPUT only", v.name), span, Some("a subflow variable is an input or an output; the parent can still set an output before the handoff"));
            }
            let mut description = v.note.clone().unwrap_or_default();
            if name != v.name {
                let was = format!("Webex Connect name: {}.", v.name);
                description = if description.is_empty() {
                    was
                } else {
                    format!("{description} {was}")
                };
            }
            self.variables.push(Variable {
                name,
                description,
                value: if v.default.is_empty() {
                    Value::Null
                } else {
                    json!(v.default)
                },
                source: source.to_string(),
                is_secure: v.secret || declared_credentials.contains(&v.name),
                ..Variable::local("")
            });
        }
    }

    /// Gives `name` to `origin`: `Err` when something else has it already, a variable standing
    /// for something else or an activity (the caller refuses it where the spec says it). The
    /// one place every variable name the lowering writes is checked; `add` checks each
    /// activity name against these.
    fn claim(&mut self, name: &str, origin: Origin) -> Result<(), Clash> {
        if super::pebble::is_reserved(name) {
            // `{{ true }}` is Pebble's literal, `{{ and }}` its operator, whatever a variable so
            // named holds.
            return Err(Clash::literal(name, origin.to_string()));
        }
        if self.activity_names.contains(name) {
            // [assumed] Variables and activities are read by name alike (see `add`).
            return Err(Clash {
                name: name.to_string(),
                first: "an activity".to_string(),
                second: origin.to_string(),
            });
        }
        match self.claims.get(name) {
            Some(first) if first.same_value(&origin) => Ok(()),
            Some(first) => Err(Clash {
                name: name.to_string(),
                first: first.to_string(),
                second: origin.to_string(),
            }),
            None => {
                self.claims.insert(name.to_string(), origin);
                Ok(())
            }
        }
    }

    /// Refuses a clash (`wxc::not-expressible`) at `span`.
    fn refuse_clash(&mut self, clash: Clash, span: Option<Span>) {
        self.refuse(clash.to_string(), span, Some(clash.help()));
    }

    /// The span of the spec variable that has the Flow Designer name `name`, if one has.
    fn at_declared(&self, name: &str) -> Option<Span> {
        match self.claims.get(name) {
            Some(Origin::Declared(v)) => self.at_variable(v),
            _ => None,
        }
    }

    /// Adds a variable the lowering needs (once for each origin); `Err` when the name is
    /// another's (a spec variable, or a generated variable standing for something else).
    fn extra_variable(
        &mut self,
        name: &str,
        origin: Origin,
        source: &str,
        description: String,
    ) -> Result<String, Clash> {
        self.claim(name, origin)?;
        if !self.extra.contains_key(name) {
            self.extra.insert(
                name.to_string(),
                Variable {
                    description,
                    source: source.to_string(),
                    ..Variable::local(name)
                },
            );
        }
        Ok(name.to_string())
    }

    // --- Activities and links -----------------------------------------------------------------

    fn add(
        &mut self,
        name: String,
        kind_name: &str,
        settings: Vec<(&str, Value)>,
        origin: Option<&str>,
    ) -> String {
        if !self.activity_names.insert(name.clone()) {
            let span = origin.and_then(|k| self.at_node(k));
            self.refuse(
                format!("two activities would be named `{name}` in Flow Designer"),
                span,
                Some("rename the node whose key makes the clash"),
            );
        } else if super::pebble::is_reserved(&name) {
            // `{{ null.httpStatusCode }}` reads Pebble's null, not the activity; `{{
            // not.httpStatusCode }}` does not parse.
            let what = origin.map_or("an activity".to_string(), |k| {
                format!("the activity of node `{k}`")
            });
            let span = origin.and_then(|k| self.at_node(k));
            self.refuse_clash(Clash::literal(&name, what), span);
        } else if let Some(variable) = self.claims.get(&name) {
            // [assumed] An expression reads variables and activities by name alike
            // (`{{x.httpStatusCode}}`), so one name must not stand for both.
            let clash = Clash {
                name: name.clone(),
                first: variable.to_string(),
                second: origin.map_or("an activity".to_string(), |k| {
                    format!("the activity of node `{k}`")
                }),
            };
            let span = origin.and_then(|k| self.at_node(k));
            self.refuse_clash(clash, span);
        }
        let kind = Kind::of(Some(kind_name), "");
        self.activities.push(Activity {
            name: name.clone(),
            group: kind.group().unwrap_or("action").to_string(),
            activity_name: Some(kind_name.to_string()),
            activity_id: Some(default_activity_id(kind, kind_name)),
            settings: settings
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            ports: None,
            origin: None,
        });
        name
    }

    /// `base`, or `base_2`, `base_3`, ... when an activity (or one of `taken`, about to be
    /// added) has it: the names the lowering makes for one node's parts (a branch's
    /// conditions, the Set Variables of its actions) are built from the node's key and a
    /// branch or outcome name, and may meet (branch `Green`'s condition and the actions on
    /// leaving by `Green` are both `<node>_Green`). Deterministic: the lowering adds
    /// activities in one order.
    fn fresh_name(&self, base: String, taken: &[&str]) -> String {
        let free = |name: &str| !self.activity_names.contains(name) && !taken.contains(&name);
        if free(&base) {
            return base;
        }
        (2..)
            .map(|n| format!("{base}_{n}"))
            .find(|name| free(name))
            .unwrap_or(base)
    }

    fn link(&mut self, source: &str, port: &str, target: &str) {
        self.links.push(Link {
            source: source.to_string(),
            port: port.to_string(),
            target: target.to_string(),
            origin: None,
        });
    }

    fn run(&mut self) {
        self.lower_variables();
        if self.flow.correlation_id.is_some() {
            let span = self.located.and_then(|(spec, source)| {
                Some(source.span(spec.flow.correlation_id.as_ref()?.span()))
            });
            self.report(
                Code::NotCarried,
                "the flow sets a correlation id; Flow Designer has no such setting, so the subflow is written without it".into(),
                span,
                Some("the correlation id labels the Webex Connect transaction and changes nothing the flow computes; remove `correlation_id` to silence this"),
            );
        }
        for outcome in &self.flow.outcomes {
            if outcome.notify_url.is_some() {
                let span = self.located.and_then(|(spec, source)| {
                    let (_, o) = spec
                        .outcomes
                        .iter()
                        .find(|(k, _)| k.get_ref() == &outcome.name)?;
                    Some(source.span(o.notify_url.as_ref()?.span()))
                });
                self.refuse(format!("flow outcome `{}` notifies a URL; a Flow Designer subflow has no outcome notification", outcome.name), span, Some("remove `notify_url`, or call the URL with an HTTP node before the end"));
            }
        }
        for node in &self.flow.nodes {
            let why = match &node.kind {
                NodeKind::Evaluate(_) => Some(("runs JavaScript", "Flow Designer has no script activity; express the logic with condition and set-variable activities")),
                _ => None,
            };
            if let Some((what, help)) = why {
                let span = self.at_field(&node.key, "type");
                self.refuse(
                    format!(
                        "node `{}` ({}) {what}; Flow Designer cannot express it here",
                        node.key,
                        node.kind.type_name()
                    ),
                    span,
                    Some(help),
                );
            }
            if let NodeKind::Http(h) = &node.kind {
                if h.proxy.is_some() {
                    let span = self.at_field(&node.key, "proxy");
                    self.refuse(format!("node `{}` sends through a proxy; Flow Designer's HTTP Request has no proxy setting", node.key), span, Some("remove `proxy`"));
                }
            }
        }
        let start = self.add(START_NAME.to_string(), SUBFLOW_START, Vec::new(), None);
        let flow = self.flow;
        let first = self.enter(&flow.trigger.next);
        self.link(&start, "out", &first);
        self.lower_pending();
        // Nodes no path reaches are written too (Flow Designer's check shows them), never dropped;
        // but a node only a timeout reached has no way in once timeouts share onError's path.
        let timeout_only = self.timeout_only.clone();
        for node in flow.nodes.iter().filter(|n| !timeout_only.contains(&n.id)) {
            self.enter(&Target::Node(node.id));
            self.lower_pending();
        }
        self.outcome_variable();
    }

    /// Lowers every node entered and not yet lowered, in the order entered.
    fn lower_pending(&mut self) {
        let flow = self.flow;
        while let Some(id) = self.pending.pop_front() {
            if let Some(node) = flow.node(id) {
                self.lower_node(node);
            }
        }
    }

    fn model(&mut self) -> FdFlow {
        let mut variables = std::mem::take(&mut self.variables);
        variables.extend(std::mem::take(&mut self.extra).into_values());
        let mut description = self.flow.description.clone().unwrap_or_default();
        if !description.is_empty() {
            description.push(' ');
        }
        description.push_str(&format!(
            "Compiled by wxcflow from a Webex Connect spec (started there by webhook {}); the flow outcome is returned in {OUTCOME_VARIABLE}.",
            self.flow.trigger.event
        ));
        let mut process = Process {
            activities: std::mem::take(&mut self.activities),
            links: std::mem::take(&mut self.links),
        };
        tidy::tidy(&mut process);
        tidy::finish_assignments(&self.flow.name, &mut process);
        process.order_links();
        FdFlow {
            name: self.flow.name.clone(),
            description,
            comment: String::new(),
            flow_type: Some("SUBFLOW".into()),
            variables,
            variable_orders: None,
            runtime_variables: Vec::new(),
            process,
            // [cisco] a 2026 subflow has no event flows: `eventsMap` is empty.
            event_flows: Vec::new(),
            kept: Kept::default(),
        }
    }

    fn outcome_variable(&mut self) {
        // The outcomes the subflow can end with, in the flow's outcome order.
        let names: Vec<&str> = self
            .flow
            .outcomes
            .iter()
            .map(|o| o.name.as_str())
            .filter(|o| self.ends.contains_key(*o))
            .collect();
        let description = format!("Set by this subflow to the Webex Connect flow outcome it ended with ({}): test it after the handoff.", names.join(", "));
        if let Err(clash) = self.extra_variable(
            OUTCOME_VARIABLE,
            Origin::Outcome,
            "SUBFLOW_OUTPUT",
            description,
        ) {
            let span = self.at_declared(OUTCOME_VARIABLE);
            self.refuse_clash(clash, span);
        }
    }

    /// The activity a target is entered by, building it (and what follows) on first use.
    fn enter(&mut self, target: &Target) -> String {
        match target {
            Target::End(outcome) => self.end(outcome),
            Target::Node(id) => {
                let flow = self.flow;
                let Some(node) = flow.node(*id) else {
                    return START_NAME.to_string();
                };
                let key = (node.key.clone(), "<enter>".to_string());
                if let Some(name) = self.paths.get(&key) {
                    return name.clone();
                }
                // Reserve the entry name first: loops come back here.
                let assignments = self.assignments(node, &node.on_enter, None, "on_enter");
                let head = assignments
                    .first()
                    .map_or(node.key.clone(), |(n, ..)| n.clone());
                self.paths.insert(key, head.clone());
                self.set_chain(&assignments, &node.key);
                if let Some((last, ..)) = assignments.last() {
                    self.link(last, "out", &node.key);
                    self.link(last, "error", &node.key);
                }
                self.pending.push_back(node.id);
                head
            }
        }
    }

    /// The chain of set-variable activities for a node's actions (on entering, or on leaving by
    /// `outcome`): (activity name, variable, value template).
    fn assignments(
        &mut self,
        node: &Node,
        actions: &[Action],
        outcome: Option<&str>,
        field: &str,
    ) -> Vec<(String, String, String)> {
        let mut out: Vec<(String, String, String)> = Vec::new();
        for action in actions {
            if outcome.is_some() && action.outcome.is_some() && action.outcome.as_deref() != outcome
            {
                continue;
            }
            let ordered = match reads_first(&action.set) {
                Ok(ordered) => ordered,
                Err(circle) => {
                    let span = self.at_field(&node.key, field);
                    self.refuse(
                        format!(
                            "node `{}` sets {} in one action, each from another's value: an action reads every value before it writes any, and Flow Designer's Set Variable writes one after another, so no order keeps that",
                            node.key,
                            circle.iter().map(|v| format!("`{v}`")).collect::<Vec<_>>().join(", ")
                        ),
                        span,
                        Some("copy one of them to a variable of its own in an earlier action, and read that one"),
                    );
                    continue;
                }
            };
            for (var, value) in ordered {
                let fd_var = self.names.get(var).cloned().unwrap_or_else(|| fd_name(var));
                let stage = outcome.map_or("enter".to_string(), fd_name);
                // The chain becomes one Set Variable, named by its first.
                let base = if out.is_empty() {
                    format!("{}_{stage}", node.key)
                } else {
                    format!("{}_{stage}_{fd_var}", node.key)
                };
                let taken: Vec<&str> = out.iter().map(|(o, ..)| o.as_str()).collect();
                let name = self.fresh_name(base, &taken);
                let expr = match expr::assignment(value, self) {
                    Ok(e) => e,
                    Err(why) => {
                        let span = self.at_field(&node.key, field);
                        self.refuse(format!("node `{}` assigns `{var}` a value Flow Designer cannot express: {why}", node.key), span, why.help());
                        String::new()
                    }
                };
                out.push((name, fd_var, expr));
            }
        }
        out
    }

    /// Adds a chain of set-variable activities and links them in order (the last is linked by
    /// the caller).
    fn set_chain(&mut self, chain: &[(String, String, String)], node_key: &str) {
        for (i, (name, var, value)) in chain.iter().enumerate() {
            self.add(
                name.clone(),
                SET_VARIABLE,
                vec![
                    (
                        "description",
                        json!(format!("Transition action of `{node_key}`: sets {var}.")),
                    ),
                    ("setVariablesArray", json!([tidy::assignment(var, value)])),
                ],
                Some(node_key),
            );
            if let Some((next, ..)) = chain.get(i + 1) {
                self.link(name, "out", next);
                self.link(name, "error", next);
            }
        }
    }

    /// The activity that leaving `node` by `outcome` enters: its actions, then its target.
    fn exit(&mut self, node: &Node, outcome: &str) -> String {
        let key = (node.key.clone(), outcome.to_string());
        if let Some(name) = self.paths.get(&key) {
            return name.clone();
        }
        let target = node
            .exits
            .iter()
            .find(|e| e.outcome == outcome)
            .map(|e| e.target.clone());
        let chain = self.assignments(node, &node.on_leave, Some(outcome), "on_leave");
        if let Some((head, ..)) = chain.first() {
            self.paths.insert(key, head.clone());
        }
        self.set_chain(&chain, &node.key);
        let entered = match &target {
            Some(t) => self.enter(t),
            None => START_NAME.to_string(),
        };
        if let Some((last, ..)) = chain.last() {
            self.link(last, "out", &entered);
            self.link(last, "error", &entered);
        }
        let head = chain.first().map_or(entered, |(n, ..)| n.clone());
        self.paths
            .insert((node.key.clone(), outcome.to_string()), head.clone());
        head
    }

    fn end(&mut self, outcome: &str) -> String {
        if let Some(name) = self.ends.get(outcome) {
            return name.clone();
        }
        let set = format!("outcome_{}", fd_name(outcome));
        self.ends.insert(outcome.to_string(), set.clone());
        let (code, meaning) = self
            .flow
            .outcomes
            .iter()
            .find(|o| o.name == outcome)
            .map_or((0, String::new()), |o| (o.code, o.description.clone()));
        self.add(
            set.clone(),
            SET_VARIABLE,
            vec![
                ("description", json!(format!("Webex Connect flow outcome {outcome} (status code {code}: {meaning}), returned to the parent in {OUTCOME_VARIABLE}."))),
                ("setVariablesArray", json!([tidy::assignment(OUTCOME_VARIABLE, &format!("{{{{ {} }}}}", expr::string_literal(outcome, expr::Literal::Assigned).unwrap_or_default()))])),
            ],
            None,
        );
        // One End Subflow, entered from every outcome [cisco: one End Subflow, several links].
        match self
            .activities
            .iter()
            .find(|a| a.name == END_NAME)
            .map(Activity::kind)
        {
            None => {
                self.add(END_NAME.to_string(), SUBFLOW_END, Vec::new(), None);
            }
            Some(Kind::SubflowEnd) => {}
            // An activity of the spec's took the end's name: the outcome would lead back into it.
            Some(_) => {
                let span = self.at_node(END_NAME);
                self.refuse(
                    format!("two activities would be named `{END_NAME}` in Flow Designer: a node's and the subflow's end"),
                    span,
                    Some("rename the node whose key makes the clash"),
                );
            }
        }
        self.link(&set, "out", END_NAME);
        self.link(&set, "error", END_NAME);
        set
    }

    fn lower_node(&mut self, node: &Node) {
        match &node.kind {
            NodeKind::Http(h) => self.lower_http(node, h),
            NodeKind::Branch(b) => self.lower_branch(node, b),
            NodeKind::CallFlow(c) => self.lower_call_flow(node, c),
            // Refused in `run`; an end keeps the graph whole.
            NodeKind::Evaluate(_) => {
                self.add(node.key.clone(), SUBFLOW_END, Vec::new(), Some(&node.key));
            }
        }
    }

    fn text(&mut self, node: &Node, field: &str, text: &str) -> String {
        match expr::template(text, self) {
            Ok(t) => t,
            Err(why) => {
                let span = self.at_field(&node.key, field);
                self.refuse(
                    format!(
                        "`{}.{field}` cannot be written for Flow Designer: {why}",
                        node.key
                    ),
                    span,
                    why.help(),
                );
                String::new()
            }
        }
    }
}

/// Whether a header is one the flow lists in `[flow] credential_headers` and whose name alone
/// does not say it carries a credential (`X-Auth`; not `pin` or `Authorization`, which a Flow
/// Designer file's readers know by the word list). A Flow Designer file has no list of its own,
/// so the lowering keeps what such a header carries in secure variables.
pub(crate) fn declared_only_credential_header(flow: &Flow, name: &str) -> bool {
    flow.credential_headers
        .iter()
        .any(|d| d.eq_ignore_ascii_case(name))
        && !crate::secret::names::is_credential_place(name)
}

/// The variables read in a header [`declared_only_credential_header`] names, and, over the
/// assignments, every variable whose value one of them takes: written secure (`isSecure`) in
/// the Flow Designer file, as the Webex Connect run holds them secret. Told by where a value
/// goes, never by the value.
fn declared_header_variables(flow: &Flow) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for node in &flow.nodes {
        if let NodeKind::Http(h) = &node.kind {
            for (name, value) in &h.headers {
                if declared_only_credential_header(flow, name) {
                    Flow::add_references(value, &mut found);
                }
            }
        }
    }
    flow.add_assigned_from(&mut found);
    found
}

mod nodes;
pub(crate) use nodes::{resolved_note, unresolved_note};
mod tidy;

/// An action's assignments in an order Flow Designer can run them one after another with the
/// meaning they have in one action, where every value is read before any is written: one that
/// reads a variable the action also sets comes before the one that sets it (otherwise in the
/// action's own order). `Err` with the variables that read each other in a circle (a swap).
fn reads_first(set: &BTreeMap<String, String>) -> Result<Vec<(&String, &String)>, Vec<String>> {
    let items: Vec<(&String, &String)> = set.iter().collect();
    // reads[i]: the other variables of this action that item i's value reads.
    let reads: Vec<Vec<usize>> = items
        .iter()
        .map(|(var, value)| {
            let names = crate::flow::refs::references(value).unwrap_or_default();
            items
                .iter()
                .enumerate()
                .filter(|(_, (other, _))| {
                    other != var && names.iter().any(|r| r.name == other.as_str())
                })
                .map(|(j, _)| j)
                .collect()
        })
        .collect();
    // j must wait until every item that reads j's variable is placed.
    let mut placed = vec![false; items.len()];
    let mut ordered = Vec::with_capacity(items.len());
    while ordered.len() < items.len() {
        let next = (0..items.len()).find(|&j| {
            !placed[j] && (0..items.len()).all(|i| placed[i] || i == j || !reads[i].contains(&j))
        });
        let Some(j) = next else {
            return Err((0..items.len())
                .filter(|&i| !placed[i])
                .map(|i| items[i].0.clone())
                .collect());
        };
        placed[j] = true;
        ordered.push(items[j]);
    }
    Ok(ordered)
}
