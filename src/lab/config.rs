//! Device configuration as state: what config mode changes and `show running-config` (or
//! Junos `show configuration`) prints afterwards, so rollouts can be post-checked.

/// An IOS/EOS-style configuration: top-level lines, some of which are sections
/// (`interface …`) with indented child lines.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TreeConfig {
    pub nodes: Vec<Node>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub line: String,
    pub children: Vec<String>,
}

/// Commands that open a configuration section, and the prompt suffix of that sub-mode.
const SECTIONS: &[(&str, &str)] = &[
    ("interface ", "config-if"),
    ("router ", "config-router"),
    ("line ", "config-line"),
    ("vlan ", "config-vlan"),
    ("route-map ", "config-route-map"),
    ("ip access-list ", "config-ext-nacl"),
    ("ipv6 access-list ", "config-ipv6-acl"),
    ("policy-map ", "config-pmap"),
    ("class-map ", "config-cmap"),
    ("management ", "config-mgmt"),
    ("vrf definition ", "config-vrf"),
];

/// Settings that hold one value: setting them again replaces the old line.
const SINGLE_VALUED: &[&str] = &[
    "hostname ",
    "description ",
    "ip address ",
    "ipv6 address ",
    "mtu ",
    "speed ",
    "duplex ",
    "switchport mode ",
    "switchport access vlan ",
    "ip domain-name ",
    "ip domain name ",
    "banner motd ",
    "spanning-tree mode ",
    "clock timezone ",
    "logging buffered ",
    "router-id ",
    "name ",
    "exec-timeout ",
    "transport input ",
];

/// First words accepted in IOS/EOS config mode; anything else is invalid input.
pub const CONFIG_KEYWORDS: &[&str] = &[
    "aaa",
    "access-list",
    "address-family",
    "archive",
    "authentication",
    "bandwidth",
    "banner",
    "boot",
    "cdp",
    "channel-group",
    "class",
    "class-map",
    "clock",
    "crypto",
    "default",
    "deny",
    "description",
    "duplex",
    "enable",
    "encapsulation",
    "errdisable",
    "exec-timeout",
    "exit-address-family",
    "hostname",
    "interface",
    "ip",
    "ipv6",
    "line",
    "lldp",
    "logging",
    "login",
    "mac",
    "management",
    "match",
    "maximum-paths",
    "mtu",
    "name",
    "neighbor",
    "network",
    "ntp",
    "passive-interface",
    "password",
    "permit",
    "police",
    "policy-map",
    "redistribute",
    "remark",
    "route-map",
    "router",
    "router-id",
    "service",
    "service-policy",
    "set",
    "shutdown",
    "snmp-server",
    "spanning-tree",
    "speed",
    "standby",
    "storm-control",
    "switchport",
    "tacacs",
    "timers",
    "track",
    "transport",
    "username",
    "vlan",
    "vrf",
    "vrrp",
];

/// How a line-oriented configuration is structured: which lines open sections (and the
/// prompt label of each), which settings hold one value.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    pub sections: &'static [(&'static str, &'static str)],
    pub single: &'static [&'static str],
    /// Prefix that removes a setting (`no `, Huawei `undo `, FortiOS `unset `).
    pub negate: &'static [&'static str],
}

/// IOS and EOS.
pub const IOS_RULES: Rules = Rules {
    sections: SECTIONS,
    single: SINGLE_VALUED,
    negate: &["no "],
};

/// How `show running-config` lays a tree out.
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    /// Before each child line.
    pub indent: &'static str,
    /// After each section (`!`, Huawei `#`, FortiOS `end`; empty for nothing).
    pub close: &'static str,
    /// Before each top-level line that is not a section (Huawei indents those by one).
    pub top_indent: &'static str,
}

pub const IOS_LAYOUT: Layout = Layout {
    indent: " ",
    close: "!",
    top_indent: "",
};

/// A configured value without its quotes (`"r1"`, VyOS `'r1'`).
fn unquote(v: &str) -> &str {
    v.trim().trim_matches(['"', '\''])
}

/// The sub-mode a line opens, if it opens one (e.g. `config-if` for `interface Gi0/1`).
pub fn section_mode(line: &str) -> Option<&'static str> {
    section_in(&IOS_RULES, line)
}

pub fn section_in(rules: &Rules, line: &str) -> Option<&'static str> {
    rules
        .sections
        .iter()
        .find(|(prefix, _)| line.starts_with(prefix))
        .map(|(_, mode)| *mode)
}

/// The part of a line that identifies the setting it changes.
fn key<'a>(rules: &Rules, line: &'a str) -> &'a str {
    if line == "shutdown" {
        return "shutdown";
    }
    rules
        .single
        .iter()
        .find(|p| line.starts_with(**p))
        .map(|p| line[..p.len()].trim_end())
        .unwrap_or(line)
}

fn negated<'a>(rules: &Rules, line: &'a str) -> Option<&'a str> {
    rules.negate.iter().find_map(|n| line.strip_prefix(n))
}

/// Applies `line` to a list of lines: `no X` removes X, a single-valued setting replaces
/// the old value, anything else is appended once.
fn apply_line(rules: &Rules, lines: &mut Vec<String>, line: &str) {
    if let Some(rest) = negated(rules, line) {
        let k = key(rules, rest);
        lines.retain(|l| key(rules, l) != k && l != rest);
        return;
    }
    let k = key(rules, line);
    if let Some(existing) = lines.iter_mut().find(|l| key(rules, l) == k) {
        *existing = line.to_string();
    } else {
        lines.push(line.to_string());
    }
}

impl TreeConfig {
    /// Applies one config-mode line inside `section` (the section's header line, or `None`
    /// at top level). Returns the section the device is in afterwards.
    pub fn apply(&mut self, section: Option<&str>, line: &str) -> Option<String> {
        self.apply_with(&IOS_RULES, section, line)
    }

    /// [`TreeConfig::apply`] with another platform's rules.
    pub fn apply_with(
        &mut self,
        rules: &Rules,
        section: Option<&str>,
        line: &str,
    ) -> Option<String> {
        let section_mode = |l: &str| section_in(rules, l);
        let key = |l: &'_ str| -> String { key(rules, l).to_string() };
        let line = line.trim();
        if let Some(header) = section
            && section_mode(line).is_none()
        {
            if let Some(node) = self.nodes.iter_mut().find(|n| n.line == header) {
                apply_line(rules, &mut node.children, line);
            }
            return Some(header.to_string());
        }
        if section_mode(line).is_some() {
            if !self.nodes.iter().any(|n| n.line == line) {
                self.nodes.push(Node {
                    line: line.to_string(),
                    children: Vec::new(),
                });
            }
            return Some(line.to_string());
        }
        if let Some(rest) = negated(rules, line) {
            if section_mode(rest).is_some() {
                self.nodes.retain(|n| n.line != rest);
                return None;
            }
            let k = key(rest);
            self.nodes
                .retain(|n| !(n.children.is_empty() && (key(&n.line) == k || n.line == rest)));
            return None;
        }
        let k = key(line);
        if let Some(node) = self
            .nodes
            .iter_mut()
            .find(|n| n.children.is_empty() && section_mode(&n.line).is_none() && key(&n.line) == k)
        {
            node.line = line.to_string();
        } else {
            self.nodes.push(Node {
                line: line.to_string(),
                children: Vec::new(),
            });
        }
        None
    }

    /// The configured hostname, if any.
    pub fn hostname(&self) -> Option<&str> {
        self.nodes
            .iter()
            .find_map(|n| n.line.strip_prefix("hostname "))
            .map(str::trim)
    }

    /// The body of `show running-config`: sections indented one space, `!` between blocks.
    pub fn render(&self) -> String {
        self.render_with(&IOS_RULES, &IOS_LAYOUT)
    }

    pub fn render_with(&self, rules: &Rules, layout: &Layout) -> String {
        let mut out = String::new();
        for node in &self.nodes {
            let section = section_in(rules, &node.line).is_some();
            if !section {
                out.push_str(layout.top_indent);
            }
            out.push_str(&node.line);
            out.push('\n');
            for child in &node.children {
                out.push_str(layout.indent);
                out.push_str(child);
                out.push('\n');
            }
            if section && !layout.close.is_empty() {
                out.push_str(layout.close);
                out.push('\n');
            }
        }
        out
    }

    /// The value of the first line (top level, then inside sections) starting with
    /// `prefix`, quotes removed.
    pub fn value_of(&self, prefix: &str) -> Option<&str> {
        self.nodes
            .iter()
            .find_map(|n| n.line.strip_prefix(prefix))
            .or_else(|| {
                self.nodes
                    .iter()
                    .flat_map(|n| &n.children)
                    .find_map(|c| c.strip_prefix(prefix))
            })
            .map(unquote)
    }
}

/// A Junos configuration in `set` form: committed lines, and a candidate while editing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SetConfig {
    pub committed: Vec<String>,
    pub candidate: Option<Vec<String>>,
}

/// Junos leaves that hold one value (`set system host-name X` replaces the old name).
const JUNOS_SINGLE: &[&str] = &[
    "host-name",
    "description",
    "mtu",
    "domain-name",
    "time-zone",
    "speed",
    "router-id",
    "autonomous-system",
];

impl SetConfig {
    fn candidate(&mut self) -> &mut Vec<String> {
        let committed = &self.committed;
        self.candidate.get_or_insert_with(|| committed.clone())
    }

    /// `set <path>` in configuration mode.
    pub fn set(&mut self, path: &str) {
        self.set_with(path, &[]);
    }

    /// `set <path>`, where `single` names more leaves that hold one value.
    pub fn set_with(&mut self, path: &str, single: &[&str]) {
        let path = path.trim().to_string();
        let words: Vec<&str> = path.split_whitespace().collect();
        let cand = self.candidate();
        if cand.contains(&path) {
            return;
        }
        if let Some(pos) = words
            .iter()
            .position(|w| JUNOS_SINGLE.contains(w) || single.contains(w))
        {
            let prefix = words[..=pos].join(" ") + " ";
            cand.retain(|l| !l.starts_with(&prefix));
        }
        cand.push(path);
    }

    /// `delete <path>`: removes the statement and everything under it.
    pub fn delete(&mut self, path: &str) {
        let path = path.trim().to_string();
        let prefix = format!("{path} ");
        self.candidate()
            .retain(|l| l != &path && !l.starts_with(&prefix));
    }

    /// True if the candidate differs from the committed configuration.
    pub fn uncommitted(&self) -> bool {
        self.candidate
            .as_ref()
            .is_some_and(|c| *c != self.committed)
    }

    /// `commit`: returns true if anything changed.
    pub fn commit(&mut self) -> bool {
        match self.candidate.take() {
            Some(c) if c != self.committed => {
                self.committed = c;
                true
            }
            _ => false,
        }
    }

    /// `rollback`: discards the candidate.
    pub fn rollback(&mut self) {
        self.candidate = None;
    }

    pub fn hostname(&self) -> Option<&str> {
        self.value_of("system host-name ")
    }

    /// The value of the first committed statement starting with `prefix` (quotes removed).
    pub fn value_of(&self, prefix: &str) -> Option<&str> {
        self.committed
            .iter()
            .find_map(|l| l.strip_prefix(prefix))
            .map(unquote)
    }

    /// `show configuration | display set`.
    pub fn render_set(&self) -> String {
        self.committed
            .iter()
            .map(|l| format!("set {l}\n"))
            .collect()
    }

    /// `show | compare` in configuration mode.
    pub fn compare(&self) -> String {
        let Some(cand) = &self.candidate else {
            return String::new();
        };
        let mut out = String::new();
        for l in self.committed.iter().filter(|l| !cand.contains(l)) {
            out.push_str(&format!("-  {l}\n"));
        }
        for l in cand.iter().filter(|l| !self.committed.contains(l)) {
            out.push_str(&format!("+  {l}\n"));
        }
        out
    }

    /// `show configuration`: the familiar braces form.
    pub fn render_tree(&self) -> String {
        self.render_blocks(&JUNOS_BLOCKS)
    }

    /// The nested form in another platform's punctuation.
    pub fn render_blocks(&self, style: &Blocks) -> String {
        let mut root = BraceNode::default();
        for line in &self.committed {
            let words = junos_words(line);
            if words.is_empty() {
                continue;
            }
            // Everything but the last statement becomes nested blocks.
            let (leaf_start, path) = split_leaf(&words);
            let mut node = &mut root;
            for block in path {
                let pos = match node.children.iter().position(|(n, _)| *n == block) {
                    Some(p) => p,
                    None => {
                        node.children.push((block, BraceNode::default()));
                        node.children.len() - 1
                    }
                };
                node = &mut node.children[pos].1;
            }
            node.leaves.push(words[leaf_start..].join(" "));
        }
        let mut out = String::new();
        root.render(style, style.depth, &mut out);
        out
    }
}

/// Punctuation of a nested configuration: Junos `name {` … `}` and `leaf;`, VyOS and
/// MD-CLI without the `;`, SR OS classic `name` … `exit`.
#[derive(Debug, Clone, Copy)]
pub struct Blocks {
    pub open: &'static str,
    pub close: &'static str,
    pub leaf_end: &'static str,
    /// Indentation depth of the outermost level.
    pub depth: usize,
}

pub const JUNOS_BLOCKS: Blocks = Blocks {
    open: " {",
    close: "}",
    leaf_end: ";",
    depth: 0,
};

#[derive(Default)]
struct BraceNode {
    children: Vec<(String, BraceNode)>,
    leaves: Vec<String>,
}

impl BraceNode {
    fn render(&self, style: &Blocks, depth: usize, out: &mut String) {
        let pad = "    ".repeat(depth);
        for leaf in &self.leaves {
            out.push_str(&format!("{pad}{leaf}{}\n", style.leaf_end));
        }
        for (name, child) in &self.children {
            out.push_str(&format!("{pad}{name}{}\n", style.open));
            child.render(style, depth + 1, out);
            out.push_str(&format!("{pad}{}\n", style.close));
        }
    }
}

/// A configuration of independent command lines (RouterOS, EXOS): a line replaces the one
/// with the same single-valued prefix, `negate` prefixes remove.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FlatConfig {
    pub lines: Vec<String>,
}

impl FlatConfig {
    pub fn apply(&mut self, rules: &Rules, line: &str) {
        apply_line(rules, &mut self.lines, line.trim());
    }

    pub fn value_of(&self, prefix: &str) -> Option<&str> {
        self.lines
            .iter()
            .find_map(|l| l.strip_prefix(prefix))
            .map(|v| unquote(v.split_whitespace().next().unwrap_or("")))
    }

    pub fn render(&self) -> String {
        self.lines.iter().map(|l| format!("{l}\n")).collect()
    }
}

/// Splits a Junos statement into words, keeping "quoted strings" together.
fn junos_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                cur.push(c);
            }
            c if c.is_whitespace() && !quoted => {
                if !cur.is_empty() {
                    words.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

/// Returns where the leaf statement starts and the block names before it. Junos names
/// blocks like `unit 0` and `family inet` with two words.
fn split_leaf(words: &[String]) -> (usize, Vec<String>) {
    // The leaf is `name value;` (two words), or one word for a bare flag.
    let leaf_start = if words.len() >= 3 {
        words.len() - 2
    } else {
        words.len() - 1
    };
    let mut path = Vec::new();
    let mut i = 0;
    while i < leaf_start {
        if matches!(words[i].as_str(), "unit" | "family" | "group" | "neighbor")
            && i + 1 < leaf_start
        {
            path.push(format!("{} {}", words[i], words[i + 1]));
            i += 2;
        } else {
            path.push(words[i].clone());
            i += 1;
        }
    }
    (leaf_start, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_config_sections_and_replacement() {
        let mut c = TreeConfig::default();
        assert_eq!(c.apply(None, "hostname r1"), None);
        let s = c.apply(None, "interface GigabitEthernet0/1");
        assert_eq!(s.as_deref(), Some("interface GigabitEthernet0/1"));
        c.apply(s.as_deref(), "description old");
        c.apply(s.as_deref(), "description uplink");
        c.apply(s.as_deref(), "shutdown");
        c.apply(s.as_deref(), "no shutdown");
        c.apply(None, "hostname r2");
        c.apply(None, "ntp server 127.0.0.1");
        assert_eq!(
            c.render(),
            "hostname r2\ninterface GigabitEthernet0/1\n description uplink\n!\nntp server 127.0.0.1\n"
        );
        assert_eq!(c.hostname(), Some("r2"));
        c.apply(None, "no ntp server 127.0.0.1");
        assert!(!c.render().contains("ntp"));
    }

    #[test]
    fn junos_candidate_commit_and_render() {
        let mut c = SetConfig {
            committed: vec!["system host-name r1".into()],
            candidate: None,
        };
        c.set("system host-name r2");
        c.set("interfaces ge-0/0/0 unit 0 family inet address 10.0.0.1/30");
        assert_eq!(c.hostname(), Some("r1"), "not committed yet");
        assert!(c.uncommitted());
        assert!(c.compare().contains("+  system host-name r2"));
        assert!(c.commit());
        assert_eq!(c.hostname(), Some("r2"));
        let tree = c.render_tree();
        assert!(tree.contains("system {\n    host-name r2;\n}"), "{tree}");
        assert!(tree.contains("unit 0 {"), "{tree}");
        c.delete("interfaces ge-0/0/0");
        c.commit();
        assert_eq!(c.render_set(), "set system host-name r2\n");
    }
}
