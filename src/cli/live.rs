//! Real HTTP: `run --live` and `push`. Built with the default `live` cargo feature; without it
//! (`cargo build --no-default-features`) both commands say so and nothing links a TLS stack.

#[cfg(feature = "live")]
mod real {
    /// Real HTTP for `run --live`, with the node's connection and request timeouts, each at
    /// most [`wxcflow::flow_designer::run::LIVE_WAIT_CAP_MS`]. Redirects are
    /// followed by hand, so that each hop is in the trace and credential headers never reach
    /// another origin.
    pub(in crate::cli) struct LiveHttp;

    /// How many redirects one request follows.
    const MAX_REDIRECTS: usize = 10;

    /// The most an answer's status line and headers may take (wxcflow's own bound; ureq reads
    /// 64 KiB by default, and a larger head is still an answer).
    const MAX_ANSWER_HEADER_BYTES: usize = 1024 * 1024;

    impl wxcflow::tools::simulate::HttpClient for LiveHttp {
        fn send(
            &mut self,
            r: &wxcflow::tools::simulate::Request,
            hops: &mut Vec<wxcflow::tools::simulate::Hop>,
        ) -> wxcflow::tools::simulate::Reply {
            use std::time::Duration;
            use wxcflow::secret::Text;
            use wxcflow::tools::simulate::{Hop, Reply};
            // No single wait is longer than the cap, whatever the flow asks (a Flow Designer
            // activity's `httpResponseTimeout` may ask for an hour).
            let cap = wxcflow::flow_designer::run::LIVE_WAIT_CAP_MS;
            let request_ms = r
                .request_timeout_ms
                .unwrap_or(wxcflow::tools::simulate::Request::DEFAULT_TIMEOUT_MS)
                .min(cap);
            // Whatever a failure says may quote the URL: it is as secret as the URL.
            let failed = |reason: String| Reply::ConnectionFailed {
                reason: Text::new(reason, r.url.is_secret()),
            };
            let mut url = r.url.expose().to_string();
            let mut method = r.method.clone();
            let mut body = r.body.as_ref().map(|b| b.expose().to_string());
            let mut headers: Vec<(String, String)> = r
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), v.expose().to_string()))
                .collect();
            loop {
                // Built for each hop: whether a proxy is used depends on the hop's scheme.
                // A proxy the environment names that cannot be used stops the run: taking the
                // node's error path would pass a local setting off as the flow's behaviour.
                let proxy = match proxy_for(&url) {
                    Ok(proxy) => proxy,
                    Err(reason) => return Reply::Refused { reason },
                };
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .max_redirects(0)
                    .max_response_header_size(MAX_ANSWER_HEADER_BYTES)
                    // The head is read into this buffer whole: room for the largest kept.
                    .input_buffer_size(MAX_ANSWER_HEADER_BYTES + 64 * 1024)
                    .proxy(proxy)
                    .timeout_connect(
                        r.connect_timeout_ms
                            .map(|ms| Duration::from_millis(ms.min(cap).into())),
                    )
                    .timeout_global(Some(Duration::from_millis(request_ms.into())))
                    .build()
                    .into();
                let mut builder = ureq::http::Request::builder()
                    .method(method.as_str())
                    .uri(url.as_str());
                for (k, v) in &headers {
                    builder = builder.header(k.as_str(), v.as_str());
                }
                let request = match builder.body(body.clone().unwrap_or_default()) {
                    Ok(request) => request,
                    Err(e) => return failed(format!("invalid request: {e}")),
                };
                let mut response = match agent.run(request) {
                    Ok(response) => response,
                    // A connection that cannot be set up in time fails like a refused one (onError).
                    Err(ureq::Error::Timeout(ureq::Timeout::Connect | ureq::Timeout::Resolve)) => {
                        return failed("connection timed out".into())
                    }
                    Err(ureq::Error::Timeout(_)) => return Reply::Timeout,
                    // An answer came: too large to keep, it stops the run (as a body over the
                    // limit does), rather than pass for a failed connection.
                    Err(ureq::Error::LargeResponseHeader(..)) => {
                        return Reply::Refused {
                            reason: format!("the answer's headers are larger than {MAX_ANSWER_HEADER_BYTES} bytes, the most a run reads"),
                        }
                    }
                    Err(e) => return failed(e.to_string()),
                };
                let status = response.status();
                let raw_location = response
                    .headers()
                    .get("location")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string);
                let location = (raw_location.as_deref()).and_then(|l| resolve_location(&url, l));
                // The statuses fetch follows (300 and 305 are answers, as browsers take them).
                let redirect = matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308);
                let other_scheme = redirect
                    && response
                        .headers()
                        .get("location")
                        .and_then(|v| v.to_str().ok())
                        .is_some_and(has_other_scheme);
                if other_scheme {
                    // Not a path on the same origin (`ftp://…`, `file:///…`): nothing is sent.
                    return Reply::Refused {
                        reason: format!(
                            "a {} redirect leads to a URL whose scheme is not http or https (the Location is not shown), which is not followed",
                            status.as_u16()
                        ),
                    };
                }
                if let (true, Some(next)) = (redirect, location) {
                    // Secret when the Location as sent reads as carrying a credential, even
                    // where resolving it makes that a path (`http:user:pass@host` from an
                    // http URL).
                    let raw_secret = raw_location
                        .as_deref()
                        .is_some_and(|l| Text::url(l).is_secret());
                    let shown = Text::new(next.clone(), r.url.is_secret() || raw_secret);
                    if hops.len() >= MAX_REDIRECTS {
                        hops.push(Hop {
                            status: status.as_u16(),
                            location: shown,
                            action: format!("not followed: more than {MAX_REDIRECTS} redirects"),
                        });
                    } else {
                        // 303, and 301/302 after a POST, continue as GET without the body, as
                        // browsers and HTTP clients do.
                        let as_get = status.as_u16() == 303
                            || (matches!(status.as_u16(), 301 | 302) && method == "POST");
                        let elsewhere = !same_origin(&url, &next);
                        // A secret body goes where the request was meant to go, never on to
                        // another origin (a 307 or 308 would send it again as it is).
                        let secret_body = r.body.as_ref().is_some_and(|b| b.is_secret());
                        if elsewhere && body.is_some() && secret_body && !as_get {
                            hops.push(Hop {
                                status: status.as_u16(),
                                location: shown,
                                action: "not followed: it would send the request's secret body to another origin".into(),
                            });
                            return Reply::Refused {
                                reason: format!(
                                    "a {} redirect to another origin would send the request's secret body there, which is not done",
                                    status.as_u16()
                                ),
                            };
                        }
                        let action = if !elsewhere {
                            "followed".to_string()
                        } else {
                            let dropped: Vec<String> = headers
                                .iter()
                                .filter(|(k, _)| r.is_credential_header(k))
                                .map(|(k, _)| k.clone())
                                .collect();
                            headers.retain(|(k, _)| !dropped.contains(k));
                            if dropped.is_empty() {
                                "followed to another origin".to_string()
                            } else {
                                format!(
                                    "followed to another origin without credential headers {}",
                                    dropped.join(", ")
                                )
                            }
                        };
                        hops.push(Hop {
                            status: status.as_u16(),
                            location: shown,
                            action,
                        });
                        if as_get {
                            method = "GET".into();
                            body = None;
                        }
                        url = next;
                        continue;
                    }
                }
                let reply_headers = response
                    .headers()
                    .iter()
                    .map(|(k, v)| (k.to_string(), Text::plain(v.to_str().unwrap_or(""))))
                    .collect();
                // Any answer is an answer (its node leaves through onSuccess): a body that is not
                // UTF-8 is decoded, not taken for a failed connection; one larger than a run keeps
                // stops the run at the node, as any value that large does.
                let limit = wxcflow::flow::limits::MAX_RUN_VALUE_BYTES;
                let charset = response
                    .headers()
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_ascii_lowercase)
                    .unwrap_or_default();
                return match response
                    .body_mut()
                    .with_config()
                    .limit(limit as u64 + 1)
                    .read_to_vec()
                {
                    Ok(bytes) if bytes.len() > limit => Reply::Refused {
                        reason: format!("the answer's body is larger than {limit} bytes, the most a run keeps of a value"),
                    },
                    Ok(bytes) => Reply::Response {
                        status: status.as_u16(),
                        status_text: status.canonical_reason().unwrap_or("").to_string(),
                        headers: reply_headers,
                        body: Text::plain(decoded(bytes, &charset)),
                    },
                    Err(ureq::Error::BodyExceedsLimit(_)) => Reply::Refused {
                        reason: format!("the answer's body is larger than {limit} bytes, the most a run keeps of a value"),
                    },
                    Err(ureq::Error::Timeout(_)) => Reply::Timeout,
                    Err(e) => failed(e.to_string()),
                };
            }
        }
    }

    /// An answer's body as text: UTF-8; ISO-8859-1 when its Content-Type says so (each byte one
    /// character); else UTF-8 with each byte that is not shown as U+FFFD.
    fn decoded(bytes: Vec<u8>, content_type: &str) -> String {
        let latin1 = ["iso-8859-1", "latin1", "latin-1", "iso8859-1"]
            .iter()
            .any(|name| content_type.contains(&format!("charset={name}")));
        match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) if latin1 => e.into_bytes().into_iter().map(char::from).collect(),
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        }
    }

    /// `scheme://host:port` of a URL, lower-cased, with the default port made explicit.
    fn origin(url: &str) -> Option<(String, String, u16)> {
        let uri: ureq::http::Uri = url.parse().ok()?;
        let scheme = uri.scheme_str()?.to_ascii_lowercase();
        let host = uri.host()?.to_ascii_lowercase();
        let port = uri
            .port_u16()
            .unwrap_or(if scheme == "https" { 443 } else { 80 });
        Some((scheme, host, port))
    }

    fn same_origin(a: &str, b: &str) -> bool {
        matches!((origin(a), origin(b)), (Some(x), Some(y)) if x == y)
    }

    /// Whether a `Location` names a scheme (RFC 3986: a letter, then letters, digits, `+`, `-`
    /// or `.`, then `:`, before any `/`, `?` or `#`) other than http or https.
    pub(super) fn has_other_scheme(location: &str) -> bool {
        let location = location.trim();
        let Some((scheme, _)) = location.split_once(':') else {
            return false;
        };
        let is_scheme = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
        is_scheme && !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https")
    }

    /// A `Location` header made absolute against the URL it answered, as browsers resolve it
    /// (the WHATWG URL standard: `http:\\user:pass@host` names another host, `//host/x` keeps
    /// the scheme, a path is relative to the base's folder).
    fn resolve_location(base: &str, location: &str) -> Option<String> {
        let base = url::Url::parse(base).ok()?;
        base.join(location).ok().map(String::from)
    }

    /// The proxy a request to `url` goes through: the one the environment names (`ALL_PROXY`,
    /// `HTTPS_PROXY`, `HTTP_PROXY`, as ureq reads them; a host `NO_PROXY` lists goes direct),
    /// for https only (`push::Call::may_use_proxy`). Plain http never goes through a proxy, which
    /// would read the request, credentials included. A proxy the environment names that this
    /// build cannot use (SOCKS, another scheme, a value that does not parse, a port ureq would
    /// replace) is an error naming the variable: going around it, direct, is not what was meant.
    fn proxy_for(url: &str) -> Result<Option<ureq::Proxy>, String> {
        if !wxcflow::flow_designer::push::Call::may_use_proxy(url) {
            return Ok(None);
        }
        let named = wxcflow::flow_designer::push::Call::PROXY_VARIABLES
            .into_iter()
            .find_map(|var| {
                std::env::var(var)
                    .ok()
                    .filter(|v| !v.trim().is_empty())
                    .map(|v| (var, v))
            });
        let Some((var, value)) = named else {
            return Ok(None);
        };
        let unusable = |why: &str| {
            Err(format!(
                "the proxy in {var} {why}; point {var} at an http:// or https:// proxy, or unset it"
            ))
        };
        let Some(proxy) = ureq::Proxy::try_from_env() else {
            return unusable("does not parse");
        };
        if !matches!(
            proxy.protocol(),
            ureq::ProxyProtocol::Http | ureq::ProxyProtocol::Https
        ) {
            return unusable("is not an http(s) proxy (this build cannot use SOCKS)");
        }
        // The port as written must be the one ureq will use (it replaces one out of range).
        let written = if value.contains("://") {
            value.clone()
        } else {
            format!("http://{value}")
        };
        match url::Url::parse(&written) {
            Ok(u) if u.port_or_known_default() == Some(proxy.port()) => {}
            _ => return unusable("does not parse as a proxy URL with a valid port"),
        }
        let Ok(uri) = url.parse::<ureq::http::Uri>() else {
            return Ok(None);
        };
        Ok((!proxy.is_no_proxy(&uri)).then_some(proxy))
    }

    /// Whether a failure can have come after the request went out (the server may have acted
    /// on it): any but failing to resolve, connect, shake hands or open a proxy's tunnel.
    fn may_have_arrived(e: &ureq::Error) -> bool {
        use std::io::ErrorKind;
        // ureq reports a refused or unroutable connection as the socket's own error: these
        // kinds come only from connecting, before anything is sent.
        let never_connected = |io: &std::io::Error| {
            matches!(
                io.kind(),
                ErrorKind::ConnectionRefused
                    | ErrorKind::NetworkUnreachable
                    | ErrorKind::HostUnreachable
                    | ErrorKind::AddrNotAvailable
            )
        };
        !match e {
            ureq::Error::Io(io) => never_connected(io),
            _ => matches!(
                e,
                ureq::Error::HostNotFound
                    | ureq::Error::ConnectionFailed
                    | ureq::Error::Tls(_)
                    | ureq::Error::Rustls(_)
                    | ureq::Error::ConnectProxyFailed(_)
                    | ureq::Error::Timeout(ureq::Timeout::Resolve | ureq::Timeout::Connect)
            ),
        }
    }

    /// Why a request could not be sent, by the kind of failure: an error's own text may quote
    /// what was sent.
    fn failure(e: &ureq::Error) -> String {
        match e {
            ureq::Error::Timeout(_) => "timed out".into(),
            ureq::Error::HostNotFound => "host not found".into(),
            ureq::Error::ConnectionFailed => "connection failed".into(),
            ureq::Error::Io(io) => io.kind().to_string(),
            ureq::Error::Tls(_) | ureq::Error::Rustls(_) => "TLS failed".into(),
            ureq::Error::ConnectProxyFailed(_) => "the proxy did not open a tunnel".into(),
            ureq::Error::LargeResponseHeader(..) => "the answer's headers are too large".into(),
            ureq::Error::Protocol(_) => "the answer is not valid HTTP".into(),
            _ => "the request failed".into(),
        }
    }

    /// Sends one request, following no redirect (a 3xx is the answer: `push` refuses it, see
    /// `push::redirect_target`), and reads at most `MAX_ANSWER_BYTES` of the answer; the answer,
    /// or why it could not be sent (naming the proxy it went through, if any: see [`proxy_for`]).
    pub(in crate::cli) fn send(
        call: &wxcflow::flow_designer::push::Call,
    ) -> Result<wxcflow::flow_designer::push::Answer, super::Unanswered> {
        use super::Unanswered;
        use wxcflow::flow_designer::push::{Answer, Body, Call};
        let proxy = proxy_for(&call.url).map_err(Unanswered::not_sent)?;
        // Named by scheme, host and port only: the environment's URL may hold a password.
        let through = proxy.as_ref().map_or(String::new(), |p| {
            let scheme = p.uri().scheme_str().unwrap_or("http");
            format!(
                ", through the proxy {} (from the environment: ALL_PROXY, HTTPS_PROXY or HTTP_PROXY; NO_PROXY lists hosts that go direct)",
                Call::proxy_shown(scheme, p.host(), p.port())
            )
        });
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .proxy(proxy)
            .timeout_global(Some(std::time::Duration::from_secs(60)))
            .build()
            .into();
        let mut builder = ureq::http::Request::builder()
            .method(call.method)
            .uri(call.url.as_str());
        for (k, v) in &call.headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        let unmade = |_| {
            Unanswered::not_sent(
                "the request could not be made (a header holds characters HTTP does not allow)",
            )
        };
        // A call without a body (the subflow lookup's GET) is sent without one.
        let sent = if call.body.is_empty() {
            agent.run(builder.body(()).map_err(unmade)?)
        } else {
            agent.run(builder.body(call.body.clone()).map_err(unmade)?)
        };
        let mut response = sent.map_err(|e| Unanswered {
            why: format!("{}{through}", failure(&e)),
            may_have_arrived: may_have_arrived(&e),
        })?;
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(String::from)
        };
        let (content_type, location, retry_after) = (
            header("content-type"),
            header("location"),
            header("retry-after"),
        );
        let status = response.status().as_u16();
        let body = match response
            .body_mut()
            .with_config()
            .limit(Call::MAX_ANSWER_BYTES)
            .read_to_vec()
        {
            Ok(bytes) => String::from_utf8(bytes).map_or(Body::NotText, Body::Text),
            Err(ureq::Error::BodyExceedsLimit(_)) => Body::TooLarge,
            Err(e) => {
                return Err(Unanswered {
                    why: format!(
                        "it answered HTTP {status}, but the answer could not be read: {}{through}",
                        failure(&e)
                    ),
                    may_have_arrived: true,
                })
            }
        };
        Ok(Answer {
            status,
            content_type,
            location,
            retry_after,
            body,
        })
    }
}

#[cfg(feature = "live")]
pub(super) use real::{send, LiveHttp};

#[cfg(not(feature = "live"))]
mod off {
    /// The reason every live request fails in a build without the `live` feature.
    pub(in crate::cli) const OFF: &str =
        "this wxcflow was built without live HTTP (cargo feature `live`)";

    /// Fails every request with [`OFF`].
    pub(in crate::cli) struct LiveHttp;

    impl wxcflow::tools::simulate::HttpClient for LiveHttp {
        fn send(
            &mut self,
            _: &wxcflow::tools::simulate::Request,
            _: &mut Vec<wxcflow::tools::simulate::Hop>,
        ) -> wxcflow::tools::simulate::Reply {
            wxcflow::tools::simulate::Reply::ConnectionFailed {
                reason: wxcflow::secret::Text::plain(OFF),
            }
        }
    }

    /// Sends nothing.
    pub(in crate::cli) fn send(
        _: &wxcflow::flow_designer::push::Call,
    ) -> Result<wxcflow::flow_designer::push::Answer, super::Unanswered> {
        Err(super::Unanswered::not_sent(OFF))
    }
}

#[cfg(not(feature = "live"))]
pub(super) use off::{send, LiveHttp};

/// Why a call got no answer to judge.
pub(super) struct Unanswered {
    /// By the kind of failure, never the error's own text (which may quote what was sent).
    pub why: String,
    /// Whether the request may have reached the server, which may then have acted on it.
    pub may_have_arrived: bool,
}

impl Unanswered {
    /// A failure before anything was sent.
    fn not_sent(why: impl Into<String>) -> Unanswered {
        Unanswered {
            why: why.into(),
            may_have_arrived: false,
        }
    }
}
