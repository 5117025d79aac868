//! The whole dashboard in-process: the real app loop (`ui::drive`) over the real engine
//! against a lab on loopback, with scripted keys in and ratatui `TestBackend` frames out.
//! No terminal, no tmux: what `tui_tmux.rs` proves in a real terminal, minus the terminal.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
use fleetdash::engine::{Engine, EngineConfig, ExecSetup, Probes};
use fleetdash::exec::{ExecConfig, Journal, Secrets, SshConnector};
use fleetdash::ssh::{HostKeyPolicy, SshOptions};
use fleetdash::ui::{self, Ended, Screen};
use ratatui::Frame;
use ratatui::backend::TestBackend;
use ratatui::layout::Size;
use tokio::sync::{mpsc, watch};

mod common;

const PASSWORD: &str = "dash-Pw-7730";

/// A `TestBackend` terminal that publishes the text of every frame it draws.
struct Recorder {
    term: ratatui::Terminal<TestBackend>,
    frames: watch::Sender<String>,
}

impl Screen for Recorder {
    fn draw(&mut self, render: impl FnOnce(&mut Frame)) -> io::Result<()> {
        Screen::draw(&mut self.term, render)?;
        let buffer = self.term.backend().buffer();
        let width = usize::from(buffer.area.width);
        let text: Vec<String> = buffer
            .content
            .chunks(width)
            .map(|row| row.iter().map(|cell| cell.symbol()).collect())
            .collect();
        self.frames.send_replace(text.join("\n"));
        Ok(())
    }

    fn size(&self) -> io::Result<Size> {
        Screen::size(&self.term)
    }

    fn suspend(&mut self) -> io::Result<()> {
        Ok(())
    }

    fn resume(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Keys typed one at a time, as the terminal would report them.
struct Keyboard(mpsc::UnboundedSender<io::Result<TermEvent>>);

impl Keyboard {
    fn press(&self, code: KeyCode) {
        let key = KeyEvent::new(code, KeyModifiers::NONE);
        self.0.send(Ok(TermEvent::Key(key))).unwrap();
    }

    fn type_text(&self, text: &str) {
        text.chars().for_each(|c| self.press(KeyCode::Char(c)));
    }
}

/// The next frame `ok` accepts (the frames come from the loop, not from a clock).
async fn wait_for(
    frames: &mut watch::Receiver<String>,
    what: &str,
    ok: impl Fn(&str) -> bool,
) -> String {
    let seen = tokio::time::timeout(Duration::from_secs(30), frames.wait_for(|f| ok(f))).await;
    let found = seen.ok().and_then(Result::ok).map(|frame| frame.clone());
    if let Some(frame) = found {
        return frame;
    }
    panic!("no frame with {what}; the last one:\n{}", *frames.borrow())
}

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
    let mut engine = Engine::builder(inventory, config).exec(exec).start();

    let (frames_tx, mut frames) = watch::channel(String::new());
    let mut screen = Recorder {
        term: ratatui::Terminal::new(TestBackend::new(150, 40)).unwrap(),
        frames: frames_tx,
    };
    let (keys_tx, keys_rx) = mpsc::unbounded_channel();
    let input = Box::pin(futures::stream::unfold(keys_rx, |mut rx| async move {
        rx.recv().await.map(|key| (key, rx))
    }));
    let options = ui::Options {
        title: "dash lab".into(),
        interval: Duration::from_secs(1),
        read_only: false,
        utc: true,
    };
    let keys = Keyboard(keys_tx);
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
    let (frames_tx, mut frames) = watch::channel(String::new());
    let mut screen = Recorder {
        term: ratatui::Terminal::new(TestBackend::new(150, 40)).unwrap(),
        frames: frames_tx,
    };
    let (keys_tx, keys_rx) = mpsc::unbounded_channel();
    let input = Box::pin(futures::stream::unfold(keys_rx, |mut rx| async move {
        rx.recv().await.map(|key| (key, rx))
    }));
    let options = ui::Options {
        title: "dash lab".into(),
        interval: Duration::from_secs(1),
        read_only: false,
        utc: true,
    };
    let keys = Keyboard(keys_tx);
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
