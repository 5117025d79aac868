//! The exec engine against a deterministic fake connector (tokio's clock paused): per-device
//! serialisation, the global limit, retries only before send, the circuit breaker, cancel,
//! reconnects, polling, the audit journal and secret masking.

mod common;
#[path = "exec/fake.rs"]
mod fake;

use std::sync::Arc;
use std::time::Duration;

use fake::{Fake, err};
use fleetdash::exec::{ExecConfig, Journal, PollSpec, Secrets, spawn_exec};
use fleetdash::fleet::{Command, Event, ExecError, ExecEvent, Link, Output, RunId, Stage};
use fleetdash::inventory::Inventory;
use tokio::sync::mpsc;

fn inventory(n: usize, password_env: Option<&str>) -> Arc<Inventory> {
    let mut yaml = String::from("defaults:\n  platform: linux\n  username: netops\n");
    if let Some(var) = password_env {
        yaml.push_str(&format!("  password_env: {var}\n"));
    }
    yaml.push_str("devices:\n");
    for i in 1..=n {
        yaml.push_str(&format!("  - name: d{i}\n    host: 127.20.0.{i}\n"));
    }
    Arc::new(Inventory::from_yaml(&yaml, "<test>").expect("test inventory"))
}

struct Harness {
    commands: mpsc::Sender<Command>,
    events: mpsc::Receiver<Event>,
    _handle: fleetdash::exec::ExecHandle,
}

fn start(inv: Arc<Inventory>, cfg: ExecConfig, fake: &Fake) -> Harness {
    let (commands, rx) = mpsc::channel(64);
    let (tx, events) = mpsc::channel(1024);
    let handle = spawn_exec(inv, cfg, fake.clone(), rx, tx);
    Harness {
        commands,
        events,
        _handle: handle,
    }
}

/// What happened to each device of one run.
#[derive(Debug, Default)]
struct Seen {
    events: Vec<ExecEvent>,
}

impl Seen {
    fn results(&self, run: RunId) -> Vec<(usize, Result<Output, ExecError>)> {
        let mut out: Vec<_> = self
            .events
            .iter()
            .filter_map(|e| match e {
                ExecEvent::Finished {
                    run: r,
                    device,
                    result,
                    ..
                } if *r == run => Some((*device, result.clone())),
                _ => None,
            })
            .collect();
        out.sort_by_key(|(d, _)| *d);
        out
    }

    fn links(&self, device: usize) -> Vec<Link> {
        self.events
            .iter()
            .filter_map(|e| match e {
                ExecEvent::Link { device: d, link } if *d == device => Some(link.clone()),
                _ => None,
            })
            .collect()
    }
}

impl Harness {
    async fn run(&self, run: RunId, devices: Vec<usize>, command: &str) {
        let command = command.to_string();
        self.commands
            .send(Command::Run {
                run,
                devices,
                command,
            })
            .await
            .unwrap();
    }

    /// Collects exec events until `n` jobs of `run` have finished.
    async fn until_finished(&mut self, run: RunId, n: usize, seen: &mut Seen) {
        let mut done = 0;
        while done < n {
            let Some(Event::Exec(event)) = self.events.recv().await else {
                panic!("event stream ended early");
            };
            if matches!(event, ExecEvent::Finished { run: r, .. } if r == run) {
                done += 1;
            }
            seen.events.push(event);
        }
    }
}

fn quick() -> ExecConfig {
    ExecConfig {
        backoff_base: Duration::from_millis(100),
        ..ExecConfig::default()
    }
}

#[tokio::test(start_paused = true)]
async fn one_command_at_a_time_per_device_and_sessions_reused() {
    let fake = Fake {
        delay: Duration::from_millis(50),
        ..Fake::default()
    };
    let mut h = start(inventory(3, None), quick(), &fake);
    // Five runs over the same devices, all queued at once.
    for run in 1..=5 {
        h.run(run, vec![0, 1, 2], &format!("cmd{run}")).await;
    }
    let mut seen = Seen::default();
    for run in 1..=5 {
        h.until_finished(run, 3, &mut seen).await;
    }
    for run in 1..=5 {
        assert!(seen.results(run).iter().all(|(_, r)| r.is_ok()));
    }
    let r = fake.record.lock().unwrap();
    assert_eq!(
        r.max_in_flight_device, 1,
        "two commands at once on a device"
    );
    assert_eq!(r.max_global, 3, "devices should work in parallel");
    assert_eq!(r.max_open_sessions, 1);
    // Per device, the commands arrive in the order the runs were asked for.
    let d1: Vec<&str> = r
        .sent
        .iter()
        .filter(|(d, _)| d == "d1")
        .map(|(_, c)| c.as_str())
        .collect();
    assert_eq!(d1, ["cmd1", "cmd2", "cmd3", "cmd4", "cmd5"]);
    drop(r);
    assert_eq!(fake.connects("d1"), 1, "the session is reused");
}

#[tokio::test(start_paused = true)]
async fn global_concurrency_limit_holds() {
    let fake = Fake {
        delay: Duration::from_millis(20),
        ..Fake::default()
    };
    let cfg = ExecConfig {
        concurrency: 7,
        ..quick()
    };
    let mut h = start(inventory(50, None), cfg, &fake);
    h.run(1, (0..50).collect(), "show version").await;
    let mut seen = Seen::default();
    h.until_finished(1, 50, &mut seen).await;
    assert_eq!(seen.results(1).len(), 50);
    assert_eq!(fake.record.lock().unwrap().max_global, 7);
}

#[tokio::test(start_paused = true)]
async fn retries_only_what_was_not_sent() {
    let fake = Fake::default();
    // d1: two refused connects, then fine → retried, succeeds.
    fake.script("d1", |s| {
        s.connect_errors
            .push_back(err(Stage::Connect, false, "refused"));
        s.connect_errors
            .push_back(err(Stage::Handshake, false, "reset"));
    });
    // d2: the command may have run → never re-sent.
    fake.script("d2", |s| {
        s.run_errors.push_back(err(Stage::Command, true, "dropped"))
    });
    // d3: the channel failed before sending → retried on a new session.
    fake.script("d3", |s| {
        s.run_errors
            .push_back(err(Stage::Channel, false, "no channel"))
    });
    // d4: auth failure → retrying cannot help.
    fake.script("d4", |s| {
        s.connect_errors
            .push_back(err(Stage::Auth, false, "denied"))
    });
    // d5: fails more often than retries allow.
    fake.script("d5", |s| {
        for _ in 0..5 {
            s.connect_errors
                .push_back(err(Stage::Connect, false, "refused"));
        }
    });
    let mut h = start(inventory(5, None), quick(), &fake);
    h.run(1, vec![0, 1, 2, 3, 4], "reload").await;
    let mut seen = Seen::default();
    h.until_finished(1, 5, &mut seen).await;
    let results = seen.results(1);

    assert!(results[0].1.is_ok());
    assert_eq!(fake.connects("d1"), 3);
    assert_eq!(results[1].1.as_ref().unwrap_err().stage, Stage::Command);
    assert_eq!(
        fake.sent_to("d2"),
        1,
        "a command that may have run was re-sent"
    );
    assert!(results[2].1.is_ok());
    assert_eq!(fake.sent_to("d3"), 2);
    assert_eq!(results[3].1.as_ref().unwrap_err().stage, Stage::Auth);
    assert_eq!(fake.connects("d4"), 1);
    assert_eq!(results[4].1.as_ref().unwrap_err().stage, Stage::Connect);
    assert_eq!(fake.connects("d5"), 3, "1 attempt + 2 retries");
}

/// A host key learned by a connect that failed later reaches the log once, though the retry
/// that succeeds does not learn it again (before: it was only in the failed attempt's
/// reason, which the retry replaced).
#[tokio::test(start_paused = true)]
async fn a_key_learned_by_a_failed_connect_is_told_once_across_retries() {
    let fake = Fake::default();
    let learned = "learned the host key of d1 (ssh-ed25519 SHA256:abc)";
    fake.script("d1", |s| {
        s.connect_errors
            .push_back(err(Stage::Channel, false, "no channel"));
        s.connect_errors
            .push_back(err(Stage::Connect, false, "refused"));
        s.learned_on_failure = Some(learned.into());
    });
    let mut h = start(inventory(1, None), quick(), &fake);
    h.run(1, vec![0], "uptime").await;
    let mut notices = Vec::new();
    loop {
        match h.events.recv().await.expect("events") {
            Event::Notice { text, .. } => notices.push(text),
            Event::Exec(ExecEvent::Finished { result, .. }) => {
                assert!(result.is_ok(), "{result:?}");
                break;
            }
            _ => {}
        }
    }
    assert_eq!(fake.connects("d1"), 3);
    assert_eq!(notices, vec![learned.to_string()]);
}

#[tokio::test(start_paused = true)]
async fn breaker_opens_after_n_failures_and_recovers_after_cooldown() {
    let fake = Fake::default();
    fake.script("d1", |s| {
        for _ in 0..4 {
            s.connect_errors
                .push_back(err(Stage::Connect, false, "refused"));
        }
    });
    let cfg = ExecConfig {
        retries: 0,
        breaker_failures: 3,
        breaker_cooldown: Duration::from_secs(30),
        ..quick()
    };
    let mut h = start(inventory(1, None), cfg, &fake);
    let mut seen = Seen::default();
    for run in 1..=3 {
        h.run(run, vec![0], "show clock").await;
        h.until_finished(run, 1, &mut seen).await;
    }
    assert!(matches!(
        seen.links(0).last(),
        Some(Link::CircuitOpen { .. })
    ));

    // Open: refused at once, nothing tried.
    h.run(4, vec![0], "show clock").await;
    h.until_finished(4, 1, &mut seen).await;
    assert_eq!(
        seen.results(4)[0].1.as_ref().unwrap_err().stage,
        Stage::CircuitOpen
    );
    assert_eq!(fake.connects("d1"), 3);

    // After the cool-down: one trial, which fails → open again at once.
    tokio::time::advance(Duration::from_secs(30)).await;
    h.run(5, vec![0], "show clock").await;
    h.until_finished(5, 1, &mut seen).await;
    assert_eq!(fake.connects("d1"), 4);
    let links = seen.links(0);
    let n = links.len();
    assert_eq!(links[n - 4], Link::HalfOpen);
    assert!(matches!(links[n - 1], Link::CircuitOpen { .. }));

    // Next cool-down: the trial succeeds and the breaker closes.
    tokio::time::advance(Duration::from_secs(30)).await;
    h.run(6, vec![0], "show clock").await;
    h.until_finished(6, 1, &mut seen).await;
    assert!(seen.results(6)[0].1.is_ok());
    let links = seen.links(0);
    assert_eq!(
        links[links.len() - 3..],
        [Link::HalfOpen, Link::Connecting, Link::Connected]
    );
    h.run(7, vec![0], "show clock").await;
    h.until_finished(7, 1, &mut seen).await;
    assert!(seen.results(7)[0].1.is_ok());
}

#[tokio::test(start_paused = true)]
async fn cancel_stops_what_has_not_started() {
    let fake = Fake {
        delay: Duration::from_secs(1),
        ..Fake::default()
    };
    let cfg = ExecConfig {
        concurrency: 2,
        ..quick()
    };
    let mut h = start(inventory(10, None), cfg, &fake);
    h.run(1, (0..10).collect(), "write memory").await;
    let mut seen = Seen::default();
    // Wait until the first two are sent, then cancel.
    let mut started = 0;
    while started < 2 {
        let Some(Event::Exec(e)) = h.events.recv().await else {
            panic!()
        };
        started += usize::from(matches!(e, ExecEvent::Started { .. }));
        seen.events.push(e);
    }
    h.commands.send(Command::Cancel { run: 1 }).await.unwrap();
    h.until_finished(1, 10, &mut seen).await;
    let results = seen.results(1);
    let ok = results.iter().filter(|(_, r)| r.is_ok()).count();
    let cancelled = results
        .iter()
        .filter(|(_, r)| matches!(r, Err(e) if e.stage == Stage::Cancelled))
        .count();
    assert_eq!(
        (ok, cancelled),
        (2, 8),
        "in flight finish, the rest are cancelled"
    );
    assert_eq!(fake.record.lock().unwrap().sent.len(), 2);

    // Cancelling one run leaves the next alone.
    h.run(2, vec![0, 1], "show clock").await;
    h.until_finished(2, 2, &mut seen).await;
    assert!(seen.results(2).iter().all(|(_, r)| r.is_ok()));
}

#[tokio::test(start_paused = true)]
async fn a_dropped_session_is_reopened() {
    let fake = Fake::default();
    fake.script("d1", |s| s.close_after = Some(1));
    let mut h = start(inventory(1, None), quick(), &fake);
    let mut seen = Seen::default();
    h.run(1, vec![0], "a").await;
    h.until_finished(1, 1, &mut seen).await;
    h.run(2, vec![0], "b").await;
    h.until_finished(2, 1, &mut seen).await;
    assert!(seen.results(2)[0].1.is_ok());
    assert_eq!(fake.connects("d1"), 2);
    assert_eq!(
        seen.links(0),
        [
            Link::Connecting,
            Link::Connected,
            Link::Idle,
            Link::Connecting,
            Link::Connected
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn command_timeout_is_not_retried() {
    let fake = Fake {
        delay: Duration::from_secs(60),
        ..Fake::default()
    };
    let cfg = ExecConfig {
        command_timeout: Duration::from_secs(5),
        ..quick()
    };
    let mut h = start(inventory(1, None), cfg, &fake);
    let mut seen = Seen::default();
    h.run(1, vec![0], "show tech").await;
    h.until_finished(1, 1, &mut seen).await;
    let e = seen.results(1)[0].1.clone().unwrap_err();
    assert_eq!((e.stage, e.maybe_ran), (Stage::Command, true));
    assert_eq!(fake.sent_to("d1"), 1);
}

fn parse_version(text: &str) -> Vec<(String, String)> {
    vec![("version".into(), text.lines().next().unwrap_or("").into())]
}

#[tokio::test(start_paused = true)]
async fn polls_report_facts_and_never_overlap_commands() {
    let fake = Fake {
        delay: Duration::from_millis(100),
        polls: vec![PollSpec {
            command: "show version".into(),
            parse: parse_version,
        }],
        ..Fake::default()
    };
    let cfg = ExecConfig {
        poll_interval: Some(Duration::from_secs(10)),
        ..quick()
    };
    let mut h = start(inventory(2, None), cfg, &fake);
    let mut seen = Seen::default();
    for run in 1..=3 {
        h.run(run, vec![0, 1], "show clock").await;
    }
    let mut facts = 0;
    while facts < 6 {
        let Some(Event::Exec(e)) = h.events.recv().await else {
            panic!()
        };
        if let ExecEvent::Facts { facts: f, .. } = &e {
            assert_eq!(f[0].0, "version");
            assert!(f[0].1.starts_with("show version on d"));
            facts += 1;
        }
        seen.events.push(e);
    }
    let r = fake.record.lock().unwrap();
    assert_eq!(r.max_in_flight_device, 1);
    assert_eq!(r.sent.iter().filter(|(_, c)| c == "show clock").count(), 6);
}

#[tokio::test(start_paused = true)]
async fn failing_polls_back_off() {
    let fake = Fake {
        polls: vec![PollSpec {
            command: "show version".into(),
            parse: parse_version,
        }],
        ..Fake::default()
    };
    fake.script("d1", |s| {
        for _ in 0..100 {
            s.connect_errors
                .push_back(err(Stage::Connect, false, "refused"));
        }
    });
    let cfg = ExecConfig {
        poll_interval: Some(Duration::from_secs(10)),
        breaker_failures: 1000,
        ..quick()
    };
    let _h = start(inventory(1, None), cfg, &fake);
    // Polls every 10 s would be ~60 connects in 10 minutes; with doubling waits (20, 40, 80,
    // 160 s…) only a handful.
    for _ in 0..600 {
        tokio::time::advance(Duration::from_secs(1)).await;
        tokio::task::yield_now().await;
    }
    let connects = fake.connects("d1");
    assert!((3..=8).contains(&connects), "{connects} connects");
}

#[tokio::test(start_paused = true)]
async fn journal_records_before_and_after_and_never_a_secret() {
    let var = "FLEETDASH_TEST_EXEC_PW";
    let secret = "Tr0ub4dor&3";
    let inv = inventory(2, Some(var));
    let secrets = secrets(&inv, var, secret);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state/fleetdash/audit.jsonl");
    let journal = Journal::open(&path, secrets.clone()).unwrap();
    let fake = Fake {
        delay: Duration::from_secs(2),
        // A device echoing the password back (e.g. a misbehaving prompt).
        echo: Some(format!("Password: {secret}\n")),
        ..Fake::default()
    };
    fake.script("d2", |s| {
        s.run_errors.push_back(err(
            Stage::Command,
            true,
            &format!("auth {secret} rejected"),
        ))
    });
    let cfg = ExecConfig {
        journal: Some(Arc::new(journal)),
        secrets: Some(secrets),
        ..quick()
    };
    let mut h = start(inv, cfg, &fake);
    h.run(7, vec![0, 1], &format!("enable secret {secret}"))
        .await;

    // While the commands are in flight, their start lines are already on disk.
    let mut started = 0;
    let mut seen = Seen::default();
    while started < 2 {
        let Some(Event::Exec(e)) = h.events.recv().await else {
            panic!()
        };
        started += usize::from(matches!(e, ExecEvent::Started { .. }));
        seen.events.push(e);
    }
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert!(lines.iter().all(|l| l["phase"] == "start" && l["run"] == 7));

    h.until_finished(7, 2, &mut seen).await;
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains(secret), "secret in the journal:\n{text}");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    let end1 = lines
        .iter()
        .find(|l| l["phase"] == "end" && l["device"] == "d1")
        .unwrap();
    assert_eq!(end1["outcome"], "ok");
    assert_eq!(end1["host"], "127.20.0.1");
    assert_eq!(end1["command"], "enable secret ***");
    assert_eq!(end1["output"], "enable secret *** on d1\nPassword: ***\n");
    assert_eq!(end1["duration_ms"], 2000);
    assert!(end1["ts"].as_str().unwrap().ends_with('Z'));
    let end2 = lines
        .iter()
        .find(|l| l["phase"] == "end" && l["device"] == "d2")
        .unwrap();
    assert_eq!(end2["outcome"], "error");
    assert_eq!(end2["stage"], "command");
    assert_eq!(end2["error"], "auth *** rejected");

    // Nor on screen: the events the front ends print are masked too.
    let shown = format!("{:?}", seen.events);
    assert!(!shown.contains(secret), "secret in events: {shown}");
}

/// The secrets of `inv` when the variable `var` holds `value`: handed to the engine, so no
/// test sets a process-wide variable.
fn secrets(inv: &Inventory, var: &str, value: &str) -> Secrets {
    Secrets::from_inventory_with(inv, |name| (name == var).then(|| value.to_string()))
}

#[path = "exec/lab.rs"]
mod lab;

#[tokio::test(start_paused = true)]
async fn a_password_that_masks_ordinary_words_is_warned_about_first() {
    let var = "FLEETDASH_TEST_EXEC_USER_PW";
    // The user name of every device in `inventory` is `netops`.
    let inv = inventory(1, Some(var));
    let cfg = ExecConfig {
        secrets: Some(secrets(&inv, var, "netops")),
        ..quick()
    };
    let mut h = start(inv, cfg, &Fake::default());
    let Some(Event::Notice { text, .. }) = h.events.recv().await else {
        panic!("the warning comes first");
    };
    assert!(text.contains("same as the user name"), "{text}");
    assert!(text.contains(var) && !text.contains("netops"), "{text}");
}
