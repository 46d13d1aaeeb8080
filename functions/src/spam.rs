//! Keeping spam out without third parties: a proof-of-work challenge signed by the server (HMAC), a honeypot
//! field, and rate limits per client, where the client is a salted hash of its address (never the address).

use std::time::{SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::hash::hex;

type HmacSha256 = Hmac<Sha256>;

/// Leading zero bits a solution's hash needs: about 65,000 hashes, a second or two in a phone's browser.
pub const DIFFICULTY_BITS: u32 = 16;
/// How long a challenge may be answered.
pub const CHALLENGE_SECONDS: u64 = 600;

/// The server's secrets, from the environment.
#[derive(Clone)]
pub struct Secrets {
    /// Signs challenges.
    pub challenge_key: Vec<u8>,
    /// Salts client addresses before hashing.
    pub address_salt: Vec<u8>,
    /// Keys the hashes of survey access codes (`secrets::access_code_hash`); without it, code surveys are refused.
    pub code_key: Option<Vec<u8>>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secrets(…)")
    }
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

fn sign(key: &[u8], message: &str) -> String {
    let mut mac =
        <HmacSha256 as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(message.as_bytes());
    hex(&mac.finalize().into_bytes())
}

/// A challenge for the browser: find `nonce` with SHA-256(`salt` + `nonce`) starting with `difficulty` zero bits.
#[derive(Debug, Clone, Serialize)]
pub struct Challenge {
    /// `expires.random`.
    pub salt: String,
    /// Zero bits required.
    pub difficulty: u32,
    /// HMAC of the salt, so the server need not remember challenges.
    pub signature: String,
}

/// Why a proof of work was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PowError {
    /// Not `salt:nonce:signature`.
    #[error("bằng chứng chống thư rác sai định dạng")]
    Malformed,
    /// Not signed by this server.
    #[error("bằng chứng chống thư rác không do máy chủ cấp")]
    Forged,
    /// Too old.
    #[error("bằng chứng chống thư rác đã hết hạn, vui lòng gửi lại")]
    Expired,
    /// The hash does not have the zero bits.
    #[error("bằng chứng chống thư rác chưa đúng")]
    Wrong,
}

impl Secrets {
    /// Secrets from raw strings (environment variables).
    pub fn new(challenge_key: &str, address_salt: &str) -> Self {
        Self {
            challenge_key: challenge_key.as_bytes().to_vec(),
            address_salt: address_salt.as_bytes().to_vec(),
            code_key: None,
        }
    }

    /// With the key that survey access codes are hashed under (the same one `cchc codes` used).
    pub fn with_code_key(self, code_key: &str) -> Self {
        Self { code_key: Some(code_key.as_bytes().to_vec()), ..self }
    }

    /// What the store keeps for `code` of `survey`, or `None` when no code key is configured.
    pub fn access_code(&self, survey: &str, code: &str) -> Option<String> {
        self.code_key.as_deref().map(|key| crate::secrets::access_code_hash(key, survey, code))
    }

    /// A fresh challenge.
    pub fn challenge(&self) -> Challenge {
        let random = ulid::Ulid::new().to_string();
        let salt = format!("{}.{random}", now() + CHALLENGE_SECONDS);
        Challenge { signature: sign(&self.challenge_key, &salt), salt, difficulty: DIFFICULTY_BITS }
    }

    /// Checks `salt:nonce:signature`; returns the salt (to refuse its reuse).
    pub fn verify(&self, proof: &str) -> Result<String, PowError> {
        let mut parts = proof.splitn(3, ':');
        let (Some(salt), Some(nonce), Some(signature)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(PowError::Malformed);
        };
        if nonce.len() > 20 || !nonce.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PowError::Malformed);
        }
        // Constant-time check of the signature.
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.challenge_key).map_err(|_| PowError::Forged)?;
        mac.update(salt.as_bytes());
        let expected = (0..signature.len() / 2)
            .map(|i| u8::from_str_radix(signature.get(i * 2..i * 2 + 2).unwrap_or("zz"), 16))
            .collect::<Result<Vec<u8>, _>>()
            .map_err(|_| PowError::Malformed)?;
        mac.verify_slice(&expected).map_err(|_| PowError::Forged)?;
        let expires: u64 = salt.split('.').next().and_then(|e| e.parse().ok()).ok_or(PowError::Malformed)?;
        if expires < now() {
            return Err(PowError::Expired);
        }
        if leading_zero_bits(&Sha256::digest(format!("{salt}{nonce}").as_bytes())) < DIFFICULTY_BITS {
            return Err(PowError::Wrong);
        }
        Ok(salt.to_string())
    }

    /// A salted hash of a client address: stable enough to count requests, useless to recover the address.
    pub fn client_hash(&self, address: &str) -> String {
        sign(&self.address_salt, address)[..32].to_string()
    }
}

fn leading_zero_bits(hash: &[u8]) -> u32 {
    let mut bits = 0;
    for byte in hash {
        if *byte == 0 {
            bits += 8;
        } else {
            return bits + byte.leading_zeros();
        }
    }
    bits
}

/// Solves a challenge (what the browser does; used by tests and the benchmark).
pub fn solve(challenge: &Challenge) -> String {
    (0u64..)
        .find(|nonce| {
            leading_zero_bits(&Sha256::digest(format!("{}{nonce}", challenge.salt).as_bytes())) >= challenge.difficulty
        })
        .map(|nonce| format!("{}:{nonce}:{}", challenge.salt, challenge.signature))
        .unwrap_or_default()
}

/// How many submissions a client may make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Requests allowed per window.
    pub requests: u64,
    /// Window length in seconds.
    pub seconds: u64,
}

/// With a valid proof of work.
pub const WITH_PROOF: Limit = Limit { requests: 10, seconds: 60 };
/// Plain HTML forms, without JavaScript and so without proof of work: stricter.
pub const WITHOUT_PROOF: Limit = Limit { requests: 3, seconds: 600 };
/// Access-code checks (`POST /api/surveys/{id}/code`) a client may make per window: enough for a room of civil
/// servants behind one address typing their codes, far too few to guess one.
pub const CODE_CHECKS: Limit = Limit { requests: 60, seconds: 600 };

impl Limit {
    /// The current window's name and the seconds left in it.
    pub fn window(&self, prefix: &str) -> (String, u64) {
        let now = now();
        let index = now / self.seconds;
        (format!("{prefix}{index}"), (index + 1) * self.seconds - now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets() -> Secrets {
        Secrets::new("khoa-thu", "muoi-thu")
    }

    #[test]
    fn a_solved_challenge_verifies_once_signed_by_us() {
        let s = secrets();
        let challenge = s.challenge();
        let proof = solve(&challenge);
        assert_eq!(s.verify(&proof), Ok(challenge.salt.clone()));
        let other = Secrets::new("khoa-khac", "x");
        assert_eq!(other.verify(&proof), Err(PowError::Forged));
    }

    #[test]
    fn wrong_or_malformed_proofs_are_refused() {
        let s = secrets();
        let c = s.challenge();
        let wrong =
            (0u64..).find(|n| leading_zero_bits(&Sha256::digest(format!("{}{n}", c.salt).as_bytes())) < 4).unwrap_or(0);
        assert_eq!(s.verify(&format!("{}:{wrong}:{}", c.salt, c.signature)), Err(PowError::Wrong));
        assert_eq!(s.verify("abc"), Err(PowError::Malformed));
        assert_eq!(s.verify(&format!("{}:12a:{}", c.salt, c.signature)), Err(PowError::Malformed));
    }

    #[test]
    fn expired_challenges_are_refused() {
        let s = secrets();
        let salt = "1000.abc".to_string();
        let c = Challenge { signature: sign(&s.challenge_key, &salt), salt, difficulty: DIFFICULTY_BITS };
        assert_eq!(s.verify(&solve(&c)), Err(PowError::Expired));
    }

    #[test]
    fn client_hashes_are_stable_salted_and_not_the_address() {
        let s = secrets();
        let a = s.client_hash("203.0.113.7");
        assert_eq!(a, s.client_hash("203.0.113.7"));
        assert_ne!(a, Secrets::new("k", "other-salt").client_hash("203.0.113.7"));
        assert!(!a.contains("203"));
    }

    #[test]
    fn zero_bits_are_counted() {
        assert_eq!(leading_zero_bits(&[0, 0, 0x1f, 0xff]), 19);
        assert_eq!(leading_zero_bits(&[0x80]), 0);
    }
}
