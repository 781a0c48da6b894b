//! The spec as written: TOML tables read into spanned values, so every later check can point at
//! the line and column it is about. Nothing here is validated beyond TOML types; `check` does that.

use schemars::JsonSchema;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The key that names the Start node in references: `$(start.inboundWebhook.hook)`.
pub(crate) const START_KEY: &str = "start";
/// Prefix of a target that ends the flow: `end:Success`.
pub(crate) const END_PREFIX: &str = "end:";
/// The values of a node's `type`.
pub(crate) const NODE_TYPES: [&str; 4] = ["http", "branch", "evaluate", "call_flow"];
/// The output an Evaluate node's result goes to when the spec names none.
pub(crate) const DEFAULT_EVALUATE_OUTPUT: &str = "result";

pub use super::spanned::S;
pub(crate) use super::spanned::{Shifted, SpannedMap};

/// A whole flow spec.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Template parameters: values that differ per tenant, given in a tenant file.
    #[serde(default)]
    pub(crate) params: BTreeMap<S<String>, ParamSpec>,
    /// The flow settings.
    pub(crate) flow: FlowSection,
    /// The Start node.
    pub(crate) trigger: TriggerSpec,
    /// Custom variables, by name.
    #[serde(default)]
    pub(crate) variables: BTreeMap<S<String>, VariableSpec>,
    /// Flow outcomes beyond the three defaults, or the defaults' codes, by name.
    #[serde(default)]
    pub(crate) outcomes: BTreeMap<S<String>, OutcomeSpec>,
    /// The nodes, by key (the name references use: `$(fetch_token.token)`).
    #[serde(default)]
    pub(crate) nodes: BTreeMap<S<String>, Box<NodeSpec>>,
}

impl Spec {
    /// The flow's name (`[flow] name`): what a `call_flow` node names it by.
    pub fn name(&self) -> &str {
        self.flow.name.get_ref()
    }
}

/// `[params.NAME]`: a template parameter, used as `{{ NAME }}` inside string values.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ParamSpec {
    /// `string`, `integer`, `boolean` or `url`.
    #[serde(rename = "type")]
    #[schemars(extend("enum" = ["string", "integer", "boolean", "url"]))]
    pub kind: S<String>,
    /// A tenant file must give a value (no default).
    #[serde(default)]
    pub required: bool,
    /// The value when a tenant file gives none.
    #[schemars(with = "Option<serde_json::Value>")]
    pub default: Option<S<toml::Value>>,
    /// Never printed; should come from `{ env = "..." }` or `{ file = "..." }` in tenant files.
    #[serde(default)]
    pub secret: bool,
    /// What the parameter is for, for whoever writes tenant files.
    pub description: Option<String>,
}

/// A node's per-tenant switch: a boolean, or a template that renders to `true` or `false`.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
pub(crate) enum Switch {
    /// On or off for every tenant.
    Fixed(bool),
    /// A template (`{{ debug_report }}`) each tenant renders to `true` or `false`.
    Template(String),
}

/// `[flow]`: the flow settings Cisco documents under the gear icon.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct FlowSection {
    /// The flow's name in Flow Builder.
    pub name: S<String>,
    /// The flow's description.
    pub description: Option<S<String>>,
    /// The correlation id (at most 250 characters); may hold `$(...)` references.
    pub correlation_id: Option<S<String>>,
    /// Request headers that carry credentials (`x-token-passphrase`, `Authorization`): the one
    /// place a secret may be sent, and only to the URLs its variable's `send_to` names.
    pub credential_headers: Option<Vec<S<String>>>,
    /// An assumption, off by default: on-leave actions may name the one outcome they run for.
    /// Cisco documents on-leave actions that run whichever outcome the node leaves by.
    #[serde(default)]
    pub per_outcome_actions: Option<S<bool>>,
}

/// `[trigger]`: the Start node. Only the inbound webhook trigger is modelled today.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TriggerSpec {
    #[serde(rename = "type")]
    /// `webhook`.
    #[schemars(extend("enum" = ["webhook"]))]
    pub kind: S<String>,
    /// The webhook's event name, e.g. `CCEP_GetOAuthToken`.
    pub event: S<String>,
    /// The sample JSON body pasted into the Start node before pressing Parse.
    pub sample: S<String>,
    /// The key of the first node.
    pub next: S<String>,
}

/// `[variables.NAME]`: a custom variable in flow settings.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct VariableSpec {
    /// The default value.
    pub default: Option<S<String>>,
    /// Per-tenant switch: when false the variable is left out, with every assignment to it
    /// (a switched-off feature takes its variables with it).
    pub enabled: Option<S<Switch>>,
    /// Expose the variable to the flow's caller (Flow Builder's "externalize").
    #[serde(default)]
    pub externalize: bool,
    /// Never printed; files holding its value are written with mode 0600.
    #[serde(default)]
    pub secret: bool,
    /// For a secret variable: the request URLs (`$(Token-Service-URL)` or `https://host`) it may be
    /// sent to, in a credential header. Sent anywhere else, or with none given, is an error.
    pub send_to: Option<Vec<S<String>>>,
    /// Set by this flow for its parent to read (TeamCCEP's `JDSToken`); must be assigned on every
    /// path that ends in Success.
    #[serde(default)]
    pub result: bool,
    /// A note for the reader; not a platform setting.
    pub note: Option<String>,
}

/// `[outcomes.NAME]`: a flow outcome (Success, Error, Incomplete exist by default).
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct OutcomeSpec {
    /// The status code the flow reports when it ends with this outcome.
    pub code: Option<S<i64>>,
    /// What the outcome means.
    pub description: Option<S<String>>,
    /// A URL notified when the flow ends with this outcome.
    pub notify_url: Option<S<String>>,
}

/// `[nodes.KEY]`: one node. The fields of every node type live side by side so that a field given
/// to the wrong type is reported by name (`wxc::field-not-allowed`) rather than as a shape error.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NodeSpec {
    #[serde(rename = "type")]
    /// The node type: `http`, `branch`, `evaluate` or `call_flow`.
    #[schemars(extend("enum" = ["http", "branch", "evaluate", "call_flow"]))]
    pub kind: S<String>,
    /// Pins the platform id (`n<id>`); otherwise the compiler assigns one.
    pub id: Option<S<i64>>,
    /// A note for the reader; not a platform setting.
    pub note: Option<String>,

    // http
    /// HTTP Request: the method.
    #[schemars(extend("enum" = ["GET", "POST", "PUT", "PATCH", "DELETE"]))]
    pub method: Option<S<String>>,
    /// HTTP Request: the URL, http(s) or a custom variable holding one.
    pub url: Option<S<String>>,
    /// HTTP Request: request headers, by name.
    pub headers: Option<SpannedMap>,
    /// HTTP Request: the body (POST, PUT and PATCH only).
    pub body: Option<S<String>>,
    /// HTTP Request: the connection timeout in ms (at most 20,000).
    pub connect_timeout_ms: Option<S<i64>>,
    /// HTTP Request: the request timeout in ms (at most 20,000).
    pub request_timeout_ms: Option<S<i64>>,
    /// HTTP Request: a proxy URL.
    pub proxy: Option<S<String>>,
    /// Output name -> JSONPath into the response body.
    pub outputs: Option<SpannedMap>,
    /// Sample replies, as pasted into the node before pressing Parse (JSON): the checker
    /// knows which output paths exist, and the sheet says what to paste.
    pub samples: Option<Vec<S<String>>>,
    /// Outputs that hold a secret (the token a token service returns): never shown, assigned
    /// only to secret variables. The response body and headers then count as secret too.
    pub secret_outputs: Option<Vec<S<String>>>,

    // branch
    /// Branch: the branches, checked top to bottom.
    pub branches: Option<Vec<BranchSpec>>,
    /// Label of the default outcome (Flow Builder's "None of the above", which can be renamed).
    pub none_label: Option<S<String>>,

    // evaluate
    /// Evaluate: the JavaScript snippet.
    pub script: Option<S<String>>,
    /// Evaluate: the values the script may return, each an outcome.
    pub choices: Option<Vec<S<String>>>,
    /// Name of the script's output variable.
    pub output: Option<S<String>>,

    // call_flow
    /// Call Flow: the name of the flow to run.
    pub flow: Option<S<String>>,
    /// `start` (Flow Builder's "--All--") or a node id of the child flow, e.g. `n5`.
    pub entry: Option<S<String>>,
    /// Flow Builder's "Node Name" setting, filled in from the entry (e.g. "Configure
    /// Webhook-2" for a webhook Start node).
    pub node_name: Option<S<String>>,

    // every node
    /// Per-tenant switch: when false the node is left out and every edge into it goes where
    /// its `bypass` outcome leads.
    pub enabled: Option<S<Switch>>,
    /// The outcome whose target replaces the node when it is switched off.
    pub bypass: Option<S<String>>,
    /// Transition actions on entering the node.
    pub on_enter: Option<Vec<ActionSpec>>,
    /// Transition actions on leaving it.
    pub on_leave: Option<Vec<ActionSpec>>,
    /// Outcome -> node key, or `end:<flow outcome>`.
    pub next: Option<S<SpannedMap>>,
}

/// One named branch of a Branch node; conditions joined by `all` (AND) or `any` (OR).
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct BranchSpec {
    /// The branch's outcome name.
    pub name: S<String>,
    /// Conditions that must all hold.
    pub all: Option<Vec<ConditionSpec>>,
    /// Conditions of which one must hold.
    pub any: Option<Vec<ConditionSpec>>,
}

/// `variable operator value`, as in Flow Builder; `upper` is the second bound of `between`.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConditionSpec {
    /// What is compared, usually a `$(...)` reference.
    pub variable: S<String>,
    /// How it is compared.
    #[schemars(extend("enum" = [
        "equals", "not_equals", "less_than", "greater_than", "less_or_equal", "greater_or_equal",
        "regex", "equals_ignore_case", "contains", "contains_ignore_case", "in", "not_in",
        "starts_with", "ends_with", "between"
    ]))]
    pub operator: S<String>,
    /// What it is compared with.
    pub value: Option<S<String>>,
    /// The upper bound, for `between`.
    pub upper: Option<S<String>>,
}

/// A transition action: assignments to custom variables on entering or leaving a node.
/// On leaving, `outcome` limits the action to one outcome.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ActionSpec {
    /// On leaving: the one outcome the action runs for (an assumption; see
    /// `[flow] per_outcome_actions`).
    pub outcome: Option<S<String>>,
    /// Custom variable -> value.
    pub set: SpannedMap,
}

/// An empty node of no type, for the builder to fill in.
impl Default for NodeSpec {
    fn default() -> Self {
        NodeSpec {
            kind: S::new(0..0, String::new()),
            id: None,
            note: None,
            method: None,
            url: None,
            headers: None,
            body: None,
            connect_timeout_ms: None,
            request_timeout_ms: None,
            proxy: None,
            outputs: None,
            secret_outputs: None,
            samples: None,
            branches: None,
            none_label: None,
            script: None,
            choices: None,
            output: None,
            flow: None,
            entry: None,
            node_name: None,
            enabled: None,
            bypass: None,
            on_enter: None,
            on_leave: None,
            next: None,
        }
    }
}
