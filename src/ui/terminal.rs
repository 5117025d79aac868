//! Entering and leaving the terminal. Leaving happens on every path: normal quit, error
//! (the guard's `Drop`), and panic — in any thread or tokio task, because the panic hook
//! restores the terminal and then ends the process instead of leaving a half-dead app drawing.

use std::io::{self, BufWriter, IsTerminal, Stdout, stdout};
use std::sync::{Mutex, MutexGuard, PoisonError, TryLockError};
use std::time::Duration;

use color_eyre::Result;
use color_eyre::eyre::bail;
use crossterm::cursor::Show;
use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use crossterm::execute;
use crossterm::terminal::EnterAlternateScreen;
use ratatui::Frame;
use ratatui::backend::{CrosstermBackend, TestBackend};
use ratatui::layout::{Rect, Size};

/// A frame goes to the terminal in one write: stdout's own buffer would send it in 1 KiB
/// pieces, which the terminal may show half-drawn. Big enough for a full 250×80 frame.
type Backend = CrosstermBackend<BufWriter<Stdout>>;
const FRAME_BUFFER: usize = 1 << 17;

pub struct Terminal(ratatui::Terminal<Backend>);

/// What the app loop draws on: the process's terminal ([`Terminal`]), or a ratatui
/// `TestBackend` in tests.
pub trait Screen {
    fn draw(&mut self, render: impl FnOnce(&mut Frame)) -> io::Result<()>;
    fn size(&self) -> io::Result<Size>;
    /// Gives the terminal back for a stop (Ctrl-Z, SIGTSTP) and takes it again after.
    fn suspend(&mut self) -> io::Result<()>;
    /// Takes the terminal again after someone else stopped and continued the process.
    fn resume(&mut self) -> io::Result<()>;
    /// Ctrl-L: clears the screen so the next frame is drawn whole (over whatever another
    /// program wrote there). A screen nobody else writes on has nothing to do.
    fn repaint(&mut self) -> io::Result<()> {
        Ok(())
    }
    /// Writes an OSC 52 sequence (built by `export::osc52`): the terminal, where it allows
    /// it, puts its text on the clipboard. A screen in memory has no clipboard.
    fn clipboard(&mut self, osc52: &str) -> io::Result<()> {
        let _ = osc52;
        Ok(())
    }
}

/// A screen in memory: nothing to give back or take again.
impl Screen for ratatui::Terminal<TestBackend> {
    fn draw(&mut self, render: impl FnOnce(&mut Frame)) -> io::Result<()> {
        let Ok(_) = ratatui::Terminal::draw(self, render);
        Ok(())
    }

    fn size(&self) -> io::Result<Size> {
        let Ok(size) = ratatui::Terminal::size(self);
        Ok(size)
    }

    fn suspend(&mut self) -> io::Result<()> {
        Ok(())
    }

    fn resume(&mut self) -> io::Result<()> {
        Ok(())
    }

    fn repaint(&mut self) -> io::Result<()> {
        let Ok(size) = ratatui::Terminal::size(self);
        let Ok(()) = ratatui::Terminal::resize(self, Rect::new(0, 0, size.width, size.height));
        Ok(())
    }
}

/// Held while a frame is written, and by the panic hook while it restores the terminal: a
/// frame the UI thread finished after the restore would hide the cursor again.
static WRITING: Mutex<()> = Mutex::new(());

/// The writing lock, waiting a little: the panicking thread may itself hold it mid-frame.
fn lock_for_restore() -> Option<MutexGuard<'static, ()>> {
    for _ in 0..20 {
        match WRITING.try_lock() {
            Ok(guard) => return Some(guard),
            Err(TryLockError::Poisoned(poisoned)) => return Some(poisoned.into_inner()),
            Err(TryLockError::WouldBlock) => std::thread::sleep(Duration::from_millis(10)),
        }
    }
    None
}

impl Terminal {
    pub fn enter() -> Result<Terminal> {
        if !stdout().is_terminal() {
            bail!("the dashboard needs a terminal; for scripts use `fleetdash sweep` (see --help)");
        }
        // The hook restores the screen and releases the mouse, then reports and exits, so
        // a panicking background task cannot leave the UI running on a restored terminal.
        let report = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            // Kept until the process exits: no frame may follow the restore.
            let _writing = lock_for_restore();
            // `process::exit` skips the terminal's destructor, which would show the cursor.
            let _ = execute!(stdout(), DisableMouseCapture, Show);
            ratatui::restore();
            report(info);
            std::process::exit(101);
        }));
        let backend = CrosstermBackend::new(BufWriter::with_capacity(FRAME_BUFFER, stdout()));
        let terminal = Terminal(ratatui::Terminal::new(backend)?);
        crossterm::terminal::enable_raw_mode()?;
        execute!(stdout(), EnterAlternateScreen, EnableMouseCapture)?;
        Ok(terminal)
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        let _ = execute!(stdout(), DisableMouseCapture);
        ratatui::restore();
    }
}

impl Screen for Terminal {
    fn draw(&mut self, render: impl FnOnce(&mut Frame)) -> io::Result<()> {
        let _writing = WRITING.lock().unwrap_or_else(PoisonError::into_inner);
        self.0.draw(render).map(|_| ())
    }

    fn size(&self) -> io::Result<Size> {
        self.0.size()
    }

    fn clipboard(&mut self, osc52: &str) -> io::Result<()> {
        use std::io::Write;
        let _writing = WRITING.lock().unwrap_or_else(PoisonError::into_inner);
        let mut out = stdout().lock();
        out.write_all(osc52.as_bytes())?;
        out.flush()
    }

    /// SIGTSTP: gives the terminal back as it was found, stops the process for real
    /// (SIGSTOP cannot be caught), and once continued takes the terminal again.
    fn suspend(&mut self) -> io::Result<()> {
        {
            let _writing = WRITING.lock().unwrap_or_else(PoisonError::into_inner);
            let _ = execute!(stdout(), DisableMouseCapture, Show);
            ratatui::restore();
        }
        signal_hook::low_level::raise(signal_hook::consts::SIGSTOP)?;
        self.resume()
    }

    /// Raw mode, the alternate screen and the mouse again (after a stop, whoever stopped
    /// us), and a cleared screen so the next frame is drawn whole.
    fn resume(&mut self) -> io::Result<()> {
        let _writing = WRITING.lock().unwrap_or_else(PoisonError::into_inner);
        // After a SIGSTOP the shell put the terminal back in cooked mode, while crossterm
        // still believes it is raw (and would do nothing): leave, then enter again.
        crossterm::terminal::disable_raw_mode()?;
        crossterm::terminal::enable_raw_mode()?;
        execute!(
            stdout(),
            EnterAlternateScreen,
            EnableMouseCapture,
            crossterm::cursor::Hide
        )?;
        // Not `clear()`: it asks the terminal where the cursor is, and the answer races the
        // input reader. `resize` clears the screen and the back buffer without asking.
        let size = self.0.size()?;
        self.0.resize(Rect::new(0, 0, size.width, size.height))
    }

    /// As after a stop: `resize` clears the screen and the back buffer without asking the
    /// terminal anything.
    fn repaint(&mut self) -> io::Result<()> {
        let _writing = WRITING.lock().unwrap_or_else(PoisonError::into_inner);
        let size = self.0.size()?;
        self.0.resize(Rect::new(0, 0, size.width, size.height))
    }
}
