//! EC2 security groups' mutating calls: world-open ingress revoked (close-ingress) and put back
//! exactly as it was (its undo). Each reads the group's rules first, by rule id.

use aws_sdk_ec2::types::{IpPermission, IpRange, Ipv6Range, PrefixListId};

use crate::aws::armed::Armed;
use crate::aws::context::AwsContext;
use crate::aws::error::{AwsError, ec2_site};
use firebreak_core::model::operation::{IngressRule, Operation};

/// Whether the group already lacks (revoke) or holds (authorize) every rule; `None` for other
/// operations.
pub(super) async fn in_wanted_state(
    ctx: &AwsContext,
    region: &str,
    operation: &Operation,
) -> Result<Option<bool>, AwsError> {
    Ok(Some(match operation {
        Operation::RevokeIngress { group_id, rules } => {
            let present = ingress(ctx, region, group_id).await?;
            !rules.iter().any(|r| holds(&present, r))
        }
        Operation::AuthorizeIngress { group_id, rules } => {
            let present = ingress(ctx, region, group_id).await?;
            rules.iter().all(|r| holds(&present, r))
        }
        _ => return Ok(None),
    }))
}

/// Revokes what is still there, or authorizes what is missing; returns the inverse of exactly
/// that. `None` for other operations.
pub(super) async fn send(
    ctx: &AwsContext,
    region: &str,
    operation: &Operation,
    _armed: &Armed,
) -> Result<Option<Option<Operation>>, AwsError> {
    match operation {
        Operation::RevokeIngress { group_id, rules } => {
            // Only what is still there (revoking a rule that is gone fails the whole call); the
            // inverse puts back exactly that, descriptions included.
            Ok(Some(revoke(ctx, region, group_id, rules).await?))
        }
        Operation::AuthorizeIngress { group_id, rules } => {
            let present = ingress(ctx, region, group_id).await?;
            let missing: Vec<IngressRule> = rules
                .iter()
                .filter(|r| !holds(&present, r))
                .cloned()
                .collect();
            ec2_site("AuthorizeSecurityGroupIngress", region)
                .run(
                    ctx.ec2(region)
                        .authorize_security_group_ingress()
                        .group_id(group_id)
                        .set_ip_permissions(Some(
                            missing.iter().map(|r| permission(r, true)).collect(),
                        ))
                        .send(),
                )
                .await?;
            Ok(Some(Some(Operation::RevokeIngress {
                group_id: group_id.clone(),
                rules: missing,
            })))
        }
        _ => Ok(None),
    }
}

/// Whether `rules` holds `rule`.
fn holds(rules: &[IngressRule], rule: &IngressRule) -> bool {
    rules.iter().any(|r| r.same_as(rule))
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
