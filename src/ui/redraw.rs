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

use crate::base::beat;

/// Frames a second for state changes.
pub const MAX_FPS: u32 = 30;
/// Frames a second when only RTTs (and ages) changed.
pub const LAZY_FPS: u32 = 1;
/// The least time between a frame and the next one that answers input: a key press shows
/// within this (plus the frame's own time), yet a pasted line is not 100 frames.
pub const INPUT_GAP: Duration = Duration::from_millis(8);

/// When the loop takes the next batch of worker events from their queue. Every wake-up of
/// the loop is a futex and two context switches, so 2,000 probe results a second must not
/// be 2,000 wake-ups (the queue holds 16,384, 8 s of them). A sweep hands over its results
/// once per beat (`base::beat`, 64 ms), right after its burst: each batch is folded at
/// once, woken by the queue, in the wake-up the sweep has anyway, and no timer of ours
/// wakes a worker. Only a second batch within one beat (a flood: TCP probes, a run's
/// answers) makes the next wait for the next beat: at most two wake-ups a beat, and a
/// device going down shows within a beat plus a state change's frame gap (~100 ms).
#[derive(Debug, Clone, Default)]
pub struct Folds {
    /// The beat after the last batch.
    beat: Option<Instant>,
}

impl Folds {
    /// A batch was folded at `now`: when the loop may take the next one.
    pub fn folded(&mut self, now: Instant) -> Instant {
        let beat = beat::after(now);
        let next = match self.beat == Some(beat) {
            true => beat,
            false => now,
        };
        self.beat = Some(beat);
        next
    }
}

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

    /// When the next frame is due; `None` when nothing changed. A lazy frame waits for
    /// the beat after its gap, when the loop is awake anyway.
    pub fn due(&self) -> Option<Instant> {
        self.pending.map(|change| match change {
            Change::Lazy => beat::at_or_after(self.last + change.gap()),
            _ => self.last + change.gap(),
        })
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

    /// Batches once a beat (a sweep's) are each taken at once; a flood of events, each one
    /// waking the loop as soon as it may, is taken at most twice a beat.
    #[test]
    fn batches_are_taken_at_once_unless_two_come_within_a_beat() {
        let start = beat::after(Instant::now());
        let mut folds = Folds::default();
        for k in 0..20 {
            let now = start + beat::BEAT * k + MS;
            assert_eq!(folds.folded(now), now, "a sweep's batch waits for nothing");
        }
        let mut folds = Folds::default();
        let (mut now, mut wakes) = (start, 0);
        let end = start + Duration::from_secs(1);
        while now < end {
            wakes += 1;
            // The next event is already there: the loop wakes as soon as it may.
            now = folds.folded(now).max(now + Duration::from_micros(100));
        }
        let beats = Duration::from_secs(1)
            .as_nanos()
            .div_ceil(beat::BEAT.as_nanos()) as u32;
        assert!(wakes <= 2 * beats, "{wakes} wake-ups in {beats} beats");
    }

    #[test]
    fn rtt_only_changes_draw_at_the_lazy_rate() {
        let t0 = Instant::now();
        let mut redraw = Redraw::new(t0);
        redraw.drawn(t0);
        // A reply every millisecond for 4.3 seconds: 4 frames, not 130 or 4,300 (each one
        // waits up to a beat past its second, so the fourth comes by 4.26 s).
        let mut frames = Vec::new();
        for ms in 1..=4300u64 {
            let now = t0 + MS * ms as u32;
            redraw.note(Change::Lazy);
            if redraw.is_due(now) {
                redraw.drawn(now);
                frames.push(now);
            }
        }
        assert_eq!(frames.len() as u32, 4 * LAZY_FPS);
        // Each on a beat (to the millisecond this loop steps by), a second or a beat more
        // after the one before.
        let mut last = t0;
        for frame in frames {
            let gap = frame - last;
            assert!(gap >= Duration::from_secs(1) / LAZY_FPS, "{gap:?} apart");
            assert!(gap < Duration::from_millis(1_065), "{gap:?} apart");
            assert!(
                beat::after(frame - MS) <= frame,
                "a lazy frame off the beat"
            );
            last = frame;
        }
    }

    #[test]
    fn a_state_change_after_rtt_changes_draws_at_the_frame_rate() {
        let t0 = Instant::now();
        let mut redraw = Redraw::new(t0);
        redraw.drawn(t0);
        redraw.note(Change::Lazy);
        let lazy = beat::at_or_after(t0 + Duration::from_secs(1) / LAZY_FPS);
        assert_eq!(redraw.due(), Some(lazy));
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
