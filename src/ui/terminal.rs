//! Entering and leaving the terminal. Leaving happens on every path: normal quit, error
//! (the guard's `Drop`), and panic — in any thread or tokio task, because the panic hook
//! restores the terminal and then ends the process instead of leaving a half-dead app drawing.

use std::io::{IsTerminal, stdout};
use std::ops::{Deref, DerefMut};

use color_eyre::Result;
use color_eyre::eyre::bail;
use crossterm::cursor::Show;
use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use crossterm::execute;
use ratatui::DefaultTerminal;

pub struct Terminal(DefaultTerminal);

impl Terminal {
    pub fn enter() -> Result<Terminal> {
        if !stdout().is_terminal() {
            bail!("the dashboard needs a terminal; for scripts use `fleetdash sweep` (see --help)");
        }
        let terminal = ratatui::try_init()?;
        // ratatui's hook restores the screen; ours also releases the mouse and then exits,
        // so a panicking background task cannot leave the UI running on a restored terminal.
        let restore_and_report = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            // `process::exit` skips the terminal's destructor, which would show the cursor.
            let _ = execute!(stdout(), DisableMouseCapture, Show);
            restore_and_report(info);
            std::process::exit(101);
        }));
        execute!(stdout(), EnableMouseCapture)?;
        Ok(Terminal(terminal))
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        let _ = execute!(stdout(), DisableMouseCapture);
        ratatui::restore();
    }
}

impl Deref for Terminal {
    type Target = DefaultTerminal;
    fn deref(&self) -> &DefaultTerminal {
        &self.0
    }
}

impl DerefMut for Terminal {
    fn deref_mut(&mut self) -> &mut DefaultTerminal {
        &mut self.0
    }
}
