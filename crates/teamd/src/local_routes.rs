//! Routes only the local twin has: sign-in as a directory user, views into the
//! simulated Identity Center and the notification outbox, the Identity Center's
//! faults at run time, and assignments made outside TEAM-rs.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::rejection::JsonRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use team_api::ApiError;
use team_core::ids::{AccountId, PermissionSetArn, UserId};
use team_core::request::Assignment;
use team_core::{TeamError, TeamResult};
use team_local::{DEFAULT_FAILURE_REASON, SimFaults};

use crate::twin::Twin;

/// How long a local sign-in lasts.
const TOKEN_HOURS: u64 = 12;

/// The longest latency that can be injected (ten minutes): more is surely a typo.
const MAX_LATENCY_MS: u64 = 600_000;

pub(crate) fn routes(twin: Arc<Twin>) -> Router {
    Router::new()
        .route("/api/local/login", post(login))
        .route("/api/local/users", get(users))
        .route(
            "/api/local/assignments",
            get(assignments).post(assign_outside_team),
        )
        .route(
            "/api/local/faults",
            get(faults).post(set_faults).delete(clear_faults),
        )
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

/// An assignment as someone outside TEAM-rs makes it (the console, another tool).
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct OutsideAssignment {
    account_id: String,
    permission_set_arn: String,
    principal_id: String,
}

/// Renames the field of a validation error to the name the caller used.
fn as_field<T>(field: &str, result: TeamResult<T>) -> TeamResult<T> {
    result.map_err(|err| match err {
        TeamError::Validation { message, .. } => TeamError::validation(field, message),
        other => other,
    })
}

/// Creates an account assignment directly in the simulated Identity Center, with no
/// request and no lease: what TEAM-rs's reconciliation has to notice.
async fn assign_outside_team(
    State(twin): State<Arc<Twin>>,
    payload: Result<Json<OutsideAssignment>, JsonRejection>,
) -> Result<(StatusCode, Json<Assignment>), ApiError> {
    let Json(input) = payload?;
    let assignment = Assignment {
        user_id: as_field("principalId", UserId::parse(input.principal_id.trim()))?,
        account_id: AccountId::parse(input.account_id.trim())?,
        permission_set_arn: PermissionSetArn::parse(input.permission_set_arn.trim())?,
    };
    twin.identity_center
        .assign_outside_team(&assignment)
        .await?;
    Ok((StatusCode::CREATED, Json(assignment)))
}

/// A fault on one account, as the fault routes show it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AccountFault {
    account_id: AccountId,
    reason: String,
}

/// The simulated Identity Center's faults, as the fault routes show them.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FaultsView {
    throttle: u32,
    fail_create: Vec<AccountFault>,
    fail_delete: Vec<AccountFault>,
    latency_ms: u64,
    die_after_next_side_effect: bool,
}

impl From<SimFaults> for FaultsView {
    fn from(faults: SimFaults) -> FaultsView {
        let list = |map: std::collections::BTreeMap<AccountId, String>| {
            map.into_iter()
                .map(|(account_id, reason)| AccountFault { account_id, reason })
                .collect()
        };
        FaultsView {
            throttle: faults.throttle_next,
            fail_create: list(faults.fail_create),
            fail_delete: list(faults.fail_delete),
            latency_ms: u64::try_from(faults.latency.as_millis()).unwrap_or(u64::MAX),
            die_after_next_side_effect: faults.die_after_next_side_effect,
        }
    }
}

/// Faults to set: each key given replaces that fault; the others stay.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct FaultsChange {
    throttle: Option<u32>,
    fail_create: Option<AccountFaultInput>,
    fail_delete: Option<AccountFaultInput>,
    latency_ms: Option<u64>,
    die_after_next_side_effect: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AccountFaultInput {
    account_id: String,
    reason: Option<String>,
}

impl AccountFaultInput {
    /// The account and reason, or a validation error naming `key.accountId`.
    fn parse(self, key: &str) -> TeamResult<(AccountId, String)> {
        let account = as_field(
            &format!("{key}.accountId"),
            AccountId::parse(self.account_id.trim()),
        )?;
        let reason = match self.reason.as_deref().map(str::trim) {
            None | Some("") => DEFAULT_FAILURE_REASON.to_string(),
            Some(reason) => reason.to_string(),
        };
        Ok((account, reason))
    }
}

async fn faults(State(twin): State<Arc<Twin>>) -> Json<FaultsView> {
    Json(twin.identity_center.faults().into())
}

/// Sets the faults given (all checked before any is set) and answers every fault now set.
async fn set_faults(
    State(twin): State<Arc<Twin>>,
    payload: Result<Json<FaultsChange>, JsonRejection>,
) -> Result<Json<FaultsView>, ApiError> {
    let Json(change) = payload?;
    let fail_create = change
        .fail_create
        .map(|f| f.parse("failCreate"))
        .transpose()?;
    let fail_delete = change
        .fail_delete
        .map(|f| f.parse("failDelete"))
        .transpose()?;
    if let Some(ms) = change.latency_ms
        && ms > MAX_LATENCY_MS
    {
        return Err(TeamError::validation(
            "latencyMs",
            format!("must be at most {MAX_LATENCY_MS} (ten minutes)"),
        )
        .into());
    }
    let now = twin.identity_center.update_faults(|faults| {
        if let Some(n) = change.throttle {
            faults.throttle_next = n;
        }
        if let Some((account, reason)) = fail_create {
            faults.fail_create.insert(account, reason);
        }
        if let Some((account, reason)) = fail_delete {
            faults.fail_delete.insert(account, reason);
        }
        if let Some(ms) = change.latency_ms {
            faults.latency = Duration::from_millis(ms);
        }
        if let Some(die) = change.die_after_next_side_effect {
            faults.die_after_next_side_effect = die;
        }
    });
    Ok(Json(now.into()))
}

/// Clears every fault and answers the (empty) faults.
async fn clear_faults(State(twin): State<Arc<Twin>>) -> Json<FaultsView> {
    Json(
        twin.identity_center
            .update_faults(|faults| *faults = SimFaults::default())
            .into(),
    )
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
