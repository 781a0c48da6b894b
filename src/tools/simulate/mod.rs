//! Local execution of a flow, with the semantics Cisco documents: `$(...)` substitution, Branch
//! conditions top to bottom with "None of the above", HTTP requests (mocked or real, through a
//! client the caller supplies) with JSONPath outputs and the built-in `https.*` outputs,
//! transition actions, Call Flow into child flows, and End with a flow outcome.
//!
//! The Evaluate node's JavaScript is not run: there is no faithful, sandboxed engine for the
//! platform's Rhino-like runtime here, so a run that reaches one stops with an error naming it.

pub mod mock;
mod render;
pub mod scenario;

use crate::flow::jsonpath;
use crate::flow::limits::{MAX_RUN_HELD_BYTES, MAX_RUN_VALUE_BYTES};
use crate::flow::refs;
use crate::flow::*;
use crate::secret::Text;
use serde::Serialize;
use std::cell::Cell;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

pub(crate) use render::exchange_lines;

/// Steps after which a run is cut (a loop without an exit).
pub(crate) const STEP_LIMIT: usize = 1_000;
/// The flow transaction id (`$(flid)`) every run is given.
pub(crate) const SIMULATED_FLID: &str = "sim-flid-0001";
/// How deep Call Flow may nest.
pub(crate) const CALL_DEPTH_LIMIT: usize = 8;

/// An HTTP request as the flow would send it. Each part knows whether it derives from a secret,
/// and shows (in traces, JSON and failures) masked if it does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Request {
    /// The HTTP method, as the node gives it (`POST`).
    pub method: String,
    /// The URL, references filled in.
    pub url: Text,
    /// Header name -> value, references filled in.
    pub headers: BTreeMap<String, Text>,
    /// The body, references filled in; `None` when the node sends none.
    pub body: Option<Text>,
    /// Headers that carry credentials (the flow's `credential_headers`): a client never sends
    /// them to another origin.
    #[serde(skip)]
    pub credential_headers: Vec<String>,
    /// The node's connect timeout, when it sets one.
    #[serde(skip)]
    pub connect_timeout_ms: Option<u32>,
    /// The node's request timeout, when it sets one ([`Request::DEFAULT_TIMEOUT_MS`] otherwise).
    #[serde(skip)]
    pub request_timeout_ms: Option<u32>,
}

impl Request {
    /// Why a request that [`Request::cannot_be_made`] fails, the same whatever it holds.
    pub const CANNOT_BE_MADE: &'static str =
        "the request cannot be made: a header or the URL holds a character HTTP does not allow";

    /// Whether the request cannot be made as written: a header value with a byte other than
    /// tab or visible ASCII and space, or a URL with a space, a control or a non-ASCII byte
    /// (HTTP's rules for header values and URLs, which the HTTP library these runs use
    /// enforces; what Webex Connect or Flow Designer would send instead is not documented).
    /// Told before any client sees it, so that a mocked and a live run agree.
    pub fn cannot_be_made(&self) -> bool {
        let header = |v: &str| v.bytes().any(|b| b != b'\t' && !(0x20..=0x7e).contains(&b));
        let url = |u: &str| u.bytes().any(|b| !(0x21..=0x7e).contains(&b));
        url(self.url.expose()) || self.headers.values().any(|v| header(v.expose()))
    }

    /// Whether a header carries a credential, so that no hop to another origin gets it: one the
    /// flow names (`credential_headers`), one whose value is secret (it reads a secret or is a
    /// credential typed in clear), one HTTP itself uses for credentials, or one whose name says
    /// it carries one (`x-api-key`, `pin`: the word list that decides secret variables too).
    pub fn is_credential_header(&self, name: &str) -> bool {
        crate::secret::names::HTTP_CREDENTIAL_HEADERS
            .iter()
            .any(|c| c.eq_ignore_ascii_case(name))
            || crate::secret::names::is_credential_header(name)
            || self
                .credential_headers
                .iter()
                .any(|c| c.eq_ignore_ascii_case(name))
            || self
                .headers
                .iter()
                .any(|(k, v)| k.eq_ignore_ascii_case(name) && v.is_secret())
    }
}

/// What came back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reply {
    /// A response, whatever its status: the node's status outputs read it.
    Response {
        /// The status code.
        status: u16,
        /// The reason phrase (`Not Found`).
        status_text: String,
        /// Header name -> value.
        headers: BTreeMap<String, Text>,
        /// The body, as text.
        body: Text,
    },
    /// Refused, unreachable, or the connection timeout passed: the node leaves through onError.
    /// A client quotes no secret part of the request in `reason`.
    ConnectionFailed {
        /// What went wrong, for the trace.
        reason: Text,
    },
    /// The request timeout passed: the node leaves through onTimeout.
    Timeout,
    /// The client would not go on: a redirect whose Location has a scheme other than http or
    /// https (`ftp:`, `file:`), which no request is sent to. The run stops at the node.
    Refused {
        /// Why, for the stop (quotes nothing of the Location).
        reason: String,
    },
}

impl Reply {
    /// The reply of a node with secret outputs: its body and headers hold the secret too.
    pub fn tainted_by(mut self, secret: bool) -> Reply {
        if let Reply::Response { headers, body, .. } = &mut self {
            for value in headers.values_mut().chain([body]) {
                *value = std::mem::take(value).tainted_by(secret);
            }
        }
        self
    }

    /// The reply with its `Location` and `Content-Location` shown as URLs are: secret whole when
    /// they carry a credential typed in clear, as a redirect hop's Location is (a redirect past
    /// the limit is the reply itself).
    pub(crate) fn with_locations_shown(mut self) -> Reply {
        if let Reply::Response { headers, .. } = &mut self {
            for (name, value) in headers.iter_mut() {
                if name.eq_ignore_ascii_case("location")
                    || name.eq_ignore_ascii_case("content-location")
                {
                    *value = crate::secret::names::url_shown(std::mem::take(value));
                }
            }
        }
        self
    }
}

/// A redirect the client met on the way to the reply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Hop {
    /// The redirect's status code (a 3xx).
    pub status: u16,
    /// Where it pointed (secret when the request's URL was).
    pub location: Text,
    /// `followed`, `followed without credential headers`, or why not.
    pub action: String,
}

/// Sends requests: a mock in tests and scenarios, a real client under `--live`.
pub trait HttpClient {
    /// Sends one request; redirects met on the way are pushed to `hops`, in order.
    fn send(&mut self, request: &Request, hops: &mut Vec<Hop>) -> Reply;
}

/// Finds child flows for Call Flow nodes, by flow name.
pub trait FlowResolver {
    /// The checked flow of that name; `Err` says why there is none.
    fn resolve(&self, flow: &str) -> Result<Flow, ChildError>;
}

/// Why a Call Flow's child cannot be run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChildError {
    /// No flow of that name where the resolver looked (the folders, or nowhere).
    NotFound {
        /// The flow asked for.
        flow: String,
        /// Where it was looked for.
        searched: Vec<String>,
    },
    /// The file holding it does not compile.
    DoesNotCompile {
        /// The file.
        file: String,
        /// How many errors and warnings ([`crate::diagnostic::Diagnostic::summary`]).
        summary: String,
        /// The first error: its code and message.
        first: Option<(String, String)>,
    },
}

impl std::fmt::Display for ChildError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChildError::NotFound { flow, searched } if searched.is_empty() => {
                write!(f, "no flow named `{flow}` is known to the simulator")
            }
            ChildError::NotFound { flow, searched } => {
                write!(f, "no flow named `{flow}` in {}", searched.join(", "))
            }
            ChildError::DoesNotCompile {
                file,
                summary,
                first,
            } => {
                write!(f, "{file} does not compile: {summary}")?;
                match first {
                    Some((code, message)) => write!(f, " (first: {code}: {message})"),
                    None => Ok(()),
                }
            }
        }
    }
}

/// Why a run stopped before reaching an end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stop {
    /// `STEP_LIMIT` steps were taken; the node about to run.
    Loop(NodeId),
    /// An edge leads to a node the flow does not have.
    MissingNode(NodeId),
    /// An Evaluate node (key, id): its JavaScript is not run.
    Evaluate(String, NodeId),
    /// A Call Flow (key) nested deeper than `CALL_DEPTH_LIMIT`.
    TooDeep(String),
    /// A Call Flow (key) entering its child (flow) at a node, not at Start.
    EntryAtNode(String, String),
    /// A Call Flow (key) whose child cannot be run.
    Child(String, ChildError),
    /// A node (key) left by an outcome it has no exit for.
    NoExit(String, String),
    /// A node (key) whose value would exceed [`MAX_RUN_VALUE_BYTES`].
    TooLarge(String),
    /// A node (key) that takes what the run holds (values, replies, the trace) past
    /// [`MAX_RUN_HELD_BYTES`].
    TooMuch(String),
    /// An HTTP node (key) whose client refused to go on (why): see [`Reply::Refused`].
    Refused(String, String),
    /// A stop after the node (key path) whose branch was chosen on a secret value: where and
    /// why are not told (see [`Run::without_secret_path`]).
    AfterSecretChoice(String),
}

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stop::Loop(id) => write!(f, "cut after {STEP_LIMIT} steps: the flow loops without reaching an end (the next node would be {id}, not run)"),
            Stop::MissingNode(id) => write!(f, "edge to missing node {id}"),
            Stop::Evaluate(key, id) => write!(f, "node `{key}` ({id}) is an Evaluate node: its JavaScript is not supported in simulation"),
            Stop::TooDeep(key) => write!(f, "Call Flow nested deeper than {CALL_DEPTH_LIMIT} at `{key}`"),
            Stop::EntryAtNode(key, flow) => write!(f, "node `{key}` enters `{flow}` at a node id: only entry at Start is simulated"),
            Stop::Child(key, why) => write!(f, "node `{key}`: {why}"),
            Stop::NoExit(key, outcome) => write!(f, "node `{key}` has no exit `{outcome}`"),
            Stop::TooLarge(key) => write!(f, "node `{key}` makes a value of more than {MAX_RUN_VALUE_BYTES} bytes (a value growing in a loop?): wxcflow keeps no value larger than a whole flow may be"),
            Stop::Refused(key, why) => write!(f, "node `{key}`: {why}; the run stops here"),
            Stop::AfterSecretChoice(key) => write!(f, "the run stopped after `{key}`, whose branch was chosen on a secret value: where and why are not shown (--reveal-path shows them)"),
            Stop::TooMuch(key) => write!(f, "node `{key}` takes what the run holds (values, replies and the trace) past {MAX_RUN_HELD_BYTES} bytes, the most a run keeps (large values copied in a loop?)"),
        }
    }
}

impl std::error::Error for Stop {}

impl Serialize for Stop {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A resolver that knows no flows.
pub struct NoChildren;

impl FlowResolver for NoChildren {
    fn resolve(&self, flow: &str) -> Result<Flow, ChildError> {
        Err(ChildError::NotFound {
            flow: flow.to_string(),
            searched: Vec::new(),
        })
    }
}

/// One node executed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Step {
    /// The node executed.
    pub node: StepNode,
    /// The outcome it left by (`onSuccess`, `onError`, a branch's name, ...); empty when the
    /// run stopped at the node (an Evaluate node, a Call Flow whose child stopped): `null` in
    /// JSON.
    #[serde(serialize_with = "empty_as_null")]
    pub outcome: String,
    /// Custom variables assigned by the node's transition actions, in order: on enter, then on
    /// leave.
    pub assigned: Vec<(String, Text)>,
    /// How many of `assigned` the on-enter actions made (they come first): those ran before the
    /// node did (its request), the rest after.
    pub assigned_on_enter: usize,
    /// The HTTP exchange, for an HTTP Request node.
    pub request: Option<Exchange>,
}

fn empty_as_null<S: serde::Serializer>(text: &str, serializer: S) -> Result<S::Ok, S::Error> {
    match text {
        "" => serializer.serialize_none(),
        text => serializer.serialize_str(text),
    }
}

/// The node a step executed, and the Call Flow nodes' flows it was reached through. It shows
/// (in traces, and as a string in JSON) as `n4 fetch_token`, or `GetOAuthToken/n4 fetch_token`
/// inside a called flow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepNode {
    /// The flows called on the way to the node, outermost first; empty in the flow run.
    pub call_chain: Vec<String>,
    /// The node's platform id (`n4`).
    pub id: NodeId,
    /// The node's key in the spec (`fetch_token`).
    pub key: String,
}

impl StepNode {
    /// The node's key after the called flows': `fetch_token`, `GetOAuthToken/fetch_token`.
    pub fn key_path(&self) -> String {
        let mut path = self.call_chain.join("/");
        if !path.is_empty() {
            path.push('/');
        }
        path + &self.key
    }
}

impl std::fmt::Display for StepNode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for flow in &self.call_chain {
            write!(f, "{flow}/")?;
        }
        write!(f, "{} {}", self.id, self.key)
    }
}

impl Serialize for StepNode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A request made, the redirects met, and the reply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Exchange {
    /// The request as the node sent it.
    pub request: Request,
    /// Redirects met on the way, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub redirects: Vec<Hop>,
    /// What came back in the end.
    pub reply: Reply,
}

/// The result of a run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Run {
    /// The name of the flow run.
    pub flow: String,
    /// The flow outcome it ended with; `None` when the run stopped with an error.
    pub outcome: Option<String>,
    /// Why the run stopped without an outcome (a loop past `STEP_LIMIT`, an unknown child
    /// flow, ...); `None` when it ended.
    pub error: Option<Stop>,
    /// Every node executed, in order, called flows' nodes included.
    pub steps: Vec<Step>,
    /// Custom variables at the end, each knowing whether it holds a secret.
    pub variables: BTreeMap<String, Text>,
    /// The first step whose branch was chosen on a secret value (a condition comparing one with
    /// anything but emptiness, which `check` refuses in a spec): the path from there on tells
    /// something of the value.
    #[serde(skip)]
    pub secret_choice: Option<usize>,
    /// Whether the steps after [`Run::secret_choice`] are left out, as shown by default.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub path_hidden: bool,
}

impl Run {
    /// Every request made, in order.
    pub fn requests(&self) -> impl Iterator<Item = &Exchange> {
        self.steps.iter().filter_map(|s| s.request.as_ref())
    }

    /// The run as it may be shown when the path is not revealed: the steps up to the first
    /// whose branch was chosen on a secret value, its outcome as the mask and its assignments
    /// left out (and so for each Call Flow step it was inside of), the
    /// outcome as the mask, every variable's value as the mask (which were set after tells the
    /// way too), and a stop after it told as [`Stop::AfterSecretChoice`]. A run whose way no
    /// secret chose is returned as it is. As [`crate::flow_designer::run::FdRun::without_secret_path`].
    pub fn without_secret_path(mut self) -> Run {
        let Some(at) = self.secret_choice.filter(|&at| at < self.steps.len()) else {
            return self;
        };
        self.steps.truncate(at + 1);
        // The Call Flow steps the choice was made inside of (each followed, up to it, only by
        // its child's steps): how each left depends on the way its child went.
        // Walking back from the choice: a step shallower than every step after it is one.
        let mut enclosing = vec![at];
        let mut shallowest = self.steps[at].node.call_chain.len();
        for i in (0..at).rev() {
            let depth = self.steps[i].node.call_chain.len();
            if depth < shallowest {
                enclosing.push(i);
                shallowest = depth;
            }
        }
        for i in enclosing {
            let step = &mut self.steps[i];
            step.outcome = crate::secret::MASK.to_string();
            // Which variables were assigned can tell the outcome (an on-leave action for one
            // outcome), so none is listed.
            step.assigned.clear();
            step.assigned_on_enter = 0;
        }
        let key = self.steps[at].node.key_path();
        self.outcome = self.outcome.map(|_| crate::secret::MASK.to_string());
        if self.error.is_some() {
            self.error = Some(Stop::AfterSecretChoice(key));
        }
        for value in self.variables.values_mut() {
            *value = Text::computed(value.expose());
        }
        self.path_hidden = true;
        self
    }

    /// Keys of the nodes visited, in order (called flows' nodes prefixed with the flow names).
    pub fn visited(&self) -> Vec<String> {
        self.steps.iter().map(|s| s.node.key_path()).collect()
    }
}

/// Custom variables of one flow execution.
type Vars = HashMap<String, Text>;

struct Machine<'a> {
    http: &'a mut dyn HttpClient,
    children: &'a dyn FlowResolver,
    regexes: HashMap<String, Option<regex::Regex>>,
    steps_taken: usize,
    /// The bytes the run may still keep (see [`MAX_RUN_HELD_BYTES`]).
    left: Rc<Cell<usize>>,
    /// Whether a condition of the branch being evaluated compared a secret value.
    compared_secret: bool,
    /// The first step whose branch was chosen on a secret value.
    secret_choice: Option<usize>,
}

/// Node outputs of one flow execution: `n4.token` -> value.
type Outputs = HashMap<String, Text>;

impl Machine<'_> {
    fn execute(
        &mut self,
        flow: &Flow,
        trigger: &serde_json::Value,
        vars: &mut Vars,
        steps: &mut Vec<Step>,
        call_chain: &[String],
        depth: usize,
    ) -> Result<String, Stop> {
        let mut outputs: Outputs = HashMap::new();
        for (path, value) in webhook_outputs(trigger) {
            outputs.insert(format!("{START_ID}.{path}"), Text::plain(text_of(value)));
        }
        // What a request would carry as a credential, made from the values held at the start
        // (variables, the webhook's fields): secret from the first step on, before any of it is
        // assigned or sent elsewhere.
        for node in &flow.nodes {
            if let NodeKind::Http(h) = &node.kind {
                hold_credential_sources(h, vars, &mut outputs);
            }
        }
        hold_assigned_credentials(flow, vars);
        let flid = SIMULATED_FLID.to_string();
        let mut at = flow.trigger.next.clone();
        loop {
            let id = match &at {
                Target::End(outcome) => return Ok(outcome.clone()),
                Target::Node(id) => *id,
            };
            self.steps_taken += 1;
            if self.steps_taken > STEP_LIMIT {
                return Err(Stop::Loop(id));
            }
            let node = flow.node(id).ok_or(Stop::MissingNode(id))?;
            let label = StepNode {
                call_chain: call_chain.to_vec(),
                id: node.id,
                key: node.key.clone(),
            };
            let too_large = Guard {
                too_large: Cell::new(false),
                too_much: Cell::new(false),
                left: Rc::clone(&self.left),
            };
            let stop_if_too_large = || {
                if too_large.too_large.get() {
                    Err(Stop::TooLarge(node.key.clone()))
                } else if too_large.too_much.get() {
                    Err(Stop::TooMuch(node.key.clone()))
                } else {
                    Ok(())
                }
            };
            let mut assigned = run_actions(
                flow,
                vars,
                &outputs,
                &flid,
                &too_large,
                &node.on_enter,
                None,
            );
            stop_if_too_large()?;
            // Values taken since the start (replies, assignments) that this request carries as
            // a credential: secret from here on.
            if let NodeKind::Http(h) = &node.kind {
                hold_credential_sources(h, vars, &mut outputs);
            }
            let scope = Scope {
                vars: &*vars,
                outputs: &outputs,
                flid: &flid,
                too_large: &too_large,
            };
            let mut request = None;
            // A Call Flow step is listed before the called flow's steps.
            let mut call_step = None;
            let outcome = match &node.kind {
                NodeKind::Http(h) => {
                    let req = Request {
                        method: h.method.as_str().to_string(),
                        url: crate::secret::names::url_shown(scope.substitute(&h.url)),
                        headers: h
                            .headers
                            .iter()
                            .map(|(k, v)| {
                                // A header the flow lists in `credential_headers` carries a
                                // credential by its place, typed or read, as one the word list
                                // names does.
                                let declared = flow
                                    .credential_headers
                                    .iter()
                                    .any(|d| d.eq_ignore_ascii_case(k));
                                (
                                    k.clone(),
                                    crate::secret::names::header_value_shown(
                                        k,
                                        scope.substitute(v),
                                    )
                                    .tainted_by(declared),
                                )
                            })
                            .collect(),
                        body: h.body.as_ref().map(|b| scope.substitute(b)),
                        credential_headers: flow.credential_headers.clone(),
                        connect_timeout_ms: h.connect_timeout_ms,
                        request_timeout_ms: h.request_timeout_ms,
                    };
                    let mut redirects = Vec::new();
                    let secret_reply = !h.secret_outputs.is_empty();
                    // What the platform would do with it is not known: the run stops there,
                    // saying why in words that hold nothing of what the request carries (a
                    // secret whose characters made it so would otherwise choose the way).
                    if req.cannot_be_made() {
                        return Err(Stop::Refused(
                            node.key.clone(),
                            Request::CANNOT_BE_MADE.to_string(),
                        ));
                    }
                    let reply = self
                        .http
                        .send(&req, &mut redirects)
                        .tainted_by(secret_reply)
                        .with_locations_shown();
                    if let Reply::Refused { reason } = &reply {
                        return Err(Stop::Refused(node.key.clone(), reason.clone()));
                    }
                    // A redirect's Location is a reply header like any other, and a URL: secret
                    // whole when it carries a password or a credential parameter, as a request's
                    // URL is.
                    for hop in &mut redirects {
                        hop.location = crate::secret::names::url_shown(
                            std::mem::take(&mut hop.location).tainted_by(secret_reply),
                        );
                    }
                    let outcome = record_http(node.id, h, &reply, &mut outputs);
                    // The reply is kept in the trace, and what the node's outputs took of it.
                    too_large.spend(reply_bytes(&reply));
                    for (key, value) in &outputs {
                        if key.starts_with(&format!("{}.", node.id)) {
                            too_large.spend(value.expose().len());
                        }
                    }
                    request = Some(Exchange {
                        request: req,
                        redirects,
                        reply,
                    });
                    outcome
                }
                NodeKind::Branch(b) => {
                    self.compared_secret = false;
                    let chosen = self.branch(b, &scope);
                    // The step is the next one pushed: nothing else is, for a branch.
                    if self.compared_secret && self.secret_choice.is_none() {
                        self.secret_choice = Some(steps.len());
                    }
                    let outcome = match chosen {
                        Ok(Some(name)) => name,
                        Ok(None) => "none".to_string(),
                        Err(_) => "onError".to_string(),
                    };
                    let shown = if outcome == "none" {
                        b.none_label.clone()
                    } else {
                        outcome.clone()
                    };
                    outputs.insert(format!("{}.{BRANCH_OUTPUT}", node.id), Text::plain(shown));
                    outcome
                }
                NodeKind::Evaluate(_) => {
                    steps.push(Step {
                        node: label,
                        outcome: String::new(),
                        assigned_on_enter: assigned.len(),
                        assigned,
                        request: None,
                    });
                    return Err(Stop::Evaluate(node.key.clone(), node.id));
                }
                NodeKind::CallFlow(c) => {
                    if depth + 1 > CALL_DEPTH_LIMIT {
                        return Err(Stop::TooDeep(node.key.clone()));
                    }
                    if c.entry.is_some() {
                        return Err(Stop::EntryAtNode(node.key.clone(), c.flow.clone()));
                    }
                    let child = self
                        .children
                        .resolve(&c.flow)
                        .map_err(|e| Stop::Child(node.key.clone(), e))?;
                    call_step = Some(steps.len());
                    steps.push(Step {
                        node: label.clone(),
                        outcome: String::new(),
                        assigned: Vec::new(),
                        assigned_on_enter: 0,
                        request: None,
                    });
                    let inner_chain = [call_chain, std::slice::from_ref(&c.flow)].concat();
                    self.call(&child, trigger, vars, steps, &inner_chain, depth)?
                }
            };
            stop_if_too_large()?;
            let leaving = run_actions(
                flow,
                vars,
                &outputs,
                &flid,
                &too_large,
                &node.on_leave,
                Some(&outcome),
            );
            stop_if_too_large()?;
            let assigned_on_enter = assigned.len();
            assigned.extend(leaving);
            let step = Step {
                node: label,
                outcome: outcome.clone(),
                assigned,
                assigned_on_enter,
                request,
            };
            match call_step {
                Some(i) => steps[i] = step,
                None => steps.push(step),
            }
            at = node
                .exits
                .iter()
                .find(|e| e.outcome == outcome)
                .map(|e| e.target.clone())
                .ok_or_else(|| Stop::NoExit(node.key.clone(), outcome.clone()))?;
        }
    }

    /// Runs a child flow in the caller's context: variables both flows declare pass in (when
    /// set) and come back, as TeamCCEP's flows rely on for `JDSToken`. Success -> onSuccess,
    /// any other flow outcome -> onError (Cisco does not document this node's outcomes).
    fn call(
        &mut self,
        child: &Flow,
        trigger: &serde_json::Value,
        vars: &mut Vars,
        steps: &mut Vec<Step>,
        call_chain: &[String],
        depth: usize,
    ) -> Result<String, Stop> {
        // A value keeps its provenance across the call: a secret stays secret in either flow,
        // whichever of them declares the variable secret (or sends it as a credential).
        let child = &*with_credential_variables_secret(child);
        let mut child_vars: Vars = child
            .variables
            .iter()
            .map(|v| {
                let passed = vars
                    .get(&v.name)
                    .filter(|s| !s.expose().is_empty())
                    .cloned();
                let value = passed.unwrap_or_else(|| v.default_text());
                (v.name.clone(), value.tainted_by(v.secret))
            })
            .collect();
        let outcome = self.execute(
            child,
            trigger,
            &mut child_vars,
            steps,
            call_chain,
            depth + 1,
        )?;
        for (name, value) in child_vars {
            if let Some(slot) = vars.get_mut(&name) {
                let secret = slot.is_secret();
                *slot = value.tainted_by(secret);
            }
        }
        Ok(if outcome == "Success" {
            "onSuccess".into()
        } else {
            "onError".into()
        })
    }

    /// The first branch whose conditions hold; `None` for "None of the above"; an error when a
    /// condition cannot be evaluated (an invalid regular expression), which leaves via onError.
    fn branch(&mut self, b: &Branch, scope: &Scope) -> Result<Option<String>, InvalidRegex> {
        for arm in &b.branches {
            let mut results = Vec::with_capacity(arm.conditions.len());
            for c in &arm.conditions {
                results.push(self.condition(c, scope)?);
            }
            let holds = match arm.join {
                Join::All => results.iter().all(|r| *r),
                Join::Any => results.iter().any(|r| *r),
            };
            if holds {
                return Ok(Some(arm.name.clone()));
            }
        }
        Ok(None)
    }

    fn condition(&mut self, c: &Condition, scope: &Scope) -> Result<bool, InvalidRegex> {
        let left = scope.substitute(&c.variable);
        let right = scope.substitute(&c.value);
        // Whether a secret is set is no secret (`check` allows that test alone); any other
        // comparison with one makes the branch taken the secret's.
        let plain_empty = |t: &Text| !t.is_secret() && t.expose().is_empty();
        let emptiness = matches!(c.operator, Operator::Equals | Operator::NotEquals)
            && (plain_empty(&left) || plain_empty(&right));
        let upper_secret = c.operator == Operator::Between
            && scope
                .substitute(c.upper.as_deref().unwrap_or(""))
                .is_secret();
        if (left.is_secret() || right.is_secret() || upper_secret) && !emptiness {
            self.compared_secret = true;
        }
        let (left, right) = (left.expose(), right.expose());
        let numbers = |a: &str, b: &str| Some((decimal(a)?, decimal(b)?));
        let list = |r: &str| {
            r.split(',')
                .map(str::trim)
                .map(String::from)
                .collect::<Vec<_>>()
        };
        Ok(match c.operator {
            Operator::Equals => left == right,
            Operator::NotEquals => left != right,
            Operator::EqualsIgnoreCase => left.to_lowercase() == right.to_lowercase(),
            Operator::Contains => left.contains(right),
            Operator::ContainsIgnoreCase => left.to_lowercase().contains(&right.to_lowercase()),
            Operator::StartsWith => left.starts_with(right),
            Operator::EndsWith => left.ends_with(right),
            Operator::In => list(right).contains(&left.trim().to_string()),
            Operator::NotIn => !list(right).contains(&left.trim().to_string()),
            Operator::LessThan => numbers(left, right).is_some_and(|(a, b)| a < b),
            Operator::GreaterThan => numbers(left, right).is_some_and(|(a, b)| a > b),
            Operator::LessOrEqual => numbers(left, right).is_some_and(|(a, b)| a <= b),
            Operator::GreaterOrEqual => numbers(left, right).is_some_and(|(a, b)| a >= b),
            Operator::Between => {
                let upper = scope.substitute(c.upper.as_deref().unwrap_or(""));
                match (numbers(left, right), numbers(left, upper.expose())) {
                    (Some((x, low)), Some((_, high))) => low <= x && x <= high,
                    _ => false,
                }
            }
            Operator::Regex => {
                let compiled = self
                    .regexes
                    .entry(right.to_string())
                    .or_insert_with(|| regex::Regex::new(right).ok());
                compiled.as_ref().ok_or(InvalidRegex)?.is_match(left)
            }
        })
    }
}

/// Text a numeric comparison reads as a number: decimal digits with an optional sign, point
/// and exponent (`-2.5`, `1e2`), within a double [assumed: Cisco documents no reading];
/// `inf`, `NaN`, `0x10` and empty text are no numbers, so the comparison does not hold.
fn decimal(text: &str) -> Option<f64> {
    let text = text.trim();
    let decimal_text = text.bytes().any(|b| b.is_ascii_digit())
        && (text.bytes())
            .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E'));
    decimal_text
        .then(|| text.parse::<f64>().ok())
        .flatten()
        .filter(|x| x.is_finite())
}

/// A branch condition's regular expression does not compile: the branch leaves via onError.
struct InvalidRegex;

/// Sets the node's outputs from a reply and picks the outcome: any HTTP response (4xx and 5xx
/// included) is onSuccess, a failed connection onError, a request timeout onTimeout.
fn record_http(id: NodeId, h: &Http, reply: &Reply, outputs: &mut Outputs) -> String {
    match reply {
        Reply::Response {
            status,
            status_text,
            headers,
            body,
        } => {
            outputs.insert(
                format!("{id}.https.statusCode"),
                Text::plain(status.to_string()),
            );
            outputs.insert(
                format!("{id}.https.statusText"),
                Text::plain(status_text.clone()),
            );
            outputs.insert(format!("{id}.https.responseBody"), body.clone());
            let plain_headers: BTreeMap<&str, &str> = headers
                .iter()
                .map(|(k, v)| (k.as_str(), v.expose()))
                .collect();
            outputs.insert(
                format!("{id}.https.responseHeaders"),
                Text::new(
                    serde_json::to_string(&plain_headers).unwrap_or_default(),
                    h.output_is_secret("https.responseHeaders"),
                ),
            );
            let parsed = crate::flow::jsonpath::parse_reply(body.expose());
            for (name, path) in &h.outputs {
                let value = parsed
                    .as_ref()
                    .and_then(|v| jsonpath::select(v, path))
                    .map(text_of)
                    .unwrap_or_default();
                outputs.insert(
                    format!("{id}.{name}"),
                    Text::new(value, h.output_is_secret(name)),
                );
            }
            "onSuccess".into()
        }
        Reply::ConnectionFailed { .. } | Reply::Refused { .. } => "onError".into(),
        Reply::Timeout => "onTimeout".into(),
    }
}

/// A JSON value as a flow variable holds it: strings bare, `null` as nothing [assumed: Cisco
/// documents neither; so a reply's `"token": null` is no token, as a missing one is, and as
/// the Flow Designer run reads it], everything else as JSON text with numbers as JavaScript
/// writes them ([`jsonpath::text_as_javascript`]).
fn text_of(value: &serde_json::Value) -> String {
    jsonpath::text_as_javascript(value)
}

struct Scope<'a> {
    vars: &'a Vars,
    outputs: &'a Outputs,
    flid: &'a str,
    /// Set when a value would exceed [`MAX_RUN_VALUE_BYTES`], or the run's budget: the run
    /// stops after the node.
    too_large: &'a Guard,
}

/// A node's bounds: on each value it makes, and on what the whole run keeps.
struct Guard {
    /// A value would exceed [`MAX_RUN_VALUE_BYTES`].
    too_large: Cell<bool>,
    /// What the run keeps would exceed [`MAX_RUN_HELD_BYTES`].
    too_much: Cell<bool>,
    /// The bytes the run may still keep, shared by every node of the run.
    left: Rc<Cell<usize>>,
}

impl Guard {
    /// Counts `bytes` kept; past the run's budget, marks the node.
    fn spend(&self, bytes: usize) {
        match self.left.get().checked_sub(bytes) {
            Some(left) => self.left.set(left),
            None => {
                self.left.set(0);
                self.too_much.set(true);
            }
        }
    }
}

/// The bytes a reply keeps in the trace: its body and headers.
fn reply_bytes(reply: &Reply) -> usize {
    match reply {
        Reply::Response { headers, body, .. } => headers
            .iter()
            .map(|(k, v)| k.len() + v.expose().len())
            .fold(body.expose().len(), usize::saturating_add),
        Reply::ConnectionFailed { reason } => reason.expose().len(),
        Reply::Refused { reason } => reason.len(),
        Reply::Timeout => 0,
    }
}

impl Scope<'_> {
    /// Replaces every `$(...)` with its value; a name with no value yet becomes empty, as a
    /// variable nobody set reads on the platform. The result is secret when any value read is.
    fn substitute(&self, text: &str) -> Text {
        let mut secret = false;
        // What is put in place is counted before it is copied, so that a value doubling in a
        // loop stops the run instead of taking the machine's memory.
        let mut put = 0usize;
        let value = refs::substitute(text, |name| {
            if name == "flid" {
                return Some(self.flid.to_string());
            }
            let value = self.vars.get(name).or_else(|| self.outputs.get(name))?;
            secret |= value.is_secret();
            put = put.saturating_add(value.expose().len());
            if put > MAX_RUN_VALUE_BYTES {
                self.too_large.too_large.set(true);
                return Some(String::new());
            }
            if put > self.too_large.left.get() {
                self.too_large.too_much.set(true);
                return Some(String::new());
            }
            Some(value.expose().to_string())
        });
        // What is made is kept (a variable, a request in the trace).
        self.too_large.spend(value.len());
        Text::new(value, secret)
    }
}

/// Runs the actions that apply (all on enter; on leave, those for every outcome, and with the
/// per-outcome assumption those for `outcome`) in order, each seeing what the ones before it
/// set, as Flow Builder lists them and as the Flow Designer target chains them. Within one
/// action, values are read before any is written: its assignments are one step (wxcflow's
/// choice; Cisco does not say). Returns what was assigned, in order.
fn run_actions(
    flow: &Flow,
    vars: &mut Vars,
    outputs: &Outputs,
    flid: &str,
    too_large: &Guard,
    actions: &[Action],
    outcome: Option<&str>,
) -> Vec<(String, Text)> {
    let mut assigned = Vec::new();
    for action in actions
        .iter()
        .filter(|a| a.outcome.is_none() || a.outcome.as_deref() == outcome)
    {
        let scope = Scope {
            vars: &*vars,
            outputs,
            flid,
            too_large,
        };
        let mut set: Vec<(String, Text)> = action
            .set
            .iter()
            .map(|(k, v)| (k.clone(), scope.substitute(v)))
            .collect();
        apply(flow, vars, &mut set);
        assigned.extend(set);
    }
    assigned
}

/// Holds secret each value that the request of `h`, made from the values held now, carries as a
/// credential: a variable or a node's output put in place in its URL's (or proxy's) user
/// information or a credential parameter's value ([`refs::credential_sources`]), as
/// `Host = "bob:pw@api.example.com"` in `https://$(Host)/v1`. Told by where each value lands.
fn hold_credential_sources(h: &Http, vars: &mut Vars, outputs: &mut Outputs) {
    for url in std::iter::once(&h.url).chain(&h.proxy) {
        let value = |name: &str| {
            let held = vars.get(name).or_else(|| outputs.get(name))?;
            Some(held.expose().to_string())
        };
        for name in refs::credential_sources(url, value) {
            let held = match vars.get_mut(name) {
                Some(held) => held,
                None => match outputs.get_mut(name) {
                    Some(held) => held,
                    None => continue,
                },
            };
            *held = std::mem::take(held).tainted_by(true);
        }
    }
}

/// Holds secret, from the start, each variable that a transition action types text into which
/// a request's URL would send as its credential (`set = { Host = "bob:pw@host" }` with
/// `https://$(Host)/v1`): every value it holds is then secret (see [`apply`]), before the
/// assignment is shown.
fn hold_assigned_credentials(flow: &Flow, vars: &mut Vars) {
    for (variable, _) in flow.credential_assignments() {
        if let Some(held) = vars.get_mut(&variable) {
            *held = std::mem::take(held).tainted_by(true);
        }
    }
}

/// The flow as a run reads it: each variable a request carries as a credential
/// ([`Flow::credential_variables`]), or whose value is a URL with user information or a credential query
/// parameter, held as a secret, as if
/// declared one, so that every printer shows its value, and whatever is made from it, as the
/// mask.
fn with_credential_variables_secret(flow: &Flow) -> std::borrow::Cow<'_, Flow> {
    let credentials = flow.credential_variables();
    let secret = |v: &crate::flow::Variable| {
        !v.secret && (credentials.contains(&v.name) || holds_url_credential(v.default.as_str()))
    };
    if !flow.variables.iter().any(secret) {
        return std::borrow::Cow::Borrowed(flow);
    }
    let mut flow = flow.clone();
    for v in &mut flow.variables {
        v.secret |= credentials.contains(&v.name) || holds_url_credential(&v.default);
    }
    std::borrow::Cow::Owned(flow)
}

/// Whether a value is a URL with user information (`https://user:pass@host`,
/// `https://TOKEN@host`) or with a credential
/// query parameter that has a value (`?apikey=...`): a credential wherever it goes, as a
/// request's URL shows it ([`crate::secret::names::url_shown`]).
fn holds_url_credential(value: &str) -> bool {
    crate::secret::names::url_shown(Text::plain(value)).is_secret()
}

/// Stores assignments; a variable declared secret makes what it holds secret, and so does a
/// value that is a URL with user information or a credential query parameter.
fn apply(flow: &Flow, vars: &mut Vars, assigned: &mut [(String, Text)]) {
    for (k, v) in assigned.iter_mut() {
        let declared = flow.variables.iter().any(|d| &d.name == k && d.secret);
        let held = vars.get(k).is_some_and(Text::is_secret);
        let password = holds_url_credential(v.expose());
        *v = std::mem::take(v).tainted_by(declared || held || password);
        vars.insert(k.clone(), v.clone());
    }
}

/// Running a flow locally.
impl Flow {
    /// Runs the flow from its Start node with a webhook body (`trigger`), HTTP through `http`,
    /// called flows from `children`.
    pub fn simulate(
        &self,
        trigger: &serde_json::Value,
        http: &mut dyn HttpClient,
        children: &dyn FlowResolver,
    ) -> Run {
        let flow = with_credential_variables_secret(self);
        let mut vars: Vars = flow
            .variables
            .iter()
            .map(|v| (v.name.clone(), v.default_text()))
            .collect();
        let mut steps = Vec::new();
        let mut machine = Machine {
            http,
            children,
            regexes: HashMap::new(),
            steps_taken: 0,
            left: Rc::new(Cell::new(MAX_RUN_HELD_BYTES)),
            compared_secret: false,
            secret_choice: None,
        };
        let result = machine.execute(&flow, trigger, &mut vars, &mut steps, &[], 0);
        let (outcome, error) = match result {
            Ok(outcome) => (Some(outcome), None),
            Err(e) => (None, Some(e)),
        };
        Run {
            flow: self.name.clone(),
            outcome,
            error,
            steps,
            variables: vars.into_iter().collect(),
            secret_choice: machine.secret_choice,
            path_hidden: false,
        }
    }
}

impl Request {
    /// The request timeout the simulator assumes when a node sets none, in milliseconds (the
    /// platform's default is not published).
    pub const DEFAULT_TIMEOUT_MS: u32 = 10_000;
}
