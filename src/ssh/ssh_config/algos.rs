//! Algorithm lists as OpenSSH assembles them (`kex_assemble_names`): a list replaces the
//! defaults, `+list` appends to them, `-list` removes from them, `^list` puts in front;
//! every name may be a wildcard pattern, expanded against what the client supports, in
//! that list's order. Names that match nothing supported are reported, not silently lost.

use super::pattern::wildcard;

/// The assembled list, and the names (or patterns) that matched nothing supported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assembled {
    pub names: Vec<String>,
    pub unknown: Vec<String>,
}

/// Applies `spec` to `defaults`; `supported` is every name the client can use.
pub fn assemble(spec: &str, defaults: &[&str], supported: &[&str]) -> Assembled {
    let split = |s: &str| -> Vec<String> {
        s.split(',')
            .filter(|n| !n.is_empty())
            .map(str::to_string)
            .collect()
    };
    let mut unknown = Vec::new();
    let list: Vec<String> = if let Some(rest) = spec.strip_prefix('+') {
        let mut l: Vec<String> = defaults.iter().map(|s| s.to_string()).collect();
        l.extend(split(rest));
        l
    } else if let Some(rest) = spec.strip_prefix('-') {
        let gone = split(rest);
        for g in &gone {
            if !supported.iter().any(|s| wildcard(s, g)) {
                unknown.push(g.clone());
            }
        }
        let names = defaults
            .iter()
            .filter(|d| !gone.iter().any(|g| wildcard(d, g)))
            .map(|s| s.to_string())
            .collect();
        return Assembled { names, unknown };
    } else if let Some(rest) = spec.strip_prefix('^') {
        let mut l = split(rest);
        l.extend(defaults.iter().map(|s| s.to_string()));
        l
    } else {
        split(spec)
    };
    let mut names: Vec<String> = Vec::new();
    for pattern in &list {
        let mut any = false;
        for s in supported.iter().filter(|s| wildcard(s, pattern)) {
            any = true;
            if !names.iter().any(|n| n == s) {
                names.push(s.to_string());
            }
        }
        if !any {
            unknown.push(pattern.clone());
        }
    }
    Assembled { names, unknown }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: &[&str] = &["a-1", "a-2", "b-1", "b-2", "c"];
    const DEF: &[&str] = &["a-1", "b-1"];

    #[test]
    fn plus_minus_caret_and_replace() {
        let cases: [(&str, &[&str], &[&str]); 8] = [
            ("+c", &["a-1", "b-1", "c"], &[]),
            ("+a-1,c", &["a-1", "b-1", "c"], &[]),
            ("-a-1", &["b-1"], &[]),
            ("-*-1", &[], &[]),
            ("^c,b-1", &["c", "b-1", "a-1"], &[]),
            ("c,a-*", &["c", "a-1", "a-2"], &[]),
            ("c,zz", &["c"], &["zz"]),
            ("-zz,a-1", &["b-1"], &["zz"]),
        ];
        for (spec, names, unknown) in cases {
            let got = assemble(spec, DEF, ALL);
            assert_eq!(got.names, names, "{spec}");
            assert_eq!(got.unknown, unknown, "{spec}");
        }
    }
}
