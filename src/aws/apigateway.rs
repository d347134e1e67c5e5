//! API Gateway for one region: its API keys (ids, names, whether enabled; never the values).

use super::context::AwsContext;
use super::error::{AwsError, CallSite};
use super::to_utc;
use firebreak_core::model::ApiKey;

/// The API keys in `region`. Their values are not asked for.
pub async fn api_keys(ctx: &AwsContext, region: &str) -> Result<Vec<ApiKey>, AwsError> {
    let site = CallSite {
        service: "apigateway",
        operation: "GetApiKeys",
        region,
    };
    let keys: Vec<_> = ctx
        .apigateway(region)
        .get_api_keys()
        .include_values(false)
        .limit(500)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| site.error(e))?;
    Ok(keys
        .into_iter()
        .map(|key| ApiKey {
            region: region.to_string(),
            id: key.id().unwrap_or_default().to_string(),
            name: key.name().map(str::to_string),
            enabled: key.enabled(),
            created: key.created_date().map(to_utc),
        })
        .collect())
}
