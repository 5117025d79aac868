//! Signals while the dashboard owns the terminal. Without this, SIGTERM, SIGHUP, SIGINT,
//! SIGQUIT or SIGUSR1 would end the process with the alternate screen on, the cursor hidden
//! and mouse tracking on, and SIGTSTP would stop it that way. Each one is one more source
//! the app loop selects over: the loop restores the terminal and exits (128 + the signal's
//! number), or, for SIGTSTP, restores it, stops, and takes the terminal back on SIGCONT.

use std::io;

use tokio::signal::unix::{Signal, SignalKind, signal};

/// What the loop does about a signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caught {
    /// Restore the terminal and exit with 128 + this signal number.
    End(i32),
    /// SIGTSTP: restore the terminal, stop for real, take it back when continued.
    Stop,
    /// SIGCONT: someone stopped and continued us (or the stop above ended): take the
    /// terminal back and redraw everything.
    Continued,
}

pub struct Signals {
    ends: [(i32, Signal); 5],
    stop: Signal,
    cont: Signal,
}

impl Signals {
    /// Installs the handlers; do it before the terminal is entered, so no signal finds the
    /// terminal changed and nobody to restore it.
    pub fn install() -> io::Result<Signals> {
        let on = |n: i32| signal(SignalKind::from_raw(n)).map(|s| (n, s));
        Ok(Signals {
            ends: [
                on(libc::SIGTERM)?,
                on(libc::SIGHUP)?,
                on(libc::SIGINT)?,
                on(libc::SIGQUIT)?,
                on(libc::SIGUSR1)?,
            ],
            stop: signal(SignalKind::from_raw(libc::SIGTSTP))?,
            cont: signal(SignalKind::from_raw(libc::SIGCONT))?,
        })
    }

    /// The next signal. Cancel safe: a signal that arrives while another arm of the loop
    /// wins is kept for the next call.
    pub async fn recv(&mut self) -> Caught {
        let [term, hup, int, quit, usr1] = &mut self.ends;
        tokio::select! {
            Some(()) = term.1.recv() => Caught::End(term.0),
            Some(()) = hup.1.recv() => Caught::End(hup.0),
            Some(()) = int.1.recv() => Caught::End(int.0),
            Some(()) = quit.1.recv() => Caught::End(quit.0),
            Some(()) = usr1.1.recv() => Caught::End(usr1.0),
            Some(()) = self.stop.recv() => Caught::Stop,
            Some(()) = self.cont.recv() => Caught::Continued,
            // Only when the runtime's signal driver is gone: nothing more will come.
            else => std::future::pending().await,
        }
    }
}
