//! What `wxcflow push` sends and believes, through the library alone: the calls it makes
//! (`Call`), and its judges of the answers (`Answer::judge_*`), with no server.

use std::collections::BTreeMap;
use wxcflow::flow_designer::lower::SubflowIds;
use wxcflow::flow_designer::push::*;

const FLOW: &str = "6a1e35a078a3f98ba463c7d5";
const VERSION: &str = "6a343b578d89fd6390b574f0";
const IMPORT: &str = "https://api.wxcc-us1.cisco.com/flow-store/o/project/p/flows:import";

fn answer(status: u16, content_type: Option<&str>, body: &str) -> Answer {
    Answer {
        status,
        content_type: content_type.map(String::from),
        location: None,
        retry_after: None,
        body: Body::Text(body.into()),
    }
}

fn json(status: u16, body: &str) -> Answer {
    answer(status, Some("application/json;charset=UTF-8"), body)
}

fn failure<T: std::fmt::Debug>(verdict: Verdict<T>) -> Failure {
    match verdict {
        Verdict::Failed(f) => f,
        other => panic!("not a failure: {other:?}"),
    }
}

#[test]
fn regions_and_stand_ins() {
    assert_eq!(
        Call::api_base("eu2", None).unwrap(),
        "https://api.wxcc-eu2.cisco.com"
    );
    assert!(Call::api_base("eu-2", None).is_err() && Call::api_base("1", None).is_err());
    for (given, base) in [
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
        ("http://127.0.0.2:8080", "http://127.0.0.2:8080"),
        ("http://127.1:8080", "http://127.0.0.1:8080"),
        ("http://[::1]:8080", "http://[::1]:8080"),
        ("http://LOCALHOST:8080/wxcc/", "http://localhost:8080/wxcc"),
        ("https://proxy.example.com", "https://proxy.example.com"),
        (
            "https://proxy.example.com/base",
            "https://proxy.example.com/base",
        ),
    ] {
        assert_eq!(
            Call::api_base("us1", Some(given)).as_deref(),
            Ok(base),
            "{given}"
        );
    }
}

#[test]
fn plain_http_goes_to_loopback_only_and_no_url_carries_credentials() {
    for (given, says) in [
        ("http://example.com", "--api-url: http://example.com: plain http goes only to localhost or a loopback address (127.0.0.0/8, [::1]); use https"),
        ("http://192.0.2.2:18200", "--api-url: http://192.0.2.2:18200: plain http goes only to localhost or a loopback address (127.0.0.0/8, [::1]); use https"),
        ("http://127.0.0.1.example.com", "--api-url: http://127.0.0.1.example.com: plain http goes only to localhost or a loopback address (127.0.0.0/8, [::1]); use https"),
        ("http://localhost.evil.com", "--api-url: http://localhost.evil.com: plain http goes only to localhost or a loopback address (127.0.0.0/8, [::1]); use https"),
        ("http://[::ffff:c000:202]", "--api-url: http://[::ffff:c000:202]: plain http goes only to localhost or a loopback address (127.0.0.0/8, [::1]); use https"),
        ("ftp://127.0.0.1", "--api-url: `ftp:` URLs are refused: use https (or http to localhost)"),
        ("https://x.example.com/?a=b", "--api-url: https://x.example.com: give the API's base URL, without `?` or `#`"),
        ("localhost:8080", "--api-url: `localhost:` URLs are refused: use https (or http to localhost)"),
        ("127.0.0.1:8080", "--api-url: not an absolute URL (relative URL without a base)"),
        ("flows", "--api-url: not an absolute URL (relative URL without a base)"),
    ] {
        assert_eq!(
            Call::api_base("us1", Some(given)).unwrap_err().to_string(),
            says,
            "{given}"
        );
    }
    // The user name and password are refused, and not repeated.
    for given in [
        "http://localhost:1@192.0.2.2:18200",
        "http://127.0.0.1@192.0.2.2",
        "https://user:hunter2@api.wxcc-us1.cisco.com",
        "http://u@localhost:8080",
    ] {
        let said = Call::api_base("us1", Some(given)).unwrap_err().to_string();
        assert!(
            said.starts_with("--api-url: a user name or password"),
            "{said}"
        );
        assert!(
            !said.contains("hunter2") && !said.contains("192.0.2.2"),
            "{said}"
        );
    }
}

#[test]
fn the_import_carries_its_type_and_overwrite_in_the_query_and_only_the_file_in_the_form() {
    let call = Call::import(
        "http://127.0.0.1:1",
        "org-1",
        "p-1",
        "a.fd.json",
        "{\"name\": \"x\"}",
        &ImportOptions {
            flow_type: FlowType::Subflow,
            overwrite: true,
        },
        "tok",
    );
    assert_eq!(
        call.url,
        "http://127.0.0.1:1/flow-store/org-1/project/p-1/flows:import?flowType=SUBFLOW&overwrite=yes"
    );
    let content_type = &call.headers[1].1;
    let boundary = content_type
        .strip_prefix("multipart/form-data; boundary=")
        .unwrap();
    assert_eq!(
        call.body,
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.fd.json\"\r\nContent-Type: application/json\r\n\r\n{{\"name\": \"x\"}}\r\n--{boundary}--\r\n")
    );
    let publish = Call::publish(
        "https://h",
        "o",
        "p",
        FLOW,
        FlowType::Flow,
        "a \"b\"\n",
        "t",
    );
    assert_eq!(
        publish.url,
        format!("https://h/flow-store/o/project/p/flows/{FLOW}:publish?flowType=FLOW")
    );
    assert_eq!(publish.body, r#"{"comment":"a \"b\"\n"}"#);
}

#[test]
fn a_file_says_its_type() {
    use serde_json::json;
    assert_eq!(
        FlowType::of_file(&json!({"flowType": "SUBFLOW"})),
        Ok(FlowType::Subflow)
    );
    assert_eq!(
        FlowType::of_file(&json!({"flowType": null})),
        Ok(FlowType::Flow)
    );
    assert_eq!(FlowType::of_file(&json!({})), Ok(FlowType::Flow));
    assert!(FlowType::of_file(&json!({"flowType": "FLOW&overwrite=yes"})).is_err());
}

#[test]
fn an_import_is_believed_only_with_ids_of_the_real_shape() {
    let both = format!(r#"{{"id": "{VERSION}", "flowId": "{FLOW}", "name": "x"}}"#);
    assert_eq!(
        json(201, &both).judge_import(0, IMPORT),
        Verdict::Accepted(Imported {
            flow_id: FLOW.into(),
            version_id: Some(VERSION.into())
        })
    );
    assert_eq!(
        json(200, &format!(r#"{{"id": "{FLOW}"}}"#)).judge_import(0, IMPORT),
        Verdict::Accepted(Imported {
            flow_id: FLOW.into(),
            version_id: None
        })
    );
    for (answer, says) in [
        (json(200, "{}"), "the import was answered with HTTP 200, but the answer names no flow (no `flowId` or `id`): nothing shows the flow was imported"),
        (json(200, r#"{"flowId": "flow-123"}"#), "the import was answered with HTTP 200, but its `flowId` is not an id (24 hex digits, as real ids are); it is not shown"),
        (json(200, &format!(r#"{{"flowId": "{FLOW}", "id": 7}}"#)), "the import was answered with HTTP 200, but its `id` is not an id (24 hex digits, as real ids are); it is not shown"),
        (json(200, &format!(r#"{{"flowId": "{FLOW}x"}}"#)), "the import was answered with HTTP 200, but its `flowId` is not an id (24 hex digits, as real ids are); it is not shown"),
        (json(200, "[1]"), "the import was answered with HTTP 200, but the answer is not a JSON object; it is not shown"),
        (answer(200, Some("text/html"), "<html>sign in</html>"), "the import was answered with HTTP 200, but not with JSON (a login page or a proxy's?); the answer is not shown. Check --api-url or --region"),
        (answer(200, None, &format!(r#"{{"flowId": "{FLOW}"}}"#)), "the import was answered with HTTP 200, but not with JSON (a login page or a proxy's?); the answer is not shown. Check --api-url or --region"),
        (Answer { body: Body::TooLarge, ..json(200, "") }, "the import was answered with HTTP 200, but the answer is longer than 1024 KiB (not read further); it is not shown, and is not the flow API's"),
        (Answer { body: Body::NotText, ..json(200, "") }, "the import was answered with HTTP 200, but the answer is not text; it is not shown, and is not the flow API's"),
    ] {
        let f = failure(answer.judge_import(0, IMPORT));
        assert_eq!((f.kind, f.message.as_str()), (FailureKind::NotTheApi, says));
    }
}

#[test]
fn no_redirect_is_followed_and_its_target_is_named_only_when_it_cannot_echo() {
    let redirect = |status, location: Option<&str>| Answer {
        location: location.map(String::from),
        ..json(status, "")
    };
    let tail = ": push follows no redirect (the token and the file would go with it); give --api-url or --region the API's own address";
    let other = "a redirect to another host (not named: an answer may echo what push sent)";
    for (status, location, to) in [
        (302, Some("https://login.example.net/sso?x=1"), other),
        // A server that echoes the token as a host name.
        (302, Some("https://NjFhYTest_token_PF84/"), other),
        (302, Some("https://api.wxcc-abc123.cisco.com/"), other),
        (302, Some("https://api.wxcc-us1.cisco.com.evil.example/"), other),
        (307, Some("/elsewhere"), "a redirect to the same host"),
        (307, Some("HTTPS://API.WXCC-US1.CISCO.COM:8443/x"), "a redirect to the same host"),
        (308, Some("http://api.wxcc-us1.cisco.com/x"), "a redirect to the same host, from https to http"),
        (301, Some("https://api.wxcc-eu2.cisco.com/x"), "a redirect to api.wxcc-eu2.cisco.com"),
        (301, Some("http://login.example.net/"), "a redirect to another host (not named: an answer may echo what push sent), from https to http"),
        (301, None, "a redirect with no Location"),
        (308, Some("data:,x"), "a redirect to a URL with no host"),
    ] {
        let f = failure(redirect(status, location).judge_import(0, IMPORT));
        let says = format!("the import was answered with HTTP {status}, {to}{tail}");
        assert_eq!((f.kind, f.message), (FailureKind::NotTheApi, says));
    }
}

#[test]
fn too_many_requests_is_retried_a_bounded_number_of_times_for_a_bounded_wait() {
    let busy = |retry_after: Option<&str>| Answer {
        retry_after: retry_after.map(String::from),
        ..json(429, "{}")
    };
    assert_eq!(
        busy(Some("0")).judge_import(0, IMPORT),
        Verdict::RetryAfter(0)
    );
    assert_eq!(
        busy(Some(" 60 ")).judge_publish(2, IMPORT),
        Verdict::RetryAfter(60)
    );
    for (retry_after, attempt, says) in [
        (Some("1"), Call::MAX_RETRIES, "the import was refused: HTTP 429 (too many requests), 4 times; try again later"),
        (Some("61"), 0, "the import was refused: HTTP 429 (too many requests), Retry-After 61 s is longer than push waits (60 s); try again later"),
        (Some("99999999999999999999999"), 0, "the import was refused: HTTP 429 (too many requests) without a Retry-After in seconds; try again later"),
        (Some("Wed, 21 Oct 2015 07:28:00 GMT"), 0, "the import was refused: HTTP 429 (too many requests) without a Retry-After in seconds; try again later"),
        (Some("-1"), 0, "the import was refused: HTTP 429 (too many requests) without a Retry-After in seconds; try again later"),
        (None, 0, "the import was refused: HTTP 429 (too many requests) without a Retry-After in seconds; try again later"),
    ] {
        let f = failure(busy(retry_after).judge_import(attempt, IMPORT));
        assert_eq!((f.kind, f.message.as_str()), (FailureKind::Refused, says));
    }
}

#[test]
fn a_subflow_is_found_by_its_exact_name_with_ids_of_the_real_shape() {
    let list = |entries: &str| json(200, &format!(r#"{{"data": [{entries}]}}"#));
    let found = |entries: &str| list(entries).judge_lookup(0, IMPORT, "Token");
    assert_eq!(
        found(&format!(
            r#"{{"name": "Tokens", "id": "{VERSION}"}}, {{"name": "Token", "flowId": "{FLOW}", "id": "{VERSION}"}}"#
        )),
        Verdict::Accepted(SubflowIds {
            flow_id: FLOW.into(),
            version_id: VERSION.into()
        })
    );
    assert_eq!(
        found(&format!(r#"{{"name": "Token", "id": "{FLOW}"}}"#)),
        Verdict::Accepted(SubflowIds {
            flow_id: FLOW.into(),
            version_id: String::new()
        })
    );
    for (entries, says) in [
        (format!(r#"{{"name": "Token", "id": "{FLOW}"}}, {{"name": "Token", "id": "{VERSION}"}}"#), "the tenant has 2 subflows named `Token`; build the parent with `--subflow Token=ID` to say which"),
        (r#"{"name": "Token", "id": "https://secret.example"}"#.to_string(), "subflow `Token` was found, but its `flowId` or `id` is not an id (24 hex digits, as real ids are); it is not shown"),
        (r#"{"name": "token"}"#.to_string(), "the parent calls subflow `Token`, which the tenant has not (no subflow of that name in the answer); push the subflow first (`wxcflow push Token.fd.json`), or build the parent with `--subflow Token=ID`"),
    ] {
        assert_eq!(failure(found(&entries)).message, says);
    }
    // What every call must be holds for the lookup: no redirect is followed.
    let mut moved = json(302, "");
    moved.location = Some("https://login.example.com/".into());
    assert_eq!(
        failure(moved.judge_lookup(0, IMPORT, "Token")).kind,
        FailureKind::NotTheApi
    );
    let call = Call::lookup(
        "https://api.wxcc-us1.cisco.com",
        "o",
        "p",
        "Get OAuth&Token",
        "t",
    );
    assert_eq!(call.url, "https://api.wxcc-us1.cisco.com/flow-store/o/project/p/flows?flowType=SUBFLOW&partialNameSearch=Get+OAuth%26Token&includePagination=true&size=100");
    assert_eq!((call.method, call.body.as_str()), ("GET", ""));
}

#[test]
fn unresolved_handoffs_are_found_and_resolved_in_activities_and_widgets() {
    // The description as `build` writes it for a handoff without ids.
    let unresolved = "Calls subflow `Token` (a Webex Connect Call Flow). Unresolved: the subflow's ids are not known here; build with `--subflow Token=ID`, or let `wxcflow push` look it up by name.";
    let handoff = |id: &str| serde_json::json!({"properties": {"activityName": "subflow-handoff", "subflowName": "Token", "subflowId": id, "description": unresolved}});
    let mut file = serde_json::json!({
        "process": {"activities": {"a": handoff(""), "b": handoff(FLOW)}},
        "diagram": {"widgets": {"a": handoff("")}},
    });
    assert_eq!(unresolved_subflows(&file), vec!["Token".to_string()]);
    let ids = SubflowIds {
        flow_id: FLOW.into(),
        version_id: VERSION.into(),
    };
    resolve_subflows(&mut file, &BTreeMap::from([("Token".to_string(), ids)]));
    assert!(unresolved_subflows(&file).is_empty());
    assert_eq!(
        file["diagram"]["widgets"]["a"]["properties"]["subflowVersion"]["subflowVersionId"],
        VERSION
    );
    // What is uploaded no longer says the ids are unknown: it says what was found.
    let resolved = format!("Calls subflow `Token` (a Webex Connect Call Flow). Resolved by `wxcflow push`: subflow `Token` found by name in the tenant (flow id {FLOW}).");
    for place in ["/process/activities/a", "/diagram/widgets/a"] {
        let description = &file.pointer(place).unwrap()["properties"]["description"];
        assert_eq!(description, &serde_json::json!(resolved), "{place}");
    }
    // A handoff that was resolved already keeps its description.
    assert_eq!(
        file["process"]["activities"]["b"]["properties"]["description"],
        unresolved
    );
}
#[test]
fn a_proxy_is_named_without_credentials() {
    assert!(Call::may_use_proxy("https://api.wxcc-us1.cisco.com/x"));
    assert!(!Call::may_use_proxy("http://127.0.0.1:8080/x"));
    assert_eq!(
        Call::proxy_shown("HTTP", "proxy.corp.example", 3128),
        "http://proxy.corp.example:3128"
    );
}

#[test]
fn a_refused_publish_shows_no_answer() {
    let f = failure(
        Answer {
            body: Body::TooLarge,
            ..json(503, "")
        }
        .judge_publish(0, IMPORT),
    );
    assert_eq!(
        (f.kind, f.message.as_str()),
        (
            FailureKind::Refused,
            "publishing was refused: HTTP 503 (the answer is not shown: it may echo the token)"
        )
    );
    assert_eq!(
        json(200, "{}").judge_publish(0, IMPORT),
        Verdict::Accepted(())
    );
}
