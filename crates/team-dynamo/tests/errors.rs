//! Error paths and index choice, with DynamoDB mocked by `aws-smithy-mocks`: the mocks
//! answer with DynamoDB's wire format, so the SDK's own error parsing is covered too.
#![allow(clippy::unwrap_used)]

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::operation::get_item::GetItemOutput;
use aws_sdk_dynamodb::operation::query::QueryOutput;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use team_contract::fixtures::{Ns, T0, assignment, lease, request};
use team_core::TeamError;
use team_core::policy::Settings;
use team_core::ports::{PolicyStore, RequestQuery, RequestStore};
use team_core::request::Status;
use team_dynamo::{DynamoPolicyStore, DynamoRequestStore};

const TABLE: &str = "TeamRequests";

/// A client answering with `rules`; the SDK's own retries are off so each call is seen once.
fn client(rules: &[&Rule]) -> Client {
    mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, rules, |c| c
        .retry_config(RetryConfig::disabled()))
}

/// DynamoDB's JSON error body.
fn error_body(code: &str, message: &str) -> String {
    format!(r#"{{"__type":"com.amazonaws.dynamodb.v20120810#{code}","message":"{message}"}}"#)
}

fn cancelled_body(reasons: &[&str]) -> String {
    let objects: Vec<String> = reasons
        .iter()
        .map(|r| format!(r#"{{"Code":"{r}"}}"#))
        .collect();
    format!(
        r#"{{"__type":"com.amazonaws.dynamodb.v20120810#TransactionCanceledException","Message":"Transaction cancelled, please refer cancellation reasons for specific reasons [{}]","CancellationReasons":[{}]}}"#,
        reasons.join(", "),
        objects.join(",")
    )
}

fn a_request(ns: &Ns) -> team_core::request::AccessRequest {
    request(
        &ns.request_id("r"),
        &ns.user_id("alice"),
        &ns.account_id(1),
        T0,
    )
}

#[tokio::test]
async fn a_stale_version_is_a_conflict_and_nothing_is_written() {
    let ns = Ns::new("stale");
    let mut stored = a_request(&ns);
    stored.version = 2;
    let item: std::collections::HashMap<String, AttributeValue> =
        serde_dynamo::aws_sdk_dynamodb_1::to_item(&stored).unwrap();
    let get = mock!(Client::get_item).then_output(move || {
        GetItemOutput::builder()
            .set_item(Some(item.clone()))
            .build()
    });
    let write = mock!(Client::transact_write_items).then_output(|| {
        aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsOutput::builder()
            .build()
    });
    let store = DynamoRequestStore::new(client(&[&get, &write]), TABLE);

    let mut update = stored.clone();
    update.version = 2;
    let err = store.put(&update, Some(1)).await.unwrap_err();

    assert!(matches!(err, TeamError::Conflict(_)), "{err:?}");
    assert_eq!(write.num_calls(), 0, "a stale write never reaches DynamoDB");
}

#[tokio::test]
async fn a_write_cancelled_by_its_version_condition_is_a_conflict() {
    let write = mock!(Client::transact_write_items)
        .sequence()
        .http_status(
            400,
            Some(cancelled_body(&["ConditionalCheckFailed", "None"])),
        )
        .repeatedly()
        .build();
    let store = DynamoRequestStore::new(client(&[&write]), TABLE);
    let ns = Ns::new("exists");

    let err = store.put(&a_request(&ns), None).await.unwrap_err();

    match err {
        TeamError::Conflict(what) => assert!(what.contains(ns.request_id("r").as_str()), "{what}"),
        other => panic!("expected a Conflict, got {other:?}"),
    }
}

#[tokio::test]
async fn a_write_losing_a_race_with_another_transaction_is_a_conflict() {
    let write = mock!(Client::transact_write_items)
        .sequence()
        .http_status(400, Some(cancelled_body(&["TransactionConflict"])))
        .repeatedly()
        .build();
    let store = DynamoRequestStore::new(client(&[&write]), TABLE);

    let err = store
        .put(&a_request(&Ns::new("race")), None)
        .await
        .unwrap_err();

    assert!(matches!(err, TeamError::Conflict(_)), "{err:?}");
}

#[tokio::test]
async fn a_write_cancelled_by_throttling_is_transient() {
    let write = mock!(Client::transact_write_items)
        .sequence()
        .http_status(400, Some(cancelled_body(&["ThrottlingError", "None"])))
        .repeatedly()
        .build();
    let store = DynamoRequestStore::new(client(&[&write]), TABLE);

    let err = store
        .put(&a_request(&Ns::new("throttled")), None)
        .await
        .unwrap_err();

    assert!(matches!(err, TeamError::Transient(_)), "{err:?}");
}

#[tokio::test]
async fn a_lease_write_whose_condition_fails_is_a_conflict() {
    let write = mock!(Client::put_item)
        .sequence()
        .http_status(
            400,
            Some(error_body(
                "ConditionalCheckFailedException",
                "The conditional request failed",
            )),
        )
        .repeatedly()
        .build();
    let store = DynamoRequestStore::new(client(&[&write]), TABLE);
    let ns = Ns::new("lease");
    let a = assignment(&ns.user_id("alice"), &ns.account_id(1));

    let err = store
        .put_lease(&lease(&a, &[], 2), Some(1))
        .await
        .unwrap_err();

    match err {
        TeamError::Conflict(what) => assert!(what.starts_with("lease "), "{what}"),
        other => panic!("expected a Conflict, got {other:?}"),
    }
}

#[tokio::test]
async fn throttling_and_dynamodb_outages_are_transient() {
    for (status, code) in [
        (400, "ThrottlingException"),
        (400, "ProvisionedThroughputExceededException"),
        (400, "RequestLimitExceeded"),
        (500, "InternalServerError"),
        (503, "ServiceUnavailable"),
    ] {
        let get = mock!(Client::get_item)
            .sequence()
            .http_status(status, Some(error_body(code, "try again later")))
            .repeatedly()
            .build();
        let store = DynamoRequestStore::new(client(&[&get]), TABLE);

        let err = store
            .get(&Ns::new("busy").request_id("r"))
            .await
            .unwrap_err();

        assert!(matches!(err, TeamError::Transient(_)), "{code}: {err:?}");
        assert_eq!(err.code(), "TeamTransientError");
    }
}

#[tokio::test]
async fn a_server_error_without_a_code_is_transient() {
    let get = mock!(Client::get_item)
        .sequence()
        .http_status(502, None)
        .repeatedly()
        .build();
    let store = DynamoRequestStore::new(client(&[&get]), TABLE);

    let err = store
        .get(&Ns::new("bad-gateway").request_id("r"))
        .await
        .unwrap_err();

    assert!(matches!(err, TeamError::Transient(_)), "{err:?}");
}

#[tokio::test]
async fn a_throttled_policy_store_is_transient_too() {
    let put = mock!(Client::put_item)
        .sequence()
        .http_status(400, Some(error_body("ThrottlingException", "slow down")))
        .repeatedly()
        .build();
    let store = DynamoPolicyStore::new(client(&[&put]), "TeamPolicies");

    let err = store.put_settings(&Settings::default()).await.unwrap_err();

    assert!(matches!(err, TeamError::Transient(_)), "{err:?}");
}

#[tokio::test]
async fn any_other_dynamodb_error_is_internal_and_keeps_its_message() {
    let get = mock!(Client::get_item)
        .sequence()
        .http_status(
            400,
            Some(error_body(
                "ResourceNotFoundException",
                "Requested resource not found",
            )),
        )
        .repeatedly()
        .build();
    let store = DynamoRequestStore::new(client(&[&get]), TABLE);

    let err = store
        .get(&Ns::new("missing").request_id("r"))
        .await
        .unwrap_err();

    match err {
        TeamError::Internal(message) => {
            assert!(
                message.contains("Requested resource not found"),
                "{message}"
            );
            assert!(message.contains(TABLE), "{message}");
        }
        other => panic!("expected Internal, got {other:?}"),
    }
}

#[tokio::test]
async fn a_bad_next_token_is_a_validation_error_and_reads_nothing() {
    let query = mock!(Client::query).then_output(|| QueryOutput::builder().build());
    let store = DynamoRequestStore::new(client(&[&query]), TABLE);

    for token in ["garbage", "%%%", "djE6MTI6aGFzIHNwYWNl", ""] {
        let err = store
            .query(&RequestQuery {
                limit: 10,
                next_token: Some(token.into()),
                ..RequestQuery::default()
            })
            .await
            .unwrap_err();
        assert!(
            matches!(err, TeamError::Validation { .. }),
            "{token:?}: {err:?}"
        );
        assert_eq!(err.field(), Some("nextToken"));
    }
    assert_eq!(query.num_calls(), 0, "a refused token costs no read");
}

/// Counts the queries of one index partition; every other query or a scan fails the test.
fn index_rule(index: &'static str, attribute: &'static str, value: String) -> Rule {
    mock!(Client::query)
        .match_requests(move |q| {
            q.index_name() == Some(index)
                && q.expression_attribute_names()
                    .and_then(|n| n.get("#key"))
                    .map(String::as_str)
                    == Some(attribute)
                && q.expression_attribute_values()
                    .and_then(|v| v.get(":key"))
                    .and_then(|v| v.as_s().ok())
                    == Some(&value)
        })
        .then_output(|| QueryOutput::builder().build())
}

async fn run(store: &DynamoRequestStore, query: RequestQuery) {
    let page = store
        .query(&RequestQuery { limit: 5, ..query })
        .await
        .unwrap();
    assert!(page.items.is_empty() && page.next_token.is_none());
}

#[tokio::test]
async fn each_query_shape_reads_its_index_and_never_scans() {
    let ns = Ns::new("shapes");
    let (alice, bob) = (ns.user_id("alice"), ns.user_id("bob"));
    let account = ns.account_id(1);
    let requester = index_rule("byRequester", "requesterId", alice.to_string());
    let approver = index_rule("byUser", "indexUser", format!("APPROVER#{bob}"));
    let decider = index_rule("byUser", "indexUser", format!("DECIDER#{bob}"));
    let by_account = index_rule("byAccount", "accountId", account.to_string());
    let statuses: Vec<Rule> = Status::ALL
        .iter()
        .map(|s| index_rule("byStatus", "requestStatus", s.as_str().to_owned()))
        .collect();
    let scan = mock!(Client::scan)
        .then_output(|| aws_sdk_dynamodb::operation::scan::ScanOutput::builder().build());
    let mut rules = vec![&requester, &approver, &decider, &by_account, &scan];
    rules.extend(statuses.iter());
    let store = DynamoRequestStore::new(client(&rules), TABLE);

    // The requester wins over every other filter: it is the most selective.
    run(
        &store,
        RequestQuery {
            requester: Some(alice.clone()),
            approver: Some(bob.clone()),
            statuses: vec![Status::Pending],
            account: Some(account.clone()),
            ..RequestQuery::default()
        },
    )
    .await;
    assert_eq!(requester.num_calls(), 1);
    run(
        &store,
        RequestQuery {
            approver: Some(bob.clone()),
            statuses: vec![Status::Pending],
            ..RequestQuery::default()
        },
    )
    .await;
    assert_eq!(approver.num_calls(), 1);
    run(
        &store,
        RequestQuery {
            decided_by: Some(bob.clone()),
            active_after: Some(T0),
            ..RequestQuery::default()
        },
    )
    .await;
    assert_eq!(decider.num_calls(), 1);
    run(
        &store,
        RequestQuery {
            account: Some(account.clone()),
            statuses: vec![Status::Ended],
            ..RequestQuery::default()
        },
    )
    .await;
    assert_eq!(by_account.num_calls(), 1);
    // Statuses alone: one partition of byStatus each.
    run(
        &store,
        RequestQuery {
            statuses: vec![Status::Pending, Status::Error],
            active_before: Some(T0),
            ..RequestQuery::default()
        },
    )
    .await;
    let read = |s: Status| statuses[Status::ALL.iter().position(|x| *x == s).unwrap()].num_calls();
    assert_eq!(
        (
            read(Status::Pending),
            read(Status::Error),
            read(Status::Ended)
        ),
        (1, 1, 0)
    );
    // No filter at all: every status partition, merged newest first.
    run(&store, RequestQuery::default()).await;
    assert!(statuses.iter().all(|r| r.num_calls() >= 1));
    assert_eq!(scan.num_calls(), 0, "no query shape scans the table");
}

#[tokio::test]
async fn a_cancellation_naming_its_reason_only_in_the_message_is_still_a_conflict() {
    // Emulators (and older endpoints) may leave `CancellationReasons` out.
    let body = r#"{"__type":"com.amazonaws.dynamodb.v20120810#TransactionCanceledException","Message":"Transaction cancelled, please refer cancellation reasons for specific reasons [ConditionalCheckFailed, None]"}"#;
    let write = mock!(Client::transact_write_items)
        .sequence()
        .http_status(400, Some(body.to_owned()))
        .repeatedly()
        .build();
    let store = DynamoRequestStore::new(client(&[&write]), TABLE);

    let err = store
        .put(&a_request(&Ns::new("message")), None)
        .await
        .unwrap_err();

    assert!(matches!(err, TeamError::Conflict(_)), "{err:?}");
}

fn reference_write(pk: &str, sk: &str) -> aws_sdk_dynamodb::types::WriteRequest {
    use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
    let item = [("pk", pk), ("sk", sk)]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), AttributeValue::S(v.to_owned())))
        .collect();
    let put = PutRequest::builder().set_item(Some(item)).build().unwrap();
    WriteRequest::builder().put_request(put).build()
}

#[tokio::test]
async fn approver_references_left_unprocessed_are_written_again_before_the_request() {
    use aws_sdk_dynamodb::operation::batch_write_item::BatchWriteItemOutput;
    use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsOutput;
    let ns = Ns::new("unprocessed");
    let mut new = a_request(&ns);
    new.approvers = (0..3)
        .map(|i| team_contract::fixtures::user(&ns.user_id(&format!("approver{i}"))))
        .collect();
    let pk = format!("REQUEST#{}", new.id);
    let left = reference_write(&pk, &format!("APPROVER#{}", ns.user_id("approver2")));
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let record = seen.clone();
    let batch = mock!(Client::batch_write_item)
        .match_requests(move |input| {
            let writes = input
                .request_items()
                .and_then(|items| items.get(TABLE))
                .map_or(0, Vec::len);
            record.lock().unwrap().push(writes);
            true
        })
        .sequence()
        .output(move || {
            BatchWriteItemOutput::builder()
                .unprocessed_items(TABLE, vec![left.clone()])
                .build()
        })
        .output(|| BatchWriteItemOutput::builder().build())
        .build();
    let write = mock!(Client::transact_write_items)
        .then_output(|| TransactWriteItemsOutput::builder().build());
    let store = DynamoRequestStore::new(client(&[&batch, &write]), TABLE);

    store.put(&new, None).await.unwrap();

    assert_eq!(
        *seen.lock().unwrap(),
        vec![3, 1],
        "all three references, then the one DynamoDB left unprocessed"
    );
    assert_eq!(write.num_calls(), 1, "the request itself is written once");
}

#[tokio::test]
async fn references_are_resolved_to_the_requests_they_name_and_unprocessed_reads_retried() {
    use aws_sdk_dynamodb::operation::batch_get_item::BatchGetItemOutput;
    use aws_sdk_dynamodb::types::KeysAndAttributes;
    let ns = Ns::new("resolve");
    let bob = ns.user_id("bob");
    let mut pending = a_request(&ns);
    pending.approvers = vec![team_contract::fixtures::user(&bob)];
    let pk = format!("REQUEST#{}", pending.id);
    let created = format!(
        "{}#{}",
        pending
            .created_at
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap(),
        pending.id
    );
    let reference: std::collections::HashMap<String, AttributeValue> = [
        ("pk", pk.clone()),
        ("sk", format!("APPROVER#{bob}")),
        ("indexUser", format!("APPROVER#{bob}")),
        ("createdKey", created.clone()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), AttributeValue::S(v)))
    .collect();
    let mut item: std::collections::HashMap<String, AttributeValue> =
        serde_dynamo::aws_sdk_dynamodb_1::to_item(&pending).unwrap();
    item.insert("pk".into(), AttributeValue::S(pk.clone()));
    item.insert("sk".into(), AttributeValue::S("REQUEST".into()));
    item.insert("createdKey".into(), AttributeValue::S(created));
    // References carry no status: a filter expression would drop them all.
    let query = mock!(Client::query)
        .match_requests(|q| q.filter_expression().is_none())
        .then_output(move || QueryOutput::builder().items(reference.clone()).build());
    let key: std::collections::HashMap<String, AttributeValue> = [
        ("pk".to_owned(), AttributeValue::S(pk)),
        ("sk".to_owned(), AttributeValue::S("REQUEST".into())),
    ]
    .into();
    let get = mock!(Client::batch_get_item)
        .sequence()
        .output(move || {
            let left = KeysAndAttributes::builder()
                .keys(key.clone())
                .build()
                .unwrap();
            BatchGetItemOutput::builder()
                .unprocessed_keys(TABLE, left)
                .build()
        })
        .output(move || {
            BatchGetItemOutput::builder()
                .responses(TABLE, vec![item.clone()])
                .build()
        })
        .build();
    let store = DynamoRequestStore::new(client(&[&query, &get]), TABLE);

    let page = store
        .query(&RequestQuery {
            approver: Some(bob),
            statuses: vec![Status::Pending],
            limit: 5,
            ..RequestQuery::default()
        })
        .await
        .unwrap();

    assert_eq!(get.num_calls(), 2, "the unprocessed key is read again");
    assert_eq!(page.items, vec![pending]);
    assert_eq!(
        query.num_calls(),
        1,
        "one unfiltered read of the references"
    );
}
