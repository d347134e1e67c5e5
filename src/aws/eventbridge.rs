//! EventBridge for one region: the rules on every event bus, and where each sends events.

use futures::{StreamExt, stream};

use aws_sdk_eventbridge::types::RuleState;

use super::context::AwsContext;
use super::error::{AwsError, CallSite, keep};
use firebreak_core::model::EventRule;
use firebreak_core::model::finding::ResourceType;

/// The rules of every bus in `region`, each with its targets read (a failed target read keeps
/// the rule, its targets unknown, reported as a problem). EventBridge's list calls have no SDK
/// paginator: pages are followed by their `NextToken`.
pub async fn rules(
    ctx: &AwsContext,
    region: &str,
    concurrency: usize,
) -> Result<(Vec<EventRule>, Vec<AwsError>), AwsError> {
    let client = ctx.eventbridge(region);
    let site = |operation| CallSite {
        service: "events",
        operation,
        region,
    };
    let mut buses = Vec::new();
    let mut token = None;
    loop {
        let page = client
            .list_event_buses()
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| site("ListEventBuses").error(e))?;
        buses.extend(
            page.event_buses()
                .iter()
                .filter_map(|b| b.name())
                .map(str::to_string),
        );
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    let mut listed = Vec::new();
    for bus in buses {
        let mut token = None;
        loop {
            let page = client
                .list_rules()
                .event_bus_name(&bus)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| site("ListRules").error(e))?;
            listed.extend(page.rules().iter().map(|rule| EventRule {
                region: region.to_string(),
                bus: rule.event_bus_name().unwrap_or(&bus).to_string(),
                name: rule.name().unwrap_or_default().to_string(),
                arn: rule.arn().unwrap_or_default().to_string(),
                enabled: rule.state() != Some(&RuleState::Disabled),
                all_management_events: rule.state()
                    == Some(&RuleState::EnabledWithAllCloudtrailManagementEvents),
                schedule: rule.schedule_expression().map(str::to_string),
                targets: None,
                managed_by: rule.managed_by().map(str::to_string),
            }));
            token = page.next_token().map(str::to_string);
            if token.is_none() {
                break;
            }
        }
    }
    let read: Vec<(EventRule, Option<AwsError>)> = stream::iter(listed)
        .map(|mut rule| {
            let client = &client;
            async move {
                let mut targets = Vec::new();
                let mut token = None;
                loop {
                    match client
                        .list_targets_by_rule()
                        .rule(&rule.name)
                        .event_bus_name(&rule.bus)
                        .set_next_token(token)
                        .send()
                        .await
                    {
                        Ok(page) => {
                            targets.extend(page.targets().iter().map(|t| t.arn().to_string()));
                            token = page.next_token().map(str::to_string);
                            if token.is_none() {
                                rule.targets = Some(targets);
                                return (rule, None);
                            }
                        }
                        Err(e) => {
                            let id = rule.id();
                            let error = site("ListTargetsByRule")
                                .error(e)
                                .about(ResourceType::EventRule, &id);
                            return (rule, Some(error));
                        }
                    }
                }
            }
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    Ok(read.into_iter().fold((Vec::new(), Vec::new()), keep))
}
