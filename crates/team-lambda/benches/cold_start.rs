//! Cold start of the Lambda binaries, measured locally: process start → first event
//! handled, with a stand-in for the Lambda Runtime API.
//!
//! ```sh
//! cargo build --release -p team-request -p team-approval -p team-admin -p team-audit \
//!   -p team-grant -p team-revoke -p team-notify -p team-token
//! cargo bench -p team-lambda --bench cold_start
//! ```
//!
//! Writes `target/bench/cold-start.md` (or under `$CARGO_TARGET_DIR`) and prints it.
//! `TEAM_BENCH_PROFILE` picks `release` (default) or `debug` binaries,
//! `TEAM_BENCH_RUNS` the number of starts per function (default 15).
//!
//! Each run starts a fresh Runtime API stand-in (`GET /2018-06-01/runtime/invocation/next`,
//! `POST …/invocation/{id}/response|error`, `POST …/init/error`), spawns the binary with
//! fake configuration and every AWS endpoint pointed at an unused local port (no
//! network), hands it one event, and stops the clock when the answer is posted:
//!
//! * HTTP functions: an API Gateway HTTP API event for `GET /api/openapi.json`
//!   (no AWS call), expecting `statusCode` 200;
//! * step functions: a Task payload without a request id, expecting the error
//!   `TeamInternalError` — which also checks, end to end, that a step error reaches the
//!   Runtime API with the stable `errorType` the state machines match on;
//! * `team-notify`: an SNS event without records; `team-token`: a trigger event with
//!   no user name to look up (both answer without an AWS call).

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::{Notify, mpsc};

/// What a function is sent and what it must answer.
struct Case {
    name: &'static str,
    event: Value,
    expect: Expect,
}

#[derive(Clone, Copy)]
enum Expect {
    /// A response with this HTTP status in `statusCode`.
    Http(u16),
    /// An error with this `errorType`.
    Error(&'static str),
    /// Any successful response.
    Ok,
}

/// What the stand-in saw, in order.
#[derive(Debug)]
enum Seen {
    /// The first `GET …/next`: the runtime finished initializing.
    Next(Instant),
    /// A posted result.
    Done {
        at: Instant,
        error: bool,
        body: Value,
    },
    /// `POST …/init/error`.
    InitError(Value),
}

#[derive(Clone)]
struct Stand {
    event: Arc<Mutex<Option<Value>>>,
    seen: mpsc::UnboundedSender<Seen>,
    never: Arc<Notify>,
}

fn header(value: &str) -> HeaderValue {
    HeaderValue::from_str(value).unwrap_or(HeaderValue::from_static("x"))
}

async fn next(State(stand): State<Stand>) -> Response {
    let _ = stand.seen.send(Seen::Next(Instant::now()));
    let event = stand.event.lock().map(|mut e| e.take()).unwrap_or(None);
    let Some(event) = event else {
        // One event per cold start: later polls wait until the process is killed.
        stand.never.notified().await;
        return StatusCode::GONE.into_response();
    };
    let deadline = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis()
        + 60_000;
    let mut headers = HeaderMap::new();
    headers.insert("lambda-runtime-aws-request-id", header("bench-1"));
    headers.insert("lambda-runtime-deadline-ms", header(&deadline.to_string()));
    headers.insert(
        "lambda-runtime-invoked-function-arn",
        header("arn:aws:lambda:eu-west-1:111122223333:function:bench"),
    );
    headers.insert("content-type", header("application/json"));
    (headers, event.to_string()).into_response()
}

async fn done(stand: Stand, error: bool, body: String) -> StatusCode {
    let body = serde_json::from_str(&body).unwrap_or(Value::String(body));
    let _ = stand.seen.send(Seen::Done {
        at: Instant::now(),
        error,
        body,
    });
    StatusCode::ACCEPTED
}

async fn response(
    State(stand): State<Stand>,
    UrlPath(_id): UrlPath<String>,
    body: String,
) -> StatusCode {
    done(stand, false, body).await
}

async fn error(
    State(stand): State<Stand>,
    UrlPath(_id): UrlPath<String>,
    body: String,
) -> StatusCode {
    done(stand, true, body).await
}

async fn init_error(State(stand): State<Stand>, body: String) -> StatusCode {
    let body = serde_json::from_str(&body).unwrap_or(Value::String(body));
    let _ = stand.seen.send(Seen::InitError(body));
    StatusCode::ACCEPTED
}

/// A Runtime API stand-in that serves `event` once.
async fn stand_in(event: Value) -> std::io::Result<(SocketAddr, mpsc::UnboundedReceiver<Seen>)> {
    let (tx, rx) = mpsc::unbounded_channel();
    let stand = Stand {
        event: Arc::new(Mutex::new(Some(event))),
        seen: tx,
        never: Arc::new(Notify::new()),
    };
    let app = Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route(
            "/2018-06-01/runtime/invocation/{id}/response",
            post(response),
        )
        .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
        .route("/2018-06-01/runtime/init/error", post(init_error))
        .with_state(stand);
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((addr, rx))
}

/// A local port nothing listens on: AWS calls fail fast instead of leaving the machine.
fn unused_port() -> std::io::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

fn fake_env(dead_port: u16) -> Vec<(&'static str, String)> {
    let endpoint = format!("http://127.0.0.1:{dead_port}");
    [
        ("AWS_REGION", "eu-west-1".to_string()),
        ("AWS_ACCESS_KEY_ID", "AKIDBENCHBENCHBENCH0".into()),
        (
            "AWS_SECRET_ACCESS_KEY",
            "bench-secret-not-a-real-key".into(),
        ),
        ("AWS_ENDPOINT_URL", endpoint),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ("AWS_CONFIG_FILE", "/nonexistent/aws-config".into()),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/aws-credentials".into(),
        ),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512".into()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".into()),
        ("RUST_LOG", "info".into()),
        ("TEAM_REQUESTS_TABLE", "team-requests".into()),
        ("TEAM_POLICIES_TABLE", "team-policies".into()),
        (
            "TEAM_IDENTITY_CENTER_INSTANCE_ARN",
            "arn:aws:sso:::instance/ssoins-1234567890abcdef".into(),
        ),
        ("TEAM_IDENTITY_STORE_ID", "d-1234567890".into()),
        (
            "TEAM_ACCESS_REQUEST_STATE_MACHINE_ARN",
            "arn:aws:states:eu-west-1:111122223333:stateMachine:team-access-request".into(),
        ),
        (
            "TEAM_REVOKE_STATE_MACHINE_ARN",
            "arn:aws:states:eu-west-1:111122223333:stateMachine:team-revoke".into(),
        ),
        ("TEAM_SCHEDULE_GROUP", "team".into()),
        (
            "TEAM_SCHEDULER_ROLE_ARN",
            "arn:aws:iam::111122223333:role/team-scheduler".into(),
        ),
        (
            "TEAM_SCHEDULER_DLQ_ARN",
            "arn:aws:sqs:eu-west-1:111122223333:team-scheduler-dlq".into(),
        ),
        (
            "TEAM_TOPIC_ARN",
            "arn:aws:sns:eu-west-1:111122223333:team".into(),
        ),
        ("TEAM_EVENT_DATA_STORE", "eds-bench".into()),
        ("TEAM_WEB_URL", "https://team.example.com".into()),
        ("TEAM_SES_SENDER", "team@example.com".into()),
        (
            "TEAM_SLACK_SECRET_ARN",
            "arn:aws:secretsmanager:eu-west-1:111122223333:secret:slack".into(),
        ),
        ("TEAM_ADMIN_GROUP", "team-admins".into()),
        ("TEAM_AUDITOR_GROUP", "team-auditors".into()),
    ]
    .into_iter()
    .collect()
}

fn openapi_event() -> Value {
    json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/api/openapi.json",
        "rawQueryString": "",
        "headers": { "host": "id.execute-api.eu-west-1.amazonaws.com", "accept": "application/json" },
        "requestContext": {
            "accountId": "111122223333",
            "apiId": "id",
            "domainName": "id.execute-api.eu-west-1.amazonaws.com",
            "http": { "method": "GET", "path": "/api/openapi.json", "protocol": "HTTP/1.1", "sourceIp": "192.0.2.1", "userAgent": "bench" },
            "requestId": "bench",
            "routeKey": "$default",
            "stage": "$default",
            "time": "01/Jan/2026:00:00:00 +0000",
            "timeEpoch": 1767225600000_i64
        },
        "isBase64Encoded": false
    })
}

fn cases() -> Vec<Case> {
    let http = |name| Case {
        name,
        event: openapi_event(),
        expect: Expect::Http(200),
    };
    vec![
        http("team-request"),
        http("team-approval"),
        http("team-admin"),
        http("team-audit"),
        Case {
            name: "team-grant",
            event: json!({ "step": "grant" }),
            expect: Expect::Error("TeamInternalError"),
        },
        Case {
            name: "team-revoke",
            event: json!({ "step": "revoke" }),
            expect: Expect::Error("TeamInternalError"),
        },
        Case {
            name: "team-notify",
            event: json!({ "Records": [] }),
            expect: Expect::Ok,
        },
        Case {
            name: "team-token",
            event: json!({
                "version": "2",
                "triggerSource": "TokenGeneration_HostedAuth",
                "region": "eu-west-1",
                "userPoolId": "eu-west-1_bench",
                "callerContext": { "awsSdkVersion": "x", "clientId": "bench" },
                "request": { "userAttributes": {}, "scopes": ["openid"] },
                "response": { "claimsAndScopeOverrideDetails": null }
            }),
            expect: Expect::Ok,
        },
    ]
}

/// One cold start: (spawn → first `/next`, spawn → result posted).
struct Sample {
    init: Duration,
    first_event: Duration,
}

/// Kills the child however the run ends.
struct Reaper(Child);

impl Drop for Reaper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn cold_start(binary: &Path, case: &Case) -> Result<Sample, String> {
    let (addr, mut seen) = stand_in(case.event.clone())
        .await
        .map_err(|e| format!("stand-in: {e}"))?;
    let dead_port = unused_port().map_err(|e| format!("port: {e}"))?;
    let mut command = Command::new(binary);
    command
        .env_clear()
        .envs(fake_env(dead_port))
        .env("AWS_LAMBDA_FUNCTION_NAME", case.name)
        .env("AWS_LAMBDA_RUNTIME_API", addr.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let started = Instant::now();
    let child = command
        .spawn()
        .map_err(|e| format!("spawn {}: {e}", binary.display()))?;
    let mut child = Reaper(child);
    let mut init = None;
    let deadline = tokio::time::sleep(Duration::from_secs(30));
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            event = seen.recv() => match event {
                Some(Seen::Next(at)) => { init.get_or_insert(at - started); }
                Some(Seen::InitError(body)) => return Err(format!("init error: {body}")),
                Some(Seen::Done { at, error, body }) => {
                    check(case, error, &body)?;
                    let first_event = at - started;
                    return Ok(Sample { init: init.unwrap_or(first_event), first_event });
                }
                None => return Err("stand-in stopped".into()),
            },
            _ = tokio::time::sleep(Duration::from_millis(20)) => {
                if let Ok(Some(status)) = child.0.try_wait() {
                    return Err(format!("exited with {status} before answering"));
                }
            }
            _ = &mut deadline => return Err("no answer within 30 s".into()),
        }
    }
}

fn check(case: &Case, error: bool, body: &Value) -> Result<(), String> {
    match (case.expect, error) {
        (Expect::Http(status), false) if body["statusCode"] == json!(status) => Ok(()),
        (Expect::Error(kind), true) if body["errorType"] == json!(kind) => Ok(()),
        (Expect::Ok, false) => Ok(()),
        _ => Err(format!(
            "unexpected {}: {body}",
            if error { "error" } else { "response" }
        )),
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    // Nearest rank: the smallest sample with at least p of the samples at or below it.
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"))
}

#[tokio::main]
async fn main() {
    // `cargo test --benches` runs this without `--bench`: only `cargo bench` measures.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let profile = std::env::var("TEAM_BENCH_PROFILE").unwrap_or_else(|_| "release".into());
    let runs: usize = std::env::var("TEAM_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(15)
        .max(1);
    let bin_dir = target_dir().join(&profile);
    let bin_dir = std::fs::canonicalize(&bin_dir).unwrap_or(bin_dir);
    let mut report = String::new();
    let _ = writeln!(report, "# Lambda cold start\n");
    let _ = writeln!(
        report,
        "Process start → first event handled, {runs} cold starts per function, `{profile}` \
         binaries from `{}`, on a local Runtime API stand-in (no network; AWS endpoints \
         point at an unused local port). *init* is start → first `GET …/invocation/next` \
         (configuration read, SDK clients built); *first event* is start → result posted.\n",
        bin_dir.display()
    );
    // Other builds share the machine: the load says how much the numbers are worth.
    if let Ok(load) = std::fs::read_to_string("/proc/loadavg") {
        let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
        let load: Vec<&str> = load.split_whitespace().take(3).collect();
        let _ = writeln!(
            report,
            "Machine: {cores} cores, load average {} at the start.\n",
            load.join(" / ")
        );
    }
    let _ = writeln!(
        report,
        "| function | event | init median ms | init p95 ms | first event median ms | first event p95 ms | min ms | max ms | binary MB |"
    );
    let _ = writeln!(
        report,
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    let mut failed = false;
    for case in cases() {
        let binary = bin_dir.join(case.name);
        if !binary.exists() {
            eprintln!(
                "{} is missing: build it first with `cargo build --{profile} -p {}`",
                binary.display(),
                case.name
            );
            failed = true;
            continue;
        }
        // One unmeasured start first: the page cache, not the binary, dominates a first start.
        if let Err(err) = cold_start(&binary, &case).await {
            eprintln!("{}: {err}", case.name);
            failed = true;
            continue;
        }
        let mut samples = Vec::with_capacity(runs);
        for _ in 0..runs {
            match cold_start(&binary, &case).await {
                Ok(sample) => samples.push(sample),
                Err(err) => {
                    eprintln!("{}: {err}", case.name);
                    failed = true;
                }
            }
        }
        if samples.is_empty() {
            continue;
        }
        let mut init: Vec<Duration> = samples.iter().map(|s| s.init).collect();
        let mut first: Vec<Duration> = samples.iter().map(|s| s.first_event).collect();
        init.sort();
        first.sort();
        let size = std::fs::metadata(&binary)
            .map(|m| m.len() as f64 / 1_048_576.0)
            .unwrap_or(0.0);
        let event = match case.expect {
            Expect::Http(_) => "HTTP `GET /api/openapi.json`".to_string(),
            Expect::Error(kind) => format!("step payload → `{kind}`"),
            Expect::Ok if case.name == "team-notify" => "SNS event, no records".into(),
            Expect::Ok => "pre-token event, no user".into(),
        };
        let _ = writeln!(
            report,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {:.1} |",
            case.name,
            event,
            ms(percentile(&init, 0.5)),
            ms(percentile(&init, 0.95)),
            ms(percentile(&first, 0.5)),
            ms(percentile(&first, 0.95)),
            ms(first[0]),
            ms(first[first.len() - 1]),
            size
        );
    }
    let out = bin_dir
        .parent()
        .map_or_else(|| target_dir().join("bench"), |t| t.join("bench"));
    let written = std::fs::create_dir_all(&out)
        .and_then(|()| std::fs::write(out.join("cold-start.md"), &report));
    print!("{report}");
    match written {
        Ok(()) => println!("\nwritten to {}", out.join("cold-start.md").display()),
        Err(err) => eprintln!("could not write the report: {err}"),
    }
    if failed {
        std::process::exit(1);
    }
}
