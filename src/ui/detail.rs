//! The detail pane for the focused device: state, RTT sparkline, loss, jitter, flaps,
//! recent transitions and its inventory attributes.

use std::time::{Duration, Instant};

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Sparkline};

use super::{fmt_age, theme};
use crate::base::text::{Untrusted, count};
use crate::fleet::{BackupOutcome, Link, State, fmt_rtt};
use crate::inventory::{DeviceId, ProbeSpec};

pub fn render(
    frame: &mut Frame,
    area: Rect,
    fleet: &State,
    focused: Option<DeviceId>,
    now: Instant,
) {
    let block = Block::new().borders(Borders::LEFT).title(" detail ");
    let inner = block.inner(area);
    frame.render_widget(block, area);
    render_body(frame, inner, fleet, focused, now);
}

/// `i` or Enter where the terminal has no room for the pane: the detail over the tiles.
pub fn render_overlay(
    frame: &mut Frame,
    screen: Rect,
    fleet: &State,
    focused: Option<DeviceId>,
    now: Instant,
) {
    let width = screen.width.saturating_sub(4).min(64);
    let height = screen.height.saturating_sub(4).min(24);
    let area = Rect::new(
        screen.x + (screen.width - width) / 2,
        screen.y + (screen.height - height) / 2,
        width,
        height,
    );
    let block = Block::new()
        .borders(Borders::ALL)
        .title(" detail · ←↓↑→ move · i or Esc closes ");
    let inner = block.inner(area);
    frame.render_widget(ratatui::widgets::Clear, area);
    frame.render_widget(block, area);
    render_body(frame, inner, fleet, focused, now);
}

fn render_body(
    frame: &mut Frame,
    inner: Rect,
    fleet: &State,
    focused: Option<DeviceId>,
    now: Instant,
) {
    let Some(id) = focused else {
        frame.render_widget(
            Paragraph::new("no device selected").style(theme::dim()),
            inner,
        );
        return;
    };
    let dev = &fleet.inventory.devices[id];
    let st = &fleet.devices[id];
    let [head, spark, rest] = Layout::vertical([
        Constraint::Length(6),
        Constraint::Length(3),
        Constraint::Min(0),
    ])
    .areas(inner);

    let since = match st.since {
        Some(t) => format!(" for {} (since {})", fmt_age(now, t), fleet.clock(t)),
        None => String::new(),
    };
    let stats = match st.rtt_stats() {
        Some((mean, min, max)) => format!(
            "{} avg  {} min  {} max",
            fmt_rtt(mean),
            fmt_rtt(min),
            fmt_rtt(max)
        ),
        None => "no replies".into(),
    };
    let loss = st.loss_pct().map_or("–".into(), |p| format!("{p:.0}%"));
    let jitter = st.jitter().map_or("–".into(), fmt_rtt);
    let mut lines = vec![
        Line::from(vec![
            Span::styled(dev.name.clone(), theme::title()),
            Span::raw("  "),
            Span::styled(
                format!("{} {}", theme::symbol(st.reach), st.reach.as_str()),
                theme::text(st.reach),
            ),
            Span::raw(since),
        ]),
        Line::from(format!("rtt   {stats}")),
        Line::from(format!(
            "loss  {loss} of last {}   jitter {jitter}   flaps {}",
            st.history.len(),
            st.flaps
        )),
        Line::from(format!(
            "probes {} sent, {} answered",
            st.probes, st.replies
        )),
    ];
    if !st.remote.is_empty() {
        // Each vantage point's view beside this one's (`--from-prometheus`).
        let mut seen = vec![format!("from here {}", st.local.as_str())];
        seen.extend(st.remote.iter().map(|v| {
            let reach = if v.up { "up" } else { "down" };
            format!("{} {reach}", v.vantage)
        }));
        lines.push(Line::from(format!("seen  {}", seen.join(", "))));
    }
    if let Some(err) = &st.last_error {
        lines.push(Line::styled(
            format!("last error: {err}"),
            theme::text(crate::fleet::Reach::Down),
        ));
    }
    frame.render_widget(Paragraph::new(lines), head);

    // Losses draw as gaps; the sparkline scales to the window's slowest reply.
    let samples: Vec<u64> = st
        .history
        .iter()
        .map(|r| r.map_or(0, |d| d.as_micros().max(1) as u64))
        .collect();
    let take = spark.width as usize;
    let tail = &samples[samples.len().saturating_sub(take)..];
    frame.render_widget(
        Sparkline::default()
            .block(Block::new().title(Span::styled("rtt history", theme::dim())))
            .data(tail)
            .style(theme::text(st.reach)),
        spark,
    );

    let probe = match (dev.probe, dev.jump.last()) {
        (ProbeSpec::Icmp, None) => "icmp".to_string(),
        (ProbeSpec::Tcp(port), None) => format!("tcp:{port}"),
        // ICMP from here cannot reach it: the bastion opens a channel to the port.
        (spec, Some(last)) => {
            let port = match spec {
                ProbeSpec::Tcp(port) => port,
                ProbeSpec::Icmp => dev.port,
            };
            format!("tcp:{port} via {} (direct-tcpip)", Untrusted(last))
        }
    };
    let mut info = vec![
        Line::from(format!("host     {}:{}", dev.host, dev.port)),
        Line::from(format!("platform {}", dev.platform)),
        Line::from(format!("probe    {probe}")),
    ];
    if !dev.jump.is_empty() {
        let hops: Vec<String> = dev.jump.iter().map(|h| Untrusted(h).to_string()).collect();
        info.push(Line::from(format!("jump     {}", hops.join(" → "))));
    }
    if !dev.all_groups.is_empty() {
        info.push(Line::from(format!(
            "groups   {}",
            dev.all_groups.join(", ")
        )));
    }
    if !dev.tags.is_empty() {
        let tags: Vec<String> = dev.tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
        info.push(Line::from(format!("tags     {}", tags.join(" "))));
    }
    if let Some(user) = &dev.username {
        info.push(Line::from(format!("user     {user}")));
    }
    let link = match &fleet.exec.links[id] {
        Link::Idle => None,
        Link::Connecting => Some("connecting".to_string()),
        Link::Connected => Some("connected".to_string()),
        Link::Failed { reason } => Some(format!("failed: {reason}")),
        Link::CircuitOpen { until } => Some(format!(
            "circuit open, next try in {}",
            fmt_age(*until, now)
        )),
        Link::HalfOpen => Some("circuit half-open: next command is a trial".to_string()),
    };
    if let Some(link) = link {
        info.push(Line::from(format!("ssh      {link}")));
    }
    for (label, value) in &fleet.exec.facts[id] {
        info.push(Line::from(format!("{label:<8} {value}")));
    }
    info.extend(backup_lines(fleet, id, now));
    if let Some(c) = &fleet.jobs.cabling[id] {
        let head = match c.wrong.len() {
            0 => format!("cabling  {} as planned", count(c.checked, "link")),
            n => format!(
                "cabling  {} {n} wrong of {} links:",
                theme::MISWIRED,
                c.checked
            ),
        };
        let style = match c.wrong.is_empty() {
            true => Style::new(),
            false => theme::text(crate::fleet::Reach::Down),
        };
        info.push(Line::styled(head, style));
        // Already escaped by the check.
        info.extend(c.wrong.iter().map(|w| Line::from(format!("  {w}"))));
    }
    info.push(Line::styled("transitions", theme::dim()));
    for t in st.transitions.iter().rev() {
        info.push(Line::from(vec![
            Span::styled(fleet.clock(t.at), theme::dim()),
            Span::raw(" "),
            Span::styled(
                format!("{} {}", theme::symbol(t.to), t.to.as_str()),
                theme::text(t.to),
            ),
            Span::raw(format!(" {}", t.why)),
        ]));
    }
    frame.render_widget(Paragraph::new(info), rest);
}

/// The device's configuration in the backup repository (as a worker read it from git) and
/// its last backup this session.
fn backup_lines(fleet: &State, id: DeviceId, now: Instant) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    let wall_now = fleet.origin.1 + now.saturating_duration_since(fleet.origin.0);
    if let Some((device, versions)) = &fleet.jobs.history
        && *device == id
    {
        // Short lines: the pane is narrow.
        let text: Vec<String> = match versions.as_deref() {
            Ok([]) => vec!["none yet (B backs it up)".into()],
            Ok([last, rest @ ..]) => {
                let age = wall_now.duration_since(last.at).unwrap_or_default();
                let age = crate::base::duration::short(Duration::from_secs(age.as_secs()));
                let since = match rest.is_empty() {
                    true => "the first version",
                    false => "changed since the previous (d: diff)",
                };
                vec![
                    format!("saved {} ({age} ago)", fleet.wall_clock.hms(last.at)),
                    format!("commit {}", &last.commit[..last.commit.len().min(12)]),
                    since.to_string(),
                ]
            }
            Err(why) => vec![format!("cannot read: {}", Untrusted(why))],
        };
        for (i, t) in text.into_iter().enumerate() {
            let label = if i == 0 { "config" } else { "" };
            lines.push(Line::from(format!("{label:<8} {t}")));
        }
    }
    if let Some(last) = &fleet.jobs.backups[id] {
        let what = match &last.outcome {
            BackupOutcome::New => "new: first backup".to_string(),
            BackupOutcome::Changed => "changed, committed".to_string(),
            BackupOutcome::Unchanged => "unchanged".to_string(),
            BackupOutcome::Failed { stage, reason } => {
                format!("failed ({stage}): {}", Untrusted(reason))
            }
            BackupOutcome::Skipped { reason } => format!("skipped: {}", Untrusted(reason)),
        };
        let style = match last.outcome {
            BackupOutcome::Failed { .. } => theme::text(crate::fleet::Reach::Down),
            _ => Style::new(),
        };
        lines.push(Line::styled(
            format!("backup   {} {what}", fleet.clock(last.at)),
            style,
        ));
    }
    lines
}
