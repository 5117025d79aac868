//! How the devices are actually probed, in words: the summary bar and the log say the same
//! thing. The sweeper's mode says whether ICMP *could* be used; devices with `probe:
//! tcp:PORT` never use it, and devices behind a bastion are probed through it.

use crate::inventory::{Inventory, ProbeSpec};
use crate::probe::ProbeMode;

/// `probe: ICMP (raw socket)`, `probe: TCP connect`, `probe: ICMP (raw socket) ×3, TCP ×9,
/// via bastion ×2`…; `probe: starting` before the sweeper said its mode.
pub fn probe_line(mode: Option<&ProbeMode>, inventory: &Inventory) -> String {
    probe_lines(mode, inventory).0
}

/// [`probe_line`] and its short form for a narrow header (`ICMP raw`, `TCP`, …).
pub fn probe_lines(mode: Option<&ProbeMode>, inventory: &Inventory) -> (String, String) {
    let devices = &inventory.devices;
    let via = devices.iter().filter(|d| !d.jump.is_empty()).count();
    let tcp = (devices.iter())
        .filter(|d| d.jump.is_empty() && matches!(d.probe, ProbeSpec::Tcp(_)))
        .count();
    let icmp = devices.len() - tcp - via;
    let (line, short) = match (mode, icmp, tcp) {
        (None, ..) => return ("probe: starting".to_string(), "probe…".to_string()),
        (Some(_), 0, 0) if via > 0 => {
            return ("probe: via bastion".into(), "via bastion".into());
        }
        (Some(_), 0, _) => ("probe: TCP connect".into(), "TCP".into()),
        (Some(ProbeMode::Icmp(kind)), _, 0) => (
            format!("probe: ICMP ({} socket)", kind.as_str()),
            format!("ICMP {}", kind.as_str()),
        ),
        (Some(ProbeMode::Icmp(kind)), _, _) => (
            format!("probe: ICMP ({} socket) ×{icmp}, TCP ×{tcp}", kind.as_str()),
            format!("ICMP ×{icmp} TCP ×{tcp}"),
        ),
        (Some(ProbeMode::TcpFallback { .. }), ..) => (
            "probe: TCP connect (ICMP not permitted)".into(),
            "TCP (no ICMP)".into(),
        ),
    };
    match via {
        0 => (line, short),
        _ => (
            format!("{line}, via bastion ×{via}"),
            format!("{short} bastion ×{via}"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::fleet::{Event, FleetConfig, IcmpSocket, State};
    use crate::testkit;

    /// The log line of the sweeper's mode is the summary bar's: an inventory of `tcp:PORT`
    /// probes (the demo's) is "probed by TCP connect" in both, however ICMP could be used.
    #[test]
    fn the_log_says_how_devices_are_probed_as_the_summary_bar_does() {
        let cases: [(&[ProbeSpec], &str); 3] = [
            (
                &[ProbeSpec::Tcp(22), ProbeSpec::Tcp(22)],
                "probe: TCP connect",
            ),
            (
                &[ProbeSpec::Icmp, ProbeSpec::Icmp],
                "probe: ICMP (raw socket)",
            ),
            (
                &[ProbeSpec::Icmp, ProbeSpec::Tcp(22)],
                "probe: ICMP (raw socket) ×1, TCP ×1",
            ),
        ];
        for (probes, says) in cases {
            let mut inventory = (*testkit::inventory(probes.len())).clone();
            for (device, probe) in inventory.devices.iter_mut().zip(probes) {
                device.probe = *probe;
            }
            let mut state = State::new(
                Arc::new(inventory),
                FleetConfig::default(),
                testkit::origin(),
            );
            let mode = ProbeMode::Icmp(IcmpSocket::Raw);
            state.apply(Event::Mode(mode.clone()));
            let logged = &state.log.back().expect("a log line").text;
            assert_eq!(logged, says);
            assert_eq!(probe_line(Some(&mode), &state.inventory), *says);
        }
    }
}
