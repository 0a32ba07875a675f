//! The first administrator: a catalog without users gets `admin` on first start.

use torro_catalog::CatalogStore;
use torro_model::{Actor, AuthSource, NewUser, Role};

use super::{password, secret};
use crate::error::ApiError;

pub const FIRST_ADMIN: &str = "admin";

/// What [`ensure_admin`] did.
#[derive(Debug, PartialEq, Eq)]
pub enum FirstAdmin {
    /// Users exist already; nothing changed.
    Existing,
    /// `admin` was created with the given password.
    Created,
    /// `admin` was created with this generated password, to be shown once.
    Generated(String),
}

/// Creates `admin` (role admin) when the catalog has no users: with `password` when given
/// (from `TORRO_ADMIN_PASSWORD`), else with a generated one returned to print once.
pub async fn ensure_admin(store: &dyn CatalogStore, password: Option<&str>) -> Result<FirstAdmin, ApiError> {
    if store.auth().count_users().await? > 0 {
        return Ok(FirstAdmin::Existing);
    }
    let (chosen, outcome) = match password {
        Some(p) => {
            password::check_policy(p)
                .map_err(|e| ApiError::invalid(format!("TORRO_ADMIN_PASSWORD: {}", e.message())))?;
            (p.to_string(), FirstAdmin::Created)
        }
        None => {
            let generated: String = secret::random_secret().chars().take(20).collect();
            (generated.clone(), FirstAdmin::Generated(generated))
        }
    };
    let admin = NewUser {
        username: FIRST_ADMIN.into(),
        display_name: Some("Administrator".into()),
        email: None,
        role: Role::Admin,
        password_hash: Some(password::hash(&chosen).await?),
        auth_source: AuthSource::Local,
        oidc: None,
    };
    store.auth().create_user(&admin, &Actor::system("bootstrap")).await?;
    Ok(outcome)
}
