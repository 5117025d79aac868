//! A POSIX shell (Linux, and every platform fleetdash does not know): read-only means one
//! program from a named set with plain arguments; dangerous programs are found behind
//! wrappers, separators and substitutions.

use super::cli::abbreviates;

/// Characters a read-only shell command may contain: words and plain arguments only. Every
/// other character is shell syntax (`; & | < > $ \` ( ) { } ' " \ * ? [ ] ~ # !`), which can
/// chain, substitute, redirect or expand.
pub(super) fn plain_shell_char(c: char) -> bool {
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

pub(super) fn shell_read_only(command: &str) -> Result<(), String> {
    if let Some(c) = command.chars().find(|&c| !plain_shell_char(c)) {
        return Err(format!(
            "`{}` is shell syntax; in read-only mode a shell command is one program with \
             plain arguments (no ; & | < > $ ` ( ) quotes, globs or escapes)",
            crate::base::text::escape_line(&c.to_string())
        ));
    }
    let words: Vec<&str> = command.split_whitespace().collect();
    let Some((&program, args)) = words.split_first() else {
        return Err("an empty command".into());
    };
    if program.contains('/') {
        return Err(format!(
            "`{}`: run read-only programs by name, not by path",
            crate::base::text::Untrusted(program)
        ));
    }
    match READ_ONLY_PROGRAMS.iter().find(|(name, _)| *name == program) {
        Some((_, rule)) => rule(args).map_err(|why| format!("`{program}`: {why}")),
        None => Err(format!(
            "`{}` is not one of the read-only programs ({} …)",
            crate::base::text::Untrusted(program),
            READ_ONLY_PROGRAMS
                .iter()
                .take(12)
                .map(|(n, _)| *n)
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

pub(super) fn is_option(word: &str) -> bool {
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

/// Every word that could be a program (wrappers such as `sudo -u root`, `env`, `nohup` and
/// `timeout 5` put it anywhere) is checked with the words after it, in every part of a
/// list, pipeline or substitution. A false alarm costs a question; a miss costs a reboot.
pub(super) fn shell_danger(command: &str) -> Option<&'static str> {
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
