//! Templates cannot exhaust memory: the size of everything a template builds is bounded before
//! it runs, per value and per render, with the place named.
// A test stops at the first thing that is not as expected.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use common::{secrets, transcript};
use wxcflow::diagnostic::SourceFile;

/// The GetOAuthToken template with its flow description replaced by `template`.
fn with_description(template: &str) -> String {
    let old = "description = \"Hands a bearer token to the parent flow in JDSToken: from the token service, else from StaticToken.\"";
    assert!(wxcflow::DEFAULT_SPEC.contains(old));
    wxcflow::DEFAULT_SPEC.replace(old, &format!("description = '{template}'"))
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

#[cfg(unix)]
#[test]
fn a_doubling_template_is_refused_without_an_abort_under_a_memory_limit() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bomb.toml"), with_description(DOUBLING)).unwrap();
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 1500000 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_wxcflow"))
        .args(["build", "bomb.toml", "-o", "bomb.flow.json"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("error[wxc::template-error]: template failed: the template could build a string of up to 2000000 bytes at line 1, column 39; a value may be at most 1048576"),
        "{stderr}"
    );
    assert!(stderr.contains("--> bomb.toml:34:15"), "{stderr}");
    assert!(!dir.path().join("bomb.flow.json").exists());
}

#[test]
fn every_way_to_grow_a_string_is_bounded_with_its_place() {
    let cases = [
        (
            "{% set s = \"x\" %}{% for i in range(100) %}{% set s = s ~ s %}{% endfor %}{{ s }}",
            "`s` grows with every iteration of the loop at line 1, column 21: a template may not accumulate a value in a loop",
        ),
        (
            "{{ \"x\" * 1048577 }}",
            "the template could build a string of up to 1048577 bytes at line 1, column 4; a value may be at most 1048576",
        ),
        (
            "{% for i in range(1000) %}{% for j in range(1000) %}{{ i }}{% endfor %}{% endfor %}",
            "the template could build a string of up to 5000000 bytes at line 1, column 4; a value may be at most 1048576",
        ),
        (
            "{{ range(100000)|join(\"----------\") }}",
            "the template could build a string of up to 1900002 bytes at line 1, column 18; a value may be at most 1048576",
        ),
        (
            "{{ \"x\"|center(2000000) }}",
            "the template could build a string of up to 2000000 bytes at line 1, column 8; a value may be at most 1048576",
        ),
        (
            "{{ [\"abcd\"] * 100000 }}",
            "the template could build a string of up to 3000000 bytes at line 1, column 4; a value may be at most 1048576",
        ),
        (
            "{% set x %}{% for i in range(100000) %}{{ i }}{{ i }}{% endfor %}{% endset %}{{ x }}",
            "the template could build a string of up to 1400000 bytes at line 1, column 15; a value may be at most 1048576",
        ),
        (
            "{% macro m(n) %}{{ m(n) }}{% endmacro %}{{ m(1) }}",
            "`{% macro %}` is not allowed in flow templates (line 1, column 4): its size cannot be bounded",
        ),
        (
            "{% set ns = namespace(s=\"x\") %}{{ ns.s }}",
            "calling `namespace` is not allowed in flow templates (line 1, column 13): its size cannot be bounded",
        ),
        (
            "{{ \"x\"|format(1) }}",
            "the filter `format` is not allowed in flow templates (line 1, column 8): its size cannot be bounded",
        ),
        (
            "{% for a in [1] %}{% for b in [1] %}{% for c in [1] %}{% for d in [1] %}{% for e in [1] %}{% for f in [1] %}{% for g in [1] %}{% for h in [1] %}{% for i in [1] %}x{% endfor %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}",
            "loops nested more than 8 deep (line 1, column 148) are not allowed in flow templates",
        ),
    ];
    for (template, expected) in cases {
        assert_eq!(
            errors(&with_description(template)),
            [format!("wxc::template-error: template failed: {expected}")],
            "{template}"
        );
    }
}

#[test]
fn ordinary_templates_still_render() {
    for (template, expected) in [
        ("{% for i in range(3) %}{{ i }}{% endfor %}", "012"),
        ("{{ \"ab\" * 3 }}-{{ \"x\"|upper }}", "ababab-X"),
        ("{% if debug_report %}on{% else %}off{% endif %}", "on"),
        (
            "{% set t = \"a\" %}{% for i in range(2) %}{% set u = t ~ i %}{{ u }}{% endfor %}",
            "a0a1",
        ),
        (
            "{{ [1, 2]|join(\", \") }} {{ \"a-b\"|replace(\"-\", \"+\") }}",
            "1, 2 a+b",
        ),
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
    let mut spec = with_description("{{ \"x\" * 1000000 }}");
    for i in 0..11 {
        spec.push_str(&format!(
            "\n[variables.Big{i}]\ndefault = '{{{{ \"x\" * 1000000 }}}}'\n"
        ));
    }
    let errors = errors(&spec);
    assert!(
        errors.contains(&"wxc::template-error: template failed: the template values of this render could add up to more than 10485760 bytes".to_string()),
        "{errors:?}"
    );
}
