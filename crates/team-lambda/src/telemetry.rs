//! Logs: JSON lines on stdout, which Lambda ships to CloudWatch Logs.

use tracing_subscriber::EnvFilter;

/// Installs the JSON subscriber once per cold start. `RUST_LOG` filters
/// (default `info`); a second call is a no-op, so tests and binaries may both call it.
pub fn init_tracing() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // CloudWatch stamps every line itself and cannot render colours. The current span
    // is lambda_runtime's invocation span, so every line carries the request id.
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_ansi(false)
        .without_time()
        .with_current_span(true)
        .with_span_list(false)
        .try_init();
}
