//! Bounded, jittered exponential back-off around AWS calls, and the mapping of
//! SDK failures onto [`TeamError`].
//!
//! The SDK clients retry on their own too (standard mode: a few quick attempts);
//! this layer sits on top because Identity Center throttles and answers
//! `ConflictException` while another operation on the same assignment is running
//! for much longer than the SDK's default budget (TEAM #327, #513). After the
//! bound the failure becomes [`TeamError::Transient`], which the state machines
//! retry as `TeamTransientError`.

use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use team_core::{TeamError, TeamResult};

/// How often and how patiently a call is retried when AWS says "later".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Attempts in all, the first included (at least 1).
    pub max_attempts: u32,
    /// Delay before the first retry; it doubles with every further retry.
    pub base_delay: Duration,
    /// Upper bound of any one delay.
    pub max_delay: Duration,
}

impl Default for Backoff {
    /// Six attempts, 200 ms doubling up to 5 s: about 10 s of patience in the worst case,
    /// well inside a Lambda's timeout.
    fn default() -> Self {
        Backoff {
            max_attempts: 6,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
        }
    }
}

impl Backoff {
    /// No waiting between attempts (tests).
    pub fn immediate(max_attempts: u32) -> Backoff {
        Backoff {
            max_attempts,
            base_delay: Duration::ZERO,
            max_delay: Duration::ZERO,
        }
    }

    /// The delay before retry number `retry` (1-based): "equal jitter", a random point
    /// in the upper half of the exponential step, so many Lambdas throttled at the
    /// same moment do not come back at the same moment.
    pub fn delay(&self, retry: u32) -> Duration {
        let factor = 2u32.saturating_pow(retry.saturating_sub(1));
        let step = self.base_delay.saturating_mul(factor).min(self.max_delay);
        let half = step / 2;
        let spread = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX);
        if spread == 0 {
            return step;
        }
        half + Duration::from_nanos(random_u64() % (spread + 1))
    }
}

/// A random number from the standard library's randomly keyed hasher: good enough
/// for jitter, and no extra dependency.
fn random_u64() -> u64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    hasher.finish()
}

/// Runs `call` until it succeeds, fails with something other than
/// [`TeamError::Transient`], or `backoff.max_attempts` are used up; then the last
/// transient failure is returned, saying how often it was tried.
pub(crate) async fn retry<T, F, Fut>(
    backoff: &Backoff,
    operation: &'static str,
    mut call: F,
) -> TeamResult<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = TeamResult<T>>,
{
    let max_attempts = backoff.max_attempts.max(1);
    let mut attempt = 1;
    loop {
        match call().await {
            Err(TeamError::Transient(message)) => {
                if attempt >= max_attempts {
                    tracing::warn!(operation, attempts = attempt, error = %message, "giving up after retries");
                    return Err(TeamError::Transient(format!(
                        "{message} (tried {attempt} times)"
                    )));
                }
                let delay = backoff.delay(attempt);
                tracing::info!(
                    operation,
                    attempt,
                    delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                    error = %message,
                    "retrying after a transient AWS failure"
                );
                tokio::time::sleep(delay).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// Error codes AWS uses for "slow down" or "try again", across the services used here.
const RETRYABLE_CODES: &[&str] = &[
    "ThrottlingException",
    "Throttling",
    "ThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "ConflictException",
    "ConcurrentModificationException",
    "InternalServerException",
    "InternalFailure",
    "InternalError",
    "InternalErrorException",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "ServiceException",
];

/// What went wrong with one SDK call, independent of the service's error type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    /// The service's error code (`ThrottlingException`), if the service answered.
    pub code: Option<String>,
    /// The service's message, if any.
    pub message: Option<String>,
    /// The whole error chain, for logs and error messages.
    pub detail: String,
    /// The request never got a (complete) answer: timeouts, connection failures.
    pub transport: bool,
    /// An HTTP status of 500 or more.
    pub server: bool,
}

impl Failure {
    /// Reads an SDK error of any client: `SdkError` and the raw response type are
    /// re-exports of `aws-smithy-runtime-api`, the same types in every SDK crate,
    /// so naming them through `aws_sdk_ssoadmin` covers all of them.
    pub(crate) fn of<E, R>(err: &aws_sdk_ssoadmin::error::SdkError<E, R>) -> Failure
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug + HttpStatus,
    {
        use aws_sdk_ssoadmin::error::SdkError;
        let transport = matches!(
            err,
            SdkError::TimeoutError(_) | SdkError::DispatchFailure(_)
        );
        let server = match err {
            SdkError::ServiceError(e) => e.raw().status() >= 500,
            SdkError::ResponseError(e) => e.raw().status() >= 500,
            _ => false,
        };
        Failure {
            code: err.code().map(str::to_string),
            message: err.message().map(str::to_string),
            detail: DisplayErrorContext(err).to_string(),
            transport,
            server,
        }
    }

    /// Whether the code is `code`.
    pub(crate) fn is(&self, code: &str) -> bool {
        self.code.as_deref() == Some(code)
    }

    /// Whether the service's message contains `needle`, ignoring ASCII case.
    pub(crate) fn says(&self, needle: &str) -> bool {
        let needle = needle.to_ascii_lowercase();
        self.message
            .as_deref()
            .unwrap_or(&self.detail)
            .to_ascii_lowercase()
            .contains(&needle)
    }

    /// Whether trying again later may help.
    pub(crate) fn retryable(&self) -> bool {
        self.transport
            || self.server
            || self
                .code
                .as_deref()
                .is_some_and(|c| RETRYABLE_CODES.contains(&c))
    }

    /// The domain error for this failure of `operation`.
    pub(crate) fn into_team_error(self, operation: &str) -> TeamError {
        let text = match (&self.code, &self.message) {
            (Some(code), Some(message)) => format!("{operation}: {code}: {message}"),
            (Some(code), None) => format!("{operation}: {code}"),
            _ => format!("{operation}: {}", self.detail),
        };
        if self.retryable() {
            TeamError::Transient(text)
        } else if self.is("ResourceNotFoundException") {
            TeamError::NotFound(text)
        } else {
            TeamError::Internal(text)
        }
    }
}

/// Fetches the pages of `operation` one after the other, each with [`retry`]:
/// `fetch` gets the token of the page to read (`None` for the first), `take`
/// consumes a page and hands back the next token; an absent or empty token ends.
pub(crate) async fn for_each_page<P, F, Fut>(
    backoff: &Backoff,
    operation: &'static str,
    mut fetch: F,
    mut take: impl FnMut(P) -> Option<String>,
) -> TeamResult<()>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = TeamResult<P>>,
{
    let mut next: Option<String> = None;
    loop {
        let page = retry(backoff, operation, || fetch(next.clone())).await?;
        next = take(page).filter(|t| !t.is_empty());
        if next.is_none() {
            return Ok(());
        }
    }
}

/// Every item of every page of `operation`, each page read with [`retry`]: `send`
/// sends the request for a page token (`None` for the first), `split` parts a page
/// into its items and the next token. Any failure becomes its domain error.
pub(crate) async fn collect_pages<P, T, I, E, R, F, Fut>(
    backoff: &Backoff,
    operation: &'static str,
    mut send: F,
    mut split: impl FnMut(P) -> (I, Option<String>),
) -> TeamResult<Vec<T>>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<P, aws_sdk_ssoadmin::error::SdkError<E, R>>>,
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + HttpStatus,
    I: IntoIterator<Item = T>,
{
    let mut all = Vec::new();
    for_each_page(
        backoff,
        operation,
        |next| {
            let sent = send(next);
            async move {
                sent.await
                    .map_err(|e| Failure::of(&e).into_team_error(operation))
            }
        },
        |page| {
            let (items, next) = split(page);
            all.extend(items);
            next
        },
    )
    .await?;
    Ok(all)
}

/// The output of `operation`, or `None` where the service answers
/// `ResourceNotFoundException`; any other failure becomes its domain error.
pub(crate) fn unless_not_found<T, E, R>(
    result: Result<T, aws_sdk_ssoadmin::error::SdkError<E, R>>,
    operation: &str,
) -> Result<Option<T>, TeamError>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + HttpStatus,
{
    match result {
        Ok(output) => Ok(Some(output)),
        Err(err) => {
            let failure = Failure::of(&err);
            if failure.is("ResourceNotFoundException") {
                Ok(None)
            } else {
                Err(failure.into_team_error(operation))
            }
        }
    }
}

/// The HTTP status of a raw response, so [`Failure::of`] works for every client.
pub(crate) trait HttpStatus {
    /// The status code as a number.
    fn status(&self) -> u16;
}

impl HttpStatus for aws_sdk_ssoadmin::config::http::HttpResponse {
    fn status(&self) -> u16 {
        aws_sdk_ssoadmin::config::http::HttpResponse::status(self).as_u16()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_but_stay_bounded_and_jittered() {
        let backoff = Backoff {
            max_attempts: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
        };
        for _ in 0..50 {
            let first = backoff.delay(1);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
            let third = backoff.delay(3);
            assert!(third >= Duration::from_millis(200) && third <= Duration::from_millis(400));
            let late = backoff.delay(30);
            assert!(late >= Duration::from_millis(500) && late <= Duration::from_secs(1));
        }
    }

    #[tokio::test]
    async fn transient_failures_are_retried_until_the_bound() {
        let mut calls = 0;
        let result: TeamResult<()> = retry(&Backoff::immediate(3), "Test", || {
            calls += 1;
            async { Err(TeamError::Transient("ThrottlingException".into())) }
        })
        .await;
        assert_eq!(calls, 3);
        let Err(TeamError::Transient(message)) = result else {
            panic!("expected a transient error, got {result:?}");
        };
        assert!(message.contains("tried 3 times"), "{message}");
    }

    #[tokio::test]
    async fn other_failures_are_not_retried() {
        let mut calls = 0;
        let result: TeamResult<()> = retry(&Backoff::immediate(3), "Test", || {
            calls += 1;
            async { Err(TeamError::Internal("AccessDeniedException".into())) }
        })
        .await;
        assert_eq!(calls, 1);
        assert!(matches!(result, Err(TeamError::Internal(_))));
    }
}
