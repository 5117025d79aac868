//! Where everything goes on screen. Both the view and the input handler (mouse clicks,
//! paging) use these functions, so what is drawn and what is clicked always agree.
//!
//! ```text
//! ┌──────────────────────────────────────────────────────────────────────────────┐
//! │ fleetdash  lab.yaml  ▲ 57 up  ▼ 2 down  ? 1 unknown  sweep #12 …  ICMP raw   │ summary
//! │ (TCP fallback: the command that enables ICMP)                                │ (only then)
//! │ (the rollout's waves with gauges)                                            │ (rollout screen)
//! ├──────────────────────────────────────────────────────┬───────────────────────┤
//! │ ams-core-1     ams-core-2     ams-edge-1     …        │ detail of the focused │
//! │ ▲ 0.21ms       ▼ 2m13s        ▲ 0.30ms ~              │ device: state, RTT    │
//! │                                                       │ sparkline, loss,      │
//! │ tiles, scrolled so the focused one is visible         │ jitter, transitions,  │
//! │                                                       │ inventory attributes  │
//! ├──────────────────────────────────────────────────────┴───────────────────────┤
//! │ 15:04:05 ams-core-2 up → down: 2 lost (no reply)                             │ log
//! ├──────────────────────────────────────────────────────────────────────────────┤
//! │ / filter  s sort: name  ? help  q quit                    1/60 devices       │ footer
//! └──────────────────────────────────────────────────────────────────────────────┘
//! ```

use ratatui::layout::{Constraint, Layout, Rect};

/// A tile: two lines (name, then state/RTT) and this many columns.
pub const TILE_WIDTH: u16 = 16;
pub const TILE_HEIGHT: u16 = 2;
/// Blank space between tiles, so same-coloured neighbours stay apart.
pub const GAP_X: u16 = 1;
pub const GAP_Y: u16 = 1;
/// The detail pane shows beside the tiles when the terminal is at least this wide.
const DETAIL_MIN_TERMINAL_WIDTH: u16 = 100;
/// Below this height the log pane and the rollout's waves panel shrink.
pub const SHORT_TERMINAL: u16 = 30;
/// The detail pane takes a third of a wide terminal, within these bounds.
const DETAIL_WIDTH: (u16, u16) = (44, 64);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    pub summary: Rect,
    /// The rollout's waves panel, on the rollout screen.
    pub panel: Option<Rect>,
    pub tiles: Rect,
    pub detail: Option<Rect>,
    pub log: Rect,
    pub footer: Rect,
}

/// `panel_lines`: the rollout panel's height, 0 when there is none.
pub fn areas(screen: Rect, summary_lines: u16, panel_lines: u16) -> Areas {
    // A short terminal keeps three log lines and gives the rest to the tiles (`L` shows
    // the whole log).
    let log_height = match screen.height {
        0..SHORT_TERMINAL => 4,
        h => (h / 4).clamp(3, 12),
    };
    let [summary, panel, main, log, footer] = Layout::vertical([
        Constraint::Length(summary_lines),
        Constraint::Length(panel_lines),
        Constraint::Min(TILE_HEIGHT),
        Constraint::Length(log_height),
        Constraint::Length(1),
    ])
    .areas(screen);
    let (tiles, detail) = if screen.width >= DETAIL_MIN_TERMINAL_WIDTH {
        let [tiles, detail] = Layout::horizontal([
            Constraint::Min(TILE_WIDTH),
            Constraint::Length((screen.width / 3).clamp(DETAIL_WIDTH.0, DETAIL_WIDTH.1)),
        ])
        .areas(main);
        (tiles, Some(detail))
    } else {
        (main, None)
    };
    Areas {
        summary,
        panel: (panel_lines > 0).then_some(panel),
        tiles,
        detail,
        log,
        footer,
    }
}

/// How many tiles fit in the tiles area.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grid {
    pub area: Rect,
    pub cols: usize,
    pub rows: usize,
}

impl Grid {
    pub fn new(area: Rect) -> Grid {
        let cols = ((area.width + GAP_X) / (TILE_WIDTH + GAP_X)).max(1);
        let rows = ((area.height + GAP_Y) / (TILE_HEIGHT + GAP_Y)).max(1);
        Grid {
            area,
            cols: cols as usize,
            rows: rows as usize,
        }
    }

    /// The screen rectangle of the tile in visible row `row`, column `col`.
    pub fn tile_rect(&self, row: usize, col: usize) -> Rect {
        let x = self.area.x + col as u16 * (TILE_WIDTH + GAP_X);
        let y = self.area.y + row as u16 * (TILE_HEIGHT + GAP_Y);
        Rect::new(x, y, TILE_WIDTH, TILE_HEIGHT).intersection(self.area)
    }

    /// Which visible (row, col) a screen cell falls on, if it is on a tile.
    pub fn hit(&self, x: u16, y: u16) -> Option<(usize, usize)> {
        if !self.area.contains((x, y).into()) {
            return None;
        }
        let (dx, dy) = (x - self.area.x, y - self.area.y);
        let (col, row) = (dx / (TILE_WIDTH + GAP_X), dy / (TILE_HEIGHT + GAP_Y));
        let on_tile =
            dx % (TILE_WIDTH + GAP_X) < TILE_WIDTH && dy % (TILE_HEIGHT + GAP_Y) < TILE_HEIGHT;
        (on_tile && (col as usize) < self.cols && (row as usize) < self.rows)
            .then_some((row as usize, col as usize))
    }
}
