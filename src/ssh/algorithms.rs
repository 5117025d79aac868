//! The client's algorithm lists: russh's safe defaults, or, for old gear that asks for it,
//! the defaults plus legacy algorithms (SHA-1 key exchange, CBC ciphers, hmac-sha1).

use std::borrow::Cow;

use russh::{Preferred, cipher, kex, mac};

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
        let sha1 = kex.iter().position(|n| n == "diffie-hellman-group1-sha1").unwrap();
        assert!(sha1 < first_marker);
        assert!(kex.iter().any(|n| n.starts_with("kex-strict-c")));
        assert!(names(&p.cipher).contains(&"aes128-cbc".to_string()));
        assert!(names(&p.mac).contains(&"hmac-sha1".to_string()));
        assert!(!names(&preferred(false).mac).contains(&"hmac-sha1".to_string()));
    }
}
