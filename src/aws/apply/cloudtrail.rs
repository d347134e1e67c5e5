//! CloudTrail's mutating calls: a trail's logging started (restore-logging) and stopped (its
//! undo).

use crate::aws::armed::Armed;
use crate::aws::context::AwsContext;
use crate::aws::error::{AwsError, CallSite};
use firebreak_core::model::operation::Operation;

fn site<'a>(operation: &'a str, region: &'a str) -> CallSite<'a> {
    CallSite {
        service: "cloudtrail",
        operation,
        region,
    }
}

/// Whether the trail already logs (or not) as `operation` wants; `None` for other operations.
pub(super) async fn in_wanted_state(
    ctx: &AwsContext,
    region: &str,
    operation: &Operation,
) -> Result<Option<bool>, AwsError> {
    let (Operation::StartLogging { trail } | Operation::StopLogging { trail }) = operation else {
        return Ok(None);
    };
    let wanted = matches!(operation, Operation::StartLogging { .. });
    let status = site("GetTrailStatus", region)
        .run(ctx.cloudtrail(region).get_trail_status().name(trail).send())
        .await?;
    Ok(Some(status.is_logging() == Some(wanted)))
}

/// Starts or stops the trail's logging; `None` for other operations.
pub(super) async fn send(
    ctx: &AwsContext,
    region: &str,
    operation: &Operation,
    _armed: &Armed,
) -> Result<Option<Option<Operation>>, AwsError> {
    match operation {
        Operation::StartLogging { trail } => {
            site("StartLogging", region)
                .run(ctx.cloudtrail(region).start_logging().name(trail).send())
                .await?;
        }
        Operation::StopLogging { trail } => {
            site("StopLogging", region)
                .run(ctx.cloudtrail(region).stop_logging().name(trail).send())
                .await?;
        }
        _ => return Ok(None),
    }
    Ok(Some(None))
}
