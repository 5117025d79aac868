//! The summary bar: counts by state, the last sweep, and the probe mode.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::app::App;
use super::theme;
use crate::fleet::{ProbeMode, Reach, State};

pub fn render(frame: &mut Frame, area: Rect, fleet: &State, app: &App) {
    // (long, short): the short one when the terminal is narrow; the log says the long one.
    let (mode, short_mode) = crate::fleet::probe_lines(fleet.mode.as_ref(), &fleet.inventory);
    // The header shortens rather than cuts: the title goes first, then words; the counts,
    // the sweep (number and time) and the probe mode always stay.
    let fits = |line: &Line| line.width() <= usize::from(area.width);
    let mut chosen = None;
    for level in 0..3 {
        let line = header(
            fleet,
            app,
            level,
            if level == 0 { &mode } else { &short_mode },
        );
        if fits(&line) || level == 2 {
            chosen = Some(line);
            break;
        }
    }
    let mut lines: Vec<Line> = chosen.into_iter().collect();
    if let Some(ProbeMode::TcpFallback { enable, .. }) = &fleet.mode {
        lines.push(Line::styled(
            format!(" to enable ICMP: {enable}"),
            theme::warn(),
        ));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

/// The first line at a level of detail: 0 everything, 1 without the title and with short
/// words, 2 bare numbers.
fn header<'a>(fleet: &State, app: &App, level: u8, mode: &str) -> Line<'a> {
    let c = fleet.counts;
    let count = |reach: Reach, n: usize| {
        let text = match level {
            2 => format!("{} {n} ", theme::symbol(reach)),
            _ => format!("{} {n} {}  ", theme::symbol(reach), reach.as_str()),
        };
        Span::styled(text, theme::text(reach))
    };
    let sweep = match (&fleet.last_sweep, level) {
        (Some(s), 0) => format!(
            "sweep #{} ({}): {}/{} in {} ms  ",
            s.sweep,
            crate::base::duration::format(app.interval),
            s.replies,
            s.sent,
            s.elapsed.as_millis(),
        ),
        (Some(s), 1) => format!(
            "sweep #{}: {}/{} in {} ms  ",
            s.sweep,
            s.replies,
            s.sent,
            s.elapsed.as_millis()
        ),
        (Some(s), _) => format!(" #{} {} ms  ", s.sweep, s.elapsed.as_millis()),
        (None, 0) => "first sweep running…  ".into(),
        (None, _) => " sweep…  ".into(),
    };
    let mut spans = Vec::new();
    if level < 2 {
        spans.push(Span::styled(
            " fleetdash ",
            theme::title().patch(theme::bar()),
        ));
    }
    match level {
        0 => spans.push(Span::raw(format!(" {}  ", app.title))),
        _ => spans.push(Span::raw(" ")),
    }
    if app.read_only {
        spans.push(Span::styled(" read-only ", theme::warn()));
        if level > 0 {
            spans.push(Span::raw(" "));
        }
    }
    spans.extend([
        count(Reach::Up, c.up),
        count(Reach::Down, c.down),
        count(Reach::Unknown, c.unknown),
    ]);
    // `--from-prometheus`: whether the remote vantage points can be read (after the
    // counts, which it qualifies).
    match (&fleet.remote, level) {
        (Some(r), 2) if r.error.is_some() => spans.push(Span::styled("remote! ", theme::warn())),
        (Some(r), _) if r.error.is_some() => {
            spans.push(Span::styled("remote: unreadable  ", theme::warn()))
        }
        (Some(r), 2) if r.last_ok.is_some() => spans.push(Span::styled("remote ", theme::dim())),
        (Some(r), _) if r.last_ok.is_some() => {
            spans.push(Span::styled("remote: ok  ", theme::dim()))
        }
        _ => {}
    }
    spans.extend([
        Span::raw(sweep),
        Span::styled(mode.to_string(), theme::dim()),
    ]);
    Line::from(spans)
}
