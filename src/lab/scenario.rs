//! Scenario files: which devices a lab has (sites × role mix), how they are cabled, and
//! which faults each one has. `assets/lab/*.yaml` are examples; `Scenario::demo()` is the
//! built-in demo.

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use super::platform::Platform;
use crate::base::duration;
use crate::inventory::glob;

/// The longest `motd` a scenario may set.
const MAX_MOTD: usize = 64 * 1024;

/// The demo scenario, compiled in so `fleetdash` with no arguments needs no files.
const DEMO_YAML: &str = include_str!("../../assets/lab/demo.yaml");

#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("cannot read scenario {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("invalid scenario {origin}: {source}")]
    Yaml {
        origin: String,
        source: serde_yaml::Error,
    },
    #[error("invalid scenario {origin}: {message}")]
    Invalid { origin: String, message: String },
}

/// A parsed, validated scenario.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    #[serde(default = "default_name")]
    pub name: String,
    /// Device count used when the caller does not choose one.
    #[serde(default = "default_devices")]
    pub devices: usize,
    pub sites: Vec<String>,
    /// The per-site mix, repeated (site after site) until the device count is reached.
    pub roles: Vec<RoleSpec>,
    #[serde(default)]
    pub topology: TopologySpec,
    #[serde(default)]
    pub faults: Vec<FaultRule>,
    /// Network devices take these platforms in turn instead of their role's (Linux hosts
    /// stay Linux): a mixed fleet with the same sites, roles and cabling.
    #[serde(default)]
    pub platform_mix: Vec<Platform>,
    /// Where it came from (a path or `<demo>`); set by the loaders.
    #[serde(skip)]
    pub origin: String,
}

fn default_name() -> String {
    "lab".into()
}

fn default_devices() -> usize {
    10
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleSpec {
    pub role: String,
    pub platform: Platform,
    #[serde(default = "one")]
    pub count: usize,
}

fn one() -> usize {
    1
}

/// Cabling rules, applied within each site, plus explicit links across sites.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopologySpec {
    /// Roles whose devices are fully meshed within a site.
    #[serde(default)]
    pub mesh: Vec<String>,
    /// Each device of role `from` is cabled to `count` devices of role `to` in its site.
    #[serde(default)]
    pub uplinks: Vec<UplinkRule>,
    /// Extra links between named devices (skipped when a device is not in this lab).
    #[serde(default)]
    pub links: Vec<[String; 2]>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UplinkRule {
    pub from: String,
    pub to: String,
    #[serde(default = "one")]
    pub count: usize,
}

/// Faults for the devices whose names match any of `devices` (glob patterns).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRule {
    pub devices: Vec<String>,
    #[serde(flatten)]
    pub faults: Faults,
}

/// Everything that can be wrong with one device. Rules that match the same device merge;
/// a later rule's settings win.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Faults {
    /// Delay before every command's output.
    #[serde(default, deserialize_with = "duration::option")]
    pub latency: Option<Duration>,
    /// Delay before a successful authentication is confirmed.
    #[serde(default, deserialize_with = "duration::option")]
    pub slow_login: Option<Duration>,
    /// Every authentication attempt is rejected.
    #[serde(default)]
    pub auth_failure: bool,
    /// Accepts TCP connections and never sends the SSH banner.
    #[serde(default)]
    pub tarpit: bool,
    /// Commands (glob patterns, `*` for any) during which the connection is dropped after
    /// part of the output.
    #[serde(default)]
    pub drop_mid_command: Vec<String>,
    /// The SSH listener goes away and comes back.
    #[serde(default)]
    pub flap: Option<Flap>,
    /// A command whose output is huge.
    #[serde(default)]
    pub huge_output: Option<HugeOutput>,
    /// Output is laced with ANSI/OSC escape sequences and other control bytes.
    #[serde(default)]
    pub control_bytes: bool,
    /// After this many successful logins the device presents a different host key.
    #[serde(default)]
    pub host_key_change_after: Option<u64>,
    /// Once the configuration changed, these commands (glob patterns) fail.
    #[serde(default)]
    pub fail_after_config: Vec<String>,
    /// Connections beyond this many concurrent SSH sessions are refused.
    #[serde(default)]
    pub max_sessions: Option<usize>,
    /// Printed when a shell starts, instead of the platform's MOTD (e.g. a banner full of
    /// `#`, `>` and `router#` lines that look like prompts).
    #[serde(default)]
    pub motd: Option<String>,
    /// The prompt has no `user@` and no trailing space (`junos0>` instead of
    /// `admin@junos0> `).
    #[serde(default)]
    pub bare_prompt: bool,
    /// Exec requests are refused (SSH_MSG_CHANNEL_FAILURE); an interactive shell still works.
    #[serde(default)]
    pub refuse_exec: bool,
    /// A session without input for this long is closed, like IOS `exec-timeout`.
    #[serde(default, deserialize_with = "duration::option")]
    pub idle_timeout: Option<Duration>,
    /// The shell never shows a prompt: it prints its banner, echoes what is typed and
    /// answers nothing (a hung CLI, a menu the client does not know).
    #[serde(default)]
    pub no_prompt: bool,
    /// Paging-off commands are accepted but paging stays on: every long output stops at
    /// the platform's pager prompt, which the client must answer.
    #[serde(default)]
    pub sticky_pager: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Flap {
    #[serde(deserialize_with = "duration::required")]
    pub up: Duration,
    #[serde(deserialize_with = "duration::required")]
    pub down: Duration,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HugeOutput {
    /// The command (exact text after abbreviation expansion) that produces it.
    pub command: String,
    pub bytes: u64,
}

/// One device as the scenario lays it out (before addresses are assigned).
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedDevice {
    pub name: String,
    pub site: String,
    pub role: String,
    pub platform: Platform,
    pub faults: Faults,
}

impl Scenario {
    /// Reads and validates a scenario file.
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Scenario::from_yaml(&text, &path.display().to_string())
    }

    /// Parses and validates scenario YAML; `origin` names it in errors.
    pub fn from_yaml(text: &str, origin: &str) -> Result<Scenario, ScenarioError> {
        let mut s: Scenario = serde_yaml::from_str(text).map_err(|source| ScenarioError::Yaml {
            origin: origin.to_string(),
            source,
        })?;
        s.origin = origin.to_string();
        s.validate()?;
        Ok(s)
    }

    /// The built-in demo: about 60 devices over 3 sites, a few faulty or flapping ones.
    pub fn demo() -> Scenario {
        Scenario::from_yaml(DEMO_YAML, "<demo>").expect("the bundled demo scenario is valid")
    }

    fn validate(&self) -> Result<(), ScenarioError> {
        let invalid = |message: String| ScenarioError::Invalid {
            origin: self.origin.clone(),
            message,
        };
        if self.sites.is_empty() {
            return Err(invalid("`sites` must list at least one site".into()));
        }
        if self.roles.is_empty() || self.roles.iter().all(|r| r.count == 0) {
            return Err(invalid(
                "`roles` must have at least one role with count > 0".into(),
            ));
        }
        for (i, site) in self.sites.iter().enumerate() {
            if site.is_empty() || !site.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                return Err(invalid(format!(
                    "site {site:?}: use letters, digits and '-'"
                )));
            }
            if self.sites[..i].contains(site) {
                return Err(invalid(format!("site {site:?} is listed twice")));
            }
        }
        let known = |role: &str| self.roles.iter().any(|r| r.role == role);
        for (i, r) in self.roles.iter().enumerate() {
            if r.role.is_empty() || !r.role.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(invalid(format!(
                    "role {:?}: use letters and digits",
                    r.role
                )));
            }
            if self.roles[..i].iter().any(|o| o.role == r.role) {
                return Err(invalid(format!("role {:?} is listed twice", r.role)));
            }
        }
        let topo = &self.topology;
        for role in topo.mesh.iter().chain(
            topo.uplinks
                .iter()
                .flat_map(|u| [&u.from, &u.to].into_iter()),
        ) {
            if !known(role) {
                return Err(invalid(format!("topology names unknown role {role:?}")));
            }
        }
        for rule in &self.faults {
            if let Some(f) = rule.faults.flap
                && (f.up.is_zero() || f.down.is_zero())
            {
                return Err(invalid("flap: `up` and `down` must be > 0".into()));
            }
            if rule.faults.max_sessions == Some(0) {
                return Err(invalid("max_sessions must be at least 1".into()));
            }
            if rule.faults.idle_timeout.is_some_and(|t| t.is_zero()) {
                return Err(invalid("idle_timeout must be > 0".into()));
            }
            if rule
                .faults
                .motd
                .as_ref()
                .is_some_and(|m| m.len() > MAX_MOTD)
            {
                return Err(invalid(format!("motd is longer than {MAX_MOTD} bytes")));
            }
        }
        Ok(())
    }

    /// Lays out `count` devices: the role mix fills one site, then the next, round-robin.
    /// Names are `<site>-<role><n>`, n counting per site and role from 1.
    pub fn plan(&self, count: usize) -> Vec<PlannedDevice> {
        let block: Vec<&RoleSpec> = self
            .roles
            .iter()
            .flat_map(|r| std::iter::repeat_n(r, r.count))
            .collect();
        let mut counters: std::collections::HashMap<(usize, &str), usize> = Default::default();
        let mut network = 0usize;
        (0..count)
            .map(|i| {
                let site_idx = (i / block.len()) % self.sites.len();
                let role = block[i % block.len()];
                let n = counters.entry((site_idx, &role.role)).or_insert(0);
                *n += 1;
                let site = &self.sites[site_idx];
                let name = format!("{site}-{}{}", role.role, n);
                let faults = self.faults_for(&name);
                let platform = if role.platform == Platform::Linux || self.platform_mix.is_empty() {
                    role.platform
                } else {
                    network += 1;
                    self.platform_mix[(network - 1) % self.platform_mix.len()]
                };
                PlannedDevice {
                    name,
                    site: site.clone(),
                    role: role.role.clone(),
                    platform,
                    faults,
                }
            })
            .collect()
    }

    /// The merged faults of every rule matching `name`.
    pub fn faults_for(&self, name: &str) -> Faults {
        let mut out = Faults::default();
        for rule in &self.faults {
            if rule.devices.iter().any(|p| glob::matches(p, name)) {
                out.merge(&rule.faults);
            }
        }
        out
    }
}

impl Faults {
    fn merge(&mut self, other: &Faults) {
        fn take<T: Clone>(dst: &mut Option<T>, src: &Option<T>) {
            if src.is_some() {
                dst.clone_from(src);
            }
        }
        take(&mut self.latency, &other.latency);
        take(&mut self.slow_login, &other.slow_login);
        self.auth_failure |= other.auth_failure;
        self.tarpit |= other.tarpit;
        self.drop_mid_command
            .extend(other.drop_mid_command.iter().cloned());
        take(&mut self.flap, &other.flap);
        take(&mut self.huge_output, &other.huge_output);
        self.control_bytes |= other.control_bytes;
        take(
            &mut self.host_key_change_after,
            &other.host_key_change_after,
        );
        self.fail_after_config
            .extend(other.fail_after_config.iter().cloned());
        take(&mut self.max_sessions, &other.max_sessions);
        take(&mut self.motd, &other.motd);
        self.bare_prompt |= other.bare_prompt;
        self.refuse_exec |= other.refuse_exec;
        take(&mut self.idle_timeout, &other.idle_timeout);
        self.no_prompt |= other.no_prompt;
        self.sticky_pager |= other.sticky_pager;
    }

    /// True if nothing is wrong with the device.
    pub fn is_healthy(&self) -> bool {
        *self == Faults::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = r#"
sites: [ams, fra]
roles:
  - {role: core, platform: arista_eos, count: 1}
  - {role: access, platform: cisco_ios, count: 2}
faults:
  - devices: ["*-access2"]
    latency: 100ms
  - devices: [fra-access2]
    latency: 2s
    max_sessions: 1
"#;

    #[test]
    fn plans_sites_round_robin_with_stable_names() {
        let s = Scenario::from_yaml(SMALL, "small").unwrap();
        let names: Vec<String> = s.plan(8).into_iter().map(|d| d.name).collect();
        assert_eq!(
            names,
            [
                "ams-core1",
                "ams-access1",
                "ams-access2",
                "fra-core1",
                "fra-access1",
                "fra-access2",
                "ams-core2",
                "ams-access3"
            ]
        );
    }

    #[test]
    fn later_fault_rules_win() {
        let s = Scenario::from_yaml(SMALL, "small").unwrap();
        let ams = s.faults_for("ams-access2");
        assert_eq!(ams.latency, Some(Duration::from_millis(100)));
        assert_eq!(ams.max_sessions, None);
        let fra = s.faults_for("fra-access2");
        assert_eq!(fra.latency, Some(Duration::from_secs(2)));
        assert_eq!(fra.max_sessions, Some(1));
        assert!(s.faults_for("ams-core1").is_healthy());
    }

    #[test]
    fn rejects_unknown_fields_and_roles() {
        let bad = SMALL.replace("latency: 100ms", "latnecy: 100ms");
        let err = Scenario::from_yaml(&bad, "bad").unwrap_err().to_string();
        assert!(err.contains("latnecy"), "{err}");
        let bad = format!("{SMALL}topology: {{mesh: [spine]}}\n");
        let err = Scenario::from_yaml(&bad, "bad").unwrap_err().to_string();
        assert!(err.contains("spine"), "{err}");
    }

    #[test]
    fn demo_has_sixty_devices_over_three_sites_with_faults() {
        let s = Scenario::demo();
        let plan = s.plan(s.devices);
        assert_eq!(plan.len(), 60);
        let sites: std::collections::BTreeSet<_> = plan.iter().map(|d| d.site.as_str()).collect();
        assert_eq!(sites.len(), 3);
        let platforms: std::collections::BTreeSet<_> =
            plan.iter().map(|d| d.platform.name()).collect();
        assert!(platforms.len() >= 4, "{platforms:?}");
        assert!(plan.iter().any(|d| d.faults.flap.is_some()));
        assert!(plan.iter().filter(|d| !d.faults.is_healthy()).count() >= 3);
    }

    #[test]
    fn faults_example_shows_the_prompt_faults_and_bad_values_are_refused() {
        let s =
            Scenario::from_yaml(include_str!("../../assets/lab/faults.yaml"), "faults").unwrap();
        let plan = s.plan(s.devices);
        let has = |f: &dyn Fn(&Faults) -> bool| plan.iter().any(|d| f(&d.faults));
        assert!(has(&|f| f
            .motd
            .as_deref()
            .is_some_and(|m| m.contains("router#"))));
        assert!(has(&|f| f.bare_prompt));
        assert!(has(&|f| f.refuse_exec));
        assert!(has(&|f| f.idle_timeout == Some(Duration::from_secs(30))));
        assert!(has(&|f| f.no_prompt));
        let bad = SMALL.replace("latency: 100ms", "idle_timeout: 0s");
        let err = Scenario::from_yaml(&bad, "bad").unwrap_err().to_string();
        assert!(err.contains("idle_timeout"), "{err}");
        let huge = SMALL.replace("latency: 100ms", &format!("motd: {:?}", "#".repeat(70_000)));
        let err = Scenario::from_yaml(&huge, "bad").unwrap_err().to_string();
        assert!(err.contains("motd"), "{err}");
    }

    #[test]
    fn a_platform_mix_rotates_network_devices_and_keeps_linux_hosts() {
        let mut s = Scenario::demo();
        s.platform_mix = Platform::all().filter(|p| *p != Platform::Linux).collect();
        let plan = s.plan(s.devices);
        let used: std::collections::HashSet<Platform> = plan.iter().map(|d| d.platform).collect();
        assert_eq!(used.len(), Platform::all().count(), "{used:?}");
        for (mixed, plain) in plan.iter().zip(Scenario::demo().plan(s.devices)) {
            assert_eq!(mixed.name, plain.name);
            assert_eq!(
                mixed.platform == Platform::Linux,
                plain.platform == Platform::Linux
            );
        }
        let yaml = SMALL.replace("faults:", "platform_mix: [cisco_xr, vyos]\nfaults:");
        let s = Scenario::from_yaml(&yaml, "mix").unwrap();
        let p: Vec<Platform> = s.plan(3).into_iter().map(|d| d.platform).collect();
        assert_eq!(p, [Platform::CiscoXr, Platform::Vyos, Platform::CiscoXr]);
    }
}
