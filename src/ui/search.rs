//! `/` search with `n`/`N`, shared by the full-screen log and the run view: a one-line
//! prompt, a case-insensitive term, and the next match either way, wrapping around.

use crossterm::event::{KeyCode, KeyEvent};

use super::prompt::edit_line;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Search {
    /// What is being typed after `/`, while the prompt is open.
    pub typing: Option<String>,
    /// The term searched for (lowercase); empty: no search.
    pub term: String,
}

/// What a key did to the search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Searched {
    /// Not a search key: the view handles it.
    NotMine,
    /// Typing, or the prompt closed without a new term.
    Editing,
    /// A new term: jump to its first match.
    Term,
    Next,
    Previous,
}

impl Search {
    pub fn key(&mut self, key: KeyEvent) -> Searched {
        if let Some(line) = self.typing.as_mut() {
            match key.code {
                KeyCode::Enter => {
                    self.term = line.trim().to_lowercase();
                    self.typing = None;
                    return Searched::Term;
                }
                KeyCode::Esc => self.typing = None,
                _ => {
                    edit_line(line, key);
                }
            }
            return Searched::Editing;
        }
        match key.code {
            KeyCode::Char('/') => {
                self.typing = Some(String::new());
                Searched::Editing
            }
            KeyCode::Char('n') if !self.term.is_empty() => Searched::Next,
            KeyCode::Char('N') if !self.term.is_empty() => Searched::Previous,
            _ => Searched::NotMine,
        }
    }

    pub fn matches(&self, text: &str) -> bool {
        !self.term.is_empty() && text.to_lowercase().contains(&self.term)
    }

    /// The footer's text while typing or searching.
    pub fn prompt(&self) -> Option<String> {
        match &self.typing {
            Some(line) => Some(format!("/{line}  Enter search · Esc cancel")),
            None if !self.term.is_empty() => Some(format!("/{}  n next · N previous", self.term)),
            None => None,
        }
    }
}

/// The next of `len` items after `from` (before it, backwards) that `hit`s, wrapping
/// around; `from` itself counts last. `None`: nothing hits.
pub fn next(len: usize, from: usize, forward: bool, hit: impl Fn(usize) -> bool) -> Option<usize> {
    (1..=len)
        .map(|step| match forward {
            true => (from + step) % len,
            false => (from + len - step % len) % len,
        })
        .find(|&i| hit(i))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyModifiers;

    #[test]
    fn next_wraps_both_ways_and_counts_the_start_last() {
        let hits = [1, 4];
        let hit = |i: usize| hits.contains(&i);
        assert_eq!(next(6, 1, true, hit), Some(4));
        assert_eq!(next(6, 4, true, hit), Some(1), "wraps forward");
        assert_eq!(next(6, 1, false, hit), Some(4), "wraps backward");
        assert_eq!(next(6, 5, false, hit), Some(4));
        assert_eq!(next(6, 0, true, |i| i == 0), Some(0), "only the start");
        assert_eq!(next(6, 0, true, |_| false), None);
        assert_eq!(next(0, 0, true, |_| true), None, "nothing to search");
    }

    #[test]
    fn the_prompt_types_commits_and_n_only_follows_a_term() {
        let k = |c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE);
        let mut s = Search::default();
        assert_eq!(s.key(k('n')), Searched::NotMine, "no term: n is the view's");
        assert_eq!(s.key(k('/')), Searched::Editing);
        for c in "Down".chars() {
            assert_eq!(s.key(k(c)), Searched::Editing, "n typed, not a jump");
        }
        assert_eq!(
            s.key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
            Searched::Term
        );
        assert!(s.matches("sw03 UP → DOWN"));
        assert!(!s.matches("sw03 up"));
        assert_eq!(s.key(k('n')), Searched::Next);
        assert_eq!(s.key(k('N')), Searched::Previous);
    }
}
