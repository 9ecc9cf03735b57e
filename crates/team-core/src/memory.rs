//! In-memory stores: the reference behaviour of the store ports, used by unit
//! tests and checked by the same contract suite as the SQLite and DynamoDB stores.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;

use crate::error::{TeamError, TeamResult};
use crate::ids::{PolicyId, RequestId};
use crate::policy::{ApproverPolicy, EligibilityPolicy, Settings};
use crate::ports::{Lease, Page, PageCursor, PolicyStore, RequestQuery, RequestStore};
use crate::request::{AccessRequest, Assignment, RequestEvent};

/// Whether `request` passes every filter of `query` (paging aside).
pub fn query_matches(query: &RequestQuery, request: &AccessRequest) -> bool {
    query
        .requester
        .as_ref()
        .is_none_or(|u| &request.requester.user_id == u)
        && query
            .approver
            .as_ref()
            .is_none_or(|u| request.approvers.iter().any(|a| &a.user_id == u))
        && query
            .decided_by
            .as_ref()
            .is_none_or(|u| request.decisions.iter().any(|d| &d.by.user_id == u))
        && (query.statuses.is_empty() || query.statuses.contains(&request.status))
        && query
            .account
            .as_ref()
            .is_none_or(|a| &request.account.id == a)
        && query.active_after.is_none_or(|t| request.end_time > t)
        && query.active_before.is_none_or(|t| request.start_time < t)
}

/// Checks an optimistic-concurrency condition the way a conditional write does.
pub fn check_version(what: &str, stored: Option<u64>, expected: Option<u64>) -> TeamResult<()> {
    if stored == expected {
        Ok(())
    } else {
        Err(TeamError::Conflict(what.to_string()))
    }
}

/// A request store in memory.
#[derive(Default)]
pub struct MemoryRequestStore {
    inner: Mutex<RequestData>,
}

#[derive(Default)]
struct RequestData {
    requests: HashMap<RequestId, AccessRequest>,
    events: HashMap<RequestId, Vec<RequestEvent>>,
    leases: HashMap<Assignment, Lease>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock leaves plain data behind; keep serving it.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[async_trait]
impl RequestStore for MemoryRequestStore {
    async fn put(&self, request: &AccessRequest, expected_version: Option<u64>) -> TeamResult<()> {
        let mut data = lock(&self.inner);
        let stored = data.requests.get(&request.id).map(|r| r.version);
        check_version(&format!("request {}", request.id), stored, expected_version)?;
        data.requests.insert(request.id.clone(), request.clone());
        Ok(())
    }

    async fn get(&self, id: &RequestId) -> TeamResult<Option<AccessRequest>> {
        Ok(lock(&self.inner).requests.get(id).cloned())
    }

    async fn query(&self, query: &RequestQuery) -> TeamResult<Page<AccessRequest>> {
        let data = lock(&self.inner);
        let mut items: Vec<_> = data
            .requests
            .values()
            .filter(|r| query_matches(query, r))
            .cloned()
            .collect();
        items.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
        let cursor = query
            .next_token
            .as_deref()
            .map(PageCursor::parse)
            .transpose()?;
        let limit = query.limit.max(1);
        let mut rest = items
            .into_iter()
            .filter(|r| cursor.as_ref().is_none_or(|c| c.precedes(r)));
        let page: Vec<_> = rest.by_ref().take(limit).collect();
        let next_token = match (rest.next(), page.last()) {
            (Some(_), Some(last)) => Some(PageCursor::after(last).token()),
            _ => None,
        };
        Ok(Page {
            items: page,
            next_token,
        })
    }

    async fn append_event(&self, event: &RequestEvent) -> TeamResult<()> {
        lock(&self.inner)
            .events
            .entry(event.request_id.clone())
            .or_default()
            .push(event.clone());
        Ok(())
    }

    async fn events(&self, id: &RequestId) -> TeamResult<Vec<RequestEvent>> {
        Ok(lock(&self.inner)
            .events
            .get(id)
            .cloned()
            .unwrap_or_default())
    }

    async fn lease(&self, assignment: &Assignment) -> TeamResult<Option<Lease>> {
        Ok(lock(&self.inner).leases.get(assignment).cloned())
    }

    async fn put_lease(&self, lease: &Lease, expected_version: Option<u64>) -> TeamResult<()> {
        let mut data = lock(&self.inner);
        let stored = data.leases.get(&lease.assignment).map(|l| l.version);
        check_version(
            &format!("lease {}", lease.assignment.key()),
            stored,
            expected_version,
        )?;
        data.leases.insert(lease.assignment.clone(), lease.clone());
        Ok(())
    }

    async fn owed_leases(&self) -> TeamResult<Vec<Lease>> {
        let mut owed: Vec<Lease> = lock(&self.inner)
            .leases
            .values()
            .filter(|l| l.removing)
            .cloned()
            .collect();
        owed.sort_by(|a, b| a.assignment.cmp(&b.assignment));
        Ok(owed)
    }
}

/// A policy store in memory.
#[derive(Default)]
pub struct MemoryPolicyStore {
    inner: Mutex<PolicyData>,
}

#[derive(Default)]
struct PolicyData {
    settings: Option<Settings>,
    eligibility: BTreeMap<PolicyId, EligibilityPolicy>,
    approvers: BTreeMap<PolicyId, ApproverPolicy>,
}

#[async_trait]
impl PolicyStore for MemoryPolicyStore {
    async fn settings(&self) -> TeamResult<Settings> {
        Ok(lock(&self.inner).settings.clone().unwrap_or_default())
    }

    async fn put_settings(&self, settings: &Settings) -> TeamResult<()> {
        lock(&self.inner).settings = Some(settings.clone());
        Ok(())
    }

    async fn eligibility_policies(&self) -> TeamResult<Vec<EligibilityPolicy>> {
        Ok(lock(&self.inner).eligibility.values().cloned().collect())
    }

    async fn eligibility_policy(&self, id: &PolicyId) -> TeamResult<Option<EligibilityPolicy>> {
        Ok(lock(&self.inner).eligibility.get(id).cloned())
    }

    async fn put_eligibility_policy(&self, policy: &EligibilityPolicy) -> TeamResult<()> {
        lock(&self.inner)
            .eligibility
            .insert(policy.id.clone(), policy.clone());
        Ok(())
    }

    async fn delete_eligibility_policy(&self, id: &PolicyId) -> TeamResult<bool> {
        Ok(lock(&self.inner).eligibility.remove(id).is_some())
    }

    async fn approver_policies(&self) -> TeamResult<Vec<ApproverPolicy>> {
        Ok(lock(&self.inner).approvers.values().cloned().collect())
    }

    async fn approver_policy(&self, id: &PolicyId) -> TeamResult<Option<ApproverPolicy>> {
        Ok(lock(&self.inner).approvers.get(id).cloned())
    }

    async fn put_approver_policy(&self, policy: &ApproverPolicy) -> TeamResult<()> {
        lock(&self.inner)
            .approvers
            .insert(policy.id.clone(), policy.clone());
        Ok(())
    }

    async fn delete_approver_policy(&self, id: &PolicyId) -> TeamResult<bool> {
        Ok(lock(&self.inner).approvers.remove(id).is_some())
    }
}

/// The reconciler's runs in memory, newest last.
#[derive(Default)]
pub struct MemorySweepLog {
    runs: Mutex<Vec<crate::sweep::SweepRun>>,
}

#[async_trait]
impl crate::ports::SweepLog for MemorySweepLog {
    async fn record(&self, run: &crate::sweep::SweepRun) -> TeamResult<()> {
        lock(&self.runs).push(run.clone());
        Ok(())
    }

    async fn recent(&self, limit: usize) -> TeamResult<Vec<crate::sweep::SweepRun>> {
        Ok(lock(&self.runs).iter().rev().take(limit).cloned().collect())
    }
}
