//! Reducer tests with an injected clock: damping, flaps, loss window, jitter, log.

use std::time::{Duration, Instant};

use super::*;
use crate::testkit;

struct Clock(Instant);

impl Clock {
    fn at(&self, secs: u64) -> Instant {
        self.0 + Duration::from_secs(secs)
    }
}

fn setup(cfg: FleetConfig) -> (State, Clock) {
    let state = testkit::state(2, cfg);
    let t0 = state.origin.0;
    (state, Clock(t0))
}

fn reply(device: usize, at: Instant, ms: u64) -> Event {
    Event::Probe(ProbeResult {
        device,
        at,
        outcome: ProbeOutcome::Reply {
            rtt: Duration::from_millis(ms),
        },
    })
}

fn lost(device: usize, at: Instant) -> Event {
    Event::Probe(ProbeResult {
        device,
        at,
        outcome: ProbeOutcome::Lost,
    })
}

#[test]
fn starts_unknown_and_goes_up_on_first_reply() {
    let (mut s, c) = setup(FleetConfig::default());
    assert_eq!(s.counts.unknown, 2);
    s.apply(reply(0, c.at(1), 3));
    assert_eq!(s.devices[0].reach, Reach::Up);
    assert_eq!(s.devices[0].since, Some(c.at(1)));
    assert_eq!((s.counts.up, s.counts.unknown), (1, 1));
    assert_eq!(s.devices[0].flaps, 0, "leaving Unknown is not a flap");
    assert!(s.log.is_empty(), "found up at start is not logged");
    assert_eq!(s.devices[0].transitions.len(), 1, "but the device keeps it");
}

/// A sweeper's batch folds as its results would one by one, in order.
#[test]
fn a_batch_of_results_folds_like_each_result() {
    let (mut one_by_one, c) = setup(FleetConfig::default());
    let (mut batched, _) = setup(FleetConfig::default());
    let events = [
        reply(0, c.at(0), 1),
        lost(0, c.at(1)),
        lost(0, c.at(2)),
        reply(1, c.at(2), 4),
    ];
    let results = events
        .iter()
        .map(|e| match e {
            Event::Probe(r) => r.clone(),
            other => unreachable!("{other:?}"),
        })
        .collect();
    for e in events {
        one_by_one.apply(e);
    }
    batched.apply(Event::Probes(results));
    assert_eq!(batched.devices, one_by_one.devices);
    assert_eq!(batched.devices[0].reach, Reach::Down);
    assert_eq!(batched.log.len(), one_by_one.log.len());
    assert_eq!(batched.state_version, one_by_one.state_version);
}

#[test]
fn down_needs_consecutive_losses() {
    let (mut s, c) = setup(FleetConfig::default()); // down after 2
    s.apply(reply(0, c.at(0), 1));
    s.apply(lost(0, c.at(1)));
    assert_eq!(s.devices[0].reach, Reach::Up, "one loss is damped");
    s.apply(reply(0, c.at(2), 1));
    s.apply(lost(0, c.at(3)));
    assert_eq!(s.devices[0].reach, Reach::Up, "the streak restarted");
    s.apply(lost(0, c.at(4)));
    assert_eq!(s.devices[0].reach, Reach::Down);
    assert_eq!(s.devices[0].since, Some(c.at(4)));
    assert_eq!(s.devices[0].flaps, 1);
    assert_eq!((s.counts.up, s.counts.down, s.counts.unknown), (0, 1, 1));
    assert!(s.log.back().unwrap().text.contains("2 lost (no reply)"));
}

#[test]
fn up_after_is_configurable() {
    let cfg = FleetConfig {
        down_after: 1,
        up_after: 3,
        ..FleetConfig::default()
    };
    let (mut s, c) = setup(cfg);
    s.apply(lost(0, c.at(0)));
    assert_eq!(s.devices[0].reach, Reach::Down);
    s.apply(reply(0, c.at(1), 1));
    s.apply(reply(0, c.at(2), 1));
    assert_eq!(s.devices[0].reach, Reach::Down);
    s.apply(reply(0, c.at(3), 1));
    assert_eq!(s.devices[0].reach, Reach::Up);
    assert_eq!(s.devices[0].since, Some(c.at(3)));
}

#[test]
fn failure_reason_is_kept_and_logged() {
    let cfg = FleetConfig {
        down_after: 1,
        ..FleetConfig::default()
    };
    let (mut s, c) = setup(cfg);
    s.apply(Event::Probe(ProbeResult {
        device: 1,
        at: c.at(0),
        outcome: ProbeOutcome::Failed {
            reason: "connection refused".into(),
        },
    }));
    assert_eq!(
        s.devices[1].last_error.as_deref(),
        Some("connection refused")
    );
    assert!(s.log.back().unwrap().text.contains("connection refused"));
    s.apply(reply(1, c.at(1), 1));
    assert_eq!(s.devices[1].last_error, None);
}

#[test]
fn flapping_counts_changes_inside_the_window_only() {
    let cfg = FleetConfig {
        down_after: 1,
        flap_window: Duration::from_secs(60),
        flap_count: 3,
        ..FleetConfig::default()
    };
    let (mut s, c) = setup(cfg.clone());
    for (i, t) in [0u64, 10, 20, 30].into_iter().enumerate() {
        if i % 2 == 0 {
            s.apply(reply(0, c.at(t), 1));
        } else {
            s.apply(lost(0, c.at(t)));
        }
    }
    // unknown→up (not a flap), up→down, down→up, up→down
    assert_eq!(s.devices[0].flaps, 3);
    let d = &s.devices[0];
    assert!(d.is_flapping(c.at(30), cfg.flap_window, cfg.flap_count));
    assert!(
        !d.is_flapping(c.at(75), cfg.flap_window, cfg.flap_count),
        "the first change aged out"
    );
}

#[test]
fn loss_window_and_history_are_bounded() {
    let cfg = FleetConfig {
        history: 4,
        ..FleetConfig::default()
    };
    let (mut s, c) = setup(cfg);
    s.apply(lost(0, c.at(0)));
    s.apply(lost(0, c.at(1)));
    assert_eq!(s.devices[0].loss_pct(), Some(100.0));
    for t in 2..6 {
        s.apply(reply(0, c.at(t), 2));
    }
    assert_eq!(s.devices[0].history.len(), 4);
    assert_eq!(
        s.devices[0].loss_pct(),
        Some(0.0),
        "the losses left the window"
    );
    s.apply(lost(0, c.at(6)));
    assert_eq!(s.devices[0].loss_pct(), Some(25.0));
    assert_eq!((s.devices[0].probes, s.devices[0].replies), (7, 4));
}

#[test]
fn rtt_stats_and_jitter() {
    let (mut s, c) = setup(FleetConfig::default());
    assert_eq!(s.devices[0].jitter(), None);
    for (t, ms) in [10u64, 14, 12].into_iter().enumerate() {
        s.apply(reply(0, c.at(t as u64), ms));
    }
    s.apply(lost(0, c.at(4)));
    let (mean, min, max) = s.devices[0].rtt_stats().unwrap();
    assert_eq!(mean, Duration::from_millis(12));
    assert_eq!(min, Duration::from_millis(10));
    assert_eq!(max, Duration::from_millis(14));
    // |10-14| + |14-12| = 6 over 2 gaps
    assert_eq!(s.devices[0].jitter(), Some(Duration::from_millis(3)));
    assert_eq!(s.devices[0].last_rtt(), None, "the last probe was lost");
}

#[test]
fn log_is_bounded_and_clock_prints_utc() {
    let cfg = FleetConfig {
        down_after: 1,
        log_lines: 3,
        ..FleetConfig::default()
    };
    let (mut s, c) = setup(cfg);
    for t in 0..10 {
        if t % 2 == 0 {
            s.apply(reply(0, c.at(t), 1));
        } else {
            s.apply(lost(0, c.at(t)));
        }
    }
    assert_eq!(s.log.len(), 3);
    assert_eq!(s.clock(c.at(3661)), "13:01:01");
}

#[test]
fn the_clock_shows_the_chosen_zone() {
    let (mut s, c) = setup(FleetConfig::default());
    assert_eq!(
        s.clock(c.at(3661)),
        "13:01:01",
        "UTC unless a front end chooses"
    );
    s.wall_clock = crate::base::time::WallClock::posix("XYZ-2").unwrap();
    assert_eq!(s.clock(c.at(3661)), "15:01:01");
}

#[test]
fn events_for_unknown_devices_are_ignored() {
    let (mut s, c) = setup(FleetConfig::default());
    s.apply(reply(99, c.at(0), 1));
    assert_eq!(s.counts.unknown, 2);
}

/// RTT-only results and sweep totals bump `version` (something changed) but not
/// `state_version` (nothing a person must see at once); a state change bumps both.
#[test]
fn state_version_moves_only_for_changes_seen_at_once() {
    let (mut s, c) = setup(FleetConfig::default());
    let step = |s: &mut State, e: Event| {
        let (v, sv) = (s.version, s.state_version);
        s.apply(e);
        (s.version - v, s.state_version - sv)
    };
    assert_eq!(step(&mut s, reply(0, c.at(0), 1)), (1, 1), "unknown → up");
    assert_eq!(step(&mut s, reply(0, c.at(1), 2)), (1, 0), "a new RTT");
    assert_eq!(step(&mut s, lost(0, c.at(2))), (1, 0), "one loss, damped");
    assert_eq!(step(&mut s, lost(0, c.at(3))), (1, 1), "up → down");
    assert_eq!(step(&mut s, lost(0, c.at(4))), (1, 0), "still down");
    let totals = Event::SweepDone(SweepStats {
        sweep: 1,
        sent: 2,
        replies: 0,
        elapsed: Duration::from_millis(3),
        pace: None,
    });
    assert_eq!(step(&mut s, totals), (1, 0));
    let notice = Event::Notice {
        at: c.at(5),
        text: "x".into(),
    };
    assert_eq!(step(&mut s, notice), (1, 1));
}

/// Damping set per group in the inventory wins over the command line's (`FleetConfig`).
#[test]
fn per_group_damping_from_the_inventory() {
    let yaml = "groups:\n  core: {down_after: 1}\n  access: {down_after: 4, up_after: 2}\n\
                devices:\n  - {name: c1, host: 127.0.0.1, groups: [core]}\n  \
                - {name: a1, host: 127.0.0.2, groups: [access]}\n  \
                - {name: x1, host: 127.0.0.3}\n";
    let inventory = crate::inventory::Inventory::from_yaml(yaml, "t").unwrap();
    let mut s = State::new(
        std::sync::Arc::new(inventory),
        FleetConfig::default(),
        testkit::origin(),
    );
    let c = Clock(s.origin.0);
    let reach = |s: &State| s.devices.iter().map(|d| d.reach).collect::<Vec<_>>();
    let (up, down) = (Reach::Up, Reach::Down);
    for d in 0..3 {
        s.apply(reply(d, c.at(0), 1));
    }
    assert_eq!(
        reach(&s),
        [up, Reach::Unknown, up],
        "access: up after two replies"
    );
    s.apply(reply(1, c.at(0), 1));
    s.apply(lost(0, c.at(1)));
    s.apply(lost(1, c.at(1)));
    s.apply(lost(2, c.at(1)));
    assert_eq!(reach(&s), [down, up, up], "core: down after one loss");
    s.apply(lost(1, c.at(2)));
    s.apply(lost(2, c.at(2)));
    assert_eq!(reach(&s), [down, up, down], "the default: two");
    s.apply(lost(1, c.at(3)));
    assert_eq!(reach(&s), [down, up, down]);
    s.apply(lost(1, c.at(4)));
    assert_eq!(reach(&s), [down, down, down], "access: four");
    s.apply(reply(1, c.at(5), 1));
    assert_eq!(reach(&s)[1], down, "access comes up after two replies");
    s.apply(reply(1, c.at(6), 1));
    assert_eq!(reach(&s)[1], up);
}

/// History is bounded by age as well as by count: a device probed every 10 s keeps the
/// last `history_age` of it, not 60 probes reaching back 10 minutes.
#[test]
fn history_is_bounded_by_age_too() {
    let cfg = FleetConfig {
        history: 60,
        history_age: Duration::from_secs(120),
        ..FleetConfig::default()
    };
    let (mut s, c) = setup(cfg);
    s.apply(lost(0, c.at(0)));
    for t in 1..=30 {
        s.apply(reply(0, c.at(t * 10), 2));
    }
    // Probes at 180 s … 300 s are within 120 s of the last: 13 of them.
    assert_eq!(s.devices[0].history.len(), 13);
    assert_eq!(s.devices[0].loss_pct(), Some(0.0), "the old loss aged out");
    // A burst still stops at the count.
    for t in 0..100 {
        s.apply(reply(0, c.at(300) + Duration::from_millis(t), 2));
    }
    assert_eq!(s.devices[0].history.len(), 60);
}
