//! Colours and symbols, in one place, and the monochrome theme: without colour a state is
//! still told by its symbol (▲ ▼ ?, ✓ ✗) and by bold, dim and reversed text.

use std::cell::Cell;

use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier, Style};

use crate::fleet::Reach;

/// How the dashboard draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Theme {
    #[default]
    Colour,
    /// No colour at all: modifiers and symbols only (`--theme mono`, or `NO_COLOR` set).
    Mono,
}

impl Theme {
    /// Mono when `NO_COLOR` is set to anything but the empty string (no-color.org).
    pub fn from_env() -> Theme {
        match crate::base::colour::no_color() {
            true => Theme::Mono,
            false => Theme::Colour,
        }
    }
}

/// The process's theme, chosen once by `--theme` (see [`chosen`]).
static CHOSEN: std::sync::OnceLock<Theme> = std::sync::OnceLock::new();

/// Sets the process's theme (`--theme`); the first choice stays.
pub fn choose(theme: Theme) {
    let _ = CHOSEN.set(theme);
}

/// The theme `--theme` chose, else mono under `NO_COLOR`, else colour.
pub fn chosen() -> Theme {
    CHOSEN.get().copied().unwrap_or_else(Theme::from_env)
}

thread_local! {
    /// The theme of the frame being drawn on this thread (a frame is drawn in one go).
    static MONO: Cell<bool> = const { Cell::new(false) };
}

/// Draws with `theme` on this thread until the guard drops.
pub fn scope(theme: Theme) -> impl Drop {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            MONO.with(|m| m.set(self.0));
        }
    }
    Restore(MONO.with(|m| m.replace(theme == Theme::Mono)))
}

fn mono() -> bool {
    MONO.with(Cell::get)
}

/// Takes every colour out of a drawn frame (panels that style with their own colours
/// included), keeping the symbols and modifiers.
pub fn strip_colours(buf: &mut Buffer) {
    for cell in &mut buf.content {
        cell.fg = Color::Reset;
        cell.bg = Color::Reset;
        cell.underline_color = Color::Reset;
    }
}

pub fn tile(reach: Reach) -> Style {
    if mono() {
        return match reach {
            Reach::Up => Style::new(),
            Reach::Down => Style::new().add_modifier(Modifier::BOLD),
            Reach::Unknown => Style::new().add_modifier(Modifier::DIM),
        };
    }
    match reach {
        Reach::Up => Style::new().fg(Color::Black).bg(Color::Green),
        Reach::Down => Style::new()
            .fg(Color::White)
            .bg(Color::Red)
            .add_modifier(Modifier::BOLD),
        Reach::Unknown => Style::new().fg(Color::White).bg(Color::DarkGray),
    }
}

pub fn text(reach: Reach) -> Style {
    if mono() {
        return tile(reach);
    }
    match reach {
        Reach::Up => Style::new().fg(Color::Green),
        Reach::Down => Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
        Reach::Unknown => Style::new().fg(Color::DarkGray),
    }
}

pub fn symbol(reach: Reach) -> &'static str {
    match reach {
        Reach::Up => "▲",
        Reach::Down => "▼",
        Reach::Unknown => "?",
    }
}

pub const FOCUS: Modifier = Modifier::REVERSED;
pub const FLAPPING: &str = "~";
pub const MARK: &str = "●";
/// An up device in the dense view: quiet, so the others stand out.
pub const DENSE_UP: &str = "·";
/// A device whose SSH keeps failing (or whose circuit is open), in the dense view.
pub const SSH_PROBLEM: &str = "!";
/// A tile whose cabling does not match the plan.
pub const MISWIRED: &str = "✗";

pub fn bar() -> Style {
    match mono() {
        true => Style::new().add_modifier(Modifier::REVERSED),
        false => Style::new().fg(Color::White).bg(Color::Blue),
    }
}

pub fn key() -> Style {
    match mono() {
        true => Style::new().add_modifier(Modifier::BOLD),
        false => Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
    }
}

pub fn dim() -> Style {
    match mono() {
        true => Style::new().add_modifier(Modifier::DIM),
        false => Style::new().fg(Color::DarkGray),
    }
}

pub fn warn() -> Style {
    match mono() {
        true => Style::new().add_modifier(Modifier::REVERSED),
        false => Style::new().fg(Color::Black).bg(Color::Yellow),
    }
}

pub fn title() -> Style {
    Style::new().add_modifier(Modifier::BOLD)
}
