//! The terminal dashboard: the app loop, and `view`, a pure function of state.
//!
//! The loop owns the terminal and selects over four sources: worker events (drained in
//! batches and folded by the reducer), terminal input, signals (which restore the terminal
//! before the process ends or stops), and a one-second tick that keeps the
//! "down for 2m13s" ages current. It draws only when something changed, at most
//! [`MAX_FPS`] times a second; when nothing happens it sleeps.

mod app;
mod detail;
mod filter;
mod footer;
mod help;
mod layout;
mod log;
mod prompt;
mod rollout_view;
mod run_view;
mod signals;
mod summary;
mod terminal;
pub mod theme;
mod tiles;

use std::time::{Duration, Instant};

use color_eyre::Result;
use futures::StreamExt;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::Paragraph;
use tokio::sync::{mpsc, watch};

pub use app::{Action, App, Question, SortKey};
pub use filter::Filter;
pub use layout::{Grid, TILE_HEIGHT, TILE_WIDTH};

use crate::base::time::WallClock;
use crate::fleet::{Command, Event, State};
use crate::rollout::event::Control;

pub const MAX_FPS: u32 = 30;
/// Events folded per batch before the loop looks at input again.
const BATCH: usize = 20_000;

/// Draws one frame. Pure: reads `fleet` and `app`, takes the time as an argument.
pub fn view(frame: &mut Frame, fleet: &State, app: &App, now: Instant) {
    let areas = app.areas(fleet);
    summary::render(frame, areas.summary, fleet, app);
    if let Some(run) = &app.run_view {
        let body = Rect {
            y: areas.tiles.y,
            height: areas.footer.bottom() - areas.tiles.y,
            ..areas.footer
        };
        run_view::render(frame, body, fleet, run, now);
        return;
    }
    if app.visible.is_empty() {
        let text = if fleet.inventory.devices.is_empty() {
            "the inventory has no devices"
        } else {
            "no device matches the filter (Esc clears it)"
        };
        frame.render_widget(Paragraph::new(text).style(theme::dim()), areas.tiles);
    } else {
        let grid = Grid::new(areas.tiles);
        frame.render_widget(
            tiles::Tiles {
                fleet,
                app,
                grid,
                now,
            },
            areas.tiles,
        );
    }
    if let Some(area) = areas.detail {
        detail::render(frame, area, fleet, app.focused, now);
    }
    match (app.rollout(fleet), areas.panel) {
        (Some(rollout), Some(panel)) => {
            rollout_view::render_panel(frame, panel, rollout);
            log::render_rollout(frame, areas.log, rollout);
        }
        _ => log::render(frame, areas.log, fleet),
    }
    footer::render(frame, areas.footer, app, fleet);
    if let (true, Some(device)) = (app.details && app.rollout(fleet).is_some(), app.focused) {
        rollout_view::render_details(frame, frame.area(), fleet, device, app.details_scroll);
    }
    if app.help {
        help::render(frame, frame.area());
    }
}

/// How the dashboard ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// The user quit (or the input ended).
    Quit,
    /// A signal ended it (SIGTERM, SIGHUP, SIGINT, SIGQUIT, SIGUSR1): exit with
    /// [`crate::base::exit::signal`] of this number.
    Signal(i32),
}

/// Runs the dashboard until the user quits or a signal ends it. The terminal is restored on
/// every exit path.
pub async fn run(
    mut fleet: State,
    mut events: mpsc::Receiver<Event>,
    wires: Wires,
    options: Options,
) -> Result<Ended> {
    fleet.wall_clock = match options.utc {
        true => WallClock::utc(),
        false => WallClock::local(),
    };
    let mut signals = signals::Signals::install()?;
    let mut term = terminal::Terminal::enter()?;
    let size = term.size()?;
    let mut app = App::new(options.title, Rect::new(0, 0, size.width, size.height));
    app.interval = options.interval;
    app.read_only = options.read_only;
    app.rollout_screen = wires.rollout.is_some();
    let mut input = crossterm::event::EventStream::new();
    let frame_time = Duration::from_secs(1) / MAX_FPS;
    let mut ages = tokio::time::interval(Duration::from_secs(1));
    ages.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let (mut dirty, mut last_draw, mut workers_alive) = (true, Instant::now() - frame_time, true);
    loop {
        if dirty && last_draw.elapsed() >= frame_time {
            // Layout and clicks use `app.screen`: take it from the terminal itself, which
            // is right even when a resize event was coalesced away.
            let size = term.size()?;
            app.screen = Rect::new(0, 0, size.width, size.height);
            app.refresh(&fleet);
            let now = Instant::now();
            term.draw(|frame| view(frame, &fleet, &app, now))?;
            (dirty, last_draw) = (false, now);
        }
        let next_frame = tokio::time::Instant::from_std(last_draw + frame_time);
        tokio::select! {
            event = events.recv(), if workers_alive => match event {
                Some(event) => {
                    fleet.apply(event);
                    for _ in 0..BATCH {
                        match events.try_recv() {
                            Ok(event) => fleet.apply(event),
                            Err(_) => break,
                        }
                    }
                    if let Some(reachability) = &wires.reachability {
                        publish(reachability, &fleet);
                    }
                    if app.done_quitting(&fleet) {
                        return Ok(Ended::Quit);
                    }
                    dirty = true;
                }
                None => workers_alive = false,
            },
            input_event = input.next() => match input_event {
                Some(Ok(event)) => match app.handle(&event, &fleet) {
                    Action::Quit => return Ok(Ended::Quit),
                    Action::Suspend => {
                        term.suspend()?;
                        dirty = true;
                    }
                    Action::Redraw => dirty = true,
                    Action::Nothing => {}
                    Action::Send(command) => {
                        send(&mut fleet, &wires.commands, command);
                        dirty = true;
                    }
                    Action::Control(control) => {
                        steer(&mut fleet, wires.rollout.as_ref(), control);
                        dirty = true;
                    }
                },
                Some(Err(err)) => return Err(err.into()),
                None => return Ok(Ended::Quit),
            },
            caught = signals.recv() => match caught {
                // Returning drops the terminal, which restores it.
                signals::Caught::End(signo) => return Ok(Ended::Signal(signo)),
                signals::Caught::Stop => {
                    term.suspend()?;
                    dirty = true;
                }
                signals::Caught::Continued => {
                    term.resume()?;
                    dirty = true;
                }
            },
            _ = ages.tick() => dirty = true,
            _ = tokio::time::sleep_until(next_frame), if dirty => {}
        }
    }
}

/// Where the dashboard's commands go, and what it publishes for workers.
pub struct Wires {
    /// Commands for the SSH workers.
    pub commands: mpsc::Sender<Command>,
    /// Pause / resume / abort / approve for the rollout, when one runs.
    pub rollout: Option<mpsc::Sender<Control>>,
    /// Per-device reachability for the rollout executor, when one runs.
    pub reachability: Option<watch::Sender<Vec<Option<bool>>>>,
}

/// Hands reachability to whoever watches it, only when it changed.
fn publish(reachability: &watch::Sender<Vec<Option<bool>>>, fleet: &State) {
    let now = fleet.reachability();
    reachability.send_if_modified(|seen| {
        let changed = *seen != now;
        if changed {
            *seen = now;
        }
        changed
    });
}

/// Sends a control to the rollout without waiting; a full or closed channel is reported.
fn steer(fleet: &mut State, rollout: Option<&mpsc::Sender<Control>>, control: Control) {
    let sent = rollout.is_some_and(|tx| tx.try_send(control).is_ok());
    if !sent {
        fleet.apply(Event::Notice {
            at: Instant::now(),
            text: format!("{control:?} not sent: the rollout is not listening"),
        });
    }
}

/// What the dashboard shows besides the fleet.
pub struct Options {
    /// The inventory's source, for the summary bar.
    pub title: String,
    pub interval: Duration,
    pub read_only: bool,
    /// Show times in UTC instead of the local zone.
    pub utc: bool,
}

/// Records a command in the fleet state and hands it to the workers without waiting: the
/// queue is bounded, and a full or closed queue is reported, never awaited.
fn send(fleet: &mut State, commands: &mpsc::Sender<Command>, command: Command) {
    let now = Instant::now();
    fleet.record(&command, now);
    if let Err(err) = commands.try_send(command) {
        let why = match err {
            mpsc::error::TrySendError::Full(_) => "the SSH workers are busy; try again",
            mpsc::error::TrySendError::Closed(_) => "the SSH workers are not running",
        };
        fleet.apply(Event::Notice {
            at: now,
            text: format!("command not sent: {why}"),
        });
    }
}

/// Age for people, in whole seconds: `42s`, `3m05s`, `2h13m`, `3d04h`.
pub fn fmt_age(now: Instant, since: Instant) -> String {
    let whole = now.saturating_duration_since(since).as_secs();
    crate::base::duration::short(Duration::from_secs(whole))
}

#[cfg(test)]
mod tests;
