//! Who acts: users, roles, API tokens, sessions, and the actor every audit row names.
//!
//! Password and token hashing happen in the server; these types only carry hashes.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A role, from least to most powerful. Each grants a fixed set of [`Permission`]s.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Browses the catalog, lineage and scans.
    Viewer,
    /// Manages connections, runs and cancels scans, records lineage.
    Engineer,
    /// The original platform's `data_governor`: approves and rejects, edits business
    /// metadata, reads the audit log.
    #[serde(alias = "data_governor")]
    Steward,
    /// Everything, including users and other people's tokens.
    Admin,
}

/// What a request needs. Routes name one; roles grant a set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Every GET of the catalog, scans, lineage, assets.
    Read,
    /// Approve, reject, publish, archive.
    Review,
    /// Edit business metadata (descriptions, tags, owners).
    EditMetadata,
    /// Connections (create, change, delete, test), trigger and cancel scans, test notifications.
    Operate,
    /// Record or close lineage (manual edges, processes, SQL, folders, OpenLineage intake).
    WriteLineage,
    /// Read the audit log.
    ReadAudit,
    /// Manage users and every user's tokens.
    ManageUsers,
}

impl Permission {
    pub const ALL: [Permission; 7] = [
        Permission::Read,
        Permission::Review,
        Permission::EditMetadata,
        Permission::Operate,
        Permission::WriteLineage,
        Permission::ReadAudit,
        Permission::ManageUsers,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Permission::Read => "read",
            Permission::Review => "review",
            Permission::EditMetadata => "edit_metadata",
            Permission::Operate => "operate",
            Permission::WriteLineage => "write_lineage",
            Permission::ReadAudit => "read_audit",
            Permission::ManageUsers => "manage_users",
        }
    }
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Viewer, Role::Engineer, Role::Steward, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Engineer => "engineer",
            Role::Steward => "steward",
            Role::Admin => "admin",
        }
    }

    /// The one place that says which role may do what.
    pub fn allows(self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Admin => true,
            Role::Steward => matches!(permission, Read | Review | EditMetadata | WriteLineage | ReadAudit),
            Role::Engineer => matches!(permission, Read | EditMetadata | Operate | WriteLineage),
            Role::Viewer => matches!(permission, Read),
        }
    }

    pub fn permissions(self) -> Vec<Permission> {
        Permission::ALL.into_iter().filter(|p| self.allows(*p)).collect()
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {0:?}: expected viewer, engineer, steward (or data_governor) or admin")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "viewer" => Ok(Role::Viewer),
            "engineer" => Ok(Role::Engineer),
            "steward" | "data_governor" => Ok(Role::Steward),
            "admin" => Ok(Role::Admin),
            _ => Err(UnknownRole(s.to_string())),
        }
    }
}

/// Who did something, as the audit log records it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// The username (or "system:<part>" for Torro's own work, e.g. "system:scheduler").
    pub name: String,
    pub role: Option<String>,
    /// The client's address as the server saw it (after trusted proxies).
    pub source_ip: Option<String>,
}

impl Actor {
    /// Torro itself (scheduler, CLI on the catalog machine, migrations).
    pub fn system(part: &str) -> Self {
        Actor {
            name: format!("system:{part}"),
            role: None,
            source_ip: None,
        }
    }

    pub fn user(name: &str, role: Role, source_ip: Option<String>) -> Self {
        Actor {
            name: name.to_string(),
            role: Some(role.as_str().to_string()),
            source_ip,
        }
    }
}

/// Where a user's identity comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthSource {
    /// Username and password kept by Torro.
    Local,
    /// An OpenID Connect provider; Torro keeps no password.
    Oidc,
}

impl AuthSource {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthSource::Local => "local",
            AuthSource::Oidc => "oidc",
        }
    }
}

/// A user as the API shows it: never the password hash.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: i64,
    /// Unique, case-sensitive as stored; logins compare it exactly.
    pub username: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub role: Role,
    pub auth_source: AuthSource,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct NewUser {
    pub username: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub role: Role,
    /// Argon2id PHC string; `None` for OIDC users.
    pub password_hash: Option<String>,
    pub auth_source: AuthSource,
    /// For OIDC users: (issuer, subject), unique.
    pub oidc: Option<(String, String)>,
}

/// A change to a user; `None` leaves the field as it is.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UserPatch {
    pub display_name: Option<Option<String>>,
    pub email: Option<Option<String>>,
    pub role: Option<Role>,
    pub disabled: Option<bool>,
    pub password_hash: Option<String>,
}

/// A personal API token as listed: never the secret or its hash.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApiToken {
    pub id: i64,
    pub user_id: i64,
    pub username: String,
    pub name: String,
    /// The first characters of the token, to recognise it in a list.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct NewApiToken {
    pub user_id: i64,
    pub name: String,
    pub prefix: String,
    /// SHA-256 hex of the whole token.
    pub token_hash: String,
    pub expires_at: Option<DateTime<Utc>>,
}

/// A browser session. The cookie holds a random id; the store keeps its SHA-256.
#[derive(Clone, Debug, PartialEq)]
pub struct NewSession {
    pub id_hash: String,
    pub user_id: i64,
    /// Sent back by the UI in `X-CSRF-Token` on every cookie-authenticated mutation.
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    /// Absolute end of the session, whatever its use.
    pub expires_at: DateTime<Utc>,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Session {
    pub user_id: i64,
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

/// An audit row that is not part of another mutation's transaction: logins, failed
/// logins, logouts.
#[derive(Clone, Debug, PartialEq)]
pub struct NewAuditEntry {
    pub entity_type: String,
    pub entity_id: i64,
    pub action: String,
    pub actor: Actor,
    pub at: DateTime<Utc>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub comment: Option<String>,
}

/// Filters of `GET /api/audit`; every one optional, all bound as parameters.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AuditQuery {
    pub actor: Option<String>,
    pub entity_type: Option<String>,
    pub entity_id: Option<i64>,
    pub action: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// 0-based, like every other list.
    pub page: u32,
    pub size: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_governor_is_the_steward_role() {
        assert_eq!("data_governor".parse::<Role>().unwrap(), Role::Steward);
        assert_eq!(
            serde_json::from_str::<Role>("\"data_governor\"").unwrap(),
            Role::Steward
        );
        assert!("root".parse::<Role>().is_err());
    }

    #[test]
    fn roles_grant_what_their_names_promise() {
        assert!(Role::Viewer.allows(Permission::Read));
        assert!(!Role::Viewer.allows(Permission::EditMetadata));
        assert!(Role::Steward.allows(Permission::Review));
        assert!(!Role::Steward.allows(Permission::Operate));
        assert!(Role::Engineer.allows(Permission::Operate));
        assert!(!Role::Engineer.allows(Permission::Review));
        assert!(!Role::Engineer.allows(Permission::ReadAudit));
        assert_eq!(Role::Admin.permissions().len(), Permission::ALL.len());
    }
}
