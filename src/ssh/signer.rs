//! Ed25519 user-auth signatures from a key expanded once per run. russh signs with
//! `ssh-key`, which rebuilds the signing key (hash and a curve multiplication) for every
//! signature: a tenth of a session's client CPU. Other key types sign through russh.

use std::sync::Arc;

use ring::signature::Ed25519KeyPair;
use russh::keys::agent::AgentIdentity;
use russh::keys::{HashAlg, PrivateKey};

/// The algorithm name in the signature blob.
const ALG: &str = "ssh-ed25519";

/// An Ed25519 private key, ready to sign.
#[derive(Clone)]
pub struct Ed25519Signer(Arc<Ed25519KeyPair>);

impl std::fmt::Debug for Ed25519Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Ed25519Signer")
    }
}

impl Ed25519Signer {
    /// The signer for `key` if it is an Ed25519 key (`None` for other types, or a key whose
    /// halves do not match: russh then signs, and reports what is wrong).
    pub fn of(key: &PrivateKey) -> Option<Ed25519Signer> {
        let pair = key.key_data().ed25519()?;
        let private: &[u8; 32] = pair.private.as_ref();
        let public: &[u8; 32] = pair.public.as_ref();
        let ready = Ed25519KeyPair::from_seed_and_public_key(private, public).ok()?;
        Some(Ed25519Signer(Arc::new(ready)))
    }

    /// `to_sign` (session id and the userauth request) with its signature appended, as
    /// SSH writes it: `string(string(alg) string(signature))`.
    fn sign_appended(&self, mut to_sign: Vec<u8>) -> Vec<u8> {
        let signature = self.0.sign(&to_sign);
        let sig = signature.as_ref();
        let inner = 4 + ALG.len() + 4 + sig.len();
        to_sign.reserve(4 + inner);
        for (len, bytes) in [
            (inner, None),
            (ALG.len(), Some(ALG.as_bytes())),
            (sig.len(), Some(sig)),
        ] {
            to_sign.extend_from_slice(&(len as u32).to_be_bytes());
            if let Some(bytes) = bytes {
                to_sign.extend_from_slice(bytes);
            }
        }
        to_sign
    }
}

/// Why a signature was not made: only a session that went away.
#[derive(Debug, thiserror::Error)]
#[error("the session closed while signing")]
pub struct SignError;

impl From<russh::SendError> for SignError {
    fn from(_: russh::SendError) -> SignError {
        SignError
    }
}

impl russh::Signer for Ed25519Signer {
    type Error = SignError;

    #[allow(clippy::manual_async_fn)]
    fn auth_sign(
        &mut self,
        _key: &AgentIdentity,
        _hash_alg: Option<HashAlg>,
        to_sign: Vec<u8>,
    ) -> impl Future<Output = Result<Vec<u8>, SignError>> + Send {
        let signed = self.sign_appended(to_sign);
        async move { Ok(signed) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::signature::{ED25519, UnparsedPublicKey};
    use russh::keys::ssh_key::private::{Ed25519Keypair, KeypairData};

    fn field<'a>(rest: &mut &'a [u8]) -> &'a [u8] {
        let n = u32::from_be_bytes(rest[..4].try_into().unwrap()) as usize;
        let (field, tail) = rest[4..].split_at(n);
        *rest = tail;
        field
    }

    /// The data comes back with `string(string("ssh-ed25519") string(sig))` appended, and
    /// the signature verifies against the key's public half.
    #[test]
    fn signatures_verify_and_are_framed_as_ssh_writes_them() {
        let pair = Ed25519Keypair::from_seed(&[7; 32]);
        let public = pair.public.0;
        let key = PrivateKey::new(KeypairData::Ed25519(pair), "").unwrap();
        let signer = Ed25519Signer::of(&key).expect("an ed25519 key");
        let data = b"\x00\x00\x00\x04sess\x32userauth request".to_vec();
        let out = signer.sign_appended(data.clone());
        assert_eq!(&out[..data.len()], &data[..]);
        let mut rest = &out[data.len()..];
        let mut blob = field(&mut rest);
        assert!(rest.is_empty());
        assert_eq!(field(&mut blob), ALG.as_bytes());
        let sig = field(&mut blob);
        assert!(blob.is_empty());
        UnparsedPublicKey::new(&ED25519, public)
            .verify(&data, sig)
            .expect("the signature verifies");
        assert!(
            UnparsedPublicKey::new(&ED25519, public)
                .verify(b"other data", sig)
                .is_err()
        );
    }
}
