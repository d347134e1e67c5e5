//! The config file's `[aws]` settings reaching the SDK clients.

use super::*;

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
    let config = firebreak_core::config::load(cli.global.config.as_deref()).expect("config");
    let options = crate::service::session::connect_options(&cli.global.session_options(), &config);
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
    let error = crate::aws::planning::snapshot_block_public_access(&ctx, "eu-west-1")
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
    let armed = crate::aws::apply::Armed::unless_read_only(false).expect("armed");
    let error = crate::aws::apply::apply(
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
