//! Where a tenant's secret values may come from (secret files inside the tenant file's folder or
//! a `--secrets-dir`, never under /proc, /sys or /dev) and what such a value may hold (one
//! trailing newline removed; no byte order mark or control character), through the command.
// A test stops at the first thing that is not as expected.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg(unix)]

use std::path::Path;
use std::process::{Command, Output};

fn wxcflow(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wxcflow"))
        .args(args)
        .current_dir(dir)
        .envs(env.iter().copied())
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A folder with `tenants/`, a secret inside it (`tenants/keys/inside.txt`), one beside it
/// (`outside/secret.txt`), and links inside `tenants/` to each.
fn layout() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("tenants/keys")).unwrap();
    std::fs::create_dir_all(d.join("outside")).unwrap();
    std::fs::write(d.join("tenants/keys/inside.txt"), "inside-secret-5Hb\n").unwrap();
    std::fs::write(d.join("outside/secret.txt"), "outside-secret-2Rk\n").unwrap();
    std::os::unix::fs::symlink("keys/inside.txt", d.join("tenants/link-in")).unwrap();
    std::os::unix::fs::symlink("../outside/secret.txt", d.join("tenants/link-out")).unwrap();
    dir
}

/// Builds the embedded template for a tenant whose `static_token` is `source`, with `extra`
/// arguments; the exit code, stderr, and the document when one was written.
fn build_with(
    dir: &Path,
    source: &str,
    extra: &[&str],
    env: &[(&str, &str)],
) -> (Option<i32>, String, Option<String>) {
    std::fs::write(
        dir.join("tenants/t.toml"),
        format!("static_token = {source}\n"),
    )
    .unwrap();
    let _ = std::fs::remove_file(dir.join("t.flow.json"));
    let mut args = vec!["build", "--values", "tenants/t.toml", "-o", "t.flow.json"];
    args.extend_from_slice(extra);
    let out = wxcflow(dir, &args, env);
    let document = std::fs::read_to_string(dir.join("t.flow.json")).ok();
    (out.status.code(), stderr(&out), document)
}

/// No part of `value` that names it (a word with a digit) is in `shown`.
fn assert_value_not_shown(value: &str, shown: &str) {
    for word in value
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| w.len() >= 3 && w.contains(|c: char| c.is_ascii_digit()))
    {
        assert!(!shown.contains(word), "{value:?}: {shown}");
    }
}

#[test]
fn secret_files_outside_the_tenant_folder_or_under_system_folders_are_refused() {
    let dir = layout();
    let d = dir.path();
    let absolute = d.join("outside/secret.txt").display().to_string();
    let system = "under /proc, /sys or /dev";
    let outside = "outside the tenant file's folder";
    for (path, rule) in [
        ("/proc/self/environ", system),
        ("/proc/self/cmdline", system),
        ("/dev/zero", system),
        ("/dev/null", system),
        ("/sys/kernel", system),
        (absolute.as_str(), outside),
        ("../outside/secret.txt", outside),
        ("keys/../../outside/secret.txt", outside),
        ("link-out", outside),
    ] {
        let (code, err, document) = build_with(d, &format!("{{ file = {path:?} }}"), &[], &[]);
        assert_eq!(code, Some(1), "{path}: {err}");
        assert!(
            err.contains(&format!(
                "error[wxc::secret-file-not-allowed]: tenants/t.toml: `static_token` comes from file {path}: not allowed: it lies {rule}"
            )),
            "{path}: {err}"
        );
        // Located: the span of the `{ file = ... }` value.
        assert!(err.contains("--> tenants/t.toml:1:16"), "{path}: {err}");
        assert!(!err.contains("outside-secret"), "{path}: {err}");
        assert_eq!(document, None, "{path}: nothing is written");
    }
    // The rule, once in full.
    let (_, err, _) = build_with(d, "{ file = \"link-out\" }", &[], &[]);
    insta::assert_snapshot!(err);
}

#[test]
fn secret_files_inside_the_tenant_folder_or_a_secrets_dir_are_read() {
    let dir = layout();
    let d = dir.path();
    for path in ["keys/inside.txt", "./keys/inside.txt", "link-in"] {
        let (code, err, document) = build_with(d, &format!("{{ file = {path:?} }}"), &[], &[]);
        assert_eq!(code, Some(0), "{path}: {err}");
        // The trailing newline is gone: the value ends at the closing quote.
        assert!(
            document.unwrap().contains("\"inside-secret-5Hb\""),
            "{path}"
        );
    }
    // A --secrets-dir allows its folder, however the file is named: relative, absolute, a link.
    let absolute = d.join("outside/secret.txt").display().to_string();
    for path in ["../outside/secret.txt", absolute.as_str(), "link-out"] {
        for dir_arg in ["outside", "./outside/"] {
            let (code, err, document) = build_with(
                d,
                &format!("{{ file = {path:?} }}"),
                &["--secrets-dir", dir_arg],
                &[],
            );
            assert_eq!(code, Some(0), "{path} with {dir_arg}: {err}");
            assert!(document.unwrap().contains("\"outside-secret-2Rk\""));
        }
    }
    // Several folders may be given; none of them opens a system folder.
    let (code, err, _) = build_with(
        d,
        "{ file = \"/proc/self/environ\" }",
        &["--secrets-dir", "outside", "--secrets-dir", "/"],
        &[],
    );
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("under /proc, /sys or /dev"), "{err}");
}

#[test]
fn a_secrets_dir_that_is_a_system_folder_or_no_folder_is_a_usage_error() {
    let dir = layout();
    let d = dir.path();
    for (arg, why) in [
        ("/proc", "lies under /proc, /sys or /dev"),
        ("/proc/self", "lies under /proc, /sys or /dev"),
        ("/dev", "lies under /proc, /sys or /dev"),
        ("/sys/kernel", "lies under /proc, /sys or /dev"),
        ("missing", "cannot use missing"),
        ("outside/secret.txt", "is not a directory"),
    ] {
        let (code, err, document) = build_with(
            d,
            "{ file = \"/proc/self/environ\" }",
            &["--secrets-dir", arg],
            &[],
        );
        assert_eq!(code, Some(2), "{arg}: {err}");
        assert!(err.contains(why), "{arg}: {err}");
        assert_eq!(document, None);
    }
    // Every command that reads secret values takes it; the others do not.
    for command in [
        &["build", "--secrets-dir", "/proc"][..],
        &[
            "render",
            "t.toml",
            "--tenants",
            "tenants",
            "-o",
            "o",
            "--secrets-dir",
            "/proc",
        ],
        &[
            "check",
            "t.toml",
            "--tenants",
            "tenants",
            "--secrets-dir",
            "/proc",
        ],
        &["run", "--secrets-dir", "/proc"],
        &["test", "s.toml", "--secrets-dir", "/proc"],
    ] {
        let out = wxcflow(d, command, &[]);
        assert_eq!(out.status.code(), Some(2), "{command:?}");
        assert!(stderr(&out).contains("lies under /proc, /sys or /dev"));
    }
    for command in ["graph", "sheet"] {
        let out = wxcflow(d, &[command, "--secrets-dir", "outside"], &[]);
        assert_eq!(out.status.code(), Some(2), "{command}");
        assert!(stderr(&out).contains("unexpected argument '--secrets-dir'"));
    }
}

#[test]
fn one_trailing_newline_is_removed_from_files_and_the_environment() {
    let dir = layout();
    let d = dir.path();
    for (value, expected) in [
        ("lf-secret-1Qa\n", "\"lf-secret-1Qa\""),
        ("crlf-secret-6Vn\r\n", "\"crlf-secret-6Vn\""),
        ("bare-secret-0Pp", "\"bare-secret-0Pp\""),
    ] {
        std::fs::write(d.join("tenants/keys/value.txt"), value).unwrap();
        let (code, err, document) = build_with(d, "{ file = \"keys/value.txt\" }", &[], &[]);
        assert_eq!(code, Some(0), "{value:?}: {err}");
        assert!(document.unwrap().contains(expected), "{value:?}");
        let (code, err, document) = build_with(
            d,
            "{ env = \"WXCFLOW_TEST_VALUE\" }",
            &[],
            &[("WXCFLOW_TEST_VALUE", value)],
        );
        assert_eq!(code, Some(0), "{value:?}: {err}");
        assert!(document.unwrap().contains(expected), "{value:?}");
    }
    // A newline alone is an empty secret, as before.
    std::fs::write(d.join("tenants/keys/value.txt"), "\r\n").unwrap();
    let (code, err, _) = build_with(d, "{ file = \"keys/value.txt\" }", &[], &[]);
    assert_eq!(code, Some(1));
    assert!(err.contains("error[wxc::secret-unavailable]"), "{err}");
    assert!(err.contains("which is empty or blank"), "{err}");
}

#[test]
fn a_value_with_a_control_character_is_refused_and_never_shown() {
    let dir = layout();
    let d = dir.path();
    // Each pair: two values breaking the rule the same way; what the user sees must not depend
    // on which one it was, nor on which rule-breaking character it holds.
    let refused: [&str; 8] = [
        "\u{feff}bom-secret-3Gx",
        "nul\u{0}secret-7Ty",
        "tab\tsecret-4Lm",
        "esc\u{1b}[2Jsecret-9Ke",
        "two-newlines-1Zz\n\n",
        "inner\nnewline-5Cc",
        "carriage\rreturn-8Jj",
        "c1\u{85}secret-2Ww",
    ];
    let mut shown = Vec::new();
    for value in refused {
        std::fs::write(d.join("tenants/keys/value.txt"), value).unwrap();
        let (code, err, document) = build_with(d, "{ file = \"keys/value.txt\" }", &[], &[]);
        assert_eq!(code, Some(1), "{value:?}: {err}");
        assert_eq!(document, None);
        assert_value_not_shown(value, &err);
        shown.push(err);
    }
    assert!(shown.windows(2).all(|w| w[0] == w[1]), "{shown:#?}");
    insta::assert_snapshot!(shown[0]);
    // From the environment, each group refused alike, the value never shown.
    let refused_from_environment = |values: &[&str]| {
        let mut shown = Vec::new();
        for value in values {
            let (code, err, document) = build_with(
                d,
                "{ env = \"WXCFLOW_TEST_VALUE\" }",
                &[],
                &[("WXCFLOW_TEST_VALUE", value)],
            );
            assert_eq!(code, Some(1), "{value:?}: {err}");
            assert_eq!(document, None);
            assert!(err.contains("error[wxc::secret-value-invalid]"), "{err}");
            assert_value_not_shown(value, &err);
            shown.push(err);
        }
        assert!(shown.windows(2).all(|w| w[0] == w[1]), "{shown:#?}");
    };
    // A NUL cannot be set, a byte order mark or an escape can.
    refused_from_environment(&[
        "\u{feff}bom-secret-3Gx",
        "esc\u{1b}[2Jsecret-9Ke",
        "tab\tsecret-4Lm",
    ]);
    // A letter beyond ASCII: no header carries it, so no secret may hold it.
    refused_from_environment(&["pässword-6Rr", "ünïcödé-secret-2Qq", "emoji-\u{1F600}-4Vv"]);
    // Not UTF-8: refused without the offset of the first bad byte.
    std::fs::write(d.join("tenants/keys/value.txt"), b"abc\xffdef").unwrap();
    let (code, err, _) = build_with(d, "{ file = \"keys/value.txt\" }", &[], &[]);
    assert_eq!(code, Some(1));
    assert!(err.contains("value.txt is not UTF-8 text\n"), "{err}");
}

#[test]
fn a_refused_tenant_writes_nothing_and_the_others_render() {
    let dir = layout();
    let d = dir.path();
    std::fs::write(
        d.join("tenants/good.toml"),
        "static_token = { file = \"keys/inside.txt\" }\n",
    )
    .unwrap();
    std::fs::write(
        d.join("tenants/nosy.toml"),
        "static_token = { file = \"/proc/self/environ\" }\n",
    )
    .unwrap();
    std::fs::write(d.join("t.toml"), wxcflow::DEFAULT_SPEC).unwrap();
    let out = wxcflow(
        d,
        &["render", "t.toml", "--tenants", "tenants", "-o", "out"],
        &[("NOSY_NEIGHBOUR_PASSPHRASE", "neighbour-secret-6Fd")],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("error[wxc::secret-file-not-allowed]: tenants/nosy.toml"));
    assert!(!err.contains("neighbour-secret"));
    assert!(std::fs::read_to_string(d.join("out/good.flow.json"))
        .unwrap()
        .contains("\"inside-secret-5Hb\""));
    assert!(!d.join("out/nosy.flow.json").exists());
    // `check --tenants` applies the same rules, and takes --secrets-dir too.
    std::fs::write(
        d.join("tenants/nosy.toml"),
        "static_token = { file = \"../outside/secret.txt\" }\n",
    )
    .unwrap();
    let out = wxcflow(d, &["check", "t.toml", "--tenants", "tenants"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("wxc::secret-file-not-allowed"));
    let out = wxcflow(
        d,
        &[
            "check",
            "t.toml",
            "--tenants",
            "tenants",
            "--secrets-dir",
            "outside",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn scenario_values_follow_the_same_rules() {
    let dir = layout();
    let d = dir.path();
    std::fs::write(
        d.join("tenants/s.toml"),
        "name = \"nosy\"\n[values]\nstatic_token = { file = \"../outside/secret.txt\" }\n[expect]\noutcome = \"Success\"\n",
    )
    .unwrap();
    let out = wxcflow(d, &["test", "tenants/s.toml"], &[]);
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("wxc::secret-file-not-allowed"), "{text}");
    let out = wxcflow(
        d,
        &["test", "tenants/s.toml", "--secrets-dir", "outside"],
        &[],
    );
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    assert!(!text.contains("wxc::secret-file-not-allowed"), "{text}");
}

#[test]
fn sheets_and_graphs_read_no_secret_for_either_target() {
    let dir = layout();
    let d = dir.path();
    std::fs::write(
        d.join("tenants/t.toml"),
        "token_passphrase = { env = \"WXCFLOW_TEST_UNSET_VARIABLE\" }\nstatic_token = { file = \"/proc/self/environ\" }\n",
    )
    .unwrap();
    for args in [
        &["sheet", "--values", "tenants/t.toml"][..],
        &[
            "sheet",
            "--target",
            "flow-designer",
            "--values",
            "tenants/t.toml",
        ],
        &["graph", "--values", "tenants/t.toml"],
    ] {
        let out = wxcflow(d, args, &[]);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        let stdout = String::from_utf8_lossy(&out.stdout);
        if args[0] == "sheet" {
            assert!(
                stdout.contains("environment variable WXCFLOW_TEST_UNSET_VARIABLE"),
                "{args:?}: {stdout}"
            );
            assert!(stdout.contains("file /proc/self/environ"), "{args:?}");
        }
    }
}

#[test]
fn an_environment_value_that_is_not_utf8_is_named_as_such_not_as_unset() {
    use std::os::unix::ffi::OsStrExt as _;
    let dir = layout();
    let d = dir.path();
    std::fs::write(
        d.join("tenants/t.toml"),
        "static_token = { env = \"WXCFLOW_TEST_BYTES\" }\n",
    )
    .unwrap();
    let run = |value: Option<&[u8]>| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_wxcflow"));
        command
            .args(["build", "--values", "tenants/t.toml", "-o", "out.json"])
            .current_dir(d)
            .env("NO_COLOR", "1")
            .env_remove("WXCFLOW_TEST_BYTES");
        if let Some(bytes) = value {
            command.env("WXCFLOW_TEST_BYTES", std::ffi::OsStr::from_bytes(bytes));
        }
        command.output().unwrap()
    };
    let bad = run(Some(b"sec\xffret-7Zq"));
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        stderr(&bad).contains("WXCFLOW_TEST_BYTES, which is set but not UTF-8 text"),
        "{}",
        stderr(&bad)
    );
    assert!(!stderr(&bad).contains("ret-7Zq"));
    let unset = run(None);
    assert_eq!(unset.status.code(), Some(1));
    assert!(stderr(&unset).contains("WXCFLOW_TEST_BYTES, which is not set"));
    assert!(!d.join("out.json").exists());
}

/// A value of the wrong type where a secret belongs (a secret variable's default, a tenant's
/// secret parameter, a scenario's secret value) is named by its type and place, never quoted.
#[test]
fn a_secret_of_the_wrong_type_is_not_quoted() {
    let dir = layout();
    let d = dir.path();
    let spec = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/flows/GetOAuthToken.toml"),
    )
    .unwrap();
    assert!(spec.contains("[variables.JDSToken]\ndefault = \"\"\n"));
    for value in ["12345678", "1234.5678", "true", "99999999999999999999999"] {
        let wrong = spec.replace(
            "[variables.JDSToken]\ndefault = \"\"\n",
            &format!("[variables.JDSToken]\ndefault = {value}\n"),
        );
        std::fs::write(d.join("cw.toml"), wrong).unwrap();
        let commands: [&[&str]; 6] = [
            &["check", "cw.toml"],
            &["check", "cw.toml", "--format", "json"],
            &["check", "cw.toml", "--format", "sarif"],
            &["build", "cw.toml", "-o", "cw.flow.json"],
            &[
                "build",
                "cw.toml",
                "--target",
                "flow-designer",
                "-o",
                "cw.fd.json",
            ],
            &["graph", "cw.toml"],
        ];
        for args in commands {
            let out = wxcflow(d, args, &[]);
            let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
            assert_eq!(out.status.code(), Some(1), "{args:?}: {text}");
            assert!(text.contains("wxc::wrong-type"), "{args:?}: {text}");
            // "true" is also a word of JSON and SARIF: looked for as a message quotes it.
            assert!(!text.contains(&format!("`{value}")), "{args:?}: {text}");
            assert_value_not_shown(value, &text);
        }
    }
    // A tenant's secret parameter too large for an integer.
    let big = "99999999999999999999999";
    let (code, shown, document) = build_with(d, big, &[], &[]);
    assert_eq!(code, Some(1), "{shown}");
    assert!(document.is_none());
    assert!(!shown.contains(big), "{shown}");
    // The same in a scenario's values.
    std::fs::write(
        d.join("tenants/s.toml"),
        format!(
            "name = \"big\"\n[values]\nstatic_token = {big}\n[expect]\noutcome = \"Success\"\n"
        ),
    )
    .unwrap();
    let out = wxcflow(d, &["test", "tenants/s.toml"], &[]);
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    assert_ne!(out.status.code(), Some(0), "{text}");
    assert!(!text.contains(big), "{text}");
}
