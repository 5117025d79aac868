//! Sweep benchmark: `cargo bench --bench sweep [-- N]` (default 10,000 targets).
//!
//! One unpaced ICMP sweep of N loopback addresses (127.21.0.0/16), then fping on the same
//! addresses when installed. Not a timed test: it prints numbers, it does not assert them.

use fleetdash::probe::bench_sweep;

#[tokio::main]
async fn main() {
    // `cargo bench` passes `--bench`; the first plain number is the target count.
    let n = std::env::args()
        .skip(1)
        .find_map(|a| a.parse::<usize>().ok())
        .unwrap_or(10_000);
    println!("{}", bench_sweep(n).await);
}
