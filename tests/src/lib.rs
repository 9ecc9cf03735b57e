//! Harness for the system tests: a whole `teamd` twin in-process, over a test
//! organization, driven through its HTTP router with a clock the test moves.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use team_core::service::PollPolicy;
use team_local::{ManualClock, Seed, SimFaults};
use teamd::{Storage, Twin, TwinConfig};
use time::OffsetDateTime;
use time::macros::datetime;
use tower::ServiceExt;

/// The organization of the system tests (`tests/fixtures/org.json`).
pub const TEST_ORG: &str = include_str!("../fixtures/org.json");
/// `payments-prod`: developers need approval from bob or erin.
pub const PROD: &str = "111111111111";
/// `payments-dev`: developers need approval from bob or erin.
pub const DEV: &str = "222222222222";
/// `sandbox-alice`: alice needs no approval.
pub const SANDBOX: &str = "333333333333";
/// AdministratorAccess.
pub const ADMIN_PS: &str =
    "arn:aws:sso:::permissionSet/ssoins-7777777777777777/ps-aaaaaaaaaaaaaaaa";
/// ReadOnlyAccess.
pub const READ_PS: &str = "arn:aws:sso:::permissionSet/ssoins-7777777777777777/ps-bbbbbbbbbbbbbbbb";
/// Where every test's clock starts.
pub const T0: OffsetDateTime = datetime!(2026-03-02 09:00:00 UTC);

/// Options for a harness.
#[derive(Default)]
pub struct Options {
    /// Keep the database in this file (to restart on it).
    pub db_file: Option<PathBuf>,
    /// Identity Center faults.
    pub faults: SimFaults,
    /// Start the clock here instead of [`T0`].
    pub start: Option<OffsetDateTime>,
}

/// A running twin and its clock.
pub struct Harness {
    /// The twin.
    pub twin: Arc<Twin>,
    /// Its router.
    pub router: Router,
    /// The clock the test moves.
    pub clock: Arc<ManualClock>,
}

/// A response: status and JSON body (`Value::Null` when the body is not JSON).
#[derive(Debug)]
pub struct Reply {
    /// HTTP status.
    pub status: StatusCode,
    /// Parsed body.
    pub body: Value,
    /// Raw body.
    pub text: String,
}

/// The `id` of what a reply created.
pub fn id_of(reply: &Reply) -> String {
    reply.body["id"].as_str().expect("request id").to_string()
}

/// A database file and a clock that outlive one twin, so a test can stop a
/// twin and start another on the same data at a later time. The file's folder
/// is removed when this is dropped.
pub struct Restartable {
    dir: PathBuf,
    /// The clock every twin started from here shares.
    pub clock: Arc<ManualClock>,
}

impl Restartable {
    /// A fresh folder named after `name` (and this process, so parallel runs do not meet).
    pub fn new(name: &str) -> Restartable {
        let dir = std::env::temp_dir().join(format!("team-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp folder");
        Restartable {
            dir,
            clock: Arc::new(ManualClock::new(T0)),
        }
    }

    /// Starts a twin on the database file and the shared clock.
    pub async fn start(&self) -> Harness {
        let options = Options {
            db_file: Some(self.dir.join("teamd.db")),
            ..Options::default()
        };
        Harness::on_clock(options, self.clock.clone()).await
    }
}

impl Drop for Restartable {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Harness {
    /// A twin with the test organization, in memory.
    pub async fn new() -> Harness {
        Harness::with(Options::default()).await
    }

    /// A twin with options.
    pub async fn with(options: Options) -> Harness {
        let clock = Arc::new(ManualClock::new(options.start.unwrap_or(T0)));
        Harness::on_clock(options, clock).await
    }

    /// A twin whose simulated Identity Center injects the faults of `spec` (see [`SimFaults::parse_spec`]).
    pub async fn with_faults(spec: &str) -> Harness {
        let mut faults = SimFaults::default();
        faults.parse_spec(spec).expect("fault spec parses");
        Harness::with(Options {
            faults,
            ..Options::default()
        })
        .await
    }

    /// A twin on an existing clock (restarts keep the time).
    pub async fn on_clock(options: Options, clock: Arc<ManualClock>) -> Harness {
        let storage = match options.db_file {
            Some(path) => Storage::File(path),
            None => Storage::Memory,
        };
        let config = TwinConfig {
            storage,
            seed: Seed::parse(TEST_ORG).expect("test organization parses"),
            clock: clock.clone(),
            settle_delay: Duration::from_secs(2),
            faults: options.faults,
            jwt_secret: b"system-test-secret-system-test-secret".to_vec(),
            poll: PollPolicy::default(),
        };
        let twin = Arc::new(Twin::build(config).await.expect("twin builds"));
        let router = twin.router();
        Harness {
            twin,
            router,
            clock,
        }
    }

    /// Signs in as a user of the test directory.
    pub async fn login(&self, username: &str) -> String {
        let reply = self
            .call(
                Method::POST,
                "/api/local/login",
                None,
                Some(json!({ "username": username })),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "login {username}: {}",
            reply.text
        );
        reply.body["token"].as_str().expect("token").to_string()
    }

    /// One HTTP call through the router.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut builder = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            builder = builder.header("authorization", format!("Bearer {t}"));
        }
        let request = match body {
            Some(b) => builder
                .header("content-type", "application/json")
                .body(Body::from(b.to_string())),
            None => builder.body(Body::empty()),
        }
        .expect("request builds");
        self.raw(request).await
    }

    /// Sends a prepared request.
    pub async fn raw(&self, request: Request<Body>) -> Reply {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("router answers");
        let status = response.status();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        let text = String::from_utf8_lossy(&bytes).to_string();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply { status, body, text }
    }

    /// `GET` as `token`.
    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.call(Method::GET, path, Some(token), None).await
    }

    /// `POST` as `token`.
    pub async fn post(&self, path: &str, token: &str, body: Value) -> Reply {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    /// `PUT` as `token`.
    pub async fn put(&self, path: &str, token: &str, body: Value) -> Reply {
        self.call(Method::PUT, path, Some(token), Some(body)).await
    }

    /// `DELETE` as `token`.
    pub async fn delete(&self, path: &str, token: &str) -> Reply {
        self.call(Method::DELETE, path, Some(token), None).await
    }

    /// `POST /api/requests/{id}/{action}` as `token` (`approve`, `reject`, `cancel`, `revoke`).
    pub async fn act(&self, token: &str, id: &str, action: &str, body: Value) -> Reply {
        self.post(&format!("/api/requests/{id}/{action}"), token, body)
            .await
    }

    /// Approves request `id` as `token`, without a comment.
    pub async fn approve(&self, token: &str, id: &str) -> Reply {
        self.act(token, id, "approve", json!({})).await
    }

    /// Submits a request and returns the reply.
    pub async fn submit(&self, token: &str, account: &str, ps: &str, minutes: i64) -> Reply {
        let body = json!({
            "accountId": account,
            "permissionSetArn": ps,
            "durationMinutes": minutes,
            "justification": "investigate incident",
        });
        self.post("/api/requests", token, body).await
    }

    /// Runs every workflow step that is due now.
    pub async fn settle(&self) {
        self.twin.settle().await.expect("twin settles");
    }

    /// Moves the clock forward (in steps of at most a minute, so timers fire in order) and settles.
    pub async fn advance(&self, by: time::Duration) {
        let target = self.clock.now_utc() + by;
        self.settle().await;
        while self.clock.now_utc() < target {
            let step = (target - self.clock.now_utc()).min(time::Duration::minutes(1));
            self.clock.advance(step);
            self.settle().await;
        }
    }

    /// A request's status as its requester sees it.
    pub async fn status(&self, token: &str, id: &str) -> String {
        let reply = self.get(&format!("/api/requests/{id}"), token).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        reply.body["status"].as_str().expect("status").to_string()
    }

    /// The simulated Identity Center's current assignments as `(user, account, permission set)`.
    pub async fn assignments(&self) -> Vec<(String, String, String)> {
        let reply = self
            .call(Method::GET, "/api/local/assignments", None, None)
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        reply.body["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|a| {
                (
                    a["userId"].as_str().unwrap_or_default().to_string(),
                    a["accountId"].as_str().unwrap_or_default().to_string(),
                    a["permissionSetArn"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                )
            })
            .collect()
    }

    /// The kinds of a request's events, oldest first.
    pub async fn event_kinds(&self, token: &str, id: &str) -> Vec<String> {
        let reply = self.get(&format!("/api/requests/{id}/events"), token).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        reply
            .body
            .as_array()
            .expect("events")
            .iter()
            .map(|e| e["kind"].as_str().unwrap_or_default().to_string())
            .collect()
    }
}

pub mod soak;
