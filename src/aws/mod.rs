//! The only module that touches AWS SDK types. Everything it returns is a domain type from
//! `firebreak_core::model` or an `AwsError`.

pub mod apigateway;
pub mod apply;
pub mod armed;
pub(crate) mod attempts;
pub mod cloudtrail;
pub mod context;
pub mod download;
pub mod ec2;
pub mod emulator_shims;
pub mod error;
pub mod eventbridge;
pub mod guardduty;
pub mod iam;
pub mod lambda;
pub(crate) mod pace;
pub mod planning;
pub mod rds;
pub mod s3;
pub mod s3_state;
pub mod sandbox;
mod unimplemented;
mod unreachable;

pub use context::{AwsContext, ConnectOptions};
pub use error::AwsError;

use chrono::{DateTime, Utc};

/// Converts an SDK timestamp to chrono.
fn to_utc(time: &aws_sdk_iam::primitives::DateTime) -> DateTime<Utc> {
    DateTime::from_timestamp(time.secs(), time.subsec_nanos()).unwrap_or_default()
}
#[cfg(test)]
mod mock_tests;
