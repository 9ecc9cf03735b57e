//! Random request lifecycles: submit (with or without a start time), then approve,
//! reject, cancel, end early or revoke as the scenario says, at random moments.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use serde_json::json;
use time::format_description::well_known::Rfc3339;
use time::macros::offset;
use time::{Duration, OffsetDateTime};

use super::client::Failure;
use super::model::{Page, Request, Status};
use super::rng::Rng;
use super::{Entitlement, LifecycleRecord, World, lock, now, secs, sleep, sleep_until};

/// What a lifecycle does with its request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Scenario {
    /// Approved at once (if needed); the session runs to its end.
    Natural,
    /// A fixed window approved only after it closed: must end `expired`.
    LateApproval,
    /// An approver says no.
    Reject,
    /// The requester withdraws it while it waits for approvers.
    CancelPending,
    /// The requester withdraws it after approval, before (or while) it starts.
    CancelApproved,
    /// The requester ends the session early.
    EndEarly,
    /// An approver revokes it (before or during the session).
    ApproverRevoke,
    /// An admin revokes it at a random moment.
    AdminRevoke,
    /// An admin cancels it before it starts.
    AdminCancel,
}

impl Scenario {
    const ALL: [Scenario; 9] = [
        Scenario::Natural,
        Scenario::LateApproval,
        Scenario::Reject,
        Scenario::CancelPending,
        Scenario::CancelApproved,
        Scenario::EndEarly,
        Scenario::ApproverRevoke,
        Scenario::AdminRevoke,
        Scenario::AdminCancel,
    ];
    const WEIGHTS: [u32; 9] = [24, 8, 8, 7, 7, 18, 10, 10, 8];

    pub(super) fn name(self) -> &'static str {
        match self {
            Scenario::Natural => "natural",
            Scenario::LateApproval => "late-approval",
            Scenario::Reject => "reject",
            Scenario::CancelPending => "cancel-pending",
            Scenario::CancelApproved => "cancel-approved",
            Scenario::EndEarly => "end-early",
            Scenario::ApproverRevoke => "approver-revoke",
            Scenario::AdminRevoke => "admin-revoke",
            Scenario::AdminCancel => "admin-cancel",
        }
    }

    fn needs_approval(self) -> bool {
        matches!(
            self,
            Scenario::LateApproval | Scenario::Reject | Scenario::CancelPending
        )
    }
}

/// Runs lifecycles, `concurrency` at a time, until the target count or the time bound.
pub(super) async fn run_all(world: Arc<World>) {
    let mut workers = Vec::new();
    for _ in 0..world.cfg.concurrency.max(1) {
        let world = world.clone();
        workers.push(tokio::spawn(async move {
            loop {
                if world.no_more.load(Ordering::SeqCst) {
                    return;
                }
                if now() > world.new_until {
                    world.no_more.store(true, Ordering::SeqCst);
                    return;
                }
                let n = world.started_lifecycles.fetch_add(1, Ordering::SeqCst);
                if n >= world.cfg.lifecycles {
                    world.started_lifecycles.fetch_sub(1, Ordering::SeqCst);
                    world.no_more.store(true, Ordering::SeqCst);
                    return;
                }
                let record = lifecycle(&world, n).await;
                lock(&world.rec).lifecycles.push(record);
                world.done_lifecycles.fetch_add(1, Ordering::SeqCst);
            }
        }));
    }
    for w in workers {
        let _ = w.await;
    }
}

/// What the soak submits for one lifecycle.
struct Plan {
    entitlement: Entitlement,
    scenario: Scenario,
    start: Option<String>,
    minutes: u32,
    tag: String,
}

fn plan(world: &World, n: u64, rng: &mut Rng) -> Option<Plan> {
    let entitlement = rng.pick(&world.pool)?.clone();
    let mut scenario = Scenario::ALL[rng.weighted(&Scenario::WEIGHTS)];
    if scenario.needs_approval() && !entitlement.approval_required {
        scenario = Scenario::Natural;
    }
    let room = (world.close_by - now()).whole_seconds();
    // A fixed window (the requester picks the start) or one that runs from the grant.
    let fixed = scenario == Scenario::LateApproval || rng.chance(0.55);
    let ahead = if fixed {
        let max_ahead = (room - 62).clamp(5, 30);
        i64::try_from(rng.range(5, u64::try_from(max_ahead).unwrap_or(5))).unwrap_or(5)
    } else {
        0
    };
    let minutes = if rng.chance(0.15) && ahead + 120 + 5 <= room {
        2
    } else {
        1
    };
    let start = if fixed {
        let at = (now() + Duration::seconds(ahead))
            .replace_nanosecond(0)
            .unwrap_or_else(|_| now());
        // Some requesters write their local time with an offset.
        let at = if rng.chance(0.35) {
            at.to_offset(offset!(+2))
        } else {
            at
        };
        at.format(&Rfc3339).ok()
    } else {
        None
    };
    Some(Plan {
        tag: format!(
            "soak {} #{n} {} ({} on {})",
            world.run_tag,
            scenario.name(),
            entitlement.permission_set_name,
            entitlement.account_name
        ),
        entitlement,
        scenario,
        start,
        minutes,
    })
}

/// One lifecycle, start to end.
async fn lifecycle(world: &World, n: u64) -> LifecycleRecord {
    let mut rng = Rng::fork(world.cfg.seed, n);
    let Some(plan) = plan(world, n, &mut rng) else {
        return LifecycleRecord {
            scenario: "none",
            request: None,
            refused: Some("no entitlement".into()),
        };
    };
    let scenario = plan.scenario;
    let request = match submit(world, &plan).await {
        Ok(r) => r,
        Err(why) => {
            return LifecycleRecord {
                scenario: scenario.name(),
                request: None,
                refused: Some(why),
            };
        }
    };
    drive(world, &plan, &request, &mut rng).await;
    LifecycleRecord {
        scenario: scenario.name(),
        request: Some(request.id),
        refused: None,
    }
}

/// Submits the plan's request. An answer that never came is looked up again by its
/// tag (the requester's own list) before anything is submitted twice.
async fn submit(world: &World, plan: &Plan) -> Result<Request, String> {
    let user = plan.entitlement.username.as_str();
    let mut body = json!({
        "accountId": plan.entitlement.account_id,
        "permissionSetArn": plan.entitlement.permission_set_arn,
        "durationMinutes": plan.minutes,
        "justification": plan.tag,
    });
    if let Some(start) = &plan.start {
        body["startTime"] = json!(start);
    }
    if plan.entitlement.ticket_required || plan.tag.len().is_multiple_of(2) {
        body["ticketNo"] = json!(format!("INC-{}", plan.tag.len()));
    }
    let url = world
        .api
        .url("/api/requests", &[])
        .map_err(|f| format!("{f:?}"))?;
    let give_up = now() + Duration::seconds(90);
    let mut wait = 100u64;
    loop {
        let outcome = world
            .api
            .call(
                reqwest::Method::POST,
                url.clone(),
                Some(world.token(user)),
                Some(&body),
            )
            .await;
        let unknown = match outcome {
            Ok(reply) if reply.status == 201 => {
                let request: Request = serde_json::from_value(reply.body.clone())
                    .map_err(|e| format!("201 with an unexpected body: {e}"))?;
                world.track(&request.id, true);
                world.observe(&request.id, &reply);
                return Ok(request);
            }
            Ok(reply) if reply.status >= 500 => true,
            Ok(reply) => {
                let why = format!("submit: HTTP {} {}", reply.status, reply.body);
                world.surprise(why.clone());
                return Err(why);
            }
            Err(Failure::Unreachable) => false,
            Err(Failure::Unknown(_)) => true,
        };
        if unknown {
            // It may have been stored: find it before submitting again.
            if let Some(found) = find_by_tag(world, user, &plan.tag).await {
                world.track(&found.id, true);
                return Ok(found);
            }
        }
        if world.is_broken() {
            return Err("teamd is gone".into());
        }
        if now() > give_up {
            let why = "submit: no answer for 90 s".to_string();
            world.surprise(why.clone());
            return Err(why);
        }
        tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
        wait = (wait * 2).min(1000);
    }
}

/// The requester's request with this justification, if it exists.
async fn find_by_tag(world: &World, user: &str, tag: &str) -> Option<Request> {
    let mut next: Option<String> = None;
    loop {
        let mut query: Vec<(&str, &str)> = vec![("scope", "mine"), ("limit", "200")];
        if let Some(t) = &next {
            query.push(("nextToken", t));
        }
        let reply = world
            .api
            .get(
                "/api/requests",
                &query,
                Some(world.token(user)),
                super::READ_PATIENCE,
            )
            .await
            .ok()?;
        let page: Page = serde_json::from_value(reply.body).ok()?;
        if let Some(r) = page.items.into_iter().find(|r| r.justification == tag) {
            return Some(r);
        }
        next = Some(page.next_token?);
    }
}

/// Someone who may decide on `request` (never its requester).
fn approver_of(world: &World, request: &Request, rng: &mut Rng) -> Option<String> {
    let names: Vec<String> = request
        .approvers
        .iter()
        .map(|a| a.username.clone())
        .filter(|u| world.tokens.contains_key(u) && *u != request.requester.username)
        .collect();
    rng.pick(&names).cloned()
}

/// Seconds from now until `t`, at least 0.
fn until(t: OffsetDateTime) -> f64 {
    (t - now()).as_seconds_f64().max(0.0)
}

const ADMIN_COMMENT: &str = "soak: admin kill switch";

async fn drive(world: &World, plan: &Plan, submitted: &Request, rng: &mut Rng) {
    let id = submitted.id.as_str();
    let user = plan.entitlement.username.as_str();
    let end = submitted.end_time;
    let start = submitted.start_time;
    let pending = submitted.status == Status::Pending;
    let approver = approver_of(world, submitted, rng);
    // Approve (when needed) after up to `max` seconds, always well before the window closes.
    let approve = |max: f64, rng: &mut Rng| {
        let delay = rng.between(0.0, max.min(until(end) - 8.0).max(0.0));
        let approver = approver.clone();
        async move {
            if !pending {
                return;
            }
            sleep(secs(delay)).await;
            if let Some(a) = approver {
                world.act(id, &a, "approve", None).await;
            }
        }
    };
    match plan.scenario {
        Scenario::Natural => approve(6.0, rng).await,
        Scenario::LateApproval => {
            sleep_until(end + secs(rng.between(0.3, 2.5))).await;
            if let Some(a) = &approver {
                world.act(id, a, "approve", None).await;
            }
        }
        Scenario::Reject => {
            sleep(secs(rng.between(0.0, 5.0))).await;
            if let Some(a) = &approver {
                world.act(id, a, "reject", Some("soak: no")).await;
            }
        }
        Scenario::CancelPending => {
            sleep(secs(rng.between(0.0, 5.0))).await;
            world.act(id, user, "cancel", None).await;
        }
        Scenario::CancelApproved => {
            approve(2.0, rng).await;
            sleep(secs(rng.between(0.0, until(start) + 2.0))).await;
            if world.act(id, user, "cancel", None).await.is_none() {
                // Already running (or closed by someone else): end it instead.
                world.act(id, user, "revoke", None).await;
            }
        }
        Scenario::EndEarly => {
            approve(3.0, rng).await;
            let running = world
                .wait_for(id, user, end, rng, |r| {
                    r.status != Status::Pending
                        && r.status != Status::Approved
                        && r.status != Status::Scheduled
                })
                .await;
            if let Some(r) = running
                && r.status == Status::InProgress
            {
                sleep(secs(rng.between(0.0, 20.0f64.min(until(r.end_time) - 1.0)))).await;
                world.act(id, user, "revoke", None).await;
            }
        }
        Scenario::ApproverRevoke => {
            approve(3.0, rng).await;
            if rng.chance(0.7) {
                world
                    .wait_for(id, user, end, rng, |r| {
                        r.status != Status::Approved
                            && r.status != Status::Scheduled
                            && r.status != Status::Pending
                    })
                    .await;
            }
            sleep(secs(rng.between(0.0, 8.0f64.min(until(end))))).await;
            match &approver {
                Some(a) => {
                    world
                        .act(id, a, "revoke", Some("soak: approver revokes"))
                        .await
                }
                None => world.act(id, "carol", "revoke", Some(ADMIN_COMMENT)).await,
            };
        }
        Scenario::AdminRevoke => {
            let phase = rng.weighted(&[25, 25, 50]);
            if phase == 0 && pending {
                sleep(secs(rng.between(0.0, 3.0))).await;
            } else {
                approve(3.0, rng).await;
                if phase == 2 {
                    world
                        .wait_for(id, user, end, rng, |r| {
                            r.status != Status::Approved
                                && r.status != Status::Scheduled
                                && r.status != Status::Pending
                        })
                        .await;
                }
                sleep(secs(rng.between(0.0, 10.0f64.min(until(end))))).await;
            }
            world.act(id, "carol", "revoke", Some(ADMIN_COMMENT)).await;
        }
        Scenario::AdminCancel => {
            if rng.chance(0.5) && pending {
                sleep(secs(rng.between(0.0, 3.0))).await;
            } else {
                approve(2.0, rng).await;
                sleep(secs(rng.between(0.0, until(start)))).await;
            }
            if world
                .act(id, "carol", "cancel", Some(ADMIN_COMMENT))
                .await
                .is_none()
            {
                world.act(id, "carol", "revoke", Some(ADMIN_COMMENT)).await;
            }
        }
    }
    // Follow it until it is closed (its end may move when a window starts at the grant).
    let tol = world.tol;
    let mut last_end = end;
    loop {
        let give_up = last_end.max(now()) + tol.grace + tol.cap;
        let seen = world
            .wait_for(id, user, give_up, rng, |r| !r.status.is_open())
            .await;
        match seen {
            Some(r) if r.status.is_open() && r.end_time > last_end && now() < world.deadline => {
                last_end = r.end_time;
            }
            _ => return,
        }
    }
}
