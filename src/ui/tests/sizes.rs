//! The dashboard, the run view and the rollout screen at 80×24, 120×40 and 250×80: whole
//! frames, and what must hold at the smallest (the header keeps the sweep and the probe
//! mode, the detail pane opens over the tiles, down devices off-screen are pointed at, the
//! rollout leaves room for its tiles).

use std::time::{Duration, Instant};

use crossterm::event::KeyCode;
use ratatui::layout::Rect;

use super::{draw, key, press};
use crate::fleet::{
    Command, Event, ExecEvent, FleetConfig, IcmpSocket, Output, ProbeMode, State, SweepStats,
};
use crate::rollout::event::{RolloutEvent, WaveInfo};
use crate::rollout::report::{DeviceState, RunState};
use crate::testkit;
use crate::ui::App;

const SIZES: [(u16, u16); 3] = [(80, 24), (120, 40), (250, 80)];

/// 60 devices: the last two (ams-sw58, fra-sw59) down, fra-sw05 never answered.
fn fleet60() -> (State, Instant) {
    let mut s = testkit::state(60, FleetConfig::default());
    let t0 = s.origin.0;
    s.apply(Event::Mode(ProbeMode::Icmp(IcmpSocket::Raw)));
    for sec in 0..4u64 {
        let at = t0 + Duration::from_secs(sec);
        for d in 0..60 {
            let rtt = match d {
                5 => continue,
                58 | 59 if sec >= 2 => None,
                _ => Some(150 + 7 * d as u64),
            };
            s.apply(testkit::probe(d, at, rtt));
        }
        s.apply(Event::SweepDone(SweepStats {
            sweep: sec + 1,
            sent: 60,
            replies: 57,
            elapsed: Duration::from_millis(4),
            pace: None,
        }));
    }
    (s, t0 + Duration::from_secs(65))
}

fn screen(fleet: &State, app: &mut App, now: Instant) -> String {
    format!("{}", draw(fleet, app, now).backend())
}

#[test]
fn the_dashboard_at_three_sizes() {
    for (w, h) in SIZES {
        let (fleet, now) = fleet60();
        let mut app = App::new("inventory/lab.yaml", Rect::new(0, 0, w, h));
        let frame = screen(&fleet, &mut app, now);
        insta::assert_snapshot!(format!("dashboard_{w}x{h}"), frame);
        let header = frame.lines().next().unwrap();
        assert!(
            header.contains("#4") && header.contains("4 ms"),
            "sweep: {header}"
        );
        assert!(header.contains("ICMP"), "probe mode: {header}");
        assert!(
            header.contains("▼ 2") && header.contains("▲ 57"),
            "{header}"
        );
    }
}

#[test]
fn at_80x24_down_devices_off_screen_are_pointed_at() {
    let (fleet, now) = fleet60();
    let mut app = App::new("t", Rect::new(0, 0, 80, 24));
    let frame = screen(&fleet, &mut app, now);
    assert!(frame.contains("▼ 2 down, off-screen ↓"), "{frame}");
    app.handle(&key(KeyCode::End), &fleet);
    let frame = screen(&fleet, &mut app, now);
    // By name, ams-sw58 sorts before every fra- device: now above the view.
    assert!(frame.contains("▼ 1 down, off-screen ↑"), "{frame}");
    // Sorted by state, down first: in view at the top.
    press(&mut app, &fleet, "s");
    app.handle(&key(KeyCode::Home), &fleet);
    assert!(!screen(&fleet, &mut app, now).contains("off-screen"));
}

#[test]
fn at_80x24_the_detail_pane_opens_over_the_tiles() {
    let (fleet, now) = fleet60();
    let mut app = App::new("t", Rect::new(0, 0, 80, 24));
    let frame = screen(&fleet, &mut app, now);
    assert!(
        !frame.contains(" detail "),
        "no room beside the tiles: {frame}"
    );
    press(&mut app, &fleet, "i");
    let frame = screen(&fleet, &mut app, now);
    insta::assert_snapshot!("detail_overlay_80x24", frame);
    assert!(
        frame.contains("ams-sw00") && frame.contains("rtt"),
        "{frame}"
    );
    // The focus still moves under it, and the overlay follows.
    press(&mut app, &fleet, "l");
    assert!(screen(&fleet, &mut app, now).contains("│ams-sw02  ▲ up"));
    app.handle(&key(KeyCode::Esc), &fleet);
    assert!(!screen(&fleet, &mut app, now).contains(" detail "));
    app.handle(&key(KeyCode::Enter), &fleet);
    assert!(
        screen(&fleet, &mut app, now).contains(" detail "),
        "Enter opens it too"
    );
    app.handle(&key(KeyCode::Enter), &fleet);
    assert!(
        !screen(&fleet, &mut app, now).contains(" detail "),
        "and closes it"
    );
}

#[test]
fn the_run_view_at_three_sizes() {
    for (w, h) in SIZES {
        let (mut fleet, now) = fleet60();
        let mut app = App::new("t", Rect::new(0, 0, w, h));
        let command = Command::Run {
            run: 1,
            devices: (0..10).collect(),
            command: "show version".into(),
        };
        fleet.record(&command, now);
        for d in 0..8 {
            let text = match d {
                3 => "Cisco IOS Software, Version 15.1(2)T\nuptime is 3 weeks\n",
                _ => "Cisco IOS Software, Version 15.2(4)M7\nuptime is 3 weeks\n",
            };
            fleet.apply(Event::Exec(ExecEvent::Finished {
                run: 1,
                device: d,
                at: now,
                duration: Duration::from_millis(210),
                result: Ok(Output {
                    text: text.into(),
                    ..Output::default()
                }),
            }));
        }
        fleet.apply(Event::Exec(ExecEvent::Connecting { run: 1, device: 8 }));
        app.refresh(&fleet);
        press(&mut app, &fleet, "r");
        let frame = screen(&fleet, &mut app, now + Duration::from_secs(1));
        insta::assert_snapshot!(format!("run_view_{w}x{h}"), frame);
        assert!(
            frame.contains("⟳ 1 connecting") && frame.contains("· 1 queued"),
            "{frame}"
        );
        press(&mut app, &fleet, "f");
        let frame = screen(&fleet, &mut app, now + Duration::from_secs(1));
        assert!(frame.contains("(7) "), "{frame}");
    }
}

/// 60 devices in eight waves: the canary done, wave 2 running.
fn rollout60(fleet: &mut State) {
    let mut waves = vec![WaveInfo {
        index: 0,
        kind: "canary".into(),
        devices: vec![0],
    }];
    for w in 0..7 {
        waves.push(WaveInfo {
            index: w + 1,
            kind: "batch".into(),
            devices: (1 + w * 9..(10 + w * 9).min(60)).collect(),
        });
    }
    let ev = |fleet: &mut State, e| fleet.apply(Event::Rollout(e));
    ev(
        fleet,
        RolloutEvent::Started {
            plan: "ntp".into(),
            waves,
            resumed: false,
        },
    );
    ev(
        fleet,
        RolloutEvent::Device {
            device: 0,
            state: DeviceState::Done,
            reason: None,
        },
    );
    ev(
        fleet,
        RolloutEvent::Wave {
            wave: 0,
            state: RunState::Completed,
            reason: None,
        },
    );
    ev(
        fleet,
        RolloutEvent::Wave {
            wave: 1,
            state: RunState::Running,
            reason: None,
        },
    );
    for d in 1..6 {
        ev(
            fleet,
            RolloutEvent::Device {
                device: d,
                state: DeviceState::Applying,
                reason: None,
            },
        );
    }
    let at = fleet.origin.0 + Duration::from_secs(60);
    ev(
        fleet,
        RolloutEvent::Log {
            at,
            device: None,
            text: "wave 1 canary: completed".into(),
        },
    );
}

#[test]
fn the_rollout_screen_at_three_sizes() {
    for (w, h) in SIZES {
        let (mut fleet, now) = fleet60();
        rollout60(&mut fleet);
        let mut app = App::new("t", Rect::new(0, 0, w, h));
        app.rollout_screen = true;
        let frame = screen(&fleet, &mut app, now);
        insta::assert_snapshot!(format!("rollout_{w}x{h}"), frame);
        let grid = app.grid(&fleet);
        assert!(grid.rows >= 3, "{w}x{h}: {} tile rows: {frame}", grid.rows);
        assert!(frame.contains("wave 2 batch"), "{frame}");
        assert!(
            frame.contains("12:01:00 wave 1 canary: completed"),
            "{frame}"
        );
    }
}

#[test]
fn at_80x24_the_help_scrolls_to_its_end() {
    let (fleet, now) = fleet60();
    let mut app = App::new("t", Rect::new(0, 0, 80, 24));
    press(&mut app, &fleet, "?");
    let first = screen(&fleet, &mut app, now);
    assert!(first.contains("help · ↓ more (0/"), "{first}");
    assert!(!first.contains("times are UTC"), "{first}");
    for _ in 0..40 {
        app.handle(&key(KeyCode::Down), &fleet);
    }
    let end = screen(&fleet, &mut app, now);
    assert!(end.contains("times are UTC"), "{end}");
    app.handle(&key(KeyCode::Up), &fleet);
    assert!(app.help, "↑ scrolls back, it does not close");
    press(&mut app, &fleet, "x");
    assert!(!app.help);
}
