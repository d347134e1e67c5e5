//! An endpoint that cannot be reached is final at once. The SDK's standard retry treats every
//! connection failure as transient and tries again until the operation timeout (a minute), so
//! a wrong `--endpoint-url` or a stopped emulator took 60 s to report, with a cause that changed
//! between runs. A refused connection (nothing listens there) and a connect timeout (nothing
//! answers there within the configured connect timeout) are not retried; a connection dropped
//! after it was made still is.

use aws_sdk_ec2::config::retry::{ClassifyRetry, RetryAction};
use aws_smithy_runtime_api::client::interceptors::context::InterceptorContext;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::retries::classifiers::{
    RetryClassifierPriority, SharedRetryClassifier,
};

/// Forbids retrying a connection that could not be made.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Unreachable;

impl Unreachable {
    /// The classifier, shared, for a client builder.
    pub(crate) fn shared() -> SharedRetryClassifier {
        SharedRetryClassifier::new(Unreachable)
    }
}

/// Whether a connector error says the connection was never made: refused, or timed out while
/// connecting.
pub(crate) fn never_connected(error: &ConnectorError) -> bool {
    if error.is_timeout() {
        return true;
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = source {
        if let Some(io) = current.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::ConnectionRefused
        {
            return true;
        }
        source = current.source();
    }
    false
}

impl ClassifyRetry for Unreachable {
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        let refused = ctx
            .output_or_error()
            .and_then(Result::err)
            .and_then(|error| error.as_connector_error())
            .is_some_and(never_connected);
        if refused {
            RetryAction::RetryForbidden
        } else {
            RetryAction::NoActionIndicated
        }
    }

    fn name(&self) -> &'static str {
        "endpoint unreachable"
    }

    /// After the SDK's own classifiers, so its "a connection error is transient" is overruled.
    fn priority(&self) -> RetryClassifierPriority {
        RetryClassifierPriority::run_after(RetryClassifierPriority::transient_error_classifier())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;

    #[derive(Debug)]
    struct Wrapped(io::Error);
    impl std::fmt::Display for Wrapped {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("tcp connect error")
        }
    }
    impl std::error::Error for Wrapped {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn a_refused_or_timed_out_connection_is_final_and_a_dropped_one_is_not() {
        let refused = || io::Error::from(io::ErrorKind::ConnectionRefused);
        assert!(never_connected(&ConnectorError::io(Box::new(refused()))));
        // However deep the connector wraps it.
        assert!(never_connected(&ConnectorError::io(Box::new(Wrapped(
            refused()
        )))));
        assert!(never_connected(&ConnectorError::timeout(
            "connect timed out".into()
        )));
        for transient in [
            io::ErrorKind::ConnectionReset,
            io::ErrorKind::ConnectionAborted,
            io::ErrorKind::BrokenPipe,
            io::ErrorKind::UnexpectedEof,
        ] {
            assert!(
                !never_connected(&ConnectorError::io(Box::new(Wrapped(io::Error::from(
                    transient
                ))))),
                "{transient:?}"
            );
        }
    }
}
