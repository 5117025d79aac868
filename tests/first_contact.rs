//! A user error is one clear line on stderr and exit 2: no backtrace (also with
//! RUST_BACKTRACE=1), no "Backtrace omitted" hint, no colour codes when stderr is not a
//! terminal. Run through the real binary, as a user meets it.

mod common;

use std::net::TcpListener;
use std::path::Path;
use std::process::Command;

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn user_errors_are_one_line_exit_2_without_backtrace_or_colour() {
    let dir = tempfile::tempdir().unwrap();
    let inv = write(
        dir.path(),
        "inv.yaml",
        "groups:\n  fra: {}\ndevices:\n  - {name: fra-1, host: 127.0.0.1, groups: [fra]}\n",
    );
    let missing = dir
        .path()
        .join("missing.yaml")
        .to_string_lossy()
        .into_owned();
    // A port in use: a listener of ours where the lab wants to listen.
    let base = common::block();
    let busy = TcpListener::bind((base, 0)).unwrap();
    let port = busy.local_addr().unwrap().port().to_string();
    let base = base.to_string();
    let cases: &[(&[&str], &str)] = &[
        (
            &["lab", "--devices", "1", "--base", &base, "--port", &port],
            "cannot listen on",
        ),
        (&["lab", "--scenario", &missing], "missing.yaml"),
        (&["lab", "--authorized-keys", &missing], "missing.yaml"),
        (&[&missing], "missing.yaml"),
        (&["sweep", &inv, "--limit", "tag:role"], "needs a value"),
        (&["sweep", &inv, "--limit", "fra-[a"], "bad glob"),
        (
            &["sweep", &inv, "--limit", "core"],
            "no group, device or tag matches `core`",
        ),
        (
            &["exec", &inv, "--limit", "core", "--", "show clock"],
            "`core`",
        ),
    ];
    for backtrace in ["0", "1", "full"] {
        for (args, says) in cases {
            let out = common::fleetdash()
                .args(*args)
                .env("RUST_BACKTRACE", backtrace)
                .env("RUST_LIB_BACKTRACE", backtrace)
                .env_remove("NO_COLOR")
                .env("XDG_STATE_HOME", dir.path())
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            let what = format!("{args:?} RUST_BACKTRACE={backtrace}: {stderr:?}");
            assert_eq!(out.status.code(), Some(2), "{what}");
            assert!(stderr.starts_with("error: "), "{what}");
            assert!(stderr.contains(says), "{what}");
            // One message; a `help:` line under it says how to fix it.
            let message = stderr.lines().filter(|l| !l.starts_with("  help: "));
            assert_eq!(message.count(), 1, "one message: {what}");
            assert!(
                !stderr.contains('\u{1b}'),
                "no colour off a terminal: {what}"
            );
            for noise in ["acktrace", "Location", "RUST_BACKTRACE", "panicked"] {
                assert!(!stderr.contains(noise), "{noise}: {what}");
            }
        }
    }
    drop(busy);
}

mod keys {
    //! Chords through the real app loop: Ctrl-A, Ctrl-S and Alt-l are not `a`, `s` and `l`,
    //! and Ctrl-L draws the whole screen again over what another program wrote on it.

    use std::io;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
    use fleetdash::engine::{Engine, EngineConfig};
    use fleetdash::inventory::Inventory;
    use fleetdash::ui::{self, Ended, Screen};
    use ratatui::Frame;
    use ratatui::backend::{Backend, TestBackend};
    use ratatui::buffer::Cell;
    use ratatui::layout::Size;
    use tokio::sync::{mpsc, watch};

    /// Records each frame; after a draw, when asked, scribbles `Z` over the top-right
    /// corner behind ratatui's back, as another program writing on the terminal would.
    struct Scribbled {
        term: ratatui::Terminal<TestBackend>,
        frames: watch::Sender<String>,
        scribble: Arc<AtomicBool>,
    }

    impl Screen for Scribbled {
        fn draw(&mut self, render: impl FnOnce(&mut Frame)) -> io::Result<()> {
            Screen::draw(&mut self.term, render)?;
            if self.scribble.swap(false, Ordering::SeqCst) {
                let x = self.term.backend().buffer().area.width - 1;
                let cell = Cell::new("Z");
                let _ = self.term.backend_mut().draw(std::iter::once((x, 0, &cell)));
            }
            let buffer = self.term.backend().buffer();
            let width = usize::from(buffer.area.width);
            let text: Vec<String> = (buffer.content.chunks(width))
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

        fn repaint(&mut self) -> io::Result<()> {
            Screen::repaint(&mut self.term)
        }
    }

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

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn chords_do_nothing_but_ctrl_l_repaints_through_the_loop() {
        // No probes, no SSH: nothing leaves the process.
        let yaml = "devices:\n  - {name: ams-1, host: 127.0.0.1}\n  - {name: ams-2, host: 127.0.0.2}\n  - {name: ams-3, host: 127.0.0.3}\n";
        let inventory = Arc::new(Inventory::from_yaml(yaml, "keys.yaml").unwrap());
        let mut engine = Engine::builder(inventory, EngineConfig::default()).start();
        let (frames_tx, mut frames) = watch::channel(String::new());
        let scribble = Arc::new(AtomicBool::new(false));
        let mut screen = Scribbled {
            term: ratatui::Terminal::new(TestBackend::new(120, 30)).unwrap(),
            frames: frames_tx,
            scribble: scribble.clone(),
        };
        let (keys_tx, keys_rx) = mpsc::unbounded_channel();
        let input = Box::pin(futures::stream::unfold(keys_rx, |mut rx| async move {
            rx.recv().await.map(|key| (key, rx))
        }));
        let options = ui::Options {
            title: "keys".into(),
            interval: Duration::from_secs(1),
            read_only: false,
            utc: true,
        };
        let send = |c: char, m: KeyModifiers| {
            let key = KeyEvent::new(KeyCode::Char(c), m);
            keys_tx.send(Ok(TermEvent::Key(key))).unwrap();
        };
        let script = async {
            wait_for(&mut frames, "the tiles", |f| f.contains("ams-3")).await;
            send('a', KeyModifiers::CONTROL);
            send('s', KeyModifiers::CONTROL);
            send('l', KeyModifiers::ALT);
            send('?', KeyModifiers::NONE);
            // Help opened: the chords before it were handled, and did nothing.
            let help = wait_for(&mut frames, "help", |f| f.contains("this help")).await;
            assert!(!help.contains("●"), "Ctrl-A marked devices:\n{help}");
            assert!(help.contains("sort: name"), "Ctrl-S sorted:\n{help}");
            send('x', KeyModifiers::NONE);
            let tiles = wait_for(&mut frames, "help closed", |f| !f.contains("this help")).await;
            assert!(tiles.contains("1/3"), "Alt-l moved the focus:\n{tiles}");
            // Something scribbles on the screen; a plain redraw (the filter) keeps it…
            scribble.store(true, Ordering::SeqCst);
            send('/', KeyModifiers::NONE);
            wait_for(&mut frames, "the scribble", |f| {
                f.lines().next().unwrap().ends_with('Z')
            })
            .await;
            keys_tx
                .send(Ok(TermEvent::Key(KeyEvent::new(
                    KeyCode::Esc,
                    KeyModifiers::NONE,
                ))))
                .unwrap();
            // …Ctrl-L draws the whole frame again.
            send('l', KeyModifiers::CONTROL);
            wait_for(&mut frames, "the scribble gone", |f| {
                !f.lines().next().unwrap().ends_with('Z')
            })
            .await;
            send('q', KeyModifiers::NONE);
        };
        let (ended, ()) = tokio::join!(
            ui::drive(&mut engine, options, &mut screen, input, None),
            script
        );
        assert_eq!(ended.unwrap(), Ended::Quit);
    }
}

/// No test runs fleetdash in a way that reads the developer's `~/.ssh/config`: the binary's
/// path is only reached through `tests/common` (which sets `FLEETDASH_SSH_CONFIG=none`), and
/// a file that takes the bare path sets that variable too.
#[test]
fn every_test_runs_fleetdash_without_the_developers_ssh_config() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut dirs = vec![root.clone()];
    let mut checked = 0;
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") || path.ends_with("common/mod.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            checked += 1;
            let bare = concat!("CARGO_BIN_", "EXE_fleetdash");
            assert!(
                !text.contains(bare),
                "{}: run it with common::fleetdash()",
                path.display()
            );
            if text.contains("common::BIN") {
                assert!(
                    text.contains("NO_SSH_CONFIG"),
                    "{}: common::BIN without common::NO_SSH_CONFIG",
                    path.display()
                );
            }
        }
    }
    assert!(checked > 20, "{checked} test files");
    assert!(
        !Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(".cargo/config.toml")
            .exists(),
        "no cargo-wide environment: it would also change `cargo run` for users"
    );
}

/// On a terminal (a pty from util-linux's `script`), NO_COLOR takes the colour out of the
/// argument errors too; our own errors never have any.
#[test]
fn no_color_on_a_terminal_means_no_colour_codes() {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("SKIPPED: `script` (util-linux) is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.yaml");
    for args in [
        "--bogus".to_string(),
        format!("lab --scenario {}", missing.display()),
    ] {
        let line = format!("{} {args}", common::fleetdash_shell());
        let out = Command::new("script")
            .args(["-qec", &line, "/dev/null"])
            .env("NO_COLOR", "1")
            .env("XDG_STATE_HOME", dir.path())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(2), "{args}: {text}");
        assert!(text.contains("error"), "{args}: {text:?}");
        assert!(
            !text.contains('\u{1b}'),
            "{args}: colour under NO_COLOR: {text:?}"
        );
    }
}
