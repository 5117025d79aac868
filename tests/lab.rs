//! The device lab, tested from the outside: real SSH clients (russh and OpenSSH's `ssh`)
//! against lab devices on loopback, one behaviour (or fault) per test.

mod common;

use std::net::{Ipv4Addr, SocketAddr};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fleetdash::lab::{Lab, LabConfig, Via};
use russh::client::{self, Handle};
use russh::keys::{PublicKey, PublicKeyOrCertificate};
use russh::{ChannelMsg, Disconnect};
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

/// Scenario used by most tests: one site, every platform, one device per fault.
const SCENARIO: &str = r#"
name: test
sites: [t]
roles:
  - {role: ios, platform: cisco_ios, count: 1}
  - {role: eos, platform: arista_eos, count: 1}
  - {role: junos, platform: juniper_junos, count: 1}
  - {role: linux, platform: linux, count: 1}
  - {role: faulty, platform: cisco_ios, count: 10}
topology:
  mesh: [eos]
  uplinks:
    - {from: ios, to: eos, count: 1}
    - {from: junos, to: eos, count: 1}
faults:
  - devices: [t-faulty1]
    latency: 300ms
  - devices: [t-faulty2]
    slow_login: 300ms
  - devices: [t-faulty3]
    auth_failure: true
  - devices: [t-faulty4]
    tarpit: true
  - devices: [t-faulty5]
    drop_mid_command: ["show running-config"]
  - devices: [t-faulty6]
    flap: {up: 300ms, down: 300ms}
  - devices: [t-faulty7]
    huge_output: {command: "show tech-support", bytes: 3000000}
  - devices: [t-faulty8]
    control_bytes: true
  - devices: [t-faulty9]
    host_key_change_after: 2
    fail_after_config: ["show ip interface brief"]
  - devices: [t-faulty10]
    max_sessions: 1
"#;

/// The test lab on a fresh loopback block (see `common`), a free port per device.
fn lab(keys: Vec<PublicKey>) -> common::LabBuilder {
    common::lab(SCENARIO)
        .devices(14)
        .seed(7)
        .with(|cfg| cfg.authorized_keys = keys)
}

async fn start(keys: Vec<PublicKey>) -> Lab {
    lab(keys).start().await
}

fn addr(lab: &Lab, name: &str) -> SocketAddr {
    lab.device(name).unwrap().addr
}

struct Client {
    seen: Arc<Mutex<Option<PublicKey>>>,
}

impl client::Handler for Client {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        if let PublicKeyOrCertificate::PublicKey { key, .. } = key {
            *self.seen.lock().unwrap() = Some(key.clone());
        }
        Ok(true)
    }
}

/// Connects (no auth yet); returns the handle and the host key the server showed.
async fn connect(addr: SocketAddr) -> Result<(Handle<Client>, PublicKey), russh::Error> {
    let seen = Arc::new(Mutex::new(None));
    let cfg = Arc::new(client::Config::default());
    let h = tokio::time::timeout(
        Duration::from_secs(5),
        client::connect(cfg, addr, Client { seen: seen.clone() }),
    )
    .await
    .map_err(|_| russh::Error::ConnectionTimeout)??;
    let key = seen.lock().unwrap().clone().unwrap();
    Ok((h, key))
}

async fn login(addr: SocketAddr) -> Handle<Client> {
    let (mut h, _) = connect(addr).await.unwrap();
    let r = h.authenticate_password("admin", "admin").await.unwrap();
    assert!(r.success(), "login to {addr} failed");
    h
}

/// Runs one exec request: (stdout, exit status if the device sent one).
async fn exec(h: &Handle<Client>, cmd: &str) -> (String, Option<u32>) {
    let mut ch = h.channel_open_session().await.unwrap();
    ch.exec(true, cmd).await.unwrap();
    let mut out = Vec::new();
    let mut status = None;
    while let Ok(Some(msg)) = tokio::time::timeout(Duration::from_secs(10), ch.wait()).await {
        match msg {
            ChannelMsg::Data { data } => out.extend_from_slice(&data),
            ChannelMsg::ExitStatus { exit_status } => status = Some(exit_status),
            ChannelMsg::Close => break,
            _ => {}
        }
    }
    (String::from_utf8_lossy(&out).into_owned(), status)
}

async fn exec_on(lab: &Lab, name: &str, cmd: &str) -> (String, Option<u32>) {
    let h = login(addr(lab, name)).await;
    let r = exec(&h, cmd).await;
    let _ = h.disconnect(Disconnect::ByApplication, "", "").await;
    r
}

/// An interactive PTY shell driven line by line.
struct Shell {
    ch: russh::Channel<client::Msg>,
    _h: Handle<Client>,
}

impl Shell {
    async fn open(addr: SocketAddr) -> Shell {
        let h = login(addr).await;
        let ch = h.channel_open_session().await.unwrap();
        ch.request_pty(true, "vt100", 80, 24, 0, 0, &[])
            .await
            .unwrap();
        ch.request_shell(true).await.unwrap();
        Shell { ch, _h: h }
    }

    /// Reads until the output ends with `until`.
    async fn read_until(&mut self, until: &str) -> String {
        let mut out = String::new();
        while !out.ends_with(until) {
            match tokio::time::timeout(Duration::from_secs(5), self.ch.wait()).await {
                Ok(Some(ChannelMsg::Data { data })) => {
                    out.push_str(&String::from_utf8_lossy(&data))
                }
                Ok(Some(_)) => {}
                _ => panic!("no {until:?} in {out:?}"),
            }
        }
        out
    }

    async fn send(&mut self, text: &str) {
        self.ch.data(text.as_bytes()).await.unwrap();
    }

    async fn cmd(&mut self, line: &str, prompt: &str) -> String {
        self.send(&format!("{line}\r")).await;
        self.read_until(prompt).await
    }
}

#[tokio::test]
async fn ios_shell_modes_config_state_and_command_records() {
    let lab = start(vec![]).await;
    let mut sh = Shell::open(addr(&lab, "t-ios1")).await;
    sh.read_until("t-ios1>").await;
    sh.cmd("enable", "Password: ").await;
    sh.cmd("admin", "t-ios1#").await;
    let out = sh.cmd("configure terminal", "t-ios1(config)#").await;
    assert!(out.contains("Enter configuration commands"), "{out}");
    sh.cmd("interface gi0/3", "t-ios1(config-if)#").await;
    sh.cmd("description rollout-42", "t-ios1(config-if)#").await;
    sh.cmd("no shutdown", "t-ios1(config-if)#").await;
    sh.cmd("exit", "t-ios1(config)#").await;
    sh.cmd("hostname edge-x", "edge-x(config)#").await;
    sh.cmd("end", "edge-x#").await;
    sh.cmd("terminal length 0", "edge-x#").await;
    let run = sh.cmd("show running-config", "edge-x#").await;
    assert!(
        run.contains("interface GigabitEthernet0/3\r\n description rollout-42\r\n!\r\n"),
        "{run}"
    );
    assert!(run.contains("hostname edge-x"), "{run}");
    let bad = sh.cmd("show foo", "edge-x#").await;
    // The caret sits under "foo": prompt (7) + "show " (5) columns in.
    assert!(
        bad.contains(&format!(
            "\r\n{}^\r\n% Invalid input detected at '^' marker.",
            " ".repeat(12)
        )),
        "{bad:?}"
    );
    let recs = lab.commands("t-ios1");
    let texts: Vec<&str> = recs.iter().map(|r| r.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "enable",
            "configure terminal",
            "interface gi0/3",
            "description rollout-42",
            "no shutdown",
            "exit",
            "hostname edge-x",
            "end",
            "terminal length 0",
            "show running-config",
            "show foo"
        ],
        "the enable password is not recorded"
    );
    assert_eq!(recs[3].mode, "config-if");
    assert!(recs.iter().all(|r| r.via == Via::Shell));
    assert_eq!(lab.command_count("t-ios1", "show running-config"), 1);
    assert!(
        lab.config_text("t-ios1")
            .unwrap()
            .contains(" description rollout-42")
    );
    lab.stop().await;
}

#[tokio::test]
async fn paging_until_disabled() {
    let lab = start(vec![]).await;
    let mut sh = Shell::open(addr(&lab, "t-eos1")).await;
    sh.read_until("t-eos1>").await;
    sh.cmd("enable", "t-eos1#").await;
    sh.send("show running-config\r").await;
    let first = sh.read_until(" --More-- ").await;
    assert_eq!(
        first.matches("\r\n").count(),
        24,
        "one page of 23 lines: {first:?}"
    );
    sh.send(" ").await;
    let rest = sh.read_until("t-eos1#").await;
    assert!(
        rest.contains("\r\nend\r\n"),
        "space shows the rest: {rest:?}"
    );
    sh.send("show running-config\r").await;
    sh.read_until(" --More-- ").await;
    sh.send("q").await;
    let rest = sh.read_until("t-eos1#").await;
    assert!(!rest.contains("\r\nend\r\n"), "q stops the output");
    sh.cmd("terminal length 0", "t-eos1#").await;
    let all = sh.cmd("show running-config", "t-eos1#").await;
    assert!(!all.contains("--More--"));
    assert!(all.contains("\r\nend\r\n"), "{all}");
    lab.stop().await;
}

#[tokio::test]
async fn exec_outputs_per_platform_and_lldp_follows_topology() {
    let lab = start(vec![]).await;
    let (v, st) = exec_on(&lab, "t-ios1", "show version").await;
    assert!(
        v.contains("Cisco IOS Software") && v.contains("t-ios1 uptime is"),
        "{v}"
    );
    assert_eq!(st, Some(0));
    let (v2, _) = exec_on(&lab, "t-ios1", "sh ver").await;
    assert_eq!(v.lines().next(), v2.lines().next(), "abbreviations expand");
    let (l, _) = exec_on(&lab, "t-ios1", "show lldp neighbors").await;
    assert!(
        l.contains("t-eos1") && l.contains("Total entries displayed: 1"),
        "{l}"
    );
    let (l, _) = exec_on(&lab, "t-eos1", "show lldp neighbors").await;
    for n in ["t-ios1", "t-junos1"] {
        assert!(l.contains(n), "{n} missing in {l}");
    }
    let (bad, st) = exec_on(&lab, "t-ios1", "show foo").await;
    assert!(
        bad.contains("     ^\n% Invalid input detected at '^' marker."),
        "{bad}"
    );
    assert_eq!(st, Some(1));
    let (j, _) = exec_on(&lab, "t-junos1", "show version").await;
    assert!(j.contains("Junos: 21.4R3"), "{j}");
    let (j, _) = exec_on(
        &lab,
        "t-junos1",
        "configure\nset system host-name jx\ncommit\nexit\nshow configuration | display set",
    )
    .await;
    assert!(
        j.contains("commit complete") && j.contains("set system host-name jx"),
        "{j}"
    );
    let (u, st) = exec_on(&lab, "t-linux1", "uname -a").await;
    assert!(u.starts_with("Linux t-linux1 "), "{u}");
    assert_eq!(st, Some(0));
    let (_, st) = exec_on(&lab, "t-linux1", "nosuchcommand").await;
    assert_eq!(st, Some(127));
    let recs = lab.commands("t-linux1");
    assert_eq!(recs.len(), 2);
    assert!(recs.iter().all(|r| r.via == Via::Exec));
    lab.stop().await;
}

#[tokio::test]
async fn junos_keyboard_interactive_and_prompt() {
    let lab = start(vec![]).await;
    let (mut h, _) = connect(addr(&lab, "t-junos1")).await.unwrap();
    let r = h
        .authenticate_keyboard_interactive_start("admin", None)
        .await
        .unwrap();
    assert!(matches!(
        r,
        client::KeyboardInteractiveAuthResponse::InfoRequest { .. }
    ));
    let r = h
        .authenticate_keyboard_interactive_respond(vec!["admin".into()])
        .await
        .unwrap();
    assert!(matches!(
        r,
        client::KeyboardInteractiveAuthResponse::Success
    ));
    let mut sh = Shell::open(addr(&lab, "t-junos1")).await;
    sh.read_until("admin@t-junos1> ").await;
    let out = sh.cmd("configure", "admin@t-junos1# ").await;
    assert!(out.contains("[edit]"), "{out}");
    lab.stop().await;
}

#[tokio::test]
async fn host_keys_are_stable_and_known_hosts_matches() {
    let cfg = lab(vec![]).config();
    let lab = Lab::start(cfg.clone()).await.unwrap();
    let (_, key) = connect(addr(&lab, "t-ios1")).await.unwrap();
    assert_eq!(
        key.key_data(),
        lab.device("t-ios1").unwrap().host_key.key_data()
    );
    let kh = lab.known_hosts();
    assert_eq!(kh.lines().count(), 14);
    assert!(kh.starts_with(&format!(
        "[{}]:{} ssh-ed25519 ",
        cfg.base,
        addr(&lab, "t-ios1").port()
    )));
    let first = lab.device("t-ios1").unwrap().host_key.clone();
    lab.stop().await;
    let again = Lab::start(cfg).await.unwrap();
    assert_eq!(
        again.device("t-ios1").unwrap().host_key,
        first,
        "same seed, same key"
    );
    again.stop().await;
}

#[tokio::test]
async fn inventory_lists_devices_with_tcp_probes_and_no_password() {
    let cfg = lab(vec![]).config();
    let lab = Lab::start(cfg.clone()).await.unwrap();
    let inv = lab.inventory_yaml();
    assert!(!inv.contains("password:"), "{inv}");
    let v: serde_yaml::Value = serde_yaml::from_str(&inv).unwrap();
    assert_eq!(v["defaults"]["password_env"], "FLEETDASH_PASSWORD");
    let devices = v["devices"].as_sequence().unwrap();
    assert_eq!(devices.len(), 14);
    let d = &devices[0];
    let port = addr(&lab, "t-ios1").port();
    assert_eq!(d["name"], "t-ios1");
    assert_eq!(
        d["host"],
        cfg.base.to_string().as_str(),
        "the first address of the block"
    );
    assert_eq!(d["probe"], serde_yaml::Value::from(format!("tcp:{port}")));
    assert_eq!(d["platform"], "cisco_ios");
    assert_eq!(d["tags"]["site"], "t");
    assert_eq!(d["tags"]["role"], "ios");
    assert_eq!(v["groups"]["site-t"]["tags"]["site"], "t");
    lab.stop().await;
}

#[tokio::test]
async fn fault_latency_and_slow_login() {
    let lab = start(vec![]).await;
    let h = login(addr(&lab, "t-faulty1")).await;
    let t = Instant::now();
    let (out, _) = exec(&h, "show clock").await;
    assert!(t.elapsed() >= Duration::from_millis(300) && out.contains("UTC"));
    let (mut h, _) = connect(addr(&lab, "t-faulty2")).await.unwrap();
    let t = Instant::now();
    assert!(
        h.authenticate_password("admin", "admin")
            .await
            .unwrap()
            .success()
    );
    assert!(t.elapsed() >= Duration::from_millis(300));
    lab.stop().await;
}

#[tokio::test]
async fn fault_auth_failure_rejects_good_credentials() {
    let lab = start(vec![]).await;
    let (mut h, _) = connect(addr(&lab, "t-faulty3")).await.unwrap();
    assert!(
        !h.authenticate_password("admin", "admin")
            .await
            .unwrap()
            .success()
    );
    let (mut h, _) = connect(addr(&lab, "t-ios1")).await.unwrap();
    assert!(
        !h.authenticate_password("admin", "wrong")
            .await
            .unwrap()
            .success()
    );
    assert_eq!(lab.stats().auth_failures, 2);
    lab.stop().await;
}

/// Reads whatever the server says first, waiting at most `wait`.
async fn first_bytes(addr: SocketAddr, wait: Duration) -> Vec<u8> {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let mut buf = vec![0u8; 64];
    match tokio::time::timeout(wait, s.read(&mut buf)).await {
        Ok(Ok(n)) => buf[..n].to_vec(),
        _ => Vec::new(),
    }
}

#[tokio::test]
async fn fault_tarpit_accepts_but_never_speaks() {
    let lab = start(vec![]).await;
    let normal = first_bytes(addr(&lab, "t-ios1"), Duration::from_secs(5)).await;
    assert!(normal.starts_with(b"SSH-2.0-Cisco"), "{normal:?}");
    let tarpit = first_bytes(addr(&lab, "t-faulty4"), Duration::from_millis(500)).await;
    assert!(tarpit.is_empty(), "{tarpit:?}");
    lab.stop().await;
}

#[tokio::test]
async fn fault_drop_mid_command_cuts_the_connection() {
    let lab = start(vec![]).await;
    let h = login(addr(&lab, "t-faulty5")).await;
    let (out, status) = exec(&h, "show running-config").await;
    assert!(
        out.contains("Building configuration"),
        "some output arrives: {out}"
    );
    assert!(!out.contains("\nend\n"), "but not all of it");
    assert_eq!(status, None, "no exit status: the connection died");
    assert!(h.is_closed() || h.channel_open_session().await.is_err());
    let (ok, _) = exec_on(&lab, "t-faulty5", "show version").await;
    assert!(ok.contains("Cisco IOS"), "other commands work");
    lab.stop().await;
}

#[tokio::test]
async fn fault_flapping_listener_goes_away_and_comes_back() {
    let lab = start(vec![]).await;
    let a = addr(&lab, "t-faulty6");
    let deadline = Instant::now() + Duration::from_secs(10);
    let (mut saw, mut reported_down) = ((false, false), false);
    // Wait for a refused connect (listener closed), then for an accepted one again. The lab
    // reports the down period too (checked apart: the two are read at different instants).
    while Instant::now() < deadline && !(saw.0 && saw.1 && reported_down) {
        reported_down |= lab.is_up("t-faulty6") == Some(false);
        let ok = TcpStream::connect(a).await.is_ok();
        if !ok {
            saw.0 = true;
        } else if saw.0 {
            saw.1 = true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(saw, (true, true));
    assert!(reported_down, "the lab says the device is down while it is");
    lab.stop().await;
}

#[tokio::test]
async fn fault_huge_output_and_control_bytes() {
    let lab = start(vec![]).await;
    let h = login(addr(&lab, "t-faulty7")).await;
    let mut ch = h.channel_open_session().await.unwrap();
    ch.exec(true, "show tech-support").await.unwrap();
    let mut bytes = 0usize;
    while let Some(msg) = ch.wait().await {
        match msg {
            ChannelMsg::Data { data } => bytes += data.len(),
            ChannelMsg::Close => break,
            _ => {}
        }
    }
    assert_eq!(bytes, 3_000_000);
    let (out, _) = exec_on(&lab, "t-faulty8", "show version").await;
    for seq in [
        "\x1b[1;32m",
        "\x1b]0;t-faulty8\x07",
        "\x1b[2K",
        "\x08",
        "\x00",
    ] {
        assert!(out.contains(seq), "{seq:?} missing");
    }
    let (clean, _) = exec_on(&lab, "t-ios1", "show version").await;
    assert!(!clean.contains('\x1b'));
    lab.stop().await;
}

#[tokio::test]
async fn fault_host_key_change_and_fail_after_config() {
    let lab = start(vec![]).await;
    let a = addr(&lab, "t-faulty9");
    let normal = lab.device("t-faulty9").unwrap().host_key.clone();
    let h = login(a).await;
    let (ok, st) = exec(&h, "show ip interface brief").await;
    assert!(ok.contains("Interface") && st == Some(0), "{ok}");
    exec(&h, "configure terminal\nntp server 127.0.0.1\nend").await;
    let (bad, st) = exec(&h, "show ip interface brief").await;
    assert!(bad.starts_with("% Error"), "{bad}");
    assert_eq!(st, Some(1));
    let _second = login(a).await;
    let (_, key) = connect(a).await.unwrap();
    assert_ne!(
        key.key_data(),
        normal.key_data(),
        "third connection: new key"
    );
    lab.stop().await;
}

#[tokio::test]
async fn fault_max_sessions_refuses_the_excess() {
    let lab = start(vec![]).await;
    let a = addr(&lab, "t-faulty10");
    let first = login(a).await;
    assert!(
        connect(a).await.is_err(),
        "second concurrent session refused"
    );
    assert_eq!(lab.stats().refused, 1);
    first
        .disconnect(Disconnect::ByApplication, "", "")
        .await
        .unwrap();
    drop(first);
    let deadline = Instant::now() + Duration::from_secs(5);
    while lab.stats().active_sessions > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let _again = login(a).await;
    lab.stop().await;
}

#[tokio::test]
async fn stop_closes_listeners_and_sessions() {
    let lab = start(vec![]).await;
    let a = addr(&lab, "t-ios1");
    let h = login(a).await;
    assert_eq!(lab.stats().active_sessions, 1);
    lab.stop().await;
    assert!(TcpStream::connect(a).await.is_err());
    let mut ch_closed = h.channel_open_session().await.is_err();
    for _ in 0..100 {
        if ch_closed || h.is_closed() {
            ch_closed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(ch_closed);
}

#[test]
fn rejects_addresses_outside_loopback() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let cfg = LabConfig {
        base: Ipv4Addr::new(127, 255, 255, 250),
        devices: 10,
        ..LabConfig::default()
    };
    let err = rt.block_on(Lab::start(cfg)).err().unwrap().to_string();
    assert!(err.contains("127.0.0.0/8"), "{err}");
}

/// Writes a fresh client key pair with `ssh-keygen` into `dir`.
fn keygen(dir: &std::path::Path) -> (std::path::PathBuf, PublicKey) {
    let key = dir.join("id_ed25519");
    let st = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&key)
        .status()
        .expect("ssh-keygen (openssh-client) is installed");
    assert!(st.success());
    let pubkey = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    (key, PublicKey::from_openssh(pubkey.trim()).unwrap())
}

fn ssh_base(dir: &std::path::Path, key: &std::path::Path, a: SocketAddr) -> Command {
    let mut c = Command::new("ssh");
    c.arg("-F")
        .arg("/dev/null")
        .arg("-i")
        .arg(key)
        .arg("-o")
        .arg(format!(
            "UserKnownHostsFile={}",
            dir.join("known_hosts").display()
        ))
        .args([
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            "BatchMode=yes",
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "PasswordAuthentication=no",
            "-o",
            "ConnectTimeout=5",
            "-o",
            "LogLevel=ERROR",
            "-p",
        ])
        .arg(a.port().to_string())
        .arg(format!("admin@{}", a.ip()));
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openssh_client_logs_in_with_a_key_and_runs_show_version() {
    let dir = tempfile::tempdir().unwrap();
    let (key, public) = keygen(dir.path());
    let lab = start(vec![public]).await;
    std::fs::write(dir.path().join("known_hosts"), lab.known_hosts()).unwrap();
    let a = addr(&lab, "t-ios1");
    let out = tokio::task::spawn_blocking({
        let (dir, key) = (dir.path().to_path_buf(), key.clone());
        move || {
            ssh_base(&dir, &key, a)
                .arg("show version")
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("Cisco IOS Software"), "{stdout}");
    assert_eq!(lab.command_count("t-ios1", "show version"), 1);
    lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openssh_tty_gets_prompt_and_paging() {
    let dir = tempfile::tempdir().unwrap();
    let (key, public) = keygen(dir.path());
    let lab = start(vec![public]).await;
    std::fs::write(dir.path().join("known_hosts"), lab.known_hosts()).unwrap();
    let a = addr(&lab, "t-ios1");
    let out = tokio::task::spawn_blocking({
        let (dir, key) = (dir.path().to_path_buf(), key.clone());
        move || {
            use std::io::Write;
            let mut child = ssh_base(&dir, &key, a)
                .arg("-tt")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            // Page once and quit with `q`, then disable paging and see everything.
            let input = "enable\nadmin\nshow running-config\nqterminal length 0\nshow running-config\nexit\n";
            child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
            child.wait_with_output().unwrap()
        }
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("t-ios1>"), "{stdout}");
    assert!(stdout.contains("t-ios1#"), "{stdout}");
    assert_eq!(stdout.matches("--More--").count(), 1, "{stdout}");
    assert_eq!(stdout.matches("\r\nend\r\n").count(), 1, "{stdout}");
    lab.stop().await;
}

/// The shared allocator gives each lab its own block and holds it for the process.
#[test]
fn loopback_blocks_are_unique_and_held() {
    let a = common::block();
    let b = common::blocks(4);
    let c = common::block();
    let first = |ip: Ipv4Addr| u32::from(ip) >> 8;
    let (a, b, c) = (first(a), first(b), first(c));
    assert!(a != b && a != c && b != c);
    assert!(!(b..b + 4).contains(&a) && !(b..b + 4).contains(&c));
    // Held: a second claim of the same block fails while this process lives.
    let taken = Ipv4Addr::from((a << 8) | 255);
    assert!(
        std::net::TcpListener::bind(std::net::SocketAddrV4::new(taken, common::CLAIM_PORT))
            .is_err()
    );
}

/// The faults a prompt-learning client must survive, one device each.
const PROMPT_FAULTS: &str = r#"
name: prompt-faults
sites: [p]
roles:
  - {role: banner, platform: cisco_ios, count: 1}
  - {role: bare, platform: juniper_junos, count: 1}
  - {role: noexec, platform: linux, count: 1}
  - {role: idle, platform: cisco_ios, count: 1}
  - {role: mute, platform: cisco_ios, count: 1}
faults:
  - devices: [p-banner1]
    motd: |
      #####
      # router# do not touch
      >>> core>
      router#
      switch(config)#
  - devices: [p-bare1]
    bare_prompt: true
  - devices: [p-noexec1]
    refuse_exec: true
  - devices: [p-idle1]
    idle_timeout: 400ms
  - devices: [p-mute1]
    motd: "Welcome to the maintenance console\n"
    no_prompt: true
"#;

async fn start_prompt_faults() -> Lab {
    common::lab(PROMPT_FAULTS).devices(5).seed(5).start().await
}

/// Everything the channel sends within `wait` (for what must NOT come).
async fn read_for(sh: &mut Shell, wait: Duration) -> String {
    let mut out = String::new();
    let end = tokio::time::Instant::now() + wait;
    while let Ok(Some(msg)) = tokio::time::timeout_at(end, sh.ch.wait()).await {
        if let ChannelMsg::Data { data } = msg {
            out.push_str(&String::from_utf8_lossy(&data));
        }
    }
    out
}

#[tokio::test]
async fn fault_banner_full_of_prompt_like_lines_comes_before_the_real_prompt() {
    let lab = start_prompt_faults().await;
    let mut sh = Shell::open(addr(&lab, "p-banner1")).await;
    let first = sh.read_until("p-banner1>").await;
    assert_eq!(
        first,
        "#####\r\n# router# do not touch\r\n>>> core>\r\nrouter#\r\nswitch(config)#\r\np-banner1>"
    );
    let out = sh.cmd("show clock", "p-banner1>").await;
    assert!(out.contains("UTC"), "{out:?}");
    lab.stop().await;
}

#[tokio::test]
async fn fault_bare_prompt_has_no_user_and_no_trailing_space() {
    let lab = start_prompt_faults().await;
    let mut sh = Shell::open(addr(&lab, "p-bare1")).await;
    let first = sh.read_until("p-bare1>").await;
    assert!(!first.contains("admin@"), "{first:?}");
    // What follows the prompt is the echo of the next line: no space in between.
    let out = sh.cmd("configure", "p-bare1#").await;
    assert!(out.starts_with("configure\r\n"), "{out:?}");
    assert!(out.ends_with("\r\n[edit]\r\np-bare1#"), "{out:?}");
    lab.stop().await;
}

#[tokio::test]
async fn fault_refuse_exec_answers_channel_failure_but_the_shell_works() {
    let lab = start_prompt_faults().await;
    let h = login(addr(&lab, "p-noexec1")).await;
    let mut ch = h.channel_open_session().await.unwrap();
    ch.exec(true, "uname -a").await.unwrap();
    let mut failed = false;
    let mut data = Vec::new();
    while let Ok(Some(msg)) = tokio::time::timeout(Duration::from_secs(5), ch.wait()).await {
        match msg {
            ChannelMsg::Failure => {
                failed = true;
                break;
            }
            ChannelMsg::Data { data: d } => data.extend_from_slice(&d),
            ChannelMsg::Success | ChannelMsg::Close => break,
            _ => {}
        }
    }
    assert!(failed, "exec must be refused");
    assert!(data.is_empty(), "{data:?}");
    assert_eq!(lab.command_count("p-noexec1", "uname -a"), 0);
    let mut sh = Shell::open(addr(&lab, "p-noexec1")).await;
    sh.read_until("admin@p-noexec1:~$ ").await;
    let out = sh.cmd("uname -a", "admin@p-noexec1:~$ ").await;
    assert!(out.contains("Linux p-noexec1 "), "{out:?}");
    lab.stop().await;
}

#[tokio::test]
async fn fault_idle_timeout_hangs_up_a_quiet_session() {
    let lab = start_prompt_faults().await;
    let mut sh = Shell::open(addr(&lab, "p-idle1")).await;
    sh.read_until("p-idle1>").await;
    // Input keeps it alive …
    let out = sh.cmd("show clock", "p-idle1>").await;
    assert!(out.contains("UTC"), "{out:?}");
    // … silence ends it: the channel closes and so does the connection.
    let mut closed = false;
    while let Ok(msg) = tokio::time::timeout(Duration::from_secs(10), sh.ch.wait()).await {
        if matches!(msg, None | Some(ChannelMsg::Close | ChannelMsg::Eof)) {
            closed = true;
            break;
        }
    }
    assert!(closed, "the device hung up");
    lab::eventually_closed(&sh._h).await;
    // The device takes new sessions as usual.
    let mut again = Shell::open(addr(&lab, "p-idle1")).await;
    again.read_until("p-idle1>").await;
    lab.stop().await;
}

mod lab {
    use super::*;

    pub async fn eventually_closed(h: &Handle<Client>) {
        for _ in 0..500 {
            if h.is_closed() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the connection stayed open");
    }
}

#[tokio::test]
async fn fault_no_prompt_echoes_and_never_prompts() {
    let lab = start_prompt_faults().await;
    let mut sh = Shell::open(addr(&lab, "p-mute1")).await;
    sh.read_until("Welcome to the maintenance console\r\n")
        .await;
    sh.send("\r").await;
    sh.send("show version\r").await;
    let rest = read_for(&mut sh, Duration::from_millis(500)).await;
    assert_eq!(rest, "\r\nshow version\r\n", "only the echo, no prompt");
    lab.stop().await;
}

/// The described platforms over a raw PTY shell: each one's prompt per mode, its
/// identification command, its error text and a config change, as the device prints them.
const DESCRIBED: &str = r#"
name: described
sites: [d]
roles:
  - {role: nxos, platform: cisco_nxos}
  - {role: xr, platform: cisco_xr}
  - {role: asa, platform: cisco_asa}
  - {role: vrp, platform: huawei_vrp}
  - {role: sros, platform: nokia_sros}
  - {role: md, platform: nokia_sros_md}
  - {role: ce, platform: huawei_vrpv8}
  - {role: ros, platform: mikrotik_routeros}
  - {role: fgt, platform: fortinet}
  - {role: pan, platform: paloalto_panos}
  - {role: cx, platform: aruba_aoscx}
  - {role: pc, platform: hp_procurve}
  - {role: os, platform: dell_os10}
  - {role: exos, platform: extreme_exos}
  - {role: vyos, platform: vyos}
"#;

#[tokio::test]
async fn described_platforms_prompts_errors_and_config_over_a_raw_shell() {
    let lab = common::lab(DESCRIBED).devices(15).seed(3).start().await;
    let open = |name: &str| Shell::open(addr(&lab, name));

    // NX-OS: lands privileged, config mode and a section, line by line.
    let mut sh = open("d-nxos1").await;
    let motd = sh.read_until("d-nxos1#").await;
    assert!(motd.starts_with("Cisco Nexus Operating System"), "{motd:?}");
    sh.cmd("terminal length 0", "d-nxos1#").await;
    let out = sh.cmd("show ver", "d-nxos1#").await;
    assert!(out.contains("  NXOS: version 9.3(10)"), "{out:?}");
    let bad = sh.cmd("show bogus", "d-nxos1#").await;
    assert!(
        bad.contains("\r\n             ^\r\n% Invalid command at '^' marker."),
        "{bad:?}"
    );
    sh.cmd("conf t", "d-nxos1(config)#").await;
    sh.cmd("interface Ethernet1/3", "d-nxos1(config-if)#").await;
    sh.cmd("description via-raw-shell", "d-nxos1(config-if)#")
        .await;
    sh.cmd("end", "d-nxos1#").await;
    let config = lab.config_text("d-nxos1").unwrap();
    assert!(
        config.contains("interface Ethernet1/3\n  shutdown\n  description via-raw-shell\n"),
        "{config}"
    );

    // IOS XR: the candidate is applied by commit only; end asks about uncommitted changes.
    let mut sh = open("d-xr1").await;
    sh.read_until("RP/0/RP0/CPU0:d-xr1#").await;
    sh.cmd("configure", "RP/0/RP0/CPU0:d-xr1(config)#").await;
    sh.cmd("hostname xr-new", "RP/0/RP0/CPU0:d-xr1(config)#")
        .await;
    assert!(
        !lab.config_text("d-xr1").unwrap().contains("xr-new"),
        "not before commit"
    );
    let q = sh.cmd("end", "[cancel]:").await;
    assert!(
        q.contains("Uncommitted changes found, commit them before exiting(yes/no/cancel)?"),
        "{q:?}"
    );
    sh.cmd("no", "RP/0/RP0/CPU0:d-xr1#").await;
    assert!(
        !lab.config_text("d-xr1").unwrap().contains("xr-new"),
        "no discards"
    );
    sh.cmd("configure", "RP/0/RP0/CPU0:d-xr1(config)#").await;
    sh.cmd("hostname xr-new", "RP/0/RP0/CPU0:d-xr1(config)#")
        .await;
    sh.cmd("commit", "RP/0/RP0/CPU0:xr-new(config)#").await;
    sh.cmd("end", "RP/0/RP0/CPU0:xr-new#").await;

    // ASA: user mode, enable with a password, its own error text.
    let mut sh = open("d-asa1").await;
    sh.read_until("d-asa1>").await;
    sh.cmd("enable", "Password: ").await;
    sh.cmd("admin", "d-asa1#").await;
    let bad = sh.cmd("show bogus", "d-asa1#").await;
    assert!(
        bad.contains("ERROR: % Invalid input detected at '^' marker."),
        "{bad:?}"
    );

    // Huawei VRP: <user view>, [system view], sections named after the interface, save asks.
    let mut sh = open("d-vrp1").await;
    sh.read_until("<d-vrp1>").await;
    let bad = sh.cmd("display bogus", "<d-vrp1>").await;
    assert!(
        bad.contains("Error: Unrecognized command found at '^' position."),
        "{bad:?}"
    );
    let out = sh.cmd("screen-length 0 temporary", "<d-vrp1>").await;
    assert!(
        out.contains("Info: The configuration takes effect"),
        "{out:?}"
    );
    sh.cmd("system-view", "[d-vrp1]").await;
    sh.cmd(
        "interface GigabitEthernet0/0/3",
        "[d-vrp1-GigabitEthernet0/0/3]",
    )
    .await;
    sh.cmd("quit", "[d-vrp1]").await;
    sh.cmd("return", "<d-vrp1>").await;
    sh.cmd("save", "[Y/N]").await;
    let saved = sh.cmd("y", "<d-vrp1>").await;
    assert!(saved.contains("saved successfully"), "{saved:?}");

    // VRP V8: two-stage; [~…] becomes [*…] with uncommitted changes, abort drops them.
    let mut sh = open("d-ce1").await;
    sh.read_until("<d-ce1>").await;
    sh.cmd("system-view", "[~d-ce1]").await;
    sh.cmd("sysname ce-gone", "[*d-ce1]").await;
    sh.cmd("abort", "<d-ce1>").await;
    sh.cmd("system-view", "[~d-ce1]").await;
    sh.cmd("sysname ce-new", "[*d-ce1]").await;
    sh.cmd("commit", "[~ce-new]").await;
    sh.cmd("return", "<ce-new>").await;

    // SR OS classic: a change marks the prompt with * until admin save.
    let mut sh = open("d-sros1").await;
    sh.read_until("A:d-sros1# ").await;
    sh.cmd("configure system location \"lab\"", "*A:d-sros1# ")
        .await;
    sh.cmd("admin save", "A:d-sros1# ").await;
    let bad = sh.cmd("show bogus", "A:d-sros1# ").await;
    assert!(bad.contains("Error: Bad command."), "{bad:?}");

    // MD-CLI: two-line prompt, private candidate, discard.
    let mut sh = open("d-md1").await;
    sh.read_until("[/]\r\nA:admin@d-md1# ").await;
    sh.cmd("edit-config private", "(pr)[/]\r\nA:admin@d-md1# ")
        .await;
    sh.cmd(
        "/configure system location \"x\"",
        "*(pr)[/]\r\nA:admin@d-md1# ",
    )
    .await;
    sh.cmd("discard", "\r\n(pr)[/]\r\nA:admin@d-md1# ").await;
    sh.cmd("quit-config", "\r\n[/]\r\nA:admin@d-md1# ").await;
    assert!(!lab.config_text("d-md1").unwrap().contains("location"));

    // RouterOS: paths, at once.
    let mut sh = open("d-ros1").await;
    sh.read_until("[admin@d-ros1] > ").await;
    let bad = sh.cmd("show version", "[admin@d-ros1] > ").await;
    assert!(
        bad.contains("bad command name show (line 1 column 1)"),
        "{bad:?}"
    );
    sh.cmd("/system identity set name=ros-new", "[admin@ros-new] > ")
        .await;

    // FortiOS: a config block applies at end, abort throws it away.
    let mut sh = open("d-fgt1").await;
    sh.read_until("d-fgt1 # ").await;
    sh.cmd("config system global", "d-fgt1 (global) # ").await;
    sh.cmd("set hostname fgt-gone", "d-fgt1 (global) # ").await;
    sh.cmd("abort", "d-fgt1 # ").await;
    sh.cmd("config system global", "d-fgt1 (global) # ").await;
    sh.cmd("set hostname fgt-new", "d-fgt1 (global) # ").await;
    sh.cmd("end", "fgt-new # ").await;

    // PAN-OS: [edit] above the config prompt, commit, exit asks with uncommitted changes.
    let mut sh = open("d-pan1").await;
    sh.read_until("admin@d-pan1> ").await;
    sh.cmd("configure", "[edit]\r\nadmin@d-pan1# ").await;
    let out = sh
        .cmd("set deviceconfig system hostname pan-new", "admin@d-pan1# ")
        .await;
    assert!(!out.contains("Invalid"), "{out:?}");
    let out = sh.cmd("commit", "admin@pan-new# ").await;
    assert!(
        out.contains("Configuration committed successfully"),
        "{out:?}"
    );
    sh.cmd(
        "set deviceconfig system domain x.example",
        "admin@pan-new# ",
    )
    .await;
    sh.cmd("exit", "(y or n) ").await;
    sh.cmd("y", "admin@pan-new> ").await;
    assert!(!lab.config_text("d-pan1").unwrap().contains("x.example"));

    // ProCurve: nothing until a key is pressed.
    let mut sh = open("d-pc1").await;
    sh.read_until("Press any key to continue").await;
    sh.send(" ").await;
    sh.read_until("d-pc1> ").await;

    // EXOS: the prompt counts commands and shows * until saved.
    let mut sh = open("d-exos1").await;
    sh.read_until("d-exos1.1 # ").await;
    sh.cmd("disable clipaging", "d-exos1.2 # ").await;
    sh.cmd("show switch", "d-exos1.3 # ").await;
    sh.cmd("configure snmp sysLocation \"lab\"", "* d-exos1.4 # ")
        .await;
    sh.cmd("save configuration", "(y/N) ").await;
    sh.cmd("y", "d-exos1.5 # ").await;

    // VyOS: exit refuses while changes are uncommitted.
    let mut sh = open("d-vyos1").await;
    sh.read_until("admin@d-vyos1:~$ ").await;
    sh.cmd("configure", "[edit]\r\nadmin@d-vyos1# ").await;
    sh.cmd("set system domain-name 'x.example'", "admin@d-vyos1# ")
        .await;
    let refused = sh.cmd("exit", "admin@d-vyos1# ").await;
    assert!(
        refused.contains("Cannot exit: configuration modified."),
        "{refused:?}"
    );
    let bad = sh.cmd("frobnicate", "admin@d-vyos1# ").await;
    assert!(bad.contains("is not valid"), "{bad:?}");
    sh.cmd("commit", "admin@d-vyos1# ").await;
    sh.cmd("exit", "admin@d-vyos1:~$ ").await;
    assert!(
        lab.config_text("d-vyos1")
            .unwrap()
            .contains("set system domain-name 'x.example'")
    );
    lab.stop().await;
}
