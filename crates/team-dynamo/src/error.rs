//! How DynamoDB failures become [`TeamError`]s: by what the caller should do about them.

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use team_core::TeamError;

/// Error codes DynamoDB answers when a retry later would probably succeed.
const TRANSIENT_CODES: &[&str] = &[
    "ThrottlingException",
    "Throttling",
    "ProvisionedThroughputExceededException",
    "ProvisionedThroughputExceeded",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "TransactionInProgressException",
    "ThrottlingError",
];

/// The code of a failed conditional write (`PutItem`, `DeleteItem`, …).
const CONDITION_FAILED: &str = "ConditionalCheckFailedException";

/// Whether `code` names a failure worth retrying.
pub(crate) fn is_transient_code(code: &str) -> bool {
    TRANSIENT_CODES.contains(&code)
}

/// Where a failed call happened, for the error message and the log.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Call<'a> {
    /// The table.
    pub table: &'a str,
    /// The DynamoDB operation, e.g. `PutItem`.
    pub operation: &'static str,
}

/// Maps a failed SDK call. A failed condition becomes `Conflict` about `subject`
/// when the call was conditional (`subject` given), `Internal` otherwise.
pub(crate) fn sdk_error<E>(call: Call<'_>, subject: Option<&str>, err: SdkError<E>) -> TeamError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let code = err.code().unwrap_or_default().to_owned();
    let detail = DisplayErrorContext(&err).to_string();
    if code == CONDITION_FAILED
        && let Some(subject) = subject
    {
        tracing::debug!(
            table = call.table,
            operation = call.operation,
            subject,
            "condition failed"
        );
        return TeamError::Conflict(subject.to_owned());
    }
    let transient = is_transient_code(&code)
        || match &err {
            SdkError::TimeoutError(_) => true,
            SdkError::DispatchFailure(failure) => failure.is_timeout() || failure.is_io(),
            // A 5xx without a known code is DynamoDB (or a proxy) having a bad moment.
            SdkError::ServiceError(context) => context.raw().status().is_server_error(),
            _ => false,
        };
    failure(call, &code, &detail, transient)
}

/// Maps a failed `TransactWriteItems`. A cancellation caused by a failed condition or by a
/// concurrent transaction on the same item is `Conflict` about `subject`: someone else
/// is changing it, so the caller must reload before deciding again.
pub(crate) fn transaction_error(
    call: Call<'_>,
    subject: &str,
    err: SdkError<TransactWriteItemsError>,
) -> TeamError {
    let SdkError::ServiceError(context) = &err else {
        return sdk_error(call, None, err);
    };
    let TransactWriteItemsError::TransactionCanceledException(cancelled) = context.err() else {
        return sdk_error(call, None, err);
    };
    let reasons: Vec<&str> = cancelled
        .cancellation_reasons()
        .iter()
        .filter_map(|r| r.code())
        .filter(|c| *c != "None")
        .collect();
    // Some emulators leave the reasons out and only name them in the message.
    let message = cancelled.message().unwrap_or_default();
    let conflict = reasons
        .iter()
        .any(|c| *c == "ConditionalCheckFailed" || *c == "TransactionConflict")
        || (reasons.is_empty()
            && (message.contains("ConditionalCheckFailed")
                || message.contains("TransactionConflict")));
    if conflict {
        tracing::debug!(
            table = call.table,
            operation = call.operation,
            subject,
            ?reasons,
            "transaction cancelled by a condition"
        );
        return TeamError::Conflict(subject.to_owned());
    }
    let transient = !reasons.is_empty() && reasons.iter().all(|c| is_transient_code(c));
    let detail = format!("transaction cancelled: {reasons:?}: {message}");
    failure(call, "TransactionCanceledException", &detail, transient)
}

fn failure(call: Call<'_>, code: &str, detail: &str, transient: bool) -> TeamError {
    if transient {
        tracing::warn!(
            table = call.table,
            operation = call.operation,
            code,
            detail,
            "DynamoDB call failed; worth retrying"
        );
        TeamError::Transient(format!(
            "DynamoDB {} on {}: {detail}",
            call.operation, call.table
        ))
    } else {
        tracing::error!(
            table = call.table,
            operation = call.operation,
            code,
            detail,
            "DynamoDB call failed"
        );
        TeamError::Internal(format!(
            "DynamoDB {} on {}: {detail}",
            call.operation, call.table
        ))
    }
}
