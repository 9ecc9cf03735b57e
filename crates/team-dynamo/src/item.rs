//! Items: domain values flattened into DynamoDB attributes with `serde_dynamo`, plus the
//! key and index attributes this crate adds (and strips again before decoding).

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use serde::Serialize;
use serde::de::DeserializeOwned;
use team_core::{TeamError, TeamResult};
use time::{OffsetDateTime, UtcOffset};

/// One DynamoDB item.
pub(crate) type Item = HashMap<String, AttributeValue>;

/// Partition key of both tables.
pub const PK: &str = "pk";
/// Sort key of both tables.
pub const SK: &str = "sk";
/// What an item is (`request`, `approver`, `decider`, `event`, `lease`, `settings`, `eligibility`, `approver-policy`).
pub const ITEM_TYPE: &str = "itemType";
/// Requests table: the requester's user id (key of `byRequester`); only on request items.
pub const REQUESTER_ID: &str = "requesterId";
/// Requests table: the status (key of `byStatus`); only on request items.
pub const REQUEST_STATUS: &str = "requestStatus";
/// Requests table: the account id (key of `byAccount`); only on request items.
pub const ACCOUNT_ID: &str = "accountId";
/// Requests table: `APPROVER#<user id>` or `DECIDER#<user id>` (key of `byUser`); only on index items.
pub const INDEX_USER: &str = "indexUser";
/// Requests table: creation time and id, `2026-01-05T10:00:00.000000000Z#<id>` (sort key of every index).
pub const CREATED_KEY: &str = "createdKey";
/// Requests table: session start, nanoseconds since the epoch (for time-window filters).
pub const START_NS: &str = "startNs";
/// Requests table: session end, nanoseconds since the epoch (for time-window filters).
pub const END_NS: &str = "endNs";
/// Policies table: `USER#<id>` or `GROUP#<id>` (key of `byPrincipal`); only on eligibility policies.
pub const PRINCIPAL_KEY: &str = "principalKey";

/// Every attribute this crate adds to a domain value's own.
const ADDED: &[&str] = &[
    PK,
    SK,
    ITEM_TYPE,
    REQUESTER_ID,
    REQUEST_STATUS,
    ACCOUNT_ID,
    INDEX_USER,
    CREATED_KEY,
    START_NS,
    END_NS,
    PRINCIPAL_KEY,
];

/// A string attribute.
pub(crate) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

/// A number attribute.
pub(crate) fn n(value: impl std::fmt::Display) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// A domain value as attributes.
pub(crate) fn encode<T: Serialize>(what: &str, value: &T) -> TeamResult<Item> {
    serde_dynamo::aws_sdk_dynamodb_1::to_item(value)
        .map_err(|e| TeamError::Internal(format!("cannot encode {what}: {e}")))
}

/// A domain value from a stored item, without the attributes this crate added
/// (some domain types refuse unknown fields).
pub(crate) fn decode<T: DeserializeOwned>(what: &str, mut item: Item) -> TeamResult<T> {
    for name in ADDED {
        item.remove(*name);
    }
    serde_dynamo::aws_sdk_dynamodb_1::from_item(item)
        .map_err(|e| TeamError::Internal(format!("stored {what} is corrupt: {e}")))
}

/// The string value of an attribute, if it is one.
pub(crate) fn string<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
}

/// The sort key of every request index: UTC creation time with nine fractional digits,
/// then the id. Fixed width, so string order is time order (then id order), and an
/// auditor can write a time range as plain dates (`BETWEEN "2026-01" AND "2026-02"`).
pub(crate) fn created_key(at: OffsetDateTime, id: &str) -> String {
    let at = at.to_offset(UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z#{id}",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.nanosecond()
    )
}

/// Nanoseconds since the epoch, as stored in `startNs` and `endNs`.
pub(crate) fn nanos(at: OffsetDateTime) -> i128 {
    at.unix_timestamp_nanos()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use time::macros::datetime;

    #[test]
    fn created_keys_sort_like_time_then_id() {
        let t = datetime!(2026-01-05 10:00:00 UTC);
        let keys = [
            created_key(t, "b"),
            created_key(t, "c"),
            created_key(t + time::Duration::nanoseconds(1), "a"),
            created_key(t + time::Duration::seconds(1), "a"),
            created_key(
                datetime!(2026-01-05 12:00:00 +02:00) + time::Duration::hours(1),
                "z",
            ),
        ];
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(sorted, keys);
        assert_eq!(keys[0], "2026-01-05T10:00:00.000000000Z#b");
    }

    #[test]
    fn decoding_drops_the_added_attributes() {
        let mut item = encode("settings", &team_core::policy::Settings::default()).unwrap();
        item.insert(PK.into(), s("SETTINGS"));
        item.insert(SK.into(), s("SETTINGS"));
        let back: team_core::policy::Settings = decode("settings", item).unwrap();
        assert_eq!(back, team_core::policy::Settings::default());
    }
}
