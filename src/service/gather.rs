//! What planning reads and refuses alike for several playbooks: block public access per region,
//! what a scan could not read, and a target that does not exist named as such.

use std::collections::BTreeMap;

use super::error::ServiceError;
use super::session::Session;
use crate::aws::{AwsError, planning};
use firebreak_core::playbook::revert_sharing::BlockPublicAccess;

/// The refusal for a target that does not exist (or a request with none).
pub(super) fn no_such(message: String) -> ServiceError {
    ServiceError::NoSuchTarget(message)
}

/// Block-public-access state of each region (`None` where it could not be read).
pub(super) async fn block_states(
    session: &Session,
    regions: &[String],
) -> BTreeMap<String, BlockPublicAccess> {
    let reads = regions.iter().map(|region| async move {
        let (snapshots, images) = tokio::join!(
            planning::snapshot_block_public_access(&session.ctx, region),
            planning::image_block_public_access(&session.ctx, region),
        );
        (
            region.clone(),
            BlockPublicAccess {
                snapshots: snapshots.ok(),
                images: images.ok(),
            },
        )
    });
    futures::future::join_all(reads).await.into_iter().collect()
}

/// What a scan could not read, one line each (service, operation, region, code, request id).
pub(super) fn unread(state: &firebreak_core::scan::ScanState) -> Vec<String> {
    std::iter::once(&state.global)
        .chain(&state.regions)
        .flat_map(|r| &r.errors)
        .map(|e| e.to_string())
        .collect()
}

/// Whether AWS answered that the named resource does not exist.
pub(super) fn is_not_found(error: &AwsError) -> bool {
    matches!(
        error.code.as_str(),
        "ResourceNotFoundException"
            | "NoSuchBucket"
            | "InvalidSnapshot.NotFound"
            | "InvalidAMIID.NotFound"
            | "InvalidAMIID.Malformed"
            | "InvalidSnapshotID.Malformed"
    )
}

/// AWS's not-found as the refusal naming the target; any other error as it is.
pub(super) fn not_found_as_target(error: AwsError, message: &str) -> ServiceError {
    if is_not_found(&error) {
        no_such(message.to_string())
    } else {
        error.into()
    }
}
