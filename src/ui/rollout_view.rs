//! The rollout screen: the waves with progress gauges and states above the tiles (coloured by
//! rollout state), and `d`, a device's steps and check outputs.
//!
//! ```text
//! rollout ntp: running   ✓ 3 done  ✗ 1 failed  ⟳ 2 active  · 6 pending
//! wave 1 canary  [██████████████████████] 1/1  completed
//! wave 2 batch   [██████░░░░░░░░░░░░░░░░] 2/5  running
//! wave 3 batch   [░░░░░░░░░░░░░░░░░░░░░░] 0/6  pending
//! (tiles, detail, log)
//!  p pause  r resume  a abort  Enter approve  d details  Tab dashboard
//! ```

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Gauge, Paragraph, Wrap};

use super::theme;
use crate::fleet::State;
use crate::inventory::DeviceId;
use crate::rollout::event::{CheckPhase, RolloutState};
use crate::rollout::report::{DeviceState, RunState};

/// Rows the waves panel takes: a title line and one line a wave (at most 8 shown, 3 on a
/// short terminal so the tiles keep their room), and a blank line when there is room.
pub fn panel_height(rollout: &RolloutState, screen_height: u16) -> u16 {
    let (waves, gap) = match screen_height < super::layout::SHORT_TERMINAL {
        true => (3, 0),
        false => (8, 1),
    };
    1 + rollout.waves.len().min(waves) as u16 + gap
}

pub fn device_style(state: DeviceState) -> Style {
    let s = Style::new().fg(Color::Black);
    match state {
        DeviceState::Pending => Style::new().fg(Color::White).bg(Color::DarkGray),
        DeviceState::PreChecking | DeviceState::Verifying => s.bg(Color::Cyan),
        DeviceState::Applying => s.bg(Color::Yellow),
        DeviceState::Done => s.bg(Color::Green),
        DeviceState::Failed => Style::new()
            .fg(Color::White)
            .bg(Color::Red)
            .add_modifier(Modifier::BOLD),
        DeviceState::Skipped => Style::new().fg(Color::Gray).bg(Color::Black),
        DeviceState::RolledBack => Style::new().fg(Color::White).bg(Color::Magenta),
        DeviceState::Unknown => s.bg(Color::LightYellow),
    }
}

fn run_style(state: RunState) -> Style {
    match state {
        RunState::Completed => Style::new().fg(Color::Green),
        RunState::Running => Style::new().fg(Color::Yellow),
        RunState::Paused | RunState::WaitingApproval => {
            Style::new().fg(Color::Black).bg(Color::Yellow)
        }
        RunState::Halted | RunState::Aborted => Style::new().fg(Color::White).bg(Color::Red),
        RunState::Pending => theme::dim(),
    }
}

/// The waves panel: overall state and counts, then one gauge a wave.
pub fn render_panel(frame: &mut Frame, area: Rect, rollout: &RolloutState) {
    let c = rollout.counts(None);
    let mut head = vec![
        Span::styled(
            format!(" rollout {} ", rollout.plan),
            theme::title().patch(theme::bar()),
        ),
        Span::raw(" "),
        Span::styled(
            format!(" {} ", rollout.overall.label()),
            run_style(rollout.overall),
        ),
        Span::raw(format!(
            "  ✓ {} done  ✗ {} failed  ⟳ {} active  · {} pending",
            c.done, c.failed, c.active, c.pending
        )),
    ];
    for (n, what) in [
        (c.skipped, "skipped"),
        (c.rolled_back, "rolled back"),
        (c.unknown, "unknown"),
    ] {
        if n > 0 {
            head.push(Span::raw(format!("  {n} {what}")));
        }
    }
    if rollout.resumed {
        head.push(Span::styled("  (resumed)", theme::dim()));
    }
    if let Some(reason) = &rollout.overall_reason {
        head.push(Span::styled(format!("  {reason}"), theme::warn()));
    }
    let fit = usize::from(area.height.saturating_sub(1)).min(8);
    let rows = Layout::vertical(
        std::iter::once(Constraint::Length(1)).chain(
            rollout
                .waves
                .iter()
                .take(fit)
                .map(|_| Constraint::Length(1)),
        ),
    )
    .split(area);
    frame.render_widget(Paragraph::new(Line::from(head)), rows[0]);
    // Keep the current wave in view, with the one before it, when not all fit.
    let shown = rollout.waves.len().min(fit);
    let first =
        (rollout.current_wave().unwrap_or(0).saturating_sub(1)).min(rollout.waves.len() - shown);
    for (row, wave) in rows.iter().skip(1).zip(rollout.waves.iter().skip(first)) {
        let wc = rollout.counts(Some(wave.info.index));
        // Progress is devices that went through the change; skipped ones never did.
        let through = wc.done + wc.failed + wc.rolled_back + wc.unknown;
        let total = wave.info.devices.len().max(1);
        let [label, gauge, state] = Layout::horizontal([
            Constraint::Length(16),
            Constraint::Min(10),
            Constraint::Length(34),
        ])
        .areas(*row);
        frame.render_widget(
            Paragraph::new(format!(" wave {} {}", wave.info.index + 1, wave.info.kind)),
            label,
        );
        let colour = if wc.failed > 0 {
            Color::Red
        } else {
            Color::Green
        };
        frame.render_widget(
            Gauge::default()
                .ratio((through as f64 / total as f64).min(1.0))
                .label(match wc.skipped {
                    0 => format!("{through}/{}", wave.info.devices.len()),
                    n => format!("{through}/{} ({n} skipped)", wave.info.devices.len()),
                })
                .gauge_style(Style::new().fg(colour).bg(Color::Black)),
            gauge,
        );
        // "aborted by the operator" already says "aborted".
        let label = wave.state.label();
        let text = match &wave.reason {
            Some(reason) if reason.starts_with(label.split(' ').next().unwrap_or(label)) => {
                format!(" {reason}")
            }
            Some(reason) => format!(" {label}: {reason}"),
            None => format!(" {label}"),
        };
        frame.render_widget(
            Paragraph::new(Span::styled(text, run_style(wave.state))),
            state,
        );
    }
}

/// A tile's second line in the rollout view: the step in progress, else the state.
pub fn tile_status(rollout: &RolloutState, device: DeviceId) -> Option<(String, Style)> {
    let view = rollout.device(device)?;
    let text = match &view.step {
        Some(step) => step.clone(),
        None => view.state.label().to_string(),
    };
    Some((text, device_style(view.state)))
}

/// `d`: the device's rollout state, reason, and every check with its output.
pub fn render_details(
    frame: &mut Frame,
    screen: Rect,
    fleet: &State,
    device: DeviceId,
    scroll: u16,
) {
    let [area] = Layout::vertical([Constraint::Percentage(80)])
        .flex(Flex::Center)
        .areas(screen);
    let [area] = Layout::horizontal([Constraint::Percentage(80)])
        .flex(Flex::Center)
        .areas(area);
    let name = &fleet.inventory.devices[device].name;
    let mut lines = Vec::new();
    match fleet.rollout.as_ref().and_then(|r| r.device(device)) {
        None => lines.push(Line::raw(format!("{name} is not part of this rollout"))),
        Some(view) => {
            let wave = view
                .wave
                .map_or(String::new(), |w| format!("wave {}, ", w + 1));
            lines.push(Line::from(vec![
                Span::raw(format!("{wave}state ")),
                Span::styled(
                    format!(" {} ", view.state.label()),
                    device_style(view.state),
                ),
            ]));
            if let Some(reason) = &view.reason {
                lines.push(Line::styled(format!("reason: {reason}"), theme::warn()));
            }
            if let Some(step) = &view.step {
                lines.push(Line::raw(format!("now: {step}")));
            }
            for (phase, check, passed, output) in &view.checks {
                let phase = match phase {
                    CheckPhase::Pre => "pre-check",
                    CheckPhase::Post => "post-check",
                };
                let (mark, style) = if *passed {
                    ("✓", Style::new().fg(Color::Green))
                } else {
                    ("✗", Style::new().fg(Color::Red))
                };
                lines.push(Line::raw(""));
                lines.push(Line::styled(
                    format!("{mark} {phase} {check}"),
                    style.add_modifier(Modifier::BOLD),
                ));
                lines.extend(output.lines().map(|l| Line::raw(format!("  {l}"))));
            }
        }
    }
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0))
            .block(
                Block::new()
                    .borders(Borders::ALL)
                    .title(format!(" {name} · ↑↓ PgUp PgDn scroll · d or Esc closes ")),
            ),
        area,
    );
}
