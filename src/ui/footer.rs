//! The footer: the filter prompt while typing, otherwise key hints and what is shown.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::app::App;
use super::theme;

pub fn render(frame: &mut Frame, area: Rect, app: &App, total: usize) {
    let shown = format!(
        "{}/{}",
        app.focus_index().map_or(0, |i| i + 1),
        app.visible.len()
    );
    let mut spans = Vec::new();
    if let Some(input) = &app.filter_input {
        spans.push(Span::styled(" / ", theme::key()));
        spans.push(Span::raw(input.clone()));
        spans.push(Span::styled("█", theme::dim()));
        spans.push(Span::styled("  Enter keep · Esc clear", theme::dim()));
        frame.set_cursor_position((area.x + 3 + input.chars().count() as u16, area.y));
    } else {
        spans.push(Span::raw(format!(" {shown}")));
        for (key, what) in [("/", "filter"), ("s", "sort"), ("?", "help"), ("q", "quit")] {
            spans.push(Span::styled(format!(" {key} "), theme::key()));
            spans.push(Span::raw(what));
            if key == "s" {
                spans.push(Span::styled(
                    format!(": {}", app.sort.label()),
                    theme::dim(),
                ));
            }
        }
        spans.push(Span::raw("  "));
        if let Some(filter) = app.filter.describe() {
            spans.push(Span::styled(
                format!("filter: {filter} of {total} (Esc clears)"),
                theme::warn(),
            ));
        }
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
