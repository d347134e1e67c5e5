//! Lambda inventory for one region: functions, their resource-policy principals, reserved
//! concurrency and function URL auth.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use futures::{StreamExt, stream};

use aws_sdk_lambda::types::{FunctionConfiguration, FunctionUrlAuthType, FunctionVersion};

use super::context::AwsContext;
use super::error::{AwsError, CallSite, kept};
use super::pace::Api;
use firebreak_core::model::finding::ResourceType;
use firebreak_core::model::{AliasExposure, Function, Principals, UrlAuth};
use firebreak_core::policy::parse_principals;

/// Lists every function in `region` with its details; `concurrency` bounds the detail calls.
/// Also returns problems with what was read (a detail call that failed, an unreadable resource
/// policy): those functions are still listed; one deleted since the listing is left out.
pub async fn functions(
    ctx: &AwsContext,
    region: &str,
    concurrency: usize,
) -> Result<(Vec<Function>, Vec<AwsError>), AwsError> {
    let client = ctx.lambda(region);
    // With every version listed, the published versions come with the pages instead of one
    // ListVersionsByFunction per function.
    let listed: Vec<FunctionConfiguration> = client
        .list_functions()
        .function_version(FunctionVersion::All)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| site("ListFunctions", region).error(e))?;
    let mut versions: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut configurations = Vec::new();
    for configuration in listed {
        match configuration.version() {
            Some(version) if version != "$LATEST" => versions
                .entry(
                    configuration
                        .function_name()
                        .unwrap_or_default()
                        .to_string(),
                )
                .or_default()
                .push(version.to_string()),
            _ => configurations.push(configuration),
        }
    }
    let read = stream::iter(configurations)
        .map(|configuration| {
            let client = &client;
            let versions = &versions;
            async move {
                let name = configuration
                    .function_name()
                    .unwrap_or_default()
                    .to_string();
                // One GetPolicy and three control-plane reads follow (concurrency, URL, aliases).
                ctx.pace(Api::LambdaGetPolicy, region).await;
                for _ in 0..3 {
                    ctx.pace(Api::LambdaControl, region).await;
                }
                let policy = policy_document(client, region, &name, None);
                let concurrency = site("GetFunctionConcurrency", region).run(
                    client
                        .get_function_concurrency()
                        .function_name(&name)
                        .send(),
                );
                let url = url_auth(client, region, &name, None);
                let published = versions.get(&name).cloned().unwrap_or_default();
                let aliases = aliases(ctx, client, region, &name, published);
                let (policy, concurrency, url, aliases) =
                    tokio::join!(policy, concurrency, url, aliases);
                let (aliases, mut problems) = aliases;
                let gone = |e: &AwsError| e.code == "ResourceNotFoundException";
                if concurrency.as_ref().is_err_and(gone) {
                    return None;
                }
                let policy = kept(policy, &mut problems).flatten();
                let concurrency = kept(concurrency, &mut problems);
                let url_auth = kept(url, &mut problems).flatten();
                let policy_principals =
                    principals_or_problem(policy.as_deref(), &name, region, &mut problems);
                let function = Function {
                    region: region.to_string(),
                    arn: configuration.function_arn().unwrap_or_default().to_string(),
                    runtime: configuration.runtime().map(|r| r.as_str().to_string()),
                    last_modified: configuration.last_modified().and_then(parse_last_modified),
                    role: configuration.role().map(str::to_string),
                    reserved_concurrency: concurrency
                        .and_then(|c| c.reserved_concurrent_executions()),
                    policy_principals,
                    url_auth,
                    aliases,
                    name,
                };
                Some((function, problems))
            }
        })
        .buffer_unordered(concurrency.max(1))
        .collect::<Vec<Option<_>>>()
        .await;
    let mut found = Vec::new();
    let mut problems = Vec::new();
    for (function, more) in read.into_iter().flatten() {
        problems.extend(
            more.into_iter()
                .map(|p| p.about(ResourceType::Function, &function.name)),
        );
        found.push(function);
    }
    Ok((found, problems))
}

fn site<'a>(operation: &'a str, region: &'a str) -> CallSite<'a> {
    CallSite {
        service: "lambda",
        operation,
        region,
    }
}

/// The resource policy of `function` (or of one alias or version: `qualifier`); `None` when
/// it has none.
pub(crate) async fn policy_document(
    client: &aws_sdk_lambda::Client,
    region: &str,
    function: &str,
    qualifier: Option<&str>,
) -> Result<Option<String>, AwsError> {
    let out = site("GetPolicy", region)
        .optional(
            "ResourceNotFoundException",
            client
                .get_policy()
                .function_name(function)
                .set_qualifier(qualifier.map(str::to_string))
                .send(),
        )
        .await?;
    Ok(out.and_then(|p| p.policy().map(str::to_string)))
}

/// The auth type of the URL of `function` (or of `qualifier`); `None` when it has no URL.
pub(crate) async fn url_auth(
    client: &aws_sdk_lambda::Client,
    region: &str,
    function: &str,
    qualifier: Option<&str>,
) -> Result<Option<UrlAuth>, AwsError> {
    let out = site("GetFunctionUrlConfig", region)
        .optional(
            "ResourceNotFoundException",
            client
                .get_function_url_config()
                .function_name(function)
                .set_qualifier(qualifier.map(str::to_string))
                .send(),
        )
        .await?;
    Ok(out.map(|u| match u.auth_type() {
        FunctionUrlAuthType::AwsIam => UrlAuth::AwsIam,
        _ => UrlAuth::None,
    }))
}

/// The names of the aliases of `function`.
async fn alias_names(
    client: &aws_sdk_lambda::Client,
    region: &str,
    function: &str,
) -> Result<Vec<String>, AwsError> {
    let aliases: Vec<_> = client
        .list_aliases()
        .function_name(function)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| site("ListAliases", region).error(e))?;
    Ok(aliases
        .iter()
        .filter_map(|a| a.name().map(str::to_string))
        .collect())
}

/// The aliases and published versions of `function` (`$LATEST` is the function itself).
pub(crate) async fn qualifiers(
    client: &aws_sdk_lambda::Client,
    region: &str,
    function: &str,
) -> Result<Vec<String>, AwsError> {
    let aliases = alias_names(client, region, function).await?;
    let versions: Vec<_> = client
        .list_versions_by_function()
        .function_name(function)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| site("ListVersionsByFunction", region).error(e))?;
    Ok(aliases
        .into_iter()
        .chain(
            versions
                .iter()
                .filter_map(|v| v.version().map(str::to_string)),
        )
        .filter(|q| q != "$LATEST")
        .collect())
}

/// Who a resource policy lets in; an unreadable one is a problem (about `subject`) and `None`.
fn principals_or_problem(
    document: Option<&str>,
    subject: &str,
    region: &str,
    problems: &mut Vec<AwsError>,
) -> Option<Principals> {
    match parse_principals(document?) {
        Ok(principals) => Some(principals),
        Err(e) => {
            problems.push(AwsError {
                code: "UnreadablePolicy".to_string(),
                message: format!("function {subject}: {e}"),
                ..site("GetPolicy", region).local_error()
            });
            None
        }
    }
}

/// The aliases and `published` versions of `function` that have a resource policy or a URL of
/// their own (a function can look private while an alias is public), and what could not be
/// read.
async fn aliases(
    ctx: &AwsContext,
    client: &aws_sdk_lambda::Client,
    region: &str,
    function: &str,
    published: Vec<String>,
) -> (Vec<AliasExposure>, Vec<AwsError>) {
    let mut problems = Vec::new();
    let aliases = kept(alias_names(client, region, function).await, &mut problems);
    let mut exposed = Vec::new();
    for name in aliases.into_iter().flatten().chain(published) {
        ctx.pace(Api::LambdaGetPolicy, region).await;
        ctx.pace(Api::LambdaControl, region).await;
        let (policy, url) = tokio::join!(
            policy_document(client, region, function, Some(&name)),
            url_auth(client, region, function, Some(&name)),
        );
        let policy = kept(policy, &mut problems).flatten();
        let url_auth = kept(url, &mut problems).flatten();
        if policy.is_none() && url_auth.is_none() {
            continue;
        }
        let subject = format!("{function}:{name}");
        exposed.push(AliasExposure {
            policy_principals: principals_or_problem(
                policy.as_deref(),
                &subject,
                region,
                &mut problems,
            ),
            url_auth,
            name,
        });
    }
    (exposed, problems)
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

/// A function's reserved concurrency (`None` when unreserved), read before planning.
pub async fn reserved_concurrency(
    ctx: &AwsContext,
    region: &str,
    name: &str,
) -> Result<Option<i32>, AwsError> {
    ctx.pace(Api::LambdaControl, region).await;
    let out = site("GetFunctionConcurrency", region)
        .run(
            ctx.lambda(region)
                .get_function_concurrency()
                .function_name(name)
                .send(),
        )
        .await?;
    Ok(out.reserved_concurrent_executions())
}

/// What is kept of a function's configuration as evidence. Environment variable values can
/// hold secrets and are never written: only their names.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ConfigurationEvidence {
    pub name: String,
    pub arn: Option<String>,
    pub runtime: Option<String>,
    pub role: Option<String>,
    pub handler: Option<String>,
    pub code_size: i64,
    pub code_sha256: Option<String>,
    pub last_modified: Option<String>,
    pub memory_size: Option<i32>,
    pub timeout: Option<i32>,
    pub environment_variable_names: Vec<String>,
    pub layers: Vec<String>,
    pub reserved_concurrency: Option<i32>,
    pub code_repository_type: Option<String>,
}

/// Reads a function's configuration, resource policy, tags and (when its location can be
/// downloaded) code package: the evidence to keep before containing it. A failed download is
/// part of the bundle, not an error.
pub async fn evidence(
    ctx: &AwsContext,
    region: &str,
    name: &str,
) -> Result<crate::evidence::Bundle, AwsError> {
    let client = ctx.lambda(region);
    ctx.pace(Api::LambdaGetFunction, region).await;
    let function = site("GetFunction", region)
        .run(client.get_function().function_name(name).send())
        .await?;
    let policy = policy_document(&client, region, name, None).await?;
    let configuration = function.configuration();
    let arn = configuration
        .and_then(|c| c.function_arn())
        .map(str::to_string);
    let tags = match &arn {
        Some(arn) => site("ListTags", region)
            .run(client.list_tags().resource(arn).send())
            .await?
            .tags()
            .cloned()
            .unwrap_or_default(),
        None => Default::default(),
    };
    let described = ConfigurationEvidence {
        name: name.to_string(),
        arn,
        runtime: configuration
            .and_then(|c| c.runtime())
            .map(|r| r.as_str().to_string()),
        role: configuration.and_then(|c| c.role()).map(str::to_string),
        handler: configuration.and_then(|c| c.handler()).map(str::to_string),
        code_size: configuration.map_or(0, |c| c.code_size()),
        code_sha256: configuration
            .and_then(|c| c.code_sha256())
            .map(str::to_string),
        last_modified: configuration
            .and_then(|c| c.last_modified())
            .map(str::to_string),
        memory_size: configuration.and_then(|c| c.memory_size()),
        timeout: configuration.and_then(|c| c.timeout()),
        environment_variable_names: configuration
            .and_then(|c| c.environment())
            .and_then(|e| e.variables())
            .map(|v| {
                let mut names: Vec<String> = v.keys().cloned().collect();
                names.sort();
                names
            })
            .unwrap_or_default(),
        layers: configuration
            .map(|c| {
                c.layers()
                    .iter()
                    .filter_map(|l| l.arn().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        reserved_concurrency: function
            .concurrency()
            .and_then(|c| c.reserved_concurrent_executions()),
        code_repository_type: function
            .code()
            .and_then(|c| c.repository_type())
            .map(str::to_string),
    };
    let mut bundle = crate::evidence::Bundle::new(name, region);
    bundle.add_json("configuration.json", &described);
    bundle.add_json("tags.json", &tags);
    if let Some(document) = &policy {
        bundle.add("policy.json", document.as_bytes().to_vec());
    }
    let code = function.code();
    // The location is presigned, a credential: it is used here and never kept.
    match (
        code.and_then(|c| c.image_uri()),
        code.and_then(|c| c.location()),
    ) {
        (Some(image), _) => bundle.image_recorded(
            image.to_string(),
            code.and_then(|c| c.resolved_image_uri())
                .map(str::to_string),
        ),
        (None, Some(url)) => match super::download::get(url).await {
            Ok(bytes) => bundle.add("code.zip", bytes),
            Err(problem) => bundle.download_failed(problem),
        },
        (None, None) => {
            bundle.download_failed("the function has no downloadable code location".into())
        }
    }
    Ok(bundle)
}
