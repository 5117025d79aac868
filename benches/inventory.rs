//! Inventory loading benchmark: `cargo bench --bench inventory [-- N]` (default 10,000
//! hosts). First fleetdash's own YAML (the shape `fleetdash lab` writes: groups, tags, a
//! probe per device) at N and 10×N devices: load time (best of 5, wall clock and this
//! thread's CPU time, which a loaded machine does not stretch; the load average is printed)
//! against the budget (20 ms per 10,000) and the memory the load adds (peak RSS above the
//! RSS before it, in a child process that does nothing else). Then an Ansible inventory of
//! N hosts in 50 site groups under two parents (INI, with `[group:vars]`), `group_vars/`
//! for every group and `all`, and `host_vars/` for one host in ten, then times
//! `Inventory::load` (best of 5) next to `ansible-inventory -i DIR/hosts --list` on the same
//! files (best of 3) when the oracle virtualenv is there (`$FLEETDASH_ORACLE_VENV`, else
//! target/oracle-venv). Prints numbers; asserts nothing.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use fleetdash::inventory::Inventory;

// The binary's allocator, so the load is timed as `fleetdash` does it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn write_inventory(dir: &Path, n: usize) {
    let sites = 50;
    let mut ini = String::from("[all:vars]\nansible_user=netops\n\n");
    for s in 0..sites {
        let _ = writeln!(ini, "[site{s:02}]");
        for i in (0..n).filter(|i| i % sites == s) {
            let _ = writeln!(
                ini,
                "rtr{i:05} ansible_host=127.40.{}.{} rack={}",
                i / 250,
                i % 250 + 1,
                i % 40
            );
        }
        let _ = writeln!(
            ini,
            "\n[site{s:02}:vars]\nsite=site{s:02}\nansible_network_os=cisco.ios.ios\n"
        );
    }
    for parent in ["europe", "america"] {
        let _ = writeln!(ini, "[{parent}:children]");
        for s in (0..sites).filter(|s| (s % 2 == 0) == (parent == "europe")) {
            let _ = writeln!(ini, "site{s:02}");
        }
        ini.push('\n');
    }
    std::fs::write(dir.join("hosts"), ini).unwrap();
    let gv = dir.join("group_vars");
    std::fs::create_dir_all(&gv).unwrap();
    std::fs::write(
        gv.join("all.yml"),
        "ntp: 127.40.255.1\nsyslog: 127.40.255.2\n",
    )
    .unwrap();
    for s in 0..sites {
        std::fs::write(
            gv.join(format!("site{s:02}.yml")),
            format!("snmp_location: rack-row-{s}\nansible_port: 22\n"),
        )
        .unwrap();
    }
    std::fs::write(
        gv.join("europe.yml"),
        "region: eu\nansible_ssh_common_args: -o ProxyJump=127.40.254.1\n",
    )
    .unwrap();
    std::fs::write(gv.join("america.yml"), "region: us\n").unwrap();
    let hv = dir.join("host_vars");
    std::fs::create_dir_all(&hv).unwrap();
    for i in (0..n).step_by(10) {
        std::fs::write(hv.join(format!("rtr{i:05}.yml")), "serial: FDO1234\n").unwrap();
    }
}

fn best(runs: usize, f: impl FnMut()) -> Duration {
    best_with_cpu(runs, f).0
}

/// The CPU time this thread has run, from the kernel's scheduler statistics (not the wall
/// clock, which other processes on a loaded machine stretch).
fn thread_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap_or_default();
    let ns = stat.split_whitespace().next().and_then(|n| n.parse().ok());
    Duration::from_nanos(ns.unwrap_or(0))
}

/// The shortest wall time and the shortest CPU time over `runs` runs of `f`.
fn best_with_cpu(runs: usize, mut f: impl FnMut()) -> (Duration, Duration) {
    let runs: Vec<(Duration, Duration)> = (0..runs)
        .map(|_| {
            let (t, cpu) = (Instant::now(), thread_cpu());
            f();
            (t.elapsed(), thread_cpu().saturating_sub(cpu))
        })
        .collect();
    (
        runs.iter().map(|r| r.0).min().unwrap(),
        runs.iter().map(|r| r.1).min().unwrap(),
    )
}

/// The own format as `fleetdash lab --write-inventory` writes it, for `n` devices.
fn write_own(path: &Path, n: usize) {
    let mut y = String::from(
        "defaults:\n  username: admin\n  password_env: FLEETDASH_PASSWORD\ngroups:\n  \
         role-host:\n    tags:\n      role: host\n",
    );
    for s in 0..50 {
        let _ = write!(y, "  site-s{s:02}:\n    tags:\n      site: s{s:02}\n");
    }
    y.push_str("devices:\n");
    for i in 0..n {
        let a = i + 1;
        let _ = write!(
            y,
            "- name: s{:02}-host{i}\n  host: 127.{}.{}.{}\n  port: 2222\n  platform: linux\n  \
             probe: icmp\n  groups:\n  - site-s{:02}\n  - role-host\n  tags:\n    role: host\n    \
             site: s{:02}\n",
            i % 50,
            30 + a / 65536,
            (a / 256) % 256,
            a % 256,
            i % 50,
            i % 50
        );
    }
    std::fs::write(path, y).unwrap();
}

fn status_kib(key: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with(key)).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// In the child: load once, print the KiB the load added to the peak RSS.
fn child(path: &Path) {
    let before = status_kib("VmRSS:");
    let inv = Inventory::load(path).unwrap();
    let peak = status_kib("VmHWM:");
    println!("{} {}", inv.devices.len(), peak.saturating_sub(before));
}

fn own(n: usize, dir: &Path) {
    let path = dir.join(format!("own-{n}.yaml"));
    write_own(&path, n);
    let (took, cpu) = best_with_cpu(5, || {
        assert_eq!(Inventory::load(&path).unwrap().devices.len(), n);
    });
    let out = Command::new(std::env::current_exe().unwrap())
        .arg("--child")
        .arg(&path)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&out.stdout);
    let kib: f64 = out
        .split_whitespace()
        .nth(1)
        .and_then(|k| k.parse().ok())
        .unwrap_or(f64::NAN);
    let budget_ms = 20.0 * n as f64 / 10_000.0;
    let ms = took.as_secs_f64() * 1e3;
    let cpu_ms = cpu.as_secs_f64() * 1e3;
    println!(
        "inventory: own YAML, {n} devices ({:.1} MiB): load {ms:.1} ms (budget {budget_ms:.0} ms, \
         ratio {:.2}; CPU time {cpu_ms:.1} ms, ratio {:.2}), {:.1} MiB extra peak RSS (load {})",
        std::fs::metadata(&path).unwrap().len() as f64 / 1048576.0,
        ms / budget_ms,
        cpu_ms / budget_ms,
        kib / 1024.0,
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .split(' ')
            .next()
            .unwrap_or("?")
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        return child(Path::new(&args[i + 1]));
    }
    let n = args
        .iter()
        .skip(1)
        .find_map(|a| a.parse::<usize>().ok())
        .unwrap_or(10_000);
    let dir = tempfile::tempdir().unwrap();
    own(n, dir.path());
    own(n * 10, dir.path());
    write_inventory(dir.path(), n);
    let hosts = dir.path().join("hosts");
    let inv = Inventory::load(&hosts).unwrap();
    assert_eq!(inv.devices.len(), n);
    let ours = best(5, || {
        Inventory::load(&hosts).unwrap();
    });
    let files = inv.provenance.files.len();
    println!(
        "inventory: fleetdash loads {n} Ansible hosts ({files} files: INI + group_vars + host_vars) in {:.1} ms",
        ours.as_secs_f64() * 1e3
    );
    let venv = std::env::var_os("FLEETDASH_ORACLE_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/oracle-venv"));
    let tool = venv.join("bin/ansible-inventory");
    if !tool.is_file() {
        println!(
            "inventory: ansible-inventory not found under {} (skipped)",
            venv.display()
        );
        return;
    }
    let theirs = best(3, || {
        let status = Command::new(&tool)
            .arg("-i")
            .arg(&hosts)
            .arg("--list")
            .current_dir(dir.path())
            .env("ANSIBLE_HOME", dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success());
    });
    println!(
        "inventory: ansible-inventory --list on the same files: {:.1} ms (ratio {:.1}× in fleetdash's favour)",
        theirs.as_secs_f64() * 1e3,
        theirs.as_secs_f64() / ours.as_secs_f64()
    );
}
