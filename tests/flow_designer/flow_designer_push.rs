//! `wxcflow push` against a stand-in for the flow API on 127.0.0.1, which checks what it is
//! sent (the multipart `file`, `flowType` and `overwrite` in the query, the bearer token, the
//! publish call's JSON body) and answers as a real API, or as what may sit in its place (a
//! redirect to a login page, an HTML page, JSON without ids, a huge answer, 429s), which push
//! must not believe. Nothing here talks to Cisco.
// A test stops at the first thing that is not as expected.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg(feature = "live")]

use crate::common;

use std::io::{BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

const TOKEN: &str = "NjFhYTest_token_PF84_not-a-real-one";
/// Ids of the shape the flow API gives (24 hex digits).
const FLOW_ID: &str = "6a1e35a078a3f98ba463c7d5";
const VERSION_ID: &str = "6a343b578d89fd6390b574f0";
const PROJECT: &str = "5e5c9ad6d61f870d6d778c1b";

/// One request as the stand-in received it.
#[derive(Debug)]
struct Seen {
    request_line: String,
    headers: Vec<(String, String)>,
    body: String,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One answer of the stand-in.
struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

fn json(status: u16, body: &str) -> Reply {
    Reply {
        status,
        headers: vec![("Content-Type", "application/json;charset=UTF-8".into())],
        body: body.as_bytes().to_vec(),
    }
}

fn imported() -> Reply {
    json(
        201,
        &format!(r#"{{"id": "{VERSION_ID}", "flowId": "{FLOW_ID}", "name": "GetOAuthToken"}}"#),
    )
}

fn busy(retry_after: &str) -> Reply {
    let mut reply = json(429, r#"{"message": "slow down"}"#);
    reply.headers.push(("Retry-After", retry_after.into()));
    reply
}

/// A stand-in server: answers each connection with the next reply (a 500 once they run out),
/// and hands back what it was sent when the test is done with it.
struct StandIn {
    url: String,
    port: u16,
    stop: Arc<AtomicBool>,
    handle: std::thread::JoinHandle<Vec<Seen>>,
}

impl StandIn {
    fn start(replies: Vec<Reply>) -> StandIn {
        StandIn::on("127.0.0.1", replies).unwrap()
    }

    /// On another loopback address; `None` where this machine does not have it.
    fn on(address: &str, replies: Vec<Reply>) -> Option<StandIn> {
        let listener = TcpListener::bind((address, 0)).ok()?;
        let port = listener.local_addr().unwrap().port();
        let host = if address.contains(':') {
            format!("[{address}]")
        } else {
            address.to_string()
        };
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let handle = std::thread::spawn(move || {
            let mut seen = Vec::new();
            let mut replies = replies.into_iter();
            while !stopped.load(Ordering::SeqCst) {
                let Ok((stream, _)) = listener.accept() else {
                    std::thread::sleep(std::time::Duration::from_millis(5));
                    continue;
                };
                stream.set_nonblocking(false).unwrap();
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let head = common::read_request_head(&mut reader);
                let mut lines = head.lines();
                let request_line = lines.next().unwrap_or("").to_string();
                let headers: Vec<(String, String)> = lines
                    .filter_map(|l| l.split_once(':'))
                    .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                    .collect();
                let length: usize = headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                    .map_or(0, |(_, v)| v.parse().unwrap());
                let mut body = vec![0; length];
                reader.read_exact(&mut body).unwrap();
                seen.push(Seen {
                    request_line,
                    headers,
                    body: String::from_utf8(body).unwrap(),
                });
                let reply = replies
                    .next()
                    .unwrap_or_else(|| json(500, r#"{"message": "unexpected request"}"#));
                let mut answer = format!("HTTP/1.1 {} Answer\r\n", reply.status);
                for (k, v) in &reply.headers {
                    answer.push_str(&format!("{k}: {v}\r\n"));
                }
                answer.push_str(&format!(
                    "Content-Length: {}\r\nConnection: close\r\n\r\n",
                    reply.body.len()
                ));
                let mut stream = stream;
                // A client that stops reading a huge answer closes the connection mid-write.
                let _ = stream
                    .write_all(answer.as_bytes())
                    .and_then(|()| stream.write_all(&reply.body));
            }
            seen
        });
        Some(StandIn {
            url: format!("http://{host}:{port}"),
            port,
            stop,
            handle,
        })
    }

    /// What it was sent; called once the command has exited.
    fn finish(self) -> Vec<Seen> {
        self.stop.store(true, Ordering::SeqCst);
        self.handle.join().unwrap()
    }
}

/// The variables a proxy is taken from, and those that name hosts that go direct; cleared for
/// every push unless a test sets them.
fn proxy_variables() -> impl Iterator<Item = &'static str> {
    wxcflow::flow_designer::push::Call::PROXY_VARIABLES
        .into_iter()
        .chain(["NO_PROXY", "no_proxy"])
}

fn push_file(dir: &Path, file: &str, extra: &[&str], token: Option<&str>) -> std::process::Output {
    push_with_env(dir, file, extra, token, &[])
}

fn push_with_env(
    dir: &Path,
    file: &str,
    extra: &[&str],
    token: Option<&str>,
    env: &[(&str, &str)],
) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_wxcflow"));
    for name in proxy_variables() {
        command.env_remove(name);
    }
    command.envs(env.iter().copied());
    command
        .args([
            "push",
            file,
            "--org",
            "org-1",
            "--region",
            "us1",
            "--token-env",
            "WXCC_TOKEN",
        ])
        .args(extra)
        .current_dir(dir)
        .env_remove("WXCC_TOKEN");
    if let Some(t) = token {
        command.env("WXCC_TOKEN", t);
    }
    command.output().unwrap()
}

fn push(dir: &Path, extra: &[&str], token: Option<&str>) -> std::process::Output {
    push_file(dir, "GetOAuthToken.fd.json", extra, token)
}

fn built() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = common::wxcflow(dir.path(), &["build", "--target", "flow-designer"]);
    assert_eq!(out.status.code(), Some(0));
    dir
}

fn all_output(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn import_line(flow_type: &str, overwrite: &str) -> String {
    format!("POST /flow-store/org-1/project/{PROJECT}/flows:import?flowType={flow_type}&overwrite={overwrite} HTTP/1.1")
}

#[test]
fn push_imports_the_subflow_then_publishes_it() {
    let dir = built();
    let server = StandIn::start(vec![imported(), json(200, "{}")]);
    let out = push(
        dir.path(),
        &["--publish", "--api-url", &server.url],
        Some(TOKEN),
    );
    let seen = server.finish();
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    assert_eq!(
        stderr(&out),
        format!("imported GetOAuthToken.fd.json as a SUBFLOW (flow id {FLOW_ID}, version id {VERSION_ID})\npublished flow {FLOW_ID}\n")
    );
    assert!(!all_output(&out).contains(TOKEN));
    assert_eq!(seen.len(), 2);

    // flowType and overwrite are query parameters; the form has the file only.
    let import = &seen[0];
    assert_eq!(import.request_line, import_line("SUBFLOW", "no"));
    assert_eq!(
        import.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    let content_type = import.header("content-type").unwrap();
    let boundary = content_type
        .strip_prefix("multipart/form-data; boundary=")
        .expect("multipart");
    let file = std::fs::read_to_string(dir.path().join("GetOAuthToken.fd.json")).unwrap();
    let parts: Vec<&str> = import.body.split(&format!("--{boundary}")).collect();
    assert_eq!(parts.len(), 3, "the file, and the closing boundary");
    assert_eq!(
        parts[1],
        format!("\r\nContent-Disposition: form-data; name=\"file\"; filename=\"GetOAuthToken.fd.json\"\r\nContent-Type: application/json\r\n\r\n{file}\r\n")
    );
    assert_eq!(parts[2], "--\r\n");

    // The publish call names the flow the import answered with, and carries PublishParameters.
    let publish = &seen[1];
    assert_eq!(
        publish.request_line,
        format!("POST /flow-store/org-1/project/{PROJECT}/flows/{FLOW_ID}:publish?flowType=SUBFLOW HTTP/1.1")
    );
    assert_eq!(
        publish.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert_eq!(publish.header("content-type"), Some("application/json"));
    let parameters: serde_json::Value = serde_json::from_str(&publish.body).unwrap();
    assert_eq!(
        parameters,
        serde_json::json!({"comment": "Published by wxcflow push"})
    );
}

#[test]
fn overwrite_and_the_comment_are_sent_as_given() {
    let dir = built();
    let server = StandIn::start(vec![imported(), json(200, "{}")]);
    let out = push(
        dir.path(),
        &[
            "--overwrite",
            "--publish",
            "--comment",
            "release 7: \"token\" subflow",
            "--api-url",
            &server.url,
        ],
        Some(TOKEN),
    );
    let seen = server.finish();
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    assert_eq!(seen[0].request_line, import_line("SUBFLOW", "yes"));
    let parameters: serde_json::Value = serde_json::from_str(&seen[1].body).unwrap();
    assert_eq!(
        parameters,
        serde_json::json!({"comment": "release 7: \"token\" subflow"})
    );
}

#[test]
fn a_flow_is_imported_as_a_flow() {
    let dir = tempfile::tempdir().unwrap();
    let export = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/flow-designer/exports/voice-lookup.json");
    let export = export.to_str().unwrap();
    for args in [
        &["decompile", export, "-o", "voice.toml"][..],
        &[
            "build",
            "voice.toml",
            "--target",
            "flow-designer",
            "-o",
            "voice.fd.json",
        ][..],
    ] {
        let out = common::wxcflow(dir.path(), args);
        assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    }
    let server = StandIn::start(vec![imported()]);
    let out = push_file(
        dir.path(),
        "voice.fd.json",
        &["--api-url", &server.url],
        Some(TOKEN),
    );
    let seen = server.finish();
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].request_line, import_line("FLOW", "no"));
}

#[test]
fn a_redirect_is_not_followed_and_its_target_is_not_named() {
    let dir = built();
    let elsewhere = StandIn::start(vec![json(200, &format!(r#"{{"flowId": "{FLOW_ID}"}}"#))]);
    let mut redirect = json(302, "");
    redirect.headers.push((
        "Location",
        format!("http://localhost:{}/login", elsewhere.port),
    ));
    let server = StandIn::start(vec![redirect]);
    let out = push(
        dir.path(),
        &["--publish", "--api-url", &server.url],
        Some(TOKEN),
    );
    assert_eq!(server.finish().len(), 1);
    assert_eq!(
        elsewhere.finish().len(),
        0,
        "nothing goes where the redirect points"
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: the import was answered with HTTP 302, a redirect to another host (not named: an answer may echo what push sent): push follows no redirect (the token and the file would go with it); give --api-url or --region the API's own address\n"
    );
}

#[test]
fn a_redirect_that_echoes_the_token_does_not_print_it() {
    let dir = built();
    let echo = |location: String| {
        let mut redirect = json(302, "");
        redirect.headers.push(("Location", location));
        redirect
    };
    for (location, to) in [
        (
            format!("https://{}/", TOKEN.to_lowercase()),
            "another host (not named: an answer may echo what push sent), from http to https",
        ),
        (
            format!("https://{TOKEN}.example.net/{TOKEN}"),
            "another host (not named: an answer may echo what push sent), from http to https",
        ),
        (format!("/login?t={TOKEN}"), "the same host"),
    ] {
        let server = StandIn::start(vec![echo(location.clone())]);
        let out = push(dir.path(), &["--api-url", &server.url], Some(TOKEN));
        assert_eq!(server.finish().len(), 1, "{location}");
        assert_eq!(out.status.code(), Some(2), "{location}");
        assert_eq!(
            stderr(&out),
            format!("error: the import was answered with HTTP 302, a redirect to {to}: push follows no redirect (the token and the file would go with it); give --api-url or --region the API's own address\n")
        );
        let all = all_output(&out).into_bytes();
        for secret in [TOKEN.to_string(), TOKEN.to_lowercase()] {
            assert!(
                !all.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{location}"
            );
        }
    }
}

#[test]
fn a_publish_is_believed_only_as_a_json_answer_from_the_api() {
    let dir = built();
    let mut redirect = json(307, "");
    redirect
        .headers
        .push(("Location", "https://sso.example.net/login?next=x".into()));
    let html = Reply {
        status: 200,
        headers: vec![("Content-Type", "text/html".into())],
        body: b"<html>Sign in</html>".to_vec(),
    };
    for (reply, says) in [
        (redirect, "publishing was answered with HTTP 307, a redirect to another host (not named: an answer may echo what push sent), from http to https: push follows no redirect (the token and the file would go with it); give --api-url or --region the API's own address"),
        (html, "publishing was answered with HTTP 200, but not with JSON (a login page or a proxy's?); the answer is not shown. Check --api-url or --region"),
    ] {
        let server = StandIn::start(vec![imported(), reply]);
        let out = push(dir.path(), &["--publish", "--api-url", &server.url], Some(TOKEN));
        assert_eq!(server.finish().len(), 2, "{says}");
        assert_eq!(out.status.code(), Some(2), "{says}");
        assert_eq!(
            stderr(&out),
            format!("imported GetOAuthToken.fd.json as a SUBFLOW (flow id {FLOW_ID}, version id {VERSION_ID})\nerror: {says}\n")
        );
    }
}

#[test]
fn an_answer_that_is_not_an_import_is_not_believed() {
    let dir = built();
    let html = Reply {
        status: 200,
        headers: vec![("Content-Type", "text/html".into())],
        body: format!("<html><form>Sign in</form><!-- {FLOW_ID} --></html>").into_bytes(),
    };
    let huge = json(
        200,
        &format!(
            r#"{{"flowId": "{FLOW_ID}", "pad": "{}"}}"#,
            "x".repeat(2 * 1024 * 1024)
        ),
    );
    let bad_ids = json(
        200,
        r#"{"flowId": "../../../admin?x=NOT-AN-ID", "id": "NOT-AN-ID-EITHER"}"#,
    );
    for (reply, says) in [
        (html, "error: the import was answered with HTTP 200, but not with JSON (a login page or a proxy's?); the answer is not shown. Check --api-url or --region\n"),
        (json(200, r#"{"name": "GetOAuthToken", "status": "ok"}"#), "error: the import was answered with HTTP 200, but the answer names no flow (no `flowId` or `id`): nothing shows the flow was imported\n"),
        (huge, "error: the import was answered with HTTP 200, but the answer is longer than 1024 KiB (not read further); it is not shown, and is not the flow API's\n"),
        (bad_ids, "error: the import was answered with HTTP 200, but its `flowId` is not an id (24 hex digits, as real ids are); it is not shown\n"),
    ] {
        let server = StandIn::start(vec![reply]);
        let out = push(dir.path(), &["--publish", "--api-url", &server.url], Some(TOKEN));
        assert_eq!(server.finish().len(), 1, "no publish: {says}");
        assert_eq!(out.status.code(), Some(2), "{says}");
        assert_eq!(stderr(&out), says);
        assert!(out.stdout.is_empty());
        let all = all_output(&out);
        assert!(!all.contains("NOT-AN-ID") && !all.contains("admin") && !all.contains(FLOW_ID));
    }
}

#[test]
fn too_many_requests_is_retried_as_asked_then_given_up() {
    let dir = built();
    let server = StandIn::start(vec![busy("0"), busy("0"), imported(), json(200, "{}")]);
    let out = push(
        dir.path(),
        &["--publish", "--api-url", &server.url],
        Some(TOKEN),
    );
    let seen = server.finish();
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    assert_eq!(
        stderr(&out),
        format!("HTTP 429 (too many requests): sending again in 0 s (1 of 3)\nHTTP 429 (too many requests): sending again in 0 s (2 of 3)\nimported GetOAuthToken.fd.json as a SUBFLOW (flow id {FLOW_ID}, version id {VERSION_ID})\npublished flow {FLOW_ID}\n")
    );
    assert_eq!(seen.len(), 4);
    assert!(seen[..3]
        .iter()
        .all(|s| s.request_line == import_line("SUBFLOW", "no")));

    // A server that always says 429 gets the import once and three times again, no more.
    let server = StandIn::start((0..10).map(|_| busy("0")).collect());
    let out = push(dir.path(), &["--api-url", &server.url], Some(TOKEN));
    assert_eq!(server.finish().len(), 4);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).ends_with(
        "error: the import was refused: HTTP 429 (too many requests), 4 times; try again later\n"
    ));

    // A wait longer than a minute is not waited for.
    let server = StandIn::start(vec![busy("3600")]);
    let out = push(dir.path(), &["--api-url", &server.url], Some(TOKEN));
    assert_eq!(server.finish().len(), 1);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "error: the import was refused: HTTP 429 (too many requests), Retry-After 3600 s is longer than push waits (60 s); try again later\n"
    );
}

/// A refused connection is one nothing was sent over: "cannot reach", not a request that may
/// have been acted on.
#[test]
fn a_refused_connection_is_said_unreachable() {
    let dir = built();
    // A port just bound and closed again: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let out = push(dir.path(), &["--api-url", &url], Some(TOKEN));
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        format!("error: cannot reach {url}: connection refused\n")
    );
}

/// An import the server received but whose answer cannot be read (a header too large to
/// take, a body cut short) is not said to be unreachable: the flow may be in the tenant now,
/// and a second push would need --overwrite. Nothing of the token shows.
#[test]
fn an_import_whose_answer_cannot_be_read_may_have_been_taken() {
    let dir = built();
    let mut huge_header = json(401, "{}");
    huge_header.headers.push(("X-Debug", "x".repeat(200_000)));
    let mut cut = imported();
    // The stand-in adds the body's own length after this one: two lengths that disagree.
    cut.headers.push(("Content-Length", "500".into()));
    for reply in [huge_header, cut] {
        let server = StandIn::start(vec![reply]);
        let url = server.url.clone();
        let out = push(dir.path(), &["--api-url", &url], Some(TOKEN));
        assert_eq!(server.finish().len(), 1, "the import was sent");
        let text = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{text}");
        assert!(
            text.starts_with(&format!("error: no answer to judge from {url}: ")),
            "{text}"
        );
        assert!(
            text.ends_with("the request may have reached it and been acted on: look in Flow Designer before pushing again (a flow already there needs --overwrite)\n"),
            "{text}"
        );
        assert!(
            !text.contains("cannot reach") && !text.contains(TOKEN),
            "{text}"
        );
    }
}

#[test]
fn a_refused_import_says_why_without_the_token() {
    let dir = built();
    // A server that echoes the token back must not make wxcflow print it.
    let answer = format!(r#"{{"error": "token {TOKEN} has no contact-center scope"}}"#);
    let server = StandIn::start(vec![json(401, &answer)]);
    let out = push(
        dir.path(),
        &["--publish", "--api-url", &server.url],
        Some(TOKEN),
    );
    assert_eq!(
        server.finish().len(),
        1,
        "no publish after a refused import"
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "error: the import was refused: HTTP 401; the answer has field error (not shown: it may echo the token)\n"
    );
}

#[test]
fn the_api_url_is_parsed_and_plain_http_goes_to_loopback_only() {
    let dir = built();
    let plain_http =
        "plain http goes only to localhost or a loopback address (127.0.0.0/8, [::1]); use https\n";
    for (url, says) in [
        // A prefix check took this for localhost: the host is 192.0.2.2 (TEST-NET-1).
        (
            "http://localhost:1@192.0.2.2:18200",
            "error: --api-url: a user name or password in the URL (`user:pass@`) is refused: the token goes in a header, and the host is what follows the `@`\n".to_string(),
        ),
        (
            "https://user:hunter2@192.0.2.3",
            "error: --api-url: a user name or password in the URL (`user:pass@`) is refused: the token goes in a header, and the host is what follows the `@`\n".to_string(),
        ),
        (
            "http://192.0.2.2:18200",
            format!("error: --api-url: http://192.0.2.2:18200: {plain_http}"),
        ),
        (
            "http://localhost.evil.com",
            format!("error: --api-url: http://localhost.evil.com: {plain_http}"),
        ),
        (
            "http://flows.example.com",
            format!("error: --api-url: http://flows.example.com: {plain_http}"),
        ),
    ] {
        let out = push(dir.path(), &["--api-url", url], Some(TOKEN));
        assert_eq!(out.status.code(), Some(2), "{url}");
        assert_eq!(stderr(&out), says, "{url}");
        assert!(!all_output(&out).contains("hunter2"));
    }
    // Other loopback addresses are this machine too, where it has them.
    for address in ["127.0.0.2", "::1"] {
        let Some(server) = StandIn::on(address, vec![imported()]) else {
            eprintln!("skipped {address}: this machine does not listen on it");
            continue;
        };
        let out = push(dir.path(), &["--api-url", &server.url], Some(TOKEN));
        assert_eq!(server.finish().len(), 1, "{address}");
        assert_eq!(
            out.status.code(),
            Some(0),
            "{address}: {}",
            all_output(&out)
        );
    }
}

#[test]
fn push_checks_its_input_before_sending_anything() {
    let dir = built();
    let no_token = push(dir.path(), &["--api-url", "http://127.0.0.1:9"], None);
    assert_eq!(no_token.status.code(), Some(2));
    let empty_token = push(dir.path(), &["--api-url", "http://127.0.0.1:9"], Some(""));
    assert_eq!(empty_token.status.code(), Some(2));
    assert!(stderr(&empty_token).contains("environment variable WXCC_TOKEN is empty"));
    // A token no header can carry is refused before any request, and not shown.
    for odd in [
        "tök-NOT-SHOWN",
        "tok NOT-SHOWN",
        "tok\u{7}NOT-SHOWN",
        "\u{a0}tok-NOT-SHOWN",
        "tok-NOT-SHOWN\u{3000}",
        "tok-NOT-SHOWN\u{b}",
    ] {
        let out = push(dir.path(), &["--api-url", "http://127.0.0.1:9"], Some(odd));
        assert_eq!(out.status.code(), Some(2), "{odd:?}");
        let said = all_output(&out);
        assert!(
            said.contains("environment variable WXCC_TOKEN is set, with a character an HTTP header cannot carry"),
            "{said}"
        );
        assert!(!said.contains("NOT-SHOWN"), "{said}");
    }
    // A token that is not UTF-8 is set: it is said to be not UTF-8, and not shown.
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt as _;
        let mut command = Command::new(env!("CARGO_BIN_EXE_wxcflow"));
        for name in proxy_variables() {
            command.env_remove(name);
        }
        let out = command
            .args([
                "push",
                "GetOAuthToken.fd.json",
                "--org",
                "org-1",
                "--region",
                "us1",
            ])
            .args([
                "--token-env",
                "WXCC_TOKEN",
                "--api-url",
                "http://127.0.0.1:9",
            ])
            .env(
                "WXCC_TOKEN",
                std::ffi::OsStr::from_bytes(b"tok-NOT-SHOWN\xff"),
            )
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", all_output(&out));
        let said = all_output(&out);
        assert!(
            said.contains("environment variable WXCC_TOKEN is not UTF-8"),
            "{said}"
        );
        assert!(!said.contains("NOT-SHOWN"), "{said}");
    }
    // A comment goes with a publish only.
    let comment = push(
        dir.path(),
        &["--comment", "x", "--api-url", "http://127.0.0.1:9"],
        Some(TOKEN),
    );
    assert_eq!(comment.status.code(), Some(2));
    // A file outside the Flow Designer schema is not sent: here an export with a null date,
    // where Cisco's schema says string.
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/flow-designer/exports/token-subflow.json");
    let text = std::fs::read_to_string(fixture).unwrap();
    let nulled = text.replace(
        "\"createdDate\":\"2024-01-19T10:00:00.000\"",
        "\"createdDate\":null",
    );
    assert_ne!(nulled, text);
    std::fs::write(dir.path().join("GetOAuthToken.fd.json"), nulled).unwrap();
    let export = push(
        dir.path(),
        &["--api-url", "http://127.0.0.1:9"],
        Some(TOKEN),
    );
    assert_eq!(export.status.code(), Some(1));
    assert!(stderr(&export).contains("push sends only files that pass the Flow Designer schema"));
    // A flow document is not a Flow Designer file: said once, not schema error by schema error.
    std::fs::write(
        dir.path().join("GetOAuthToken.fd.json"),
        common::compiler()
            .build(&wxcflow::diagnostic::SourceFile::new(
                "s.toml",
                wxcflow::DEFAULT_SPEC,
            ))
            .output
            .unwrap()
            .1,
    )
    .unwrap();
    let document = push(
        dir.path(),
        &["--api-url", "http://127.0.0.1:9"],
        Some(TOKEN),
    );
    assert_eq!(document.status.code(), Some(2));
    assert_eq!(
        stderr(&document),
        "error: GetOAuthToken.fd.json is not a Flow Designer file: push sends what `wxcflow build --target flow-designer` writes, or a Flow Designer export\n"
    );
    for out in [&no_token, &comment, &export, &document] {
        assert!(!all_output(out).contains(TOKEN));
    }
}

#[test]
fn plain_http_never_goes_through_a_proxy_from_the_environment() {
    let dir = built();
    // A stand-in proxy: it records every connection (a CONNECT or a proxied request).
    let proxy = StandIn::start(vec![json(200, "{}")]);
    let server = StandIn::start(vec![imported()]);
    let env: Vec<(&str, &str)> = wxcflow::flow_designer::push::Call::PROXY_VARIABLES
        .iter()
        .map(|name| (*name, proxy.url.as_str()))
        .collect();
    let out = push_with_env(
        dir.path(),
        "GetOAuthToken.fd.json",
        &["--api-url", &server.url],
        Some(TOKEN),
        &env,
    );
    assert_eq!(server.finish().len(), 1, "the API is reached directly");
    assert_eq!(proxy.finish().len(), 0, "the proxy sees nothing");
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
}

#[test]
fn https_goes_through_the_environments_proxy_and_a_failure_names_it_without_its_password() {
    let dir = built();
    // A proxy that refuses every tunnel.
    let proxy = StandIn::start(vec![json(403, "{}")]);
    let port = proxy.port;
    let with_password = format!("http://proxy-user:proxy-hunter2@127.0.0.1:{port}");
    let out = push_with_env(
        dir.path(),
        "GetOAuthToken.fd.json",
        &["--api-url", "https://api.example.invalid"],
        Some(TOKEN),
        &[("HTTPS_PROXY", &with_password)],
    );
    let seen = proxy.finish();
    assert_eq!(seen.len(), 1);
    assert!(
        seen[0]
            .request_line
            .starts_with("CONNECT api.example.invalid:443 "),
        "{}",
        seen[0].request_line
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        format!("error: cannot reach https://api.example.invalid: the proxy did not open a tunnel, through the proxy http://127.0.0.1:{port} (from the environment: ALL_PROXY, HTTPS_PROXY or HTTP_PROXY; NO_PROXY lists hosts that go direct)\n")
    );
    let all = all_output(&out);
    assert!(!all.contains("hunter2") && !all.contains("proxy-user") && !all.contains(TOKEN));
}

#[test]
fn file_names_are_printed_within_their_line_and_sent_as_ascii() {
    let dir = built();
    let name = "evil\n\u{1b}[31mimported fake\".fd.json";
    std::fs::copy(
        dir.path().join("GetOAuthToken.fd.json"),
        dir.path().join(name),
    )
    .unwrap();
    let server = StandIn::start(vec![imported()]);
    let out = push_file(dir.path(), name, &["--api-url", &server.url], Some(TOKEN));
    let seen = server.finish();
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    assert_eq!(
        stderr(&out),
        format!("imported evil\u{fffd}\u{fffd}[31mimported fake\".fd.json as a SUBFLOW (flow id {FLOW_ID}, version id {VERSION_ID})\n")
    );
    assert!(seen[0]
        .body
        .contains("Content-Disposition: form-data; name=\"file\"; filename=\"evil___31mimported_fake_.fd.json\"\r\n"));
    // A name in an error is shown the same way.
    std::fs::write(dir.path().join(name), "{}").unwrap();
    let out = push_file(
        dir.path(),
        name,
        &["--api-url", "http://127.0.0.1:9"],
        Some(TOKEN),
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: evil\u{fffd}\u{fffd}[31mimported fake\".fd.json is not a Flow Designer file: push sends what `wxcflow build --target flow-designer` writes, or a Flow Designer export\n"
    );
}

#[test]
fn a_proxy_the_environment_names_that_push_cannot_use_is_refused_not_gone_around() {
    let dir = built();
    // The API stand-in: nothing may reach it directly, around the proxy the user named.
    let api = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    api.set_nonblocking(true).unwrap();
    let api_url = format!("https://127.0.0.1:{}", api.local_addr().unwrap().port());
    for (var, value, why) in [
        (
            "ALL_PROXY",
            "socks5://proxy-user:proxy-hunter2@127.0.0.1:1",
            "is not an http(s) proxy (this build cannot use SOCKS)",
        ),
        (
            "HTTPS_PROXY",
            "http://proxy-user:proxy-hunter2@127.0.0.1:99999",
            "does not parse as a proxy URL with a valid port",
        ),
        (
            "HTTPS_PROXY",
            "http://proxy-user:proxy-hunter2@[::1",
            "does not parse",
        ),
    ] {
        let out = push_with_env(
            dir.path(),
            "GetOAuthToken.fd.json",
            &["--api-url", &api_url],
            Some(TOKEN),
            &[(var, value)],
        );
        assert_eq!(out.status.code(), Some(2), "{value}: {}", all_output(&out));
        assert!(
            stderr(&out).contains(&format!("the proxy in {var} {why}; point {var} at an http:// or https:// proxy, or unset it")),
            "{value}: {}",
            stderr(&out)
        );
        let all = all_output(&out);
        assert!(!all.contains("hunter2") && !all.contains("proxy-user") && !all.contains(TOKEN));
        assert!(
            api.accept().is_err(),
            "{value}: push went around the proxy, straight to the API"
        );
    }
}

/// A parent built from `fixtures/flow-designer/parents/order-lookup.toml` into a temporary
/// folder: it calls GetOAuthToken and Audit; `extra` are more build arguments (`--subflow`).
fn built_parent(extra: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let spec = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/flow-designer/parents/order-lookup.toml");
    std::fs::copy(spec, dir.path().join("order-lookup.toml")).unwrap();
    let mut args = vec!["build", "order-lookup.toml", "--target", "flow-designer"];
    args.extend_from_slice(extra);
    let out = common::wxcflow(dir.path(), &args);
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    dir
}

const AUDIT_ID: &str = "6a1eeabe7612bd69e972dbc9";
const AUDIT_VERSION: &str = "6a1ef3fd4b865e90d7fc2b2b";

/// The subflow list as the stand-in answers a lookup: both subflows the parent calls, and one
/// whose name merely contains a looked-up name.
fn subflow_list() -> Reply {
    json(
        200,
        &format!(
            r#"{{"data": [
                {{"name": "GetOAuthToken_old", "flowId": "{AUDIT_ID}", "id": "{AUDIT_VERSION}"}},
                {{"name": "GetOAuthToken", "flowId": "{FLOW_ID}", "id": "{VERSION_ID}", "flowType": "SUBFLOW"}},
                {{"name": "Audit", "id": "{AUDIT_ID}"}}
            ], "currentPage": 0, "totalPages": 1}}"#
        ),
    )
}

#[test]
fn a_parent_with_unresolved_subflows_has_them_looked_up_by_name_before_the_import() {
    let dir = built_parent(&[]);
    let written = std::fs::read_to_string(dir.path().join("OrderLookup.fd.json")).unwrap();
    let file: serde_json::Value = serde_json::from_str(&written).unwrap();
    assert_eq!(
        wxcflow::flow_designer::push::unresolved_subflows(&file).len(),
        2
    );
    let server = StandIn::start(vec![subflow_list(), subflow_list(), imported()]);
    let out = push_file(
        dir.path(),
        "OrderLookup.fd.json",
        &["--api-url", &server.url],
        Some(TOKEN),
    );
    let seen = server.finish();
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    assert!(!all_output(&out).contains(TOKEN));
    let err = stderr(&out);
    assert!(err.contains(&format!(
        "found subflow GetOAuthToken in the tenant (flow id {FLOW_ID})\n"
    )));
    assert!(err.contains(&format!(
        "found subflow Audit in the tenant (flow id {AUDIT_ID})\n"
    )));
    assert_eq!(seen.len(), 3);
    let mut searched: Vec<&str> = seen[..2].iter().map(|s| s.request_line.as_str()).collect();
    searched.sort();
    let list = |name: &str| {
        format!("GET /flow-store/org-1/project/{PROJECT}/flows?flowType=SUBFLOW&partialNameSearch={name}&includePagination=true&size=100 HTTP/1.1")
    };
    assert_eq!(searched, vec![list("Audit"), list("GetOAuthToken")]);
    for lookup in &seen[..2] {
        assert_eq!(
            lookup.header("authorization"),
            Some(format!("Bearer {TOKEN}").as_str())
        );
        assert_eq!(lookup.body, "");
    }
    // The import carries the ids found, in the activities and their widgets; the file on disk
    // is left as it was.
    let import = &seen[2];
    assert_eq!(import.request_line, import_line("SUBFLOW", "no"));
    assert!(!import.body.contains(r#""subflowId": """#));
    assert_eq!(
        import
            .body
            .matches(&format!(r#""subflowVersionId": "{VERSION_ID}""#))
            .count(),
        written.matches(r#""subflowName": "GetOAuthToken""#).count()
    );
    assert!(import
        .body
        .contains(&format!(r#""subflowId": "{AUDIT_ID}""#)));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("OrderLookup.fd.json")).unwrap(),
        written
    );
}

#[test]
fn a_parent_whose_subflow_the_tenant_has_not_is_not_imported() {
    let dir = built_parent(&[]);
    let server = StandIn::start(vec![json(200, r#"{"data": []}"#)]);
    let out = push_file(
        dir.path(),
        "OrderLookup.fd.json",
        &["--api-url", &server.url],
        Some(TOKEN),
    );
    let seen = server.finish();
    assert_eq!(out.status.code(), Some(1), "{}", all_output(&out));
    let err = stderr(&out);
    assert!(err.contains("the parent calls subflow `"), "{err}");
    assert!(err.contains("which the tenant has not (no subflow of that name in the answer); push the subflow first (`wxcflow push"), "{err}");
    assert!(
        err.contains("or build the parent with `--subflow "),
        "{err}"
    );
    assert!(!all_output(&out).contains(TOKEN));
    // One lookup, and no import.
    assert_eq!(seen.len(), 1);
    assert!(seen[0].request_line.starts_with("GET "));

    // An answer that is not the list is not believed either (exit 2), and nothing is imported.
    let server = StandIn::start(vec![json(200, r#"{"flows": []}"#)]);
    let out = push_file(
        dir.path(),
        "OrderLookup.fd.json",
        &["--api-url", &server.url],
        Some(TOKEN),
    );
    let seen = server.finish();
    assert_eq!(out.status.code(), Some(2), "{}", all_output(&out));
    assert!(stderr(&out).contains("but the answer has no `data` list; it is not shown"));
    assert_eq!(seen.len(), 1);
}

#[test]
fn a_parent_built_with_its_subflow_ids_is_imported_without_a_lookup() {
    let ids = format!("GetOAuthToken={FLOW_ID}:{VERSION_ID}");
    let audit = format!("Audit={AUDIT_ID}");
    let dir = built_parent(&["--subflow", &ids, "--subflow", &audit]);
    let server = StandIn::start(vec![imported()]);
    let out = push_file(
        dir.path(),
        "OrderLookup.fd.json",
        &["--api-url", &server.url],
        Some(TOKEN),
    );
    let seen = server.finish();
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].request_line, import_line("SUBFLOW", "no"));
    let written = std::fs::read_to_string(dir.path().join("OrderLookup.fd.json")).unwrap();
    // Sent as written: nothing was looked up or changed.
    assert!(seen[0].body.contains(written.trim_end()));
}
