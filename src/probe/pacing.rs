//! Send pacing: when the i-th probe of a sweep may leave.
//!
//! Routers and firewalls rate-limit ICMP (control-plane policing often allows only a few
//! hundred to a few thousand packets per second), and a burst of 10,000 echo requests can
//! also overflow our own receive queue. So by default a sweep is spread out; `--rate 0`
//! (`Rate::Unlimited`) removes pacing for loopback labs and benchmarks.
//!
//! Probes leave in small bursts, not one by one: every [`SEND_TICK`] the sweep sends the
//! probes whose slot has come since the last burst, at most [`Pacer::burst`] of them (the
//! rate × the tick, e.g. 25 at 1,250/s, 40 at the 2,000/s cap). The rate holds on average
//! and is never exceeded over any tick; only the spacing inside a burst is gone (µs apart,
//! one `sendmmsg`). That is 50 wake-ups a second instead of one per probe.

use std::time::Duration;

use tokio::time::Instant;

/// How fast a sweep sends its probes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Rate {
    /// Spread the sweep's sends over [`SPREAD_FRACTION`] of the interval, but never faster
    /// than [`SPREAD_MAX_PPS`] (gentle on rate-limiting routers) and never slower than
    /// [`SPREAD_MIN_PPS`] (a small fleet is not dribbled out over most of a second: the
    /// tiles of 20 devices should update together).
    #[default]
    Spread,
    /// No pacing at all: every probe leaves as fast as the socket accepts it.
    Unlimited,
    /// Exactly this many probes per second, evenly spaced (0 behaves like `Unlimited`).
    PerSecond(u32),
}

/// Share of the interval a spread sweep uses for sending, leaving the rest for the last
/// replies to come back before the next tick.
pub const SPREAD_FRACTION: f64 = 0.8;
/// Upper bound of `Rate::Spread` in probes per second.
pub const SPREAD_MAX_PPS: f64 = 2_000.0;
/// Lower bound of `Rate::Spread` in probes per second.
pub const SPREAD_MIN_PPS: f64 = 200.0;

/// How often a paced sweep sends a burst (and, at most, expires unanswered probes).
pub const SEND_TICK: Duration = Duration::from_millis(20);

/// Burst of an unpaced sweep: this many probes go out before replies are read and other
/// tasks get a turn (256 = four `sendmmsg` calls; the receive queue holds far more).
pub const UNPACED_BURST: usize = 256;

/// The send schedule of one sweep: probe `i` leaves at `start + i * gap`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pacer {
    start: Instant,
    /// `None` = no pacing.
    gap: Option<Duration>,
}

impl Pacer {
    /// Schedule `n` probes starting at `start` for a sweep every `interval`.
    pub fn new(rate: Rate, n: usize, interval: Duration, start: Instant) -> Self {
        Self {
            start,
            gap: Self::gap_for(rate, n, interval),
        }
    }

    /// Time between two sends, or `None` when sends are not paced.
    pub fn gap_for(rate: Rate, n: usize, interval: Duration) -> Option<Duration> {
        let pps = match rate {
            Rate::Unlimited | Rate::PerSecond(0) => return None,
            Rate::PerSecond(r) => f64::from(r),
            Rate::Spread => {
                let wanted = n as f64 / (interval.as_secs_f64() * SPREAD_FRACTION).max(1e-3);
                wanted.clamp(SPREAD_MIN_PPS, SPREAD_MAX_PPS)
            }
        };
        // Whole nanoseconds, rounded: exact for the usual rates, no float drift per slot.
        Some(Duration::from_nanos((1e9 / pps).round() as u64))
    }

    /// Most probes in one burst: what the rate allows in one [`SEND_TICK`] (at least one),
    /// or [`UNPACED_BURST`] when not paced.
    pub fn burst(&self) -> usize {
        match self.gap {
            None => UNPACED_BURST,
            Some(gap) => {
                let per_tick = SEND_TICK.as_nanos().div_ceil(gap.as_nanos().max(1));
                usize::try_from(per_tick).unwrap_or(usize::MAX).max(1)
            }
        }
    }

    /// Whether sends are paced at all.
    pub fn paced(&self) -> bool {
        self.gap.is_some()
    }

    /// When probe `i` may be sent.
    pub fn slot(&self, i: usize) -> Instant {
        match self.gap {
            None => self.start,
            // u32 is plenty: 4 billion probes in one sweep is not a thing.
            Some(gap) => self.start + gap * u32::try_from(i).unwrap_or(u32::MAX),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: Duration = Duration::from_secs(1);

    #[test]
    fn unlimited_and_zero_rate_do_not_pace() {
        assert_eq!(Pacer::gap_for(Rate::Unlimited, 10_000, SEC), None);
        assert_eq!(Pacer::gap_for(Rate::PerSecond(0), 10_000, SEC), None);
        let start = Instant::now();
        let p = Pacer::new(Rate::Unlimited, 5, SEC, start);
        assert_eq!(p.slot(4), start);
    }

    #[test]
    fn per_second_spaces_sends_evenly() {
        let start = Instant::now();
        let p = Pacer::new(Rate::PerSecond(100), 1_000, SEC, start);
        assert_eq!(p.slot(0), start);
        assert_eq!(p.slot(1) - start, Duration::from_millis(10));
        assert_eq!(p.slot(250) - start, Duration::from_millis(2_500));
    }

    #[test]
    fn spread_uses_most_of_the_interval_for_mid_sized_fleets() {
        // 1,000 targets over 80% of 1 s = 1,250 pps = 800 µs apart.
        let gap = Pacer::gap_for(Rate::Spread, 1_000, SEC).unwrap();
        assert_eq!(gap, Duration::from_micros(800));
    }

    #[test]
    fn spread_is_capped_for_large_fleets() {
        let gap = Pacer::gap_for(Rate::Spread, 10_000, SEC).unwrap();
        assert_eq!(gap, Duration::from_micros(500)); // 2,000 pps
    }

    #[test]
    fn spread_does_not_dribble_small_fleets() {
        let gap = Pacer::gap_for(Rate::Spread, 10, SEC).unwrap();
        assert_eq!(gap, Duration::from_millis(5)); // 200 pps, not 12.5 pps
    }

    #[test]
    fn a_burst_is_what_the_rate_allows_in_a_tick() {
        let start = Instant::now();
        let burst = |rate, n| Pacer::new(rate, n, SEC, start).burst();
        assert_eq!(burst(Rate::Spread, 1_000), 25); // 1,250/s × 20 ms
        assert_eq!(burst(Rate::Spread, 10_000), 40); // the 2,000/s cap
        assert_eq!(burst(Rate::Spread, 10), 4); // the 200/s floor
        assert_eq!(burst(Rate::PerSecond(10), 10), 1, "never below one");
        assert_eq!(burst(Rate::Unlimited, 10), UNPACED_BURST);
    }

    #[test]
    fn spread_scales_with_the_interval() {
        let gap = Pacer::gap_for(Rate::Spread, 1_000, 2 * SEC).unwrap();
        assert_eq!(gap, Duration::from_micros(1_600)); // 625 pps
    }
}
