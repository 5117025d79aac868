//! Scalar forms in a plan: counts, percentages (`"20%"`), thresholds and durations
//! (`90s`, `5m`, `1h30m`, the grammar of `base::duration`). Each parser returns a message and a hint on failure.

use crate::base::text::Untrusted;
use std::time::Duration;

use serde_yaml::Value;

use super::{Batch, Threshold};

/// Why a value was refused: what is wrong, and how to write it.
pub(super) struct Bad {
    pub(super) message: String,
    pub(super) help: String,
}

fn bad(message: impl Into<String>, help: impl Into<String>) -> Bad {
    Bad {
        message: message.into(),
        help: help.into(),
    }
}

/// A whole number or a `"N%"` string.
enum Amount {
    Count(u64),
    Percent(f64),
}

/// `Err(None)`: the value is neither a count nor a percentage (the caller phrases that);
/// `Err(Some)`: a malformed or out-of-range percentage.
fn amount(value: &Value) -> Result<Amount, Option<Bad>> {
    match value {
        Value::Number(n) => n.as_u64().map(Amount::Count).ok_or(None),
        Value::String(s) => {
            let s = s.trim();
            if let Some(number) = s.strip_suffix('%') {
                let p: f64 = number.trim().parse().map_err(|_| {
                    Some(bad(
                        format!("bad percentage `{}`", Untrusted(s)),
                        "write a number followed by `%`, e.g. \"20%\"",
                    ))
                })?;
                if !(0.0..=100.0).contains(&p) {
                    return Err(Some(bad(
                        format!(
                            "bad percentage `{}`: it must be between 0% and 100%",
                            Untrusted(s)
                        ),
                        "write a percentage of the target, e.g. \"25%\"",
                    )));
                }
                return Ok(Amount::Percent(p));
            }
            s.parse().map(Amount::Count).map_err(|_| None)
        }
        _ => Err(None),
    }
}

/// A wave size: a count ≥ 1 or a percentage > 0.
pub(super) fn batch(value: &Value) -> Result<Batch, Bad> {
    match amount(value) {
        Ok(Amount::Count(0)) | Ok(Amount::Percent(0.0)) => Err(bad(
            "a wave size of zero would never finish",
            "use a count of at least 1 or a percentage above 0%",
        )),
        Ok(Amount::Count(n)) => Ok(Batch::Count(usize::try_from(n).unwrap_or(usize::MAX))),
        Ok(Amount::Percent(p)) => Ok(Batch::Percent(p)),
        Err(Some(b)) => Err(b),
        Err(None) => Err(bad(
            format!("bad wave size {}", show(value)),
            "write a count (`5`) or a percentage of the target (`\"20%\"`)",
        )),
    }
}

/// A failure threshold: a count ≥ 0 or a percentage.
pub(super) fn threshold(value: &Value) -> Result<Threshold, Bad> {
    match amount(value) {
        Ok(Amount::Count(n)) => Ok(Threshold::Count(usize::try_from(n).unwrap_or(usize::MAX))),
        Ok(Amount::Percent(p)) => Ok(Threshold::Percent(p)),
        Err(Some(b)) => Err(b),
        Err(None) => Err(bad(
            format!("bad threshold {}", show(value)),
            "write how many failed devices are tolerated (`0`, `2`) or a percentage (`\"10%\"`)",
        )),
    }
}

/// A duration in the one grammar (`base::duration`); must be more than zero.
pub(super) fn duration(text: &str) -> Result<Duration, Bad> {
    match crate::base::duration::parse(text) {
        Ok(d) if d.is_zero() => Err(bad(
            format!(
                "bad duration `{}`: it must be longer than zero",
                Untrusted(text)
            ),
            "use `pause: none` to start the next wave at once",
        )),
        Ok(d) => Ok(d),
        Err(e) => Err(bad(
            format!("bad duration `{}`: {}", Untrusted(text), e.why()),
            "write a duration such as `30s`, `5m` or `1h30m` (or `none` / `manual`)",
        )),
    }
}

/// A short rendering of a YAML value for messages.
pub(super) fn show(value: &Value) -> String {
    match value {
        Value::Null => "(empty)".into(),
        Value::Bool(b) => format!("`{b}`"),
        Value::Number(n) => format!("`{n}`"),
        Value::String(s) => format!("`{}`", Untrusted(s)),
        Value::Sequence(_) => "(a list)".into(),
        Value::Mapping(_) => "(a mapping)".into(),
        Value::Tagged(_) => "(a tagged value)".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(yaml: &str) -> Value {
        serde_yaml::from_str(yaml).unwrap()
    }

    #[test]
    fn batches_accept_counts_and_percentages() {
        assert_eq!(batch(&v("5")).ok(), Some(Batch::Count(5)));
        assert_eq!(batch(&v("'20%'")).ok(), Some(Batch::Percent(20.0)));
        assert_eq!(batch(&v("'12.5 %'")).ok(), Some(Batch::Percent(12.5)));
        assert!(batch(&v("0")).is_err());
        assert!(batch(&v("'0%'")).is_err());
        assert!(
            batch(&v("'120%'"))
                .unwrap_err()
                .message
                .contains("between 0% and 100%")
        );
        assert!(
            batch(&v("'x%'"))
                .unwrap_err()
                .message
                .contains("bad percentage")
        );
        assert!(
            batch(&v("-1"))
                .unwrap_err()
                .message
                .contains("bad wave size")
        );
        assert!(batch(&v("1.5")).is_err());
    }

    #[test]
    fn thresholds_allow_zero() {
        assert_eq!(threshold(&v("0")).ok(), Some(Threshold::Count(0)));
        assert_eq!(threshold(&v("'0%'")).ok(), Some(Threshold::Percent(0.0)));
        assert!(
            threshold(&v("lots"))
                .unwrap_err()
                .message
                .contains("bad threshold")
        );
    }

    #[test]
    fn durations_combine_units() {
        assert_eq!(duration("90").ok(), Some(Duration::from_secs(90)));
        assert_eq!(duration("1h30m").ok(), Some(Duration::from_secs(5400)));
        assert_eq!(duration("500ms").ok(), Some(Duration::from_millis(500)));
        assert!(duration("5 minutes").is_err());
        assert!(duration("m5").is_err());
        assert!(duration("0s").is_err());
        assert!(duration("").is_err());
        assert_eq!(duration("1.5s").ok(), Some(Duration::from_millis(1500)));
    }
}
