//! The sweep benchmark behind `fleetdash bench`: one unpaced sweep of n loopback addresses,
//! compared with `fping -c1 -q -i 0 -t 1000` on the same addresses when fping is installed.

use std::fmt;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::mode::detect_mode;
use super::pacing::Rate;
use super::report::{ProbeEvent, ProbeMode};
use super::sweeper::spawn_sweeper;
use super::target::{SweepConfig, Target};
use crate::inventory::ProbeSpec;

/// Per-probe timeout of the benchmark, the same for us and for fping (`-t 1000`).
const TIMEOUT: Duration = Duration::from_secs(1);

/// The numbers of one benchmark run.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepBench {
    pub targets: usize,
    pub replies: usize,
    /// From the first send to the last result of the sweep.
    pub wall: Duration,
    /// Peak resident memory of this process (VmHWM), if /proc tells.
    pub peak_rss_kib: Option<u64>,
    pub mode: ProbeMode,
    /// fping on the same addresses, or why it did not run.
    pub fping: Result<FpingRun, String>,
}

/// What fping achieved on the same addresses.
#[derive(Debug, Clone, PartialEq)]
pub struct FpingRun {
    pub replies: usize,
    pub wall: Duration,
}

impl SweepBench {
    /// Our wall time divided by fping's (below 1 = faster than fping).
    pub fn ratio(&self) -> Option<f64> {
        let fping = self.fping.as_ref().ok()?;
        Some(self.wall.as_secs_f64() / fping.wall.as_secs_f64().max(1e-9))
    }
}

impl fmt::Display for SweepBench {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pct = |r: usize| 100.0 * r as f64 / self.targets.max(1) as f64;
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        let mode = match &self.mode {
            ProbeMode::Icmp(kind) => format!("ICMP {kind:?}"),
            ProbeMode::TcpFallback { .. } => "TCP fallback".to_owned(),
        };
        write!(
            f,
            "fleetdash: {}/{} replies ({:.1}%) in {:.1} ms [{mode}]",
            self.replies,
            self.targets,
            pct(self.replies),
            ms(self.wall)
        )?;
        match self.peak_rss_kib {
            Some(kib) => writeln!(f, ", peak RSS {:.1} MiB", kib as f64 / 1024.0)?,
            None => writeln!(f)?,
        }
        match &self.fping {
            Ok(run) => write!(
                f,
                "fping:     {}/{} replies ({:.1}%) in {:.1} ms; fleetdash/fping wall = {:.2}",
                run.replies,
                self.targets,
                pct(run.replies),
                ms(run.wall),
                self.ratio().unwrap_or(f64::NAN)
            ),
            Err(why) => write!(f, "fping:     not run ({why})"),
        }
    }
}

/// `n` distinct loopback addresses in 127.21.0.0/16 (host bytes 0 and 255 skipped).
pub fn bench_addresses(n: usize) -> Vec<IpAddr> {
    (0u8..=255)
        .flat_map(|c| (1u8..=254).map(move |d| IpAddr::V4(Ipv4Addr::new(127, 21, c, d))))
        .take(n)
        .collect()
}

/// Sweep `hosts` once without pacing; returns (replies, wall time of the sweep).
pub async fn sweep_once(hosts: &[IpAddr], mode: ProbeMode, timeout: Duration) -> (usize, Duration) {
    let targets = hosts
        .iter()
        .enumerate()
        .map(|(device, ip)| Target {
            device,
            host: ip.to_string(),
            spec: ProbeSpec::Icmp,
            ssh_port: 22,
            interval: None,
        })
        .collect();
    let cfg = SweepConfig {
        interval: timeout,
        timeout,
        rate: Rate::Unlimited,
        count: Some(1),
    };
    let (tx, mut rx) = mpsc::channel(4096);
    let _sweeper = spawn_sweeper(targets, cfg, mode, tx);
    let mut done = (0, Duration::ZERO);
    while let Some(event) = rx.recv().await {
        if let ProbeEvent::SweepDone(stats) = event {
            done = (stats.replies, stats.elapsed);
        }
    }
    done
}

/// Run the benchmark on `n` loopback addresses (n ≤ 65,024).
pub async fn bench_sweep(n: usize) -> SweepBench {
    let hosts = bench_addresses(n);
    let mode = detect_mode();
    let (replies, wall) = sweep_once(&hosts, mode.clone(), TIMEOUT).await;
    let peak_rss_kib = peak_rss_kib();
    let fping = tokio::task::spawn_blocking(move || run_fping(&hosts))
        .await
        .unwrap_or_else(|e| Err(format!("fping task: {e}")));
    SweepBench {
        targets: n,
        replies,
        wall,
        peak_rss_kib,
        mode,
        fping,
    }
}

/// VmHWM of this process in KiB.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn run_fping(hosts: &[IpAddr]) -> Result<FpingRun, String> {
    let list: String = hosts.iter().map(|h| format!("{h}\n")).collect();
    let start = Instant::now();
    let mut child = Command::new("fping")
        .args(["-c1", "-q", "-i", "0", "-t", "1000"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run fping: {e}; `apt-get install fping` to compare"))?;
    // fping reads its targets from stdin when none are given on the command line.
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(list.as_bytes())
            .map_err(|e| format!("fping stdin: {e}"))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("fping: {e}"))?;
    let wall = start.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let replies = count_fping_replies(&stderr);
    if replies == 0 && !out.status.success() {
        return Err(format!(
            "fping failed: {}",
            stderr.lines().next().unwrap_or("")
        ));
    }
    Ok(FpingRun { replies, wall })
}

/// fping -q -c1 prints `127.21.0.1 : xmt/rcv/%loss = 1/1/0%, min/avg/max = …` per target.
fn count_fping_replies(stderr: &str) -> usize {
    stderr
        .lines()
        .filter(|l| l.contains("xmt/rcv/%loss = 1/1/"))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_distinct_loopback_and_skip_0_and_255() {
        let hosts = bench_addresses(600);
        assert_eq!(hosts.len(), 600);
        let unique: std::collections::HashSet<_> = hosts.iter().collect();
        assert_eq!(unique.len(), 600);
        assert!(hosts.iter().all(IpAddr::is_loopback));
        assert_eq!(hosts[0].to_string(), "127.21.0.1");
        assert_eq!(hosts[254].to_string(), "127.21.1.1");
    }

    #[test]
    fn fping_summary_lines_are_counted() {
        let text = "127.21.0.1 : xmt/rcv/%loss = 1/1/0%, min/avg/max = 0.01/0.01/0.01\n\
                    127.21.0.2 : xmt/rcv/%loss = 1/0/100%\n";
        assert_eq!(count_fping_replies(text), 1);
    }

    #[test]
    fn display_shows_counts_and_ratio() {
        let b = SweepBench {
            targets: 10,
            replies: 10,
            wall: Duration::from_millis(50),
            peak_rss_kib: Some(10_240),
            mode: ProbeMode::Icmp(crate::probe::IcmpSocket::Raw),
            fping: Ok(FpingRun {
                replies: 9,
                wall: Duration::from_millis(100),
            }),
        };
        let text = b.to_string();
        assert!(text.contains("10/10 replies (100.0%) in 50.0 ms [ICMP Raw], peak RSS 10.0 MiB"));
        assert!(text.contains("9/10 replies (90.0%) in 100.0 ms; fleetdash/fping wall = 0.50"));
    }
}
