//! Wall-clock times, on jiff: RFC 3339 in UTC for journals and reports (`…Z`, the same on
//! every machine), and `HH:MM:SS` for people in the zone the dashboard shows (the system's,
//! from `/etc/localtime` or `TZ`, read from the system's own zoneinfo files; `--utc` for UTC).

use std::time::SystemTime;

use jiff::Timestamp;
use jiff::tz::TimeZone;

/// `2024-05-01T12:34:56.789Z`: UTC, to the millisecond (journals, reports).
pub fn rfc3339(t: SystemTime) -> String {
    timestamp(t).strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// The zone times are shown in to people.
#[derive(Debug, Clone, PartialEq)]
pub struct WallClock(TimeZone);

impl WallClock {
    /// The system's zone (UTC when it cannot be read).
    pub fn local() -> WallClock {
        WallClock(TimeZone::system())
    }

    pub fn utc() -> WallClock {
        WallClock(TimeZone::UTC)
    }

    /// A zone given as a POSIX TZ string such as `CET-1CEST,M3.5.0,M10.5.0/3` (tests).
    pub fn posix(tz: &str) -> Option<WallClock> {
        TimeZone::posix(tz).ok().map(WallClock)
    }

    /// `13:01:01` in this zone.
    pub fn hms(&self, t: SystemTime) -> String {
        timestamp(t)
            .to_zoned_datetime(self.0.clone())
            .strftime("%H:%M:%S")
            .to_string()
    }
}

impl Default for WallClock {
    /// UTC: what a state with no front end's choice shows (and what tests expect).
    fn default() -> WallClock {
        WallClock::utc()
    }
}

/// Times before 1970 or after 9999 do not happen here; they show as the nearest end.
fn timestamp(t: SystemTime) -> Timestamp {
    Timestamp::try_from(t).unwrap_or(if t < SystemTime::UNIX_EPOCH {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn rfc3339_is_utc_to_the_millisecond() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let t = UNIX_EPOCH + Duration::from_millis(951_827_696_123);
        assert_eq!(rfc3339(t), "2000-02-29T12:34:56.123Z");
        let t = UNIX_EPOCH + Duration::from_secs(1_735_689_599);
        assert_eq!(rfc3339(t), "2024-12-31T23:59:59.000Z");
        // Far future: clamped, never a panic.
        let far = UNIX_EPOCH + Duration::from_secs(1 << 40);
        assert!(rfc3339(far).starts_with("9999-12-"), "{}", rfc3339(far));
    }

    #[test]
    fn hms_follows_the_zone() {
        let t = UNIX_EPOCH + Duration::from_secs(1_719_835_261); // 2024-07-01 12:01:01 UTC
        assert_eq!(WallClock::utc().hms(t), "12:01:01");
        assert_eq!(WallClock::default().hms(t), "12:01:01");
        let paris = WallClock::posix("CET-1CEST,M3.5.0,M10.5.0/3").unwrap();
        assert_eq!(paris.hms(t), "14:01:01", "summer time");
        let winter = UNIX_EPOCH + Duration::from_secs(1_704_110_461); // 2024-01-01 12:01:01 UTC
        assert_eq!(paris.hms(winter), "13:01:01");
        let west = WallClock::posix("XYZ5").unwrap();
        assert_eq!(west.hms(t), "07:01:01");
    }
}
