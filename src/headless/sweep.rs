//! `fleetdash sweep`: probe N times, then print a table or one JSON object per device.
//!
//! Damping is off here (down after 1 loss, up after 1 reply): a script wants the state the
//! last probe saw, while loss over all probes is reported beside it.

use std::fmt::Write as _;
use std::sync::Arc;

use serde::Serialize;

use crate::engine::Engine;
use crate::fleet::{FleetConfig, Reach, State};
use crate::inventory::Inventory;
use crate::probe::SweepConfig;

/// One device's result, as printed with `--json`.
#[derive(Debug, Serialize, PartialEq)]
pub struct Row {
    pub name: String,
    pub host: String,
    pub state: &'static str,
    /// Mean over the replies, in milliseconds.
    pub rtt_ms: Option<f64>,
    pub rtt_min_ms: Option<f64>,
    pub rtt_max_ms: Option<f64>,
    pub loss_pct: f64,
    pub sent: u64,
    pub received: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Runs `sweep.count` sweeps to completion and returns the final state.
pub async fn run(inventory: Inventory, sweep: SweepConfig) -> State {
    let sweeps = sweep.count.unwrap_or(1);
    let fleet = FleetConfig {
        down_after: 1,
        up_after: 1,
        history: sweeps.clamp(1, 10_000) as usize,
        ..FleetConfig::default()
    };
    let mut engine = Engine::start(Arc::new(inventory), sweep, fleet, None, None);
    // The sweeper drops its sender after the last sweep, which ends this loop.
    while let Some(event) = engine.events.recv().await {
        engine.state.apply(event);
    }
    engine.state
}

pub fn rows(state: &State) -> Vec<Row> {
    let ms = |d: std::time::Duration| (d.as_secs_f64() * 1e6).round() / 1e3;
    state
        .inventory
        .devices
        .iter()
        .zip(&state.devices)
        .map(|(device, st)| {
            let stats = st.rtt_stats();
            Row {
                name: device.name.clone(),
                host: device.host.clone(),
                // No probe result at all (the sweep never reached it) counts as down.
                state: if st.reach == Reach::Up { "up" } else { "down" },
                rtt_ms: stats.map(|s| ms(s.0)),
                rtt_min_ms: stats.map(|s| ms(s.1)),
                rtt_max_ms: stats.map(|s| ms(s.2)),
                loss_pct: st.loss_pct().unwrap_or(100.0),
                sent: st.probes,
                received: st.replies,
                error: st.last_error.clone(),
            }
        })
        .collect()
}

pub fn json_lines(rows: &[Row]) -> String {
    rows.iter()
        .map(|row| serde_json::to_string(row).expect("rows serialize") + "\n")
        .collect()
}

pub fn table(rows: &[Row]) -> String {
    let name_w = rows.iter().map(|r| r.name.len()).max().unwrap_or(4).max(4);
    let host_w = rows.iter().map(|r| r.host.len()).max().unwrap_or(4).max(4);
    let mut out = format!(
        "{:<name_w$}  {:<host_w$}  {:<5}  {:>9}  {:>6}  {}\n",
        "NAME", "HOST", "STATE", "RTT(ms)", "LOSS", "ERROR"
    );
    for r in rows {
        let rtt = r.rtt_ms.map_or("-".to_string(), |v| format!("{v:.3}"));
        let _ = writeln!(
            out,
            "{:<name_w$}  {:<host_w$}  {:<5}  {:>9}  {:>5.0}%  {}",
            r.name,
            r.host,
            r.state,
            rtt,
            r.loss_pct,
            r.error.as_deref().unwrap_or("")
        );
    }
    let up = rows.iter().filter(|r| r.state == "up").count();
    let _ = writeln!(out, "{up}/{} up", rows.len());
    out
}
