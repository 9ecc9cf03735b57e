//! # teamd
//!
//! The local twin of TEAM-rs: the domain, the HTTP API and the very state machine
//! files that run in AWS, in one process with embedded storage, a simulated
//! organization and Identity Center, and durable local timers.

pub mod dispatch;
mod local_routes;
pub mod twin;

pub use twin::{Storage, Twin, TwinConfig, TwinError};
