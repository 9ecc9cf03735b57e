//! What the soak reads from the API: requests, their events, assignments, and the
//! request lifecycle's transition table (a copy of `team_core::request::TRANSITIONS`
//! without actions and actors: the soak checks from the outside, so it keeps its own).

use serde::Deserialize;
use time::OffsetDateTime;

/// Status of a request, as the API spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    /// `pending`
    Pending,
    /// `approved`
    Approved,
    /// `rejected`
    Rejected,
    /// `cancelled`
    Cancelled,
    /// `expired`
    Expired,
    /// `scheduled`
    Scheduled,
    /// `in progress`
    InProgress,
    /// `ended`
    Ended,
    /// `revoked`
    Revoked,
    /// `error`
    Error,
}

impl Status {
    /// Every status.
    pub const ALL: [Status; 10] = [
        Status::Pending,
        Status::Approved,
        Status::Rejected,
        Status::Cancelled,
        Status::Expired,
        Status::Scheduled,
        Status::InProgress,
        Status::Ended,
        Status::Revoked,
        Status::Error,
    ];

    /// The API's string.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Approved => "approved",
            Status::Rejected => "rejected",
            Status::Cancelled => "cancelled",
            Status::Expired => "expired",
            Status::Scheduled => "scheduled",
            Status::InProgress => "in progress",
            Status::Ended => "ended",
            Status::Revoked => "revoked",
            Status::Error => "error",
        }
    }

    /// Parses the API's string.
    pub fn parse(text: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Still moving by itself: the workflow owes it a next step (I3).
    pub fn is_open(self) -> bool {
        matches!(
            self,
            Status::Pending | Status::Approved | Status::Scheduled | Status::InProgress
        )
    }
}

impl<'de> Deserialize<'de> for Status {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Status, D::Error> {
        let text = String::deserialize(d)?;
        Status::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown status '{text}'")))
    }
}

use Status::{
    Approved, Cancelled, Ended, Error, Expired, InProgress, Pending, Rejected, Revoked, Scheduled,
};

/// Every allowed `from → to` of `team_core::request::TRANSITIONS` (crates/team-core/src/request.rs),
/// whatever the action and the actor.
pub const TRANSITIONS: &[(Status, Status)] = &[
    (Pending, Approved),
    (Pending, Rejected),
    (Pending, Cancelled),
    (Pending, Expired),
    (Pending, Error),
    (Approved, Scheduled),
    (Approved, InProgress),
    (Approved, Cancelled),
    (Approved, Revoked),
    (Approved, Expired),
    (Approved, Error),
    (Scheduled, InProgress),
    (Scheduled, Cancelled),
    (Scheduled, Revoked),
    (Scheduled, Expired),
    (Scheduled, Error),
    (InProgress, Ended),
    (InProgress, Revoked),
    (InProgress, Error),
    // Access is taken away after the status changes; if that fails the request says so.
    (Ended, Error),
    (Revoked, Error),
];

/// Whether one step `from → to` is allowed (staying put is).
pub fn step_allowed(from: Status, to: Status) -> bool {
    from == to || TRANSITIONS.contains(&(from, to))
}

/// Whether `to` can follow `from` after any number of allowed steps (I5: "at least as
/// far along").
pub fn reachable(from: Status, to: Status) -> bool {
    let mut seen = vec![from];
    let mut i = 0;
    while let Some(&at) = seen.get(i) {
        if at == to {
            return true;
        }
        for &(a, b) in TRANSITIONS {
            if a == at && !seen.contains(&b) {
                seen.push(b);
            }
        }
        i += 1;
    }
    false
}

/// A user as a request names them.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserRef {
    /// Identity Center user id.
    pub user_id: String,
    /// User name.
    pub username: String,
}

/// `{ "id": ... }`.
#[derive(Debug, Clone, Deserialize)]
pub struct IdRef {
    /// The id.
    pub id: String,
}

/// `{ "arn": ... }`.
#[derive(Debug, Clone, Deserialize)]
pub struct ArnRef {
    /// The ARN.
    pub arn: String,
}

/// An access request as the API shows it (the fields the soak reads).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Request {
    /// Request id.
    pub id: String,
    /// Who asked.
    pub requester: UserRef,
    /// The account.
    pub account: IdRef,
    /// The permission set.
    pub permission_set: ArnRef,
    /// Start of the window (the actual start once granted).
    #[serde(with = "time::serde::rfc3339")]
    pub start_time: OffsetDateTime,
    /// Whether the requester chose the start.
    #[serde(default = "yes")]
    pub fixed_window: bool,
    /// Session length.
    pub duration_minutes: u32,
    /// End of the window (the actual end once closed early).
    #[serde(with = "time::serde::rfc3339")]
    pub end_time: OffsetDateTime,
    /// Where it is.
    pub status: Status,
    /// Whether approvers must decide.
    pub approval_required: bool,
    /// Who may decide.
    #[serde(default)]
    pub approvers: Vec<UserRef>,
    /// Why it is in `error`.
    #[serde(default)]
    pub error_reason: Option<String>,
    /// Its justification (the soak tags each lifecycle's requests in it).
    #[serde(default)]
    pub justification: String,
    /// When it was made.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

fn yes() -> bool {
    true
}

impl Request {
    /// The assignment it grants.
    pub fn key(&self) -> Key {
        Key {
            user_id: self.requester.user_id.clone(),
            account_id: self.account.id.clone(),
            permission_set_arn: self.permission_set.arn.clone(),
        }
    }
}

/// One entry of a request's audit trail.
#[derive(Debug, Clone, Deserialize)]
pub struct Event {
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// What (`submitted`, `granted`, `access-removed`...).
    pub kind: String,
    /// The request's status after it.
    pub status: Status,
}

/// A page of `GET /api/requests`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Page {
    /// The requests.
    pub items: Vec<Request>,
    /// The next page, if any.
    #[serde(default)]
    pub next_token: Option<String>,
}

/// An account assignment: who has which permission set on which account.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Key {
    /// The user.
    pub user_id: String,
    /// The account.
    pub account_id: String,
    /// The permission set.
    pub permission_set_arn: String,
}

/// `GET /api/local/assignments`.
#[derive(Debug, Clone, Deserialize)]
pub struct Assignments {
    /// Every assignment of the simulated Identity Center.
    pub items: Vec<Key>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reachability_follows_the_table() {
        assert!(reachable(Pending, InProgress));
        assert!(reachable(Scheduled, Error));
        assert!(reachable(Ended, Error));
        assert!(!reachable(Ended, Revoked));
        assert!(!reachable(InProgress, Approved));
        assert!(!reachable(Error, Ended));
        assert!(step_allowed(Revoked, Revoked));
        assert!(!step_allowed(Pending, InProgress));
    }

    #[test]
    fn statuses_parse_as_the_api_spells_them() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
        let s: Status = serde_json::from_str("\"in progress\"").unwrap();
        assert_eq!(s, InProgress);
        assert!(serde_json::from_str::<Status>("\"running\"").is_err());
    }
}
