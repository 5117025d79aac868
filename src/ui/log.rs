//! The log pane: transitions and notices, newest at the bottom.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::theme;
use crate::fleet::State;
use crate::rollout::event::RolloutState;

pub fn render(frame: &mut Frame, area: Rect, fleet: &State) {
    let block = Block::new().borders(Borders::TOP).title(" log ");
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let shown = fleet.log.len().min(inner.height as usize);
    let lines: Vec<Line> = fleet
        .log
        .iter()
        .skip(fleet.log.len() - shown)
        .map(|entry| {
            let style = entry.reach.map_or_else(Default::default, theme::text);
            Line::from(vec![
                Span::styled(fleet.clock(entry.at), theme::dim()),
                Span::raw(" "),
                Span::styled(entry.text.clone(), style),
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The rollout's own log on the rollout screen, newest at the bottom.
pub fn render_rollout(frame: &mut Frame, area: Rect, rollout: &RolloutState) {
    let block = Block::new().borders(Borders::TOP).title(" rollout log ");
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let shown = rollout.log.len().min(inner.height as usize);
    let lines: Vec<Line> = rollout
        .log
        .iter()
        .skip(rollout.log.len() - shown)
        .map(|(_, text)| Line::raw(text.clone()))
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}
