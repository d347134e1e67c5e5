//! `AwsError`: one failed AWS call, with everything an on-call engineer needs to act on it or
//! quote it to AWS support. Never flattened to a bare string. The SDK's errors become one in
//! `firebreak::aws::error`.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::model::finding::ResourceType;

/// A failed AWS call: where it went, what AWS answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwsError {
    /// Service, e.g. `lambda`.
    pub service: String,
    /// API operation, e.g. `ListFunctions`.
    pub operation: String,
    /// Region the call was sent to, or `global`.
    pub region: String,
    /// AWS error code (`AccessDeniedException`), or a transport class (`Timeout`, `Connection`)
    /// when no response came back.
    pub code: String,
    pub message: String,
    pub request_id: Option<String>,
    pub http_status: Option<u16>,
    /// The item a failed detail read was about (`user` `alice`), when it was about one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Subject>,
}

/// What a failed call was about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    pub resource_type: ResourceType,
    pub id: String,
}

/// Error codes with which AWS says "too many requests, slow down".
const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "RequestThrottledException",
    "SlowDown",
];

impl AwsError {
    /// Whether AWS refused the call for the account's request rate, not for the call itself.
    pub fn is_throttling(&self) -> bool {
        THROTTLING_CODES.contains(&self.code.as_str())
    }

    /// This error, marked as about `resource_type` `id` (unless already about something).
    pub fn about(mut self, resource_type: ResourceType, id: &str) -> Self {
        self.subject.get_or_insert_with(|| Subject {
            resource_type,
            id: id.to_string(),
        });
        self
    }

    /// The IAM action the caller lacks, when AWS refused the call for want of permission (the
    /// action is named after the API operation: `lambda:GetPolicy`, `ec2:DescribeSnapshots`;
    /// API Gateway's after the HTTP verb: `apigateway:GET`).
    pub fn missing_permission(&self) -> Option<String> {
        matches!(
            self.code.as_str(),
            "AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation"
        )
        .then(|| match self.service.as_str() {
            // API Gateway's IAM actions are HTTP verbs on resources, not operation names.
            "apigateway" => [
                ("Get", "GET"),
                ("Update", "PATCH"),
                ("Create", "POST"),
                ("Delete", "DELETE"),
            ]
            .iter()
            .find(|(verb, _)| self.operation.starts_with(verb))
            .map_or_else(
                || format!("apigateway:{}", self.operation),
                |(_, method)| format!("apigateway:{method}"),
            ),
            _ => format!("{}:{}", self.service, self.operation),
        })
    }

    /// Whether no answer came back at all (connection refused or dropped, timed out).
    pub fn got_no_answer(&self) -> bool {
        matches!(self.code.as_str(), "Connection" | "Timeout")
    }

    /// Whether the credentials themselves were refused (expired, revoked, unknown): no call
    /// will succeed until they are refreshed.
    pub fn is_credentials_problem(&self) -> bool {
        matches!(
            self.code.as_str(),
            "ExpiredToken"
                | "ExpiredTokenException"
                | "InvalidClientTokenId"
                | "UnrecognizedClientException"
                | "InvalidAccessKeyId"
                | "AuthFailure"
                | "NoCredentials"
        )
    }
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} in {}: {}: {}",
            self.service, self.operation, self.region, self.code, self.message
        )?;
        if let Some(subject) = &self.subject {
            write!(
                f,
                " (about {} {})",
                subject.resource_type.as_str(),
                subject.id
            )?;
        }
        if let Some(action) = self.missing_permission() {
            write!(f, " (missing IAM permission {action})")?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " (request id {id})")?;
        }
        Ok(())
    }
}

impl std::error::Error for AwsError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(service: &str, operation: &str, code: &str) -> AwsError {
        AwsError {
            service: service.into(),
            operation: operation.into(),
            region: "eu-west-1".into(),
            code: code.into(),
            message: "no".into(),
            request_id: None,
            http_status: None,
            subject: None,
        }
    }

    #[test]
    fn throttling_no_answer_and_refused_credentials_are_told_apart() {
        for code in [
            "Throttling",
            "TooManyRequestsException",
            "RequestLimitExceeded",
            "SlowDown",
        ] {
            assert!(
                error("ec2", "DescribeSnapshots", code).is_throttling(),
                "{code}"
            );
        }
        assert!(!error("ec2", "DescribeSnapshots", "AccessDenied").is_throttling());
        assert!(error("sts", "GetCallerIdentity", "Timeout").got_no_answer());
        assert!(error("sts", "GetCallerIdentity", "Connection").got_no_answer());
        assert!(!error("sts", "GetCallerIdentity", "Http500").got_no_answer());
        for code in [
            "ExpiredToken",
            "InvalidClientTokenId",
            "AuthFailure",
            "NoCredentials",
        ] {
            assert!(
                error("sts", "GetCallerIdentity", code).is_credentials_problem(),
                "{code}"
            );
        }
        assert!(!error("sts", "GetCallerIdentity", "AccessDenied").is_credentials_problem());
    }

    #[test]
    fn a_refusal_names_the_iam_action_the_caller_lacks() {
        let cases = [
            (
                "lambda",
                "GetPolicy",
                "AccessDeniedException",
                Some("lambda:GetPolicy"),
            ),
            (
                "ec2",
                "DescribeSnapshots",
                "UnauthorizedOperation",
                Some("ec2:DescribeSnapshots"),
            ),
            ("iam", "ListUsers", "AccessDenied", Some("iam:ListUsers")),
            (
                "apigateway",
                "GetApiKeys",
                "AccessDeniedException",
                Some("apigateway:GET"),
            ),
            (
                "apigateway",
                "UpdateApiKey",
                "AccessDeniedException",
                Some("apigateway:PATCH"),
            ),
            ("lambda", "GetPolicy", "ResourceNotFoundException", None),
        ];
        for (service, operation, code, action) in cases {
            assert_eq!(
                error(service, operation, code)
                    .missing_permission()
                    .as_deref(),
                action,
                "{service} {operation} {code}"
            );
        }
    }

    #[test]
    fn the_text_says_where_what_about_which_permission_and_the_request_id() {
        let mut denied = error("lambda", "GetPolicy", "AccessDeniedException")
            .about(ResourceType::Function, "miner");
        denied.request_id = Some("r-1".into());
        assert_eq!(
            denied.to_string(),
            "lambda GetPolicy in eu-west-1: AccessDeniedException: no (about function miner) \
             (missing IAM permission lambda:GetPolicy) (request id r-1)"
        );
        // What an error is about is set once.
        let again = denied.clone().about(ResourceType::User, "alice");
        assert_eq!(again.subject, denied.subject);
        assert_eq!(
            error("sts", "GetCallerIdentity", "Timeout").to_string(),
            "sts GetCallerIdentity in eu-west-1: Timeout: no"
        );
    }
}
