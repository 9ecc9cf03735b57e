//! The checks catch broken stores: each mutant below breaks one rule of the
//! contract and the check for that rule must panic on it.
#![allow(clippy::unwrap_used)]

use std::future::Future;
use std::sync::Arc;

use async_trait::async_trait;
use team_contract::{policies, requests};
use team_core::ids::{PolicyId, RequestId};
use team_core::memory::{MemoryPolicyStore, MemoryRequestStore};
use team_core::policy::{ApproverPolicy, EligibilityPolicy, Principal, Settings};
use team_core::ports::{Lease, Page, PolicyStore, RequestQuery, RequestStore};
use team_core::request::{AccessRequest, Assignment, RequestEvent};
use team_core::{TeamError, TeamResult};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Bug {
    None,
    IgnoresVersions,
    OldestFirst,
    InternalOnBadToken,
    EmptyLastPage,
    EventsNewestFirst,
    LeaseIgnoresVersions,
    LimitIgnored,
    OwedListNeverCleared,
}

struct Mutant {
    inner: MemoryRequestStore,
    bug: Bug,
    /// Every owed lease ever written, as an index that is never updated on clearing would hold them.
    owed_seen: std::sync::Mutex<std::collections::BTreeMap<Assignment, Lease>>,
}

#[async_trait]
impl RequestStore for Mutant {
    async fn put(&self, request: &AccessRequest, expected: Option<u64>) -> TeamResult<()> {
        if self.bug == Bug::IgnoresVersions {
            let stored = self.inner.get(&request.id).await?.map(|r| r.version);
            return self.inner.put(request, stored).await;
        }
        self.inner.put(request, expected).await
    }
    async fn get(&self, id: &RequestId) -> TeamResult<Option<AccessRequest>> {
        self.inner.get(id).await
    }
    async fn query(&self, query: &RequestQuery) -> TeamResult<Page<AccessRequest>> {
        let mut q = query.clone();
        if self.bug == Bug::LimitIgnored {
            q.limit = 1000;
        }
        if self.bug == Bug::EmptyLastPage && q.next_token.as_deref() == Some("end") {
            return Ok(Page {
                items: vec![],
                next_token: None,
            });
        }
        let mut page = match self.inner.query(&q).await {
            Err(TeamError::Validation { .. }) if self.bug == Bug::InternalOnBadToken => {
                return Err(TeamError::Internal("bad token".into()));
            }
            other => other?,
        };
        if self.bug == Bug::OldestFirst {
            page.items.reverse();
        }
        if self.bug == Bug::EmptyLastPage && page.next_token.is_none() {
            page.next_token = Some("end".into());
        }
        Ok(page)
    }
    async fn append_event(&self, event: &RequestEvent) -> TeamResult<()> {
        self.inner.append_event(event).await
    }
    async fn events(&self, id: &RequestId) -> TeamResult<Vec<RequestEvent>> {
        let mut events = self.inner.events(id).await?;
        if self.bug == Bug::EventsNewestFirst {
            events.reverse();
        }
        Ok(events)
    }
    async fn lease(&self, assignment: &Assignment) -> TeamResult<Option<Lease>> {
        self.inner.lease(assignment).await
    }
    async fn put_lease(&self, lease: &Lease, expected: Option<u64>) -> TeamResult<()> {
        if self.bug == Bug::LeaseIgnoresVersions {
            let stored = self
                .inner
                .lease(&lease.assignment)
                .await?
                .map(|l| l.version);
            return self.inner.put_lease(lease, stored).await;
        }
        if lease.removing {
            self.owed_seen
                .lock()
                .unwrap()
                .insert(lease.assignment.clone(), lease.clone());
        }
        self.inner.put_lease(lease, expected).await
    }
    async fn owed_leases(&self) -> TeamResult<Vec<Lease>> {
        if self.bug == Bug::OwedListNeverCleared {
            return Ok(self.owed_seen.lock().unwrap().values().cloned().collect());
        }
        self.inner.owed_leases().await
    }
}

fn mutant(bug: Bug) -> Arc<Mutant> {
    Arc::new(Mutant {
        inner: MemoryRequestStore::default(),
        bug,
        owed_seen: Default::default(),
    })
}

/// Whether the check panics (runs it on its own task).
async fn panics<F>(check: F) -> bool
where
    F: Future<Output = ()> + Send + 'static,
{
    tokio::spawn(check).await.is_err_and(|e| e.is_panic())
}

#[tokio::test]
async fn a_store_that_ignores_versions_fails_the_conditional_write_checks() {
    let s = mutant(Bug::IgnoresVersions);
    assert!(panics(async move { requests::put_without_version_creates_once(&*s).await }).await);
    let s = mutant(Bug::IgnoresVersions);
    assert!(
        panics(
            async move { requests::put_with_wrong_version_conflicts_and_keeps_the_item(&*s).await }
        )
        .await
    );
    let s = mutant(Bug::IgnoresVersions);
    assert!(
        panics(async move {
            requests::put_expecting_a_version_of_a_missing_request_conflicts(&*s).await
        })
        .await
    );
}

#[tokio::test]
async fn a_store_listing_oldest_first_fails_the_order_check() {
    let s = mutant(Bug::OldestFirst);
    assert!(panics(async move { requests::query_orders_newest_first(&*s).await }).await);
}

#[tokio::test]
async fn a_store_answering_internal_for_a_bad_token_fails_the_token_check() {
    let s = mutant(Bug::InternalOnBadToken);
    assert!(
        panics(async move { requests::garbage_next_token_is_a_validation_error(&*s).await }).await
    );
}

#[tokio::test]
async fn a_store_ending_with_an_empty_page_fails_the_paging_check() {
    let s = mutant(Bug::EmptyLastPage);
    assert!(panics(async move { requests::query_pages_walk_every_item_once(&*s).await }).await);
}

#[tokio::test]
async fn a_store_ignoring_the_limit_fails_the_paging_check() {
    let s = mutant(Bug::LimitIgnored);
    assert!(panics(async move { requests::query_pages_walk_every_item_once(&*s).await }).await);
}

#[tokio::test]
async fn a_store_returning_events_newest_first_fails_the_events_check() {
    let s = mutant(Bug::EventsNewestFirst);
    assert!(
        panics(async move { requests::events_come_back_oldest_first_per_request(&*s).await }).await
    );
}

#[tokio::test]
async fn a_store_ignoring_lease_versions_fails_the_lease_check() {
    let s = mutant(Bug::LeaseIgnoresVersions);
    assert!(panics(async move { requests::lease_writes_are_conditional(&*s).await }).await);
}

#[tokio::test]
async fn a_store_whose_owed_list_is_never_cleared_fails_the_owed_lease_check() {
    let s = mutant(Bug::OwedListNeverCleared);
    assert!(
        panics(async move { requests::owed_leases_list_exactly_the_owed_removals(&*s).await })
            .await
    );
}

#[tokio::test]
async fn a_correct_store_passes_the_same_checks() {
    let s = mutant(Bug::None);
    assert!(!panics(async move { team_contract::run_request_checks(&*s).await }).await);
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum PolicyBug {
    None,
    PrincipalTypeIgnored,
    DeleteAlwaysTrue,
    SettingsNotDefaulted,
}

struct PolicyMutant {
    inner: MemoryPolicyStore,
    bug: PolicyBug,
}

#[async_trait]
impl PolicyStore for PolicyMutant {
    async fn settings(&self) -> TeamResult<Settings> {
        let mut s = self.inner.settings().await?;
        if self.bug == PolicyBug::SettingsNotDefaulted {
            s.max_duration_hours = 1;
        }
        Ok(s)
    }
    async fn put_settings(&self, settings: &Settings) -> TeamResult<()> {
        self.inner.put_settings(settings).await
    }
    async fn eligibility_policies(&self) -> TeamResult<Vec<EligibilityPolicy>> {
        self.inner.eligibility_policies().await
    }
    async fn eligibility_policies_for(
        &self,
        principals: &[Principal],
    ) -> TeamResult<Vec<EligibilityPolicy>> {
        if self.bug != PolicyBug::PrincipalTypeIgnored {
            return self.inner.eligibility_policies_for(principals).await;
        }
        let id = |p: &Principal| match p {
            Principal::User(u) => u.to_string(),
            Principal::Group(g) => g.to_string(),
        };
        let wanted: Vec<String> = principals.iter().map(id).collect();
        Ok(self
            .inner
            .eligibility_policies()
            .await?
            .into_iter()
            .filter(|p| wanted.contains(&id(&p.spec.principal)))
            .collect())
    }
    async fn eligibility_policy(&self, id: &PolicyId) -> TeamResult<Option<EligibilityPolicy>> {
        self.inner.eligibility_policy(id).await
    }
    async fn put_eligibility_policy(&self, policy: &EligibilityPolicy) -> TeamResult<()> {
        self.inner.put_eligibility_policy(policy).await
    }
    async fn delete_eligibility_policy(&self, id: &PolicyId) -> TeamResult<bool> {
        let deleted = self.inner.delete_eligibility_policy(id).await?;
        Ok(deleted || self.bug == PolicyBug::DeleteAlwaysTrue)
    }
    async fn approver_policies(&self) -> TeamResult<Vec<ApproverPolicy>> {
        self.inner.approver_policies().await
    }
    async fn approver_policy(&self, id: &PolicyId) -> TeamResult<Option<ApproverPolicy>> {
        self.inner.approver_policy(id).await
    }
    async fn put_approver_policy(&self, policy: &ApproverPolicy) -> TeamResult<()> {
        self.inner.put_approver_policy(policy).await
    }
    async fn delete_approver_policy(&self, id: &PolicyId) -> TeamResult<bool> {
        self.inner.delete_approver_policy(id).await
    }
}

fn policy_mutant(bug: PolicyBug) -> Arc<PolicyMutant> {
    Arc::new(PolicyMutant {
        inner: MemoryPolicyStore::default(),
        bug,
    })
}

#[tokio::test]
async fn a_policy_store_confusing_users_and_groups_fails_the_principal_check() {
    let s = policy_mutant(PolicyBug::PrincipalTypeIgnored);
    assert!(
        panics(async move {
            policies::eligibility_policies_for_returns_exactly_the_principals_policies(&*s).await
        })
        .await
    );
}

#[tokio::test]
async fn a_policy_store_whose_delete_always_answers_true_fails_the_crud_check() {
    let s = policy_mutant(PolicyBug::DeleteAlwaysTrue);
    assert!(panics(async move { policies::eligibility_policy_crud(&*s).await }).await);
}

#[tokio::test]
async fn a_policy_store_without_default_settings_fails_the_settings_check() {
    let s = policy_mutant(PolicyBug::SettingsNotDefaulted);
    assert!(panics(async move { policies::settings_default_when_never_saved(&*s).await }).await);
}

#[tokio::test]
async fn a_correct_policy_store_passes_the_same_checks() {
    let s = policy_mutant(PolicyBug::None);
    assert!(!panics(async move { team_contract::run_policy_checks(&*s).await }).await);
}
