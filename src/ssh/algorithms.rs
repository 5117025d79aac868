//! The client's algorithm lists: russh's safe defaults, or, for old gear that asks for it,
//! the defaults plus legacy algorithms (SHA-1 key exchange, CBC ciphers, hmac-sha1); then
//! ssh_config's KexAlgorithms / HostKeyAlgorithms / Ciphers / MACs applied to those lists
//! as OpenSSH applies them to its own (`+`, `-`, `^`, wildcards).

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::Mutex;

use russh::keys::Algorithm;
use russh::{Preferred, cipher, kex, mac};

use super::ssh_config::{Resolved, assemble};
use crate::base::text::Untrusted;

/// `preferred(legacy)` with the device's ssh_config lists applied. `Err` when a list leaves
/// nothing fleetdash can negotiate (the reason names the option and what is supported).
/// Names fleetdash does not support are logged once each.
pub fn configured(legacy: bool, r: &Resolved) -> Result<Preferred, String> {
    let base = preferred(legacy);
    let is_marker = |s: &str| s.starts_with("ext-info-") || s.starts_with("kex-strict-");
    let mut out = base.clone();
    if let Some(spec) = &r.kex {
        let defaults: Vec<&str> = base
            .kex
            .iter()
            .map(|n| n.as_ref())
            .filter(|n| !is_marker(n))
            .collect();
        let all: Vec<&str> = kex::ALL_KEX_ALGORITHMS
            .iter()
            .map(|n| n.as_ref())
            .filter(|n| *n != "none" && !is_marker(n))
            .collect();
        let names = pick("KexAlgorithms", spec, &defaults, &all)?;
        let mut list: Vec<kex::Name> = names
            .iter()
            .filter_map(|n| kex::Name::try_from(n.as_str()).ok())
            .collect();
        list.extend(base.kex.iter().filter(|n| is_marker(n.as_ref())).cloned());
        out.kex = Cow::Owned(list);
    }
    if let Some(spec) = &r.ciphers {
        let defaults: Vec<&str> = base.cipher.iter().map(|n| n.as_ref()).collect();
        let all: Vec<&str> = cipher::ALL_CIPHERS
            .iter()
            .map(|n| n.as_ref())
            .filter(|n| *n != "none" && *n != "clear")
            .collect();
        let names = pick("Ciphers", spec, &defaults, &all)?;
        out.cipher = Cow::Owned(
            names
                .iter()
                .filter_map(|n| cipher::Name::try_from(n.as_str()).ok())
                .collect(),
        );
    }
    if let Some(spec) = &r.macs {
        let defaults: Vec<&str> = base.mac.iter().map(|n| n.as_ref()).collect();
        let all: Vec<&str> = mac::ALL_MAC_ALGORITHMS
            .iter()
            .map(|n| n.as_ref())
            .filter(|n| *n != "none")
            .collect();
        let names = pick("MACs", spec, &defaults, &all)?;
        out.mac = Cow::Owned(
            names
                .iter()
                .filter_map(|n| mac::Name::try_from(n.as_str()).ok())
                .collect(),
        );
    }
    if let Some(spec) = &r.host_key_algorithms {
        // What russh can verify: its default list (ssh-rsa included, last).
        let keys: Vec<Algorithm> = Preferred::default().key.to_vec();
        let all: Vec<&str> = keys.iter().map(|a| a.as_str()).collect();
        let defaults: Vec<&str> = base.key.iter().map(|a| a.as_str()).collect();
        let names = pick("HostKeyAlgorithms", spec, &defaults, &all)?;
        out.key = Cow::Owned(
            names
                .iter()
                .filter_map(|n| keys.iter().find(|a| a.as_str() == n).cloned())
                .collect(),
        );
    }
    Ok(out)
}

/// The assembled names; unknown ones logged once per process.
fn pick(option: &str, spec: &str, defaults: &[&str], all: &[&str]) -> Result<Vec<String>, String> {
    static REPORTED: Mutex<Option<HashSet<String>>> = Mutex::new(None);
    let got = assemble(spec, defaults, all);
    for name in &got.unknown {
        let mut seen = REPORTED.lock().unwrap_or_else(|e| e.into_inner());
        if seen
            .get_or_insert_with(HashSet::new)
            .insert(format!("{option} {name}"))
        {
            tracing::warn!(
                "ssh_config {option}: {} is not supported by fleetdash (it has: {}); left out",
                Untrusted(name),
                all.join(",")
            );
        }
    }
    if got.names.is_empty() {
        return Err(format!(
            "ssh_config {option} {} leaves nothing fleetdash supports (it has: {})",
            Untrusted(spec),
            all.join(",")
        ));
    }
    Ok(got.names)
}

/// `Preferred` for a device; `legacy` appends the old algorithms after the safe ones, so a
/// modern server still negotiates the modern ones.
pub fn preferred(legacy: bool) -> Preferred {
    let base = Preferred::default();
    if !legacy {
        return base;
    }
    // The ext-info and strict-kex markers must stay in the list; keep them last.
    let is_marker = |n: &kex::Name| {
        let s: &str = n.as_ref();
        s.starts_with("ext-info-") || s.starts_with("kex-strict-")
    };
    let mut kex_list: Vec<kex::Name> = base.kex.iter().filter(|n| !is_marker(n)).cloned().collect();
    kex_list.extend([kex::DH_G14_SHA1, kex::DH_GEX_SHA1, kex::DH_G1_SHA1]);
    kex_list.extend(base.kex.iter().filter(|n| is_marker(n)).cloned());
    let mut ciphers = base.cipher.to_vec();
    ciphers.extend([
        cipher::AES_256_CBC,
        cipher::AES_192_CBC,
        cipher::AES_128_CBC,
    ]);
    let mut macs = base.mac.to_vec();
    macs.extend([mac::HMAC_SHA1_ETM, mac::HMAC_SHA1]);
    Preferred {
        kex: Cow::Owned(kex_list),
        cipher: Cow::Owned(ciphers),
        mac: Cow::Owned(macs),
        ..base
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names<T: AsRef<str>>(list: &[T]) -> Vec<String> {
        list.iter().map(|n| n.as_ref().to_string()).collect()
    }

    #[test]
    fn legacy_appends_and_keeps_markers_last() {
        let p = preferred(true);
        let kex = names(&p.kex);
        assert!(kex.contains(&"diffie-hellman-group14-sha1".to_string()));
        assert_eq!(kex[0], names(&Preferred::default().kex)[0]);
        let first_marker = kex.iter().position(|n| n.starts_with("ext-info-")).unwrap();
        let sha1 = kex
            .iter()
            .position(|n| n == "diffie-hellman-group1-sha1")
            .unwrap();
        assert!(sha1 < first_marker);
        assert!(kex.iter().any(|n| n.starts_with("kex-strict-c")));
        assert!(names(&p.cipher).contains(&"aes128-cbc".to_string()));
        assert!(names(&p.mac).contains(&"hmac-sha1".to_string()));
        assert!(!names(&preferred(false).mac).contains(&"hmac-sha1".to_string()));
    }

    fn with(
        kex: Option<&str>,
        ciphers: Option<&str>,
        macs: Option<&str>,
        keys: Option<&str>,
    ) -> Resolved {
        Resolved {
            kex: kex.map(str::to_string),
            ciphers: ciphers.map(str::to_string),
            macs: macs.map(str::to_string),
            host_key_algorithms: keys.map(str::to_string),
            ..Resolved::default()
        }
    }

    #[test]
    fn ssh_config_lists_apply_to_fleetdash_defaults_and_keep_the_markers() {
        let p = configured(false, &with(Some("curve25519-sha256"), None, None, None)).unwrap();
        let kex = names(&p.kex);
        assert_eq!(kex[0], "curve25519-sha256");
        assert!(
            !kex.iter()
                .any(|n| n.starts_with("mlkem") || n.starts_with("ecdh")),
            "{kex:?}"
        );
        assert!(kex.iter().any(|n| n.starts_with("ext-info-")), "{kex:?}");
        assert!(kex.iter().any(|n| n.starts_with("kex-strict-c")), "{kex:?}");
        let p = configured(
            false,
            &with(
                Some("+diffie-hellman-group14-sha1"),
                Some("-aes128*"),
                Some("^hmac-sha1"),
                Some("ssh-ed25519"),
            ),
        )
        .unwrap();
        let kex = names(&p.kex);
        let sha1 = kex
            .iter()
            .position(|n| n == "diffie-hellman-group14-sha1")
            .unwrap();
        let marker = kex.iter().position(|n| n.starts_with("ext-info-")).unwrap();
        assert!(sha1 < marker, "{kex:?}");
        assert!(!names(&p.cipher).iter().any(|n| n.starts_with("aes128")));
        assert!(names(&p.cipher).contains(&"aes256-ctr".to_string()));
        assert_eq!(names(&p.mac)[0], "hmac-sha1");
        assert_eq!(names(&p.key), ["ssh-ed25519"]);
        let unchanged = configured(true, &Resolved::default()).unwrap();
        assert_eq!(names(&unchanged.kex), names(&preferred(true).kex));
    }

    #[test]
    fn a_list_with_nothing_supported_is_an_error_naming_the_option() {
        let cases = [
            with(Some("sntrup761x25519-sha512"), None, None, None),
            with(None, Some("3des-cbc"), None, None),
            with(None, None, Some("umac-64@openssh.com"), None),
            with(None, None, None, Some("ssh-dss")),
            with(None, Some("-*"), None, None),
        ];
        for r in cases {
            let e = configured(false, &r).unwrap_err();
            assert!(e.contains("leaves nothing"), "{e}");
        }
    }
}
