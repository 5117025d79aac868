use super::*;

fn local() -> Local {
    Local {
        user: "me".into(),
        home: Some("/home/me".into()),
    }
}

/// A config from `text` in a temporary directory (kept alive with it).
fn config(text: &str) -> (tempfile::TempDir, SshConfig) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    std::fs::write(&path, text).unwrap();
    let c = SshConfig::load_as(&Sources::File(path), local()).unwrap();
    (dir, c)
}

fn given() -> Given<'static> {
    Given::default()
}

#[test]
fn the_inventory_wins_like_the_command_line_and_match_user_sees_it() {
    let (_d, c) = config(
        "Host rtr*\n  HostName 127.0.0.%h\n  User cfg\n  Port 2200\n\
         Match user inv\n  IdentityFile /k/inv\nHost *\n  IdentityFile /k/all\n",
    );
    let r = c.resolve("rtr1", &given());
    assert_eq!(r.host_name, "127.0.0.rtr1");
    assert_eq!((r.user.as_deref(), r.port), (Some("cfg"), Some(2200)));
    assert_eq!(r.identity_files, [PathBuf::from("/k/all")]);
    let r = c.resolve(
        "rtr1",
        &Given {
            user: Some("inv"),
            port: Some(22),
        },
    );
    assert_eq!((r.user.as_deref(), r.port), (Some("inv"), Some(22)));
    assert_eq!(
        r.identity_files,
        [PathBuf::from("/k/inv"), PathBuf::from("/k/all")]
    );
}

#[test]
fn match_exec_is_never_run_and_its_block_never_applies() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("ran");
    let (_d, c) = config(&format!(
        "Match exec \"touch {}\"\n  Port 1\nMatch !exec \"touch {}\"\n  Port 2\n",
        marker.display(),
        marker.display()
    ));
    let r = c.resolve("x", &given());
    assert_eq!(r.port, None);
    assert!(!marker.exists(), "an exec criterion was run");
    let notes = c.unsupported();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(notes[0].1.contains("never run"), "{notes:?}");
}

#[test]
fn unsupported_options_are_named_once_each_and_ignore_unknown_silences() {
    let (_d, c) = config(
        "IgnoreUnknown UseKeychain,Foo*\nHost a\n  SendEnv LANG\nHost b\n  SendEnv LC_*\n\
         \x20 UseKeychain yes\n  FooBar 1\n  Bogus 2\n  ForwardAgent yes\n",
    );
    let what: Vec<String> = c
        .unsupported()
        .into_iter()
        .map(|(p, w)| format!("{p} {w}"))
        .collect();
    assert_eq!(what.len(), 3, "{what:?}");
    assert!(
        what[0].ends_with(":3 sendenv is not supported by fleetdash; ignored"),
        "{what:?}"
    );
    assert!(
        what[1].contains("bogus is not an ssh_config keyword"),
        "{what:?}"
    );
    assert!(what[2].contains("forwardagent"), "{what:?}");
}

#[test]
fn an_include_in_an_inactive_block_never_applies_and_the_state_comes_back() {
    let dir = tempfile::tempdir().unwrap();
    let inc = dir.path().join("inc");
    std::fs::write(&inc, "Port 1\nHost *\n  User inc\n").unwrap();
    let top = dir.path().join("top");
    std::fs::write(
        &top,
        format!(
            "Host a\n  Include {}\n  HostName 127.0.0.1\nHost *\n  User after\n",
            inc.display()
        ),
    )
    .unwrap();
    let c = SshConfig::load_as(&Sources::File(top), local()).unwrap();
    let a = c.resolve("a", &given());
    assert_eq!((a.port, a.user.as_deref()), (Some(1), Some("inc")));
    assert_eq!(
        a.host_name, "127.0.0.1",
        "Host a is active again after the Include"
    );
    let b = c.resolve("b", &given());
    assert_eq!((b.port, b.user.as_deref()), (None, Some("after")));
    assert_eq!(b.host_name, "b");
}

#[test]
fn tokens_that_are_not_allowed_are_problems_not_silent_text() {
    let (_d, c) = config("Host *\n  HostName %r.lab\n  IdentityFile ~/.ssh/%C\n");
    let r = c.resolve("x", &given());
    assert_eq!(r.problems.len(), 2, "{:?}", r.problems);
    assert!(r.problems[0].starts_with("HostName"), "{:?}", r.problems);
}

#[test]
fn proxy_jump_and_command_exclude_each_other_and_expand_tokens() {
    let (_d, c) = config(
        "Host j\n  ProxyJump admin@127.0.0.5:2222,127.0.0.6\n  ProxyCommand nc %h %p\n\
         Host c\n  HostName 127.0.0.7\n  ProxyCommand ssh -W %h:%p -l %r bastion-%n\n\
         Host n\n  ProxyJump none\n  ProxyCommand nc %h %p\n",
    );
    let j = c.resolve("j", &given());
    assert_eq!(j.proxy_jump, ["admin@127.0.0.5:2222", "127.0.0.6"]);
    assert_eq!(j.proxy_command, None);
    let cmd = c.resolve("c", &given());
    assert!(cmd.proxy_jump.is_empty());
    assert_eq!(
        cmd.proxy_command.as_deref(),
        Some("ssh -W 127.0.0.7:22 -l me bastion-c")
    );
    let n = c.resolve("n", &given());
    assert!(n.proxy_jump.is_empty());
    assert_eq!(n.proxy_command.as_deref(), Some("nc n 22"));
}

#[test]
fn describe_names_the_options_and_the_lines() {
    let (d, c) = config("Host r1\n  HostName 127.0.0.9\n  Port 2200\nHost *\n  User ops\n");
    let r = c.resolve("r1", &given());
    let file = d.path().join("config").display().to_string();
    assert_eq!(
        c.describe(&r).unwrap(),
        format!("hostname, port, user from {file}:2-5")
    );
    assert_eq!(
        c.describe(&SshConfig::default().resolve("x", &given())),
        None
    );
}

#[test]
fn no_files_means_nothing_is_read() {
    let c = SshConfig::load_as(&Sources::None, local()).unwrap();
    assert!(c.files().is_empty());
    let r = c.resolve("Rtr1", &given());
    assert_eq!(r.host_name, "rtr1");
    assert!(!r.contributed());
    let missing = SshConfig::load_as(&Sources::File("/nonexistent/cfg".into()), local());
    assert!(missing.unwrap_err().to_string().contains("--ssh-config"));
}

mod index {
    use super::*;
    use crate::ssh::ssh_config::resolve::{Index, resolve};
    use proptest::prelude::*;

    /// Pieces of config whose order and mix the property varies.
    const PIECES: &[&str] = &[
        "Host a\n  Port 1\n",
        "Host b a\n  User b\n  IdentityFile /k/b\n",
        "Host !a b\n  Port 2\n",
        "Host c\n  Include {inc}\n",
        "Host a*\n  HostName 127.0.0.1\n",
        "Match originalhost b\n  Port 3\n",
        "Include {inc}\n",
        "Port 4\n",
        "Host *\n  IdentityFile /k/all\n",
        "Host d\n",
        "Match host 127.0.0.1\n  User m\n",
    ];

    proptest! {
        // Regressions are kept beside this file, not in a folder at the top of the repository.
        #![proptest_config(proptest::test_runner::Config {
            failure_persistence: Some(Box::new(
                proptest::test_runner::FileFailurePersistence::WithSource("proptest-regressions"),
            )),
            ..proptest::test_runner::Config::default()
        })]
        #[test]
        fn the_index_changes_nothing(picks in proptest::collection::vec(0..PIECES.len(), 0..12)) {
            let dir = tempfile::tempdir().unwrap();
            let inc = dir.path().join("inc");
            std::fs::write(&inc, "Port 9\nHost a\n  User inc\nHost b\n").unwrap();
            let text: String = picks
                .iter()
                .map(|i| PIECES[*i].replace("{inc}", &inc.display().to_string()))
                .collect();
            let path = dir.path().join("config");
            std::fs::write(&path, &text).unwrap();
            let c = SshConfig::load_as(&Sources::File(path), local()).unwrap();
            let (fast, slow) = (Index::new(&c.parsed), Index::everything(&c.parsed));
            for host in ["a", "b", "c", "d", "ab", "x"] {
                let g = Given::default();
                prop_assert_eq!(
                    resolve(host, &g, &c.parsed, &fast, &c.local),
                    resolve(host, &g, &c.parsed, &slow, &c.local),
                    "{} in\n{}", host, text
                );
            }
        }
    }
}
