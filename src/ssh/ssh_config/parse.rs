//! Reading ssh_config files into a flat list of [`Item`]s, once: lines split as OpenSSH
//! splits them (`key value`, `key=value`, quotes, `#` comments, case-insensitive
//! keywords), values checked at load as OpenSSH checks them (a bad `Port` anywhere is an
//! error, even in a block that never matches), and `Include` read in place (relative to
//! `~/.ssh` from a user file, `/etc/ssh` from the system one; wildcards; at most
//! [`MAX_DEPTH`] deep) between [`Item::Enter`] and [`Item::Leave`] markers, because whether
//! the included lines apply depends on the host being resolved.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::keywords::{self, Kw};
use super::pattern::wildcard;
use crate::base::files::{self, FileKind};
use crate::base::text::Untrusted;

/// OpenSSH's limit on nested `Include`s.
pub const MAX_DEPTH: usize = 16;
/// Longest line read (OpenSSH's own limit is a few KiB).
pub const MAX_LINE: usize = 16 * 1024;
/// Files one configuration may read through `Include` (a glob over a huge directory).
pub const MAX_FILES: usize = 1024;

/// Where a line came from: an index into [`Parsed::files`] and a 1-based line number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct At {
    pub file: u32,
    pub line: u32,
}

/// One thing a line says, in file order, includes flattened in.
#[derive(Debug, Clone)]
pub enum Item {
    /// `Host pattern…`: each pattern with whether it is negated.
    Host(Vec<(bool, String)>),
    /// `Match …`; its criteria are all required.
    Match(At, Vec<Criterion>),
    /// An option line.
    Opt(At, Value),
    /// The start of an included file: Host/Match inside never match if the Include line
    /// was in an inactive block, and the state before it comes back at [`Item::Leave`].
    Enter,
    Leave,
}

#[derive(Debug, Clone)]
pub struct Criterion {
    pub negate: bool,
    pub kind: CriterionKind,
}

#[derive(Debug, Clone)]
pub enum CriterionKind {
    All,
    Host(String),
    OriginalHost(String),
    User(String),
    LocalUser(String),
    /// `exec`, `canonical`, `final`, `localnetwork`, `tagged`: never evaluated (an `exec`
    /// command is never run); the block does not match, and the log says so once.
    Unsupported(String),
}

/// StrictHostKeyChecking's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strictness {
    /// `yes` and `ask` (nobody is there to answer): only known keys.
    Yes,
    AcceptNew,
    /// `no` / `off`: unknown keys accepted (fleetdash still refuses a changed key).
    No,
}

/// A checked option value.
#[derive(Debug, Clone)]
pub enum Value {
    HostName(String),
    User(String),
    Port(u16),
    IdentityFile(String),
    IdentitiesOnly(bool),
    IdentityAgent(String),
    /// `None` for `ProxyJump none`.
    ProxyJump(Option<Vec<String>>),
    /// `None` for `ProxyCommand none`.
    ProxyCommand(Option<String>),
    /// `None` for `ConnectTimeout none` (or 0).
    ConnectTimeout(Option<Duration>),
    StrictHostKeyChecking(Strictness),
    UserKnownHostsFile(Vec<String>),
    GlobalKnownHostsFile(Vec<String>),
    HostKeyAlias(String),
    /// KexAlgorithms, HostKeyAlgorithms, Ciphers, MACs: the list as written (`+`, `-`, `^`).
    Algorithms(Kw, String),
    ServerAliveInterval(u32),
    ServerAliveCountMax(u32),
    IgnoreUnknown(String),
    /// An OpenSSH option fleetdash does not act on (named once in the log).
    Ignored(Kw),
    /// Not an OpenSSH keyword fleetdash knows (newer, or a typo), lowercased.
    Unknown(String),
}

/// The files read and the items they hold.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    pub files: Vec<PathBuf>,
    pub items: Vec<Item>,
}

/// Which kind of file: decides where a relative `Include` points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    User,
    System,
}

/// A configuration error, with where (OpenSSH refuses to run on these too).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: PathBuf,
    pub line: u32,
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let file = self.file.display().to_string();
        match self.line {
            0 => write!(f, "ssh_config {}: {}", Untrusted(&file), self.message),
            n => write!(f, "ssh_config {}:{n}: {}", Untrusted(&file), self.message),
        }?;
        write!(f, " (fix the file, or run with --no-ssh-config)")
    }
}

impl std::error::Error for ConfigError {}

/// Reads `path` (and what it includes) onto `into`. A missing top-level file is fine
/// (`Ok(false)`), as it is for OpenSSH.
pub fn read_file(
    path: &Path,
    origin: Origin,
    home: Option<&str>,
    into: &mut Parsed,
) -> Result<bool, ConfigError> {
    match files::read_text(path, FileKind::SshConfig) {
        Err(e) if e.is_not_found() => Ok(false),
        Err(e) => Err(ConfigError {
            file: path.to_path_buf(),
            line: 0,
            message: format!("cannot read it: {e} ({})", e.help()),
        }),
        Ok(text) => {
            let mut reader = Reader { origin, home, into };
            reader.text(path, &text, 0)?;
            Ok(true)
        }
    }
}

struct Reader<'a> {
    origin: Origin,
    home: Option<&'a str>,
    into: &'a mut Parsed,
}

impl Reader<'_> {
    fn text(&mut self, path: &Path, text: &str, depth: usize) -> Result<(), ConfigError> {
        if self.into.files.len() >= MAX_FILES {
            return Err(ConfigError {
                file: path.to_path_buf(),
                line: 0,
                message: format!("more than {MAX_FILES} files through Include"),
            });
        }
        let file = self.into.files.len() as u32;
        self.into.files.push(path.to_path_buf());
        for (i, line) in text.lines().enumerate() {
            let at = At {
                file,
                line: i as u32 + 1,
            };
            let fail = |message: String| ConfigError {
                file: path.to_path_buf(),
                line: at.line,
                message,
            };
            if line.len() > MAX_LINE {
                return Err(fail(format!("line longer than {MAX_LINE} bytes")));
            }
            let Some((keyword, rest)) = split_keyword(line) else {
                continue;
            };
            if rest.is_empty() {
                return Err(fail(format!("no value after {}", Untrusted(keyword))));
            }
            let kw = keywords::lookup(keyword);
            if kw == Some(Kw::Include) {
                for arg in words(rest).map_err(fail)? {
                    self.include(&arg, depth, at, path)?;
                }
                continue;
            }
            let item = match kw {
                Some(Kw::Host) => Item::Host(host_patterns(&words(rest).map_err(fail)?)),
                Some(Kw::Match) => {
                    Item::Match(at, criteria(&words(rest).map_err(fail)?).map_err(fail)?)
                }
                _ => Item::Opt(at, value(kw, keyword, rest).map_err(fail)?),
            };
            self.into.items.push(item);
        }
        Ok(())
    }

    fn include(&mut self, arg: &str, depth: usize, at: At, from: &Path) -> Result<(), ConfigError> {
        let fail = |message: String| ConfigError {
            file: from.to_path_buf(),
            line: at.line,
            message,
        };
        if depth + 1 >= MAX_DEPTH {
            return Err(fail(format!(
                "Include nested more than {MAX_DEPTH} deep (a file that includes itself?)"
            )));
        }
        let path = super::pattern::tilde(arg, self.home);
        let path = if path.starts_with('/') {
            PathBuf::from(path)
        } else {
            match self.origin {
                Origin::System => PathBuf::from("/etc/ssh").join(path),
                Origin::User => match self.home {
                    Some(h) => Path::new(h).join(".ssh").join(path),
                    None => return Err(fail("relative Include without a home directory".into())),
                },
            }
        };
        self.into.items.push(Item::Enter);
        for file in glob(&path) {
            match files::read_text(&file, FileKind::SshConfig) {
                Ok(text) => self.text(&file, &text, depth + 1)?,
                // What glob(3) found but cannot open is skipped, as OpenSSH skips it.
                Err(e) if e.is_not_found() => {}
                Err(e) => {
                    return Err(fail(format!(
                        "Include {}: {e} ({})",
                        Untrusted(&file.display().to_string()),
                        e.help()
                    )));
                }
            }
        }
        self.into.items.push(Item::Leave);
        Ok(())
    }
}

/// The files a path with `*`/`?` in any component names, sorted as glob(3) sorts them.
fn glob(path: &Path) -> Vec<PathBuf> {
    let mut found = vec![PathBuf::from("/")];
    for part in path.components().skip(1) {
        let part = part.as_os_str().to_string_lossy();
        let wild = part.contains(['*', '?']);
        let mut next = Vec::new();
        for dir in &found {
            if !wild {
                next.push(dir.join(part.as_ref()));
                continue;
            }
            let Ok(entries) = std::fs::read_dir(dir) else {
                continue;
            };
            let mut names: Vec<String> = entries
                .filter_map(|e| e.ok()?.file_name().into_string().ok())
                // glob(3) without GLOB_PERIOD: a wildcard does not match a leading dot.
                .filter(|n| !n.starts_with('.') || part.starts_with('.'))
                .filter(|n| wildcard(n, &part))
                .collect();
            names.sort();
            next.extend(names.into_iter().map(|n| dir.join(n)));
            if next.len() > MAX_FILES {
                break;
            }
        }
        found = next;
    }
    found.retain(|p| !p.is_dir());
    found
}

/// The keyword and the rest of the line: `key value`, `key=value`, `key = value`.
/// `None` for blank and comment lines.
fn split_keyword(line: &str) -> Option<(&str, &str)> {
    let line = line.trim_matches([' ', '\t', '\r', '\x0c']);
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let end = line.find([' ', '\t', '=']).unwrap_or(line.len());
    let (keyword, rest) = line.split_at(end);
    let rest = rest.trim_start_matches([' ', '\t']);
    let rest = rest.strip_prefix('=').unwrap_or(rest);
    Some((keyword, rest.trim_start_matches([' ', '\t'])))
}

/// OpenSSH's argv_split: words split on blanks, `"…"`/`'…'` quoting, `\` escaping quotes,
/// backslashes and (unquoted) spaces, and a word starting with `#` ends the line.
pub fn words(s: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.next_if(|c| *c == ' ' || *c == '\t').is_some() {}
        match chars.peek() {
            None | Some('#') => return Ok(out),
            _ => {}
        }
        let mut word = String::new();
        let mut quote = None;
        while let Some(c) = chars.next() {
            match (c, quote) {
                ('\\', q) => match chars.peek() {
                    Some(&n) if n == '\'' || n == '"' || n == '\\' || (q.is_none() && n == ' ') => {
                        word.push(n);
                        chars.next();
                    }
                    _ => word.push('\\'),
                },
                (' ' | '\t', None) => break,
                ('"' | '\'', None) => quote = Some(c),
                (c, Some(q)) if c == q => quote = None,
                (c, _) => word.push(c),
            }
        }
        if quote.is_some() {
            return Err("unclosed quote".into());
        }
        out.push(word);
    }
}

fn host_patterns(args: &[String]) -> Vec<(bool, String)> {
    args.iter()
        .map(|p| match p.strip_prefix('!') {
            Some(neg) => (true, neg.to_string()),
            None => (false, p.clone()),
        })
        .collect()
}

/// OpenSSH's convtime: `30`, `1m30s`, `2h`; units s, m, h, d, w in either case.
fn convtime(s: &str) -> Option<Duration> {
    let mut total: u64 = 0;
    let mut digits = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let scale = match c.to_ascii_lowercase() {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 604_800,
            _ => return None,
        };
        let n: u64 = std::mem::take(&mut digits).parse().ok()?;
        total = total.checked_add(n.checked_mul(scale)?)?;
    }
    if !digits.is_empty() {
        total = total.checked_add(digits.parse().ok()?)?;
    }
    (!s.is_empty() && total <= u64::from(u32::MAX)).then(|| Duration::from_secs(total))
}

/// One option line's checked value; `Err` says what is wrong with it.
fn value(kw: Option<Kw>, keyword: &str, rest: &str) -> Result<Value, String> {
    let Some(kw) = kw else {
        return Ok(Value::Unknown(keyword.to_ascii_lowercase()));
    };
    let one = || -> Result<String, String> {
        words(rest)?
            .into_iter()
            .next()
            .ok_or_else(|| format!("no value after {}", kw.name()))
    };
    let yes_no = || -> Result<bool, String> {
        match one()?.to_ascii_lowercase().as_str() {
            "yes" | "true" => Ok(true),
            "no" | "false" => Ok(false),
            other => Err(format!(
                "{}: expected yes or no, not {}",
                kw.name(),
                Untrusted(other)
            )),
        }
    };
    let time = || -> Result<Option<Duration>, String> {
        let v = one()?;
        if v.eq_ignore_ascii_case("none") {
            return Ok(None);
        }
        convtime(&v)
            .map(|d| (!d.is_zero()).then_some(d))
            .ok_or_else(|| {
                format!(
                    "{}: not a time (30, 1m, 1m30s): {}",
                    kw.name(),
                    Untrusted(&v)
                )
            })
    };
    Ok(match kw {
        Kw::Host | Kw::Match | Kw::Include => unreachable!("handled by the reader"),
        Kw::HostName => Value::HostName(one()?),
        Kw::User => Value::User(one()?),
        Kw::Port => {
            let v = one()?;
            match v.parse::<u16>() {
                Ok(p) if p > 0 => Value::Port(p),
                _ => {
                    return Err(format!(
                        "Port: not a port number (1…65535): {}",
                        Untrusted(&v)
                    ));
                }
            }
        }
        Kw::IdentityFile => Value::IdentityFile(one()?),
        Kw::IdentitiesOnly => Value::IdentitiesOnly(yes_no()?),
        Kw::IdentityAgent => Value::IdentityAgent(one()?),
        Kw::ProxyJump => {
            let v = one()?;
            if v.eq_ignore_ascii_case("none") {
                Value::ProxyJump(None)
            } else {
                let hops: Vec<String> = v.split(',').map(str::to_string).collect();
                if hops.iter().any(|h| h.is_empty()) {
                    return Err(format!("ProxyJump: an empty hop in {}", Untrusted(&v)));
                }
                Value::ProxyJump(Some(hops))
            }
        }
        Kw::ProxyCommand => {
            // The rest of the line, as OpenSSH takes it (it goes to a shell).
            let cmd = rest.trim_end().to_string();
            Value::ProxyCommand((!cmd.eq_ignore_ascii_case("none")).then_some(cmd))
        }
        Kw::ConnectTimeout => Value::ConnectTimeout(time()?),
        Kw::StrictHostKeyChecking => {
            Value::StrictHostKeyChecking(match one()?.to_ascii_lowercase().as_str() {
                "yes" | "true" | "ask" => Strictness::Yes,
                "accept-new" => Strictness::AcceptNew,
                "no" | "false" | "off" => Strictness::No,
                other => {
                    return Err(format!(
                        "StrictHostKeyChecking: expected yes, ask, accept-new or no, not {}",
                        Untrusted(other)
                    ));
                }
            })
        }
        Kw::UserKnownHostsFile => Value::UserKnownHostsFile(words(rest)?),
        Kw::GlobalKnownHostsFile => Value::GlobalKnownHostsFile(words(rest)?),
        Kw::HostKeyAlias => Value::HostKeyAlias(one()?),
        Kw::KexAlgorithms | Kw::HostKeyAlgorithms | Kw::Ciphers | Kw::Macs => {
            Value::Algorithms(kw, one()?)
        }
        Kw::ServerAliveInterval => {
            Value::ServerAliveInterval(time()?.map_or(0, |d| d.as_secs() as u32))
        }
        Kw::ServerAliveCountMax => {
            let v = one()?;
            Value::ServerAliveCountMax(
                v.parse()
                    .map_err(|_| format!("ServerAliveCountMax: not a number: {}", Untrusted(&v)))?,
            )
        }
        Kw::IgnoreUnknown => Value::IgnoreUnknown(one()?),
        other => Value::Ignored(other),
    })
}

fn criteria(args: &[String]) -> Result<Vec<Criterion>, String> {
    let mut out = Vec::new();
    let mut it = args.iter();
    while let Some(attr) = it.next() {
        let (negate, name) = match attr.strip_prefix('!') {
            Some(n) => (true, n),
            None => (false, attr.as_str()),
        };
        let lower = name.to_ascii_lowercase();
        let kind = match lower.as_str() {
            "all" => {
                if args.len() > 1 {
                    return Err("Match all cannot be combined with other criteria".into());
                }
                CriterionKind::All
            }
            "canonical" | "final" => CriterionKind::Unsupported(lower),
            _ => {
                let Some(arg) = it.next() else {
                    return Err(format!("Match {}: a pattern is missing", Untrusted(name)));
                };
                match lower.as_str() {
                    "host" => CriterionKind::Host(arg.clone()),
                    "originalhost" => CriterionKind::OriginalHost(arg.clone()),
                    "user" => CriterionKind::User(arg.clone()),
                    "localuser" => CriterionKind::LocalUser(arg.clone()),
                    "exec" | "localnetwork" | "tagged" => CriterionKind::Unsupported(lower),
                    _ => {
                        return Err(format!(
                            "Match: unknown criterion {} (host, originalhost, user, localuser, \
                             all)",
                            Untrusted(name)
                        ));
                    }
                }
            }
        };
        out.push(Criterion { negate, kind });
    }
    if out.is_empty() {
        return Err("Match without criteria".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_split_as_openssh_splits_them() {
        let cases = [
            ("Port 22", Some(("Port", "22"))),
            ("  port=22", Some(("port", "22"))),
            ("PORT = 22", Some(("PORT", "22"))),
            ("Port\t=\t22  ", Some(("Port", "22"))),
            ("# Port 22", None),
            ("   ", None),
            ("Port", Some(("Port", ""))),
        ];
        for (line, want) in cases {
            assert_eq!(split_keyword(line), want, "{line:?}");
        }
    }

    #[test]
    fn words_quote_escape_and_comment() {
        let cases: [(&str, &[&str]); 5] = [
            ("a b\tc", &["a", "b", "c"]),
            ("\"a b\" 'c d'", &["a b", "c d"]),
            ("a\\ b c # a comment", &["a b", "c"]),
            ("x\"y z\"w", &["xy zw"]),
            ("a#b", &["a#b"]),
        ];
        for (s, want) in cases {
            assert_eq!(words(s).unwrap(), want, "{s:?}");
        }
        assert!(words("\"open").is_err());
    }

    #[test]
    fn times_as_openssh_reads_them() {
        let cases = [
            ("30", Some(30)),
            ("1m30s", Some(90)),
            ("2H", Some(7200)),
            ("1w", Some(604_800)),
            ("soon", None),
            ("5ms", None),
            ("", None),
            ("99999999999999999999", None),
        ];
        for (s, want) in cases {
            assert_eq!(convtime(s).map(|d| d.as_secs()), want, "{s:?}");
        }
    }

    fn parse(text: &str) -> Result<Parsed, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        std::fs::write(&path, text).unwrap();
        let mut p = Parsed::default();
        read_file(&path, Origin::User, Some("/nonexistent-home"), &mut p)?;
        Ok(p)
    }

    #[test]
    fn bad_values_are_errors_with_the_line_even_in_blocks_that_never_match() {
        let cases = [
            ("Host nothing\n  Port abc\n", 2, "Port"),
            ("Port 0\n", 1, "Port"),
            ("Port 70000\n", 1, "Port"),
            ("IdentitiesOnly maybe\n", 1, "yes or no"),
            ("StrictHostKeyChecking sometimes\n", 1, "accept-new"),
            ("Match bogus x\n", 1, "unknown criterion"),
            ("Match host\n", 1, "missing"),
            ("Match all host x\n", 1, "combined"),
            ("\n\nHostName\n", 3, "no value"),
            ("User \"unclosed\n", 1, "quote"),
            ("ConnectTimeout soon\n", 1, "ConnectTimeout"),
            ("ProxyJump a,,b\n", 1, "empty hop"),
            ("ServerAliveCountMax many\n", 1, "ServerAliveCountMax"),
        ];
        for (text, line, what) in cases {
            let e = parse(text).unwrap_err();
            assert_eq!(e.line, line, "{text:?}: {e}");
            let lower = e.message.to_lowercase();
            assert!(lower.contains(&what.to_lowercase()), "{text:?}: {e}");
            assert!(e.to_string().contains("--no-ssh-config"), "{e}");
        }
    }

    #[test]
    fn include_recursion_is_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("loop");
        std::fs::write(&path, format!("Include {}\n", path.display())).unwrap();
        let mut p = Parsed::default();
        let e = read_file(&path, Origin::User, None, &mut p).unwrap_err();
        assert!(e.message.contains("nested"), "{e}");
    }

    #[test]
    fn long_lines_are_refused() {
        let e = parse(&format!("User {}\n", "x".repeat(MAX_LINE))).unwrap_err();
        assert!(e.message.contains("longer"), "{e}");
    }

    #[test]
    fn relative_includes_go_to_dot_ssh_and_globs_sort() {
        let home = tempfile::tempdir().unwrap();
        let ssh = home.path().join(".ssh/conf.d");
        std::fs::create_dir_all(&ssh).unwrap();
        std::fs::write(ssh.join("b.conf"), "User b\n").unwrap();
        std::fs::write(ssh.join("a.conf"), "User a\n").unwrap();
        std::fs::write(ssh.join(".hidden.conf"), "User hidden\n").unwrap();
        let top = home.path().join("top");
        std::fs::write(&top, "Include conf.d/*.conf missing.conf\n").unwrap();
        let mut p = Parsed::default();
        let h = home.path().to_str().unwrap();
        read_file(&top, Origin::User, Some(h), &mut p).unwrap();
        let users: Vec<&str> = p
            .items
            .iter()
            .filter_map(|i| match i {
                Item::Opt(_, Value::User(u)) => Some(u.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(users, ["a", "b"]);
        assert_eq!(p.files.len(), 3);
    }
}
