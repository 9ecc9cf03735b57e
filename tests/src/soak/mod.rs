//! The chaos soak (issue 8): proves from the outside that access never outlives its
//! window while a real `teamd` is killed, restarted and fed Identity Center faults.
//!
//! It starts `teamd` itself, runs concurrent random request lifecycles against it over
//! HTTP, injects faults (`POST /api/local/faults`), kills it with SIGKILL at random
//! moments and restarts it on the same data, samples `GET /api/local/assignments`
//! continuously, and at the end judges five invariants against the final requests and
//! their audit trails (see [`check`]):
//!
//! - **I1** no assignment exists outside the granted windows (± grace) of the requests
//!   that hold it, and none is left once everything settled;
//! - **I2** every request approved in time is granted (or fails with a reason), unless
//!   it was cancelled or revoked before it started;
//! - **I3** nothing stays `pending`, `approved`, `scheduled` or `in progress` past its
//!   end (+ grace);
//! - **I4** every audit trail is a path through the transition table;
//! - **I5** nothing acknowledged is lost or goes back across restarts.
//!
//! `make soak` runs it in full, `make soak-short` (part of `make test`) for under three
//! minutes.

pub mod check;
pub mod client;
mod lifecycle;
pub mod model;
pub mod process;
mod report;
pub mod rng;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use reqwest::Method;
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use check::{Disruption, DisruptionKind, Observation, Sample, Tolerance};
use client::{Api, Reply};
use model::{Assignments, Event, Key, Page, Request, Status};
use process::{Cause, Teamd};
use rng::Rng;

/// The base grace around every window, before the settle delay is added: the driver
/// checks its timers at least once a second, the grant and revoke steps poll Identity
/// Center at 0.5, 1, 2 s…, and a burst of holders of one assignment retries its lease.
pub const GRACE_BASE: Duration = Duration::seconds(10);

/// After teamd answers again following a restart, how long its resumed executions,
/// due timers and re-run steps get before late access counts against it.
pub const AFTER_RESTART: Duration = Duration::seconds(20);

/// After a `throttle` fault (at most 3 calls), how long the state machines' retries
/// (after 2, 4 and 8 s) get.
pub const AFTER_THROTTLE: Duration = Duration::seconds(20);

/// After a `latencyMs` fault (at most 800 ms a call), how long the calls already
/// waiting get.
pub const AFTER_LATENCY: Duration = Duration::seconds(8);

/// After a `failDelete` fault is cleared, how long beyond one sweep interval the
/// reconciler gets to retry the removal it left owed (claim, delete, settle).
pub const SWEEP_SLACK: Duration = Duration::seconds(10);

/// However disruptions chain, access is never excused more than this past its graced
/// window (nor an overdue status).
pub const EXCUSE_CAP: Duration = Duration::seconds(60);

/// Time kept at the end of the run for the final restart, the wait for everything to
/// settle and reading the final state.
const TAIL: Duration = Duration::seconds(25);

/// How the soak runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// The `teamd` binary.
    pub teamd: PathBuf,
    /// Upper bound of the whole run, start to verdict.
    pub duration: StdDuration,
    /// Stop starting lifecycles after this many.
    pub lifecycles: u64,
    /// Lifecycles running at once.
    pub concurrency: usize,
    /// Target number of SIGKILLs.
    pub restarts: u32,
    /// PRNG seed.
    pub seed: u64,
    /// `teamd --settle-ms`.
    pub settle_ms: u64,
    /// `teamd --sweep-interval` (seconds), passed when teamd has that flag.
    pub sweep_interval_secs: u64,
    /// `teamd --sweep-grace` (seconds), passed when teamd has that flag: how long the
    /// reconciler leaves an overdue request to its workflow. teamd's default (300 s)
    /// suits hour-long sessions; the soak's are one minute.
    pub sweep_grace_secs: u64,
    /// Keep the data directory (and teamd's log) even when the run is green.
    pub keep_data: bool,
    /// Count, but do not fail on, audit events lost to a kill between a status write
    /// and its event (a known defect; see [`check::Verdict::lost_events`]).
    pub allow_lost_events: bool,
}

/// One entitlement the lifecycles draw from.
#[derive(Debug, Clone)]
struct Entitlement {
    username: String,
    account_id: String,
    account_name: String,
    permission_set_arn: String,
    permission_set_name: String,
    approval_required: bool,
    ticket_required: bool,
}

/// What one lifecycle did.
#[derive(Debug, Clone)]
struct LifecycleRecord {
    scenario: &'static str,
    /// The request, when one was made.
    request: Option<String>,
    /// Why no request was made.
    refused: Option<String>,
}

/// A fault episode for the report.
#[derive(Debug, Default)]
struct FaultStats {
    injected: BTreeMap<&'static str, u64>,
    die_fired: u64,
}

/// Everything recorded while the soak runs.
#[derive(Default)]
struct Records {
    observations: HashMap<String, Vec<Observation>>,
    acknowledged: HashSet<String>,
    tracked: HashSet<String>,
    lifecycles: Vec<LifecycleRecord>,
    disruptions: Vec<Disruption>,
    faults: FaultStats,
    revoke_all: u64,
    samples: Vec<Sample>,
    samples_missed: u64,
    keys: Vec<Key>,
    key_index: HashMap<Key, u32>,
    surprises: Vec<String>,
    surprise_count: u64,
    orphans: Vec<String>,
    /// Final status of every request (for the report).
    outcome_of: HashMap<String, Status>,
}

/// Shared state of a run.
struct World {
    cfg: Config,
    api: Api,
    teamd: Teamd,
    tol: Tolerance,
    tokens: HashMap<String, String>,
    user_ids: HashMap<String, String>,
    pool: Vec<Entitlement>,
    run_tag: String,
    started: OffsetDateTime,
    /// The verdict is due by then.
    deadline: OffsetDateTime,
    /// Every window must have closed by then.
    close_by: OffsetDateTime,
    /// No new lifecycle after this (time bound).
    new_until: OffsetDateTime,
    started_lifecycles: AtomicU64,
    done_lifecycles: AtomicU64,
    /// Set once no new lifecycle starts.
    no_more: AtomicBool,
    /// Set when the chaos (kills, faults, revoke-all) stops.
    calm: AtomicBool,
    /// Set when the background samplers stop.
    finished: AtomicBool,
    /// Why the run cannot go on (teamd could not be restarted), if so.
    broken: Mutex<Option<String>>,
    rec: Mutex<Records>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

fn std_dur(d: Duration) -> StdDuration {
    StdDuration::try_from(d).unwrap_or(StdDuration::ZERO)
}

async fn sleep(d: Duration) {
    tokio::time::sleep(std_dur(d)).await;
}

async fn sleep_until(t: OffsetDateTime) {
    sleep(t - now()).await;
}

fn secs(s: f64) -> Duration {
    Duration::seconds_f64(s)
}

/// Patience for reads: long enough to ride out a restart under fault latency.
const READ_PATIENCE: StdDuration = StdDuration::from_secs(60);

impl World {
    /// Stops the run: teamd could not be (re)started.
    fn break_down(&self, why: String) {
        eprintln!("soak: {why}");
        lock(&self.broken).get_or_insert(why);
        self.no_more.store(true, Ordering::SeqCst);
        self.calm.store(true, Ordering::SeqCst);
    }

    fn is_broken(&self) -> bool {
        lock(&self.broken).is_some()
    }

    fn token(&self, username: &str) -> &str {
        self.tokens.get(username).map(String::as_str).unwrap_or("")
    }

    fn surprise(&self, what: String) {
        let mut rec = lock(&self.rec);
        rec.surprise_count += 1;
        if rec.surprises.len() < 10 {
            rec.surprises.push(what);
        }
    }

    /// Records the status in an answer about request `id` (I3, I5).
    fn observe(&self, id: &str, reply: &Reply) {
        if let Some(status) = reply.body["status"].as_str().and_then(Status::parse) {
            self.observe_status(id, reply.sent, reply.recv, status);
        }
    }

    fn observe_status(&self, id: &str, sent: OffsetDateTime, recv: OffsetDateTime, s: Status) {
        let mut rec = lock(&self.rec);
        if rec.tracked.contains(id) {
            rec.observations
                .entry(id.to_string())
                .or_default()
                .push(Observation {
                    sent,
                    recv,
                    status: s,
                });
        }
    }

    fn track(&self, id: &str, acknowledged: bool) {
        let mut rec = lock(&self.rec);
        rec.tracked.insert(id.to_string());
        if acknowledged {
            rec.acknowledged.insert(id.to_string());
        }
    }

    fn disrupted(&self, kind: DisruptionKind, from: OffsetDateTime, to: OffsetDateTime) {
        lock(&self.rec)
            .disruptions
            .push(Disruption { kind, from, to });
    }

    /// A request as `user` sees it now (and observed).
    async fn get_request(&self, id: &str, user: &str) -> Option<Request> {
        if self.is_broken() {
            return None;
        }
        let reply = self
            .api
            .get(
                &format!("/api/requests/{id}"),
                &[],
                Some(self.token(user)),
                READ_PATIENCE,
            )
            .await
            .ok()?;
        if reply.status != 200 {
            self.surprise(format!(
                "GET request {id} as {user}: HTTP {} {}",
                reply.status, reply.body
            ));
            return None;
        }
        self.observe(id, &reply);
        serde_json::from_value(reply.body).ok()
    }

    /// `POST /api/requests/{id}/{verb}` as `user`, repeated while teamd is unreachable or
    /// the outcome is unknown (a repeat of what already happened answers 409). Answers the
    /// status it led to, or `None` when it was refused.
    async fn act(&self, id: &str, user: &str, verb: &str, comment: Option<&str>) -> Option<Status> {
        let Ok(url) = self.api.url(&format!("/api/requests/{id}/{verb}"), &[]) else {
            return None;
        };
        let body = comment.map_or_else(|| json!({}), |c| json!({ "comment": c }));
        let give_up = now() + Duration::seconds(90);
        let mut wait = 100u64;
        loop {
            match self
                .api
                .call(
                    Method::POST,
                    url.clone(),
                    Some(self.token(user)),
                    Some(&body),
                )
                .await
            {
                Ok(reply) if reply.status == 200 => {
                    self.observe(id, &reply);
                    return reply.body["status"].as_str().and_then(Status::parse);
                }
                Ok(reply) if reply.status == 409 => return None,
                Ok(reply) if reply.status < 500 => {
                    self.surprise(format!(
                        "{verb} {id} as {user}: HTTP {} {}",
                        reply.status, reply.body
                    ));
                    return None;
                }
                Ok(_) | Err(_) => {}
            }
            if self.is_broken() {
                return None;
            }
            if now() > give_up {
                self.surprise(format!("{verb} {id} as {user}: no answer for 90 s"));
                return None;
            }
            tokio::time::sleep(StdDuration::from_millis(wait)).await;
            wait = (wait * 2).min(1000);
        }
    }

    /// Polls `id` until `done` holds for its status or `until` passes; answers the last
    /// version seen.
    async fn wait_for(
        &self,
        id: &str,
        user: &str,
        until: OffsetDateTime,
        rng: &mut Rng,
        done: impl Fn(&Request) -> bool,
    ) -> Option<Request> {
        let mut last = None;
        loop {
            if let Some(r) = self.get_request(id, user).await {
                let stop = done(&r);
                last = Some(r);
                if stop {
                    return last;
                }
            }
            if now() > until || now() > self.deadline || self.is_broken() {
                return last;
            }
            sleep(secs(rng.between(0.4, 0.9))).await;
        }
    }

    /// Every request, page by page, as the auditor sees them; `statuses` filters.
    async fn list_all(&self, statuses: Option<&str>) -> Result<Vec<(Request, Reply)>, String> {
        let mut out = Vec::new();
        let mut next: Option<String> = None;
        loop {
            let mut query: Vec<(&str, &str)> = vec![("scope", "all"), ("limit", "200")];
            if let Some(s) = statuses {
                query.push(("status", s));
            }
            if let Some(token) = &next {
                query.push(("nextToken", token));
            }
            let reply = self
                .api
                .get(
                    "/api/requests",
                    &query,
                    Some(self.token("dave")),
                    READ_PATIENCE,
                )
                .await?;
            if reply.status != 200 {
                return Err(format!("list: HTTP {} {}", reply.status, reply.body));
            }
            let page: Page = serde_json::from_value(reply.body.clone())
                .map_err(|e| format!("list: unexpected page: {e}"))?;
            for r in page.items {
                out.push((r, reply.clone()));
            }
            match page.next_token {
                Some(t) => next = Some(t),
                None => return Ok(out),
            }
        }
    }
}

/// Runs the soak and prints its table; answers the process exit status (0 green,
/// 1 violations, 2 the soak could not run).
pub async fn run(cfg: Config) -> i32 {
    let shortest = Duration::seconds(80) + TAIL;
    if Duration::try_from(cfg.duration).unwrap_or(Duration::ZERO) < shortest {
        eprintln!(
            "soak: --duration-secs {} is too short: at least {} s are needed",
            cfg.duration.as_secs(),
            shortest.whole_seconds()
        );
        return 2;
    }
    let stamp = now().unix_timestamp_nanos();
    let dir = std::env::temp_dir().join(format!("team-soak-{}-{stamp}", std::process::id()));
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("soak: cannot create {}: {e}", dir.display());
        return 2;
    }
    let outcome = tokio::select! {
        outcome = run_in(cfg.clone(), dir.clone()) => outcome,
        signal = interrupted() => {
            process::kill_current();
            eprintln!("soak: {signal}: teamd killed; data directory and teamd.log kept in {}", dir.display());
            return 130;
        }
    };
    match outcome {
        Ok(green) => {
            if green && !cfg.keep_data {
                let _ = std::fs::remove_dir_all(&dir);
            } else {
                eprintln!(
                    "soak: data directory and teamd.log kept in {}",
                    dir.display()
                );
            }
            i32::from(!green)
        }
        Err(err) => {
            eprintln!("soak: could not run: {err}");
            eprintln!(
                "soak: data directory and teamd.log kept in {}",
                dir.display()
            );
            2
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM, naming it.
async fn interrupted() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => return "interrupted",
                _ = term.recv() => return "terminated",
            }
        }
    }
    let _ = tokio::signal::ctrl_c().await;
    "interrupted"
}

async fn run_in(cfg: Config, dir: PathBuf) -> Result<bool, String> {
    let port = process::free_port()?;
    let api = Api::new(port)?;
    let sweep = process::supports_flag(&cfg.teamd, "--sweep-interval");
    let mut args = vec![
        "--listen".to_string(),
        format!("127.0.0.1:{port}"),
        "--data-dir".to_string(),
        dir.join("data").display().to_string(),
        "--settle-ms".to_string(),
        cfg.settle_ms.to_string(),
    ];
    if sweep {
        args.push("--sweep-interval".into());
        args.push(cfg.sweep_interval_secs.to_string());
    }
    let sweep_grace = process::supports_flag(&cfg.teamd, "--sweep-grace");
    if sweep_grace {
        args.push("--sweep-grace".into());
        args.push(cfg.sweep_grace_secs.to_string());
    }
    let started = now();
    let total = Duration::try_from(cfg.duration).unwrap_or(Duration::minutes(3));
    let deadline = started + total;
    let close_by = deadline - TAIL;
    // The last lifecycle started must have its one-minute window (and a decision) closed by `close_by`.
    let new_until = close_by - Duration::seconds(75);

    let teamd = Teamd::start(&cfg.teamd, args, dir.join("teamd.log"), &api).await?;
    eprintln!(
        "soak: seed {} — teamd {} on 127.0.0.1:{port} (settle {} ms, {}) — data in {}",
        cfg.seed,
        cfg.teamd.display(),
        cfg.settle_ms,
        if sweep {
            format!(
                "sweep every {} s{}",
                cfg.sweep_interval_secs,
                if sweep_grace {
                    format!(", sweep grace {} s", cfg.sweep_grace_secs)
                } else {
                    String::new()
                }
            )
        } else {
            "no --sweep-interval flag: owed removals are not swept".to_string()
        },
        dir.display()
    );

    let grace = GRACE_BASE + Duration::milliseconds(i64::try_from(cfg.settle_ms).unwrap_or(0));
    let sweep_secs = if sweep {
        Duration::seconds(i64::try_from(cfg.sweep_interval_secs).unwrap_or(0))
    } else {
        Duration::ZERO
    };
    let tol = Tolerance {
        grace,
        after_restart: AFTER_RESTART,
        after_throttle: AFTER_THROTTLE,
        after_latency: AFTER_LATENCY,
        after_fail_delete: sweep_secs + SWEEP_SLACK,
        cap: EXCUSE_CAP,
    };
    let mut tokens = HashMap::new();
    let mut user_ids = HashMap::new();
    for user in ["alice", "bob", "erin", "carol", "dave"] {
        let url = api
            .url("/api/local/login", &[])
            .map_err(|f| format!("{f:?}"))?;
        let reply = api
            .call(Method::POST, url, None, Some(&json!({ "username": user })))
            .await
            .map_err(|f| format!("login {user}: {f:?}"))?;
        let token = reply.body["token"]
            .as_str()
            .ok_or_else(|| format!("login {user}: HTTP {} {}", reply.status, reply.body))?;
        tokens.insert(user.to_string(), token.to_string());
        if let Some(id) = reply.body["user"]["id"].as_str() {
            user_ids.insert(user.to_string(), id.to_string());
        }
    }

    let mut rng = Rng::fork(cfg.seed, u64::MAX);
    let mut world = World {
        cfg: cfg.clone(),
        api,
        teamd,
        tol,
        tokens,
        user_ids,
        pool: Vec::new(),
        run_tag: format!("{:x}", cfg.seed & 0xffff_ffff),
        started,
        deadline,
        close_by,
        new_until,
        started_lifecycles: AtomicU64::new(0),
        done_lifecycles: AtomicU64::new(0),
        no_more: AtomicBool::new(false),
        calm: AtomicBool::new(false),
        finished: AtomicBool::new(false),
        broken: Mutex::new(None),
        rec: Mutex::new(Records::default()),
    };
    world.pool = entitlements(&world, &mut rng).await?;
    shorten_approval_expiry(&world).await?;
    let world = Arc::new(world);

    let background = vec![
        tokio::spawn(watch_exits(world.clone())),
        tokio::spawn(sample_assignments(world.clone())),
        tokio::spawn(snapshot_statuses(world.clone())),
    ];
    let chaos = vec![
        tokio::spawn(kill_at_random(world.clone())),
        tokio::spawn(inject_faults(world.clone())),
        tokio::spawn(revoke_all_now_and_then(world.clone())),
    ];
    let progress = tokio::spawn(progress(world.clone()));

    lifecycle::run_all(world.clone()).await;

    world.calm.store(true, Ordering::SeqCst);
    for task in chaos {
        let _ = task.await;
    }
    let fatal = if let Some(why) = lock(&world.broken).clone() {
        Some(why)
    } else {
        clear_faults(&world).await;
        settle(&world).await
    };
    world.finished.store(true, Ordering::SeqCst);
    progress.abort();
    for task in background {
        let _ = task.await;
    }
    if let Some(err) = fatal {
        world.teamd.stop();
        return Err(err);
    }
    let verdict = final_verdict(&world).await;
    world.teamd.stop();
    let verdict = verdict?;
    let (green, table) = report::render(&world, &verdict);
    println!("{table}");
    if !green {
        let path = dir.join("violations.txt");
        let mut text: String = verdict
            .violations
            .iter()
            .map(|v| format!("I{}: {}\n", v.invariant, v.detail))
            .collect();
        // The disruptions, to line violations up with kills and faults.
        let mut disruptions = lock(&world.rec).disruptions.clone();
        disruptions.sort_by_key(|d| d.from);
        for d in disruptions {
            text.push_str(&format!("disruption {:?}: {} – {}\n", d.kind, d.from, d.to));
        }
        match std::fs::write(&path, text) {
            Ok(()) => eprintln!("soak: every violation is listed in {}", path.display()),
            Err(e) => eprintln!("soak: cannot write {}: {e}", path.display()),
        }
    }
    Ok(green)
}

/// The entitlements the lifecycles draw from: few, so that lifecycles of the same
/// user, account and permission set overlap (shared assignments).
async fn entitlements(world: &World, rng: &mut Rng) -> Result<Vec<Entitlement>, String> {
    let mut pool = Vec::new();
    for (user, want) in [("alice", 4usize), ("bob", 1), ("erin", 1)] {
        let reply = world
            .api
            .get(
                "/api/eligibility",
                &[],
                Some(world.token(user)),
                READ_PATIENCE,
            )
            .await?;
        let mut all = Vec::new();
        for account in reply.body["accounts"].as_array().into_iter().flatten() {
            for ps in account["permissionSets"].as_array().into_iter().flatten() {
                all.push(Entitlement {
                    username: user.to_string(),
                    account_id: account["accountId"].as_str().unwrap_or_default().into(),
                    account_name: account["accountName"].as_str().unwrap_or_default().into(),
                    permission_set_arn: ps["permissionSetArn"].as_str().unwrap_or_default().into(),
                    permission_set_name: ps["permissionSetName"]
                        .as_str()
                        .unwrap_or_default()
                        .into(),
                    approval_required: ps["approvalRequired"].as_bool().unwrap_or(true),
                    ticket_required: ps["ticketRequired"].as_bool().unwrap_or(false),
                });
            }
        }
        if all.is_empty() {
            return Err(format!(
                "{user} is eligible for nothing: is this the demo organization? ({})",
                reply.body
            ));
        }
        // Every entitlement without approval (alice's sandbox) and one needing a ticket
        // first, then random others.
        let mut chosen: Vec<Entitlement> = Vec::new();
        for e in all.iter().filter(|e| !e.approval_required) {
            chosen.push(e.clone());
        }
        if let Some(e) = all.iter().find(|e| e.ticket_required) {
            chosen.push(e.clone());
        }
        let mut tries = 0;
        while chosen.len() < want && tries < 100 {
            tries += 1;
            if let Some(e) = rng.pick(&all)
                && !chosen.iter().any(|c| {
                    c.account_id == e.account_id && c.permission_set_arn == e.permission_set_arn
                })
            {
                chosen.push(e.clone());
            }
        }
        chosen.truncate(want.max(1));
        pool.extend(chosen);
    }
    Ok(pool)
}

/// Sets the approval expiry to its minimum (1 hour: the API refuses less), changing
/// nothing else in the settings.
async fn shorten_approval_expiry(world: &World) -> Result<(), String> {
    let reply = world
        .api
        .get(
            "/api/admin/settings",
            &[],
            Some(world.token("carol")),
            READ_PATIENCE,
        )
        .await?;
    let mut settings = reply.body;
    if settings["approvalExpiryHours"].as_u64() == Some(1) {
        return Ok(());
    }
    settings["approvalExpiryHours"] = json!(1);
    let url = world
        .api
        .url("/api/admin/settings", &[])
        .map_err(|f| format!("{f:?}"))?;
    let put = world
        .api
        .call(
            Method::PUT,
            url,
            Some(world.token("carol")),
            Some(&settings),
        )
        .await
        .map_err(|f| format!("PUT settings: {f:?}"))?;
    if put.status != 200 {
        return Err(format!("PUT settings: HTTP {} {}", put.status, put.body));
    }
    Ok(())
}

/// Restarts teamd whenever it exits by itself.
async fn watch_exits(world: Arc<World>) {
    while !world.finished.load(Ordering::SeqCst) {
        match world.teamd.restart_if_exited(&world.api).await {
            Ok(Some(code)) => {
                let last = world.teamd.restarts().pop();
                if let Some(r) = last {
                    world.disrupted(DisruptionKind::Restart, r.down, r.up);
                }
                eprintln!("soak: teamd exited by itself ({code:?}) and was restarted");
            }
            Ok(None) => {}
            Err(err) => {
                world.break_down(format!("teamd exited and could not be restarted: {err}"));
                return;
            }
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
}

/// Samples the simulated Identity Center's assignments every 250 ms.
async fn sample_assignments(world: Arc<World>) {
    let Ok(url) = world.api.url("/api/local/assignments", &[]) else {
        return;
    };
    while !world.finished.load(Ordering::SeqCst) {
        match world.api.call(Method::GET, url.clone(), None, None).await {
            Ok(reply) if reply.status == 200 => {
                if let Ok(list) = serde_json::from_value::<Assignments>(reply.body) {
                    let mut rec = lock(&world.rec);
                    let mut items = Vec::new();
                    for key in list.items {
                        let next = u32::try_from(rec.keys.len()).unwrap_or(u32::MAX);
                        let idx = *rec.key_index.entry(key.clone()).or_insert(next);
                        if idx == next {
                            rec.keys.push(key);
                        }
                        items.push(idx);
                    }
                    rec.samples.push(Sample {
                        sent: reply.sent,
                        recv: reply.recv,
                        items,
                    });
                }
            }
            _ => lock(&world.rec).samples_missed += 1,
        }
        tokio::time::sleep(StdDuration::from_millis(250)).await;
    }
}

/// Every 2 s, the status of every open request (I3 and I5 evidence).
async fn snapshot_statuses(world: Arc<World>) {
    while !world.finished.load(Ordering::SeqCst) {
        if let Ok(list) = world
            .list_all(Some("pending,approved,scheduled,in progress"))
            .await
        {
            for (r, reply) in list {
                world.observe_status(&r.id, reply.sent, reply.recv, r.status);
            }
        }
        tokio::time::sleep(StdDuration::from_secs(2)).await;
    }
}

/// How far the run is, 0 to 1: by time or by lifecycles started, whichever is ahead.
fn progress_of(world: &World) -> f64 {
    let by_time = (now() - world.started).as_seconds_f64()
        / (world.new_until - world.started).as_seconds_f64();
    let by_count =
        world.started_lifecycles.load(Ordering::SeqCst) as f64 / world.cfg.lifecycles.max(1) as f64;
    by_time.max(by_count)
}

/// SIGKILLs teamd `--restarts` times, spread over the run with jitter.
async fn kill_at_random(world: Arc<World>) {
    let mut rng = Rng::fork(world.cfg.seed, u64::MAX - 1);
    let n = world.cfg.restarts;
    for i in 0..n {
        let at = (f64::from(i) + rng.between(0.2, 0.8)) / f64::from(n.max(1));
        loop {
            if world.calm.load(Ordering::SeqCst) {
                return;
            }
            if progress_of(&world) >= at {
                break;
            }
            tokio::time::sleep(StdDuration::from_millis(100)).await;
        }
        let pause = StdDuration::from_millis(rng.range(0, 1200));
        match world
            .teamd
            .kill_and_restart(&world.api, Cause::Kill, pause)
            .await
        {
            Ok(()) => {
                if let Some(r) = world.teamd.restarts().pop() {
                    world.disrupted(DisruptionKind::Restart, r.down, r.up);
                }
            }
            Err(err) => {
                world.break_down(format!("teamd could not be restarted after a kill: {err}"));
                return;
            }
        }
    }
}

/// Calls `POST /api/local/faults` (or `DELETE` with `None`) until teamd answers.
async fn set_faults(world: &World, body: Option<Value>) -> bool {
    let Ok(url) = world.api.url("/api/local/faults", &[]) else {
        return false;
    };
    let method = if body.is_some() {
        Method::POST
    } else {
        Method::DELETE
    };
    for _ in 0..100 {
        match world
            .api
            .call(method.clone(), url.clone(), None, body.as_ref())
            .await
        {
            Ok(reply) if reply.status == 200 => return true,
            Ok(reply) if reply.status < 500 => {
                world.surprise(format!(
                    "faults {body:?}: HTTP {} {}",
                    reply.status, reply.body
                ));
                return false;
            }
            _ => tokio::time::sleep(StdDuration::from_millis(200)).await,
        }
    }
    false
}

async fn clear_faults(world: &World) {
    set_faults(world, None).await;
}

/// Fault episodes, one at a time: set a fault, hold it, clear every fault.
async fn inject_faults(world: Arc<World>) {
    let mut rng = Rng::fork(world.cfg.seed, u64::MAX - 2);
    let accounts: Vec<String> = {
        let mut a: Vec<String> = world.pool.iter().map(|e| e.account_id.clone()).collect();
        a.sort();
        a.dedup();
        a
    };
    loop {
        sleep(secs(rng.between(2.0, 8.0))).await;
        if world.calm.load(Ordering::SeqCst) {
            return;
        }
        let kind = rng.weighted(&[25, 15, 15, 25, 20]);
        let account = rng.pick(&accounts).cloned().unwrap_or_default();
        let (name, body, hold, disruption) = match kind {
            0 => {
                let n = rng.range(1, 3);
                (
                    "throttle",
                    json!({ "throttle": n }),
                    rng.between(3.0, 10.0),
                    Some(DisruptionKind::Throttle),
                )
            }
            1 => (
                "latencyMs",
                json!({ "latencyMs": rng.range(100, 800) }),
                rng.between(3.0, 10.0),
                Some(DisruptionKind::Latency),
            ),
            2 => (
                "failCreate",
                json!({ "failCreate": { "accountId": account, "reason": "soak: create refused" } }),
                rng.between(3.0, 12.0),
                Some(DisruptionKind::FailCreate(account.clone())),
            ),
            3 => (
                "failDelete",
                json!({ "failDelete": { "accountId": account, "reason": "soak: delete refused" } }),
                rng.between(4.0, 15.0),
                Some(DisruptionKind::FailDelete(account.clone())),
            ),
            _ => (
                "dieAfterNextSideEffect",
                json!({ "dieAfterNextSideEffect": true }),
                rng.between(5.0, 15.0),
                None,
            ),
        };
        let restarts_before = world.teamd.restarts().len();
        let from = now();
        if !set_faults(&world, Some(body)).await {
            continue;
        }
        *lock(&world.rec).faults.injected.entry(name).or_default() += 1;
        let until = now() + secs(hold);
        // Hold the fault; a restart clears every fault (they live in teamd's memory).
        while now() < until && world.teamd.restarts().len() == restarts_before {
            tokio::time::sleep(StdDuration::from_millis(100)).await;
        }
        let restarted = world.teamd.restarts().get(restarts_before).cloned();
        if restarted.is_none() {
            clear_faults(&world).await;
        }
        let to = restarted.as_ref().map_or_else(now, |r| r.down.max(from));
        if name == "dieAfterNextSideEffect"
            && restarted
                .as_ref()
                .is_some_and(|r| matches!(r.cause, Cause::Exit(_)))
        {
            lock(&world.rec).faults.die_fired += 1;
        }
        if let Some(kind) = disruption {
            world.disrupted(kind, from, to);
        }
    }
}

/// Now and then an admin ends everything of one user (`revoke-all`).
async fn revoke_all_now_and_then(world: Arc<World>) {
    let mut rng = Rng::fork(world.cfg.seed, u64::MAX - 3);
    loop {
        let until = now() + secs(rng.between(30.0, 90.0));
        while now() < until {
            if world.calm.load(Ordering::SeqCst) {
                return;
            }
            tokio::time::sleep(StdDuration::from_millis(200)).await;
        }
        let user = ["alice", "bob", "erin"][usize::try_from(rng.range(0, 2)).unwrap_or(0)];
        let Some(user_id) = world.user_ids.get(user).cloned() else {
            continue;
        };
        let Ok(url) = world
            .api
            .url(&format!("/api/admin/users/{user_id}/revoke-all"), &[])
        else {
            continue;
        };
        let body = json!({ "comment": "soak: incident drill, revoke everything" });
        for _ in 0..50 {
            match world
                .api
                .call(
                    Method::POST,
                    url.clone(),
                    Some(world.token("carol")),
                    Some(&body),
                )
                .await
            {
                Ok(reply) if reply.status == 200 => {
                    lock(&world.rec).revoke_all += 1;
                    break;
                }
                Ok(reply) if reply.status < 500 => {
                    world.surprise(format!(
                        "revoke-all {user}: HTTP {} {}",
                        reply.status, reply.body
                    ));
                    break;
                }
                _ => tokio::time::sleep(StdDuration::from_millis(300)).await,
            }
        }
    }
}

/// A line on stderr every 15 s.
async fn progress(world: Arc<World>) {
    loop {
        tokio::time::sleep(StdDuration::from_secs(15)).await;
        let (samples, faults) = {
            let rec = lock(&world.rec);
            (rec.samples.len(), rec.faults.injected.values().sum::<u64>())
        };
        eprintln!(
            "soak: +{:>4}s lifecycles {} started / {} done, restarts {}, faults {}, samples {}",
            (now() - world.started).whole_seconds(),
            world.started_lifecycles.load(Ordering::SeqCst),
            world.done_lifecycles.load(Ordering::SeqCst),
            world.teamd.restarts().len(),
            faults,
            samples
        );
    }
}

/// After the last lifecycle: cancels orphans, waits for every window to close, restarts
/// teamd one last time and waits until nothing is open and no assignment is left (or
/// the deadline). Answers a fatal error, if any.
async fn settle(world: &World) -> Option<String> {
    // Requests the soak made but does not drive (a duplicate after an unknown outcome).
    if let Ok(open) = world
        .list_all(Some("pending,approved,scheduled,in progress"))
        .await
    {
        let tracked = lock(&world.rec).tracked.clone();
        for (r, _) in open {
            if !tracked.contains(&r.id) {
                lock(&world.rec).orphans.push(r.id.clone());
                let verb = if r.status == Status::InProgress {
                    "revoke"
                } else {
                    "cancel"
                };
                world
                    .act(&r.id, "carol", verb, Some("soak: orphan duplicate"))
                    .await;
            }
        }
    }
    let last_end = match world.list_all(None).await {
        Ok(all) => all.iter().map(|(r, _)| r.end_time).max(),
        Err(e) => return Some(e),
    };
    if let Some(end) = last_end {
        let wait_until = (end + world.tol.grace).min(world.deadline - Duration::seconds(20));
        sleep_until(wait_until).await;
    }
    if let Err(err) = world
        .teamd
        .kill_and_restart(&world.api, Cause::Final, StdDuration::from_millis(300))
        .await
    {
        return Some(format!("the final restart failed: {err}"));
    }
    if let Some(r) = world.teamd.restarts().pop() {
        world.disrupted(DisruptionKind::Restart, r.down, r.up);
    }
    // Quiet: nothing open and no assignment, twice in a row.
    let quiet_by = world.deadline - Duration::seconds(8);
    let mut quiet = 0;
    while now() < quiet_by && quiet < 2 {
        let open = world
            .list_all(Some("pending,approved,scheduled,in progress"))
            .await
            .map(|l| l.len())
            .unwrap_or(1);
        let assigned = world
            .api
            .get("/api/local/assignments", &[], None, READ_PATIENCE)
            .await
            .ok()
            .and_then(|r| serde_json::from_value::<Assignments>(r.body).ok())
            .map(|a| a.items.len())
            .unwrap_or(1);
        quiet = if open == 0 && assigned == 0 {
            quiet + 1
        } else {
            0
        };
        tokio::time::sleep(StdDuration::from_millis(500)).await;
    }
    None
}

/// Reads the final state and judges it.
async fn final_verdict(world: &World) -> Result<check::Verdict, String> {
    let all = world.list_all(None).await?;
    for (r, reply) in &all {
        world.observe_status(&r.id, reply.sent, reply.recv, r.status);
    }
    let requests: Vec<Request> = all.into_iter().map(|(r, _)| r).collect();
    let mut events: HashMap<String, Vec<Event>> = HashMap::new();
    for r in &requests {
        let reply = world
            .api
            .get(
                &format!("/api/requests/{}/events", r.id),
                &[],
                Some(world.token("dave")),
                READ_PATIENCE,
            )
            .await?;
        let list: Vec<Event> =
            serde_json::from_value(reply.body).map_err(|e| format!("events of {}: {e}", r.id))?;
        events.insert(r.id.clone(), list);
    }
    let left: Vec<Key> = world
        .api
        .get("/api/local/assignments", &[], None, READ_PATIENCE)
        .await
        .ok()
        .and_then(|r| serde_json::from_value::<Assignments>(r.body).ok())
        .map(|a| a.items)
        .unwrap_or_default();
    let rec = lock(&world.rec);
    let evidence = check::Evidence {
        tol: world.tol,
        disruptions: &rec.disruptions,
        keys: &rec.keys,
        samples: &rec.samples,
        observations: &rec.observations,
        acknowledged: &rec.acknowledged,
        requests: &requests,
        events: &events,
        left_behind: &left,
    };
    let mut verdict = check::judge(&evidence);
    drop(rec);
    verdict.violations.sort_by_key(|v| v.invariant);
    let mut rec = lock(&world.rec);
    let outcomes: HashMap<String, Status> =
        requests.iter().map(|r| (r.id.clone(), r.status)).collect();
    rec.outcome_of = outcomes;
    Ok(verdict)
}
