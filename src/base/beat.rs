//! The process's beat: the instants on which the timers that recur all the time fall (a
//! sweep's send bursts and starts, the expiry of unanswered probes, the dashboard's folds of
//! worker events and its once-a-second frames), so one wake-up serves them all.
//!
//! A dashboard at rest spends most of its CPU not on work but on waking up (in a VM every
//! wake-up is a timer exit and two context switches). Timers set independently (the sweep
//! every 20 ms, the dashboard's fold 50 ms after its last one, a second after the last
//! frame) woke a worker ~75 times a second for ~15 things to do. On one grid they share.
//!
//! Why [`BEAT`] is 64 ms: tokio's timer wheel keeps a deadline more than its finest level
//! (64 slots of 1 ms) away in a coarser level first, and moving it down costs a wake-up of
//! its own at the 64 ms boundary before the deadline, unless the deadline *is* that
//! boundary. The grid starts when [`start`] is called, just before the runtime (and its
//! clock) is built, so beats fall on the runtime's own 64 ms boundaries and cost one
//! wake-up each. Without that call the grid starts at first use: still one grid for all,
//! with an occasional extra wake-up.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Time between two beats.
pub const BEAT: Duration = Duration::from_millis(64);

static EPOCH: OnceLock<Instant> = OnceLock::new();

/// Starts the grid now (the first call wins): call it just before building the runtime.
pub fn start() {
    EPOCH.get_or_init(Instant::now);
}

fn epoch() -> Instant {
    *EPOCH.get_or_init(Instant::now)
}

/// The first beat at or after `t`.
pub fn at_or_after(t: Instant) -> Instant {
    let epoch = epoch();
    let Some(since) = t.checked_duration_since(epoch) else {
        return epoch;
    };
    let beats = since.as_nanos().div_ceil(BEAT.as_nanos());
    epoch + BEAT * u32::try_from(beats).unwrap_or(u32::MAX)
}

/// The first beat strictly after `t`.
pub fn after(t: Instant) -> Instant {
    at_or_after(t + Duration::from_nanos(1))
}

/// As [`at_or_after`], for tokio's instants.
pub fn tokio_at_or_after(t: tokio::time::Instant) -> tokio::time::Instant {
    at_or_after(t.into_std()).into()
}

/// As [`after`], for tokio's instants.
pub fn tokio_after(t: tokio::time::Instant) -> tokio::time::Instant {
    after(t.into_std()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beats_are_one_beat_apart_and_never_before_the_time_asked() {
        start();
        let now = Instant::now();
        let b = at_or_after(now);
        assert!(b >= now && b - now < BEAT);
        assert_eq!(at_or_after(b), b, "a beat is its own first beat");
        assert_eq!(after(b), b + BEAT);
        assert_eq!(after(b - Duration::from_nanos(1)), b);
        assert_eq!(at_or_after(b + Duration::from_nanos(1)), b + BEAT);
        // Every beat is a whole number of beats from every other.
        let later = at_or_after(now + Duration::from_millis(1_000));
        assert_eq!((later - b).as_nanos() % BEAT.as_nanos(), 0);
        assert_eq!(tokio_after(b.into()).into_std(), b + BEAT);
    }

    #[test]
    fn a_time_before_the_grid_began_gets_its_first_beat() {
        start();
        let first = at_or_after(epoch());
        assert_eq!(at_or_after(first - Duration::from_secs(1)), first);
    }
}
