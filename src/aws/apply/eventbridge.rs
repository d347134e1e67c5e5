//! EventBridge's mutating calls: a rule disabled (disable-rule) and enabled again as it was
//! (its undo), all-management-events state included.

use aws_sdk_eventbridge::operation::describe_rule::DescribeRuleOutput;
use aws_sdk_eventbridge::types::RuleState;

use crate::aws::armed::Armed;
use crate::aws::context::AwsContext;
use crate::aws::error::{AwsError, CallSite};
use firebreak_core::model::operation::Operation;

fn site<'a>(operation: &'a str, region: &'a str) -> CallSite<'a> {
    CallSite {
        service: "events",
        operation,
        region,
    }
}

/// Whether the rule is already in the state `operation` wants; `None` for other operations.
pub(super) async fn in_wanted_state(
    ctx: &AwsContext,
    region: &str,
    operation: &Operation,
) -> Result<Option<bool>, AwsError> {
    let (bus, name, wanted) = match operation {
        Operation::DisableEventRule { bus, name } => (bus, name, RuleState::Disabled),
        Operation::EnableEventRule {
            bus,
            name,
            all_management_events,
        } => (
            bus,
            name,
            if *all_management_events {
                RuleState::EnabledWithAllCloudtrailManagementEvents
            } else {
                RuleState::Enabled
            },
        ),
        _ => return Ok(None),
    };
    let rule = describe_rule(ctx, region, bus, name).await?;
    Ok(Some(rule.state() == Some(&wanted)))
}

/// Disables or enables the rule; a disable returns the enable that puts back the state it had
/// just before. `None` for other operations.
pub(super) async fn send(
    ctx: &AwsContext,
    region: &str,
    operation: &Operation,
    _armed: &Armed,
) -> Result<Option<Option<Operation>>, AwsError> {
    let events = ctx.eventbridge(region);
    match operation {
        Operation::DisableEventRule { bus, name } => {
            // The state it had is what undo puts back: read right before the change.
            let before = describe_rule(ctx, region, bus, name).await?;
            site("DisableRule", region)
                .run(events.disable_rule().name(name).event_bus_name(bus).send())
                .await?;
            Ok(Some(Some(Operation::EnableEventRule {
                bus: bus.clone(),
                name: name.clone(),
                all_management_events: before.state()
                    == Some(&RuleState::EnabledWithAllCloudtrailManagementEvents),
            })))
        }
        Operation::EnableEventRule {
            bus,
            name,
            all_management_events: true,
        } => {
            // Only PutRule sets this state, and PutRule replaces the whole rule: it is sent
            // with everything DescribeRule reads of it, the state put back.
            let rule = describe_rule(ctx, region, bus, name).await?;
            site("PutRule", region)
                .run(
                    events
                        .put_rule()
                        .name(name)
                        .event_bus_name(bus)
                        .set_event_pattern(rule.event_pattern().map(str::to_string))
                        .set_schedule_expression(rule.schedule_expression().map(str::to_string))
                        .set_description(rule.description().map(str::to_string))
                        .set_role_arn(rule.role_arn().map(str::to_string))
                        .state(RuleState::EnabledWithAllCloudtrailManagementEvents)
                        .send(),
                )
                .await?;
            Ok(Some(None))
        }
        Operation::EnableEventRule { bus, name, .. } => {
            site("EnableRule", region)
                .run(events.enable_rule().name(name).event_bus_name(bus).send())
                .await?;
            Ok(Some(None))
        }
        _ => Ok(None),
    }
}

/// An EventBridge rule as DescribeRule reads it.
async fn describe_rule(
    ctx: &AwsContext,
    region: &str,
    bus: &str,
    name: &str,
) -> Result<DescribeRuleOutput, AwsError> {
    site("DescribeRule", region)
        .run(
            ctx.eventbridge(region)
                .describe_rule()
                .name(name)
                .event_bus_name(bus)
                .send(),
        )
        .await
}
