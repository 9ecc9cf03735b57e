//! The DynamoDB stores against a real DynamoDB emulator (moto's server): the whole store
//! contract suite, plus what only a real table shows (races, paging while writing, the
//! documented indexes).
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, KeySchemaElement};
use common::Moto;
use team_contract::fixtures::{Ns, T0, decision, event, request, user};
use team_core::TeamError;
use team_core::ids::{AccountId, PermissionSetArn, UserId};
use team_core::policy::{Principal, Settings};
use team_core::ports::{PolicyStore, RequestQuery, RequestStore, SweepLog};
use team_core::request::{EventKind, Outcome, Status};
use team_core::sweep::{Finding, FindingAction, FindingKind, LeakMode, SweepCounts, SweepRun};
use team_dynamo::{DynamoSweepLog, EXPIRES_AT};

type Item = HashMap<String, AttributeValue>;

#[tokio::test]
async fn the_dynamodb_stores_pass_the_whole_store_contract() {
    let moto = Moto::start();
    let (requests, policies) = moto.stores().await;
    team_contract::run_all(&requests, &policies).await;
    // And again on the data the first run left behind.
    team_contract::run_request_checks(&requests).await;
    team_contract::run_policy_checks(&policies).await;
}

/// Two writers read version 1 and both write version 2: the second loses and nothing of
/// its write lands (neither the request nor its index items). moto's transactions are
/// not thread-safe (a failed one restores a copy of the whole table), so the race is
/// played out in order here; DynamoDB itself serialises conflicting transactions.
#[tokio::test]
async fn the_second_writer_of_the_same_version_gets_a_conflict_and_changes_nothing() {
    let moto = Moto::start();
    let (store, _) = moto.stores().await;
    let ns = Ns::new("race");
    let id = ns.request_id("r");
    let (bob, erin) = (ns.user_id("bob"), ns.user_id("erin"));
    let mut original = request(&id, &ns.user_id("alice"), &ns.account_id(1), T0);
    original.approvers = vec![user(&bob), user(&erin)];
    store.put(&original, None).await.unwrap();
    let read_by_bob = store.get(&id).await.unwrap().unwrap();
    let read_by_erin = store.get(&id).await.unwrap().unwrap();

    let mut approved = read_by_bob.clone();
    approved.version = 2;
    approved.status = Status::Approved;
    approved.decisions = vec![decision(&bob, Outcome::Approve, T0)];
    store.put(&approved, Some(1)).await.unwrap();
    let mut rejected = read_by_erin.clone();
    rejected.version = 2;
    rejected.status = Status::Rejected;
    rejected.decisions = vec![decision(&erin, Outcome::Reject, T0)];
    let err = store.put(&rejected, Some(1)).await.unwrap_err();

    assert!(matches!(err, TeamError::Conflict(_)), "{err:?}");
    assert_eq!(store.get(&id).await.unwrap(), Some(approved.clone()));
    let decided_by_erin = store
        .query(&RequestQuery {
            decided_by: Some(erin),
            limit: 10,
            ..RequestQuery::default()
        })
        .await
        .unwrap();
    assert!(
        decided_by_erin.items.is_empty(),
        "the losing write left an index item"
    );
}

#[tokio::test]
async fn a_fresh_policy_store_has_no_saved_settings_until_they_are_saved() {
    let moto = Moto::start();
    let (_, store) = moto.stores().await;
    assert!(!store.has_settings().await.unwrap());
    assert_eq!(store.settings().await.unwrap(), Settings::default());
    store.put_settings(&Settings::default()).await.unwrap();
    assert!(store.has_settings().await.unwrap());
}

#[tokio::test]
async fn a_request_with_more_deciders_than_one_transaction_holds_is_refused_unwritten() {
    let moto = Moto::start();
    let (store, _) = moto.stores().await;
    let ns = Ns::new("crowd");
    let id = ns.request_id("r");
    let mut crowded = request(&id, &ns.user_id("alice"), &ns.account_id(1), T0);
    crowded.decisions = (0..100)
        .map(|i| decision(&ns.user_id(&format!("a{i}")), Outcome::Approve, T0))
        .collect();
    let err = store.put(&crowded, None).await.unwrap_err();
    assert!(matches!(err, TeamError::Internal(_)), "{err:?}");
    assert_eq!(store.get(&id).await.unwrap(), None);
}

/// The queries `infra/dynamodb.md` gives auditors, run as written there.
#[tokio::test]
async fn the_auditor_queries_of_the_table_documentation_find_what_they_promise() {
    let moto = Moto::start();
    let (store, _) = moto.stores().await;
    let client = moto.client();
    let table = store.table().to_owned();
    let ns = Ns::new("audit");
    let (alice, bob) = (ns.user_id("alice"), ns.user_id("bob"));
    let mut decided = request(&ns.request_id("decided"), &alice, &ns.account_id(1), T0);
    decided.approvers = vec![user(&bob)];
    decided.decisions = vec![decision(&bob, Outcome::Approve, T0)];
    decided.status = Status::InProgress;
    let other = request(
        &ns.request_id("other"),
        &alice,
        &ns.account_id(2),
        T0 + time::Duration::days(40),
    );
    store.put(&decided, None).await.unwrap();
    store.put(&other, None).await.unwrap();
    store
        .append_event(&event(&decided.id, T0, EventKind::Submitted, "submitted"))
        .await
        .unwrap();

    let query = |index: Option<&str>, condition: &str, values: &[(&str, &str)]| {
        let mut q = client
            .query()
            .table_name(&table)
            .set_index_name(index.map(str::to_owned))
            .key_condition_expression(condition);
        for (name, value) in values {
            q = q.expression_attribute_values(*name, AttributeValue::S((*value).to_owned()));
        }
        q
    };
    let ids = |items: Vec<Item>| -> Vec<String> {
        items
            .iter()
            .map(|i| i["id"].as_s().unwrap().clone())
            .collect()
    };

    // Every request of a user, newest first.
    let out = query(
        Some("byRequester"),
        "requesterId = :u",
        &[(":u", alice.as_str())],
    )
    .scan_index_forward(false)
    .send()
    .await
    .unwrap();
    assert_eq!(
        ids(out.items.unwrap()),
        vec![other.id.to_string(), decided.id.to_string()]
    );

    // Every request in one status created in a time range (January 2026).
    let out = query(
        Some("byStatus"),
        "requestStatus = :s AND createdKey BETWEEN :from AND :to",
        &[
            (":s", "in progress"),
            (":from", "2026-01-01"),
            (":to", "2026-02-01"),
        ],
    )
    .send()
    .await
    .unwrap();
    let in_january = ids(out.items.unwrap());
    assert!(in_january.contains(&decided.id.to_string()));
    assert!(!in_january.contains(&other.id.to_string()));

    // Every request an approver decided (copies carry the request's id)...
    let key = format!("DECIDER#{bob}");
    let out = query(Some("byUser"), "indexUser = :k", &[(":k", &key)])
        .send()
        .await
        .unwrap();
    assert_eq!(ids(out.items.unwrap()), vec![decided.id.to_string()]);
    // ... and every request they may decide (references: the id is in the pk).
    let key = format!("APPROVER#{bob}");
    let out = query(Some("byUser"), "indexUser = :k", &[(":k", &key)])
        .send()
        .await
        .unwrap();
    let referenced: Vec<String> = out
        .items
        .unwrap()
        .iter()
        .map(|i| {
            i["pk"]
                .as_s()
                .unwrap()
                .trim_start_matches("REQUEST#")
                .to_owned()
        })
        .collect();
    assert_eq!(referenced, vec![decided.id.to_string()]);

    // Every request for an account.
    let account = ns.account_id(2);
    let out = query(
        Some("byAccount"),
        "accountId = :a",
        &[(":a", account.as_str())],
    )
    .send()
    .await
    .unwrap();
    assert_eq!(ids(out.items.unwrap()), vec![other.id.to_string()]);

    // One request's whole item collection: the request, its index items, its trail.
    let pk = format!("REQUEST#{}", decided.id);
    let out = query(None, "pk = :pk", &[(":pk", &pk)])
        .send()
        .await
        .unwrap();
    let kinds: Vec<String> = out
        .items
        .unwrap()
        .iter()
        .map(|i| i["itemType"].as_s().unwrap().clone())
        .collect();
    assert_eq!(kinds, ["approver", "decider", "event", "request"]);
}

#[tokio::test]
async fn the_created_tables_have_exactly_the_defined_keys_and_indexes() {
    let moto = Moto::start();
    let (requests, policies) = moto.stores().await;
    let client = moto.client();
    for definition in team_dynamo::table_definitions(requests.table(), policies.table()).unwrap() {
        let described = client
            .describe_table()
            .table_name(&definition.table_name)
            .send()
            .await
            .unwrap()
            .table
            .unwrap();
        assert_eq!(described.key_schema(), definition.key_schema.as_slice());
        let mut indexes: Vec<(String, Vec<KeySchemaElement>)> = described
            .global_secondary_indexes()
            .iter()
            .map(|i| (i.index_name().unwrap().to_owned(), i.key_schema().to_vec()))
            .collect();
        indexes.sort_by(|a, b| a.0.cmp(&b.0));
        let mut expected: Vec<(String, Vec<KeySchemaElement>)> = definition
            .global_secondary_indexes
            .iter()
            .map(|i| (i.index_name().to_owned(), i.key_schema().to_vec()))
            .collect();
        expected.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(indexes, expected, "{}", definition.table_name);
    }
}

/// A sweep run started at `at`, with one finding and, if `failed`, an error.
fn sweep_run(at: time::OffsetDateTime, failed: bool) -> SweepRun {
    SweepRun {
        started_at: at,
        finished_at: at + time::Duration::milliseconds(1500),
        leaks: LeakMode::Remove,
        counts: SweepCounts {
            requests: 3,
            owed_removals: 1,
            pairs: 2,
            assignments: 4,
        },
        findings: vec![Finding {
            kind: FindingKind::Leaked,
            action: FindingAction::Removed,
            request_id: None,
            account_id: Some(AccountId::parse("111122223333").unwrap()),
            permission_set_arn: Some(
                PermissionSetArn::parse(
                    "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-1234567890abcdef",
                )
                .unwrap(),
            ),
            principal: Some(Principal::User(UserId::parse("user-1").unwrap())),
            detail: "no live request held it; removed it".into(),
        }],
        errors: if failed {
            vec!["assignments: throttled".into()]
        } else {
            Vec::new()
        },
    }
}

#[tokio::test]
async fn the_sweep_log_answers_the_latest_runs_newest_first_up_to_the_limit() {
    let moto = Moto::start();
    let (store, _) = moto.stores().await;
    let client = moto.client();
    let table = store.table().to_owned();
    let log = DynamoSweepLog::new(client.clone(), table.clone());
    assert!(log.recent(10).await.unwrap().is_empty(), "nothing yet");

    // Recorded out of order: the order is the runs' start, not the writes'.
    let runs: Vec<SweepRun> = (0..4)
        .map(|i| sweep_run(T0 + time::Duration::minutes(5 * i), i == 2))
        .collect();
    for i in [1, 0, 3, 2] {
        log.record(&runs[i]).await.unwrap();
    }

    let newest_first: Vec<SweepRun> = runs.iter().rev().cloned().collect();
    assert_eq!(
        log.recent(10).await.unwrap(),
        newest_first,
        "all, newest first"
    );
    assert_eq!(log.recent(2).await.unwrap(), newest_first[..2], "the limit");
    assert_eq!(log.recent(1).await.unwrap(), newest_first[..1]);
    assert_eq!(
        log.recent(0).await.unwrap(),
        newest_first[..1],
        "at least one"
    );

    // Each run is one item in the SWEEPS partition, expiring 30 days after it started
    // (the table's time to live reads expiresAt, in seconds).
    let items = client
        .query()
        .table_name(&table)
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(":pk", AttributeValue::S("SWEEPS".into()))
        .send()
        .await
        .unwrap()
        .items
        .unwrap();
    assert_eq!(items.len(), 4);
    let first = &items[0];
    assert_eq!(first["itemType"].as_s().unwrap(), "sweep");
    let expires: i64 = first[EXPIRES_AT].as_n().unwrap().parse().unwrap();
    assert_eq!(
        expires,
        (T0 + time::Duration::days(30)).unix_timestamp(),
        "{first:?}"
    );
    // The runs are no requests: no request list shows them.
    let listed = store
        .query(&RequestQuery {
            limit: 10,
            ..RequestQuery::default()
        })
        .await
        .unwrap();
    assert!(listed.items.is_empty(), "{:?}", listed.items);
}
