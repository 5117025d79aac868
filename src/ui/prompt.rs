//! The `:` command line: a one-line editor with history (up/down), like a shell's.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Commands kept in the history.
const HISTORY: usize = 100;

#[derive(Debug, Clone, Default)]
pub struct CommandLine {
    /// What is being typed, `None` while the prompt is closed.
    pub input: Option<String>,
    history: Vec<String>,
    /// Where up/down is in the history (`None`: at the new line).
    cursor: Option<usize>,
    /// The new line, kept while browsing the history.
    draft: String,
}

/// Line editing shared by every prompt: printable characters, Backspace, Ctrl-U (clear),
/// Ctrl-W (delete the last word). Other Ctrl and Alt chords are ignored rather than typed:
/// a stray `w` must never end up in a command sent to devices. `false`: not an edit key.
pub fn edit_line(line: &mut String, key: KeyEvent) -> bool {
    let chord = key
        .modifiers
        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
    match key.code {
        KeyCode::Backspace => {
            line.pop();
        }
        KeyCode::Char('u') if chord => line.clear(),
        KeyCode::Char('w') if chord => {
            let kept = line
                .trim_end()
                .rfind(char::is_whitespace)
                .map_or(0, |i| i + 1);
            line.truncate(kept);
        }
        KeyCode::Char(_) if chord => {}
        KeyCode::Char(c) => line.push(c),
        _ => return false,
    }
    true
}

/// What a key did to the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    Editing,
    Cancelled,
    Submitted(String),
}

impl CommandLine {
    pub fn open(&mut self) {
        self.input = Some(String::new());
        self.cursor = None;
        self.draft.clear();
    }

    pub fn is_open(&self) -> bool {
        self.input.is_some()
    }

    pub fn key(&mut self, key: KeyEvent) -> Edit {
        let Some(input) = self.input.as_mut() else {
            return Edit::Cancelled;
        };
        if edit_line(input, key) {
            return Edit::Editing;
        }
        match key.code {
            KeyCode::Esc => {
                self.input = None;
                return Edit::Cancelled;
            }
            KeyCode::Enter => {
                let line = input.trim().to_string();
                self.input = None;
                if line.is_empty() {
                    return Edit::Cancelled;
                }
                self.remember(&line);
                return Edit::Submitted(line);
            }
            KeyCode::Up => self.browse(-1),
            KeyCode::Down => self.browse(1),
            _ => {}
        }
        Edit::Editing
    }

    fn browse(&mut self, step: isize) {
        let Some(input) = self.input.as_mut() else {
            return;
        };
        if self.history.is_empty() {
            return;
        }
        let last = self.history.len() - 1;
        let next = match (self.cursor, step < 0) {
            (None, true) => {
                self.draft = input.clone();
                Some(last)
            }
            (None, false) => None,
            (Some(i), true) => Some(i.saturating_sub(1)),
            (Some(i), false) if i >= last => None,
            (Some(i), false) => Some(i + 1),
        };
        self.cursor = next;
        *input = match next {
            Some(i) => self.history[i].clone(),
            None => self.draft.clone(),
        };
    }

    fn remember(&mut self, line: &str) {
        self.history.retain(|h| h != line);
        if self.history.len() >= HISTORY {
            self.history.remove(0);
        }
        self.history.push(line.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn chords_edit_and_never_type() {
        let mut line = String::from("show ip int");
        let ctrl = |c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL);
        assert!(edit_line(&mut line, ctrl('w')));
        assert_eq!(line, "show ip ");
        assert!(edit_line(
            &mut line,
            KeyEvent::new(KeyCode::Char('x'), KeyModifiers::ALT)
        ));
        assert_eq!(line, "show ip ", "Alt-x is not typed");
        assert!(edit_line(&mut line, ctrl('u')));
        assert_eq!(line, "");
        assert!(!edit_line(&mut line, plain(KeyCode::Enter)));
    }

    fn typed(cl: &mut CommandLine, text: &str) {
        for c in text.chars() {
            cl.key(plain(KeyCode::Char(c)));
        }
    }

    #[test]
    fn history_browses_up_and_down_and_keeps_the_draft() {
        let mut cl = CommandLine::default();
        for cmd in ["show version", "show clock", "show version"] {
            cl.open();
            typed(&mut cl, cmd);
            assert_eq!(cl.key(plain(KeyCode::Enter)), Edit::Submitted(cmd.into()));
        }
        cl.open();
        typed(&mut cl, "sh");
        cl.key(plain(KeyCode::Up));
        assert_eq!(
            cl.input.as_deref(),
            Some("show version"),
            "newest first, no duplicates"
        );
        cl.key(plain(KeyCode::Up));
        assert_eq!(cl.input.as_deref(), Some("show clock"));
        cl.key(plain(KeyCode::Up));
        assert_eq!(
            cl.input.as_deref(),
            Some("show clock"),
            "stops at the oldest"
        );
        cl.key(plain(KeyCode::Down));
        cl.key(plain(KeyCode::Down));
        assert_eq!(cl.input.as_deref(), Some("sh"), "back to the draft");
        cl.key(plain(KeyCode::Down));
        assert_eq!(cl.input.as_deref(), Some("sh"));
    }

    #[test]
    fn empty_lines_and_esc_cancel() {
        let mut cl = CommandLine::default();
        cl.open();
        typed(&mut cl, "   ");
        assert_eq!(cl.key(plain(KeyCode::Enter)), Edit::Cancelled);
        cl.open();
        typed(&mut cl, "reload");
        assert_eq!(cl.key(plain(KeyCode::Esc)), Edit::Cancelled);
        assert!(!cl.is_open());
        cl.open();
        cl.key(plain(KeyCode::Up));
        assert_eq!(
            cl.input.as_deref(),
            Some(""),
            "nothing was run, nothing to recall"
        );
    }
}
