//! Send pacing: when the i-th probe of a sweep may leave.
//!
//! Routers and firewalls rate-limit ICMP (control-plane policing often allows only a few
//! hundred to a few thousand packets per second), and a burst of 10,000 echo requests can
//! also overflow our own receive queue. So by default a sweep is spread out; `--rate 0`
//! (`Rate::Unlimited`) removes pacing for loopback labs and benchmarks.
//!
//! Probes leave in small bursts, not one by one: on every beat ([`SEND_TICK`], the
//! process's shared timer grid, see `base::beat`) the sweep sends the probes whose slot has
//! come since the last burst (80 at the 1,250/s of 1,000 devices a second, 128 at the
//! 2,000/s cap), at most [`Pacer::burst`] of them: what the rate allows in two beats, so a
//! wake-up that came late catches up instead of falling behind for good. No probe leaves
//! before its slot, so the rate holds on average and is never exceeded over the sweep;
//! only the spacing inside a burst is gone (µs apart, one `sendmmsg` per 64). That is 16
//! wake-ups a second instead of one per probe, the same wake-ups the dashboard's own timers
//! use. Each device still gets one probe per sweep: a burst is spread over many devices,
//! never aimed at one.

use std::time::Duration;

use tokio::time::Instant;

use crate::base::beat;

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

/// How often a paced sweep sends a burst (and, at most, expires unanswered probes): on
/// every beat.
pub const SEND_TICK: Duration = beat::BEAT;

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

    /// Most probes in one burst: what the rate allows in two [`SEND_TICK`]s (at least one),
    /// or [`UNPACED_BURST`] when not paced.
    pub fn burst(&self) -> usize {
        match self.gap {
            None => UNPACED_BURST,
            Some(gap) => {
                let two_ticks = 2 * SEND_TICK.as_nanos();
                let most = two_ticks.div_ceil(gap.as_nanos().max(1));
                usize::try_from(most).unwrap_or(usize::MAX).max(1)
            }
        }
    }

    /// How many of the probes `next..n` leave in a burst at `now`: those whose slot has
    /// come, at most [`Pacer::burst`].
    pub fn due(&self, next: usize, n: usize, now: Instant) -> usize {
        let most = self.burst().min(n.saturating_sub(next));
        (0..most)
            .position(|k| self.slot(next + k) > now)
            .unwrap_or(most)
    }

    /// The earliest time of the burst after one sent at `now`, with probe `next` the first
    /// still to go: the beat of its slot, but not before the next beat (paced), or at once.
    pub fn next_burst(&self, next: usize, now: Instant) -> Instant {
        match self.gap {
            Some(_) => beat::tokio_at_or_after(self.slot(next)).max(beat::tokio_after(now)),
            None => now,
        }
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
    fn a_burst_is_at_most_what_the_rate_allows_in_two_ticks() {
        let start = Instant::now();
        let burst = |rate, n| Pacer::new(rate, n, SEC, start).burst();
        assert_eq!(burst(Rate::Spread, 1_000), 160); // 1,250/s × 2 × 64 ms
        assert_eq!(burst(Rate::Spread, 10_000), 256); // the 2,000/s cap
        assert_eq!(burst(Rate::Spread, 10), 26); // the 200/s floor
        assert_eq!(burst(Rate::PerSecond(5), 10), 1, "never below one");
        assert_eq!(burst(Rate::Unlimited, 10), UNPACED_BURST);
    }

    /// A sweep driven as the sweep loop drives it, woken up late by up to 7 ms each time:
    /// every probe leaves exactly once and in order, no burst is bigger than its size, the
    /// sends never run ahead of the rate, and the sweep ends about when the schedule does.
    #[test]
    fn bursts_keep_the_rate_and_send_every_probe_once() {
        for (rate, n) in [
            (Rate::Spread, 1_000),
            (Rate::Spread, 10_000),
            (Rate::PerSecond(300), 200),
        ] {
            let start = Instant::now();
            let p = Pacer::new(rate, n, SEC, start);
            let gap = Pacer::gap_for(rate, n, SEC).unwrap();
            let (mut next, mut at, mut wake) = (0, start, 0u64);
            let mut sent = vec![0u32; n];
            while next < n {
                let k = p.due(next, n, at);
                assert!(k <= p.burst(), "{rate:?}: burst of {k} > {}", p.burst());
                for (i, count) in sent.iter_mut().enumerate().skip(next).take(k) {
                    *count += 1;
                    assert!(p.slot(i) <= at, "{rate:?}: probe {i} left before its slot");
                }
                next += k;
                // Never ahead of the rate: by `at`, at most one probe per gap since start.
                let allowed = (at - start).as_nanos() / gap.as_nanos() + 1;
                assert!(
                    next as u128 <= allowed,
                    "{rate:?}: {next} sent, {allowed} allowed"
                );
                // The next wake-up: when asked, plus a made-up scheduling delay of 0-7 ms.
                wake += 1;
                at = p.next_burst(next, at) + Duration::from_millis(wake * 7 % 8);
            }
            assert!(
                sent.iter().all(|&c| c == 1),
                "{rate:?}: a probe sent twice or never"
            );
            let schedule = p.slot(n - 1) - start;
            let took = at - start;
            assert!(
                took <= schedule + 2 * SEND_TICK + Duration::from_millis(8),
                "{rate:?}: {took:?} for a {schedule:?} schedule"
            );
        }
    }

    /// After the first, every burst of a paced sweep leaves on a beat, the wake-ups the
    /// dashboard's timers share: 1,000 devices a second in 13-15 bursts of at most 80.
    #[test]
    fn paced_bursts_after_the_first_fall_on_the_beat() {
        let start = Instant::now();
        let p = Pacer::new(Rate::Spread, 1_000, SEC, start);
        let (mut next, mut at, mut bursts) = (0, start, 0);
        while next < 1_000 {
            let k = p.due(next, 1_000, at);
            assert!(k <= 80 || bursts == 0, "burst {bursts} of {k}");
            next += k;
            bursts += 1;
            let then = p.next_burst(next, at);
            assert!(then > at);
            assert_eq!(
                beat::tokio_at_or_after(then),
                then,
                "burst {bursts} off the beat"
            );
            at = then;
        }
        assert!((13..=15).contains(&bursts), "{bursts} bursts");
    }

    #[test]
    fn an_unpaced_sweep_sends_in_bursts_at_once() {
        let start = Instant::now();
        let p = Pacer::new(Rate::Unlimited, 1_000, SEC, start);
        assert_eq!(p.due(0, 1_000, start), UNPACED_BURST);
        assert_eq!(p.due(900, 1_000, start), 100);
        assert_eq!(p.next_burst(256, start), start);
    }

    #[test]
    fn spread_scales_with_the_interval() {
        let gap = Pacer::gap_for(Rate::Spread, 1_000, 2 * SEC).unwrap();
        assert_eq!(gap, Duration::from_micros(1_600)); // 625 pps
    }
}
