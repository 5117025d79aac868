//! Inventory loading benchmark: `cargo bench --bench inventory [-- N]` (default 10,000
//! hosts). Writes an Ansible inventory of N hosts in 50 site groups under two parents
//! (INI, with `[group:vars]`), `group_vars/` for every group and `all`, and `host_vars/`
//! for one host in ten, then times `Inventory::load` (best of 5) next to `ansible-inventory
//! -i DIR/hosts --list` on the same files (best of 3) when the oracle virtualenv is there
//! (`$FLEETDASH_ORACLE_VENV`, else target/oracle-venv). Prints numbers; asserts nothing.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use fleetdash::inventory::Inventory;

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

fn best(runs: usize, mut f: impl FnMut()) -> Duration {
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .unwrap()
}

fn main() {
    let n = std::env::args()
        .skip(1)
        .find_map(|a| a.parse::<usize>().ok())
        .unwrap_or(10_000);
    let dir = tempfile::tempdir().unwrap();
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
