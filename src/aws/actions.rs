//! Reads that playbooks plan from, and the mutating calls the engine sends. Every mutating call
//! needs an `Armed` token, which only the playbook engine can make, and only when not read-only.
//! Each call first reads the current state, so re-running a step that is already done reports
//! `AlreadyDone` instead of changing anything.

use aws_sdk_ec2::types::{
    ImageAttributeName, ImageBlockPublicAccessEnabledState, LaunchPermission,
    LaunchPermissionModifications, OperationType, PermissionGroup, SnapshotAttributeName,
    SnapshotBlockPublicAccessState,
};
use aws_sdk_iam::types::StatusType;
use aws_sdk_lambda::types::FunctionUrlAuthType;
use futures::StreamExt;

pub use super::armed::Armed;
use super::context::AwsContext;
use super::countermeasures;
use super::error::{AwsError, CallSite};
use super::error::{ec2_site, iam_site, lambda_site};

use crate::model::operation::{
    KeyState, Operation, PrincipalKind, PrincipalRef, REVOKE_SESSIONS_POLICY, RoleState,
    SharingChange, SnapshotBlock, UserState, policy_chars,
};
use crate::model::{KeyStatus, Principals, Sharing, UrlAuth};
use crate::policy::parse_principals;
use std::collections::BTreeSet;

/// What a mutating call found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// The change was sent. `inverse` undoes exactly what was sent, read just before sending,
    /// for operations whose inverse depends on that state (sharing, trust, concurrency); `None`
    /// where the plan's inverse is already exact.
    Changed { inverse: Option<Box<Operation>> },
    /// Already in the wanted state: nothing was sent.
    AlreadyDone,
}

/// Reads a user's keys, login profile and inline policies; `None` if there is no such user.
pub async fn user_state(ctx: &AwsContext, name: &str) -> Result<Option<UserState>, AwsError> {
    let iam = ctx.iam();
    let found = iam_site("GetUser")
        .optional("NoSuchEntity", iam.get_user().user_name(name).send())
        .await?;
    // The name as IAM spells it (lookups ignore case), so the guard compares the real name.
    let Some(name) = found
        .as_ref()
        .and_then(|out| out.user())
        .map(|user| user.user_name().to_string())
    else {
        return Ok(None);
    };
    let name = name.as_str();
    let keys: Vec<_> = iam
        .list_access_keys()
        .user_name(name)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| iam_site("ListAccessKeys").error(e))?;
    let login_profile = iam_site("GetLoginProfile")
        .optional(
            "NoSuchEntity",
            iam.get_login_profile().user_name(name).send(),
        )
        .await?
        .is_some();
    let revoke_sessions_document =
        inline_policy(ctx, PrincipalKind::User, name, REVOKE_SESSIONS_POLICY)
            .await?
            .map(|document| decode_document(&document));
    let inline_chars = inline_policy_chars(ctx, PrincipalKind::User, name).await?;
    Ok(Some(UserState {
        inline_chars,
        name: name.to_string(),
        keys: keys
            .iter()
            .map(|k| {
                let status = if k.status() == Some(&StatusType::Active) {
                    KeyStatus::Active
                } else {
                    KeyStatus::Inactive
                };
                (k.access_key_id().unwrap_or_default().to_string(), status)
            })
            .collect(),
        login_profile,
        revoke_sessions_document,
    }))
}

/// Characters the inline policies of a user or role use of IAM's quota (whitespace is not
/// counted, as IAM does not), firebreak's own left out: they are replaced, not added.
pub async fn inline_policy_chars(
    ctx: &AwsContext,
    kind: PrincipalKind,
    name: &str,
) -> Result<usize, AwsError> {
    let iam = ctx.iam();
    let names: Vec<String> = match kind {
        PrincipalKind::User => iam
            .list_user_policies()
            .user_name(name)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| iam_site("ListUserPolicies").error(e))?,
        PrincipalKind::Role => iam
            .list_role_policies()
            .role_name(name)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| iam_site("ListRolePolicies").error(e))?,
    };
    let mut chars = 0;
    for policy in names.iter().filter(|p| !p.starts_with("firebreak-")) {
        let document = inline_policy(ctx, kind, name, policy).await?;
        chars += policy_chars(&decode_document(&document.unwrap_or_default()));
    }
    Ok(chars)
}

/// The services a trust policy lets assume its role, when nothing but AWS services may.
fn only_services(trust: Principals) -> Option<BTreeSet<String>> {
    (!trust.public
        && trust.accounts.is_empty()
        && trust.arns.is_empty()
        && trust.federated.is_empty()
        && !trust.services.is_empty())
    .then_some(trust.services)
}

/// Every IAM user and role, with its path (and for a role only AWS services may assume, those
/// services).
pub async fn principals(ctx: &AwsContext) -> Result<Vec<PrincipalRef>, AwsError> {
    let iam = ctx.iam();
    let users: Vec<_> = iam
        .list_users()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| iam_site("ListUsers").error(e))?;
    let roles: Vec<_> = iam
        .list_roles()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| iam_site("ListRoles").error(e))?;
    type Listed = (PrincipalKind, String, String, Option<BTreeSet<String>>);
    let listed: Vec<Listed> = users
        .iter()
        .map(|u| {
            (
                PrincipalKind::User,
                u.user_name().to_string(),
                u.path().to_string(),
                None,
            )
        })
        .chain(roles.iter().map(|r| {
            (
                PrincipalKind::Role,
                r.role_name().to_string(),
                r.path().to_string(),
                r.assume_role_policy_document()
                    .and_then(|document| parse_principals(document).ok())
                    .and_then(only_services),
            )
        }))
        .collect();
    // How much of its inline quota each uses decides whether an inline deny fits.
    let sized: Vec<Result<PrincipalRef, AwsError>> = futures::stream::iter(listed)
        .map(|(kind, name, path, trusted_services)| async move {
            Ok(PrincipalRef {
                inline_chars: inline_policy_chars(ctx, kind, &name).await?,
                kind,
                name,
                path,
                trusted_services,
            })
        })
        .buffer_unordered(8)
        .collect()
        .await;
    sized.into_iter().collect()
}

/// Reads a role's path, trust policy and firebreak's revoke policy; `None` if there is no such
/// role.
pub async fn role_state(ctx: &AwsContext, name: &str) -> Result<Option<RoleState>, AwsError> {
    let iam = ctx.iam();
    let found = iam_site("GetRole")
        .optional("NoSuchEntity", iam.get_role().role_name(name).send())
        .await?;
    let Some(role) = found.as_ref().and_then(|out| out.role()) else {
        return Ok(None);
    };
    let name = role.role_name().to_string();
    let revoke_sessions_document =
        inline_policy(ctx, PrincipalKind::Role, &name, REVOKE_SESSIONS_POLICY)
            .await?
            .map(|document| decode_document(&document));
    let inline_chars = inline_policy_chars(ctx, PrincipalKind::Role, &name).await?;
    Ok(Some(RoleState {
        inline_chars,
        path: role.path().to_string(),
        trust_document: decode_document(role.assume_role_policy_document().unwrap_or_default()),
        revoke_sessions_document,
        name,
    }))
}

/// Every role with its path and trust policy (JSON).
pub async fn role_trusts(ctx: &AwsContext) -> Result<Vec<(String, String, String)>, AwsError> {
    let roles: Vec<_> = ctx
        .iam()
        .list_roles()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| iam_site("ListRoles").error(e))?;
    Ok(roles
        .iter()
        .map(|r| {
            (
                r.role_name().to_string(),
                r.path().to_string(),
                decode_document(r.assume_role_policy_document().unwrap_or_default()),
            )
        })
        .collect())
}

/// The user an access key belongs to and its status; `None` if no user of the account has it.
pub async fn key_state(ctx: &AwsContext, key_id: &str) -> Result<Option<KeyState>, AwsError> {
    let iam = ctx.iam();
    let last_used = iam_site("GetAccessKeyLastUsed")
        .optional(
            "NoSuchEntity",
            iam.get_access_key_last_used().access_key_id(key_id).send(),
        )
        .await?;
    let Some(user) = last_used.and_then(|out| out.user_name().map(str::to_string)) else {
        return Ok(None);
    };
    let keys: Vec<_> = iam
        .list_access_keys()
        .user_name(&user)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| iam_site("ListAccessKeys").error(e))?;
    Ok(keys
        .iter()
        .find(|k| k.access_key_id() == Some(key_id))
        .map(|k| KeyState {
            key_id: key_id.to_string(),
            user: user.clone(),
            status: if k.status() == Some(&StatusType::Active) {
                KeyStatus::Active
            } else {
                KeyStatus::Inactive
            },
        }))
}

/// A function's (or one alias's or version's own) resource policy (`None` when it has none).
pub async fn function_policy(
    ctx: &AwsContext,
    region: &str,
    function: &str,
    qualifier: Option<&str>,
) -> Result<Option<String>, AwsError> {
    super::lambda::policy_document(&ctx.lambda(region), region, function, qualifier).await
}

/// A function's (or one alias's or version's) URL auth type (`None` when it has no URL).
pub async fn function_url_auth(
    ctx: &AwsContext,
    region: &str,
    function: &str,
    qualifier: Option<&str>,
) -> Result<Option<UrlAuth>, AwsError> {
    super::lambda::url_auth(&ctx.lambda(region), region, function, qualifier).await
}

/// A function's qualifiers: its aliases and published versions.
pub async fn function_qualifiers(
    ctx: &AwsContext,
    region: &str,
    function: &str,
) -> Result<Vec<String>, AwsError> {
    super::lambda::qualifiers(&ctx.lambda(region), region, function).await
}

/// Whether a function exists in `region`.
pub async fn function_exists(
    ctx: &AwsContext,
    region: &str,
    function: &str,
) -> Result<bool, AwsError> {
    Ok(lambda_site("GetFunction", region)
        .optional(
            "ResourceNotFoundException",
            ctx.lambda(region)
                .get_function()
                .function_name(function)
                .send(),
        )
        .await?
        .is_some())
}

/// A role's trust policy document, decoded (GetRole).
async fn trust_document(ctx: &AwsContext, role: &str) -> Result<String, AwsError> {
    let out = iam_site("GetRole")
        .run(ctx.iam().get_role().role_name(role).send())
        .await?;
    Ok(decode_document(
        out.role()
            .and_then(|r| r.assume_role_policy_document())
            .unwrap_or_default(),
    ))
}

/// IAM returns policy documents URL-encoded.
pub(crate) fn decode_document(document: &str) -> String {
    percent_encoding::percent_decode_str(document)
        .decode_utf8_lossy()
        .into_owned()
}

/// Who a snapshot is shared with (DescribeSnapshotAttribute createVolumePermission).
pub async fn snapshot_sharing(
    ctx: &AwsContext,
    region: &str,
    id: &str,
) -> Result<Sharing, AwsError> {
    snapshot_sharing_with(&ctx.ec2(region), region, id).await
}

/// `snapshot_sharing` with a client already made for `region`.
pub(crate) async fn snapshot_sharing_with(
    ec2: &aws_sdk_ec2::Client,
    region: &str,
    id: &str,
) -> Result<Sharing, AwsError> {
    let out = ec2_site("DescribeSnapshotAttribute", region)
        .run(
            ec2.describe_snapshot_attribute()
                .snapshot_id(id)
                .attribute(SnapshotAttributeName::CreateVolumePermission)
                .send(),
        )
        .await?;
    let mut sharing = Sharing::default();
    for permission in out.create_volume_permissions() {
        add_grant(&mut sharing, permission.group(), permission.user_id());
    }
    Ok(sharing)
}

/// Who an image is shared with (DescribeImageAttribute launchPermission).
pub async fn image_sharing(ctx: &AwsContext, region: &str, id: &str) -> Result<Sharing, AwsError> {
    image_sharing_with(&ctx.ec2(region), region, id).await
}

/// `image_sharing` with a client already made for `region`.
pub(crate) async fn image_sharing_with(
    ec2: &aws_sdk_ec2::Client,
    region: &str,
    id: &str,
) -> Result<Sharing, AwsError> {
    let out = ec2_site("DescribeImageAttribute", region)
        .run(
            ec2.describe_image_attribute()
                .image_id(id)
                .attribute(ImageAttributeName::LaunchPermission)
                .send(),
        )
        .await?;
    let mut sharing = Sharing::default();
    for permission in out.launch_permissions() {
        add_grant(&mut sharing, permission.group(), permission.user_id());
        for org in [
            permission.organization_arn(),
            permission.organizational_unit_arn(),
        ]
        .into_iter()
        .flatten()
        {
            sharing.organizations.insert(org.to_string());
        }
    }
    Ok(sharing)
}

/// Adds one permission entry (`group=all` or a user id) to `sharing`.
fn add_grant(sharing: &mut Sharing, group: Option<&PermissionGroup>, user_id: Option<&str>) {
    if group == Some(&PermissionGroup::All) {
        sharing.public = true;
    }
    if let Some(account) = user_id {
        sharing.accounts.insert(account.to_string());
    }
}

/// Snapshot block public access in `region`.
pub async fn snapshot_block_public_access(
    ctx: &AwsContext,
    region: &str,
) -> Result<SnapshotBlock, AwsError> {
    let out = ec2_site("GetSnapshotBlockPublicAccessState", region)
        .run(
            ctx.ec2(region)
                .get_snapshot_block_public_access_state()
                .send(),
        )
        .await?;
    Ok(match out.state() {
        Some(SnapshotBlockPublicAccessState::BlockAllSharing) => SnapshotBlock::BlockAllSharing,
        Some(SnapshotBlockPublicAccessState::BlockNewSharing) => SnapshotBlock::BlockNewSharing,
        _ => SnapshotBlock::Unblocked,
    })
}

/// Whether image block public access is on in `region`.
pub async fn image_block_public_access(ctx: &AwsContext, region: &str) -> Result<bool, AwsError> {
    let out = ec2_site("GetImageBlockPublicAccessState", region)
        .run(ctx.ec2(region).get_image_block_public_access_state().send())
        .await?;
    Ok(out
        .image_block_public_access_state()
        .is_some_and(|s| s != "unblocked"))
}

/// Sends `operation` in `region` unless the account is already in the wanted state.
pub async fn apply(
    ctx: &AwsContext,
    region: &str,
    operation: &Operation,
    armed: &Armed,
) -> Result<Applied, AwsError> {
    if in_wanted_state(ctx, region, operation).await? {
        return Ok(Applied::AlreadyDone);
    }
    let inverse = send(ctx, region, operation, armed).await?;
    Ok(Applied::Changed {
        inverse: inverse.map(Box::new),
    })
}

/// Whether the account already holds what `operation` makes it hold. Reads only: the engine
/// asks again after a call that failed or timed out, since AWS may have applied it anyway.
pub async fn in_wanted_state(
    ctx: &AwsContext,
    region: &str,
    operation: &Operation,
) -> Result<bool, AwsError> {
    let iam = ctx.iam();
    Ok(match operation {
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
        Operation::CaptureFunctionEvidence { directory, .. } => crate::evidence::exists(directory),
        Operation::PutFunctionConcurrency { function, reserved } => {
            super::lambda::reserved_concurrency(ctx, region, function).await? == Some(*reserved)
        }
        Operation::DeleteFunctionConcurrency { function } => {
            super::lambda::reserved_concurrency(ctx, region, function)
                .await?
                .is_none()
        }
        Operation::DeleteFunction { function, .. } => {
            !function_exists(ctx, region, function).await?
        }
        Operation::RemoveFunctionPermission {
            function,
            statement_id,
            qualifier,
        } => !has_statement(ctx, region, function, qualifier.as_deref(), statement_id).await?,
        Operation::AddFunctionPermission {
            function,
            grant,
            qualifier,
        } => {
            has_statement(
                ctx,
                region,
                function,
                qualifier.as_deref(),
                &grant.statement_id,
            )
            .await?
        }
        Operation::SetFunctionUrlAuth {
            function,
            auth,
            qualifier,
        } => function_url_auth(ctx, region, function, qualifier.as_deref()).await? == Some(*auth),
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
        Operation::StartLogging { .. }
        | Operation::StopLogging { .. }
        | Operation::EnableDetector { .. }
        | Operation::DisableDetector { .. }
        | Operation::CreateDetector
        | Operation::RevokeIngress { .. }
        | Operation::AuthorizeIngress { .. }
        | Operation::DisableEventRule { .. }
        | Operation::EnableEventRule { .. }
        | Operation::DisassociateProfile { .. }
        | Operation::AssociateProfile { .. }
        | Operation::DisableApiKey { .. }
        | Operation::EnableApiKey { .. } => {
            match countermeasures::in_wanted_state(ctx, region, operation).await {
                Some(wanted) => wanted?,
                None => return Err(not_a_countermeasure(region, operation)),
            }
        }
    })
}

/// The snapshot block-public-access state a snapshot BPA operation wants.
fn snapshot_block_wanted(operation: &Operation) -> SnapshotBlock {
    match operation {
        Operation::EnableSnapshotBlockPublicAccess => SnapshotBlock::BlockAllSharing,
        Operation::BlockNewSnapshotSharing => SnapshotBlock::BlockNewSharing,
        _ => SnapshotBlock::Unblocked,
    }
}

/// An inline policy of a user or role, as IAM returns it (URL-encoded); `None` when it has none
/// by that name.
async fn inline_policy(
    ctx: &AwsContext,
    kind: PrincipalKind,
    name: &str,
    policy_name: &str,
) -> Result<Option<String>, AwsError> {
    let iam = ctx.iam();
    Ok(match kind {
        PrincipalKind::User => iam_site("GetUserPolicy")
            .optional(
                "NoSuchEntity",
                iam.get_user_policy()
                    .user_name(name)
                    .policy_name(policy_name)
                    .send(),
            )
            .await?
            .map(|p| p.policy_document().to_string()),
        PrincipalKind::Role => iam_site("GetRolePolicy")
            .optional(
                "NoSuchEntity",
                iam.get_role_policy()
                    .role_name(name)
                    .policy_name(policy_name)
                    .send(),
            )
            .await?
            .map(|p| p.policy_document().to_string()),
    })
}

/// The ARNs of the managed policies attached to a user or role.
async fn attached_policies(
    ctx: &AwsContext,
    kind: PrincipalKind,
    name: &str,
) -> Result<Vec<String>, AwsError> {
    let iam = ctx.iam();
    let arns = |policies: Vec<aws_sdk_iam::types::AttachedPolicy>| {
        policies
            .iter()
            .filter_map(|p| p.policy_arn().map(str::to_string))
            .collect()
    };
    Ok(match kind {
        PrincipalKind::User => arns(
            iam.list_attached_user_policies()
                .user_name(name)
                .into_paginator()
                .items()
                .send()
                .try_collect()
                .await
                .map_err(|e| iam_site("ListAttachedUserPolicies").error(e))?,
        ),
        PrincipalKind::Role => arns(
            iam.list_attached_role_policies()
                .role_name(name)
                .into_paginator()
                .items()
                .send()
                .try_collect()
                .await
                .map_err(|e| iam_site("ListAttachedRolePolicies").error(e))?,
        ),
    })
}

/// Whether a function's (or alias's) resource policy has statement `sid`.
async fn has_statement(
    ctx: &AwsContext,
    region: &str,
    function: &str,
    qualifier: Option<&str>,
    sid: &str,
) -> Result<bool, AwsError> {
    Ok(function_policy(ctx, region, function, qualifier)
        .await?
        .as_deref()
        .and_then(|p| crate::policy::function_statements(p).ok())
        .is_some_and(|s| s.iter().any(|s| s.sid == sid)))
}

/// Sends the calls that make `operation` (the state was read first and is not as wanted).
/// Returns the inverse of the delta actually sent where it depends on the state just before
/// (see [`Applied::Changed`]).
async fn send(
    ctx: &AwsContext,
    region: &str,
    operation: &Operation,
    armed: &Armed,
) -> Result<Option<Operation>, AwsError> {
    let ctx = &ctx.for_changes();
    let iam = ctx.iam();
    let lambda = || ctx.lambda(region);
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
        Operation::CaptureFunctionEvidence {
            function,
            directory,
        } => {
            let bundle = super::lambda::evidence(ctx, region, function).await?;
            crate::evidence::save(directory, &bundle).map_err(|e| AwsError {
                code: "EvidenceWriteFailed".to_string(),
                message: format!("{}: {e}", directory.display()),
                ..lambda_site("GetFunction", region).local_error()
            })?;
        }
        Operation::PutFunctionConcurrency { function, reserved } => {
            sent_inverse = Some(
                match super::lambda::reserved_concurrency(ctx, region, function).await? {
                    Some(previous) => Operation::PutFunctionConcurrency {
                        function: function.clone(),
                        reserved: previous,
                    },
                    None => Operation::DeleteFunctionConcurrency {
                        function: function.clone(),
                    },
                },
            );
            lambda_site("PutFunctionConcurrency", region)
                .run(
                    lambda()
                        .put_function_concurrency()
                        .function_name(function)
                        .reserved_concurrent_executions(*reserved)
                        .send(),
                )
                .await?;
        }
        Operation::DeleteFunctionConcurrency { function } => {
            lambda_site("DeleteFunctionConcurrency", region)
                .run(
                    lambda()
                        .delete_function_concurrency()
                        .function_name(function)
                        .send(),
                )
                .await?;
        }
        Operation::DeleteFunction { function, evidence } => {
            if let Some(directory) = evidence
                && let Err(why) = crate::evidence::code_kept(directory)
            {
                // Deleting would lose the code for good: refused, nothing sent.
                return Err(AwsError {
                    code: "CodeNotSaved".to_string(),
                    message: format!(
                        "{function} was not deleted: {why}; `--delete-without-code` (typed confirmation) deletes it anyway"
                    ),
                    ..lambda_site("DeleteFunction", region).local_error()
                });
            }
            lambda_site("DeleteFunction", region)
                .optional(
                    "ResourceNotFoundException",
                    lambda().delete_function().function_name(function).send(),
                )
                .await?;
        }
        Operation::RemoveFunctionPermission {
            function,
            statement_id,
            qualifier,
        } => {
            lambda_site("RemovePermission", region)
                .run(
                    lambda()
                        .remove_permission()
                        .function_name(function)
                        .statement_id(statement_id)
                        .set_qualifier(qualifier.clone())
                        .send(),
                )
                .await?;
        }
        Operation::AddFunctionPermission {
            function,
            grant,
            qualifier,
        } => {
            let mut request = lambda()
                .add_permission()
                .function_name(function)
                .statement_id(&grant.statement_id)
                .action(&grant.action)
                .principal(&grant.principal)
                .set_source_arn(grant.source_arn.clone())
                .set_source_account(grant.source_account.clone())
                .set_principal_org_id(grant.principal_org_id.clone())
                .set_qualifier(qualifier.clone());
            if let Some(auth) = &grant.function_url_auth_type {
                request = request.function_url_auth_type(FunctionUrlAuthType::from(auth.as_str()));
            }
            lambda_site("AddPermission", region)
                .run(request.send())
                .await?;
        }
        Operation::SetFunctionUrlAuth {
            function,
            auth,
            qualifier,
        } => {
            let auth_type = match auth {
                UrlAuth::None => FunctionUrlAuthType::None,
                UrlAuth::AwsIam => FunctionUrlAuthType::AwsIam,
            };
            lambda_site("UpdateFunctionUrlConfig", region)
                .run(
                    lambda()
                        .update_function_url_config()
                        .function_name(function)
                        .auth_type(auth_type)
                        .set_qualifier(qualifier.clone())
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
        Operation::StartLogging { .. }
        | Operation::StopLogging { .. }
        | Operation::EnableDetector { .. }
        | Operation::DisableDetector { .. }
        | Operation::CreateDetector
        | Operation::RevokeIngress { .. }
        | Operation::AuthorizeIngress { .. }
        | Operation::DisableEventRule { .. }
        | Operation::EnableEventRule { .. }
        | Operation::DisassociateProfile { .. }
        | Operation::AssociateProfile { .. }
        | Operation::DisableApiKey { .. }
        | Operation::EnableApiKey { .. } => {
            sent_inverse = match countermeasures::send(ctx, region, operation, armed).await {
                Some(sent) => sent?,
                None => return Err(not_a_countermeasure(region, operation)),
            };
        }
    }
    Ok(sent_inverse)
}

/// The error for an operation this module hands to `countermeasures` that it does not know:
/// the two lists have drifted apart, and nothing is sent rather than a silent success.
fn not_a_countermeasure(region: &str, operation: &Operation) -> AwsError {
    AwsError {
        code: "Internal".into(),
        message: format!(
            "{} is not a countermeasure operation: nothing was sent",
            operation.api()
        ),
        ..CallSite {
            service: operation.service(),
            operation: operation.api(),
            region,
        }
        .local_error()
    }
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

    #[test]
    fn documents_compare_by_meaning() {
        assert!(same_document(
            "%7B%22Statement%22%3A%5B%5D%7D",
            "{ \"Statement\": [] }"
        ));
        assert!(!same_document("{\"a\":1}", "{\"a\":2}"));
    }
}
