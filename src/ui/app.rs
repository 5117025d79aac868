//! The dashboard's own state (focus, scroll, filter, sort, marks, help) and the operations
//! on it. Pure: no I/O, so every key and click is unit-testable. What each key and click
//! does is in [`keys`]; what a line typed at the `:` prompt does is in [`commands`].

mod commands;
mod keys;

use std::collections::BTreeSet;

use ratatui::layout::Rect;

use super::dense::{DenseMap, GroupBy};
use super::diff_view::DiffView;
use super::filter::Filter;
use super::layout::{Areas, Grid, areas};
use super::log_view::LogView;
use super::prompt::CommandLine;
use super::rollout_view;
use super::run_view::RunView;
use super::runs_view::RunsView;
use crate::fleet::{Command, JobRequest, ProbeMode, RunId, State};
use crate::inventory::{DeviceId, natural_cmp};
use crate::rollout::event::{Control, RolloutState};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Name,
    State,
    Rtt,
    LastChange,
}

impl SortKey {
    pub fn next(self) -> SortKey {
        match self {
            SortKey::Name => SortKey::State,
            SortKey::State => SortKey::Rtt,
            SortKey::Rtt => SortKey::LastChange,
            SortKey::LastChange => SortKey::Name,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SortKey::Name => "name",
            SortKey::State => "state",
            SortKey::Rtt => "rtt",
            SortKey::LastChange => "last change",
        }
    }
}

/// What the loop should do after an input.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Nothing,
    Redraw,
    Quit,
    /// Ctrl-Z: give the terminal back and stop, as a shell's job control would (in raw
    /// mode the terminal sends the key instead of SIGTSTP).
    Suspend,
    /// Ctrl-L: clear the terminal and draw the whole frame again.
    Repaint,
    /// Hand this to the workers (and redraw).
    Send(Command),
    /// Steer the rollout (and redraw).
    Control(Control),
    /// Ask the engine's job workers (a backup, a diff, a device's backup history).
    Job(JobRequest),
    /// `w` in the run view: write the run to a file (the loop does the I/O).
    Write(super::export::WriteRequest),
    /// `y` in the run view: this text to the clipboard through the terminal (OSC 52).
    Copy(String),
}

/// A yes/no question about the rollout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Question {
    Abort,
    Quit,
}

/// A dangerous command waiting for `y`.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingRun {
    pub command: String,
    pub devices: Vec<DeviceId>,
    pub why: &'static str,
}

#[derive(Debug, Clone)]
pub struct App {
    /// Shown in the summary bar (the inventory's source).
    pub title: String,
    /// Time between sweeps, for the summary bar.
    pub interval: std::time::Duration,
    pub focused: Option<DeviceId>,
    /// First visible tile row.
    pub scroll: usize,
    pub filter: Filter,
    /// `Some` while the `/` prompt is open, holding what was typed.
    pub filter_input: Option<String>,
    pub sort: SortKey,
    pub help: bool,
    /// How far the help is scrolled (a short terminal shows part of it).
    pub help_scroll: u16,
    /// Devices shown, filtered and sorted.
    pub visible: Vec<DeviceId>,
    pub screen: Rect,
    /// Devices marked for the next command.
    pub marks: BTreeSet<DeviceId>,
    /// Where a `v` range starts: the last device toggled with space.
    mark_anchor: Option<DeviceId>,
    pub command_line: CommandLine,
    pub confirm: Option<PendingRun>,
    /// `--read-only`: dangerous commands are refused.
    pub read_only: bool,
    /// Colour or monochrome (`--theme`, `NO_COLOR`).
    pub theme: super::theme::Theme,
    /// The run view, when it is open.
    pub run_view: Option<RunView>,
    /// `L`: the session's log, full screen.
    pub log_view: Option<LogView>,
    /// `R`: the session's runs.
    pub runs_view: Option<RunsView>,
    /// The last run started from here (`r` reopens it).
    pub last_run: Option<RunId>,
    /// The id the next run gets (jobs take theirs from here too, through the loop).
    pub next_run: RunId,
    /// `d`: the focused device's diff against its previous backup, when it is open.
    pub diff_view: Option<DiffView>,
    /// A one-line message for the footer (a refusal, a cancellation…).
    pub status: Option<String>,
    /// The rollout screen (waves, tiles by rollout state) instead of reachability.
    pub rollout_screen: bool,
    /// `i` or Enter where the detail pane has no room: the detail over the tiles.
    pub detail_overlay: bool,
    /// `d` on the rollout screen: the focused device's steps and check outputs.
    pub details: bool,
    /// How far the details are scrolled (lines).
    pub details_scroll: u16,
    /// A question waiting for `y`: abort the rollout, or quit while it runs.
    pub asking: Option<Question>,
    /// Quit was confirmed during a rollout: leave once its abort has landed.
    pub quitting: bool,
    /// `z`: the dense view (a cell per device) instead of tiles.
    pub dense: bool,
    /// `Z`: how the dense view groups devices.
    pub dense_by: GroupBy,
    seen_version: Option<u64>,
    list_stale: bool,
}

impl App {
    pub fn new(title: impl Into<String>, screen: Rect) -> App {
        App {
            title: title.into(),
            interval: std::time::Duration::from_secs(1),
            focused: None,
            scroll: 0,
            filter: Filter::None,
            filter_input: None,
            sort: SortKey::Name,
            help: false,
            help_scroll: 0,
            visible: Vec::new(),
            screen,
            marks: BTreeSet::new(),
            mark_anchor: None,
            command_line: CommandLine::default(),
            confirm: None,
            read_only: false,
            theme: super::theme::Theme::Colour,
            run_view: None,
            log_view: None,
            runs_view: None,
            last_run: None,
            next_run: 1,
            diff_view: None,
            status: None,
            rollout_screen: false,
            detail_overlay: false,
            details: false,
            details_scroll: 0,
            asking: None,
            quitting: false,
            dense: false,
            dense_by: GroupBy::None,
            seen_version: None,
            list_stale: true,
        }
    }

    pub fn areas(&self, fleet: &State) -> Areas {
        let summary_lines = match fleet.mode {
            Some(ProbeMode::TcpFallback { .. }) => 2,
            _ => 1,
        } + u16::from(
            (fleet.last_sweep.as_ref())
                .is_some_and(|s| super::summary::slow_sweep(s, self.interval).is_some()),
        );
        let panel =
            (self.rollout(fleet)).map_or(0, |r| rollout_view::panel_height(r, self.screen.height));
        areas(self.screen, summary_lines, panel)
    }

    /// The rollout, when the rollout screen shows it.
    pub fn rollout<'a>(&self, fleet: &'a State) -> Option<&'a RolloutState> {
        fleet.rollout.as_ref().filter(|_| self.rollout_screen)
    }

    pub fn grid(&self, fleet: &State) -> Grid {
        Grid::new(self.areas(fleet).tiles)
    }

    /// Where the dense view puts each visible device.
    pub fn dense_map(&self, fleet: &State) -> DenseMap {
        DenseMap::new(self.areas(fleet).tiles, fleet, &self.visible, self.dense_by)
    }

    /// Whether the dense view is what the tiles area shows (the rollout screen keeps tiles).
    pub fn dense_shown(&self, fleet: &State) -> bool {
        self.dense && self.rollout(fleet).is_none()
    }

    /// Brings the visible list up to date with the fleet; cheap when nothing changed.
    pub fn refresh(&mut self, fleet: &State) {
        let changed = self.seen_version != Some(fleet.version);
        // Sorting by name does not depend on probe results: skip the work then. The
        // rollout's list does (its waves arrive with its first event) and is small.
        let follows_state = self.sort != SortKey::Name || self.rollout(fleet).is_some();
        if self.list_stale || (changed && follows_state) {
            self.rebuild(fleet);
        }
        self.seen_version = Some(fleet.version);
        self.keep_focus_visible(fleet);
    }

    fn rebuild(&mut self, fleet: &State) {
        let inv = &fleet.inventory;
        if let Some(rollout) = self.rollout(fleet) {
            // The rollout screen keeps the waves' order: canary first.
            self.visible = rollout
                .waves
                .iter()
                .flat_map(|w| w.info.devices.iter().copied())
                .filter(|&id| self.filter.matches(inv, id))
                .collect();
            self.list_stale = false;
            return;
        }
        let mut ids: Vec<DeviceId> = (0..inv.devices.len())
            .filter(|&id| self.filter.matches(inv, id))
            .collect();
        let name = |id: &DeviceId| inv.devices[*id].name.as_str();
        let by_name = |a: &DeviceId, b: &DeviceId| natural_cmp(name(a), name(b));
        match self.sort {
            SortKey::Name => ids.sort_by(by_name),
            SortKey::State => ids.sort_by(|a, b| {
                let reach = |id: &DeviceId| fleet.devices[*id].reach;
                reach(a).cmp(&reach(b)).then_with(|| by_name(a, b))
            }),
            // Slowest last reply first (what the tile shows); lost or never answered last.
            SortKey::Rtt => ids.sort_by(|a, b| {
                let key = |id: &DeviceId| std::cmp::Reverse(fleet.devices[*id].last_rtt());
                key(a).cmp(&key(b)).then_with(|| by_name(a, b))
            }),
            // Most recent change first.
            SortKey::LastChange => ids.sort_by(|a, b| {
                let key = |id: &DeviceId| std::cmp::Reverse(fleet.devices[*id].since);
                key(a).cmp(&key(b)).then_with(|| by_name(a, b))
            }),
        }
        if self.dense {
            self.dense_by.arrange(inv, &mut ids);
        }
        self.visible = ids;
        self.list_stale = false;
    }

    pub fn focus_index(&self) -> Option<usize> {
        let focused = self.focused?;
        self.visible.iter().position(|&id| id == focused)
    }

    fn keep_focus_visible(&mut self, fleet: &State) {
        if self.visible.is_empty() {
            self.scroll = 0;
            return;
        }
        let index = match self.focus_index() {
            Some(i) => i,
            None => {
                self.focused = Some(self.visible[0]);
                0
            }
        };
        if self.dense_shown(fleet) {
            let map = self.dense_map(fleet);
            let line = map.locate(index).map_or(0, |(line, _)| line);
            // A group's first line brings its heading along.
            let top = match line.checked_sub(1).map(|l| map.lines[l]) {
                Some(super::dense::MapLine::Heading { .. }) => line - 1,
                _ => line,
            };
            if top < self.scroll {
                self.scroll = top;
            } else if line >= self.scroll + map.rows() {
                self.scroll = line + 1 - map.rows();
            }
            self.scroll = self.scroll.min(map.lines.len().saturating_sub(map.rows()));
            return;
        }
        let grid = self.grid(fleet);
        let row = index / grid.cols;
        if row < self.scroll {
            self.scroll = row;
        } else if row >= self.scroll + grid.rows {
            self.scroll = row + 1 - grid.rows;
        }
        let last_row = (self.visible.len() - 1) / grid.cols;
        self.scroll = self.scroll.min(last_row.saturating_sub(grid.rows - 1));
    }

    fn move_focus(&mut self, fleet: &State, delta: isize) {
        if self.visible.is_empty() {
            return;
        }
        let current = self.focus_index().unwrap_or(0) as isize;
        let last = self.visible.len() as isize - 1;
        let next = (current + delta).clamp(0, last);
        self.focused = Some(self.visible[next as usize]);
        self.keep_focus_visible(fleet);
    }

    /// Moves the focus `lines` rows up (negative) or down: a tile row, or a line of the
    /// dense view (same column, headings skipped).
    fn move_lines(&mut self, fleet: &State, lines: isize) {
        if !self.dense_shown(fleet) {
            let cols = self.grid(fleet).cols as isize;
            return self.move_focus(fleet, lines.saturating_mul(cols));
        }
        let Some(index) = self.focus_index() else {
            return self.move_focus(fleet, 0);
        };
        let next = self.dense_map(fleet).vertical(index, lines);
        self.focused = Some(self.visible[next]);
        self.keep_focus_visible(fleet);
    }

    /// Lines in a page: tile rows, or lines of the dense view.
    fn page_lines(&self, fleet: &State) -> isize {
        match self.dense_shown(fleet) {
            true => self.dense_map(fleet).rows() as isize,
            false => self.grid(fleet).rows as isize,
        }
    }

    /// `z`: the dense view on or off; `Z`: its next grouping (and the dense view on).
    fn toggle_dense(&mut self, fleet: &State, regroup: bool) {
        if regroup {
            self.dense_by = self.dense_by.next();
            self.dense = true;
        } else {
            self.dense = !self.dense;
        }
        self.list_stale = true;
        self.refresh(fleet);
    }

    /// A job made these runs: show the first, as a `:` command's run is shown.
    pub fn job_started(&mut self, runs: &[RunId]) {
        if let Some(&first) = runs.first() {
            self.last_run = Some(first);
            self.run_view = Some(RunView::new(first));
        }
    }

    /// Down devices among the shown ones that are scrolled out of view: (above, below).
    pub fn down_off_screen(&self, fleet: &State) -> (usize, usize) {
        let (first, end) = if self.dense_shown(fleet) {
            // The dense view scrolls by lines of its map: the cells of the lines shown.
            let map = self.dense_map(fleet);
            let shown = map.lines.iter().skip(self.scroll).take(map.rows());
            let cells = shown.filter_map(|line| match *line {
                super::dense::MapLine::Cells { start, len } => Some((start, start + len)),
                super::dense::MapLine::Heading { .. } => None,
            });
            cells.fold((usize::MAX, 0), |(lo, hi), (s, e)| (lo.min(s), hi.max(e)))
        } else {
            let grid = self.grid(fleet);
            let first = self.scroll * grid.cols;
            (first, first + grid.rows * grid.cols)
        };
        let first = first.min(end);
        let down = |ids: &[DeviceId]| {
            (ids.iter())
                .filter(|&&d| fleet.devices[d].reach == crate::fleet::Reach::Down)
                .count()
        };
        let above = down(&self.visible[..first.min(self.visible.len())]);
        let below = down(self.visible.get(end..).unwrap_or(&[]));
        (above, below)
    }

    /// Whether the loop should end now: a confirmed quit whose rollout has stopped.
    pub fn done_quitting(&self, fleet: &State) -> bool {
        self.quitting && fleet.rollout.as_ref().is_none_or(|r| r.outcome.is_some())
    }

    /// Whether keys go to a prompt (filter, command, a question).
    pub(crate) fn typing(&self) -> bool {
        self.filter_input.is_some() || self.command_line.is_open() || self.confirm.is_some()
    }

    fn toggle_mark(&mut self) {
        let Some(id) = self.focused else { return };
        if !self.marks.remove(&id) {
            self.marks.insert(id);
        }
        self.mark_anchor = Some(id);
    }

    /// Marks every visible device between the anchor and the focus, both included.
    fn mark_range(&mut self) {
        let Some(to) = self.focus_index() else { return };
        let from = self
            .mark_anchor
            .and_then(|a| self.visible.iter().position(|&id| id == a))
            .unwrap_or(to);
        let (lo, hi) = (from.min(to), from.max(to));
        self.marks.extend(self.visible[lo..=hi].iter().copied());
    }

    /// The devices a command runs on: the marked ones (in natural name order, as the tiles
    /// show them), else the focused one.
    pub fn targets(&self, fleet: &State) -> Vec<DeviceId> {
        let mut ids: Vec<DeviceId> = if self.marks.is_empty() {
            self.focused.into_iter().collect()
        } else {
            self.marks.iter().copied().collect()
        };
        let name = |id: &DeviceId| fleet.inventory.devices[*id].name.as_str();
        ids.sort_by(|a, b| natural_cmp(name(a), name(b)));
        ids
    }

    fn filter_text(&self) -> String {
        self.filter.text().to_string()
    }

    pub fn set_filter(&mut self, text: &str, fleet: &State) {
        let filter = Filter::compile(text, &fleet.inventory);
        if filter != self.filter {
            self.filter = filter;
            self.list_stale = true;
            self.refresh(fleet);
        }
    }
}
