//! The dense view (`z`): every device one cell (two when there is room), coloured by state,
//! with a symbol that reads without colour, so 10,000 devices fit on 250×80 and 1,000 on
//! 80×24. Laid out in the list's order, or grouped (`Z`: by site, by group) with a heading
//! line per group. The map is rebuilt from the visible list when needed (cheap: one pass),
//! and only the lines on screen are drawn.
//!
//! ```text
//! ams (6 · ▼1)
//! · · ▼ · ● ·
//! fra (6)
//! · ? · ~ · ·
//! ```

use std::time::Instant;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::widgets::Widget;

use super::app::App;
use super::rollout_view;
use super::theme;
use crate::fleet::{Link, Reach, State};
use crate::inventory::{DeviceId, Inventory, natural_cmp};

/// How the dense view groups devices (`Z` cycles through them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GroupBy {
    /// One block in the list's order (name, or the `s` sort).
    #[default]
    None,
    /// By the `site` tag.
    Site,
    /// By the first group the device lists.
    Group,
}

impl GroupBy {
    pub fn next(self) -> GroupBy {
        match self {
            GroupBy::None => GroupBy::Site,
            GroupBy::Site => GroupBy::Group,
            GroupBy::Group => GroupBy::None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            GroupBy::None => "not grouped",
            GroupBy::Site => "by site",
            GroupBy::Group => "by group",
        }
    }

    /// The heading a device falls under (`None` when not grouping).
    pub fn key(self, inv: &Inventory, id: DeviceId) -> Option<&str> {
        let device = &inv.devices[id];
        match self {
            GroupBy::None => None,
            GroupBy::Site => Some(device.tags.get("site").map_or("(no site)", String::as_str)),
            GroupBy::Group => Some(device.groups.first().map_or("(no group)", String::as_str)),
        }
    }

    /// Reorders `ids` so each group is contiguous (groups in natural order), keeping the
    /// list's order within a group.
    pub fn arrange(self, inv: &Inventory, ids: &mut [DeviceId]) {
        if self != GroupBy::None {
            ids.sort_by(|&a, &b| natural_cmp(self.key(inv, a).unwrap(), self.key(inv, b).unwrap()));
        }
    }
}

/// One line of the map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapLine {
    /// A group's heading: its devices are `visible[start..start + len]`.
    Heading { start: usize, len: usize },
    /// Devices `visible[start..start + len]`, one cell each.
    Cells { start: usize, len: usize },
}

/// Where every visible device sits: the lines of the whole map, of which `area.height`
/// are shown from the app's scroll on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DenseMap {
    pub area: Rect,
    /// Columns per device: 2 (a symbol and a gap) when everything fits, else 1.
    pub cell: u16,
    pub cols: usize,
    pub lines: Vec<MapLine>,
}

impl DenseMap {
    pub fn new(area: Rect, fleet: &State, visible: &[DeviceId], by: GroupBy) -> DenseMap {
        let inv = &fleet.inventory;
        // The groups as runs of the (arranged) list.
        let mut groups: Vec<(usize, usize)> = Vec::new();
        if by == GroupBy::None {
            groups.push((0, visible.len()));
        } else {
            for (i, &id) in visible.iter().enumerate() {
                match groups.last_mut() {
                    Some((start, len)) if by.key(inv, visible[*start]) == by.key(inv, id) => {
                        *len += 1
                    }
                    _ => groups.push((i, 1)),
                }
            }
        }
        let lines_at = |cell: u16| {
            let cols = usize::from((area.width / cell).max(1));
            let headings = if by == GroupBy::None { 0 } else { groups.len() };
            let rows: usize = groups.iter().map(|&(_, len)| len.div_ceil(cols)).sum();
            (cols, rows + headings)
        };
        let cell = if lines_at(2).1 <= usize::from(area.height) {
            2
        } else {
            1
        };
        let (cols, _) = lines_at(cell);
        let mut lines = Vec::new();
        for &(start, len) in &groups {
            if by != GroupBy::None {
                lines.push(MapLine::Heading { start, len });
            }
            for row in (0..len).step_by(cols) {
                lines.push(MapLine::Cells {
                    start: start + row,
                    len: cols.min(len - row),
                });
            }
        }
        DenseMap {
            area,
            cell,
            cols,
            lines,
        }
    }

    pub fn rows(&self) -> usize {
        usize::from(self.area.height).max(1)
    }

    /// The line and column of the device at `index` in the visible list.
    pub fn locate(&self, index: usize) -> Option<(usize, usize)> {
        // Lines are in list order: binary search on the cell lines' starts.
        let at = self.lines.partition_point(|line| match *line {
            MapLine::Cells { start, len } => start + len <= index,
            MapLine::Heading { start, .. } => start <= index,
        });
        match self.lines.get(at) {
            Some(&MapLine::Cells { start, .. }) if start <= index => Some((at, index - start)),
            _ => None,
        }
    }

    /// The device `lines` lines above (negative) or below the one at `index`, in the same
    /// column or the nearest one; headings are skipped. Stops at the first and last line.
    pub fn vertical(&self, index: usize, lines: isize) -> usize {
        let Some((line, col)) = self.locate(index) else {
            return index;
        };
        let cells: Vec<usize> = (0..self.lines.len())
            .filter(|&l| matches!(self.lines[l], MapLine::Cells { .. }))
            .collect();
        let here = cells.partition_point(|&l| l < line) as isize;
        let target = (here + lines).clamp(0, cells.len() as isize - 1) as usize;
        match self.lines[cells[target]] {
            MapLine::Cells { start, len } => start + col.min(len - 1),
            MapLine::Heading { .. } => index,
        }
    }

    /// The visible index under screen cell (x, y), given the first line shown.
    pub fn hit(&self, scroll: usize, x: u16, y: u16) -> Option<usize> {
        if !self.area.contains((x, y).into()) {
            return None;
        }
        let line = scroll + usize::from(y - self.area.y);
        let col = usize::from((x - self.area.x) / self.cell);
        match self.lines.get(line)? {
            &MapLine::Cells { start, len } if col < len => Some(start + col),
            _ => None,
        }
    }
}

/// The symbol of a device's cell: state first, so a down or flapping device reads without
/// colour; then an SSH problem; then a mark.
pub fn symbol(fleet: &State, app: &App, id: DeviceId, now: Instant) -> &'static str {
    let device = &fleet.devices[id];
    let config = &fleet.config;
    if device.reach == Reach::Down {
        return theme::symbol(Reach::Down);
    }
    if device.is_flapping(now, config.flap_window, config.flap_count) {
        return theme::FLAPPING;
    }
    if matches!(
        fleet.exec.links[id],
        Link::Failed { .. } | Link::CircuitOpen { .. }
    ) {
        return theme::SSH_PROBLEM;
    }
    if app.marks.contains(&id) {
        return theme::MARK;
    }
    match device.reach {
        Reach::Up => theme::DENSE_UP,
        _ => theme::symbol(device.reach),
    }
}

pub struct Dense<'a> {
    pub fleet: &'a State,
    pub app: &'a App,
    pub map: &'a DenseMap,
    pub now: Instant,
}

impl Widget for Dense<'_> {
    fn render(self, _area: Rect, buf: &mut Buffer) {
        let Dense {
            fleet,
            app,
            map,
            now,
        } = self;
        let area = map.area;
        let shown = map.lines.iter().skip(app.scroll).take(map.rows());
        for (row, line) in shown.enumerate() {
            let y = area.y + row as u16;
            match *line {
                MapLine::Heading { start, len } => {
                    let ids = &app.visible[start..start + len];
                    let down = ids
                        .iter()
                        .filter(|&&id| fleet.devices[id].reach == Reach::Down)
                        .count();
                    let name = app.dense_by.key(&fleet.inventory, ids[0]).unwrap_or("");
                    let text = match down {
                        0 => format!("{} ({len})", super::tiles::fit(name, 60)),
                        n => format!("{} ({len} · ▼{n})", super::tiles::fit(name, 60)),
                    };
                    buf.set_stringn(area.x, y, text, area.width.into(), theme::title());
                }
                MapLine::Cells { start, len } => {
                    let rollout = app.rollout(fleet);
                    for col in 0..len {
                        let id = app.visible[start + col];
                        let x = area.x + col as u16 * map.cell;
                        let rollout = rollout.and_then(|r| rollout_view::tile_status(r, id));
                        let mut style = match &rollout {
                            Some((_, style)) => *style,
                            None => theme::tile(fleet.devices[id].reach),
                        };
                        if app.marks.contains(&id) {
                            style = style.add_modifier(Modifier::UNDERLINED);
                        }
                        if app.focused == Some(id) {
                            style = style.add_modifier(theme::FOCUS);
                        }
                        // Straight into the cell: the symbols are one column wide each,
                        // and `set_stringn` would segment and measure 10,000 of them a frame.
                        if let Some(cell) = buf.cell_mut((x, y)) {
                            cell.set_symbol(symbol(fleet, app, id, now))
                                .set_style(style);
                        }
                    }
                }
            }
        }
    }
}
