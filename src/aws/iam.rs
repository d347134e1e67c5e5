//! IAM inventory: users (with keys, console access, MFA, policies, groups) and roles (with parsed
//! trust policies). One GetAccountAuthorizationDetails walk, then per-user detail calls with
//! bounded concurrency.

use futures::{StreamExt, TryStreamExt, stream};

use aws_sdk_iam::types::{EntityType, RoleDetail, UserDetail};

use super::context::AwsContext;
use super::error::{AwsError, CallSite};
use super::to_utc;
use crate::model::{AccessKey, GLOBAL, KeyLastUsed, KeyStatus, Role, User};
use crate::policy::parse_principals;

/// Principals of the account: users, their access keys, and roles.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IamInventory {
    pub users: Vec<User>,
    pub access_keys: Vec<AccessKey>,
    pub roles: Vec<Role>,
    /// Things read but not understood (e.g. an unreadable trust policy); the item is still listed.
    pub problems: Vec<AwsError>,
}

fn site(operation: &str) -> CallSite<'_> {
    CallSite {
        service: "iam",
        operation,
        region: GLOBAL,
    }
}

/// Reads all users, access keys and roles. `concurrency` bounds the per-user detail calls.
pub async fn inventory(ctx: &AwsContext, concurrency: usize) -> Result<IamInventory, AwsError> {
    let client = ctx.iam();
    let pages: Vec<_> = client
        .get_account_authorization_details()
        .filter(EntityType::User)
        .filter(EntityType::Role)
        .into_paginator()
        .send()
        .try_collect()
        .await
        .map_err(|e| site("GetAccountAuthorizationDetails").error(e))?;
    let mut user_details = Vec::new();
    let mut roles = Vec::new();
    let mut problems = Vec::new();
    for page in pages {
        user_details.extend(page.user_detail_list().iter().cloned());
        for detail in page.role_detail_list() {
            let (role, problem) = role_of(detail);
            roles.push(role);
            problems.extend(problem);
        }
    }
    let detailed: Vec<(User, Vec<AccessKey>)> = stream::iter(user_details)
        .map(|detail| user_with_keys(&client, detail))
        .buffer_unordered(concurrency.max(1))
        .try_collect()
        .await?;
    let mut inventory = IamInventory {
        roles,
        problems,
        ..IamInventory::default()
    };
    for (user, keys) in detailed {
        inventory.users.push(user);
        inventory.access_keys.extend(keys);
    }
    Ok(inventory)
}

/// A role, and the problem with its trust policy if it could not be read (then the role is
/// listed with no trusted principals).
fn role_of(detail: &RoleDetail) -> (Role, Option<AwsError>) {
    let name = detail.role_name().unwrap_or_default().to_string();
    let (trust, problem) = match detail.assume_role_policy_document().map(parse_principals) {
        Some(Ok(trust)) => (trust, None),
        Some(Err(e)) => (
            Default::default(),
            Some(AwsError {
                code: "UnreadableTrustPolicy".to_string(),
                message: format!("role {name}: {e}"),
                ..site("GetAccountAuthorizationDetails").local_error()
            }),
        ),
        None => (Default::default(), None),
    };
    let role = Role {
        region: GLOBAL.to_string(),
        arn: detail.arn().unwrap_or_default().to_string(),
        path: detail.path().unwrap_or("/").to_string(),
        created: detail.create_date().map(to_utc).unwrap_or_default(),
        trust,
        attached_policies: detail
            .attached_managed_policies()
            .iter()
            .filter_map(|p| p.policy_name().map(str::to_string))
            .collect(),
        inline_policies: detail
            .role_policy_list()
            .iter()
            .filter_map(|p| p.policy_name().map(str::to_string))
            .collect(),
        name,
    };
    (role, problem)
}

async fn user_with_keys(
    client: &aws_sdk_iam::Client,
    detail: UserDetail,
) -> Result<(User, Vec<AccessKey>), AwsError> {
    let name = detail.user_name().unwrap_or_default().to_string();
    let login_profile = site("GetLoginProfile").optional(
        "NoSuchEntity",
        client.get_login_profile().user_name(&name).send(),
    );
    let mfa_devices = async {
        client
            .list_mfa_devices()
            .user_name(&name)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| site("ListMFADevices").error(e))
    };
    let key_metadata = async {
        client
            .list_access_keys()
            .user_name(&name)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| site("ListAccessKeys").error(e))
    };
    let (login_profile, mfa_devices, key_metadata) =
        tokio::try_join!(login_profile, mfa_devices, key_metadata)?;

    let mut keys = Vec::with_capacity(key_metadata.len());
    for key in key_metadata {
        let id = key.access_key_id().unwrap_or_default().to_string();
        let last_used = site("GetAccessKeyLastUsed")
            .run(client.get_access_key_last_used().access_key_id(&id).send())
            .await?
            .access_key_last_used()
            .map(|used| KeyLastUsed {
                date: used.last_used_date().map(to_utc),
                service: known(used.service_name()),
                region: known(used.region()),
            })
            .filter(|used| used.date.is_some());
        keys.push(AccessKey {
            region: GLOBAL.to_string(),
            id,
            user: name.clone(),
            status: match key.status().map(|s| s.as_str()) {
                Some("Active") => KeyStatus::Active,
                _ => KeyStatus::Inactive,
            },
            created: key.create_date().map(to_utc),
            last_used,
        });
    }

    let user = User {
        region: GLOBAL.to_string(),
        arn: detail.arn().unwrap_or_default().to_string(),
        user_id: detail.user_id().unwrap_or_default().to_string(),
        created: detail.create_date().map(to_utc).unwrap_or_default(),
        console_access: login_profile.is_some(),
        mfa_devices: mfa_devices
            .iter()
            .map(|d| d.serial_number().to_string())
            .collect(),
        attached_policies: detail
            .attached_managed_policies()
            .iter()
            .filter_map(|p| p.policy_name().map(str::to_string))
            .collect(),
        inline_policies: detail
            .user_policy_list()
            .iter()
            .filter_map(|p| p.policy_name().map(str::to_string))
            .collect(),
        groups: detail.group_list().to_vec(),
        name,
    };
    Ok((user, keys))
}

/// IAM reports "N/A" for a key that was never used.
fn known(value: &str) -> Option<String> {
    (value != "N/A" && !value.is_empty()).then(|| value.to_string())
}
