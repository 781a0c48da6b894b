//! The validated flow: what `check` produces from a spec and what the flow document serialises.
//! Node keys are kept beside platform ids so that documents stay readable and diffable; every
//! `$(key.output)` reference in its strings has already been rewritten to `$(n<id>.output)`.
//!
//! Field order here is the key order of the canonical document: do not reorder casually.

pub(crate) mod jsonpath;
pub mod limits;
pub(crate) mod refs;
pub(crate) mod walk;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// The document format this build writes. Bump on any incompatible change.
pub(crate) const FORMAT: &str = "wxcflow.flow/1";

/// The three flow outcomes every flow has, with wxcflow's default codes (Cisco documents that
/// each has a status code but not which; override them under `[outcomes]`).
pub(crate) const DEFAULT_OUTCOMES: [(&str, i64, &str); 3] = [
    ("Success", 200, "The flow completed."),
    ("Error", 500, "The flow failed."),
    ("Incomplete", 206, "The flow stopped before completing."),
];

/// Variables the platform provides in every flow (Cisco documents `$(flid)`, the flow
/// transaction id).
pub(crate) const SYSTEM_VARIABLES: [&str; 1] = ["flid"];

/// The Start node's platform id: Cisco documents the Start node as `n2`.
pub(crate) const START_ID: NodeId = NodeId(2);

/// A platform node id, written `n<integer>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(
    /// The integer after `n`.
    pub u32,
);

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "n{}", self.0)
    }
}

impl NodeId {
    /// Parses `n<integer>`.
    pub fn parse(text: &str) -> Option<NodeId> {
        let digits = text.strip_prefix('n')?;
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok().map(NodeId)
    }
}

impl Serialize for NodeId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for NodeId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        NodeId::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!("`{text}` is not a node id (n<integer>)"))
        })
    }
}

/// A flow document: format version, the flow's logic, and its canvas layout kept apart.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Document {
    /// `FORMAT`: which version of the document format this is.
    pub format: String,
    /// The flow's logic: everything `diff` compares.
    pub flow: Flow,
    /// Canvas positions by node id. Moving a node changes only this part.
    pub layout: BTreeMap<NodeId, Position>,
    /// Where the document came from, when it was built from files; never part of the logic
    /// (diff and textconv read `flow` alone). Absent in documents built in memory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<Provenance>,
}

/// The inputs a document was built from: no timestamps or paths, so that the same inputs give
/// the same bytes on any machine.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provenance {
    /// `wxcflow <version>`.
    pub tool: String,
    /// The spec or template it was compiled from.
    pub template: Source,
    /// The tenant file, when the document is one tenant's.
    pub tenant: Option<Source>,
}

/// One input file, by name (its file name alone) and content.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// The file's name, without its folder.
    pub name: String,
    /// The sha256 of its bytes, in lowercase hex.
    pub sha256: String,
}

/// A node's place on the Flow Builder canvas.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Position {
    /// Left to right.
    pub x: i64,
    /// Top to bottom.
    pub y: i64,
}

/// The flow's logic.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Flow {
    /// The flow's name in Flow Builder (and what a Call Flow node calls it by).
    pub name: String,
    /// The flow's description in Flow Builder's flow settings.
    pub description: Option<String>,
    /// The flow settings' correlation id (at most 250 characters), with `$(...)` references.
    pub correlation_id: Option<String>,
    /// Request headers that carry credentials; the spec names them in `[flow] credential_headers`.
    #[serde(default)]
    pub credential_headers: Vec<String>,
    /// An assumption, off by default: on-leave actions run only for the outcome they name.
    /// Cisco documents on-leave actions that run whichever outcome the node leaves by.
    #[serde(default)]
    pub per_outcome_actions: bool,
    /// The Start node.
    pub trigger: Trigger,
    /// Sorted by name.
    pub variables: Vec<Variable>,
    /// Success, Error, Incomplete first, then custom outcomes by name.
    pub outcomes: Vec<FlowOutcome>,
    /// Sorted by id.
    pub nodes: Vec<Node>,
}

/// The webhook Start node's outputs are `n2.inboundWebhook.<path>`: TeamCCEP's flows read
/// `$(n2.inboundWebhook.MobNum)`, Cisco's labs `$(n2.inboundWebhook.data.taskId)`.
pub(crate) const WEBHOOK_OUTPUT_PREFIX: &str = "inboundWebhook";

/// The Start node's outputs for a webhook body, with their values: every field path through
/// nested objects, under [`WEBHOOK_OUTPUT_PREFIX`] (`{"a": {"b": 1}}` gives
/// `inboundWebhook.a` and `inboundWebhook.a.b`), sorted by name. Which intermediate objects
/// Parse offers is not published; offering every path is wxcflow's documented choice. The
/// checker takes the names from the sample, the simulator the values from the body it runs.
pub(crate) fn webhook_outputs(body: &serde_json::Value) -> Vec<(String, &serde_json::Value)> {
    fn walk<'v>(
        value: &'v serde_json::Value,
        path: &str,
        out: &mut Vec<(String, &'v serde_json::Value)>,
    ) {
        if let serde_json::Value::Object(map) = value {
            for (k, v) in map {
                let p = format!("{path}.{k}");
                walk(v, &p, out);
                out.push((p, v));
            }
        }
    }
    let mut out = Vec::new();
    walk(body, WEBHOOK_OUTPUT_PREFIX, &mut out);
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// The Start node of a webhook-triggered flow.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trigger {
    /// Always `START_ID`.
    pub id: NodeId,
    /// What starts the flow.
    #[serde(rename = "type")]
    pub kind: TriggerKind,
    /// The webhook's event name (`CCEP_GetOAuthToken`), as created in the Create Flow wizard.
    pub event: String,
    /// The sample body pasted into the wizard, from which the Start node's outputs come.
    pub sample: serde_json::Value,
    /// The Start node's output variables derived from the sample, e.g. `n2.inboundWebhook.hook`.
    pub outputs: Vec<String>,
    /// Where the Start node leads.
    pub next: Target,
}

/// What starts a flow; wxcflow models the webhook trigger alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TriggerKind {
    /// An inbound webhook event (Flow Builder's "Configure Webhook").
    Webhook,
}

/// A custom variable, read as `$(name)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variable {
    /// The variable's name.
    pub name: String,
    /// Its default value (empty when none).
    pub default: String,
    /// Whether the flow exposes it to its caller (Flow Builder's "externalize").
    pub externalize: bool,
    /// Whether it holds a secret (a token, a passphrase): never shown, files holding it are 0600.
    pub secret: bool,
    /// Where a secret variable may be sent (request URLs), in a credential header only.
    #[serde(default)]
    pub send_to: Vec<String>,
    /// Whether the parent flow reads it after a Call Flow (GetOAuthToken's `JDSToken`).
    pub result: bool,
    /// A note for the reader; not a platform setting.
    pub note: Option<String>,
}

impl Variable {
    /// Whether the variable's default holds a secret value, so that a file holding it is private.
    pub fn holds_secret(&self) -> bool {
        self.secret && !self.default.is_empty()
    }

    /// The default, as a value that knows whether it is secret: a secret variable's, or one
    /// that is a URL carrying a credential typed in clear ([`Variable::default_types_credential`]).
    pub fn default_text(&self) -> crate::secret::Text {
        let secret = self.secret || self.default_types_credential();
        crate::secret::Text::new(self.default.clone(), secret)
    }

    /// Whether the default is a URL carrying a credential typed in clear (user information,
    /// with or without a password; a credential parameter's value): secret by its place in the URL, as in a node's URL, and
    /// held secret by the runs.
    pub fn default_types_credential(&self) -> bool {
        use crate::secret::names::{url_credentials, CONNECT_REFERENCES};
        !url_credentials(&self.default, CONNECT_REFERENCES).is_empty()
    }

    /// The origins `send_to` names, as one value that knows whether it is secret: secret when
    /// one of them carries a credential typed in clear (a check allows a secret to a URL with a
    /// password only when `send_to` repeats it).
    pub fn send_to_text(&self) -> crate::secret::Text {
        use crate::secret::names::{url_credentials, CONNECT_REFERENCES};
        let typed =
            (self.send_to.iter()).any(|u| !url_credentials(u, CONNECT_REFERENCES).is_empty());
        crate::secret::Text::new(self.send_to.join(", "), typed)
    }
}

/// A flow outcome: how the flow ended, with the status code it reports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowOutcome {
    /// `Success`, `Error`, `Incomplete`, or a custom name.
    pub name: String,
    /// The status code reported for it.
    pub code: i64,
    /// What it means.
    pub description: String,
    /// A URL the platform notifies when the flow ends with it.
    pub notify_url: Option<String>,
}

/// Where an outcome leads: another node, or the end of the flow with a flow outcome.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Target {
    /// The node with this id.
    Node(NodeId),
    /// The end of the flow, with this flow outcome.
    End(String),
}

// No `deny_unknown_fields` here: serde does not support it beside `flatten`; the document schema
// rejects unknown node fields instead.
/// A node other than Start: its type and settings, its transition actions and its wired outcomes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// The platform id, `n<integer>`.
    pub id: NodeId,
    /// The readable name from the spec.
    pub key: String,
    /// A note for the reader; not a platform setting.
    pub note: Option<String>,
    /// The node type and its settings.
    #[serde(flatten)]
    pub kind: NodeKind,
    /// Transition actions run on entering the node, in order.
    pub on_enter: Vec<Action>,
    /// Transition actions run on leaving it, in order.
    pub on_leave: Vec<Action>,
    /// Every outcome of the node, in the node type's fixed order, each wired.
    pub exits: Vec<Exit>,
}

/// The node types wxcflow models, each with its settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "config", rename_all = "snake_case")]
pub enum NodeKind {
    /// An HTTP Request node.
    Http(Http),
    /// A Branch node.
    Branch(Branch),
    /// An Evaluate node (a JavaScript snippet choosing an outcome).
    Evaluate(Evaluate),
    /// A Call Flow node, running another flow.
    CallFlow(CallFlow),
}

impl NodeKind {
    /// The type's name in specs and documents (`http`, `call_flow`).
    pub fn type_name(&self) -> &'static str {
        match self {
            NodeKind::Http(_) => "http",
            NodeKind::Branch(_) => "branch",
            NodeKind::Evaluate(_) => "evaluate",
            NodeKind::CallFlow(_) => "call_flow",
        }
    }
}

/// One outcome of a node and where it leads.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exit {
    /// The outcome's name (`onSuccess`, a branch's name, `none`).
    pub outcome: String,
    /// Where it leads.
    pub target: Target,
}

/// A transition action: custom variables set as a node is entered or left.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Action {
    /// On leaving: only when the node leaves through this outcome. `None`: always.
    pub outcome: Option<String>,
    /// Custom variable -> value, sorted by variable.
    pub set: BTreeMap<String, String>,
}

impl Action {
    /// Each variable whose value reads another variable this action sets, with the first one it
    /// reads: it gets that variable's value from before the action, since an action's values
    /// are all read before any is written [assumed: Cisco documents no order].
    pub(crate) fn reads_own_variables(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.set.iter().filter_map(|(variable, value)| {
            let reads = refs::references(value).unwrap_or_default();
            let read = reads
                .into_iter()
                .find(|r| r.name != variable && self.set.contains_key(r.name))?;
            Some((variable.as_str(), read.name))
        })
    }
}

/// The HTTP Request node's methods.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[allow(missing_docs)] // the HTTP methods, as named
pub enum Method {
    #[serde(rename = "GET")]
    Get,
    #[serde(rename = "POST")]
    Post,
    #[serde(rename = "PUT")]
    Put,
    #[serde(rename = "PATCH")]
    Patch,
    #[serde(rename = "DELETE")]
    Delete,
}

impl Method {
    /// Every method with its name, in Flow Builder's order.
    pub const ALL: [(&'static str, Method); 5] = [
        ("GET", Method::Get),
        ("POST", Method::Post),
        ("PUT", Method::Put),
        ("PATCH", Method::Patch),
        ("DELETE", Method::Delete),
    ];

    /// The method's name (`GET`).
    pub fn as_str(self) -> &'static str {
        Method::ALL
            .iter()
            .find(|(_, m)| *m == self)
            .map_or("GET", |(s, _)| s)
    }

    /// Cisco's HTTP Request node sends a body only for these.
    pub fn allows_body(self) -> bool {
        matches!(self, Method::Post | Method::Put | Method::Patch)
    }
}

/// The HTTP Request node's built-in outputs, readable as `$(n<id>.https.statusCode)` and so on.
pub(crate) const HTTP_BUILTIN_OUTPUTS: [&str; 4] = [
    "https.statusCode",
    "https.statusText",
    "https.responseBody",
    "https.responseHeaders",
];

/// The HTTP Request node's settings. Strings may hold `$(...)` references.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Http {
    /// The request method.
    pub method: Method,
    /// The request URL.
    pub url: String,
    /// Request headers, by name.
    pub headers: BTreeMap<String, String>,
    /// The request body (POST, PUT and PATCH only).
    pub body: Option<String>,
    /// The connection timeout, at most 20,000 ms.
    pub connect_timeout_ms: Option<u32>,
    /// The request timeout, at most 20,000 ms.
    pub request_timeout_ms: Option<u32>,
    /// A proxy URL, when the request goes through one.
    pub proxy: Option<String>,
    /// Output name -> JSONPath.
    pub outputs: BTreeMap<String, String>,
    /// Outputs that hold a secret; with any, the response body and headers are secret too.
    #[serde(default)]
    pub secret_outputs: Vec<String>,
    /// Sample replies pasted into the node before Parse.
    #[serde(default)]
    pub samples: Vec<serde_json::Value>,
}

impl Http {
    /// Whether output `name` (`token`, `https.responseBody`) of this node holds a secret: a
    /// secret output, the reply's body and headers when there is one, and any other output
    /// whose JSONPath reaches the same part of the reply (`$`, `$.data` above `$.data.token`, a
    /// second name for `$.token`). Paths with wildcards, filters or brackets may reach
    /// anything, so they count as secret beside a secret output.
    pub fn output_is_secret(&self, name: &str) -> bool {
        if self.secret_outputs.is_empty() {
            return false;
        }
        if self.secret_outputs.iter().any(|o| o == name) || SECRET_BEARING_BUILTINS.contains(&name)
        {
            return true;
        }
        let Some(path) = self.outputs.get(name) else {
            return false;
        };
        self.secret_outputs
            .iter()
            .filter_map(|s| self.outputs.get(s))
            .any(|secret| jsonpaths_overlap(path, secret))
    }
}

/// Whether two JSONPaths may select the same part of a document: one is the other, or lies
/// above or below it; anything not a plain `$.a.b` path may select anything.
fn jsonpaths_overlap(a: &str, b: &str) -> bool {
    let plain =
        |p: &str| p.starts_with('$') && !p.contains(['*', '[', '?', '(']) && !p.contains("..");
    let (a, b) = (a.trim(), b.trim());
    if !plain(a) || !plain(b) {
        return true;
    }
    let below = |long: &str, short: &str| {
        long.strip_prefix(short)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
    };
    below(a, b) || below(b, a)
}

/// Built-in outputs that carry a reply's content, secret when any named output is.
pub(crate) const SECRET_BEARING_BUILTINS: [&str; 2] =
    ["https.responseBody", "https.responseHeaders"];

/// The label Flow Builder gives a branch's default outcome until it is renamed.
pub(crate) const DEFAULT_NONE_LABEL: &str = "None of the above";

/// The Branch node's output: which branch matched.
pub(crate) const BRANCH_OUTPUT: &str = "branch.output";

/// The Branch node's settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Branch {
    /// Checked top to bottom; the first match wins.
    pub branches: Vec<BranchArm>,
    /// The label of the default outcome (`DEFAULT_NONE_LABEL` unless renamed).
    pub none_label: String,
}

/// One branch: an outcome taken when its conditions hold.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BranchArm {
    /// The outcome's name.
    pub name: String,
    /// Whether all conditions must hold, or any.
    pub join: Join,
    /// The conditions, in order.
    pub conditions: Vec<Condition>,
}

/// How a branch combines its conditions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Join {
    /// Every condition holds.
    All,
    /// At least one holds.
    Any,
}

/// One comparison in a branch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// What is compared, usually a `$(...)` reference.
    pub variable: String,
    /// How it is compared.
    pub operator: Operator,
    /// What it is compared with.
    pub value: String,
    /// The upper bound, for `between` only.
    pub upper: Option<String>,
}

macro_rules! operators {
    ($($variant:ident => $name:literal, $label:literal;)*) => {
        /// The 15 comparison operators Cisco documents for Branch conditions.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
        pub enum Operator { $(#[doc = $label] #[serde(rename = $name)] $variant,)* }

        impl Operator {
            /// Every operator, in Flow Builder's order.
            pub const ALL: &'static [Operator] = &[$(Operator::$variant,)*];

            /// The operator's name in specs and documents (`not_equals`).
            pub fn as_str(self) -> &'static str {
                match self { $(Operator::$variant => $name,)* }
            }

            /// The label Flow Builder shows.
            pub fn label(self) -> &'static str {
                match self { $(Operator::$variant => $label,)* }
            }

            /// The operator a spec names, if any.
            pub fn parse(text: &str) -> Option<Operator> {
                Operator::ALL.iter().copied().find(|o| o.as_str() == text)
            }
        }
    };
}

operators! {
    Equals => "equals", "equals";
    NotEquals => "not_equals", "not equals";
    LessThan => "less_than", "less than";
    GreaterThan => "greater_than", "greater than";
    LessOrEqual => "less_or_equal", "less than or equal to";
    GreaterOrEqual => "greater_or_equal", "greater than or equal to";
    Regex => "regex", "regular expression";
    EqualsIgnoreCase => "equals_ignore_case", "equals ignore case";
    Contains => "contains", "contains";
    ContainsIgnoreCase => "contains_ignore_case", "contains ignore case";
    In => "in", "in";
    NotIn => "not_in", "not in";
    StartsWith => "starts_with", "starts with";
    EndsWith => "ends_with", "ends with";
    Between => "between", "between";
}

/// The Evaluate node's settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Evaluate {
    /// The JavaScript snippet; what it returns chooses the outcome.
    pub script: String,
    /// The output that holds the returned value.
    pub output: String,
    /// The values it may return, each an outcome.
    pub choices: Vec<String>,
}

/// The Call Flow node's settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallFlow {
    /// The name of the flow it runs.
    pub flow: String,
    /// `None`: the child's Start node (Flow Builder's "--All--"); otherwise a node id of the child.
    pub entry: Option<String>,
    /// Flow Builder's "Node Name" for the entry, e.g. "Configure Webhook-2".
    #[serde(default)]
    pub node_name: Option<String>,
}

/// The fixed outcome names of each node type (branch and evaluate add their own names first).
pub mod outcome_names {
    /// The HTTP Request node's outcomes.
    pub const HTTP: [&str; 3] = ["onSuccess", "onError", "onTimeout"];
    /// The Branch node's outcomes after its branches: "None of the above" and an error.
    pub(crate) const BRANCH_TAIL: [&str; 2] = ["none", "onError"];
    /// The Evaluate node's outcomes after its choices.
    pub(crate) const EVALUATE_TAIL: [&str; 2] = ["onInvalidChoice", "onError"];
    /// How the Call Flow node hands control back is not documented by Cisco; this is our model.
    pub(crate) const CALL_FLOW: [&str; 2] = ["onSuccess", "onError"];
}

/// Whether `value` is text typed whole: not blank, and reading no `$(...)` reference (a value
/// that reads one, `Bearer $(Token)`, is an expression, shown as written).
pub(crate) fn typed_whole(value: &str) -> bool {
    !value.trim().is_empty() && refs::references(value).is_ok_and(|r| r.is_empty())
}

impl Flow {
    /// The secret variables, by declaration.
    pub fn secret_variables(&self) -> impl Iterator<Item = &Variable> {
        self.variables.iter().filter(|v| v.secret)
    }

    /// Whether the document holds a secret value anywhere: a secret variable's default, or a
    /// value a transition action assigns that is secret ([`Flow::assignment_is_secret`]).
    /// Rendering lets a tenant's secret values land only in secret variables' defaults; a spec
    /// may type one in an action.
    pub fn holds_secret(&self) -> bool {
        self.variables.iter().any(Variable::holds_secret)
            || (self.nodes.iter())
                .flat_map(|n| n.on_enter.iter().chain(&n.on_leave))
                .flat_map(|a| &a.set)
                .any(|(variable, value)| self.assignment_is_secret(variable, value))
            || !self.credential_assignments().is_empty()
    }

    /// Whether `value`, assigned to `variable` by a transition action, is secret: text typed
    /// whole for a secret variable (no `$(...)` reference: what a reference reads is the read
    /// variable's), or a URL carrying a credential typed in clear.
    pub fn assignment_is_secret(&self, variable: &str, value: &str) -> bool {
        use crate::secret::names::{url_credentials, CONNECT_REFERENCES};
        let secret_variable = (self.variables.iter()).any(|v| v.secret && v.name == variable);
        (secret_variable && typed_whole(value))
            || !url_credentials(value, CONNECT_REFERENCES).is_empty()
    }

    /// The variables whose values a request carries as a credential, by the flow's uses: read in
    /// a credential header's value (`pin = "$(Pin)"`, `Authorization = "Bearer $(Token)"`), a
    /// credential query parameter's value or a URL's user information (in a node's URL or proxy,
    /// an outcome's notify URL, or a URL a header of any name holds); then, over the
    /// assignments, every variable whose value one of them takes. Told by where a value goes,
    /// never by the value.
    pub(crate) fn credential_variables(&self) -> BTreeSet<String> {
        use crate::secret::names::is_credential_place;
        let mut found = BTreeSet::new();
        let read = Flow::add_references;
        let url = Flow::add_url_credential_references;
        for notify in self.outcomes.iter().filter_map(|o| o.notify_url.as_deref()) {
            url(notify, &mut found);
        }
        for node in &self.nodes {
            let NodeKind::Http(h) = &node.kind else {
                continue;
            };
            url(&h.url, &mut found);
            if let Some(proxy) = &h.proxy {
                url(proxy, &mut found);
            }
            for (name, value) in &h.headers {
                let declared = self.credential_headers.iter();
                if is_credential_place(name)
                    || declared.into_iter().any(|d| d.eq_ignore_ascii_case(name))
                {
                    read(value, &mut found);
                }
                // A header of any name whose value is a URL sends that URL's credential
                // (`Referer = "https://$(User):$(Pass)@host/"`): one with a user or a query.
                if value.contains(['@', '?']) {
                    url(value, &mut found);
                }
            }
        }
        // What a credential variable takes is sent as one too: follow assignments back.
        self.add_assigned_from(&mut found);
        found.retain(|name| self.variables.iter().any(|v| &v.name == name));
        found
    }

    /// The plain variables whose defaults a request sends as a credential: read where one goes
    /// ([`Flow::credential_variables`]: `pin = "$(Pin)"`), or landing in one when put in place
    /// in a URL the flow sends (a node's URL or proxy, an outcome's notify URL: user
    /// information, a credential query parameter's value, [`refs::credential_sources`]):
    /// `Host = "bob:pw@api.example.com"` read as `https://$(Host)/v1`. Secret by that place, as
    /// a credential typed in clear in a header or URL is: a file holding one is private, and
    /// every reader shows it as the mask. Empty defaults, and defaults that are themselves URLs
    /// with a credential (masked where they carry it, [`Variable::default_types_credential`]),
    /// are left out.
    pub(crate) fn credential_defaults(&self) -> BTreeSet<String> {
        self.credential_defaults_of(self.credential_variables())
    }

    /// [`Flow::credential_defaults`], given [`Flow::credential_variables`].
    pub(crate) fn credential_defaults_of(&self, sent: BTreeSet<String>) -> BTreeSet<String> {
        let defaults = self.defaults();
        let mut found = sent;
        for url in self.sent_urls() {
            let value = |name: &str| defaults.get(name).map(|d| d.to_string());
            found.extend(
                refs::credential_sources(url, value)
                    .into_iter()
                    .map(String::from),
            );
        }
        let plain_typed =
            |v: &Variable| !v.secret && !v.default.is_empty() && !v.default_types_credential();
        let plain_typed: BTreeSet<&str> = (self.variables.iter())
            .filter(|v| plain_typed(v))
            .map(|v| v.name.as_str())
            .collect();
        found.retain(|name| plain_typed.contains(name.as_str()));
        found
    }

    /// What transition actions type (variable, text typed whole) that a URL the flow sends
    /// would carry as its credential once put in place (`set = { Host = "bob:pw@h" }` with
    /// `https://$(Host)/v1`; [`refs::credential_assignments`], other references taking their
    /// defaults): secret by that place, as [`Flow::assignment_is_secret`]'s are.
    pub(crate) fn credential_assignments(&self) -> BTreeSet<(String, String)> {
        let defaults = self.defaults();
        let assignments = (self.nodes.iter())
            .flat_map(|n| n.on_enter.iter().chain(&n.on_leave))
            .flat_map(|a| a.set.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let value = |name: &str| defaults.get(name).map(|d| d.to_string());
        refs::credential_assignments(self.sent_urls(), assignments, value)
    }

    /// Each variable's default, by name.
    fn defaults(&self) -> std::collections::HashMap<&str, &str> {
        (self.variables.iter())
            .map(|v| (v.name.as_str(), v.default.as_str()))
            .collect()
    }

    /// The URLs the flow sends requests to: outcomes' notify URLs, nodes' URLs and proxies.
    fn sent_urls(&self) -> impl Iterator<Item = &str> {
        let notify = self.outcomes.iter().filter_map(|o| o.notify_url.as_deref());
        let requests = self.nodes.iter().filter_map(|n| match &n.kind {
            NodeKind::Http(h) => Some(std::iter::once(h.url.as_str()).chain(h.proxy.as_deref())),
            _ => None,
        });
        notify.chain(requests.flatten())
    }

    /// Adds to `names` the names a URL's credential reads: its user information's references
    /// and its credential query parameters' (`https://$(User):$(Pwd)@h/?apikey=$(Key)`).
    pub(crate) fn add_url_credential_references(url: &str, names: &mut BTreeSet<String>) {
        use crate::secret::names::{credential_parameters, url_userinfo};
        let parameters = credential_parameters(url)
            .into_iter()
            .map(|(_, value)| value);
        for part in parameters.chain(url_userinfo(url)) {
            Flow::add_references(part, names);
        }
    }

    /// Adds to `names` the names `text`'s `$(...)` references read.
    pub(crate) fn add_references(text: &str, names: &mut std::collections::BTreeSet<String>) {
        for r in refs::references(text).unwrap_or_default() {
            names.insert(r.name.to_string());
        }
    }

    /// Adds to `names`, over the transition actions' assignments, every name a value assigned
    /// to one of them reads, until none is added: what those variables take, followed back
    /// (`set = { A = "$(B)" }` adds `B` when `A` is in).
    pub(crate) fn add_assigned_from(&self, names: &mut std::collections::BTreeSet<String>) {
        let assignments: Vec<(&String, &String)> = (self.nodes.iter())
            .flat_map(|n| n.on_enter.iter().chain(&n.on_leave))
            .flat_map(|a| &a.set)
            .collect();
        loop {
            let before = names.len();
            for (target, value) in &assignments {
                if names.contains(*target) {
                    Flow::add_references(value, names);
                }
            }
            if names.len() == before {
                break;
            }
        }
    }

    /// Whether `$(name)` (`JDSToken`, `n4.token`) reads a secret in this flow.
    pub fn reads_secret(&self, name: &str) -> bool {
        if let Some(v) = self.variables.iter().find(|v| v.name == name) {
            return v.secret;
        }
        let Some((id, output)) = name.split_once('.') else {
            return false;
        };
        NodeId::parse(id)
            .and_then(|id| self.node(id))
            .is_some_and(|node| match &node.kind {
                NodeKind::Http(h) => h.output_is_secret(output),
                _ => false,
            })
    }

    /// The node with this id.
    pub fn node(&self, id: NodeId) -> Option<&Node> {
        self.nodes
            .binary_search_by_key(&id, |n| n.id)
            .ok()
            .map(|i| &self.nodes[i])
    }
}
