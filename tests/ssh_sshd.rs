//! The SSH session layer against a real OpenSSH `sshd` that the test starts on a free
//! loopback port with its own config, host key and authorized_keys: key auth (plain and
//! with a passphrase from an env var), agent auth, password from an env var (and
//! keyboard-interactive via PAM), legacy-only algorithms, and
//! known_hosts accept-new then strict (and a changed key refused).
//!
//! The session reads the password and passphrase variables and `SSH_AUTH_SOCK` from the
//! environment, as it does for users. The test never sets them in its own process (unsafe
//! once threads exist): it runs itself again as a child process that starts with them set.
//! As root it logs in as a test account that `.ci/sshd-setup.sh` prepares (with a password);
//! otherwise sshd runs as the current user, who can log in with keys only: the password part
//! then prints SKIPPED, except under CI (env `CI`), where it must run (run it as root).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fleetdash::fleet::Stage;
use fleetdash::ssh::{Credentials, HostKeyPolicy, Session, SshOptions, Target, Timeouts};

const TEST_USER: &str = "fleetdash-test";
const SSHD: &str = "/usr/sbin/sshd";
const PASSWORD_FILE: &str = "/run/fleetdash-test/password";
const PASSWORD_ENV: &str = "FLEETDASH_SSHD_TEST_PASSWORD";
const PASSPHRASE_ENV: &str = "FLEETDASH_SSHD_TEST_PASSPHRASE";
const PASSPHRASE: &str = "correct horse battery";

/// Kills a child we started when the test ends, however it ends.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn skip_or_fail(why: &str) {
    if std::env::var_os("CI").is_some() {
        panic!("sshd test cannot run in CI: {why}");
    }
    println!("SKIPPED: {why}");
}

fn id(flag: &str) -> String {
    let out = Command::new("id").arg(flag).output().expect("run id");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn keygen(path: &Path, passphrase: &str) {
    run(Command::new("ssh-keygen")
        .args([
            "-q",
            "-t",
            "ed25519",
            "-N",
            passphrase,
            "-C",
            "fleetdash-test",
            "-f",
        ])
        .arg(path));
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Set in the child run: the directory and user the parent prepared.
const CHILD_DIR: &str = "FLEETDASH_SSHD_TEST_DIR";
const CHILD_USER: &str = "FLEETDASH_SSHD_TEST_USER";

/// Runs this test again in a child process whose environment holds what the sessions read;
/// passes its output on and fails when it fails.
fn rerun_with_env(dir: &Path, user: &str, password: Option<&str>) {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "openssh_key_agent_password_and_known_hosts",
            "--exact",
            "--nocapture",
        ])
        .args(["--test-threads", "1"])
        .env(CHILD_DIR, dir)
        .env(CHILD_USER, user)
        .env(PASSWORD_ENV, password.unwrap_or(""))
        .env(PASSPHRASE_ENV, PASSPHRASE)
        .env("SSH_AUTH_SOCK", dir.join("agent.sock"))
        .output()
        .expect("run the test again");
    print!("{}", String::from_utf8_lossy(&out.stdout));
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "the child run failed: {}", out.status);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("1 passed"),
        "the child ran no test: {stdout}"
    );
}

/// Starts sshd on `port`; `extra` is appended to the config (algorithm restrictions).
fn start_sshd(dir: &Path, port: u16, user: &str, host_key: &str, extra: &str) -> Guard {
    start_sshd_logging(dir, port, user, host_key, extra, None)
}

/// [`start_sshd`], logging to `log` (`-E`) rather than stderr.
fn start_sshd_logging(
    dir: &Path,
    port: u16,
    user: &str,
    host_key: &str,
    extra: &str,
    log: Option<&Path>,
) -> Guard {
    std::fs::create_dir_all("/run/sshd").ok();
    let config = dir.join(format!("sshd_config_{port}"));
    let d = dir.display();
    std::fs::write(
        &config,
        format!(
            // sshd keeps the first value of a keyword: `extra` goes first to override.
            "{extra}Port {port}\nListenAddress 127.0.0.1\nHostKey {d}/{host_key}\n\
             PidFile {d}/sshd{port}.pid\nAuthorizedKeysFile {d}/authorized_keys\nStrictModes no\n\
             UsePAM no\nPasswordAuthentication yes\nKbdInteractiveAuthentication no\n\
             PubkeyAuthentication yes\nPermitRootLogin no\nAllowUsers {user}\nLogLevel ERROR\n"
        ),
    )
    .unwrap();
    let mut cmd = Command::new(SSHD);
    cmd.arg("-D");
    match log {
        Some(file) => cmd.arg("-E").arg(file),
        None => cmd.arg("-e"),
    };
    let child = cmd
        .arg("-f")
        .arg(&config)
        .stdin(Stdio::null())
        .spawn()
        .expect("start sshd");
    let guard = Guard(child);
    // sshd writes its pid file once it listens (a probe connection would log noise).
    let pid_file = dir.join(format!("sshd{port}.pid"));
    let deadline = Instant::now() + Duration::from_secs(10);
    while !pid_file.exists() {
        assert!(Instant::now() < deadline, "sshd did not start listening");
        std::thread::sleep(Duration::from_millis(20));
    }
    guard
}

fn target(port: u16, creds: Credentials) -> Target {
    Target {
        name: "sshd".into(),
        host: "127.0.0.1".into(),
        port,
        platform: "linux".into(),
        credentials: creds,
        legacy: false,
        ssh_config: None,
        jump: Vec::new(),
        proxy_command: None,
    }
}

fn creds(user: &str) -> Credentials {
    Credentials {
        user: user.into(),
        agent: false,
        key_file: None,
        identity_files: Vec::new(),
        agent_socket: None,
        key_passphrase_env: None,
        password_env: None,
        password: None,
    }
}

fn opts(known_hosts: PathBuf, policy: HostKeyPolicy) -> SshOptions {
    let mut o = SshOptions::with_known_hosts(known_hosts);
    o.host_keys = policy;
    o.timeouts = Timeouts {
        connect: Duration::from_secs(2),
        handshake: Duration::from_secs(5),
        auth: Duration::from_secs(10),
        command: Duration::from_secs(10),
    };
    o
}

/// Logs in, runs `echo`, checks the answer.
async fn echo(t: &Target, o: &SshOptions, word: &str) -> Session {
    let mut s = Session::connect_target(t, o)
        .await
        .unwrap_or_else(|e| panic!("{word}: {e}"));
    let out = s.run(&format!("echo {word}")).await.unwrap();
    assert_eq!(out.text, format!("{word}\n"));
    assert_eq!(out.exit_status, Some(0));
    s
}

#[test]
fn openssh_key_agent_password_and_known_hosts() {
    if !Path::new(SSHD).exists() {
        return skip_or_fail("openssh-server is not installed (apt-get install openssh-server)");
    }
    // Root: a test account with a fresh password. Otherwise: ourselves, keys only (an
    // unprivileged sshd can only log in the user it runs as, and cannot check passwords).
    let (Some(d), Some(user)) = (std::env::var_os(CHILD_DIR), std::env::var(CHILD_USER).ok())
    else {
        let (user, password) = if id("-u") == "0" {
            let script = Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/sshd-setup.sh");
            run(&mut Command::new(script));
            let pw = std::fs::read_to_string(PASSWORD_FILE).expect("sshd-setup.sh wrote it");
            (TEST_USER.to_string(), Some(pw))
        } else {
            (id("-un"), None)
        };
        let dir = tempfile::tempdir().unwrap();
        return rerun_with_env(dir.path(), &user, password.as_deref());
    };
    // The child: the parent's directory and user, the secrets in the environment.
    let d = PathBuf::from(d);
    let d = d.as_path();
    let user = user.as_str();
    let password = std::env::var(PASSWORD_ENV).ok().filter(|p| !p.is_empty());
    let agent_sock = d.join("agent.sock");
    keygen(&d.join("host_key"), "");
    keygen(&d.join("user_key"), "");
    keygen(&d.join("user_key_enc"), PASSPHRASE);
    keygen(&d.join("agent_key"), "");
    let mut authorized = String::new();
    for k in ["user_key", "user_key_enc", "agent_key"] {
        authorized += &std::fs::read_to_string(d.join(format!("{k}.pub"))).unwrap();
    }
    std::fs::write(d.join("authorized_keys"), authorized).unwrap();
    let agent = Guard(
        Command::new("ssh-agent")
            .args(["-D", "-a"])
            .arg(&agent_sock)
            .stdout(Stdio::null())
            .spawn()
            .expect("start ssh-agent"),
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    while !agent_sock.exists() {
        assert!(Instant::now() < deadline, "ssh-agent did not start");
        std::thread::sleep(Duration::from_millis(10));
    }
    run(Command::new("ssh-add")
        .arg("-q")
        .arg(d.join("agent_key"))
        .env("SSH_AUTH_SOCK", &agent_sock));
    let port = free_port();
    let _sshd = start_sshd(d, port, user, "host_key", "");
    // Old gear: only SHA-1 key exchange, a CBC cipher, hmac-sha1 and an ssh-rsa host key.
    run(Command::new("ssh-keygen")
        .args(["-q", "-t", "rsa", "-b", "2048", "-N", "", "-f"])
        .arg(d.join("host_key_rsa")));
    let legacy_port = free_port();
    let _legacy_sshd = start_sshd(
        d,
        legacy_port,
        user,
        "host_key_rsa",
        "KexAlgorithms diffie-hellman-group14-sha1\nCiphers aes128-cbc\nMACs hmac-sha1\n\
         HostKeyAlgorithms ssh-rsa\n",
    );

    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let kh = d.join("known_hosts");
        let strict = opts(kh.clone(), HostKeyPolicy::Strict);
        let accept = opts(kh.clone(), HostKeyPolicy::AcceptNew);
        let with_key = Credentials {
            key_file: Some(d.join("user_key")),
            ..creds(user)
        };
        let t = target(port, with_key);

        // known_hosts: strict refuses the unknown host; accept-new learns it; strict then
        // accepts it.
        let e = Session::connect_target(&t, &strict).await.err().unwrap();
        assert_eq!(e.stage, Stage::HostKey, "{e}");
        let s = echo(&t, &accept, "key").await;
        let learned = s
            .learned_host_key()
            .expect("accept-new reports what it learned");
        assert!(
            learned.contains(&format!("[127.0.0.1]:{port}")),
            "{learned}"
        );
        let line = std::fs::read_to_string(&kh).unwrap();
        assert!(
            line.starts_with(&format!("[127.0.0.1]:{port} ssh-ed25519 ")),
            "{line}"
        );
        s.close().await;
        let s = echo(&t, &strict, "strict").await;
        assert!(s.learned_host_key().is_none());
        s.close().await;

        // Key with a passphrase from an env var.
        let enc = target(
            port,
            Credentials {
                key_file: Some(d.join("user_key_enc")),
                key_passphrase_env: Some(PASSPHRASE_ENV.into()),
                ..creds(user)
            },
        );
        echo(&enc, &strict, "passphrase").await.close().await;

        // Agent.
        let via_agent = target(
            port,
            Credentials {
                agent: true,
                ..creds(user)
            },
        );
        echo(&via_agent, &strict, "agent").await.close().await;

        // Password from the variable the inventory names; a wrong one is an auth error.
        let pw = target(
            port,
            Credentials {
                password_env: Some(PASSWORD_ENV.into()),
                ..creds(user)
            },
        );
        if password.is_some() {
            echo(&pw, &strict, "password").await.close().await;
            // Keyboard-interactive only (PAM asks "Password:"): the chain answers it.
            let kbd_port = free_port();
            let _kbd = start_sshd(
                d,
                kbd_port,
                user,
                "host_key",
                "UsePAM yes\nPasswordAuthentication no\nKbdInteractiveAuthentication yes\n",
            );
            let kbd = opts(d.join("kbd_known_hosts"), HostKeyPolicy::AcceptNew);
            let mut t = pw.clone();
            t.port = kbd_port;
            echo(&t, &kbd, "keyboard-interactive").await.close().await;
        } else {
            skip_or_fail("password auth: needs root (to run sshd for the test account)");
        }
        let wrong = target(
            port,
            Credentials {
                password_env: Some(PASSPHRASE_ENV.into()),
                ..creds(user)
            },
        );
        let e = Session::connect_target(&wrong, &strict)
            .await
            .err()
            .unwrap();
        assert_eq!(e.stage, Stage::Auth, "{e}");
        assert!(!e.reason.contains(PASSPHRASE), "{e}");

        // Legacy algorithms: refused by default, accepted when the device asks for them.
        let legacy_kh = opts(d.join("legacy_known_hosts"), HostKeyPolicy::AcceptNew);
        let mut old = target(
            legacy_port,
            Credentials {
                key_file: Some(d.join("user_key")),
                ..creds(user)
            },
        );
        let e = Session::connect_target(&old, &legacy_kh)
            .await
            .err()
            .unwrap();
        assert_eq!(e.stage, Stage::Handshake, "{e}");
        assert!(e.reason.contains("legacy"), "{e}");
        old.legacy = true;
        echo(&old, &legacy_kh, "legacy").await.close().await;

        // A different key on file for this host: refused, naming file and line.
        let other = std::fs::read_to_string(d.join("agent_key.pub")).unwrap();
        let key_part: Vec<&str> = other.split_whitespace().take(2).collect();
        std::fs::write(
            &kh,
            format!("# pinned\n[127.0.0.1]:{port} {}\n", key_part.join(" ")),
        )
        .unwrap();
        for o in [&strict, &accept] {
            let e = Session::connect_target(&t, o).await.err().unwrap();
            assert_eq!(e.stage, Stage::HostKey, "{e}");
            assert!(
                e.reason.contains(&format!("{} line 2", kh.display())),
                "{e}"
            );
        }
    });
    drop(agent);
}

/// The key exchange ssh_config's `KexAlgorithms` chooses is the one OpenSSH negotiates (its
/// DEBUG log says `kex: algorithm: …`): a list that replaces fleetdash's, `^` putting one in
/// front, `-` taking some away; without the option, the defaults (the post-quantum hybrid
/// first, which this OpenSSH may lack, then curve25519-sha256). Key auth as the user the
/// test runs as (sshd started by that user can log in only them).
#[test]
fn openssh_negotiates_the_key_exchange_ssh_config_chooses() {
    if !Path::new(SSHD).exists() {
        return skip_or_fail("openssh-server is not installed (apt-get install openssh-server)");
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    keygen(&d.join("host_key"), "");
    keygen(&d.join("user_key"), "");
    std::fs::copy(d.join("user_key.pub"), d.join("authorized_keys")).unwrap();
    let user = id("-un");
    let port = free_port();
    let log = d.join("sshd.log");
    let _sshd = start_sshd_logging(
        d,
        port,
        &user,
        "host_key",
        "LogLevel DEBUG\nPermitRootLogin prohibit-password\n",
        Some(&log),
    );
    let server_kex: Vec<String> = {
        let out = Command::new(SSHD)
            .args(["-T", "-f"])
            .arg(d.join(format!("sshd_config_{port}")))
            .output()
            .expect("sshd -T");
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        text.lines()
            .find_map(|l| l.strip_prefix("kexalgorithms "))
            .expect("sshd -T prints kexalgorithms")
            .split(',')
            .map(str::to_string)
            .collect()
    };
    let default_first = if server_kex.iter().any(|k| k == "mlkem768x25519-sha256") {
        "mlkem768x25519-sha256"
    } else {
        "curve25519-sha256"
    };
    let cases: [(Option<&str>, &str); 6] = [
        (None, default_first),
        (Some("curve25519-sha256"), "curve25519-sha256"),
        (
            Some("curve25519-sha256@libssh.org"),
            "curve25519-sha256@libssh.org",
        ),
        (Some("ecdh-sha2-nistp256"), "ecdh-sha2-nistp256"),
        (
            Some("^diffie-hellman-group16-sha512"),
            "diffie-hellman-group16-sha512",
        ),
        (
            Some("-mlkem*,curve25519*"),
            "diffie-hellman-group-exchange-sha256",
        ),
    ];
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let o = opts(d.join("known_hosts"), HostKeyPolicy::AcceptNew);
        for (spec, expected) in cases {
            let before = std::fs::read_to_string(&log).unwrap_or_default().len();
            let mut t = target(
                port,
                Credentials {
                    key_file: Some(d.join("user_key")),
                    ..creds(&user)
                },
            );
            t.ssh_config = spec.map(|s| {
                Box::new(fleetdash::ssh::ssh_config::Resolved {
                    kex: Some(s.to_string()),
                    ..Default::default()
                })
            });
            echo(&t, &o, "kex").await.close().await;
            // sshd logs the negotiation from the connection's own process: wait for it.
            let deadline = Instant::now() + Duration::from_secs(5);
            let negotiated = loop {
                let text = std::fs::read_to_string(&log).unwrap_or_default();
                if let Some(line) = text[before..]
                    .lines()
                    .find_map(|l| l.split("kex: algorithm: ").nth(1))
                {
                    // `curve25519-sha256 [preauth]`: the name is the first word.
                    break line.split_whitespace().next().unwrap_or("").to_string();
                }
                assert!(Instant::now() < deadline, "sshd logged no kex for {spec:?}");
                std::thread::sleep(Duration::from_millis(20));
            };
            assert_eq!(negotiated, expected, "KexAlgorithms {spec:?}");
        }
    });
}
