//! Time and ids for the service in Lambda.

use std::time::Duration;

use async_trait::async_trait;
use team_core::ports::{Clock, IdGenerator};
use time::OffsetDateTime;

/// The system clock; `sleep` is Tokio's (the grant and revoke steps poll with it).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

#[async_trait]
impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }

    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}

/// Random (v4) UUIDs: unique across concurrent Lambda instances without coordination.
#[derive(Debug, Clone, Copy, Default)]
pub struct UuidIds;

impl IdGenerator for UuidIds {
    fn new_id(&self) -> String {
        uuid::Uuid::new_v4().to_string()
    }
}
