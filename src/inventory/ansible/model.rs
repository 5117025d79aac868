//! What Ansible's inventory plugins build, before variables are merged: groups (with
//! `all` and `ungrouped`), hosts in the order first seen, their own variables, and where
//! each thing was written.

use std::collections::{BTreeMap, HashMap};

use serde_yaml::Value;

use crate::inventory::sources::Where;

/// Most hosts and groups one inventory may define: far above real ones, low enough that
/// the group graph's checks (each new edge walks its ancestors) stay cheap.
pub(crate) const MAX_HOSTS: usize = 100_000;
pub(crate) const MAX_GROUPS: usize = 10_000;
/// Deepest group nesting (`all` is 0).
pub(crate) const MAX_DEPTH: usize = 100;

pub(crate) const ALL: usize = 0;
pub(crate) const UNGROUPED: usize = 1;

/// One variable as written, and where.
#[derive(Debug, Clone)]
pub(crate) struct Var {
    pub(crate) value: Value,
    pub(crate) at: Where,
}

pub(crate) type Vars = BTreeMap<String, Var>;

#[derive(Debug)]
pub(crate) struct Group {
    pub(crate) name: String,
    pub(crate) vars: Vars,
    /// Variables from `group_vars/` files (merged above every inventory-file group var).
    pub(crate) file_vars: Vars,
    pub(crate) children: Vec<usize>,
    pub(crate) parents: Vec<usize>,
    /// Direct member hosts, in the order added.
    pub(crate) hosts: Vec<usize>,
    /// `ansible_group_priority`: among groups of equal depth, higher merges later.
    pub(crate) priority: i64,
    pub(crate) at: Option<Where>,
}

#[derive(Debug)]
pub(crate) struct Host {
    pub(crate) name: String,
    pub(crate) vars: Vars,
    /// Variables from `host_vars/` files (they win over everything).
    pub(crate) file_vars: Vars,
    /// Direct groups (never `all`), in the order added.
    pub(crate) groups: Vec<usize>,
    pub(crate) at: Where,
}

#[derive(Debug)]
pub(crate) struct Model {
    pub(crate) groups: Vec<Group>,
    pub(crate) group_index: HashMap<String, usize>,
    pub(crate) hosts: Vec<Host>,
    pub(crate) host_index: HashMap<String, usize>,
}

impl Default for Model {
    fn default() -> Self {
        let mut model = Model {
            groups: Vec::new(),
            group_index: HashMap::new(),
            hosts: Vec::new(),
            host_index: HashMap::new(),
        };
        model.group("all", None);
        model.group("ungrouped", None);
        model.groups[ALL].children.push(UNGROUPED);
        model.groups[UNGROUPED].parents.push(ALL);
        model
    }
}

impl Model {
    /// Whether group `name` exists or one more fits under [`MAX_GROUPS`].
    pub(crate) fn room_for_group(&self, name: &str) -> bool {
        self.groups.len() < MAX_GROUPS || self.group_index.contains_key(name)
    }

    /// Whether `n` more hosts fit under [`MAX_HOSTS`].
    pub(crate) fn room_for_hosts(&self, n: usize) -> bool {
        self.hosts.len().saturating_add(n) <= MAX_HOSTS
    }

    /// The group called `name`, added if new (a new group is a child of `all`).
    pub(crate) fn group(&mut self, name: &str, at: Option<Where>) -> usize {
        if let Some(&g) = self.group_index.get(name) {
            if self.groups[g].at.is_none() {
                self.groups[g].at = at;
            }
            return g;
        }
        let g = self.groups.len();
        self.groups.push(Group {
            name: name.to_owned(),
            vars: Vars::new(),
            file_vars: Vars::new(),
            children: Vec::new(),
            parents: Vec::new(),
            hosts: Vec::new(),
            priority: 1,
            at,
        });
        self.group_index.insert(name.to_owned(), g);
        g
    }

    /// Makes `child` a child of `parent`. `Err` when that would close a loop.
    pub(crate) fn add_child(&mut self, parent: usize, child: usize) -> Result<(), ()> {
        if parent == child || self.is_ancestor(child, parent) {
            return Err(());
        }
        if !self.groups[parent].children.contains(&child) {
            self.groups[parent].children.push(child);
            self.groups[child].parents.push(parent);
        }
        Ok(())
    }

    /// Whether `a` is an ancestor of `g` (or `g` itself).
    fn is_ancestor(&self, a: usize, g: usize) -> bool {
        let mut stack = vec![g];
        let mut seen = vec![false; self.groups.len()];
        while let Some(x) = stack.pop() {
            if x == a {
                return true;
            }
            if !std::mem::replace(&mut seen[x], true) {
                stack.extend(&self.groups[x].parents);
            }
        }
        false
    }

    /// Adds host `name` to group `g` (added to the inventory if new).
    pub(crate) fn host(&mut self, name: &str, g: usize, at: Where) -> usize {
        let h = match self.host_index.get(name) {
            Some(&h) => h,
            None => {
                self.hosts.push(Host {
                    name: name.to_owned(),
                    vars: Vars::new(),
                    file_vars: Vars::new(),
                    groups: Vec::new(),
                    at,
                });
                self.host_index
                    .insert(name.to_owned(), self.hosts.len() - 1);
                self.hosts.len() - 1
            }
        };
        if g != ALL && !self.hosts[h].groups.contains(&g) {
            self.hosts[h].groups.push(g);
            self.groups[g].hosts.push(h);
        }
        h
    }

    /// Sets a group variable as Ansible does: `ansible_group_priority` sets the priority.
    pub(crate) fn set_group_var(&mut self, g: usize, key: &str, var: Var) {
        if key == "ansible_group_priority" {
            if let Some(p) = var.value.as_i64().or_else(|| match &var.value {
                Value::String(s) => s.trim().parse().ok(),
                _ => None,
            }) {
                self.groups[g].priority = p;
            }
            return;
        }
        set_var(&mut self.groups[g].vars, key, var);
    }

    /// Ansible's `reconcile_inventory`: a host in no group but `all` is in `ungrouped`;
    /// a host in `ungrouped` and another group leaves `ungrouped`.
    pub(crate) fn reconcile(&mut self) {
        for h in 0..self.hosts.len() {
            let groups = &self.hosts[h].groups;
            if groups.is_empty() {
                self.hosts[h].groups.push(UNGROUPED);
                self.groups[UNGROUPED].hosts.push(h);
            } else if groups.len() > 1 && groups.contains(&UNGROUPED) {
                self.hosts[h].groups.retain(|&g| g != UNGROUPED);
                self.groups[UNGROUPED].hosts.retain(|&x| x != h);
            }
        }
        // Top-level groups are children of `all`.
        for g in 2..self.groups.len() {
            if self.groups[g].parents.is_empty() {
                self.groups[g].parents.push(ALL);
                self.groups[ALL].children.push(g);
            }
        }
    }
}

/// `vars[key] = var`: a later definition replaces an earlier one (Ansible's default
/// `hash_behaviour = replace`, mappings included).
pub(crate) fn set_var(vars: &mut Vars, key: &str, var: Var) {
    vars.insert(key.to_owned(), var);
}
