//! The run view: one command on many devices. Progress, the devices (or, folded, the groups
//! of identical answers, like `dshbak -c`), the selected answer, and its diff against the
//! majority.
//!
//! ```text
//! run #3 `show version` on 12 devices   ✓ 9 ok  ✗ 1 failed  ⟳ 1 running  · 1 queued
//! [██████████████████████████████░░░░░░░░░░]
//! ┌ devices ────────────┐┌ ams-sw01: ok in 0.21 s ──────────────────────────────────┐
//! │✓ ams-sw00     0.20s ││Cisco IOS Software, …                                     │
//! │✗ fra-sw03  auth     ││                                                          │
//! └─────────────────────┘└──────────────────────────────────────────────────────────┘
//!  ↑↓ select  f fold  d diff vs majority  PgUp/PgDn scroll  Esc cancel queued / back
//! ```

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::fmt;
use std::rc::Rc;
use std::time::Instant;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Gauge, List, ListItem, ListState, Paragraph, Wrap};

use super::app::Action;
use super::theme;
use crate::base::sanitize::Removed;
use crate::exec::fold::{self, DiffLine};
use crate::fleet::{Command, DeviceRun, Run, RunId, State};
use crate::inventory::{DeviceId, natural_cmp};

#[derive(Debug, Clone, PartialEq)]
pub struct RunView {
    pub run: RunId,
    pub selected: usize,
    pub folded: bool,
    pub diff: bool,
    pub scroll: u16,
    memo: Memo,
}

/// The rows and the diff a frame shows, computed once per change of the runs
/// ([`crate::fleet::Runs::version`]) rather than on every frame: refolding and re-diffing
/// hundreds of long answers at each redraw would make the dashboard lag.
#[derive(Default)]
struct Memo {
    cached: RefCell<Cached>,
    /// How often the answers were folded and diffed; a test proves it is once per change.
    folds: Cell<u64>,
    diffs: Cell<u64>,
}

#[derive(Default)]
struct Cached {
    /// The run and the runs' version the rest was computed from.
    of: Option<(RunId, u64)>,
    plain: Option<Rc<[Row]>>,
    folded: Option<Rc<[Row]>>,
    /// The diff shown for (folded, selected row).
    diff: Option<((bool, usize), Lines)>,
}

type Lines = Rc<[Line<'static>]>;

impl Memo {
    /// The cache, emptied first if the run changed since it was filled.
    fn current(&self, fleet: &State, run: RunId) -> std::cell::RefMut<'_, Cached> {
        let mut cached = self.cached.borrow_mut();
        let of = Some((run, fleet.exec.version));
        if cached.of != of {
            *cached = Cached {
                of,
                ..Cached::default()
            };
        }
        cached
    }
}

// The memo is a cache, not part of what the view is: copies start empty, and it never makes
// two views differ.
impl Clone for Memo {
    fn clone(&self) -> Memo {
        Memo::default()
    }
}

impl PartialEq for Memo {
    fn eq(&self, _: &Memo) -> bool {
        true
    }
}

impl fmt::Debug for Memo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Memo")
    }
}

/// One line of the left list: a device, or (folded) a group of devices with one answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub devices: Vec<DeviceId>,
    pub body: Body,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Body {
    /// Not answered yet: `what` is queued, connecting (or retrying) or running.
    Pending {
        what: &'static str,
    },
    Output {
        text: String,
        ok: bool,
        truncated: bool,
        removed: Removed,
    },
    Error(String),
}

impl RunView {
    pub fn new(run: RunId) -> RunView {
        RunView {
            run,
            selected: 0,
            folded: false,
            diff: false,
            scroll: 0,
            memo: Memo::default(),
        }
    }

    /// [`rows`] of `run`, computed once per change of the runs.
    fn rows(&self, fleet: &State, run: &Run, folded: bool) -> Rc<[Row]> {
        let mut cached = self.memo.current(fleet, run.id);
        let slot = if folded {
            &mut cached.folded
        } else {
            &mut cached.plain
        };
        slot.get_or_insert_with(|| {
            if folded {
                self.memo.folds.set(self.memo.folds.get() + 1);
            }
            rows(fleet, run, folded).into()
        })
        .clone()
    }

    /// The selected answer's diff against `majority`, computed once per change of the runs.
    fn diff_lines(
        &self,
        fleet: &State,
        run: &Run,
        majority: &str,
        text: &str,
    ) -> Rc<[Line<'static>]> {
        let mut cached = self.memo.current(fleet, run.id);
        let key = (self.folded, self.selected);
        if let Some((k, lines)) = &cached.diff
            && *k == key
        {
            return lines.clone();
        }
        self.memo.diffs.set(self.memo.diffs.get() + 1);
        let lines: Lines = fold::diff_lines(majority, text)
            .into_iter()
            .map(|line| match line {
                DiffLine::Same(l) => Line::raw(format!("  {l}")),
                DiffLine::Removed(l) => Line::styled(format!("- {l}"), Style::new().fg(Color::Red)),
                DiffLine::Added(l) => Line::styled(format!("+ {l}"), Style::new().fg(Color::Green)),
            })
            .collect();
        cached.diff = Some((key, lines.clone()));
        lines
    }

    /// How often this view folded answers and diffed them (for tests of the memo).
    #[cfg(test)]
    pub fn computed(&self) -> (u64, u64) {
        (self.memo.folds.get(), self.memo.diffs.get())
    }

    /// Handles a key; `None` closes the view.
    pub fn key(&mut self, key: KeyEvent, fleet: &State, screen: Rect) -> Option<Action> {
        let run = fleet.exec.get(self.run)?;
        // Esc and Ctrl-C cancel what has not been sent (connects in progress too); once the
        // cancel is asked for or nothing is left, Esc goes back and Ctrl-C quits.
        let can_cancel = !run.progress().finished() && !run.cancel_requested;
        let ctrl_c =
            key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c');
        let rows = self.rows(fleet, run, self.folded).len();
        let page = screen.height.saturating_sub(8).max(1);
        match key.code {
            KeyCode::Esc if can_cancel => {
                return Some(Action::Send(Command::Cancel { run: self.run }));
            }
            _ if ctrl_c && can_cancel => {
                return Some(Action::Send(Command::Cancel { run: self.run }));
            }
            _ if ctrl_c => return Some(Action::Quit),
            KeyCode::Esc | KeyCode::Char('q') => return None,
            KeyCode::Up | KeyCode::Char('k') => self.select(self.selected.saturating_sub(1)),
            KeyCode::Down | KeyCode::Char('j') => {
                self.select((self.selected + 1).min(rows.saturating_sub(1)))
            }
            KeyCode::Home | KeyCode::Char('g') => self.select(0),
            KeyCode::End | KeyCode::Char('G') => self.select(rows.saturating_sub(1)),
            KeyCode::PageDown => self.scroll = self.scroll.saturating_add(page),
            KeyCode::PageUp => self.scroll = self.scroll.saturating_sub(page),
            KeyCode::Char('f') => {
                self.folded = !self.folded;
                self.select(0);
            }
            KeyCode::Char('d') => self.diff = !self.diff,
            _ => return Some(Action::Nothing),
        }
        Some(Action::Redraw)
    }

    fn select(&mut self, index: usize) {
        self.selected = index;
        self.scroll = 0;
    }
}

fn body(state: &DeviceRun) -> Body {
    match state {
        DeviceRun::Queued => Body::Pending { what: "queued" },
        DeviceRun::Connecting => Body::Pending { what: "connecting" },
        DeviceRun::Running { .. } => Body::Pending { what: "running" },
        DeviceRun::Done {
            result: Ok(out), ..
        } => Body::Output {
            text: out.text.clone(),
            ok: out.ok(),
            truncated: out.truncated,
            removed: out.removed,
        },
        DeviceRun::Done {
            result: Err(err), ..
        } => Body::Error(err.to_string()),
    }
}

/// The left list. Folded: identical answers (and identical errors) become one row, biggest
/// first, pending devices last.
pub fn rows(fleet: &State, run: &Run, folded: bool) -> Vec<Row> {
    let bodies = (run.devices.iter()).map(|&d| (d, body(&run.per_device[&d])));
    if !folded {
        return bodies
            .map(|(d, body)| Row {
                devices: vec![d],
                body,
            })
            .collect();
    }
    let inv = &fleet.inventory;
    let by_name: HashMap<&str, DeviceId> = run
        .devices
        .iter()
        .map(|&d| (inv.devices[d].name.as_str(), d))
        .collect();
    let named = bodies.map(|(d, body)| (inv.devices[d].name.clone(), body));
    let mut groups: Vec<Row> = fold::fold(named)
        .into_iter()
        .map(|group| {
            let mut devices: Vec<DeviceId> =
                group.devices.iter().map(|n| by_name[n.as_str()]).collect();
            devices.sort_by(|a, b| natural_cmp(&inv.devices[*a].name, &inv.devices[*b].name));
            Row {
                devices,
                body: group.key,
            }
        })
        .collect();
    // Stable, so each kind stays biggest first: answers, then errors, then what is pending.
    groups.sort_by_key(|row| match row.body {
        Body::Output { .. } => 0,
        Body::Error(_) => 1,
        Body::Pending { .. } => 2,
    });
    groups
}

/// The answer most devices gave, if any device answered.
fn majority(rows_folded: &[Row]) -> Option<&str> {
    rows_folded
        .iter()
        .filter_map(|row| match &row.body {
            Body::Output { text, .. } => Some((row.devices.len(), text.as_str())),
            _ => None,
        })
        .max_by_key(|(n, _)| *n)
        .map(|(_, text)| text)
}

fn names(fleet: &State, devices: &[DeviceId]) -> String {
    let names: Vec<&str> = devices
        .iter()
        .map(|&d| fleet.inventory.devices[d].name.as_str())
        .collect();
    fold::compact_names(&names)
}

pub fn render(frame: &mut Frame, area: Rect, fleet: &State, view: &RunView, now: Instant) {
    let Some(run) = fleet.exec.get(view.run) else {
        frame.render_widget(Paragraph::new("this run is no longer kept"), area);
        return;
    };
    let [head, gauge, body, keys] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(area);
    let p = run.progress();
    let total = run.devices.len();
    frame.render_widget(Paragraph::new(header(run, now)), head);
    let done = p.ok + p.failed;
    frame.render_widget(
        Gauge::default()
            .ratio(if total == 0 {
                1.0
            } else {
                done as f64 / total as f64
            })
            // A job's result (a backup's commit) once it is stored.
            .label(match fleet.jobs.note(run.id) {
                Some(note) => format!("{done}/{total} · {note}"),
                None => format!("{done}/{total}"),
            })
            .gauge_style(Style::new().fg(if p.failed > 0 {
                Color::Red
            } else {
                Color::Green
            })),
        gauge,
    );

    let rows = view.rows(fleet, run, view.folded);
    let [list_area, out_area] =
        Layout::horizontal([Constraint::Percentage(35), Constraint::Percentage(65)]).areas(body);
    let items: Vec<ListItem> = rows
        .iter()
        .map(|row| {
            let (mark, style, note) = match &row.body {
                Body::Pending { what: "queued" } => ("·", theme::dim(), String::new()),
                Body::Pending { what } => ("⟳", Style::new().fg(Color::Yellow), format!(" {what}")),
                Body::Output { ok: true, .. } => {
                    ("✓", Style::new().fg(Color::Green), String::new())
                }
                Body::Output { ok: false, .. } => {
                    ("✗", Style::new().fg(Color::Red), " rejected".into())
                }
                Body::Error(e) => (
                    "✗",
                    Style::new().fg(Color::Red),
                    format!(" {}", e.split(':').next().unwrap_or("")),
                ),
            };
            let label = if view.folded {
                format!("{} ({})", names(fleet, &row.devices), row.devices.len())
            } else {
                names(fleet, &row.devices)
            };
            ListItem::new(Line::from(vec![
                Span::styled(format!("{mark} "), style),
                Span::raw(label),
                Span::styled(note, style),
            ]))
        })
        .collect();
    let title = if view.folded {
        " identical answers "
    } else {
        " devices "
    };
    let mut state =
        ListState::default().with_selected(Some(view.selected.min(rows.len().saturating_sub(1))));
    frame.render_stateful_widget(
        List::new(items)
            .block(Block::new().borders(Borders::ALL).title(title))
            .highlight_style(Style::new().add_modifier(theme::FOCUS)),
        list_area,
        &mut state,
    );

    let selected = rows.get(view.selected);
    let (title, lines) = match selected {
        None => (" output ".to_string(), vec![]),
        Some(row) => output_lines(fleet, run, row, view),
    };
    frame.render_widget(
        Paragraph::new(lines)
            .block(Block::new().borders(Borders::ALL).title(title))
            .wrap(Wrap { trim: false })
            .scroll((view.scroll, 0)),
        out_area,
    );
    let hint = match (p.finished(), run.cancel_requested) {
        (true, _) => "Esc back",
        (false, false) => "Esc/Ctrl-C cancel",
        (false, true) => "Esc back · Ctrl-C quit",
    };
    frame.render_widget(
        Paragraph::new(format!(
            " ↑↓ select  f fold  d diff vs majority  PgUp/PgDn scroll  q back  {hint}"
        ))
        .style(theme::dim()),
        keys,
    );
}

/// The run's title line: the command, its counts (only the states some device is in, so
/// it fits 80 columns), the time, and whether a cancel is under way.
fn header(run: &Run, now: Instant) -> Line<'static> {
    let p = run.progress();
    let mut spans = vec![
        Span::styled(
            format!(" run #{} ", run.id),
            theme::title().patch(theme::bar()),
        ),
        Span::styled(format!(" {} ", run.command), theme::title()),
        Span::raw(format!("on {} devices  ", run.devices.len())),
        Span::styled(format!("✓ {} ok  ", p.ok), Style::new().fg(Color::Green)),
        Span::styled(
            format!("✗ {} failed  ", p.failed),
            Style::new().fg(Color::Red),
        ),
    ];
    let busy = Style::new().fg(Color::Yellow);
    for (n, what, style) in [
        (p.running, "⟳ {} running  ", busy),
        (p.connecting, "⟳ {} connecting  ", busy),
        (p.queued, "· {} queued  ", Style::new()),
    ] {
        if n > 0 {
            spans.push(Span::styled(what.replace("{}", &n.to_string()), style));
        }
    }
    let took = run
        .ended
        .unwrap_or(now)
        .saturating_duration_since(run.started);
    spans.push(Span::styled(
        format!("{:.1}s", took.as_secs_f64()),
        theme::dim(),
    ));
    if run.cancel_requested {
        let what = if p.finished() {
            "  cancelled"
        } else {
            "  cancelling…"
        };
        spans.push(Span::styled(what, theme::warn()));
    }
    Line::from(spans)
}

fn output_lines<'a>(
    fleet: &State,
    run: &Run,
    row: &Row,
    view: &RunView,
) -> (String, Vec<Line<'a>>) {
    let who = names(fleet, &row.devices);
    let duration = match row.devices.first().and_then(|d| run.per_device.get(d)) {
        Some(DeviceRun::Done { duration, .. }) => format!(" in {:.2}s", duration.as_secs_f64()),
        _ => String::new(),
    };
    match &row.body {
        Body::Pending { what } => (format!(" {who}: {what} "), vec![]),
        Body::Error(e) => (
            format!(" {who}: failed{duration} "),
            vec![Line::styled(e.clone(), Style::new().fg(Color::Red))],
        ),
        Body::Output {
            text,
            ok,
            truncated,
            removed,
        } => {
            let all = view.rows(fleet, run, true);
            let state = if *ok { "ok" } else { "rejected by the device" };
            let mut cut = if *truncated { " (truncated)" } else { "" }.to_string();
            if removed.any() {
                cut = format!("{cut} · {removed}");
            }
            match majority(&all).filter(|m| view.diff && *m != text.as_str()) {
                Some(majority) => (
                    format!(" {who}: diff against the majority{duration} "),
                    view.diff_lines(fleet, run, majority, text).to_vec(),
                ),
                None => (
                    format!(" {who}: {state}{duration}{cut} "),
                    text.lines().map(|l| Line::raw(l.to_string())).collect(),
                ),
            }
        }
    }
}
