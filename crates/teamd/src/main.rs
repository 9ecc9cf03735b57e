//! `teamd`: run TEAM-rs locally with the demo organization.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use team_core::service::PollPolicy;
use team_core::sweep::{LeakMode, SweepConfig};
use team_local::{Seed, SimFaults, SystemClock};
use teamd::{Storage, Twin, TwinConfig};
use tower_http::services::{ServeDir, ServeFile};
use tracing_subscriber::EnvFilter;

/// TEAM-rs local twin: the whole access lifecycle in one process.
#[derive(Debug, Parser)]
#[command(name = "teamd", version)]
struct Args {
    /// Address to serve the API (and the web UI) on.
    #[arg(long, env = "TEAMD_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Directory for the database and the sign-in key; created if missing.
    #[arg(long, env = "TEAMD_DATA_DIR", default_value = ".teamd")]
    data_dir: PathBuf,
    /// Seed file with the simulated organization, directory and first policies (default: the demo org).
    #[arg(long, env = "TEAMD_SEED")]
    seed: Option<PathBuf>,
    /// Built web UI to serve at `/` (default: web/dist when it exists).
    #[arg(long, env = "TEAMD_WEB_DIR")]
    web_dir: Option<PathBuf>,
    /// How long simulated account assignment operations stay IN_PROGRESS, in milliseconds.
    #[arg(long, env = "TEAMD_SETTLE_MS", default_value_t = 2000)]
    settle_ms: u64,
    /// Inject Identity Center faults: `throttle:N`, `fail-create:ACCOUNT:REASON`, `fail-delete:ACCOUNT:REASON`,
    /// `latency:MS` (more at run time: `POST /api/local/faults`).
    #[arg(long = "fault")]
    faults: Vec<String>,
    /// Seconds between two runs of the reconciler (0: never). It re-drives overdue
    /// requests, retries owed removals, removes leaked assignments and reports drift.
    #[arg(long, env = "TEAMD_SWEEP_INTERVAL", default_value_t = 60)]
    sweep_interval: u64,
    /// Seconds a request may be overdue before the reconciler acts: the workflow's own
    /// retries get this long first.
    #[arg(long, env = "TEAMD_SWEEP_GRACE", default_value_t = 300)]
    sweep_grace: u64,
    /// What the reconciler does with assignments TEAM-rs made that no live request holds.
    #[arg(long, env = "TEAMD_LEAKS", default_value = "remove", value_parser = ["remove", "report"])]
    leaks: String,
    /// Log as JSON lines.
    #[arg(long)]
    json_logs: bool,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    if args.json_logs {
        tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter)
            .init();
    } else {
        tracing_subscriber::fmt().with_env_filter(filter).init();
    }
    match run(args).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("teamd: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A file or socket operation that failed at start-up, with what was being done.
#[derive(Debug, thiserror::Error)]
#[error("cannot {action} {target}: {source}")]
struct StartupError {
    action: &'static str,
    target: String,
    source: std::io::Error,
}

impl StartupError {
    fn io(
        action: &'static str,
        target: impl std::fmt::Display,
    ) -> impl FnOnce(std::io::Error) -> StartupError {
        let target = target.to_string();
        move |source| StartupError {
            action,
            target,
            source,
        }
    }
}

async fn run(args: Args) -> Result<(), BoxError> {
    std::fs::create_dir_all(&args.data_dir).map_err(StartupError::io(
        "create data directory",
        args.data_dir.display(),
    ))?;
    let seed = match &args.seed {
        Some(path) => Seed::parse(
            &std::fs::read_to_string(path)
                .map_err(StartupError::io("read seed", path.display()))?,
        )?,
        None => Seed::demo()?,
    };
    let mut faults = SimFaults::default();
    for spec in &args.faults {
        faults.parse_spec(spec)?;
    }
    let config = TwinConfig {
        storage: Storage::File(args.data_dir.join("teamd.db")),
        seed,
        clock: Arc::new(SystemClock),
        settle_delay: Duration::from_millis(args.settle_ms),
        faults,
        jwt_secret: signing_key(&args.data_dir)?,
        poll: PollPolicy::default(),
    };
    let twin = Arc::new(Twin::build(config).await?);
    twin.identity_center
        .set_side_effect_hook(Arc::new(die_on_purpose));
    let mut app = twin.router();
    let web_dir = args.web_dir.clone().or_else(|| {
        let default = PathBuf::from("web/dist");
        default.join("index.html").exists().then_some(default)
    });
    if let Some(dir) = web_dir {
        tracing::info!(dir = %dir.display(), "serving the web UI");
        // Unknown paths get index.html so deep links such as /requests/{id} open in the app.
        let index = ServeFile::new(dir.join("index.html"));
        app = app.fallback_service(ServeDir::new(dir).fallback(index));
    }

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let driver = tokio::spawn(twin.clone().run_driver(stop_rx.clone()));
    let sweeper = (args.sweep_interval > 0).then(|| {
        let grace = time::Duration::seconds(i64::try_from(args.sweep_grace).unwrap_or(i64::MAX));
        let config = SweepConfig {
            grace,
            stale_removal: grace * 2,
            leaks: LeakMode::parse(&args.leaks).unwrap_or(LeakMode::Remove),
            ..SweepConfig::default()
        };
        tokio::spawn(twin.clone().run_sweeper(
            Duration::from_secs(args.sweep_interval),
            config,
            stop_rx,
        ))
    });
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(StartupError::io("listen on", args.listen))?;
    tracing::info!(listen = %args.listen, data_dir = %args.data_dir.display(), "teamd ready");
    println!(
        "teamd: serving on http://{} (data in {})",
        args.listen,
        args.data_dir.display()
    );
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    let _ = stop_tx.send(true);
    let _ = driver.await;
    if let Some(sweeper) = sweeper {
        let _ = sweeper.await;
    }
    Ok(())
}

/// The `dieAfterNextSideEffect` fault: Identity Center has done its side effect and
/// teamd dies before recording it, abruptly like SIGKILL (exit status 137, nothing
/// flushed, no graceful shutdown), so a restart shows how TEAM-rs recovers.
fn die_on_purpose() {
    tracing::error!(
        "teamd dies ON PURPOSE now (injected fault dieAfterNextSideEffect): \
         an Identity Center side effect was just committed and is not recorded yet"
    );
    std::process::exit(137);
}

/// Ctrl-C, or SIGTERM from a process manager: both stop serving and let the driver finish
/// its tick, so no state transition is cut in half.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(err) => {
                tracing::warn!(error = %err, "cannot listen for SIGTERM; Ctrl-C still stops teamd");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// The HS256 key for local sign-in tokens: made once, kept in the data directory.
fn signing_key(data_dir: &Path) -> Result<Vec<u8>, BoxError> {
    let path = data_dir.join("signing.key");
    if let Ok(existing) = std::fs::read(&path)
        && existing.len() >= 32
    {
        return Ok(existing);
    }
    let key: Vec<u8> = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
    .into_bytes();
    std::fs::write(&path, &key).map_err(StartupError::io("write", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(key)
}
