//! When to draw the next frame: only what a person can see change, as soon as it matters.
//!
//! A key press or a click is drawn almost at once ([`INPUT_GAP`]); a state change (a device
//! going down, a run's answer) at most [`MAX_FPS`] times a second; a change of nothing but
//! RTTs, sweep totals or ages ("down 2m13s") at most [`LAZY_FPS`] times a second, because
//! with 10,000 devices some RTT changes on every reply and redrawing for each one is what
//! burned a core's 6–7 %. Once a second is as often as a device's RTT changes with 1 s
//! sweeps, and as often as the ages change anyway; 4 a second cost 4 frames for nothing a
//! person reads. Pure: the loop tells it what happened and when it drew, it says
//! when the next frame is due; time is passed in, so tests need no clock.

use std::time::{Duration, Instant};

/// Frames a second for state changes.
pub const MAX_FPS: u32 = 30;
/// Frames a second when only RTTs (and ages) changed.
pub const LAZY_FPS: u32 = 1;
/// The least time between a frame and the next one that answers input: a key press shows
/// within this (plus the frame's own time), yet a pasted line is not 100 frames.
pub const INPUT_GAP: Duration = Duration::from_millis(8);

/// The least time between two batches of worker events: 2,000 probe results a second
/// are then folded in ~20 wake-ups, not 2,000 (the queue holds 16,384, 8 s of them). A
/// device going down shows within this plus a state change's frame gap (~80 ms): nobody
/// sees the wait, and every wake-up of the loop is a futex and two context switches.
pub const FOLD_GAP: Duration = Duration::from_millis(50);

/// What happened since the last frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// A key, a click, a resize, a signal that gave the terminal back.
    Input,
    /// Something a person sees at once: a device changed state, a run or job moved.
    State,
    /// Only RTTs, sweep totals or ages changed.
    Lazy,
}

impl Change {
    fn gap(self) -> Duration {
        match self {
            Change::Input => INPUT_GAP,
            Change::State => Duration::from_secs(1) / MAX_FPS,
            Change::Lazy => Duration::from_secs(1) / LAZY_FPS,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Redraw {
    last: Instant,
    /// The most pressing change waiting for a frame (the smallest gap wins).
    pending: Option<Change>,
}

impl Redraw {
    /// The first frame is due at once.
    pub fn new(now: Instant) -> Redraw {
        Redraw {
            last: now.checked_sub(Duration::from_secs(1)).unwrap_or(now),
            pending: Some(Change::Input),
        }
    }

    pub fn note(&mut self, change: Change) {
        self.pending = match self.pending {
            Some(waiting) if waiting.gap() <= change.gap() => Some(waiting),
            _ => Some(change),
        };
    }

    /// When the next frame is due; `None` when nothing changed.
    pub fn due(&self) -> Option<Instant> {
        self.pending.map(|change| self.last + change.gap())
    }

    /// Whether a frame is due at `now`.
    pub fn is_due(&self, now: Instant) -> bool {
        self.due().is_some_and(|due| due <= now)
    }

    /// A frame was drawn at `now`: everything noted so far is on screen.
    pub fn drawn(&mut self, now: Instant) {
        (self.last, self.pending) = (now, None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn the_first_frame_is_due_at_once_and_nothing_after_it_until_a_change() {
        let t0 = Instant::now();
        let mut redraw = Redraw::new(t0);
        assert!(redraw.is_due(t0));
        redraw.drawn(t0);
        assert_eq!(redraw.due(), None);
        assert!(!redraw.is_due(t0 + Duration::from_secs(3600)));
    }

    #[test]
    fn rtt_only_changes_draw_at_the_lazy_rate() {
        let t0 = Instant::now();
        let mut redraw = Redraw::new(t0);
        redraw.drawn(t0);
        // A reply every millisecond for 4 seconds: 4 frames, not 120 or 4,000.
        let mut frames = 0;
        for ms in 1..=4000u64 {
            let now = t0 + MS * ms as u32;
            redraw.note(Change::Lazy);
            if redraw.is_due(now) {
                redraw.drawn(now);
                frames += 1;
            }
        }
        assert_eq!(frames, 4 * LAZY_FPS);
    }

    #[test]
    fn a_state_change_after_rtt_changes_draws_at_the_frame_rate() {
        let t0 = Instant::now();
        let mut redraw = Redraw::new(t0);
        redraw.drawn(t0);
        redraw.note(Change::Lazy);
        assert_eq!(redraw.due(), Some(t0 + Duration::from_secs(1) / LAZY_FPS));
        redraw.note(Change::State);
        assert_eq!(redraw.due(), Some(t0 + Duration::from_secs(1) / MAX_FPS));
        // A later lazy change does not push it back.
        redraw.note(Change::Lazy);
        assert_eq!(redraw.due(), Some(t0 + Duration::from_secs(1) / MAX_FPS));
    }

    #[test]
    fn a_key_press_draws_within_the_input_gap_even_right_after_a_frame() {
        let t0 = Instant::now();
        let mut redraw = Redraw::new(t0);
        redraw.drawn(t0);
        redraw.note(Change::Lazy);
        redraw.note(Change::Input);
        assert_eq!(redraw.due(), Some(t0 + INPUT_GAP));
        assert!(INPUT_GAP < Duration::from_millis(16));
        redraw.note(Change::State);
        assert_eq!(
            redraw.due(),
            Some(t0 + INPUT_GAP),
            "input stays the most pressing"
        );
        // Long after the last frame it is due at once.
        let later = t0 + Duration::from_secs(5);
        redraw.drawn(later - Duration::from_secs(1));
        redraw.note(Change::Input);
        assert!(redraw.is_due(later));
    }
}
