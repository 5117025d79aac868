//! Signals while the dashboard owns the terminal. Without this, SIGTERM, SIGHUP, SIGINT,
//! SIGQUIT or SIGUSR1 would end the process with the alternate screen on, the cursor hidden
//! and mouse tracking on, and SIGTSTP would stop it that way. Each one is one more source
//! the app loop selects over: the loop restores the terminal and exits (128 + the signal's
//! number), or, for SIGTSTP, restores it, stops, and takes the terminal back on SIGCONT.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::Stream;

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
        std::future::poll_fn(|cx| self.poll_caught(cx)).await
    }

    /// A signal caught, or pending (the waker is kept by every handler not yet caught). A
    /// handler whose runtime signal driver is gone says nothing more: the others count.
    fn poll_caught(&mut self, cx: &mut Context<'_>) -> Poll<Caught> {
        for (signo, signal) in &mut self.ends {
            if let Poll::Ready(Some(())) = signal.poll_recv(cx) {
                return Poll::Ready(Caught::End(*signo));
            }
        }
        if let Poll::Ready(Some(())) = self.stop.poll_recv(cx) {
            return Poll::Ready(Caught::Stop);
        }
        if let Poll::Ready(Some(())) = self.cont.poll_recv(cx) {
            return Poll::Ready(Caught::Continued);
        }
        Poll::Pending
    }
}

/// The signals as a stream that never ends, for the loop's [`super::woken::Woken`].
impl Stream for Signals {
    type Item = Caught;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Caught>> {
        self.get_mut().poll_caught(cx).map(Some)
    }
}
