//! `fleetdash sweep`: probe N times, then print a table or one JSON object per device.
//!
//! Damping is off here (down after 1 loss, up after 1 reply): a script wants the state the
//! last probe saw, while loss over all probes is reported beside it.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::sync::Arc;

use serde::Serialize;

use crate::base::text::{Untrusted, escape_json};
use crate::engine::{Engine, EngineConfig, Probes, Starting};
use crate::fleet::{FleetConfig, Reach, State};
use crate::inventory::Inventory;
use crate::metrics::Exporter;
use crate::probe::{SweepConfig, ViaBastion};
use crate::ssh::{BastionLimits, SshOptions};

/// One device's result, as printed with `--json`.
#[derive(Debug, Serialize, PartialEq)]
pub struct Row<'a> {
    pub name: &'a str,
    pub host: &'a str,
    pub state: &'static str,
    /// Mean over the replies, in milliseconds.
    pub rtt_ms: Option<f64>,
    pub rtt_min_ms: Option<f64>,
    pub rtt_max_ms: Option<f64>,
    pub loss_pct: f64,
    pub sent: u64,
    pub received: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<&'a str>,
}

/// Runs `sweep.count` sweeps to completion (`None`: until SIGINT or SIGTERM) and returns
/// the final state; `metrics` follows the reducer when given.
pub async fn run(inventory: Inventory, sweep: SweepConfig, metrics: Option<&Exporter>) -> State {
    run_with(inventory, sweep, |b| super::with_metrics(b, metrics)).await
}

/// [`run`], with `extend` adding to the engine before it starts (the metrics exporter, the
/// flight recorder).
pub async fn run_with(
    inventory: Inventory,
    sweep: SweepConfig,
    extend: impl FnOnce(Starting) -> Starting,
) -> State {
    let endless = sweep.count.is_none();
    let history = match sweep.count {
        Some(sweeps) => sweeps.clamp(1, 10_000) as usize,
        None => FleetConfig::default().history,
    };
    let fleet = FleetConfig {
        down_after: 1,
        up_after: 1,
        history,
        // A counted run's summary covers every sweep of it, however long it took.
        history_age: match endless {
            true => FleetConfig::default().history_age,
            false => std::time::Duration::MAX,
        },
        ..FleetConfig::default()
    };
    let config = EngineConfig {
        fleet,
        probes: Some(Probes {
            sweep,
            only: None,
            via_bastion: via_bastion(&inventory),
        }),
        ..EngineConfig::default()
    };
    let mut engine = extend(Engine::builder(Arc::new(inventory), config)).start();
    let stop = async {
        match endless {
            true => super::stop_signal().await,
            false => std::future::pending().await,
        }
    };
    tokio::pin!(stop);
    // The sweeper drops its sender after the last sweep, which ends this loop.
    loop {
        tokio::select! {
            folded = engine.next_batch(|_| {}) => if folded.is_none() { break },
            _ = &mut stop => break,
        }
    }
    engine.state
}

/// Devices behind a bastion are probed through it, logging in to it as `exec` would (the
/// user's known_hosts, accept-new).
pub fn via_bastion(inventory: &Inventory) -> Option<ViaBastion> {
    if inventory.devices.iter().all(|d| d.jump.is_empty()) {
        return None;
    }
    let opts = SshOptions::for_user().ok()?;
    let opts = opts.with_bastions(inventory, BastionLimits::default());
    Some(ViaBastion::new(inventory, opts))
}

pub fn rows(state: &State) -> Vec<Row<'_>> {
    let ms = |d: std::time::Duration| (d.as_secs_f64() * 1e6).round() / 1e3;
    state
        .inventory
        .devices
        .iter()
        .zip(&state.devices)
        .map(|(device, st)| {
            let stats = st.rtt_stats();
            Row {
                name: &device.name,
                host: &device.host,
                // No probe result at all (the sweep never reached it) counts as down.
                state: if st.reach == Reach::Up { "up" } else { "down" },
                rtt_ms: stats.map(|s| ms(s.0)),
                rtt_min_ms: stats.map(|s| ms(s.1)),
                rtt_max_ms: stats.map(|s| ms(s.2)),
                loss_pct: st.loss_pct().unwrap_or(100.0),
                sent: st.probes,
                received: st.replies,
                error: st.last_error.as_deref(),
            }
        })
        .collect()
}

/// One JSON object per line; names from the inventory cannot carry a terminal control
/// (see [`escape_json`]).
pub fn json_lines(rows: &[Row]) -> String {
    rows.iter()
        .map(|row| escape_json(&serde_json::to_string(row).expect("rows serialize")) + "\n")
        .collect()
}

/// A table; names, hosts and errors escaped ([`Untrusted`]) before columns are measured.
pub fn table(rows: &[Row]) -> String {
    let cells: Vec<[Cow<str>; 3]> = rows
        .iter()
        .map(|r| [r.name, r.host, r.error.unwrap_or("")].map(|text| Untrusted(text).shown()))
        .collect();
    let width = |i: usize| {
        let widest = cells.iter().map(|c| c[i].chars().count()).max();
        widest.unwrap_or(4).max(4)
    };
    let (name_w, host_w) = (width(0), width(1));
    let mut out = String::with_capacity((name_w + host_w + 40) * (rows.len() + 2));
    let _ = writeln!(
        out,
        "{:<name_w$}  {:<host_w$}  {:<5}  {:>9}  {:>6}  ERROR",
        "NAME", "HOST", "STATE", "RTT(ms)", "LOSS"
    );
    // Columns padded here and the RTT written into one reused buffer: one line per device,
    // without a string or fmt's width handling for each value.
    let pad = |out: &mut String, width: usize, text: &str| {
        let fill = width.saturating_sub(text.chars().count());
        out.extend(std::iter::repeat_n(' ', fill));
    };
    let mut rtt = String::new();
    for (r, [name, host, error]) in rows.iter().zip(&cells) {
        rtt.clear();
        let _ = match r.rtt_ms {
            Some(v) => write!(rtt, "{v:.3}"),
            None => rtt.write_char('-'),
        };
        out.push_str(name);
        pad(&mut out, name_w + 2, name);
        out.push_str(host);
        pad(&mut out, host_w + 2, host);
        out.push_str(r.state);
        pad(&mut out, 7, r.state);
        pad(&mut out, 9, &rtt);
        out.push_str(&rtt);
        let _ = writeln!(out, "  {:>5.0}%  {error}", r.loss_pct);
    }
    let up = rows.iter().filter(|r| r.state == "up").count();
    let _ = writeln!(out, "{up}/{} up", rows.len());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::text::hostile::{SAMPLES, assert_inert};

    fn row<'a>(name: &'a str, host: &'a str, error: Option<&'a str>) -> Row<'a> {
        Row {
            name,
            host,
            state: "down",
            rtt_ms: None,
            rtt_min_ms: None,
            rtt_max_ms: None,
            loss_pct: 100.0,
            sent: 1,
            received: 0,
            error,
        }
    }

    /// Whatever a name, a host or an error holds, the table stays one line per device and
    /// the JSON keeps the value, and neither can drive the terminal.
    #[test]
    fn hostile_names_hosts_and_errors_are_escaped() {
        for hostile in SAMPLES {
            let rows = vec![
                row(hostile, hostile, Some(hostile)),
                row("b", "127.0.0.2", None),
            ];
            let text = table(&rows);
            assert_inert("table", &text);
            assert_eq!(text.lines().count(), 4, "header, two rows, total:\n{text}");
            let json = json_lines(&rows);
            assert_inert("json", &json);
            let first: serde_json::Value =
                serde_json::from_str(json.lines().next().unwrap()).unwrap();
            assert_eq!(first["name"], *hostile);
            assert_eq!(first["error"], *hostile);
        }
    }
}
