//! The AWS context: one SDK config loaded once (credential chain, retry, timeouts, endpoint
//! override), per-region clients built from it, the caller's identity and the account's regions.

use std::sync::Arc;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};

use firebreak_core::scan::RegionInfo;

use super::attempts::AttemptWatch;
use super::emulator_shims::{OverriddenHost, RenamedRoot};
use super::error::{AwsError, CallSite};
use super::pace::{Api, Pacer};
use super::unimplemented::EmulatorGap;
use super::unreachable::Unreachable;
use aws_sdk_s3::config::SharedInterceptor;
use firebreak_core::model::{GLOBAL, Identity, partition_of_region};

/// The region used for global services when neither the flag nor the AWS config names one.
pub const FALLBACK_HOME_REGION: &str = "us-east-1";

/// How to reach AWS: from the command line and the config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectOptions {
    pub profile: Option<String>,
    /// Home region (global services, DescribeRegions).
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
    /// Attempts per read call, including the first (SDK standard retry).
    pub read_attempts: u32,
    /// Attempts per mutating call, including the first (SDK standard retry).
    pub change_attempts: u32,
    /// Longest wait between two attempts (exponential backoff with jitter up to this).
    pub max_backoff: Duration,
    pub connect_timeout: Duration,
    /// Limit for one attempt of one call.
    pub attempt_timeout: Duration,
    /// Limit for one call, retries included.
    pub operation_timeout: Duration,
    /// Call with fixed dummy credentials instead of the credential chain: for an emulator
    /// firebreak started itself (a game day), which accepts any signed request.
    pub emulator_credentials: bool,
}

/// Loaded SDK configuration and the home region; cheap to clone.
///
/// Clients built from it read: throttling during a breach is normal, so reads retry with a
/// larger budget (exponential backoff with jitter; retry quota per service and region). Mutating
/// calls go through [`AwsContext::for_changes`].
#[derive(Debug, Clone)]
pub struct AwsContext {
    sdk: SdkConfig,
    /// Retry for mutating calls (standard, smaller budget).
    change_retry: RetryConfig,
    /// Per-item reads paced to AWS's published rates, per region of this account.
    pacer: Arc<Pacer>,
    home_region: String,
    /// Interceptors (aws-smithy-mocks) added to every client, for what moto lacks.
    #[cfg(test)]
    interceptors: Vec<aws_sdk_ec2::config::SharedInterceptor>,
}

/// `$builder` (a service config builder from the shared SDK config) with what every client
/// carries — the attempt watch, a refused connection final, an emulator's missing call
/// recognised, the test interceptors in tests — built into a `$sdk` client.
macro_rules! client {
    ($self:ident, $sdk:ident, $builder:expr) => {{
        let mut builder = $builder;
        builder.push_interceptor(AttemptWatch::shared());
        builder.push_retry_classifier(Unreachable::shared());
        if $self.emulated() {
            builder.push_retry_classifier(EmulatorGap::shared());
        }
        #[cfg(test)]
        for interceptor in &$self.interceptors {
            builder.push_interceptor(interceptor.clone());
        }
        $sdk::Client::from_conf(builder.build())
    }};
}

/// A method building `$sdk`'s client for one region from the shared SDK config.
macro_rules! regional_client {
    ($(#[$doc:meta])* $name:ident, $sdk:ident) => {
        $(#[$doc])*
        pub(crate) fn $name(&self, region: &str) -> $sdk::Client {
            client!(
                self,
                $sdk,
                $sdk::config::Builder::from(&self.sdk).region(Region::new(region.to_string()))
            )
        }
    };
}

impl AwsContext {
    /// Loads the SDK configuration once: env, profiles and SSO through aws-config's default chain.
    pub async fn load(options: &ConnectOptions) -> Self {
        Self::loaded(loader(options).load().await, options)
    }

    /// [`AwsContext::load`] with every call answered by `interceptors` (aws-smithy-mocks) and
    /// fixed credentials: the retry and timeout settings are the ones `load` applies.
    #[cfg(test)]
    pub(crate) async fn load_mocked(
        options: &ConnectOptions,
        interceptors: Vec<aws_sdk_ec2::config::SharedInterceptor>,
    ) -> Self {
        let sdk = loader(options)
            .http_client(aws_smithy_mocks::create_mock_http_client())
            .credentials_provider(aws_sdk_ec2::config::Credentials::new(
                "AKIAMOCK", "mock", None, None, "mock",
            ))
            .load()
            .await;
        AwsContext {
            interceptors,
            ..Self::loaded(sdk, options)
        }
    }

    /// The context over a loaded SDK config: the home region, and the retry budget for changes.
    fn loaded(mut sdk: SdkConfig, options: &ConnectOptions) -> Self {
        let home_region = match sdk.region() {
            Some(region) => region.to_string(),
            None => {
                sdk = sdk
                    .into_builder()
                    .region(Region::new(FALLBACK_HOME_REGION))
                    .build();
                FALLBACK_HOME_REGION.to_string()
            }
        };
        AwsContext {
            sdk,
            change_retry: RetryConfig::standard()
                .with_max_attempts(options.change_attempts.max(1))
                .with_max_backoff(options.max_backoff),
            pacer: Arc::default(),
            home_region,
            #[cfg(test)]
            interceptors: Vec::new(),
        }
    }

    /// A context over a ready SDK config whose EC2 and IAM clients carry `interceptors` (mocks).
    #[cfg(test)]
    pub(crate) fn for_tests(
        sdk: SdkConfig,
        interceptors: Vec<aws_sdk_ec2::config::SharedInterceptor>,
    ) -> Self {
        AwsContext {
            home_region: sdk.region().map(|r| r.to_string()).unwrap_or_default(),
            change_retry: sdk
                .retry_config()
                .cloned()
                .unwrap_or_else(RetryConfig::standard),
            pacer: Arc::default(),
            sdk,
            interceptors,
        }
    }

    /// The same context with the retry budget for mutating calls: clients built from it are the
    /// ones that change the account.
    pub(crate) fn for_changes(&self) -> AwsContext {
        AwsContext {
            sdk: self
                .sdk
                .to_builder()
                .retry_config(self.change_retry.clone())
                .build(),
            ..self.clone()
        }
    }

    /// The same context calling with `credentials` instead (a game day's attacker).
    pub(crate) fn with_credentials(
        &self,
        credentials: aws_credential_types::Credentials,
    ) -> AwsContext {
        AwsContext {
            sdk: self
                .sdk
                .to_builder()
                .credentials_provider(
                    aws_credential_types::provider::SharedCredentialsProvider::new(credentials),
                )
                .build(),
            pacer: Arc::default(),
            ..self.clone()
        }
    }

    /// Waits until one more `api` call in `region` keeps within AWS's published rate.
    pub(crate) async fn pace(&self, api: Api, region: &str) {
        self.pacer.wait(api, region).await;
    }

    /// Whether every call goes to an overridden endpoint (an emulator): only there is "the call
    /// is not implemented" an expected answer rather than a failure.
    pub fn emulated(&self) -> bool {
        self.sdk.endpoint_url().is_some()
    }

    pub(crate) fn iam(&self) -> aws_sdk_iam::Client {
        client!(
            self,
            aws_sdk_iam,
            aws_sdk_iam::config::Builder::from(&self.sdk)
        )
    }

    pub(crate) fn sts(&self) -> aws_sdk_sts::Client {
        client!(
            self,
            aws_sdk_sts,
            aws_sdk_sts::config::Builder::from(&self.sdk)
        )
    }

    regional_client!(
        /// An EC2 client for `region`.
        ec2,
        aws_sdk_ec2
    );
    regional_client!(
        /// A Lambda client for `region`.
        lambda,
        aws_sdk_lambda
    );
    regional_client!(
        /// A CloudTrail client for `region`.
        cloudtrail,
        aws_sdk_cloudtrail
    );
    regional_client!(
        /// A GuardDuty client for `region`.
        guardduty,
        aws_sdk_guardduty
    );
    regional_client!(
        /// An EventBridge client for `region`.
        eventbridge,
        aws_sdk_eventbridge
    );
    /// An S3 client for `region`. Against an emulator, buckets are addressed in the path:
    /// `bucket.127.0.0.1` names no host.
    pub(crate) fn s3(&self, region: &str) -> aws_sdk_s3::Client {
        client!(self, aws_sdk_s3, {
            let mut builder = aws_sdk_s3::config::Builder::from(&self.sdk)
                .region(Region::new(region.to_string()))
                .force_path_style(self.emulated());
            if self.emulated() {
                builder.push_interceptor(SharedInterceptor::new(RenamedRoot));
            }
            builder
        })
    }

    /// An S3 Control client (account-level settings), in the home region.
    pub(crate) fn s3control(&self) -> aws_sdk_s3control::Client {
        let mut builder = aws_sdk_s3control::config::Builder::from(&self.sdk);
        if let Some(url) = self.sdk.endpoint_url() {
            builder = builder.endpoint_resolver(OverriddenHost::new(url));
        }
        client!(self, aws_sdk_s3control, builder)
    }

    regional_client!(
        /// An RDS client for `region`.
        rds,
        aws_sdk_rds
    );
    regional_client!(
        /// An API Gateway client for `region`.
        apigateway,
        aws_sdk_apigateway
    );

    /// The partition of the home region (`aws`, `aws-cn`, `aws-us-gov`, …): ARNs firebreak
    /// writes and the regions it reads are this partition's.
    pub fn partition(&self) -> &'static str {
        partition_of_region(&self.home_region)
    }

    /// Who we are: STS GetCallerIdentity, plus the account alias from IAM.
    ///
    /// A failed alias lookup does not hide the identity: it comes back as the second value.
    pub async fn identity(&self) -> Result<(Identity, Option<AwsError>), AwsError> {
        let site = CallSite {
            service: "sts",
            operation: "GetCallerIdentity",
            region: &self.home_region,
        };
        let alias_site = CallSite {
            service: "iam",
            operation: "ListAccountAliases",
            region: GLOBAL,
        };
        // Asked at once: the alias does not depend on the caller.
        let (caller, aliases) = tokio::join!(
            site.run(self.sts().get_caller_identity().send()),
            alias_site.run(self.iam().list_account_aliases().send())
        );
        let caller = caller?;
        let (alias, alias_error) = match aliases {
            Ok(out) => (out.account_aliases().first().cloned(), None),
            Err(err) => (None, Some(err)),
        };
        let identity = Identity {
            id: caller.account().unwrap_or_default().to_string(),
            alias,
            caller_arn: caller.arn().unwrap_or_default().to_string(),
        };
        Ok((identity, alias_error))
    }

    /// Every region of the home region's partition — the caller's — each marked enabled or not
    /// (DescribeRegions, AllRegions). An emulator lists every partition's regions; a caller of
    /// one partition can reach none of another's.
    pub async fn regions(&self) -> Result<Vec<RegionInfo>, AwsError> {
        let site = CallSite {
            service: "ec2",
            operation: "DescribeRegions",
            region: &self.home_region,
        };
        let out = site
            .run(
                self.ec2(&self.home_region)
                    .describe_regions()
                    .all_regions(true)
                    .send(),
            )
            .await?;
        let partition = partition_of_region(&self.home_region);
        let mut regions: Vec<RegionInfo> = out
            .regions()
            .iter()
            .filter(|r| r.region_name().map(partition_of_region) == Some(partition))
            .filter_map(|r| {
                Some(RegionInfo {
                    name: r.region_name()?.to_string(),
                    enabled: r.opt_in_status() != Some("not-opted-in"),
                })
            })
            .collect();
        regions.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(regions)
    }

    /// The regions named on the command line, as `listed` (DescribeRegions) has them. A name it
    /// does not list is no region of this partition — a typo, most likely — and an error.
    pub fn named_regions(
        &self,
        listed: &[RegionInfo],
        names: &[String],
    ) -> Result<Vec<RegionInfo>, Box<AwsError>> {
        named_regions(&self.home_region, listed, names)
    }
}

/// aws-config's default chain with the retry (the read budget) and timeouts of `options`.
fn loader(options: &ConnectOptions) -> aws_config::ConfigLoader {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(options.read_attempts.max(1))
                .with_max_backoff(options.max_backoff),
        )
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(options.connect_timeout)
                .operation_attempt_timeout(options.attempt_timeout)
                .operation_timeout(options.operation_timeout)
                .build(),
        );
    if let Some(profile) = &options.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = &options.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(url) = &options.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    if options.emulator_credentials {
        loader = loader
            .credentials_provider(aws_credential_types::Credentials::new(
                "AKIAFIREBREAKEMULATOR",
                "firebreak-emulator",
                None,
                None,
                "firebreak-emulator",
            ))
            .region(Region::new(
                options
                    .region
                    .clone()
                    .unwrap_or_else(|| FALLBACK_HOME_REGION.to_string()),
            ));
    }
    loader
}

fn named_regions(
    home_region: &str,
    listed: &[RegionInfo],
    names: &[String],
) -> Result<Vec<RegionInfo>, Box<AwsError>> {
    let find = |name: &String| listed.iter().find(|r| &r.name == name);
    let unknown: Vec<&str> = names
        .iter()
        .filter(|name| find(name).is_none())
        .map(String::as_str)
        .collect();
    // An empty list tells nothing (it never is on AWS): the names are tried as given.
    if !unknown.is_empty() && !listed.is_empty() {
        let site = CallSite {
            service: "ec2",
            operation: "DescribeRegions",
            region: home_region,
        };
        return Err(Box::new(AwsError {
            code: "UnknownRegion".to_string(),
            message: format!(
                "--regions names {}, not a region of this partition; its regions are {}",
                unknown.join(", "),
                listed
                    .iter()
                    .map(|r| r.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            ..site.local_error()
        }));
    }
    Ok(names
        .iter()
        .map(|name| RegionInfo {
            name: name.clone(),
            enabled: find(name).is_none_or(|r| r.enabled),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ec2::config::{ConfigBag, Intercept, RuntimeComponents, SharedInterceptor};
    use aws_smithy_runtime_api::box_error::BoxError;
    use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Counts the attempts the SDK sends.
    #[derive(Debug, Default)]
    struct Attempts(Arc<AtomicUsize>);
    impl Intercept for Attempts {
        fn name(&self) -> &'static str {
            "attempt counter"
        }
        fn read_before_transmit(
            &self,
            _context: &BeforeTransmitInterceptorContextRef<'_>,
            _runtime_components: &RuntimeComponents,
            _cfg: &mut ConfigBag,
        ) -> Result<(), BoxError> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    }

    #[tokio::test]
    async fn a_refused_endpoint_is_tried_once_and_named() {
        // A port nothing listens on: bound, then released.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let options = ConnectOptions {
            profile: None,
            region: Some("us-east-1".into()),
            endpoint_url: Some(format!("http://127.0.0.1:{port}")),
            read_attempts: 5,
            change_attempts: 5,
            max_backoff: Duration::from_millis(10),
            connect_timeout: Duration::from_secs(5),
            attempt_timeout: Duration::from_secs(20),
            operation_timeout: Duration::from_secs(60),
            emulator_credentials: true,
        };
        let count = Arc::new(AtomicUsize::new(0));
        let ctx = AwsContext {
            interceptors: vec![SharedInterceptor::new(Attempts(count.clone()))],
            ..AwsContext::load(&options).await
        };
        let error = ctx.identity().await.expect_err("nothing listens");
        assert_eq!(error.code, "Connection", "{error}");
        assert!(error.message.contains("refused"), "{error}");
        // GetCallerIdentity and ListAccountAliases, each once, not five times.
        assert_eq!(count.load(Ordering::SeqCst), 2, "each call tried once");
        // A read of a region's service is as final.
        let error = ctx.regions().await.expect_err("nothing listens");
        assert_eq!(error.code, "Connection", "{error}");
        assert_eq!(count.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn a_named_region_the_partition_lacks_is_an_error_naming_the_flag() {
        let listed = [
            RegionInfo {
                name: "eu-west-1".into(),
                enabled: true,
            },
            RegionInfo {
                name: "me-south-1".into(),
                enabled: false,
            },
        ];
        let names = |list: &[&str]| list.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        let resolved = named_regions("us-east-1", &listed, &names(&["me-south-1", "eu-west-1"]))
            .expect("both listed");
        assert_eq!(
            resolved
                .iter()
                .map(|r| (r.name.as_str(), r.enabled))
                .collect::<Vec<_>>(),
            [("me-south-1", false), ("eu-west-1", true)]
        );
        let error = named_regions("us-east-1", &listed, &names(&["eu-west-1", "eu-wset-1"]))
            .expect_err("a typo");
        assert_eq!(error.code, "UnknownRegion");
        assert!(
            error.to_string().starts_with(
                "ec2 DescribeRegions in us-east-1: UnknownRegion: --regions names eu-wset-1, not a region"
            ) && error.message.ends_with("are eu-west-1, me-south-1"),
            "{error}"
        );
        // Nothing listed: tried as given.
        assert_eq!(
            named_regions("us-east-1", &[], &names(&["xx-new-1"])).map(|r| r.len()),
            Ok(1)
        );
    }
}
