//! The gate device tasks pass before every step: open (run), paused (wait here) or aborted
//! (stop here). Checked only *between* steps, so nothing is ever cut off halfway.

use tokio::sync::watch;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    Open,
    Paused,
    Aborted,
}

/// Held by the coordinator.
#[derive(Debug)]
pub struct GateControl(watch::Sender<Gate>);

/// Held by each device task.
#[derive(Debug, Clone)]
pub struct GateWait(watch::Receiver<Gate>);

pub fn gate() -> (GateControl, GateWait) {
    let (tx, rx) = watch::channel(Gate::Open);
    (GateControl(tx), GateWait(rx))
}

impl GateControl {
    pub fn set(&self, gate: Gate) {
        // Abort is final: a late Resume must not reopen it.
        self.0.send_if_modified(|g| {
            let changed = *g != gate && *g != Gate::Aborted;
            if changed {
                *g = gate;
            }
            changed
        });
    }

    pub fn get(&self) -> Gate {
        *self.0.borrow()
    }
}

/// Why a device task stopped at the gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Aborted;

impl GateWait {
    /// Returns at once when open, waits while paused, errs once aborted.
    pub async fn pass(&mut self) -> Result<(), Aborted> {
        loop {
            match *self.0.borrow_and_update() {
                Gate::Open => return Ok(()),
                Gate::Aborted => return Err(Aborted),
                Gate::Paused => {}
            }
            // The coordinator outlives every device task; a closed channel means it is gone,
            // so stop rather than wait forever.
            if self.0.changed().await.is_err() {
                return Err(Aborted);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn paused_waits_until_resumed_and_abort_is_final() {
        let (ctl, mut wait) = gate();
        assert_eq!(wait.pass().await, Ok(()));
        ctl.set(Gate::Paused);
        let mut w2 = wait.clone();
        let waiter = tokio::spawn(async move { w2.pass().await });
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        ctl.set(Gate::Open);
        assert_eq!(waiter.await.unwrap(), Ok(()));
        ctl.set(Gate::Aborted);
        ctl.set(Gate::Open);
        assert_eq!(ctl.get(), Gate::Aborted);
        assert_eq!(wait.pass().await, Err(Aborted));
    }
}
