//! Personal API tokens: created by their owner, shown once, revocable.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use torro_model::{NewApiToken, Permission};

use crate::AppState;
use crate::auth::{AuthVia, Identity, secret};
use crate::dto::auth::{NewTokenRequest, NewTokenResponse, TokenBody, TokenList, TokenListParams};
use crate::error::{ApiError, ErrorBody, ErrorCode};
use crate::extract::{ApiJson, ApiQuery, IdPath};

const DEFAULT_EXPIRY_DAYS: u32 = 90;
const MAX_EXPIRY_DAYS: u32 = 3650;
const MAX_NAME_CHARS: usize = 100;

/// The signed-in user's tokens, newest first (admins: `?all=true` for everyone's).
#[utoipa::path(
    get,
    path = "/api/tokens",
    tag = "tokens",
    params(TokenListParams),
    responses((status = 200, body = TokenList), (status = 403, description = "all=true without manage_users", body = ErrorBody))
)]
pub async fn list(
    State(state): State<AppState>,
    identity: Identity,
    ApiQuery(params): ApiQuery<TokenListParams>,
) -> Result<Json<TokenList>, ApiError> {
    let all = matches!(params.all.as_deref().map(str::trim), Some("true" | "1"));
    if all && !identity.can(Permission::ManageUsers) {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "only admins may list every user's tokens",
        ));
    }
    let tokens = state
        .store()
        .auth()
        .list_tokens(if all { None } else { Some(identity.user.id) })
        .await?;
    Ok(Json(TokenList {
        tokens: tokens.iter().map(TokenBody::from).collect(),
    }))
}

/// Creates a token for the signed-in user. The response holds the token: store it now,
/// it cannot be shown again.
#[utoipa::path(
    post,
    path = "/api/tokens",
    tag = "tokens",
    request_body = NewTokenRequest,
    responses(
        (status = 201, body = NewTokenResponse),
        (status = 400, description = "name or expires_in_days invalid", body = ErrorBody),
        (status = 429, description = "Too many tokens created from this address", body = ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    identity: Identity,
    ApiJson(body): ApiJson<NewTokenRequest>,
) -> Result<(StatusCode, Json<NewTokenResponse>), ApiError> {
    if identity.via == AuthVia::NoAuth {
        return Err(ApiError::invalid(
            "tokens are not needed with --no-auth; run Torro with authentication to create one",
        ));
    }
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(ApiError::invalid(format!(
            "name must be 1 to {MAX_NAME_CHARS} characters"
        )));
    }
    let days = body.expires_in_days.unwrap_or(DEFAULT_EXPIRY_DAYS);
    if !(1..=MAX_EXPIRY_DAYS).contains(&days) {
        return Err(ApiError::invalid(format!(
            "expires_in_days must be between 1 and {MAX_EXPIRY_DAYS}, got {days}"
        )));
    }
    let token = secret::new_api_token();
    let new = NewApiToken {
        user_id: identity.user.id,
        name: name.to_string(),
        prefix: secret::display_prefix(&token),
        token_hash: secret::sha256_hex(&token),
        expires_at: Some(Utc::now() + chrono::Duration::days(i64::from(days))),
    };
    let info = state.store().auth().create_token(&new, &identity.actor()).await?;
    Ok((
        StatusCode::CREATED,
        Json(NewTokenResponse {
            token,
            info: TokenBody::from(&info),
        }),
    ))
}

/// Revokes a token: one's own, or anyone's for admins. Revoking twice is harmless.
#[utoipa::path(
    delete,
    path = "/api/tokens/{id}",
    tag = "tokens",
    params(("id" = i64, Path, description = "Token id")),
    responses(
        (status = 200, description = "The revoked token", body = TokenBody),
        (status = 404, description = "No such token (or not yours)", body = ErrorBody),
    )
)]
pub async fn revoke(
    State(state): State<AppState>,
    identity: Identity,
    IdPath(id): IdPath,
) -> Result<Json<TokenBody>, ApiError> {
    let auth = state.store().auth();
    let not_found = || ApiError::not_found(format!("no token with id {id}"));
    let token = auth.get_token(id).await?.ok_or_else(not_found)?;
    // Someone else's token is "not found" rather than "forbidden", so ids reveal nothing.
    if token.user_id != identity.user.id && !identity.can(Permission::ManageUsers) {
        return Err(not_found());
    }
    let revoked = auth.revoke_token(id, &identity.actor()).await?;
    Ok(Json(TokenBody::from(&revoked)))
}
