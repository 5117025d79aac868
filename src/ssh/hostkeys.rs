//! Host key checking against known_hosts files (the user's and fleetdash's own), the
//! `strict` and `accept-new` policies, and learning new keys. A changed key is always
//! refused, with the file, the real line number and the command that removes it.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use russh::keys::known_hosts::{check_known_hosts_path, learn_known_hosts_path};
use russh::keys::{HashAlg, PublicKey};

use super::options::HostKeyPolicy;

/// Serialises learning so concurrent sessions never write one host twice or interleave.
static LEARN: Mutex<()> = Mutex::new(());

/// What the check decided for an acceptable key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Accepted {
    /// Listed in a known_hosts file.
    Known,
    /// Unknown, learned under accept-new; the text says what was written where.
    Learned(String),
}

/// Checks `key` for `host:port`. `Err` holds the reason for refusing, for people.
pub fn check(
    host: &str,
    port: u16,
    key: &PublicKey,
    policy: HostKeyPolicy,
    files: &[PathBuf],
    learn_into: &Path,
) -> Result<Accepted, String> {
    let target = host_port(host, port);
    for file in files {
        if lookup(host, port, key, file, &target)? {
            return Ok(Accepted::Known);
        }
    }
    let fingerprint = key.fingerprint(HashAlg::Sha256);
    let alg = key.algorithm();
    if policy == HostKeyPolicy::Strict {
        let listed: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
        return Err(format!(
            "host key of {target} ({alg} {fingerprint}) is not in known_hosts ({}) and the \
             host key policy is strict; verify the fingerprint, then add the key or use accept-new",
            listed.join(", ")
        ));
    }
    let _guard = LEARN.lock().unwrap_or_else(|e| e.into_inner());
    // Another session may have learned it while we waited.
    if lookup(host, port, key, learn_into, &target)? {
        return Ok(Accepted::Known);
    }
    learn_known_hosts_path(host, port, key, learn_into).map_err(|e| {
        format!(
            "cannot record the host key of {target} in {}: {e}",
            learn_into.display()
        )
    })?;
    Ok(Accepted::Learned(format!(
        "learned new host key of {target} ({alg} {fingerprint}) into {}",
        learn_into.display()
    )))
}

/// `Ok(true)` if `file` lists this key for the host, `Ok(false)` if it does not know the
/// host (or has only other key types), `Err` if it lists a different key.
fn lookup(
    host: &str,
    port: u16,
    key: &PublicKey,
    file: &Path,
    target: &str,
) -> Result<bool, String> {
    match check_known_hosts_path(host, port, key, file) {
        Ok(found) => Ok(found),
        Err(russh::keys::Error::KeyChanged { line }) => {
            let real = real_line(file, line).unwrap_or(line);
            Err(format!(
                "HOST KEY CHANGED for {target}: it now presents {} {}, but {} line {real} holds \
                 a different key. The device may have been replaced, or someone may be \
                 intercepting the connection. If the change is expected, remove line {real} \
                 (ssh-keygen -R '{target}' -f {})",
                key.algorithm(),
                key.fingerprint(HashAlg::Sha256),
                file.display(),
                file.display()
            ))
        }
        Err(e) => Err(format!("cannot use known_hosts {}: {e}", file.display())),
    }
}

/// How OpenSSH and russh name a host in known_hosts.
pub fn host_port(host: &str, port: u16) -> String {
    if port == 22 {
        host.to_string()
    } else {
        format!("[{host}]:{port}")
    }
}

/// russh numbers known_hosts lines without counting comment lines; this is the line a
/// person sees in an editor.
fn real_line(file: &Path, counted: usize) -> Option<usize> {
    let text = std::fs::read_to_string(file).ok()?;
    let mut seen = 0;
    for (i, line) in text.lines().enumerate() {
        if line.starts_with('#') {
            continue;
        }
        seen += 1;
        if seen == counted {
            return Some(i + 1);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use russh::keys::ssh_key::private::{Ed25519Keypair, KeypairData};
    use russh::keys::PrivateKey;

    fn key(seed: u8) -> PublicKey {
        let pair = Ed25519Keypair::from_seed(&[seed; 32]);
        PrivateKey::new(KeypairData::Ed25519(pair), "")
            .unwrap()
            .public_key()
            .clone()
    }

    #[test]
    fn accept_new_learns_then_strict_knows_and_changed_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("kh");
        let files = vec![file.clone()];
        let strict = check("127.0.0.9", 2222, &key(1), HostKeyPolicy::Strict, &files, &file);
        assert!(strict.unwrap_err().contains("not in known_hosts"));
        let first = check("127.0.0.9", 2222, &key(1), HostKeyPolicy::AcceptNew, &files, &file);
        assert!(matches!(first, Ok(Accepted::Learned(ref t)) if t.contains("[127.0.0.9]:2222")));
        let again = check("127.0.0.9", 2222, &key(1), HostKeyPolicy::Strict, &files, &file);
        assert_eq!(again, Ok(Accepted::Known));
        for policy in [HostKeyPolicy::Strict, HostKeyPolicy::AcceptNew] {
            let err = check("127.0.0.9", 2222, &key(2), policy, &files, &file).unwrap_err();
            assert!(err.contains("CHANGED") && err.contains("line 1"), "{err}");
        }
    }

    #[test]
    fn changed_key_names_the_real_line_past_comments() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("kh");
        let line = |k: &PublicKey, h: &str| format!("{h} {}\n", k.to_openssh().unwrap());
        let text = format!(
            "# comment\n{}# another\n\n{}",
            line(&key(3), "127.0.0.8"),
            line(&key(1), "[127.0.0.9]:2222")
        );
        std::fs::write(&file, text).unwrap();
        let err = check(
            "127.0.0.9",
            2222,
            &key(2),
            HostKeyPolicy::AcceptNew,
            std::slice::from_ref(&file),
            &file,
        )
        .unwrap_err();
        assert!(err.contains("line 5"), "{err}");
        assert!(err.contains("ssh-keygen -R '[127.0.0.9]:2222'"), "{err}");
    }
}
