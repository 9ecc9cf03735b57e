//! Who is calling. The router asks an [`Authenticator`]: `teamd` verifies its own
//! HS256 tokens; in AWS the API Gateway JWT authorizer has verified the Cognito token
//! and the Lambda reads its claims.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};
use team_core::ids::UserId;
use team_core::{Caller, TeamError};

use crate::AppState;
use crate::error::ApiError;

/// Turns a request's credentials into a verified caller.
pub trait Authenticator: Send + Sync {
    /// The caller, or `Unauthenticated` with a reason.
    fn authenticate(&self, parts: &Parts) -> Result<Caller, TeamError>;
}

/// The claims TEAM-rs reads from a token (Cognito's, after the pre-token trigger, or teamd's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Identity Center user id.
    pub sub: String,
    /// User name.
    #[serde(default)]
    pub username: String,
    /// E-mail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Identity Center group ids (informational; roles are resolved from the directory).
    #[serde(default)]
    pub groups: Vec<String>,
    /// Expiry, seconds since the epoch.
    pub exp: u64,
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
}

/// Issues and verifies HS256 tokens with a secret (teamd's local sign-in).
pub struct HmacJwt {
    encoding: EncodingKey,
    decoding: DecodingKey,
    issuer: String,
    audience: String,
}

impl HmacJwt {
    /// A signer/verifier over `secret`.
    pub fn new(secret: &[u8], issuer: &str, audience: &str) -> HmacJwt {
        HmacJwt {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            issuer: issuer.into(),
            audience: audience.into(),
        }
    }

    /// Signs a token for `sub` valid until `exp` (seconds since the epoch).
    pub fn issue(
        &self,
        sub: &UserId,
        username: &str,
        email: Option<String>,
        groups: Vec<String>,
        exp: u64,
    ) -> Result<String, TeamError> {
        let claims = Claims {
            sub: sub.to_string(),
            username: username.into(),
            email,
            groups,
            exp,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| TeamError::Internal(format!("token signing failed: {e}")))
    }

    /// Verifies signature, issuer, audience and expiry.
    pub fn verify(&self, token: &str) -> Result<Claims, TeamError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.leeway = 5;
        decode::<Claims>(token, &self.decoding, &validation)
            .map(|data| data.claims)
            .map_err(|e| TeamError::Unauthenticated(format!("invalid token: {e}")))
    }
}

/// The bearer token of a request, if any.
pub fn bearer(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

impl Authenticator for HmacJwt {
    fn authenticate(&self, parts: &Parts) -> Result<Caller, TeamError> {
        let token = bearer(parts).ok_or_else(|| {
            TeamError::Unauthenticated("send 'Authorization: Bearer <token>'".into())
        })?;
        let claims = self.verify(token)?;
        let user_id = UserId::parse(claims.sub).map_err(|_| {
            TeamError::Unauthenticated("the token's subject is not a user id".into())
        })?;
        Ok(Caller { user_id })
    }
}

/// Extractor: the authenticated caller of a handler.
pub struct Authed(pub Caller);

impl FromRequestParts<AppState> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let auth: &Arc<dyn Authenticator> = &state.auth;
        auth.authenticate(parts).map(Authed).map_err(ApiError)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn token_round_trip_and_tampering() {
        let jwt = HmacJwt::new(b"secret-secret-secret-secret-1234", "teamd", "team-rs");
        let user = UserId::parse("u-1").unwrap();
        let token = jwt
            .issue(&user, "alice", None, vec![], 4_102_444_800)
            .unwrap();
        assert_eq!(jwt.verify(&token).unwrap().sub, "u-1");
        let other = HmacJwt::new(b"another-secret-another-secret-12", "teamd", "team-rs");
        assert_eq!(other.verify(&token).unwrap_err().code(), "Unauthenticated");
    }

    #[test]
    fn expired_tokens_are_refused() {
        let jwt = HmacJwt::new(b"secret-secret-secret-secret-1234", "teamd", "team-rs");
        let token = jwt
            .issue(&UserId::parse("u-1").unwrap(), "alice", None, vec![], 1_000)
            .unwrap();
        assert!(jwt.verify(&token).is_err());
    }
}
