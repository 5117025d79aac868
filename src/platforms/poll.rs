//! Poll commands per platform and the parsers that turn their output into facts (label →
//! value) for the detail pane. The schedule (interval, no overlap, backoff) is the exec
//! engine's; this module only knows what to ask and how to read the answer.

/// One poll command and its parser.
#[derive(Debug)]
pub struct PollSpec {
    pub command: String,
    pub parse: Parser,
}

/// Reads a poll command's answer into facts (label → value).
pub type Parser = fn(&str) -> Vec<(String, String)>;

/// The parsers a platform file may name in `polls:`.
pub const PARSERS: &[(&str, Parser)] = &[
    ("ios_version", parse_ios_version),
    ("eos_version", parse_eos_version),
    ("junos_version", parse_junos_version),
    ("junos_uptime", parse_junos_uptime),
    ("uname", parse_uname),
    ("linux_uptime", parse_linux_uptime),
];

/// The poll commands of `platform` (empty for platforms without any).
pub fn poll_specs(platform: &str) -> &'static [PollSpec] {
    &super::profile(platform).polls
}

fn fact(label: &str, value: &str) -> (String, String) {
    (label.to_string(), value.trim().to_string())
}

/// The text after `key` on the first line that contains it, if not empty.
fn after<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.lines().find_map(|l| {
        let v = l.split_once(key)?.1.trim();
        (!v.is_empty()).then_some(v)
    })
}

/// The value after the colon of the first line whose label (before `:`) is `label`,
/// ignoring case and padding.
fn field<'a>(text: &'a str, label: &str) -> Option<&'a str> {
    text.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        (k.trim().eq_ignore_ascii_case(label) && !v.trim().is_empty()).then_some(v.trim())
    })
}

fn parse_ios_version(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(v) = after(text, ", Version ").or_else(|| after(text, "Software, Version ")) {
        let v = v.split([',', ' ']).next().unwrap_or(v);
        out.push(fact("version", v));
    }
    if let Some(m) = field(text, "Model number") {
        out.push(fact("model", m));
    }
    if let Some(s) = field(text, "System serial number") {
        out.push(fact("serial", s));
    }
    if let Some(u) = after(text, " uptime is ") {
        out.push(fact("uptime", u));
    }
    out
}

fn parse_eos_version(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(v) = field(text, "Software image version") {
        out.push(fact("version", v));
    }
    if let Some(m) = text.lines().find_map(|l| l.strip_prefix("Arista ")) {
        out.push(fact("model", m));
    }
    if let Some(s) = field(text, "Serial number") {
        out.push(fact("serial", s));
    }
    if let Some(u) = field(text, "Uptime") {
        out.push(fact("uptime", u));
    }
    out
}

fn parse_junos_version(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(v) = field(text, "Junos") {
        out.push(fact("version", v));
    }
    if let Some(m) = field(text, "Model") {
        out.push(fact("model", m));
    }
    if let Some(s) = field(text, "Chassis serial") {
        out.push(fact("serial", s));
    }
    out
}

fn parse_junos_uptime(text: &str) -> Vec<(String, String)> {
    field(text, "System booted")
        .map(|b| vec![fact("booted", b)])
        .unwrap_or_default()
}

fn parse_uname(text: &str) -> Vec<(String, String)> {
    let words: Vec<&str> = text.split_whitespace().collect();
    match words.as_slice() {
        [os, _host, kernel, ..] => vec![fact("os", os), fact("kernel", kernel)],
        _ => Vec::new(),
    }
}

fn parse_linux_uptime(text: &str) -> Vec<(String, String)> {
    let Some(rest) = after(text, " up ") else {
        return Vec::new();
    };
    // " up 3 days,  4:05,  1 user,  load average: …": uptime ends before the user count.
    let parts: Vec<&str> = rest.split(',').collect();
    let end = parts
        .iter()
        .position(|p| p.contains("user") || p.contains("load average"))
        .unwrap_or(parts.len());
    let up = parts[..end].join(",");
    let mut out = vec![fact("uptime", &up)];
    if let Some(load) = after(text, "load average:") {
        out.push(fact("load", load));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(facts: &[(String, String)], k: &str) -> Option<String> {
        facts.iter().find(|(l, _)| l == k).map(|(_, v)| v.clone())
    }

    #[test]
    fn ios_version_facts() {
        let text = "Cisco IOS Software, C2960X Software (C2960X-UNIVERSALK9-M), Version 15.2(7)E7, RELEASE SOFTWARE (fc3)\n\
                    sw1 uptime is 1 weeks, 2 days, 3 hours, 4 minutes\n\
                    Model number                    : WS-C2960X-48TS-L\n\
                    System serial number            : FOC1234X0AB\n";
        let f = parse_ios_version(text);
        assert_eq!(get(&f, "version").as_deref(), Some("15.2(7)E7"));
        assert_eq!(get(&f, "model").as_deref(), Some("WS-C2960X-48TS-L"));
        assert_eq!(get(&f, "serial").as_deref(), Some("FOC1234X0AB"));
        assert_eq!(
            get(&f, "uptime").as_deref(),
            Some("1 weeks, 2 days, 3 hours, 4 minutes")
        );
    }

    #[test]
    fn eos_junos_linux_facts() {
        let eos = parse_eos_version(
            "Arista DCS-7050SX3-48YC8-F\nSerial number: JPE1\n\nSoftware image version: 4.31.2F\nUptime: 1 weeks, 0 days, 2 hours and 3 minutes\n",
        );
        assert_eq!(get(&eos, "version").as_deref(), Some("4.31.2F"));
        assert_eq!(get(&eos, "model").as_deref(), Some("DCS-7050SX3-48YC8-F"));
        let junos = parse_junos_version("Hostname: r1\nModel: mx204\nJunos: 21.4R3-S4.9\n");
        assert_eq!(get(&junos, "version").as_deref(), Some("21.4R3-S4.9"));
        let up = parse_linux_uptime(
            " 12:00:00 up 3 days,  4:05,  1 user,  load average: 0.10, 0.20, 0.30\n",
        );
        assert_eq!(get(&up, "uptime").as_deref(), Some("3 days,  4:05"));
        assert_eq!(get(&up, "load").as_deref(), Some("0.10, 0.20, 0.30"));
        let un = parse_uname("Linux h1 6.1.0-18-amd64 #1 SMP x86_64 GNU/Linux\n");
        assert_eq!(get(&un, "kernel").as_deref(), Some("6.1.0-18-amd64"));
    }

    #[test]
    fn every_network_platform_polls_something() {
        for p in [
            "cisco_ios",
            "cisco_xe",
            "arista_eos",
            "juniper_junos",
            "linux",
        ] {
            assert!(!poll_specs(p).is_empty(), "{p}");
        }
        assert!(poll_specs("vendor_x").is_empty());
    }
}
