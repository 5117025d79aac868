//! A per-device circuit breaker: after N consecutive failed jobs the device is left alone for
//! a cool-down, then one trial decides whether it closes again. Pure: time is passed in.

use std::time::{Duration, Instant};

use super::event::Link;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Closed {
        failures: u32,
    },
    Open {
        until: Instant,
    },
    /// Cool-down over; the next job is the trial.
    HalfOpen,
}

/// Whether a job may go ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admit {
    Go,
    /// Refused: the breaker is open until then.
    Refuse {
        until: Instant,
    },
}

#[derive(Debug, Clone)]
pub struct Breaker {
    threshold: u32,
    cooldown: Duration,
    state: State,
}

impl Breaker {
    /// `threshold` 0 is treated as 1 (a breaker that never opens is `u32::MAX`).
    pub fn new(threshold: u32, cooldown: Duration) -> Breaker {
        Breaker {
            threshold: threshold.max(1),
            cooldown,
            state: State::Closed { failures: 0 },
        }
    }

    /// Asks before a job. The second value is a link change to report (open → half-open).
    pub fn admit(&mut self, now: Instant) -> (Admit, Option<Link>) {
        match self.state {
            State::Open { until } if now < until => (Admit::Refuse { until }, None),
            State::Open { .. } => {
                self.state = State::HalfOpen;
                (Admit::Go, Some(Link::HalfOpen))
            }
            State::Closed { .. } | State::HalfOpen => (Admit::Go, None),
        }
    }

    /// Records a job's outcome; returns `Link::CircuitOpen` when this failure opened it.
    pub fn record(&mut self, ok: bool, now: Instant) -> Option<Link> {
        if ok {
            self.state = State::Closed { failures: 0 };
            return None;
        }
        let failures = match self.state {
            State::Closed { failures } => failures + 1,
            // A failed trial re-opens at once; a failure while open cannot happen (refused).
            State::HalfOpen | State::Open { .. } => self.threshold,
        };
        if failures >= self.threshold {
            let until = now + self.cooldown;
            self.state = State::Open { until };
            Some(Link::CircuitOpen { until })
        } else {
            self.state = State::Closed { failures };
            None
        }
    }

    pub fn is_open(&self, now: Instant) -> bool {
        matches!(self.state, State::Open { until } if now < until)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_n_then_half_open_then_closes() {
        let t0 = Instant::now();
        let cool = Duration::from_secs(30);
        let mut b = Breaker::new(3, cool);
        assert_eq!(b.record(false, t0), None);
        assert_eq!(b.record(false, t0), None);
        assert_eq!(b.admit(t0).0, Admit::Go);
        assert_eq!(
            b.record(false, t0),
            Some(Link::CircuitOpen { until: t0 + cool })
        );
        assert_eq!(
            b.admit(t0 + Duration::from_secs(29)).0,
            Admit::Refuse { until: t0 + cool }
        );
        assert!(b.is_open(t0));
        assert_eq!(b.admit(t0 + cool), (Admit::Go, Some(Link::HalfOpen)));
        assert_eq!(b.record(true, t0 + cool), None);
        // Closed again: it takes three new failures to open.
        assert_eq!(b.record(false, t0 + cool), None);
        assert_eq!(b.admit(t0 + cool).0, Admit::Go);
    }

    #[test]
    fn failed_trial_reopens_at_once() {
        let t0 = Instant::now();
        let cool = Duration::from_secs(10);
        let mut b = Breaker::new(2, cool);
        b.record(false, t0);
        b.record(false, t0);
        let t1 = t0 + cool;
        assert_eq!(b.admit(t1), (Admit::Go, Some(Link::HalfOpen)));
        assert_eq!(
            b.record(false, t1),
            Some(Link::CircuitOpen { until: t1 + cool })
        );
    }

    #[test]
    fn success_resets_the_count() {
        let t0 = Instant::now();
        let mut b = Breaker::new(2, Duration::from_secs(1));
        b.record(false, t0);
        b.record(true, t0);
        assert_eq!(b.record(false, t0), None);
        assert!(!b.is_open(t0));
    }
}
