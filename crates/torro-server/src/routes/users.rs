//! User administration (admins only).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use torro_model::{AuthSource, NewUser, Role, UserPatch};

use crate::AppState;
use crate::auth::{Identity, password};
use crate::dto::auth::{NewUserRequest, UserBody, UserList, UserPatchRequest};
use crate::error::{ApiError, ErrorBody, ErrorCode};
use crate::extract::{ApiJson, IdPath};

const MAX_USERNAME_CHARS: usize = 100;

/// Every user.
#[utoipa::path(
    get,
    path = "/api/users",
    tag = "users",
    responses((status = 200, body = UserList), (status = 403, description = "Not an admin", body = ErrorBody))
)]
pub async fn list(State(state): State<AppState>) -> Result<Json<UserList>, ApiError> {
    let users = state.store().auth().list_users().await?;
    Ok(Json(UserList {
        users: users.iter().map(UserBody::from).collect(),
    }))
}

/// Creates a local user with a password and a role.
#[utoipa::path(
    post,
    path = "/api/users",
    tag = "users",
    request_body = NewUserRequest,
    responses(
        (status = 201, body = UserBody),
        (status = 400, description = "A field is invalid; the message names it", body = ErrorBody),
        (status = 409, description = "The username is taken", body = ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    identity: Identity,
    ApiJson(body): ApiJson<NewUserRequest>,
) -> Result<(StatusCode, Json<UserBody>), ApiError> {
    let username = valid_username(&body.username)?;
    let password = body
        .password
        .as_deref()
        .ok_or_else(|| ApiError::invalid("password is required"))?;
    password::check_policy(password)?;
    let user = NewUser {
        username,
        display_name: clean(body.display_name),
        email: clean(body.email),
        role: parse_role(&body.role)?,
        password_hash: Some(password::hash(password).await?),
        auth_source: AuthSource::Local,
        oidc: None,
    };
    let created = state.store().auth().create_user(&user, &identity.actor()).await?;
    Ok((StatusCode::CREATED, Json(UserBody::from(&created))))
}

/// Changes a user's role, names, password, or disables them (which ends their sessions
/// and stops their tokens).
#[utoipa::path(
    patch,
    path = "/api/users/{id}",
    tag = "users",
    params(("id" = i64, Path, description = "User id")),
    request_body = UserPatchRequest,
    responses(
        (status = 200, body = UserBody),
        (status = 400, description = "A field is invalid", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
        (status = 409, description = "The change would leave no enabled admin", body = ErrorBody),
    )
)]
pub async fn patch(
    State(state): State<AppState>,
    identity: Identity,
    IdPath(id): IdPath,
    ApiJson(body): ApiJson<UserPatchRequest>,
) -> Result<Json<UserBody>, ApiError> {
    let auth = state.store().auth();
    let current = auth
        .get_user(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no user with id {id}")))?;
    let role = body.role.as_deref().map(parse_role).transpose()?;
    let password_hash = match body.password.as_deref() {
        Some(_) if current.auth_source != AuthSource::Local => {
            return Err(ApiError::invalid(
                "this user signs in through OIDC and has no Torro password",
            ));
        }
        Some(p) => {
            password::check_policy(p)?;
            Some(password::hash(p).await?)
        }
        None => None,
    };
    let loses_admin = current.role == Role::Admin
        && !current.disabled
        && (role.is_some_and(|r| r != Role::Admin) || body.disabled == Some(true));
    if loses_admin {
        let admins = auth
            .list_users()
            .await?
            .into_iter()
            .filter(|u| u.role == Role::Admin && !u.disabled)
            .count();
        if admins <= 1 {
            return Err(ApiError::new(
                ErrorCode::Conflict,
                format!(
                    "{} is the last enabled admin; make another user admin first",
                    current.username
                ),
            ));
        }
    }
    let patch = UserPatch {
        display_name: body.display_name.map(clean),
        email: body.email.map(clean),
        role,
        disabled: body.disabled,
        password_hash,
    };
    let user = auth.update_user(id, &patch, &identity.actor()).await?;
    Ok(Json(UserBody::from(&user)))
}

fn parse_role(raw: &str) -> Result<Role, ApiError> {
    raw.parse::<Role>().map_err(|e| ApiError::invalid(format!("role: {e}")))
}

fn clean(value: Option<String>) -> Option<String> {
    value.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

fn valid_username(raw: &str) -> Result<String, ApiError> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > MAX_USERNAME_CHARS {
        return Err(ApiError::invalid(format!(
            "username must be 1 to {MAX_USERNAME_CHARS} characters"
        )));
    }
    if name.chars().any(|c| c.is_control() || c.is_whitespace()) || name.starts_with("system:") {
        return Err(ApiError::invalid(
            "username must not contain spaces or control characters, nor start with \"system:\"",
        ));
    }
    Ok(name.to_string())
}
