//! Helper binary for `benches/exec/run.sh`: `lab …` runs the device lab and `exec …` runs
//! `fleetdash exec`, with the same arguments as those subcommands, for as long as the main
//! binary does not have them. `cargo bench --bench exec` alone prints how to run the bench.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use fleetdash::headless::exec::ExecArgs;
use fleetdash::lab::LabArgs;

#[derive(Parser)]
#[command(name = "exec-bench")]
struct Cli {
    #[command(subcommand)]
    command: Option<Sub>,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

#[derive(Subcommand)]
enum Sub {
    Lab(LabArgs),
    Exec(ExecArgs),
}

fn main() -> color_eyre::Result<ExitCode> {
    color_eyre::install()?;
    let cli = Cli::parse();
    let runtime = tokio::runtime::Runtime::new()?;
    match cli.command {
        Some(Sub::Lab(args)) => runtime
            .block_on(fleetdash::lab::run(args))
            .map(|()| ExitCode::SUCCESS),
        Some(Sub::Exec(args)) => runtime.block_on(fleetdash::headless::exec::run(args)),
        None => {
            println!(
                "exec benchmark: run benches/exec/run.sh (starts a lab, runs fleetdash and asyncssh)"
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
