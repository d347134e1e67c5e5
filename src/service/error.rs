//! `ServiceError`: why a service could not do what a front end asked (config, baseline,
//! journal, AWS, the engine, a refused confirmation), with the credential and endpoint hints an
//! on-call engineer needs. Front ends wrap it in their own error.

use std::path::PathBuf;

use firebreak_core::baseline::BaselineError;
use firebreak_core::config::ConfigError;
use firebreak_core::journal::{JournalError, ReadError};

use super::engine::EngineError;
use crate::aws::AwsError;

/// Why a service could not do what a front end asked. Kept typed: a front end matches on it.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Baseline(#[from] BaselineError),
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error("{0}")]
    Aws(Box<AwsError>),
    #[error("the AWS credentials were refused ({}): {refresh}; {error}", error.code)]
    Credentials {
        refresh: String,
        error: Box<AwsError>,
    },
    #[error("no AWS credentials were found: looked in {looked}; {refresh}\n({})", error.message)]
    NoCredentials {
        looked: String,
        refresh: String,
        error: Box<AwsError>,
    },
    #[error("no answer from the endpoint {endpoint} (--endpoint-url or AWS_ENDPOINT_URL): {error}")]
    Unreachable {
        endpoint: String,
        error: Box<AwsError>,
    },
    #[error("no {what} path: {hint}")]
    NoPath {
        what: &'static str,
        hint: &'static str,
    },
    #[error("no baseline at {0}: run `firebreak baseline capture` first")]
    NoBaseline(PathBuf),
    #[error(transparent)]
    JournalRead(#[from] ReadError),
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("{0}")]
    NoSuchTarget(String),
    #[error("{0}")]
    Confirmation(String),
    #[error("this plan needs {} typed to confirm; nothing was changed", accepted.join(" or "))]
    NotConfirmed { accepted: Vec<String> },
}

impl ServiceError {
    /// Credentials that expired or were never valid get a message saying so and how to
    /// refresh them; every other error is left as it is.
    pub fn with_credentials_hint(self, profile: Option<&str>) -> ServiceError {
        match self {
            ServiceError::Aws(error) if error.code == "NoCredentials" => {
                let refresh = match profile {
                    Some(profile) => format!(
                        "give profile {profile} credentials (for SSO: `aws sso login --profile {profile}`) and run again"
                    ),
                    None => "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or pass --profile, and run again".to_string(),
                };
                ServiceError::NoCredentials {
                    looked: credential_sources(profile),
                    refresh,
                    error,
                }
            }
            ServiceError::Aws(error) if error.is_credentials_problem() => {
                let refresh = match profile {
                    Some(profile) => format!(
                        "refresh the credentials of profile {profile} (for SSO: `aws sso login --profile {profile}`) and run again"
                    ),
                    None => "refresh the credentials in the environment (or pass --profile) and run again".to_string(),
                };
                ServiceError::Credentials { refresh, error }
            }
            other => other,
        }
    }

    /// A call that got no answer from an overridden endpoint (an emulator, a proxy) says which
    /// endpoint and where it was set: a stale `AWS_ENDPOINT_URL` is easy to miss.
    pub fn with_endpoint_hint(self, endpoint: Option<&str>) -> ServiceError {
        match (self, endpoint) {
            (ServiceError::Aws(error), Some(endpoint)) if error.got_no_answer() => {
                ServiceError::Unreachable {
                    endpoint: endpoint.to_string(),
                    error,
                }
            }
            (other, _) => other,
        }
    }
}

impl From<AwsError> for ServiceError {
    fn from(error: AwsError) -> Self {
        ServiceError::Aws(Box::new(error))
    }
}

/// Where aws-config's default chain looks for credentials, with the files this process reads.
fn credential_sources(profile: Option<&str>) -> String {
    let file = |variable: &str, default: &str| {
        std::env::var(variable).unwrap_or_else(|_| format!("~/.aws/{default}"))
    };
    let profile = profile
        .map(str::to_string)
        .or_else(|| std::env::var("AWS_PROFILE").ok())
        .unwrap_or_else(|| "default".to_string());
    format!(
        "the environment (AWS_ACCESS_KEY_ID), profile {profile} in {} and {} (keys, SSO, a role to assume, a credential process), web identity (AWS_WEB_IDENTITY_TOKEN_FILE), and the container and instance metadata",
        file("AWS_SHARED_CREDENTIALS_FILE", "credentials"),
        file("AWS_CONFIG_FILE", "config"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(code: &str) -> ServiceError {
        ServiceError::Aws(Box::new(AwsError {
            service: "sts".into(),
            operation: "GetCallerIdentity".into(),
            region: "us-east-1".into(),
            code: code.into(),
            message: "The security token included in the request is expired".into(),
            request_id: Some("r-1".into()),
            http_status: Some(403),
            subject: None,
        }))
    }

    #[test]
    fn expired_credentials_say_how_to_refresh_them() {
        let shown = error("ExpiredToken")
            .with_credentials_hint(Some("prod"))
            .to_string();
        assert!(
            shown.contains("aws sso login --profile prod") && shown.contains("ExpiredToken"),
            "{shown}"
        );
        let shown = error("InvalidClientTokenId")
            .with_credentials_hint(None)
            .to_string();
        assert!(shown.contains("--profile"), "{shown}");
        let other = error("AccessDenied").with_credentials_hint(Some("prod"));
        assert!(matches!(other, ServiceError::Aws(_)), "{other}");
    }

    #[test]
    fn no_answer_from_an_overridden_endpoint_names_it_and_the_flag() {
        let shown = error("Timeout")
            .with_endpoint_hint(Some("http://127.0.0.1:9"))
            .to_string();
        assert!(
            shown.starts_with("no answer from the endpoint http://127.0.0.1:9 (--endpoint-url")
                && shown.contains("sts GetCallerIdentity in us-east-1: Timeout"),
            "{shown}"
        );
        let real_aws = error("Connection").with_endpoint_hint(None);
        assert!(matches!(real_aws, ServiceError::Aws(_)), "{real_aws}");
        let answered = error("AccessDenied").with_endpoint_hint(Some("http://127.0.0.1:9"));
        assert!(matches!(answered, ServiceError::Aws(_)), "{answered}");
    }
}
