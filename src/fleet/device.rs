//! Per-device reachability: damping, bounded RTT history, loss window, jitter, flaps.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::remote::RemoteView;
use super::state::FleetConfig;

/// Reachability as the dashboard shows it, after damping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reach {
    /// Down sorts first: it is what an engineer looks for.
    Down,
    Unknown,
    Up,
}

impl Reach {
    pub fn as_str(self) -> &'static str {
        match self {
            Reach::Up => "up",
            Reach::Down => "down",
            Reach::Unknown => "unknown",
        }
    }
}

/// One damped state change of one device.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    pub at: Instant,
    pub from: Reach,
    pub to: Reach,
    /// Why: the last RTT, or the loss streak and its reason.
    pub why: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DeviceState {
    /// What the dashboard shows: the local probes' damped state, merged with the remote
    /// vantage points' views when there are any (up when any sees it up).
    pub reach: Reach,
    /// The local probes' damped state alone.
    pub local: Reach,
    /// What remote vantage points saw at the last poll (empty without `--from-prometheus`).
    pub remote: Vec<RemoteView>,
    /// When `reach` last changed (None while it never has).
    pub since: Option<Instant>,
    /// The last probes, newest last: `Some(rtt)` for a reply, `None` for a loss. At most
    /// `FleetConfig::history` of them, none older than `FleetConfig::history_age`.
    pub history: VecDeque<Option<Duration>>,
    /// When each of `history` was taken.
    history_at: VecDeque<Instant>,
    /// Up↔Down changes since start.
    pub flaps: u32,
    /// Recent transitions, newest last (bounded).
    pub transitions: VecDeque<Transition>,
    /// Why the last probe failed, when it did.
    pub last_error: Option<String>,
    pub probes: u64,
    pub replies: u64,
    ok_streak: u32,
    fail_streak: u32,
}

impl Default for DeviceState {
    fn default() -> Self {
        DeviceState {
            reach: Reach::Unknown,
            local: Reach::Unknown,
            remote: Vec::new(),
            since: None,
            history: VecDeque::new(),
            history_at: VecDeque::new(),
            flaps: 0,
            transitions: VecDeque::new(),
            last_error: None,
            probes: 0,
            replies: 0,
            ok_streak: 0,
            fail_streak: 0,
        }
    }
}

/// Consecutive results before the damped state changes (per device: its inventory may say).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Damping {
    pub down_after: u32,
    pub up_after: u32,
}

/// How many transitions a device keeps for its detail pane.
const TRANSITIONS_KEPT: usize = 32;

impl DeviceState {
    /// Folds one probe result in; returns the transition when the damped state changed.
    pub(crate) fn observe(
        &mut self,
        at: Instant,
        rtt: Option<Duration>,
        error: Option<String>,
        damping: Damping,
        cfg: &FleetConfig,
    ) -> Option<Transition> {
        self.probes += 1;
        push_capped(&mut self.history, rtt, cfg.history);
        push_capped(&mut self.history_at, at, cfg.history);
        while let Some(&oldest) = self.history_at.front() {
            if at.saturating_duration_since(oldest) <= cfg.history_age {
                break;
            }
            self.history_at.pop_front();
            self.history.pop_front();
        }
        let next = match rtt {
            Some(_) => {
                self.replies += 1;
                self.ok_streak += 1;
                self.fail_streak = 0;
                self.last_error = None;
                (self.ok_streak >= damping.up_after).then_some(Reach::Up)
            }
            None => {
                self.fail_streak += 1;
                self.ok_streak = 0;
                self.last_error = error;
                (self.fail_streak >= damping.down_after).then_some(Reach::Down)
            }
        };
        self.local = next.filter(|&to| to != self.local)?;
        let why = match rtt {
            Some(rtt) => format!("reply in {}", fmt_rtt(rtt)),
            None => {
                let reason = self.last_error.as_deref().unwrap_or("no reply");
                format!("{} lost ({reason})", self.fail_streak)
            }
        };
        self.settle(at, why)
    }

    /// Takes the remote vantage points' views of the last poll.
    pub(crate) fn see_remote(&mut self, at: Instant, views: Vec<RemoteView>) -> Option<Transition> {
        if views == self.remote {
            return None;
        }
        self.remote = views;
        let why = match self.remote_down().as_str() {
            "" => "seen up remotely".to_string(),
            down => format!("seen down from {down}"),
        };
        self.settle(at, why)
    }

    /// The vantage points that see the device down, comma-separated (`""`: none).
    pub fn remote_down(&self) -> String {
        let down: Vec<&str> = self
            .remote
            .iter()
            .filter(|v| !v.up)
            .map(|v| v.vantage.as_str())
            .collect();
        down.join(",")
    }

    /// Recomputes the merged state; the transition when it changed.
    fn settle(&mut self, at: Instant, why: String) -> Option<Transition> {
        // Up beats down beats unknown: any vantage point's reply proves the device alive.
        let to = if self.local == Reach::Up || self.remote.iter().any(|v| v.up) {
            Reach::Up
        } else if self.local == Reach::Down || !self.remote.is_empty() {
            Reach::Down
        } else {
            Reach::Unknown
        };
        if to == self.reach {
            return None;
        }
        let transition = Transition {
            at,
            from: self.reach,
            to,
            why,
        };
        if self.reach != Reach::Unknown && to != Reach::Unknown {
            self.flaps += 1;
        }
        self.reach = to;
        self.since = Some(at);
        push_capped(&mut self.transitions, transition.clone(), TRANSITIONS_KEPT);
        Some(transition)
    }

    pub fn last_rtt(&self) -> Option<Duration> {
        self.history.back().copied().flatten()
    }

    /// Loss over the kept window, in percent (None before the first probe).
    pub fn loss_pct(&self) -> Option<f64> {
        if self.history.is_empty() {
            return None;
        }
        let lost = self.history.iter().filter(|r| r.is_none()).count();
        Some(100.0 * lost as f64 / self.history.len() as f64)
    }

    fn replies_in_window(&self) -> impl Iterator<Item = Duration> + '_ {
        self.history.iter().flatten().copied()
    }

    /// Mean, min and max RTT over the window.
    pub fn rtt_stats(&self) -> Option<(Duration, Duration, Duration)> {
        let (mut n, mut sum) = (0u32, Duration::ZERO);
        let (mut min, mut max) = (Duration::MAX, Duration::ZERO);
        for rtt in self.replies_in_window() {
            n += 1;
            sum += rtt;
            min = min.min(rtt);
            max = max.max(rtt);
        }
        (n > 0).then(|| (sum / n, min, max))
    }

    /// Jitter: mean absolute difference between consecutive replies in the window
    /// (the RFC 3550 idea without the smoothing).
    pub fn jitter(&self) -> Option<Duration> {
        let rtts: Vec<Duration> = self.replies_in_window().collect();
        if rtts.len() < 2 {
            return None;
        }
        let total: Duration = rtts.windows(2).map(|w| w[0].abs_diff(w[1])).sum();
        Some(total / (rtts.len() as u32 - 1))
    }

    /// Flapping: at least `min` changes within `window` before `now`.
    pub fn is_flapping(&self, now: Instant, window: Duration, min: usize) -> bool {
        self.transitions
            .iter()
            .filter(|t| t.from != Reach::Unknown && now.saturating_duration_since(t.at) <= window)
            .count()
            >= min
    }
}

pub(crate) fn push_capped<T>(ring: &mut VecDeque<T>, item: T, cap: usize) {
    if cap == 0 {
        return;
    }
    while ring.len() >= cap {
        ring.pop_front();
    }
    // Room for one at first (a push would make room for four): most devices keep a single
    // transition, and a one-sweep run a single probe, so 10,000 devices save 2 MiB.
    if ring.capacity() == 0 {
        ring.reserve_exact(1);
    }
    ring.push_back(item);
}

/// RTT for people: µs below 1 ms, two decimals below 10 ms, whole ms above.
pub fn fmt_rtt(rtt: Duration) -> String {
    let us = rtt.as_micros();
    match us {
        0..1_000 => format!("{us}µs"),
        1_000..10_000 => format!("{:.2}ms", us as f64 / 1000.0),
        _ => format!("{}ms", rtt.as_millis()),
    }
}
