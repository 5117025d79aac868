//! `L`: the session's whole log, full screen: a time on every line, filtered by kind or by
//! the focused device, searched with `/` and `n`/`N`, folded lines opened with Enter.
//!
//! ```text
//!  log  412 of 2210 lines · kind: all · device: all                         newest at the end
//!  15:04:05 up/down  ams-core-2 up → down: 2 lost (no reply)
//!  15:04:07 host keys learned 60 new host keys into ~/.local/state/…  [Enter: 60 more]
//!  ↑↓ PgUp/PgDn Home/End  / search  n/N  t kind  d device  Enter open  Esc back
//! ```

use std::cell::Cell;

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, ListItem, Paragraph};

use super::list;
use super::search::{self, Search, Searched};
use super::theme;
use crate::base::text::escape_line;
use crate::fleet::{LogEntry, LogKind, State};
use crate::inventory::DeviceId;

#[derive(Debug, Clone, PartialEq)]
pub struct LogView {
    /// Only lines of this kind.
    pub kind: Option<LogKind>,
    /// Only lines about this device.
    pub device: Option<DeviceId>,
    /// The device `d` filters by (the dashboard's focus when the log opened).
    focus: Option<DeviceId>,
    /// The selected line among the shown ones; `None`: follow the newest.
    pub selected: Option<usize>,
    /// Enter on a folded line: its list is open (over the log), scrolled this far.
    pub open: Option<usize>,
    pub search: Search,
    /// The list's first row, kept between frames so scrolling is steady.
    offset: Cell<usize>,
}

impl LogView {
    pub fn new(focus: Option<DeviceId>) -> LogView {
        LogView {
            kind: None,
            device: None,
            focus,
            selected: None,
            open: None,
            search: Search::default(),
            offset: Cell::new(0),
        }
    }

    /// The log's lines this view shows (indices into `fleet.log`).
    pub fn shown(&self, fleet: &State) -> Vec<usize> {
        let name = self
            .device
            .map(|d| fleet.inventory.devices[d].name.as_str());
        (fleet.log.iter().enumerate())
            .filter(|(_, e)| self.kind.is_none_or(|k| e.kind == k))
            .filter(|(_, e)| match (self.device, name) {
                (Some(d), Some(name)) => {
                    let in_run = e.run.and_then(|r| fleet.exec.get(r));
                    e.device == Some(d)
                        || in_run.is_some_and(|r| r.devices.contains(&d))
                        || mentions(e, name)
                }
                _ => true,
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// A key while the view is open; `false`: close it.
    pub fn key(&mut self, key: KeyEvent, fleet: &State, screen: Rect) -> bool {
        let shown = self.shown(fleet);
        let last = shown.len().saturating_sub(1);
        let at = self.selected.unwrap_or(last).min(last);
        let page = usize::from(screen.height.saturating_sub(4)).max(1);
        if let Some(scroll) = self.open.as_mut() {
            // About the list's last page (the drawing clamps it exactly), so ↑ after End
            // moves at once: the overlay shows the screen less 7 or 8 rows.
            let listed = shown.get(at).map_or(0, |&i| fleet.log[i].details.len());
            let max = listed.saturating_sub(usize::from(screen.height.saturating_sub(8)));
            match key.code {
                KeyCode::Down | KeyCode::Char('j') => *scroll += 1,
                KeyCode::Up | KeyCode::Char('k') => *scroll = scroll.saturating_sub(1),
                KeyCode::PageDown | KeyCode::Char(' ') => *scroll += page,
                KeyCode::PageUp => *scroll = scroll.saturating_sub(page),
                KeyCode::Home | KeyCode::Char('g') => *scroll = 0,
                KeyCode::End | KeyCode::Char('G') => *scroll = max,
                KeyCode::Enter | KeyCode::Esc | KeyCode::Char('q') => {
                    self.open = None;
                    return true;
                }
                _ => {}
            }
            *scroll = (*scroll).min(max);
            return true;
        }
        let searched = self.search.key(key);
        let search = &self.search;
        let hit = |i: usize| {
            let e = &fleet.log[shown[i]];
            search.matches(&e.text) || e.details.iter().any(|d| search.matches(d))
        };
        let found = match searched {
            Searched::NotMine => None,
            Searched::Editing => return true,
            Searched::Term => Some(search::next(shown.len(), at, true, hit)),
            Searched::Next => Some(search::next(shown.len(), at, true, hit)),
            Searched::Previous => Some(search::next(shown.len(), at, false, hit)),
        };
        if let Some(found) = found {
            if let Some(i) = found {
                self.selected = Some(i);
            }
            return true;
        }
        match key.code {
            KeyCode::Esc | KeyCode::Char('q') | KeyCode::Char('L') => return false,
            KeyCode::Down | KeyCode::Char('j') => self.selected = Some((at + 1).min(last)),
            KeyCode::Up | KeyCode::Char('k') => self.selected = Some(at.saturating_sub(1)),
            KeyCode::PageDown => self.selected = Some((at + page).min(last)),
            KeyCode::PageUp => self.selected = Some(at.saturating_sub(page)),
            KeyCode::Home | KeyCode::Char('g') => self.selected = Some(0),
            KeyCode::End | KeyCode::Char('G') => self.selected = None,
            KeyCode::Enter => {
                let folded = shown
                    .get(at)
                    .is_some_and(|&i| !fleet.log[i].details.is_empty());
                if folded {
                    self.open = Some(0);
                }
            }
            KeyCode::Char('t') => {
                let next = match self.kind {
                    None => Some(LogKind::ALL[0]),
                    Some(k) => LogKind::ALL
                        .iter()
                        .position(|&x| x == k)
                        .and_then(|i| LogKind::ALL.get(i + 1).copied()),
                };
                (self.kind, self.selected) = (next, None);
            }
            KeyCode::Char('d') => {
                self.device = if self.device.is_some() {
                    None
                } else {
                    self.focus
                };
                self.selected = None;
            }
            _ => {}
        }
        true
    }
}

/// Whether a line names the device (a run's line, a host key of it).
fn mentions(entry: &LogEntry, name: &str) -> bool {
    let word = |text: &str| {
        text.match_indices(name).any(|(i, _)| {
            let before = text[..i].chars().next_back();
            let after = text[i + name.len()..].chars().next();
            let apart = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric() && c != '-');
            apart(before) && apart(after)
        })
    };
    word(&entry.text) || entry.details.iter().any(|d| word(d))
}

pub fn render(frame: &mut Frame, area: Rect, fleet: &State, view: &LogView) {
    let [head, body, keys] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(area);
    let shown = view.shown(fleet);
    let last = shown.len().saturating_sub(1);
    let selected = view.selected.unwrap_or(last).min(last);
    let device = view
        .device
        .map_or("all", |d| &fleet.inventory.devices[d].name);
    let kind = view.kind.map_or("all", LogKind::label);
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(" log ", theme::title().patch(theme::bar())),
            Span::raw(format!(
                " {} of {} lines · kind: {kind} · device: {device}",
                shown.len(),
                fleet.log.len()
            )),
            Span::styled(
                format!("  (the last {} are kept)", fleet.config.log_lines),
                theme::dim(),
            ),
        ])),
        head,
    );

    // Only the lines on screen are built: the log holds thousands. The first one shown
    // stays put until the selection leaves the page.
    let rows = usize::from(body.height.saturating_sub(1)).max(1);
    let mut offset = view.offset.get().min(selected);
    if selected >= offset + rows {
        offset = selected + 1 - rows;
    }
    view.offset.set(offset);
    let mut items: Vec<ListItem> = Vec::with_capacity(rows);
    for &index in shown.iter().skip(offset).take(rows) {
        let entry = &fleet.log[index];
        let hit = view.search.matches(&entry.text)
            || entry.details.iter().any(|d| view.search.matches(d));
        let mut style = entry.reach.map_or_else(Style::new, theme::text);
        if hit {
            style = style.add_modifier(Modifier::UNDERLINED);
        }
        let mut spans = vec![
            Span::styled(fleet.clock(entry.at), theme::dim()),
            Span::styled(format!(" {:<9} ", entry.kind.label()), theme::dim()),
            Span::styled(escape_line(&entry.text), style),
        ];
        if !entry.details.is_empty() {
            spans.push(Span::styled("  [Enter lists them]", theme::dim()));
        }
        items.push(ListItem::new(Line::from(spans)));
    }
    let at = selected.saturating_sub(offset);
    list::selectable(
        frame,
        body,
        items,
        at,
        "no line matches (t: kind, d: device)",
    );

    if let (Some(scroll), Some(&index)) = (view.open, shown.get(selected)) {
        render_folded(frame, body, &fleet.log[index], scroll, &view.search);
    }
    let hint = view.search.prompt().unwrap_or_else(|| {
        " ↑↓ PgUp/PgDn Home/End  / search  n/N  t kind  d device  Enter open  Esc back".into()
    });
    frame.render_widget(Paragraph::new(hint).style(theme::dim()), keys);
}

/// A folded line's list, over the log: the count first, then every line (scrollable).
fn render_folded(frame: &mut Frame, area: Rect, entry: &LogEntry, scroll: usize, search: &Search) {
    let area = area.inner(ratatui::layout::Margin::new(2, 1));
    let lines: Vec<Line> = (entry.details.iter())
        .map(|d| {
            let style = match search.matches(d) {
                true => Style::new().add_modifier(Modifier::UNDERLINED),
                false => Style::new(),
            };
            Line::styled(escape_line(d), style)
        })
        .collect();
    let inner_height = usize::from(area.height.saturating_sub(2)).max(1);
    let scroll = scroll.min(lines.len().saturating_sub(inner_height));
    let kept = match entry.details.len() < entry.folded {
        true => format!(" (the newest {} listed)", entry.details.len()),
        false => String::new(),
    };
    let title = format!(" {}{kept} ", escape_line(&entry.text));
    frame.render_widget(ratatui::widgets::Clear, area);
    frame.render_widget(
        Paragraph::new(lines)
            .block(
                Block::new()
                    .borders(Borders::ALL)
                    .title(title)
                    .title_bottom(" ↑↓ PgUp/PgDn scroll  Enter/Esc close "),
            )
            .scroll((scroll.min(usize::from(u16::MAX)) as u16, 0)),
        area,
    );
}
