//! Eligibility policies, approver policies, settings, and their evaluation.
//!
//! Evaluation is pure: it takes a snapshot of the organization and the
//! policies and answers who may request what, and who approves it.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::error::{TeamError, TeamResult};
use crate::ids::{AccountId, GroupId, OuId, PermissionSetArn, PolicyId, UserId};
use crate::org::{OrgTree, PermissionSet};

/// Who a policy is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "type", content = "id", rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Principal {
    /// One Identity Center user.
    User(UserId),
    /// Every member of an Identity Center group.
    Group(GroupId),
}

/// What an admin sends to create or replace an eligibility policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EligibilityPolicyInput {
    /// A name for people.
    pub name: String,
    /// Who is eligible.
    pub principal: Principal,
    /// Accounts covered.
    #[serde(default)]
    pub accounts: Vec<AccountId>,
    /// OUs covered: every account below them, nested OUs included.
    #[serde(default)]
    pub ous: Vec<OuId>,
    /// Permission sets that may be requested.
    pub permission_sets: Vec<PermissionSetArn>,
    /// Longest session this policy allows, in minutes.
    pub max_duration_minutes: u32,
    /// Whether requests under this policy need approval.
    #[serde(default = "yes")]
    pub approval_required: bool,
    /// Whether requests under this policy need a ticket number.
    #[serde(default)]
    pub ticket_required: bool,
}

fn yes() -> bool {
    true
}

/// Who may request which permission sets on which accounts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EligibilityPolicy {
    /// Policy id.
    pub id: PolicyId,
    /// The policy.
    #[serde(flatten)]
    pub spec: EligibilityPolicyInput,
    /// When it last changed.
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: OffsetDateTime,
}

/// What an approver policy covers.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", content = "id", rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Scope {
    /// One account.
    Account(AccountId),
    /// Every account below an OU, nested OUs included.
    Ou(OuId),
}

/// What an admin sends to create or replace an approver policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApproverPolicyInput {
    /// A name for people.
    pub name: String,
    /// The account or OU covered.
    pub scope: Scope,
    /// Only these permission sets; empty means all (TEAM cannot narrow: its #81).
    #[serde(default)]
    pub permission_sets: Vec<PermissionSetArn>,
    /// Groups whose members approve.
    #[serde(default)]
    pub approver_groups: Vec<GroupId>,
    /// Users who approve.
    #[serde(default)]
    pub approver_users: Vec<UserId>,
    /// How many approvals a request needs (1 when absent).
    #[serde(default = "one")]
    pub approvals_required: u32,
}

fn one() -> u32 {
    1
}

/// Who approves requests for an account or OU.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApproverPolicy {
    /// Policy id.
    pub id: PolicyId,
    /// The policy.
    #[serde(flatten)]
    pub spec: ApproverPolicyInput,
    /// When it last changed.
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: OffsetDateTime,
}

/// Which notification channels are on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NotificationSettings {
    /// E-mail (SES).
    pub email: bool,
    /// An SNS topic.
    pub sns: bool,
    /// Slack.
    pub slack: bool,
}

/// Global settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Settings {
    /// Longest session anyone may request, in hours (1 to 8000).
    pub max_duration_hours: u32,
    /// How long approvers have to decide, in hours (1 to 8000).
    pub approval_expiry_hours: u32,
    /// Whether approval is required unless an eligibility policy waives it.
    pub approval_workflow: bool,
    /// Whether approve, reject and revoke need a comment.
    pub comment_required: bool,
    /// Whether every request needs a ticket number.
    pub ticket_required: bool,
    /// Notification channels.
    pub notifications: NotificationSettings,
    /// Identity Center group whose members administer TEAM.
    pub admin_group: String,
    /// Identity Center group whose members audit.
    pub auditor_group: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            max_duration_hours: 9,
            approval_expiry_hours: 3,
            approval_workflow: true,
            comment_required: false,
            ticket_required: false,
            notifications: NotificationSettings {
                email: true,
                sns: false,
                slack: false,
            },
            admin_group: "team-admins".into(),
            auditor_group: "team-auditors".into(),
        }
    }
}

fn check_name(field: &str, name: &str) -> TeamResult<()> {
    let len = name.trim().chars().count();
    if len == 0 || len > 200 {
        return Err(TeamError::validation(field, "must be 1 to 200 characters"));
    }
    Ok(())
}

impl Settings {
    /// Checks ranges and names.
    pub fn validate(&self) -> TeamResult<()> {
        if !(1..=8000).contains(&self.max_duration_hours) {
            return Err(TeamError::validation(
                "maxDurationHours",
                "must be between 1 and 8000",
            ));
        }
        if !(1..=8000).contains(&self.approval_expiry_hours) {
            return Err(TeamError::validation(
                "approvalExpiryHours",
                "must be between 1 and 8000",
            ));
        }
        check_name("adminGroup", &self.admin_group)?;
        check_name("auditorGroup", &self.auditor_group)
    }

    /// The global maximum duration in minutes.
    pub fn max_duration_minutes(&self) -> u32 {
        self.max_duration_hours.saturating_mul(60)
    }
}

impl EligibilityPolicyInput {
    /// Checks the policy against itself and the organization.
    pub fn validate(&self, tree: &OrgTree, catalogue: &[PermissionSet]) -> TeamResult<()> {
        check_name("name", &self.name)?;
        if self.accounts.is_empty() && self.ous.is_empty() {
            return Err(TeamError::validation(
                "accounts",
                "name at least one account or OU",
            ));
        }
        if self.permission_sets.is_empty() {
            return Err(TeamError::validation(
                "permissionSets",
                "name at least one permission set",
            ));
        }
        if self.max_duration_minutes == 0 || self.max_duration_minutes > 8000 * 60 {
            return Err(TeamError::validation(
                "maxDurationMinutes",
                "must be between 1 and 480000 (8000 hours)",
            ));
        }
        check_known(
            tree,
            catalogue,
            &self.accounts,
            &self.ous,
            &self.permission_sets,
        )?;
        // An OU may hold such an account (the management account sits in the root); it
        // is skipped there. Naming one directly can only be a mistake.
        if let Some((account, reason)) = self.accounts.iter().find_map(|id| {
            let account = tree.account(id)?;
            Some((account, account.unassignable.as_deref()?))
        }) {
            return Err(TeamError::validation(
                "accounts",
                format!(
                    "TEAM cannot grant access to account {} ({}): {reason}",
                    account.id, account.name
                ),
            ));
        }
        Ok(())
    }
}

impl ApproverPolicyInput {
    /// Checks the policy against itself and the organization.
    pub fn validate(&self, tree: &OrgTree, catalogue: &[PermissionSet]) -> TeamResult<()> {
        check_name("name", &self.name)?;
        if self.approver_groups.is_empty() && self.approver_users.is_empty() {
            return Err(TeamError::validation(
                "approverGroups",
                "name at least one approver group or user",
            ));
        }
        if !(1..=10).contains(&self.approvals_required) {
            return Err(TeamError::validation(
                "approvalsRequired",
                "must be between 1 and 10",
            ));
        }
        let (accounts, ous) = match &self.scope {
            Scope::Account(a) => (std::slice::from_ref(a), &[][..]),
            Scope::Ou(o) => (&[][..], std::slice::from_ref(o)),
        };
        check_known(tree, catalogue, accounts, ous, &self.permission_sets)
    }

    /// Whether this policy covers a request for `ps` on an account with these ancestors.
    fn covers(&self, account: &AccountId, ancestors: &[OuId], ps: &PermissionSetArn) -> bool {
        let scope_ok = match &self.scope {
            Scope::Account(a) => a == account,
            Scope::Ou(o) => ancestors.contains(o),
        };
        scope_ok && (self.permission_sets.is_empty() || self.permission_sets.contains(ps))
    }
}

fn check_known(
    tree: &OrgTree,
    catalogue: &[PermissionSet],
    accounts: &[AccountId],
    ous: &[OuId],
    permission_sets: &[PermissionSetArn],
) -> TeamResult<()> {
    if let Some(a) = accounts.iter().find(|a| tree.account(a).is_none()) {
        return Err(TeamError::validation(
            "accounts",
            format!("account {a} is not in the organization"),
        ));
    }
    if let Some(o) = ous.iter().find(|o| !tree.has_ou(o)) {
        return Err(TeamError::validation(
            "ous",
            format!("OU {o} is not in the organization"),
        ));
    }
    if let Some(p) = permission_sets
        .iter()
        .find(|p| !catalogue.iter().any(|c| &c.arn == *p))
    {
        return Err(TeamError::validation(
            "permissionSets",
            format!("permission set {p} does not exist in Identity Center"),
        ));
    }
    Ok(())
}

/// What a user may request for one permission set on one account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Entitlement {
    /// Permission set ARN.
    pub permission_set_arn: PermissionSetArn,
    /// Permission set name.
    pub permission_set_name: String,
    /// Longest session allowed, in minutes: the global maximum capped by the best covering policy.
    pub max_duration_minutes: u32,
    /// Whether approval will be needed.
    pub approval_required: bool,
    /// Whether a ticket number must be given.
    pub ticket_required: bool,
}

/// The permission sets a user may request on one account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EligibleAccount {
    /// Account id.
    pub account_id: AccountId,
    /// Account name.
    pub account_name: String,
    /// What may be requested there.
    pub permission_sets: Vec<Entitlement>,
}

/// Everything a user may request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Eligibility {
    /// The global maximum duration in minutes.
    pub max_duration_minutes: u32,
    /// Accounts, ordered by name.
    pub accounts: Vec<EligibleAccount>,
}

impl Eligibility {
    /// The entitlement for one account and permission set, if any.
    pub fn find(&self, account: &AccountId, ps: &PermissionSetArn) -> Option<&Entitlement> {
        self.accounts
            .iter()
            .find(|a| &a.account_id == account)?
            .permission_sets
            .iter()
            .find(|e| &e.permission_set_arn == ps)
    }
}

/// The principals (user and groups) a user acts as.
pub fn principals_of(user: &UserId, groups: &[GroupId]) -> Vec<Principal> {
    let mut out = vec![Principal::User(user.clone())];
    out.extend(groups.iter().cloned().map(Principal::Group));
    out
}

/// Merges what several policies grant for the same account and permission set:
/// the most generous policy wins (longest duration; approval or ticket waived if any policy waives it).
#[derive(Clone, Copy)]
struct Grant {
    max_minutes: u32,
    approval_required: bool,
    ticket_required: bool,
}

/// Evaluates what a principal set may request.
///
/// Several policies per principal are allowed (TEAM allows one: its #39); where
/// they overlap, the most generous wins. Settings cap the duration and can
/// require approval and tickets for everyone.
pub fn evaluate_eligibility(
    tree: &OrgTree,
    catalogue: &[PermissionSet],
    policies: &[EligibilityPolicy],
    principals: &[Principal],
    settings: &Settings,
) -> Eligibility {
    let wanted: HashSet<&Principal> = principals.iter().collect();
    let names: HashMap<&PermissionSetArn, &str> = catalogue
        .iter()
        .map(|p| (&p.arn, p.name.as_str()))
        .collect();
    let mut grants: BTreeMap<&AccountId, BTreeMap<&PermissionSetArn, Grant>> = BTreeMap::new();
    for policy in policies
        .iter()
        .filter(|p| wanted.contains(&p.spec.principal))
    {
        let spec = &policy.spec;
        let grant = Grant {
            max_minutes: spec.max_duration_minutes,
            approval_required: spec.approval_required,
            ticket_required: spec.ticket_required,
        };
        let from_ous = spec
            .ous
            .iter()
            .flat_map(|ou| tree.accounts_under(ou))
            .filter(|a| a.unassignable.is_none())
            .map(|a| &a.id);
        let direct = spec
            .accounts
            .iter()
            .filter(|a| tree.account(a).is_some_and(|a| a.unassignable.is_none()));
        let accounts: BTreeSet<&AccountId> = direct.chain(from_ous).collect();
        for account in accounts {
            let per_account = grants.entry(account).or_default();
            for ps in spec
                .permission_sets
                .iter()
                .filter(|ps| names.contains_key(ps))
            {
                per_account
                    .entry(ps)
                    .and_modify(|g| {
                        g.max_minutes = g.max_minutes.max(grant.max_minutes);
                        g.approval_required &= grant.approval_required;
                        g.ticket_required &= grant.ticket_required;
                    })
                    .or_insert(grant);
            }
        }
    }
    let global_max = settings.max_duration_minutes();
    let mut accounts: Vec<EligibleAccount> = grants
        .into_iter()
        .filter_map(|(account_id, per_ps)| {
            let account = tree.account(account_id)?;
            let mut permission_sets: Vec<Entitlement> = per_ps
                .into_iter()
                .map(|(arn, g)| Entitlement {
                    permission_set_arn: arn.clone(),
                    permission_set_name: names.get(arn).copied().unwrap_or_default().to_string(),
                    max_duration_minutes: g.max_minutes.min(global_max),
                    approval_required: settings.approval_workflow && g.approval_required,
                    ticket_required: settings.ticket_required || g.ticket_required,
                })
                .collect();
            permission_sets.sort_by(|a, b| a.permission_set_name.cmp(&b.permission_set_name));
            Some(EligibleAccount {
                account_id: account_id.clone(),
                account_name: account.name.clone(),
                permission_sets,
            })
        })
        .collect();
    accounts.sort_by(|a, b| {
        a.account_name
            .cmp(&b.account_name)
            .then(a.account_id.cmp(&b.account_id))
    });
    Eligibility {
        max_duration_minutes: global_max,
        accounts,
    }
}

/// The approvers for a request, before group expansion.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApproverSet {
    /// Individual approvers.
    pub users: BTreeSet<UserId>,
    /// Approver groups, to be expanded to their members.
    pub groups: BTreeSet<GroupId>,
    /// Approvals needed: the strictest covering policy's number.
    pub approvals_required: u32,
    /// Policies that matched, for the audit trail.
    pub policies: Vec<PolicyId>,
}

/// Union of every approver policy whose scope covers the account (directly or
/// through any OU above it) and the permission set.
pub fn approvers_for(
    tree: &OrgTree,
    policies: &[ApproverPolicy],
    account: &AccountId,
    ps: &PermissionSetArn,
) -> ApproverSet {
    let ancestors = tree.ancestors(account);
    let mut set = ApproverSet {
        approvals_required: 1,
        ..ApproverSet::default()
    };
    for policy in policies
        .iter()
        .filter(|p| p.spec.covers(account, &ancestors, ps))
    {
        set.users.extend(policy.spec.approver_users.iter().cloned());
        set.groups
            .extend(policy.spec.approver_groups.iter().cloned());
        set.approvals_required = set.approvals_required.max(policy.spec.approvals_required);
        set.policies.push(policy.id.clone());
    }
    set
}

impl ApproverSet {
    /// Whether a user with these groups is one of the approvers (by name or by group).
    pub fn includes(&self, user: &UserId, groups: &[GroupId]) -> bool {
        self.users.contains(user) || groups.iter().any(|g| self.groups.contains(g))
    }
}

/// Every (account, permission set) pair some eligibility policy covers, on accounts
/// TEAM can grant: the assignments TEAM-rs manages, which the reconciler compares with
/// Identity Center. Whoever the policies name, the pairs are the same.
pub fn managed_pairs(
    tree: &OrgTree,
    policies: &[EligibilityPolicy],
) -> BTreeSet<(AccountId, PermissionSetArn)> {
    let mut pairs = BTreeSet::new();
    for spec in policies.iter().map(|p| &p.spec) {
        let from_ous = spec.ous.iter().flat_map(|ou| tree.accounts_under(ou));
        let direct = spec.accounts.iter().filter_map(|a| tree.account(a));
        for account in direct.chain(from_ous).filter(|a| a.unassignable.is_none()) {
            for ps in &spec.permission_sets {
                pairs.insert((account.id.clone(), ps.clone()));
            }
        }
    }
    pairs
}

/// Whether a user (with these groups) is named by any approver policy.
pub fn is_approver(policies: &[ApproverPolicy], user: &UserId, groups: &[GroupId]) -> bool {
    policies.iter().any(|p| {
        p.spec.approver_users.contains(user)
            || p.spec.approver_groups.iter().any(|g| groups.contains(g))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::org::{Account, OrgUnit};

    const PS_ADMIN: &str =
        "arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-aaaaaaaaaaaaaaaa";
    const PS_READ: &str = "arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-bbbbbbbbbbbbbbbb";

    fn tree() -> OrgTree {
        let ou = |id: &str, p: Option<&str>| OrgUnit {
            id: OuId::parse(id).unwrap(),
            name: id.into(),
            parent_id: p.map(|p| OuId::parse(p).unwrap()),
        };
        let acc = |id: &str, p: &str| Account {
            id: AccountId::parse(id).unwrap(),
            name: format!("n{id}"),
            parent_id: OuId::parse(p).unwrap(),
            unassignable: None,
        };
        OrgTree::new(
            vec![
                acc("111111111111", "ou-prod-aaaaaaaa"),
                acc("222222222222", "ou-prod-bbbbbbbb"),
            ],
            vec![
                ou("r-root", None),
                ou("ou-prod-aaaaaaaa", Some("r-root")),
                ou("ou-prod-bbbbbbbb", Some("ou-prod-aaaaaaaa")),
            ],
        )
        .unwrap()
    }

    fn catalogue() -> Vec<PermissionSet> {
        [PS_ADMIN, PS_READ]
            .iter()
            .map(|arn| PermissionSet {
                arn: PermissionSetArn::parse(*arn).unwrap(),
                name: arn[arn.len() - 4..].into(),
                description: None,
            })
            .collect()
    }

    fn elig(
        principal: Principal,
        ous: &[&str],
        accounts: &[&str],
        max: u32,
        approval: bool,
    ) -> EligibilityPolicy {
        EligibilityPolicy {
            id: PolicyId::parse(format!("p{max}")).unwrap(),
            spec: EligibilityPolicyInput {
                name: "p".into(),
                principal,
                accounts: accounts
                    .iter()
                    .map(|a| AccountId::parse(*a).unwrap())
                    .collect(),
                ous: ous.iter().map(|o| OuId::parse(*o).unwrap()).collect(),
                permission_sets: vec![PermissionSetArn::parse(PS_ADMIN).unwrap()],
                max_duration_minutes: max,
                approval_required: approval,
                ticket_required: false,
            },
            updated_at: OffsetDateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn managed_pairs_are_every_account_and_permission_set_any_policy_covers() {
        let nested = elig(
            Principal::User(UserId::parse("alice").unwrap()),
            &["ou-prod-bbbbbbbb"],
            &[],
            60,
            true,
        );
        let direct = elig(
            Principal::User(UserId::parse("bob").unwrap()),
            &[],
            &["111111111111", "999999999999"],
            30,
            false,
        );
        let pairs = managed_pairs(&tree(), &[nested, direct]);
        let ps = PermissionSetArn::parse(PS_ADMIN).unwrap();
        let expected: BTreeSet<_> = ["111111111111", "222222222222"]
            .iter()
            .map(|a| (AccountId::parse(*a).unwrap(), ps.clone()))
            .collect();
        assert_eq!(pairs, expected, "an unknown account adds nothing");
    }

    #[test]
    fn group_policy_on_an_ou_covers_nested_accounts() {
        let g = GroupId::parse("devs").unwrap();
        let policies = vec![elig(
            Principal::Group(g.clone()),
            &["ou-prod-aaaaaaaa"],
            &[],
            60,
            true,
        )];
        let principals = principals_of(&UserId::parse("alice").unwrap(), &[g]);
        let e = evaluate_eligibility(
            &tree(),
            &catalogue(),
            &policies,
            &principals,
            &Settings::default(),
        );
        assert_eq!(e.accounts.len(), 2);
        assert!(
            e.accounts
                .iter()
                .all(|a| a.permission_sets[0].approval_required)
        );
    }

    /// [`tree`] with 222222222222 marked as an account TEAM cannot grant.
    fn tree_with_unassignable() -> OrgTree {
        let mut accounts: Vec<Account> = tree().accounts().cloned().collect();
        for account in &mut accounts {
            if account.id.as_str() == "222222222222" {
                account.unassignable = Some("the organization's management account".into());
            }
        }
        let ous: Vec<OrgUnit> = tree().ous().cloned().collect();
        OrgTree::new(accounts, ous).unwrap()
    }

    #[test]
    fn an_unassignable_account_is_never_eligible_even_under_a_covering_ou() {
        let alice = UserId::parse("alice").unwrap();
        let policies = vec![
            elig(
                Principal::User(alice.clone()),
                &["ou-prod-aaaaaaaa"],
                &[],
                60,
                true,
            ),
            elig(
                Principal::User(alice.clone()),
                &[],
                &["222222222222"],
                60,
                true,
            ),
        ];
        let e = evaluate_eligibility(
            &tree_with_unassignable(),
            &catalogue(),
            &policies,
            &principals_of(&alice, &[]),
            &Settings::default(),
        );
        let ids: Vec<&str> = e.accounts.iter().map(|a| a.account_id.as_str()).collect();
        assert_eq!(ids, ["111111111111"]);
    }

    #[test]
    fn an_eligibility_policy_naming_an_unassignable_account_is_refused_with_the_reason() {
        let alice = UserId::parse("alice").unwrap();
        let direct = elig(
            Principal::User(alice.clone()),
            &[],
            &["222222222222"],
            60,
            true,
        );
        let err = direct
            .spec
            .validate(&tree_with_unassignable(), &catalogue())
            .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("222222222222") && text.contains("management account"),
            "{text}"
        );
        // The OU holding it stays a valid scope.
        let by_ou = elig(Principal::User(alice), &["ou-prod-aaaaaaaa"], &[], 60, true);
        assert!(
            by_ou
                .spec
                .validate(&tree_with_unassignable(), &catalogue())
                .is_ok()
        );
    }

    #[test]
    fn most_generous_of_several_policies_wins_but_global_max_caps() {
        let alice = UserId::parse("alice").unwrap();
        let policies = vec![
            elig(
                Principal::User(alice.clone()),
                &[],
                &["111111111111"],
                60,
                true,
            ),
            elig(
                Principal::User(alice.clone()),
                &[],
                &["111111111111"],
                100_000,
                false,
            ),
        ];
        let e = evaluate_eligibility(
            &tree(),
            &catalogue(),
            &policies,
            &principals_of(&alice, &[]),
            &Settings::default(),
        );
        let ent = e
            .find(
                &AccountId::parse("111111111111").unwrap(),
                &PermissionSetArn::parse(PS_ADMIN).unwrap(),
            )
            .unwrap();
        assert_eq!(ent.max_duration_minutes, 9 * 60);
        assert!(!ent.approval_required);
    }

    #[test]
    fn other_principals_policies_do_not_apply() {
        let policies = vec![elig(
            Principal::User(UserId::parse("bob").unwrap()),
            &["r-root"],
            &[],
            60,
            true,
        )];
        let e = evaluate_eligibility(
            &tree(),
            &catalogue(),
            &policies,
            &principals_of(&UserId::parse("alice").unwrap(), &[]),
            &Settings::default(),
        );
        assert!(e.accounts.is_empty());
    }

    fn approver(scope: Scope, ps: &[&str], users: &[&str], required: u32) -> ApproverPolicy {
        ApproverPolicy {
            id: PolicyId::parse("a1").unwrap(),
            spec: ApproverPolicyInput {
                name: "a".into(),
                scope,
                permission_sets: ps
                    .iter()
                    .map(|p| PermissionSetArn::parse(*p).unwrap())
                    .collect(),
                approver_groups: vec![],
                approver_users: users.iter().map(|u| UserId::parse(*u).unwrap()).collect(),
                approvals_required: required,
            },
            updated_at: OffsetDateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn approver_policies_on_ancestor_ous_and_narrowed_to_permission_sets() {
        let policies = vec![
            approver(Scope::Ou(OuId::parse("r-root").unwrap()), &[], &["bob"], 1),
            approver(
                Scope::Account(AccountId::parse("222222222222").unwrap()),
                &[PS_READ],
                &["erin"],
                2,
            ),
        ];
        let account = AccountId::parse("222222222222").unwrap();
        let admin = approvers_for(
            &tree(),
            &policies,
            &account,
            &PermissionSetArn::parse(PS_ADMIN).unwrap(),
        );
        assert_eq!(
            admin.users.iter().map(|u| u.as_str()).collect::<Vec<_>>(),
            vec!["bob"]
        );
        assert_eq!(admin.approvals_required, 1);
        let read = approvers_for(
            &tree(),
            &policies,
            &account,
            &PermissionSetArn::parse(PS_READ).unwrap(),
        );
        assert_eq!(read.users.len(), 2);
        assert_eq!(read.approvals_required, 2);
    }

    #[test]
    fn settings_ranges() {
        let mut s = Settings::default();
        assert!(s.validate().is_ok());
        s.max_duration_hours = 8001;
        assert_eq!(s.validate().unwrap_err().field(), Some("maxDurationHours"));
    }
}

#[cfg(test)]
mod serde_tests {
    use super::*;

    #[test]
    fn stored_policy_round_trips_through_json() {
        let json = serde_json::json!({
            "id": "p1", "name": "n", "principal": {"type": "group", "id": "g1"},
            "ous": ["r-root"], "permissionSets": [], "maxDurationMinutes": 60,
            "updatedAt": "2026-01-01T00:00:00Z"
        });
        let policy: EligibilityPolicy = serde_json::from_value(json).unwrap();
        assert!(
            policy.spec.approval_required,
            "approval is required unless waived"
        );
        let back: EligibilityPolicy =
            serde_json::from_value(serde_json::to_value(&policy).unwrap()).unwrap();
        assert_eq!(back, policy);
    }

    #[test]
    fn unknown_policy_fields_are_refused() {
        let json = serde_json::json!({
            "name": "n", "principal": {"type": "group", "id": "g1"},
            "permissionSets": [], "maxDurationMinutes": 60, "maxDurationHours": 2
        });
        let err = serde_json::from_value::<EligibilityPolicyInput>(json).unwrap_err();
        assert!(err.to_string().contains("maxDurationHours"), "{err}");
    }
}
