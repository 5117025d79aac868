//! OpenSSH's pattern rules: `*` and `?` wildcards (`match_pattern`), comma lists with `!`
//! negation (`match_pattern_list`), and the `%` tokens of ssh_config(5).

/// `*` matches any run of characters, `?` exactly one; everything else literally.
/// Iterative with one backtrack point, so a hostile pattern costs O(len²) at worst.
pub fn wildcard(text: &str, pattern: &str) -> bool {
    if text.is_ascii() && pattern.is_ascii() {
        return wild(text.as_bytes(), pattern.as_bytes());
    }
    let (t, p): (Vec<char>, Vec<char>) = (text.chars().collect(), pattern.chars().collect());
    wild(&t, &p)
}

fn wild<T: Copy + PartialEq + From<u8>>(t: &[T], p: &[T]) -> bool {
    let (star_c, any_c) = (T::from(b'*'), T::from(b'?'));
    let (mut ti, mut pi) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == any_c || p[pi] == t[ti]) {
            ti += 1;
            pi += 1;
        } else if pi < p.len() && p[pi] == star_c {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == star_c)
}

/// A comma list of patterns, each maybe `!`-negated: true when one positive pattern
/// matches and no negated one does (OpenSSH's `match_pattern_list(...) == 1`).
/// `fold` lowercases both sides (host names); user names compare as they are.
pub fn list(text: &str, patterns: &str, fold: bool) -> bool {
    let text = if fold {
        text.to_ascii_lowercase()
    } else {
        text.to_string()
    };
    let mut matched = false;
    for p in patterns.split(',') {
        let p = if fold {
            p.to_ascii_lowercase()
        } else {
            p.to_string()
        };
        match p.strip_prefix('!') {
            Some(neg) if wildcard(&text, neg) => return false,
            Some(_) => {}
            None if wildcard(&text, &p) => matched = true,
            None => {}
        }
    }
    matched
}

/// The values `%` tokens expand to. `None`: the token is not valid where it was used.
#[derive(Debug, Clone, Default)]
pub struct Tokens<'a> {
    /// `%h`: the remote host name (for HostName itself: the name given).
    pub h: Option<&'a str>,
    pub p: Option<&'a str>,
    pub r: Option<&'a str>,
    pub n: Option<&'a str>,
    pub d: Option<&'a str>,
    pub u: Option<&'a str>,
    pub k: Option<&'a str>,
    pub j: Option<&'a str>,
}

/// Expands `%x` tokens; `Err` names a token that is unknown or not allowed here.
pub fn expand(text: &str, t: &Tokens<'_>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let Some(k) = chars.next() else {
            return Err("a lone % at the end (write %% for a percent sign)".into());
        };
        let value = match k {
            '%' => Some("%"),
            'h' => t.h,
            'p' => t.p,
            'r' => t.r,
            'n' => t.n,
            'd' => t.d,
            'u' => t.u,
            'k' => t.k,
            'j' => t.j,
            _ => None,
        };
        match value {
            Some(v) => out.push_str(v),
            None => return Err(format!("the token %{k} is not supported here")),
        }
    }
    Ok(out)
}

/// `~` or `~/…` against `home` (other users' `~name` are left alone, as the path is).
pub fn tilde(path: &str, home: Option<&str>) -> String {
    match (path, home) {
        ("~", Some(h)) => h.to_string(),
        (p, Some(h)) if p.starts_with("~/") => format!("{}/{}", h.trim_end_matches('/'), &p[2..]),
        (p, _) => p.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_as_openssh_matches_them() {
        let cases = [
            ("rtr1", "rtr*", true),
            ("rtr1", "r?r1", true),
            ("rtr1", "*", true),
            ("", "*", true),
            ("rtr1", "rtr", false),
            ("rtr1", "*1*1", false),
            ("a.b.lab", "*.lab", true),
            ("RTR1", "rtr*", false),
            ("aaaaaaaaaaaaaaaaaaaaaaaaaaaaab", "*a*a*a*a*a*a*a*c", false),
        ];
        for (text, pat, want) in cases {
            assert_eq!(wildcard(text, pat), want, "{text} vs {pat}");
        }
    }

    #[test]
    fn lists_with_negation() {
        assert!(list("a.lab", "*.lab,!b.lab", true));
        assert!(!list("b.lab", "*.lab,!b.lab", true));
        assert!(!list("b.lab", "!b.lab", true));
        assert!(list("B.LAB", "b.lab", true));
        assert!(!list("Bob", "bob", false));
    }

    #[test]
    fn tokens_expand_and_unknown_ones_are_refused() {
        let t = Tokens {
            h: Some("10.0.0.1"),
            p: Some("22"),
            r: Some("admin"),
            n: Some("rtr1"),
            ..Tokens::default()
        };
        assert_eq!(
            expand("%r@%h:%p (%n) 100%%", &t).unwrap(),
            "admin@10.0.0.1:22 (rtr1) 100%"
        );
        assert!(expand("%C", &t).unwrap_err().contains("%C"));
        assert!(expand("%d", &t).is_err());
        assert!(expand("50%", &t).is_err());
        assert_eq!(tilde("~/.ssh/x", Some("/home/u")), "/home/u/.ssh/x");
        assert_eq!(tilde("~bob/x", Some("/home/u")), "~bob/x");
    }
}
