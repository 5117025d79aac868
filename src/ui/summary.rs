//! The summary bar: counts by state, the last sweep, and the probe mode.

use std::time::Duration;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::app::App;
use super::theme;
use crate::fleet::{ProbeMode, Reach, State};
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
    // (long, short): the short one when the terminal is narrow; the log says the long one.
    let (mode, short_mode) = crate::fleet::probe_lines(fleet.mode.as_ref(), &fleet.inventory);
    // The header shortens rather than cuts: the title goes first, then words; the counts,
    // the sweep (number and time) and the probe mode always stay.
    let fits = |line: &Line| line.width() <= usize::from(area.width);
    let mut chosen = None;
    for level in 0..3 {
        let line = header(
            fleet,
            app,
            level,
            if level == 0 { &mode } else { &short_mode },
        );
        if fits(&line) || level == 2 {
            chosen = Some(line);
            break;
        }
    }
    let mut lines: Vec<Line> = chosen.into_iter().collect();
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

/// The first line at a level of detail: 0 everything, 1 without the title and with short
/// words, 2 bare numbers.
fn header<'a>(fleet: &State, app: &App, level: u8, mode: &str) -> Line<'a> {
    let c = fleet.counts;
    let count = |reach: Reach, n: usize| {
        let text = match level {
            2 => format!("{} {n} ", theme::symbol(reach)),
            _ => format!("{} {n} {}  ", theme::symbol(reach), reach.as_str()),
        };
        Span::styled(text, theme::text(reach))
    };
    let sweep = match (&fleet.last_sweep, level) {
        (Some(s), 0) => format!(
            "sweep #{} ({}): {}/{} in {} ms  ",
            s.sweep,
            crate::base::duration::format(app.interval),
            s.replies,
            s.sent,
            s.elapsed.as_millis(),
        ),
        (Some(s), 1) => format!(
            "sweep #{}: {}/{} in {} ms  ",
            s.sweep,
            s.replies,
            s.sent,
            s.elapsed.as_millis()
        ),
        (Some(s), _) => format!(" #{} {} ms  ", s.sweep, s.elapsed.as_millis()),
        (None, 0) => "first sweep running…  ".into(),
        (None, _) => " sweep…  ".into(),
    };
    let mut spans = Vec::new();
    if level < 2 {
        spans.push(Span::styled(
            " fleetdash ",
            theme::title().patch(theme::bar()),
        ));
    }
    match level {
        0 => spans.push(Span::raw(format!(" {}  ", app.title))),
        _ => spans.push(Span::raw(" ")),
    }
    if app.read_only {
        spans.push(Span::styled(" read-only ", theme::warn()));
        if level > 0 {
            spans.push(Span::raw(" "));
        }
    }
    spans.extend([
        count(Reach::Up, c.up),
        count(Reach::Down, c.down),
        count(Reach::Unknown, c.unknown),
    ]);
    // `--from-prometheus`: whether the remote vantage points can be read (after the
    // counts, which it qualifies).
    match (&fleet.remote, level) {
        (Some(r), 2) if r.error.is_some() => spans.push(Span::styled("remote! ", theme::warn())),
        (Some(r), _) if r.error.is_some() => {
            spans.push(Span::styled("remote: unreadable  ", theme::warn()))
        }
        (Some(r), 2) if r.last_ok.is_some() => spans.push(Span::styled("remote ", theme::dim())),
        (Some(r), _) if r.last_ok.is_some() => {
            spans.push(Span::styled("remote: ok  ", theme::dim()))
        }
        _ => {}
    }
    spans.extend([
        Span::raw(sweep),
        Span::styled(mode.to_string(), theme::dim()),
    ]);
    Line::from(spans)
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
