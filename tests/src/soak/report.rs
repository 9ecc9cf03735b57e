//! The soak's one table.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::Ordering;

use super::check::Verdict;
use super::process::Cause;
use super::{World, lock, now};

/// How many examples of each broken invariant the table shows.
const EXAMPLES: usize = 3;

const INVARIANTS: [&str; 5] = [
    "I1 no access outside its window",
    "I2 approved in time → granted/error",
    "I3 nothing stuck past its end",
    "I4 trails follow the table",
    "I5 nothing acknowledged lost",
];

fn counts(map: &BTreeMap<String, u64>) -> String {
    if map.is_empty() {
        return "none".into();
    }
    map.iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `n`, p50, p95 and max of `values` (seconds).
fn spread(values: &[f64]) -> String {
    if values.is_empty() {
        return "none".into();
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let at = |q: f64| {
        let i = ((v.len() - 1) as f64 * q).round() as usize;
        v.get(i).copied().unwrap_or(0.0)
    };
    format!(
        "n {} p50 {:.1} s, p95 {:.1} s, max {:.1} s",
        v.len(),
        at(0.5),
        at(0.95),
        at(1.0)
    )
}

/// Renders the table; answers whether the run is green.
pub(super) fn render(world: &World, verdict: &Verdict) -> (bool, String) {
    let rec = lock(&world.rec);
    let restarts = world.teamd.restarts();
    let kills = restarts.iter().filter(|r| r.cause == Cause::Kill).count();
    let finals = restarts.iter().filter(|r| r.cause == Cause::Final).count();
    let mut exits: BTreeMap<String, u64> = BTreeMap::new();
    for r in &restarts {
        if let Cause::Exit(code) = r.cause {
            let code = code.map_or_else(|| "?".to_string(), |c| c.to_string());
            *exits.entry(format!("status {code}")).or_default() += 1;
        }
    }
    let longest_down = restarts
        .iter()
        .map(|r| (r.up - r.down).as_seconds_f64())
        .fold(0.0, f64::max);

    let mut scenarios: BTreeMap<String, u64> = BTreeMap::new();
    let mut outcomes: BTreeMap<String, u64> = BTreeMap::new();
    for l in &rec.lifecycles {
        *scenarios.entry(l.scenario.to_string()).or_default() += 1;
        let outcome = match (&l.request, &l.refused) {
            (Some(id), _) => rec
                .outcome_of
                .get(id)
                .map_or("missing", |s| s.as_str())
                .to_string(),
            (None, _) => "not submitted".to_string(),
        };
        *outcomes.entry(outcome).or_default() += 1;
    }
    let mut faults: BTreeMap<String, u64> = rec
        .faults
        .injected
        .iter()
        .map(|(k, v)| (k.to_string(), *v))
        .collect();
    if let Some(die) = faults.get_mut("dieAfterNextSideEffect") {
        let fired = rec.faults.die_fired;
        let armed = *die;
        faults.remove("dieAfterNextSideEffect");
        faults.insert(format!("dieAfterNextSideEffect (fired {fired} of)"), armed);
    }

    let mut by_inv: BTreeMap<u8, Vec<&str>> = BTreeMap::new();
    for v in &verdict.violations {
        by_inv.entry(v.invariant).or_default().push(&v.detail);
    }
    let green = verdict.violations.is_empty()
        && (world.cfg.allow_lost_events || verdict.lost_events.is_empty());

    let mut rows: Vec<(String, String)> = vec![
        (
            "seed".into(),
            format!("{} (repeat: --seed {})", world.cfg.seed, world.cfg.seed),
        ),
        (
            "run".into(),
            format!(
                "{} s; concurrency {}; grace {:.1} s; after a restart {} s, throttle {} s, latency {} s, failDelete {} s (cap {} s)",
                (now() - world.started).whole_seconds(),
                world.cfg.concurrency,
                world.tol.grace.as_seconds_f64(),
                world.tol.after_restart.whole_seconds(),
                world.tol.after_throttle.whole_seconds(),
                world.tol.after_latency.whole_seconds(),
                world.tol.after_fail_delete.whole_seconds(),
                world.tol.cap.whole_seconds()
            ),
        ),
        ("lifecycles run".into(), rec.lifecycles.len().to_string()),
        ("  by scenario".into(), counts(&scenarios)),
        ("  by outcome".into(), counts(&outcomes)),
        (
            "  shared assignments kept".into(),
            format!(
                "{} (access-kept events: another request still held it)",
                verdict.kept
            ),
        ),
        ("faults injected".into(), counts(&faults)),
        ("revoke-all (admin)".into(), rec.revoke_all.to_string()),
        (
            "restarts".into(),
            format!(
                "{}: SIGKILL {kills}, self-exit {} ({}), final {finals}; longest down {longest_down:.1} s",
                restarts.len(),
                exits.values().sum::<u64>(),
                counts(&exits)
            ),
        ),
        (
            "samples taken".into(),
            format!(
                "{} every 250 ms ({} missed while teamd was down); {} assignment sightings, {} excused by a nearby disruption",
                rec.samples.len(),
                rec.samples_missed,
                verdict.sightings,
                verdict.excused
            ),
        ),
        (
            "assignment gone after end".into(),
            format!(
                "undisrupted windows: {}; near a disruption: {}",
                spread(&verdict.lags),
                spread(&verdict.disrupted_lags)
            ),
        ),
        (
            "  longest".into(),
            verdict.longest.as_ref().map_or_else(
                || "-".to_string(),
                |(lag, why)| format!("{lag:.1} s: {why}"),
            ),
        ),
        (
            "HTTP".into(),
            format!(
                "{} calls; {} refused while down, {} with unknown outcome, {} 5xx; {} unexpected answers; {} orphan duplicates",
                world.api.stats.calls.load(Ordering::Relaxed),
                world.api.stats.unreachable.load(Ordering::Relaxed),
                world.api.stats.unknown.load(Ordering::Relaxed),
                world.api.stats.server_errors.load(Ordering::Relaxed),
                rec.surprise_count,
                rec.orphans.len()
            ),
        ),
    ];
    for s in rec.surprises.iter().take(EXAMPLES) {
        rows.push(("  unexpected".into(), s.clone()));
    }
    for (i, name) in INVARIANTS.iter().enumerate() {
        let n = u8::try_from(i + 1).unwrap_or(0);
        let found = by_inv.get(&n).map(Vec::as_slice).unwrap_or(&[]);
        rows.push((
            format!("violations {name}"),
            if found.is_empty() {
                "0".to_string()
            } else {
                found.len().to_string()
            },
        ));
        for detail in found.iter().take(EXAMPLES) {
            rows.push(("  e.g.".into(), (*detail).to_string()));
        }
    }
    rows.push((
        "audit events lost at a kill".into(),
        format!(
            "{}{}",
            verdict.lost_events.len(),
            if world.cfg.allow_lost_events {
                " (known defect, allowed by --allow-lost-events)"
            } else {
                ""
            }
        ),
    ));
    for detail in verdict.lost_events.iter().take(EXAMPLES) {
        rows.push(("  e.g.".into(), detail.clone()));
    }
    rows.push((
        "verdict".into(),
        if green {
            "GREEN: access never outlived its window".into()
        } else {
            format!(
                "RED: {} violations, {} lost audit events",
                verdict.violations.len(),
                verdict.lost_events.len()
            )
        },
    ));

    let width = rows
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(10);
    let mut out = String::new();
    let _ = writeln!(out, "TEAM-rs chaos soak");
    let line = format!("+{}+{}+", "-".repeat(width + 2), "-".repeat(62));
    let _ = writeln!(out, "{line}");
    for (k, v) in rows {
        let _ = writeln!(out, "| {k:<width$} | {v}");
    }
    let _ = write!(out, "{line}");
    (green, out)
}
