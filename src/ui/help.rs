//! The `?` overlay.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::theme;

const KEYS: &[(&str, &str)] = &[
    ("←↓↑→ / hjkl", "move focus"),
    ("PgUp/Dn g G", "page; first / last device"),
    ("click", "focus a tile"),
    ("/", "filter: host pattern or text"),
    ("Esc", "clear the filter"),
    ("s", "sort: name, state, rtt, last change"),
    (
        "z / Z",
        "dense view, a cell a device / group it: site, group",
    ),
    ("space / v", "mark the focus / a range from the last mark"),
    ("a / A", "mark all shown / no device"),
    (":", "run on the marked (or focused); :backup, :cabling F"),
    (":!cmd", "send cmd as typed (:!q sends q to the devices)"),
    ("r / R", "show the last run / the runs of this session"),
    ("L", "the whole log: / search, n/N, t kind, d device, Enter"),
    (
        "i Enter",
        "the focus's detail, where there is no room beside",
    ),
    (
        "run view",
        "/ n N search · w write to a file · y copy (OSC 52)",
    ),
    (
        "Esc Ctrl-C",
        "run view: cancel the run; a second Ctrl-C quits",
    ),
    (
        "B :backup d",
        "back up configs to git; d: diff vs previous backup",
    ),
    ("Tab", "rollout screen / dashboard (during a rollout)"),
    ("p r a", "rollout: pause, resume, abort (asks)"),
    (
        "Enter d",
        "rollout: approve the next wave; a device's details",
    ),
    ("?", "this help"),
    ("q :q Ctrl-C", "quit (:quit and :q! too)"),
];

pub(crate) const PATTERNS: &[&str] = &[
    "site-ams                 group site-ams",
    "ams-*                    device names by glob",
    "tag:role=core            by tag",
    "role-core:role-dist      union (also with ,)",
    "role-core:&site-ams      intersection",
    "all:!role-access         exclusion",
];

/// How many lines of the help a screen this tall cannot show.
pub fn hidden(screen: Rect) -> u16 {
    let lines = (KEYS.len() + PATTERNS.len() + 4) as u16;
    let height = (lines + 2).min(screen.height);
    (lines + 2).saturating_sub(height)
}

/// `scroll`: lines scrolled (a short terminal shows part, ↓ shows more).
pub fn render(frame: &mut Frame, screen: Rect, scroll: u16) {
    let height = ((KEYS.len() + PATTERNS.len() + 6) as u16).min(screen.height);
    let [area] = Layout::vertical([Constraint::Length(height)])
        .flex(Flex::Center)
        .areas(screen);
    let [area] = Layout::horizontal([Constraint::Length(68)])
        .flex(Flex::Center)
        .areas(area);
    let mut lines: Vec<Line> = KEYS
        .iter()
        .map(|(k, what)| {
            Line::from(vec![
                Span::styled(format!("{k:>12}  "), theme::key()),
                Span::raw(*what),
            ])
        })
        .collect();
    lines.push(Line::raw(""));
    lines.push(Line::styled("host patterns", theme::title()));
    lines.extend(PATTERNS.iter().map(|p| Line::raw(format!("  {p}"))));
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "times are UTC · ~ marks a flapping device · ✗ wrong cabling",
        theme::dim(),
    ));
    let hidden = hidden(screen);
    let scroll = scroll.min(hidden);
    let title = match hidden {
        0 => " help ".to_string(),
        _ => format!(" help · ↓ more ({}/{}) ", scroll, hidden),
    };
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines)
            .scroll((scroll, 0))
            .block(Block::new().borders(Borders::ALL).title(title)),
        area,
    );
}
