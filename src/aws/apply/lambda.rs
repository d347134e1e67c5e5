//! Lambda: evidence, reserved concurrency, deletion, resource-policy statements, URL auth.

use aws_sdk_lambda::types::FunctionUrlAuthType;

use firebreak_core::model::UrlAuth;

use crate::aws::armed::Armed;
use crate::aws::context::AwsContext;
use crate::aws::error::AwsError;
use crate::aws::error::lambda_site;
use crate::aws::planning::{function_exists, function_policy, function_url_auth};
use firebreak_core::model::operation::Operation;

/// Whether the account already holds what `operation` makes it hold, for this service's
/// operations; `None` for another's.
pub(super) async fn in_wanted_state(
    ctx: &AwsContext,
    region: &str,
    operation: &Operation,
) -> Result<Option<bool>, AwsError> {
    Ok(Some(match operation {
        Operation::CaptureFunctionEvidence { directory, .. } => crate::evidence::exists(directory),
        Operation::PutFunctionConcurrency { function, reserved } => {
            crate::aws::lambda::reserved_concurrency(ctx, region, function).await?
                == Some(*reserved)
        }
        Operation::DeleteFunctionConcurrency { function } => {
            crate::aws::lambda::reserved_concurrency(ctx, region, function)
                .await?
                .is_none()
        }
        Operation::DeleteFunction { function, .. } => {
            !function_exists(ctx, region, function).await?
        }
        Operation::RemoveFunctionPermission {
            function,
            statement_id,
            qualifier,
        } => !has_statement(ctx, region, function, qualifier.as_deref(), statement_id).await?,
        Operation::AddFunctionPermission {
            function,
            grant,
            qualifier,
        } => {
            has_statement(
                ctx,
                region,
                function,
                qualifier.as_deref(),
                &grant.statement_id,
            )
            .await?
        }
        Operation::SetFunctionUrlAuth {
            function,
            auth,
            qualifier,
        } => function_url_auth(ctx, region, function, qualifier.as_deref()).await? == Some(*auth),
        _ => return Ok(None),
    }))
}

/// Sends the calls that make `operation`, for this service's operations (`None` for another's):
/// the inverse of the delta sent where it depends on the state just before.
pub(super) async fn send(
    ctx: &AwsContext,
    region: &str,
    operation: &Operation,
    _armed: &Armed,
) -> Result<Option<Option<Operation>>, AwsError> {
    let lambda = || ctx.lambda(region);
    let mut sent_inverse = None;
    match operation {
        Operation::CaptureFunctionEvidence {
            function,
            directory,
        } => {
            let bundle = crate::aws::lambda::evidence(ctx, region, function).await?;
            crate::evidence::save(directory, &bundle).map_err(|e| AwsError {
                code: "EvidenceWriteFailed".to_string(),
                message: format!("{}: {e}", directory.display()),
                ..lambda_site("GetFunction", region).local_error()
            })?;
        }
        Operation::PutFunctionConcurrency { function, reserved } => {
            sent_inverse = Some(
                match crate::aws::lambda::reserved_concurrency(ctx, region, function).await? {
                    Some(previous) => Operation::PutFunctionConcurrency {
                        function: function.clone(),
                        reserved: previous,
                    },
                    None => Operation::DeleteFunctionConcurrency {
                        function: function.clone(),
                    },
                },
            );
            lambda_site("PutFunctionConcurrency", region)
                .run(
                    lambda()
                        .put_function_concurrency()
                        .function_name(function)
                        .reserved_concurrent_executions(*reserved)
                        .send(),
                )
                .await?;
        }
        Operation::DeleteFunctionConcurrency { function } => {
            lambda_site("DeleteFunctionConcurrency", region)
                .run(
                    lambda()
                        .delete_function_concurrency()
                        .function_name(function)
                        .send(),
                )
                .await?;
        }
        Operation::DeleteFunction { function, evidence } => {
            if let Some(directory) = evidence
                && let Err(why) = crate::evidence::code_kept(directory)
            {
                // Deleting would lose the code for good: refused, nothing sent.
                return Err(AwsError {
                    code: "CodeNotSaved".to_string(),
                    message: format!(
                        "{function} was not deleted: {why}; `--delete-without-code` (typed confirmation) deletes it anyway"
                    ),
                    ..lambda_site("DeleteFunction", region).local_error()
                });
            }
            lambda_site("DeleteFunction", region)
                .optional(
                    "ResourceNotFoundException",
                    lambda().delete_function().function_name(function).send(),
                )
                .await?;
        }
        Operation::RemoveFunctionPermission {
            function,
            statement_id,
            qualifier,
        } => {
            lambda_site("RemovePermission", region)
                .run(
                    lambda()
                        .remove_permission()
                        .function_name(function)
                        .statement_id(statement_id)
                        .set_qualifier(qualifier.clone())
                        .send(),
                )
                .await?;
        }
        Operation::AddFunctionPermission {
            function,
            grant,
            qualifier,
        } => {
            let mut request = lambda()
                .add_permission()
                .function_name(function)
                .statement_id(&grant.statement_id)
                .action(&grant.action)
                .principal(&grant.principal)
                .set_source_arn(grant.source_arn.clone())
                .set_source_account(grant.source_account.clone())
                .set_principal_org_id(grant.principal_org_id.clone())
                .set_qualifier(qualifier.clone());
            if let Some(auth) = &grant.function_url_auth_type {
                request = request.function_url_auth_type(FunctionUrlAuthType::from(auth.as_str()));
            }
            lambda_site("AddPermission", region)
                .run(request.send())
                .await?;
        }
        Operation::SetFunctionUrlAuth {
            function,
            auth,
            qualifier,
        } => {
            let auth_type = match auth {
                UrlAuth::None => FunctionUrlAuthType::None,
                UrlAuth::AwsIam => FunctionUrlAuthType::AwsIam,
            };
            lambda_site("UpdateFunctionUrlConfig", region)
                .run(
                    lambda()
                        .update_function_url_config()
                        .function_name(function)
                        .auth_type(auth_type)
                        .set_qualifier(qualifier.clone())
                        .send(),
                )
                .await?;
        }
        _ => return Ok(None),
    }
    Ok(Some(sent_inverse))
}

/// Whether a function's (or alias's) resource policy has statement `sid`.
async fn has_statement(
    ctx: &AwsContext,
    region: &str,
    function: &str,
    qualifier: Option<&str>,
    sid: &str,
) -> Result<bool, AwsError> {
    Ok(function_policy(ctx, region, function, qualifier)
        .await?
        .as_deref()
        .and_then(|p| firebreak_core::policy::function_statements(p).ok())
        .is_some_and(|s| s.iter().any(|s| s.sid == sid)))
}
