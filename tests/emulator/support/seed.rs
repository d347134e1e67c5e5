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
