//! The simulated IAM Identity Center: account assignments whose operations
//! settle asynchronously, injectable faults, and the CloudTrail-like activity
//! log of assignment calls. Everything is kept in the shared SQLite [`Db`], so a
//! restarted twin still knows its assignments and operations.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};
use team_core::ids::{AccountId, PermissionSetArn, UserId};
use team_core::policy::Principal;
use team_core::ports::{
    AccessProvisioner, ActivityEvent, Clock, Operation, OperationStatus, SessionActivity,
};
use team_core::request::{AccessRequest, Assignment};
use team_core::{TeamError, TeamResult};

use crate::db::{Db, db_error, from_ns, to_ns};

/// How long operations stay `IN_PROGRESS` unless configured otherwise.
pub const DEFAULT_SETTLE_DELAY: Duration = Duration::from_secs(2);

/// The `eventSource` of the simulated activity events.
pub const SSO_EVENT_SOURCE: &str = "sso.amazonaws.com";

/// The region the simulated Identity Center lives in.
pub const SIM_REGION: &str = "us-east-1";

const CREATE: &str = "CreateAccountAssignment";
const DELETE: &str = "DeleteAccountAssignment";

/// The reason a `fail-create` or `fail-delete` fault gives when none was specified.
pub const DEFAULT_FAILURE_REASON: &str = "simulated failure";

/// What [`SimIdentityCenter`] calls once when [`SimFaults::die_after_next_side_effect`]
/// is set and a create or delete has been committed. `teamd` kills its process here.
pub type SideEffectHook = Arc<dyn Fn() + Send + Sync>;

/// Faults the simulated Identity Center injects.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SimFaults {
    /// The next this many calls (create, delete, status or list) fail with a
    /// retryable `ThrottlingException` ([`TeamError::Transient`]).
    pub throttle_next: u32,
    /// Creating an assignment on these accounts ends `FAILED` with the reason; nothing is created.
    pub fail_create: BTreeMap<AccountId, String>,
    /// Deleting an assignment on these accounts ends `FAILED` with the reason; nothing is deleted.
    pub fail_delete: BTreeMap<AccountId, String>,
    /// Every call (create, delete, status or list) first waits this long, in real
    /// time (`tokio::time::sleep`), whatever the injected clock says.
    pub latency: Duration,
    /// Once the next create or delete operation has been committed (its side effect
    /// happened), the [`SideEffectHook`] is called and this flag clears: a crash
    /// between Identity Center's side effect and TEAM-rs recording it.
    pub die_after_next_side_effect: bool,
}

impl SimFaults {
    /// Adds one fault from a command-line spec: `throttle:N` (the next N calls
    /// are throttled), `fail-create:ACCOUNT:REASON` or `fail-delete:ACCOUNT:REASON`
    /// (the reason may contain `:`; without one a generic reason is used), or
    /// `latency:MS` (every call first waits MS milliseconds).
    pub fn parse_spec(&mut self, spec: &str) -> TeamResult<()> {
        let bad = |why: &str| {
            TeamError::validation(
                "fault",
                format!(
                    "'{spec}': {why}; use throttle:N, fail-create:ACCOUNT:REASON, fail-delete:ACCOUNT:REASON or latency:MS"
                ),
            )
        };
        let (kind, rest) = spec.split_once(':').ok_or_else(|| bad("no ':'"))?;
        match kind.trim() {
            "throttle" => {
                self.throttle_next = rest
                    .trim()
                    .parse()
                    .map_err(|_| bad("N must be a whole number"))?;
            }
            "latency" => {
                let ms: u64 = rest
                    .trim()
                    .parse()
                    .map_err(|_| bad("MS must be a whole number of milliseconds"))?;
                self.latency = Duration::from_millis(ms);
            }
            kind @ ("fail-create" | "fail-delete") => {
                let (account, reason) = rest.split_once(':').unwrap_or((rest, ""));
                let account = AccountId::parse(account.trim())
                    .map_err(|_| bad("ACCOUNT must be a 12-digit account id"))?;
                let reason = match reason.trim() {
                    "" => DEFAULT_FAILURE_REASON.to_string(),
                    r => r.to_string(),
                };
                let map = if kind == "fail-create" {
                    &mut self.fail_create
                } else {
                    &mut self.fail_delete
                };
                map.insert(account, reason);
            }
            _ => return Err(bad("unknown fault")),
        }
        Ok(())
    }

    /// Faults from several specs (see [`SimFaults::parse_spec`]).
    pub fn from_specs<I, S>(specs: I) -> TeamResult<SimFaults>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut faults = SimFaults::default();
        for spec in specs {
            faults.parse_spec(spec.as_ref())?;
        }
        Ok(faults)
    }
}

/// [`AccessProvisioner`] simulating Identity Center account assignments.
///
/// An operation stays `IN_PROGRESS` until the clock reaches its start plus the
/// settle delay; then it is `SUCCEEDED` (and the assignment appears or goes)
/// or `FAILED` (if a fault was configured for the account when it started).
/// Creating an existing assignment and deleting a missing one succeed.
pub struct SimIdentityCenter {
    db: Arc<Db>,
    clock: Arc<dyn Clock>,
    settle_delay: Duration,
    faults: Mutex<SimFaults>,
    side_effect_hook: Mutex<Option<SideEffectHook>>,
}

impl std::fmt::Debug for SimIdentityCenter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimIdentityCenter")
            .field("settle_delay", &self.settle_delay)
            .field("faults", &*self.lock_faults())
            .field("side_effect_hook", &self.hook().is_some())
            .finish_non_exhaustive()
    }
}

impl SimIdentityCenter {
    /// A simulator over `db`, reading time from `clock`, whose operations take
    /// `settle_delay` ([`DEFAULT_SETTLE_DELAY`] by default in `teamd`).
    pub fn new(
        db: Arc<Db>,
        clock: Arc<dyn Clock>,
        settle_delay: Duration,
        faults: SimFaults,
    ) -> SimIdentityCenter {
        SimIdentityCenter {
            db,
            clock,
            settle_delay,
            faults: Mutex::new(faults),
            side_effect_hook: Mutex::new(None),
        }
    }

    /// Sets what is called once, right after a create or delete has been committed,
    /// when [`SimFaults::die_after_next_side_effect`] is set (replacing any earlier
    /// hook). Without a hook that fault only clears itself and logs.
    pub fn set_side_effect_hook(&self, hook: SideEffectHook) {
        *self
            .side_effect_hook
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(hook);
    }

    /// Replaces the faults (at run time).
    pub fn set_faults(&self, faults: SimFaults) {
        self.update_faults(|current| *current = faults);
    }

    /// Changes the faults in place (at run time), atomically with respect to the
    /// calls using them up, and answers the faults now set.
    pub fn update_faults(&self, change: impl FnOnce(&mut SimFaults)) -> SimFaults {
        let mut faults = self.lock_faults();
        change(&mut faults);
        tracing::info!(
            throttle_next = faults.throttle_next,
            fail_create = faults.fail_create.len(),
            fail_delete = faults.fail_delete.len(),
            latency_ms = u64::try_from(faults.latency.as_millis()).unwrap_or(u64::MAX),
            die_after_next_side_effect = faults.die_after_next_side_effect,
            "simulated Identity Center faults set"
        );
        faults.clone()
    }

    /// The faults still pending.
    pub fn faults(&self) -> SimFaults {
        self.lock_faults().clone()
    }

    /// How long operations stay in progress.
    pub fn settle_delay(&self) -> Duration {
        self.settle_delay
    }

    /// The assignments that exist now (operations due are settled first), sorted.
    /// A database failure is logged and answers an empty list.
    pub async fn assignments(&self) -> Vec<Assignment> {
        match self.try_assignments().await {
            Ok(list) => list,
            Err(err) => {
                tracing::error!(error = %err, "cannot list simulated assignments");
                Vec::new()
            }
        }
    }

    async fn try_assignments(&self) -> TeamResult<Vec<Assignment>> {
        let now_ns = to_ns(self.clock.now());
        let rows: Vec<(String, String, String)> = self
            .db
            .call(move |conn| {
                let tx = conn
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .map_err(db_error)?;
                settle_due(&tx, now_ns).map_err(db_error)?;
                let rows = {
                    let mut statement = tx
                        .prepare_cached(
                            "SELECT user_id, account_id, permission_set_arn FROM sim_assignments
                             ORDER BY user_id, account_id, permission_set_arn",
                        )
                        .map_err(db_error)?;
                    let rows = statement
                        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
                        .map_err(db_error)?;
                    rows.collect::<Result<Vec<_>, _>>().map_err(db_error)?
                };
                tx.commit().map_err(db_error)?;
                Ok(rows)
            })
            .await?;
        rows.into_iter()
            .map(|(user, account, ps)| assignment(&user, &account, &ps))
            .collect()
    }

    /// Creates `assignment` at once, as someone outside TEAM-rs would (the console,
    /// another tool): no operation to poll, no faults, no lease. The call is
    /// recorded in the activity log as a `CreateAccountAssignment`. Creating an
    /// existing assignment changes nothing but the log.
    pub async fn assign_outside_team(&self, assignment: &Assignment) -> TeamResult<()> {
        let now_ns = to_ns(self.clock.now());
        let (user, account, ps) = (
            assignment.user_id.to_string(),
            assignment.account_id.to_string(),
            assignment.permission_set_arn.to_string(),
        );
        self.db
            .call(move |conn| {
                let tx = conn
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .map_err(db_error)?;
                // Operations already due settle first, so they cannot undo this one.
                settle_due(&tx, now_ns).map_err(db_error)?;
                tx.execute(
                    "INSERT OR IGNORE INTO sim_assignments (user_id, account_id, permission_set_arn)
                     VALUES (?1, ?2, ?3)",
                    params![user, account, ps],
                )
                .map_err(db_error)?;
                tx.execute(
                    "INSERT INTO sim_activity (at_ns, user_id, account_id, permission_set_arn,
                         event_name, event_source, region)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![
                        now_ns,
                        user,
                        account,
                        ps,
                        CREATE,
                        SSO_EVENT_SOURCE,
                        SIM_REGION
                    ],
                )
                .map_err(db_error)?;
                tx.commit().map_err(db_error)
            })
            .await?;
        tracing::info!(
            assignment = %assignment.key(),
            "account assignment created outside TEAM-rs in the simulated Identity Center"
        );
        Ok(())
    }

    fn lock_faults(&self) -> MutexGuard<'_, SimFaults> {
        self.faults
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn hook(&self) -> Option<SideEffectHook> {
        self.side_effect_hook
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Waits the configured latency (real time: a manual clock's sleep would move test time).
    async fn latency(&self) {
        let latency = self.lock_faults().latency;
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
    }

    /// Called once a create or delete is committed: uses up the die fault, if set.
    fn side_effect_committed(&self, call: &str, operation_id: &str) {
        let die = std::mem::take(&mut self.lock_faults().die_after_next_side_effect);
        if !die {
            return;
        }
        match self.hook() {
            Some(hook) => {
                tracing::warn!(
                    call,
                    operation_id,
                    "simulated Identity Center committed a side effect: calling the die hook"
                );
                hook();
            }
            None => tracing::warn!(
                call,
                operation_id,
                "die-after-next-side-effect fault used up, but no hook is set: nothing dies"
            ),
        }
    }

    /// Uses up one throttled call, if any are left.
    fn throttle(&self, call: &str) -> TeamResult<()> {
        let mut faults = self.lock_faults();
        if faults.throttle_next == 0 {
            return Ok(());
        }
        faults.throttle_next -= 1;
        tracing::warn!(
            call,
            throttles_left = faults.throttle_next,
            "simulated Identity Center throttles a call"
        );
        Err(TeamError::Transient(format!(
            "ThrottlingException: Rate exceeded ({call}, simulated)"
        )))
    }

    async fn start(&self, assignment: &Assignment, deletion: bool) -> TeamResult<Operation> {
        let call = if deletion { DELETE } else { CREATE };
        self.latency().await;
        self.throttle(call)?;
        let failure = {
            let faults = self.lock_faults();
            let map = if deletion {
                &faults.fail_delete
            } else {
                &faults.fail_create
            };
            map.get(&assignment.account_id).cloned()
        };
        let now = self.clock.now();
        let delay = time::Duration::try_from(self.settle_delay).unwrap_or(time::Duration::MAX);
        let started_ns = to_ns(now);
        let settles_ns = to_ns(now.saturating_add(delay));
        let id = uuid::Uuid::new_v4().to_string();
        let (op_id, user, account, ps) = (
            id.clone(),
            assignment.user_id.to_string(),
            assignment.account_id.to_string(),
            assignment.permission_set_arn.to_string(),
        );
        let fails = failure.clone();
        self.db
            .call(move |conn| {
                let tx = conn
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .map_err(db_error)?;
                tx.execute(
                    "INSERT INTO sim_operations (id, deletion, user_id, account_id, permission_set_arn,
                         started_ns, settles_ns, failure, state)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'IN_PROGRESS')",
                    params![op_id, deletion, user, account, ps, started_ns, settles_ns, fails],
                )
                .map_err(db_error)?;
                tx.execute(
                    "INSERT INTO sim_activity (at_ns, user_id, account_id, permission_set_arn,
                         event_name, event_source, region)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![started_ns, user, account, ps, call, SSO_EVENT_SOURCE, SIM_REGION],
                )
                .map_err(db_error)?;
                tx.commit().map_err(db_error)
            })
            .await?;
        self.side_effect_committed(call, &id);
        tracing::info!(
            operation_id = %id,
            call,
            assignment = %assignment.key(),
            will_fail = failure.is_some(),
            "simulated Identity Center operation started"
        );
        Ok(Operation { id, deletion })
    }
}

/// Settles every operation due at `now_ns`, in the order they complete.
fn settle_due(tx: &Transaction<'_>, now_ns: i64) -> rusqlite::Result<()> {
    type Due = (i64, String, bool, String, String, String, Option<String>);
    let due: Vec<Due> = {
        let mut statement = tx.prepare_cached(
            "SELECT seq, id, deletion, user_id, account_id, permission_set_arn, failure
             FROM sim_operations WHERE state = 'IN_PROGRESS' AND settles_ns <= ?1
             ORDER BY settles_ns, seq",
        )?;
        let rows = statement.query_map([now_ns], |row| {
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
                row.get(5)?,
                row.get(6)?,
            ))
        })?;
        rows.collect::<Result<Vec<_>, _>>()?
    };
    for (seq, id, deletion, user, account, ps, failure) in due {
        let state = if let Some(reason) = &failure {
            tracing::info!(operation_id = %id, deletion, account_id = %account, reason = %reason, "simulated operation failed");
            "FAILED"
        } else {
            if deletion {
                tx.execute(
                    "DELETE FROM sim_assignments
                     WHERE user_id = ?1 AND account_id = ?2 AND permission_set_arn = ?3",
                    params![user, account, ps],
                )?;
            } else {
                tx.execute(
                    "INSERT OR IGNORE INTO sim_assignments (user_id, account_id, permission_set_arn)
                     VALUES (?1, ?2, ?3)",
                    params![user, account, ps],
                )?;
            }
            tracing::info!(operation_id = %id, deletion, account_id = %account, "simulated operation succeeded");
            "SUCCEEDED"
        };
        tx.execute(
            "UPDATE sim_operations SET state = ?2 WHERE seq = ?1",
            params![seq, state],
        )?;
    }
    Ok(())
}

fn assignment(user: &str, account: &str, ps: &str) -> TeamResult<Assignment> {
    Ok(Assignment {
        user_id: UserId::parse(user)?,
        account_id: AccountId::parse(account)?,
        permission_set_arn: PermissionSetArn::parse(ps)?,
    })
}

#[async_trait]
impl AccessProvisioner for SimIdentityCenter {
    async fn create_assignment(&self, assignment: &Assignment) -> TeamResult<Operation> {
        self.start(assignment, false).await
    }

    async fn delete_assignment(&self, assignment: &Assignment) -> TeamResult<Operation> {
        self.start(assignment, true).await
    }

    async fn operation_status(&self, operation: &Operation) -> TeamResult<OperationStatus> {
        let call = if operation.deletion {
            "DescribeAccountAssignmentDeletionStatus"
        } else {
            "DescribeAccountAssignmentCreationStatus"
        };
        self.latency().await;
        self.throttle(call)?;
        let now_ns = to_ns(self.clock.now());
        let id = operation.id.clone();
        let row: Option<(String, Option<String>)> = self
            .db
            .call(move |conn| {
                let tx = conn
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .map_err(db_error)?;
                settle_due(&tx, now_ns).map_err(db_error)?;
                let row = tx
                    .query_row(
                        "SELECT state, failure FROM sim_operations WHERE id = ?1",
                        [&id],
                        |row| Ok((row.get(0)?, row.get(1)?)),
                    )
                    .optional()
                    .map_err(db_error)?;
                tx.commit().map_err(db_error)?;
                Ok(row)
            })
            .await?;
        match row {
            None => Err(TeamError::NotFound(format!(
                "ResourceNotFoundException: no account assignment operation {}",
                operation.id
            ))),
            Some((state, failure)) => match state.as_str() {
                "IN_PROGRESS" => Ok(OperationStatus::InProgress),
                "SUCCEEDED" => Ok(OperationStatus::Succeeded),
                _ => Ok(OperationStatus::Failed {
                    reason: failure.unwrap_or_else(|| "unknown failure".into()),
                }),
            },
        }
    }

    /// The simulation holds user assignments only (as TEAM-rs makes them).
    async fn assigned_principals(
        &self,
        account: &AccountId,
        permission_set: &PermissionSetArn,
    ) -> TeamResult<Vec<Principal>> {
        self.latency().await;
        self.throttle("ListAccountAssignments")?;
        let wanted = (account.clone(), permission_set.clone());
        let list = self.try_assignments().await?;
        Ok(list
            .into_iter()
            .filter(|a| a.account_id == wanted.0 && a.permission_set_arn == wanted.1)
            .map(|a| Principal::User(a.user_id))
            .collect())
    }
}

/// [`SessionActivity`] from the simulated Identity Center's activity log: the
/// `CreateAccountAssignment` and `DeleteAccountAssignment` calls for the
/// request's user, account and permission set between its start and its end + 1 h.
#[derive(Debug, Clone)]
pub struct SimActivity {
    db: Arc<Db>,
}

impl SimActivity {
    /// Activity read from `db` (written by a [`SimIdentityCenter`] on the same db).
    pub fn new(db: Arc<Db>) -> SimActivity {
        SimActivity { db }
    }
}

#[async_trait]
impl SessionActivity for SimActivity {
    async fn activity(&self, request: &AccessRequest) -> TeamResult<Vec<ActivityEvent>> {
        let user = request.requester.user_id.to_string();
        let account = request.account.id.to_string();
        let ps = request.permission_set.arn.to_string();
        let from = to_ns(request.start_time);
        let until = to_ns(request.end_time.saturating_add(time::Duration::hours(1)));
        let rows: Vec<(i64, String, String, Option<String>)> = self
            .db
            .call(move |conn| {
                let mut statement = conn
                    .prepare_cached(
                        "SELECT at_ns, event_name, event_source, region FROM sim_activity
                         WHERE user_id = ?1 AND account_id = ?2 AND permission_set_arn = ?3
                           AND at_ns >= ?4 AND at_ns <= ?5
                         ORDER BY at_ns, seq",
                    )
                    .map_err(db_error)?;
                let rows = statement
                    .query_map(params![user, account, ps, from, until], |row| {
                        Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
                    })
                    .map_err(db_error)?;
                rows.collect::<Result<Vec<_>, _>>().map_err(db_error)
            })
            .await?;
        rows.into_iter()
            .map(|(at, event_name, event_source, region)| {
                Ok(ActivityEvent {
                    at: from_ns(at)?,
                    event_name,
                    event_source,
                    region,
                    source_ip: None,
                })
            })
            .collect()
    }
}
