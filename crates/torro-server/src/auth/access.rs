//! Which requests need what: the one table every route goes through.
//!
//! Keyed on the method and the matched route pattern (`/api/discovery/{id}/approve`), so a
//! new route with a mutating method and no line here is refused for everyone but admins
//! (fail closed) and fails the test that walks the OpenAPI document.

use axum::http::Method;
use torro_model::Permission;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// No identity needed: health, the OpenAPI document, the sign-in endpoints.
    Public,
    /// Any signed-in user: their own session, password and tokens.
    SignedIn,
    Needs(Permission),
}

/// The access a route needs, or `None` for a mutating route nobody classified.
pub fn classify(method: &Method, route: &str) -> Option<Access> {
    use Access::*;
    use Permission::*;
    let reads = matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    let access = match route {
        "/health" | "/api/openapi.json" | "/api/auth/config" | "/api/auth/login" => Public,
        "/api/auth/oidc/login" | "/api/auth/oidc/callback" => Public,
        "/api/auth/me" | "/api/auth/logout" | "/api/auth/password" => SignedIn,
        // Handlers check that a token is the caller's own unless they manage users.
        "/api/tokens" | "/api/tokens/{id}" => SignedIn,
        "/api/users" | "/api/users/{id}" => Needs(ManageUsers),
        "/api/audit" => Needs(ReadAudit),
        _ if reads => Needs(Read),
        "/api/discovery/{id}/approve"
        | "/api/discovery/{id}/reject"
        | "/api/discovery/{id}/publish"
        | "/api/discovery/{id}/archive" => Needs(Review),
        "/api/assets/{id}" => Needs(EditMetadata),
        "/api/discovery/trigger"
        | "/api/connections"
        | "/api/connections/test-config"
        | "/api/connections/{id}"
        | "/api/connections/{id}/test"
        | "/api/connections/{id}/scan"
        | "/api/scans/{id}/cancel"
        | "/api/notifications/test" => Needs(Operate),
        "/api/lineage/process"
        | "/api/lineage/manual"
        | "/api/lineage/manual/{id}"
        | "/api/lineage/sql"
        | "/api/lineage/folders"
        | "/api/v1/lineage" => Needs(WriteLineage),
        _ => return None,
    };
    Some(access)
}

/// What [`classify`] leaves out is for admins only.
pub fn required(method: &Method, route: &str) -> Access {
    classify(method, route).unwrap_or(Access::Needs(Permission::ManageUsers))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_need_read_and_writes_their_own_permission() {
        assert_eq!(
            required(&Method::GET, "/api/discovery"),
            Access::Needs(Permission::Read)
        );
        assert_eq!(
            required(&Method::PUT, "/api/discovery/{id}/approve"),
            Access::Needs(Permission::Review)
        );
        assert_eq!(
            required(&Method::GET, "/api/audit"),
            Access::Needs(Permission::ReadAudit)
        );
        assert_eq!(required(&Method::POST, "/api/auth/login"), Access::Public);
    }

    #[test]
    fn an_unclassified_mutation_is_for_admins_only() {
        assert_eq!(classify(&Method::POST, "/api/new-thing"), None);
        assert_eq!(
            required(&Method::POST, "/api/new-thing"),
            Access::Needs(Permission::ManageUsers)
        );
    }
}
