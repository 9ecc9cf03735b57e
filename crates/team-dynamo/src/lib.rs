//! # team-dynamo
//!
//! The [`RequestStore`](team_core::ports::RequestStore) and
//! [`PolicyStore`](team_core::ports::PolicyStore) ports of TEAM-rs on Amazon DynamoDB,
//! with the semantics of the SQLite stores of `team-local` (both pass the
//! `team-contract` suite):
//!
//! - every request and lease write is conditional on its `version` attribute
//!   (`None`: the item must not exist; `Some(v)`: it must be at `v`); a failed
//!   condition is [`TeamError::Conflict`](team_core::TeamError::Conflict);
//! - lists are pages of newest-first requests, read from global secondary indexes
//!   (never a scan), with an opaque `nextToken`; a token this store did not issue is
//!   a [`TeamError::Validation`](team_core::TeamError::Validation) on `nextToken`;
//! - throttling and DynamoDB's own failures are
//!   [`TeamError::Transient`](team_core::TeamError::Transient) (the state machines
//!   retry them), anything else [`TeamError::Internal`](team_core::TeamError::Internal).
//!
//! The table design — keys, indexes, attributes, and the queries an auditor can run —
//! is documented in `infra/dynamodb.md`; [`requests_table`] and [`policies_table`]
//! are the same design as `CreateTable` input, and [`create_tables`] creates both.
//!
//! Global secondary indexes are eventually consistent: a list may miss a write made a
//! moment before. Single-item reads (`get`, `lease`, `settings`, a policy by id) and a
//! request's events are strongly consistent.

#![warn(missing_docs)]

mod error;
mod item;
mod policies;
mod requests;
mod schema;
mod sweeps;

pub use item::{
    ACCOUNT_ID, CREATED_KEY, END_NS, INDEX_USER, ITEM_TYPE, PK, PRINCIPAL_KEY, REQUEST_STATUS,
    REQUESTER_ID, SK, START_NS,
};
pub use policies::DynamoPolicyStore;
pub use requests::DynamoRequestStore;
pub use schema::{
    BY_ACCOUNT, BY_PRINCIPAL, BY_REQUESTER, BY_STATUS, BY_USER, TableDefinition, create_tables,
    policies_table, requests_table, table_definitions,
};
pub use sweeps::{DynamoSweepLog, EXPIRES_AT};
