//! # team-contract
//!
//! The behaviour every [`RequestStore`] and [`PolicyStore`] must show, as a
//! library of checks. The in-memory reference stores of
//! [`team_core::memory`], the SQLite stores of `team-local` and the DynamoDB
//! stores all run the same suite, so they cannot drift apart.
//!
//! Every check is a `pub async fn` that talks to the store only through the
//! port trait and panics (`assert!`) when the store misbehaves. Each check
//! makes up its own ids (requests, users, accounts, policies) so checks do not
//! see each other's data; the exceptions are
//! [`policies::settings_default_when_never_saved`], which needs a store whose
//! settings were never written, and [`run_all`], which needs empty stores.

#![warn(missing_docs)]

use team_core::ports::{PolicyStore, RequestStore};

pub mod fixtures;
pub mod policies;
pub mod requests;

/// Runs every check of the suite on these stores.
///
/// Both stores must be empty (fresh): nothing stored and settings never saved.
/// The checks run one after the other, sharing the stores; each uses its own ids.
pub async fn run_all(requests: &dyn RequestStore, policies: &dyn PolicyStore) {
    requests::store_starts_empty(requests).await;
    policies::settings_default_when_never_saved(policies).await;
    run_request_checks(requests).await;
    run_policy_checks(policies).await;
}

/// Runs every [`RequestStore`] check that tolerates other data in the store.
pub async fn run_request_checks(store: &dyn RequestStore) {
    requests::put_without_version_creates_once(store).await;
    requests::put_with_wrong_version_conflicts_and_keeps_the_item(store).await;
    requests::put_with_the_stored_version_replaces(store).await;
    requests::put_expecting_a_version_of_a_missing_request_conflicts(store).await;
    requests::get_of_an_unknown_id_is_none(store).await;
    requests::query_filters_by_requester(store).await;
    requests::query_filters_by_approver(store).await;
    requests::a_request_with_many_approvers_is_listed_for_each_of_them(store).await;
    requests::query_filters_by_decided_by(store).await;
    requests::query_filters_by_statuses(store).await;
    requests::query_filters_by_account(store).await;
    requests::query_filters_by_active_window(store).await;
    requests::query_combines_filters(store).await;
    requests::query_orders_newest_first(store).await;
    requests::query_pages_walk_every_item_once(store).await;
    requests::unfiltered_pages_walk_every_item_once(store).await;
    requests::requests_created_while_paging_do_not_shift_the_next_pages(store).await;
    requests::garbage_next_token_is_a_validation_error(store).await;
    requests::events_come_back_oldest_first_per_request(store).await;
    requests::lease_writes_are_conditional(store).await;
    requests::lease_round_trips_holders_and_removing(store).await;
    requests::owed_leases_list_exactly_the_owed_removals(store).await;
}

/// Runs every [`PolicyStore`] check that tolerates other data in the store.
pub async fn run_policy_checks(store: &dyn PolicyStore) {
    policies::settings_round_trip(store).await;
    policies::eligibility_policy_crud(store).await;
    policies::approver_policy_crud(store).await;
    policies::eligibility_policies_for_returns_exactly_the_principals_policies(store).await;
}
