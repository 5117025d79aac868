//! Host key checking against known_hosts files (the user's and fleetdash's own), the
//! `strict` and `accept-new` policies, and learning new keys. A revoked key (`@revoked`) is
//! refused as OpenSSH refuses it; a changed key is always refused, with the file, the line
//! and the command that removes it; a host that a `@cert-authority` line covers is refused
//! rather than learned, since fleetdash does not check host certificates.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use russh::keys::{HashAlg, PublicKey};

use super::known_hosts::{Entry, Indexed, Marker};
use super::options::HostKeyPolicy;
use crate::base::files::{self, FileKind};

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
#[cfg(test)]
pub fn check(
    host: &str,
    port: u16,
    key: &PublicKey,
    policy: HostKeyPolicy,
    files: &[PathBuf],
    learn_into: &Path,
) -> Result<Accepted, String> {
    check_as(&host_port(host, port), key, policy, files, learn_into)
}

/// [`check`] for the name the key is filed under (`host`, `[host]:port`, or ssh_config's
/// HostKeyAlias, which OpenSSH uses as it is, without the port).
pub fn check_as(
    target: &str,
    key: &PublicKey,
    policy: HostKeyPolicy,
    files: &[PathBuf],
    learn_into: &Path,
) -> Result<Accepted, String> {
    let read: Vec<(&Path, Vec<Entry>)> = files
        .iter()
        .map(|f| Ok((f.as_path(), entries(f, target)?)))
        .collect::<Result<_, String>>()?;
    match judge(target, key, policy, &read)? {
        Some(accepted) => Ok(accepted),
        None => learn_new(target, key, learn_into),
    }
}

/// [`check_as`] from the files as last parsed, costing a `stat` per file and no read: for
/// the async threads. `None` when a file changed since (or was never read) or the key must
/// be learned; then [`check_as`] decides, off the async threads.
pub fn check_cached(
    target: &str,
    key: &PublicKey,
    policy: HostKeyPolicy,
    files: &[PathBuf],
) -> Option<Result<Accepted, String>> {
    let mut read = Vec::with_capacity(files.len());
    for f in files {
        read.push((f.as_path(), cached_entries(f, target)?));
    }
    judge(target, key, policy, &read).transpose()
}

/// The verdict on `key` from the lines that apply to `target`: `Ok(None)` means unknown
/// under accept-new (learn it).
fn judge(
    target: &str,
    key: &PublicKey,
    policy: HostKeyPolicy,
    read: &[(&Path, Vec<Entry>)],
) -> Result<Option<Accepted>, String> {
    // Revocation wins over every other line, in any file.
    for (file, entries) in read {
        revoked(file, entries, key, target)?;
    }
    for (file, entries) in read {
        if known(file, entries, key, target)? {
            return Ok(Some(Accepted::Known));
        }
    }
    let fingerprint = key.fingerprint(HashAlg::Sha256);
    let alg = key.algorithm();
    for (file, entries) in read {
        if let Some(ca) = entries.iter().find(|e| e.marker == Marker::CertAuthority) {
            return Err(format!(
                "{} line {} trusts a certificate authority (@cert-authority) for {target}, but \
                 fleetdash does not check host certificates, and {target} presents the plain \
                 key {alg} {fingerprint}; verify that fingerprint, then add it as a plain line \
                 (`{target} {alg} …`) to a known_hosts file",
                file.display(),
                ca.line
            ));
        }
    }
    if policy == HostKeyPolicy::Strict {
        let listed: Vec<String> = read.iter().map(|(f, _)| f.display().to_string()).collect();
        return Err(format!(
            "host key of {target} ({alg} {fingerprint}) is not in known_hosts ({}) and the \
             host key policy is strict; verify the fingerprint, then add the key or use accept-new",
            listed.join(", ")
        ));
    }
    Ok(None)
}

/// Records an unknown key under accept-new (unless another session just did).
fn learn_new(target: &str, key: &PublicKey, learn_into: &Path) -> Result<Accepted, String> {
    let _guard = LEARN.lock().unwrap_or_else(|e| e.into_inner());
    // Another session may have learned it while we waited.
    let own = entries(learn_into, target)?;
    revoked(learn_into, &own, key, target)?;
    if known(learn_into, &own, key, target)? {
        return Ok(Accepted::Known);
    }
    learn(target, key, learn_into).map_err(|e| {
        format!(
            "cannot record the host key of {target} in {}: {e}",
            learn_into.display()
        )
    })?;
    let (alg, fingerprint) = (key.algorithm(), key.fingerprint(HashAlg::Sha256));
    Ok(Accepted::Learned(format!(
        "learned new host key of {target} ({alg} {fingerprint}) into {}",
        learn_into.display()
    )))
}

/// Checks a known_hosts file named on the command line before anything connects: it is
/// read the way every session reads it, and accept-new can write it (its directory
/// exists). `Err` is the message for the user.
pub fn check_file(file: &Path) -> Result<(), String> {
    entries(file, "")?;
    match file.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) if !dir.is_dir() => Err(format!(
            "--known-hosts {}: the directory {} does not exist (fleetdash creates only its own \
             state directory)",
            file.display(),
            dir.display()
        )),
        _ => Ok(()),
    }
}

/// A file's identity and version: any write (an append by accept-new, an edit, a rename
/// over it) changes one of these.
type Stamp = (u64, u64, u64, std::time::SystemTime, i64, i64);

fn stamp(file: &Path) -> Option<Stamp> {
    stamp_of(&std::fs::metadata(file).ok()?)
}

fn stamp_of(m: &std::fs::Metadata) -> Option<Stamp> {
    use std::os::unix::fs::MetadataExt;
    let m = Some(m).filter(|m| m.is_file())?;
    Some((
        m.dev(),
        m.ino(),
        m.len(),
        m.modified().ok()?,
        m.ctime(),
        m.ctime_nsec(),
    ))
}

/// Parsed known_hosts files, read again only when they change: every session of a run
/// checks its key against the same files.
static PARSED: Mutex<Option<Parsed>> = Mutex::new(None);

type Parsed = HashMap<PathBuf, (Stamp, Arc<Indexed>)>;

/// The lines of `file` that apply to `target`; a missing file has none.
fn entries(file: &Path, target: &str) -> Result<Vec<Entry>, String> {
    let before = stamp(file);
    if let Some(now) = before {
        let cached = PARSED.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((seen, index)) = cached.as_ref().and_then(|c| c.get(file))
            && *seen == now
        {
            let index = index.clone();
            drop(cached);
            return Ok(index.matching(target));
        }
    }
    match files::read_text(file, FileKind::KnownHosts) {
        Ok(text) => {
            let index = Arc::new(Indexed::new(&text));
            // Only a file that did not change while it was read is kept.
            if let Some(now) = before.filter(|b| stamp(file).as_ref() == Some(b)) {
                PARSED
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .get_or_insert_with(HashMap::new)
                    .insert(file.to_path_buf(), (now, index.clone()));
            }
            Ok(index.matching(target))
        }
        Err(e) if e.is_not_found() => Ok(Vec::new()),
        Err(e) => Err(format!(
            "cannot use known_hosts {}: {e} ({})",
            file.display(),
            e.help()
        )),
    }
}

/// The lines of `file` that apply to `target` as last parsed, if it has not changed since;
/// a missing file has none.
fn cached_entries(file: &Path, target: &str) -> Option<Vec<Entry>> {
    let now = match std::fs::metadata(file) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Some(Vec::new()),
        m => stamp_of(&m.ok()?)?,
    };
    let cached = PARSED.lock().unwrap_or_else(|e| e.into_inner());
    let (seen, index) = cached.as_ref()?.get(file)?;
    let index = (*seen == now).then(|| index.clone())?;
    drop(cached);
    Some(index.matching(target))
}

fn revoked(file: &Path, entries: &[Entry], key: &PublicKey, target: &str) -> Result<(), String> {
    match entries
        .iter()
        .find(|e| e.marker == Marker::Revoked && same(e, key))
    {
        Some(e) => Err(format!(
            "REVOKED HOST KEY for {target}: it presents {} {}, which {} line {} marks as \
             @revoked. Someone may be using a stolen key to impersonate the device; do not \
             connect until the device has a new key",
            key.algorithm(),
            key.fingerprint(HashAlg::Sha256),
            file.display(),
            e.line
        )),
        None => Ok(()),
    }
}

/// Whether the line holds `key` (comments aside).
fn same(entry: &Entry, key: &PublicKey) -> bool {
    entry
        .key
        .as_ref()
        .is_some_and(|k| k.key_data() == key.key_data())
}

/// `Ok(true)` if a plain line lists this key, `Ok(false)` if none lists the host with a key
/// of this type, `Err` if one lists a different key of this type (and none this key).
fn known(file: &Path, entries: &[Entry], key: &PublicKey, target: &str) -> Result<bool, String> {
    let plain = || entries.iter().filter(|e| e.marker == Marker::Plain);
    if plain().any(|e| same(e, key)) {
        return Ok(true);
    }
    match plain().find(|e| {
        e.key
            .as_ref()
            .is_some_and(|k| k.algorithm() == key.algorithm())
    }) {
        Some(e) => Err(format!(
            "HOST KEY CHANGED for {target}: it now presents {} {}, but {} line {} holds \
             a different key. The device may have been replaced, or someone may be \
             intercepting the connection. If the change is expected, remove line {} \
             (ssh-keygen -R '{target}' -f {})",
            key.algorithm(),
            key.fingerprint(HashAlg::Sha256),
            file.display(),
            e.line,
            e.line,
            file.display()
        )),
        None => Ok(false),
    }
}

/// Appends `target key` to `file`. Only fleetdash's own state directory is created on
/// demand: a `--known-hosts` path in a directory that does not exist is a mistake to report,
/// not a tree to make.
fn learn(target: &str, key: &PublicKey, file: &Path) -> std::io::Result<()> {
    use std::io::{Read, Seek, SeekFrom, Write};
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        if crate::base::paths::known_hosts().is_ok_and(|own| file == own) {
            std::fs::create_dir_all(dir)?;
        } else if !dir.is_dir() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!(
                    "the directory {} does not exist (only fleetdash's own state directory is \
                     created)",
                    dir.display()
                ),
            ));
        }
    }
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(file)?;
    let mut needs_newline = false;
    if f.seek(SeekFrom::End(-1)).is_ok() {
        let mut last = [0u8; 1];
        f.read_exact(&mut last)?;
        needs_newline = last[0] != b'\n';
    }
    // Without the key's comment: known_hosts lines carry none.
    let bare = PublicKey::new(key.key_data().clone(), "");
    let text = bare.to_openssh().map_err(std::io::Error::other)?;
    let line = format!(
        "{}{target} {}\n",
        if needs_newline { "\n" } else { "" },
        text.trim_end()
    );
    f.write_all(line.as_bytes())
}

/// How OpenSSH and russh name a host in known_hosts.
pub fn host_port(host: &str, port: u16) -> String {
    if port == 22 {
        host.to_string()
    } else {
        format!("[{host}]:{port}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use russh::keys::PrivateKey;
    use russh::keys::ssh_key::private::{Ed25519Keypair, KeypairData};

    fn key(seed: u8) -> PublicKey {
        let pair = Ed25519Keypair::from_seed(&[seed; 32]);
        PrivateKey::new(KeypairData::Ed25519(pair), "")
            .unwrap()
            .public_key()
            .clone()
    }

    /// Files are parsed once per version: an edit between two sessions (even one that keeps
    /// the length) is seen by the next check.
    #[test]
    fn a_file_edited_between_checks_is_read_again() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("kh");
        let line = |k: &PublicKey| format!("[127.0.0.1]:2222 {}\n", k.to_openssh().unwrap());
        let (one, two) = (key(1), key(2));
        std::fs::write(&file, line(&one)).unwrap();
        let check = |k: &PublicKey| {
            check(
                "127.0.0.1",
                2222,
                k,
                HostKeyPolicy::Strict,
                std::slice::from_ref(&file),
                &file,
            )
        };
        assert_eq!(check(&one), Ok(Accepted::Known));
        assert_eq!(check(&one), Ok(Accepted::Known));
        assert_eq!(line(&one).len(), line(&two).len());
        std::fs::write(&file, line(&two)).unwrap();
        let e = check(&one).unwrap_err();
        assert!(e.contains("HOST KEY CHANGED"), "{e}");
        assert_eq!(check(&two), Ok(Accepted::Known));
        std::fs::remove_file(&file).unwrap();
        assert!(check(&two).unwrap_err().contains("not in known_hosts"));
    }

    #[test]
    fn accept_new_learns_then_strict_knows_and_changed_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("kh");
        let files = vec![file.clone()];
        let strict = check(
            "127.0.0.9",
            2222,
            &key(1),
            HostKeyPolicy::Strict,
            &files,
            &file,
        );
        assert!(strict.unwrap_err().contains("not in known_hosts"));
        let first = check(
            "127.0.0.9",
            2222,
            &key(1),
            HostKeyPolicy::AcceptNew,
            &files,
            &file,
        );
        assert!(matches!(first, Ok(Accepted::Learned(ref t)) if t.contains("[127.0.0.9]:2222")));
        let again = check(
            "127.0.0.9",
            2222,
            &key(1),
            HostKeyPolicy::Strict,
            &files,
            &file,
        );
        assert_eq!(again, Ok(Accepted::Known));
        for policy in [HostKeyPolicy::Strict, HostKeyPolicy::AcceptNew] {
            let err = check("127.0.0.9", 2222, &key(2), policy, &files, &file).unwrap_err();
            assert!(err.contains("CHANGED") && err.contains("line 1"), "{err}");
        }
    }

    /// The check on the async threads answers only from a file parsed before and unchanged
    /// since, and never learns: everything else goes to the full check.
    #[test]
    fn the_cached_check_agrees_and_leaves_reading_and_learning_to_the_full_one() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("kh");
        let files = vec![file.clone()];
        let target = host_port("127.0.0.8", 2222);
        let cached = |k: &PublicKey, policy| check_cached(&target, k, policy, &files);
        // A missing file lists nothing: strict refuses, accept-new must learn.
        let strict = cached(&key(1), HostKeyPolicy::Strict).expect("nothing to read");
        assert!(strict.unwrap_err().contains("not in known_hosts"));
        assert_eq!(cached(&key(1), HostKeyPolicy::AcceptNew), None);
        let line = format!("{target} {}\n", key(1).to_openssh().unwrap());
        std::fs::write(&file, &line).unwrap();
        assert_eq!(cached(&key(1), HostKeyPolicy::Strict), None, "never read");
        let full = check_as(&target, &key(1), HostKeyPolicy::Strict, &files, &file);
        assert_eq!(full, Ok(Accepted::Known));
        assert_eq!(
            cached(&key(1), HostKeyPolicy::Strict),
            Some(Ok(Accepted::Known))
        );
        let changed = cached(&key(2), HostKeyPolicy::AcceptNew).expect("parsed");
        assert!(changed.unwrap_err().contains("CHANGED"));
        std::fs::write(&file, format!("{line}# edited\n")).unwrap();
        assert_eq!(cached(&key(1), HostKeyPolicy::Strict), None, "changed");
    }

    /// A key made by ssh-keygen in `dir`: the public key and its `.pub` line.
    fn keygen(dir: &Path, name: &str) -> (PublicKey, String) {
        let path = dir.join(name);
        let status = std::process::Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(&path)
            .status()
            .unwrap();
        assert!(status.success());
        let line = std::fs::read_to_string(path.with_extension("pub")).unwrap();
        (
            PublicKey::from_openssh(&line).unwrap(),
            line.trim().to_owned(),
        )
    }

    fn check_in(file: &Path, key: &PublicKey, policy: HostKeyPolicy) -> Result<Accepted, String> {
        check(
            "127.0.0.9",
            2222,
            key,
            policy,
            std::slice::from_ref(&file.to_path_buf()),
            file,
        )
    }

    #[test]
    fn revoked_keys_are_refused_and_never_learned() {
        let dir = tempfile::tempdir().unwrap();
        let (bad, bad_line) = keygen(dir.path(), "bad");
        let (good, good_line) = keygen(dir.path(), "good");
        let file = dir.path().join("kh");
        for patterns in [
            "*",
            "[127.0.0.9]:2222",
            "[127.0.0.*]:2222,!10.0.0.1",
            "*:2222",
        ] {
            // Listed as known as well: revocation still wins, as in OpenSSH.
            let text = format!(
                "# ssh-keygen keys\n@revoked {patterns} {bad_line}\n[127.0.0.9]:2222 {bad_line}\n"
            );
            std::fs::write(&file, &text).unwrap();
            for policy in [HostKeyPolicy::AcceptNew, HostKeyPolicy::Strict] {
                let err = check_in(&file, &bad, policy).expect_err(patterns);
                assert!(
                    err.starts_with("REVOKED HOST KEY for [127.0.0.9]:2222"),
                    "{err}"
                );
                assert!(err.contains("kh line 2 marks as @revoked"), "{err}");
            }
            assert_eq!(
                std::fs::read_to_string(&file).unwrap(),
                text,
                "never learned"
            );
        }
        // A revocation for other hosts does not apply; another key is learned as usual.
        std::fs::write(&file, format!("@revoked 10.0.0.1 {bad_line}\n")).unwrap();
        assert!(check_in(&file, &bad, HostKeyPolicy::AcceptNew).is_ok());
        std::fs::write(&file, format!("@revoked * {bad_line}\n")).unwrap();
        assert!(matches!(
            check_in(&file, &good, HostKeyPolicy::AcceptNew),
            Ok(Accepted::Learned(_))
        ));
        assert!(
            std::fs::read_to_string(&file)
                .unwrap()
                .contains(good_line.split(' ').nth(1).unwrap())
        );
        // Revoked in the user's file, known in fleetdash's own: refused.
        let own = dir.path().join("own");
        std::fs::write(&own, format!("[127.0.0.9]:2222 {bad_line}\n")).unwrap();
        let both = [file.clone(), own.clone()];
        let err = check(
            "127.0.0.9",
            2222,
            &bad,
            HostKeyPolicy::AcceptNew,
            &both,
            &own,
        );
        assert!(err.unwrap_err().contains("REVOKED"));
    }

    #[test]
    fn cert_authority_lines_refuse_rather_than_learn() {
        let dir = tempfile::tempdir().unwrap();
        let (ca, ca_line) = keygen(dir.path(), "ca");
        let (host, host_line) = keygen(dir.path(), "host");
        let file = dir.path().join("kh");
        let text = format!("@cert-authority [127.0.0.*]:2222 {ca_line}\n");
        std::fs::write(&file, &text).unwrap();
        for (key, policy) in [
            (&host, HostKeyPolicy::AcceptNew),
            (&host, HostKeyPolicy::Strict),
            (&ca, HostKeyPolicy::AcceptNew),
        ] {
            let err = check_in(&file, key, policy).unwrap_err();
            assert!(
                err.contains("kh line 1 trusts a certificate authority"),
                "{err}"
            );
            assert!(err.contains("does not check host certificates"), "{err}");
        }
        assert_eq!(
            std::fs::read_to_string(&file).unwrap(),
            text,
            "never learned"
        );
        // A plain line for the host's own key is the way in.
        std::fs::write(&file, format!("{text}[127.0.0.9]:2222 {host_line}\n")).unwrap();
        assert_eq!(
            check_in(&file, &host, HostKeyPolicy::Strict),
            Ok(Accepted::Known)
        );
    }

    /// Which hosts a file's lines apply to, as `ssh-keygen -F` (OpenSSH's own matcher) says.
    fn openssh_lines(file: &Path, host: &str) -> Vec<usize> {
        let out = std::process::Command::new("ssh-keygen")
            .args(["-F", host, "-f"])
            .arg(file)
            .output()
            .unwrap();
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .filter_map(|l| l.split("found: line ").nth(1))
            .map(|n| n.split(' ').next().unwrap().parse().unwrap())
            .collect()
    }

    #[test]
    fn host_matching_agrees_with_ssh_keygen_including_hashed_names() {
        let dir = tempfile::tempdir().unwrap();
        let (_, line) = keygen(dir.path(), "k");
        let patterns = [
            "127.0.0.9",
            "[127.0.0.9]:2222",
            "core-1.lab,core-2.lab",
            "*.lab,!bad.lab",
            "127.0.0.?",
            "[127.0.0.*]:22*",
            "Core-1.LAB",
            "@revoked *",
            "@cert-authority *.lab",
        ];
        let text: String = patterns.iter().map(|p| format!("{p} {line}\n")).collect();
        let file = dir.path().join("kh");
        std::fs::write(&file, &text).unwrap();
        // Hash the plain names the way users do (`ssh-keygen -H`), beside the clear ones.
        let hashed = dir.path().join("hashed");
        std::fs::write(&hashed, &text).unwrap();
        let status = std::process::Command::new("ssh-keygen")
            .args(["-q", "-H", "-f"])
            .arg(&hashed)
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(status.success());
        assert!(std::fs::read_to_string(&hashed).unwrap().contains("|1|"));
        for f in [&file, &hashed] {
            let text = std::fs::read_to_string(f).unwrap();
            let entries = crate::ssh::known_hosts::parse(&text);
            let index = Indexed::new(&text);
            for host in [
                "127.0.0.9",
                "[127.0.0.9]:2222",
                "127.0.0.10",
                "core-2.lab",
                "core-1.lab",
                "bad.lab",
                "x.lab",
                "[127.0.0.1]:22",
                "[127.0.0.1]:2200",
            ] {
                let ours: Vec<usize> = entries
                    .iter()
                    .filter(|e| e.matches(host))
                    .map(|e| e.line)
                    .collect();
                assert_eq!(ours, openssh_lines(f, host), "{host} in {}", f.display());
                let indexed: Vec<usize> = index.matching(host).iter().map(|e| e.line).collect();
                assert_eq!(indexed, ours, "{host} in {} (index)", f.display());
            }
        }
    }

    #[test]
    fn learning_never_creates_a_directory_it_was_not_meant_to() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("no/such/dir/kh");
        let err = check_in(&file, &key(1), HostKeyPolicy::AcceptNew).unwrap_err();
        assert!(err.contains("does not exist"), "{err}");
        assert!(!dir.path().join("no").exists());
    }

    #[test]
    fn a_known_hosts_that_is_not_a_regular_file_is_refused() {
        let err = check_in(Path::new("/dev/zero"), &key(1), HostKeyPolicy::AcceptNew).unwrap_err();
        assert!(
            err.contains("character device, not a regular file"),
            "{err}"
        );
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
