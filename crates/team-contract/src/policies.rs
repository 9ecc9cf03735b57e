//! Checks of [`PolicyStore`]: settings and policy CRUD.

use std::collections::BTreeSet;

use team_core::ids::PolicyId;
use team_core::policy::{NotificationSettings, Principal, Scope, Settings};
use team_core::ports::PolicyStore;
use time::Duration;

use crate::fixtures::{Ns, PS_ADMIN, T0, approver_policy, arn, eligibility_policy};

fn ok<T>(result: team_core::TeamResult<T>, what: &str) -> T {
    match result {
        Ok(v) => v,
        Err(err) => panic!("{what} failed: {err}"),
    }
}

/// A store whose settings were never written answers the defaults.
pub async fn settings_default_when_never_saved(store: &dyn PolicyStore) {
    assert_eq!(ok(store.settings().await, "settings"), Settings::default());
}

/// Saved settings come back as saved; saving again replaces them.
pub async fn settings_round_trip(store: &dyn PolicyStore) {
    let first = Settings {
        max_duration_hours: 12,
        approval_expiry_hours: 48,
        approval_workflow: false,
        comment_required: true,
        ticket_required: true,
        notifications: NotificationSettings {
            email: false,
            sns: true,
            slack: true,
        },
        admin_group: "the-admins".into(),
        auditor_group: "the-auditors".into(),
    };
    ok(store.put_settings(&first).await, "put_settings");
    assert_eq!(ok(store.settings().await, "settings"), first);
    let second = Settings {
        max_duration_hours: 2,
        admin_group: "other-admins".into(),
        ..first
    };
    ok(store.put_settings(&second).await, "put_settings");
    assert_eq!(ok(store.settings().await, "settings"), second);
}

fn policy_ids<'a>(ids: impl Iterator<Item = &'a PolicyId>) -> Vec<String> {
    ids.map(ToString::to_string).collect()
}

/// Eligibility policies: create, read, list, replace, delete (`false` when missing).
pub async fn eligibility_policy_crud(store: &dyn PolicyStore) {
    let ns = Ns::new("eligibility");
    let id = ns.policy_id("p1");
    let other_id = ns.policy_id("p2");
    assert_eq!(
        ok(store.eligibility_policy(&id).await, "get"),
        None,
        "unknown policy"
    );

    let policy = eligibility_policy(
        &id,
        Principal::Group(ns.group_id("devs")),
        &ns.account_id(1),
    );
    let mut other = eligibility_policy(
        &other_id,
        Principal::User(ns.user_id("alice")),
        &ns.account_id(2),
    );
    other.spec.ous =
        vec![team_core::ids::OuId::parse("ou-abcd-12345678").unwrap_or_else(|e| panic!("{e}"))];
    other.spec.approval_required = false;
    other.spec.ticket_required = true;
    ok(store.put_eligibility_policy(&policy).await, "put");
    ok(store.put_eligibility_policy(&other).await, "put");
    assert_eq!(
        ok(store.eligibility_policy(&id).await, "get"),
        Some(policy.clone())
    );
    assert_eq!(
        ok(store.eligibility_policy(&other_id).await, "get"),
        Some(other.clone())
    );

    let mut replaced = policy.clone();
    replaced.spec.name = "renamed".into();
    replaced.spec.principal = Principal::User(ns.user_id("bob"));
    replaced.spec.permission_sets = vec![arn(PS_ADMIN)];
    replaced.updated_at = T0 + Duration::hours(1);
    ok(store.put_eligibility_policy(&replaced).await, "replace");
    assert_eq!(
        ok(store.eligibility_policy(&id).await, "get"),
        Some(replaced.clone())
    );

    let listed = ok(store.eligibility_policies().await, "list");
    let mine: Vec<_> = listed
        .iter()
        .filter(|p| p.id == id || p.id == other_id)
        .cloned()
        .collect();
    assert_eq!(
        mine.len(),
        2,
        "each policy listed once: {:?}",
        policy_ids(listed.iter().map(|p| &p.id))
    );
    assert!(
        mine.contains(&replaced) && mine.contains(&other),
        "the list holds the current versions"
    );
    // A replaced policy no longer answers for its old principal.
    let old = ok(
        store
            .eligibility_policies_for(&[Principal::Group(ns.group_id("devs"))])
            .await,
        "for",
    );
    assert!(
        old.is_empty(),
        "the replaced policy still answers for its old principal"
    );

    assert!(
        ok(store.delete_eligibility_policy(&id).await, "delete"),
        "deleting an existing policy answers true"
    );
    assert_eq!(ok(store.eligibility_policy(&id).await, "get"), None);
    assert!(
        !ok(store.delete_eligibility_policy(&id).await, "delete"),
        "deleting it again answers false"
    );
    let listed = ok(store.eligibility_policies().await, "list");
    assert!(
        !listed.iter().any(|p| p.id == id),
        "a deleted policy is still listed"
    );
    assert!(
        listed.contains(&other),
        "deleting one policy removed another"
    );
    let gone = ok(
        store
            .eligibility_policies_for(&[Principal::User(ns.user_id("bob"))])
            .await,
        "for",
    );
    assert!(
        gone.is_empty(),
        "a deleted policy still answers for its principal"
    );
    assert!(ok(
        store.delete_eligibility_policy(&other_id).await,
        "delete"
    ));
}

/// Approver policies: create, read, list, replace, delete (`false` when missing).
pub async fn approver_policy_crud(store: &dyn PolicyStore) {
    let ns = Ns::new("approver");
    let id = ns.policy_id("a1");
    let other_id = ns.policy_id("a2");
    assert_eq!(
        ok(store.approver_policy(&id).await, "get"),
        None,
        "unknown policy"
    );
    let bob = ns.user_id("bob");
    let policy = approver_policy(&id, &ns.account_id(1), &[&bob]);
    let mut other = approver_policy(&other_id, &ns.account_id(2), &[]);
    other.spec.scope =
        Scope::Ou(team_core::ids::OuId::parse("r-abcd").unwrap_or_else(|e| panic!("{e}")));
    other.spec.approver_groups = vec![ns.group_id("approvers")];
    other.spec.permission_sets = Vec::new();
    other.spec.approvals_required = 2;
    ok(store.put_approver_policy(&policy).await, "put");
    ok(store.put_approver_policy(&other).await, "put");
    assert_eq!(
        ok(store.approver_policy(&id).await, "get"),
        Some(policy.clone())
    );
    assert_eq!(
        ok(store.approver_policy(&other_id).await, "get"),
        Some(other.clone())
    );

    let mut replaced = policy.clone();
    replaced.spec.name = "renamed".into();
    replaced.spec.approvals_required = 3;
    replaced.updated_at = T0 + Duration::hours(2);
    ok(store.put_approver_policy(&replaced).await, "replace");
    assert_eq!(
        ok(store.approver_policy(&id).await, "get"),
        Some(replaced.clone())
    );
    let listed = ok(store.approver_policies().await, "list");
    let mine: Vec<_> = listed
        .iter()
        .filter(|p| p.id == id || p.id == other_id)
        .cloned()
        .collect();
    assert_eq!(
        mine.len(),
        2,
        "each policy listed once: {:?}",
        policy_ids(listed.iter().map(|p| &p.id))
    );
    assert!(mine.contains(&replaced) && mine.contains(&other));

    assert!(ok(store.delete_approver_policy(&id).await, "delete"));
    assert_eq!(ok(store.approver_policy(&id).await, "get"), None);
    assert!(
        !ok(store.delete_approver_policy(&id).await, "delete"),
        "deleting it again answers false"
    );
    let listed = ok(store.approver_policies().await, "list");
    assert!(
        !listed.iter().any(|p| p.id == id),
        "a deleted policy is still listed"
    );
    assert!(
        listed.contains(&other),
        "deleting one policy removed another"
    );
    assert!(ok(store.delete_approver_policy(&other_id).await, "delete"));
}

/// `eligibility_policies_for` answers exactly the policies naming one of the principals:
/// a user and a group with the same id are different principals.
pub async fn eligibility_policies_for_returns_exactly_the_principals_policies(
    store: &dyn PolicyStore,
) {
    let ns = Ns::new("for-principals");
    let alice = ns.user_id("alice");
    let devs = ns.group_id("devs");
    let account = ns.account_id(1);
    let same_name_group = ns.group_id("alice");
    let policies = [
        eligibility_policy(
            &ns.policy_id("alice-1"),
            Principal::User(alice.clone()),
            &account,
        ),
        eligibility_policy(
            &ns.policy_id("alice-2"),
            Principal::User(alice.clone()),
            &ns.account_id(2),
        ),
        eligibility_policy(
            &ns.policy_id("devs"),
            Principal::Group(devs.clone()),
            &account,
        ),
        eligibility_policy(
            &ns.policy_id("frank"),
            Principal::User(ns.user_id("frank")),
            &account,
        ),
        eligibility_policy(
            &ns.policy_id("ops"),
            Principal::Group(ns.group_id("ops")),
            &account,
        ),
        eligibility_policy(
            &ns.policy_id("group-alice"),
            Principal::Group(same_name_group.clone()),
            &account,
        ),
    ];
    for p in &policies {
        ok(store.put_eligibility_policy(p).await, "put");
    }
    let names = |found: Vec<team_core::policy::EligibilityPolicy>| -> BTreeSet<String> {
        found.into_iter().map(|p| p.id.to_string()).collect()
    };
    let expected =
        |suffixes: &[&str]| -> BTreeSet<String> { suffixes.iter().map(|s| ns.id(s)).collect() };

    let found = ok(
        store
            .eligibility_policies_for(&[
                Principal::User(alice.clone()),
                Principal::Group(devs.clone()),
            ])
            .await,
        "for",
    );
    assert_eq!(found.len(), 3, "each policy once");
    assert_eq!(names(found), expected(&["alice-1", "alice-2", "devs"]));
    let user_only = ok(
        store
            .eligibility_policies_for(&[Principal::User(alice)])
            .await,
        "for",
    );
    assert_eq!(
        names(user_only),
        expected(&["alice-1", "alice-2"]),
        "the group named like the user is not the user"
    );
    let group_only = ok(
        store
            .eligibility_policies_for(&[Principal::Group(same_name_group)])
            .await,
        "for",
    );
    assert_eq!(names(group_only), expected(&["group-alice"]));
    let unknown = ok(
        store
            .eligibility_policies_for(&[Principal::Group(ns.group_id("nobody"))])
            .await,
        "for",
    );
    assert!(unknown.is_empty());
    let nobody = ok(store.eligibility_policies_for(&[]).await, "for");
    assert!(nobody.is_empty(), "no principals, no policies");
    for p in &policies {
        ok(store.delete_eligibility_policy(&p.id).await, "delete");
    }
}
