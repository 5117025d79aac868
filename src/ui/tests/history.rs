//! The session as a history: the full-screen log (`L`: times, kinds, the focused device,
//! search, folded host keys) and the list of runs (`R`), each reopened.

use std::time::Duration;

use crossterm::event::KeyCode;
use ratatui::layout::Rect;

use super::{draw, fleet, key, press};
use crate::fleet::{Command, Event, RUNS_KEPT, State};
use crate::rollout::event::RolloutEvent;
use crate::ui::App;

fn screen(fleet: &State, app: &mut App, now: std::time::Instant) -> String {
    format!("{}", draw(fleet, app, now).backend())
}

/// 60 host keys learned into one file, a rollout line, a run.
fn history(fleet: &mut State) {
    let t0 = fleet.origin.0;
    for i in 0..60 {
        fleet.apply(Event::Notice {
            at: t0 + Duration::from_secs(6),
            text: format!(
                "learned new host key of 127.20.0.{i}:22 (ssh-ed25519 SHA256:k{i}) into /st/kh"
            ),
        });
    }
    fleet.apply(Event::Rollout(RolloutEvent::Log {
        at: t0 + Duration::from_secs(7),
        device: Some(3),
        text: "rolling back".into(),
    }));
    let run = Command::Run {
        run: 1,
        devices: vec![0, 3],
        command: "show clock".into(),
    };
    fleet.record(&run, t0 + Duration::from_secs(8));
}

#[test]
fn the_full_log_has_times_kinds_search_and_the_folded_host_keys() {
    let (mut fleet, now) = fleet();
    history(&mut fleet);
    let mut app = App::new("t", Rect::new(0, 0, 110, 30));
    let dashboard = screen(&fleet, &mut app, now);
    assert!(
        dashboard.contains("learned 60 new host keys into /st/kh (L lists them)"),
        "one line, not sixty: {dashboard}"
    );
    press(&mut app, &fleet, "L");
    let log = screen(&fleet, &mut app, now);
    for line in [
        "12:00:00 probe     probe: ICMP (raw socket)",
        "12:00:03 up/down   fra-sw03 up → down: 2 lost",
        "12:00:06 host keys learned 60 new host keys into /st/kh  [Enter lists them]",
        "12:00:07 rollout   fra-sw03: rolling back",
        "12:00:08 runs      run #1: `show clock` on 2 devices",
    ] {
        assert!(log.contains(line), "{line:?} in {log}");
    }

    // Search: the first match after the newest line wraps to the top; n and N walk on.
    press(&mut app, &fleet, "/down");
    app.handle(&key(KeyCode::Enter), &fleet);
    let selected = |app: &App| app.log_view.as_ref().unwrap().selected;
    let shown = |app: &App| app.log_view.as_ref().unwrap().shown(&fleet);
    let text = |app: &App| fleet.log[shown(app)[selected(app).unwrap()]].text.clone();
    assert!(
        text(&app).starts_with("fra-sw03 up → down"),
        "{}",
        text(&app)
    );
    press(&mut app, &fleet, "n");
    assert!(
        text(&app).starts_with("ams-sw08 up → down"),
        "{}",
        text(&app)
    );
    press(&mut app, &fleet, "n");
    assert!(text(&app).starts_with("fra-sw03"), "wraps: {}", text(&app));
    press(&mut app, &fleet, "N");
    assert!(text(&app).starts_with("ams-sw08"), "{}", text(&app));

    // Enter on the folded line lists every key, the count first.
    press(&mut app, &fleet, "/host keys");
    app.handle(&key(KeyCode::Enter), &fleet);
    app.handle(&key(KeyCode::Enter), &fleet);
    let open = screen(&fleet, &mut app, now);
    assert!(
        open.contains("learned 60 new host keys into /st/kh"),
        "{open}"
    );
    assert!(
        open.contains("127.20.0.0:22 (ssh-ed25519 SHA256:k0)"),
        "{open}"
    );
    app.handle(&key(KeyCode::End), &fleet);
    let end = screen(&fleet, &mut app, now);
    assert!(
        end.contains("127.20.0.59:22 (ssh-ed25519 SHA256:k59)"),
        "{end}"
    );
    app.handle(&key(KeyCode::Esc), &fleet);
    assert!(
        app.log_view.as_ref().unwrap().open.is_none(),
        "Esc closes the list"
    );

    // t: one kind at a time; d: the focused device (ams-sw00 in the run, fra-sw03 not).
    press(&mut app, &fleet, "t");
    let reach = screen(&fleet, &mut app, now);
    assert!(
        reach.contains("kind: up/down") && !reach.contains("ICMP available"),
        "{reach}"
    );
    assert_eq!(shown(&app).len(), 2, "two devices went down");
    for _ in 0..LOG_KINDS {
        press(&mut app, &fleet, "t");
    }
    assert!(
        app.log_view.as_ref().unwrap().kind.is_none(),
        "t cycles back to all"
    );
    press(&mut app, &fleet, "d");
    let device = screen(&fleet, &mut app, now);
    assert!(device.contains("device: ams-sw00"), "{device}");
    assert!(
        device.contains("run #1") && !device.contains("fra-sw03 up"),
        "{device}"
    );

    // Home, PgDn, End, then Esc back to the tiles.
    press(&mut app, &fleet, "d");
    app.handle(&key(KeyCode::Home), &fleet);
    assert_eq!(selected(&app), Some(0));
    app.handle(&key(KeyCode::PageDown), &fleet);
    assert_eq!(
        selected(&app),
        Some(shown(&app).len() - 1),
        "clamped at the end"
    );
    app.handle(&key(KeyCode::PageUp), &fleet);
    assert_eq!(selected(&app), Some(0));
    app.handle(&key(KeyCode::End), &fleet);
    assert_eq!(selected(&app), None, "End follows the newest");
    app.handle(&key(KeyCode::Esc), &fleet);
    assert!(app.log_view.is_none());
}

const LOG_KINDS: usize = crate::fleet::LogKind::ALL.len();

#[test]
fn the_runs_of_the_session_are_listed_and_reopened() {
    let (mut fleet, now) = fleet();
    let mut app = App::new("t", Rect::new(0, 0, 110, 30));
    press(&mut app, &fleet, "R");
    assert!(screen(&fleet, &mut app, now).contains("no command has run yet"));
    app.handle(&key(KeyCode::Esc), &fleet);
    let total = RUNS_KEPT as u64 + 3;
    for run in 1..=total {
        let command = Command::Run {
            run,
            devices: vec![0],
            command: format!("show run {run}"),
        };
        fleet.record(&command, now);
    }
    fleet.record(&Command::Cancel { run: total - 1 }, now);
    press(&mut app, &fleet, "R");
    let list = screen(&fleet, &mut app, now);
    assert!(
        list.contains(&format!("{total} this session (the last {RUNS_KEPT} are kept with their outputs; 3 older dropped)")),
        "{list}"
    );
    assert!(
        list.contains(&format!("#{total}  12:01:05  show run {total}")),
        "{list}"
    );
    assert!(
        list.contains("on 1 device  ✓ 0 ⟳ 1  0.0s  cancelling…"),
        "{list}"
    );
    press(&mut app, &fleet, "j");
    app.handle(&key(KeyCode::Enter), &fleet);
    assert_eq!(app.run_view.as_ref().map(|v| v.run), Some(total - 1));
    assert!(app.runs_view.is_none());
    let run = screen(&fleet, &mut app, now);
    assert!(run.contains(&format!("show run {}", total - 1)), "{run}");
    app.handle(&key(KeyCode::Char('q')), &fleet);
    press(&mut app, &fleet, "r");
    assert_eq!(
        app.run_view.as_ref().map(|v| v.run),
        Some(total),
        "r still reopens the last run"
    );
}

/// A log far longer than the screen: the selection is always on screen, at both ends and
/// after a search jump, and Ctrl-C quits from the log as from the tiles.
#[test]
fn a_long_log_scrolls_to_the_selection() {
    let (mut fleet, now) = fleet();
    for i in 0..300 {
        fleet.apply(Event::Notice {
            at: fleet.origin.0 + Duration::from_secs(10 + i),
            text: format!("notice number {i:03}"),
        });
    }
    let mut app = App::new("t", Rect::new(0, 0, 80, 24));
    press(&mut app, &fleet, "L");
    let end = screen(&fleet, &mut app, now);
    assert!(
        end.contains("notice number 299") && !end.contains("number 250"),
        "{end}"
    );
    app.handle(&key(KeyCode::Home), &fleet);
    let top = screen(&fleet, &mut app, now);
    assert!(
        top.contains("probe: ICMP (raw socket)") && !top.contains("number 299"),
        "{top}"
    );
    press(&mut app, &fleet, "/number 150");
    app.handle(&key(KeyCode::Enter), &fleet);
    let found = screen(&fleet, &mut app, now);
    assert!(found.contains("notice number 150"), "{found}");
    app.handle(&key(KeyCode::PageUp), &fleet);
    assert!(screen(&fleet, &mut app, now).contains("notice number 13"));
    let ctrl_c = crossterm::event::KeyEvent::new(
        KeyCode::Char('c'),
        crossterm::event::KeyModifiers::CONTROL,
    );
    assert_eq!(
        app.handle(&crossterm::event::Event::Key(ctrl_c), &fleet),
        crate::ui::Action::Quit
    );
}
