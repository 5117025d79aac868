//! A [`Reachability`] feed without the dashboard: the probe sweeper on the rollout's
//! devices, folded into up/down with the same damping idea as the tiles (a device is down
//! after `down_after` losses in a row, up at its first reply). The TUI feeds the executor
//! from its own fleet state instead.

use std::sync::Arc;

use tokio::sync::{mpsc, watch};

use super::Reachability;
use crate::inventory::Inventory;
use crate::probe::{
    ProbeEvent, ProbeOutcome, SweepConfig, Sweeper, detect_mode, spawn_sweeper,
    targets_from_inventory,
};

/// Consecutive losses before a device counts as down.
pub const DOWN_AFTER: u32 = 2;

/// Probes `devices` of `inventory` until the returned [`Sweeper`] is dropped.
pub fn spawn_reachability(
    inventory: &Arc<Inventory>,
    devices: &[usize],
    cfg: SweepConfig,
) -> (Reachability, Sweeper) {
    let targets = targets_from_inventory(inventory)
        .into_iter()
        .filter(|t| devices.contains(&t.device))
        .collect();
    let (tx, rx) = mpsc::channel(1024);
    let sweeper = spawn_sweeper(targets, cfg, detect_mode(), tx);
    let (reach, reach_rx) = watch::channel(vec![None; inventory.devices.len()]);
    tokio::spawn(fold(rx, reach, inventory.devices.len()));
    (reach_rx, sweeper)
}

/// Folds probe events into the watch; ends with the sweeper or when nobody watches.
async fn fold(
    mut events: mpsc::Receiver<ProbeEvent>,
    reach: watch::Sender<Vec<Option<bool>>>,
    n: usize,
) {
    let mut losses = vec![0u32; n];
    while let Some(event) = events.recv().await {
        let ProbeEvent::Probe(result) = event else {
            continue;
        };
        let Some(lost) = losses.get_mut(result.device) else {
            continue;
        };
        let up = match result.outcome {
            ProbeOutcome::Reply { .. } => {
                *lost = 0;
                Some(true)
            }
            ProbeOutcome::Lost | ProbeOutcome::Failed { .. } => {
                *lost += 1;
                (*lost >= DOWN_AFTER).then_some(false)
            }
        };
        if let Some(up) = up {
            reach.send_if_modified(|r| {
                let changed = r[result.device] != Some(up);
                r[result.device] = Some(up);
                changed
            });
        }
        if reach.is_closed() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;
    use crate::probe::ProbeResult;

    fn probe(device: usize, outcome: ProbeOutcome) -> ProbeEvent {
        ProbeEvent::Probe(ProbeResult {
            device,
            at: Instant::now(),
            outcome,
        })
    }

    #[tokio::test]
    async fn down_after_two_losses_up_at_the_first_reply() {
        let (tx, rx) = mpsc::channel(16);
        let (reach, mut watch) = watch::channel(vec![None; 2]);
        let task = tokio::spawn(fold(rx, reach, 2));
        let reply = ProbeOutcome::Reply {
            rtt: Duration::from_millis(1),
        };
        tx.send(probe(1, reply.clone())).await.unwrap();
        watch.changed().await.unwrap();
        assert_eq!(*watch.borrow_and_update(), vec![None, Some(true)]);
        tx.send(probe(1, ProbeOutcome::Lost)).await.unwrap();
        tx.send(probe(0, ProbeOutcome::Lost)).await.unwrap();
        let failed = ProbeOutcome::Failed {
            reason: "unreachable".into(),
        };
        tx.send(probe(1, failed)).await.unwrap();
        watch.changed().await.unwrap();
        // One loss is not enough for device 0; two in a row are for device 1.
        assert_eq!(*watch.borrow_and_update(), vec![None, Some(false)]);
        tx.send(probe(1, reply)).await.unwrap();
        watch.changed().await.unwrap();
        assert_eq!(*watch.borrow_and_update(), vec![None, Some(true)]);
        drop(tx);
        task.await.unwrap();
    }
}
