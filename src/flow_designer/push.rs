//! What `wxcflow push` sends to Webex Contact Center's flow API and what it believes of the
//! answers, decided here without any I/O; the CLI sends the calls and prints the verdicts.
//!
//! - Where: [`Call::api_base`], the region's host, or an `--api-url` parsed as a URL: no user name or
//!   password in it, https, or plain http only to `localhost` or a loopback address.
//! - What: `POST .../flows:import?flowType=..&overwrite=..` (multipart, one part `file`) and, on
//!   request, `POST .../flows/{flowId}:publish?flowType=..` with a JSON `PublishParameters`
//!   body; both with a bearer token ([`Call::import`], [`Call::publish`]).
//! - What is believed: [`Answer::judge_import`] and [`Answer::judge_publish`]. No redirect is followed; a 429
//!   with `Retry-After` is retried a bounded number of times; an answer is read up to
//!   [`Call::MAX_ANSWER_BYTES`]; an import succeeded only when a 2xx JSON answer names the flow by an
//!   id of the shape real ids have (24 hex digits).
//! - Parents: a file whose subflow handoffs have no subflow id ([`unresolved_subflows`], as
//!   `build` writes them without `--subflow`) is never sent so: each subflow is first looked up
//!   by name ([`Call::lookup`], [`Answer::judge_lookup`]) and its ids written in ([`resolve_subflows`]);
//!   a subflow not found stops the push before the import.

use super::lower::SubflowIds;
use super::model::HANDOFF;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::net::IpAddr;
use url::{Host, Url};

/// The longest `Retry-After` waited for, in seconds; a longer one ends the push.
pub(crate) const MAX_RETRY_AFTER_SECS: u64 = 60;

/// One HTTP request. It holds the bearer token: never print it.
pub struct Call {
    /// The HTTP method (`POST`).
    pub method: &'static str,
    /// The flow-store endpoint, on the region's API base, with its query.
    pub url: String,
    /// Header name and value pairs, the `Authorization: Bearer` token among them.
    pub headers: Vec<(String, String)>,
    /// The request body: the multipart import form, or the publish parameters.
    pub body: String,
}

/// How a call is made: the flow-store calls a push makes, where they go, and how they may be
/// sent. The CLI sends them and hands each answer to [`Answer`]'s judges.
impl Call {
    /// The project id in Cisco's examples of the flow-store API.
    pub const DEFAULT_PROJECT: &'static str = super::sheet::PROJECT_ID;
    /// The most of an answer that is read; a longer one is a failure, and is not shown.
    pub const MAX_ANSWER_BYTES: u64 = 1024 * 1024;
    /// How many times a call answered 429 is sent again.
    pub const MAX_RETRIES: u32 = 3;
    /// The comment a publish carries unless `--comment` gives one.
    pub const DEFAULT_COMMENT: &'static str = "Published by wxcflow push";
    /// The environment variables a proxy is taken from, in the order they are read: the first
    /// one set is the proxy (as ureq reads them).
    pub const PROXY_VARIABLES: [&'static str; 6] = [
        "ALL_PROXY",
        "all_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
    ];

    /// The API's base URL, without a trailing `/`: the region's (`us1` ->
    /// `https://api.wxcc-us1.cisco.com`), or the one given. A given URL is parsed (WHATWG rules, as
    /// the HTTP client reads it) and refused when it has a user name or password, a query or a
    /// fragment, or when it is plain http to anything but `localhost` or a loopback address; https
    /// goes anywhere. A prefix match would let `http://localhost:1@192.0.2.2` through: the host is
    /// what the parser says it is.
    pub fn api_base(region: &str, api_url: Option<&str>) -> Result<String, ApiUrlError> {
        if let Some(given) = api_url {
            // The parser's error is its own fixed text, never the URL (which may hold a password).
            let url =
                Url::parse(given.trim()).map_err(|e| ApiUrlError::NotAbsolute(e.to_string()))?;
            if !url.username().is_empty() || url.password().is_some() {
                return Err(ApiUrlError::Credentials);
            }
            let scheme = url.scheme();
            if scheme != "https" && scheme != "http" {
                return Err(ApiUrlError::Scheme(scheme.to_string()));
            }
            let Some(host) = url.host() else {
                return Err(ApiUrlError::NoHost);
            };
            let origin = url.origin().ascii_serialization();
            if url.query().is_some() || url.fragment().is_some() {
                return Err(ApiUrlError::QueryOrFragment(origin));
            }
            if scheme == "http" && !is_loopback(&host) {
                return Err(ApiUrlError::PlainHttp(origin));
            }
            return Ok(url.as_str().trim_end_matches('/').to_string());
        }
        let letters = region.chars().take_while(char::is_ascii_lowercase).count();
        let valid = letters > 0
            && region.len() > letters
            && region[letters..].chars().all(|c| c.is_ascii_digit());
        if !valid {
            return Err(ApiUrlError::Region(region.to_string()));
        }
        Ok(format!("https://api.wxcc-{region}.cisco.com"))
    }

    /// Whether an org or project id is safe in a URL path.
    pub fn valid_id(id: &str) -> bool {
        !id.is_empty()
            && id.len() <= 64
            && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    }

    /// `POST .../flows:import?flowType=FLOW|SUBFLOW&overwrite=yes|no`, the file as the one form
    /// part `file` [api: `flowType` and `overwrite` are query parameters]. `overwrite` takes `yes`
    /// or `no` [assumed from the live contract, which types it as a string with those values and
    /// `no` as default; community].
    pub fn import(
        base: &str,
        org: &str,
        project: &str,
        file_name: &str,
        json: &str,
        options: &ImportOptions,
        token: &str,
    ) -> Call {
        let (content_type, body) = multipart(file_name, json);
        Call {
            method: "POST",
            url: format!(
                "{}:import?flowType={}&overwrite={}",
                flows_url(base, org, project),
                options.flow_type.as_str(),
                if options.overwrite { "yes" } else { "no" }
            ),
            headers: authorised(token, content_type),
            body,
        }
    }

    /// `POST .../flows/{flowId}:publish?flowType=..` with `publish_parameters`. The `flowType`
    /// query parameter is in the live contract \[community\]. `flow_id` is one [`Answer::judge_import`]
    /// accepted (24 hex digits), so it is safe in the path.
    pub fn publish(
        base: &str,
        org: &str,
        project: &str,
        flow_id: &str,
        flow_type: FlowType,
        comment: &str,
        token: &str,
    ) -> Call {
        Call {
            method: "POST",
            url: format!(
                "{}/{flow_id}:publish?flowType={}",
                flows_url(base, org, project),
                flow_type.as_str()
            ),
            headers: authorised(token, "application/json".into()),
            body: publish_parameters(comment),
        }
    }

    /// `GET .../flows?flowType=SUBFLOW&partialNameSearch=<name>&includePagination=true&size=100`:
    /// the subflows whose name holds `name` \[api: the list call; community: its query
    /// parameters, from the live contract\]. The answer is searched for the exact name
    /// ([`Answer::judge_lookup`]), so a server that ignores the search still answers rightly, as long as
    /// the subflow is on the first page.
    pub fn lookup(base: &str, org: &str, project: &str, name: &str, token: &str) -> Call {
        let search: String = url::form_urlencoded::byte_serialize(name.as_bytes()).collect();
        Call {
            method: "GET",
            url: format!(
                "{}?flowType=SUBFLOW&partialNameSearch={search}&includePagination=true&size=100",
                flows_url(base, org, project)
            ),
            headers: vec![
                ("Authorization".into(), format!("Bearer {token}")),
                ("Accept".into(), "application/json".into()),
            ],
            body: String::new(),
        }
    }

    /// Whether a call to `url` may go through a proxy named by the environment (`ALL_PROXY`,
    /// `HTTPS_PROXY`, `HTTP_PROXY`, and their lower-case forms; `NO_PROXY` lists hosts that go
    /// direct): https only, where the proxy sees a `CONNECT` and TLS runs end to end through it.
    /// Plain http, which goes to loopback only, never does: a proxy would read the request,
    /// bearer token included.
    pub fn may_use_proxy(url: &str) -> bool {
        Url::parse(url).is_ok_and(|u| u.scheme() == "https")
    }

    /// How a proxy is named in messages: `scheme://host:port`, never a user name or password.
    pub fn proxy_shown(scheme: &str, host: &str, port: u16) -> String {
        let scheme = if scheme.eq_ignore_ascii_case("https") {
            "https"
        } else {
            "http"
        };
        let host: String = host
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
            .collect();
        format!("{scheme}://{host}:{port}")
    }
}

/// What an answer means, for each call a push makes.
impl Answer {
    /// What a lookup's answer means: the one subflow named exactly `name` among the answer's
    /// `data` (the paginated list's array \[community\]), by the ids an import names a flow with
    /// (`flowId`, and `id` as its version when both are there; else `id`) [assumed: the list's
    /// entries are not published]. None, several, or an id not of the shape real ids have: a
    /// failure that names the subflow and says what to do.
    pub fn judge_lookup(&self, attempt: u32, request_url: &str, name: &str) -> Verdict<SubflowIds> {
        let map = match judge_common(Step::Lookup, self, attempt, request_url) {
            Verdict::Accepted(map) => map,
            Verdict::RetryAfter(secs) => return Verdict::RetryAfter(secs),
            Verdict::Failed(f) => return Verdict::Failed(f),
        };
        let shown = crate::diagnostic::printable_name(name);
        let fix = format!("push the subflow first (`wxcflow push {shown}.fd.json`), or build the parent with `--subflow {shown}=ID`");
        let Some(entries) = map.get("data").and_then(Value::as_array) else {
            return failed(
                FailureKind::NotTheApi,
                format!("looking up subflow `{shown}` was answered with HTTP {}, but the answer has no `data` list; it is not shown", self.status),
            );
        };
        let matching: Vec<&serde_json::Map<String, Value>> = entries
            .iter()
            .filter_map(Value::as_object)
            .filter(|e| e.get("name").and_then(Value::as_str) == Some(name))
            .collect();
        let entry = match matching.as_slice() {
            [one] => *one,
            [] => {
                return failed(
                    FailureKind::Refused,
                    format!("the parent calls subflow `{shown}`, which the tenant has not (no subflow of that name in the answer); {fix}"),
                )
            }
            several => {
                return failed(
                    FailureKind::Refused,
                    format!("the tenant has {} subflows named `{shown}`; build the parent with `--subflow {shown}=ID` to say which", several.len()),
                )
            }
        };
        let id = |field: &str| {
            entry
                .get(field)
                .map(|v| v.as_str().filter(|s| is_flow_id(s)))
        };
        match (id("flowId"), id("id")) {
            (Some(Some(flow)), Some(Some(version))) => Verdict::Accepted(SubflowIds {
                flow_id: flow.to_string(),
                version_id: version.to_string(),
            }),
            (Some(Some(flow)), None) | (None, Some(Some(flow))) => Verdict::Accepted(SubflowIds {
                flow_id: flow.to_string(),
                version_id: String::new(),
            }),
            _ => failed(
                FailureKind::NotTheApi,
                format!("subflow `{shown}` was found, but its `flowId` or `id` is not an id (24 hex digits, as real ids are); it is not shown"),
            ),
        }
    }

    /// What an import's answer means. Accepted only as a 2xx JSON object naming the flow by an id
    /// of the shape real ids have: `flowId` (and `id`, the version, when both are there), else `id`
    /// [assumed: the live contract answers a `BasicFlowDTO` and publishes none of its fields; an
    /// export, a FlowVersionRes, has `flowId` for the flow and `id` for the version]. An id field
    /// that is there but not 24 hex digits fails the import and is not printed.
    pub fn judge_import(&self, attempt: u32, request_url: &str) -> Verdict<Imported> {
        let map = match judge_common(Step::Import, self, attempt, request_url) {
            Verdict::Accepted(map) => map,
            Verdict::RetryAfter(secs) => return Verdict::RetryAfter(secs),
            Verdict::Failed(f) => return Verdict::Failed(f),
        };
        let status = self.status;
        for field in ["flowId", "id"] {
            if let Some(value) = map.get(field) {
                if !value.as_str().is_some_and(is_flow_id) {
                    return failed(
                        FailureKind::NotTheApi,
                        format!("the import was answered with HTTP {status}, but its `{field}` is not an id (24 hex digits, as real ids are); it is not shown"),
                    );
                }
            }
        }
        let id = |field: &str| map.get(field).and_then(|v| v.as_str()).map(String::from);
        match (id("flowId"), id("id")) {
            (Some(flow_id), version_id) => Verdict::Accepted(Imported {
                flow_id,
                version_id,
            }),
            (None, Some(flow_id)) => Verdict::Accepted(Imported {
                flow_id,
                version_id: None,
            }),
            (None, None) => failed(
                FailureKind::NotTheApi,
                format!("the import was answered with HTTP {status}, but the answer names no flow (no `flowId` or `id`): nothing shows the flow was imported"),
            ),
        }
    }

    /// What a publish's answer means: accepted as a 2xx JSON object (the published flow \[community\];
    /// its fields are not read).
    pub fn judge_publish(&self, attempt: u32, request_url: &str) -> Verdict<()> {
        match judge_common(Step::Publish, self, attempt, request_url) {
            Verdict::Accepted(_) => Verdict::Accepted(()),
            Verdict::RetryAfter(secs) => Verdict::RetryAfter(secs),
            Verdict::Failed(f) => Verdict::Failed(f),
        }
    }
}

/// Why an `--api-url` is refused. The messages never quote a user name or password.
/// Why push will not send to the API address it was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiUrlError {
    /// Not an absolute URL; the parser's own fixed text, never the URL.
    NotAbsolute(String),
    /// A user name or password (`user:pass@`): not repeated, it may be a secret.
    Credentials,
    /// A scheme other than http or https.
    Scheme(String),
    /// No host.
    NoHost,
    /// A query or fragment (the origin given).
    QueryOrFragment(String),
    /// Plain http to a host that is not loopback (the origin given).
    PlainHttp(String),
    /// Not a region name such as `us1`.
    Region(String),
}

impl std::fmt::Display for ApiUrlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApiUrlError::NotAbsolute(e) => write!(f, "--api-url: not an absolute URL ({e})"),
            ApiUrlError::Credentials => f.write_str("--api-url: a user name or password in the URL (`user:pass@`) is refused: the token goes in a header, and the host is what follows the `@`"),
            ApiUrlError::Scheme(scheme) => write!(f, "--api-url: `{scheme}:` URLs are refused: use https (or http to localhost)"),
            ApiUrlError::NoHost => f.write_str("--api-url: the URL names no host"),
            ApiUrlError::QueryOrFragment(origin) => write!(f, "--api-url: {origin}: give the API's base URL, without `?` or `#`"),
            ApiUrlError::PlainHttp(origin) => write!(f, "--api-url: {origin}: plain http goes only to localhost or a loopback address (127.0.0.0/8, [::1]); use https"),
            ApiUrlError::Region(region) => write!(f, "`{region}` is not a Webex Contact Center region (us1, eu1, eu2, anz1, ca1, jp1, sg1, ...)"),
        }
    }
}

impl std::error::Error for ApiUrlError {}

/// Whether plain http may go to this host: `localhost` or a loopback address (127.0.0.0/8,
/// `[::1]`), so that the token and the file never cross a network in clear.
pub(crate) fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(name) => name.eq_ignore_ascii_case("localhost"),
        Host::Ipv4(ip) => IpAddr::V4(*ip).is_loopback(),
        Host::Ipv6(ip) => IpAddr::V6(*ip).is_loopback(),
    }
}

/// Whether a flow or version id the server answers with has the shape real ones have: 24 hex
/// digits (a MongoDB ObjectId; every id in Cisco's exports, e.g. `6a1e35a078a3f98ba463c7d5`).
/// Only such an id is printed or put in a URL.
pub(crate) fn is_flow_id(id: &str) -> bool {
    id.len() == 24 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A file's `flowType` is neither FLOW nor SUBFLOW.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownFlowType;

impl std::fmt::Display for UnknownFlowType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the file's `flowType` is neither FLOW nor SUBFLOW")
    }
}

impl std::error::Error for UnknownFlowType {}

/// A flow file's type, sent as the `flowType` query parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowType {
    /// `FLOW`, the API's default.
    Flow,
    /// `SUBFLOW`: without it, a subflow is created as a flow \[api\].
    Subflow,
}

impl FlowType {
    /// The type a file's top-level `flowType` says: `FLOW` or `SUBFLOW`; absent or null (2023
    /// exports) is a FLOW, the API's default. Anything else is refused: it would be sent to the
    /// server as a query parameter.
    pub fn of_file(value: &serde_json::Value) -> Result<FlowType, UnknownFlowType> {
        match value.get("flowType") {
            None | Some(serde_json::Value::Null) => Ok(FlowType::Flow),
            Some(serde_json::Value::String(s)) if s == "FLOW" => Ok(FlowType::Flow),
            Some(serde_json::Value::String(s)) if s == "SUBFLOW" => Ok(FlowType::Subflow),
            Some(_) => Err(UnknownFlowType),
        }
    }

    /// The value the API takes.
    pub fn as_str(self) -> &'static str {
        match self {
            FlowType::Flow => "FLOW",
            FlowType::Subflow => "SUBFLOW",
        }
    }
}

fn flows_url(base: &str, org: &str, project: &str) -> String {
    format!("{base}/flow-store/{org}/project/{project}/flows")
}

/// The name a file is sent under in the form's `filename=`: its base name in ASCII, anything but
/// letters, digits, `.`, `_` and `-` made `_` (no quote, control character or path separator
/// reaches the header); `flow.json` when nothing is left.
pub(crate) fn form_file_name(file_name: &str) -> String {
    let base = file_name.rsplit(['/', '\\']).next().unwrap_or("");
    let safe: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if safe.trim_matches(['.', '_']).is_empty() {
        "flow.json".to_string()
    } else {
        safe
    }
}

/// A multipart form with one part, `file`; the boundary is derived from the file, so that it
/// never occurs in it.
pub(crate) fn multipart(file_name: &str, json: &str) -> (String, String) {
    let digest = Sha256::digest(json.as_bytes());
    let boundary: String = format!(
        "wxcflow-{}",
        digest
            .iter()
            .take(12)
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let safe_name = form_file_name(file_name);
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{safe_name}\"\r\nContent-Type: application/json\r\n\r\n{json}\r\n\
         --{boundary}--\r\n"
    );
    (format!("multipart/form-data; boundary={boundary}"), body)
}

fn authorised(token: &str, content_type: String) -> Vec<(String, String)> {
    vec![
        ("Authorization".into(), format!("Bearer {token}")),
        ("Content-Type".into(), content_type),
        ("Accept".into(), "application/json".into()),
    ]
}

/// What an import is given besides the file.
pub struct ImportOptions {
    /// The file's type, sent as `flowType`.
    pub flow_type: FlowType,
    /// Replace a flow of the same name (`overwrite=yes`) instead of being refused (409).
    pub overwrite: bool,
}

/// The publish call's JSON body, `PublishParameters` \[api\]: `{"comment": ...}`. Cisco names the
/// schema but publishes no field names [assumed: `comment`, as in a FlowVersionRes; no tag ids
/// are sent, so the server applies its default tag].
pub(crate) fn publish_parameters(comment: &str) -> String {
    serde_json::json!({ "comment": comment }).to_string()
}

/// The subflow names of the handoffs in a Flow Designer file (main process and event flows)
/// whose `subflowId` is not an id (24 hex digits): unresolved, as `build` writes a handoff
/// without `--subflow` (`subflowId` ""). Import could not bind such a handoff to a subflow.
pub fn unresolved_subflows(file: &Value) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for props in handoffs(file) {
        let id = props.get("subflowId").and_then(Value::as_str).unwrap_or("");
        if !is_flow_id(id) {
            let name = props
                .get("subflowName")
                .and_then(Value::as_str)
                .unwrap_or("");
            if !names.iter().any(|n| n == name) {
                names.push(name.to_string());
            }
        }
    }
    names
}

/// The properties of every `subflow-handoff` activity in a file.
fn handoffs(file: &Value) -> Vec<&Value> {
    let mut processes = vec![file.get("process")];
    if let Some(events) = file
        .pointer("/eventFlows/eventsMap")
        .and_then(Value::as_object)
    {
        processes.extend(events.values().map(|e| e.get("process")));
    }
    processes
        .into_iter()
        .flatten()
        .filter_map(|p| p.get("activities")?.as_object())
        .flat_map(|activities| activities.values())
        .filter_map(|a| a.get("properties"))
        .filter(|props| props.get("activityName").and_then(Value::as_str) == Some(HANDOFF))
        .collect()
}

/// Writes the ids found into every unresolved handoff of those subflows, in the activity and
/// in its diagram widget (which repeats the activity's properties).
pub fn resolve_subflows(file: &mut Value, found: &BTreeMap<String, SubflowIds>) {
    fn fill(props: &mut Value, found: &BTreeMap<String, SubflowIds>) {
        if props.get("activityName").and_then(Value::as_str) != Some(HANDOFF)
            || props
                .get("subflowId")
                .and_then(Value::as_str)
                .is_some_and(is_flow_id)
        {
            return;
        }
        let name = props
            .get("subflowName")
            .and_then(Value::as_str)
            .unwrap_or("");
        let Some(ids) = found.get(name) else {
            return;
        };
        // The description `build` wrote says the ids are not known: it now says what was found.
        let unresolved = super::lower::unresolved_note(name);
        if let Some(text) = props
            .get("description")
            .and_then(Value::as_str)
            .filter(|d| d.contains(&unresolved))
        {
            let resolved = super::lower::resolved_note(name, &ids.flow_id);
            props["description"] = json!(text.replace(&unresolved, &resolved));
        }
        props["subflowId"] = json!(ids.flow_id);
        props["subflowVersion"] = json!({
            "subflowId": ids.flow_id,
            "subflowTagId": "Latest",
            "subflowVersionId": ids.version_id,
        });
    }
    let visit = |scope: &mut Value| {
        for list in ["/process/activities", "/diagram/widgets"] {
            if let Some(map) = scope.pointer_mut(list).and_then(Value::as_object_mut) {
                for item in map.values_mut() {
                    if let Some(props) = item.get_mut("properties") {
                        fill(props, found);
                    }
                }
            }
        }
    };
    visit(file);
    if let Some(events) = file
        .pointer_mut("/eventFlows/eventsMap")
        .and_then(Value::as_object_mut)
    {
        for event in events.values_mut() {
            visit(event);
        }
    }
}

/// An answer's body, read up to [`Call::MAX_ANSWER_BYTES`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// The whole body, as text.
    Text(String),
    /// The whole body, not UTF-8.
    NotText,
    /// Longer than [`Call::MAX_ANSWER_BYTES`]: not read further.
    TooLarge,
}

/// What a server answered, as the CLI read it. Header values are the server's own text: they
/// are judged here, and only what the verdicts say of them is printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// The `Content-Type` header.
    pub content_type: Option<String>,
    /// The `Location` header.
    pub location: Option<String>,
    /// The `Retry-After` header.
    pub retry_after: Option<String>,
    /// The body.
    pub body: Body,
}

/// What a failed call means for the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The flow API refused the call (4xx, 5xx, 429 past the retries): exit 1.
    Refused,
    /// What answered is not the flow API as documented (a redirect, an answer that is not JSON
    /// or names no flow, one too large): exit 2, as for a network failure.
    NotTheApi,
}

/// A call that failed, said without the answer's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// What the failure means for the exit code.
    pub kind: FailureKind,
    /// The message, without `error:`.
    pub message: String,
}

/// What to do after an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict<T> {
    /// The call did what it is for.
    Accepted(T),
    /// Sent again after this many seconds (a 429 with an acceptable `Retry-After`).
    RetryAfter(u64),
    /// The call failed.
    Failed(Failure),
}

/// The ids an import answered with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    /// The flow's id (`flowId`, else `id`): 24 hex digits.
    pub flow_id: String,
    /// The imported version's id (`id`, when `flowId` is there too): 24 hex digits.
    pub version_id: Option<String>,
}

/// Which call an answer is for, in messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// `flows:import`.
    Import,
    /// `GET flows`, a subflow looked up by name.
    Lookup,
    /// `flows/{flowId}:publish`.
    Publish,
}

impl Step {
    fn noun(self) -> &'static str {
        match self {
            Step::Import => "the import",
            Step::Lookup => "looking up a subflow",
            Step::Publish => "publishing",
        }
    }
}

fn failed<T>(kind: FailureKind, message: String) -> Verdict<T> {
    Verdict::Failed(Failure { kind, message })
}

/// Whether a `Content-Type` is JSON: `application/json` or `application/<x>+json`, any
/// parameters.
pub(crate) fn is_json_type(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || essence
            .strip_prefix("application/")
            .is_some_and(|sub| sub.ends_with("+json"))
}

/// The regions whose API hosts (`api.wxcc-<region>.cisco.com`) a redirect may be named by.
pub(crate) const KNOWN_REGIONS: [&str; 7] = ["us1", "eu1", "eu2", "anz1", "ca1", "jp1", "sg1"];

/// Where a redirect points, resolved against the URL that answered (`Location` may be
/// relative), said without the server's text: a `Location` may echo what push sent, bearer
/// token included (`https://<token>/`). The target is named only as "the same host" (its
/// parsed host is the request's), or by its host when that is one of the API's own hosts
/// (`api.wxcc-<region>.cisco.com`, a region of `KNOWN_REGIONS`); any other host is not
/// named. A change of scheme is said.
pub(crate) fn redirect_target(request_url: &str, location: &str) -> String {
    let Ok(base) = Url::parse(request_url) else {
        return "a redirect (not named: an answer may echo what push sent)".to_string();
    };
    let Some(target) = base.join(location.trim()).ok() else {
        return "a redirect to a URL that does not parse (not named: an answer may echo what push sent)".to_string();
    };
    let Some(host) = target.host() else {
        return "a redirect to a URL with no host".to_string();
    };
    let mut said = if base.host() == Some(host.clone()) {
        "a redirect to the same host".to_string()
    } else if let Some(api) = api_host(&host) {
        format!("a redirect to {api}")
    } else {
        "a redirect to another host (not named: an answer may echo what push sent)".to_string()
    };
    if base.scheme() != target.scheme() {
        // Both are push's own words: the parser lower-cases schemes, and only these are named.
        let name = |scheme: &str| match scheme {
            "https" => "https",
            "http" => "http",
            _ => "another scheme",
        };
        said.push_str(&format!(
            ", from {} to {}",
            name(base.scheme()),
            name(target.scheme())
        ));
    }
    said
}

/// The host, when it is one of the API's own: `api.wxcc-<region>.cisco.com` for a region of
/// [`KNOWN_REGIONS`].
fn api_host(host: &Host<&str>) -> Option<String> {
    let Host::Domain(name) = host else {
        return None;
    };
    let region = name.strip_prefix("api.wxcc-")?.strip_suffix(".cisco.com")?;
    // Named from the list, not from the server's text.
    let known = KNOWN_REGIONS.into_iter().find(|r| *r == region)?;
    Some(format!("api.wxcc-{known}.cisco.com"))
}

/// How long a `Retry-After` asks to wait, in seconds: the delta-seconds form only (an HTTP
/// date is not read).
pub(crate) fn retry_after_secs(value: &str) -> Option<u64> {
    let value = value.trim();
    if value.is_empty() || value.len() > 19 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse().ok()
}

/// What every call's answer must be, whatever the call: no redirect, a 429 retried with bounds,
/// a 2xx, a JSON body of bounded size. The JSON object, when accepted. `attempt` counts from 0.
fn judge_common(
    step: Step,
    answer: &Answer,
    attempt: u32,
    request_url: &str,
) -> Verdict<serde_json::Map<String, serde_json::Value>> {
    use FailureKind::{NotTheApi, Refused};
    let noun = step.noun();
    let status = answer.status;
    if (300..400).contains(&status) {
        let to = match answer.location.as_deref() {
            Some(location) => redirect_target(request_url, location),
            None => "a redirect with no Location".to_string(),
        };
        return failed(
            NotTheApi,
            format!("{noun} was answered with HTTP {status}, {to}: push follows no redirect (the token and the file would go with it); give --api-url or --region the API's own address"),
        );
    }
    if status == 429 {
        let asked = answer.retry_after.as_deref().map(retry_after_secs);
        return match asked {
            _ if attempt >= Call::MAX_RETRIES => failed(
                Refused,
                format!("{noun} was refused: HTTP 429 (too many requests), {} times; try again later", attempt + 1),
            ),
            Some(Some(secs)) if secs <= MAX_RETRY_AFTER_SECS => Verdict::RetryAfter(secs),
            Some(Some(secs)) => failed(
                Refused,
                format!("{noun} was refused: HTTP 429 (too many requests), Retry-After {secs} s is longer than push waits ({MAX_RETRY_AFTER_SECS} s); try again later"),
            ),
            _ => failed(
                Refused,
                format!("{noun} was refused: HTTP 429 (too many requests) without a Retry-After in seconds; try again later"),
            ),
        };
    }
    let text = match &answer.body {
        Body::Text(text) => Some(text.as_str()),
        Body::NotText | Body::TooLarge => None,
    };
    if !(200..300).contains(&status) {
        return failed(
            Refused,
            format!(
                "{noun} was refused: {}",
                refusal(status, text.unwrap_or(""))
            ),
        );
    }
    let Some(text) = text else {
        let why = if answer.body == Body::TooLarge {
            format!(
                "longer than {} KiB (not read further)",
                Call::MAX_ANSWER_BYTES / 1024
            )
        } else {
            "not text".to_string()
        };
        return failed(
            NotTheApi,
            format!("{noun} was answered with HTTP {status}, but the answer is {why}; it is not shown, and is not the flow API's"),
        );
    };
    if !answer.content_type.as_deref().is_some_and(is_json_type) {
        return failed(
            NotTheApi,
            format!("{noun} was answered with HTTP {status}, but not with JSON (a login page or a proxy's?); the answer is not shown. Check --api-url or --region"),
        );
    }
    match serde_json::from_str(text) {
        Ok(serde_json::Value::Object(map)) => Verdict::Accepted(map),
        _ => failed(
            NotTheApi,
            format!("{noun} was answered with HTTP {status}, but the answer is not a JSON object; it is not shown"),
        ),
    }
}

/// Field names Webex APIs put errors in (`message`, `errors`, `trackingId`, ...). A refused
/// call is summarised by which of these its answer has, never by their values nor by any other
/// name the answer holds: a server may echo the request, bearer token included, and these
/// names are wxcflow's own text.
pub(crate) const ERROR_FIELDS: [&str; 10] = [
    "error",
    "errors",
    "message",
    "description",
    "details",
    "reason",
    "code",
    "errorCode",
    "key",
    "trackingId",
];

/// The error fields (of [`ERROR_FIELDS`]) an answer's top-level object has, in that order.
pub(crate) fn error_fields(answer: &str) -> Vec<&'static str> {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str(answer) else {
        return Vec::new();
    };
    ERROR_FIELDS
        .into_iter()
        .filter(|f| map.contains_key(*f))
        .collect()
}

/// What is said of a refused call: its status, and which error fields its answer has; the
/// answer itself is not shown, as it may echo the token.
pub(crate) fn refusal(status: u16, answer: &str) -> String {
    match error_fields(answer).as_slice() {
        [] => format!("HTTP {status} (the answer is not shown: it may echo the token)"),
        fields => format!(
            "HTTP {status}; the answer has {} {} (not shown: it may echo the token)",
            if fields.len() == 1 { "field" } else { "fields" },
            fields.join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_told_by_its_content_type() {
        assert!(is_json_type("application/problem+json") && !is_json_type("text/json"));
    }

    #[test]
    fn a_file_is_sent_under_an_ascii_base_name() {
        for (given, sent) in [
            ("a.fd.json", "a.fd.json"),
            ("dir/sub/Get Token.fd.json", "Get_Token.fd.json"),
            ("x\"\r\nX-Evil: 1\u{1b}[2J.json", "x___X-Evil__1__2J.json"),
            ("caf\u{e9}.json", "caf_.json"),
            ("..", "flow.json"),
            ("", "flow.json"),
        ] {
            assert_eq!(form_file_name(given), sent, "{given:?}");
        }
    }

    #[test]
    fn a_refusal_names_known_fields_only() {
        assert_eq!(
            refusal(401, r#"{"message": "token abc", "trackingId": "t", "abc": 1}"#),
            "HTTP 401; the answer has fields message, trackingId (not shown: it may echo the token)"
        );
        assert_eq!(
            refusal(500, "token abc"),
            "HTTP 500 (the answer is not shown: it may echo the token)"
        );
    }
}
