//! `team-token`: the Cognito pre-token-generation trigger (event version 2) that puts
//! the caller's Identity Center identity into the tokens, as the claims documented in
//! [`crate::auth`].
//!
//! Cognito knows the user only as a federated (or local) Cognito user. The trigger looks
//! the user up in the Identity Store by user name — trying, in order, the
//! `preferred_username` attribute, the `email` attribute and the Cognito user name
//! (without the `<provider>_` prefix Cognito gives federated users) — and adds
//! [`USER_ID_CLAIM`], [`GROUPS_CLAIM`] and [`ROLES_CLAIM`] to both the ID and the access
//! token. A user the directory does not know gets no TEAM claims (the API then answers
//! 401 with a reason) rather than a failed sign-in; a directory failure fails the
//! sign-in, because a token without the claims would be no use either.

use std::collections::HashMap;
use std::sync::Arc;

use aws_lambda_events::cognito::{
    ClaimsAndScopeOverrideDetailsV2, CognitoEventUserPoolsPreTokenGenV2,
};
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;
use team_core::org::{Group, User};
use team_core::ports::Directory;

use crate::auth::{GROUPS_CLAIM, ROLES_CLAIM, USER_ID_CLAIM};
use crate::config::TokenConfig;
use crate::steps::StepError;

/// The display names of the Identity Center groups that make TEAM roles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleGroups {
    /// `TEAM_ADMIN_GROUP`.
    pub admin: String,
    /// `TEAM_AUDITOR_GROUP`.
    pub auditor: String,
}

impl From<&TokenConfig> for RoleGroups {
    fn from(config: &TokenConfig) -> RoleGroups {
        RoleGroups {
            admin: config.admin_group.clone(),
            auditor: config.auditor_group.clone(),
        }
    }
}

/// The TEAM claims of one user, every value a string (see [`crate::auth`]).
pub fn team_claims(user: &User, groups: &[Group], roles: &RoleGroups) -> HashMap<String, Value> {
    let group_ids: Vec<&str> = groups.iter().map(|g| g.id.as_str()).collect();
    let mut role_names = Vec::new();
    if groups.iter().any(|g| g.name == roles.admin) {
        role_names.push("admin");
    }
    if groups.iter().any(|g| g.name == roles.auditor) {
        role_names.push("auditor");
    }
    HashMap::from([
        (USER_ID_CLAIM.to_string(), Value::from(user.id.as_str())),
        (GROUPS_CLAIM.to_string(), Value::from(group_ids.join(" "))),
        (ROLES_CLAIM.to_string(), Value::from(role_names.join(" "))),
    ])
}

/// The Identity Store user names to try for the event's user, most specific first.
pub fn username_candidates(event: &CognitoEventUserPoolsPreTokenGenV2) -> Vec<String> {
    let attributes = &event.request.user_attributes;
    let mut candidates: Vec<String> = ["preferred_username", "email"]
        .iter()
        .filter_map(|a| attributes.get(*a))
        .cloned()
        .collect();
    if let Some(name) = &event.cognito_event_user_pools_header.user_name {
        // Federated users are `<provider>_<name at the provider>`; `identities` says so.
        let federated = attributes.contains_key("identities");
        match name.split_once('_') {
            Some((_, at_provider)) if federated => candidates.push(at_provider.to_string()),
            _ => candidates.push(name.clone()),
        }
    }
    let mut seen = Vec::new();
    candidates.retain(|c| {
        let new = !c.is_empty() && !seen.contains(c);
        seen.push(c.clone());
        new
    });
    candidates
}

/// Writes `claims` into both tokens of the event's response, keeping anything an
/// earlier customization put there.
pub fn add_claims(
    mut event: CognitoEventUserPoolsPreTokenGenV2,
    claims: HashMap<String, Value>,
) -> CognitoEventUserPoolsPreTokenGenV2 {
    let mut details = event
        .response
        .claims_and_scope_override_details
        .take()
        .unwrap_or_default();
    let mut id_token = details.id_token_generation.take().unwrap_or_default();
    id_token.claims_to_add_or_override.extend(claims.clone());
    let mut access_token = details.access_token_generation.take().unwrap_or_default();
    access_token.claims_to_add_or_override.extend(claims);
    details.id_token_generation = Some(id_token);
    details.access_token_generation = Some(access_token);
    event.response.claims_and_scope_override_details =
        Some::<ClaimsAndScopeOverrideDetailsV2>(details);
    event
}

/// Handles one trigger event.
pub async fn handle_token(
    directory: &dyn Directory,
    roles: &RoleGroups,
    event: CognitoEventUserPoolsPreTokenGenV2,
) -> Result<CognitoEventUserPoolsPreTokenGenV2, StepError> {
    for candidate in username_candidates(&event) {
        if let Some(user) = directory.user_by_username(&candidate).await? {
            let groups = directory.groups_of(&user.id).await?;
            let claims = team_claims(&user, &groups, roles);
            tracing::info!(
                user_id = %user.id,
                groups = groups.len(),
                roles = ?claims.get(ROLES_CLAIM),
                "TEAM claims added"
            );
            return Ok(add_claims(event, claims));
        }
    }
    // Only the Cognito user name: attributes may hold personal data.
    tracing::warn!(
        cognito_user = event
            .cognito_event_user_pools_header
            .user_name
            .as_deref()
            .unwrap_or(""),
        "user not in the Identity Center directory: no TEAM claims"
    );
    Ok(event)
}

/// Serves the trigger until the runtime stops.
pub async fn serve_token(
    directory: Arc<dyn Directory>,
    roles: RoleGroups,
) -> Result<(), lambda_runtime::Error> {
    tracing::info!("serving the pre-token-generation trigger");
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<CognitoEventUserPoolsPreTokenGenV2>| {
            let directory = directory.clone();
            let roles = roles.clone();
            async move { handle_token(directory.as_ref(), &roles, event.payload).await }
        },
    ))
    .await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use async_trait::async_trait;
    use serde_json::json;
    use team_core::TeamResult;
    use team_core::ids::{GroupId, UserId};

    use super::*;

    fn user() -> User {
        User {
            id: UserId::parse("906753a1-5051-7066-c4b4-123456789abc").unwrap(),
            username: "alice@example.com".into(),
            display_name: "Alice".into(),
            email: Some("alice@example.com".into()),
        }
    }

    fn group(id: &str, name: &str) -> Group {
        Group {
            id: GroupId::parse(id).unwrap(),
            name: name.into(),
        }
    }

    fn roles() -> RoleGroups {
        RoleGroups {
            admin: "team-admins".into(),
            auditor: "team-auditors".into(),
        }
    }

    fn event(user_name: &str, attributes: Value) -> CognitoEventUserPoolsPreTokenGenV2 {
        serde_json::from_value(json!({
            "version": "2",
            "triggerSource": "TokenGeneration_HostedAuth",
            "region": "eu-west-1",
            "userPoolId": "eu-west-1_abc",
            "userName": user_name,
            "callerContext": { "awsSdkVersion": "x", "clientId": "c" },
            "request": {
                "userAttributes": attributes,
                "groupConfiguration": { "groupsToOverride": [], "iamRolesToOverride": [], "preferredRole": null },
                "scopes": ["openid"]
            },
            "response": { "claimsAndScopeOverrideDetails": null }
        }))
        .unwrap()
    }

    #[test]
    fn claims_carry_the_user_id_group_ids_and_roles() {
        let groups = [
            group("g-dev", "developers"),
            group("g-adm", "team-admins"),
            group("g-aud", "team-auditors"),
        ];
        let claims = team_claims(&user(), &groups, &roles());
        assert_eq!(
            claims[USER_ID_CLAIM],
            json!("906753a1-5051-7066-c4b4-123456789abc")
        );
        assert_eq!(claims[GROUPS_CLAIM], json!("g-dev g-adm g-aud"));
        assert_eq!(claims[ROLES_CLAIM], json!("admin auditor"));

        let claims = team_claims(&user(), &[group("g-dev", "developers")], &roles());
        assert_eq!(claims[ROLES_CLAIM], json!(""));
        assert_eq!(claims[GROUPS_CLAIM], json!("g-dev"));
        // Every claim is a string, as the HTTP API authorizer passes them.
        assert!(claims.values().all(Value::is_string));
    }

    #[test]
    fn candidates_prefer_attributes_and_strip_the_provider_prefix() {
        let federated = event(
            "IdentityCenter_alice@example.com",
            json!({ "email": "alice@example.com", "identities": "[...]" }),
        );
        assert_eq!(username_candidates(&federated), ["alice@example.com"]);

        let local = event("alice_smith", json!({ "preferred_username": "alice" }));
        assert_eq!(username_candidates(&local), ["alice", "alice_smith"]);
    }

    #[test]
    fn claims_go_into_both_tokens() {
        let out = add_claims(
            event("alice", json!({})),
            team_claims(&user(), &[], &roles()),
        );
        let out = serde_json::to_value(out).unwrap();
        let details = &out["response"]["claimsAndScopeOverrideDetails"];
        for token in ["idTokenGeneration", "accessTokenGeneration"] {
            assert_eq!(
                details[token]["claimsToAddOrOverride"][USER_ID_CLAIM],
                "906753a1-5051-7066-c4b4-123456789abc"
            );
        }
    }

    struct OneUser;

    #[async_trait]
    impl Directory for OneUser {
        async fn user(&self, _: &UserId) -> TeamResult<Option<User>> {
            Ok(None)
        }
        async fn user_by_username(&self, username: &str) -> TeamResult<Option<User>> {
            Ok((username == "alice@example.com").then(user))
        }
        async fn groups_of(&self, _: &UserId) -> TeamResult<Vec<Group>> {
            Ok(vec![group("g-aud", "team-auditors")])
        }
        async fn members_of(&self, _: &GroupId) -> TeamResult<Vec<User>> {
            Ok(vec![])
        }
        async fn users(&self) -> TeamResult<Vec<User>> {
            Ok(vec![])
        }
        async fn groups(&self) -> TeamResult<Vec<Group>> {
            Ok(vec![])
        }
    }

    #[tokio::test]
    async fn known_users_get_claims_and_unknown_users_none() {
        let known = event(
            "IdentityCenter_alice@example.com",
            json!({ "email": "alice@example.com", "identities": "[]" }),
        );
        let out = handle_token(&OneUser, &roles(), known).await.unwrap();
        let details = out.response.claims_and_scope_override_details.unwrap();
        let claims = details
            .id_token_generation
            .unwrap()
            .claims_to_add_or_override;
        assert_eq!(claims[ROLES_CLAIM], json!("auditor"));

        let unknown = event("mallory", json!({ "email": "mallory@example.com" }));
        let out = handle_token(&OneUser, &roles(), unknown).await.unwrap();
        assert!(out.response.claims_and_scope_override_details.is_none());
    }
}
