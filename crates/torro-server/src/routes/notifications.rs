use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;

/// One channel's outcome of a test message.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelTestBody {
    /// "email" or "webhook".
    pub channel: String,
    /// The SMTP host, or the webhook's name.
    pub name: String,
    pub ok: bool,
    /// Why it failed (never a secret).
    pub error: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationTestBody {
    /// True when every configured channel accepted the message (and there is at least one).
    pub ok: bool,
    pub channels: Vec<ChannelTestBody>,
}

/// Sends a test message to every configured channel (the `[notifications]` e-mail
/// recipients and each webhook) at once, and reports each channel's result. No channel
/// configured: `ok` is false and `channels` empty.
#[utoipa::path(
    post,
    path = "/api/notifications/test",
    tag = "notifications",
    responses((status = 200, body = NotificationTestBody))
)]
pub async fn test(State(state): State<AppState>) -> Json<NotificationTestBody> {
    let channels: Vec<ChannelTestBody> = state
        .engine()
        .test_notifications()
        .await
        .into_iter()
        .map(|c| ChannelTestBody {
            channel: c.channel,
            name: c.name,
            ok: c.ok,
            error: c.error,
        })
        .collect();
    Json(NotificationTestBody {
        ok: !channels.is_empty() && channels.iter().all(|c| c.ok),
        channels,
    })
}
