//! Per-device series as plain atomics: the tap writes them from the reducer's loop, a
//! scrape reads them, and neither waits for the other (no lock at all).
//!
//! `fleetdash_device_up` is the reducer's damped state of this process's own probes (what
//! the tiles show, less any `--from-prometheus` views: re-exporting those would feed a
//! Prometheus its own answers back): 1 up, 0 down, and *absent* while the device is still
//! unknown (no probe has decided yet), so `fleetdash_device_up == 0` never fires for a
//! device nobody has looked at.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;

use super::labels::DeviceLabels;
use crate::fleet::{DeviceState, Reach};

/// Upper bounds of the RTT histogram, in seconds: 1 ms (a LAN) to 1 s. Few on purpose:
/// each bucket is one more series per device (10,000 devices: 10,000 lines a bucket).
pub const RTT_BUCKETS: [f64; 8] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.25, 1.0];

const UNKNOWN: u8 = 0;
const DOWN: u8 = 1;
const UP: u8 = 2;

/// One device's numbers.
#[derive(Debug, Default)]
pub struct Cell {
    reach: AtomicU8,
    flaps: AtomicU64,
    probes: AtomicU64,
    replies: AtomicU64,
    /// Loss ratio over the reducer's window, as f64 bits, +1 so that 0 means "no probe yet".
    loss: AtomicU64,
    circuit_open: AtomicU8,
    /// Non-cumulative counts per bucket; the last one is +Inf.
    rtt_buckets: [AtomicU64; RTT_BUCKETS.len() + 1],
    rtt_sum_ns: AtomicU64,
}

impl Cell {
    /// Copies what the reducer decided for this device; the local state before and after,
    /// as indexes into `[up, down, unknown]`.
    pub fn follow(&self, state: &DeviceState) -> (usize, usize) {
        let reach = match state.local {
            Reach::Unknown => UNKNOWN,
            Reach::Down => DOWN,
            Reach::Up => UP,
        };
        let before = self.reach.swap(reach, Relaxed);
        self.flaps.store(u64::from(state.flaps), Relaxed);
        self.probes.store(state.probes, Relaxed);
        self.replies.store(state.replies, Relaxed);
        if let Some(pct) = state.loss_pct() {
            self.loss.store((pct / 100.0).to_bits() + 1, Relaxed);
        }
        let slot = |code| match code {
            UP => 0,
            DOWN => 1,
            _ => 2,
        };
        (slot(before), slot(reach))
    }

    pub fn observe_rtt(&self, rtt: Duration) {
        let secs = rtt.as_secs_f64();
        let slot = RTT_BUCKETS
            .iter()
            .position(|&le| secs <= le)
            .unwrap_or(RTT_BUCKETS.len());
        self.rtt_buckets[slot].fetch_add(1, Relaxed);
        let ns = u64::try_from(rtt.as_nanos()).unwrap_or(u64::MAX);
        self.rtt_sum_ns.fetch_add(ns, Relaxed);
    }

    pub fn set_circuit_open(&self, open: bool) {
        self.circuit_open.store(u8::from(open), Relaxed);
    }
}

/// Which counter of a cell a series reads.
type Field = fn(&Cell) -> &AtomicU64;

/// Encodes every device's series at scrape time from the cells.
#[derive(Debug)]
pub struct DeviceCollector {
    pub cells: Arc<[Cell]>,
    pub labels: Arc<[DeviceLabels]>,
}

impl DeviceCollector {
    fn each(&self) -> impl Iterator<Item = (&Cell, &DeviceLabels)> {
        self.cells.iter().zip(self.labels.iter())
    }
}

impl Collector for DeviceCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        {
            let mut m = encoder.encode_descriptor(
                "fleetdash_device_up",
                "Reachability after damping, as the dashboard shows it: 1 up, 0 down; absent while unknown",
                None,
                MetricType::Gauge,
            )?;
            for (cell, labels) in self.each() {
                let v: i64 = match cell.reach.load(Relaxed) {
                    UP => 1,
                    DOWN => 0,
                    _ => continue,
                };
                m.encode_family(labels)?.encode_gauge(&v)?;
            }
        }
        {
            let mut m = encoder.encode_descriptor(
                "fleetdash_device_loss_ratio",
                "Share of probes lost over the recent window (0 to 1); absent before the first probe",
                None,
                MetricType::Gauge,
            )?;
            for (cell, labels) in self.each() {
                let bits = cell.loss.load(Relaxed);
                if bits == 0 {
                    continue;
                }
                m.encode_family(labels)?
                    .encode_gauge(&f64::from_bits(bits - 1))?;
            }
        }
        let counters: [(&str, &str, Field); 3] = [
            (
                "fleetdash_device_flaps",
                "Up/down changes since fleetdash started",
                |c| &c.flaps,
            ),
            ("fleetdash_device_probes", "Probes sent", |c| &c.probes),
            ("fleetdash_device_replies", "Probes answered", |c| {
                &c.replies
            }),
        ];
        for (name, help, field) in counters {
            let mut m = encoder.encode_descriptor(name, help, None, MetricType::Counter)?;
            for (cell, labels) in self.each() {
                let v = field(cell).load(Relaxed);
                m.encode_family(labels)?
                    .encode_counter::<NoLabelSet, _, u64>(&v, None)?;
            }
        }
        {
            let mut m = encoder.encode_descriptor(
                "fleetdash_device_circuit_open",
                "1 while the device's SSH circuit breaker is open or half-open (commands not tried)",
                None,
                MetricType::Gauge,
            )?;
            for (cell, labels) in self.each() {
                let v = i64::from(cell.circuit_open.load(Relaxed));
                m.encode_family(labels)?.encode_gauge(&v)?;
            }
        }
        {
            let mut m = encoder.encode_descriptor(
                "fleetdash_device_rtt_seconds",
                "Round-trip time of answered probes",
                None,
                MetricType::Histogram,
            )?;
            let mut buckets = [(0.0, 0u64); RTT_BUCKETS.len() + 1];
            for (cell, labels) in self.each() {
                for (i, slot) in buckets.iter_mut().enumerate() {
                    let le = RTT_BUCKETS.get(i).copied().unwrap_or(f64::INFINITY);
                    *slot = (le, cell.rtt_buckets[i].load(Relaxed));
                }
                // The count is the buckets' sum, so +Inf always equals it (the buckets are
                // read one by one while probes land).
                let count = buckets.iter().map(|b| b.1).sum();
                let sum = cell.rtt_sum_ns.load(Relaxed) as f64 / 1e9;
                m.encode_family(labels)?
                    .encode_histogram::<NoLabelSet>(sum, count, &buckets, None)?;
            }
        }
        Ok(())
    }
}
