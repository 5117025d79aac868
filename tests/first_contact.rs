//! A user error is one clear line on stderr and exit 2: no backtrace (also with
//! RUST_BACKTRACE=1), no "Backtrace omitted" hint, no colour codes when stderr is not a
//! terminal. Run through the real binary, as a user meets it.

mod common;

use std::net::TcpListener;
use std::path::Path;
use std::process::Command;

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn user_errors_are_one_line_exit_2_without_backtrace_or_colour() {
    let dir = tempfile::tempdir().unwrap();
    let inv = write(
        dir.path(),
        "inv.yaml",
        "groups:\n  fra: {}\ndevices:\n  - {name: fra-1, host: 127.0.0.1, groups: [fra]}\n",
    );
    let missing = dir
        .path()
        .join("missing.yaml")
        .to_string_lossy()
        .into_owned();
    // A port in use: a listener of ours where the lab wants to listen.
    let base = common::block();
    let busy = TcpListener::bind((base, 0)).unwrap();
    let port = busy.local_addr().unwrap().port().to_string();
    let base = base.to_string();
    let cases: &[(&[&str], &str)] = &[
        (
            &["lab", "--devices", "1", "--base", &base, "--port", &port],
            "cannot listen on",
        ),
        (&["lab", "--scenario", &missing], "missing.yaml"),
        (&["lab", "--authorized-keys", &missing], "missing.yaml"),
        (&[&missing], "missing.yaml"),
        (&["sweep", &inv, "--limit", "tag:role"], "needs a value"),
        (&["sweep", &inv, "--limit", "fra-[a"], "bad glob"),
        (
            &["sweep", &inv, "--limit", "core"],
            "no group, device or tag matches `core`",
        ),
        (
            &["exec", &inv, "--limit", "core", "--", "show clock"],
            "`core`",
        ),
    ];
    for backtrace in ["0", "1", "full"] {
        for (args, says) in cases {
            let out = Command::new(env!("CARGO_BIN_EXE_fleetdash"))
                .args(*args)
                .env("RUST_BACKTRACE", backtrace)
                .env("RUST_LIB_BACKTRACE", backtrace)
                .env_remove("NO_COLOR")
                .env("XDG_STATE_HOME", dir.path())
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            let what = format!("{args:?} RUST_BACKTRACE={backtrace}: {stderr:?}");
            assert_eq!(out.status.code(), Some(2), "{what}");
            assert!(stderr.starts_with("error: "), "{what}");
            assert!(stderr.contains(says), "{what}");
            // One message; a `help:` line under it says how to fix it.
            let message = stderr.lines().filter(|l| !l.starts_with("  help: "));
            assert_eq!(message.count(), 1, "one message: {what}");
            assert!(
                !stderr.contains('\u{1b}'),
                "no colour off a terminal: {what}"
            );
            for noise in ["acktrace", "Location", "RUST_BACKTRACE", "panicked"] {
                assert!(!stderr.contains(noise), "{noise}: {what}");
            }
        }
    }
    drop(busy);
}
