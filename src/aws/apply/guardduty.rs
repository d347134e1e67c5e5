//! GuardDuty's mutating calls: a detector enabled or created (restore-detection), disabled
//! (its undo).

use aws_sdk_guardduty::types::DetectorStatus;

use crate::aws::armed::Armed;
use crate::aws::context::AwsContext;
use crate::aws::error::{AwsError, CallSite};
use firebreak_core::model::operation::Operation;

fn site<'a>(operation: &'a str, region: &'a str) -> CallSite<'a> {
    CallSite {
        service: "guardduty",
        operation,
        region,
    }
}

/// Whether the detector is as `operation` wants, or the region already has an enabled one
/// (create); `None` for other operations.
pub(super) async fn in_wanted_state(
    ctx: &AwsContext,
    region: &str,
    operation: &Operation,
) -> Result<Option<bool>, AwsError> {
    Ok(Some(match operation {
        Operation::EnableDetector { detector_id } | Operation::DisableDetector { detector_id } => {
            let wanted = matches!(operation, Operation::EnableDetector { .. });
            let detector = site("GetDetector", region)
                .run(
                    ctx.guardduty(region)
                        .get_detector()
                        .detector_id(detector_id)
                        .send(),
                )
                .await?;
            (detector.status() == Some(&DetectorStatus::Enabled)) == wanted
        }
        Operation::CreateDetector => any_enabled_detector(ctx, region).await?,
        _ => return Ok(None),
    }))
}

/// Enables, disables or creates the detector; `None` for other operations.
pub(super) async fn send(
    ctx: &AwsContext,
    region: &str,
    operation: &Operation,
    _armed: &Armed,
) -> Result<Option<Option<Operation>>, AwsError> {
    match operation {
        Operation::EnableDetector { detector_id } | Operation::DisableDetector { detector_id } => {
            site("UpdateDetector", region)
                .run(
                    ctx.guardduty(region)
                        .update_detector()
                        .detector_id(detector_id)
                        .enable(matches!(operation, Operation::EnableDetector { .. }))
                        .send(),
                )
                .await?;
        }
        Operation::CreateDetector => {
            site("CreateDetector", region)
                .run(ctx.guardduty(region).create_detector().enable(true).send())
                .await?;
        }
        _ => return Ok(None),
    }
    Ok(Some(None))
}

/// The GuardDuty detector ids in `region`.
async fn detector_ids(ctx: &AwsContext, region: &str) -> Result<Vec<String>, AwsError> {
    ctx.guardduty(region)
        .list_detectors()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| site("ListDetectors", region).error(e))
}

/// Whether `region` has an enabled GuardDuty detector (a disabled one does not detect).
async fn any_enabled_detector(ctx: &AwsContext, region: &str) -> Result<bool, AwsError> {
    let client = ctx.guardduty(region);
    for id in detector_ids(ctx, region).await? {
        let detector = site("GetDetector", region)
            .run(client.get_detector().detector_id(&id).send())
            .await?;
        if detector.status() == Some(&DetectorStatus::Enabled) {
            return Ok(true);
        }
    }
    Ok(false)
}
