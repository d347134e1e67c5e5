//! What the rules' tests share: the account judged, who judges it, and times.

use chrono::{DateTime, Utc};

use crate::model::Identity;

/// The account every rule test judges.
pub(super) const ACCOUNT: &str = "123456789012";

/// The responder, in [`ACCOUNT`].
pub(super) fn identity() -> Identity {
    Identity {
        id: ACCOUNT.into(),
        alias: None,
        caller_arn: format!("arn:aws:iam::{ACCOUNT}:user/responder"),
    }
}

/// An RFC 3339 time.
pub(super) fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .expect("valid time")
}
