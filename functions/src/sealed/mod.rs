//! Personal data sealed at rest (Nghị định 13/2023/NĐ-CP): envelope encryption of contact details, free-text
//! survey answers and local attachments, so that a table dump, a backup or a misconfigured export shows ciphertext.
//!
//! A value is sealed with AES-256-GCM under a *data key*; the data key, wrapped by the *master key*, is stored with
//! the value. On AWS the master key is the stack's KMS key (`GenerateDataKey`; `Decrypt` is allowed to the back
//! office's role only, by the key policy); locally it is a key file under `.cchc/` (0600, made on first run), and
//! the same code wraps and unwraps with it. A data key serves [`DATA_KEY_LIFETIME`] or [`DATA_KEY_USES`] values,
//! whichever ends first, so a busy function calls KMS a few times an hour, not once per submission.
//!
//! Format (versioned, so rows written before sealing still read): `cchc:v1:{wrapped key}:{nonce ‖ ciphertext ‖
//! tag}`, both parts base64url without padding; bytes (attachments) are `cchc:v1:` + wrapped key length (u16, big
//! endian) + wrapped key + nonce + ciphertext + tag. The AEAD's associated data is the value's *binding* (the item
//! and field it belongs to, e.g. `question/{id}/email`): a sealed value copied onto another item does not open.
//! KMS's own encryption context (`cchc` = `personal-data`) is bound to every data key.
//!
//! [`store::Sealed`] applies it at the store boundary: the backends store and return what it hands them.

pub mod store;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow, bail};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use tokio::sync::Mutex;

/// What every sealed value starts with; the version is part of it.
pub const PREFIX: &str = "cchc:v1:";

/// How long one data key seals new values.
pub const DATA_KEY_LIFETIME: Duration = Duration::from_secs(300);

/// How many values one data key seals at most (far below AES-GCM's limit for random nonces, 2^32).
pub const DATA_KEY_USES: u32 = 10_000;

/// Unwrapped data keys kept for opening; past this the cache starts again (the back office reads a few pages).
const OPENED_KEYS: usize = 1024;

/// KMS encryption context of every data key: a key wrapped for something else does not unwrap as ours.
#[cfg(feature = "aws")]
const CONTEXT: (&str, &str) = ("cchc", "personal-data");

/// Associated data of a locally wrapped data key.
const LOCAL_WRAP: &[u8] = b"cchc data key";

/// The master key that wraps data keys.
enum Master {
    /// The stack's KMS key (its ARN or alias).
    #[cfg(feature = "aws")]
    Kms { client: aws_sdk_kms::Client, key_id: String },
    /// A local key (from the key file); boxed: ring's key schedule is half a kilobyte.
    Local(Box<LessSafeKey>),
}

/// A data key in use for sealing.
struct DataKey {
    key: Arc<LessSafeKey>,
    wrapped: Vec<u8>,
    made: Instant,
    uses: u32,
}

struct Inner {
    master: Master,
    current: Mutex<Option<DataKey>>,
    opened: Mutex<HashMap<Vec<u8>, Arc<LessSafeKey>>>,
}

/// Seals and opens personal data. Cheap to clone (one shared data-key cache).
#[derive(Clone)]
pub struct Sealer(Arc<Inner>);

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.0.master {
            #[cfg(feature = "aws")]
            Master::Kms { .. } => "Sealer(KMS)",
            Master::Local(_) => "Sealer(local key)",
        })
    }
}

fn aes_key(bytes: &[u8]) -> anyhow::Result<LessSafeKey> {
    Ok(LessSafeKey::new(UnboundKey::new(&AES_256_GCM, bytes).map_err(|_| anyhow!("a data key is not 32 bytes"))?))
}

fn random<const N: usize>() -> anyhow::Result<[u8; N]> {
    let mut bytes = [0u8; N];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes)
        .map_err(|_| anyhow!("no randomness from the system"))?;
    Ok(bytes)
}

/// `nonce ‖ ciphertext ‖ tag` of `plain` under `key`, bound to `aad`.
fn encrypt(key: &LessSafeKey, aad: &[u8], plain: &[u8]) -> anyhow::Result<Vec<u8>> {
    let nonce = random::<NONCE_LEN>()?;
    let mut out = Vec::with_capacity(NONCE_LEN + plain.len() + AES_256_GCM.tag_len());
    out.extend_from_slice(&nonce);
    let mut body = plain.to_vec();
    key.seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad), &mut body)
        .map_err(|_| anyhow!("encryption failed"))?;
    out.extend_from_slice(&body);
    Ok(out)
}

/// The plaintext of `nonce ‖ ciphertext ‖ tag`, if it was sealed under `key` with `aad`.
fn decrypt(key: &LessSafeKey, aad: &[u8], sealed: &[u8]) -> anyhow::Result<Vec<u8>> {
    if sealed.len() < NONCE_LEN + AES_256_GCM.tag_len() {
        bail!("sealed value too short");
    }
    let (nonce, body) = sealed.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| anyhow!("bad nonce"))?;
    let mut body = body.to_vec();
    let plain = key
        .open_in_place(nonce, Aad::from(aad), &mut body)
        .map_err(|_| anyhow!("the value does not open with its key and binding (moved or altered)"))?;
    Ok(plain.to_vec())
}

impl Sealer {
    /// Data keys from KMS key `key_id` (an ARN or alias): `GenerateDataKey` to seal, `Decrypt` to open.
    #[cfg(feature = "aws")]
    pub fn kms(client: aws_sdk_kms::Client, key_id: impl Into<String>) -> Self {
        Self::with_master(Master::Kms { client, key_id: key_id.into() })
    }

    /// Data keys wrapped by a local 256-bit key.
    pub fn local(key: &[u8; 32]) -> anyhow::Result<Self> {
        Ok(Self::with_master(Master::Local(Box::new(aes_key(key)?))))
    }

    /// Data keys wrapped by the key in `path` (base64, 32 bytes), which is made (0600) with a random key if absent.
    pub fn local_file(path: &Path) -> anyhow::Result<Self> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
                }
                let text = base64::engine::general_purpose::STANDARD.encode(random::<32>()?) + "\n";
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                use std::io::Write as _;
                options
                    .open(path)
                    .and_then(|mut f| f.write_all(text.as_bytes()).and_then(|()| f.sync_all()))
                    .with_context(|| format!("cannot write the personal-data key {}", path.display()))?;
                text
            }
            Err(e) => return Err(e).with_context(|| format!("cannot read the personal-data key {}", path.display())),
        };
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .with_context(|| format!("{} is not base64", path.display()))?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| anyhow!("{} does not hold a 32-byte key", path.display()))?;
        Self::local(&key)
    }

    fn with_master(master: Master) -> Self {
        Self(Arc::new(Inner { master, current: Mutex::new(None), opened: Mutex::new(HashMap::new()) }))
    }

    /// The data key to seal with, and its wrapped form: the current one while fresh, else a new one.
    async fn data_key(&self) -> anyhow::Result<(Arc<LessSafeKey>, Vec<u8>)> {
        let mut current = self.0.current.lock().await;
        if let Some(k) = current.as_mut()
            && k.made.elapsed() < DATA_KEY_LIFETIME
            && k.uses < DATA_KEY_USES
        {
            k.uses += 1;
            return Ok((k.key.clone(), k.wrapped.clone()));
        }
        let (plain, wrapped) = match &self.0.master {
            #[cfg(feature = "aws")]
            Master::Kms { client, key_id } => {
                let out = client
                    .generate_data_key()
                    .key_id(key_id)
                    .key_spec(aws_sdk_kms::types::DataKeySpec::Aes256)
                    .encryption_context(CONTEXT.0, CONTEXT.1)
                    .send()
                    .await
                    .context("KMS GenerateDataKey")?;
                let plain = out.plaintext().context("KMS gave no data key")?.as_ref().to_vec();
                let wrapped = out.ciphertext_blob().context("KMS gave no wrapped key")?.as_ref().to_vec();
                (plain, wrapped)
            }
            Master::Local(master) => {
                let plain = random::<32>()?.to_vec();
                let wrapped = encrypt(master, LOCAL_WRAP, &plain)?;
                (plain, wrapped)
            }
        };
        let key = Arc::new(aes_key(&plain)?);
        *current = Some(DataKey { key: key.clone(), wrapped: wrapped.clone(), made: Instant::now(), uses: 1 });
        Ok((key, wrapped))
    }

    /// The data key `wrapped` wraps (from the cache, or unwrapped by the master key: KMS `Decrypt` on AWS).
    async fn unwrap(&self, wrapped: &[u8]) -> anyhow::Result<Arc<LessSafeKey>> {
        if let Some(key) = self.0.opened.lock().await.get(wrapped) {
            return Ok(key.clone());
        }
        let plain = match &self.0.master {
            #[cfg(feature = "aws")]
            Master::Kms { client, key_id } => {
                let out = client
                    .decrypt()
                    .key_id(key_id)
                    .ciphertext_blob(aws_sdk_kms::primitives::Blob::new(wrapped))
                    .encryption_context(CONTEXT.0, CONTEXT.1)
                    .send()
                    .await
                    .context("KMS Decrypt (only the back office's role may decrypt personal data)")?;
                out.plaintext().context("KMS gave no plaintext")?.as_ref().to_vec()
            }
            Master::Local(master) => decrypt(master, LOCAL_WRAP, wrapped)
                .context("the data key does not unwrap with the local key file (another key made it?)")?,
        };
        let key = Arc::new(aes_key(&plain)?);
        let mut opened = self.0.opened.lock().await;
        if opened.len() >= OPENED_KEYS {
            opened.clear();
        }
        opened.insert(wrapped.to_vec(), key.clone());
        Ok(key)
    }

    /// `plain` sealed for `binding` (the item and field it belongs to).
    pub async fn seal(&self, binding: &str, plain: &str) -> anyhow::Result<String> {
        let (key, wrapped) = self.data_key().await?;
        let body = encrypt(&key, binding.as_bytes(), plain.as_bytes())?;
        Ok(format!("{PREFIX}{}:{}", URL_SAFE_NO_PAD.encode(wrapped), URL_SAFE_NO_PAD.encode(body)))
    }

    /// The plaintext of `stored`, sealed for `binding`; a value without the prefix (written before sealing) as is.
    pub async fn open(&self, binding: &str, stored: &str) -> anyhow::Result<String> {
        let Some(rest) = stored.strip_prefix(PREFIX) else { return Ok(stored.to_string()) };
        let (wrapped, body) = rest.split_once(':').context("a sealed value without its key")?;
        let wrapped = URL_SAFE_NO_PAD.decode(wrapped).context("sealed key is not base64")?;
        let body = URL_SAFE_NO_PAD.decode(body).context("sealed value is not base64")?;
        let key = self.unwrap(&wrapped).await?;
        let plain = decrypt(&key, binding.as_bytes(), &body).with_context(|| format!("opening `{binding}`"))?;
        String::from_utf8(plain).context("a sealed text is not UTF-8")
    }

    /// `plain` bytes (an attachment) sealed for `binding`.
    pub async fn seal_bytes(&self, binding: &str, plain: &[u8]) -> anyhow::Result<Vec<u8>> {
        let (key, wrapped) = self.data_key().await?;
        let length = u16::try_from(wrapped.len()).context("wrapped key too long")?;
        let mut out = PREFIX.as_bytes().to_vec();
        out.extend_from_slice(&length.to_be_bytes());
        out.extend_from_slice(&wrapped);
        out.extend_from_slice(&encrypt(&key, binding.as_bytes(), plain)?);
        Ok(out)
    }

    /// The bytes `stored` holds, sealed for `binding`; bytes without the prefix (stored before sealing) as they are.
    pub async fn open_bytes(&self, binding: &str, stored: &[u8]) -> anyhow::Result<Vec<u8>> {
        let Some(rest) = stored.strip_prefix(PREFIX.as_bytes()) else { return Ok(stored.to_vec()) };
        let (length, rest) = rest.split_at_checked(2).context("a sealed file without its key")?;
        let length = usize::from(u16::from_be_bytes([length[0], length[1]]));
        let (wrapped, body) = rest.split_at_checked(length).context("a sealed file cut short")?;
        let key = self.unwrap(wrapped).await?;
        decrypt(&key, binding.as_bytes(), body).with_context(|| format!("opening `{binding}`"))
    }
}

/// Whether `stored` is a sealed value (as opposed to one written before sealing, or an empty one).
pub fn is_sealed(stored: &str) -> bool {
    stored.starts_with(PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer() -> Sealer {
        Sealer::local(&[7u8; 32]).expect("key")
    }

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex")).collect()
    }

    /// Values sealed before the switch from aws-lc-rs to ring still open: both are AES-256-GCM, checked here
    /// against the algorithm's published test case 16 (McGrew and Viega, "The Galois/Counter Mode of Operation").
    #[test]
    fn sealing_is_standard_aes_256_gcm() {
        let key = aes_key(&hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308")).expect("key");
        let aad = hex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
        let plain = hex(concat!(
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72",
            "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"
        ));
        let sealed = hex(concat!(
            "cafebabefacedbaddecaf888",
            "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa",
            "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
            "76fc6ece0f4e1768cddf8853bb2d551b"
        ));
        assert_eq!(decrypt(&key, &aad, &sealed).expect("the test vector opens"), plain);
        let mut altered = sealed.clone();
        altered[20] ^= 1;
        assert!(decrypt(&key, &aad, &altered).is_err(), "an altered ciphertext does not open");
    }

    #[tokio::test]
    async fn a_sealed_value_opens_only_for_its_binding() {
        let s = sealer();
        let sealed = s.seal("question/01/email", "an@vidu.vn").await.expect("seal");
        assert!(is_sealed(&sealed) && !sealed.contains("an@vidu.vn"), "{sealed}");
        assert_eq!(s.open("question/01/email", &sealed).await.expect("open"), "an@vidu.vn");
        let moved = s.open("question/02/email", &sealed).await.expect_err("moved to another item");
        assert!(format!("{moved:#}").contains("question/02/email"), "{moved:#}");
    }

    #[tokio::test]
    async fn old_plaintext_reads_as_it_is_and_another_key_does_not_open() {
        let s = sealer();
        assert_eq!(s.open("x", "cu@vidu.vn").await.expect("plain"), "cu@vidu.vn");
        let sealed = s.seal("x", "bí mật").await.expect("seal");
        let other = Sealer::local(&[8u8; 32]).expect("key");
        assert!(other.open("x", &sealed).await.is_err(), "another master key");
    }

    #[tokio::test]
    async fn a_data_key_is_reused_then_renewed() {
        let s = sealer();
        let key_of = |v: &str| v.trim_start_matches(PREFIX).split(':').next().map(str::to_string);
        let (a, b) = (s.seal("x", "1").await.expect("seal"), s.seal("x", "2").await.expect("seal"));
        assert_eq!(key_of(&a), key_of(&b), "one data key while fresh");
        s.0.current.lock().await.as_mut().expect("current").uses = DATA_KEY_USES;
        let c = s.seal("x", "3").await.expect("seal");
        assert_ne!(key_of(&a), key_of(&c), "a new data key after its uses");
        assert_eq!(s.open("x", &a).await.expect("old key still opens"), "1");
    }

    #[tokio::test]
    async fn bytes_round_trip_and_old_files_read() {
        let s = sealer();
        let sealed = s.seal_bytes("questions/a.pdf", b"%PDF-1.7 noi dung").await.expect("seal");
        assert!(!sealed.windows(8).any(|w| w == b"noi dung"));
        assert_eq!(s.open_bytes("questions/a.pdf", &sealed).await.expect("open"), b"%PDF-1.7 noi dung");
        assert_eq!(s.open_bytes("questions/a.pdf", b"%PDF-1.7 cu").await.expect("plain"), b"%PDF-1.7 cu");
        assert!(s.open_bytes("questions/b.pdf", &sealed).await.is_err());
    }

    #[test]
    fn the_key_file_is_made_private_once_and_read_again() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join(".cchc").join("khoa-du-lieu-ca-nhan");
        Sealer::local_file(&path).expect("made");
        let first = std::fs::read_to_string(&path).expect("file");
        Sealer::local_file(&path).expect("read");
        assert_eq!(std::fs::read_to_string(&path).expect("file"), first, "kept, not replaced");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            assert_eq!(std::fs::metadata(&path).expect("file").permissions().mode() & 0o777, 0o600);
        }
    }
}
