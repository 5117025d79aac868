//! What a session needs to know about a device (address, platform, credentials, legacy
//! algorithms), taken from an inventory device or built by hand (tests, ad-hoc targets).

use super::auth::Credentials;
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
    /// Jump hosts, first hop first: an inventory device's name or `[user@]host[:port]`
    /// (see `jump.rs`). Empty: no bastion.
    pub jump: Vec<String>,
    /// A command whose stdin/stdout carry the SSH connection (OpenSSH's `ProxyCommand`,
    /// `%h %p %r` expanded); wins over `jump`. Filled from ssh_config.
    pub proxy_command: Option<String>,
}

impl Target {
    pub fn from_device(d: &Device) -> Target {
        let user = d
            .username
            .clone()
            .or_else(|| std::env::var("USER").ok())
            .unwrap_or_else(|| "root".into());
        Target {
            name: d.name.clone(),
            host: d.host.clone(),
            port: d.port,
            platform: d.platform.clone(),
            credentials: Credentials {
                user,
                agent: d.agent,
                key_file: d.key_file.clone(),
                key_passphrase_env: d.key_passphrase_env.clone(),
                password_env: d.password_env.clone(),
                password: None,
            },
            legacy: d.legacy_ssh,
            jump: d.jump.clone(),
            proxy_command: None,
        }
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
}
