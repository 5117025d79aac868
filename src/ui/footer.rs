//! The footer: whatever is being typed (filter, command), a question waiting for an answer,
//! a status message, or else key hints, the marks and the filter.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::app::{App, Question};
use super::theme;
use crate::base::text::count;
use crate::fleet::{Reach, State, fmt_rtt};

pub fn render(frame: &mut Frame, area: Rect, app: &App, fleet: &State) {
    let total = fleet.inventory.devices.len();
    let mut spans = Vec::new();
    let mut typing = |prefix: &str, input: &str, hint: &str, spans: &mut Vec<Span>| {
        spans.push(Span::styled(format!(" {prefix} "), theme::key()));
        spans.push(Span::raw(input.to_string()));
        spans.push(Span::styled(format!("  {hint}"), theme::dim()));
        let x = area.x + 3 + input.chars().count() as u16;
        frame.set_cursor_position((x.min(area.right().saturating_sub(1)), area.y));
    };
    if app.quitting {
        spans.push(Span::styled(
            " aborting: waiting for in-flight steps to finish, then quitting (Ctrl-C quits now) ",
            theme::warn(),
        ));
    } else if let Some(input) = &app.filter_input {
        // Which it is as typed: a pattern (and how many it selects), or a text search and
        // why the text is not a pattern.
        let hint = match app.filter.describe() {
            Some(what) => format!("{what} · Enter keep · Esc clear"),
            None => "a host pattern or text · Enter keep · Esc clear".to_string(),
        };
        typing("/", input, &hint, &mut spans);
    } else if let Some(input) = &app.command_line.input {
        let n = app.targets(fleet).len();
        let hint = format!(
            "Enter run on {} · ↑↓ history · Esc cancel",
            count(n, "device")
        );
        typing(":", input, &hint, &mut spans);
    } else if let Some(question) = app.asking {
        let text = match question {
            Question::Abort => {
                " Abort the rollout? In-flight steps finish, the rest is skipped. y/N ".to_string()
            }
            Question::Quit => " Quit? The rollout aborts first: in-flight steps finish, nothing \
                else starts; carry on later with --resume. y/N "
                .to_string(),
        };
        spans.push(Span::styled(text, theme::warn()));
    } else if let Some(pending) = &app.confirm {
        let n = pending.devices.len();
        spans.push(Span::styled(
            format!(
                " `{}` {}. Run it on {}? y/N ",
                pending.command,
                pending.why,
                count(n, "device")
            ),
            theme::warn(),
        ));
    } else {
        if let Some(status) = &app.status {
            spans.push(Span::styled(format!(" {status} "), theme::warn()));
        }
        let shown = format!(
            " {}/{}",
            app.focus_index().map_or(0, |i| i + 1),
            app.visible.len()
        );
        spans.push(Span::raw(shown));
        if let Some(id) = app.focused.filter(|_| app.dense_shown(fleet)) {
            spans.push(Span::styled(
                format!(" {}", focus_line(fleet, id)),
                theme::title(),
            ));
        }
        if !app.marks.is_empty() {
            spans.push(Span::styled(
                format!(" ● {} marked", app.marks.len()),
                theme::key(),
            ));
        }
        let dashboard: &[(&str, &str)] = &[
            ("/", "filter"),
            ("s", "sort"),
            ("space", "mark"),
            (":", "run"),
            ("L", "log"),
            ("?", "help"),
            ("q", "quit"),
        ];
        let rollout: &[(&str, &str)] = &[
            ("p", "pause"),
            ("r", "resume"),
            ("a", "abort"),
            ("Enter", "approve wave"),
            ("d", "details"),
            ("Tab", "dashboard"),
            ("q", "quit"),
        ];
        let over = fleet.rollout.as_ref().is_some_and(|r| r.outcome.is_some());
        let hints = match (app.rollout(fleet), &fleet.rollout) {
            (Some(_), _) if over => &[("d", "details"), ("Tab", "dashboard"), ("q", "quit")][..],
            (Some(_), _) => rollout,
            (None, Some(_)) => &[
                ("Tab", "rollout"),
                ("/", "filter"),
                (":", "run"),
                ("q", "quit"),
            ][..],
            (None, None) => dashboard,
        };
        for &(key, what) in hints {
            spans.push(Span::styled(format!(" {key} "), theme::key()));
            spans.push(Span::raw(what));
            if key == "s" {
                spans.push(Span::styled(
                    format!(": {}", app.sort.label()),
                    theme::dim(),
                ));
            }
            if key == "s" && app.dense_shown(fleet) {
                spans.push(Span::styled(
                    format!(" Z: {}", app.dense_by.label()),
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

/// The focused device in words, for the dense view whose cells carry no names:
/// `ams-sw01 ▲ 0.21ms`, `fra-sw03 ▼ down 2m13s`.
fn focus_line(fleet: &State, id: usize) -> String {
    let device = &fleet.devices[id];
    let name = &fleet.inventory.devices[id].name;
    let detail = match (device.reach, device.last_rtt()) {
        (Reach::Up, Some(rtt)) => fmt_rtt(rtt),
        (Reach::Up, None) => "lost".into(),
        (Reach::Down, _) => "down".into(),
        (Reach::Unknown, _) => "not known yet".into(),
    };
    format!("{name} {} {detail}", theme::symbol(device.reach))
}
