//! Hostile inputs through the real binary. Every loader (inventory, plan, known_hosts,
//! key_file) and every printer (`check`, `sweep`, `rollout --dry-run`, `exec`) is run over
//! the same class of bad files: FIFO, /dev/zero, /dev/urandom, a huge file, deep nesting,
//! a byte-order mark, UTF-16, a NUL byte, billion laughs, a bad merge key, a huge integer,
//! a 70,000-character name, names that carry terminal escapes and bidi controls, and a
//! closed stdout. Each ends with its documented status and one clear message, in bounded
//! time, with no backtrace, no escape byte and no bidi control in what it prints.
//! Fixtures are made in a temporary directory; traffic stays on 127.31.0.0/16 and the lab's
//! block (see `common`).

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use fleetdash::lab::Lab;

/// A run that takes longer than this is a hang (the failures this file guards against
/// never end at all, or fill memory in seconds).
const HANG: Duration = Duration::from_secs(60);

const HOSTILE: &str = "r\u{1b}[2J\u{1b}]2;OWNED\u{7}\u{1b}[?1049h\u{202e}x";

/// Runs the binary; `close_stdout` drops the read end of stdout at once (`| head -0`).
fn run_with(args: &[&str], close_stdout: bool) -> Output {
    let mut child = common::fleetdash()
        .args(args)
        .env(
            "XDG_STATE_HOME",
            std::env::temp_dir().join("fleetdash-hostile-state"),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run fleetdash");
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if !close_stdout {
            let _ = stdout.read_to_end(&mut bytes);
        }
        drop(stdout);
        bytes
    });
    let err_reader = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stderr.read_to_end(&mut bytes);
        bytes
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > HANG {
            let _ = child.kill();
            panic!("fleetdash {args:?} hangs");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: out_reader.join().unwrap(),
        stderr: err_reader.join().unwrap(),
    }
}

fn run(args: &[&str]) -> Output {
    run_with(args, false)
}

/// Nothing printed can drive a terminal, and nothing looks like a crash.
fn assert_inert(args: &[&str], out: &Output) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    for (name, text) in [("stdout", &stdout), ("stderr", &stderr)] {
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}') && !text.contains('\u{9b}'),
            "{args:?}: escape in {name}: {text:?}"
        );
        assert!(
            !text.chars().any(fleetdash::base::text::is_bidi_control),
            "{args:?}: bidi control in {name}: {text:?}"
        );
        for crash in ["panicked", "Backtrace", "BACKTRACE", "RUST_BACKTRACE"] {
            assert!(!text.contains(crash), "{args:?}: {crash} in {name}: {text}");
        }
    }
}

/// Exit 2 with one clear `error:` message that says `why` (and is short).
fn assert_refused(args: &[&str], out: &Output, why: &str) -> String {
    assert_inert(args, out);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
    assert_eq!(stderr.matches("error: ").count(), 1, "{args:?}: {stderr}");
    assert!(stderr.contains(why), "{args:?}: wanted {why:?} in {stderr}");
    assert!(stderr.len() < 2_000, "{args:?}: {} bytes", stderr.len());
    stderr
}

fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.to_string_lossy().into_owned()
}

const INVENTORY: &str = "devices:\n  - {name: r1, host: 127.31.0.1}\n";
const PLAN: &str = "name: p\ntarget: all\nsteps:\n  - command: show clock\n";

/// Files that no loader may read as they are: (name, bytes or path, what the error says).
struct Bad {
    name: &'static str,
    path: String,
    why: &'static str,
    /// `Some((line, column))` when the problem has a place in the file.
    at: Option<(usize, usize)>,
}

fn laughs() -> String {
    let mut text = String::from("a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for (i, name) in ('b'..='j').enumerate() {
        let prev = (b'a' + i as u8) as char;
        let items = vec![format!("*{prev}"); 9].join(", ");
        text.push_str(&format!("{name}: &{name} [{items}]\n"));
    }
    text
}

/// The hostile files every YAML loader is run over. `body` is a valid document of that
/// loader, used where the attack is in the encoding rather than the content.
fn bad_files(dir: &Path, kind: &str, body: &str) -> Vec<Bad> {
    let d = |name: &str| dir.join(format!("{kind}-{name}"));
    let fifo = d("fifo");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let huge = d("huge");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(10 << 30)
        .unwrap();
    let mut utf16 = vec![0xff, 0xfe];
    utf16.extend(body.encode_utf16().flat_map(u16::to_le_bytes));
    let w = |name: &str, bytes: &[u8]| write(dir, &format!("{kind}-{name}"), bytes);
    let p = |path: &PathBuf| path.to_string_lossy().into_owned();
    let bad = |name, path, why, at| Bad {
        name,
        path,
        why,
        at,
    };
    vec![
        bad("fifo", p(&fifo), "a FIFO (named pipe)", None),
        bad("zero", "/dev/zero".into(), "a character device", None),
        bad("urandom", "/dev/urandom".into(), "a character device", None),
        bad("huge", p(&huge), "larger than", None),
        bad(
            "deep",
            w("deep", "[".repeat(1 << 20).as_bytes()),
            "nested more than 32 levels",
            Some((1, 33)),
        ),
        bad("utf16", w("utf16", &utf16), "UTF-16", None),
        bad(
            "binary",
            w("binary", b"\x7fELF\x02\x01\x01\x00\xff\xfe\x00"),
            "not UTF-8 text: invalid byte at offset 8",
            None,
        ),
        bad(
            "nul",
            w("nul", format!("{body}x: a\0b\n").as_bytes()),
            "control character U+0000",
            Some((body.lines().count() + 1, 5)),
        ),
        bad(
            "laughs",
            w("laughs", laughs().as_bytes()),
            "billion laughs",
            Some((6, 4)),
        ),
        bad(
            "merge",
            w("merge", format!("{body}x:\n  <<: [1, 2]\n").as_bytes()),
            "bad merge key",
            Some((body.lines().count() + 2, 3)),
        ),
        bad(
            "integer",
            w(
                "integer",
                format!("{body}x: 123456789012345678901234567890\n").as_bytes(),
            ),
            "`x`: the number 123456789012345678901234567890 is too large",
            Some((body.lines().count() + 1, 4)),
        ),
    ]
}

fn assert_bad_file(args: &[&str], bad: &Bad) {
    let out = run(args);
    let stderr = assert_refused(args, &out, bad.why);
    if let Some((line, column)) = bad.at {
        assert!(
            stderr.contains(&format!("{}:{line}:{column}: ", bad.path)),
            "{}: {stderr}",
            bad.name
        );
    }
}

#[test]
fn bad_inventories_are_refused_by_every_command_that_reads_one() {
    let dir = tempfile::tempdir().unwrap();
    let plan = write(dir.path(), "plan.yaml", PLAN);
    for bad in bad_files(dir.path(), "inv", INVENTORY) {
        let inv = bad.path.as_str();
        for args in [
            vec!["check", inv],
            vec!["sweep", inv, "--count", "1"],
            vec!["rollout", &plan, "--inventory", inv, "--dry-run"],
        ] {
            assert_bad_file(&args, &bad);
        }
    }
}

#[test]
fn bad_plans_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let inv = write(dir.path(), "inv.yaml", INVENTORY);
    for bad in bad_files(dir.path(), "plan", PLAN) {
        assert_bad_file(
            &["rollout", &bad.path, "--inventory", &inv, "--dry-run"],
            &bad,
        );
    }
}

#[test]
fn a_journal_to_resume_that_is_no_regular_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let inv = write(dir.path(), "inv.yaml", INVENTORY);
    let plan = write(dir.path(), "plan.yaml", PLAN);
    let fifo = dir.path().join("journal-fifo");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let fifo = fifo.to_string_lossy().into_owned();
    for (journal, why) in [
        (fifo.as_str(), "a FIFO (named pipe)"),
        ("/dev/zero", "a character device"),
        ("/dev/urandom", "a character device"),
    ] {
        let args = [
            "rollout",
            &plan,
            "--inventory",
            &inv,
            "--headless",
            "--yes",
            "--resume",
            journal,
        ];
        assert_refused(&args, &run(&args), why);
        let args = [
            "rollout",
            &plan,
            "--inventory",
            &inv,
            "--headless",
            "--yes",
            "--journal",
            journal,
        ];
        assert_refused(&args, &run(&args), why);
        let lock = format!("{journal}.lock");
        assert!(!Path::new(&lock).exists(), "no lock file beside {journal}");
    }
}

#[test]
fn a_byte_order_mark_is_accepted_by_both_loaders() {
    let dir = tempfile::tempdir().unwrap();
    let inv = write(dir.path(), "inv.yaml", format!("\u{feff}{INVENTORY}"));
    let plan = write(dir.path(), "plan.yaml", format!("\u{feff}{PLAN}"));
    for args in [
        vec!["check", &inv],
        vec!["rollout", &plan, "--inventory", &inv, "--dry-run"],
    ] {
        let out = run(&args);
        assert_inert(&args, &out);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {out:?}");
    }
}

/// Values quoted back in errors: escaped, and cut when long.
#[test]
fn hostile_names_and_values_are_quoted_inert_and_short() {
    let dir = tempfile::tempdir().unwrap();
    let long = "a".repeat(70_000);
    let h = serde_json::to_string(HOSTILE).unwrap();
    let long_host = "h".repeat(1 << 20);
    let inventories = [
        (
            format!("devices:\n  - {{name: {long}, host: 127.31.0.1}}\n"),
            "70000 characters long",
        ),
        (
            format!("devices:\n  - {{name: {h}, host: 127.31.0.1}}\n"),
            "device name",
        ),
        (
            format!("devices:\n  - {{name: r1, host: {h}}}\n"),
            "bad address",
        ),
        (
            format!("devices:\n  - {{name: r1, host: {long_host}}}\n"),
            "bad address",
        ),
        (
            format!("devices:\n  - {{name: r1, host: 127.31.0.1, {h}: 1}}\n"),
            "unknown field",
        ),
        (
            format!("devices:\n  - {{name: r1, host: 127.31.0.1, groups: [{h}]}}\n"),
            "unknown group",
        ),
        (
            format!("groups:\n  {h}: {{}}\ndevices:\n  - {{name: r1, host: 127.31.0.1}}\n"),
            "group name",
        ),
        (
            format!("devices:\n  - {{name: r1, host: 127.31.0.1, tags: {{{h}: x}}}}\n"),
            "tag name",
        ),
        (
            format!("devices:\n  - {{name: r1, host: 127.31.0.1, platform: {h}}}\n"),
            "platform",
        ),
        (
            format!("devices:\n  - {{name: r1, host: 127.31.0.1, port: {h}}}\n"),
            "bad port",
        ),
        (
            format!("devices:\n  - {{name: r1, host: 127.31.0.1, probe: {h}}}\n"),
            "bad probe",
        ),
        (
            format!("devices:\n  - {{name: r1, host: 127.31.0.1, port: \"{long}\"}}\n"),
            "more characters",
        ),
    ];
    let plan = write(dir.path(), "plan.yaml", PLAN);
    for (i, (text, why)) in inventories.iter().enumerate() {
        let inv = write(dir.path(), &format!("inv{i}.yaml"), text);
        for args in [
            vec!["check", &inv],
            vec!["sweep", &inv, "--count", "1"],
            vec!["rollout", &plan, "--inventory", &inv, "--dry-run"],
        ] {
            assert_refused(&args, &run(&args), why);
        }
    }
    let good = write(dir.path(), "good.yaml", INVENTORY);
    let plans = [
        format!("{PLAN}{h}: 1\n"),
        format!("name: p\ntarget: {h}\nsteps: [x]\n"),
        format!("name: p\ntarget: \"!!{h}\"\nsteps: [x]\n"),
        format!("{PLAN}strategy: {{group_by: {h}}}\n"),
        format!("{PLAN}strategy: {{batches: [{h}]}}\n"),
        format!("{PLAN}strategy: {{never_together: [[r1, {h}]]}}\n"),
        format!("{PLAN}pause: {h}\n"),
        format!("{PLAN}max_fail: {{action: {h}}}\n"),
        format!("{PLAN}max_fail: {h}\n"),
        format!("{PLAN}post_checks:\n  - {{command: {h}, same_as_pre: true}}\n"),
        format!("{PLAN}pre_checks:\n  - {{command: x, regex: \"({h}\"}}\n"),
        format!("{PLAN}pause: \"{long}\"\n"),
    ];
    for (i, text) in plans.iter().enumerate() {
        let plan = write(dir.path(), &format!("plan{i}.yaml"), text);
        let args = ["rollout", &plan, "--inventory", &good, "--dry-run"];
        assert_refused(&args, &run(&args), ".yaml:");
    }
}

#[test]
fn a_closed_stdout_ends_quietly_with_the_usual_status() {
    let dir = tempfile::tempdir().unwrap();
    // Many devices, so the output is larger than a pipe's buffer.
    let mut text = String::from("devices:\n");
    for i in 0..2000 {
        text.push_str(&format!(
            "  - {{name: d{i}, host: 127.31.{}.{}, probe: \"tcp:1\"}}\n",
            i / 250 + 1,
            i % 250 + 1
        ));
    }
    let inv = write(dir.path(), "inv.yaml", &text);
    let plan = write(dir.path(), "plan.yaml", PLAN);
    for (args, status) in [
        (vec!["check", &inv], 0),
        // Port 1 refuses: every device is down, which is status 1.
        (vec!["sweep", &inv, "--count", "1", "--rate", "0"], 1),
        (
            vec!["sweep", &inv, "--count", "1", "--rate", "0", "--json"],
            1,
        ),
        (vec!["rollout", &plan, "--inventory", &inv, "--dry-run"], 0),
    ] {
        let out = run_with(&args, true);
        assert_inert(&args, &out);
        assert_eq!(out.status.code(), Some(status), "{args:?}: {out:?}");
        assert!(
            out.stderr.is_empty(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

const SCENARIO: &str =
    "name: h\nsites: [h]\nroles:\n  - {role: ios, platform: cisco_ios, count: 2}\n";

async fn lab() -> Lab {
    common::lab(SCENARIO).devices(2).seed(5).start().await
}

/// `run` off the async runtime, so the lab keeps serving while the binary talks to it.
async fn run_async(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run(&args)
    })
    .await
    .unwrap()
}

fn exec_args(inv: &str, known_hosts: &str, journal: &str) -> Vec<String> {
    [
        "exec",
        inv,
        "--limit",
        "all",
        "--timeout",
        "3s",
        "--known-hosts",
        known_hosts,
        "--journal",
        journal,
        "--",
        "show",
        "clock",
    ]
    .map(String::from)
    .to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_known_hosts_and_key_files_end_with_a_clear_reason() {
    let lab = lab().await;
    let dir = tempfile::tempdir().unwrap();
    let journal = dir
        .path()
        .join("audit.jsonl")
        .to_string_lossy()
        .into_owned();
    let kh = write(dir.path(), "known_hosts", lab.known_hosts());
    let inv = write(dir.path(), "inv.yaml", lab.inventory_yaml());

    // known_hosts: refused before anything connects (status 2).
    let mut files = bad_files(dir.path(), "kh", &lab.known_hosts());
    files.retain(|b| b.at.is_none());
    let missing_dir = dir.path().join("no/such/dir/kh");
    files.push(Bad {
        name: "missing dir",
        path: missing_dir.to_string_lossy().into_owned(),
        why: "does not exist",
        at: None,
    });
    for bad in &files {
        let args = exec_args(&inv, &bad.path, &journal);
        let out = run_async(args.clone()).await;
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_refused(&args, &out, bad.why);
    }
    assert!(!dir.path().join("no").exists(), "no directory created");

    // key_file: each device fails with the reason (status 1, some device failed).
    let mut files = bad_files(dir.path(), "key", "k\n");
    files.retain(|b| b.at.is_none());
    for bad in &files {
        // The lab's inventory, with a key file instead of the password.
        let mut doc: serde_yaml::Value = serde_yaml::from_str(&lab.inventory_yaml()).unwrap();
        let defaults = doc["defaults"].as_mapping_mut().unwrap();
        defaults.remove("password_env");
        defaults.insert("key_file".into(), bad.path.clone().into());
        defaults.insert("agent".into(), false.into());
        let text = serde_yaml::to_string(&doc).unwrap();
        let inv = write(dir.path(), "key-inv.yaml", text);
        let args = exec_args(&inv, &kh, &journal);
        let out = run_async(args.clone()).await;
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_inert(&args, &out);
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.status.code(), Some(1), "{}: {all}", bad.name);
        assert!(
            all.contains(bad.why),
            "{}: wanted {:?} in {all}",
            bad.name,
            bad.why
        );
    }

    // A revoked key: refused even though accept-new is the default.
    let first = lab.known_hosts().lines().next().unwrap().to_owned();
    let key = first.split_once(' ').unwrap().1.to_owned();
    let revoked = write(dir.path(), "revoked", format!("@revoked * {key}\n"));
    let args = exec_args(&inv, &revoked, &journal);
    let out = run_async(args.clone()).await;
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    assert_inert(&args, &out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("REVOKED HOST KEY"), "{stdout}");
    // The other device is learned as usual; the revoked one never is.
    let learned = std::fs::read_to_string(dir.path().join("revoked")).unwrap();
    assert!(!learned.contains(&first), "{learned}");
    assert_eq!(learned.lines().count(), 2, "{learned}");
}

/// An IPv4-mapped IPv6 address is probed as the IPv4 address it maps (it used to be
/// accepted and then never answer), whichever way it is written and whichever probe.
#[test]
fn ipv4_mapped_hosts_are_reached_as_ipv4() {
    let dir = tempfile::tempdir().unwrap();
    let inv = write(
        dir.path(),
        "inv.yaml",
        "devices:\n  - {name: a, host: '::ffff:127.31.5.1'}\n  - {name: b, host: '::FFFF:7f1f:0502'}\n  \
         - {name: c, host: '0:0:0:0:0:ffff:127.31.5.3', probe: 'tcp:1'}\n",
    );
    let args = ["sweep", &inv, "--json"];
    let out = run(&args);
    assert_inert(&args, &out);
    let rows: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let hosts: Vec<&str> = rows.iter().map(|r| r["host"].as_str().unwrap()).collect();
    assert_eq!(hosts, ["127.31.5.1", "127.31.5.2", "127.31.5.3"]);
    assert!(rows[..2].iter().all(|r| r["state"] == "up"), "{rows:?}");
    // Nothing listens on port 1: "refused" (not "unreachable") shows the address answered.
    assert_eq!(rows[2]["error"], "tcp:1 refused", "{rows:?}");
}

/// `fleetdash lab | head -0`: the lab keeps serving and ends on Ctrl-C with status 0, never
/// a panic on the closed pipe.
#[test]
fn the_lab_survives_a_closed_stdout() {
    let base = common::block().to_string();
    let mut child = common::fleetdash()
        .args(["lab", "--devices", "2", "--port", "0", "--base", &base])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run fleetdash lab");
    drop(child.stdout.take());
    // The start line and at least one status line go to the closed pipe.
    std::thread::sleep(Duration::from_millis(2500));
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}
