//! The `fleetdash` binary: parse arguments, dispatch. Everything else lives in the library.

use std::process::ExitCode;

use clap::Parser;
use fleetdash::cli::Cli;

fn main() -> ExitCode {
    let _ = color_eyre::install();
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
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(fleetdash::run(cli)) {
        Ok(code) => code,
        Err(report) => {
            eprintln!("error: {report:?}");
            ExitCode::FAILURE
        }
    }
}
