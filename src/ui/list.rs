//! The full-screen lists (the log, the runs): one selectable list under a rule, with a
//! dim line in its place when it has nothing to show.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::{Block, Borders, List, ListItem, ListState, Paragraph};

use super::theme;

/// Draws `items` into `area` with the `selected`-th highlighted, or `empty` when there are
/// no items.
pub(super) fn selectable(
    frame: &mut Frame,
    area: Rect,
    items: Vec<ListItem>,
    selected: usize,
    empty: &str,
) {
    let block = Block::new().borders(Borders::TOP);
    if items.is_empty() {
        frame.render_widget(
            Paragraph::new(empty.to_string()).style(theme::dim()),
            block.inner(area),
        );
        frame.render_widget(block, area);
        return;
    }
    let mut state = ListState::default().with_selected(Some(selected));
    frame.render_stateful_widget(
        List::new(items)
            .block(block)
            .highlight_style(Style::new().add_modifier(theme::FOCUS)),
        area,
        &mut state,
    );
}
