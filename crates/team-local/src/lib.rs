//! # team-local
//!
//! The local adapters of TEAM-rs, which the local twin `teamd` plugs into the
//! domain's ports:
//!
//! - [`Db`]: one SQLite file (WAL), shared by everything below;
//! - [`SqliteRequestStore`], [`SqlitePolicyStore`]: the stores, with the
//!   semantics of `team_core::memory` (checked by the `team-contract` suite);
//! - [`Seed`], [`SimDirectory`], [`SimOrganization`]: a simulated organization
//!   and Identity Center directory from a seed file ([`DEMO_SEED`] by default);
//! - [`SimIdentityCenter`], [`SimActivity`], [`SimFaults`]: simulated account
//!   assignments that settle asynchronously, with injectable faults (throttling,
//!   failures, latency, a crash right after a side effect) that can change at run
//!   time, and the CloudTrail-like activity of those calls;
//! - [`LocalScheduler`]: durable end-of-session timers;
//! - [`Outbox`]: the notification outbox;
//! - [`SqliteSweepLog`]: the reconciler's runs;
//! - [`SystemClock`], [`ManualClock`], [`UuidIds`]: time and ids;
//! - [`SqliteExecutionStore`]: durable workflow executions for `team-asl`.

#![warn(missing_docs)]

mod clock;
mod db;
mod executions;
mod identity_center;
mod outbox;
mod scheduler;
mod seed;
mod sim;
mod store;
mod sweeps;

pub use clock::ManualClock;
pub use db::Db;
pub use executions::SqliteExecutionStore;
pub use identity_center::{
    DEFAULT_FAILURE_REASON, DEFAULT_SETTLE_DELAY, SIM_REGION, SSO_EVENT_SOURCE, SideEffectHook,
    SimActivity, SimFaults, SimIdentityCenter,
};
pub use outbox::{Outbox, StoredNotification};
pub use scheduler::LocalScheduler;
pub use seed::{DEMO_SEED, Seed, SeedGroup, SeedPolicy};
pub use sim::{SimDirectory, SimOrganization};
pub use store::{SqlitePolicyStore, SqliteRequestStore};
pub use sweeps::{KEPT_SWEEPS, SqliteSweepLog};
pub use team_core::system::{SystemClock, UuidIds};
