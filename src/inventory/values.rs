//! Checks and conversions of single values: names, ports, probe specs, platforms, variable
//! names, tag keys. Each failure says what is wrong and how to write it instead.

use crate::base::text::Untrusted;
use serde_yaml::Value;

use super::model::ProbeSpec;

/// A refused value: `reason` completes "…" in the message, `help` suggests the fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Bad {
    pub(crate) reason: String,
    pub(crate) help: Option<String>,
}

fn bad<T>(reason: impl Into<String>, help: impl Into<String>) -> Result<T, Bad> {
    Err(Bad {
        reason: reason.into(),
        help: Some(help.into()),
    })
}

/// A scalar as text: strings as is, numbers and booleans as YAML wrote them.
pub(crate) fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The longest device or group name: tables and prompts show names in full.
pub(crate) const MAX_NAME: usize = 255;

/// Device and group names: letters, digits, `-`, `_`, `.` — so host patterns (which use
/// `: , ! & * ? [ ]`) can always select them. `all` is reserved for "every device".
pub(crate) fn check_name(name: &str, what: &str) -> Result<(), Bad> {
    const HELP: &str =
        "names may use letters, digits, `-`, `_` and `.`, starting with a letter or digit";
    let Some(first) = name.chars().next() else {
        return bad(format!("{what} name is empty"), HELP);
    };
    let length = name.chars().count();
    if length > MAX_NAME {
        return bad(
            format!(
                "{what} name `{}` is {length} characters long",
                Untrusted(name)
            ),
            format!("names have at most {MAX_NAME} characters"),
        );
    }
    if !first.is_ascii_alphanumeric() {
        return bad(
            format!("{what} name `{}` starts with {first:?}", Untrusted(name)),
            HELP,
        );
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return bad(
            format!("{what} name `{}` contains {c:?}", Untrusted(name)),
            HELP,
        );
    }
    if what == "group" && name == "all" {
        return bad(
            "group name `all` is reserved",
            "`all` always means every device in host patterns; pick another name",
        );
    }
    Ok(())
}

const PORT_HELP: &str = "use a TCP port between 1 and 65535 (SSH listens on 22 by default)";

/// A TCP port: an integer in 1..=65535.
pub(crate) fn port(value: &Value) -> Result<u16, Bad> {
    match value {
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(p), _) => port_number(p),
            (None, Some(neg)) => bad(format!("bad port: {neg} is out of range"), PORT_HELP),
            _ => bad(format!("bad port: {n} is not a whole number"), PORT_HELP),
        },
        Value::String(s) if s.trim().parse::<u64>().is_ok() => bad(
            format!("bad port: \"{}\" is a quoted string", Untrusted(s)),
            format!("write the number without quotes: `port: {}`", s.trim()),
        ),
        Value::String(s) => bad(
            format!("bad port: `{}` is not a number", Untrusted(s)),
            PORT_HELP,
        ),
        Value::Null => bad("bad port: no value", PORT_HELP),
        _ => bad("bad port: not a number", PORT_HELP),
    }
}

fn port_number(p: u64) -> Result<u16, Bad> {
    match u16::try_from(p) {
        Ok(0) => bad("bad port: 0 is not a usable port", PORT_HELP),
        Ok(p) => Ok(p),
        Err(_) => bad(format!("bad port: {p} is out of range"), PORT_HELP),
    }
}

const PROBE_HELP: &str = "use `icmp` (ping) or `tcp:PORT` (TCP connect), e.g. `probe: tcp:22`";

/// `icmp` or `tcp:PORT`.
pub(crate) fn probe(value: &Value) -> Result<ProbeSpec, Bad> {
    let Value::String(spec) = value else {
        return bad("bad probe: not a string", PROBE_HELP);
    };
    probe_text(spec)
}

/// [`probe`] of a string value.
pub(crate) fn probe_text(spec: &str) -> Result<ProbeSpec, Bad> {
    if spec == "icmp" {
        return Ok(ProbeSpec::Icmp);
    }
    if let Some(port) = spec.strip_prefix("tcp:") {
        return match port.parse::<u64>().map(port_number) {
            Ok(Ok(port)) => Ok(ProbeSpec::Tcp(port)),
            _ => bad(
                format!(
                    "bad probe `{}`: `{}` is not a port",
                    Untrusted(spec),
                    Untrusted(port)
                ),
                "the port after `tcp:` is a number between 1 and 65535, e.g. `tcp:22`",
            ),
        };
    }
    match spec.to_ascii_lowercase().as_str() {
        "icmp" | "ping" => bad(
            format!("bad probe `{}`", Untrusted(spec)),
            "write `probe: icmp`",
        ),
        "tcp" => bad(
            format!("bad probe `{}`: no port", Untrusted(spec)),
            "name the port to connect to, e.g. `probe: tcp:22`",
        ),
        _ => bad(format!("bad probe `{}`", Untrusted(spec)), PROBE_HELP),
    }
}

/// The shortest and longest per-group probe interval: faster floods the network (and the
/// screen), slower is not monitoring.
pub(crate) const PROBE_INTERVAL: (std::time::Duration, std::time::Duration) = (
    std::time::Duration::from_millis(100),
    std::time::Duration::from_secs(3600),
);
const INTERVAL_HELP: &str = "write a duration such as `probe_interval: 10s` (100ms to 1h)";

/// `probe_interval`: how often this level's devices are probed, e.g. `1s`, `10s`, `1m`.
pub(crate) fn probe_interval(value: &Value) -> Result<std::time::Duration, Bad> {
    let Value::String(text) = value else {
        let shown = scalar_text(value).unwrap_or_else(|| "a list or mapping".into());
        return bad(
            format!("bad probe_interval `{}`: no unit", Untrusted(&shown)),
            INTERVAL_HELP,
        );
    };
    probe_interval_text(text)
}

/// [`probe_interval`] of a string value.
pub(crate) fn probe_interval_text(text: &str) -> Result<std::time::Duration, Bad> {
    let d = match crate::base::duration::parse_positive(text) {
        Ok(d) => d,
        Err(err) => {
            return bad(
                format!("bad probe_interval `{}`: {}", Untrusted(text), err.why()),
                INTERVAL_HELP,
            );
        }
    };
    if d < PROBE_INTERVAL.0 || d > PROBE_INTERVAL.1 {
        return bad(
            format!("bad probe_interval `{}`: out of range", Untrusted(text)),
            INTERVAL_HELP,
        );
    }
    Ok(d)
}

/// The most consecutive results `down_after` / `up_after` may ask for.
pub(crate) const MAX_DAMPING: u32 = 100;

/// `down_after` / `up_after`: a count of consecutive probes, 1 to [`MAX_DAMPING`].
pub(crate) fn damping(value: &Value, key: &str) -> Result<u32, Bad> {
    let help = format!("a whole number of probes from 1 to {MAX_DAMPING}, e.g. `{key}: 3`");
    let shown = scalar_text(value).unwrap_or_else(|| "a list or mapping".into());
    match value.as_u64().map(u32::try_from) {
        Some(Ok(n)) if (1..=MAX_DAMPING).contains(&n) => Ok(n),
        _ => bad(format!("bad {key} `{}`", Untrusted(&shown)), help),
    }
}

/// netmiko-style platform names are snake_case (`cisco_ios`, `juniper_junos`).
/// One jump hop: a device name or `[user@]host[:port]`, without spaces or controls.
pub(crate) fn check_jump_hop(hop: &str) -> Result<(), Bad> {
    if hop.is_empty() {
        return bad(
            "a `jump` hop is empty",
            "remove the extra comma, or write `jump: none` for no jump host",
        );
    }
    let odd = hop
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '\'' | '"' | '`' | '$' | ';'));
    if odd || hop.len() > 255 || hop.starts_with('-') {
        return bad(
            format!("`jump` hop `{}` is not a host", Untrusted(hop)),
            "a hop is a device name or `[user@]host[:port]`, e.g. `admin@192.0.2.1:2222`",
        );
    }
    Ok(())
}

pub(crate) fn check_platform(platform: &str) -> Result<(), Bad> {
    let snake = platform.split('_').all(|part| {
        !part.is_empty()
            && part
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    }) && platform.starts_with(|c: char| c.is_ascii_lowercase());
    if snake {
        return Ok(());
    }
    let fixed: String = platform
        .to_ascii_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("_");
    bad(
        format!(
            "platform `{}` is not a snake_case name",
            Untrusted(platform)
        ),
        format!(
            "platform names look like `cisco_ios` or `arista_eos`; did you mean `{}`?",
            Untrusted(&fixed)
        ),
    )
}

/// An environment variable name. The value is never quoted back: it might be a password.
pub(crate) fn check_env_name(key: &str, name: &str) -> Result<(), Bad> {
    let valid = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if valid {
        return Ok(());
    }
    Err(Bad {
        reason: format!("`{key}` must be the name of an environment variable"),
        help: Some(format!(
            "write the name (letters, digits, `_`), e.g. `{key}: FLEETDASH_SECRET`, export the \
             secret in that variable; never put the secret itself in the inventory"
        )),
    })
}

/// Tag names must survive the `tag:key=value` host pattern.
pub(crate) fn check_tag_key(key: &str) -> Result<(), Bad> {
    if !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return Ok(());
    }
    bad(
        format!(
            "tag name `{}` is not usable in host patterns",
            Untrusted(key)
        ),
        "tag names may use letters, digits, `-`, `_` and `.`",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(text: &str) -> Value {
        serde_yaml::from_str(text).unwrap()
    }

    #[test]
    fn ports() {
        assert_eq!(port(&yaml("22")), Ok(22));
        assert_eq!(port(&yaml("65535")), Ok(65535));
        let reason = |t: &str| port(&yaml(t)).unwrap_err().reason;
        assert_eq!(reason("0"), "bad port: 0 is not a usable port");
        assert_eq!(reason("65536"), "bad port: 65536 is out of range");
        assert_eq!(reason("-1"), "bad port: -1 is out of range");
        assert_eq!(reason("22.5"), "bad port: 22.5 is not a whole number");
        assert_eq!(reason("ssh"), "bad port: `ssh` is not a number");
        assert_eq!(reason("'22'"), "bad port: \"22\" is a quoted string");
        assert_eq!(reason("[22]"), "bad port: not a number");
    }

    #[test]
    fn probe_intervals_and_damping_counts() {
        use std::time::Duration;
        assert_eq!(probe_interval(&yaml("10s")), Ok(Duration::from_secs(10)));
        assert_eq!(
            probe_interval(&yaml("500ms")),
            Ok(Duration::from_millis(500))
        );
        let reason = |t: &str| probe_interval(&yaml(t)).unwrap_err().reason;
        for (text, why) in [
            ("10", "bad probe_interval `10`: no unit"),
            ("0s", "bad probe_interval `0s`: it must be longer than zero"),
            ("10ms", "bad probe_interval `10ms`: out of range"),
            ("2h", "bad probe_interval `2h`: out of range"),
            ("[1s]", "bad probe_interval `a list or mapping`: no unit"),
        ] {
            assert_eq!(reason(text), why, "{text}");
        }
        assert!(
            probe_interval(&yaml("soon"))
                .unwrap_err()
                .reason
                .starts_with("bad probe_interval `soon`: ")
        );
        assert_eq!(damping(&yaml("3"), "down_after"), Ok(3));
        for text in ["0", "101", "-1", "2.5", "three", "'3'", "[3]"] {
            let err = damping(&yaml(text), "down_after").unwrap_err();
            assert!(
                err.reason.starts_with("bad down_after `"),
                "{text}: {err:?}"
            );
            assert!(err.help.unwrap().contains("from 1 to 100"), "{text}");
        }
    }

    #[test]
    fn probes() {
        assert_eq!(probe(&yaml("icmp")), Ok(ProbeSpec::Icmp));
        assert_eq!(probe(&yaml("tcp:830")), Ok(ProbeSpec::Tcp(830)));
        let reason = |t: &str| probe(&yaml(t)).unwrap_err().reason;
        assert_eq!(reason("tcp:0"), "bad probe `tcp:0`: `0` is not a port");
        assert_eq!(
            reason("tcp:99999"),
            "bad probe `tcp:99999`: `99999` is not a port"
        );
        assert_eq!(reason("'tcp:'"), "bad probe `tcp:`: `` is not a port");
        assert_eq!(reason("tcp"), "bad probe `tcp`: no port");
        assert_eq!(reason("ICMP"), "bad probe `ICMP`");
        assert_eq!(reason("udp:53"), "bad probe `udp:53`");
        assert_eq!(reason("22"), "bad probe: not a string");
    }

    #[test]
    fn names_platforms_env_and_tags() {
        assert!(check_name("ams-core-1.lab_x", "device").is_ok());
        assert!(check_name("-x", "device").is_err());
        assert!(check_name("a:b", "device").is_err());
        assert!(check_name("a b", "group").is_err());
        assert!(check_name("all", "group").is_err());
        assert!(check_name("all", "device").is_ok());
        assert!(check_name(&"a".repeat(MAX_NAME), "device").is_ok());
        let long = check_name(&"a".repeat(70_000), "device").unwrap_err();
        assert!(
            long.reason.ends_with("is 70000 characters long"),
            "{}",
            long.reason
        );
        assert!(long.reason.len() < 300, "{}", long.reason);
        assert!(check_platform("cisco_ios").is_ok());
        assert!(check_platform("linux").is_ok());
        assert!(check_platform("ios_xr7").is_ok());
        let help = check_platform("Cisco IOS").unwrap_err().help.unwrap();
        assert!(help.ends_with("did you mean `cisco_ios`?"), "{help}");
        assert!(check_platform("cisco__ios").is_err());
        assert!(check_platform("_ios").is_err());
        assert!(check_env_name("password_env", "FLEETDASH_PASSWORD").is_ok());
        assert!(check_env_name("password_env", "_X1").is_ok());
        let err = check_env_name("password_env", "hunter2!").unwrap_err();
        assert!(!format!("{err:?}").contains("hunter2"));
        assert!(check_tag_key("site").is_ok());
        assert!(check_tag_key("a=b").is_err());
        assert!(check_tag_key("").is_err());
    }
}
