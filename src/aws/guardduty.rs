//! GuardDuty for one region: its detectors, whether each is enabled, and for a disabled one the
//! administrator account that manages it.

use aws_sdk_guardduty::types::DetectorStatus;

use super::context::AwsContext;
use super::error::{AwsError, CallSite};
use firebreak_core::model::Detector;
use firebreak_core::model::finding::ResourceType;

/// The detectors in `region` (a region has at most one), each with its status read (a failed
/// read keeps the detector, its status unknown, reported as a problem).
pub async fn detectors(
    ctx: &AwsContext,
    region: &str,
) -> Result<(Vec<Detector>, Vec<AwsError>), AwsError> {
    let client = ctx.guardduty(region);
    let site = |operation| CallSite {
        service: "guardduty",
        operation,
        region,
    };
    let ids: Vec<String> = client
        .list_detectors()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| site("ListDetectors").error(e))?;
    let mut detectors = Vec::new();
    let mut problems = Vec::new();
    for id in ids {
        let enabled = match client.get_detector().detector_id(&id).send().await {
            Ok(detector) => Some(detector.status() == Some(&DetectorStatus::Enabled)),
            Err(e) => {
                problems.push(
                    site("GetDetector")
                        .error(e)
                        .about(ResourceType::Detector, &id),
                );
                None
            }
        };
        // A member's detector suspended by its administrator can be enabled only there.
        let administrator = if enabled == Some(false) {
            match client
                .get_administrator_account()
                .detector_id(&id)
                .send()
                .await
            {
                Ok(answer) => answer
                    .administrator()
                    .filter(|a| a.relationship_status() != Some("Removed"))
                    .and_then(|a| a.account_id())
                    .map(str::to_string),
                Err(e) => {
                    problems.push(
                        site("GetAdministratorAccount")
                            .error(e)
                            .about(ResourceType::Detector, &id),
                    );
                    None
                }
            }
        } else {
            None
        };
        detectors.push(Detector {
            region: region.to_string(),
            id,
            enabled,
            administrator,
        });
    }
    Ok((detectors, problems))
}
