//! Realistic command outputs per platform, deterministic per device name (serials, MACs,
//! uptimes come from `Facts`), and each device's initial configuration.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::time::Duration;

use super::config::{FlatConfig, SetConfig, TreeConfig};
use super::device::{DeviceConfig, DeviceShared, LldpEntry};
use super::platform::{Family, Platform};
use super::vendor::StoreKind;

/// The configuration a device boots with: hostname, management address, described ports.
pub fn initial_config(
    name: &str,
    platform: Platform,
    addr: SocketAddr,
    ports: usize,
    lldp: &[LldpEntry],
) -> DeviceConfig {
    let ip = addr.ip();
    let peer = |port: usize| lldp.iter().find(|l| l.local_port == port);
    match platform.family() {
        Family::Ios | Family::Eos => {
            let mut t = TreeConfig::default();
            let ios = platform.family() == Family::Ios;
            if ios {
                t.apply(None, "version 15.2");
                t.apply(None, "service timestamps debug datetime msec");
            }
            t.apply(None, &format!("hostname {name}"));
            if ios {
                t.apply(None, "ip domain-name lab.example");
            }
            t.apply(
                None,
                "username admin privilege 15 secret 5 $1$lab$Qk3dWZ1rdmRxJ7j8Ip9uP.",
            );
            let mgmt = format!("interface {}", platform.spec().mgmt_interface);
            let s = t.apply(None, &mgmt);
            let mask = if ios {
                format!("{ip} 255.255.255.0")
            } else {
                format!("{ip}/24")
            };
            t.apply(s.as_deref(), &format!("ip address {mask}"));
            for port in 1..=ports {
                let s = t.apply(None, &format!("interface {}", platform.port_name(port)));
                match peer(port) {
                    Some(l) => {
                        let desc = format!(
                            "description to {} {}",
                            l.remote_name,
                            l.remote_platform.port_name(l.remote_port)
                        );
                        t.apply(s.as_deref(), &desc);
                    }
                    None => {
                        t.apply(s.as_deref(), "shutdown");
                    }
                }
            }
            if ios {
                t.apply(None, "lldp run");
                let s = t.apply(None, "line vty 0 4");
                t.apply(s.as_deref(), "login local");
                t.apply(s.as_deref(), "transport input ssh");
            } else {
                let s = t.apply(None, "management ssh");
                t.apply(s.as_deref(), "idle-timeout 60");
            }
            DeviceConfig::Tree(t)
        }
        Family::Junos => {
            let mut c = SetConfig::default();
            c.set(&format!("system host-name {name}"));
            c.set("system services ssh");
            c.set("system services netconf ssh");
            c.set(&format!(
                "interfaces fxp0 unit 0 family inet address {ip}/24"
            ));
            for l in lldp {
                c.set(&format!(
                    "interfaces {} description \"to {} {}\"",
                    platform.port_name(l.local_port),
                    l.remote_name,
                    l.remote_platform.port_name(l.remote_port)
                ));
            }
            c.set("protocols lldp interface all");
            c.commit();
            DeviceConfig::Set(c)
        }
        Family::Linux => DeviceConfig::Host(name.to_string()),
        Family::Generic => described_config(name, platform, addr, ports, lldp),
    }
}

/// The boot configuration of a described platform: its `initial` lines, then each data
/// port's lines, filled in.
fn described_config(
    name: &str,
    platform: Platform,
    addr: SocketAddr,
    ports: usize,
    lldp: &[LldpEntry],
) -> DeviceConfig {
    let c = platform
        .vendor()
        .expect("generic platforms have a description");
    let store = &c.v.store;
    let ip = addr.ip().to_string();
    let mut lines: Vec<String> = Vec::new();
    let base = |t: &str| {
        t.replace("{host}", name)
            .replace("{ip}", &ip)
            .replace("{mgmt}", &c.v.mgmt_interface)
    };
    lines.extend(store.initial.iter().map(|t| base(t)));
    for port in 1..=ports {
        let port_name = platform.port_name(port);
        match lldp.iter().find(|l| l.local_port == port) {
            Some(l) => lines.extend(store.linked_port.iter().map(|t| {
                base(t)
                    .replace("{port}", &port_name)
                    .replace("{peer}", &l.remote_name)
                    .replace("{peer_port}", &l.remote_platform.port_name(l.remote_port))
            })),
            None => lines.extend(
                store
                    .free_port
                    .iter()
                    .map(|t| base(t).replace("{port}", &port_name)),
            ),
        }
    }
    match store.kind {
        StoreKind::Tree => {
            let mut t = TreeConfig::default();
            let mut section: Option<String> = None;
            for line in &lines {
                let inside = line.starts_with(' ');
                let now = t.apply_with(&c.rules, section.as_deref().filter(|_| inside), line);
                section = now;
            }
            DeviceConfig::Tree(t)
        }
        StoreKind::Set => {
            let mut s = SetConfig::default();
            for line in &lines {
                s.set_with(&format!("{}{}", store.root, line.trim()), c.single);
            }
            s.commit();
            DeviceConfig::Set(s)
        }
        StoreKind::Flat => {
            let mut f = FlatConfig::default();
            for line in &lines {
                f.apply(&c.rules, line);
            }
            DeviceConfig::Flat(f)
        }
    }
}

/// Fills an output template: `{host}`, `{user}`, `{serial}`, `{mac}` (`aa:bb:…`), `{MAC}`
/// (upper case), `{mac_dotted}` (`aabb.ccdd.eeff`), `{mac_dash}` (`AA-BB-…`), `{ip}`,
/// `{ports}`, `{mgmt}`, uptime parts `{up_w}` `{up_d}` (days in the week) `{up_days}`
/// (all days) `{up_h}` `{up_m}` `{up_s}` `{up_hms}` `{up_ios}`, `{clock}`; `extra` adds
/// more. Anything else in braces stays as it is.
pub fn fill(template: &str, dev: &DeviceShared, user: &str, extra: &[(&str, String)]) -> String {
    if !template.contains('{') {
        return template.to_string();
    }
    let up = uptime(dev);
    let secs = up.as_secs();
    let f = &dev.facts;
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            out.push_str(&rest[open..]);
            return out;
        };
        let key = &after[..close];
        let value = match key {
            "host" => Some(dev.hostname()),
            "user" => Some(user.to_string()),
            "serial" => Some(f.serial.clone()),
            "mac" => Some(f.mac_colon()),
            "MAC" => Some(f.mac_colon().to_uppercase()),
            "mac_dotted" => Some(f.mac_dotted()),
            "mac_dash" => Some(f.mac_colon().to_uppercase().replace(':', "-")),
            "ip" => Some(dev.addr.ip().to_string()),
            "ports" => Some(dev.ports.to_string()),
            "mgmt" => Some(dev.platform.spec().mgmt_interface.to_string()),
            "up_w" => Some((secs / 604_800).to_string()),
            "up_d" => Some((secs / 86_400 % 7).to_string()),
            "up_days" => Some((secs / 86_400).to_string()),
            "up_h" => Some((secs / 3_600 % 24).to_string()),
            "up_m" => Some((secs / 60 % 60).to_string()),
            "up_s" => Some((secs % 60).to_string()),
            "up_hms" => Some(format!(
                "{:02}:{:02}:{:02}",
                secs / 3_600 % 24,
                secs / 60 % 60,
                secs % 60
            )),
            "up_ios" => Some(ios_uptime(up)),
            "clock" => Some(clock_now(dev)),
            _ => extra
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v.clone()),
        };
        match value {
            Some(v) => out.push_str(&v),
            None => {
                out.push('{');
                out.push_str(key);
                out.push('}');
            }
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

/// The device's wall clock, `HH:MM:SS.mmm UTC`.
pub fn clock_now(dev: &DeviceShared) -> String {
    if dev.frozen {
        return "12:00:00.000 UTC".into();
    }
    let now = crate::base::time::WallClock::utc().hms(std::time::SystemTime::now());
    format!("{now}.000 UTC")
}

/// The body of a described platform's running configuration (no header or footer).
pub fn described_body(dev: &DeviceShared) -> String {
    let Some(c) = dev.platform.vendor() else {
        return String::new();
    };
    match &*dev.config() {
        DeviceConfig::Tree(t) => t.render_with(&c.rules, &c.layout),
        DeviceConfig::Set(s) if c.v.store.show_set => s.render_set(),
        DeviceConfig::Set(s) => s.render_blocks(&c.blocks),
        DeviceConfig::Flat(f) => f.render(),
        DeviceConfig::Host(h) => format!("{h}\n"),
    }
}

/// How long the device has been up now.
pub fn uptime(dev: &DeviceShared) -> Duration {
    if dev.frozen {
        return dev.facts.uptime_at_start;
    }
    dev.facts.uptime_at_start + dev.started.elapsed()
}

fn ios_uptime(d: Duration) -> String {
    let mins = d.as_secs() / 60;
    let (w, d_, h, m) = (mins / 10_080, mins / 1_440 % 7, mins / 60 % 24, mins % 60);
    format!("{w} weeks, {d_} days, {h} hours, {m} minutes")
}

/// `show version`.
pub fn show_version(dev: &DeviceShared) -> String {
    let host = dev.hostname();
    let f = &dev.facts;
    let up = uptime(dev);
    match dev.platform {
        Platform::CiscoIos => format!(
            "Cisco IOS Software, C2960X Software (C2960X-UNIVERSALK9-M), Version 15.2(7)E7, RELEASE SOFTWARE (fc3)\n\
Technical Support: http://www.cisco.com/techsupport\n\
Copyright (c) 1986-2022 by Cisco Systems, Inc.\n\
Compiled Wed 12-Oct-22 03:28 by prod_rel_team\n\n\
ROM: Bootstrap program is C2960X boot loader\n\
BOOTLDR: C2960X Boot Loader (C2960X-HBOOT-M) Version 15.2(7r)E, RELEASE SOFTWARE (fc1)\n\n\
{host} uptime is {}\n\
System returned to ROM by power-on\n\
System image file is \"flash:c2960x-universalk9-mz.152-7.E7.bin\"\n\n\
cisco WS-C2960X-48TS-L (APM86XXX) processor (revision D0) with 524288K bytes of memory.\n\
Processor board ID {}\n\
{} Gigabit Ethernet interfaces\n\
Base ethernet MAC Address       : {}\n\
Model number                    : WS-C2960X-48TS-L\n\
System serial number            : {}\n\n\
Configuration register is 0xF\n",
            ios_uptime(up),
            f.serial,
            dev.ports,
            f.mac_colon().to_uppercase(),
            f.serial
        ),
        Platform::CiscoXe => format!(
            "Cisco IOS XE Software, Version 17.09.04a\n\
Cisco IOS Software [Cupertino], Catalyst L3 Switch Software (CAT9K_IOSXE), Version 17.9.4a, RELEASE SOFTWARE (fc3)\n\
Technical Support: http://www.cisco.com/techsupport\n\
Copyright (c) 1986-2023 by Cisco Systems, Inc.\n\n\
{host} uptime is {}\n\
Uptime for this control processor is {}\n\
System image file is \"flash:packages.conf\"\n\n\
cisco C9300-48P (X86) processor with 1338934K/6147K bytes of memory.\n\
Processor board ID {}\n\
{} Gigabit Ethernet interfaces\n\
Base Ethernet MAC Address          : {}\n\
Model Number                       : C9300-48P\n\
System Serial Number               : {}\n\n\
Configuration register is 0x102\n",
            ios_uptime(up),
            ios_uptime(up),
            f.serial,
            dev.ports,
            f.mac_colon(),
            f.serial
        ),
        Platform::AristaEos => {
            let secs = up.as_secs();
            format!(
                "Arista DCS-7050SX3-48YC8-F\n\
Hardware version: 11.01\n\
Serial number: {}\n\
Hardware MAC address: {}\n\
System MAC address: {}\n\n\
Software image version: 4.31.2F\n\
Architecture: x86_64\n\
Internal build version: 4.31.2F-35442176.4312F\n\
Image format version: 3.0\n\n\
Uptime: {} weeks, {} days, {} hours and {} minutes\n\
Total memory: 16012296 kB\n\
Free memory: 11297192 kB\n",
                f.serial,
                f.mac_dotted(),
                f.mac_dotted(),
                secs / 604_800,
                secs / 86_400 % 7,
                secs / 3_600 % 24,
                secs / 60 % 60
            )
        }
        Platform::JuniperJunos => format!(
            "Hostname: {host}\n\
Model: mx204\n\
Junos: 21.4R3-S4.9\n\
JUNOS OS Kernel 64-bit  [20230321.be2f0d1_builder_stable_12_214]\n\
JUNOS OS libs [20230321.be2f0d1_builder_stable_12_214]\n\
JUNOS OS runtime [20230321.be2f0d1_builder_stable_12_214]\n\
JUNOS py extensions [20230330.040539_builder_junos_214_r3_s4]\n\
JUNOS Routing Engine Software Suite [21.4R3-S4.9]\n\
Chassis serial: {}\n",
            f.serial
        ),
        Platform::Linux => uname(dev),
        _ => String::new(),
    }
}

/// `show ip interface brief` (IOS, EOS) or `show interfaces terse` (Junos).
pub fn interface_brief(dev: &DeviceShared) -> String {
    let p = dev.platform;
    let ip = dev.addr.ip().to_string();
    let linked = |port: usize| dev.lldp.iter().any(|l| l.local_port == port);
    let mut out = String::new();
    match p.family() {
        Family::Ios => {
            out.push_str("Interface              IP-Address      OK? Method Status                Protocol\n");
            let mgmt = p.spec().mgmt_interface;
            let _ = writeln!(
                out,
                "{mgmt:<23}{ip:<16}YES NVRAM  up                    up      "
            );
            for port in 1..=dev.ports {
                let (status, proto) = if linked(port) {
                    ("up", "up")
                } else {
                    ("administratively down", "down")
                };
                let _ = writeln!(
                    out,
                    "{:<23}{:<16}YES unset  {:<22}{:<8}",
                    p.port_name(port),
                    "unassigned",
                    status,
                    proto
                );
            }
        }
        Family::Eos => {
            out.push_str("                                                                            Address\n");
            out.push_str("Interface         IP Address            Status       Protocol           MTU    Owner  \n");
            out.push_str("----------------- --------------------- ------------ -------------- ---------- -------\n");
            let _ = writeln!(
                out,
                "{:<18}{:<22}{:<13}{:<15}{:>10}        ",
                "Management1",
                format!("{ip}/24"),
                "up",
                "up",
                1500
            );
            for port in 1..=dev.ports {
                let s = if linked(port) { "up" } else { "adminDown" };
                let pr = if linked(port) { "up" } else { "down" };
                let _ = writeln!(
                    out,
                    "{:<18}{:<22}{:<13}{:<15}{:>10}        ",
                    p.port_name(port),
                    "unassigned",
                    s,
                    pr,
                    1500
                );
            }
        }
        Family::Junos => {
            out.push_str(
                "Interface               Admin Link Proto    Local                 Remote\n",
            );
            for port in 1..=dev.ports {
                let link = if linked(port) { "up" } else { "down" };
                let _ = writeln!(out, "{:<24}up    {link:<4}", p.port_name(port));
            }
            out.push_str("fxp0                    up    up\n");
            let _ = writeln!(out, "fxp0.0                  up    up   inet     {ip}/24");
            out.push_str("lo0                     up    up\n");
        }
        Family::Linux => {
            let _ = writeln!(out, "lo               UNKNOWN        127.0.0.1/8 ::1/128");
            let _ = writeln!(out, "eth0             UP             {ip}/24");
        }
        Family::Generic => {}
    }
    out
}

/// `show lldp neighbors` in the platform's format.
pub fn lldp_neighbors(dev: &DeviceShared) -> String {
    let p = dev.platform;
    let mut out = String::new();
    match p.family() {
        Family::Ios => {
            out.push_str("Capability codes:\n    (R) Router, (B) Bridge, (T) Telephone, (C) DOCSIS Cable Device\n    (W) WLAN Access Point, (P) Repeater, (S) Station, (O) Other\n\n");
            out.push_str("Device ID           Local Intf     Hold-time  Capability      Port ID\n");
            for l in &dev.lldp {
                let _ = writeln!(
                    out,
                    "{:<20}{:<15}{:<11}{:<16}{}",
                    truncate(&l.remote_name, 19),
                    p.port_short(l.local_port),
                    120,
                    if l.remote_platform == Platform::Linux {
                        "S"
                    } else {
                        "B,R"
                    },
                    l.remote_platform.port_short(l.remote_port)
                );
            }
            let _ = writeln!(out, "\nTotal entries displayed: {}", dev.lldp.len());
        }
        Family::Eos => {
            out.push_str("Last table change time   : 0:12:31 ago\n");
            let _ = writeln!(out, "Number of table inserts  : {}", dev.lldp.len());
            out.push_str("Number of table deletes  : 0\nNumber of table drops    : 0\nNumber of table age-outs : 0\n\n");
            out.push_str("Port          Neighbor Device ID       Neighbor Port ID    TTL\n");
            out.push_str("------------- ------------------------ ------------------- ---\n");
            for l in &dev.lldp {
                let _ = writeln!(
                    out,
                    "{:<14}{:<25}{:<20}120",
                    p.port_short(l.local_port),
                    l.remote_name,
                    l.remote_platform.port_name(l.remote_port)
                );
            }
        }
        Family::Junos => {
            out.push_str("Local Interface    Parent Interface    Chassis Id          Port info          System Name\n");
            for l in &dev.lldp {
                let _ = writeln!(
                    out,
                    "{:<19}{:<20}{:<20}{:<19}{}",
                    p.port_name(l.local_port),
                    "-",
                    l.remote_mac,
                    l.remote_platform.port_name(l.remote_port),
                    l.remote_name
                );
            }
        }
        Family::Linux | Family::Generic => {}
    }
    out
}

fn truncate(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// `show running-config` for IOS/EOS, wrapped the way each platform prints it.
pub fn running_config(dev: &DeviceShared, body: &str) -> String {
    match dev.platform.family() {
        Family::Eos => format!(
            "! Command: show running-config\n! device: {} (DCS-7050SX3-48YC8, EOS-4.31.2F)\n!\n{body}!\nend\n",
            dev.hostname()
        ),
        // Real IOS stamps the time of every fetch-independent change; the lab stamps the
        // fetch itself, so a backup that keeps this line would change on every run.
        _ => format!(
            "Building configuration...\n\nCurrent configuration : {} bytes\n!\n\
             ! Last configuration change at {} UTC by admin\n!\n{body}!\nend\n",
            body.len() + 6,
            crate::base::time::rfc3339(std::time::SystemTime::now())
        ),
    }
}

/// `uname -a` on a Linux host.
pub fn uname(dev: &DeviceShared) -> String {
    format!(
        "Linux {} 6.1.0-18-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01) x86_64 GNU/Linux\n",
        dev.hostname()
    )
}

/// `uptime` on a Linux host.
pub fn linux_uptime(dev: &DeviceShared) -> String {
    let up = uptime(dev).as_secs();
    let load = (dev.facts.hash % 100) as f64 / 100.0;
    format!(
        " 12:00:00 up {} days, {:2}:{:02},  1 user,  load average: {load:.2}, {:.2}, {:.2}\n",
        up / 86_400,
        up / 3_600 % 24,
        up / 60 % 60,
        load * 0.8,
        load * 0.6
    )
}

/// One line of the huge-output fault's body; `n` makes every line distinct.
pub fn huge_line(n: u64) -> String {
    format!("{n:>10} tech-support: interface counters 0 input errors, 0 CRC, 0 frame, 0 overrun\n")
}
