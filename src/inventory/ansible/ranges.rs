//! Ansible host ranges: `rtr[01:20]`, `db-[a:f]`, `web[1:10:2]`, several per name, as
//! Ansible's `expand_hostname_range` expands them. The count is known before anything is
//! expanded, so `rtr[0001:9999999]` is refused without allocating.

/// Most names one pattern may expand to.
pub(crate) const MAX_EXPANSION: usize = 100_000;

const LETTERS: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Range(Vec<String>),
}

/// Whether `name` contains a range (Ansible: any `[`).
pub(crate) fn has_range(name: &str) -> bool {
    name.contains('[')
}

/// The names `pattern` stands for, in Ansible's order (the leftmost range varies slowest).
pub(crate) fn expand(pattern: &str) -> Result<Vec<String>, String> {
    let parts = parse(pattern)?;
    let mut count: usize = 1;
    for part in &parts {
        if let Part::Range(items) = part {
            count = count.saturating_mul(items.len());
        }
    }
    if count > MAX_EXPANSION {
        return Err(format!(
            "host range `{pattern}` expands to more than {MAX_EXPANSION} names"
        ));
    }
    let mut names = vec![String::new()];
    for part in &parts {
        names = match part {
            Part::Text(text) => names.into_iter().map(|n| n + text).collect(),
            Part::Range(items) => names
                .iter()
                .flat_map(|n| items.iter().map(move |i| format!("{n}{i}")))
                .collect(),
        };
    }
    Ok(names)
}

fn parse(pattern: &str) -> Result<Vec<Part>, String> {
    let mut parts = Vec::new();
    let mut rest = pattern;
    while let Some(open) = rest.find('[') {
        let Some(close) = rest[open..].find(']').map(|c| open + c) else {
            return Err(format!("host range in `{pattern}` has no closing `]`"));
        };
        parts.push(Part::Text(rest[..open].to_owned()));
        parts.push(Part::Range(range(&rest[open + 1..close], pattern)?));
        rest = &rest[close + 1..];
    }
    parts.push(Part::Text(rest.to_owned()));
    Ok(parts)
}

/// One `beg:end[:step]`, as its items. Sizes are checked before the items are made.
fn range(spec: &str, pattern: &str) -> Result<Vec<String>, String> {
    let bounds: Vec<&str> = spec.split(':').collect();
    if !(2..=3).contains(&bounds.len()) {
        return Err(format!(
            "host range `[{spec}]` in `{pattern}` must be begin:end or begin:end:step"
        ));
    }
    let beg = if bounds[0].is_empty() { "0" } else { bounds[0] };
    let end = bounds[1];
    if end.is_empty() {
        return Err(format!("host range `[{spec}]` in `{pattern}` has no end"));
    }
    let step = match bounds.get(2) {
        None => 1,
        Some(s) => match s.parse::<usize>() {
            Ok(n) if n > 0 => n,
            _ => {
                return Err(format!(
                    "host range `[{spec}]` in `{pattern}`: the step must be a whole number above 0"
                ));
            }
        },
    };
    if let (Some(b), Some(e)) = (letter(beg), letter(end)) {
        if b > e {
            return Err(format!(
                "host range `[{spec}]` in `{pattern}` must have begin <= end"
            ));
        }
        return Ok(LETTERS[b..=e]
            .chars()
            .step_by(step)
            .map(String::from)
            .collect());
    }
    let width = (beg.starts_with('0') && beg.len() > 1).then_some(beg.len());
    if width.is_some_and(|w| w != end.len()) {
        return Err(format!(
            "host range `[{spec}]` in `{pattern}` must have begin and end of equal length"
        ));
    }
    let (Ok(b), Ok(e)) = (beg.parse::<i64>(), end.parse::<i64>()) else {
        return Err(format!(
            "host range `[{spec}]` in `{pattern}` is neither numbers nor single letters"
        ));
    };
    if e < b {
        return Ok(Vec::new());
    }
    let count = ((e - b) as u64 / step as u64).saturating_add(1);
    if count > MAX_EXPANSION as u64 {
        return Err(format!(
            "host range `{pattern}` expands to more than {MAX_EXPANSION} names"
        ));
    }
    Ok((b..=e)
        .step_by(step)
        .map(|n| match width {
            Some(w) if n >= 0 => format!("{n:0w$}"),
            _ => n.to_string(),
        })
        .collect())
}

fn letter(s: &str) -> Option<usize> {
    let mut chars = s.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => LETTERS.find(c),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_expand_like_ansible() {
        let cases: &[(&str, &[&str])] = &[
            ("rtr[01:03]", &["rtr01", "rtr02", "rtr03"]),
            ("rtr[1:3]", &["rtr1", "rtr2", "rtr3"]),
            ("db-[a:c].x", &["db-a.x", "db-b.x", "db-c.x"]),
            ("w[1:7:3]", &["w1", "w4", "w7"]),
            ("w[:2]", &["w0", "w1", "w2"]),
            ("s[1:2]-[a:b]", &["s1-a", "s1-b", "s2-a", "s2-b"]),
            ("x[5:3]", &[]),
            ("y[y:B]", &["yy", "yz", "yA", "yB"]),
            ("plain", &["plain"]),
        ];
        for (pattern, want) in cases {
            assert_eq!(expand(pattern).unwrap(), *want, "{pattern}");
        }
    }

    #[test]
    fn bad_and_huge_ranges_are_refused_before_expanding() {
        for bad in [
            "r[1]",
            "r[1:2:3:4]",
            "r[1:]",
            "r[01:100]",
            "r[1:5:0]",
            "r[a:5]",
            "r[c:a]",
            "r[1:2",
            "r[0000001:9999999]",
            "r[1:1000][1:1000]",
            "r[0:9223372036854775807]",
        ] {
            assert!(expand(bad).is_err(), "{bad}");
        }
        assert_eq!(expand("r[1:100000]").unwrap().len(), MAX_EXPANSION);
    }
}
