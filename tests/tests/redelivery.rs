//! At-least-once delivery over the whole twin (SQLite, simulated Identity Center, the
//! state machine files): every step delivered again, after the workflow already ran it,
//! changes nothing and answers what lets the workflow go on.

use serde_json::Value;
use team_core::ids::RequestId;
use team_core::request::Status;
use team_core::steps::StepInput;
use team_tests::*;
use time::Duration;

async fn step(h: &Harness, input: StepInput) -> Value {
    h.twin.team.step(input).await.expect("step succeeds")
}

async fn stored(h: &Harness, id: &RequestId) -> team_core::request::AccessRequest {
    h.twin
        .team
        .ports()
        .requests
        .get(id)
        .await
        .expect("store answers")
        .expect("request exists")
}

#[tokio::test]
async fn grant_schedule_end_and_revoke_delivered_twice_change_nothing() {
    // GIVEN alice's sandbox session (no approval needed), granted by the workflow
    let h = Harness::new().await;
    let alice = h.login("alice").await;
    let id = RequestId::parse(id_of(&h.submit(&alice, SANDBOX, ADMIN_PS, 60).await))
        .expect("request id");
    h.advance(Duration::seconds(30)).await;
    let granted = stored(&h, &id).await;
    assert_eq!(granted.status, Status::InProgress);
    let timers = h.twin.scheduler.timers().await;
    assert_eq!(timers, vec![(id.clone(), granted.end_time)]);

    // WHEN grant and scheduleEnd are delivered twice more
    for _ in 0..2 {
        let out = step(
            &h,
            StepInput::Grant {
                request_id: id.clone(),
            },
        )
        .await;
        // THEN grant answers granted, so a re-run workflow still schedules the end
        assert_eq!(out["granted"], true, "{out}");
        let out = step(
            &h,
            StepInput::ScheduleEnd {
                request_id: id.clone(),
            },
        )
        .await;
        assert_eq!(out["scheduled"], true, "{out}");
    }
    // AND the request, the assignment and the timer are as they were
    assert_eq!(stored(&h, &id).await, granted);
    assert_eq!(h.assignments().await.len(), 1);
    assert_eq!(h.twin.scheduler.timers().await, timers);

    // GIVEN the session ended at its end time
    h.advance(Duration::minutes(61)).await;
    let ended = stored(&h, &id).await;
    assert_eq!(ended.status, Status::Ended);
    assert!(h.assignments().await.is_empty());
    // WHEN revoke is delivered twice more THEN nothing changes
    for _ in 0..2 {
        let out = step(
            &h,
            StepInput::Revoke {
                request_id: id.clone(),
            },
        )
        .await;
        assert_eq!(out["removed"], false, "{out}");
    }
    assert_eq!(stored(&h, &id).await, ended);
    assert!(h.assignments().await.is_empty());
}

#[tokio::test]
async fn expire_delivered_twice_expires_once() {
    // GIVEN a pending request of alice that needs approval
    let h = Harness::new().await;
    let alice = h.login("alice").await;
    let id =
        RequestId::parse(id_of(&h.submit(&alice, PROD, ADMIN_PS, 60).await)).expect("request id");
    h.settle().await;
    // WHEN expire is delivered twice
    for _ in 0..2 {
        let out = step(
            &h,
            StepInput::Expire {
                request_id: id.clone(),
            },
        )
        .await;
        assert_eq!(out["outcome"], "expired", "{out}");
    }
    // THEN the trail says expired once
    let expired = h
        .event_kinds(&alice, id.as_str())
        .await
        .into_iter()
        .filter(|k| k == "expired")
        .count();
    assert_eq!(expired, 1);
}
