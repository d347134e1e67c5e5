//! EC2: snapshot and AMI sharing, block public access for snapshots and images.

use aws_sdk_ec2::types::{
    ImageBlockPublicAccessEnabledState, LaunchPermission, LaunchPermissionModifications,
    OperationType, PermissionGroup, SnapshotAttributeName, SnapshotBlockPublicAccessState,
};

use crate::aws::armed::Armed;
use crate::aws::context::AwsContext;
use crate::aws::error::AwsError;
use crate::aws::error::ec2_site;
use crate::aws::planning::{
    image_block_public_access, image_sharing, snapshot_block_public_access, snapshot_sharing,
};
use firebreak_core::model::operation::Operation;
use firebreak_core::model::operation::{SharingChange, SnapshotBlock};

/// Whether the account already holds what `operation` makes it hold, for this service's
/// operations; `None` for another's.
pub(super) async fn in_wanted_state(
    ctx: &AwsContext,
    region: &str,
    operation: &Operation,
) -> Result<Option<bool>, AwsError> {
    Ok(Some(match operation {
        Operation::ModifySnapshotSharing {
            snapshot_id,
            change,
        } => change
            .still_needed(&snapshot_sharing(ctx, region, snapshot_id).await?)
            .is_empty(),
        Operation::ModifyImageSharing { image_id, change } => change
            .still_needed(&image_sharing(ctx, region, image_id).await?)
            .is_empty(),
        Operation::EnableSnapshotBlockPublicAccess
        | Operation::BlockNewSnapshotSharing
        | Operation::DisableSnapshotBlockPublicAccess => {
            // Only the exact state counts: block-new-sharing leaves public snapshots public.
            snapshot_block_public_access(ctx, region).await? == snapshot_block_wanted(operation)
        }
        Operation::EnableImageBlockPublicAccess | Operation::DisableImageBlockPublicAccess => {
            image_block_public_access(ctx, region).await?
                == matches!(operation, Operation::EnableImageBlockPublicAccess)
        }
        _ => return Ok(None),
    }))
}

/// Sends the calls that make `operation`, for this service's operations (`None` for another's):
/// the inverse of the delta sent where it depends on the state just before.
pub(super) async fn send(
    ctx: &AwsContext,
    region: &str,
    operation: &Operation,
    _armed: &Armed,
) -> Result<Option<Option<Operation>>, AwsError> {
    let mut sent_inverse = None;
    match operation {
        Operation::ModifySnapshotSharing {
            snapshot_id,
            change,
        } => {
            let needed = change.still_needed(&snapshot_sharing(ctx, region, snapshot_id).await?);
            sent_inverse = Some(Operation::ModifySnapshotSharing {
                snapshot_id: snapshot_id.clone(),
                change: needed.inverse(),
            });
            for (kind, public, accounts) in permission_calls(&needed) {
                let mut request = ctx
                    .ec2(region)
                    .modify_snapshot_attribute()
                    .snapshot_id(snapshot_id)
                    .attribute(SnapshotAttributeName::CreateVolumePermission)
                    .operation_type(kind);
                if public {
                    request = request.group_names("all");
                }
                for account in accounts {
                    request = request.user_ids(account);
                }
                ec2_site("ModifySnapshotAttribute", region)
                    .run(request.send())
                    .await?;
            }
        }
        Operation::ModifyImageSharing { image_id, change } => {
            let needed = change.still_needed(&image_sharing(ctx, region, image_id).await?);
            sent_inverse = Some(Operation::ModifyImageSharing {
                image_id: image_id.clone(),
                change: needed.inverse(),
            });
            for (kind, public, accounts) in permission_calls(&needed) {
                let mut grants: Vec<LaunchPermission> = accounts
                    .iter()
                    .map(|a| LaunchPermission::builder().user_id(a).build())
                    .collect();
                if public {
                    grants.push(
                        LaunchPermission::builder()
                            .group(PermissionGroup::All)
                            .build(),
                    );
                }
                let modifications = match kind {
                    OperationType::Remove => {
                        LaunchPermissionModifications::builder().set_remove(Some(grants))
                    }
                    _ => LaunchPermissionModifications::builder().set_add(Some(grants)),
                };
                ec2_site("ModifyImageAttribute", region)
                    .run(
                        ctx.ec2(region)
                            .modify_image_attribute()
                            .image_id(image_id)
                            .launch_permission(modifications.build())
                            .send(),
                    )
                    .await?;
            }
        }
        Operation::EnableSnapshotBlockPublicAccess
        | Operation::BlockNewSnapshotSharing
        | Operation::DisableSnapshotBlockPublicAccess => {
            let ec2 = ctx.ec2(region);
            let state = match snapshot_block_wanted(operation) {
                SnapshotBlock::BlockAllSharing => {
                    Some(SnapshotBlockPublicAccessState::BlockAllSharing)
                }
                SnapshotBlock::BlockNewSharing => {
                    Some(SnapshotBlockPublicAccessState::BlockNewSharing)
                }
                SnapshotBlock::Unblocked => None,
            };
            if let Some(state) = state {
                ec2_site("EnableSnapshotBlockPublicAccess", region)
                    .run(
                        ec2.enable_snapshot_block_public_access()
                            .state(state)
                            .send(),
                    )
                    .await?;
            } else {
                ec2_site("DisableSnapshotBlockPublicAccess", region)
                    .run(ec2.disable_snapshot_block_public_access().send())
                    .await?;
            }
        }
        Operation::EnableImageBlockPublicAccess => {
            ec2_site("EnableImageBlockPublicAccess", region)
                .run(
                    ctx.ec2(region)
                        .enable_image_block_public_access()
                        .image_block_public_access_state(
                            ImageBlockPublicAccessEnabledState::BlockNewSharing,
                        )
                        .send(),
                )
                .await?;
        }
        Operation::DisableImageBlockPublicAccess => {
            ec2_site("DisableImageBlockPublicAccess", region)
                .run(ctx.ec2(region).disable_image_block_public_access().send())
                .await?;
        }
        _ => return Ok(None),
    }
    Ok(Some(sent_inverse))
}

/// The snapshot block-public-access state a snapshot BPA operation wants.
fn snapshot_block_wanted(operation: &Operation) -> SnapshotBlock {
    match operation {
        Operation::EnableSnapshotBlockPublicAccess => SnapshotBlock::BlockAllSharing,
        Operation::BlockNewSnapshotSharing => SnapshotBlock::BlockNewSharing,
        _ => SnapshotBlock::Unblocked,
    }
}

/// The ModifyXAttribute calls that make `change`: (operation, group `all`?, accounts).
fn permission_calls(change: &SharingChange) -> Vec<(OperationType, bool, Vec<String>)> {
    let mut calls = Vec::new();
    if change.remove_public || !change.remove_accounts.is_empty() {
        calls.push((
            OperationType::Remove,
            change.remove_public,
            change.remove_accounts.clone(),
        ));
    }
    if change.add_public || !change.add_accounts.is_empty() {
        calls.push((
            OperationType::Add,
            change.add_public,
            change.add_accounts.clone(),
        ));
    }
    calls
}

#[cfg(test)]
mod tests {
    use super::*;
    use firebreak_core::model::Sharing;

    #[test]
    fn sharing_calls_only_ask_for_what_is_left() {
        let now = Sharing {
            public: true,
            accounts: ["111111111111".to_string(), "222222222222".to_string()].into(),
            organizations: Default::default(),
        };
        let change =
            SharingChange::remove(true, vec!["222222222222".into(), "333333333333".into()]);
        assert_eq!(
            permission_calls(&change.still_needed(&now)),
            vec![(
                OperationType::Remove,
                true,
                vec!["222222222222".to_string()]
            )]
        );
        let done = SharingChange::remove(true, vec!["222222222222".into()]);
        assert!(done.still_needed(&Sharing::default()).is_empty());
        let restore = done.inverse();
        assert_eq!(
            permission_calls(&restore.still_needed(&Sharing::default())),
            vec![(OperationType::Add, true, vec!["222222222222".to_string()])]
        );
    }
}
