//! Durations, the one grammar for every flag and file, and the formatters for them.
//!
//! ```text
//! duration  = number                 a bare number is seconds: `30`, `0.5`
//!           | component+             units from largest to smallest, each at most once
//! component = number unit            `500ms`, `30s`, `5m`, `1h30m`, `1.5s`
//! number    = digits [ "." digits ]  a fraction is exact down to the nanosecond
//! unit      = "h" | "m" | "s" | "ms"
//! ```
//!
//! `1.5s` is 1,500 ms and `1.5h` is 90 minutes; a fraction finer than a nanosecond, a
//! negative number, spaces inside, or more than 584 years is refused. [`format`] writes
//! the same grammar back (exact); [`short`] rounds for people.

use std::fmt::Write as _;
use std::time::Duration;

use serde::{Deserialize, Deserializer};

use super::text::Untrusted;

/// Longer text is not a duration anyone meant (and is not worth scanning).
const MAX_LEN: usize = 64;

/// Units from largest to smallest, with their length in nanoseconds.
const UNITS: [(&str, u128); 4] = [
    ("h", 3_600_000_000_000),
    ("m", 60_000_000_000),
    ("s", 1_000_000_000),
    ("ms", 1_000_000),
];

/// Why a text is not a duration. Its `Display` is a whole message with an example.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{text}` is not a duration: {why} (write e.g. 500ms, 30s, 5m or 1h30m; a bare number is seconds)"
)]
pub struct DurationError {
    /// The text, escaped for printing.
    text: String,
    why: &'static str,
}

impl DurationError {
    /// What is wrong, without the text or the example (for callers with their own help).
    pub fn why(&self) -> &'static str {
        self.why
    }
}

/// Parses the grammar above; zero is allowed.
pub fn parse(text: &str) -> Result<Duration, DurationError> {
    let fail = |why| DurationError {
        text: Untrusted(text).to_string(),
        why,
    };
    let s = text.trim();
    if s.is_empty() {
        return Err(fail("it is empty"));
    }
    if s.len() > MAX_LEN {
        return Err(fail("it is too long"));
    }
    let mut nanos: u128 = 0;
    let mut rest = s;
    // Index into UNITS of the next unit allowed (units only get smaller).
    let mut next_unit = 0;
    while !rest.is_empty() {
        let (whole, frac, after) = number(rest).ok_or_else(|| fail("expected a number"))?;
        let (unit, after) = match UNITS.iter().position(|(u, _)| after.starts_with(u)) {
            // `m` is a prefix of `ms`: prefer the longer unit.
            Some(1) if after.starts_with("ms") => (3, &after[2..]),
            Some(i) => (i, &after[UNITS[i].0.len()..]),
            None if after.is_empty() && rest.len() == s.len() => (2, after),
            None => return Err(fail("unknown unit (use h, m, s or ms)")),
        };
        if unit < next_unit {
            return Err(fail("units must go from largest to smallest, each once"));
        }
        next_unit = unit + 1;
        let scale = UNITS[unit].1;
        let mut part = whole
            .checked_mul(scale)
            .ok_or_else(|| fail("it is too long"))?;
        if !frac.is_empty() {
            let den = 10u128.pow(frac.len() as u32);
            let num: u128 = frac.parse().map_err(|_| fail("expected a number"))?;
            let scaled = num * scale;
            if !scaled.is_multiple_of(den) {
                return Err(fail("it is finer than a nanosecond"));
            }
            part += scaled / den;
        }
        nanos = nanos
            .checked_add(part)
            .ok_or_else(|| fail("it is too long"))?;
        rest = after;
    }
    let nanos = u64::try_from(nanos).map_err(|_| fail("it is too long"))?;
    Ok(Duration::from_nanos(nanos))
}

/// Like [`parse`], but zero is refused (intervals, timeouts, waits).
pub fn parse_positive(text: &str) -> Result<Duration, DurationError> {
    match parse(text)? {
        d if d.is_zero() => Err(DurationError {
            text: Untrusted(text).to_string(),
            why: "it must be longer than zero",
        }),
        d => Ok(d),
    }
}

/// Splits `digits[.digits]` off the front: (whole, fraction digits, rest). The fraction has
/// at most 18 digits so that it fits the arithmetic above.
fn number(s: &str) -> Option<(u128, &str, &str)> {
    let int_len = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    if int_len == 0 || int_len > 20 {
        return None;
    }
    let whole = s[..int_len].parse().ok()?;
    let rest = &s[int_len..];
    let Some(after_dot) = rest.strip_prefix('.') else {
        return Some((whole, "", rest));
    };
    let frac_len = after_dot
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(after_dot.len());
    if frac_len == 0 || frac_len > 18 {
        return None;
    }
    Some((whole, &after_dot[..frac_len], &after_dot[frac_len..]))
}

/// The exact duration in the grammar: `1h30m`, `1m30s`, `1s500ms`, `250ms`, `0.5ms`, `0s`.
/// [`parse`] reads it back to the same value.
pub fn format(d: Duration) -> String {
    if d.is_zero() {
        return "0s".to_owned();
    }
    let secs = d.as_secs();
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let (ms, ns) = (d.subsec_millis(), d.subsec_nanos() % 1_000_000);
    let mut out = String::new();
    for (value, unit) in [(h, "h"), (m, "m"), (s, "s")] {
        if value > 0 {
            let _ = write!(out, "{value}{unit}");
        }
    }
    if ns > 0 {
        let frac = format!("{ns:06}");
        let _ = write!(out, "{ms}.{}ms", frac.trim_end_matches('0'));
    } else if ms > 0 {
        let _ = write!(out, "{ms}ms");
    }
    out
}

/// Rounded for people, at most two units: `850ms`, `12.3s`, `42s`, `3m05s`, `2h13m`,
/// `3d04h`; `0s` for zero.
pub fn short(d: Duration) -> String {
    let secs = d.as_secs();
    match secs {
        _ if d.is_zero() => "0s".to_owned(),
        0 => format!("{}ms", d.as_millis().max(1)),
        1..60 if d.subsec_millis() >= 50 => format!("{:.1}s", d.as_secs_f64()),
        1..60 => format!("{secs}s"),
        60..3600 => format!("{}m{:02}s", secs / 60, secs % 60),
        3600..86_400 => format!("{}h{:02}m", secs / 3600, secs / 60 % 60),
        _ => format!("{}d{:02}h", secs / 86_400, secs / 3600 % 24),
    }
}

/// serde: an optional duration, written in the grammar or as a number of seconds.
pub fn option<'de, D: Deserializer<'de>>(de: D) -> Result<Option<Duration>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Text(String),
        Seconds(f64),
    }
    let text = match Option::<Raw>::deserialize(de)? {
        None => return Ok(None),
        Some(Raw::Text(t)) => t,
        Some(Raw::Seconds(s)) => s.to_string(),
    };
    parse(&text).map(Some).map_err(serde::de::Error::custom)
}

/// serde: a required duration (see [`option`]).
pub fn required<'de, D: Deserializer<'de>>(de: D) -> Result<Duration, D::Error> {
    option(de)?.ok_or_else(|| serde::de::Error::custom("a duration is required"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn the_grammar() {
        let good = [
            ("500ms", ms(500)),
            ("30s", ms(30_000)),
            ("5m", ms(300_000)),
            ("1h30m", ms(5_400_000)),
            ("1h30m15s250ms", ms(5_415_250)),
            ("90", ms(90_000)),
            ("0.5", ms(500)),
            ("2.5", ms(2_500)),
            ("1.5s", ms(1_500)),
            ("1.5h", ms(5_400_000)),
            ("0.25ms", Duration::from_micros(250)),
            (" 2m ", ms(120_000)),
            ("0", Duration::ZERO),
            ("0s", Duration::ZERO),
        ];
        for (text, want) in good {
            assert_eq!(parse(text), Ok(want), "{text}");
        }
        let bad = [
            ("", "empty"),
            ("fast", "expected a number"),
            ("m5", "expected a number"),
            ("5 minutes", "unknown unit"),
            ("3 parsecs", "unknown unit"),
            ("1d", "unknown unit"),
            ("-1s", "expected a number"),
            ("1.s", "expected a number"),
            (".5s", "expected a number"),
            ("30s5m", "largest to smallest"),
            ("1m1m", "largest to smallest"),
            ("5 m", "unknown unit"),
            ("1e3", "unknown unit"),
            ("0.0000000001s", "finer than a nanosecond"),
            ("99999999999999999999h", "too long"),
            ("\u{1b}[31m5s", "expected a number"),
        ];
        for (text, why) in bad {
            let err = parse(text).expect_err(text);
            assert!(err.to_string().contains(why), "{text}: {err}");
            assert!(!err.to_string().contains('\u{1b}'), "{text}: escaped");
        }
    }

    #[test]
    fn positive_refuses_zero() {
        assert_eq!(parse_positive("250ms"), Ok(ms(250)));
        for zero in ["0", "0s", "0ms", "0.0"] {
            let err = parse_positive(zero).unwrap_err();
            assert!(
                err.to_string().contains("longer than zero"),
                "{zero}: {err}"
            );
        }
    }

    #[test]
    fn formats() {
        let cases = [
            (Duration::ZERO, "0s", "0s"),
            (ms(250), "250ms", "250ms"),
            (ms(1_500), "1s500ms", "1.5s"),
            (ms(12_340), "12s340ms", "12.3s"),
            (ms(42_000), "42s", "42s"),
            (ms(90_000), "1m30s", "1m30s"),
            (ms(185_000), "3m5s", "3m05s"),
            (ms(5_400_000), "1h30m", "1h30m"),
            (ms(8_000_000), "2h13m20s", "2h13m"),
            (ms(273_600_000), "76h", "3d04h"),
            (Duration::from_micros(1_250), "1.25ms", "1ms"),
            (Duration::from_nanos(1), "0.000001ms", "1ms"),
        ];
        for (d, exact, rounded) in cases {
            assert_eq!(format(d), exact, "{d:?}");
            assert_eq!(short(d), rounded, "{d:?}");
        }
    }

    #[test]
    fn serde_takes_text_or_seconds() {
        #[derive(Deserialize)]
        struct T {
            #[serde(default, deserialize_with = "option")]
            a: Option<Duration>,
            #[serde(deserialize_with = "required")]
            b: Duration,
        }
        let t: T = serde_yaml::from_str("a: 1.5\nb: 1m30s").unwrap();
        assert_eq!((t.a, t.b), (Some(ms(1_500)), ms(90_000)));
        let t: T = serde_yaml::from_str("b: 2").unwrap();
        assert_eq!((t.a, t.b), (None, ms(2_000)));
        let err = serde_yaml::from_str::<T>("b: 2 weeks").err().unwrap();
        assert!(err.to_string().contains("unknown unit"), "{err}");
    }

    proptest! {
        #[test]
        fn format_then_parse_round_trips(nanos in 0u64..=u64::MAX) {
            let d = Duration::from_nanos(nanos);
            prop_assert_eq!(parse(&format(d)), Ok(d));
        }

        #[test]
        fn whole_units_round_trip(h in 0u64..1000, m in 0u64..60, s in 0u64..60, ms in 0u64..1000) {
            let d = Duration::from_millis(((h * 60 + m) * 60 + s) * 1000 + ms);
            prop_assert_eq!(parse(&format(d)), Ok(d));
        }

        #[test]
        fn arbitrary_text_never_panics(text in ".{0,80}") {
            let _ = parse(&text);
            let _ = parse_positive(&text);
        }

        #[test]
        fn grammar_like_text_never_panics(text in "[0-9.hms ]{0,40}") {
            if let Ok(d) = parse(&text) {
                prop_assert_eq!(parse(&format(d)), Ok(d));
            }
        }
    }
}
