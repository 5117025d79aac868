//! The SSH session layer against an in-process device lab: every platform (exec for Linux,
//! PTY shell for network gear), paging, error markers, config mode, and each fault
//! (tarpit, dropped session, huge output, escape sequences, host key change, auth failure,
//! max sessions). Timeouts are short so the suite stays fast.

mod common;

use std::path::Path;
use std::time::Duration;

use fleetdash::fleet::Stage;
use fleetdash::lab::{Lab, Via};
use fleetdash::platforms::poll_specs;
use fleetdash::ssh::{HostKeyPolicy, Secret, Session, SshOptions, Target, Timeouts};

const SCENARIO: &str = r#"
name: ssh-test
sites: [s]
roles:
  - {role: ios, platform: cisco_ios, count: 1}
  - {role: xe, platform: cisco_xe, count: 1}
  - {role: eos, platform: arista_eos, count: 1}
  - {role: junos, platform: juniper_junos, count: 1}
  - {role: linux, platform: linux, count: 1}
  - {role: tarpit, platform: cisco_ios, count: 1}
  - {role: drop, platform: cisco_ios, count: 1}
  - {role: huge, platform: cisco_ios, count: 1}
  - {role: ctrl, platform: cisco_ios, count: 1}
  - {role: authfail, platform: juniper_junos, count: 1}
  - {role: rotate, platform: cisco_ios, count: 1}
  - {role: busy, platform: arista_eos, count: 1}
  - {role: slow, platform: cisco_ios, count: 1}
  - {role: slowlogin, platform: linux, count: 1}
faults:
  - devices: [s-tarpit1]
    tarpit: true
  - devices: [s-drop1]
    drop_mid_command: ["show running-config"]
  - devices: [s-huge1]
    huge_output: {command: "show tech-support", bytes: 3000000}
  - devices: [s-ctrl1]
    control_bytes: true
  - devices: [s-authfail1]
    auth_failure: true
  - devices: [s-rotate1]
    host_key_change_after: 1
  - devices: [s-busy1]
    max_sessions: 2
  - devices: [s-slow1]
    latency: 300ms
  - devices: [s-slowlogin1]
    slow_login: 1s
"#;

/// The lab of [`SCENARIO`] on a fresh loopback block.
async fn start() -> Lab {
    common::lab(SCENARIO).devices(14).seed(11).start().await
}

fn target(lab: &Lab, name: &str) -> Target {
    common::lab_target(lab, name)
}

/// Options with a known_hosts file holding the lab's keys, and short timeouts.
fn opts(dir: &Path, lab: &Lab) -> SshOptions {
    let mut o = common::lab_options(lab, dir.join("known_hosts"));
    o.host_keys = HostKeyPolicy::Strict;
    o.timeouts = Timeouts {
        connect: Duration::from_secs(2),
        handshake: Duration::from_millis(500),
        auth: Duration::from_secs(3),
        command: Duration::from_secs(5),
    };
    o
}

async fn connect(lab: &Lab, o: &SshOptions, name: &str) -> Session {
    Session::connect_target(&target(lab, name), o)
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn no_controls(text: &str) -> bool {
    text.chars()
        .all(|c| c == '\n' || c == '\t' || !c.is_control())
}

#[tokio::test]
async fn every_platform_answers_over_exec_or_pty_with_paging_off() {
    let lab = start().await;
    let dir = tempfile::tempdir().unwrap();
    let o = opts(dir.path(), &lab);
    let cases = [
        (
            "s-ios1",
            "show version",
            "Cisco IOS Software, C2960X",
            "terminal length 0",
        ),
        (
            "s-xe1",
            "show version",
            "Cisco IOS XE Software",
            "terminal length 0",
        ),
        (
            "s-eos1",
            "show version",
            "Arista DCS-7050SX3",
            "terminal length 0",
        ),
        (
            "s-junos1",
            "show version",
            "Hostname: s-junos1\nModel: mx204",
            "set cli screen-length 0",
        ),
        ("s-linux1", "uname -a", "Linux s-linux1 ", ""),
    ];
    for (name, cmd, expect, paging_off) in cases {
        let mut s = connect(&lab, &o, name).await;
        let out = s.run(cmd).await.unwrap();
        assert!(out.text.starts_with(expect), "{name}: {:?}", out.text);
        assert!(out.ok(), "{name}: {out:?}");
        assert!(!out.truncated);
        assert!(no_controls(&out.text), "{name}: {:?}", out.text);
        // Neither the echoed command nor the prompt is part of the output.
        assert!(!out.text.contains(cmd), "{name}: {:?}", out.text);
        assert!(
            !out.text.trim_end().ends_with('#'),
            "{name}: {:?}",
            out.text
        );
        // The session is reused for a second command.
        let again = s.run(cmd).await.unwrap();
        assert!(again.text.starts_with(expect), "{name}: {:?}", again.text);
        let records = lab.commands(name);
        let via = if paging_off.is_empty() {
            Via::Exec
        } else {
            Via::Shell
        };
        assert!(
            records
                .iter()
                .filter(|r| r.text == cmd)
                .all(|r| r.via == via)
        );
        if !paging_off.is_empty() {
            // IOS and EOS shells start in user mode: the session enables first.
            let first = if name == "s-junos1" {
                paging_off
            } else {
                "enable"
            };
            assert_eq!(records[0].text, first, "{name}: {records:?}");
            assert!(
                records.iter().any(|r| r.text == paging_off),
                "{name}: {records:?}"
            );
        }
        assert_eq!(out.exit_status.is_some(), paging_off.is_empty(), "{name}");
        s.close().await;
    }
    lab.stop().await;
}

#[tokio::test]
async fn long_output_is_not_paged_and_privileged_commands_work() {
    let lab = start().await;
    let dir = tempfile::tempdir().unwrap();
    let o = opts(dir.path(), &lab);
    let mut s = connect(&lab, &o, "s-ios1").await;
    // Needs privileged mode (the session entered it) and is longer than a 24-line page.
    let out = s.run("show running-config").await.unwrap();
    assert!(out.text.lines().count() > 30, "{}", out.text);
    assert!(out.text.trim_end().ends_with("end"), "{:?}", out.text);
    assert!(!out.text.contains("More"), "{}", out.text);
    assert!(out.ok());
}

#[tokio::test]
async fn invalid_input_is_detected_on_every_platform() {
    let lab = start().await;
    let dir = tempfile::tempdir().unwrap();
    let o = opts(dir.path(), &lab);
    for (name, marker) in [
        ("s-ios1", "% Invalid input detected"),
        ("s-eos1", "% Invalid input"),
        ("s-junos1", "syntax error"),
    ] {
        let mut s = connect(&lab, &o, name).await;
        let out = s.run("show bogus-thing").await.unwrap();
        let found = out.error_marker.clone().unwrap_or_default();
        assert!(found.contains(marker), "{name}: {out:?}");
        assert!(!out.ok());
        // The shell is still in sync: the next command gets its own answer.
        let next = s.run("show version").await.unwrap();
        assert!(next.ok(), "{name}: {next:?}");
    }
    let mut s = connect(&lab, &o, "s-linux1").await;
    let out = s.run("bogus-thing").await.unwrap();
    assert_eq!(out.exit_status, Some(127));
    assert!(!out.ok());
}

#[tokio::test]
async fn tarpit_times_out_at_the_handshake() {
    let lab = start().await;
    let dir = tempfile::tempdir().unwrap();
    let o = opts(dir.path(), &lab);
    let e = Session::connect_target(&target(&lab, "s-tarpit1"), &o)
        .await
        .err()
        .unwrap();
    assert_eq!(e.stage, Stage::Handshake, "{e}");
    assert!(e.reason.contains("timed out"), "{e}");
    assert!(!e.maybe_ran);
}

#[tokio::test]
async fn dropped_session_is_a_command_error_that_may_have_run() {
    let lab = start().await;
    let dir = tempfile::tempdir().unwrap();
    let o = opts(dir.path(), &lab);
    let mut s = connect(&lab, &o, "s-drop1").await;
    let e = s.run("show running-config").await.unwrap_err();
    assert_eq!(e.stage, Stage::Command, "{e}");
    assert!(e.maybe_ran);
    assert!(s.is_closed());
    assert_eq!(lab.command_count("s-drop1", "show running-config"), 1);
    // A closed session refuses further commands without sending them.
    let e = s.run("show version").await.unwrap_err();
    assert!(!e.maybe_ran);
}

#[tokio::test]
async fn huge_output_is_truncated_at_the_cap_and_the_session_recovers() {
    let lab = start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut o = opts(dir.path(), &lab);
    o.output_cap = 64 * 1024;
    let mut s = connect(&lab, &o, "s-huge1").await;
    let out = s.run("show tech-support").await.unwrap();
    assert!(out.truncated);
    assert!(
        out.text.len() <= 64 * 1024 && out.text.len() > 60 * 1024,
        "{}",
        out.text.len()
    );
    assert!(out.text.contains("tech-support: interface counters"));
    let next = s.run("show version").await.unwrap();
    assert!(
        next.text.starts_with("Cisco IOS Software"),
        "{:?}",
        next.text
    );
    assert!(!next.truncated);
}

#[tokio::test]
async fn escape_sequences_and_control_bytes_are_neutralised() {
    let lab = start().await;
    let dir = tempfile::tempdir().unwrap();
    let o = opts(dir.path(), &lab);
    let mut clean = connect(&lab, &o, "s-ios1").await;
    let mut dirty = connect(&lab, &o, "s-ctrl1").await;
    let a = clean.run("show ip interface brief").await.unwrap();
    let b = dirty.run("show ip interface brief").await.unwrap();
    assert!(no_controls(&b.text), "{:?}", b.text);
    assert!(!b.text.contains('\u{1b}'));
    // What was taken out is reported, and only where something was.
    assert!(b.removed.controls > 0, "{:?}", b.removed);
    assert!(!a.removed.any(), "{:?}", a.removed);
    // Same shape as a clean device's answer: the same header, the same number of lines.
    assert_eq!(a.text.lines().next(), b.text.lines().next(), "{:?}", b.text);
    assert_eq!(
        a.text.lines().count(),
        b.text.lines().count(),
        "{:?}",
        b.text
    );
}

#[tokio::test]
async fn changed_host_key_is_refused_under_both_policies() {
    let lab = start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("known_hosts");
    let mut o = opts(dir.path(), &lab);
    std::fs::write(&file, "# fleetdash test\n").unwrap();
    // accept-new learns the unknown key and says so.
    o.host_keys = HostKeyPolicy::AcceptNew;
    let s = connect(&lab, &o, "s-rotate1").await;
    let learned = s.learned_host_key().unwrap().to_string();
    assert!(learned.contains("learned new host key"), "{learned}");
    s.close().await;
    // The device now presents another key: refused, with file and line named.
    for policy in [HostKeyPolicy::AcceptNew, HostKeyPolicy::Strict] {
        o.host_keys = policy;
        let e = Session::connect_target(&target(&lab, "s-rotate1"), &o)
            .await
            .err()
            .unwrap();
        assert_eq!(e.stage, Stage::HostKey, "{e}");
        assert!(e.reason.contains("CHANGED"), "{e}");
        assert!(
            e.reason.contains(&format!("{} line 2", file.display())),
            "{e}"
        );
        assert!(e.reason.contains("ssh-keygen -R"), "{e}");
    }
    // Strict refuses a host it has never seen.
    std::fs::write(&file, "").unwrap();
    o.host_keys = HostKeyPolicy::Strict;
    let e = Session::connect_target(&target(&lab, "s-ios1"), &o)
        .await
        .err()
        .unwrap();
    assert_eq!(e.stage, Stage::HostKey, "{e}");
    assert!(e.reason.contains("not in known_hosts"), "{e}");
}

#[tokio::test]
async fn auth_failure_is_an_auth_error_without_secrets() {
    let lab = start().await;
    let dir = tempfile::tempdir().unwrap();
    let o = opts(dir.path(), &lab);
    let mut t = target(&lab, "s-authfail1");
    t.credentials.password = Some(Secret::new("s3cr3t-value".into()));
    let e = Session::connect_target(&t, &o).await.err().unwrap();
    assert_eq!(e.stage, Stage::Auth, "{e}");
    assert!(e.reason.contains("password: rejected"), "{e}");
    assert!(e.reason.contains("keyboard-interactive: rejected"), "{e}");
    assert!(!e.reason.contains("s3cr3t"), "{e}");
    assert!(!format!("{t:?}").contains("s3cr3t"));
    // A named but unset variable is named in the error.
    let mut t = target(&lab, "s-ios1");
    t.credentials.password = None;
    t.credentials.password_env = Some("FLEETDASH_SSH_TEST_UNSET".into());
    let e = Session::connect_target(&t, &o).await.err().unwrap();
    assert_eq!(e.stage, Stage::Auth, "{e}");
    assert!(
        e.reason.contains("FLEETDASH_SSH_TEST_UNSET is not set"),
        "{e}"
    );
}

#[tokio::test]
async fn sessions_beyond_the_device_limit_are_refused_at_the_handshake() {
    let lab = start().await;
    let dir = tempfile::tempdir().unwrap();
    let o = opts(dir.path(), &lab);
    let a = connect(&lab, &o, "s-busy1").await;
    let b = connect(&lab, &o, "s-busy1").await;
    let e = Session::connect_target(&target(&lab, "s-busy1"), &o)
        .await
        .err()
        .unwrap();
    assert_eq!(e.stage, Stage::Handshake, "{e}");
    assert!(e.reason.contains("closed the connection"), "{e}");
    assert!(!e.maybe_ran);
    a.close().await;
    b.close().await;
}

#[tokio::test]
async fn configure_applies_lines_and_saves() {
    let lab = start().await;
    let dir = tempfile::tempdir().unwrap();
    let o = opts(dir.path(), &lab);
    let mut s = connect(&lab, &o, "s-ios1").await;
    let lines = vec![
        "interface GigabitEthernet0/2".to_string(),
        "description set-by-fleetdash".to_string(),
    ];
    let out = s.configure(&lines, true).await.unwrap();
    assert!(out.ok(), "{out:?}");
    assert!(
        lab.config_text("s-ios1")
            .unwrap()
            .contains("description set-by-fleetdash")
    );
    assert_eq!(lab.command_count("s-ios1", "write memory"), 1);
    // Back in privileged mode: an exec command works.
    assert!(s.run("show version").await.unwrap().ok());
    // A rejected line stops the rest and nothing is saved.
    let bad = vec![
        "frobnicate everything".to_string(),
        "hostname nope".to_string(),
    ];
    let out = s.configure(&bad, true).await.unwrap();
    assert!(out.error_marker.is_some(), "{out:?}");
    assert_eq!(lab.command_count("s-ios1", "hostname nope"), 0);
    assert_eq!(lab.command_count("s-ios1", "write memory"), 1);

    let mut j = connect(&lab, &o, "s-junos1").await;
    let set = vec!["set system location building-7".to_string()];
    let out = j.configure(&set, true).await.unwrap();
    assert!(out.ok(), "{out:?}");
    assert!(lab.config_text("s-junos1").unwrap().contains("building-7"));
    assert!(j.run("show version").await.unwrap().ok());
}

#[tokio::test]
async fn pager_prompts_are_answered_when_paging_is_back_on() {
    let lab = start().await;
    let dir = tempfile::tempdir().unwrap();
    let o = opts(dir.path(), &lab);
    let mut s = connect(&lab, &o, "s-eos1").await;
    let unpaged = s.run("show running-config").await.unwrap();
    // Someone turns paging back on: pages of 5 lines, each ending in a pager marker.
    s.run("terminal length 5").await.unwrap();
    let paged = s.run("show running-config").await.unwrap();
    assert!(!paged.text.contains("More"), "{}", paged.text);
    assert_eq!(paged.text, unpaged.text);
    assert!(unpaged.text.lines().count() > 20);
}

/// Not a test: a measurement for the report. One command on 1,000 healthy lab devices
/// (every platform), 200 sessions at a time, each session connect + auth (+ shell setup) +
/// command + close. The client runs on this thread alone (a current-thread runtime), the
/// lab on its own runtime's threads, so this thread's CPU time is the client's.
/// Run: `cargo test --release --test ssh_lab -- --ignored --nocapture measure`.
#[test]
#[ignore]
fn measure_one_command_on_1000_devices() {
    const N: usize = 1000;
    const CONCURRENCY: usize = 200;
    let scenario = "name: bench\nsites: [b]\nroles:\n  - {role: ios, platform: cisco_ios, count: 2}\n  \
         - {role: eos, platform: arista_eos, count: 1}\n  - {role: junos, platform: juniper_junos, count: 1}\n  \
         - {role: linux, platform: linux, count: 1}\n";
    let lab_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let lab = lab_rt.block_on(common::lab(scenario).devices(N).start());
    let dir = tempfile::tempdir().unwrap();
    let mut o = opts(dir.path(), &lab);
    o.timeouts.handshake = Duration::from_secs(10);
    o.timeouts.command = Duration::from_secs(20);
    let targets: Vec<(Target, &str)> = lab
        .devices()
        .iter()
        .map(|d| {
            let cmd = if d.platform.name() == "linux" {
                "uname -a"
            } else {
                "show version"
            };
            (target(&lab, &d.name), cmd)
        })
        .collect();
    let client = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let cpu0 = thread_cpu();
    let t0 = std::time::Instant::now();
    let ok = client.block_on(async {
        let sem = std::sync::Arc::new(tokio::sync::Semaphore::new(CONCURRENCY));
        let mut set = tokio::task::JoinSet::new();
        for (t, cmd) in targets {
            let sem = sem.clone();
            let o = o.clone();
            set.spawn(async move {
                let _permit = sem.acquire_owned().await.unwrap();
                let mut s = Session::connect_target(&t, &o).await.ok()?;
                let out = s.run(cmd).await.ok()?;
                s.close().await;
                out.ok().then_some(())
            });
        }
        let mut ok = 0;
        while let Some(r) = set.join_next().await {
            ok += usize::from(matches!(r, Ok(Some(()))));
        }
        ok
    });
    let wall = t0.elapsed();
    let cpu = thread_cpu() - cpu0;
    println!(
        "{ok}/{N} devices ok in {:.2} s ({:.0} sessions/s), client CPU {:.2} s = {:.2} ms/session",
        wall.as_secs_f64(),
        N as f64 / wall.as_secs_f64(),
        cpu.as_secs_f64(),
        cpu.as_secs_f64() * 1000.0 / N as f64
    );
    assert_eq!(ok, N);
    lab_rt.block_on(lab.stop());
}

/// CPU time (user + system) of the calling thread, from /proc (10 ms resolution).
fn thread_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
    // Fields after the command name (which is in parentheses and may contain spaces).
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<u64> = rest
        .split(' ')
        .skip(11)
        .take(2)
        .map(|x| x.parse().unwrap())
        .collect();
    Duration::from_millis((f[0] + f[1]) * 10)
}

#[tokio::test]
async fn a_cancelled_command_does_not_leak_into_the_next_one() {
    let lab = start().await;
    let dir = tempfile::tempdir().unwrap();
    let o = opts(dir.path(), &lab);
    let mut s = connect(&lab, &o, "s-slow1").await;
    // The caller gives up (drops the future) while the device is still answering.
    let gave_up = tokio::time::timeout(Duration::from_millis(50), s.run("show running-config"));
    assert!(gave_up.await.is_err());
    let out = s.run("show clock").await.unwrap();
    assert!(
        out.text.starts_with('*') && out.text.ends_with("UTC\n"),
        "{:?}",
        out.text
    );
    assert_eq!(out.text.lines().count(), 1, "{:?}", out.text);
}

#[tokio::test]
async fn each_stage_times_out_on_its_own_and_refusal_is_a_connect_error() {
    let lab = start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut o = opts(dir.path(), &lab);
    o.timeouts.auth = Duration::from_millis(300);
    let e = Session::connect_target(&target(&lab, "s-slowlogin1"), &o)
        .await
        .err()
        .unwrap();
    assert_eq!(e.stage, Stage::Auth, "{e}");
    assert!(e.reason.contains("timed out after 300ms"), "{e}");

    // A command that outlives its timeout may have run; the session stays usable.
    let mut s = connect(&lab, &o, "s-slow1").await;
    s.set_command_timeout(Duration::from_millis(100));
    let e = s.run("show clock").await.unwrap_err();
    assert_eq!(e.stage, Stage::Command, "{e}");
    assert!(e.reason.contains("timed out after 100ms"), "{e}");
    assert!(e.maybe_ran);
    assert!(!s.is_closed());
    s.set_command_timeout(Duration::from_secs(5));
    let out = s.run("show clock").await.unwrap();
    assert!(
        out.text.ends_with("UTC\n") && out.text.lines().count() == 1,
        "{out:?}"
    );

    // Nobody listens: refused at once, at the connect stage.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = free.local_addr().unwrap().port();
    drop(free);
    let mut t = target(&lab, "s-ios1");
    t.host = "127.0.0.1".into();
    t.port = port;
    let e = Session::connect_target(&t, &o).await.err().unwrap();
    assert_eq!(e.stage, Stage::Connect, "{e}");
    assert!(e.reason.contains("refused"), "{e}");
}

#[tokio::test]
async fn poll_commands_parse_into_facts_on_every_platform() {
    let lab = start().await;
    let dir = tempfile::tempdir().unwrap();
    let o = opts(dir.path(), &lab);
    for name in ["s-ios1", "s-xe1", "s-eos1", "s-junos1", "s-linux1"] {
        let platform = lab.device(name).unwrap().platform.name();
        let mut s = connect(&lab, &o, name).await;
        let mut facts = Vec::new();
        for spec in poll_specs(platform) {
            let out = s.run(&spec.command).await.unwrap();
            assert!(out.ok(), "{name} {}: {out:?}", spec.command);
            facts.extend((spec.parse)(&out.text));
        }
        let labels: Vec<&str> = facts.iter().map(|(l, _)| l.as_str()).collect();
        let want: &[&str] = match platform {
            "juniper_junos" => &["version", "model", "serial", "booted"],
            "linux" => &["os", "kernel", "uptime", "load"],
            _ => &["version", "model", "serial", "uptime"],
        };
        for w in want {
            assert!(labels.contains(w), "{name}: {facts:?}");
        }
        assert!(
            facts.iter().all(|(_, v)| !v.is_empty()),
            "{name}: {facts:?}"
        );
    }
}

#[tokio::test]
async fn a_command_with_a_line_break_never_reaches_the_device() {
    let lab = start().await;
    let dir = tempfile::tempdir().unwrap();
    let o = opts(dir.path(), &lab);
    let smuggled = "show clock\nconfigure terminal\nhostname PWNED\nend";
    for name in ["s-ios1", "s-linux1"] {
        let mut s = connect(&lab, &o, name).await;
        for command in [smuggled, "show clock\rreload", "uptime\u{1b}[A"] {
            let e = s.run(command).await.unwrap_err();
            assert_eq!(e.stage, Stage::Command, "{name}: {e}");
            assert!(!e.maybe_ran, "{name}: refused before sending");
            assert!(e.reason.contains("a command is one line"), "{e}");
        }
        // The session is still good for the next command.
        assert!(s.run("show version").await.is_ok());
    }
    assert_eq!(lab.command_count("s-ios1", "hostname PWNED"), 0);
    assert!(!lab.config_text("s-ios1").unwrap().contains("PWNED"));

    // A config line with a line break stops the whole change before config mode.
    let mut s = connect(&lab, &o, "s-ios1").await;
    let lines = vec![
        "interface GigabitEthernet0/2".to_string(),
        "description ok\nhostname PWNED".to_string(),
    ];
    let e = s.configure(&lines, true).await.unwrap_err();
    assert!(e.reason.contains("config line 2"), "{e}");
    assert_eq!(lab.command_count("s-ios1", "configure terminal"), 0);
    assert!(!lab.config_text("s-ios1").unwrap().contains("PWNED"));
}

/// `@revoked` lines (which russh's helpers skip) refuse the key under accept-new too, in a
/// file whose other lines ssh-keygen hashed; a `@cert-authority` line refuses to learn.
#[tokio::test]
async fn revoked_host_keys_are_refused_and_never_learned() {
    let lab = start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("known_hosts");
    let mut o = opts(dir.path(), &lab);
    // Hash every plain line the way users do, then revoke s-ios1's key for every host.
    let status = std::process::Command::new("ssh-keygen")
        .args(["-q", "-H", "-f"])
        .arg(&file)
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let ios = lab.device("s-ios1").unwrap();
    let ios_line = format!("[{}]:{}", ios.addr.ip(), ios.addr.port());
    let ios_key = lab
        .known_hosts()
        .lines()
        .find(|l| l.starts_with(&ios_line))
        .unwrap()
        .split_once(' ')
        .unwrap()
        .1
        .to_owned();
    let mut text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("|1|") && !text.contains(&ios_line), "{text}");
    text.push_str(&format!("@revoked * {ios_key}\n"));
    std::fs::write(&file, &text).unwrap();
    for policy in [HostKeyPolicy::AcceptNew, HostKeyPolicy::Strict] {
        o.host_keys = policy;
        let e = Session::connect_target(&target(&lab, "s-ios1"), &o)
            .await
            .err()
            .unwrap();
        assert_eq!(e.stage, Stage::HostKey, "{e}");
        assert!(e.reason.contains("REVOKED HOST KEY"), "{e}");
        // The hashed lines still work for the others.
        connect(&lab, &o, "s-eos1").await.close().await;
    }
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        text,
        "nothing learned"
    );

    // A CA for the lab's addresses, and no plain line for the host: refused, not learned.
    let ca_file = dir.path().join("ca_known_hosts");
    let ca = format!("@cert-authority [{}]:* {ios_key}\n", ios.addr.ip());
    std::fs::write(&ca_file, &ca).unwrap();
    let mut o = SshOptions::with_known_hosts(ca_file.clone());
    o.host_keys = HostKeyPolicy::AcceptNew;
    let e = Session::connect_target(&target(&lab, "s-ios1"), &o)
        .await
        .err()
        .unwrap();
    assert!(e.reason.contains("@cert-authority"), "{e}");
    assert_eq!(std::fs::read_to_string(&ca_file).unwrap(), ca);
}

const PROMPT_SHAPES: &str = r##"
name: shapes
sites: [p]
roles:
  - {role: banner, platform: cisco_ios, count: 1}
  - {role: bare, platform: juniper_junos, count: 1}
  - {role: junos, platform: juniper_junos, count: 1}
  - {role: eos, platform: arista_eos, count: 1}
  - {role: slow, platform: cisco_ios, count: 1}
faults:
  - devices: [p-banner1]
    motd: "** ########\n# core-sw1# and edge>  #\nr2>\nother-host#\n##########\nlab-fake#"
  - devices: [p-bare1]
    bare_prompt: true
  - devices: [p-junos1]
    motd: "--- JUNOS 21.4R3\nadmin@not-this-one> \n{master:0}\n"
  - devices: [p-eos1]
    latency: 150ms
  - devices: [p-slow1]
    latency: 800ms
"##;

/// Banners full of prompt-like lines (one left without its line break), a Junos prompt
/// without `user@` or trailing space, a Junos banner with another host's prompt, a slow
/// device: the prompt is learned, commands answer exactly, config mode works where the
/// prompt changes, and none of the banner reaches an answer.
#[tokio::test]
async fn prompts_are_learned_through_banners_and_bare_prompts() {
    let lab = common::lab(PROMPT_SHAPES).devices(5).seed(3).start().await;
    let dir = tempfile::tempdir().unwrap();
    let o = opts(dir.path(), &lab);
    let cases = [
        ("p-banner1", "show version", "Cisco IOS Software"),
        ("p-bare1", "show version", "Hostname: p-bare1"),
        ("p-junos1", "show version", "Hostname: p-junos1"),
        ("p-eos1", "show version", "Arista"),
        // Slower than the client waits before pressing Enter again: the extra prompt that
        // Enter is answered with later must not be taken for a command's answer.
        ("p-slow1", "show version", "Cisco IOS Software"),
    ];
    for (name, command, expect) in cases {
        let mut s = connect(&lab, &o, name).await;
        for _ in 0..2 {
            let out = s
                .run(command)
                .await
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(out.text.starts_with(expect), "{name}: {:?}", out.text);
            for banner in [
                "core-sw1",
                "other-host",
                "lab-fake",
                "not-this-one",
                "{master:0}",
            ] {
                assert!(!out.text.contains(banner), "{name}: {:?}", out.text);
            }
            assert!(
                !out.text.contains(command),
                "no echo: {name}: {:?}",
                out.text
            );
            assert!(
                !out.text.contains(&format!("{name}#")),
                "{name}: {:?}",
                out.text
            );
        }
        s.close().await;
    }
    // The prompt changes in config mode (`(config)#`, Junos `[edit]` + `#`): still ours.
    for name in ["p-banner1", "p-bare1"] {
        let mut s = connect(&lab, &o, name).await;
        let line = match name {
            "p-bare1" => "set system location building-7",
            _ => "interface GigabitEthernet0/2",
        };
        let out = s.configure(&[line.to_string()], false).await.unwrap();
        assert!(out.ok(), "{name}: {out:?}");
        s.close().await;
    }
}

/// What the lab's hung device sends is quoted in the error, and nothing is sent to it.
#[tokio::test]
async fn no_prompt_is_a_prompt_failure_quoting_the_device() {
    let lab = common::lab(
        "name: hung\nsites: [h]\nroles:\n  - {role: ios, platform: cisco_ios, count: 1}\n\
         faults:\n  - devices: [h-ios1]\n    no_prompt: true\n    motd: \"MENU 1) reboot 2) exit\\n> \"\n",
    )
    .devices(1)
    .start()
    .await;
    let dir = tempfile::tempdir().unwrap();
    let o = opts(dir.path(), &lab);
    let e = Session::connect_target(&target(&lab, "h-ios1"), &o)
        .await
        .err()
        .expect("no prompt, no session");
    assert_eq!(e.stage, Stage::Prompt, "{e}");
    assert!(e.reason.contains("MENU 1) reboot 2) exit"), "{e}");
    assert_eq!(e.to_string().split(':').next(), Some("prompt"), "{e}");
}
