//! `fleetdash replay FILE`: the dashboard on a recording. The recorded records are fed
//! back through the dashboard's own reducer ([`crate::record::feed`]) up to the replay's
//! position, and the ordinary [`view`] draws the state, with two lines below it: a
//! timeline bar (where devices were down, and where the replay is) and the replay's keys.
//! Nothing is sent anywhere: there is no engine, commands and controls are refused.
//!
//! ```text
//! │ … the dashboard as it was at 03:12:07 …                                       │
//! │ ───────▂▂▂█████▂▂──────────────┃────────────────────────────────────────────── │ timeline
//! │ REPLAY 03:12:07 (+2m07s of 14m)  ▶ ×10  record 35/120  space play · . step …  │ keys
//! ```

use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use color_eyre::Result;
use crossterm::event::{Event as TermEvent, KeyCode, KeyEventKind, KeyModifiers};
use futures::{Stream, StreamExt};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Action, App, Ended, Screen, signals, theme, view};
use crate::base::exit::USAGE;
use crate::base::time::WallClock;
use crate::fleet::State;
use crate::record::feed::Feed;
use crate::record::format::{ReachRec, Record};
use crate::record::{Limits, Recording};

/// Playback speeds, in recorded seconds per second.
const SPEEDS: [u32; 9] = [1, 2, 5, 10, 30, 60, 120, 300, 600];
/// How often the position moves while playing.
const TICK: Duration = Duration::from_millis(100);

/// A recording and the reducer's state at the replay's position.
pub struct Player {
    pub recording: Recording,
    feed: Feed,
    pub state: State,
    /// Records folded into `state` (the next one to fold).
    pub next: usize,
    /// Where the replay is, from the recording's start.
    pub pos: Duration,
    pub playing: bool,
    speed: usize,
    /// Each outage as (down at, up at; `None`: still down at the end), from the start.
    outages: Vec<(Duration, Option<Duration>)>,
    wall_clock: WallClock,
}

impl Player {
    pub fn new(recording: Recording, wall_clock: WallClock) -> Player {
        let feed = Feed::new(&recording, Instant::now());
        let mut state = feed.fresh();
        state.wall_clock = wall_clock.clone();
        let mut open = std::collections::HashMap::new();
        let mut outages = Vec::new();
        for entry in &recording.entries {
            if let Record::Transition(t) = &entry.record {
                let at = entry
                    .at
                    .duration_since(recording.started)
                    .unwrap_or_default();
                match t.to {
                    ReachRec::Down => {
                        open.entry(t.device.clone()).or_insert(at);
                    }
                    ReachRec::Up => {
                        if let Some(down) = open.remove(&t.device) {
                            outages.push((down, Some(at)));
                        }
                    }
                    ReachRec::Unknown => {}
                }
            }
        }
        outages.extend(open.into_values().map(|down| (down, None)));
        Player {
            recording,
            feed,
            state,
            next: 0,
            pos: Duration::ZERO,
            playing: false,
            speed: 3,
            outages,
            wall_clock,
        }
    }

    /// The recording's length.
    pub fn length(&self) -> Duration {
        self.offset_of(self.recording.ended())
    }

    fn offset_of(&self, at: std::time::SystemTime) -> Duration {
        at.duration_since(self.recording.started)
            .unwrap_or_default()
    }

    fn offset(&self, index: usize) -> Duration {
        self.offset_of(self.recording.entries[index].at)
    }

    /// The `Instant` the view is drawn at.
    pub fn now(&self) -> Instant {
        self.feed.origin.0 + self.pos
    }

    fn fold_next(&mut self) {
        let entry = &self.recording.entries[self.next];
        self.feed.apply(&mut self.state, &self.recording, entry);
        self.next += 1;
    }

    fn rewind(&mut self) {
        self.state = self.feed.fresh();
        self.state.wall_clock = self.wall_clock.clone();
        self.next = 0;
    }

    /// Moves to `pos` (clamped to the recording): every record up to it is folded.
    pub fn seek(&mut self, pos: Duration) {
        let pos = pos.min(self.length());
        if pos < self.pos {
            self.rewind();
        }
        while self.next < self.recording.entries.len() && self.offset(self.next) <= pos {
            self.fold_next();
        }
        self.pos = pos;
    }

    /// One record forward.
    pub fn step(&mut self) {
        if self.next < self.recording.entries.len() {
            let at = self.offset(self.next);
            self.fold_next();
            self.pos = self.pos.max(at);
        }
    }

    /// One record back.
    pub fn step_back(&mut self) {
        let keep = self.next.saturating_sub(1);
        self.rewind();
        while self.next < keep {
            self.fold_next();
        }
        self.pos = match keep {
            0 => Duration::ZERO,
            n => self.offset(n - 1),
        };
    }

    /// To the next (or previous) moment a device went down.
    pub fn jump_outage(&mut self, forward: bool) {
        let mut starts: Vec<Duration> = self.outages.iter().map(|o| o.0).collect();
        starts.sort();
        let target = match forward {
            true => starts.into_iter().find(|&s| s > self.pos),
            false => starts.into_iter().rev().find(|&s| s < self.pos),
        };
        if let Some(target) = target {
            self.seek(target);
        }
    }

    pub fn speed(&self) -> u32 {
        SPEEDS[self.speed]
    }

    /// Plays on by one tick of real time.
    pub fn tick(&mut self, real: Duration) {
        let pos = self.pos + real * self.speed();
        self.seek(pos);
        if self.pos >= self.length() {
            self.playing = false;
        }
    }

    /// A replay key; `None` when it is not one (the dashboard's keys then apply).
    fn key(&mut self, code: KeyCode) -> Option<Action> {
        let minute = Duration::from_secs(60);
        match code {
            KeyCode::Char(' ') => {
                if self.pos >= self.length() {
                    self.seek(Duration::ZERO);
                }
                self.playing = !self.playing;
            }
            KeyCode::Char('.') => self.step(),
            KeyCode::Char(',') => self.step_back(),
            KeyCode::Char('+') => self.speed = (self.speed + 1).min(SPEEDS.len() - 1),
            KeyCode::Char('-') => self.speed = self.speed.saturating_sub(1),
            KeyCode::Char(']') => self.seek(self.pos + minute),
            KeyCode::Char('[') => self.seek(self.pos.saturating_sub(minute)),
            KeyCode::Char('}') => self.seek(self.pos + minute * 10),
            KeyCode::Char('{') => self.seek(self.pos.saturating_sub(minute * 10)),
            KeyCode::Char('n') => self.jump_outage(true),
            KeyCode::Char('N') => self.jump_outage(false),
            KeyCode::Char('<') => self.seek(Duration::ZERO),
            KeyCode::Char('>') => self.seek(self.length()),
            _ => return None,
        }
        Some(Action::Redraw)
    }
}

/// Opens the replay of `path` on the process's terminal; skipped lines are reported on
/// stderr once the terminal is given back.
pub async fn run(path: &Path, utc: bool) -> Result<ExitCode> {
    let recording = match crate::record::load(path, Limits::default()) {
        Ok(r) => r,
        Err(err) => {
            eprintln!("error: {err}");
            return Ok(ExitCode::from(USAGE));
        }
    };
    let issues = recording.issue_lines();
    let clock = if utc {
        WallClock::utc()
    } else {
        WallClock::local()
    };
    let mut player = Player::new(recording, clock);
    let ended = {
        let mut signals = signals::Signals::install()?;
        let mut term = super::terminal::Terminal::enter()?;
        let input = crossterm::event::EventStream::new();
        drive(&mut player, &mut term, input, Some(&mut signals)).await?
    };
    for line in issues {
        eprintln!("warning: {line}");
    }
    Ok(match ended {
        Ended::Quit => ExitCode::SUCCESS,
        Ended::Signal(signo) => ExitCode::from(crate::base::exit::signal(signo)),
    })
}

/// The replay's loop over any [`Screen`] and input (a `TestBackend` and scripted keys in
/// tests), until the user quits, the input ends or a signal ends it.
pub async fn drive<S, I>(
    player: &mut Player,
    term: &mut S,
    input: I,
    mut signals: Option<&mut signals::Signals>,
) -> Result<Ended>
where
    S: Screen,
    I: Stream<Item = std::io::Result<TermEvent>> + Unpin,
{
    let size = term.size()?;
    let mut app = App::new(
        format!("replay of {}", player.recording.start.source),
        dashboard_area(Rect::new(0, 0, size.width, size.height)),
    );
    app.read_only = true;
    app.rollout_screen =
        (player.recording.entries.iter()).any(|e| matches!(e.record, Record::Rollout(_)));
    let mut ticks = tokio::time::interval(TICK);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    // Polled only once it woke, not at every tick of the playback (see `woken`).
    let mut input = super::woken::Woken::new(input);
    let mut dirty = true;
    loop {
        if dirty {
            let size = term.size()?;
            app.screen = dashboard_area(Rect::new(0, 0, size.width, size.height));
            app.refresh(&player.state);
            term.draw(|frame| render(frame, player, &app))?;
            dirty = false;
        }
        tokio::select! {
            input_event = input.next() => match input_event {
                Some(Ok(event)) => match on_input(player, &mut app, &event) {
                    Action::Quit => return Ok(Ended::Quit),
                    Action::Suspend => {
                        term.suspend()?;
                        dirty = true;
                    }
                    Action::Nothing => {}
                    _ => dirty = true,
                },
                Some(Err(err)) => return Err(err.into()),
                None => return Ok(Ended::Quit),
            },
            _ = ticks.tick(), if player.playing => {
                player.tick(TICK);
                dirty = true;
            }
            caught = next_signal(signals.as_deref_mut()) => match caught {
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
        }
    }
}

async fn next_signal(signals: Option<&mut signals::Signals>) -> signals::Caught {
    match signals {
        Some(signals) => signals.recv().await,
        None => std::future::pending().await,
    }
}

/// A key or click: the replay's own keys first (outside prompts and the run, diff and log
/// views, which have keys of their own), then the dashboard's, with everything that would send traffic refused.
fn on_input(player: &mut Player, app: &mut App, event: &TermEvent) -> Action {
    if let TermEvent::Key(key) = event
        && key.kind == KeyEventKind::Press
        && !app.typing()
        && app.run_view.is_none()
        && app.diff_view.is_none()
        && app.log_view.is_none()
    {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if key.code == KeyCode::Char('q') || (ctrl && key.code == KeyCode::Char('c')) {
            return Action::Quit;
        }
        if !ctrl && let Some(action) = player.key(key.code) {
            return action;
        }
    }
    match app.handle(event, &player.state) {
        Action::Send(_) | Action::Control(_) | Action::Job(_) => {
            // Not the run it would have opened: that id is a recorded run's.
            app.run_view = None;
            app.status = Some("a replay sends nothing: commands are not run".into());
            Action::Redraw
        }
        other => other,
    }
}

/// The dashboard's part of the screen: all but the two replay lines.
fn dashboard_area(screen: Rect) -> Rect {
    Rect {
        height: screen.height.saturating_sub(2),
        ..screen
    }
}

fn render(frame: &mut Frame, player: &Player, app: &App) {
    view(frame, &player.state, app, player.now());
    let area = frame.area();
    if area.height < 2 {
        return;
    }
    let bar = Rect::new(area.x, area.bottom() - 2, area.width, 1);
    let keys = Rect::new(area.x, area.bottom() - 1, area.width, 1);
    frame.render_widget(Paragraph::new(timeline(player, bar.width)), bar);
    frame.render_widget(Paragraph::new(status(player)), keys);
}

/// One cell per slice of the recording: how many devices were down in it (taller and red
/// the more), and the replay's position.
fn timeline(player: &Player, width: u16) -> Line<'static> {
    const LEVELS: [&str; 8] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"];
    let length = player.length().max(Duration::from_millis(1));
    let devices = player.recording.start.devices.len().max(1);
    let cols = u32::from(width.max(1));
    let cursor = ((player.pos.as_secs_f64() / length.as_secs_f64()) * f64::from(cols)) as u32;
    let spans: Vec<Span> = (0..cols)
        .map(|c| {
            let from = length * c / cols;
            let to = length * (c + 1) / cols;
            let down = (player.outages.iter())
                .filter(|(d, u)| {
                    *d < to.max(from + Duration::from_nanos(1)) && u.is_none_or(|u| u > from)
                })
                .count();
            let (symbol, style) = match down {
                0 => ("─", Style::new().fg(Color::Green)),
                n => {
                    let level = (n * LEVELS.len()).div_ceil(devices).clamp(1, LEVELS.len());
                    (LEVELS[level - 1], Style::new().fg(Color::Red))
                }
            };
            if c == cursor.min(cols - 1) {
                let style = match down {
                    0 => Style::new().fg(Color::Yellow),
                    _ => style.add_modifier(Modifier::REVERSED),
                };
                return Span::styled(if down == 0 { "┃" } else { symbol }, style);
            }
            Span::styled(symbol, style)
        })
        .collect();
    Line::from(spans)
}

fn status(player: &Player) -> Line<'static> {
    let short = crate::base::duration::short;
    let whole = |d: Duration| Duration::from_secs(d.as_secs());
    let play = match player.playing {
        true => "▶",
        false => "⏸",
    };
    let skipped = player.recording.issues.len() + player.recording.more_issues;
    let mut text = format!(
        " {} (+{} of {})  {play} ×{}  record {}/{}",
        player.state.clock(player.now()),
        short(whole(player.pos)),
        short(whole(player.length())),
        player.speed(),
        player.next,
        player.recording.entries.len(),
    );
    if skipped > 0 {
        text.push_str(&format!("  {skipped} lines skipped"));
    }
    Line::from(vec![
        Span::styled(" REPLAY ", theme::warn()),
        Span::raw(text),
        Span::styled(
            "  space play · . , step · +/- speed · [ ] 1m · { } 10m · n N outage · < > ends · q quit",
            theme::dim(),
        ),
    ])
}

#[cfg(test)]
mod tests;
