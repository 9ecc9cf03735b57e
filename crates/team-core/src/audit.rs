//! CSV export for auditors and approvers.

use time::format_description::well_known::Rfc3339;

use crate::request::AccessRequest;

/// Column headers of [`to_csv`].
pub const CSV_HEADER: [&str; 16] = [
    "id",
    "requester",
    "requesterEmail",
    "accountId",
    "accountName",
    "permissionSet",
    "startTime",
    "endTime",
    "durationMinutes",
    "status",
    "justification",
    "ticketNo",
    "approvers",
    "decisions",
    "closedBy",
    "errorReason",
];

/// Renders requests as RFC 4180 CSV. Cells that a spreadsheet would run as a formula
/// (`=`, `+`, `-`, `@`, tab, CR) are prefixed with `'`: justifications are user input.
pub fn to_csv(requests: &[AccessRequest]) -> String {
    let mut out = String::new();
    push_row(&mut out, CSV_HEADER.iter().map(|h| h.to_string()));
    for r in requests {
        let time = |t: time::OffsetDateTime| t.format(&Rfc3339).unwrap_or_default();
        let decisions = r
            .decisions
            .iter()
            .map(|d| format!("{}:{:?}", d.by.username, d.outcome).to_lowercase())
            .collect::<Vec<_>>()
            .join(" ");
        let approvers = r
            .approvers
            .iter()
            .map(|a| a.username.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        push_row(
            &mut out,
            [
                r.id.to_string(),
                r.requester.username.clone(),
                r.requester.email.clone().unwrap_or_default(),
                r.account.id.to_string(),
                r.account.name.clone(),
                r.permission_set.name.clone(),
                time(r.start_time),
                time(r.end_time),
                r.duration_minutes.to_string(),
                r.status.to_string(),
                r.justification.to_string(),
                r.ticket_no
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
                approvers,
                decisions,
                r.closed
                    .as_ref()
                    .and_then(|c| c.by.as_ref())
                    .map(|u| u.username.clone())
                    .unwrap_or_default(),
                r.error_reason.clone().unwrap_or_default(),
            ]
            .into_iter(),
        );
    }
    out
}

fn push_row(out: &mut String, cells: impl Iterator<Item = String>) {
    let mut first = true;
    for cell in cells {
        if !first {
            out.push(',');
        }
        first = false;
        out.push_str(&escape(&cell));
    }
    out.push_str("\r\n");
}

fn escape(cell: &str) -> String {
    let guarded = if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_string()
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_and_formula_guard() {
        assert_eq!(escape("plain"), "plain");
        assert_eq!(escape("a,b"), "\"a,b\"");
        assert_eq!(escape("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(escape("=HYPERLINK(1)"), "'=HYPERLINK(1)");
    }

    #[test]
    fn header_only_for_no_rows() {
        let csv = to_csv(&[]);
        assert!(csv.starts_with("id,requester,"));
        assert_eq!(csv.lines().count(), 1);
    }
}
