//! Templates cannot exhaust memory: they substitute values and choose text, nothing else, so the
//! size of what each string renders is bounded before it runs, per value and per render; every
//! other construct is refused where it is written.
// A test stops at the first thing that is not as expected.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use common::secrets;
use wxcflow::diagnostic::SourceFile;

/// The GetOAuthToken template with its flow description replaced by `template`.
fn with_description(template: &str) -> String {
    let old = "description = \"Hands a bearer token to the parent flow in JDSToken: from the token service, else from StaticToken.\"";
    assert!(wxcflow::DEFAULT_SPEC.contains(old));
    wxcflow::DEFAULT_SPEC.replace(old, &format!("description = '{template}'"))
}

/// `spec` with a string parameter `big` whose default is `bytes` bytes long.
fn with_big_param(spec: &str, bytes: usize) -> String {
    format!(
        "{spec}\n[params.big]\ntype = \"string\"\ndefault = \"{}\"\n",
        "x".repeat(bytes)
    )
}

/// The errors of building `spec` with parameter defaults.
fn errors(spec: &str) -> Vec<String> {
    let source = SourceFile::new("t.toml", spec);
    let build = common::compiler().build_tenant(&source, None, &secrets());
    build
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| format!("{}: {}", d.code.as_str(), d.message))
        .collect()
}

const DOUBLING: &str = "{% set s = \"x\" * 1000000 %}{% set s = s ~ s %}{% set s = s ~ s %}{% set s = s ~ s %}{% set s = s ~ s %}{% set s = s ~ s %}{% set s = s ~ s %}{% set s = s ~ s %}{% set s = s ~ s %}{% set s = s ~ s %}{% set s = s ~ s %}{% set s = s ~ s %}{% set s = s ~ s %}{% set s = s ~ s %}{% set s = s ~ s %}{{ s }}";

/// Builds `spec` under a 1.5 GB memory limit: the exit code and the standard error.
#[cfg(unix)]
fn build_under_memory_limit(spec: &str) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bomb.toml"), spec).unwrap();
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 1500000 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_wxcflow"))
        .args(["build", "bomb.toml", "-o", "bomb.flow.json"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(!dir.path().join("bomb.flow.json").exists());
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[cfg(unix)]
#[test]
fn a_template_that_would_build_gigabytes_is_refused_without_an_abort_under_a_memory_limit() {
    let (code, stderr) = build_under_memory_limit(&with_description(DOUBLING));
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("error[wxc::template-error]: `{% set %}` is not allowed in flow templates"),
        "{stderr}"
    );
    assert!(stderr.contains("--> bomb.toml:34:16"), "{stderr}");
    // Five thousand copies of a one-megabyte value: 5 GB, refused before anything is rendered.
    let spec = with_big_param(&with_description(&"{{ big }}".repeat(5000)), 1_000_000);
    let (code, stderr) = build_under_memory_limit(&spec);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("error[wxc::template-error]: template failed: the template could render up to 5000000000 bytes; a value may be at most 1048576"),
        "{stderr}"
    );
}

#[test]
fn everything_but_substitution_and_choice_is_refused_with_its_place() {
    let cases = [
        ("{% set s = \"x\" %}{{ s }}", "`{% set %}`", 16),
        (
            "x{% for i in range(3) %}{{ i }}{% endfor %}",
            "`{% for %}`",
            17,
        ),
        (
            "{% macro m(n) %}{{ m(n) }}{% endmacro %}{{ m(1) }}",
            "`{% macro %}`",
            16,
        ),
        ("{% include debug_url %}", "`{% include %}`", 16),
        ("{% raw %}{{{% endraw %}", "`{% raw %}`", 16),
        ("{{ debug() }}", "calling a function", 19),
        ("{{ namespace(s=\"x\") }}", "calling a function", 19),
        ("{{ debug_url.x }}", "attribute and item access", 28),
        ("{{ debug_url[0:1] }}", "attribute and item access", 28),
        ("{{ \"x\" * 1048577 }}", "the operator `*`", 23),
        ("{{ debug_url ~ debug_url }}", "the operator `~`", 29),
        ("{{ [\"abcd\"] * 100000 }}", "a list", 19),
        ("{{ \"x\"|center(2000000) }}", "the filter `center`", 23),
        (
            "{{ debug_url|replace(\"a\", \"bb\") }}",
            "the filter `replace`",
            29,
        ),
        ("{{ debug_url|trim(\"/\") }}", "arguments to a filter", 33),
        ("{% if debug_url is defined %}x{% endif %}", "`is` here", 32),
    ];
    for (template, what, column) in cases {
        let source = SourceFile::new("t.toml", with_description(template));
        let build = common::compiler().build_tenant(&source, None, &secrets());
        let errors: Vec<String> = build
            .diagnostics
            .iter()
            .map(|d| {
                let at = d.span.as_ref().map(|s| (s.line, s.column));
                format!("{}: {} at {at:?}", d.code.as_str(), d.message)
            })
            .collect();
        assert_eq!(
            errors,
            [format!(
                "wxc::template-error: {what} is not allowed in flow templates at Some((34, {column}))"
            )],
            "{template}"
        );
    }
}

#[test]
fn values_are_substituted_and_text_chosen() {
    for (template, expected) in [
        ("{{ debug_report }}-{{ \"x\"|upper }}", "true-X"),
        ("{% if debug_report %}on{% else %}off{% endif %}", "on"),
        (
            "{% if not debug_report %}a{% elif debug_url == \"\" and (1 < 2) %}b{% endif %}",
            "b",
        ),
        ("{{ \"  Ab \" | trim | lower }}{# a note #}", "ab"),
        ("{{- \" a\" | title -}} {{ \"{\" }}", " A{"),
    ] {
        let source = SourceFile::new("t.toml", with_description(template));
        let build = common::compiler().build_tenant(&source, None, &secrets());
        let (document, _) = build.output.unwrap_or_else(|| {
            panic!("{template}: {:?}", build.diagnostics);
        });
        assert_eq!(document.flow.description.as_deref(), Some(expected));
    }
}

#[test]
fn one_render_stays_under_ten_megabytes_in_all() {
    // Each value is within the per-value limit; eleven of them are not within the render's.
    let mut spec = with_description("{{ big }}");
    for i in 0..11 {
        spec.push_str(&format!(
            "\n[variables.Big{i}]\ndefault = '{{{{ big }}}}'\n"
        ));
    }
    let errors = errors(&with_big_param(&spec, 1_000_000));
    assert!(
        errors.contains(&"wxc::template-error: template failed: the template values of this render could add up to more than 10485760 bytes".to_string()),
        "{errors:?}"
    );
}
