//! The log pane: the newest lines of the session's log (`L` shows all of it), each with its
//! time; on the rollout screen, the rollout's lines.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::theme;
use crate::base::text::escape_line;
use crate::fleet::{LogEntry, LogKind, State};

pub fn render(frame: &mut Frame, area: Rect, fleet: &State) {
    pane(frame, area, fleet, " log (L: all of it) ", |_| true);
}

/// The rollout's own lines on the rollout screen, newest at the bottom.
pub fn render_rollout(frame: &mut Frame, area: Rect, fleet: &State) {
    pane(frame, area, fleet, " rollout log (L: all of it) ", |e| {
        e.kind == LogKind::Rollout
    });
}

fn pane(
    frame: &mut Frame,
    area: Rect,
    fleet: &State,
    title: &str,
    keep: impl Fn(&LogEntry) -> bool,
) {
    let block = Block::new().borders(Borders::TOP).title(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut lines: Vec<Line> = (fleet.log.iter().rev())
        .filter(|e| keep(e))
        .take(inner.height as usize)
        .map(|entry| {
            let style = entry.reach.map_or_else(Default::default, theme::text);
            let mut spans = vec![
                Span::styled(fleet.clock(entry.at), theme::dim()),
                Span::raw(" "),
                Span::styled(escape_line(&entry.text), style),
            ];
            if !entry.details.is_empty() {
                spans.push(Span::styled(" (L lists them)", theme::dim()));
            }
            Line::from(spans)
        })
        .collect();
    lines.reverse();
    frame.render_widget(Paragraph::new(lines), inner);
}
