//! The IOS-style, Junos, Huawei VRP and Nokia SR OS families: which first words and
//! output filters only read, and which command prefixes are dangerous.

use super::Family;

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

pub(super) fn abbreviates(word: &str, full: &str, min: usize) -> bool {
    word.len() >= min.min(full.len()) && full.starts_with(word)
}

pub(super) fn cli_read_only(command: &str, family: Family) -> Result<(), String> {
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
            crate::base::text::Untrusted(first),
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
                crate::base::text::Untrusted(&word),
                reading_filters(family).join(", ")
            ));
        }
    }
    Ok(())
}

/// Commands that change only this session's terminal (paging, width): harmless.
pub(super) fn session_setting(family: Family, words: &[String]) -> bool {
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
    (
        &["execute"],
        "runs an action on the device (reboot, factory reset, format)",
    ),
    (
        &["request"],
        "runs a system request (restart, reset, software, licences)",
    ),
    (&["diagnose"], "runs diagnostics that can change state"),
    (
        &["unconfigure"],
        "removes configuration (`unconfigure switch all` resets the switch)",
    ),
];

/// Each `;`-separated part is checked, and IOS's `do` prefix (an exec command from config
/// mode) is looked through.
pub(super) fn cli_danger(command: &str, family: Family) -> Option<&'static str> {
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
