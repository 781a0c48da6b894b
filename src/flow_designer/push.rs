//! The requests `wxcflow push` sends to Webex Contact Center's flow API, built here without any
//! I/O: `POST .../flows:import` (multipart: `file`, `flowType`) and, on request,
//! `POST .../flows/{flowId}:publish`, both with a bearer token. The CLI sends them.

use sha2::{Digest, Sha256};

/// The project id in Cisco's examples of the flow-store API.
pub const DEFAULT_PROJECT: &str = super::sheet::PROJECT_ID;

/// One HTTP request. It holds the bearer token: never print it.
pub struct Call {
    /// The HTTP method (`POST`).
    pub method: &'static str,
    /// The flow-store endpoint, on the region's API base.
    pub url: String,
    /// Header name and value pairs, the `Authorization: Bearer` token among them.
    pub headers: Vec<(String, String)>,
    /// The request body: the multipart import form, or `{}` for a publish.
    pub body: String,
}

/// The API's base URL: the region's (`us1` -> `https://api.wxcc-us1.cisco.com`), or one given,
/// which must be https, or http to this machine only (a stand-in server, a local proxy), so
/// that the token never travels in clear over a network.
pub fn api_base(region: &str, api_url: Option<&str>) -> Result<String, String> {
    if let Some(url) = api_url {
        let url = url.trim_end_matches('/');
        let loopback = ["http://127.0.0.1", "http://localhost", "http://[::1]"]
            .iter()
            .any(|p| {
                url == *p || url.starts_with(&format!("{p}:")) || url.starts_with(&format!("{p}/"))
            });
        return if url.starts_with("https://") || loopback {
            Ok(url.to_string())
        } else {
            Err(format!(
                "--api-url {url}: use https, or http to 127.0.0.1 or localhost only"
            ))
        };
    }
    let mut chars = region.chars();
    let letters: String = chars
        .by_ref()
        .take_while(char::is_ascii_lowercase)
        .collect();
    let valid = !letters.is_empty()
        && region.len() > letters.len()
        && region[letters.len()..].chars().all(|c| c.is_ascii_digit());
    if !valid {
        return Err(format!("`{region}` is not a Webex Contact Center region (us1, eu1, eu2, anz1, ca1, jp1, sg1, ...)"));
    }
    Ok(format!("https://api.wxcc-{region}.cisco.com"))
}

/// Whether an org or project id is safe in a URL path.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

fn flows_url(base: &str, org: &str, project: &str) -> String {
    format!("{base}/flow-store/{org}/project/{project}/flows")
}

/// A multipart form with the file and the flow type; the boundary is derived from the file,
/// so that it never occurs in it.
pub fn multipart(file_name: &str, json: &str, flow_type: &str) -> (String, String) {
    let digest = Sha256::digest(json.as_bytes());
    let boundary: String = format!(
        "wxcflow-{}",
        digest
            .iter()
            .take(12)
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let safe_name: String = file_name
        .chars()
        .map(|c| {
            if c == '"' || c == '\r' || c == '\n' {
                '_'
            } else {
                c
            }
        })
        .collect();
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{safe_name}\"\r\nContent-Type: application/json\r\n\r\n{json}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"flowType\"\r\n\r\n{flow_type}\r\n\
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

/// `POST .../flows:import` with the file and its flow type (`FLOW` or `SUBFLOW`).
pub fn import_call(
    base: &str,
    org: &str,
    project: &str,
    file_name: &str,
    json: &str,
    flow_type: &str,
    token: &str,
) -> Call {
    let (content_type, body) = multipart(file_name, json, flow_type);
    Call {
        method: "POST",
        url: format!("{}:import", flows_url(base, org, project)),
        headers: authorised(token, content_type),
        body,
    }
}

/// `POST .../flows/{flowId}:publish`. The body is not published by Cisco [assumed: none needed,
/// an empty JSON object is sent].
pub fn publish_call(base: &str, org: &str, project: &str, flow_id: &str, token: &str) -> Call {
    Call {
        method: "POST",
        url: format!("{}/{flow_id}:publish", flows_url(base, org, project)),
        headers: authorised(token, "application/json".into()),
        body: "{}".into(),
    }
}

/// The flow id an import answers with: `flowId`, else `id` [assumed: the answer is the
/// imported FlowVersionRes, whose `flowId` names the flow].
pub fn imported_flow_id(answer: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(answer).ok()?;
    ["flowId", "id"].iter().find_map(|k| {
        value
            .get(*k)?
            .as_str()
            .filter(|s| valid_id(s))
            .map(String::from)
    })
}

/// Field names Webex APIs put errors in (`message`, `errors`, `trackingId`, ...). A refused
/// call is summarised by which of these its answer has, never by their values nor by any other
/// name the answer holds: a server may echo the request, bearer token included, and these
/// names are wxcflow's own text.
pub const ERROR_FIELDS: [&str; 10] = [
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
pub fn error_fields(answer: &str) -> Vec<&'static str> {
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
pub fn refusal(status: u16, answer: &str) -> String {
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
    fn regions_and_stand_ins() {
        assert_eq!(
            api_base("eu2", None).unwrap(),
            "https://api.wxcc-eu2.cisco.com"
        );
        assert!(api_base("eu-2", None).is_err() && api_base("1", None).is_err());
        assert_eq!(
            api_base("us1", Some("http://127.0.0.1:8080/")).unwrap(),
            "http://127.0.0.1:8080"
        );
        assert!(api_base("us1", Some("http://example.com")).is_err());
        assert!(api_base("us1", Some("http://127.0.0.1.example.com")).is_err());
        assert!(api_base("us1", Some("https://proxy.example.com")).is_ok());
    }

    #[test]
    fn the_form_carries_the_file_and_the_type() {
        let (content_type, body) = multipart("a.fd.json", "{\"name\": \"x\"}", "SUBFLOW");
        let boundary = content_type
            .strip_prefix("multipart/form-data; boundary=")
            .unwrap();
        assert!(body.contains("name=\"file\"; filename=\"a.fd.json\"\r\nContent-Type: application/json\r\n\r\n{\"name\": \"x\"}\r\n"));
        assert!(body.contains("name=\"flowType\"\r\n\r\nSUBFLOW\r\n"));
        assert!(body.ends_with(&format!("--{boundary}--\r\n")));
        assert_eq!(
            imported_flow_id("{\"id\": \"v1\", \"flowId\": \"f-9\"}").as_deref(),
            Some("f-9")
        );
        assert_eq!(imported_flow_id("{\"flowId\": \"../x\"}"), None);
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
