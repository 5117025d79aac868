//! The `fleetdash` binary: parse arguments, dispatch. Everything else lives in the library.

use std::process::ExitCode;

use clap::Parser;
use fleetdash::cli::Cli;

fn main() -> ExitCode {
    let _ = color_eyre::install();
    let cli = Cli::parse();
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
