//! Game-day calls into a sandbox: the estate's and the attacker's steps, and the cleanup that
//! removes exactly what one run created. Every call needs a [`Sandbox`] pass, which only the
//! game-day gate makes (not read-only; a loopback emulator, or a confirmed sandbox account).
//! Everything created is tagged `firebreak:gameday=<run id>` where AWS supports tags; access
//! keys and passwords made here live in memory only.

use std::fmt;

use aws_sdk_ec2::client::Waiters;
use aws_sdk_ec2::types::{
    Filter, LaunchPermission, LaunchPermissionModifications, OperationType, PermissionGroup,
    ResourceType as Ec2ResourceType, SnapshotAttributeName, Tag as Ec2Tag, TagSpecification,
};
use aws_sdk_iam::types::Tag as IamTag;

mod buckets;
mod cleanup;
mod databases;

pub use buckets::{RANSOM_NOTE, create_bucket, delete_bucket, share_bucket, wipe_bucket};
pub use databases::{
    create_database, delete_database, delete_db_snapshot, make_database_public, share_db_snapshot,
};

pub use cleanup::{
    Tagged, delete_function, delete_role, delete_user, delete_volume, deregister_image, tagged,
    tagged_in_region, tagged_principals, terminate_instance,
};

use super::context::AwsContext;
use super::error::AwsError;
use super::error::{ec2_site, iam_site, lambda_site};

/// The tag every game-day resource carries; its value is the run id.
pub const GAMEDAY_TAG: &str = "firebreak:gameday";

/// The managed policy that makes a principal an administrator, in the caller's partition.
fn admin_policy(ctx: &AwsContext) -> String {
    format!(
        "arn:{}:iam::aws:policy/AdministratorAccess",
        ctx.partition()
    )
}

/// Permission to change a sandbox. Made only by the game-day gate, after it has checked that
/// the session is not read-only and that the account is a sandbox.
#[derive(Debug)]
pub struct Sandbox {
    _private: (),
}

impl Sandbox {
    /// For the gate only: the checks are its job.
    pub(crate) fn after_checks() -> Sandbox {
        Sandbox { _private: () }
    }
}

/// A secret (an access key's secret, a password): never printed, never serialized.
pub struct Secret(String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(…)")
    }
}

impl Secret {
    /// A fresh password IAM's default policy accepts.
    pub fn password() -> Secret {
        let mut rng = fastrand::Rng::new();
        let body: String = (0..20).map(|_| rng.alphanumeric()).collect();
        Secret(format!("{body}-Aa1!"))
    }
}

/// An access key made in the sandbox: the attacker's own credentials.
#[derive(Debug)]
pub struct AccessKey {
    pub id: String,
    secret: Secret,
}

impl AwsContext {
    /// The same context calling as `key` (the attacker), in the same endpoint and regions.
    pub fn as_key(&self, key: &AccessKey) -> AwsContext {
        let credentials = aws_credential_types::Credentials::new(
            key.id.clone(),
            key.secret.0.clone(),
            None,
            None,
            "firebreak-gameday",
        );
        self.with_credentials(credentials)
    }
}

/// The run's tag for IAM. Building it fails only without a key or a value; both are set.
fn iam_tags(run_id: &str) -> Option<Vec<IamTag>> {
    IamTag::builder()
        .key(GAMEDAY_TAG)
        .value(run_id)
        .build()
        .ok()
        .map(|tag| vec![tag])
}

fn ec2_tags(kind: Ec2ResourceType, run_id: &str, name: Option<&str>) -> TagSpecification {
    let mut spec = TagSpecification::builder()
        .resource_type(kind)
        .tags(Ec2Tag::builder().key(GAMEDAY_TAG).value(run_id).build());
    if let Some(name) = name {
        spec = spec.tags(Ec2Tag::builder().key("Name").value(name).build());
    }
    spec.build()
}

/// How long a new volume or snapshot may take to be ready.
const READY_WITHIN: std::time::Duration = std::time::Duration::from_secs(600);

/// A waiter that gave up (or failed), as an error of the call it polled.
fn waited(operation: &str, region: &str, id: &str, error: &dyn std::error::Error) -> AwsError {
    AwsError {
        code: "NotReady".to_string(),
        message: format!("{id} was not ready: {error}"),
        ..ec2_site(operation, region).local_error()
    }
}

/// Who a share adds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShareWith {
    Public,
    Account(String),
}

/// Creates a tagged IAM user.
pub async fn create_user(
    ctx: &AwsContext,
    _pass: &Sandbox,
    name: &str,
    run_id: &str,
) -> Result<(), AwsError> {
    let iam = ctx.for_changes().iam();
    iam_site("CreateUser")
        .run(
            iam.create_user()
                .user_name(name)
                .set_tags(iam_tags(run_id))
                .send(),
        )
        .await?;
    Ok(())
}

/// Attaches AdministratorAccess to a user (`role == false`) or a role.
pub async fn attach_admin(
    ctx: &AwsContext,
    _pass: &Sandbox,
    name: &str,
    role: bool,
) -> Result<(), AwsError> {
    let iam = ctx.for_changes().iam();
    if role {
        iam_site("AttachRolePolicy")
            .run(
                iam.attach_role_policy()
                    .role_name(name)
                    .policy_arn(admin_policy(ctx))
                    .send(),
            )
            .await?;
    } else {
        iam_site("AttachUserPolicy")
            .run(
                iam.attach_user_policy()
                    .user_name(name)
                    .policy_arn(admin_policy(ctx))
                    .send(),
            )
            .await?;
    }
    Ok(())
}

/// Creates an access key for `user`; its secret stays in the returned value only.
pub async fn create_access_key(
    ctx: &AwsContext,
    _pass: &Sandbox,
    user: &str,
) -> Result<AccessKey, AwsError> {
    let iam = ctx.for_changes().iam();
    let out = iam_site("CreateAccessKey")
        .run(iam.create_access_key().user_name(user).send())
        .await?;
    let key = out.access_key().ok_or_else(|| AwsError {
        code: "NoKey".to_string(),
        message: "CreateAccessKey returned no key".to_string(),
        ..iam_site("CreateAccessKey").local_error()
    })?;
    Ok(AccessKey {
        id: key.access_key_id().to_string(),
        secret: Secret(key.secret_access_key().to_string()),
    })
}

/// Gives `user` a console password (which is then forgotten).
pub async fn create_login_profile(
    ctx: &AwsContext,
    _pass: &Sandbox,
    user: &str,
) -> Result<(), AwsError> {
    let iam = ctx.for_changes().iam();
    let password = Secret::password();
    iam_site("CreateLoginProfile")
        .run(
            iam.create_login_profile()
                .user_name(user)
                .password(password.0.as_str())
                .send(),
        )
        .await?;
    Ok(())
}

/// Creates a tagged role with `trust_document`; returns its ARN.
pub async fn create_role(
    ctx: &AwsContext,
    _pass: &Sandbox,
    name: &str,
    trust_document: &str,
    run_id: &str,
) -> Result<String, AwsError> {
    let iam = ctx.for_changes().iam();
    let out = iam_site("CreateRole")
        .run(
            iam.create_role()
                .role_name(name)
                .assume_role_policy_document(trust_document)
                .set_tags(iam_tags(run_id))
                .send(),
        )
        .await?;
    Ok(out.role().map(|r| r.arn().to_string()).unwrap_or_default())
}

/// A role's trust policy document, decoded.
pub async fn role_trust(ctx: &AwsContext, name: &str) -> Result<String, AwsError> {
    let iam = ctx.iam();
    let out = iam_site("GetRole")
        .run(iam.get_role().role_name(name).send())
        .await?;
    let document = out
        .role()
        .and_then(|r| r.assume_role_policy_document())
        .unwrap_or_default();
    Ok(super::planning::decode_document(document))
}

/// Replaces a role's trust policy.
pub async fn set_role_trust(
    ctx: &AwsContext,
    _pass: &Sandbox,
    name: &str,
    document: &str,
) -> Result<(), AwsError> {
    let iam = ctx.for_changes().iam();
    iam_site("UpdateAssumeRolePolicy")
        .run(
            iam.update_assume_role_policy()
                .role_name(name)
                .policy_document(document)
                .send(),
        )
        .await?;
    Ok(())
}

/// The game day's function: it does nothing, and is never invoked.
const HANDLER: &str = "def handler(event, context):\n    return None\n";

/// The function package for CreateFunction: a zip holding `index.py` (AWS refuses an empty
/// archive: "Uploaded file must be a non-empty zip").
fn code_zip() -> zip::result::ZipResult<Vec<u8>> {
    use std::io::Write;
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    writer.start_file(
        "index.py",
        zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored)
            .unix_permissions(0o644),
    )?;
    writer.write_all(HANDLER.as_bytes())?;
    Ok(writer.finish()?.into_inner())
}

/// How often CreateFunction is sent again while IAM has not yet propagated a new role to
/// Lambda ("The role defined for the function cannot be assumed by Lambda"), and the wait
/// between tries: IAM takes seconds, rarely more than half a minute.
const ROLE_PROPAGATION_TRIES: u32 = 15;
const ROLE_PROPAGATION_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// Whether Lambda refused a new function because its new role is not yet assumable.
fn role_not_yet_assumable(error: &AwsError) -> bool {
    error.code == "InvalidParameterValueException"
        && error.message.contains("cannot be assumed by Lambda")
}

/// Creates a tagged function in `region` running as `role_arn`.
pub async fn create_function(
    ctx: &AwsContext,
    _pass: &Sandbox,
    region: &str,
    name: &str,
    role_arn: &str,
    run_id: &str,
) -> Result<(), AwsError> {
    let lambda = ctx.for_changes().lambda(region);
    let package = code_zip().map_err(|e| AwsError {
        code: "PackageError".into(),
        message: format!("the function package could not be made: {e}"),
        ..lambda_site("CreateFunction", region).local_error()
    })?;
    let mut tries = 1;
    loop {
        let created = lambda_site("CreateFunction", region)
            .run(
                lambda
                    .create_function()
                    .function_name(name)
                    .runtime(aws_sdk_lambda::types::Runtime::Python312)
                    .role(role_arn)
                    .handler("index.handler")
                    .code(
                        aws_sdk_lambda::types::FunctionCode::builder()
                            .zip_file(aws_sdk_lambda::primitives::Blob::new(package.clone()))
                            .build(),
                    )
                    .tags(GAMEDAY_TAG, run_id)
                    .send(),
            )
            .await;
        match created {
            // A role made seconds ago: IAM has not told Lambda yet.
            Err(error) if role_not_yet_assumable(&error) && tries < ROLE_PROPAGATION_TRIES => {
                tries += 1;
                tokio::time::sleep(ROLE_PROPAGATION_WAIT).await;
            }
            other => return other.map(drop),
        }
    }
}

/// Creates a tagged volume and a tagged snapshot of it in `region`; returns the snapshot id.
pub async fn create_snapshot(
    ctx: &AwsContext,
    _pass: &Sandbox,
    region: &str,
    description: &str,
    size_gib: i32,
    run_id: &str,
) -> Result<String, AwsError> {
    let ec2 = ctx.for_changes().ec2(region);
    let volume = ec2_site("CreateVolume", region)
        .run(
            ec2.create_volume()
                .availability_zone(format!("{region}a"))
                .size(size_gib)
                .tag_specifications(ec2_tags(Ec2ResourceType::Volume, run_id, None))
                .send(),
        )
        .await?;
    let volume_id = volume.volume_id().unwrap_or_default().to_string();
    ec2.wait_until_volume_available()
        .volume_ids(&volume_id)
        .wait(READY_WITHIN)
        .await
        .map_err(|e| waited("DescribeVolumes", region, &volume_id, &e))?;
    let snapshot = ec2_site("CreateSnapshot", region)
        .run(
            ec2.create_snapshot()
                .volume_id(&volume_id)
                .description(description)
                .tag_specifications(ec2_tags(Ec2ResourceType::Snapshot, run_id, None))
                .send(),
        )
        .await?;
    Ok(snapshot.snapshot_id().unwrap_or_default().to_string())
}

/// Adds `with` to a snapshot's create-volume permissions.
pub async fn share_snapshot(
    ctx: &AwsContext,
    _pass: &Sandbox,
    region: &str,
    snapshot_id: &str,
    with: &ShareWith,
) -> Result<(), AwsError> {
    let ec2 = ctx.for_changes().ec2(region);
    let call = ec2
        .modify_snapshot_attribute()
        .snapshot_id(snapshot_id)
        .attribute(SnapshotAttributeName::CreateVolumePermission)
        .operation_type(OperationType::Add);
    let call = match with {
        ShareWith::Public => call.group_names("all"),
        ShareWith::Account(account) => call.user_ids(account),
    };
    ec2_site("ModifySnapshotAttribute", region)
        .run(call.send())
        .await?;
    Ok(())
}

/// Deletes a snapshot.
pub async fn delete_snapshot(
    ctx: &AwsContext,
    _pass: &Sandbox,
    region: &str,
    snapshot_id: &str,
) -> Result<(), AwsError> {
    let ec2 = ctx.for_changes().ec2(region);
    ec2_site("DeleteSnapshot", region)
        .run(ec2.delete_snapshot().snapshot_id(snapshot_id).send())
        .await?;
    Ok(())
}

/// Registers a tagged AMI over a tagged snapshot of its own, and runs one tagged instance from
/// it; returns the image id.
pub async fn create_image(
    ctx: &AwsContext,
    pass: &Sandbox,
    region: &str,
    name: &str,
    run_id: &str,
) -> Result<String, AwsError> {
    let root = create_snapshot(ctx, pass, region, &format!("root of {name}"), 8, run_id).await?;
    let ec2 = ctx.for_changes().ec2(region);
    ec2.wait_until_snapshot_completed()
        .snapshot_ids(&root)
        .wait(READY_WITHIN)
        .await
        .map_err(|e| waited("DescribeSnapshots", region, &root, &e))?;
    let image = ec2_site("RegisterImage", region)
        .run(
            ec2.register_image()
                .name(name)
                .root_device_name("/dev/sda1")
                .architecture(aws_sdk_ec2::types::ArchitectureValues::X8664)
                .virtualization_type("hvm")
                .ena_support(true)
                .block_device_mappings(
                    aws_sdk_ec2::types::BlockDeviceMapping::builder()
                        .device_name("/dev/sda1")
                        .ebs(
                            aws_sdk_ec2::types::EbsBlockDevice::builder()
                                .snapshot_id(&root)
                                .delete_on_termination(true)
                                .build(),
                        )
                        .build(),
                )
                .tag_specifications(ec2_tags(Ec2ResourceType::Image, run_id, None))
                .send(),
        )
        .await?;
    let image_id = image.image_id().unwrap_or_default().to_string();
    // Tag the AMI and the snapshots behind it (made by EC2 for the AMI): not every endpoint
    // applies RegisterImage's tag specifications.
    let described = ec2_site("DescribeImages", region)
        .run(ec2.describe_images().image_ids(&image_id).send())
        .await?;
    let mut resources = vec![image_id.clone()];
    resources.extend(
        described
            .images()
            .iter()
            .flat_map(|i| i.block_device_mappings())
            .filter_map(|m| m.ebs().and_then(|e| e.snapshot_id()))
            .map(str::to_string),
    );
    ec2_site("CreateTags", region)
        .run(
            ec2.create_tags()
                .set_resources(Some(resources))
                .tags(Ec2Tag::builder().key(GAMEDAY_TAG).value(run_id).build())
                .send(),
        )
        .await?;
    launch_instance(ctx, pass, region, &image_id, name, run_id).await?;
    Ok(image_id)
}

/// Launches one tagged instance of `image_id`; in a region without a default VPC, into a
/// subnet that is there.
pub(super) async fn launch_instance(
    ctx: &AwsContext,
    _pass: &Sandbox,
    region: &str,
    image_id: &str,
    name: &str,
    run_id: &str,
) -> Result<(), AwsError> {
    let ec2 = ctx.for_changes().ec2(region);
    let launch = |subnet: Option<String>| {
        ec2_site("RunInstances", region).run(
            ec2.run_instances()
                .image_id(image_id)
                .min_count(1)
                .max_count(1)
                .instance_type(aws_sdk_ec2::types::InstanceType::T3Micro)
                .set_subnet_id(subnet)
                .tag_specifications(ec2_tags(Ec2ResourceType::Instance, run_id, Some(name)))
                .send(),
        )
    };
    match launch(None).await {
        Err(error) if error.code == "VPCIdNotSpecified" => {
            let subnet = some_subnet(ctx, region).await?.ok_or_else(|| AwsError {
                message: format!(
                    "{} — and the region has no subnet to launch into: create a VPC with a subnet in {region} (or a default VPC: aws ec2 create-default-vpc), or pick another region",
                    error.message
                ),
                ..error
            })?;
            launch(Some(subnet)).await.map(drop)
        }
        other => other.map(drop),
    }
}

/// A subnet of `region` to launch into when it has no default VPC: an available one.
async fn some_subnet(ctx: &AwsContext, region: &str) -> Result<Option<String>, AwsError> {
    let subnets = ec2_site("DescribeSubnets", region)
        .run(
            ctx.ec2(region)
                .describe_subnets()
                .filters(Filter::builder().name("state").values("available").build())
                .send(),
        )
        .await?;
    Ok(subnets
        .subnets()
        .iter()
        .find_map(|s| s.subnet_id().map(str::to_string)))
}

/// Adds `with` to an AMI's launch permissions.
pub async fn share_image(
    ctx: &AwsContext,
    _pass: &Sandbox,
    region: &str,
    image_id: &str,
    with: &ShareWith,
) -> Result<(), AwsError> {
    let ec2 = ctx.for_changes().ec2(region);
    let permission = match with {
        ShareWith::Public => LaunchPermission::builder().group(PermissionGroup::All),
        ShareWith::Account(account) => LaunchPermission::builder().user_id(account),
    };
    ec2_site("ModifyImageAttribute", region)
        .run(
            ec2.modify_image_attribute()
                .image_id(image_id)
                .launch_permission(
                    LaunchPermissionModifications::builder()
                        .add(permission.build())
                        .build(),
                )
                .send(),
        )
        .await?;
    Ok(())
}
