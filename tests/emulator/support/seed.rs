//! Seeding the emulator through the real Rust SDK.

use aws_sdk_ec2::types::{
    LaunchPermission, LaunchPermissionModifications, OperationType, PermissionGroup,
    SnapshotAttributeName,
};
use aws_sdk_iam::config::{BehaviorVersion, Credentials, Region};

/// SDK clients against the emulator, one region at a time.
pub struct Seeder {
    config: aws_config::SdkConfig,
}

/// A minimal valid zip (one empty file) for Lambda's CreateFunction.
fn tiny_zip() -> Vec<u8> {
    // An empty zip archive: just the end-of-central-directory record.
    let mut zip = vec![0x50, 0x4b, 0x05, 0x06];
    zip.extend([0u8; 18]);
    zip
}

impl Seeder {
    pub fn new(endpoint: &str) -> Self {
        let config = aws_config::SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(endpoint)
            .credentials_provider(aws_sdk_iam::config::SharedCredentialsProvider::new(
                Credentials::new("AKIAFIREBREAKSEED", "seed-secret", None, None, "test"),
            ))
            .build();
        Seeder { config }
    }

    pub fn iam(&self) -> aws_sdk_iam::Client {
        aws_sdk_iam::Client::new(&self.config)
    }

    pub fn sts(&self) -> aws_sdk_sts::Client {
        aws_sdk_sts::Client::new(&self.config)
    }

    pub fn ec2(&self, region: &str) -> aws_sdk_ec2::Client {
        let config = aws_sdk_ec2::config::Builder::from(&self.config)
            .region(Region::new(region.to_string()))
            .build();
        aws_sdk_ec2::Client::from_conf(config)
    }

    pub fn lambda(&self, region: &str) -> aws_sdk_lambda::Client {
        let config = aws_sdk_lambda::config::Builder::from(&self.config)
            .region(Region::new(region.to_string()))
            .build();
        aws_sdk_lambda::Client::from_conf(config)
    }

    pub fn cloudtrail(&self, region: &str) -> aws_sdk_cloudtrail::Client {
        let config = aws_sdk_cloudtrail::config::Builder::from(&self.config)
            .region(Region::new(region.to_string()))
            .build();
        aws_sdk_cloudtrail::Client::from_conf(config)
    }

    pub fn guardduty(&self, region: &str) -> aws_sdk_guardduty::Client {
        let config = aws_sdk_guardduty::config::Builder::from(&self.config)
            .region(Region::new(region.to_string()))
            .build();
        aws_sdk_guardduty::Client::from_conf(config)
    }

    pub fn eventbridge(&self, region: &str) -> aws_sdk_eventbridge::Client {
        let config = aws_sdk_eventbridge::config::Builder::from(&self.config)
            .region(Region::new(region.to_string()))
            .build();
        aws_sdk_eventbridge::Client::from_conf(config)
    }

    pub fn apigateway(&self, region: &str) -> aws_sdk_apigateway::Client {
        let config = aws_sdk_apigateway::config::Builder::from(&self.config)
            .region(Region::new(region.to_string()))
            .build();
        aws_sdk_apigateway::Client::from_conf(config)
    }

    pub fn rds(&self, region: &str) -> aws_sdk_rds::Client {
        let config = aws_sdk_rds::config::Builder::from(&self.config)
            .region(Region::new(region.to_string()))
            .build();
        aws_sdk_rds::Client::from_conf(config)
    }

    /// An S3 client for `region`, buckets addressed in the path (the emulator has no names),
    /// reading moto's answers as firebreak does.
    pub fn s3(&self, region: &str) -> aws_sdk_s3::Client {
        let config = aws_sdk_s3::config::Builder::from(&self.config)
            .region(Region::new(region.to_string()))
            .force_path_style(true)
            .interceptor(firebreak::aws::emulator_shims::RenamedRoot)
            .build();
        aws_sdk_s3::Client::from_conf(config)
    }

    /// An S3 Control client, pointed at the emulator as firebreak points its own.
    pub fn s3control(&self) -> aws_sdk_s3control::Client {
        let endpoint = self.config.endpoint_url().expect("seeder has an endpoint");
        let config = aws_sdk_s3control::config::Builder::from(&self.config)
            .endpoint_resolver(firebreak::aws::emulator_shims::OverriddenHost::new(
                endpoint,
            ))
            .build();
        aws_sdk_s3control::Client::from_conf(config)
    }

    /// A private, encrypted Postgres DB instance `id` in `region` keeping 7 days of backups,
    /// protected from deletion or not.
    pub async fn db_instance(&self, region: &str, id: &str, protected: bool) {
        self.rds(region)
            .create_db_instance()
            .db_instance_identifier(id)
            .db_instance_class("db.t3.micro")
            .engine("postgres")
            .allocated_storage(20)
            .master_username("admin")
            .master_user_password("not-a-secret-test-only")
            .publicly_accessible(false)
            .deletion_protection(protected)
            .backup_retention_period(7)
            .storage_encrypted(true)
            .send()
            .await
            .expect("create instance");
    }

    /// An S3 bucket in us-east-1 (a trail's destination, or data).
    pub async fn bucket(&self, name: &str) {
        self.bucket_in("us-east-1", name).await;
    }

    /// An S3 bucket homed in `region`.
    pub async fn bucket_in(&self, region: &str, name: &str) {
        let mut create = self.s3(region).create_bucket().bucket(name);
        if region != "us-east-1" {
            create = create.create_bucket_configuration(
                aws_sdk_s3::types::CreateBucketConfiguration::builder()
                    .location_constraint(region.into())
                    .build(),
            );
        }
        create.send().await.expect("create bucket");
    }

    /// `count` small objects `data/0000.csv`… in `bucket`.
    pub async fn objects(&self, region: &str, bucket: &str, count: usize) {
        let s3 = self.s3(region);
        for n in 0..count {
            s3.put_object()
                .bucket(bucket)
                .key(format!("data/{n:04}.csv"))
                .body(aws_sdk_s3::primitives::ByteStream::from(vec![b'x'; 64]))
                .send()
                .await
                .expect("put object");
        }
    }

    /// A trail homed in `region`, logging, writing to a new bucket; returns its ARN.
    pub async fn trail(&self, region: &str, name: &str, multi_region: bool) -> String {
        let bucket = format!("{name}-logs");
        self.bucket(&bucket).await;
        let client = self.cloudtrail(region);
        let trail = client
            .create_trail()
            .name(name)
            .s3_bucket_name(&bucket)
            .is_multi_region_trail(multi_region)
            .send()
            .await
            .expect("create trail");
        client
            .start_logging()
            .name(name)
            .send()
            .await
            .expect("start logging");
        trail.trail_arn().expect("trail arn").to_string()
    }

    /// An enabled GuardDuty detector in `region`; returns its id.
    pub async fn detector(&self, region: &str) -> String {
        self.guardduty(region)
            .create_detector()
            .enable(true)
            .send()
            .await
            .expect("create detector")
            .detector_id()
            .expect("detector id")
            .to_string()
    }

    /// A running instance in `region`, from an image of its own; returns its id.
    pub async fn instance(&self, region: &str) -> String {
        let image = self.image(region, "server").await;
        self.ec2(region)
            .run_instances()
            .image_id(image)
            .min_count(1)
            .max_count(1)
            .send()
            .await
            .expect("run instance")
            .instances()[0]
            .instance_id()
            .expect("instance id")
            .to_string()
    }

    /// A security group in `region` admitting the internet on tcp `port`; returns its id.
    pub async fn open_group(&self, region: &str, name: &str, port: i32) -> String {
        let group = self.group(region, name).await;
        self.open_port(region, &group, port).await;
        group
    }

    /// Creates security group `name` with no ingress rule; returns its id.
    pub async fn group(&self, region: &str, name: &str) -> String {
        self.ec2(region)
            .create_security_group()
            .group_name(name)
            .description(format!("{name} servers"))
            .send()
            .await
            .expect("create security group")
            .group_id()
            .expect("group id")
            .to_string()
    }

    /// Admits the internet on tcp `port` of `group`.
    pub async fn open_port(&self, region: &str, group: &str, port: i32) {
        self.open_port_from(region, group, port, "0.0.0.0/0", None)
            .await;
    }

    /// Admits `cidr` (IPv4 or IPv6) on tcp `port` of `group`, with a rule description.
    pub async fn open_port_from(
        &self,
        region: &str,
        group: &str,
        port: i32,
        cidr: &str,
        description: Option<&str>,
    ) {
        let permission = aws_sdk_ec2::types::IpPermission::builder()
            .ip_protocol("tcp")
            .from_port(port)
            .to_port(port);
        let permission = if cidr.contains(':') {
            permission.ipv6_ranges(
                aws_sdk_ec2::types::Ipv6Range::builder()
                    .cidr_ipv6(cidr)
                    .set_description(description.map(str::to_string))
                    .build(),
            )
        } else {
            permission.ip_ranges(
                aws_sdk_ec2::types::IpRange::builder()
                    .cidr_ip(cidr)
                    .set_description(description.map(str::to_string))
                    .build(),
            )
        };
        self.ec2(region)
            .authorize_security_group_ingress()
            .group_id(group)
            .ip_permissions(permission.build())
            .send()
            .await
            .expect("open port");
    }

    /// Stops a trail's logging, as an intruder would.
    pub async fn stop_logging(&self, region: &str, trail: &str) {
        self.cloudtrail(region)
            .stop_logging()
            .name(trail)
            .send()
            .await
            .expect("stop logging");
    }

    /// Disables a GuardDuty detector, as an intruder would.
    pub async fn disable_detector(&self, region: &str, detector: &str) {
        self.guardduty(region)
            .update_detector()
            .detector_id(detector)
            .enable(false)
            .send()
            .await
            .expect("disable detector");
    }

    /// Associates the instance profile `profile` with `instance`.
    pub async fn associate_profile(&self, region: &str, instance: &str, profile: &str) {
        self.ec2(region)
            .associate_iam_instance_profile()
            .instance_id(instance)
            .iam_instance_profile(
                aws_sdk_ec2::types::IamInstanceProfileSpecification::builder()
                    .name(profile)
                    .build(),
            )
            .send()
            .await
            .expect("associate profile");
    }

    /// An EventBridge rule on the default bus running on `schedule` with one target.
    pub async fn event_rule(&self, region: &str, name: &str, schedule: &str, target: &str) {
        let events = self.eventbridge(region);
        events
            .put_rule()
            .name(name)
            .schedule_expression(schedule)
            .send()
            .await
            .expect("put rule");
        events
            .put_targets()
            .rule(name)
            .targets(
                aws_sdk_eventbridge::types::Target::builder()
                    .id("1")
                    .arn(target)
                    .build()
                    .expect("target"),
            )
            .send()
            .await
            .expect("put targets");
    }

    /// An enabled API key in `region`; returns its id.
    pub async fn api_key(&self, region: &str, name: &str) -> String {
        self.apigateway(region)
            .create_api_key()
            .name(name)
            .enabled(true)
            .send()
            .await
            .expect("create api key")
            .id()
            .expect("key id")
            .to_string()
    }

    /// A role trusted by EC2 with `policy` attached, in an instance profile of the same name.
    pub async fn instance_profile(&self, name: &str, policy: &str) -> String {
        self.role(
            name,
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
        )
        .await;
        let iam = self.iam();
        iam.attach_role_policy()
            .role_name(name)
            .policy_arn(policy)
            .send()
            .await
            .expect("attach policy");
        iam.create_instance_profile()
            .instance_profile_name(name)
            .send()
            .await
            .expect("create instance profile");
        iam.add_role_to_instance_profile()
            .instance_profile_name(name)
            .role_name(name)
            .send()
            .await
            .expect("add role to profile");
        name.to_string()
    }

    /// A role Lambda can use; returns its ARN.
    pub async fn lambda_role(&self, name: &str) -> String {
        self.role(
            name,
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
        )
        .await
    }

    /// Creates a role with `trust_policy`; returns its ARN.
    pub async fn role(&self, name: &str, trust_policy: &str) -> String {
        let out = self
            .iam()
            .create_role()
            .role_name(name)
            .assume_role_policy_document(trust_policy)
            .send()
            .await
            .expect("create role");
        out.role().map(|r| r.arn().to_string()).expect("role arn")
    }

    /// Creates a function in `region`; returns its ARN.
    pub async fn function(&self, region: &str, name: &str, role_arn: &str) -> String {
        self.function_with_env(region, name, role_arn, &[]).await
    }

    /// Creates a function with environment variables; returns its ARN.
    pub async fn function_with_env(
        &self,
        region: &str,
        name: &str,
        role_arn: &str,
        env: &[(&str, &str)],
    ) -> String {
        let mut environment = aws_sdk_lambda::types::Environment::builder();
        for (key, value) in env {
            environment = environment.variables(*key, *value);
        }
        let out = self
            .lambda(region)
            .create_function()
            .environment(environment.build())
            .function_name(name)
            .runtime(aws_sdk_lambda::types::Runtime::Python312)
            .role(role_arn)
            .handler("index.handler")
            .code(
                aws_sdk_lambda::types::FunctionCode::builder()
                    .zip_file(aws_sdk_lambda::primitives::Blob::new(tiny_zip()))
                    .build(),
            )
            .send()
            .await
            .expect("create function");
        out.function_arn().expect("function arn").to_string()
    }

    /// Creates a volume and a snapshot of it in `region`; returns the snapshot id.
    pub async fn snapshot(&self, region: &str, encrypted: bool) -> String {
        let ec2 = self.ec2(region);
        let volume = ec2
            .create_volume()
            .availability_zone(format!("{region}a"))
            .size(8)
            .encrypted(encrypted)
            .send()
            .await
            .expect("create volume");
        let snapshot = ec2
            .create_snapshot()
            .volume_id(volume.volume_id().expect("volume id"))
            .send()
            .await
            .expect("create snapshot");
        snapshot.snapshot_id().expect("snapshot id").to_string()
    }

    /// Adds `all` (when `public`) and `accounts` to a snapshot's createVolumePermission.
    ///
    /// moto only honours the OperationType/GroupNames/UserIds form of this call.
    pub async fn share_snapshot(&self, region: &str, id: &str, public: bool, accounts: &[&str]) {
        let mut request = self
            .ec2(region)
            .modify_snapshot_attribute()
            .snapshot_id(id)
            .attribute(SnapshotAttributeName::CreateVolumePermission)
            .operation_type(OperationType::Add);
        for account in accounts {
            request = request.user_ids(*account);
        }
        if public {
            request = request.group_names("all");
        }
        request.send().await.expect("share snapshot");
    }

    /// Registers an AMI in `region`; returns its id.
    pub async fn image(&self, region: &str, name: &str) -> String {
        self.ec2(region)
            .register_image()
            .name(name)
            .root_device_name("/dev/sda1")
            .send()
            .await
            .expect("register image")
            .image_id()
            .expect("image id")
            .to_string()
    }

    /// Adds `all` (when `public`) and `accounts` to an AMI's launchPermission.
    pub async fn share_image(&self, region: &str, id: &str, public: bool, accounts: &[&str]) {
        let mut grants: Vec<LaunchPermission> = accounts
            .iter()
            .map(|a| LaunchPermission::builder().user_id(*a).build())
            .collect();
        if public {
            grants.push(
                LaunchPermission::builder()
                    .group(PermissionGroup::All)
                    .build(),
            );
        }
        self.ec2(region)
            .modify_image_attribute()
            .image_id(id)
            .launch_permission(
                LaunchPermissionModifications::builder()
                    .set_add(Some(grants))
                    .build(),
            )
            .send()
            .await
            .expect("share image");
    }

    /// Creates a user with one access key; returns (key id, secret) to run firebreak as it.
    pub async fn user_with_secret(&self, name: &str) -> (String, String) {
        let iam = self.iam();
        iam.create_user()
            .user_name(name)
            .send()
            .await
            .expect("create user");
        let key = iam
            .create_access_key()
            .user_name(name)
            .send()
            .await
            .expect("create access key");
        let key = key.access_key().expect("key");
        (
            key.access_key_id().to_string(),
            key.secret_access_key().to_string(),
        )
    }

    /// Creates a user with `keys` access keys; returns the key ids.
    pub async fn user(&self, name: &str, keys: usize) -> Vec<String> {
        let iam = self.iam();
        iam.create_user()
            .user_name(name)
            .send()
            .await
            .expect("create user");
        let mut ids = Vec::new();
        for _ in 0..keys {
            let key = iam
                .create_access_key()
                .user_name(name)
                .send()
                .await
                .expect("create access key");
            ids.push(key.access_key().expect("key").access_key_id().to_string());
        }
        ids
    }
}
