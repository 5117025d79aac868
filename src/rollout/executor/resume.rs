//! `--resume`: the waves exactly as the interrupted run had them (by device name, from the
//! journal header), so a changed inventory order cannot reshuffle who goes when.

use crate::inventory::Inventory;
use crate::rollout::journal::Replay;
use crate::rollout::plan::Plan;
use crate::rollout::waves::{Wave, WaveKind};

/// The journal's waves mapped onto `inventory`. Errors name a device the inventory lost.
pub fn resume_waves(
    replay: &Replay,
    plan: &Plan,
    inventory: &Inventory,
) -> Result<Vec<Wave>, String> {
    replay
        .waves
        .iter()
        .enumerate()
        .map(|(index, names)| {
            let devices = names
                .iter()
                .map(|name| {
                    inventory
                        .devices
                        .iter()
                        .position(|d| &d.name == name)
                        .ok_or_else(|| {
                            format!(
                                "the journal's wave {} has device `{name}`, which {} no longer \
                                 has: resume with the inventory the rollout started with",
                                index + 1,
                                inventory.source
                            )
                        })
                })
                .collect::<Result<Vec<_>, String>>()?;
            let kind = if index == 0 && plan.strategy.canary > 0 {
                WaveKind::Canary
            } else {
                WaveKind::Batch
            };
            Ok(Wave {
                index,
                kind,
                devices,
                notes: Vec::new(),
            })
        })
        .collect()
}
