//! Durable end-of-session timers.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration as StdDuration;

use common::{T0, TempDir};
use team_core::ids::RequestId;
use team_core::ports::Scheduler;
use team_local::{Db, LocalScheduler};
use time::Duration;

fn id(s: &str) -> RequestId {
    RequestId::parse(s).unwrap()
}

fn scheduler() -> LocalScheduler {
    LocalScheduler::new(Db::in_memory().unwrap())
}

#[tokio::test]
async fn a_timer_is_due_at_its_time_and_not_before() {
    let s = scheduler();
    s.schedule_end(&id("r1"), T0).await.unwrap();
    assert!(s.due(T0 - Duration::nanoseconds(1)).await.is_empty());
    assert_eq!(s.due(T0).await, vec![(id("r1"), T0)]);
    assert_eq!(
        s.due(T0 + Duration::hours(1)).await,
        vec![(id("r1"), T0)],
        "due until removed"
    );
}

#[tokio::test]
async fn due_timers_come_earliest_first() {
    let s = scheduler();
    s.schedule_end(&id("late"), T0 + Duration::minutes(2))
        .await
        .unwrap();
    s.schedule_end(&id("early"), T0).await.unwrap();
    s.schedule_end(&id("future"), T0 + Duration::hours(1))
        .await
        .unwrap();
    let due: Vec<RequestId> = s
        .due(T0 + Duration::minutes(5))
        .await
        .into_iter()
        .map(|(i, _)| i)
        .collect();
    assert_eq!(due, vec![id("early"), id("late")]);
}

#[tokio::test]
async fn scheduling_again_replaces_the_timer() {
    let s = scheduler();
    s.schedule_end(&id("r1"), T0).await.unwrap();
    s.schedule_end(&id("r1"), T0 + Duration::hours(2))
        .await
        .unwrap();
    assert!(
        s.due(T0 + Duration::hours(1)).await.is_empty(),
        "the old time is gone"
    );
    assert_eq!(
        s.timers().await,
        vec![(id("r1"), T0 + Duration::hours(2))],
        "one timer per request"
    );
}

#[tokio::test]
async fn cancelling_deletes_the_timer_and_a_missing_one_is_fine() {
    let s = scheduler();
    s.schedule_end(&id("r1"), T0).await.unwrap();
    s.schedule_end(&id("r2"), T0).await.unwrap();
    s.cancel_end(&id("r1")).await.unwrap();
    s.cancel_end(&id("r1")).await.unwrap();
    s.cancel_end(&id("never")).await.unwrap();
    assert_eq!(s.due(T0).await, vec![(id("r2"), T0)]);
}

#[tokio::test]
async fn next_due_is_the_earliest_timer() {
    let s = scheduler();
    assert_eq!(s.next_due().await, None);
    s.schedule_end(&id("r1"), T0 + Duration::hours(3))
        .await
        .unwrap();
    s.schedule_end(&id("r2"), T0 + Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(s.next_due().await, Some(T0 + Duration::hours(1)));
    s.remove(&id("r2")).await;
    assert_eq!(s.next_due().await, Some(T0 + Duration::hours(3)));
    s.remove(&id("r2")).await; // already gone: fine
    s.remove(&id("r1")).await;
    assert_eq!(s.next_due().await, None);
}

#[tokio::test]
async fn removing_a_fired_timer_keeps_one_rescheduled_meanwhile() {
    let s = scheduler();
    s.schedule_end(&id("r1"), T0).await.unwrap();
    let (fired, at) = s.due(T0).await.remove(0);
    s.schedule_end(&fired, T0 + Duration::hours(1))
        .await
        .unwrap();
    assert!(
        !s.remove_fired(&fired, at).await,
        "the rescheduled timer stays"
    );
    assert_eq!(s.next_due().await, Some(T0 + Duration::hours(1)));
    assert!(s.remove_fired(&fired, T0 + Duration::hours(1)).await);
    assert_eq!(s.next_due().await, None);
}

#[tokio::test]
async fn timers_survive_reopening_the_database() {
    let dir = TempDir::new("scheduler");
    {
        let s = LocalScheduler::new(Db::open(dir.db()).unwrap());
        s.schedule_end(&id("r1"), T0 + Duration::milliseconds(1500))
            .await
            .unwrap();
        s.schedule_end(&id("r2"), T0).await.unwrap();
        s.cancel_end(&id("r2")).await.unwrap();
    }
    let s = LocalScheduler::new(Db::open(dir.db()).unwrap());
    assert_eq!(
        s.timers().await,
        vec![(id("r1"), T0 + Duration::milliseconds(1500))]
    );
}

#[tokio::test]
async fn scheduling_wakes_the_timer_loop() {
    let s = scheduler();
    let changed = s.changed();
    let waiter = tokio::spawn(async move { changed.notified().await });
    tokio::task::yield_now().await;
    s.schedule_end(&id("r1"), T0).await.unwrap();
    tokio::time::timeout(StdDuration::from_secs(5), waiter)
        .await
        .unwrap()
        .unwrap();
}
