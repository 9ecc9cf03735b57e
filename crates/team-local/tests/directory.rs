//! The simulated directory and organization.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use team_core::ids::{GroupId, UserId};
use team_core::ports::{Directory, Organization};
use team_local::{Seed, SimDirectory, SimOrganization};

fn demo() -> (Seed, SimDirectory) {
    let seed = Seed::demo().unwrap();
    let directory = SimDirectory::new(&seed);
    (seed, directory)
}

#[tokio::test]
async fn users_are_found_by_id_and_by_user_name_ignoring_case() {
    let (seed, directory) = demo();
    let alice_id = seed.user_id("alice").unwrap().clone();
    let alice = directory.user(&alice_id).await.unwrap().unwrap();
    assert_eq!(alice.username, "alice");
    assert_eq!(alice.email.as_deref(), Some("alice@example.com"));
    assert_eq!(
        directory
            .user_by_username("ALICE")
            .await
            .unwrap()
            .unwrap()
            .id,
        alice_id
    );
    assert_eq!(directory.user_by_username("mallory").await.unwrap(), None);
    assert_eq!(
        directory
            .user(&UserId::parse("nobody").unwrap())
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn group_members_come_back_by_user_name_and_unknown_groups_are_empty() {
    let (seed, directory) = demo();
    let approvers = seed
        .groups
        .iter()
        .find(|g| g.name == "prod-approvers")
        .unwrap()
        .id
        .clone();
    let members: Vec<String> = directory
        .members_of(&approvers)
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.username)
        .collect();
    assert_eq!(members, vec!["bob", "erin"]);
    assert!(
        directory
            .members_of(&GroupId::parse("g-none").unwrap())
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn listing_users_and_groups_is_sorted_by_name() {
    let (_, directory) = demo();
    let users: Vec<String> = directory
        .users()
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.username)
        .collect();
    assert_eq!(
        users,
        vec!["alice", "bob", "carol", "dave", "erin", "frank"]
    );
    let groups: Vec<String> = directory
        .groups()
        .await
        .unwrap()
        .into_iter()
        .map(|g| g.name)
        .collect();
    assert_eq!(
        groups,
        vec![
            "developers",
            "prod-approvers",
            "team-admins",
            "team-auditors"
        ]
    );
}

#[tokio::test]
async fn the_organization_caches_its_tree_and_lists_the_catalogue() {
    let seed = Seed::demo().unwrap();
    let org = SimOrganization::new(&seed).unwrap();
    let first = org.tree().await.unwrap();
    let second = org.tree().await.unwrap();
    assert!(Arc::ptr_eq(&first, &second), "the tree is built once");
    assert_eq!(first.accounts().count(), seed.accounts.len());
    assert_eq!(org.permission_sets().await.unwrap(), seed.permission_sets);
}

#[test]
fn an_organization_whose_ous_form_a_cycle_is_refused() {
    let mut seed = Seed::demo().unwrap();
    // Make the root a child of one of its OUs.
    let child = seed.ous[1].id.clone();
    seed.ous[0].parent_id = Some(child);
    assert!(SimOrganization::new(&seed).is_err());
}
