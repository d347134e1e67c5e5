//! Whether a change's own attempts may have changed AWS. The SDK sends a mutating call up to its
//! retry budget; an attempt whose answer is lost (a dropped connection, a timeout, a server
//! error) may still have been applied. When the engine later finds the change made, it is
//! firebreak's own only if one of its attempts was applied or may have been; after nothing but
//! clean refusals (throttled, denied) it is someone else's, and undo must leave it alone.

use aws_sdk_ec2::config::{ConfigBag, Intercept, RuntimeComponents, SharedInterceptor};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::FinalizerInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

tokio::task_local! {
    /// Set while a change is watched: raised by a mutating attempt that was or may have been
    /// applied.
    static APPLIED: Arc<AtomicBool>;
}

/// Runs `change` and says whether any mutating attempt it sent was applied or may have been.
pub(crate) async fn watched<F: Future>(change: F) -> (F::Output, bool) {
    let applied = Arc::new(AtomicBool::new(false));
    let output = APPLIED.scope(applied.clone(), change).await;
    (output, applied.load(Ordering::SeqCst))
}

/// The interceptor every client carries: outside [`watched`] it does nothing.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct AttemptWatch;

impl AttemptWatch {
    /// The interceptor, shared, for a client builder.
    pub(crate) fn shared() -> SharedInterceptor {
        SharedInterceptor::new(AttemptWatch)
    }
}

impl Intercept for AttemptWatch {
    fn name(&self) -> &'static str {
        "firebreak attempt watch"
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let reads = cfg
            .load::<Metadata>()
            .is_some_and(|metadata| is_read(metadata.name()));
        if !reads {
            let end = context.output_or_error().map(|result| match result {
                Ok(_) => AttemptEnd::Answered,
                Err(error) if error.is_operation_error() => AttemptEnd::Refused {
                    status: context.response().map(|r| r.status().as_u16()),
                },
                Err(_) => AttemptEnd::Unanswered,
            });
            if end.is_some_and(AttemptEnd::may_have_been_applied) {
                // Outside a watched change there is nothing to tell.
                let _ = APPLIED.try_with(|applied| applied.store(true, Ordering::SeqCst));
            }
        }
        Ok(())
    }
}

/// Whether an operation only reads (by AWS's naming): its attempts change nothing.
fn is_read(operation: &str) -> bool {
    ["Get", "Describe", "List", "Lookup", "Head", "Search"]
        .iter()
        .any(|verb| operation.starts_with(verb))
}

/// How one attempt of a call ended.
#[derive(Debug, Clone, Copy)]
enum AttemptEnd {
    /// AWS answered with the call's output.
    Answered,
    /// AWS answered with an error document, with this HTTP status (none only from a test double).
    Refused { status: Option<u16> },
    /// No answer arrived: a dropped connection, a timeout, a body that did not parse.
    Unanswered,
}

impl AttemptEnd {
    /// Whether AWS applied the attempt or may have without firebreak seeing it. AWS applies
    /// nothing it refuses with a client error or a 503 (throttled, unavailable); a 500, 502 or
    /// 504 and a lost answer may hide a change made.
    fn may_have_been_applied(self) -> bool {
        match self {
            AttemptEnd::Answered => true,
            AttemptEnd::Refused { status: None } => false,
            AttemptEnd::Refused {
                status: Some(status),
            } => matches!(status, 500 | 502 | 504),
            AttemptEnd::Unanswered => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_a_lost_answer_or_a_server_failure_may_mean_a_change() {
        let refused = |status| AttemptEnd::Refused { status };
        assert!(AttemptEnd::Answered.may_have_been_applied());
        assert!(!refused(None).may_have_been_applied());
        for status in [400, 403, 404, 409, 429, 503] {
            assert!(!refused(Some(status)).may_have_been_applied(), "{status}");
        }
        for status in [500, 502, 504] {
            assert!(refused(Some(status)).may_have_been_applied(), "{status}");
        }
        assert!(AttemptEnd::Unanswered.may_have_been_applied());
    }

    #[test]
    fn reads_are_told_apart_by_their_verb() {
        for read in [
            "GetFunctionConcurrency",
            "DescribeSecurityGroupRules",
            "ListAttachedRolePolicies",
            "LookupEvents",
            "HeadBucket",
            "SearchResources",
        ] {
            assert!(is_read(read), "{read}");
        }
        for change in [
            "PutFunctionConcurrency",
            "RevokeSecurityGroupIngress",
            "StopLogging",
            "DeleteAccessKey",
            "UpdateAccessKey",
        ] {
            assert!(!is_read(change), "{change}");
        }
    }
}
