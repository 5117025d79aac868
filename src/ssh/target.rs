//! What a session needs to know about a device (address, platform, credentials, legacy
//! algorithms), taken from an inventory device — with what ssh_config says for it, the
//! inventory winning where it sets a value — or built by hand (tests, ad-hoc targets).

use std::path::PathBuf;

use super::auth::Credentials;
use super::ssh_config::{Given, Kw, Resolved, SshConfig};
use crate::inventory::Device;

/// Where and how to log in: what a session needs from an inventory device.
#[derive(Debug, Clone)]
pub struct Target {
    pub name: String,
    pub host: String,
    pub port: u16,
    pub platform: String,
    pub credentials: Credentials,
    /// Offer legacy algorithms (ssh-rsa, SHA-1 kex, CBC, hmac-sha1).
    pub legacy: bool,
    /// What ssh_config said for this device (`None`: not consulted). The session takes
    /// known_hosts files, HostKeyAlias, StrictHostKeyChecking, algorithms, ConnectTimeout
    /// and ServerAlive* from it; host, port, user and keys are already applied above.
    pub ssh_config: Option<Box<Resolved>>,
    /// Jump hosts, first hop first: an inventory device's name or `[user@]host[:port]`
    /// (see `jump.rs`). Empty: no bastion.
    pub jump: Vec<String>,
    /// A command whose stdin/stdout carry the SSH connection (OpenSSH's `ProxyCommand`,
    /// `%h %p %r` expanded); wins over `jump`. Filled from ssh_config.
    pub proxy_command: Option<String>,
}

impl Target {
    /// The device as the inventory says, without ssh_config.
    pub fn from_device(d: &Device) -> Target {
        Target::with_config(d, None)
    }

    /// The device with ssh_config applied: `Host` patterns match the inventory's `host`
    /// (an alias, as on the ssh command line); the inventory's `port:`, `username:` and
    /// `key_file:` win over the files when it sets them. `Err`: values ssh_config gives
    /// that cannot be used (the reason names them).
    pub fn resolve(d: &Device, config: &SshConfig) -> Result<Target, String> {
        let r = Self::configured(d, config)?;
        Ok(Target::with_config(d, r.contributed().then_some(r)))
    }

    /// Where a session to `d` connects (host and port, ssh_config applied as in
    /// [`Target::resolve`]), without building the rest: the sweeper probes there.
    pub fn address(d: &Device, config: &SshConfig) -> Result<(String, u16), String> {
        let r = Self::configured(d, config)?;
        Ok(Self::endpoint(d, r.contributed().then_some(&r)))
    }

    /// Host and port: ssh_config's HostName and Port where it gives them, else the
    /// inventory's.
    fn endpoint(d: &Device, r: Option<&Resolved>) -> (String, u16) {
        let host = match r.filter(|r| r.from.iter().any(|(kw, _)| *kw == Kw::HostName)) {
            Some(r) => r.host_name.clone(),
            None => d.host.clone(),
        };
        (host, r.and_then(|r| r.port).unwrap_or(d.port))
    }

    /// What ssh_config says for `d`; `Err` names the values that cannot be used.
    fn configured(d: &Device, config: &SshConfig) -> Result<Resolved, String> {
        let given = Given {
            user: d.username.as_deref(),
            port: d.port_set.then_some(d.port),
        };
        let r = config.resolve(&d.host, &given);
        match r.problems.is_empty() {
            true => Ok(r),
            false => Err(format!("ssh_config: {}", r.problems.join("; "))),
        }
    }

    fn with_config(d: &Device, r: Option<Resolved>) -> Target {
        let user = r
            .as_ref()
            .and_then(|r| r.user.clone())
            .or_else(|| d.username.clone())
            .or_else(|| std::env::var("USER").ok())
            .unwrap_or_else(|| "root".into());
        let (host, port) = Self::endpoint(d, r.as_ref());
        let mut t = Target {
            name: d.name.clone(),
            host,
            port,
            platform: d.platform.clone(),
            credentials: Credentials {
                user,
                agent: d.agent,
                key_file: d.key_file.clone(),
                identity_files: Vec::new(),
                agent_socket: None,
                key_passphrase_env: d.key_passphrase_env.clone(),
                password_env: d.password_env.clone(),
                password: None,
            },
            legacy: d.legacy_ssh,
            jump: d.jump.clone(),
            proxy_command: None,
            ssh_config: None,
        };
        let Some(r) = r else {
            return t;
        };
        let c = &mut t.credentials;
        c.identity_files = r
            .identity_files
            .iter()
            .filter(|f| c.key_file.as_ref() != Some(*f))
            .cloned()
            .collect();
        match r.identity_agent.as_deref() {
            Some("none") => c.agent = false,
            Some("SSH_AUTH_SOCK") => c.agent = true,
            Some(path) => {
                c.agent = true;
                c.agent_socket = Some(PathBuf::from(path));
            }
            None => {}
        }
        // IdentitiesOnly: the keys named, not whatever the agent holds.
        if r.identities_only == Some(true) {
            c.agent = false;
        }
        // The inventory's `jump:` wins, like `ssh -J`; else ssh_config's ProxyJump or
        // ProxyCommand (which exclude each other there).
        if t.jump.is_empty() {
            t.jump = r.proxy_jump.clone();
            // As written: the transport expands `%h %p %r %n`, shell-quoted.
            t.proxy_command = r.proxy_command_template.clone();
        }
        t.ssh_config = Some(Box::new(r));
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::Inventory;

    #[test]
    fn target_takes_credentials_and_legacy_from_the_inventory() {
        let inv = Inventory::from_yaml(
            "defaults:\n  username: netops\n  password_env: FLEET_PW\n\
             groups:\n  old:\n    legacy_ssh: true\n    key_file: /k/id\n    key_passphrase_env: FLEET_KEY_PP\n\
             devices:\n  - {name: a, host: 127.0.0.1, platform: cisco_ios, groups: [old]}\n\
             \x20 - {name: b, host: 127.0.0.2, port: 2222}\n",
            "test",
        )
        .unwrap();
        let a = Target::from_device(&inv.devices[0]);
        assert!(a.legacy);
        assert_eq!(a.credentials.user, "netops");
        assert_eq!(
            a.credentials.key_passphrase_env.as_deref(),
            Some("FLEET_KEY_PP")
        );
        assert_eq!(a.credentials.password_env.as_deref(), Some("FLEET_PW"));
        let b = Target::from_device(&inv.devices[1]);
        assert!(!b.legacy);
        assert_eq!((b.port, b.platform.as_str()), (2222, "linux"));
        assert_eq!(b.credentials.key_file, None);
    }

    fn config(text: &str) -> (tempfile::TempDir, SshConfig) {
        use crate::ssh::ssh_config::{Local, Sources};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        std::fs::write(&path, text).unwrap();
        let local = Local {
            user: "me".into(),
            home: Some("/home/me".into()),
        };
        (
            dir,
            SshConfig::load_as(&Sources::File(path), local).unwrap(),
        )
    }

    #[test]
    fn ssh_config_fills_what_the_inventory_leaves_out_and_never_more() {
        let (_d, cfg) = config(
            "Host r*\n  HostName 127.0.0.5\n  Port 2200\n  User cfg\n  IdentityFile /k/a\n  \
             IdentityFile /k/b\n  IdentityAgent /run/agent.sock\n",
        );
        let inv = Inventory::from_yaml(
            "groups:\n  g: {port: 22}\n\
             devices:\n  - {name: bare, host: r1}\n\
             \x20 - {name: set, host: r2, groups: [g], username: inv, key_file: /k/b}\n\
             \x20 - {name: other, host: 127.0.0.9}\n",
            "test",
        )
        .unwrap();
        let bare = Target::resolve(&inv.devices[0], &cfg).unwrap();
        assert_eq!((bare.host.as_str(), bare.port), ("127.0.0.5", 2200));
        assert_eq!(bare.credentials.user, "cfg");
        assert_eq!(
            bare.credentials.identity_files,
            [PathBuf::from("/k/a"), PathBuf::from("/k/b")]
        );
        assert!(bare.credentials.agent);
        assert_eq!(
            bare.credentials.agent_socket,
            Some(PathBuf::from("/run/agent.sock"))
        );
        // Set at group level is set: 22 wins over Port, like `ssh -p 22`.
        let set = Target::resolve(&inv.devices[1], &cfg).unwrap();
        assert!(inv.devices[1].port_set && !inv.devices[0].port_set);
        assert_eq!((set.host.as_str(), set.port), ("127.0.0.5", 22));
        assert_eq!(set.credentials.user, "inv");
        assert_eq!(set.credentials.key_file, Some(PathBuf::from("/k/b")));
        assert_eq!(
            set.credentials.identity_files,
            [PathBuf::from("/k/a")],
            "no repeat"
        );
        let other = Target::resolve(&inv.devices[2], &cfg).unwrap();
        assert!(other.ssh_config.is_none());
        assert_eq!((other.host.as_str(), other.port), ("127.0.0.9", 22));
        assert!(!other.credentials.agent);
        // The sweeper's shortcut gives the address the whole target has.
        for (d, t) in inv.devices.iter().zip([&bare, &set, &other]) {
            let address = Target::address(d, &cfg).unwrap();
            assert_eq!(address, (t.host.clone(), t.port), "{}", d.name);
        }
    }

    #[test]
    fn proxy_jump_and_command_reach_the_transport_and_the_inventory_jump_wins() {
        let (_d, cfg) = config(
            "Host j\n  ProxyJump ops@127.0.0.5:2222,127.0.0.6\n\
             Host p\n  ProxyCommand ssh -W %h:%p 127.0.0.7\n",
        );
        let inv = Inventory::from_yaml(
            "devices:\n  - {name: j, host: j}\n  - {name: p, host: p}\n\
             \x20 - {name: own, host: p, jump: 127.0.0.9}\n",
            "test",
        )
        .unwrap();
        let j = Target::resolve(&inv.devices[0], &cfg).unwrap();
        assert_eq!(j.jump, ["ops@127.0.0.5:2222", "127.0.0.6"]);
        assert_eq!(j.proxy_command, None);
        let p = Target::resolve(&inv.devices[1], &cfg).unwrap();
        assert!(p.jump.is_empty());
        assert_eq!(p.proxy_command.as_deref(), Some("ssh -W %h:%p 127.0.0.7"));
        let own = Target::resolve(&inv.devices[2], &cfg).unwrap();
        assert_eq!(
            (own.jump.as_slice(), own.proxy_command.as_deref()),
            (&["127.0.0.9".to_string()][..], None)
        );
    }

    #[test]
    fn identities_only_and_identity_agent_none_turn_the_agent_off() {
        let (_d, cfg) = config("Host a\n  IdentitiesOnly yes\nHost b\n  IdentityAgent none\n");
        let inv = Inventory::from_yaml(
            "defaults: {agent: true}\ndevices:\n  - {name: a, host: a}\n  - {name: b, host: b}\n",
            "test",
        )
        .unwrap();
        for d in &inv.devices {
            assert!(
                !Target::resolve(d, &cfg).unwrap().credentials.agent,
                "{}",
                d.name
            );
        }
        let (_d, bad) = config("Host *\n  IdentityFile ~/.ssh/%C\n");
        let e = Target::resolve(&inv.devices[0], &bad).unwrap_err();
        assert!(e.contains("%C"), "{e}");
    }
}
