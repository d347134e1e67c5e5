//! EC2 inventory for one region: owned EBS snapshots and AMIs with their sharing confirmed from
//! the permission attributes (server-side "public" filters are only hints), and instances.

use futures::{StreamExt, stream};

use aws_sdk_ec2::types::Filter;

use super::actions::{image_sharing_with, snapshot_sharing_with};
use super::context::AwsContext;
use super::error::{AwsError, CallSite};
use super::pace::Api;
use super::to_utc;
use crate::model::finding::ResourceType;
use crate::model::{Image, Instance, Snapshot};

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

/// Adds one read item and its problem, if any, to what was read.
fn keep<T>(
    (mut items, mut problems): (Vec<T>, Vec<AwsError>),
    (item, problem): (T, Option<AwsError>),
) -> (Vec<T>, Vec<AwsError>) {
    items.push(item);
    problems.extend(problem);
    (items, problems)
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
