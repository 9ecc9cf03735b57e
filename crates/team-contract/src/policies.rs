//! Checks of [`PolicyStore`]: settings and policy CRUD.

use std::collections::BTreeSet;
use std::fmt::Debug;

use team_core::TeamResult;
use team_core::ids::PolicyId;
use team_core::policy::{
    ApproverPolicy, EligibilityPolicy, NotificationSettings, Principal, Scope, Settings,
};
use team_core::ports::PolicyStore;
use time::Duration;

use crate::fixtures::{Ns, PS_ADMIN, T0, approver_policy, arn, eligibility_policy};

fn ok<T>(result: TeamResult<T>, what: &str) -> T {
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

/// The [`PolicyStore`] calls of one kind of policy, so that eligibility and
/// approver policies are held to the same CRUD checks.
trait StoredPolicy: Clone + PartialEq + Debug + Send + Sync {
    fn id(&self) -> &PolicyId;
    fn get<'a>(
        store: &'a dyn PolicyStore,
        id: &'a PolicyId,
    ) -> impl Future<Output = TeamResult<Option<Self>>> + Send + 'a;
    fn put<'a>(
        store: &'a dyn PolicyStore,
        policy: &'a Self,
    ) -> impl Future<Output = TeamResult<()>> + Send + 'a;
    fn delete<'a>(
        store: &'a dyn PolicyStore,
        id: &'a PolicyId,
    ) -> impl Future<Output = TeamResult<bool>> + Send + 'a;
    fn list<'a>(
        store: &'a dyn PolicyStore,
    ) -> impl Future<Output = TeamResult<Vec<Self>>> + Send + 'a;
}

// Only the names of the store calls differ between the two kinds.
macro_rules! stored_policy {
    ($policy:ident, get = $get:ident, put = $put:ident, delete = $delete:ident, list = $list:ident) => {
        impl StoredPolicy for $policy {
            fn id(&self) -> &PolicyId {
                &self.id
            }
            fn get<'a>(
                store: &'a dyn PolicyStore,
                id: &'a PolicyId,
            ) -> impl Future<Output = TeamResult<Option<Self>>> + Send + 'a {
                store.$get(id)
            }
            fn put<'a>(
                store: &'a dyn PolicyStore,
                policy: &'a Self,
            ) -> impl Future<Output = TeamResult<()>> + Send + 'a {
                store.$put(policy)
            }
            fn delete<'a>(
                store: &'a dyn PolicyStore,
                id: &'a PolicyId,
            ) -> impl Future<Output = TeamResult<bool>> + Send + 'a {
                store.$delete(id)
            }
            fn list<'a>(
                store: &'a dyn PolicyStore,
            ) -> impl Future<Output = TeamResult<Vec<Self>>> + Send + 'a {
                store.$list()
            }
        }
    };
}

stored_policy!(
    EligibilityPolicy,
    get = eligibility_policy,
    put = put_eligibility_policy,
    delete = delete_eligibility_policy,
    list = eligibility_policies
);
stored_policy!(
    ApproverPolicy,
    get = approver_policy,
    put = put_approver_policy,
    delete = delete_approver_policy,
    list = approver_policies
);

/// Creates `policy` and `other`, reads both back, replaces `policy` by
/// `replaced` (same id), and checks the list holds each once, as it is now.
async fn create_read_replace_list<P: StoredPolicy>(
    store: &dyn PolicyStore,
    policy: &P,
    other: &P,
    replaced: &P,
) {
    let (id, other_id) = (policy.id(), other.id());
    assert_eq!(ok(P::get(store, id).await, "get"), None, "unknown policy");
    ok(P::put(store, policy).await, "put");
    ok(P::put(store, other).await, "put");
    assert_eq!(ok(P::get(store, id).await, "get"), Some(policy.clone()));
    assert_eq!(
        ok(P::get(store, other_id).await, "get"),
        Some(other.clone())
    );

    ok(P::put(store, replaced).await, "replace");
    assert_eq!(ok(P::get(store, id).await, "get"), Some(replaced.clone()));

    let listed = ok(P::list(store).await, "list");
    let mine: Vec<_> = listed
        .iter()
        .filter(|p| p.id() == id || p.id() == other_id)
        .cloned()
        .collect();
    assert_eq!(
        mine.len(),
        2,
        "each policy listed once: {:?}",
        policy_ids(listed.iter().map(P::id))
    );
    assert!(
        mine.contains(replaced) && mine.contains(other),
        "the list holds the current versions"
    );
}

/// Deletes the policy `id` (answering `true`, then `false` the second time)
/// and checks it is gone while `other` is still there.
async fn delete_one_keeps_the_other<P: StoredPolicy>(
    store: &dyn PolicyStore,
    id: &PolicyId,
    other: &P,
) {
    assert!(
        ok(P::delete(store, id).await, "delete"),
        "deleting an existing policy answers true"
    );
    assert_eq!(ok(P::get(store, id).await, "get"), None);
    assert!(
        !ok(P::delete(store, id).await, "delete"),
        "deleting it again answers false"
    );
    let listed = ok(P::list(store).await, "list");
    assert!(
        !listed.iter().any(|p| p.id() == id),
        "a deleted policy is still listed"
    );
    assert!(
        listed.contains(other),
        "deleting one policy removed another"
    );
}

/// Eligibility policies: create, read, list, replace, delete (`false` when missing).
pub async fn eligibility_policy_crud(store: &dyn PolicyStore) {
    let ns = Ns::new("eligibility");
    let id = ns.policy_id("p1");
    let other_id = ns.policy_id("p2");
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
    let mut replaced = policy.clone();
    replaced.spec.name = "renamed".into();
    replaced.spec.principal = Principal::User(ns.user_id("bob"));
    replaced.spec.permission_sets = vec![arn(PS_ADMIN)];
    replaced.updated_at = T0 + Duration::hours(1);

    create_read_replace_list(store, &policy, &other, &replaced).await;
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

    delete_one_keeps_the_other(store, &id, &other).await;
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
    let bob = ns.user_id("bob");
    let policy = approver_policy(&id, &ns.account_id(1), &[&bob]);
    let mut other = approver_policy(&other_id, &ns.account_id(2), &[]);
    other.spec.scope =
        Scope::Ou(team_core::ids::OuId::parse("r-abcd").unwrap_or_else(|e| panic!("{e}")));
    other.spec.approver_groups = vec![ns.group_id("approvers")];
    other.spec.permission_sets = Vec::new();
    other.spec.approvals_required = 2;
    let mut replaced = policy.clone();
    replaced.spec.name = "renamed".into();
    replaced.spec.approvals_required = 3;
    replaced.updated_at = T0 + Duration::hours(2);

    create_read_replace_list(store, &policy, &other, &replaced).await;
    delete_one_keeps_the_other(store, &id, &other).await;
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
    let names = |found: Vec<EligibilityPolicy>| -> BTreeSet<String> {
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
