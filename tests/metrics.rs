//! `--metrics` end to end: `fleetdash serve` over a lab (devices up, devices of a stopped
//! lab down), scraped by hand and by a real Prometheus (Debian's `prometheus`, started by
//! the test on 127.0.0.1 with its own config and data directory), whose query API must then
//! read the same truth; counters move after an `exec --metrics`. Everything on loopback.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fleetdash::lab::Lab;
use serde_json::Value;

const PROMETHEUS: &str = "/usr/bin/prometheus";
const PASSWORD_ENV: &str = "FLEETDASH_PASSWORD";

/// A child process killed (and reaped) when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A loopback port free right now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The body of `GET path` (HTTP/1.0: no chunked answers), or `None` while nothing listens.
fn http_get(addr: SocketAddr, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    let status = out.split(' ').nth(1)?.parse().ok()?;
    let body = out.split_once("\r\n\r\n")?.1.to_string();
    Some((status, body))
}

/// Retries `probe` until it gives a value; only a hang reaches the guard.
fn eventually<T>(what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + common::HANG;
    loop {
        if let Some(v) = probe() {
            return v;
        }
        assert!(Instant::now() < deadline, "never happened: {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn lab_devices_yaml(lab: &Lab) -> String {
    lab.devices()
        .iter()
        .map(|d| {
            format!(
                "  - {{name: {}, host: {}, port: {}, platform: {}, probe: \"tcp:{}\", \
                 username: admin, password_env: {PASSWORD_ENV}, tags: {{site: {}}}}}\n",
                d.name,
                d.addr.ip(),
                d.addr.port(),
                d.platform.name(),
                d.addr.port(),
                d.site
            )
        })
        .collect()
}

fn fleetdash(state: &Path) -> Command {
    let mut c = common::fleetdash();
    c.env("XDG_STATE_HOME", state)
        .env(PASSWORD_ENV, "admin")
        .stdin(Stdio::null());
    c
}

fn serve(dir: &Path, inventory: &Path, addr: SocketAddr, vantage: &str) -> Running {
    serve_limited(dir, inventory, addr, vantage, "all")
}

fn serve_limited(
    dir: &Path,
    inventory: &Path,
    addr: SocketAddr,
    vantage: &str,
    limit: &str,
) -> Running {
    let child = fleetdash(dir)
        .args([
            "serve",
            inventory.to_str().unwrap(),
            "--limit",
            limit,
            "--metrics",
        ])
        .arg(addr.to_string())
        .args(["--vantage", vantage, "--metrics-labels", "site"])
        .args(["--interval", "200ms", "--timeout", "500ms"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    Running(child)
}

/// Two labs: `up` keeps running, `gone` is stopped once the inventory is written, so its
/// devices refuse connections (down). Returns the inventory and the device names of each.
struct Fleet {
    up: Lab,
    up_names: Vec<String>,
    gone_names: Vec<String>,
    inventory: PathBuf,
    known_hosts: PathBuf,
}

async fn fleet(dir: &Path) -> Fleet {
    let up = common::lab("name: mup\ndevices: 3\nsites: [par]\nroles:\n  - {role: sw, platform: cisco_ios, count: 3}\n")
        .start()
        .await;
    let gone = common::lab("name: mgone\ndevices: 2\nsites: [ber]\nroles:\n  - {role: rt, platform: cisco_ios, count: 2}\n")
        .start()
        .await;
    let names = |lab: &Lab| {
        lab.devices()
            .iter()
            .map(|d| d.name.clone())
            .collect::<Vec<_>>()
    };
    let (up_names, gone_names) = (names(&up), names(&gone));
    let yaml = format!(
        "devices:\n{}{}",
        lab_devices_yaml(&up),
        lab_devices_yaml(&gone)
    );
    let inventory = dir.join("inv.yaml");
    std::fs::write(&inventory, yaml).unwrap();
    let known_hosts = dir.join("known_hosts");
    std::fs::write(&known_hosts, up.known_hosts()).unwrap();
    gone.stop().await;
    Fleet {
        up,
        up_names,
        gone_names,
        inventory,
        known_hosts,
    }
}

/// `fleetdash_device_up` per device name in a scrape body.
fn up_values(body: &str) -> Vec<(String, String)> {
    body.lines()
        .filter_map(|l| l.strip_prefix("fleetdash_device_up{name=\""))
        .map(|rest| {
            let (name, tail) = rest.split_once('"').unwrap();
            (
                name.to_string(),
                tail.rsplit(' ').next().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_exports_up_and_down_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let f = fleet(dir.path()).await;
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let mut daemon = serve(dir.path(), &f.inventory, addr, "here");
    let body = tokio::task::spawn_blocking(move || {
        eventually("every device known", || {
            let (status, body) = http_get(addr, "/metrics")?;
            assert_eq!(status, 200);
            (up_values(&body).len() == 5).then_some(body)
        })
    })
    .await
    .unwrap();
    let values = up_values(&body);
    for name in &f.up_names {
        assert!(
            values.contains(&(name.clone(), "1".into())),
            "{name} up:\n{body}"
        );
    }
    for name in &f.gone_names {
        assert!(
            values.contains(&(name.clone(), "0".into())),
            "{name} down:\n{body}"
        );
    }
    assert!(body.contains(",vantage=\"here\",site=\"par\"} 1"), "{body}");
    assert_eq!(http_get(addr, "/").unwrap().0, 404);

    // A second exporter on the same port is a user error: one line, exit 2.
    let out = fleetdash(dir.path())
        .args(["serve", f.inventory.to_str().unwrap(), "--metrics"])
        .arg(addr.to_string())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("in use"), "{err}");

    let pid = daemon.0.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = daemon.0.wait().unwrap();
    assert_eq!(status.code(), Some(0), "SIGTERM ends serve cleanly");
    f.up.stop().await;
}

#[test]
fn serve_without_metrics_and_bad_labels_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("inv.yaml");
    std::fs::write(&inv, "devices:\n  - {name: a, host: 127.0.0.1}\n").unwrap();
    let out = fleetdash(dir.path())
        .args(["serve", inv.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--metrics"));
    for bad in [
        &["--metrics", "localhost:9723"][..],
        &["--metrics", "9723", "--metrics-labels", "rack-id"],
    ] {
        let out = fleetdash(dir.path())
            .args(["sweep", inv.to_str().unwrap()])
            .args(bad)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
    }
}

/// `sweep --count 0` sweeps until stopped, serving metrics meanwhile; SIGINT prints the
/// table of what it saw.
#[test]
fn sweep_count_zero_runs_until_sigint() {
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("inv.yaml");
    let port = free_port();
    std::fs::write(
        &inv,
        format!("devices:\n  - {{name: closed, host: 127.0.0.1, probe: \"tcp:{port}\"}}\n"),
    )
    .unwrap();
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let child = fleetdash(dir.path())
        .args([
            "sweep",
            inv.to_str().unwrap(),
            "--count",
            "0",
            "--interval",
            "100ms",
        ])
        .arg("--metrics")
        .arg(addr.to_string())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut sweep = Running(child);
    // Several sweeps go by: the probe counter passes 3.
    eventually("three probes", || {
        let (_, body) = http_get(addr, "/metrics")?;
        let line = body
            .lines()
            .find(|l| l.starts_with("fleetdash_device_probes_total{name=\"closed\"}"))?;
        (line.rsplit(' ').next()?.parse::<u64>().ok()? >= 3).then_some(())
    });
    let pid = sweep.0.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let mut out = String::new();
    sweep
        .0
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    let status = sweep.0.wait().unwrap();
    assert_eq!(status.code(), Some(1), "the device is down:\n{out}");
    assert!(out.contains("0/1 up"), "{out}");
}

/// Prometheus' instant query `query`, as (labels, value) per series.
fn query(prom: SocketAddr, query: &str) -> Option<Vec<(Value, String)>> {
    let q: String = query
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    let (status, body) = http_get(prom, &format!("/api/v1/query?query={q}"))?;
    if status != 200 {
        return None;
    }
    let v: Value = serde_json::from_str(&body).ok()?;
    let result = v["data"]["result"].as_array()?;
    Some(
        result
            .iter()
            .map(|s| {
                (
                    s["metric"].clone(),
                    s["value"][1].as_str().unwrap().to_string(),
                )
            })
            .collect(),
    )
}

fn start_prometheus(dir: &Path, targets: &[SocketAddr]) -> (Running, SocketAddr) {
    let targets: Vec<String> = targets.iter().map(|t| format!("'{t}'")).collect();
    let config = dir.join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n\
             scrape_configs:\n  - job_name: fleetdash\n    static_configs:\n      - targets: [{}]\n",
            targets.join(", ")
        ),
    )
    .unwrap();
    let web: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let child = Command::new(PROMETHEUS)
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.join("tsdb").display()
        ))
        .arg(format!("--web.listen-address={web}"))
        .arg("--log.level=warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    (Running(child), web)
}

/// The oracle: a real Prometheus scrapes `serve` and an `exec`; its query API reads the
/// lab's truth, and the command counters moved.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_prometheus_reads_what_fleetdash_exports() {
    if !Path::new(PROMETHEUS).exists() {
        eprintln!("skipped: {PROMETHEUS} is missing (apt-get install prometheus; CI does)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let f = fleet(dir.path()).await;
    let serve_addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let exec_addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let _daemon = serve(dir.path(), &f.inventory, serve_addr, "lab");
    let (_prom, prom) = start_prometheus(dir.path(), &[serve_addr, exec_addr]);
    let (up_names, gone_names) = (f.up_names.clone(), f.gone_names.clone());
    tokio::task::spawn_blocking(move || {
        let seen = eventually("Prometheus sees every device", || {
            let series = query(prom, "fleetdash_device_up")?;
            (series.len() == 5).then_some(series)
        });
        for (labels, value) in &seen {
            let name = labels["name"].as_str().unwrap().to_string();
            let want = if up_names.contains(&name) { "1" } else { "0" };
            assert!(
                gone_names.contains(&name) || up_names.contains(&name),
                "{name}"
            );
            assert_eq!(value, want, "{name}: {labels}");
            assert_eq!(labels["vantage"], "lab");
            assert_eq!(labels["instance"], serve_addr.to_string());
        }
        // The probe counters move between scrapes.
        eventually("probe counters increase", || {
            let q = "sum(increase(fleetdash_device_probes_total[5s]))";
            let v = query(prom, q)?.first()?.1.parse::<f64>().ok()?;
            (v > 0.0).then_some(())
        });
    })
    .await
    .unwrap();

    // An exec with --metrics: it waits for a last scrape, so its counters reach Prometheus.
    let out = fleetdash(dir.path())
        .args(["exec", f.inventory.to_str().unwrap(), "-l", "tag:site=par"])
        .arg("--known-hosts")
        .arg(&f.known_hosts)
        .arg("--metrics")
        .arg(exec_addr.to_string())
        .args(["--metrics-linger", "60s", "--", "show version"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("waiting up to 1m for a last scrape"),
        "{stderr}"
    );
    let instance = exec_addr.to_string();
    tokio::task::spawn_blocking(move || {
        let ok = format!(
            "max_over_time(fleetdash_commands_total{{outcome=\"ok\",instance=\"{instance}\"}}[10m])"
        );
        let series = eventually("the exec's counter", || {
            query(prom, &ok).filter(|s| !s.is_empty())
        });
        assert_eq!(series[0].1, "3", "{series:?}");
        let runs = format!(
            "max_over_time(fleetdash_runs_total{{outcome=\"ok\",instance=\"{instance}\"}}[10m])"
        );
        let series = eventually("the exec's run", || {
            query(prom, &runs).filter(|s| !s.is_empty())
        });
        assert_eq!(series[0].1, "1", "{series:?}");
    })
    .await
    .unwrap();
    f.up.stop().await;
}

/// Many vantage points: two `serve` instances watch different parts of the labs, one
/// Prometheus scrapes both, and a dashboard engine that probes nothing itself reads
/// Prometheus: every device shows the right state, and which vantage point sees it down.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dashboard_reads_two_vantage_points_through_prometheus() {
    use std::sync::Arc;

    use fleetdash::engine::{Engine, EngineConfig};
    use fleetdash::fleet::Reach;
    use fleetdash::inventory::Inventory;
    use fleetdash::metrics::remote::{self, RemoteConfig};

    if !Path::new(PROMETHEUS).exists() {
        eprintln!("skipped: {PROMETHEUS} is missing (apt-get install prometheus; CI does)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let f = fleet(dir.path()).await;
    let (par, ber): (SocketAddr, SocketAddr) = (
        format!("127.0.0.1:{}", free_port()).parse().unwrap(),
        format!("127.0.0.1:{}", free_port()).parse().unwrap(),
    );
    let inv = &f.inventory;
    let _par = serve_limited(dir.path(), inv, par, "par", "tag:site=par");
    // ber watches its own devices and one of par's too.
    let also = format!("tag:site=ber,{}", f.up_names[0]);
    let _ber = serve_limited(dir.path(), inv, ber, "ber", &also);
    let (_prom, prom) = start_prometheus(dir.path(), &[par, ber]);

    let yaml = std::fs::read_to_string(inv).unwrap();
    let inventory = Arc::new(Inventory::from_yaml(&yaml, "inv.yaml").unwrap());
    // No local probes: whatever the state knows came through Prometheus.
    let builder = Engine::builder(inventory.clone(), EngineConfig::default());
    let config = RemoteConfig {
        url: remote::parse_url(&format!("http://{prom}")).unwrap(),
        query: remote::DEFAULT_QUERY.into(),
        interval: Duration::from_millis(300),
        timeout: Duration::from_secs(5),
    };
    let _poller = remote::spawn(config, inventory.clone(), builder.sender());
    let mut engine = builder.start();
    let id = |name: &str| {
        inventory
            .devices
            .iter()
            .position(|d| d.name == name)
            .unwrap()
    };
    let settled = |engine: &Engine| {
        let s = &engine.state;
        f.up_names
            .iter()
            .all(|n| s.devices[id(n)].reach == Reach::Up)
            && f.gone_names
                .iter()
                .all(|n| s.devices[id(n)].reach == Reach::Down)
            && s.devices[id(&f.up_names[0])].remote.len() == 2
    };
    tokio::time::timeout(common::HANG, async {
        while !settled(&engine) {
            engine
                .next_batch(|_| {})
                .await
                .expect("the poller keeps the stream open");
        }
    })
    .await
    .expect("the dashboard's state settles on the labs' truth");
    let s = &engine.state;
    for name in &f.gone_names {
        assert_eq!(s.devices[id(name)].remote_down(), "ber", "{name}");
        assert_eq!(
            s.devices[id(name)].local,
            Reach::Unknown,
            "nothing probed here"
        );
    }
    let both = &s.devices[id(&f.up_names[0])];
    let vantages: Vec<(&str, bool)> = both
        .remote
        .iter()
        .map(|v| (v.vantage.as_str(), v.up))
        .collect();
    assert_eq!(vantages, [("ber", true), ("par", true)]);
    assert_eq!((s.counts.up, s.counts.down, s.counts.unknown), (3, 2, 0));
    assert!(s.remote.as_ref().unwrap().error.is_none());
    drop(_prom);

    // Prometheus gone: a log line and a header mark; the last views stay.
    tokio::time::timeout(common::HANG, async {
        while engine.state.remote.as_ref().unwrap().error.is_none() {
            engine.next_batch(|_| {}).await.unwrap();
        }
    })
    .await
    .expect("the failure is reported");
    let s = &engine.state;
    assert!(s.log.iter().any(|l| {
        l.text
            .starts_with("remote vantage points unreadable: http://")
    }));
    assert_eq!((s.counts.up, s.counts.down), (3, 2));
    f.up.stop().await;
}
