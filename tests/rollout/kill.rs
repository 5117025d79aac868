//! The `fleetdash rollout` binary as a child process against the in-process lab: files it
//! needs, a change applied by hand, and the `kill -9` + `--resume` test.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use fleetdash::rollout::journal::{Resume, plan_hash, replay};
use fleetdash::ssh::Session;

use super::harness::{SLOW_LAB, Setup, setup};

/// Plan, inventory, journal and report paths for the binary.
pub struct Files {
    pub plan: PathBuf,
    pub inventory: PathBuf,
    pub known_hosts: PathBuf,
    pub journal: PathBuf,
    pub report: PathBuf,
    password: String,
}

impl Files {
    pub fn new(s: &Setup, plan_yaml: &str) -> Files {
        let dir = s.dir.path();
        let files = Files {
            plan: dir.join("plan.yaml"),
            inventory: dir.join("inventory.yaml"),
            known_hosts: s.known_hosts.clone(),
            journal: dir.join("bin.jsonl"),
            report: dir.join("bin-report"),
            password: s.password.clone(),
        };
        std::fs::write(&files.plan, plan_yaml).unwrap();
        std::fs::write(&files.inventory, s.lab.inventory_yaml()).unwrap();
        files
    }

    /// `fleetdash rollout PLAN --inventory INV …` plus `extra`, with the lab password.
    pub fn command(&self, extra: &[&str]) -> Command {
        let mut cmd = crate::common::fleetdash();
        cmd.arg("rollout")
            .arg(&self.plan)
            .arg("--inventory")
            .arg(&self.inventory)
            .arg("--known-hosts")
            .arg(&self.known_hosts)
            .args(["--host-keys", "strict", "--timeout", "5s", "--report"])
            .arg(&self.report)
            .args(extra)
            .env("FLEETDASH_PASSWORD", &self.password)
            .stdin(Stdio::null());
        cmd
    }
}

/// Runs the binary to its end off the runtime's thread (the lab serves on it meanwhile).
pub async fn output(mut cmd: Command) -> std::process::Output {
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

/// Applies `line` in config mode on `name`, as an operator would by hand.
pub async fn configure_by_hand(s: &Setup, name: &str, line: &str) {
    let device = s.inventory.devices.iter().find(|d| d.name == name).unwrap();
    let mut session = Session::connect(device, &s.opts).await.unwrap();
    let out = session.configure(&[line.to_string()], false).await.unwrap();
    assert!(out.ok(), "{out:?}");
    session.close().await;
}

const SLOW_PLAN: &str = r#"
name: ntp (slow)
target: all
strategy:
  canary: 1
  serial: 3
pre_checks:
  - name: no ntp yet
    command: show running-config
    not_contains: "ntp server 127.0.0.123"
steps:
  - config: ["ntp server 127.0.0.123", "ntp server 127.0.0.124"]
    save: true
post_checks:
  - name: ntp configured
    command: show running-config
    contains: "ntp server 127.0.0.124"
# Carry on whatever happens: the test is about what runs, not about stopping.
max_fail:
  overall: "100%"
"#;

fn apply_begins(journal: &std::path::Path) -> usize {
    std::fs::read_to_string(journal)
        .unwrap_or_default()
        .lines()
        .filter(|l| {
            l.contains("\"kind\":\"stage\"")
                && l.contains("\"stage\":\"apply\"")
                && l.contains("\"edge\":\"begin\"")
        })
        .count()
}

pub async fn kill_and_resume() {
    let s = setup(SLOW_LAB).await;
    let f = Files::new(&s, SLOW_PLAN);
    let journal = f.journal.to_str().unwrap().to_string();
    let mut child = f
        .command(&[
            "--headless",
            "--yes",
            "--concurrency",
            "3",
            "--journal",
            &journal,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The canary's apply, then wave 2's devices start applying: kill in the middle of it.
    let waited = tokio::time::timeout(Duration::from_secs(60), async {
        while apply_begins(&f.journal) < 2 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    child.kill().unwrap(); // SIGKILL: no cleanup, no flush beyond what was written
    child.wait().unwrap();
    assert!(waited.is_ok(), "wave 2 never started applying");

    let before = replay(&f.journal, "ntp (slow)", &plan_hash(SLOW_PLAN)).unwrap();
    let names: Vec<String> = s.lab.devices().iter().map(|d| d.name.clone()).collect();
    let unknown: Vec<&String> = names
        .iter()
        .filter(|n| before.resume(n) == Resume::Unknown)
        .collect();
    assert!(
        !unknown.is_empty(),
        "killed outside an apply: {:?}",
        before.devices
    );
    assert!(
        matches!(before.resume("s-sw1"), Resume::Final(..)),
        "{}",
        std::fs::read_to_string(&f.journal).unwrap()
    );

    let changes = |name: &str| -> Vec<u64> {
        CHANGES
            .iter()
            .map(|l| s.lab.command_count(name, l))
            .collect()
    };
    let touched: Vec<(String, usize, Vec<u64>)> = names
        .iter()
        .map(|n| (n.clone(), s.lab.commands(n).len(), changes(n)))
        .collect();

    let out = output(f.command(&["--headless", "--yes", "--json", "--resume", &journal])).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let events: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // A device caught between its two config lines fails its verification (only the first
    // landed): the rollout completes, but its exit status says not every device is done.
    let failed = events
        .iter()
        .filter(|e| e["event"] == "device" && e["state"] == "failed")
        .count();
    let expected = if failed == 0 { 0 } else { 1 };
    assert_eq!(out.status.code(), Some(expected), "{stdout}\n{stderr}");
    if failed > 0 {
        let counts = format!("{} of 6 device(s) done: {failed} failed", 6 - failed);
        assert!(stderr.contains(&counts), "{stderr}");
    }
    // The lab's records prove it: no change step ran twice on any device.
    for (name, commands_before, changes_before) in &touched {
        for (line, n) in CHANGES.iter().zip(changes(name)) {
            assert!(n <= 1, "{name}: `{line}` ran {n} times");
        }
        match before.resume(name) {
            // Finished before the kill: not a single command since.
            Resume::Final(..) => assert_eq!(s.lab.commands(name).len(), *commands_before),
            // Caught mid-apply: verified (show commands) but never changed again.
            Resume::Unknown => {
                assert_eq!(&changes(name), changes_before, "{name} was re-applied");
                let said = events.iter().any(|e| {
                    e["event"] == "device"
                        && e["device"] == name.as_str()
                        && e["state"] == "unknown"
                });
                assert!(said, "{name} not reported unknown:\n{stdout}");
            }
            // Not started before the kill: changed exactly once now.
            Resume::Fresh | Resume::Applied => {
                assert_eq!(changes(name), vec![1; CHANGES.len()], "{name}");
            }
        }
    }
    let report = std::fs::read_to_string(f.report.join("report.json")).unwrap();
    let report: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(report["state"], "completed");
}

/// The lines the plan's step sends (config mode entry, both lines, save).
const CHANGES: [&str; 4] = [
    "configure terminal",
    "ntp server 127.0.0.123",
    "ntp server 127.0.0.124",
    "write memory",
];

/// [`SLOW_PLAN`] with a pause between waves.
fn paused_plan() -> String {
    format!("{SLOW_PLAN}pause: 1s\n")
}

/// Kills a headless run of `plan_yaml` (journal at `journal`) once wave 2 started applying:
/// the canary finished, some of wave 2 caught mid-apply.
async fn interrupted(f: &Files, journal: &std::path::Path) {
    let journal = journal.to_str().unwrap();
    let mut child = f
        .command(&[
            "--headless",
            "--yes",
            "--concurrency",
            "3",
            "--journal",
            journal,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let waited = tokio::time::timeout(Duration::from_secs(60), async {
        while apply_begins(std::path::Path::new(journal)) < 2 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(waited.is_ok(), "wave 2 never started applying");
}

/// Resumed in the dashboard's way (waiting for the go), the screen shows the journal's
/// truth before anything runs: the finished canary wave is complete (not waiting for
/// approval), a device caught mid-apply is unknown (not pending), and the canary's pause
/// does not run again.
pub async fn resume_shows_the_journal() {
    use fleetdash::rollout::event::RolloutState;
    use fleetdash::rollout::report::{DeviceState, RunState};

    let s = setup(SLOW_LAB).await;
    let yaml = paused_plan();
    let f = Files::new(&s, &yaml);
    let journal = s.dir.path().join("rollout.jsonl");
    interrupted(&f, &journal).await;
    let before = replay(&journal, "ntp (slow)", &plan_hash(&yaml)).unwrap();
    let unknown: Vec<usize> = (s.inventory.devices.iter().enumerate())
        .filter(|(_, d)| before.resume(&d.name) == Resume::Unknown)
        .map(|(i, _)| i)
        .collect();
    assert!(!unknown.is_empty(), "killed outside an apply");

    let mut run = super::harness::start_with(&s, &yaml, 3, Some(before), None, true);
    run.until_waiting_to_start().await;
    let mut screen = RolloutState::new(s.inventory.devices.len());
    run.seen.iter().for_each(|e| screen.apply(e));
    let waves: Vec<RunState> = screen.waves.iter().map(|w| w.state).collect();
    assert_eq!(
        waves[0],
        RunState::Completed,
        "the finished canary: {waves:?}"
    );
    assert_eq!(waves[1], RunState::WaitingApproval, "{waves:?}");
    for &d in &unknown {
        let view = screen.device(d).unwrap();
        assert_eq!(
            view.state,
            DeviceState::Unknown,
            "{}",
            s.inventory.devices[d].name
        );
    }
    let said = screen
        .log
        .iter()
        .map(|(_, l)| l.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(said.contains("carry on with wave 2"), "{said}");

    run.control
        .send(fleetdash::rollout::event::Control::Approve)
        .await
        .unwrap();
    let (finished, seen) = run.finish().await;
    let mut screen = RolloutState::new(s.inventory.devices.len());
    seen.iter().for_each(|e| screen.apply(e));
    let said = screen
        .log
        .iter()
        .map(|(_, l)| l.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        !said.contains("wave 2 starts in"),
        "the canary's pause ran again:\n{said}"
    );
    assert!(
        said.contains("wave 3 starts in"),
        "wave 2's own pause:\n{said}"
    );
    assert!(
        finished
            .devices
            .iter()
            .all(|d| d.state != DeviceState::Pending)
    );
}
