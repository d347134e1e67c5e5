//! Finding and removing exactly what one game-day run created: everything it made carries its
//! run's tag (IAM, Lambda, EC2, S3, RDS), and only that is deleted, with the sandbox pass.

use aws_sdk_ec2::types::Filter;

use super::{GAMEDAY_TAG, Sandbox};
use crate::aws::context::AwsContext;
use crate::aws::error::{AwsError, ec2_site, iam_site, lambda_site};

/// What one run left in one place, found by its tag.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tagged {
    pub users: Vec<String>,
    pub roles: Vec<String>,
    /// `(region, id or name)` for each of these.
    pub functions: Vec<(String, String)>,
    pub instances: Vec<(String, String)>,
    pub images: Vec<(String, String)>,
    pub snapshots: Vec<(String, String)>,
    pub volumes: Vec<(String, String)>,
    pub buckets: Vec<(String, String)>,
    pub databases: Vec<(String, String)>,
    pub db_snapshots: Vec<(String, String)>,
}

impl Tagged {
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
            && self.roles.is_empty()
            && self.functions.is_empty()
            && self.instances.is_empty()
            && self.images.is_empty()
            && self.snapshots.is_empty()
            && self.volumes.is_empty()
            && self.buckets.is_empty()
            && self.databases.is_empty()
            && self.db_snapshots.is_empty()
    }

    pub fn count(&self) -> usize {
        self.users.len()
            + self.roles.len()
            + self.functions.len()
            + self.instances.len()
            + self.images.len()
            + self.snapshots.len()
            + self.volumes.len()
            + self.buckets.len()
            + self.databases.len()
            + self.db_snapshots.len()
    }

    fn extend(&mut self, other: Tagged) {
        self.users.extend(other.users);
        self.roles.extend(other.roles);
        self.functions.extend(other.functions);
        self.instances.extend(other.instances);
        self.images.extend(other.images);
        self.snapshots.extend(other.snapshots);
        self.volumes.extend(other.volumes);
        self.buckets.extend(other.buckets);
        self.databases.extend(other.databases);
        self.db_snapshots.extend(other.db_snapshots);
    }
}

fn has_run_tag<'a>(mut tags: impl Iterator<Item = (&'a str, &'a str)>, run_id: &str) -> bool {
    tags.any(|(key, value)| key == GAMEDAY_TAG && value == run_id)
}

/// The IAM users and roles tagged with `run_id`.
pub async fn tagged_principals(ctx: &AwsContext, run_id: &str) -> Result<Tagged, AwsError> {
    let iam = ctx.iam();
    let mut found = Tagged::default();
    let users: Vec<_> = iam
        .list_users()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| iam_site("ListUsers").error(e))?;
    for user in users {
        let tags = iam_site("ListUserTags")
            .run(iam.list_user_tags().user_name(user.user_name()).send())
            .await?;
        if has_run_tag(tags.tags().iter().map(|t| (t.key(), t.value())), run_id) {
            found.users.push(user.user_name().to_string());
        }
    }
    let roles: Vec<_> = iam
        .list_roles()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| iam_site("ListRoles").error(e))?;
    for role in roles {
        let tags = iam_site("ListRoleTags")
            .run(iam.list_role_tags().role_name(role.role_name()).send())
            .await?;
        if has_run_tag(tags.tags().iter().map(|t| (t.key(), t.value())), run_id) {
            found.roles.push(role.role_name().to_string());
        }
    }
    Ok(found)
}

/// The functions, instances, AMIs, snapshots, volumes and buckets in `region` tagged with
/// `run_id`.
pub async fn tagged_in_region(
    ctx: &AwsContext,
    region: &str,
    run_id: &str,
) -> Result<Tagged, AwsError> {
    let mut found = Tagged::default();
    let lambda = ctx.lambda(region);
    let functions: Vec<_> = lambda
        .list_functions()
        .into_paginator()
        .items()
        .send()
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()
        .map_err(|e| lambda_site("ListFunctions", region).error(e))?;
    for function in functions {
        let arn = function.function_arn().unwrap_or_default();
        let tags = lambda_site("ListTags", region)
            .run(lambda.list_tags().resource(arn).send())
            .await?;
        let tagged = tags
            .tags()
            .is_some_and(|t| t.get(GAMEDAY_TAG).is_some_and(|v| v == run_id));
        if tagged {
            found.functions.push((
                region.to_string(),
                function.function_name().unwrap_or_default().to_string(),
            ));
        }
    }
    let ec2 = ctx.ec2(region);
    let by_tag = || {
        Filter::builder()
            .name(format!("tag:{GAMEDAY_TAG}"))
            .values(run_id)
            .build()
    };
    let reservations = ec2_site("DescribeInstances", region)
        .run(ec2.describe_instances().filters(by_tag()).send())
        .await?;
    for instance in reservations
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
    {
        let terminated = instance
            .state()
            .and_then(|s| s.name())
            .is_some_and(|n| n.as_str() == "terminated");
        if !terminated {
            found.instances.push((
                region.to_string(),
                instance.instance_id().unwrap_or_default().to_string(),
            ));
        }
    }
    let images = ec2_site("DescribeImages", region)
        .run(
            ec2.describe_images()
                .owners("self")
                .filters(by_tag())
                .send(),
        )
        .await?;
    for image in images.images() {
        found.images.push((
            region.to_string(),
            image.image_id().unwrap_or_default().to_string(),
        ));
    }
    let snapshots = ec2_site("DescribeSnapshots", region)
        .run(
            ec2.describe_snapshots()
                .owner_ids("self")
                .filters(by_tag())
                .send(),
        )
        .await?;
    for snapshot in snapshots.snapshots() {
        found.snapshots.push((
            region.to_string(),
            snapshot.snapshot_id().unwrap_or_default().to_string(),
        ));
    }
    let volumes = ec2_site("DescribeVolumes", region)
        .run(ec2.describe_volumes().filters(by_tag()).send())
        .await?;
    for volume in volumes.volumes() {
        found.volumes.push((
            region.to_string(),
            volume.volume_id().unwrap_or_default().to_string(),
        ));
    }
    for bucket in super::buckets::tagged_buckets(ctx, region, run_id).await? {
        found.buckets.push((region.to_string(), bucket));
    }
    let (databases, db_snapshots) = super::databases::tagged_databases(ctx, region, run_id).await?;
    found
        .databases
        .extend(databases.into_iter().map(|d| (region.to_string(), d)));
    found
        .db_snapshots
        .extend(db_snapshots.into_iter().map(|s| (region.to_string(), s)));
    Ok(found)
}

/// Everything tagged with `run_id`: IAM, and each of `regions` concurrently.
pub async fn tagged(
    ctx: &AwsContext,
    regions: &[String],
    run_id: &str,
) -> Result<Tagged, AwsError> {
    let mut found = tagged_principals(ctx, run_id).await?;
    let per_region =
        futures::future::join_all(regions.iter().map(|r| tagged_in_region(ctx, r, run_id))).await;
    for region in per_region {
        found.extend(region?);
    }
    Ok(found)
}

/// Deletes a user and what stops its deletion: keys, console password, policies, groups.
pub async fn delete_user(ctx: &AwsContext, _pass: &Sandbox, name: &str) -> Result<(), AwsError> {
    let iam = ctx.for_changes().iam();
    let keys = iam_site("ListAccessKeys")
        .run(iam.list_access_keys().user_name(name).send())
        .await?;
    for key in keys.access_key_metadata() {
        iam_site("DeleteAccessKey")
            .run(
                iam.delete_access_key()
                    .user_name(name)
                    .access_key_id(key.access_key_id().unwrap_or_default())
                    .send(),
            )
            .await?;
    }
    iam_site("DeleteLoginProfile")
        .optional(
            "NoSuchEntity",
            iam.delete_login_profile().user_name(name).send(),
        )
        .await?;
    let inline = iam_site("ListUserPolicies")
        .run(iam.list_user_policies().user_name(name).send())
        .await?;
    for policy in inline.policy_names() {
        iam_site("DeleteUserPolicy")
            .run(
                iam.delete_user_policy()
                    .user_name(name)
                    .policy_name(policy)
                    .send(),
            )
            .await?;
    }
    let attached = iam_site("ListAttachedUserPolicies")
        .run(iam.list_attached_user_policies().user_name(name).send())
        .await?;
    for policy in attached.attached_policies() {
        iam_site("DetachUserPolicy")
            .run(
                iam.detach_user_policy()
                    .user_name(name)
                    .policy_arn(policy.policy_arn().unwrap_or_default())
                    .send(),
            )
            .await?;
    }
    let groups = iam_site("ListGroupsForUser")
        .run(iam.list_groups_for_user().user_name(name).send())
        .await?;
    for group in groups.groups() {
        iam_site("RemoveUserFromGroup")
            .run(
                iam.remove_user_from_group()
                    .user_name(name)
                    .group_name(group.group_name())
                    .send(),
            )
            .await?;
    }
    iam_site("DeleteUser")
        .run(iam.delete_user().user_name(name).send())
        .await?;
    Ok(())
}

/// Deletes a role and its policies.
pub async fn delete_role(ctx: &AwsContext, _pass: &Sandbox, name: &str) -> Result<(), AwsError> {
    let iam = ctx.for_changes().iam();
    let inline = iam_site("ListRolePolicies")
        .run(iam.list_role_policies().role_name(name).send())
        .await?;
    for policy in inline.policy_names() {
        iam_site("DeleteRolePolicy")
            .run(
                iam.delete_role_policy()
                    .role_name(name)
                    .policy_name(policy)
                    .send(),
            )
            .await?;
    }
    let attached = iam_site("ListAttachedRolePolicies")
        .run(iam.list_attached_role_policies().role_name(name).send())
        .await?;
    for policy in attached.attached_policies() {
        iam_site("DetachRolePolicy")
            .run(
                iam.detach_role_policy()
                    .role_name(name)
                    .policy_arn(policy.policy_arn().unwrap_or_default())
                    .send(),
            )
            .await?;
    }
    iam_site("DeleteRole")
        .run(iam.delete_role().role_name(name).send())
        .await?;
    Ok(())
}

/// Deletes a function.
pub async fn delete_function(
    ctx: &AwsContext,
    _pass: &Sandbox,
    region: &str,
    name: &str,
) -> Result<(), AwsError> {
    let lambda = ctx.for_changes().lambda(region);
    lambda_site("DeleteFunction", region)
        .run(lambda.delete_function().function_name(name).send())
        .await?;
    Ok(())
}

/// Terminates an instance.
pub async fn terminate_instance(
    ctx: &AwsContext,
    _pass: &Sandbox,
    region: &str,
    id: &str,
) -> Result<(), AwsError> {
    let ec2 = ctx.for_changes().ec2(region);
    ec2_site("TerminateInstances", region)
        .run(ec2.terminate_instances().instance_ids(id).send())
        .await?;
    Ok(())
}

/// Deregisters an AMI.
pub async fn deregister_image(
    ctx: &AwsContext,
    _pass: &Sandbox,
    region: &str,
    id: &str,
) -> Result<(), AwsError> {
    let ec2 = ctx.for_changes().ec2(region);
    ec2_site("DeregisterImage", region)
        .run(ec2.deregister_image().image_id(id).send())
        .await?;
    Ok(())
}

/// Deletes a volume.
pub async fn delete_volume(
    ctx: &AwsContext,
    _pass: &Sandbox,
    region: &str,
    id: &str,
) -> Result<(), AwsError> {
    let ec2 = ctx.for_changes().ec2(region);
    ec2_site("DeleteVolume", region)
        .run(ec2.delete_volume().volume_id(id).send())
        .await?;
    Ok(())
}
