//! The exposition text, from a fleet state driven through the tap, and the endpoint over
//! loopback.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::*;
use crate::base::text::hostile::{SAMPLES, assert_inert};
use crate::exec::{Command, ExecEvent, Link};
use crate::fleet::{FleetConfig, ProbeOutcome, ProbeResult, State, Tap};
use crate::ssh::{ExecError, Output, Stage};

fn config(vantage: Option<&str>) -> MetricsConfig {
    MetricsConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        tags: vec!["site".into()],
        vantage: vantage.map(str::to_string),
        linger: Duration::ZERO,
    }
}

fn inventory(names: &[&str]) -> Inventory {
    let mut inv = Inventory::from_yaml(
        "devices:\n  - {name: a, host: 127.0.0.1, tags: {site: par}}\n",
        "t",
    )
    .unwrap();
    let template = inv.devices[0].clone();
    for (i, name) in names.iter().enumerate() {
        let mut d = template.clone();
        d.name = name.to_string();
        d.host = format!("127.0.0.{}", i + 2);
        d.tags = Default::default();
        inv.devices.push(d);
    }
    inv
}

fn probe(device: usize, outcome: ProbeOutcome) -> Event {
    Event::Probe(ProbeResult {
        device,
        at: Instant::now(),
        outcome,
    })
}

/// Feeds `events` through the tap as the engine does (before folding), then one `folded`.
fn drive(tap: &mut dyn Tap, state: &mut State, events: Vec<Event>) {
    for event in events {
        tap.event(&event, state);
        state.apply(event);
    }
    tap.folded(state);
}

fn sample<'t>(text: &'t str, prefix: &str) -> Option<&'t str> {
    text.lines()
        .find(|l| l.starts_with(prefix))
        .map(|l| l.rsplit(' ').next().unwrap())
}

/// Each line is a comment, a sample `name{labels} value`, or the closing `# EOF`.
fn assert_well_formed(text: &str) {
    assert!(text.ends_with("# EOF\n"), "{text}");
    for line in text.lines() {
        let ok = line.starts_with("# ") || line.starts_with("fleetdash_");
        assert!(ok, "a line that is not a sample: {line:?}\n{text}");
    }
}

#[tokio::test]
async fn devices_read_up_down_and_absent_while_unknown() {
    let inv = Arc::new(inventory(&["b", "c"]));
    let exporter = Exporter::bind(&config(Some("lab")), &inv).await.unwrap();
    let mut state = State::new(
        inv.clone(),
        FleetConfig::default(),
        (Instant::now(), SystemTime::now()),
    );
    let mut tap = exporter.tap();
    let reply = |ms| ProbeOutcome::Reply {
        rtt: Duration::from_millis(ms),
    };
    drive(
        tap.as_mut(),
        &mut state,
        vec![
            probe(0, reply(3)),
            probe(1, reply(1)),
            probe(1, ProbeOutcome::Lost),
            probe(1, ProbeOutcome::Lost),
        ],
    );
    let text = exporter.encode();
    assert_well_formed(&text);
    let up = |name: &str, site: &str| {
        sample(
            &text,
            &format!("fleetdash_device_up{{name=\"{name}\",vantage=\"lab\",site=\"{site}\"}}"),
        )
    };
    assert_eq!(up("a", "par"), Some("1"));
    assert_eq!(up("b", ""), Some("0"), "down after two losses:\n{text}");
    assert_eq!(up("c", ""), None, "unknown: absent");
    let b = "{name=\"b\",vantage=\"lab\",site=\"\"}";
    assert_eq!(
        sample(&text, &format!("fleetdash_device_flaps_total{b}")),
        Some("1")
    );
    assert_eq!(
        sample(&text, &format!("fleetdash_device_probes_total{b}")),
        Some("3")
    );
    assert_eq!(
        sample(&text, &format!("fleetdash_device_replies_total{b}")),
        Some("1")
    );
    let loss = sample(&text, &format!("fleetdash_device_loss_ratio{b}")).unwrap();
    assert!(
        (loss.parse::<f64>().unwrap() - 2.0 / 3.0).abs() < 1e-9,
        "{loss}"
    );
    let a = "name=\"a\",vantage=\"lab\",site=\"par\"}";
    let bucket = |le: &str| {
        sample(
            &text,
            &format!("fleetdash_device_rtt_seconds_bucket{{le=\"{le}\",{a}"),
        )
    };
    assert_eq!(bucket("0.0025"), Some("0"), "{text}");
    assert_eq!(bucket("0.005"), Some("1"));
    assert_eq!(bucket("+Inf"), Some("1"));
    assert_eq!(sample(&text, "fleetdash_devices{state=\"up\"}"), Some("1"));
    assert_eq!(
        sample(&text, "fleetdash_devices{state=\"unknown\"}"),
        Some("1")
    );
    assert_eq!(sample(&text, "fleetdash_event_queue_depth"), Some("0"));
}

#[tokio::test]
async fn commands_runs_and_breakers_are_counted() {
    let inv = Arc::new(inventory(&["b"]));
    let exporter = Exporter::bind(&config(None), &inv).await.unwrap();
    let mut state = State::new(
        inv.clone(),
        FleetConfig::default(),
        (Instant::now(), SystemTime::now()),
    );
    let mut tap = exporter.tap();
    let text = exporter.encode();
    assert_eq!(
        sample(&text, "fleetdash_commands_total{outcome=\"ok\"}"),
        Some("0")
    );
    assert_eq!(sample(&text, "fleetdash_runs_active"), Some("0"));

    let now = Instant::now();
    let run = Command::Run {
        run: 1,
        devices: vec![0, 1],
        command: "show clock".into(),
    };
    state.record(&run, now);
    tap.command(&run, now, &state);
    assert_eq!(
        sample(&exporter.encode(), "fleetdash_runs_active"),
        Some("1")
    );
    let finished = |device, result| {
        Event::Exec(ExecEvent::Finished {
            run: 1,
            device,
            at: now,
            duration: Duration::from_millis(200),
            result,
        })
    };
    let refused = ExecError {
        stage: Stage::Auth,
        maybe_ran: false,
        reason: "refused".into(),
    };
    drive(
        tap.as_mut(),
        &mut state,
        vec![
            finished(0, Ok(Output::default())),
            finished(1, Err(refused)),
            Event::Exec(ExecEvent::Link {
                device: 1,
                link: Link::CircuitOpen {
                    until: now + Duration::from_secs(30),
                },
            }),
        ],
    );
    let text = exporter.encode();
    assert_well_formed(&text);
    assert_eq!(
        sample(&text, "fleetdash_commands_total{outcome=\"ok\"}"),
        Some("1")
    );
    assert_eq!(
        sample(&text, "fleetdash_commands_total{outcome=\"auth\"}"),
        Some("1")
    );
    assert_eq!(
        sample(&text, "fleetdash_command_duration_seconds_count"),
        Some("2")
    );
    assert_eq!(
        sample(&text, "fleetdash_runs_total{outcome=\"failed\"}"),
        Some("1")
    );
    assert_eq!(
        sample(&text, "fleetdash_runs_total{outcome=\"ok\"}"),
        Some("0")
    );
    assert_eq!(
        sample(&text, "fleetdash_run_duration_seconds_count"),
        Some("1")
    );
    assert_eq!(sample(&text, "fleetdash_runs_active"), Some("0"));
    assert_eq!(
        sample(&text, "fleetdash_circuit_breakers{state=\"open\"}"),
        Some("1")
    );
    assert_eq!(
        sample(&text, "fleetdash_circuit_breakers{state=\"closed\"}"),
        Some("1")
    );
    assert_eq!(
        sample(&text, "fleetdash_device_circuit_open{name=\"b\",site=\"\"}"),
        Some("1")
    );
}

/// Whatever a name or tag holds, each series stays one line, quotes and backslashes are
/// escaped as the format asks, and nothing in the body can drive a terminal.
#[tokio::test]
async fn hostile_names_and_tags_stay_inside_their_label() {
    let mut names: Vec<String> = SAMPLES.iter().map(|s| s.to_string()).collect();
    names.extend([
        "q\"uote".into(),
        "back\\slash\\".into(),
        "x\"} 1\nfleetdash_device_up{name=\"y".into(),
    ]);
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut inv = inventory(&refs);
    for d in &mut inv.devices {
        std::sync::Arc::make_mut(&mut d.tags).insert("site".into(), d.name.clone());
    }
    let inv = Arc::new(inv);
    let exporter = Exporter::bind(&config(Some("v\"\n\u{1b}[2J")), &inv)
        .await
        .unwrap();
    let mut state = State::new(
        inv.clone(),
        FleetConfig::default(),
        (Instant::now(), SystemTime::now()),
    );
    let mut tap = exporter.tap();
    let events = (0..inv.devices.len())
        .map(|d| {
            probe(
                d,
                ProbeOutcome::Reply {
                    rtt: Duration::from_millis(1),
                },
            )
        })
        .collect();
    drive(tap.as_mut(), &mut state, events);
    let text = exporter.encode();
    assert_well_formed(&text);
    assert_inert("metrics", &text);
    let up_lines = text
        .lines()
        .filter(|l| l.starts_with("fleetdash_device_up{"))
        .count();
    assert_eq!(up_lines, inv.devices.len(), "{text}");
    assert!(text.contains(r#"name="q\"uote""#), "{text}");
    assert!(text.contains(r#"name="back\\slash\\""#), "{text}");
    assert!(text.contains(r#"name="rtr\nFORGED LINE""#), "{text}");
}

async fn get(addr: SocketAddr, request: &[u8]) -> String {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(request).await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    String::from_utf8(out).unwrap()
}

#[tokio::test]
async fn the_endpoint_answers_get_metrics_only_and_bounds_the_request() {
    let inv = Arc::new(inventory(&[]));
    let exporter = Exporter::bind(&config(None), &inv).await.unwrap();
    let addr = exporter.addr();
    assert!(addr.ip().is_loopback());
    let ok = get(addr, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(ok.starts_with("HTTP/1.1 200 OK\r\n"), "{ok}");
    assert!(ok.contains(&format!("Content-Type: {}\r\n", http::CONTENT_TYPE)));
    let body = ok.split("\r\n\r\n").nth(1).unwrap();
    assert!(ok.contains(&format!("Content-Length: {}\r\n", body.len())));
    assert!(
        body.contains("fleetdash_devices{state=\"unknown\"} 1"),
        "{body}"
    );
    assert_eq!(exporter.scrapes(), 1);

    // What Prometheus asks for: the same text, gzip-compressed.
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /metrics HTTP/1.1\r\nAccept-Encoding: gzip\r\n\r\n")
        .await
        .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.unwrap();
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let head = String::from_utf8_lossy(&raw[..end]).to_string();
    assert!(head.contains("Content-Encoding: gzip\r\n"), "{head}");
    assert!(
        head.contains(&format!("Content-Length: {}\r\n", raw.len() - end)),
        "{head}"
    );
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&raw[end..]), &mut text)
        .unwrap();
    assert_eq!(text, exporter.encode());

    let nf = get(addr, b"GET / HTTP/1.1\r\n\r\n").await;
    assert!(nf.starts_with("HTTP/1.1 404 "), "{nf}");
    let post = get(
        addr,
        b"POST /metrics HTTP/1.1\r\nContent-Length: 2\r\n\r\nab",
    )
    .await;
    assert!(post.starts_with("HTTP/1.1 404 "), "{post}");
    let big = format!(
        "GET /metrics HTTP/1.1\r\nX: {}\r\n\r\n",
        "a".repeat(http::MAX_HEAD)
    );
    let big = get(addr, big.as_bytes()).await;
    assert!(big.starts_with("HTTP/1.1 431 "), "{big}");
    let garbage = get(addr, b"\x16\x03\x01\x00\xa5\r\n\r\n").await;
    assert!(garbage.starts_with("HTTP/1.1 400 "), "{garbage}");
    assert_eq!(exporter.scrapes(), 2, "only the GET /metrics counted");

    // A client that never finishes its head holds a slot only until the read timeout; the
    // others are still served meanwhile.
    let mut idle = Vec::new();
    for _ in 0..http::MAX_CONNECTIONS - 1 {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET /metr").await.unwrap();
        idle.push(s);
    }
    let ok = get(addr, b"GET /metrics HTTP/1.0\r\n\r\n").await;
    assert!(ok.starts_with("HTTP/1.1 200 OK\r\n"), "{ok}");
}

#[tokio::test]
async fn a_port_in_use_is_one_clear_error() {
    let inv = inventory(&[]);
    let first = Exporter::bind(&config(None), &inv).await.unwrap();
    let taken = MetricsConfig {
        addr: first.addr(),
        ..config(None)
    };
    let err = Exporter::bind(&taken, &inv).await.err().unwrap();
    assert!(
        err.contains("in use") && err.contains(&first.addr().to_string()),
        "{err}"
    );
}

#[test]
fn addresses_default_to_loopback_and_never_look_up_names() {
    assert_eq!(
        parse_addr("9723").unwrap(),
        "127.0.0.1:9723".parse().unwrap()
    );
    assert_eq!(parse_addr("[::1]:9").unwrap(), "[::1]:9".parse().unwrap());
    assert_eq!(
        parse_addr("0.0.0.0:9723").unwrap(),
        "0.0.0.0:9723".parse().unwrap()
    );
    for bad in [
        "localhost:9723",
        "example.com:80",
        "127.0.0.1",
        ":9723",
        "99999",
    ] {
        assert!(parse_addr(bad).is_err(), "{bad}");
    }
}

/// A command that ends waits for a scrape begun after it finished, then goes.
#[tokio::test]
async fn linger_ends_at_the_next_scrape() {
    let inv = inventory(&[]);
    let cfg = MetricsConfig {
        linger: Duration::from_secs(3600),
        ..config(None)
    };
    let exporter = Arc::new(Exporter::bind(&cfg, &inv).await.unwrap());
    // A scrape answered before the command ended does not count.
    get(exporter.addr(), b"GET /metrics HTTP/1.0\r\n\r\n").await;
    let waiting = tokio::spawn({
        let exporter = exporter.clone();
        async move { exporter.linger().await }
    });
    tokio::task::yield_now().await;
    assert!(!waiting.is_finished());
    get(exporter.addr(), b"GET /metrics HTTP/1.0\r\n\r\n").await;
    tokio::time::timeout(Duration::from_secs(60), waiting)
        .await
        .expect("the scrape ends the wait")
        .unwrap();
}

#[tokio::test]
async fn rollout_states_and_sweep_durations_are_exported() {
    use crate::probe::SweepStats;
    use crate::rollout::event::{RolloutEvent, WaveInfo};
    use crate::rollout::report::DeviceState as RolloutDevice;

    let inv = Arc::new(inventory(&["b", "c"]));
    let exporter = Exporter::bind(&config(None), &inv).await.unwrap();
    let mut state = State::new(
        inv.clone(),
        FleetConfig::default(),
        (Instant::now(), SystemTime::now()),
    );
    let mut tap = exporter.tap();
    assert!(
        !exporter.encode().contains("fleetdash_rollout_devices{"),
        "no rollout, no series"
    );
    let device = |device, state| {
        Event::Rollout(RolloutEvent::Device {
            device,
            state,
            reason: None,
        })
    };
    drive(
        tap.as_mut(),
        &mut state,
        vec![
            Event::Rollout(RolloutEvent::Started {
                plan: "p".into(),
                waves: vec![WaveInfo {
                    index: 0,
                    kind: "canary".into(),
                    devices: vec![0, 1, 2],
                }],
                resumed: false,
            }),
            device(0, RolloutDevice::Done),
            device(1, RolloutDevice::Applying),
            Event::SweepDone(SweepStats {
                sweep: 1,
                sent: 3,
                replies: 3,
                elapsed: Duration::from_millis(30),
                pace: None,
            }),
        ],
    );
    let text = exporter.encode();
    let rollout = |s: &str| {
        sample(
            &text,
            &format!("fleetdash_rollout_devices{{state=\"{s}\"}}"),
        )
    };
    assert_eq!(rollout("done"), Some("1"));
    assert_eq!(rollout("applying"), Some("1"));
    assert_eq!(rollout("pending"), Some("1"));
    assert_eq!(rollout("failed"), Some("0"));
    assert_eq!(
        sample(&text, "fleetdash_sweep_duration_seconds_count"),
        Some("1")
    );
    assert_eq!(
        sample(
            &text,
            "fleetdash_sweep_duration_seconds_bucket{le=\"0.05\"}"
        ),
        Some("1")
    );
    assert_eq!(
        sample(
            &text,
            "fleetdash_sweep_duration_seconds_bucket{le=\"0.01\"}"
        ),
        Some("0")
    );
}

/// The queue depth is read at scrape time from the engine's event queue, without keeping
/// the queue open: the stream still ends when its senders go. A sweeper's batch is one
/// message in the queue, and the tap (like the engine's `see`) gets its results one by one.
#[tokio::test]
async fn the_event_queue_depth_is_read_at_scrape_time() {
    use crate::engine::{Engine, EngineConfig};

    let inv = Arc::new(inventory(&[]));
    let exporter = Exporter::bind(&config(None), &inv).await.unwrap();
    let builder = exporter.attach(Engine::builder(inv.clone(), EngineConfig::default()));
    let tx = builder.sender();
    let mut engine = builder.start();
    let Event::Probe(lost) = probe(0, ProbeOutcome::Lost) else {
        unreachable!()
    };
    tx.send(Event::Probes(vec![lost.clone(), lost.clone()]))
        .await
        .unwrap();
    tx.send(Event::Probe(lost)).await.unwrap();
    assert_eq!(
        sample(&exporter.encode(), "fleetdash_event_queue_depth"),
        Some("2")
    );
    let mut seen = Vec::new();
    assert_eq!(engine.drain(|e| seen.push(e.clone())), 2);
    assert!(
        seen.len() == 3 && seen.iter().all(|e| matches!(e, Event::Probe(_))),
        "{seen:?}"
    );
    assert_eq!(
        engine.state.devices[0].probes, 3,
        "the state folded each result"
    );
    let text = exporter.encode();
    assert_eq!(sample(&text, "fleetdash_event_queue_depth"), Some("0"));
    assert_eq!(
        sample(
            &text,
            "fleetdash_device_probes_total{name=\"a\",site=\"par\"}"
        ),
        Some("3"),
        "the tap followed the engine's reducer"
    );
    drop(tx);
    assert_eq!(engine.next_batch(|_| {}).await, None, "the stream ended");
}

/// What other vantage points saw is not exported again: a dashboard that reads Prometheus
/// and is scraped by it would otherwise keep a dead device up through its own echo.
#[tokio::test]
async fn remote_views_are_not_re_exported() {
    use crate::fleet::{RemoteReport, RemoteView};

    let inv = Arc::new(inventory(&["b"]));
    let exporter = Exporter::bind(&config(None), &inv).await.unwrap();
    let mut state = State::new(
        inv.clone(),
        FleetConfig::default(),
        (Instant::now(), SystemTime::now()),
    );
    let mut tap = exporter.tap();
    let up = |vantage: &str| RemoteView {
        vantage: vantage.into(),
        up: true,
    };
    let lost = |d| probe(d, ProbeOutcome::Lost);
    drive(
        tap.as_mut(),
        &mut state,
        vec![
            Event::Remote(RemoteReport::Seen {
                at: Instant::now(),
                views: vec![vec![up("par")], vec![up("par")]],
                unmatched: 0,
            }),
            lost(1),
            lost(1),
            probe(1, ProbeOutcome::Lost),
        ],
    );
    assert_eq!(
        state.devices[0].reach,
        crate::fleet::Reach::Up,
        "the tile: up via par"
    );
    let text = exporter.encode();
    assert_eq!(
        sample(&text, "fleetdash_device_up{name=\"a\""),
        None,
        "{text}"
    );
    assert_eq!(
        sample(&text, "fleetdash_device_up{name=\"b\""),
        Some("0"),
        "{text}"
    );
}
