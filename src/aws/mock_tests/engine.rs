//! The engine against answers moto cannot give: block public access, ConcurrentModification, throttling, unimplemented calls, prerequisites, the journal, changes found already made.

use super::*;

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
    let steps = firebreak_core::playbook::revert_sharing::block_steps(
        "eu-west-1",
        firebreak_core::playbook::revert_sharing::BlockPublicAccess {
            snapshots: Some(firebreak_core::model::operation::SnapshotBlock::BlockNewSharing),
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
        Some(&firebreak_core::journal::Entry::ActionFinished {
            action_id: "mock-1".into(),
            ok: 0,
            skipped: 1,
            unsupported: 0,
            failed: 2,
        })
    );
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
    use aws_sdk_lambda::operation::delete_function::DeleteFunctionOutput;
    use aws_sdk_lambda::operation::get_function::GetFunctionOutput;
    use aws_sdk_lambda::operation::get_function_concurrency::GetFunctionConcurrencyOutput;
    use aws_sdk_lambda::operation::get_policy::GetPolicyError;
    use aws_sdk_lambda::operation::list_tags::ListTagsOutput;
    use aws_sdk_lambda::operation::put_function_concurrency::PutFunctionConcurrencyOutput;
    use aws_sdk_lambda::types::{FunctionCodeLocation, FunctionConfiguration};
    use firebreak_core::playbook::contain_functions::{self, Deletion, FunctionTarget};
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
    let logs = firebreak_core::journal::read_all(dir.path()).expect("journal");
    let intents: Vec<usize> = logs
        .iter()
        .flat_map(|l| &l.records)
        .filter_map(|r| match &r.entry {
            firebreak_core::journal::Entry::StepIntent { index, .. } => Some(*index),
            _ => None,
        })
        .collect();
    assert!(!intents.contains(&5), "{intents:?}");
    assert!(intents.contains(&6), "{intents:?}");
}

#[tokio::test]
async fn close_ingress_revokes_what_is_still_there_and_its_inverse_puts_back_only_that() {
    use aws_sdk_ec2::operation::describe_security_group_rules::DescribeSecurityGroupRulesOutput;
    use aws_sdk_ec2::operation::revoke_security_group_ingress::RevokeSecurityGroupIngressOutput;
    use aws_sdk_ec2::types::SecurityGroupRule;
    use firebreak_core::model::operation::IngressRule;
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
    let armed = crate::aws::apply::Armed::unless_read_only(false).expect("not read-only");
    let operation = Operation::RevokeIngress {
        group_id: "sg-1".into(),
        rules: vec![rule(22, ""), rule(3389, "")],
    };
    let applied = crate::aws::apply::apply(&ctx, "us-east-1", &operation, &armed)
        .await
        .expect("applied");
    assert_eq!(revoke.num_calls(), 1);
    assert_eq!(
        applied,
        crate::aws::apply::Applied::Changed {
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
    let error = crate::aws::apply::apply(&ctx, "us-east-1", &operation, &armed)
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
            firebreak_core::journal::Entry::StepOutcome {
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
            firebreak_core::journal::Entry::StepOutcome { inverse: Some(inverse), .. } if *inverse == exact_inverse)),
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
