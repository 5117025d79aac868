//! `d` on a device: what changed in its configuration between its last two backups, as
//! `git diff` printed it (sanitised by the worker that read it: device text is hostile),
//! scrollable.
//!
//! ```text
//! ┌ s-ios2: diff against its previous backup ──────────────── 1-30 of 42 ┐
//! │@@ -12,6 +12,7 @@                                                      │
//! │+ntp server 192.0.2.123                                                │
//! └───────────────────────────────────────────────────────────────────────┘
//!  ↑↓ jk scroll  PgUp/PgDn page  g/G top/end  Esc back
//! ```

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph};

use super::theme;
use crate::base::text::escape_line;
use crate::fleet::State;
use crate::inventory::DeviceId;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffView {
    pub device: DeviceId,
    /// First line shown.
    pub scroll: usize,
}

impl DiffView {
    pub fn new(device: DeviceId) -> DiffView {
        DiffView { device, scroll: 0 }
    }

    /// A key while the view is open; `false`: close it.
    pub fn key(&mut self, key: KeyEvent, screen: Rect) -> bool {
        let page = usize::from(screen.height.saturating_sub(5)).max(1);
        match key.code {
            KeyCode::Esc | KeyCode::Char('q') | KeyCode::Char('d') => return false,
            KeyCode::Down | KeyCode::Char('j') => self.scroll += 1,
            KeyCode::Up | KeyCode::Char('k') => self.scroll = self.scroll.saturating_sub(1),
            KeyCode::PageDown | KeyCode::Char(' ') => self.scroll += page,
            KeyCode::PageUp => self.scroll = self.scroll.saturating_sub(page),
            KeyCode::Home | KeyCode::Char('g') => self.scroll = 0,
            // Clamped to the text when drawn.
            KeyCode::End | KeyCode::Char('G') => self.scroll = usize::MAX / 2,
            _ => {}
        }
        true
    }
}

pub fn render(frame: &mut Frame, area: Rect, fleet: &State, view: &DiffView) {
    let [body, keys] = Layout::vertical([Constraint::Min(3), Constraint::Length(1)]).areas(area);
    let name = &fleet.inventory.devices[view.device].name;
    let title = format!(" {}: diff against its previous backup ", escape_line(name));
    let block = Block::new().borders(Borders::ALL).title(title);
    let inner = block.inner(body);
    let rows = usize::from(inner.height).max(1);
    let text = match &fleet.jobs.diff {
        Some((device, diff)) if *device == view.device => match diff {
            Ok(Some(text)) => Ok(text.as_str()),
            Ok(None) => Err("fewer than two backups of this device: nothing to compare yet"),
            Err(why) => Err(why.as_str()),
        },
        _ => Err("reading the diff…"),
    };
    let lines: Vec<Line> = match text {
        Ok(text) => {
            let all: Vec<&str> = text.lines().collect();
            let first = view.scroll.min(all.len().saturating_sub(rows));
            let shown = all.iter().skip(first).take(rows);
            let block_title = format!(
                " {}-{} of {} ",
                first + 1,
                (first + rows).min(all.len()),
                all.len()
            );
            frame.render_widget(block.clone().title_bottom(block_title), body);
            shown
                .map(|l| {
                    // Whitespace the sanitiser kept (tabs) would shift the cells.
                    let l = l.replace('\t', "    ");
                    let style = match l.as_bytes().first() {
                        Some(b'+') if !l.starts_with("+++") => Style::new().fg(Color::Green),
                        Some(b'-') if !l.starts_with("---") => Style::new().fg(Color::Red),
                        Some(b'@') => Style::new().fg(Color::Cyan),
                        _ => Style::new(),
                    };
                    Line::styled(l, style)
                })
                .collect()
        }
        Err(note) => {
            frame.render_widget(block, body);
            vec![Line::styled(note.to_string(), theme::dim())]
        }
    };
    frame.render_widget(Paragraph::new(lines), inner);
    frame.render_widget(
        Paragraph::new(" ↑↓ jk scroll  PgUp/PgDn page  g/G top/end  Esc back").style(theme::dim()),
        keys,
    );
}
