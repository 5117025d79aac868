//! Dashboard benchmarks at scale: `cargo bench --bench dashboard -- WHAT [N]` (release).
//! Not timed tests: they print numbers (and ratios to their budget), they assert nothing.
//!
//! - `memory [N]`: N devices (10,000) for an hour of 1 s sweeps through the reducer with an
//!   accelerated clock (every 97th device flapping, every 13th losing one probe in five):
//!   RSS every 10 simulated minutes, budget 100 MB and flat.
//! - `keys [N]`: the real app loop (`ui::drive`) over the real engine sweeping N loopback
//!   addresses by ICMP every second, a key (`l`) every 50 ms: time from the key to the end
//!   of the next frame, budget 16 ms. Drawn into a `TestBackend`, so it is the loop and the
//!   view, not a terminal's own time.
//! - `down [N]`: N devices where one (in the middle of the sweep order) is a TCP service on
//!   a listener of ours, `probe: tcp:PORT`; the rest are loopback addresses probed by ICMP.
//!   Close the listener: time until a frame shows it down, next to interval + timeout. Five
//!   rounds (it comes back up in between).
//! - `cpu [N]`: the dashboard's own CPU at rest, without the sweeper's sockets: the real app
//!   loop over the real engine, fed through the engine's event channel with the results a
//!   sweep of N devices gives (N a second, at most 2,000 a second: the default `--rate`),
//!   drawn into a `TestBackend` of 250×80; after the first sweep, 10 s on the tiles, then
//!   10 s in the dense view.
//!   CPU of the loop's thread and of the process, as a share of one core, and frames a
//!   second. N: 1,000 and 10,000 unless given.
//!
//! ICMP needs root or `net.ipv4.ping_group_range`; loopback addresses 127.24.0.0/14 answer
//! without anything listening.

use std::io;
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
use fleetdash::engine::{Engine, EngineConfig, Probes};
use fleetdash::fleet::{Event, FleetConfig, ProbeOutcome, ProbeResult, State, SweepStats};
use fleetdash::inventory::Inventory;
use fleetdash::probe::{Rate, SweepConfig};
use fleetdash::ui::{self, Screen};
use ratatui::Frame;
use ratatui::backend::TestBackend;
use ratatui::layout::Size;
use tokio::sync::{mpsc, watch};

// As the binary: the benches measure what a user runs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    // The dashboard's own runtime: `keys`, `down` and `cpu` run its loop.
    let runtime = fleetdash::runtime(None).expect("the runtime starts");
    runtime.block_on(bench());
}

async fn bench() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let what = args.first().map_or("all", String::as_str);
    let n = |default| {
        args.iter()
            .find_map(|a| a.parse::<usize>().ok())
            .unwrap_or(default)
    };
    match what {
        "memory" => memory(n(10_000)),
        "keys" => keys(n(10_000)).await,
        "down" => down(n(10_000)).await,
        "cpu" => match args.iter().any(|a| a.parse::<usize>().is_ok()) {
            true => cpu(n(10_000)).await,
            false => {
                cpu(1_000).await;
                cpu(10_000).await;
            }
        },
        _ => {
            memory(n(10_000));
            keys(n(10_000)).await;
            for n in [1_000, 10_000] {
                down(n).await;
            }
            cpu(1_000).await;
            cpu(10_000).await;
        }
    }
}

/// `n` devices on 127.24.0.0/14 by ICMP; `tcp` names one device (index, port) probed by TCP.
fn inventory(n: usize, tcp: Option<(usize, u16)>) -> Inventory {
    let mut yaml = String::from("groups:\n  core: {}\n  access: {}\ndevices:\n");
    for i in 0..n {
        let ip = address(i);
        let group = if i % 10 == 0 { "core" } else { "access" };
        let probe = match tcp {
            Some((at, port)) if at == i => format!(", probe: 'tcp:{port}'"),
            _ => String::new(),
        };
        yaml.push_str(&format!(
            "  - {{name: d{i:05}, host: {ip}, groups: [{group}], tags: {{site: s{}}}{probe}}}\n",
            i % 40
        ));
    }
    Inventory::from_yaml(&yaml, "bench").expect("the generated inventory loads")
}

fn address(i: usize) -> Ipv4Addr {
    let base = u32::from(Ipv4Addr::new(127, 24, 0, 1));
    Ipv4Addr::from(base + i as u32)
}

fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

fn memory(n: usize) {
    let start_rss = rss_mib();
    let mut state = State::new(
        Arc::new(inventory(n, None)),
        FleetConfig::default(),
        (Instant::now(), std::time::SystemTime::now()),
    );
    let t0 = state.origin.0;
    let loaded = rss_mib();
    println!(
        "memory: {n} devices, 3,600 sweeps of 1 s (accelerated clock); RSS {start_rss:.1} MiB \
         at start, {loaded:.1} MiB with the inventory and state"
    );
    let wall = Instant::now();
    let mut samples = Vec::new();
    for sweep in 0..3_600u64 {
        let at = t0 + Duration::from_secs(sweep);
        for device in 0..n {
            let lost =
                (device % 97 == 3 && (sweep / 30) % 2 == 1) || (device % 13 == 0 && sweep % 5 == 0);
            let outcome = match lost {
                true => ProbeOutcome::Lost,
                false => ProbeOutcome::Reply {
                    rtt: Duration::from_micros(100 + (device as u64 * 7 + sweep * 13) % 900),
                },
            };
            state.apply(Event::Probe(ProbeResult {
                device,
                at,
                outcome,
            }));
        }
        state.apply(Event::SweepDone(SweepStats {
            sweep: sweep + 1,
            sent: n,
            replies: n,
            elapsed: Duration::from_millis(400),
            pace: Some(2_000),
        }));
        if (sweep + 1) % 600 == 0 {
            samples.push(rss_mib());
            println!(
                "  after {:>2} simulated minutes: RSS {:.1} MiB",
                (sweep + 1) / 60,
                samples.last().unwrap()
            );
        }
    }
    let (min, max) = samples
        .iter()
        .fold((f64::MAX, 0f64), |(lo, hi), &s| (lo.min(s), hi.max(s)));
    println!(
        "memory: {:.1} M probe results folded in {:.1} s; RSS {min:.1}–{max:.1} MiB over the hour \
         (growth after the first 10 minutes: {:.1} MiB); budget 100 MB: ratio {:.2}",
        (n as f64 * 3_600.0) / 1e6,
        wall.elapsed().as_secs_f64(),
        max - samples[0],
        max * 1.048_576 / 100.0,
    );
}

/// A `TestBackend` that tells when each frame ended.
struct Timed {
    term: ratatui::Terminal<TestBackend>,
    drawn: watch::Sender<(u64, Instant, String)>,
    /// The summary bar's text is enough to see a device go down.
    frames: u64,
}

impl Screen for Timed {
    fn draw(&mut self, render: impl FnOnce(&mut Frame)) -> io::Result<()> {
        Screen::draw(&mut self.term, render)?;
        let buffer = self.term.backend().buffer();
        let width = usize::from(buffer.area.width);
        let top: String = buffer.content[..width].iter().map(|c| c.symbol()).collect();
        self.frames += 1;
        self.drawn.send_replace((self.frames, Instant::now(), top));
        Ok(())
    }

    fn size(&self) -> io::Result<Size> {
        Screen::size(&self.term)
    }

    fn suspend(&mut self) -> io::Result<()> {
        Ok(())
    }

    fn resume(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn engine(inventory: Inventory) -> Engine {
    let config = EngineConfig {
        fleet: FleetConfig::default(),
        probes: Some(Probes {
            sweep: SweepConfig {
                interval: Duration::from_secs(1),
                timeout: Duration::from_secs(1),
                rate: Rate::Spread,
                count: None,
            },
            only: None,
            via_bastion: None,
        }),
        ..EngineConfig::default()
    };
    Engine::builder(Arc::new(inventory), config).start()
}

fn options() -> ui::Options {
    ui::Options {
        title: "bench".into(),
        interval: Duration::from_secs(1),
        read_only: false,
        utc: true,
    }
}

type Keys = mpsc::UnboundedSender<io::Result<TermEvent>>;

fn key_stream(
    rx: mpsc::UnboundedReceiver<io::Result<TermEvent>>,
) -> impl futures::Stream<Item = io::Result<TermEvent>> + Unpin {
    Box::pin(futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|key| (key, rx))
    }))
}

fn press(keys: &Keys, c: char) {
    let key = KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE);
    let _ = keys.send(Ok(TermEvent::Key(key)));
}

async fn wait_frame(
    frames: &mut watch::Receiver<(u64, Instant, String)>,
    ok: impl Fn(&(u64, Instant, String)) -> bool,
) -> (u64, Instant, String) {
    let seen = tokio::time::timeout(Duration::from_secs(60), frames.wait_for(|f| ok(f))).await;
    let found = seen.ok().and_then(Result::ok).map(|frame| frame.clone());
    match found {
        Some(frame) => frame,
        None => panic!("no such frame; the last: {}", frames.borrow().2),
    }
}

fn percentiles(mut ms: Vec<f64>) -> String {
    ms.sort_by(f64::total_cmp);
    let at = |p: f64| ms[((ms.len() - 1) as f64 * p).round() as usize];
    format!(
        "median {:.2} ms, p95 {:.2} ms, max {:.2} ms",
        at(0.5),
        at(0.95),
        at(1.0)
    )
}

async fn keys(n: usize) {
    let mut engine = engine(inventory(n, None));
    let (drawn, mut frames) = watch::channel((0, Instant::now(), String::new()));
    let mut screen = Timed {
        term: ratatui::Terminal::new(TestBackend::new(250, 80)).unwrap(),
        drawn,
        frames: 0,
    };
    let (keys, rx) = mpsc::unbounded_channel();
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let script = {
        let latencies = latencies.clone();
        async move {
            let up = format!("▲ {n} up");
            wait_frame(&mut frames, |f| f.2.contains(&up)).await;
            for round in 0..200 {
                // Half the presses in the dense view, half on the tiles.
                if round == 100 {
                    press(&keys, 'z');
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                let before = frames.borrow().0;
                let sent = Instant::now();
                press(&keys, if round % 20 < 10 { 'l' } else { 'h' });
                let (_, at, _) = wait_frame(&mut frames, |f| f.0 > before).await;
                latencies
                    .lock()
                    .unwrap()
                    .push((at - sent).as_secs_f64() * 1e3);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            press(&keys, 'q');
        }
    };
    let (ended, ()) = tokio::join!(
        ui::drive(&mut engine, options(), &mut screen, key_stream(rx), None),
        script
    );
    ended.expect("the loop ends cleanly");
    let ms = latencies.lock().unwrap().clone();
    let worst = ms.iter().copied().fold(0.0, f64::max);
    println!(
        "keys: {n} devices swept every second, 250×80: key press to the end of the next frame \
         over {} presses: {}; budget 16 ms: ratio {:.2} (worst)",
        ms.len(),
        percentiles(ms),
        worst / 16.0
    );
}

async fn down(n: usize) {
    let listener = std::net::TcpListener::bind((address(n / 2), 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut listener = Some(listener);
    let mut engine = engine(inventory(n, Some((n / 2, port))));
    let (drawn, mut frames) = watch::channel((0, Instant::now(), String::new()));
    let mut screen = Timed {
        term: ratatui::Terminal::new(TestBackend::new(250, 80)).unwrap(),
        drawn,
        frames: 0,
    };
    let (keys, rx) = mpsc::unbounded_channel();
    let script = async move {
        let up = format!("▲ {n} up");
        let mut seconds = Vec::new();
        for _ in 0..5 {
            wait_frame(&mut frames, |f| f.2.contains(&up)).await;
            // Let a sweep or two pass, so the close lands anywhere in a sweep.
            tokio::time::sleep(Duration::from_millis(1_300)).await;
            let closed = Instant::now();
            drop(listener.take());
            let (_, at, _) = wait_frame(&mut frames, |f| f.2.contains("▼ 1 down")).await;
            seconds.push((at - closed).as_secs_f64());
            listener = Some(std::net::TcpListener::bind((address(n / 2), port)).unwrap());
        }
        press(&keys, 'q');
        seconds
    };
    let (ended, seconds) = tokio::join!(
        ui::drive(&mut engine, options(), &mut screen, key_stream(rx), None),
        script
    );
    ended.expect("the loop ends cleanly");
    let (lo, hi) = (seconds.iter()).fold((f64::MAX, 0f64), |(lo, hi), &s| (lo.min(s), hi.max(s)));
    let sweep = engine
        .state
        .last_sweep
        .as_ref()
        .map_or(0.0, |s| s.elapsed.as_secs_f64());
    println!(
        "down: {n} devices, 1 s interval, 1 s timeout, down after 2 losses: listener closed → \
         tile down in {lo:.2}–{hi:.2} s over {} rounds (a sweep takes {sweep:.2} s; \
         interval + timeout = 2 s; 2 × sweep period + timeout ≈ the expected worst case)",
        seconds.len()
    );
}

/// Nanoseconds on a CPU: of the calling thread, or (`None`) of every thread of the process.
fn cpu_ns(thread: bool) -> u64 {
    let ran = |path: &str| -> u64 {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        text.split_whitespace()
            .next()
            .and_then(|ns| ns.parse().ok())
            .unwrap_or(0)
    };
    if thread {
        return ran("/proc/thread-self/schedstat");
    }
    let tasks = std::fs::read_dir("/proc/self/task").expect("/proc/self/task");
    tasks
        .flatten()
        .map(|t| ran(&format!("{}/schedstat", t.path().display())))
        .sum()
}

/// Feeds `n` devices' probe results into the engine as a sweep at the default rate gives
/// them: spread over each 10 ms, every RTT a little different each time (so tiles change).
async fn feed(tx: mpsc::Sender<Event>, n: usize) {
    use fleetdash::fleet::IcmpSocket;
    use fleetdash::probe::ProbeMode;
    let per_second = n.min(2_000);
    let _ = tx.send(Event::Mode(ProbeMode::Icmp(IcmpSocket::Raw))).await;
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    let (mut device, mut sweep, mut started) = (0, 0u64, Instant::now());
    loop {
        tick.tick().await;
        for _ in 0..per_second / 100 {
            let rtt = Duration::from_micros(20 + (device as u64 * 7 + sweep * 13) % 900);
            let result = ProbeResult {
                device,
                at: Instant::now(),
                outcome: ProbeOutcome::Reply { rtt },
            };
            if tx.send(Event::Probe(result)).await.is_err() {
                return;
            }
            device += 1;
            if device == n {
                sweep += 1;
                let stats = SweepStats {
                    sweep,
                    sent: n,
                    replies: n,
                    elapsed: started.elapsed(),
                    pace: Some(2_000),
                };
                let _ = tx.send(Event::SweepDone(stats)).await;
                (device, started) = (0, Instant::now());
            }
        }
    }
}

async fn cpu(n: usize) {
    const PHASE: Duration = Duration::from_secs(10);
    // At rest: after the first sweep, whose devices each go from unknown to up (10,000 at
    // 2,000/s take 5 s), and after the `z` frame.
    let warm_up = Duration::from_secs((n / n.min(2_000)) as u64 + 2);
    let builder = Engine::builder(Arc::new(inventory(n, None)), EngineConfig::default());
    let feeder = tokio::spawn(feed(builder.sender(), n));
    let mut engine = builder.start();
    let (drawn, frames) = watch::channel((0, Instant::now(), String::new()));
    let mut screen = Timed {
        term: ratatui::Terminal::new(TestBackend::new(250, 80)).unwrap(),
        drawn,
        frames: 0,
    };
    let (keys, rx) = mpsc::unbounded_channel();
    let script = async move {
        let mut lines = Vec::new();
        for (what, key) in [("tiles", None), ("dense", Some('z'))] {
            if let Some(key) = key {
                press(&keys, key);
            }
            tokio::time::sleep(warm_up).await;
            let (ui0, all0, f0, t0) = (
                cpu_ns(true),
                cpu_ns(false),
                frames.borrow().0,
                Instant::now(),
            );
            tokio::time::sleep(PHASE).await;
            let (ui1, all1, f1) = (cpu_ns(true), cpu_ns(false), frames.borrow().0);
            let wall = t0.elapsed().as_secs_f64();
            let share = |ns: u64| ns as f64 / 1e9 / wall * 100.0;
            lines.push(format!(
                "  {what}: loop thread {:.2} % of a core, process {:.2} % (feeder included); \
                 {:.1} frames/s",
                share(ui1 - ui0),
                share(all1 - all0),
                (f1 - f0) as f64 / wall,
            ));
        }
        press(&keys, 'q');
        lines
    };
    let (ended, lines) = tokio::join!(
        ui::drive(&mut engine, options(), &mut screen, key_stream(rx), None),
        script
    );
    ended.expect("the loop ends cleanly");
    feeder.abort();
    let per_second = n.min(2_000);
    println!(
        "cpu: {n} devices, {per_second} probe results/s fed through the engine's channel (no \
         sockets), 250×80 TestBackend, {} s a phase:",
        PHASE.as_secs()
    );
    for line in lines {
        println!("{line}");
    }
}
