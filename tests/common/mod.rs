//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::Path;
use std::sync::OnceLock;
use wxcflow::diagnostic::SourceFile;
use wxcflow::validate::DocumentValidator;
use wxcflow::Compiler;

/// One pipeline for the whole test binary, as the CLI has one per process.
pub fn compiler() -> &'static Compiler {
    static COMPILER: OnceLock<Compiler> = OnceLock::new();
    COMPILER.get_or_init(Compiler::new)
}

/// The pipeline's document validator.
pub fn validator() -> &'static DocumentValidator {
    compiler().validator()
}

/// Reads a fixture with a name relative to the crate root, so snapshots do not hold local paths.
pub fn fixture(path: &Path) -> SourceFile {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let name = path.strip_prefix(root).unwrap_or(path);
    let text = std::fs::read_to_string(path).expect("fixture is readable");
    SourceFile::new(name.to_string_lossy().replace('\\', "/"), text)
}

/// Runs git in `dir` with a fixed identity and no user or system configuration.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "-c",
            "core.autocrlf=false",
        ])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `git diff` of one file through wxcflow's textconv driver, from the first hunk on.
pub fn textconv_diff(dir: &Path, file: &str) -> String {
    let driver = format!(
        "diff.wxcflow.textconv={} textconv",
        env!("CARGO_BIN_EXE_wxcflow")
    );
    let diff = git(dir, &["-c", &driver, "diff", "--no-color", file]);
    diff.lines()
        .skip_while(|l| !l.starts_with("@@"))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// Secrets for the tests: a fixed environment, and no files.
pub struct FakeSecrets(pub std::collections::BTreeMap<&'static str, &'static str>);

impl wxcflow::render::SecretStore for FakeSecrets {
    fn env(&self, name: &str) -> Option<String> {
        self.0.get(name).map(|v| v.to_string())
    }
    /// As the command's store judges a path, without a file system: the tenant file's folder is
    /// `/tenants`, a path is taken as written (no links), and no file exists.
    fn file(&self, path: &str) -> Result<String, wxcflow::render::SecretFileError> {
        use std::path::{Component, PathBuf};
        let mut resolved = PathBuf::from("/tenants");
        for part in Path::new(path).components() {
            match part {
                Component::ParentDir => {
                    resolved.pop();
                }
                Component::CurDir => {}
                other => resolved.push(other),
            }
        }
        wxcflow::render::sources::check_secret_path(&resolved, &[PathBuf::from("/tenants")])
            .map_err(wxcflow::render::SecretFileError::NotAllowed)?;
        Err(wxcflow::render::SecretFileError::Unreadable(format!(
            "{path}: No such file or directory (os error 2)"
        )))
    }
}

/// The environment the tenant fixtures' secrets come from.
pub fn secrets() -> FakeSecrets {
    FakeSecrets(std::collections::BTreeMap::from([
        ("ACME_TOKEN_PASSPHRASE", "acme-passphrase-7Qx"),
        (
            "GLOBEX_STATIC_TOKEN",
            "Z2xvYmV4LXN0YXRpYw_PF84_2c1d7e5a-0c1e-4a36-9f8b-6f0e8d3c2b1a",
        ),
        ("INITECH_TOKEN_PASSPHRASE", "initech-passphrase-3Kd"),
        (
            "INITECH_STATIC_TOKEN",
            "aW5pdGVjaA_PF84_0b9f0a2e-7c9d-4c61-8e2a-3d5e6f7a8b9c",
        ),
        ("UMBRELLA_TOKEN_PASSPHRASE", "umbrella-passphrase-9Lm"),
        // Set but empty, as CI systems expand a secret they do not have.
        ("WXCFLOW_TEST_EMPTY_VARIABLE", ""),
        // Values a secret may not hold: a byte order mark, a control character.
        ("WXCFLOW_TEST_BOM_VARIABLE", "\u{feff}bom-secret-4Tz"),
        ("WXCFLOW_TEST_ESCAPE_VARIABLE", "escape\u{1b}[2J-secret-8Wq"),
    ]))
}

/// A tenant fixture, named by its file stem.
pub fn tenant(path: &Path) -> wxcflow::render::Tenant {
    let source = fixture(path);
    let name = path.file_stem().unwrap().to_string_lossy().into_owned();
    wxcflow::render::Tenant::parse(name, source).expect("tenant file parses")
}

/// Runs the `wxcflow` binary in `dir`.
pub fn wxcflow(dir: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_wxcflow"))
        .args(args)
        .current_dir(dir)
        .env_remove("RUST_BACKTRACE")
        .output()
        .expect("the binary runs")
}

/// A local test server's read of one HTTP request head: the request line and headers, up to the
/// blank line (or the end of the stream).
pub fn read_request_head(reader: &mut impl std::io::BufRead) -> String {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            return head;
        }
        head.push_str(&line);
    }
}

/// Exit code, stdout and stderr in one snapshot-friendly string.
pub fn transcript(out: &std::process::Output) -> String {
    format!(
        "exit: {}\n--- stdout ---\n{}--- stderr ---\n{}",
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A document's canonical JSON without its provenance: what two builds of the same flow from
/// different files have in common.
pub fn logic(json: &[u8]) -> String {
    let mut document: wxcflow::flow::Document =
        serde_json::from_slice(json).expect("a flow document");
    document.provenance = None;
    document.to_json()
}

/// Pairs of secret values for the leak suites: one, two, three, eight and forty characters,
/// letters that occur everywhere in output (`p`, `s`, `t`), and secrets that contain one
/// another. Every output must be the same bytes whichever pair is used.
pub const SECRET_SETS: &[(&str, &str)] = &[
    ("p", "t"),
    ("pa", "js"),
    ("htt", "son"),
    ("passphra", "applicat"),
    (
        "Q2xpZW50U2VjcmV0LTQwLWNoYXJhY3RlcnMtbG9uZw",
        "c3RhdGljLXRva2VuLTQwLWNoYXJhY3RlcnMtbG9uZ2",
    ),
    ("s", "secret-and-more"),
    ("secret-and-more", "secret"),
];

/// Where the outcomes of generated nodes lead, chosen by `picks` in turn: from node `i` (of
/// `n`, keyed `node_<i>`), a later node or `end:Success`, `end:Error`, or `beyond` past the
/// last; so that every generated flow's edges go forward and it compiles.
pub fn forward_targets<'a>(
    picks: &'a [usize],
    n: usize,
    beyond: &'a str,
) -> impl FnMut(usize) -> String + 'a {
    let mut pick = picks.iter().cycle();
    move |i: usize| {
        let choice = pick.next().copied().unwrap_or(0) % (n - i + 2);
        match choice {
            0 => "end:Success".to_string(),
            1 => "end:Error".to_string(),
            c if i + c - 1 < n => format!("node_{}", i + c - 1),
            _ => beyond.to_string(),
        }
    }
}

/// Graphviz's SVG of DOT text, or what `dot` said when it refused it; `None` where Graphviz is
/// not installed (`.ci/run` installs it, and under `CI=true` its absence fails the caller).
#[allow(dead_code)]
pub fn graphviz_svg(dot: &str) -> Option<Result<String, String>> {
    use std::io::Write as _;
    use std::process::{Command, Stdio};
    if Command::new("dot").arg("-V").output().is_err() {
        assert!(
            !std::env::var("CI").is_ok_and(|v| v == "true"),
            "CI=true but graphviz is not installed"
        );
        return None;
    }
    let mut child = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("dot runs");
    let mut stdin = child.stdin.take().expect("dot's stdin");
    stdin
        .write_all(dot.as_bytes())
        .expect("dot reads its input");
    drop(stdin);
    let out = child.wait_with_output().expect("dot ends");
    Some(match out.status.success() {
        true => Ok(String::from_utf8_lossy(&out.stdout).into_owned()),
        false => Err(String::from_utf8_lossy(&out.stderr).into_owned()),
    })
}

/// Checks that Markdown holds only the markup its writer meant: outside fenced blocks and code
/// spans, no link (`](`), no HTML (`<`), no backtick left unmatched (a broken code span); every
/// table row as many cell separators as its header (a name holding `|` or a line break splits
/// none); and every line that begins with `#` one of `headings` (a note's `# x` is no heading).
pub fn assert_inert_markdown(md: &str, headings: &[&str]) {
    let mut fence: Option<usize> = None;
    let mut columns: Option<usize> = None;
    for (number, line) in md.lines().enumerate() {
        let at = format!("line {}: {line}", number + 1);
        let trimmed = line.trim_start();
        let ticks = trimmed.chars().take_while(|&c| c == '`').count();
        match fence {
            Some(open) => {
                if ticks >= open && trimmed.trim_end().len() == ticks {
                    fence = None;
                }
                continue;
            }
            None if ticks >= 3 => {
                fence = Some(ticks);
                continue;
            }
            None => {}
        }
        if trimmed.starts_with('#') {
            assert!(
                headings.iter().any(|h| trimmed.starts_with(h)),
                "a heading no section wrote: {at}"
            );
        }
        let chars: Vec<char> = trimmed.chars().collect();
        let mut separators = 0;
        let mut i = 0;
        while i < chars.len() {
            match chars[i] {
                '\\' => i += 1,
                '`' => {
                    let run = chars[i..].iter().take_while(|&&c| c == '`').count();
                    let mut j = i + run;
                    let close = loop {
                        if j >= chars.len() {
                            break None;
                        }
                        let n = chars[j..].iter().take_while(|&&c| c == '`').count();
                        if n == run {
                            break Some(j + n);
                        }
                        j += n.max(1);
                    };
                    let close = close.unwrap_or_else(|| panic!("a broken code span: {at}"));
                    i = close;
                    continue;
                }
                '<' => panic!("HTML: {at}"),
                ']' if chars.get(i + 1) == Some(&'(') => panic!("a link: {at}"),
                '|' => separators += 1,
                _ => {}
            }
            i += 1;
        }
        if trimmed.starts_with('|') {
            let expected = *columns.get_or_insert(separators);
            assert_eq!(separators, expected, "a row split into other cells: {at}");
        } else {
            columns = None;
        }
    }
    assert!(fence.is_none(), "a code block left open");
}

/// Asserts that the file at `path` is readable and writable by its owner alone (mode 0600), as
/// every file holding a secret is written.
pub fn assert_private(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{}", path.display());
    }
}

/// The binary run in `dir` with `arguments` (split at spaces by the shell) under
/// `ulimit -f blocks`.
#[cfg(target_os = "linux")]
pub fn under_file_size_limit(dir: &Path, blocks: u32, arguments: &str) -> std::process::Output {
    in_shell(dir, &format!("ulimit -f {blocks}; exec \"$0\" {arguments}"))
}

/// `script` run by `sh -c` in `dir`, the binary as `$0` (for redirections, `umask`, `ulimit`).
#[cfg(unix)]
pub fn in_shell(dir: &Path, script: &str) -> std::process::Output {
    std::process::Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_wxcflow"))
        .current_dir(dir)
        .output()
        .unwrap()
}

/// Deterministic pseudo-random blocks (xorshift), each below the bound like a real RSA block.
pub fn blocks(seed: u64, count: usize) -> Vec<[u8; 256]> {
    let mut state = seed.max(1);
    (0..count)
        .map(|_| {
            let mut block = [0u8; 256];
            for byte in block.iter_mut() {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                *byte = (state >> 24) as u8;
            }
            block[0] %= 0xab; // below the bound's leading byte
            block
        })
        .collect()
}

/// A `.workflow` export of `blocks`: hex, as Webex Connect writes them.
pub fn export(blocks: &[[u8; 256]]) -> Vec<u8> {
    blocks
        .iter()
        .flat_map(|b| b.iter())
        .flat_map(|byte| format!("{byte:02x}").into_bytes())
        .collect()
}
