//! Who is calling, in AWS: API Gateway's JWT authorizer has already verified the
//! Cognito token (signature, issuer, audience, expiry) before the Lambda runs, and
//! hands the verified claims over in the request context. This module only reads them.
//!
//! # Claims
//!
//! `team-token` (the Cognito pre-token-generation trigger) adds these claims to the
//! ID and access tokens. Every value is a string, because the HTTP API JWT authorizer
//! passes claims to the function as a map of strings (arrays would arrive rendered
//! as `"[a b]"`); lists are space-separated.
//!
//! | claim | value |
//! | --- | --- |
//! | [`USER_ID_CLAIM`] `team:userId` | Identity Center (Identity Store) user id: the caller's identity |
//! | [`GROUPS_CLAIM`] `team:groups` | Identity Store group ids of the user, space-separated |
//! | [`ROLES_CLAIM`] `team:roles` | `admin` and/or `auditor`, space-separated (hints for the web UI) |
//!
//! Cognito's own `sub` identifies the Cognito user, not the Identity Center user, so it
//! is never used as the caller's id. Authorization never trusts `team:groups` or
//! `team:roles` either: the service resolves groups and roles from the directory and
//! the settings on every call, so a group change applies before the token expires.

use std::collections::HashMap;

use axum::http::request::Parts;
use lambda_http::request::RequestContext;
use team_api::Authenticator;
use team_core::ids::UserId;
use team_core::{Caller, TeamError};

/// The Identity Center user id of the caller.
pub const USER_ID_CLAIM: &str = "team:userId";
/// The caller's Identity Store group ids, space-separated.
pub const GROUPS_CLAIM: &str = "team:groups";
/// The caller's TEAM roles (`admin`, `auditor`), space-separated.
pub const ROLES_CLAIM: &str = "team:roles";

/// Reads the caller from the claims API Gateway's JWT authorizer verified.
#[derive(Debug, Clone, Copy, Default)]
pub struct ClaimsAuthenticator;

/// The verified claims of a request, if API Gateway sent any.
pub fn jwt_claims(parts: &Parts) -> Option<&HashMap<String, String>> {
    let context = parts.extensions.get::<RequestContext>()?;
    // Only HTTP API (payload 2.0) events carry JWT authorizer claims; the enum has
    // more variants when other lambda_http features are enabled elsewhere.
    #[allow(unreachable_patterns)]
    let claims = match context {
        RequestContext::ApiGatewayV2(ctx) => ctx.authorizer.as_ref()?.jwt.as_ref()?,
        _ => return None,
    };
    Some(&claims.claims)
}

/// Splits a list claim: space- or comma-separated, tolerating the `[a b]` rendering
/// API Gateway gives array claims.
pub fn list_claim(value: &str) -> Vec<String> {
    value
        .trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .split([' ', ','])
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

impl Authenticator for ClaimsAuthenticator {
    fn authenticate(&self, parts: &Parts) -> Result<Caller, TeamError> {
        let claims = jwt_claims(parts).ok_or_else(|| {
            TeamError::Unauthenticated(
                "no verified token: the API Gateway JWT authorizer sent no claims".into(),
            )
        })?;
        let user_id = claims.get(USER_ID_CLAIM).ok_or_else(|| {
            // A token without the claim was issued before (or without) the team-token trigger.
            TeamError::Unauthenticated(format!(
                "the token has no {USER_ID_CLAIM} claim: sign in again"
            ))
        })?;
        let user_id = UserId::parse(user_id.as_str()).map_err(|_| {
            TeamError::Unauthenticated(format!("the token's {USER_ID_CLAIM} is not a user id"))
        })?;
        Ok(Caller { user_id })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use serde_json::{Value, json};

    use super::*;

    /// An HTTP API (payload 2.0) event as API Gateway sends it after a JWT authorizer.
    fn event(claims: Option<Value>) -> Value {
        let mut request_context = json!({
            "accountId": "111122223333",
            "apiId": "api-id",
            "domainName": "id.execute-api.eu-west-1.amazonaws.com",
            "domainPrefix": "id",
            "http": {
                "method": "GET",
                "path": "/api/me",
                "protocol": "HTTP/1.1",
                "sourceIp": "192.0.2.1",
                "userAgent": "curl"
            },
            "requestId": "id",
            "routeKey": "ANY /api/{proxy+}",
            "stage": "$default",
            "time": "12/Mar/2020:19:03:58 +0000",
            "timeEpoch": 1583348638390_i64
        });
        if let Some(claims) = claims {
            request_context["authorizer"] = json!({ "jwt": { "claims": claims, "scopes": null } });
        }
        json!({
            "version": "2.0",
            "routeKey": "ANY /api/{proxy+}",
            "rawPath": "/api/me",
            "rawQueryString": "",
            "headers": { "authorization": "Bearer not-logged", "host": "id.execute-api.eu-west-1.amazonaws.com" },
            "requestContext": request_context,
            "isBase64Encoded": false
        })
    }

    fn authenticate(event: Value) -> Result<Caller, TeamError> {
        let request = lambda_http::request::from_str(&event.to_string()).unwrap();
        let (parts, _) = request.into_parts();
        ClaimsAuthenticator.authenticate(&parts)
    }

    #[test]
    fn the_caller_is_the_identity_center_user_not_the_cognito_sub() {
        let caller = authenticate(event(Some(json!({
            "sub": "cognito-sub-uuid",
            "team:userId": "906753a1-5051-7066-c4b4-123456789abc",
            "team:groups": "g-1 g-2",
            "team:roles": "admin"
        }))))
        .unwrap();
        assert_eq!(
            caller.user_id.as_str(),
            "906753a1-5051-7066-c4b4-123456789abc"
        );
    }

    #[test]
    fn missing_claims_are_unauthenticated() {
        for claims in [
            None,
            Some(json!({ "sub": "cognito-sub-uuid" })),
            Some(json!({ "team:userId": "" })),
        ] {
            let err = authenticate(event(claims.clone())).unwrap_err();
            assert_eq!(err.code(), "Unauthenticated", "{claims:?}");
        }
    }

    #[test]
    fn a_request_without_lambda_context_is_unauthenticated() {
        let (parts, _) = axum::http::Request::new(()).into_parts();
        let err = ClaimsAuthenticator.authenticate(&parts).unwrap_err();
        assert_eq!(err.code(), "Unauthenticated");
    }

    #[test]
    fn list_claims_accept_spaces_commas_and_api_gateway_arrays() {
        assert_eq!(list_claim("g-1 g-2"), ["g-1", "g-2"]);
        assert_eq!(list_claim("[g-1 g-2]"), ["g-1", "g-2"]);
        assert_eq!(list_claim("g-1,g-2"), ["g-1", "g-2"]);
        assert!(list_claim("").is_empty());
    }
}
