//! # team-core
//!
//! The pure domain of TEAM-rs: validated identifiers, the access request
//! lifecycle as an explicit transition table, eligibility and approver policy
//! evaluation, authorization rules, the ports (traits) that adapters implement,
//! the application service that the HTTP API calls and the step handlers that
//! the state machines invoke.
//!
//! No AWS SDK, no Lambda runtime and no HTTP crates live here.

pub mod access;
pub mod audit;
pub mod error;
pub mod executions;
pub mod ids;
pub mod memory;
pub mod org;
pub mod policy;
pub mod ports;
pub mod request;
pub mod service;
pub mod steps;
pub mod sweep;
#[cfg(feature = "system")]
pub mod system;

pub use error::{TeamError, TeamResult};
pub use service::{Caller, Ports, Team};
