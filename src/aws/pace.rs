//! Client-side pacing of per-item reads to the request rates AWS publishes for an account and
//! region, so a large estate is read as fast as AWS allows instead of being throttled into
//! retries (the SDK's retries still handle what pacing does not prevent). IAM publishes no
//! per-API rate, so its reads are not paced. The rates are AWS's documented quotas:
//! Lambda `GetPolicy` 15/s, the rest of Lambda's control plane 15/s, `GetFunction` 100/s;
//! EC2 non-mutating actions a bucket of 100 refilled at 20/s; CloudTrail `LookupEvents` 2/s;
//! RDS a bucket of 300 refilled at 12/s. S3 publishes no rate for its bucket-configuration
//! reads (only per-prefix object rates far above a census): they are bounded by
//! `detail_concurrency` alone.

use std::num::NonZeroU32;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// A paced family of API calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Api {
    /// Lambda `GetPolicy`.
    LambdaGetPolicy,
    /// Lambda `GetFunction`.
    LambdaGetFunction,
    /// Every other Lambda control-plane call (`GetFunctionConcurrency`, `GetFunctionUrlConfig`,
    /// `ListAliases`, `ListTags`, …).
    LambdaControl,
    /// EC2 non-mutating calls (`DescribeSnapshotAttribute`, `DescribeImageAttribute`, …).
    Ec2Describe,
    /// CloudTrail `LookupEvents`.
    CloudTrailLookup,
    /// RDS calls (`DescribeDBSnapshotAttributes`, …): one bucket of 300 refilled at 12/s.
    RdsDescribe,
}

/// One keyed limiter per paced family, keyed by region.
pub(crate) struct Pacer {
    lambda_get_policy: DefaultKeyedRateLimiter<String>,
    lambda_get_function: DefaultKeyedRateLimiter<String>,
    lambda_control: DefaultKeyedRateLimiter<String>,
    ec2_describe: DefaultKeyedRateLimiter<String>,
    cloudtrail_lookup: DefaultKeyedRateLimiter<String>,
    rds: DefaultKeyedRateLimiter<String>,
}

impl std::fmt::Debug for Pacer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pacer")
    }
}

/// `per_second` requests a second with bursts of `burst`.
fn quota(per_second: u32, burst: u32) -> Quota {
    let rate = NonZeroU32::new(per_second).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
    Quota::per_second(rate).allow_burst(burst)
}

impl Default for Pacer {
    fn default() -> Self {
        Pacer {
            lambda_get_policy: RateLimiter::keyed(quota(15, 15)),
            lambda_get_function: RateLimiter::keyed(quota(100, 100)),
            lambda_control: RateLimiter::keyed(quota(15, 15)),
            ec2_describe: RateLimiter::keyed(quota(20, 100)),
            cloudtrail_lookup: RateLimiter::keyed(quota(2, 2)),
            rds: RateLimiter::keyed(quota(12, 300)),
        }
    }
}

impl Pacer {
    /// Waits until one more `api` call in `region` keeps within AWS's published rate.
    pub(crate) async fn wait(&self, api: Api, region: &str) {
        let limiter = match api {
            Api::LambdaGetPolicy => &self.lambda_get_policy,
            Api::LambdaGetFunction => &self.lambda_get_function,
            Api::LambdaControl => &self.lambda_control,
            Api::Ec2Describe => &self.ec2_describe,
            Api::CloudTrailLookup => &self.cloudtrail_lookup,
            Api::RdsDescribe => &self.rds,
        };
        limiter.until_key_ready(&region.to_string()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_region_past_its_burst_must_wait_and_other_regions_have_their_own_budget() {
        let pacer = Pacer::default();
        for _ in 0..15 {
            pacer.wait(Api::LambdaGetPolicy, "eu-west-1").await;
        }
        let eu = "eu-west-1".to_string();
        assert!(
            pacer.lambda_get_policy.check_key(&eu).is_err(),
            "a sixteenth GetPolicy in the same second must wait"
        );
        assert!(pacer.lambda_control.check_key(&eu).is_ok(), "per family");
        assert!(
            pacer
                .lambda_get_policy
                .check_key(&"us-east-1".to_string())
                .is_ok(),
            "per region"
        );
        // EC2's bucket is deeper: 100 before the first wait.
        for _ in 0..100 {
            assert!(pacer.ec2_describe.check_key(&eu).is_ok());
        }
        assert!(pacer.ec2_describe.check_key(&eu).is_err());
    }
}
