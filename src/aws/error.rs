//! SDK errors into `AwsError` (the core's record of one failed AWS call), kept whole: code,
//! message, request id and status.
use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_iam::operation::RequestId;
pub use firebreak_core::aws_error::{AwsError, Subject};

/// The value of a detail read, or `None` with its error kept in `problems`: a failed detail
/// read never drops what was read around it.
pub(crate) fn kept<T>(result: Result<T, AwsError>, problems: &mut Vec<AwsError>) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(error) => {
            problems.push(error);
            None
        }
    }
}

/// Adds one read item and its problems (none, one or several) to what was read: the fold of a
/// listing whose items each had detail reads.
pub(crate) fn keep<T, P: IntoIterator<Item = AwsError>>(
    (mut items, mut problems): (Vec<T>, Vec<AwsError>),
    (item, problem): (T, P),
) -> (Vec<T>, Vec<AwsError>) {
    items.push(item);
    problems.extend(problem);
    (items, problems)
}

/// An error and its sources, joined with ": " (without the debug dump).
fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(current) = source {
        let part = current.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = current.source();
    }
    text
}

/// The credentials failure behind a dispatch failure, if that is what it was: the usual cause
/// at 3 a.m. is an expired SSO session or a missing profile, and it deserves a plain message.
fn credentials_problem(err: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut source = err.source();
    while let Some(current) = source {
        if let Some(problem) = current.downcast_ref::<CredentialsError>() {
            return Some(chain(problem));
        }
        source = current.source();
    }
    None
}

/// An IAM call (IAM is global).
pub(super) fn iam_site(operation: &str) -> CallSite<'_> {
    CallSite {
        service: "iam",
        operation,
        region: firebreak_core::model::GLOBAL,
    }
}

/// A Lambda call in `region`.
pub(super) fn lambda_site<'a>(operation: &'a str, region: &'a str) -> CallSite<'a> {
    CallSite {
        service: "lambda",
        operation,
        region,
    }
}

/// An EC2 call in `region`.
pub(super) fn ec2_site<'a>(operation: &'a str, region: &'a str) -> CallSite<'a> {
    CallSite {
        service: "ec2",
        operation,
        region,
    }
}

/// Where a call was going, so that its failure can say so.
#[derive(Debug, Clone, Copy)]
pub struct CallSite<'a> {
    pub service: &'a str,
    pub operation: &'a str,
    pub region: &'a str,
}

impl CallSite<'_> {
    /// Converts an SDK error into an `AwsError`, keeping code, message, request id and status.
    pub fn error<E>(&self, err: SdkError<E>) -> AwsError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let http_status = err.raw_response().map(|r| r.status().as_u16());
        let request_id = err.request_id().map(str::to_string);
        let (code, message) = match &err {
            SdkError::ServiceError(_) => (
                err.code()
                    .map(str::to_string)
                    .unwrap_or_else(|| match http_status {
                        Some(status) => format!("Http{status}"),
                        None => "Unknown".to_string(),
                    }),
                err.message()
                    .map(str::to_string)
                    .unwrap_or_else(|| chain(&err)),
            ),
            SdkError::TimeoutError(_) => ("Timeout".to_string(), chain(&err)),
            SdkError::DispatchFailure(_) => match credentials_problem(&err) {
                Some(problem) => (
                    "NoCredentials".to_string(),
                    format!("no usable AWS credentials: {problem}"),
                ),
                None => ("Connection".to_string(), chain(&err)),
            },
            SdkError::ResponseError(_) => (
                match http_status {
                    Some(status) => format!("Http{status}"),
                    None => "BadResponse".to_string(),
                },
                chain(&err),
            ),
            _ => ("Unknown".to_string(), chain(&err)),
        };
        AwsError {
            service: self.service.to_string(),
            operation: self.operation.to_string(),
            region: self.region.to_string(),
            code,
            message,
            request_id,
            http_status,
            subject: None,
        }
    }

    /// An error found by firebreak itself in an answer (no AWS code): fill in `code` and `message`.
    pub fn local_error(&self) -> AwsError {
        AwsError {
            service: self.service.to_string(),
            operation: self.operation.to_string(),
            region: self.region.to_string(),
            code: String::new(),
            message: String::new(),
            request_id: None,
            http_status: None,
            subject: None,
        }
    }

    /// Runs `call` and attributes its failure to this call site.
    pub async fn run<T, E, F>(self, call: F) -> Result<T, AwsError>
    where
        F: std::future::Future<Output = Result<T, SdkError<E>>>,
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        call.await.map_err(|e| self.error(e))
    }

    /// Like `run`, but treats the AWS error `absent_code` (e.g. `NoSuchEntity`) as `None`.
    pub async fn optional<T, E, F>(self, absent_code: &str, call: F) -> Result<Option<T>, AwsError>
    where
        F: std::future::Future<Output = Result<T, SdkError<E>>>,
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        match call.await {
            Ok(value) => Ok(Some(value)),
            Err(err) if err.code() == Some(absent_code) => Ok(None),
            Err(err) => Err(self.error(err)),
        }
    }
}
