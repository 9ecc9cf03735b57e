//! The real `teamd` process under test: started on a free port and a temporary data
//! directory, killed with SIGKILL, restarted on the same data, and watched for exits
//! of its own (the `dieAfterNextSideEffect` fault exits with status 137).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use time::OffsetDateTime;

use super::client::Api;

/// How long teamd may take to answer after it was started.
const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// Why teamd was restarted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// The soak killed it (SIGKILL) at a random moment.
    Kill,
    /// It exited by itself with this status (137: the `dieAfterNextSideEffect` fault).
    Exit(Option<i32>),
    /// The soak's final kill and restart, after everything settled.
    Final,
}

/// One restart: teamd was down from `down` until it answered again at `up`.
#[derive(Debug, Clone)]
pub struct Restart {
    /// Why.
    pub cause: Cause,
    /// When it went down (for an exit of its own: the last time it was seen alive).
    pub down: OffsetDateTime,
    /// When it answered again.
    pub up: OffsetDateTime,
}

/// A `teamd` process and how to start it again.
pub struct Teamd {
    bin: PathBuf,
    args: Vec<String>,
    log: PathBuf,
    child: Mutex<Option<Child>>,
    /// Serializes kills, restarts and exit checks.
    cycle: tokio::sync::Mutex<OffsetDateTime>,
    restarts: Mutex<Vec<Restart>>,
}

/// The process id of the running teamd child (0: none), for [`kill_current`].
static CURRENT: AtomicU32 = AtomicU32::new(0);

/// SIGKILLs the running teamd child, if any: for when the soak itself is interrupted
/// (its own cleanup does not run then).
pub fn kill_current() {
    let pid = CURRENT.swap(0, Ordering::SeqCst);
    if pid != 0 {
        let _ = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .stdin(Stdio::null())
            .status();
    }
}

/// Whether `teamd --help` lists `flag`.
pub fn supports_flag(bin: &Path, flag: &str) -> bool {
    Command::new(bin)
        .arg("--help")
        .stdin(Stdio::null())
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).contains(flag))
        .unwrap_or(false)
}

/// A free TCP port on 127.0.0.1 (free when asked; teamd binds it right after).
pub fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|e| format!("cannot find a free port: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("cannot find a free port: {e}"))
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Teamd {
    /// Starts `bin` with `args`, its output appended to `log`, and waits until it answers.
    pub async fn start(
        bin: &Path,
        args: Vec<String>,
        log: PathBuf,
        api: &Api,
    ) -> Result<Teamd, String> {
        let teamd = Teamd {
            bin: bin.to_path_buf(),
            args,
            log,
            child: Mutex::new(None),
            cycle: tokio::sync::Mutex::new(OffsetDateTime::now_utc()),
            restarts: Mutex::new(Vec::new()),
        };
        teamd.spawn()?;
        teamd.wait_ready(api).await?;
        Ok(teamd)
    }

    fn spawn(&self) -> Result<(), String> {
        let out = File::options()
            .create(true)
            .append(true)
            .open(&self.log)
            .map_err(|e| format!("cannot open {}: {e}", self.log.display()))?;
        let err = out
            .try_clone()
            .map_err(|e| format!("cannot open {}: {e}", self.log.display()))?;
        let child = Command::new(&self.bin)
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err))
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", self.bin.display()))?;
        CURRENT.store(child.id(), Ordering::SeqCst);
        *lock(&self.child) = Some(child);
        Ok(())
    }

    async fn wait_ready(&self, api: &Api) -> Result<(), String> {
        let give_up = tokio::time::Instant::now() + READY_TIMEOUT;
        let url = api
            .url("/api/openapi.json", &[])
            .map_err(|f| format!("{f:?}"))?;
        loop {
            if let Ok(reply) = api
                .call(reqwest::Method::GET, url.clone(), None, None)
                .await
                && reply.status == 200
            {
                return Ok(());
            }
            if let Some(Ok(Some(status))) = lock(&self.child).as_mut().map(Child::try_wait) {
                return Err(format!(
                    "teamd exited while starting ({status}); see {}",
                    self.log.display()
                ));
            }
            if tokio::time::Instant::now() > give_up {
                return Err(format!(
                    "teamd did not answer within {}s; see {}",
                    READY_TIMEOUT.as_secs(),
                    self.log.display()
                ));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Kills teamd with SIGKILL, waits `pause`, starts it again on the same data and
    /// waits until it answers.
    pub async fn kill_and_restart(
        &self,
        api: &Api,
        cause: Cause,
        pause: Duration,
    ) -> Result<(), String> {
        let mut last_alive = self.cycle.lock().await;
        let down = OffsetDateTime::now_utc();
        if let Some(mut child) = lock(&self.child).take() {
            CURRENT.store(0, Ordering::SeqCst);
            // SIGKILL on Unix.
            let _ = child.kill();
            let _ = child.wait();
        }
        tokio::time::sleep(pause).await;
        self.spawn()?;
        self.wait_ready(api).await?;
        let up = OffsetDateTime::now_utc();
        *last_alive = up;
        lock(&self.restarts).push(Restart { cause, down, up });
        Ok(())
    }

    /// If teamd exited by itself, starts it again and answers the exit status.
    pub async fn restart_if_exited(&self, api: &Api) -> Result<Option<Option<i32>>, String> {
        let mut last_alive = self.cycle.lock().await;
        let exited = {
            let mut child = lock(&self.child);
            match child.as_mut().map(Child::try_wait) {
                Some(Ok(Some(status))) => {
                    CURRENT.store(0, Ordering::SeqCst);
                    *child = None;
                    Some(status.code().or_else(|| signal_of(&status)))
                }
                _ => None,
            }
        };
        let Some(code) = exited else {
            *last_alive = OffsetDateTime::now_utc();
            return Ok(None);
        };
        let down = *last_alive;
        self.spawn()?;
        self.wait_ready(api).await?;
        let up = OffsetDateTime::now_utc();
        *last_alive = up;
        lock(&self.restarts).push(Restart {
            cause: Cause::Exit(code),
            down,
            up,
        });
        Ok(Some(code))
    }

    /// Every restart so far.
    pub fn restarts(&self) -> Vec<Restart> {
        lock(&self.restarts).clone()
    }

    /// Stops teamd for good (SIGKILL: its data directory is about to be removed).
    pub fn stop(&self) {
        if let Some(mut child) = lock(&self.child).take() {
            CURRENT.store(0, Ordering::SeqCst);
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Where its output goes.
    pub fn log(&self) -> &Path {
        &self.log
    }
}

#[cfg(unix)]
fn signal_of(status: &std::process::ExitStatus) -> Option<i32> {
    use std::os::unix::process::ExitStatusExt;
    status.signal().map(|s| 128 + s)
}

#[cfg(not(unix))]
fn signal_of(_status: &std::process::ExitStatus) -> Option<i32> {
    None
}

impl Drop for Teamd {
    fn drop(&mut self) {
        self.stop();
    }
}
