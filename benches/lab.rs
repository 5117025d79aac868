//! Lab scale benchmark: 1,000 devices start in under 2 s and stay under 200 MB RSS; then
//! measures how many SSH sessions per second the lab serves (connect, password auth,
//! exec `show version`, close) to an in-process russh client.
//!
//! Runs as an ignored test so it needs no Cargo.toml changes:
//!   cargo test --release --bench lab -- --ignored --nocapture
//! Knobs: LAB_BENCH_DEVICES (1000), LAB_BENCH_SECS (3), LAB_BENCH_CONCURRENCY (64).

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use fleetdash::lab::{Lab, LabConfig, Platform, Scenario};
use russh::client;
use russh::keys::PublicKeyOrCertificate;
use russh::{ChannelMsg, Disconnect};

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Resident set size of this process, in MiB.
fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0)
}

struct Trusting;

impl client::Handler for Trusting {
    type Error = russh::Error;

    async fn check_server_key(&mut self, _: &PublicKeyOrCertificate) -> Result<bool, Self::Error> {
        Ok(true)
    }
}

/// One full session; true if the command came back with exit status 0.
async fn one_session(
    cfg: Arc<client::Config>,
    addr: SocketAddr,
    command: &str,
) -> Result<bool, russh::Error> {
    let mut h = client::connect(cfg, addr, Trusting).await?;
    if !h.authenticate_password("admin", "admin").await?.success() {
        return Ok(false);
    }
    let mut ch = h.channel_open_session().await?;
    ch.exec(true, command).await?;
    let mut ok = false;
    while let Some(msg) = ch.wait().await {
        match msg {
            ChannelMsg::ExitStatus { exit_status } => ok = exit_status == 0,
            ChannelMsg::Close => break,
            _ => {}
        }
    }
    h.disconnect(Disconnect::ByApplication, "", "").await?;
    Ok(ok)
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "benchmark: run with --ignored --nocapture"]
async fn lab_scale() {
    let devices = env("LAB_BENCH_DEVICES", 1000) as usize;
    let secs = env("LAB_BENCH_SECS", 3);
    let concurrency = env("LAB_BENCH_CONCURRENCY", 64) as usize;
    let rss_before = rss_mib();
    let mut cfg = LabConfig::new(Scenario::demo());
    cfg.devices = devices;
    cfg.base = Ipv4Addr::new(127, 22, 0, 1);
    cfg.port = 2222;
    let t = Instant::now();
    let lab = Lab::start(cfg).await.expect("lab starts");
    let started = t.elapsed();
    let rss_started = rss_mib();
    println!(
        "lab_scale: {devices} devices started in {started:.2?}; RSS {rss_before:.1} -> {rss_started:.1} MiB"
    );
    // Healthy devices only: faults (tarpit, auth failure, latency…) would measure the fault.
    let targets: Arc<Vec<(SocketAddr, &str)>> = Arc::new(
        lab.devices()
            .iter()
            .filter(|d| d.faults.is_healthy())
            .map(|d| {
                let cmd = match d.platform {
                    Platform::Linux => "uname -a",
                    _ => "show version",
                };
                (d.addr, cmd)
            })
            .collect(),
    );
    let client_cfg = Arc::new(client::Config::default());
    let done = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(secs);
    let t = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|w| {
            let (targets, cfg, done, failed) = (
                targets.clone(),
                client_cfg.clone(),
                done.clone(),
                failed.clone(),
            );
            tokio::spawn(async move {
                let mut i = w;
                while Instant::now() < deadline {
                    let (addr, command) = targets[i % targets.len()];
                    i += concurrency;
                    match one_session(cfg.clone(), addr, command).await {
                        Ok(true) => done.fetch_add(1, Ordering::Relaxed),
                        other => {
                            if failed.load(Ordering::Relaxed) < 5 {
                                eprintln!("lab_scale: session to {addr} failed: {other:?}");
                            }
                            failed.fetch_add(1, Ordering::Relaxed)
                        }
                    };
                }
            })
        })
        .collect();
    for w in workers {
        w.await.unwrap();
    }
    let elapsed = t.elapsed().as_secs_f64();
    let n = done.load(Ordering::Relaxed);
    let rss_loaded = rss_mib();
    let stats = lab.stats();
    println!(
        "lab_scale: {n} sessions in {elapsed:.2} s = {:.0} sessions/s ({concurrency} concurrent, \
         client in the same process), {} failed; RSS after load {rss_loaded:.1} MiB; lab saw {} \
         logins, {} commands",
        n as f64 / elapsed,
        failed.load(Ordering::Relaxed),
        stats.sessions,
        stats.commands
    );
    let t = Instant::now();
    lab.stop().await;
    println!("lab_scale: stopped in {:.2?}", t.elapsed());
    assert!(started < Duration::from_secs(2), "start took {started:?}");
    assert!(rss_started < 200.0, "RSS {rss_started:.1} MiB after start");
    assert!(n > 0 && failed.load(Ordering::Relaxed) == 0);
}
