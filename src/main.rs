//! The `fleetdash` binary: parse arguments, dispatch. Everything else lives in the library.

use std::process::ExitCode;

use clap::Parser;
use fleetdash::cli::Cli;

// Loading a big inventory and thousands of SSH sessions are many small allocations;
// mimalloc does them with far less time in free and consolidation than glibc's malloc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // Panics are bugs: their report (with a backtrace under RUST_BACKTRACE) is for us, in
    // colour only on a terminal and never under NO_COLOR.
    let theme = match fleetdash::base::colour::on_stderr() {
        true => color_eyre::config::Theme::dark(),
        false => color_eyre::config::Theme::new(),
    };
    let _ = color_eyre::config::HookBuilder::default()
        .theme(theme)
        .install();
    let cli = Cli::parse();
    // Before anything runs, so no diagnostic ever reaches the terminal under the dashboard.
    let log = cli.log.config();
    // A log file asked for must open; the default one is best effort (said only with -v).
    match fleetdash::logging::init(&log) {
        Err(err) if log.file.is_some() => {
            eprintln!("error: {err}");
            return ExitCode::from(fleetdash::base::exit::USAGE);
        }
        Err(err) if log.verbosity > 0 => eprintln!("warning: {err}"),
        _ => {}
    }
    let runtime = match fleetdash::runtime(cli.command.as_ref()) {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(fleetdash::run(cli)) {
        Ok(code) => code,
        // An error that reached here is the user's or the machine's (a port in use, a file
        // missing, no terminal): one line, what and why, never a backtrace.
        Err(report) => {
            eprintln!("error: {}", causes(&report));
            ExitCode::from(fleetdash::base::exit::USAGE)
        }
    }
}

/// The report's chain of causes on one line, each said once (many messages already
/// include their source).
fn causes(report: &color_eyre::Report) -> String {
    let mut line = String::new();
    for cause in report.chain() {
        let text = cause.to_string();
        if !line.contains(&text) {
            if !line.is_empty() {
                line.push_str(": ");
            }
            line.push_str(&text);
        }
    }
    line
}
