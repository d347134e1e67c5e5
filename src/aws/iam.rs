//! IAM inventory: users (with keys, console access, MFA, policies, groups) and roles (with parsed
//! trust policies). One GetAccountAuthorizationDetails walk, then per-user detail calls with
//! bounded concurrency.

use futures::{StreamExt, stream};

use std::collections::{HashMap, HashSet};

use aws_sdk_iam::types::{
    AttachedPermissionsBoundary, AttachedPolicy, EntityType, PolicyDetail, RoleDetail, UserDetail,
};

use super::context::AwsContext;
use super::error::{AwsError, CallSite, kept};
use super::to_utc;
use firebreak_core::model::finding::ResourceType;
use firebreak_core::model::{AccessKey, GLOBAL, KeyLastUsed, KeyStatus, Role, User};
use firebreak_core::policy::{
    aws_managed_admin, boundary_allows_admin, grants_admin, parse_principals,
};

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
        .filter(EntityType::Group)
        .filter(EntityType::LocalManagedPolicy)
        .into_paginator()
        .send()
        .try_collect()
        .await
        .map_err(|e| site("GetAccountAuthorizationDetails").error(e))?;
    let mut problems = Vec::new();

    // Which managed policies and groups grant administrator access; each customer-managed
    // policy's document, for the permissions boundaries that name one.
    let mut admin_policies: HashSet<String> = HashSet::new();
    let mut documents: HashMap<String, String> = HashMap::new();
    for policy in pages.iter().flat_map(|p| p.policies()) {
        let default_version = policy
            .policy_version_list()
            .iter()
            .find(|v| v.is_default_version());
        if let Some(document) = default_version.and_then(|v| v.document()) {
            let name = policy.policy_name().unwrap_or_default();
            let arn = policy.arn().unwrap_or_default().to_string();
            if grants(document, &format!("policy {name}"), &mut problems) {
                admin_policies.insert(arn.clone());
            }
            documents.insert(arn, document.to_string());
        }
    }
    // A boundary that denies everything, or grants no administrator access, caps the rest.
    let capped = |boundary: Option<&AttachedPermissionsBoundary>| {
        boundary
            .and_then(|b| b.permissions_boundary_arn())
            .is_some_and(|arn| !boundary_allows_admin(arn, documents.get(arn).map(String::as_str)))
    };
    let mut admin_groups = HashSet::new();
    for group in pages.iter().flat_map(|p| p.group_detail_list()) {
        let name = group.group_name().unwrap_or_default();
        let via = admin_via(
            group.attached_managed_policies(),
            group.group_policy_list(),
            &admin_policies,
            &format!("group {name}"),
            &mut problems,
        );
        if !via.is_empty() {
            admin_groups.insert(name.to_string());
        }
    }

    let mut roles = Vec::new();
    for detail in pages.iter().flat_map(|p| p.role_detail_list()) {
        let (mut role, problem) = role_of(detail);
        role.admin_via = admin_via(
            detail.attached_managed_policies(),
            detail.role_policy_list(),
            &admin_policies,
            &format!("role {}", role.name),
            &mut problems,
        );
        if capped(detail.permissions_boundary()) {
            role.admin_via.clear();
        }
        problems.extend(problem.map(|p| p.about(ResourceType::Role, &role.name)));
        roles.push(role);
    }

    let user_details: Vec<UserDetail> = pages
        .iter()
        .flat_map(|p| p.user_detail_list())
        .cloned()
        .collect();
    let mut user_admin_via: HashMap<String, Vec<String>> = HashMap::new();
    for detail in &user_details {
        let name = detail.user_name().unwrap_or_default();
        let mut via = admin_via(
            detail.attached_managed_policies(),
            detail.user_policy_list(),
            &admin_policies,
            &format!("user {name}"),
            &mut problems,
        );
        via.extend(
            detail
                .group_list()
                .iter()
                .filter(|g| admin_groups.contains(*g))
                .map(|g| format!("group:{g}")),
        );
        if capped(detail.permissions_boundary()) {
            via.clear();
        }
        user_admin_via.insert(name.to_string(), via);
    }
    // A failed detail read never drops what was read: the user stays, the error is a problem.
    let detailed: Vec<Option<UserRead>> = stream::iter(user_details)
        .map(|detail| user_with_keys(&client, detail))
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    let mut inventory = IamInventory {
        roles,
        ..IamInventory::default()
    };
    for (mut user, keys, more) in detailed.into_iter().flatten() {
        user.admin_via = user_admin_via.remove(&user.name).unwrap_or_default();
        problems.extend(
            more.into_iter()
                .map(|p| p.about(ResourceType::User, &user.name)),
        );
        inventory.users.push(user);
        inventory.access_keys.extend(keys);
    }
    inventory.problems = problems;
    Ok(inventory)
}

/// Whether `document` grants admin; an unreadable one is recorded as a problem and counts as no.
fn grants(document: &str, owner: &str, problems: &mut Vec<AwsError>) -> bool {
    match grants_admin(document) {
        Ok(admin) => admin,
        Err(e) => {
            problems.push(AwsError {
                code: "UnreadablePolicy".to_string(),
                message: format!("{owner}: {e}"),
                ..site("GetAccountAuthorizationDetails").local_error()
            });
            false
        }
    }
}

/// The attached and inline policies that grant admin: managed policy names, `inline:NAME`.
fn admin_via(
    attached: &[AttachedPolicy],
    inline: &[PolicyDetail],
    admin_policies: &HashSet<String>,
    owner: &str,
    problems: &mut Vec<AwsError>,
) -> Vec<String> {
    let mut via: Vec<String> = attached
        .iter()
        .filter(|p| {
            p.policy_arn()
                .is_some_and(|arn| admin_policies.contains(arn) || aws_managed_admin(arn))
        })
        .filter_map(|p| p.policy_name().map(str::to_string))
        .collect();
    for policy in inline {
        let name = policy.policy_name().unwrap_or_default();
        if let Some(document) = policy.policy_document()
            && grants(document, &format!("{owner} inline policy {name}"), problems)
        {
            via.push(format!("inline:{name}"));
        }
    }
    via
}

/// A role, and the problem with its trust policy if it could not be read (then the role is
/// listed with no trusted principals). `admin_via` is left empty for the caller to fill.
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
        admin_via: Vec::new(),
        instance_profiles: detail
            .instance_profile_list()
            .iter()
            .map(|p| p.instance_profile_name().to_string())
            .collect(),
        name,
    };
    (role, problem)
}

/// A user as read, its access keys, and what could not be read about it.
type UserRead = (User, Vec<AccessKey>, Vec<AwsError>);

async fn user_with_keys(client: &aws_sdk_iam::Client, detail: UserDetail) -> Option<UserRead> {
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
        tokio::join!(login_profile, mfa_devices, key_metadata);
    // A user deleted since the listing is gone: left out. Any other failed read keeps the user,
    // with what could be read and the error as a problem.
    if key_metadata
        .as_ref()
        .is_err_and(|e| e.code == "NoSuchEntity")
    {
        return None;
    }
    let mut problems = Vec::new();
    let login_profile = kept(login_profile, &mut problems).flatten();
    let mfa_devices = kept(mfa_devices, &mut problems).unwrap_or_default();
    let key_metadata: Vec<_> = kept(key_metadata, &mut problems).unwrap_or_default();

    let mut keys = Vec::with_capacity(key_metadata.len());
    for key in key_metadata {
        let id = key.access_key_id().unwrap_or_default().to_string();
        let used = site("GetAccessKeyLastUsed")
            .run(client.get_access_key_last_used().access_key_id(&id).send())
            .await;
        let last_used = kept(used, &mut problems)
            .as_ref()
            .and_then(|out| out.access_key_last_used())
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
        admin_via: Vec::new(),
        name,
    };
    Some((user, keys, problems))
}

/// IAM reports "N/A" for a key that was never used.
fn known(value: &str) -> Option<String> {
    (value != "N/A" && !value.is_empty()).then(|| value.to_string())
}
