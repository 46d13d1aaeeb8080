//! Secrets at rest: the local secret files, readable by their owner only, and survey access codes kept as a keyed
//! hash (HMAC-SHA256 under a server secret), so a leaked table cannot be brute-forced offline without the key.

use std::fs::{self, OpenOptions};
use std::io::{self, Write as _};
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::Path;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::hash::hex;

/// Reads the secret kept in `path`, or makes one (320 random bits, as hex) in a new file with mode 0600. An
/// existing file that others could read is narrowed to 0600 first. Two processes starting at once end with one
/// secret: the file is created only if absent, and the loser reads the winner's.
pub fn secret_file(path: &Path) -> io::Result<String> {
    for _ in 0..2 {
        match fs::read_to_string(path) {
            Ok(existing) if !existing.trim().is_empty() => {
                if fs::metadata(path)?.permissions().mode() & 0o077 != 0 {
                    fs::set_permissions(path, fs::Permissions::from_mode(0o600))?;
                }
                return Ok(existing.trim().to_string());
            }
            // An empty file (a crash between creating and writing it) holds no secret: make one.
            Ok(_) => fs::remove_file(path)?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        // ULIDs carry 80 bits from the thread's CSPRNG each.
        let secret: String = (0..4).map(|_| format!("{:020x}", ulid::Ulid::new().random())).collect();
        match OpenOptions::new().write(true).create_new(true).mode(0o600).open(path) {
            Ok(mut file) => {
                file.write_all(secret.as_bytes())?;
                file.sync_all()?;
                return Ok(secret);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other(format!("{} is being created by another process", path.display())))
}

/// An access code as typed: letters and digits only, upper case (`abcde-12345` is `ABCDE12345`).
fn normalised(code: &str) -> String {
    code.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_uppercase()
}

/// What the store keeps for a survey's access code: HMAC-SHA256 of `survey:CODE` under `key`, in hex. The same
/// function must make the codes (`cchc codes`) and check them (the surveys function), with the same key.
pub fn access_code_hash(key: &[u8], survey: &str, code: &str) -> String {
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(format!("{survey}:{}", normalised(code)).as_bytes());
    hex(&mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_file_is_made_once_for_its_owner_only() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("code-key");
        let made = secret_file(&path).expect("made");
        assert_eq!(made.len(), 80);
        assert_eq!(fs::metadata(&path).expect("file").permissions().mode() & 0o777, 0o600);
        assert_eq!(secret_file(&path).expect("read"), made, "read back, not remade");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).expect("widen");
        assert_eq!(secret_file(&path).expect("read"), made);
        assert_eq!(fs::metadata(&path).expect("file").permissions().mode() & 0o777, 0o600, "narrowed");
    }

    #[test]
    fn access_codes_are_keyed_and_typed_loosely() {
        let a = access_code_hash(b"khoa", "khao-sat", "abcde-12345");
        assert_eq!(a, access_code_hash(b"khoa", "khao-sat", "ABCDE12345"));
        assert_ne!(a, access_code_hash(b"khoa-khac", "khao-sat", "ABCDE12345"), "another key, another hash");
        assert_ne!(a, access_code_hash(b"khoa", "khao-sat-khac", "ABCDE12345"), "codes belong to one survey");
        assert_ne!(a, crate::hash::sha256_hex("khao-sat:ABCDE12345"), "not the unkeyed hash");
    }
}
