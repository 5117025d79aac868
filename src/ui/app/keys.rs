//! The key bindings and mouse actions of the dashboard: which input does what, in which
//! mode (run view, a question, the rollout screen, a prompt, the tiles).

use crossterm::event::{
    Event as TermEvent, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent,
    MouseEventKind,
};
use ratatui::layout::Rect;

use super::{Action, App, Question};
use crate::fleet::{JobRequest, State};
use crate::rollout::event::Control;
use crate::ui::diff_view::DiffView;
use crate::ui::filter::Filter;
use crate::ui::log_view::LogView;
use crate::ui::prompt::{Edit, edit_line};
use crate::ui::run_view::RunView;
use crate::ui::runs_view::{Picked, RunsView};

impl App {
    pub fn handle(&mut self, input: &TermEvent, fleet: &State) -> Action {
        match input {
            TermEvent::Key(key) if key.kind == KeyEventKind::Press => self.on_key(*key, fleet),
            TermEvent::Mouse(mouse) => self.on_mouse(*mouse, fleet),
            TermEvent::Resize(w, h) => {
                self.screen = Rect::new(0, 0, *w, *h);
                self.keep_focus_visible(fleet);
                Action::Redraw
            }
            _ => Action::Nothing,
        }
    }

    fn on_key(&mut self, key: KeyEvent, fleet: &State) -> Action {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl && key.code == KeyCode::Char('z') {
            return Action::Suspend;
        }
        // Ctrl-L redraws the whole screen, as in every terminal program.
        if ctrl && key.code == KeyCode::Char('l') {
            return Action::Repaint;
        }
        if let Some(view) = self.run_view.as_mut() {
            return match view.key(key, fleet, self.screen) {
                // A second Ctrl-C quits as anywhere else (asking first during a rollout).
                Some(Action::Quit) => self.request_quit(fleet),
                Some(action) => action,
                None => {
                    self.run_view = None;
                    Action::Redraw
                }
            };
        }
        // The full-screen lists: Ctrl-C quits from them as from the tiles.
        let in_list = self.log_view.is_some() || self.runs_view.is_some();
        if in_list && ctrl && key.code == KeyCode::Char('c') {
            return self.request_quit(fleet);
        }
        if let Some(view) = self.log_view.as_mut() {
            if !view.key(key, fleet, self.screen) {
                self.log_view = None;
            }
            return Action::Redraw;
        }
        if let Some(view) = self.runs_view.as_mut() {
            match view.key(key, fleet) {
                Picked::Stay => {}
                Picked::Close => self.runs_view = None,
                // Esc in the run goes back to the dashboard; R shows the list again.
                Picked::Open(run) => {
                    (self.runs_view, self.run_view) = (None, Some(RunView::new(run)))
                }
            }
            return Action::Redraw;
        }
        if let Some(view) = self.diff_view.as_mut() {
            if !view.key(key, self.screen) {
                self.diff_view = None;
            }
            return Action::Redraw;
        }
        // On the dashboard (the views above have their own keys and prompts), any other Ctrl
        // or Alt chord is not its plain key (Ctrl-A must not mark every device): it does
        // nothing, except Ctrl-C, and the prompts' own editing chords (Ctrl-U, Ctrl-W).
        let chord = key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
        let ctrl_c = ctrl && key.code == KeyCode::Char('c');
        let prompt = self.filter_input.is_some() || self.command_line.is_open();
        if chord && !ctrl_c && !prompt {
            return Action::Nothing;
        }
        if let Some(question) = self.asking.take() {
            return match (question, key.code == KeyCode::Char('y')) {
                (Question::Abort, true) => Action::Control(Control::Abort),
                // Quit only once in-flight steps finished: nothing is killed halfway.
                (Question::Quit, true) => {
                    self.quitting = true;
                    Action::Control(Control::Abort)
                }
                (_, false) => Action::Redraw,
            };
        }
        if self.quitting {
            // Waiting for the abort to land; a second Ctrl-C leaves at once.
            let ctrl_c = ctrl && key.code == KeyCode::Char('c');
            return if ctrl_c {
                Action::Quit
            } else {
                Action::Nothing
            };
        }
        let quit = (ctrl && key.code == KeyCode::Char('c'))
            || (key.code == KeyCode::Char('q') && !self.typing());
        if quit {
            return self.request_quit(fleet);
        }
        if self.rollout(fleet).is_some()
            && !self.typing()
            && let Some(action) = self.on_rollout_key(key)
        {
            return action;
        }
        if key.code == KeyCode::Tab && fleet.rollout.is_some() && !self.typing() {
            self.rollout_screen = true;
            self.list_stale = true;
            self.refresh(fleet);
            return Action::Redraw;
        }
        if let Some(pending) = self.confirm.take() {
            if key.code == KeyCode::Char('y') {
                return self.start_run(pending.command, pending.devices);
            }
            self.status = Some(format!("not run: {}", pending.command));
            return Action::Redraw;
        }
        if self.command_line.is_open() {
            return match self.command_line.key(key) {
                Edit::Editing | Edit::Cancelled => Action::Redraw,
                Edit::Submitted(command) => self.submit(command, fleet),
            };
        }
        if self.filter_input.is_some() {
            return self.on_filter_key(key, fleet);
        }
        self.status = None;
        if self.help {
            // ↓ scrolls a help taller than the terminal; any other key closes it, q quits.
            let step: i32 = match key.code {
                KeyCode::Down | KeyCode::Char('j') => 1,
                KeyCode::PageDown | KeyCode::Char(' ') => 10,
                KeyCode::Up | KeyCode::Char('k') => -1,
                KeyCode::PageUp => -10,
                _ => 0,
            };
            let hidden = i32::from(crate::ui::help::hidden(self.screen));
            if step != 0 && hidden > 0 {
                let scroll = (i32::from(self.help_scroll) + step).clamp(0, hidden);
                self.help_scroll = scroll as u16;
                return Action::Redraw;
            }
            (self.help, self.help_scroll) = (false, 0);
            return if key.code == KeyCode::Char('q') {
                Action::Quit
            } else {
                Action::Redraw
            };
        }
        let page = self.page_lines(fleet);
        match key.code {
            KeyCode::Char('q') => return Action::Quit,
            KeyCode::Char('?') => self.help = true,
            KeyCode::Char(':') => self.command_line.open(),
            KeyCode::Char(' ') => self.toggle_mark(),
            KeyCode::Char('v') => self.mark_range(),
            KeyCode::Char('a') => self.marks.extend(self.visible.iter().copied()),
            KeyCode::Char('A') => self.marks.clear(),
            KeyCode::Char('r') => match self.last_run.or(fleet.exec.runs.back().map(|r| r.id)) {
                Some(run) => self.run_view = Some(RunView::new(run)),
                None => self.status = Some("no command has run yet (: runs one)".into()),
            },
            // The detail over the tiles, where there is no room beside them.
            KeyCode::Char('i') | KeyCode::Enter
                if self.areas(fleet).detail.is_none() && self.rollout(fleet).is_none() =>
            {
                self.detail_overlay = !self.detail_overlay
            }
            KeyCode::Esc if self.detail_overlay => self.detail_overlay = false,
            KeyCode::Char('L') => self.log_view = Some(LogView::new(self.focused)),
            KeyCode::Char('R') => self.runs_view = Some(RunsView::default()),
            KeyCode::Char('B') => return self.backup(fleet),
            KeyCode::Char('d') => {
                let Some(device) = self.focused else {
                    return Action::Nothing;
                };
                self.diff_view = Some(DiffView::new(device));
                return Action::Job(JobRequest::Diff { device });
            }
            KeyCode::Char('/') => self.filter_input = Some(self.filter_text()),
            KeyCode::Esc if self.filter != Filter::None => self.set_filter("", fleet),
            KeyCode::Char('s') => {
                self.sort = self.sort.next();
                self.list_stale = true;
                self.refresh(fleet);
            }
            KeyCode::Left | KeyCode::Char('h') => self.move_focus(fleet, -1),
            KeyCode::Right | KeyCode::Char('l') => self.move_focus(fleet, 1),
            KeyCode::Up | KeyCode::Char('k') => self.move_lines(fleet, -1),
            KeyCode::Down | KeyCode::Char('j') => self.move_lines(fleet, 1),
            KeyCode::PageUp => self.move_lines(fleet, -page),
            KeyCode::PageDown => self.move_lines(fleet, page),
            KeyCode::Char('z') => self.toggle_dense(fleet, false),
            KeyCode::Char('Z') => self.toggle_dense(fleet, true),
            KeyCode::Home | KeyCode::Char('g') => self.move_focus(fleet, isize::MIN / 2),
            KeyCode::End | KeyCode::Char('G') => self.move_focus(fleet, isize::MAX / 2),
            _ => return Action::Nothing,
        }
        Action::Redraw
    }

    /// Keys of the rollout screen; `None` for keys it leaves to the dashboard.
    fn on_rollout_key(&mut self, key: KeyEvent) -> Option<Action> {
        if self.details {
            let page = self.screen.height.saturating_sub(6).max(1);
            match key.code {
                KeyCode::Char('d') | KeyCode::Esc => self.details = false,
                KeyCode::Down | KeyCode::Char('j') => self.details_scroll += 1,
                KeyCode::Up | KeyCode::Char('k') => {
                    self.details_scroll = self.details_scroll.saturating_sub(1)
                }
                KeyCode::PageDown | KeyCode::Char(' ') => self.details_scroll += page,
                KeyCode::PageUp => self.details_scroll = self.details_scroll.saturating_sub(page),
                KeyCode::Home | KeyCode::Char('g') => self.details_scroll = 0,
                _ => {}
            }
            return Some(Action::Redraw);
        }
        Some(match key.code {
            KeyCode::Char('p') => Action::Control(Control::Pause),
            KeyCode::Char('r') => Action::Control(Control::Resume),
            KeyCode::Enter => Action::Control(Control::Approve),
            KeyCode::Char('a') => {
                self.asking = Some(Question::Abort);
                Action::Redraw
            }
            KeyCode::Char('d') if self.focused.is_some() => {
                (self.details, self.details_scroll) = (true, 0);
                Action::Redraw
            }
            KeyCode::Tab => {
                self.rollout_screen = false;
                self.list_stale = true;
                Action::Redraw
            }
            _ => return None,
        })
    }

    fn on_filter_key(&mut self, key: KeyEvent, fleet: &State) -> Action {
        let Some(input) = self.filter_input.as_mut() else {
            return Action::Nothing;
        };
        match key.code {
            KeyCode::Enter => self.filter_input = None,
            KeyCode::Esc => {
                self.filter_input = None;
                self.set_filter("", fleet);
                return Action::Redraw;
            }
            _ if edit_line(input, key) => {}
            _ => return Action::Nothing,
        }
        // Filter as you type: the tiles follow every keystroke.
        let text = self
            .filter_input
            .clone()
            .unwrap_or_else(|| self.filter_text());
        self.set_filter(&text, fleet);
        Action::Redraw
    }

    fn on_mouse(&mut self, mouse: MouseEvent, fleet: &State) -> Action {
        match mouse.kind {
            MouseEventKind::Down(MouseButton::Left) if self.dense_shown(fleet) => {
                let map = self.dense_map(fleet);
                match map.hit(self.scroll, mouse.column, mouse.row) {
                    Some(index) => {
                        self.focused = Some(self.visible[index]);
                        Action::Redraw
                    }
                    None => Action::Nothing,
                }
            }
            MouseEventKind::Down(MouseButton::Left) => {
                let grid = self.grid(fleet);
                let Some((row, col)) = grid.hit(mouse.column, mouse.row) else {
                    return Action::Nothing;
                };
                let index = (self.scroll + row) * grid.cols + col;
                match self.visible.get(index) {
                    Some(&id) => {
                        self.focused = Some(id);
                        Action::Redraw
                    }
                    None => Action::Nothing,
                }
            }
            MouseEventKind::ScrollDown => {
                self.move_lines(fleet, 1);
                Action::Redraw
            }
            MouseEventKind::ScrollUp => {
                self.move_lines(fleet, -1);
                Action::Redraw
            }
            _ => Action::Nothing,
        }
    }
}
