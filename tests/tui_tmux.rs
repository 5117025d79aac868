//! End to end in a real terminal: the binary runs inside tmux; keys go in with `send-keys`,
//! the screen comes out with `capture-pane`. Tiles appear, `/` filters, `q` quits, and the
//! terminal is left as it was found (main screen, cursor shown, mouse released).

mod common;

use std::fmt::Write as _;
use std::process::Command;
use std::time::{Duration, Instant};

/// A private tmux server per test, killed when the test ends however it ends.
struct Tmux {
    socket: String,
    /// The session's `XDG_STATE_HOME` (recordings, journals), unless the command sets its
    /// own: nothing a test runs writes into the developer's `~/.local/state`.
    _state: tempfile::TempDir,
}

impl Tmux {
    fn start(test: &str, width: u16, height: u16, command: &str) -> Option<Tmux> {
        if Command::new("tmux").arg("-V").output().is_err() {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must install tmux (.ci/run)"
            );
            eprintln!("SKIPPED: tmux is not installed");
            return None;
        }
        let tmux = Tmux {
            socket: format!("fleetdash-{test}-{}", std::process::id()),
            _state: tempfile::tempdir().unwrap(),
        };
        let (w, h) = (width.to_string(), height.to_string());
        let state = format!("XDG_STATE_HOME={}", tmux._state.path().display());
        let session = [
            "new-session",
            "-d",
            "-e",
            &state,
            "-s",
            "t",
            "-x",
            &w,
            "-y",
            &h,
        ];
        tmux.run(&[&session[..], &[command]].concat());
        Some(tmux)
    }

    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("run tmux");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "t"])
    }

    /// Sends tmux key names (`Enter`, `Escape`, `q`).
    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "t"];
        args.extend_from_slice(keys);
        self.run(&args);
    }

    /// Types text literally (so `right` is five letters, not the arrow key).
    fn type_text(&self, text: &str) {
        self.run(&["send-keys", "-t", "t", "-l", text]);
    }

    /// Waits until the screen satisfies `ok`; panics with the last screen after a generous
    /// deadline (this checks behaviour, not speed).
    fn wait_for(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let screen = self.screen();
            if ok(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The status `echo FLEETDASH-EXIT=$?` printed, once its line is on screen (a line that
    /// starts with it: a typed command line that contains it does not count).
    fn exit_status(&self) -> String {
        let marker = "FLEETDASH-EXIT=";
        let screen = self.wait_for("fleetdash to exit", |s| {
            s.lines().any(|l| l.starts_with(marker))
        });
        let line = screen.lines().find(|l| l.starts_with(marker)).unwrap();
        line[marker.len()..].trim_end().to_string()
    }

    fn flag(&self, name: &str) -> String {
        self.run(&["display-message", "-p", "-t", "t", &format!("#{{{name}}}")])
            .trim()
            .to_string()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.run(&["kill-server"]);
    }
}

#[test]
fn dashboard_in_a_real_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let mut yaml = String::from("groups:\n  left: {}\n  right: {}\ndevices:\n");
    for i in 0..8 {
        let group = if i < 4 { "left" } else { "right" };
        let _ = writeln!(
            yaml,
            "  - {{name: node{i}, host: 127.23.0.{}, groups: [{group}]}}",
            i + 1
        );
    }
    let inventory = dir.path().join("inv.yaml");
    std::fs::write(&inventory, yaml).unwrap();
    let command = format!(
        "{} {} --interval 200ms; echo FLEETDASH-EXIT=$?; sleep 60",
        common::fleetdash_shell(),
        inventory.display()
    );
    let Some(tmux) = Tmux::start("dashboard", 120, 36, &command) else {
        return;
    };

    let screen = tmux.wait_for("all eight tiles up", |s| {
        s.contains("▲ 8 up") && s.contains("node7")
    });
    assert!(
        screen.contains("fleetdash") && screen.contains("node0"),
        "{screen}"
    );
    assert_eq!(
        tmux.flag("alternate_on"),
        "1",
        "the dashboard uses the alternate screen"
    );

    tmux.type_text("/right");
    let screen = tmux.wait_for("the filter to apply as typed", |s| {
        s.contains("/ right") && !s.contains("node0 ") && s.contains("node4")
    });
    assert!(
        screen.contains("node7") && !screen.contains("node3 "),
        "{screen}"
    );
    tmux.keys(&["Enter"]);
    tmux.wait_for("the filter to be kept", |s| {
        s.contains("1/4") && s.contains("filter: pattern right (4 devices) of 8")
    });

    tmux.keys(&["q"]);
    assert_eq!(tmux.exit_status(), "0");
    let screen = tmux.screen();
    assert!(
        !screen.contains("node7"),
        "the dashboard left the screen: {screen}"
    );
    assert_eq!(tmux.flag("alternate_on"), "0", "back on the main screen");
    assert_eq!(tmux.flag("cursor_flag"), "1", "cursor visible again");
    assert_eq!(tmux.flag("mouse_any_flag"), "0", "mouse released");
}

#[test]
fn a_panic_in_a_background_task_restores_the_terminal_and_ends_the_process() {
    let dir = tempfile::tempdir().unwrap();
    let inventory = dir.path().join("inv.yaml");
    std::fs::write(
        &inventory,
        "devices:\n  - {name: lonely, host: 127.23.1.1}\n",
    )
    .unwrap();
    let command = format!(
        "{} {} --panic-in-task-after 1s 2>{}; echo FLEETDASH-EXIT=$?; sleep 60",
        common::fleetdash_shell(),
        inventory.display(),
        dir.path().join("stderr").display(),
    );
    let Some(tmux) = Tmux::start("panic", 100, 30, &command) else {
        return;
    };
    tmux.wait_for("the dashboard", |s| s.contains("lonely"));
    assert_eq!(tmux.exit_status(), "101");
    assert_eq!(tmux.flag("alternate_on"), "0", "back on the main screen");
    assert_eq!(tmux.flag("cursor_flag"), "1", "cursor visible again");
    assert_eq!(tmux.flag("mouse_any_flag"), "0", "mouse released");
    let stderr = std::fs::read_to_string(dir.path().join("stderr")).unwrap();
    assert!(
        stderr.contains("deliberate panic"),
        "the panic is reported: {stderr}"
    );
}

#[test]
fn the_demo_opens_with_no_arguments() {
    let command = format!(
        "{}; echo FLEETDASH-EXIT=$?; sleep 60",
        common::fleetdash_shell()
    );
    let Some(tmux) = Tmux::start("demo", 150, 40, &command) else {
        return;
    };
    let screen = tmux.wait_for("the demo lab's 60 devices, all probed", |s| {
        s.contains("demo lab") && s.contains("? 0 unknown")
    });
    assert!(
        screen.contains("ams-core1") && screen.contains("1/60"),
        "{screen}"
    );
    tmux.keys(&["q"]);
    assert_eq!(tmux.exit_status(), "0");
}

#[test]
fn commands_on_marked_devices_of_the_demo_lab() {
    let state = tempfile::tempdir().unwrap();
    let command = format!(
        "XDG_STATE_HOME={} {} --journal {}; echo FLEETDASH-EXIT=$?; sleep 60",
        state.path().display(),
        common::fleetdash_shell(),
        state.path().join("audit.jsonl").display(),
    );
    let Some(tmux) = Tmux::start("commands", 150, 40, &command) else {
        return;
    };
    tmux.wait_for("the demo lab", |s| {
        s.contains("demo lab") && s.contains("ams-core1")
    });
    tmux.type_text("/ams-core");
    tmux.keys(&["Enter"]);
    tmux.wait_for("the filter", |s| s.contains("1/2"));
    tmux.type_text("a");
    tmux.wait_for("two marks", |s| s.contains("● 2 marked"));
    tmux.type_text(":show version");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("both answers", |s| s.contains("✓ 2 ok"));
    assert!(screen.contains("Arista"), "the answer is shown: {screen}");
    tmux.type_text("f");
    tmux.wait_for("the folded view", |s| s.contains("identical answers"));
    tmux.type_text("q");
    tmux.wait_for("the tiles again", |s| s.contains("● 2 marked"));
    tmux.type_text("q");
    assert_eq!(tmux.exit_status(), "0");
    let journal = std::fs::read_to_string(state.path().join("audit.jsonl")).unwrap();
    assert_eq!(
        journal.lines().count(),
        4,
        "a start and an end line per device: {journal}"
    );
    assert!(
        journal.contains("\"command\":\"show version\""),
        "{journal}"
    );
}

/// A rollout in the dashboard against a lab this test runs: it waits for the go, then after
/// the canary for approval (`pause: manual`); Enter approves each, the last wave completes, q quits, and the lab's
/// configuration and the report prove it happened.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollout_steered_from_the_dashboard() {
    let lab = common::lab(
        "name: tui\ndevices: 4\nsites: [t]\nroles:\n  - {role: sw, platform: cisco_ios, count: 4}\n",
    )
    .password("tui-Pw-5521")
    .start()
    .await;
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name);
    std::fs::write(path("inv.yaml"), lab.inventory_yaml()).unwrap();
    std::fs::write(path("known_hosts"), lab.known_hosts()).unwrap();
    std::fs::write(
        path("plan.yaml"),
        "name: banner\ntarget: all\nstrategy: {canary: 1}\nsteps:\n  - config: [banner motd ^ok^]\n\
         post_checks:\n  - {command: show running-config, contains: banner motd}\npause: manual\n",
    )
    .unwrap();
    let done = format!("✓ {} done", lab.devices().len());
    let command = format!(
        "cd {dir} && FLEETDASH_PASSWORD=tui-Pw-5521 XDG_STATE_HOME={dir} {bin} rollout plan.yaml \
         --inventory inv.yaml --known-hosts known_hosts --report report; echo FLEETDASH-EXIT=$?; sleep 60",
        dir = dir.path().display(),
        bin = common::fleetdash_shell(),
    );
    let tmux = tokio::task::spawn_blocking(move || {
        let tmux = Tmux::start("rollout", 140, 40, &command)?;
        // The dashboard asks before anything is changed.
        tmux.wait_for("the go to start", |s| {
            s.contains("rollout banner")
                && s.contains("✓ 0 done")
                && s.contains("waiting for approval")
        });
        tmux.keys(&["Enter"]);
        tmux.wait_for("the canary done, waiting", |s| {
            s.contains("rollout banner")
                && s.contains("✓ 1 done")
                && s.contains("waiting for approval")
        });
        tmux.keys(&["Enter"]);
        tmux.wait_for("the rollout completed", |s| {
            s.contains("completed") && s.contains(&done)
        });
        tmux.type_text("q");
        assert_eq!(tmux.exit_status(), "0");
        Some(tmux)
    })
    .await
    .unwrap();
    if tmux.is_none() {
        return;
    }
    for device in lab.devices() {
        let config = lab.config_text(&device.name).unwrap();
        assert!(config.contains("banner motd"), "{}: {config}", device.name);
    }
    let report = std::fs::read_to_string(path("report/report.md")).unwrap();
    assert!(report.contains("completed"), "{report}");
    lab.stop().await;
}

/// The demo, started through a shell that writes its pid first (then `exec`s, so the pid is
/// the dashboard's).
fn demo_with_pid(pidfile: &std::path::Path) -> String {
    format!(
        "sh -c 'echo $$ > {}; {}={} exec {}'",
        pidfile.display(),
        common::NO_SSH_CONFIG.0,
        common::NO_SSH_CONFIG.1,
        common::BIN
    )
}

fn pid_in(pidfile: &std::path::Path) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(pid) = std::fs::read_to_string(pidfile)
            && !pid.trim().is_empty()
        {
            return pid.trim().to_string();
        }
        assert!(Instant::now() < deadline, "no pid in {}", pidfile.display());
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn kill(signal: &str, pid: &str) {
    let status = Command::new("kill")
        .args(["-s", signal, pid])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -s {signal} {pid}");
}

/// What is wrong with the terminal's modes for a program that left it (empty: nothing).
fn not_restored(tmux: &Tmux) -> Vec<String> {
    [
        ("alternate_on", "0", "still on the alternate screen"),
        ("cursor_flag", "1", "cursor still hidden"),
        ("mouse_any_flag", "0", "mouse still tracked"),
    ]
    .into_iter()
    .filter(|(flag, want, _)| tmux.flag(flag) != *want)
    .map(|(_, _, problem)| problem.to_string())
    .collect()
}

fn assert_terminal_restored(tmux: &Tmux, after: &str) {
    let problems = not_restored(tmux);
    assert!(problems.is_empty(), "{after}: {problems:?}");
}

fn assert_terminal_taken(tmux: &Tmux, when: &str) {
    assert_eq!(tmux.flag("alternate_on"), "1", "{when}: alternate screen");
    assert_eq!(tmux.flag("cursor_flag"), "0", "{when}: cursor hidden");
    assert_eq!(tmux.flag("mouse_any_flag"), "1", "{when}: mouse tracked");
}

/// Each signal that ends a process restores the terminal first, and the exit status is the
/// conventional 128 + the signal's number. Every signal is tried before the verdict, so a
/// failure names all that are wrong.
#[test]
fn signals_restore_the_terminal_before_the_dashboard_exits() {
    let mut problems = Vec::new();
    for (signal, number) in [
        ("TERM", 15),
        ("HUP", 1),
        ("INT", 2),
        ("QUIT", 3),
        ("USR1", 10),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("pid");
        let command = format!(
            "{}; echo FLEETDASH-EXIT=$?; sleep 60",
            demo_with_pid(&pidfile)
        );
        let Some(tmux) = Tmux::start(&format!("sig{signal}"), 150, 40, &command) else {
            return;
        };
        tmux.wait_for("the demo lab", |s| {
            s.contains("demo lab") && s.contains("ams-core1")
        });
        assert_terminal_taken(&tmux, "running");
        kill(signal, &pid_in(&pidfile));
        let (status, expected) = (tmux.exit_status(), (128 + number).to_string());
        if status != expected {
            problems.push(format!("SIG{signal}: exit status {status}, not {expected}"));
        }
        for problem in not_restored(&tmux) {
            problems.push(format!("SIG{signal}: {problem}"));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

/// The dashboard is on screen again, whole, in raw mode (a key works without Enter), with
/// the mouse tracked.
fn assert_back(tmux: &Tmux, after: &str) {
    tmux.wait_for(&format!("the dashboard drawn again {after}"), |s| {
        s.contains("demo lab") && s.contains("ams-core1") && !s.contains("Stopped")
    });
    assert_terminal_taken(tmux, after);
    tmux.type_text("/ams-core");
    tmux.wait_for(&format!("the filter typed in raw mode {after}"), |s| {
        s.contains("/ ams-core")
    });
    tmux.keys(&["Escape", "Escape"]);
    tmux.wait_for("the filter gone", |s| !s.contains("/ ams-core"));
}

fn process_state(pid: &str) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let state = stat.rsplit(')').next()?.split_whitespace().next()?;
    Some(state.to_string())
}

/// SIGTSTP in an interactive shell: the terminal is given back and the process really
/// stops (the shell reports it); `fg` brings the dashboard back. A plain SIGSTOP cannot be
/// caught, but after it the shell owns the terminal: SIGCONT (from `fg`) takes it back too.
#[test]
fn sigtstp_suspends_and_fg_brings_the_dashboard_back() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("pid");
    let Some(tmux) = Tmux::start("tstp", 150, 40, "bash --norc --noprofile -i") else {
        return;
    };
    tmux.type_text(&demo_with_pid(&pidfile));
    tmux.keys(&["Enter"]);
    tmux.wait_for("the demo lab", |s| {
        s.contains("demo lab") && s.contains("ams-core1")
    });
    assert_terminal_taken(&tmux, "running");
    let pid = pid_in(&pidfile);

    for (signal, restores) in [("TSTP", true), ("STOP", false), ("TSTP", true)] {
        kill(signal, &pid);
        tmux.wait_for("the shell to report the stop", |s| s.contains("Stopped"));
        assert_eq!(
            process_state(&pid).as_deref(),
            Some("T"),
            "SIG{signal}: stopped"
        );
        if restores {
            assert_terminal_restored(&tmux, &format!("SIG{signal}"));
        }
        tmux.type_text("clear; fg");
        tmux.keys(&["Enter"]);
        assert_back(&tmux, &format!("after SIG{signal} and fg"));
    }
    // Ctrl-Z as a key (raw mode sends it instead of SIGTSTP) stops it the same way.
    tmux.keys(&["C-z"]);
    tmux.wait_for("the shell to report the stop", |s| s.contains("Stopped"));
    assert_eq!(process_state(&pid).as_deref(), Some("T"), "Ctrl-Z: stopped");
    assert_terminal_restored(&tmux, "Ctrl-Z");
    tmux.type_text("clear; fg");
    tmux.keys(&["Enter"]);
    assert_back(&tmux, "after Ctrl-Z and fg");
    tmux.type_text("q");
    tmux.wait_for("the shell prompt", |s| !s.contains("ams-core1"));
    tmux.type_text("echo FLEETDASH-EXIT=$?");
    tmux.keys(&["Enter"]);
    assert_eq!(tmux.exit_status(), "0");
    assert_terminal_restored(&tmux, "quit after fg");
}

/// While the dashboard runs, diagnostics go to the log file only: a session that fails
/// auth is logged with its stage and reason, sweeps at debug, and stderr stays empty.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_logs_to_its_file_and_never_to_the_terminal() {
    let lab = common::lab(
        "name: log\nsites: [g]\nroles:\n  - {role: ios, platform: cisco_ios, count: 2}\n\
         faults:\n  - devices: [g-ios2]\n    auth_failure: true\n",
    )
    .devices(2)
    .start()
    .await;
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name);
    std::fs::write(path("inv.yaml"), lab.inventory_yaml()).unwrap();
    let command = format!(
        "cd {dir} && FLEETDASH_PASSWORD=admin XDG_STATE_HOME={dir} {bin} inv.yaml \
         --interval 200ms -vv --log-file app.log 2>stderr.txt; \
         echo FLEETDASH-EXIT=$?; sleep 60",
        dir = dir.path().display(),
        bin = common::fleetdash_shell(),
    );
    let tmux = tokio::task::spawn_blocking(move || {
        let tmux = Tmux::start("logging", 120, 30, &command)?;
        tmux.wait_for("both tiles up", |s| s.contains("▲ 2 up"));
        tmux.type_text("a");
        tmux.type_text(":show clock");
        tmux.keys(&["Enter"]);
        tmux.wait_for("one answer, one failure", |s| {
            s.contains("✓ 1 ok") && s.contains("✗ 1 failed")
        });
        tmux.type_text("q");
        tmux.type_text("q");
        assert_eq!(tmux.exit_status(), "0");
        Some(tmux)
    })
    .await
    .unwrap();
    if tmux.is_none() {
        return;
    }
    let log = std::fs::read_to_string(path("app.log")).unwrap();
    let failed = log.lines().find(|l| l.contains("session failed"));
    assert!(
        failed.is_some_and(|l| l.contains("g-ios2") && l.contains(r#"stage="auth""#)),
        "{log}"
    );
    assert!(log.contains("sweep done"), "sweeps at debug: {log}");
    assert_eq!(std::fs::read_to_string(path("stderr.txt")).unwrap(), "");
    lab.stop().await;
}

/// `fleetdash replay` in a real terminal: the recording's first moments, `n` to the first
/// outage, `>` to the end, `q` quits with status 0 and the terminal given back.
#[test]
fn replay_in_a_real_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("window.jsonl");
    let start = r#"{"v":1,"at":"2026-12-02T03:00:00.000Z","kind":"start","front_end":"dashboard","source":"lab.yaml","down_after":2,"up_after":1,"flap_window_ms":300000,"flap_count":3,"devices":[{"name":"r1","host":"127.20.0.1"},{"name":"r2","host":"127.20.0.2"}]}"#;
    let lines = [
        start,
        r#"{"v":1,"at":"2026-12-02T03:00:01Z","kind":"transition","device":"r1","from":"unknown","to":"up","why":"reply in 210µs","rtt_us":210,"flaps":0}"#,
        r#"{"v":1,"at":"2026-12-02T03:00:01Z","kind":"transition","device":"r2","from":"unknown","to":"up","why":"reply in 220µs","rtt_us":220,"flaps":0}"#,
        r#"{"v":1,"at":"2026-12-02T03:01:00Z","kind":"transition","device":"r2","from":"up","to":"down","why":"2 lost (no reply)","flaps":1}"#,
        r#"{"v":1,"at":"2026-12-02T03:03:00Z","kind":"transition","device":"r2","from":"down","to":"up","why":"reply in 250µs","rtt_us":250,"flaps":2}"#,
        "this line is garbage",
        r#"{"v":1,"at":"2026-12-02T03:04:00Z","kind":"end","dropped":0}"#,
    ];
    std::fs::write(&path, lines.join("\n")).unwrap();
    let command = format!(
        "{} replay {} --utc; echo FLEETDASH-EXIT=$?; sleep 60",
        common::fleetdash_shell(),
        path.display()
    );
    let Some(tmux) = Tmux::start("replay", 120, 30, &command) else {
        return;
    };
    tmux.wait_for("the replay at its start", |s| {
        s.contains("REPLAY")
            && s.contains("03:00:00 (+0s of 4m00s)")
            && s.contains("1 lines skipped")
    });
    tmux.type_text("n");
    let down = tmux.wait_for("the first outage", |s| s.contains("▼ 1 down"));
    assert!(down.contains("r2 up → down: 2 lost (no reply)"), "{down}");
    tmux.type_text(">");
    tmux.wait_for("the end", |s| {
        s.contains("▼ 0 down") && s.contains("record 5/5")
    });
    tmux.type_text("q");
    assert_eq!(tmux.exit_status(), "0");
    let after = tmux.screen();
    assert!(
        after.contains("window.jsonl:6: not JSON (skipped)"),
        "{after}"
    );
    assert_eq!(tmux.flag("alternate_on"), "0");
    assert_eq!(tmux.flag("cursor_flag"), "1");
}
