//! What moto cannot answer, tested with aws-smithy-mocks through the real SDK clients:
//! snapshot and image block public access, throttling sequences, and IAM's
//! `ConcurrentModification`.

mod attribution;
mod config;
mod engine;
mod evidence;
mod sandbox;
mod scan;
mod storage;

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_ec2::Client;
use aws_sdk_ec2::config::SharedInterceptor;
use aws_sdk_ec2::error::ErrorMetadata;
use aws_sdk_ec2::operation::describe_snapshot_attribute::{
    DescribeSnapshotAttributeError, DescribeSnapshotAttributeOutput,
};
use aws_sdk_ec2::operation::describe_snapshots::DescribeSnapshotsOutput;
use aws_sdk_ec2::operation::disable_snapshot_block_public_access::DisableSnapshotBlockPublicAccessOutput;
use aws_sdk_ec2::operation::enable_image_block_public_access::EnableImageBlockPublicAccessOutput;
use aws_sdk_ec2::operation::enable_snapshot_block_public_access::EnableSnapshotBlockPublicAccessOutput;
use aws_sdk_ec2::operation::get_image_block_public_access_state::GetImageBlockPublicAccessStateOutput;
use aws_sdk_ec2::operation::get_snapshot_block_public_access_state::GetSnapshotBlockPublicAccessStateOutput;
use aws_sdk_ec2::types::{CreateVolumePermission, PermissionGroup, SnapshotBlockPublicAccessState};
use aws_smithy_mocks::{MockResponseInterceptor, Rule, RuleMode, create_mock_http_client, mock};
use chrono::Utc;

use crate::aws::AwsContext;
use crate::service::engine::Engine;
use firebreak_core::journal::Journal;
use firebreak_core::model::Identity;
use firebreak_core::model::operation::Operation;
use firebreak_core::playbook::plan::{Outcome, Plan, Playbook, Step, StepResult};

fn context(rules: &[&Rule]) -> AwsContext {
    context_at(rules, None)
}

/// Empty answers for every read of the evasion and persistence services (trails, detectors,
/// security-group rules, event buses, profile associations, API keys), for scans whose test is
/// about something else.
fn quiet_guards() -> Vec<Rule> {
    vec![
        mock!(aws_sdk_cloudtrail::Client::describe_trails).then_output(|| {
            aws_sdk_cloudtrail::operation::describe_trails::DescribeTrailsOutput::builder().build()
        }),
        mock!(aws_sdk_guardduty::Client::list_detectors).then_output(|| {
            aws_sdk_guardduty::operation::list_detectors::ListDetectorsOutput::builder()
                .set_detector_ids(Some(Vec::new()))
                .build()
        }),
        mock!(Client::describe_security_group_rules).then_output(|| {
            aws_sdk_ec2::operation::describe_security_group_rules::DescribeSecurityGroupRulesOutput::builder().build()
        }),
        mock!(aws_sdk_eventbridge::Client::list_event_buses).then_output(|| {
            aws_sdk_eventbridge::operation::list_event_buses::ListEventBusesOutput::builder().build()
        }),
        mock!(Client::describe_iam_instance_profile_associations).then_output(|| {
            aws_sdk_ec2::operation::describe_iam_instance_profile_associations::DescribeIamInstanceProfileAssociationsOutput::builder().build()
        }),
        mock!(aws_sdk_apigateway::Client::get_api_keys).then_output(|| {
            aws_sdk_apigateway::operation::get_api_keys::GetApiKeysOutput::builder().build()
        }),
        mock!(aws_sdk_rds::Client::describe_db_instances).then_output(|| {
            aws_sdk_rds::operation::describe_db_instances::DescribeDbInstancesOutput::builder().build()
        }),
        mock!(aws_sdk_rds::Client::describe_db_clusters).then_output(|| {
            aws_sdk_rds::operation::describe_db_clusters::DescribeDbClustersOutput::builder().build()
        }),
        mock!(aws_sdk_rds::Client::describe_db_snapshots).then_output(|| {
            aws_sdk_rds::operation::describe_db_snapshots::DescribeDbSnapshotsOutput::builder().build()
        }),
        mock!(aws_sdk_rds::Client::describe_db_cluster_snapshots).then_output(|| {
            aws_sdk_rds::operation::describe_db_cluster_snapshots::DescribeDbClusterSnapshotsOutput::builder().build()
        }),
        mock!(aws_sdk_s3::Client::list_buckets).then_output(|| {
            aws_sdk_s3::operation::list_buckets::ListBucketsOutput::builder().build()
        }),
        mock!(aws_sdk_s3control::Client::get_public_access_block).then_output(|| {
            aws_sdk_s3control::operation::get_public_access_block::GetPublicAccessBlockOutput::builder().build()
        }),
    ]
}

/// A mocked context, as if `--endpoint-url` pointed at `endpoint`.
fn context_at(rules: &[&Rule], endpoint: Option<&str>) -> AwsContext {
    let mut interceptor = MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny);
    for rule in rules {
        interceptor = interceptor.with_rule(rule);
    }
    let mut builder = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-west-1"))
        .credentials_provider(aws_sdk_ec2::config::SharedCredentialsProvider::new(
            aws_sdk_ec2::config::Credentials::new("AKIAMOCK", "mock", None, None, "mock"),
        ))
        .http_client(create_mock_http_client())
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(3)
                .with_initial_backoff(Duration::from_millis(1))
                .with_max_backoff(Duration::from_millis(5)),
        );
    builder.set_endpoint_url(endpoint.map(str::to_string));
    let sdk = builder.build();
    AwsContext::for_tests(sdk, vec![SharedInterceptor::new(interceptor)])
}

/// Runs `steps` as one plan through the engine (journal in a temporary folder).
async fn execute(ctx: AwsContext, steps: Vec<Step>) -> Vec<StepResult> {
    execute_journaled(ctx, steps).await.0
}

/// Runs `steps` as one plan through the engine; returns the results and what the journal holds.
async fn execute_journaled(
    ctx: AwsContext,
    steps: Vec<Step>,
) -> (Vec<StepResult>, Vec<firebreak_core::journal::Entry>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let journal = Journal::start(dir.path(), &identity(), vec![]).expect("journal");
    let results = Engine::new(ctx, false, 4)
        .execute(&plan(steps), &journal, |_, _| {})
        .await
        .expect("executed");
    let log = firebreak_core::journal::read_session(journal.path()).expect("journal readable");
    (results, log.records.into_iter().map(|r| r.entry).collect())
}

/// The deny-all inline policy on user mallory.
fn deny_mallory() -> Step {
    Step::global(
        0,
        Operation::PutUserPolicy {
            user: "mallory".into(),
            policy_name: "firebreak-deny-all".into(),
            document: "{}".into(),
        },
        None,
    )
}

fn identity() -> Identity {
    Identity {
        id: "123456789012".into(),
        alias: None,
        caller_arn: "arn:aws:iam::123456789012:user/responder".into(),
    }
}

fn plan(steps: Vec<Step>) -> Plan {
    Plan::new(
        "mock-1".into(),
        Playbook::Freeze,
        identity(),
        Utc::now(),
        steps,
    )
}

/// AWS refusing a call for want of permission.
fn denied() -> ErrorMetadata {
    ErrorMetadata::builder()
        .code("AccessDeniedException")
        .message("not authorized")
        .build()
}
