//! The HTTP contract: authentication, roles, listing, admin and audit endpoints.

use http::{Method, StatusCode};
use serde_json::{Value, json};
use team_tests::*;
use time::Duration;

#[tokio::test]
async fn calls_without_a_valid_token_are_unauthenticated() {
    let h = Harness::new().await;
    let none = h.call(Method::GET, "/api/me", None, None).await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED, "{}", none.text);
    assert_eq!(none.body["error"]["code"], "Unauthenticated");
    let forged = h
        .get(
            "/api/me",
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1LWNhcm9sIn0.c2ln",
        )
        .await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED, "{}", forged.text);
}

#[tokio::test]
async fn unknown_local_user_cannot_sign_in() {
    let h = Harness::new().await;
    let reply = h
        .call(
            Method::POST,
            "/api/local/login",
            None,
            Some(json!({"username": "mallory"})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text);
    assert_eq!(reply.body["error"]["field"], "username");
}

#[tokio::test]
async fn me_reports_roles_from_the_directory() {
    let h = Harness::new().await;
    let roles = |v: &Value| v["roles"].clone();
    let carol = h.get("/api/me", &h.login("carol").await).await;
    assert_eq!(
        roles(&carol.body),
        json!({"requester": true, "approver": false, "admin": true, "auditor": false})
    );
    let bob = h.get("/api/me", &h.login("bob").await).await;
    assert_eq!(bob.body["roles"]["approver"], true);
    let dave = h.get("/api/me", &h.login("dave").await).await;
    assert_eq!(dave.body["roles"]["auditor"], true);
    assert_eq!(dave.body["user"]["username"], "dave");
}

#[tokio::test]
async fn eligibility_lists_nested_ou_accounts_with_their_limits() {
    let h = Harness::new().await;
    let alice = h.login("alice").await;
    let e = h.get("/api/eligibility", &alice).await;
    assert_eq!(e.status, StatusCode::OK, "{}", e.text);
    let accounts: Vec<&str> = e.body["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["accountId"].as_str().unwrap())
        .collect();
    // payments-prod sits in Prod below Workloads: nested OUs are covered (TEAM #423).
    assert!(
        accounts.contains(&PROD) && accounts.contains(&DEV) && accounts.contains(&SANDBOX),
        "{accounts:?}"
    );
    assert!(!accounts.contains(&"444444444444"));
    let sandbox = e.body["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["accountId"] == SANDBOX)
        .unwrap();
    assert_eq!(sandbox["permissionSets"][0]["approvalRequired"], false);
    assert_eq!(sandbox["permissionSets"][0]["maxDurationMinutes"], 240);
}

#[tokio::test]
async fn list_scopes_show_the_right_requests() {
    let h = Harness::new().await;
    let alice = h.login("alice").await;
    let bob = h.login("bob").await;
    let frank = h.login("frank").await;
    let id = id_of(&h.submit(&alice, PROD, ADMIN_PS, 60).await);
    h.settle().await;
    let mine = h.get("/api/requests?scope=mine", &alice).await;
    assert_eq!(mine.body["items"][0]["id"], id.as_str());
    assert!(
        mine.body["items"][0].get("taskToken").is_none(),
        "workflow tokens never leave the API"
    );
    let approvable = h.get("/api/requests?scope=approvable", &bob).await;
    assert_eq!(
        approvable.body["items"].as_array().unwrap().len(),
        1,
        "{}",
        approvable.text
    );
    h.approve(&bob, &id).await;
    let approvable = h.get("/api/requests?scope=approvable", &bob).await;
    assert_eq!(approvable.body["items"].as_array().unwrap().len(), 0);
    let decided = h.get("/api/requests?scope=decided", &bob).await;
    assert_eq!(decided.body["items"].as_array().unwrap().len(), 1);
    let filtered = h
        .get("/api/requests?scope=mine&status=pending,rejected", &alice)
        .await;
    assert_eq!(filtered.body["items"].as_array().unwrap().len(), 0);
    let bad_status = h.get("/api/requests?status=running", &alice).await;
    assert_eq!(
        bad_status.status,
        StatusCode::BAD_REQUEST,
        "{}",
        bad_status.text
    );
    let all = h.get("/api/requests?scope=all", &alice).await;
    assert_eq!(all.status, StatusCode::FORBIDDEN);
    // Others cannot see the request at all.
    let hidden = h.get(&format!("/api/requests/{id}"), &frank).await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn paging_walks_every_request_once() {
    let h = Harness::new().await;
    let alice = h.login("alice").await;
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(id_of(&h.submit(&alice, PROD, ADMIN_PS, 30).await));
        h.clock.advance(std::time::Duration::from_secs(1));
    }
    let mut seen = Vec::new();
    let mut path = "/api/requests?scope=mine&limit=2".to_string();
    loop {
        let page = h.get(&path, &alice).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        seen.extend(
            page.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["id"].as_str().unwrap().to_string()),
        );
        match page.body["nextToken"].as_str() {
            Some(t) => path = format!("/api/requests?scope=mine&limit=2&nextToken={t}"),
            None => break,
        }
    }
    ids.reverse();
    assert_eq!(seen, ids, "newest first, each once");
    let garbage = h.get("/api/requests?nextToken=%%%", &alice).await;
    assert_eq!(garbage.status, StatusCode::BAD_REQUEST, "{}", garbage.text);
}

#[tokio::test]
async fn admins_manage_policies_and_others_cannot() {
    let h = Harness::new().await;
    let carol = h.login("carol").await;
    let alice = h.login("alice").await;
    assert_eq!(
        h.get("/api/admin/eligibility-policies", &alice)
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    let policy = json!({
        "name": "Frank reads logs",
        "principal": {"type": "user", "id": "u-frank"},
        "accounts": ["444444444444"],
        "permissionSets": [READ_PS],
        "maxDurationMinutes": 60,
        "approvalRequired": false
    });
    let created = h
        .post("/api/admin/eligibility-policies", &carol, policy.clone())
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let pid = created.body["id"].as_str().unwrap().to_string();

    let frank = h.login("frank").await;
    let submitted = h.submit(&frank, "444444444444", READ_PS, 30).await;
    assert_eq!(submitted.status, StatusCode::CREATED, "{}", submitted.text);

    let mut changed = policy.clone();
    changed["maxDurationMinutes"] = json!(15);
    let path = format!("/api/admin/eligibility-policies/{pid}");
    let put = h.put(&path, &carol, changed).await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);
    assert_eq!(
        h.submit(&frank, "444444444444", READ_PS, 30).await.status,
        StatusCode::BAD_REQUEST
    );

    let mut bad = policy.clone();
    bad["accounts"] = json!(["999999999999"]);
    let refused = h.post("/api/admin/eligibility-policies", &carol, bad).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.text);
    assert_eq!(refused.body["error"]["field"], "accounts");

    let deleted = h.delete(&path, &carol).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let again = h.delete(&path, &carol).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert_eq!(
        h.submit(&frank, "444444444444", READ_PS, 10).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn approver_policy_narrowed_to_a_permission_set_with_two_approvals() {
    let h = Harness::new().await;
    let carol = h.login("carol").await;
    let alice = h.login("alice").await;
    let bob = h.login("bob").await;
    let erin = h.login("erin").await;
    let policy = json!({
        "name": "Two approvals for admin on prod",
        "scope": {"type": "account", "id": PROD},
        "permissionSets": [ADMIN_PS],
        "approverUsers": ["u-bob", "u-erin"],
        "approvalsRequired": 2
    });
    let created = h.post("/api/admin/approver-policies", &carol, policy).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);

    let read = h.submit(&alice, PROD, READ_PS, 30).await;
    assert_eq!(read.body["approvalsRequired"], 1, "{}", read.text);
    let admin = h.submit(&alice, PROD, ADMIN_PS, 30).await;
    assert_eq!(admin.body["approvalsRequired"], 2, "{}", admin.text);
    let id = id_of(&admin);
    h.settle().await;
    let first = h.approve(&bob, &id).await;
    assert_eq!(first.body["status"], "pending", "{}", first.text);
    let second = h.approve(&erin, &id).await;
    assert_eq!(second.body["status"], "approved", "{}", second.text);
    h.advance(Duration::seconds(30)).await;
    assert_eq!(h.status(&alice, &id).await, "in progress");
}

#[tokio::test]
async fn settings_can_require_comments_and_tickets() {
    let h = Harness::new().await;
    let carol = h.login("carol").await;
    let alice = h.login("alice").await;
    let bob = h.login("bob").await;
    let mut settings = h.get("/api/admin/settings", &carol).await.body;
    settings["commentRequired"] = json!(true);
    settings["ticketRequired"] = json!(true);
    let put = h.put("/api/admin/settings", &carol, settings.clone()).await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);

    let no_ticket = h.submit(&alice, PROD, ADMIN_PS, 30).await;
    assert_eq!(
        no_ticket.body["error"]["field"], "ticketNo",
        "{}",
        no_ticket.text
    );
    let body = json!({"accountId": PROD, "permissionSetArn": ADMIN_PS, "durationMinutes": 30,
        "justification": "fix", "ticketNo": "INC-42"});
    let id = id_of(&h.post("/api/requests", &alice, body).await);
    let bare = h.approve(&bob, &id).await;
    assert_eq!(bare.status, StatusCode::BAD_REQUEST);
    assert_eq!(bare.body["error"]["field"], "comment");
    let ok = h
        .act(&bob, &id, "approve", json!({"comment": "INC-42 is real"}))
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);

    settings["maxDurationHours"] = json!(9000);
    let bad = h.put("/api/admin/settings", &carol, settings).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.body["error"]["field"], "maxDurationHours");
}

#[tokio::test]
async fn auditors_filter_and_export_csv() {
    let h = Harness::new().await;
    let alice = h.login("alice").await;
    let dave = h.login("dave").await;
    let id = id_of(&h.submit(&alice, SANDBOX, ADMIN_PS, 30).await);
    h.submit(&alice, PROD, ADMIN_PS, 30).await;
    h.advance(Duration::minutes(1)).await;

    assert_eq!(
        h.get("/api/audit/requests", &alice).await.status,
        StatusCode::FORBIDDEN
    );
    let all = h.get("/api/audit/requests", &dave).await;
    assert_eq!(
        all.body["items"].as_array().unwrap().len(),
        2,
        "{}",
        all.text
    );
    let filtered = h
        .get(
            &format!(
                "/api/audit/requests?accountId={SANDBOX}&status=in%20progress&requester=alice"
            ),
            &dave,
        )
        .await;
    assert_eq!(
        filtered.body["items"].as_array().unwrap().len(),
        1,
        "{}",
        filtered.text
    );
    let later = h
        .get("/api/audit/requests?from=2026-03-03T00:00:00Z", &dave)
        .await;
    assert_eq!(
        later.body["items"].as_array().unwrap().len(),
        0,
        "{}",
        later.text
    );

    let csv = h.get("/api/audit/requests?format=csv", &dave).await;
    assert_eq!(csv.status, StatusCode::OK);
    let lines: Vec<&str> = csv.text.lines().collect();
    assert_eq!(lines.len(), 3, "{}", csv.text);
    assert!(lines[0].starts_with("id,requester,"));
    assert!(csv.text.contains(&id));

    let activity = h
        .get(&format!("/api/audit/requests/{id}/activity"), &dave)
        .await;
    assert_eq!(activity.status, StatusCode::OK, "{}", activity.text);
    assert!(
        activity.text.contains("CreateAccountAssignment"),
        "{}",
        activity.text
    );
}

#[tokio::test]
async fn openapi_documents_every_route() {
    let h = Harness::new().await;
    let doc = h.call(Method::GET, "/api/openapi.json", None, None).await;
    assert_eq!(doc.status, StatusCode::OK);
    let paths = doc.body["paths"].as_object().unwrap();
    for p in [
        "/api/me",
        "/api/eligibility",
        "/api/requests",
        "/api/requests/{id}",
        "/api/requests/{id}/approve",
        "/api/requests/{id}/reject",
        "/api/requests/{id}/cancel",
        "/api/requests/{id}/revoke",
        "/api/requests/{id}/events",
        "/api/admin/settings",
        "/api/admin/eligibility-policies",
        "/api/admin/eligibility-policies/{id}",
        "/api/admin/approver-policies",
        "/api/admin/approver-policies/{id}",
        "/api/directory/accounts",
        "/api/directory/ous",
        "/api/directory/permission-sets",
        "/api/directory/users",
        "/api/directory/groups",
        "/api/audit/requests",
        "/api/audit/requests/{id}/activity",
    ] {
        assert!(
            paths.contains_key(p),
            "{p} missing from the OpenAPI document"
        );
    }
}

#[tokio::test]
async fn notifications_reach_the_outbox() {
    let h = Harness::new().await;
    let alice = h.login("alice").await;
    h.submit(&alice, PROD, ADMIN_PS, 30).await;
    h.settle().await;
    let outbox = h
        .call(Method::GET, "/api/local/notifications", None, None)
        .await;
    assert_eq!(outbox.status, StatusCode::OK, "{}", outbox.text);
    assert!(
        outbox.text.contains("bob") && outbox.text.contains("erin"),
        "{}",
        outbox.text
    );
}
