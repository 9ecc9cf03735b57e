//! Wiring of the local twin: the same service, API and state machine files as in AWS,
//! over SQLite, a simulated organization and Identity Center, and durable local timers.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use team_api::{AppState, HmacJwt};
use team_asl::{Engine, StateMachine};
use team_core::executions::{RevokeCause, RevokeInput};
use team_core::ports::{Clock, WorkflowKind};
use team_core::service::PollPolicy;
use team_core::steps::StepFunction;
use team_core::sweep::SweepConfig;
use team_core::{Ports, Team, TeamError};
use team_local::{
    Db, LocalScheduler, Outbox, Seed, SimActivity, SimDirectory, SimFaults, SimIdentityCenter,
    SimOrganization, SqliteExecutionStore, SqlitePolicyStore, SqliteRequestStore, SqliteSweepLog,
    UuidIds,
};
use thiserror::Error;

use crate::dispatch::{LocalWorkflow, StepDispatcher, local_function_arn};
use crate::local_routes;

/// The state machine files, embedded so the binary runs from anywhere. They are the
/// files in `statemachines/` that AWS runs: there is no second copy of the workflow.
pub const STATE_MACHINES: [(WorkflowKind, &str); 2] = [
    (
        WorkflowKind::AccessRequest,
        include_str!("../../../statemachines/access-request.asl.json"),
    ),
    (
        WorkflowKind::Revoke,
        include_str!("../../../statemachines/revoke.asl.json"),
    ),
];

/// Why the twin could not start or tick.
#[derive(Debug, Error)]
pub enum TwinError {
    /// A state machine file is outside the supported subset or malformed.
    #[error("state machine {name}: {source}")]
    StateMachine {
        /// Which file.
        name: &'static str,
        /// What is wrong.
        source: team_asl::AslError,
    },
    /// The executor failed.
    #[error("workflow executor: {0}")]
    Engine(#[from] team_asl::EngineError),
    /// A domain or adapter error.
    #[error(transparent)]
    Team(#[from] TeamError),
}

/// Where the database lives.
#[derive(Debug, Clone)]
pub enum Storage {
    /// A file (created with its directory if missing).
    File(PathBuf),
    /// Memory only (tests).
    Memory,
}

/// How to build a twin.
pub struct TwinConfig {
    /// Database location.
    pub storage: Storage,
    /// Organization, directory and initial policies.
    pub seed: Seed,
    /// Time (a manual clock in tests).
    pub clock: Arc<dyn Clock>,
    /// How long simulated assignment operations stay IN_PROGRESS.
    pub settle_delay: Duration,
    /// Injected Identity Center faults.
    pub faults: SimFaults,
    /// Secret for the local sign-in tokens.
    pub jwt_secret: Vec<u8>,
    /// How the grant and revoke steps poll Identity Center.
    pub poll: PollPolicy,
}

/// The local twin, fully wired.
pub struct Twin {
    /// The application service.
    pub team: Team,
    /// The state machine executor.
    pub engine: Arc<Engine>,
    /// End-of-session timers.
    pub scheduler: Arc<LocalScheduler>,
    /// The simulated Identity Center.
    pub identity_center: Arc<SimIdentityCenter>,
    /// The notification outbox.
    pub outbox: Arc<Outbox>,
    /// Local sign-in tokens.
    pub jwt: Arc<HmacJwt>,
    /// Time.
    pub clock: Arc<dyn Clock>,
}

/// Issuer and audience of local tokens.
pub const TOKEN_ISSUER: &str = "teamd";
/// Audience of local tokens.
pub const TOKEN_AUDIENCE: &str = "team-rs";

impl Twin {
    /// Opens the storage, loads the seed (policies only on first start), parses the state
    /// machines and resumes every unfinished execution.
    pub async fn build(config: TwinConfig) -> Result<Twin, TwinError> {
        let db = match &config.storage {
            Storage::File(path) => Db::open(path)?,
            Storage::Memory => Db::in_memory()?,
        };
        let clock = config.clock.clone();
        let requests = Arc::new(SqliteRequestStore::new(db.clone()));
        let policies = Arc::new(SqlitePolicyStore::new(db.clone()));
        config.seed.apply_policies(policies.as_ref()).await?;
        let identity_center = Arc::new(SimIdentityCenter::new(
            db.clone(),
            clock.clone(),
            config.settle_delay,
            config.faults.clone(),
        ));
        let scheduler = Arc::new(LocalScheduler::new(db.clone()));
        let outbox = Arc::new(Outbox::new(db.clone(), clock.clone()));

        let dispatcher = Arc::new(StepDispatcher::default());
        let engine_clock = clock.clone();
        let mut engine = Engine::new(
            dispatcher.clone(),
            Arc::new(SqliteExecutionStore::new(db.clone())),
            Arc::new(move || engine_clock.now()),
        );
        let substitutions: HashMap<String, String> = [
            ("ApprovalFunctionArn", StepFunction::Approval),
            ("GrantFunctionArn", StepFunction::Grant),
            ("RevokeFunctionArn", StepFunction::Revoke),
        ]
        .into_iter()
        .map(|(k, f)| (k.to_string(), local_function_arn(f)))
        .collect();
        for (kind, source) in STATE_MACHINES {
            let machine = StateMachine::parse(source, &substitutions).map_err(|source| {
                TwinError::StateMachine {
                    name: kind.name(),
                    source,
                }
            })?;
            engine.register(kind.name(), machine);
        }
        let engine = Arc::new(engine);

        let ports = Ports {
            requests,
            policies,
            directory: Arc::new(SimDirectory::new(&config.seed)),
            organization: Arc::new(SimOrganization::new(&config.seed)?),
            provisioner: identity_center.clone(),
            workflow: Arc::new(LocalWorkflow::new(engine.clone())),
            scheduler: scheduler.clone(),
            notifier: outbox.clone(),
            activity: Arc::new(SimActivity::new(db.clone())),
            sweeps: Arc::new(SqliteSweepLog::new(db.clone())),
            clock: clock.clone(),
            ids: Arc::new(UuidIds),
        };
        let team = Team::new(ports).with_poll_policy(config.poll);
        dispatcher.bind(team.clone());
        let resumed = engine.recover().await?;
        tracing::info!(resumed, "workflow executions resumed");
        Ok(Twin {
            team,
            engine,
            scheduler,
            identity_center,
            outbox,
            jwt: Arc::new(HmacJwt::new(
                &config.jwt_secret,
                TOKEN_ISSUER,
                TOKEN_AUDIENCE,
            )),
            clock,
        })
    }

    /// The API router: the shared `/api` routes plus the local-only ones.
    pub fn router(self: &Arc<Self>) -> Router {
        let state = AppState {
            team: self.team.clone(),
            auth: self.jwt.clone(),
        };
        team_api::router(state).merge(local_routes::routes(self.clone()))
    }

    /// Fires due end-of-session timers and advances every runnable execution.
    /// Returns the number of state transitions plus timers fired.
    pub async fn tick(&self) -> Result<usize, TwinError> {
        let now = self.clock.now();
        let mut work = 0;
        for (request_id, due_at) in self.scheduler.due(now).await {
            let input = RevokeInput::new(&request_id);
            let started = self
                .engine
                .start_execution(
                    WorkflowKind::Revoke.name(),
                    &input.execution_name(RevokeCause::EndTime),
                    input.to_value(),
                )
                .await;
            match started {
                // A crash between starting and dropping the timer leaves the execution
                // running already; dropping the timer now is all that is left to do.
                Ok(_) | Err(team_asl::EngineError::ExecutionAlreadyExists { .. }) => {}
                Err(err) => return Err(err.into()),
            }
            // Only the timer that fired: a timer rescheduled meanwhile survives.
            self.scheduler.remove_fired(&request_id, due_at).await;
            tracing::info!(request_id = %request_id, "end time reached: revoke started");
            work += 1;
        }
        work += self.engine.drain().await?;
        Ok(work)
    }

    /// Runs the reconciler every `interval` until `shutdown` changes; one sweep at a
    /// time, the first after one interval (the workflow gets the start-up first).
    pub async fn run_sweeper(
        self: Arc<Self>,
        interval: Duration,
        config: SweepConfig,
        shutdown: tokio::sync::watch::Receiver<bool>,
    ) {
        let mut shutdown = shutdown;
        loop {
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = shutdown.changed() => return,
            }
            let run = self.team.sweep(config).await;
            for error in &run.errors {
                tracing::error!(error = %error, "part of the sweep could not run");
            }
        }
    }

    /// Ticks until nothing more happens at the current time (tests).
    pub async fn settle(&self) -> Result<(), TwinError> {
        for _ in 0..100 {
            if self.tick().await? == 0 {
                return Ok(());
            }
        }
        Ok(())
    }

    /// Runs the driver loop until `shutdown` resolves: ticks whenever work arrives or a
    /// timer or wait falls due (at least once a second).
    pub async fn run_driver(self: Arc<Self>, shutdown: tokio::sync::watch::Receiver<bool>) {
        let mut shutdown = shutdown;
        let notify = self.engine.work_available();
        let timers_changed = self.scheduler.changed();
        loop {
            if let Err(err) = self.tick().await {
                tracing::error!(error = %err, "driver tick failed");
            }
            let now = self.clock.now();
            let next = [
                self.engine.next_wakeup().await,
                self.scheduler.next_due().await,
            ]
            .into_iter()
            .flatten()
            .min();
            let sleep = next
                .map(|t| {
                    (t - now).clamp(time::Duration::milliseconds(10), time::Duration::seconds(1))
                })
                .unwrap_or(time::Duration::seconds(1));
            let sleep =
                Duration::from_millis(u64::try_from(sleep.whole_milliseconds()).unwrap_or(1000));
            tokio::select! {
                _ = notify.notified() => {}
                _ = timers_changed.notified() => {}
                _ = tokio::time::sleep(sleep) => {}
                _ = shutdown.changed() => return,
            }
        }
    }
}
