//! Platform definitions as data: prompts, banners, paging, interface names, auth methods.
//!
//! What the client needs to know about a platform (its name, prompt, pager, paging-off
//! command, …) is the platform file the client reads (`crate::platforms`), which each spec
//! names; this module adds only what a simulated device shows (identification, banners, the
//! pager text, interfaces).

use serde::{Deserialize, Serialize};

use super::vendor;
use crate::platforms::{self, Profile};

/// A device platform, named like netmiko's `device_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    CiscoIos,
    CiscoXe,
    AristaEos,
    JuniperJunos,
    Linux,
    // Simulated by the generic interpreter from `assets/lab/platforms/<name>.yaml`.
    CiscoNxos,
    CiscoXr,
    CiscoAsa,
    HuaweiVrp,
    /// Huawei VRP V8: two-stage configuration (`[~r1]`, `commit`).
    HuaweiVrpv8,
    /// Nokia SR OS, classic CLI.
    NokiaSros,
    /// Nokia SR OS, MD-CLI.
    NokiaSrosMd,
    MikrotikRouteros,
    Fortinet,
    PaloaltoPanos,
    ArubaAoscx,
    HpProcurve,
    DellOs10,
    ExtremeExos,
    Vyos,
}

/// How a platform's CLI behaves; one family shares the interpreter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Cisco IOS / IOS-XE style (`>`, `enable`, `#`, `(config)#`).
    Ios,
    /// Arista EOS: IOS-like, different outputs and messages.
    Eos,
    /// Junos: `user@host>`, `configure`, `set …`, `commit`.
    Junos,
    /// A Linux host: a plain shell, exec of a few commands.
    Linux,
    /// Described by a lab platform file, run by the generic interpreter.
    Generic,
}

/// The static facts about one platform.
#[derive(Debug, Clone, Copy)]
pub struct PlatformSpec {
    /// The platform file with the client-side facts (prompt, pager, paging off, …).
    pub name: &'static str,
    /// What the pager prints at a page break.
    pub pager: &'static str,
    pub family: Family,
    /// SSH identification string the device sends.
    pub server_id: &'static str,
    /// Pre-authentication banner (SSH userauth banner), if the platform sends one.
    pub login_banner: Option<&'static str>,
    /// Text printed when an interactive shell starts.
    pub motd: &'static str,
    /// Whether keyboard-interactive auth is offered (Junos and Linux do, like real ones).
    pub keyboard_interactive: bool,
    /// Management interface (holds the lab address).
    pub mgmt_interface: &'static str,
    /// Data port name for 1-based port number `n` is `port_prefix` + n + `port_offset`.
    pub port_prefix: &'static str,
    /// Abbreviated port prefix as shown in LLDP tables.
    pub port_short: &'static str,
    /// Subtracted from the 1-based port number (Junos and Linux count from 0).
    pub port_base: usize,
    /// Printed after the MOTD; the device waits for a key before its first prompt.
    pub press_any_key: Option<&'static str>,
    /// The pager key that shows the rest of the output at once (RouterOS `D`).
    pub pager_dump: Option<u8>,
}

const IOS_BANNER: &str = "\r\n\
*************************************************************\r\n\
* UNAUTHORIZED ACCESS TO THIS DEVICE IS PROHIBITED          *\r\n\
* You must have explicit, authorized permission to access   *\r\n\
* or configure this device. All activity is logged.         *\r\n\
*************************************************************\r\n";

impl Platform {
    /// The platforms with a hand-written interpreter.
    pub const CLASSIC: [Platform; 5] = [
        Platform::CiscoIos,
        Platform::CiscoXe,
        Platform::AristaEos,
        Platform::JuniperJunos,
        Platform::Linux,
    ];

    /// The platforms the generic interpreter runs from their description files.
    pub const DESCRIBED: [Platform; 15] = [
        Platform::CiscoNxos,
        Platform::CiscoXr,
        Platform::CiscoAsa,
        Platform::HuaweiVrp,
        Platform::HuaweiVrpv8,
        Platform::NokiaSros,
        Platform::NokiaSrosMd,
        Platform::MikrotikRouteros,
        Platform::Fortinet,
        Platform::PaloaltoPanos,
        Platform::ArubaAoscx,
        Platform::HpProcurve,
        Platform::DellOs10,
        Platform::ExtremeExos,
        Platform::Vyos,
    ];

    /// Every platform the lab simulates.
    pub fn all() -> impl Iterator<Item = Platform> {
        Platform::CLASSIC.into_iter().chain(Platform::DESCRIBED)
    }

    /// The lab's own name for the platform (scenario files use it); the same as the
    /// driver's (the client platform file's).
    pub fn lab_name(self) -> &'static str {
        match self {
            Platform::CiscoIos => "cisco_ios",
            Platform::CiscoXe => "cisco_xe",
            Platform::AristaEos => "arista_eos",
            Platform::JuniperJunos => "juniper_junos",
            Platform::Linux => "linux",
            Platform::CiscoNxos => "cisco_nxos",
            Platform::CiscoXr => "cisco_xr",
            Platform::CiscoAsa => "cisco_asa",
            Platform::HuaweiVrp => "huawei_vrp",
            Platform::HuaweiVrpv8 => "huawei_vrpv8",
            Platform::NokiaSros => "nokia_sros",
            Platform::NokiaSrosMd => "nokia_sros_md",
            Platform::MikrotikRouteros => "mikrotik_routeros",
            Platform::Fortinet => "fortinet",
            Platform::PaloaltoPanos => "paloalto_panos",
            Platform::ArubaAoscx => "aruba_aoscx",
            Platform::HpProcurve => "hp_procurve",
            Platform::DellOs10 => "dell_os10",
            Platform::ExtremeExos => "extreme_exos",
            Platform::Vyos => "vyos",
        }
    }

    /// Looks a platform up by its lab name.
    pub fn from_lab_name(name: &str) -> Option<Platform> {
        Platform::all().find(|p| p.lab_name() == name)
    }

    pub fn spec(self) -> &'static PlatformSpec {
        match self {
            Platform::CiscoIos => &CISCO_IOS,
            Platform::CiscoXe => &CISCO_XE,
            Platform::AristaEos => &ARISTA_EOS,
            Platform::JuniperJunos => &JUNIPER_JUNOS,
            Platform::Linux => &LINUX,
            other => &vendor::get(other.lab_name()).spec,
        }
    }

    /// The lab description of a platform the generic interpreter runs.
    pub fn vendor(self) -> Option<&'static vendor::Compiled> {
        (self.family() == Family::Generic).then(|| vendor::get(self.lab_name()))
    }

    pub fn name(self) -> &'static str {
        self.spec().name
    }

    /// The client-side facts of this platform.
    pub fn profile(self) -> &'static Profile {
        platforms::profile(self.name())
    }

    pub fn family(self) -> Family {
        if Platform::CLASSIC.contains(&self) {
            self.spec().family
        } else {
            Family::Generic
        }
    }

    /// Full name of data port `n` (1-based).
    pub fn port_name(self, n: usize) -> String {
        let s = self.spec();
        format!("{}{}", s.port_prefix, n - s.port_base)
    }

    /// Abbreviated name of data port `n` (1-based), as LLDP tables print it.
    pub fn port_short(self, n: usize) -> String {
        let s = self.spec();
        format!("{}{}", s.port_short, n - s.port_base)
    }
}

static CISCO_IOS: PlatformSpec = PlatformSpec {
    name: "cisco_ios",
    pager: " --More-- ",
    family: Family::Ios,
    server_id: "SSH-2.0-Cisco-1.25",
    login_banner: Some(IOS_BANNER),
    motd: "\r\n",
    keyboard_interactive: false,
    mgmt_interface: "Vlan1",
    port_prefix: "GigabitEthernet0/",
    port_short: "Gi0/",
    port_base: 0,
    press_any_key: None,
    pager_dump: None,
};

static CISCO_XE: PlatformSpec = PlatformSpec {
    name: "cisco_xe",
    server_id: "SSH-2.0-Cisco-1.25",
    mgmt_interface: "GigabitEthernet0/0",
    port_prefix: "GigabitEthernet1/0/",
    port_short: "Gi1/0/",
    ..CISCO_IOS
};

static ARISTA_EOS: PlatformSpec = PlatformSpec {
    name: "arista_eos",
    pager: " --More-- ",
    family: Family::Eos,
    server_id: "SSH-2.0-OpenSSH_7.8",
    login_banner: None,
    motd: "Last login: from 127.0.0.1\r\n",
    keyboard_interactive: false,
    mgmt_interface: "Management1",
    port_prefix: "Ethernet",
    port_short: "Et",
    port_base: 0,
    press_any_key: None,
    pager_dump: None,
};

static JUNIPER_JUNOS: PlatformSpec = PlatformSpec {
    name: "juniper_junos",
    pager: "---(more)---",
    family: Family::Junos,
    server_id: "SSH-2.0-OpenSSH_7.5",
    login_banner: None,
    motd: "--- JUNOS 21.4R3-S4.9 Kernel 64-bit  JNPR-12.1-20230321.be2f0d1_buil\r\n",
    keyboard_interactive: true,
    mgmt_interface: "fxp0",
    port_prefix: "ge-0/0/",
    port_short: "ge-0/0/",
    port_base: 1,
    press_any_key: None,
    pager_dump: None,
};

static LINUX: PlatformSpec = PlatformSpec {
    name: "linux",
    pager: "",
    family: Family::Linux,
    server_id: "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3",
    login_banner: None,
    motd: "Linux lab 6.1.0-18-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 x86_64\r\n\r\n\
The programs included with the Debian GNU/Linux system are free software.\r\n",
    keyboard_interactive: true,
    mgmt_interface: "eth0",
    port_prefix: "eth",
    port_short: "eth",
    port_base: 0,
    press_any_key: None,
    pager_dump: None,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_names_follow_platform_conventions() {
        assert_eq!(Platform::CiscoIos.port_name(1), "GigabitEthernet0/1");
        assert_eq!(Platform::CiscoXe.port_short(3), "Gi1/0/3");
        assert_eq!(Platform::AristaEos.port_name(2), "Ethernet2");
        assert_eq!(Platform::JuniperJunos.port_name(1), "ge-0/0/0");
        assert_eq!(Platform::Linux.port_name(1), "eth1");
    }

    #[test]
    fn every_platform_has_its_profile_under_its_name() {
        for p in Platform::all() {
            assert_eq!(platforms::profile(p.name()).name, p.name(), "{p:?}");
        }
    }

    #[test]
    fn names_round_trip_through_yaml() {
        for p in Platform::all() {
            let text = serde_yaml::to_string(&p).unwrap();
            assert_eq!(text.trim(), p.lab_name());
            assert_eq!(Platform::from_lab_name(p.lab_name()), Some(p));
            assert_eq!(serde_yaml::from_str::<Platform>(&text).unwrap(), p);
        }
    }
}
