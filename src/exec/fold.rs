//! TEMPORARY (lead): replaced by the exec branch.
use crate::inventory::DeviceId;

pub struct Group {
    pub devices: Vec<DeviceId>,
    pub text: String,
}

pub enum DiffLine {
    Same(String),
    Removed(String),
    Added(String),
}

pub fn fold(outputs: &[(DeviceId, &str)]) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    for (d, text) in outputs {
        match groups.iter_mut().find(|g| g.text == *text) {
            Some(g) => g.devices.push(*d),
            None => groups.push(Group {
                devices: vec![*d],
                text: text.to_string(),
            }),
        }
    }
    groups.sort_by_key(|g| std::cmp::Reverse(g.devices.len()));
    groups
}

pub fn diff(a: &str, b: &str) -> Vec<DiffLine> {
    let mut out: Vec<DiffLine> = a.lines().map(|l| DiffLine::Removed(l.into())).collect();
    out.extend(b.lines().map(|l| DiffLine::Added(l.into())));
    out
}

pub fn compact(names: &[&str]) -> String {
    names.join(",")
}
