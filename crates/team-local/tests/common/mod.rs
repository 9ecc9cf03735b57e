//! Helpers shared by the integration tests.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::PathBuf;
use std::sync::Arc;

use team_core::ids::{AccountId, PermissionSetArn, UserId};
use team_core::request::Assignment;
use team_local::ManualClock;
use time::OffsetDateTime;
use time::macros::datetime;

/// Where test clocks start.
pub const T0: OffsetDateTime = datetime!(2026-03-02 09:00:00 UTC);

/// A permission set ARN.
pub const PS: &str = "arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-aaaaaaaaaaaaaaaa";

/// A temporary directory removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("team-local-{name}-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    /// A database file path inside it.
    pub fn db(&self) -> PathBuf {
        self.0.join("teamd.db")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A manual clock at [`T0`].
pub fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(T0))
}

/// An assignment of `user` on `account`.
pub fn assignment(user: &str, account: &str) -> Assignment {
    Assignment {
        user_id: UserId::parse(user).unwrap(),
        account_id: AccountId::parse(account).unwrap(),
        permission_set_arn: PermissionSetArn::parse(PS).unwrap(),
    }
}
