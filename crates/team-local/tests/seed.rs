//! The seed file: the demo organization, validation of bad seeds, and
//! applying seed policies to a store.
#![allow(clippy::unwrap_used)]

use team_core::TeamError;
use team_core::ids::{AccountId, PermissionSetArn, UserId};
use team_core::memory::MemoryPolicyStore;
use team_core::policy::{Settings, approvers_for, evaluate_eligibility, principals_of};
use team_core::ports::{Directory, PolicyStore};
use team_local::{Db, Seed, SimDirectory, SqlitePolicyStore};
use time::macros::datetime;

const ADMIN: &str = "arn:aws:sso:::permissionSet/ssoins-72238a1b2c3d4e5f/ps-0a1b2c3d4e5f6a01";
const DATABASE: &str = "arn:aws:sso:::permissionSet/ssoins-72238a1b2c3d4e5f/ps-0a1b2c3d4e5f6a04";
const READ_ONLY: &str = "arn:aws:sso:::permissionSet/ssoins-72238a1b2c3d4e5f/ps-0a1b2c3d4e5f6a03";

fn account_named(seed: &Seed, name: &str) -> AccountId {
    seed.accounts
        .iter()
        .find(|a| a.name == name)
        .unwrap()
        .id
        .clone()
}

#[test]
fn the_demo_management_account_is_listed_but_never_eligible_like_in_aws() {
    let seed = Seed::demo().unwrap();
    let tree = seed.tree().unwrap();
    let management = tree.account(&account_named(&seed, "management")).unwrap();
    assert!(
        management
            .unassignable
            .as_deref()
            .is_some_and(|r| r.contains("management account"))
    );
    // An admin covering the whole organization still does not make it requestable.
    let root = tree
        .ous()
        .find(|o| o.parent_id.is_none())
        .unwrap()
        .id
        .clone();
    let alice = UserId::parse("u-alice").unwrap();
    let mut spec = seed.eligibility_policies[0].spec.clone();
    spec.ous = vec![root];
    spec.accounts = Vec::new();
    spec.principal = team_core::policy::Principal::User(alice.clone());
    let everything = team_core::policy::EligibilityPolicy {
        id: seed.eligibility_policies[0].id.clone(),
        spec,
        updated_at: datetime!(2026-01-01 0:00 UTC),
    };
    let eligible = evaluate_eligibility(
        &tree,
        &seed.permission_sets,
        &[everything],
        &principals_of(&alice, &[]),
        &Settings::default(),
    );
    assert_eq!(
        eligible.accounts.len(),
        9,
        "every account but the management account"
    );
    assert!(
        eligible
            .accounts
            .iter()
            .all(|a| a.account_id != management.id)
    );
}

#[test]
fn the_demo_seed_parses_builds_its_tree_and_every_policy_validates() {
    let seed = Seed::demo().unwrap();
    let tree = seed.tree().unwrap();
    assert_eq!(tree.accounts().count(), 10);
    assert_eq!(seed.permission_sets.len(), 5);
    assert!(!seed.eligibility_policies.is_empty() && !seed.approver_policies.is_empty());
    for p in &seed.eligibility_policies {
        p.spec
            .validate(&tree, &seed.permission_sets)
            .unwrap_or_else(|e| panic!("{}: {e}", p.id));
    }
    for p in &seed.approver_policies {
        p.spec
            .validate(&tree, &seed.permission_sets)
            .unwrap_or_else(|e| panic!("{}: {e}", p.id));
    }
    let settings = seed.settings.clone().unwrap();
    settings.validate().unwrap();
    assert_eq!(
        (
            settings.admin_group.as_str(),
            settings.auditor_group.as_str()
        ),
        ("team-admins", "team-auditors")
    );
    // OUs nest two deep: payments-prod sits in Prod, in Workloads, in the root.
    assert_eq!(
        tree.ancestors(&account_named(&seed, "payments-prod")).len(),
        3
    );
    let names: Vec<&str> = seed
        .permission_sets
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    for expected in [
        "AdministratorAccess",
        "PowerUserAccess",
        "ReadOnlyAccess",
        "DatabaseAdmin",
        "Billing",
    ] {
        assert!(names.contains(&expected), "{expected} missing");
    }
}

#[tokio::test]
async fn the_demo_users_have_their_roles() {
    let seed = Seed::demo().unwrap();
    let directory = SimDirectory::new(&seed);
    let groups_of = |name: &'static str| {
        let directory = directory.clone();
        let id = seed.user_id(name).unwrap().clone();
        async move {
            directory
                .groups_of(&id)
                .await
                .unwrap()
                .into_iter()
                .map(|g| g.name)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(groups_of("alice").await, vec!["developers"]);
    assert_eq!(groups_of("bob").await, vec!["prod-approvers"]);
    assert_eq!(groups_of("erin").await, vec!["prod-approvers"]);
    assert_eq!(groups_of("carol").await, vec!["team-admins"]);
    assert_eq!(groups_of("dave").await, vec!["team-auditors"]);
    assert!(groups_of("frank").await.is_empty());
}

#[tokio::test]
async fn alice_may_request_workloads_with_approval_and_her_sandbox_without() {
    let seed = Seed::demo().unwrap();
    let tree = seed.tree().unwrap();
    let store = MemoryPolicyStore::default();
    seed.apply_policies(&store).await.unwrap();
    let policies = store.eligibility_policies().await.unwrap();
    let directory = SimDirectory::new(&seed);
    let eligibility_of = |name: &str| {
        let id = seed.user_id(name).unwrap().clone();
        let directory = directory.clone();
        let tree = tree.clone();
        let policies = policies.clone();
        let catalogue = seed.permission_sets.clone();
        let settings = seed.settings.clone().unwrap();
        async move {
            let groups: Vec<_> = directory
                .groups_of(&id)
                .await
                .unwrap()
                .into_iter()
                .map(|g| g.id)
                .collect();
            evaluate_eligibility(
                &tree,
                &catalogue,
                &policies,
                &principals_of(&id, &groups),
                &settings,
            )
        }
    };
    let alice = eligibility_of("alice").await;
    let sandbox = alice
        .find(
            &account_named(&seed, "sandbox-alice"),
            &PermissionSetArn::parse(ADMIN).unwrap(),
        )
        .unwrap();
    assert!(!sandbox.approval_required, "no approval in her sandbox");
    let prod_db = alice
        .find(
            &account_named(&seed, "payments-prod"),
            &PermissionSetArn::parse(DATABASE).unwrap(),
        )
        .unwrap();
    assert!(prod_db.approval_required && prod_db.ticket_required);
    let names: Vec<&str> = alice
        .accounts
        .iter()
        .map(|a| a.account_name.as_str())
        .collect();
    assert_eq!(
        names,
        vec![
            "orders-dev",
            "orders-prod",
            "payments-dev",
            "payments-prod",
            "sandbox-alice",
            "shared-services"
        ]
    );
    assert!(
        alice
            .accounts
            .iter()
            .filter(|a| a.account_name != "sandbox-alice")
            .all(|a| a.permission_sets.iter().all(|p| p.approval_required))
    );
    assert!(
        eligibility_of("frank").await.accounts.is_empty(),
        "frank may request nothing"
    );
    assert!(
        eligibility_of("carol").await.accounts.is_empty(),
        "the admin is not eligible by default"
    );
}

#[tokio::test]
async fn bob_and_erin_approve_the_workloads_and_only_erin_approves_database_admin_in_prod() {
    let seed = Seed::demo().unwrap();
    let tree = seed.tree().unwrap();
    let store = MemoryPolicyStore::default();
    seed.apply_policies(&store).await.unwrap();
    let policies = store.approver_policies().await.unwrap();
    let directory = SimDirectory::new(&seed);
    let approvers = |account: &str, ps: &str| {
        let set = approvers_for(
            &tree,
            &policies,
            &account_named(&seed, account),
            &PermissionSetArn::parse(ps).unwrap(),
        );
        let directory = directory.clone();
        async move {
            let mut names: Vec<String> = set.users.iter().map(|u| u.to_string()).collect();
            for g in &set.groups {
                names.extend(
                    directory
                        .members_of(g)
                        .await
                        .unwrap()
                        .into_iter()
                        .map(|u| u.id.to_string()),
                );
            }
            names.sort();
            names.dedup();
            names
        }
    };
    let bob = seed.user_id("bob").unwrap().to_string();
    let erin = seed.user_id("erin").unwrap().to_string();
    for account in [
        "orders-dev",
        "payments-dev",
        "orders-prod",
        "payments-prod",
        "shared-services",
    ] {
        assert_eq!(
            approvers(account, READ_ONLY).await,
            vec![bob.clone(), erin.clone()],
            "{account}"
        );
    }
    assert_eq!(
        approvers("payments-prod", DATABASE).await,
        vec![erin.clone()],
        "narrowed to DatabaseAdmin"
    );
    assert!(approvers("sandbox-alice", ADMIN).await.is_empty());
}

#[test]
fn every_demo_user_id_is_an_identity_store_id() {
    let seed = Seed::demo().unwrap();
    for name in ["alice", "bob", "carol", "dave", "erin", "frank"] {
        let id = seed
            .user_id(name)
            .unwrap_or_else(|| panic!("{name} missing"));
        assert!(id.as_str().starts_with("9067"), "{id}");
        UserId::parse(id.as_str()).unwrap();
    }
}

fn minimal(extra: &str) -> String {
    format!(
        r#"{{"ous": [{{"id": "r-abcd", "name": "Root"}}, {{"id": "ou-abcd-11111111", "name": "Apps", "parentId": "r-abcd"}}],
            "accounts": [{{"id": "111111111111", "name": "app", "parentId": "ou-abcd-11111111"}}],
            "permissionSets": [{{"arn": "arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-aaaaaaaaaaaaaaaa", "name": "Admin"}}],
            "users": [{{"id": "u-1", "username": "ann", "displayName": "Ann"}}]
            {extra}}}"#
    )
}

fn field_of(err: TeamError) -> String {
    match err {
        TeamError::Validation { field, .. } => field,
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[test]
fn a_minimal_seed_parses() {
    let seed = Seed::parse(&minimal("")).unwrap();
    assert_eq!(seed.accounts.len(), 1);
    assert_eq!(seed.settings, None);
}

#[test]
fn a_group_member_that_is_no_user_is_refused() {
    let err = Seed::parse(&minimal(
        r#", "groups": [{"id": "g-1", "name": "devs", "members": ["ann", "zed"]}]"#,
    ))
    .unwrap_err();
    assert_eq!(field_of(err), "groups[0].members");
}

#[test]
fn a_policy_with_an_unknown_field_is_refused() {
    let err = Seed::parse(&minimal(
        r#", "eligibilityPolicies": [{"id": "p1", "name": "n", "principal": {"type": "user", "id": "u-1"},
            "accounts": ["111111111111"], "permissionSets": ["arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-aaaaaaaaaaaaaaaa"],
            "maxDurationHours": 2}]"#,
    ))
    .unwrap_err();
    assert!(err.to_string().contains("maxDurationHours"), "{err}");
    assert_eq!(field_of(err), "eligibilityPolicies[0]");
}

#[test]
fn a_policy_naming_an_account_outside_the_organization_is_refused() {
    let err = Seed::parse(&minimal(
        r#", "eligibilityPolicies": [{"id": "p1", "name": "n", "principal": {"type": "user", "id": "u-1"},
            "accounts": ["999999999999"], "permissionSets": ["arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-aaaaaaaaaaaaaaaa"],
            "maxDurationMinutes": 60}]"#,
    ))
    .unwrap_err();
    assert_eq!(field_of(err), "eligibilityPolicies[0].accounts");
}

#[test]
fn a_policy_naming_an_unknown_principal_or_approver_is_refused() {
    let err = Seed::parse(&minimal(
        r#", "eligibilityPolicies": [{"id": "p1", "name": "n", "principal": {"type": "group", "id": "g-none"},
            "accounts": ["111111111111"], "permissionSets": ["arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-aaaaaaaaaaaaaaaa"],
            "maxDurationMinutes": 60}]"#,
    ))
    .unwrap_err();
    assert_eq!(field_of(err), "eligibilityPolicies[0].principal");
    let err = Seed::parse(&minimal(
        r#", "approverPolicies": [{"id": "a1", "name": "n", "scope": {"type": "ou", "id": "r-abcd"}, "approverUsers": ["u-none"]}]"#,
    ))
    .unwrap_err();
    assert_eq!(field_of(err), "approverPolicies[0].approverUsers");
}

#[test]
fn a_policy_without_an_id_is_refused() {
    let err = Seed::parse(&minimal(
        r#", "approverPolicies": [{"name": "n", "scope": {"type": "ou", "id": "r-abcd"}, "approverUsers": ["u-1"]}]"#,
    ))
    .unwrap_err();
    assert_eq!(field_of(err), "approverPolicies[0].id");
}

#[test]
fn duplicate_ids_and_broken_trees_are_refused() {
    let duplicated = minimal("").replace(
        r#"[{"id": "111111111111", "name": "app", "parentId": "ou-abcd-11111111"}]"#,
        r#"[{"id": "111111111111", "name": "app", "parentId": "ou-abcd-11111111"}, {"id": "111111111111", "name": "again", "parentId": "r-abcd"}]"#,
    );
    assert_eq!(field_of(Seed::parse(&duplicated).unwrap_err()), "accounts");
    let orphan = minimal("").replace(
        r#""parentId": "ou-abcd-11111111"}]"#,
        r#""parentId": "ou-abcd-99999999"}]"#,
    );
    assert_eq!(field_of(Seed::parse(&orphan).unwrap_err()), "ous");
    assert_eq!(field_of(Seed::parse("{not json").unwrap_err()), "seed");
    let bad_account = minimal("").replace("111111111111", "1111");
    assert_eq!(field_of(Seed::parse(&bad_account).unwrap_err()), "seed");
}

#[test]
fn invalid_settings_are_refused() {
    let err = Seed::parse(&minimal(
        r#", "settings": {"maxDurationHours": 0, "approvalExpiryHours": 3, "approvalWorkflow": true,
            "commentRequired": false, "ticketRequired": false,
            "notifications": {"email": true, "sns": false, "slack": false},
            "adminGroup": "a", "auditorGroup": "b"}"#,
    ))
    .unwrap_err();
    assert_eq!(field_of(err), "settings.maxDurationHours");
}

#[tokio::test]
async fn seed_policies_go_into_a_fresh_store_once_and_admin_edits_survive_a_restart() {
    let seed = Seed::demo().unwrap();
    let db = Db::in_memory().unwrap();
    let now = datetime!(2026-03-02 09:00 UTC);
    {
        let store = SqlitePolicyStore::new(db.clone());
        assert!(
            seed.apply_policies_at(&store, now).await.unwrap(),
            "a fresh store is seeded"
        );
        assert_eq!(
            store.eligibility_policies().await.unwrap().len(),
            seed.eligibility_policies.len()
        );
        assert_eq!(
            store.approver_policies().await.unwrap().len(),
            seed.approver_policies.len()
        );
        assert_eq!(Some(store.settings().await.unwrap()), seed.settings);
        let first = store.eligibility_policies().await.unwrap().remove(0);
        assert_eq!(first.updated_at, now);
        // An admin edits.
        assert!(store.delete_eligibility_policy(&first.id).await.unwrap());
        store
            .put_settings(&Settings {
                max_duration_hours: 2,
                ..Settings::default()
            })
            .await
            .unwrap();
    }
    // teamd restarts on the same data.
    let store = SqlitePolicyStore::new(db);
    assert!(
        !seed.apply_policies(&store).await.unwrap(),
        "an edited store is left alone"
    );
    assert_eq!(
        store.eligibility_policies().await.unwrap().len(),
        seed.eligibility_policies.len() - 1
    );
    assert_eq!(store.settings().await.unwrap().max_duration_hours, 2);
}

#[tokio::test]
async fn a_store_whose_only_change_is_its_settings_is_not_seeded() {
    let seed = Seed::demo().unwrap();
    let store = MemoryPolicyStore::default();
    store
        .put_settings(&Settings {
            comment_required: true,
            ..Settings::default()
        })
        .await
        .unwrap();
    assert!(!seed.apply_policies(&store).await.unwrap());
    assert!(store.eligibility_policies().await.unwrap().is_empty());
    assert!(store.settings().await.unwrap().comment_required);
}
