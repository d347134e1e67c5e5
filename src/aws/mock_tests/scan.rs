//! The scan's reads against answers moto cannot give: throttled and failed detail reads, aliases, a listing read again, trails that cannot deliver, administered detectors.

use super::*;

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
    let (snapshots, problems) = crate::aws::ec2::snapshots(&ctx, "eu-west-1", "123456789012", 2)
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
    let (snapshots, problems) = crate::aws::ec2::snapshots(&ctx, "eu-west-1", "123456789012", 2)
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
    let (functions, problems) = crate::aws::lambda::functions(&ctx, "eu-west-1", 2)
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
    let read = crate::aws::iam::inventory(&ctx, 2)
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
                == Some(crate::aws::error::Subject {
                    resource_type: firebreak_core::model::finding::ResourceType::User,
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
    let (functions, problems) = crate::aws::lambda::functions(&ctx, "eu-west-1", 1)
        .await
        .expect("listed");
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(
        functions[0].policy_principals, None,
        "the function itself is private"
    );
    assert_eq!(functions[0].aliases.len(), 1);
    assert!(functions[0].aliases[0].is_public());
    assert!(firebreak_core::scan::is_public_function(&functions[0]));
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
    let mut events = crate::scanner::spawn(
        ctx,
        firebreak_core::scan::ScanOptions {
            regions: firebreak_core::scan::RegionSelection::Named(vec!["eu-west-1".into()]),
            region_concurrency: 1,
            detail_concurrency: 1,
            census: firebreak_core::scan::CensusBound {
                objects: 10,
                sampled: 1,
            },
        },
    );
    let mut state = firebreak_core::scan::ScanState::default();
    while let Some(event) = events.recv().await {
        state.apply(event);
    }
    let eu = &state.regions[0];
    assert!(eu.errors.is_empty(), "{:?}", eu.errors);
    assert_eq!(eu.status, firebreak_core::scan::RegionStatus::Done);
    assert_eq!(state.inventory.snapshots.len(), 1);
    assert_eq!(snapshots.num_calls(), 2);
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
    let (trails, problems) = crate::aws::cloudtrail::trails(&ctx, "eu-west-1", "123456789012", 4)
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
    let (detectors, problems) = crate::aws::guardduty::detectors(&ctx, "eu-west-1")
        .await
        .expect("listed");
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(detectors.len(), 1);
    assert_eq!(detectors[0].enabled, Some(false));
    assert_eq!(detectors[0].administrator.as_deref(), Some("210987654321"));
}
