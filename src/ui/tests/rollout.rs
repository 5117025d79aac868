//! The rollout screen: waves with gauges, tiles coloured by rollout state, the keys that
//! steer it (p, r, a with a question, Enter), `d` details, and quitting mid-rollout.

use crossterm::event::KeyCode;
use ratatui::layout::Rect;
use ratatui::style::Color;

use super::{draw, fleet, key, press};
use crate::fleet::{Event, State};
use crate::rollout::event::{CheckPhase, Control, Outcome, RolloutEvent, WaveInfo};
use crate::rollout::report::{DeviceState, RunState};
use crate::ui::{Action, App, Question};

fn ev(fleet: &mut State, event: RolloutEvent) {
    fleet.apply(Event::Rollout(event));
}

/// Canary ams-sw00 done; wave 2 (fra-sw01 applying, fra-sw03 failed a post-check); wave 3
/// pending.
fn rollout(fleet: &mut State) {
    let wave = |index: usize, kind: &str, devices: Vec<usize>| WaveInfo {
        index,
        kind: kind.into(),
        devices,
    };
    ev(
        fleet,
        RolloutEvent::Started {
            plan: "ntp".into(),
            waves: vec![
                wave(0, "canary", vec![0]),
                wave(1, "batch", vec![1, 3]),
                wave(2, "batch", vec![5, 7]),
            ],
            resumed: false,
        },
    );
    let device = |device, state| RolloutEvent::Device {
        device,
        state,
        reason: None,
    };
    ev(
        fleet,
        RolloutEvent::Wave {
            wave: 0,
            state: RunState::Completed,
            reason: None,
        },
    );
    ev(fleet, device(0, DeviceState::Done));
    ev(
        fleet,
        RolloutEvent::Wave {
            wave: 1,
            state: RunState::Running,
            reason: None,
        },
    );
    ev(fleet, device(1, DeviceState::Applying));
    ev(
        fleet,
        RolloutEvent::Step {
            device: 1,
            step: "config: ntp server 127.0.0.1".into(),
        },
    );
    ev(
        fleet,
        RolloutEvent::Check {
            device: 3,
            phase: CheckPhase::Post,
            name: "ntp configured".into(),
            passed: false,
            output: "hostname fra-sw03\n!\nend".into(),
        },
    );
    ev(
        fleet,
        RolloutEvent::Device {
            device: 3,
            state: DeviceState::Failed,
            reason: Some("post-check `ntp configured` failed".into()),
        },
    );
    ev(
        fleet,
        RolloutEvent::Log {
            at: fleet.origin.0 + std::time::Duration::from_secs(62),
            device: Some(3),
            text: "post-check `ntp configured` failed".into(),
        },
    );
}

#[test]
fn the_rollout_screen_shows_waves_tiles_and_log() {
    let (mut fleet, now) = fleet();
    rollout(&mut fleet);
    let mut app = App::new("lab.yaml", Rect::new(0, 0, 110, 30));
    app.rollout_screen = true;
    let terminal = draw(&fleet, &mut app, now);
    insta::assert_snapshot!("rollout_screen", terminal.backend());
    let screen = format!("{}", terminal.backend());
    assert!(
        screen.contains("rollout ntp") && screen.contains("✓ 1 done  ✗ 1 failed"),
        "{screen}"
    );
    assert_eq!(
        app.visible,
        [0, 1, 3, 5, 7],
        "the rollout's devices, canary first"
    );

    // Tiles take the rollout state's colour; the ▲/▼ symbol is still reachability.
    let grid = app.grid(&fleet);
    let buf = terminal.backend().buffer();
    let bg = |index: usize| {
        let r = grid.tile_rect(index / grid.cols, index % grid.cols);
        buf[(r.x + 2, r.y + 1)].bg
    };
    assert_eq!(bg(1), Color::Yellow, "applying");
    assert_eq!(bg(2), Color::Red, "failed");
    assert_eq!(bg(3), Color::DarkGray, "pending");
    assert!(
        screen.contains("▲ config: ntp se"),
        "the step in progress: {screen}"
    );
    assert!(
        screen.contains("▼ failed"),
        "fra-sw03 is down and failed: {screen}"
    );
}

#[test]
fn keys_steer_the_rollout_and_abort_asks_first() {
    let (mut fleet, _) = fleet();
    rollout(&mut fleet);
    let mut app = App::new("t", Rect::new(0, 0, 110, 30));
    app.rollout_screen = true;
    app.refresh(&fleet);
    assert_eq!(
        app.handle(&key(KeyCode::Char('p')), &fleet),
        Action::Control(Control::Pause)
    );
    assert_eq!(
        app.handle(&key(KeyCode::Char('r')), &fleet),
        Action::Control(Control::Resume)
    );
    assert_eq!(
        app.handle(&key(KeyCode::Enter), &fleet),
        Action::Control(Control::Approve)
    );
    assert_eq!(app.handle(&key(KeyCode::Char('a')), &fleet), Action::Redraw);
    assert_eq!(app.asking, Some(Question::Abort));
    assert_eq!(
        app.handle(&key(KeyCode::Char('n')), &fleet),
        Action::Redraw,
        "declined"
    );
    press(&mut app, &fleet, "a");
    assert_eq!(
        app.handle(&key(KeyCode::Char('y')), &fleet),
        Action::Control(Control::Abort)
    );

    // Quitting mid-rollout asks, then aborts and waits for in-flight steps before leaving.
    assert_eq!(app.handle(&key(KeyCode::Char('q')), &fleet), Action::Redraw);
    assert_eq!(app.asking, Some(Question::Quit));
    assert_eq!(
        app.handle(&key(KeyCode::Char('y')), &fleet),
        Action::Control(Control::Abort)
    );
    assert!(
        app.quitting && !app.done_quitting(&fleet),
        "still running: wait"
    );
    assert_eq!(
        app.handle(&key(KeyCode::Char('q')), &fleet),
        Action::Nothing
    );
    ev(
        &mut fleet,
        RolloutEvent::Finished {
            outcome: Outcome::Aborted,
            report: None,
        },
    );
    assert!(app.done_quitting(&fleet), "the abort landed: leave");

    // After the end, q just quits; while waiting, a second Ctrl-C leaves at once.
    let mut app = App::new("t", Rect::new(0, 0, 110, 30));
    app.rollout_screen = true;
    assert_eq!(app.handle(&key(KeyCode::Char('q')), &fleet), Action::Quit);
    app.quitting = true;
    let ctrl_c = crossterm::event::Event::Key(crossterm::event::KeyEvent::new(
        KeyCode::Char('c'),
        crossterm::event::KeyModifiers::CONTROL,
    ));
    assert_eq!(app.handle(&ctrl_c, &fleet), Action::Quit);
}

#[test]
fn details_show_the_checks_and_tab_switches_screens() {
    let (mut fleet, now) = fleet();
    rollout(&mut fleet);
    let mut app = App::new("t", Rect::new(0, 0, 110, 30));
    app.rollout_screen = true;
    app.refresh(&fleet);
    press(&mut app, &fleet, "ll");
    assert_eq!(app.focused, Some(3));
    press(&mut app, &fleet, "d");
    let terminal = draw(&fleet, &mut app, now);
    let screen = format!("{}", terminal.backend());
    assert!(
        screen.contains("post-check `ntp configured` failed"),
        "{screen}"
    );
    assert!(screen.contains("✗ post-check ntp configured"), "{screen}");
    assert!(
        screen.contains("hostname fra-sw03"),
        "the check's output: {screen}"
    );
    press(&mut app, &fleet, "jj");
    assert_eq!(app.details_scroll, 2, "the details scroll");
    let terminal = draw(&fleet, &mut app, now);
    let screen = format!("{}", terminal.backend());
    assert!(
        !screen.contains("wave 2, state"),
        "the first lines scrolled away: {screen}"
    );
    press(&mut app, &fleet, "d");
    assert!(!app.details);
    assert_eq!(
        app.focused,
        Some(3),
        "j and k went to the details, not the tiles"
    );

    app.handle(&key(KeyCode::Tab), &fleet);
    app.refresh(&fleet);
    assert!(!app.rollout_screen);
    assert_eq!(app.visible.len(), 12, "the whole fleet on the dashboard");
    app.handle(&key(KeyCode::Tab), &fleet);
    app.refresh(&fleet);
    assert_eq!(app.visible.len(), 5);
}
