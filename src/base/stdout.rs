//! Printing results to stdout when stdout may be a pipe that closed (`fleetdash sweep … |
//! head -1`). `print!` panics there; [`print`] stops printing quietly instead, so the
//! command ends with its usual status and no backtrace. Other write errors (a full disk)
//! are reported once on stderr.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once stdout failed: nothing more is written to it.
static CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes `text` to stdout and flushes it. Returns `false` when stdout is closed (now or
/// before): the caller may stop producing output, but should finish its work.
pub fn print(text: &str) -> bool {
    write_to(&mut io::stdout().lock(), text)
}

/// [`print`] with a newline.
pub fn println(line: &str) -> bool {
    let mut out = io::stdout().lock();
    write_to(&mut out, line) && write_to(&mut out, "\n")
}

fn write_to(out: &mut impl Write, text: &str) -> bool {
    if CLOSED.load(Ordering::Relaxed) {
        return false;
    }
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => true,
        Err(e) => {
            CLOSED.store(true, Ordering::Relaxed);
            if e.kind() != io::ErrorKind::BrokenPipe {
                // `eprintln!` would panic in turn if stderr is closed too.
                let _ = writeln!(io::stderr(), "error: cannot write to stdout: {e}");
            }
            false
        }
    }
}
