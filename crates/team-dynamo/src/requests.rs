//! [`RequestStore`] on the requests table.
//!
//! One item collection per request (`pk = REQUEST#<id>`): the request itself
//! (`sk = REQUEST`), one copy per decider (`DECIDER#<user>`), one reference per approver
//! (`APPROVER#<user>`, keys only) and its events (`EVENT#<sequence>`). A request is
//! written in one transaction with its decider copies, conditional on its `version`.
//! Approvers are references rather than copies because an approver group can have more
//! members than one transaction holds (100 actions): references never change, so they
//! are written before the request and need no transaction, and reading a reference
//! fetches the request itself, so an approver always sees its current status. Leases
//! are items of their own (`pk = LEASE#<assignment key>`).
//!
//! Lists are keyset pages over `createdKey` (creation time, then id), newest first,
//! read from a global secondary index chosen by the query's most selective filter.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::hash::{DefaultHasher, Hash as _, Hasher as _};

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeValue, Delete, DeleteRequest, KeysAndAttributes, Put, PutRequest, TransactWriteItem,
    WriteRequest,
};
use team_core::ids::RequestId;
use team_core::ports::{Lease, Page, PageCursor, RequestQuery, RequestStore};
use team_core::request::{AccessRequest, Assignment, RequestEvent, Status};
use team_core::{TeamError, TeamResult};

use crate::error::{Call, sdk_error, transaction_error};
use crate::item::{
    ACCOUNT_ID, CREATED_KEY, END_NS, INDEX_USER, ITEM_TYPE, Item, PK, REQUEST_STATUS, REQUESTER_ID,
    SK, START_NS, created_key, decode, encode, n, nanos, s, string,
};
use crate::schema::{BY_ACCOUNT, BY_REQUESTER, BY_STATUS, BY_USER};

/// Sort key of the request item in its collection.
const REQUEST_SK: &str = "REQUEST";
/// Sort key prefix of events.
const EVENT_PREFIX: &str = "EVENT#";
/// Sort key prefix of approver references.
const APPROVER_PREFIX: &str = "APPROVER#";
/// Sort key prefix of decider copies.
const DECIDER_PREFIX: &str = "DECIDER#";
/// Sort key of a lease item.
const LEASE_SK: &str = "LEASE";
/// The byStatus key of a lease whose removal is owed (no request status looks like it).
const OWED_LEASE_STATUS: &str = "lease:removal-owed";
/// DynamoDB's limit of actions in one transaction.
const MAX_TRANSACTION_ACTIONS: usize = 100;
/// DynamoDB's limit of writes in one `BatchWriteItem`.
const MAX_BATCH_WRITE: usize = 25;
/// DynamoDB's limit of keys in one `BatchGetItem`.
const MAX_BATCH_GET: usize = 100;
/// Calls a batch makes for items DynamoDB left unprocessed (throttling) before giving up.
const BATCH_ATTEMPTS: u32 = 8;
/// Appends racing for the same sequence number retry this often before giving up.
const APPEND_ATTEMPTS: usize = 16;
/// Most items one index `Query` evaluates; pages are read lazily up to this size.
const MAX_READ: usize = 1000;

/// [`RequestStore`] on a DynamoDB table laid out as [`crate::requests_table`] defines.
#[derive(Debug, Clone)]
pub struct DynamoRequestStore {
    client: Client,
    table: String,
}

impl DynamoRequestStore {
    /// A store over the table named `table` (created with [`crate::requests_table`]).
    pub fn new(client: Client, table: impl Into<String>) -> DynamoRequestStore {
        DynamoRequestStore {
            client,
            table: table.into(),
        }
    }

    /// The table name.
    pub fn table(&self) -> &str {
        &self.table
    }

    fn call(&self, operation: &'static str) -> Call<'_> {
        Call {
            table: &self.table,
            operation,
        }
    }

    /// Every item `query` finds, page after page, decoded as `what`.
    async fn query_all<T: serde::de::DeserializeOwned>(
        &self,
        what: &str,
        query: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
    ) -> TeamResult<Vec<T>> {
        let mut all = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let out = query
                .clone()
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| sdk_error(self.call("Query"), None, e))?;
            for item in out.items.unwrap_or_default() {
                all.push(decode(what, item)?);
            }
            match out.last_evaluated_key.filter(|k| !k.is_empty()) {
                Some(key) => start = Some(key),
                None => return Ok(all),
            }
        }
    }

    /// A strongly consistent read of one item.
    async fn get_item(&self, pk: String, sk: &str) -> TeamResult<Option<Item>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PK, s(pk))
            .key(SK, s(sk))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error(self.call("GetItem"), None, e))?;
        Ok(out.item)
    }

    /// The stored request at version `expected`; `Conflict` when it is missing or newer.
    async fn stored_request(
        &self,
        request_pk: &str,
        id: &RequestId,
        expected: u64,
    ) -> TeamResult<AccessRequest> {
        let conflict = || TeamError::Conflict(format!("request {id}"));
        let Some(item) = self.get_item(request_pk.to_owned(), REQUEST_SK).await? else {
            return Err(conflict());
        };
        let stored: AccessRequest = decode("request", item)?;
        if stored.version != expected {
            return Err(conflict());
        }
        Ok(stored)
    }

    /// Writes `writes` in batches, calling again for what DynamoDB leaves unprocessed.
    async fn batch_write(&self, subject: &str, writes: Vec<WriteRequest>) -> TeamResult<()> {
        let what = format!("index writes of {subject}");
        for chunk in writes.chunks(MAX_BATCH_WRITE) {
            until_processed(&what, chunk.to_vec(), |pending| self.write_once(pending)).await?;
        }
        Ok(())
    }

    /// One `BatchWriteItem`: the writes left unprocessed (and no results).
    async fn write_once(
        &self,
        writes: Vec<WriteRequest>,
    ) -> TeamResult<(Vec<WriteRequest>, Vec<()>)> {
        let out = self
            .client
            .batch_write_item()
            .request_items(&self.table, writes)
            .send()
            .await
            .map_err(|e| sdk_error(self.call("BatchWriteItem"), None, e))?;
        let left = out
            .unprocessed_items
            .and_then(|mut left| left.remove(&self.table))
            .unwrap_or_default();
        Ok((left, Vec::new()))
    }

    /// The request items of `pks` (strongly consistent), in the order of `pks`;
    /// requests that do not exist are left out.
    async fn request_items(&self, pks: &[String]) -> TeamResult<Vec<Item>> {
        let unique: BTreeSet<&String> = pks.iter().collect();
        let unique: Vec<&String> = unique.into_iter().collect();
        let mut found: HashMap<String, Item> = HashMap::new();
        for chunk in unique.chunks(MAX_BATCH_GET) {
            let keys: Vec<Item> = chunk
                .iter()
                .map(|pk| HashMap::from([(PK.to_owned(), s(*pk)), (SK.to_owned(), s(REQUEST_SK))]))
                .collect();
            for item in until_processed("request reads", keys, |keys| self.read_once(keys)).await? {
                if let Some(pk) = string(&item, PK) {
                    found.insert(pk.to_owned(), item);
                }
            }
        }
        Ok(pks.iter().filter_map(|pk| found.remove(pk)).collect())
    }

    /// One strongly consistent `BatchGetItem`: the keys left unprocessed, and the items found.
    async fn read_once(&self, keys: Vec<Item>) -> TeamResult<(Vec<Item>, Vec<Item>)> {
        let wanted = KeysAndAttributes::builder()
            .set_keys(Some(keys))
            .consistent_read(true)
            .build()
            .map_err(|e| TeamError::Internal(format!("cannot build a read of requests: {e}")))?;
        let out = self
            .client
            .batch_get_item()
            .request_items(&self.table, wanted)
            .send()
            .await
            .map_err(|e| sdk_error(self.call("BatchGetItem"), None, e))?;
        let left = out
            .unprocessed_keys
            .and_then(|mut left| left.remove(&self.table))
            .map(|left| left.keys)
            .unwrap_or_default();
        let found = out
            .responses
            .and_then(|mut r| r.remove(&self.table))
            .unwrap_or_default();
        Ok((left, found))
    }

    /// The request items of one query source, newest first, `limit` at most, before `cursor`.
    async fn read_source(
        &self,
        source: &mut Source,
        filter: &Filter,
        cursor: Option<&str>,
        limit: usize,
    ) -> TeamResult<()> {
        let mut key_condition = String::from("#key = :key");
        let mut request = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(source.index)
            .scan_index_forward(false)
            .limit(i32::try_from(limit.clamp(1, MAX_READ)).unwrap_or(1))
            .expression_attribute_names("#key", source.attribute)
            .expression_attribute_values(":key", s(source.value.clone()))
            .set_exclusive_start_key(source.next.take());
        if let Some(cursor) = cursor {
            key_condition.push_str(" AND #created < :cursor");
            request = request
                .expression_attribute_names("#created", CREATED_KEY)
                .expression_attribute_values(":cursor", s(cursor));
        }
        request = request.key_condition_expression(key_condition);
        // References carry keys only: a filter would drop them all, so `matches` checks
        // their requests after the read instead.
        if let Some(expression) = filter.expression.as_ref().filter(|_| !source.references) {
            request = request.filter_expression(expression);
            for (name, attribute) in &filter.names {
                request = request.expression_attribute_names(*name, *attribute);
            }
            for (name, value) in &filter.values {
                request = request.expression_attribute_values(name, value.clone());
            }
        }
        let out = request
            .send()
            .await
            .map_err(|e| sdk_error(self.call("Query"), None, e))?;
        source.next = out.last_evaluated_key.filter(|k| !k.is_empty());
        source.done = source.next.is_none();
        let mut items = out.items.unwrap_or_default();
        if source.references {
            let pks: Vec<String> = items
                .iter()
                .filter_map(|item| string(item, PK).map(str::to_owned))
                .collect();
            items = self.request_items(&pks).await?;
        }
        for item in items {
            let Some(key) = string(&item, CREATED_KEY).map(str::to_owned) else {
                return Err(TeamError::Internal(format!(
                    "an item of index {} has no {CREATED_KEY}",
                    source.index
                )));
            };
            source.pending.push_back((key, item));
        }
        Ok(())
    }

    /// The event with the highest sequence number of a request, if any.
    async fn last_event_sequence(&self, request_pk: &str) -> TeamResult<u64> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#sk", SK)
            .expression_attribute_values(":pk", s(request_pk))
            .expression_attribute_values(":prefix", s(EVENT_PREFIX))
            .projection_expression("#sk")
            .scan_index_forward(false)
            .limit(1)
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error(self.call("Query"), None, e))?;
        let last = out.items.unwrap_or_default();
        match last.first().and_then(|item| string(item, SK)) {
            None => Ok(0),
            Some(sk) => sk
                .strip_prefix(EVENT_PREFIX)
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| TeamError::Internal(format!("stored event key {sk} is corrupt"))),
        }
    }
}

/// The sort keys of a request's approver references.
fn approver_keys(request: &AccessRequest) -> BTreeSet<String> {
    request
        .approvers
        .iter()
        .map(|a| format!("{APPROVER_PREFIX}{}", a.user_id))
        .collect()
}

/// The sort keys of a request's decider copies.
fn decider_keys(request: &AccessRequest) -> BTreeSet<String> {
    request
        .decisions
        .iter()
        .map(|d| format!("{DECIDER_PREFIX}{}", d.by.user_id))
        .collect()
}

/// Calls `call` with `pending` until DynamoDB has processed all of it. Each call answers
/// what it left unprocessed (DynamoDB does so when throttled) and what it returned; the
/// next call waits 50 ms doubling up to 1.6 s, and after [`BATCH_ATTEMPTS`] calls what
/// is left is a transient error.
async fn until_processed<T, R, F, Fut>(
    what: &str,
    mut pending: Vec<T>,
    mut call: F,
) -> TeamResult<Vec<R>>
where
    F: FnMut(Vec<T>) -> Fut,
    Fut: std::future::Future<Output = TeamResult<(Vec<T>, Vec<R>)>>,
{
    let mut results = Vec::new();
    for attempt in 0..BATCH_ATTEMPTS {
        if pending.is_empty() {
            break;
        }
        if attempt > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(50 << attempt.min(5))).await;
        }
        let (left, got) = call(pending).await?;
        results.extend(got);
        pending = left;
    }
    if pending.is_empty() {
        Ok(results)
    } else {
        Err(TeamError::Transient(format!(
            "DynamoDB left {} {what} unprocessed after {BATCH_ATTEMPTS} calls",
            pending.len()
        )))
    }
}

/// The same token for the same write, so that when the SDK retries a transaction that
/// DynamoDB committed but whose answer was lost, the retry succeeds instead of failing
/// its own version condition (DynamoDB remembers tokens for ten minutes). At most 36
/// characters, as DynamoDB requires.
fn idempotency_token(request: &AccessRequest, expected: Option<u64>) -> String {
    let text = format!("{request:?}|{expected:?}");
    let hash = |salt: &str| {
        let mut hasher = DefaultHasher::new();
        salt.hash(&mut hasher);
        text.hash(&mut hasher);
        hasher.finish()
    };
    format!("{:016x}{:016x}", hash("a"), hash("b"))
}

fn request_pk(id: &RequestId) -> String {
    format!("REQUEST#{id}")
}

fn lease_pk(assignment: &Assignment) -> String {
    format!("LEASE#{}", assignment.key())
}

/// Condition of a versioned write: absent, or at the expected version.
struct VersionCondition {
    expression: String,
    names: Option<HashMap<String, String>>,
    values: Option<HashMap<String, AttributeValue>>,
}

fn version_condition(expected: Option<u64>) -> VersionCondition {
    match expected {
        None => VersionCondition {
            expression: format!("attribute_not_exists({PK})"),
            names: None,
            values: None,
        },
        Some(v) => VersionCondition {
            expression: "#version = :expected".to_owned(),
            names: Some([("#version".to_owned(), "version".to_owned())].into()),
            values: Some([(":expected".to_owned(), n(v))].into()),
        },
    }
}

/// One index partition a query reads, with what it has read and not yet used.
struct Source {
    index: &'static str,
    attribute: &'static str,
    value: String,
    pending: VecDeque<(String, Item)>,
    next: Option<Item>,
    done: bool,
    /// The partition holds references to requests, not copies of them.
    references: bool,
}

impl Source {
    fn new(index: &'static str, attribute: &'static str, value: String) -> Source {
        Source {
            index,
            attribute,
            value,
            pending: VecDeque::new(),
            next: None,
            done: false,
            references: false,
        }
    }
}

/// The index partitions that hold every request a query can match: the most selective
/// filter that has an index picks it. Statuses without a better filter read one
/// `byStatus` partition each (every status when none is given) and are merged.
fn sources(query: &RequestQuery) -> Vec<Source> {
    if let Some(user) = &query.requester {
        return vec![Source::new(BY_REQUESTER, REQUESTER_ID, user.to_string())];
    }
    if let Some(user) = &query.approver {
        let mut source = Source::new(BY_USER, INDEX_USER, format!("{APPROVER_PREFIX}{user}"));
        source.references = true;
        return vec![source];
    }
    if let Some(user) = &query.decided_by {
        return vec![Source::new(
            BY_USER,
            INDEX_USER,
            format!("{DECIDER_PREFIX}{user}"),
        )];
    }
    if let Some(account) = &query.account {
        return vec![Source::new(BY_ACCOUNT, ACCOUNT_ID, account.to_string())];
    }
    let statuses: BTreeSet<Status> = if query.statuses.is_empty() {
        Status::ALL.into_iter().collect()
    } else {
        query.statuses.iter().copied().collect()
    };
    statuses
        .into_iter()
        .map(|status| Source::new(BY_STATUS, REQUEST_STATUS, status.as_str().to_owned()))
        .collect()
}

/// The part of a query DynamoDB can check while reading (requester, statuses, account,
/// time window). Approvers and deciders are lists, which a filter cannot match on one
/// field, so [`matches`] checks everything again on the decoded request.
struct Filter {
    expression: Option<String>,
    names: Vec<(&'static str, &'static str)>,
    values: Vec<(String, AttributeValue)>,
}

fn filter(query: &RequestQuery) -> Filter {
    let mut parts = Vec::new();
    let mut names = Vec::new();
    let mut values = Vec::new();
    if let Some(user) = &query.requester {
        parts.push("#requester.#userId = :requester".to_owned());
        names.push(("#requester", "requester"));
        names.push(("#userId", "userId"));
        values.push((":requester".to_owned(), s(user.to_string())));
    }
    if !query.statuses.is_empty() {
        let marks: Vec<String> = (0..query.statuses.len())
            .map(|i| format!(":status{i}"))
            .collect();
        parts.push(format!("#status IN ({})", marks.join(", ")));
        names.push(("#status", "status"));
        for (mark, status) in marks.into_iter().zip(&query.statuses) {
            values.push((mark, s(status.as_str())));
        }
    }
    if let Some(account) = &query.account {
        parts.push("#account.#accountKey = :account".to_owned());
        names.push(("#account", "account"));
        names.push(("#accountKey", "id"));
        values.push((":account".to_owned(), s(account.to_string())));
    }
    if let Some(after) = query.active_after {
        parts.push("#endNs > :after".to_owned());
        names.push(("#endNs", END_NS));
        values.push((":after".to_owned(), n(nanos(after))));
    }
    if let Some(before) = query.active_before {
        parts.push("#startNs < :before".to_owned());
        names.push(("#startNs", START_NS));
        values.push((":before".to_owned(), n(nanos(before))));
    }
    Filter {
        expression: (!parts.is_empty()).then(|| parts.join(" AND ")),
        names,
        values,
    }
}

/// Whether a request matches every filter of a query (the SQLite store's semantics).
fn matches(request: &AccessRequest, query: &RequestQuery) -> bool {
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

#[async_trait]
impl RequestStore for DynamoRequestStore {
    async fn put(&self, request: &AccessRequest, expected_version: Option<u64>) -> TeamResult<()> {
        let subject = format!("request {}", request.id);
        let pk = request_pk(&request.id);
        tracing::debug!(table = %self.table, request_id = %request.id, version = request.version, expected_version, "put request");
        let mut body = encode("request", request)?;
        body.insert(PK.into(), s(&pk));
        body.insert(
            CREATED_KEY.into(),
            s(created_key(request.created_at, request.id.as_str())),
        );
        body.insert(START_NS.into(), n(nanos(request.start_time)));
        body.insert(END_NS.into(), n(nanos(request.end_time)));

        // Index items of users no longer named must go; the transaction's version
        // condition makes sure the stored request we read them from is still current.
        let stored = match expected_version {
            None => None,
            Some(expected) => Some(self.stored_request(&pk, &request.id, expected).await?),
        };
        let (old_approvers, old_deciders) = stored
            .as_ref()
            .map(|r| (approver_keys(r), decider_keys(r)))
            .unwrap_or_default();
        let approvers = approver_keys(request);
        let deciders = decider_keys(request);
        let stale_deciders: Vec<String> = old_deciders.difference(&deciders).cloned().collect();
        if 1 + deciders.len() + stale_deciders.len() > MAX_TRANSACTION_ACTIONS {
            return Err(TeamError::Internal(format!(
                "{subject} has decisions of {} users; one DynamoDB transaction holds {} decider copies at most",
                deciders.len(),
                MAX_TRANSACTION_ACTIONS - 1
            )));
        }
        // References go first: one whose request does not exist or no longer names the
        // approver is skipped by every read, so this order can neither show a request to
        // a wrong approver nor hide it from a right one if the transaction below fails.
        let created = created_key(request.created_at, request.id.as_str());
        let mut references = Vec::new();
        for key in approvers.difference(&old_approvers) {
            let item = HashMap::from([
                (PK.to_owned(), s(&pk)),
                (SK.to_owned(), s(key)),
                (INDEX_USER.to_owned(), s(key)),
                (CREATED_KEY.to_owned(), s(&created)),
                (ITEM_TYPE.to_owned(), s("approver")),
            ]);
            let put = PutRequest::builder()
                .set_item(Some(item))
                .build()
                .map_err(|e| {
                    TeamError::Internal(format!("cannot build the write of {subject}: {e}"))
                })?;
            references.push(WriteRequest::builder().put_request(put).build());
        }
        self.batch_write(&subject, references).await?;

        let mut main = body.clone();
        main.insert(SK.into(), s(REQUEST_SK));
        main.insert(ITEM_TYPE.into(), s("request"));
        main.insert(
            REQUESTER_ID.into(),
            s(request.requester.user_id.to_string()),
        );
        main.insert(REQUEST_STATUS.into(), s(request.status.as_str()));
        main.insert(ACCOUNT_ID.into(), s(request.account.id.to_string()));
        let condition = version_condition(expected_version);
        let put_main = Put::builder()
            .table_name(&self.table)
            .set_item(Some(main))
            .condition_expression(condition.expression)
            .set_expression_attribute_names(condition.names)
            .set_expression_attribute_values(condition.values)
            .build()
            .map_err(|e| {
                TeamError::Internal(format!("cannot build the write of {subject}: {e}"))
            })?;
        let mut actions = vec![TransactWriteItem::builder().put(put_main).build()];
        for key in &deciders {
            let mut copy = body.clone();
            copy.insert(SK.into(), s(key));
            copy.insert(INDEX_USER.into(), s(key));
            copy.insert(ITEM_TYPE.into(), s("decider"));
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(copy))
                .build()
                .map_err(|e| {
                    TeamError::Internal(format!("cannot build the write of {subject}: {e}"))
                })?;
            actions.push(TransactWriteItem::builder().put(put).build());
        }
        for key in stale_deciders {
            let delete = Delete::builder()
                .table_name(&self.table)
                .key(PK, s(&pk))
                .key(SK, s(key))
                .build()
                .map_err(|e| {
                    TeamError::Internal(format!("cannot build the write of {subject}: {e}"))
                })?;
            actions.push(TransactWriteItem::builder().delete(delete).build());
        }
        self.client
            .transact_write_items()
            .client_request_token(idempotency_token(request, expected_version))
            .set_transact_items(Some(actions))
            .send()
            .await
            .map_err(|e| transaction_error(self.call("TransactWriteItems"), &subject, e))?;

        // A reference left behind costs a read and is skipped, so failing to delete it
        // must not fail a write that has already happened.
        let mut dropped = Vec::new();
        for key in old_approvers.difference(&approvers) {
            let key = HashMap::from([(PK.to_owned(), s(&pk)), (SK.to_owned(), s(key))]);
            match DeleteRequest::builder().set_key(Some(key)).build() {
                Ok(delete) => dropped.push(WriteRequest::builder().delete_request(delete).build()),
                Err(err) => tracing::warn!(error = %err, "cannot build the delete of a reference"),
            }
        }
        if let Err(err) = self.batch_write(&subject, dropped).await {
            tracing::warn!(table = %self.table, request_id = %request.id, error = %err, "stale approver references stay");
        }
        Ok(())
    }

    async fn get(&self, id: &RequestId) -> TeamResult<Option<AccessRequest>> {
        self.get_item(request_pk(id), REQUEST_SK)
            .await?
            .map(|item| decode("request", item))
            .transpose()
    }

    async fn query(&self, query: &RequestQuery) -> TeamResult<Page<AccessRequest>> {
        // The index sort key a token continues after.
        let cursor = query
            .next_token
            .as_deref()
            .map(PageCursor::parse)
            .transpose()?
            .map(|c| created_key(c.created_at, c.id.as_str()));
        let limit = query.limit.max(1);
        // One item more than the page tells whether another page follows.
        let wanted = limit.saturating_add(1);
        let filter = filter(query);
        let mut sources = sources(query);
        let mut items: Vec<AccessRequest> = Vec::new();
        while items.len() < wanted {
            for source in &mut sources {
                while source.pending.is_empty() && !source.done {
                    self.read_source(source, &filter, cursor.as_deref(), wanted)
                        .await?;
                }
            }
            // Merge: the newest head of all sources comes next.
            let newest = sources
                .iter_mut()
                .filter(|s| !s.pending.is_empty())
                .max_by(|a, b| {
                    let key = |s: &Source| s.pending.front().map(|(k, _)| k.clone());
                    key(a).cmp(&key(b))
                });
            let Some((_, item)) = newest.and_then(|s| s.pending.pop_front()) else {
                break;
            };
            let request: AccessRequest = decode("request", item)?;
            // Index items are copies; a stale copy of a changed request is skipped.
            if matches(&request, query) {
                items.push(request);
            }
        }
        let more = items.len() > limit;
        items.truncate(limit);
        let next_token = match (more, items.last()) {
            (true, Some(last)) => Some(PageCursor::after(last).token()),
            _ => None,
        };
        tracing::debug!(table = %self.table, returned = items.len(), more, "queried requests");
        Ok(Page { items, next_token })
    }

    async fn append_event(&self, event: &RequestEvent) -> TeamResult<()> {
        let pk = request_pk(&event.request_id);
        let mut item = encode("event", event)?;
        item.insert(PK.into(), s(&pk));
        item.insert(ITEM_TYPE.into(), s("event"));
        // Sequence numbers keep the order of appending (two events may share a time);
        // a racing append takes the next number.
        for _ in 0..APPEND_ATTEMPTS {
            let sequence = self.last_event_sequence(&pk).await?.saturating_add(1);
            item.insert(SK.into(), s(format!("{EVENT_PREFIX}{sequence:012}")));
            let written = self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item.clone()))
                .condition_expression(format!("attribute_not_exists({PK})"))
                .send()
                .await
                .map_err(|e| sdk_error(self.call("PutItem"), Some("event sequence"), e));
            match written {
                Ok(_) => {
                    tracing::debug!(table = %self.table, request_id = %event.request_id, sequence, "appended event");
                    return Ok(());
                }
                Err(TeamError::Conflict(_)) => continue,
                Err(other) => return Err(other),
            }
        }
        Err(TeamError::Conflict(format!(
            "events of request {}",
            event.request_id
        )))
    }

    async fn events(&self, id: &RequestId) -> TeamResult<Vec<RequestEvent>> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#sk", SK)
            .expression_attribute_values(":pk", s(request_pk(id)))
            .expression_attribute_values(":prefix", s(EVENT_PREFIX))
            .consistent_read(true);
        self.query_all("event", query).await
    }

    async fn lease(&self, assignment: &Assignment) -> TeamResult<Option<Lease>> {
        self.get_item(lease_pk(assignment), LEASE_SK)
            .await?
            .map(|item| decode("lease", item))
            .transpose()
    }

    async fn put_lease(&self, lease: &Lease, expected_version: Option<u64>) -> TeamResult<()> {
        let key = lease.assignment.key();
        tracing::debug!(table = %self.table, assignment = %key, version = lease.version, expected_version, "put lease");
        let mut item = encode("lease", lease)?;
        item.insert(PK.into(), s(lease_pk(&lease.assignment)));
        item.insert(SK.into(), s(LEASE_SK));
        item.insert(ITEM_TYPE.into(), s("lease"));
        if lease.removing {
            // Owed removals join the byStatus index under a status no request has, so
            // the reconciler finds them with one Query, without reading every lease.
            item.insert(REQUEST_STATUS.into(), s(OWED_LEASE_STATUS));
            item.insert(CREATED_KEY.into(), s(&key));
        }
        let condition = version_condition(expected_version);
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(condition.expression)
            .set_expression_attribute_names(condition.names)
            .set_expression_attribute_values(condition.values)
            .send()
            .await
            .map_err(|e| sdk_error(self.call("PutItem"), Some(&format!("lease {key}")), e))?;
        Ok(())
    }

    async fn owed_leases(&self) -> TeamResult<Vec<Lease>> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(BY_STATUS)
            .key_condition_expression("#status = :owed")
            .expression_attribute_names("#status", REQUEST_STATUS)
            .expression_attribute_values(":owed", s(OWED_LEASE_STATUS));
        self.query_all("lease", query).await
    }
}
