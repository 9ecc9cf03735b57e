//! Checks of [`RequestStore`]: conditional writes, queries, paging, events and leases.

use std::collections::BTreeSet;

use team_core::TeamError;
use team_core::ids::{AccountId, Comment, RequestId, TicketNo};
use team_core::ports::{Page, RequestQuery, RequestStore};
use team_core::request::{AccessRequest, Closure, EventKind, Outcome, Status};
use time::{Duration, OffsetDateTime};

use crate::fixtures::{Ns, T0, assignment, decision, event, lease, request, user};

/// Safety net against a store whose tokens never run out.
const MAX_PAGES: usize = 10_000;

async fn put_ok(store: &dyn RequestStore, request: &AccessRequest, expected: Option<u64>) {
    if let Err(err) = store.put(request, expected).await {
        panic!("put of {} expecting {expected:?} failed: {err}", request.id);
    }
}

async fn get(store: &dyn RequestStore, id: &RequestId) -> Option<AccessRequest> {
    match store.get(id).await {
        Ok(found) => found,
        Err(err) => panic!("get {id} failed: {err}"),
    }
}

async fn page(store: &dyn RequestStore, query: &RequestQuery) -> Page<AccessRequest> {
    match store.query(query).await {
        Ok(page) => page,
        Err(err) => panic!("query {query:?} failed: {err}"),
    }
}

/// Every item of a query, walking all pages; panics on an empty page or a runaway token.
async fn all_pages(store: &dyn RequestStore, query: &RequestQuery) -> Vec<AccessRequest> {
    let mut query = query.clone();
    let mut items = Vec::new();
    for _ in 0..MAX_PAGES {
        let page = page(store, &query).await;
        assert!(
            page.items.len() <= query.limit.max(1),
            "a page holds {} items, more than the limit {}",
            page.items.len(),
            query.limit
        );
        items.extend(page.items.iter().cloned());
        match page.next_token {
            Some(token) => {
                assert!(
                    !page.items.is_empty(),
                    "an empty page came with a next token: the last page must have next_token None"
                );
                query.next_token = Some(token);
            }
            None => return items,
        }
    }
    panic!("query {query:?} did not finish within {MAX_PAGES} pages");
}

fn ids(items: &[AccessRequest]) -> Vec<String> {
    items.iter().map(|r| r.id.to_string()).collect()
}

fn id_set(items: &[AccessRequest]) -> BTreeSet<String> {
    items.iter().map(|r| r.id.to_string()).collect()
}

fn expect_conflict(result: team_core::TeamResult<()>, what: &str) {
    match result {
        Err(TeamError::Conflict(_)) => {}
        other => panic!("{what}: expected a Conflict error, got {other:?}"),
    }
}

/// A query for up to 100 items of one account.
fn of_account(account: &AccountId) -> RequestQuery {
    RequestQuery {
        account: Some(account.clone()),
        limit: 100,
        ..RequestQuery::default()
    }
}

/// Stores `requests` as new items.
async fn put_all(store: &dyn RequestStore, requests: &[AccessRequest]) {
    for r in requests {
        put_ok(store, r, None).await;
    }
}

/// An empty store lists nothing and has no next token.
pub async fn store_starts_empty(store: &dyn RequestStore) {
    let first = page(
        store,
        &RequestQuery {
            limit: 10,
            ..RequestQuery::default()
        },
    )
    .await;
    assert!(
        first.items.is_empty(),
        "the store is not empty: {:?}",
        ids(&first.items)
    );
    assert_eq!(first.next_token, None, "an empty store gave a next token");
}

/// `put` with no expected version creates the request (stored exactly as given);
/// a second such `put` of the same id is a `Conflict`.
pub async fn put_without_version_creates_once(store: &dyn RequestStore) {
    let ns = Ns::new("create");
    let id = ns.request_id("r");
    let mut original = request(&id, &ns.user_id("alice"), &ns.account_id(1), T0);
    // Every optional field set, so the round trip covers them.
    original.ticket_no = Some(TicketNo::parse("INC-42").unwrap_or_else(|e| panic!("{e}")));
    original.approvers = vec![user(&ns.user_id("bob")), user(&ns.user_id("erin"))];
    original.decisions = vec![decision(
        &ns.user_id("bob"),
        Outcome::Approve,
        T0 + Duration::minutes(3),
    )];
    original.closed = Some(Closure {
        by: Some(user(&ns.user_id("bob"))),
        comment: Some(Comment::parse("enough").unwrap_or_else(|e| panic!("{e}"))),
        at: T0 + Duration::minutes(4),
    });
    original.error_reason = Some("it failed".into());
    original.task_token = Some("token-123".into());
    original.status = Status::InProgress;
    original.created_at = T0 + Duration::nanoseconds(123_456_789);
    put_ok(store, &original, None).await;
    assert_eq!(
        get(store, &id).await,
        Some(original.clone()),
        "get returns what put stored"
    );

    let mut second = original.clone();
    second.justification =
        team_core::ids::Justification::parse("another reason").unwrap_or_else(|e| panic!("{e}"));
    expect_conflict(
        store.put(&second, None).await,
        "creating an existing request",
    );
    assert_eq!(
        get(store, &id).await,
        Some(original),
        "a refused create leaves the stored item alone"
    );
}

/// `put` expecting a version other than the stored one is a `Conflict` and changes nothing.
pub async fn put_with_wrong_version_conflicts_and_keeps_the_item(store: &dyn RequestStore) {
    let ns = Ns::new("wrong-version");
    let id = ns.request_id("r");
    let mut stored = request(&id, &ns.user_id("alice"), &ns.account_id(1), T0);
    stored.version = 3;
    put_ok(store, &stored, None).await;

    for wrong in [2, 4, 0] {
        let mut update = stored.clone();
        update.status = Status::Approved;
        update.approvers = vec![user(&ns.user_id("bob"))];
        update.version = wrong + 1;
        expect_conflict(
            store.put(&update, Some(wrong)).await,
            &format!("expecting version {wrong} of version 3"),
        );
    }
    assert_eq!(
        get(store, &id).await,
        Some(stored.clone()),
        "refused updates left the item alone"
    );
    // The refused update did not leak into the indexes either.
    let approvable = all_pages(
        store,
        &RequestQuery {
            approver: Some(ns.user_id("bob")),
            ..of_account(&ns.account_id(1))
        },
    )
    .await;
    assert!(
        approvable.is_empty(),
        "a refused update changed the approver index"
    );
}

/// `put` expecting the stored version replaces the item, and indexes follow the new content.
pub async fn put_with_the_stored_version_replaces(store: &dyn RequestStore) {
    let ns = Ns::new("right-version");
    let id = ns.request_id("r");
    let account = ns.account_id(1);
    let bob = ns.user_id("bob");
    let erin = ns.user_id("erin");
    let mut first = request(&id, &ns.user_id("alice"), &account, T0);
    first.approvers = vec![user(&bob)];
    put_ok(store, &first, None).await;

    let mut second = first.clone();
    second.status = Status::Approved;
    second.approvers = vec![user(&erin)];
    second.decisions = vec![decision(&erin, Outcome::Approve, T0 + Duration::minutes(1))];
    second.version = 2;
    put_ok(store, &second, Some(1)).await;
    assert_eq!(get(store, &id).await, Some(second.clone()));

    let mut third = second.clone();
    third.status = Status::InProgress;
    third.version = 3;
    put_ok(store, &third, Some(2)).await;
    assert_eq!(get(store, &id).await, Some(third.clone()));
    expect_conflict(store.put(&third, Some(2)).await, "reusing an old version");

    let by_bob = all_pages(
        store,
        &RequestQuery {
            approver: Some(bob),
            ..of_account(&account)
        },
    )
    .await;
    assert!(
        by_bob.is_empty(),
        "bob is no longer an approver after the update"
    );
    let by_erin = all_pages(
        store,
        &RequestQuery {
            approver: Some(erin.clone()),
            ..of_account(&account)
        },
    )
    .await;
    assert_eq!(
        ids(&by_erin),
        vec![id.to_string()],
        "erin became an approver with the update"
    );
    let decided = all_pages(
        store,
        &RequestQuery {
            decided_by: Some(erin),
            ..of_account(&account)
        },
    )
    .await;
    assert_eq!(ids(&decided), vec![id.to_string()]);
    let listed = all_pages(store, &of_account(&account)).await;
    assert_eq!(
        listed,
        vec![third],
        "a query returns the current item, once"
    );
}

/// `put` expecting a version of a request that does not exist is a `Conflict` and creates nothing.
pub async fn put_expecting_a_version_of_a_missing_request_conflicts(store: &dyn RequestStore) {
    let ns = Ns::new("missing-version");
    let id = ns.request_id("r");
    let r = request(&id, &ns.user_id("alice"), &ns.account_id(1), T0);
    expect_conflict(
        store.put(&r, Some(1)).await,
        "updating a request that does not exist",
    );
    assert_eq!(
        get(store, &id).await,
        None,
        "a refused update created the request"
    );
}

/// `get` of an id never stored is `None`.
pub async fn get_of_an_unknown_id_is_none(store: &dyn RequestStore) {
    let ns = Ns::new("unknown");
    assert_eq!(get(store, &ns.request_id("nobody")).await, None);
}

/// The `requester` filter keeps that user's requests only.
pub async fn query_filters_by_requester(store: &dyn RequestStore) {
    let ns = Ns::new("q-requester");
    let account = ns.account_id(1);
    let alice = ns.user_id("alice");
    let frank = ns.user_id("frank");
    let a1 = request(&ns.request_id("a1"), &alice, &account, T0);
    let a2 = request(
        &ns.request_id("a2"),
        &alice,
        &account,
        T0 + Duration::seconds(1),
    );
    let f1 = request(
        &ns.request_id("f1"),
        &frank,
        &account,
        T0 + Duration::seconds(2),
    );
    put_all(store, &[a1.clone(), a2.clone(), f1.clone()]).await;

    let of_alice = all_pages(
        store,
        &RequestQuery {
            requester: Some(alice),
            ..of_account(&account)
        },
    )
    .await;
    assert_eq!(
        ids(&of_alice),
        ids(&[a2, a1]),
        "alice's requests, newest first, not frank's"
    );
    let of_frank = all_pages(
        store,
        &RequestQuery {
            requester: Some(frank),
            ..of_account(&account)
        },
    )
    .await;
    assert_eq!(ids(&of_frank), ids(&[f1]));
    // The requester filter alone (no account filter) must also work.
    let alone = all_pages(
        store,
        &RequestQuery {
            requester: Some(ns.user_id("alice")),
            limit: 100,
            ..RequestQuery::default()
        },
    )
    .await;
    assert_eq!(alone.len(), 2, "requester filter without other filters");
    let nobody = all_pages(
        store,
        &RequestQuery {
            requester: Some(ns.user_id("nobody")),
            ..of_account(&account)
        },
    )
    .await;
    assert!(nobody.is_empty());
}

/// The `approver` filter keeps requests naming that user among their approvers.
pub async fn query_filters_by_approver(store: &dyn RequestStore) {
    let ns = Ns::new("q-approver");
    let account = ns.account_id(1);
    let alice = ns.user_id("alice");
    let bob = ns.user_id("bob");
    let erin = ns.user_id("erin");
    let mut both = request(&ns.request_id("both"), &alice, &account, T0);
    both.approvers = vec![user(&bob), user(&erin)];
    let mut only_erin = request(
        &ns.request_id("erin"),
        &alice,
        &account,
        T0 + Duration::seconds(1),
    );
    only_erin.approvers = vec![user(&erin)];
    let none = request(
        &ns.request_id("none"),
        &alice,
        &account,
        T0 + Duration::seconds(2),
    );
    put_all(store, &[both.clone(), only_erin.clone(), none]).await;

    let of_bob = all_pages(
        store,
        &RequestQuery {
            approver: Some(bob.clone()),
            ..of_account(&account)
        },
    )
    .await;
    assert_eq!(ids(&of_bob), ids(std::slice::from_ref(&both)));
    let of_erin = all_pages(
        store,
        &RequestQuery {
            approver: Some(erin),
            ..of_account(&account)
        },
    )
    .await;
    assert_eq!(ids(&of_erin), ids(&[only_erin, both]));
    let of_alice = all_pages(
        store,
        &RequestQuery {
            approver: Some(alice),
            ..of_account(&account)
        },
    )
    .await;
    assert!(of_alice.is_empty(), "the requester is not an approver");
    let alone = all_pages(
        store,
        &RequestQuery {
            approver: Some(bob),
            limit: 100,
            ..RequestQuery::default()
        },
    )
    .await;
    assert_eq!(alone.len(), 1, "approver filter without other filters");
}

/// How many approvers [`a_request_with_many_approvers_is_listed_for_each_of_them`] names:
/// more than one DynamoDB transaction holds (100 actions), as a large approver group does.
const MANY_APPROVERS: usize = 150;

/// A request may name as many approvers as an approver group has members: it is stored,
/// listed for every one of them with its current status after a decision changes it,
/// and no longer listed for approvers a later write drops.
pub async fn a_request_with_many_approvers_is_listed_for_each_of_them(store: &dyn RequestStore) {
    let ns = Ns::new("many-approvers");
    let account = ns.account_id(1);
    let alice = ns.user_id("alice");
    let approvers: Vec<_> = (0..MANY_APPROVERS)
        .map(|i| ns.user_id(&format!("approver{i:03}")))
        .collect();
    let (first, last) = (&approvers[0], &approvers[MANY_APPROVERS - 1]);
    let mut pending = request(&ns.request_id("big-group"), &alice, &account, T0);
    pending.approvers = approvers.iter().map(user).collect();
    put_ok(store, &pending, None).await;
    let listed_for = |approver: &team_core::ids::UserId, statuses: Vec<Status>| RequestQuery {
        approver: Some(approver.clone()),
        statuses,
        ..of_account(&account)
    };

    for approver in [first, &approvers[MANY_APPROVERS / 2], last] {
        let found = all_pages(store, &listed_for(approver, vec![Status::Pending])).await;
        assert_eq!(
            ids(&found),
            ids(std::slice::from_ref(&pending)),
            "approver {approver} of {MANY_APPROVERS} must see the pending request"
        );
    }

    let mut approved = pending.clone();
    approved.status = Status::Approved;
    approved.decisions = vec![decision(first, Outcome::Approve, T0 + Duration::minutes(1))];
    approved.version = 2;
    put_ok(store, &approved, Some(1)).await;
    let found = all_pages(store, &listed_for(last, Vec::new())).await;
    assert_eq!(ids(&found), ids(std::slice::from_ref(&approved)));
    assert_eq!(
        found[0].status,
        Status::Approved,
        "every approver must see the request as it is now, not as it was submitted"
    );
    let still_pending = all_pages(store, &listed_for(last, vec![Status::Pending])).await;
    assert!(
        still_pending.is_empty(),
        "an approved request must not be listed as pending to any approver: {:?}",
        ids(&still_pending)
    );
    let decided = all_pages(
        store,
        &RequestQuery {
            decided_by: Some(first.clone()),
            ..of_account(&account)
        },
    )
    .await;
    assert_eq!(ids(&decided), ids(std::slice::from_ref(&approved)));

    let mut fewer = approved.clone();
    fewer.approvers.truncate(10);
    fewer.version = 3;
    put_ok(store, &fewer, Some(2)).await;
    assert!(
        all_pages(store, &listed_for(last, Vec::new()))
            .await
            .is_empty(),
        "an approver the request no longer names must not see it"
    );
    let kept = all_pages(store, &listed_for(&approvers[9], Vec::new())).await;
    assert_eq!(ids(&kept), ids(std::slice::from_ref(&fewer)));
    match get(store, &fewer.id).await {
        Some(stored) => assert_eq!(stored.approvers.len(), 10),
        None => panic!("request {} vanished", fewer.id),
    }
}

/// The `decided_by` filter keeps requests with a decision of that user.
pub async fn query_filters_by_decided_by(store: &dyn RequestStore) {
    let ns = Ns::new("q-decided");
    let account = ns.account_id(1);
    let alice = ns.user_id("alice");
    let bob = ns.user_id("bob");
    let erin = ns.user_id("erin");
    let mut approved = request(&ns.request_id("approved"), &alice, &account, T0);
    approved.approvers = vec![user(&bob), user(&erin)];
    approved.decisions = vec![decision(&bob, Outcome::Approve, T0)];
    let mut rejected = request(
        &ns.request_id("rejected"),
        &alice,
        &account,
        T0 + Duration::seconds(1),
    );
    rejected.approvers = vec![user(&bob), user(&erin)];
    rejected.decisions = vec![decision(&erin, Outcome::Reject, T0)];
    let mut undecided = request(
        &ns.request_id("undecided"),
        &alice,
        &account,
        T0 + Duration::seconds(2),
    );
    undecided.approvers = vec![user(&bob), user(&erin)];
    put_all(store, &[approved.clone(), rejected.clone(), undecided]).await;

    let by_bob = all_pages(
        store,
        &RequestQuery {
            decided_by: Some(bob),
            ..of_account(&account)
        },
    )
    .await;
    assert_eq!(
        ids(&by_bob),
        ids(&[approved]),
        "being an approver is not having decided"
    );
    let by_erin = all_pages(
        store,
        &RequestQuery {
            decided_by: Some(erin.clone()),
            ..of_account(&account)
        },
    )
    .await;
    assert_eq!(ids(&by_erin), ids(&[rejected]));
    let alone = all_pages(
        store,
        &RequestQuery {
            decided_by: Some(erin),
            limit: 100,
            ..RequestQuery::default()
        },
    )
    .await;
    assert_eq!(alone.len(), 1, "decided_by filter without other filters");
}

/// The `statuses` filter keeps requests in any of the given statuses; empty means all.
pub async fn query_filters_by_statuses(store: &dyn RequestStore) {
    let ns = Ns::new("q-status");
    let account = ns.account_id(1);
    let alice = ns.user_id("alice");
    let statuses = [
        Status::Pending,
        Status::Approved,
        Status::InProgress,
        Status::Ended,
    ];
    let mut all = Vec::new();
    for (i, status) in statuses.into_iter().enumerate() {
        let mut r = request(
            &ns.request_id(&format!("s{i}")),
            &alice,
            &account,
            T0 + Duration::seconds(i as i64),
        );
        r.status = status;
        all.push(r);
    }
    put_all(store, &all).await;

    let some = all_pages(
        store,
        &RequestQuery {
            statuses: vec![Status::Pending, Status::InProgress],
            ..of_account(&account)
        },
    )
    .await;
    assert_eq!(
        ids(&some),
        ids(&[all[2].clone(), all[0].clone()]),
        "pending and in progress only"
    );
    let one = all_pages(
        store,
        &RequestQuery {
            statuses: vec![Status::Ended],
            ..of_account(&account)
        },
    )
    .await;
    assert_eq!(ids(&one), ids(&[all[3].clone()]));
    let none = all_pages(
        store,
        &RequestQuery {
            statuses: vec![Status::Revoked, Status::Error],
            ..of_account(&account)
        },
    )
    .await;
    assert!(none.is_empty(), "no request is revoked or in error");
    let every = all_pages(store, &of_account(&account)).await;
    assert_eq!(every.len(), 4, "no status filter means every status");
}

/// The `account` filter keeps requests for that account.
pub async fn query_filters_by_account(store: &dyn RequestStore) {
    let ns = Ns::new("q-account");
    let alice = ns.user_id("alice");
    let one = ns.account_id(1);
    let two = ns.account_id(2);
    let r1 = request(&ns.request_id("one"), &alice, &one, T0);
    let r2 = request(
        &ns.request_id("two"),
        &alice,
        &two,
        T0 + Duration::seconds(1),
    );
    put_all(store, &[r1.clone(), r2.clone()]).await;

    assert_eq!(ids(&all_pages(store, &of_account(&one)).await), ids(&[r1]));
    assert_eq!(ids(&all_pages(store, &of_account(&two)).await), ids(&[r2]));
    assert!(
        all_pages(store, &of_account(&ns.account_id(3)))
            .await
            .is_empty()
    );
}

/// `active_after` keeps sessions ending strictly after it, `active_before` sessions
/// starting strictly before it; together they select sessions overlapping the window.
pub async fn query_filters_by_active_window(store: &dyn RequestStore) {
    let ns = Ns::new("q-window");
    let account = ns.account_id(1);
    let alice = ns.user_id("alice");
    let at = |h: i64| T0 + Duration::hours(h);
    let window = |suffix: &str, start: OffsetDateTime, end: OffsetDateTime, created: i64| {
        let mut r = request(
            &ns.request_id(suffix),
            &alice,
            &account,
            T0 + Duration::seconds(created),
        );
        r.start_time = start;
        r.end_time = end;
        r.duration_minutes = u32::try_from((end - start).whole_minutes()).unwrap_or_default();
        r
    };
    let early = window("early", at(0), at(1), 0);
    let late = window("late", at(2), at(3), 1);
    let long = window("long", at(-1), at(4), 2);
    put_all(store, &[early.clone(), late.clone(), long.clone()]).await;

    let after = |t| RequestQuery {
        active_after: Some(t),
        ..of_account(&account)
    };
    let before = |t| RequestQuery {
        active_before: Some(t),
        ..of_account(&account)
    };
    // `early` ends exactly at 1 h: not after it.
    assert_eq!(
        id_set(&all_pages(store, &after(at(1))).await),
        id_set(&[late.clone(), long.clone()])
    );
    // `late` starts exactly at 2 h: not before it.
    assert_eq!(
        id_set(&all_pages(store, &before(at(2))).await),
        id_set(&[early.clone(), long.clone()])
    );
    let gap = RequestQuery {
        active_after: Some(at(1)),
        active_before: Some(at(2)),
        ..of_account(&account)
    };
    assert_eq!(
        ids(&all_pages(store, &gap).await),
        ids(std::slice::from_ref(&long)),
        "only `long` spans the gap"
    );
    let wide = RequestQuery {
        active_after: Some(at(0) + Duration::minutes(30)),
        active_before: Some(at(2) + Duration::minutes(30)),
        ..of_account(&account)
    };
    assert_eq!(
        ids(&all_pages(store, &wide).await),
        ids(&[long.clone(), late, early])
    );
    assert!(
        all_pages(store, &after(at(4))).await.is_empty(),
        "nothing ends after 4 h"
    );
    assert!(
        all_pages(store, &before(at(-1))).await.is_empty(),
        "nothing starts before -1 h"
    );
    // Sub-second precision counts.
    let just = all_pages(store, &after(at(4) - Duration::nanoseconds(1))).await;
    assert_eq!(ids(&just), ids(&[long]), "end times keep nanoseconds");
}

/// Several filters must all match.
pub async fn query_combines_filters(store: &dyn RequestStore) {
    let ns = Ns::new("q-combined");
    let account = ns.account_id(1);
    let alice = ns.user_id("alice");
    let frank = ns.user_id("frank");
    let bob = ns.user_id("bob");
    let mut hit = request(&ns.request_id("hit"), &alice, &account, T0);
    hit.approvers = vec![user(&bob)];
    let mut wrong_status = hit.clone();
    wrong_status.id = ns.request_id("status");
    wrong_status.status = Status::Ended;
    let mut wrong_requester = request(&ns.request_id("requester"), &frank, &account, T0);
    wrong_requester.approvers = vec![user(&bob)];
    let mut wrong_account = request(&ns.request_id("account"), &alice, &ns.account_id(2), T0);
    wrong_account.approvers = vec![user(&bob)];
    put_all(
        store,
        &[hit.clone(), wrong_status, wrong_requester, wrong_account],
    )
    .await;

    let query = RequestQuery {
        requester: Some(alice),
        approver: Some(bob),
        statuses: vec![Status::Pending],
        account: Some(account),
        active_after: Some(T0),
        active_before: Some(T0 + Duration::hours(1)),
        limit: 10,
        next_token: None,
        decided_by: None,
    };
    assert_eq!(ids(&all_pages(store, &query).await), ids(&[hit]));
}

/// Results are ordered by creation time, newest first, then by id, highest first.
pub async fn query_orders_newest_first(store: &dyn RequestStore) {
    let ns = Ns::new("q-order");
    let account = ns.account_id(1);
    let alice = ns.user_id("alice");
    let make = |suffix: &str, created: OffsetDateTime| {
        request(&ns.request_id(suffix), &alice, &account, created)
    };
    // Id order disagrees with time order, and two share a creation time.
    let oldest = make("z", T0);
    let tie_low = make("b", T0 + Duration::minutes(5));
    let tie_high = make("c", T0 + Duration::minutes(5));
    let newer = make("a", T0 + Duration::minutes(5) + Duration::nanoseconds(1));
    let newest = make("y", T0 + Duration::days(3));
    put_all(
        store,
        &[
            tie_low.clone(),
            newest.clone(),
            oldest.clone(),
            newer.clone(),
            tie_high.clone(),
        ],
    )
    .await;

    let listed = all_pages(store, &of_account(&account)).await;
    assert_eq!(
        ids(&listed),
        ids(&[newest, newer, tie_high, tie_low, oldest])
    );
}

/// Paging with a limit walks every item exactly once, in order, and the last page
/// has no next token (also when the item count is a multiple of the limit).
/// A limit of 0 is treated as 1.
pub async fn query_pages_walk_every_item_once(store: &dyn RequestStore) {
    let ns = Ns::new("q-paging");
    let account = ns.account_id(1);
    let alice = ns.user_id("alice");
    let mut made = Vec::new();
    for i in 0..7 {
        // Pairs share a creation time, so pages break inside ties.
        let created = T0 + Duration::seconds(i / 2);
        made.push(request(
            &ns.request_id(&format!("p{i}")),
            &alice,
            &account,
            created,
        ));
    }
    put_all(store, &made).await;
    let everything = all_pages(store, &of_account(&account)).await;
    assert_eq!(everything.len(), 7);

    for limit in [0, 1, 2, 3, 7, 8, 50] {
        let mut query = RequestQuery {
            limit,
            ..of_account(&account)
        };
        let mut pages = Vec::new();
        loop {
            let p = page(store, &query).await;
            assert!(
                !p.items.is_empty(),
                "limit {limit}: page {} is empty",
                pages.len()
            );
            assert!(
                p.items.len() <= limit.max(1),
                "limit {limit}: a page is too long"
            );
            let next = p.next_token.clone();
            pages.push(p);
            match next {
                Some(token) => query.next_token = Some(token),
                None => break,
            }
            assert!(pages.len() <= 7, "limit {limit}: more pages than items");
        }
        let walked: Vec<AccessRequest> =
            pages.iter().flat_map(|p| p.items.iter().cloned()).collect();
        assert_eq!(
            ids(&walked),
            ids(&everything),
            "limit {limit}: every item once, newest first"
        );
        let expected_pages = 7usize.div_ceil(limit.max(1));
        assert_eq!(
            pages.len(),
            expected_pages,
            "limit {limit}: pages are full until the last"
        );
    }
}

/// Paging without filters walks the whole store once, in order.
pub async fn unfiltered_pages_walk_every_item_once(store: &dyn RequestStore) {
    let ns = Ns::new("q-unfiltered");
    let alice = ns.user_id("alice");
    let mine: Vec<AccessRequest> = (0..5)
        .map(|i| {
            request(
                &ns.request_id(&format!("u{i}")),
                &alice,
                &ns.account_id(i),
                T0 + Duration::hours(i as i64),
            )
        })
        .collect();
    put_all(store, &mine).await;
    let walked = all_pages(
        store,
        &RequestQuery {
            limit: 3,
            ..RequestQuery::default()
        },
    )
    .await;
    let walked_ids = ids(&walked);
    let unique: BTreeSet<&String> = walked_ids.iter().collect();
    assert_eq!(unique.len(), walked_ids.len(), "an item came twice");
    for r in &mine {
        assert!(
            walked_ids.contains(&r.id.to_string()),
            "{} was not listed",
            r.id
        );
    }
    for pair in walked.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        assert!(
            (a.created_at, &a.id) > (b.created_at, &b.id),
            "{} listed before {} but is not newer",
            a.id,
            b.id
        );
    }
}

/// A page's `nextToken` marks a place in the order, not an offset: a newer request
/// written between two pages neither repeats nor hides an item of the next page.
pub async fn requests_created_while_paging_do_not_shift_the_next_pages(store: &dyn RequestStore) {
    let ns = Ns::new("q-keyset");
    let alice = ns.user_id("alice");
    let account = ns.account_id(1);
    for i in 0..4 {
        let r = request(
            &ns.request_id(&format!("old{i}")),
            &alice,
            &account,
            T0 + Duration::seconds(i),
        );
        put_ok(store, &r, None).await;
    }
    let query = RequestQuery {
        account: Some(account.clone()),
        limit: 2,
        ..RequestQuery::default()
    };
    let first = page(store, &query).await;
    let newer = request(
        &ns.request_id("new"),
        &alice,
        &account,
        T0 + Duration::hours(1),
    );
    put_ok(store, &newer, None).await;
    let second = page(
        store,
        &RequestQuery {
            next_token: first.next_token.clone(),
            ..query
        },
    )
    .await;
    let walked: Vec<AccessRequest> = first.items.into_iter().chain(second.items).collect();
    let expected: Vec<String> = ["old3", "old2", "old1", "old0"]
        .iter()
        .map(|s| ns.id(s))
        .collect();
    assert_eq!(ids(&walked), expected, "an item was repeated or skipped");
    assert_eq!(second.next_token, None, "the second page is the last");
}

/// A next token the store never issued is a `Validation` error on `nextToken`.
pub async fn garbage_next_token_is_a_validation_error(store: &dyn RequestStore) {
    for garbage in [
        "%%%",
        "garbage",
        "AAAA",
        "-1",
        "{}",
        "\u{e9}t\u{e9}",
        "9999999999999999999999999",
    ] {
        let query = RequestQuery {
            limit: 10,
            next_token: Some(garbage.into()),
            ..RequestQuery::default()
        };
        match store.query(&query).await {
            Err(err @ TeamError::Validation { .. }) => {
                assert_eq!(
                    err.field(),
                    Some("nextToken"),
                    "token {garbage:?}: wrong field in {err}"
                );
            }
            other => panic!("token {garbage:?}: expected a Validation error, got {other:?}"),
        }
    }
}

/// Events come back oldest first, only the request's own; unknown requests have none.
pub async fn events_come_back_oldest_first_per_request(store: &dyn RequestStore) {
    let ns = Ns::new("events");
    let one = ns.request_id("one");
    let two = ns.request_id("two");
    let first = event(&one, T0, EventKind::Submitted, "submitted");
    let other = event(
        &two,
        T0 + Duration::seconds(1),
        EventKind::Submitted,
        "other request",
    );
    let mut second = event(
        &one,
        T0 + Duration::seconds(2),
        EventKind::Approved,
        "approved",
    );
    second.actor = Some(user(&ns.user_id("bob")));
    second.status = Status::Approved;
    let third = event(
        &one,
        T0 + Duration::seconds(3),
        EventKind::Granted,
        "granted",
    );
    for e in [&first, &other, &second, &third] {
        if let Err(err) = store.append_event(e).await {
            panic!("append_event failed: {err}");
        }
    }
    let of_one = store
        .events(&one)
        .await
        .unwrap_or_else(|e| panic!("events failed: {e}"));
    assert_eq!(
        of_one,
        vec![first, second, third],
        "oldest first, exactly as appended"
    );
    let of_two = store
        .events(&two)
        .await
        .unwrap_or_else(|e| panic!("events failed: {e}"));
    assert_eq!(of_two, vec![other]);
    let none = store
        .events(&ns.request_id("none"))
        .await
        .unwrap_or_else(|e| panic!("events failed: {e}"));
    assert!(none.is_empty());
}

/// Lease writes are conditional like request writes.
pub async fn lease_writes_are_conditional(store: &dyn RequestStore) {
    let ns = Ns::new("lease-version");
    let a = assignment(&ns.user_id("alice"), &ns.account_id(1));
    let r1 = ns.request_id("r1");
    assert_eq!(
        store.lease(&a).await.unwrap_or_else(|e| panic!("{e}")),
        None,
        "no lease yet"
    );
    expect_conflict(
        store.put_lease(&lease(&a, &[&r1], 2), Some(1)).await,
        "updating a missing lease",
    );
    assert_eq!(
        store.lease(&a).await.unwrap_or_else(|e| panic!("{e}")),
        None,
        "a refused update created the lease"
    );

    let created = lease(&a, &[&r1], 1);
    store
        .put_lease(&created, None)
        .await
        .unwrap_or_else(|e| panic!("creating a lease failed: {e}"));
    expect_conflict(
        store.put_lease(&lease(&a, &[], 1), None).await,
        "creating an existing lease",
    );
    expect_conflict(
        store.put_lease(&lease(&a, &[], 3), Some(2)).await,
        "wrong lease version",
    );
    assert_eq!(
        store.lease(&a).await.unwrap_or_else(|e| panic!("{e}")),
        Some(created),
        "refused writes changed nothing"
    );

    let released = lease(&a, &[], 2);
    store
        .put_lease(&released, Some(1))
        .await
        .unwrap_or_else(|e| panic!("update with the right version failed: {e}"));
    assert_eq!(
        store.lease(&a).await.unwrap_or_else(|e| panic!("{e}")),
        Some(released)
    );

    // Another assignment of the same user is another lease.
    let other = assignment(&ns.user_id("alice"), &ns.account_id(2));
    assert_eq!(
        store.lease(&other).await.unwrap_or_else(|e| panic!("{e}")),
        None
    );
}

/// A lease comes back with its holders and its `removing` flag.
pub async fn lease_round_trips_holders_and_removing(store: &dyn RequestStore) {
    let ns = Ns::new("lease-trip");
    let a = assignment(&ns.user_id("alice"), &ns.account_id(1));
    let (r1, r2, r3) = (
        ns.request_id("r1"),
        ns.request_id("r2"),
        ns.request_id("r3"),
    );
    let held = lease(&a, &[&r1, &r2, &r3], 1);
    store
        .put_lease(&held, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        store.lease(&a).await.unwrap_or_else(|e| panic!("{e}")),
        Some(held)
    );

    let mut removing = lease(&a, &[], 2);
    removing.removing = true;
    store
        .put_lease(&removing, Some(1))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let back = store.lease(&a).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(back, Some(removing));
    assert!(back.is_some_and(|l| l.removing && l.holders.is_empty()));
}

/// A lease whose removal is owed keeps who owes it, since when and why it failed, and
/// is listed by `owed_leases` until the debt is cleared (and never before it is owed).
pub async fn owed_leases_list_exactly_the_owed_removals(store: &dyn RequestStore) {
    let ns = Ns::new("lease-owed");
    let owed_assignment = assignment(&ns.user_id("alice"), &ns.account_id(1));
    let held_assignment = assignment(&ns.user_id("bob"), &ns.account_id(2));
    let (r1, r2) = (ns.request_id("r1"), ns.request_id("r2"));
    let mine = |leases: Vec<team_core::ports::Lease>| -> Vec<team_core::ports::Lease> {
        leases
            .into_iter()
            .filter(|l| l.assignment == owed_assignment || l.assignment == held_assignment)
            .collect()
    };
    store
        .put_lease(&lease(&held_assignment, &[&r2], 1), None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    store
        .put_lease(&lease(&owed_assignment, &[&r1], 1), None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let none = mine(store.owed_leases().await.unwrap_or_else(|e| panic!("{e}")));
    assert!(none.is_empty(), "held leases are not owed: {none:?}");

    let mut owed = lease(&owed_assignment, &[], 2);
    owed.removing = true;
    owed.owed_by = Some(r1.clone());
    owed.removal_started_at = Some(T0);
    owed.removal_error = Some("ThrottlingException: Rate exceeded".into());
    store
        .put_lease(&owed, Some(1))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        store
            .lease(&owed_assignment)
            .await
            .unwrap_or_else(|e| panic!("{e}")),
        Some(owed.clone()),
        "an owed lease keeps its owner, start and failure"
    );
    assert_eq!(
        mine(store.owed_leases().await.unwrap_or_else(|e| panic!("{e}"))),
        vec![owed.clone()],
        "the owed lease is listed, the held one is not"
    );

    let mut paid = owed.clone();
    paid.clear_removal();
    paid.version = 3;
    store
        .put_lease(&paid, Some(2))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let after = mine(store.owed_leases().await.unwrap_or_else(|e| panic!("{e}")));
    assert!(
        after.is_empty(),
        "a paid removal is no longer listed: {after:?}"
    );
}
