//! The dashboard's real app loop driven from a test: a `TestBackend` screen that publishes
//! every frame's text, a keyboard that types into the loop's key stream, and a wait for
//! the frame a test expects.

use std::io;
use std::pin::Pin;
use std::time::Duration;

use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
use fleetdash::ui::{self, Screen};
use futures::Stream;
use ratatui::Frame;
use ratatui::backend::TestBackend;
use ratatui::layout::Size;
use tokio::sync::{mpsc, watch};

/// A `TestBackend` terminal that publishes the text of every frame it draws.
pub struct Recorder {
    term: ratatui::Terminal<TestBackend>,
    frames: watch::Sender<String>,
}

impl Screen for Recorder {
    fn draw(&mut self, render: impl FnOnce(&mut Frame)) -> io::Result<()> {
        Screen::draw(&mut self.term, render)?;
        let buffer = self.term.backend().buffer();
        let width = usize::from(buffer.area.width);
        let text: Vec<String> = buffer
            .content
            .chunks(width)
            .map(|row| row.iter().map(|cell| cell.symbol()).collect())
            .collect();
        self.frames.send_replace(text.join("\n"));
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

/// Keys typed one at a time, as the terminal would report them.
pub struct Keyboard(mpsc::UnboundedSender<io::Result<TermEvent>>);

impl Keyboard {
    pub fn press(&self, code: KeyCode) {
        let key = KeyEvent::new(code, KeyModifiers::NONE);
        self.0.send(Ok(TermEvent::Key(key))).unwrap();
    }

    pub fn type_text(&self, text: &str) {
        text.chars().for_each(|c| self.press(KeyCode::Char(c)));
    }
}

/// What a test drives the real loop with: the screen, the frames it draws, the keyboard
/// and the key stream the loop reads, and the dashboard's options.
pub struct Harness {
    pub screen: Recorder,
    pub frames: watch::Receiver<String>,
    pub keys: Keyboard,
    pub input: Pin<Box<dyn Stream<Item = io::Result<TermEvent>> + Send>>,
    pub options: ui::Options,
}

/// A `width`×`height` test terminal for a dashboard titled `title` (1 s sweeps, UTC).
pub fn harness(width: u16, height: u16, title: &str) -> Harness {
    let (frames_tx, frames) = watch::channel(String::new());
    let screen = Recorder {
        term: ratatui::Terminal::new(TestBackend::new(width, height)).unwrap(),
        frames: frames_tx,
    };
    let (keys_tx, keys_rx) = mpsc::unbounded_channel();
    let input = Box::pin(futures::stream::unfold(keys_rx, |mut rx| async move {
        rx.recv().await.map(|key| (key, rx))
    }));
    let options = ui::Options {
        title: title.into(),
        interval: Duration::from_secs(1),
        read_only: false,
        utc: true,
    };
    Harness {
        screen,
        frames,
        keys: Keyboard(keys_tx),
        input,
        options,
    }
}

/// The next frame `ok` accepts (the frames come from the loop, not from a clock).
pub async fn wait_for(
    frames: &mut watch::Receiver<String>,
    what: &str,
    ok: impl Fn(&str) -> bool,
) -> String {
    let seen = tokio::time::timeout(Duration::from_secs(30), frames.wait_for(|f| ok(f))).await;
    let found = seen.ok().and_then(Result::ok).map(|frame| frame.clone());
    if let Some(frame) = found {
        return frame;
    }
    panic!("no frame with {what}; the last one:\n{}", *frames.borrow())
}
