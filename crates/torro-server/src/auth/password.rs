//! Local users' passwords: Argon2id (the `argon2` crate's defaults, OWASP's minimum:
//! 19 MiB, 2 passes) in PHC strings, hashed and verified off the async threads.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};

use crate::error::ApiError;

/// Shorter passwords are refused; long ones are cut nowhere.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Argon2 takes any length, but a megabyte-long "password" is only a way to burn CPU.
pub const MAX_PASSWORD_CHARS: usize = 1024;

pub fn check_policy(password: &str) -> Result<(), ApiError> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(ApiError::invalid(format!(
            "password must be at least {MIN_PASSWORD_CHARS} characters, got {chars}"
        )));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(ApiError::invalid(format!(
            "password must be at most {MAX_PASSWORD_CHARS} characters"
        )));
    }
    Ok(())
}

pub async fn hash(password: &str) -> Result<String, ApiError> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| ApiError::internal(format!("argon2 hash: {e}")))
    })
    .await
    .map_err(ApiError::internal)?
}

/// True when `password` matches `phc`. With `phc = None` (unknown user, or a user who signs
/// in through OIDC) it still spends the time of one verification, so response times do not
/// tell which usernames exist.
pub async fn verify(password: &str, phc: Option<String>) -> Result<bool, ApiError> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || {
        let known = phc.is_some();
        let phc = phc.unwrap_or_else(|| DUMMY_HASH.to_string());
        let parsed = PasswordHash::new(&phc).map_err(|e| ApiError::internal(format!("stored password hash: {e}")))?;
        let ok = Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok();
        Ok(known && ok)
    })
    .await
    .map_err(ApiError::internal)?
}

/// The hash of a random string nobody knows, with the default parameters.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2H4nUQ+a0p0zCv4m0pE1o2y7m4t0wmWq3rTqWSk6mvY";

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let phc = hash("correct horse battery").await.unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", Some(phc.clone())).await.unwrap());
        assert!(!verify("correct horse batterY", Some(phc)).await.unwrap());
        assert!(!verify("anything", None).await.unwrap());
    }

    #[test]
    fn the_dummy_hash_parses() {
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }

    #[test]
    fn short_passwords_are_refused_with_the_rule() {
        let err = check_policy("short").unwrap_err();
        assert!(err.message().contains("at least 10"), "{}", err.message());
        assert!(check_policy("long enough!").is_ok());
    }
}
