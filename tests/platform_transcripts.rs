//! The built-in platform files against what real devices print (public captures and vendor
//! examples in tests/fixtures/transcripts.yaml), not against the lab, which the same team
//! writes: prompts in each mode, lines that only look like prompts, pagers, error markers,
//! noise lines, and detection by the identification output.

use std::collections::BTreeMap;

use fleetdash::base::sanitize::sanitize;
use fleetdash::platforms::detect::{Detection, Evidence, choose};
use fleetdash::platforms::{Mode, Profile, Registry};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Fixture {
    sources: Vec<String>,
    #[serde(default)]
    prompts: Vec<Prompt>,
    #[serde(default)]
    not_prompts: Vec<String>,
    #[serde(default)]
    pagers: Vec<String>,
    #[serde(default)]
    errors: Vec<String>,
    #[serde(default)]
    clean: Vec<String>,
    #[serde(default)]
    strip: Vec<String>,
    #[serde(default)]
    identify: Option<Identify>,
    #[serde(default)]
    #[allow(dead_code)]
    gaps: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Prompt {
    text: String,
    #[serde(default)]
    above: Option<String>,
    mode: String,
    /// Another device's prompt: learned anew from this one.
    #[serde(default)]
    learn: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Identify {
    prompt: String,
    output: String,
}

/// Every built-in platform written from vendor documentation in this round.
const COVERED: &[&str] = &[
    "cisco_nxos",
    "cisco_xr",
    "cisco_asa",
    "huawei_vrp",
    "huawei_vrpv8",
    "nokia_sros",
    "nokia_sros_md",
    "mikrotik_routeros",
    "fortinet",
    "paloalto_panos",
    "aruba_aoscx",
    "hp_procurve",
    "dell_os10",
    "extreme_exos",
    "vyos",
];

fn fixtures() -> BTreeMap<String, Fixture> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/transcripts.yaml"
    );
    serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The line the shell would look at: the sanitized text after the last newline.
fn screen_line(raw: &str) -> String {
    let text = sanitize(raw.as_bytes());
    text.rsplit('\n').next().unwrap_or_default().to_string()
}

/// The shell's test for "this line is our prompt": the platform's pattern, and the stable
/// part repeating the learned one when the pattern marks it.
fn is_our_prompt(p: &Profile, line: &str, learned: Option<&str>) -> bool {
    if !p.prompt_regex().is_match(line) {
        return false;
    }
    match (p.prompt_host(line), learned) {
        (Some(host), Some(learned)) => host.starts_with(learned),
        _ => true,
    }
}

fn mode(name: &str) -> Option<Mode> {
    match name {
        "user" => Some(Mode::User),
        "privileged" => Some(Mode::Privileged),
        "config" => Some(Mode::Config),
        "any" => None,
        other => panic!("unknown mode {other} in the fixture"),
    }
}

#[test]
fn every_covered_platform_has_public_transcripts() {
    let all = fixtures();
    let registry = Registry::builtin();
    for name in COVERED {
        let f = all
            .get(*name)
            .unwrap_or_else(|| panic!("{name}: no fixture"));
        assert!(!f.sources.is_empty(), "{name}: name the sources");
        assert!(!f.prompts.is_empty(), "{name}: no prompt");
        assert!(registry.get(name).is_some(), "{name}: not built in");
    }
    for name in all.keys() {
        assert!(
            registry.get(name).is_some(),
            "fixture {name} names no platform"
        );
    }
}

#[test]
fn prompts_match_in_their_mode_and_look_alikes_do_not() {
    let registry = Registry::builtin();
    for (name, f) in fixtures() {
        let p = registry.get(&name).unwrap();
        let first = screen_line(&f.prompts[0].text);
        let mut learned = p.prompt_host(&first).map(str::to_string);
        for prompt in &f.prompts {
            let line = screen_line(&prompt.text);
            if prompt.learn {
                learned = p.prompt_host(&line).map(str::to_string);
            }
            assert!(
                is_our_prompt(p, &line, learned.as_deref()),
                "{name}: {line:?} is not taken for the prompt (learned {learned:?})"
            );
            let shown = match &prompt.above {
                Some(above) => {
                    let re = p.modes.above.as_ref();
                    assert!(
                        re.is_some_and(|re| re.is_match(above)),
                        "{name}: {above:?} is not a line above the prompt"
                    );
                    format!("{above}\n{line}")
                }
                None => line.clone(),
            };
            if let Some(want) = mode(&prompt.mode) {
                assert_eq!(p.mode(&shown), Some(want), "{name}: mode of {shown:?}");
            }
        }
        let learned = p.prompt_host(&first).map(str::to_string);
        for text in &f.not_prompts {
            let line = screen_line(text);
            assert!(
                !is_our_prompt(p, &line, learned.as_deref()),
                "{name}: {line:?} is taken for the prompt"
            );
        }
    }
}

#[test]
fn pagers_errors_and_noise_are_recognised() {
    let registry = Registry::builtin();
    for (name, f) in fixtures() {
        let p = registry.get(&name).unwrap();
        for text in &f.pagers {
            let line = screen_line(text);
            assert!(p.pager_answer(&line).is_some(), "{name}: pager {line:?}");
        }
        for text in &f.errors {
            let out = format!("  ^\n{}\n", sanitize(text.as_bytes()));
            assert!(
                p.find_error(&out).is_some(),
                "{name}: error {text:?} missed"
            );
        }
        for text in &f.clean {
            let out = sanitize(text.as_bytes());
            assert_eq!(
                p.find_error(&out),
                None,
                "{name}: {text:?} taken for an error"
            );
        }
        for text in &f.strip {
            let out = format!("{}\n", sanitize(text.as_bytes()));
            assert_eq!(p.strip_noise(&out), "", "{name}: {text:?} not stripped");
        }
    }
}

#[test]
fn detect_picks_exactly_the_platform_for_its_identification_output() {
    let registry = Registry::builtin();
    for (name, f) in fixtures() {
        let Some(id) = &f.identify else { continue };
        let p = registry.get(&name).unwrap();
        let command = p.detect.as_ref().and_then(|d| d.command.clone()).unwrap();
        // What the shell hands over: sanitized, the prompt line gone.
        let evidence = Evidence {
            outputs: vec![(command, Some(sanitize(id.output.as_bytes())))],
            ..Evidence::default()
        };
        assert_eq!(
            choose(&registry, &evidence),
            Detection::Found(name.clone()),
            "{name}"
        );
        assert!(
            p.prompt_regex().is_match(&screen_line(&id.prompt)),
            "{name}"
        );
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Secrets {
    #[allow(dead_code)]
    source: String,
    config: Vec<String>,
    hidden: Vec<String>,
}

#[test]
fn backups_keep_the_secrets_of_real_configurations_on_the_device() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/backup_secrets.yaml"
    );
    let all: BTreeMap<String, Secrets> =
        serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let registry = Registry::builtin();
    for (name, s) in all {
        let p = registry.get(&name).unwrap();
        let config = s.config.join("\n") + "\n";
        let stored = p.backup.clean(&config, false);
        for secret in &s.hidden {
            assert!(
                !stored.contains(secret.as_str()),
                "{name}: {secret} kept:\n{stored}"
            );
        }
        assert_eq!(
            stored.lines().count(),
            config.lines().count(),
            "{name}: lines lost"
        );
        assert_eq!(
            p.backup.clean(&config, true),
            config,
            "{name}: --keep-secrets"
        );
    }
}
