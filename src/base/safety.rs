//! What a command may do before it is sent to a device.
//!
//! Three rules, applied by every front end (dashboard, `exec`, rollout plans) and again by
//! the SSH session itself:
//!
//! - **A command is one line**: no line break or other control character, so what reaches
//!   the device is exactly the one command the user saw ([`one_line`]).
//! - **Read-only is an allow-list** per CLI family: the command families that only read
//!   (`show`, `display`, `ping`, …; on a shell, a named set of programs with plain
//!   arguments). Everything else is refused ([`read_only`]).
//! - **Dangerous commands ask first**: reboots, erases and configuration changes are named
//!   by a list, abbreviations and shell wrappers included ([`danger`]).
//!
//! [`judge`] combines them for a command and the devices it would run on.

use std::collections::BTreeSet;

/// Characters a command may have: enough for any CLI line; a longer one is a paste gone wrong.
pub const MAX_COMMAND_CHARS: usize = 4096;

/// How a platform's CLI reads a command: which read-only allow-list and which dangerous
/// words apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    /// IOS-like CLIs: Cisco IOS/XE/NX-OS/XR/ASA, Arista EOS, and CLIs modelled on them.
    Cisco,
    JuniperJunos,
    HuaweiVrp,
    NokiaSros,
    MikrotikRouteros,
    /// A POSIX shell (Linux, and any platform fleetdash does not know: those are reached
    /// through an exec channel, which the remote user's shell interprets).
    Shell,
}

impl Family {
    /// The family of a netmiko-style platform name.
    pub fn of(platform: &str) -> Family {
        let p = platform.to_ascii_lowercase();
        const CISCO_LIKE: &[&str] = &[
            "cisco_",
            "arista_",
            "dell_",
            "hp_",
            "aruba",
            "extreme",
            "brocade",
            "ruckus",
            "ubiquiti_edgeswitch",
            "allied_telesis",
            "mellanox",
            "ciena_saos",
        ];
        if CISCO_LIKE.iter().any(|prefix| p.starts_with(prefix)) {
            Family::Cisco
        } else if p.starts_with("juniper") {
            Family::JuniperJunos
        } else if p.starts_with("huawei") {
            Family::HuaweiVrp
        } else if p.starts_with("nokia_sros") || p.starts_with("alcatel_sros") {
            Family::NokiaSros
        } else if p.starts_with("mikrotik") {
            Family::MikrotikRouteros
        } else {
            Family::Shell
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Family::Cisco => "IOS-style",
            Family::JuniperJunos => "Junos",
            Family::HuaweiVrp => "Huawei VRP",
            Family::NokiaSros => "Nokia SR OS",
            Family::MikrotikRouteros => "RouterOS",
            Family::Shell => "shell (Linux and unknown platforms)",
        }
    }
}

/// Refuses anything but one line of printable text: a line break would run a second
/// command the user never saw, and other control characters edit the line on the device
/// (Tab completes, Ctrl-U erases, ESC starts a sequence).
pub fn one_line(command: &str) -> Result<(), String> {
    let chars = command.chars().count();
    if chars > MAX_COMMAND_CHARS {
        return Err(format!(
            "the command is {chars} characters long; the limit is {MAX_COMMAND_CHARS}"
        ));
    }
    match command
        .chars()
        .enumerate()
        .find(|(_, c)| super::text::is_unsafe(*c))
    {
        None => Ok(()),
        Some((at, c)) => {
            let what = match c {
                '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}' => "a line break",
                '\t' => "a tab",
                '\u{1b}' => "an escape character",
                c if super::text::is_bidi_control(c) => "a bidirectional-text control",
                _ => "a control character",
            };
            Err(format!(
                "the command contains {what} ({} at character {}): a command is one line; \
                 run several commands one by one, or as a `config:` step of a rollout plan",
                super::text::escape_line(&c.to_string()),
                at + 1
            ))
        }
    }
}

/// Whether running a command needs a question first, or is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Run,
    /// Dangerous: ask first (dashboard) or require `--allow-dangerous` (headless).
    Ask(&'static str),
    Refuse(String),
}

/// The verdict for `command` on devices of `families`: refused when it is not one line, or
/// (with `read_only`) when it is not read-only on every family; else dangerous when it is
/// dangerous on any of them.
pub fn judge(
    command: &str,
    families: impl IntoIterator<Item = Family>,
    read_only_mode: bool,
) -> Verdict {
    if let Err(why) = one_line(command) {
        return Verdict::Refuse(why);
    }
    let families: BTreeSet<Family> = families.into_iter().collect();
    if read_only_mode {
        // The allow-list is the authority: what it lets through only reads.
        for &family in &families {
            if let Err(why) = read_only(command, family) {
                return Verdict::Refuse(format!("read-only: {why} ({} devices)", family.name()));
            }
        }
        return Verdict::Run;
    }
    match families.iter().find_map(|&f| danger(command, f)) {
        Some(why) => Verdict::Ask(why),
        None => Verdict::Run,
    }
}

// ---------------------------------------------------------------------------------------
// Read-only: allow-lists
// ---------------------------------------------------------------------------------------

/// `Ok` when `command` only reads on `family`; else why not, and what would be allowed.
pub fn read_only(command: &str, family: Family) -> Result<(), String> {
    one_line(command)?;
    if command.trim().is_empty() {
        return Err("an empty command".into());
    }
    match family {
        Family::Shell => shell_read_only(command),
        Family::MikrotikRouteros => routeros_read_only(command),
        cli => cli_read_only(command, cli),
    }
}

/// First words that only read, per network CLI family, with the shortest abbreviation
/// accepted (`sh` for `show`; a single letter is ambiguous on every CLI).
fn reading_verbs(family: Family) -> &'static [(&'static str, usize)] {
    match family {
        Family::Cisco => &[
            ("show", 2),
            ("ping", 2),
            ("traceroute", 4),
            ("dir", 3),
            ("who", 3),
        ],
        Family::JuniperJunos => &[("show", 2), ("ping", 2), ("traceroute", 4)],
        Family::HuaweiVrp => &[("display", 3), ("ping", 2), ("tracert", 5)],
        Family::NokiaSros => &[("show", 2), ("ping", 2), ("traceroute", 4)],
        Family::MikrotikRouteros | Family::Shell => &[],
    }
}

/// Output filters after `|` that only read, per family. `redirect`, `tee`, `append`,
/// `save`, `file` and friends write files and are never here.
fn reading_filters(family: Family) -> &'static [&'static str] {
    match family {
        Family::Cisco => &[
            "include",
            "exclude",
            "begin",
            "section",
            "count",
            "grep",
            "egrep",
            "head",
            "last",
            "no-more",
            "json",
            "json-pretty",
            "xml",
            "wc",
        ],
        Family::JuniperJunos => &[
            "match", "except", "count", "display", "find", "last", "no-more", "trim", "resolve",
            "compare",
        ],
        Family::HuaweiVrp => &["include", "exclude", "begin", "count", "section", "no-more"],
        Family::NokiaSros => &["match", "count", "no-more"],
        Family::MikrotikRouteros | Family::Shell => &[],
    }
}

/// Filter names that write files or run something, per family: an abbreviation that could
/// mean one of them is refused even where it also abbreviates a reading filter (`| s` is
/// `section`, but also `sort` or `sed` on NX-OS; on Junos it is `save`).
fn writing_filters(family: Family) -> &'static [&'static str] {
    match family {
        Family::Cisco => &[
            "append", "redirect", "tee", "file", "email", "vsh", "less", "format", "utility",
            "diff", "sort", "uniq", "tr", "sed", "cut",
        ],
        Family::JuniperJunos => &["save", "append", "tee", "request", "refresh", "hold"],
        Family::HuaweiVrp => &["redirect", "tee", "append", "refresh"],
        Family::NokiaSros => &["file", "save", "tee", "append"],
        Family::MikrotikRouteros | Family::Shell => &[],
    }
}

fn abbreviates(word: &str, full: &str, min: usize) -> bool {
    word.len() >= min.min(full.len()) && full.starts_with(word)
}

fn cli_read_only(command: &str, family: Family) -> Result<(), String> {
    if let Some(c) = command.chars().find(|c| matches!(c, ';' | '>' | '<' | '`')) {
        return Err(format!(
            "`{c}` is refused in read-only mode (it chains commands or redirects output)"
        ));
    }
    let mut parts = command.split('|');
    let head = parts.next().unwrap_or_default();
    let mut words: Vec<String> = head.split_whitespace().map(str::to_lowercase).collect();
    // IOS's `do` runs an exec command from config mode: judge the command it runs.
    if family == Family::Cisco && words.first().is_some_and(|w| w == "do") {
        words.remove(0);
    }
    let verbs = reading_verbs(family);
    let allowed = || verbs.iter().map(|(v, _)| *v).collect::<Vec<_>>().join(", ");
    let first = words.first().map(String::as_str).unwrap_or_default();
    let reads =
        verbs.iter().any(|(v, min)| abbreviates(first, v, *min)) || session_setting(family, &words);
    if !reads {
        return Err(format!(
            "`{}` is not a read-only command; allowed: {}",
            super::text::Untrusted(first),
            allowed()
        ));
    }
    for filter in parts {
        let word = filter
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_lowercase();
        let reading = reading_filters(family)
            .iter()
            .any(|f| abbreviates(&word, f, 1));
        let writing = writing_filters(family)
            .iter()
            .any(|f| abbreviates(&word, f, 1));
        if word.is_empty() || !reading || writing {
            return Err(format!(
                "`| {}` is not a read-only output filter; allowed: {}",
                super::text::Untrusted(&word),
                reading_filters(family).join(", ")
            ));
        }
    }
    Ok(())
}

/// Commands that change only this session's terminal (paging, width): harmless.
fn session_setting(family: Family, words: &[String]) -> bool {
    let w: Vec<&str> = words.iter().map(String::as_str).collect();
    match family {
        Family::Cisco => {
            matches!(w.as_slice(), [t, setting, _] if abbreviates(t, "terminal", 4)
                && (abbreviates(setting, "length", 3) || abbreviates(setting, "width", 3)))
        }
        Family::HuaweiVrp => matches!(w.as_slice(), ["screen-length", _, "temporary"]),
        Family::JuniperJunos => {
            matches!(
                w.as_slice(),
                ["set", "cli", "screen-length" | "screen-width", _]
            )
        }
        _ => false,
    }
}

/// RouterOS: a menu path ending in `print` (or `export` without `file=`), `/ping`,
/// `/tool traceroute`; no scripting (`:`, `[`, `;`, `$`).
fn routeros_read_only(command: &str) -> Result<(), String> {
    if let Some(c) = command.chars().find(|&c| !plain_shell_char(c)) {
        return Err(format!(
            "`{}` is refused in read-only mode (RouterOS scripting, redirection)",
            super::text::escape_line(&c.to_string())
        ));
    }
    let words: Vec<String> = command
        .split(|c: char| c.is_whitespace() || c == '/')
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    if words.iter().any(|w| w.starts_with(':')) {
        return Err("RouterOS `:` commands (scripting) are refused in read-only mode".into());
    }
    // The menu path and verbs, without `name=value` arguments.
    let menu: Vec<&str> = words
        .iter()
        .map(String::as_str)
        .filter(|w| !w.contains('='))
        .collect();
    let reads = matches!(menu.as_slice(), ["ping", ..] | ["tool", "traceroute", ..])
        || menu.iter().any(|w| matches!(*w, "print" | "export"));
    if !reads || routeros_danger(command).is_some() || words.iter().any(|w| w.starts_with("file="))
    {
        return Err(format!(
            "`{}` is not read-only on RouterOS; allowed: `… print`, `… export` (no file=), \
             `/ping`, `/tool traceroute`",
            super::text::Untrusted(&words.join(" "))
        ));
    }
    Ok(())
}

/// Characters a read-only shell command may contain: words and plain arguments only. Every
/// other character is shell syntax (`; & | < > $ \` ( ) { } ' " \ * ? [ ] ~ # !`), which can
/// chain, substitute, redirect or expand.
fn plain_shell_char(c: char) -> bool {
    c.is_alphanumeric() || " _./:,=@%+-^".contains(c)
}

/// A read-only program and the rule its arguments must follow.
type ArgRule = fn(&[&str]) -> Result<(), String>;

/// Programs that only read, by name (never by path: `/tmp/uptime` is not `uptime`).
/// Programs that run other programs (`env`, `nohup`, `sudo`, `xargs`, `watch`, `timeout`),
/// pagers with shell escapes (`less`, `more`), editors and interpreters (`awk`, `sed`,
/// `python`) are not here, whatever their arguments.
const READ_ONLY_PROGRAMS: &[(&str, ArgRule)] = &[
    ("uptime", any_args),
    ("uname", any_args),
    ("whoami", any_args),
    ("id", any_args),
    ("groups", any_args),
    ("w", any_args),
    ("who", any_args),
    ("last", any_args),
    ("free", any_args),
    ("df", any_args),
    ("du", any_args),
    ("ps", any_args),
    ("pstree", any_args),
    ("top", top_args),
    ("vmstat", any_args),
    ("iostat", any_args),
    ("mpstat", any_args),
    ("nproc", any_args),
    ("lscpu", any_args),
    ("lsblk", any_args),
    ("lsmod", any_args),
    ("lspci", any_args),
    ("lsusb", any_args),
    ("lsof", any_args),
    ("ss", any_args),
    ("netstat", any_args),
    ("ping", any_args),
    ("ping6", any_args),
    ("traceroute", any_args),
    ("traceroute6", any_args),
    ("tracepath", any_args),
    ("mtr", any_args),
    ("cat", any_args),
    ("head", any_args),
    ("tail", any_args),
    ("ls", any_args),
    ("stat", any_args),
    ("file", any_args),
    ("wc", any_args),
    ("grep", any_args),
    ("egrep", any_args),
    ("fgrep", any_args),
    ("md5sum", any_args),
    ("sha1sum", any_args),
    ("sha256sum", any_args),
    ("printenv", any_args),
    ("locale", any_args),
    ("lldpctl", any_args),
    ("date", date_args),
    ("hostname", hostname_args),
    ("sysctl", sysctl_args),
    ("dmesg", dmesg_args),
    ("journalctl", journalctl_args),
    ("find", find_args),
    ("arp", arp_args),
    ("route", options_only),
    ("ip", ip_args),
    ("bridge", bridge_args),
    ("ethtool", ethtool_args),
    ("iptables", iptables_args),
    ("ip6tables", iptables_args),
    ("nft", nft_args),
    ("systemctl", systemctl_args),
    ("timedatectl", timedatectl_args),
    ("hostnamectl", hostnamectl_args),
    ("networkctl", networkctl_args),
    ("lldpcli", lldpcli_args),
];

fn shell_read_only(command: &str) -> Result<(), String> {
    if let Some(c) = command.chars().find(|&c| !plain_shell_char(c)) {
        return Err(format!(
            "`{}` is shell syntax; in read-only mode a shell command is one program with \
             plain arguments (no ; & | < > $ ` ( ) quotes, globs or escapes)",
            super::text::escape_line(&c.to_string())
        ));
    }
    let words: Vec<&str> = command.split_whitespace().collect();
    let Some((&program, args)) = words.split_first() else {
        return Err("an empty command".into());
    };
    if program.contains('/') {
        return Err(format!(
            "`{}`: run read-only programs by name, not by path",
            super::text::Untrusted(program)
        ));
    }
    match READ_ONLY_PROGRAMS.iter().find(|(name, _)| *name == program) {
        Some((_, rule)) => rule(args).map_err(|why| format!("`{program}`: {why}")),
        None => Err(format!(
            "`{}` is not one of the read-only programs ({} …)",
            super::text::Untrusted(program),
            READ_ONLY_PROGRAMS
                .iter()
                .take(12)
                .map(|(n, _)| *n)
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

fn is_option(word: &str) -> bool {
    word.starts_with('-') && word.len() > 1
}

fn positional<'a>(args: &[&'a str]) -> Vec<&'a str> {
    args.iter().copied().filter(|a| !is_option(a)).collect()
}

/// Whether `arg` is the option `forbidden`: `--long`, `--long=value`, `-x`, or `x` inside a
/// cluster of short options (`-cT`).
fn is_the_option(arg: &str, forbidden: &str) -> bool {
    if let Some(long) = forbidden.strip_prefix("--") {
        return arg
            .strip_prefix("--")
            .is_some_and(|a| a == long || a.starts_with(&format!("{long}=")));
    }
    let Some(short) = forbidden.strip_prefix('-') else {
        return arg == forbidden;
    };
    arg.strip_prefix('-')
        .is_some_and(|a| !a.starts_with('-') && short.chars().all(|s| a.contains(s)))
}

fn refuse_options(args: &[&str], forbidden: &[&str], why: &str) -> Result<(), String> {
    match args
        .iter()
        .find(|a| forbidden.iter().any(|f| is_the_option(a, f)))
    {
        Some(a) => Err(format!("`{a}` {why}")),
        None => Ok(()),
    }
}

fn any_args(_: &[&str]) -> Result<(), String> {
    Ok(())
}

fn options_only(args: &[&str]) -> Result<(), String> {
    match positional(args).first() {
        Some(word) => Err(format!("`{word}`: only options are allowed")),
        None => Ok(()),
    }
}

/// `top` must run in batch mode (`-b`), else it waits for keys forever.
fn top_args(args: &[&str]) -> Result<(), String> {
    if args.iter().any(|a| is_the_option(a, "-b")) {
        Ok(())
    } else {
        Err("add `-b -n 1` (batch mode)".into())
    }
}

fn date_args(args: &[&str]) -> Result<(), String> {
    refuse_options(args, &["-s", "--set"], "sets the clock")?;
    match positional(args).iter().find(|a| !a.starts_with('+')) {
        Some(a) => Err(format!(
            "`{a}` would set the clock; only `+FORMAT` is allowed"
        )),
        None => Ok(()),
    }
}

fn hostname_args(args: &[&str]) -> Result<(), String> {
    refuse_options(
        args,
        &["-F", "--file", "-b", "--boot"],
        "sets the host name",
    )?;
    options_only(args).map_err(|_| "a name argument sets the host name".into())
}

fn sysctl_args(args: &[&str]) -> Result<(), String> {
    refuse_options(
        args,
        &["-w", "--write", "-p", "--load", "--system", "-f"],
        "writes kernel settings",
    )?;
    match positional(args).iter().find(|a| a.contains('=')) {
        Some(a) => Err(format!("`{a}` writes a kernel setting")),
        None => Ok(()),
    }
}

fn dmesg_args(args: &[&str]) -> Result<(), String> {
    refuse_options(
        args,
        &[
            "-c",
            "-C",
            "--clear",
            "--read-clear",
            "-D",
            "--console-off",
            "-E",
            "--console-on",
            "-n",
            "--console-level",
        ],
        "changes the kernel log",
    )
}

fn journalctl_args(args: &[&str]) -> Result<(), String> {
    refuse_options(
        args,
        &[
            "--vacuum-size",
            "--vacuum-time",
            "--vacuum-files",
            "--rotate",
            "--flush",
            "--sync",
            "--relinquish-var",
            "--smart-relinquish-var",
            "--setup-keys",
            "--update-catalog",
        ],
        "changes the journal",
    )
}

fn find_args(args: &[&str]) -> Result<(), String> {
    let writes = [
        "-delete", "-exec", "-execdir", "-ok", "-okdir", "-fprint", "-fprint0", "-fprintf", "-fls",
    ];
    match args.iter().find(|a| writes.contains(a)) {
        Some(a) => Err(format!("`{a}` deletes, writes or runs programs")),
        None => Ok(()),
    }
}

fn arp_args(args: &[&str]) -> Result<(), String> {
    refuse_options(
        args,
        &["-d", "-s", "-f", "--delete", "--set", "--file"],
        "changes the ARP table",
    )
}

/// The first word that is not an option, and the rest after it.
fn verb<'a>(args: &[&'a str]) -> Option<(&'a str, Vec<&'a str>)> {
    let i = args.iter().position(|a| !is_option(a))?;
    Some((args[i], positional(&args[i + 1..])))
}

fn one_of(word: &str, allowed: &[&str], what: &str) -> Result<(), String> {
    if allowed.contains(&word) {
        Ok(())
    } else {
        Err(format!(
            "`{word}` is not a read-only {what}; allowed: {}",
            allowed.join(", ")
        ))
    }
}

/// `ip [options] OBJECT [show|list|get …]`: `add`, `del`, `flush`, `exec`… change things.
fn ip_args(args: &[&str]) -> Result<(), String> {
    // `ip` takes abbreviated single-dash options: `-b`, `-ba`… are `-batch`, `-br` is `-brief`.
    let runs_a_file = |a: &&&str| {
        let o = a.trim_start_matches('-');
        o == "b" || (o.len() >= 2 && "batch".starts_with(o)) || "force".starts_with(o)
    };
    if let Some(a) = args.iter().filter(|a| is_option(a)).find(runs_a_file) {
        return Err(format!("`{a}` runs commands from a file"));
    }
    let Some((object, rest)) = verb(args) else {
        return Ok(());
    };
    const OBJECTS: &[&str] = &[
        "address",
        "addr",
        "a",
        "link",
        "l",
        "route",
        "ro",
        "r",
        "neighbour",
        "neighbor",
        "neigh",
        "n",
        "rule",
        "ru",
        "maddress",
        "maddr",
        "mroute",
        "tunnel",
        "netns",
        "vrf",
        "nexthop",
        "-br",
    ];
    one_of(object, OBJECTS, "`ip` object")?;
    match rest.first() {
        None => Ok(()),
        Some(action) if object == "netns" => one_of(action, &["list", "ls"], "`ip netns` action"),
        Some(action) => {
            let reads = ["show", "list", "lst"]
                .iter()
                .any(|full| abbreviates(action, full, 1))
                || *action == "get"
                || *action == "ls";
            if reads {
                Ok(())
            } else {
                Err(format!(
                    "`{action}` changes the system; use `show`, `list` or `get`"
                ))
            }
        }
    }
}

fn bridge_args(args: &[&str]) -> Result<(), String> {
    let Some((_, rest)) = verb(args) else {
        return Ok(());
    };
    match rest.first() {
        None => Ok(()),
        Some(action) => one_of(action, &["show", "list", "lst"], "`bridge` action"),
    }
}

/// `ethtool IFACE` and its `-i -S -k -g -a -c -l -m -T -P` / `--show-…` views; the other
/// options change the interface.
fn ethtool_args(args: &[&str]) -> Result<(), String> {
    const VIEWS: &[&str] = &[
        "-i",
        "-S",
        "-k",
        "-g",
        "-a",
        "-c",
        "-l",
        "-m",
        "-T",
        "-P",
        "--driver",
        "--statistics",
        "--module-info",
    ];
    match args
        .iter()
        .filter(|a| is_option(a))
        .find(|a| !VIEWS.contains(a) && !a.starts_with("--show-"))
    {
        Some(a) => Err(format!("`{a}` changes the interface")),
        None => Ok(()),
    }
}

fn iptables_args(args: &[&str]) -> Result<(), String> {
    const VIEWS: &[&str] = &[
        "-L",
        "-S",
        "--list",
        "--list-rules",
        "-n",
        "--numeric",
        "-v",
        "--verbose",
        "-x",
        "--exact",
        "--line-numbers",
        "-t",
        "--table",
        "-nL",
        "-nvL",
        "-vnL",
        "-vL",
        "-Ln",
        "-Lnv",
    ];
    if let Some(a) = args
        .iter()
        .filter(|a| is_option(a))
        .find(|a| !VIEWS.contains(a))
    {
        return Err(format!(
            "`{a}` changes the rules; allowed: -L, -S, -n, -v, -t TABLE"
        ));
    }
    if !args.iter().any(|a| a.contains('L') || a.contains('S')) {
        return Err("add -L or -S (list)".into());
    }
    Ok(())
}

fn nft_args(args: &[&str]) -> Result<(), String> {
    refuse_options(
        args,
        &["-f", "--file", "-i", "--interactive"],
        "runs rules from a file",
    )?;
    match verb(args) {
        Some((word, _)) => one_of(word, &["list"], "`nft` command"),
        None => Err("add `list …`".into()),
    }
}

fn verbs_only(args: &[&str], allowed: &[&str], program: &str) -> Result<(), String> {
    match verb(args) {
        None => Ok(()),
        Some((word, _)) => one_of(word, allowed, &format!("`{program}` command")),
    }
}

fn systemctl_args(args: &[&str]) -> Result<(), String> {
    verbs_only(
        args,
        &[
            "status",
            "show",
            "cat",
            "is-active",
            "is-enabled",
            "is-failed",
            "is-system-running",
            "list-units",
            "list-unit-files",
            "list-timers",
            "list-sockets",
            "list-dependencies",
            "list-jobs",
        ],
        "systemctl",
    )
}

fn timedatectl_args(args: &[&str]) -> Result<(), String> {
    verbs_only(
        args,
        &[
            "status",
            "show",
            "list-timezones",
            "timesync-status",
            "show-timesync",
        ],
        "timedatectl",
    )
}

fn hostnamectl_args(args: &[&str]) -> Result<(), String> {
    verbs_only(args, &["status"], "hostnamectl")
}

fn networkctl_args(args: &[&str]) -> Result<(), String> {
    verbs_only(args, &["list", "status", "lldp", "label"], "networkctl")
}

fn lldpcli_args(args: &[&str]) -> Result<(), String> {
    match verb(args) {
        Some((word, _)) => one_of(word, &["show"], "`lldpcli` command"),
        None => Err("add `show …`".into()),
    }
}

// ---------------------------------------------------------------------------------------
// Dangerous commands: asked before they run
// ---------------------------------------------------------------------------------------

/// Word sequences (lower case) that make a network CLI command dangerous when it starts
/// with them, abbreviations included (`conf t`, `wr er`).
const DANGEROUS: &[(&[&str], &str)] = &[
    (&["reload"], "reboots the device"),
    (&["reboot"], "reboots the device"),
    (&["shutdown"], "shuts the device down"),
    (&["halt"], "halts the device"),
    (&["poweroff"], "powers the device off"),
    (&["power-off"], "powers the device off"),
    (&["request", "system", "reboot"], "reboots the device"),
    (&["request", "system", "halt"], "halts the device"),
    (&["request", "system", "zeroize"], "erases the device"),
    (&["request", "system", "power-off"], "powers the device off"),
    (
        &["request", "system", "software"],
        "changes the device's software",
    ),
    (&["load"], "loads configuration"),
    (&["install"], "installs software"),
    (&["write", "erase"], "erases the startup configuration"),
    (&["erase"], "erases storage"),
    (&["format"], "formats storage"),
    (&["delete"], "deletes files"),
    (&["configure"], "enters configuration mode"),
    (&["copy"], "overwrites files or configuration"),
    (&["clear"], "clears state (sessions, counters, neighbours)"),
    (&["commit"], "commits configuration"),
    (&["rollback"], "rolls configuration back"),
    (&["set"], "changes configuration"),
    (&["no"], "removes configuration"),
    (&["write"], "writes configuration"),
    (&["debug"], "can overload the control plane"),
    (&["system-view"], "enters configuration mode"),
    (&["undo"], "removes configuration"),
    (&["reset"], "resets state or erases the configuration"),
    (&["save"], "writes configuration"),
    (&["admin"], "runs an administrative command (reboot, save)"),
    (&["edit-config"], "enters configuration mode"),
    (&["run"], "runs a shell command on the device"),
    (&["bash"], "runs a shell command on the device"),
    (&["start", "shell"], "opens a shell on the device"),
    (&["file", "delete"], "deletes files"),
    (&["license"], "changes licences"),
];

/// Programs and sequences that make a shell command dangerous, found in every part of a
/// pipeline, list or substitution and through wrappers (`sudo`, `env`, `nohup`, …).
const SHELL_DANGEROUS: &[(&[&str], &str)] = &[
    (&["reboot"], "reboots the host"),
    (&["shutdown"], "shuts the host down"),
    (&["halt"], "halts the host"),
    (&["poweroff"], "powers the host off"),
    (
        &["init"],
        "changes the runlevel (init 0 halts, init 6 reboots)",
    ),
    (&["telinit"], "changes the runlevel"),
    (&["systemctl", "reboot"], "reboots the host"),
    (&["systemctl", "poweroff"], "powers the host off"),
    (&["systemctl", "halt"], "halts the host"),
    (&["systemctl", "kexec"], "reboots the host"),
    (&["systemctl", "rescue"], "stops the host's services"),
    (&["systemctl", "emergency"], "stops the host's services"),
    (&["systemctl", "isolate"], "changes the host's services"),
    (&["systemctl", "stop"], "stops a service"),
    (&["systemctl", "restart"], "restarts a service"),
    (&["systemctl", "mask"], "disables a service"),
    (&["systemctl", "disable"], "disables a service"),
    (&["kill"], "kills processes"),
    (&["killall"], "kills processes"),
    (&["pkill"], "kills processes"),
    (&["rm"], "deletes files"),
    (&["rmdir"], "deletes directories"),
    (&["shred"], "destroys files"),
    (&["dd"], "writes raw devices or files"),
    (&["mkfs"], "formats storage"),
    (&["wipefs"], "erases storage"),
    (&["fdisk"], "changes partitions"),
    (&["sfdisk"], "changes partitions"),
    (&["parted"], "changes partitions"),
    (&["truncate"], "empties files"),
    (&["ip", "link", "set"], "changes interfaces"),
    (&["ip", "addr", "flush"], "removes addresses"),
    (&["ip", "route", "flush"], "removes routes"),
    (&["ifdown"], "takes interfaces down"),
    (&["userdel"], "deletes users"),
    (&["apt", "remove"], "removes software"),
    (&["apt-get", "remove"], "removes software"),
    (&["yum", "remove"], "removes software"),
    (&["dnf", "remove"], "removes software"),
];

/// Why `command` is dangerous on `family`, or `None`.
pub fn danger(command: &str, family: Family) -> Option<&'static str> {
    match family {
        Family::Shell => shell_danger(command),
        Family::MikrotikRouteros => routeros_danger(command),
        cli => cli_danger(command, cli),
    }
}

/// Each `;`-separated part is checked, and IOS's `do` prefix (an exec command from config
/// mode) is looked through.
fn cli_danger(command: &str, family: Family) -> Option<&'static str> {
    command.split([';', '\n']).find_map(|part| {
        let mut words: Vec<String> = part.split_whitespace().map(str::to_lowercase).collect();
        if words.first().is_some_and(|w| w == "do") {
            words.remove(0);
        }
        if session_setting(family, &words) {
            return None;
        }
        DANGEROUS
            .iter()
            .find(|(pattern, _)| starts_with_abbreviated(&words, pattern))
            .map(|(_, why)| *why)
    })
}

/// `words` starts with `pattern`, each word possibly abbreviated to two letters or more, as
/// network CLIs accept (`wr er`, `conf t`, `rel`). A first word that abbreviates `show` never
/// matches: `sh` is how everyone types `show`.
fn starts_with_abbreviated(words: &[String], pattern: &[&str]) -> bool {
    if words
        .first()
        .is_some_and(|w| w.len() >= 2 && "show".starts_with(w.as_str()))
    {
        return false;
    }
    words.len() >= pattern.len()
        && pattern
            .iter()
            .zip(words)
            .all(|(full, word)| word.len() >= 2.min(full.len()) && full.starts_with(word.as_str()))
}

/// Every word that could be a program (wrappers such as `sudo -u root`, `env`, `nohup` and
/// `timeout 5` put it anywhere) is checked with the words after it, in every part of a
/// list, pipeline or substitution. A false alarm costs a question; a miss costs a reboot.
fn shell_danger(command: &str) -> Option<&'static str> {
    let parts = command.split(|c: char| {
        matches!(
            c,
            ';' | '&' | '|' | '\n' | '(' | ')' | '`' | '{' | '}' | '$'
        )
    });
    for part in parts {
        let words: Vec<String> = part
            .split_whitespace()
            .map(|w| w.replace(['"', '\'', '\\'], "").to_lowercase())
            .filter(|w| !w.is_empty())
            .collect();
        for (i, word) in words.iter().enumerate() {
            if is_option(word) {
                continue;
            }
            let program = basename(word);
            if program.starts_with("mkfs") {
                return Some("formats storage");
            }
            let mut sequence = vec![program.to_string()];
            sequence.extend(words[i + 1..].iter().filter(|a| !is_option(a)).cloned());
            if let Some((_, why)) = SHELL_DANGEROUS
                .iter()
                .find(|(pattern, _)| starts_with_words(&sequence, pattern))
            {
                return Some(why);
            }
        }
    }
    None
}

fn basename(word: &str) -> &str {
    word.rsplit('/').next().unwrap_or(word)
}

fn starts_with_words(words: &[String], pattern: &[&str]) -> bool {
    words.len() >= pattern.len() && pattern.iter().zip(words).all(|(p, w)| p == w)
}

/// RouterOS verbs that change the device, wherever they stand in the menu path.
fn routeros_danger(command: &str) -> Option<&'static str> {
    command
        .split(|c: char| c.is_whitespace() || matches!(c, '/' | ';' | '[' | ']'))
        .map(str::to_lowercase)
        .find_map(|word| match word.as_str() {
            "reboot" => Some("reboots the device"),
            "shutdown" => Some("shuts the device down"),
            "reset-configuration" => Some("erases the configuration"),
            "set" | "add" | "remove" | "unset" | "enable" | "disable" | "edit" | "move"
            | "import" | "comment" => Some("changes configuration"),
            "upgrade" | "install" | "downgrade" => Some("changes the device's software"),
            "format-drive" => Some("formats storage"),
            ":execute" | "run" => Some("runs a script"),
            _ => None,
        })
}

#[cfg(test)]
mod tests;
