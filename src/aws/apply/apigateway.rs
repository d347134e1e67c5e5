//! API Gateway's mutating calls: an API key disabled (disable-api-key) and enabled (its undo).

use aws_sdk_apigateway::types::{Op, PatchOperation};

use crate::aws::armed::Armed;
use crate::aws::context::AwsContext;
use crate::aws::error::{AwsError, CallSite};
use firebreak_core::model::operation::Operation;

fn site<'a>(operation: &'a str, region: &'a str) -> CallSite<'a> {
    CallSite {
        service: "apigateway",
        operation,
        region,
    }
}

/// The key of an API-key operation and whether it enables; `None` for other operations.
fn key_change(operation: &Operation) -> Option<(&str, bool)> {
    match operation {
        Operation::DisableApiKey { key_id } => Some((key_id, false)),
        Operation::EnableApiKey { key_id } => Some((key_id, true)),
        _ => None,
    }
}

/// Whether the key is already enabled (or not) as `operation` wants; `None` for other
/// operations.
pub(super) async fn in_wanted_state(
    ctx: &AwsContext,
    region: &str,
    operation: &Operation,
) -> Result<Option<bool>, AwsError> {
    let Some((key_id, wanted)) = key_change(operation) else {
        return Ok(None);
    };
    let key = site("GetApiKey", region)
        .run(
            ctx.apigateway(region)
                .get_api_key()
                .api_key(key_id)
                .include_value(false)
                .send(),
        )
        .await?;
    Ok(Some(key.enabled() == wanted))
}

/// Enables or disables the key; `None` for other operations.
pub(super) async fn send(
    ctx: &AwsContext,
    region: &str,
    operation: &Operation,
    _armed: &Armed,
) -> Result<Option<Option<Operation>>, AwsError> {
    let Some((key_id, enabled)) = key_change(operation) else {
        return Ok(None);
    };
    site("UpdateApiKey", region)
        .run(
            ctx.apigateway(region)
                .update_api_key()
                .api_key(key_id)
                .patch_operations(
                    PatchOperation::builder()
                        .op(Op::Replace)
                        .path("/enabled")
                        .value(enabled.to_string())
                        .build(),
                )
                .send(),
        )
        .await?;
    Ok(Some(None))
}
