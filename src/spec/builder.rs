//! Build a spec in Rust instead of TOML. The builder makes the same [`Spec`] values the parser
//! makes (without source spans), so both compile through the same checks to the same bytes.
//!
//! ```
//! use wxcflow::spec::builder::*;
//! let spec = FlowBuilder::new("Ping")
//!     .webhook("Ping", r#"{"id": "1"}"#, "call")
//!     .variable("PingURL", Var::new().externalize())
//!     .node(
//!         "call",
//!         http("GET", "$(PingURL)")
//!             .next("onSuccess", "end:Success")
//!             .next("onError", "end:Error")
//!             .next("onTimeout", "end:Error"),
//!     )
//!     .build();
//! let build = wxcflow::Compiler::new().build_spec(&spec, None);
//! assert!(!build.has_errors());
//! ```

use super::model::*;

fn sp<T>(value: T) -> S<T> {
    S::new(0..0, value)
}

fn sps(value: impl Into<String>) -> S<String> {
    sp(value.into())
}

/// Builds a whole flow spec.
pub struct FlowBuilder {
    spec: Spec,
}

impl FlowBuilder {
    /// A flow of that name, with the default outcomes and an empty webhook trigger.
    pub fn new(name: impl Into<String>) -> Self {
        FlowBuilder {
            spec: Spec {
                flow: FlowSection {
                    name: sps(name),
                    description: None,
                    correlation_id: None,
                    credential_headers: None,
                    per_outcome_actions: None,
                },
                trigger: TriggerSpec {
                    kind: sps("webhook"),
                    event: sps(""),
                    sample: sps("{}"),
                    next: sps(""),
                },
                params: Default::default(),
                variables: Default::default(),
                outcomes: Default::default(),
                nodes: Default::default(),
            },
        }
    }

    /// The flow's description in Flow Builder's settings.
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.spec.flow.description = Some(sps(text));
        self
    }

    /// The flow's correlation id (at most 250 characters), as flow settings take it.
    pub fn correlation_id(mut self, text: impl Into<String>) -> Self {
        self.spec.flow.correlation_id = Some(sps(text));
        self
    }

    /// Request headers that carry credentials (`x-token-passphrase`, `Authorization`).
    pub fn credential_headers<I, H>(mut self, headers: I) -> Self
    where
        I: IntoIterator<Item = H>,
        H: Into<String>,
    {
        self.spec.flow.credential_headers = Some(headers.into_iter().map(sps).collect());
        self
    }

    /// An inbound webhook trigger: event name, the sample JSON body, the first node.
    pub fn webhook(
        mut self,
        event: impl Into<String>,
        sample: impl Into<String>,
        next: impl Into<String>,
    ) -> Self {
        self.spec.trigger = TriggerSpec {
            kind: sps("webhook"),
            event: sps(event),
            sample: sps(sample),
            next: sps(next),
        };
        self
    }

    /// Adds a custom variable.
    pub fn variable(mut self, name: impl Into<String>, var: Var) -> Self {
        self.spec.variables.insert(sps(name), var.0);
        self
    }

    /// Adds a flow outcome or changes a default one.
    pub fn outcome(
        mut self,
        name: impl Into<String>,
        code: i64,
        description: impl Into<String>,
    ) -> Self {
        self.spec.outcomes.insert(
            sps(name),
            OutcomeSpec {
                code: Some(sp(code)),
                description: Some(sps(description)),
                notify_url: None,
            },
        );
        self
    }

    /// Adds a node under its key; edges name nodes by key.
    pub fn node(mut self, key: impl Into<String>, node: NodeBuilder) -> Self {
        self.spec.nodes.insert(sps(key), Box::new(node.0));
        self
    }

    /// The spec, ready for [`crate::Compiler::build_spec`].
    pub fn build(self) -> Spec {
        self.spec
    }
}

/// A custom variable.
#[derive(Default)]
pub struct Var(VariableSpec);

impl Var {
    /// A variable with no default, not externalized, not secret.
    pub fn new() -> Self {
        Var::default()
    }
    /// The value the variable starts with.
    pub fn default_value(mut self, value: impl Into<String>) -> Self {
        self.0.default = Some(sps(value));
        self
    }
    /// Externalizes it: Webex Connect asks for its value at Make Live.
    pub fn externalize(mut self) -> Self {
        self.0.externalize = true;
        self
    }
    /// Marks it secret: never printed, and files holding its value are private.
    pub fn secret(mut self) -> Self {
        self.0.secret = true;
        self
    }
    /// A URL this secret variable may be sent to, in a credential header.
    pub fn send_to(mut self, url: impl Into<String>) -> Self {
        self.0.send_to.get_or_insert_with(Vec::new).push(sps(url));
        self
    }

    /// Marks it as set by this flow for its parent to read; it must be assigned on every path
    /// that ends in Success.
    pub fn result(mut self) -> Self {
        self.0.result = true;
        self
    }
    /// A note for people, shown in the build sheet.
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.0.note = Some(note.into());
        self
    }
}

/// One node; start from [`http`], [`branch`], [`evaluate`] or [`call_flow`].
pub struct NodeBuilder(NodeSpec);

fn node(kind: &str) -> NodeBuilder {
    NodeBuilder(NodeSpec {
        kind: sps(kind),
        ..NodeSpec::default()
    })
}

/// An HTTP Request node.
pub fn http(method: impl Into<String>, url: impl Into<String>) -> NodeBuilder {
    let mut n = node("http");
    n.0.method = Some(sps(method));
    n.0.url = Some(sps(url));
    n
}

/// A Branch node; add branches with [`NodeBuilder::branch`].
pub fn branch() -> NodeBuilder {
    node("branch")
}

/// An Evaluate node with its script and the choices its result is compared with.
pub fn evaluate<I, C>(script: impl Into<String>, choices: I) -> NodeBuilder
where
    I: IntoIterator<Item = C>,
    C: Into<String>,
{
    let mut n = node("evaluate");
    n.0.script = Some(sps(script));
    n.0.choices = Some(choices.into_iter().map(sps).collect());
    n
}

/// A Call Flow node entering the child at its Start node.
pub fn call_flow(flow: impl Into<String>) -> NodeBuilder {
    let mut n = node("call_flow");
    n.0.flow = Some(sps(flow));
    n
}

/// A condition `variable operator value` (operator names as in the spec, e.g. `not_equals`).
pub fn cond(
    variable: impl Into<String>,
    operator: &str,
    value: impl Into<String>,
) -> ConditionSpec {
    ConditionSpec {
        variable: sps(variable),
        operator: sps(operator),
        value: Some(sps(value)),
        upper: None,
    }
}

/// `variable between low and high`.
pub fn between(
    variable: impl Into<String>,
    low: impl Into<String>,
    high: impl Into<String>,
) -> ConditionSpec {
    ConditionSpec {
        upper: Some(sps(high)),
        ..cond(variable, "between", low)
    }
}

/// How a branch joins its conditions.
#[derive(Clone, Copy)]
pub enum JoinWith {
    /// The branch is taken when every condition holds.
    All,
    /// The branch is taken when any condition holds.
    Any,
}

fn pairs<I, K, V>(set: I) -> SpannedMap
where
    I: IntoIterator<Item = (K, V)>,
    K: Into<String>,
    V: Into<String>,
{
    set.into_iter().map(|(k, v)| (sps(k), sps(v))).collect()
}

impl NodeBuilder {
    /// Pins the node's platform id (`n<id>`) instead of letting the compiler assign one.
    pub fn id(mut self, id: i64) -> Self {
        self.0.id = Some(sp(id));
        self
    }
    /// A note for people, shown in the build sheet.
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.0.note = Some(note.into());
        self
    }
    /// A request header of an HTTP node.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.0
            .headers
            .get_or_insert_with(Default::default)
            .insert(sps(name), sps(value));
        self
    }
    /// The request body of an HTTP node.
    pub fn body(mut self, body: impl Into<String>) -> Self {
        self.0.body = Some(sps(body));
        self
    }
    /// An HTTP node's connect and request timeouts, in milliseconds.
    pub fn timeouts(mut self, connect_ms: i64, request_ms: i64) -> Self {
        self.0.connect_timeout_ms = Some(sp(connect_ms));
        self.0.request_timeout_ms = Some(sp(request_ms));
        self
    }
    /// The proxy an HTTP node sends its request through.
    pub fn proxy(mut self, proxy: impl Into<String>) -> Self {
        self.0.proxy = Some(sps(proxy));
        self
    }
    /// An output read from the response body by JSONPath.
    pub fn output(mut self, name: impl Into<String>, path: impl Into<String>) -> Self {
        self.0
            .outputs
            .get_or_insert_with(Default::default)
            .insert(sps(name), sps(path));
        self
    }
    /// A sample reply (JSON) pasted into the node before Parse.
    pub fn sample(mut self, json: impl Into<String>) -> Self {
        self.0.samples.get_or_insert_with(Vec::new).push(sps(json));
        self
    }

    /// Flow Builder's Node Name for a Call Flow's entry (e.g. "Configure Webhook-2").
    pub fn node_name(mut self, name: impl Into<String>) -> Self {
        self.0.node_name = Some(sps(name));
        self
    }

    /// Marks an output as holding a secret.
    pub fn secret_output(mut self, name: impl Into<String>) -> Self {
        self.0
            .secret_outputs
            .get_or_insert_with(Vec::new)
            .push(sps(name));
        self
    }

    /// A named branch; branches are checked in the order they are added.
    pub fn branch(
        mut self,
        name: impl Into<String>,
        join: JoinWith,
        conditions: Vec<ConditionSpec>,
    ) -> Self {
        let mut arm = BranchSpec {
            name: sps(name),
            all: None,
            any: None,
        };
        match join {
            JoinWith::All => arm.all = Some(conditions),
            JoinWith::Any => arm.any = Some(conditions),
        }
        self.0.branches.get_or_insert_with(Vec::new).push(arm);
        self
    }
    /// Renames a Branch node's default outcome (Flow Builder's "None of the above").
    pub fn none_label(mut self, label: impl Into<String>) -> Self {
        self.0.none_label = Some(sps(label));
        self
    }
    /// The Evaluate node's output name (default `result`).
    pub fn script_output(mut self, name: impl Into<String>) -> Self {
        self.0.output = Some(sps(name));
        self
    }
    /// A child node id to enter instead of the child's Start node.
    pub fn entry(mut self, entry: impl Into<String>) -> Self {
        self.0.entry = Some(sps(entry));
        self
    }
    /// Assignments made on entering the node.
    pub fn on_enter<I, K, V>(mut self, set: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        self.0
            .on_enter
            .get_or_insert_with(Vec::new)
            .push(ActionSpec {
                outcome: None,
                set: pairs(set),
            });
        self
    }
    /// Assignments made on leaving the node; `outcome` limits them to one outcome.
    pub fn on_leave<I, K, V>(mut self, outcome: Option<&str>, set: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        self.0
            .on_leave
            .get_or_insert_with(Vec::new)
            .push(ActionSpec {
                outcome: outcome.map(sps),
                set: pairs(set),
            });
        self
    }
    /// Wires an outcome to a node key or to `end:<flow outcome>`.
    pub fn next(mut self, outcome: impl Into<String>, target: impl Into<String>) -> Self {
        let next = self.0.next.get_or_insert_with(|| sp(SpannedMap::new()));
        next.get_mut().insert(sps(outcome), sps(target));
        self
    }
}
