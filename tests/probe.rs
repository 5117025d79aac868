//! Probe engine against real sockets on loopback: ICMP (or the TCP fallback when this
//! machine does not allow ICMP), TCP service checks with a listener that comes and goes,
//! silent hosts, unresolvable names, scale, and the sweeper's event protocol.
//!
//! Every address used is in 127.0.0.0/8 or ::1.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use fleetdash::fleet::{Event, ProbeMode, ProbeOutcome, ProbeResult, SweepStats};
use fleetdash::inventory::ProbeSpec;
use fleetdash::probe::{
    Rate, SweepConfig, Sweeper, Target, bench_addresses, detect_mode, spawn_sweeper, sweep_once,
};
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::mpsc;

/// Upper bound for any single test, so a bug hangs nothing.
const GUARD: Duration = Duration::from_secs(20);

fn target(device: usize, host: &str, spec: ProbeSpec, ssh_port: u16) -> Target {
    Target {
        device,
        host: host.to_owned(),
        spec,
        ssh_port,
        interval: None,
    }
}

fn quick(count: Option<u64>, timeout_ms: u64) -> SweepConfig {
    SweepConfig {
        interval: Duration::from_millis(50),
        timeout: Duration::from_millis(timeout_ms),
        rate: Rate::Unlimited,
        count,
    }
}

fn start(
    targets: Vec<Target>,
    cfg: SweepConfig,
    mode: ProbeMode,
) -> (Sweeper, mpsc::Receiver<Event>) {
    let (tx, rx) = mpsc::channel(256);
    (spawn_sweeper(targets, cfg, mode, tx), rx)
}

/// Every event until the sweeper drops its sender.
async fn drain(mut rx: mpsc::Receiver<Event>) -> Vec<Event> {
    let all = async {
        let mut events = Vec::new();
        while let Some(e) = rx.recv().await {
            events.push(e);
        }
        events
    };
    tokio::time::timeout(GUARD, all)
        .await
        .expect("sweeper did not finish")
}

/// Split events into sweeps: the probe results of each, then its stats. Checks the
/// protocol on the way: Mode first, notices before the first probe, SweepDone closes a sweep.
fn sweeps(events: &[Event]) -> Vec<(Vec<ProbeResult>, SweepStats)> {
    assert!(
        matches!(events.first(), Some(Event::Mode(_))),
        "{:?}",
        events.first()
    );
    let mut out = Vec::new();
    let mut current = Vec::new();
    for e in &events[1..] {
        match e {
            Event::Probes(results) => current.extend(results.iter().cloned()),
            Event::SweepDone(s) => out.push((std::mem::take(&mut current), s.clone())),
            Event::Notice { text, .. } => {
                assert!(out.is_empty() && current.is_empty(), "late notice: {text}")
            }
            Event::Mode(m) => panic!("second Mode event: {m:?}"),
            other => panic!("the sweeper sent a worker event not its own: {other:?}"),
        }
    }
    assert!(current.is_empty(), "probes after the last SweepDone");
    out
}

fn is_reply(r: &ProbeResult) -> bool {
    matches!(r.outcome, ProbeOutcome::Reply { .. })
}

fn announce(mode: &ProbeMode) {
    if let ProbeMode::TcpFallback { reason, .. } = mode {
        eprintln!("ICMP not available, testing the TCP fallback path: {reason}");
    }
}

#[tokio::test]
async fn loopback_addresses_reply_every_sweep() {
    let mode = detect_mode();
    announce(&mode);
    let hosts = [
        "127.0.0.1",
        "127.20.99.1",
        "127.20.99.2",
        "::1",
        "localhost",
    ];
    let targets = hosts
        .iter()
        .enumerate()
        .map(|(i, h)| target(i, h, ProbeSpec::Icmp, 22))
        .collect();
    let (_s, rx) = start(targets, quick(Some(2), 1_000), mode);
    let events = drain(rx).await;
    let sweeps = sweeps(&events);
    assert_eq!(sweeps.len(), 2);
    for (n, (results, stats)) in sweeps.iter().enumerate() {
        assert_eq!(stats.sweep, n as u64 + 1);
        assert_eq!((stats.sent, stats.replies), (5, 5), "{results:?}");
        let mut devices: Vec<_> = results.iter().map(|r| r.device).collect();
        devices.sort_unstable();
        assert_eq!(devices, [0, 1, 2, 3, 4]);
        assert!(results.iter().all(is_reply), "{results:?}");
    }
}

#[tokio::test]
async fn a_thousand_loopback_targets_all_reply() {
    let mode = detect_mode();
    announce(&mode);
    let hosts: Vec<IpAddr> = bench_addresses(1_000)
        .into_iter()
        .map(|ip| match ip {
            // Our own /16, so this test and a concurrent bench never share addresses.
            IpAddr::V4(v4) => IpAddr::from([127, 22, v4.octets()[2], v4.octets()[3]]),
            v6 => v6,
        })
        .collect();
    let (replies, _) = sweep_once(&hosts, mode, Duration::from_secs(2)).await;
    assert_eq!(replies, 1_000);
}

#[tokio::test]
async fn an_unresolvable_name_fails_every_sweep_and_others_carry_on() {
    // An invalid hostname is refused by the resolver library before any DNS query leaves.
    let targets = vec![
        target(0, "bad_host!.invalid", ProbeSpec::Icmp, 22),
        target(1, "127.0.0.1", ProbeSpec::Icmp, 22),
    ];
    let (_s, rx) = start(targets, quick(Some(2), 1_000), detect_mode());
    let sweeps = sweeps(&drain(rx).await);
    assert_eq!(sweeps.len(), 2);
    for (results, stats) in &sweeps {
        assert_eq!((stats.sent, stats.replies), (2, 1));
        let bad = results.iter().find(|r| r.device == 0).unwrap();
        match &bad.outcome {
            ProbeOutcome::Failed { reason } => {
                assert!(
                    reason.contains("cannot resolve bad_host!.invalid"),
                    "{reason}"
                )
            }
            other => panic!("expected Failed, got {other:?}"),
        }
        assert!(is_reply(results.iter().find(|r| r.device == 1).unwrap()));
    }
}

/// A listener on a fixed loopback address and port that the test can close and reopen.
fn listen(addr: SocketAddr) -> tokio::task::JoinHandle<()> {
    let socket = TcpSocket::new_v4().unwrap();
    // Accepted probe connections leave TIME_WAIT on this port; reuse lets us reopen it.
    socket.set_reuseaddr(true).unwrap();
    socket.bind(addr).unwrap();
    let listener: TcpListener = socket.listen(64).unwrap();
    tokio::spawn(async move {
        while let Ok((conn, _)) = listener.accept().await {
            drop(conn);
        }
    })
}

/// `tcp:PORT` is a service check: a closed listener (the kernel answers RST) is down with
/// "refused", and the device is up again once the listener is back.
#[tokio::test]
async fn a_tcp_service_goes_down_when_its_listener_closes_and_up_when_it_reopens() {
    let ip: IpAddr = "127.20.98.1".parse().unwrap();
    // Find a free port on our address, then release it for the first `listen`.
    let port = std::net::TcpListener::bind((ip, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = SocketAddr::new(ip, port);
    let mut server = Some(listen(addr));

    let targets = vec![target(0, "127.20.98.1", ProbeSpec::Tcp(port), 22)];
    let (_s, mut rx) = start(targets, quick(None, 500), detect_mode());
    let mut seen = Vec::new();
    let script = async {
        // Phase 0: up → close the listener. 1: refused → reopen. 2: up again → done.
        let mut phase = 0;
        while let Some(event) = rx.recv().await {
            let Event::Probes(results) = event else {
                continue;
            };
            for r in results {
                seen.push(r.outcome.clone());
                match (phase, &r.outcome) {
                    (0, ProbeOutcome::Reply { .. }) => {
                        let task = server.take().unwrap();
                        task.abort();
                        // The listener closes when its task is gone, not when abort returns.
                        let _ = task.await;
                        phase = 1;
                    }
                    (1, ProbeOutcome::Failed { reason }) => {
                        assert_eq!(reason, &format!("tcp:{port} refused"));
                        server = Some(listen(addr));
                        phase = 2;
                    }
                    (2, ProbeOutcome::Reply { .. }) => return,
                    (_, ProbeOutcome::Lost) => panic!("loopback never times out here: {seen:?}"),
                    _ => {}
                }
            }
        }
        panic!("sweeper ended early: {seen:?}");
    };
    tokio::time::timeout(GUARD, script)
        .await
        .expect("no up/down/up sequence");
}

/// A listener whose accept queue is full drops new SYNs: to a connecting client that is
/// exactly a silent host, the honest way to make a loopback device "go dark".
fn silent_listener(addr: SocketAddr) -> (socket2::Socket, std::net::TcpStream) {
    use socket2::{Domain, Socket, Type};
    let s = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    s.bind(&addr.into()).unwrap();
    s.listen(0).unwrap(); // backlog 0: the kernel queues one connection, then drops SYNs
    let port_addr = s.local_addr().unwrap().as_socket().unwrap();
    let filler = std::net::TcpStream::connect_timeout(&port_addr, Duration::from_secs(2)).unwrap();
    (s, filler)
}

/// In the ICMP fallback, a connect to the SSH port is a *host* check: a refusal (RST) proves
/// the host is up, silence (SYN dropped, timeout) means it is not.
#[tokio::test]
async fn fallback_counts_a_refusal_as_up_and_silence_as_lost() {
    let (silent, _filler) = silent_listener("127.20.97.2:0".parse().unwrap());
    let silent_port = silent.local_addr().unwrap().as_socket().unwrap().port();
    // Nothing listens on 127.20.97.1 at that port: the kernel answers RST.
    let targets = vec![
        target(0, "127.20.97.1", ProbeSpec::Icmp, silent_port),
        target(1, "127.20.97.2", ProbeSpec::Icmp, silent_port),
    ];
    let mode = ProbeMode::TcpFallback {
        reason: "forced by test".into(),
        enable: "n/a".into(),
    };
    let (_s, rx) = start(targets, quick(Some(2), 200), mode);
    let sweeps = sweeps(&drain(rx).await);
    assert_eq!(sweeps.len(), 2);
    for (results, stats) in &sweeps {
        assert_eq!((stats.sent, stats.replies), (2, 1), "{results:?}");
        let by = |d| &results.iter().find(|r| r.device == d).unwrap().outcome;
        assert!(matches!(by(0), ProbeOutcome::Reply { .. }), "{:?}", by(0));
        assert_eq!(by(1), &ProbeOutcome::Lost);
    }
}

/// A device with its own `probe_interval` is probed that often: with a 50 ms tick, one
/// device every tick and one every third, six ticks probe them 6 and 2 times.
#[tokio::test]
async fn per_device_intervals_are_honoured() {
    // Nothing listens: the kernel answers RST, which the fallback counts as up.
    let mut slow = target(1, "127.20.95.2", ProbeSpec::Icmp, 9);
    slow.interval = Some(Duration::from_millis(150));
    let targets = vec![target(0, "127.20.95.1", ProbeSpec::Icmp, 9), slow];
    let mode = ProbeMode::TcpFallback {
        reason: "forced by test".into(),
        enable: "n/a".into(),
    };
    let (_s, rx) = start(targets, quick(Some(6), 200), mode);
    let sweeps = sweeps(&drain(rx).await);
    let probed = |d: usize| {
        (sweeps.iter())
            .filter(|(results, _)| results.iter().any(|r| r.device == d))
            .count()
    };
    assert_eq!((probed(0), probed(1)), (6, 2));
    let sent: Vec<usize> = sweeps.iter().map(|(_, stats)| stats.sent).collect();
    assert_eq!(sent, [2, 1, 1, 2, 1, 1]);
}

/// Sweeps never overlap, even when one takes longer than the interval: each sweep reports
/// exactly one result per target before its SweepDone, and sweeps are numbered 1, 2, 3.
#[tokio::test]
async fn slow_sweeps_do_not_overlap() {
    let (silent, _filler) = silent_listener("127.20.96.1:0".parse().unwrap());
    let port = silent.local_addr().unwrap().as_socket().unwrap().port();
    let targets = vec![
        target(0, "127.20.96.1", ProbeSpec::Tcp(port), 22),
        target(1, "127.0.0.1", ProbeSpec::Icmp, 22),
    ];
    // Interval 50 ms, but the silent target holds every sweep for the 150 ms timeout.
    let (_s, rx) = start(targets, quick(Some(3), 150), detect_mode());
    let sweeps = sweeps(&drain(rx).await);
    let numbers: Vec<u64> = sweeps.iter().map(|(_, s)| s.sweep).collect();
    assert_eq!(numbers, [1, 2, 3]);
    for (results, _) in &sweeps {
        let mut devices: Vec<_> = results.iter().map(|r| r.device).collect();
        devices.sort_unstable();
        assert_eq!(devices, [0, 1]);
        let silent = results.iter().find(|r| r.device == 0).unwrap();
        assert_eq!(silent.outcome, ProbeOutcome::Lost);
    }
}

/// Dropping the handle stops an endless sweeper, which closes the channel.
#[tokio::test]
async fn dropping_the_sweeper_stops_it() {
    let targets = vec![target(0, "127.0.0.1", ProbeSpec::Icmp, 22)];
    let (sweeper, mut rx) = start(targets, quick(None, 500), detect_mode());
    // Wait for one full sweep so the task is in its loop, then drop the handle.
    let first = async {
        while let Some(e) = rx.recv().await {
            if matches!(e, Event::SweepDone(_)) {
                return;
            }
        }
    };
    tokio::time::timeout(GUARD, first).await.unwrap();
    drop(sweeper);
    let rest = tokio::time::timeout(GUARD, async { while rx.recv().await.is_some() {} });
    rest.await
        .expect("channel still open after the sweeper was dropped");
}

/// Paced sweeps still probe every target once (the schedule itself is unit-tested).
#[tokio::test]
async fn a_paced_sweep_reaches_every_target() {
    let mode = detect_mode();
    announce(&mode);
    let targets = (0..20)
        .map(|i| target(i, &format!("127.20.95.{}", i + 1), ProbeSpec::Icmp, 22))
        .collect();
    let cfg = SweepConfig {
        rate: Rate::PerSecond(2_000),
        ..quick(Some(1), 1_000)
    };
    let (_s, rx) = start(targets, cfg, mode);
    let sweeps = sweeps(&drain(rx).await);
    let (results, stats) = &sweeps[0];
    assert_eq!((stats.sent, stats.replies), (20, 20), "{results:?}");
}

/// DGRAM "ping sockets" (no privilege, `ping_group_range`), when this machine allows them.
/// As root with the default range the kernel refuses them; run the suite in a fresh network
/// namespace with `sysctl -w net.ipv4.ping_group_range="0 2147483647"` to exercise this.
#[tokio::test]
async fn datagram_ping_sockets_work_when_permitted() {
    use socket2::{Domain, Protocol, Socket, Type};
    if Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::ICMPV4)).is_err() {
        eprintln!("skipped: ICMP ping sockets not permitted here (net.ipv4.ping_group_range)");
        return;
    }
    let targets = vec![
        target(0, "127.0.0.1", ProbeSpec::Icmp, 22),
        target(1, "127.20.94.1", ProbeSpec::Icmp, 22),
        target(2, "::1", ProbeSpec::Icmp, 22),
    ];
    let mode = ProbeMode::Icmp(fleetdash::fleet::IcmpSocket::Datagram);
    let (_s, rx) = start(targets, quick(Some(2), 1_000), mode);
    for (results, stats) in sweeps(&drain(rx).await) {
        assert_eq!((stats.sent, stats.replies), (3, 3), "{results:?}");
    }
}

/// ICMP silence is `Lost`. Every 127.x address answers on the host's loopback, so this runs
/// `silent_icmp_inside_namespace` in a fresh network namespace (its own loopback, nothing
/// leaves it) where the kernel ignores echo requests. Needs root and `unshare`/`ip`.
#[test]
fn an_icmp_host_that_never_answers_is_lost() {
    let exe = std::env::current_exe().unwrap();
    let script = "ip link set lo up && sysctl -qw net.ipv4.icmp_echo_ignore_all=1 && \
                  exec \"$0\" --exact silent_icmp_inside_namespace --ignored --nocapture";
    let out = std::process::Command::new("unshare")
        .args(["-n", "sh", "-c", script])
        .arg(&exe)
        .output();
    match out {
        Ok(out) if out.status.success() => {
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(text.contains("1 passed"), "{text}");
        }
        Ok(out) if String::from_utf8_lossy(&out.stderr).contains("unshare failed") => {
            eprintln!("skipped: cannot create a network namespace here (needs root)");
        }
        Ok(out) => panic!(
            "inner test failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => eprintln!("skipped: cannot run unshare: {e}"),
    }
}

#[tokio::test]
#[ignore = "run by an_icmp_host_that_never_answers_is_lost inside a network namespace"]
async fn silent_icmp_inside_namespace() {
    let ignoring = std::fs::read_to_string("/proc/sys/net/ipv4/icmp_echo_ignore_all").unwrap();
    assert_eq!(
        ignoring.trim(),
        "1",
        "only meaningful inside the test's namespace"
    );
    let mode = detect_mode();
    assert!(matches!(mode, ProbeMode::Icmp(_)), "{mode:?}");
    let targets = vec![
        target(0, "127.0.0.1", ProbeSpec::Icmp, 22),
        target(1, "127.20.93.1", ProbeSpec::Icmp, 22),
    ];
    let (_s, rx) = start(targets, quick(Some(2), 200), mode);
    for (results, stats) in sweeps(&drain(rx).await) {
        assert_eq!((stats.sent, stats.replies), (2, 0));
        assert!(
            results.iter().all(|r| r.outcome == ProbeOutcome::Lost),
            "{results:?}"
        );
    }
}
