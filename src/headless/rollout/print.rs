//! Rollout events as progress lines: plain text, or JSON lines with `--json`.

use std::sync::Arc;

use serde_json::json;

use crate::base::text::{escape_json, escape_line};
use crate::inventory::Inventory;
use crate::rollout::event::{CheckPhase, RolloutEvent, WaveInfo};

/// Turns events into progress lines.
pub struct Printer {
    pub inventory: Arc<Inventory>,
    pub json: bool,
}

impl Printer {
    fn name(&self, id: usize) -> &str {
        self.inventory
            .devices
            .get(id)
            .map_or("?", |d| d.name.as_str())
    }

    /// One printed line. Names, commands and reasons come from files and devices: the whole
    /// line is escaped, so none of them can drive the terminal or start a line of its own.
    pub fn line(&self, event: &RolloutEvent) -> Option<String> {
        if self.json {
            Some(escape_json(&self.json_line(event).to_string()))
        } else {
            self.text_line(event).map(|line| escape_line(&line))
        }
    }

    fn names(&self, w: &WaveInfo) -> Vec<&str> {
        w.devices.iter().map(|&d| self.name(d)).collect()
    }

    fn text_line(&self, event: &RolloutEvent) -> Option<String> {
        Some(match event {
            RolloutEvent::Started {
                plan,
                waves,
                resumed,
            } => {
                let verb = if *resumed { "resuming" } else { "starting" };
                let shape: Vec<String> =
                    waves.iter().map(|w| w.devices.len().to_string()).collect();
                format!(
                    "{verb} rollout `{plan}`: {} wave(s) [{}]",
                    waves.len(),
                    shape.join(", ")
                )
            }
            RolloutEvent::Device {
                device,
                state,
                reason,
            } => match reason {
                Some(r) => format!("{}: {} ({r})", self.name(*device), state.label()),
                None => format!("{}: {}", self.name(*device), state.label()),
            },
            RolloutEvent::Step { .. } => return None,
            RolloutEvent::Check {
                device,
                phase,
                name,
                passed,
                ..
            } => {
                let phase = match phase {
                    CheckPhase::Pre => "pre-check",
                    CheckPhase::Post => "post-check",
                };
                let verdict = if *passed { "passed" } else { "FAILED" };
                format!("{}: {phase} `{name}` {verdict}", self.name(*device))
            }
            RolloutEvent::Wave {
                wave,
                state,
                reason,
            } => match reason {
                Some(r) => format!("wave {}: {} ({r})", wave + 1, state.label()),
                None => format!("wave {}: {}", wave + 1, state.label()),
            },
            RolloutEvent::Overall { state, reason } => match reason {
                Some(r) => format!("rollout: {} ({r})", state.label()),
                None => format!("rollout: {}", state.label()),
            },
            RolloutEvent::Log { device, text, .. } => match device {
                Some(d) => format!("{}: {text}", self.name(*d)),
                None => text.clone(),
            },
            RolloutEvent::Finished { outcome, report } => match report {
                Some(p) => format!("finished: {} — report {}", outcome.as_str(), p.display()),
                None => format!("finished: {}", outcome.as_str()),
            },
        })
    }

    fn json_line(&self, event: &RolloutEvent) -> serde_json::Value {
        match event {
            RolloutEvent::Started {
                plan,
                waves,
                resumed,
            } => json!({
                "event": "started", "plan": plan, "resumed": resumed,
                "waves": waves.iter().map(|w| json!({
                    "index": w.index, "kind": w.kind, "devices": self.names(w),
                })).collect::<Vec<_>>(),
            }),
            RolloutEvent::Device {
                device,
                state,
                reason,
            } => json!({
                "event": "device", "device": self.name(*device), "state": state, "reason": reason,
            }),
            RolloutEvent::Step { device, step } => json!({
                "event": "step", "device": self.name(*device), "step": step,
            }),
            RolloutEvent::Check {
                device,
                phase,
                name,
                passed,
                output,
            } => json!({
                "event": "check", "device": self.name(*device), "phase": phase, "name": name,
                "passed": passed, "output": output,
            }),
            RolloutEvent::Wave {
                wave,
                state,
                reason,
            } => json!({"event": "wave", "wave": wave, "state": state, "reason": reason}),
            RolloutEvent::Overall { state, reason } => {
                json!({"event": "rollout", "state": state, "reason": reason})
            }
            RolloutEvent::Log { device, text, .. } => json!({
                "event": "log", "device": device.map(|d| self.name(d)), "text": text,
            }),
            RolloutEvent::Finished { outcome, report } => json!({
                "event": "finished", "outcome": outcome, "report": report,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rollout::event::RunState;

    /// Plan names, check names, reasons and log text come from files and devices: no
    /// printed line, text or JSON, can drive the terminal or forge another line.
    #[test]
    fn hostile_event_text_is_escaped() {
        use crate::base::text::hostile::{SAMPLES, assert_inert};
        use crate::rollout::event::DeviceState;
        let inventory =
            Inventory::from_yaml("devices:\n  - {name: r1, host: 127.0.0.1}\n", "t").unwrap();
        for json in [false, true] {
            let printer = Printer {
                inventory: Arc::new(inventory.clone()),
                json,
            };
            for hostile in SAMPLES {
                let s = hostile.to_string();
                let events = [
                    RolloutEvent::Started {
                        plan: s.clone(),
                        waves: vec![],
                        resumed: false,
                    },
                    RolloutEvent::Device {
                        device: 0,
                        state: DeviceState::Failed,
                        reason: Some(s.clone()),
                    },
                    RolloutEvent::Check {
                        device: 0,
                        phase: CheckPhase::Post,
                        name: s.clone(),
                        passed: false,
                        output: s.clone(),
                    },
                    RolloutEvent::Overall {
                        state: RunState::Halted,
                        reason: Some(s.clone()),
                    },
                    RolloutEvent::Log {
                        at: std::time::Instant::now(),
                        device: Some(0),
                        text: s.clone(),
                    },
                ];
                for event in &events {
                    let line = printer.line(event).unwrap();
                    assert_inert(&format!("{event:?}"), &line);
                    assert!(!line.contains('\n'), "one line: {line}");
                }
            }
        }
    }
}
