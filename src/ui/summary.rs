//! The summary bar: counts by state, the last sweep, and the probe mode.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::app::App;
use super::theme;
use crate::fleet::{ProbeMode, Reach, State};

pub fn render(frame: &mut Frame, area: Rect, fleet: &State, app: &App) {
    let c = fleet.counts;
    let count = |reach: Reach, n: usize| {
        Span::styled(
            format!("{} {n} {}  ", theme::symbol(reach), reach.as_str()),
            theme::text(reach),
        )
    };
    let sweep = match &fleet.last_sweep {
        Some(s) => format!(
            "sweep #{} ({}): {}/{} in {} ms  ",
            s.sweep,
            crate::base::duration::format(app.interval),
            s.replies,
            s.sent,
            s.elapsed.as_millis(),
        ),
        None => "first sweep running…  ".into(),
    };
    let mode = crate::fleet::probe_line(fleet.mode.as_ref(), &fleet.inventory);
    let mut lines = vec![Line::from(vec![
        Span::styled(" fleetdash ", theme::title().patch(theme::bar())),
        Span::raw(format!(" {}  ", app.title)),
        count(Reach::Up, c.up),
        count(Reach::Down, c.down),
        count(Reach::Unknown, c.unknown),
        Span::raw(sweep),
        Span::styled(mode, theme::dim()),
    ])];
    if app.read_only {
        lines[0]
            .spans
            .insert(2, Span::styled(" read-only ", theme::warn()));
    }
    if let Some(ProbeMode::TcpFallback { enable, .. }) = &fleet.mode {
        lines.push(Line::styled(
            format!(" to enable ICMP: {enable}"),
            theme::warn(),
        ));
    }
    frame.render_widget(Paragraph::new(lines), area);
}
