//! The dense view: what fits, how it is laid out and grouped, symbols that read without
//! colour, and focus, marks, clicks and the footer working as on the tiles.

use super::*;

fn text_of(terminal: &Terminal<TestBackend>) -> String {
    let buf = terminal.backend().buffer();
    let width = usize::from(buf.area.width);
    let rows: Vec<String> = (buf.content.chunks(width))
        .map(|row| row.iter().map(|c| c.symbol()).collect())
        .collect();
    rows.join("\n")
}

fn dense_app(fleet: &State, width: u16, height: u16) -> App {
    let mut app = App::new("lab.yaml", Rect::new(0, 0, width, height));
    app.refresh(fleet);
    app.handle(&key(KeyCode::Char('z')), fleet);
    assert!(app.dense);
    app
}

/// `n` devices, all up but every 97th down.
fn big_fleet(n: usize) -> State {
    let mut s = testkit::state(n, FleetConfig::default());
    let t0 = s.origin.0;
    for sec in 0..2u64 {
        for d in 0..n {
            let rtt = (d % 97 != 5).then_some(200);
            s.apply(testkit::probe(d, t0 + Duration::from_secs(sec), rtt));
        }
    }
    s
}

#[test]
fn ten_thousand_fit_on_250x80_and_a_thousand_on_80x24() {
    for (n, width, height) in [(10_000, 250, 80), (1_000, 80, 24)] {
        let mut fleet = big_fleet(n);
        // At the default rate cap a sweep of 10,000 takes 5 s: the header says so.
        fleet.apply(Event::SweepDone(SweepStats {
            sweep: 2,
            sent: n,
            replies: n,
            elapsed: Duration::from_millis(n as u64 / 2 + 12),
            pace: Some(2_000),
        }));
        let mut app = dense_app(&fleet, width, height);
        let map = app.dense_map(&fleet);
        assert_eq!(map.cell, 1, "{n}: one cell a device");
        assert!(
            map.lines.len() <= map.rows(),
            "{n} devices on {width}×{height}: {} lines for {} rows",
            map.lines.len(),
            map.rows()
        );
        // The last device is on screen without scrolling.
        app.handle(&key(KeyCode::End), &fleet);
        assert_eq!(app.scroll, 0, "{n}");
        let terminal = draw(&fleet, &mut app, fleet.origin.0);
        let text = text_of(&terminal);
        if n == 10_000 {
            let why = "10,000 devices at 2,000/s: a sweep takes 5s, not 1s; --rate to change";
            assert!(text.contains(why), "{text}");
        }
        // Every down device shows in the map.
        let area = app.dense_map(&fleet).area;
        let rows = text.lines().skip(area.y.into()).take(area.height.into());
        let downs: usize = rows.map(|row| row.matches('▼').count()).sum();
        assert_eq!(downs, n / 97 + usize::from(n % 97 > 5), "{n}");
    }
}

#[test]
fn dense_frame_flat_then_grouped_by_site() {
    let (mut fleet, now) = fleet();
    // fra-sw07 flaps: down, up, down, up within five minutes.
    let t = now - Duration::from_secs(60);
    for (i, rtt) in [None, None, Some(200), None, None, Some(200)]
        .into_iter()
        .enumerate()
    {
        fleet.apply(testkit::probe(7, t + Duration::from_secs(i as u64), rtt));
    }
    let mut app = dense_app(&fleet, 60, 16);
    press(&mut app, &fleet, "l ");
    let terminal = draw(&fleet, &mut app, now);
    let flat = text_of(&terminal);
    insta::assert_snapshot!("dense_flat", flat);
    // Two cells a device when they fit; down ▼, unknown ?, flapping ~, marked ●.
    let line = flat.lines().nth(1).unwrap();
    // ams-sw00…10 then fra-sw01…11; ams-sw08 and fra-sw03 down, fra-sw05 never answered.
    assert!(line.starts_with("· ● · · ▼ · · ▼ ? ~ · ·"), "{line}");
    assert!(
        flat.contains("ams-sw02 ▲"),
        "the footer names the focus: {flat}"
    );

    press(&mut app, &fleet, "Z");
    assert_eq!(app.dense_by, GroupBy::Site);
    let terminal = draw(&fleet, &mut app, now);
    let grouped = text_of(&terminal);
    insta::assert_snapshot!("dense_by_site", grouped);
    assert!(grouped.contains("ams (6 · ▼1)"), "{grouped}");
    assert!(grouped.contains("fra (6 · ▼1)"), "{grouped}");
    // The focus and the mark stayed on their device.
    assert_eq!(focused_name(&app, &fleet), "ams-sw02");
    assert_eq!(app.marks.len(), 1);
}

#[test]
fn cells_are_coloured_by_state_focus_reversed_marks_underlined() {
    let (fleet, now) = fleet();
    let mut app = dense_app(&fleet, 60, 16);
    press(&mut app, &fleet, "llll ");
    let terminal = draw(&fleet, &mut app, now);
    let map = app.dense_map(&fleet);
    let buf = terminal.backend().buffer();
    let cell = |index: usize| buf[(map.area.x + index as u16 * map.cell, map.area.y)].clone();
    assert_eq!(cell(0).bg, Color::Green);
    assert_eq!(cell(4).bg, Color::Red, "ams-sw08 is down");
    assert_eq!(cell(8).bg, Color::DarkGray, "fra-sw05 never answered");
    assert!(cell(4).modifier.contains(Modifier::REVERSED), "focused");
    assert!(cell(4).modifier.contains(Modifier::UNDERLINED), "marked");
    assert_eq!(
        cell(4).symbol(),
        "▼",
        "a marked down device still reads down"
    );
    assert!(!cell(0).modifier.contains(Modifier::REVERSED));
}

#[test]
fn focus_moves_by_line_keeps_the_column_and_stops_at_the_edges() {
    let fleet = big_fleet(100);
    // 20 columns wide: 10 devices a line at two cells, or 20 at one.
    let mut app = dense_app(&fleet, 20, 14);
    let map = app.dense_map(&fleet);
    let cols = map.cols;
    press(&mut app, &fleet, "lll");
    assert_eq!(app.focus_index(), Some(3));
    press(&mut app, &fleet, "j");
    assert_eq!(app.focus_index(), Some(3 + cols));
    press(&mut app, &fleet, "kkk");
    assert_eq!(app.focus_index(), Some(3), "no wrap past the first line");
    press(&mut app, &fleet, "G");
    assert_eq!(app.focus_index(), Some(99));
    press(&mut app, &fleet, "jl");
    assert_eq!(app.focus_index(), Some(99), "no wrap past the last device");
    app.handle(&key(KeyCode::PageUp), &fleet);
    // A page up from the last line of five: the first line, same column.
    assert_eq!(app.focus_index(), Some(cols - 1));

    // Grouped: 50 ams, 50 fra, each from a fresh line under its heading. Down from the
    // last ams line lands on fra's first line, same column, skipping the heading.
    press(&mut app, &fleet, "Z");
    let map = app.dense_map(&fleet);
    let ams_last_line = (50 - 1) / map.cols;
    press(&mut app, &fleet, "g");
    for _ in 0..ams_last_line {
        press(&mut app, &fleet, "j");
    }
    press(&mut app, &fleet, "l");
    let here = app.focus_index().unwrap();
    assert_eq!(here, ams_last_line * map.cols + 1);
    press(&mut app, &fleet, "j");
    assert_eq!(app.focus_index(), Some(50 + 1));
    assert!(focused_name(&app, &fleet).starts_with("fra-"));
    // Scrolled so the focus is on screen, the heading of its group with it when it can.
    let (line, _) = map.locate(51).unwrap();
    assert!(line >= app.scroll && line < app.scroll + map.rows());
}

#[test]
fn mark_range_and_run_on_marked_from_the_dense_view() {
    let (fleet, _) = fleet();
    let mut app = dense_app(&fleet, 60, 16);
    press(&mut app, &fleet, " lllv");
    assert_eq!(app.marks.len(), 4);
    press(&mut app, &fleet, ":show clock");
    let action = app.handle(&key(KeyCode::Enter), &fleet);
    let Action::Send(Command::Run { devices, .. }) = action else {
        panic!("{action:?}")
    };
    let names: Vec<&str> = (devices.iter())
        .map(|&d| fleet.inventory.devices[d].name.as_str())
        .collect();
    assert_eq!(names, ["ams-sw00", "ams-sw02", "ams-sw04", "ams-sw06"]);
}

#[test]
fn click_focuses_the_cell_under_the_pointer() {
    let (fleet, _) = fleet();
    let mut app = dense_app(&fleet, 60, 16);
    let map = app.dense_map(&fleet);
    let click = |x, y| {
        TermEvent::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: x,
            row: y,
            modifiers: KeyModifiers::NONE,
        })
    };
    let (x, y) = (map.area.x + 4 * map.cell, map.area.y);
    assert_eq!(app.handle(&click(x, y), &fleet), Action::Redraw);
    assert_eq!(app.focus_index(), Some(4));
    // Past the last device of the line: nothing.
    let past = map.area.x + 12 * map.cell;
    assert_eq!(app.handle(&click(past, y), &fleet), Action::Nothing);
    assert_eq!(app.focus_index(), Some(4));
}

#[test]
fn filter_and_sort_apply_to_the_dense_view_and_z_goes_back_to_tiles() {
    let (fleet, _) = fleet();
    let mut app = dense_app(&fleet, 60, 16);
    press(&mut app, &fleet, "/fra");
    app.handle(&key(KeyCode::Enter), &fleet);
    assert_eq!(app.visible.len(), 6);
    assert_eq!(app.dense_map(&fleet).lines.len(), 1);
    press(&mut app, &fleet, "s");
    let first = fleet.inventory.devices[app.visible[0]].name.as_str();
    assert_eq!(first, "fra-sw03", "down first");
    press(&mut app, &fleet, "z");
    assert!(!app.dense);
    assert_eq!(app.visible.len(), 6, "the filter stays");
}

/// The "▼ 3 down, off-screen ↓" pointer counts what the dense view's scrolled lines hide,
/// not what a page of tiles would.
#[test]
fn down_devices_off_screen_are_counted_by_the_dense_lines_shown() {
    let fleet = big_fleet(400);
    // 20×14: eight lines of 20 cells; grouped, each site is a heading and 10 lines.
    let mut app = dense_app(&fleet, 20, 14);
    press(&mut app, &fleet, "Z");
    let map = app.dense_map(&fleet);
    assert_eq!((map.cols, map.rows(), map.lines.len()), (20, 8, 22));
    // Shown: ams's heading and its first 140 devices. ams-sw102 (the 52nd) is among them;
    // ams-sw296 (the 149th) and fra-sw005, 199, 393 are below.
    assert_eq!(app.down_off_screen(&fleet), (0, 4));
    // At the end: fra's last 160 devices; fra-sw005 (its 3rd) and ams's two are above.
    press(&mut app, &fleet, "G");
    assert_eq!(app.down_off_screen(&fleet), (3, 0));
}

/// The dense view writes its symbols straight into one cell each: every one must be one
/// column wide, or it would spill into the neighbour's cell.
#[test]
fn every_dense_symbol_is_one_column_wide() {
    use crate::fleet::Reach;
    let symbols = [
        theme::symbol(Reach::Up),
        theme::symbol(Reach::Down),
        theme::symbol(Reach::Unknown),
        theme::FLAPPING,
        theme::SSH_PROBLEM,
        theme::MARK,
        theme::DENSE_UP,
    ];
    for symbol in symbols {
        assert_eq!(ratatui::text::Span::raw(symbol).width(), 1, "{symbol:?}");
    }
}
