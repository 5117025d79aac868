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
//!  ↑↓ select  f fold  d diff  / search  w write  y copy  PgUp/PgDn scroll  Esc cancel / back
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
use super::export::{Format, WriteRequest, Written};
use super::prompt::edit_line;
use super::search::{self, Search, Searched};
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
    /// `/` over the answers (and the devices' names), `n`/`N` from match to match.
    pub search: Search,
    /// The line of the selected answer the last `n`/`N` went to.
    match_line: usize,
    /// `w`: the questions before writing the run to a file.
    pub writing: Option<Writing>,
    /// A one-line message in the keys line (written, copied, not copied…).
    pub note: Option<String>,
    memo: Memo,
}

/// `w` asks which format, then the path, then (if the file exists) whether to replace it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Writing {
    Format,
    Path { format: Format, input: String },
    Overwrite(WriteRequest),
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
            search: Search::default(),
            match_line: 0,
            writing: None,
            note: None,
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
        self.note = None;
        let ctrl_c =
            key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c');
        if ctrl_c {
            // Ctrl-C is never typed: it leaves the prompts and cancels (or quits) below.
            (self.writing, self.search.typing) = (None, None);
        }
        if self.writing.is_some() {
            return Some(self.writing_key(key));
        }
        let searched = self.search.key(key);
        if searched != Searched::NotMine {
            if searched != Searched::Editing {
                self.jump(fleet, run, searched != Searched::Previous);
            }
            return Some(Action::Redraw);
        }
        // Esc and Ctrl-C cancel what has not been sent (connects in progress too); once the
        // cancel is asked for or nothing is left, Esc goes back and Ctrl-C quits.
        let can_cancel = !run.progress().finished() && !run.cancel_requested;
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
            KeyCode::Char('w') => self.writing = Some(Writing::Format),
            KeyCode::Char('y') => {
                let rows = self.rows(fleet, run, self.folded);
                return Some(match rows.get(self.selected).map(|r| &r.body) {
                    Some(Body::Output { text, .. }) => Action::Copy(text.clone()),
                    Some(Body::Error(e)) => Action::Copy(e.clone()),
                    _ => {
                        self.note = Some("nothing to copy yet".into());
                        Action::Redraw
                    }
                });
            }
            _ => return Some(Action::Nothing),
        }
        Some(Action::Redraw)
    }

    fn select(&mut self, index: usize) {
        self.selected = index;
        self.scroll = 0;
        self.match_line = 0;
    }

    /// `n`/`N` (or a new term): the next answer line that matches, from the current one,
    /// over every row, wrapping around. Names match on the row's first line.
    fn jump(&mut self, fleet: &State, run: &Run, forward: bool) {
        let rows = self.rows(fleet, run, self.folded);
        let mut hits: Vec<(usize, usize)> = Vec::new();
        for (r, row) in rows.iter().enumerate() {
            let text = match &row.body {
                Body::Output { text, .. } => text.as_str(),
                Body::Error(e) => e.as_str(),
                Body::Pending { .. } => "",
            };
            let named = self.search.matches(&names(fleet, &row.devices));
            let lines = text
                .lines()
                .enumerate()
                .filter(|(_, l)| self.search.matches(l));
            let lines: Vec<usize> = lines.map(|(i, _)| i).collect();
            if named && lines.first() != Some(&0) {
                hits.push((r, 0));
            }
            hits.extend(lines.into_iter().map(|i| (r, i)));
        }
        let here = (self.selected, self.match_line);
        // Where we stand among the hits: at one, or just before the first one after us.
        let at = hits.iter().position(|&h| h >= here);
        let start = match (at, forward) {
            (Some(i), _) if hits[i] == here => i,
            (Some(i), true) => (i + hits.len() - 1) % hits.len(),
            (Some(i), false) => i,
            (None, true) => hits.len().saturating_sub(1),
            (None, false) => 0,
        };
        match search::next(hits.len(), start, forward, |_| true) {
            Some(i) => {
                let (row, line) = hits[i];
                self.selected = row;
                self.match_line = line;
                self.scroll = line.saturating_sub(2).min(usize::from(u16::MAX)) as u16;
            }
            None => self.note = Some(format!("not found: {}", self.search.term)),
        }
    }

    /// How the loop's write went: said in the keys line, or (the file exists) asked.
    pub fn written(&mut self, written: Written) {
        match written {
            Written::Done { path, bytes } => {
                self.note = Some(format!("wrote {} ({bytes} bytes)", path.display()))
            }
            Written::Exists(request) => self.writing = Some(Writing::Overwrite(request)),
            Written::Failed(why) => self.note = Some(why),
        }
    }

    /// A key while `w` asks its questions.
    fn writing_key(&mut self, key: KeyEvent) -> Action {
        let Some(writing) = self.writing.take() else {
            return Action::Nothing;
        };
        let esc = key.code == KeyCode::Esc;
        self.writing = match writing {
            _ if esc => None,
            Writing::Format => {
                let format = match key.code {
                    KeyCode::Char('f') => Format::Folded,
                    KeyCode::Char('d') => Format::PerDevice,
                    KeyCode::Char('j') => Format::Json,
                    _ => {
                        self.writing = Some(Writing::Format);
                        return Action::Nothing;
                    }
                };
                let input = format!("fleetdash-run-{}.{}", self.run, format.extension());
                Some(Writing::Path { format, input })
            }
            Writing::Path { format, mut input } => {
                if key.code == KeyCode::Enter && !input.trim().is_empty() {
                    return Action::Write(WriteRequest {
                        run: self.run,
                        format,
                        path: input.trim().into(),
                        overwrite: false,
                    });
                }
                edit_line(&mut input, key);
                Some(Writing::Path { format, input })
            }
            Writing::Overwrite(request) => match key.code {
                KeyCode::Char('y') => {
                    return Action::Write(WriteRequest {
                        overwrite: true,
                        ..request
                    });
                }
                _ => {
                    self.note = Some(format!("not written: {}", request.path.display()));
                    None
                }
            },
        };
        Action::Redraw
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

/// What `d` diffs an answer against: the majority's answer when one answer has more
/// devices than any other, else (every answer different, or a tie) the first group's, and
/// the title says which.
fn baseline<'a>(fleet: &State, rows_folded: &'a [Row]) -> Option<(&'a str, String)> {
    let answers: Vec<(&Row, &str)> = (rows_folded.iter())
        .filter_map(|row| match &row.body {
            Body::Output { text, .. } => Some((row, text.as_str())),
            _ => None,
        })
        .collect();
    // Folded rows come biggest first.
    let (first, text) = *answers.first()?;
    let n = first.devices.len();
    let runner_up = answers.get(1).map_or(0, |(r, _)| r.devices.len());
    let of = answers.iter().map(|(r, _)| r.devices.len()).sum::<usize>();
    let against = if n > runner_up {
        format!("the majority ({n} of {of})")
    } else {
        let who = names(fleet, &first.devices);
        let why = if n == 1 {
            format!("every answer differs, {} answers", answers.len())
        } else {
            format!("a tie of {n} and {runner_up}")
        };
        format!("{who}'s answer (no majority: {why})")
    };
    Some((text, against))
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
    let title = (0..3)
        .map(|level| header(run, now, level))
        .find(|line| line.width() <= usize::from(head.width))
        .unwrap_or_else(|| header(run, now, 2));
    frame.render_widget(Paragraph::new(title), head);
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
            // Folded: the count first, then every name, wrapped (never cut).
            let label = if view.folded {
                format!("({}) {}", row.devices.len(), names(fleet, &row.devices))
            } else {
                names(fleet, &row.devices)
            };
            let width = usize::from(list_area.width.saturating_sub(4)).max(8);
            let mut chunks = wrap(&label, width).into_iter();
            let mut lines = vec![Line::from(vec![
                Span::styled(format!("{mark} "), style),
                Span::raw(chunks.next().unwrap_or_default()),
                Span::styled(note, style),
            ])];
            lines.extend(chunks.map(|c| Line::raw(format!("  {c}"))));
            ListItem::new(lines)
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
    let (line, style) = match (&view.writing, &view.note, view.search.prompt()) {
        (Some(Writing::Format), ..) => (
            format!(
                " write run #{} as: f folded · d per device · j JSON · Esc cancel",
                run.id
            ),
            theme::warn(),
        ),
        (Some(Writing::Path { format, input }), ..) => {
            let x = keys.x + 1 + " write to: ".len() as u16 + input.chars().count() as u16;
            frame.set_cursor_position((x.min(keys.right().saturating_sub(1)), keys.y));
            (
                format!(
                    " write to: {input}  ({}; Enter write · Esc cancel)",
                    format.label()
                ),
                theme::key(),
            )
        }
        (Some(Writing::Overwrite(request)), ..) => (
            format!(" {} exists. Replace it? y/N", request.path.display()),
            theme::warn(),
        ),
        (None, Some(note), _) => (format!(" {note}"), theme::warn()),
        (None, None, Some(prompt)) => (format!(" {prompt}"), theme::key()),
        (None, None, None) => {
            let long = format!(
                " ↑↓ select  f fold  d diff  / search  w write  y copy  PgUp/PgDn  q back  {hint}"
            );
            let short = format!(" ↑↓ f fold d diff / search w write y copy q back {hint}");
            let fits = long.chars().count() <= usize::from(keys.width);
            (if fits { long } else { short }, theme::dim())
        }
    };
    frame.render_widget(Paragraph::new(line).style(style), keys);
}

/// `text` in pieces of at most `width` characters, broken after a comma where one is near.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest: Vec<char> = text.chars().collect();
    while rest.len() > width {
        let cut = (rest[..width].iter())
            .rposition(|&c| c == ',' || c == ' ')
            .filter(|&i| i >= width / 2)
            .map_or(width, |i| i + 1);
        out.push(rest.drain(..cut).collect());
    }
    out.push(rest.into_iter().collect());
    out
}

/// The run's title line: the command, its counts (only the states some device is in), the
/// time, and whether a cancel is under way. `level` 1 and 2 shorten it for narrow
/// terminals: without the device count, then without the words.
fn header(run: &Run, now: Instant, level: u8) -> Line<'static> {
    let p = run.progress();
    let mut spans = vec![
        Span::styled(
            match level {
                0 => format!(" run #{} ", run.id),
                _ => format!(" #{} ", run.id),
            },
            theme::title().patch(theme::bar()),
        ),
        Span::styled(format!(" {} ", run.command), theme::title()),
    ];
    if level == 0 {
        spans.push(Span::raw(format!("on {}  ", run.on_devices())));
    } else {
        spans.push(Span::raw(" "));
    }
    let word = |long: &'static str, short: &'static str| if level < 2 { long } else { short };
    let busy = Style::new().fg(Color::Yellow);
    for (n, sym, what, style, always) in [
        (
            p.ok,
            "✓",
            word("ok", ""),
            Style::new().fg(Color::Green),
            true,
        ),
        (
            p.failed,
            "✗",
            word("failed", ""),
            Style::new().fg(Color::Red),
            true,
        ),
        (p.running, "⟳", word("running", "run"), busy, false),
        (p.connecting, "⟳", word("connecting", "conn"), busy, false),
        (p.queued, "·", word("queued", "q"), Style::new(), false),
    ] {
        if n > 0 || always {
            let text = match what {
                "" => format!("{sym} {n}  "),
                _ => format!("{sym} {n} {what}  "),
            };
            spans.push(Span::styled(text, style));
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
    match (run.cancel_requested, p.finished(), run.cancelled()) {
        (true, false, _) => spans.push(Span::styled("  cancelling…", theme::warn())),
        (_, true, n) if n > 0 => {
            spans.push(Span::styled(format!("  {n} cancelled"), theme::warn()))
        }
        _ => {}
    }
    Line::from(spans)
}

fn output_lines<'a>(
    fleet: &State,
    run: &Run,
    row: &Row,
    view: &RunView,
) -> (String, Vec<Line<'a>>) {
    // A group's names are in the list beside, wrapped: the title counts them.
    let who = match row.devices.len() {
        1 => names(fleet, &row.devices),
        n => format!("{n} devices"),
    };
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
            match baseline(fleet, &all).filter(|(b, _)| view.diff && *b != text.as_str()) {
                Some((base, against)) => (
                    format!(" {who}: diff against {against}{duration} "),
                    view.diff_lines(fleet, run, base, text).to_vec(),
                ),
                None => (
                    format!(" {who}: {state}{duration}{cut} "),
                    (text.lines())
                        .map(|l| match view.search.matches(l) {
                            true => Line::styled(l.to_string(), theme::warn()),
                            false => Line::raw(l.to_string()),
                        })
                        .collect(),
                ),
            }
        }
    }
}
