//! Autodetection, as netmiko's SSHDetect: what a device shows (its SSH identification, login
//! banner, the text before the prompt) and what its identification commands print are scored
//! against every platform's `detect:` rules; the best score wins, a tie is ambiguous.

use super::{Profile, Registry};

/// What was seen on one device. `outputs` holds each identification command that ran, with
/// its answer (`None`: the device rejected it or it failed).
#[derive(Debug, Default, Clone)]
pub struct Evidence {
    pub server_id: String,
    pub banner: String,
    pub outputs: Vec<(String, Option<String>)>,
}

impl Evidence {
    fn output(&self, command: &str) -> Option<&str> {
        self.outputs
            .iter()
            .find(|(c, _)| c == command)
            .and_then(|(_, o)| o.as_deref())
    }
}

/// The verdict for one device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detection {
    Found(String),
    /// Several platforms fit equally well (best first, by name).
    Ambiguous(Vec<String>),
    Unknown,
}

/// Points for a banner match and for an identification output match: what a command prints
/// is stronger evidence than what a banner says.
const BANNER: u32 = 1;
const OUTPUT: u32 = 3;

/// The identification commands to run, each once, in the order of the platforms' names.
pub fn commands(registry: &Registry) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in registry.all() {
        if let Some(cmd) = p.detect.as_ref().and_then(|d| d.command.clone())
            && !out.contains(&cmd)
        {
            out.push(cmd);
        }
    }
    out
}

/// The platform `evidence` shows, scored over every platform with `detect:` rules.
pub fn choose(registry: &Registry, evidence: &Evidence) -> Detection {
    let mut best: Vec<(&str, u32)> = Vec::new();
    for p in registry.all() {
        let Some(score) = score(p, evidence) else {
            continue;
        };
        match best.first().map(|(_, s)| *s) {
            Some(top) if score < top => {}
            Some(top) if score == top => best.push((&p.name, score)),
            _ => best = vec![(&p.name, score)],
        }
    }
    match best.as_slice() {
        [] => Detection::Unknown,
        [(name, _)] => Detection::Found(name.to_string()),
        many => Detection::Ambiguous(many.iter().map(|(n, _)| n.to_string()).collect()),
    }
}

/// How well `evidence` fits `p` (`None`: not at all, or an `unless` pattern matched).
fn score(p: &Profile, evidence: &Evidence) -> Option<u32> {
    let rules = p.detect.as_ref()?;
    let mut score = 0;
    let seen = format!("{}\n{}", evidence.server_id, evidence.banner);
    if rules.banner.iter().any(|re| re.is_match(&seen)) {
        score += BANNER;
    }
    if let Some(out) = rules.command.as_deref().and_then(|c| evidence.output(c)) {
        if rules.unless.iter().any(|re| re.is_match(out)) {
            return None;
        }
        if rules.output.iter().any(|re| re.is_match(out)) {
            score += OUTPUT;
        }
    }
    (score > 0).then_some(score)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(command: &str, output: &str) -> Evidence {
        Evidence {
            outputs: vec![(command.into(), Some(output.into()))],
            ..Evidence::default()
        }
    }

    #[test]
    fn identification_outputs_pick_one_platform() {
        let r = Registry::builtin();
        let cases = [
            (
                "show version",
                "Cisco IOS Software, C2960X Software (C2960X-UNIVERSALK9-M), Version 15.2(7)E7",
                "cisco_ios",
            ),
            (
                "show version",
                "Cisco IOS XE Software, Version 17.09.04a\nCisco IOS Software [Cupertino], Catalyst L3 Switch Software",
                "cisco_xe",
            ),
            (
                "show version",
                "Arista DCS-7050SX3-48YC8-F\nSoftware image version: 4.31.2F",
                "arista_eos",
            ),
            (
                "show version",
                "Hostname: r1\nModel: mx204\nJunos: 21.4R3-S4.9",
                "juniper_junos",
            ),
            (
                "uname -a",
                "Linux h1 6.1.0-18-amd64 #1 SMP x86_64 GNU/Linux",
                "linux",
            ),
        ];
        for (cmd, out, want) in cases {
            assert_eq!(
                choose(&r, &seen(cmd, out)),
                Detection::Found(want.into()),
                "{out}"
            );
        }
        assert_eq!(
            choose(&r, &seen("show version", "% Invalid input")),
            Detection::Unknown
        );
        assert_eq!(choose(&r, &Evidence::default()), Detection::Unknown);
    }

    #[test]
    fn a_greeting_counts_but_an_answer_counts_more() {
        let r = Registry::builtin();
        let junos_motd = Evidence {
            banner: "--- JUNOS 21.4R3-S4.9 Kernel 64-bit\nadmin@r1> ".into(),
            outputs: vec![("show version".into(), Some("% Invalid input".into()))],
            ..Evidence::default()
        };
        assert_eq!(
            choose(&r, &junos_motd),
            Detection::Found("juniper_junos".into())
        );
        // What the device answers outweighs what its banner claims.
        let mut claims = junos_motd.clone();
        claims.outputs = vec![(
            "show version".into(),
            Some("Arista DCS-7050SX3\nSoftware image version: 4.31.2F".into()),
        )];
        assert_eq!(choose(&r, &claims), Detection::Found("arista_eos".into()));
    }

    #[test]
    fn every_identification_command_is_listed_once() {
        let cmds = commands(&Registry::builtin());
        assert!(cmds.contains(&"show version".to_string()));
        assert!(cmds.contains(&"uname -a".to_string()));
        let mut unique = cmds.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), cmds.len());
    }
}
