//! `fleetdash bench`: the numbers the README quotes, measured against their anchors in the
//! same run. Sweep: 10,000 loopback addresses with `--rate 0` against `fping` on the same
//! addresses. Render: one frame of 10,000 devices at 250×80 against the 2 ms budget.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use color_eyre::Result;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;

use crate::base::stdout;
use crate::fleet::{Event, FleetConfig, ProbeOutcome, ProbeResult, State};
use crate::inventory::{Device, Inventory, ProbeSpec};
use crate::ui::{App, SortKey, view};

/// Frame budget for 10,000 devices at 250×80.
const FRAME_BUDGET: Duration = Duration::from_millis(2);

/// `fleetdash bench --devices N`.
pub async fn run(devices: usize) -> Result<ExitCode> {
    // The sweep first: its peak memory is this process's high-water mark at that point.
    let sweep = crate::probe::bench_sweep(devices).await;
    stdout::println(&sweep.to_string());
    let render = render_bench(devices, 250, 80, 200);
    stdout::println(&render.to_string());
    Ok(ExitCode::SUCCESS)
}

pub struct RenderBench {
    pub devices: usize,
    pub size: (u16, u16),
    pub frames: u32,
    pub per_frame: Duration,
    pub refresh: Duration,
}

impl std::fmt::Display for RenderBench {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ms = self.per_frame.as_secs_f64() * 1e3;
        let budget = FRAME_BUDGET.as_secs_f64() * 1e3;
        writeln!(
            f,
            "render: {} devices at {}×{}: {ms:.3} ms/frame over {} frames (budget {budget} ms, ratio {:.2}) {}",
            self.devices,
            self.size.0,
            self.size.1,
            self.frames,
            ms / budget,
            if self.per_frame <= FRAME_BUDGET {
                "OK"
            } else {
                "OVER BUDGET"
            }
        )?;
        write!(
            f,
            "render: re-sorting {} devices by state after a batch of events: {:.3} ms",
            self.devices,
            self.refresh.as_secs_f64() * 1e3
        )
    }
}

/// Renders `frames` frames of a fleet of `n` devices (a third down, the rest up with RTT
/// history) and reports the mean time per frame, diffing included.
pub fn render_bench(n: usize, width: u16, height: u16, frames: u32) -> RenderBench {
    let t0 = Instant::now();
    let mut state = State::new(
        Arc::new(synthetic_inventory(n)),
        FleetConfig::default(),
        (t0, SystemTime::now()),
    );
    for round in 0..20u64 {
        for device in 0..n {
            let outcome = if device % 3 == 0 && round > 10 {
                ProbeOutcome::Lost
            } else {
                ProbeOutcome::Reply {
                    rtt: Duration::from_micros(100 + (device as u64 * 37 + round * 11) % 900),
                }
            };
            let at = t0 + Duration::from_secs(round);
            state.apply(Event::Probe(ProbeResult {
                device,
                at,
                outcome,
            }));
        }
    }
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test backend");
    let mut app = App::new("bench", Rect::new(0, 0, width, height));
    app.refresh(&state);
    let now = t0 + Duration::from_secs(30);
    let start = Instant::now();
    for i in 0..frames {
        // Move the focus so each frame differs, as it would while someone browses.
        app.focused = Some(app.visible[i as usize % app.visible.len().min(200)]);
        terminal
            .draw(|frame| view(frame, &state, &app, now))
            .expect("draw");
    }
    let per_frame = start.elapsed() / frames;

    app.sort = SortKey::State;
    let start = Instant::now();
    app.set_filter("x", &state);
    app.set_filter("", &state);
    let refresh = start.elapsed() / 2;
    RenderBench {
        devices: n,
        size: (width, height),
        frames,
        per_frame,
        refresh,
    }
}

fn synthetic_inventory(n: usize) -> Inventory {
    let devices = (0..n)
        .map(|i| Device {
            name: format!("site{:02}-sw{:04}", i / 500, i),
            host: format!("127.21.{}.{}", i / 250, i % 250 + 1),
            port: 22,
            port_set: false,
            platform: "cisco_ios".into(),
            username: None,
            password_env: None,
            key_file: None,
            agent: false,
            key_passphrase_env: None,
            legacy_ssh: false,
            timing: Default::default(),
            groups: Default::default(),
            all_groups: Default::default(),
            tags: Default::default(),
            probe: ProbeSpec::Icmp,
            jump: Vec::new(),
        })
        .collect();
    Inventory {
        source: "bench".into(),
        devices,
        groups: vec![],
        ..Inventory::default()
    }
}
