//! Lambda inventory for one region: functions, their resource-policy principals, reserved
//! concurrency and function URL auth.

use chrono::{DateTime, Utc};
use futures::{StreamExt, TryStreamExt, stream};

use aws_sdk_lambda::types::{FunctionConfiguration, FunctionUrlAuthType};

use super::context::AwsContext;
use super::error::{AwsError, CallSite};
use crate::model::{Function, UrlAuth};
use crate::policy::parse_principals;

/// Lists every function in `region` with its details; `concurrency` bounds the detail calls.
/// Also returns problems with what was read (an unreadable resource policy): those functions
/// are still listed.
pub async fn functions(
    ctx: &AwsContext,
    region: &str,
    concurrency: usize,
) -> Result<(Vec<Function>, Vec<AwsError>), AwsError> {
    let client = ctx.lambda(region);
    let site = |operation| CallSite {
        service: "lambda",
        operation,
        region,
    };
    let configurations: Vec<FunctionConfiguration> = client
        .list_functions()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| site("ListFunctions").error(e))?;
    stream::iter(configurations)
        .map(|configuration| {
            let client = &client;
            async move {
                let name = configuration
                    .function_name()
                    .unwrap_or_default()
                    .to_string();
                let policy = site("GetPolicy").optional(
                    "ResourceNotFoundException",
                    client.get_policy().function_name(&name).send(),
                );
                let concurrency = site("GetFunctionConcurrency").run(
                    client
                        .get_function_concurrency()
                        .function_name(&name)
                        .send(),
                );
                let url = site("GetFunctionUrlConfig").optional(
                    "ResourceNotFoundException",
                    client.get_function_url_config().function_name(&name).send(),
                );
                let (policy, concurrency, url) = tokio::try_join!(policy, concurrency, url)?;
                let (policy_principals, problem) = match policy
                    .as_ref()
                    .and_then(|p| p.policy())
                    .map(parse_principals)
                {
                    Some(Ok(principals)) => (Some(principals), None),
                    Some(Err(e)) => (
                        None,
                        Some(AwsError {
                            code: "UnreadablePolicy".to_string(),
                            message: format!("function {name}: {e}"),
                            ..site("GetPolicy").local_error()
                        }),
                    ),
                    None => (None, None),
                };
                let function = Function {
                    region: region.to_string(),
                    arn: configuration.function_arn().unwrap_or_default().to_string(),
                    runtime: configuration.runtime().map(|r| r.as_str().to_string()),
                    last_modified: configuration.last_modified().and_then(parse_last_modified),
                    role: configuration.role().map(str::to_string),
                    reserved_concurrency: concurrency.reserved_concurrent_executions(),
                    policy_principals,
                    url_auth: url.map(|u| match u.auth_type() {
                        FunctionUrlAuthType::AwsIam => UrlAuth::AwsIam,
                        _ => UrlAuth::None,
                    }),
                    name,
                };
                Ok::<_, AwsError>((function, problem))
            }
        })
        .buffer_unordered(concurrency.max(1))
        .try_fold(
            (Vec::new(), Vec::new()),
            |(mut found, mut problems), (function, problem)| {
                found.push(function);
                problems.extend(problem);
                async move { Ok((found, problems)) }
            },
        )
        .await
}

/// Lambda's LastModified is text: `2024-01-02T03:04:05.000+0000` from AWS, RFC 3339 elsewhere.
fn parse_last_modified(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .or_else(|_| DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f%z"))
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_modified_formats() {
        let expected = DateTime::parse_from_rfc3339("2024-01-02T03:04:05Z")
            .map(|t| t.with_timezone(&Utc))
            .ok();
        assert_eq!(
            parse_last_modified("2024-01-02T03:04:05.000+0000"),
            expected
        );
        assert_eq!(
            parse_last_modified("2024-01-02T03:04:05.000000000Z"),
            expected
        );
        assert_eq!(parse_last_modified("yesterday"), None);
    }
}
