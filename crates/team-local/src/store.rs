//! The request and policy stores on SQLite, with the semantics of
//! [`team_core::memory`]: conditional writes are single SQL statements checked
//! by their changed-row count, queries run in SQL over indexed columns and side
//! tables, and pages are keyset pages over `(created_at, id)`.

use std::sync::Arc;

use async_trait::async_trait;
use rusqlite::types::Value as SqlValue;
use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params, params_from_iter};
use team_core::ids::{PolicyId, RequestId};
use team_core::policy::{ApproverPolicy, EligibilityPolicy, Principal, Settings};
use team_core::ports::{Lease, Page, PageCursor, PolicyStore, RequestQuery, RequestStore};
use team_core::request::{AccessRequest, Assignment, RequestEvent};
use team_core::{TeamError, TeamResult};

use crate::db::{Db, db_error, from_json, to_json, to_ns, version_to_sql};

/// [`RequestStore`] on the shared SQLite [`Db`].
#[derive(Debug, Clone)]
pub struct SqliteRequestStore {
    db: Arc<Db>,
}

impl SqliteRequestStore {
    /// A store over `db`.
    pub fn new(db: Arc<Db>) -> SqliteRequestStore {
        SqliteRequestStore { db }
    }
}

/// What one request row holds, prepared before going to the blocking pool.
struct RequestRow {
    id: String,
    version: i64,
    requester: String,
    account: String,
    status: &'static str,
    start_ns: i64,
    end_ns: i64,
    created_ns: i64,
    body: String,
    approvers: Vec<String>,
    deciders: Vec<String>,
}

impl RequestRow {
    fn of(request: &AccessRequest) -> TeamResult<RequestRow> {
        Ok(RequestRow {
            id: request.id.to_string(),
            version: version_to_sql(request.version),
            requester: request.requester.user_id.to_string(),
            account: request.account.id.to_string(),
            status: request.status.as_str(),
            start_ns: to_ns(request.start_time),
            end_ns: to_ns(request.end_time),
            created_ns: to_ns(request.created_at),
            body: to_json(request)?,
            approvers: request
                .approvers
                .iter()
                .map(|a| a.user_id.to_string())
                .collect(),
            deciders: request
                .decisions
                .iter()
                .map(|d| d.by.user_id.to_string())
                .collect(),
        })
    }

    fn write(&self, tx: &Transaction<'_>, expected: Option<u64>) -> TeamResult<()> {
        let changed = match expected {
            None => tx.execute(
                "INSERT INTO requests
                     (id, version, requester_id, account_id, status, start_ns, end_ns, created_ns, body)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT (id) DO NOTHING",
                params![
                    self.id,
                    self.version,
                    self.requester,
                    self.account,
                    self.status,
                    self.start_ns,
                    self.end_ns,
                    self.created_ns,
                    self.body
                ],
            ),
            Some(expected) => tx.execute(
                "UPDATE requests
                 SET version = ?2, requester_id = ?3, account_id = ?4, status = ?5,
                     start_ns = ?6, end_ns = ?7, created_ns = ?8, body = ?9
                 WHERE id = ?1 AND version = ?10",
                params![
                    self.id,
                    self.version,
                    self.requester,
                    self.account,
                    self.status,
                    self.start_ns,
                    self.end_ns,
                    self.created_ns,
                    self.body,
                    version_to_sql(expected)
                ],
            ),
        }
        .map_err(db_error)?;
        if changed == 0 {
            return Err(TeamError::Conflict(format!("request {}", self.id)));
        }
        for (table, users) in [
            ("request_approvers", &self.approvers),
            ("request_deciders", &self.deciders),
        ] {
            tx.execute(
                &format!("DELETE FROM {table} WHERE request_id = ?1"),
                [&self.id],
            )
            .map_err(db_error)?;
            let mut insert = tx
                .prepare_cached(&format!(
                    "INSERT OR IGNORE INTO {table} (user_id, request_id) VALUES (?1, ?2)"
                ))
                .map_err(db_error)?;
            for user in users {
                insert.execute([user, &self.id]).map_err(db_error)?;
            }
        }
        Ok(())
    }
}

/// The SQL of a query (without paging) and its parameters. The approver and
/// decider filters start from the user's rows of the side tables.
fn query_sql(query: &RequestQuery) -> (String, Vec<SqlValue>) {
    let mut sql = String::from("SELECT r.body FROM requests r WHERE 1 = 1");
    let mut args: Vec<SqlValue> = Vec::new();
    if let Some(user) = &query.requester {
        sql.push_str(" AND r.requester_id = ?");
        args.push(SqlValue::Text(user.to_string()));
    }
    if let Some(user) = &query.approver {
        sql.push_str(
            " AND r.id IN (SELECT a.request_id FROM request_approvers a WHERE a.user_id = ?)",
        );
        args.push(SqlValue::Text(user.to_string()));
    }
    if let Some(user) = &query.decided_by {
        sql.push_str(
            " AND r.id IN (SELECT d.request_id FROM request_deciders d WHERE d.user_id = ?)",
        );
        args.push(SqlValue::Text(user.to_string()));
    }
    if !query.statuses.is_empty() {
        let marks = vec!["?"; query.statuses.len()].join(", ");
        sql.push_str(&format!(" AND r.status IN ({marks})"));
        args.extend(
            query
                .statuses
                .iter()
                .map(|s| SqlValue::Text(s.as_str().to_string())),
        );
    }
    if let Some(account) = &query.account {
        sql.push_str(" AND r.account_id = ?");
        args.push(SqlValue::Text(account.to_string()));
    }
    if let Some(after) = query.active_after {
        sql.push_str(" AND r.end_ns > ?");
        args.push(SqlValue::Integer(to_ns(after)));
    }
    if let Some(before) = query.active_before {
        sql.push_str(" AND r.start_ns < ?");
        args.push(SqlValue::Integer(to_ns(before)));
    }
    (sql, args)
}

#[async_trait]
impl RequestStore for SqliteRequestStore {
    async fn put(&self, request: &AccessRequest, expected_version: Option<u64>) -> TeamResult<()> {
        let row = RequestRow::of(request)?;
        self.db
            .call(move |conn| {
                let tx = conn
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .map_err(db_error)?;
                row.write(&tx, expected_version)?;
                tx.commit().map_err(db_error)
            })
            .await
    }

    async fn get(&self, id: &RequestId) -> TeamResult<Option<AccessRequest>> {
        let id = id.to_string();
        let body: Option<String> = self
            .db
            .call(move |conn| {
                conn.query_row("SELECT body FROM requests WHERE id = ?1", [&id], |row| {
                    row.get(0)
                })
                .optional()
                .map_err(db_error)
            })
            .await?;
        body.map(|b| from_json("request", &b)).transpose()
    }

    async fn query(&self, query: &RequestQuery) -> TeamResult<Page<AccessRequest>> {
        let cursor = query
            .next_token
            .as_deref()
            .map(PageCursor::parse)
            .transpose()?;
        let limit = query.limit.max(1);
        let (mut sql, mut args) = query_sql(query);
        if let Some(PageCursor { created_at, id }) = cursor {
            let created_ns = to_ns(created_at);
            sql.push_str(" AND (r.created_ns < ? OR (r.created_ns = ? AND r.id < ?))");
            args.push(SqlValue::Integer(created_ns));
            args.push(SqlValue::Integer(created_ns));
            args.push(SqlValue::Text(id.to_string()));
        }
        // One row more than the page tells whether another page follows.
        sql.push_str(" ORDER BY r.created_ns DESC, r.id DESC LIMIT ?");
        args.push(SqlValue::Integer(
            i64::try_from(limit.saturating_add(1)).unwrap_or(i64::MAX),
        ));
        let rows: Vec<String> = self
            .db
            .call(move |conn| {
                let mut statement = conn.prepare(&sql).map_err(db_error)?;
                let rows = statement
                    .query_map(params_from_iter(args), |row| row.get(0))
                    .map_err(db_error)?;
                rows.collect::<Result<Vec<_>, _>>().map_err(db_error)
            })
            .await?;
        let more = rows.len() > limit;
        let items = rows
            .into_iter()
            .take(limit)
            .map(|body| from_json::<AccessRequest>("request", &body))
            .collect::<TeamResult<Vec<_>>>()?;
        let next_token = match (more, items.last()) {
            (true, Some(last)) => Some(PageCursor::after(last).token()),
            _ => None,
        };
        Ok(Page { items, next_token })
    }

    async fn append_event(&self, event: &RequestEvent) -> TeamResult<()> {
        let id = event.request_id.to_string();
        let body = to_json(event)?;
        self.db
            .call(move |conn| {
                conn.execute(
                    "INSERT INTO request_events (request_id, body) VALUES (?1, ?2)",
                    [&id, &body],
                )
                .map_err(db_error)?;
                Ok(())
            })
            .await
    }

    async fn events(&self, id: &RequestId) -> TeamResult<Vec<RequestEvent>> {
        let id = id.to_string();
        let bodies: Vec<String> = self
            .db
            .call(move |conn| {
                let mut statement = conn
                    .prepare_cached(
                        "SELECT body FROM request_events WHERE request_id = ?1 ORDER BY seq",
                    )
                    .map_err(db_error)?;
                let rows = statement
                    .query_map([&id], |row| row.get(0))
                    .map_err(db_error)?;
                rows.collect::<Result<Vec<_>, _>>().map_err(db_error)
            })
            .await?;
        bodies.iter().map(|b| from_json("event", b)).collect()
    }

    async fn lease(&self, assignment: &Assignment) -> TeamResult<Option<Lease>> {
        let key = assignment.key();
        let body: Option<String> = self
            .db
            .call(move |conn| {
                conn.query_row(
                    "SELECT body FROM leases WHERE assignment_key = ?1",
                    [&key],
                    |row| row.get(0),
                )
                .optional()
                .map_err(db_error)
            })
            .await?;
        body.map(|b| from_json("lease", &b)).transpose()
    }

    async fn put_lease(&self, lease: &Lease, expected_version: Option<u64>) -> TeamResult<()> {
        let key = lease.assignment.key();
        let version = version_to_sql(lease.version);
        let body = to_json(lease)?;
        let removing = lease.removing;
        self.db
            .call(move |conn| {
                let changed = match expected_version {
                    None => conn.execute(
                        "INSERT INTO leases (assignment_key, version, body, removing) VALUES (?1, ?2, ?3, ?4)
                         ON CONFLICT (assignment_key) DO NOTHING",
                        params![key, version, body, removing],
                    ),
                    Some(expected) => conn.execute(
                        "UPDATE leases SET version = ?2, body = ?3, removing = ?4
                         WHERE assignment_key = ?1 AND version = ?5",
                        params![key, version, body, removing, version_to_sql(expected)],
                    ),
                }
                .map_err(db_error)?;
                if changed == 0 {
                    return Err(TeamError::Conflict(format!("lease {key}")));
                }
                Ok(())
            })
            .await
    }

    async fn owed_leases(&self) -> TeamResult<Vec<Lease>> {
        let bodies: Vec<String> = self
            .db
            .call(|conn| {
                let mut statement = conn
                    .prepare_cached(
                        "SELECT body FROM leases WHERE removing = 1 ORDER BY assignment_key",
                    )
                    .map_err(db_error)?;
                let rows = statement
                    .query_map([], |row| row.get(0))
                    .map_err(db_error)?;
                rows.collect::<Result<Vec<_>, _>>().map_err(db_error)
            })
            .await?;
        bodies.iter().map(|b| from_json("lease", b)).collect()
    }
}

/// [`PolicyStore`] on the shared SQLite [`Db`]; eligibility policies are indexed by principal.
#[derive(Debug, Clone)]
pub struct SqlitePolicyStore {
    db: Arc<Db>,
}

impl SqlitePolicyStore {
    /// A store over `db`.
    pub fn new(db: Arc<Db>) -> SqlitePolicyStore {
        SqlitePolicyStore { db }
    }

    /// Whether settings were ever saved (the trait answers defaults either way).
    pub async fn has_settings(&self) -> TeamResult<bool> {
        self.db
            .call(|conn| {
                conn.query_row("SELECT EXISTS (SELECT 1 FROM settings)", [], |row| {
                    row.get(0)
                })
                .map_err(db_error)
            })
            .await
    }

    async fn bodies(&self, sql: &'static str, args: Vec<SqlValue>) -> TeamResult<Vec<String>> {
        self.db
            .call(move |conn| {
                let mut statement = conn.prepare_cached(sql).map_err(db_error)?;
                let rows = statement
                    .query_map(params_from_iter(args), |row| row.get(0))
                    .map_err(db_error)?;
                rows.collect::<Result<Vec<_>, _>>().map_err(db_error)
            })
            .await
    }

    /// The one policy `sql` selects by id (`?1`), decoded; `None` when there is none.
    async fn policy_by_id<T: serde::de::DeserializeOwned>(
        &self,
        sql: &'static str,
        what: &str,
        id: &PolicyId,
    ) -> TeamResult<Option<T>> {
        let bodies = self
            .bodies(sql, vec![SqlValue::Text(id.to_string())])
            .await?;
        bodies.first().map(|b| from_json(what, b)).transpose()
    }

    /// Runs one writing statement; answers how many rows it changed.
    async fn execute(&self, sql: &'static str, args: Vec<SqlValue>) -> TeamResult<usize> {
        self.db
            .call(move |conn| conn.execute(sql, params_from_iter(args)).map_err(db_error))
            .await
    }

    async fn delete(&self, sql: &'static str, id: &PolicyId) -> TeamResult<bool> {
        let changed = self
            .execute(sql, vec![SqlValue::Text(id.to_string())])
            .await?;
        Ok(changed > 0)
    }
}

fn principal_columns(principal: &Principal) -> (&'static str, String) {
    match principal {
        Principal::User(id) => ("user", id.to_string()),
        Principal::Group(id) => ("group", id.to_string()),
    }
}

fn decode_all<T: serde::de::DeserializeOwned>(what: &str, bodies: &[String]) -> TeamResult<Vec<T>> {
    bodies.iter().map(|b| from_json(what, b)).collect()
}

#[async_trait]
impl PolicyStore for SqlitePolicyStore {
    async fn settings(&self) -> TeamResult<Settings> {
        let body = self
            .bodies("SELECT body FROM settings WHERE id = 1", Vec::new())
            .await?;
        match body.first() {
            Some(b) => from_json("settings", b),
            None => Ok(Settings::default()),
        }
    }

    async fn put_settings(&self, settings: &Settings) -> TeamResult<()> {
        self.execute(
            "INSERT INTO settings (id, body) VALUES (1, ?1)
             ON CONFLICT (id) DO UPDATE SET body = excluded.body",
            vec![SqlValue::Text(to_json(settings)?)],
        )
        .await?;
        Ok(())
    }

    async fn eligibility_policies(&self) -> TeamResult<Vec<EligibilityPolicy>> {
        let bodies = self
            .bodies(
                "SELECT body FROM eligibility_policies ORDER BY id",
                Vec::new(),
            )
            .await?;
        decode_all("eligibility policy", &bodies)
    }

    async fn eligibility_policies_for(
        &self,
        principals: &[Principal],
    ) -> TeamResult<Vec<EligibilityPolicy>> {
        if principals.is_empty() {
            return Ok(Vec::new());
        }
        let pairs: Vec<(&'static str, String)> = principals.iter().map(principal_columns).collect();
        let bodies = self
            .db
            .call(move |conn| {
                let mut out = Vec::new();
                // One indexed lookup per principal; a policy names one principal, so no duplicates.
                let mut statement = conn
                    .prepare_cached(
                        "SELECT id, body FROM eligibility_policies
                         WHERE principal_type = ?1 AND principal_id = ?2",
                    )
                    .map_err(db_error)?;
                for (kind, id) in &pairs {
                    let rows = statement
                        .query_map(params![kind, id], |row| {
                            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
                        })
                        .map_err(db_error)?;
                    for row in rows {
                        out.push(row.map_err(db_error)?);
                    }
                }
                out.sort();
                out.dedup_by(|a, b| a.0 == b.0);
                Ok(out.into_iter().map(|(_, body)| body).collect::<Vec<_>>())
            })
            .await?;
        decode_all("eligibility policy", &bodies)
    }

    async fn eligibility_policy(&self, id: &PolicyId) -> TeamResult<Option<EligibilityPolicy>> {
        self.policy_by_id(
            "SELECT body FROM eligibility_policies WHERE id = ?1",
            "eligibility policy",
            id,
        )
        .await
    }

    async fn put_eligibility_policy(&self, policy: &EligibilityPolicy) -> TeamResult<()> {
        let (kind, principal) = principal_columns(&policy.spec.principal);
        self.execute(
            "INSERT INTO eligibility_policies (id, principal_type, principal_id, body)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (id) DO UPDATE SET principal_type = excluded.principal_type,
                 principal_id = excluded.principal_id, body = excluded.body",
            vec![
                SqlValue::Text(policy.id.to_string()),
                SqlValue::Text(kind.into()),
                SqlValue::Text(principal),
                SqlValue::Text(to_json(policy)?),
            ],
        )
        .await?;
        Ok(())
    }

    async fn delete_eligibility_policy(&self, id: &PolicyId) -> TeamResult<bool> {
        self.delete("DELETE FROM eligibility_policies WHERE id = ?1", id)
            .await
    }

    async fn approver_policies(&self) -> TeamResult<Vec<ApproverPolicy>> {
        let bodies = self
            .bodies("SELECT body FROM approver_policies ORDER BY id", Vec::new())
            .await?;
        decode_all("approver policy", &bodies)
    }

    async fn approver_policy(&self, id: &PolicyId) -> TeamResult<Option<ApproverPolicy>> {
        self.policy_by_id(
            "SELECT body FROM approver_policies WHERE id = ?1",
            "approver policy",
            id,
        )
        .await
    }

    async fn put_approver_policy(&self, policy: &ApproverPolicy) -> TeamResult<()> {
        self.execute(
            "INSERT INTO approver_policies (id, body) VALUES (?1, ?2)
             ON CONFLICT (id) DO UPDATE SET body = excluded.body",
            vec![
                SqlValue::Text(policy.id.to_string()),
                SqlValue::Text(to_json(policy)?),
            ],
        )
        .await?;
        Ok(())
    }

    async fn delete_approver_policy(&self, id: &PolicyId) -> TeamResult<bool> {
        self.delete("DELETE FROM approver_policies WHERE id = ?1", id)
            .await
    }
}
