//! Secrets by place, whatever the place holds: a credential typed as a number, a list or a
//! table is as secret as one typed as text, in every output; a Flow Designer spec that does not
//! read (a key given twice) hides every place that could hold one in every quoted line; `check`
//! reports what `push` refuses by the schema; and a spec's schema errors are located.
// A test stops at the first thing that is not as expected.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{json, Value};
use std::path::Path;
use std::process::{Command, Output};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn wxcflow(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wxcflow"))
        .args(args)
        .current_dir(dir)
        .env("WXCC_TOKEN", "token-for-the-stand-in")
        .env("NO_COLOR", "1")
        .env_remove("RUST_BACKTRACE")
        .output()
        .expect("the binary runs")
}

fn shown(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Sets an activity's property, and its copy on the diagram's widget, in an export.
fn set_property(export: &mut Value, activity: &str, path: &[&str], value: Value) {
    let id = export["process"]["activities"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(_, a)| a["name"] == activity)
        .unwrap()
        .0
        .clone();
    for part in ["/process/activities", "/diagram/widgets"] {
        let mut at = export
            .pointer_mut(&format!("{part}/{id}/properties"))
            .unwrap();
        let (last, parents) = path.split_last().unwrap();
        for key in parents {
            at = &mut at[*key];
        }
        at[*last] = value.clone();
    }
}

fn voice_lookup() -> Value {
    let text =
        std::fs::read_to_string(root().join("fixtures/flow-designer/exports/voice-lookup.json"))
            .unwrap();
    serde_json::from_str(&text).unwrap()
}

/// (what, the export with a credential of another JSON type, the secret's text).
fn credential_shapes() -> Vec<(&'static str, Value, &'static str)> {
    let mut cases = Vec::new();
    let mut number = voice_lookup();
    set_property(
        &mut number,
        "GetToken",
        &["httpRequestHeaders", "x-token-passphrase"],
        json!(24681357),
    );
    cases.push(("a header as a number", number, "24681357"));
    let mut list = voice_lookup();
    set_property(
        &mut list,
        "GetToken",
        &["httpRequestHeaders", "x-api-key"],
        json!(["LISTED-KEY-5150"]),
    );
    cases.push(("a header as a list", list, "LISTED-KEY-5150"));
    let mut table = voice_lookup();
    set_property(
        &mut table,
        "Lookup",
        &["httpRequestHeaders", "Authorization"],
        json!({"Bearer": "TABLED-BEARER-8086"}),
    );
    cases.push(("a header as a table", table, "TABLED-BEARER-8086"));
    let mut query = voice_lookup();
    set_property(
        &mut query,
        "Lookup",
        &["httpQueryParameters"],
        json!({"apikey": 55667788}),
    );
    cases.push(("a query parameter as a number", query, "55667788"));
    let mut url = voice_lookup();
    set_property(
        &mut url,
        "Lookup",
        &["httpRequestUrl"],
        json!(["https://user:LISTED-PASSWORD-6502@crm.example.com/"]),
    );
    cases.push(("a URL as a list", url, "LISTED-PASSWORD-6502"));
    // A user name with no password is sent as Basic authentication: a credential too.
    let mut user = voice_lookup();
    set_property(
        &mut user,
        "Lookup",
        &["httpRequestUrl"],
        json!("https://USER-NAME-TOKEN-6581@crm.example.com/"),
    );
    cases.push(("a URL's user name alone", user, "USER-NAME-TOKEN-6581"));
    // Parameters after a second `?` or a `;` are read as servers commonly read them.
    for (what, url, secret) in [
        (
            "a parameter after a second `?`",
            "https://crm.example.com/?lang=en?apikey=SECOND-MARK-KEY-1170",
            "SECOND-MARK-KEY-1170",
        ),
        (
            "a parameter after a `;`",
            "https://crm.example.com/?lang=en;pwd=SEMICOLON-PWD-2231",
            "SEMICOLON-PWD-2231",
        ),
    ] {
        let mut export = voice_lookup();
        set_property(&mut export, "Lookup", &["httpRequestUrl"], json!(url));
        cases.push((what, export, secret));
    }
    // A header or query parameter of any name carries a URL's credential all the same.
    for (what, key, name, url, secret) in [
        (
            "a URL's password in an ordinary header",
            "httpRequestHeaders",
            "Referer",
            "https://u:REFERER-PW-3141@ref.example.com/",
            "REFERER-PW-3141",
        ),
        (
            "a URL's credential parameter in an ordinary query parameter",
            "httpQueryParameters",
            "next",
            "https://ref.example.com/?apikey=NEXT-KEY-2718",
            "NEXT-KEY-2718",
        ),
    ] {
        let mut export = voice_lookup();
        set_property(&mut export, "Lookup", &[key, name], json!(url));
        cases.push((what, export, secret));
    }
    let mut lines = voice_lookup();
    set_property(
        &mut lines,
        "GetToken",
        &["httpRequestHeaders"],
        json!(["x-api-key: HEADER-LINE-6809"]),
    );
    cases.push(("headers as a list of lines", lines, "HEADER-LINE-6809"));
    // A plain variable whose value is a URL with a typed credential: secret by that place.
    for (what, url, secret) in [
        (
            "a variable's URL with a password",
            "https://crm:VARIABLE-PASSWORD-3321@crm.example.com/",
            "VARIABLE-PASSWORD-3321",
        ),
        (
            "a variable's URL with a user name alone",
            "https://VARIABLE-USER-TOKEN-4432@crm.example.com/",
            "VARIABLE-USER-TOKEN-4432",
        ),
        (
            "a variable's URL with a credential parameter",
            "https://crm.example.com/?lang=en&apikey=VARIABLE-KEY-5543",
            "VARIABLE-KEY-5543",
        ),
    ] {
        let mut export = voice_lookup();
        for v in export["variables"].as_array_mut().unwrap() {
            if v["name"] == "Greeting" {
                assert_eq!(v["isSecure"], json!(false));
                v["value"] = json!(url);
            }
        }
        cases.push((what, export, secret));
    }
    // A Pebble string literal typed into an Authorization header is typed text.
    let mut literal = voice_lookup();
    set_property(
        &mut literal,
        "Lookup",
        &["httpRequestHeaders", "Authorization"],
        json!("{{ \"Bearer PEBBLE-LITERAL-7787\" }}"),
    );
    cases.push((
        "a Pebble string literal in a header",
        literal,
        "PEBBLE-LITERAL-7787",
    ));
    // A number a set-variable types into a secure variable.
    let mut set = voice_lookup();
    for v in set["variables"].as_array_mut().unwrap() {
        if v["name"] == "Greeting" {
            v["isSecure"] = json!(true);
        }
    }
    set_property(&mut set, "SetGreeting", &["expr"], json!(97531864));
    cases.push(("a set-variable's value as a number", set, "97531864"));
    // A value typed into a variable the flow does not declare (a global one), named as a
    // credential: told by its name.
    let mut global = voice_lookup();
    set_property(
        &mut global,
        "SetGreeting",
        &["srcVariable"],
        json!("apiPassword"),
    );
    set_property(
        &mut global,
        "SetGreeting",
        &["expr"],
        json!("GLOBAL-PASSWORD-5150"),
    );
    cases.push((
        "a value typed into an undeclared credential-named variable",
        global,
        "GLOBAL-PASSWORD-5150",
    ));
    // The value in a set-variable's `literal` (what build writes), as in its `expr`.
    let mut literal = voice_lookup();
    set_property(
        &mut literal,
        "SetGreeting",
        &["srcVariable"],
        json!("apiPassword"),
    );
    set_property(&mut literal, "SetGreeting", &["expr"], json!(""));
    set_property(
        &mut literal,
        "SetGreeting",
        &["literal"],
        json!("TOP-LITERAL-6161"),
    );
    cases.push(("a set-variable's literal", literal, "TOP-LITERAL-6161"));
    // A 2026 set-variable's list of assignments.
    let mut array = voice_lookup();
    set_property(
        &mut array,
        "SetGreeting",
        &["setVariablesArray"],
        json!([{"srcVariable": "apiPassword", "literal": "ARRAY-LITERAL-8383"}]),
    );
    cases.push(("a setVariablesArray literal", array, "ARRAY-LITERAL-8383"));
    // A variable's value that is a list holding a URL with a key.
    let mut listed = voice_lookup();
    for v in listed["variables"].as_array_mut().unwrap() {
        if v["name"] == "Greeting" {
            v["value"] = json!(["https://h.example.com/?apikey=LISTED-URL-KEY-7272"]);
        }
    }
    cases.push((
        "a variable's value as a list of URLs",
        listed,
        "LISTED-URL-KEY-7272",
    ));
    cases
}

#[test]
fn a_credential_of_any_json_type_is_secret_whole_in_every_output() {
    let names: Vec<String> = voice_lookup()["process"]["activities"]
        .as_object()
        .unwrap()
        .values()
        .map(|a| a["name"].as_str().unwrap().to_string())
        .collect();
    assert!(names.iter().any(|n| n == "SetGreeting"), "{names:?}");
    for (what, export, secret) in credential_shapes() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, value: &Value| {
            std::fs::write(
                dir.path().join(name),
                serde_json::to_string_pretty(value).unwrap(),
            )
            .unwrap()
        };
        write("plain.json", &voice_lookup());
        write("shaped.json", &export);
        let decompiled = wxcflow(
            dir.path(),
            &["decompile", "shaped.json", "-o", "shaped.toml"],
        );
        assert_eq!(
            decompiled.status.code(),
            Some(0),
            "{what}: {}",
            shown(&decompiled)
        );
        let commands: Vec<Vec<&str>> = vec![
            vec!["textconv", "shaped.json"],
            vec!["textconv", "shaped.toml"],
            vec!["check", "shaped.json"],
            vec!["check", "--format", "json", "shaped.json"],
            vec!["check", "shaped.toml"],
            vec!["check", "--format", "json", "shaped.toml"],
            vec!["diff", "plain.json", "shaped.json"],
            vec!["diff", "plain.json", "shaped.json", "--format", "json"],
            vec!["diff", "plain.json", "shaped.json", "--format", "markdown"],
            vec!["diff", "shaped.json", "shaped.toml"],
            vec!["inspect", "shaped.json"],
            vec!["inspect", "--format", "json", "shaped.json"],
            vec!["sheet", "shaped.toml", "--target", "flow-designer"],
            vec![
                "build",
                "shaped.toml",
                "--target",
                "flow-designer",
                "-o",
                "built.json",
            ],
            // The schema refuses before anything is sent: no server is listening.
            vec![
                "push",
                "shaped.json",
                "--org",
                "org-1",
                "--region",
                "us1",
                "--token-env",
                "WXCC_TOKEN",
                "--api-url",
                "http://127.0.0.1:9/",
            ],
        ];
        let mut outputs = Vec::new();
        for args in &commands {
            let o = wxcflow(dir.path(), args);
            let text = shown(&o);
            assert!(
                !text.contains(secret),
                "{what}: `wxcflow {}` printed the secret:\n{text}",
                args.join(" ")
            );
            outputs.push((args.join(" "), o));
        }
        // A built flow holds the secret: it is private.
        #[cfg(unix)]
        if let Ok(built) = std::fs::metadata(dir.path().join("built.json")) {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(built.permissions().mode() & 0o777, 0o600, "{what}");
        }
        // What push refuses by the schema, check reports (and the other way round).
        let (_, check) = &outputs[2];
        let (_, push) = outputs.last().unwrap();
        let push_refused = shown(push).contains("pass the Flow Designer schema");
        let check_refused = shown(check).contains("breaks the Flow Designer schema");
        assert_eq!(
            push_refused,
            check_refused,
            "{what}:\npush: {}\ncheck: {}",
            shown(push),
            shown(check)
        );
        if check_refused {
            assert_eq!(check.status.code(), Some(1), "{what}");
        }
    }
}

#[test]
fn check_reports_the_schema_violation_push_refuses_located_and_masked() {
    let dir = tempfile::tempdir().unwrap();
    let (_, export, secret) = credential_shapes().remove(0);
    std::fs::write(
        dir.path().join("num.json"),
        serde_json::to_string_pretty(&export).unwrap(),
    )
    .unwrap();
    // The same past a megabyte, whose schema check starts beside its reading: blank lines
    // after it, so that its lines are still short enough to be quoted, and numbered the same.
    let text = serde_json::to_string_pretty(&export).unwrap();
    let large = format!("{text}{}", format!("\n{}", " ".repeat(63)).repeat(1 << 14));
    std::fs::write(dir.path().join("large.json"), large).unwrap();
    let violation = |file: &str| {
        let check = wxcflow(dir.path(), &["check", file]);
        assert_eq!(check.status.code(), Some(1));
        let text = shown(&check);
        assert!(!text.contains(secret));
        text.split("\n\n")
            .find(|d| d.contains("breaks the Flow Designer schema"))
            .unwrap_or_else(|| panic!("{text}"))
            .to_string()
    };
    let small = violation("num.json");
    assert_eq!(
        violation("large.json").replace("large.json", "num.json"),
        small
    );
    insta::assert_snapshot!("check_export_schema_violation", small);
}

/// A spec decompiled from an export holding a secure variable, with `edit` applied to it.
fn broken_spec(dir: &Path, edit: &dyn Fn(&str) -> String) -> String {
    let mut export = voice_lookup();
    export["variables"].as_array_mut().unwrap().push(json!({
        "name": "CrmKey", "description": "", "type": "STRING", "value": "DUPLICATED-SECRET-1024",
        "isCAD": false, "desktopLabel": "", "isAgentEditable": false, "source": "",
        "isReportable": false, "overwrite": false, "isSecure": true, "id": ""
    }));
    std::fs::write(
        dir.join("export.json"),
        serde_json::to_string_pretty(&export).unwrap(),
    )
    .unwrap();
    let o = wxcflow(dir, &["decompile", "export.json", "-o", "dec.toml"]);
    assert_eq!(o.status.code(), Some(0), "{}", shown(&o));
    let spec = std::fs::read_to_string(dir.join("dec.toml")).unwrap();
    assert!(
        spec.contains("value = \"DUPLICATED-SECRET-1024\"\n"),
        "{spec}"
    );
    edit(&spec)
}

#[test]
fn a_spec_that_does_not_read_hides_every_place_that_could_hold_a_secret() {
    let secret = "DUPLICATED-SECRET-1024";
    let line = format!("value = \"{secret}\"\n");
    type Edit<'a> = Box<dyn Fn(&str) -> String + 'a>;
    let edits: Vec<(&str, Edit)> = vec![
        (
            "a key given twice",
            Box::new(|spec: &str| spec.replacen(&line, &format!("value = 5\n{line}"), 1)),
        ),
        (
            "a key given twice, the secret first",
            Box::new(|spec: &str| spec.replacen(&line, &format!("{line}value = 5\n"), 1)),
        ),
        (
            "a table given twice",
            Box::new(|spec: &str| {
                format!("{spec}\n[variables.CrmKey]\nvalue = \"{secret}\"\nisSecure = true\n")
            }),
        ),
        (
            "a broken line before the secret",
            Box::new(|spec: &str| spec.replacen(&line, &format!("= oops =\n{line}"), 1)),
        ),
    ];
    let mut snapshot = String::new();
    for (what, edit) in &edits {
        let dir = tempfile::tempdir().unwrap();
        let spec = broken_spec(dir.path(), edit.as_ref());
        std::fs::write(dir.path().join("dup.toml"), &spec).unwrap();
        for args in [
            &[
                "build",
                "dup.toml",
                "--target",
                "flow-designer",
                "-o",
                "x.json",
            ][..],
            &["run", "dup.toml"],
            &["diff", "export.json", "dup.toml"],
            &["diff", "dup.toml", "export.json", "--format", "json"],
            &["textconv", "dup.toml"],
            &["check", "dup.toml"],
            &["check", "--format", "json", "dup.toml"],
            &["check", "--format", "sarif", "dup.toml"],
            &["inspect", "dup.toml"],
        ] {
            let o = wxcflow(dir.path(), args);
            let text = shown(&o);
            assert!(
                !text.contains(secret),
                "{what}: `wxcflow {}` printed the secret:\n{text}",
                args.join(" ")
            );
            if args[0] == "build" {
                assert_eq!(o.status.code(), Some(1), "{what}: {text}");
                snapshot.push_str(&format!("== {what}\n{text}\n"));
            }
        }
    }
    insta::assert_snapshot!("spec_that_does_not_read_build", snapshot);
}

#[test]
fn a_specs_schema_errors_are_located_at_the_key_that_wrote_them() {
    let spec = "fixtures/flow-designer/specs/schema-rejects.toml";
    let json = wxcflow(root(), &["check", spec, "--format", "json"]);
    assert_eq!(json.status.code(), Some(1));
    let found: Value = serde_json::from_slice(&json.stdout).unwrap();
    let schema: Vec<&Value> = found
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| {
            d["message"]
                .as_str()
                .unwrap()
                .contains("break the Flow Designer schema")
        })
        .collect();
    let located: Vec<(u64, u64)> = schema
        .iter()
        .map(|d| {
            (
                d["span"]["line"].as_u64().unwrap_or(0),
                d["span"]["column"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(located, vec![(15, 1), (17, 1)], "{found:#}");
    let human = wxcflow(root(), &["check", spec]);
    insta::assert_snapshot!("spec_schema_errors_located", shown(&human));
}

/// An export that gives a key twice: the reader keeps the last value, and the first, which the
/// model never sees, is hidden too in every quoted line when its place could hold a secret (a
/// credential header, a URL with a credential), with columns counted as the line is shown.
#[test]
fn an_export_that_gives_a_key_twice_hides_the_value_it_overrides() {
    let dir = tempfile::tempdir().unwrap();
    let fixture =
        std::fs::read_to_string(root().join("fixtures/flow-designer/exports/token-subflow.json"))
            .unwrap();
    // One member a line (no string holds `,"`: a quote in one is escaped), the keys in order.
    let twice = fixture
        .replacen(
            "\"x-token-passphrase\":\"{{Passphrase}}\"",
            "\"pin\":\"DUPPIN\", \"pin\":\"{{ Nope2 }}\", \"x-token-passphrase\":\"{{Passphrase}}\"",
            1,
        )
        .replacen(
            "\"httpRequestUrl\":\"{{ServiceURL}}\"",
            "\"httpRequestUrl\":\"https://h.example.com/?apikey=DUPKEY\", \"httpRequestUrl\":\"https://h.example.com/{{ Nope }}\"",
            1,
        )
        .replace(",\"", ",\n\"");
    assert_eq!(twice.matches("DUP").count(), 2);
    std::fs::write(dir.path().join("twice.json"), &twice).unwrap();
    let mut quoted = false;
    for args in [
        &["check", "twice.json"][..],
        &["check", "--format", "json", "twice.json"],
        &["check", "--format", "sarif", "twice.json"],
        &["textconv", "twice.json"],
        &["sheet", "twice.json"],
    ] {
        let out = shown(&wxcflow(dir.path(), args));
        quoted |= out.contains("\"httpRequestUrl\":•••, \"httpRequestUrl\"");
        assert!(!out.contains("DUPPIN"), "{args:?}:\n{out}");
        assert!(!out.contains("DUPKEY"), "{args:?}:\n{out}");
    }
    assert!(
        quoted,
        "the line is quoted:\n{}",
        shown(&wxcflow(dir.path(), &["check", "twice.json"]))
    );
    // The reference after the hidden value is pointed at where it shows.
    let out = shown(&wxcflow(dir.path(), &["check", "twice.json"]));
    let line = out
        .lines()
        .find(|l| l.contains("\"httpRequestUrl\":•••,"))
        .unwrap();
    let caret = out.lines().skip_while(|l| *l != line).nth(1).unwrap();
    let column = caret.find('^').unwrap();
    assert_eq!(
        line.chars().skip(column).take(4).collect::<String>(),
        "Nope",
        "{out}"
    );
}

/// Turns activity `name` of an export into one of type `kind` (its copy on the diagram too).
fn retype(export: &mut Value, name: &str, kind: &str) {
    set_property(export, name, &["activityName"], json!(kind));
}

/// The voice lookup export with `Lookup` made a screen pop that types `key` into its URL's
/// `apikey` and `pin` into its `token` query parameter, and `GetToken` made an activity of a
/// kind wxcflow does not know (`http-request-v3`) that types `key` into an auth table, its URL
/// and a header table.
fn screen_pop_and_unknown_kind(key: &str, pin: &str) -> Value {
    let mut export = voice_lookup();
    retype(&mut export, "Lookup", "screen-pop");
    let url = format!("https://crm.example.com/pop?lang=en&apikey={key}");
    set_property(&mut export, "Lookup", &["screenPopUrl"], json!(url));
    let back = format!("https://agent:{pin}@crm.example.com/back");
    let query = json!({"token": pin, "lang": "en", "back": back});
    set_property(&mut export, "Lookup", &["queryParameters"], query);
    set_property(&mut export, "Lookup", &["target"], json!("insideDesktop"));
    retype(&mut export, "GetToken", "http-request-v3");
    let auth = json!({"type": "basic", "password": key});
    set_property(&mut export, "GetToken", &["requestAuth"], auth);
    let url = format!("https://{pin}@crm.example.com/token");
    set_property(&mut export, "GetToken", &["requestUrl"], json!(url));
    let headers = json!([{"name": "X-Custom", "value": key}]);
    set_property(&mut export, "GetToken", &["requestHeaders"], headers);
    export
}

/// `old` and `new` written as exports, and what textconv, diff (text, JSON, Markdown), check and
/// decompile print of them (then `extra` commands); the spec decompiled from `new` must be private.
fn old_and_new_outputs(old: &Value, new: &Value, extra: &[&[&str]]) -> String {
    let dir = tempfile::tempdir().unwrap();
    for (name, value) in [("old.json", old), ("new.json", new)] {
        let text = serde_json::to_string_pretty(value).unwrap();
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let mut all = String::new();
    let standard: [&[&str]; 7] = [
        &["textconv", "new.json"],
        &["diff", "old.json", "new.json"],
        &["diff", "old.json", "new.json", "--format", "json"],
        &["diff", "old.json", "new.json", "--format", "markdown"],
        &["check", "new.json"],
        &["decompile", "new.json", "-o", "new.toml"],
        &["textconv", "new.toml"],
    ];
    for args in standard.iter().chain(extra) {
        let o = wxcflow(dir.path(), args);
        all.push_str(&format!("$ {}\n{}", args.join(" "), shown(&o)));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let spec = std::fs::metadata(dir.path().join("new.toml")).unwrap();
        assert_eq!(spec.permissions().mode() & 0o777, 0o600);
    }
    all
}

/// A screen pop's URL and query parameters are credential places as an HTTP request's are,
/// and an activity of a kind wxcflow does not know has every property whose name says URL,
/// header, auth, password, token, key or secret taken for one: textconv and diff (text, JSON,
/// Markdown) hide them as the mask, print the same bytes whatever they hold, and still compare
/// them by value; a spec written from such an export is private.
#[test]
fn screen_pops_and_unknown_kinds_hide_their_credential_places() {
    let outputs = |(key, pin): (&str, &str)| {
        old_and_new_outputs(
            &screen_pop_and_unknown_kind("old-key", "old-pin"),
            &screen_pop_and_unknown_kind(key, pin),
            &[],
        )
    };
    let reference = outputs(("REFERENCE-KEY-4711", "REFERENCE-PIN-0815"));
    assert!(!reference.contains("REFERENCE-"), "{reference}");
    for line in [
        "Lookup.screenPopUrl = •••",
        "Lookup.queryParameters.token = •••",
        "Lookup.queryParameters.back = •••",
        "Lookup.queryParameters.lang = \"en\"",
        "Lookup.target = \"insideDesktop\"",
        "GetToken.requestAuth.password = •••",
        "GetToken.requestUrl = •••",
        "GetToken.requestHeaders[0].value = •••",
    ] {
        assert!(reference.contains(line), "{line}: {reference}");
    }
    // Compared by value: a change shows, masked.
    assert!(
        reference.contains("Lookup.screenPopUrl: ••• → •••"),
        "{reference}"
    );
    assert!(
        reference.contains("GetToken.requestAuth.password: ••• → •••"),
        "{reference}"
    );
    for secrets in crate::common::SECRET_SETS {
        assert_eq!(outputs(*secrets), reference, "depends on {secrets:?}");
    }
}

/// (what, the voice lookup export with a credential typed in a Pebble string literal of a URL
/// or a credential URL set into a variable, the secret's text).
fn literal_url_cases() -> Vec<(&'static str, Value, &'static str)> {
    let mut cases = Vec::new();
    let mut add = |what, activity: &str, key: &str, value: &str, secret| {
        let mut export = voice_lookup();
        if key == "screenPopUrl" {
            retype(&mut export, activity, "screen-pop");
        }
        set_property(&mut export, activity, &[key], json!(value));
        cases.push((what, export, secret));
    };
    add(
        "a parameter's literal",
        "Lookup",
        "httpRequestUrl",
        "https://crm.example.com/x?lang=en&apikey={{ 'LITERAL-KEY-1' }}",
        "LITERAL-KEY-1",
    );
    add(
        "a URL written as one literal",
        "GetToken",
        "httpRequestUrl",
        "{{ \"https://svc:LITERAL-PW-2@crm.example.com/token\" }}",
        "LITERAL-PW-2",
    );
    add(
        "a screen pop's literal",
        "Lookup",
        "screenPopUrl",
        "https://crm.example.com/pop?token={{ 'LITERAL-TOKEN-3' | upper }}",
        "LITERAL-TOKEN-3",
    );
    add(
        "a credential URL set into a variable",
        "SetGreeting",
        "expr",
        "https://svc:SET-PW-4@crm.example.com/",
        "SET-PW-4",
    );
    add(
        "a credential URL set in a branch",
        "SetGreeting",
        "expr",
        "{% if true %}https://crm.example.com/?apikey=SET-KEY-5{% endif %}",
        "SET-KEY-5",
    );
    // A variable's value typing a credential URL in a literal, interpolated: `run` lists it.
    let mut export = voice_lookup();
    let greeting = export["variables"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|v| v["name"] == "Greeting")
        .unwrap();
    greeting["value"] = json!("{{ \"#{ 'https://svc:VALUE-PW-6@crm.example.com/' }\" }}");
    cases.push(("a variable's value", export, "VALUE-PW-6"));
    cases
}

/// A string literal inside a Pebble block of a URL is typed text, as it is in a credential
/// header, and a set-variable that types a URL carrying a credential is a credential place:
/// textconv, diff (text, JSON, Markdown), decompile's stdout and check hide it, check warns of
/// it, and a spec written from it is private.
#[test]
fn pebble_literals_in_urls_and_credential_urls_set_into_variables_are_secret_by_place() {
    for (what, export, secret) in literal_url_cases() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, value: &Value| {
            let text = serde_json::to_string_pretty(value).unwrap();
            std::fs::write(dir.path().join(name), text).unwrap()
        };
        write("plain.json", &voice_lookup());
        write("typed.json", &export);
        let mut all = String::new();
        for args in [
            &["textconv", "typed.json"][..],
            &["diff", "plain.json", "typed.json"],
            &["diff", "plain.json", "typed.json", "--format", "json"],
            &["diff", "plain.json", "typed.json", "--format", "markdown"],
            &["decompile", "typed.json"],
            &["check", "typed.json"],
            &["decompile", "typed.json", "-o", "typed.toml"],
            &["textconv", "typed.toml"],
            &["diff", "plain.json", "typed.toml"],
            &["run", "typed.json"],
            &["run", "typed.json", "--format", "json"],
        ] {
            let o = wxcflow(dir.path(), args);
            let text = shown(&o);
            assert!(
                !text.contains(secret),
                "{what}: `wxcflow {}` printed the secret:\n{text}",
                args.join(" ")
            );
            all.push_str(&text);
        }
        assert!(all.contains("typed in clear"), "{what}: {all}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let spec = std::fs::metadata(dir.path().join("typed.toml")).unwrap();
            assert_eq!(spec.permissions().mode() & 0o777, 0o600, "{what}");
        }
    }
}

/// The voice lookup export with `GetToken` (an `http-request-v2`, a kind wxcflow models)
/// carrying properties it does not model, as a newer export could: `key` in a proxy URL's
/// password, an auth token, an API key and a header table.
fn known_kind_with_unmodelled(key: &str) -> Value {
    let mut export = voice_lookup();
    let proxy = format!("http://proxy:{key}@proxy.example.com:3128/");
    set_property(&mut export, "GetToken", &["proxyUrl"], json!(proxy));
    set_property(&mut export, "GetToken", &["authToken"], json!(key));
    set_property(&mut export, "GetToken", &["apiKey"], json!(key));
    let headers = json!({"Authorization": format!("Bearer {key}")});
    set_property(&mut export, "GetToken", &["httpRequestHeadersV2"], headers);
    set_property(&mut export, "GetToken", &["retryPolicy"], json!("linear"));
    export
}

/// A property a modelled kind carries beyond the ones wxcflow reads is read as an unknown
/// kind's are: each whose name says URL, header, auth, token or key is hidden whole by
/// textconv, diff (text, JSON, Markdown) and a spec written from the export (private), still
/// compared by value; the kind's modelled properties and other unmodelled ones are shown.
#[test]
fn unmodelled_properties_of_a_known_kind_are_read_as_an_unknown_kinds() {
    let outputs = |key: &str| {
        old_and_new_outputs(
            &known_kind_with_unmodelled("OLD-KEY-1234"),
            &known_kind_with_unmodelled(key),
            &[&["check", "new.toml"]],
        )
    };
    let reference = outputs("UNMODELLED-KEY-4711");
    assert!(!reference.contains("UNMODELLED-"), "{reference}");
    for line in [
        "GetToken.proxyUrl = •••",
        "GetToken.authToken = •••",
        "GetToken.apiKey = •••",
        "GetToken.httpRequestHeadersV2.Authorization = •••",
        "GetToken.retryPolicy = \"linear\"",
        "GetToken.proxyUrl: ••• → •••",
    ] {
        assert!(reference.contains(line), "{line}: {reference}");
    }
    assert_eq!(outputs("OTHER-SECRET-0815"), reference);
}

/// A folder holding `export` as `new.json`, the voice lookup export as it is as `plain.json`,
/// and `export` in a merge conflict (a file that does not read) as `conflict.json`.
fn beside_plain(export: &Value) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let text = serde_json::to_string_pretty(export).unwrap();
    std::fs::write(dir.path().join("new.json"), &text).unwrap();
    std::fs::write(
        dir.path().join("plain.json"),
        serde_json::to_string_pretty(&voice_lookup()).unwrap(),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("conflict.json"),
        format!("<<<<<<< HEAD\n{text}\n=======\n{{}}\n>>>>>>> other\n"),
    )
    .unwrap();
    dir
}

/// Runs each command in `dir`: none prints any of `secrets`; together (after `earlier`, what
/// ran before) they print each of `lines`; and the spec decompiled there (`new.toml`) is
/// private.
fn shows_none_of(
    dir: &Path,
    commands: &[&[&str]],
    secrets: &[&str],
    lines: &[&str],
    earlier: String,
) {
    let mut all = earlier;
    for args in commands {
        let shown = shown(&wxcflow(dir, args));
        for secret in secrets {
            assert!(
                !shown.contains(secret),
                "`wxcflow {}` printed {secret}:\n{shown}",
                args.join(" ")
            );
        }
        all.push_str(&shown);
    }
    for line in lines {
        assert!(all.contains(line), "{line}: {all}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let spec = std::fs::metadata(dir.join("new.toml")).unwrap();
        assert_eq!(spec.permissions().mode() & 0o777, 0o600);
    }
}

/// For an activity of a kind wxcflow does not model, and for a property a modelled kind
/// carries beyond what wxcflow reads, text that is a URL carrying a credential typed in clear
/// is hidden whatever the property is called (`endpoint`, `target`, nested or not), in a file
/// that reads and in one that does not (a merge conflict); a plain URL there is shown.
#[test]
fn a_credential_url_in_an_unmodelled_property_is_hidden_whatever_its_name() {
    let mut export = voice_lookup();
    retype(&mut export, "Lookup", "http-request-v3");
    let endpoint = "https://svc:ENDPOINT-PW-1@crm.example.com/";
    set_property(&mut export, "Lookup", &["endpoint"], json!(endpoint));
    let target = json!({"primary": "https://crm.example.com/x?apikey=TARGET-KEY-2"});
    set_property(&mut export, "Lookup", &["target"], target);
    let mirror = "https://crm.example.com/m?lang=en&token=MIRROR-TOKEN-3";
    set_property(&mut export, "GetToken", &["mirror"], json!(mirror));
    let plain = "https://crm.example.com/plain";
    set_property(&mut export, "Lookup", &["homepage"], json!(plain));
    let secrets = ["ENDPOINT-PW-1", "TARGET-KEY-2", "MIRROR-TOKEN-3"];
    let dir = beside_plain(&export);
    shows_none_of(
        dir.path(),
        &[
            &["textconv", "new.json"][..],
            &["diff", "plain.json", "new.json"],
            &["diff", "plain.json", "new.json", "--format", "json"],
            &["diff", "plain.json", "new.json", "--format", "markdown"],
            &["decompile", "new.json", "-o", "new.toml"],
            &["textconv", "new.toml"],
            &["textconv", "conflict.json"],
            &["check", "conflict.json"],
        ],
        &secrets,
        &[
            "Lookup.endpoint = •••",
            "Lookup.target.primary = •••",
            "GetToken.mirror = •••",
            "Lookup.homepage = \"https://crm.example.com/plain\"",
        ],
        String::new(),
    );
}

/// An activity's type (`activityName`, and its `activityId`) typed as a URL with a password is
/// hidden wherever a command names the type (inspect, graph, textconv, diff, run, decompile's
/// spec quoted by check), and the spec written from it is private.
#[test]
fn a_credential_url_typed_as_an_activity_s_type_is_hidden() {
    let mut export = voice_lookup();
    let kind = "https://svc:TYPE-PW-4@crm.example.com/kind";
    retype(&mut export, "Lookup", kind);
    set_property(&mut export, "GetToken", &["activityId"], json!(kind));
    let dir = beside_plain(&export);
    let decompiled = wxcflow(dir.path(), &["decompile", "new.json", "-o", "new.toml"]);
    let spec = std::fs::read_to_string(dir.path().join("new.toml")).unwrap();
    assert!(spec.contains(kind), "{}", shown(&decompiled));
    // The spec broken on the type's own line: quoted by the error, the type hidden.
    let broken = spec.replacen(
        &format!("type = \"{kind}\""),
        &format!("type = \"{kind}\" x"),
        1,
    );
    assert_ne!(broken, spec);
    std::fs::write(dir.path().join("broken.toml"), broken).unwrap();
    // Its messages name the type: without the group that says what an unknown type is, and
    // with a port it does not have.
    let typed = format!("type = \"{kind}\"\n");
    let no_group = spec.replacen(&format!("{typed}group = \"action\"\n"), &typed, 1);
    assert_ne!(no_group, spec);
    std::fs::write(dir.path().join("no-group.toml"), no_group).unwrap();
    let bad_port = spec.replacen(
        "next = { default = \"TierCase\" }",
        "next = { bogus = \"TierCase\" }",
        1,
    );
    assert_ne!(bad_port, spec);
    std::fs::write(dir.path().join("bad-port.toml"), bad_port).unwrap();
    shows_none_of(
        dir.path(),
        &[
            &["inspect", "new.json"][..],
            &["inspect", "new.json", "--format", "json"],
            &["graph", "new.json"],
            &["graph", "new.json", "--format", "dot"],
            &["textconv", "new.json"],
            &["run", "new.json"],
            &["check", "new.json"],
            &["diff", "plain.json", "new.json"],
            &["diff", "plain.json", "new.json", "--format", "json"],
            &["diff", "plain.json", "new.json", "--format", "markdown"],
            &["decompile", "new.json"],
            &["textconv", "new.toml"],
            &["check", "new.toml"],
            &["check", "broken.toml"],
            &["check", "no-group.toml"],
            &["graph", "no-group.toml"],
            &["check", "bad-port.toml"],
            &["run", "bad-port.toml"],
            &["textconv", "conflict.json"],
            &["check", "conflict.json"],
        ],
        &["TYPE-PW-4"],
        &[
            "Lookup = •••",
            "GetToken.activityId = •••",
            "Lookup<br/>•••",
            "`Lookup` is of type `•••`, which wxcflow does not know",
            "`Lookup` (•••) has no port `bogus`",
        ],
        shown(&decompiled),
    );
}

/// A spec whose inline table breaks: the parser's recovery takes the next line into that
/// table (a header of no credential name), so its credential URL is hidden by the line the
/// reading broke at, not by its place.
#[test]
fn a_credential_after_a_broken_inline_table_is_hidden() {
    let dir = tempfile::tempdir().unwrap();
    let spec = "[flow_designer]\nname = \"Leak\"\ntype = \"SUBFLOW\"\n\n\
        [activities.Start]\ntype = \"NewSubFlowStart\"\nnext = { out = \"Ask\" }\n\n\
        [activities.Ask]\ntype = \"http-request-v2\"\nnext = { default = \"Done\" }\n\n\
        [activities.Ask.settings]\nhttpRequestHeaders = { Accept = \"x }\n\
        httpRequestUrl = \"https://svc:hunter2@api.example.com/\"\n\n\
        [activities.Done]\ntype = \"end-subflow\"\n";
    std::fs::write(dir.path().join("leak.toml"), spec).unwrap();
    for args in [
        &["check", "leak.toml"][..],
        &["check", "--format", "json", "leak.toml"],
        &["graph", "leak.toml"],
        &["run", "leak.toml"],
        &["sheet", "leak.toml", "--target", "flow-designer"],
        &[
            "build",
            "leak.toml",
            "--target",
            "flow-designer",
            "-o",
            "x.json",
        ],
        &["diff", "leak.toml", "leak.toml"],
        &["textconv", "leak.toml"],
    ] {
        let out = wxcflow(dir.path(), args);
        let text = shown(&out);
        // Every command but textconv (which shows any text) refuses the spec.
        if args[0] != "textconv" {
            assert_ne!(out.status.code(), Some(0), "{args:?}: {text}");
        }
        assert!(
            !text.contains("hunter2"),
            "`wxcflow {}` printed it:\n{text}",
            args.join(" ")
        );
    }
}
