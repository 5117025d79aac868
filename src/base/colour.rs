//! Whether fleetdash may colour what it prints: never when `NO_COLOR` is set (no-color.org),
//! and on stderr only when it is a terminal.

use std::io::IsTerminal;

/// `NO_COLOR` is set to something other than the empty string.
pub fn no_color() -> bool {
    refuses_colour(std::env::var_os("NO_COLOR").as_deref())
}

/// Whether this value of `NO_COLOR` turns colour off: any value but the empty string.
pub fn refuses_colour(no_color: Option<&std::ffi::OsStr>) -> bool {
    no_color.is_some_and(|v| !v.is_empty())
}

/// Colour on stderr (error reports of bugs): a terminal, and no `NO_COLOR`.
pub fn on_stderr() -> bool {
    !no_color() && std::io::stderr().is_terminal()
}

#[cfg(test)]
mod tests {
    use std::ffi::OsStr;

    #[test]
    fn no_color_with_any_value_but_empty_turns_colour_off() {
        let cases = [
            (None, false),
            (Some(""), false),
            (Some("1"), true),
            (Some("0"), true),
        ];
        for (value, off) in cases {
            assert_eq!(
                super::refuses_colour(value.map(OsStr::new)),
                off,
                "{value:?}"
            );
        }
    }
}
