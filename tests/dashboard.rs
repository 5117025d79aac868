//! The whole dashboard in-process: the real app loop (`ui::drive`) over the real engine
//! against a lab on loopback, with scripted keys in and ratatui `TestBackend` frames out.
//! No terminal, no tmux: what `tui_tmux.rs` proves in a real terminal, minus the terminal.

use std::sync::Arc;

use crossterm::event::KeyCode;
use fleetdash::engine::{Engine, EngineConfig, ExecSetup, JobsSetup, Probes};
use fleetdash::exec::{ExecConfig, Journal, Secrets, SshConnector};
use fleetdash::ssh::{HostKeyPolicy, SshOptions};
use fleetdash::ui::{self, Ended};

mod common;

use common::screen::{Harness, harness, wait_for};

const PASSWORD: &str = "dash-Pw-7730";

/// Filter, mark, `:show version` on the marked devices, read the answers, quit: keys in,
/// frames out, and the lab and the audit journal show that exactly the marked devices ran it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filter_mark_run_and_quit_through_the_real_loop() {
    let common::Setup {
        lab,
        inventory,
        opts: ssh,
        dir,
        ..
    } = common::lab(
        "name: dash\ndevices: 6\nsites: [ams, fra]\nroles:\n  \
         - {role: core, platform: cisco_ios, count: 2}\n  \
         - {role: sw, platform: arista_eos, count: 1}\n",
    )
    .password(PASSWORD)
    .setup()
    .await;
    let ssh = SshOptions {
        host_keys: HostKeyPolicy::Strict,
        ..ssh
    };
    let audit = dir.path().join("audit.jsonl");
    let journal = Journal::open(&audit, Secrets::from_inventory(&inventory)).unwrap();
    let exec = ExecSetup {
        config: ExecConfig {
            journal: Some(Arc::new(journal)),
            ..ExecConfig::default()
        },
        connector: SshConnector::new(ssh),
    };
    let config = EngineConfig {
        probes: Some(Probes::default()),
        ..EngineConfig::default()
    };
    // The flight recorder follows the dashboard's loop: the `:` run lands in it too.
    let recording = dir.path().join("window.jsonl");
    let tap = fleetdash::record::recorder(&recording, "dashboard", &inventory).unwrap();
    let mut engine = Engine::builder(inventory, config)
        .exec(exec)
        .tap(tap)
        .start();

    let Harness {
        mut screen,
        mut frames,
        keys,
        input,
        options,
    } = harness(150, 40, "dash lab");
    let script = async {
        wait_for(&mut frames, "the lab's devices", |f| {
            f.contains("dash lab") && f.contains("ams-core1") && f.contains("fra-sw1")
        })
        .await;
        keys.type_text("/ams-core");
        keys.press(KeyCode::Enter);
        let filtered = wait_for(&mut frames, "only the ams cores", |f| {
            f.contains("ams-core2") && !f.contains("fra-core1")
        })
        .await;
        assert!(!filtered.contains("ams-sw1"), "{filtered}");
        keys.type_text("a");
        wait_for(&mut frames, "two marks", |f| f.contains("● 2 marked")).await;
        keys.type_text(":show version");
        keys.press(KeyCode::Enter);
        let answers = wait_for(&mut frames, "both answers", |f| f.contains("✓ 2 ok")).await;
        assert!(answers.contains("show version"), "{answers}");
        assert!(answers.contains("Cisco"), "the answer is shown: {answers}");
        keys.type_text("q");
        wait_for(&mut frames, "the tiles again", |f| {
            f.contains("● 2 marked") && f.contains("ams-core1")
        })
        .await;
        keys.type_text("q");
    };
    let (ended, ()) = tokio::join!(
        ui::drive(&mut engine, options, &mut screen, input, None),
        script
    );
    assert_eq!(ended.unwrap(), Ended::Quit);

    for (device, runs) in [("ams-core1", 1), ("ams-core2", 1), ("fra-core1", 0)] {
        assert_eq!(lab.command_count(device, "show version"), runs, "{device}");
    }
    let journal = std::fs::read_to_string(&audit).unwrap();
    assert_eq!(
        journal.lines().count(),
        4,
        "a start and an end per device: {journal}"
    );
    drop(engine);
    let recorded = std::fs::read_to_string(&recording).unwrap();
    let kinds: Vec<String> = (recorded.lines())
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["kind"] == "run" || v["kind"] == "outcome")
        .map(|v| format!("{} {}", v["kind"], v["device"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(
        kinds.len(),
        3,
        "the run and both outcomes are recorded: {kinds:?}\n{recorded}"
    );
    assert!(
        recorded.contains(
            r#""kind":"run","run":1,"command":"show version","devices":["ams-core1","ams-core2"]"#
        ),
        "{recorded}"
    );
    lab.stop().await;
}

/// A device that logs in and never shows a prompt: its tile says `ssh: prompt` and the
/// answer quotes what it sent, after one login — not `ssh: connect` after three tries.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_without_a_prompt_shows_the_prompt_stage() {
    let common::Setup {
        lab,
        inventory,
        opts: ssh,
        dir: _dir,
        ..
    } = common::lab(
        "name: dash\ndevices: 2\nsites: [ams]\nroles:\n  \
         - {role: core, platform: cisco_ios, count: 1}\n  \
         - {role: hung, platform: cisco_ios, count: 1}\n\
         faults:\n  - devices: [ams-hung1]\n    no_prompt: true\n    \
         motd: \"SELECT 1) shell 2) logout\\n\"\n",
    )
    .password(PASSWORD)
    .setup()
    .await;
    let ssh = SshOptions {
        host_keys: HostKeyPolicy::Strict,
        ..ssh
    };
    let exec = ExecSetup {
        config: ExecConfig::default(),
        connector: SshConnector::new(ssh),
    };
    let mut engine = Engine::builder(inventory, EngineConfig::default())
        .exec(exec)
        .start();
    let Harness {
        mut screen,
        mut frames,
        keys,
        input,
        options,
    } = harness(150, 40, "dash lab");
    let script = async {
        wait_for(&mut frames, "the lab's devices", |f| {
            f.contains("ams-hung1")
        })
        .await;
        keys.type_text("a");
        wait_for(&mut frames, "two marks", |f| f.contains("● 2 marked")).await;
        keys.type_text(":show version");
        keys.press(KeyCode::Enter);
        let answers = wait_for(&mut frames, "both done", |f| {
            f.contains("1 ok") && f.contains("1 failed")
        })
        .await;
        assert!(answers.contains("ams-hung1 prompt"), "{answers}");
        keys.press(KeyCode::Down);
        let detail = wait_for(&mut frames, "the failure's text", |f| {
            f.contains("ams-hung1: failed")
        })
        .await;
        assert!(detail.contains("prompt: no prompt"), "{detail}");
        assert!(
            detail.contains("SELECT 1) shell 2) logout"),
            "quoted: {detail}"
        );
        keys.type_text("q");
        let tiles = wait_for(&mut frames, "the hung tile's stage", |f| {
            f.contains("ssh: prompt") && f.contains("rtt history")
        })
        .await;
        assert!(!tiles.contains("ssh: connect"), "{tiles}");
        keys.type_text("q");
    };
    let (ended, ()) = tokio::join!(
        ui::drive(&mut engine, options, &mut screen, input, None),
        script
    );
    assert_eq!(ended.unwrap(), Ended::Quit);
    assert_eq!(
        lab.stats().sessions,
        2,
        "one login each: the prompt failure is not retried"
    );
    lab.stop().await;
}

fn git(repo: &std::path::Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(args)
        .output()
        .expect("git is needed (apt-get install git)");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `:backup` on the marked devices through the real loop ends in a commit the real git sees,
/// with a result line in the run view and the log; the detail pane shows the focused
/// device's backup from git; after a change on the device, `B` commits only it and `d`
/// shows its diff against the previous backup.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_commits_shows_the_last_backup_and_diffs_through_the_real_loop() {
    let common::Setup {
        lab,
        inventory,
        opts: ssh,
        dir,
        ..
    } = common::lab(
        "name: bk\ndevices: 3\nsites: [s]\nroles:\n  \
         - {role: ios, platform: cisco_ios, count: 2}\n  \
         - {role: eos, platform: arista_eos, count: 1}\n",
    )
    .password(PASSWORD)
    .setup()
    .await;
    let repo = dir.path().join("configs");
    let exec = ExecSetup {
        config: ExecConfig::default(),
        connector: SshConnector::new(ssh.clone()),
    };
    let config = EngineConfig {
        probes: Some(Probes::default()),
        jobs: JobsSetup {
            backup_dir: Some(repo.clone()),
            ..JobsSetup::default()
        },
        ..EngineConfig::default()
    };
    let mut engine = Engine::builder(inventory.clone(), config)
        .exec(exec)
        .start();
    let Harness {
        mut screen,
        mut frames,
        keys,
        input,
        options,
    } = harness(160, 45, "bk lab");
    let ios2 = inventory
        .devices
        .iter()
        .find(|d| d.name == "s-ios2")
        .unwrap()
        .clone();
    let script = async {
        wait_for(&mut frames, "the lab's devices", |f| {
            f.contains("s-ios1") && f.contains("s-eos1")
        })
        .await;
        keys.type_text("a");
        keys.type_text(":backup");
        keys.press(KeyCode::Enter);
        let done = wait_for(&mut frames, "the backup's result", |f| {
            f.contains("backup of 3 devices: 0 changed, 3 new")
        })
        .await;
        assert!(done.contains("commit "), "{done}");
        assert_eq!(git(&repo, &["rev-list", "--count", "HEAD"]).trim(), "1");
        let files = git(&repo, &["ls-files"]);
        for name in ["s-ios1", "s-ios2", "s-eos1"] {
            assert!(files.contains(&format!("{name}\n")), "{files}");
        }
        assert!(!git(&repo, &["show", "HEAD:s-ios1"]).contains("$1$lab$"));
        keys.press(KeyCode::Esc);
        keys.type_text("A");
        // The focus is on s-eos1 (the first by name): its backup, read from git.
        let head = git(&repo, &["rev-parse", "HEAD"]);
        let detail = wait_for(&mut frames, "the detail pane's backup", |f| {
            f.contains(&format!("commit {}", &head[..12])) && f.contains("the first version")
        })
        .await;
        assert!(detail.contains("new: first backup"), "{detail}");

        // A real change on s-ios2, then `B` on it alone.
        let mut s = fleetdash::ssh::Session::connect(&ios2, &ssh).await.unwrap();
        let out = s
            .configure(&["ntp server 192.0.2.123".into()], false)
            .await
            .unwrap();
        assert!(out.error_marker.is_none(), "{}", out.text);
        s.close().await;
        // Keys are handled in order: `B` backs up the device the two moves focus.
        keys.type_text("llB");
        wait_for(&mut frames, "the second backup", |f| {
            f.contains("backup of 1 device: 1 changed, 0 new, 0 unchanged, 0 failed")
        })
        .await;
        assert_eq!(git(&repo, &["rev-list", "--count", "HEAD"]).trim(), "2");
        assert_eq!(
            git(&repo, &["diff", "--name-only", "HEAD~1", "HEAD"]),
            "s-ios2\n"
        );
        keys.press(KeyCode::Esc);
        wait_for(&mut frames, "changed since", |f| {
            f.contains("changed since the previous (d: diff)")
        })
        .await;
        keys.type_text("d");
        let diff = wait_for(&mut frames, "the diff", |f| {
            f.contains("+ntp server 192.0.2.123")
        })
        .await;
        assert!(
            diff.contains("s-ios2: diff against its previous backup"),
            "{diff}"
        );
        keys.press(KeyCode::Esc);
        wait_for(&mut frames, "the tiles again", |f| f.contains("s-eos1")).await;
        keys.type_text("q");
    };
    let (ended, ()) = tokio::join!(
        ui::drive(&mut engine, options, &mut screen, input, None),
        script
    );
    assert_eq!(ended.unwrap(), Ended::Quit);
    lab.stop().await;
}

/// `:cabling FILE` on every device through the real loop: the lab's neighbour tables against
/// a plan with one link that is not there; both its ends' tiles are marked `✗1 cabling`, the
/// others not, and the detail pane lists the wrong link.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cabling_marks_the_miswired_tiles_through_the_real_loop() {
    let common::Setup {
        lab,
        inventory,
        opts: ssh,
        dir,
        ..
    } = common::lab(
        "name: cab\ndevices: 3\nsites: [s]\nroles:\n  \
         - {role: access, platform: cisco_ios, count: 1}\n  \
         - {role: core, platform: arista_eos, count: 2}\n\
         topology:\n  mesh: [core]\n  uplinks:\n    - {from: access, to: core, count: 2}\n",
    )
    .password(PASSWORD)
    .setup()
    .await;
    let mut csv = String::from("a_device,a_port,b_device,b_port\n");
    let links = lab.cabling();
    assert!(links.len() >= 3, "{links:?}");
    for [a, ap, b, bp] in &links {
        csv.push_str(&format!("{a},{ap},{b},{bp}\n"));
    }
    csv.push_str("s-access1,GigabitEthernet0/8,s-core1,Ethernet8\n");
    let plan = dir.path().join("plan.csv");
    std::fs::write(&plan, &csv).unwrap();
    let exec = ExecSetup {
        config: ExecConfig::default(),
        connector: SshConnector::new(ssh),
    };
    let config = EngineConfig {
        probes: Some(Probes::default()),
        ..EngineConfig::default()
    };
    let mut engine = Engine::builder(inventory, config).exec(exec).start();
    let Harness {
        mut screen,
        mut frames,
        keys,
        input,
        options,
    } = harness(160, 45, "cab lab");
    let n = links.len() + 1;
    let script = async {
        wait_for(&mut frames, "the lab's devices", |f| {
            f.contains("s-access1") && f.contains("s-core2")
        })
        .await;
        keys.type_text("a");
        keys.type_text(&format!(":cabling {}", plan.display()));
        keys.press(KeyCode::Enter);
        wait_for(&mut frames, "the verdict", |f| {
            f.contains(&format!(
                "cabling does not match the plan: {}/{n} links ok, 1 wrong",
                n - 1
            ))
        })
        .await;
        keys.press(KeyCode::Esc);
        let tiles = wait_for(&mut frames, "the marked tiles", |f| {
            f.contains("✗1 cabling") && f.contains("GigabitEthernet0/8 -- s-core1:Ethernet8")
        })
        .await;
        assert_eq!(tiles.matches("✗1 cabling").count(), 2, "{tiles}");
        assert!(tiles.contains("✗ 1 wrong of"), "{tiles}");
        keys.type_text("A");
        keys.type_text("q");
    };
    let (ended, ()) = tokio::join!(
        ui::drive(&mut engine, options, &mut screen, input, None),
        script
    );
    assert_eq!(ended.unwrap(), Ended::Quit);
    lab.stop().await;
}

/// The dense view through the real loop: `z`, move the focus (the footer names it), mark two
/// devices, `:show version` on them; the lab shows exactly those two ran it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dense_view_focus_marks_and_a_run_through_the_real_loop() {
    let common::Setup {
        lab,
        inventory,
        opts: ssh,
        // Holds the known_hosts file.
        dir: _dir,
        ..
    } = common::lab(
        "name: dense\ndevices: 6\nsites: [ams, fra]\nroles:\n  \
         - {role: core, platform: cisco_ios, count: 2}\n  \
         - {role: sw, platform: arista_eos, count: 1}\n",
    )
    .password(PASSWORD)
    .setup()
    .await;
    let exec = ExecSetup {
        config: ExecConfig::default(),
        connector: SshConnector::new(SshOptions {
            host_keys: HostKeyPolicy::Strict,
            ..ssh
        }),
    };
    let config = EngineConfig {
        probes: Some(Probes::default()),
        ..EngineConfig::default()
    };
    let mut engine = Engine::builder(inventory, config).exec(exec).start();
    let Harness {
        mut screen,
        mut frames,
        keys,
        input,
        options,
    } = harness(80, 24, "dense lab");
    let script = async {
        wait_for(&mut frames, "every device up", |f| f.contains("▲ 6 up")).await;
        keys.type_text("z");
        // Tiles name devices; the dense view's cells do not, only the footer does.
        let dense = wait_for(&mut frames, "the dense view", |f| {
            f.contains("ams-core1 ▲") && !f.contains("ams-core2")
        })
        .await;
        assert!(dense.contains("· · · · · ·"), "{dense}");
        keys.type_text("l");
        wait_for(&mut frames, "the focus moved", |f| {
            f.contains("ams-core2 ▲")
        })
        .await;
        keys.type_text(" l ");
        wait_for(&mut frames, "two marks", |f| {
            f.contains("● 2 marked") && f.contains("● ●")
        })
        .await;
        keys.type_text(":show version");
        keys.press(KeyCode::Enter);
        wait_for(&mut frames, "both answers", |f| f.contains("✓ 2 ok")).await;
        keys.type_text("q");
        wait_for(&mut frames, "the dense view again", |f| {
            f.contains("● 2 marked") && f.contains("● ●")
        })
        .await;
        keys.type_text("q");
    };
    let (ended, ()) = tokio::join!(
        ui::drive(&mut engine, options, &mut screen, input, None),
        script
    );
    assert_eq!(ended.unwrap(), Ended::Quit);
    // In name order: ams-core1, ams-core2, ams-sw1: the focus went to the second and third.
    for (device, runs) in [("ams-core1", 0), ("ams-core2", 1), ("ams-sw1", 1)] {
        assert_eq!(lab.command_count(device, "show version"), runs, "{device}");
    }
    lab.stop().await;
}
