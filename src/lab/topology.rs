//! Cabling: turns a scenario's topology rules into links with port numbers, and so into
//! the LLDP neighbour table of every device.

use std::collections::HashMap;

use super::scenario::{PlannedDevice, TopologySpec};

/// One end of a cable as seen from a device: its port, and who is on the other side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Neighbor {
    /// Local data port number (1-based).
    pub local_port: usize,
    /// Index of the neighbour device in the lab.
    pub remote: usize,
    /// The neighbour's port number (1-based).
    pub remote_port: usize,
}

/// Computes each device's neighbours. Ports are numbered in the order links are made.
pub fn neighbors(devices: &[PlannedDevice], spec: &TopologySpec) -> Vec<Vec<Neighbor>> {
    let mut cabling = Cabling {
        next_port: vec![1; devices.len()],
        out: vec![Vec::new(); devices.len()],
        seen: Default::default(),
    };
    // Group by site, then role, keeping lab order so results are deterministic.
    let mut by_site: Vec<(&str, HashMap<&str, Vec<usize>>)> = Vec::new();
    for (i, d) in devices.iter().enumerate() {
        let pos = match by_site.iter().position(|(s, _)| *s == d.site) {
            Some(p) => p,
            None => {
                by_site.push((&d.site, HashMap::new()));
                by_site.len() - 1
            }
        };
        by_site[pos].1.entry(&d.role).or_default().push(i);
    }
    for (_, roles) in &by_site {
        for role in &spec.mesh {
            let members = roles.get(role.as_str()).map(Vec::as_slice).unwrap_or(&[]);
            for (k, &a) in members.iter().enumerate() {
                for &b in &members[k + 1..] {
                    cabling.link(a, b);
                }
            }
        }
        for rule in &spec.uplinks {
            let from = roles
                .get(rule.from.as_str())
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            let to = roles
                .get(rule.to.as_str())
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            if to.is_empty() {
                continue;
            }
            for (k, &a) in from.iter().enumerate() {
                // Spread uplinks: device k starts at target k, so load is balanced.
                for j in 0..rule.count.min(to.len()) {
                    let b = to[(k + j) % to.len()];
                    if a != b {
                        cabling.link(a, b);
                    }
                }
            }
        }
    }
    let index: HashMap<&str, usize> = devices
        .iter()
        .enumerate()
        .map(|(i, d)| (d.name.as_str(), i))
        .collect();
    for [a, b] in &spec.links {
        if let (Some(&a), Some(&b)) = (index.get(a.as_str()), index.get(b.as_str()))
            && a != b
        {
            cabling.link(a, b);
        }
    }
    cabling.out
}

struct Cabling {
    next_port: Vec<usize>,
    out: Vec<Vec<Neighbor>>,
    seen: std::collections::HashSet<(usize, usize)>,
}

impl Cabling {
    /// Cables `a` to `b` once, on each side's next free port.
    fn link(&mut self, a: usize, b: usize) {
        if !self.seen.insert((a.min(b), a.max(b))) {
            return;
        }
        let (pa, pb) = (self.next_port[a], self.next_port[b]);
        self.next_port[a] += 1;
        self.next_port[b] += 1;
        self.out[a].push(Neighbor {
            local_port: pa,
            remote: b,
            remote_port: pb,
        });
        self.out[b].push(Neighbor {
            local_port: pb,
            remote: a,
            remote_port: pa,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::Scenario;

    #[test]
    fn links_are_symmetric_and_follow_rules() {
        let s = Scenario::demo();
        let plan = s.plan(60);
        let n = neighbors(&plan, &s.topology);
        for (i, list) in n.iter().enumerate() {
            for nb in list {
                let back = &n[nb.remote];
                assert!(
                    back.iter().any(|x| x.remote == i
                        && x.local_port == nb.remote_port
                        && x.remote_port == nb.local_port),
                    "{} -> {} not mirrored",
                    plan[i].name,
                    plan[nb.remote].name
                );
            }
        }
        let idx = |name: &str| plan.iter().position(|d| d.name == name).unwrap();
        let names =
            |i: usize| -> Vec<&str> { n[i].iter().map(|x| plan[x.remote].name.as_str()).collect() };
        // Core mesh within a site, plus dist and edge uplinks.
        assert!(names(idx("ams-core1")).contains(&"ams-core2"));
        assert_eq!(names(idx("ams-access2")), ["ams-dist2", "ams-dist1"]);
        assert!(names(idx("ams-server1")).contains(&"ams-access1"));
        assert!(names(idx("ams-edge1")).contains(&"fra-edge1"));
        assert!(
            !names(idx("ams-access1"))
                .iter()
                .any(|n| n.starts_with("fra"))
        );
    }
}
