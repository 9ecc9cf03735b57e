//! Routes only the local twin has: sign-in as a directory user, and views into the
//! simulated Identity Center and the notification outbox.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::rejection::JsonRejection;
use axum::extract::{Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use team_api::ApiError;
use team_core::TeamError;
use team_core::request::Assignment;

use crate::twin::Twin;

/// How long a local sign-in lasts.
const TOKEN_HOURS: u64 = 12;

pub(crate) fn routes(twin: Arc<Twin>) -> Router {
    Router::new()
        .route("/api/local/login", post(login))
        .route("/api/local/users", get(users))
        .route("/api/local/assignments", get(assignments))
        .route("/api/local/notifications", get(notifications))
        .with_state(twin)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Login {
    username: String,
}

#[derive(Serialize)]
struct LoginResponse {
    token: String,
    user: team_core::org::User,
}

/// Signs in as any directory user: the local twin has no passwords, and says so.
async fn login(
    State(twin): State<Arc<Twin>>,
    payload: Result<Json<Login>, JsonRejection>,
) -> Result<Json<LoginResponse>, ApiError> {
    let Json(login) = payload?;
    let user = twin
        .team
        .ports()
        .directory
        .user_by_username(login.username.trim())
        .await?
        .ok_or_else(|| {
            TeamError::validation(
                "username",
                format!("no user '{}' in the local directory", login.username),
            )
        })?;
    let groups = twin.team.ports().directory.groups_of(&user.id).await?;
    let exp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
        + TOKEN_HOURS * 3600;
    let token = twin.jwt.issue(
        &user.id,
        &user.username,
        user.email.clone(),
        groups.iter().map(|g| g.id.to_string()).collect(),
        exp,
    )?;
    tracing::info!(username = %user.username, "local sign-in");
    Ok(Json(LoginResponse { token, user }))
}

/// Who can sign in locally (the UI's user picker).
async fn users(State(twin): State<Arc<Twin>>) -> Result<Json<Vec<team_core::org::User>>, ApiError> {
    Ok(Json(twin.team.ports().directory.users().await?))
}

async fn assignments(State(twin): State<Arc<Twin>>) -> Result<Json<Value>, ApiError> {
    let items: Vec<Assignment> = twin.identity_center.assignments().await;
    Ok(Json(json!({ "items": items })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OutboxQuery {
    limit: Option<usize>,
}

async fn notifications(
    State(twin): State<Arc<Twin>>,
    Query(q): Query<OutboxQuery>,
) -> Result<Json<Value>, ApiError> {
    let items = twin
        .outbox
        .list(q.limit.unwrap_or(100).clamp(1, 1000))
        .await;
    Ok(Json(json!({ "items": items })))
}
