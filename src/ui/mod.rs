//! The terminal dashboard: the app loop, and `view`, a pure function of state.
//!
//! The loop draws on a [`Screen`] and selects over three sources: worker events (drained
//! in batches and folded by the engine's reducer), terminal input, and signals (which
//! restore the terminal before the process ends or stops). It draws only when something
//! changed ([`redraw`] says when: input at once, a state change at most [`MAX_FPS`] times a
//! second, RTTs and ages at most [`LAZY_FPS`]; ages change every second, so every frame
//! asks for a lazy one a second later, on the beat of `base::beat`); otherwise it sleeps.

mod app;
mod dense;
mod detail;
mod diff_view;
pub(crate) mod export;
mod filter;
mod footer;
pub(crate) mod help;
mod layout;
mod list;
mod log;
mod log_view;
mod prompt;
mod redraw;
pub mod replay;
mod rollout_view;
pub(crate) mod run_view;
mod runs_view;
mod search;
mod signals;
mod summary;
mod terminal;
pub mod theme;
mod tiles;
mod woken;

use std::time::{Duration, Instant};

use color_eyre::Result;
use futures::{Stream, StreamExt};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::Paragraph;
use tokio::sync::mpsc;

pub use app::{Action, App, Question, SortKey};
pub use dense::{DenseMap, GroupBy, MapLine};
pub use filter::Filter;
pub use layout::{Grid, TILE_HEIGHT, TILE_WIDTH};
pub use signals::Signals;
pub use terminal::Screen;

use crate::base::time::WallClock;
use crate::engine::Engine;
use crate::fleet::{Command, Event, JobRequest, State};
use crate::rollout::event::Control;
use redraw::{Change, Folds, Redraw};
use woken::Woken;

pub use redraw::{LAZY_FPS, MAX_FPS};

/// Draws one frame. Pure: reads `fleet` and `app`, takes the time as an argument.
pub fn view(frame: &mut Frame, fleet: &State, app: &App, now: Instant) {
    let _theme = theme::scope(app.theme);
    draw(frame, fleet, app, now);
    if app.theme == theme::Theme::Mono {
        theme::strip_colours(frame.buffer_mut());
    }
}

fn draw(frame: &mut Frame, fleet: &State, app: &App, now: Instant) {
    let areas = app.areas(fleet);
    summary::render(frame, areas.summary, fleet, app);
    let body = Rect {
        y: areas.tiles.y,
        height: areas.footer.bottom() - areas.tiles.y,
        ..areas.footer
    };
    if let Some(run) = &app.run_view {
        run_view::render(frame, body, fleet, run, now);
        return;
    }
    if let Some(log) = &app.log_view {
        log_view::render(frame, body, fleet, log);
        return;
    }
    if let Some(runs) = &app.runs_view {
        runs_view::render(frame, body, fleet, runs, now);
        return;
    }
    if let Some(diff) = &app.diff_view {
        diff_view::render(frame, body, fleet, diff);
        return;
    }
    if app.visible.is_empty() {
        let text = if fleet.inventory.devices.is_empty() {
            "the inventory has no devices"
        } else {
            "no device matches the filter (Esc clears it)"
        };
        frame.render_widget(Paragraph::new(text).style(theme::dim()), areas.tiles);
    } else if app.dense_shown(fleet) {
        let map = app.dense_map(fleet);
        let dense = dense::Dense {
            fleet,
            app,
            map: &map,
            now,
        };
        frame.render_widget(dense, areas.tiles);
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
    let hint = off_screen_hint(app.down_off_screen(fleet));
    match (app.rollout(fleet), areas.panel) {
        (Some(rollout), Some(panel)) => {
            rollout_view::render_panel(frame, panel, rollout);
            log::render_rollout(frame, areas.log, fleet, hint);
        }
        _ => log::render(frame, areas.log, fleet, hint),
    }
    footer::render(frame, areas.footer, app, fleet);
    if app.detail_overlay && areas.detail.is_none() && app.rollout(fleet).is_none() {
        detail::render_overlay(frame, areas.tiles, fleet, app.focused, now);
    }
    if let (true, Some(device)) = (app.details && app.rollout(fleet).is_some(), app.focused) {
        rollout_view::render_details(frame, frame.area(), fleet, device, app.details_scroll);
    }
    if app.help {
        help::render(frame, frame.area(), app.help_scroll);
    }
}

/// "▼ 3 down, off-screen ↓": down devices scrolled out of view, and which way they are.
fn off_screen_hint((above, below): (usize, usize)) -> Option<String> {
    let arrows = match (above > 0, below > 0) {
        (false, false) => return None,
        (true, false) => "↑",
        (false, true) => "↓",
        (true, true) => "↑↓",
    };
    Some(format!(" ▼ {} down, off-screen {arrows} ", above + below))
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

/// Runs the dashboard on the process's terminal until the user quits or a signal ends it.
/// The terminal is restored on every exit path.
pub async fn run(engine: &mut Engine, options: Options) -> Result<Ended> {
    engine.state.wall_clock = match options.utc {
        true => WallClock::utc(),
        false => WallClock::local(),
    };
    let mut signals = signals::Signals::install()?;
    let mut term = terminal::Terminal::enter()?;
    let input = crossterm::event::EventStream::new();
    drive(engine, options, &mut term, input, Some(&mut signals)).await
}

/// The app loop over any [`Screen`] and any input stream (the real terminal, or a
/// `TestBackend` and scripted keys in tests), until the user quits, the input ends or one
/// of `signals` ends it.
pub async fn drive<S, I>(
    engine: &mut Engine,
    options: Options,
    term: &mut S,
    input: I,
    signals: Option<&mut signals::Signals>,
) -> Result<Ended>
where
    S: Screen,
    I: Stream<Item = std::io::Result<crossterm::event::Event>> + Unpin,
{
    let size = term.size()?;
    let mut app = App::new(options.title, Rect::new(0, 0, size.width, size.height));
    // The sweeper ticks at the fastest interval: the inventory's per-group ones count too.
    let devices = &engine.state.inventory.devices;
    app.interval =
        (devices.iter().filter_map(|d| d.timing.interval)).fold(options.interval, Duration::min);
    app.read_only = options.read_only;
    app.theme = theme::chosen();
    app.rollout_screen = engine.control.is_some();
    let mut redraw = Redraw::new(Instant::now());
    // Polled only once they woke: a wake-up for probe results does not poll the keyboard.
    let mut input = Woken::new(input);
    let mut signals = signals.map(Woken::new);
    // One timer for the next frame or the next batch, moved only when that time moves.
    let wake = tokio::time::sleep(Duration::ZERO);
    tokio::pin!(wake);
    let mut workers_alive = true;
    let mut seen_state = engine.state.state_version;
    // Events wait in their queue between batches: fewer wake-ups, the same frames.
    let mut fold_after = Instant::now();
    let mut folds = Folds::default();
    // The device (and backup generation) whose backup history was last asked for.
    let mut history_of = None;
    loop {
        if redraw.is_due(Instant::now()) {
            // Layout and clicks use `app.screen`: take it from the terminal itself, which
            // is right even when a resize event was coalesced away.
            let size = term.size()?;
            app.screen = Rect::new(0, 0, size.width, size.height);
            app.refresh(&engine.state);
            // The detail pane shows the focused device's last backups: a worker reads them
            // from git when the focus moves or a backup ended, never the frame.
            let wanted = app.focused.map(|d| (d, engine.state.jobs.generation));
            if let Some((device, _)) = wanted.filter(|_| wanted != history_of) {
                engine.request(JobRequest::History { device }, &mut app.next_run);
                history_of = wanted;
            }
            let now = Instant::now();
            term.draw(|frame| view(frame, &engine.state, &app, now))?;
            redraw.drawn(now);
            // Ages ("down for 2m13s") move every second: a lazy frame a second after this
            // one, on the beat, with no timer of its own.
            redraw.note(Change::Lazy);
        }
        let fold_now = Instant::now() >= fold_after;
        let batch_due = (workers_alive && !fold_now).then_some(fold_after);
        let due = [redraw.due(), batch_due].into_iter().flatten().min();
        if let Some(due) = due.map(tokio::time::Instant::from_std)
            && wake.deadline() != due
        {
            wake.as_mut().reset(due);
        }
        tokio::select! {
            folded = engine.next_batch(|_| {}), if workers_alive && fold_now => match folded {
                Some(_) => {
                    fold_after = folds.folded(Instant::now());
                    if app.done_quitting(&engine.state) {
                        return Ok(Ended::Quit);
                    }
                    let state = engine.state.state_version;
                    redraw.note(match state != seen_state {
                        true => Change::State,
                        false => Change::Lazy,
                    });
                    seen_state = state;
                }
                None => workers_alive = false,
            },
            input_event = input.next() => match input_event {
                Some(Ok(event)) => match app.handle(&event, &engine.state) {
                    Action::Quit => return Ok(Ended::Quit),
                    Action::Suspend => {
                        term.suspend()?;
                        redraw.note(Change::Input);
                    }
                    Action::Redraw => redraw.note(Change::Input),
                    Action::Repaint => {
                        term.repaint()?;
                        redraw.note(Change::Input);
                    }
                    Action::Nothing => {}
                    Action::Send(command) => {
                        send(engine, command);
                        redraw.note(Change::Input);
                    }
                    Action::Control(control) => {
                        steer(engine, control);
                        redraw.note(Change::Input);
                    }
                    Action::Write(request) => {
                        let secrets = crate::exec::Secrets::from_inventory(&engine.state.inventory);
                        let written = export::write(&engine.state, request, &secrets);
                        if let Some(view) = app.run_view.as_mut() {
                            view.written(written);
                        }
                        redraw.note(Change::Input);
                    }
                    Action::Copy(text) => {
                        let secrets = crate::exec::Secrets::from_inventory(&engine.state.inventory);
                        let note = match export::osc52(&text, &secrets) {
                            Ok(seq) => match term.clipboard(&seq) {
                                Ok(()) => format!(
                                    "copied {} bytes (OSC 52: if the terminal allows it)",
                                    text.len()
                                ),
                                Err(e) => format!("not copied: {e}"),
                            },
                            Err(why) => why,
                        };
                        if let Some(view) = app.run_view.as_mut() {
                            view.note = Some(note);
                        }
                        redraw.note(Change::Input);
                    }
                    Action::Job(request) => {
                        let runs = engine.request(request, &mut app.next_run);
                        app.job_started(&runs);
                        redraw.note(Change::Input);
                    }
                },
                Some(Err(err)) => return Err(err.into()),
                None => return Ok(Ended::Quit),
            },
            caught = next_signal(signals.as_mut()) => match caught {
                // Returning lets `run` drop the terminal, which restores it.
                signals::Caught::End(signo) => return Ok(Ended::Signal(signo)),
                signals::Caught::Stop => {
                    term.suspend()?;
                    redraw.note(Change::Input);
                }
                signals::Caught::Continued => {
                    term.resume()?;
                    redraw.note(Change::Input);
                }
            },
            _ = &mut wake, if due.is_some() => {}
        }
    }
}

/// The next signal, or never without any.
async fn next_signal(signals: Option<&mut Woken<&mut signals::Signals>>) -> signals::Caught {
    match signals {
        Some(signals) => match signals.next().await {
            Some(caught) => caught,
            None => std::future::pending().await,
        },
        None => std::future::pending().await,
    }
}

/// Sends a control to the rollout without waiting; a full or closed channel is reported.
fn steer(engine: &mut Engine, control: Control) {
    let sent = (engine.control.as_ref()).is_some_and(|tx| tx.try_send(control).is_ok());
    if !sent {
        engine.apply(Event::Notice {
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

/// Records a command (in the fleet state and for the taps) and hands it to the workers
/// without waiting: the queue is bounded, and a full or closed queue is reported, never
/// awaited.
fn send(engine: &mut Engine, command: Command) {
    let now = Instant::now();
    engine.record(&command, now);
    if let Err(err) = engine.commands.try_send(command) {
        let why = match err {
            mpsc::error::TrySendError::Full(_) => "the SSH workers are busy; try again",
            mpsc::error::TrySendError::Closed(_) => "the SSH workers are not running",
        };
        engine.apply(Event::Notice {
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
