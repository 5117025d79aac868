//! Retry delays: exponential backoff with "equal jitter" (half fixed, half random), so a
//! fleet of devices that failed together does not retry in lockstep.

use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

/// The delay before retry number `attempt` (1 for the first retry), in
/// `[d/2, d]` where `d = min(base * 2^(attempt-1), max)`. `unit` in `[0, 1)` is the random
/// part, passed in so the rule is testable.
pub fn delay(base: Duration, max: Duration, attempt: u32, unit: f64) -> Duration {
    let exp = attempt.saturating_sub(1).min(30);
    let full = base.saturating_mul(1 << exp).min(max);
    let half = full / 2;
    half + half.mul_f64(unit.clamp(0.0, 1.0))
}

/// A random number in `[0, 1)` from the std library's per-process random hasher keys
/// (no `rand` dependency for one jitter value).
pub fn jitter_unit(salt: u64) -> f64 {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(salt);
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_and_caps() {
        let base = Duration::from_millis(100);
        let max = Duration::from_millis(1000);
        assert_eq!(delay(base, max, 1, 1.0), Duration::from_millis(100));
        assert_eq!(delay(base, max, 2, 1.0), Duration::from_millis(200));
        assert_eq!(delay(base, max, 3, 0.0), Duration::from_millis(200));
        assert_eq!(delay(base, max, 10, 1.0), max);
        assert_eq!(delay(base, max, 10, 0.5), Duration::from_millis(750));
        assert_eq!(delay(base, max, 1000, 0.0), Duration::from_millis(500));
    }

    #[test]
    fn jitter_is_in_range_and_varies() {
        let values: Vec<f64> = (0..64).map(jitter_unit).collect();
        assert!(values.iter().all(|v| (0.0..1.0).contains(v)));
        let first = values[0];
        assert!(values.iter().any(|v| *v != first));
    }
}
