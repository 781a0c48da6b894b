//! Diagnostics are data: a stable code, a severity, a message, where it is, and help.
//! Renderers turn them into text for people or JSON for machines; nothing here prints.

use serde::Serialize;
use std::ops::Range;

mod human;
pub mod sarif;
mod suggest;

pub(crate) use suggest::Suggestions;

/// How bad a problem is. Errors stop a build; warnings do not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The build fails and nothing is written.
    Error,
    /// Worth a look; the build still succeeds.
    Warning,
}

macro_rules! codes {
    ($($variant:ident => $code:literal, $severity:ident, $summary:literal, $help:literal;)*) => {
        /// Every diagnostic wxcflow can emit. The string form is stable: CI scripts match on it.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Code { $(#[doc = $summary] $variant,)* }

        impl Code {
            /// All codes, in documentation order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The stable string, e.g. `wxc::unknown-target`.
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code,)* }
            }

            /// The severity this code always carries.
            pub fn severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$severity,)* }
            }

            /// One line on what the code means, for docs/diagnostics.md and `--explain`-style listings.
            pub fn summary(self) -> &'static str {
                match self { $(Code::$variant => $summary,)* }
            }

            /// What to do about a diagnostic with this code, for listings and code-scanning rules (each
            /// diagnostic may carry more specific help of its own).
            pub fn help(self) -> &'static str {
                match self { $(Code::$variant => $help,)* }
            }
        }
    };
}

codes! {
    TomlSyntax => "wxc::toml-syntax", Error, "The spec, a tenant file or an inputs file is not valid TOML (a file that is not UTF-8 is not TOML either).", "Fix the TOML at the place shown (an unclosed quote, bracket or table header is the usual cause); nothing after it is checked until the file parses.";
    UnknownKey => "wxc::unknown-key", Error, "A key the spec format does not have (often a typo).", "Remove the key or correct its spelling; the diagnostic lists the keys allowed at that place.";
    MissingKey => "wxc::missing-key", Error, "A required key is missing.", "Add the key the message names; docs/spec.md shows every table with its keys.";
    WrongType => "wxc::wrong-type", Error, "A value has the wrong type (a number where text is expected, ...).", "Write the value with the type the message names: text in quotes, numbers and true/false bare, lists in [ ].";
    InvalidName => "wxc::invalid-name", Error, "A flow name, node key, output, branch or header name breaks the naming rules.", "Rename it following the rule in the message; node keys are what diffs and references use, so pick a short, stable name.";
    InvalidVariableName => "wxc::invalid-variable-name", Error, "A custom variable name uses characters other than letters, digits, `_` and `-`.", "Rename the custom variable using only letters, digits, `_` and `-`, and update every `$(...)` that reads it.";
    TooLong => "wxc::too-long", Error, "A value is longer than the platform allows (correlation id: 250 characters).", "Shorten the value to the platform's limit (a correlation id takes at most 250 characters).";
    UnknownNodeType => "wxc::unknown-node-type", Error, "A node `type` other than http, branch, evaluate, call_flow.", "Use one of the node types wxcflow models: http, branch, evaluate or call_flow.";
    FieldNotAllowed => "wxc::field-not-allowed", Error, "A field that belongs to another node type.", "Move the field to a node of the type it belongs to, or remove it; the node table in docs/spec.md lists each type's fields.";
    InvalidTrigger => "wxc::invalid-trigger", Error, "The trigger is not a webhook, or its sample body is not a JSON object.", "Use `type = \"webhook\"` with an `event`, and a `sample` that is a JSON object such as '{\"hook\": \"null\"}'.";
    InvalidMethod => "wxc::invalid-method", Error, "An HTTP method other than GET, POST, PUT, PATCH, DELETE.", "Use GET, POST, PUT, PATCH or DELETE.";
    BodyNotAllowed => "wxc::body-not-allowed", Error, "A request body on GET or DELETE (the platform sends bodies only for POST, PUT, PATCH).", "Remove the body, or use POST, PUT or PATCH: the platform sends no body with GET or DELETE.";
    InvalidTimeout => "wxc::invalid-timeout", Error, "A connection or request timeout outside 1..=20000 ms.", "Give the timeout in milliseconds, from 1 to 20000.";
    InvalidJsonPath => "wxc::invalid-jsonpath", Error, "An output JSONPath that does not parse.", "Write the output as a JSONPath starting with `$`, e.g. `$.token` or `$.items[0].id`.";
    InvalidUrl => "wxc::invalid-url", Error, "A URL that is neither http(s) nor a `$(variable)`, or holds a control character.", "Write a whole http:// or https:// URL, or a `$(variable)` that holds one.";
    InvalidHeaderValue => "wxc::invalid-header-value", Error, "An HTTP header value typed with a line break or another control character, which no HTTP request can carry.", "Write the header value on one line, without control characters (a tab is allowed); a value that must vary belongs in a `$(variable)`.";
    InvalidCondition => "wxc::invalid-condition", Error, "A branch condition with an unknown operator or a missing value.", "Use one of the 15 operators listed in docs/spec.md and give every condition its value (`between` also needs `upper`).";
    DuplicateName => "wxc::duplicate-name", Error, "Two branches, choices, outputs or outcomes share a name.", "Give each branch, choice, output or outcome of one node (or each flow outcome) its own name.";
    InvalidId => "wxc::invalid-id", Error, "A pinned node id below 3 (n2 is the Start node) or used twice.", "Pin ids from n3 upwards (n2 is the Start node), each at most once, or leave `id` out and let wxcflow number the node.";
    UnknownOutcome => "wxc::unknown-outcome", Error, "`next` or an action names an outcome the node does not have.", "Use an outcome the node type has (the node table in docs/spec.md lists them), or the name of one of its branches or choices.";
    UnwiredOutcome => "wxc::unwired-outcome", Error, "A node outcome that leads nowhere (Flow Builder refuses to save it).", "Wire the outcome in the node's `next`, to a node key or to `end:<flow outcome>`.";
    UnknownTarget => "wxc::unknown-target", Error, "An outcome leads to a node or flow outcome that does not exist.", "Point the outcome at an existing node key, or at `end:` followed by a flow outcome (Success, Error, Incomplete or one under [outcomes]).";
    UnreachableNode => "wxc::unreachable-node", Warning, "No path from the Start node reaches this node.", "Wire an outcome of a reachable node to it, or remove the node if it is no longer needed.";
    UnterminatedReference => "wxc::unterminated-reference", Error, "A `$(` without its closing `)`.", "Close the reference with `)`; write the text `$(` literally only where no reference is meant.";
    UndefinedVariable => "wxc::undefined-variable", Error, "`$(name)` names no custom or system variable.", "Declare the variable under [variables], or correct the name to an existing custom or system variable.";
    UnknownNode => "wxc::unknown-node", Error, "`$(node.output)` names a node that does not exist.", "Name an existing node key before the `.`, or `start` for a field of the webhook body.";
    UnknownOutput => "wxc::unknown-output", Error, "`$(node.output)` names an output the node does not produce.", "Use an output the node declares under `outputs` (or, for HTTP nodes, one of the `https.*` outputs), or declare it.";
    InvalidAssignment => "wxc::invalid-assignment", Error, "A transition action assigns something other than a custom variable.", "Assign only custom variables declared under [variables] in `set`.";
    TooManyAssignments => "wxc::too-many-assignments", Warning, "More than 30 assignments in one transition action.", "Split the assignments over `on_enter` and `on_leave`, or over more than one node.";
    InvalidOutcome => "wxc::invalid-outcome", Error, "A flow outcome with a bad name, status code or notify URL.", "Name the flow outcome with letters, digits, spaces, `_` and `-`, give it a status code from 0 to 999999 and, if any, an http(s) notify URL.";
    UncheckedStatus => "wxc::unchecked-status", Warning, "An HTTP node's outputs are used but no later branch checks `https.statusCode` (4xx/5xx leave through onSuccess).", "Add a branch after the HTTP node that checks `$(node.https.statusCode)` before its outputs are used: 4xx and 5xx replies also leave through onSuccess.";
    SecretInRequest => "wxc::secret-in-request", Error, "A secret (variable, output, or a value derived from one) is sent in a URL, body or non-credential header, or put in the correlation id or a notify URL.", "Send the secret in a header listed under [flow] credential_headers, to a URL its variable's `send_to` names; keep it out of URLs, bodies and other headers.";
    SecretToPlainVariable => "wxc::secret-to-plain-variable", Error, "A secret reaches a custom variable that is not declared secret (through a template or a transition action).", "Declare the receiving variable `secret = true`, or assign it something that holds no secret.";
    SecretOutsideVariable => "wxc::secret-outside-variable", Error, "A secret template parameter is rendered somewhere other than a secret variable's default.", "Put the secret parameter in a secret variable's default (`default = \"{{ name }}\"`, `secret = true`) and write `$(Variable)` where it is needed.";
    CredentialOutsideUrl => "wxc::credential-outside-url", Error, "A template parameter whose value is a URL carrying a credential (user information, `?apikey=`) is rendered where no reader takes it as that URL (a description, a sample, a header, a URL past its start).", "Begin a variable's default with the parameter (`default = \"{{ url }}\"`) and write `$(Variable)` where it is needed; elsewhere name the service without its credential.";
    SecretComputed => "wxc::secret-computed", Error, "A template computes with a secret parameter (conditions, filters, slices, includes) instead of substituting it whole.", "Substitute the secret whole, as `{{ name }}` in a secret variable's default; compute nothing with it in templates.";
    SecretInCondition => "wxc::secret-in-condition", Error, "A branch condition or script compares a secret (or a plain variable a request sends as a credential) with anything but emptiness: the branch taken would tell the secret.", "Test only whether the secret is set (`equals` or `not_equals` \"\"); keep it out of Evaluate scripts.";
    SecretToOtherDestination => "wxc::secret-to-other-destination", Error, "A secret is sent in a credential header to a URL its variable's `send_to` does not name (secret outputs are never sent).", "Add the URL to the secret variable's `send_to` if that service is meant to receive it; assign a secret output to such a variable before sending it.";
    PathChosenAtRunTime => "wxc::path-chosen-at-run-time", Warning, "A credential header goes to a URL below its variable's `send_to`, whose path past it reads a value the run chooses (a trigger's or a reply's, or a variable an action sets): a value such as `../admin` would lead it elsewhere.", "Make sure the service rejects such values, or write that part of the path as text or through a variable nothing sets while the flow runs.";
    InvalidSample => "wxc::invalid-sample", Error, "An HTTP node's sample reply is not valid JSON.", "Paste the reply body exactly as the service sends it, as JSON.";
    OutputNotInSample => "wxc::output-not-in-sample", Warning, "An HTTP output's JSONPath finds nothing in the node's sample replies, so Parse would not offer it.", "Add a sample reply that holds the path, or correct the output's JSONPath.";
    OutputBeforeRun => "wxc::output-before-run", Error, "A node output is read on a path where that node has not run.", "Read the output only after the node on every path (or copy it into a variable where it is set and test that).";
    EndlessLoop => "wxc::endless-loop", Error, "Nodes that lead only to one another: a run that enters the loop never ends.", "Give one node of the loop an outcome that leaves it, to another node or an end.";
    CaseCollision => "wxc::case-collision", Warning, "Two variables, node keys, branch names or flow outcomes differ only by case.", "Rename one of them so that the names differ by more than case.";
    ReservedVariableName => "wxc::reserved-variable-name", Error, "A custom variable named like a system variable (`flid`).", "Rename the custom variable: `$(flid)` reads the platform's own value.";
    PerOutcomeAction => "wxc::per-outcome-action", Error, "An on-leave action names an outcome, which Flow Builder documents no way to choose, without `[flow] per_outcome_actions = true`.", "Set the variable on entering a node that only that outcome leads to, or opt into the assumption with [flow] per_outcome_actions = true.";
    Assumption => "wxc::assumption", Warning, "The flow relies on behaviour Cisco does not document (an assumption the spec opted into, or an assignment reading a variable its own action sets).", "Check in Flow Builder that it behaves as assumed, then keep the spec as it is.";
    ResultNotAssigned => "wxc::result-not-assigned", Error, "A path ends in Success without assigning a `result` variable.", "Assign the `result` variable on every path that ends in Success, in an action or behind a branch that checks it is not empty.";
    UnusedVariable => "wxc::unused-variable", Warning, "A custom variable that nothing reads.", "Remove the variable, or read it where it was meant to be used.";
    SchemaViolation => "wxc::schema-violation", Error, "A flow document breaks the flow-document schema: one read back (check, diff, decompile), or one the compiler emitted (a wxcflow bug: please report it).", "A document read back: build it again from its spec with `wxcflow build`. One the compiler emitted: a wxcflow bug, not a problem in the spec; please report it with the spec that triggers it.";
    WorkflowOutput => "wxc::workflow-output", Error, "Writing a `.workflow` export was requested; those are encrypted with Cisco's key.", "Write the flow document (.flow.json) and follow its build sheet (`wxcflow sheet`) in Flow Builder instead.";
    InvalidParam => "wxc::invalid-param", Error, "A `[params]` declaration with an unknown type or a default of the wrong type.", "Use a parameter type of string, integer, boolean or url, with a default of that type or `required = true`.";
    MissingParam => "wxc::missing-param", Error, "A tenant file lacks a required parameter.", "Add the parameter to the tenant file, or give it a default in the template.";
    UnknownParam => "wxc::unknown-param", Error, "A tenant file sets a parameter the template does not declare.", "Remove the key from the tenant file or correct its spelling to a parameter the template declares.";
    ParamType => "wxc::param-type", Error, "A tenant value has the wrong type for its parameter.", "Write the tenant value with the parameter's type, or as { env = \"NAME\" } or { file = \"PATH\" } for a secret.";
    SecretUnavailable => "wxc::secret-unavailable", Error, "A secret's environment variable is unset or empty, or its file cannot be read or is empty.", "Set the environment variable, or create the file (read relative to the tenant file, inside its folder or a --secrets-dir), before building for this tenant.";
    UndefinedTemplateVariable => "wxc::undefined-template-variable", Error, "A template names a parameter that does not exist.", "Declare the parameter under [params], or correct the name in the template.";
    TemplateError => "wxc::template-error", Error, "A template does not parse, fails, or uses more than substitution and choice.", "Fix the template expression shown; write `{{ \"{\" }}{` for a literal `{{`.";
    InvalidSwitch => "wxc::invalid-switch", Error, "A node's `enabled` switch is not true or false, or its `bypass` outcome is missing.", "Make `enabled` render to true or false, and give the node a `bypass` outcome that is wired in its `next`.";
    TooLarge => "wxc::too-large", Error, "An input over wxcflow's limits: 10 MB a file (the platform's own flow size limit), 10,000 nodes.", "Split the input: a file may hold at most 10 MB and a flow at most 10,000 nodes.";
    LiteralSecret => "wxc::literal-secret", Warning, "A secret (or what looks like a Webex access token) written literally in a tenant file.", "Take the value from the environment or a file outside the repository: { env = \"NAME\" } or { file = \"PATH\" }.";
    InvalidFlowDesigner => "wxc::invalid-flow-designer", Error, "A Flow Designer export or spec without the FlowVersionRes shape: a missing or mistyped field, a link to an activity that does not exist.", "Export the flow again from Flow Designer, or fix the field or link the message names.";
    NotRebuildable => "wxc::not-rebuildable", Warning, "A Flow Designer export that breaks the Flow Designer schema (`check` says where): the spec `decompile` writes from it keeps everything, and `build` refuses it as it is.", "Mend the spec where `wxcflow build SPEC --target flow-designer` says, or the flow in Flow Designer, then export it again.";
    KeyGivenTwice => "wxc::key-given-twice", Error, "A Flow Designer export or flow document whose JSON gives an object's key twice: which value counts depends on the reader, and a review of one says nothing of the other.", "Keep one of the members and delete the others, so that what is reviewed is what is read.";
    CleartextCredential => "wxc::cleartext-credential", Warning, "A credential typed in clear in a Flow Designer flow: a passphrase or token in a header or URL, or in a variable not marked secure.", "Move the credential into a variable marked secure (isSecure) and reference it, or take it from a secure subflow input.";
    HttpWithoutErrorPath => "wxc::http-without-error-path", Warning, "A Flow Designer HTTP activity whose failure nothing tests: no condition reads its `httpStatusCode`.", "Add a condition after the HTTP activity that tests its `httpStatusCode`, so a failed request takes its own path.";
    UnreachableActivity => "wxc::unreachable-activity", Warning, "A Flow Designer activity that no path from a start or event activity reaches.", "Link the activity from a reachable one, or remove it.";
    UnknownPort => "wxc::unknown-port", Error, "A Flow Designer link leaves from a port its activity does not have.", "Link from a port the activity has (the message lists them); the export may have been edited by hand.";
    UnknownReference => "wxc::unknown-reference", Warning, "A Flow Designer expression reads a variable or activity the flow does not have.", "Correct the name to a variable or activity of the flow (names are case-sensitive), or declare the variable; Pebble reads an unknown name as empty, silently.";
    PebbleSyntax => "wxc::pebble-syntax", Error, "A Flow Designer template or expression Pebble cannot parse: a `{{` without its `}}`, a string or bracket left open, braces around no `key: value` (`{{{Name}}}`).", "Fix the template at the place shown; where a literal `{` comes right before `{{`, write it `{{ \"{\" }}`.";
    SecureInCondition => "wxc::secure-in-condition", Warning, "A Flow Designer condition or case reads a secure variable (or one named as holding a secret) other than to test whether it is set: the path a call takes, shown in the editor's and run's traces, tells something of its value.", "Check the secret where it is used (let the service that receives it check it) instead of branching on it in the flow; testing only whether it is set (`is empty`, `is not empty`, `== \"\"`) is not told.";
    SecretNotSecure => "wxc::secret-not-secure", Warning, "A Flow Designer variable named as holding a card number, CVV, PIN, password, passphrase, token, secret or API key is not marked Secure.", "Mark the variable Secure in Flow Designer (`isSecure` in the export), as Cisco's templates tell users to for sensitive inputs; rename it if it holds nothing sensitive.";
    NotExpressible => "wxc::not-expressible", Error, "The spec says something Flow Designer cannot express; the message names the construct.", "Change the spec so it uses what Flow Designer can carry (the message names the construct), or keep this flow on Webex Connect.";
    Approximated => "wxc::approximated", Warning, "Flow Designer carries a spec setting only approximately; the message says what and how.", "Check the setting in Flow Designer after importing; the message says how it was carried.";
    UnresolvedSubflow => "wxc::unresolved-subflow", Warning, "A Subflow handoff has no subflow id yet (written without `--subflow`): `push` looks the subflow up by name before importing, or refuses.", "Build with `--subflow NAME=FLOWID`, or let `wxcflow push` look the subflow up by name in the tenant; import it by hand only after choosing the subflow in Flow Designer.";
    NotCarried => "wxc::not-carried", Warning, "A spec setting Flow Designer has no place for is left out of the Flow Designer file (a correlation id, a Call Flow's entry node, a child's mappings when its spec is not found); the message names it.", "Check in Flow Designer after importing that the flow does without it (the message says what was left out), or remove the setting from the spec.";
    SecretFileNotAllowed => "wxc::secret-file-not-allowed", Error, "A secret file outside the tenant file's folder and every `--secrets-dir` (links followed), under /proc, /sys or /dev, or not a regular file.", "Keep the secret file in the tenant file's folder or below it, or name its folder with --secrets-dir (never /proc, /sys or /dev).";
    SecretValueInvalid => "wxc::secret-value-invalid", Error, "A secret value (from the environment or a file, or typed as a secret variable's default) holds a byte order mark, NUL or other control character, beyond one trailing newline of a file or variable; or a secret variable's value holds what no request header carries (a letter beyond ASCII).", "Write the secret as one line of visible ASCII and spaces, without control characters (tab included) or byte order mark; one trailing newline, LF or CRLF, is removed.";
    RunStopped => "wxc::run-stopped", Error, "A local run of a Flow Designer flow stopped before an end: an activity it does not run, a link missing, an expression it cannot evaluate; the message names the activity.", "The run stops rather than guess: give the answer it lacks (a link, a mocked reply, a subflow with --flows), or see docs/flow-designer.md for what a run carries out.";
    InvalidInputs => "wxc::invalid-inputs", Error, "A run's `--inputs` file names a variable or activity the flow does not have, or a field of an activity it never reads, or gives a value its variable's type cannot hold.", "Name the flow's variables (or an activity, as a table of its fields) exactly as the flow spells them, with values of their type.";
    OverFlowSize => "wxc::over-flow-size", Warning, "The flow document built is over 10 MB, the platform's documented flow size limit: Flow Builder may refuse the flow, and wxcflow's check, diff, graph and decompile do not read it back (inspect and textconv do).", "Split the flow: move a part into a child flow called with Call Flow.";
    Io => "wxc::io", Error, "A file a render reads or writes could not be: a tenant file, or the document written for it (a folder or a FIFO in its place, no permission, no space); the message gives the file system's words.", "Do what the message says (remove what is in the way, give the permission, free space), then render again.";
}

/// Where a diagnostic points: a file and a 1-based line and column (in characters), plus the byte range.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Span {
    /// The name of the file, as the command was given it.
    pub file: String,
    /// The 1-based line.
    pub line: usize,
    /// The 1-based column, counted in characters.
    pub column: usize,
    /// The byte range in the file's text; not part of the JSON output.
    #[serde(skip)]
    pub bytes: Range<usize>,
}

/// One problem found in the input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// The stable code, serialised as its string (`wxc::unknown-key`).
    #[serde(serialize_with = "serialize_code")]
    pub code: Code,
    /// Whether it stops the build; always the code's own severity.
    pub severity: Severity,
    /// What is wrong, in one sentence that names the offending value.
    pub message: String,
    /// Where in the input, when the problem has a place.
    pub span: Option<Span>,
    /// How to fix it, when there is more to say than the message.
    pub help: Option<String>,
    /// Another place the problem involves: for a tenant's problem (located in the tenant file),
    /// the template's declaration of the parameter. Boxed: most diagnostics have none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) related: Option<Box<Related>>,
}

/// A place a diagnostic involves besides its own, and what it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct Related {
    /// Where.
    pub span: Span,
    /// What is there: "the template declares the parameter here".
    pub note: String,
}

fn serialize_code<S: serde::Serializer>(code: &Code, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(code.as_str())
}

impl Diagnostic {
    /// A diagnostic with the code's severity, no place and no help.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: code.severity(),
            message: message.into(),
            span: None,
            help: None,
            related: None,
        }
    }

    /// Adds a related place (when there is one) and what it is.
    pub fn with_related(mut self, span: Option<Span>, note: impl Into<String>) -> Self {
        if let Some(span) = span {
            self.related = Some(Box::new(Related {
                span,
                note: note.into(),
            }));
        }
        self
    }

    /// Points the diagnostic at a place in the input (or at none).
    pub fn with_span(mut self, span: Option<Span>) -> Self {
        self.span = span;
        self
    }

    /// Adds how to fix the problem.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub(crate) fn with_optional_help(mut self, help: Option<String>) -> Self {
        if help.is_some() {
            self.help = help;
        }
        self
    }

    /// Whether the diagnostic fails the build.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// A named text that spans point into.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// The name diagnostics show: the path as given, or a name such as `<stdin>`.
    pub name: String,
    /// The whole text, as read.
    pub text: String,
    /// Byte offset of each line's start, so that locating a span is a binary search: found
    /// when a span is first located (a file read without a problem to place, an export of
    /// 150 MB among them, never needs them).
    line_starts: std::sync::OnceLock<Vec<usize>>,
    /// How many characters precede each [`CHAR_MARK`]-th byte (floored to a character's
    /// start), found when a column is first counted on a long line: counting from the line's
    /// start at every place made a line of many values quadratic.
    char_marks: std::sync::OnceLock<Vec<(usize, usize)>>,
    /// Byte ranges that hold secret values (a secret written literally): a quoted line shows
    /// them as the mask.
    secret: Vec<Range<usize>>,
    /// `secret` sorted for lookups ([`SourceFile::secret_at`]), made when first needed after a
    /// change: a file with thousands of hidden values and as many diagnostics stays linear.
    secret_index: std::sync::OnceLock<Box<SecretIndex>>,
    /// The last string literal [`SourceFile::span_in_string`] read, as [`literal_places`] reads
    /// it: a check reporting many places in one long string reads the string once.
    last_literal: std::sync::Arc<std::sync::Mutex<Option<LastLiteral>>>,
    /// No line of it is quoted at all, and its places are told as they are in the file (see
    /// [`SourceFile::values_hidden`]).
    unquoted: bool,
}

/// Hidden ranges by start, with the furthest end of any range starting at or before each.
#[derive(Clone, Debug, Default)]
struct SecretIndex {
    starts: Vec<usize>,
    furthest_ends: Vec<usize>,
}

/// A literal's byte range in the file, and how it reads ([`literal_places`]).
type LastLiteral = (Range<usize>, Option<Read>);

/// A string literal as TOML reads it, with where each byte boundary of that stands in the literal.
type Read = (String, Vec<u32>);

impl SourceFile {
    /// A named text, indexed by line so that spans can be located.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        SourceFile {
            name: name.into(),
            text: text.into(),
            line_starts: Default::default(),
            char_marks: Default::default(),
            secret: Vec::new(),
            secret_index: Default::default(),
            last_literal: Default::default(),
            unquoted: false,
        }
    }

    /// Byte offset of each line's start.
    pub(crate) fn line_starts(&self) -> &[usize] {
        self.line_starts.get_or_init(|| {
            // memchr's search: a Flow Designer export of 150 MB has 4.8 million lines, whose
            // starts `str::match_indices` took a tenth of a second to find.
            std::iter::once(0)
                .chain(memchr::memchr_iter(b'\n', self.text.as_bytes()).map(|i| i + 1))
                .collect()
        })
    }

    /// The text with every hidden range shown as the mask, for printing a whole file.
    pub fn shown_text(&self) -> String {
        let mut ranges = self.secret.clone();
        ranges.sort_by_key(|r| r.start);
        let mut out = String::with_capacity(self.text.len());
        let mut at = 0;
        for r in ranges {
            if r.start < at || r.end > self.text.len() {
                continue;
            }
            out.push_str(&self.text[at..r.start]);
            out.push_str(crate::secret::MASK);
            at = r.end;
        }
        out.push_str(&self.text[at..]);
        out
    }

    /// The line and column (1-based, in characters) at which `byte` shows once every hidden
    /// range is shown as the mask. A place inside a hidden range shows at the mask's start. In a
    /// file no line of which is quoted ([`SourceFile::values_hidden`]), the line alone is told
    /// (column 1): which of its values are secret is not known, and where reading stopped on a
    /// line would tell how long a value before it is.
    pub fn shown_position(&self, byte: usize) -> (usize, usize) {
        let place = self.span(byte..byte);
        if self.unquoted {
            return (place.line, 1);
        }
        let line_start = self.line_starts()[place.line - 1];
        let target = place.bytes.start;
        let mask_width = crate::secret::MASK.chars().count();
        let mut column = 1;
        let mut at = line_start;
        if line_start == 0 && self.text.starts_with('\u{feff}') {
            at = '\u{feff}'.len_utf8();
        }
        while at < target {
            if let Some(hidden_end) = self.secret_at(at) {
                if hidden_end > target {
                    break;
                }
                column += mask_width;
                at = hidden_end;
                continue;
            }
            at += self.text[at..].chars().next().map_or(1, char::len_utf8);
            column += 1;
        }
        (place.line, column)
    }

    /// A copy no line of which is quoted: for a file of values (a tenant file, an inputs file)
    /// that did not read, so that which of its values are secret is not known, nor what its
    /// lines are: a line that does not read as `key = value` may be a bare token (a secret pasted
    /// into the folder by mistake), a line of a multi-line string, or a key that is a secret.
    /// The diagnostic still says where, by the file's own line and column: a line shown as the
    /// mask would leave no column to tell but the mask's. Every line is hidden whole too, for
    /// whatever shows the text.
    pub fn values_hidden(&self) -> SourceFile {
        let mut quoted = self.clone();
        quoted.unquoted = true;
        let mut at = 0;
        for line in self.text.split_inclusive('\n') {
            let shown = line.trim_end_matches(['\n', '\r']).len();
            if shown > 0 {
                quoted.hide(at..at + shown);
            }
            at += line.len();
        }
        quoted
    }

    /// Marks a byte range as holding a secret value: never quoted.
    pub fn hide(&mut self, range: Range<usize>) {
        self.secret.push(range);
        self.secret_index = Default::default();
    }

    /// Where the hidden text around byte `at` ends, when `at` is hidden: the furthest end of
    /// the hidden ranges that hold it.
    pub(crate) fn secret_at(&self, at: usize) -> Option<usize> {
        let index = self.secret_index.get_or_init(|| {
            let mut ranges = self.secret.clone();
            ranges.sort_unstable_by_key(|r| r.start);
            let mut furthest = 0;
            let furthest_ends = (ranges.iter())
                .map(|r| {
                    furthest = furthest.max(r.end);
                    furthest
                })
                .collect();
            Box::new(SecretIndex {
                starts: ranges.iter().map(|r| r.start).collect(),
                furthest_ends,
            })
        });
        let before = index.starts.partition_point(|&start| start <= at);
        let end = *index.furthest_ends.get(before.checked_sub(1)?)?;
        (end > at).then_some(end)
    }

    /// The byte ranges marked as holding secret values, in the order they were marked.
    pub fn hidden(&self) -> &[Range<usize>] {
        &self.secret
    }

    /// `sources` with the spans in `secret` hidden, each in the file it names: a copy of a file
    /// holding one, the file itself otherwise (an export can be hundreds of megabytes).
    pub fn hiding<'a>(
        sources: &[&'a SourceFile],
        secret: &[Span],
    ) -> Vec<std::borrow::Cow<'a, SourceFile>> {
        sources
            .iter()
            .map(|&s| match secret.iter().any(|span| span.file == s.name) {
                true => {
                    let mut copy = s.clone();
                    copy.hide_spans(secret);
                    std::borrow::Cow::Owned(copy)
                }
                false => std::borrow::Cow::Borrowed(s),
            })
            .collect()
    }

    /// Hides the spans of `secret` that are in this file.
    pub fn hide_spans(&mut self, secret: &[Span]) {
        for span in secret.iter().filter(|span| span.file == self.name) {
            self.secret.push(span.bytes.clone());
        }
        self.secret_index = Default::default();
    }

    /// The span of `inner` (a byte range of `value`) inside the string literal at `outer`,
    /// escapes and line-ending backslashes read as TOML reads them. When the literal does not
    /// read as `value` (a value not written as one literal), the whole literal is used.
    pub fn span_in_string(&self, outer: Range<usize>, value: &str, inner: Range<usize>) -> Span {
        let place = |read: &Option<Read>| {
            let (_, at) = read.as_ref().filter(|(text, _)| text == value)?;
            Some((*at.get(inner.start)? as usize, *at.get(inner.end)? as usize))
        };
        let found = match self.last_literal.lock() {
            Ok(mut last) => {
                if last.as_ref().is_none_or(|(range, _)| *range != outer) {
                    let raw = self.text.get(outer.clone()).unwrap_or("");
                    *last = Some((outer.clone(), literal_places(raw)));
                }
                last.as_ref().and_then(|(_, read)| place(read))
            }
            // Poisoned by a panic elsewhere: read this once more.
            Err(_) => place(&literal_places(self.text.get(outer.clone()).unwrap_or(""))),
        };
        match found {
            Some((start, end)) => self.span(outer.start + start..outer.start + end),
            None => self.span(outer),
        }
    }

    /// Resolves a byte range to a located span. Out-of-range offsets are clamped, never a panic.
    pub fn span(&self, bytes: Range<usize>) -> Span {
        let start = floor_char_boundary(&self.text, bytes.start.min(self.text.len()));
        let end = floor_char_boundary(&self.text, bytes.end.clamp(start, self.text.len()));
        let line_starts = self.line_starts();
        let line = line_starts.partition_point(|&s| s <= start);
        let line_start = line_starts[line - 1];
        // A byte order mark is no column: editors do not show it.
        let marks = (self.text[line_start..start].chars())
            .take_while(|&c| c == '\u{feff}')
            .count();
        let column = self.chars_between(line_start, start) - marks + 1;
        Span {
            file: self.name.clone(),
            line,
            column,
            bytes: start..end,
        }
    }
}

/// How far apart [`SourceFile::chars_between`] marks character counts.
const CHAR_MARK: usize = 4096;

impl SourceFile {
    /// The number of characters in `text[from..to]` (both character starts).
    fn chars_between(&self, from: usize, to: usize) -> usize {
        if to - from <= CHAR_MARK {
            return self.text[from..to].chars().count();
        }
        let marks = self.char_marks.get_or_init(|| {
            let mut marks = Vec::with_capacity(self.text.len() / CHAR_MARK + 1);
            let (mut at, mut count) = (0, 0);
            for i in 0..=self.text.len() / CHAR_MARK {
                let next = floor_char_boundary(&self.text, i * CHAR_MARK);
                count += self.text[at..next].chars().count();
                at = next;
                marks.push((at, count));
            }
            marks
        });
        let before = |to: usize| {
            let (at, count) = marks[to / CHAR_MARK];
            count + self.text[at..to].chars().count()
        };
        before(to) - before(from)
    }
}

/// A TOML string literal (`raw`, delimiters included) as TOML reads it, with the byte offset in
/// `raw` of each byte boundary of what it reads (one more than its length: the end too); `None`
/// for text that is not one literal or whose escapes do not read.
fn literal_places(raw: &str) -> Option<Read> {
    let (quote, multiline) = if raw.starts_with("\"\"\"") || raw.starts_with("'''") {
        (&raw[..3], true)
    } else if raw.starts_with('"') || raw.starts_with('\'') {
        (&raw[..1], false)
    } else {
        // A bare value (no quotes): read as it stands.
        let places = (0..=raw.len())
            .map(|at| u32::try_from(at).ok())
            .collect::<Option<_>>()?;
        return Some((raw.to_string(), places));
    };
    let basic = quote.starts_with('"');
    let body_end = raw.len().checked_sub(quote.len())?;
    let mut at = quote.len();
    // TOML drops a newline right after the opening delimiter of a multi-line string.
    if multiline {
        at += ["\r\n", "\n"]
            .iter()
            .find(|nl| raw[at..].starts_with(**nl))
            .map_or(0, |nl| nl.len());
    }
    let (mut read, mut places) = (String::new(), Vec::new());
    while at < body_end {
        let rest = raw.get(at..body_end)?;
        let c = rest.chars().next()?;
        let (text, width) = match (basic, c) {
            (true, '\\') => {
                let next = rest[1..].chars().next()?;
                match next {
                    'u' | 'U' => {
                        let digits = if next == 'u' { 4 } else { 8 };
                        let hex = rest.get(2..2 + digits)?;
                        let code = char::from_u32(u32::from_str_radix(hex, 16).ok()?)?;
                        (code.to_string(), 2 + digits)
                    }
                    'b' => ("\u{8}".into(), 2),
                    't' => ("\t".into(), 2),
                    'n' => ("\n".into(), 2),
                    'f' => ("\u{c}".into(), 2),
                    'r' => ("\r".into(), 2),
                    'e' => ("\u{1b}".into(), 2),
                    '"' | '\\' => (next.to_string(), 2),
                    // A line-ending backslash: it, and the white space and line breaks after it,
                    // read as nothing.
                    _ if multiline => {
                        let after = rest[1..].trim_start_matches([' ', '\t', '\r', '\n']);
                        let skipped = &rest[1..rest.len() - after.len()];
                        if !skipped.contains('\n') {
                            return None;
                        }
                        (String::new(), rest.len() - after.len())
                    }
                    _ => return None,
                }
            }
            _ => (c.to_string(), c.len_utf8()),
        };
        places.extend(std::iter::repeat_n(u32::try_from(at).ok()?, text.len()));
        read.push_str(&text);
        at += width;
    }
    places.push(u32::try_from(at).ok()?);
    // Places inside a character that an escape wrote all stand at the escape: only boundaries
    // of what was read point into it, and those are its start.
    Some((read, places))
}

fn floor_char_boundary(text: &str, mut index: usize) -> usize {
    while index > 0 && !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

/// Text safe to print to a terminal: control characters other than line breaks and tabs (an
/// escape sequence in a value would recolour, retitle or rewrite the terminal) show as U+FFFD.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    replacing(text, |c| c.is_control() && c != '\n' && c != '\t')
}

/// `text` with every character `unsafe_char` picks shown as U+FFFD; borrowed when there is none.
fn replacing(text: &str, unsafe_char: impl Fn(char) -> bool) -> std::borrow::Cow<'_, str> {
    if text.chars().any(&unsafe_char) {
        text.chars()
            .map(|c| if unsafe_char(c) { '\u{fffd}' } else { c })
            .collect::<String>()
            .into()
    } else {
        text.into()
    }
}

/// A name (a file's, a path) safe to print within a line: every control character, line breaks
/// and tabs included, shows as U+FFFD, so that a name can neither forge a line of its own nor
/// rewrite the terminal; so do Unicode's line and paragraph separators (U+2028, U+2029), which
/// some log viewers break lines on, and the bidirectional controls (U+200E, U+200F, U+202A to
/// U+202E, U+2066 to U+2069), which make a name display as another.
pub fn printable_name(name: &str) -> std::borrow::Cow<'_, str> {
    replacing(name, breaks_a_line)
}

/// Whether a character may not be shown as it is within a line (see [`printable_name`]).
pub(crate) fn breaks_a_line(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}')
        || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

/// A JSON parser's message without the position it ends with (`at line 3 column 17`): the
/// column counts the characters of any secret before it on the line, which would tell its length.
pub(crate) fn json_message(e: &serde_json::Error) -> String {
    let message = e.to_string();
    let position = format!(" at line {} column {}", e.line(), e.column());
    message
        .strip_suffix(&position)
        .unwrap_or(&message)
        .to_string()
}

/// A serde message about a TOML value in TOML's words: tables and arrays rather than maps and
/// sequences, "an integer" rather than `i64`, "a table" rather than the Rust struct that reads it.
pub fn in_toml_terms(message: &str) -> String {
    // Whole phrases only: the message may quote a value found, which may hold any word.
    let mut text = without_value(message)
        .replace(
            "data did not match any variant of untagged enum Switch",
            "expected true, false or a template (\"{{ name }}\")",
        )
        .replace("invalid type: map,", "invalid type: table,")
        .replace("invalid type: sequence,", "invalid type: array,")
        .replace("expected a map", "expected a table")
        .replace("expected a sequence", "expected an array");
    for rust in ["i64", "i32", "u64", "u32", "u16", "u8", "usize"] {
        if let Some(rest) = text.strip_suffix(&format!("expected {rust}")) {
            text = format!("{rest}expected an integer");
        }
    }
    // `expected struct FlowSection` names the Rust type that reads the table; it ends the message.
    if let Some(at) = text.rfind("expected struct ") {
        let name = &text[at + "expected struct ".len()..];
        if name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            text.replace_range(at.., "expected a table");
        }
    }
    text
}

/// What a whole number past TOML's 64 bits is told as (the reader calls it a wrong type).
pub(crate) const INTEGER_TOO_LARGE: &str =
    "an integer too large (TOML integers are 64-bit: at most 9223372036854775807)";

/// Whether `text` (the TOML a reader's error points at) is a whole number past 64 bits.
pub(crate) fn integer_too_large(text: Option<&str>) -> bool {
    text.is_some_and(|text| {
        let digits = text.trim().replace('_', "");
        let unsigned = digits.trim_start_matches(['+', '-']);
        !unsigned.is_empty()
            && unsigned.bytes().all(|b| b.is_ascii_digit())
            && digits.parse::<i64>().is_err()
    })
}

/// A wrong-type message ("invalid type: integer `12345678`, expected a string") with the value
/// found left out ("invalid type: integer, expected a string"). The value may stand where a
/// secret belongs (a secret variable's default, a secret parameter, a secret input), and which
/// places are secret is not known where the message is worded, so no wrong-type message quotes
/// a value: the diagnostic's span points at it, and the quoted line masks it when it is secret.
pub(crate) fn without_value(message: &str) -> String {
    for lead in ["invalid type: ", "invalid value: "] {
        let Some(found) = message.strip_prefix(lead) else {
            continue;
        };
        // The expected part is worded by the reader, never from the file; the found part may
        // hold any text (a string value with ", expected " in it), so the last one is the end.
        let (found, expected) = match found.rfind(", expected ") {
            Some(at) => found.split_at(at),
            None => (found, ""),
        };
        let kind = [
            ("string", "string"),
            ("integer", "integer"),
            ("floating point", "float"),
            ("boolean", "boolean"),
            ("character", "character"),
            ("byte array", "byte array"),
        ]
        .iter()
        .find(|(serde, _)| found.starts_with(serde))
        .map(|(_, toml)| *toml);
        let kind = match kind {
            Some(kind) => kind,
            // "map", "sequence", "unit value": a kind with no value in it.
            None if !found.contains(['`', '"', '\'']) => found,
            None => "value",
        };
        return format!("{lead}{kind}{expected}");
    }
    message.to_owned()
}

/// JSON text with DEL and the C1 control characters (U+007F to U+009F) written as `\u` escapes:
/// serde_json writes them raw, and some terminals take U+009B for the start of an escape
/// sequence. Outside strings JSON holds none, so the text means the same.
pub fn escape_c1(json: String) -> String {
    if !json.chars().any(|c| ('\u{7f}'..='\u{9f}').contains(&c)) {
        return json;
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if ('\u{7f}'..='\u{9f}').contains(&c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// The closest candidate within a third of the word's length (case-insensitive match counts as 0).
/// Compares `word` with every candidate: for many words against many names, index the names
/// once with [`Suggestions`], which gives the same answers.
pub(crate) fn did_you_mean<'a, I>(word: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = &'a str>,
{
    let lower = word.to_lowercase();
    candidates
        .into_iter()
        .map(|c| {
            let distance = if c.to_lowercase() == lower {
                0
            } else {
                strsim::levenshtein(&lower, &c.to_lowercase())
            };
            (distance, c)
        })
        .filter(|(d, c)| *d <= (word.chars().count().max(c.chars().count()) / 3).max(1))
        .min()
        .map(|(_, c)| format!("did you mean `{c}`?"))
}

/// Diagnostics shown: for people (in human.rs), as JSON, counted.
impl Diagnostic {
    /// Renders diagnostics as a JSON array, one object per diagnostic, for CI. Columns are counted
    /// as the line is shown (see [`Diagnostic::shown`]), `sources` being the files as quoted.
    // `expect` below: Plain data with string keys always serialises.
    #[allow(clippy::expect_used)]
    pub fn render_json(diagnostics: &[Diagnostic], sources: &[&SourceFile]) -> String {
        // Serialising plain data with string keys cannot fail.
        escape_c1(
            serde_json::to_string_pretty(&Self::shown(diagnostics, sources))
                .expect("diagnostics serialise"),
        ) + "\n"
    }

    /// The diagnostics with each column counted as its line is shown: a secret hidden in `sources`
    /// counts as wide as the mask, so that no column tells a secret's length.
    pub fn shown(diagnostics: &[Diagnostic], sources: &[&SourceFile]) -> Vec<Diagnostic> {
        diagnostics
            .iter()
            .map(|d| {
                let mut d = d.clone();
                let related = d.related.as_mut().map(|r| &mut r.span);
                for span in d.span.iter_mut().chain(related) {
                    if let Some(source) = sources.iter().find(|s| s.name == span.file) {
                        span.column = source.shown_position(span.bytes.start).1;
                    }
                }
                d
            })
            .collect()
    }

    /// A short summary: "2 errors, 1 warning".
    pub fn summary(diagnostics: &[Diagnostic]) -> String {
        let errors = diagnostics.iter().filter(|d| d.is_error()).count();
        let warnings = diagnostics.len() - errors;
        let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
        format!(
            "{}, {}",
            plural(errors, "error"),
            plural(warnings, "warning")
        )
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_hidden_place_ends_where_the_furthest_range_holding_it_ends() {
        let mut source = super::SourceFile::new("f", "0123456789abcdef");
        for range in [8..10, 2..4, 3..7, 12..13] {
            source.hide(range);
        }
        let ends: Vec<Option<usize>> = (0..15).map(|at| source.secret_at(at)).collect();
        let hidden = |end| Some(end);
        assert_eq!(
            ends,
            [
                None,
                None,
                // 3..7 starts past 2: from 2, 2..4 alone is known to hold it.
                hidden(4),
                hidden(7),
                hidden(7),
                hidden(7),
                hidden(7),
                None,
                hidden(10),
                hidden(10),
                None,
                None,
                hidden(13),
                None,
                None
            ]
        );
        // A range hidden after a lookup counts at once.
        source.hide(0..1);
        assert_eq!(source.secret_at(0), Some(1));
    }

    /// Columns on lines far longer than the marks' spacing, characters of every width across
    /// the marks, a byte order mark first: as counting the line's characters says.
    #[test]
    fn columns_on_long_lines_count_characters_as_the_line_does() {
        let line: String = (0..3 * super::CHAR_MARK)
            .map(|i| ['a', 'é', '€', '𝄞'][i % 7 % 4])
            .collect();
        let text = format!("\u{feff}{line}\nshort\n{line}{line}\n");
        let source = super::SourceFile::new("f", text.clone());
        let line_start = |at: usize| text[..at].rfind('\n').map_or(0, |i| i + 1);
        for at in (0..text.len())
            .step_by(997)
            .filter(|&at| text.is_char_boundary(at))
        {
            let expected = text[line_start(at)..at]
                .trim_start_matches('\u{feff}')
                .chars()
                .count()
                + 1;
            assert_eq!(source.span(at..at).column, expected, "at {at}");
        }
    }

    use super::*;

    #[test]
    fn a_place_in_a_string_is_found_past_escapes_and_line_continuations() {
        // Each case: the file (one literal after `d = `), what TOML reads of the literal, and
        // where `urll` stands (line, column).
        let cases = [
            (
                "d = \"a\\tb \\u00e9 {{ urll }}\"\n",
                "a\tb \u{e9} {{ urll }}",
                (1, 21),
            ),
            (
                "d = \"\"\"\\\n    Pings, \\\n    日本 {{ urll }}\"\"\"\n",
                "Pings, 日本 {{ urll }}",
                (3, 11),
            ),
            ("d = \"\"\"\nx {{ urll }}\"\"\"\n", "x {{ urll }}", (2, 6)),
            ("d = '''\r\nx\\n {{ urll }}'''\n", "x\\n {{ urll }}", (2, 8)),
        ];
        for (text, value, (line, column)) in cases {
            let source = SourceFile::new("s.toml", text);
            let literal = 4..text.trim_end().len();
            let at = value.find("urll").unwrap();
            let span = source.span_in_string(literal, value, at..at + 4);
            assert_eq!((span.line, span.column), (line, column), "{text:?}");
            assert_eq!(&text[span.bytes], "urll", "{text:?}");
        }
        // A literal that does not read as the value: the whole literal.
        let source = SourceFile::new("s.toml", "d = \"a\\qb {{ x }}\"\n");
        let span = source.span_in_string(4..18, "a?b {{ x }}", 7..8);
        assert_eq!(span.bytes, 4..18);
    }

    #[test]
    fn suggestions_stay_close() {
        assert_eq!(
            did_you_mean("onSucess", ["onSuccess", "onError"]),
            Some("did you mean `onSuccess`?".into())
        );
        assert_eq!(did_you_mean("zzz", ["onSuccess", "onError"]), None);
    }
}
