//! Stable host keys: ed25519 keys derived from the lab seed and the device name, so the
//! same device presents the same key across restarts and known_hosts checking works.

use std::net::SocketAddr;

use russh::keys::ssh_key::private::{Ed25519Keypair, KeypairData};
use russh::keys::{HashAlg, PrivateKey, PublicKey};

/// The host key of `name` in a lab seeded with `seed`. `generation` 0 is the normal key;
/// higher generations are the keys a device rotates to (the host-key-change fault).
pub fn derive(seed: u64, name: &str, generation: u32) -> PrivateKey {
    let mut msg = Vec::with_capacity(64 + name.len());
    msg.extend_from_slice(b"fleetdash-lab-hostkey-v1\0");
    msg.extend_from_slice(&seed.to_be_bytes());
    msg.extend_from_slice(&generation.to_be_bytes());
    msg.extend_from_slice(name.as_bytes());
    let digest = HashAlg::Sha256.digest(&msg);
    let mut secret = [0u8; 32];
    secret.copy_from_slice(&digest[..32]);
    let pair = Ed25519Keypair::from_seed(&secret);
    PrivateKey::new(KeypairData::Ed25519(pair), "").expect("an ed25519 keypair is always valid")
}

/// One known_hosts line for a key served at `addr` (`[ip]:port` unless the port is 22).
pub fn known_hosts_line(addr: SocketAddr, key: &PublicKey) -> String {
    let host = if addr.port() == 22 {
        addr.ip().to_string()
    } else {
        format!("[{}]:{}", addr.ip(), addr.port())
    };
    let bare = PublicKey::new(key.key_data().clone(), "");
    let text = bare
        .to_openssh()
        .expect("an ed25519 public key always encodes");
    format!("{host} {}", text.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_depend_on_seed_name_and_generation_only() {
        let a = derive(1, "ams-core1", 0);
        assert_eq!(a.public_key(), derive(1, "ams-core1", 0).public_key());
        assert_ne!(a.public_key(), derive(2, "ams-core1", 0).public_key());
        assert_ne!(a.public_key(), derive(1, "ams-core2", 0).public_key());
        assert_ne!(a.public_key(), derive(1, "ams-core1", 1).public_key());
    }

    #[test]
    fn known_hosts_uses_bracketed_form_for_other_ports() {
        let key = derive(1, "x", 0);
        let line = known_hosts_line("127.20.0.1:2222".parse().unwrap(), key.public_key());
        assert!(
            line.starts_with("[127.20.0.1]:2222 ssh-ed25519 AAAA"),
            "{line}"
        );
        assert_eq!(line.split(' ').count(), 3);
        let line = known_hosts_line("127.20.0.1:22".parse().unwrap(), key.public_key());
        assert!(line.starts_with("127.20.0.1 ssh-ed25519 "), "{line}");
    }
}
