//! Files the command reads and writes: devices, pipes, links, outputs that are inputs, reads
//! that never end, and stdout that cannot be written.
// A test stops at the first thing that is not as expected.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg(unix)]

use crate::common;

use common::{transcript, wxcflow};
use std::io::Write as _;
use std::os::unix::fs::{FileTypeExt as _, PermissionsExt as _};
use std::path::Path;
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_wxcflow");

/// Runs the binary with its address space limited to 800 MB, as `ulimit -v 800000` does: an
/// unbounded read or allocation, or one holding the largest input (256 MiB) twice or more, dies
/// (SIGABRT, exit 134) or fails instead of passing.
fn wxcflow_limited(dir: &Path, args: &[&str]) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 800000 && exec \"$0\" \"$@\"")
        .arg(BIN)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("sh runs")
}

/// A folder with the GetOAuthToken spec as `s.toml` and a tenant as `t.toml`.
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.toml"), wxcflow::DEFAULT_SPEC).unwrap();
    std::fs::write(dir.path().join("t.toml"), "debug_report = false\n").unwrap();
    dir
}

/// Runs the command with `input` on a pipe as its stdin (read as `/dev/stdin`).
fn with_stdin(dir: &Path, args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A command may close the pipe before reading it all (a refusal): not the test's failure.
    let _ = child.stdin.take().unwrap().write_all(input);
    child.wait_with_output().unwrap()
}

/// Runs the command with its stdout and stderr on pipes (stdin empty), failing the test with
/// `waits` when it has not ended within a minute (killed: a read that would wait for ever).
fn within_a_minute(dir: &Path, args: &[&str], waits: &str) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("{args:?} {waits}");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(status.success());
}

/// A character device node made for the test (root can; elsewhere the test is skipped with a
/// note), so that a regression replaces this node, never the machine's own /dev/null.
fn device(dir: &Path, name: &str, minor: &str) -> Option<std::path::PathBuf> {
    let path = dir.join(name);
    let made = Command::new("mknod")
        .arg(&path)
        .args(["c", "1", minor])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !made {
        eprintln!("note: cannot create device nodes here; {name} case skipped");
    }
    made.then_some(path)
}

fn is_char_device(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_char_device())
}

#[test]
fn outputs_to_a_null_device_are_written_through_not_replaced() {
    let dir = workspace();
    let Some(null) = device(dir.path(), "null", "3") else {
        return;
    };
    let null = null.to_str().unwrap();
    let document = wxcflow(dir.path(), &["build", "s.toml", "-o", "-"]).stdout;
    std::fs::write(dir.path().join("d.json"), &document).unwrap();
    for args in [
        &["build", "s.toml", "-o", null][..],
        &["build", "s.toml", "--values", "t.toml", "-o", null],
        &["sheet", "s.toml", "-o", null],
        &["decompile", "d.json", "-o", null],
    ] {
        let out = wxcflow(dir.path(), args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", transcript(&out));
        assert!(
            is_char_device(Path::new(null)),
            "{args:?} replaced the device"
        );
    }
}

#[test]
fn a_full_device_fails_the_write_with_exit_2_and_stays_a_device() {
    let dir = workspace();
    let Some(full) = device(dir.path(), "full", "7") else {
        return;
    };
    let full = full.to_str().unwrap();
    for args in [&["build", "s.toml", "-o", full][..], &["sheet", "-o", full]] {
        let out = wxcflow(dir.path(), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("No space left on device"));
        assert!(is_char_device(Path::new(full)));
    }
}

#[test]
fn an_output_fifo_is_written_through_to_its_reader() {
    let dir = workspace();
    let fifo = dir.path().join("pipe");
    mkfifo(&fifo);
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(fifo).unwrap())
    };
    let out = wxcflow(dir.path(), &["build", "s.toml", "-o", "pipe"]);
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    let received = reader.join().unwrap();
    let document: wxcflow::flow::Document = serde_json::from_slice(&received).unwrap();
    assert_eq!(document.flow.name, "GetOAuthToken");
    assert!(std::fs::symlink_metadata(&fifo)
        .unwrap()
        .file_type()
        .is_fifo());
}

#[test]
fn an_output_that_is_an_input_is_refused_and_the_input_kept() {
    let dir = workspace();
    let document = wxcflow(dir.path(), &["build", "s.toml", "-o", "-"]).stdout;
    std::fs::write(dir.path().join("d.json"), &document).unwrap();
    // A secret file the tenant names, which a sheet never reads.
    std::fs::write(dir.path().join("sec.txt"), "s3cret\n").unwrap();
    std::fs::write(
        dir.path().join("u.toml"),
        "static_token = { file = \"sec.txt\" }\n",
    )
    .unwrap();
    std::os::unix::fs::symlink("s.toml", dir.path().join("link.toml")).unwrap();
    std::fs::hard_link(dir.path().join("t.toml"), dir.path().join("hard.toml")).unwrap();
    let before: Vec<Vec<u8>> = ["s.toml", "t.toml", "d.json", "sec.txt"]
        .iter()
        .map(|f| std::fs::read(dir.path().join(f)).unwrap())
        .collect();
    for (args, input) in [
        (&["build", "s.toml", "-o", "s.toml"][..], "s.toml"),
        (&["sheet", "s.toml", "-o", "s.toml"], "s.toml"),
        (&["decompile", "d.json", "-o", "d.json"], "d.json"),
        (&["build", "--values", "t.toml", "-o", "t.toml"], "t.toml"),
        // Through a symbolic link, either way round, and through a hard link.
        (&["build", "link.toml", "-o", "s.toml"], "link.toml"),
        (&["build", "s.toml", "-o", "link.toml"], "s.toml"),
        (
            &["build", "--values", "hard.toml", "-o", "t.toml"],
            "hard.toml",
        ),
        (
            &["sheet", "--values", "t.toml", "-o", "hard.toml"],
            "t.toml",
        ),
        (
            &["sheet", "--values", "u.toml", "-o", "sec.txt"],
            "./sec.txt",
        ),
        (
            &["build", "--values", "u.toml", "-o", "sec.txt"],
            "./sec.txt",
        ),
    ] {
        let out = wxcflow(dir.path(), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", transcript(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(&format!("it is the input {input}; nothing was written")),
            "{args:?}: {stderr}"
        );
    }
    let after: Vec<Vec<u8>> = ["s.toml", "t.toml", "d.json", "sec.txt"]
        .iter()
        .map(|f| std::fs::read(dir.path().join(f)).unwrap())
        .collect();
    assert_eq!(before, after);
    assert!(std::fs::symlink_metadata(dir.path().join("link.toml"))
        .unwrap()
        .file_type()
        .is_symlink());
}

#[test]
fn an_output_through_a_symlink_replaces_the_target_and_keeps_the_link() {
    let dir = workspace();
    std::fs::write(dir.path().join("old.json"), "old\n").unwrap();
    std::os::unix::fs::symlink("old.json", dir.path().join("out.json")).unwrap();
    let out = wxcflow(dir.path(), &["build", "s.toml", "-o", "out.json"]);
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    assert!(std::fs::symlink_metadata(dir.path().join("out.json"))
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(std::fs::read_to_string(dir.path().join("old.json"))
        .unwrap()
        .contains("GetOAuthToken"));
}

/// Asserts that the command run with `args` exited with `code` and said `expected`.
fn exits_saying(out: &Output, args: &[&str], code: i32, expected: &str) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "{args:?}: {}",
        transcript(out)
    );
    assert!(
        transcript(out).contains(expected),
        "{args:?}: {}",
        transcript(out)
    );
}

#[test]
fn endless_inputs_are_refused_as_too_large_within_bounded_memory() {
    let dir = workspace();
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("zero.toml")).unwrap();
    std::fs::write(
        dir.path().join("secret.toml"),
        "token_passphrase = { file = \"/dev/zero\" }\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("scenario.toml"), "spec = \"/dev/zero\"\n").unwrap();
    copy_flow_designer_export(dir.path());
    let cases: [(&[&str], i32, &str); 12] = [
        (
            &["check", "/dev/zero"],
            1,
            "error[wxc::too-large]: /dev/zero is over",
        ),
        (&["build", "/dev/zero"], 1, "error[wxc::too-large]"),
        (
            &["build", "s.toml", "--values", "zero.toml"],
            1,
            "zero.toml is over",
        ),
        // No secret file is read under /dev: a device is refused before it is opened.
        (
            &["build", "s.toml", "--values", "secret.toml"],
            1,
            "/dev/zero: not allowed: it lies under /proc, /sys or /dev",
        ),
        (&["run", "--mock", "/dev/zero"], 1, "error[wxc::too-large]"),
        (&["test", "scenario.toml"], 1, "/dev/zero is over"),
        (&["decompile", "/dev/zero"], 1, "error[wxc::too-large]"),
        // diff says trouble with 2: 1 means "changes".
        (&["diff", "/dev/zero", "s.toml"], 2, "error[wxc::too-large]"),
        // Beside a Flow Designer file too, either way round.
        (
            &["diff", "/dev/zero", "fd.json"],
            2,
            "error[wxc::too-large]",
        ),
        (
            &["diff", "fd.json", "/dev/zero"],
            2,
            "error[wxc::too-large]",
        ),
        (&["textconv", "/dev/zero"], 1, "error[wxc::too-large]"),
        (&["fmt", "zero.toml"], 1, "error[wxc::too-large]"),
    ];
    for (args, code, expected) in cases {
        exits_saying(&wxcflow_limited(dir.path(), args), args, code, expected);
    }
    // Over what any reader takes (a Flow Designer file's 256 MiB), every command says that
    // limit, whatever the file looks like: here a Flow Designer export, sparse past its end.
    let huge = std::fs::read(dir.path().join("fd.json")).unwrap();
    let file = std::fs::File::create(dir.path().join("huge.json")).unwrap();
    (&file).write_all(&huge).unwrap();
    file.set_len(256 * 1024 * 1024 + 1).unwrap();
    let over = "is over 268435456 bytes: wxcflow reads at most 268435456 bytes of it";
    for (args, code) in [
        (&["check", "huge.json"][..], 1),
        (&["graph", "huge.json"], 1),
        (&["decompile", "huge.json"], 1),
        (&["run", "huge.json"], 1),
        (&["diff", "huge.json", "fd.json"], 2),
        (&["diff", "fd.json", "huge.json"], 2),
    ] {
        exits_saying(&wxcflow_limited(dir.path(), args), args, code, over);
    }
    // inspect says it of each file in its report, as of any file too large for an export.
    for args in [
        &["inspect", "/dev/zero", "fd.json"][..],
        &["inspect", "huge.json", "--format", "json"],
    ] {
        let inspect = wxcflow_limited(dir.path(), args);
        assert_eq!(inspect.status.code(), Some(1), "{}", transcript(&inspect));
        let report = String::from_utf8_lossy(&inspect.stdout);
        assert!(
            report.contains("larger than any export") || report.contains("\"too-large\""),
            "{args:?}: {}",
            transcript(&inspect)
        );
    }
    let both = wxcflow_limited(dir.path(), &["inspect", "/dev/zero", "fd.json"]);
    assert!(String::from_utf8_lossy(&both.stdout).contains("fd.json"));
}

/// A FIFO over every reader's limit, as either side of a diff or inspected: read once, said
/// too large, never waited on again (a second open would wait for a writer that never comes).
#[test]
fn a_fifo_over_every_limit_is_read_once_and_said_too_large() {
    let dir = workspace();
    copy_flow_designer_export(dir.path());
    for args in [
        &["diff", "fd.json", "big"][..],
        &["diff", "big", "fd.json"],
        &["inspect", "big"],
    ] {
        let fifo = dir.path().join("big");
        let _ = std::fs::remove_file(&fifo);
        mkfifo(&fifo);
        // The writer stops when the command closes the FIFO, having read past the limit.
        let writer = std::thread::spawn(move || {
            let mut pipe = std::fs::OpenOptions::new().write(true).open(fifo).unwrap();
            let block = vec![b' '; 1 << 20];
            let _ = pipe.write_all(b"{\"name\": \"x\",");
            for _ in 0..300 {
                if pipe.write_all(&block).is_err() {
                    break;
                }
            }
        });
        let out = within_a_minute(dir.path(), args, "waits on the FIFO");
        writer.join().unwrap();
        let said = transcript(&out);
        assert!(
            said.contains("is over 268435456 bytes") || said.contains("larger than any export"),
            "{args:?}: {said}"
        );
        assert_ne!(out.status.code(), Some(0), "{args:?}: {said}");
    }
}

/// A stream that does not begin as a Flow Designer file is not read to a Flow Designer file's
/// limit (256 MiB) to be refused: it is held to the largest limit of any other input, a
/// `.workflow` export's (24 MiB).
#[test]
fn a_stream_that_is_no_flow_designer_file_is_held_to_the_other_inputs_limit() {
    let dir = workspace();
    for args in [
        &["check", "/dev/zero"][..],
        &["build", "/dev/zero", "-o", "/dev/null"],
        &["textconv", "/dev/zero"],
    ] {
        let out = within_a_minute(dir.path(), args, "reads /dev/zero");
        let said = transcript(&out);
        assert!(said.contains("is over 25165824 bytes"), "{args:?}: {said}");
        assert_ne!(out.status.code(), Some(0), "{args:?}: {said}");
    }
}

#[test]
fn a_failed_write_to_stdout_is_exit_2_with_a_message() {
    let dir = workspace();
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    for args in [
        &["build", "s.toml", "-o", "-"][..],
        &["schema", "document"],
        &["graph"],
        &["run"],
        &["completions", "bash"],
    ] {
        let out = Command::new(BIN)
            .args(args)
            .current_dir(dir.path())
            .stdout(full.try_clone().unwrap())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr)
                .contains("error: cannot write to stdout: No space left on device"),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn an_unwritable_stderr_changes_no_exit_code() {
    let dir = workspace();
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    // Reports are lost (there is nowhere left to tell them), never a panic: each command ends
    // as it would have.
    for (args, code) in [
        (&["build", "s.toml", "-o", "out.json"][..], 0),
        (&["check", "missing.toml"], 2),
        (&["build", "/dev/zero"], 1),
        (&["init", "starter"], 0),
    ] {
        let out = Command::new(BIN)
            .args(args)
            .current_dir(dir.path())
            .stderr(full.try_clone().unwrap())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(code), "{args:?}");
    }
    assert!(dir.path().join("out.json").is_file());
}

#[test]
fn a_spec_from_a_pipe_or_a_fifo_is_read_once() {
    let dir = workspace();
    // /dev/stdin is a pipe here: each command looks at the spec (a Flow Designer file?) before
    // building it, and a second read of a pipe is empty.
    for args in [
        &["check", "/dev/stdin"][..],
        &["build", "/dev/stdin", "-o", "out.json"],
        &["diff", "/dev/stdin", "s.toml"],
        &["decompile", "/dev/stdin"],
    ] {
        let input = if args[0] == "decompile" {
            std::fs::read(dir.path().join("out.json")).unwrap()
        } else {
            wxcflow::DEFAULT_SPEC.as_bytes().to_vec()
        };
        let out = with_stdin(dir.path(), args, &input);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", transcript(&out));
    }
    // A FIFO: a second open would wait for a writer that never comes.
    let fifo = dir.path().join("f.toml");
    mkfifo(&fifo);
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::write(fifo, wxcflow::DEFAULT_SPEC).unwrap())
    };
    let mut child = Command::new(BIN)
        .args(["check", "f.toml"])
        .current_dir(dir.path())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("check of a FIFO hangs");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    writer.join().unwrap();
    assert_eq!(status.code(), Some(0));
}

#[test]
fn an_input_that_is_the_commands_own_output_pipe_is_refused_not_waited_on() {
    let dir = workspace();
    std::fs::write(
        dir.path().join("d.json"),
        wxcflow(dir.path(), &["build", "s.toml", "-o", "-"]).stdout,
    )
    .unwrap();
    // `wxcflow diff d.json /dev/stdout | cat`: the pipe's reader waits for the command, which
    // would wait for what it writes itself.
    for (args, stream) in [
        (&["diff", "d.json", "/dev/stdout"][..], "output"),
        (&["check", "/dev/stdout"], "output"),
        (&["graph", "/dev/stderr"], "errors"),
        // A scenario that cannot be read is counted apart from those that fail.
        (&["test", "/dev/stdout"], "output"),
    ] {
        let out = within_a_minute(dir.path(), args, "waits on its own output");
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", transcript(&out));
        let said = format!(
            "cannot read {}: it is the pipe this command writes its {stream} to",
            args[args.len() - 1]
        );
        assert!(
            transcript(&out).contains(&said),
            "{args:?}: {}",
            transcript(&out)
        );
    }
}

#[test]
fn a_closed_pipe_on_stdout_stays_quiet() {
    let dir = workspace();
    // `head -c 1` closes the pipe after one byte; the completion script is larger than a pipe
    // buffer, so the command meets the closed pipe.
    let out = Command::new("sh")
        .arg("-c")
        .arg("\"$0\" completions bash | head -c 1 >/dev/null; echo \"exit=$?\"")
        .arg(BIN)
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[test]
fn fmt_formats_a_linked_spec_in_place_and_keeps_its_mode() {
    let dir = tempfile::tempdir().unwrap();
    let messy = "[flow]\nname  =  \"A\"\n";
    std::fs::write(dir.path().join("real.toml"), messy).unwrap();
    std::os::unix::fs::symlink("real.toml", dir.path().join("link.toml")).unwrap();
    std::fs::set_permissions(
        dir.path().join("real.toml"),
        std::fs::Permissions::from_mode(0o444),
    )
    .unwrap();
    let out = wxcflow(dir.path(), &["fmt", "link.toml"]);
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    assert!(std::fs::symlink_metadata(dir.path().join("link.toml"))
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(
        std::fs::read_to_string(dir.path().join("real.toml")).unwrap(),
        "[flow]\nname = \"A\"\n"
    );
    let mode = std::fs::metadata(dir.path().join("real.toml"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o444);
}

#[test]
fn fmt_says_when_it_removes_a_byte_order_mark() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.toml"),
        "\u{feff}[flow]\r\nname = \"A\"\r\n",
    )
    .unwrap();
    let out = wxcflow(dir.path(), &["fmt", "a.toml"]);
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "formatted a.toml (line endings: CRLF to LF; byte order mark removed)\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("a.toml")).unwrap(),
        "[flow]\nname = \"A\"\n"
    );
}

#[test]
fn fmt_formats_files_in_place_and_only_checks_a_pipe() {
    let dir = workspace();
    for check in [false, true] {
        let mut args = vec!["fmt", "/dev/stdin"];
        if check {
            args.insert(1, "--check");
        }
        let out = with_stdin(dir.path(), &args, b"[flow]\nname =    \"F\"\n");
        if check {
            assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
        } else {
            assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
            assert!(String::from_utf8_lossy(&out.stderr).contains(
                "/dev/stdin is a standard stream, not a file: fmt formats specs in place"
            ));
        }
    }
    // A FIFO named as itself: read, never written into.
    let fifo = dir.path().join("f.toml");
    mkfifo(&fifo);
    let writer = std::thread::spawn(move || std::fs::write(fifo, b"[flow]\nname =    \"F\"\n"));
    let out = wxcflow(dir.path(), &["fmt", "f.toml"]);
    writer.join().unwrap().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("f.toml is not a regular file: fmt formats specs in place"));
}

#[test]
fn fmt_says_when_line_endings_change() {
    let dir = tempfile::tempdir().unwrap();
    // CRLF kept inside a multi-line string (its text) and turned into LF around it: told.
    let mixed = "[flow]\r\nname = \"S\"\r\ndescription = \"\"\"a\r\nb\"\"\"\r\n";
    std::fs::write(dir.path().join("m.toml"), mixed).unwrap();
    let out = wxcflow(dir.path(), &["fmt", "m.toml"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "formatted m.toml (line endings: CRLF to LF)\n"
    );
    std::fs::write(dir.path().join("a.toml"), "[flow]\r\nname = \"A\"\r\n").unwrap();
    let check = wxcflow(dir.path(), &["fmt", "--check", "a.toml"]);
    assert_eq!(check.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&check.stderr),
        "a.toml would change (line endings: CRLF to LF)\n"
    );
    let out = wxcflow(dir.path(), &["fmt", "a.toml"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "formatted a.toml (line endings: CRLF to LF)\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("a.toml")).unwrap(),
        "[flow]\nname = \"A\"\n"
    );
}

/// A Flow Designer export of the fixtures, as `fd.json` in `dir`.
fn copy_flow_designer_export(dir: &Path) {
    let export = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/flow-designer/exports/token-subflow.json"
    );
    std::fs::copy(export, dir.join("fd.json")).unwrap();
}

#[test]
fn a_side_beside_a_flow_designer_file_is_read_as_beside_a_spec() {
    let dir = tempfile::tempdir().unwrap();
    copy_flow_designer_export(dir.path());
    std::fs::write(dir.path().join("s.toml"), "[flow]\nname = \"A\"\n").unwrap();
    std::fs::write(dir.path().join("spaces.toml"), " ".repeat(11_000_000)).unwrap();
    // Over 10 MiB, under the 24 MiB of an export: a side is read as either could be.
    let blocks = crate::common::blocks(7, 24_000);
    std::fs::write(
        dir.path().join("big.workflow"),
        crate::common::export(&blocks),
    )
    .unwrap();
    let too_large = "error[wxc::too-large]: spaces.toml is 11000000 bytes; wxcflow reads at most 10485760 (10 MB, the platform's flow size limit)\n\n";
    let encrypted = "error: big.workflow: cannot compare a Flow Designer flow with a Webex Connect .workflow export: its flow is encrypted\n";
    for (args, stderr) in [
        (["diff", "spaces.toml", "s.toml"], too_large),
        (["diff", "spaces.toml", "fd.json"], too_large),
        (["diff", "fd.json", "spaces.toml"], too_large),
        (["diff", "big.workflow", "fd.json"], encrypted),
        (["diff", "fd.json", "big.workflow"], encrypted),
    ] {
        let out = wxcflow(dir.path(), &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", transcript(&out));
        assert_eq!(String::from_utf8_lossy(&out.stderr), stderr, "{args:?}");
    }
}

#[test]
fn a_flow_document_over_the_flow_size_is_read_by_the_commands_its_warning_names() {
    // `build` warns (wxc::over-flow-size) that check, diff, graph and decompile do not read back
    // a document over 10 MB, and that inspect and textconv do: a document padded past it.
    let dir = workspace();
    let built = wxcflow(dir.path(), &["build", "s.toml", "-o", "doc.json"]);
    assert_eq!(built.status.code(), Some(0), "{}", transcript(&built));
    let document = std::fs::read_to_string(dir.path().join("doc.json")).unwrap();
    let padded = document.replacen('{', &format!("{{{}", " ".repeat(11_000_000)), 1);
    std::fs::write(dir.path().join("doc.json"), padded).unwrap();
    let refused: [(&[&str], i32); 4] = [
        (&["check", "doc.json"], 1),
        (&["diff", "doc.json", "doc.json"], 2),
        (&["graph", "doc.json"], 1),
        (&["decompile", "doc.json"], 1),
    ];
    for (args, code) in refused {
        let out = wxcflow(dir.path(), args);
        exits_saying(&out, args, code, "error[wxc::too-large]: doc.json is");
    }
    let inspect = wxcflow(dir.path(), &["inspect", "doc.json"]);
    assert_eq!(inspect.status.code(), Some(0), "{}", transcript(&inspect));
    assert!(String::from_utf8_lossy(&inspect.stdout)
        .contains("wxcflow flow document for `GetOAuthToken` (12 nodes)"));
    let textconv = wxcflow(dir.path(), &["textconv", "doc.json"]);
    assert_eq!(textconv.status.code(), Some(0), "{}", transcript(&textconv));
    assert!(String::from_utf8_lossy(&textconv.stdout).contains("\"format\": \"wxcflow.flow/1\""));
}

#[test]
fn a_zip_member_over_its_limit_is_refused_within_bounded_memory() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.workflow.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    zip.start_file(
        "big.workflow",
        zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(false),
    )
    .unwrap();
    let chunk = vec![b'a'; 1024 * 1024];
    for _ in 0..25 {
        zip.write_all(&chunk).unwrap();
    }
    zip.finish().unwrap();
    // One byte repeated compresses to almost nothing: the archive is small, its member is not.
    assert!(std::fs::metadata(&path).unwrap().len() < 1024 * 1024);
    let out = wxcflow_limited(dir.path(), &["inspect", "big.workflow.zip"]);
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "big.workflow.zip: zip archive with 1 .workflow file(s)\nbig.workflow.zip!big.workflow: too large (wxc::too-large): over 25165824 bytes, larger than any export of a flow within the platform's 10 MB limit\n"
    );
}

#[test]
fn secrets_go_to_regular_files_or_the_null_device_only() {
    let dir = workspace();
    std::fs::write(
        dir.path().join("secret.toml"),
        "token_passphrase = { env = \"T_PASSPHRASE\" }\n",
    )
    .unwrap();
    let fifo = dir.path().join("pipe");
    mkfifo(&fifo);
    let build = |target: &str| {
        Command::new(BIN)
            .args(["build", "s.toml", "--values", "secret.toml", "-o", target])
            .current_dir(dir.path())
            .env("T_PASSPHRASE", "pass-7Qx")
            .output()
            .unwrap()
    };
    // Refused before the FIFO is opened: no reader is needed for the test to end.
    let out = build("pipe");
    assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains(
        "refusing to write pipe: the output holds secret values and it is not a regular file"
    ));
    if let Some(null) = device(dir.path(), "null", "3") {
        let out = build(null.to_str().unwrap());
        assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
        assert!(is_char_device(&null));
    }
    let out = build("private.flow.json");
    assert_eq!(out.status.code(), Some(0));
    let mode = std::fs::metadata(dir.path().join("private.flow.json"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

/// Dotted keys make a table for each dot (`k1.a.b.c = 1`): 8 MB of them made 2.7 million tables
/// and aborted under a 3 GB cap. Counted 3 for each dot outside strings and comments, such a
/// spec or tenant file is refused before it is parsed; dots in strings and comments are not
/// counted (a spec of URLs and JSONPaths reads).
#[test]
fn a_spec_or_tenant_file_of_dotted_keys_is_refused_before_it_is_parsed() {
    let dir = workspace();
    let dotted: String = (0..120_000)
        .map(|i| format!("k{i}.a.b.c.d.e.f.g.h = 1\n"))
        .collect();
    let spec = format!("{}\n[extra]\n{dotted}", wxcflow::DEFAULT_SPEC);
    assert!(spec.len() < wxcflow::MAX_INPUT_BYTES);
    std::fs::write(dir.path().join("dots.toml"), &spec).unwrap();
    std::fs::write(dir.path().join("dots-tenant.toml"), &dotted).unwrap();
    for (args, file) in [
        (&["check", "dots.toml"][..], "dots.toml"),
        (&["build", "dots.toml", "-o", "out.flow.json"], "dots.toml"),
        (
            &[
                "build",
                "--values",
                "dots-tenant.toml",
                "-o",
                "out.flow.json",
            ],
            "dots-tenant.toml",
        ),
    ] {
        let out = wxcflow_limited(dir.path(), args);
        let said = transcript(&out);
        assert!(matches!(out.status.code(), Some(1 | 2)), "{args:?}: {said}");
        assert!(
            said.contains(&format!("{file} holds more than 1000000 TOML values")),
            "{args:?}: {said}"
        );
    }
    assert!(!dir.path().join("out.flow.json").exists());
    // The same dots in strings and comments: read.
    let quoted: String = (0..120_000)
        .map(|i| format!("# k{i}.a.b.c.d.e.f.g.h\nk{i} = \"a.b.c.d.e.f.g.h\"\n"))
        .collect();
    let spec = format!("{}\n[extra]\n{quoted}", wxcflow::DEFAULT_SPEC);
    assert!(spec.len() < wxcflow::MAX_INPUT_BYTES);
    std::fs::write(dir.path().join("quoted.toml"), &spec).unwrap();
    let out = wxcflow_limited(dir.path(), &["check", "quoted.toml"]);
    let said = transcript(&out);
    assert!(!said.contains("TOML values"), "{said}");
    assert!(
        said.contains("error[wxc::unknown-key]: unknown key `extra`"),
        "{said}"
    );
}

/// A spec under the size limit made of tiny values (`x = [{a=1},{a=1},...]`) took gigabytes in
/// TOML's parser (2.1 GB for 9 MB, an abort under `ulimit -v`): text of more keys and values than
/// a spec may hold is refused before any parser sees it, in every command that reads specs.
#[test]
fn a_spec_of_too_many_tiny_values_is_refused_before_it_is_parsed() {
    let dir = workspace();
    let mut spec = String::from(wxcflow::DEFAULT_SPEC);
    spec.push_str("\n[extra]\nx = [");
    spec.push_str(&"{a=1},".repeat(400_000));
    spec.push_str("]\n");
    assert!(spec.len() < wxcflow::MAX_INPUT_BYTES);
    std::fs::write(dir.path().join("big.toml"), &spec).unwrap();
    std::fs::write(dir.path().join("big2.toml"), &spec).unwrap();
    for args in [
        &["check", "big.toml"][..],
        &["build", "big.toml", "-o", "out.flow.json"],
        &["graph", "big.toml"],
        &["sheet", "big.toml"],
        &["run", "big.toml"],
        &["fmt", "--check", "big.toml"],
        &["textconv", "big.toml"],
        &["diff", "big.toml", "big2.toml"],
        &[
            "build",
            "big.toml",
            "--target",
            "flow-designer",
            "-o",
            "out.fd.json",
        ],
    ] {
        let out = wxcflow_limited(dir.path(), args);
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(matches!(out.status.code(), Some(1 | 2)), "{args:?}: {said}");
        assert!(
            said.contains("big.toml holds more than 1000000 TOML values"),
            "{args:?}: {said}"
        );
    }
    assert!(!dir.path().join("out.flow.json").exists());
    // A Flow Designer spec too (its largest, `decompile` of a 10,000-activity export, holds
    // about 770,000).
    let fd = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/flow-designer/specs/subflow.toml"),
    )
    .unwrap();
    let fd = format!(
        "{fd}\n[activities.Done.settings]\nx = [{}]\n",
        "[],".repeat(3_000_000)
    );
    std::fs::write(dir.path().join("big.fd.toml"), fd).unwrap();
    for args in [
        &["check", "big.fd.toml"][..],
        &["diff", "big.fd.toml", "big.fd.toml"],
        &["run", "big.fd.toml"],
        &["graph", "big.fd.toml"],
        &["textconv", "big.fd.toml"],
        &[
            "build",
            "big.fd.toml",
            "--target",
            "flow-designer",
            "-o",
            "out.fd.json",
        ],
    ] {
        let out = wxcflow_limited(dir.path(), args);
        assert!(
            matches!(out.status.code(), Some(0..=2)),
            "{args:?}: {}",
            out.status
        );
    }
    assert!(!dir.path().join("out.fd.json").exists());
}

/// Which of the child's standard streams a test hands a file to.
#[derive(Clone, Copy, Debug)]
enum Redirected {
    Stdout,
    Stderr,
}

/// Runs the command with `file` opened to append as its stdout or stderr, as `>> file` or
/// `2>> file` does; gives the exit code and what the other stream said.
fn appending_to(
    dir: &Path,
    args: &[&str],
    file: &str,
    stream: Redirected,
    env: &[(&str, &str)],
) -> (Option<i32>, String) {
    let log = std::fs::OpenOptions::new()
        .append(true)
        .open(dir.join(file))
        .unwrap();
    let mut command = Command::new(BIN);
    command
        .args(args)
        .current_dir(dir)
        .envs(env.iter().copied())
        .stdin(Stdio::null());
    match stream {
        Redirected::Stdout => command.stdout(log).stderr(Stdio::piped()),
        Redirected::Stderr => command.stderr(log).stdout(Stdio::piped()),
    };
    let out = command.output().unwrap();
    let other = match stream {
        Redirected::Stdout => &out.stderr,
        Redirected::Stderr => &out.stdout,
    };
    (
        out.status.code(),
        String::from_utf8_lossy(other).into_owned(),
    )
}

fn inode(path: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt as _;
    std::fs::metadata(path).unwrap().ino()
}

/// `-o /dev/stdout` with stdout appending to a log (`>> app.log`) is stdout: the document is
/// appended through the open descriptor, as `-o -` does, and the log keeps its lines, its inode
/// and its mode; likewise stderr. A document holding a secret is refused there as on stdout.
#[test]
fn an_output_that_names_a_standard_stream_writes_through_it() {
    let dir = workspace();
    let document = wxcflow(dir.path(), &["build", "s.toml", "-o", "-"]).stdout;
    std::fs::write(dir.path().join("d.json"), &document).unwrap();
    let sheet = wxcflow(dir.path(), &["sheet", "s.toml", "-o", "-"]).stdout;
    let spec = wxcflow(dir.path(), &["decompile", "d.json", "-o", "-"]).stdout;
    let mut streams = vec![
        ("/dev/stdout", Redirected::Stdout),
        ("/dev/fd/1", Redirected::Stdout),
        ("/dev/stderr", Redirected::Stderr),
        ("/dev/fd/2", Redirected::Stderr),
    ];
    if cfg!(target_os = "linux") {
        streams.push(("/proc/self/fd/1", Redirected::Stdout));
        streams.push(("/proc/self/fd/2", Redirected::Stderr));
    }
    for (name, stream) in streams {
        for (args, expected) in [
            (&["build", "s.toml", "-o", name][..], &document),
            (&["sheet", "s.toml", "-o", name], &sheet),
            (&["decompile", "d.json", "-o", name], &spec),
        ] {
            let log = dir.path().join("app.log");
            std::fs::write(&log, "important log line\n").unwrap();
            let before = inode(&log);
            let (code, said) = appending_to(dir.path(), args, "app.log", stream, &[]);
            assert_eq!(code, Some(0), "{args:?}: {said}");
            let mut appended = b"important log line\n".to_vec();
            appended.extend_from_slice(expected);
            assert!(
                std::fs::read(&log).unwrap() == appended,
                "{args:?} did not append the output to the log"
            );
            assert_eq!(inode(&log), before, "{args:?} replaced the log");
            let mode = std::fs::metadata(&log).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o644, "{args:?}");
        }
    }
    std::fs::write(
        dir.path().join("secret.toml"),
        "token_passphrase = { env = \"T_PASSPHRASE\" }\n",
    )
    .unwrap();
    let env = [("T_PASSPHRASE", "pass-7Qx")];
    let built = Command::new(BIN)
        .args(["build", "s.toml", "--values", "secret.toml", "-o", "p.json"])
        .current_dir(dir.path())
        .envs(env)
        .output()
        .unwrap();
    assert_eq!(built.status.code(), Some(0), "{}", transcript(&built));
    for (name, stream, to) in [
        ("/dev/stdout", Redirected::Stdout, "stdout"),
        ("/dev/stderr", Redirected::Stderr, "stderr"),
    ] {
        for args in [
            &["build", "s.toml", "--values", "secret.toml", "-o", name][..],
            &["decompile", "p.json", "-o", name],
        ] {
            let log = dir.path().join("app.log");
            std::fs::write(&log, "important log line\n").unwrap();
            let (code, said) = appending_to(dir.path(), args, "app.log", stream, &env);
            assert_eq!(code, Some(2), "{args:?}: {said}");
            let kept = std::fs::read_to_string(&log).unwrap();
            assert!(!kept.contains("pass-7Qx"), "{args:?}: {kept}");
            let mode = std::fs::metadata(&log).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o644, "{args:?}");
            if let Redirected::Stdout = stream {
                assert_eq!(kept, "important log line\n", "{args:?}");
                assert!(said.contains("holds secret values"), "{args:?}: {said}");
                if args[0] == "build" {
                    assert!(said.contains(&format!("not to {to}")), "{args:?}: {said}");
                }
            } else {
                assert!(kept.contains("holds secret values"), "{args:?}: {kept}");
                if args[0] == "build" {
                    assert!(kept.contains(&format!("not to {to}")), "{args:?}: {kept}");
                }
            }
        }
    }
    // stdin is read, never written, whatever file it was opened on.
    let out = Command::new(BIN)
        .args(["build", "s.toml", "-o", "/dev/stdin"])
        .current_dir(dir.path())
        .stdin(std::fs::File::open(dir.path().join("t.toml")).unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("t.toml")).unwrap(),
        "debug_report = false\n"
    );
}

/// stdout (or a stderr named with `-o`) that appends to one of the run's inputs (`>> s.toml`)
/// is refused as `-o s.toml` is: exit 2, and not a byte written to it.
#[test]
fn stdout_that_is_an_input_is_refused_and_the_input_kept() {
    let dir = workspace();
    let document = wxcflow(dir.path(), &["build", "s.toml", "-o", "-"]).stdout;
    std::fs::write(dir.path().join("d.json"), &document).unwrap();
    std::fs::write(dir.path().join("s2.toml"), wxcflow::DEFAULT_SPEC).unwrap();
    for (args, input, stream) in [
        (
            &["build", "s.toml", "-o", "-"][..],
            "s.toml",
            Redirected::Stdout,
        ),
        (
            &["build", "s.toml", "-o", "/dev/stdout"],
            "s.toml",
            Redirected::Stdout,
        ),
        (
            &["build", "s.toml", "-o", "/dev/stderr"],
            "s.toml",
            Redirected::Stderr,
        ),
        (
            &["build", "--values", "t.toml", "-o", "-"],
            "t.toml",
            Redirected::Stdout,
        ),
        (
            &["build", "--target", "flow-designer", "s.toml", "-o", "-"],
            "s.toml",
            Redirected::Stdout,
        ),
        (&["sheet", "s.toml"], "s.toml", Redirected::Stdout),
        (
            &["sheet", "--target", "flow-designer", "s.toml"],
            "s.toml",
            Redirected::Stdout,
        ),
        (
            &["sheet", "s.toml", "-o", "-"],
            "s.toml",
            Redirected::Stdout,
        ),
        (
            &["sheet", "--values", "t.toml"],
            "t.toml",
            Redirected::Stdout,
        ),
        (&["decompile", "d.json"], "d.json", Redirected::Stdout),
        (
            &["decompile", "d.json", "-o", "-"],
            "d.json",
            Redirected::Stdout,
        ),
        (&["graph", "s.toml"], "s.toml", Redirected::Stdout),
        (&["diff", "s2.toml", "s.toml"], "s.toml", Redirected::Stdout),
        (&["textconv", "s.toml"], "s.toml", Redirected::Stdout),
    ] {
        let before = std::fs::read(dir.path().join(input)).unwrap();
        let (code, said) = appending_to(dir.path(), args, input, stream, &[]);
        let after = std::fs::read(dir.path().join(input)).unwrap();
        let refusal = format!("it is the input {input}; nothing was written");
        match stream {
            Redirected::Stdout => {
                assert!(after == before, "{args:?} wrote to its input");
                assert!(said.contains(&refusal), "{args:?}: {said}");
            }
            // stderr is the input: the refusal has nowhere to be told, and only the exit code
            // says it.
            Redirected::Stderr => assert!(after == before, "{args:?} wrote to its input"),
        }
        assert_eq!(code, Some(2), "{args:?}: {said}");
    }
}

/// Runs the command with standard stream `fd` (0, 1 or 2) open on `file` (`< file`, `>> file`,
/// `2>> file`; `2<> file` when `read_write`), the other streams piped.
fn stream_on(dir: &Path, args: &[&str], file: &str, fd: u8, read_write: bool) -> Output {
    let opened = match (fd, read_write) {
        (0, _) => std::fs::File::open(dir.join(file)),
        (_, false) => std::fs::OpenOptions::new()
            .append(true)
            .open(dir.join(file)),
        (_, true) => std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(dir.join(file)),
    }
    .unwrap();
    let mut command = Command::new(BIN);
    command
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    match fd {
        0 => command.stdin(opened),
        1 => command.stdout(opened),
        _ => command.stderr(opened),
    };
    command.output().unwrap()
}

/// `fmt` formats a file in place; a path naming one of its standard streams is not one: it is
/// refused (exit 2), and the file the stream is open on keeps its bytes and its inode.
/// `fmt --check` only reads, and reads one.
#[test]
fn fmt_refuses_a_standard_stream_and_keeps_the_file_it_is_open_on() {
    let dir = workspace();
    let unformatted = format!("{}\n\n\n", wxcflow::DEFAULT_SPEC);
    let spec = dir.path().join("u.toml");
    std::fs::write(&spec, &unformatted).unwrap();
    for (path, fd) in [
        ("/dev/stdin", 0),
        ("/dev/fd/0", 0),
        ("/proc/self/fd/0", 0),
        ("/dev/stdout", 1),
        ("/dev/fd/1", 1),
        ("/proc/self/fd/1", 1),
        ("/dev/stderr", 2),
        ("/dev/fd/2", 2),
        ("/proc/self/fd/2", 2),
    ] {
        let inode_before = inode(&spec);
        let out = stream_on(dir.path(), &["fmt", path], "u.toml", fd, false);
        assert_eq!(out.status.code(), Some(2), "{path}: {}", transcript(&out));
        assert_eq!(
            std::fs::read_to_string(&spec).unwrap(),
            unformatted,
            "{path}"
        );
        assert_eq!(inode(&spec), inode_before, "{path} replaced its file");
        if fd != 2 {
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                stderr.contains(&format!("{path} is a standard stream, not a file")),
                "{path}: {stderr}"
            );
        }
    }
    let out = stream_on(
        dir.path(),
        &["fmt", "--check", "/dev/stdin"],
        "u.toml",
        0,
        false,
    );
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "/dev/stdin\n");
    assert_eq!(std::fs::read_to_string(&spec).unwrap(), unformatted);
}

/// stderr open on one of the run's inputs (`2>> spec.toml`, `2<> spec.toml`, a tenant's
/// secret file) is never written: a refusal, an error or a warning there would corrupt the
/// input. The exit code still says how the run ended.
#[test]
fn stderr_that_is_an_input_takes_nothing() {
    let dir = workspace();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    for (from, to) in [
        ("valid/warnings.toml", "w.toml"),
        ("invalid/many-problems.toml", "m.toml"),
    ] {
        std::fs::copy(fixtures.join(from), dir.path().join(to)).unwrap();
    }
    std::fs::write(dir.path().join("sec.txt"), "s3cret\n").unwrap();
    std::fs::write(
        dir.path().join("u.toml"),
        "static_token = { file = \"sec.txt\" }\n",
    )
    .unwrap();
    for (args, input, read_write, code) in [
        (
            &["build", "s.toml", "-o", "/dev/stderr"][..],
            "s.toml",
            false,
            2,
        ),
        (&["build", "s.toml", "-o", "/dev/stderr"], "s.toml", true, 2),
        (&["build", "s.toml", "-o", "/dev/fd/2"], "s.toml", false, 2),
        // Warnings, with the document written.
        (&["build", "w.toml", "-o", "w.json"], "w.toml", false, 0),
        (&["build", "w.toml", "-o", "w.json"], "w.toml", true, 0),
        (&["check", "m.toml"], "m.toml", false, 1),
        (
            &["build", "--values", "u.toml", "-o", "/dev/stderr"],
            "sec.txt",
            false,
            2,
        ),
        (&["fmt", "/dev/stderr"], "s.toml", false, 2),
    ] {
        let file = dir.path().join(input);
        let (before, inode_before) = (std::fs::read(&file).unwrap(), inode(&file));
        let out = stream_on(dir.path(), args, input, 2, read_write);
        assert!(
            std::fs::read(&file).unwrap() == before,
            "{args:?} wrote to its input"
        );
        assert_eq!(inode(&file), inode_before, "{args:?}");
        assert_eq!(out.status.code(), Some(code), "{args:?}");
    }
    assert!(dir.path().join("w.json").is_file());
}
