//! The reference in-memory stores pass the contract suite.

use team_core::memory::{MemoryPolicyStore, MemoryRequestStore};

#[tokio::test]
async fn the_memory_stores_pass_the_whole_contract() {
    let requests = MemoryRequestStore::default();
    let policies = MemoryPolicyStore::default();
    team_contract::run_all(&requests, &policies).await;
}

#[tokio::test]
async fn the_checks_tolerate_data_of_earlier_runs() {
    let requests = MemoryRequestStore::default();
    let policies = MemoryPolicyStore::default();
    team_contract::run_all(&requests, &policies).await;
    team_contract::run_request_checks(&requests).await;
    team_contract::run_policy_checks(&policies).await;
}
