//! Reachability measured elsewhere: other `fleetdash serve` instances or blackbox_exporter,
//! read from a Prometheus server by a worker of the front end. Each report is the whole
//! picture of one poll; the reducer merges it with the local probes ([`super::DeviceState`]):
//! a device is up when any vantage point (this one included) sees it up, down when every one
//! that knows it sees it down, and the tile names the vantage points that see it down.

use std::time::Instant;

/// What one vantage point says about one device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteView {
    /// The `vantage` label of the series (or its `instance`, `job`): where it probes from.
    pub vantage: String,
    pub up: bool,
}

/// The vantage points kept per device (a device seen by more is cut at this many).
pub const VANTAGES_KEPT: usize = 16;

/// One poll of the remote source.
#[derive(Debug, Clone, PartialEq)]
pub enum RemoteReport {
    /// Every device's views, parallel to the inventory (empty: no series for it).
    Seen {
        at: Instant,
        views: Vec<Vec<RemoteView>>,
        /// Series that matched no device of the inventory.
        unmatched: usize,
    },
    /// The source could not be read; the views of the last good poll stay.
    Failed { at: Instant, reason: String },
}

/// How the remote source is doing, for the header.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RemoteStatus {
    /// When the last poll succeeded.
    pub last_ok: Option<Instant>,
    /// Why the last poll failed, while it does.
    pub error: Option<String>,
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::{Duration, SystemTime};

    use super::*;
    use crate::fleet::{Event, FleetConfig, ProbeOutcome, ProbeResult, Reach, State};
    use crate::inventory::Inventory;

    fn state() -> State {
        let inv = Inventory::from_yaml(
            "devices:\n  - {name: a, host: 127.0.0.1}\n  - {name: b, host: 127.0.0.2}\n  - {name: c, host: 127.0.0.3}\n  - {name: d, host: 127.0.0.4}\n",
            "t",
        )
        .unwrap();
        State::new(
            Arc::new(inv),
            FleetConfig::default(),
            (Instant::now(), SystemTime::now()),
        )
    }

    fn view(vantage: &str, up: bool) -> RemoteView {
        RemoteView {
            vantage: vantage.into(),
            up,
        }
    }

    fn seen(views: Vec<Vec<RemoteView>>) -> Event {
        Event::Remote(RemoteReport::Seen {
            at: Instant::now(),
            views,
            unmatched: 0,
        })
    }

    /// Up when any vantage point sees it up, down when every one that knows it sees it
    /// down; the tile names the ones that see it down.
    #[test]
    fn remote_views_merge_with_the_local_probes() {
        let mut s = state();
        s.apply(Event::Probe(ProbeResult {
            device: 0,
            at: Instant::now(),
            outcome: ProbeOutcome::Reply {
                rtt: Duration::from_millis(1),
            },
        }));
        s.apply(seen(vec![
            vec![view("par", false)],
            vec![view("ber", false), view("par", true)],
            vec![view("ber", false)],
            vec![],
        ]));
        let reach: Vec<Reach> = s.devices.iter().map(|d| d.reach).collect();
        assert_eq!(reach, [Reach::Up, Reach::Up, Reach::Down, Reach::Unknown]);
        let down: Vec<String> = s.devices.iter().map(|d| d.remote_down()).collect();
        assert_eq!(down, ["par", "ber", "ber", ""]);
        assert_eq!(s.devices[0].local, Reach::Up);
        assert_eq!((s.counts.up, s.counts.down, s.counts.unknown), (2, 1, 1));
        assert!(
            s.log
                .iter()
                .any(|l| l.text == "c unknown → down: seen down from ber")
        );

        // The source goes away: one log line, the views stay, the header knows.
        for _ in 0..2 {
            s.apply(Event::Remote(RemoteReport::Failed {
                at: Instant::now(),
                reason: "http://127.0.0.1:9: cannot connect".into(),
            }));
        }
        let unreadable = s
            .log
            .iter()
            .filter(|l| l.text.contains("unreadable"))
            .count();
        assert_eq!(unreadable, 1);
        assert!(s.remote.as_ref().unwrap().error.is_some());
        assert_eq!(s.devices[2].reach, Reach::Down);

        // Back, and c recovered: up, a flap.
        s.apply(seen(vec![vec![], vec![], vec![view("ber", true)], vec![]]));
        assert!(s.remote.as_ref().unwrap().error.is_none());
        assert_eq!(s.devices[2].reach, Reach::Up);
        assert_eq!(s.devices[2].flaps, 1);
        assert_eq!(
            s.devices[1].reach,
            Reach::Unknown,
            "no view and no local probe"
        );
        assert_eq!(
            s.devices[0].reach,
            Reach::Up,
            "the local probe still sees it"
        );
    }
}
