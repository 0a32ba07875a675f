//! Connection secrets at rest: AES-256-GCM with a random 96-bit nonce per encryption.
//! The catalog only ever sees the ciphertext, `v1:` + base64(nonce || ciphertext+tag),
//! of the JSON object `{name: value}`.
//!
//! The key never goes into the catalog. It comes from, in this order:
//! 1. `TORRO_SECRET_KEY`: the base64 of exactly 32 bytes is the key itself; any other
//!    text is a passphrase, and the key is its SHA-256.
//! 2. A key file, `TORRO_SECRET_KEY_FILE` (default `./torro.key`): 32 raw bytes (or the
//!    same text forms as the variable). Created on first start with 32 random bytes from
//!    the operating system and mode 0600.
//!
//! Losing or changing the key makes stored secrets unreadable: re-enter them.
//! Nothing here logs a secret or a key; `Debug` shows neither.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha2::{Digest, Sha256};

/// The variable holding the key (base64 of 32 bytes) or a passphrase.
pub const KEY_ENV: &str = "TORRO_SECRET_KEY";
/// The variable naming the key file.
pub const KEY_FILE_ENV: &str = "TORRO_SECRET_KEY_FILE";
/// The key file used when neither variable is set.
pub const DEFAULT_KEY_FILE: &str = "torro.key";

const PREFIX: &str = "v1:";
const NONCE_LEN: usize = 12;

#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    /// The key could not be read or created; the message says where and why.
    #[error("secret key: {0}")]
    Key(String),
    /// The ciphertext does not open with this key (wrong key, or tampered text).
    #[error("the secrets do not decrypt with this key")]
    Decrypt,
    /// The stored text is not a `v1:` ciphertext.
    #[error("stored secrets are malformed: {0}")]
    Malformed(String),
}

/// Where the key came from, for a startup log line (never the key itself).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeySource {
    /// `TORRO_SECRET_KEY` held base64 of 32 bytes.
    EnvKey,
    /// `TORRO_SECRET_KEY` held a passphrase (hashed with SHA-256).
    EnvPassphrase,
    /// Read from this file.
    File(PathBuf),
    /// Created in this file just now.
    NewFile(PathBuf),
}

/// A 256-bit key.
#[derive(Clone)]
pub struct SecretKey([u8; 32]);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(***)")
    }
}

impl SecretKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        SecretKey(bytes)
    }

    /// A key for another use, HMAC-SHA256(key, `purpose`): one secret then serves several
    /// uses (e.g. the server's OpenID Connect login cookie) without sharing a key between them.
    pub fn derive(&self, purpose: &str) -> [u8; 32] {
        use hmac::{Hmac, Mac};
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("HMAC takes keys of any length");
        mac.update(purpose.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// 32 random bytes from the operating system.
    pub fn generate() -> Result<Self, SecretsError> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| SecretsError::Key(format!("no randomness from the OS: {e}")))?;
        Ok(SecretKey(bytes))
    }

    /// The text of `TORRO_SECRET_KEY`: base64 of exactly 32 bytes is the key; any other
    /// non-empty text is a passphrase whose SHA-256 is the key.
    pub fn from_text(text: &str) -> Result<(Self, KeySource), SecretsError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(SecretsError::Key(format!("{KEY_ENV} is empty")));
        }
        if let Ok(bytes) = BASE64.decode(text)
            && let Ok(key) = <[u8; 32]>::try_from(bytes.as_slice())
        {
            return Ok((SecretKey(key), KeySource::EnvKey));
        }
        Ok((
            SecretKey(Sha256::digest(text.as_bytes()).into()),
            KeySource::EnvPassphrase,
        ))
    }

    /// Reads the key file, or creates it (32 random bytes, mode 0600) when it is missing.
    pub fn load_or_create_file(path: &Path) -> Result<(Self, KeySource), SecretsError> {
        match std::fs::read(path) {
            Ok(bytes) => {
                let key = match <[u8; 32]>::try_from(bytes.as_slice()) {
                    Ok(raw) => SecretKey(raw),
                    Err(_) => {
                        let text = String::from_utf8(bytes).map_err(|_| {
                            SecretsError::Key(format!("{} holds neither 32 raw bytes nor a text key", path.display()))
                        })?;
                        Self::from_text(&text)
                            .map_err(|_| SecretsError::Key(format!("{} is empty", path.display())))?
                            .0
                    }
                };
                Ok((key, KeySource::File(path.to_path_buf())))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = Self::generate()?;
                match create_private_file(path, &key.0) {
                    Ok(()) => Ok((key, KeySource::NewFile(path.to_path_buf()))),
                    // Another process created it first: use theirs.
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Self::load_or_create_file(path),
                    Err(e) => Err(SecretsError::Key(format!(
                        "cannot create the key file {}: {e}; set {KEY_ENV} or {KEY_FILE_ENV}",
                        path.display()
                    ))),
                }
            }
            Err(e) => Err(SecretsError::Key(format!(
                "cannot read the key file {}: {e}",
                path.display()
            ))),
        }
    }

    /// `env_key` (the value of `TORRO_SECRET_KEY`) when given, else the key file.
    pub fn resolve(env_key: Option<&str>, key_file: &Path) -> Result<(Self, KeySource), SecretsError> {
        match env_key {
            Some(text) => Self::from_text(text),
            None => Self::load_or_create_file(key_file),
        }
    }

    /// [`SecretKey::resolve`] from `TORRO_SECRET_KEY` and `TORRO_SECRET_KEY_FILE`
    /// (default `./torro.key`). For the binary's start-up; libraries take the key as a value.
    pub fn from_env() -> Result<(Self, KeySource), SecretsError> {
        let env_key = std::env::var(KEY_ENV).ok().filter(|v| !v.trim().is_empty());
        let file = std::env::var_os(KEY_FILE_ENV)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(DEFAULT_KEY_FILE));
        Self::resolve(env_key.as_deref(), &file)
    }
}

fn create_private_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Encrypts and decrypts secret maps with one key.
#[derive(Clone)]
pub struct SecretBox {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(***)")
    }
}

impl SecretBox {
    pub fn new(key: &SecretKey) -> Self {
        SecretBox {
            cipher: Aes256Gcm::new(&key.0.into()),
        }
    }

    /// `v1:` + base64(nonce || ciphertext); a fresh random nonce each time.
    pub fn encrypt(&self, secrets: &BTreeMap<String, String>) -> Result<String, SecretsError> {
        let plain = serde_json::to_vec(secrets).map_err(|e| SecretsError::Malformed(e.to_string()))?;
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|e| SecretsError::Key(format!("no randomness from the OS: {e}")))?;
        let sealed = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plain.as_slice())
            .map_err(|_| SecretsError::Malformed("encryption failed".into()))?;
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(format!("{PREFIX}{}", BASE64.encode(out)))
    }

    /// The secrets inside `text`; [`SecretsError::Decrypt`] when the key is not the one
    /// that encrypted them.
    pub fn decrypt(&self, text: &str) -> Result<BTreeMap<String, String>, SecretsError> {
        let body = text
            .strip_prefix(PREFIX)
            .ok_or_else(|| SecretsError::Malformed("unknown version (expected v1:)".into()))?;
        let bytes = BASE64
            .decode(body)
            .map_err(|e| SecretsError::Malformed(format!("not base64: {e}")))?;
        if bytes.len() < NONCE_LEN + 16 {
            return Err(SecretsError::Malformed("too short".into()));
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let plain = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), sealed)
            .map_err(|_| SecretsError::Decrypt)?;
        serde_json::from_slice(&plain).map_err(|e| SecretsError::Malformed(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets() -> BTreeMap<String, String> {
        [
            ("account_key".to_string(), "hunter2-very-secret".to_string()),
            ("sas_token".to_string(), "sv=2024&sig=abc".to_string()),
        ]
        .into()
    }

    #[test]
    fn derived_keys_depend_on_key_and_purpose() {
        let key = SecretKey::from_bytes([7; 32]);
        assert_eq!(key.derive("a"), key.derive("a"));
        assert_ne!(key.derive("a"), key.derive("b"));
        assert_ne!(key.derive("a"), SecretKey::from_bytes([8; 32]).derive("a"));
        assert_ne!(key.derive("a"), [7; 32]);
    }

    #[test]
    fn round_trip() {
        let sbox = SecretBox::new(&SecretKey::generate().unwrap());
        let text = sbox.encrypt(&secrets()).unwrap();
        assert!(text.starts_with("v1:"), "{text}");
        assert!(!text.contains("hunter2"));
        assert_eq!(sbox.decrypt(&text).unwrap(), secrets());
        let empty = sbox.encrypt(&BTreeMap::new()).unwrap();
        assert!(sbox.decrypt(&empty).unwrap().is_empty());
    }

    #[test]
    fn wrong_key_fails() {
        let text = SecretBox::new(&SecretKey::generate().unwrap())
            .encrypt(&secrets())
            .unwrap();
        let other = SecretBox::new(&SecretKey::generate().unwrap());
        assert!(matches!(other.decrypt(&text), Err(SecretsError::Decrypt)));
        // A tampered ciphertext fails the same way.
        let sbox = SecretBox::new(&SecretKey::from_bytes([7; 32]));
        let text = sbox.encrypt(&secrets()).unwrap();
        let mut bytes = BASE64.decode(&text[3..]).unwrap();
        *bytes.last_mut().unwrap() ^= 1;
        let tampered = format!("v1:{}", BASE64.encode(bytes));
        assert!(matches!(sbox.decrypt(&tampered), Err(SecretsError::Decrypt)));
        assert!(matches!(sbox.decrypt("v0:xyz"), Err(SecretsError::Malformed(_))));
        assert!(matches!(sbox.decrypt("v1:!!"), Err(SecretsError::Malformed(_))));
    }

    #[test]
    fn nonce_differs_each_time() {
        let sbox = SecretBox::new(&SecretKey::from_bytes([1; 32]));
        let a = sbox.encrypt(&secrets()).unwrap();
        let b = sbox.encrypt(&secrets()).unwrap();
        assert_ne!(a, b);
        let nonce = |t: &str| BASE64.decode(&t[3..]).unwrap()[..NONCE_LEN].to_vec();
        assert_ne!(nonce(&a), nonce(&b));
    }

    #[test]
    fn env_text_is_a_base64_key_or_a_passphrase() {
        let raw = [9u8; 32];
        let (key, source) = SecretKey::from_text(&BASE64.encode(raw)).unwrap();
        assert_eq!((key.0, source), (raw, KeySource::EnvKey));
        let (key, source) = SecretKey::from_text("correct horse battery staple").unwrap();
        assert_eq!(source, KeySource::EnvPassphrase);
        assert_eq!(key.0, <[u8; 32]>::from(Sha256::digest(b"correct horse battery staple")));
        assert!(SecretKey::from_text("  ").is_err());
        assert_eq!(format!("{key:?}"), "SecretKey(***)");
    }

    #[test]
    fn key_file_is_created_once_with_mode_0600() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("torro.key");
        let (first, source) = SecretKey::resolve(None, &path).unwrap();
        assert_eq!(source, KeySource::NewFile(path.clone()));
        assert_eq!(std::fs::read(&path).unwrap().len(), 32);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{mode:o}");
        }
        let (again, source) = SecretKey::resolve(None, &path).unwrap();
        assert_eq!(source, KeySource::File(path.clone()));
        assert_eq!(first.0, again.0);
        // The variable wins over the file, and does not create one.
        let other = dir.path().join("unused.key");
        let (_, source) = SecretKey::resolve(Some("pass phrase"), &other).unwrap();
        assert_eq!(source, KeySource::EnvPassphrase);
        assert!(!other.exists());
        // A missing folder is a clear error naming the file.
        let err = SecretKey::resolve(None, &dir.path().join("no/such/dir/torro.key")).unwrap_err();
        assert!(err.to_string().contains("no/such/dir/torro.key"), "{err}");
    }
}
