//! The summary bar: counts by state, the last sweep, and the probe mode.

use std::time::Duration;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::app::App;
use super::theme;
use crate::fleet::{ProbeMode, Reach, State};
use crate::inventory::ProbeSpec;
use crate::probe::SweepStats;

/// Why the last sweep took longer than the interval (so every device is probed less often
/// than asked) and what to change; `None` when it kept up.
pub fn slow_sweep(stats: &SweepStats, interval: Duration) -> Option<String> {
    if stats.elapsed <= interval {
        return None;
    }
    let took = tenths(stats.elapsed);
    let n = thousands(stats.sent as u64);
    // Sending alone takes longer than the interval: the rate cap is the cause.
    let sending = stats
        .pace
        .filter(|&pps| pps > 0 && stats.sent as f64 / f64::from(pps) > interval.as_secs_f64());
    Some(match sending {
        Some(pps) => format!(
            "{n} devices at {}/s: a sweep takes {took}, not {}; --rate to change",
            thousands(u64::from(pps)),
            crate::base::duration::format(interval),
        ),
        None => format!(
            "a sweep of {n} devices takes {took}, not {}: the last probes wait for their \
             --timeout; --timeout or --interval to change",
            crate::base::duration::format(interval),
        ),
    })
}

/// Seconds to a tenth: `5s`, `1.4s`, `0.3s`.
fn tenths(d: Duration) -> String {
    let tenths = (d.as_millis() + 50) / 100;
    match tenths % 10 {
        0 => format!("{}s", tenths / 10),
        t => format!("{}.{t}s", tenths / 10),
    }
}

/// `10000` → `10,000`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub fn render(frame: &mut Frame, area: Rect, fleet: &State, app: &App) {
    let c = fleet.counts;
    let count = |reach: Reach, n: usize| {
        Span::styled(
            format!("{} {n} {}  ", theme::symbol(reach), reach.as_str()),
            theme::text(reach),
        )
    };
    let sweep = match &fleet.last_sweep {
        Some(s) => format!(
            "sweep #{} ({}): {}/{} in {} ms  ",
            s.sweep,
            crate::base::duration::format(app.interval),
            s.replies,
            s.sent,
            s.elapsed.as_millis(),
        ),
        None => "first sweep running…  ".into(),
    };
    // Say how devices are actually probed: `tcp:PORT` devices never use ICMP, and devices
    // behind a bastion are probed through it.
    let devices = &fleet.inventory.devices;
    let via = devices.iter().filter(|d| !d.jump.is_empty()).count();
    let tcp = (devices.iter())
        .filter(|d| d.jump.is_empty() && matches!(d.probe, ProbeSpec::Tcp(_)))
        .count();
    let icmp = devices.len() - tcp - via;
    let mode = match (&fleet.mode, icmp, tcp) {
        (None, ..) => "probe: starting".to_string(),
        (Some(_), 0, 0) if via > 0 => "probe: via bastion".into(),
        (Some(_), 0, _) => "probe: TCP connect".into(),
        (Some(ProbeMode::Icmp(kind)), _, 0) => format!("probe: ICMP ({} socket)", kind.as_str()),
        (Some(ProbeMode::Icmp(kind)), _, _) => {
            format!("probe: ICMP ({} socket) ×{icmp}, TCP ×{tcp}", kind.as_str())
        }
        (Some(ProbeMode::TcpFallback { .. }), ..) => {
            "probe: TCP connect (ICMP not permitted)".into()
        }
    };
    let mode = match via {
        0 => mode,
        _ if mode == "probe: via bastion" || fleet.mode.is_none() => mode,
        _ => format!("{mode}, via bastion ×{via}"),
    };
    let mut lines = vec![Line::from(vec![
        Span::styled(" fleetdash ", theme::title().patch(theme::bar())),
        Span::raw(format!(" {}  ", app.title)),
        count(Reach::Up, c.up),
        count(Reach::Down, c.down),
        count(Reach::Unknown, c.unknown),
        Span::raw(sweep),
        Span::styled(mode, theme::dim()),
    ])];
    if app.read_only {
        lines[0]
            .spans
            .insert(2, Span::styled(" read-only ", theme::warn()));
    }
    if let Some(ProbeMode::TcpFallback { enable, .. }) = &fleet.mode {
        lines.push(Line::styled(
            format!(" to enable ICMP: {enable}"),
            theme::warn(),
        ));
    }
    if let Some(why) = fleet
        .last_sweep
        .as_ref()
        .and_then(|s| slow_sweep(s, app.interval))
    {
        lines.push(Line::styled(format!(" {why}"), theme::warn()));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(sent: usize, ms: u64, pace: Option<u32>) -> SweepStats {
        SweepStats {
            sweep: 1,
            sent,
            replies: sent,
            elapsed: Duration::from_millis(ms),
            pace,
        }
    }

    #[test]
    fn a_sweep_slower_than_the_interval_says_why_and_what_to_change() {
        let second = Duration::from_secs(1);
        // Kept up: nothing to say.
        assert_eq!(slow_sweep(&stats(1_000, 600, Some(1_250)), second), None);
        assert_eq!(slow_sweep(&stats(10_000, 900, None), second), None);
        // The rate cap: 10,000 at 2,000/s cannot fit in a second.
        assert_eq!(
            slow_sweep(&stats(10_000, 5_012, Some(2_000)), second).as_deref(),
            Some("10,000 devices at 2,000/s: a sweep takes 5s, not 1s; --rate to change")
        );
        // Sends fit, the wait for the last (lost) probes does not.
        let why = slow_sweep(&stats(500, 1_420, Some(625)), second).unwrap();
        assert!(
            why.starts_with("a sweep of 500 devices takes 1.4s, not 1s"),
            "{why}"
        );
        assert!(why.contains("--timeout"), "{why}");
        assert_eq!(thousands(100_000), "100,000");
        assert_eq!(thousands(999), "999");
    }
}
