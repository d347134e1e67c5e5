//! The all-region scan runner. `spawn` runs every region concurrently (bounded by a semaphore)
//! and streams `ScanEvent`s as each service in each region answers; the fold
//! (`firebreak_core::scan::ScanState`) turns them into the picture every front end shows. One
//! slow or failing region never holds up the others.

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;

use crate::aws::{self, AwsContext, AwsError};
use firebreak_core::model::GLOBAL;
use firebreak_core::scan::{
    CensusBound, ItemKind, Part, RegionInfo, RegionSelection, ScanEvent, ScanOptions,
};

/// Starts a scan in the background and returns its event stream, which ends after `Done` or
/// `Fatal`.
pub fn spawn(ctx: AwsContext, options: ScanOptions) -> mpsc::UnboundedReceiver<ScanEvent> {
    let (events, receiver) = mpsc::unbounded_channel();
    tokio::spawn(run(ctx, options, events));
    receiver
}

/// Runs a whole scan, sending events to `events`. A closed receiver stops nothing early but
/// is otherwise harmless.
pub async fn run(ctx: AwsContext, options: ScanOptions, events: mpsc::UnboundedSender<ScanEvent>) {
    let send = |event| {
        // The receiver may have gone (the user quit): nothing left to tell.
        let _ = events.send(event);
    };
    let started = Instant::now();
    // Neither answer needs the other: asked at once, they cost one round trip, not two.
    let (identified, planned) = tokio::join!(ctx.identity(), plan_regions(&ctx, &options.regions));
    let (identity, alias_error) = match identified {
        Ok(found) => found,
        Err(error) => return send(ScanEvent::Fatal(error)),
    };
    let account = identity.id.clone();
    send(ScanEvent::Identity(identity));

    let (regions, listing_error) = match planned {
        Ok(planned) => planned,
        Err(error) => return send(ScanEvent::Fatal(error)),
    };
    send(ScanEvent::Planned(regions.clone()));

    let mut tasks = JoinSet::new();
    let global_ctx = ctx.clone();
    let global_events = events.clone();
    let global_account = account.clone();
    let detail = options.detail_concurrency;
    tasks.spawn(async move {
        let send = |event| {
            let _ = global_events.send(event);
        };
        send(ScanEvent::Started {
            region: GLOBAL.to_string(),
        });
        for error in alias_error.into_iter().chain(listing_error) {
            send(ScanEvent::Part {
                region: GLOBAL.to_string(),
                part: Part::Problem(error),
            });
        }
        // Like a region's listings, a failed IAM listing is read once more before `error`.
        // The account's S3 block needs nothing IAM says: both are asked at once.
        let (read, block) = tokio::join!(
            async {
                match aws::iam::inventory(&global_ctx, detail).await {
                    Err(_) => aws::iam::inventory(&global_ctx, detail).await,
                    read => read,
                }
            },
            aws::s3_state::account_block(&global_ctx, &global_account)
        );
        send(ScanEvent::Part {
            region: GLOBAL.to_string(),
            part: match block {
                Ok(block) => Part::AccountBlock(block),
                Err(error) => Part::Problem(error),
            },
        });
        let parts = match read {
            Ok(iam) => std::iter::once(Part::Iam {
                users: iam.users,
                access_keys: iam.access_keys,
                roles: iam.roles,
            })
            .chain(iam.problems.into_iter().map(Part::Problem))
            .collect(),
            Err(error) => vec![Part::Failed {
                kind: ItemKind::Users,
                error,
            }],
        };
        for part in parts {
            send(ScanEvent::Part {
                region: GLOBAL.to_string(),
                part,
            });
        }
        send(ScanEvent::Finished {
            region: GLOBAL.to_string(),
            duration: started.elapsed(),
        });
    });

    let permits = Arc::new(Semaphore::new(options.region_concurrency.max(1)));
    for region in regions.into_iter().filter(|r| r.enabled) {
        let ctx = ctx.clone();
        let events = events.clone();
        let permits = permits.clone();
        let reading = Reading {
            account: account.clone(),
            detail,
            census: options.census,
        };
        tasks.spawn(async move {
            // The semaphore is never closed, so acquiring only fails if it were: then run anyway.
            let _permit = permits.acquire_owned().await.ok();
            scan_region(&ctx, &region.name, &reading, &events).await;
        });
    }
    while tasks.join_next().await.is_some() {}
    send(ScanEvent::Done);
}

/// What a region is read for.
#[derive(Debug, Clone, Copy)]
enum Service {
    Functions,
    Snapshots,
    Images,
    Instances,
    Trails,
    Detectors,
    OpenIngress,
    EventRules,
    ProfileAssociations,
    ApiKeys,
    Buckets,
    Databases,
    DbSnapshots,
}

impl Service {
    /// The kind of item the service's listing reads.
    fn kind(self) -> ItemKind {
        match self {
            Service::Functions => ItemKind::Functions,
            Service::Snapshots => ItemKind::Snapshots,
            Service::Images => ItemKind::Images,
            Service::Instances => ItemKind::Instances,
            Service::Trails => ItemKind::Trails,
            Service::Detectors => ItemKind::Detectors,
            Service::OpenIngress => ItemKind::OpenIngress,
            Service::EventRules => ItemKind::EventRules,
            Service::ProfileAssociations => ItemKind::ProfileAssociations,
            Service::ApiKeys => ItemKind::ApiKeys,
            Service::Buckets => ItemKind::Buckets,
            Service::Databases => ItemKind::Databases,
            Service::DbSnapshots => ItemKind::DbSnapshots,
        }
    }
}

const SERVICES: [Service; 13] = [
    Service::Functions,
    Service::Snapshots,
    Service::Images,
    Service::Instances,
    Service::Trails,
    Service::Detectors,
    Service::OpenIngress,
    Service::EventRules,
    Service::ProfileAssociations,
    Service::ApiKeys,
    Service::Buckets,
    Service::Databases,
    Service::DbSnapshots,
];

/// What every service read in a region needs to know.
struct Reading {
    /// The account scanned (its own snapshots, its trails).
    account: String,
    /// Per-item detail calls in flight at once.
    detail: usize,
    census: CensusBound,
}

/// One service's listing in `region`, as parts (items, then problems with single items);
/// `Err` when the listing itself failed.
async fn read_service(
    ctx: &AwsContext,
    region: &str,
    reading: &Reading,
    service: Service,
) -> Result<Vec<Part>, AwsError> {
    let Reading {
        account,
        detail,
        census,
    } = reading;
    let (account, detail, census) = (account.as_str(), *detail, *census);
    fn with_problems(items: Part, problems: Vec<AwsError>) -> Vec<Part> {
        std::iter::once(items)
            .chain(problems.into_iter().map(Part::Problem))
            .collect()
    }
    Ok(match service {
        Service::Functions => {
            let (found, problems) = aws::lambda::functions(ctx, region, detail).await?;
            with_problems(Part::Functions(found), problems)
        }
        Service::Snapshots => {
            let (found, problems) = aws::ec2::snapshots(ctx, region, account, detail).await?;
            with_problems(Part::Snapshots(found), problems)
        }
        Service::Images => {
            let (found, problems) = aws::ec2::images(ctx, region, detail).await?;
            with_problems(Part::Images(found), problems)
        }
        Service::Instances => vec![Part::Instances(aws::ec2::instances(ctx, region).await?)],
        Service::Trails => {
            let (found, problems) = aws::cloudtrail::trails(ctx, region, account, detail).await?;
            with_problems(Part::Trails(found), problems)
        }
        Service::Detectors => {
            let (found, problems) = aws::guardduty::detectors(ctx, region).await?;
            with_problems(Part::Detectors(found), problems)
        }
        Service::OpenIngress => {
            let (found, problems) = aws::ec2::open_ingress(ctx, region).await?;
            with_problems(Part::OpenIngress(found), problems)
        }
        Service::EventRules => {
            let (found, problems) = aws::eventbridge::rules(ctx, region, detail).await?;
            with_problems(Part::EventRules(found), problems)
        }
        Service::ProfileAssociations => vec![Part::ProfileAssociations(
            aws::ec2::profile_associations(ctx, region).await?,
        )],
        Service::ApiKeys => vec![Part::ApiKeys(aws::apigateway::api_keys(ctx, region).await?)],
        Service::Buckets => {
            let (found, problems) = aws::s3::buckets(ctx, region, detail, census).await?;
            with_problems(Part::Buckets(found), problems)
        }
        Service::Databases => vec![Part::Databases(aws::rds::databases(ctx, region).await?)],
        Service::DbSnapshots => {
            let (found, problems) = aws::rds::snapshots(ctx, region, detail).await?;
            with_problems(Part::DbSnapshots(found), problems)
        }
    })
}

async fn scan_region(
    ctx: &AwsContext,
    region: &str,
    reading: &Reading,
    events: &mpsc::UnboundedSender<ScanEvent>,
) {
    let started = Instant::now();
    let send = |event| {
        let _ = events.send(event);
    };
    let part = |part| {
        send(ScanEvent::Part {
            region: region.to_string(),
            part,
        })
    };
    send(ScanEvent::Started {
        region: region.to_string(),
    });
    let emit = |parts: Vec<Part>| parts.into_iter().for_each(part);
    let first = futures::future::join_all(SERVICES.map(|service| async move {
        let read = read_service(ctx, region, reading, service).await;
        if let Ok(parts) = &read {
            emit(parts.clone());
        }
        (service, read.is_err())
    }))
    .await;
    // A listing that failed is read once more when the region's other work is done (a burst
    // of throttling has often passed by then), before the region is marked `error`.
    for (service, failed) in first {
        if failed {
            match read_service(ctx, region, reading, service).await {
                Ok(parts) => emit(parts),
                Err(error) => part(Part::Failed {
                    kind: service.kind(),
                    error,
                }),
            }
        }
    }
    send(ScanEvent::Finished {
        region: region.to_string(),
        duration: started.elapsed(),
    });
}

/// Decides which regions to show. Named regions must be listed by DescribeRegions; when it fails,
/// that is not fatal: they are scanned as given and the error is reported as a global one.
async fn plan_regions(
    ctx: &AwsContext,
    selection: &RegionSelection,
) -> Result<(Vec<RegionInfo>, Option<AwsError>), AwsError> {
    let listed = ctx.regions().await;
    match selection {
        RegionSelection::Enabled => Ok((listed?.into_iter().filter(|r| r.enabled).collect(), None)),
        RegionSelection::All => Ok((listed?, None)),
        RegionSelection::Named(names) => match listed {
            Ok(known) => Ok((ctx.named_regions(&known, names).map_err(|e| *e)?, None)),
            Err(error) => Ok((
                names
                    .iter()
                    .map(|name| RegionInfo {
                        name: name.clone(),
                        enabled: true,
                    })
                    .collect(),
                Some(error),
            )),
        },
    }
}
