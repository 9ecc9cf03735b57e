//! The seed file: a simulated organization, Identity Center directory and
//! permission set catalogue, plus the settings and policies a fresh twin starts with.
//!
//! ```json
//! {"ous": [{"id", "name", "parentId"?}], "accounts": [{"id", "name", "parentId", "unassignable"?}],
//!  "permissionSets": [{"arn", "name", "description"?}],
//!  "users": [{"id", "username", "displayName", "email"?}],
//!  "groups": [{"id", "name", "members": ["<username>", …]}],
//!  "settings": {…}?, "eligibilityPolicies": [{"id", …}], "approverPolicies": [{"id", …}]}
//! ```

use std::collections::HashSet;
use std::fmt::Display;
use std::hash::Hash;

use serde::Deserialize;
use serde_json::{Map, Value};
use team_core::ids::{GroupId, PolicyId, UserId};
use team_core::org::{Account, OrgTree, OrgUnit, PermissionSet, User};
use team_core::policy::{
    ApproverPolicy, ApproverPolicyInput, EligibilityPolicy, EligibilityPolicyInput, Principal,
    Settings,
};
use team_core::ports::PolicyStore;
use team_core::{TeamError, TeamResult};
use time::OffsetDateTime;

/// The demo organization (`seed/demo.json`), the default seed of `teamd`.
pub const DEMO_SEED: &str = include_str!("../seed/demo.json");

/// A group of the simulated directory and its members (by user name).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedGroup {
    /// Identity Store group id.
    pub id: GroupId,
    /// Display name (what settings' `adminGroup`/`auditorGroup` name).
    pub name: String,
    /// User names of the members.
    #[serde(default)]
    pub members: Vec<String>,
}

/// A policy of the seed: its id and what an admin would send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedPolicy<T> {
    /// Policy id.
    pub id: PolicyId,
    /// The policy.
    pub spec: T,
}

/// A parsed and checked seed file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seed {
    /// The root and the OUs.
    pub ous: Vec<OrgUnit>,
    /// The accounts.
    pub accounts: Vec<Account>,
    /// The permission set catalogue.
    pub permission_sets: Vec<PermissionSet>,
    /// The directory's users.
    pub users: Vec<User>,
    /// The directory's groups.
    pub groups: Vec<SeedGroup>,
    /// Settings of a fresh twin (defaults when absent).
    pub settings: Option<Settings>,
    /// Eligibility policies of a fresh twin.
    pub eligibility_policies: Vec<SeedPolicy<EligibilityPolicyInput>>,
    /// Approver policies of a fresh twin.
    pub approver_policies: Vec<SeedPolicy<ApproverPolicyInput>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawSeed {
    ous: Vec<OrgUnit>,
    accounts: Vec<Account>,
    #[serde(default)]
    permission_sets: Vec<PermissionSet>,
    #[serde(default)]
    users: Vec<User>,
    #[serde(default)]
    groups: Vec<SeedGroup>,
    #[serde(default)]
    settings: Option<Settings>,
    #[serde(default)]
    eligibility_policies: Vec<Map<String, Value>>,
    #[serde(default)]
    approver_policies: Vec<Map<String, Value>>,
}

/// Splits `{"id", ...spec}` and parses both, so the spec's own
/// `deny_unknown_fields` still catches typos.
fn seed_policy<T: serde::de::DeserializeOwned>(
    list: &str,
    index: usize,
    mut object: Map<String, Value>,
) -> TeamResult<SeedPolicy<T>> {
    let at = format!("{list}[{index}]");
    let id = match object.remove("id") {
        Some(Value::String(id)) => PolicyId::parse(id)
            .map_err(|e| TeamError::validation(format!("{at}.id"), e.to_string()))?,
        _ => {
            return Err(TeamError::validation(
                format!("{at}.id"),
                "is required (a string)",
            ));
        }
    };
    let spec = serde_json::from_value(Value::Object(object))
        .map_err(|e| TeamError::validation(at, e.to_string()))?;
    Ok(SeedPolicy { id, spec })
}

/// The first value that appears twice.
fn duplicate<'a, K: Eq + Hash + 'a>(keys: impl IntoIterator<Item = &'a K>) -> Option<&'a K> {
    let mut seen = HashSet::new();
    keys.into_iter().find(|k| !seen.insert(*k))
}

fn unique<'a, K: Eq + Hash + Display + 'a>(
    field: &str,
    keys: impl IntoIterator<Item = &'a K>,
) -> TeamResult<()> {
    match duplicate(keys) {
        Some(k) => Err(TeamError::validation(field, format!("{k} appears twice"))),
        None => Ok(()),
    }
}

/// Prefixes the field of a validation error with where it is in the seed.
fn within(at: &str, err: TeamError) -> TeamError {
    match err {
        TeamError::Validation { field, message } => {
            TeamError::validation(format!("{at}.{field}"), message)
        }
        other => TeamError::validation(at, other.to_string()),
    }
}

impl Seed {
    /// Parses and checks a seed file: JSON shape, unique ids, a well-formed OU
    /// tree, known group members, and valid settings and policies.
    pub fn parse(text: &str) -> TeamResult<Seed> {
        let raw: RawSeed =
            serde_json::from_str(text).map_err(|e| TeamError::validation("seed", e.to_string()))?;
        let eligibility_policies = raw
            .eligibility_policies
            .into_iter()
            .enumerate()
            .map(|(i, o)| seed_policy("eligibilityPolicies", i, o))
            .collect::<TeamResult<Vec<_>>>()?;
        let approver_policies = raw
            .approver_policies
            .into_iter()
            .enumerate()
            .map(|(i, o)| seed_policy("approverPolicies", i, o))
            .collect::<TeamResult<Vec<_>>>()?;
        let seed = Seed {
            ous: raw.ous,
            accounts: raw.accounts,
            permission_sets: raw.permission_sets,
            users: raw.users,
            groups: raw.groups,
            settings: raw.settings,
            eligibility_policies,
            approver_policies,
        };
        seed.validate()?;
        Ok(seed)
    }

    /// The demo organization ([`DEMO_SEED`]).
    pub fn demo() -> TeamResult<Seed> {
        Seed::parse(DEMO_SEED)
    }

    /// The organization tree of the seed.
    pub fn tree(&self) -> TeamResult<OrgTree> {
        OrgTree::new(self.accounts.clone(), self.ous.clone())
            .map_err(|e| TeamError::validation("ous", e.to_string()))
    }

    /// The id of the user with this user name.
    pub fn user_id(&self, username: &str) -> Option<&UserId> {
        self.users
            .iter()
            .find(|u| u.username == username)
            .map(|u| &u.id)
    }

    /// Checks what [`Seed::parse`] checks beyond the JSON shape.
    pub fn validate(&self) -> TeamResult<()> {
        unique("ous", self.ous.iter().map(|o| &o.id))?;
        unique("accounts", self.accounts.iter().map(|a| &a.id))?;
        unique(
            "permissionSets",
            self.permission_sets.iter().map(|p| &p.arn),
        )?;
        unique("users", self.users.iter().map(|u| &u.id))?;
        unique("users", self.users.iter().map(|u| &u.username))?;
        unique("groups", self.groups.iter().map(|g| &g.id))?;
        unique("groups", self.groups.iter().map(|g| &g.name))?;
        unique(
            "eligibilityPolicies",
            self.eligibility_policies.iter().map(|p| &p.id),
        )?;
        unique(
            "approverPolicies",
            self.approver_policies.iter().map(|p| &p.id),
        )?;
        let tree = self.tree()?;
        for (i, group) in self.groups.iter().enumerate() {
            if let Some(m) = group
                .members
                .iter()
                .find(|m| self.user_id(m.as_str()).is_none())
            {
                return Err(TeamError::validation(
                    format!("groups[{i}].members"),
                    format!("{m} is not a user name of the seed"),
                ));
            }
        }
        if let Some(settings) = &self.settings {
            settings.validate().map_err(|e| within("settings", e))?;
        }
        let user_known = |id: &UserId| self.users.iter().any(|u| &u.id == id);
        let group_known = |id: &GroupId| self.groups.iter().any(|g| &g.id == id);
        for (i, policy) in self.eligibility_policies.iter().enumerate() {
            let at = format!("eligibilityPolicies[{i}]");
            policy
                .spec
                .validate(&tree, &self.permission_sets)
                .map_err(|e| within(&at, e))?;
            let known = match &policy.spec.principal {
                Principal::User(u) => user_known(u),
                Principal::Group(g) => group_known(g),
            };
            if !known {
                return Err(TeamError::validation(
                    format!("{at}.principal"),
                    "names a user or group that is not in the seed",
                ));
            }
        }
        for (i, policy) in self.approver_policies.iter().enumerate() {
            let at = format!("approverPolicies[{i}]");
            policy
                .spec
                .validate(&tree, &self.permission_sets)
                .map_err(|e| within(&at, e))?;
            if let Some(u) = policy.spec.approver_users.iter().find(|u| !user_known(u)) {
                return Err(TeamError::validation(
                    format!("{at}.approverUsers"),
                    format!("{u} is not a user of the seed"),
                ));
            }
            if let Some(g) = policy.spec.approver_groups.iter().find(|g| !group_known(g)) {
                return Err(TeamError::validation(
                    format!("{at}.approverGroups"),
                    format!("{g} is not a group of the seed"),
                ));
            }
        }
        Ok(())
    }

    /// Writes the seed's settings and policies, stamped with the current time,
    /// if the store is fresh (see [`Seed::apply_policies_at`]).
    pub async fn apply_policies(&self, store: &dyn PolicyStore) -> TeamResult<bool> {
        self.apply_policies_at(store, OffsetDateTime::now_utc())
            .await
    }

    /// Writes the seed's settings and policies, stamped `now`, only if the store
    /// is fresh: no eligibility policy, no approver policy and default settings.
    /// A store an admin already changed is left alone, so a restart keeps their
    /// edits. Answers whether it wrote anything.
    pub async fn apply_policies_at(
        &self,
        store: &dyn PolicyStore,
        now: OffsetDateTime,
    ) -> TeamResult<bool> {
        let fresh = store.eligibility_policies().await?.is_empty()
            && store.approver_policies().await?.is_empty()
            && store.settings().await? == Settings::default();
        if !fresh {
            tracing::info!("policy store already holds data; seed policies not applied");
            return Ok(false);
        }
        if let Some(settings) = &self.settings {
            store.put_settings(settings).await?;
        }
        for p in &self.eligibility_policies {
            store
                .put_eligibility_policy(&EligibilityPolicy {
                    id: p.id.clone(),
                    spec: p.spec.clone(),
                    updated_at: now,
                })
                .await?;
        }
        for p in &self.approver_policies {
            store
                .put_approver_policy(&ApproverPolicy {
                    id: p.id.clone(),
                    spec: p.spec.clone(),
                    updated_at: now,
                })
                .await?;
        }
        tracing::info!(
            eligibility_policies = self.eligibility_policies.len(),
            approver_policies = self.approver_policies.len(),
            settings = self.settings.is_some(),
            "seed policies applied"
        );
        Ok(true)
    }
}
