//! What moto cannot answer, tested with aws-smithy-mocks through the real SDK clients:
//! snapshot and image block public access, throttling sequences, and IAM's
//! `ConcurrentModification`.

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

use super::AwsContext;
use crate::journal::Journal;
use crate::model::Identity;
use crate::model::operation::Operation;
use crate::playbook::engine::Engine;
use crate::playbook::plan::{Outcome, Plan, Playbook, Step, StepResult};

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
) -> (Vec<StepResult>, Vec<crate::journal::Entry>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let journal = Journal::start(dir.path(), &identity(), vec![]).expect("journal");
    let results = Engine::new(ctx, false, 4)
        .execute(&plan(steps), &journal, |_, _| {})
        .await
        .expect("executed");
    let log = crate::journal::read_session(journal.path()).expect("journal readable");
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

#[tokio::test]
async fn block_public_access_is_enabled_where_off_skipped_where_on_and_undone() {
    let snapshot_state = mock!(Client::get_snapshot_block_public_access_state)
        .sequence()
        .output(|| {
            GetSnapshotBlockPublicAccessStateOutput::builder()
                .state(SnapshotBlockPublicAccessState::Unblocked)
                .build()
        })
        .output(|| {
            GetSnapshotBlockPublicAccessStateOutput::builder()
                .state(SnapshotBlockPublicAccessState::BlockAllSharing)
                .build()
        })
        .repeatedly()
        .build();
    let enable_snapshots = mock!(Client::enable_snapshot_block_public_access)
        .match_requests(|r| r.state() == Some(&SnapshotBlockPublicAccessState::BlockAllSharing))
        .then_output(|| {
            EnableSnapshotBlockPublicAccessOutput::builder()
                .state(SnapshotBlockPublicAccessState::BlockAllSharing)
                .build()
        });
    let image_state = mock!(Client::get_image_block_public_access_state).then_output(|| {
        GetImageBlockPublicAccessStateOutput::builder()
            .image_block_public_access_state("block-new-sharing")
            .build()
    });
    let enable_images = mock!(Client::enable_image_block_public_access)
        .then_output(|| EnableImageBlockPublicAccessOutput::builder().build());
    let disable_snapshots = mock!(Client::disable_snapshot_block_public_access).then_output(|| {
        DisableSnapshotBlockPublicAccessOutput::builder()
            .state(SnapshotBlockPublicAccessState::Unblocked)
            .build()
    });
    let ctx = context(&[
        &snapshot_state,
        &enable_snapshots,
        &image_state,
        &enable_images,
        &disable_snapshots,
    ]);
    let dir = tempfile::tempdir().expect("temp dir");
    let journal = Journal::start(dir.path(), &identity(), vec![]).expect("journal");
    let engine = Engine::new(ctx, false, 4);

    let enable = plan(vec![
        Step::new(
            "eu-west-1",
            0,
            Operation::EnableSnapshotBlockPublicAccess,
            Some(Operation::DisableSnapshotBlockPublicAccess),
        ),
        Step::new(
            "eu-west-1",
            0,
            Operation::EnableImageBlockPublicAccess,
            Some(Operation::DisableImageBlockPublicAccess),
        ),
    ]);
    let results = engine
        .execute(&enable, &journal, |_, _| {})
        .await
        .expect("executed");
    let outcomes: Vec<&Outcome> = results.iter().map(|r| &r.outcome).collect();
    assert_eq!(outcomes, [&Outcome::Ok, &Outcome::Skipped]);
    assert_eq!(enable_snapshots.num_calls(), 1);
    assert_eq!(
        enable_images.num_calls(),
        0,
        "already blocked: nothing sent"
    );

    let undo = plan(vec![Step::new(
        "eu-west-1",
        0,
        Operation::DisableSnapshotBlockPublicAccess,
        None,
    )]);
    let results = engine
        .execute(&undo, &journal, |_, _| {})
        .await
        .expect("executed");
    assert_eq!(results[0].outcome, Outcome::Ok);
    assert_eq!(disable_snapshots.num_calls(), 1);
}

#[tokio::test]
async fn block_new_sharing_is_not_done_and_undo_returns_to_it() {
    // Only block-all-sharing stops snapshots that are public already.
    let state = mock!(Client::get_snapshot_block_public_access_state)
        .sequence()
        .output(|| {
            GetSnapshotBlockPublicAccessStateOutput::builder()
                .state(SnapshotBlockPublicAccessState::BlockNewSharing)
                .build()
        })
        .output(|| {
            GetSnapshotBlockPublicAccessStateOutput::builder()
                .state(SnapshotBlockPublicAccessState::BlockAllSharing)
                .build()
        })
        .build();
    let block_all = mock!(Client::enable_snapshot_block_public_access)
        .match_requests(|r| r.state() == Some(&SnapshotBlockPublicAccessState::BlockAllSharing))
        .then_output(|| EnableSnapshotBlockPublicAccessOutput::builder().build());
    let block_new = mock!(Client::enable_snapshot_block_public_access)
        .match_requests(|r| r.state() == Some(&SnapshotBlockPublicAccessState::BlockNewSharing))
        .then_output(|| EnableSnapshotBlockPublicAccessOutput::builder().build());
    let ctx = context(&[&state, &block_all, &block_new]);
    let dir = tempfile::tempdir().expect("temp dir");
    let journal = Journal::start(dir.path(), &identity(), vec![]).expect("journal");
    let engine = Engine::new(ctx, false, 1);
    let steps = crate::playbook::revert_sharing::block_steps(
        "eu-west-1",
        crate::playbook::revert_sharing::BlockPublicAccess {
            snapshots: Some(crate::model::operation::SnapshotBlock::BlockNewSharing),
            images: Some(true),
        },
    );
    assert_eq!(
        steps[0].inverse,
        Some(Operation::BlockNewSnapshotSharing),
        "undo goes back to the state read before, not to unblocked"
    );
    let results = engine
        .execute(&plan(steps.clone()), &journal, |_, _| {})
        .await
        .expect("executed");
    assert_eq!(
        results[0].outcome,
        Outcome::Ok,
        "block-new-sharing is not done"
    );
    assert_eq!(block_all.num_calls(), 1);
    let undo = plan(vec![Step::new(
        "eu-west-1",
        0,
        Operation::BlockNewSnapshotSharing,
        None,
    )]);
    let results = engine
        .execute(&undo, &journal, |_, _| {})
        .await
        .expect("executed");
    assert_eq!(results[0].outcome, Outcome::Ok);
    assert_eq!(block_new.num_calls(), 1);
}

/// IAM answers that mallory holds no such inline policy, every time it is asked.
fn no_user_policy() -> Rule {
    use aws_sdk_iam::operation::get_user_policy::GetUserPolicyError;
    mock!(aws_sdk_iam::Client::get_user_policy)
        .sequence()
        .error(|| {
            GetUserPolicyError::generic(
                ErrorMetadata::builder()
                    .code("NoSuchEntity")
                    .message("not there")
                    .build(),
            )
        })
        .repeatedly()
        .build()
}

#[tokio::test]
async fn an_iam_write_answered_concurrent_modification_is_sent_again() {
    use aws_sdk_iam::operation::put_user_policy::{PutUserPolicyError, PutUserPolicyOutput};
    let absent = no_user_policy();
    let put = mock!(aws_sdk_iam::Client::put_user_policy)
        .sequence()
        .error(|| {
            PutUserPolicyError::generic(
                ErrorMetadata::builder()
                    .code("ConcurrentModification")
                    .message("Rate exceeded for this user")
                    .build(),
            )
        })
        .output(|| PutUserPolicyOutput::builder().build())
        .build();
    let ctx = context(&[&absent, &put]);
    let results = execute(ctx, vec![deny_mallory()]).await;
    assert_eq!(
        results[0].outcome,
        Outcome::Ok,
        "the SDK does not retry it: firebreak does"
    );
    assert_eq!(put.num_calls(), 2);
}

#[tokio::test]
async fn concurrent_modification_is_sent_four_times_at_most_then_fails() {
    use aws_sdk_iam::operation::put_user_policy::PutUserPolicyError;
    let absent = no_user_policy();
    let put = mock!(aws_sdk_iam::Client::put_user_policy)
        .sequence()
        .error(|| {
            PutUserPolicyError::generic(
                ErrorMetadata::builder()
                    .code("ConcurrentModification")
                    .message("Rate exceeded for this user")
                    .build(),
            )
        })
        .repeatedly()
        .build();
    let ctx = context(&[&absent, &put]);
    let results = execute(ctx, vec![deny_mallory()]).await;
    assert!(
        matches!(&results[0].outcome, Outcome::Failed { error, .. } if error.code == "ConcurrentModification"),
        "{:?}",
        results[0].outcome
    );
    assert_eq!(
        put.num_calls(),
        4,
        "four tries, then the failure is reported"
    );
}

/// Enabling snapshot block public access where the endpoint answers 501.
async fn enable_where_not_implemented(endpoint: Option<&str>) -> Outcome {
    let missing = mock!(Client::get_snapshot_block_public_access_state)
        .sequence()
        .http_status(501, Some("<html>not implemented</html>".to_string()))
        .repeatedly()
        .build();
    let ctx = context_at(&[&missing], endpoint);
    let results = execute(
        ctx,
        vec![Step::new(
            "eu-west-1",
            0,
            Operation::EnableSnapshotBlockPublicAccess,
            None,
        )],
    )
    .await;
    results[0].outcome.clone()
}

#[tokio::test]
async fn an_emulator_without_block_public_access_is_unsupported_not_fatal() {
    let outcome = enable_where_not_implemented(Some("http://127.0.0.1:5000")).await;
    assert!(
        matches!(&outcome, Outcome::Unsupported { error } if error.http_status == Some(501)),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn against_aws_not_implemented_is_a_failure() {
    let outcome = enable_where_not_implemented(None).await;
    assert!(
        matches!(&outcome, Outcome::Failed { error, .. } if error.http_status == Some(501)),
        "the emulator's leniency never hides a failure on a real account: {outcome:?}"
    );
}

fn throttled() -> DescribeSnapshotAttributeError {
    DescribeSnapshotAttributeError::generic(
        ErrorMetadata::builder()
            .code("RequestLimitExceeded")
            .message("Request limit exceeded.")
            .build(),
    )
}

/// DescribeSnapshots as firebreak must send it: the account's own (OwnerIds=self), in pages
/// of 1000. A listing asked for otherwise matches no rule and fails the test.
fn snapshots_rule() -> Rule {
    mock!(Client::describe_snapshots)
        .match_requests(|r| r.owner_ids() == ["self"] && r.max_results() == Some(1000))
        .then_output(|| {
            DescribeSnapshotsOutput::builder()
                .snapshots(
                    aws_sdk_ec2::types::Snapshot::builder()
                        .snapshot_id("snap-1")
                        .encrypted(false)
                        .build(),
                )
                .build()
        })
}

#[tokio::test]
async fn throttled_attribute_reads_are_retried_by_the_sdk() {
    let attribute = mock!(Client::describe_snapshot_attribute)
        .sequence()
        .error(throttled)
        .times(2)
        .output(|| {
            DescribeSnapshotAttributeOutput::builder()
                .snapshot_id("snap-1")
                .create_volume_permissions(
                    CreateVolumePermission::builder()
                        .group(PermissionGroup::All)
                        .build(),
                )
                .build()
        })
        .build();
    let ctx = context(&[&snapshots_rule(), &attribute]);
    let (snapshots, problems) = super::ec2::snapshots(&ctx, "eu-west-1", "123456789012", 2)
        .await
        .expect("throttling within the retry budget is absorbed");
    assert_eq!(snapshots.len(), 1);
    assert!(snapshots[0].sharing.public);
    assert!(problems.is_empty());
    assert_eq!(attribute.num_calls(), 3);
}

#[tokio::test]
async fn throttling_beyond_the_retry_budget_keeps_the_snapshot_and_reports_the_code() {
    let attribute = mock!(Client::describe_snapshot_attribute)
        .sequence()
        .error(throttled)
        .repeatedly()
        .build();
    let ctx = context(&[&snapshots_rule(), &attribute]);
    let (snapshots, problems) = super::ec2::snapshots(&ctx, "eu-west-1", "123456789012", 2)
        .await
        .expect("the listing itself answered");
    assert_eq!(
        snapshots.len(),
        1,
        "a failed detail read never drops what was listed"
    );
    let [error] = problems.as_slice() else {
        panic!("one problem: {problems:?}");
    };
    assert_eq!(error.code, "RequestLimitExceeded");
    assert_eq!(error.operation, "DescribeSnapshotAttribute");
    assert_eq!(error.region, "eu-west-1");
    assert_eq!(attribute.num_calls(), 3, "bounded attempts");
}

#[tokio::test]
async fn a_step_whose_prerequisite_failed_is_not_sent() {
    let denied = mock!(Client::get_snapshot_block_public_access_state).then_error(|| {
        aws_sdk_ec2::operation::get_snapshot_block_public_access_state::GetSnapshotBlockPublicAccessStateError::generic(
            ErrorMetadata::builder()
                .code("UnauthorizedOperation")
                .message("denied")
                .build(),
        )
    });
    let image_state = mock!(Client::get_image_block_public_access_state).then_output(|| {
        GetImageBlockPublicAccessStateOutput::builder()
            .image_block_public_access_state("unblocked")
            .build()
    });
    let enable_images = mock!(Client::enable_image_block_public_access)
        .then_output(|| EnableImageBlockPublicAccessOutput::builder().build());
    let ctx = context(&[&denied, &image_state, &enable_images]);
    let mut dependent = Step::new(
        "eu-west-1",
        1,
        Operation::EnableImageBlockPublicAccess,
        None,
    );
    dependent.requires = vec![1];
    let results = execute(
        ctx,
        vec![
            Step::new(
                "eu-west-1",
                0,
                Operation::EnableSnapshotBlockPublicAccess,
                None,
            ),
            dependent,
        ],
    )
    .await;
    assert!(
        matches!(&results[0].outcome, Outcome::Failed { error, .. } if error.code == "UnauthorizedOperation")
    );
    assert!(
        matches!(&results[1].outcome, Outcome::Failed { error, .. } if error.code == "PrerequisiteFailed"),
        "{:?}",
        results[1].outcome
    );
    assert_eq!(
        image_state.num_calls(),
        0,
        "nothing of the dependent step was sent"
    );
    assert_eq!(enable_images.num_calls(), 0);
}

#[tokio::test]
async fn the_journal_says_why_a_step_was_not_sent_and_counts_each_outcome() {
    let snapshot_state = mock!(Client::get_snapshot_block_public_access_state).then_output(|| {
        GetSnapshotBlockPublicAccessStateOutput::builder()
            .state(SnapshotBlockPublicAccessState::BlockAllSharing)
            .build()
    });
    let image_state = mock!(Client::get_image_block_public_access_state)
        .sequence()
        .error(|| {
            aws_sdk_ec2::operation::get_image_block_public_access_state::GetImageBlockPublicAccessStateError::generic(
                ErrorMetadata::builder()
                    .code("UnauthorizedOperation")
                    .message("denied")
                    .build(),
            )
        })
        .repeatedly()
        .build();
    let enable_images = mock!(Client::enable_image_block_public_access)
        .sequence()
        .error(|| {
            aws_sdk_ec2::operation::enable_image_block_public_access::EnableImageBlockPublicAccessError::generic(
                ErrorMetadata::builder()
                    .code("UnauthorizedOperation")
                    .message("denied")
                    .build(),
            )
        })
        .repeatedly()
        .build();
    // Against an emulator, as lenient as firebreak ever is: a denial is still a failure.
    let ctx = context_at(
        &[&snapshot_state, &image_state, &enable_images],
        Some("http://127.0.0.1:5000"),
    );
    let mut after_images = Step::new(
        "eu-west-1",
        1,
        Operation::EnableSnapshotBlockPublicAccess,
        None,
    );
    after_images.requires = vec![2];
    let (results, journal) = execute_journaled(
        ctx,
        vec![
            Step::new(
                "eu-west-1",
                0,
                Operation::EnableSnapshotBlockPublicAccess,
                None,
            ),
            Step::new(
                "eu-west-1",
                0,
                Operation::EnableImageBlockPublicAccess,
                None,
            ),
            after_images,
        ],
    )
    .await;
    assert_eq!(results[0].outcome, Outcome::Skipped, "already blocked");
    assert!(
        matches!(&results[1].outcome, Outcome::Failed { error, .. } if error.code == "UnauthorizedOperation"),
        "{:?}",
        results[1].outcome
    );
    assert!(
        matches!(&results[2].outcome, Outcome::Failed { error, .. }
            if error.code == "PrerequisiteFailed" && error.message == "not sent: step(s) [2] did not complete"),
        "{:?}",
        results[2].outcome
    );
    assert_eq!(
        journal.last(),
        Some(&crate::journal::Entry::ActionFinished {
            action_id: "mock-1".into(),
            ok: 0,
            skipped: 1,
            unsupported: 0,
            failed: 2,
        })
    );
}

fn denied() -> ErrorMetadata {
    ErrorMetadata::builder()
        .code("AccessDeniedException")
        .message("not authorized")
        .build()
}

#[tokio::test]
async fn a_failed_function_detail_read_keeps_the_function_and_a_deleted_one_is_left_out() {
    use aws_sdk_lambda::operation::get_function_concurrency::{
        GetFunctionConcurrencyError, GetFunctionConcurrencyOutput,
    };
    use aws_sdk_lambda::operation::get_function_url_config::GetFunctionUrlConfigError;
    use aws_sdk_lambda::operation::get_policy::GetPolicyError;
    use aws_sdk_lambda::operation::list_functions::ListFunctionsOutput;
    use aws_sdk_lambda::types::FunctionConfiguration;
    let not_found = || {
        ErrorMetadata::builder()
            .code("ResourceNotFoundException")
            .message("none")
            .build()
    };
    let listed = mock!(aws_sdk_lambda::Client::list_functions).then_output(|| {
        ListFunctionsOutput::builder()
            .set_functions(Some(
                ["kept", "unreadable", "deleted"]
                    .iter()
                    .map(|name| {
                        FunctionConfiguration::builder()
                            .function_name(*name)
                            .build()
                    })
                    .collect(),
            ))
            .build()
    });
    let no_policy = mock!(aws_sdk_lambda::Client::get_policy)
        .sequence()
        .error(move || GetPolicyError::generic(not_found()))
        .repeatedly()
        .build();
    let no_url = mock!(aws_sdk_lambda::Client::get_function_url_config)
        .sequence()
        .error(move || GetFunctionUrlConfigError::generic(not_found()))
        .repeatedly()
        .build();
    let unreadable = mock!(aws_sdk_lambda::Client::get_function_concurrency)
        .match_requests(|r| r.function_name() == Some("unreadable"))
        .sequence()
        .error(|| GetFunctionConcurrencyError::generic(denied()))
        .repeatedly()
        .build();
    let deleted = mock!(aws_sdk_lambda::Client::get_function_concurrency)
        .match_requests(|r| r.function_name() == Some("deleted"))
        .sequence()
        .error(move || GetFunctionConcurrencyError::generic(not_found()))
        .repeatedly()
        .build();
    let concurrency = mock!(aws_sdk_lambda::Client::get_function_concurrency)
        .match_requests(|r| r.function_name() == Some("kept"))
        .then_output(|| GetFunctionConcurrencyOutput::builder().build());
    let no_aliases = mock!(aws_sdk_lambda::Client::list_aliases).then_output(|| {
        aws_sdk_lambda::operation::list_aliases::ListAliasesOutput::builder().build()
    });
    let no_versions = mock!(aws_sdk_lambda::Client::list_versions_by_function).then_output(|| {
        aws_sdk_lambda::operation::list_versions_by_function::ListVersionsByFunctionOutput::builder(
        )
        .build()
    });
    let ctx = context(&[
        &listed,
        &no_policy,
        &no_url,
        &unreadable,
        &deleted,
        &concurrency,
        &no_aliases,
        &no_versions,
    ]);
    let (functions, problems) = super::lambda::functions(&ctx, "eu-west-1", 2)
        .await
        .expect("the listing answered");
    let mut names: Vec<&str> = functions.iter().map(|f| f.name.as_str()).collect();
    names.sort();
    assert_eq!(
        names,
        ["kept", "unreadable"],
        "one failed detail read never drops the region's functions"
    );
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].code, "AccessDeniedException");
}

#[tokio::test]
async fn a_failed_user_detail_read_keeps_every_user_and_key_read() {
    use aws_sdk_iam::operation::get_access_key_last_used::GetAccessKeyLastUsedOutput;
    use aws_sdk_iam::operation::get_account_authorization_details::GetAccountAuthorizationDetailsOutput;
    use aws_sdk_iam::operation::get_login_profile::GetLoginProfileError;
    use aws_sdk_iam::operation::list_access_keys::{ListAccessKeysError, ListAccessKeysOutput};
    use aws_sdk_iam::operation::list_mfa_devices::ListMfaDevicesOutput;
    use aws_sdk_iam::types::{AccessKeyMetadata, StatusType, UserDetail};
    let details = mock!(aws_sdk_iam::Client::get_account_authorization_details).then_output(|| {
        GetAccountAuthorizationDetailsOutput::builder()
            .set_user_detail_list(Some(
                ["alice", "backdoor", "gone"]
                    .iter()
                    .map(|name| {
                        UserDetail::builder()
                            .user_name(*name)
                            .arn(format!("arn:aws:iam::123456789012:user/{name}"))
                            .build()
                    })
                    .collect(),
            ))
            .build()
    });
    let no_profile = mock!(aws_sdk_iam::Client::get_login_profile)
        .sequence()
        .error(|| {
            GetLoginProfileError::generic(
                ErrorMetadata::builder()
                    .code("NoSuchEntity")
                    .message("none")
                    .build(),
            )
        })
        .repeatedly()
        .build();
    let no_mfa = mock!(aws_sdk_iam::Client::list_mfa_devices).then_output(|| {
        ListMfaDevicesOutput::builder()
            .set_mfa_devices(Some(Vec::new()))
            .build()
            .expect("output")
    });
    let throttled_keys = mock!(aws_sdk_iam::Client::list_access_keys)
        .match_requests(|r| r.user_name() == Some("alice"))
        .sequence()
        .error(|| {
            ListAccessKeysError::generic(
                ErrorMetadata::builder()
                    .code("Throttling")
                    .message("Rate exceeded")
                    .build(),
            )
        })
        .repeatedly()
        .build();
    let deleted = mock!(aws_sdk_iam::Client::list_access_keys)
        .match_requests(|r| r.user_name() == Some("gone"))
        .sequence()
        .error(|| {
            ListAccessKeysError::generic(
                ErrorMetadata::builder()
                    .code("NoSuchEntity")
                    .message("no user")
                    .build(),
            )
        })
        .repeatedly()
        .build();
    let keys = mock!(aws_sdk_iam::Client::list_access_keys)
        .match_requests(|r| r.user_name() == Some("backdoor"))
        .then_output(|| {
            ListAccessKeysOutput::builder()
                .access_key_metadata(
                    AccessKeyMetadata::builder()
                        .user_name("backdoor")
                        .access_key_id("AKIABACKDOOR")
                        .status(StatusType::Active)
                        .build(),
                )
                .build()
                .expect("output")
        });
    let last_used = mock!(aws_sdk_iam::Client::get_access_key_last_used)
        .then_output(|| GetAccessKeyLastUsedOutput::builder().build());
    let ctx = context(&[
        &details,
        &no_profile,
        &no_mfa,
        &throttled_keys,
        &deleted,
        &keys,
        &last_used,
    ]);
    let read = super::iam::inventory(&ctx, 2)
        .await
        .expect("the listing answered");
    let mut users: Vec<&str> = read.users.iter().map(|u| u.name.as_str()).collect();
    users.sort();
    assert_eq!(
        users,
        ["alice", "backdoor"],
        "the backdoor is listed though alice's keys could not be read; a deleted user is left out"
    );
    assert_eq!(read.access_keys.len(), 1);
    assert!(
        read.problems.iter().any(|p| p.code == "Throttling"
            && p.operation == "ListAccessKeys"
            && p.subject
                == Some(super::error::Subject {
                    resource_type: crate::model::finding::ResourceType::User,
                    id: "alice".into(),
                })),
        "{:?}",
        read.problems
    );
}

#[tokio::test]
async fn an_alias_with_its_own_public_policy_is_read() {
    use aws_sdk_lambda::operation::get_function_concurrency::GetFunctionConcurrencyOutput;
    use aws_sdk_lambda::operation::get_function_url_config::GetFunctionUrlConfigError;
    use aws_sdk_lambda::operation::get_policy::{GetPolicyError, GetPolicyOutput};
    use aws_sdk_lambda::operation::list_aliases::ListAliasesOutput;
    use aws_sdk_lambda::operation::list_functions::ListFunctionsOutput;
    use aws_sdk_lambda::types::{AliasConfiguration, FunctionConfiguration};
    let not_found = || {
        ErrorMetadata::builder()
            .code("ResourceNotFoundException")
            .message("none")
            .build()
    };
    let listed = mock!(aws_sdk_lambda::Client::list_functions).then_output(|| {
        ListFunctionsOutput::builder()
            .functions(
                FunctionConfiguration::builder()
                    .function_name("orders")
                    .build(),
            )
            .build()
    });
    let aliases = mock!(aws_sdk_lambda::Client::list_aliases).then_output(|| {
        ListAliasesOutput::builder()
            .aliases(AliasConfiguration::builder().name("live").build())
            .build()
    });
    let alias_policy = mock!(aws_sdk_lambda::Client::get_policy)
        .match_requests(|r| r.qualifier() == Some("live"))
        .then_output(|| {
            GetPolicyOutput::builder()
                .policy(
                    r#"{"Version":"2012-10-17","Statement":[{"Sid":"open","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:eu-west-1:123456789012:function:orders:live"}]}"#,
                )
                .build()
        });
    let function_policy = mock!(aws_sdk_lambda::Client::get_policy)
        .match_requests(|r| r.qualifier().is_none())
        .sequence()
        .error(move || GetPolicyError::generic(not_found()))
        .repeatedly()
        .build();
    let no_url = mock!(aws_sdk_lambda::Client::get_function_url_config)
        .sequence()
        .error(move || GetFunctionUrlConfigError::generic(not_found()))
        .repeatedly()
        .build();
    let concurrency = mock!(aws_sdk_lambda::Client::get_function_concurrency)
        .then_output(|| GetFunctionConcurrencyOutput::builder().build());
    let versions = mock!(aws_sdk_lambda::Client::list_versions_by_function).then_output(|| {
        aws_sdk_lambda::operation::list_versions_by_function::ListVersionsByFunctionOutput::builder(
        )
        .versions(FunctionConfiguration::builder().version("$LATEST").build())
        .build()
    });
    let ctx = context(&[
        &listed,
        &versions,
        &aliases,
        &alias_policy,
        &function_policy,
        &no_url,
        &concurrency,
    ]);
    let (functions, problems) = super::lambda::functions(&ctx, "eu-west-1", 1)
        .await
        .expect("listed");
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(
        functions[0].policy_principals, None,
        "the function itself is private"
    );
    assert_eq!(functions[0].aliases.len(), 1);
    assert!(functions[0].aliases[0].is_public());
    assert!(crate::scan::is_public_function(&functions[0]));
}

#[tokio::test]
async fn a_listing_that_failed_is_read_again_before_the_region_is_marked_error() {
    use aws_sdk_ec2::operation::describe_images::DescribeImagesOutput;
    use aws_sdk_ec2::operation::describe_instances::DescribeInstancesOutput;
    use aws_sdk_ec2::operation::describe_regions::DescribeRegionsOutput;
    use aws_sdk_ec2::operation::describe_snapshots::DescribeSnapshotsError;
    use aws_sdk_lambda::operation::list_functions::ListFunctionsOutput;
    use aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityOutput;
    let caller = mock!(aws_sdk_sts::Client::get_caller_identity).then_output(|| {
        GetCallerIdentityOutput::builder()
            .account("123456789012")
            .arn("arn:aws:iam::123456789012:user/responder")
            .build()
    });
    let regions = mock!(Client::describe_regions).then_output(|| {
        DescribeRegionsOutput::builder()
            .regions(
                aws_sdk_ec2::types::Region::builder()
                    .region_name("eu-west-1")
                    .opt_in_status("opt-in-not-required")
                    .build(),
            )
            .build()
    });
    // The first listing is refused (not retried by the SDK); the second, after the region's
    // other reads, answers.
    let snapshots = mock!(Client::describe_snapshots)
        .sequence()
        .error(|| {
            DescribeSnapshotsError::generic(
                ErrorMetadata::builder()
                    .code("UnauthorizedOperation")
                    .message("briefly denied")
                    .build(),
            )
        })
        .output(|| {
            DescribeSnapshotsOutput::builder()
                .snapshots(
                    aws_sdk_ec2::types::Snapshot::builder()
                        .snapshot_id("snap-1")
                        .build(),
                )
                .build()
        })
        .build();
    let attribute = mock!(Client::describe_snapshot_attribute)
        .then_output(|| DescribeSnapshotAttributeOutput::builder().build());
    let images =
        mock!(Client::describe_images).then_output(|| DescribeImagesOutput::builder().build());
    let instances = mock!(Client::describe_instances)
        .then_output(|| DescribeInstancesOutput::builder().build());
    let functions = mock!(aws_sdk_lambda::Client::list_functions)
        .then_output(|| ListFunctionsOutput::builder().build());
    let aliases = mock!(aws_sdk_iam::Client::list_account_aliases).then_output(|| {
        aws_sdk_iam::operation::list_account_aliases::ListAccountAliasesOutput::builder()
            .set_account_aliases(Some(Vec::new()))
            .build()
            .expect("output")
    });
    let iam = mock!(aws_sdk_iam::Client::get_account_authorization_details).then_output(|| {
        aws_sdk_iam::operation::get_account_authorization_details::GetAccountAuthorizationDetailsOutput::builder()
            .build()
    });
    let guards = quiet_guards();
    let mut rules = vec![
        &aliases, &iam, &caller, &regions, &snapshots, &attribute, &images, &instances, &functions,
    ];
    rules.extend(&guards);
    let ctx = context(&rules);
    let mut events = crate::scan::spawn(
        ctx,
        crate::scan::ScanOptions {
            regions: crate::scan::RegionSelection::Named(vec!["eu-west-1".into()]),
            region_concurrency: 1,
            detail_concurrency: 1,
        },
    );
    let mut state = crate::scan::ScanState::default();
    while let Some(event) = events.recv().await {
        state.apply(event);
    }
    let eu = &state.regions[0];
    assert!(eu.errors.is_empty(), "{:?}", eu.errors);
    assert_eq!(eu.status, crate::scan::RegionStatus::Done);
    assert_eq!(state.inventory.snapshots.len(), 1);
    assert_eq!(snapshots.num_calls(), 2);
}

#[tokio::test]
async fn a_call_that_failed_but_was_applied_ends_ok() {
    use aws_sdk_iam::operation::get_user_policy::{GetUserPolicyError, GetUserPolicyOutput};
    // Read before: absent. The call answers an error (the response was lost). Read after: there.
    let policy = mock!(aws_sdk_iam::Client::get_user_policy)
        .sequence()
        .error(|| {
            GetUserPolicyError::generic(
                ErrorMetadata::builder()
                    .code("NoSuchEntity")
                    .message("not there")
                    .build(),
            )
        })
        .output(|| {
            GetUserPolicyOutput::builder()
                .user_name("mallory")
                .policy_name("firebreak-deny-all")
                .policy_document("{}")
                .build()
                .expect("output")
        })
        .build();
    // IAM's own answer to a failure on its side: HTTP 500, on every attempt.
    let put = mock!(aws_sdk_iam::Client::put_user_policy)
        .sequence()
        .http_status(
            500,
            Some(
                "<ErrorResponse><Error><Type>Receiver</Type><Code>ServiceFailure</Code>\
                 <Message>the response was lost</Message></Error></ErrorResponse>"
                    .into(),
            ),
        )
        .repeatedly()
        .build();
    let ctx = context(&[&policy, &put]);
    let results = execute(ctx, vec![deny_mallory()]).await;
    assert_eq!(
        results[0].outcome,
        Outcome::Ok,
        "the outcome is what AWS now holds, not what the call returned"
    );
}

/// A real contain-functions plan deleting even without code: the delete of a function whose
/// evidence failed is never sent (its prerequisite failed), the other one's is.
#[tokio::test]
async fn a_real_contain_plan_never_deletes_a_function_whose_evidence_failed() {
    use crate::playbook::contain_functions::{self, Deletion, FunctionTarget};
    use aws_sdk_lambda::operation::delete_function::DeleteFunctionOutput;
    use aws_sdk_lambda::operation::get_function::GetFunctionOutput;
    use aws_sdk_lambda::operation::get_function_concurrency::GetFunctionConcurrencyOutput;
    use aws_sdk_lambda::operation::get_policy::GetPolicyError;
    use aws_sdk_lambda::operation::list_tags::ListTagsOutput;
    use aws_sdk_lambda::operation::put_function_concurrency::PutFunctionConcurrencyOutput;
    use aws_sdk_lambda::types::{FunctionCodeLocation, FunctionConfiguration};
    let function = |name: &'static str| {
        move || {
            GetFunctionOutput::builder()
                .configuration(
                    FunctionConfiguration::builder()
                        .function_name(name)
                        .function_arn(format!(
                            "arn:aws:lambda:eu-west-1:123456789012:function:{name}"
                        ))
                        .build(),
                )
                .code(
                    FunctionCodeLocation::builder()
                        .image_uri(format!(
                            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/{name}:latest"
                        ))
                        .build(),
                )
                .build()
        }
    };
    // Both functions exist (every GetFunction answers); reading miner's policy is denied, so
    // its evidence fails.
    let get_miner = mock!(aws_sdk_lambda::Client::get_function)
        .match_requests(|r| r.function_name() == Some("miner"))
        .sequence()
        .output(function("miner"))
        .repeatedly()
        .build();
    let get_billing = mock!(aws_sdk_lambda::Client::get_function)
        .match_requests(|r| r.function_name() == Some("billing"))
        .sequence()
        .output(function("billing"))
        .repeatedly()
        .build();
    let miner_policy = mock!(aws_sdk_lambda::Client::get_policy)
        .match_requests(|r| r.function_name() == Some("miner"))
        .sequence()
        .error(|| GetPolicyError::generic(denied()))
        .repeatedly()
        .build();
    let billing_policy = mock!(aws_sdk_lambda::Client::get_policy)
        .match_requests(|r| r.function_name() == Some("billing"))
        .sequence()
        .error(|| {
            GetPolicyError::generic(
                ErrorMetadata::builder()
                    .code("ResourceNotFoundException")
                    .message("no policy")
                    .build(),
            )
        })
        .repeatedly()
        .build();
    let tags = mock!(aws_sdk_lambda::Client::list_tags)
        .sequence()
        .output(|| ListTagsOutput::builder().build())
        .repeatedly()
        .build();
    let unreserved = mock!(aws_sdk_lambda::Client::get_function_concurrency)
        .sequence()
        .output(|| GetFunctionConcurrencyOutput::builder().build())
        .repeatedly()
        .build();
    let throttle = mock!(aws_sdk_lambda::Client::put_function_concurrency)
        .match_requests(|r| r.reserved_concurrent_executions() == Some(0))
        .sequence()
        .output(|| {
            PutFunctionConcurrencyOutput::builder()
                .reserved_concurrent_executions(0)
                .build()
        })
        .repeatedly()
        .build();
    let delete_miner = mock!(aws_sdk_lambda::Client::delete_function)
        .match_requests(|r| r.function_name() == Some("miner"))
        .sequence()
        .output(|| DeleteFunctionOutput::builder().build())
        .repeatedly()
        .build();
    let delete_billing = mock!(aws_sdk_lambda::Client::delete_function)
        .match_requests(|r| r.function_name() == Some("billing"))
        .sequence()
        .output(|| DeleteFunctionOutput::builder().build())
        .repeatedly()
        .build();
    let ctx = context(&[
        &get_miner,
        &get_billing,
        &miner_policy,
        &billing_policy,
        &tags,
        &unreserved,
        &throttle,
        &delete_miner,
        &delete_billing,
    ]);
    let dir = tempfile::tempdir().expect("temp dir");
    let target = |name: &str| FunctionTarget {
        region: "eu-west-1".into(),
        name: name.into(),
        reserved_concurrency: None,
    };
    let contain = contain_functions::plan(
        "c-1".into(),
        identity(),
        Utc::now(),
        &[target("miner"), target("billing")],
        &dir.path().join("evidence"),
        Deletion::EvenWithoutCode,
    );
    let deletes: Vec<(usize, &str, &[usize])> = contain
        .steps
        .iter()
        .filter(|s| s.api == "DeleteFunction")
        .map(|s| (s.index, s.target.as_str(), s.requires.as_slice()))
        .collect();
    assert_eq!(
        deletes,
        [
            (5, "function miner", &[1][..]),
            (6, "function billing", &[3][..])
        ],
        "the planner makes each delete wait for its own evidence"
    );
    let journal = Journal::start(dir.path(), &identity(), vec![]).expect("journal");
    let results = Engine::new(ctx, false, 4)
        .execute(&contain, &journal, |_, _| {})
        .await
        .expect("executed");
    let outcome = |index: usize| {
        results
            .iter()
            .find(|r| r.index == index)
            .map(|r| r.outcome.clone())
            .expect("every step reports")
    };
    assert!(
        matches!(outcome(1), Outcome::Failed { error, .. } if error.code == "AccessDeniedException"),
        "{:?}",
        outcome(1)
    );
    assert!(
        matches!(outcome(5), Outcome::Failed { error, .. } if error.code == "PrerequisiteFailed"),
        "{:?}",
        outcome(5)
    );
    assert_eq!(delete_miner.num_calls(), 0, "miner's delete was never sent");
    for index in [2, 3, 4, 6] {
        assert_eq!(outcome(index), Outcome::Ok, "step {index}");
    }
    assert_eq!(delete_billing.num_calls(), 1);
    assert_eq!(throttle.num_calls(), 2, "both throttled all the same");
    // Not sent means no intent either: the journal says the delete never went out.
    let logs = crate::journal::read_all(dir.path()).expect("journal");
    let intents: Vec<usize> = logs
        .iter()
        .flat_map(|l| &l.records)
        .filter_map(|r| match &r.entry {
            crate::journal::Entry::StepIntent { index, .. } => Some(*index),
            _ => None,
        })
        .collect();
    assert!(!intents.contains(&5), "{intents:?}");
    assert!(intents.contains(&6), "{intents:?}");
}

/// The `[aws]` settings of a config file reach the SDK: through the flags and config the app
/// reads, `AwsContext` built as `Session::open` builds it, reads get `read_max_attempts`
/// attempts and changes `max_attempts`.
#[tokio::test]
async fn the_config_files_attempts_reach_reads_and_changes() {
    use aws_sdk_ec2::operation::enable_snapshot_block_public_access::EnableSnapshotBlockPublicAccessError;
    use aws_sdk_ec2::operation::get_snapshot_block_public_access_state::GetSnapshotBlockPublicAccessStateError;
    use clap::Parser;
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("config.toml");
    std::fs::write(
        &file,
        "[aws]\nmax_attempts = 2\nread_max_attempts = 4\nmax_backoff_secs = 1\nconnect_timeout_secs = 1\nattempt_timeout_secs = 2\noperation_timeout_secs = 30\n",
    )
    .expect("config file");
    let cli = crate::cli::Cli::try_parse_from([
        "firebreak",
        "--config",
        file.to_str().expect("utf-8 path"),
        "--region",
        "eu-west-1",
    ])
    .expect("flags");
    let config = crate::config::load(cli.global.config.as_deref()).expect("config");
    let options = crate::service::session::connect_options(&cli.global, &config);
    let throttled = || {
        ErrorMetadata::builder()
            .code("RequestLimitExceeded")
            .message("Request limit exceeded.")
            .build()
    };

    // A read, throttled every time.
    let read = mock!(Client::get_snapshot_block_public_access_state)
        .sequence()
        .error(move || GetSnapshotBlockPublicAccessStateError::generic(throttled()))
        .repeatedly()
        .build();
    let mut interceptor = MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny);
    interceptor = interceptor.with_rule(&read);
    let ctx = AwsContext::load_mocked(&options, vec![SharedInterceptor::new(interceptor)]).await;
    let error = super::planning::snapshot_block_public_access(&ctx, "eu-west-1")
        .await
        .expect_err("throttled beyond the budget");
    assert_eq!(error.code, "RequestLimitExceeded");
    assert_eq!(read.num_calls(), 4, "read_max_attempts = 4");

    // A change: the state read answers, the call itself is throttled every time.
    let state = mock!(Client::get_snapshot_block_public_access_state)
        .sequence()
        .output(|| {
            GetSnapshotBlockPublicAccessStateOutput::builder()
                .state(SnapshotBlockPublicAccessState::Unblocked)
                .build()
        })
        .repeatedly()
        .build();
    let change = mock!(Client::enable_snapshot_block_public_access)
        .sequence()
        .error(move || EnableSnapshotBlockPublicAccessError::generic(throttled()))
        .repeatedly()
        .build();
    let interceptor = MockResponseInterceptor::new()
        .rule_mode(RuleMode::MatchAny)
        .with_rule(&state)
        .with_rule(&change);
    let ctx = AwsContext::load_mocked(&options, vec![SharedInterceptor::new(interceptor)]).await;
    let armed = super::apply::Armed::unless_read_only(false).expect("armed");
    let error = super::apply::apply(
        &ctx,
        "eu-west-1",
        &Operation::EnableSnapshotBlockPublicAccess,
        &armed,
    )
    .await
    .expect_err("throttled beyond the budget");
    assert_eq!(error.code, "RequestLimitExceeded");
    assert_eq!(state.num_calls(), 1);
    assert_eq!(change.num_calls(), 2, "max_attempts = 2");
}

/// A one-route HTTP server on 127.0.0.1 standing in for Lambda's presigned code location:
/// `/code.zip` answers `status` with `body`. Returns its port and every request target seen.
async fn code_location(
    status: u16,
    body: Vec<u8>,
) -> (u16, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use http_body_util::Full;
    use hyper::server::conn::http1;
    use hyper::service::service_fn;
    use hyper_util::rt::TokioIo;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("address").port();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (body, log) = (body.clone(), log.clone());
            tokio::spawn(async move {
                let service = service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                    log.lock().expect("log").push(request.uri().to_string());
                    let (status, bytes) = if request.uri().path() == "/code.zip" {
                        (status, body.clone())
                    } else {
                        (404, Vec::new())
                    };
                    async move {
                        hyper::Response::builder()
                            .status(status)
                            .body(Full::new(bytes::Bytes::from(bytes)))
                    }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (port, seen)
}

const SIGNATURE: &str = "SECRETSIGNATURE0123";
const FUNCTION_POLICY: &str = r#"{"Version":"2012-10-17","Id":"default","Statement":[{"Sid":"partner","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::210987654321:root"},"Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:eu-west-1:123456789012:function:orders"}]}"#;

/// Captures evidence of function `orders`, whose code location is `location`, through the
/// engine (journal and evidence under `dir`); returns the evidence folder.
async fn capture_orders(dir: &std::path::Path, location: String) -> std::path::PathBuf {
    use aws_sdk_lambda::operation::get_function::GetFunctionOutput;
    use aws_sdk_lambda::operation::get_policy::GetPolicyOutput;
    use aws_sdk_lambda::operation::list_tags::ListTagsOutput;
    use aws_sdk_lambda::types::{FunctionCodeLocation, FunctionConfiguration};
    let function = mock!(aws_sdk_lambda::Client::get_function)
        .match_requests(|r| r.function_name() == Some("orders"))
        .sequence()
        .output(move || {
            GetFunctionOutput::builder()
                .configuration(
                    FunctionConfiguration::builder()
                        .function_name("orders")
                        .function_arn("arn:aws:lambda:eu-west-1:123456789012:function:orders")
                        .build(),
                )
                .code(
                    FunctionCodeLocation::builder()
                        .repository_type("S3")
                        .location(location.clone())
                        .build(),
                )
                .build()
        })
        .repeatedly()
        .build();
    let policy = mock!(aws_sdk_lambda::Client::get_policy)
        .sequence()
        .output(|| GetPolicyOutput::builder().policy(FUNCTION_POLICY).build())
        .repeatedly()
        .build();
    let tags = mock!(aws_sdk_lambda::Client::list_tags)
        .match_requests(|r| {
            r.resource() == Some("arn:aws:lambda:eu-west-1:123456789012:function:orders")
        })
        .sequence()
        .output(|| ListTagsOutput::builder().tags("team", "orders").build())
        .repeatedly()
        .build();
    let ctx = context(&[&function, &policy, &tags]);
    let directory = dir.join("evidence/eu-west-1/orders");
    let journal = Journal::start(dir, &identity(), vec![]).expect("journal");
    let capture = plan(vec![Step::new(
        "eu-west-1",
        0,
        Operation::CaptureFunctionEvidence {
            function: "orders".into(),
            directory: directory.clone(),
        },
        None,
    )]);
    let results = Engine::new(ctx, false, 1)
        .execute(&capture, &journal, |_, _| {})
        .await
        .expect("executed");
    assert_eq!(results[0].outcome, Outcome::Ok, "{:?}", results[0].outcome);
    assert_eq!(function.num_calls(), 1);
    directory
}

/// Every file under `dir`, recursively.
fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("list") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// No file under `dir` holds the presigned URL or any part of it that identifies it.
fn assert_url_written_nowhere(dir: &std::path::Path, port: u16) {
    let files = files_under(dir);
    assert!(files.len() >= 2, "{files:?}");
    for file in files {
        let text = String::from_utf8_lossy(&std::fs::read(&file).expect("read")).into_owned();
        for secret in [SIGNATURE, "X-Amz-Signature", &format!("127.0.0.1:{port}")] {
            assert!(
                !text.contains(secret),
                "{} holds {secret:?}",
                file.display()
            );
        }
    }
}

#[cfg(unix)]
#[tokio::test]
async fn the_code_package_is_saved_with_its_hash_and_the_presigned_url_is_written_nowhere() {
    use sha2::{Digest, Sha256};
    use std::os::unix::fs::PermissionsExt;
    // A zip's magic number, then enough bytes to arrive in several reads.
    let mut served = b"PK\x03\x04".to_vec();
    served.extend((0..200_000u32).map(|i| (i.wrapping_mul(31) % 251) as u8));
    let (port, seen) = code_location(200, served.clone()).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let location = format!("http://127.0.0.1:{port}/code.zip?X-Amz-Signature={SIGNATURE}");
    let evidence = capture_orders(dir.path(), location).await;

    assert_eq!(
        *seen.lock().expect("seen"),
        [format!("/code.zip?X-Amz-Signature={SIGNATURE}")],
        "the package came from the presigned location"
    );
    assert_eq!(
        std::fs::read(evidence.join("code.zip")).expect("code"),
        served
    );
    assert_eq!(
        std::fs::read_to_string(evidence.join("policy.json")).expect("policy"),
        FUNCTION_POLICY
    );
    let manifest: crate::evidence::Manifest =
        serde_json::from_slice(&std::fs::read(evidence.join("manifest.json")).expect("manifest"))
            .expect("a manifest");
    assert_eq!(manifest.code_download, crate::evidence::CodeDownload::Saved);
    let listed: Vec<&str> = manifest.files.iter().map(|f| f.file.as_str()).collect();
    assert_eq!(
        listed,
        ["configuration.json", "tags.json", "policy.json", "code.zip"]
    );
    for file in &manifest.files {
        let bytes = std::fs::read(evidence.join(&file.file)).expect("listed file");
        assert_eq!(file.bytes, bytes.len(), "{}", file.file);
        assert_eq!(
            file.sha256,
            hex::encode(Sha256::digest(&bytes)),
            "{}",
            file.file
        );
    }
    let code = manifest
        .files
        .iter()
        .find(|f| f.file == "code.zip")
        .expect("code listed");
    assert_eq!(code.sha256, hex::encode(Sha256::digest(&served)));
    for file in files_under(dir.path()) {
        let mode = std::fs::metadata(&file)
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{}", file.display());
    }
    assert_url_written_nowhere(dir.path(), port);
}

#[tokio::test]
async fn a_refused_download_is_recorded_without_the_url() {
    let (port, seen) =
        code_location(403, b"<Error><Code>AccessDenied</Code></Error>".to_vec()).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let location = format!("http://127.0.0.1:{port}/code.zip?X-Amz-Signature={SIGNATURE}");
    let evidence = capture_orders(dir.path(), location).await;
    assert_eq!(seen.lock().expect("seen").len(), 1);
    assert!(!evidence.join("code.zip").exists());
    let manifest: crate::evidence::Manifest =
        serde_json::from_slice(&std::fs::read(evidence.join("manifest.json")).expect("manifest"))
            .expect("a manifest");
    match &manifest.code_download {
        crate::evidence::CodeDownload::Failed { reason } => {
            assert!(reason.contains("403"), "{reason}");
        }
        other => panic!("a failed download, got {other:?}"),
    }
    assert!(
        crate::evidence::code_kept(&evidence).is_err(),
        "a delete waiting for this code refuses"
    );
    assert_url_written_nowhere(dir.path(), port);
}

/// A finding about `resource_id` in `region`, for the attribution lookups.
fn attributed_finding(
    kind: crate::model::finding::FindingKind,
    resource_type: crate::model::finding::ResourceType,
    region: &str,
    resource_id: &str,
    arn: Option<&str>,
) -> crate::model::finding::Finding {
    crate::model::finding::Finding {
        id: crate::model::finding::finding_id(kind, region, resource_id),
        kind,
        severity: crate::model::finding::Severity::Critical,
        region: region.into(),
        resource_type,
        resource_id: resource_id.into(),
        arn: arn.map(str::to_string),
        summary: String::new(),
        details: Vec::new(),
        related: Vec::new(),
        facts: String::new(),
        attribution: None,
    }
}

#[tokio::test]
async fn attribution_names_the_latest_change_its_caller_key_address_and_agent() {
    use crate::model::finding::{Attribution, FindingKind, ResourceType};
    use aws_sdk_cloudtrail::operation::lookup_events::LookupEventsOutput;
    use aws_sdk_cloudtrail::types::{Event, LookupAttributeKey};
    let record = r#"{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::123456789012:user/mallory","accessKeyId":"AKIAMALLORY0000001"},"eventName":"StopLogging","sourceIPAddress":"203.0.113.9","userAgent":"aws-cli/2.15.0 Python/3.11"}"#;
    let trail_arn = "arn:aws:cloudtrail:us-east-1:123456789012:trail/org-trail";
    let lookups = mock!(aws_sdk_cloudtrail::Client::lookup_events)
        .match_requests(move |input| {
            input.lookup_attributes().iter().any(|a| {
                a.attribute_key() == &LookupAttributeKey::ResourceName
                    && a.attribute_value() == trail_arn
            })
        })
        .then_output(move || {
            LookupEventsOutput::builder()
                // Newest first: a read after the change is passed over.
                .events(
                    Event::builder()
                        .event_name("GetTrailStatus")
                        .read_only("true")
                        .build(),
                )
                .events(
                    Event::builder()
                        .event_name("StopLogging")
                        .read_only("false")
                        .username("mallory")
                        .event_time(aws_sdk_cloudtrail::primitives::DateTime::from_secs(
                            1_795_400_000,
                        ))
                        .cloud_trail_event(record)
                        .build(),
                )
                .build()
        });
    let ctx = context(&[&lookups]);
    let finding = attributed_finding(
        FindingKind::LoggingStopped,
        ResourceType::Trail,
        "us-east-1",
        "org-trail",
        Some(trail_arn),
    );
    let Attribution::Found(event) = crate::service::attribution::attribute(&ctx, &finding).await
    else {
        panic!("the change is found");
    };
    assert_eq!(event.event_name, "StopLogging");
    assert_eq!(
        event.principal.as_deref(),
        Some("arn:aws:iam::123456789012:user/mallory")
    );
    assert_eq!(event.access_key_id.as_deref(), Some("AKIAMALLORY0000001"));
    assert_eq!(event.source_ip.as_deref(), Some("203.0.113.9"));
    assert_eq!(
        event.user_agent.as_deref(),
        Some("aws-cli/2.15.0 Python/3.11")
    );
    assert_eq!(
        event.time.map(|t| t.timestamp()),
        Some(1_795_400_000),
        "the event's time"
    );
    let shown = Attribution::Found(event).to_string();
    assert!(
        shown.starts_with("StopLogging by arn:aws:iam::123456789012:user/mallory (key AKIAMALLORY0000001) from 203.0.113.9"),
        "{shown}"
    );
}

#[tokio::test]
async fn attribution_says_no_event_or_not_available_and_asks_once_where_the_call_is_unsupported() {
    use crate::model::finding::{Attribution, FindingKind, ResourceType};
    use aws_sdk_cloudtrail::operation::lookup_events::{LookupEventsError, LookupEventsOutput};
    let quiet = mock!(aws_sdk_cloudtrail::Client::lookup_events)
        .then_output(|| LookupEventsOutput::builder().build());
    let ctx = context(&[&quiet]);
    let user = attributed_finding(
        FindingKind::UnknownUser,
        ResourceType::User,
        "global",
        "mallory",
        None,
    );
    assert_eq!(
        crate::service::attribution::attribute(&ctx, &user).await,
        Attribution::NoEvent
    );

    let denied = mock!(aws_sdk_cloudtrail::Client::lookup_events).then_error(|| {
        LookupEventsError::generic(
            ErrorMetadata::builder()
                .code("AccessDeniedException")
                .message("not allowed")
                .build(),
        )
    });
    let ctx = context(&[&denied]);
    let answer = crate::service::attribution::attribute(&ctx, &user).await;
    assert!(
        matches!(&answer, Attribution::NotAvailable { unsupported: false, reason } if reason.contains("AccessDeniedException")),
        "{answer:?}"
    );

    // An endpoint without the call (moto): the first finding asks, the others are told the same.
    let unsupported = mock!(aws_sdk_cloudtrail::Client::lookup_events).then_error(|| {
        LookupEventsError::generic(
            ErrorMetadata::builder()
                .code("UnknownOperationException")
                .message("not implemented")
                .build(),
        )
    });
    let ctx = context_at(&[&unsupported], Some("http://127.0.0.1:5000"));
    let mut findings = vec![
        user.clone(),
        attributed_finding(
            FindingKind::OpenIngress,
            ResourceType::SecurityGroup,
            "eu-west-1",
            "sg-0abc",
            None,
        ),
        attributed_finding(
            FindingKind::NoBaseline,
            ResourceType::Account,
            "global",
            "123456789012",
            None,
        ),
    ];
    crate::service::attribution::attribute_all(&ctx, &mut findings).await;
    assert_eq!(unsupported.num_calls(), 1, "asked once");
    for finding in &findings[..2] {
        let shown = finding
            .attribution
            .as_ref()
            .expect("attributed")
            .to_string();
        assert!(
            shown.starts_with(
                "not available (the endpoint does not implement cloudtrail LookupEvents"
            ),
            "{shown}"
        );
    }
    assert_eq!(
        findings[2].attribution, None,
        "an account-wide finding has no resource"
    );
}

#[tokio::test]
async fn close_ingress_revokes_what_is_still_there_and_its_inverse_puts_back_only_that() {
    use crate::model::operation::IngressRule;
    use aws_sdk_ec2::operation::describe_security_group_rules::DescribeSecurityGroupRulesOutput;
    use aws_sdk_ec2::operation::revoke_security_group_ingress::RevokeSecurityGroupIngressOutput;
    use aws_sdk_ec2::types::SecurityGroupRule;
    let rule = |port: i32, description: &str| IngressRule {
        protocol: "tcp".into(),
        from_port: Some(port),
        to_port: Some(port),
        cidr: "0.0.0.0/0".into(),
        description: Some(description.into()).filter(|d: &String| !d.is_empty()),
        rule_id: None,
    };
    // Planned: 22 and 3389. Someone closed 3389 since; 22 carries a description.
    let rules = mock!(Client::describe_security_group_rules).then_output(|| {
        DescribeSecurityGroupRulesOutput::builder()
            .security_group_rules(
                SecurityGroupRule::builder()
                    .security_group_rule_id("sgr-1")
                    .group_id("sg-1")
                    .is_egress(false)
                    .ip_protocol("tcp")
                    .from_port(22)
                    .to_port(22)
                    .cidr_ipv4("0.0.0.0/0")
                    .description("vendor access")
                    .build(),
            )
            .build()
    });
    let revoke = mock!(Client::revoke_security_group_ingress)
        // By the id just read, whatever the rule's source.
        .match_requests(|input| {
            input.security_group_rule_ids() == ["sgr-1"] && input.ip_permissions().is_empty()
        })
        .then_output(|| {
            RevokeSecurityGroupIngressOutput::builder()
                .r#return(true)
                .build()
        });
    let ctx = context(&[&rules, &revoke]);
    let armed = super::apply::Armed::unless_read_only(false).expect("not read-only");
    let operation = Operation::RevokeIngress {
        group_id: "sg-1".into(),
        rules: vec![rule(22, ""), rule(3389, "")],
    };
    let applied = super::apply::apply(&ctx, "us-east-1", &operation, &armed)
        .await
        .expect("applied");
    assert_eq!(revoke.num_calls(), 1);
    assert_eq!(
        applied,
        super::apply::Applied::Changed {
            inverse: Some(Box::new(Operation::AuthorizeIngress {
                group_id: "sg-1".into(),
                rules: vec![IngressRule {
                    rule_id: Some("sgr-1".into()),
                    ..rule(22, "vendor access")
                }],
            })),
        },
        "the inverse is what was revoked, with its description"
    );

    // A revoke AWS answers with unrecognised rules is a failure, never a silent success.
    let refused = mock!(Client::revoke_security_group_ingress).then_output(|| {
        RevokeSecurityGroupIngressOutput::builder()
            .r#return(false)
            .unknown_ip_permissions(aws_sdk_ec2::types::IpPermission::builder().build())
            .build()
    });
    let ctx = context(&[&rules, &refused]);
    let error = super::apply::apply(&ctx, "us-east-1", &operation, &armed)
        .await
        .expect_err("refused");
    assert_eq!(error.code, "UnknownIpPermissions");
}

/// Lambda's reserved concurrency for `orders` as read: unreserved for the step's first `unreserved`
/// reads (the check, then the inverse), reserved 0 ever after (the change found made).
fn concurrency_reserved_after(unreserved: usize) -> Rule {
    use aws_sdk_lambda::operation::get_function_concurrency::GetFunctionConcurrencyOutput;
    mock!(aws_sdk_lambda::Client::get_function_concurrency)
        .sequence()
        .output(|| GetFunctionConcurrencyOutput::builder().build())
        .times(unreserved)
        .output(|| {
            GetFunctionConcurrencyOutput::builder()
                .reserved_concurrent_executions(0)
                .build()
        })
        .repeatedly()
        .build()
}

/// Lambda's throttling answer, as a modeled error document (HTTP 429).
fn lambda_throttled()
-> aws_sdk_lambda::operation::put_function_concurrency::PutFunctionConcurrencyError {
    aws_sdk_lambda::operation::put_function_concurrency::PutFunctionConcurrencyError::generic(
        ErrorMetadata::builder()
            .code("TooManyRequestsException")
            .message("Rate exceeded")
            .build(),
    )
}

/// The step under test: reserve `orders` to 0, with its inverse.
fn reserve_orders() -> Step {
    Step::new(
        "eu-west-1",
        0,
        Operation::PutFunctionConcurrency {
            function: "orders".into(),
            reserved: 0,
        },
        Some(Operation::DeleteFunctionConcurrency {
            function: "orders".into(),
        }),
    )
}

#[tokio::test]
async fn a_change_found_made_after_only_clean_refusals_is_someone_elses_and_skipped() {
    // Throttled on every attempt: AWS applied none of them, so the reserved 0 found on the
    // engine's second try was made by someone else, and undo must not take it away.
    let concurrency = concurrency_reserved_after(2);
    let put = mock!(aws_sdk_lambda::Client::put_function_concurrency)
        .sequence()
        .error(lambda_throttled)
        .repeatedly()
        .build();
    let ctx = context(&[&concurrency, &put]);
    let (results, journal) = execute_journaled(ctx, vec![reserve_orders()]).await;
    assert_eq!(
        results[0].outcome,
        Outcome::Skipped,
        "someone else's change"
    );
    assert_eq!(
        put.num_calls(),
        3,
        "the SDK's three attempts, then no fourth call"
    );
    assert!(
        concurrency.num_calls() >= 3,
        "read again before trying again"
    );
    assert!(
        journal.iter().any(|entry| matches!(
            entry,
            crate::journal::Entry::StepOutcome {
                outcome: Outcome::Skipped,
                inverse: None,
                ..
            }
        )),
        "journaled skipped, with nothing to undo: {journal:?}"
    );

    // Refused for good (denied), with the change found made on the read after: the same.
    let concurrency = concurrency_reserved_after(2);
    let denied = mock!(aws_sdk_lambda::Client::put_function_concurrency).then_error(|| {
        aws_sdk_lambda::operation::put_function_concurrency::PutFunctionConcurrencyError::generic(
            ErrorMetadata::builder()
                .code("AccessDeniedException")
                .message("not authorized")
                .build(),
        )
    });
    let ctx = context(&[&concurrency, &denied]);
    let results = execute(ctx, vec![reserve_orders()]).await;
    assert_eq!(
        results[0].outcome,
        Outcome::Skipped,
        "someone else's change"
    );
}

#[tokio::test]
async fn a_change_found_made_after_an_attempt_lost_its_answer_is_its_own() {
    // The first attempt ends in a 500 (AWS may have applied it), the rest are throttled: the
    // reserved 0 found on the engine's second try may be this step's, and undo must revert it.
    let concurrency = concurrency_reserved_after(2);
    let put = mock!(aws_sdk_lambda::Client::put_function_concurrency)
        .sequence()
        .http_status(500, None)
        .error(lambda_throttled)
        .repeatedly()
        .build();
    let ctx = context(&[&concurrency, &put]);
    let results = execute(ctx, vec![reserve_orders()]).await;
    assert_eq!(
        results[0].outcome,
        Outcome::Ok,
        "made, not skipped: undo must revert it"
    );
    assert_eq!(put.num_calls(), 3, "the SDK's three attempts");

    // The same after a failure for good: a 500 on every attempt, the change found made.
    let concurrency = concurrency_reserved_after(2);
    let failing = mock!(aws_sdk_lambda::Client::put_function_concurrency)
        .sequence()
        .http_status(500, None)
        .repeatedly()
        .build();
    let ctx = context(&[&concurrency, &failing]);
    let results = execute(ctx, vec![reserve_orders()]).await;
    assert_eq!(results[0].outcome, Outcome::Ok, "made, not skipped");

    // A 500 on every attempt and the state unreadable afterwards: failed, and said to be maybe
    // applied, so that undo looks; after clean refusals only, failed and not.
    use aws_sdk_lambda::operation::get_function_concurrency::GetFunctionConcurrencyOutput;
    for (put, maybe_applied) in [
        (
            mock!(aws_sdk_lambda::Client::put_function_concurrency)
                .sequence()
                .http_status(500, None)
                .repeatedly()
                .build(),
            true,
        ),
        (
            mock!(aws_sdk_lambda::Client::put_function_concurrency)
                .sequence()
                .error(lambda_throttled)
                .repeatedly()
                .build(),
            false,
        ),
    ] {
        let unreadable = mock!(aws_sdk_lambda::Client::get_function_concurrency)
            .sequence()
            .output(|| GetFunctionConcurrencyOutput::builder().build())
            .times(2)
            .http_status(500, None)
            .repeatedly()
            .build();
        let ctx = context(&[&unreadable, &put]);
        let results = execute(ctx, vec![reserve_orders()]).await;
        assert!(
            matches!(&results[0].outcome,
                Outcome::Failed { maybe_applied: flagged, .. } if *flagged == maybe_applied),
            "{maybe_applied}: {:?}",
            results[0].outcome
        );
    }
}

/// A rule that matched every CloudTrail management event before the intruder disabled it.
fn all_management_events_rule() -> aws_sdk_eventbridge::operation::describe_rule::DescribeRuleOutput
{
    aws_sdk_eventbridge::operation::describe_rule::DescribeRuleOutput::builder()
        .name("watch-everything")
        .event_bus_name("default")
        .event_pattern(r#"{"source":[{"prefix":""}]}"#)
        .description("pages on-call")
        .state(aws_sdk_eventbridge::types::RuleState::EnabledWithAllCloudtrailManagementEvents)
        .build()
}

#[tokio::test]
async fn undo_of_a_disabled_rule_puts_back_all_management_events() {
    use aws_sdk_eventbridge::operation::disable_rule::DisableRuleOutput;
    use aws_sdk_eventbridge::operation::enable_rule::EnableRuleOutput;
    use aws_sdk_eventbridge::operation::put_rule::PutRuleOutput;
    use aws_sdk_eventbridge::types::RuleState;
    let describe = mock!(aws_sdk_eventbridge::Client::describe_rule)
        .sequence()
        // Read to see whether it is already disabled, then right before the change.
        .output(all_management_events_rule)
        .output(all_management_events_rule)
        .output(|| {
            aws_sdk_eventbridge::operation::describe_rule::DescribeRuleOutput::builder()
                .name("watch-everything")
                .event_pattern(r#"{"source":[{"prefix":""}]}"#)
                .description("pages on-call")
                .state(RuleState::Disabled)
                .build()
        })
        .repeatedly()
        .build();
    let disable = mock!(aws_sdk_eventbridge::Client::disable_rule)
        .then_output(|| DisableRuleOutput::builder().build());
    let put = mock!(aws_sdk_eventbridge::Client::put_rule)
        .match_requests(|r| {
            r.state() == Some(&RuleState::EnabledWithAllCloudtrailManagementEvents)
                && r.event_pattern() == Some(r#"{"source":[{"prefix":""}]}"#)
                && r.description() == Some("pages on-call")
        })
        .then_output(|| PutRuleOutput::builder().build());
    let enable = mock!(aws_sdk_eventbridge::Client::enable_rule)
        .then_output(|| EnableRuleOutput::builder().build());
    let ctx = context(&[&describe, &disable, &put, &enable]);
    let disabled = Operation::DisableEventRule {
        bus: "default".into(),
        name: "watch-everything".into(),
    };
    let (results, journal) =
        execute_journaled(ctx.clone(), vec![Step::new("eu-west-1", 0, disabled, None)]).await;
    assert_eq!(results[0].outcome, Outcome::Ok);
    let exact_inverse = Operation::EnableEventRule {
        bus: "default".into(),
        name: "watch-everything".into(),
        all_management_events: true,
    };
    assert!(
        journal.iter().any(|entry| matches!(entry,
            crate::journal::Entry::StepOutcome { inverse: Some(inverse), .. } if *inverse == exact_inverse)),
        "{journal:?}"
    );

    let results = execute(ctx, vec![Step::new("eu-west-1", 0, exact_inverse, None)]).await;
    assert_eq!(results[0].outcome, Outcome::Ok, "{:?}", results[0].outcome);
    assert_eq!(
        put.num_calls(),
        1,
        "the state only PutRule sets, whole rule kept"
    );
    assert_eq!(enable.num_calls(), 0, "EnableRule would lose the state");
}

#[tokio::test]
async fn a_trail_that_cannot_deliver_is_read_so_and_a_member_never_reads_the_org_trail() {
    use aws_sdk_cloudtrail::operation::describe_trails::DescribeTrailsOutput;
    use aws_sdk_cloudtrail::operation::get_event_selectors::GetEventSelectorsOutput;
    use aws_sdk_cloudtrail::operation::get_trail_status::{
        GetTrailStatusError, GetTrailStatusOutput,
    };
    use aws_sdk_cloudtrail::types::Trail as SdkTrail;
    let own = "arn:aws:cloudtrail:eu-west-1:123456789012:trail/audit";
    let org = "arn:aws:cloudtrail:eu-west-1:999988887777:trail/org-audit";
    let listed = mock!(aws_sdk_cloudtrail::Client::describe_trails).then_output(move || {
        DescribeTrailsOutput::builder()
            .trail_list(
                SdkTrail::builder()
                    .name("audit")
                    .trail_arn(own)
                    .home_region("eu-west-1")
                    .is_multi_region_trail(true)
                    .build(),
            )
            .trail_list(
                SdkTrail::builder()
                    .name("org-audit")
                    .trail_arn(org)
                    .home_region("eu-west-1")
                    .is_multi_region_trail(true)
                    .is_organization_trail(true)
                    .build(),
            )
            .build()
    });
    let own_status = mock!(aws_sdk_cloudtrail::Client::get_trail_status)
        .match_requests(move |r| r.name() == Some(own))
        .then_output(|| {
            GetTrailStatusOutput::builder()
                .is_logging(true)
                .latest_delivery_error("NoSuchBucket")
                .build()
        });
    // What AWS answers a member account that asks for the organization trail's status.
    let org_status = mock!(aws_sdk_cloudtrail::Client::get_trail_status)
        .match_requests(move |r| r.name() == Some(org))
        .then_error(|| {
            GetTrailStatusError::generic(
                ErrorMetadata::builder()
                    .code("CloudTrailARNInvalidException")
                    .message("not a valid trail ARN for this account")
                    .build(),
            )
        });
    let selectors = mock!(aws_sdk_cloudtrail::Client::get_event_selectors)
        .then_output(|| GetEventSelectorsOutput::builder().build());
    let ctx = context(&[&listed, &own_status, &org_status, &selectors]);
    let (trails, problems) = super::cloudtrail::trails(&ctx, "eu-west-1", "123456789012", 4)
        .await
        .expect("listed");
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(org_status.num_calls(), 0, "the member never asks");
    let audit = trails
        .iter()
        .find(|t| t.name == "audit")
        .expect("own trail");
    assert_eq!(audit.logging, Some(true));
    assert_eq!(
        audit.delivery_error.as_deref(),
        Some("S3 delivery: NoSuchBucket")
    );
    let org_trail = trails
        .iter()
        .find(|t| t.name == "org-audit")
        .expect("org trail kept");
    assert_eq!(
        org_trail.organization_owner.as_deref(),
        Some("999988887777")
    );
    assert_eq!(org_trail.logging, None);
}

/// Moto answers GetAdministratorAccount with `Administrator`/`AccountId` where AWS (and the
/// SDK) use `administrator`/`accountId`, so the emulator cannot show this read.
#[tokio::test]
async fn a_disabled_detector_names_the_guardduty_administrator_that_manages_it() {
    use aws_sdk_guardduty::operation::get_administrator_account::GetAdministratorAccountOutput;
    use aws_sdk_guardduty::operation::get_detector::GetDetectorOutput;
    use aws_sdk_guardduty::operation::list_detectors::ListDetectorsOutput;
    use aws_sdk_guardduty::types::{Administrator, DetectorStatus};
    let listed = mock!(aws_sdk_guardduty::Client::list_detectors).then_output(|| {
        ListDetectorsOutput::builder()
            .detector_ids("d-member")
            .build()
    });
    let disabled = mock!(aws_sdk_guardduty::Client::get_detector).then_output(|| {
        GetDetectorOutput::builder()
            .status(DetectorStatus::Disabled)
            .build()
    });
    let administrator = mock!(aws_sdk_guardduty::Client::get_administrator_account)
        .match_requests(|r| r.detector_id() == Some("d-member"))
        .then_output(|| {
            GetAdministratorAccountOutput::builder()
                .administrator(
                    Administrator::builder()
                        .account_id("210987654321")
                        .relationship_status("Enabled")
                        .build(),
                )
                .build()
        });
    let ctx = context(&[&listed, &disabled, &administrator]);
    let (detectors, problems) = super::guardduty::detectors(&ctx, "eu-west-1")
        .await
        .expect("listed");
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(detectors.len(), 1);
    assert_eq!(detectors[0].enabled, Some(false));
    assert_eq!(detectors[0].administrator.as_deref(), Some("210987654321"));
}

#[tokio::test]
async fn attribution_read_short_of_the_end_of_the_history_says_how_far_it_read() {
    use crate::model::finding::{Attribution, FindingKind, ResourceType};
    use aws_sdk_cloudtrail::operation::lookup_events::LookupEventsOutput;
    use aws_sdk_cloudtrail::types::Event;
    // Fifty reads a page, and always more: the writes are older than what is read.
    let page = |token: &'static str| {
        move || {
            let mut page = LookupEventsOutput::builder().next_token(token);
            for _ in 0..50 {
                page = page.events(
                    Event::builder()
                        .event_name("GetRolePolicy")
                        .read_only("true")
                        .build(),
                );
            }
            page.build()
        }
    };
    let reads = mock!(aws_sdk_cloudtrail::Client::lookup_events)
        .sequence()
        .output(page("p2"))
        .output(page("p3"))
        .output(page("p4"))
        .build();
    let ctx = context(&[&reads]);
    let role = attributed_finding(
        FindingKind::UnknownRole,
        ResourceType::Role,
        "global",
        "backdoor",
        None,
    );
    let answer = crate::service::attribution::attribute(&ctx, &role).await;
    assert_eq!(answer, Attribution::NotInNewest { events: 150 });
    assert_eq!(
        answer.to_string(),
        "no change in the 150 newest events about it (older ones were not read)"
    );
    assert_eq!(reads.num_calls(), 3);
}

#[tokio::test]
async fn a_game_day_function_waits_for_its_new_role_and_ships_a_real_package() {
    use aws_sdk_lambda::operation::create_function::{CreateFunctionError, CreateFunctionOutput};
    // The first answer AWS gives a function made seconds after its role.
    let created = mock!(aws_sdk_lambda::Client::create_function)
        .match_requests(|r| {
            r.code().and_then(|c| c.zip_file()).is_some_and(|zip| {
                let bytes = zip.as_ref();
                // A local file header, index.py named in it: not an empty archive.
                bytes.starts_with(b"PK\x03\x04") && bytes.windows(8).any(|w| w == b"index.py")
            })
        })
        .sequence()
        .error(|| {
            CreateFunctionError::generic(
                ErrorMetadata::builder()
                    .code("InvalidParameterValueException")
                    .message("The role defined for the function cannot be assumed by Lambda.")
                    .build(),
            )
        })
        .output(|| CreateFunctionOutput::builder().build())
        .build();
    let ctx = context(&[&created]);
    let pass = super::sandbox::Sandbox::after_checks();
    super::sandbox::create_function(
        &ctx,
        &pass,
        "eu-west-1",
        "miner",
        "arn:aws:iam::123456789012:role/gd-role",
        "run-1",
    )
    .await
    .expect("created once the role is assumable");
    assert_eq!(created.num_calls(), 2);
}

#[tokio::test]
async fn a_game_day_instance_goes_into_a_subnet_where_there_is_no_default_vpc() {
    use aws_sdk_ec2::operation::describe_subnets::DescribeSubnetsOutput;
    use aws_sdk_ec2::operation::run_instances::{RunInstancesError, RunInstancesOutput};
    let no_default_vpc = || {
        RunInstancesError::generic(
            ErrorMetadata::builder()
                .code("VPCIdNotSpecified")
                .message("No default VPC for this user")
                .build(),
        )
    };
    let without_subnet = mock!(Client::run_instances)
        .match_requests(|r| r.subnet_id().is_none())
        .then_error(no_default_vpc);
    let into_subnet = mock!(Client::run_instances)
        .match_requests(|r| r.subnet_id() == Some("subnet-1"))
        .then_output(|| RunInstancesOutput::builder().build());
    let subnets = mock!(Client::describe_subnets).then_output(|| {
        DescribeSubnetsOutput::builder()
            .subnets(
                aws_sdk_ec2::types::Subnet::builder()
                    .subnet_id("subnet-1")
                    .build(),
            )
            .build()
    });
    let ctx = context(&[&without_subnet, &into_subnet, &subnets]);
    let pass = super::sandbox::Sandbox::after_checks();
    super::sandbox::launch_instance(&ctx, &pass, "eu-west-1", "ami-1", "web", "run-1")
        .await
        .expect("launched into the subnet");
    assert_eq!(into_subnet.num_calls(), 1);

    // No subnet at all: the error says what to do.
    let none =
        mock!(Client::describe_subnets).then_output(|| DescribeSubnetsOutput::builder().build());
    let ctx = context(&[&without_subnet, &none]);
    let error = super::sandbox::launch_instance(&ctx, &pass, "eu-west-1", "ami-1", "web", "run-1")
        .await
        .expect_err("nowhere to launch");
    assert_eq!(error.code, "VPCIdNotSpecified");
    assert!(
        error.message.contains("create-default-vpc"),
        "{}",
        error.message
    );
}
