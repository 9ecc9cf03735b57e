//! The judge: I1–I5 over what the soak saw from the outside (assignment samples,
//! status snapshots, every answer it got) and the final requests and their events.
//! Pure functions, so the rules are unit tested without a `teamd`.
//!
//! Times are compared as intervals: whatever the server did for a call happened
//! between the moment the soak sent it (`sent`) and the moment the answer arrived
//! (`recv`), so a sample only counts against teamd when the whole interval lies
//! outside what is allowed.

use std::collections::{BTreeMap, HashMap, HashSet};

use time::{Duration, OffsetDateTime};

use super::model::{Event, Key, Request, Status, reachable, step_allowed};

/// How much slack teamd gets. Named here so the rules are read in one place.
#[derive(Debug, Clone, Copy)]
pub struct Tolerance {
    /// Grace around every window: the driver's timers (checked at least once a
    /// second), the simulated Identity Center's settle delay, the grant and revoke
    /// steps' status polls (500 ms, doubling) and a few lease-conflict retries.
    pub grace: Duration,
    /// After teamd answers again following a restart: the executions resume, due
    /// timers fire and an interrupted step runs again.
    pub after_restart: Duration,
    /// After a `throttle` fault: a step throttled up to three times in a row is
    /// retried by its state machine after 2, 4 and 8 s.
    pub after_throttle: Duration,
    /// After a `latencyMs` fault: calls already waiting finish their wait.
    pub after_latency: Duration,
    /// After a `failDelete` fault on the account is cleared: the removal it made fail
    /// stays owed and the reconciler retries it at its next sweep.
    pub after_fail_delete: Duration,
    /// However disruptions chain, no sighting is excused further than this past the
    /// graced window.
    pub cap: Duration,
}

/// What disrupted teamd, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DisruptionKind {
    /// teamd was down: killed (or died) until it answered again.
    Restart,
    /// `throttle` fault: the next calls were throttled.
    Throttle,
    /// `latencyMs` fault.
    Latency,
    /// `failDelete` on this account.
    FailDelete(String),
    /// `failCreate` on this account (grants fail; removals are not delayed).
    FailCreate(String),
}

/// A disruption over `[from, to]`.
#[derive(Debug, Clone)]
pub struct Disruption {
    /// What.
    pub kind: DisruptionKind,
    /// From.
    pub from: OffsetDateTime,
    /// Until.
    pub to: OffsetDateTime,
}

impl Disruption {
    /// How long after its end it may still delay removing access on `account`.
    fn delays_removal(&self, account: &str, tol: &Tolerance) -> Option<Duration> {
        match &self.kind {
            DisruptionKind::FailDelete(a) if a == account => Some(tol.after_fail_delete),
            other => other_delay(other, tol),
        }
    }

    /// How long after its end it may still delay recording a grant whose assignment
    /// already exists (a grant step retried or re-delivered records the later start),
    /// or a step that is due.
    fn delays_grant(&self, tol: &Tolerance) -> Option<Duration> {
        other_delay(&self.kind, tol)
    }
}

fn other_delay(kind: &DisruptionKind, tol: &Tolerance) -> Option<Duration> {
    match kind {
        DisruptionKind::Restart => Some(tol.after_restart),
        DisruptionKind::Throttle => Some(tol.after_throttle),
        DisruptionKind::Latency => Some(tol.after_latency),
        DisruptionKind::FailDelete(_) | DisruptionKind::FailCreate(_) => None,
    }
}

/// `deadline` pushed past every disruption that began before it, to the end of the
/// disruption plus what it may still delay, chained (a disruption that begins before
/// the extended deadline extends it again), but never more than `tol.cap`.
pub fn extend_deadline(
    deadline: OffsetDateTime,
    account: Option<&str>,
    disruptions: &[Disruption],
    tol: &Tolerance,
) -> OffsetDateTime {
    let cap = deadline + tol.cap;
    let mut end = deadline;
    loop {
        let mut moved = false;
        for d in disruptions {
            let allow = match account {
                Some(a) => d.delays_removal(a, tol),
                None => d.delays_grant(tol),
            };
            let Some(allow) = allow else { continue };
            if d.from <= end && d.to + allow > end && end < cap {
                end = (d.to + allow).min(cap);
                moved = true;
            }
        }
        if !moved {
            return end;
        }
    }
}

/// `earliest` (the recorded start minus the grace) pulled back before every
/// disruption that could have delayed recording the grant.
pub fn extend_start(
    earliest: OffsetDateTime,
    disruptions: &[Disruption],
    tol: &Tolerance,
) -> OffsetDateTime {
    let cap = earliest - tol.cap;
    let mut start = earliest;
    loop {
        let mut moved = false;
        for d in disruptions {
            let Some(allow) = d.delays_grant(tol) else {
                continue;
            };
            if d.from < start && d.to + allow + tol.grace >= start && start > cap {
                start = (d.from - tol.grace).max(cap);
                moved = true;
            }
        }
        if !moved {
            return start;
        }
    }
}

/// One look at the simulated Identity Center.
#[derive(Debug, Clone)]
pub struct Sample {
    /// When the soak asked.
    pub sent: OffsetDateTime,
    /// When the answer arrived.
    pub recv: OffsetDateTime,
    /// The assignments, as indexes into the key table.
    pub items: Vec<u32>,
}

/// One status the soak saw for a request (any answer: submit, action, poll, list).
#[derive(Debug, Clone)]
pub struct Observation {
    /// When the soak asked.
    pub sent: OffsetDateTime,
    /// When the answer arrived.
    pub recv: OffsetDateTime,
    /// The status in the answer.
    pub status: Status,
}

/// Everything the judge needs.
pub struct Evidence<'a> {
    /// The rules' slack.
    pub tol: Tolerance,
    /// Disruptions, in any order.
    pub disruptions: &'a [Disruption],
    /// Assignment keys the samples point into.
    pub keys: &'a [Key],
    /// Assignment samples.
    pub samples: &'a [Sample],
    /// Every status seen per request id.
    pub observations: &'a HashMap<String, Vec<Observation>>,
    /// Requests the API answered 201 for (or that were found again after an unknown outcome).
    pub acknowledged: &'a HashSet<String>,
    /// The final requests (every page of `scope=all`).
    pub requests: &'a [Request],
    /// The final events of each request.
    pub events: &'a HashMap<String, Vec<Event>>,
    /// Assignments that exist after everything settled.
    pub left_behind: &'a [Key],
}

/// A broken invariant.
#[derive(Debug, Clone)]
pub struct Violation {
    /// 1 to 5.
    pub invariant: u8,
    /// What, precisely (request ids, times, statuses).
    pub detail: String,
}

/// The judge's findings and a few figures.
#[derive(Debug, Default)]
pub struct Verdict {
    /// Every violation found.
    pub violations: Vec<Violation>,
    /// Assignment sightings checked against I1.
    pub sightings: u64,
    /// Sightings only allowed because a disruption (restart, fault) was close by.
    pub excused: u64,
    /// Per granted window with no disruption near its end: how long its assignment
    /// was still seen after the end, no other holder covering it (seconds).
    pub lags: Vec<f64>,
    /// The same for windows whose end a disruption (restart, fault) was near.
    pub disrupted_lags: Vec<f64>,
    /// The window whose assignment outlived its end the longest, explained.
    pub longest: Option<(f64, String)>,
    /// Assignments kept for another holder (`access-kept` events): the overlaps.
    pub kept: u64,
    /// Requests whose status moved on along the table but whose trail lacks the event
    /// of that move: a kill between the status write and the event append loses the
    /// event (a known defect: the two are not yet written in one transaction). Fails
    /// the run unless `--allow-lost-events` is given.
    pub lost_events: Vec<String>,
}

/// A granted window of one request, with the disruption-extended bounds.
struct Window<'a> {
    request: &'a Request,
    start: OffsetDateTime,
    end: OffsetDateTime,
    ext_start: OffsetDateTime,
    ext_end: OffsetDateTime,
}

fn short(t: OffsetDateTime) -> String {
    format!(
        "{:02}:{:02}:{:02}.{:01}",
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond() / 100
    )
}

fn key_text(key: &Key) -> String {
    let ps = key
        .permission_set_arn
        .rsplit('/')
        .next()
        .unwrap_or(&key.permission_set_arn);
    let user = key.user_id.rsplit('-').next().unwrap_or(&key.user_id);
    format!("user …{user} / {} / {ps}", key.account_id)
}

fn trail(events: &[Event]) -> String {
    events
        .iter()
        .map(|e| format!("{}@{}→{}", e.kind, short(e.at), e.status.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Judges every invariant.
pub fn judge(ev: &Evidence<'_>) -> Verdict {
    let mut verdict = Verdict::default();
    let no_events: Vec<Event> = Vec::new();
    let events_of = |id: &str| ev.events.get(id).unwrap_or(&no_events);
    verdict.kept = ev
        .events
        .values()
        .flatten()
        .filter(|e| e.kind == "access-kept")
        .count() as u64;

    i1(ev, &events_of, &mut verdict);
    i2(ev, &events_of, &mut verdict);
    i3(ev, &mut verdict);
    i4(ev, &events_of, &mut verdict);
    i5(ev, &mut verdict);
    verdict
}

fn i1<'a>(ev: &Evidence<'a>, events_of: &dyn Fn(&str) -> &'a Vec<Event>, verdict: &mut Verdict) {
    let tol = &ev.tol;
    let mut windows: HashMap<Key, Vec<Window<'_>>> = HashMap::new();
    let mut by_key: HashMap<Key, Vec<&Request>> = HashMap::new();
    for r in ev.requests {
        by_key.entry(r.key()).or_default().push(r);
        if !events_of(&r.id).iter().any(|e| e.kind == "granted") {
            continue;
        }
        let start = r.start_time - tol.grace;
        let end = r.end_time + tol.grace;
        windows.entry(r.key()).or_default().push(Window {
            request: r,
            start,
            end,
            ext_start: extend_start(start, ev.disruptions, tol),
            ext_end: extend_deadline(end, Some(&r.account.id), ev.disruptions, tol),
        });
    }
    // Sorted by extended start, with the longest extended span per key, so a sighting
    // only looks at the windows that can cover it.
    let mut spans: HashMap<Key, Duration> = HashMap::new();
    for (key, ws) in &mut windows {
        ws.sort_by_key(|w| w.ext_start);
        let longest = ws
            .iter()
            .map(|w| w.ext_end - w.ext_start)
            .max()
            .unwrap_or(Duration::ZERO);
        spans.insert(key.clone(), longest);
    }
    let candidates = |key: &Key, sent: OffsetDateTime, recv: OffsetDateTime| {
        let ws = windows.get(key).map(Vec::as_slice).unwrap_or(&[]);
        let span = spans.get(key).copied().unwrap_or(Duration::ZERO);
        let upto = ws.partition_point(|w| w.ext_start <= recv);
        let from = ws.partition_point(|w| w.ext_start < sent - span);
        ws.get(from..upto).unwrap_or(&[])
    };
    // Violations grouped into episodes: one assignment seen uncovered in a row.
    struct Episode {
        first: OffsetDateTime,
        last: OffsetDateTime,
        count: u64,
    }
    let mut open: BTreeMap<u32, Episode> = BTreeMap::new();
    let mut episodes: Vec<(u32, Episode)> = Vec::new();
    for sample in ev.samples {
        let mut seen_now = HashSet::new();
        for &idx in &sample.items {
            let Some(key) = ev.keys.get(idx as usize) else {
                continue;
            };
            verdict.sightings += 1;
            let ws = candidates(key, sample.sent, sample.recv);
            if ws
                .iter()
                .any(|w| sample.recv >= w.start && sample.sent <= w.end)
            {
                continue;
            }
            if ws
                .iter()
                .any(|w| sample.recv >= w.ext_start && sample.sent <= w.ext_end)
            {
                verdict.excused += 1;
                continue;
            }
            seen_now.insert(idx);
            match open.get_mut(&idx) {
                Some(ep) => {
                    ep.last = sample.recv;
                    ep.count += 1;
                }
                None => {
                    open.insert(
                        idx,
                        Episode {
                            first: sample.sent,
                            last: sample.recv,
                            count: 1,
                        },
                    );
                }
            }
        }
        let ended: Vec<u32> = open
            .keys()
            .copied()
            .filter(|k| !seen_now.contains(k))
            .collect();
        for k in ended {
            if let Some(ep) = open.remove(&k) {
                episodes.push((k, ep));
            }
        }
    }
    episodes.extend(open);
    removal_lags(ev, &windows, verdict);
    for (idx, ep) in episodes {
        let Some(key) = ev.keys.get(idx as usize) else {
            continue;
        };
        let holders = by_key
            .get(key)
            .map(|rs| {
                rs.iter()
                    .filter(|r| r.start_time - Duration::minutes(5) <= ep.last)
                    .filter(|r| r.end_time + Duration::minutes(5) >= ep.first)
                    .map(|r| {
                        let granted = events_of(&r.id).iter().any(|e| e.kind == "granted");
                        format!(
                            "{} [{}..{}] {}{} events: {}",
                            r.id,
                            short(r.start_time),
                            short(r.end_time),
                            r.status.as_str(),
                            if granted { "" } else { " (never granted)" },
                            trail(events_of(&r.id))
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .unwrap_or_default();
        verdict.violations.push(Violation {
            invariant: 1,
            detail: format!(
                "assignment {} seen {}–{} ({} samples) outside every granted window ± {:.1}s; requests of the pair nearby: {}",
                key_text(key),
                short(ep.first),
                short(ep.last),
                ep.count,
                ev.tol.grace.as_seconds_f64(),
                if holders.is_empty() {
                    "none".to_string()
                } else {
                    holders
                }
            ),
        });
    }
    for key in ev.left_behind {
        verdict.violations.push(Violation {
            invariant: 1,
            detail: format!(
                "assignment {} still exists after every window closed and everything settled",
                key_text(key)
            ),
        });
    }
}

/// How long each granted window's assignment outlived its end, other holders aside.
fn removal_lags(ev: &Evidence<'_>, windows: &HashMap<Key, Vec<Window<'_>>>, verdict: &mut Verdict) {
    let mut seen: HashMap<u32, Vec<(OffsetDateTime, OffsetDateTime)>> = HashMap::new();
    for sample in ev.samples {
        for &idx in &sample.items {
            seen.entry(idx)
                .or_default()
                .push((sample.sent, sample.recv));
        }
    }
    let index: HashMap<&Key, u32> = ev
        .keys
        .iter()
        .enumerate()
        .filter_map(|(i, k)| u32::try_from(i).ok().map(|i| (k, i)))
        .collect();
    for (key, ws) in windows {
        let sightings = index
            .get(key)
            .and_then(|i| seen.get(i))
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        for w in ws {
            let end = w.request.end_time;
            let first = sightings.partition_point(|(sent, _)| *sent <= end);
            let mut lag = 0.0f64;
            let mut last_seen = None;
            for &(sent, recv) in sightings.get(first..).unwrap_or(&[]) {
                if sent > w.ext_end {
                    break;
                }
                let other = ws
                    .iter()
                    .any(|o| o.request.id != w.request.id && o.start <= recv && sent <= o.end);
                if other {
                    // Another holder has it now: what follows is that holder's.
                    break;
                }
                if (sent - end).as_seconds_f64() > lag {
                    lag = (sent - end).as_seconds_f64();
                    last_seen = Some(sent);
                }
            }
            if let Some(seen_at) = last_seen
                && verdict.longest.as_ref().is_none_or(|(l, _)| lag > *l)
            {
                let near: Vec<String> = ev
                    .disruptions
                    .iter()
                    .filter(|d| d.from <= seen_at && d.to + ev.tol.grace >= end - ev.tol.grace)
                    .map(|d| format!("{:?} {}–{}", d.kind, short(d.from), short(d.to)))
                    .collect();
                verdict.longest = Some((
                    lag,
                    format!(
                        "request {} ended {}, its assignment last seen {} ({} sightings after the end); disruptions around: {}; events: {}",
                        w.request.id,
                        short(end),
                        short(seen_at),
                        sightings.get(first..).map_or(0, |s| s
                            .iter()
                            .take_while(|(sent, _)| *sent <= seen_at)
                            .count()),
                        if near.is_empty() {
                            "none".to_string()
                        } else {
                            near.join(", ")
                        },
                        trail(
                            ev.events
                                .get(&w.request.id)
                                .map(Vec::as_slice)
                                .unwrap_or(&[])
                        )
                    ),
                ));
            }
            if w.ext_end == w.end {
                verdict.lags.push(lag);
            } else {
                verdict.disrupted_lags.push(lag);
            }
        }
    }
}

fn i2<'a>(ev: &Evidence<'a>, events_of: &dyn Fn(&str) -> &'a Vec<Event>, verdict: &mut Verdict) {
    for r in ev.requests {
        let events = events_of(&r.id);
        let Some(approved_at) = events
            .iter()
            .find(|e| e.status == Status::Approved)
            .map(|e| e.at)
        else {
            continue;
        };
        let granted = events.iter().any(|e| e.kind == "granted");
        // Closed before it started (a trail that lost the closing event is I4's to report).
        let closed_first = !granted
            && (matches!(r.status, Status::Cancelled | Status::Revoked)
                || events
                    .iter()
                    .any(|e| e.kind == "cancelled" || e.kind == "revoked"));
        if closed_first {
            continue;
        }
        // In time: the window was still open for the grant, disruptions allowing.
        let in_time = !r.fixed_window
            || extend_deadline(approved_at + ev.tol.grace, None, ev.disruptions, &ev.tol)
                < r.end_time;
        if !in_time {
            continue;
        }
        let ok = match r.status {
            Status::InProgress | Status::Ended | Status::Revoked => granted,
            Status::Error => r.error_reason.as_deref().is_some_and(|e| !e.is_empty()),
            _ => false,
        };
        if !ok {
            verdict.violations.push(Violation {
                invariant: 2,
                detail: format!(
                    "request {} approved at {} (window {}..{}, {}) is '{}'{}: events: {}",
                    r.id,
                    short(approved_at),
                    short(r.start_time),
                    short(r.end_time),
                    if r.fixed_window {
                        "fixed"
                    } else {
                        "from grant"
                    },
                    r.status.as_str(),
                    if r.status == Status::Error {
                        " without an errorReason"
                    } else {
                        ""
                    },
                    trail(events)
                ),
            });
        }
    }
}

/// When a request in `status` must have moved on (I3).
fn deadline(r: &Request, status: Status, ev: &Evidence<'_>) -> OffsetDateTime {
    let tol = &ev.tol;
    match status {
        Status::Pending => {
            let planned_end = if r.fixed_window {
                r.end_time
            } else {
                r.created_at + Duration::minutes(i64::from(r.duration_minutes))
            };
            extend_deadline(planned_end + tol.grace, None, ev.disruptions, tol)
        }
        Status::Approved | Status::Scheduled => {
            extend_deadline(r.end_time + tol.grace, None, ev.disruptions, tol)
        }
        _ => extend_deadline(
            r.end_time + tol.grace,
            Some(&r.account.id),
            ev.disruptions,
            tol,
        ),
    }
}

fn i3(ev: &Evidence<'_>, verdict: &mut Verdict) {
    let by_id: HashMap<&str, &Request> = ev.requests.iter().map(|r| (r.id.as_str(), r)).collect();
    let mut ids: Vec<&String> = ev.observations.keys().collect();
    ids.sort();
    for id in ids {
        let Some(r) = by_id.get(id.as_str()) else {
            continue;
        };
        let late = ev.observations[id]
            .iter()
            .filter(|o| o.status.is_open())
            .find(|o| o.sent > deadline(r, o.status, ev));
        if let Some(o) = late {
            verdict.violations.push(Violation {
                invariant: 3,
                detail: format!(
                    "request {} was still '{}' at {}, after its deadline {} (window {}..{}, final status '{}')",
                    r.id,
                    o.status.as_str(),
                    short(o.sent),
                    short(deadline(r, o.status, ev)),
                    short(r.start_time),
                    short(r.end_time),
                    r.status.as_str()
                ),
            });
        }
    }
    for r in ev.requests.iter().filter(|r| r.status.is_open()) {
        verdict.violations.push(Violation {
            invariant: 3,
            detail: format!(
                "request {} is still '{}' after everything settled (window {}..{})",
                r.id,
                r.status.as_str(),
                short(r.start_time),
                short(r.end_time)
            ),
        });
    }
}

fn i4<'a>(ev: &Evidence<'a>, events_of: &dyn Fn(&str) -> &'a Vec<Event>, verdict: &mut Verdict) {
    for r in ev.requests {
        let events = events_of(&r.id);
        if events.first().map(|e| e.kind.as_str()) != Some("submitted") {
            // A kill between storing the request and recording its submission loses
            // that event; the rest of the trail must still follow the table.
            verdict.lost_events.push(format!(
                "request {}: the trail does not start with 'submitted': {}",
                r.id,
                trail(events)
            ));
        }
        let mut at = Status::Pending;
        let mut broken = false;
        // A `notified` event carries the status it announced, and may be written after a
        // concurrent step moved the request on: it annotates the trail, it is no move.
        for e in events.iter().filter(|e| e.kind != "notified") {
            if !step_allowed(at, e.status) {
                verdict.violations.push(Violation {
                    invariant: 4,
                    detail: format!(
                        "request {}: '{}' → '{}' (event '{}' at {}) is not in the transition table; trail: {}",
                        r.id,
                        at.as_str(),
                        e.status.as_str(),
                        e.kind,
                        short(e.at),
                        trail(events)
                    ),
                });
                broken = true;
                break;
            }
            at = e.status;
        }
        if !broken && at != r.status {
            let detail = format!(
                "request {} is '{}' but its trail ends in '{}': {}",
                r.id,
                r.status.as_str(),
                at.as_str(),
                trail(events)
            );
            if step_allowed(at, r.status) {
                verdict.lost_events.push(detail);
            } else {
                verdict.violations.push(Violation {
                    invariant: 4,
                    detail,
                });
            }
        }
    }
}

fn i5(ev: &Evidence<'_>, verdict: &mut Verdict) {
    let present: HashSet<&str> = ev.requests.iter().map(|r| r.id.as_str()).collect();
    let mut acked: Vec<&String> = ev.acknowledged.iter().collect();
    acked.sort();
    for id in acked {
        if !present.contains(id.as_str()) {
            verdict.violations.push(Violation {
                invariant: 5,
                detail: format!("request {id} was acknowledged (201) but is gone"),
            });
        }
    }
    let mut ids: Vec<&String> = ev.observations.keys().collect();
    ids.sort();
    for id in ids {
        if let Some(detail) = went_back(&ev.observations[id]) {
            verdict.violations.push(Violation {
                invariant: 5,
                detail: format!("request {id}: {detail}"),
            });
        }
    }
}

/// The first observation whose status cannot follow one seen strictly before it (its
/// answer arrived before this one was even asked), if any.
pub fn went_back(observations: &[Observation]) -> Option<String> {
    let mut by_sent: Vec<&Observation> = observations.iter().collect();
    by_sent.sort_by_key(|o| o.sent);
    let mut by_recv: Vec<&Observation> = observations.iter().collect();
    by_recv.sort_by_key(|o| o.recv);
    let mut before: Vec<&Observation> = Vec::new();
    let mut next = 0;
    for o in by_sent {
        while let Some(p) = by_recv.get(next) {
            if p.recv < o.sent {
                if !before.iter().any(|b| b.status == p.status) {
                    before.push(p);
                }
                next += 1;
            } else {
                break;
            }
        }
        if let Some(b) = before.iter().find(|b| !reachable(b.status, o.status)) {
            return Some(format!(
                "seen '{}' (answered {}) and later '{}' (asked {}): it went back",
                b.status.as_str(),
                short(b.recv),
                o.status.as_str(),
                short(o.sent)
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const T: OffsetDateTime = datetime!(2026-01-01 12:00:00 UTC);

    fn tol() -> Tolerance {
        Tolerance {
            grace: Duration::seconds(10),
            after_restart: Duration::seconds(30),
            after_throttle: Duration::seconds(20),
            after_latency: Duration::seconds(5),
            after_fail_delete: Duration::seconds(35),
            cap: Duration::seconds(100),
        }
    }

    fn at(s: i64) -> OffsetDateTime {
        T + Duration::seconds(s)
    }

    fn d(kind: DisruptionKind, from: i64, to: i64) -> Disruption {
        Disruption {
            kind,
            from: at(from),
            to: at(to),
        }
    }

    #[test]
    fn deadlines_move_only_for_overlapping_disruptions() {
        let t = tol();
        // No disruption: unchanged.
        assert_eq!(extend_deadline(at(70), Some("1"), &[], &t), at(70));
        // A restart before the deadline that ended long before it: unchanged.
        let old = [d(DisruptionKind::Restart, 0, 5)];
        assert_eq!(extend_deadline(at(70), Some("1"), &old, &t), at(70));
        // A restart around the deadline: recovery after it.
        let around = [d(DisruptionKind::Restart, 65, 68)];
        assert_eq!(extend_deadline(at(70), Some("1"), &around, &t), at(98));
        // Chained: a failDelete that starts before the extended deadline.
        let chain = [
            d(DisruptionKind::Restart, 65, 68),
            d(DisruptionKind::FailDelete("1".into()), 90, 120),
        ];
        assert_eq!(extend_deadline(at(70), Some("1"), &chain, &t), at(155));
        // failDelete on another account does not count, nor for grants.
        assert_eq!(extend_deadline(at(70), Some("2"), &chain, &t), at(98));
        assert_eq!(extend_deadline(at(70), None, &chain, &t), at(98));
        // Starts: a restart just before the recorded start pulls it back.
        let restart = [d(DisruptionKind::Restart, 40, 42)];
        assert_eq!(extend_start(at(50), &restart, &t), at(30));
        assert_eq!(extend_start(at(200), &restart, &t), at(200));
        // Back-to-back disruptions chain, but only up to the cap.
        let storm: Vec<Disruption> = (0..100)
            .map(|i| d(DisruptionKind::Throttle, 60 + 10 * i, 65 + 10 * i))
            .collect();
        assert_eq!(extend_deadline(at(70), Some("1"), &storm, &t), at(170));
        assert_eq!(extend_start(at(1000), &storm, &t), at(900));
    }

    #[test]
    fn going_back_needs_disjoint_intervals() {
        let o = |sent: i64, recv: i64, status| Observation {
            sent: at(sent),
            recv: at(recv),
            status,
        };
        // Overlapping calls may be answered in any order.
        assert!(went_back(&[o(0, 5, Status::Approved), o(1, 2, Status::Pending)]).is_none());
        // Disjoint: approved, then pending is a step back.
        assert!(went_back(&[o(0, 1, Status::Approved), o(2, 3, Status::Pending)]).is_some());
        assert!(
            went_back(&[
                o(0, 1, Status::Pending),
                o(2, 3, Status::InProgress),
                o(4, 5, Status::Error)
            ])
            .is_none()
        );
        assert!(went_back(&[o(0, 1, Status::Ended), o(2, 3, Status::Revoked)]).is_some());
    }

    fn request(id: &str, start: i64, end: i64, status: &str) -> Request {
        let fmt = |t: OffsetDateTime| {
            t.format(&time::format_description::well_known::Rfc3339)
                .unwrap()
        };
        serde_json::from_value(serde_json::json!({
            "id": id,
            "requester": {"userId": "u-1", "username": "alice"},
            "account": {"id": "111122223333"},
            "permissionSet": {"arn": "arn:ps"},
            "startTime": fmt(at(start)),
            "fixedWindow": true,
            "durationMinutes": 1,
            "endTime": fmt(at(end)),
            "status": status,
            "approvalRequired": true,
            "createdAt": fmt(at(0)),
        }))
        .unwrap()
    }

    fn events(list: &[(&str, i64, Status)]) -> Vec<Event> {
        list.iter()
            .map(|(kind, t, status)| Event {
                at: at(*t),
                kind: kind.to_string(),
                status: *status,
            })
            .collect()
    }

    #[test]
    fn the_judge_finds_each_kind_of_violation() {
        use Status::*;
        let key = Key {
            user_id: "u-1".into(),
            account_id: "111122223333".into(),
            permission_set_arn: "arn:ps".into(),
        };
        let requests = vec![
            request("ok", 100, 160, "ended"),
            request("bad-trail", 100, 160, "in progress"),
            request("not-granted", 100, 160, "expired"),
            // Cancelled, but the crash lost its `cancelled` event: I4, not I2.
            request("lost-event", 100, 160, "cancelled"),
        ];
        let mut trails = HashMap::new();
        trails.insert(
            "ok".to_string(),
            events(&[
                ("submitted", 0, Pending),
                ("approved", 10, Approved),
                ("scheduled", 10, Scheduled),
                // The approval's notification, written after the schedule step ran.
                ("notified", 10, Approved),
                ("granted", 100, InProgress),
                ("access-removed", 160, InProgress),
                ("ended", 160, Ended),
            ]),
        );
        trails.insert(
            "bad-trail".to_string(),
            events(&[("submitted", 0, Pending), ("granted", 100, InProgress)]),
        );
        trails.insert(
            "not-granted".to_string(),
            events(&[
                ("submitted", 0, Pending),
                ("approved", 10, Approved),
                ("expired", 160, Expired),
            ]),
        );
        trails.insert(
            "lost-event".to_string(),
            events(&[("submitted", 0, Approved), ("approved", 0, Approved)]),
        );
        let sample = |t: i64| Sample {
            sent: at(t),
            recv: at(t) + Duration::milliseconds(5),
            items: vec![0],
        };
        // Inside, within the grace, excused by the restart, then outside.
        let samples = vec![
            sample(120),
            sample(165),
            sample(185),
            sample(200),
            sample(201),
        ];
        let disruptions = vec![d(DisruptionKind::Restart, 150, 160)];
        let acknowledged: HashSet<String> = ["ok", "gone"].iter().map(|s| s.to_string()).collect();
        let observations = HashMap::new();
        let keys = vec![key.clone()];
        let evidence = Evidence {
            tol: tol(),
            disruptions: &disruptions,
            keys: &keys,
            samples: &samples,
            observations: &observations,
            acknowledged: &acknowledged,
            requests: &requests,
            events: &trails,
            left_behind: &[key],
        };
        let verdict = judge(&evidence);
        let of = |n: u8| {
            verdict
                .violations
                .iter()
                .filter(|v| v.invariant == n)
                .count()
        };
        // One episode (200–201) and the assignment left behind.
        assert_eq!(of(1), 2, "{:#?}", verdict.violations);
        assert_eq!(verdict.excused, 1);
        // Approved in time, expired: I2.
        assert_eq!(of(2), 1, "{:#?}", verdict.violations);
        // Still in progress at the end: I3.
        assert_eq!(of(3), 1, "{:#?}", verdict.violations);
        // pending → in progress skips approval: I4.
        assert_eq!(of(4), 1, "{:#?}", verdict.violations);
        // A trail that stops short of a move the table allows: a lost event.
        assert_eq!(verdict.lost_events.len(), 1, "{:#?}", verdict.lost_events);
        // "gone" was acknowledged and is missing: I5.
        assert_eq!(of(5), 1, "{:#?}", verdict.violations);
        assert_eq!(verdict.lags.len() + verdict.disrupted_lags.len(), 2);
    }
}
