//! The reads and calls behind the countermeasure playbooks: CloudTrail logging, GuardDuty
//! detectors, security-group ingress, EventBridge rules, instance-profile associations and API
//! Gateway keys. `apply::apply` reaches these through [`in_wanted_state`] and [`send`].

use aws_sdk_apigateway::types::{Op, PatchOperation};
use aws_sdk_ec2::types::{
    IamInstanceProfileSpecification, IpPermission, IpRange, Ipv6Range, PrefixListId,
};
use aws_sdk_eventbridge::types::RuleState;
use aws_sdk_guardduty::types::DetectorStatus;

use crate::aws::armed::Armed;
use crate::aws::context::AwsContext;
use crate::aws::error::ec2_site;
use crate::aws::error::{AwsError, CallSite};
use crate::model::operation::{IngressRule, Operation};

fn site<'a>(service: &'a str, operation: &'a str, region: &'a str) -> CallSite<'a> {
    CallSite {
        service,
        operation,
        region,
    }
}

/// Whether the account already holds what a countermeasure `operation` makes it hold; `None`
/// for the operations of other playbooks.
pub(super) async fn in_wanted_state(
    ctx: &AwsContext,
    region: &str,
    operation: &Operation,
) -> Option<Result<bool, AwsError>> {
    Some(match operation {
        Operation::StartLogging { trail } | Operation::StopLogging { trail } => {
            let wanted = matches!(operation, Operation::StartLogging { .. });
            site("cloudtrail", "GetTrailStatus", region)
                .run(ctx.cloudtrail(region).get_trail_status().name(trail).send())
                .await
                .map(|status| status.is_logging() == Some(wanted))
        }
        Operation::EnableDetector { detector_id } | Operation::DisableDetector { detector_id } => {
            let wanted = matches!(operation, Operation::EnableDetector { .. });
            site("guardduty", "GetDetector", region)
                .run(
                    ctx.guardduty(region)
                        .get_detector()
                        .detector_id(detector_id)
                        .send(),
                )
                .await
                .map(|d| (d.status() == Some(&DetectorStatus::Enabled)) == wanted)
        }
        Operation::CreateDetector => any_enabled_detector(ctx, region).await,
        Operation::RevokeIngress { group_id, rules } => ingress(ctx, region, group_id)
            .await
            .map(|present| !rules.iter().any(|r| holds(&present, r))),
        Operation::AuthorizeIngress { group_id, rules } => ingress(ctx, region, group_id)
            .await
            .map(|present| rules.iter().all(|r| holds(&present, r))),
        Operation::DisableEventRule { bus, name }
        | Operation::EnableEventRule { bus, name, .. } => {
            let wanted = match operation {
                Operation::EnableEventRule {
                    all_management_events: true,
                    ..
                } => RuleState::EnabledWithAllCloudtrailManagementEvents,
                Operation::EnableEventRule { .. } => RuleState::Enabled,
                _ => RuleState::Disabled,
            };
            describe_rule(ctx, region, bus, name)
                .await
                .map(|rule| rule.state() == Some(&wanted))
        }
        Operation::DisassociateProfile {
            instance_id,
            profile_arn,
            ..
        } => association(ctx, region, instance_id)
            .await
            .map(|found| found.is_none_or(|(_, arn)| arn != *profile_arn)),
        Operation::AssociateProfile {
            instance_id,
            profile_arn,
        } => association(ctx, region, instance_id)
            .await
            .map(|found| found.is_some_and(|(_, arn)| arn == *profile_arn)),
        Operation::DisableApiKey { key_id } | Operation::EnableApiKey { key_id } => {
            let wanted = matches!(operation, Operation::EnableApiKey { .. });
            site("apigateway", "GetApiKey", region)
                .run(
                    ctx.apigateway(region)
                        .get_api_key()
                        .api_key(key_id)
                        .include_value(false)
                        .send(),
                )
                .await
                .map(|key| key.enabled() == wanted)
        }
        _ => return None,
    })
}

/// An EventBridge rule as DescribeRule reads it.
async fn describe_rule(
    ctx: &AwsContext,
    region: &str,
    bus: &str,
    name: &str,
) -> Result<aws_sdk_eventbridge::operation::describe_rule::DescribeRuleOutput, AwsError> {
    site("events", "DescribeRule", region)
        .run(
            ctx.eventbridge(region)
                .describe_rule()
                .name(name)
                .event_bus_name(bus)
                .send(),
        )
        .await
}

/// Whether `rules` holds `rule`.
fn holds(rules: &[IngressRule], rule: &IngressRule) -> bool {
    rules.iter().any(|r| r.same_as(rule))
}

/// Sends a countermeasure `operation` (its state was read first and is not as wanted; only the
/// engine's `Armed` token reaches here), and
/// returns the inverse of what was sent where that depends on the state just before (the
/// ingress rules still there, or still missing); `None` for the operations of other playbooks.
pub(super) async fn send(
    ctx: &AwsContext,
    region: &str,
    operation: &Operation,
    _armed: &Armed,
) -> Option<Result<Option<Operation>, AwsError>> {
    let sent = |result: Result<(), AwsError>| Some(result.map(|()| None));
    sent(match operation {
        Operation::StartLogging { trail } => site("cloudtrail", "StartLogging", region)
            .run(ctx.cloudtrail(region).start_logging().name(trail).send())
            .await
            .map(drop),
        Operation::StopLogging { trail } => site("cloudtrail", "StopLogging", region)
            .run(ctx.cloudtrail(region).stop_logging().name(trail).send())
            .await
            .map(drop),
        Operation::EnableDetector { detector_id } | Operation::DisableDetector { detector_id } => {
            site("guardduty", "UpdateDetector", region)
                .run(
                    ctx.guardduty(region)
                        .update_detector()
                        .detector_id(detector_id)
                        .enable(matches!(operation, Operation::EnableDetector { .. }))
                        .send(),
                )
                .await
                .map(drop)
        }
        Operation::CreateDetector => site("guardduty", "CreateDetector", region)
            .run(ctx.guardduty(region).create_detector().enable(true).send())
            .await
            .map(drop),
        Operation::RevokeIngress { group_id, rules } => {
            // Only what is still there (revoking a rule that is gone fails the whole call); the
            // inverse puts back exactly that, descriptions included.
            return Some(revoke(ctx, region, group_id, rules).await);
        }
        Operation::AuthorizeIngress { group_id, rules } => {
            let present = match ingress(ctx, region, group_id).await {
                Ok(present) => present,
                Err(error) => return Some(Err(error)),
            };
            let missing: Vec<IngressRule> = rules
                .iter()
                .filter(|r| !holds(&present, r))
                .cloned()
                .collect();
            let authorized = ec2_site("AuthorizeSecurityGroupIngress", region)
                .run(
                    ctx.ec2(region)
                        .authorize_security_group_ingress()
                        .group_id(group_id)
                        .set_ip_permissions(Some(
                            missing.iter().map(|r| permission(r, true)).collect(),
                        ))
                        .send(),
                )
                .await;
            return Some(authorized.map(|_| {
                Some(Operation::RevokeIngress {
                    group_id: group_id.clone(),
                    rules: missing,
                })
            }));
        }
        Operation::DisableEventRule { bus, name } => {
            // The state it had is what undo puts back: read right before the change.
            let before = match describe_rule(ctx, region, bus, name).await {
                Ok(rule) => rule,
                Err(error) => return Some(Err(error)),
            };
            let disabled = site("events", "DisableRule", region)
                .run(
                    ctx.eventbridge(region)
                        .disable_rule()
                        .name(name)
                        .event_bus_name(bus)
                        .send(),
                )
                .await;
            return Some(disabled.map(|_| {
                Some(Operation::EnableEventRule {
                    bus: bus.clone(),
                    name: name.clone(),
                    all_management_events: before.state()
                        == Some(&RuleState::EnabledWithAllCloudtrailManagementEvents),
                })
            }));
        }
        Operation::EnableEventRule {
            bus,
            name,
            all_management_events: true,
        } => {
            // Only PutRule sets this state, and PutRule replaces the whole rule: it is sent
            // with everything DescribeRule reads of it, the state put back.
            let rule = match describe_rule(ctx, region, bus, name).await {
                Ok(rule) => rule,
                Err(error) => return Some(Err(error)),
            };
            site("events", "PutRule", region)
                .run(
                    ctx.eventbridge(region)
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
                .await
                .map(drop)
        }
        Operation::EnableEventRule { bus, name, .. } => site("events", "EnableRule", region)
            .run(
                ctx.eventbridge(region)
                    .enable_rule()
                    .name(name)
                    .event_bus_name(bus)
                    .send(),
            )
            .await
            .map(drop),
        Operation::DisassociateProfile {
            instance_id,
            profile_arn,
            ..
        } => {
            // The association id is read now: it is the one to remove, whatever the scan saw.
            let id = match association(ctx, region, instance_id).await {
                Ok(Some((id, arn))) if arn == *profile_arn => id,
                Ok(_) => return Some(Ok(None)),
                Err(error) => return Some(Err(error)),
            };
            ec2_site("DisassociateIamInstanceProfile", region)
                .run(
                    ctx.ec2(region)
                        .disassociate_iam_instance_profile()
                        .association_id(id)
                        .send(),
                )
                .await
                .map(drop)
        }
        Operation::AssociateProfile {
            instance_id,
            profile_arn,
        } => ec2_site("AssociateIamInstanceProfile", region)
            .run(
                ctx.ec2(region)
                    .associate_iam_instance_profile()
                    .instance_id(instance_id)
                    .iam_instance_profile(
                        IamInstanceProfileSpecification::builder()
                            .arn(profile_arn)
                            .build(),
                    )
                    .send(),
            )
            .await
            .map(drop),
        Operation::DisableApiKey { key_id } | Operation::EnableApiKey { key_id } => {
            let enabled = matches!(operation, Operation::EnableApiKey { .. });
            site("apigateway", "UpdateApiKey", region)
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
                .await
                .map(drop)
        }
        _ => return None,
    })
}

/// The GuardDuty detector ids in `region`.
async fn detector_ids(ctx: &AwsContext, region: &str) -> Result<Vec<String>, AwsError> {
    ctx.guardduty(region)
        .list_detectors()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| site("guardduty", "ListDetectors", region).error(e))
}

/// Revokes those of `rules` that `group_id` still has; returns the authorisation that puts
/// them back. A rule AWS does not recognise is an error, never a silent success.
async fn revoke(
    ctx: &AwsContext,
    region: &str,
    group_id: &str,
    rules: &[IngressRule],
) -> Result<Option<Operation>, AwsError> {
    let present = ingress(ctx, region, group_id).await?;
    // The rules as they are now: their descriptions are what re-authorising restores.
    let left: Vec<IngressRule> = present
        .into_iter()
        .filter(|r| rules.iter().any(|wanted| wanted.same_as(r)))
        .collect();
    let site = ec2_site("RevokeSecurityGroupIngress", region);
    // By rule id, which names a rule whatever its source (a prefix list, a range): the ids
    // just read, so a rule re-created since the scan is the one revoked.
    let revoke = ctx
        .ec2(region)
        .revoke_security_group_ingress()
        .group_id(group_id);
    let ids: Option<Vec<String>> = left.iter().map(|r| r.rule_id.clone()).collect();
    let revoke = match ids {
        Some(ids) => revoke.set_security_group_rule_ids(Some(ids)),
        None => {
            revoke.set_ip_permissions(Some(left.iter().map(|r| permission(r, false)).collect()))
        }
    };
    let answer = site.run(revoke.send()).await?;
    if answer.r#return() == Some(false) || !answer.unknown_ip_permissions().is_empty() {
        return Err(AwsError {
            code: "UnknownIpPermissions".into(),
            message: format!(
                "AWS did not recognise {} of the rules to revoke",
                answer.unknown_ip_permissions().len().max(1)
            ),
            ..site.local_error()
        });
    }
    Ok(Some(Operation::AuthorizeIngress {
        group_id: group_id.to_string(),
        rules: left,
    }))
}

/// Whether `region` has an enabled GuardDuty detector (a disabled one does not detect).
async fn any_enabled_detector(ctx: &AwsContext, region: &str) -> Result<bool, AwsError> {
    let client = ctx.guardduty(region);
    for id in detector_ids(ctx, region).await? {
        let detector = site("guardduty", "GetDetector", region)
            .run(client.get_detector().detector_id(&id).send())
            .await?;
        if detector.status() == Some(&DetectorStatus::Enabled) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The ingress rules of `group_id` now (from a range or a prefix list), with their ids.
async fn ingress(
    ctx: &AwsContext,
    region: &str,
    group_id: &str,
) -> Result<Vec<IngressRule>, AwsError> {
    let rules: Vec<_> = ctx
        .ec2(region)
        .describe_security_group_rules()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("group-id")
                .values(group_id)
                .build(),
        )
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| ec2_site("DescribeSecurityGroupRules", region).error(e))?;
    Ok(rules
        .iter()
        .filter(|r| r.is_egress() != Some(true))
        .filter_map(|r| {
            let source = r.cidr_ipv4().or(r.cidr_ipv6()).or(r.prefix_list_id())?;
            Some(IngressRule {
                protocol: r.ip_protocol().unwrap_or("-1").to_string(),
                from_port: r.from_port().filter(|_| r.ip_protocol() != Some("-1")),
                to_port: r.to_port().filter(|_| r.ip_protocol() != Some("-1")),
                cidr: source.to_string(),
                description: r.description().map(str::to_string),
                rule_id: r.security_group_rule_id().map(str::to_string),
            })
        })
        .collect())
}

/// The instance's profile association in force (id, profile ARN), if any.
async fn association(
    ctx: &AwsContext,
    region: &str,
    instance_id: &str,
) -> Result<Option<(String, String)>, AwsError> {
    let found: Vec<_> = ctx
        .ec2(region)
        .describe_iam_instance_profile_associations()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("instance-id")
                .values(instance_id)
                .build(),
        )
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| ec2_site("DescribeIamInstanceProfileAssociations", region).error(e))?;
    Ok(found
        .iter()
        .filter(|a| {
            a.instance_id() == Some(instance_id)
                && a.state()
                    .is_some_and(|s| matches!(s.as_str(), "associating" | "associated"))
        })
        .find_map(|a| {
            Some((
                a.association_id()?.to_string(),
                a.iam_instance_profile()?.arn()?.to_string(),
            ))
        }))
}

/// The EC2 permission that grants (or, revoked, removes) exactly `rule`, with its description
/// when granting.
fn permission(rule: &IngressRule, with_description: bool) -> IpPermission {
    let description = rule.description.clone().filter(|_| with_description);
    let builder = IpPermission::builder()
        .ip_protocol(&rule.protocol)
        .set_from_port(rule.from_port)
        .set_to_port(rule.to_port);
    if rule.cidr.starts_with("pl-") {
        builder
            .prefix_list_ids(
                PrefixListId::builder()
                    .prefix_list_id(&rule.cidr)
                    .set_description(description)
                    .build(),
            )
            .build()
    } else if rule.cidr.contains(':') {
        builder
            .ipv6_ranges(
                Ipv6Range::builder()
                    .cidr_ipv6(&rule.cidr)
                    .set_description(description)
                    .build(),
            )
            .build()
    } else {
        builder
            .ip_ranges(
                IpRange::builder()
                    .cidr_ip(&rule.cidr)
                    .set_description(description)
                    .build(),
            )
            .build()
    }
}
