//! EC2 inventory for one region: owned EBS snapshots and AMIs with their sharing confirmed from
//! the permission attributes (server-side "public" filters are only hints), instances, the
//! ingress rules open to the world and the instance-profile associations.

use futures::{StreamExt, stream};

use aws_sdk_ec2::types::Filter;

use super::context::AwsContext;
use super::error::ec2_site;
use super::error::{AwsError, CallSite, keep};
use super::pace::Api;
use super::planning::{image_sharing_with, snapshot_sharing_with};
use super::to_utc;
use firebreak_core::model::finding::ResourceType;
use firebreak_core::model::reach::{Admission, world_open};
use firebreak_core::model::{Image, Instance, OpenIngress, ProfileAssociation, Snapshot};

/// Items asked for per page of an EC2 listing (the most AWS returns).
const PAGE_SIZE: i32 = 1000;

/// Lists the snapshots `owner` owns in `region` and reads who each is shared with. A sharing
/// read that fails keeps the snapshot (its sharing unknown, reported as a problem); a snapshot
/// deleted since the listing is left out.
pub async fn snapshots(
    ctx: &AwsContext,
    region: &str,
    owner: &str,
    concurrency: usize,
) -> Result<(Vec<Snapshot>, Vec<AwsError>), AwsError> {
    let client = ctx.ec2(region);
    let site = |operation| CallSite {
        service: "ec2",
        operation,
        region,
    };
    // OwnerIds=self is what AWS documents; the owner-id filter is the same question in the form
    // every emulator answers (moto ignores OwnerIds). Pages of 1000, the most AWS returns: an
    // unpaginated listing of a large account throttles and times out.
    let listed: Vec<_> = client
        .describe_snapshots()
        .owner_ids("self")
        .filters(Filter::builder().name("owner-id").values(owner).build())
        .max_results(PAGE_SIZE)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| site("DescribeSnapshots").error(e))?;
    let read: Vec<Option<_>> = stream::iter(listed)
        .map(|snapshot| {
            let client = &client;
            async move {
                let id = snapshot.snapshot_id().unwrap_or_default().to_string();
                ctx.pace(Api::Ec2Describe, region).await;
                let (sharing, problem) = match snapshot_sharing_with(client, region, &id).await {
                    Ok(sharing) => (sharing, None),
                    Err(error) if error.code == "InvalidSnapshot.NotFound" => return None,
                    Err(error) => (
                        Default::default(),
                        Some(error.about(ResourceType::Snapshot, &id)),
                    ),
                };
                Some((
                    Snapshot {
                        region: region.to_string(),
                        volume_id: snapshot.volume_id().map(str::to_string),
                        size_gib: snapshot.volume_size(),
                        encrypted: snapshot.encrypted().unwrap_or(false),
                        started: snapshot.start_time().map(to_utc),
                        sharing,
                        id,
                    },
                    problem,
                ))
            }
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    Ok(read
        .into_iter()
        .flatten()
        .fold((Vec::new(), Vec::new()), keep))
}

/// Lists the AMIs the account owns in `region` and reads who each is shared with (a failed
/// read keeps the image, reported as a problem; one deregistered since is left out).
pub async fn images(
    ctx: &AwsContext,
    region: &str,
    concurrency: usize,
) -> Result<(Vec<Image>, Vec<AwsError>), AwsError> {
    let client = ctx.ec2(region);
    let site = |operation| CallSite {
        service: "ec2",
        operation,
        region,
    };
    let listed: Vec<_> = client
        .describe_images()
        .owners("self")
        .max_results(PAGE_SIZE)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| site("DescribeImages").error(e))?;
    let read: Vec<Option<_>> = stream::iter(listed)
        .map(|image| {
            let client = &client;
            async move {
                let id = image.image_id().unwrap_or_default().to_string();
                ctx.pace(Api::Ec2Describe, region).await;
                let (sharing, problem) = match image_sharing_with(client, region, &id).await {
                    Ok(sharing) => (sharing, None),
                    Err(error) if error.code.starts_with("InvalidAMIID.") => return None,
                    Err(error) => (
                        Default::default(),
                        Some(error.about(ResourceType::Image, &id)),
                    ),
                };
                Some((
                    Image {
                        region: region.to_string(),
                        name: image.name().map(str::to_string),
                        created: image
                            .creation_date()
                            .and_then(|d| chrono::DateTime::parse_from_rfc3339(d).ok())
                            .map(|d| d.with_timezone(&chrono::Utc)),
                        sharing,
                        id,
                    },
                    problem,
                ))
            }
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    Ok(read
        .into_iter()
        .flatten()
        .fold((Vec::new(), Vec::new()), keep))
}

/// Lists every instance in `region`.
pub async fn instances(ctx: &AwsContext, region: &str) -> Result<Vec<Instance>, AwsError> {
    let site = CallSite {
        service: "ec2",
        operation: "DescribeInstances",
        region,
    };
    let reservations: Vec<_> = ctx
        .ec2(region)
        .describe_instances()
        .max_results(PAGE_SIZE)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| site.error(e))?;
    Ok(reservations
        .iter()
        .flat_map(|reservation| reservation.instances())
        .map(|instance| Instance {
            region: region.to_string(),
            id: instance.instance_id().unwrap_or_default().to_string(),
            instance_type: instance.instance_type().map(|t| t.as_str().to_string()),
            state: instance
                .state()
                .and_then(|s| s.name())
                .map(|n| n.as_str().to_string()),
            launched: instance.launch_time().map(to_utc),
            key_name: instance.key_name().map(str::to_string),
            public_ip: instance.public_ip_address().map(str::to_string),
        })
        .collect())
}

/// The roles VPC Flow Logs in `region` deliver with (flow log id, role ARN): freeze must not
/// deny them.
pub async fn flow_log_roles(
    ctx: &AwsContext,
    region: &str,
) -> Result<Vec<(String, String)>, AwsError> {
    let site = ec2_site("DescribeFlowLogs", region);
    let flow_logs: Vec<_> = ctx
        .ec2(region)
        .describe_flow_logs()
        .max_results(PAGE_SIZE)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| site.error(e))?;
    Ok(flow_logs
        .iter()
        .filter_map(|log| {
            Some((
                log.flow_log_id().unwrap_or_default().to_string(),
                log.deliver_logs_permission_arn()?.to_string(),
            ))
        })
        .collect())
}

/// The ingress rules in `region` that admit the whole internet — by the addresses they cover:
/// a literal `0.0.0.0/0` or `::/0`, a prefix list that holds it (its entries read), or ranges
/// that cover it together — each with its group's name and tags' controller (a failed name or
/// prefix-list read keeps what was found, reported as a problem).
pub async fn open_ingress(
    ctx: &AwsContext,
    region: &str,
) -> Result<(Vec<OpenIngress>, Vec<AwsError>), AwsError> {
    let client = ctx.ec2(region);
    let site = |operation| ec2_site(operation, region);
    let rules: Vec<_> = client
        .describe_security_group_rules()
        .max_results(PAGE_SIZE)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| site("DescribeSecurityGroupRules").error(e))?;
    let ingress: Vec<_> = rules
        .iter()
        .filter(|rule| rule.is_egress() != Some(true))
        .filter_map(|rule| {
            let source = rule
                .cidr_ipv4()
                .or(rule.cidr_ipv6())
                .or(rule.prefix_list_id())?;
            Some((rule, source))
        })
        .collect();
    let mut problems = Vec::new();
    let mut lists: std::collections::BTreeMap<&str, Option<Vec<String>>> = ingress
        .iter()
        .filter(|(_, source)| source.starts_with("pl-"))
        .map(|(_, source)| (*source, None))
        .collect();
    for (id, entries) in &mut lists {
        match prefix_list_entries(ctx, region, id).await {
            Ok(found) => *entries = Some(found),
            Err(error) => problems.push(error),
        }
    }
    let admissions: Vec<Admission> = ingress
        .iter()
        .map(|(rule, source)| Admission {
            group_id: rule.group_id().unwrap_or_default().to_string(),
            protocol: rule.ip_protocol().unwrap_or("-1").to_string(),
            from_port: rule.from_port(),
            to_port: rule.to_port(),
            source: source.to_string(),
            ranges: match lists.get(source) {
                Some(entries) => entries.clone(),
                None => Some(vec![source.to_string()]),
            },
        })
        .collect();
    let mut open: Vec<OpenIngress> = world_open(&admissions)
        .into_iter()
        .map(|(index, why)| {
            let (rule, _) = ingress[index];
            let admitted = &admissions[index];
            OpenIngress {
                region: region.to_string(),
                group_id: admitted.group_id.clone(),
                group_name: None,
                rule_id: rule
                    .security_group_rule_id()
                    .unwrap_or_default()
                    .to_string(),
                protocol: admitted.protocol.clone(),
                from_port: admitted.from_port,
                to_port: admitted.to_port,
                cidr: admitted.source.clone(),
                reach: why.how,
                managed_by: firebreak_core::model::rule_controller(rule.description()),
                description: rule.description().map(str::to_string),
            }
        })
        .collect();
    if open.is_empty() {
        return Ok((open, problems));
    }
    let mut groups: Vec<String> = open.iter().map(|r| r.group_id.clone()).collect();
    groups.sort();
    groups.dedup();
    let named = client
        .describe_security_groups()
        .set_group_ids(Some(groups))
        .send()
        .await;
    match named {
        Ok(answer) => {
            for rule in &mut open {
                let group = answer
                    .security_groups()
                    .iter()
                    .find(|g| g.group_id() == Some(rule.group_id.as_str()));
                rule.group_name = group.and_then(|g| g.group_name()).map(str::to_string);
                let controller = group.and_then(|g| {
                    firebreak_core::model::group_controller(
                        g.tags()
                            .iter()
                            .filter_map(|t| Some((t.key()?, t.value().unwrap_or_default()))),
                    )
                });
                rule.managed_by = rule.managed_by.take().or(controller);
            }
        }
        Err(e) => problems.push(site("DescribeSecurityGroups").error(e)),
    }
    Ok((open, problems))
}

/// The CIDRs a managed prefix list holds (its current version).
async fn prefix_list_entries(
    ctx: &AwsContext,
    region: &str,
    id: &str,
) -> Result<Vec<String>, AwsError> {
    let entries: Vec<_> = ctx
        .ec2(region)
        .get_managed_prefix_list_entries()
        .prefix_list_id(id)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| {
            ec2_site("GetManagedPrefixListEntries", region)
                .error(e)
                .about(ResourceType::SecurityGroup, id)
        })?;
    Ok(entries
        .iter()
        .filter_map(|entry| entry.cidr().map(str::to_string))
        .collect())
}

/// The instance-profile associations in `region` that are in force (associating or associated).
pub async fn profile_associations(
    ctx: &AwsContext,
    region: &str,
) -> Result<Vec<ProfileAssociation>, AwsError> {
    let site = ec2_site("DescribeIamInstanceProfileAssociations", region);
    let listed: Vec<_> = ctx
        .ec2(region)
        .describe_iam_instance_profile_associations()
        .max_results(PAGE_SIZE)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| site.error(e))?;
    Ok(listed
        .iter()
        .map(|association| ProfileAssociation {
            region: region.to_string(),
            association_id: association.association_id().unwrap_or_default().to_string(),
            instance_id: association.instance_id().unwrap_or_default().to_string(),
            profile_arn: association
                .iam_instance_profile()
                .and_then(|p| p.arn())
                .unwrap_or_default()
                .to_string(),
            state: association
                .state()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
        })
        .filter(|a| matches!(a.state.as_str(), "associating" | "associated"))
        .collect())
}
