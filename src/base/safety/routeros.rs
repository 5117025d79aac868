//! MikroTik RouterOS: menu paths ending in `print` or `export` only read; verbs such as
//! `set`, `remove` or `reboot` change the device, wherever they stand.

use super::shell::plain_shell_char;

/// RouterOS: a menu path ending in `print` (or `export` without `file=`), `/ping`,
/// `/tool traceroute`; no scripting (`:`, `[`, `;`, `$`).
pub(super) fn routeros_read_only(command: &str) -> Result<(), String> {
    if let Some(c) = command.chars().find(|&c| !plain_shell_char(c)) {
        return Err(format!(
            "`{}` is refused in read-only mode (RouterOS scripting, redirection)",
            crate::base::text::escape_line(&c.to_string())
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
            crate::base::text::Untrusted(&words.join(" "))
        ));
    }
    Ok(())
}

/// RouterOS verbs that change the device, wherever they stand in the menu path.
pub(super) fn routeros_danger(command: &str) -> Option<&'static str> {
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
