//! `R`: the runs of this session, newest first, each reopened with Enter. The engine keeps
//! the last [`RUNS_KEPT`] runs with their outputs; the list says how many older ones were
//! dropped.
//!
//! ```text
//!  runs  3 this session (the last 32 are kept with their outputs)
//!  #3 15:04:05  show version   on 12 devices  ✓ 11 ✗ 1  1.2s
//!  #2 15:03:40  backup         on 4 devices   ✓ 4       3.0s  cancelled
//!  ↑↓ select  Enter open  Esc back
//! ```

use std::time::Instant;

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{ListItem, Paragraph};

use super::{list, theme};
use crate::base::text::Untrusted;
use crate::fleet::{RUNS_KEPT, Run, RunId, State};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunsView {
    /// Among the runs, newest first.
    pub selected: usize,
}

/// What a key in the list asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Picked {
    Stay,
    Close,
    Open(RunId),
}

/// The runs, newest first.
fn newest_first(fleet: &State) -> impl Iterator<Item = &Run> {
    fleet.exec.runs.iter().rev()
}

impl RunsView {
    pub fn key(&mut self, key: KeyEvent, fleet: &State) -> Picked {
        let last = fleet.exec.runs.len().saturating_sub(1);
        match key.code {
            KeyCode::Esc | KeyCode::Char('q') | KeyCode::Char('R') => return Picked::Close,
            KeyCode::Down | KeyCode::Char('j') => self.selected = (self.selected + 1).min(last),
            KeyCode::Up | KeyCode::Char('k') => self.selected = self.selected.saturating_sub(1),
            KeyCode::Home | KeyCode::Char('g') => self.selected = 0,
            KeyCode::End | KeyCode::Char('G') => self.selected = last,
            KeyCode::Enter => {
                if let Some(run) = newest_first(fleet).nth(self.selected) {
                    return Picked::Open(run.id);
                }
            }
            _ => {}
        }
        Picked::Stay
    }
}

pub fn render(frame: &mut Frame, area: Rect, fleet: &State, view: &RunsView, now: Instant) {
    let [head, body, keys] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(area);
    let runs = &fleet.exec;
    let dropped = match runs.dropped {
        0 => String::new(),
        n => format!("; {n} older dropped"),
    };
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(" runs ", theme::title().patch(theme::bar())),
            Span::raw(format!(" {} this session", runs.runs.len() + runs.dropped)),
            Span::styled(
                format!(" (the last {RUNS_KEPT} are kept with their outputs{dropped})"),
                theme::dim(),
            ),
        ])),
        head,
    );
    let items: Vec<ListItem> = newest_first(fleet)
        .map(|run| ListItem::new(line(fleet, run, now)))
        .collect();
    list::selectable(
        frame,
        body,
        items,
        view.selected,
        "no command has run yet (: runs one)",
    );
    frame.render_widget(
        Paragraph::new(" ↑↓ select  Enter open  Esc back").style(theme::dim()),
        keys,
    );
}

fn line(fleet: &State, run: &Run, now: Instant) -> Line<'static> {
    let p = run.progress();
    let took = run
        .ended
        .unwrap_or(now)
        .saturating_duration_since(run.started);
    let mut spans = vec![
        Span::styled(format!(" #{:<3} ", run.id), theme::title()),
        Span::styled(fleet.clock(run.started), theme::dim()),
        Span::raw(format!("  {}", Untrusted(&run.command))),
        Span::raw(format!("  on {}  ", run.on_devices())),
        Span::styled(format!("✓ {} ", p.ok), Style::new().fg(Color::Green)),
    ];
    if p.failed > 0 {
        spans.push(Span::styled(
            format!("✗ {} ", p.failed),
            Style::new().fg(Color::Red),
        ));
    }
    let pending = p.queued + p.connecting + p.running;
    if pending > 0 {
        spans.push(Span::styled(
            format!("⟳ {pending} "),
            Style::new().fg(Color::Yellow),
        ));
    }
    spans.push(Span::styled(
        format!(" {:.1}s", took.as_secs_f64()),
        theme::dim(),
    ));
    match (run.cancel_requested, p.finished(), run.cancelled()) {
        (true, false, _) => spans.push(Span::styled("  cancelling…", theme::warn())),
        (_, _, n) if n > 0 => spans.push(Span::styled(format!("  {n} cancelled"), theme::warn())),
        _ => {}
    }
    Line::from(spans)
}
