//! Mocked HTTP for runs and scenarios: requests matched by method, URL and headers, answered
//! with a status, headers and body, a delay, or a failed connection.

use super::{Hop, HttpClient, Reply, Request};
use crate::secret::Text;
use serde::Deserialize;
use std::collections::BTreeMap;

/// One expected request and its answer.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MockExchange {
    /// Any method when absent.
    pub method: Option<String>,
    /// The whole URL; a trailing `*` matches any URL with that prefix.
    pub url: String,
    /// Headers the request must carry, with these values.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// The reply's status code, 100 to 999; 200 when absent.
    #[serde(default = "ok", deserialize_with = "status_code")]
    pub status: u16,
    /// The reply's reason phrase (`Not Found`); the code's standard one when absent.
    pub status_text: Option<String>,
    /// The reply's headers.
    #[serde(default)]
    pub reply_headers: BTreeMap<String, String>,
    /// The reply's body; empty when absent.
    #[serde(default)]
    pub body: String,
    /// How long the reply takes; at or past the node's request timeout it times out.
    pub delay_ms: Option<u32>,
    /// `"connection"`: the connection fails (refused, unreachable); `"timeout"`: no answer
    /// comes before the node's request timeout, whatever it is.
    #[serde(default, deserialize_with = "failure")]
    pub fail: Option<String>,
}

fn ok() -> u16 {
    200
}

/// What `fail` may say: a misspelt failure would otherwise be taken for one of them.
const FAILURES: [&str; 2] = ["connection", "timeout"];

fn failure<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let text = String::deserialize(d)?;
    if FAILURES.contains(&text.as_str()) {
        return Ok(Some(text));
    }
    Err(serde::de::Error::custom(format!(
        "`fail` is \"connection\" or \"timeout\", not {text:?}"
    )))
}

/// A status code as HTTP writes one: three digits.
fn status_code<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u16, D::Error> {
    let value = i64::deserialize(d)
        .map_err(|_| serde::de::Error::custom("a status code is a whole number, 100 to 999"))?;
    match u16::try_from(value) {
        Ok(code) if (100..=999).contains(&code) => Ok(code),
        _ => Err(serde::de::Error::custom(format!(
            "a status code is a whole number, 100 to 999, not {value}"
        ))),
    }
}

/// A mock file: `[[http]]` exchanges.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MockFile {
    /// The exchanges, tried in order.
    #[serde(default)]
    pub http: Vec<MockExchange>,
}

/// Answers from a list of exchanges, the first that matches; a request nothing matches fails
/// to connect, and says so.
pub struct MockClient {
    /// The exchanges, tried in order.
    pub exchanges: Vec<MockExchange>,
}

impl MockExchange {
    fn matches(&self, request: &Request) -> bool {
        let method = self
            .method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(&request.method));
        let url = match self.url.strip_suffix('*') {
            Some(prefix) => request.url.expose().starts_with(prefix),
            None => request.url.expose() == self.url,
        };
        let headers = self.headers.iter().all(|(k, v)| {
            request
                .headers
                .iter()
                .any(|(name, value)| name.eq_ignore_ascii_case(k) && value.expose() == v)
        });
        method && url && headers
    }
}

impl HttpClient for MockClient {
    fn send(&mut self, request: &Request, _: &mut Vec<Hop>) -> Reply {
        let Some(x) = self.exchanges.iter().find(|x| x.matches(request)) else {
            // The URL as it is shown: masked whole when it holds a secret.
            return Reply::ConnectionFailed {
                reason: Text::plain(format!(
                    "no mocked exchange matches {} {}",
                    request.method,
                    request.url.shown()
                )),
            };
        };
        match x.fail.as_deref() {
            Some("timeout") => return Reply::Timeout,
            Some(_) => {
                return Reply::ConnectionFailed {
                    reason: Text::plain("connection refused (mocked)"),
                }
            }
            None => {}
        }
        let limit = request
            .request_timeout_ms
            .unwrap_or(Request::DEFAULT_TIMEOUT_MS);
        if x.delay_ms.is_some_and(|d| d >= limit) {
            return Reply::Timeout;
        }
        Reply::Response {
            status: x.status,
            status_text: x
                .status_text
                .clone()
                .unwrap_or_else(|| reason(x.status).to_string()),
            headers: x
                .reply_headers
                .iter()
                .map(|(k, v)| (k.clone(), Text::plain(v.clone())))
                .collect(),
            body: Text::plain(x.body.clone()),
        }
    }
}

/// The usual reason phrase of a status code (RFC 9110's, and 429 of RFC 6585); empty for a
/// code that has none.
pub(crate) fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        101 => "Switching Protocols",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        203 => "Non-Authoritative Information",
        204 => "No Content",
        205 => "Reset Content",
        206 => "Partial Content",
        300 => "Multiple Choices",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        411 => "Length Required",
        412 => "Precondition Failed",
        413 => "Content Too Large",
        414 => "URI Too Long",
        415 => "Unsupported Media Type",
        416 => "Range Not Satisfiable",
        417 => "Expectation Failed",
        421 => "Misdirected Request",
        422 => "Unprocessable Content",
        426 => "Upgrade Required",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ => "",
    }
}
