//! The notification outbox.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{T0, TempDir, clock};
use team_contract::fixtures::{Ns, request, user};
use team_core::ports::{Channel, Notification, Notifier};
use team_core::request::EventKind;
use team_local::{Db, Outbox};

fn notification(ns: &Ns, n: usize) -> Notification {
    let mut r = request(
        &ns.request_id(&format!("r{n}")),
        &ns.user_id("alice"),
        &ns.account_id(1),
        T0,
    );
    r.task_token = Some("secret-task-token".into());
    Notification {
        request: r,
        event: EventKind::Submitted,
        recipients: vec![user(&ns.user_id("bob")), user(&ns.user_id("erin"))],
        channels: vec![Channel::Email, Channel::Slack],
        subject: format!("request {n} needs your approval"),
    }
}

#[tokio::test]
async fn notifications_are_listed_newest_first_with_the_clock_time() {
    let clock = clock();
    let outbox = Outbox::new(Db::in_memory().unwrap(), clock.clone());
    let ns = Ns::new("outbox");
    for n in 0..3 {
        outbox.notify(&notification(&ns, n)).await.unwrap();
        clock.advance(Duration::from_secs(60));
    }
    let listed = outbox.list(10).await;
    let subjects: Vec<&str> = listed
        .iter()
        .map(|s| s.notification.subject.as_str())
        .collect();
    assert_eq!(
        subjects,
        vec![
            "request 2 needs your approval",
            "request 1 needs your approval",
            "request 0 needs your approval"
        ]
    );
    assert_eq!(listed[0].created_at, T0 + time::Duration::minutes(2));
    assert_eq!(listed[2].created_at, T0);
    assert!(listed[0].id > listed[1].id);
    assert_eq!(outbox.list(2).await.len(), 2, "the limit holds");
    assert!(outbox.list(0).await.is_empty());
}

#[tokio::test]
async fn the_outbox_never_keeps_task_tokens() {
    let outbox = Outbox::new(Db::in_memory().unwrap(), clock());
    let ns = Ns::new("token");
    let sent = notification(&ns, 1);
    outbox.notify(&sent).await.unwrap();
    let kept = outbox.list(1).await.remove(0);
    assert_eq!(kept.notification.request.task_token, None);
    let json = serde_json::to_string(&kept).unwrap();
    assert!(!json.contains("secret-task-token"), "{json}");
    assert_eq!(
        kept.notification.recipients, sent.recipients,
        "everything else is kept"
    );
}

#[tokio::test]
async fn notifications_survive_reopening_the_database() {
    let dir = TempDir::new("outbox");
    let ns = Ns::new("reopen");
    {
        let outbox = Outbox::new(Db::open(dir.db()).unwrap(), clock());
        outbox.notify(&notification(&ns, 7)).await.unwrap();
    }
    let outbox = Outbox::new(Db::open(dir.db()).unwrap(), clock());
    let listed = outbox.list(10).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(
        listed[0].notification.subject,
        "request 7 needs your approval"
    );
}
