//! # team-aws
//!
//! The AWS adapters of TEAM-rs: each implements one port of `team_core::ports`
//! over the AWS SDK for Rust, with the semantics of the local adapters in
//! `team-local` (idempotent, failures mapped onto [`team_core::TeamError`]).
//!
//! | module | port | AWS |
//! | --- | --- | --- |
//! | [`sso_admin`] | `AccessProvisioner` | IAM Identity Center (SSO Admin) account assignments |
//! | [`identity_store`] | `Directory` | Identity Store users, groups, memberships |
//! | [`organizations`] | `Organization` | Organizations tree + SSO Admin permission sets, cached |
//! | [`step_functions`] | `Workflow` | Step Functions executions and task tokens |
//! | [`scheduler`] | `Scheduler` | EventBridge Scheduler one-time schedules |
//! | [`notify`] | `Notifier` | SES v2 e-mail, SNS, Slack (token from Secrets Manager) |
//! | [`cloudtrail`] | `SessionActivity` | CloudTrail Lake queries (not emulated by moto: smithy-mock tests only) |
//!
//! Transient AWS failures (throttling, conflicts, 5xx, timeouts) are retried with
//! [`Backoff`] and then surface as `TeamError::Transient`, which the state
//! machines retry as `TeamTransientError`.
//!
//! Every constructor takes ready SDK clients, so the caller decides region,
//! credentials and endpoint (the integration tests point them at moto).
//!
//! ## Tests
//!
//! - `tests/mocked.rs`: every adapter against `aws-smithy-mocks` (no network):
//!   throttling, conflicts, failed operations, idempotency, request contents.
//! - `tests/moto.rs`: SSO Admin, Identity Store, Organizations, Scheduler, SES and
//!   SNS over the wire against a moto server each test starts itself
//!   (`tests/support/mod.rs`). They need `pip install 'moto[server]'` and fail,
//!   saying so, without it. CloudTrail Lake is not emulated by moto: its adapter
//!   is tested with mocks only.

#![warn(missing_docs)]

pub mod cloudtrail;
pub mod identity_store;
pub mod notify;
pub mod organizations;
mod retry;
pub mod scheduler;
pub mod sso_admin;
pub mod step_functions;

/// The request and notification the unit tests share with the integration tests.
#[cfg(test)]
#[path = "../tests/fixtures/mod.rs"]
mod fixtures;

pub use cloudtrail::{CloudTrailConfig, CloudTrailLakeActivity, EventDataStoreId};
pub use identity_store::IdentityStoreDirectory;
pub use notify::{AwsNotifier, NotifierConfig, SlackConfig};
pub use organizations::{AwsOrganization, DEFAULT_CACHE_TTL, TeamAccount};
pub use retry::Backoff;
pub use scheduler::{EventBridgeScheduler, SchedulerConfig};
pub use sso_admin::SsoAdminProvisioner;
pub use step_functions::{StateMachineArns, StepFunctionsWorkflow};
