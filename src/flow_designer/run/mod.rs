//! Runs a Flow Designer flow or subflow locally: activities in link order from the start, HTTP
//! through a client the caller supplies (the Connect simulator's, mocks included), digits for
//! menus and digit collection given in advance, subflows found by name. Every semantic choice
//! Cisco does not document is marked `[assumed]` here and in docs/flow-designer.md.
//!
//! Values carry their provenance as in Connect runs: a variable marked secure (or named as a
//! credential) holds a secret, and everything computed from one (a template that reads it, an
//! HTTP reply to a request that wrote into one) is secret too, decided by the names a template
//! reads, never by searching text.

pub mod agree;
pub(crate) mod eval;
mod inputs;
mod render;

use super::model::Scope;
use super::model::*;
use super::pebble;
use super::secrets::{
    covers, credential_variables, holds_url_credential, is_credential_header, secret_variables,
    url_credential_values, Secrets,
};
use crate::flow::jsonpath;
use crate::flow::limits::{MAX_RUN_HELD_BYTES, MAX_RUN_VALUE_BYTES, MAX_TEMPLATE_FUEL};
use crate::secret::Text;
use crate::tools::simulate::{Exchange, HttpClient, Reply, Request};
use eval::{EvalError, Pebble};
use minijinja::Value as Mj;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

pub(crate) use inputs::read_inputs;
pub(crate) use render::{render_json, render_text};

/// Activities after which a run is cut (a loop without an exit). Ten for each of the 1,000
/// steps a Webex Connect run takes at most: a node lowers to several activities (a branch's
/// conditions and actions, a request and its failure check), so a path a Connect run finishes
/// is finished here too.
pub(crate) const STEP_LIMIT: usize = 10_000;
/// Requests after which a run is cut: a Webex Connect run makes one a step at most, so no path
/// it finishes makes more, and a loop sends no more requests here than it would there
/// (`run --live` talks to real servers).
pub(crate) const REQUEST_LIMIT: usize = crate::tools::simulate::STEP_LIMIT;
/// The most work all the templates of one run may do together, counted as one template's is
/// (minijinja's instructions, and the bytes of template read and parsed): wxcflow's own bound,
/// the platform publishes none. Twice what one template may do ([`MAX_TEMPLATE_FUEL`]): a flow's
/// templates (a few dozen bytes and instructions each) take some tens of thousands over 1,000
/// activities; a condition of hundreds of operators evaluated at each step of a loop (several
/// thousand each time) stops the run there instead of taking seconds.
pub(crate) const MAX_RUN_FUEL: u64 = 2 * MAX_TEMPLATE_FUEL;
/// How deep subflow handoffs may nest.
pub(crate) const DEPTH_LIMIT: usize = 8;
/// The longest any single wait of a live run (`run --live`, both targets) may take, in
/// milliseconds: the Connect runner's cap, the most the HTTP Request node allows for its
/// connection or request timeout (20 s; a Connect spec asking more is refused,
/// `wxc::invalid-timeout`). A Flow Designer activity's `httpResponseTimeout` may ask for more
/// (an hour): a live run waits at most this long for each request, redirects each on their own.
/// Local runs against mocks are not held to it: their delays are simulated, never slept.
pub const LIVE_WAIT_CAP_MS: u32 = {
    let cap = crate::flow::limits::MAX_TIMEOUT_MS;
    assert!(cap > 0 && cap <= u32::MAX as i64);
    cap as u32
};
/// The response timeout assumed when an HTTP activity gives none or an unreadable one
/// (the editor's default, 2000 ms, as every export carries it).
pub(crate) const DEFAULT_RESPONSE_TIMEOUT_MS: u32 = 2_000;

/// What a run starts from: flow variables and subflow inputs by name, and fields of activities
/// the platform fills (`NewPhoneContact.ANI`), by activity then field.
#[derive(Clone, Debug, Default)]
pub struct Inputs {
    /// Variable name -> value.
    pub variables: BTreeMap<String, Value>,
    /// Activity name -> field -> value.
    pub activities: BTreeMap<String, BTreeMap<String, Value>>,
}

/// Finds the subflows a handoff calls, by the subflow's name.
pub trait SubflowLookup {
    /// The subflow of that name; `Err` says why there is none.
    fn subflow(&self, name: &str) -> Result<FdFlow, SubflowError>;
}

/// Why a handoff's subflow cannot be run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SubflowError {
    /// No subflow of that name where the lookup looked (the folders, or nowhere).
    NotFound {
        /// The subflow asked for.
        name: String,
        /// Where it was looked for.
        searched: Vec<String>,
    },
    /// The flow of that name cannot be had as a subflow (a Webex Connect flow that does not
    /// lower, or one that does not build): the name and why.
    Unusable(String, String),
}

impl std::fmt::Display for SubflowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SubflowError::NotFound { name, searched } if searched.is_empty() => write!(
                f,
                "no subflow named `{name}` is known (give the folder that holds it with --flows)"
            ),
            SubflowError::NotFound { name, searched } => {
                write!(f, "no subflow named `{name}` in {}", searched.join(", "))
            }
            SubflowError::Unusable(name, why) => write!(f, "subflow `{name}`: {why}"),
        }
    }
}

impl std::error::Error for SubflowError {}

/// Knows no subflows.
pub struct NoSubflows;

impl SubflowLookup for NoSubflows {
    fn subflow(&self, name: &str) -> Result<FdFlow, SubflowError> {
        Err(SubflowError::NotFound {
            name: name.to_string(),
            searched: Vec::new(),
        })
    }
}

/// Something that happened on the way, as the flow would show it to the caller or the world.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
/// Every variant names its `activity` (as the path shows it); the other fields say what they hold.
#[allow(missing_docs)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum Event {
    /// A play-message: its text-to-speech prompts rendered, other prompts by name.
    PlayMessage {
        activity: String,
        prompts: Vec<Text>,
    },
    /// A play-music: the prompt (file) played.
    PlayMusic { activity: String, prompt: String },
    /// An HTTP request, the redirects met and the reply.
    Http {
        activity: String,
        #[serde(flatten)]
        exchange: Exchange,
    },
    /// A queue-contact: the queue (its id, as the flow names it).
    Queue {
        activity: String,
        destination: String,
    },
    /// A menu: prompts played, the digit pressed (none: no answer left), the port taken.
    Menu {
        activity: String,
        prompts: Vec<Text>,
        digit: Option<String>,
        port: String,
    },
    /// A collect-digits: the digits entered (none: no answer left), the port taken.
    CollectDigits {
        activity: String,
        digits: Option<String>,
        port: String,
    },
    /// A handoff entering a subflow.
    Subflow { activity: String, subflow: String },
    /// The contact is in queue and the flow plays on until an agent answers: the run ends.
    Waiting { activity: String },
    /// A disconnect-contact.
    Disconnect { activity: String },
}

/// Why a run stopped before an end. Each names the activity, for the caller to locate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stop {
    /// The flow has no start activity (NewPhoneContact, NewSubFlowStart, a `start` group).
    NoStart,
    /// An activity the simulator does not run (name, type).
    Unsupported(String, String),
    /// No link leaves an activity from the port it took (name, port).
    MissingLink(String, String),
    /// A link to an activity the flow does not have (source, target).
    MissingActivity(String, String),
    /// A template of an activity that cannot be evaluated (name, setting, why).
    Expression(String, String, String),
    /// An activity without a setting it cannot do without (name, what is missing).
    Incomplete(String, String),
    /// A set-variable or parse writes a variable the flow does not have (activity, variable).
    UnknownVariable(String, String),
    /// A value that does not convert to its variable's type (activity, variable, type).
    WrongType(String, String, String),
    /// As many activities as the step limit allows (10,000) were run; the one about to run.
    Loop(String),
    /// As many requests as a Webex Connect run can make (1,000) were sent; the HTTP activity
    /// about to send.
    TooManyRequests(String),
    /// A handoff nested deeper than the depth limit (8).
    TooDeep(String),
    /// A handoff whose subflow cannot be found or run (activity, why).
    Subflow(String, String),
    /// A stop inside a subflow (the handoff, the subflow's name, the stop there).
    Inside(String, String, Box<Stop>),
    /// An HTTP activity whose client refused to go on (activity, why): a redirect to a scheme
    /// other than http or https.
    Refused(String, String),
    /// An activity that takes what the run holds (values, replies and the trace) past
    /// [`MAX_RUN_HELD_BYTES`], as in Connect runs.
    TooMuch(String),
    /// An activity whose templates take the run's work past `MAX_RUN_FUEL` (the run-wide budget).
    OutOfFuel(String),
    /// A stop after the activity that chose its way on a secret value (that activity): where
    /// and why are not told (see [`FdRun::without_secret_path`]).
    AfterSecretChoice(String),
}

impl Stop {
    /// The activity of the flow run that the stop is about.
    pub fn activity(&self) -> Option<&str> {
        match self {
            Stop::NoStart => None,
            Stop::Unsupported(a, _)
            | Stop::MissingLink(a, _)
            | Stop::MissingActivity(a, _)
            | Stop::Expression(a, _, _)
            | Stop::Incomplete(a, _)
            | Stop::UnknownVariable(a, _)
            | Stop::WrongType(a, _, _)
            | Stop::Loop(a)
            | Stop::TooManyRequests(a)
            | Stop::TooDeep(a)
            | Stop::Subflow(a, _)
            | Stop::Inside(a, _, _)
            | Stop::Refused(a, _)
            | Stop::TooMuch(a)
            | Stop::OutOfFuel(a)
            | Stop::AfterSecretChoice(a) => Some(a),
        }
    }

    /// Where in the file the run of `flow` stopped (`quoted`, the file as diagnostics quote
    /// it): the activity, or the link it could not follow.
    pub fn locate(
        &self,
        flow: &FdFlow,
        quoted: &super::quote::Quoted,
    ) -> Option<crate::diagnostic::Span> {
        let name = self.activity()?;
        let a = flow.process.activity(name)?;
        let link = match self {
            Stop::MissingActivity(_, target) => {
                flow.process.links_from(name).find(|l| &l.target == target)
            }
            _ => None,
        };
        super::lint::locate_activity(quoted, a, link)
    }
}

/// In a run's JSON as its text trace says it.
impl Serialize for Stop {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stop::NoStart => write!(f, "the flow has no start activity (NewPhoneContact or NewSubFlowStart)"),
            Stop::Unsupported(a, kind) => write!(f, "activity `{a}` ({kind}) is not run by the simulator: the run stops here rather than guess what it does"),
            Stop::MissingLink(a, port) => write!(f, "activity `{a}` leaves by port `{port}`, and no link leaves it from that port"),
            Stop::MissingActivity(a, target) => write!(f, "a link from `{a}` leads to `{target}`, which the flow does not have"),
            Stop::Expression(a, setting, why) => write!(f, "activity `{a}`: `{setting}` cannot be evaluated: {why}"),
            Stop::Incomplete(a, missing) => write!(f, "activity `{a}` is incomplete: {missing}"),
            Stop::UnknownVariable(a, v) => write!(f, "activity `{a}` sets `{v}`, which is not a variable of the flow"),
            Stop::WrongType(a, v, kind) => write!(f, "activity `{a}`: the value for `{v}` is not a {kind}"),
            Stop::Loop(a) => write!(f, "cut after {STEP_LIMIT} activities without reaching an end: the flow loops, or its path is longer than that (at `{a}`)"),
            Stop::TooManyRequests(a) => write!(f, "stopped before request {} at `{a}`: a Webex Connect run makes at most {REQUEST_LIMIT}, one a step", REQUEST_LIMIT + 1),
            Stop::TooDeep(a) => write!(f, "subflow handoffs nested deeper than {DEPTH_LIMIT} at `{a}`"),
            Stop::Subflow(a, why) => write!(f, "activity `{a}`: {why}"),
            Stop::Inside(a, sub, inner) => write!(f, "in subflow `{sub}` (handoff `{a}`): {inner}"),
            Stop::Refused(a, why) => write!(f, "activity `{a}`: {why}; the run stops here"),
            Stop::TooMuch(a) => write!(f, "activity `{a}` takes what the run holds (values, replies and the trace) past {MAX_RUN_HELD_BYTES} bytes, the most a run keeps (large values copied in a loop?)"),
            Stop::AfterSecretChoice(a) => write!(f, "the run stopped after `{a}`, which chose its way on a secret value: where and why are not shown (--reveal-path shows them)"),
            Stop::OutOfFuel(a) => write!(f, "activity `{a}` takes the work of the run's templates past {MAX_RUN_FUEL} (instructions run and bytes of template read), the most one run does (a long condition evaluated in a loop?)"),
        }
    }
}

impl std::error::Error for Stop {}

/// The result of a run. Serialised (`--format json`) as `path`, `end` (or `stopped`),
/// `variables`, `events`, `warnings`, every value as it may be shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FdRun {
    /// The flow's name.
    #[serde(skip)]
    pub flow: String,
    /// Activity names in the order run; a subflow's as `Subflow/Activity`.
    pub path: Vec<String>,
    /// The activity the run ended at (an end, end-subflow, disconnect-contact, or the music a
    /// queued contact waits on); `None` when it stopped.
    pub end: Option<String>,
    /// Why it stopped without an end (in JSON `stopped`, as the text trace says it).
    #[serde(rename = "stopped", skip_serializing_if = "Option::is_none")]
    pub stop: Option<Stop>,
    /// Every variable at the end, as text (null as empty, JSON as written).
    pub variables: BTreeMap<String, Text>,
    /// What happened, in order.
    pub(crate) events: Vec<Event>,
    /// What the run relied on that Cisco does not document, and oddities met (unknown names
    /// read as empty, ...).
    pub warnings: Vec<String>,
    /// The first activity that chose its way on a secret value (a condition or case reading
    /// one, other than to test whether it is empty), as the path shows it; the path from there
    /// on tells something of the value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_choice: Option<String>,
    /// How much of the path, events and warnings came before the way was chosen on a secret.
    #[serde(skip)]
    cut: Option<Cut>,
}

/// How much of a run came before an activity chose its way on a secret: the path up to that
/// activity, the events and warnings made by then, and the activity as the path shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Cut {
    path: usize,
    events: usize,
    warnings: usize,
    activity: String,
}

impl FdRun {
    /// The run as it may be shown when the path is not revealed: up to and including the first
    /// activity that chose its way on a secret value, then the mask for the rest; the end as the
    /// mask, every variable's value as the mask (which were set after tells the way too), events
    /// and warnings from there on left out, and a stop there told as
    /// [`Stop::AfterSecretChoice`]. A run whose way no secret chose is returned as it is.
    pub fn without_secret_path(mut self) -> FdRun {
        let Some(cut) = self.cut.take() else {
            return self;
        };
        let mask = crate::secret::MASK.to_string();
        self.path.truncate(cut.path);
        self.path.push(mask.clone());
        self.end = self.end.map(|_| mask);
        self.events.truncate(cut.events);
        self.warnings.truncate(cut.warnings);
        self.warnings.push(format!(
            "the path after `{}` is not shown: it chose its way on a secret value, and where the run went would tell something of it (--reveal-path shows it)",
            cut.activity
        ));
        for value in self.variables.values_mut() {
            *value = Text::computed(value.expose());
        }
        if self.stop.is_some() {
            self.stop = Some(Stop::AfterSecretChoice(cut.activity));
        }
        self
    }
}

/// A value and whether it derives from a secret.
#[derive(Clone, Debug, Default, PartialEq)]
struct Slot {
    value: Value,
    taint: Taint,
}

/// How a value derives from secrets.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Taint {
    secret: bool,
    /// Computed from a secret (compared, sliced, tested): even whether it is empty is the
    /// secret's, so it shows as the mask when empty too.
    computed: bool,
}

impl Taint {
    fn of(text: &Text) -> Taint {
        Taint {
            secret: text.is_secret(),
            computed: text.is_computed(),
        }
    }

    fn secret(secret: bool) -> Taint {
        Taint {
            secret,
            computed: false,
        }
    }

    fn text(self, value: String) -> Text {
        if self.computed {
            Text::computed(value)
        } else {
            Text::new(value, self.secret)
        }
    }
}

/// One flow's state during a run.
struct Frame<'f> {
    flow: &'f FdFlow,
    index: ProcessIndex<'f>,
    vars: BTreeMap<String, Slot>,
    /// Activity name -> its outputs (`httpStatusCode`, ...) as JSON, and those that are secret.
    outputs: BTreeMap<String, (serde_json::Map<String, Value>, BTreeSet<String>)>,
    secret_names: BTreeSet<String>,
    /// The flow's secret places ([`Secrets`]): settings holding a credential typed in clear.
    places: Secrets,
    prefix: String,
}

struct Machine<'a> {
    http: &'a mut dyn HttpClient,
    digits: std::collections::VecDeque<String>,
    subflows: &'a dyn SubflowLookup,
    pebble: Pebble,
    steps: usize,
    /// Requests sent so far (see [`REQUEST_LIMIT`]).
    requests: usize,
    /// Bytes the run may still hold (of [`MAX_RUN_HELD_BYTES`]), each value counted as made.
    held_left: usize,
    /// Work the run's templates may still do (of [`MAX_RUN_FUEL`]).
    fuel_left: u64,
    /// A run-wide bound passed, told at the end of the activity that passed it.
    exhausted: Option<Exhausted>,
    /// What a template used that the runner does not model ([`Exhausted::NotModelled`]).
    not_modelled: Option<String>,
    /// The first activity that chose its way on a secret value, as the path shows it.
    secret_choice: Option<(String, Cut)>,
    path: Vec<String>,
    events: Vec<Event>,
    warnings: Vec<String>,
}

/// Runs `flow` from its start with `inputs`, HTTP through `http`, `digits` answering menus and
/// digit collection in order, subflows from `subflows`.
pub(crate) fn run(
    flow: &FdFlow,
    inputs: &Inputs,
    http: &mut dyn HttpClient,
    digits: &[String],
    subflows: &dyn SubflowLookup,
) -> FdRun {
    let mut machine = Machine {
        http,
        digits: digits.iter().map(|d| d.trim().to_string()).collect(),
        subflows,
        pebble: Pebble::new(),
        steps: 0,
        requests: 0,
        held_left: MAX_RUN_HELD_BYTES,
        fuel_left: MAX_RUN_FUEL,
        exhausted: None,
        not_modelled: None,
        secret_choice: None,
        path: Vec::new(),
        events: Vec::new(),
        warnings: Vec::new(),
    };
    let mut frame = Frame::new(flow, String::new());
    for (name, value) in &inputs.variables {
        let secret = frame.secret_names.contains(name);
        frame.vars.insert(
            name.clone(),
            Slot {
                value: value.clone(),
                taint: Taint::secret(secret),
            },
        );
    }
    for (activity, fields) in &inputs.activities {
        let map = fields.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        frame
            .outputs
            .insert(activity.clone(), (map, BTreeSet::new()));
    }
    let result = machine.execute(&mut frame, 0);
    let (end, stop) = match result {
        Ok(end) => (Some(end), None),
        Err(stop) => (None, Some(stop)),
    };
    let (secret_choice, cut) = machine.secret_choice.unzip();
    FdRun {
        flow: flow.name.clone(),
        path: machine.path,
        end,
        variables: frame.final_variables(),
        events: machine.events,
        warnings: machine.warnings,
        stop,
        secret_choice,
        cut,
    }
}

/// A JSON value as a variable shows it: text bare, null empty, anything else as JSON.
fn text_of(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A variable's starting value, typed by its kind: text in a STRING, numbers in INTEGER and
/// DECIMAL, true/false in BOOLEAN; a JSON variable holds its JSON text [assumed: Pebble reads
/// it as text; Cisco's templates only ever substitute one whole].
fn typed(kind: &str, value: &Value) -> Option<Value> {
    if value.is_null() {
        return Some(Value::Null);
    }
    let text = text_of(value);
    let trimmed = text.trim();
    match kind {
        "INTEGER" | "DECIMAL" | "BOOLEAN" if trimmed.is_empty() => Some(Value::Null),
        "INTEGER" => trimmed.parse::<i64>().ok().map(Value::from),
        "DECIMAL" => (trimmed.parse::<f64>().ok())
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number),
        "BOOLEAN" => trimmed.parse::<bool>().ok().map(Value::Bool),
        _ => Some(Value::String(text)),
    }
}

impl<'f> Frame<'f> {
    fn new(flow: &'f FdFlow, prefix: String) -> Frame<'f> {
        // Secret: what the flow marks secure or names as a secret, and what a request carries
        // as a credential (a header, a query parameter, a URL's user information), by its uses.
        let mut secret_names = secret_variables(flow);
        secret_names.extend(credential_variables(flow));
        secret_names.extend(url_credential_values(flow));
        // A value secret by its place as other commands show it (a URL with a credential typed
        // in a Pebble literal, `{{ 'https://u:pw@h/' }}`) is secret here too.
        let places = Secrets::of(flow);
        let vars = flow
            .variables
            .iter()
            .map(|v| {
                let value = typed(&v.kind, &v.value).unwrap_or_else(|| v.value.clone());
                let secret = secret_names.contains(&v.name)
                    || holds_url_credential(&value)
                    || places.variable(&v.name);
                let slot = Slot {
                    value,
                    taint: Taint::secret(secret),
                };
                (v.name.clone(), slot)
            })
            .collect();
        Frame {
            flow,
            index: ProcessIndex::of(&flow.process),
            vars,
            outputs: BTreeMap::new(),
            secret_names,
            places,
            prefix,
        }
    }

    fn kind_of(&self, name: &str) -> Option<&str> {
        self.flow
            .variables
            .iter()
            .find(|v| v.name == name)
            .map(|v| v.kind.as_str())
    }

    fn final_variables(&self) -> BTreeMap<String, Text> {
        self.vars
            .iter()
            .map(|(k, s)| (k.clone(), s.taint.text(text_of(&s.value))))
            .collect()
    }

    /// The names a template sees: variables, and activities' outputs as maps.
    /// The values `template` can read: those of the names it reads (an activity's outputs
    /// over a variable of the same name), as the flow holds them now. Only those: a render
    /// then costs what its template reads, not what the whole flow holds (every render of a
    /// flow of 10,000 activities, each with its output variable, took the 10,000 values).
    fn context(&self, template: &str) -> BTreeMap<String, Mj> {
        let mut context = BTreeMap::new();
        for read in pebble::reads(template).0 {
            let name = read.name;
            if context.contains_key(name) {
                continue;
            }
            if let Some((fields, _)) = self.outputs.get(name) {
                context.insert(name.to_string(), Mj::from_serialize(fields));
            } else if let Some(slot) = self.vars.get(name) {
                context.insert(name.to_string(), Mj::from_serialize(&slot.value));
            }
        }
        context
    }

    /// How many bytes the values a template reads hold, each read counted: what concatenating
    /// them could make before anything is written.
    fn read_bytes(&self, template: &str) -> usize {
        let size = |v: &Value| match v {
            Value::String(s) => s.len(),
            other => other.to_string().len(),
        };
        pebble::reads(template)
            .0
            .iter()
            .map(
                |r| match (self.vars.get(r.name), self.outputs.get(r.name)) {
                    (Some(slot), _) => size(&slot.value),
                    (None, Some((fields, _))) => fields.values().map(size).sum(),
                    (None, None) => 0,
                },
            )
            .fold(0, usize::saturating_add)
    }

    /// Whether a template reads a secret: a name it reads holds one.
    fn reads_secret(&self, template: &str, bare: bool) -> bool {
        let reads = if bare {
            pebble::expression(template)
        } else {
            pebble::reads(template).0
        };
        reads.iter().any(|r| {
            let after = &template[r.range.end..];
            // `Activity.field`: that field's provenance; the activity whole: any field's.
            let member = after.trim_start().strip_prefix('.').map(|rest| {
                let rest = rest.trim_start();
                let end = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(rest.len());
                (&rest[..end], &rest[end..])
            });
            let rest = member.map_or(after, |(_, rest)| rest);
            // Whether a value is empty is no secret (as a secret's mask shows an empty one).
            let test = rest
                .trim_start()
                .strip_prefix("is")
                .filter(|x| x.starts_with(char::is_whitespace))
                .map(|x| {
                    x.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                        .filter(|w| !w.is_empty())
                        .take(2)
                        .collect::<Vec<_>>()
                });
            if matches!(
                test.as_deref(),
                Some(["empty" | "null", ..] | ["not", "empty" | "null"])
            ) {
                return false;
            }
            if self.vars.get(r.name).is_some_and(|s| s.taint.secret) {
                return true;
            }
            let Some((_, secret)) = self.outputs.get(r.name) else {
                return false;
            };
            match member {
                Some((field, _)) => secret.contains(field),
                None => !secret.is_empty(),
            }
        })
    }

    /// Whether a setting of an activity holds a credential typed in clear (`path` into its
    /// settings, `["httpRequestHeaders", "x-token-passphrase"]`).
    fn secret_place(&self, activity: &str, path: &[&str]) -> bool {
        let path: Vec<String> = path.iter().map(|p| p.to_string()).collect();
        covers(self.places.settings(&Scope::Main, activity), &path)
    }

    /// Names a template reads that the flow has neither as a variable nor as an activity.
    fn unknown_reads(&self, template: &str) -> Vec<String> {
        let (reads, locals) = pebble::reads(template);
        reads
            .iter()
            .filter(|r| {
                !locals.contains(&r.name)
                    && !self.vars.contains_key(r.name)
                    && !self.outputs.contains_key(r.name)
                    && self.index.activity(r.name).is_none()
            })
            .map(|r| r.name.to_string())
            .collect()
    }

    fn set(&mut self, activity: &str, name: &str, value: Value, taint: Taint) -> Result<(), Stop> {
        let Some(kind) = self.kind_of(name).map(str::to_string) else {
            return Err(Stop::UnknownVariable(activity.into(), name.into()));
        };
        let Some(value) = typed(&kind, &value) else {
            return Err(Stop::WrongType(activity.into(), name.into(), kind));
        };
        let taint = Taint {
            secret: taint.secret
                || self.secret_names.contains(name)
                || holds_url_credential(&value),
            ..taint
        };
        self.vars.insert(name.to_string(), Slot { value, taint });
        Ok(())
    }
}

impl Machine<'_> {
    /// Notes that activity `a` chooses its way on a secret value, when it is the first to.
    /// A Condition's or Case's expression rendered. The port taken is the value's: a choice on
    /// a secret when the value is secret (or, failing, when what it read is).
    fn render_choice(&mut self, frame: &Frame, a: &Activity) -> Result<Text, EvalError> {
        let expression = a.text("expression").unwrap_or("");
        let rendered = self.render(frame, &a.name, expression);
        let secret = match &rendered {
            Ok(value) => value.is_secret(),
            Err(_) => frame.reads_secret(expression, false),
        };
        if secret {
            self.chose_on_secret(frame, &a.name);
        }
        rendered
    }

    fn chose_on_secret(&mut self, frame: &Frame, activity: &str) {
        if self.secret_choice.is_none() {
            // As the path shows it: a subflow's activity is `Subflow/Activity`, which locates
            // nothing in the flow run (rather than a namesake of the flow's own).
            let shown = format!("{}{activity}", frame.prefix);
            let cut = Cut {
                path: self.path.len(),
                events: self.events.len(),
                warnings: self.warnings.len(),
                activity: shown.clone(),
            };
            self.secret_choice = Some((shown, cut));
        }
    }

    /// Counts `bytes` more held by the run; past [`MAX_RUN_HELD_BYTES`], the run stops at the
    /// end of the activity.
    fn spend(&mut self, bytes: usize) {
        match self.held_left.checked_sub(bytes) {
            Some(left) => self.held_left = left,
            None => {
                self.held_left = 0;
                self.exhausted.get_or_insert(Exhausted::Held);
            }
        }
    }

    /// The stop for a run-wide bound the activity `at` passed, once (a handoff's subflow tells
    /// it of its own activity, and the handoff passes that on).
    fn exhausted_at(&mut self, at: &str) -> Option<Stop> {
        self.exhausted.take().map(|bound| match bound {
            Exhausted::Held => Stop::TooMuch(at.to_string()),
            Exhausted::Fuel => Stop::OutOfFuel(at.to_string()),
            Exhausted::NotModelled => {
                Stop::Unsupported(at.to_string(), self.not_modelled.take().unwrap_or_default())
            }
        })
    }

    fn warn(&mut self, text: String) {
        if !self.warnings.contains(&text) {
            self.warnings.push(text);
        }
    }

    /// Renders a setting's template, warning of names it reads that the flow lacks.
    fn render(&mut self, frame: &Frame, activity: &str, template: &str) -> Result<Text, EvalError> {
        for name in frame.unknown_reads(template) {
            self.warn(format!(
                "`{}{activity}` reads `{name}`, which the flow does not have: it reads as empty [assumed: Pebble's non-strict mode]",
                frame.prefix
            ));
        }
        let reads_secret = frame.reads_secret(template, false);
        // A template that only puts values in place shows a secret's emptiness as the secret
        // itself does; anything else computed from one (`==`, `[4]`, a filter) shows nothing.
        let copies = reads_secret
            && copies_only(template)
            && !pebble::reads(template)
                .0
                .iter()
                .any(|r| frame.vars.get(r.name).is_some_and(|s| s.taint.computed));
        // Whether a computation that can fail does (a slice of a short value, the run's work
        // bound passed in a loop over it), and so whether the activity leaves by its error
        // port or the run stops, is the secret's doing, whichever happens this run: the way on
        // from here is chosen on it, as a Condition's would be.
        if reads_secret && !copies && !cannot_fail(template) {
            self.chose_on_secret(frame, activity);
        }
        if frame.read_bytes(template) > MAX_RUN_VALUE_BYTES {
            return Err(eval::too_large());
        }
        // Past a run-wide bound nothing more is rendered, not even in the same activity (a
        // play-message of many prompts): the run stops when the activity ends.
        if self.fuel_left == 0 {
            self.exhausted.get_or_insert(Exhausted::Fuel);
        }
        if self.exhausted.is_some() {
            return Err(EvalError(
                "the run has done all the work, or holds all the bytes, one run may".into(),
            ));
        }
        let rendered = self
            .pebble
            .render_counted(template, &frame.context(template));
        // A template that fails did its work too: at least reading it.
        let work = rendered.as_ref().map_or(
            u64::try_from(template.len()).unwrap_or(u64::MAX),
            |(_, work)| *work,
        );
        match self.fuel_left.checked_sub(work) {
            Some(left) => self.fuel_left = left,
            None => {
                self.fuel_left = 0;
                self.exhausted.get_or_insert(Exhausted::Fuel);
            }
        }
        let (value, _) = match rendered {
            Ok(rendered) => rendered,
            Err(why) => {
                // Pebble has it and the runner does not: the run stops at the activity, as for
                // an activity it does not run (taking its error port would be a guess too).
                if why.is_not_modelled() {
                    self.not_modelled.get_or_insert_with(|| why.0.clone());
                    self.exhausted.get_or_insert(Exhausted::NotModelled);
                }
                return Err(why);
            }
        };
        self.spend(value.len());
        if !reads_secret {
            return Ok(Text::plain(value));
        }
        Ok(if copies {
            Text::secret(value)
        } else {
            Text::computed(value)
        })
    }

    fn execute(&mut self, frame: &mut Frame, depth: usize) -> Result<String, Stop> {
        let start = frame
            .flow
            .process
            .activities
            .iter()
            .find(|a| matches!(a.kind(), Kind::Start | Kind::SubflowStart))
            .ok_or(Stop::NoStart)?;
        let mut at: &Activity = start;
        let mut queued_at: Option<usize> = None;
        loop {
            self.steps += 1;
            if self.steps > STEP_LIMIT {
                return Err(Stop::Loop(at.name.clone()));
            }
            let shown = format!("{}{}", frame.prefix, at.name);
            // [assumed] a queued contact whose flow comes back to an activity it already ran
            // since queueing, playing only music or messages, waits there for an agent: the
            // flow's work is done.
            if let Some(from) = queued_at {
                let waiting = self.path[from..].contains(&shown)
                    && self.path[from..].iter().all(|p| {
                        let name = p.strip_prefix(&frame.prefix).unwrap_or(p);
                        frame.index.activity(name).is_some_and(|a| {
                            matches!(
                                a.type_name(),
                                "play-music" | "play-message" | "queue-contact"
                            )
                        })
                    });
                if waiting {
                    self.events.push(Event::Waiting {
                        activity: shown.clone(),
                    });
                    return Ok(shown);
                }
            }
            self.spend(shown.len());
            self.path.push(shown.clone());
            let stepped = self.step(frame, at, depth);
            // A run-wide bound passed stops the run at the activity that passed it, whatever the
            // activity made of it (an error port it took, an end it reached).
            if let Some(stop) = self.exhausted_at(&at.name) {
                return Err(stop);
            }
            let port = match stepped? {
                Next::End => return Ok(shown),
                Next::Port(port) => port,
            };
            if at.type_name() == "queue-contact" {
                queued_at = Some(self.path.len() - 1);
            }
            let links = frame.index.links_from(&at.name);
            let link = links
                .iter()
                .find(|l| l.port == port)
                .ok_or_else(|| Stop::MissingLink(at.name.clone(), port.clone()))?;
            at = frame
                .index
                .activity(&link.target)
                .ok_or_else(|| Stop::MissingActivity(at.name.clone(), link.target.clone()))?;
        }
    }

    /// Runs one activity; the port it leaves by, or the end.
    fn step(&mut self, frame: &mut Frame, a: &Activity, depth: usize) -> Result<Next, Stop> {
        let name = a.name.clone();
        let shown = format!("{}{}", frame.prefix, a.name);
        let expression_error = |setting: &str, why: EvalError| {
            Stop::Expression(name.clone(), setting.into(), why.to_string())
        };
        if let Some(missing) = a.missing() {
            return Err(Stop::Incomplete(name, missing.into()));
        }
        match a.kind() {
            Kind::Start | Kind::SubflowStart => Ok(Next::Port("out".into())),
            Kind::End | Kind::SubflowEnd => Ok(Next::End),
            Kind::Disconnect => {
                self.events.push(Event::Disconnect { activity: shown });
                Ok(Next::End)
            }
            Kind::SetVariable => {
                let entries = a.assignments();
                // Only literal values (templates) are documented by the exports; another kind
                // of assignment is not guessed at.
                if let Some(other) = entries
                    .iter()
                    .map(|(_, _, set_to)| set_to.as_str())
                    .find(|t| !t.is_empty() && *t != "set-to-literal")
                {
                    return Err(Stop::Unsupported(
                        name,
                        format!("set-variable with setTo `{other}`"),
                    ));
                }
                for (variable, template, _) in entries {
                    match self.render(frame, &name, &template) {
                        Ok(value) => {
                            // Whether a secret value fits a typed variable (a PIN in an
                            // INTEGER) is the secret's: the way on from here, succeeding or
                            // not, is chosen on it, as a Condition on it would be.
                            let kind = frame.kind_of(&variable).unwrap_or("STRING");
                            if value.is_secret() && kind != "STRING" {
                                self.chose_on_secret(frame, &a.name);
                            }
                            let text = Value::String(value.expose().to_string());
                            match frame.set(&name, &variable, text, Taint::of(&value)) {
                                Ok(()) => {}
                                // A value its variable's type refuses fails the activity as an
                                // expression that cannot be evaluated does: by its error port
                                // when its flow links one [assumed], else the run stops.
                                Err(Stop::WrongType(at, variable, kind)) => {
                                    let links = frame.index.links_from(&a.name);
                                    if !links.iter().any(|l| l.port == "error") {
                                        return Err(Stop::WrongType(at, variable, kind));
                                    }
                                    let why = EvalError(format!(
                                        "the value for `{variable}` is not a {kind}"
                                    ));
                                    return self.error_port(frame, a, "expr", why);
                                }
                                Err(other) => return Err(other),
                            }
                        }
                        Err(why) => {
                            // Whether it fails (and leaves by its error port) may be the
                            // secret's doing.
                            if frame.reads_secret(&template, false) {
                                self.chose_on_secret(frame, &a.name);
                            }
                            return self.error_port(frame, a, "expr", why);
                        }
                    }
                }
                Ok(Next::Port("out".into()))
            }
            Kind::Condition => {
                let rendered = self.render_choice(frame, a);
                match rendered {
                    Ok(value) => match value.expose().trim() {
                        "true" => Ok(Next::Port("true".into())),
                        "false" => Ok(Next::Port("false".into())),
                        _ => self.error_port(
                            frame,
                            a,
                            "expression",
                            EvalError("it gives neither true nor false".into()),
                        ),
                    },
                    Err(why) => self.error_port(frame, a, "expression", why),
                }
            }
            Kind::Case => {
                let value = match self.render_choice(frame, a) {
                    Ok(v) => v,
                    Err(why) => return self.error_port(frame, a, "expression", why),
                };
                let ports = string_list(a, "menuLinks");
                let values = {
                    let colon = string_list(a, "menuLinks:input");
                    if colon.is_empty() {
                        string_list(a, "menuLinks_input")
                    } else {
                        colon
                    }
                };
                // [assumed] the value is compared as text, trimmed, with each case's value.
                let port = ports
                    .iter()
                    .zip(&values)
                    .find(|(_, v)| v.trim() == value.expose().trim())
                    .map(|(p, _)| p.clone())
                    .unwrap_or_else(|| "default".into());
                Ok(Next::Port(port))
            }
            Kind::Parse => {
                let input = a.text("inputVariable").unwrap_or("");
                let template = format!("{{{{ {input} }}}}");
                let text = self
                    .render(frame, &name, &template)
                    .map_err(|why| expression_error("inputVariable", why))?;
                let secret = text.is_secret() || frame.reads_secret(input, true);
                let parsed = jsonpath::parse_reply(text.expose());
                if parsed.is_none() {
                    self.warn(format!(
                        "`{shown}`: its input is not JSON: its outputs are left unset"
                    ));
                }
                for (variable, path) in output_array(a) {
                    let Some(value) = parsed.as_ref().and_then(|v| select(v, path)) else {
                        continue;
                    };
                    self.spend(value_bytes(&value));
                    frame.set(&name, variable, value, Taint::secret(secret))?;
                }
                Ok(Next::Port("default".into()))
            }
            Kind::Http => self.http(frame, a, shown),
            Kind::Handoff => self.handoff(frame, a, shown, depth),
            Kind::Event | Kind::Other => self.voice(frame, a, shown),
        }
    }

    /// The `error` port when the activity's flow links it, else a stop naming the setting.
    fn error_port(
        &mut self,
        frame: &Frame,
        a: &Activity,
        setting: &str,
        why: EvalError,
    ) -> Result<Next, Stop> {
        // The run stops at the end of the activity (see [`Machine::exhausted_at`]): no port.
        if self.exhausted == Some(Exhausted::NotModelled) {
            return Ok(Next::Port("error".into()));
        }
        if frame
            .index
            .links_from(&a.name)
            .iter()
            .any(|l| l.port == "error")
        {
            self.warn(format!(
                "`{}{}`: `{setting}` cannot be evaluated ({why}): left by its error port [assumed]",
                frame.prefix, a.name
            ));
            Ok(Next::Port("error".into()))
        } else {
            Err(Stop::Expression(
                a.name.clone(),
                setting.into(),
                why.to_string(),
            ))
        }
    }

    fn http(&mut self, frame: &mut Frame, a: &Activity, shown: String) -> Result<Next, Stop> {
        let Some(view) = a.http() else {
            return Err(Stop::Unsupported(a.name.clone(), a.type_name().into()));
        };
        self.requests += 1;
        if self.requests > REQUEST_LIMIT {
            return Err(Stop::TooManyRequests(a.name.clone()));
        }
        let name = a.name.clone();
        // A variable whose value this request's URL sends as its credential (`Host` holding
        // `bob:pw@host` in `https://{{Host}}/v1`): secret from here on, whatever set it.
        let value_of = |name: &str| Some(text_of(&frame.vars.get(name)?.value));
        let places = super::pebble::whole_reads(view.url());
        let sources = crate::secret::names::credential_sources(view.url(), places, value_of);
        for source in sources {
            if let Some(slot) = frame.vars.get_mut(source) {
                slot.taint.secret = true;
                frame.secret_names.insert(source.to_string());
            }
        }
        // A setting renders secret when it reads a secret or holds a credential typed in clear.
        let render = |m: &mut Self, path: &[&str], text: &str| {
            m.render(frame, &name, text)
                .map(|t| t.tainted_by(frame.secret_place(&name, path)))
                .map_err(|why| Stop::Expression(name.clone(), path[0].into(), why.to_string()))
        };
        let mut url = render(self, &["httpRequestUrl"], view.url())?;
        // [assumed] query parameters are appended to the URL, names and values form-encoded.
        let query = view.query();
        if !query.is_empty() {
            let mut parts = Vec::new();
            let mut secret = url.is_secret();
            for (k, v) in query {
                let value = render(self, &["httpQueryParameters", k], v)?;
                secret |= value.is_secret();
                parts.push(format!("{}={}", form(k), form(value.expose())));
            }
            let sep = if url.expose().contains('?') { '&' } else { '?' };
            url = Text::new(format!("{}{sep}{}", url.expose(), parts.join("&")), secret);
        }
        // Shown as the Connect runner shows a request: a credential by its name (a header, a
        // query parameter, a URL's user information) is secret whatever it was made from.
        let url = crate::secret::names::url_shown(url);
        let mut headers = BTreeMap::new();
        for (k, v) in view.headers() {
            let value = render(self, &["httpRequestHeaders", k], v)?;
            let value = crate::secret::names::header_value_shown(k, value);
            headers.insert(k.to_string(), value);
        }
        let body = match a.text("httpRequestBody") {
            Some(b) if !b.is_empty() => Some(render(self, &["httpRequestBody"], b)?),
            _ => None,
        };
        let timeout = match a.settings.get("httpResponseTimeout") {
            Some(Value::Number(n)) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
            Some(Value::String(s)) => s.trim().parse::<u32>().ok(),
            _ => None,
        }
        .unwrap_or(DEFAULT_RESPONSE_TIMEOUT_MS);
        let request = Request {
            method: view.method().to_ascii_uppercase(),
            url,
            headers,
            body,
            // Headers named as credentials; those whose value is secret are told by the client.
            credential_headers: view
                .headers()
                .into_iter()
                .filter(|(k, _)| is_credential_header(k))
                .map(|(k, _)| k.to_string())
                .collect(),
            connect_timeout_ms: None,
            request_timeout_ms: Some(timeout),
        };
        let mut redirects = Vec::new();
        let outputs = view.outputs();
        // A reply that fills a secret variable is secret whole, as in Connect runs.
        let secret_reply = outputs.iter().any(|(v, _)| frame.secret_names.contains(*v));
        // As in Connect runs: what Flow Designer would do with it is not known, so the run
        // stops, in words that hold nothing of what the request carries.
        if request.cannot_be_made() {
            return Err(Stop::Refused(
                a.name.clone(),
                Request::CANNOT_BE_MADE.to_string(),
            ));
        }
        let reply = self.http.send(&request, &mut redirects);
        let reply = reply.tainted_by(secret_reply).with_locations_shown();
        if let Reply::Refused { reason } = &reply {
            return Err(Stop::Refused(a.name.clone(), reason.clone()));
        }
        // A redirect's Location is a reply header like any other (as in Connect runs): it may
        // echo what the request carried. It is a URL too: secret whole when it carries a
        // password or a credential parameter, as a request's URL is.
        for hop in &mut redirects {
            hop.location = crate::secret::names::url_shown(
                std::mem::take(&mut hop.location).tainted_by(secret_reply),
            );
        }
        // The reply is kept in the trace, and its body in the activity's outputs.
        self.spend(reply_bytes(&reply));
        let mut fields = serde_json::Map::new();
        match &reply {
            Reply::Response { status, body, .. } => {
                self.spend(body.expose().len());
                fields.insert("httpStatusCode".into(), Value::from(*status));
                fields.insert(
                    "httpResponseBody".into(),
                    Value::String(body.expose().to_string()),
                );
                let parsed = jsonpath::parse_reply(body.expose());
                for (variable, path) in &outputs {
                    // [assumed] an empty JSONPath, or one that finds nothing, leaves the variable.
                    if path.is_empty() {
                        continue;
                    }
                    // An output is secret when its variable is (as a Connect node's declared
                    // secret outputs): the other fields of a reply that carries a secret are not.
                    if let Some(value) = parsed.as_ref().and_then(|v| select(v, path)) {
                        self.spend(value_bytes(&value));
                        frame.set(&a.name, variable, value, Taint::default())?;
                    }
                }
            }
            Reply::ConnectionFailed { .. } | Reply::Timeout | Reply::Refused { .. } => {
                fields.insert("httpStatusCode".into(), Value::Null);
                fields.insert("httpResponseBody".into(), Value::Null);
                self.warn(format!(
                    "`{shown}` got no answer: it leaves by `default` with httpStatusCode empty [assumed: rather than raising OnGlobalError]"
                ));
            }
        }
        // The status code derives from no secret; the body from one when the reply does.
        let secret_fields = if secret_reply {
            BTreeSet::from(["httpResponseBody".to_string()])
        } else {
            BTreeSet::new()
        };
        frame
            .outputs
            .insert(a.name.clone(), (fields, secret_fields));
        self.events.push(Event::Http {
            activity: shown,
            exchange: Exchange {
                request,
                redirects,
                reply,
            },
        });
        Ok(Next::Port("default".into()))
    }

    fn handoff(
        &mut self,
        frame: &mut Frame,
        a: &Activity,
        shown: String,
        depth: usize,
    ) -> Result<Next, Stop> {
        if depth + 1 > DEPTH_LIMIT {
            return Err(Stop::TooDeep(a.name.clone()));
        }
        let subflow_name = a.text("subflowName").unwrap_or("").to_string();
        let child = self
            .subflows
            .subflow(&subflow_name)
            .map_err(|why| Stop::Subflow(a.name.clone(), why.to_string()))?;
        let mappings = |key: &str| -> Vec<(String, String)> {
            a.settings
                .get(key)
                .and_then(Value::as_array)
                .map(|m| {
                    m.iter()
                        .filter_map(|o| {
                            Some((
                                o.get("src")?.as_str()?.to_string(),
                                o.get("target")?.as_str()?.to_string(),
                            ))
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        let mut inner = Frame::new(&child, format!("{}{}/", frame.prefix, child.name));
        for (src, target) in mappings("subflowInputVariables") {
            let slot = frame.vars.get(&src).cloned().unwrap_or_default();
            self.spend(value_bytes(&slot.value));
            inner
                .set(&a.name, &target, slot.value, slot.taint)
                .map_err(|e| Stop::Inside(a.name.clone(), child.name.clone(), Box::new(e)))?;
        }
        self.events.push(Event::Subflow {
            activity: shown,
            subflow: child.name.clone(),
        });
        self.execute(&mut inner, depth + 1)
            .map_err(|e| Stop::Inside(a.name.clone(), child.name.clone(), Box::new(e)))?;
        // A value keeps its provenance across the handoff both ways, as across Webex Connect's
        // Call Flow: a parent variable passed in as an input the subflow holds secret (marks it
        // secure, names it as one, or sends it as a credential) is a secret in the parent from
        // here on, its value and whatever is made from it.
        for (src, target) in mappings("subflowInputVariables") {
            let secret_there = inner.secret_names.contains(&target)
                || inner.vars.get(&target).is_some_and(|s| s.taint.secret);
            if secret_there && frame.vars.contains_key(&src) {
                frame.secret_names.insert(src.clone());
                if let Some(slot) = frame.vars.get_mut(&src) {
                    slot.taint.secret = true;
                }
            }
        }
        for (src, target) in mappings("subflowOutputVariables") {
            let slot = inner.vars.get(&target).cloned().unwrap_or_default();
            self.spend(value_bytes(&slot.value));
            frame.set(&a.name, &src, slot.value, slot.taint)?;
        }
        Ok(Next::Port("default".into()))
    }

    /// Voice activities, recorded as events: play-message, play-music, queue-contact, menu,
    /// collect-digits. Any other kind stops the run.
    fn voice(&mut self, frame: &mut Frame, a: &Activity, shown: String) -> Result<Next, Stop> {
        let name = a.name.clone();
        match a.type_name() {
            "play-message" => {
                let prompts = self.prompts(frame, a)?;
                self.events.push(Event::PlayMessage {
                    activity: shown,
                    prompts,
                });
                Ok(Next::Port("default".into()))
            }
            "play-music" => {
                let prompt = a.text("prompt").unwrap_or("").to_string();
                self.events.push(Event::PlayMusic {
                    activity: shown,
                    prompt,
                });
                Ok(Next::Port("default".into()))
            }
            "queue-contact" => {
                let destination = a.text("destination").unwrap_or("").to_string();
                self.events.push(Event::Queue {
                    activity: shown,
                    destination,
                });
                Ok(Next::Port("default".into()))
            }
            "ivr-menu" | "menu" => {
                let prompts = self.prompts(frame, a)?;
                let options = string_list(a, "menuLinks");
                // [assumed] no digit left: the caller pressed nothing (`timeout`); a digit the
                // menu does not offer: `invalid`.
                let digit = self.digits.pop_front();
                let port = match &digit {
                    None => "timeout".to_string(),
                    Some(d) if options.contains(d) => d.clone(),
                    Some(_) => "invalid".to_string(),
                };
                self.events.push(Event::Menu {
                    activity: shown,
                    prompts,
                    digit,
                    port: port.clone(),
                });
                Ok(Next::Port(port))
            }
            "collect-digits" => {
                // [assumed] the digits entered are `<activity>.DigitsEntered`; none left: `timeout`.
                let digits = self.digits.pop_front();
                let port = if digits.is_some() {
                    "default"
                } else {
                    "timeout"
                }
                .to_string();
                if let Some(d) = &digits {
                    let mut fields = serde_json::Map::new();
                    fields.insert("DigitsEntered".into(), Value::String(d.clone()));
                    frame.outputs.insert(name, (fields, BTreeSet::new()));
                }
                self.events.push(Event::CollectDigits {
                    activity: shown,
                    digits,
                    port: port.clone(),
                });
                Ok(Next::Port(port))
            }
            other => Err(Stop::Unsupported(name, other.to_string())),
        }
    }

    /// A voice activity's prompts: text-to-speech rendered, others by their value.
    fn prompts(&mut self, frame: &Frame, a: &Activity) -> Result<Vec<Text>, Stop> {
        let mut out = Vec::new();
        for key in ["promptsTts", "prompts"] {
            for p in a
                .settings
                .get(key)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let value = p.get("value").and_then(Value::as_str).unwrap_or("");
                if p.get("type").and_then(Value::as_str) == Some("tts") {
                    let text = self.render(frame, &a.name, value).map_err(|why| {
                        Stop::Expression(a.name.clone(), key.into(), why.to_string())
                    })?;
                    out.push(text);
                } else {
                    out.push(Text::plain(value));
                }
            }
        }
        Ok(out)
    }
}

enum Next {
    End,
    Port(String),
}

/// Which run-wide bound a run passed, or what stops it at the end of the activity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Exhausted {
    Held,
    Fuel,
    /// A template used what the runner does not model.
    NotModelled,
}

/// The bytes a JSON value holds as a run keeps it: text as it is, anything else as written.
fn value_bytes(value: &Value) -> usize {
    match value {
        Value::String(s) => s.len(),
        other => other.to_string().len(),
    }
}

/// The bytes a reply holds: its body, headers and reason (as in Connect runs).
fn reply_bytes(reply: &Reply) -> usize {
    match reply {
        Reply::Response {
            status_text,
            headers,
            body,
            ..
        } => headers
            .iter()
            .map(|(k, v)| k.len() + v.expose().len())
            .fold(
                status_text.len() + body.expose().len(),
                usize::saturating_add,
            ),
        Reply::ConnectionFailed { reason } => reason.expose().len(),
        Reply::Refused { reason } => reason.len(),
        Reply::Timeout => 0,
    }
}

/// JSONPath on a reply or parsed input: text bare, other JSON as it is.
fn select(value: &Value, path: &str) -> Option<Value> {
    jsonpath::select(value, path).cloned()
}

/// Form encoding of a query part (as Pebble's `urlencode`).
fn form(text: &str) -> String {
    eval::urlencode(minijinja::Value::from(text))
}

fn string_list(a: &Activity, key: &str) -> Vec<String> {
    a.settings
        .get(key)
        .and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .map(|v| match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Whether a template only puts values in place: text and `{{ name }}` or `{{ name.field }}`
/// placeholders, no tags, operators, filters or subscripts.
fn copies_only(template: &str) -> bool {
    placeholders_only(template, &[])
}

/// Filters that give text for any value and never fail: a placeholder through them fails for
/// no value (see [`cannot_fail`]).
const TOTAL_FILTERS: &[&str] = &["urlencode", "lower", "upper", "trim", "capitalize"];

/// Whether a template fails for no value of what it reads: text and placeholders, each maybe
/// through [`TOTAL_FILTERS`] without arguments. Whether a template computing anything else
/// (a slice, a subscript, a loop) fails can depend on a value.
fn cannot_fail(template: &str) -> bool {
    placeholders_only(template, TOTAL_FILTERS)
}

/// Whether a template is text and `{{ name }}` or `{{ name.field }}` placeholders, each maybe
/// through some of `filters` (no arguments), with no tags or comments.
fn placeholders_only(template: &str, filters: &[&str]) -> bool {
    if template.contains("{%") || template.contains("{#") {
        return false;
    }
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        let inner = &rest[open + 2..];
        let Some(close) = inner.find("}}") else {
            return false;
        };
        let mut parts = inner[..close].split('|');
        let path = parts.next().unwrap_or("").trim();
        let is_path = !path.is_empty()
            && path.split('.').all(|part| {
                !part.is_empty()
                    && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    && !part.starts_with(|c: char| c.is_ascii_digit())
            });
        if !is_path || !parts.all(|f| filters.contains(&f.trim())) {
            return false;
        }
        rest = &inner[close + 2..];
    }
    true
}
