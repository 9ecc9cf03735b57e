//! Handlers: parse, call the service, map the result.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use team_core::audit::to_csv;
use team_core::ids::AccountId;
use team_core::org::{Account, Group, OrgUnit, PermissionSet, User};
use team_core::policy::{
    ApproverPolicy, ApproverPolicyInput, Eligibility, EligibilityPolicy, EligibilityPolicyInput,
    Settings,
};
use team_core::ports::ActivityEvent;
use team_core::request::{AccessRequest, Outcome, RequestEvent, Status};
use team_core::service::{AuditFilter, ListScope, Me, NewRequest, RevokeAll};
use team_core::sweep::SweepRun;
use team_core::{TeamError, TeamResult};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::AppState;
use crate::auth::Authed;
use crate::error::{ApiError, ApiResult, ErrorBody};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/me", get(me))
        .route("/api/eligibility", get(eligibility))
        .route("/api/requests", post(submit).get(list))
        .route("/api/requests/{id}", get(get_request))
        .route("/api/requests/{id}/approve", post(approve))
        .route("/api/requests/{id}/reject", post(reject))
        .route("/api/requests/{id}/cancel", post(cancel))
        .route("/api/requests/{id}/revoke", post(revoke))
        .route("/api/requests/{id}/events", get(events))
        .route("/api/admin/settings", get(get_settings).put(put_settings))
        .route("/api/admin/users/{id}/revoke-all", post(revoke_all))
        .route("/api/admin/sweeps", get(sweeps))
        .route(
            "/api/admin/eligibility-policies",
            get(list_eligibility_policies).post(create_eligibility_policy),
        )
        .route(
            "/api/admin/eligibility-policies/{id}",
            get(get_eligibility_policy)
                .put(update_eligibility_policy)
                .delete(delete_eligibility_policy),
        )
        .route(
            "/api/admin/approver-policies",
            get(list_approver_policies).post(create_approver_policy),
        )
        .route(
            "/api/admin/approver-policies/{id}",
            get(get_approver_policy)
                .put(update_approver_policy)
                .delete(delete_approver_policy),
        )
        .route("/api/directory/accounts", get(directory_accounts))
        .route("/api/directory/ous", get(directory_ous))
        .route(
            "/api/directory/permission-sets",
            get(directory_permission_sets),
        )
        .route("/api/directory/users", get(directory_users))
        .route("/api/directory/groups", get(directory_groups))
        .route("/api/audit/requests", get(audit))
        .route("/api/audit/requests/{id}/activity", get(activity))
        .route("/api/openapi.json", get(openapi_json))
}

/// A JSON body whose rejections become 400s in the API's error format.
fn body<T>(payload: Result<Json<T>, JsonRejection>) -> ApiResult<T> {
    payload.map(|Json(v)| v).map_err(ApiError::from)
}

fn query<T>(q: Result<Query<T>, QueryRejection>) -> ApiResult<T> {
    q.map(|Query(v)| v).map_err(ApiError::from)
}

#[utoipa::path(get, path = "/api/me", tag = "requester",
    responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
async fn me(State(s): State<AppState>, Authed(caller): Authed) -> ApiResult<Json<Me>> {
    Ok(Json(s.team.me(&caller).await?))
}

#[utoipa::path(get, path = "/api/eligibility", tag = "requester",
    responses((status = 200, body = Eligibility), (status = 401, body = ErrorBody)))]
async fn eligibility(
    State(s): State<AppState>,
    Authed(caller): Authed,
) -> ApiResult<Json<Eligibility>> {
    Ok(Json(s.team.eligibility(&caller).await?))
}

#[utoipa::path(post, path = "/api/requests", tag = "requester", request_body = NewRequest,
    responses((status = 201, body = AccessRequest), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "not eligible")))]
async fn submit(
    State(s): State<AppState>,
    Authed(caller): Authed,
    payload: Result<Json<NewRequest>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<AccessRequest>)> {
    let input = body(payload)?;
    Ok((
        StatusCode::CREATED,
        Json(s.team.submit(&caller, input).await?.redacted()),
    ))
}

/// `GET /api/requests` query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ListParams {
    /// mine (default), approvable, decided or all.
    scope: Option<ListScope>,
    /// Comma-separated statuses.
    status: Option<String>,
    /// Page size (1-200, default 50).
    limit: Option<usize>,
    /// From the previous page.
    next_token: Option<String>,
}

/// A page of requests.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct RequestPage {
    items: Vec<AccessRequest>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

fn statuses(raw: Option<&str>) -> TeamResult<Vec<Status>> {
    raw.unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(Status::parse)
        .collect()
}

#[utoipa::path(get, path = "/api/requests", tag = "requester", params(ListParams),
    responses((status = 200, body = RequestPage), (status = 400, body = ErrorBody)))]
async fn list(
    State(s): State<AppState>,
    Authed(caller): Authed,
    q: Result<Query<ListParams>, QueryRejection>,
) -> ApiResult<Json<RequestPage>> {
    let q = query(q)?;
    let page = s
        .team
        .list(
            &caller,
            q.scope.unwrap_or(ListScope::Mine),
            statuses(q.status.as_deref())?,
            q.limit,
            q.next_token,
        )
        .await?;
    Ok(Json(RequestPage {
        items: page.items,
        next_token: page.next_token,
    }))
}

#[utoipa::path(get, path = "/api/requests/{id}", tag = "requester", params(("id" = String, Path)),
    responses((status = 200, body = AccessRequest), (status = 404, body = ErrorBody)))]
async fn get_request(
    State(s): State<AppState>,
    Authed(caller): Authed,
    Path(id): Path<String>,
) -> ApiResult<Json<AccessRequest>> {
    Ok(Json(s.team.get(&caller, &id).await?))
}

/// Body of approve, reject and revoke.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CommentBody {
    /// Why (required when the settings say so).
    comment: Option<String>,
}

/// An empty body is allowed where every field is optional.
fn optional_body<T: Default>(payload: Result<Json<T>, JsonRejection>) -> ApiResult<T> {
    match payload {
        Ok(Json(v)) => Ok(v),
        Err(JsonRejection::MissingJsonContentType(_)) => Ok(T::default()),
        Err(other) => Err(ApiError::from(other)),
    }
}

#[utoipa::path(post, path = "/api/requests/{id}/approve", tag = "approver", params(("id" = String, Path)),
    request_body = CommentBody,
    responses((status = 200, body = AccessRequest), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn approve(
    State(s): State<AppState>,
    Authed(caller): Authed,
    Path(id): Path<String>,
    payload: Result<Json<CommentBody>, JsonRejection>,
) -> ApiResult<Json<AccessRequest>> {
    let b = optional_body(payload)?;
    Ok(Json(
        s.team
            .decide(&caller, &id, Outcome::Approve, b.comment)
            .await?,
    ))
}

#[utoipa::path(post, path = "/api/requests/{id}/reject", tag = "approver", params(("id" = String, Path)),
    request_body = CommentBody,
    responses((status = 200, body = AccessRequest), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn reject(
    State(s): State<AppState>,
    Authed(caller): Authed,
    Path(id): Path<String>,
    payload: Result<Json<CommentBody>, JsonRejection>,
) -> ApiResult<Json<AccessRequest>> {
    let b = optional_body(payload)?;
    Ok(Json(
        s.team
            .decide(&caller, &id, Outcome::Reject, b.comment)
            .await?,
    ))
}

/// Cancels a request before access starts: its requester, or a TEAM admin (whose
/// comment is required).
#[utoipa::path(post, path = "/api/requests/{id}/cancel", tag = "requester", params(("id" = String, Path)),
    request_body = CommentBody,
    responses((status = 200, body = AccessRequest), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn cancel(
    State(s): State<AppState>,
    Authed(caller): Authed,
    Path(id): Path<String>,
    payload: Result<Json<CommentBody>, JsonRejection>,
) -> ApiResult<Json<AccessRequest>> {
    let b = optional_body(payload)?;
    Ok(Json(s.team.cancel(&caller, &id, b.comment).await?))
}

/// `?limit=` of the sweeps listing.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
struct SweepsQuery {
    /// How many runs, newest first (1–100, default 20).
    limit: Option<usize>,
}

/// The reconciler's latest runs (admins and auditors): what it found, what it did.
#[utoipa::path(get, path = "/api/admin/sweeps", tag = "admin", params(SweepsQuery),
    responses((status = 200, body = Vec<SweepRun>), (status = 403, body = ErrorBody)))]
async fn sweeps(
    State(s): State<AppState>,
    Authed(caller): Authed,
    query: Result<Query<SweepsQuery>, QueryRejection>,
) -> ApiResult<Json<Vec<SweepRun>>> {
    let Query(q) = query?;
    Ok(Json(s.team.sweeps(&caller, q.limit).await?))
}

/// The incident kill switch (admins): ends every session of one user and cancels
/// every request of theirs that has not started. The comment is required.
#[utoipa::path(post, path = "/api/admin/users/{id}/revoke-all", tag = "admin", params(("id" = String, Path, description = "Identity Center user id")),
    request_body = CommentBody,
    responses((status = 200, body = RevokeAll), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn revoke_all(
    State(s): State<AppState>,
    Authed(caller): Authed,
    Path(id): Path<String>,
    payload: Result<Json<CommentBody>, JsonRejection>,
) -> ApiResult<Json<RevokeAll>> {
    let b = optional_body(payload)?;
    Ok(Json(s.team.revoke_all(&caller, &id, b.comment).await?))
}

#[utoipa::path(post, path = "/api/requests/{id}/revoke", tag = "approver", params(("id" = String, Path)),
    request_body = CommentBody,
    responses((status = 200, body = AccessRequest), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn revoke(
    State(s): State<AppState>,
    Authed(caller): Authed,
    Path(id): Path<String>,
    payload: Result<Json<CommentBody>, JsonRejection>,
) -> ApiResult<Json<AccessRequest>> {
    let b = optional_body(payload)?;
    Ok(Json(s.team.revoke(&caller, &id, b.comment).await?))
}

#[utoipa::path(get, path = "/api/requests/{id}/events", tag = "requester", params(("id" = String, Path)),
    responses((status = 200, body = Vec<RequestEvent>), (status = 404, body = ErrorBody)))]
async fn events(
    State(s): State<AppState>,
    Authed(caller): Authed,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<RequestEvent>>> {
    Ok(Json(s.team.events(&caller, &id).await?))
}

#[utoipa::path(get, path = "/api/admin/settings", tag = "admin",
    responses((status = 200, body = Settings), (status = 403, body = ErrorBody)))]
async fn get_settings(
    State(s): State<AppState>,
    Authed(caller): Authed,
) -> ApiResult<Json<Settings>> {
    Ok(Json(s.team.settings(&caller).await?))
}

#[utoipa::path(put, path = "/api/admin/settings", tag = "admin", request_body = Settings,
    responses((status = 200, body = Settings), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn put_settings(
    State(s): State<AppState>,
    Authed(caller): Authed,
    payload: Result<Json<Settings>, JsonRejection>,
) -> ApiResult<Json<Settings>> {
    let settings = body(payload)?;
    Ok(Json(s.team.put_settings(&caller, settings).await?))
}

#[utoipa::path(get, path = "/api/admin/eligibility-policies", tag = "admin",
    responses((status = 200, body = Vec<EligibilityPolicy>), (status = 403, body = ErrorBody)))]
async fn list_eligibility_policies(
    State(s): State<AppState>,
    Authed(caller): Authed,
) -> ApiResult<Json<Vec<EligibilityPolicy>>> {
    Ok(Json(s.team.eligibility_policies(&caller).await?))
}

#[utoipa::path(post, path = "/api/admin/eligibility-policies", tag = "admin", request_body = EligibilityPolicyInput,
    responses((status = 201, body = EligibilityPolicy), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn create_eligibility_policy(
    State(s): State<AppState>,
    Authed(caller): Authed,
    payload: Result<Json<EligibilityPolicyInput>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<EligibilityPolicy>)> {
    let spec = body(payload)?;
    Ok((
        StatusCode::CREATED,
        Json(s.team.put_eligibility_policy(&caller, None, spec).await?),
    ))
}

#[utoipa::path(get, path = "/api/admin/eligibility-policies/{id}", tag = "admin", params(("id" = String, Path)),
    responses((status = 200, body = EligibilityPolicy), (status = 404, body = ErrorBody)))]
async fn get_eligibility_policy(
    State(s): State<AppState>,
    Authed(caller): Authed,
    Path(id): Path<String>,
) -> ApiResult<Json<EligibilityPolicy>> {
    Ok(Json(s.team.eligibility_policy(&caller, &id).await?))
}

#[utoipa::path(put, path = "/api/admin/eligibility-policies/{id}", tag = "admin", params(("id" = String, Path)),
    request_body = EligibilityPolicyInput,
    responses((status = 200, body = EligibilityPolicy), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn update_eligibility_policy(
    State(s): State<AppState>,
    Authed(caller): Authed,
    Path(id): Path<String>,
    payload: Result<Json<EligibilityPolicyInput>, JsonRejection>,
) -> ApiResult<Json<EligibilityPolicy>> {
    let spec = body(payload)?;
    Ok(Json(
        s.team
            .put_eligibility_policy(&caller, Some(&id), spec)
            .await?,
    ))
}

#[utoipa::path(delete, path = "/api/admin/eligibility-policies/{id}", tag = "admin", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn delete_eligibility_policy(
    State(s): State<AppState>,
    Authed(caller): Authed,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    s.team.delete_eligibility_policy(&caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/admin/approver-policies", tag = "admin",
    responses((status = 200, body = Vec<ApproverPolicy>), (status = 403, body = ErrorBody)))]
async fn list_approver_policies(
    State(s): State<AppState>,
    Authed(caller): Authed,
) -> ApiResult<Json<Vec<ApproverPolicy>>> {
    Ok(Json(s.team.approver_policies(&caller).await?))
}

#[utoipa::path(post, path = "/api/admin/approver-policies", tag = "admin", request_body = ApproverPolicyInput,
    responses((status = 201, body = ApproverPolicy), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn create_approver_policy(
    State(s): State<AppState>,
    Authed(caller): Authed,
    payload: Result<Json<ApproverPolicyInput>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<ApproverPolicy>)> {
    let spec = body(payload)?;
    Ok((
        StatusCode::CREATED,
        Json(s.team.put_approver_policy(&caller, None, spec).await?),
    ))
}

#[utoipa::path(get, path = "/api/admin/approver-policies/{id}", tag = "admin", params(("id" = String, Path)),
    responses((status = 200, body = ApproverPolicy), (status = 404, body = ErrorBody)))]
async fn get_approver_policy(
    State(s): State<AppState>,
    Authed(caller): Authed,
    Path(id): Path<String>,
) -> ApiResult<Json<ApproverPolicy>> {
    Ok(Json(s.team.approver_policy(&caller, &id).await?))
}

#[utoipa::path(put, path = "/api/admin/approver-policies/{id}", tag = "admin", params(("id" = String, Path)),
    request_body = ApproverPolicyInput,
    responses((status = 200, body = ApproverPolicy), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn update_approver_policy(
    State(s): State<AppState>,
    Authed(caller): Authed,
    Path(id): Path<String>,
    payload: Result<Json<ApproverPolicyInput>, JsonRejection>,
) -> ApiResult<Json<ApproverPolicy>> {
    let spec = body(payload)?;
    Ok(Json(
        s.team.put_approver_policy(&caller, Some(&id), spec).await?,
    ))
}

#[utoipa::path(delete, path = "/api/admin/approver-policies/{id}", tag = "admin", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn delete_approver_policy(
    State(s): State<AppState>,
    Authed(caller): Authed,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    s.team.delete_approver_policy(&caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/directory/accounts", tag = "admin",
    responses((status = 200, body = Vec<Account>), (status = 403, body = ErrorBody)))]
async fn directory_accounts(
    State(s): State<AppState>,
    Authed(caller): Authed,
) -> ApiResult<Json<Vec<Account>>> {
    Ok(Json(s.team.directory_accounts(&caller).await?))
}

#[utoipa::path(get, path = "/api/directory/ous", tag = "admin",
    responses((status = 200, body = Vec<OrgUnit>), (status = 403, body = ErrorBody)))]
async fn directory_ous(
    State(s): State<AppState>,
    Authed(caller): Authed,
) -> ApiResult<Json<Vec<OrgUnit>>> {
    Ok(Json(s.team.directory_ous(&caller).await?))
}

#[utoipa::path(get, path = "/api/directory/permission-sets", tag = "admin",
    responses((status = 200, body = Vec<PermissionSet>), (status = 403, body = ErrorBody)))]
async fn directory_permission_sets(
    State(s): State<AppState>,
    Authed(caller): Authed,
) -> ApiResult<Json<Vec<PermissionSet>>> {
    Ok(Json(s.team.directory_permission_sets(&caller).await?))
}

#[utoipa::path(get, path = "/api/directory/users", tag = "admin",
    responses((status = 200, body = Vec<User>), (status = 403, body = ErrorBody)))]
async fn directory_users(
    State(s): State<AppState>,
    Authed(caller): Authed,
) -> ApiResult<Json<Vec<User>>> {
    Ok(Json(s.team.directory_users(&caller).await?))
}

#[utoipa::path(get, path = "/api/directory/groups", tag = "admin",
    responses((status = 200, body = Vec<Group>), (status = 403, body = ErrorBody)))]
async fn directory_groups(
    State(s): State<AppState>,
    Authed(caller): Authed,
) -> ApiResult<Json<Vec<Group>>> {
    Ok(Json(s.team.directory_groups(&caller).await?))
}

/// `GET /api/audit/requests` query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct AuditParams {
    /// Sessions ending after this RFC 3339 instant.
    from: Option<String>,
    /// Sessions starting before this RFC 3339 instant.
    to: Option<String>,
    /// Comma-separated statuses.
    status: Option<String>,
    /// Account id.
    account_id: Option<String>,
    /// Requester user name or id.
    requester: Option<String>,
    /// json (default, paged) or csv (every match, up to 100,000 rows).
    format: Option<String>,
    /// Page size for json (1-200, default 50).
    limit: Option<usize>,
    /// From the previous page.
    next_token: Option<String>,
}

fn instant(field: &str, raw: Option<&str>) -> TeamResult<Option<OffsetDateTime>> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => OffsetDateTime::parse(v, &Rfc3339).map(Some).map_err(|_| {
            TeamError::validation(
                field,
                "must be an RFC 3339 date-time such as 2026-01-31T09:00:00Z",
            )
        }),
    }
}

/// The most rows one CSV export returns.
const CSV_MAX_ROWS: usize = 100_000;

#[utoipa::path(get, path = "/api/audit/requests", tag = "auditor", params(AuditParams),
    responses((status = 200, body = RequestPage, description = "JSON page, or text/csv with format=csv"),
        (status = 403, body = ErrorBody)))]
async fn audit(
    State(s): State<AppState>,
    Authed(caller): Authed,
    q: Result<Query<AuditParams>, QueryRejection>,
) -> ApiResult<Response> {
    let q = query(q)?;
    let filter = AuditFilter {
        from: instant("from", q.from.as_deref())?,
        to: instant("to", q.to.as_deref())?,
        statuses: statuses(q.status.as_deref())?,
        account: match q.account_id.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(a) => Some(AccountId::parse(a)?),
        },
        requester: q.requester,
    };
    match q.format.as_deref().unwrap_or("json") {
        "json" => {
            let page = s.team.audit(&caller, filter, q.limit, q.next_token).await?;
            Ok(Json(RequestPage {
                items: page.items,
                next_token: page.next_token,
            })
            .into_response())
        }
        "csv" => {
            let mut rows = Vec::new();
            let mut token = None;
            loop {
                let page = s
                    .team
                    .audit(&caller, filter.clone(), Some(200), token)
                    .await?;
                rows.extend(page.items);
                token = page.next_token;
                if token.is_none() || rows.len() >= CSV_MAX_ROWS {
                    break;
                }
            }
            rows.truncate(CSV_MAX_ROWS);
            Ok((
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                    (
                        header::CONTENT_DISPOSITION,
                        "attachment; filename=\"team-requests.csv\"",
                    ),
                ],
                to_csv(&rows),
            )
                .into_response())
        }
        other => {
            Err(TeamError::validation("format", format!("'{other}' is not json or csv")).into())
        }
    }
}

#[utoipa::path(get, path = "/api/audit/requests/{id}/activity", tag = "auditor", params(("id" = String, Path)),
    responses((status = 200, body = Vec<ActivityEvent>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn activity(
    State(s): State<AppState>,
    Authed(caller): Authed,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<ActivityEvent>>> {
    Ok(Json(s.team.activity(&caller, &id).await?))
}

#[utoipa::path(get, path = "/api/openapi.json", tag = "meta", responses((status = 200, description = "This document")))]
async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(crate::openapi())
}

/// The OpenAPI 3 document of the whole API.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(title = "TEAM-rs API", description = "Temporary elevated access management for AWS IAM Identity Center."),
    paths(
        me, eligibility, submit, list, get_request, approve, reject, cancel, revoke, events,
        get_settings, put_settings, revoke_all, sweeps,
        list_eligibility_policies, create_eligibility_policy, get_eligibility_policy,
        update_eligibility_policy, delete_eligibility_policy,
        list_approver_policies, create_approver_policy, get_approver_policy,
        update_approver_policy, delete_approver_policy,
        directory_accounts, directory_ous, directory_permission_sets, directory_users, directory_groups,
        audit, activity, openapi_json
    ),
    modifiers(&BearerAuth),
    security(("bearer" = []))
)]
pub(crate) struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}
