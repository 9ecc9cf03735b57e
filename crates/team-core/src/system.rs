//! The real clock and id generator, shared by the local twin and the Lambda functions
//! (feature `system`: it brings Tokio's timer and `uuid`, which the pure domain and its
//! tests do not need).

use std::time::Duration;

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::ports::{Clock, IdGenerator};

/// Real time: `now` is the system clock, `sleep` is Tokio's (the grant and revoke steps
/// poll Identity Center with it).
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

/// Random (version 4) UUIDs, e.g. `0b6f6a8e-…`: valid request and policy ids, unique
/// across processes (concurrent Lambda instances) without coordination.
#[derive(Debug, Clone, Copy, Default)]
pub struct UuidIds;

impl IdGenerator for UuidIds {
    fn new_id(&self) -> String {
        uuid::Uuid::new_v4().to_string()
    }
}
