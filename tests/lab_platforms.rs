//! Every platform the lab simulates from a description file, driven through the real client
//! (`fleetdash::ssh::Session`) on loopback: the identification command comes back exactly
//! as the device printed it (no prompt, echo or pager), an unknown command trips the
//! client's error marker, a paged output comes back whole when the device keeps paging,
//! and a config change lands with the platform's semantics (commit platforms: a failed line
//! leaves the running configuration as it was).
//!
//! These check the client's platform files (`assets/platforms/`) against what the lab's
//! descriptions (`assets/lab/platforms/`) make a device print; a failure names the
//! platform and shows both sides.

mod common;

use std::path::Path;
use std::time::Duration;

use fleetdash::lab::Lab;
use fleetdash::ssh::{HostKeyPolicy, Session, SshOptions, Target, Timeouts};

/// One device per platform, and one that keeps paging after paging-off (`…pg1`).
const SCENARIO: &str = r#"
name: platforms
sites: [v]
roles:
  - {role: nxos, platform: cisco_nxos}
  - {role: xr, platform: cisco_xr}
  - {role: asa, platform: cisco_asa}
  - {role: vrp, platform: huawei_vrp}
  - {role: vrpv8, platform: huawei_vrpv8}
  - {role: sros, platform: nokia_sros}
  - {role: mdcli, platform: nokia_sros_md}
  - {role: ros, platform: mikrotik_routeros}
  - {role: fgt, platform: fortinet}
  - {role: panos, platform: paloalto_panos}
  - {role: cx, platform: aruba_aoscx}
  - {role: procurve, platform: hp_procurve}
  - {role: os10, platform: dell_os10}
  - {role: exos, platform: extreme_exos}
  - {role: vyos, platform: vyos}
  - {role: nxospg, platform: cisco_nxos}
  - {role: xrpg, platform: cisco_xr}
  - {role: asapg, platform: cisco_asa}
  - {role: vrppg, platform: huawei_vrp}
  - {role: vrpv8pg, platform: huawei_vrpv8}
  - {role: srospg, platform: nokia_sros}
  - {role: mdclipg, platform: nokia_sros_md}
  - {role: rospg, platform: mikrotik_routeros}
  - {role: fgtpg, platform: fortinet}
  - {role: panospg, platform: paloalto_panos}
  - {role: cxpg, platform: aruba_aoscx}
  - {role: procurvepg, platform: hp_procurve}
  - {role: os10pg, platform: dell_os10}
  - {role: exospg, platform: extreme_exos}
  - {role: vyospg, platform: vyos}
faults:
  - devices: ["*pg1"]
    sticky_pager: true
"#;

/// What each platform is asked, per device role.
struct Case {
    role: &'static str,
    /// The identification command (what `detect` would run).
    ident: &'static str,
    /// The start of its answer.
    ident_starts: &'static str,
    /// A config change and what the running configuration shows afterwards.
    change: &'static [&'static str],
    shows: &'static str,
    /// Commit platforms: a change with a bad line in it, and what must NOT show after.
    failed: Option<(&'static [&'static str], &'static str)>,
}

const CASES: &[Case] = &[
    Case {
        role: "nxos",
        ident: "show version",
        ident_starts: "Cisco Nexus Operating System (NX-OS) Software",
        change: &["interface Ethernet1/7", "description set-by-fleetdash"],
        shows: "  description set-by-fleetdash",
        failed: None,
    },
    Case {
        role: "xr",
        ident: "show version",
        ident_starts: "Cisco IOS XR Software, Version 7.9.2",
        change: &[
            "interface GigabitEthernet0/0/0/6",
            "description set-by-fleetdash",
        ],
        shows: " description set-by-fleetdash",
        failed: Some((
            &["hostname half-applied", "frobnicate everything"],
            "half-applied",
        )),
    },
    Case {
        role: "asa",
        ident: "show version",
        ident_starts: "\nCisco Adaptive Security Appliance Software Version 9.16(4)",
        change: &[
            "interface GigabitEthernet0/7",
            "description set-by-fleetdash",
        ],
        shows: " description set-by-fleetdash",
        failed: None,
    },
    Case {
        role: "vrp",
        ident: "display version",
        ident_starts: "Huawei Versatile Routing Platform Software",
        change: &[
            "interface GigabitEthernet0/0/7",
            "description set-by-fleetdash",
        ],
        shows: " description set-by-fleetdash",
        failed: None,
    },
    Case {
        role: "vrpv8",
        ident: "display version",
        ident_starts: "Huawei Versatile Routing Platform Software\nVRP (R) software, Version 8.180",
        change: &["interface 10GE1/0/7", "description set-by-fleetdash"],
        shows: " description set-by-fleetdash",
        failed: Some((
            &["sysname half-applied", "frobnicate everything"],
            "half-applied",
        )),
    },
    Case {
        role: "sros",
        ident: "show version",
        ident_starts: "TiMOS-B-22.10.R1 both/x86_64 Nokia 7750 SR",
        change: &["system location \"set-by-fleetdash\""],
        shows: "location \"set-by-fleetdash\"",
        failed: None,
    },
    Case {
        role: "mdcli",
        ident: "show version",
        ident_starts: "TiMOS-B-23.10.R1 both/x86_64 Nokia 7750 SR",
        change: &["/configure system location \"set-by-fleetdash\""],
        shows: "location \"set-by-fleetdash\"",
        failed: Some((
            &[
                "/configure system contact \"half-applied\"",
                "frobnicate everything",
            ],
            "half-applied",
        )),
    },
    Case {
        role: "ros",
        ident: "/system resource print",
        ident_starts: "                   uptime: ",
        change: &["/snmp set contact=set-by-fleetdash"],
        shows: "/snmp set contact=set-by-fleetdash",
        failed: None,
    },
    Case {
        role: "fgt",
        ident: "get system status",
        ident_starts: "Version: FortiGate-60F v7.2.5,build1517,230606 (GA.F)",
        change: &["config system global", "set alias \"set-by-fleetdash\""],
        shows: "set alias \"set-by-fleetdash\"",
        failed: Some((
            &[
                "config system dns",
                "set secondary 127.0.0.99",
                "frobnicate everything",
            ],
            "127.0.0.99",
        )),
    },
    Case {
        role: "panos",
        ident: "show system info",
        ident_starts: "\nhostname: v-panos1\n",
        change: &["set deviceconfig system login-banner set-by-fleetdash"],
        shows: "login-banner set-by-fleetdash",
        failed: Some((
            &[
                "set deviceconfig system domain half-applied.example",
                "frobnicate everything",
            ],
            "half-applied",
        )),
    },
    Case {
        role: "cx",
        ident: "show version",
        ident_starts: "-----------------------------------------------------------------------------\nArubaOS-CX\n",
        change: &["interface 1/1/7", "description set-by-fleetdash"],
        shows: "    description set-by-fleetdash",
        failed: None,
    },
    Case {
        role: "procurve",
        ident: "show version",
        ident_starts: "Image stamp:",
        change: &["interface 7", "name \"set-by-fleetdash\""],
        shows: "   name \"set-by-fleetdash\"",
        failed: None,
    },
    Case {
        role: "os10",
        ident: "show version",
        ident_starts: "Dell SmartFabric OS10 Enterprise",
        change: &["interface ethernet1/1/7", "description set-by-fleetdash"],
        shows: " description set-by-fleetdash",
        failed: None,
    },
    Case {
        role: "exos",
        ident: "show switch",
        ident_starts: "\nSysName:          v-exos1\n",
        change: &["configure snmp sysLocation \"set-by-fleetdash\""],
        shows: "configure snmp sysLocation \"set-by-fleetdash\"",
        failed: None,
    },
    Case {
        role: "vyos",
        ident: "show version",
        ident_starts: "Version:          VyOS 1.4.0",
        change: &["set system login banner pre-login 'set-by-fleetdash'"],
        shows: "set system login banner pre-login 'set-by-fleetdash'",
        failed: Some((
            &[
                "set system domain-name 'half-applied.example'",
                "frobnicate everything",
            ],
            "half-applied",
        )),
    },
];

async fn start() -> Lab {
    common::lab(SCENARIO)
        .devices(30)
        .seed(29)
        .with(|cfg| cfg.frozen_clock = true)
        .start()
        .await
}

fn target(lab: &Lab, name: &str) -> Target {
    common::lab_target(lab, name)
}

fn opts(dir: &Path, lab: &Lab) -> SshOptions {
    let mut o = common::lab_options(lab, dir.join("known_hosts"));
    o.host_keys = HostKeyPolicy::Strict;
    o.timeouts = Timeouts {
        connect: Duration::from_secs(2),
        handshake: Duration::from_secs(2),
        auth: Duration::from_secs(3),
        command: Duration::from_secs(5),
    };
    o
}

async fn connect(lab: &Lab, o: &SshOptions, name: &str) -> Result<Session, String> {
    Session::connect_target(&target(lab, name), o)
        .await
        .map_err(|e| format!("{name}: connect: {e}"))
}

/// Platforms the client cannot read yet, per check, and why: the lab shows what the device
/// prints; the client has to learn to read it. Each is a client-side gap, not a lab choice;
/// `pending_…` (ignored) runs exactly these, to be turned on as they are fixed.
const PENDING: &[(&str, &str, &str)] = &[
    // Prompt handling (src/ssh/shell.rs): MD-CLI prints a blank line, then `[/]`, above
    // `A:admin@r1#`; the client strips the `[/]` line but keeps the blank one as output.
    (
        "mdcli",
        "identification",
        "the blank line above MD-CLI's `[/]` stays in the output",
    ),
    (
        "mdcli",
        "paging",
        "the blank line above MD-CLI's `[/]` stays in the output",
    ),
    // Platform file (assets/platforms/vyos.yaml): no pager pattern for `less` (`:`).
    (
        "vyos",
        "paging",
        "VyOS pages op-mode output with less (`:`), the file knows no pager",
    ),
];

fn pending(role: &str, what: &str) -> bool {
    PENDING
        .iter()
        .any(|(r, w, _)| *r == role && (*w == what || *w == "all"))
}

/// Which platforms a run covers.
#[derive(Clone, Copy, PartialEq)]
enum Which {
    Ready,
    Pending,
}

/// Runs `check` for every platform (the ready or the pending ones) and reports all failures
/// together, so one run shows the whole picture.
async fn for_each_platform<F, Fut>(which: Which, what: &str, check: F)
where
    F: Fn(&'static Case) -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    let mut failures = Vec::new();
    for case in CASES {
        if pending(case.role, what) != (which == Which::Pending) {
            continue;
        }
        if let Err(e) = check(case).await {
            failures.push(e);
        }
    }
    assert!(
        failures.is_empty(),
        "{what}: {} of {} platforms failed:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identification_output_is_exactly_what_the_device_printed() {
    identification_check(Which::Ready).await;
}

async fn identification_check(which: Which) {
    let lab = start().await;
    let dir = tempfile::tempdir().unwrap();
    let o = opts(dir.path(), &lab);
    for_each_platform(which, "identification", |case| {
        let (lab, o) = (&lab, &o);
        async move {
            let name = format!("v-{}1", case.role);
            let mut s = connect(lab, o, &name).await?;
            let out = s
                .run(case.ident)
                .await
                .map_err(|e| format!("{name}: {}: {e}", case.ident))?;
            let setup = s.profile().setup.clone();
            let want = lab.expected_output(&name, &setup, case.ident).unwrap();
            if !want.starts_with(case.ident_starts) {
                return Err(format!("{name}: the lab's own answer changed: {want:?}"));
            }
            if out.text != want || !out.ok() {
                return Err(format!(
                    "{name}: {:?}\n  got  {:?}\n  want {:?}\n  marker {:?}",
                    case.ident, out.text, want, out.error_marker
                ));
            }
            s.close().await;
            Ok(())
        }
    })
    .await;
    lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_commands_trip_the_error_marker_and_the_session_stays_in_sync() {
    unknown_check(Which::Ready).await;
}

async fn unknown_check(which: Which) {
    let lab = start().await;
    let dir = tempfile::tempdir().unwrap();
    let o = opts(dir.path(), &lab);
    for_each_platform(which, "unknown", |case| {
        let (lab, o) = (&lab, &o);
        async move {
            let name = format!("v-{}1", case.role);
            let mut s = connect(lab, o, &name).await?;
            let out = s
                .run("frobnicate everything")
                .await
                .map_err(|e| format!("{name}: {e}"))?;
            if out.error_marker.is_none() {
                return Err(format!("{name}: no error marker in {:?}", out.text));
            }
            let next = s
                .run(case.ident)
                .await
                .map_err(|e| format!("{name}: after the error: {e}"))?;
            if !next.ok() || !next.text.starts_with(case.ident_starts) {
                return Err(format!("{name}: out of sync after the error: {next:?}"));
            }
            s.close().await;
            Ok(())
        }
    })
    .await;
    lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_that_keeps_paging_still_gives_the_whole_output() {
    paging_check(Which::Ready).await;
}

async fn paging_check(which: Which) {
    let lab = start().await;
    let dir = tempfile::tempdir().unwrap();
    let o = opts(dir.path(), &lab);
    for_each_platform(which, "paging", |case| {
        let (lab, o) = (&lab, &o);
        async move {
            let name = format!("v-{}pg1", case.role);
            let platform = lab.device(&name).unwrap().platform;
            let mut s = connect(lab, o, &name).await?;
            let cmd = s.profile().running_config.clone().ok_or(format!(
                "{name}: the client file names no running-config command"
            ))?;
            let setup = s.profile().setup.clone();
            let want = lab.expected_output(&name, &setup, &cmd).unwrap();
            if want.lines().count() < 30 {
                return Err(format!(
                    "{name}: {cmd:?} is too short to page ({} lines) on {platform:?}",
                    want.lines().count()
                ));
            }
            let out = s
                .run(&cmd)
                .await
                .map_err(|e| format!("{name}: {cmd}: {e}"))?;
            if out.text != want {
                return Err(format!(
                    "{name}: {cmd:?} paged\n  got  {:?}\n  want {:?}",
                    out.text, want
                ));
            }
            s.close().await;
            Ok(())
        }
    })
    .await;
    lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_changes_land_with_each_platforms_semantics() {
    config_check(Which::Ready).await;
}

async fn config_check(which: Which) {
    let lab = start().await;
    let dir = tempfile::tempdir().unwrap();
    let o = opts(dir.path(), &lab);
    for_each_platform(which, "configure", |case| {
        let (lab, o) = (&lab, &o);
        async move {
            let name = format!("v-{}1", case.role);
            let mut s = connect(lab, o, &name).await?;
            let lines: Vec<String> = case.change.iter().map(|l| l.to_string()).collect();
            let out = apply(&mut s, &lines)
                .await
                .map_err(|e| format!("{name}: configure: {e}"))?;
            let config = lab.config_text(&name).unwrap();
            if out.error_marker.is_some() || !config.contains(case.shows) {
                return Err(format!(
                    "{name}: {lines:?} did not land: {out:?}\n  config {config:?}"
                ));
            }
            if let Some((bad, absent)) = case.failed {
                let before = lab.config_text(&name).unwrap();
                let lines: Vec<String> = bad.iter().map(|l| l.to_string()).collect();
                let out = apply(&mut s, &lines)
                    .await
                    .map_err(|e| format!("{name}: configure (failing): {e}"))?;
                let after = lab.config_text(&name).unwrap();
                if out.error_marker.is_none() {
                    return Err(format!("{name}: the bad line was not reported: {out:?}"));
                }
                if after != before || after.contains(absent) {
                    return Err(format!(
                        "{name}: a failed change was (partly) committed:\n  before {before:?}\n  after  {after:?}"
                    ));
                }
            }
            // Back at the exec prompt: a command works.
            let next = s
                .run(case.ident)
                .await
                .map_err(|e| format!("{name}: after configure: {e}"))?;
            if !next.ok() {
                return Err(format!("{name}: after configure: {next:?}"));
            }
            s.close().await;
            Ok(())
        }
    })
    .await;
    lab.stop().await;
}

/// Applies config lines: through the client's config mode where its platform file has one;
/// otherwise (RouterOS, EXOS, FortiOS: config commands are ordinary commands) one by one,
/// stopping at the first error — and on FortiOS leaving the open block with `abort`, as an
/// operator would, so the block is thrown away.
async fn apply(s: &mut Session, lines: &[String]) -> Result<fleetdash::ssh::Output, String> {
    if s.profile().config.is_some() {
        return s.configure(lines, false).await.map_err(|e| e.to_string());
    }
    let mut last = fleetdash::ssh::Output::default();
    for line in lines {
        last = s.run(line).await.map_err(|e| e.to_string())?;
        if last.error_marker.is_some() {
            if lines[0].starts_with("config ") {
                s.run("abort").await.map_err(|e| e.to_string())?;
            }
            return Ok(last);
        }
    }
    if lines[0].starts_with("config ") {
        s.run("end").await.map_err(|e| e.to_string())?;
    }
    Ok(last)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the client cannot read these yet (see PENDING): MD-CLI's blank line above `[/]`, VyOS's less pager"]
async fn pending_platforms_once_the_client_reads_their_prompts() {
    identification_check(Which::Pending).await;
    unknown_check(Which::Pending).await;
    paging_check(Which::Pending).await;
    config_check(Which::Pending).await;
}
