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
use super::locate::YamlPath;
use super::model::Inventory;
use super::raw::{Attrs, NameRef, RawDevice, RawGroup, RawInventory};
use super::report::Report;
use super::resolve::Resolver;
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
    // Devices are read last, once every group is known: where they start, where they end,
    // and how many there are.
    let mut devices = None;
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
                let start = lines.clone();
                let count = skip(&mut lines, indent);
                devices = Some((start, indent, count, lines.left()));
            }
            _ => return None,
        }
    }
    let (mut lines_at, indent, count, end) = devices?;
    if !lines.done() {
        return None;
    }
    // Unknown parents and cycles; devices are checked as they are read.
    let mut report = Report::new(text);
    graph::check(&raw, &mut report);
    if !report.is_empty() {
        return None;
    }
    let mut resolver = Resolver::new(&raw.defaults, &raw.groups);
    let mut names = HashSet::with_capacity(count);
    let mut out = Vec::with_capacity(count);
    items(&mut lines_at, indent, |lines, item| {
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
    if lines_at.left() != end {
        return None;
    }
    Some(Inventory {
        source: origin.to_owned(),
        devices: out,
        groups: resolver.groups(),
        ..Inventory::default()
    })
}

/// Keys already read in one mapping (a repeated key is an error the general path reports);
/// `None` for a key no level has.
#[derive(Default)]
struct Seen(u32);

impl Seen {
    fn once(&mut self, key: &str) -> Option<()> {
        const KEYS: [&str; 20] = [
            "defaults",
            "groups",
            "devices",
            "name",
            "host",
            "parents",
            "port",
            "platform",
            "username",
            "password_env",
            "key_file",
            "key_passphrase_env",
            "agent",
            "legacy_ssh",
            "probe",
            "probe_interval",
            "down_after",
            "up_after",
            "jump",
            "tags",
        ];
        let bit = 1 << KEYS.iter().position(|k| *k == key)?;
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

/// Moves past the sequence at `indent` (and whatever is nested in it); how many items it
/// has (a guess if it is malformed: the reading finds that out).
fn skip(lines: &mut Lines, indent: usize) -> usize {
    let mut count = 0;
    while let Some(line) = lines.peek() {
        let item = block_yaml::is_item(line.text);
        if line.indent < indent || (line.indent == indent && !item) {
            break;
        }
        count += usize::from(line.indent == indent);
        lines.advance();
    }
    count
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
