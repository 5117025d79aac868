//! LLDP/CDP neighbour tables: the parsers a platform file names in `neighbors:`, and the
//! interface-name normalisation that lets `Gi0/1` and `GigabitEthernet0/1` be the same port.

/// One neighbour as a device reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Neighbor {
    /// The local port, as printed.
    pub local_port: String,
    /// The neighbour's name (system name / device ID), as printed (maybe cut or with a
    /// domain).
    pub device: String,
    pub port: String,
}

/// Reads a neighbour table.
pub type NeighborParser = fn(&str) -> Vec<Neighbor>;

/// The parsers a platform file may name in `neighbors:`.
pub const NEIGHBOR_PARSERS: &[(&str, NeighborParser)] = &[
    ("ios_lldp", ios_lldp),
    ("ios_lldp_detail", ios_lldp_detail),
    ("cdp_detail", cdp_detail),
    ("eos_lldp", eos_lldp),
    ("junos_lldp", junos_lldp),
    ("lldpcli_keyvalue", lldpcli_keyvalue),
];

/// Long names of abbreviated interface types, longest abbreviation first where two share a
/// prefix. Cisco (IOS, NX-OS, XR), Arista and Juniper short forms.
const LONG: &[(&str, &str)] = &[
    ("hundredgigabitethernet", "hundredgige"),
    ("hundredgige", "hundredgige"),
    ("hu", "hundredgige"),
    ("fortygigabitethernet", "fortygigabitethernet"),
    ("fo", "fortygigabitethernet"),
    ("twentyfivegige", "twentyfivegige"),
    ("twe", "twentyfivegige"),
    ("tengigabitethernet", "tengigabitethernet"),
    ("tengige", "tengigabitethernet"),
    ("te", "tengigabitethernet"),
    ("gigabitethernet", "gigabitethernet"),
    ("gige", "gigabitethernet"),
    ("gi", "gigabitethernet"),
    ("fastethernet", "fastethernet"),
    ("fa", "fastethernet"),
    ("ethernet", "ethernet"),
    ("eth", "ethernet"),
    ("et", "ethernet"),
    ("port-channel", "port-channel"),
    ("po", "port-channel"),
    ("management", "management"),
    ("mgmt", "management"),
    ("ma", "management"),
];

/// A port name in one spelling: lower case, the type written out (`Gi0/1` →
/// `gigabitethernet0/1`, `Et1` → `ethernet1`, `Ethernet1/1` stays), spaces gone. Names
/// without a known type (`ge-0/0/0`, `eth0` on Linux is `ethernet0` too) keep their text.
pub fn normalize_port(port: &str) -> String {
    let p: String = port.trim().chars().filter(|c| !c.is_whitespace()).collect();
    let lower = p.to_ascii_lowercase();
    let split = lower
        .find(|c: char| c.is_ascii_digit())
        .unwrap_or(lower.len());
    let (kind, rest) = lower.split_at(split);
    match LONG.iter().find(|(short, _)| *short == kind) {
        Some((_, long)) if !rest.is_empty() => format!("{long}{rest}"),
        _ => lower,
    }
}

/// A device name without its domain, lower case (`SW2.example.net` → `sw2`).
pub fn normalize_device(name: &str) -> String {
    let name = name.trim().trim_matches('"');
    name.split('.').next().unwrap_or(name).to_ascii_lowercase()
}

/// The column starts of a table header, by the header words given.
fn columns(header: &str, words: &[&str]) -> Option<Vec<usize>> {
    words.iter().map(|w| header.find(w)).collect()
}

fn cell(line: &str, start: usize, end: Option<usize>) -> String {
    let chars: Vec<char> = line.chars().collect();
    let end = end.unwrap_or(chars.len()).min(chars.len());
    chars
        .get(start.min(chars.len())..end)
        .map(|c| c.iter().collect::<String>().trim().to_string())
        .unwrap_or_default()
}

/// IOS/IOS-XE `show lldp neighbors`: `Device ID  Local Intf  Hold-time  Capability  Port ID`
/// (the device ID is cut at 20 characters).
pub fn ios_lldp(text: &str) -> Vec<Neighbor> {
    let mut lines = text.lines();
    let Some(cols) = lines.by_ref().find_map(|l| {
        columns(
            l,
            &[
                "Device ID",
                "Local Intf",
                "Hold-time",
                "Capability",
                "Port ID",
            ],
        )
    }) else {
        return Vec::new();
    };
    lines
        .take_while(|l| !l.trim().is_empty() && !l.starts_with("Total entries"))
        .filter_map(|l| {
            let n = Neighbor {
                device: cell(l, cols[0], Some(cols[1])),
                local_port: cell(l, cols[1], Some(cols[2])),
                port: cell(l, cols[4], None),
            };
            (!n.device.is_empty() && !n.local_port.is_empty()).then_some(n)
        })
        .collect()
}

/// Blocks of `key: value` lines separated by dashed lines.
fn blocks(text: &str) -> Vec<Vec<(String, String)>> {
    let mut out = vec![Vec::new()];
    for line in text.lines() {
        if line.trim_start().starts_with("-----") {
            out.push(Vec::new());
            continue;
        }
        // CDP puts two pairs on one line: `Interface: Gi0/1,  Port ID (outgoing port): Gi0/2`.
        for part in line.split(",  ") {
            if let Some((k, v)) = part.split_once(':') {
                out.last_mut()
                    .expect("never empty")
                    .push((k.trim().to_string(), v.trim().to_string()));
            }
        }
    }
    out.retain(|b| !b.is_empty());
    out
}

fn get<'a>(block: &'a [(String, String)], key: &str) -> Option<&'a str> {
    block
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

/// IOS `show lldp neighbors detail`: `Local Intf:`, `Port id:`, `System Name:` per block.
pub fn ios_lldp_detail(text: &str) -> Vec<Neighbor> {
    blocks(text)
        .iter()
        .filter_map(|b| {
            Some(Neighbor {
                local_port: get(b, "Local Intf")?.to_string(),
                device: get(b, "System Name")
                    .or_else(|| get(b, "Chassis id"))?
                    .to_string(),
                port: get(b, "Port id")?.to_string(),
            })
        })
        .collect()
}

/// `show cdp neighbors detail` (IOS, NX-OS): `Device ID:`, `Interface:`, `Port ID (outgoing
/// port):` per block.
pub fn cdp_detail(text: &str) -> Vec<Neighbor> {
    blocks(text)
        .iter()
        .filter_map(|b| {
            Some(Neighbor {
                local_port: get(b, "Interface")?.to_string(),
                device: get(b, "Device ID")?.to_string(),
                port: get(b, "Port ID (outgoing port)")?.to_string(),
            })
        })
        .collect()
}

/// Arista EOS `show lldp neighbors`: `Port  Neighbor Device ID  Neighbor Port ID  TTL`.
pub fn eos_lldp(text: &str) -> Vec<Neighbor> {
    let mut lines = text.lines();
    let Some(cols) = lines.by_ref().find_map(|l| {
        columns(
            l,
            &["Port", "Neighbor Device ID", "Neighbor Port ID", "TTL"],
        )
    }) else {
        return Vec::new();
    };
    lines
        .filter(|l| !l.trim_start().starts_with("---") && !l.trim().is_empty())
        .filter_map(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            // Columns are wide enough in practice; fall back to words when they shift.
            let n = match words.as_slice() {
                [local, device, port, _ttl] => Neighbor {
                    local_port: local.to_string(),
                    device: device.to_string(),
                    port: port.to_string(),
                },
                _ => Neighbor {
                    local_port: cell(l, cols[0], Some(cols[1])),
                    device: cell(l, cols[1], Some(cols[2])),
                    port: cell(l, cols[2], Some(cols[3])),
                },
            };
            (!n.device.is_empty()).then_some(n)
        })
        .collect()
}

/// Junos `show lldp neighbors`: `Local Interface  Parent Interface  Chassis Id  Port info
/// System Name`.
pub fn junos_lldp(text: &str) -> Vec<Neighbor> {
    let mut lines = text.lines();
    let Some(cols) = lines.by_ref().find_map(|l| {
        columns(
            l,
            &[
                "Local Interface",
                "Parent Interface",
                "Chassis Id",
                "Port info",
                "System Name",
            ],
        )
    }) else {
        return Vec::new();
    };
    lines
        .filter(|l| !l.trim().is_empty() && !l.starts_with('{'))
        .filter_map(|l| {
            let n = Neighbor {
                local_port: cell(l, cols[0], Some(cols[1])),
                port: cell(l, cols[3], Some(cols[4])),
                device: cell(l, cols[4], None),
            };
            (!n.device.is_empty() && !n.local_port.is_empty()).then_some(n)
        })
        .collect()
}

/// lldpd's `lldpcli show neighbors -f keyvalue`: `lldp.eth0.chassis.name=sw1`,
/// `lldp.eth0.port.ifname=Gi0/1` (or `port.id`), one line per value.
pub fn lldpcli_keyvalue(text: &str) -> Vec<Neighbor> {
    let mut by_port: std::collections::BTreeMap<String, (Option<String>, Option<String>)> =
        Default::default();
    for line in text.lines() {
        let Some((key, value)) = line.trim().split_once('=') else {
            continue;
        };
        let Some(rest) = key.strip_prefix("lldp.") else {
            continue;
        };
        let Some((port, field)) = rest.split_once('.') else {
            continue;
        };
        let entry = by_port.entry(port.to_string()).or_default();
        match field {
            "chassis.name" => entry.0 = Some(value.to_string()),
            "port.ifname" => entry.1 = Some(value.to_string()),
            "port.id" if entry.1.is_none() => entry.1 = Some(value.to_string()),
            _ => {}
        }
    }
    by_port
        .into_iter()
        .filter_map(|(local, (device, port))| {
            Some(Neighbor {
                local_port: local,
                device: device?,
                port: port?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(local: &str, device: &str, port: &str) -> Neighbor {
        Neighbor {
            local_port: local.into(),
            device: device.into(),
            port: port.into(),
        }
    }

    #[test]
    fn port_names_are_one_spelling() {
        for (a, b) in [
            ("Gi0/1", "GigabitEthernet0/1"),
            ("Te1/0/1", "TenGigabitEthernet1/0/1"),
            ("Et1", "Ethernet1"),
            ("Eth1/1", "Ethernet1/1"),
            ("Po10", "Port-channel10"),
            ("Fa0/1", "FastEthernet0/1"),
            ("Hu0/0/0/1", "HundredGigE0/0/0/1"),
            ("Ma1", "Management1"),
        ] {
            assert_eq!(normalize_port(a), normalize_port(b), "{a} {b}");
        }
        assert_ne!(normalize_port("Gi0/1"), normalize_port("Gi0/2"));
        assert_eq!(normalize_port("ge-0/0/0"), "ge-0/0/0");
        assert_eq!(normalize_device("SW2.example.net"), "sw2");
    }

    // The layout of Cisco's "show lldp neighbors" examples (Catalyst command references),
    // with a 20-character device ID running into the next column.
    const IOS: &str = "Capability codes:\n    (R) Router, (B) Bridge, (T) Telephone, (C) DOCSIS Cable Device\n    (W) WLAN Access Point, (P) Repeater, (S) Station, (O) Other\n\nDevice ID           Local Intf     Hold-time  Capability      Port ID\nR1                  Gi1/0/1        120        R               Gi0/0\nSW-CORE-LONGNAME-01.Gi1/0/2        120        B,R             Te1/1/1\n\nTotal entries displayed: 2\n";

    #[test]
    fn ios_summary_table() {
        let got = ios_lldp(IOS);
        assert_eq!(got[0], n("Gi1/0/1", "R1", "Gi0/0"));
        assert_eq!(got.len(), 2);
        assert_eq!(got[1].port, "Te1/1/1");
    }

    // The layout of Cisco's "show cdp neighbors detail" examples.
    const CDP: &str = "-------------------------\nDevice ID: sw2.example.com\nEntry address(es):\n  IP address: 10.1.1.2\nPlatform: cisco WS-C3850-24P,  Capabilities: Switch IGMP\nInterface: GigabitEthernet1/0/1,  Port ID (outgoing port): GigabitEthernet1/0/24\nHoldtime : 150 sec\n\n-------------------------\nDevice ID: r9\nInterface: GigabitEthernet1/0/2,  Port ID (outgoing port): Gi0/0/1\n";

    #[test]
    fn cdp_detail_blocks() {
        assert_eq!(
            cdp_detail(CDP),
            vec![
                n(
                    "GigabitEthernet1/0/1",
                    "sw2.example.com",
                    "GigabitEthernet1/0/24"
                ),
                n("GigabitEthernet1/0/2", "r9", "Gi0/0/1"),
            ]
        );
    }

    #[test]
    fn lldp_detail_eos_junos_and_lldpcli() {
        let detail = "------------------------------------------------\nLocal Intf: Gi1/0/1\nChassis id: 0050.56ff.0001\nPort id: Ethernet2\nPort Description: to-access\nSystem Name: leaf1.dc\n\n------------------------------------------------\nLocal Intf: Gi1/0/2\nChassis id: 0050.56ff.0002\nPort id: ge-0/0/1\nSystem Name: edge1\n\nTotal entries displayed: 2\n";
        assert_eq!(
            ios_lldp_detail(detail)[0],
            n("Gi1/0/1", "leaf1.dc", "Ethernet2")
        );
        let eos = "Port          Neighbor Device ID       Neighbor Port ID    TTL\n------------- ------------------------ ------------------- ---\nEt1           spine1.dc                Ethernet3           120\n";
        assert_eq!(eos_lldp(eos), vec![n("Et1", "spine1.dc", "Ethernet3")]);
        let junos = "Local Interface    Parent Interface    Chassis Id          Port info          System Name\nge-0/0/0           -                   00:05:86:71:14:00   ge-0/0/1           r2\n\n{master:0}\n";
        assert_eq!(junos_lldp(junos), vec![n("ge-0/0/0", "r2", "ge-0/0/1")]);
        let kv = "lldp.eth0.via=LLDP\nlldp.eth0.chassis.name=tor1\nlldp.eth0.port.id=Ethernet7\nlldp.eth0.port.ifname=Ethernet7\n";
        assert_eq!(lldpcli_keyvalue(kv), vec![n("eth0", "tor1", "Ethernet7")]);
        assert!(ios_lldp("% Invalid input detected").is_empty());
    }
}
