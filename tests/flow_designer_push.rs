//! `wxcflow push` against a stand-in for the flow API on 127.0.0.1, which checks what it is
//! sent: the multipart `file`, `flowType`, the bearer token, then the publish call. Nothing here
//! talks to Cisco.
// A test stops at the first thing that is not as expected.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg(feature = "live")]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;

const TOKEN: &str = "NjFhYTest_token_PF84_not-a-real-one";

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

/// Serves one answer per connection, in order, and hands back what it was sent. It gives up
/// waiting for a connection after a while so that a test never hangs.
fn stand_in(answers: Vec<(u16, &'static str)>) -> (String, std::thread::JoinHandle<Vec<Seen>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    listener.set_nonblocking(true).unwrap();
    let handle = std::thread::spawn(move || {
        let mut seen = Vec::new();
        for (status, answer) in answers {
            let mut waited = 0;
            let stream = loop {
                match listener.accept() {
                    Ok((stream, _)) => break Some(stream),
                    Err(_) if waited < 3000 => {
                        std::thread::sleep(std::time::Duration::from_millis(10));
                        waited += 1;
                    }
                    Err(_) => break None,
                }
            };
            let Some(stream) = stream else { break };
            stream.set_nonblocking(false).unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            reader.read_line(&mut request_line).unwrap();
            let mut headers = Vec::new();
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                let line = line.trim_end();
                if line.is_empty() {
                    break;
                }
                let (k, v) = line.split_once(':').unwrap();
                headers.push((k.trim().to_string(), v.trim().to_string()));
            }
            let length: usize = headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                .map_or(0, |(_, v)| v.parse().unwrap());
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let mut stream = stream;
            write!(
                stream,
                "HTTP/1.1 {status} Answer\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                answer.len()
            )
            .unwrap();
            seen.push(Seen {
                request_line: request_line.trim_end().to_string(),
                headers,
                body: String::from_utf8(body).unwrap(),
            });
        }
        seen
    });
    (url, handle)
}

fn push(dir: &Path, extra: &[&str], token: Option<&str>) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_wxcflow"));
    command
        .args([
            "push",
            "GetOAuthToken.fd.json",
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

#[test]
fn push_imports_the_subflow_then_publishes_it() {
    let dir = built();
    let (url, server) = stand_in(vec![
        (200, r#"{"id": "version-1", "flowId": "flow-123"}"#),
        (200, "{}"),
    ]);
    let out = push(dir.path(), &["--publish", "--api-url", &url], Some(TOKEN));
    let seen = server.join().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "imported GetOAuthToken.fd.json as a SUBFLOW (flow id flow-123)\npublished flow flow-123\n"
    );
    assert!(!all_output(&out).contains(TOKEN));
    assert_eq!(seen.len(), 2);

    let import = &seen[0];
    assert_eq!(
        import.request_line,
        "POST /flow-store/org-1/project/5e5c9ad6d61f870d6d778c1b/flows:import HTTP/1.1"
    );
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
    assert_eq!(parts.len(), 4, "file, flowType, and the closing boundary");
    assert_eq!(
        parts[1],
        format!("\r\nContent-Disposition: form-data; name=\"file\"; filename=\"GetOAuthToken.fd.json\"\r\nContent-Type: application/json\r\n\r\n{file}\r\n")
    );
    assert_eq!(
        parts[2],
        "\r\nContent-Disposition: form-data; name=\"flowType\"\r\n\r\nSUBFLOW\r\n"
    );
    assert_eq!(parts[3], "--\r\n");

    let publish = &seen[1];
    assert_eq!(
        publish.request_line,
        "POST /flow-store/org-1/project/5e5c9ad6d61f870d6d778c1b/flows/flow-123:publish HTTP/1.1"
    );
    assert_eq!(
        publish.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
}

#[test]
fn a_refused_import_says_why_without_the_token() {
    let dir = built();
    // A server that echoes the token back must not make wxcflow print it.
    let answer: &'static str = Box::leak(
        format!(r#"{{"error": "token {TOKEN} has no contact-center scope"}}"#).into_boxed_str(),
    );
    let (url, server) = stand_in(vec![(401, answer)]);
    let out = push(dir.path(), &["--publish", "--api-url", &url], Some(TOKEN));
    assert_eq!(
        server.join().unwrap().len(),
        1,
        "no publish after a refused import"
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: the import was refused: HTTP 401; the answer has field error (not shown: it may echo the token)\n"
    );
}

#[test]
fn push_checks_its_input_before_sending_anything() {
    let dir = built();
    let no_token = push(dir.path(), &["--api-url", "http://127.0.0.1:9"], None);
    assert_eq!(no_token.status.code(), Some(2));
    let empty_token = push(dir.path(), &["--api-url", "http://127.0.0.1:9"], Some(""));
    assert_eq!(empty_token.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&empty_token.stderr)
        .contains("environment variable WXCC_TOKEN is empty"));
    let plain_http = push(
        dir.path(),
        &["--api-url", "http://flows.example.com"],
        Some(TOKEN),
    );
    assert_eq!(plain_http.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&plain_http.stderr)
        .contains("use https, or http to 127.0.0.1 or localhost only"));
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
    assert!(String::from_utf8_lossy(&export.stderr)
        .contains("push sends only files that pass the Flow Designer schema"));
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
        String::from_utf8_lossy(&document.stderr),
        "error: GetOAuthToken.fd.json is not a Flow Designer file: push sends what `wxcflow build --target flow-designer` writes, or a Flow Designer export\n"
    );
    for out in [&no_token, &plain_http, &export, &document] {
        assert!(!all_output(out).contains(TOKEN));
    }
}
