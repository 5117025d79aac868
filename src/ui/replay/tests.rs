//! The replay through its own loop: scripted keys into `drive`, the last frame of a
//! `TestBackend` checked (whole-frame snapshots and the state it shows).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::*;
use crate::fleet::Reach;

/// Four devices; r2 down from 03:01:00 to 03:03:30, r4 down from 03:05:00 to the end
/// (03:06:00); a run at 03:02:00 (r1 ok, r3 refused at auth); a notice.
const RECORDING: &str = r#"{"v":1,"at":"2026-12-02T03:00:00.000Z","kind":"start","front_end":"dashboard","source":"lab.yaml","down_after":2,"up_after":1,"flap_window_ms":300000,"flap_count":3,"devices":[{"name":"r1","host":"127.20.0.1"},{"name":"r2","host":"127.20.0.2"},{"name":"r3","host":"127.20.0.3"},{"name":"r4","host":"127.20.0.4"}]}
{"v":1,"at":"2026-12-02T03:00:01.000Z","kind":"mode","icmp":"raw"}
{"v":1,"at":"2026-12-02T03:00:01.000Z","kind":"transition","device":"r1","from":"unknown","to":"up","why":"reply in 210µs","rtt_us":210,"flaps":0}
{"v":1,"at":"2026-12-02T03:00:01.000Z","kind":"transition","device":"r2","from":"unknown","to":"up","why":"reply in 220µs","rtt_us":220,"flaps":0}
{"v":1,"at":"2026-12-02T03:00:01.000Z","kind":"transition","device":"r3","from":"unknown","to":"up","why":"reply in 230µs","rtt_us":230,"flaps":0}
{"v":1,"at":"2026-12-02T03:00:01.000Z","kind":"transition","device":"r4","from":"unknown","to":"up","why":"reply in 240µs","rtt_us":240,"flaps":0}
{"v":1,"at":"2026-12-02T03:01:00.000Z","kind":"transition","device":"r2","from":"up","to":"down","why":"2 lost (no reply)","flaps":1}
{"v":1,"at":"2026-12-02T03:02:00.000Z","kind":"run","run":1,"command":"show version","devices":["r1","r3"]}
{"v":1,"at":"2026-12-02T03:02:01.000Z","kind":"outcome","run":1,"device":"r1","ok":true,"exit_status":0,"duration_ms":120.5}
{"v":1,"at":"2026-12-02T03:02:02.000Z","kind":"outcome","run":1,"device":"r3","ok":false,"stage":"auth","reason":"permission denied","duration_ms":80}
{"v":1,"at":"2026-12-02T03:03:30.000Z","kind":"transition","device":"r2","from":"down","to":"up","why":"reply in 250µs","rtt_us":250,"flaps":2}
{"v":1,"at":"2026-12-02T03:04:00.000Z","kind":"notice","text":"host key learned for r3"}
{"v":1,"at":"2026-12-02T03:05:00.000Z","kind":"transition","device":"r4","from":"up","to":"down","why":"2 lost (connection refused)","reason":"connection refused","flaps":1}
{"v":1,"at":"2026-12-02T03:06:00.000Z","kind":"end","dropped":0}
"#;

fn player(text: &str) -> Player {
    let recording = crate::record::load::parse(text.as_bytes(), Limits::default(), "w").unwrap();
    Player::new(recording, WallClock::utc())
}

fn keys(text: &str) -> Vec<std::io::Result<TermEvent>> {
    text.chars()
        .map(|c| {
            Ok(TermEvent::Key(KeyEvent::new(
                KeyCode::Char(c),
                KeyModifiers::NONE,
            )))
        })
        .collect()
}

/// Runs the loop on `keys` (the input then ends) and returns the last frame.
async fn replay(
    player: &mut Player,
    script: Vec<std::io::Result<TermEvent>>,
) -> Terminal<TestBackend> {
    let mut term = Terminal::new(TestBackend::new(110, 26)).unwrap();
    let ended = drive(player, &mut term, futures::stream::iter(script), None)
        .await
        .unwrap();
    assert_eq!(ended, Ended::Quit);
    term
}

fn screen(term: &Terminal<TestBackend>) -> String {
    let buf = term.backend().buffer();
    let mut out = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

#[tokio::test]
async fn the_replay_opens_at_the_start_and_jumps_to_each_outage() {
    let mut p = player(RECORDING);
    let term = replay(&mut p, vec![]).await;
    assert_eq!(p.next, 0, "nothing folded before a key");
    assert!(
        screen(&term).contains("REPLAY  03:00:00 (+0s of 6m00s)"),
        "{}",
        screen(&term)
    );
    // n: to r2 going down (its own record folded, nothing later).
    let term = replay(&mut p, keys("n")).await;
    assert_eq!(p.pos, Duration::from_secs(60));
    assert_eq!(p.state.devices[1].reach, Reach::Down);
    assert_eq!(p.state.counts.down, 1);
    insta::assert_snapshot!(term.backend());
    // n again: r4 at 03:05, where r2 is back.
    replay(&mut p, keys("n")).await;
    assert_eq!(p.pos, Duration::from_secs(300));
    let reach: Vec<Reach> = p.state.devices.iter().map(|d| d.reach).collect();
    assert_eq!(reach, [Reach::Up, Reach::Up, Reach::Up, Reach::Down]);
    assert_eq!(p.state.devices[1].flaps, 2);
    // N back to r2's outage: the state is rebuilt, r2 down again, r4 up.
    replay(&mut p, keys("N")).await;
    let reach: Vec<Reach> = p.state.devices.iter().map(|d| d.reach).collect();
    assert_eq!(reach, [Reach::Up, Reach::Down, Reach::Up, Reach::Up]);
    // No outage before the first: N stays.
    replay(&mut p, keys("N")).await;
    assert_eq!(p.pos, Duration::from_secs(60));
}

#[tokio::test]
async fn steps_walk_one_record_at_a_time_both_ways_and_stop_at_the_ends() {
    let mut p = player(RECORDING);
    let total = p.recording.entries.len();
    replay(&mut p, keys(",")).await;
    assert_eq!(
        (p.next, p.pos),
        (0, Duration::ZERO),
        "nothing before the start"
    );
    replay(&mut p, keys("......")).await;
    assert_eq!(p.next, 6);
    assert_eq!(p.state.devices[1].reach, Reach::Down);
    replay(&mut p, keys(",")).await;
    assert_eq!(p.next, 5);
    assert_eq!(p.state.devices[1].reach, Reach::Up);
    let term = replay(&mut p, keys(&".".repeat(total + 5))).await;
    assert_eq!(p.next, total);
    let text = screen(&term);
    assert!(text.contains(&format!("record {total}/{total}")), "{text}");
    // The end: r4 still down; the log has what the dashboard logged.
    let log: Vec<&str> = p.state.log.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(
        log,
        [
            "probe: ICMP (raw socket)",
            "r2 up → down: 2 lost (no reply)",
            "run #1: `show version` on 2 devices",
            "r2 down → up: reply in 250µs",
            "host key learned for r3",
            "r4 up → down: 2 lost (connection refused)",
        ]
    );
    let run = p.state.exec.get(1).unwrap().progress();
    assert_eq!((run.ok, run.failed), (1, 1));
    // > and < go to the ends; ] and [ move a minute.
    replay(&mut p, keys("<]]")).await;
    assert_eq!(p.pos, Duration::from_secs(120));
    assert_eq!(p.state.exec.get(1).unwrap().progress().queued, 2);
    replay(&mut p, keys(">[")).await;
    assert_eq!(p.pos, Duration::from_secs(300));
}

#[tokio::test(start_paused = true)]
async fn space_plays_at_the_chosen_speed_until_the_end() {
    let mut p = player(RECORDING);
    // Faster twice (×10 → ×60), then play: 6 minutes take 6 seconds of (paused) time.
    let mut script = keys("++ ");
    let mut term = Terminal::new(TestBackend::new(110, 26)).unwrap();
    let (tx, rx) = futures::channel::mpsc::unbounded();
    for k in script.drain(..) {
        tx.unbounded_send(k).unwrap();
    }
    let driver = async {
        drive(&mut p, &mut term, rx, None).await.unwrap();
    };
    let stop = async {
        tokio::time::sleep(Duration::from_secs(3)).await;
        // Half way: 180 s of the recording.
        drop(tx);
    };
    tokio::join!(driver, stop);
    assert_eq!(p.speed(), 60);
    let pos = p.pos.as_secs();
    assert!((170..=190).contains(&pos), "{pos}");
    assert!(p.playing);
    // Playing on to the end stops there.
    p.tick(Duration::from_secs(10));
    assert_eq!(p.pos, p.length());
    assert!(!p.playing);
}

#[tokio::test]
async fn the_replay_refuses_commands_and_shows_hostile_names_inert() {
    for sample in crate::base::text::hostile::SAMPLES {
        let name = serde_json::to_string(sample).unwrap();
        let text = RECORDING
            .replace("\"r2\"", &name)
            .replace("host key learned for r3", &name[1..name.len() - 1]);
        let mut p = player(&text);
        let mut script = keys(">:uptime");
        script.push(Ok(TermEvent::Key(KeyEvent::new(
            KeyCode::Enter,
            KeyModifiers::NONE,
        ))));
        let term = replay(&mut p, script).await;
        let shown = screen(&term);
        crate::base::text::hostile::assert_inert(sample, &shown);
        assert!(shown.contains("a replay sends nothing"), "{shown}");
        assert_eq!(p.state.exec.runs.len(), 1, "no run was started");
    }
}

/// A recorded rollout opens on the rollout screen, as it was at each moment; its keys
/// steer nothing.
#[tokio::test]
async fn a_recorded_rollout_replays_on_the_rollout_screen_and_cannot_be_steered() {
    let rollout = r#"{"v":1,"at":"2026-12-02T03:00:10Z","kind":"rollout","event":"started","plan":"ntp","resumed":false,"waves":[{"index":0,"kind":"canary","devices":["r1"]},{"index":1,"kind":"batch","devices":["r2","r3"]}]}
{"v":1,"at":"2026-12-02T03:00:11Z","kind":"rollout","event":"wave","wave":0,"state":"running"}
{"v":1,"at":"2026-12-02T03:00:12Z","kind":"rollout","event":"device","device":"r1","state":"done"}
{"v":1,"at":"2026-12-02T03:00:13Z","kind":"rollout","event":"wave","wave":0,"state":"completed"}
{"v":1,"at":"2026-12-02T03:00:14Z","kind":"rollout","event":"device","device":"r2","state":"failed","reason":"post-check ntp failed"}
{"v":1,"at":"2026-12-02T03:00:15Z","kind":"rollout","event":"overall","state":"halted","reason":"1 failed > max_fail 0"}
{"v":1,"at":"2026-12-02T03:00:16Z","kind":"rollout","event":"finished","outcome":"halted"}
"#;
    let text = RECORDING.replacen('\n', &format!("\n{rollout}"), 1);
    let mut p = player(&text);
    assert!(p.recording.issues.is_empty(), "{:?}", p.recording.issues);
    let term = replay(&mut p, keys(">")).await;
    let shown = screen(&term);
    assert!(shown.contains("ntp"), "{shown}");
    insta::assert_snapshot!(term.backend());
    let state = p.state.rollout.as_ref().unwrap();
    assert_eq!(state.outcome, Some(crate::rollout::event::Outcome::Halted));
    // Back to before the failure: r2 not failed yet.
    replay(&mut p, keys("<....")).await;
    let state = p.state.rollout.as_ref().unwrap();
    assert_eq!(
        state.device(0).unwrap().state,
        crate::rollout::event::DeviceState::Done
    );
    assert_eq!(
        state.device(1).unwrap().state,
        crate::rollout::event::DeviceState::Pending
    );
    // Pause, and abort confirmed: refused, nothing changes.
    let term = replay(&mut p, keys("pay")).await;
    assert!(
        screen(&term).contains("a replay sends nothing"),
        "{}",
        screen(&term)
    );
    assert_eq!(p.next, 4);
}

/// In the log view (`L`), `n` and `N` are its search's: the replay does not take them.
#[tokio::test]
async fn the_log_views_keys_stay_its_own() {
    let mut p = player(RECORDING);
    replay(&mut p, keys(">")).await;
    let end = p.pos;
    replay(&mut p, keys("L/r2\nnN")).await;
    assert_eq!(p.pos, end, "n and N searched the log, not the recording");
}
