//! The log pane: the newest lines of the session's log (`L` shows all of it), each with its
//! time; on the rollout screen, the rollout's lines.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::theme;
use crate::base::text::escape_line;
use crate::fleet::{LogEntry, LogKind, State};

/// `hint`: down devices scrolled out of view, said on the pane's top line at the right.
pub fn render(frame: &mut Frame, area: Rect, fleet: &State, hint: Option<String>) {
    pane(frame, area, fleet, (" log (L: all of it) ", hint), |_| true);
}

/// The rollout's own lines on the rollout screen, newest at the bottom.
pub fn render_rollout(frame: &mut Frame, area: Rect, fleet: &State, hint: Option<String>) {
    let title = (" rollout log (L: all of it) ", hint);
    pane(frame, area, fleet, title, |e| e.kind == LogKind::Rollout);
}

fn pane(
    frame: &mut Frame,
    area: Rect,
    fleet: &State,
    (title, hint): (&str, Option<String>),
    keep: impl Fn(&LogEntry) -> bool,
) {
    // A narrow pane keeps the hint whole and shortens its own title.
    let room =
        usize::from(area.width).saturating_sub(hint.as_ref().map_or(0, |h| h.chars().count()));
    let title = match title.chars().count() + 2 > room {
        true => title.split(" (").next().unwrap_or(title),
        false => title,
    };
    let mut block = Block::new()
        .borders(Borders::TOP)
        .title(format!("{} ", title.trim_end()));
    if let Some(hint) = hint {
        let down = theme::text(crate::fleet::Reach::Down);
        block = block.title(Line::styled(hint, down).right_aligned());
    }
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
