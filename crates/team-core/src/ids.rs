//! Validated identifiers and text values.
//!
//! Each newtype can only be built through `parse`, so a value of the type is
//! proof that the check ran ("parse, don't validate"). Deserialisation goes
//! through the same check, so stored or posted data cannot smuggle in a bad value.

use std::fmt;
use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::error::{TeamError, TeamResult};

macro_rules! string_newtype {
    ($(#[$meta:meta])* $name:ident, field = $field:literal, check = $check:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String))]
        pub struct $name(String);

        impl $name {
            /// The API field name used in error messages about this value.
            pub const FIELD: &'static str = $field;

            /// Checks `value` and wraps it; the error names the field and says what is accepted.
            pub fn parse(value: impl Into<String>) -> TeamResult<Self> {
                let value: String = value.into();
                let check: fn(&str) -> Result<(), &'static str> = $check;
                match check(&value) {
                    Ok(()) => Ok(Self(value)),
                    Err(why) => Err(TeamError::validation($field, why)),
                }
            }

            /// The value as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = TeamError;
            fn try_from(value: String) -> TeamResult<Self> {
                Self::parse(value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }
    };
}

fn matches(re: &Regex, value: &str, why: &'static str) -> Result<(), &'static str> {
    if re.is_match(value) { Ok(()) } else { Err(why) }
}

static ACCOUNT_ID: LazyLock<Regex> = LazyLock::new(|| regex(r"^[0-9]{12}$"));
static OU_ID: LazyLock<Regex> =
    LazyLock::new(|| regex(r"^(ou-[0-9a-z]{4,32}-[0-9a-z]{8,32}|r-[0-9a-z]{4,32})$"));
static PERMISSION_SET_ARN: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"^arn:aws(-us-gov|-cn|-iso|-iso-b)?:sso:::permissionSet/(sso)?ins-[a-zA-Z0-9.-]{16}/ps-[a-zA-Z0-9./-]{16}$",
    )
});
static IDENTITY_STORE_ID: LazyLock<Regex> = LazyLock::new(|| regex(r"^[A-Za-z0-9-]{1,64}$"));
static TICKET: LazyLock<Regex> = LazyLock::new(|| regex(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$"));

#[allow(clippy::expect_used)]
fn regex(pattern: &str) -> Regex {
    // The patterns are constants of this file; a typo is caught by every test run.
    Regex::new(pattern).expect("constant pattern compiles")
}

string_newtype!(
    /// A 12-digit AWS account id.
    AccountId,
    field = "accountId",
    check = |v| matches(&ACCOUNT_ID, v, "must be a 12-digit AWS account id")
);

string_newtype!(
    /// An AWS Organizations OU id (`ou-…`) or root id (`r-…`).
    OuId,
    field = "ouId",
    check = |v| matches(&OU_ID, v, "must be an organizational unit id (ou-xxxx-xxxxxxxx) or a root id (r-xxxx)")
);

string_newtype!(
    /// The ARN of an IAM Identity Center permission set.
    PermissionSetArn,
    field = "permissionSetArn",
    check = |v| matches(
        &PERMISSION_SET_ARN,
        v,
        "must be a permission set ARN: arn:aws:sso:::permissionSet/ssoins-<16 chars>/ps-<16 chars>"
    )
);

string_newtype!(
    /// An Identity Center (Identity Store) user id.
    UserId,
    field = "userId",
    check = |v| matches(&IDENTITY_STORE_ID, v, "must be an Identity Store user id (1-64 letters, digits or '-')")
);

string_newtype!(
    /// An Identity Center (Identity Store) group id.
    GroupId,
    field = "groupId",
    check = |v| matches(&IDENTITY_STORE_ID, v, "must be an Identity Store group id (1-64 letters, digits or '-')")
);

string_newtype!(
    /// The id of an access request.
    RequestId,
    field = "requestId",
    check = |v| matches(&IDENTITY_STORE_ID, v, "must be a request id (1-64 letters, digits or '-')")
);

string_newtype!(
    /// The id of an eligibility or approver policy.
    PolicyId,
    field = "policyId",
    check = |v| matches(&IDENTITY_STORE_ID, v, "must be a policy id (1-64 letters, digits or '-')")
);

string_newtype!(
    /// Why access is needed: 1 to 2,000 characters, not only white space.
    Justification,
    field = "justification",
    check = |v| {
        if v.trim().is_empty() {
            Err("is required: say why you need this access")
        } else if v.chars().count() > 2000 {
            Err("must be at most 2000 characters")
        } else {
            Ok(())
        }
    }
);

string_newtype!(
    /// A change or incident ticket reference such as `INC-1234` or `CHG/2024/17`.
    TicketNo,
    field = "ticketNo",
    check = |v| matches(
        &TICKET,
        v,
        "must start with a letter or digit and have at most 64 letters, digits, '.', '_', '/' or '-'"
    )
);

string_newtype!(
    /// A decision or revocation comment: at most 2,000 characters.
    Comment,
    field = "comment",
    check = |v| {
        if v.chars().count() > 2000 { Err("must be at most 2000 characters") } else { Ok(()) }
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_id_must_have_twelve_digits() {
        assert!(AccountId::parse("123456789012").is_ok());
        let err = AccountId::parse("12345").unwrap_err();
        assert_eq!(err.field(), Some("accountId"));
        assert!(AccountId::parse("12345678901a").is_err());
    }

    #[test]
    fn permission_set_arn_is_checked() {
        assert!(
            PermissionSetArn::parse(
                "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-1234567890abcdef"
            )
            .is_ok()
        );
        assert!(PermissionSetArn::parse("arn:aws:iam::123456789012:role/Admin").is_err());
    }

    #[test]
    fn ticket_format_is_enforced() {
        assert!(TicketNo::parse("INC-1234").is_ok());
        assert!(TicketNo::parse("CHG/2024/17").is_ok());
        assert!(TicketNo::parse("-bad").is_err());
        assert!(TicketNo::parse("has space").is_err());
        assert!(TicketNo::parse("x".repeat(65)).is_err());
    }

    #[test]
    fn justification_cannot_be_blank_or_huge() {
        assert!(Justification::parse("   ").is_err());
        assert!(Justification::parse("a".repeat(2001)).is_err());
        assert!(Justification::parse("fix prod incident").is_ok());
    }

    #[test]
    fn deserialising_runs_the_same_check() {
        let bad: Result<AccountId, _> = serde_json::from_str("\"42\"");
        let message = bad.unwrap_err().to_string();
        assert!(message.contains("12-digit"), "{message}");
    }

    #[test]
    fn ou_and_root_ids() {
        assert!(OuId::parse("ou-ab12-cdef3456").is_ok());
        assert!(OuId::parse("r-ab12").is_ok());
        assert!(OuId::parse("ou-").is_err());
    }
}
