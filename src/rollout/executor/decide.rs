//! The coordinator's decisions, as plain functions of the outcomes so far: whether a
//! `max_fail` threshold is exceeded, which devices fail for no longer answering probes, and
//! which reason a stop keeps. No I/O, no tasks: the actor in `coordinator` acts on them.

use crate::inventory::DeviceId;
use crate::rollout::event::Outcome;
use crate::rollout::plan::{MaxFail, Threshold};
use crate::rollout::report::{DeviceOutcome, DeviceState, RunState};

/// Why the rollout stopped early.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Stop {
    pub outcome: Outcome,
    pub reason: String,
}

impl Stop {
    pub fn run_state(&self) -> RunState {
        match self.outcome {
            Outcome::Aborted => RunState::Aborted,
            _ => RunState::Halted,
        }
    }
}

/// Records a stop in `current`: an abort wins over a halt (the operator's word is final);
/// otherwise the first reason stays.
pub(super) fn stop_with(current: &mut Option<Stop>, outcome: Outcome, reason: String) {
    match current {
        Some(s) if s.outcome == Outcome::Aborted || outcome != Outcome::Aborted => {}
        _ => *current = Some(Stop { outcome, reason }),
    }
}

/// The reason `max` is exceeded after a failure in wave `w` (of `wave_len` devices), or
/// `None`. The wave's limit is checked before the overall one.
pub(super) fn exceeded(
    max: MaxFail,
    w: usize,
    wave_len: usize,
    outcomes: &[DeviceOutcome],
) -> Option<String> {
    let failed = |o: &&DeviceOutcome| o.state == DeviceState::Failed;
    let in_wave = outcomes
        .iter()
        .filter(|o| o.wave == w)
        .filter(failed)
        .count();
    let overall = outcomes.iter().filter(failed).count();
    if let Some(t) = max.per_wave.filter(|t| t.exceeded(in_wave, wave_len)) {
        return Some(format!(
            "{in_wave} of {wave_len} device(s) failed in wave {}: more than max_fail per wave ({})",
            w + 1,
            fmt_threshold(t)
        ));
    }
    max.overall
        .filter(|t| t.exceeded(overall, outcomes.len()))
        .map(|t| {
            format!(
                "{overall} of {} device(s) failed: more than max_fail overall ({})",
                outcomes.len(),
                fmt_threshold(t)
            )
        })
}

/// Under `on_fail: continue` an exceeded threshold is logged once: the key is the limit
/// named after the last colon, so a growing count does not log again.
pub(super) fn warning_key(reason: &str) -> String {
    reason
        .split(':')
        .next_back()
        .unwrap_or_default()
        .to_string()
}

/// Indexes of the devices of wave `w` that are done but no longer answer probes.
pub(super) fn unreachable_after_change(
    outcomes: &[DeviceOutcome],
    w: usize,
    is_down: impl Fn(DeviceId) -> bool,
) -> Vec<usize> {
    (0..outcomes.len())
        .filter(|&i| {
            let o = &outcomes[i];
            o.wave == w && o.state == DeviceState::Done && is_down(o.device)
        })
        .collect()
}

pub(super) fn fmt_threshold(t: Threshold) -> String {
    match t {
        Threshold::Count(n) => n.to_string(),
        Threshold::Percent(p) => format!("{p}%"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rollout::plan::OnFail;

    /// Outcomes by wave: `waves[w]` lists the states of wave `w`'s devices.
    fn outcomes(waves: &[&[DeviceState]]) -> Vec<DeviceOutcome> {
        let mut out = Vec::new();
        for (w, states) in waves.iter().enumerate() {
            for &state in *states {
                let d = out.len();
                let mut o = DeviceOutcome::pending(d, format!("d{d}"), w);
                o.state = state;
                out.push(o);
            }
        }
        out
    }

    fn max(per_wave: Option<Threshold>, overall: Option<Threshold>) -> MaxFail {
        MaxFail {
            per_wave,
            overall,
            action: OnFail::Halt,
        }
    }

    use DeviceState::{Done as D, Failed as F, Pending as P};

    #[test]
    fn thresholds_per_wave_then_overall() {
        let o = outcomes(&[&[D, F], &[F, F, D, P]]);
        // (per wave, overall, wave checked) → the reason, if any.
        type Case = (
            Option<Threshold>,
            Option<Threshold>,
            usize,
            Option<&'static str>,
        );
        let cases: &[Case] = &[
            (None, None, 1, None),
            // Any failure stops a plan that says nothing (the default is Count(0) overall).
            (
                None,
                Some(Threshold::Count(0)),
                0,
                Some("3 of 6 device(s) failed: more than max_fail overall (0)"),
            ),
            (None, Some(Threshold::Count(3)), 1, None),
            (
                None,
                Some(Threshold::Count(2)),
                1,
                Some("3 of 6 device(s) failed: more than max_fail overall (2)"),
            ),
            (None, Some(Threshold::Percent(50.0)), 1, None),
            (
                None,
                Some(Threshold::Percent(49.0)),
                1,
                Some("3 of 6 device(s) failed: more than max_fail overall (49%)"),
            ),
            (Some(Threshold::Count(2)), None, 1, None),
            (
                Some(Threshold::Count(1)),
                None,
                1,
                Some("2 of 4 device(s) failed in wave 2: more than max_fail per wave (1)"),
            ),
            (Some(Threshold::Count(1)), None, 0, None),
            // The wave's limit is named first when both are exceeded.
            (
                Some(Threshold::Percent(25.0)),
                Some(Threshold::Count(0)),
                1,
                Some("2 of 4 device(s) failed in wave 2: more than max_fail per wave (25%)"),
            ),
        ];
        for &(per_wave, overall, w, want) in cases {
            let wave_len = o.iter().filter(|d| d.wave == w).count();
            assert_eq!(
                exceeded(max(per_wave, overall), w, wave_len, &o).as_deref(),
                want,
                "{per_wave:?} {overall:?} wave {w}"
            );
        }
    }

    #[test]
    fn the_warning_key_ignores_the_counts() {
        let a = "2 of 4 device(s) failed in wave 2: more than max_fail per wave (1)";
        let b = "3 of 4 device(s) failed in wave 2: more than max_fail per wave (1)";
        let c = "3 of 6 device(s) failed: more than max_fail overall (1)";
        assert_eq!(warning_key(a), warning_key(b));
        assert_ne!(warning_key(a), warning_key(c));
    }

    #[test]
    fn only_done_devices_of_the_wave_fail_for_being_down() {
        let o = outcomes(&[&[D, D, F], &[D, P]]);
        let all_down = |_| true;
        assert_eq!(unreachable_after_change(&o, 0, all_down), vec![0, 1]);
        assert_eq!(unreachable_after_change(&o, 1, all_down), vec![3]);
        assert_eq!(unreachable_after_change(&o, 0, |d| d == 1), vec![1]);
        assert!(unreachable_after_change(&o, 0, |_| false).is_empty());
    }

    #[test]
    fn an_abort_wins_and_the_first_reason_stays() {
        let halted = |r: &str| {
            Some(Stop {
                outcome: Outcome::Halted,
                reason: r.into(),
            })
        };
        let aborted = |r: &str| {
            Some(Stop {
                outcome: Outcome::Aborted,
                reason: r.into(),
            })
        };
        let mut s = None;
        stop_with(&mut s, Outcome::Halted, "threshold".into());
        assert_eq!(s, halted("threshold"));
        stop_with(&mut s, Outcome::Halted, "second threshold".into());
        assert_eq!(s, halted("threshold"));
        stop_with(&mut s, Outcome::Aborted, "operator".into());
        assert_eq!(s, aborted("operator"));
        stop_with(&mut s, Outcome::Aborted, "journal".into());
        stop_with(&mut s, Outcome::Halted, "threshold".into());
        assert_eq!(s, aborted("operator"));
        assert_eq!(s.unwrap().run_state(), RunState::Aborted);
        assert_eq!(halted("x").unwrap().run_state(), RunState::Halted);
    }
}
