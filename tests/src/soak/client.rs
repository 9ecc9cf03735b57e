//! The soak's HTTP client: 127.0.0.1 only, no proxy, and a clear line between a call
//! that never reached teamd (safe to repeat) and one whose outcome is unknown.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::{Method, Url};
use serde_json::Value;
use time::OffsetDateTime;

/// How long one call may take before its outcome counts as unknown.
const CALL_TIMEOUT: Duration = Duration::from_secs(20);

/// An answer, with when the call was sent and answered.
#[derive(Debug, Clone)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// JSON body (`Null` when it is not JSON).
    pub body: Value,
    /// When the call was sent.
    pub sent: OffsetDateTime,
    /// When the answer arrived.
    pub recv: OffsetDateTime,
}

/// Why a call has no answer.
#[derive(Debug, Clone)]
pub enum Failure {
    /// The connection was refused: teamd never saw the call.
    Unreachable,
    /// The call may or may not have been carried out (cut off, timed out).
    Unknown(String),
}

/// Counters of what went wrong on the wire.
#[derive(Debug, Default)]
pub struct WireStats {
    /// Calls refused at connect (teamd down).
    pub unreachable: AtomicU64,
    /// Calls with an unknown outcome.
    pub unknown: AtomicU64,
    /// 5xx answers.
    pub server_errors: AtomicU64,
    /// Calls made.
    pub calls: AtomicU64,
}

/// A client for one teamd.
pub struct Api {
    http: reqwest::Client,
    base: Url,
    /// What went wrong.
    pub stats: WireStats,
}

impl Api {
    /// A client for `http://127.0.0.1:{port}`.
    pub fn new(port: u16) -> Result<Api, String> {
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(CALL_TIMEOUT)
            .connect_timeout(Duration::from_secs(2))
            .pool_idle_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        let base = Url::parse(&format!("http://127.0.0.1:{port}/"))
            .map_err(|e| format!("bad base URL: {e}"))?;
        Ok(Api {
            http,
            base,
            stats: WireStats::default(),
        })
    }

    /// The URL of `path` with `query` pairs (encoded).
    pub fn url(&self, path: &str, query: &[(&str, &str)]) -> Result<Url, Failure> {
        let mut url = self
            .base
            .join(path.trim_start_matches('/'))
            .map_err(|e| Failure::Unknown(format!("bad path {path}: {e}")))?;
        if !query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (k, v) in query {
                pairs.append_pair(k, v);
            }
        }
        Ok(url)
    }

    /// One call, no retry.
    pub async fn call(
        &self,
        method: Method,
        url: Url,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Result<Reply, Failure> {
        self.stats.calls.fetch_add(1, Ordering::Relaxed);
        let mut request = self.http.request(method, url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let sent = OffsetDateTime::now_utc();
        let outcome = async {
            let response = request.send().await?;
            let status = response.status().as_u16();
            let bytes = response.bytes().await?;
            Ok::<_, reqwest::Error>((status, bytes))
        }
        .await;
        let recv = OffsetDateTime::now_utc();
        match outcome {
            Ok((status, bytes)) => {
                if status >= 500 {
                    self.stats.server_errors.fetch_add(1, Ordering::Relaxed);
                }
                let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
                Ok(Reply {
                    status,
                    body,
                    sent,
                    recv,
                })
            }
            Err(err) if err.is_connect() => {
                self.stats.unreachable.fetch_add(1, Ordering::Relaxed);
                Err(Failure::Unreachable)
            }
            Err(err) => {
                self.stats.unknown.fetch_add(1, Ordering::Relaxed);
                Err(Failure::Unknown(err.to_string()))
            }
        }
    }

    /// A read, repeated (teamd down, cut off, 5xx) until it answers or `patience` runs out.
    pub async fn get(
        &self,
        path: &str,
        query: &[(&str, &str)],
        token: Option<&str>,
        patience: Duration,
    ) -> Result<Reply, String> {
        let url = self.url(path, query).map_err(|f| format!("{f:?}"))?;
        let give_up = tokio::time::Instant::now() + patience;
        let mut wait = Duration::from_millis(100);
        loop {
            let last = match self.call(Method::GET, url.clone(), token, None).await {
                Ok(reply) if reply.status < 500 => return Ok(reply),
                Ok(reply) => format!("HTTP {}: {}", reply.status, reply.body),
                Err(f) => format!("{f:?}"),
            };
            if tokio::time::Instant::now() + wait > give_up {
                return Err(format!("GET {path}: {last}"));
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(Duration::from_millis(800));
        }
    }
}
