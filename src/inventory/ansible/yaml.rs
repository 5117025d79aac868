//! Ansible's YAML inventory, read as its `yaml` plugin reads it: top-level keys are groups
//! (usually `all`), each with `hosts` (names or ranges → variables), `vars` and `children`
//! (nested groups). Keys Ansible skips with a warning become notes.

use serde_yaml::{Mapping, Value};

use super::model::{MAX_GROUPS, MAX_HOSTS, Model, Var, set_var};
use super::ranges;
use crate::base::text::Untrusted;
use crate::inventory::error::ProblemKind as K;
use crate::inventory::locate::YamlPath;
use crate::inventory::sources::{FileId, Sources, Where};
use crate::inventory::values::scalar_text;

/// Deepest `children:` nesting read (the YAML parser stops at 128 levels anyway).
const MAX_NESTING: usize = 50;

/// Reads the YAML inventory `doc` of file `file` into `model`.
pub(crate) fn read(model: &mut Model, sources: &mut Sources, file: FileId, doc: &Value) {
    let root = YamlPath::root();
    let map = match doc {
        Value::Mapping(map) if !map.is_empty() => map,
        Value::Null | Value::Mapping(_) => {
            sources.add(
                K::Empty,
                Where::yaml(file, root),
                "the YAML inventory is empty",
                Some("list groups at the top level, e.g. `all: {hosts: {r1: {ansible_host: 127.0.0.1}}}`".into()),
            );
            return;
        }
        _ => {
            sources.add(
                K::InvalidValue,
                Where::yaml(file, root),
                "a YAML inventory must be a mapping of groups",
                Some("start with `all:` and put `hosts:`, `children:` and `vars:` under it".into()),
            );
            return;
        }
    };
    if map.contains_key("plugin") {
        sources.add(
            K::InvalidValue,
            Where::yaml(file, root.key_node("plugin")),
            "this is an inventory plugin configuration, not an inventory",
            Some("fleetdash reads static inventories: run `ansible-inventory -i FILE --list --yaml > inv.yml` and read that".into()),
        );
        return;
    }
    let mut reader = Reader {
        model,
        sources,
        file,
    };
    for (key, data) in map {
        let name = key_text(key);
        reader.group(&name, data, &root.key(&name), 0);
    }
}

fn key_text(key: &Value) -> String {
    scalar_text(key).unwrap_or_default()
}

struct Reader<'a> {
    model: &'a mut Model,
    sources: &'a mut Sources,
    file: FileId,
}

impl Reader<'_> {
    fn at(&self, path: YamlPath) -> Where {
        Where::yaml(self.file, path)
    }

    /// One group definition; returns the group (None when Ansible would skip it).
    fn group(&mut self, name: &str, data: &Value, at: &YamlPath, depth: usize) -> Option<usize> {
        if depth > MAX_NESTING {
            let where_ = self.at(at.clone());
            self.sources.add(
                K::InvalidValue,
                where_,
                format!("groups nest more than {MAX_NESTING} levels deep here"),
                Some("real inventories nest a few levels; is this the right file?".into()),
            );
            return None;
        }
        let body = match data {
            Value::Mapping(map) => Some(map),
            Value::Null => None,
            _ => {
                self.sources.notes.push(format!(
                    "{}: `{}` is not a group definition (a mapping): skipped, as Ansible does",
                    self.sources.origin(self.file),
                    Untrusted(name)
                ));
                return None;
            }
        };
        if !self.model.room_for_group(name) {
            let where_ = self.at(at.as_key_node());
            self.sources.add(
                K::InvalidValue,
                where_,
                format!("more than {MAX_GROUPS} groups"),
                Some("is this the right file? inventories this large are not read".into()),
            );
            return None;
        }
        let g = self.model.group(name, Some(self.at(at.as_key_node())));
        let Some(body) = body else {
            return Some(g);
        };
        for (key, value) in body {
            let key = key_text(key);
            let kat = at.key(&key);
            let section = match value {
                Value::String(one) => {
                    let mut m = Mapping::new();
                    m.insert(Value::String(one.clone()), Value::Null);
                    Value::Mapping(m)
                }
                other => other.clone(),
            };
            let entries = match (&key[..], &section) {
                (_, Value::Null) => continue,
                ("vars" | "children" | "hosts", Value::Mapping(m)) => m,
                ("vars" | "children" | "hosts", _) => {
                    let where_ = self.at(kat);
                    self.sources.add(
                        K::InvalidValue,
                        where_,
                        format!("`{key}` of group `{}` must be a mapping", Untrusted(name)),
                        Some(format!("write `{key}:` followed by indented `name:` lines")),
                    );
                    continue;
                }
                _ => {
                    self.sources.notes.push(format!(
                        "{}: key `{}` in group `{}` skipped: only `hosts`, `vars` and `children` are read, as in Ansible",
                        self.sources.origin(self.file),
                        Untrusted(&key),
                        Untrusted(name)
                    ));
                    continue;
                }
            };
            let one_string = matches!(value, Value::String(_));
            for (entry, body) in entries {
                let entry_name = key_text(entry);
                let eat = if one_string {
                    kat.clone()
                } else {
                    kat.key(&entry_name)
                };
                match &key[..] {
                    "vars" => {
                        let var = Var {
                            value: body.clone(),
                            at: self.at(eat),
                        };
                        self.model.set_group_var(g, &entry_name, var);
                    }
                    "children" => {
                        if let Some(child) = self.group(&entry_name, body, &eat, depth + 1)
                            && self.model.add_child(g, child).is_err()
                        {
                            let where_ = self.at(eat.as_key_node());
                            self.sources.add(
                                K::GroupCycle,
                                where_,
                                format!(
                                    "group `{}` as a child of `{}` makes a loop",
                                    Untrusted(&entry_name),
                                    Untrusted(name)
                                ),
                                Some("a group cannot be its own ancestor: remove it here".into()),
                            );
                        }
                    }
                    _ => self.hosts(g, entry, body, &eat),
                }
            }
        }
        Some(g)
    }

    fn hosts(&mut self, g: usize, key: &Value, vars: &Value, at: &YamlPath) {
        let Value::String(pattern) = key else {
            let where_ = self.at(at.as_key_node());
            self.sources.add(
                K::InvalidValue,
                where_,
                format!("host `{}` must be a string", Untrusted(&key_text(key))),
                Some("quote host names that look like numbers: `\"10\":`".into()),
            );
            return;
        };
        let (pattern, port) = super::ini::split_port(pattern);
        let names = match ranges::has_range(pattern) {
            true => match ranges::expand(pattern) {
                Ok(names) => names,
                Err(why) => {
                    let where_ = self.at(at.as_key_node());
                    self.sources.add(
                        K::InvalidValue,
                        where_,
                        Untrusted(&why).to_string(),
                        Some("a range is `[01:20]`, `[a:f]` or `[1:9:2]` (begin:end:step)".into()),
                    );
                    return;
                }
            },
            false => vec![pattern.to_owned()],
        };
        let vars = match vars {
            Value::Mapping(m) => Some(m),
            Value::Null => None,
            _ => {
                let where_ = self.at(at.clone());
                self.sources.add(
                    K::InvalidValue,
                    where_,
                    format!(
                        "the variables of host `{}` must be a mapping",
                        Untrusted(pattern)
                    ),
                    Some("write `name: value` lines under the host, or nothing".into()),
                );
                return;
            }
        };
        let decl = self.at(at.as_key_node());
        if !self.model.room_for_hosts(names.len()) {
            self.sources.add(
                K::InvalidValue,
                decl,
                format!("more than {MAX_HOSTS} hosts"),
                Some("is this the right file? inventories this large are not read".into()),
            );
            return;
        }
        for name in names {
            let h = self.model.host(&name, g, decl.clone());
            if let Some(port) = port {
                let var = Var {
                    value: Value::from(port),
                    at: decl.clone(),
                };
                set_var(&mut self.model.hosts[h].vars, "ansible_port", var);
            }
            for (k, v) in vars.into_iter().flatten() {
                let k = key_text(k);
                let var = Var {
                    value: v.clone(),
                    at: self.at(at.key(&k)),
                };
                set_var(&mut self.model.hosts[h].vars, &k, var);
            }
        }
    }
}
