//! `team-sweep`: the reconciler ([`Team::sweep`]) run by an EventBridge Scheduler
//! schedule every five minutes, and its CloudWatch metrics.
//!
//! Each invocation runs one sweep (the event is ignored: every run looks at everything),
//! which records itself in the sweep log, logs what it found with `tracing`, and prints
//! one line in the CloudWatch **Embedded Metric Format** ([`emf_document`]): CloudWatch
//! Logs turns it into the metrics of namespace [`NAMESPACE`] without a CloudWatch call
//! or permission. The template alarms on `SweepFailures` and on leaks.
//!
//! The invocation succeeds even when part of the sweep could not run: the sweep went on
//! with the rest, a failed Lambda invocation would only be retried into the next
//! scheduled run, and the `SweepFailures` metric (its alarm) is what tells people.

use std::io::Write as _;

use lambda_runtime::{LambdaEvent, service_fn};
use serde::Serialize;
use serde_json::{Value, json};
use team_core::Team;
use team_core::sweep::{Finding, FindingAction, FindingKind, SweepConfig, SweepRun};

/// CloudWatch namespace of the reconciler's metrics.
pub const NAMESPACE: &str = "TEAM-rs";
/// The one dimension of the metrics: the function's name (Lambda sets
/// `AWS_LAMBDA_FUNCTION_NAME`), so two stacks in one account and region never mix.
pub const DIMENSION: &str = "FunctionName";

/// What one sweep comes to, as CloudWatch metrics (all counts).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SweepMetrics {
    /// `SweepFindings`: everything the sweep found.
    pub sweep_findings: usize,
    /// `SweepLeaksRemoved`: assignments TEAM-rs made that no live request held, removed.
    pub sweep_leaks_removed: usize,
    /// `SweepLeaksReported`: such assignments only reported (leak mode `report`).
    pub sweep_leaks_reported: usize,
    /// `SweepRedriven`: overdue requests whose step the sweep ran.
    pub sweep_redriven: usize,
    /// `SweepRemovalsOwed`: removals owed when the sweep started (paid or not).
    pub sweep_removals_owed: usize,
    /// `SweepFailures`: findings the sweep failed to act on, plus the parts of the sweep
    /// that could not run at all.
    pub sweep_failures: usize,
    /// `SweepDrift`: assignments of managed permission sets made outside TEAM-rs.
    pub sweep_drift: usize,
}

impl SweepMetrics {
    /// The metrics of `run`.
    pub fn of(run: &SweepRun) -> SweepMetrics {
        let count =
            |test: &dyn Fn(&Finding) -> bool| run.findings.iter().filter(|f| test(f)).count();
        let leaked =
            |action| count(&|f: &Finding| f.kind == FindingKind::Leaked && f.action == action);
        SweepMetrics {
            sweep_findings: run.findings.len(),
            sweep_leaks_removed: leaked(FindingAction::Removed),
            sweep_leaks_reported: leaked(FindingAction::Reported),
            sweep_redriven: count(&|f| f.action == FindingAction::Redriven),
            sweep_removals_owed: run.counts.owed_removals,
            sweep_failures: count(&|f| f.action == FindingAction::Failed) + run.errors.len(),
            sweep_drift: count(&|f| f.kind == FindingKind::Drift),
        }
    }

    /// The metric names, in the order they are declared.
    pub const NAMES: [&'static str; 7] = [
        "SweepFindings",
        "SweepLeaksRemoved",
        "SweepLeaksReported",
        "SweepRedriven",
        "SweepRemovalsOwed",
        "SweepFailures",
        "SweepDrift",
    ];
}

/// The Embedded Metric Format document of `run`'s metrics: the `_aws` metadata
/// (timestamp: when the sweep finished; namespace [`NAMESPACE`]; dimension
/// [`DIMENSION`] = `function_name`), the dimension's value and one member per metric.
pub fn emf_document(run: &SweepRun, function_name: &str) -> Value {
    let metrics = SweepMetrics::of(run);
    let timestamp_ms = run.finished_at.unix_timestamp_nanos() / 1_000_000;
    let definitions: Vec<Value> = SweepMetrics::NAMES
        .iter()
        .map(|name| json!({ "Name": name, "Unit": "Count" }))
        .collect();
    let mut document = json!({
        "_aws": {
            "Timestamp": i64::try_from(timestamp_ms).unwrap_or_default(),
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [[DIMENSION]],
                "Metrics": definitions,
            }],
        },
        DIMENSION: function_name,
    });
    if let (Some(out), Ok(Value::Object(values))) =
        (document.as_object_mut(), serde_json::to_value(metrics))
    {
        out.extend(values);
    }
    document
}

/// The function's answer to an invocation: what the run came to, without the findings
/// themselves (they are in the sweep log, `GET /api/admin/sweeps`).
pub fn summary(run: &SweepRun) -> Value {
    json!({
        "startedAt": run.started_at.unix_timestamp(),
        "finishedAt": run.finished_at.unix_timestamp(),
        "leaks": run.leaks,
        "counts": run.counts,
        "metrics": SweepMetrics::of(run),
        "errors": run.errors,
    })
}

/// Runs one sweep and logs what it found; answers the run (the caller emits the metrics).
pub async fn handle_sweep(team: &Team, config: SweepConfig) -> SweepRun {
    let run = team.sweep(config).await;
    log_run(&run);
    run
}

/// One log line per finding and per error, then the totals.
fn log_run(run: &SweepRun) {
    for finding in &run.findings {
        let request_id = finding.request_id.as_ref().map(ToString::to_string);
        let account_id = finding.account_id.as_ref().map(ToString::to_string);
        let permission_set_arn = finding.permission_set_arn.as_ref().map(ToString::to_string);
        let principal = finding
            .principal
            .as_ref()
            .and_then(|p| serde_json::to_string(p).ok());
        // Drift is reported on every run until someone acts on it: information, not news.
        if finding.kind == FindingKind::Drift {
            tracing::info!(kind = ?finding.kind, action = ?finding.action, request_id, account_id,
                permission_set_arn, principal, detail = %finding.detail, "sweep finding");
        } else {
            tracing::warn!(kind = ?finding.kind, action = ?finding.action, request_id, account_id,
                permission_set_arn, principal, detail = %finding.detail, "sweep finding");
        }
    }
    for error in &run.errors {
        tracing::error!(error = %error, "part of the sweep could not run");
    }
    let m = SweepMetrics::of(run);
    tracing::info!(
        findings = m.sweep_findings,
        leaks_removed = m.sweep_leaks_removed,
        leaks_reported = m.sweep_leaks_reported,
        redriven = m.sweep_redriven,
        removals_owed = m.sweep_removals_owed,
        failures = m.sweep_failures,
        drift = m.sweep_drift,
        requests = run.counts.requests,
        pairs = run.counts.pairs,
        assignments = run.counts.assignments,
        errors = run.errors.len(),
        leak_mode = ?run.leaks,
        seconds = (run.finished_at - run.started_at).as_seconds_f64(),
        "sweep finished"
    );
}

/// Prints `document` as one line on stdout, where CloudWatch Logs extracts the metrics.
fn emit(document: &Value) {
    let mut out = std::io::stdout().lock();
    if let Err(err) = writeln!(out, "{document}").and_then(|()| out.flush()) {
        tracing::error!(error = %err, "sweep metrics not written");
    }
}

/// Serves `team-sweep` until the runtime stops: one sweep per invocation, then its
/// metrics; the answer is [`summary`].
pub async fn serve_sweep(team: Team, config: SweepConfig) -> Result<(), lambda_runtime::Error> {
    let function_name =
        std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_else(|_| "team-sweep".to_owned());
    tracing::info!(grace_seconds = config.grace.whole_seconds(), leaks = ?config.leaks,
        list_calls_per_second = config.list_calls_per_second, "serving the reconciler");
    lambda_runtime::run(service_fn(move |_event: LambdaEvent<Value>| {
        let team = team.clone();
        let function_name = function_name.clone();
        async move {
            let run = handle_sweep(&team, config).await;
            emit(&emf_document(&run, &function_name));
            Ok::<Value, crate::StepError>(summary(&run))
        }
    }))
    .await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use team_core::ids::{AccountId, PermissionSetArn, RequestId};
    use team_core::sweep::{LeakMode, SweepCounts};
    use time::macros::datetime;

    use super::*;

    fn finding(kind: FindingKind, action: FindingAction) -> Finding {
        Finding {
            kind,
            action,
            request_id: None,
            account_id: Some(AccountId::parse("111122223333").unwrap()),
            permission_set_arn: Some(
                PermissionSetArn::parse(
                    "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-1234567890abcdef",
                )
                .unwrap(),
            ),
            principal: None,
            detail: "test".into(),
        }
    }

    fn run() -> SweepRun {
        let mut redriven = finding(FindingKind::Overdue, FindingAction::Redriven);
        redriven.request_id =
            Some(RequestId::parse("0b9f3d1e-5b8a-4c56-9f1e-2d3c4b5a6978").unwrap());
        SweepRun {
            started_at: datetime!(2026-12-05 10:00:00 UTC),
            finished_at: datetime!(2026-12-05 10:00:02.5 UTC),
            leaks: LeakMode::Remove,
            counts: SweepCounts {
                requests: 4,
                owed_removals: 2,
                pairs: 3,
                assignments: 5,
            },
            findings: vec![
                redriven,
                finding(FindingKind::NotStarted, FindingAction::Failed),
                finding(FindingKind::OwedRemoval, FindingAction::Removed),
                finding(FindingKind::Leaked, FindingAction::Removed),
                finding(FindingKind::Leaked, FindingAction::Removed),
                finding(FindingKind::Leaked, FindingAction::Failed),
                finding(FindingKind::Drift, FindingAction::Reported),
            ],
            errors: vec!["listing ps on account: throttled".into()],
        }
    }

    #[test]
    fn the_metrics_count_what_the_sweep_found_and_did() {
        assert_eq!(
            SweepMetrics::of(&run()),
            SweepMetrics {
                sweep_findings: 7,
                sweep_leaks_removed: 2,
                sweep_leaks_reported: 0,
                sweep_redriven: 1,
                sweep_removals_owed: 2,
                // Two findings failed, and one part of the sweep could not run.
                sweep_failures: 3,
                sweep_drift: 1,
            }
        );
        let mut reported = run();
        reported.leaks = LeakMode::Report;
        reported.findings = vec![finding(FindingKind::Leaked, FindingAction::Reported)];
        reported.errors.clear();
        let metrics = SweepMetrics::of(&reported);
        assert_eq!(metrics.sweep_leaks_reported, 1);
        assert_eq!(metrics.sweep_leaks_removed, 0);
        assert_eq!(metrics.sweep_failures, 0);
    }

    #[test]
    fn the_emf_document_has_the_metadata_cloudwatch_extracts_metrics_from() {
        let document = emf_document(&run(), "team-rs-SweepFunction-abc");
        let aws = &document["_aws"];
        // Milliseconds since the epoch, of the end of the run.
        assert_eq!(aws["Timestamp"], 1_796_464_802_500_i64);
        let directives = aws["CloudWatchMetrics"].as_array().unwrap();
        assert_eq!(directives.len(), 1);
        let directive = &directives[0];
        assert_eq!(directive["Namespace"], "TEAM-rs");
        assert_eq!(directive["Dimensions"], json!([["FunctionName"]]));
        let declared: Vec<&str> = directive["Metrics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                assert_eq!(m["Unit"], "Count", "{m}");
                m["Name"].as_str().unwrap()
            })
            .collect();
        assert_eq!(
            declared,
            [
                "SweepFindings",
                "SweepLeaksRemoved",
                "SweepLeaksReported",
                "SweepRedriven",
                "SweepRemovalsOwed",
                "SweepFailures",
                "SweepDrift"
            ]
        );
        // Every dimension and every declared metric is a top-level member: the dimension a
        // string, the metrics numbers.
        assert_eq!(document["FunctionName"], "team-rs-SweepFunction-abc");
        for name in &declared {
            assert!(document[name].is_u64(), "{name}: {}", document[name]);
        }
        assert_eq!(document["SweepFindings"], 7);
        assert_eq!(document["SweepLeaksRemoved"], 2);
        assert_eq!(document["SweepFailures"], 3);
        assert_eq!(document["SweepDrift"], 1);
        // Nothing else: a stray member would be logged but is no metric.
        assert_eq!(document.as_object().unwrap().len(), 2 + declared.len());
    }

    #[test]
    fn the_emf_document_is_one_line() {
        let line = emf_document(&run(), "team-sweep").to_string();
        assert!(!line.contains('\n'));
        let parsed: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(
            parsed["_aws"]["CloudWatchMetrics"][0]["Namespace"],
            NAMESPACE
        );
    }

    #[test]
    fn the_summary_names_the_totals_and_the_errors() {
        let summary = summary(&run());
        assert_eq!(summary["metrics"]["SweepFailures"], 3);
        assert_eq!(summary["counts"]["owedRemovals"], 2);
        assert_eq!(summary["leaks"], "remove");
        assert_eq!(summary["errors"][0], "listing ps on account: throttled");
    }
}
