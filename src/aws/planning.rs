//! Reads that playbooks plan from: a principal's keys, policies and trust, a function's policy
//! and URL auth, who a snapshot or AMI is shared with, block public access. The mutating calls
//! the engine sends are in [`super::apply`].

use aws_sdk_ec2::types::{
    ImageAttributeName, PermissionGroup, SnapshotAttributeName, SnapshotBlockPublicAccessState,
};
use aws_sdk_iam::types::StatusType;
use futures::StreamExt;

use super::context::AwsContext;
use super::error::AwsError;
use super::error::{ec2_site, iam_site, lambda_site};

use firebreak_core::model::operation::{
    KeyState, PrincipalKind, PrincipalRef, REVOKE_SESSIONS_POLICY, RoleState, SnapshotBlock,
    UserState, policy_chars,
};
use firebreak_core::model::{KeyStatus, Principals, Sharing, UrlAuth};
use firebreak_core::policy::parse_principals;
use std::collections::BTreeSet;

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
pub(crate) async fn trust_document(ctx: &AwsContext, role: &str) -> Result<String, AwsError> {
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

/// An inline policy of a user or role, as IAM returns it (URL-encoded); `None` when it has none
/// by that name.
pub(crate) async fn inline_policy(
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
pub(crate) async fn attached_policies(
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
