//! [`Organization`] over AWS Organizations (the account tree) and SSO Admin (the
//! permission set catalogue), cached because every API call evaluates policies.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use aws_sdk_organizations::types::{OrganizationalUnit, Root};
use team_core::ids::{AccountId, OuId, PermissionSetArn};
use team_core::org::{Account, OrgTree, OrgUnit, PermissionSet};
use team_core::ports::Organization;
use team_core::{TeamError, TeamResult};
use tokio::sync::Mutex;

use crate::retry::{Backoff, Failure, collect_pages, retry};

/// How long the tree and the permission sets are reused unless configured otherwise.
pub const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(300);

struct Cached<T> {
    value: T,
    loaded: Instant,
}

/// Why a delegated administrator cannot grant in the management account.
const MANAGEMENT_ACCOUNT: &str = "the organization's management account: Identity Center's delegated administrator, where TEAM runs, cannot assign access there";
/// Why the TEAM account itself is off limits unless the stack allows it.
const TEAM_ACCOUNT: &str = "the account TEAM runs in: Identity Center would provision access there with TEAM's own credentials, which the stack grants only when deployed with AllowAssignmentsInTeamAccount=true";

/// The account TEAM runs in, and whether it may grant access there (the stack's
/// `AllowAssignmentsInTeamAccount`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamAccount {
    /// The account id.
    pub id: AccountId,
    /// Whether assignments in it are allowed.
    pub assignable: bool,
}

/// Why TEAM can never grant access to `account`, if it cannot. The TEAM account's own
/// rule comes first: when TEAM runs in the management account (not recommended), the
/// stack's choice decides.
fn unassignable_reason(
    account: &AccountId,
    management: Option<&AccountId>,
    team: Option<&TeamAccount>,
) -> Option<String> {
    match team {
        Some(team) if &team.id == account => (!team.assignable).then(|| TEAM_ACCOUNT.to_owned()),
        _ => (management == Some(account)).then(|| MANAGEMENT_ACCOUNT.to_owned()),
    }
}

/// Reads the organization recursively (roots, OUs below each parent, accounts of
/// each parent, every page) and Identity Center's permission sets; both are kept
/// for the cache TTL, so a warm Lambda asks AWS at most once per TTL.
pub struct AwsOrganization {
    organizations: aws_sdk_organizations::Client,
    sso_admin: aws_sdk_ssoadmin::Client,
    instance_arn: String,
    ttl: Duration,
    backoff: Backoff,
    team_account: Option<TeamAccount>,
    // A tokio mutex, held across the reload, so concurrent callers wait for one
    // reload instead of all hitting Organizations' low rate limits at once.
    tree: Mutex<Option<Cached<Arc<OrgTree>>>>,
    permission_sets: Mutex<Option<Cached<Vec<PermissionSet>>>>,
}

impl std::fmt::Debug for AwsOrganization {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsOrganization")
            .field("instance_arn", &self.instance_arn)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl AwsOrganization {
    /// The organization seen through `organizations` (from the management or a
    /// delegated administrator account) and the permission sets of the Identity
    /// Center instance `instance_arn`, cached for `cache_ttl`
    /// ([`DEFAULT_CACHE_TTL`] is a good value; zero disables the cache).
    pub fn new(
        organizations: aws_sdk_organizations::Client,
        sso_admin: aws_sdk_ssoadmin::Client,
        instance_arn: impl Into<String>,
        cache_ttl: Duration,
    ) -> AwsOrganization {
        AwsOrganization {
            organizations,
            sso_admin,
            instance_arn: instance_arn.into(),
            ttl: cache_ttl,
            backoff: Backoff::default(),
            team_account: None,
            tree: Mutex::new(None),
            permission_sets: Mutex::new(None),
        }
    }

    /// Replaces the retry policy.
    pub fn with_backoff(mut self, backoff: Backoff) -> AwsOrganization {
        self.backoff = backoff;
        self
    }

    /// Names the account TEAM runs in, which the tree then marks unassignable unless
    /// `account.assignable` (the management account is always marked).
    pub fn with_team_account(mut self, account: TeamAccount) -> AwsOrganization {
        self.team_account = Some(account);
        self
    }

    /// The management account's id (`DescribeOrganization`).
    async fn management_account(&self) -> TeamResult<Option<AccountId>> {
        const OP: &str = "DescribeOrganization";
        let out = retry(&self.backoff, OP, || async {
            self.organizations
                .describe_organization()
                .send()
                .await
                .map_err(|e| Failure::of(&e).into_team_error(OP))
        })
        .await?;
        out.organization
            .and_then(|o| o.master_account_id)
            .map(|id| {
                AccountId::parse(id).map_err(|e| {
                    TeamError::Internal(format!("{OP} returned a bad account id: {e}"))
                })
            })
            .transpose()
    }

    fn fresh<T>(&self, cached: &Option<Cached<T>>) -> bool {
        cached
            .as_ref()
            .is_some_and(|c| c.loaded.elapsed() < self.ttl)
    }

    /// The value in `slot` while it is fresh, else what `load` answers, kept for the
    /// TTL; the lock is held while loading, so concurrent callers wait for one load.
    async fn cached<T: Clone, Fut>(
        &self,
        slot: &Mutex<Option<Cached<T>>>,
        load: impl FnOnce() -> Fut,
    ) -> TeamResult<T>
    where
        Fut: Future<Output = TeamResult<T>>,
    {
        let mut cached = slot.lock().await;
        if let Some(hit) = cached.as_ref().filter(|_| self.fresh(&cached)) {
            return Ok(hit.value.clone());
        }
        let value = load().await?;
        *cached = Some(Cached {
            value: value.clone(),
            loaded: Instant::now(),
        });
        Ok(value)
    }

    async fn load_tree(&self) -> TeamResult<OrgTree> {
        let mut ous = Vec::new();
        let mut accounts = Vec::new();
        let mut parents = Vec::new();
        for root in self.roots().await? {
            let id = parse_ou(root.id.as_deref())?;
            ous.push(OrgUnit {
                id: id.clone(),
                name: root.name.unwrap_or_else(|| "Root".into()),
                parent_id: None,
            });
            parents.push(id);
        }
        // Depth first over the parents still to visit; the tree is finite and
        // OrgTree::new refuses a cycle if Organizations ever answered one.
        while let Some(parent) = parents.pop() {
            for ou in self.child_ous(&parent).await? {
                let id = parse_ou(ou.id.as_deref())?;
                ous.push(OrgUnit {
                    id: id.clone(),
                    name: ou.name.unwrap_or_else(|| id.to_string()),
                    parent_id: Some(parent.clone()),
                });
                parents.push(id);
            }
            for account in self.child_accounts(&parent).await? {
                let id = AccountId::parse(account.id.clone().unwrap_or_default()).map_err(|e| {
                    TeamError::Internal(format!("Organizations returned a bad account id: {e}"))
                })?;
                accounts.push(Account {
                    name: account.name.unwrap_or_else(|| id.to_string()),
                    id,
                    parent_id: parent.clone(),
                    unassignable: None,
                });
            }
        }
        let management = self.management_account().await?;
        for account in &mut accounts {
            account.unassignable =
                unassignable_reason(&account.id, management.as_ref(), self.team_account.as_ref());
        }
        tracing::info!(
            accounts = accounts.len(),
            ous = ous.len(),
            management_account = management.as_ref().map(AccountId::as_str),
            "organization tree loaded"
        );
        OrgTree::new(accounts, ous)
    }

    async fn roots(&self) -> TeamResult<Vec<Root>> {
        collect_pages(
            &self.backoff,
            "ListRoots",
            |next| self.organizations.list_roots().set_next_token(next).send(),
            |page| (page.roots.unwrap_or_default(), page.next_token),
        )
        .await
    }

    async fn child_ous(&self, parent: &OuId) -> TeamResult<Vec<OrganizationalUnit>> {
        collect_pages(
            &self.backoff,
            "ListOrganizationalUnitsForParent",
            |next| {
                self.organizations
                    .list_organizational_units_for_parent()
                    .parent_id(parent.as_str())
                    .set_next_token(next)
                    .send()
            },
            |page| {
                (
                    page.organizational_units.unwrap_or_default(),
                    page.next_token,
                )
            },
        )
        .await
    }

    async fn child_accounts(
        &self,
        parent: &OuId,
    ) -> TeamResult<Vec<aws_sdk_organizations::types::Account>> {
        collect_pages(
            &self.backoff,
            "ListAccountsForParent",
            |next| {
                self.organizations
                    .list_accounts_for_parent()
                    .parent_id(parent.as_str())
                    .set_next_token(next)
                    .send()
            },
            |page| (page.accounts.unwrap_or_default(), page.next_token),
        )
        .await
    }

    async fn load_permission_sets(&self) -> TeamResult<Vec<PermissionSet>> {
        const DESCRIBE: &str = "DescribePermissionSet";
        let arns = collect_pages(
            &self.backoff,
            "ListPermissionSets",
            |next| {
                self.sso_admin
                    .list_permission_sets()
                    .instance_arn(&self.instance_arn)
                    .set_next_token(next)
                    .send()
            },
            |page| (page.permission_sets.unwrap_or_default(), page.next_token),
        )
        .await?;
        let mut sets = Vec::with_capacity(arns.len());
        for arn in arns {
            let parsed = match PermissionSetArn::parse(arn.as_str()) {
                Ok(parsed) => parsed,
                Err(err) => {
                    // One odd ARN must not hide the whole catalogue.
                    tracing::warn!(permission_set_arn = %arn, error = %err, "skipping a permission set");
                    continue;
                }
            };
            let output = retry(&self.backoff, DESCRIBE, || async {
                self.sso_admin
                    .describe_permission_set()
                    .instance_arn(&self.instance_arn)
                    .permission_set_arn(&arn)
                    .send()
                    .await
                    .map_err(|e| Failure::of(&e).into_team_error(DESCRIBE))
            })
            .await?;
            let (name, description) = output
                .permission_set
                .map(|d| (d.name, d.description))
                .unwrap_or_default();
            sets.push(PermissionSet {
                name: name.unwrap_or_else(|| parsed.to_string()),
                description: description.filter(|d| !d.is_empty()),
                arn: parsed,
            });
        }
        sets.sort_by(|a, b| a.name.cmp(&b.name));
        tracing::info!(permission_sets = sets.len(), "permission sets loaded");
        Ok(sets)
    }
}

fn parse_ou(id: Option<&str>) -> TeamResult<OuId> {
    OuId::parse(id.unwrap_or_default()).map_err(|e| {
        TeamError::Internal(format!("Organizations returned a bad OU or root id: {e}"))
    })
}

#[async_trait]
impl Organization for AwsOrganization {
    async fn tree(&self) -> TeamResult<Arc<OrgTree>> {
        self.cached(&self.tree, || async {
            self.load_tree().await.map(Arc::new)
        })
        .await
    }

    async fn permission_sets(&self) -> TeamResult<Vec<PermissionSet>> {
        self.cached(&self.permission_sets, || self.load_permission_sets())
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(value: &str) -> AccountId {
        match AccountId::parse(value) {
            Ok(id) => id,
            Err(err) => panic!("{err}"),
        }
    }

    #[test]
    fn the_management_account_is_unassignable_and_others_are_not() {
        let management = id("111111111111");
        let team = TeamAccount {
            id: id("222222222222"),
            assignable: false,
        };
        let reason =
            |account: &str| unassignable_reason(&id(account), Some(&management), Some(&team));
        assert!(reason("111111111111").is_some_and(|r| r.contains("management account")));
        assert!(
            reason("222222222222").is_some_and(|r| r.contains("AllowAssignmentsInTeamAccount"))
        );
        assert_eq!(reason("333333333333"), None);
    }

    #[test]
    fn the_team_account_is_assignable_when_the_stack_allows_it_even_as_management_account() {
        let both = id("111111111111");
        let team = TeamAccount {
            id: both.clone(),
            assignable: true,
        };
        assert_eq!(unassignable_reason(&both, Some(&both), Some(&team)), None);
        assert_eq!(
            unassignable_reason(&id("222222222222"), None, None),
            None,
            "nothing is known: nothing is marked"
        );
    }
}
