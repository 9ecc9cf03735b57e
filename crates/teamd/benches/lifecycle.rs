//! Benchmarks of the local twin, written as a report (not timed assertions):
//!
//! 1. `GET /api/eligibility` for a user in an organization of 10,000 accounts and
//!    2,000 eligibility policies;
//! 2. submit → approve → `in progress` throughput through teamd's API;
//! 3. the delay between a session's end time and its assignment being gone.
//!
//! `cargo bench -p teamd --bench lifecycle` writes `target/bench/report.md`
//! (or `$CARGO_TARGET_DIR/bench/report.md`) and prints it.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use team_core::ports::Clock;
use team_core::service::PollPolicy;
use team_local::{Seed, SimFaults, SystemClock};
use teamd::{Storage, Twin, TwinConfig};
use time::format_description::well_known::Rfc3339;
use tower::ServiceExt;

const PS_COUNT: usize = 20;
const ACCOUNTS: usize = 10_000;
const POLICIES: usize = 2_000;
const GROUPS: usize = 200;

fn ps_arn(i: usize) -> String {
    format!("arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-{i:016x}")
}

fn account_id(i: usize) -> String {
    format!("{:012}", 100_000_000_000u64 + i as u64)
}

/// A large organization: 10 top OUs × 10 child OUs × 100 accounts, 200 groups,
/// 2,000 eligibility policies spread over the groups, 200 approver policies.
/// The user `bench` is in 10 groups; `approver` approves everything.
fn large_seed() -> Value {
    let mut ous = vec![json!({"id": "r-root", "name": "Root"})];
    let mut accounts = Vec::new();
    for top in 0..10 {
        let top_id = format!("ou-root-{top:08}");
        ous.push(json!({"id": top_id, "name": format!("top-{top}"), "parentId": "r-root"}));
        for child in 0..10 {
            let child_id = format!("ou-{top:04}-{child:08}");
            ous.push(
                json!({"id": child_id, "name": format!("child-{top}-{child}"), "parentId": top_id}),
            );
            for a in 0..(ACCOUNTS / 100) {
                let i = (top * 10 + child) * (ACCOUNTS / 100) + a;
                accounts.push(json!({"id": account_id(i), "name": format!("account-{i:05}"), "parentId": child_id}));
            }
        }
    }
    let permission_sets: Vec<Value> = (0..PS_COUNT)
        .map(|i| json!({"arn": ps_arn(i), "name": format!("PermissionSet{i:02}")}))
        .collect();
    let mut groups: Vec<Value> = (0..GROUPS)
        .map(|g| {
            let members: Vec<&str> = if g % 20 == 0 { vec!["bench"] } else { vec![] };
            json!({"id": format!("g-{g}"), "name": format!("group-{g}"), "members": members})
        })
        .collect();
    groups.push(json!({"id": "g-approvers", "name": "approvers", "members": ["approver"]}));
    let eligibility: Vec<Value> = (0..POLICIES)
        .map(|p| {
            let scope = if p % 4 == 0 {
                json!({"ous": [format!("ou-{:04}-{:08}", p % 10, (p / 10) % 10)]})
            } else {
                json!({"accounts": (0..5).map(|k| account_id((p * 37 + k * 1009) % ACCOUNTS)).collect::<Vec<_>>()})
            };
            let mut policy = json!({
                "id": format!("e-{p}"),
                "name": format!("policy {p}"),
                "principal": {"type": "group", "id": format!("g-{}", p % GROUPS)},
                "permissionSets": (0..3).map(|k| ps_arn((p + k * 7) % PS_COUNT)).collect::<Vec<_>>(),
                "maxDurationMinutes": 60 + (p % 8) * 60,
                "approvalRequired": true,
            });
            if let (Some(obj), Some(extra)) = (policy.as_object_mut(), scope.as_object()) {
                obj.extend(extra.clone());
            }
            policy
        })
        .collect();
    let approvers: Vec<Value> = vec![json!({
        "id": "a-all", "name": "approve everything", "scope": {"type": "ou", "id": "r-root"},
        "approverGroups": ["g-approvers"]
    })];
    json!({
        "ous": ous,
        "accounts": accounts,
        "permissionSets": permission_sets,
        "users": [
            {"id": "u-bench", "username": "bench", "displayName": "Bench Requester", "email": "bench@example.com"},
            {"id": "u-approver", "username": "approver", "displayName": "Bench Approver", "email": "approver@example.com"}
        ],
        "groups": groups,
        "eligibilityPolicies": eligibility,
        "approverPolicies": approvers,
    })
}

async fn twin(seed: &Value, data: &std::path::Path, settle: Duration) -> Arc<Twin> {
    let config = TwinConfig {
        storage: Storage::File(data.join("teamd.db")),
        seed: Seed::parse(&seed.to_string()).expect("seed parses"),
        clock: Arc::new(SystemClock),
        settle_delay: settle,
        faults: SimFaults::default(),
        jwt_secret: b"bench-secret-bench-secret-bench-secret".to_vec(),
        poll: PollPolicy {
            interval: Duration::from_millis(50),
            max_interval: Duration::from_millis(500),
            max_polls: 60,
        },
    };
    Arc::new(Twin::build(config).await.expect("twin builds"))
}

async fn call(
    router: &Router,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value, usize) {
    let mut req = http::Request::builder().method(method).uri(path);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let req = match body {
        Some(b) => req
            .header("content-type", "application/json")
            .body(Body::from(b.to_string())),
        None => req.body(Body::empty()),
    }
    .expect("request");
    let resp = router.clone().oneshot(req).await.expect("response");
    let status = resp.status().as_u16();
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        bytes.len(),
    )
}

async fn login(router: &Router, user: &str) -> String {
    let (_, body, _) = call(
        router,
        "POST",
        "/api/local/login",
        None,
        Some(json!({"username": user})),
    )
    .await;
    body["token"].as_str().expect("token").to_string()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("team-bench-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

async fn bench_eligibility(report: &mut String) {
    let seed = large_seed();
    let dir = scratch("eligibility");
    let started = Instant::now();
    let twin = twin(&seed, &dir, Duration::ZERO).await;
    let boot = started.elapsed();
    let router = twin.router();
    let token = login(&router, "bench").await;
    let (status, body, size) = call(&router, "GET", "/api/eligibility", Some(&token), None).await;
    assert_eq!(status, 200, "{body}");
    let accounts = body["accounts"]
        .as_array()
        .map(Vec::len)
        .unwrap_or_default();
    let pairs: usize = body["accounts"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|x| {
                    x["permissionSets"]
                        .as_array()
                        .map(Vec::len)
                        .unwrap_or_default()
                })
                .sum()
        })
        .unwrap_or_default();
    let mut samples = Vec::new();
    for _ in 0..100 {
        let t = Instant::now();
        let (status, _, _) = call(&router, "GET", "/api/eligibility", Some(&token), None).await;
        samples.push(t.elapsed());
        assert_eq!(status, 200);
    }
    samples.sort();
    let _ = writeln!(
        report,
        "## GET /api/eligibility, {ACCOUNTS} accounts, {POLICIES} policies\n\n\
         The user is in 10 of {GROUPS} groups, so about 100 policies apply to them; the answer lists \
         {accounts} accounts and {pairs} account/permission-set pairs ({:.1} KiB of JSON). \
         100 calls in-process through the router (no TCP), SQLite on disk. Start-up with this seed: {}.\n\n\
         | p50 | p95 | max |\n| --- | --- | --- |\n| {} | {} | {} |\n",
        size as f64 / 1024.0,
        ms(boot),
        ms(percentile(&samples, 0.5)),
        ms(percentile(&samples, 0.95)),
        ms(percentile(&samples, 1.0)),
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn small_seed() -> Value {
    let mut seed = large_seed();
    // The lifecycle benchmarks need the directory and one policy, not the large organization.
    seed["eligibilityPolicies"] = json!([{
        "id": "e-bench", "name": "bench", "principal": {"type": "user", "id": "u-bench"},
        "ous": ["r-root"], "permissionSets": [ps_arn(0)], "maxDurationMinutes": 480, "approvalRequired": true
    }]);
    seed
}

async fn bench_throughput(report: &mut String) {
    const N: usize = 200;
    let dir = scratch("throughput");
    let twin = twin(&small_seed(), &dir, Duration::ZERO).await;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let driver = tokio::spawn(twin.clone().run_driver(stop_rx));
    let router = twin.router();
    let requester = login(&router, "bench").await;
    let approver = login(&router, "approver").await;
    let started = Instant::now();
    let mut ids = Vec::new();
    for i in 0..N {
        let body = json!({"accountId": account_id(i), "permissionSetArn": ps_arn(0), "durationMinutes": 60,
            "justification": "benchmark"});
        let (status, req, _) = call(
            &router,
            "POST",
            "/api/requests",
            Some(&requester),
            Some(body),
        )
        .await;
        assert_eq!(status, 201, "{req}");
        let id = req["id"].as_str().expect("id").to_string();
        let (status, _, _) = call(
            &router,
            "POST",
            &format!("/api/requests/{id}/approve"),
            Some(&approver),
            Some(json!({})),
        )
        .await;
        assert_eq!(status, 200);
        ids.push(id);
    }
    let api_done = started.elapsed();
    loop {
        let (_, page, _) = call(
            &router,
            "GET",
            "/api/requests?scope=mine&status=in%20progress&limit=200",
            Some(&requester),
            None,
        )
        .await;
        if page["items"].as_array().map(Vec::len).unwrap_or_default() >= N {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "sessions did not start"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let all_done = started.elapsed();
    let _ = stop_tx.send(true);
    let _ = driver.await;
    let _ = writeln!(
        report,
        "## submit → approve → in progress\n\n\
         {N} requests, each submitted by the requester and approved by an approver through the API, \
         sequentially, while teamd's driver runs the state machine (approval by task token, grant, \
         end timer) in the background. SQLite on disk; simulated Identity Center settling at once.\n\n\
         | API calls (submit + approve) | until all {N} are in progress | throughput |\n| --- | --- | --- |\n\
         | {:.2} s ({:.0} requests/s) | {:.2} s | {:.0} requests/s end to end |\n",
        api_done.as_secs_f64(),
        N as f64 / api_done.as_secs_f64(),
        all_done.as_secs_f64(),
        N as f64 / all_done.as_secs_f64(),
    );
    let _ = std::fs::remove_dir_all(&dir);
}

async fn bench_end_delay(report: &mut String, settle: Duration) {
    const N: usize = 10;
    let dir = scratch("end-delay");
    let twin = twin(&small_seed(), &dir, settle).await;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let driver = tokio::spawn(twin.clone().run_driver(stop_rx));
    let router = twin.router();
    let requester = login(&router, "bench").await;
    let approver = login(&router, "approver").await;
    let mut ends = Vec::new();
    for i in 0..N {
        // 1-minute sessions that started ~58 s ago (inside the 60 s grace): they end within seconds.
        let start = SystemClock.now() - time::Duration::seconds(58)
            + time::Duration::milliseconds(300 * i as i64);
        let body = json!({"accountId": account_id(i), "permissionSetArn": ps_arn(0), "durationMinutes": 1,
            "justification": "benchmark", "startTime": start.format(&Rfc3339).expect("format")});
        let (status, req, _) = call(
            &router,
            "POST",
            "/api/requests",
            Some(&requester),
            Some(body),
        )
        .await;
        assert_eq!(status, 201, "{req}");
        let id = req["id"].as_str().expect("id").to_string();
        call(
            &router,
            "POST",
            &format!("/api/requests/{id}/approve"),
            Some(&approver),
            Some(json!({})),
        )
        .await;
        let end = time::OffsetDateTime::parse(req["endTime"].as_str().expect("end"), &Rfc3339)
            .expect("end time");
        ends.push((account_id(i), end, None::<Duration>));
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut granted = [false; N];
    while ends.iter().any(|e| e.2.is_none()) && Instant::now() < deadline {
        let now = SystemClock.now();
        let current: Vec<String> = twin
            .identity_center
            .assignments()
            .await
            .into_iter()
            .map(|a| a.account_id.to_string())
            .collect();
        for (i, (account, end, gone)) in ends.iter_mut().enumerate() {
            let present = current.contains(account);
            granted[i] |= present;
            if gone.is_none() && granted[i] && !present && now >= *end {
                *gone = Some(Duration::try_from(now - *end).unwrap_or_default());
            }
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let _ = stop_tx.send(true);
    let _ = driver.await;
    let mut delays: Vec<Duration> = ends.iter().filter_map(|e| e.2).collect();
    delays.sort();
    let measured = delays.len();
    if delays.is_empty() {
        let _ = writeln!(
            report,
            "## end time → assignment gone (settle {settle:?})\n\nno session was measured\n"
        );
        return;
    }
    let _ = writeln!(
        report,
        "## end time → assignment gone (simulated Identity Center settles in {} ms)\n\n\
         {measured} one-minute sessions; the delay from each end time until the assignment has \
         disappeared from the simulated Identity Center (sampled every 2 ms).\n\n\
         | p50 | max |\n| --- | --- |\n| {} | {} |\n",
        settle.as_millis(),
        ms(percentile(&delays, 0.5)),
        ms(percentile(&delays, 1.0)),
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` passes nothing heavy: skip there.
    if !std::env::args().any(|a| a == "--bench") {
        println!("lifecycle benchmark: run with `cargo bench -p teamd --bench lifecycle`");
        return;
    }
    let mut report = String::from("# TEAM-rs benchmarks (local twin)\n\n");
    let _ = writeln!(
        report,
        "Measured on this machine ({} cores) with a release build.\n",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    bench_eligibility(&mut report).await;
    bench_throughput(&mut report).await;
    bench_end_delay(&mut report, Duration::ZERO).await;
    bench_end_delay(&mut report, Duration::from_secs(2)).await;
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let out = target.join("bench");
    let _ = std::fs::create_dir_all(&out);
    let path = out.join("report.md");
    if let Err(err) = std::fs::write(&path, &report) {
        eprintln!("could not write {}: {err}", path.display());
    }
    println!("{report}\n(written to {})", path.display());
}
