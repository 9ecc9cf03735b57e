//! # team-lambda
//!
//! What every TEAM-rs Lambda function shares: typed configuration from the
//! environment ([`Config`]), the wiring of the domain service over the AWS adapters,
//! the caller's identity from the API Gateway JWT authorizer's claims
//! ([`ClaimsAuthenticator`]), and the event loops — the HTTP API ([`serve_http`]),
//! Step Functions tasks ([`serve_steps`]), both at once ([`serve_http_and_steps`]),
//! the Cognito pre-token-generation trigger ([`serve_token`]), the notification
//! fan-out ([`serve_notify`]) and the scheduled reconciler ([`serve_sweep`]).
//!
//! Each function crate (`crates/team-<name>`) is a `main` that reads the
//! configuration, builds the clients once per cold start and calls one of these.

pub mod auth;
pub mod config;
pub mod http;
pub mod notify;
pub mod steps;
pub mod sweep;
pub mod telemetry;
pub mod token;
pub mod wire;

pub use auth::{ClaimsAuthenticator, GROUPS_CLAIM, ROLES_CLAIM, USER_ID_CLAIM};
pub use config::{Config, ConfigError, NotifyConfig, TokenConfig};
pub use http::{serve_http, serve_http_and_steps};
pub use notify::{TopicNotifier, serve_notify};
pub use steps::{StepError, serve_steps};
pub use sweep::serve_sweep;
pub use telemetry::init_tracing;
pub use token::{RoleGroups, serve_token};
pub use wire::{load_sdk_config, wire};

/// The error a function's `main` returns (a failed cold start).
pub use lambda_runtime::Error;
/// Which step function a binary is.
pub use team_core::steps::StepFunction;
