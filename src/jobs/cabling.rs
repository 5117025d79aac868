//! The cabling check: the links a plan wants (a YAML or CSV list, or a containerlab
//! topology's `links`) against the LLDP/CDP neighbour tables the devices report. Each link
//! is ok, missing, on the wrong port or to the wrong device; a neighbour no link explains is
//! unexpected. Port names are compared in one spelling (`Gi0/1` = `GigabitEthernet0/1`).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde_yaml::Value;

use crate::base::files::{self, FileKind};
use crate::base::text::escape_line;
use crate::inventory::{Device, DeviceId, Endpoint, Inventory, Link};
use crate::platforms::neighbors::{Neighbor, normalize_device, normalize_port};
use crate::platforms::profile;
use crate::ssh::{ExecError, Output};

/// Links in a plan file beyond this many are a mistake (a wrong file), not a network.
const MAX_LINKS: usize = 1_000_000;

/// Reads the desired cabling: a containerlab topology (`*.clab.yml`, through the inventory
/// loader), a CSV file (`a_device,a_port,b_device,b_port`), or YAML: a list, or `links:`,
/// of `{a: DEV:PORT, b: DEV:PORT}`, `DEV:PORT -- DEV:PORT` or `[DEV:PORT, DEV:PORT]`.
pub fn load_plan(path: &Path) -> Result<Vec<Link>, String> {
    let name = path.display().to_string();
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".clab.yml") || lower.ends_with(".clab.yaml") {
        let inv = Inventory::load(path).map_err(|e| e.to_string())?;
        return Ok(inv.links);
    }
    let text = files::read_text(path, FileKind::Inventory).map_err(|e| format!("{name}: {e}"))?;
    if lower.ends_with(".csv") {
        return parse_csv(&text, &name);
    }
    parse_yaml(&text, &name)
}

fn endpoint(text: &str, origin: &str, line: usize) -> Result<Endpoint, String> {
    let (device, port) = text
        .trim()
        .split_once(':')
        .filter(|(d, p)| !d.is_empty() && !p.is_empty())
        .ok_or_else(|| {
            format!(
                "{origin}:{line}: `{}` is not DEVICE:PORT (e.g. `sw1:Gi0/1`)",
                escape_line(text.trim())
            )
        })?;
    Ok(Endpoint {
        device: device.trim().to_string(),
        interface: port.trim().to_string(),
    })
}

fn parse_csv(text: &str, origin: &str) -> Result<Vec<Link>, String> {
    let mut links = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        if i == 0
            && cells
                .first()
                .is_some_and(|c| c.eq_ignore_ascii_case("a_device"))
        {
            continue;
        }
        let [ad, ap, bd, bp] = cells.as_slice() else {
            return Err(format!(
                "{origin}:{}: expected 4 cells `a_device,a_port,b_device,b_port`, found {}",
                i + 1,
                cells.len()
            ));
        };
        links.push(Link {
            a: endpoint(&format!("{ad}:{ap}"), origin, i + 1)?,
            b: endpoint(&format!("{bd}:{bp}"), origin, i + 1)?,
        });
        if links.len() > MAX_LINKS {
            return Err(format!("{origin}: more than {MAX_LINKS} links"));
        }
    }
    Ok(links)
}

fn parse_yaml(text: &str, origin: &str) -> Result<Vec<Link>, String> {
    let doc = crate::inventory::yaml::parse(text, origin).map_err(|e| e.to_string())?;
    let list = match doc.get("links").unwrap_or(&doc) {
        Value::Sequence(list) => list,
        _ => {
            return Err(format!(
                "{origin}: expected a list of links, or `links:` with one"
            ));
        }
    };
    let line_of = |i: usize| {
        let at = crate::inventory::locate::YamlPath::root();
        let at = match doc.get("links") {
            Some(_) => at.key("links").index(i),
            None => at.index(i),
        };
        crate::inventory::locate::locate(text, &at).0
    };
    let mut links = Vec::new();
    for (i, item) in list.iter().take(MAX_LINKS).enumerate() {
        let ends: Option<(String, String)> = match item {
            Value::String(s) => s
                .split_once("--")
                .or_else(|| s.split_once('—'))
                .map(|(a, b)| (a.to_string(), b.to_string())),
            Value::Sequence(pair) => match pair.as_slice() {
                [Value::String(a), Value::String(b)] => Some((a.clone(), b.clone())),
                _ => None,
            },
            Value::Mapping(_) => match (item.get("a"), item.get("b")) {
                (Some(Value::String(a)), Some(Value::String(b))) => Some((a.clone(), b.clone())),
                _ => item
                    .get("endpoints")
                    .and_then(Value::as_sequence)
                    .and_then(|e| match e.as_slice() {
                        [Value::String(a), Value::String(b)] => Some((a.clone(), b.clone())),
                        _ => None,
                    }),
            },
            _ => None,
        };
        // Locating re-reads the document: only for a link that is wrong.
        let (a, b) = ends.ok_or_else(|| {
            let line = line_of(i);
            format!("{origin}:{line}: a link is `{{a: sw1:Gi0/1, b: sw2:Gi0/1}}` or `sw1:Gi0/1 -- sw2:Gi0/1`")
        })?;
        let (a, b) = match (endpoint(&a, origin, 0), endpoint(&b, origin, 0)) {
            (Ok(a), Ok(b)) => (a, b),
            _ => {
                let line = line_of(i);
                (endpoint(&a, origin, line)?, endpoint(&b, origin, line)?)
            }
        };
        links.push(Link { a, b });
    }
    Ok(links)
}

/// Neighbour tables as they are read: per device name, what it sees or why it could not say.
pub type Tables = HashMap<String, Result<Vec<Neighbor>, String>>;

/// The selected devices grouped by neighbour command (LLDP and CDP on Cisco are two), and
/// the tables of devices whose platform has none (with why).
pub fn neighbor_runs(
    inventory: &Inventory,
    ids: &[DeviceId],
) -> (Vec<(String, Vec<DeviceId>)>, Tables) {
    let mut runs: BTreeMap<String, Vec<DeviceId>> = BTreeMap::new();
    let mut tables = Tables::new();
    for &id in ids {
        let Some(d) = inventory.devices.get(id) else {
            continue;
        };
        let p = profile(&d.platform);
        if p.neighbors.is_empty() {
            let why = format!(
                "platform {} has no `neighbors:` command in its platform file",
                p.name
            );
            tables.insert(d.name.clone(), Err(why));
        }
        for n in &p.neighbors {
            runs.entry(n.command.clone()).or_default().push(id);
        }
    }
    (runs.into_iter().collect(), tables)
}

/// Folds `device`'s answer to the neighbour `command` into `tables`: parsed with its
/// platform's parser; a device answers if any of its commands did (what they saw merges).
pub fn add_answer(
    tables: &mut Tables,
    device: &Device,
    command: &str,
    result: &Result<Output, ExecError>,
) {
    let parsed = match result {
        Ok(out) if out.ok() => {
            let spec = profile(&device.platform)
                .neighbors
                .iter()
                .find(|n| n.command == command);
            Ok(spec.map(|s| (s.parse)(&out.text)).unwrap_or_default())
        }
        Ok(out) => Err(format!(
            "`{command}`: {}",
            out.error_marker
                .as_deref()
                .map_or("failed".to_string(), escape_line)
        )),
        Err(e) => Err(e.to_string()),
    };
    match (tables.get_mut(&device.name), parsed) {
        // The first answer is the table, or why there is none.
        (None, parsed) => {
            tables.insert(device.name.clone(), parsed);
        }
        (Some(Ok(seen)), Ok(more)) => seen.extend(more),
        (Some(e @ Err(_)), Ok(more)) => *e = Ok(more),
        (Some(_), Err(_)) => {}
    }
}

/// What one link looks like from the devices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkState {
    Ok,
    /// Neither end sees the other on these ports.
    Missing,
    /// The right device, on another port than the plan's (`seen` is the far port).
    WrongPort {
        seen: String,
    },
    /// Another device is on the other end.
    WrongDevice {
        device: String,
        port: String,
    },
    /// Neither end could be asked (both failed or were not selected).
    Unchecked {
        why: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkCheck {
    pub link: Link,
    pub state: LinkState,
}

/// A neighbour on a port no planned link explains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unexpected {
    pub device: String,
    pub neighbor: Neighbor,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verdict {
    pub links: Vec<LinkCheck>,
    pub unexpected: Vec<Unexpected>,
    /// Per device: links checked, and how many of them are wrong (missing included).
    pub per_device: BTreeMap<String, (usize, usize)>,
}

impl Verdict {
    pub fn all_match(&self) -> bool {
        self.unexpected.is_empty() && self.links.iter().all(|l| l.state == LinkState::Ok)
    }

    /// `cabling matches the plan: 700/700 links` / `… does not match …: 694/700 links ok,
    /// 6 wrong, 2 unexpected neighbours`.
    pub fn summary(&self) -> String {
        let ok = self
            .links
            .iter()
            .filter(|l| l.state == LinkState::Ok)
            .count();
        let unchecked = self
            .links
            .iter()
            .filter(|l| matches!(l.state, LinkState::Unchecked { .. }))
            .count();
        let wrong = self.links.len() - ok - unchecked;
        let mut s = match self.all_match() {
            true => format!("cabling matches the plan: {ok}/{} links", self.links.len()),
            false => format!(
                "cabling does not match the plan: {ok}/{} links ok, {wrong} wrong",
                self.links.len()
            ),
        };
        if unchecked > 0 {
            s.push_str(&format!(", {unchecked} not checked"));
        }
        if !self.unexpected.is_empty() {
            s.push_str(&format!(
                ", {} unexpected neighbours",
                self.unexpected.len()
            ));
        }
        s
    }
}

/// A link's state as a word and, when it is wrong, what is there instead (escaped).
pub fn describe(state: &LinkState) -> (&'static str, String) {
    match state {
        LinkState::Ok => ("ok", String::new()),
        LinkState::Missing => ("missing", "neither end sees the other".into()),
        LinkState::WrongPort { seen } => {
            ("wrong-port", format!("far end is on {}", escape_line(seen)))
        }
        LinkState::WrongDevice { device, port } => (
            "wrong-device",
            format!(
                "{}:{} is there instead",
                escape_line(device),
                escape_line(port)
            ),
        ),
        LinkState::Unchecked { why } => ("unchecked", escape_line(why)),
    }
}

/// Per device: how many planned links were checked, and one line per wrong link or
/// unexpected neighbour, seen from that device (`Et1 -- sw2:Et1  wrong-port: far end is on
/// Et4`), names escaped: for the dashboard's tiles and detail pane.
pub fn per_device_lines(v: &Verdict) -> BTreeMap<String, (usize, Vec<String>)> {
    let mut out: BTreeMap<String, (usize, Vec<String>)> = BTreeMap::new();
    for (dev, (checked, _)) in &v.per_device {
        out.entry(dev.clone()).or_default().0 = *checked;
    }
    for l in &v.links {
        if l.state == LinkState::Ok || matches!(l.state, LinkState::Unchecked { .. }) {
            continue;
        }
        let (kind, why) = describe(&l.state);
        for (near, far) in [(&l.link.a, &l.link.b), (&l.link.b, &l.link.a)] {
            let line = format!(
                "{} -- {}:{}  {kind}: {why}",
                escape_line(&near.interface),
                escape_line(&far.device),
                escape_line(&far.interface)
            );
            out.entry(near.device.clone()).or_default().1.push(line);
        }
    }
    for u in &v.unexpected {
        let line = format!(
            "{} -- {}:{}  unexpected: not in the plan",
            escape_line(&u.neighbor.local_port),
            escape_line(&u.neighbor.device),
            escape_line(&u.neighbor.port)
        );
        out.entry(u.device.clone()).or_default().1.push(line);
    }
    out
}

/// Whether `seen` (a name as LLDP/CDP printed it: maybe with a domain, maybe cut at 20
/// characters by IOS) names the inventory device `name`.
fn same_device(seen: &str, name: &str) -> bool {
    let (seen, name) = (normalize_device(seen), normalize_device(name));
    seen == name || (seen.chars().count() >= 19 && name.starts_with(&seen))
}

/// Compares `plan` with the neighbour tables (`Err`: why a device's table is missing).
pub fn compare(plan: &[Link], tables: &HashMap<String, Result<Vec<Neighbor>, String>>) -> Verdict {
    let table = |dev: &str| tables.get(dev);
    let at = |dev: &str, port: &str| -> Option<&Neighbor> {
        let port = normalize_port(port);
        table(dev)?
            .as_ref()
            .ok()?
            .iter()
            .find(|n| normalize_port(&n.local_port) == port)
    };
    let answered = |dev: &str| table(dev).is_some_and(Result::is_ok);
    let mut verdict = Verdict::default();
    let mut explained: std::collections::HashSet<(String, String)> = Default::default();
    for link in plan {
        let (a, b) = (&link.a, &link.b);
        explained.insert((a.device.clone(), normalize_port(&a.interface)));
        explained.insert((b.device.clone(), normalize_port(&b.interface)));
        let look = |from: &Endpoint, to: &Endpoint| -> Option<LinkState> {
            let n = at(&from.device, &from.interface)?;
            Some(match same_device(&n.device, &to.device) {
                true if normalize_port(&n.port) == normalize_port(&to.interface) => LinkState::Ok,
                true => LinkState::WrongPort {
                    seen: n.port.clone(),
                },
                false => LinkState::WrongDevice {
                    device: n.device.clone(),
                    port: n.port.clone(),
                },
            })
        };
        let state = match (answered(&a.device), answered(&b.device)) {
            (false, false) => {
                let why = |e: &Endpoint| match table(&e.device) {
                    Some(Err(why)) => format!("{}: {why}", e.device),
                    _ => format!("{}: not selected", e.device),
                };
                LinkState::Unchecked {
                    why: format!("{}; {}", why(a), why(b)),
                }
            }
            // An end that sees nothing on its port may be one without LLDP: the other
            // end's view decides then.
            _ => look(a, b)
                .or_else(|| look(b, a))
                .unwrap_or(LinkState::Missing),
        };
        for end in [a, b] {
            if answered(&end.device) || !matches!(state, LinkState::Unchecked { .. }) {
                let entry = verdict.per_device.entry(end.device.clone()).or_default();
                entry.0 += 1;
                entry.1 += usize::from(state != LinkState::Ok);
            }
        }
        verdict.links.push(LinkCheck {
            link: link.clone(),
            state,
        });
    }
    // Neighbours on planned devices that no link accounts for.
    let planned: std::collections::HashSet<&str> = plan
        .iter()
        .flat_map(|l| [l.a.device.as_str(), l.b.device.as_str()])
        .collect();
    let mut names: Vec<&String> = tables.keys().collect();
    names.sort();
    for dev in names {
        let Some(Ok(neighbors)) = tables.get(dev.as_str()) else {
            continue;
        };
        if !planned.contains(dev.as_str()) {
            continue;
        }
        for n in neighbors {
            if !explained.contains(&(dev.clone(), normalize_port(&n.local_port))) {
                verdict.unexpected.push(Unexpected {
                    device: dev.clone(),
                    neighbor: n.clone(),
                });
            }
        }
    }
    verdict
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(a: &str, b: &str) -> Link {
        let e = |s: &str| {
            let (d, p) = s.split_once(':').unwrap();
            Endpoint {
                device: d.into(),
                interface: p.into(),
            }
        };
        Link { a: e(a), b: e(b) }
    }

    fn n(local: &str, device: &str, port: &str) -> Neighbor {
        Neighbor {
            local_port: local.into(),
            device: device.into(),
            port: port.into(),
        }
    }

    #[test]
    fn each_kind_of_mistake_is_named() {
        let plan = vec![
            link("sw1:Gi0/1", "sw2:Gi0/1"), // ok (short and long names)
            link("sw1:Gi0/2", "sw3:Gi0/1"), // wrong port on sw3
            link("sw1:Gi0/3", "sw4:Gi0/1"), // wrong device: sw5 is there
            link("sw1:Gi0/4", "sw2:Gi0/4"), // missing
            link("sw2:Gi0/9", "srv1:eth0"), // ok, seen only from sw2 (srv1 has no LLDP)
            link("sw8:Gi0/1", "sw9:Gi0/1"), // neither answered
        ];
        let mut tables = HashMap::new();
        tables.insert(
            "sw1".to_string(),
            Ok(vec![
                n("GigabitEthernet0/1", "sw2.lab.example", "Gi0/1"),
                n("Gi0/2", "sw3", "Gi0/7"),
                n("Gi0/3", "sw5", "Gi0/1"),
                n("Gi0/5", "rogue", "eth0"),
            ]),
        );
        tables.insert(
            "sw2".to_string(),
            Ok(vec![n("Gi0/1", "sw1", "Gi0/1"), n("Gi0/9", "srv1", "eth0")]),
        );
        tables.insert("srv1".to_string(), Ok(vec![]));
        tables.insert("sw8".to_string(), Err("auth: failed".into()));
        let v = compare(&plan, &tables);
        let states: Vec<&LinkState> = v.links.iter().map(|l| &l.state).collect();
        assert_eq!(states[0], &LinkState::Ok);
        assert_eq!(
            states[1],
            &LinkState::WrongPort {
                seen: "Gi0/7".into()
            }
        );
        assert_eq!(
            states[2],
            &LinkState::WrongDevice {
                device: "sw5".into(),
                port: "Gi0/1".into()
            }
        );
        assert_eq!(states[3], &LinkState::Missing);
        assert_eq!(states[4], &LinkState::Ok);
        assert!(
            matches!(states[5], LinkState::Unchecked { why } if why.contains("sw8: auth: failed") && why.contains("sw9: not selected"))
        );
        assert_eq!(v.unexpected.len(), 1);
        assert_eq!(v.unexpected[0].neighbor.device, "rogue");
        assert_eq!(v.per_device["sw1"], (4, 3));
        assert!(!v.all_match());
        assert_eq!(
            v.summary(),
            "cabling does not match the plan: 2/6 links ok, 3 wrong, 1 not checked, 1 unexpected neighbours"
        );
    }

    #[test]
    fn a_device_that_did_not_answer_leaves_its_links_unchecked_not_missing() {
        let sw1 = crate::testkit::device("sw1", "127.0.0.1", &[]);
        let sw2 = crate::testkit::device("sw2", "127.0.0.2", &[]);
        let refused = Err(ExecError {
            stage: crate::ssh::Stage::Auth,
            maybe_ran: false,
            reason: "authentication failed".into(),
        });
        let mut tables = Tables::default();
        add_answer(&mut tables, &sw1, "show lldp neighbors", &refused);
        add_answer(&mut tables, &sw2, "show lldp neighbors", &refused);
        assert!(tables["sw1"].is_err());
        let v = compare(&[link("sw1:Gi0/1", "sw2:Gi0/1")], &tables);
        assert!(
            matches!(&v.links[0].state, LinkState::Unchecked { why } if why.contains("authentication failed")),
            "{:?}",
            v.links[0].state
        );
        // A later command that answers replaces the error.
        let answered = Ok(Output {
            text: "Device ID           Local Intf     Hold-time  Capability      Port ID\nsw2                 Gi0/1          120        R               Gi0/1\n".into(),
            ..Output::default()
        });
        add_answer(&mut tables, &sw1, "show lldp neighbors", &answered);
        assert_eq!(
            compare(&[link("sw1:Gi0/1", "sw2:Gi0/1")], &tables).links[0].state,
            LinkState::Ok
        );
    }

    #[test]
    fn plans_read_from_yaml_and_csv_with_positions() {
        let yaml = "links:\n  - {a: 'sw1:Gi0/1', b: 'sw2:Gi0/1'}\n  - sw1:Gi0/2 -- sw3:Et1\n  - [sw1:Gi0/3, sw4:eth1]\n  - {endpoints: ['r1:eth1', 'r2:eth1']}\n";
        let links = parse_yaml(yaml, "plan.yaml").unwrap();
        assert_eq!(links.len(), 4);
        assert_eq!(links[1], link("sw1:Gi0/2", "sw3:Et1"));
        let err = parse_yaml("links:\n  - {a: sw1}\n", "plan.yaml").unwrap_err();
        assert!(err.starts_with("plan.yaml:2:"), "{err}");
        let csv = "a_device,a_port,b_device,b_port\nsw1,Gi0/1,sw2,Gi0/1\n# note\nsw1,Gi0/2,sw3\n";
        let err = parse_csv(csv, "plan.csv").unwrap_err();
        assert!(err.starts_with("plan.csv:4: expected 4 cells"), "{err}");
        assert_eq!(
            parse_csv(&csv[..csv.len() - 14], "plan.csv").unwrap().len(),
            1
        );
    }
}
