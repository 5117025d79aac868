//! What a newcomer meets first: the filter says whether it is a pattern or a text search
//! (and why not a pattern), modifier chords act as their plain key, and the monochrome theme.

use crossterm::event::KeyCode;
use ratatui::layout::Rect;

use super::{draw, fleet, key, press};
use crate::ui::{App, Filter};

/// The footer's line of a frame.
fn footer(terminal: &ratatui::Terminal<ratatui::backend::TestBackend>) -> String {
    let buffer = terminal.backend().buffer();
    let y = buffer.area.height - 1;
    (0..buffer.area.width)
        .map(|x| buffer[(x, y)].symbol())
        .collect()
}

#[test]
fn a_text_that_is_no_pattern_is_a_text_search_that_says_why() {
    let (fleet, now) = fleet();
    // (typed, devices shown, what the footer says while typing and after Enter)
    let cases = [
        ("fra", 6, "pattern fra (6 devices)"),
        (
            "tag:role",
            0,
            "text search \"tag:role\" (not a pattern: `tag:role` needs a value",
        ),
        (
            "fra-[a",
            0,
            "text search \"fra-[a\" (not a pattern: bad glob",
        ),
        (
            "core",
            0,
            "text search \"core\" (not a pattern: no group, device or tag matches `core`)",
        ),
        (
            "fra:&nosuch",
            0,
            "not a pattern: no group, device or tag matches `nosuch`)",
        ),
        ("sw1", 2, "text search \"sw1\" (not a pattern"),
    ];
    for (typed, shown, says) in cases {
        let mut app = App::new("lab.yaml", Rect::new(0, 0, 200, 28));
        app.refresh(&fleet);
        press(&mut app, &fleet, "/");
        press(&mut app, &fleet, typed);
        let line = footer(&draw(&fleet, &mut app, now));
        assert!(line.contains(says), "{typed}: while typing: {line}");
        app.handle(&key(KeyCode::Enter), &fleet);
        assert_eq!(app.visible.len(), shown, "{typed}");
        assert_eq!(
            matches!(app.filter, Filter::Pattern { .. }),
            says.starts_with("pattern"),
            "{typed}"
        );
        let line = footer(&draw(&fleet, &mut app, now));
        assert!(line.contains(says), "{typed}: kept: {line}");
    }
}

#[test]
fn the_mono_theme_has_no_colour_and_every_state_still_shows() {
    use ratatui::style::{Color, Modifier};

    use crate::ui::theme::Theme;

    let (fleet, now) = fleet();
    let mut app = App::new("lab.yaml", Rect::new(0, 0, 110, 28));
    app.theme = Theme::Mono;
    app.refresh(&fleet);
    press(&mut app, &fleet, " l ");
    let terminal = draw(&fleet, &mut app, now);
    let buffer = terminal.backend().buffer();
    for cell in &buffer.content {
        assert_eq!(
            (cell.fg, cell.bg, cell.underline_color),
            (Color::Reset, Color::Reset, Color::Reset),
            "{cell:?}"
        );
    }
    // Symbols and modifiers tell the states apart: a down tile is bold, an unknown one dim,
    // the focus reversed, marks ●.
    let cell_of = |name: &str| {
        let text = format!("{}", terminal.backend());
        let (y, line) = text
            .lines()
            .enumerate()
            .find(|(_, l)| l.contains(name))
            .unwrap_or_else(|| panic!("{name} on screen"));
        // `Display` of the backend quotes each line: one column less.
        let x = line[..line.find(name).unwrap()].chars().count() - 1;
        buffer[(x as u16, y as u16)].clone()
    };
    assert!(cell_of("fra-sw03").modifier.contains(Modifier::BOLD));
    assert!(cell_of("fra-sw05").modifier.contains(Modifier::DIM));
    // A thread drawing in colour next to this one is not affected.
    app.theme = Theme::Colour;
    let colour = draw(&fleet, &mut app, now);
    assert!(
        colour
            .backend()
            .buffer()
            .content
            .iter()
            .any(|c| c.bg != Color::Reset)
    );
    app.theme = Theme::Mono;
    insta::assert_snapshot!(format!(
        "{:?}",
        draw(&fleet, &mut app, now).backend().buffer()
    ));
}

#[test]
fn a_chord_is_not_its_plain_key_and_ctrl_l_repaints() {
    use crossterm::event::{Event as TermEvent, KeyEvent, KeyModifiers};

    use crate::ui::{Action, SortKey};

    let (fleet, _) = fleet();
    let chord = |c: char, m: KeyModifiers| TermEvent::Key(KeyEvent::new(KeyCode::Char(c), m));
    let (ctrl, alt) = (KeyModifiers::CONTROL, KeyModifiers::ALT);
    let cases = [
        (chord('a', ctrl), Action::Nothing),
        (chord('s', ctrl), Action::Nothing),
        (chord('l', alt), Action::Nothing),
        (chord('j', alt), Action::Nothing),
        (chord('a', alt), Action::Nothing),
        (chord('G', ctrl | KeyModifiers::SHIFT), Action::Nothing),
        (chord('?', alt), Action::Nothing),
        (chord(':', ctrl), Action::Nothing),
        (chord('l', ctrl), Action::Repaint),
        (chord('L', ctrl | KeyModifiers::SHIFT), Action::Nothing),
    ];
    for (input, expected) in cases {
        let mut app = App::new("lab.yaml", Rect::new(0, 0, 110, 28));
        app.refresh(&fleet);
        press(&mut app, &fleet, "l");
        let before = (app.focus_index(), app.sort, app.marks.len());
        assert_eq!(app.handle(&input, &fleet), expected, "{input:?}");
        assert_eq!(
            (app.focus_index(), app.sort, app.marks.len()),
            before,
            "{input:?}"
        );
        assert!(!app.help && app.filter_input.is_none() && !app.command_line.is_open());
        assert_eq!(app.sort, SortKey::Name);
    }
    // Ctrl-C still quits; the prompts keep their own chords (Ctrl-U clears the line).
    let mut app = App::new("lab.yaml", Rect::new(0, 0, 110, 28));
    app.refresh(&fleet);
    assert_eq!(app.handle(&chord('c', ctrl), &fleet), Action::Quit);
    press(&mut app, &fleet, "/fra");
    app.handle(&chord('u', ctrl), &fleet);
    assert_eq!(app.filter_input.as_deref(), Some(""));
}
