//! The real binary: `fleetdash platforms`, the user's platform directory installed at the
//! start of every command (a bad file is a user error), and `check` refusing a platform no
//! file defines.

mod common;

use std::path::Path;
use std::process::Output;

/// Runs fleetdash with `config` as `$XDG_CONFIG_HOME` (and a state dir beside it).
fn fleetdash(config: &Path, args: &[&str]) -> Output {
    common::fleetdash()
        .args(args)
        .env("XDG_CONFIG_HOME", config)
        .env("XDG_STATE_HOME", config.join("state"))
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE")
        .output()
        .expect("run fleetdash")
}

fn platforms_dir(config: &Path) -> std::path::PathBuf {
    let dir = config.join("fleetdash").join("platforms");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn platforms_lists_builtins_and_the_users_own_with_their_files() {
    let config = tempfile::tempdir().unwrap();
    let dir = platforms_dir(config.path());
    let mine = dir.join("acme_os.yaml");
    std::fs::write(
        &mine,
        "name: acme_os\ndescription: Acme OS\ntransport: exec\nprompt:\n  pattern: '>$'\n",
    )
    .unwrap();
    let out = fleetdash(config.path(), &["platforms", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let rows: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let acme = rows.iter().find(|r| r["name"] == "acme_os").unwrap();
    assert_eq!(acme["transport"], "exec");
    assert_eq!(acme["source"], mine.display().to_string());
    let xr = rows.iter().find(|r| r["name"] == "cisco_xr").unwrap();
    assert_eq!(xr["source"], "built-in assets/platforms/cisco_xr.yaml");
    let table = fleetdash(config.path(), &["platforms"]);
    assert!(text(&table.stdout).contains("Acme OS"));
}

#[test]
fn a_bad_user_platform_file_is_a_located_user_error_for_every_command() {
    let config = tempfile::tempdir().unwrap();
    let dir = platforms_dir(config.path());
    std::fs::write(
        dir.join("acme_os.yaml"),
        "name: acme_os\ndescription: Acme\ntransport: shell\nprompt:\n  patern: '#$'\n",
    )
    .unwrap();
    let inv = config.path().join("inv.yaml");
    std::fs::write(&inv, "devices:\n  - {name: r1, host: 127.0.0.1}\n").unwrap();
    let inv = inv.to_string_lossy().into_owned();
    for args in [vec!["platforms"], vec!["check", &inv]] {
        let out = fleetdash(config.path(), &args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("acme_os.yaml:5:3: unknown field `patern`"),
            "{err}"
        );
        assert!(err.contains("did you mean `pattern`?"), "{err}");
        assert!(
            !err.contains("panicked") && !err.contains("BACKTRACE"),
            "{err}"
        );
    }
}

#[test]
fn check_refuses_an_unknown_platform_with_a_suggestion() {
    let config = tempfile::tempdir().unwrap();
    let inv = config.path().join("inv.yaml");
    std::fs::write(
        &inv,
        "devices:\n  - {name: r1, host: 127.0.0.1, platform: cisco_xr}\n  - name: r2\n    host: 127.0.0.2\n    platform: huawei_vpr\n",
    )
    .unwrap();
    let out = fleetdash(config.path(), &["check", &inv.to_string_lossy()]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("inv.yaml:5:15: unknown platform `huawei_vpr`"),
        "{err}"
    );
    assert!(err.contains("did you mean `huawei_vrp`?"), "{err}");
    assert!(err.contains("known platforms: arista_eos, "), "{err}");
    assert!(out.stdout.is_empty());
}
