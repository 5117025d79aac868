//! The one table from other tools' platform names to fleetdash's: Ansible's
//! `ansible_network_os` (short and collection names), Nornir/netmiko/NAPALM platforms, and
//! containerlab kinds. Names are matched without regard to case.

/// (name in another tool, fleetdash platform).
const TABLE: &[(&str, &str)] = &[
    // fleetdash's own names map to themselves.
    ("cisco_ios", "cisco_ios"),
    ("cisco_xe", "cisco_xe"),
    ("cisco_nxos", "cisco_nxos"),
    ("cisco_xr", "cisco_xr"),
    ("cisco_asa", "cisco_asa"),
    ("arista_eos", "arista_eos"),
    ("juniper_junos", "juniper_junos"),
    ("huawei_vrp", "huawei_vrp"),
    ("nokia_sros", "nokia_sros"),
    ("mikrotik_routeros", "mikrotik_routeros"),
    ("fortinet", "fortinet"),
    ("paloalto_panos", "paloalto_panos"),
    ("aruba_aoscx", "aruba_aoscx"),
    ("hp_procurve", "hp_procurve"),
    ("dell_os10", "dell_os10"),
    ("extreme_exos", "extreme_exos"),
    ("vyos", "vyos"),
    ("linux", "linux"),
    ("generic", "generic"),
    // Ansible network_os, short and fully qualified.
    ("ios", "cisco_ios"),
    ("cisco.ios.ios", "cisco_ios"),
    ("iosxe", "cisco_xe"),
    ("nxos", "cisco_nxos"),
    ("cisco.nxos.nxos", "cisco_nxos"),
    ("iosxr", "cisco_xr"),
    ("cisco.iosxr.iosxr", "cisco_xr"),
    ("asa", "cisco_asa"),
    ("cisco.asa.asa", "cisco_asa"),
    ("eos", "arista_eos"),
    ("arista.eos.eos", "arista_eos"),
    ("junos", "juniper_junos"),
    ("junipernetworks.junos.junos", "juniper_junos"),
    ("ce", "huawei_vrp"),
    ("community.network.ce", "huawei_vrp"),
    ("sros", "nokia_sros"),
    ("nokia.sros.md", "nokia_sros"),
    ("nokia.sros.classic", "nokia_sros"),
    ("routeros", "mikrotik_routeros"),
    ("community.routeros.routeros", "mikrotik_routeros"),
    ("community.network.routeros", "mikrotik_routeros"),
    ("fortios", "fortinet"),
    ("fortinet.fortios.fortios", "fortinet"),
    ("panos", "paloalto_panos"),
    ("paloaltonetworks.panos.panos", "paloalto_panos"),
    ("aoscx", "aruba_aoscx"),
    ("arubanetworks.aoscx.aoscx", "aruba_aoscx"),
    ("procurve", "hp_procurve"),
    ("dellos10", "dell_os10"),
    ("dellemc.os10.os10", "dell_os10"),
    ("exos", "extreme_exos"),
    ("extreme.exos.exos", "extreme_exos"),
    ("community.network.exos", "extreme_exos"),
    ("vyos.vyos.vyos", "vyos"),
    // netmiko / NAPALM / scrapli names Nornir inventories use.
    ("cisco_nxos_ssh", "cisco_nxos"),
    ("cisco_iosxe", "cisco_xe"),
    ("cisco_iosxr", "cisco_xr"),
    ("juniper", "juniper_junos"),
    ("huawei", "huawei_vrp"),
    ("nokia_sros_ssh", "nokia_sros"),
    ("fortinet_ssh", "fortinet"),
    ("aruba_os", "aruba_aoscx"),
    ("aruba_aoscx_ssh", "aruba_aoscx"),
    ("hp_procurve_ssh", "hp_procurve"),
    ("dell_os10_ssh", "dell_os10"),
    ("extreme", "extreme_exos"),
    ("extreme_exos_ssh", "extreme_exos"),
    ("vyos_ssh", "vyos"),
    ("linux_ssh", "linux"),
    ("generic_termserver", "generic"),
    // containerlab kinds.
    ("ceos", "arista_eos"),
    ("arista_ceos", "arista_eos"),
    ("vr-veos", "arista_eos"),
    ("arista_veos", "arista_eos"),
    ("vr-sros", "nokia_sros"),
    ("crpd", "juniper_junos"),
    ("juniper_crpd", "juniper_junos"),
    ("vr-vmx", "juniper_junos"),
    ("juniper_vmx", "juniper_junos"),
    ("juniper_vjunosrouter", "juniper_junos"),
    ("juniper_vjunosswitch", "juniper_junos"),
    ("juniper_vjunosevolved", "juniper_junos"),
    ("vr-vqfx", "juniper_junos"),
    ("juniper_vqfx", "juniper_junos"),
    ("vr-vsrx", "juniper_junos"),
    ("juniper_vsrx", "juniper_junos"),
    ("xrd", "cisco_xr"),
    ("cisco_xrd", "cisco_xr"),
    ("vr-xrv9k", "cisco_xr"),
    ("cisco_xrv9k", "cisco_xr"),
    ("vr-csr", "cisco_xe"),
    ("cisco_csr1000v", "cisco_xe"),
    ("cisco_c8000v", "cisco_xe"),
    ("cisco_cat9kv", "cisco_xe"),
    ("vr-n9kv", "cisco_nxos"),
    ("cisco_n9kv", "cisco_nxos"),
    ("cisco_iol", "cisco_ios"),
    ("vr-ros", "mikrotik_routeros"),
    ("mikrotik_ros", "mikrotik_routeros"),
    ("vr-ftosv", "dell_os10"),
    ("dell_ftosv", "dell_os10"),
    ("fortinet_fortigate", "fortinet"),
    ("paloalto_panos", "paloalto_panos"),
    ("vr-pan", "paloalto_panos"),
    ("aruba_aoscx", "aruba_aoscx"),
    ("huawei_vrp", "huawei_vrp"),
    ("vyosnetworks_vyos", "vyos"),
    ("host", "linux"),
    // SR Linux has no fleetdash driver of its own yet: a generic SSH shell.
    ("srl", "generic"),
    ("nokia_srlinux", "generic"),
    ("bridge", "generic"),
    ("ovs-bridge", "generic"),
];

/// The fleetdash platform for a name another tool uses.
pub(crate) fn fleetdash_platform(name: &str) -> Option<&'static str> {
    let name = name.trim();
    TABLE
        .iter()
        .find(|(other, _)| other.eq_ignore_ascii_case(name))
        .map(|&(_, ours)| ours)
}

/// Every name the table knows, for "did you mean".
pub(crate) fn known_names() -> impl Iterator<Item = &'static str> {
    TABLE.iter().map(|&(other, _)| other)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_each_tool_map_to_fleetdash_platforms() {
        for (name, ours) in [
            ("cisco.ios.ios", "cisco_ios"),
            ("ios", "cisco_ios"),
            ("Arista.EOS.eos", "arista_eos"),
            ("junipernetworks.junos.junos", "juniper_junos"),
            ("ceos", "arista_eos"),
            ("nokia_srlinux", "generic"),
            ("vr-sros", "nokia_sros"),
            ("juniper_vjunosrouter", "juniper_junos"),
            ("xrd", "cisco_xr"),
            ("cisco_csr1000v", "cisco_xe"),
            ("linux", "linux"),
            ("vyos", "vyos"),
        ] {
            assert_eq!(fleetdash_platform(name), Some(ours), "{name}");
        }
        assert_eq!(fleetdash_platform("toaster"), None);
        // Every target is one of fleetdash's names (which map to themselves).
        for &(_, ours) in TABLE {
            assert_eq!(fleetdash_platform(ours), Some(ours), "{ours}");
        }
    }
}
