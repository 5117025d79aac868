//! The dashboard rendered into ratatui's `TestBackend`: whole-frame snapshots, and the keys
//! and clicks that change it, edges included.

use std::time::{Duration, Instant};

use crossterm::event::{
    Event as TermEvent, KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier};

use super::*;
use crate::fleet::{Event, FleetConfig, IcmpSocket, ProbeMode, SweepStats};
use crate::testkit;

/// 12 devices, 5 s of history: most up, sw03 and sw08 down, sw05 never answered.
fn fleet() -> (State, Instant) {
    let mut s = testkit::state(12, FleetConfig::default());
    let t0 = s.origin.0;
    s.apply(Event::Mode(ProbeMode::Icmp(IcmpSocket::Raw)));
    for sec in 0..5u64 {
        let at = t0 + Duration::from_secs(sec);
        for d in 0..12 {
            let rtt = match d {
                5 => continue,
                3 | 8 if sec >= 2 => None,
                _ => Some(150 + 40 * d as u64 + 25 * sec),
            };
            s.apply(testkit::probe(d, at, rtt));
        }
        s.apply(Event::SweepDone(SweepStats {
            sweep: sec + 1,
            sent: 12,
            replies: if sec >= 2 { 9 } else { 11 },
            elapsed: Duration::from_millis(4),
            pace: None,
        }));
    }
    (s, t0 + Duration::from_secs(65))
}

fn draw(fleet: &State, app: &mut App, now: Instant) -> Terminal<TestBackend> {
    app.refresh(fleet);
    let mut terminal =
        Terminal::new(TestBackend::new(app.screen.width, app.screen.height)).unwrap();
    terminal.draw(|f| view(f, fleet, app, now)).unwrap();
    terminal
}

fn key(code: KeyCode) -> TermEvent {
    TermEvent::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn press(app: &mut App, fleet: &State, keys: &str) {
    for c in keys.chars() {
        app.handle(&key(KeyCode::Char(c)), fleet);
    }
}

fn focused_name(app: &App, fleet: &State) -> String {
    fleet.inventory.devices[app.focused.unwrap()].name.clone()
}

#[test]
fn dashboard_frame() {
    let (fleet, now) = fleet();
    let mut app = App::new("lab.yaml", Rect::new(0, 0, 110, 28));
    let terminal = draw(&fleet, &mut app, now);
    insta::assert_snapshot!(terminal.backend());
}

#[test]
fn tiles_are_coloured_by_state_and_focus_is_reversed() {
    let (fleet, now) = fleet();
    let mut app = App::new("lab.yaml", Rect::new(0, 0, 110, 28));
    let terminal = draw(&fleet, &mut app, now);
    let grid = app.grid(&fleet);
    let buf = terminal.backend().buffer();
    let cell_of = |index: usize| {
        let r = grid.tile_rect(index / grid.cols, index % grid.cols);
        buf[(r.x + 1, r.y)].clone()
    };
    let order = |name: &str| {
        app.visible
            .iter()
            .position(|&id| fleet.inventory.devices[id].name == name)
            .unwrap()
    };
    assert_eq!(cell_of(order("ams-sw00")).bg, Color::Green);
    assert!(
        cell_of(order("ams-sw00"))
            .modifier
            .contains(Modifier::REVERSED),
        "focused"
    );
    assert_eq!(cell_of(order("fra-sw03")).bg, Color::Red);
    assert!(
        !cell_of(order("fra-sw03"))
            .modifier
            .contains(Modifier::REVERSED)
    );
    assert_eq!(cell_of(order("fra-sw05")).bg, Color::DarkGray);
}

#[test]
fn narrow_terminal_hides_detail_and_scrolls_to_focus() {
    let (fleet, now) = fleet();
    let mut app = App::new("lab.yaml", Rect::new(0, 0, 40, 14));
    app.refresh(&fleet);
    let grid = app.grid(&fleet);
    assert_eq!((grid.cols, grid.rows), (2, 3));
    app.handle(&key(KeyCode::End), &fleet);
    assert_eq!(focused_name(&app, &fleet), "fra-sw11");
    let terminal = draw(&fleet, &mut app, now);
    insta::assert_snapshot!(terminal.backend());
    // The last row holds fra-sw11: scrolled so it is the bottom visible row.
    assert_eq!(app.scroll, 12 / 2 - 3);
}

#[test]
fn focus_moves_and_stops_at_the_edges() {
    let (fleet, _) = fleet();
    let mut app = App::new("t", Rect::new(0, 0, 110, 28));
    app.refresh(&fleet);
    let cols = app.grid(&fleet).cols;
    assert_eq!(focused_name(&app, &fleet), "ams-sw00");
    app.handle(&key(KeyCode::Left), &fleet);
    app.handle(&key(KeyCode::Up), &fleet);
    assert_eq!(
        focused_name(&app, &fleet),
        "ams-sw00",
        "no wrap past the first tile"
    );
    press(&mut app, &fleet, "l");
    assert_eq!(app.focus_index(), Some(1));
    press(&mut app, &fleet, "j");
    assert_eq!(app.focus_index(), Some(1 + cols));
    press(&mut app, &fleet, "G");
    assert_eq!(app.focus_index(), Some(11));
    press(&mut app, &fleet, "lj");
    assert_eq!(app.focus_index(), Some(11), "no wrap past the last tile");
    app.handle(&key(KeyCode::PageUp), &fleet);
    press(&mut app, &fleet, "g");
    assert_eq!(app.focus_index(), Some(0));
}

#[test]
fn filter_by_pattern_then_text_then_clear() {
    let (fleet, now) = fleet();
    let mut app = App::new("lab.yaml", Rect::new(0, 0, 110, 28));
    app.refresh(&fleet);
    press(&mut app, &fleet, "/fra");
    assert!(app.filter_input.is_some());
    assert_eq!(app.visible.len(), 6, "filters as you type: group fra");
    app.handle(&key(KeyCode::Enter), &fleet);
    assert!(app.filter_input.is_none());
    assert!(matches!(app.filter, Filter::Pattern { .. }));
    let terminal = draw(&fleet, &mut app, now);
    insta::assert_snapshot!(terminal.backend());

    // Not a pattern that selects anything: plain text over names, hosts, tags.
    press(&mut app, &fleet, "/");
    for _ in 0..3 {
        app.handle(&key(KeyCode::Backspace), &fleet);
    }
    press(&mut app, &fleet, "127.20.0.1");
    app.handle(&key(KeyCode::Enter), &fleet);
    assert!(matches!(app.filter, Filter::Text { .. }));
    // 127.20.0.1, .10, .11, .12
    assert_eq!(app.visible.len(), 4);

    press(&mut app, &fleet, "/zzz");
    app.handle(&key(KeyCode::Enter), &fleet);
    assert!(app.visible.is_empty());
    let terminal = draw(&fleet, &mut app, now);
    let text = format!("{}", terminal.backend());
    assert!(text.contains("no device matches the filter"));

    app.handle(&key(KeyCode::Esc), &fleet);
    assert_eq!(app.filter, Filter::None);
    assert_eq!(app.visible.len(), 12);
}

#[test]
fn q_in_the_filter_prompt_types_but_ctrl_c_quits() {
    let (fleet, _) = fleet();
    let mut app = App::new("t", Rect::new(0, 0, 110, 28));
    app.refresh(&fleet);
    press(&mut app, &fleet, "/");
    assert_eq!(app.handle(&key(KeyCode::Char('q')), &fleet), Action::Redraw);
    assert_eq!(app.filter_input.as_deref(), Some("q"));
    let ctrl_c = TermEvent::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    assert_eq!(app.handle(&ctrl_c, &fleet), Action::Quit);
    app.filter_input = None;
    assert_eq!(app.handle(&key(KeyCode::Char('q')), &fleet), Action::Quit);
}

#[test]
fn sort_cycles_and_state_puts_down_first() {
    let (fleet, _) = fleet();
    let mut app = App::new("t", Rect::new(0, 0, 110, 28));
    app.refresh(&fleet);
    press(&mut app, &fleet, "s");
    assert_eq!(app.sort, SortKey::State);
    let names: Vec<&str> = app
        .visible
        .iter()
        .map(|&id| fleet.inventory.devices[id].name.as_str())
        .collect();
    assert_eq!(&names[..3], ["ams-sw08", "fra-sw03", "fra-sw05"]);
    press(&mut app, &fleet, "s");
    assert_eq!(app.sort, SortKey::Rtt);
    press(&mut app, &fleet, "ss");
    assert_eq!(app.sort, SortKey::Name, "wraps around");
}

#[test]
fn click_focuses_the_tile_under_the_pointer() {
    let (fleet, _) = fleet();
    let mut app = App::new("t", Rect::new(0, 0, 110, 28));
    app.refresh(&fleet);
    let grid = app.grid(&fleet);
    let r = grid.tile_rect(1, 2);
    let click = |x, y| {
        TermEvent::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: x,
            row: y,
            modifiers: KeyModifiers::NONE,
        })
    };
    assert_eq!(app.handle(&click(r.x + 3, r.y + 1), &fleet), Action::Redraw);
    assert_eq!(app.focus_index(), Some(grid.cols + 2));
    // The gap between tiles is not a tile.
    assert_eq!(
        app.handle(&click(r.x + r.width, r.y), &fleet),
        Action::Nothing
    );
    assert_eq!(app.focus_index(), Some(grid.cols + 2));
}

#[test]
fn help_overlay_and_tcp_fallback_hint() {
    let (mut fleet, now) = fleet();
    fleet.apply(Event::Mode(ProbeMode::TcpFallback {
        reason: "permission denied".into(),
        enable: "sudo sysctl -w net.ipv4.ping_group_range=\"0 2147483647\"".into(),
    }));
    let mut app = App::new("lab.yaml", Rect::new(0, 0, 110, 30));
    press(&mut app, &fleet, "?");
    assert!(app.help);
    let terminal = draw(&fleet, &mut app, now);
    insta::assert_snapshot!(terminal.backend());
    press(&mut app, &fleet, "x");
    assert!(!app.help, "any key closes help");
}

mod backup;
mod commands;
mod dense;
mod first_contact;
mod history;
mod remote;
mod run_tools;
mod sizes;

mod rollout;

/// The status bar counts the devices probed through a bastion, and the detail pane says how
/// the focused one is probed and through which hops.
#[test]
fn probes_through_a_bastion_are_named_in_the_status_bar_and_the_detail_pane() {
    let frame_text = |yaml: &str| {
        let inventory = crate::inventory::Inventory::from_yaml(yaml, "t").unwrap();
        let mut fleet = State::new(
            std::sync::Arc::new(inventory),
            FleetConfig::default(),
            testkit::origin(),
        );
        fleet.apply(Event::Mode(ProbeMode::Icmp(IcmpSocket::Raw)));
        let now = fleet.origin.0;
        let mut app = App::new("t", Rect::new(0, 0, 220, 30));
        let terminal = draw(&fleet, &mut app, now);
        let buf = terminal.backend().buffer();
        let text: Vec<String> = (buf.content.chunks(220))
            .map(|row| row.iter().map(|c| c.symbol()).collect())
            .collect();
        text.join("\n")
    };
    let mixed = frame_text(
        "devices:\n  - {name: b1, host: 127.0.0.1}\n  - {name: web, host: 127.0.0.2, probe: 'tcp:80'}\n\
         \x20 - {name: d1, host: 10.0.0.1, jump: b1}\n  - {name: d2, host: 10.0.0.2, jump: b1}\n",
    );
    assert!(
        mixed.contains("probe: ICMP (raw socket) ×1, TCP ×1, via bastion ×2"),
        "{mixed}"
    );
    let behind = frame_text(
        "devices:\n  - {name: d2, host: 10.0.0.2, port: 2222, jump: ['b1', 'ops@127.0.0.9']}\n",
    );
    assert!(behind.contains("probe: via bastion"), "{behind}");
    assert!(
        behind.contains("probe    tcp:2222 via ops@127.0.0.9 (direct-tcpip)"),
        "{behind}"
    );
    assert!(behind.contains("jump     b1 → ops@127.0.0.9"), "{behind}");
}
