//! The HTTP API in Lambda: API Gateway HTTP API (payload format 2.0) events, served by
//! the same axum router `teamd` serves ([`team_api::router`]).
//!
//! Deploy the API on the `$default` stage: `lambda_http` prefixes the path with the
//! stage name otherwise, and the router's routes start at `/api`.

use std::sync::Arc;

use aws_lambda_events::apigw::ApiGatewayV2httpResponse;
use axum::Router;
use axum::http::HeaderMap;
use axum::http::header::SET_COOKIE;
use lambda_http::{Body, IntoResponse};
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;
use team_api::AppState;
use team_core::steps::StepFunction;
use team_core::{Team, TeamError};
use tower::ServiceExt;

use crate::auth::ClaimsAuthenticator;
use crate::steps::{StepError, handle_step};

/// The shared router, authenticating callers by their verified token claims.
pub fn api_router(team: Team) -> Router {
    team_api::router(AppState {
        team,
        auth: Arc::new(ClaimsAuthenticator),
    })
}

/// Serves the HTTP API until the runtime stops.
pub async fn serve_http(team: Team) -> Result<(), lambda_runtime::Error> {
    tracing::info!("serving the HTTP API");
    lambda_http::run(api_router(team)).await
}

/// What an event of a function that serves both the API and steps is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventShape {
    /// A Step Functions Task payload: an object with a `step` field (see
    /// `team_core::steps::StepInput`, tagged by `step`).
    Step,
    /// Anything else: an API Gateway HTTP API event (`version: "2.0"`, `requestContext`).
    Http,
}

impl EventShape {
    /// Decides by the one field that tells the two apart: API Gateway events never
    /// have a top-level `step`, and every Task payload of the state machines has one.
    pub fn of(event: &Value) -> EventShape {
        if event.get("step").is_some() {
            EventShape::Step
        } else {
            EventShape::Http
        }
    }
}

/// Runs one API Gateway HTTP API event through the router and returns the response event.
pub async fn handle_http(router: Router, event: Value) -> Result<Value, StepError> {
    let request = lambda_http::request::from_str(&event.to_string())
        .map_err(|e| TeamError::Internal(format!("neither a step nor an HTTP API event: {e}")))?;
    // The router's error type is Infallible: every failure is already an HTTP response.
    let response = match router.oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    };
    let response = response.into_response().await;
    let (parts, body) = response.into_parts();
    let mut headers: HeaderMap = parts.headers;
    // HTTP API wants cookies in their own field, not as set-cookie headers.
    let cookies = headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_string))
        .collect();
    headers.remove(SET_COOKIE);
    let mut out = ApiGatewayV2httpResponse::default();
    out.status_code = i64::from(parts.status.as_u16());
    out.headers = headers;
    out.cookies = cookies;
    (out.is_base64_encoded, out.body) = match body {
        Body::Text(text) => (false, Some(Body::Text(text))),
        Body::Binary(bytes) => (true, Some(Body::Binary(bytes))),
        _ => (false, None),
    };
    serde_json::to_value(out).map_err(|e| {
        StepError(TeamError::Internal(format!(
            "response not serializable: {e}"
        )))
    })
}

/// Serves both the HTTP API and the Step Functions tasks of `function` (team-approval:
/// the approve/reject routes and the `awaitDecision`/`expire` steps), telling the two
/// apart with [`EventShape::of`].
pub async fn serve_http_and_steps(
    team: Team,
    function: StepFunction,
) -> Result<(), lambda_runtime::Error> {
    tracing::info!(
        function = function.package(),
        "serving the HTTP API and steps"
    );
    let router = api_router(team.clone());
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let team = team.clone();
        let router = router.clone();
        async move {
            match EventShape::of(&event.payload) {
                EventShape::Step => handle_step(&team, function, event.payload).await,
                EventShape::Http => handle_http(router, event.payload).await,
            }
        }
    }))
    .await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use axum::routing::get;
    use serde_json::json;

    use super::*;

    fn http_event(path: &str) -> Value {
        json!({
            "version": "2.0",
            "routeKey": "$default",
            "rawPath": path,
            "rawQueryString": "",
            "headers": { "host": "id.execute-api.eu-west-1.amazonaws.com" },
            "requestContext": {
                "accountId": "111122223333",
                "apiId": "id",
                "domainName": "id.execute-api.eu-west-1.amazonaws.com",
                "http": { "method": "GET", "path": path, "protocol": "HTTP/1.1", "sourceIp": "192.0.2.1", "userAgent": "t" },
                "requestId": "r",
                "routeKey": "$default",
                "stage": "$default",
                "time": "12/Mar/2020:19:03:58 +0000",
                "timeEpoch": 1583348638390_i64
            },
            "isBase64Encoded": false
        })
    }

    #[test]
    fn step_payloads_and_http_events_are_told_apart() {
        assert_eq!(
            EventShape::of(&json!({ "step": "expire", "requestId": "r-1" })),
            EventShape::Step
        );
        assert_eq!(EventShape::of(&http_event("/api/me")), EventShape::Http);
    }

    #[tokio::test]
    async fn an_http_event_becomes_an_http_api_response() {
        let router = Router::new().route(
            "/api/ping",
            get(|| async { ([(SET_COOKIE, "a=b")], axum::Json(json!({ "pong": true }))) }),
        );
        let out = handle_http(router.clone(), http_event("/api/ping"))
            .await
            .unwrap();
        assert_eq!(out["statusCode"], 200);
        assert_eq!(out["isBase64Encoded"], false);
        assert_eq!(out["cookies"], json!(["a=b"]));
        assert_eq!(out["headers"]["content-type"], "application/json");
        let body: Value = serde_json::from_str(out["body"].as_str().unwrap()).unwrap();
        assert_eq!(body, json!({ "pong": true }));

        let out = handle_http(router.clone(), http_event("/api/nowhere"))
            .await
            .unwrap();
        assert_eq!(out["statusCode"], 404);

        let err = handle_http(router, json!({ "hello": "world" }))
            .await
            .unwrap_err();
        assert_eq!(err.0.code(), "TeamInternalError");
    }
}
