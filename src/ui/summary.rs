//! The summary bar: counts by state, the last sweep, and the probe mode.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::app::App;
use super::theme;
use crate::fleet::{ProbeMode, Reach, State};
use crate::inventory::ProbeSpec;

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
    // `--from-prometheus`: whether the remote vantage points can be read (after the
    // counts, which it qualifies).
    let remote = match &fleet.remote {
        Some(r) if r.error.is_some() => Some(Span::styled("remote: unreadable  ", theme::warn())),
        Some(r) if r.last_ok.is_some() => Some(Span::styled("remote: ok  ", theme::dim())),
        _ => None,
    };
    if let Some(remote) = remote {
        lines[0].spans.insert(5, remote);
    }
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
    frame.render_widget(Paragraph::new(lines), area);
}
