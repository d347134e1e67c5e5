//! EC2 instance profiles' mutating calls: an unknown profile association removed
//! (detach-profile) and made again (its undo).

use aws_sdk_ec2::types::IamInstanceProfileSpecification;

use crate::aws::armed::Armed;
use crate::aws::context::AwsContext;
use crate::aws::error::{AwsError, ec2_site};
use firebreak_core::model::operation::Operation;

/// Whether the instance already has (associate) or no longer has (disassociate) the profile;
/// `None` for other operations.
pub(super) async fn in_wanted_state(
    ctx: &AwsContext,
    region: &str,
    operation: &Operation,
) -> Result<Option<bool>, AwsError> {
    Ok(Some(match operation {
        Operation::DisassociateProfile {
            instance_id,
            profile_arn,
            ..
        } => association(ctx, region, instance_id)
            .await?
            .is_none_or(|(_, arn)| arn != *profile_arn),
        Operation::AssociateProfile {
            instance_id,
            profile_arn,
        } => association(ctx, region, instance_id)
            .await?
            .is_some_and(|(_, arn)| arn == *profile_arn),
        _ => return Ok(None),
    }))
}

/// Removes the association in force (read now), or associates the profile; `None` for other
/// operations.
pub(super) async fn send(
    ctx: &AwsContext,
    region: &str,
    operation: &Operation,
    _armed: &Armed,
) -> Result<Option<Option<Operation>>, AwsError> {
    match operation {
        Operation::DisassociateProfile {
            instance_id,
            profile_arn,
            ..
        } => {
            // The association id is read now: it is the one to remove, whatever the scan saw.
            let id = match association(ctx, region, instance_id).await? {
                Some((id, arn)) if arn == *profile_arn => id,
                _ => return Ok(Some(None)),
            };
            ec2_site("DisassociateIamInstanceProfile", region)
                .run(
                    ctx.ec2(region)
                        .disassociate_iam_instance_profile()
                        .association_id(id)
                        .send(),
                )
                .await?;
        }
        Operation::AssociateProfile {
            instance_id,
            profile_arn,
        } => {
            ec2_site("AssociateIamInstanceProfile", region)
                .run(
                    ctx.ec2(region)
                        .associate_iam_instance_profile()
                        .instance_id(instance_id)
                        .iam_instance_profile(
                            IamInstanceProfileSpecification::builder()
                                .arn(profile_arn)
                                .build(),
                        )
                        .send(),
                )
                .await?;
        }
        _ => return Ok(None),
    }
    Ok(Some(None))
}

/// The instance's profile association in force (id, profile ARN), if any.
async fn association(
    ctx: &AwsContext,
    region: &str,
    instance_id: &str,
) -> Result<Option<(String, String)>, AwsError> {
    let found: Vec<_> = ctx
        .ec2(region)
        .describe_iam_instance_profile_associations()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("instance-id")
                .values(instance_id)
                .build(),
        )
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| ec2_site("DescribeIamInstanceProfileAssociations", region).error(e))?;
    Ok(found
        .iter()
        .filter(|a| {
            a.instance_id() == Some(instance_id)
                && a.state()
                    .is_some_and(|s| matches!(s.as_str(), "associating" | "associated"))
        })
        .find_map(|a| {
            Some((
                a.association_id()?.to_string(),
                a.iam_instance_profile()?.arn()?.to_string(),
            ))
        }))
}
