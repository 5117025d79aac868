//! Colours and symbols, in one place.

use ratatui::style::{Color, Modifier, Style};

use crate::fleet::Reach;

pub fn tile(reach: Reach) -> Style {
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
    Style::new().fg(Color::White).bg(Color::Blue)
}

pub fn key() -> Style {
    Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD)
}

pub fn dim() -> Style {
    Style::new().fg(Color::DarkGray)
}

pub fn warn() -> Style {
    Style::new().fg(Color::Black).bg(Color::Yellow)
}

pub fn title() -> Style {
    Style::new().add_modifier(Modifier::BOLD)
}
