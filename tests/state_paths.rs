//! With no usable home (HOME unset, empty or relative, and no absolute XDG_STATE_HOME)
//! fleetdash has nowhere to keep journals and learned host keys: every command that needs
//! them says so and exits 2, and nothing is written into the current directory.

mod common;

use std::path::Path;

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn no_home_stops_with_a_clear_error_and_writes_nothing_here() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path().join("cwd");
    std::fs::create_dir(&cwd).unwrap();
    // Loopback only; nothing is contacted, since the error comes first.
    let inv = write(
        dir.path(),
        "inv.yaml",
        "devices:\n  - {name: r1, host: 127.22.9.1}\n",
    );
    let plan = write(
        dir.path(),
        "plan.yaml",
        "name: p\ntarget: all\nstrategy: {canary: 1}\nsteps:\n  - show clock\n",
    );
    let journal = dir.path().join("j.jsonl").to_string_lossy().into_owned();
    let exec = ["exec", &inv, "--limit", "all", "--", "show", "clock"];
    let exec_j = [
        "exec",
        &inv,
        "--limit",
        "all",
        "--journal",
        &journal,
        "--",
        "show",
        "clock",
    ];
    let rollout = ["rollout", &plan, "--inventory", &inv, "--headless", "--yes"];
    let rollout_j = [&rollout[..], &["--journal", &journal]].concat();
    let homes: [Option<&str>; 3] = [None, Some(""), Some("relative/home")];
    for home in homes {
        for args in [&exec[..], &exec_j[..], &rollout[..], &rollout_j[..]] {
            let mut cmd = common::fleetdash();
            cmd.args(args)
                .current_dir(&cwd)
                .env_remove("XDG_STATE_HOME")
                .env_remove("HOME");
            if let Some(home) = home {
                cmd.env("HOME", home);
            }
            let out = cmd.output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{home:?} {args:?}: {err}");
            assert!(
                err.contains("no place for fleetdash's state") && err.contains("set one of them"),
                "{home:?} {args:?}: {err}"
            );
            assert!(
                !err.contains("panicked") && !err.contains("Location:"),
                "{err}"
            );
            let left: Vec<_> = std::fs::read_dir(&cwd).unwrap().collect();
            assert!(
                left.is_empty(),
                "{home:?} {args:?} wrote into the current directory: {left:?}"
            );
        }
    }
}
