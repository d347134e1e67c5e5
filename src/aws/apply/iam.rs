//! IAM: access keys, login profiles, inline and managed policies, trust policies.

use aws_sdk_iam::types::StatusType;

use crate::aws::armed::Armed;
use crate::aws::context::AwsContext;
use crate::aws::error::AwsError;
use crate::aws::error::iam_site;
use crate::aws::planning::{attached_policies, inline_policy, trust_document};
use firebreak_core::model::operation::Operation;
use firebreak_core::model::operation::PrincipalKind;

/// Whether the account already holds what `operation` makes it hold, for this service's
/// operations; `None` for another's.
pub(super) async fn in_wanted_state(
    ctx: &AwsContext,
    _region: &str,
    operation: &Operation,
) -> Result<Option<bool>, AwsError> {
    let iam = ctx.iam();
    Ok(Some(match operation {
        Operation::DeactivateAccessKey { user, key_id }
        | Operation::ActivateAccessKey { user, key_id } => {
            let wanted = if matches!(operation, Operation::ActivateAccessKey { .. }) {
                StatusType::Active
            } else {
                StatusType::Inactive
            };
            let keys: Vec<_> = iam
                .list_access_keys()
                .user_name(user)
                .into_paginator()
                .items()
                .send()
                .try_collect()
                .await
                .map_err(|e| iam_site("ListAccessKeys").error(e))?;
            keys.iter()
                .any(|k| k.access_key_id() == Some(key_id.as_str()) && k.status() == Some(&wanted))
        }
        Operation::DeleteLoginProfile { user } => iam_site("GetLoginProfile")
            .optional(
                "NoSuchEntity",
                iam.get_login_profile().user_name(user).send(),
            )
            .await?
            .is_none(),
        Operation::PutUserPolicy {
            user,
            policy_name,
            document,
        } => inline_policy(ctx, PrincipalKind::User, user, policy_name)
            .await?
            .is_some_and(|existing| same_document(&existing, document)),
        Operation::DeleteUserPolicy { user, policy_name } => {
            inline_policy(ctx, PrincipalKind::User, user, policy_name)
                .await?
                .is_none()
        }
        Operation::PutRolePolicy {
            role,
            policy_name,
            document,
        } => inline_policy(ctx, PrincipalKind::Role, role, policy_name)
            .await?
            .is_some_and(|existing| same_document(&existing, document)),
        Operation::DeleteRolePolicy { role, policy_name } => {
            inline_policy(ctx, PrincipalKind::Role, role, policy_name)
                .await?
                .is_none()
        }
        Operation::AttachUserPolicy { user, policy_arn }
        | Operation::DetachUserPolicy { user, policy_arn } => {
            attached_policies(ctx, PrincipalKind::User, user)
                .await?
                .contains(policy_arn)
                == matches!(operation, Operation::AttachUserPolicy { .. })
        }
        Operation::AttachRolePolicy { role, policy_arn }
        | Operation::DetachRolePolicy { role, policy_arn } => {
            attached_policies(ctx, PrincipalKind::Role, role)
                .await?
                .contains(policy_arn)
                == matches!(operation, Operation::AttachRolePolicy { .. })
        }
        Operation::UpdateAssumeRolePolicy { role, document } => {
            same_document(&trust_document(ctx, role).await?, document)
        }
        _ => return Ok(None),
    }))
}

/// Sends the calls that make `operation`, for this service's operations (`None` for another's):
/// the inverse of the delta sent where it depends on the state just before.
pub(super) async fn send(
    ctx: &AwsContext,
    _region: &str,
    operation: &Operation,
    _armed: &Armed,
) -> Result<Option<Option<Operation>>, AwsError> {
    let iam = ctx.iam();
    let mut sent_inverse = None;
    match operation {
        Operation::DeactivateAccessKey { user, key_id }
        | Operation::ActivateAccessKey { user, key_id } => {
            let wanted = if matches!(operation, Operation::ActivateAccessKey { .. }) {
                StatusType::Active
            } else {
                StatusType::Inactive
            };
            iam_site("UpdateAccessKey")
                .run(
                    iam.update_access_key()
                        .user_name(user)
                        .access_key_id(key_id)
                        .status(wanted)
                        .send(),
                )
                .await?;
        }
        Operation::DeleteLoginProfile { user } => {
            iam_site("DeleteLoginProfile")
                .optional(
                    "NoSuchEntity",
                    iam.delete_login_profile().user_name(user).send(),
                )
                .await?;
        }
        Operation::PutUserPolicy {
            user,
            policy_name,
            document,
        } => {
            iam_site("PutUserPolicy")
                .run(
                    iam.put_user_policy()
                        .user_name(user)
                        .policy_name(policy_name)
                        .policy_document(document)
                        .send(),
                )
                .await?;
        }
        Operation::DeleteUserPolicy { user, policy_name } => {
            iam_site("DeleteUserPolicy")
                .optional(
                    "NoSuchEntity",
                    iam.delete_user_policy()
                        .user_name(user)
                        .policy_name(policy_name)
                        .send(),
                )
                .await?;
        }
        Operation::PutRolePolicy {
            role,
            policy_name,
            document,
        } => {
            iam_site("PutRolePolicy")
                .run(
                    iam.put_role_policy()
                        .role_name(role)
                        .policy_name(policy_name)
                        .policy_document(document)
                        .send(),
                )
                .await?;
        }
        Operation::DeleteRolePolicy { role, policy_name } => {
            iam_site("DeleteRolePolicy")
                .optional(
                    "NoSuchEntity",
                    iam.delete_role_policy()
                        .role_name(role)
                        .policy_name(policy_name)
                        .send(),
                )
                .await?;
        }
        Operation::AttachUserPolicy { user, policy_arn } => {
            iam_site("AttachUserPolicy")
                .run(
                    iam.attach_user_policy()
                        .user_name(user)
                        .policy_arn(policy_arn)
                        .send(),
                )
                .await?;
        }
        Operation::DetachUserPolicy { user, policy_arn } => {
            iam_site("DetachUserPolicy")
                .run(
                    iam.detach_user_policy()
                        .user_name(user)
                        .policy_arn(policy_arn)
                        .send(),
                )
                .await?;
        }
        Operation::AttachRolePolicy { role, policy_arn } => {
            iam_site("AttachRolePolicy")
                .run(
                    iam.attach_role_policy()
                        .role_name(role)
                        .policy_arn(policy_arn)
                        .send(),
                )
                .await?;
        }
        Operation::DetachRolePolicy { role, policy_arn } => {
            iam_site("DetachRolePolicy")
                .run(
                    iam.detach_role_policy()
                        .role_name(role)
                        .policy_arn(policy_arn)
                        .send(),
                )
                .await?;
        }
        Operation::UpdateAssumeRolePolicy { role, document } => {
            sent_inverse = Some(Operation::UpdateAssumeRolePolicy {
                role: role.clone(),
                document: trust_document(ctx, role).await?,
            });
            iam_site("UpdateAssumeRolePolicy")
                .run(
                    iam.update_assume_role_policy()
                        .role_name(role)
                        .policy_document(document)
                        .send(),
                )
                .await?;
        }
        _ => return Ok(None),
    }
    Ok(Some(sent_inverse))
}

/// Whether two policy documents say the same (IAM returns them URL-encoded and reformatted).
fn same_document(existing: &str, wanted: &str) -> bool {
    let decoded = percent_encoding::percent_decode_str(existing).decode_utf8_lossy();
    let parse = |text: &str| serde_json::from_str::<serde_json::Value>(text).ok();
    match (parse(&decoded), parse(wanted)) {
        (Some(a), Some(b)) => a == b,
        _ => decoded == wanted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_compare_by_meaning() {
        assert!(same_document(
            "%7B%22Statement%22%3A%5B%5D%7D",
            "{ \"Statement\": [] }"
        ));
        assert!(!same_document("{\"a\":1}", "{\"a\":2}"));
    }
}
