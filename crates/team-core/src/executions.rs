//! What starts a state machine execution: its typed input and its name, in one place.
//!
//! Execution names make a retried start harmless (Step Functions and the local
//! executor refuse a second execution of the same name), so every caller that starts
//! the same execution must build the same name: the API on an early end, the end
//! step when the end time has already passed, the local timers and EventBridge
//! Scheduler at the end time.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ids::RequestId;

/// The input of `statemachines/access-request.asl.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessRequestInput {
    /// The request the execution drives.
    pub request_id: RequestId,
    /// Whether the machine waits for approvers (`NeedsApproval`).
    pub approval_required: bool,
    /// How long approvers have before the request expires (`TimeoutSecondsPath`).
    pub approval_timeout_seconds: u64,
}

/// The input of `statemachines/revoke.asl.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RevokeInput {
    /// The request whose access goes.
    pub request_id: RequestId,
}

/// Why a revoke execution runs; each cause has its own name, so an early end and the
/// end time of the same request are two executions, and each is started at most once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevokeCause {
    /// The session reached its end time (timer, scheduler, or an end step that found it passed).
    EndTime,
    /// Someone ended the session early: its requester, an approver or an admin.
    Closed,
}

impl AccessRequestInput {
    /// The execution name: the request id.
    pub fn execution_name(&self) -> String {
        self.request_id.to_string()
    }

    /// The JSON the state machine receives.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

impl RevokeInput {
    /// The input for `request`.
    pub fn new(request: &RequestId) -> RevokeInput {
        RevokeInput {
            request_id: request.clone(),
        }
    }

    /// The execution name for this request and cause.
    pub fn execution_name(&self, cause: RevokeCause) -> String {
        let prefix = match cause {
            RevokeCause::EndTime => "end",
            RevokeCause::Closed => "revoke",
        };
        format!("{prefix}-{}", self.request_id)
    }

    /// The JSON the state machine receives.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn revoke_executions_are_named_by_cause_and_request() {
        let input = RevokeInput::new(&RequestId::parse("r-1").unwrap());
        assert_eq!(input.execution_name(RevokeCause::EndTime), "end-r-1");
        assert_eq!(input.execution_name(RevokeCause::Closed), "revoke-r-1");
        assert_eq!(input.to_value(), json!({"requestId": "r-1"}));
    }

    #[test]
    fn the_access_request_input_is_what_the_state_machine_reads() {
        let input = AccessRequestInput {
            request_id: RequestId::parse("r-2").unwrap(),
            approval_required: true,
            approval_timeout_seconds: 3600,
        };
        assert_eq!(input.execution_name(), "r-2");
        assert_eq!(
            input.to_value(),
            json!({"requestId": "r-2", "approvalRequired": true, "approvalTimeoutSeconds": 3600})
        );
    }
}
