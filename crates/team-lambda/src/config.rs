//! The functions' configuration: environment variables set by `infra/template.yaml`.
//!
//! Every variable is read once per cold start, checked, and turned into a typed
//! field; a missing or malformed variable fails the cold start with an error that
//! names it, instead of failing the first request that happens to need it.

use team_aws::TeamAccount;
use team_aws::cloudtrail::EventDataStoreId;
use team_core::ids::AccountId;
use team_core::sweep::{LeakMode, SweepConfig};
use thiserror::Error;

/// Table of requests, audit events and assignment leases.
pub const REQUESTS_TABLE: &str = "TEAM_REQUESTS_TABLE";
/// Table of settings and policies.
pub const POLICIES_TABLE: &str = "TEAM_POLICIES_TABLE";
/// ARN of the Identity Center instance (`arn:aws:sso:::instance/ssoins-…`).
pub const IDENTITY_CENTER_INSTANCE_ARN: &str = "TEAM_IDENTITY_CENTER_INSTANCE_ARN";
/// Identity Store id (`d-…`).
pub const IDENTITY_STORE_ID: &str = "TEAM_IDENTITY_STORE_ID";
/// ARN of the access-request state machine.
pub const ACCESS_REQUEST_STATE_MACHINE_ARN: &str = "TEAM_ACCESS_REQUEST_STATE_MACHINE_ARN";
/// ARN of the revoke state machine.
pub const REVOKE_STATE_MACHINE_ARN: &str = "TEAM_REVOKE_STATE_MACHINE_ARN";
/// EventBridge Scheduler schedule group of the end-of-session timers.
pub const SCHEDULE_GROUP: &str = "TEAM_SCHEDULE_GROUP";
/// Role EventBridge Scheduler assumes to start the revoke state machine.
pub const SCHEDULER_ROLE_ARN: &str = "TEAM_SCHEDULER_ROLE_ARN";
/// Dead-letter queue (SQS) of timers that could not start the revoke state machine.
pub const SCHEDULER_DLQ_ARN: &str = "TEAM_SCHEDULER_DLQ_ARN";
/// SNS topic notifications are published on (and the SNS channel).
pub const TOPIC_ARN: &str = "TEAM_TOPIC_ARN";
/// SES sender address of the e-mail channel (`team-notify`, optional).
pub const SES_SENDER: &str = "TEAM_SES_SENDER";
/// Secrets Manager secret holding the Slack bot token (`team-notify`, optional).
pub const SLACK_SECRET_ARN: &str = "TEAM_SLACK_SECRET_ARN";
/// Public URL of the web UI, for links in notifications (`team-notify`).
pub const WEB_URL: &str = "TEAM_WEB_URL";
/// CloudTrail Lake event data store of session activity (optional).
pub const EVENT_DATA_STORE: &str = "TEAM_EVENT_DATA_STORE";
/// The account the stack runs in (the template sets it to `AWS::AccountId`).
pub const TEAM_ACCOUNT_ID: &str = "TEAM_ACCOUNT_ID";
/// `true` or `false` (default): whether TEAM may grant access to its own account.
pub const ALLOW_ASSIGNMENTS_IN_TEAM_ACCOUNT: &str = "TEAM_ALLOW_ASSIGNMENTS_IN_TEAM_ACCOUNT";
/// Identity Center group whose members are TEAM admins (token claims).
pub const ADMIN_GROUP: &str = "TEAM_ADMIN_GROUP";
/// Identity Center group whose members are TEAM auditors (token claims).
pub const AUDITOR_GROUP: &str = "TEAM_AUDITOR_GROUP";
/// `team-sweep`: seconds a request may be overdue before the reconciler drives it on
/// (the workflow's own retries get this long first). Default 300.
pub const SWEEP_GRACE_SECONDS: &str = "TEAM_SWEEP_GRACE_SECONDS";
/// `team-sweep`: `remove` (default) or `report`: what the reconciler does with an
/// assignment TEAM-rs made that no live request holds.
pub const SWEEP_LEAKS: &str = "TEAM_SWEEP_LEAKS";
/// `team-sweep`: at most this many Identity Center `ListAccountAssignments` calls per
/// second (the sweep shares Identity Center's rate limits with the grant path). Default 5.
pub const SWEEP_LIST_CALLS_PER_SECOND: &str = "TEAM_SWEEP_LIST_CALLS_PER_SECOND";

/// The largest `TEAM_SWEEP_GRACE_SECONDS`: a day. A longer grace would leave a session
/// whose end was lost running for longer than any session may last.
pub const MAX_SWEEP_GRACE_SECONDS: u32 = 86_400;
/// The largest `TEAM_SWEEP_LIST_CALLS_PER_SECOND`.
pub const MAX_SWEEP_LIST_CALLS_PER_SECOND: u32 = 100;

/// A variable that is missing or does not hold what it should.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConfigError {
    /// A required variable is not set (or is empty).
    #[error("environment variable {name} is not set")]
    Missing {
        /// The variable.
        name: &'static str,
    },
    /// A variable is set to something unusable.
    #[error("environment variable {name} is invalid: {reason}")]
    Invalid {
        /// The variable.
        name: &'static str,
        /// What was expected.
        reason: String,
    },
}

/// Where variables come from: the process environment, or a map in tests.
///
/// Tests cannot set process variables safely (`set_var` is `unsafe` in edition 2024
/// and the crate forbids `unsafe`), hence the indirection.
pub trait Env {
    /// The value of `name`, if set.
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

impl<F: Fn(&str) -> Option<String>> Env for F {
    fn var(&self, name: &str) -> Option<String> {
        self(name)
    }
}

/// An ARN, checked to be of the expected service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arn(String);

impl Arn {
    /// Checks `value` is `arn:<partition>:<service>:…`.
    fn parse(name: &'static str, value: String, service: &str) -> Result<Arn, ConfigError> {
        let mut parts = value.splitn(4, ':');
        let ok = parts.next() == Some("arn")
            && parts.next().is_some_and(|p| !p.is_empty())
            && parts.next() == Some(service)
            && parts.next().is_some_and(|rest| !rest.is_empty());
        if ok {
            Ok(Arn(value))
        } else {
            Err(ConfigError::Invalid {
                name,
                reason: format!("expected an ARN of service '{service}' (arn:aws:{service}:…)"),
            })
        }
    }

    /// The ARN.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Arn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What the API and step functions need to wire the service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `TEAM_REQUESTS_TABLE`.
    pub requests_table: String,
    /// `TEAM_POLICIES_TABLE`.
    pub policies_table: String,
    /// `TEAM_IDENTITY_CENTER_INSTANCE_ARN`.
    pub identity_center_instance_arn: Arn,
    /// `TEAM_IDENTITY_STORE_ID`.
    pub identity_store_id: String,
    /// `TEAM_ACCESS_REQUEST_STATE_MACHINE_ARN`.
    pub access_request_state_machine_arn: Arn,
    /// `TEAM_REVOKE_STATE_MACHINE_ARN`.
    pub revoke_state_machine_arn: Arn,
    /// `TEAM_SCHEDULE_GROUP`.
    pub schedule_group: String,
    /// `TEAM_SCHEDULER_ROLE_ARN`.
    pub scheduler_role_arn: Arn,
    /// `TEAM_SCHEDULER_DLQ_ARN`: where timers that could not start the revoke go.
    pub scheduler_dlq_arn: Arn,
    /// `TEAM_TOPIC_ARN`: where notifications are published (see [`crate::notify`]).
    pub topic_arn: Arn,
    /// `TEAM_EVENT_DATA_STORE` (id or ARN): without it session activity is empty.
    pub event_data_store: Option<EventDataStoreId>,
    /// `TEAM_ACCOUNT_ID` and `TEAM_ALLOW_ASSIGNMENTS_IN_TEAM_ACCOUNT`: the account TEAM
    /// runs in, which is unassignable unless allowed. Unknown without the id.
    pub team_account: Option<TeamAccount>,
    /// `TEAM_SWEEP_GRACE_SECONDS`, `TEAM_SWEEP_LEAKS`, `TEAM_SWEEP_LIST_CALLS_PER_SECOND`:
    /// how `team-sweep` runs the reconciler (defaults when unset; only it reads them).
    pub sweep: SweepConfig,
}

/// What `team-notify` needs: where links point and how to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyConfig {
    /// `TEAM_WEB_URL`, without a trailing `/`: links in messages.
    pub web_url: String,
    /// `TEAM_SES_SENDER`: without it the e-mail channel is off.
    pub ses_sender: Option<String>,
    /// `TEAM_SLACK_SECRET_ARN`: without it the Slack channel is off.
    pub slack_secret_arn: Option<Arn>,
}

/// What `team-token` needs: only the directory and the two role groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenConfig {
    /// `TEAM_IDENTITY_STORE_ID`.
    pub identity_store_id: String,
    /// `TEAM_ADMIN_GROUP`: display name of the admin group.
    pub admin_group: String,
    /// `TEAM_AUDITOR_GROUP`: display name of the auditor group.
    pub auditor_group: String,
}

/// Logs why the cold start fails, so the function's log says it next to the init error.
fn log_invalid(err: &ConfigError) {
    tracing::error!(error = %err, "configuration rejected");
}

/// Reads variables.
struct Reader<'a, E: Env + ?Sized> {
    env: &'a E,
}

impl<E: Env + ?Sized> Reader<'_, E> {
    /// A set, non-blank value (trimmed: a stray newline in a template is not a different table).
    fn optional(&self, name: &'static str) -> Option<String> {
        self.env
            .var(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }

    fn required(&self, name: &'static str) -> Result<String, ConfigError> {
        self.optional(name).ok_or(ConfigError::Missing { name })
    }

    /// `true` or `false`; unset is `false`.
    fn flag(&self, name: &'static str) -> Result<bool, ConfigError> {
        match self.optional(name).as_deref() {
            None | Some("false") => Ok(false),
            Some("true") => Ok(true),
            Some(_) => Err(ConfigError::Invalid {
                name,
                reason: "expected true or false".into(),
            }),
        }
    }

    fn team_account(&self) -> Result<Option<TeamAccount>, ConfigError> {
        let assignable = self.flag(ALLOW_ASSIGNMENTS_IN_TEAM_ACCOUNT)?;
        self.optional(TEAM_ACCOUNT_ID)
            .map(|id| {
                let id = AccountId::parse(id).map_err(|_| ConfigError::Invalid {
                    name: TEAM_ACCOUNT_ID,
                    reason: "expected a 12-digit AWS account id".into(),
                })?;
                Ok(TeamAccount { id, assignable })
            })
            .transpose()
    }

    fn arn(&self, name: &'static str, service: &str) -> Result<Arn, ConfigError> {
        Arn::parse(name, self.required(name)?, service)
    }

    fn optional_arn(&self, name: &'static str, service: &str) -> Result<Option<Arn>, ConfigError> {
        self.optional(name)
            .map(|v| Arn::parse(name, v, service))
            .transpose()
    }

    fn identity_store_id(&self) -> Result<String, ConfigError> {
        let id = self.required(IDENTITY_STORE_ID)?;
        // Identity Store ids look like `d-1234567890` (or a UUID for some regions' stores).
        if id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            Ok(id)
        } else {
            Err(ConfigError::Invalid {
                name: IDENTITY_STORE_ID,
                reason: "expected an Identity Store id such as d-1234567890".into(),
            })
        }
    }

    /// A whole number from `min` to `max`; unset is `default`.
    fn number(
        &self,
        name: &'static str,
        default: u32,
        min: u32,
        max: u32,
        unit: &str,
    ) -> Result<u32, ConfigError> {
        let Some(text) = self.optional(name) else {
            return Ok(default);
        };
        text.parse::<u32>()
            .ok()
            .filter(|n| (min..=max).contains(n))
            .ok_or_else(|| ConfigError::Invalid {
                name,
                reason: format!(
                    "expected a whole number of {unit} from {min} to {max}, not '{text}'"
                ),
            })
    }

    fn sweep(&self) -> Result<SweepConfig, ConfigError> {
        let defaults = SweepConfig::default();
        let default_grace = u32::try_from(defaults.grace.whole_seconds()).unwrap_or(300);
        let grace = self.number(
            SWEEP_GRACE_SECONDS,
            default_grace,
            0,
            MAX_SWEEP_GRACE_SECONDS,
            "seconds",
        )?;
        let grace = time::Duration::seconds(i64::from(grace));
        let leaks = match self.optional(SWEEP_LEAKS) {
            None => defaults.leaks,
            Some(text) => LeakMode::parse(&text).map_err(|_| ConfigError::Invalid {
                name: SWEEP_LEAKS,
                reason: format!("expected remove or report, not '{text}'"),
            })?,
        };
        let list_calls_per_second = self.number(
            SWEEP_LIST_CALLS_PER_SECOND,
            defaults.list_calls_per_second,
            1,
            MAX_SWEEP_LIST_CALLS_PER_SECOND,
            "calls per second",
        )?;
        Ok(SweepConfig {
            grace,
            // A deletion attempt is cut short only once it is older than any attempt can
            // last (the revoke function's timeout is 5 minutes): never sooner than the
            // default, and twice the grace like teamd.
            stale_removal: std::cmp::max(grace * 2_i32, defaults.stale_removal),
            leaks,
            list_calls_per_second,
        })
    }

    fn url(&self, name: &'static str) -> Result<Option<String>, ConfigError> {
        match self.optional(name) {
            Some(url) if url.starts_with("https://") || url.starts_with("http://") => {
                Ok(Some(url.trim_end_matches('/').to_string()))
            }
            Some(_) => Err(ConfigError::Invalid {
                name,
                reason: "expected an http(s):// URL".into(),
            }),
            None => Ok(None),
        }
    }
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_source(&ProcessEnv).inspect_err(log_invalid)
    }

    /// Reads `env` (tests pass a closure over a map).
    pub fn from_source<E: Env + ?Sized>(env: &E) -> Result<Config, ConfigError> {
        let r = Reader { env };
        let instance = r.arn(IDENTITY_CENTER_INSTANCE_ARN, "sso")?;
        if !instance.as_str().contains(":instance/") {
            return Err(ConfigError::Invalid {
                name: IDENTITY_CENTER_INSTANCE_ARN,
                reason: "expected arn:aws:sso:::instance/ssoins-…".into(),
            });
        }
        Ok(Config {
            requests_table: r.required(REQUESTS_TABLE)?,
            policies_table: r.required(POLICIES_TABLE)?,
            identity_center_instance_arn: instance,
            identity_store_id: r.identity_store_id()?,
            access_request_state_machine_arn: r.arn(ACCESS_REQUEST_STATE_MACHINE_ARN, "states")?,
            revoke_state_machine_arn: r.arn(REVOKE_STATE_MACHINE_ARN, "states")?,
            schedule_group: r.required(SCHEDULE_GROUP)?,
            scheduler_role_arn: r.arn(SCHEDULER_ROLE_ARN, "iam")?,
            scheduler_dlq_arn: r.arn(SCHEDULER_DLQ_ARN, "sqs")?,
            topic_arn: r.arn(TOPIC_ARN, "sns")?,
            event_data_store: r
                .optional(EVENT_DATA_STORE)
                .map(|v| {
                    EventDataStoreId::parse(&v).map_err(|_| ConfigError::Invalid {
                        name: EVENT_DATA_STORE,
                        reason: "expected a CloudTrail Lake event data store id or ARN".into(),
                    })
                })
                .transpose()?,
            team_account: r.team_account()?,
            sweep: r.sweep()?,
        })
    }
}

impl NotifyConfig {
    /// Reads the process environment.
    pub fn from_env() -> Result<NotifyConfig, ConfigError> {
        NotifyConfig::from_source(&ProcessEnv).inspect_err(log_invalid)
    }

    /// Reads `env`.
    pub fn from_source<E: Env + ?Sized>(env: &E) -> Result<NotifyConfig, ConfigError> {
        let r = Reader { env };
        Ok(NotifyConfig {
            web_url: r
                .url(WEB_URL)?
                .ok_or(ConfigError::Missing { name: WEB_URL })?,
            ses_sender: r.optional(SES_SENDER),
            slack_secret_arn: r.optional_arn(SLACK_SECRET_ARN, "secretsmanager")?,
        })
    }
}

impl TokenConfig {
    /// Reads the process environment.
    pub fn from_env() -> Result<TokenConfig, ConfigError> {
        TokenConfig::from_source(&ProcessEnv).inspect_err(log_invalid)
    }

    /// Reads `env`.
    pub fn from_source<E: Env + ?Sized>(env: &E) -> Result<TokenConfig, ConfigError> {
        let r = Reader { env };
        Ok(TokenConfig {
            identity_store_id: r.identity_store_id()?,
            admin_group: r.required(ADMIN_GROUP)?,
            auditor_group: r.required(AUDITOR_GROUP)?,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::collections::HashMap;

    use super::*;

    fn full() -> HashMap<&'static str, &'static str> {
        HashMap::from([
            (REQUESTS_TABLE, "team-requests"),
            (POLICIES_TABLE, "team-policies"),
            (
                IDENTITY_CENTER_INSTANCE_ARN,
                "arn:aws:sso:::instance/ssoins-1234567890abcdef",
            ),
            (IDENTITY_STORE_ID, "d-1234567890"),
            (
                ACCESS_REQUEST_STATE_MACHINE_ARN,
                "arn:aws:states:eu-west-1:111122223333:stateMachine:team-access-request",
            ),
            (
                REVOKE_STATE_MACHINE_ARN,
                "arn:aws:states:eu-west-1:111122223333:stateMachine:team-revoke",
            ),
            (SCHEDULE_GROUP, "team"),
            (
                SCHEDULER_ROLE_ARN,
                "arn:aws:iam::111122223333:role/team-scheduler",
            ),
            (
                SCHEDULER_DLQ_ARN,
                "arn:aws:sqs:eu-west-1:111122223333:team-scheduler-dlq",
            ),
            (TOPIC_ARN, "arn:aws:sns:eu-west-1:111122223333:team"),
        ])
    }

    fn read(vars: &HashMap<&'static str, &'static str>) -> Result<Config, ConfigError> {
        Config::from_source(&|name: &str| vars.get(name).map(|v| v.to_string()))
    }

    #[test]
    fn required_variables_make_a_config_and_optional_ones_stay_none() {
        let config = read(&full()).unwrap();
        assert_eq!(config.requests_table, "team-requests");
        assert_eq!(
            config.revoke_state_machine_arn.as_str(),
            "arn:aws:states:eu-west-1:111122223333:stateMachine:team-revoke"
        );
        assert_eq!(config.event_data_store, None);
    }

    #[test]
    fn optional_variables_are_read_and_checked() {
        let mut vars = full();
        vars.insert(
            EVENT_DATA_STORE,
            "arn:aws:cloudtrail:eu-west-1:111122223333:eventdatastore/eds-1",
        );
        let config = read(&vars).unwrap();
        assert_eq!(config.event_data_store.unwrap().as_str(), "eds-1");

        vars.insert(EVENT_DATA_STORE, "eds 1; DROP");
        assert!(matches!(
            read(&vars),
            Err(ConfigError::Invalid {
                name: EVENT_DATA_STORE,
                ..
            })
        ));

        let mut vars = full();
        vars.insert(TOPIC_ARN, "arn:aws:sqs:eu-west-1:111122223333:team");
        assert!(matches!(
            read(&vars),
            Err(ConfigError::Invalid {
                name: TOPIC_ARN,
                ..
            })
        ));
    }

    #[test]
    fn the_team_account_is_unassignable_unless_allowed() {
        let mut vars = full();
        assert_eq!(
            read(&vars).unwrap().team_account,
            None,
            "unknown without its id"
        );
        vars.insert(TEAM_ACCOUNT_ID, "111122223333");
        let account = read(&vars).unwrap().team_account.unwrap();
        assert_eq!(account.id.as_str(), "111122223333");
        assert!(!account.assignable, "off by default");
        vars.insert(ALLOW_ASSIGNMENTS_IN_TEAM_ACCOUNT, "true");
        assert!(read(&vars).unwrap().team_account.unwrap().assignable);
        vars.insert(ALLOW_ASSIGNMENTS_IN_TEAM_ACCOUNT, "yes");
        assert!(matches!(
            read(&vars),
            Err(ConfigError::Invalid {
                name: ALLOW_ASSIGNMENTS_IN_TEAM_ACCOUNT,
                ..
            })
        ));
        vars.insert(ALLOW_ASSIGNMENTS_IN_TEAM_ACCOUNT, "false");
        vars.insert(TEAM_ACCOUNT_ID, "1111-2222-3333");
        assert!(matches!(
            read(&vars),
            Err(ConfigError::Invalid {
                name: TEAM_ACCOUNT_ID,
                ..
            })
        ));
    }

    #[test]
    fn notify_config_needs_the_web_url_and_makes_channels_optional() {
        let mut vars = HashMap::from([(WEB_URL, "https://team.example.com/")]);
        let get = |vars: &HashMap<&'static str, &'static str>| {
            let vars = vars.clone();
            move |name: &str| vars.get(name).map(|v| v.to_string())
        };
        let config = NotifyConfig::from_source(&get(&vars)).unwrap();
        assert_eq!(config.web_url, "https://team.example.com");
        assert_eq!(config.ses_sender, None);
        assert_eq!(config.slack_secret_arn, None);

        vars.insert(SES_SENDER, "TEAM <team@example.com>");
        vars.insert(
            SLACK_SECRET_ARN,
            "arn:aws:secretsmanager:eu-west-1:111122223333:secret:slack",
        );
        let config = NotifyConfig::from_source(&get(&vars)).unwrap();
        assert_eq!(
            config.ses_sender.as_deref(),
            Some("TEAM <team@example.com>")
        );
        assert!(config.slack_secret_arn.is_some());

        vars.insert(WEB_URL, "team.example.com");
        assert!(matches!(
            NotifyConfig::from_source(&get(&vars)),
            Err(ConfigError::Invalid { name: WEB_URL, .. })
        ));
        vars.remove(WEB_URL);
        assert_eq!(
            NotifyConfig::from_source(&get(&vars)),
            Err(ConfigError::Missing { name: WEB_URL })
        );
    }

    #[test]
    fn each_missing_variable_is_named() {
        for name in full().keys() {
            let mut vars = full();
            vars.remove(name);
            assert_eq!(read(&vars), Err(ConfigError::Missing { name }), "{name}");
            // Blank counts as missing: templates render unset parameters as "".
            vars.insert(name, "  ");
            assert_eq!(read(&vars), Err(ConfigError::Missing { name }), "{name}");
        }
    }

    #[test]
    fn malformed_values_are_named_with_what_was_expected() {
        let mut vars = full();
        vars.insert(ACCESS_REQUEST_STATE_MACHINE_ARN, "team-access-request");
        let err = read(&vars).unwrap_err();
        assert!(matches!(
            err,
            ConfigError::Invalid {
                name: ACCESS_REQUEST_STATE_MACHINE_ARN,
                ..
            }
        ));
        assert!(err.to_string().contains(ACCESS_REQUEST_STATE_MACHINE_ARN));

        let mut vars = full();
        vars.insert(
            IDENTITY_CENTER_INSTANCE_ARN,
            "arn:aws:sso:::permissionSet/x",
        );
        assert!(matches!(
            read(&vars),
            Err(ConfigError::Invalid {
                name: IDENTITY_CENTER_INSTANCE_ARN,
                ..
            })
        ));

        let mut vars = full();
        vars.insert(IDENTITY_STORE_ID, "d-123 456");
        assert!(matches!(
            read(&vars),
            Err(ConfigError::Invalid {
                name: IDENTITY_STORE_ID,
                ..
            })
        ));
    }

    #[test]
    fn the_sweep_settings_default_to_the_reconciler_defaults() {
        let sweep = read(&full()).unwrap().sweep;
        assert_eq!(sweep, SweepConfig::default());
        assert_eq!(sweep.grace, time::Duration::seconds(300));
        assert_eq!(sweep.leaks, LeakMode::Remove);
        assert_eq!(sweep.list_calls_per_second, 5);
        // Blank is unset, as for every variable.
        let mut vars = full();
        vars.insert(SWEEP_LEAKS, " ");
        vars.insert(SWEEP_GRACE_SECONDS, "");
        assert_eq!(read(&vars).unwrap().sweep, SweepConfig::default());
    }

    #[test]
    fn the_sweep_settings_are_read() {
        let mut vars = full();
        vars.insert(SWEEP_GRACE_SECONDS, "900");
        vars.insert(SWEEP_LEAKS, "report");
        vars.insert(SWEEP_LIST_CALLS_PER_SECOND, "2");
        let sweep = read(&vars).unwrap().sweep;
        assert_eq!(sweep.grace, time::Duration::seconds(900));
        assert_eq!(sweep.leaks, LeakMode::Report);
        assert_eq!(sweep.list_calls_per_second, 2);
        assert_eq!(
            sweep.stale_removal,
            time::Duration::seconds(1800),
            "twice the grace"
        );

        // A short grace never makes a deletion under way look abandoned sooner than the
        // default: the revoke function may still be waiting for Identity Center.
        vars.insert(SWEEP_GRACE_SECONDS, "0");
        let sweep = read(&vars).unwrap().sweep;
        assert_eq!(sweep.grace, time::Duration::ZERO);
        assert_eq!(sweep.stale_removal, SweepConfig::default().stale_removal);

        vars.insert(SWEEP_LEAKS, "remove");
        assert_eq!(read(&vars).unwrap().sweep.leaks, LeakMode::Remove);
    }

    #[test]
    fn bad_sweep_settings_are_named_with_what_was_expected() {
        let cases = [
            (
                SWEEP_GRACE_SECONDS,
                "five minutes",
                "whole number of seconds",
            ),
            (SWEEP_GRACE_SECONDS, "-1", "from 0 to 86400"),
            (SWEEP_GRACE_SECONDS, "300.5", "whole number"),
            (SWEEP_GRACE_SECONDS, "86401", "from 0 to 86400"),
            (SWEEP_LEAKS, "delete", "remove or report"),
            (SWEEP_LEAKS, "Remove", "remove or report"),
            (SWEEP_LIST_CALLS_PER_SECOND, "0", "from 1 to 100"),
            (SWEEP_LIST_CALLS_PER_SECOND, "101", "from 1 to 100"),
            (SWEEP_LIST_CALLS_PER_SECOND, "fast", "calls per second"),
        ];
        for (name, value, expected) in cases {
            let mut vars = full();
            vars.insert(name, value);
            let err = read(&vars).unwrap_err();
            assert!(
                matches!(err, ConfigError::Invalid { name: n, .. } if n == name),
                "{name}={value}: {err:?}"
            );
            let message = err.to_string();
            assert!(
                message.contains(name) && message.contains(expected) && message.contains(value),
                "{name}={value}: {message}"
            );
        }
    }

    #[test]
    fn token_config_needs_only_the_store_and_the_role_groups() {
        let vars = HashMap::from([
            (IDENTITY_STORE_ID, "d-1234567890"),
            (ADMIN_GROUP, "team-admins"),
            (AUDITOR_GROUP, "team-auditors"),
        ]);
        let get = |name: &str| vars.get(name).map(|v| v.to_string());
        let config = TokenConfig::from_source(&get).unwrap();
        assert_eq!(config.admin_group, "team-admins");
        let get = |name: &str| {
            (name != AUDITOR_GROUP)
                .then(|| vars.get(name).map(|v| v.to_string()))
                .flatten()
        };
        assert_eq!(
            TokenConfig::from_source(&get),
            Err(ConfigError::Missing {
                name: AUDITOR_GROUP
            })
        );
    }
}
