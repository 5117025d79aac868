//! fleetdash's own format read straight from plain block YAML (the subset `block_yaml`
//! reads: the shape generated inventories have) into raw levels, each device resolved as
//! soon as it is read: no YAML tree, no positions, no device list kept twice.
//!
//! For valid inventories only. Anything the general path (`yaml` → `schema` → `graph` →
//! `resolve`) would report, and anything this reader is not sure of, makes it give up
//! (`None`); the caller then takes the general path, which says what is wrong and where.
//! Values are checked by the same functions as there, and a property test holds the two
//! paths to the same `Inventory` on generated, odd and hostile inventories.

use std::collections::{BTreeMap, HashSet};

use super::address::{canonical, check_host};
use super::block_yaml::{self, Below, Item, Lines, Scalar};
use super::graph;
use super::level::{ATTR_FIELDS, TOP_FIELDS};
use super::locate::YamlPath;
use super::model::{Device, Inventory};
use super::raw::{Attrs, NameRef, RawDevice, RawGroup, RawInventory};
use super::report::Report;
use super::resolve::{self, Resolver};
use super::values;

/// A value as a reader of the own format sees it.
#[derive(Clone, Copy)]
enum Val<'a> {
    Scalar(Scalar<'a>),
    /// A block mapping at this indentation.
    Map(usize),
    /// A block sequence at this indentation.
    Seq(usize),
}

/// The inventory in `text`, if it is valid and in the subset; `origin` becomes its source.
pub(crate) fn load(text: &str, origin: &str) -> Option<Inventory> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = Lines::new(text)?;
    if lines.peek()?.indent != 0 {
        return None;
    }
    let mut raw = RawInventory::default();
    let mut devices: Option<Devices> = None;
    let mut seen = Seen::default();
    while let Some((key, value)) = block_yaml::next_entry(&mut lines, 0) {
        let value = val(&lines, 0, value)?;
        seen.once(key)?;
        match key {
            "defaults" => raw.defaults = attrs(&mut lines, value, |_, _, _| None)?,
            "groups" => raw.groups = groups(&mut lines, value)?,
            "devices" => {
                let Val::Seq(indent) = value else {
                    return None;
                };
                // Resolved as they are read, against the groups and defaults read so far.
                let start = lines.clone();
                let read = read_devices(&mut lines, indent, &raw, text);
                if read.is_none() {
                    // Perhaps they list groups defined further down: read them again then.
                    lines = start.clone();
                    skip(&mut lines, indent);
                }
                devices = Some(Devices {
                    start,
                    indent,
                    end: lines.left(),
                    read,
                });
                continue;
            }
            _ => return None,
        }
        if let Some(devices) = &mut devices {
            // Read before these groups or defaults: again, at the end.
            devices.read = None;
        }
    }
    if !lines.done() {
        return None;
    }
    let Devices {
        mut start,
        indent,
        end,
        read,
    } = devices?;
    let devices = match read {
        Some(devices) => devices,
        None => {
            let devices = read_devices(&mut start, indent, &raw, text)?;
            (start.left() == end).then_some(devices)?
        }
    };
    Some(Inventory {
        source: origin.to_owned(),
        devices,
        groups: resolve::groups(&raw.groups),
        ..Inventory::default()
    })
}

/// Where the `devices` list is, and the devices, if they were resolved against every group
/// and the defaults.
struct Devices<'a> {
    start: Lines<'a>,
    indent: usize,
    /// [`Lines::left`] after the list.
    end: usize,
    read: Option<Vec<Device>>,
}

/// The devices of the list at `indent`, each checked and resolved as it is read.
fn read_devices(
    lines: &mut Lines,
    indent: usize,
    raw: &RawInventory,
    text: &str,
) -> Option<Vec<Device>> {
    // Unknown parents and cycles; the devices' own cross-checks are made here.
    let mut report = Report::new(text);
    graph::check(raw, &mut report);
    if !report.is_empty() {
        return None;
    }
    let mut resolver = Resolver::new(&raw.defaults, &raw.groups);
    let count = lines.count_items(indent);
    let mut names = HashSet::with_capacity(count);
    let mut out = Vec::with_capacity(count);
    items(lines, indent, |lines, item| {
        let (name, device) = match item {
            Item::Entry { indent, key, value } => device(lines, indent, Some((key, value)))?,
            Item::Below => match lines.peek() {
                Some(next) if next.indent > indent && !block_yaml::is_item(next.text) => {
                    device(lines, next.indent, None)?
                }
                _ => return None,
            },
            Item::Scalar(_) => return None,
        };
        let known = device.groups.iter().all(|g| resolver.knows(&g.name));
        if !known || !names.insert(name) {
            return None;
        }
        out.push(resolver.device(device));
        Some(())
    })?;
    Some(out)
}

/// Keys already read in one mapping (a repeated key is an error the general path reports);
/// `None` for a key no level has.
#[derive(Default)]
struct Seen(u32);

// One bit per key in `Seen`.
const _: () = assert!(TOP_FIELDS.len() + 3 + ATTR_FIELDS.len() <= 32);

impl Seen {
    fn once(&mut self, key: &str) -> Option<()> {
        // Every key some level has: the top level's, a device's and a group's own, and the
        // attributes all levels share (their lists are in `level`).
        let own = ["name", "host", "parents"];
        let mut keys = TOP_FIELDS.iter().chain(&own).chain(ATTR_FIELDS);
        let bit = 1u32 << keys.position(|k| *k == key)?;
        if self.0 & bit != 0 {
            return None;
        }
        self.0 |= bit;
        Some(())
    }
}

/// The value of an entry at `indent` whose text after `key:` is `text`.
fn val<'a>(lines: &Lines<'a>, indent: usize, text: &'a str) -> Option<Val<'a>> {
    Some(match block_yaml::value_below(lines, indent, text)? {
        Below::Scalar(s) => Val::Scalar(s),
        Below::List => Val::Seq(indent),
        Below::Node(at) => match lines.peek() {
            Some(line) if block_yaml::is_item(line.text) => Val::Seq(at),
            _ => Val::Map(at),
        },
    })
}

/// Calls `each` with every entry of the mapping at `indent` (`first` already read off a
/// `- ` line); `each` reads the value's lines.
fn entries<'a>(
    lines: &mut Lines<'a>,
    indent: usize,
    first: Option<(&'a str, &'a str)>,
    mut each: impl FnMut(&mut Lines<'a>, &'a str, Val<'a>) -> Option<()>,
) -> Option<()> {
    let mut pending = first;
    while let Some((key, text)) = pending
        .take()
        .or_else(|| block_yaml::next_entry(lines, indent))
    {
        let value = val(lines, indent, text)?;
        each(lines, key, value)?;
    }
    Some(())
}

/// Calls `each` with every item of the sequence at `indent`.
fn items<'a>(
    lines: &mut Lines<'a>,
    indent: usize,
    mut each: impl FnMut(&mut Lines<'a>, Item<'a>) -> Option<()>,
) -> Option<()> {
    while let Some(line) = lines.peek() {
        if line.indent < indent {
            break;
        }
        if line.indent > indent {
            return None;
        }
        if !block_yaml::is_item(line.text) {
            break;
        }
        lines.advance();
        each(lines, block_yaml::item(line, indent)?)?;
    }
    Some(())
}

/// Moves past the sequence at `indent` and whatever is nested in it (a reading of it finds
/// anything out of place).
fn skip(lines: &mut Lines, indent: usize) {
    while let Some(line) = lines.peek() {
        if line.indent < indent || (line.indent == indent && !block_yaml::is_item(line.text)) {
            break;
        }
        lines.advance();
    }
}

/// A value written as a string: strings as they are, numbers as written.
fn text(value: Val) -> Option<String> {
    match value {
        Val::Scalar(Scalar::Str(s) | Scalar::Int { text: s, .. }) => Some(s.to_owned()),
        _ => None,
    }
}

/// The attributes of `defaults` or a group: entries `other` does not take are attributes.
fn attrs<'a>(
    lines: &mut Lines<'a>,
    value: Val<'a>,
    mut other: impl FnMut(&mut Lines<'a>, &'a str, Val<'a>) -> Option<Option<()>>,
) -> Option<Attrs> {
    let mut attrs = Attrs::default();
    match value {
        Val::Scalar(Scalar::Null) => {}
        Val::Map(indent) => {
            let mut seen = Seen::default();
            entries(lines, indent, None, |lines, key, value| {
                seen.once(key)?;
                match other(lines, key, value) {
                    Some(done) => done,
                    None => attr(lines, &mut attrs, key, value),
                }
            })?
        }
        _ => return None,
    }
    Some(attrs)
}

fn groups(lines: &mut Lines, value: Val) -> Option<Vec<RawGroup>> {
    let mut groups = Vec::new();
    let indent = match value {
        Val::Scalar(Scalar::Null) => return Some(groups),
        Val::Map(indent) => indent,
        _ => return None,
    };
    let mut names = HashSet::new();
    entries(lines, indent, None, |lines, name, body| {
        values::check_name(name, "group").ok()?;
        if !names.insert(name) {
            return None;
        }
        let mut parents = Vec::new();
        let attrs = attrs(lines, body, |lines, key, value| {
            (key == "parents").then(|| {
                parents = group_names(lines, value)?;
                Some(())
            })
        })?;
        groups.push(RawGroup {
            name: name.to_owned(),
            parents,
            attrs,
        });
        Some(())
    })?;
    Some(groups)
}

/// One device: its name as written, and what was read.
fn device<'a>(
    lines: &mut Lines<'a>,
    indent: usize,
    first: Option<(&'a str, &'a str)>,
) -> Option<(&'a str, RawDevice)> {
    let mut name = None;
    let mut host = None;
    let mut groups = Vec::new();
    let mut attrs = Attrs::default();
    let mut seen = Seen::default();
    entries(lines, indent, first, |lines, key, value| {
        seen.once(key)?;
        match (key, value) {
            ("name", Val::Scalar(Scalar::Str(s) | Scalar::Int { text: s, .. })) => {
                values::check_name(s, "device").ok()?;
                name = Some(s);
            }
            ("host", Val::Scalar(Scalar::Str(s) | Scalar::Int { text: s, .. })) => {
                check_host(s).ok()?;
                host = Some(canonical(s.to_owned()));
            }
            ("groups", _) => groups = group_names(lines, value)?,
            ("name" | "host" | "parents" | "defaults" | "devices", _) => return None,
            _ => attr(lines, &mut attrs, key, value)?,
        }
        Some(())
    })?;
    let name = name?;
    Some((
        name,
        RawDevice {
            name: name.to_owned(),
            name_at: YamlPath::root(),
            host: host?,
            groups,
            attrs,
        },
    ))
}

/// A `groups:` or `parents:` list.
fn group_names(lines: &mut Lines, value: Val) -> Option<Vec<NameRef>> {
    let mut names = Vec::new();
    match value {
        Val::Scalar(Scalar::Null) => {}
        Val::Seq(indent) => items(lines, indent, |_, item| {
            let Item::Scalar(Scalar::Str(s) | Scalar::Int { text: s, .. }) = item else {
                return None;
            };
            names.push(NameRef {
                name: s.to_owned(),
                at: YamlPath::root(),
            });
            Some(())
        })?,
        _ => return None,
    }
    Some(names)
}

/// One attribute any level may set, checked as `fields::read_attrs` checks it.
fn attr<'a>(lines: &mut Lines<'a>, attrs: &mut Attrs, key: &str, value: Val<'a>) -> Option<()> {
    let scalar = match value {
        Val::Scalar(s) => Some(s),
        _ => None,
    };
    match key {
        "port" => attrs.port = Some(values::port(&scalar?.to_value()).ok()?),
        "probe" => match scalar? {
            Scalar::Str(s) => attrs.probe = Some(values::probe_text(s).ok()?),
            _ => return None,
        },
        "probe_interval" => match scalar? {
            Scalar::Str(s) => attrs.probe_interval = Some(values::probe_interval_text(s).ok()?),
            _ => return None,
        },
        "down_after" => attrs.down_after = Some(values::damping(&scalar?.to_value(), key).ok()?),
        "up_after" => attrs.up_after = Some(values::damping(&scalar?.to_value(), key).ok()?),
        "platform" => {
            let platform = text(value)?;
            values::check_platform(&platform).ok()?;
            attrs.platform = Some(platform);
        }
        "username" => attrs.username = Some(text(value)?),
        "key_file" => attrs.key_file = Some(text(value)?.into()),
        "password_env" | "key_passphrase_env" => {
            let name = text(value)?;
            values::check_env_name(key, &name).ok()?;
            match key {
                "password_env" => attrs.password_env = Some(name),
                _ => attrs.key_passphrase_env = Some(name),
            }
        }
        "agent" | "legacy_ssh" => {
            let Some(Scalar::Bool(b)) = scalar else {
                return None;
            };
            match key {
                "agent" => attrs.agent = Some(b),
                _ => attrs.legacy_ssh = Some(b),
            }
        }
        "jump" => attrs.jump = Some(jump(lines, value)?),
        "tags" => attrs.tags = tags(lines, value)?,
        _ => return None,
    }
    Some(())
}

/// `jump:` as one hop, a comma list, `none`, or a list of hops.
fn jump(lines: &mut Lines, value: Val) -> Option<Vec<String>> {
    let mut hops = Vec::new();
    let mut hop = |h: &str| {
        let h = h.trim();
        values::check_jump_hop(h).ok()?;
        hops.push(h.to_owned());
        Some(())
    };
    match value {
        Val::Scalar(Scalar::Str("none")) => {}
        Val::Scalar(Scalar::Str(s)) => s.split(',').try_for_each(&mut hop)?,
        Val::Seq(indent) => items(lines, indent, |_, item| match item {
            Item::Scalar(Scalar::Str(s)) => hop(s),
            _ => None,
        })?,
        _ => return None,
    }
    Some(hops)
}

fn tags(lines: &mut Lines, value: Val) -> Option<BTreeMap<String, String>> {
    let mut tags = BTreeMap::new();
    match value {
        Val::Scalar(Scalar::Null) => {}
        Val::Map(indent) => entries(lines, indent, None, |_, key, value| {
            values::check_tag_key(key).ok()?;
            let value = match value {
                Val::Scalar(Scalar::Null) => String::new(),
                Val::Scalar(Scalar::Bool(b)) => b.to_string(),
                other => text(other)?,
            };
            tags.insert(key.to_owned(), value).is_none().then_some(())
        })?,
        _ => return None,
    }
    Some(tags)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn general(text: &str) -> Result<Inventory, String> {
        Inventory::from_yaml_general(text, "t.yaml").map_err(|e| format!("{e}\n{:?}", e.problems()))
    }

    fn public(text: &str) -> Result<Inventory, String> {
        Inventory::from_yaml(text, "t.yaml").map_err(|e| format!("{e}\n{:?}", e.problems()))
    }

    /// Both paths agree: the fast one reads only what the general one reads the same, and
    /// every error comes out as before.
    fn same(text: &str) -> Result<bool, TestCaseError> {
        let fast = load(text, "t.yaml");
        let slow = general(text);
        if let Some(fast) = &fast {
            prop_assert_eq!(Ok(fast), slow.as_ref(), "{}", text);
        }
        prop_assert_eq!(public(text), slow, "{}", text);
        Ok(fast.is_some())
    }

    const GENERATED: &str = "# Generated by `fleetdash lab`\ndefaults:\n  username: admin\n  \
        password_env: FLEETDASH_PASSWORD\ngroups:\n  role-host:\n    tags:\n      role: host\n  \
        site-b:\n    parents:\n    - all-lab\n    probe_interval: 10s\n  all-lab:\ndevices:\n\
        - name: b-host1\n  host: 127.24.0.1\n  port: 2222\n  platform: linux\n  probe: tcp:2222\n  \
        groups:\n  - site-b\n  - role-host\n  tags:\n    role: host\n    site: b\n\
        - name: b-host2   # second\n  host: fd00::2\n  jump:\n  - b-host1\n  - admin@127.0.0.9:2200\n  \
        agent: true\n  tags:\n    serial: 12\n    spare:\n    up: False\n";

    #[test]
    fn a_generated_inventory_is_read_here_as_the_general_path_reads_it() {
        let fast = load(GENERATED, "t.yaml").expect("valid and in the subset");
        assert_eq!(Ok(fast.clone()), general(GENERATED));
        let host2 = &fast.devices[1];
        assert_eq!(host2.host, "fd00::2");
        assert_eq!(host2.jump, ["b-host1", "admin@127.0.0.9:2200"]);
        assert_eq!(host2.tags["up"], "false");
        assert_eq!(
            *fast.devices[0].all_groups,
            ["site-b", "all-lab", "role-host"]
        );
        // Devices whose tags their groups already give share the map.
        let more = GENERATED.replace(
            "devices:\n",
            "devices:\n- name: b-host0\n  host: 127.24.0.3\n  \
            groups: \n  - site-b\n  - role-host\n  tags:\n    role: host\n    site: b\n",
        );
        let inv = load(&more, "t.yaml").unwrap();
        assert!(std::sync::Arc::ptr_eq(
            &inv.devices[0].tags,
            &inv.devices[1].tags
        ));
    }

    #[test]
    fn what_the_general_path_reports_is_left_to_it() {
        for (from, to) in [
            ("port: 2222", "port: 0"),
            ("port: 2222", "port: '2222'"),
            ("probe: tcp:2222", "probe: tcp"),
            ("  - role-host\n", "  - role-hots\n"),
            ("    - all-lab\n", "    - site-b\n"),
            ("b-host2", "b-host1"),
            ("b-host2", "b_host2!"),
            ("127.24.0.1", "127.24.0.1:22"),
            ("username: admin", "password: admin"),
            ("username: admin", "username:"),
            ("agent: true", "agent: yes"),
            ("    serial: 12\n", "    serial: 12\n    serial: 13\n"),
            ("  all-lab:\n", "  all-lab:\n  role-host:\n"),
            ("  platform: linux", "  platform: Linux"),
            ("  platform: linux", "  hostname: linux"),
            ("admin@127.0.0.9:2200", "admin@127.0.0.9:2200, "),
            ("role: host\n    site: b", "role: host\n    a=b: b"),
            ("devices:\n", "devices:\n- 1\n"),
            ("devices:\n", "devices:\n-\n"),
            ("  host: 127.24.0.1\n", ""),
            ("  host: 127.24.0.1\n", "  host: 127.24.0.1\n   x: 1\n"),
            ("  host: 127.24.0.1\n", "  host: 127.24.0.1\n - x\n"),
            ("  host: 127.24.0.1\n", "  host: 127.24.0.1\n\u{1}\n"),
        ] {
            assert!(GENERATED.contains(from), "{from}");
            let text = GENERATED.replacen(from, to, 1);
            assert!(load(&text, "t.yaml").is_none(), "{text}");
            assert_eq!(public(&text), general(&text), "{text}");
        }
    }

    /// Picks one of `options` (an index chosen by the strategy).
    fn pick<'a>(options: &'a [&'a str], i: usize) -> &'a str {
        options[i % options.len()]
    }

    /// An index that is mostly small: the first options are the valid ones.
    fn mostly_valid() -> impl Strategy<Value = usize> {
        prop_oneof![12 => 0usize..2, 1 => 0usize..12]
    }

    /// A value for `key`: the first two valid, then invalid ones, and forms only the general
    /// path reads.
    fn attr_line(key: &str, i: usize) -> String {
        let values: &[&str] = match key {
            "port" => &["22", "2222", "0", "70000", "ssh", "'22'", "-1", "022"],
            "platform" => &["linux", "cisco_ios", "Cisco", "123", "cisco__ios"],
            "username" => &["admin", "123", "null", "true", "\"x y\"", ""],
            "password_env" | "key_passphrase_env" => {
                &["FLEETDASH_PASSWORD", "_X", "bad-name", "1", "~"]
            }
            "key_file" => &["/keys/id", "k", "~/.ssh/id", "[k]"],
            "agent" | "legacy_ssh" => &["true", "False", "yes", "1", "~"],
            "probe" => &["icmp", "tcp:22", "tcp:0", "udp:53", "ICMP", "22", "tcp"],
            "probe_interval" => &["10s", "1m", "10", "5ms", "2h", "soon"],
            "down_after" | "up_after" => &["3", "100", "0", "101", "x", "-1"],
            "jump" => &[
                "b1",
                "admin@127.0.0.9:2200",
                "none",
                "b1, b2",
                "bad hop",
                "1",
                "b1,",
                "-x",
            ],
            _ => &["x", "1"],
        };
        format!("{key}: {}", pick(values, i)).trim_end().to_owned()
    }

    /// Attributes, the last two refused everywhere.
    const ATTRS: &[&str] = &[
        "port",
        "platform",
        "username",
        "password_env",
        "key_passphrase_env",
        "key_file",
        "agent",
        "legacy_ssh",
        "probe",
        "probe_interval",
        "down_after",
        "up_after",
        "jump",
        "hostname",
        "password",
    ];
    /// Group names, the first four valid.
    const NAMES: &[&str] = &["core", "edge", "site-a", "a.b_c", "all", "2024", "bad name"];

    /// The lines of a mapping's body (depth, text): attributes, tags, a name list.
    fn body(level: &str, (picks, tags, list): &Level) -> Vec<(usize, String)> {
        let mut keys = HashSet::new();
        let mut out: Vec<(usize, String)> = picks
            .iter()
            .map(|&(k, v)| (pick(ATTRS, k), v))
            .filter(|(k, _)| keys.insert(*k))
            .map(|(k, v)| (0, attr_line(k, v)))
            .collect();
        if !tags.is_empty() {
            out.push((0, "tags:".into()));
            let mut keys = HashSet::new();
            for &(k, v) in tags {
                let key = pick(&["site", "role", "rack", "a=b", "-x"], k);
                let value = pick(&["ams", "12", "true", "", "[x]", "'q'"], v);
                if keys.insert(key) {
                    out.push((1, format!("{key}: {value}").trim_end().to_owned()));
                }
            }
        }
        if let Some(list) = list {
            let key = if level == "group" {
                "parents"
            } else {
                "groups"
            };
            out.push((0, format!("{key}:")));
            for &g in list {
                out.push((1, format!("- {}", pick(NAMES, g))));
            }
        }
        out
    }

    /// Writes nested lines with an indentation step; with `flat`, lists line up with their
    /// key.
    fn render(lines: &[(usize, String)], base: usize, step: usize, flat: bool, out: &mut String) {
        for (depth, text) in lines {
            let depth = if text.starts_with("- ") && flat {
                depth - 1
            } else {
                *depth
            };
            out.push_str(&" ".repeat(base + depth * step));
            out.push_str(text);
            out.push('\n');
        }
    }

    /// A level's attribute picks (key, value), tag picks, and group list.
    type Level = (Vec<(usize, usize)>, Vec<(usize, usize)>, Option<Vec<usize>>);

    fn level() -> impl Strategy<Value = Level> {
        (
            prop::collection::vec((0usize..15, mostly_valid()), 0..4),
            prop::collection::vec(
                (prop_oneof![9 => 0usize..3, 1 => 0usize..5], mostly_valid()),
                0..3,
            ),
            prop_oneof![
                2 => Just(None),
                1 => prop::collection::vec(prop_oneof![12 => 0usize..2, 1 => 0usize..7], 0..3).prop_map(Some),
            ],
        )
    }

    fn inventory() -> impl Strategy<Value = String> {
        (
            prop::option::of(level()),
            prop::collection::vec(
                (
                    prop_oneof![12 => Just(None), 1 => (0usize..7).prop_map(Some)],
                    level(),
                ),
                0..5,
            ),
            prop::collection::vec((0usize..40, mostly_valid(), level(), 0u8..4), 1..6),
            (1usize..5, any::<bool>(), any::<bool>(), any::<bool>()),
        )
            .prop_map(
                |(defaults, groups, devices, (step, flat, comments, last))| {
                    let mut top = Vec::new();
                    if let Some(level) = defaults {
                        let mut out = String::from("defaults:\n");
                        render(&body("defaults", &level), step, step, false, &mut out);
                        top.push(out);
                    }
                    if !groups.is_empty() {
                        let mut out = String::from("groups:\n");
                        for (i, (name, level)) in groups.iter().enumerate() {
                            // In order, so that devices mostly list groups that exist.
                            let name = pick(NAMES, name.unwrap_or(i));
                            out.push_str(&format!("{}{name}:\n", " ".repeat(step)));
                            render(&body("group", level), 2 * step, step, flat, &mut out);
                        }
                        top.push(out);
                    }
                    let mut out = String::from("devices:\n");
                    let item = if flat { 0 } else { step };
                    for (i, (name, host, level, form)) in devices.iter().enumerate() {
                        let name = match name {
                            0..34 => format!("r{i}"),
                            _ => {
                                pick(&["r0", "7", "x y", "edge.1", "'q'", "a:b"], *name).to_owned()
                            }
                        };
                        let host = pick(
                            &[
                                "127.0.0.1",
                                "r1.lab",
                                "fd00::1",
                                "::1",
                                "h:22",
                                "1.2.3",
                                "[::1]",
                            ],
                            *host,
                        );
                        let mut lines =
                            vec![(0, format!("name: {name}")), (0, format!("host: {host}"))];
                        lines.extend(body("device", level));
                        if *form == 3 {
                            lines.rotate_left(1);
                        }
                        let inner = item + 2;
                        if *form == 2 {
                            out.push_str(&format!("{}-\n", " ".repeat(item)));
                            render(&lines, inner, step, flat, &mut out);
                        } else {
                            out.push_str(&format!("{}- {}", " ".repeat(item), lines[0].1));
                            out.push_str(if comments { "  # device\n" } else { "\n" });
                            render(&lines[1..], inner, step, flat, &mut out);
                        }
                    }
                    // Devices last, as generated, or first.
                    if last {
                        top.push(out);
                    } else {
                        top.insert(0, out);
                    }
                    let head = if comments { "# inventory\n\n" } else { "" };
                    format!("{head}{}", top.concat())
                },
            )
    }

    /// `text` with a few random edits: lines swapped, dropped, repeated or cut.
    fn edited() -> impl Strategy<Value = String> {
        let edit = (
            any::<prop::sample::Index>(),
            0u8..5,
            prop::sample::select(vec![
                "", " ", "  ", "- ", ":", "#", " #", "\t", "\u{0}", "é", "[", "{a: 1}", "&a ",
                "*a", "---", "\r",
            ]),
        );
        (inventory(), prop::collection::vec(edit, 1..3)).prop_map(|(text, edits)| {
            let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
            for (at, kind, piece) in edits {
                let i = at.index(lines.len());
                match kind {
                    0 => lines.insert(i, lines[i].clone()),
                    1 => drop(lines.remove(i)),
                    2 => lines[i].insert_str(0, piece),
                    3 => lines[i].push_str(piece),
                    _ => {
                        let j = (i + 1) % lines.len();
                        lines.swap(i, j)
                    }
                }
                if lines.is_empty() {
                    lines.push(String::new());
                }
            }
            lines.join("\n") + "\n"
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]
        #[test]
        fn generated_inventories_load_the_same_either_way(text in inventory()) {
            same(&text)?;
        }

        #[test]
        fn edited_inventories_load_or_fail_the_same_either_way(text in edited()) {
            same(&text)?;
        }
    }

    /// The property above is not vacuous: clean generated inventories take the fast path.
    #[test]
    fn clean_inventories_take_the_fast_path() {
        use proptest::strategy::ValueTree;
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        let mut fast = 0;
        for _ in 0..500 {
            let text = inventory().new_tree(&mut runner).unwrap().current();
            if same(&text).unwrap() {
                fast += 1;
            }
        }
        assert!(fast > 25, "{fast} of 500 took the fast path");
    }
}
