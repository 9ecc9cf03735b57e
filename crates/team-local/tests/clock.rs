//! Clocks and ids.
#![allow(clippy::unwrap_used)]

use std::collections::HashSet;
use std::time::Duration;

use team_core::ids::RequestId;
use team_core::ports::{Clock, IdGenerator};
use team_local::{ManualClock, SystemClock, UuidIds};
use time::OffsetDateTime;
use time::macros::datetime;

const T0: OffsetDateTime = datetime!(2026-03-02 09:00:00 UTC);

#[tokio::test]
async fn a_manual_clock_moves_only_when_told_and_sleeping_moves_it() {
    let clock = ManualClock::new(T0);
    assert_eq!(clock.now(), T0);
    clock.sleep(Duration::from_secs(90)).await;
    assert_eq!(clock.now(), T0 + time::Duration::seconds(90));
    clock.advance(Duration::from_millis(500));
    clock.advance(time::Duration::minutes(1));
    assert_eq!(clock.now_utc(), T0 + time::Duration::milliseconds(150_500));
    clock.advance(time::Duration::minutes(-2));
    assert_eq!(clock.now_utc(), T0 + time::Duration::milliseconds(30_500));
    clock.set(T0);
    assert_eq!(clock.now(), T0);
}

#[tokio::test]
async fn the_system_clock_shows_real_time_and_really_sleeps() {
    let clock = SystemClock;
    let before = OffsetDateTime::now_utc();
    let started = std::time::Instant::now();
    clock.sleep(Duration::from_millis(20)).await;
    assert!(started.elapsed() >= Duration::from_millis(20));
    let now = clock.now();
    assert!(now >= before && now - before < time::Duration::minutes(1));
}

#[test]
fn uuid_ids_are_unique_valid_request_ids() {
    let ids = UuidIds;
    let made: HashSet<String> = (0..1000).map(|_| ids.new_id()).collect();
    assert_eq!(made.len(), 1000);
    for id in made.iter().take(10) {
        RequestId::parse(id.clone()).unwrap();
        assert_eq!(id.len(), 36);
    }
}
