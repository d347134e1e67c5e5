//! An emulator's "not implemented" answer, recognised on its first arrival. moto answers a
//! call it lacks with HTTP 500 and an HTML page, on every try: the SDK's standard retry would
//! resend it until the operation timeout, so one missing call cost a minute per region. Added
//! only to clients of an overridden endpoint (an emulator): against AWS a 500 stays retryable.

use aws_sdk_ec2::config::retry::{ClassifyRetry, RetryAction};
use aws_smithy_runtime_api::client::interceptors::context::InterceptorContext;
use aws_smithy_runtime_api::client::retries::classifiers::{
    RetryClassifierPriority, SharedRetryClassifier,
};

/// Forbids retrying a 500 whose body is an HTML page: an emulator's unimplemented call.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct EmulatorGap;

impl EmulatorGap {
    /// The classifier, shared, for a client builder.
    pub(crate) fn shared() -> SharedRetryClassifier {
        SharedRetryClassifier::new(EmulatorGap)
    }
}

/// Whether an answer is an emulator's "not implemented" page: status 500 with an HTML body
/// (AWS's own 500s carry XML or JSON error documents).
pub(crate) fn is_unimplemented_page(status: u16, content_type: Option<&str>, body: &[u8]) -> bool {
    if status != 500 {
        return false;
    }
    let html_type = content_type.is_some_and(|t| t.to_ascii_lowercase().starts_with("text/html"));
    let start: Vec<u8> = body
        .iter()
        .skip_while(|b| b.is_ascii_whitespace())
        .take(14)
        .map(u8::to_ascii_lowercase)
        .collect();
    html_type || start.starts_with(b"<!doctype html") || start.starts_with(b"<html")
}

impl ClassifyRetry for EmulatorGap {
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        let Some(response) = ctx.response() else {
            return RetryAction::NoActionIndicated;
        };
        let body = response.body().bytes().unwrap_or_default();
        if is_unimplemented_page(
            response.status().as_u16(),
            response.headers().get("content-type"),
            body,
        ) {
            RetryAction::RetryForbidden
        } else {
            RetryAction::NoActionIndicated
        }
    }

    fn name(&self) -> &'static str {
        "emulator's unimplemented call"
    }

    /// After the SDK's own classifiers, so its "a 500 is transient" is overruled.
    fn priority(&self) -> RetryClassifierPriority {
        RetryClassifierPriority::run_after(RetryClassifierPriority::transient_error_classifier())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_500_with_an_html_page_is_an_emulator_gap() {
        let page = b"\n<!doctype html>\n<html lang=en><title>500 Internal Server Error</title>";
        assert!(is_unimplemented_page(
            500,
            Some("text/html; charset=utf-8"),
            page
        ));
        assert!(is_unimplemented_page(500, None, page));
        assert!(is_unimplemented_page(500, Some("TEXT/HTML"), b""));
        // AWS's own server errors are documents of the protocol: retried as ever.
        let xml = b"<?xml version=\"1.0\"?><Response><Errors><Error><Code>InternalError</Code>";
        assert!(!is_unimplemented_page(500, Some("text/xml"), xml));
        assert!(!is_unimplemented_page(
            500,
            Some("application/x-amz-json-1.1"),
            b"{\"__type\":\"InternalFailure\"}"
        ));
        // Not a 500: whatever the body, not this classifier's to judge.
        assert!(!is_unimplemented_page(503, Some("text/html"), page));
        assert!(!is_unimplemented_page(200, Some("text/html"), page));
    }
}
